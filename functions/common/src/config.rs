//! Configuration: environment variables read once into one typed struct. Every
//! *(config)* default of SPEC.md lives here; the README's configuration table lists
//! the same variables.

use std::path::PathBuf;

/// A variable that is set but cannot be used.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("configuration: {var} = {value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub reason: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Base URL of the portal, used in email links (`EP_PUBLIC_URL`).
    pub public_url: String,
    /// Sender of every email (`EP_MAIL_FROM`).
    pub mail_from: String,
    /// Email of the first platform admin, created at first start (`EP_ADMIN_EMAIL`).
    pub admin_email: String,
    /// Local runs: directory holding the database, attachments and outbox (`EP_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Local runs: address the gateway listens on (`EP_LISTEN`).
    pub listen: String,
    /// AWS: DynamoDB table name (`EP_TABLE`).
    pub table_name: String,
    /// AWS: attachments bucket (`EP_ATTACHMENTS_BUCKET`).
    pub attachments_bucket: String,
    /// Address of a clamd daemon, e.g. `127.0.0.1:3310` (`EP_CLAMD_ADDRESS`).
    pub clamd: Option<String>,
    /// AWS: the secret CloudFront adds to every request it forwards to the API
    /// (`X-EP-Origin-Verify`); only then is its `CloudFront-Viewer-Address` trusted
    /// as the client's address (`EP_ORIGIN_VERIFY_SECRET`, at least 32 characters).
    pub origin_verify_secret: Option<String>,
    /// The malware engine run after the built-in checks (`EP_MALWARE_ENGINE`:
    /// `clamd`, `guardduty` or `none`; default: clamd when `EP_CLAMD_ADDRESS` is set,
    /// else GuardDuty on Lambda, else none).
    pub malware_engine: MalwareEngine,
    /// Validity of an upload link, seconds (`EP_UPLOAD_LINK_SECONDS`, 300).
    pub upload_link_secs: i64,
    /// Validity of a download link, seconds (`EP_DOWNLOAD_LINK_SECONDS`, 60).
    pub download_link_secs: i64,
    /// A file still being checked this long after its upload is reported
    /// (`EP_SCAN_ALERT_MINUTES`, 30).
    pub scan_alert_minutes: i64,
    /// Validity of account-creation and reset links, hours (`EP_LINK_TTL_HOURS`, 72).
    pub link_ttl_hours: i64,
    /// Session idle timeout, minutes (`EP_SESSION_IDLE_MINUTES`, 30).
    pub session_idle_minutes: i64,
    /// Session absolute lifetime, hours (`EP_SESSION_ABSOLUTE_HOURS`, 12).
    pub session_absolute_hours: i64,
    /// Password lifetime, days (`EP_PASSWORD_MAX_AGE_DAYS`, 180).
    pub password_max_age_days: i64,
    /// Expiry reminder, days before expiry (`EP_PASSWORD_REMINDER_DAYS`, 15).
    pub password_reminder_days: i64,
    /// Previous passwords that cannot be reused (`EP_PASSWORD_HISTORY`, 5).
    pub password_history: u32,
    /// Largest attachment, bytes (`EP_ATTACHMENT_MAX_BYTES`, 10 MB).
    pub attachment_max_bytes: u64,
    /// Attachments per request (`EP_ATTACHMENT_MAX_COUNT`, 5).
    pub attachment_max_count: u32,
    /// Months a closed request is kept (`EP_REQUEST_RETENTION_MONTHS`, 12).
    pub request_retention_months: i64,
    /// Months audit events are kept (`EP_AUDIT_RETENTION_MONTHS`, 12).
    pub audit_retention_months: i64,
    /// Hours a failing email is retried before it is marked failed (`EP_EMAIL_RETRY_HOURS`, 24).
    pub email_retry_hours: i64,
    /// Most items one maintenance run handles (`EP_MAINTENANCE_BATCH`, 500).
    pub maintenance_batch: u32,
    /// Log format: `json` (Lambda) or `text` (`EP_LOG_FORMAT`).
    pub log_json: bool,
    /// The key sealing second-factor secrets at rest (`EP_TOTP_KEY`, 32 bytes in
    /// base64); none: enrolment is unavailable (the local gateway creates one).
    pub totp_key: Option<TotpKey>,
    /// Techniciens must enrol a second factor too (`EP_TOTP_TECHNICIENS=required`;
    /// default `optional`).
    pub totp_techniciens_required: bool,
}

/// The second-factor sealing key; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpKey(pub [u8; 32]);

impl std::fmt::Debug for TotpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpKey(hidden)")
    }
}

