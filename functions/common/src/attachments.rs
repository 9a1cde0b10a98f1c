//! Attachments of a request (SPEC §4, convention §1.3, §3.1, §5): the record, its
//! keys in the table and in the blob store, who may attach, and the JSON the pages
//! read (contract `notes/attachments-contract.md`). Shared by the attachments
//! function (which writes them), the requests function (the request page lists
//! them, `answer` needs them) and the maintenance function (slots, stalled scans,
//! blob deletion, retention).
//!
//! | item | pk | sk | due index |
//! |---|---|---|---|
//! | attachment | `REQUEST#<request>` | `ATT#<id>` | `DUE#attachment_slot` at the slot's expiry while `slot`; `DUE#attachment_scan` at upload + `scan_alert_minutes` while `pending` |
//! | blob deletion | `BLOBGC#<id>` | `BLOBGC` | `DUE#blob_delete`: keys still to delete from the blob store |
//!
//! An attachment id is its request's id (32 hex) followed by 16 random hex: the
//! request, hence the access check, is found from the id alone, with one query of
//! the request's partition (record, thread and attachments together).
//!
//! Blob keys: `uploads/<request>/<id>` receives the browser's presigned PUT; the
//! bytes that passed the checks are written by the function to `files/<request>/<id>`
//! (what is downloaded, and what GuardDuty scans), so a file replaced through a
//! reused upload link is never the one served. Blobs are deleted through a
//! `BLOBGC` item written in the transaction that rejects or deletes the record:
//! deleted right after commit, retried by the maintenance function until done.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::requests::{RequestRecord, Side, request_pk};
use crate::scan::FileKind;
use crate::table::{Cond, Item, StoreError, Write, ts_key};
use ep_domain::requests::RequestState;

pub const ATT_PREFIX: &str = "ATT#";
pub const DUE_ATTACHMENT_SLOT: &str = "DUE#attachment_slot";
pub const DUE_ATTACHMENT_SCAN: &str = "DUE#attachment_scan";
pub const DUE_BLOB_DELETE: &str = "DUE#blob_delete";
/// Most characters of a file name.
pub const FILE_NAME_MAX: usize = 120;
/// Downloads listed on an attachment (the audit trail keeps every one).
pub const DOWNLOADS_KEPT: usize = 100;
/// Attachment items a request may hold beyond `attachment_max_count` (refused
/// files are kept to show why, until their uploader removes them).
pub const REFUSED_KEPT: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentState {
    /// An upload link was given; nothing confirmed yet.
    Slot,
    Pending,
    Safe,
    Rejected,
}

impl AttachmentState {
    pub fn code(self) -> &'static str {
        match self {
            AttachmentState::Slot => "slot",
            AttachmentState::Pending => "pending",
            AttachmentState::Safe => "safe",
            AttachmentState::Rejected => "rejected",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            AttachmentState::Slot => "Envoi en cours",
            AttachmentState::Pending => "Vérification en cours",
            AttachmentState::Safe => "Vérifiée",
            AttachmentState::Rejected => "Refusée",
        }
    }
}

/// One download: who and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Download {
    pub by_id: String,
    pub by_name: String,
    pub side: Side,
    pub at: Timestamp,
}

/// The attachment record (`REQUEST#<request>` / `ATT#<id>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub id: String,
    pub request_id: String,
    /// As the uploader named it: shown in the portal only, never in emails or logs.
    pub file_name: String,
    /// Declared at the slot; once checked, the type found in the content (the same).
    pub content_type: String,
    pub size: u64,
    pub state: AttachmentState,
    /// Why the file was refused (French, for the uploader and the agents).
    #[serde(default)]
    pub reason: Option<String>,
    pub side: Side,
    pub uploaded_by: String,
    pub uploaded_by_name: String,
    pub created_at: Timestamp,
    pub slot_expires_at: Timestamp,
    #[serde(default)]
    pub uploaded_at: Option<Timestamp>,
    #[serde(default)]
    pub checked_at: Option<Timestamp>,
    /// Still `pending` after `scan_alert_minutes`: reported, never released.
    #[serde(default)]
    pub stalled: bool,
    #[serde(default)]
    pub downloads: Vec<Download>,
    pub v: u64,
}

pub fn att_sk(id: &str) -> String {
    format!("{ATT_PREFIX}{id}")
}

