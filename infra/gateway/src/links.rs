//! The local stand-in for S3's presigned URLs: `PUT /_local/blobs/<key>` stores an
//! upload whose link is signed for that key, type and length, unexpired and unused;
//! `GET /_local/blobs/<key>` serves a signed download as an attachment.

use std::sync::Arc;

use ep_common::embedded;
use ep_common::http::Problem;
use hyper::body::Incoming;

use crate::{HyperResponse, State, plain, read_body, to_hyper};

fn link_query(req: &hyper::Request<Incoming>) -> std::collections::HashMap<String, String> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The answer to a refused upload or download link, one message per reason.
fn link_refused(why: embedded::blobs::LinkRefusal, upload: bool) -> HyperResponse {
    use embedded::blobs::LinkRefusal::*;
    let (status, code, detail) = match (why, upload) {
        (Expired, true) => (
            403,
            "upload.expired",
            "Le lien d'envoi du fichier a expiré : recommencez l'ajout de la pièce jointe.",
        ),
        (Reused, _) => (
            403,
            "upload.reused",
            "Ce lien d'envoi a déjà servi : chaque lien n'envoie qu'un fichier. Recommencez l'ajout de la pièce jointe.",
        ),
        (WrongLength, _) => (
            400,
            "upload.length_mismatch",
            "Le fichier envoyé n'a pas la taille annoncée : recommencez l'ajout de la pièce jointe avec le même fichier.",
        ),
        (BadSignature, true) => (
            403,
            "upload.denied",
            "Le lien d'envoi du fichier est invalide : recommencez l'ajout de la pièce jointe depuis la page de la demande.",
        ),
        (Expired, false) => (
            403,
            "download.expired",
            "Le lien de téléchargement a expiré : cliquez de nouveau sur « Télécharger ».",
        ),
        (BadSignature, false) => (
            403,
            "download.denied",
            "Le lien de téléchargement est invalide : cliquez de nouveau sur « Télécharger » depuis la page de la demande.",
        ),
    };
    to_hyper(Problem::new(status, code, "Lien refusé", detail).into_response())
}

/// Receives a presigned upload or serves a presigned download (the local stand-in
/// for S3's presigned PUT and GET).
pub(crate) async fn upload(
    st: Arc<State>,
    req: hyper::Request<Incoming>,
    key: &str,
) -> HyperResponse {
    if req.method() == hyper::Method::GET {
        return download(&st, &req, key).await;
    }
    if req.method() != hyper::Method::PUT {
        return to_hyper(Problem::method_not_allowed().into_response());
    }
    let query = link_query(&req);
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let num = |k: &str| {
        query
            .get(k)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(-1)
    };
    let (length, expires) = (num("length"), num("expires"));
    let signature = query.get("signature").cloned().unwrap_or_default();
    let now = st.ctx.now();
    let signed = u64::try_from(length).ok().map(|len| {
        st.blobs
            .verify_upload(key, &content_type, len, expires, &signature, now)
    });
    match signed {
        Some(Ok(())) => {}
        Some(Err(why)) => return link_refused(why, true),
        None => return link_refused(embedded::blobs::LinkRefusal::BadSignature, true),
    }
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    if declared.is_some_and(|d| d != length) {
        return link_refused(embedded::blobs::LinkRefusal::WrongLength, true);
    }
    let limit = st.ctx.config.attachment_max_bytes as usize + 1;
    let bytes = match read_body(req.into_body(), limit).await {
        Ok(b) => b,
        Err(res) => return res,
    };
    if bytes.len() as i64 != length {
        return link_refused(embedded::blobs::LinkRefusal::WrongLength, true);
    }
    if let Err(why) = st.blobs.claim_upload(expires, &signature, now) {
        return link_refused(why, true);
    }
    use ep_common::blobs::Blobs;
    match st.blobs.put(key, bytes.to_vec(), &content_type).await {
        Ok(()) => plain(200, "text/plain; charset=utf-8", ""),
        Err(e) => {
            tracing::error!(error = %e, "local upload failed");
            to_hyper(Problem::unavailable().into_response())
        }
    }
}

/// Serves a presigned download: the checked content type, `Content-Disposition:
/// attachment`, never cached, never rendered in the portal's origin.
async fn download(st: &State, req: &hyper::Request<Incoming>, key: &str) -> HyperResponse {
    let (content_type, name) = match st
        .blobs
        .verify_download(key, &link_query(req), st.ctx.now())
    {
        Ok(v) => v,
        Err(why) => return link_refused(why, false),
    };
    use ep_common::blobs::Blobs;
    let blob = match st.blobs.get(key).await {
        Ok(Some(b)) => b,
        Ok(None) => return to_hyper(Problem::not_found().into_response()),
        Err(e) => {
            tracing::error!(error = %e, "local download failed");
            return to_hyper(Problem::unavailable().into_response());
        }
    };
    let mut res = plain(200, &content_type, blob.bytes);
    let disposition = ep_common::blobs::attachment_disposition(&name);
    for (k, v) in [
        ("content-disposition", disposition.as_str()),
        ("cache-control", "no-store"),
        ("content-security-policy", "default-src 'none'; sandbox"),
    ] {
        if let Ok(v) = http::HeaderValue::from_str(v) {
            res.headers_mut().insert(k, v);
        }
    }
    res
}
