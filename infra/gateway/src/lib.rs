//! The local gateway: one process that serves `site/`, routes `/api/*` to the same
//! function handlers as AWS (routes read from `template.yaml`, requests in API
//! Gateway v2's shape), runs the scheduled function on the template's rate, and
//! stores everything in one data directory (SQLite, files, an outbox of `.eml`).

mod links;
pub mod registry;
pub mod router;
pub mod statics;
pub mod template;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use ep_common::Ctx;
use ep_common::clock::Clock;
use ep_common::config::Config;
use ep_common::embedded::{self, DirBlobs, Embedded};
use ep_common::http::Problem;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lambda_http::Body;

use crate::registry::FunctionImpl;
use crate::router::{RouteResult, Router};
use crate::template::FunctionDef;

/// Largest API request body (API Gateway's payload limit is 10 MB).
const MAX_API_BODY: usize = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error("template.yaml and the gateway disagree: {0}")]
    Mismatch(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
    #[error(transparent)]
    Data(#[from] embedded::OpenError),
    #[error("cannot create the platform admin: {0}")]
    Bootstrap(String),
}

/// How to run.
#[derive(Clone)]
pub struct Options {
    /// The static site (default `site`).
    pub site_dir: PathBuf,
    /// Run the scheduled function on the template's rate.
    pub run_scheduler: bool,
    /// Development pages (`/_dev/outbox`): on by default only on a loopback URL.
    pub dev_pages: bool,
    /// When listening on port 0, set `public_url` to the bound address (tests).
    pub public_url_from_bind: bool,
    /// Development clock that `/_dev/clock` moves forward (`EP_DEV_CLOCK=1`).
    pub dev_clock: Option<Arc<ep_common::clock::OffsetClock>>,
    /// Another blob store for the handlers (tests: S3 on moto); the gateway's own
    /// `/_local/blobs/` links keep using the data directory.
    pub blobs: Option<Arc<dyn ep_common::blobs::Blobs>>,
}

impl Options {
    pub fn for_config(config: &Config) -> Self {
        let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| config.public_url.starts_with(p));
        Options {
            site_dir: PathBuf::from("site"),
            run_scheduler: true,
            dev_pages: local,
            public_url_from_bind: false,
            dev_clock: None,
            blobs: None,
        }
    }
}

