//! The Blobs port on a directory: `<root>/<key>` holds the bytes, `<root>/<key>.meta`
//! (JSON) the content type and tags. Uploads go through the local gateway, which
//! checks an HMAC signature made by `presign_put` (the local stand-in for S3's
//! presigned PUT).

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::blobs::{Blob, BlobError, Blobs, Tags, UploadTarget, check_key};

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Meta {
    content_type: String,
    #[serde(default)]
    tags: Tags,
}

pub struct DirBlobs {
    root: PathBuf,
    secret: Vec<u8>,
    /// Base URL of the local gateway, e.g. `http://127.0.0.1:8080`.
    public_url: String,
}

/// Path prefix of the gateway route that receives presigned uploads.
pub const UPLOAD_PATH: &str = "/_local/blobs/";

fn io(e: std::io::Error) -> BlobError {
    BlobError::Unavailable(e.to_string())
}

impl DirBlobs {
    pub fn new(root: PathBuf, secret: Vec<u8>, public_url: String) -> Result<Self, BlobError> {
        std::fs::create_dir_all(&root).map_err(io)?;
        Ok(DirBlobs {
            root,
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

    fn signature(&self, key: &str, content_type: &str, expires_at: i64) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(format!("PUT\n{key}\n{content_type}\n{expires_at}").as_bytes());
        crate::ids::hex(&mac.finalize().into_bytes())
    }

    /// Checks an upload made to the gateway against the presigned target.
    pub fn verify_upload(
        &self,
        key: &str,
        content_type: &str,
        expires_at: i64,
        signature: &str,
        now: jiff::Timestamp,
    ) -> Result<(), BlobError> {
        check_key(key)?;
        let expected = self.signature(key, content_type, expires_at);
        let same = expected.len() == signature.len()
            && expected
                .bytes()
                .zip(signature.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same || expected.is_empty() {
            return Err(BlobError::InvalidKey("bad signature".into()));
        }
        if now.as_second() > expires_at {
            return Err(BlobError::InvalidKey("upload link expired".into()));
        }
        Ok(())
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
        now: jiff::Timestamp,
        expires_in_secs: i64,
    ) -> Result<UploadTarget, BlobError> {
        check_key(key)?;
        let expires_at = now.as_second() + expires_in_secs;
        let sig = self.signature(key, content_type, expires_at);
        let mut headers = std::collections::BTreeMap::new();
        headers.insert("content-type".to_owned(), content_type.to_owned());
        Ok(UploadTarget {
            method: "PUT",
            url: format!(
                "{}{UPLOAD_PATH}{key}?expires={expires_at}&signature={sig}",
                self.public_url
            ),
            headers,
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
