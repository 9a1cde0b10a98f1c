//! Helpers shared by the end-to-end test binaries: a small HTTP client, the moto
//! endpoint, fresh names.

use std::sync::Arc;

use ep_common::clock::{Clock, SystemClock};
use ep_common::config::Config;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub type Bytes = hyper::body::Bytes;

pub mod second_factor;

/// A fresh random name (tables, buckets, data directories).
pub fn unique(prefix: &str) -> String {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).expect("random bytes");
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// The moto server started by `infra/scripts/services.sh`, or `None` when the
/// developer explicitly skips the AWS-wire tests with `EP_SKIP_AWS=1`.
pub fn moto_endpoint() -> Option<String> {
    if let Ok(e) = std::env::var("EP_TEST_AWS_ENDPOINT") {
        return Some(e);
    }
    if std::env::var("EP_SKIP_AWS").as_deref() == Ok("1") {
        eprintln!("EP_SKIP_AWS=1: AWS-wire test skipped");
        return None;
    }
    panic!(
        "EP_TEST_AWS_ENDPOINT is not set: run the whole suite with infra/scripts/test-all.sh \
         (it starts moto), or start moto with `infra/scripts/services.sh start` and export \
         EP_TEST_AWS_ENDPOINT=http://127.0.0.1:5000 (EP_SKIP_AWS=1 skips these tests)"
    )
}

pub const REGION: &str = "eu-west-3";

/// SDK configuration pointing at moto.
pub async fn moto_sdk(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await
}

/// A configuration for tests, from defaults plus `pairs` (the second-factor key is
/// a fixed test key unless `pairs` sets one).
pub fn test_config(pairs: &[(&str, &str)]) -> Config {
    let mut map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.entry("EP_TOTP_KEY".into())
        .or_insert_with(|| second_factor::TEST_TOTP_KEY.into());
    Config::from_lookup(|k| map.get(k).cloned()).expect("test configuration")
}

pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A response read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// Sends one plain-HTTP request.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> TestResponse {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::from(body))).expect("request");
    let res = client.request(req).await.expect("HTTP request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .expect("response body")
        .to_bytes()
        .to_vec();
    TestResponse {
        status,
        headers,
        body,
    }
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let p = std::env::temp_dir().join(unique("ep-test"));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The whole app, in process, on port 0, with a fresh data directory and a clock
/// the test controls (zero2prod's `spawn_app`).
pub struct TestApp {
    pub app: ep_gateway::App,
    pub url: String,
    pub clock: Arc<ep_common::clock::ManualClock>,
    pub dir: TempDir,
    /// The second factors the helpers enrolled (the tests' authenticator app).
    pub authenticator: second_factor::Authenticator,
}

/// The site folder of this repository.
pub fn site_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../site")
}

/// Starts the app; `pairs` override configuration variables.
pub async fn spawn_app_with(pairs: &[(&str, &str)], dir: TempDir, scheduler: bool) -> TestApp {
    spawn_app_on(pairs, dir, scheduler, None).await
}

/// Starts the app with another blob store for the handlers (S3 on moto).
pub async fn spawn_app_on(
    pairs: &[(&str, &str)],
    dir: TempDir,
    scheduler: bool,
    blobs: Option<Arc<dyn ep_common::blobs::Blobs>>,
) -> TestApp {
    start_inner(pairs, dir, None, blobs, None, scheduler).await
}

async fn start_inner(
    pairs: &[(&str, &str)],
    dir: TempDir,
    lambda: Option<ep_gateway::lambda::LambdaOptions>,
    blobs: Option<Arc<dyn ep_common::blobs::Blobs>>,
    table: Option<Arc<dyn ep_common::table::Table>>,
    scheduler: bool,
) -> TestApp {
    let data = dir.0.join("data");
    let data_str = data.display().to_string();
    let mut all: Vec<(&str, &str)> = vec![("EP_LISTEN", "127.0.0.1:0"), ("EP_DATA_DIR", &data_str)];
    all.extend_from_slice(pairs);
    let config = test_config(&all);
    let clock = Arc::new(ep_common::clock::ManualClock::new(
        "2026-11-26T09:00:00Z".parse().expect("timestamp"),
    ));
    let options = ep_gateway::Options {
        site_dir: site_dir(),
        run_scheduler: scheduler,
        dev_pages: true,
        public_url_from_bind: true,
        dev_clock: None,
        blobs,
        lambda,
        table,
    };
    let app = ep_gateway::start(config, clock.clone(), options)
        .await
        .expect("gateway starts");
    let url = app.ctx.config.public_url.clone();
    TestApp {
        app,
        url,
        clock,
        dir,
        authenticator: Default::default(),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[], TempDir::new(), false).await
}

