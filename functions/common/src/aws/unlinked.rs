//! The ports of a client this binary does not link (ep-auth, ep-accounts and
//! ep-requests have no S3 client: uploads, downloads and blob deletions are the
//! attachments and maintenance functions' work). A call is a deployment error: it
//! answers `Unavailable`, which the callers already treat as temporary (an email
//! stays queued for the maintenance run, a blob deletion record stays for its sweep).

use async_trait::async_trait;

#[cfg(not(feature = "s3"))]
use crate::blobs::{Blob, BlobError, Blobs, DownloadLink, Tags, UploadTarget};
#[cfg(not(feature = "ses"))]
use crate::mail::{MailError, Mailer, RawEmail};

#[cfg(not(feature = "s3"))]
pub struct NoBlobs;

#[cfg(not(feature = "s3"))]
fn no_s3() -> BlobError {
    BlobError::Unavailable("this function is built without the S3 client".to_owned())
}

#[cfg(not(feature = "s3"))]
#[async_trait]
impl Blobs for NoBlobs {
    async fn put(&self, _: &str, _: Vec<u8>, _: &str) -> Result<(), BlobError> {
        Err(no_s3())
    }
    async fn get(&self, _: &str) -> Result<Option<Blob>, BlobError> {
        Err(no_s3())
    }
    async fn delete(&self, _: &str) -> Result<(), BlobError> {
        Err(no_s3())
    }
    async fn presign_put(
        &self,
        _: &str,
        _: &str,
        _: u64,
        _: jiff::Timestamp,
        _: i64,
    ) -> Result<UploadTarget, BlobError> {
        Err(no_s3())
    }
    async fn presign_get(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: jiff::Timestamp,
        _: i64,
    ) -> Result<DownloadLink, BlobError> {
        Err(no_s3())
    }
    async fn set_tags(&self, _: &str, _: Tags) -> Result<(), BlobError> {
        Err(no_s3())
    }
    async fn get_tags(&self, _: &str) -> Result<Tags, BlobError> {
        Err(no_s3())
    }
}

#[cfg(not(feature = "ses"))]
pub struct NoMailer;

#[cfg(not(feature = "ses"))]
#[async_trait]
impl Mailer for NoMailer {
    async fn send(&self, _: &RawEmail) -> Result<(), MailError> {
        Err(MailError::Unavailable(
            "this function is built without the SES client".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(feature = "s3"))]
    #[tokio::test]
    async fn blobs_without_s3_are_unavailable() {
        assert!(matches!(
            NoBlobs.delete("a/b").await,
            Err(BlobError::Unavailable(_))
        ));
        assert!(matches!(
            NoBlobs.get("a/b").await,
            Err(BlobError::Unavailable(_))
        ));
    }
}
