//! The audit pages (issue 15): who sees which trail, filters, pagination bounded per
//! page, the CSV export (itself recorded), and the verify action naming a tampered
//! event — through the API as the pages use it, in both modes.

use ep_common::audit;
use ep_common::table::Cond;
use ep_tests::{Mode, TestApp, spawn_in};
use serde_json::{Value, json};

use crate::accounts::{World, create_technicien, world};

both_modes!(
    each_reader_sees_their_own_trail_and_no_other,
    filters_and_pages_read_a_bounded_number_of_events,
    the_export_is_recorded_and_verify_names_a_tampered_event,
);

async fn get(app: &TestApp, path: &str, cookie: &str) -> ep_tests::TestResponse {
    app.call("GET", path, None, Some(cookie)).await
}

/// A cursor as a query value (it holds `#` and `:`).
fn enc(c: &str) -> String {
    c.replace('#', "%23").replace(':', "%3A")
}

fn actions(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn identifiant(app: &TestApp, cookie: &str) -> String {
    get(app, "/api/me", cookie).await.json()["identifiant"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `n` events appended to `org`'s trail straight through the store.
async fn seed(app: &TestApp, org: &str, n: usize, action: &str, target: Option<&str>) {
    let ctx = &app.app.ctx;
    let writes: Vec<_> = (0..n)
        .map(|_| audit::record(org, audit::event(ctx.now(), "system", action, target), 12).unwrap())
        .collect();
    for chunk in writes.chunks(50) {
        audit::transact(ctx, chunk.to_vec()).await.unwrap();
    }
}

async fn each_reader_sees_their_own_trail_and_no_other(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let a: World = world(&app, "jra", 40).await;
    let b: World = world(&app, "jrb", 40).await;
    // A caisse agent: their caisse's trail.
    let res = get(&app, "/api/audit", &a.agent).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let page = res.json();
    assert_eq!(page["org"], json!(a.caisse));
    assert!(
        actions(&page).contains(&"partner.created".to_owned()),
        "{page}"
    );
    // Actors of the organisation are named.
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["actor"] != i["actor_id"]),
        "{page}"
    );
    assert_eq!(
        get(&app, "/api/audit", &b.agent).await.json()["org"],
        json!(b.caisse)
    );
    // A gestionnaire: their partner's.
    let page = get(&app, "/api/audit", &a.gestionnaire).await.json();
    assert_eq!(page["org"], json!(a.partner));
    assert!(
        actions(&page).contains(&"auth.login.success".to_owned()),
        "{page}"
    );
    // The admin: the platform's.
    let page = get(&app, "/api/audit", &a.admin).await.json();
    assert_eq!(page["org"], json!("platform"));
    assert!(
        actions(&page).contains(&"caisse.created".to_owned()),
        "{page}"
    );
    // A technicien, or nobody: no trail (404 as for anything not theirs; 401).
    assert_eq!(create_technicien(&app, &a, "tech").await.status, 201);
    let (_, tech) = crate::accounts::activate(&app, &format!("tech@{}", a.domain)).await;
    for path in ["/api/audit", "/api/audit.csv"] {
        assert_eq!(get(&app, path, &tech).await.status, 404, "{path}");
        assert_eq!(app.get(path).await.status, 401, "{path}");
    }
    assert_eq!(
        app.post("/api/audit/verify", json!({}), Some(&tech))
            .await
            .status,
        404
    );
}

async fn filters_and_pages_read_a_bounded_number_of_events(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "jrf", 40).await;
    let me = identifiant(&app, &w.agent).await;
    // Action code or prefix; the actor by identifiant.
    let page = get(&app, "/api/audit?action=partner.", &w.agent)
        .await
        .json();
    assert!(!actions(&page).is_empty() && actions(&page).iter().all(|a| a.starts_with("partner.")));
    let page = get(
        &app,
        &format!("/api/audit?actor={me}&action=habilitation.approved"),
        &w.agent,
    )
    .await
    .json();
    assert_eq!(actions(&page), ["habilitation.approved"], "{page}");
    // Dates: today has them all, tomorrow none; bad input names the field.
    // The day of the events (the functions' clock: the machine's in Lambda mode).
    let created = get(&app, "/api/audit?action=partner.created", &w.agent)
        .await
        .json();
    let at: jiff::Timestamp = created["items"][0]["at"].as_str().unwrap().parse().unwrap();
    let today = ep_common::domain::calendar::paris_date(at);
    let tomorrow = today.tomorrow().unwrap();
    let page = get(
        &app,
        &format!("/api/audit?from={today}&to={today}&action=partner.created"),
        &w.agent,
    )
    .await
    .json();
    assert_eq!(actions(&page), ["partner.created"]);
    let page = get(&app, &format!("/api/audit?from={tomorrow}"), &w.agent)
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    for (query, field) in [
        (format!("from={tomorrow}&to={today}"), "to"),
        ("from=07/12/2026".to_owned(), "from"),
        ("actor=personne-inconnue".to_owned(), "actor"),
        ("action=%3Cscript%3E".to_owned(), "action"),
    ] {
        let res = get(&app, &format!("/api/audit?{query}"), &w.agent).await;
        assert_eq!(res.status, 422, "{query}: {}", res.text());
        assert!(
            res.json()["errors"][field].is_string(),
            "{query}: {}",
            res.text()
        );
    }
    // One rare event, then 350 others after it.
    seed(&app, &w.caisse, 1, "review.requested", Some("cible-rare")).await;
    seed(&app, &w.caisse, 350, "auth.login.failure", None).await;
    // Pages of 20, newest first, no event twice.
    let mut seen = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    for _ in 0..3 {
        let path = match &cursor {
            Some(c) => format!("/api/audit?cursor={}", enc(c)),
            None => "/api/audit".into(),
        };
        let page = get(&app, &path, &w.agent).await.json();
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 20);
        for i in items {
            assert!(seen.insert(i["id"].as_str().unwrap().to_owned()));
        }
        let seqs: Vec<u64> = items
            .iter()
            .map(|i| i["seq"].as_u64().unwrap_or_else(|| panic!("{i}")))
            .collect();
        assert!(
            seqs.windows(2).all(|p| p[0] > p[1]),
            "newest first: {seqs:?}"
        );
        cursor = page["next"].as_str().map(str::to_owned);
    }
    // A filter matching only the old event: the first page reads at most 3 × 100
    // events, returns nothing yet and a cursor; the next one finds it.
    let page = get(&app, "/api/audit?target=cible-rare", &w.agent)
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "{page}");
    let next = page["next"].as_str().expect("a next page").to_owned();
    let page = get(
        &app,
        &format!("/api/audit?target=cible-rare&cursor={}", enc(&next)),
        &w.agent,
    )
    .await
    .json();
    assert_eq!(actions(&page), ["review.requested"], "{page}");
    assert_eq!(
        get(&app, "/api/audit?cursor=n-importe-quoi", &w.agent)
            .await
            .status,
        400
    );
}

