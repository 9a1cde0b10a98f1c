//! Unit tests of `nir`.
use super::*;
use proptest::prelude::*;

// Fictitious NIRs: key computed by the algorithm.
const NIR: &str = "185057800608491"; // 1 85 05 78 006 084 ?? (key checked below)

fn with_key(body: &str) -> String {
    format!("{body}{:02}", nir_key(body).unwrap())
}

#[test]
fn spec_4_nir_key_algorithm() {
    // 97 − (1850578006084 mod 97)
    let expected = 97 - 1_850_578_006_084u64 % 97;
    assert_eq!(u64::from(nir_key("1850578006084").unwrap()), expected);
    assert_eq!(&NIR[..13], "1850578006084");
    // Corsica: 2A → 19, 2B → 18
    let a = nir_key("185052A006084").unwrap();
    assert_eq!(u64::from(a), 97 - 1_850_519_006_084u64 % 97);
    let b = nir_key("185052B006084").unwrap();
    assert_eq!(u64::from(b), 97 - 1_850_518_006_084u64 % 97);
    assert_eq!(nir_key("12"), None);
}

#[test]
fn spec_4_nir_layouts_found() {
    let n = with_key("1850578006084");
    let k = &n[13..];
    for text in [
        n.clone(),
        format!("1 85 05 78 006 084 {k}"),
        format!("1.85.05.78.006.084.{k}"),
        format!("1-85-05-78-006-084-{k}"),
        format!("1850578006084 {k}"),
        format!("NIR : 1 85 05 78 006 084 {k}."),
        format!("n°{n}, merci"),
    ] {
        let f = find_nirs(&text);
        assert_eq!(f.len(), 1, "{text}");
        assert!(f[0].span.slice(&text).starts_with('1'));
    }
    let corse = with_key("294072B123045");
    assert!(contains_nir(&format!(
        "née le 1/7/94 : {} {}",
        &corse[..13],
        &corse[13..]
    )));
    assert!(contains_nir(&corse.to_lowercase()));
    let dom = with_key("1760597105123");
    assert!(contains_nir(&format!("1 76 05 971 05 123 {}", &dom[13..])));
}

/// Issue 10: separators seen in real text — several blanks, no-break spaces,
/// slashes, « clé », a line break — mixed freely, between groups and before the key.
#[test]
fn spec_4_nir_generalised_separators() {
    let n = with_key("1850578006084");
    let k = &n[13..];
    for text in [
        format!("1850578006084/{k}"),
        format!("1850578006084 / {k}"),
        format!("1 85 05 78 006 084 clé {k}"),
        format!("1 85 05 78 006 084 cle {k}"),
        format!("1 85 05 78 006 084 clef {k}"),
        format!("1850578006084 Clé : {k}"),
        format!("1850578006084 CLÉ: {k}"),
        format!("1850578006084, clé\u{a0}:\u{a0}{k}"),
        format!("1850578006084 - clef {k}"),
        format!("1850578006084 cle\u{301} {k}"),
        format!("1850578006084clé{k}"),
        format!("1  85   05 78 006 084  {k}"),
        format!("1\u{a0}85\u{202f}05\u{a0}78 006\u{2009}084 {k}"),
        format!("1.85-05/78 006.084/{k}"),
        format!("1 85 05 78 006 084\n{k}"),
        format!("1 85 05\r\n78 006 084 {k}"),
        format!("1 - 85 - 05 - 78 - 006 - 084 - {k}"),
        format!("1/85/05/78/006/084/{k}"),
        format!("NIR :\t1\t85\t05\t78\t006\t084\t{k}."),
    ] {
        let f = find_nirs(&text);
        assert_eq!(f.len(), 1, "{text:?}");
        assert!(f[0].span.slice(&text).starts_with('1'), "{text:?}");
        assert!(f[0].span.slice(&text).ends_with(k), "{text:?}");
    }
}

#[test]
fn spec_4_nir_spans_are_exact() {
    let n = with_key("2921169123456");
    let text = format!("Éléonore : {} {} fin", &n[..13], &n[13..]);
    let f = find_nirs(&text);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].span.slice(&text), format!("{} {}", &n[..13], &n[13..]));
    assert_eq!(f[0].span.char_start, 11);
    assert_eq!(f[0].span.char_end, 11 + 16);
}

