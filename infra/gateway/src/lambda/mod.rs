//! Lambda mode: every `/api` route is answered by its function's real binary (built
//! for this machine), run under a local Lambda Runtime API ([`runtime`]), with moto
//! as DynamoDB, S3 and SES. The proof that the code deployed on AWS works, not just
//! the libraries: the binaries read their environment from `template.yaml`, receive
//! API Gateway v2 events and answer API Gateway v2 responses.

pub mod env;
pub mod moto;
pub mod runtime;
pub mod ses;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use ep_common::config::Config;
use ep_common::embedded::outbox::OutboxMailer;
use ep_common::http::Problem;
use hyper::body::Bytes;
use tokio::sync::watch;

use crate::{HyperResponse, to_hyper};
use runtime::{Outcome, Pool, Spec};

/// The region the functions run in.
pub const REGION: &str = "eu-west-3";

/// The five function binaries the lambda mode runs (`cargo build` names them so).
pub const BINARIES: [&str; 5] = [
    "ep-auth",
    "ep-accounts",
    "ep-requests",
    "ep-attachments",
    "ep-maintenance",
];

/// Instances per function at most.
pub const MAX_INSTANCES: usize = 2;

/// A real EventBridge scheduled event, as the maintenance schedule sends it.
pub const SCHEDULED_EVENT: &str = include_str!("scheduled-event.json");

/// How to run the lambda mode.
#[derive(Clone, Debug)]
pub struct LambdaOptions {
    /// The directory holding the function binaries (`target/debug`).
    pub dir: PathBuf,
    /// moto (DynamoDB, S3, SES), e.g. `http://127.0.0.1:5000`.
    pub aws_endpoint: String,
    /// Variables given to every function after the template's (e.g. `RUST_LOG`,
    /// or an `EP_…` setting of the gateway's own environment).
    pub env: Vec<(String, String)>,
}

impl LambdaOptions {
    /// From `--lambda <dir>` or `EP_LAMBDA_DIR`, with `EP_LAMBDA_AWS_ENDPOINT`
    /// (default `http://127.0.0.1:5000`); every other `EP_…` variable of this
    /// process goes to the functions too.
    pub fn from_env(dir: PathBuf) -> Self {
        let skip = [
            "EP_LISTEN",
            "EP_DATA_DIR",
            "EP_SITE_DIR",
            "EP_DEV_CLOCK",
            "EP_LAMBDA_DIR",
            "EP_LAMBDA_AWS_ENDPOINT",
        ];
        let env = std::env::vars()
            .filter(|(k, _)| {
                (k.starts_with("EP_") && !skip.contains(&k.as_str())) || k == "RUST_LOG"
            })
            .collect();
        LambdaOptions {
            dir,
            aws_endpoint: std::env::var("EP_LAMBDA_AWS_ENDPOINT")
                .unwrap_or_else(|_| "http://127.0.0.1:5000".into()),
            env,
        }
    }
}

/// The functions, one pool of instances each.
pub struct Lambdas {
    pools: HashMap<String, Pool>,
}

fn problem(status: u16, code: &str, title: &str, detail: &str) -> HyperResponse {
    to_hyper(Problem::new(status, code, title, detail).into_response())
}

