//! One conformance suite per port, run against both adapters: the embedded ones
//! (SQLite, directory, outbox) and the AWS ones against a moto server on the wire.

mod blobs;
mod mailer;
mod scanner;
mod table;
mod wire;

use std::sync::Arc;

use ep_common::aws::{DynamoTable, S3Blobs, SesMailer};
use ep_common::embedded::{DirBlobs, OutboxMailer, SqliteTable};
use ep_tests::{REGION, TempDir, moto_endpoint, moto_sdk, unique};

pub fn sqlite() -> (Arc<SqliteTable>, TempDir) {
    let dir = TempDir::new();
    let t = SqliteTable::open(&dir.0.join("t.sqlite")).expect("sqlite");
    (Arc::new(t), dir)
}

pub async fn dynamo() -> Option<Arc<DynamoTable>> {
    let endpoint = moto_endpoint()?;
    let sdk = moto_sdk(&endpoint).await;
    let t = DynamoTable::new(aws_sdk_dynamodb::Client::new(&sdk), unique("ep-table"));
    t.create_table().await.expect("create table in moto");
    Some(Arc::new(t))
}

pub fn dir_blobs() -> (Arc<DirBlobs>, TempDir) {
    let dir = TempDir::new();
    let b = DirBlobs::new(
        dir.0.join("blobs"),
        vec![7u8; 32],
        "http://127.0.0.1:8080".into(),
    )
    .expect("blobs");
    (Arc::new(b), dir)
}

pub async fn s3() -> Option<Arc<S3Blobs>> {
    let endpoint = moto_endpoint()?;
    let sdk = moto_sdk(&endpoint).await;
    let conf = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(true)
        .build();
    let b = S3Blobs::new(aws_sdk_s3::Client::from_conf(conf), unique("ep-bucket"));
    b.create_bucket(REGION)
        .await
        .expect("create bucket in moto");
    Some(Arc::new(b))
}

pub fn outbox() -> (Arc<OutboxMailer>, TempDir) {
    let dir = TempDir::new();
    let m = OutboxMailer::new(dir.0.join("outbox")).expect("outbox");
    (Arc::new(m), dir)
}

pub async fn ses() -> Option<(Arc<SesMailer>, String)> {
    let endpoint = moto_endpoint()?;
    let sdk = moto_sdk(&endpoint).await;
    Some((
        Arc::new(SesMailer::new(aws_sdk_ses::Client::new(&sdk))),
        endpoint,
    ))
}

/// Runs one table case against SQLite and against DynamoDB (moto).
macro_rules! table_cases {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn sqlite() {
                let (t, _dir) = crate::sqlite();
                crate::table::$case(t.as_ref()).await;
            }
            #[tokio::test]
            async fn dynamodb() {
                if let Some(t) = crate::dynamo().await {
                    crate::table::$case(t.as_ref()).await;
                }
            }
        }
    )*};
}

macro_rules! blob_cases {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn directory() {
                let (b, _dir) = crate::dir_blobs();
                crate::blobs::$case(b.as_ref()).await;
            }
            #[tokio::test]
            async fn s3() {
                if let Some(b) = crate::s3().await {
                    crate::blobs::$case(b.as_ref()).await;
                }
            }
        }
    )*};
}

mod table_conformance {
    table_cases!(
        put_get_round_trip_with_unicode,
        conditional_put_conflict,
        conditional_delete,
        failed_transaction_writes_nothing,
        transaction_of_25_writes,
        transaction_shape_is_checked,
        update_sets_and_removes,
        gsi_is_sparse,
        pagination_across_pages,
        sort_key_ranges,
        due_index_finds_what_is_due,
        item_size_limit,
        invalid_items_are_refused,
        get_many_reads_keys_in_order_in_one_call,
    );
}

mod blob_conformance {
    blob_cases!(round_trip, missing_and_delete, tags, invalid_keys,);
}

/// Deleted content must leave every file of the data directory (SPEC §3 deletion,
/// RGPD): SQLite runs with `secure_delete` and is checkpointed after a purge.
mod erasure {
    use ep_common::table::{Cond, Item, Table};

    fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
        let mut hits = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                hits.extend(files_containing(&path, needle));
            } else {
                let bytes = std::fs::read(&path).expect("read file");
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    hits.push(path.display().to_string());
                }
            }
        }
        hits
    }

    #[tokio::test]
    async fn deleted_and_overwritten_content_is_gone_from_every_file() {
        let (t, dir) = crate::sqlite();
        let marker = "Zéphyrine-Marqueur-7731";
        let old_email = "ancienne.adresse-9981@structure.example.org";
        for i in 0..50 {
            t.put(
                Item::new(format!("USER#{i}"), "PROFILE").with("name", format!("{marker}-{i}")),
                Cond::None,
            )
            .await
            .unwrap();
        }
        t.put(
            Item::new("USER#keep", "PROFILE").with("email", old_email),
            Cond::None,
        )
        .await
        .unwrap();
        t.checkpoint().await.unwrap();
        assert!(
            !files_containing(&dir.0, marker.as_bytes()).is_empty(),
            "marker written"
        );
        for i in 0..50 {
            t.delete(&format!("USER#{i}"), "PROFILE", Cond::None)
                .await
                .unwrap();
        }
        t.put(
            Item::new("USER#keep", "PROFILE").with("email", "effacee"),
            Cond::None,
        )
        .await
        .unwrap();
        t.checkpoint().await.unwrap();
        assert_eq!(
            files_containing(&dir.0, marker.as_bytes()),
            Vec::<String>::new()
        );
        assert_eq!(
            files_containing(&dir.0, old_email.as_bytes()),
            Vec::<String>::new()
        );
    }
}

