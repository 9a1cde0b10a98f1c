//! Every email the accounts function sends, in one place (French). Each returns the
//! words of one notification; use cases add it to their transaction with
//! `Tx::notify`. (The account-creation email with its link is `templates::account_created`.)

use ep_common::tx::Notice;
use ep_common::users::User;

fn notice(subject: &str, paragraphs: Vec<String>) -> Notice {
    Notice {
        subject: subject.to_owned(),
        paragraphs,
        link: None,
    }
}

/// To the gestionnaire who asked for a new gestionnaire: it was accepted.
pub fn habilitation_approved(submitter: &User, partner_name: &str) -> Notice {
    notice(
        "Espace Partenaires : demande d'habilitation acceptée",
        vec![
            format!("Bonjour {},", submitter.display_name()),
            format!(
                "La demande d'habilitation d'un gestionnaire pour {partner_name} a été acceptée : le compte a été créé et son titulaire a reçu un courriel pour définir son mot de passe."
            ),
        ],
    )
}

/// To the gestionnaire who asked (or the candidate): the caisse refused, and why.
pub fn habilitation_rejected(prenom: &str, nom: &str, partner_name: &str, reason: &str) -> Notice {
    notice(
        "Espace Partenaires : demande d'habilitation refusée",
        vec![
            "Bonjour,".into(),
            format!(
                "La demande d'habilitation d'un gestionnaire ({prenom} {nom}) pour {partner_name} n'a pas été acceptée par la caisse."
            ),
            format!("Motif : {reason}"),
        ],
    )
}

/// To a gestionnaire whose information the caisse changed on the partner's request.
pub fn modification_applied(account: &User) -> Notice {
    notice(
        "Espace Partenaires : vos informations ont été modifiées",
        vec![
            format!("Bonjour {},", account.display_name()),
            "À la demande de votre structure, la caisse a mis à jour les informations de votre compte gestionnaire sur l'Espace Partenaires.".into(),
        ],
    )
}

/// To a technicien inactivated by a gestionnaire.
pub fn technicien_inactivated(target: &User) -> Notice {
    notice(
        "Votre compte Espace Partenaires a été inactivé",
        vec![
            format!("Bonjour {},", target.display_name()),
            format!(
                "Votre compte technicien ({}) de l'Espace Partenaires pour {} a été inactivé par un gestionnaire de votre structure. Vous ne pouvez plus vous connecter avec cet identifiant.",
                target.identifiant, target.org_name
            ),
            "Si vous pensez qu'il s'agit d'une erreur, adressez-vous au gestionnaire de votre structure.".into(),
        ],
    )
}

/// To the partner's gestionnaires: the caisse excluded an account (§4.1).
pub fn exclusion(caisse_name: &str, target: &User, partner_name: &str, label: &str) -> Notice {
    notice(
        "Espace Partenaires : exclusion d'un compte de votre structure",
        vec![
            "Bonjour,".into(),
            format!(
                "{caisse_name} a inactivé immédiatement le compte {} ({}, identifiant {}) de {partner_name} sur l'Espace Partenaires, pour le motif suivant : {label}.",
                target.role.label().to_lowercase(),
                target.display_name(),
                target.identifiant,
            ),
            "Toutes les sessions de ce compte ont été fermées. Cette exclusion met fin à son accès sans délai (article 4.1 de la convention).".into(),
        ],
    )
}

/// To the partner's gestionnaires: the caisse asks for a habilitation review (§4.2).
pub fn review_requested(gestionnaire: &User, link: &str) -> Notice {
    Notice {
        link: Some((
            "Ouvrir le tableau des habilitations".into(),
            link.to_owned(),
        )),
        ..notice(
            "Espace Partenaires : revue des habilitations demandée",
            vec![
                format!("Bonjour {},", gestionnaire.display_name()),
                "Votre caisse demande une revue des habilitations de votre structure (article 4.2 de la convention) : vérifiez le tableau des comptes, inactivez ceux qui ne sont plus utiles, puis confirmez la revue.".into(),
            ],
        )
    }
}

/// To each active gestionnaire of a partner: another caisse now has a convention with
/// the structure (SPEC §2). Names that caisse only.
pub fn convention_added(gestionnaire: &User, caisse_name: &str, partner_name: &str) -> Notice {
    notice(
        "Espace Partenaires : nouvelle convention avec votre structure",
        vec![
            format!("Bonjour {},", gestionnaire.display_name()),
            format!(
                "{caisse_name} a désormais une convention avec {partner_name} sur l'Espace Partenaires. Les comptes de votre structure accèdent aux fonctionnalités que cette caisse a activées, et ses agents voient les comptes de la structure."
            ),
            "Vous n'avez rien à faire : vos identifiants et vos comptes restent les mêmes.".into(),
        ],
    )
}
