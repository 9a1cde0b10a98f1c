//! The `accounts` function: caisses and agents, partners and conventions, partner
//! accounts and their lifecycle — habilitation, modification, inactivation,
//! exclusion, habilitation reviews (SPEC §1–§3, convention §2.2, §4).

mod accounts;
mod caisses;
mod partners;
mod people;
mod requests;
mod util;

use ep_common::Ctx;
use ep_common::http::{Problem, check_origin, route_key};
use ep_common::sessions::{self, Gate};
use lambda_http::{Body, Request, Response};

/// Route keys of this function; `template.yaml` declares exactly these (a test checks it).
pub const ROUTES: &[&str] = &[
    "GET /api/caisses",
    "POST /api/caisses",
    "GET /api/caisses/{caisse_id}",
    "PUT /api/caisses/{caisse_id}",
    "GET /api/caisses/{caisse_id}/agents",
    "POST /api/caisses/{caisse_id}/agents",
    "POST /api/caisses/{caisse_id}/agents/{user_id}/inactivate",
    "GET /api/partners",
    "POST /api/partners",
    "GET /api/partners/{partner_id}",
    "PUT /api/partners/{partner_id}",
    "PUT /api/partners/{partner_id}/convention",
    "POST /api/partners/{partner_id}/suspend",
    "POST /api/partners/{partner_id}/reinstate",
    "GET /api/partners/{partner_id}/audit",
    "GET /api/partners/{partner_id}/accounts",
    "GET /api/partners/{partner_id}/accounts.csv",
    "POST /api/partners/{partner_id}/techniciens",
    "PUT /api/partners/{partner_id}/techniciens/{user_id}",
    "POST /api/partners/{partner_id}/techniciens/{user_id}/inactivate",
    "POST /api/partners/{partner_id}/accounts/{user_id}/exclude",
    "GET /api/partners/{partner_id}/notices",
    "POST /api/partners/{partner_id}/reviews",
    "POST /api/partners/{partner_id}/reviews/confirm",
    "POST /api/partners/{partner_id}/habilitations",
    "GET /api/habilitations",
    "POST /api/habilitations/{request_id}/approve",
    "POST /api/habilitations/{request_id}/reject",
    "POST /api/partners/{partner_id}/modifications",
    "GET /api/modifications",
    "POST /api/modifications/{request_id}/apply",
    "POST /api/modifications/{request_id}/reject",
    "POST /api/partners/{partner_id}/inactivations",
    "GET /api/inactivations",
    "POST /api/inactivations/{request_id}/apply",
    "POST /api/inactivations/{request_id}/reject",
    "GET /api/help",
    "GET /api/emails/failed",
];

pub async fn handle(ctx: Ctx, req: Request) -> Response<Body> {
    dispatch(&ctx, &req)
        .await
        .unwrap_or_else(Problem::into_response)
}