async fn the_export_is_recorded_and_verify_names_a_tampered_event(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "jrv", 40).await;
    let res = get(&app, "/api/audit.csv?action=partner.", &w.agent).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let csv = res.text();
    assert!(
        csv.starts_with("\u{feff}Date;Numéro;Action;Auteur;"),
        "{csv}"
    );
    assert!(csv.contains(";partner.created;"), "{csv}");
    assert!(!csv.contains("habilitation."), "filtered: {csv}");
    let page = get(&app, "/api/audit", &w.agent).await.json();
    assert_eq!(actions(&page)[0], "audit.exported");

    let res = app
        .post("/api/audit/verify", json!({}), Some(&w.agent))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let report = res.json();
    assert_eq!(report["ok"], json!(true), "{report}");
    assert!(report["checked"].as_u64().unwrap() >= 3);

    // Change one event's actor directly in the store.
    let ctx = &app.app.ctx;
    let items = ctx
        .table
        .query_all(&audit::events_query(&w.caisse))
        .await
        .unwrap();
    let victim = items
        .iter()
        .find(|i| i.get_str("action") == Some("partner.created"))
        .unwrap();
    let id = victim.get_str("id").unwrap().to_owned();
    ctx.table
        .put(victim.clone().with("actor", "quelqu-un"), Cond::None)
        .await
        .unwrap();
    let report = app
        .post("/api/audit/verify", json!({}), Some(&w.agent))
        .await
        .json();
    assert_eq!(report["ok"], json!(false));
    assert_eq!(report["broken"]["kind"], json!("modified"));
    assert_eq!(report["broken"]["event"]["id"], json!(id));
    assert_eq!(
        report["broken"]["event"]["action"],
        json!("partner.created")
    );
    let page = get(&app, "/api/audit?action=audit.verified", &w.agent)
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(page["items"][0]["detail"], json!("modified"));
}
