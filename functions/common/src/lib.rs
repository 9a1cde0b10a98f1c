//! Shared library of every Espace Partenaires function: ports (Table, Blobs, Mailer,
//! Scanner, Clock), their embedded and AWS adapters, configuration, HTTP helpers.

pub mod blobs;
pub mod clock;
pub mod config;
pub mod context;
pub mod emails;
pub mod embedded;
pub mod http;
pub mod mail;
pub mod scan;
pub mod table;

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod lambda;

pub use context::Ctx;
pub use ep_domain as domain;
