//! The ep-maintenance Lambda, invoked by the EventBridge schedule.

use lambda_http::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let ctx = ep_common::aws::context_from_env().await?;
    ep_common::config::init_tracing(ctx.config.log_json);
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let ctx = ctx.clone();
        async move {
            let scheduled =
                event.payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event");
            if !scheduled {
                return Err(lambda_http::Error::from(
                    "unknown event: expected an EventBridge scheduled event",
                ));
            }
            let report = ep_maintenance::run(&ctx).await?;
            Ok::<_, lambda_http::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
