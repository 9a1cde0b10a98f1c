//! The Blobs port on S3.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging};

use crate::blobs::{
    Blob, BlobError, Blobs, DownloadLink, Tags, UploadTarget, attachment_disposition, check_key,
};

pub struct S3Blobs {
    client: super::Lazy<Client>,
    bucket: String,
}

fn unavailable<E: ProvideErrorMetadata + std::fmt::Debug>(e: &E) -> BlobError {
    BlobError::Unavailable(match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_owned(),
        _ => format!("{e:?}"),
    })
}

fn is_not_found<E: ProvideErrorMetadata>(e: &E) -> bool {
    matches!(e.code(), Some("NoSuchKey" | "NotFound" | "404"))
}

fn presigning(now: jiff::Timestamp, expires_in_secs: i64) -> Result<PresigningConfig, BlobError> {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(now.as_second().max(0) as u64);
    PresigningConfig::builder()
        .start_time(start)
        .expires_in(Duration::from_secs(expires_in_secs.max(1) as u64))
        .build()
        .map_err(|e| BlobError::Unavailable(e.to_string()))
}

/// The lower-case names in a presigned URL's `X-Amz-SignedHeaders` (`;`-separated,
/// percent-encoded in the query).
fn signed_headers(uri: &str) -> Vec<String> {
    uri.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("X-Amz-SignedHeaders="))
        .map(|v| {
            v.replace("%3B", ";")
                .replace("%3b", ";")
                .split(';')
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

impl S3Blobs {
    pub fn new(client: Client, bucket: String) -> Self {
        S3Blobs {
            client: super::Lazy::ready(client),
            bucket,
        }
    }

    /// The client is built at the first call; `path_style` for S3-compatible test
    /// servers (moto).
    pub fn lazy(sdk: aws_types::SdkConfig, path_style: bool, bucket: String) -> Self {
        S3Blobs {
            client: super::Lazy::new(move || {
                let conf = aws_sdk_s3::config::Builder::from(&sdk)
                    .force_path_style(path_style)
                    .build();
                Client::from_conf(conf)
            }),
            bucket,
        }
    }

    /// Creates the bucket (tests against moto; on AWS the template creates it).
    pub async fn create_bucket(&self, region: &str) -> Result<(), BlobError> {
        use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
        self.client
            .create_bucket()
            .bucket(&self.bucket)
            .create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| unavailable(&e.into_service_error()))?;
        Ok(())
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError> {
        check_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| unavailable(&e.into_service_error()))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Blob>, BlobError> {
        check_key(key)?;
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = e.into_service_error();
                if e.is_no_such_key() || is_not_found(&e) {
                    return Ok(None);
                }
                return Err(unavailable(&e));
            }
        };
        let content_type = out
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into());
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| BlobError::Unavailable(e.to_string()))?
            .into_bytes()
            .to_vec();
        Ok(Some(Blob {
            bytes,
            content_type,
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        check_key(key)?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| unavailable(&e.into_service_error()))?;
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
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(i64::try_from(content_length).unwrap_or(i64::MAX))
            .presigned(presigning(now, expires_in_secs)?)
            .await
            .map_err(|e| BlobError::Unavailable(e.to_string()))?;
        // Content-Length is signed, but a browser may not set it: it sends the file's
        // own length, which S3 then checks against the signature. Only signed headers
        // go to the browser: on Lambda the SDK also adds X-Ray's x-amzn-trace-id,
        // which the bucket's CORS rules do not allow.
        let signed = signed_headers(req.uri());
        let headers = req
            .headers()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
            .filter(|(k, _)| k != "content-length" && k != "host" && signed.contains(k))
            .collect();
        Ok(UploadTarget {
            method: "PUT",
            url: req.uri().to_owned(),
            headers,
            expires_at: now.as_second() + expires_in_secs,
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
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(content_type)
            .response_content_disposition(attachment_disposition(file_name))
            .presigned(presigning(now, expires_in_secs)?)
            .await
            .map_err(|e| BlobError::Unavailable(e.to_string()))?;
        Ok(DownloadLink {
            url: req.uri().to_owned(),
            expires_at: now.as_second() + expires_in_secs,
        })
    }

    async fn set_tags(&self, key: &str, tags: Tags) -> Result<(), BlobError> {
        check_key(key)?;
        let tag_set = tags
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BlobError::Unavailable(e.to_string()))?;
        let tagging = Tagging::builder()
            .set_tag_set(Some(tag_set))
            .build()
            .map_err(|e| BlobError::Unavailable(e.to_string()))?;
        match self
            .client
            .put_object_tagging()
            .bucket(&self.bucket)
            .key(key)
            .tagging(tagging)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = e.into_service_error();
                Err(if is_not_found(&e) {
                    BlobError::NotFound
                } else {
                    unavailable(&e)
                })
            }
        }
    }

    async fn get_tags(&self, key: &str) -> Result<Tags, BlobError> {
        check_key(key)?;
        match self
            .client
            .get_object_tagging()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()),
            Err(e) => {
                let e = e.into_service_error();
                Err(if is_not_found(&e) {
                    BlobError::NotFound
                } else {
                    unavailable(&e)
                })
            }
        }
    }
}
