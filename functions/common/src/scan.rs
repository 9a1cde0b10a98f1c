//! The Scanner port: content checks that always run (type from magic bytes, active
//! content in PDFs, polyglots, truncated files, the EICAR test string), then the
//! malware engine of the configuration: `clamd` over its INSTREAM protocol (answer
//! now), or GuardDuty Malware Protection for S3 (answer later, by an EventBridge
//! event to the attachments function).

use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Accepted attachment types, recognised from content, never from the file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
}

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Pdf, FileKind::Jpeg, FileKind::Png];

    /// The kind of a declared content type (`None`: not accepted).
    pub fn from_content_type(ct: &str) -> Option<FileKind> {
        let base = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        FileKind::ALL.into_iter().find(|k| k.content_type() == base)
    }

    /// How the type is named to users.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Pdf => "un document PDF",
            FileKind::Jpeg => "une image JPEG",
            FileKind::Png => "une image PNG",
        }
    }

    /// The file-name extension of the type.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
        }
    }
}

/// Outcome of a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Clean(FileKind),
    /// Not an accepted type, unreadable, or with active content: the French reason
    /// is shown to the uploader.
    Rejected(String),
    /// The malware engine found something (signature name, for the audit trail).
    Infected(String),
    /// The built-in checks passed; the malware engine answers later (GuardDuty).
    Deferred(FileKind),
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ScanError {
    #[error("the malware scanner is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Scanner: Send + Sync {
    async fn scan(&self, bytes: &[u8]) -> Result<Verdict, ScanError>;
}

const EICAR: &[u8] = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE";

/// The type of a file from its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
    if bytes.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(FileKind::Png)
    } else {
        None
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// PDF names that run code or open other content when the file is opened.
const PDF_ACTIVE: [&[u8]; 8] = [
    b"JavaScript",
    b"JS",
    b"OpenAction",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
    b"XFA",
];

/// Whether the PDF uses one of [`PDF_ACTIVE`]'s names, written plainly or with `#xx`
/// escapes (`/J#61vaScript` is `/JavaScript` to a PDF reader).
fn pdf_has_active_name(bytes: &[u8]) -> bool {
    let delimiter = |b: u8| b.is_ascii_whitespace() || b"()<>[]{}/%".contains(&b);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'/' {
            i += 1;
            continue;
        }
        let mut name = Vec::new();
        let mut j = i + 1;
        while j < bytes.len() && !delimiter(bytes[j]) && name.len() <= 32 {
            if bytes[j] == b'#'
                && let Some(h) = bytes.get(j + 1..j + 3)
                && let Ok(v) = u8::from_str_radix(&String::from_utf8_lossy(h), 16)
            {
                name.push(v);
                j += 3;
                continue;
            }
            name.push(bytes[j]);
            j += 1;
        }
        if PDF_ACTIVE.contains(&name.as_slice()) {
            return true;
        }
        i = j.max(i + 1);
    }
    false
}

/// A second format inside the file (a « polyglot », valid as two types): a ZIP
/// archive (its end record, which ZIP readers look for at the end of any file), or
/// a PDF header in an image (PDF readers look for it in the first 1024 bytes).
fn second_format(bytes: &[u8], kind: FileKind) -> Option<&'static str> {
    let tail = &bytes[bytes.len().saturating_sub(65_557)..];
    if contains(tail, b"PK\x05\x06") {
        return Some("une archive ZIP");
    }
    if kind != FileKind::Pdf && contains(&bytes[..bytes.len().min(1024)], b"%PDF-") {
        return Some("un document PDF");
    }
    None
}

fn rejected(reason: &str) -> Verdict {
    Verdict::Rejected(reason.to_owned())
}

/// Checks that need no engine: the file's kind, or the verdict that stops it.
pub fn builtin_checks(bytes: &[u8]) -> Result<FileKind, Verdict> {
    if contains(bytes, EICAR) {
        return Err(Verdict::Infected("EICAR-Test-File".into()));
    }
    let Some(kind) = sniff(bytes) else {
        return Err(rejected(
            "Le fichier n'est ni un PDF, ni une image JPEG, ni une image PNG (son contenu a été vérifié, pas son nom) : seuls ces formats sont acceptés.",
        ));
    };
    if let Some(other) = second_format(bytes, kind) {
        return Err(Verdict::Rejected(format!(
            "Le fichier est à la fois {} et {other} (fichier « polyglotte », un montage qui sert à dissimuler un contenu) : enregistrez-le de nouveau depuis son logiciel d'origine ou numérisez le document, puis réessayez.",
            kind.label()
        )));
    }
    match kind {
        FileKind::Pdf => {
            if !contains(&bytes[bytes.len().saturating_sub(1024)..], b"%%EOF") {
                return Err(rejected(
                    "Le fichier PDF est illisible ou incomplet : enregistrez-le de nouveau puis réessayez.",
                ));
            }
            if pdf_has_active_name(bytes) {
                return Err(rejected(
                    "Le fichier PDF contient du contenu actif (script, action à l'ouverture, fichier joint ou lancement de programme) : imprimez-le en PDF ou numérisez-le, puis réessayez.",
                ));
            }
        }
        FileKind::Jpeg => {
            if !bytes.ends_with(&[0xFF, 0xD9]) {
                return Err(rejected(
                    "L'image JPEG est illisible ou incomplète : enregistrez-la de nouveau puis réessayez.",
                ));
            }
        }
        FileKind::Png => {
            if !contains(&bytes[bytes.len().saturating_sub(16)..], b"IEND") {
                return Err(rejected(
                    "L'image PNG est illisible ou incomplète : enregistrez-la de nouveau puis réessayez.",
                ));
            }
        }
    }
    Ok(kind)
}

