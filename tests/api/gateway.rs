//! The local gateway: routes from template.yaml, API Gateway's request shape, the
//! site, local uploads, the development outbox page.

use ep_common::blobs::Blobs;
use ep_common::mail::{EmailContent, compose};
use ep_gateway::registry::functions;
use ep_gateway::template::{self, TEMPLATE};
use ep_tests::{send, spawn_app};

#[test]
fn every_template_function_has_a_handler_and_the_reverse() {
    let defs = template::functions(TEMPLATE).expect("template");
    ep_gateway::check_template(&defs, &functions()).expect("template and gateway agree");
}

#[test]
fn a_drift_between_template_and_handlers_is_caught() {
    let mut defs = template::functions(TEMPLATE).expect("template");
    // A function in the template with no handler.
    let mut extra = defs[0].clone();
    extra.binary = "ep-inconnu".into();
    extra.logical_id = "InconnuFunction".into();
    defs.push(extra);
    let err = ep_gateway::check_template(&defs, &functions()).unwrap_err();
    assert!(err.contains("ep-inconnu"), "{err}");
    // A route in the template that the handler does not answer.
    let mut defs = template::functions(TEMPLATE).expect("template");
    let auth = defs.iter_mut().find(|d| d.binary == "ep-auth").unwrap();
    auth.routes.push(template::Route {
        method: "GET".into(),
        path: "/api/nulle-part".into(),
    });
    let err = ep_gateway::check_template(&defs, &functions()).unwrap_err();
    assert!(err.contains("/api/nulle-part"), "{err}");
    // A handler the template does not declare.
    let defs: Vec<_> = template::functions(TEMPLATE)
        .unwrap()
        .into_iter()
        .filter(|d| d.binary != "ep-requests")
        .collect();
    let err = ep_gateway::check_template(&defs, &functions()).unwrap_err();
    assert!(err.contains("ep-requests"), "{err}");
}

#[tokio::test]
async fn health_goes_through_the_template_route_to_the_auth_handler() {
    let app = spawn_app().await;
    let res = app.get("/api/health").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "ok");
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/json")
    );
    let csp = res.header("content-security-policy").expect("CSP");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert!(res.header("strict-transport-security").is_some());
    assert_eq!(
        res.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(res.header("referrer-policy").is_some());
}

#[tokio::test]
async fn unknown_api_paths_and_methods_answer_problem_json_in_french() {
    let app = spawn_app().await;
    let res = app.get("/api/nulle-part").await;
    assert_eq!(res.status, 404);
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let body = res.json();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["status"], 404);
    assert!(body["detail"].as_str().unwrap().contains("n'existe pas"));
    let res = send("DELETE", &format!("{}/api/health", app.url), &[], vec![]).await;
    assert_eq!(res.status, 405);
    assert_eq!(res.json()["code"], "method_not_allowed");
}

