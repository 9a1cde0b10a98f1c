//! The local gateway: one process that serves `site/`, routes `/api/*` to the same
//! function handlers as AWS (routes read from `template.yaml`, requests in API
//! Gateway v2's shape), runs the scheduled function on the template's rate, and
//! stores everything in one data directory (SQLite, files, an outbox of `.eml`).

mod dev;
mod event;
pub mod lambda;
mod links;
pub mod registry;
pub mod router;
pub mod statics;
pub mod template;

use dev::*;
pub use dev::{dev_pages_allowed, is_loopback_host};
use event::*;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ep_common::Ctx;
use ep_common::clock::Clock;
use ep_common::config::Config;
use ep_common::embedded::{self, DirBlobs, Embedded};
use ep_common::http::Problem;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lambda_http::Body;

use crate::registry::FunctionImpl;
use crate::router::Router;
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
    #[error("lambda mode: {0}")]
    Lambda(String),
    #[error("second-factor key {path}: {reason}")]
    TotpKey { path: String, reason: String },
}

/// The second-factor key when `EP_TOTP_KEY` is not set: `<data dir>/totp.key`,
/// created (32 random bytes in base64, mode 0600) at the first start, so that
/// `cargo run` works with no setting and enrolled users survive a restart.
pub fn local_totp_key(
    data_dir: &std::path::Path,
) -> Result<ep_common::config::TotpKey, StartError> {
    use std::io::Write;
    let path = data_dir.join("totp.key");
    let fail = |reason: String| StartError::TotpKey {
        path: path.display().to_string(),
        reason,
    };
    if let Ok(text) = std::fs::read_to_string(&path) {
        return ep_common::config::TotpKey::parse(&text)
            .ok_or_else(|| fail("expected 32 bytes in base64".into()));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| fail(e.to_string()))?;
    let key = ep_common::config::TotpKey(ep_common::ids::random_bytes::<32>());
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut file = open.open(&path).map_err(|e| fail(e.to_string()))?;
    writeln!(file, "{}", key.to_base64()).map_err(|e| fail(e.to_string()))?;
    Ok(key)
}

/// How to run.
#[derive(Clone)]
pub struct Options {
    /// The static site (default `site`).
    pub site_dir: PathBuf,
    /// Run the scheduled function on the template's rate.
    pub run_scheduler: bool,
    /// Development pages (`/_dev/outbox`, `/_dev/clock`, `/_dev/maintenance`): on by
    /// default only when the public URL's host and the listen address are loopback
    /// ([`dev_pages_allowed`]).
    pub dev_pages: bool,
    /// When listening on port 0, set `public_url` to the bound address (tests).
    pub public_url_from_bind: bool,
    /// Development clock that `/_dev/clock` moves forward (`EP_DEV_CLOCK=1`).
    pub dev_clock: Option<Arc<ep_common::clock::OffsetClock>>,
    /// Another blob store for the handlers (tests: S3 on moto); the gateway's own
    /// `/_local/blobs/` links keep using the data directory.
    pub blobs: Option<Arc<dyn ep_common::blobs::Blobs>>,
    /// Lambda mode: the API answered by the functions' real binaries, on moto.
    pub lambda: Option<lambda::LambdaOptions>,
    /// Another table for the gateway's own context (tests in Lambda mode: the moto
    /// table the functions use, so that a test can look at what they stored).
    pub table: Option<Arc<dyn ep_common::table::Table>>,
}

impl Options {
    pub fn for_config(config: &Config) -> Self {
        let local = dev_pages_allowed(&config.public_url, &config.listen);
        Options {
            site_dir: PathBuf::from("site"),
            run_scheduler: true,
            dev_pages: local,
            public_url_from_bind: false,
            dev_clock: None,
            blobs: None,
            lambda: None,
            table: None,
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
    lambdas: Option<Arc<lambda::Lambdas>>,
    /// Lambda mode: the pages' `Content-Security-Policy`, whose `connect-src` also
    /// allows S3 (moto), where the browser sends presigned uploads.
    page_csp: Option<String>,
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
    /// Lambda mode: the function binaries answering the API.
    pub lambdas: Option<Arc<lambda::Lambdas>>,
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
    if config.totp_key.is_none() {
        config.totp_key = Some(local_totp_key(&config.data_dir)?);
    }

    let mut emb = embedded::open(config, clock)?;
    if let Some(b) = options.blobs.clone() {
        emb.ctx.blobs = b;
    }
    if let Some(t) = options.table.clone() {
        emb.ctx.table = t;
    }
    let emb = Arc::new(emb);
    let ctx = emb.ctx.clone();
    let (shutdown, mut stop_rx) = tokio::sync::watch::channel(false);
    let lambdas = match &options.lambda {
        Some(opts) => Some(Arc::new(
            lambda::Lambdas::start(opts, &ctx.config, emb.outbox.clone(), shutdown.subscribe())
                .await
                .map_err(StartError::Lambda)?,
        )),
        None => None,
    };
    let created_admin = match &lambdas {
        Some(l) => l.bootstrap_admin().await.map_err(StartError::Bootstrap)?,
        None => ep_common::bootstrap::ensure_admin(&ctx)
            .await
            .map_err(|e| StartError::Bootstrap(e.to_string()))?,
    };
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
        // A real binary's clock cannot be moved.
        dev_clock: options.dev_clock.clone().filter(|_| lambdas.is_none()),
        lambdas: lambdas.clone(),
        page_csp: options
            .lambda
            .as_ref()
            .map(|l| lambda::page_csp(&l.aws_endpoint)),
    });

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
        let sched_lambdas = lambdas.clone();
        let mut stop_rx = shutdown.subscribe();
        tokio::spawn(async move {
            loop {
                let failed = match &sched_lambdas {
                    Some(l) => l.scheduled_run().await.err(),
                    None => ep_maintenance::run(&sched_ctx)
                        .await
                        .err()
                        .map(|e| e.to_string()),
                };
                if let Some(e) = failed {
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
        lambdas,
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
                ("POST", "/_dev/maintenance") => return dev_maintenance(&st, req).await,
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
            if let Some(v) = st
                .page_csp
                .as_deref()
                .and_then(|c| http::HeaderValue::from_str(c).ok())
            {
                res.headers_mut().insert("content-security-policy", v);
            }
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
