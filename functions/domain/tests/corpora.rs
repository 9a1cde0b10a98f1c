//! Corpus tests (SPEC §4 / convention §5): NIR and free-text detectors against
//! data files generated once by `tests/data/generate_corpora.py` (fictitious data).

use ep_domain::freetext::{FindingCategory, check_free_text, scan_free_text};
use ep_domain::nir::find_nirs;

const NIR_POSITIVE: &str = include_str!("data/nir_positive.txt");
const NIR_NEGATIVE: &str = include_str!("data/nir_negative.txt");
const NIR_EXTENDED_POSITIVE: &str = include_str!("data/nir_extended_positive.txt");
const NIR_EXTENDED_NEGATIVE: &str = include_str!("data/nir_extended_negative.txt");
const FREETEXT_POSITIVE: &str = include_str!("data/freetext_positive.txt");
const FREETEXT_NEGATIVE: &str = include_str!("data/freetext_negative.txt");

fn cases(data: &str) -> Vec<&str> {
    data.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// Decodes a line of the extended corpora (`\\n`, `\\r`, `\\t`, `\\\\` escapes).
fn unescape(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut it = line.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn extended(data: &str) -> Vec<String> {
    cases(data).into_iter().map(unescape).collect()
}

/// Digits and letters of a NIR span, without its separators and the « clé » word.
fn significant(span: &str) -> String {
    let lower = span.to_lowercase();
    let cleaned = ["clef", "clé", "cle\u{301}", "cle"]
        .iter()
        .fold(lower, |s, w| s.replace(w, ""));
    cleaned
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Checks that every case holds exactly one NIR, spanned from its first to its last
/// character; returns the cases missed. Panics on a bad span.
fn nir_recall<S: AsRef<str>>(cases: &[S]) -> Vec<String> {
    let mut missed = Vec::new();
    for line in cases {
        let line = line.as_ref();
        let found = find_nirs(line);
        if found.len() != 1 {
            missed.push(line.to_owned());
            continue;
        }
        let s = found[0].span.slice(line);
        assert_eq!(significant(s).len(), 15, "{line:?} → {s:?}");
        assert!(
            s.starts_with(|c: char| c.is_ascii_digit())
                && s.ends_with(|c: char| c.is_ascii_digit()),
            "{line:?} → {s:?}"
        );
    }
    missed
}

/// SPEC §4: every valid NIR, in every layout, is found exactly once, with a span
/// that covers only the NIR's characters.
#[test]
fn spec_4_nir_positive_corpus_all_found() {
    let cases = cases(NIR_POSITIVE);
    assert!(cases.len() >= 200, "corpus too small: {}", cases.len());
    let missed = nir_recall(&cases);
    assert!(
        missed.is_empty(),
        "{} NIR not found: {missed:#?}",
        missed.len()
    );
}

/// Issue 10 / SPEC §4: recall 100 % on the extended corpus — every separator
/// (blanks, several blanks, no-break spaces, dots, dashes, slashes, line breaks,
/// « clé », « cle », « clef » with or without a colon) × every grouping, then mixes.
#[test]
fn spec_4_nir_extended_positive_corpus_recall_100() {
    let cases = extended(NIR_EXTENDED_POSITIVE);
    assert!(cases.len() >= 600, "corpus too small: {}", cases.len());
    for must in [
        "/", "clé", "cle ", "clef", "\n", "\u{a0}", "\u{202f}", "   ",
    ] {
        assert!(
            cases.iter().any(|c| c.contains(must)),
            "the corpus has no case with {must:?}"
        );
    }
    let missed = nir_recall(&cases);
    assert!(
        missed.is_empty(),
        "recall {}/{}; missed: {missed:#?}",
        cases.len() - missed.len(),
        cases.len()
    );
}

/// Issue 10 / SPEC §4: 0 false positives on phones, dates, IBANs, SIRET, postcodes,
/// amounts written with the same separators, and on wrong-key NIRs in every layout.
#[test]
fn spec_4_nir_extended_negative_corpus_never_flagged() {
    let cases = extended(NIR_EXTENDED_NEGATIVE);
    assert!(cases.len() >= 500, "corpus too small: {}", cases.len());
    let flagged: Vec<_> = cases.iter().filter(|l| !find_nirs(l).is_empty()).collect();
    assert!(
        flagged.is_empty(),
        "{} false positives: {flagged:#?}",
        flagged.len()
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
/// positives are refused with the NIR code (a tab, a control character, is refused
/// first by input hygiene, SPEC §5), negatives pass the NIR part.
#[test]
fn spec_4_freetext_runs_nir_detector() {
    let positives = cases(NIR_POSITIVE)
        .into_iter()
        .map(str::to_owned)
        .chain(extended(NIR_EXTENDED_POSITIVE));
    for l in positives {
        let l = l.as_str();
        let expected = if l.contains('\t') {
            "text.control"
        } else {
            "freetext.nir"
        };
        assert_eq!(
            check_free_text("commentaire", l).unwrap_err().code,
            expected,
            "{l}"
        );
    }
    let negatives = cases(NIR_NEGATIVE)
        .into_iter()
        .map(str::to_owned)
        .chain(extended(NIR_EXTENDED_NEGATIVE));
    for l in negatives {
        let l = l.as_str();
        assert!(
            scan_free_text(l)
                .iter()
                .all(|f| f.category != FindingCategory::Nir),
            "{l}"
        );
    }
}