#[tokio::test]
async fn the_handler_sees_the_api_gateway_v2_request() {
    // The same handler, fed an API Gateway v2 event as Lambda would be.
    let app = spawn_app().await;
    let event = serde_json::json!({
        "version": "2.0",
        "routeKey": "GET /api/health",
        "rawPath": "/api/health",
        "rawQueryString": "",
        "headers": {"host": "portail.example.org"},
        "requestContext": {
            "http": {"method": "GET", "path": "/api/health", "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "test"},
            "routeKey": "GET /api/health", "stage": "$default", "timeEpoch": 0
        },
        "isBase64Encoded": false
    });
    let req = lambda_http::request::from_str(&event.to_string()).expect("fixture");
    let res = ep_auth::handle(app.app.ctx.clone(), req).await;
    assert_eq!(res.status(), 200);
    // An event whose route key the function does not own: 404, never a panic.
    let mut other = event.clone();
    other["routeKey"] = "GET /api/autre".into();
    other["requestContext"]["routeKey"] = "GET /api/autre".into();
    let req = lambda_http::request::from_str(&other.to_string()).expect("fixture");
    assert_eq!(
        ep_auth::handle(app.app.ctx.clone(), req).await.status(),
        404
    );
}

#[tokio::test]
async fn the_site_is_served_with_security_headers_and_no_traversal() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    assert!(res.text().contains("<html lang=\"fr\""));
    assert!(res.header("content-security-policy").is_some());
    let css = app.get("/assets/style.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    for path in ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "/n-existe-pas"] {
        let res = app.get(path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(!res.text().contains("[workspace]"), "{path}");
    }
    let res = send("POST", &format!("{}/", app.url), &[], vec![]).await;
    assert_eq!(res.status, 405);
}

#[tokio::test]
async fn local_presigned_upload_stores_the_file_and_refuses_tampering() {
    let app = spawn_app().await;
    let now = app.clock.now_ts();
    let blobs = app.app.embedded.blobs.clone();
    let pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n".to_vec();
    let len = pdf.len() as u64;
    let target = blobs
        .presign_put("req/1/piece.pdf", "application/pdf", len, now, 300)
        .await
        .unwrap();
    assert!(target.url.starts_with(&app.url), "{}", target.url);
    let put = |url: String, ct: &'static str, body: Vec<u8>| async move {
        send("PUT", &url, &[("content-type", ct)], body).await
    };
    // A body of another length than the signed one.
    let mut longer = pdf.clone();
    longer.push(b'\n');
    let res = put(target.url.clone(), "application/pdf", longer).await;
    assert_eq!(res.status, 400, "{}", res.text());
    assert_eq!(res.json()["code"], "upload.length_mismatch");
    let forged = target
        .url
        .replace(&format!("length={len}"), &format!("length={}", len + 1));
    let res = put(forged, "application/pdf", pdf.clone()).await;
    assert_eq!(
        res.json()["code"],
        "upload.denied",
        "a length changed in the URL"
    );
    let wrong_type = put(target.url.clone(), "image/png", pdf.clone()).await;
    assert_eq!(wrong_type.status, 403);
    assert_eq!(wrong_type.json()["code"], "upload.denied");
    let tampered = target.url.replace("req/1/piece.pdf", "req/2/piece.pdf");
    let res = put(tampered, "application/pdf", pdf.clone()).await;
    assert_eq!(res.status, 403);
    assert!(blobs.get("req/2/piece.pdf").await.unwrap().is_none());
    assert!(
        blobs.get("req/1/piece.pdf").await.unwrap().is_none(),
        "nothing stored yet"
    );

    let ok = put(target.url.clone(), "application/pdf", pdf.clone()).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(
        blobs.get("req/1/piece.pdf").await.unwrap().unwrap().bytes,
        pdf
    );
    let again = put(
        target.url.clone(),
        "application/pdf",
        b"%PDF-autre".to_vec(),
    )
    .await;
    assert_eq!(again.status, 400, "another length is refused first");
    let again = put(target.url.clone(), "application/pdf", pdf.clone()).await;
    assert_eq!(again.status, 403);
    assert_eq!(again.json()["code"], "upload.reused");

    // Download: the signed type and name, as an attachment, for a short time.
    let link = blobs
        .presign_get(
            "req/1/piece.pdf",
            "application/pdf",
            "Avis d'impôt é.pdf",
            now,
            60,
        )
        .await
        .unwrap();
    let res = app.get(link.url.strip_prefix(&app.url).unwrap()).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.body, pdf);
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/pdf")
    );
    let cd = res.header("content-disposition").unwrap();
    assert!(
        cd.starts_with("attachment; filename=\"Avis d_imp_t _.pdf\""),
        "{cd}"
    );
    assert!(
        cd.contains("filename*=UTF-8''Avis%20d%27imp%C3%B4t%20%C3%A9.pdf"),
        "{cd}"
    );
    let res = app
        .get(
            &link
                .url
                .strip_prefix(&app.url)
                .unwrap()
                .replace("type=application%2Fpdf", "type=text%2Fhtml"),
        )
        .await;
    assert_eq!(res.json()["code"], "download.denied");

    let second = blobs
        .presign_put("req/3/piece.pdf", "application/pdf", len, now, 300)
        .await
        .unwrap();
    app.clock.advance(jiff::SignedDuration::from_secs(301));
    let late = put(second.url, "application/pdf", pdf).await;
    assert_eq!(late.status, 403);
    assert_eq!(late.json()["code"], "upload.expired");
    let res = app.get(link.url.strip_prefix(&app.url).unwrap()).await;
    assert_eq!(res.json()["code"], "download.expired");
}

