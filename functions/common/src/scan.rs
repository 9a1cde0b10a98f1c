//! The Scanner port: content checks that always run (type from magic bytes, active
//! content in PDFs, the EICAR test string), then a malware engine where one is
//! configured: `clamd` over its INSTREAM protocol.

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
const PDF_ACTIVE: [&[u8]; 6] = [
    b"/JavaScript",
    b"/JS",
    b"/Launch",
    b"/EmbeddedFile",
    b"/RichMedia",
    b"/XFA",
];

/// Checks that need no engine. `None` means "nothing found here".
pub fn builtin_checks(bytes: &[u8]) -> Result<FileKind, Verdict> {
    if contains(bytes, EICAR) {
        return Err(Verdict::Infected("EICAR-Test-File".into()));
    }
    let Some(kind) = sniff(bytes) else {
        return Err(Verdict::Rejected(
            "Le fichier n'est ni un PDF, ni une image JPEG, ni une image PNG : seuls ces formats sont acceptés.".into(),
        ));
    };
    match kind {
        FileKind::Pdf => {
            if !contains(&bytes[bytes.len().saturating_sub(1024)..], b"%%EOF") {
                return Err(Verdict::Rejected(
                    "Le fichier PDF est illisible ou incomplet : enregistrez-le de nouveau puis réessayez.".into(),
                ));
            }
            if PDF_ACTIVE.iter().any(|n| contains(bytes, n)) {
                return Err(Verdict::Rejected(
                    "Le fichier PDF contient du contenu actif (script, fichier joint ou lancement de programme) : imprimez-le en PDF ou numérisez-le, puis réessayez.".into(),
                ));
            }
        }
        FileKind::Jpeg => {
            if !bytes.ends_with(&[0xFF, 0xD9]) {
                return Err(Verdict::Rejected(
                    "L'image JPEG est illisible ou incomplète : enregistrez-la de nouveau puis réessayez.".into(),
                ));
            }
        }
        FileKind::Png => {
            if !contains(&bytes[bytes.len().saturating_sub(16)..], b"IEND") {
                return Err(Verdict::Rejected(
                    "L'image PNG est illisible ou incomplète : enregistrez-la de nouveau puis réessayez.".into(),
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

/// The scanner the configuration asks for: clamd when `EP_CLAMD_ADDRESS` is set,
/// the built-in checks alone otherwise.
pub fn from_config(config: &crate::config::Config) -> std::sync::Arc<dyn Scanner> {
    match &config.clamd {
        Some(address) => std::sync::Arc::new(ClamdScanner {
            address: address.clone(),
        }),
        None => std::sync::Arc::new(BuiltinScanner),
    }
}
