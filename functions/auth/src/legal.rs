//! What the legal pages show from the configuration (SPEC §5 "Legal pages"): how long
//! each kind of personal data is kept, so that the « Données personnelles » page states
//! the values this deployment applies rather than a copy that could drift.

use ep_common::Ctx;
use ep_common::http::json;
use lambda_http::Request;
use serde::Serialize;

use crate::Answer;

/// Durations as configured, in the unit the configuration uses.
#[derive(Debug, Serialize)]
struct Retention {
    /// Closed requests, their messages and attachments: deleted this long after closing.
    request_months: i64,
    /// Audit events (sign-ins, account changes, request actions, downloads).
    audit_months: i64,
    /// An inactive account, and a rejected habilitation request: deleted this long after.
    account_months: i64,
    /// Sessions: ended after this much inactivity, and at the latest after `session_hours`.
    session_idle_minutes: i64,
    session_hours: i64,
    /// Single-use links (activation, password reset).
    link_hours: i64,
    /// Passwords must be changed this often.
    password_days: i64,
    /// Attachments: at most this many per request, each of at most this size.
    attachment_max_count: u32,
    attachment_max_bytes: u64,
}

/// `GET /api/legal`: public, no personal data.
pub(crate) async fn legal(ctx: &Ctx, _req: &Request) -> Answer {
    let c = &ctx.config;
    let retention = Retention {
        request_months: c.request_retention_months,
        audit_months: c.audit_retention_months,
        account_months: ep_domain::exclusion::PURGE_AFTER_MONTHS,
        session_idle_minutes: c.session_idle_minutes,
        session_hours: c.session_absolute_hours,
        link_hours: c.link_ttl_hours,
        password_days: c.password_max_age_days,
        attachment_max_count: c.attachment_max_count,
        attachment_max_bytes: c.attachment_max_bytes,
    };
    Ok(json(200, &serde_json::json!({ "retention": retention })))
}
