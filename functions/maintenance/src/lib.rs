//! The `maintenance` function: run on a schedule (EventBridge on AWS, a timer in the
//! local gateway), it handles everything due at `now`, found through the sparse
//! `due` index (never a scan): its cost grows with the work due, not the table size.

use ep_common::Ctx;
use ep_common::emails::{DeliveryCounts, deliver_due};
use ep_common::table::StoreError;
use serde::Serialize;

/// What one run did (ids and counts only: this is logged).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub emails: DeliveryCounts,
}

/// One run: every kind of due work, each bounded by `maintenance_batch`; what is
/// left waits for the next run.
pub async fn run(ctx: &Ctx) -> Result<RunReport, StoreError> {
    let now = ctx.now();
    let batch = ctx.config.maintenance_batch;
    let emails = deliver_due(ctx, now, batch).await?;
    let report = RunReport { emails };
    tracing::info!(
        sent = report.emails.sent,
        retry = report.emails.retry,
        failed = report.emails.failed,
        skipped = report.emails.skipped,
        "maintenance run"
    );
    Ok(report)
}
