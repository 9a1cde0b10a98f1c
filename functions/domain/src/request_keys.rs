//! Keys of a request that carry no personal data or only folded name prefixes
//! (SPEC §4): the short reference read over the phone, and the name search of the
//! history (case- and accent-insensitive prefix of a word of the nom or prénom).

use crate::error::FieldError;
use crate::text::fold;

// ------------------------------------------------------------------ reference

/// Crockford's base-32 alphabet: digits and capitals without I, L, O, U (no
/// letter read as a digit or another letter over the phone).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A request reference from 35 random bits: `XXX-XXXX` in Crockford base 32
/// (34 billion values; uniqueness is guarded by the store). No personal data.
pub fn reference(random: [u8; 5]) -> String {
    let mut n: u64 = random.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b));
    let mut chars = [0u8; 7];
    for c in chars.iter_mut().rev() {
        *c = CROCKFORD[(n & 31) as usize];
        n >>= 5;
    }
    let s: String = chars.iter().map(|&b| b as char).collect();
    format!("{}-{}", &s[..3], &s[3..])
}

// ------------------------------------------------------------------ names

/// Most words of the nom and prénom indexed for the name search.
pub const NAME_WORDS_MAX: usize = 4;
/// Shortest and longest indexed prefix of a word, in characters.
pub const PREFIX_MIN: usize = 2;
pub const PREFIX_MAX: usize = 4;

/// Folded (lower case, no accents) words of a name: split on spaces, hyphens and
/// apostrophes.
pub fn name_words(name: &str) -> Vec<String> {
    fold(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The prefixes (2 to 4 letters) of the first [`NAME_WORDS_MAX`] words of the nom
/// then the prénom, without duplicates: the keys of the name index.
pub fn name_prefixes(nom: &str, prenom: &str) -> Vec<String> {
    let mut words = name_words(nom);
    words.extend(name_words(prenom));
    let mut out: Vec<String> = Vec::new();
    let mut seen_words: Vec<String> = Vec::new();
    for w in words {
        if seen_words.contains(&w) {
            continue;
        }
        seen_words.push(w.clone());
        if seen_words.len() > NAME_WORDS_MAX {
            break;
        }
        let n = w.chars().count();
        for len in PREFIX_MIN..=PREFIX_MAX.min(n) {
            let p: String = w.chars().take(len).collect();
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// A name search: the folded query, and the index key to read (its first word's
/// first 2–4 letters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameQuery {
    /// Folded words of the query.
    pub words: Vec<String>,
    /// Key of the name index partition to read.
    pub key: String,
    /// True when the key is the whole query: every item read matches.
    pub exact: bool,
}

/// Parses the `name` filter: 2–100 characters, letters with spaces, hyphens or
/// apostrophes.
pub fn name_query(input: &str) -> Result<NameQuery, FieldError> {
    let t = input.trim();
    crate::request_form::check_line("name", t, crate::request_form::NAME_MAX)?;
    let words = name_words(t);
    let first = words.first().cloned().unwrap_or_default();
    if first.chars().count() < PREFIX_MIN {
        return Err(FieldError::new(
            "name",
            "name.too_short",
            "Le nom recherché doit compter au moins 2 lettres : saisissez le début du nom ou du prénom.",
        ));
    }
    let key: String = first.chars().take(PREFIX_MAX).collect();
    let exact = words.len() == 1 && first.chars().count() <= PREFIX_MAX;
    Ok(NameQuery { words, key, exact })
}

/// Does the nom or prénom start with the query (case- and accent-insensitive, word
/// by word: « dupont » finds « Dupont-Lefèvre », « lefe » finds it too, « eloise »
/// finds « Éloïse »)?
pub fn name_matches(nom: &str, prenom: &str, q: &NameQuery) -> bool {
    [nom, prenom].iter().any(|name| {
        let words = name_words(name);
        (0..words.len()).any(|start| {
            q.words.len() <= words.len() - start
                && q.words.iter().enumerate().all(|(i, qw)| {
                    let w = &words[start + i];
                    if i + 1 == q.words.len() {
                        w.starts_with(qw.as_str())
                    } else {
                        w == qw
                    }
                })
        })
    })
}