/// How an API journey runs: the handlers in process (embedded store), or each route
/// through its function's real binary under the gateway's Lambda mode, on moto.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    InProcess,
    Lambda,
}

/// The directory of the function binaries built for the Lambda-mode tests
/// (`EP_TEST_LAMBDA_DIR`), or `None` when the developer skips them on purpose with
/// `EP_SKIP_LAMBDA=1` (or `EP_SKIP_AWS=1`: they need moto).
pub fn lambda_dir() -> Option<std::path::PathBuf> {
    if let Ok(d) = std::env::var("EP_TEST_LAMBDA_DIR") {
        return Some(d.into());
    }
    if std::env::var("EP_SKIP_LAMBDA").as_deref() == Ok("1")
        || std::env::var("EP_SKIP_AWS").as_deref() == Ok("1")
    {
        eprintln!("EP_SKIP_LAMBDA=1: Lambda-mode test skipped");
        return None;
    }
    panic!(
        "EP_TEST_LAMBDA_DIR is not set: run the whole suite with infra/scripts/test-all.sh \
         (it builds the function binaries), or build them with `cargo build -p ep-auth \
         -p ep-accounts -p ep-requests -p ep-attachments -p ep-maintenance --bins`, start moto \
         (`infra/scripts/services.sh start`) and export EP_TEST_LAMBDA_DIR=<target dir>/debug \
         and EP_TEST_AWS_ENDPOINT=http://127.0.0.1:5000 (EP_SKIP_LAMBDA=1 skips these tests)"
    )
}

/// Starts the app in `mode` (`None`: a Lambda-mode test skipped on purpose). In
/// Lambda mode the table and bucket are fresh on moto, the functions get `pairs`
/// too, and clamd when the test environment has one.
pub async fn spawn_in(mode: Mode, pairs: &[(&str, &str)]) -> Option<TestApp> {
    spawn_in_dir(mode, pairs, TempDir::new()).await
}

pub async fn spawn_in_dir(mode: Mode, pairs: &[(&str, &str)], dir: TempDir) -> Option<TestApp> {
    if mode == Mode::InProcess {
        return Some(spawn_app_with(pairs, dir, false).await);
    }
    let bins = lambda_dir()?;
    spawn_in_bins(pairs, dir, bins).await
}

/// Starts the app in Lambda mode with the function binaries of `bins`.
pub async fn spawn_in_bins(
    pairs: &[(&str, &str)],
    dir: TempDir,
    bins: std::path::PathBuf,
) -> Option<TestApp> {
    let endpoint = moto_endpoint()?;
    let table = unique("ep-lambda");
    let bucket = unique("ep-lambda");
    let clamd = std::env::var("EP_TEST_CLAMD").ok();
    let mut all: Vec<(&str, &str)> = vec![("EP_TABLE", &table), ("EP_ATTACHMENTS_BUCKET", &bucket)];
    if let Some(c) = clamd.as_deref() {
        all.push(("EP_CLAMD_ADDRESS", c));
    }
    all.extend_from_slice(pairs);
    let mut env: Vec<(String, String)> = all
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    // The functions' own logs: warnings and errors only, unless asked otherwise.
    env.push((
        "RUST_LOG".into(),
        std::env::var("EP_TEST_LAMBDA_LOG").unwrap_or_else(|_| "warn".into()),
    ));
    env.push(("EP_LOG_FORMAT".into(), "text".into()));
    let lambda = ep_gateway::lambda::LambdaOptions {
        dir: bins,
        aws_endpoint: endpoint,
        env,
    };
    // The test's own view of what the functions stored: the same table and bucket.
    let sdk = moto_sdk(&lambda.aws_endpoint).await;
    let table_view: Arc<dyn ep_common::table::Table> = Arc::new(ep_common::aws::DynamoTable::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        table.clone(),
    ));
    let s3 = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(true)
        .build();
    let blobs: Arc<dyn ep_common::blobs::Blobs> = Arc::new(ep_common::aws::S3Blobs::new(
        aws_sdk_s3::Client::from_conf(s3),
        bucket.clone(),
    ));
    Some(
        start_inner(
            &all,
            dir,
            Some(lambda),
            Some(blobs),
            Some(table_view),
            false,
        )
        .await,
    )
}

