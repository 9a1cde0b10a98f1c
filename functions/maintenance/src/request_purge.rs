//! Deletion of closed requests at the end of their retention (SPEC §5: 12 months
//! *(config)* after closing). A closed request is in the due index
//! `DUE#request_purge` at that date; its record, its thread, its index items (their
//! keys are derived from the record), its reference guard are deleted and the
//! caisse's counts updated in one transaction conditioned on the record's version
//! (the thread holds at most 60 entries, so everything fits in one). Its attachments
//! go first, in a transaction of their own (their records, and the record of their
//! blobs to delete, conditioned on the request's version): their blobs are deleted
//! right after, and by the blob-deletion work if that fails. The audit event names
//! the request by its id only.

use ep_common::Ctx;
use ep_common::attachments::{att_sk, gc_due, gc_write, sweep_now};
use ep_common::audit;
use ep_common::requests::{
    DUE_REQUEST_PURGE, Loaded, META, RequestRecord, counts, load_full, msg_sk, purge_at, request_pk,
};
use ep_common::table::{Cond, Item, StoreError, Write};
use ep_domain::requests::RequestState;
use jiff::Timestamp;

use crate::SYSTEM;
use crate::due::{Counts, Kinds, Outcome, still_due};

pub(crate) async fn run(k: &mut Kinds<'_>) -> Result<Counts, StoreError> {
    let (ctx, now) = (k.ctx, k.now);
    let (counts, _) = k
        .each("request_purge", DUE_REQUEST_PURGE, |item| {
            purge_one(ctx, item, now)
        })
        .await?;
    Ok(counts)
}

async fn purge_one(ctx: &Ctx, item: Item, now: Timestamp) -> Result<Outcome, StoreError> {
    let Some(fresh) = still_due(ctx, &item, DUE_REQUEST_PURGE, now).await? else {
        return Ok(Outcome::Skipped);
    };
    let rec: RequestRecord = fresh.parse()?;
    let retention = ctx.config.request_retention_months;
    let due = rec.state == RequestState::Closed
        && rec
            .closed_at
            .is_some_and(|at| purge_at(at, retention) <= now);
    if !due {
        return Ok(Outcome::Skipped);
    }
    let Some(loaded) = load_full(ctx.table.as_ref(), &rec.id).await? else {
        return Ok(Outcome::Skipped);
    };
    if !purge_attachments(ctx, &loaded, now).await? {
        return Ok(Outcome::Skipped);
    }
    let (rec, thread) = (loaded.record, loaded.thread);
    let mut writes = rec.delete_writes();
    for t in &thread {
        writes.push(Write::delete(
            request_pk(&rec.id),
            msg_sk(t.seq),
            Cond::Exists,
        ));
    }
    let c = counts(ctx.table.as_ref(), &rec.caisse_id).await?;
    writes.push(c.moved(&rec.caisse_id, Some(rec.state), None)?);
    writes.push(audit::record(
        &rec.caisse_id,
        audit::event(now, SYSTEM, "request.purged", Some(&rec.id)),
        ctx.config.audit_retention_months,
    )?);
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => Ok(Outcome::Done(0)),
        Err(StoreError::TransactionCanceled { .. }) => Ok(Outcome::Skipped),
        Err(e) => Err(e),
    }
}

/// Deletes the attachments of a request being purged (records in one transaction
/// conditioned on the request's version, then their blobs). False if the request
/// changed in between.
async fn purge_attachments(ctx: &Ctx, loaded: &Loaded, now: Timestamp) -> Result<bool, StoreError> {
    let rec = &loaded.record;
    if loaded.attachments.is_empty() {
        return Ok(true);
    }
    let mut writes = vec![Write::check(
        request_pk(&rec.id),
        META,
        Cond::VersionEquals(rec.v),
    )];
    let mut sweeps = Vec::new();
    for att in &loaded.attachments {
        writes.push(Write::delete(
            request_pk(&rec.id),
            att_sk(&att.id),
            Cond::VersionEquals(att.v),
        ));
        let (keys, due) = (att.blob_keys(), gc_due(att, now));
        writes.push(gc_write(&att.id, &keys, due));
        sweeps.push((att.id.clone(), keys, due));
    }
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { .. }) => return Ok(false),
        Err(e) => return Err(e),
    }
    for (id, keys, due) in sweeps {
        sweep_now(ctx, &id, &keys, due).await;
    }
    Ok(true)
}