/// Checks that every template function has a handler and the reverse, and that
/// each function's routes in the template are exactly those its handler answers.
pub fn check_template(defs: &[FunctionDef], impls: &[FunctionImpl]) -> Result<(), String> {
    let mut problems = Vec::new();
    for d in defs {
        match impls.iter().find(|i| i.binary == d.binary) {
            None => problems.push(format!(
                "{} ({}) has no handler in the gateway",
                d.logical_id, d.binary
            )),
            Some(i) => {
                let mut in_template: Vec<String> = d.routes.iter().map(|r| r.key()).collect();
                let mut in_handler: Vec<String> = i.routes.iter().map(|r| r.to_string()).collect();
                in_template.sort();
                in_handler.sort();
                if in_template != in_handler {
                    problems.push(format!(
                        "{}: routes in template.yaml {:?} differ from the handler's {:?}",
                        d.binary, in_template, in_handler
                    ));
                }
                if i.scheduled != d.schedule.is_some() {
                    problems.push(format!(
                        "{}: schedule differs between template and gateway",
                        d.binary
                    ));
                }
            }
        }
    }
    for i in impls {
        if !defs.iter().any(|d| d.binary == i.binary) {
            problems.push(format!(
                "handler {} is not a function of template.yaml",
                i.binary
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

struct State {
    ctx: Ctx,
    router: Router,
    impls: Vec<FunctionImpl>,
    site_dir: PathBuf,
    dev_pages: bool,
    blobs: Arc<DirBlobs>,
    outbox_dir: PathBuf,
    dev_clock: Option<Arc<ep_common::clock::OffsetClock>>,
}

/// A running gateway.
pub struct App {
    pub addr: SocketAddr,
    pub ctx: Ctx,
    pub embedded: Arc<Embedded>,
    /// The scheduled run interval read from the template.
    pub schedule: Option<Duration>,
    /// Identifiant of the platform admin when this start created it (empty store).
    pub created_admin: Option<String>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl App {
    /// Runs the scheduled function once now (tests, and at start-up).
    pub async fn run_maintenance(
        &self,
    ) -> Result<ep_maintenance::RunReport, ep_common::table::StoreError> {
        ep_maintenance::run(&self.ctx).await
    }

    /// Stops accepting connections and the scheduler.
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the gateway.
pub async fn start(
    mut config: Config,
    clock: Arc<dyn Clock>,
    options: Options,
) -> Result<App, StartError> {
    let defs = template::functions(template::TEMPLATE)?;
    let impls = registry::functions();
    check_template(&defs, &impls).map_err(StartError::Mismatch)?;
    let schedule = defs.iter().find_map(|d| d.schedule);

    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| StartError::Listen {
            addr: config.listen.clone(),
            reason: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| StartError::Listen {
        addr: config.listen.clone(),
        reason: e.to_string(),
    })?;
    if options.public_url_from_bind {
        config.public_url = format!("http://{addr}");
    }

    let mut emb = embedded::open(config, clock)?;
    if let Some(b) = options.blobs.clone() {
        emb.ctx.blobs = b;
    }
    let emb = Arc::new(emb);
    let ctx = emb.ctx.clone();
    let created_admin = ep_common::bootstrap::ensure_admin(&ctx)
        .await
        .map_err(|e| StartError::Bootstrap(e.to_string()))?;
    let mut routes = Vec::new();
    for d in &defs {
        if let Some(idx) = impls.iter().position(|i| i.binary == d.binary) {
            routes.extend(d.routes.iter().cloned().map(|r| (idx, r)));
        }
    }
    let state = Arc::new(State {
        ctx: ctx.clone(),
        router: Router::new(routes),
        impls,
        site_dir: options.site_dir.clone(),
        dev_pages: options.dev_pages,
        blobs: emb.blobs.clone(),
        outbox_dir: emb.outbox.dir().to_path_buf(),
        dev_clock: options.dev_clock.clone(),
    });

    let (shutdown, mut stop_rx) = tokio::sync::watch::channel(false);
    let accept_state = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop_rx.changed() => break,
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let st = accept_state.clone();
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| {
                            let st = st.clone();
                            async move { Ok::<_, std::convert::Infallible>(serve(st, req, peer).await) }
                        });
                        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            }
        }
    });

    if let (true, Some(every)) = (options.run_scheduler, schedule) {
        let sched_ctx = ctx.clone();
        let mut stop_rx = shutdown.subscribe();
        tokio::spawn(async move {
            loop {
                if let Err(e) = ep_maintenance::run(&sched_ctx).await {
                    tracing::error!(error = %e, "maintenance run failed");
                }
                tokio::select! {
                    _ = stop_rx.changed() => break,
                    _ = tokio::time::sleep(every) => {}
                }
            }
        });
    }

    Ok(App {
        addr,
        ctx,
        embedded: emb,
        schedule,
        created_admin,
        shutdown,
    })
}

type HyperResponse = hyper::Response<Full<Bytes>>;

fn to_hyper(res: lambda_http::Response<Body>) -> HyperResponse {
    let (parts, body) = res.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

/// A response with the API's security headers (the same `respond` the handlers use).
fn plain(status: u16, content_type: &str, body: impl Into<Bytes>) -> HyperResponse {
    let body: Bytes = body.into();
    to_hyper(ep_common::http::respond(
        status,
        content_type,
        Body::Binary(body.to_vec()),
    ))
}

async fn serve(st: Arc<State>, req: hyper::Request<Incoming>, peer: SocketAddr) -> HyperResponse {
    let path = req.uri().path().to_owned();
    if path == "/api" || path.starts_with("/api/") {
        return api(st, req, peer).await;
    }
    if let Some(key) = path.strip_prefix(embedded::blobs::UPLOAD_PATH) {
        let key = key.to_owned();
        return links::upload(st, req, &key).await;
    }
    if path.starts_with("/_dev/") {
        if st.dev_pages {
            match (req.method().as_str(), path.as_str()) {
                ("GET", "/_dev/outbox") => return outbox_page(&st),
                ("GET", "/_dev/outbox.json") => return outbox_json(&st),
                ("GET" | "POST", "/_dev/clock") if st.dev_clock.is_some() => {
                    return dev_clock(&st, req).await;
                }
                _ => {}
            }
        }
        return to_hyper(Problem::not_found().into_response());
    }
    if req.method() != hyper::Method::GET && req.method() != hyper::Method::HEAD {
        return to_hyper(Problem::method_not_allowed().into_response());
    }
    static_file(&st, &path).await
}

async fn static_file(st: &State, path: &str) -> HyperResponse {
    let found = statics::resolve(&st.site_dir, path);
    let (file, status) = match found {
        Some(f) => (f, 200),
        None => match statics::resolve(&st.site_dir, "/404.html") {
            Some(f) => (f, 404),
            None => return plain(404, "text/plain; charset=utf-8", "Page introuvable"),
        },
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mut res = plain(status, statics::content_type(&file), bytes);
            let cache = if file.extension().is_some_and(|e| e == "html") {
                "no-cache"
            } else {
                "public, max-age=300"
            };
            if let Ok(v) = http::HeaderValue::from_str(cache) {
                res.headers_mut().insert("cache-control", v);
            }
            res
        }
        Err(_) => plain(404, "text/plain; charset=utf-8", "Page introuvable"),
    }
}

/// Builds the API Gateway v2 (payload 2.0) event of a request, exactly as AWS sends
/// it to a Lambda, then lets `lambda_http` turn it into the handler's request.
fn api_event(
    parts: &http::request::Parts,
    body: &[u8],
    route_key: &str,
    params: &std::collections::HashMap<String, String>,
    peer: SocketAddr,
    now: jiff::Timestamp,
) -> serde_json::Value {
    let mut headers = serde_json::Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(
                v.split(';')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        let key = name.as_str().to_ascii_lowercase();
        match headers.get_mut(&key) {
            Some(serde_json::Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                headers.insert(key, serde_json::Value::String(v));
            }
        }
    }
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let textual = content_type.starts_with("application/json")
        || content_type.starts_with("text/")
        || content_type.starts_with("application/x-www-form-urlencoded");
    let (body_value, is_b64) = if body.is_empty() {
        (serde_json::Value::Null, false)
    } else if let (true, Ok(text)) = (textual, std::str::from_utf8(body)) {
        (serde_json::Value::String(text.to_owned()), false)
    } else {
        (
            serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(body)),
            true,
        )
    };
    let request_id = ep_common::ids::new_id();
    let mut event = serde_json::json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "local",
            "apiId": "local",
            "domainName": parts.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost"),
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": peer.ip().to_string(),
                "userAgent": parts.headers.get("user-agent").and_then(|h| h.to_str().ok()).unwrap_or(""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": now.as_millisecond(),
        },
        "isBase64Encoded": is_b64,
    });
    if !cookies.is_empty() {
        event["cookies"] = serde_json::json!(cookies);
    }
    if !params.is_empty() {
        event["pathParameters"] = serde_json::json!(params);
    }
    if !body_value.is_null() {
        event["body"] = body_value;
    }
    event
}

