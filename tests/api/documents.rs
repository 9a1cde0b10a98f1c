//! Documentation (convention §3.2, SPEC §5): the platform admin publishes documents
//! (title, audience, version) whose files go through the attachments' checks and
//! scan; each user sees the current version of what is meant for them, the admin
//! every version; a refused or unchecked file is never offered; publications and
//! downloads are audited.

use ep_common::table::{Index, Query};
use ep_tests::{Mode, TestApp, TestResponse, send, spawn_in};
use serde_json::{Value, json};

use crate::attachments::{eicar, pdf, put};
use crate::requests::{admin, world};

both_modes!(documents_are_checked_and_offered_to_their_audience_in_their_current_version);

fn doc(title: &str, audience: &str, version: &str, bytes: &[u8]) -> Value {
    json!({"title": title, "audience": audience, "version": version,
           "file_name": "guide.pdf", "content_type": "application/pdf", "size": bytes.len()})
}

/// Publishes: slot, upload, confirm; returns the version as `confirm` answers it.
async fn publish(
    app: &TestApp,
    cookie: &str,
    mut body: Value,
    doc_id: Option<&str>,
    bytes: Vec<u8>,
) -> Value {
    if let Some(d) = doc_id {
        body["document_id"] = json!(d);
    }
    // One publication a minute (in process; through the binaries, time moves anyway).
    app.clock.advance(jiff::SignedDuration::from_mins(1));
    let res = app.post("/api/documents", body, Some(cookie)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let slot = res.json();
    assert_eq!(slot["document"]["state"], "slot");
    let up = put(&slot, bytes).await;
    assert_eq!(up.status, 200, "upload: {}", up.text());
    let id = slot["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/documents/{id}/confirm"),
            json!({}),
            Some(cookie),
        )
        .await;
    assert_eq!(res.status, 200, "confirm: {}", res.text());
    res.json()
}

