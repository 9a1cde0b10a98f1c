//! Settling an uploaded file: `pending` → `safe` | `rejected`, or `slot` → any of
//! them at confirmation. One transaction per change (record, audit event, blob
//! deletion record, email to the uploader of a refused file); a refused file's blobs
//! are deleted right after commit, and by the maintenance function if that fails.

use ep_common::Ctx;
use ep_common::attachments::{AttachmentRecord, AttachmentState, gc_due, gc_write, sweep_now};
use ep_common::audit;
use ep_common::http::Problem;
use ep_common::requests::Loaded;
use ep_common::table::Cond;
use ep_common::tx::Tx;
use ep_common::users::{Status, get_user};

use crate::texts;

/// What the checks decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Safe,
    /// Built-in checks passed; the malware engine answers later.
    Pending,
    /// Refused: the reason shown to users, and a short code for the audit trail.
    Rejected {
        reason: String,
        code: String,
    },
}

impl Outcome {
    pub fn rejected(reason: impl Into<String>, code: impl Into<String>) -> Self {
        Outcome::Rejected {
            reason: reason.into(),
            code: code.into(),
        }
    }
}

/// A settled change, to finish after commit.
pub struct Settled {
    pub record: AttachmentRecord,
    keys: Vec<String>,
    due: jiff::Timestamp,
}

impl Settled {
    /// Deletes now what the transaction recorded for deletion.
    pub async fn sweep(&self, ctx: &Ctx) {
        sweep_now(ctx, &self.record.id, &self.keys, self.due).await;
    }
}

/// The transaction moving `att` (of `loaded`) to `outcome`, with `content_type` the
/// type found in the content when known, done by `actor` (a user id, or `system`).
pub async fn settle<'a>(
    ctx: &'a Ctx,
    loaded: &Loaded,
    att: &AttachmentRecord,
    outcome: &Outcome,
    content_type: Option<&str>,
    actor: &str,
) -> Result<(Tx<'a>, Settled), Problem> {
    let now = ctx.now();
    let rec = &loaded.record;
    let mut next = att.clone();
    next.v = att.v + 1;
    if att.state == AttachmentState::Slot {
        next.uploaded_at = Some(now);
    }
    if let Some(ct) = content_type {
        next.content_type = ct.to_owned();
    }
    let (state, action, detail) = match outcome {
        Outcome::Safe => (AttachmentState::Safe, "attachment.safe", None),
        Outcome::Pending => (AttachmentState::Pending, "attachment.uploaded", None),
        Outcome::Rejected { reason, code } => {
            next.reason = Some(reason.clone());
            (
                AttachmentState::Rejected,
                "attachment.rejected",
                Some(code.clone()),
            )
        }
    };
    next.state = state;
    if state != AttachmentState::Pending {
        next.checked_at = Some(now);
    }
    let mut tx = Tx::new(ctx);
    tx.put(
        next.to_item(ctx.config.scan_alert_minutes)?,
        Cond::VersionEquals(att.v),
    );
    let keys = if state == AttachmentState::Rejected {
        next.blob_keys()
    } else {
        vec![next.upload_key()]
    };
    let due = gc_due(&next, now);
    tx.write(gc_write(&next.id, &keys, due));
    let mut event = audit::event(now, actor, action, Some(&att.id));
    event.detail = detail;
    tx.audit_event(&rec.caisse_id, event)?;
    if let Outcome::Rejected { reason, .. } = outcome {
        tell_uploader(ctx, &mut tx, rec, att, reason).await?;
    }
    Ok((
        tx,
        Settled {
            record: next,
            keys,
            due,
        },
    ))
}

/// Emails the uploader of a refused file (an active account only; never the file's
/// name).
async fn tell_uploader(
    ctx: &Ctx,
    tx: &mut Tx<'_>,
    rec: &ep_common::requests::RequestRecord,
    att: &AttachmentRecord,
    reason: &str,
) -> Result<(), Problem> {
    let Some(u) = get_user(ctx.table.as_ref(), &att.uploaded_by).await? else {
        return Ok(());
    };
    if u.status != Status::Active {
        return Ok(());
    }
    let mut n = texts::refused(&u.display_name(), &rec.reference, reason);
    n.link = Some((
        "Voir la demande".to_owned(),
        format!("{}/demandes/demande?id={}", ctx.config.public_url, rec.id),
    ));
    tx.notify(&u.email, n)?;
    Ok(())
}
