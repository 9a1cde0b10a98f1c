//! Every list answers in a bounded number of store round trips (issue 9): for
//! **every** `GET` route of `template.yaml`, the handler makes at most 3 calls to the
//! Table port beyond the session check, with a caisse holding a page of 50 partners.
//! A new `GET` route without a case here fails the test.

use std::collections::BTreeMap;
use std::sync::Arc;

use ep_common::sessions::{self, Gate};
use ep_tests::spawn_app;
use serde_json::{Value, json};

use crate::requests::{Counting, admin, form, submitted, world};

/// Store calls a `GET` may make beyond the session check.
const MAX_AFTER_SESSION: u64 = 3;
/// A `GET` that records an audit event (an export, a download) makes one more: the
/// read of the trail's head that seals the event into its hash chain (issue 15).
const AUDITED_GETS: [&str; 4] = [
    "GET /api/partners/{partner_id}/accounts.csv",
    "GET /api/attachments/{attachment_id}/download",
    "GET /api/audit.csv",
    "GET /api/documents/{version_id}/download",
];
/// Store calls of the session check itself, whatever the gate (session + CGU, then
/// user + partner).
const MAX_SESSION: u64 = 2;

fn event(route: &str, path: &str, query: &str, cookie: &str) -> lambda_http::Request {
    let params: serde_json::Map<String, Value> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    // Path parameters: the template's `{name}` segments matched against the path.
    let template = route.split_once(' ').map_or("", |(_, t)| t);
    let path_params: serde_json::Map<String, Value> = template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(t, v)| {
            let name = t.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.to_owned(), json!(v)))
        })
        .collect();
    let e = json!({
        "version": "2.0", "routeKey": route, "rawPath": path, "rawQueryString": query,
        "headers": {"host": "127.0.0.1", "cookie": cookie},
        "queryStringParameters": params,
        "pathParameters": path_params,
        "requestContext": {
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "test"},
            "routeKey": route, "stage": "$default", "timeEpoch": 0
        },
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&e.to_string()).expect("event")
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn every_get_route_answers_in_at_most_3_store_round_trips_after_the_session_check() {
    let app = spawn_app().await;
    let w = world(&app, "rt", "tutelle", &crate::requests::ALL).await;
    let admin = admin(&app).await;
    // A page of 50 partners for the caisse (49 more), each with its convention.
    for i in 0..49 {
        let res = app
            .post(
                "/api/partners",
                json!({"name": format!("Structure {i:02}"), "siret": ep_tests::next_siret(), "address": "1 rue Exemple, 69000 Lyon",
                       "category": "ccas", "members": 10,
                       "allowed_domains": [format!("s{i}.example.org")],
                       "convention": {"start": "2026-01-01", "functionalities": ["contact"]}}),
                Some(&w.agent),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    let request = id_of(&submitted(&app, &w, form(&w.caisse, "dossier")).await);
    let file = crate::attachments::attach(
        &app,
        &w.technicien,
        &request,
        "justificatif.pdf",
        "application/pdf",
        crate::attachments::pdf("justificatif"),
    )
    .await;
    assert_eq!(file["state"], "safe", "{file}");
    let attachment = id_of(&file);
    // One of each caisse queue item: a habilitation, a modification, an inactivation.
    let me = app
        .call("GET", "/api/me", None, Some(&w.gestionnaire))
        .await
        .json();
    let gestionnaire_id = me["id"].as_str().unwrap().to_owned();
    let hab = app
        .post(
            &format!("/api/partners/{}/habilitations", w.partner),
            crate::requests::person("Hugo", "Habilité", "hugo@ccas-rt.example.org"),
            Some(&w.agent),
        )
        .await;
    assert_eq!(hab.status, 201, "{}", hab.text());
    let res = app
        .post(
            &format!("/api/partners/{}/modifications", w.partner),
            json!({"user_id": gestionnaire_id, "fonction": "Cheffe de service"}),
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());

    // A published document (the documentation pages).
    let guide = crate::attachments::pdf("Guide");
    let slot = app
        .post(
            "/api/documents",
            json!({"title": "Guide", "audience": "tous", "version": "1", "file_name": "guide.pdf",
                   "content_type": "application/pdf", "size": guide.len()}),
            Some(&admin),
        )
        .await
        .json();
    assert_eq!(crate::attachments::put(&slot, guide).await.status, 200);
    let document = id_of(&slot);
    let res = app
        .post(
            &format!("/api/documents/{document}/confirm"),
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.json()["state"], "safe", "{}", res.text());

    let counting = Arc::new(Counting {
        inner: app.app.ctx.table.clone(),
        n: Default::default(),
    });
    let mut ctx = app.app.ctx.clone();
    ctx.table = counting.clone();
    let (p, c, r) = (&w.partner, &w.caisse, &request);
    // route → (path, query, cookie)
    let cases: BTreeMap<&str, (String, &str, &str)> = [
        ("GET /api/health", ("/api/health".into(), "", "")),
        ("GET /api/legal", ("/api/legal".into(), "", "")),
        ("GET /api/me", ("/api/me".into(), "", w.technicien.as_str())),
        (
            "GET /api/cgu",
            ("/api/cgu".into(), "", w.technicien.as_str()),
        ),
        (
            "GET /api/caisses",
            ("/api/caisses".into(), "", admin.as_str()),
        ),
        (
            "GET /api/caisses/{caisse_id}",
            (format!("/api/caisses/{c}"), "", w.agent.as_str()),
        ),
        (
            "GET /api/caisses/{caisse_id}/agents",
            (format!("/api/caisses/{c}/agents"), "", w.agent.as_str()),
        ),
        (
            "GET /api/partners",
            ("/api/partners".into(), "", w.agent.as_str()),
        ),
        (
            "GET /api/partners/{partner_id}",
            (format!("/api/partners/{p}"), "", w.agent.as_str()),
        ),
        (
            "GET /api/partners/{partner_id}/audit",
            (format!("/api/partners/{p}/audit"), "", w.agent.as_str()),
        ),
        (
            "GET /api/partners/{partner_id}/accounts",
            (
                format!("/api/partners/{p}/accounts"),
                "",
                w.gestionnaire.as_str(),
            ),
        ),
        (
            "GET /api/partners/{partner_id}/accounts.csv",
            (
                format!("/api/partners/{p}/accounts.csv"),
                "",
                w.gestionnaire.as_str(),
            ),
        ),
        (
            "GET /api/partners/{partner_id}/notices",
            (
                format!("/api/partners/{p}/notices"),
                "",
                w.gestionnaire.as_str(),
            ),
        ),
        (
            "GET /api/habilitations",
            ("/api/habilitations".into(), "", w.agent.as_str()),
        ),
        (
            "GET /api/modifications",
            ("/api/modifications".into(), "", w.agent.as_str()),
        ),
        (
            "GET /api/inactivations",
            ("/api/inactivations".into(), "", w.agent.as_str()),
        ),
        (
            "GET /api/help",
            ("/api/help".into(), "", w.technicien.as_str()),
        ),
        (
            "GET /api/emails/failed",
            ("/api/emails/failed".into(), "", admin.as_str()),
        ),
        (
            "GET /api/documents",
            ("/api/documents".into(), "", w.technicien.as_str()),
        ),
        (
            "GET /api/documents/{version_id}/download",
            (
                format!("/api/documents/{document}/download"),
                "",
                w.technicien.as_str(),
            ),
        ),
        (
            "GET /api/maintenance-windows",
            ("/api/maintenance-windows".into(), "", w.agent.as_str()),
        ),
        (
            "GET /api/requests/options",
            ("/api/requests/options".into(), "", w.technicien.as_str()),
        ),
        (
            "GET /api/requests",
            ("/api/requests".into(), "", w.technicien.as_str()),
        ),
        (
            "GET /api/requests/{request_id}",
            (format!("/api/requests/{r}"), "", w.agent.as_str()),
        ),
        (
            "GET /api/queue",
            ("/api/queue".into(), "", w.agent.as_str()),
        ),
        (
            "GET /api/attachments/{attachment_id}/download",
            (
                format!("/api/attachments/{attachment}/download"),
                "",
                w.agent.as_str(),
            ),
        ),
        (
            "GET /api/audit",
            ("/api/audit".into(), "", w.agent.as_str()),
        ),
        (
            "GET /api/audit.csv",
            ("/api/audit.csv".into(), "", w.agent.as_str()),
        ),
    ]
    .into_iter()
    .collect();

    let handlers: BTreeMap<&str, ep_gateway::registry::HttpHandler> =
        ep_gateway::registry::functions()
            .into_iter()
            .flat_map(|f| f.routes.iter().map(move |r| (*r, f.http)))
            .collect();
    let defs = ep_gateway::template::functions(ep_gateway::template::TEMPLATE).unwrap();
    let mut table = vec![format!("| route | session check | after it | page |")];
    table.push("|---|---|---|---|".into());
    let mut over = Vec::new();
    for route in defs.iter().flat_map(|d| d.routes.iter()) {
        let key = route.key();
        if !key.starts_with("GET ") {
            continue;
        }
        let (path, query, cookie) = cases
            .get(key.as_str())
            .unwrap_or_else(|| panic!("no round-trip case for {key}: add one"));
        for gate in [
            Gate::Full,
            Gate::FullEvenIfSuspended,
            Gate::RequiredActions,
            Gate::FullDuringMaintenance,
        ] {
            if cookie.is_empty() {
                break;
            }
            counting.take();
            let checked = sessions::require(&ctx, &event(&key, path, query, cookie), gate).await;
            let calls = counting.take();
            assert!(checked.is_ok(), "{key}: session check {gate:?} refused");
            if calls > MAX_SESSION {
                over.push(format!("{key}: session check {gate:?} {calls}"));
            }
        }
        let session = if cookie.is_empty() {
            0
        } else {
            counting.take();
            sessions::require(
                &ctx,
                &event(&key, path, query, cookie),
                Gate::FullEvenIfSuspended,
            )
            .await
            .expect("session");
            counting.take()
        };
        let handler = handlers[key.as_str()];
        let res = handler(ctx.clone(), event(&key, path, query, cookie)).await;
        let total = counting.take();
        assert_eq!(res.status(), 200, "{key}: {:?}", res.body());
        let after = total.saturating_sub(session);
        let rows = serde_json::from_slice::<Value>(res.body().as_ref())
            .ok()
            .and_then(|v| v["items"].as_array().map(Vec::len))
            .map_or("—".to_owned(), |n| n.to_string());
        table.push(format!("| `{key}` | {session} | {after} | {rows} |"));
        let max = MAX_AFTER_SESSION + u64::from(AUDITED_GETS.contains(&key.as_str()));
        if after > max {
            over.push(format!("{key}: {after}"));
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(
        over.is_empty(),
        "over {MAX_SESSION} round trips in the session check or {MAX_AFTER_SESSION} after it: {over:?}"
    );
}
