//! The Mailer port as an outbox directory of `.eml` files (RFC 5322), which the local
//! gateway lists on a development-only page.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::mail::{MailError, Mailer, RawEmail};

pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf) -> Result<Self, MailError> {
        std::fs::create_dir_all(&dir).map_err(|e| MailError::Unavailable(e.to_string()))?;
        Ok(OutboxMailer { dir })
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// File name for a message: sortable by time of writing, unique by Message-ID.
    fn file_name(email: &RawEmail) -> String {
        let safe: String = email
            .id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{:020}-{safe}.eml", jiff::Timestamp::now().as_microsecond())
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &RawEmail) -> Result<(), MailError> {
        let unavailable = |e: std::io::Error| MailError::Unavailable(e.to_string());
        let name = Self::file_name(email);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, &email.raw)
            .await
            .map_err(unavailable)?;
        tokio::fs::rename(&tmp, self.dir.join(&name))
            .await
            .map_err(unavailable)
    }
}

/// One message of the outbox, for the development page and tests.
#[derive(Clone, Debug)]
pub struct OutboxEntry {
    pub file: String,
    pub raw: String,
}

/// Lists the outbox, oldest first.
pub fn list_outbox(dir: &std::path::Path) -> std::io::Result<Vec<OutboxEntry>> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".eml") && !n.starts_with('.'))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    names.sort();
    names
        .into_iter()
        .map(|file| {
            let raw = std::fs::read_to_string(dir.join(&file))?;
            Ok(OutboxEntry { file, raw })
        })
        .collect()
}
