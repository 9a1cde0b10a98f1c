//! A Lambda Runtime API emulator: each instance of a function is its real binary, a
//! child process whose `AWS_LAMBDA_RUNTIME_API` is a loopback server of its own that
//! answers `/2018-06-01/runtime/invocation/next`, `/{id}/response`, `/{id}/error`
//! and `/init/error` as Lambda does. A pool runs at most `max` instances of one
//! function, started when work waits, killed after the function's timeout, replaced
//! when they crash.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::{Notify, mpsc, oneshot, watch};

/// How one invocation ended.
#[derive(Debug)]
pub enum Outcome {
    /// The function's answer (`/response`).
    Response(Vec<u8>),
    /// The function reported an error (`/error`): its JSON.
    Error(Vec<u8>),
    /// The instance failed to start or exited before answering.
    Crashed(String),
    /// No answer within the function's timeout: the instance was killed.
    TimedOut,
}

struct Invocation {
    id: String,
    payload: Vec<u8>,
    reply: oneshot::Sender<Outcome>,
}

/// What an instance is started with.
pub struct Spec {
    pub name: String,
    pub exe: PathBuf,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub arn: String,
    pub max: usize,
}

struct Inner {
    spec: Spec,
    tx: mpsc::UnboundedSender<Invocation>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    /// Queued, not yet taken by an instance.
    pending: AtomicUsize,
    /// Instances waiting in `/next`.
    idle: AtomicUsize,
    /// Instances started that have not called `/next` yet.
    starting: AtomicUsize,
    live: AtomicUsize,
    scale_lock: Mutex<()>,
    shutdown: watch::Receiver<bool>,
}

/// The instances of one function.
#[derive(Clone)]
pub struct Pool(Arc<Inner>);

impl Pool {
    pub fn new(spec: Spec, shutdown: watch::Receiver<bool>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Pool(Arc::new(Inner {
            spec,
            tx,
            rx: tokio::sync::Mutex::new(rx),
            pending: AtomicUsize::new(0),
            idle: AtomicUsize::new(0),
            starting: AtomicUsize::new(0),
            live: AtomicUsize::new(0),
            scale_lock: Mutex::new(()),
            shutdown,
        }))
    }

    /// Instances running now (tests).
    pub fn live(&self) -> usize {
        self.0.live.load(Ordering::SeqCst)
    }

    /// Invokes the function with `payload` (synchronous invocation).
    pub async fn invoke(&self, payload: Vec<u8>) -> Outcome {
        let (reply, rx) = oneshot::channel();
        let inv = Invocation {
            id: ep_common::ids::new_id(),
            payload,
            reply,
        };
        self.0.pending.fetch_add(1, Ordering::SeqCst);
        if self.0.tx.send(inv).is_err() {
            return Outcome::Crashed("the pool is closed".into());
        }
        scale(&self.0);
        // Queueing behind the other instances' work, start-up, then the timeout.
        let guard = self.0.spec.timeout * 2 + Duration::from_secs(20);
        match tokio::time::timeout(guard, rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Outcome::Crashed("the invocation was dropped".into()),
            Err(_) => Outcome::TimedOut,
        }
    }
}

/// Starts instances while work waits for one and fewer than `max` run.
fn scale(inner: &Arc<Inner>) {
    let _g = inner.scale_lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let waiting = inner.pending.load(Ordering::SeqCst);
        let ready = inner.idle.load(Ordering::SeqCst) + inner.starting.load(Ordering::SeqCst);
        if waiting <= ready || inner.live.load(Ordering::SeqCst) >= inner.spec.max {
            return;
        }
        if *inner.shutdown.borrow() {
            return;
        }
        inner.live.fetch_add(1, Ordering::SeqCst);
        inner.starting.fetch_add(1, Ordering::SeqCst);
        let inner = inner.clone();
        tokio::spawn(async move { run_instance(inner).await });
    }
}

/// One instance: its Runtime API server and its process.
struct Instance {
    pool: Arc<Inner>,
    current: Mutex<Option<(String, oneshot::Sender<Outcome>)>>,
    started: AtomicBool,
    timed_out: AtomicBool,
    init_error: Mutex<Option<String>>,
    kill: Notify,
}

impl Instance {
    fn take_current(&self, id: &str) -> Option<oneshot::Sender<Outcome>> {
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match cur.take() {
            Some((cid, reply)) if cid == id => Some(reply),
            other => {
                *cur = other;
                None
            }
        }
    }

