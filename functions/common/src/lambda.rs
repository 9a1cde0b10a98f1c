//! The Lambda entry point shared by every HTTP function: the context is built once,
//! outside the handler, then each event is handled with the same code the local
//! gateway runs.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;

use lambda_http::{Body, IntoResponse, Request, Response, service_fn};

use crate::context::Ctx;

/// A response sent exactly as the handler built it. `lambda_http` would otherwise
/// decode every text body again from its `Content-Type` charset, which drops a
/// leading UTF-8 BOM (the CSV export's, that spreadsheets need).
pub struct AsBuilt(pub Response<Body>);

impl IntoResponse for AsBuilt {
    fn into_response(self) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
        Box::pin(std::future::ready(self.0))
    }
}

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
        async move { Ok::<_, Infallible>(AsBuilt(handler(ctx, req).await)) }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_text_body_keeps_its_bom() {
        let body = "\u{feff}nom;prénom\n".to_owned();
        let res = Response::builder()
            .header("content-type", "text/csv; charset=utf-8")
            .body(Body::Text(body.clone()))
            .expect("response");
        let sent = AsBuilt(res).into_response().await;
        assert_eq!(sent.body(), &Body::Text(body));
    }
}
