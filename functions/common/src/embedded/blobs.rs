//! The Blobs port on a directory: `<root>/<key>` holds the bytes, `<root>/<key>.meta`
//! (JSON) the content type and tags. Uploads and downloads go through the local
//! gateway, which checks an HMAC signature made by `presign_put` / `presign_get` (the
//! local stand-in for S3's presigned URLs): the key, the content type, the exact
//! length (uploads), the disposition (downloads) and the expiry are signed. An
//! upload signature is used once: `<root>.used/<expiry>-<signature>` is created
//! exclusively before the body is stored, and pruned once expired.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::blobs::{Blob, BlobError, Blobs, DownloadLink, Tags, UploadTarget, check_key};

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Meta {
    content_type: String,
    #[serde(default)]
    tags: Tags,
}

pub struct DirBlobs {
    root: PathBuf,
    /// Markers of upload signatures already used.
    used: PathBuf,
    secret: Vec<u8>,
    /// Base URL of the local gateway, e.g. `http://127.0.0.1:8080`.
    public_url: String,
}

/// Path prefix of the gateway route that receives presigned uploads and serves
/// presigned downloads.
pub const UPLOAD_PATH: &str = "/_local/blobs/";

/// Why the gateway refuses an upload or a download (each has its own message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Not made by this installation, or made for another key, type or length.
    BadSignature,
    Expired,
    /// The body's length differs from the signed one.
    WrongLength,
    /// The upload link was already used.
    Reused,
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn query_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a percent-encoded query value (`+` is a space); `None` if malformed.
pub fn query_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn io(e: std::io::Error) -> BlobError {
    BlobError::Unavailable(e.to_string())
}

impl DirBlobs {
    pub fn new(root: PathBuf, secret: Vec<u8>, public_url: String) -> Result<Self, BlobError> {
        std::fs::create_dir_all(&root).map_err(io)?;
        let mut used = root.clone().into_os_string();
        used.push(".used");
        let used = PathBuf::from(used);
        std::fs::create_dir_all(&used).map_err(io)?;
        Ok(DirBlobs {
            root,
            used,
            secret,
            public_url: public_url.trim_end_matches('/').to_owned(),
        })
    }

    fn paths(&self, key: &str) -> Result<(PathBuf, PathBuf), BlobError> {
        check_key(key)?;
        let data = self.root.join(key);
        let meta = self.root.join(format!("{key}.meta"));
        Ok((data, meta))
    }

    fn sign(&self, text: &str) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(text.as_bytes());
        crate::ids::hex(&mac.finalize().into_bytes())
    }

    fn put_signature(&self, key: &str, content_type: &str, length: u64, expires_at: i64) -> String {
        self.sign(&format!(
            "PUT\n{key}\n{content_type}\n{length}\n{expires_at}"
        ))
    }

    fn get_signature(&self, key: &str, content_type: &str, name: &str, expires_at: i64) -> String {
        self.sign(&format!("GET\n{key}\n{content_type}\n{name}\n{expires_at}"))
    }

    /// Checks an upload made to the gateway against the presigned target, before its
    /// body is read: signature (key, type, length, expiry) and expiry.
    pub fn verify_upload(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        expires_at: i64,
        signature: &str,
        now: jiff::Timestamp,
    ) -> Result<(), LinkRefusal> {
        check_key(key).map_err(|_| LinkRefusal::BadSignature)?;
        let expected = self.put_signature(key, content_type, length, expires_at);
        if expected.is_empty() || !same(&expected, signature) {
            return Err(LinkRefusal::BadSignature);
        }
        if now.as_second() > expires_at {
            return Err(LinkRefusal::Expired);
        }
        Ok(())
    }

    /// Marks an upload signature used (exclusive creation: of two uploads with the
    /// same link, one only goes on); `Reused` if it already was. Expired markers
    /// are pruned on the way.
    pub fn claim_upload(
        &self,
        expires_at: i64,
        signature: &str,
        now: jiff::Timestamp,
    ) -> Result<(), LinkRefusal> {
        if let Ok(entries) = std::fs::read_dir(&self.used) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let exp = name.split('-').next().and_then(|x| x.parse::<i64>().ok());
                if exp.is_none_or(|x| x < now.as_second()) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        if signature.is_empty() || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(LinkRefusal::BadSignature);
        }
        let marker = self.used.join(format!("{expires_at}-{signature}"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(marker)
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(LinkRefusal::Reused),
            Err(_) => Err(LinkRefusal::Reused),
        }
    }

    /// Checks a download link made by `presign_get`; returns the content type and
    /// the file name to answer with.
    pub fn verify_download(
        &self,
        key: &str,
        query: &std::collections::HashMap<String, String>,
        now: jiff::Timestamp,
    ) -> Result<(String, String), LinkRefusal> {
        check_key(key).map_err(|_| LinkRefusal::BadSignature)?;
        let get = |k: &str| query.get(k).and_then(|v| query_decode(v));
        let (Some(ct), Some(name), Some(exp), Some(sig)) =
            (get("type"), get("name"), get("expires"), get("signature"))
        else {
            return Err(LinkRefusal::BadSignature);
        };
        let exp: i64 = exp.parse().map_err(|_| LinkRefusal::BadSignature)?;
        let expected = self.get_signature(key, &ct, &name, exp);
        if expected.is_empty() || !same(&expected, &sig) {
            return Err(LinkRefusal::BadSignature);
        }
        if now.as_second() > exp {
            return Err(LinkRefusal::Expired);
        }
        Ok((ct, name))
    }
}

async fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BlobError> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
    }
    let tmp = path.with_extension(format!(
        "tmp{}",
        jiff::Timestamp::now().as_nanosecond() % 1_000_000_007
    ));
    tokio::fs::write(&tmp, bytes).await.map_err(io)?;
    tokio::fs::rename(&tmp, path).await.map_err(io)
}

async fn read_meta(path: &Path) -> Result<Option<Meta>, BlobError> {
    match tokio::fs::read(path).await {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| BlobError::Unavailable(format!("metadata: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(e)),
    }
}

#[async_trait]
impl Blobs for DirBlobs {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError> {
        let (data, meta) = self.paths(key)?;
        let m = Meta {
            content_type: content_type.to_owned(),
            tags: Tags::new(),
        };
        write_atomic(&data, &bytes).await?;
        let json = serde_json::to_vec(&m).map_err(|e| BlobError::Unavailable(e.to_string()))?;
        write_atomic(&meta, &json).await
    }

    async fn get(&self, key: &str) -> Result<Option<Blob>, BlobError> {
        let (data, meta) = self.paths(key)?;
        let Some(m) = read_meta(&meta).await? else {
            return Ok(None);
        };
        match tokio::fs::read(&data).await {
            Ok(bytes) => Ok(Some(Blob {
                bytes,
                content_type: m.content_type,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let (data, meta) = self.paths(key)?;
        for p in [data, meta] {
            match tokio::fs::remove_file(&p).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }

    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        now: jiff::Timestamp,
        expires_in_secs: i64,
    ) -> Result<UploadTarget, BlobError> {
        check_key(key)?;
        let expires_at = now.as_second() + expires_in_secs;
        let sig = self.put_signature(key, content_type, content_length, expires_at);
        let mut headers = std::collections::BTreeMap::new();
        headers.insert("content-type".to_owned(), content_type.to_owned());
        Ok(UploadTarget {
            method: "PUT",
            url: format!(
                "{}{UPLOAD_PATH}{key}?length={content_length}&expires={expires_at}&signature={sig}",
                self.public_url
            ),
            headers,
            expires_at,
        })
    }

    async fn presign_get(
        &self,
        key: &str,
        content_type: &str,
        file_name: &str,
        now: jiff::Timestamp,
        expires_in_secs: i64,
    ) -> Result<DownloadLink, BlobError> {
        check_key(key)?;
        let expires_at = now.as_second() + expires_in_secs;
        let sig = self.get_signature(key, content_type, file_name, expires_at);
        Ok(DownloadLink {
            url: format!(
                "{}{UPLOAD_PATH}{key}?type={}&name={}&expires={expires_at}&signature={sig}",
                self.public_url,
                query_encode(content_type),
                query_encode(file_name),
            ),
            expires_at,
        })
    }

    async fn set_tags(&self, key: &str, tags: Tags) -> Result<(), BlobError> {
        let (_, meta) = self.paths(key)?;
        let Some(mut m) = read_meta(&meta).await? else {
            return Err(BlobError::NotFound);
        };
        m.tags = tags;
        let json = serde_json::to_vec(&m).map_err(|e| BlobError::Unavailable(e.to_string()))?;
        write_atomic(&meta, &json).await
    }

    async fn get_tags(&self, key: &str) -> Result<Tags, BlobError> {
        let (_, meta) = self.paths(key)?;
        match read_meta(&meta).await? {
            Some(m) => Ok(m.tags),
            None => Err(BlobError::NotFound),
        }
    }
}
