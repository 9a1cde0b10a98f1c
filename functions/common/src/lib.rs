//! Shared library of every Espace Partenaires function: ports (Table, Blobs, Mailer,
//! Scanner, Clock), their embedded and AWS adapters, configuration, HTTP helpers.

pub mod attachments;
pub mod audit;
pub mod blobs;
pub mod bootstrap;
pub mod cgu;
pub mod clock;
pub mod config;
pub mod context;
pub mod emails;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod http;
pub mod ids;
pub mod item;
pub mod lifecycle;
pub mod mail;
pub mod partners;
pub mod record;
pub mod requests;
pub mod routes;
pub mod scan;
pub mod sessions;
pub mod table;
pub mod templates;
pub mod tokens;
pub mod tx;
pub mod users;
pub mod windows;

#[cfg(feature = "aws-sdk")]
pub mod aws;
#[cfg(feature = "dynamodb")]
pub mod lambda;

pub use context::Ctx;
pub use ep_domain as domain;
/// Re-exported for the `routes!` macro.
pub use lambda_http;
