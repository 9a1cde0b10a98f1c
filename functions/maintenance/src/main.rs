//! The ep-maintenance Lambda: invoked by the EventBridge schedule, or once by hand
//! with `{"bootstrap_admin": true}` to create the first platform admin
//! (`infra/deploy.md`).

use lambda_http::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let ctx = ep_common::aws::context_from_env()?;
    ep_common::config::init_tracing(ctx.config.log_json);
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let ctx = ctx.clone();
        // `EventError` converts into the runtime's `Diagnostic` with a meaningful
        // `errorType` (`UnknownEvent`, `StoreError`), not a Rust type name.
        async move { ep_maintenance::handle_event(&ctx, &event.payload).await }
    }))
    .await
}
