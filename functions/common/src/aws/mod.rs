//! The AWS adapters: DynamoDB (Table), S3 (Blobs), SES (Mailer). Clients are built
//! once per process, outside the handler.

pub mod dynamo;
mod dynamo_codec;
pub mod s3;
pub mod ses;

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::context::Ctx;

pub use dynamo::DynamoTable;
pub use s3::S3Blobs;
pub use ses::SesMailer;

/// Builds the context from an SDK configuration (region, credentials, endpoint).
/// `path_style` is for S3-compatible test servers (moto).
pub fn context_from(
    sdk: &aws_config::SdkConfig,
    config: Config,
    clock: Arc<dyn Clock>,
    path_style: bool,
) -> Ctx {
    let table = DynamoTable::new(
        aws_sdk_dynamodb::Client::new(sdk),
        config.table_name.clone(),
    );
    let s3_conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(path_style)
        .build();
    let blobs = S3Blobs::new(
        aws_sdk_s3::Client::from_conf(s3_conf),
        config.attachments_bucket.clone(),
    );
    let mailer = SesMailer::new(aws_sdk_ses::Client::new(sdk));
    let scanner = crate::scan::from_config(&config);
    Ctx {
        table: Arc::new(table),
        blobs: Arc::new(blobs),
        mailer: Arc::new(mailer),
        scanner,
        clock,
        config: Arc::new(config),
    }
}

/// The Lambda context: configuration and AWS clients from the environment.
pub async fn context_from_env() -> Result<Ctx, crate::config::ConfigError> {
    let config = Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let path_style = std::env::var_os("AWS_ENDPOINT_URL").is_some();
    Ok(context_from(
        &sdk,
        config,
        Arc::new(SystemClock),
        path_style,
    ))
}
