//! Free-text guard (SPEC §4 « Free-text fields », convention §5: « aucune
//! information non pertinente, inadéquate, ou excessive … ; aucune donnée de
//! santé », and never the NIR).
//!
//! Flags, with their spans so the UI can highlight them:
//! - health data: words and expressions of `data/health_terms.fr.txt` (diseases,
//!   treatments, disabilities, pregnancy, addictions, medical specialties…);
//! - insults and subjective judgements: `data/judgement_terms.fr.txt`;
//! - a NIR with a valid key ([`crate::nir`]).
//!
//! Matching is on whole words, case- and accent-insensitive; `-s`/`-x` plurals,
//! `-aux`→`-al` and feminine `-ée` are folded on both sides. Compounds are matched
//! with or without their hyphen or space, on both sides: the entry
//! « alcoolo-dépendant » flags « alcoolodépendant » and « alcoolo dépendant », and
//! « séropositif » flags « séro-positif » (up to [`MAX_COMPOUND_PARTS`] words
//! joined by one hyphen or one blank). An entry ending with `-` (« psycho- »,
//! « toxico- ») is a prefix: it flags every word or compound that starts with it
//! (« psychomoteur », « psycho-affectif », « toxicodépendante »). Expressions of
//! `data/freetext_allow.fr.txt` (« assurance maladie », « Complémentaire santé
//! solidaire », « accès aux soins », « carte Vitale », « CPAM »…) mask their
//! words, so e.g. « maladie » in « assurance maladie » is not flagged.

use crate::error::FieldError;
use crate::nir::find_nirs;
use crate::text::{TextSpan, Token, tokenize};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

const HEALTH_TERMS: &str = include_str!("../data/health_terms.fr.txt");
const JUDGEMENT_TERMS: &str = include_str!("../data/judgement_terms.fr.txt");
const ALLOWED_EXPRESSIONS: &str = include_str!("../data/freetext_allow.fr.txt");

/// What kind of forbidden content was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingCategory {
    /// A NIR (social security number).
    Nir,
    /// Health data.
    Health,
    /// Insult or subjective judgement.
    Judgement,
}

impl FindingCategory {
    /// Stable code used in [`FieldError::code`]: `freetext.nir`, `freetext.health`, `freetext.judgement`.
    pub fn code(self) -> &'static str {
        match self {
            FindingCategory::Nir => "freetext.nir",
            FindingCategory::Health => "freetext.health",
            FindingCategory::Judgement => "freetext.judgement",
        }
    }
}

/// One flagged word, expression or NIR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Category.
    pub category: FindingCategory,
    /// The list entry that matched (e.g. `"diabète"`), or `"NIR"`.
    pub term: String,
    /// Where it is in the text.
    pub span: TextSpan,
}

struct Entry {
    tokens: Vec<String>,
    display: &'static str,
    category: FindingCategory,
}

/// Most words joined into one compound (« insulino-dépendant », « psycho-socio-… »).
pub const MAX_COMPOUND_PARTS: usize = 3;

/// Shortest joined compound considered (avoids joining short unrelated words).
const MIN_COMPOUND_CHARS: usize = 6;

struct Lexicon {
    entries: Vec<Entry>,
    by_first: HashMap<String, Vec<usize>>,
    /// Entry index by compact form: folded, without hyphens or spaces, singular.
    by_compact: HashMap<String, usize>,
    /// Prefix entries (`psycho-`): compact prefix and entry index.
    prefixes: Vec<(String, usize)>,
    allow: Vec<Vec<String>>,
    allow_by_first: HashMap<String, Vec<usize>>,
}

/// Folds plural / feminine endings so "hôpitaux" ~ "hôpital", "handicapées" ~ "handicapé".
fn singular(word: &str) -> String {
    let n = word.chars().count();
    if n > 4
        && let Some(stem) = word.strip_suffix("aux")
    {
        return format!("{stem}al");
    }
    let w = if n > 3 {
        word.strip_suffix('s').unwrap_or(word)
    } else {
        word
    };
    if w.chars().count() > 3 {
        w.strip_suffix("ee")
            .map_or(w.to_string(), |s| format!("{s}e"))
    } else {
        w.to_string()
    }
}

/// The compact form of a word sequence: folded words concatenated, then singular.
fn compact<'a>(folded_words: impl IntoIterator<Item = &'a str>) -> String {
    singular(&folded_words.into_iter().collect::<String>())
}

fn words(s: &str) -> Vec<String> {
    tokenize(s)
        .into_iter()
        .map(|t| singular(&t.folded))
        .collect()
}

