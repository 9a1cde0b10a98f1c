//! GuardDuty Malware Protection for S3: its scan result for an object of the
//! attachments bucket arrives as an EventBridge event (detail-type « GuardDuty
//! Malware Protection Object Scan Result »). `NO_THREATS_FOUND` makes the file
//! `safe`; `THREATS_FOUND` rejects it; any other result (`UNSUPPORTED`,
//! `ACCESS_DENIED`, `FAILED`, or one AWS adds later) rejects it too, with a reason an
//! agent can read: a file is never released unscanned. Events are delivered at least
//! once: a result for a file no longer `pending` (already settled, removed, purged)
//! changes nothing.

use ep_common::Ctx;
use ep_common::attachments::AttachmentState;
use ep_common::requests::load_full;
use serde_json::Value;

use crate::access::{ATTEMPTS, commit};
use crate::checks::{Outcome, settle};
use crate::texts;

pub const DETAIL_TYPE: &str = "GuardDuty Malware Protection Object Scan Result";

#[derive(Debug, thiserror::Error)]
pub enum ScanEventError {
    #[error("scan result without {0}")]
    Missing(&'static str),
    #[error("store: {0}")]
    Store(String),
}

/// Whether `payload` is a GuardDuty S3 object scan result.
pub fn is_scan_result(payload: &Value) -> bool {
    payload.get("source").and_then(Value::as_str) == Some("aws.guardduty")
        && payload.get("detail-type").and_then(Value::as_str) == Some(DETAIL_TYPE)
}

/// What a scan result status means for the file.
pub fn outcome_of(status: &str) -> Outcome {
    match status {
        "NO_THREATS_FOUND" => Outcome::Safe,
        "THREATS_FOUND" => Outcome::rejected(texts::MALWARE, "malware"),
        "UNSUPPORTED" => Outcome::rejected(texts::ENGINE_UNSUPPORTED, "scan_unsupported"),
        "ACCESS_DENIED" => Outcome::rejected(texts::ENGINE_FAILED, "scan_access_denied"),
        _ => Outcome::rejected(texts::ENGINE_FAILED, "scan_failed"),
    }
}

/// `(request id, attachment id)` of a checked file's key `files/<request>/<id>`.
fn ids_of(key: &str) -> Option<(&str, &str)> {
    let mut parts = key.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("files"), Some(r), Some(a), None) => Some((r, a)),
        _ => None,
    }
}

/// The attachment a scan result is about, and its status; `None` for an object
/// that is not a checked file of this installation's bucket.
fn target<'p>(
    ctx: &Ctx,
    payload: &'p Value,
) -> Result<Option<(&'p str, &'p str, &'p str)>, ScanEventError> {
    let detail = payload
        .get("detail")
        .ok_or(ScanEventError::Missing("detail"))?;
    let bucket = detail
        .pointer("/s3ObjectDetails/bucketName")
        .and_then(Value::as_str);
    let key = detail
        .pointer("/s3ObjectDetails/objectKey")
        .and_then(Value::as_str)
        .ok_or(ScanEventError::Missing("detail.s3ObjectDetails.objectKey"))?;
    let status = detail
        .pointer("/scanResultDetails/scanResultStatus")
        .and_then(Value::as_str)
        .unwrap_or("FAILED");
    if bucket.is_some_and(|b| b != ctx.config.attachments_bucket) {
        tracing::warn!(status, "scan result for another bucket ignored");
        return Ok(None);
    }
    let Some((request_id, id)) = ids_of(key) else {
        tracing::info!(
            status,
            "scan result for a key that is not a checked file ignored"
        );
        return Ok(None);
    };
    Ok(Some((request_id, id, status)))
}

/// Applies one scan result; returns what it did (`safe`, `rejected`, `ignored`).
pub async fn handle(ctx: &Ctx, payload: &Value) -> Result<&'static str, ScanEventError> {
    let Some((request_id, id, status)) = target(ctx, payload)? else {
        return Ok("ignored");
    };
    let outcome = outcome_of(status);
    if request_id == "documents" {
        // A published document (`files/documents/<id>`).
        return crate::documents::scan_result(ctx, id, &outcome)
            .await
            .map_err(|p| ScanEventError::Store(p.detail.clone()));
    }
    for attempt in 1..=ATTEMPTS {
        let store = |e: ep_common::table::StoreError| ScanEventError::Store(e.to_string());
        let Some(loaded) = load_full(ctx.table.as_ref(), request_id)
            .await
            .map_err(store)?
        else {
            tracing::info!(attachment = %id, status, "scan result for a deleted request");
            return Ok("ignored");
        };
        let Some(att) = loaded.attachments.iter().find(|a| a.id == id).cloned() else {
            tracing::info!(attachment = %id, status, "scan result for a removed attachment");
            return Ok("ignored");
        };
        if att.state != AttachmentState::Pending {
            tracing::info!(attachment = %id, status, "scan result for a settled attachment");
            return Ok("ignored");
        }
        let problem = |p: ep_common::http::Problem| ScanEventError::Store(p.detail.clone());
        let (tx, settled) = settle(
            ctx,
            &loaded,
            &att,
            &outcome,
            None,
            ep_common::audit::SYSTEM_ACTOR,
        )
        .await
        .map_err(problem)?;
        if commit(ctx, tx, attempt).await.map_err(problem)? {
            settled.sweep(ctx).await;
            tracing::info!(attachment = %id, status, "scan result applied");
            return Ok(settled.record.state.code());
        }
    }
    Err(ScanEventError::Store("the attachment kept changing".into()))
}