/// The request id inside an attachment id, if the id is well formed.
pub fn request_of(attachment_id: &str) -> Option<&str> {
    let ok = attachment_id.len() == 48 && attachment_id.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| &attachment_id[..32])
}

/// A new attachment id for `request_id` (`None` if the request id is not 32 hex).
pub fn new_attachment_id(request_id: &str) -> Option<String> {
    let ok = request_id.len() == 32 && request_id.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| {
        format!(
            "{request_id}{}",
            crate::ids::hex(&crate::ids::random_bytes::<8>())
        )
    })
}

impl AttachmentRecord {
    pub fn upload_key(&self) -> String {
        format!("uploads/{}/{}", self.request_id, self.id)
    }
    pub fn file_key(&self) -> String {
        format!("files/{}/{}", self.request_id, self.id)
    }
    /// Every key this attachment may have in the blob store.
    pub fn blob_keys(&self) -> Vec<String> {
        vec![self.upload_key(), self.file_key()]
    }

    /// The record's item, in the due index while a deadline applies to it.
    pub fn to_item(&self, scan_alert_minutes: i64) -> Result<Item, StoreError> {
        let mut item = Item::from_record(request_pk(&self.request_id), att_sk(&self.id), self)?;
        let due = match self.state {
            AttachmentState::Slot => Some((DUE_ATTACHMENT_SLOT, self.slot_expires_at)),
            AttachmentState::Pending if !self.stalled => {
                let from = self.uploaded_at.unwrap_or(self.created_at);
                Some((
                    DUE_ATTACHMENT_SCAN,
                    from + jiff::SignedDuration::from_mins(scan_alert_minutes),
                ))
            }
            _ => None,
        };
        if let Some((pk, at)) = due {
            item.set("due_pk", pk);
            item.set("due_at", ts_key(at));
        }
        Ok(item)
    }

    /// Counts against `attachment_max_count`: pending and safe files, and upload
    /// links still valid.
    pub fn counts(&self, now: Timestamp) -> bool {
        match self.state {
            AttachmentState::Pending | AttachmentState::Safe => true,
            AttachmentState::Slot => self.slot_expires_at > now,
            AttachmentState::Rejected => false,
        }
    }

    /// Shown on the request page (expired upload links are not).
    pub fn listed(&self, now: Timestamp) -> bool {
        self.state != AttachmentState::Slot || self.slot_expires_at > now
    }

    /// The name to download the file under: the uploader's name with the extension
    /// of the type found in the content.
    pub fn download_name(&self) -> String {
        let ext = FileKind::from_content_type(&self.content_type)
            .map(FileKind::extension)
            .unwrap_or("bin");
        let stem = match self.file_name.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem,
            _ => self.file_name.as_str(),
        };
        format!("{stem}.{ext}")
    }
}

/// Whether a user on `side` may attach files to `rec` now; the French reason if not.
pub fn may_attach(rec: &RequestRecord, side: Side) -> Result<(), &'static str> {
    use RequestState::*;
    match side {
        Side::Partner => match rec.state {
            Submitted | InProgress | InfoRequested => Ok(()),
            _ => Err(
                "Cette demande a reçu sa réponse ou est clôturée : on ne peut plus y joindre de fichier. Faites une nouvelle demande si nécessaire.",
            ),
        },
        Side::Caisse => {
            let portal = rec.kind == "document" && rec.delivery_mode.as_deref() == Some("portal");
            if !portal {
                Err(
                    "La caisse ne joint de document qu'aux demandes de document des partenaires habilités (tutelles, ASE…) : pour cette demande, répondez par un message.",
                )
            } else if rec.state != InProgress {
                Err(
                    "Le document ne peut être joint que pendant le traitement de la demande : prenez-la en charge d'abord.",
                )
            } else {
                Ok(())
            }
        }
    }
}

/// Whether `user_id` on `side` may delete `att` of `rec` now: its uploader, before the
/// request is answered, while the file is not `safe`.
pub fn may_delete(rec: &RequestRecord, att: &AttachmentRecord, user_id: &str) -> bool {
    att.uploaded_by == user_id
        && att.state != AttachmentState::Safe
        && !matches!(rec.state, RequestState::Answered | RequestState::Closed)
}