/// Built-in checks only (no malware engine configured).
pub struct BuiltinScanner;

#[async_trait]
impl Scanner for BuiltinScanner {
    async fn scan(&self, bytes: &[u8]) -> Result<Verdict, ScanError> {
        Ok(match builtin_checks(bytes) {
            Ok(kind) => Verdict::Clean(kind),
            Err(v) => v,
        })
    }
}

/// Built-in checks, then `clamd` (INSTREAM over TCP).
pub struct ClamdScanner {
    pub address: String,
}

impl ClamdScanner {
    /// Sends the bytes to clamd and returns its answer line, e.g. `stream: OK`.
    pub async fn instream(&self, bytes: &[u8]) -> Result<String, ScanError> {
        let unavailable = |e: std::io::Error| ScanError::Unavailable(e.to_string());
        let mut stream = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tokio::net::TcpStream::connect(&self.address),
        )
        .await
        .map_err(|_| ScanError::Unavailable("connection timed out".into()))?
        .map_err(unavailable)?;
        stream
            .write_all(b"zINSTREAM\0")
            .await
            .map_err(unavailable)?;
        for chunk in bytes.chunks(64 * 1024) {
            stream
                .write_all(&(chunk.len() as u32).to_be_bytes())
                .await
                .map_err(unavailable)?;
            stream.write_all(chunk).await.map_err(unavailable)?;
        }
        stream
            .write_all(&0u32.to_be_bytes())
            .await
            .map_err(unavailable)?;
        let mut answer = Vec::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(60),
            stream.read_to_end(&mut answer),
        )
        .await
        .map_err(|_| ScanError::Unavailable("scan timed out".into()))?
        .map_err(unavailable)?;
        let text = String::from_utf8_lossy(&answer);
        Ok(text.trim_end_matches(['\0', '\n']).to_owned())
    }
}

/// Reads clamd's INSTREAM answer.
pub fn parse_clamd_answer(answer: &str, kind: FileKind) -> Result<Verdict, ScanError> {
    let body = answer.strip_prefix("stream: ").unwrap_or(answer);
    if body == "OK" {
        Ok(Verdict::Clean(kind))
    } else if let Some(name) = body.strip_suffix(" FOUND") {
        Ok(Verdict::Infected(name.to_owned()))
    } else {
        Err(ScanError::Unavailable(format!(
            "unexpected clamd answer: {body}"
        )))
    }
}

#[async_trait]
impl Scanner for ClamdScanner {
    async fn scan(&self, bytes: &[u8]) -> Result<Verdict, ScanError> {
        let kind = match builtin_checks(bytes) {
            Ok(kind) => kind,
            Err(v) => return Ok(v),
        };
        let answer = self.instream(bytes).await?;
        parse_clamd_answer(&answer, kind)
    }
}

/// Built-in checks now; GuardDuty Malware Protection for S3 scans the stored object
/// and its result reaches the attachments function later (EventBridge).
pub struct GuardDutyScanner;

#[async_trait]
impl Scanner for GuardDutyScanner {
    async fn scan(&self, bytes: &[u8]) -> Result<Verdict, ScanError> {
        Ok(match builtin_checks(bytes) {
            Ok(kind) => Verdict::Deferred(kind),
            Err(v) => v,
        })
    }
}

/// The scanner the configuration asks for (`Config::malware_engine`).
pub fn from_config(config: &crate::config::Config) -> std::sync::Arc<dyn Scanner> {
    use crate::config::MalwareEngine;
    match &config.malware_engine {
        MalwareEngine::Clamd(address) => std::sync::Arc::new(ClamdScanner {
            address: address.clone(),
        }),
        MalwareEngine::GuardDuty => std::sync::Arc::new(GuardDutyScanner),
        MalwareEngine::BuiltinOnly => std::sync::Arc::new(BuiltinScanner),
    }
}
