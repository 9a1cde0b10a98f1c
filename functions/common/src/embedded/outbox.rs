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

    /// Deletes the `.eml` files whose `Date:` header is before `before` (the date the
    /// message was composed, on the application's clock). A file without a readable
    /// date is kept.
    async fn prune(&self, before: jiff::Timestamp) -> Result<u32, MailError> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || prune_dir(&dir, before))
            .await
            .map_err(|e| MailError::Unavailable(e.to_string()))?
            .map_err(|e| MailError::Unavailable(e.to_string()))
    }
}

fn prune_dir(dir: &std::path::Path, before: jiff::Timestamp) -> std::io::Result<u32> {
    use std::io::Read;
    let mut removed = 0;
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        let is_eml = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".eml") && !n.starts_with('.'));
        if !is_eml {
            continue;
        }
        // The header block is at the start of the file.
        let mut head = Vec::with_capacity(4096);
        std::fs::File::open(&path)?
            .take(16 * 1024)
            .read_to_end(&mut head)?;
        let head = String::from_utf8_lossy(&head);
        let date = crate::mail::header_of(&head, "Date").and_then(|d| {
            jiff::fmt::rfc2822::DateTimeParser::new()
                .parse_timestamp(d.as_str())
                .ok()
        });
        if date.is_some_and(|d| d < before) {
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
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
