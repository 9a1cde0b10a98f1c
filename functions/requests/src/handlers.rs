//! The HTTP side of the requests function: each handler reads the path, query or
//! body, calls one use case and maps its result to a response.

use ep_common::Ctx;
use std::sync::Arc;

use ep_common::http::{Problem, json, parse_json, path_param, query_param, respond};
use ep_common::requests::history_stamp;
use ep_common::routes::Answer;
use ep_common::sessions::Authed;
use lambda_http::{Body, Request};
use serde_json::{Value, json};

use crate::actions::{self, ActionBody};
use crate::lists::{self, parse_filters};
use crate::options;
use crate::pages;
use crate::submit::{self, validate_request};
use crate::support::{require_agent, require_partner_user};
use crate::views;

/// `GET /api/requests/options`: what the new-request form offers this user.
pub async fn options(ctx: &Ctx, _req: &Request, a: &Authed) -> Answer {
    Ok(json(200, &options::options(ctx, a).await?))
}

/// `POST /api/requests/check`: the submission's validation on a form being typed.
pub async fn check(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let body: Value = parse_json(req)?;
    let (checked, _) = validate_request(ctx, a, &body, false).await?;
    let mut errors = serde_json::Map::new();
    for e in checked.errors.0 {
        errors.entry(e.field).or_insert(Value::String(e.message));
    }
    Ok(json(
        200,
        &json!({"ok": errors.is_empty(), "errors": errors}),
    ))
}

/// `POST /api/requests`: a technicien submits a request.
pub async fn submit(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let body: Value = parse_json(req)?;
    let (rec, thread) = submit::submit(ctx, a, &body).await?;
    let side = ep_common::requests::Side::Partner;
    let mut page = views::detail(&rec, &thread, &actions::available(&rec, side, &a.user.id));
    let fields =
        ep_common::attachments::page_fields(&ctx.config, &rec, &[], side, &a.user.id, ctx.now());
    views::with_attachments(&mut page, fields);
    Ok(json(201, &page))
}

/// `GET /api/requests`: the partner's history. A page is kept in memory and served
/// again while the partner's history stamp is unchanged (`pages`): one read
/// instead of the query, its parsing and writing.
pub async fn history(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let partner_id = require_partner_user(a)?;
    let filters = parse_filters(|k| query_param(req, k))?;
    let key = format!("{partner_id}\n{filters:?}");
    let stamp = history_stamp(ctx.table.as_ref(), partner_id).await?;
    if let Some(body) = stamp.as_deref().and_then(|s| pages::get(&key, s)) {
        return Ok(respond(
            200,
            "application/json",
            Body::Text(body.to_string()),
        ));
    }
    let page = lists::history(ctx, partner_id, &filters).await?;
    let body = serde_json::to_string(&page).map_err(|e| {
        tracing::error!(error = %e, "response serialisation failed");
        Problem::unavailable()
    })?;
    if let Some(stamp) = stamp {
        pages::put(key, stamp, Arc::from(body.as_str()));
    }
    Ok(respond(200, "application/json", Body::Text(body)))
}

/// `GET /api/requests/{request_id}`: the request page.
pub async fn detail(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let id = path_param(req, "request_id").ok_or_else(Problem::not_found)?;
    Ok(json(200, &actions::detail(ctx, a, &id).await?))
}

/// `POST /api/requests/{request_id}/actions`: take, message, ask, reply, answer, close.
pub async fn act(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let id = path_param(req, "request_id").ok_or_else(Problem::not_found)?;
    let body: ActionBody = parse_json(req)?;
    Ok(json(200, &actions::act(ctx, a, &id, &body).await?))
}

/// `GET /api/queue`: the caisse's queue, with the counts per state.
pub async fn queue(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let caisse_id = require_agent(a)?;
    let filters = parse_filters(|k| query_param(req, k))?;
    Ok(json(
        200,
        &lists::queue(ctx, caisse_id, &a.user.id, &filters).await?,
    ))
}
