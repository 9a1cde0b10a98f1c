//! Reading a partition of the due index, and the loop every kind of work shares.

use std::future::Future;

use ep_common::Ctx;
use ep_common::emails::ts_key;
use ep_common::table::{Index, Item, MAX_PAGE, Query, SkRange, StoreError};
use jiff::Timestamp;
use serde::Serialize;

use crate::Budget;

/// Counts of one kind of work in one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Items whose work was done.
    pub done: u32,
    /// Items taken out of the due index another way (rejected, rescheduled, nothing
    /// left to do).
    pub closed: u32,
    /// Items left as they were: no longer due, or handled by another run at the same
    /// time (a version check failed).
    pub skipped: u32,
    /// Items that could not be read or written (logged with their key); they stay
    /// due.
    pub errors: u32,
}

/// What handling one item did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Done, with a secondary count (accounts inactivated, emails written).
    Done(u32),
    Closed,
    Skipped,
    /// Part of the work done (a secondary count), the rest left for the next run:
    /// counted as skipped.
    Unfinished(u32),
}

/// What every kind needs: context, time, bounds.
pub(crate) struct Kinds<'a> {
    pub ctx: &'a Ctx,
    pub now: Timestamp,
    pub batch: u32,
    pub budget: &'a Budget,
    pub unfinished: &'a mut Vec<&'static str>,
}

/// Errors that concern one item only (unreadable record, refused write): the item
/// is counted and left due, the run goes on. Anything else (store unavailable) stops
/// the run.
fn item_error(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Corrupt(_) | StoreError::Invalid(_) | StoreError::ItemTooLarge
    )
}

impl Kinds<'_> {
    /// Handles the items of `partition` due at `now` with `handle`, oldest first, at
    /// most `batch` of them; returns the counts and the sum of secondary counts.
    pub(crate) async fn each<F, Fut>(
        &mut self,
        kind: &'static str,
        partition: &str,
        mut handle: F,
    ) -> Result<(Counts, u32), StoreError>
    where
        F: FnMut(Item) -> Fut,
        Fut: Future<Output = Result<Outcome, StoreError>>,
    {
        let mut counts = Counts::default();
        let mut extra = 0;
        let page = self
            .ctx
            .table
            .query(
                &Query::new(Index::Due, partition)
                    .range(SkRange::AtMost(ts_key(self.now)))
                    .limit(self.batch.clamp(1, MAX_PAGE)),
            )
            .await?;
        let mut unfinished = page.next.is_some();
        for item in page.items {
            if self.budget.exhausted() {
                unfinished = true;
                break;
            }
            let key = item.pk().to_owned();
            match handle(item).await {
                Ok(Outcome::Done(n)) => {
                    counts.done += 1;
                    extra += n;
                }
                Ok(Outcome::Closed) => counts.closed += 1,
                Ok(Outcome::Skipped) => counts.skipped += 1,
                Ok(Outcome::Unfinished(n)) => {
                    counts.skipped += 1;
                    extra += n;
                }
                Err(e) if item_error(&e) => {
                    counts.errors += 1;
                    tracing::error!(kind, item = %log_key(&key), error = %e, "due item not handled");
                }
                Err(e) => return Err(e),
            }
        }
        if unfinished {
            self.unfinished.push(kind);
        }
        Ok((counts, extra))
    }
}

/// The key to log: record ids are random and carry nothing personal, but the keys of
/// sessions, links and throttles are token hashes — log only their kind.
fn log_key(pk: &str) -> &str {
    match pk.split_once('#') {
        Some((kind, _)) if matches!(kind, "SESSION" | "TOKEN" | "THROTTLE") => kind,
        _ => pk,
    }
}

/// The item as stored now, if it is still due in `partition` at `now` (the due index
/// may lag behind the table on DynamoDB, and another run may have handled it).
pub(crate) async fn still_due(
    ctx: &Ctx,
    item: &Item,
    partition: &str,
    now: Timestamp,
) -> Result<Option<Item>, StoreError> {
    let Some(fresh) = ctx.table.get(item.pk(), item.sk()).await? else {
        return Ok(None);
    };
    let due = match fresh.index_key(Index::Due) {
        Some((p, at)) => p == partition && at <= ts_key(now).as_str(),
        None => false,
    };
    Ok(due.then_some(fresh))
}