impl TotpKey {
    /// Parses the base64 (standard or URL-safe, padded or not) of 32 bytes.
    pub fn parse(text: &str) -> Option<TotpKey> {
        use base64::Engine;
        let t = text.trim().trim_end_matches('=');
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(t)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t))
            .ok()?;
        Some(TotpKey(bytes.try_into().ok()?))
    }

    pub fn to_base64(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

/// The malware engine that runs after the built-in content checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MalwareEngine {
    /// clamd over INSTREAM at this address: the verdict comes at once.
    Clamd(String),
    /// GuardDuty Malware Protection for S3: the verdict comes by an EventBridge event.
    GuardDuty,
    /// Built-in checks only (a development machine without clamd).
    BuiltinOnly,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads configuration through `get` (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let text = |var: &'static str, default: &str| -> String {
            get(var)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let int =
            |var: &'static str, default: i64, min: i64, max: i64| -> Result<i64, ConfigError> {
                match get(var)
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                {
                    None => Ok(default),
                    Some(v) => match v.parse::<i64>() {
                        Ok(n) if (min..=max).contains(&n) => Ok(n),
                        _ => Err(ConfigError {
                            var,
                            value: v,
                            reason: "expected a whole number in the allowed range",
                        }),
                    },
                }
            };
        let listen = text("EP_LISTEN", "127.0.0.1:8080");
        let public_url = text("EP_PUBLIC_URL", &format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("https://") || public_url.starts_with("http://")) {
            return Err(ConfigError {
                var: "EP_PUBLIC_URL",
                value: public_url,
                reason: "expected an http:// or https:// URL",
            });
        }
        let mail_from = text(
            "EP_MAIL_FROM",
            "Espace Partenaires <ne-pas-repondre@espace-partenaires.example.org>",
        );
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError {
                var: "EP_MAIL_FROM",
                value: mail_from,
                reason: "expected an email address, optionally with a display name",
            });
        }
        let admin_email = text("EP_ADMIN_EMAIL", "admin@example.org");
        if admin_email.parse::<lettre::Address>().is_err() {
            return Err(ConfigError {
                var: "EP_ADMIN_EMAIL",
                value: admin_email,
                reason: "expected an email address",
            });
        }
        let clamd = get("EP_CLAMD_ADDRESS")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let origin_verify_secret = get("EP_ORIGIN_VERIFY_SECRET")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        if let Some(secret) = &origin_verify_secret
            && secret.len() < 32
        {
            return Err(ConfigError {
                var: "EP_ORIGIN_VERIFY_SECRET",
                value: "(hidden)".into(),
                reason: "expected at least 32 characters",
            });
        }
        let on_lambda = get("AWS_LAMBDA_FUNCTION_NAME").is_some_and(|v| !v.is_empty());
        let engine = text("EP_MALWARE_ENGINE", "");
        let malware_engine = match (engine.as_str(), &clamd) {
            ("clamd", Some(a)) | ("", Some(a)) => MalwareEngine::Clamd(a.clone()),
            ("clamd", None) => {
                return Err(ConfigError {
                    var: "EP_MALWARE_ENGINE",
                    value: engine,
                    reason: "clamd needs EP_CLAMD_ADDRESS (host:port)",
                });
            }
            ("guardduty", _) => MalwareEngine::GuardDuty,
            ("", None) if on_lambda => MalwareEngine::GuardDuty,
            ("none", _) | ("", None) => MalwareEngine::BuiltinOnly,
            _ => {
                return Err(ConfigError {
                    var: "EP_MALWARE_ENGINE",
                    value: engine,
                    reason: "expected clamd, guardduty or none",
                });
            }
        };
        let totp_key = match get("EP_TOTP_KEY").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(v) => Some(TotpKey::parse(&v).ok_or(ConfigError {
                var: "EP_TOTP_KEY",
                value: "(hidden)".into(),
                reason: "expected 32 bytes in base64 (e.g. `openssl rand -base64 32`)",
            })?),
        };
        let totp_techniciens = text("EP_TOTP_TECHNICIENS", "optional");
        if totp_techniciens != "optional" && totp_techniciens != "required" {
            return Err(ConfigError {
                var: "EP_TOTP_TECHNICIENS",
                value: totp_techniciens,
                reason: "expected optional or required",
            });
        }
        let log = text("EP_LOG_FORMAT", "text");
        if log != "json" && log != "text" {
            return Err(ConfigError {
                var: "EP_LOG_FORMAT",
                value: log,
                reason: "expected json or text",
            });
        }
        Ok(Config {
            public_url,
            mail_from,
            admin_email,
            data_dir: PathBuf::from(text("EP_DATA_DIR", "data")),
            listen,
            table_name: text("EP_TABLE", "espace-partenaires"),
            attachments_bucket: text("EP_ATTACHMENTS_BUCKET", "espace-partenaires-attachments"),
            clamd,
            origin_verify_secret,
            malware_engine,
            upload_link_secs: int("EP_UPLOAD_LINK_SECONDS", 300, 30, 3600)?,
            download_link_secs: int("EP_DOWNLOAD_LINK_SECONDS", 60, 10, 3600)?,
            scan_alert_minutes: int("EP_SCAN_ALERT_MINUTES", 30, 5, 24 * 60)?,
            link_ttl_hours: int("EP_LINK_TTL_HOURS", 72, 1, 24 * 30)?,
            session_idle_minutes: int("EP_SESSION_IDLE_MINUTES", 30, 1, 24 * 60)?,
            session_absolute_hours: int("EP_SESSION_ABSOLUTE_HOURS", 12, 1, 24 * 7)?,
            password_max_age_days: int("EP_PASSWORD_MAX_AGE_DAYS", 180, 1, 3650)?,
            password_reminder_days: int("EP_PASSWORD_REMINDER_DAYS", 15, 1, 365)?,
            password_history: int("EP_PASSWORD_HISTORY", 5, 0, 50)? as u32,
            attachment_max_bytes: int(
                "EP_ATTACHMENT_MAX_BYTES",
                10 * 1024 * 1024,
                1024,
                100 * 1024 * 1024,
            )? as u64,
            attachment_max_count: int("EP_ATTACHMENT_MAX_COUNT", 5, 1, 10)? as u32,
            request_retention_months: int("EP_REQUEST_RETENTION_MONTHS", 12, 1, 120)?,
            audit_retention_months: int("EP_AUDIT_RETENTION_MONTHS", 12, 1, 120)?,
            email_retry_hours: int("EP_EMAIL_RETRY_HOURS", 24, 1, 24 * 14)?,
            maintenance_batch: int("EP_MAINTENANCE_BATCH", 500, 1, 100_000)? as u32,
            log_json: log == "json",
            totp_key,
            totp_techniciens_required: totp_techniciens == "required",
        })
    }

    /// Whether cookies may carry `Secure` and the `__Host-` prefix: only over HTTPS.
    /// On plain-HTTP localhost (development) the cookie is `ep_session` without
    /// `Secure`, as browsers would drop a Secure cookie there.
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Sets up `tracing`: JSON lines on Lambda, text locally. Logs carry ids only.
pub fn init_tracing(json: bool) {
    let level = log_level(std::env::var("RUST_LOG").ok().as_deref());
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false);
    let _ = if json {
        builder.json().without_time().try_init()
    } else {
        builder.try_init()
    };
}

