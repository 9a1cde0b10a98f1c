//! The `attachments` function: attachment uploads, malware scanning and downloads.
//! Its endpoints come with their issue; until then it has no route in `template.yaml`
//! and answers 404 to anything.

use ep_common::Ctx;
use ep_common::http::{Problem, route_key};
use lambda_http::{Body, Request, Response};

/// Route keys of this function; `template.yaml` declares exactly these (a test checks it).
pub const ROUTES: &[&str] = &[];

pub async fn handle(_ctx: Ctx, req: Request) -> Response<Body> {
    tracing::debug!(route = ?route_key(&req), "no such route");
    Problem::not_found().into_response()
}
