//! Upload: a slot (record + presigned PUT) for one file, then the confirmation that
//! runs the checks on the stored bytes. The file's bytes never go through the
//! function on their way in: the browser sends them to the blob store directly.

use ep_common::Ctx;
use ep_common::attachments::{
    AttachmentRecord, AttachmentState, FILE_NAME_MAX, REFUSED_KEPT, att_sk, gc_due, gc_write,
    may_attach, new_attachment_id, sweep_now, view,
};
use ep_common::http::Problem;
use ep_common::requests::{META, load_full, request_pk, side_of};
use ep_common::scan::{FileKind, Verdict};
use ep_common::sessions::Authed;
use ep_common::table::Cond;
use ep_common::tx::Tx;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::{ATTEMPTS, commit, find, lost_race, refuse};
use crate::checks::{Outcome, settle};
use crate::texts;

#[derive(Deserialize, Debug, Default)]
pub struct SlotBody {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
}

fn field(name: &str, code: &str, message: impl Into<String>) -> Problem {
    let mut p = Problem::validation();
    p.code = code.to_owned();
    let message = message.into();
    p.detail = message.clone();
    p.field(name, message)
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// The slot's file name, type and size, or the 422 naming the field and the fix.
pub fn validate(body: &SlotBody, max_bytes: u64) -> Result<(String, FileKind, u64), Problem> {
    let name = body.file_name.as_deref().map(str::trim).unwrap_or("");
    if name.is_empty() {
        return Err(field(
            "file",
            "attachment.file_name_required",
            "Le nom du fichier est à renseigner : choisissez de nouveau le fichier.",
        ));
    }
    if name.chars().count() > FILE_NAME_MAX {
        return Err(field(
            "file",
            "attachment.file_name_too_long",
            format!(
                "Le nom du fichier dépasse {FILE_NAME_MAX} caractères : renommez le fichier plus court, puis ajoutez-le de nouveau."
            ),
        ));
    }
    if name
        .chars()
        .any(|c| c.is_control() || is_bidi(c) || c == '/' || c == '\\')
    {
        return Err(field(
            "file",
            "attachment.file_name_invalid",
            "Le nom du fichier contient des caractères de contrôle, d'inversion du sens d'écriture ou des barres obliques : renommez le fichier avec des lettres, chiffres, tirets et points, puis ajoutez-le de nouveau.",
        ));
    }
    let declared = body.content_type.as_deref().unwrap_or("");
    let Some(kind) = FileKind::from_content_type(declared) else {
        return Err(field(
            "content_type",
            "attachment.type_refused",
            "Seuls les documents PDF et les images JPEG ou PNG sont acceptés : enregistrez le document dans l'un de ces formats (ou numérisez-le), puis ajoutez-le de nouveau.",
        ));
    };
    let size = body.size.unwrap_or(-1);
    if size <= 0 {
        return Err(field(
            "size",
            "attachment.empty",
            "Le fichier est vide (0 octet) : vérifiez qu'il s'ouvre sur votre poste, enregistrez-le de nouveau, puis ajoutez-le.",
        ));
    }
    if size as u64 > max_bytes {
        return Err(field(
            "size",
            "attachment.too_large",
            format!(
                "Le fichier dépasse la taille maximale de {} Mo : réduisez sa taille (numérisation en 150 ou 200 ppp, compression du PDF), puis ajoutez-le de nouveau.",
                max_bytes / (1024 * 1024)
            ),
        ));
    }
    Ok((name.to_owned(), kind, size as u64))
}

/// The record of a new slot on `rec` for `user`.
#[allow(clippy::too_many_arguments)]
fn new_slot(
    ctx: &Ctx,
    rec: &ep_common::requests::RequestRecord,
    user: &ep_common::users::User,
    side: ep_common::requests::Side,
    file_name: String,
    kind: FileKind,
    size: u64,
    now: jiff::Timestamp,
) -> Result<AttachmentRecord, Problem> {
    let id = new_attachment_id(&rec.id).ok_or_else(Problem::not_found)?;
    Ok(AttachmentRecord {
        id,
        request_id: rec.id.clone(),
        file_name,
        content_type: kind.content_type().to_owned(),
        size,
        state: AttachmentState::Slot,
        reason: None,
        side,
        uploaded_by: user.id.clone(),
        uploaded_by_name: user.display_name(),
        created_at: now,
        slot_expires_at: now + jiff::SignedDuration::from_secs(ctx.config.upload_link_secs),
        uploaded_at: None,
        checked_at: None,
        stalled: false,
        downloads: Vec::new(),
        v: 1,
    })
}

/// 409 when the request already holds the most files it may (pending, safe or
/// still-valid slots), or too many refused ones.
fn room_for_one_more(
    ctx: &Ctx,
    atts: &[AttachmentRecord],
    now: jiff::Timestamp,
) -> Result<(), Problem> {
    let max = ctx.config.attachment_max_count as usize;
    if atts.iter().filter(|a| a.counts(now)).count() >= max {
        return Err(refuse(
            "attachment.too_many",
            format!(
                "Cette demande compte déjà {max} pièces jointes (fichiers vérifiés ou en cours d'envoi) : c'est le maximum. Retirez-en une pour en ajouter une autre."
            ),
        ));
    }
    if atts.len() >= max + REFUSED_KEPT {
        return Err(refuse(
            "attachment.too_many_refused",
            "Trop de fichiers refusés ou d'envois inachevés restent sur cette demande : retirez les fichiers refusés, puis ajoutez de nouveau le document.",
        ));
    }
    Ok(())
}

/// A slot for one file on request `request_id`, and where to send it.
pub async fn create(
    ctx: &Ctx,
    authed: &Authed,
    request_id: &str,
    body: &SlotBody,
) -> Result<Value, Problem> {
    let user = &authed.user;
    for attempt in 1..=ATTEMPTS {
        let loaded = load_full(ctx.table.as_ref(), request_id)
            .await?
            .ok_or_else(Problem::not_found)?;
        let rec = &loaded.record;
        let side = side_of(user, rec).ok_or_else(Problem::not_found)?;
        ep_common::windows::guard_caisse(ctx, authed, &rec.caisse_id).await?;
        may_attach(rec, side).map_err(|m| refuse("attachment.not_open", m))?;
        let (file_name, kind, size) = validate(body, ctx.config.attachment_max_bytes)?;
        let now = ctx.now();
        room_for_one_more(ctx, &loaded.attachments, now)?;
        let att = new_slot(ctx, rec, user, side, file_name, kind, size, now)?;
        let mut tx = Tx::new(ctx);
        tx.put(att.to_item(ctx.config.scan_alert_minutes)?, Cond::NotExists);
        // The request's version serialises the slots of one request: two at once
        // cannot both take the last place.
        let mut set = serde_json::Map::new();
        set.insert("v".into(), json!(rec.v + 1));
        tx.update(
            request_pk(&rec.id),
            META,
            set,
            vec![],
            Cond::VersionEquals(rec.v),
        );
        if !commit(ctx, tx, attempt).await? {
            continue;
        }
        let upload = ctx
            .blobs
            .presign_put(
                &att.upload_key(),
                kind.content_type(),
                size,
                now,
                ctx.config.upload_link_secs,
            )
            .await
            .map_err(|e| Problem::from(ep_common::table::StoreError::Unavailable(e.to_string())))?;
        tracing::info!(attachment = %att.id, request = %rec.id, "upload slot");
        return Ok(json!({
            "id": att.id,
            "upload": upload,
            "max_bytes": ctx.config.attachment_max_bytes,
            "attachment": view(rec, &att, &user.id),
        }));
    }
    Err(lost_race())
}

/// The checks of the stored bytes against the slot: size, then the scanner.
async fn check(
    ctx: &Ctx,
    att: &AttachmentRecord,
    bytes: &[u8],
) -> Result<(Outcome, Option<FileKind>), Problem> {
    check_bytes(ctx, &att.id, &att.content_type, att.size, bytes).await
}

/// The checks of stored bytes declared `content_type` and `size` (an attachment's or
/// a published document's): size, then the scanner; `id` names the file in logs.
pub(crate) async fn check_bytes(
    ctx: &Ctx,
    id: &str,
    content_type: &str,
    size: u64,
    bytes: &[u8],
) -> Result<(Outcome, Option<FileKind>), Problem> {
    if bytes.len() as u64 > ctx.config.attachment_max_bytes {
        return Ok((Outcome::rejected(texts::TOO_BIG, "size"), None));
    }
    if bytes.len() as u64 != size {
        return Ok((Outcome::rejected(texts::WRONG_SIZE, "size"), None));
    }
    let declared = FileKind::from_content_type(content_type);
    let verdict = ctx.scanner.scan(bytes).await.map_err(|e| {
        tracing::error!(attachment = %id, error = %e, "malware scanner unavailable");
        Problem::new(503, "attachment.scanner_unavailable", "Vérification indisponible", "L'antivirus est momentanément indisponible : confirmez de nouveau l'envoi dans quelques minutes (le fichier reste en attente).")
    })?;
    Ok(match verdict {
        Verdict::Clean(k) | Verdict::Deferred(k) if Some(k) != declared => {
            let d = declared.unwrap_or(k);
            (
                Outcome::rejected(texts::type_mismatch(k, d), "type_mismatch"),
                None,
            )
        }
        Verdict::Clean(k) => (Outcome::Safe, Some(k)),
        Verdict::Deferred(k) => (Outcome::Pending, Some(k)),
        Verdict::Rejected(reason) => (Outcome::rejected(reason, "content"), None),
        Verdict::Infected(name) => {
            tracing::warn!(attachment = %id, signature = %name, "malware found");
            (Outcome::rejected(texts::MALWARE, "malware"), None)
        }
    })
}

/// The uploader confirms the upload: the stored bytes are checked now (and by
/// GuardDuty later on AWS). Returns the attachment as it is now.
pub async fn confirm(ctx: &Ctx, authed: &Authed, id: &str) -> Result<Value, Problem> {
    let user = &authed.user;
    let (loaded, att, _) = find(ctx, user, id).await?;
    ep_common::windows::guard_caisse(ctx, authed, &loaded.record.caisse_id).await?;
    if att.uploaded_by != user.id {
        return Err(refuse(
            "attachment.not_uploader",
            "Seule la personne qui a ajouté ce fichier peut confirmer son envoi.",
        ));
    }
    if att.state != AttachmentState::Slot {
        return Err(refuse(
            "attachment.already_confirmed",
            "L'envoi de ce fichier a déjà été confirmé : son état est affiché sur la page de la demande.",
        ));
    }
    let now = ctx.now();
    if now > att.slot_expires_at {
        let mut tx = Tx::new(ctx);
        tx.delete(
            request_pk(&att.request_id),
            att_sk(&att.id),
            Cond::VersionEquals(att.v),
        );
        let (keys, due) = (att.blob_keys(), gc_due(&att, now));
        tx.write(gc_write(&att.id, &keys, due));
        tx.commit().await?;
        sweep_now(ctx, &att.id, &keys, due).await;
        return Err(Problem::new(
            410,
            "attachment.slot_expired",
            "Envoi expiré",
            "Le délai d'envoi de ce fichier est dépassé : ajoutez-le de nouveau.",
        ));
    }
    let blob = ctx
        .blobs
        .get(&att.upload_key())
        .await
        .map_err(|e| Problem::from(ep_common::table::StoreError::Unavailable(e.to_string())))?;
    let Some(blob) = blob else {
        return Err(refuse(
            "attachment.not_uploaded",
            "Le fichier n'a pas été reçu : envoyez-le, puis confirmez l'envoi.",
        ));
    };
    let (outcome, kind) = check(ctx, &att, &blob.bytes).await?;
    if let Some(k) = kind {
        ctx.blobs
            .put(&att.file_key(), blob.bytes, k.content_type())
            .await
            .map_err(|e| Problem::from(ep_common::table::StoreError::Unavailable(e.to_string())))?;
    }
    let ct = kind.map(FileKind::content_type);
    let (tx, settled) = settle(ctx, &loaded, &att, &outcome, ct, &user.id).await?;
    if !commit(ctx, tx, ATTEMPTS).await? {
        return Err(lost_race());
    }
    settled.sweep(ctx).await;
    tracing::info!(attachment = %att.id, state = settled.record.state.code(), "attachment confirmed");
    Ok(view(&loaded.record, &settled.record, &user.id))
}
