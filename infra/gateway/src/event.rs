//! The API Gateway v2 event the gateway builds for each API request (payload 2.0,
//! as Lambda receives it), and the dispatch to the function answering its route.

use crate::router::RouteResult;
use base64::Engine;
use ep_common::http::Problem;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Incoming};
use std::net::SocketAddr;
use std::sync::Arc;

use super::*;

/// Builds the API Gateway v2 (payload 2.0) event of a request, exactly as AWS sends
/// it to a Lambda, then lets `lambda_http` turn it into the handler's request.
pub(crate) fn api_event(
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

pub(crate) async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, HyperResponse> {
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

pub(crate) async fn api(
    st: Arc<State>,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
) -> HyperResponse {
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
        if st.lambdas.is_some() {
            jiff::Timestamp::now()
        } else {
            st.ctx.now()
        },
    );
    if let Some(l) = &st.lambdas {
        return l.http(st.impls[matched.function].binary, &event).await;
    }
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