async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, HyperResponse> {
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(_) => Err(to_hyper(
            Problem::new(
                413,
                "body.too_large",
                "Envoi trop volumineux",
                "La demande dépasse la taille autorisée : réduisez la taille des fichiers ou du texte.",
            )
            .into_response(),
        )),
    }
}

async fn api(st: Arc<State>, req: hyper::Request<Incoming>, peer: SocketAddr) -> HyperResponse {
    let (parts, body) = req.into_parts();
    let matched = match st.router.route(parts.method.as_str(), parts.uri.path()) {
        RouteResult::Found(m) => m,
        RouteResult::MethodNotAllowed => {
            return to_hyper(Problem::method_not_allowed().into_response());
        }
        RouteResult::NotFound => return to_hyper(Problem::not_found().into_response()),
    };
    let bytes = match read_body(body, MAX_API_BODY).await {
        Ok(b) => b,
        Err(res) => return res,
    };
    let event = api_event(
        &parts,
        &bytes,
        &matched.route_key,
        &matched.params,
        peer,
        st.ctx.now(),
    );
    let request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "could not build the API Gateway event");
            return to_hyper(
                Problem::bad_request("request.invalid", "La demande n'a pas pu être lue.")
                    .into_response(),
            );
        }
    };
    let handler = st.impls[matched.function].http;
    let ctx = st.ctx.clone();
    match tokio::spawn(async move { handler(ctx, request).await }).await {
        Ok(res) => to_hyper(res),
        Err(e) => {
            tracing::error!(route = %matched.route_key, error = %e, "handler failed");
            let p = Problem::new(
                500,
                "internal",
                "Erreur interne",
                "Une erreur inattendue est survenue. Rien n'a été enregistré : réessayez, et si cela se reproduit, contactez le support.",
            );
            to_hyper(p.into_response())
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Makes the http(s) URLs of a text clickable (the text is escaped first).
fn linkify(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let words: Vec<String> = line
            .split(' ')
            .map(|w| {
                if w.starts_with("http://") || w.starts_with("https://") {
                    let e = escape(w);
                    format!("<a href=\"{e}\">{e}</a>")
                } else {
                    escape(w)
                }
            })
            .collect();
        out.push_str(&words.join(" "));
    }
    out
}

/// Development-only page: the emails the embedded mailer wrote, newest first.
fn outbox_page(st: &State) -> HyperResponse {
    use ep_common::mail::{decode_header, header_of, text_part};
    let entries = match embedded::list_outbox(&st.outbox_dir) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "outbox unreadable");
            Vec::new()
        }
    };
    let mut items = String::new();
    for e in entries.iter().rev() {
        let subject = header_of(&e.raw, "Subject")
            .map(|s| decode_header(&s))
            .unwrap_or_default();
        let to = header_of(&e.raw, "To")
            .map(|s| decode_header(&s))
            .unwrap_or_default();
        let date = header_of(&e.raw, "Date").unwrap_or_default();
        let body = text_part(&e.raw).unwrap_or_else(|| "(message illisible)".into());
        items.push_str(&format!(
            "<li class=\"carte\"><h2>{}</h2><p class=\"meta\">À : {} — {}</p><pre>{}</pre><p class=\"meta\">Fichier : {}</p></li>\n",
            escape(&subject),
            escape(&to),
            escape(&date),
            linkify(&body),
            escape(&e.file)
        ));
    }
    if items.is_empty() {
        items.push_str("<li>Aucun courriel pour l'instant.</li>");
    }
    let html = format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Courriels envoyés (développement) – Espace Partenaires</title>\