#[tokio::test]
async fn the_development_outbox_page_lists_emails_with_clickable_links() {
    let app = spawn_app().await;
    let content = EmailContent {
        from: &app.app.ctx.config.mail_from,
        to: "gestionnaire@ccas.example.org",
        subject: "Votre compte a été créé",
        text: format!(
            "Bonjour,\nDéfinissez votre mot de passe : {}/activation?jeton=abc&x=1\n",
            app.url
        ),
        html: "<p>Bonjour</p>".into(),
    };
    let email = compose(&content, "dev-1", app.clock.now_ts()).unwrap();
    app.app.ctx.mailer.send(&email).await.unwrap();
    let res = app.get("/_dev/outbox").await;
    assert_eq!(res.status, 200);
    let html = res.text();
    assert!(html.contains("Votre compte a été créé"), "{html}");
    assert!(html.contains("gestionnaire@ccas.example.org"));
    let link = format!("<a href=\"{0}/activation?jeton=abc&amp;x=1\">", app.url);
    assert!(html.contains(&link), "{html}");
    // The site's header, favicon, a way back and the footer; the date in French, Paris time.
    for part in [
        "<link rel=\"icon\" href=\"/assets/favicon.svg\"",
        "<header class=\"entete\"",
        "href=\"/accueil\">← Retour au portail</a>",
        "href=\"/mentions-legales\"",
    ] {
        assert!(html.contains(part), "{part} missing: {html}");
    }
    let months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    assert!(
        months.iter().any(|m| html.contains(&format!(" {m} 20"))),
        "{html}"
    );
    assert!(!html.contains(" +0000"), "raw RFC 2822 date shown: {html}");
}

#[tokio::test]
async fn development_pages_do_not_exist_outside_development() {
    let dir = ep_tests::TempDir::new();
    let app = ep_tests::spawn_app_with(&[], dir, false).await;
    // spawn_app_with turns dev pages on; a deployment built from a public URL does not.
    let config = ep_tests::test_config(&[("EP_PUBLIC_URL", "https://portail.example.org")]);
    assert!(!ep_gateway::Options::for_config(&config).dev_pages);
    let local = ep_tests::test_config(&[]);
    assert!(ep_gateway::Options::for_config(&local).dev_pages);
    drop(app);
}

/// Issue 10: development pages need a loopback public URL host AND a loopback listen
/// address, parsed (not a prefix of the URL), whatever the scheme.
#[test]
fn development_pages_need_a_loopback_url_and_listen_address() {
    use ep_gateway::dev_pages_allowed;
    for (url, listen) in [
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("https://127.0.0.1:8443", "127.0.0.1:8443"),
        ("http://localhost:8080", "127.0.0.1:8080"),
        ("https://LOCALHOST:8443", "localhost:8443"),
        ("http://[::1]:8080", "[::1]:8080"),
        ("http://127.3.2.1", "127.3.2.1:80"),
    ] {
        assert!(dev_pages_allowed(url, listen), "{url} {listen}");
    }
    for (url, listen) in [
        ("http://localhost.example.org", "127.0.0.1:8080"),
        ("http://localhost@portail.example.org", "127.0.0.1:8080"),
        ("http://127.0.0.1.nip.io:8080", "127.0.0.1:8080"),
        ("https://portail.example.org", "127.0.0.1:8080"),
        ("http://localhost:8080", "0.0.0.0:8080"),
        ("http://127.0.0.1:8080", "192.0.2.5:8080"),
        ("http://127.0.0.1:8080", "[::]:8080"),
        ("ftp://127.0.0.1", "127.0.0.1:21"),
        ("pas une url", "127.0.0.1:8080"),
    ] {
        assert!(!dev_pages_allowed(url, listen), "{url} {listen}");
    }
    let https_local = ep_tests::test_config(&[
        ("EP_PUBLIC_URL", "https://127.0.0.1:8443"),
        ("EP_LISTEN", "127.0.0.1:8443"),
    ]);
    assert!(ep_gateway::Options::for_config(&https_local).dev_pages);
    let exposed = ep_tests::test_config(&[
        ("EP_PUBLIC_URL", "http://localhost.example.org"),
        ("EP_LISTEN", "0.0.0.0:8080"),
    ]);
    assert!(!ep_gateway::Options::for_config(&exposed).dev_pages);
}

