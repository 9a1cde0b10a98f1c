//! Scanner: built-in content checks, and a real clamd over INSTREAM.

use ep_common::scan::{BuiltinScanner, ClamdScanner, FileKind, Scanner, Verdict, sniff};

/// The EICAR test string, assembled at run time (never stored whole in the repo).
fn eicar() -> Vec<u8> {
    let mut s = String::from("X5O!P%@AP[4\\PZX54(P^)7CC)7}$");
    s.push_str("EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
    s.into_bytes()
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

#[tokio::test]
async fn types_come_from_content_not_names() {
    assert_eq!(sniff(&pdf()), Some(FileKind::Pdf));
    assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(FileKind::Jpeg));
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(FileKind::Png));
    assert_eq!(sniff(b"MZ\x90\x00 an exe"), None);
    let s = BuiltinScanner;
    assert_eq!(s.scan(&pdf()).await.unwrap(), Verdict::Clean(FileKind::Pdf));
    assert!(
        matches!(s.scan(b"<html>hello</html>").await.unwrap(), Verdict::Rejected(m) if m.contains("PDF"))
    );
    assert!(
        matches!(s.scan(b"%PDF-1.4\ntruncated").await.unwrap(), Verdict::Rejected(m) if m.contains("illisible"))
    );
    let mut js = pdf();
    js.splice(
        10..10,
        b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
            .iter()
            .copied(),
    );
    assert!(
        matches!(s.scan(&js).await.unwrap(), Verdict::Rejected(m) if m.contains("contenu actif"))
    );
    assert!(matches!(
        s.scan(&eicar()).await.unwrap(),
        Verdict::Infected(_)
    ));
    assert!(matches!(
        s.scan(b"\x89PNG\r\n\x1a\nno end").await.unwrap(),
        Verdict::Rejected(_)
    ));
}

fn clamd() -> Option<ClamdScanner> {
    match std::env::var("EP_TEST_CLAMD") {
        Ok(address) => Some(ClamdScanner { address }),
        Err(_) if std::env::var("EP_SKIP_AWS").as_deref() == Ok("1") => None,
        Err(_) => panic!(
            "EP_TEST_CLAMD is not set: run infra/scripts/test-all.sh (it starts clamd), \
             or `infra/scripts/services.sh start` and export EP_TEST_CLAMD=127.0.0.1:3310"
        ),
    }
}

#[tokio::test]
async fn clamd_finds_the_test_signature_and_passes_clean_files() {
    let Some(c) = clamd() else { return };
    let answer = c.instream(&eicar()).await.expect("clamd answers");
    assert!(answer.ends_with("FOUND"), "{answer}");
    let answer = c.instream(&pdf()).await.expect("clamd answers");
    assert_eq!(answer, "stream: OK");
    assert_eq!(c.scan(&pdf()).await.unwrap(), Verdict::Clean(FileKind::Pdf));
    // A big clean file goes through in several chunks.
    let mut big = pdf();
    big.splice(9..9, std::iter::repeat_n(b' ', 3 * 1024 * 1024));
    assert_eq!(c.scan(&big).await.unwrap(), Verdict::Clean(FileKind::Pdf));
}

#[tokio::test]
async fn an_unreachable_clamd_is_an_error_not_a_clean_verdict() {
    let c = ClamdScanner {
        address: "127.0.0.1:1".into(),
    };
    assert!(c.scan(&pdf()).await.is_err());
}
