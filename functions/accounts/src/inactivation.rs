//! Inactivation of a gestionnaire signalled to the caisse (§2.2.3): at least 15 days
//! ahead, never the last active gestionnaire, its techniciens re-attached to a
//! successor. The scheduler applies it on its date (maintenance function), or an
//! agent at once; both run the domain's one succession rule.

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param};
use ep_common::ids::new_id;
use ep_common::lifecycle::{self, Reason, accounts_of};
use ep_common::partners::{CaisseRequest, Decision, InactivationRequest, InactivationState};
use ep_common::record::Record;
use ep_common::routes::Answer;
use ep_common::sessions::Authed;
use ep_common::table::Cond;
use ep_common::tx::Tx;
use ep_common::users::{Role, User};
use ep_domain::lifecycle::{
    AccountView, GestionnaireInactivationPlan, GestionnaireInactivationRequest,
    decide_gestionnaire_inactivation,
};
use jiff::civil::Date;
use lambda_http::Request;
use serde::Deserialize;

use crate::caisses::view;
use crate::queue::{self, Rejection, only_gestionnaire_or_agent, target_caisse};
use crate::util::{partner_access, require_agent, today};

#[derive(Deserialize, Default)]
struct InactivationBody {
    user_id: Option<String>,
    wanted_on: Option<String>,
    successor_id: Option<String>,
    caisse_id: Option<String>,
}

pub async fn create(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    only_gestionnaire_or_agent(authed)?;
    let id = path_param(req, "partner_id").unwrap_or_default();
    let access = partner_access(ctx, authed, &id).await?;
    let body: InactivationBody = parse_json(req)?;
    let wanted_on = match body.wanted_on.as_deref().map(|d| d.trim().parse::<Date>()) {
        Some(Ok(d)) => d,
        _ => {
            return Err(Problem::validation().field(
                "wanted_on",
                "Indiquez la date d'inactivation souhaitée (AAAA-MM-JJ).",
            ));
        }
    };
    let successor = body
        .successor_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let user_id = body.user_id.clone().unwrap_or_default();
    let plan = plan(ctx, &id, &user_id, wanted_on, successor).await?;
    let caisse_id = target_caisse(ctx, authed, &id, body.caisse_id.as_deref()).await?;
    let request = InactivationRequest {
        id: new_id(),
        partner_id: id.clone(),
        partner_name: access.partner.name.clone(),
        caisse_id: caisse_id.clone(),
        user_id: user_id.clone(),
        wanted_on: plan.effective_on,
        successor_id: successor.map(str::to_owned),
        received_at: ctx.now(),
        submitted_by: authed.user.id.clone(),
        decision: Decision::open(),
        v: 1,
    };
    let mut tx = Tx::new(ctx);
    tx.put(request.to_item()?, Cond::NotExists);
    tx.audit(
        &id,
        &authed.user.id,
        "inactivation.scheduled",
        Some(&user_id),
    )?;
    tx.audit(
        &caisse_id,
        &authed.user.id,
        "inactivation.scheduled",
        Some(&user_id),
    )?;
    tx.commit().await?;
    let mut body = serde_json::to_value(&request).unwrap_or_default();
    // Who takes over the techniciens if nothing changes until the date.
    body["planned_successor_id"] = plan.reattach_to.into();
    Ok(json(201, &body))
}

/// The domain's decision on the partner's accounts as they are now (notice, last
/// gestionnaire, successor), refusals answered from the one catalogue.
async fn plan(
    ctx: &Ctx,
    partner_id: &str,
    user_id: &str,
    wanted_on: Date,
    successor: Option<&str>,
) -> Result<GestionnaireInactivationPlan, Problem> {
    let accounts = accounts_of(ctx, partner_id).await?;
    if !accounts
        .iter()
        .any(|u| u.id == user_id && u.role == Role::Gestionnaire)
    {
        return Err(Problem::validation()
            .field("user_id", "Choisissez un gestionnaire de votre structure."));
    }
    let views: Vec<AccountView> = accounts
        .iter()
        .filter(|u| matches!(u.role, Role::Gestionnaire | Role::Technicien))
        .map(User::account_view)
        .collect();
    Ok(decide_gestionnaire_inactivation(
        &GestionnaireInactivationRequest {
            target_id: user_id,
            signalled_on: today(ctx),
            wanted_on,
            successor_id: successor,
            accounts: &views,
        },
    )?)
}

pub async fn list(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    queue::list::<InactivationRequest>(ctx, req, authed, |r| {
        serde_json::to_value(r).unwrap_or_default()
    })
    .await
}

/// The agent applies a scheduled inactivation at once.
pub async fn apply(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let request: InactivationRequest = queue::load_open(ctx, req, &caisse_id).await?;
    let done = request.decided(InactivationState::Done, &authed.user.id, ctx.now(), None);
    let (rw, done) = done.update_write()?;
    let mut tx = Tx::new(ctx);
    tx.write(rw);
    tx.audit(
        &caisse_id,
        &authed.user.id,
        "inactivation.applied",
        Some(&request.user_id),
    )?;
    let result = lifecycle::inactivate(
        ctx,
        &request.user_id,
        Reason::Manual,
        &authed.user.id,
        request.successor_id.as_deref(),
        tx,
        ctx.now(),
    )
    .await?;
    Ok(json(
        200,
        &serde_json::json!({
            "request": done,
            "account": view(&result.user),
            "reattached": result.reattached,
            "successor_id": result.successor,
        }),
    ))
}

pub async fn reject(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let how = Rejection {
        state: || InactivationState::Rejected,
        action: "inactivation.rejected",
        target: |r: &InactivationRequest| r.user_id.clone(),
        notice: None,
    };
    queue::reject(ctx, req, authed, how, async |_: &InactivationRequest| {
        Ok(None)
    })
    .await
}
