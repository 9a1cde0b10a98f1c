//! HTTP helpers shared by every function: problem+json errors (RFC 9457) with a
//! stable code, a French detail and per-field errors; JSON bodies; security headers;
//! the route key API Gateway gives each request.

use std::collections::BTreeMap;

use lambda_http::{Body, Request, RequestExt, Response, request::RequestContext};
use serde::{Serialize, de::DeserializeOwned};

/// An error answered to the client. 4xx for the user's mistakes; 5xx only when a
/// dependency is down, with a message that says to try again. Boxed: it travels in
/// every `Result` of the handlers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem(Box<ProblemData>);

impl std::ops::Deref for Problem {
    type Target = ProblemData;
    fn deref(&self) -> &ProblemData {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemData {
        &mut self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProblemData {
    #[serde(skip)]
    pub status: u16,
    /// Stable machine code, e.g. `auth.invalid_credentials`.
    pub code: String,
    /// Short French title.
    pub title: String,
    /// French sentence saying what happened and what to do.
    pub detail: String,
    /// Per-field errors (field name → French message).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, String>,
    /// For a refused password: the codes of the unmet rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Seconds before another attempt (429); also sent as `Retry-After`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
    /// During a maintenance window (503): its message, end and the caisses' contacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<serde_json::Value>,
}

impl Problem {
    pub fn new(status: u16, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem(Box::new(ProblemData {
            status,
            code: code.to_owned(),
            title: title.to_owned(),
            detail: detail.into(),
            errors: BTreeMap::new(),
            rules: Vec::new(),
            retry_after: None,
            maintenance: None,
        }))
    }
    pub fn field(mut self, field: &str, message: impl Into<String>) -> Self {
        self.errors.insert(field.to_owned(), message.into());
        self
    }
    pub fn not_found() -> Self {
        Problem::new(
            404,
            "not_found",
            "Page introuvable",
            "Cette ressource n'existe pas ou vous n'y avez pas accès.",
        )
    }
    pub fn method_not_allowed() -> Self {
        Problem::new(
            405,
            "method_not_allowed",
            "Action impossible",
            "Cette action n'est pas possible sur cette ressource.",
        )
    }
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Problem::new(400, code, "Demande incorrecte", detail)
    }
    pub fn validation() -> Self {
        Problem::new(
            422,
            "validation",
            "Formulaire incomplet ou incorrect",
            "Certains champs sont à corriger : voyez le message sous chacun d'eux.",
        )
    }
    pub fn unavailable() -> Self {
        Problem::new(
            503,
            "unavailable",
            "Service momentanément indisponible",
            "Le service est momentanément indisponible. Rien n'a été enregistré : réessayez dans quelques minutes.",
        )
    }
    pub fn into_response(self) -> Response<Body> {
        let body = serde_json::to_string(&ProblemBody {
            kind: format!("urn:espace-partenaires:problem:{}", self.code),
            status: self.status,
            problem: &self.0,
        })
        .unwrap_or_else(|_| "{}".into());
        let mut res = respond(self.status, "application/problem+json", Body::Text(body));
        if let Some(secs) = self.retry_after
            && let Ok(v) = http::HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(http::header::RETRY_AFTER, v);
        }
        res
    }
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: String,
    status: u16,
    #[serde(flatten)]
    problem: &'a ProblemData,
}

impl From<crate::table::StoreError> for Problem {
    fn from(e: crate::table::StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        Problem::unavailable()
    }
}

/// Headers every response carries (the gateway adds them to static files too).
pub const SECURITY_HEADERS: [(&str, &str); 7] = [
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
         object-src 'none'",
    ),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
];

/// A response with the security headers and `cache-control: no-store`.
pub fn respond(status: u16, content_type: &str, body: Body) -> Response<Body> {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store");
    for (k, v) in SECURITY_HEADERS {
        builder = builder.header(k, v);
    }
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

/// A JSON response.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(s) => respond(status, "application/json", Body::Text(s)),
        Err(e) => {
            tracing::error!(error = %e, "response serialisation failed");
            Problem::unavailable().into_response()
        }
    }
}

/// Parses a JSON request body into `T`, with a French error naming the problem.
pub fn parse_json<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.is_empty() {
        return Err(Problem::bad_request(
            "body.missing",
            "La demande est vide : envoyez les champs du formulaire au format JSON.",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        Problem::bad_request(
            "body.invalid",
            format!(
                "La demande n'est pas lisible (ligne {}, colonne {}) : envoyez les champs du formulaire au format JSON.",
                e.line(),
                e.column()
            ),
        )
    })
}

/// The route key API Gateway matched, e.g. `POST /api/auth/login`.
pub fn route_key(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone(),
        _ => None,
    }
}

/// A path parameter of the matched route.
pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_owned)
}

/// A query-string parameter.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_owned)
}

