//! The SDK configuration of a Lambda function, built by hand from its environment
//! instead of `aws-config` (which links STS and reads profile files): region from
//! `AWS_REGION`, credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//! `AWS_SESSION_TOKEN` (what Lambda gives the function's role), endpoint override from
//! `AWS_ENDPOINT_URL` (moto, the local Lambda mode). The HTTPS client is rustls on
//! ring with Amazon's root certificates compiled in: nothing is read from
//! `/etc/ssl/certs`, and the certificates are parsed only when the first client
//! connects.

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::config::ConfigError;

/// Amazon Trust Services roots (Amazon Root CA 1–4) and Starfield Services Root
/// Certificate Authority G2, which chain every AWS service endpoint's certificate.
const AMAZON_ROOTS: &[u8] = include_bytes!("amazon-roots.pem");

/// What the SDK configuration needs from the environment, looked up by `get`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkEnv {
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub endpoint_url: Option<String>,
    /// `AWS_ENDPOINT_URL_SES`: the service-specific override the SDKs honour (the local
    /// Lambda mode sends SES through a recording pass-through in front of moto).
    pub ses_endpoint_url: Option<String>,
}

impl SdkEnv {
    /// Reads the variables through `get`; `Err` names the first missing one.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<SdkEnv, ConfigError> {
        let some = |k: &str| get(k).filter(|v| !v.is_empty());
        let need = |var: &'static str| {
            some(var).ok_or(ConfigError {
                var,
                value: String::new(),
                reason: "required (set by the Lambda runtime)",
            })
        };
        Ok(SdkEnv {
            region: match some("AWS_REGION") {
                Some(r) => r,
                None => need("AWS_DEFAULT_REGION").map_err(|e| ConfigError {
                    var: "AWS_REGION",
                    ..e
                })?,
            },
            access_key_id: need("AWS_ACCESS_KEY_ID")?,
            secret_access_key: need("AWS_SECRET_ACCESS_KEY")?,
            session_token: some("AWS_SESSION_TOKEN"),
            endpoint_url: some("AWS_ENDPOINT_URL"),
            ses_endpoint_url: some("AWS_ENDPOINT_URL_SES"),
        })
    }

    pub fn from_env() -> Result<SdkEnv, ConfigError> {
        SdkEnv::from_lookup(|k| std::env::var(k).ok())
    }

    /// The SDK configuration. Cheap: no I/O, no certificate parsed yet.
    pub fn sdk_config(&self) -> SdkConfig {
        let credentials = Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            self.session_token.clone(),
            None,
            "lambda-environment",
        );
        let trust = TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AMAZON_ROOTS);
        let tls_context = TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .expect("a TLS context without server names always builds");
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(tls_context)
            .build_https();
        let mut b = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .http_client(http);
        if let Some(url) = &self.endpoint_url {
            b = b.endpoint_url(url.clone());
        }
        b.build()
    }

    /// The SDK configuration for SES: `AWS_ENDPOINT_URL_SES` when set, else as
    /// `sdk_config`.
    pub fn ses_sdk_config(&self) -> SdkConfig {
        match &self.ses_endpoint_url {
            Some(url) => SdkEnv {
                endpoint_url: Some(url.clone()),
                ..self.clone()
            }
            .sdk_config(),
            None => self.sdk_config(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn reads_the_lambda_environment() {
        let env = SdkEnv::from_lookup(lookup(&[
            ("AWS_REGION", "eu-west-3"),
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ]))
        .unwrap();
        assert_eq!(env.region, "eu-west-3");
        assert_eq!(env.session_token.as_deref(), Some("token"));
        let sdk = env.sdk_config();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-3"));
        assert_eq!(sdk.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert!(sdk.http_client().is_some());
        assert!(sdk.credentials_provider().is_some());
    }

    #[test]
    fn ses_may_have_its_own_endpoint() {
        let env = SdkEnv::from_lookup(lookup(&[
            ("AWS_REGION", "eu-west-3"),
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_SES", "http://127.0.0.1:5999"),
        ]))
        .unwrap();
        assert_eq!(
            env.sdk_config().endpoint_url(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            env.ses_sdk_config().endpoint_url(),
            Some("http://127.0.0.1:5999")
        );
        let without = SdkEnv {
            ses_endpoint_url: None,
            ..env
        };
        assert_eq!(
            without.ses_sdk_config().endpoint_url(),
            Some("http://127.0.0.1:5000")
        );
    }

    #[test]
    fn no_endpoint_override_without_the_variable() {
        let env = SdkEnv::from_lookup(lookup(&[
            ("AWS_DEFAULT_REGION", "eu-west-3"),
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ]))
        .unwrap();
        assert_eq!(env.session_token, None);
        assert_eq!(env.sdk_config().endpoint_url(), None);
    }

    #[test]
    fn a_missing_variable_is_named() {
        let err = SdkEnv::from_lookup(lookup(&[("AWS_REGION", "eu-west-3")])).unwrap_err();
        assert_eq!(err.var, "AWS_ACCESS_KEY_ID");
        let err = SdkEnv::from_lookup(lookup(&[])).unwrap_err();
        assert_eq!(err.var, "AWS_REGION");
    }

    #[test]
    fn the_compiled_in_roots_are_amazon_s() {
        let pem = std::str::from_utf8(AMAZON_ROOTS).unwrap();
        assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 5);
    }
}