impl Lambdas {
    /// Checks the binaries, creates the template's resources on moto, starts the SES
    /// proxy; instances start at the first invocation.
    pub async fn start(
        opts: &LambdaOptions,
        config: &Config,
        outbox: Arc<OutboxMailer>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Self, String> {
        for b in BINARIES {
            if !opts.dir.join(b).is_file() {
                return Err(format!(
                    "{} is missing: build the functions with `cargo build -p ep-auth -p ep-accounts -p ep-requests -p ep-attachments -p ep-maintenance --bins` and give their directory (target/debug)",
                    opts.dir.join(b).display()
                ));
            }
        }
        moto::create_resources(&opts.aws_endpoint, config)
            .await
            .map_err(|e| format!("moto at {}: {e}", opts.aws_endpoint))?;
        let ses = ses::start(&opts.aws_endpoint, outbox, shutdown.clone()).await?;
        let defs = env::functions(crate::template::TEMPLATE, config).map_err(|e| e.to_string())?;
        let mut pools = HashMap::new();
        for f in defs {
            let mut vars = f.vars.clone();
            let name = format!("espace-partenaires-{}", f.logical_id);
            for (k, v) in [
                ("AWS_REGION", REGION.to_owned()),
                ("AWS_DEFAULT_REGION", REGION.to_owned()),
                ("AWS_ACCESS_KEY_ID", "test".to_owned()),
                ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
                ("AWS_SESSION_TOKEN", "test".to_owned()),
                ("AWS_ENDPOINT_URL", opts.aws_endpoint.clone()),
                ("AWS_ENDPOINT_URL_SES", ses.clone()),
                ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
                ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
                ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory_mb.to_string()),
                ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
                ("AWS_LAMBDA_LOG_STREAM_NAME", "local".to_owned()),
                ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".to_owned()),
                ("LAMBDA_TASK_ROOT", opts.dir.display().to_string()),
                ("_HANDLER", "bootstrap".to_owned()),
                ("TZ", ":UTC".to_owned()),
                ("PATH", "/usr/local/bin:/usr/bin:/bin".to_owned()),
            ] {
                vars.insert(k.to_owned(), v);
            }
            for (k, v) in &opts.env {
                vars.insert(k.clone(), v.clone());
            }
            let spec = Spec {
                name: f.binary.clone(),
                exe: opts.dir.join(&f.binary),
                env: vars.into_iter().collect(),
                timeout: f.timeout,
                arn: format!("arn:aws:lambda:{REGION}:000000000000:function:{name}"),
                max: MAX_INSTANCES,
            };
            pools.insert(f.binary.clone(), Pool::new(spec, shutdown.clone()));
        }
        Ok(Lambdas { pools })
    }

    /// Instances running now for `binary` (tests).
    pub fn live(&self, binary: &str) -> usize {
        self.pools.get(binary).map_or(0, Pool::live)
    }

    /// Invokes `binary` with `payload`: the function's answer, or why there is none.
    pub async fn invoke(&self, binary: &str, payload: &serde_json::Value) -> Outcome {
        match self.pools.get(binary) {
            Some(p) => p.invoke(payload.to_string().into_bytes()).await,
            None => Outcome::Crashed(format!("{binary} is not a function of the template")),
        }
    }

    /// Invokes `binary` and reads its JSON answer.
    pub async fn invoke_json(
        &self,
        binary: &str,
        payload: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        match self.invoke(binary, payload).await {
            Outcome::Response(b) => serde_json::from_slice(&b).map_err(|e| e.to_string()),
            Outcome::Error(b) => Err(String::from_utf8_lossy(&b).into_owned()),
            Outcome::Crashed(why) => Err(why),
            Outcome::TimedOut => Err("timed out".into()),
        }
    }

    /// The one-off bootstrap invocation of the maintenance function: creates the
    /// platform admin on an empty table; answers its identifiant when it did.
    pub async fn bootstrap_admin(&self) -> Result<Option<String>, String> {
        let v = self
            .invoke_json(
                "ep-maintenance",
                &serde_json::json!({ "bootstrap_admin": true }),
            )
            .await?;
        Ok(v["identifiant"].as_str().map(str::to_owned))
    }

    /// One scheduled run, invoked with an EventBridge scheduled event: its report.
    pub async fn scheduled_run(&self) -> Result<serde_json::Value, String> {
        let mut event: serde_json::Value =
            serde_json::from_str(SCHEDULED_EVENT).map_err(|e| e.to_string())?;
        event["id"] = ep_common::ids::new_id().into();
        event["time"] = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
            .into();
        self.invoke_json("ep-maintenance", &event).await
    }

    /// An API request: the API Gateway v2 event to `binary`, its answer back as HTTP.
    pub async fn http(&self, binary: &str, event: &serde_json::Value) -> HyperResponse {
        match self.invoke(binary, event).await {
            Outcome::Response(b) => match serde_json::from_slice(&b)
                .map_err(|e| e.to_string())
                .and_then(|v| from_lambda(&v))
            {
                Ok(res) => res,
                Err(e) => {
                    tracing::error!(function = binary, error = %e, "invalid Lambda response");
                    problem(
                        502,
                        "lambda.invalid_response",
                        "Réponse invalide",
                        "Le service a donné une réponse illisible. Réessayez, et si cela se reproduit, contactez le support.",
                    )
                }
            },
            Outcome::Error(b) => {
                tracing::error!(function = binary, error = %String::from_utf8_lossy(&b), "function error");
                problem(
                    502,
                    "lambda.error",
                    "Service indisponible",
                    "Le service a rencontré une erreur. Rien n'a été enregistré : réessayez, et si cela se reproduit, contactez le support.",
                )
            }
            Outcome::Crashed(why) => {
                tracing::error!(function = binary, reason = %why, "function instance crashed");
                problem(
                    502,
                    "lambda.crashed",
                    "Service indisponible",
                    "Le service s'est arrêté pendant la demande. Réessayez, et si cela se reproduit, contactez le support.",
                )
            }
            Outcome::TimedOut => problem(
                504,
                "lambda.timeout",
                "Délai dépassé",
                "Le service n'a pas répondu à temps. Réessayez dans quelques instants.",
            ),
        }
    }
}

