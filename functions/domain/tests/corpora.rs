//! Corpus tests (SPEC §4 / convention §5): NIR and free-text detectors against
//! data files generated once by `tests/data/generate_corpora.py` (fictitious data).

use ep_domain::freetext::{FindingCategory, check_free_text, scan_free_text};
use ep_domain::nir::find_nirs;

const NIR_POSITIVE: &str = include_str!("data/nir_positive.txt");
const NIR_NEGATIVE: &str = include_str!("data/nir_negative.txt");
const FREETEXT_POSITIVE: &str = include_str!("data/freetext_positive.txt");
const FREETEXT_NEGATIVE: &str = include_str!("data/freetext_negative.txt");

fn cases(data: &str) -> Vec<&str> {
    data.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// SPEC §4: every valid NIR, in every layout, is found exactly once, with a span
/// that covers only the NIR's characters.
#[test]
fn spec_4_nir_positive_corpus_all_found() {
    let cases = cases(NIR_POSITIVE);
    assert!(cases.len() >= 200, "corpus too small: {}", cases.len());
    let mut missed = Vec::new();
    for line in &cases {
        let found = find_nirs(line);
        if found.len() != 1 {
            missed.push(*line);
            continue;
        }
        let s = found[0].span.slice(line);
        let significant = s.chars().filter(|c| c.is_ascii_alphanumeric()).count();
        assert_eq!(significant, 15, "{line:?} → {s:?}");
    }
    assert!(
        missed.is_empty(),
        "{} NIR not found: {missed:#?}",
        missed.len()
    );
}

/// SPEC §4: phone numbers, dates, IBANs, SIRET, postcodes, amounts and
/// 15-character strings with a wrong key are never flagged.
#[test]
fn spec_4_nir_negative_corpus_never_flagged() {
    let cases = cases(NIR_NEGATIVE);
    assert!(cases.len() >= 200, "corpus too small: {}", cases.len());
    let flagged: Vec<_> = cases.iter().filter(|l| !find_nirs(l).is_empty()).collect();
    assert!(flagged.is_empty(), "false positives: {flagged:#?}");
}

/// SPEC §4 / convention §5: sentences with health data or insults are all flagged.
#[test]
fn spec_4_freetext_positive_corpus_all_flagged() {
    let cases = cases(FREETEXT_POSITIVE);
    assert!(cases.len() >= 200, "corpus too small: {}", cases.len());
    let missed: Vec<_> = cases
        .iter()
        .filter(|l| scan_free_text(l).is_empty())
        .collect();
    assert!(
        missed.is_empty(),
        "{} not flagged: {missed:#?}",
        missed.len()
    );
    for l in &cases {
        let e = check_free_text("commentaire", l).unwrap_err();
        assert!(e.code.starts_with("freetext."));
        assert_eq!(e.field, "commentaire");
        assert!(e.message.contains("à retirer"), "{}", e.message);
    }
    // both categories are represented
    let cats: Vec<_> = cases
        .iter()
        .flat_map(|l| scan_free_text(l))
        .map(|f| f.category)
        .collect();
    assert!(cats.contains(&FindingCategory::Health) && cats.contains(&FindingCategory::Judgement));
}

/// SPEC §4: administrative sentences, including « Complémentaire santé solidaire »,
/// « accès aux soins », « assurance maladie », « carte Vitale », « CPAM », are not flagged.
#[test]
fn spec_4_freetext_negative_corpus_never_flagged() {
    let cases = cases(FREETEXT_NEGATIVE);
    assert!(cases.len() >= 200, "corpus too small: {}", cases.len());
    let flagged: Vec<_> = cases
        .iter()
        .filter_map(|l| {
            let f = scan_free_text(l);
            (!f.is_empty()).then(|| (l, f.iter().map(|x| x.term.clone()).collect::<Vec<_>>()))
        })
        .collect();
    assert!(flagged.is_empty(), "false positives: {flagged:#?}");
    for l in &cases {
        assert!(check_free_text("commentaire", l).is_ok());
    }
}

/// The NIR corpora hold no NIR-like false positives for the free-text guard either:
/// positives are refused with the NIR code, negatives pass the NIR part.
#[test]
fn spec_4_freetext_runs_nir_detector() {
    for l in cases(NIR_POSITIVE) {
        assert_eq!(
            check_free_text("commentaire", l).unwrap_err().code,
            "freetext.nir",
            "{l}"
        );
    }
    for l in cases(NIR_NEGATIVE) {
        assert!(
            scan_free_text(l)
                .iter()
                .all(|f| f.category != FindingCategory::Nir),
            "{l}"
        );
    }
}