    fn mark_started(&self) {
        if !self.started.swap(true, Ordering::SeqCst) {
            self.pool.starting.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

async fn run_instance(pool: Arc<Inner>) {
    let inst = Arc::new(Instance {
        pool: pool.clone(),
        current: Mutex::new(None),
        started: AtomicBool::new(false),
        timed_out: AtomicBool::new(false),
        init_error: Mutex::new(None),
        kill: Notify::new(),
    });
    let failure = match start_and_wait(&inst).await {
        Ok(f) => f,
        Err(e) => format!("cannot start {}: {e}", pool.spec.exe.display()),
    };
    if !inst.started.swap(true, Ordering::SeqCst) {
        pool.starting.fetch_sub(1, Ordering::SeqCst);
    }
    pool.live.fetch_sub(1, Ordering::SeqCst);
    let current = inst
        .current
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    if let Some((_, reply)) = current {
        let outcome = if inst.timed_out.load(Ordering::SeqCst) {
            Outcome::TimedOut
        } else {
            Outcome::Crashed(failure.clone())
        };
        let _ = reply.send(outcome);
    } else if !*pool.shutdown.borrow() && pool.idle.load(Ordering::SeqCst) == 0 {
        // Died before taking any work (start-up failure): the oldest waiting
        // invocation fails with it, so a broken binary is not restarted forever.
        if let Ok(mut rx) = pool.rx.try_lock()
            && let Ok(inv) = rx.try_recv()
        {
            pool.pending.fetch_sub(1, Ordering::SeqCst);
            let _ = inv.reply.send(Outcome::Crashed(failure.clone()));
        }
    }
    if !*pool.shutdown.borrow() {
        tracing::warn!(function = %pool.spec.name, reason = %failure, "lambda instance ended");
        scale(&pool);
    }
}

/// Runs the instance until its process ends; answers why it ended.
async fn start_and_wait(inst: &Arc<Instance>) -> Result<String, String> {
    let pool = &inst.pool;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let srv_inst = inst.clone();
    let server = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        while let Ok((stream, _)) = listener.accept().await {
            let inst = srv_inst.clone();
            conns.spawn(async move {
                let svc = service_fn(move |req| {
                    let inst = inst.clone();
                    async move { Ok::<_, Infallible>(runtime_api(inst, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    let mut cmd = tokio::process::Command::new(&pool.spec.exe);
    cmd.env_clear()
        .envs(pool.spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(dir) = pool.spec.exe.parent() {
        cmd.current_dir(dir);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            server.abort();
            return Err(e.to_string());
        }
    };
    let mut shutdown = pool.shutdown.clone();
    let reason = tokio::select! {
        status = child.wait() => match status {
            Ok(s) => format!("the process exited ({s})"),
            Err(e) => format!("the process could not be waited for: {e}"),
        },
        _ = inst.kill.notified() => {
            let _ = child.kill().await;
            "killed after the function's timeout".to_owned()
        }
        _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
            let _ = child.kill().await;
            "stopped with the gateway".to_owned()
        }
    };
    server.abort();
    let init = inst
        .init_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    Ok(match init {
        Some(e) => format!("{reason}; init error: {e}"),
        None => reason,
    })
}

type Res = hyper::Response<Full<Bytes>>;

fn status(code: u16, body: &str) -> Res {
    let mut r = hyper::Response::new(Full::new(Bytes::from(body.to_owned())));
    *r.status_mut() = http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::OK);
    r
}

async fn runtime_api(inst: Arc<Instance>, req: hyper::Request<Incoming>) -> Res {
    const PREFIX: &str = "/2018-06-01/runtime/";
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return status(404, "{\"errorType\":\"NotFound\"}");
    };
    let method = req.method().clone();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return status(400, "{\"errorType\":\"InvalidRequest\"}"),
    };
    match (method.as_str(), rest) {
        ("GET", "invocation/next") => next(&inst).await,
        ("POST", "init/error") => {
            *inst.init_error.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(String::from_utf8_lossy(&body).into_owned());
            status(202, "{\"status\":\"OK\"}")
        }
        ("POST", r) => {
            let Some((id, what)) = r
                .strip_prefix("invocation/")
                .and_then(|r| r.split_once('/'))
            else {
                return status(404, "{\"errorType\":\"NotFound\"}");
            };
            let Some(reply) = inst.take_current(id) else {
                return status(400, "{\"errorType\":\"InvalidRequestID\"}");
            };
            let outcome = match what {
                "response" => Outcome::Response(body),
                "error" => Outcome::Error(body),
                _ => return status(404, "{\"errorType\":\"NotFound\"}"),
            };
            let _ = reply.send(outcome);
            status(202, "{\"status\":\"OK\"}")
        }
        _ => status(404, "{\"errorType\":\"NotFound\"}"),
    }
}

/// `GET /invocation/next`: waits for work, then hands it over with Lambda's headers
/// and starts the timeout.
async fn next(inst: &Arc<Instance>) -> Res {
    let pool = &inst.pool;
    inst.mark_started();
    pool.idle.fetch_add(1, Ordering::SeqCst);
    struct Idle<'a>(&'a AtomicUsize);
    impl Drop for Idle<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let idle = Idle(&pool.idle);
    let inv = {
        let mut rx = pool.rx.lock().await;
        rx.recv().await
    };
    drop(idle);
    let Some(inv) = inv else {
        return status(410, "{\"errorType\":\"Shutdown\"}");
    };
    pool.pending.fetch_sub(1, Ordering::SeqCst);
    let timeout = pool.spec.timeout;
    let deadline = jiff::Timestamp::now().as_millisecond() + timeout.as_millis() as i64;
    *inst.current.lock().unwrap_or_else(|e| e.into_inner()) = Some((inv.id.clone(), inv.reply));
    let watch_inst = inst.clone();
    let id = inv.id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(timeout).await;
        let still = watch_inst
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|(c, _)| *c == id);
        if still {
            watch_inst.timed_out.store(true, Ordering::SeqCst);
            watch_inst.kill.notify_one();
        }
    });
    let mut res = status(200, "");
    *res.body_mut() = Full::new(Bytes::from(inv.payload));
    let h = res.headers_mut();
    let mut put = |k: &'static str, v: String| {
        if let Ok(v) = http::HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    put("content-type", "application/json".into());
    put("lambda-runtime-aws-request-id", inv.id);
    put("lambda-runtime-deadline-ms", deadline.to_string());
    put("lambda-runtime-invoked-function-arn", pool.spec.arn.clone());
    put("lambda-runtime-trace-id", trace_id());
    res
}

/// An X-Ray trace header as Lambda passes it (`Tracing: Active` in the template).
fn trace_id() -> String {
    let hex = |n: usize| -> String {
        let mut b = vec![0u8; n / 2];
        let _ = getrandom::fill(&mut b);
        b.iter().map(|x| format!("{x:02x}")).collect()
    };
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        jiff::Timestamp::now().as_second(),
        hex(24),
        hex(16)
    )
}
