//! The second factor (issue 15, README « Second factor »): enrolment, the code step
//! of a sign-in, replays, the brute-force limits, recovery codes, who must enrol,
//! and the pending session that no other route lets through.

use ep_tests::second_factor::{base32_decode, code_at_step, step_of};
use ep_tests::{Mode, TestApp, session_cookie, spawn_app, spawn_app_with, spawn_in};
use jiff::SignedDuration;
use serde_json::json;

use crate::accounts::{PW, activate, create_technicien, world};

both_modes!(
    a_pending_session_reaches_nothing_but_the_code_check,
    a_recovery_code_works_once,
    resets_by_the_caisse_and_by_the_admin,
);

/// Activates the bootstrap admin and signs in with the password only: the cookie of
/// a session that has not enrolled yet, and the identifiant.
async fn admin_password_session(app: &TestApp) -> (String, String) {
    let email = app.app.ctx.config.admin_email.clone();
    let ident = app.identifiant_in_email(&email).expect("admin email");
    let token = app.link_token(&email, "activation").expect("link");
    let res = app
        .post(
            "/api/auth/activate",
            json!({"token": token, "password": PW}),
            None,
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    let res = app
        .post(
            "/api/auth/login",
            json!({"identifiant": ident, "password": PW}),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let cgu = app.get("/api/cgu").await.json();
    let cookie = session_cookie(&res).unwrap();
    let res = app
        .post(
            "/api/me/cgu",
            json!({"version": cgu["version"]}),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    (ident, cookie)
}

/// A sign-in with the password: the pending session's cookie.
async fn password_step(app: &TestApp, ident: &str) -> String {
    let res = app
        .post(
            "/api/auth/login",
            json!({"identifiant": ident, "password": PW}),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["second_factor"], "pending", "{}", res.text());
    assert!(res.json().get("identifiant").is_none(), "nothing more yet");
    session_cookie(&res).unwrap()
}

async fn send_code(app: &TestApp, cookie: &str, body: serde_json::Value) -> ep_tests::TestResponse {
    app.post("/api/auth/second-factor", body, Some(cookie))
        .await
}

fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .unwrap_or_default()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            hits.push(path.display().to_string());
        }
    }
    hits
}