/// `/_dev/clock` (POST) and `/_dev/maintenance` check the Origin like every write;
/// `/_dev/maintenance` runs the scheduled function once and answers its report.
#[tokio::test]
async fn development_writes_check_the_origin_and_maintenance_runs_once() {
    let dir = ep_tests::TempDir::new();
    let data = dir.0.join("data").display().to_string();
    let config = ep_tests::test_config(&[("EP_LISTEN", "127.0.0.1:0"), ("EP_DATA_DIR", &data)]);
    let clock = std::sync::Arc::new(ep_common::clock::OffsetClock::new());
    let options = ep_gateway::Options {
        site_dir: ep_tests::site_dir(),
        run_scheduler: false,
        dev_pages: true,
        public_url_from_bind: true,
        dev_clock: Some(clock.clone()),
        blobs: None,
    };
    let app = ep_gateway::start(config, clock, options).await.unwrap();
    let url = app.ctx.config.public_url.clone();
    let before = app.ctx.now();
    let body = br#"{"advance_days": 2}"#.to_vec();
    let clock_url = format!("{url}/_dev/clock");
    for origin in [None, Some("http://evil.example.org")] {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(o) = origin {
            headers.push(("origin", o));
        }
        let res = ep_tests::send("POST", &clock_url, &headers, body.clone()).await;
        assert_eq!(res.status, 403, "{origin:?}");
    }
    assert!(
        app.ctx.now().duration_since(before).as_hours() < 1,
        "not moved"
    );
    let headers = [
        ("content-type", "application/json"),
        ("origin", url.as_str()),
    ];
    let res = ep_tests::send("POST", &clock_url, &headers, body).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(app.ctx.now().duration_since(before).as_hours() >= 48);

    let maintenance_url = format!("{url}/_dev/maintenance");
    let res = ep_tests::send("POST", &maintenance_url, &[], vec![]).await;
    assert_eq!(res.status, 403);
    let res = ep_tests::send(
        "POST",
        &maintenance_url,
        &[("origin", url.as_str())],
        vec![],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let report = res.json();
    assert!(
        report["sessions"].is_object() && report["purge"].is_object(),
        "{report}"
    );
    let res = ep_tests::send("GET", &maintenance_url, &[], vec![]).await;
    assert_eq!(res.status, 404, "POST only");
    app.stop();
}

/// The OpenAPI document of `site/` covers every route of the template, with the
/// same method and path parameters, and documents nothing that does not exist.
#[test]
fn the_openapi_document_covers_every_endpoint() {
    let text = std::fs::read_to_string(ep_tests::site_dir().join("openapi.yaml"))
        .expect("site/openapi.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    assert_eq!(doc["openapi"].as_str(), Some("3.1.0"));
    let paths = doc["paths"].as_mapping().expect("paths");
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in paths {
        let path = path.as_str().unwrap_or_default();
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let defs = template::functions(TEMPLATE).expect("template");
    let routes: std::collections::BTreeSet<String> = defs
        .iter()
        .flat_map(|d| d.routes.iter().map(|r| r.key()))
        .collect();
    let missing: Vec<&String> = routes.difference(&documented).collect();
    let extra: Vec<&String> = documented.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "not documented in site/openapi.yaml: {missing:?}"
    );
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
}

/// The « Données personnelles » page states the retention the deployment applies:
/// the public `GET /api/legal` answers the configured values, not defaults.
#[tokio::test]
async fn the_legal_pages_read_the_configured_retention() {
    let app = ep_tests::spawn_app_with(
        &[
            ("EP_REQUEST_RETENTION_MONTHS", "18"),
            ("EP_AUDIT_RETENTION_MONTHS", "24"),
            ("EP_SESSION_IDLE_MINUTES", "20"),
        ],
        ep_tests::TempDir::new(),
        false,
    )
    .await;
    let res = app.get("/api/legal").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let r = &res.json()["retention"];
    assert_eq!(r["request_months"], 18);
    assert_eq!(r["audit_months"], 24);
    assert_eq!(r["session_idle_minutes"], 20);
    assert_eq!(r["account_months"], 6);
    assert_eq!(r["password_days"], 180);
    let page = app.get("/donnees-personnelles").await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("/assets/legal.js")
            && page.text().contains("data-duree=\"request_months\"")
    );
}
