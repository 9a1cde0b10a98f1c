//! Creating accounts: the person's fields, the pending account, its activation link
//! and email, in writes the caller commits with the rest of its transaction.

use ep_common::Ctx;
use ep_common::bootstrap::activation_link;
use ep_common::ids::new_id;
use ep_common::mail::compose;
use ep_common::table::StoreError;
use ep_common::templates;
use ep_common::tokens::{self, Purpose};
use ep_common::tx::Tx;
use ep_common::users::{NewAccount, OrgKind, Role, User, new_identifiant};
use ep_domain::types::{Civilite, Email, Fonction, FrenchPhone, PersonName, ProfessionalEmail};
use serde::Deserialize;

use crate::util::{Check, required};

#[derive(Deserialize, Default, Clone, Debug)]
pub struct PersonBody {
    pub civilite: Option<String>,
    pub nom: Option<String>,
    pub prenom: Option<String>,
    pub fonction: Option<String>,
    pub telephone: Option<String>,
    pub email: Option<String>,
}

/// A checked person.
#[derive(Clone, Debug)]
pub struct Person {
    pub civilite: Civilite,
    pub nom: String,
    pub prenom: String,
    pub fonction: String,
    pub telephone: Option<String>,
    pub email: String,
}

/// Checks the fields. `domains`: the partner's allowed email domains (professional
/// addresses only, §2.2.1); `None` for caisse agents. `phone_required` for partner
/// accounts (the convention's habilitation form asks for it).
pub fn parse_person(
    body: &PersonBody,
    domains: Option<&[String]>,
    phone_required: bool,
    check: &mut Check,
) -> Option<Person> {
    let civilite = check.take(
        "civilite",
        required(&body.civilite, "civilite", "La civilité").and_then(|c| Civilite::parse(&c)),
    );
    let nom = check.take(
        "nom",
        required(&body.nom, "nom", "Le nom").and_then(|n| PersonName::parse(&n)),
    );
    let prenom = check.take(
        "prenom",
        required(&body.prenom, "prenom", "Le prénom").and_then(|n| PersonName::parse(&n)),
    );
    let fonction = check.take(
        "fonction",
        required(&body.fonction, "fonction", "La fonction").and_then(|f| Fonction::parse(&f)),
    );
    let telephone = match body
        .telephone
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(t) => check
            .take("telephone", FrenchPhone::parse(t))
            .map(|p| Some(p.to_string())),
        None if phone_required => {
            check.fail(
                "telephone",
                "Le téléphone est obligatoire (par exemple 04 72 00 00 00).",
            );
            None
        }
        None => Some(None),
    };
    let email = check.take(
        "email",
        required(&body.email, "email", "L'adresse électronique").and_then(|e| match domains {
            Some(d) => ProfessionalEmail::parse(&e, d).map(|p| p.as_str().to_owned()),
            None => Email::parse(&e).map(|p| p.as_str().to_owned()),
        }),
    );
    Some(Person {
        civilite: civilite?,
        nom: nom?.as_str().to_owned(),
        prenom: prenom?.as_str().to_owned(),
        fonction: fonction?.as_str().to_owned(),
        telephone: telephone?,
        email: email?,
    })
}

/// The writes creating a pending account for `person`, with its activation link
/// emailed; `settle` sets what only the caller knows (admin flag, attachment) before
/// the record is written. Returns the account and the email id to deliver after commit.
pub async fn new_account(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    actor: &User,
    person: &Person,
    role: Role,
    org: (OrgKind, &str, &str),
    settle: impl FnOnce(&mut User),
) -> Result<User, StoreError> {
    let now = ctx.now();
    let identifiant = new_identifiant(ctx.table.as_ref(), &person.prenom, &person.nom).await?;
    let mut user = User::pending(
        new_id(),
        identifiant,
        NewAccount {
            role,
            civilite: Some(person.civilite.label().to_lowercase()),
            nom: person.nom.clone(),
            prenom: person.prenom.clone(),
            email: person.email.clone(),
            fonction: Some(person.fonction.clone()),
            telephone: person.telephone.clone(),
            org_kind: org.0,
            org_id: org.1.to_owned(),
            org_name: org.2.to_owned(),
            created_by: Some(actor.id.clone()),
        },
        now,
    );
    settle(&mut user);
    let (token, token_write) = tokens::issue(
        &user.id,
        Purpose::Activation,
        now,
        ctx.config.link_ttl_hours,
    )?;
    let content = templates::account_created(
        &ctx.config.mail_from,
        &user,
        &activation_link(ctx, &token),
        ctx.config.link_ttl_hours,
    );
    let email =
        compose(&content, &new_id(), now).map_err(|e| StoreError::Invalid(e.to_string()))?;
    tx.extend(user.create_writes()?).write(token_write);
    tx.raw_email(&email)?;
    tx.audit(org.1, &actor.id, "account.created", Some(&user.id))?;
    Ok(user)
}
