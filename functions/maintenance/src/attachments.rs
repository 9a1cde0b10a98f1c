//! Attachments' due work (`ep_common::attachments`): upload slots never confirmed
//! (deleted with whatever was uploaded to them), files whose malware scan result
//! never came (reported — flagged on the request page, an alert in the logs with ids
//! only, an event in the caisse's audit trail — never released), and the blob
//! deletions recorded by the transactions that rejected or deleted a file (retried
//! until the blob store confirms).

use ep_common::Ctx;
use ep_common::attachments::{
    AttachmentRecord, AttachmentState, DUE_ATTACHMENT_SCAN, DUE_ATTACHMENT_SLOT, DUE_BLOB_DELETE,
    att_sk, gc_due, gc_write, sweep_now,
};
use ep_common::audit;
use ep_common::requests::{META, request_pk};
use ep_common::table::{Cond, Item, StoreError};
use jiff::Timestamp;

use crate::SYSTEM;
use crate::due::{Counts, Kinds, Outcome, still_due};

pub(crate) async fn slots(k: &mut Kinds<'_>) -> Result<Counts, StoreError> {
    let (ctx, now) = (k.ctx, k.now);
    let (c, _) = k
        .each("attachment_slots", DUE_ATTACHMENT_SLOT, |item| {
            expire_slot(ctx, item, now)
        })
        .await?;
    Ok(c)
}

async fn expire_slot(ctx: &Ctx, item: Item, now: Timestamp) -> Result<Outcome, StoreError> {
    let Some(fresh) = still_due(ctx, &item, DUE_ATTACHMENT_SLOT, now).await? else {
        return Ok(Outcome::Skipped);
    };
    let att: AttachmentRecord = fresh.parse()?;
    if att.state != AttachmentState::Slot || att.slot_expires_at > now {
        return Ok(Outcome::Skipped);
    }
    let (keys, due) = (att.blob_keys(), gc_due(&att, now));
    let writes = vec![
        ep_common::table::Write::delete(
            request_pk(&att.request_id),
            att_sk(&att.id),
            Cond::VersionEquals(att.v),
        ),
        gc_write(&att.id, &keys, due),
    ];
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => {
            sweep_now(ctx, &att.id, &keys, due).await;
            Ok(Outcome::Done(0))
        }
        Err(StoreError::TransactionCanceled { .. }) => Ok(Outcome::Skipped),
        Err(e) => Err(e),
    }
}

pub(crate) async fn stalled_scans(k: &mut Kinds<'_>) -> Result<Counts, StoreError> {
    let (ctx, now) = (k.ctx, k.now);
    let (c, _) = k
        .each("attachment_scans", DUE_ATTACHMENT_SCAN, |item| {
            report_stalled(ctx, item, now)
        })
        .await?;
    Ok(c)
}

async fn report_stalled(ctx: &Ctx, item: Item, now: Timestamp) -> Result<Outcome, StoreError> {
    let Some(fresh) = still_due(ctx, &item, DUE_ATTACHMENT_SCAN, now).await? else {
        return Ok(Outcome::Skipped);
    };
    let att: AttachmentRecord = fresh.parse()?;
    if att.state != AttachmentState::Pending || att.stalled {
        return Ok(Outcome::Skipped);
    }
    let Some(caisse) = ctx
        .table
        .get(&request_pk(&att.request_id), META)
        .await?
        .and_then(|i| i.get_str("caisse_id").map(str::to_owned))
    else {
        return Ok(Outcome::Skipped);
    };
    let mut next = att.clone();
    next.v = att.v + 1;
    next.stalled = true;
    let writes = vec![
        ep_common::table::Write::put(
            next.to_item(ctx.config.scan_alert_minutes)?,
            Cond::VersionEquals(att.v),
        ),
        audit::record(
            &caisse,
            audit::event(now, SYSTEM, "attachment.scan_stalled", Some(&att.id)),
            ctx.config.audit_retention_months,
        )?,
    ];
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => {
            tracing::error!(
                alert = "attachment_scan_stalled",
                attachment = %att.id,
                request = %att.request_id,
                caisse = %caisse,
                "no malware scan result for an uploaded file: it stays blocked"
            );
            Ok(Outcome::Done(0))
        }
        Err(StoreError::TransactionCanceled { .. }) => Ok(Outcome::Skipped),
        Err(e) => Err(e),
    }
}

pub(crate) async fn blob_deletions(k: &mut Kinds<'_>) -> Result<Counts, StoreError> {
    let (ctx, now) = (k.ctx, k.now);
    let (c, _) = k
        .each("blob_deletions", DUE_BLOB_DELETE, |item| {
            delete_recorded(ctx, item, now)
        })
        .await?;
    Ok(c)
}

async fn delete_recorded(ctx: &Ctx, item: Item, now: Timestamp) -> Result<Outcome, StoreError> {
    let Some(fresh) = still_due(ctx, &item, DUE_BLOB_DELETE, now).await? else {
        return Ok(Outcome::Skipped);
    };
    let keys: Vec<String> = fresh
        .get("keys")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("{}: keys", fresh.pk())))?;
    let id = fresh.pk().trim_start_matches("BLOBGC#").to_owned();
    if ep_common::attachments::delete_blobs(ctx, &id, &keys).await {
        Ok(Outcome::Done(0))
    } else {
        Ok(Outcome::Skipped)
    }
}
