//! The Blobs port: attachment files (S3 on AWS, a directory locally).

use std::collections::BTreeMap;

use async_trait::async_trait;

/// A stored file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

/// Where and how a browser uploads a file directly (presigned PUT).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UploadTarget {
    pub method: &'static str,
    pub url: String,
    /// Headers the browser must send as they are (they are part of the signature).
    pub headers: BTreeMap<String, String>,
    /// Unix seconds after which the target is refused.
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BlobError {
    #[error("invalid blob key: {0}")]
    InvalidKey(String),
    #[error("blob storage unavailable: {0}")]
    Unavailable(String),
    #[error("blob not found")]
    NotFound,
}

/// Where a browser downloads a file directly (presigned GET), for a short time.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DownloadLink {
    pub url: String,
    /// Unix seconds after which the link is refused.
    pub expires_at: i64,
}

/// The `Content-Disposition` of a download: always `attachment` (the browser saves
/// the file, never renders it in the portal's origin), with an ASCII fallback name
/// and the UTF-8 name (RFC 6266, RFC 8187).
pub fn attachment_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Object tags, e.g. the malware-scan status.
pub type Tags = BTreeMap<String, String>;

/// Keys are relative paths of `[A-Za-z0-9._-]` segments separated by `/`, with no
/// empty, `.` or `..` segment, not ending in `.meta`, at most 512 bytes. Both adapters accept exactly these.
pub fn check_key(key: &str) -> Result<(), BlobError> {
    let ok = !key.is_empty()
        && key.len() <= 512
        && !key.ends_with(".meta")
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
    if ok {
        Ok(())
    } else {
        Err(BlobError::InvalidKey(key.to_owned()))
    }
}

#[async_trait]
pub trait Blobs: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError>;
    async fn get(&self, key: &str) -> Result<Option<Blob>, BlobError>;
    /// Deleting a missing blob is not an error.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    /// A target where a browser may PUT the file until `expires_in_secs` from `now`:
    /// the key, the content type and the exact length are part of the signature (a
    /// body of another length, another key or another type is refused).
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        now: jiff::Timestamp,
        expires_in_secs: i64,
    ) -> Result<UploadTarget, BlobError>;
    /// A link where a browser may GET the file until `expires_in_secs` from `now`,
    /// answered with this content type and `Content-Disposition: attachment`.
    async fn presign_get(
        &self,
        key: &str,
        content_type: &str,
        file_name: &str,
        now: jiff::Timestamp,
        expires_in_secs: i64,
    ) -> Result<DownloadLink, BlobError>;
    /// Replaces the blob's tags. `NotFound` if the blob does not exist.
    async fn set_tags(&self, key: &str, tags: Tags) -> Result<(), BlobError>;
    async fn get_tags(&self, key: &str) -> Result<Tags, BlobError>;
}
