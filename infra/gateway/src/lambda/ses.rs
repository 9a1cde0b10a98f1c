//! A pass-through in front of moto's SES: the functions send their emails to it
//! (`AWS_ENDPOINT_URL_SES`), it forwards each call to moto unchanged and, when SES
//! accepted a `SendRawEmail`, writes the message to the outbox that `/_dev/outbox`
//! and the tests read.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use base64::Engine;
use ep_common::embedded::outbox::OutboxMailer;
use ep_common::mail::{Mailer, RawEmail};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::watch;

use super::moto::{self, HttpClient};

struct Proxy {
    moto: String,
    client: HttpClient,
    outbox: Arc<OutboxMailer>,
}

/// Starts the proxy on a loopback port; answers its base URL.
pub async fn start(
    moto_endpoint: &str,
    outbox: Arc<OutboxMailer>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let proxy = Arc::new(Proxy {
        moto: moto_endpoint.trim_end_matches('/').to_owned(),
        client: moto::client(),
        outbox,
    });
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let p = proxy.clone();
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| {
                            let p = p.clone();
                            async move { Ok::<_, Infallible>(forward(&p, req).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            }
        }
    });
    Ok(format!("http://{addr}"))
}

/// Decodes `application/x-www-form-urlencoded`.
pub fn parse_form(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let d = |s: &str| crate::router::percent_decode(&s.replace('+', " "));
            (d(k), d(v))
        })
        .collect()
}

fn bad_gateway(e: &str) -> hyper::Response<Full<Bytes>> {
    tracing::error!(error = %e, "SES proxy: moto unreachable");
    let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"moto unreachable")));
    *r.status_mut() = http::StatusCode::BAD_GATEWAY;
    r
}

async fn forward(p: &Proxy, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return bad_gateway(&e.to_string()),
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut out = http::Request::builder()
        .method(parts.method.clone())
        .uri(format!("{}{path}", p.moto));
    for (k, v) in &parts.headers {
        if k != http::header::HOST {
            out = out.header(k, v);
        }
    }
    let Ok(out) = out.body(Full::new(body.clone())) else {
        return bad_gateway("request");
    };
    let answer = match moto::send(&p.client, out).await {
        Ok(a) => a,
        Err(e) => return bad_gateway(&e),
    };
    if answer.status == 200 {
        let form = parse_form(&body);
        if form.get("Action").map(String::as_str) == Some("SendRawEmail") {
            record(p, &form).await;
        }
    }
    let mut res = hyper::Response::new(Full::new(Bytes::from(answer.body)));
    *res.status_mut() = http::StatusCode::from_u16(answer.status).unwrap_or(http::StatusCode::OK);
    for (k, v) in &answer.headers {
        if k != http::header::CONTENT_LENGTH && k != http::header::TRANSFER_ENCODING {
            res.headers_mut().append(k, v.clone());
        }
    }
    res
}

/// Writes an accepted message to the outbox.
async fn record(p: &Proxy, form: &HashMap<String, String>) {
    let Some(raw) = form
        .get("RawMessage.Data")
        .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
    else {
        tracing::error!("SES proxy: a SendRawEmail without a readable RawMessage.Data");
        return;
    };
    let mut to: Vec<(usize, String)> = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("Destinations.member.")
                .and_then(|n| n.parse().ok())
                .map(|n| (n, v.clone()))
        })
        .collect();
    to.sort();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let id = ep_common::mail::header_of(&text, "Message-ID")
        .map(|m| {
            m.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
        .unwrap_or_else(ep_common::ids::new_id);
    let email = RawEmail {
        id,
        to: to.into_iter().map(|(_, v)| v).collect(),
        raw,
    };
    if let Err(e) = p.outbox.send(&email).await {
        tracing::error!(error = %e, "SES proxy: outbox not written");
    }
}
