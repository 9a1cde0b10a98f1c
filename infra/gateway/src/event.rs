//! The API Gateway v2 event the gateway builds for each API request (payload 2.0,
//! as Lambda receives it), and the dispatch to the function answering its route.

use crate::router::RouteResult;
use base64::Engine;
use ep_common::http::Problem;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Incoming};
use std::net::SocketAddr;
use std::sync::Arc;

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};

use super::*;

/// Builds the API Gateway v2 (payload 2.0) event of a request, exactly as AWS sends
/// it to a Lambda: typed, so that the in-process handlers get it through the same
/// `lambda_http` conversion a Lambda uses without a JSON round trip, and the Lambda
/// mode sends its JSON form.
pub(crate) fn api_event(
    parts: &http::request::Parts,
    body: &[u8],
    route_key: &str,
    params: &std::collections::HashMap<String, String>,
    peer: SocketAddr,
    now: jiff::Timestamp,
) -> ApiGatewayV2httpRequest {
    let mut headers: http::HeaderMap = http::HeaderMap::with_capacity(parts.headers.len());
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        if name == http::header::COOKIE {
            let v = String::from_utf8_lossy(value.as_bytes());
            cookies.extend(
                v.split(';')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        // API Gateway joins repeated headers with commas.
        match headers.entry(name) {
            http::header::Entry::Occupied(mut e) => {
                let mut joined = e.get().as_bytes().to_vec();
                joined.push(b',');
                joined.extend_from_slice(value.as_bytes());
                if let Ok(v) = http::HeaderValue::from_bytes(&joined) {
                    e.insert(v);
                }
            }
            http::header::Entry::Vacant(e) => {
                e.insert(value.clone());
            }
        }
    }
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let textual = content_type.starts_with("application/json")
        || content_type.starts_with("text/")
        || content_type.starts_with("application/x-www-form-urlencoded");
    let (body, is_b64) = if body.is_empty() {
        (None, false)
    } else if let (true, Ok(text)) = (textual, std::str::from_utf8(body)) {
        (Some(text.to_owned()), false)
    } else {
        (
            Some(base64::engine::general_purpose::STANDARD.encode(body)),
            true,
        )
    };
    let header = |name: http::header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
    };
    let mut http_desc = ApiGatewayV2httpRequestContextHttpDescription::default();
    http_desc.method = parts.method.clone();
    http_desc.path = Some(parts.uri.path().to_owned());
    http_desc.protocol = Some("HTTP/1.1".into());
    http_desc.source_ip = Some(peer.ip().to_string());
    http_desc.user_agent = Some(header(http::header::USER_AGENT).unwrap_or_default());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route_key.to_owned());
    context.account_id = Some("local".into());
    context.stage = Some("$default".into());
    context.request_id = Some(ep_common::ids::new_id());
    context.apiid = Some("local".into());
    context.domain_name = Some(header(http::header::HOST).unwrap_or_else(|| "localhost".into()));
    context.domain_prefix = Some("local".into());
    context.time = Some(now.strftime("%d/%b/%Y:%H:%M:%S +0000").to_string());
    context.time_epoch = now.as_millisecond();
    context.http = http_desc;
    let mut event = ApiGatewayV2httpRequest::default();
    // Read by nothing on payload 2.0 (the method is the context's), kept true.
    #[allow(deprecated)]
    {
        event.http_method = parts.method.clone();
    }
    event.version = Some("2.0".into());
    event.route_key = Some(route_key.to_owned());
    event.raw_path = Some(parts.uri.path().to_owned());
    event.raw_query_string = Some(parts.uri.query().unwrap_or("").to_owned());
    event.cookies = (!cookies.is_empty()).then_some(cookies);
    event.headers = headers;
    event.path_parameters = params.clone();
    event.request_context = context;
    event.body = body;
    event.is_base64_encoded = is_b64;
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
        return match serde_json::to_value(&event) {
            Ok(json) => l.http(st.impls[matched.function].binary, &json).await,
            Err(e) => {
                tracing::error!(error = %e, "could not write the API Gateway event");
                to_hyper(
                    Problem::bad_request("request.invalid", "La demande n'a pas pu être lue.")
                        .into_response(),
                )
            }
        };
    }
    let request: lambda_http::Request =
        lambda_http::request::LambdaRequest::ApiGatewayV2(event).into();
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
