//! The Mailer port and message composition. Messages are built once with `lettre`
//! (text + HTML alternative, UTF-8) and handed over as raw MIME: SES `SendRawEmail` on
//! AWS, `.eml` files in an outbox directory locally.

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MailError {
    #[error("invalid address in field {0}")]
    InvalidAddress(&'static str),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("the mail service refused the message: {0}")]
    Rejected(String),
    #[error("the mail service is unavailable: {0}")]
    Unavailable(String),
}

/// A message ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEmail {
    /// Message-ID without angle brackets.
    pub id: String,
    pub to: Vec<String>,
    /// Full RFC 5322 message.
    pub raw: Vec<u8>,
}

/// Content of an email to compose.
#[derive(Clone, Debug)]
pub struct EmailContent<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: String,
    pub html: String,
}

/// Builds the MIME message (multipart/alternative, text then HTML).
pub fn compose(content: &EmailContent<'_>, id: &str, date: jiff::Timestamp) -> Result<RawEmail, MailError> {
    let from: Mailbox = content
        .from
        .parse()
        .map_err(|_| MailError::InvalidAddress("from"))?;
    let to: Mailbox = content.to.parse().map_err(|_| MailError::InvalidAddress("to"))?;
    let date = std::time::SystemTime::UNIX_EPOCH
        + std::time::Duration::from_secs(date.as_second().max(0) as u64);
    let domain = from.email.domain().to_owned();
    let message = lettre::Message::builder()
        .from(from)
        .to(to.clone())
        .subject(content.subject)
        .message_id(Some(format!("<{id}@{domain}>")))
        .date(date)
        .multipart(MultiPart::alternative_plain_html(
            content.text.clone(),
            content.html.clone(),
        ))
        .map_err(|e| MailError::Build(e.to_string()))?;
    Ok(RawEmail {
        id: format!("{id}@{domain}"),
        to: vec![to.email.to_string()],
        raw: message.formatted(),
    })
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message. `Unavailable` is temporary (retry later); `Rejected` is final.
    async fn send(&self, email: &RawEmail) -> Result<(), MailError>;
}
