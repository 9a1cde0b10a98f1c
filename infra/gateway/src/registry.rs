//! The function handlers the gateway links, keyed by their Lambda binary name
//! (`Metadata.BuildProperties.Binary` in `template.yaml`).

use std::future::Future;
use std::pin::Pin;

use ep_common::Ctx;
use lambda_http::{Body, Request, Response};

pub type HttpHandler = fn(Ctx, Request) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

pub struct FunctionImpl {
    pub binary: &'static str,
    /// Route keys the handler answers; must equal the template's.
    pub routes: &'static [&'static str],
    pub http: HttpHandler,
    /// Whether this function is the scheduled one.
    pub scheduled: bool,
}

macro_rules! http_fn {
    ($krate:ident) => {
        |ctx, req| Box::pin($krate::handle(ctx, req))
    };
}

fn no_http(_: Ctx, _: Request) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
    Box::pin(async { ep_common::http::Problem::not_found().into_response() })
}

/// Every function the gateway can run.
pub fn functions() -> Vec<FunctionImpl> {
    vec![
        FunctionImpl {
            binary: "ep-auth",
            routes: ep_auth::ROUTES,
            http: http_fn!(ep_auth),
            scheduled: false,
        },
        FunctionImpl {
            binary: "ep-accounts",
            routes: ep_accounts::ROUTES,
            http: http_fn!(ep_accounts),
            scheduled: false,
        },
        FunctionImpl {
            binary: "ep-requests",
            routes: ep_requests::ROUTES,
            http: http_fn!(ep_requests),
            scheduled: false,
        },
        FunctionImpl {
            binary: "ep-attachments",
            routes: ep_attachments::ROUTES,
            http: http_fn!(ep_attachments),
            scheduled: false,
        },
        FunctionImpl {
            binary: "ep-maintenance",
            routes: &[],
            http: no_http,
            scheduled: true,
        },
    ]
}