fn lines(data: &'static str) -> impl Iterator<Item = &'static str> {
    data.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn lexicon() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    LEX.get_or_init(|| {
        let mut entries = Vec::new();
        for (data, category) in [
            (HEALTH_TERMS, FindingCategory::Health),
            (JUDGEMENT_TERMS, FindingCategory::Judgement),
        ] {
            for l in lines(data) {
                let tokens = words(l);
                if !tokens.is_empty() {
                    entries.push(Entry {
                        tokens,
                        display: l,
                        category,
                    });
                }
            }
        }
        // Longest expressions first so "maladie mentale" wins over "maladie".
        entries.sort_by_key(|e| std::cmp::Reverse(e.tokens.len()));
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_compact: HashMap<String, usize> = HashMap::new();
        let mut prefixes = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            by_first.entry(e.tokens[0].clone()).or_default().push(i);
            let folded: Vec<String> = tokenize(e.display).into_iter().map(|t| t.folded).collect();
            let c = compact(folded.iter().map(String::as_str));
            if e.display.ends_with('-') {
                prefixes.push((folded.concat(), i));
            } else if c.chars().count() >= MIN_COMPOUND_CHARS || e.tokens.len() == 1 {
                by_compact.entry(c).or_insert(i);
            }
        }
        let allow: Vec<Vec<String>> = lines(ALLOWED_EXPRESSIONS)
            .map(words)
            .filter(|w| !w.is_empty())
            .collect();
        let mut allow_by_first: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, a) in allow.iter().enumerate() {
            allow_by_first.entry(a[0].clone()).or_default().push(i);
        }
        Lexicon {
            entries,
            by_first,
            by_compact,
            prefixes,
            allow,
            allow_by_first,
        }
    })
}

/// The maintained list of one category (display forms), e.g. for a help page.
pub fn term_list(category: FindingCategory) -> Vec<&'static str> {
    lexicon()
        .entries
        .iter()
        .filter(|e| e.category == category)
        .map(|e| e.display)
        .collect()
}

fn matches_at(seq: &[String], toks: &[String], at: usize) -> bool {
    toks.len() >= at + seq.len() && seq.iter().zip(&toks[at..]).all(|(a, b)| a == b)
}

/// True when the words `a` and `b` (adjacent tokens) are joined by exactly one
/// hyphen or one blank, as in a compound (« insulino-dépendant », « mal voyant »).
fn joined(text: &str, a: &Token, b: &Token) -> bool {
    let between = text.get(a.span.byte_end..b.span.byte_start).unwrap_or("");
    let mut chars = between.chars();
    matches!(
        (chars.next(), chars.next()),
        (
            Some('-' | '\u{2010}' | '\u{2011}' | ' ' | '\u{a0}' | '\u{202f}'),
            None
        )
    )
}

/// The longest compound starting at token `i` (one word, or up to
/// [`MAX_COMPOUND_PARTS`] joined words) whose compact form is an entry's, or starts
/// with a prefix entry: (entry, number of words).
fn compound_at(lex: &Lexicon, text: &str, tokens: &[Token], i: usize) -> Option<(usize, usize)> {
    let mut parts = 1;
    while parts < MAX_COMPOUND_PARTS
        && i + parts < tokens.len()
        && joined(text, &tokens[i + parts - 1], &tokens[i + parts])
    {
        parts += 1;
    }
    (1..=parts).rev().find_map(|k| {
        let c = compact(tokens[i..i + k].iter().map(|t| t.folded.as_str()));
        if k > 1 && c.chars().count() < MIN_COMPOUND_CHARS {
            return None;
        }
        lex.by_compact
            .get(&c)
            .copied()
            .or_else(|| {
                lex.prefixes
                    .iter()
                    .find(|(p, _)| c.len() > p.len() && c.starts_with(p.as_str()))
                    .map(|&(_, e)| e)
            })
            .map(|e| (e, k))
    })
}

