//! Clean-up of what has expired: sessions (at their absolute expiry), emailed links
//! (a week after expiry, so a late click still says "expired"), brute-force throttle
//! records (after their window), audit events (after `audit_retention_months`); and
//! the local outbox's retention ([`crate::OUTBOX_RETENTION_DAYS`]).
//!
//! Each item is deleted on its own, conditioned on the version read from the due
//! index (or, for audit events, which never change, on existence): an item changed
//! since — a throttle record counting a new failure, whose due date then moves — is
//! left for later.

use ep_common::Ctx;
use ep_common::table::{Cond, Item, StoreError};
use jiff::{SignedDuration, Timestamp};

use crate::OUTBOX_RETENTION_DAYS;
use crate::due::{Counts, Kinds, Outcome};

/// Due-index partition of the auth function's throttle records (`THROTTLE#…` and
/// `THROTTLE#FORGOT#…`), as `ep_auth::throttle::DUE_THROTTLE` writes them.
pub(crate) const DUE_THROTTLE: &str = "DUE#throttle";

pub(crate) async fn expired(
    k: &mut Kinds<'_>,
    kind: &'static str,
    partition: &str,
) -> Result<Counts, StoreError> {
    let ctx = k.ctx;
    let (counts, _) = k
        .each(kind, partition, |item| delete_one(ctx, item))
        .await?;
    Ok(counts)
}

async fn delete_one(ctx: &Ctx, item: Item) -> Result<Outcome, StoreError> {
    let cond = match item.version() {
        Some(v) => Cond::VersionEquals(v),
        None => Cond::Exists,
    };
    match ctx.table.delete(item.pk(), item.sk(), cond).await {
        Ok(()) => Ok(Outcome::Done(0)),
        Err(StoreError::ConditionFailed) => Ok(Outcome::Skipped),
        Err(e) => Err(e),
    }
}

/// Removes outbox messages older than the retention (embedded store only; the
/// default `Mailer::prune` does nothing). A failure is logged, not fatal.
pub(crate) async fn prune_outbox(ctx: &Ctx, now: Timestamp) -> u32 {
    let before = now - SignedDuration::from_hours(24 * OUTBOX_RETENTION_DAYS);
    match ctx.mailer.prune(before).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "outbox retention not applied");
            0
        }
    }
}
