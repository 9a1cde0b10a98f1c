//! Caisses and their agents (SPEC §1: created by the platform admin; agents by the
//! admin or by an agent of the same caisse with the admin flag).

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param};
use ep_common::ids::new_id;
use ep_common::lifecycle::{self, Reason, accounts_of};
use ep_common::partners::{Caisse, Referent, caisse_key, get_caisse};
use ep_common::sessions::Authed;
use ep_common::table::{Cond, Index, Query};
use ep_common::tx::Tx;
use ep_common::users::{OrgKind, PLATFORM_ORG, Role, Status, User, get_user};
use ep_domain::types::Email;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::people::{PersonBody, new_account, parse_person};
use crate::util::{Check, forbidden_or_missing, free_text, required};

type Answer = Result<Response<Body>, Problem>;

#[derive(Deserialize, Default)]
struct CaisseBody {
    name: Option<String>,
    address: Option<String>,
    alt_contact: Option<String>,
    #[serde(default)]
    referents: Vec<ReferentBody>,
}

#[derive(Deserialize, Default)]
struct ReferentBody {
    nom: Option<String>,
    email: Option<String>,
}

fn parse_caisse(
    body: &CaisseBody,
    check: &mut Check,
) -> Option<(String, String, String, Vec<Referent>)> {
    let name = check.take("name", required(&body.name, "name", "Le nom de la caisse"));
    let address = check.take("address", required(&body.address, "address", "L'adresse"));
    let alt = check.take(
        "alt_contact",
        required(
            &body.alt_contact,
            "alt_contact",
            "Le moyen de contact de secours (téléphone ou adresse)",
        )
        .and_then(|t| free_text(&t, "alt_contact", 300)),
    );
    let mut referents = Vec::new();
    for (i, r) in body.referents.iter().enumerate() {
        let nom = check.take(
            &format!("referents[{i}].nom"),
            required(&r.nom, "nom", "Le nom du référent")
                .and_then(|n| ep_domain::types::PersonName::parse(&n)),
        );
        let email = check.take(
            &format!("referents[{i}].email"),
            required(&r.email, "email", "L'adresse électronique du référent")
                .and_then(|e| Email::parse(&e)),
        );
        if let (Some(nom), Some(email)) = (nom, email) {
            referents.push(Referent {
                nom: nom.as_str().to_owned(),
                email: email.as_str().to_owned(),
            });
        }
    }
    if referents.len() > 10 {
        check.fail("referents", "Dix référents au plus.");
    }
    Some((name?, address?, alt?, referents))
}

/// May manage this caisse: the platform admin, or an admin agent of it.
fn may_manage(authed: &Authed, caisse_id: &str) -> bool {
    let u = &authed.user;
    u.role == Role::Admin || (u.role == Role::Agent && u.org_id == caisse_id && u.caisse_admin)
}

/// May see this caisse: the admin or any agent of it.
fn may_see(authed: &Authed, caisse_id: &str) -> bool {
    let u = &authed.user;
    u.role == Role::Admin || (u.role == Role::Agent && u.org_id == caisse_id)
}

pub async fn list(ctx: &Ctx, _req: &Request, authed: &Authed) -> Answer {
    let caisses: Vec<Caisse> = match authed.user.role {
        Role::Admin => ctx
            .table
            .query_all(&Query::new(Index::Gsi1, "CAISSES"))
            .await?
            .iter()
            .map(|i| i.parse())
            .collect::<Result<_, _>>()?,
        Role::Agent => get_caisse(ctx.table.as_ref(), &authed.user.org_id)
            .await?
            .into_iter()
            .collect(),
        _ => return Err(forbidden_or_missing()),
    };
    Ok(json(200, &serde_json::json!({ "items": caisses })))
}

pub async fn create(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    if authed.user.role != Role::Admin {
        return Err(forbidden_or_missing());
    }
    let body: CaisseBody = parse_json(req)?;
    let mut check = Check::new();
    let parsed = parse_caisse(&body, &mut check);
    check.done()?;
    let Some((name, address, alt_contact, referents)) = parsed else {
        return Err(Problem::validation());
    };
    let caisse = Caisse {
        id: new_id(),
        name,
        address,
        alt_contact,
        referents,
        created_at: ctx.now(),
        v: 1,
    };
    let mut tx = Tx::new(ctx);
    tx.put(caisse.to_item()?, Cond::NotExists);
    tx.audit(
        PLATFORM_ORG,
        &authed.user.id,
        "caisse.created",
        Some(&caisse.id),
    )?;
    tx.commit().await?;
    Ok(json(201, &caisse))
}

async fn load(ctx: &Ctx, req: &Request, authed: &Authed, manage: bool) -> Result<Caisse, Problem> {
    let id = path_param(req, "caisse_id").unwrap_or_default();
    let allowed = if manage {
        may_manage(authed, &id)
    } else {
        may_see(authed, &id)
    };
    if !allowed {
        return Err(forbidden_or_missing());
    }
    get_caisse(ctx.table.as_ref(), &id)
        .await?
        .ok_or_else(forbidden_or_missing)
}

