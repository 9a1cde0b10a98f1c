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
