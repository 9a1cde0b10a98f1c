//! The AWS adapters: DynamoDB (Table), S3 (Blobs), SES (Mailer), one cargo feature
//! each so that a Lambda binary links only the clients it calls. The context is built
//! once per process, outside the handler; each SDK client is built at its first call
//! (`Lazy`), so that init does only what every request needs.

#[cfg(feature = "dynamodb")]
pub mod dynamo;
#[cfg(feature = "dynamodb")]
mod dynamo_codec;
#[cfg(feature = "dynamodb")]
mod dynamo_single;
#[cfg(feature = "s3")]
pub mod s3;
pub mod sdk;
#[cfg(feature = "ses")]
pub mod ses;

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::context::Ctx;

#[cfg(feature = "dynamodb")]
pub use dynamo::DynamoTable;
#[cfg(feature = "s3")]
pub use s3::S3Blobs;
pub use sdk::SdkEnv;
#[cfg(feature = "ses")]
pub use ses::SesMailer;

/// A value built at its first use (an SDK client), then shared.
pub struct Lazy<C> {
    cell: OnceLock<C>,
    make: Box<dyn Fn() -> C + Send + Sync>,
}

impl<C> Lazy<C> {
    pub fn new(make: impl Fn() -> C + Send + Sync + 'static) -> Self {
        Lazy {
            cell: OnceLock::new(),
            make: Box::new(make),
        }
    }

    /// Whether the value has been built.
    pub fn is_built(&self) -> bool {
        self.cell.get().is_some()
    }
}

impl<C: Clone + Send + Sync + 'static> Lazy<C> {
    /// A value already built (tests pass their own clients).
    pub fn ready(value: C) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(value.clone());
        Lazy {
            cell,
            make: Box::new(move || value.clone()),
        }
    }
}

impl<C> Deref for Lazy<C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.cell.get_or_init(|| (self.make)())
    }
}

/// Every function reads the table: the context needs the `dynamodb` feature.
#[cfg(feature = "dynamodb")]
/// Builds the context from an SDK configuration (region, credentials, endpoint).
/// `path_style` is for S3-compatible test servers (moto). The clients of the
/// features this binary was built with are built at their first call; a port whose
/// client is not linked answers `Unavailable` (see `unlinked`).
pub fn context_from(
    sdk: &aws_types::SdkConfig,
    config: Config,
    clock: Arc<dyn Clock>,
    path_style: bool,
) -> Ctx {
    let _ = path_style;
    let table = DynamoTable::lazy(sdk.clone(), config.table_name.clone());
    #[cfg(feature = "s3")]
    let blobs: Arc<dyn crate::blobs::Blobs> = Arc::new(S3Blobs::lazy(
        sdk.clone(),
        path_style,
        config.attachments_bucket.clone(),
    ));
    #[cfg(not(feature = "s3"))]
    let blobs: Arc<dyn crate::blobs::Blobs> = Arc::new(unlinked::NoBlobs);
    #[cfg(feature = "ses")]
    let mailer: Arc<dyn crate::mail::Mailer> = Arc::new(SesMailer::lazy(sdk.clone()));
    #[cfg(not(feature = "ses"))]
    let mailer: Arc<dyn crate::mail::Mailer> = Arc::new(unlinked::NoMailer);
    let scanner = crate::scan::from_config(&config);
    Ctx {
        table: Arc::new(table),
        blobs,
        mailer,
        scanner,
        clock,
        config: Arc::new(config),
    }
}

#[cfg(feature = "dynamodb")]
/// The Lambda context: configuration and AWS clients from the environment (no I/O:
/// the clients connect at their first call).
pub fn context_from_env() -> Result<Ctx, crate::config::ConfigError> {
    let config = Config::from_env()?;
    let env = SdkEnv::from_env()?;
    let path_style = env.endpoint_url.is_some();
    #[allow(unused_mut)]
    let mut ctx = context_from(&env.sdk_config(), config, Arc::new(SystemClock), path_style);
    #[cfg(feature = "ses")]
    if env.ses_endpoint_url.is_some() {
        ctx.mailer = Arc::new(SesMailer::lazy(env.ses_sdk_config()));
    }
    Ok(ctx)
}

#[cfg(not(all(feature = "s3", feature = "ses")))]
mod unlinked;