#[test]
fn spec_4_nir_rejections() {
    let n = with_key("1850578006084");
    let wrong_key = format!(
        "{}{:02}",
        &n[..13],
        (n[13..].parse::<u8>().unwrap() % 97) + 1
    );
    assert!(!contains_nir(&wrong_key));
    assert!(!contains_nir(&format!("9{n}")), "preceded by a digit");
    assert!(!contains_nir(&format!("{n}0")), "followed by a digit");
    assert!(
        !contains_nir(&format!("1850 578006084{}", &n[13..])),
        "separator off-group"
    );
    assert!(
        !contains_nir(&format!("1 85 05 78 006 084{}{}", " ".repeat(7), &n[13..])),
        "a run of blanks longer than MAX_BLANKS"
    );
    assert!(
        !contains_nir(&format!("1 85 05 78 006\n\n084 {}", &n[13..])),
        "two line breaks: two separate lines, not one number"
    );
    assert!(
        !contains_nir(&format!("1 85 05 78 006 084 ..{}", &n[13..])),
        "two punctuation marks"
    );
    assert!(
        !contains_nir(&format!("1-85-05-78-006-084-{}-12", &n[13..])),
        "a longer hyphenated number"
    );
    assert!(
        !contains_nir(&format!("18505  78006  084{}  12345", &n[13..])),
        "groups of a longer number, the key inside a group"
    );
    assert!(
        contains_nir(&format!("1 85 05 78 006 084 {} 12 rue des Lilas", &n[13..])),
        "a separated key followed by an address is still a NIR"
    );
    assert!(
        !contains_nir(&format!("1 85 05 78 006 084 clés {}", &n[13..])),
        "« clés » is not the key word"
    );
    assert!(
        !contains_nir(&format!("1 clé 85 05 78 006 084 {}", &n[13..])),
        "« clé » only before the key"
    );
    // sex digit 5 / month 13 / dept 00 never match, whatever the key
    for body in [
        "5850578006084",
        "1851378006084",
        "1850500006084",
        "185052C006084",
    ] {
        for key in 1..=97u8 {
            assert!(!contains_nir(&format!("{body}{key:02}")), "{body}{key:02}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// SPEC §4: every generated valid NIR is found, in several layouts, inside text.
    #[test]
    fn spec_4_generated_nirs_found(
        sex in prop::sample::select(vec![1u8, 2, 3, 4, 7, 8]),
        year in 0u8..100,
        month in prop::sample::select((1u8..=12).chain(20..=42).chain(50..=99).collect::<Vec<_>>()),
        dept in 1u8..100, corse in 0u8..3, commune in 0u16..1000, order in 0u16..1000,
        layout in 0usize..4,
    ) {
        let d = match corse { 1 => "2A".to_string(), 2 => "2B".to_string(), _ => format!("{dept:02}") };
        let body = format!("{sex}{year:02}{month:02}{d}{commune:03}{order:03}");
        let key = format!("{:02}", nir_key(&body).unwrap());
        let s = match layout {
            0 => format!("{body}{key}"),
            1 => format!("{} {} {} {} {} {} {key}", &body[..1], &body[1..3], &body[3..5], &body[5..7], &body[7..10], &body[10..13]),
            2 => format!("{body} {key}"),
            _ => format!("{}.{}.{}.{}.{}.{}.{key}", &body[..1], &body[1..3], &body[3..5], &body[5..7], &body[7..10], &body[10..13]),
        };
        let text = format!("L'assuré(e) {s} est suivi(e).");
        let f = find_nirs(&text);
        prop_assert_eq!(f.len(), 1);
        prop_assert_eq!(f[0].span.slice(&text), s.as_str());
        // a wrong key is never reported
        let wrong = (key.parse::<u8>().unwrap() % 97) + 1;
        let wrong_text = format!("{body}{wrong:02}");
        prop_assert!(!contains_nir(&wrong_text));
    }

    /// SPEC §4: the detector never panics and spans are valid slices.
    #[test]
    fn nir_detector_total(s in "\\PC{0,60}|[0-9AB .-]{0,40}") {
        for m in find_nirs(&s) {
            prop_assert!(s.get(m.span.byte_start..m.span.byte_end).is_some());
        }
    }
}