async fn dispatch(ctx: &Ctx, req: &Request) -> Result<Response<Body>, Problem> {
    let route = route_key(req).unwrap_or_default();
    if !ROUTES.contains(&route.as_str()) {
        return Err(Problem::not_found());
    }
    check_origin(req, &ctx.config.public_url)?;
    // Every endpoint needs a signed-in user who has done the required actions; the
    // help page stays open to a suspended partner's users.
    let gate = if route == "GET /api/help" {
        Gate::FullEvenIfSuspended
    } else {
        Gate::Full
    };
    let authed = sessions::require(ctx, req, gate).await?;
    let a = &authed;
    match route.as_str() {
        "GET /api/caisses" => caisses::list(ctx, a).await,
        "POST /api/caisses" => caisses::create(ctx, req, a).await,
        "GET /api/caisses/{caisse_id}" => caisses::get(ctx, req, a).await,
        "PUT /api/caisses/{caisse_id}" => caisses::update(ctx, req, a).await,
        "GET /api/caisses/{caisse_id}/agents" => caisses::list_agents(ctx, req, a).await,
        "POST /api/caisses/{caisse_id}/agents" => caisses::create_agent(ctx, req, a).await,
        "POST /api/caisses/{caisse_id}/agents/{user_id}/inactivate" => {
            caisses::inactivate_agent(ctx, req, a).await
        }
        "GET /api/partners" => partners::list(ctx, req, a).await,
        "POST /api/partners" => partners::create(ctx, req, a).await,
        "GET /api/partners/{partner_id}" => partners::get(ctx, req, a).await,
        "PUT /api/partners/{partner_id}" => partners::update(ctx, req, a).await,
        "PUT /api/partners/{partner_id}/convention" => {
            partners::update_convention(ctx, req, a).await
        }
        "POST /api/partners/{partner_id}/suspend" => partners::suspend(ctx, req, a).await,
        "POST /api/partners/{partner_id}/reinstate" => partners::reinstate(ctx, req, a).await,
        "GET /api/partners/{partner_id}/audit" => partners::audit(ctx, req, a).await,
        "GET /api/partners/{partner_id}/accounts" => accounts::list(ctx, req, a).await,
        "GET /api/partners/{partner_id}/accounts.csv" => accounts::export_csv(ctx, req, a).await,
        "POST /api/partners/{partner_id}/techniciens" => {
            accounts::create_technicien(ctx, req, a).await
        }
        "PUT /api/partners/{partner_id}/techniciens/{user_id}" => {
            accounts::update_technicien(ctx, req, a).await
        }
        "POST /api/partners/{partner_id}/techniciens/{user_id}/inactivate" => {
            accounts::inactivate_technicien(ctx, req, a).await
        }
        "POST /api/partners/{partner_id}/accounts/{user_id}/exclude" => {
            accounts::exclude(ctx, req, a).await
        }
        "GET /api/partners/{partner_id}/notices" => accounts::notices(ctx, req, a).await,
        "POST /api/partners/{partner_id}/reviews" => accounts::request_review(ctx, req, a).await,
        "POST /api/partners/{partner_id}/reviews/confirm" => {
            accounts::confirm_review(ctx, req, a).await
        }
        "POST /api/partners/{partner_id}/habilitations" => {
            requests::create_habilitation(ctx, req, a).await
        }
        "GET /api/habilitations" => requests::list_habilitations(ctx, req, a).await,
        "POST /api/habilitations/{request_id}/approve" => {
            requests::approve_habilitation(ctx, req, a).await
        }
        "POST /api/habilitations/{request_id}/reject" => {
            requests::reject_habilitation(ctx, req, a).await
        }
        "POST /api/partners/{partner_id}/modifications" => {
            requests::create_modification(ctx, req, a).await
        }
        "GET /api/modifications" => requests::list_modifications(ctx, req, a).await,
        "POST /api/modifications/{request_id}/apply" => {
            requests::apply_modification(ctx, req, a).await
        }
        "POST /api/modifications/{request_id}/reject" => {
            requests::reject_modification(ctx, req, a).await
        }
        "POST /api/partners/{partner_id}/inactivations" => {
            requests::create_inactivation(ctx, req, a).await
        }
        "GET /api/inactivations" => requests::list_inactivations(ctx, req, a).await,
        "POST /api/inactivations/{request_id}/apply" => {
            requests::apply_inactivation(ctx, req, a).await
        }
        "POST /api/inactivations/{request_id}/reject" => {
            requests::reject_inactivation(ctx, req, a).await
        }
        "GET /api/help" => partners::help(ctx, a).await,
        "GET /api/emails/failed" => failed_emails(ctx, a).await,
        _ => Err(Problem::not_found()),
    }
}

/// Emails that could not be sent after `EP_EMAIL_RETRY_HOURS` (kept 30 days), for
/// the platform admin: nothing is silently lost.
async fn failed_emails(ctx: &Ctx, authed: &sessions::Authed) -> Result<Response<Body>, Problem> {
    if authed.user.role != ep_common::users::Role::Admin {
        return Err(Problem::not_found());
    }
    let items = ep_common::emails::failed_details(ctx, 200).await?;
    Ok(ep_common::http::json(
        200,
        &serde_json::json!({ "items": items }),
    ))
}
