//! Attachments (SPEC §4, convention §1.3, §3.1, §5; contract
//! `notes/attachments-contract.md`) through the API as the pages use it, with the
//! files sent to the upload links: on the data directory (local signed links through
//! the gateway) and on S3 (moto, presigned links). Every refusal has its own message
//! and leaves nothing in the store; downloads only once checked; the caisse's
//! documents; GuardDuty's results; tenant isolation; slots, stalled scans and
//! retention.

use std::sync::Arc;

use ep_common::blobs::Blobs;
use ep_tests::{TempDir, TestApp, TestResponse, moto_endpoint, moto_sdk, send, unique};
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::requests::{ALL, World, act, form, submitted, world};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Backend {
    Dir,
    S3,
    /// S3 on moto, every route through the function binaries (Lambda mode).
    Lambda,
}

/// The app on `b`, with clamd when the test environment has one, and `extra`.
async fn env(b: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    let clamd = std::env::var("EP_TEST_CLAMD").ok();
    let mut pairs: Vec<(&str, &str)> = extra.to_vec();
    if let Some(c) = clamd.as_deref()
        && !extra.iter().any(|(k, _)| *k == "EP_MALWARE_ENGINE")
    {
        pairs.push(("EP_CLAMD_ADDRESS", c));
    }
    match b {
        Backend::Lambda => ep_tests::spawn_in(ep_tests::Mode::Lambda, &pairs).await,
        Backend::Dir => Some(ep_tests::spawn_app_with(&pairs, TempDir::new(), false).await),
        Backend::S3 => {
            let endpoint = moto_endpoint()?;
            let sdk = moto_sdk(&endpoint).await;
            let conf = aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build();
            let bucket = unique("ep-att");
            let s3 =
                ep_common::aws::S3Blobs::new(aws_sdk_s3::Client::from_conf(conf), bucket.clone());
            s3.create_bucket(ep_tests::REGION)
                .await
                .expect("bucket in moto");
            pairs.push(("EP_ATTACHMENTS_BUCKET", Box::leak(bucket.into_boxed_str())));
            let blobs: Arc<dyn Blobs> = Arc::new(s3);
            Some(ep_tests::spawn_app_on(&pairs, TempDir::new(), false, Some(blobs)).await)
        }
    }
}

macro_rules! on_both {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn directory() {
                super::$case(super::Backend::Dir).await;
            }
            #[tokio::test]
            async fn s3() {
                super::$case(super::Backend::S3).await;
            }
        }
    )*};
}

on_both!(
    limits_links_and_other_tenants_are_refused_with_their_own_messages,
    unconfirmed_slots_stalled_scans_and_retention_leave_nothing,
);

/// The journeys that do not move the clock run a third time through the function
/// binaries (`::lambda`: S3 on moto, the gateway's Lambda mode).
macro_rules! on_all_three {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn directory() {
                super::$case(super::Backend::Dir).await;
            }
            #[tokio::test]
            async fn s3() {
                super::$case(super::Backend::S3).await;
            }
            #[tokio::test]
            async fn lambda() {
                super::$case(super::Backend::Lambda).await;
            }
        }
    )*};
}

on_all_three!(
    every_bad_file_is_refused_with_its_own_message_and_nothing_is_kept,
    a_checked_file_is_downloaded_through_a_short_link_and_each_download_listed,
    a_document_request_is_answered_with_a_checked_caisse_document,
);

// ------------------------------------------------------------------ files