pub async fn get(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    Ok(json(200, &load(ctx, req, authed, false).await?))
}

pub async fn update(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse = load(ctx, req, authed, true).await?;
    let body: CaisseBody = parse_json(req)?;
    let mut check = Check::new();
    let parsed = parse_caisse(&body, &mut check);
    check.done()?;
    let Some((name, address, alt_contact, referents)) = parsed else {
        return Err(Problem::validation());
    };
    let mut next = caisse.clone();
    next.name = name;
    next.address = address;
    next.alt_contact = alt_contact;
    next.referents = referents;
    next.v += 1;
    let mut tx = Tx::new(ctx);
    tx.put(next.to_item()?, Cond::VersionEquals(caisse.v));
    tx.audit(
        &caisse.id,
        &authed.user.id,
        "caisse.updated",
        Some(&caisse.id),
    )?;
    tx.commit().await?;
    Ok(json(200, &next))
}

/// An account as listed to those who manage it.
#[derive(Serialize)]
pub struct AccountView<'a> {
    pub id: &'a str,
    pub identifiant: &'a str,
    pub profile: Role,
    pub civilite: Option<&'a str>,
    pub nom: &'a str,
    pub prenom: &'a str,
    pub fonction: Option<&'a str>,
    pub telephone: Option<&'a str>,
    pub email: &'a str,
    pub status: Status,
    pub created_at: jiff::Timestamp,
    pub created_by: Option<&'a str>,
    pub last_login_at: Option<jiff::Timestamp>,
    pub password_changed_at: Option<jiff::Timestamp>,
    pub inactivated_at: Option<jiff::Timestamp>,
    pub inactivation_reason: Option<&'a str>,
    pub attached_to: Option<&'a str>,
    pub caisse_admin: bool,
    /// A second factor is enrolled (what a reset would clear).
    pub second_factor_enrolled: bool,
}

pub fn view(u: &User) -> AccountView<'_> {
    AccountView {
        id: &u.id,
        identifiant: &u.identifiant,
        profile: u.role,
        civilite: u.civilite.as_deref(),
        nom: &u.nom,
        prenom: &u.prenom,
        fonction: u.fonction.as_deref(),
        telephone: u.telephone.as_deref(),
        email: &u.email,
        status: u.status,
        created_at: u.created_at,
        created_by: u.created_by.as_deref(),
        last_login_at: u.last_login_at,
        password_changed_at: u.password_changed_at,
        inactivated_at: u.inactivated_at,
        inactivation_reason: u.inactivation_reason.as_deref(),
        attached_to: u.attached_to.as_deref(),
        caisse_admin: u.caisse_admin,
        second_factor_enrolled: u.second_factor_at.is_some(),
    }
}

pub async fn list_agents(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse = load(ctx, req, authed, false).await?;
    let mut agents = accounts_of(ctx, &caisse.id).await?;
    agents
        .sort_by(|a, b| (a.nom.to_lowercase(), &a.prenom).cmp(&(b.nom.to_lowercase(), &b.prenom)));
    let items: Vec<AccountView> = agents.iter().map(view).collect();
    Ok(json(200, &serde_json::json!({ "items": items })))
}

#[derive(Deserialize, Default)]
struct AgentBody {
    #[serde(flatten)]
    person: PersonBody,
    #[serde(default)]
    caisse_admin: bool,
}

pub async fn create_agent(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse = load(ctx, req, authed, true).await?;
    let body: AgentBody = parse_json(req)?;
    let mut check = Check::new();
    let person = parse_person(&body.person, None, false, &mut check);
    check.done()?;
    let Some(person) = person else {
        return Err(Problem::validation());
    };
    let mut tx = Tx::new(ctx);
    let user_flagged = new_account(
        &mut tx,
        ctx,
        &authed.user,
        &person,
        Role::Agent,
        (OrgKind::Caisse, &caisse.id, &caisse.name),
        |u| u.caisse_admin = body.caisse_admin,
    )
    .await?;
    let (cpk, csk) = caisse_key(&caisse.id);
    tx.check(cpk, csk, Cond::Exists);
    tx.commit().await?;
    tracing::info!(user = %user_flagged.id, caisse = %caisse.id, "agent created");
    Ok(json(201, &view(&user_flagged)))
}

pub async fn inactivate_agent(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse = load(ctx, req, authed, true).await?;
    let user_id = path_param(req, "user_id").unwrap_or_default();
    let target = get_user(ctx.table.as_ref(), &user_id)
        .await?
        .filter(|u| u.role == Role::Agent && u.org_id == caisse.id)
        .ok_or_else(forbidden_or_missing)?;
    if target.id == authed.user.id {
        return Err(Problem::new(
            409,
            "account.self",
            "Action impossible",
            "Vous ne pouvez pas inactiver votre propre compte : demandez-le à un autre administrateur.",
        ));
    }
    let done = lifecycle::inactivate(
        ctx,
        &target.id,
        Reason::Manual,
        &authed.user.id,
        None,
        Tx::new(ctx),
        ctx.now(),
    )
    .await?;
    Ok(json(200, &view(&done.user)))
}
