//! What `template.yaml` declares, created on the AWS stand-in (moto) before the
//! functions start: the table with its indexes, the attachments bucket with its CORS
//! rules (browsers upload there with presigned PUTs), the verified SES sender. Plain
//! HTTP calls in each service's wire format: the gateway links no AWS SDK.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use ep_common::config::Config;

use super::REGION;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A response read whole.
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

/// An `Authorization` header naming the region and service, as moto reads them
/// (it does not check signatures).
pub fn authorization(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
}

pub async fn send(client: &HttpClient, req: http::Request<Full<Bytes>>) -> Result<Answer, String> {
    let res = client.request(req).await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes()
        .to_vec();
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn request(
    method: &str,
    url: &str,
    service: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<http::Request<Full<Bytes>>, String> {
    let mut b = http::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", authorization(service));
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())
}

/// The address of a mailbox written `Name <a@b>` or `a@b`.
pub fn address_of(mailbox: &str) -> String {
    match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(s), Some(e)) if s < e => mailbox[s + 1..e].trim().to_owned(),
        _ => mailbox.trim().to_owned(),
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Creates the table, the bucket (with CORS) and the verified sender; what already
/// exists is kept (a restart on the same moto).
pub async fn create_resources(endpoint: &str, config: &Config) -> Result<(), String> {
    let client = client();
    let endpoint = endpoint.trim_end_matches('/');
    let template = crate::template::TEMPLATE;

    let table = super::env::create_table_request(template, &config.table_name)
        .map_err(|e| e.to_string())?;
    let a = send(
        &client,
        request(
            "POST",
            &format!("{endpoint}/"),
            "dynamodb",
            &[
                ("x-amz-target", "DynamoDB_20120810.CreateTable"),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            table.to_string().into_bytes(),
        )?,
    )
    .await?;
    let text = String::from_utf8_lossy(&a.body);
    if a.status != 200 && !text.contains("ResourceInUseException") {
        return Err(format!("DynamoDB CreateTable: {} {text}", a.status));
    }

    let bucket = &config.attachments_bucket;
    let create = format!(
        "<CreateBucketConfiguration><LocationConstraint>{REGION}</LocationConstraint></CreateBucketConfiguration>"
    );
    let a = send(
        &client,
        request(
            "PUT",
            &format!("{endpoint}/{bucket}"),
            "s3",
            &[],
            create.into_bytes(),
        )?,
    )
    .await?;
    let text = String::from_utf8_lossy(&a.body);
    if a.status != 200 && !text.contains("BucketAlreadyOwnedByYou") {
        return Err(format!("S3 CreateBucket {bucket}: {} {text}", a.status));
    }
    let cors = super::env::bucket_cors_xml(template, config).map_err(|e| e.to_string())?;
    let a = send(
        &client,
        request(
            "PUT",
            &format!("{endpoint}/{bucket}?cors"),
            "s3",
            &[("content-type", "application/xml")],
            cors.into_bytes(),
        )?,
    )
    .await?;
    if a.status != 200 {
        return Err(format!(
            "S3 PutBucketCors {bucket}: {} {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        ));
    }

    let form = format!(
        "Action=VerifyEmailIdentity&Version=2010-12-01&EmailAddress={}",
        form_encode(&address_of(&config.mail_from))
    );
    let a = send(
        &client,
        request(
            "POST",
            &format!("{endpoint}/"),
            "ses",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.into_bytes(),
        )?,
    )
    .await?;
    if a.status != 200 {
        return Err(format!(
            "SES VerifyEmailIdentity: {} {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        ));
    }
    Ok(())
}