fn side_code(s: Side) -> &'static str {
    match s {
        Side::Partner => "partner",
        Side::Caisse => "caisse",
    }
}

/// The `Attachment` of the contract, as `user_id` sees it.
pub fn view(rec: &RequestRecord, att: &AttachmentRecord, user_id: &str) -> Value {
    json!({
        "id": att.id,
        "request_id": att.request_id,
        "file_name": att.file_name,
        "content_type": att.content_type,
        "size": att.size,
        "state": att.state.code(),
        "state_label": att.state.label(),
        "reason": att.reason,
        "stalled": att.stalled,
        "side": side_code(att.side),
        "uploaded_by_name": att.uploaded_by_name,
        "uploaded_at": att.uploaded_at.unwrap_or(att.created_at),
        "downloads": att.downloads.iter().map(|d| json!({
            "by_name": d.by_name, "side": side_code(d.side), "at": d.at,
        })).collect::<Vec<_>>(),
        "can_download": att.state == AttachmentState::Safe,
        "can_delete": may_delete(rec, att, user_id),
    })
}

/// `attachments` and `attachment_limits` of the request page.
pub fn page_fields(
    config: &crate::config::Config,
    rec: &RequestRecord,
    atts: &[AttachmentRecord],
    side: Side,
    user_id: &str,
    now: Timestamp,
) -> (Value, Value) {
    let mut listed: Vec<&AttachmentRecord> = atts.iter().filter(|a| a.listed(now)).collect();
    listed.sort_by_key(|a| (a.created_at, a.id.clone()));
    let list: Vec<Value> = listed.iter().map(|a| view(rec, a, user_id)).collect();
    let limits = json!({
        "max_count": config.attachment_max_count,
        "max_bytes": config.attachment_max_bytes,
        "types": FileKind::ALL.iter().map(|k| k.content_type()).collect::<Vec<_>>(),
        "can_attach": may_attach(rec, side).is_ok(),
    });
    (Value::Array(list), limits)
}

/// The item recording blob keys to delete (`BLOBGC#<id>`), due at `at`.
pub fn gc_write(id: &str, keys: &[String], at: Timestamp) -> Write {
    let item = Item::new(format!("BLOBGC#{id}"), "BLOBGC")
        .with("keys", json!(keys))
        .with("due_pk", DUE_BLOB_DELETE)
        .with("due_at", ts_key(at));
    Write::put(item, Cond::None)
}

/// Deletes `keys` from the blob store, then the `BLOBGC#<id>` item recording them.
/// Returns false when a key could not be deleted (the item stays for the
/// maintenance function, which retries).
pub async fn delete_blobs(ctx: &crate::Ctx, id: &str, keys: &[String]) -> bool {
    for key in keys {
        if let Err(e) = ctx.blobs.delete(key).await {
            tracing::warn!(gc = %id, error = %e, "blob deletion left for the maintenance run");
            return false;
        }
    }
    match ctx
        .table
        .delete(&format!("BLOBGC#{id}"), "BLOBGC", Cond::None)
        .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(gc = %id, error = %e, "blob deletion record left for the maintenance run");
            false
        }
    }
}

/// After a slot's expiry, its upload link may still have been replayed until then
/// (S3 accepts a presigned PUT as long as it is valid): the last sweep of the upload
/// key is due this long after the expiry.
pub const REPLAY_MARGIN_SECS: i64 = 60;

/// When the blob deletion record of `att` is due: now, but never before the last
/// moment its upload link could be used.
pub fn gc_due(att: &AttachmentRecord, now: Timestamp) -> Timestamp {
    let last = att.slot_expires_at + jiff::SignedDuration::from_secs(REPLAY_MARGIN_SECS);
    now.max(last)
}

/// Right after the commit that wrote a blob deletion record due at `due`: deletes
/// the keys now; the record itself goes too once `due` has passed (otherwise the
/// maintenance function sweeps again at `due`).
pub async fn sweep_now(ctx: &crate::Ctx, id: &str, keys: &[String], due: Timestamp) {
    if ctx.now() >= due {
        delete_blobs(ctx, id, keys).await;
        return;
    }
    for key in keys {
        if let Err(e) = ctx.blobs.delete(key).await {
            tracing::warn!(gc = %id, error = %e, "blob deletion left for the maintenance run");
        }
    }
}
