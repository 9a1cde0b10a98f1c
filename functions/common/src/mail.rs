//! The Mailer port and message composition. Messages are built once with `lettre`
//! (text + HTML alternative, UTF-8) and handed over as raw MIME: SES `SendRawEmail` on
//! AWS, `.eml` files in an outbox directory locally.

use async_trait::async_trait;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};

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

/// Builds the MIME message (multipart/alternative, text then HTML, each base64).
pub fn compose(
    content: &EmailContent<'_>,
    id: &str,
    date: jiff::Timestamp,
) -> Result<RawEmail, MailError> {
    let from: Mailbox = content
        .from
        .parse()
        .map_err(|_| MailError::InvalidAddress("from"))?;
    let to: Mailbox = content
        .to
        .parse()
        .map_err(|_| MailError::InvalidAddress("to"))?;
    let date = std::time::SystemTime::UNIX_EPOCH
        + std::time::Duration::from_secs(date.as_second().max(0) as u64);
    let domain = from.email.domain().to_owned();
    let message = lettre::Message::builder()
        .from(from)
        .to(to.clone())
        .subject(content.subject)
        .message_id(Some(format!("<{id}@{domain}>")))
        .date(date)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .header(ContentTransferEncoding::Base64)
                        .body(content.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .header(ContentTransferEncoding::Base64)
                        .body(content.html.clone()),
                ),
        )
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

    /// Deletes copies of messages dated before `before` that the mailer itself keeps,
    /// and returns how many. Only the local outbox keeps any (it stands in for a mail
    /// relay, which does not keep what it delivered); SES keeps nothing: the default
    /// does nothing.
    async fn prune(&self, before: jiff::Timestamp) -> Result<u32, MailError> {
        let _ = before;
        Ok(0)
    }
}

/// A header of a raw message (first occurrence, unfolded), e.g. `Subject`.
pub fn header_of(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if let Some(v) = value.as_mut() {
            if line.starts_with(' ') || line.starts_with('\t') {
                v.push_str(line);
                continue;
            }
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_owned());
        }
    }
    value
}

/// The decoded `text/plain` part of a message built by [`compose`] (LF line ends).
pub fn text_part(raw: &str) -> Option<String> {
    use base64::Engine;
    let start = raw.find("Content-Type: text/plain")?;
    let part = &raw[start..];
    let body_start = part.find("\r\n\r\n")? + 4;
    let body = &part[body_start..];
    let end = body.find("\r\n--").unwrap_or(body.len());
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    String::from_utf8(bytes)
        .ok()
        .map(|t| t.replace("\r\n", "\n"))
}

/// Decodes an RFC 2047 encoded header (`=?utf-8?b?...?=` words), as lettre writes them.
pub fn decode_header(value: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    loop {
        let lower = rest.to_ascii_lowercase();
        let Some(start) = lower.find("=?utf-8?b?") else {
            out.push_str(rest);
            return out;
        };
        let before = &rest[..start];
        if !(after_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let word = &rest[start + 10..];
        let Some(end) = word.find("?=") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match base64::engine::general_purpose::STANDARD
            .decode(&word[..end])
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        {
            Some(text) => out.push_str(&text),
            None => out.push_str(&rest[start..start + 10 + end + 2]),
        }
        rest = &word[end + 2..];
        after_word = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_messages_read_back() {
        let content = EmailContent {
            from: "Espace Partenaires <ne-pas-repondre@example.org>",
            to: "Agnès Exemple <agnes@structure.example.org>",
            subject: "Votre compte a été créé : définissez votre mot de passe",
            text: "Bonjour,\nLien : https://portail.example.org/activation.html#t=abc\nÀ bientôt"
                .into(),
            html: "<p>Bonjour</p>".into(),
        };
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let email = compose(&content, "m1", now).unwrap();
        let raw = String::from_utf8(email.raw).unwrap();
        assert_eq!(email.to, vec!["agnes@structure.example.org".to_owned()]);
        assert_eq!(text_part(&raw).as_deref(), Some(content.text.as_str()));
        let subject = header_of(&raw, "Subject").unwrap();
        assert_eq!(decode_header(&subject), content.subject);
        assert_eq!(
            header_of(&raw, "Message-ID").as_deref(),
            Some("<m1@example.org>")
        );
    }
}