<link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body><main id=\"contenu\" class=\"page\">\
<h1>Courriels envoyés (développement)</h1>\
<p>Cette page n'existe que sur un poste de développement : elle montre les courriels que le portail a écrits dans <code>{}</code>, du plus récent au plus ancien.</p>\
<ul class=\"courriels\">{}</ul></main></body></html>",
        escape(&st.outbox_dir.display().to_string()),
        items
    );
    plain(200, "text/html; charset=utf-8", html)
}

/// Development only: the outbox as JSON (`[{file, to, subject, text}]`, oldest first),
/// for browser tests that follow emailed links.
fn outbox_json(st: &State) -> HyperResponse {
    use ep_common::mail::{decode_header, header_of, text_part};
    let entries = embedded::list_outbox(&st.outbox_dir).unwrap_or_default();
    let list: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "file": e.file,
                "to": header_of(&e.raw, "To").map(|s| decode_header(&s)),
                "subject": header_of(&e.raw, "Subject").map(|s| decode_header(&s)),
                "text": text_part(&e.raw),
            })
        })
        .collect();
    plain(
        200,
        "application/json",
        serde_json::to_string(&list).unwrap_or_default(),
    )
}

/// Development only (`EP_DEV_CLOCK=1`): `GET` the portal's time, `POST
/// {"advance_days": N}` (or `advance_minutes`) to move it forward.
async fn dev_clock(st: &State, req: hyper::Request<Incoming>) -> HyperResponse {
    let Some(clock) = &st.dev_clock else {
        return to_hyper(Problem::not_found().into_response());
    };
    if req.method() == hyper::Method::POST {
        let bytes = read_body(req.into_body(), 4096).await.unwrap_or_default();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let days = v["advance_days"].as_i64().unwrap_or(0).clamp(0, 3650);
        let minutes = v["advance_minutes"].as_i64().unwrap_or(0).clamp(0, 525_600);
        clock.advance(
            jiff::SignedDuration::from_hours(24 * days) + jiff::SignedDuration::from_mins(minutes),
        );
    }
    let body = serde_json::json!({ "now": st.ctx.now() });
    plain(200, "application/json", body.to_string())
}
