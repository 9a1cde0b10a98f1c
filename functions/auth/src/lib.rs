//! The `auth` function: sign-in and sign-out, sessions, account activation, password
//! change and reset, CGU acceptance, the current user (SPEC §1, §3 "Password and
//! first login"; DESIGN "Sessions", "Passwords").

mod account;
mod legal;
mod links;
mod me;
pub mod password;
mod second_factor;
mod signin;
pub mod throttle;
pub mod totp;

pub(crate) use account::*;
pub(crate) use legal::*;
pub use links::FORGOT_ANSWER_FLOOR;
pub(crate) use links::*;
pub(crate) use me::*;
pub(crate) use second_factor::*;
pub(crate) use signin::*;

use ep_common::Ctx;
use ep_common::audit::{self, Event};
use ep_common::http::{Problem, json};
use ep_common::table::{StoreError, Write};
use ep_common::tokens::Purpose;
use ep_common::users::User;
use lambda_http::{Body, Request, Response};

// Every route checks its own session needs: sign-in and links are open, the
// current user's routes are reachable while required actions are pending.
ep_common::routes! {
    "GET /api/health" => Public health;
    "GET /api/legal" => Public legal;
    "POST /api/auth/login" => Public login;
    "POST /api/auth/logout" => Public logout;
    "POST /api/auth/token" => Public token_info;
    "POST /api/auth/activate" => Public activate;
    "POST /api/auth/forgot" => Public forgot;
    "POST /api/auth/reset" => Public reset;
    "GET /api/me" => Public me;
    "POST /api/me/cgu" => Public accept_cgu;
    "POST /api/me/password" => Public change_password;
    "GET /api/cgu" => Public get_cgu;
    "POST /api/cgu" => Public publish_cgu;
    "POST /api/auth/second-factor" => Public verify_second_factor;
    "POST /api/me/second-factor/setup" => Public setup_second_factor;
    "POST /api/me/second-factor/confirm" => Public confirm_second_factor;
}

pub(crate) type Answer = Result<Response<Body>, Problem>;

pub(crate) async fn activate(ctx: &Ctx, req: &Request) -> Answer {
    set_from_link(ctx, req, Purpose::Activation).await
}

pub(crate) async fn reset(ctx: &Ctx, req: &Request) -> Answer {
    set_from_link(ctx, req, Purpose::Reset).await
}

/// Readiness: answers 200 when the store answers, 503 otherwise.
pub(crate) async fn health(ctx: &Ctx, _req: &Request) -> Answer {
    ctx.table.get("HEALTH", "HEALTH").await?;
    Ok(json(200, &serde_json::json!({ "status": "ok" })))
}

pub(crate) fn with_cookie(mut res: Response<Body>, cookie: &str) -> Response<Body> {
    if let Ok(v) = lambda_http::http::HeaderValue::from_str(cookie) {
        res.headers_mut()
            .append(lambda_http::http::header::SET_COOKIE, v);
    }
    res
}

pub(crate) fn no_content() -> Response<Body> {
    let mut res = ep_common::http::respond(204, "application/json", Body::Empty);
    res.headers_mut()
        .remove(lambda_http::http::header::CONTENT_TYPE);
    res
}

pub(crate) fn audit_org(user: &User) -> &str {
    &user.org_id
}

pub(crate) fn audit_write(ctx: &Ctx, org: &str, event: Event) -> Result<Write, StoreError> {
    audit::record(org, event, ctx.config.audit_retention_months)
}