pub(crate) fn pdf(body: &str) -> Vec<u8> {
    format!("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n% {body}\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00".to_vec();
    v.extend_from_slice(b"\x00\x00\x00\x00IEND\xaeB`\x82");
    v
}

fn jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend_from_slice(b"JFIF\x00scan-of-a-document");
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// The EICAR test string, assembled at run time (never stored whole in the repo).
pub(crate) fn eicar() -> Vec<u8> {
    let mut s = String::from("X5O!P%@AP[4\\PZX54(P^)7CC)7}$");
    s.push_str("EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
    s.into_bytes()
}

fn zip() -> Vec<u8> {
    let mut z = b"PK\x03\x04\x14\x00\x00\x00\x00\x00".to_vec();
    z.extend_from_slice(&[0; 16]);
    z.extend_from_slice(b"\x05\x00\x00\x00run.js");
    z.extend_from_slice(b"PK\x05\x06");
    z.extend_from_slice(&[0; 18]);
    z
}

// ------------------------------------------------------------------ API helpers

async fn slot(
    app: &TestApp,
    cookie: &str,
    request: &str,
    name: &str,
    ct: &str,
    size: usize,
) -> TestResponse {
    app.post(
        &format!("/api/requests/{request}/attachments"),
        json!({"file_name": name, "content_type": ct, "size": size}),
        Some(cookie),
    )
    .await
}

/// Sends `bytes` to a slot's upload link as a browser does (the link's headers).
pub(crate) async fn put(slot: &Value, bytes: Vec<u8>) -> TestResponse {
    let up = &slot["upload"];
    let headers: Vec<(String, String)> = up["headers"]
        .as_object()
        .expect("upload headers")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    send("PUT", up["url"].as_str().expect("url"), &h, bytes).await
}

async fn confirm(app: &TestApp, cookie: &str, id: &str) -> TestResponse {
    app.post(
        &format!("/api/attachments/{id}/confirm"),
        json!({}),
        Some(cookie),
    )
    .await
}

/// Slot, upload, confirm; returns the attachment as `confirm` answers it.
pub(crate) async fn attach(
    app: &TestApp,
    cookie: &str,
    request: &str,
    name: &str,
    ct: &str,
    bytes: Vec<u8>,
) -> Value {
    let res = slot(app, cookie, request, name, ct, bytes.len()).await;
    assert_eq!(res.status, 201, "slot {name}: {}", res.text());
    let s = res.json();
    let up = put(&s, bytes).await;
    assert_eq!(up.status, 200, "upload {name}: {}", up.text());
    let res = confirm(app, cookie, s["id"].as_str().unwrap()).await;
    assert_eq!(res.status, 200, "confirm {name}: {}", res.text());
    res.json()
}

async fn detail(app: &TestApp, cookie: &str, request: &str) -> Value {
    let res = app
        .call(
            "GET",
            &format!("/api/requests/{request}"),
            None,
            Some(cookie),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

async fn download(app: &TestApp, cookie: &str, id: &str) -> TestResponse {
    app.call(
        "GET",
        &format!("/api/attachments/{id}/download"),
        None,
        Some(cookie),
    )
    .await
}

fn keys(request: &str, id: &str) -> [String; 2] {
    [
        format!("uploads/{request}/{id}"),
        format!("files/{request}/{id}"),
    ]
}

async fn stored(app: &TestApp, request: &str, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for k in keys(request, id) {
        if app
            .app
            .ctx
            .blobs
            .get(&k)
            .await
            .expect("blob store")
            .is_some()
        {
            out.push(k);
        }
    }
    out
}

async fn dossier(app: &TestApp, w: &World) -> String {
    let r = submitted(app, w, form(&w.caisse, "dossier")).await;
    r["id"].as_str().unwrap().to_owned()
}

// ------------------------------------------------------------------ cases

async fn every_bad_file_is_refused_with_its_own_message_and_nothing_is_kept(b: Backend) {
    let Some(app) = env(b, &[]).await else { return };
    let w = world(&app, "bad", "ccas", &ALL).await;
    let id = dossier(&app, &w).await;
    let mut js = pdf("x");
    js.splice(
        9..9,
        b"2 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n"
            .iter()
            .copied(),
    );
    let mut hidden = pdf("x");
    hidden.splice(
        9..9,
        b"2 0 obj << /S /J#61vaScript >> endobj\n".iter().copied(),
    );
    let mut polyglot = jpeg();
    polyglot.extend(zip());
    let mut eicar_pdf = pdf("x");
    eicar_pdf.splice(9..9, eicar());
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "eicar.pdf",
            "application/pdf",
            eicar(),
            "logiciel malveillant",
        ),
        (
            "releve.pdf",
            "application/pdf",
            eicar_pdf,
            "logiciel malveillant",
        ),
        ("formulaire.pdf", "application/pdf", js, "contenu actif"),
        (
            "formulaire2.pdf",
            "application/pdf",
            hidden,
            "contenu actif",
        ),
        (
            "photo.jpg",
            "image/jpeg",
            polyglot,
            "à la fois une image JPEG et une archive ZIP",
        ),
        (
            "setup.pdf",
            "application/pdf",
            b"MZ\x90\x00\x03\x00\x00\x00PE\x00\x00 an exe".to_vec(),
            "ni un PDF, ni une image JPEG, ni une image PNG",
        ),
        (
            "scan.pdf",
            "application/pdf",
            png(),
            "est une image PNG alors qu'il a été annoncé comme un document PDF",
        ),
    ];
    let before = app.outbox().len();
    let mut reasons = Vec::new();
    for (name, ct, bytes, expected) in cases {
        let a = attach(&app, &w.technicien, &id, name, ct, bytes).await;
        assert_eq!(a["state"], "rejected", "{name}: {a}");
        assert_eq!(a["state_label"], "Refusée");
        let reason = a["reason"].as_str().unwrap().to_owned();
        assert!(reason.contains(expected), "{name}: {reason}");
        let att = a["id"].as_str().unwrap();
        assert_eq!(
            stored(&app, &id, att).await,
            Vec::<String>::new(),
            "{name} deleted from the blob store"
        );
        let res = download(&app, &w.agent, att).await;
        assert_eq!(res.status, 409, "{name}");
        assert!(
            res.json()["detail"].as_str().unwrap().contains("refusé"),
            "{name}"
        );
        reasons.push(reason);
    }
    reasons.dedup();
    assert_eq!(
        reasons.len(),
        5,
        "one per kind (malware, active content, polyglot, type, declared type): {reasons:?}"
    );
    // The uploader is told by email, without the file's name.
    let mails: Vec<_> = app.outbox()[before..]
        .iter()
        .map(|e| e.raw.clone())
        .collect();
    let refused: Vec<_> = mails
        .iter()
        .filter(|m| m.contains("Un fichier joint a") || m.contains("un fichier joint a"))
        .collect();
    assert!(refused.len() >= 7, "{}", refused.len());
    let text = app.last_email_to(&w.tech_email).unwrap();
    assert!(text.contains("refusé"), "{text}");
    for name in [
        "eicar",
        "releve",
        "formulaire",
        "photo",
        "setup",
        "scan.pdf",
        "Dupont",
    ] {
        assert!(
            !mails.iter().any(|m| m.contains(name)),
            "{name} in an email"
        );
    }
    // The page shows every refused file with its state and reason; none counts.
    let d = detail(&app, &w.technicien, &id).await;
    let list = d["attachments"].as_array().unwrap();
    assert_eq!(list.len(), 7);
    assert!(list.iter().all(|a| a["state"] == "rejected"
        && a["can_delete"] == true
        && a["can_download"] == false));
    assert_eq!(d["attachment_limits"]["can_attach"], true);
    assert_eq!(d["attachment_limits"]["max_count"], 5);
    // The uploader removes one: record and blobs gone.
    let first = list[0]["id"].as_str().unwrap();
    let res = app
        .call(
            "DELETE",
            &format!("/api/attachments/{first}"),
            None,
            Some(&w.technicien),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert_eq!(
        detail(&app, &w.technicien, &id).await["attachments"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
}

async fn limits_links_and_other_tenants_are_refused_with_their_own_messages(b: Backend) {
    let Some(app) = env(b, &[]).await else { return };
    let w = world(&app, "lim", "ccas", &ALL).await;
    let other = world(&app, "lim2", "ccas", &ALL).await;
    let id = dossier(&app, &w).await;
    let t = &w.technicien;
    let max = 10 * 1024 * 1024;
    let mut codes = Vec::new();
    for (name, ct, size, code, field) in [
        ("vide.pdf", "application/pdf", 0, "attachment.empty", "size"),
        (
            "gros.pdf",
            "application/pdf",
            max + 1,
            "attachment.too_large",
            "size",
        ),
        (
            "page.html",
            "text/html",
            100,
            "attachment.type_refused",
            "content_type",
        ),
        (
            "",
            "application/pdf",
            100,
            "attachment.file_name_required",
            "file",
        ),
        (
            "a\u{202E}fdp.exe",
            "application/pdf",
            100,
            "attachment.file_name_invalid",
            "file",
        ),
    ] {
        let res = slot(&app, t, &id, name, ct, size).await;
        assert_eq!(res.status, 422, "{name}: {}", res.text());
        let p = res.json();
        assert_eq!(p["code"], code);
        assert!(p["errors"][field].as_str().is_some(), "{name}: {p}");
        codes.push(p["detail"].as_str().unwrap().to_owned());
    }
    codes.dedup();
    assert_eq!(codes.len(), 5);

    // Download before the file is checked: 409, agents included.
    let s = slot(
        &app,
        t,
        &id,
        "avis.pdf",
        "application/pdf",
        pdf("avis").len(),
    )
    .await
    .json();
    let sid = s["id"].as_str().unwrap().to_owned();
    for cookie in [&w.agent, t] {
        let res = download(&app, cookie, &sid).await;
        assert_eq!(res.status, 409);
        assert_eq!(res.json()["code"], "attachment.not_safe");
        assert!(
            res.json()["detail"]
                .as_str()
                .unwrap()
                .contains("en cours de vérification")
        );
    }
    let res = confirm(&app, t, &sid).await;
    assert_eq!(
        res.json()["code"],
        "attachment.not_uploaded",
        "nothing sent yet"
    );
    // Another tenant's attachment: 404 everywhere, and its upload link is bound to its key.
    let other_id = dossier(&app, &other).await;
    let mine = slot(
        &app,
        &other.technicien,
        &other_id,
        "b.pdf",
        "application/pdf",
        pdf("avis").len(),
    )
    .await
    .json();
    for cookie in [&other.technicien, &other.gestionnaire, &other.agent] {
        assert_eq!(confirm(&app, cookie, &sid).await.status, 404);
        assert_eq!(download(&app, cookie, &sid).await.status, 404);
        let res = app
            .call(
                "DELETE",
                &format!("/api/attachments/{sid}"),
                None,
                Some(cookie),
            )
            .await;
        assert_eq!(res.status, 404);
        assert_eq!(
            slot(&app, cookie, &id, "x.pdf", "application/pdf", 10)
                .await
                .status,
            404
        );
    }
    if b == Backend::Dir {
        let mut forged = mine.clone();
        let url = mine["upload"]["url"].as_str().unwrap();
        forged["upload"]["url"] = json!(url.replace(
            &format!("uploads/{other_id}/{}", mine["id"].as_str().unwrap()),
            &format!("uploads/{id}/{sid}")
        ));
        let res = put(&forged, pdf("avis")).await;
        assert_eq!(
            res.status, 403,
            "another slot's key with this link's signature"
        );
        assert_eq!(res.json()["code"], "upload.denied");
        assert_eq!(stored(&app, &id, &sid).await, Vec::<String>::new());
    }
    // The file, sent once; the link cannot be used again, nor confirmed twice.
    assert_eq!(put(&s, pdf("avis")).await.status, 200);
    let again = put(&s, pdf("avis")).await;
    if b == Backend::Dir {
        assert_eq!(again.status, 403);
        assert_eq!(again.json()["code"], "upload.reused");
    }
    let res = confirm(&app, t, &sid).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["state"], "safe");
    let res = confirm(&app, t, &sid).await;
    assert_eq!(res.status, 409);
    assert_eq!(res.json()["code"], "attachment.already_confirmed");
    assert_eq!(
        stored(&app, &id, &sid).await,
        vec![format!("files/{id}/{sid}")],
        "only the checked copy"
    );

    // A 6th file: four more, then refused.
    for i in 0..4 {
        let a = attach(&app, t, &id, &format!("piece-{i}.png"), "image/png", png()).await;
        assert_eq!(a["state"], "safe", "{a}");
    }
    let res = slot(&app, t, &id, "sixieme.pdf", "application/pdf", 100).await;
    assert_eq!(res.status, 409);
    assert_eq!(res.json()["code"], "attachment.too_many");
    assert!(
        res.json()["detail"]
            .as_str()
            .unwrap()
            .contains("5 pièces jointes")
    );

    // An expired slot: refused at upload (local links) and at confirmation; removed.
    let id2 = dossier(&app, &w).await;
    let late = slot(
        &app,
        t,
        &id2,
        "tard.pdf",
        "application/pdf",
        pdf("tard").len(),
    )
    .await
    .json();
    let lid = late["id"].as_str().unwrap().to_owned();
    app.clock.advance(SignedDuration::from_secs(301));
    let res = put(&late, pdf("tard")).await;
    if b == Backend::Dir {
        assert_eq!(res.status, 403);
        assert_eq!(res.json()["code"], "upload.expired");
    }
    let res = confirm(&app, t, &lid).await;
    assert_eq!(res.status, 410, "{}", res.text());
    assert_eq!(res.json()["code"], "attachment.slot_expired");
    assert_eq!(stored(&app, &id2, &lid).await, Vec::<String>::new());
    assert_eq!(detail(&app, t, &id2).await["attachments"], json!([]));
}

async fn a_checked_file_is_downloaded_through_a_short_link_and_each_download_listed(b: Backend) {
    let Some(app) = env(b, &[]).await else { return };
    let w = world(&app, "dl", "ccas", &ALL).await;
    let id = dossier(&app, &w).await;
    let bytes = pdf("avis d'imposition");
    let a = attach(
        &app,
        &w.technicien,
        &id,
        "Avis d'impôt 2025.PDF",
        "application/pdf",
        bytes.clone(),
    )
    .await;
    assert_eq!(a["state"], "safe");
    assert_eq!(a["side"], "partner");
    assert_eq!(a["can_delete"], false, "a checked file stays");
    let att = a["id"].as_str().unwrap().to_owned();
    let res = download(&app, &w.agent, &att).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let link = res.json();
    let expires = link["expires_at"].as_i64().unwrap();
    if b == Backend::Lambda {
        // The binary's own clock: the real time.
        let now = jiff::Timestamp::now().as_second();
        assert!(
            (now + 55..=now + 60).contains(&expires),
            "{expires} vs {now}"
        );
    } else {
        assert_eq!(expires, app.clock.now_ts().as_second() + 60);
    }
    let got = send("GET", link["url"].as_str().unwrap(), &[], vec![]).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.body, bytes);
    assert_eq!(
        got.header("content-type").as_deref(),
        Some("application/pdf")
    );
    let cd = got.header("content-disposition").unwrap();
    assert!(
        cd.starts_with("attachment;") && cd.contains("2025.pdf"),
        "{cd}"
    );
    assert_eq!(download(&app, &w.gestionnaire, &att).await.status, 200);
    let d = detail(&app, &w.technicien, &id).await;
    let downloads = d["attachments"][0]["downloads"].as_array().unwrap().clone();
    assert_eq!(downloads.len(), 2);
    assert_eq!(downloads[0]["side"], "caisse");
    assert_eq!(downloads[0]["by_name"], "Agathe Agent");
    assert_eq!(downloads[1]["side"], "partner");
    assert_eq!(
        detail(&app, &w.agent, &id).await["attachments"][0]["downloads"],
        json!(downloads)
    );
    let res = app
        .call(
            "DELETE",
            &format!("/api/attachments/{att}"),
            None,
            Some(&w.technicien),
        )
        .await;
    assert_eq!(res.json()["code"], "attachment.cannot_delete");
    // Once answered and closed, nobody attaches any more.
    act(&app, &w.agent, &id, json!({"action": "take"})).await;
    act(
        &app,
        &w.agent,
        &id,
        json!({"action": "answer", "message": "Dossier complet."}),
    )
    .await;
    let res = slot(&app, &w.technicien, &id, "tard.png", "image/png", 10).await;
    assert_eq!(res.json()["code"], "attachment.not_open");
    assert_eq!(
        detail(&app, &w.technicien, &id).await["attachment_limits"]["can_attach"],
        false
    );
}

async fn a_document_request_is_answered_with_a_checked_caisse_document(b: Backend) {
    let Some(app) = env(b, &[]).await else { return };
    let t = world(&app, "doc", "tutelle", &ALL).await;
    let r = submitted(&app, &t, form(&t.caisse, "document")).await;
    let id = r["id"].as_str().unwrap().to_owned();
    let res = slot(
        &app,
        &t.agent,
        &id,
        "attestation.pdf",
        "application/pdf",
        100,
    )
    .await;
    assert_eq!(res.json()["code"], "attachment.not_open", "taken first");
    act(&app, &t.agent, &id, json!({"action": "take"})).await;
    let res = act(
        &app,
        &t.agent,
        &id,
        json!({"action": "answer", "message": "Voici l'attestation."}),
    )
    .await;
    assert_eq!(res.status, 409);
    assert_eq!(res.json()["code"], "request.document_missing");
    let a = attach(&app, &t.agent, &id, "attestation.png", "image/png", png()).await;
    assert_eq!(a["state"], "safe");
    assert_eq!(a["side"], "caisse");
    let res = act(
        &app,
        &t.agent,
        &id,
        json!({"action": "answer", "message": "Voici l'attestation."}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let page = res.json();
    assert_eq!(page["state"], "answered");
    assert_eq!(page["answer_documents"], json!([a["id"]]));
    let att = a["id"].as_str().unwrap();
    let res = download(&app, &t.technicien, att).await;
    assert_eq!(res.status, 200);
    let got = send("GET", res.json()["url"].as_str().unwrap(), &[], vec![]).await;
    assert_eq!(got.body, png());
    let seen = detail(&app, &t.agent, &id).await;
    assert_eq!(
        seen["attachments"][0]["downloads"][0]["by_name"],
        "Théo Technicien"
    );
    // Not for a partner whose documents go by post.
    let c = world(&app, "post", "ccas", &ALL).await;
    let r = submitted(&app, &c, form(&c.caisse, "document")).await;
    let cid = r["id"].as_str().unwrap();
    act(&app, &c.agent, cid, json!({"action": "take"})).await;
    let res = slot(
        &app,
        &c.agent,
        cid,
        "attestation.pdf",
        "application/pdf",
        100,
    )
    .await;
    assert_eq!(res.status, 409);
    assert_eq!(res.json()["code"], "attachment.not_open");
    assert!(res.json()["detail"].as_str().unwrap().contains("habilités"));
    assert_eq!(
        detail(&app, &c.agent, cid).await["attachment_limits"]["can_attach"],
        false
    );
}

async fn unconfirmed_slots_stalled_scans_and_retention_leave_nothing(b: Backend) {
    let Some(app) = env(b, &[("EP_MALWARE_ENGINE", "guardduty")]).await else {
        return;
    };
    let mut w = world(&app, "life", "ccas", &ALL).await;
    let id = dossier(&app, &w).await;
    // Sent but never confirmed: deleted once the link expired.
    let s = slot(
        &app,
        &w.technicien,
        &id,
        "oubli.pdf",
        "application/pdf",
        pdf("oubli").len(),
    )
    .await
    .json();
    let sid = s["id"].as_str().unwrap().to_owned();
    assert_eq!(put(&s, pdf("oubli")).await.status, 200);
    assert_eq!(stored(&app, &id, &sid).await.len(), 1);
    // Confirmed, but GuardDuty's result never comes.
    let marker = "Quincampoix-Marqueur-4417";
    let p = attach(
        &app,
        &w.technicien,
        &id,
        "avis.pdf",
        "application/pdf",
        pdf(marker),
    )
    .await;
    assert_eq!(p["state"], "pending");
    let pid = p["id"].as_str().unwrap().to_owned();
    assert_eq!(download(&app, &w.agent, &pid).await.status, 409);
    app.clock.advance(SignedDuration::from_secs(200));
    let report = app.app.run_maintenance().await.unwrap();
    assert_eq!(report.attachment_slots.done, 0, "not expired yet");
    app.clock.advance(SignedDuration::from_mins(31));
    let report = app.app.run_maintenance().await.unwrap();
    assert_eq!(report.attachment_slots.done, 1);
    assert_eq!(report.attachment_scans.done, 1);
    assert!(report.blob_deletions.done >= 1, "{report:?}");
    assert_eq!(stored(&app, &id, &sid).await, Vec::<String>::new());
    w.refresh(&app).await;
    let d = detail(&app, &w.agent, &id).await;
    let list = d["attachments"].as_array().unwrap();
    assert_eq!(list.len(), 1, "the expired slot is gone: {list:?}");
    assert_eq!(list[0]["state"], "pending");
    assert_eq!(list[0]["stalled"], true, "reported, not released");
    assert_eq!(download(&app, &w.agent, &pid).await.status, 409);
    // Closed, then deleted after 12 months with its files.
    act(&app, &w.agent, &id, json!({"action": "take"})).await;
    act(&app, &w.agent, &id, json!({"action": "close"})).await;
    app.clock.advance(SignedDuration::from_hours(24 * 367));
    let report = app.app.run_maintenance().await.unwrap();
    assert_eq!(report.request_purge.done, 1, "{report:?}");
    assert_eq!(stored(&app, &id, &pid).await, Vec::<String>::new());
    let left = app
        .app
        .ctx
        .table
        .query_all(&ep_common::table::Query::new(
            ep_common::table::Index::Table,
            format!("REQUEST#{id}"),
        ))
        .await
        .unwrap();
    assert!(
        left.is_empty(),
        "the request's partition is empty: {left:?}"
    );
    if b == Backend::Dir {
        let hits = files_containing(&app.dir.0, marker.as_bytes());
        assert_eq!(
            hits,
            Vec::<String>::new(),
            "the file left the data directory"
        );
    }
}

fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else if std::fs::read(&path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)) {
            hits.push(path.display().to_string());
        }
    }
    hits
}

/// One fixture per GuardDuty result status, as EventBridge delivers it to the
/// attachments Lambda (`handle_event`): only NO_THREATS_FOUND releases the file;
/// every other status rejects it with a reason and deletes it; a second delivery
/// changes nothing.
#[tokio::test]
async fn guardduty_results_settle_pending_files_one_fixture_per_status() {
    let app = env(Backend::Dir, &[("EP_MALWARE_ENGINE", "guardduty")])
        .await
        .unwrap();
    let w = world(&app, "gd", "ccas", &ALL).await;
    let id = dossier(&app, &w).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/guardduty");
    let cases = [
        ("no_threats_found", "safe", ""),
        ("threats_found", "rejected", "logiciel malveillant"),
        ("unsupported", "rejected", "n'a pas pu analyser"),
        ("access_denied", "rejected", "n'a pas pu aboutir"),
        ("failed", "rejected", "n'a pas pu aboutir"),
    ];
    for (fixture, state, reason) in cases {
        let a = attach(
            &app,
            &w.technicien,
            &id,
            &format!("{fixture}.pdf"),
            "application/pdf",
            pdf(fixture),
        )
        .await;
        assert_eq!(a["state"], "pending", "{a}");
        assert_eq!(a["state_label"], "Vérification en cours");
        let att = a["id"].as_str().unwrap().to_owned();
        let res = download(&app, &w.agent, &att).await;
        assert_eq!(res.status, 409);
        let mut event: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{fixture}.json"))).unwrap(),
        )
        .unwrap();
        event["detail"]["s3ObjectDetails"]["bucketName"] =
            json!(app.app.ctx.config.attachments_bucket);
        event["detail"]["s3ObjectDetails"]["objectKey"] = json!(format!("files/{id}/{att}"));
        let out = ep_attachments::handle_event(&app.app.ctx, event.clone())
            .await
            .expect("handled");
        assert_eq!(out["outcome"], state, "{fixture}");
        let again = ep_attachments::handle_event(&app.app.ctx, event)
            .await
            .unwrap();
        assert_eq!(again["outcome"], "ignored", "{fixture}: delivered twice");
        let d = detail(&app, &w.agent, &id).await;
        let shown = d["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == att.as_str())
            .unwrap()
            .clone();
        assert_eq!(shown["state"], state, "{fixture}");
        if state == "safe" {
            assert_eq!(download(&app, &w.agent, &att).await.status, 200);
            assert_eq!(stored(&app, &id, &att).await.len(), 1);
        } else {
            assert!(
                shown["reason"].as_str().unwrap().contains(reason),
                "{fixture}: {shown}"
            );
            assert_eq!(
                stored(&app, &id, &att).await,
                Vec::<String>::new(),
                "{fixture}"
            );
        }
    }
    // Events of another shape: an HTTP event goes to the routes, anything else is refused.
    let http = json!({
        "version": "2.0", "routeKey": "GET /api/attachments/{attachment_id}/download",
        "rawPath": "/api/attachments/x/download", "rawQueryString": "", "headers": {},
        "pathParameters": {"attachment_id": "x"},
        "requestContext": {"accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d",
            "http": {"method": "GET", "path": "/api/attachments/x/download", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"},
            "requestId": "r", "routeKey": "GET /api/attachments/{attachment_id}/download", "stage": "$default",
            "time": "26/Nov/2026:09:00:00 +0000", "timeEpoch": 0},
        "isBase64Encoded": false
    });
    let res = ep_attachments::handle_event(&app.app.ctx, http)
        .await
        .unwrap();
    assert_eq!(res["statusCode"], 401, "{res}");
    assert!(
        ep_attachments::handle_event(&app.app.ctx, json!({"detail-type": "Scheduled Event"}))
            .await
            .is_err()
    );
}

/// Every route of the attachments function with another tenant's ids: 404.
#[tokio::test]
async fn tenant_isolation_on_every_attachment_endpoint() {
    let app = env(Backend::Dir, &[]).await.unwrap();
    let a = world(&app, "isoa", "tutelle", &ALL).await;
    let b = world(&app, "isob", "tutelle", &ALL).await;
    let id = dossier(&app, &a).await;
    let att = attach(
        &app,
        &a.technicien,
        &id,
        "a.pdf",
        "application/pdf",
        pdf("a"),
    )
    .await;
    let att = att["id"].as_str().unwrap();
    let defs = ep_gateway::template::functions(ep_gateway::template::TEMPLATE).unwrap();
    let f = defs.iter().find(|d| d.binary == "ep-attachments").unwrap();
    // The attachments' routes (the function also serves the documentation, which
    // belongs to no tenant: tests/api/documents.rs checks who reads what).
    let routes: Vec<_> = f
        .routes
        .iter()
        .filter(|r| !r.path.starts_with("/api/documents"))
        .collect();
    assert_eq!(routes.len(), 4);
    for route in routes {
        let path = route
            .path
            .replace("{request_id}", &id)
            .replace("{attachment_id}", att);
        for cookie in [&b.agent, &b.gestionnaire, &b.technicien] {
            let body = json!({"file_name": "x.pdf", "content_type": "application/pdf", "size": 10});
            let res = app
                .call(&route.method, &path, Some(body), Some(cookie))
                .await;
            assert_eq!(res.status, 404, "{} {path}: {}", route.method, res.text());
        }
        // Malformed or unknown ids: 404 as well.
        for bad in [
            "x",
            "0123456789abcdef0123456789abcdef0123456789abcdef",
            "../../etc",
        ] {
            let path = route
                .path
                .replace("{request_id}", bad)
                .replace("{attachment_id}", bad);
            let res = app
                .call(&route.method, &path, Some(json!({})), Some(&a.agent))
                .await;
            assert_eq!(res.status, 404, "{path}: {}", res.text());
        }
    }
    assert!(
        !detail(&app, &a.agent, &id).await["attachments"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// On Lambda the SDK adds X-Ray's `x-amzn-trace-id` to presigned requests; the
/// browser sends the upload target's headers as given, and the bucket's CORS rules
/// allow only the signed ones: the target must carry only those.
#[tokio::test]
async fn upload_targets_carry_only_signed_headers_on_lambda() {
    let Some(app) = env(Backend::Lambda, &[]).await else {
        return;
    };
    let w = world(&app, "sh", "ccas", &ALL).await;
    let id = dossier(&app, &w).await;
    let s = slot(&app, &w.technicien, &id, "a.pdf", "application/pdf", 10).await;
    assert_eq!(s.status, 201, "{}", s.text());
    let s = s.json();
    let url = s["upload"]["url"].as_str().unwrap();
    let signed: Vec<String> = url
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("X-Amz-SignedHeaders="))
        .expect("a SigV4 presigned URL")
        .split("%3B")
        .map(str::to_ascii_lowercase)
        .collect();
    let headers = s["upload"]["headers"].as_object().expect("headers");
    assert!(!headers.is_empty());
    for name in headers.keys() {
        assert!(signed.contains(name), "{name} is not signed: {signed:?}");
    }
}
