//! Maintenance windows (convention §3.2, SPEC §5): who announces, the checks, the
//! banner in `/api/me`, the 503 with `Retry-After` while in force (what it blocks and
//! for whom), editing and cancelling, the audit trail, and the session check's round
//! trips unchanged.

use std::sync::Arc;

use ep_common::table::{Index, Query};
use ep_tests::{Mode, TestApp, spawn_app, spawn_in};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::requests::{Counting, World, act, admin, form, person, submitted, world};

both_modes!(
    announcing_is_checked_and_kept_to_its_scope,
    the_banner_reaches_the_users_concerned_only,
);

/// The app's time: the manual clock in process, the machine's through the binaries.
fn now(app: &TestApp, mode: Mode) -> Timestamp {
    match mode {
        Mode::InProcess => app.clock.now_ts(),
        Mode::Lambda => Timestamp::now(),
    }
}

fn at(t: Timestamp, minutes: i64) -> String {
    (t + SignedDuration::from_mins(minutes)).to_string()
}

fn window(start: &str, end: &str, message: &str) -> Value {
    json!({"start": start, "end": end, "message": message})
}

async fn announce(app: &TestApp, cookie: &str, body: Value) -> ep_tests::TestResponse {
    app.post("/api/maintenance-windows", body, Some(cookie))
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

async fn me_windows(app: &TestApp, cookie: &str) -> Vec<String> {
    let me = app.call("GET", "/api/me", None, Some(cookie)).await;
    assert_eq!(me.status, 200, "{}", me.text());
    me.json()["maintenance"]
        .as_array()
        .expect("maintenance")
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect()
}

/// An agent of `w`'s caisse without the admin flag.
async fn plain_agent(app: &TestApp, w: &World, tag: &str) -> String {
    let email = format!("simple@cpam-{tag}.example.org");
    let res = app
        .post(
            &format!("/api/caisses/{}/agents", w.caisse),
            person("Paul", "Simple", &email),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    crate::requests::activate(app, &email).await.1
}

async fn announcing_is_checked_and_kept_to_its_scope(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let a = world(&app, "mwa", "ccas", &["contact"]).await;
    let b = world(&app, "mwb", "ccas", &["contact"]).await;
    let t = now(&app, mode);
    let msg = "Mise à jour du portail : les demandes seront enregistrées après.";

    // Each field is checked, in French, naming it.
    let cases = [
        (
            window(&at(t, 120), &at(t, 60), msg),
            "end",
            "après le début",
        ),
        (window(&at(t, -10), &at(t, 60), msg), "start", "déjà passé"),
        (
            window(&at(t, 60), &at(t, 60 + 73 * 60), msg),
            "end",
            "72 heures",
        ),
        (
            window(&at(t, 60), &at(t, 120), " "),
            "message",
            "obligatoire",
        ),
        (
            window(&at(t, 60), &at(t, 120), &"a".repeat(501)),
            "message",
            "500 caractères",
        ),
        (
            window("demain", &at(t, 120), msg),
            "start",
            "2026-12-08T02:00",
        ),
        (
            json!({"end": at(t, 120), "message": msg}),
            "start",
            "obligatoire",
        ),
        (
            window(
                &at(t, 60),
                &at(t, 120),
                "Rappeler pour 1 85 05 78 006 084 91 avant.",
            ),
            "message",
            "",
        ),
        (
            window(
                &at(t, 60),
                &at(t, 120),
                "Le portail sera arrêté pour les séropositifs.",
            ),
            "message",
            "",
        ),
    ];
    for (body, field, words) in cases {
        let res = announce(&app, &a.agent, body.clone()).await;
        assert_eq!(res.status, 422, "{body}: {}", res.text());
        let errors = &res.json()["errors"];
        let text = errors[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} in {errors}"));
        assert!(text.contains(words), "{field}: {text}");
    }

    // Partner users and agents without the admin flag announce nothing (404).
    let plain = plain_agent(&app, &a, "mwa").await;
    for cookie in [&a.technicien, &a.gestionnaire, &plain] {
        let res = announce(&app, cookie, window(&at(t, 60), &at(t, 120), msg)).await;
        assert_eq!(res.status, 404, "{}", res.text());
    }

    let res = announce(&app, &a.agent, window(&at(t, 60), &at(t, 120), msg)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let wa = res.json();
    let id = wa["id"].as_str().unwrap().to_owned();
    assert_eq!(wa["caisse_id"], a.caisse.as_str());
    assert_eq!(wa["caisse_name"], "CPAM mwa");
    // A second one overlapping it is refused; another caisse's is not concerned.
    let res = announce(&app, &a.agent, window(&at(t, 90), &at(t, 150), msg)).await;
    assert_eq!(res.status, 422);
    assert!(
        res.json()["errors"]["start"]
            .as_str()
            .unwrap()
            .contains("déjà annoncée")
    );
    let res = announce(&app, &b.agent, window(&at(t, 90), &at(t, 150), msg)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id_b = res.json()["id"].as_str().unwrap().to_owned();

    // The list: own caisse's windows editable, another caisse's not listed.
    let list = app
        .call("GET", "/api/maintenance-windows", None, Some(&a.agent))
        .await
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["editable"], true);
    assert_eq!(items[0]["in_force"], false);
    assert_eq!(list["may_announce"], true);
    let res = app
        .call("GET", "/api/maintenance-windows", None, Some(&a.technicien))
        .await;
    assert_eq!(res.status, 404);

    // Another caisse's agent can neither edit nor cancel it.
    let path = format!("/api/maintenance-windows/{id}");
    let res = app
        .call(
            "PUT",
            &path,
            Some(window(&at(t, 60), &at(t, 90), msg)),
            Some(&b.agent),
        )
        .await;
    assert_eq!(res.status, 404);
    let res = app
        .post(&format!("{path}/cancel"), json!({}), Some(&b.agent))
        .await;
    assert_eq!(res.status, 404);
    let res = app
        .call(
            "PUT",
            &path,
            Some(window(&at(t, 60), &at(t, 90), msg)),
            Some(&plain),
        )
        .await;
    assert_eq!(res.status, 404);

    // Its own caisse edits it (checked again), then cancels it.
    let res = app
        .call(
            "PUT",
            &path,
            Some(window(&at(t, 60), &at(t, 50), msg)),
            Some(&a.agent),
        )
        .await;
    assert_eq!(res.status, 422);
    let res = app
        .call(
            "PUT",
            &path,
            Some(window(
                &at(t, 60),
                &at(t, 90),
                "Nouvelle version du portail.",
            )),
            Some(&a.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["message"], "Nouvelle version du portail.");
    assert_eq!(res.json()["end"], at(t, 90).as_str());
    let res = app
        .post(&format!("{path}/cancel"), json!({}), Some(&a.agent))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app
        .post(&format!("{path}/cancel"), json!({}), Some(&a.agent))
        .await;
    assert_eq!(res.status, 404, "cancelled twice");
    assert!(me_windows(&app, &a.technicien).await.is_empty());
    assert_eq!(
        me_windows(&app, &b.technicien).await,
        std::slice::from_ref(&id_b)
    );

    // Audited in the caisse's trail (ids only).
    let actions = audit_actions(&app, &a.caisse).await;
    for action in [
        "maintenance.announced",
        "maintenance.updated",
        "maintenance.cancelled",
    ] {
        assert!(actions.iter().any(|x| x == action), "{action}: {actions:?}");
    }
    assert!(
        audit_actions(&app, &b.caisse)
            .await
            .iter()
            .any(|x| x == "maintenance.announced")
    );

    // The platform admin announces for everyone; its trail is the platform's.
    let admin = admin(&app).await;
    let res = announce(&app, &admin, window(&at(t, 200), &at(t, 260), msg)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert!(res.json()["caisse_id"].is_null());
    assert!(
        audit_actions(&app, "platform")
            .await
            .iter()
            .any(|x| x == "maintenance.announced")
    );
}

async fn the_banner_reaches_the_users_concerned_only(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let a = world(&app, "mwc", "ccas", &["contact"]).await;
    let b = world(&app, "mwd", "ccas", &["contact"]).await;
    let admin = admin(&app).await;
    let t = now(&app, mode);
    let res = announce(
        &app,
        &a.agent,
        window(&at(t, 60), &at(t, 120), "Interruption de la CPAM mwc."),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_owned();
    // Its agents and its partners' users see it, the admin too; the other caisse's
    // people do not.
    for cookie in [&a.agent, &a.gestionnaire, &a.technicien, &admin] {
        assert_eq!(me_windows(&app, cookie).await, std::slice::from_ref(&id));
    }
    for cookie in [&b.agent, &b.gestionnaire, &b.technicien] {
        assert!(me_windows(&app, cookie).await.is_empty());
    }
    let me = app
        .call("GET", "/api/me", None, Some(&a.technicien))
        .await
        .json();
    let banner = &me["maintenance"][0];
    assert_eq!(banner["message"], "Interruption de la CPAM mwc.");
    assert_eq!(banner["caisse_name"], "CPAM mwc");
    assert_eq!(banner["start"], at(t, 60).as_str());
    // Before it starts, everything works.
    let res = app.call("GET", "/api/partners", None, Some(&a.agent)).await;
    assert_eq!(res.status, 200);
    // A platform window reaches everyone.
    let res = announce(
        &app,
        &admin,
        window(&at(t, 300), &at(t, 360), "Mise à jour de la plateforme."),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(me_windows(&app, &b.technicien).await.len(), 1);
    assert_eq!(me_windows(&app, &a.technicien).await.len(), 2);
}

/// Announce → banner before → 503 with `Retry-After` during → normal after (dev
/// clock); the caisse's window blocks its agents entirely and its partners' users on
/// what acts on it; other caisses stay usable.
#[tokio::test]
async fn a_caisse_window_answers_503_to_what_it_concerns_while_in_force() {
    let app = spawn_app().await;
    let a = world(&app, "mwe", "ccas", &["contact"]).await;
    let b = world(&app, "mwf", "ccas", &["contact"]).await;
    let admin = admin(&app).await;
    let request = submitted(&app, &a, form(&a.caisse, "contact")).await;
    let request = request["id"].as_str().unwrap().to_owned();
    let t = app.clock.now_ts();
    let res = announce(
        &app,
        &a.agent,
        window(
            &at(t, 10),
            &at(t, 130),
            "Migration des serveurs de la caisse.",
        ),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_owned();

    app.clock.advance(SignedDuration::from_mins(11));
    // The caisse's agents: every route, with the message, the end and the contact.
    let res = app.call("GET", "/api/partners", None, Some(&a.agent)).await;
    assert_eq!(res.status, 503, "{}", res.text());
    assert_eq!(res.header("retry-after").as_deref(), Some("7140"));
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let body = res.json();
    assert_eq!(body["code"], "maintenance.in_progress");
    assert_eq!(body["retry_after"], 7140);
    assert_eq!(
        body["maintenance"]["message"],
        "Migration des serveurs de la caisse."
    );
    assert_eq!(body["maintenance"]["end"], at(t, 130).as_str());
    assert_eq!(body["maintenance"]["scope"], "caisse");
    assert_eq!(
        body["maintenance"]["contacts"][0]["alt_contact"],
        "Téléphone 36 46"
    );
    assert_eq!(
        body["maintenance"]["contacts"][0]["referents"][0]["email"],
        "ref@cpam-mwe.example.org"
    );
    // Paris time in the sentence: 12:00 UTC + 60 min… the end is 12:00 UTC = 13:00 Paris.
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("(heure de Paris)"),
        "{body}"
    );
    let res = app.call("GET", "/api/queue", None, Some(&a.agent)).await;
    assert_eq!(res.status, 503);
    // /api/me and the windows' own page stay open (banner, ending it early).
    assert_eq!(me_windows(&app, &a.agent).await, std::slice::from_ref(&id));
    let res = app
        .call("GET", "/api/maintenance-windows", None, Some(&a.agent))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["items"][0]["in_force"], true);

    // Its partners' users: what acts on that caisse only.
    let res = app
        .post(
            "/api/requests",
            form(&a.caisse, "contact"),
            Some(&a.technicien),
        )
        .await;
    assert_eq!(res.status, 503, "{}", res.text());
    assert_eq!(res.header("retry-after").as_deref(), Some("7140"));
    let res = act(&app, &a.technicien, &request, json!({"action": "close"})).await;
    assert_eq!(res.status, 503, "{}", res.text());
    let res = app
        .post(
            &format!("/api/requests/{request}/attachments"),
            json!({"file_name": "piece.pdf", "content_type": "application/pdf", "size": 1000}),
            Some(&a.technicien),
        )
        .await;
    assert_eq!(res.status, 503, "{}", res.text());
    for path in ["/api/requests", "/api/help", "/api/requests/options"] {
        let res = app.call("GET", path, None, Some(&a.technicien)).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
    }
    // Another caisse and its partners: untouched; the admin too.
    let res = app
        .post(
            "/api/requests",
            form(&b.caisse, "contact"),
            Some(&b.technicien),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let res = app.call("GET", "/api/partners", None, Some(&b.agent)).await;
    assert_eq!(res.status, 200);
    let res = app.call("GET", "/api/caisses", None, Some(&admin)).await;
    assert_eq!(res.status, 200);

    // Under way, its start stays; its end may move earlier.
    let path = format!("/api/maintenance-windows/{id}");
    let res = app
        .call(
            "PUT",
            &path,
            Some(window(
                &at(t, 20),
                &at(t, 40),
                "Migration des serveurs de la caisse.",
            )),
            Some(&a.agent),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.json()["errors"]["start"]
            .as_str()
            .unwrap()
            .contains("déjà commencé")
    );
    let res = app
        .call(
            "PUT",
            &path,
            Some(window(
                &at(t, 10),
                &at(t, 40),
                "Migration des serveurs de la caisse.",
            )),
            Some(&a.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app.call("GET", "/api/partners", None, Some(&a.agent)).await;
    assert_eq!(res.header("retry-after").as_deref(), Some("1740"));

    // At its end: normal again, and the banner is gone.
    app.clock.advance(SignedDuration::from_mins(29));
    let res = app.call("GET", "/api/partners", None, Some(&a.agent)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    // The state machine answers again (a submitted request cannot be closed by its
    // partner), and the agent takes it.
    let res = act(&app, &a.technicien, &request, json!({"action": "close"})).await;
    assert_eq!(res.status, 409, "{}", res.text());
    let res = act(&app, &a.agent, &request, json!({"action": "take"})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(me_windows(&app, &a.technicien).await.is_empty());
}

/// A platform window blocks everyone but the platform admin, with the contacts of the
/// user's caisse(s); cancelling it ends it at once.
#[tokio::test]
async fn a_platform_window_blocks_everyone_but_the_admin() {
    let app = spawn_app().await;
    let a = world(&app, "mwg", "ccas", &["contact"]).await;
    let admin = admin(&app).await;
    let t = app.clock.now_ts();
    let res = announce(
        &app,
        &admin,
        window(&at(t, 10), &at(t, 70), "Mise à jour de la plateforme."),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_owned();
    app.clock.advance(SignedDuration::from_mins(10));
    for (cookie, path) in [
        (&a.agent, "/api/partners"),
        (&a.gestionnaire, "/api/help"),
        (&a.technicien, "/api/requests"),
    ] {
        let res = app.call("GET", path, None, Some(cookie)).await;
        assert_eq!(res.status, 503, "{path}: {}", res.text());
        assert_eq!(res.header("retry-after").as_deref(), Some("3600"));
        let body = res.json();
        assert_eq!(body["maintenance"]["scope"], "platform");
        assert_eq!(body["maintenance"]["contacts"][0]["caisse"], "CPAM mwg");
        assert_eq!(
            body["maintenance"]["contacts"][0]["alt_contact"],
            "Téléphone 36 46"
        );
    }
    // The admin works; everyone still reads /api/me (the banner) and may sign out.
    for path in [
        "/api/caisses",
        "/api/maintenance-windows",
        "/api/emails/failed",
    ] {
        let res = app.call("GET", path, None, Some(&admin)).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
    }
    assert_eq!(
        me_windows(&app, &a.technicien).await,
        std::slice::from_ref(&id)
    );
    // Agents cannot touch a platform window.
    let res = app
        .post(
            &format!("/api/maintenance-windows/{id}/cancel"),
            json!({}),
            Some(&a.agent),
        )
        .await;
    assert_eq!(res.status, 404);
    let res = app
        .post(
            &format!("/api/maintenance-windows/{id}/cancel"),
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app
        .call("GET", "/api/requests", None, Some(&a.technicien))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

/// The windows are read with the session: the session check stays at 2 store round
/// trips with windows announced, and `/api/me` reads a partner user's conventions
/// only when some caisse announced one.
#[tokio::test]
async fn windows_cost_no_round_trip_in_the_session_check() {
    let app = spawn_app().await;
    let a = world(&app, "mwh", "ccas", &["contact"]).await;
    let t = app.clock.now_ts();
    let counting = Arc::new(Counting {
        inner: app.app.ctx.table.clone(),
        n: Default::default(),
    });
    let mut ctx = app.app.ctx.clone();
    ctx.table = counting.clone();
    let handlers: std::collections::BTreeMap<&str, ep_gateway::registry::HttpHandler> =
        ep_gateway::registry::functions()
            .into_iter()
            .flat_map(|f| f.routes.iter().map(move |r| (*r, f.http)))
            .collect();
    let me = |cookie: &str| {
        let e = json!({
            "version": "2.0", "routeKey": "GET /api/me", "rawPath": "/api/me", "rawQueryString": "",
            "headers": {"host": "127.0.0.1", "cookie": cookie},
            "requestContext": {"http": {"method": "GET", "path": "/api/me", "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1", "userAgent": "test"}, "routeKey": "GET /api/me",
                "stage": "$default", "timeEpoch": 0},
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&e.to_string()).expect("event")
    };
    let mut calls = Vec::new();
    for round in 0..2 {
        if round == 1 {
            let res = announce(
                &app,
                &a.agent,
                window(&at(t, 60), &at(t, 120), "Interruption annoncée."),
            )
            .await;
            assert_eq!(res.status, 201);
        }
        counting.take();
        let authed =
            ep_common::sessions::require(&ctx, &me(&a.technicien), ep_common::sessions::Gate::Full)
                .await
                .expect("session");
        assert_eq!(authed.windows.len(), round);
        let session = counting.take();
        let res = handlers["GET /api/me"](ctx.clone(), me(&a.technicien)).await;
        assert_eq!(res.status(), 200);
        calls.push((session, counting.take()));
    }
    // Session check: 2 each time. /api/me: its 2 reads of the check, the CGU, plus the
    // partner's conventions once a caisse announced a window.
    assert_eq!(calls, [(2, 3), (2, 4)]);
}
