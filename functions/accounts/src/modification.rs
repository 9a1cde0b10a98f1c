//! Modification of a gestionnaire's information (§2.2.2): asked by a gestionnaire of
//! the partner, applied (or refused) by the caisse only.

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param};
use ep_common::ids::new_id;
use ep_common::partners::{
    CaisseRequest, Decision, ModificationRequest, ModificationState, modification_key,
};
use ep_common::record::Record;
use ep_common::routes::Answer;
use ep_common::sessions::Authed;
use ep_common::table::Cond;
use ep_common::tx::Tx;
use ep_common::users::{Role, Status, User, get_user, personal_data_ref};
use ep_domain::FieldError;
use ep_domain::types::{Fonction, FrenchPhone, PersonName, ProfessionalEmail};
use lambda_http::Request;
use serde::Deserialize;

use crate::caisses::view;
use crate::queue::{self, Rejection, target_caisse};
use crate::texts;
use crate::util::{Check, partner_access, require_agent, require_gestionnaire_of};

#[derive(Deserialize, Default)]
struct ModificationBody {
    user_id: Option<String>,
    caisse_id: Option<String>,
    nom: Option<String>,
    prenom: Option<String>,
    fonction: Option<String>,
    telephone: Option<String>,
    email: Option<String>,
}

/// The changes asked, each checked; at least one.
struct Changes {
    nom: Option<String>,
    prenom: Option<String>,
    fonction: Option<String>,
    telephone: Option<String>,
    email: Option<String>,
}

fn changes(body: &ModificationBody, domains: &[String]) -> Result<Changes, Problem> {
    let mut check = Check::new();
    let mut field =
        |name: &str, v: &Option<String>, parse: &dyn Fn(&str) -> Result<String, FieldError>| {
            let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
            check.take(name, parse(v))
        };
    let c = Changes {
        nom: field("nom", &body.nom, &|v| {
            PersonName::parse(v).map(|n| n.as_str().to_owned())
        }),
        prenom: field("prenom", &body.prenom, &|v| {
            PersonName::parse(v).map(|n| n.as_str().to_owned())
        }),
        fonction: field("fonction", &body.fonction, &|v| {
            Fonction::parse(v).map(|n| n.as_str().to_owned())
        }),
        telephone: field("telephone", &body.telephone, &|v| {
            FrenchPhone::parse(v).map(|n| n.to_string())
        }),
        email: field("email", &body.email, &|v| {
            ProfessionalEmail::parse(v, domains).map(|e| e.as_str().to_owned())
        }),
    };
    let none = c.nom.is_none()
        && c.prenom.is_none()
        && c.fonction.is_none()
        && c.telephone.is_none()
        && c.email.is_none();
    if none && check.0.errors.is_empty() {
        check.fail("nom", "Indiquez au moins une information à modifier (nom, prénom, fonction, téléphone ou adresse électronique).");
    }
    check.done()?;
    Ok(c)
}

/// A gestionnaire of the partner, not inactive.
async fn gestionnaire_of(ctx: &Ctx, user_id: &str, partner_id: &str) -> Result<User, Problem> {
    get_user(ctx.table.as_ref(), user_id)
        .await?
        .filter(|u| {
            u.role == Role::Gestionnaire && u.org_id == partner_id && u.status != Status::Inactive
        })
        .ok_or_else(|| {
            Problem::validation().field(
                "user_id",
                "Choisissez un gestionnaire actif de votre structure.",
            )
        })
}

pub async fn create(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let id = path_param(req, "partner_id").unwrap_or_default();
    require_gestionnaire_of(authed, &id)?;
    let access = partner_access(ctx, authed, &id).await?;
    let body: ModificationBody = parse_json(req)?;
    let target = gestionnaire_of(ctx, body.user_id.as_deref().unwrap_or(""), &id).await?;
    let c = changes(&body, &access.partner.allowed_domains)?;
    let caisse_id = target_caisse(ctx, authed, &id, body.caisse_id.as_deref()).await?;
    let request = ModificationRequest {
        id: new_id(),
        partner_id: id.clone(),
        partner_name: access.partner.name.clone(),
        caisse_id: caisse_id.clone(),
        user_id: target.id.clone(),
        nom: c.nom,
        prenom: c.prenom,
        fonction: c.fonction,
        telephone: c.telephone,
        email: c.email,
        received_at: ctx.now(),
        submitted_by: authed.user.id.clone(),
        decision: Decision::open(),
        v: 1,
    };
    let (mpk, msk) = modification_key(&caisse_id, &request.id);
    let mut tx = Tx::new(ctx);
    tx.put(request.to_item()?, Cond::NotExists);
    tx.write(personal_data_ref(&target.id, &mpk, &msk));
    tx.audit(
        &id,
        &authed.user.id,
        "modification.requested",
        Some(&target.id),
    )?;
    tx.audit(
        &caisse_id,
        &authed.user.id,
        "modification.requested",
        Some(&target.id),
    )?;
    tx.commit().await?;
    Ok(json(201, &request))
}

pub async fn list(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    queue::list::<ModificationRequest>(ctx, req, authed, |r| {
        serde_json::to_value(r).unwrap_or_default()
    })
    .await
}

/// Applies the request to the gestionnaire's account: account, request, email to the
/// account's (new) address, events — one transaction.
pub async fn apply(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let request: ModificationRequest = queue::load_open(ctx, req, &caisse_id).await?;
    let target = gestionnaire_of(ctx, &request.user_id, &request.partner_id).await?;
    let mut next = target.clone();
    let r = &request;
    next.nom = r.nom.clone().unwrap_or(next.nom);
    next.prenom = r.prenom.clone().unwrap_or(next.prenom);
    next.fonction = r.fonction.clone().or(next.fonction);
    next.telephone = r.telephone.clone().or(next.telephone);
    next.email = r.email.clone().unwrap_or(next.email);
    let (uw, next) = next.update_write()?;
    let decided = request.decided(ModificationState::Applied, &authed.user.id, ctx.now(), None);
    let (rw, decided) = decided.update_write()?;
    let mut tx = Tx::new(ctx);
    tx.write(uw).write(rw);
    tx.notify(&next.email, texts::modification_applied(&next))?;
    tx.audit(
        &caisse_id,
        &authed.user.id,
        "modification.applied",
        Some(&target.id),
    )?;
    tx.audit(
        &request.partner_id,
        &authed.user.id,
        "account.updated",
        Some(&target.id),
    )?;
    tx.commit().await?;
    Ok(json(
        200,
        &serde_json::json!({ "request": decided, "account": view(&next) }),
    ))
}

pub async fn reject(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let how = Rejection {
        state: || ModificationState::Rejected,
        action: "modification.rejected",
        target: |r: &ModificationRequest| r.user_id.clone(),
        notice: None,
    };
    queue::reject(ctx, req, authed, how, async |_: &ModificationRequest| {
        Ok(None)
    })
    .await
}
