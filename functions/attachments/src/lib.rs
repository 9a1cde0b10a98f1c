//! The `attachments` function (SPEC §4, convention §1.3, §3.1, §5; contract
//! `notes/attachments-contract.md`): upload links for a request's files, the checks
//! of an uploaded file (built-in checks, then clamd at once or GuardDuty later), the
//! removal of a file by its uploader, and short-lived download links for checked
//! files only. Data layout: `ep_common::attachments`.
//!
//! The Lambda receives two kinds of events (`handle_event`): API Gateway's HTTP
//! events (the routes below) and EventBridge's « GuardDuty Malware Protection Object
//! Scan Result » events (`guardduty`).

mod access;
mod checks;
mod documents;
mod download;
pub mod guardduty;
mod handlers;
pub mod texts;
mod upload;

use ep_common::Ctx;
use serde_json::Value;

ep_common::routes! {
    "POST /api/requests/{request_id}/attachments" => Full handlers::create;
    "POST /api/attachments/{attachment_id}/confirm" => Full handlers::confirm;
    "DELETE /api/attachments/{attachment_id}" => Full handlers::delete;
    "GET /api/attachments/{attachment_id}/download" => Full handlers::download;
    "GET /api/documents" => Full handlers::documents;
    "POST /api/documents" => Full handlers::publish_document;
    "POST /api/documents/{version_id}/confirm" => Full handlers::confirm_document;
    "GET /api/documents/{version_id}/download" => Full handlers::download_document;
}

/// Why an event was refused.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("unknown event: expected an API Gateway HTTP event or a GuardDuty malware scan result")]
    Unknown,
    #[error("unreadable HTTP event: {0}")]
    Http(String),
    #[error(transparent)]
    Scan(#[from] guardduty::ScanEventError),
}

/// The Lambda's handler: dispatches on the event's shape. An API Gateway v2 event
/// (`version` 2.0 with a `requestContext.http`) goes to the routes and its response
/// is returned in API Gateway's shape; an EventBridge GuardDuty scan result updates
/// the attachment it names.
pub async fn handle_event(ctx: &Ctx, payload: Value) -> Result<Value, EventError> {
    if guardduty::is_scan_result(&payload) {
        let outcome = guardduty::handle(ctx, &payload).await?;
        return Ok(serde_json::json!({ "outcome": outcome }));
    }
    let is_http = payload.get("version").and_then(Value::as_str) == Some("2.0")
        && payload.pointer("/requestContext/http").is_some();
    if !is_http {
        return Err(EventError::Unknown);
    }
    let req = lambda_http::request::from_str(&payload.to_string())
        .map_err(|e| EventError::Http(e.to_string()))?;
    let res = handle(ctx.clone(), req).await;
    Ok(http_response(res))
}

/// An HTTP response in API Gateway v2's shape (what `lambda_http::run` returns).
pub fn http_response(res: lambda_http::Response<lambda_http::Body>) -> Value {
    use lambda_http::Body;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
    let (parts, body) = res.into_parts();
    let mut out = ApiGatewayV2httpResponse::default();
    let mut headers = parts.headers;
    out.cookies = headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    headers.remove(http::header::SET_COOKIE);
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = headers;
    (out.is_base64_encoded, out.body) = match body {
        Body::Empty => (false, None),
        b @ Body::Text(_) => (false, Some(b)),
        b @ Body::Binary(_) => (true, Some(b)),
        _ => (false, None),
    };
    serde_json::to_value(out).unwrap_or(Value::Null)
}