/// The log level from `RUST_LOG` (`error`, `warn`, `info`, `debug`, `trace`, any
/// case; anything else, including per-module filters, means `info`). A level is
/// enough here, and it spares the binaries the regex engine of an `EnvFilter`.
pub fn log_level(var: Option<&str>) -> tracing::Level {
    match var.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        Some("error") => tracing::Level::ERROR,
        Some("warn") => tracing::Level::WARN,
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_level_from_rust_log() {
        assert_eq!(log_level(None), tracing::Level::INFO);
        assert_eq!(log_level(Some("DEBUG")), tracing::Level::DEBUG);
        assert_eq!(log_level(Some(" warn ")), tracing::Level::WARN);
        assert_eq!(log_level(Some("error")), tracing::Level::ERROR);
        assert_eq!(log_level(Some("trace")), tracing::Level::TRACE);
        assert_eq!(log_level(Some("ep_common=debug")), tracing::Level::INFO);
    }
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_spec() {
        let c = cfg(&[]).expect("defaults are valid");
        assert_eq!(c.link_ttl_hours, 72);
        assert_eq!(c.password_max_age_days, 180);
        assert_eq!(c.password_reminder_days, 15);
        assert_eq!(c.password_history, 5);
        assert_eq!(c.attachment_max_bytes, 10 * 1024 * 1024);
        assert_eq!(c.attachment_max_count, 5);
        assert_eq!(c.request_retention_months, 12);
        assert_eq!(c.audit_retention_months, 12);
        assert_eq!(c.session_idle_minutes, 30);
        assert_eq!(c.session_absolute_hours, 12);
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.download_link_secs, 60);
        assert_eq!(c.malware_engine, MalwareEngine::BuiltinOnly);
        assert!(!c.https());
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        let e = cfg(&[("EP_PASSWORD_MAX_AGE_DAYS", "six mois")]).unwrap_err();
        assert_eq!(e.var, "EP_PASSWORD_MAX_AGE_DAYS");
        let e = cfg(&[("EP_PUBLIC_URL", "portail.example.org")]).unwrap_err();
        assert_eq!(e.var, "EP_PUBLIC_URL");
        let e = cfg(&[("EP_ADMIN_EMAIL", "pas-une-adresse")]).unwrap_err();
        assert_eq!(e.var, "EP_ADMIN_EMAIL");
        let e = cfg(&[("EP_MALWARE_ENGINE", "clamd")]).unwrap_err();
        assert_eq!(e.var, "EP_MALWARE_ENGINE");
    }

    #[test]
    fn the_malware_engine_follows_the_environment() {
        let c = cfg(&[("EP_CLAMD_ADDRESS", "127.0.0.1:3310")]).unwrap();
        assert_eq!(
            c.malware_engine,
            MalwareEngine::Clamd("127.0.0.1:3310".into())
        );
        let c = cfg(&[("AWS_LAMBDA_FUNCTION_NAME", "ep-attachments")]).unwrap();
        assert_eq!(c.malware_engine, MalwareEngine::GuardDuty);
        let c = cfg(&[("EP_MALWARE_ENGINE", "none"), ("EP_CLAMD_ADDRESS", "x:1")]).unwrap();
        assert_eq!(c.malware_engine, MalwareEngine::BuiltinOnly);
    }
}