async fn listed(app: &TestApp, cookie: &str) -> Vec<(String, String)> {
    let res = app.call("GET", "/api/documents", None, Some(cookie)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["title"].as_str().unwrap().to_owned(),
                d["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn download(app: &TestApp, cookie: &str, id: &str) -> TestResponse {
    app.call(
        "GET",
        &format!("/api/documents/{id}/download"),
        None,
        Some(cookie),
    )
    .await
}

async fn audit_actions(app: &TestApp, org: &str) -> Vec<String> {
    app.app
        .ctx
        .table
        .query_all(&Query::new(Index::Table, format!("AUDIT#{org}")))
        .await
        .unwrap()
        .iter()
        .filter_map(|i| i.get_str("action").map(str::to_owned))
        .collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn documents_are_checked_and_offered_to_their_audience_in_their_current_version(mode: Mode) {
    let clamd = std::env::var("EP_TEST_CLAMD").ok();
    let pairs: Vec<(&str, &str)> = clamd
        .as_deref()
        .map(|c| vec![("EP_CLAMD_ADDRESS", c)])
        .unwrap_or_default();
    let Some(app) = spawn_in(mode, &pairs).await else {
        return;
    };
    let w = world(&app, "doc", "ccas", &["contact"]).await;
    let admin = admin(&app).await;
    let guide = pdf("Guide de l'utilisateur, version 1");

    // Only the platform admin publishes.
    for cookie in [&w.agent, &w.gestionnaire, &w.technicien] {
        let res = app
            .post(
                "/api/documents",
                doc("Guide", "tous", "1", &guide),
                Some(cookie),
            )
            .await;
        assert_eq!(res.status, 404, "{}", res.text());
    }
    // Each field is checked (the file as an attachment's), naming it.
    let mut text_file = doc("Guide", "tous", "1", &guide);
    text_file["content_type"] = json!("text/plain");
    let mut empty = doc("Guide", "tous", "1", &guide);
    empty["size"] = json!(0);
    for (body, field) in [
        (doc(" ", "tous", "1", &guide), "title"),
        (doc("Guide", "tout le monde", "1", &guide), "audience"),
        (doc("Guide", "tous", "", &guide), "version"),
        (doc(&"G".repeat(151), "tous", "1", &guide), "title"),
        (doc("Guide\u{202E}fdp", "tous", "1", &guide), "title"),
        (text_file, "content_type"),
        (empty, "size"),
    ] {
        let res = app.post("/api/documents", body.clone(), Some(&admin)).await;
        assert_eq!(res.status, 422, "{body}: {}", res.text());
        assert!(
            res.json()["errors"][field].is_string(),
            "{field}: {}",
            res.text()
        );
    }

    // A slot is not offered before its file is checked.
    let res = app
        .post(
            "/api/documents",
            doc("Guide de l'utilisateur", "partenaires", "2026-1", &guide),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 201);
    assert!(listed(&app, &w.technicien).await.is_empty());
    assert_eq!(
        download(&app, &w.technicien, &id(&res.json())).await.status,
        404
    );

    // Published for the partners: the technicien sees and downloads it, not the agent.
    let v1 = publish(
        &app,
        &admin,
        doc("Guide de l'utilisateur", "partenaires", "2026-1", &guide),
        None,
        guide.clone(),
    )
    .await;
    assert_eq!(v1["state"], "safe", "{v1}");
    let document = v1["document_id"].as_str().unwrap().to_owned();
    assert_eq!(
        listed(&app, &w.technicien).await,
        [("Guide de l'utilisateur".to_owned(), "2026-1".to_owned())]
    );
    assert_eq!(listed(&app, &w.gestionnaire).await.len(), 1);
    assert!(listed(&app, &w.agent).await.is_empty());
    assert_eq!(download(&app, &w.agent, &id(&v1)).await.status, 404);
    let res = download(&app, &w.technicien, &id(&v1)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let file = send("GET", res.json()["url"].as_str().unwrap(), &[], vec![]).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, guide, "the bytes published");
    assert!(
        file.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment")),
        "{:?}",
        file.header("content-disposition")
    );

    // A new version replaces it for the users; the admin keeps both listed.
    let guide2 = pdf("Guide de l'utilisateur, version 2");
    let res = app
        .post(
            "/api/documents",
            json!({"document_id": document, "title": "Guide de l'utilisateur", "audience": "partenaires",
                   "version": "2026-1", "file_name": "guide.pdf", "content_type": "application/pdf", "size": 10}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 422, "same version twice: {}", res.text());
    assert!(
        res.json()["errors"]["version"]
            .as_str()
            .unwrap()
            .contains("existe déjà")
    );
    let v2 = publish(
        &app,
        &admin,
        doc("Guide de l'utilisateur", "partenaires", "2026-2", &guide2),
        Some(&document),
        guide2,
    )
    .await;
    assert_eq!(v2["state"], "safe");
    assert_eq!(
        listed(&app, &w.technicien).await,
        [("Guide de l'utilisateur".to_owned(), "2026-2".to_owned())]
    );
    assert_eq!(
        download(&app, &w.technicien, &id(&v1)).await.status,
        404,
        "an older version"
    );
    assert_eq!(download(&app, &w.technicien, &id(&v2)).await.status, 200);
    assert_eq!(
        download(&app, &admin, &id(&v1)).await.status,
        200,
        "the admin reads any version"
    );

    // A file the checks refuse is never offered; the current version stays.
    let v3 = publish(
        &app,
        &admin,
        doc("Guide de l'utilisateur", "partenaires", "2026-3", &eicar()),
        Some(&document),
        eicar(),
    )
    .await;
    assert_eq!(v3["state"], "rejected", "{v3}");
    assert!(v3["reason"].is_string());
    assert_eq!(listed(&app, &w.technicien).await[0].1, "2026-2");
    assert_eq!(download(&app, &w.technicien, &id(&v3)).await.status, 404);
    assert_eq!(download(&app, &admin, &id(&v3)).await.status, 404);
    let all = app
        .call("GET", "/api/documents", None, Some(&admin))
        .await
        .json();
    let states: Vec<(&str, &str)> = all["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] != "slot")
        .map(|v| (v["version"].as_str().unwrap(), v["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("2026-3", "rejected"),
            ("2026-2", "safe"),
            ("2026-1", "safe")
        ]
    );
    assert!(
        all["versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["state"] == "slot")
    );
    // Users get no `versions`.
    let mine = app
        .call("GET", "/api/documents", None, Some(&w.technicien))
        .await
        .json();
    assert!(mine.get("versions").is_none());

    // Audiences: « caisses » for the staff only, « tous » for everyone.
    let form = pdf("Formulaire");
    let staff = publish(
        &app,
        &admin,
        doc("Procédure interne", "caisses", "1", &form),
        None,
        form.clone(),
    )
    .await;
    publish(
        &app,
        &admin,
        doc("Formulaire de contact", "tous", "1", &form),
        None,
        form,
    )
    .await;
    assert_eq!(listed(&app, &w.agent).await.len(), 2);
    assert_eq!(
        listed(&app, &w.technicien)
            .await
            .iter()
            .map(|d| d.0.as_str())
            .collect::<Vec<_>>(),
        ["Formulaire de contact", "Guide de l'utilisateur"]
    );
    assert_eq!(download(&app, &w.technicien, &id(&staff)).await.status, 404);
    assert_eq!(download(&app, &w.agent, &id(&staff)).await.status, 200);

    // Audited: publications in the platform's trail, downloads in the reader's.
    let platform = audit_actions(&app, "platform").await;
    assert_eq!(
        platform
            .iter()
            .filter(|a| *a == "document.published")
            .count(),
        4
    );
    assert!(platform.iter().any(|a| a == "document.rejected"));
    assert!(
        audit_actions(&app, &w.partner)
            .await
            .iter()
            .any(|a| a == "document.downloaded")
    );
    assert!(
        audit_actions(&app, &w.caisse)
            .await
            .iter()
            .any(|a| a == "document.downloaded")
    );
}
