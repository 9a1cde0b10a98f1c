//! The emails of the maintenance function (French, text + HTML). They name their
//! recipient and link to the portal; they never carry an assuré's data, and the
//! overdue-habilitation alert does not name the candidate either (the agents read the
//! request in the portal).

use ep_common::mail::EmailContent;
use ep_common::users::User;
use jiff::civil::Date;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_page(paragraphs: &[String], link: (&str, &str)) -> String {
    let mut body = String::new();
    for p in paragraphs {
        body.push_str(&format!("<p>{}</p>\n", escape(p)));
    }
    body.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p>\n",
        escape(link.1),
        escape(link.0)
    ));
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Espace Partenaires</title></head>\
<body>{body}<p>— Espace Partenaires</p></body></html>"
    )
}

fn text_page(paragraphs: &[String], link: (&str, &str)) -> String {
    let mut t = paragraphs.join("\n\n");
    t.push_str(&format!("\n\n{} : {}", link.0, link.1));
    t.push_str("\n\n— Espace Partenaires\n");
    t
}

/// `jj/mm/aaaa`.
pub fn fr_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// Password-expiry reminder, `days_left` days before `expires_on` (SPEC §3).
pub fn password_expiry_reminder<'a>(
    from: &'a str,
    user: &'a User,
    expires_on: Date,
    days_left: i64,
    link: &str,
) -> EmailContent<'a> {
    let paras = vec![
        format!("Bonjour {},", user.display_name()),
        format!(
            "Le mot de passe de votre compte Espace Partenaires (identifiant {}) expire le {}, dans {} jour{}.",
            user.identifiant,
            fr_date(expires_on),
            days_left,
            if days_left > 1 { "s" } else { "" }
        ),
        "Pour continuer à utiliser le portail sans interruption, choisissez dès maintenant un nouveau mot de passe depuis la page « Changer de mot de passe ». Les derniers mots de passe utilisés ne peuvent pas être repris.".into(),
        "Passé cette date, un nouveau mot de passe vous sera demandé à la connexion, avant toute autre action.".into(),
        "Ce message est envoyé automatiquement : merci de ne pas y répondre.".into(),
    ];
    let link = ("Changer de mot de passe", link);
    EmailContent {
        from,
        to: &user.email,
        subject: "Espace Partenaires : votre mot de passe expire bientôt",
        text: text_page(&paras, link),
        html: html_page(&paras, link),
    }
}

/// What an overdue-habilitation alert says.
pub struct OverdueHabilitation<'a> {
    pub partner_name: &'a str,
    pub received_on: Date,
    pub due_on: Date,
}

/// Alert to a caisse agent: a habilitation request was not processed within
/// 5 working days (SPEC §3 « Creation », convention §2.2.1).
pub fn habilitation_overdue<'a>(
    from: &'a str,
    agent: &'a User,
    request: &OverdueHabilitation<'_>,
    link: &str,
) -> EmailContent<'a> {
    let paras = vec![
        format!("Bonjour {},", agent.display_name()),
        format!(
            "Une demande d'habilitation de gestionnaire de la structure « {} », reçue le {}, n'a pas été traitée dans le délai de 5 jours ouvrés prévu par la convention : elle devait l'être au plus tard le {}.",
            request.partner_name,
            fr_date(request.received_on),
            fr_date(request.due_on)
        ),
        "Vous la trouverez dans la liste des demandes d'habilitation de votre caisse, où les demandes en retard apparaissent en premier. Ce message n'est envoyé qu'une fois par demande.".into(),
        "Ce message est envoyé automatiquement : merci de ne pas y répondre.".into(),
    ];
    let link = ("Voir les demandes d'habilitation", link);
    EmailContent {
        from,
        to: &agent.email,
        subject: "Espace Partenaires : demande d'habilitation en retard",
        text: text_page(&paras, link),
        html: html_page(&paras, link),
    }
}

/// The kind of a broken audit chain, in words.
pub fn break_kind(kind: &str) -> &'static str {
    match kind {
        "modified" => "Événement modifié",
        "removed" => "Événement supprimé",
        _ => "Événement inséré",
    }
}