/// The pages' `Content-Security-Policy` in Lambda mode: the API's, with S3's origin
/// (`endpoint`, moto) added to `connect-src`, where presigned uploads go.
pub fn page_csp(endpoint: &str) -> String {
    let origin = endpoint
        .parse::<http::Uri>()
        .ok()
        .and_then(|u| Some(format!("{}://{}", u.scheme_str()?, u.authority()?)))
        .unwrap_or_default();
    let csp = ep_common::http::SECURITY_HEADERS
        .iter()
        .find(|(k, _)| *k == "content-security-policy")
        .map(|(_, v)| *v)
        .unwrap_or("default-src 'self'");
    csp.replace(
        "connect-src 'self'",
        &format!("connect-src 'self' {origin}"),
    )
}

/// An API Gateway v2 (payload 2.0) Lambda response as HTTP: status, headers, the
/// `cookies` as `Set-Cookie`, the body (base64 when `isBase64Encoded`).
pub fn from_lambda(v: &serde_json::Value) -> Result<HyperResponse, String> {
    let status = v["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or("no statusCode")?;
    let body = match v["body"].as_str() {
        None => Vec::new(),
        Some(b) if v["isBase64Encoded"].as_bool() == Some(true) => {
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|e| format!("body: {e}"))?
        }
        Some(b) => b.as_bytes().to_vec(),
    };
    let mut res = hyper::Response::new(http_body_util::Full::new(Bytes::from(body)));
    *res.status_mut() = http::StatusCode::from_u16(status).map_err(|e| e.to_string())?;
    let h = res.headers_mut();
    if let Some(map) = v["headers"].as_object() {
        for (k, val) in map {
            let name = http::HeaderName::from_bytes(k.as_bytes()).map_err(|e| e.to_string())?;
            let value = http::HeaderValue::from_str(val.as_str().unwrap_or_default())
                .map_err(|e| e.to_string())?;
            h.append(name, value);
        }
    }
    for c in v["cookies"].as_array().into_iter().flatten() {
        if let Some(c) = c.as_str() {
            h.append(
                http::header::SET_COOKIE,
                http::HeaderValue::from_str(c).map_err(|e| e.to_string())?,
            );
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lambda_response_keeps_its_bytes_cookies_and_headers() {
        let bom_csv = [0xEF, 0xBB, 0xBF, b'a', b';', b'b'];
        let v = serde_json::json!({
            "statusCode": 200,
            "headers": {"content-type": "text/csv; charset=utf-8"},
            "cookies": ["a=1; Path=/", "b=2; Path=/"],
            "body": base64::engine::general_purpose::STANDARD.encode(bom_csv),
            "isBase64Encoded": true,
        });
        let res = from_lambda(&v).expect("response");
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers().get_all("set-cookie").iter().count(), 2);
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(from_lambda(&serde_json::json!({"body": "x"})).is_err());
    }

    #[test]
    fn pages_may_send_uploads_to_s3_only() {
        let csp = page_csp("http://127.0.0.1:5000/");
        assert!(
            csp.contains("connect-src 'self' http://127.0.0.1:5000;"),
            "{csp}"
        );
        assert!(csp.contains("script-src 'self';"), "{csp}");
    }

    #[test]
    fn the_scheduled_event_is_an_eventbridge_schedule() {
        let v: serde_json::Value = serde_json::from_str(SCHEDULED_EVENT).expect("json");
        assert_eq!(v["detail-type"], "Scheduled Event");
        assert_eq!(v["source"], "aws.events");
    }
}
