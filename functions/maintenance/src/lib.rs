//! The `maintenance` function: run on a schedule (EventBridge on AWS, a timer in the
//! local gateway), it handles everything due at `now`, found through the sparse
//! `due` index (never a scan): its cost grows with the work due, not the table size.
//!
//! Every kind of work has its own partition of the due index, read with
//! `due_at <= now`, oldest first, at most `maintenance_batch` items per kind and run.
//! Each item is handled in its own conditional transaction (the record's version `v`):
//! the write that does the work also takes the item out of the due index. So a run
//! that stops half-way (crash, timeout) or two runs at the same time never do anything
//! twice nor leave half-done work: an item is either done, or still due and picked up
//! by the next run. Emails caused by the work are pending items of the same
//! transaction, sent after commit and retried by `emails::deliver_due`.
//!
//! | kind | partition | what |
//! |---|---|---|
//! | convention end | `DUE#convention_end` | partner without another active convention: its accounts inactivated; the convention `ended` |
//! | scheduled inactivation | `DUE#inactivation` | gestionnaire inactivated on the wanted date (techniciens re-attached), or the request rejected |
//! | purge | `DUE#purge` | 6 months after inactivation: account and identifiant deleted, personal data blanked in the items pointing to it |
//! | request purge | `DUE#request_purge` | closed requests, `request_retention_months` after closing: attachments and their blobs, record, thread, index items, reference deleted, counts updated |
//! | upload slots | `DUE#attachment_slot` | slots never confirmed, at their expiry: record and any uploaded bytes deleted |
//! | stalled scans | `DUE#attachment_scan` | files still `pending` `scan_alert_minutes` after upload: flagged, alert logged, audit event; never released |
//! | blob deletions | `DUE#blob_delete` | blobs of refused, removed or purged files not yet deleted (and a last sweep of upload keys after their link expired) |
//! | password reminder | `DUE#password_reminder` | one email 15 days *(config)* before expiry |
//! | overdue habilitation | `DUE#hab_overdue` | one alert email per request to the caisse's active agents |
//! | sessions, links, throttles | `DUE#session`, `DUE#token`, `DUE#throttle` | deleted once expired |
//! | audit events | `DUE#audit` | deleted after `audit_retention_months`, oldest first per trail, moving the trail's checkpoint (`audit_trail`) |
//! | audit chains | `DUE#audit_verify` | each trail's hash chain verified daily (fully every 7 days); a break alerted once (`audit_trail`) |
//! | failed emails | `DUE#email_failed` | deleted 30 days after failing |
//! | pending emails | `DUE#email` | sent, retried with backoff, or marked failed |
//!
//! Logs carry ids and counts only.

mod attachments;
pub mod audit_trail;
mod cleanup;
mod conventions;
mod due;
mod inactivations;
mod purge;
mod reminders;
mod request_purge;
pub mod texts;

use std::time::{Duration, Instant};

use ep_common::Ctx;
use ep_common::emails::{DeliveryCounts, deliver_due};
use ep_common::table::StoreError;
use serde::Serialize;
use serde_json::Value;

pub use due::Counts;

/// Actor of the audit events the scheduler writes.
pub const SYSTEM: &str = "system";

/// Days the local outbox keeps a message. The outbox is the embedded stand-in for a
/// mail relay: a relay forwards a message and keeps no copy, whereas `.eml` files
/// would otherwise keep every name, address and link ever mailed for ever — and a
/// purged person would stay in the data directory. 30 days leave ample time to read
/// them on the development page (or, on a small installation, to forward them).
pub const OUTBOX_RETENTION_DAYS: i64 = 30;

/// A run stops taking new items after this long (the Lambda timeout in
/// `template.yaml` is 120 s); what is left waits for the next run.
pub const RUN_BUDGET: Duration = Duration::from_secs(90);

/// What one run did (ids and counts only: this is logged).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// Conventions marked ended (done: with its accounts inactivated or the caisse's
    /// access removed).
    pub convention_end: Counts,
    /// Accounts inactivated because their partner's last active convention ended.
    pub convention_end_accounts: u32,
    /// Scheduled gestionnaire inactivations (closed: rejected or already inactive).
    pub inactivation: Counts,
    /// Accounts erased 6 months after inactivation.
    pub purge: Counts,
    /// Closed requests deleted at the end of their retention.
    pub request_purge: Counts,
    /// Upload slots never confirmed, deleted at their expiry.
    pub attachment_slots: Counts,
    /// Files whose malware scan result never came, reported.
    pub attachment_scans: Counts,
    /// Recorded blob deletions done.
    pub blob_deletions: Counts,
    /// Password-expiry reminders (closed: rescheduled after a password change, or
    /// already expired).
    pub password_reminder: Counts,
    /// Overdue habilitation requests alerted (closed: the caisse has no active agent).
    pub hab_overdue: Counts,
    /// Alert emails written for overdue habilitation requests.
    pub hab_overdue_emails: u32,
    pub sessions: Counts,
    pub tokens: Counts,
    pub throttle: Counts,
    pub audit: Counts,
    /// Audit trails whose chain was verified.
    pub audit_check: Counts,
    /// Of those, trails found broken (alerted once per break).
    pub audit_broken: u32,
    /// Failed emails deleted 30 days after failing (they name their recipient).
    pub failed_emails: Counts,
    pub emails: DeliveryCounts,
    /// `.eml` files removed from the local outbox (always 0 on AWS).
    pub outbox_pruned: u32,
    /// Kinds with more due work than this run took (batch full or time out): the
    /// next run continues.
    pub unfinished: Vec<&'static str>,
}