mod presign {
    use ep_common::blobs::Blobs;

    #[tokio::test]
    async fn local_links_are_signed_bound_to_key_type_length_and_expire() {
        let (b, _dir) = crate::dir_blobs();
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let target = b
            .presign_put("req/1/a.pdf", "application/pdf", 1234, now, 300)
            .await
            .unwrap();
        assert_eq!(target.method, "PUT");
        assert_eq!(
            target.headers.get("content-type").map(String::as_str),
            Some("application/pdf")
        );
        let url = url_query(&target.url);
        let sig = url.get("signature").unwrap();
        let exp: i64 = url.get("expires").unwrap().parse().unwrap();
        assert_eq!(exp, now.as_second() + 300);
        assert_eq!(url.get("length").map(String::as_str), Some("1234"));
        use ep_common::embedded::blobs::LinkRefusal::*;
        let v = |key: &str, ct: &str, len: u64, exp: i64, at: jiff::Timestamp| {
            b.verify_upload(key, ct, len, exp, sig, at)
        };
        assert_eq!(v("req/1/a.pdf", "application/pdf", 1234, exp, now), Ok(()));
        assert_eq!(
            v("req/1/b.pdf", "application/pdf", 1234, exp, now),
            Err(BadSignature)
        );
        assert_eq!(
            v("req/1/a.pdf", "image/png", 1234, exp, now),
            Err(BadSignature)
        );
        assert_eq!(
            v("req/1/a.pdf", "application/pdf", 1235, exp, now),
            Err(BadSignature)
        );
        assert_eq!(
            v("req/1/a.pdf", "application/pdf", 1234, exp + 1, now),
            Err(BadSignature)
        );
        let later = jiff::Timestamp::from_second(exp + 1).unwrap();
        assert_eq!(
            v("req/1/a.pdf", "application/pdf", 1234, exp, later),
            Err(Expired)
        );
        assert_eq!(b.claim_upload(exp, sig, now), Ok(()));
        assert_eq!(
            b.claim_upload(exp, sig, now),
            Err(Reused),
            "a link is used once"
        );

        let link = b
            .presign_get("req/1/a.pdf", "application/pdf", "relevé.pdf", now, 60)
            .await
            .unwrap();
        assert_eq!(link.expires_at, now.as_second() + 60);
        let q = url_query(&link.url);
        assert_eq!(
            b.verify_download("req/1/a.pdf", &q, now),
            Ok(("application/pdf".to_owned(), "relevé.pdf".to_owned()))
        );
        assert_eq!(b.verify_download("req/1/b.pdf", &q, now), Err(BadSignature));
        let mut html = q.clone();
        html.insert("type".into(), "text%2Fhtml".into());
        assert_eq!(
            b.verify_download("req/1/a.pdf", &html, now),
            Err(BadSignature)
        );
        let late = jiff::Timestamp::from_second(link.expires_at + 1).unwrap();
        assert_eq!(b.verify_download("req/1/a.pdf", &q, late), Err(Expired));
    }

    #[tokio::test]
    async fn s3_presigned_put_binds_length_and_type_and_get_downloads_as_attachment() {
        let Some(b) = crate::s3().await else { return };
        let now = jiff::Timestamp::now();
        let png = b"\x89PNG\r\n\x1a\nfake-png-IEND".to_vec();
        let target = b
            .presign_put("req/2/scan.png", "image/png", png.len() as u64, now, 300)
            .await
            .unwrap();
        assert!(target.url.contains("X-Amz-Signature="), "{}", target.url);
        let signed = url_query(&target.url)
            .get("X-Amz-SignedHeaders")
            .cloned()
            .unwrap_or_default();
        assert!(signed.contains("content-length"), "{signed}");
        assert!(signed.contains("content-type"), "{signed}");
        assert!(target.url.contains("X-Amz-Expires=300"), "{}", target.url);
        assert!(
            !target.headers.contains_key("content-length"),
            "a browser cannot set it: it sends the file's own length"
        );
        let headers: Vec<(&str, &str)> = target
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let res = ep_tests::send("PUT", &target.url, &headers, png.clone()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let got = b.get("req/2/scan.png").await.unwrap().unwrap();
        assert_eq!(got.bytes, png);
        assert_eq!(got.content_type, "image/png");

        let link = b
            .presign_get("req/2/scan.png", "image/png", "reçu.png", now, 60)
            .await
            .unwrap();
        assert_eq!(link.expires_at, now.as_second() + 60);
        assert!(link.url.contains("X-Amz-Expires=60"), "{}", link.url);
        assert!(
            link.url.contains("response-content-disposition=attachment"),
            "{}",
            link.url
        );
        let res = ep_tests::send("GET", &link.url, &[], vec![]).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.body, png);
        assert_eq!(res.header("content-type").as_deref(), Some("image/png"));
        let cd = res.header("content-disposition").unwrap_or_default();
        assert!(cd.starts_with("attachment;"), "{cd}");
        assert!(cd.contains("re_u.png"), "{cd}");
    }

    fn url_query(url: &str) -> std::collections::HashMap<String, String> {
        url.split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("")
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}
