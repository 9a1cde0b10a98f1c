//! Blobs cases, for the directory adapter and S3 (moto).

use std::collections::BTreeMap;

use ep_common::blobs::{BlobError, Blobs};

pub async fn round_trip(b: &dyn Blobs) {
    let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    b.put("req/abc/1.pdf", bytes.clone(), "application/pdf")
        .await
        .expect("put");
    let got = b.get("req/abc/1.pdf").await.expect("get").expect("present");
    assert_eq!(got.bytes, bytes);
    assert_eq!(got.content_type, "application/pdf");
    b.put("req/abc/1.pdf", b"%PDF-2".to_vec(), "application/pdf")
        .await
        .expect("overwrite");
    assert_eq!(
        b.get("req/abc/1.pdf").await.unwrap().unwrap().bytes,
        b"%PDF-2"
    );
}

pub async fn missing_and_delete(b: &dyn Blobs) {
    assert_eq!(b.get("nothing/here.png").await.expect("get"), None);
    b.put("x/y.png", vec![1, 2, 3], "image/png").await.unwrap();
    b.delete("x/y.png").await.expect("delete");
    assert_eq!(b.get("x/y.png").await.unwrap(), None);
    b.delete("x/y.png").await.expect("deleting twice is fine");
}

pub async fn tags(b: &dyn Blobs) {
    b.put("scan/me.jpg", vec![0xFF, 0xD8, 0xFF, 0xD9], "image/jpeg")
        .await
        .unwrap();
    assert_eq!(b.get_tags("scan/me.jpg").await.unwrap(), BTreeMap::new());
    let tags = BTreeMap::from([
        ("scan".to_owned(), "pending".to_owned()),
        ("request".to_owned(), "r-1".to_owned()),
    ]);
    b.set_tags("scan/me.jpg", tags.clone())
        .await
        .expect("set tags");
    assert_eq!(b.get_tags("scan/me.jpg").await.unwrap(), tags);
    let safe = BTreeMap::from([("scan".to_owned(), "safe".to_owned())]);
    b.set_tags("scan/me.jpg", safe.clone()).await.unwrap();
    assert_eq!(
        b.get_tags("scan/me.jpg").await.unwrap(),
        safe,
        "tags are replaced"
    );
    assert_eq!(
        b.get("scan/me.jpg").await.unwrap().unwrap().bytes,
        vec![0xFF, 0xD8, 0xFF, 0xD9],
        "tagging leaves the content alone"
    );
    assert_eq!(
        b.get_tags("scan/absent.jpg").await,
        Err(BlobError::NotFound)
    );
    assert_eq!(
        b.set_tags("scan/absent.jpg", safe).await,
        Err(BlobError::NotFound)
    );
}

pub async fn invalid_keys(b: &dyn Blobs) {
    for key in [
        "",
        "../etc/passwd",
        "a//b",
        "/abs",
        "a/./b",
        "sp ace",
        "x.meta",
        "é",
    ] {
        assert!(
            matches!(
                b.put(key, vec![1], "image/png").await,
                Err(BlobError::InvalidKey(_))
            ),
            "{key:?} refused"
        );
    }
}