impl TestApp {
    pub async fn get(&self, path: &str) -> TestResponse {
        send("GET", &format!("{}{path}", self.url), &[], vec![]).await
    }
    /// Emails written to the outbox, oldest first.
    pub fn outbox(&self) -> Vec<ep_common::embedded::outbox::OutboxEntry> {
        ep_common::embedded::list_outbox(&self.dir.0.join("data/outbox")).expect("outbox")
    }
}

/// The first `name=value` of a response's `Set-Cookie` headers.
pub fn session_cookie(res: &TestResponse) -> Option<String> {
    res.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ep_session=") || c.starts_with("__Host-ep_session="))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

impl TestApp {
    /// A JSON request as the portal's pages send it (same-origin `Origin` header),
    /// with an optional session cookie (`name=value`).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        cookie: Option<&str>,
    ) -> TestResponse {
        let mut headers = vec![
            ("origin", self.url.as_str()),
            ("content-type", "application/json"),
        ];
        if let Some(c) = cookie {
            headers.push(("cookie", c));
        }
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        send(method, &format!("{}{path}", self.url), &headers, bytes).await
    }

    pub async fn post(
        &self,
        path: &str,
        body: serde_json::Value,
        cookie: Option<&str>,
    ) -> TestResponse {
        self.call("POST", path, Some(body), cookie).await
    }

    /// The decoded text of the newest email sent to `to`.
    pub fn last_email_to(&self, to: &str) -> Option<String> {
        use ep_common::mail::{decode_header, header_of, text_part};
        self.outbox()
            .iter()
            .rev()
            .find(|e| header_of(&e.raw, "To").is_some_and(|t| decode_header(&t).contains(to)))
            .and_then(|e| text_part(&e.raw))
    }

    /// The token of the newest link to `page` (`activation`, `reinitialisation`) sent to `to`.
    pub fn link_token(&self, to: &str, page: &str) -> Option<String> {
        let text = self.last_email_to(to)?;
        let marker = format!("/{page}#jeton=");
        let start = text.find(&marker)? + marker.len();
        Some(
            text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect(),
        )
    }

    /// Like [`TestApp::link_token`], waiting up to 5 s for an email sent after the
    /// answer (`emails::deliver_later`).
    pub async fn wait_link_token(&self, to: &str, page: &str) -> Option<String> {
        let before = self.link_token(to, page);
        for _ in 0..100 {
            let now = self.link_token(to, page);
            if now.is_some() && now != before {
                return now;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.link_token(to, page)
    }

    /// Waits up to 5 s for the outbox to hold `n` emails; returns how many it holds
    /// (after a short settle, so one more arriving late is seen too).
    pub async fn wait_outbox_len(&self, n: usize) -> usize {
        for _ in 0..100 {
            if self.outbox().len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        self.outbox().len()
    }

    /// The identifiant given in the newest email to `to`.
    pub fn identifiant_in_email(&self, to: &str) -> Option<String> {
        let text = self.last_email_to(to)?;
        let start = text.find("Votre identifiant : ")? + "Votre identifiant : ".len();
        Some(text[start..].chars().take(8).collect())
    }

    /// Signs in and returns the session cookie (panics on failure), like a person
    /// with an authenticator app: enrols the second factor when the portal asks for
    /// it, answers the code step when the account has one.
    pub async fn login(&self, identifiant: &str, password: &str) -> String {
        let res = self
            .post(
                "/api/auth/login",
                serde_json::json!({"identifiant": identifiant, "password": password}),
                None,
            )
            .await;
        assert_eq!(res.status, 200, "login: {}", res.text());
        let cookie = session_cookie(&res).expect("session cookie");
        let body = res.json();
        if body["second_factor"] == "pending" {
            return self.second_factor(identifiant, &cookie).await;
        }
        let actions = body["required_actions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if actions.iter().any(|a| a == "enrol_second_factor") {
            self.enrol(identifiant, &cookie).await;
        }
        cookie
    }

    /// The portal's time as the functions see it (the test clock in process, the
    /// machine's in Lambda mode).
    pub fn portal_now(&self) -> jiff::Timestamp {
        if self.app.lambdas.is_some() {
            jiff::Timestamp::now()
        } else {
            self.clock.now_ts()
        }
    }

    /// Enrols the signed-in user's second factor (set-up, confirmation with a code)
    /// and keeps it in the authenticator; returns the recovery codes.
    pub async fn enrol(&self, identifiant: &str, cookie: &str) -> Vec<String> {
        let res = self
            .post(
                "/api/me/second-factor/setup",
                serde_json::json!({}),
                Some(cookie),
            )
            .await;
        assert_eq!(res.status, 200, "second-factor set-up: {}", res.text());
        let secret = second_factor::base32_decode(res.json()["secret"].as_str().unwrap_or(""))
            .expect("base 32 secret");
        let step = second_factor::step_of(self.portal_now());
        let code = second_factor::code_at_step(&secret, step);
        let res = self
            .post(
                "/api/me/second-factor/confirm",
                serde_json::json!({ "code": code }),
                Some(cookie),
            )
            .await;
        assert_eq!(
            res.status,
            200,
            "second-factor confirmation: {}",
            res.text()
        );
        let recovery_codes: Vec<String> = res.json()["recovery_codes"]
            .as_array()
            .expect("recovery codes")
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        self.authenticator.set(
            identifiant,
            second_factor::Factor {
                secret,
                last_step: step,
                recovery_codes: recovery_codes.clone(),
            },
        );
        recovery_codes
    }

    /// A code the portal accepts now for `identifiant`'s factor: the next unused
    /// step of the ±1 window; when all three are spent (several sign-ins of one
    /// user within one frozen test instant), the clock moves 30 s on (in process)
    /// or the helper waits for the next step (Lambda mode).
    pub async fn next_code(&self, identifiant: &str) -> String {
        let mut f = self.authenticator.get(identifiant).unwrap_or_else(|| {
            panic!("no second factor enrolled by the helpers for {identifiant}")
        });
        loop {
            let now = second_factor::step_of(self.portal_now());
            let step = (f.last_step + 1).max(now.saturating_sub(1));
            if step <= now + 1 {
                f.last_step = step;
                self.authenticator.set(identifiant, f.clone());
                return second_factor::code_at_step(&f.secret, step);
            }
            if self.app.lambdas.is_some() {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            } else {
                self.clock.advance(jiff::SignedDuration::from_secs(30));
            }
        }
    }

    /// Answers the code step of a password-only session; returns the full session's
    /// cookie.
    pub async fn second_factor(&self, identifiant: &str, cookie: &str) -> String {
        let code = self.next_code(identifiant).await;
        let res = self
            .post(
                "/api/auth/second-factor",
                serde_json::json!({ "code": code }),
                Some(cookie),
            )
            .await;
        assert_eq!(res.status, 200, "second factor: {}", res.text());
        session_cookie(&res).expect("session cookie")
    }

    /// Activates the bootstrap admin with `password`, signs in, accepts the CGU;
    /// returns (identifiant, cookie).
    pub async fn ready_admin(&self, password: &str) -> (String, String) {
        let email = self.app.ctx.config.admin_email.clone();
        let ident = self.identifiant_in_email(&email).expect("admin email");
        let token = self
            .link_token(&email, "activation")
            .expect("activation link");
        let res = self
            .post(
                "/api/auth/activate",
                serde_json::json!({"token": token, "password": password}),
                None,
            )
            .await;
        assert_eq!(res.status, 204, "activate: {}", res.text());
        let cookie = self.login(&ident, password).await;
        let cgu = self.get("/api/cgu").await.json();
        let res = self
            .post(
                "/api/me/cgu",
                serde_json::json!({"version": cgu["version"]}),
                Some(&cookie),
            )
            .await;
        assert_eq!(res.status, 200, "cgu: {}", res.text());
        (ident, cookie)
    }
}

/// A valid SIRET (14 digits, Luhn key) built from `n`: distinct `n`, distinct SIRETs.
pub fn siret(n: u64) -> String {
    let base = format!("{:013}", n % 10_000_000_000_000);
    let sum: u32 = base
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            // From the right of the full number, the key is position 0: the base's
            // last digit is doubled.
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{base}{}", (10 - sum % 10) % 10)
}

/// A valid SIRET not given before in this test process.
pub fn next_siret() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    siret(77_000_000_000 + N.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}