async fn audit_actions(app: &TestApp, org: &str) -> Vec<String> {
    use ep_common::table::{Index, Query};
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

#[tokio::test]
async fn enrolment_shows_a_qr_code_and_the_secret_once_and_stores_it_sealed() {
    let app = spawn_app().await;
    let (ident, cookie) = admin_password_session(&app).await;
    let me = app.call("GET", "/api/me", None, Some(&cookie)).await.json();
    assert_eq!(me["required_actions"], json!(["enrol_second_factor"]));
    // Nothing else until enrolled.
    let blocked = app.call("GET", "/api/caisses", None, Some(&cookie)).await;
    assert_eq!(blocked.status, 403);
    assert_eq!(blocked.json()["code"], "auth.second_factor_enrolment");
    // Confirming before the set-up: nothing to confirm.
    let early = app
        .post(
            "/api/me/second-factor/confirm",
            json!({"code": "123456"}),
            Some(&cookie),
        )
        .await;
    assert_eq!(early.status, 409);

    let res = app
        .post("/api/me/second-factor/setup", json!({}), Some(&cookie))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    let svg = body["qr_svg"].as_str().unwrap();
    assert!(
        svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    assert_eq!(svg.matches("<svg").count(), 1);
    assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains("role=\"img\"") && svg.contains("aria-label=\""));
    assert!(!svg.contains("<script") && !svg.contains("href"));
    let text = body["secret"].as_str().unwrap();
    let secret = base32_decode(text).unwrap();
    assert_eq!(secret.len(), 20, "160 bits");
    let b32: String = text.split_whitespace().collect();
    assert!(
        body["otpauth_uri"]
            .as_str()
            .unwrap()
            .contains(&format!("secret={b32}"))
    );
    assert!(
        body["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );

    // A wrong code is refused, naming the field.
    let step = step_of(app.clock.now_ts());
    let wrong = app
        .post(
            "/api/me/second-factor/confirm",
            json!({"code": code_at_step(&secret, step + 5)}),
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.json()["errors"]["code"].is_string());
    let ok = app
        .post(
            "/api/me/second-factor/confirm",
            json!({"code": code_at_step(&secret, step)}),
            Some(&cookie),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let codes: Vec<String> = ok.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    let distinct: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    // The session that enrolled goes on; a second set-up is refused.
    let me = app.call("GET", "/api/me", None, Some(&cookie)).await.json();
    assert_eq!(me["required_actions"], json!([]));
    assert_eq!(
        app.call("GET", "/api/caisses", None, Some(&cookie))
            .await
            .status,
        200
    );
    let again = app
        .post("/api/me/second-factor/setup", json!({}), Some(&cookie))
        .await;
    assert_eq!(again.status, 409);
    assert!(
        audit_actions(&app, "platform")
            .await
            .contains(&"auth.second_factor.enrol".to_owned())
    );

    // At rest: neither the secret (raw or base 32) nor a recovery code in clear.
    let data = app.dir.0.join("data");
    assert!(files_containing(&data, b32.as_bytes()).is_empty());
    assert!(files_containing(&data, &secret).is_empty());
    for c in &codes {
        assert!(files_containing(&data, c.as_bytes()).is_empty(), "{c}");
    }
    // The stored factor opens only with the portal's key.
    let (pk, sk) = ep_common::users::second_factor_key(me["id"].as_str().unwrap());
    let item = app.app.ctx.table.get(&pk, &sk).await.unwrap().unwrap();
    let sealed = item.get_str("sealed").unwrap().to_owned();
    let key = app.app.ctx.config.totp_key.clone().unwrap();
    assert_eq!(
        ep_auth::totp::open(&key, me["id"].as_str().unwrap(), &sealed),
        Some(secret)
    );
    let _ = ident;
}

#[tokio::test]
async fn a_code_signs_in_once_within_one_step_either_side() {
    let app = spawn_app().await;
    let (ident, cookie) = admin_password_session(&app).await;
    app.enrol(&ident, &cookie).await;
    let secret = app.authenticator.get(&ident).unwrap().secret;
    app.clock.advance(SignedDuration::from_mins(5));
    let now = step_of(app.clock.now_ts());

    let pending = password_step(&app, &ident).await;
    // Two steps ago, and two ahead: refused (the window is ±1 step).
    for s in [now - 2, now + 2] {
        let r = send_code(&app, &pending, json!({"code": code_at_step(&secret, s)})).await;
        assert_eq!(r.status, 401, "step {s}: {}", r.text());
        assert_eq!(r.json()["code"], "auth.invalid_code");
        assert!(r.json()["errors"]["code"].is_string());
    }
    let r = send_code(
        &app,
        &pending,
        json!({"code": code_at_step(&secret, now - 1)}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["identifiant"], ident.as_str());
    let full = session_cookie(&r).expect("a new session");
    assert_ne!(full, pending);
    assert_eq!(
        app.call("GET", "/api/caisses", None, Some(&full))
            .await
            .status,
        200
    );
    // The pending session is gone.
    assert_eq!(
        app.call("GET", "/api/me", None, Some(&pending))
            .await
            .status,
        401
    );

    // The same code again (another sign-in): a replay, refused; so is the step
    // before it. The next step is accepted.
    let pending = password_step(&app, &ident).await;
    for s in [now - 1, now - 2] {
        let r = send_code(&app, &pending, json!({"code": code_at_step(&secret, s)})).await;
        assert_eq!(r.status, 401, "replay of step {s}");
    }
    let r = send_code(&app, &pending, json!({"code": code_at_step(&secret, now)})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let actions = audit_actions(&app, "platform").await;
    assert!(actions.contains(&"auth.second_factor.success".to_owned()));
    assert!(actions.contains(&"auth.second_factor.failure".to_owned()));
    // A session that is not pending has no code to check.
    let r = send_code(
        &app,
        &session_cookie(&r).unwrap(),
        json!({"code": "000000"}),
    )
    .await;
    assert_eq!(r.status, 409);
    let r = send_code(&app, &pending, json!({})).await;
    assert_eq!(r.status, 401, "the pending session was replaced");
}

#[tokio::test]
async fn wrong_codes_count_toward_the_sign_in_lock() {
    let app = spawn_app().await;
    let (ident, cookie) = admin_password_session(&app).await;
    app.enrol(&ident, &cookie).await;
    let secret = app.authenticator.get(&ident).unwrap().secret;
    app.clock.advance(SignedDuration::from_mins(2));
    let pending = password_step(&app, &ident).await;
    let empty = send_code(&app, &pending, json!({"code": ""})).await;
    assert_eq!(empty.status, 422);
    assert!(empty.json()["errors"]["code"].is_string());
    for i in 0..5 {
        let r = send_code(&app, &pending, json!({"code": format!("00000{i}")})).await;
        assert_eq!(r.status, 401, "attempt {i}: {}", r.text());
    }
    // Locked: even the right code waits, with when to retry.
    let now = step_of(app.clock.now_ts());
    let r = send_code(&app, &pending, json!({"code": code_at_step(&secret, now)})).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.json()["code"], "auth.locked");
    assert!(r.header("retry-after").is_some());
    assert!(
        audit_actions(&app, "platform")
            .await
            .contains(&"auth.lock".to_owned())
    );
    app.clock.advance(SignedDuration::from_secs(61));
    // The idle session survived the minute; the right code now passes.
    let now = step_of(app.clock.now_ts());
    let r = send_code(&app, &pending, json!({"code": code_at_step(&secret, now)})).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn a_recovery_code_works_once(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let (ident, cookie) = admin_password_session(&app).await;
    let codes = app.enrol(&ident, &cookie).await;
    let pending = password_step(&app, &ident).await;
    // Typed in capitals without the dash: still the code.
    let typed = codes[3].to_uppercase().replace('-', "");
    let r = send_code(&app, &pending, json!({"recovery_code": typed})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let full = session_cookie(&r).unwrap();
    assert_eq!(
        app.call("GET", "/api/me", None, Some(&full)).await.status,
        200
    );
    // Spent.
    let pending = password_step(&app, &ident).await;
    let r = send_code(&app, &pending, json!({"recovery_code": codes[3]})).await;
    assert_eq!(r.status, 401);
    assert!(r.json()["errors"]["recovery_code"].is_string());
    let r = send_code(&app, &pending, json!({"recovery_code": "abcde-fghjk"})).await;
    assert_eq!(r.status, 401);
    let r = send_code(&app, &pending, json!({"recovery_code": codes[4]})).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// Every route but the public ones and the code check refuses a password-only
/// session of an enrolled user (the template's whole route list).
async fn a_pending_session_reaches_nothing_but_the_code_check(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let (ident, cookie) = admin_password_session(&app).await;
    app.enrol(&ident, &cookie).await;
    let pending = password_step(&app, &ident).await;
    let public = [
        "GET /api/health",
        "GET /api/legal",
        "POST /api/auth/login",
        "POST /api/auth/logout",
        "POST /api/auth/token",
        "POST /api/auth/activate",
        "POST /api/auth/forgot",
        "POST /api/auth/reset",
        "GET /api/cgu",
        "POST /api/auth/second-factor",
    ];
    let defs = ep_gateway::template::functions(ep_gateway::template::TEMPLATE).unwrap();
    let mut checked = 0;
    for route in defs.iter().flat_map(|d| d.routes.iter()) {
        if public.contains(&route.key().as_str()) {
            continue;
        }
        let path = route
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let res = app
            .call(&route.method, &path, Some(json!({})), Some(&pending))
            .await;
        assert_eq!(res.status, 401, "{}: {}", route.key(), res.text());
        assert_eq!(
            res.json()["code"],
            "auth.second_factor_required",
            "{}",
            route.key()
        );
        checked += 1;
    }
    assert!(checked > 40, "{checked}");
    // Logout ends it.
    let out = app
        .post("/api/auth/logout", json!({}), Some(&pending))
        .await;
    assert_eq!(out.status, 204);
    let r = send_code(&app, &pending, json!({"code": "123456"})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["code"], "auth.required");
}

/// Who must enrol: the admin, agents and gestionnaires always; techniciens only
/// when `EP_TOTP_TECHNICIENS=required` (optional by default, and then they may).
#[tokio::test]
async fn admins_agents_and_gestionnaires_must_enrol_techniciens_may() {
    for required in [false, true] {
        let pairs: &[(&str, &str)] = if required {
            &[("EP_TOTP_TECHNICIENS", "required")]
        } else {
            &[]
        };
        let app = spawn_app_with(pairs, ep_tests::TempDir::new(), false).await;
        // world() signs in an admin, an agent and a gestionnaire: each one enrolled.
        let w = world(&app, "role", 10).await;
        let enrolled = app.authenticator.0.lock().unwrap().len();
        assert_eq!(enrolled, 3, "admin, agent, gestionnaire");
        let res = create_technicien(&app, &w, "theo").await;
        assert_eq!(res.status, 201, "{}", res.text());
        let email = format!("theo@{}", w.domain);
        let (ident, cookie) = activate(&app, &email).await;
        let me = app.call("GET", "/api/me", None, Some(&cookie)).await.json();
        if required {
            assert!(
                app.authenticator.get(&ident).is_some(),
                "enrolled at sign-in"
            );
            assert_eq!(me["required_actions"], json!([]));
            let pending = password_step(&app, &ident).await;
            assert_eq!(
                app.call("GET", "/api/me", None, Some(&pending))
                    .await
                    .status,
                401
            );
        } else {
            assert!(app.authenticator.get(&ident).is_none());
            assert_eq!(me["required_actions"], json!([]));
            let res = app.call("GET", "/api/requests", None, Some(&cookie)).await;
            assert_eq!(res.status, 200, "{}", res.text());
            // Optional: a technicien may enrol, and then signs in with a code.
            app.enrol(&ident, &cookie).await;
            let pending = password_step(&app, &ident).await;
            let full = app.second_factor(&ident, &pending).await;
            assert_eq!(
                app.call("GET", "/api/me", None, Some(&full)).await.status,
                200
            );
        }
    }
}

#[test]
fn the_technicien_setting_is_checked() {
    let bad = ep_common::config::Config::from_lookup(|k| {
        (k == "EP_TOTP_TECHNICIENS").then(|| "sometimes".to_owned())
    });
    assert_eq!(bad.unwrap_err().var, "EP_TOTP_TECHNICIENS");
    let bad = ep_common::config::Config::from_lookup(|k| {
        (k == "EP_TOTP_KEY").then(|| "dHJvcCBjb3VydGU=".to_owned())
    });
    let err = bad.unwrap_err();
    assert_eq!(err.var, "EP_TOTP_KEY");
    assert!(
        !format!("{err}").contains("dHJvcCBjb3VydGU"),
        "the key is never shown"
    );
}

/// Without `EP_TOTP_KEY`, the local gateway creates a key in its data directory
/// (mode 0600) and keeps it across restarts.
#[test]
fn the_local_gateway_creates_its_key_once() {
    let dir = ep_tests::TempDir::new();
    let first = ep_gateway::local_totp_key(&dir.0).unwrap();
    let second = ep_gateway::local_totp_key(&dir.0).unwrap();
    assert_eq!(first, second);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.0.join("totp.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// An agent resets the second factor of a user of a partner of their caisse (nobody
/// else can), the admin an agent's: audited, the user emailed (no secret), sessions
/// ended, and the user enrols again at the next sign-in.
async fn resets_by_the_caisse_and_by_the_admin(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "rst", 10).await;
    let other = world(&app, "autre", 10).await;
    let g_email = format!("gestionnaire@{}", w.domain);
    let g_ident = app.identifiant_in_email(&g_email).unwrap();
    let g_secret = app.authenticator.get(&g_ident).unwrap().secret;
    let url = format!(
        "/api/partners/{}/accounts/{}/second-factor/reset",
        w.partner, w.gestionnaire_id
    );
    // Not the user, not the admin, not another caisse's agent.
    for cookie in [&w.gestionnaire, &w.admin, &other.agent] {
        let r = app.post(&url, json!({}), Some(cookie)).await;
        assert_eq!(r.status, 404, "{}", r.text());
    }
    let r = app.post(&url, json!({}), Some(&w.agent)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["second_factor_enrolled"], false);
    assert_eq!(app.post(&url, json!({}), Some(&w.agent)).await.status, 409);
    // The user's sessions ended; the email says so, with no secret in it.
    let me = app
        .call("GET", "/api/me", None, Some(&w.gestionnaire))
        .await;
    assert_eq!(me.status, 401);
    app.wait_outbox_len(1).await;
    let text = app.last_email_to(&g_email).unwrap();
    assert!(text.contains("réinitialisée"), "{text}");
    let b32: String = ep_auth::totp::secret_text(&g_secret)
        .split_whitespace()
        .collect();
    assert!(!text.contains(&b32));
    let partner_trail = audit_actions(&app, &w.partner).await;
    assert!(partner_trail.contains(&"account.second_factor.reset".to_owned()));
    let caisse_trail = audit_actions(&app, &w.caisse).await;
    assert!(caisse_trail.contains(&"account.second_factor.reset".to_owned()));
    // The next sign-in asks to enrol again (a new secret).
    let res = app
        .post(
            "/api/auth/login",
            json!({"identifiant": g_ident, "password": PW}),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.json()["required_actions"],
        json!(["enrol_second_factor"])
    );
    app.authenticator.forget(&g_ident);
    let cookie = app.login(&g_ident, PW).await;
    assert_ne!(app.authenticator.get(&g_ident).unwrap().secret, g_secret);
    let me = app.call("GET", "/api/me", None, Some(&cookie)).await;
    assert_eq!(me.json()["second_factor_enrolled"], true);

    // The admin resets an agent's; an agent cannot.
    let agents = app
        .call(
            "GET",
            &format!("/api/caisses/{}/agents", w.caisse),
            None,
            Some(&w.admin),
        )
        .await
        .json();
    let agent = &agents["items"][0];
    assert_eq!(agent["second_factor_enrolled"], true);
    let url = format!(
        "/api/caisses/{}/agents/{}/second-factor/reset",
        w.caisse,
        agent["id"].as_str().unwrap()
    );
    assert_eq!(app.post(&url, json!({}), Some(&w.agent)).await.status, 404);
    let r = app.post(&url, json!({}), Some(&w.admin)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        app.call("GET", "/api/me", None, Some(&w.agent))
            .await
            .status,
        401
    );
    let a_email = agent["email"].as_str().unwrap();
    for _ in 0..100 {
        if app
            .last_email_to(a_email)
            .is_some_and(|t| t.contains("réinitialisée"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let text = app.last_email_to(a_email).unwrap();
    assert!(text.contains("l'administrateur de la plateforme"), "{text}");
    let platform = audit_actions(&app, "platform").await;
    assert!(platform.contains(&"account.second_factor.reset".to_owned()));
}
