//! Downloads (checked files only, short-lived presigned links, each one recorded on
//! the attachment and in the audit trail) and removal by the uploader.

use ep_common::Ctx;
use ep_common::attachments::{
    AttachmentState, DOWNLOADS_KEPT, Download, att_sk, gc_due, gc_write, may_delete, sweep_now,
};
use ep_common::http::Problem;
use ep_common::requests::request_pk;
use ep_common::sessions::Authed;
use ep_common::table::{Cond, StoreError};
use ep_common::tx::Tx;
use ep_domain::requests::RequestState;
use serde_json::{Value, json};

use crate::access::{ATTEMPTS, commit, find, lost_race, refuse};

/// Why a file cannot be downloaded yet (or ever), if so.
fn not_downloadable(att: &ep_common::attachments::AttachmentRecord) -> Option<Problem> {
    match att.state {
        AttachmentState::Safe => None,
        AttachmentState::Rejected => Some(refuse(
            "attachment.not_safe",
            format!(
                "Ce fichier a été refusé lors de sa vérification et ne peut pas être téléchargé. Motif : {}",
                att.reason.as_deref().unwrap_or("non précisé.")
            ),
        )),
        AttachmentState::Pending | AttachmentState::Slot => Some(refuse(
            "attachment.not_safe",
            "Ce fichier est en cours de vérification (antivirus et contrôle du contenu) : il pourra être téléchargé dès qu'il aura été vérifié. Rechargez la page dans quelques instants.",
        )),
    }
}

/// A download link for a `safe` attachment; 409 before (or instead of) that.
pub async fn link(ctx: &Ctx, authed: &Authed, id: &str) -> Result<Value, Problem> {
    let user = &authed.user;
    for attempt in 1..=ATTEMPTS {
        let (loaded, att, side) = find(ctx, user, id).await?;
        ep_common::windows::guard_caisse(ctx, authed, &loaded.record.caisse_id).await?;
        if let Some(p) = not_downloadable(&att) {
            return Err(p);
        }
        let now = ctx.now();
        let link = ctx
            .blobs
            .presign_get(
                &att.file_key(),
                &att.content_type,
                &att.download_name(),
                now,
                ctx.config.download_link_secs,
            )
            .await
            .map_err(|e| Problem::from(StoreError::Unavailable(e.to_string())))?;
        let mut next = att.clone();
        next.v = att.v + 1;
        next.downloads.push(Download {
            by_id: user.id.clone(),
            by_name: user.display_name(),
            side,
            at: now,
        });
        let excess = next.downloads.len().saturating_sub(DOWNLOADS_KEPT);
        next.downloads.drain(..excess);
        let mut tx = Tx::new(ctx);
        tx.put(
            next.to_item(ctx.config.scan_alert_minutes)?,
            Cond::VersionEquals(att.v),
        );
        tx.audit(
            &loaded.record.caisse_id,
            &user.id,
            "attachment.downloaded",
            Some(&att.id),
        )?;
        if commit(ctx, tx, attempt).await? {
            tracing::info!(attachment = %att.id, "download link");
            return Ok(json!({"url": link.url, "expires_at": link.expires_at}));
        }
    }
    Err(lost_race())
}

/// The uploader removes a file not yet checked safe (or refused, or a slot), before
/// the request is answered: record and blobs go.
pub async fn delete(ctx: &Ctx, authed: &Authed, id: &str) -> Result<(), Problem> {
    let user = &authed.user;
    let (loaded, att, _) = find(ctx, user, id).await?;
    let rec = &loaded.record;
    ep_common::windows::guard_caisse(ctx, authed, &rec.caisse_id).await?;
    if !may_delete(rec, &att, &user.id) {
        let why = if att.uploaded_by != user.id {
            "Seule la personne qui a ajouté ce fichier peut le retirer."
        } else if matches!(rec.state, RequestState::Answered | RequestState::Closed) {
            "La demande a reçu sa réponse ou est clôturée : ses pièces jointes ne peuvent plus être retirées."
        } else {
            "Un fichier vérifié reste joint à la demande : la caisse a pu le consulter. Ajoutez un autre fichier si celui-ci n'était pas le bon."
        };
        return Err(refuse("attachment.cannot_delete", why));
    }
    let now = ctx.now();
    let (keys, due) = (att.blob_keys(), gc_due(&att, now));
    let mut tx = Tx::new(ctx);
    tx.delete(
        request_pk(&rec.id),
        att_sk(&att.id),
        Cond::VersionEquals(att.v),
    );
    tx.write(gc_write(&att.id, &keys, due));
    tx.audit(
        &rec.caisse_id,
        &user.id,
        "attachment.deleted",
        Some(&att.id),
    )?;
    tx.commit().await?;
    sweep_now(ctx, &att.id, &keys, due).await;
    Ok(())
}
