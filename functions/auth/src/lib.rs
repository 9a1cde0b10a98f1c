//! The `auth` function: sign-in, sessions, passwords, the current user.

use ep_common::Ctx;
use ep_common::http::{Problem, json, route_key};
use lambda_http::{Body, Request, Response};

/// Route keys of this function; `template.yaml` declares exactly these (a test checks it).
pub const ROUTES: &[&str] = &["GET /api/health"];

pub async fn handle(ctx: Ctx, req: Request) -> Response<Body> {
    match route_key(&req).as_deref() {
        Some("GET /api/health") => health(&ctx).await,
        _ => Problem::not_found().into_response(),
    }
}

/// Readiness: answers 200 when the store answers, 503 otherwise.
async fn health(ctx: &Ctx) -> Response<Body> {
    match ctx.table.get("HEALTH", "HEALTH").await {
        Ok(_) => json(200, &serde_json::json!({ "status": "ok" })),
        Err(e) => Problem::from(e).into_response(),
    }
}
