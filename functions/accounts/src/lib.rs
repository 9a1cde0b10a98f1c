//! The `accounts` function: caisses and agents, partners and conventions, partner
//! accounts and their lifecycle — habilitation, modification, inactivation,
//! exclusion, habilitation reviews (SPEC §1–§3, convention §2.2, §4).

mod accounts;
mod caisses;
mod exclusion;
mod first_gestionnaire;
mod habilitation;
mod inactivation;
mod joining;
mod journal;
mod modification;
mod partner_form;
mod partner_view;
mod partners;
mod people;
mod queue;
mod second_factor;
mod suspension;
mod texts;
mod util;
mod windows;

use ep_common::Ctx;
use ep_common::http::Problem;
use ep_common::sessions;
use lambda_http::{Body, Request, Response};

ep_common::routes! {
    "GET /api/caisses" => Full caisses::list;
    "POST /api/caisses" => Full caisses::create;
    "GET /api/caisses/{caisse_id}" => Full caisses::get;
    "PUT /api/caisses/{caisse_id}" => Full caisses::update;
    "GET /api/caisses/{caisse_id}/agents" => Full caisses::list_agents;
    "POST /api/caisses/{caisse_id}/agents" => Full caisses::create_agent;
    "POST /api/caisses/{caisse_id}/agents/{user_id}/inactivate" => Full caisses::inactivate_agent;
    "GET /api/partners" => Full partners::list;
    "POST /api/partners" => Full partners::create;
    "GET /api/partners/{partner_id}" => Full partners::get;
    "PUT /api/partners/{partner_id}" => Full partners::update;
    "PUT /api/partners/{partner_id}/convention" => Full partners::update_convention;
    "POST /api/partners/{partner_id}/suspend" => Full suspension::suspend;
    "POST /api/partners/{partner_id}/reinstate" => Full suspension::reinstate;
    "GET /api/partners/{partner_id}/audit" => Full suspension::audit;
    "GET /api/partners/{partner_id}/accounts" => Full accounts::list;
    "GET /api/partners/{partner_id}/accounts.csv" => Full accounts::export_csv;
    "POST /api/partners/{partner_id}/techniciens" => Full accounts::create_technicien;
    "PUT /api/partners/{partner_id}/techniciens/{user_id}" => Full accounts::update_technicien;
    "POST /api/partners/{partner_id}/techniciens/{user_id}/inactivate" => Full accounts::inactivate_technicien;
    "POST /api/partners/{partner_id}/accounts/{user_id}/exclude" => Full exclusion::exclude;
    "GET /api/partners/{partner_id}/notices" => Full exclusion::notices;
    "POST /api/partners/{partner_id}/reviews" => Full accounts::request_review;
    "POST /api/partners/{partner_id}/reviews/confirm" => Full accounts::confirm_review;
    "POST /api/partners/{partner_id}/habilitations" => Full habilitation::create;
    "GET /api/habilitations" => Full habilitation::list;
    "POST /api/habilitations/{request_id}/approve" => Full habilitation::approve;
    "POST /api/habilitations/{request_id}/reject" => Full habilitation::reject;
    "POST /api/partners/{partner_id}/modifications" => Full modification::create;
    "GET /api/modifications" => Full modification::list;
    "POST /api/modifications/{request_id}/apply" => Full modification::apply;
    "POST /api/modifications/{request_id}/reject" => Full modification::reject;
    "POST /api/partners/{partner_id}/inactivations" => Full inactivation::create;
    "GET /api/inactivations" => Full inactivation::list;
    "POST /api/inactivations/{request_id}/apply" => Full inactivation::apply;
    "POST /api/inactivations/{request_id}/reject" => Full inactivation::reject;
    "GET /api/help" => FullEvenIfSuspended suspension::help;
    "GET /api/emails/failed" => Full failed_emails;
    "GET /api/maintenance-windows" => FullDuringMaintenance windows::list;
    "POST /api/maintenance-windows" => FullDuringMaintenance windows::announce;
    "PUT /api/maintenance-windows/{window_id}" => FullDuringMaintenance windows::update;
    "POST /api/maintenance-windows/{window_id}/cancel" => FullDuringMaintenance windows::cancel;
    "POST /api/partners/{partner_id}/accounts/{user_id}/second-factor/reset" => Full second_factor::reset_partner_user;
    "POST /api/caisses/{caisse_id}/agents/{user_id}/second-factor/reset" => Full second_factor::reset_agent;
    "GET /api/audit" => Full journal::list;
    "GET /api/audit.csv" => Full journal::export_csv;
    "POST /api/audit/verify" => Full journal::verify;
}

/// Emails that could not be sent after `EP_EMAIL_RETRY_HOURS` (kept 30 days), for
/// the platform admin: nothing is silently lost.
async fn failed_emails(
    ctx: &Ctx,
    _req: &Request,
    authed: &sessions::Authed,
) -> Result<Response<Body>, Problem> {
    if authed.user.role != ep_common::users::Role::Admin {
        return Err(Problem::not_found());
    }
    let items = ep_common::emails::failed_details(ctx, 200).await?;
    Ok(ep_common::http::json(
        200,
        &serde_json::json!({ "items": items }),
    ))
}