/// The value of a cookie.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The client's address: on AWS, `CloudFront-Viewer-Address` when the request
/// carries CloudFront's secret origin header (`X-EP-Origin-Verify`, compared in
/// constant time with `EP_ORIGIN_VERIFY_SECRET`) — API Gateway's own source is then a
/// CloudFront edge; otherwise (locally, or a request that did not come through
/// CloudFront) the source API Gateway or the local gateway saw.
pub fn client_ip(req: &Request, config: &crate::config::Config) -> Option<String> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let (Some(secret), Some(sent)) = (
        config.origin_verify_secret.as_deref(),
        header("x-ep-origin-verify"),
    ) && same_secret(secret.as_bytes(), sent.as_bytes())
        && let Some(viewer) = header("cloudfront-viewer-address").and_then(viewer_ip)
    {
        return Some(viewer);
    }
    source_ip(req)
}

/// Constant-time equality of two secrets (the length is not secret).
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The IP of CloudFront's `ip:port` (IPv6 as `2001:db8::1:443`, the port last).
fn viewer_ip(value: &str) -> Option<String> {
    let (ip, port) = value.trim().rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    ip.parse::<std::net::IpAddr>().ok().map(|a| a.to_string())
}

/// Source address of the request, as API Gateway reports it.
pub fn source_ip(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    }
}

/// Largest JSON body an endpoint accepts (files never go through the API: they are
/// sent to the blob store's signed links).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A body over `MAX_BODY_BYTES` is refused whole (413) before anything reads it.
pub fn check_body_size(req: &Request) -> Result<(), Problem> {
    let len = req.body().as_ref().len();
    if len > MAX_BODY_BYTES {
        return Err(Problem::new(
            413,
            "body.too_large",
            "Demande trop volumineuse",
            format!(
                "La demande dépasse {} Ko : raccourcissez les textes saisis. Les fichiers se joignent depuis la page de la demande.",
                MAX_BODY_BYTES / 1024
            ),
        ));
    }
    Ok(())
}

/// State-changing requests must come from the portal's own origin (CSRF defence in
/// addition to SameSite=Strict cookies). GET/HEAD/OPTIONS pass.
pub fn check_origin(req: &Request, public_url: &str) -> Result<(), Problem> {
    let method = req.method().as_str();
    if matches!(method, "GET" | "HEAD" | "OPTIONS") {
        return Ok(());
    }
    let origin = req.headers().get("origin").and_then(|v| v.to_str().ok());
    match origin {
        Some(o) if o.trim_end_matches('/') == public_url => Ok(()),
        _ => Err(Problem::new(
            403,
            "origin",
            "Origine refusée",
            "Cette action doit être faite depuis les pages de l'Espace Partenaires.",
        )),
    }
}

#[cfg(test)]
mod client_ip_tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let headers: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
            .collect();
        let event = serde_json::json!({
            "version": "2.0", "routeKey": "POST /api/auth/login", "rawPath": "/api/auth/login",
            "rawQueryString": "", "headers": headers,
            "requestContext": {
                "http": {"method": "POST", "path": "/api/auth/login", "protocol": "HTTP/1.1",
                         "sourceIp": "130.176.1.1", "userAgent": "test"},
                "routeKey": "POST /api/auth/login", "stage": "$default", "timeEpoch": 0
            },
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).expect("event")
    }

    fn config(secret: Option<&str>) -> crate::config::Config {
        crate::config::Config::from_lookup(|k| match k {
            "EP_ORIGIN_VERIFY_SECRET" => secret.map(str::to_owned),
            _ => None,
        })
        .expect("config")
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_viewer_address_is_trusted_only_with_cloudfronts_secret() {
        let via_cloudfront = [
            ("x-ep-origin-verify", SECRET),
            ("cloudfront-viewer-address", "203.0.113.7:51234"),
        ];
        assert_eq!(
            client_ip(&request(&via_cloudfront), &config(Some(SECRET))).as_deref(),
            Some("203.0.113.7")
        );
        let v6 = [
            ("x-ep-origin-verify", SECRET),
            ("cloudfront-viewer-address", "2001:db8::42:443"),
        ];
        assert_eq!(
            client_ip(&request(&v6), &config(Some(SECRET))).as_deref(),
            Some("2001:db8::42")
        );
        // Forged from outside CloudFront: wrong secret, or none configured.
        let forged = [
            ("x-ep-origin-verify", "not-the-secret-not-the-secret-00"),
            ("cloudfront-viewer-address", "203.0.113.7:51234"),
        ];
        assert_eq!(
            client_ip(&request(&forged), &config(Some(SECRET))).as_deref(),
            Some("130.176.1.1")
        );
        assert_eq!(
            client_ip(&request(&via_cloudfront), &config(None)).as_deref(),
            Some("130.176.1.1")
        );
        // A malformed viewer address falls back to the source.
        let bad = [
            ("x-ep-origin-verify", SECRET),
            ("cloudfront-viewer-address", "not an address"),
        ];
        assert_eq!(
            client_ip(&request(&bad), &config(Some(SECRET))).as_deref(),
            Some("130.176.1.1")
        );
    }

    #[test]
    fn a_short_secret_is_refused_at_start() {
        let e = crate::config::Config::from_lookup(|k| {
            (k == "EP_ORIGIN_VERIFY_SECRET").then(|| "court".to_owned())
        })
        .unwrap_err();
        assert_eq!(e.var, "EP_ORIGIN_VERIFY_SECRET");
    }
}