/// Scans `text`; findings are sorted by position.
pub fn scan_free_text(text: &str) -> Vec<Finding> {
    let lex = lexicon();
    let tokens: Vec<Token> = tokenize(text);
    let norm: Vec<String> = tokens.iter().map(|t| singular(&t.folded)).collect();

    let mut masked = vec![false; norm.len()];
    for i in 0..norm.len() {
        if let Some(cands) = lex.allow_by_first.get(&norm[i]) {
            for &a in cands {
                let seq = &lex.allow[a];
                if matches_at(seq, &norm, i) {
                    masked[i..i + seq.len()].iter_mut().for_each(|m| *m = true);
                }
            }
        }
    }

    let mut findings: Vec<Finding> = find_nirs(text)
        .into_iter()
        .map(|m| Finding {
            category: FindingCategory::Nir,
            term: "NIR".into(),
            span: m.span,
        })
        .collect();

    let mut i = 0;
    while i < norm.len() {
        let free = |len: usize| !masked[i..i + len].iter().any(|m| *m);
        // (entry, number of words) of the longest match at i
        let sequence = lex.by_first.get(&norm[i]).and_then(|cands| {
            cands.iter().find_map(|&e| {
                let len = lex.entries[e].tokens.len();
                (matches_at(&lex.entries[e].tokens, &norm, i) && free(len)).then_some((e, len))
            })
        });
        let compound = compound_at(lex, text, &tokens, i).filter(|&(_, len)| free(len));
        let best = match (sequence, compound) {
            (Some(s), Some(c)) if c.1 > s.1 => Some(c),
            (Some(s), _) => Some(s),
            (None, c) => c,
        };
        let Some((e, len)) = best else {
            i += 1;
            continue;
        };
        let entry = &lex.entries[e];
        let (first, last) = (tokens[i].span, tokens[i + len - 1].span);
        findings.push(Finding {
            category: entry.category,
            term: entry.display.to_string(),
            span: TextSpan {
                byte_start: first.byte_start,
                byte_end: last.byte_end,
                char_start: first.char_start,
                char_end: last.char_end,
            },
        });
        i += len;
    }
    findings.sort_by_key(|f| (f.span.byte_start, f.span.byte_end));
    findings
}

fn quoted_list(text: &str, findings: &[Finding], category: FindingCategory) -> String {
    let mut seen: Vec<String> = Vec::new();
    for f in findings.iter().filter(|f| f.category == category) {
        let typed = f.span.slice(text).to_string();
        if !seen
            .iter()
            .any(|s| crate::text::fold(s) == crate::text::fold(&typed))
        {
            seen.push(typed);
        }
    }
    let shown: Vec<String> = seen.iter().take(8).map(|s| format!("« {s} »")).collect();
    let more = if seen.len() > 8 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// French ordinal of a position: `1er`, `2e`, `34e`.
fn ordinal(n: usize) -> String {
    if n == 1 {
        "1er".to_owned()
    } else {
        format!("{n}e")
    }
}

/// Refuses text holding a NIR, health data or insults/judgements. The French
/// message names the field, quotes the words to remove (never the NIR itself)
/// and cites article 5. The code is that of the most serious category found
/// (NIR, then health, then judgement); use [`scan_free_text`] for the spans.
///
/// It first calls [`crate::text::check_clean`] (multi-line: line breaks allowed):
/// control, bidirectional and invisible characters are refused before the NIR and
/// health checks, so every caller of this function gets input hygiene too.
pub fn check_free_text(field: &str, text: &str) -> Result<(), FieldError> {
    crate::text::check_clean(field, text, true)?;
    let findings = scan_free_text(text);
    let Some(worst) = findings.iter().map(|f| f.category).min() else {
        return Ok(());
    };
    let mut parts = Vec::new();
    let nir_positions: Vec<String> = findings
        .iter()
        .filter(|f| f.category == FindingCategory::Nir)
        .map(|f| ordinal(f.span.char_start + 1))
        .collect();
    if !nir_positions.is_empty() {
        let at = match nir_positions.split_last() {
            Some((last, rest)) if !rest.is_empty() => {
                format!("des {} et {last} caractères", rest.join(", "))
            }
            _ => format!("du {} caractère", nir_positions.join("")),
        };
        parts.push(format!(
            "un numéro de sécurité sociale (NIR), à partir {at}, qui ne doit jamais être saisi : identifiez l'assuré par sa civilité, son nom, son prénom, sa date de naissance et son département de résidence (le NIR peut seulement figurer dans une pièce jointe)"
        ));
    }
    if findings
        .iter()
        .any(|f| f.category == FindingCategory::Health)
    {
        parts.push(format!(
            "des données de santé ({})",
            quoted_list(text, &findings, FindingCategory::Health)
        ));
    }
    if findings
        .iter()
        .any(|f| f.category == FindingCategory::Judgement)
    {
        parts.push(format!(
            "des propos injurieux ou des jugements subjectifs ({})",
            quoted_list(text, &findings, FindingCategory::Judgement)
        ));
    }
    Err(FieldError::new(
        field,
        worst.code(),
        format!(
            "Ce texte contient des éléments à retirer : {}. Reformulez le texte sans ces éléments (convention, article 5 : aucune donnée de santé ni information non pertinente ou excessive).",
            parts.join(" ; ")
        ),
    ))
}

#[cfg(test)]
#[path = "freetext_tests.rs"]
mod tests;
