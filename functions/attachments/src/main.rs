//! The ep-attachments Lambda: context built once, then every event — API Gateway
//! HTTP events and EventBridge GuardDuty scan results — goes to the library.

use lambda_http::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let ctx = ep_common::aws::context_from_env()?;
    ep_common::config::init_tracing(ctx.config.log_json);
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let ctx = ctx.clone();
        async move {
            ep_attachments::handle_event(&ctx, event.payload)
                .await
                .map_err(lambda_http::Error::from)
        }
    }))
    .await
}
