//! The Lambda entry point shared by every HTTP function: the context is built once,
//! outside the handler, then each event is handled with the same code the local
//! gateway runs.

use std::convert::Infallible;
use std::future::Future;

use lambda_http::{Body, Request, Response, service_fn};

use crate::context::Ctx;

/// Runs an HTTP function on the Lambda runtime.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Ctx, Request) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Response<Body>> + Send,
{
    let ctx = crate::aws::context_from_env()?;
    crate::config::init_tracing(ctx.config.log_json);
    lambda_http::run(service_fn(move |req: Request| {
        let ctx = ctx.clone();
        async move { Ok::<_, Infallible>(handler(ctx, req).await) }
    }))
    .await
}