/// Bounds a run in time.
pub(crate) struct Budget {
    deadline: Instant,
}

impl Budget {
    pub(crate) fn exhausted(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

/// One run: every kind of due work, each bounded by `maintenance_batch`; what is
/// left waits for the next run.
pub async fn run(ctx: &Ctx) -> Result<RunReport, StoreError> {
    let mut report = RunReport::default();
    let outcome = run_kinds(ctx, &mut report).await;
    // Always, even after an error: content erased by this run (or by a run that
    // stopped before its end) must not stay in the embedded store's WAL.
    let flushed = ctx.table.flush_erasures().await;
    outcome?;
    flushed?;
    tracing::info!(
        report = %serde_json::to_string(&report).unwrap_or_default(),
        "maintenance run"
    );
    Ok(report)
}

async fn run_kinds(ctx: &Ctx, report: &mut RunReport) -> Result<(), StoreError> {
    let now = ctx.now();
    let batch = ctx.config.maintenance_batch;
    let budget = Budget {
        deadline: Instant::now() + RUN_BUDGET,
    };
    let mut k = due::Kinds {
        ctx,
        now,
        batch,
        budget: &budget,
        unfinished: &mut report.unfinished,
    };
    // Inactivations first: an account inactivated now is purged only 6 months later,
    // but the emails they cause are then sent by this same run.
    let (c, accounts) = conventions::run(&mut k).await?;
    report.convention_end = c;
    report.convention_end_accounts = accounts;
    report.inactivation = inactivations::run(&mut k).await?;
    report.purge = purge::run(&mut k).await?;
    report.request_purge = request_purge::run(&mut k).await?;
    report.attachment_slots = attachments::slots(&mut k).await?;
    report.attachment_scans = attachments::stalled_scans(&mut k).await?;
    report.blob_deletions = attachments::blob_deletions(&mut k).await?;
    report.password_reminder = reminders::password_reminders(&mut k).await?;
    let (c, emails) = reminders::overdue_habilitations(&mut k).await?;
    report.hab_overdue = c;
    report.hab_overdue_emails = emails;
    report.sessions =
        cleanup::expired(&mut k, "sessions", ep_common::sessions::DUE_SESSION).await?;
    report.tokens = cleanup::expired(&mut k, "tokens", ep_common::tokens::DUE_TOKEN).await?;
    report.throttle = cleanup::expired(&mut k, "throttle", cleanup::DUE_THROTTLE).await?;
    report.audit = audit_trail::purge(&mut k).await?;
    let (c, broken) = audit_trail::check(&mut k).await?;
    report.audit_check = c;
    report.audit_broken = broken;
    report.failed_emails =
        cleanup::expired(&mut k, "failed_emails", ep_common::emails::DUE_EMAIL_FAILED).await?;
    report.emails = deliver_due(ctx, now, batch).await?;
    report.outbox_pruned = cleanup::prune_outbox(ctx, now).await;
    Ok(())
}

/// Why an invocation was refused.
#[derive(Debug)]
pub enum EventError {
    /// Neither a scheduled event nor `{"bootstrap_admin": true}`.
    Unknown,
    Store(StoreError),
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::Unknown => f.write_str(
                "unknown event: expected an EventBridge scheduled event or {\"bootstrap_admin\": true}",
            ),
            EventError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for EventError {}

impl EventError {
    /// The `errorType` Lambda reports for this error (instead of the Rust type name
    /// that `lambda_runtime` would derive): `UnknownEvent` or `StoreError`.
    pub fn error_type(&self) -> &'static str {
        match self {
            EventError::Unknown => "UnknownEvent",
            EventError::Store(_) => "StoreError",
        }
    }
}

/// What the Lambda runtime reports for a failed invocation: a meaningful
/// `errorType` and the message (ids only, never personal data).
impl From<EventError> for lambda_http::lambda_runtime::Diagnostic {
    fn from(e: EventError) -> Self {
        lambda_http::lambda_runtime::Diagnostic {
            error_type: e.error_type().to_owned(),
            error_message: e.to_string(),
        }
    }
}

impl From<StoreError> for EventError {
    fn from(e: StoreError) -> Self {
        EventError::Store(e)
    }
}

/// The Lambda's event handler: an EventBridge scheduled event runs the maintenance;
/// `{"bootstrap_admin": true}` (a one-off manual invocation, `infra/deploy.md`)
/// creates the first platform admin if the store has none.
pub async fn handle_event(ctx: &Ctx, payload: &Value) -> Result<Value, EventError> {
    if payload.get("bootstrap_admin").and_then(Value::as_bool) == Some(true) {
        let created = ep_common::bootstrap::ensure_admin(ctx).await?;
        // The identifiant goes back to whoever invoked (the deployer, the local
        // gateway's lambda mode), never to the logs.
        return Ok(serde_json::json!({
            "admin_created": created.is_some(),
            "identifiant": created,
        }));
    }
    if payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
        let report = run(ctx).await?;
        return serde_json::to_value(report)
            .map_err(|e| EventError::Store(StoreError::Invalid(e.to_string())));
    }
    Err(EventError::Unknown)
}
