//! NIR (French social security number) detector (SPEC §4, convention §5: the
//! assuré is never identified by NIR; a NIR typed in any field is refused).
//!
//! A NIR is 15 characters: sex (1, 2, 3, 4, 7 or 8), year (2 digits), month
//! (01–12, 20–42 or 50–99), département (2 digits, or 2A / 2B), commune (3),
//! order number (3), then a 2-digit key = 97 − (number mod 97), where for
//! Corsica 2A is read as 19 and 2B as 18.
//!
//! Grammar of a written NIR: the 15 characters, with an optional separator at
//! any of the usual group boundaries — after the 1st, 3rd, 5th, 7th, 8th, 10th
//! and 13th character, which covers `1 85 05 78 006 084 91` (1-2-2-2-3-3-2),
//! `1 85 05 978 06 084 91` (overseas 1-2-2-3-2-3-2), `1850578 006084 91`,
//! `1850578006084 91` (13 + key) and the compact form. A separator is, mixed
//! freely from one boundary to the next:
//! - a run of blanks (space, tab, no-break U+00A0, narrow no-break U+202F, thin
//!   and figure spaces) of up to [`MAX_BLANKS`] characters, at most one line break
//!   (`\n`, `\r\n` or `\r`) among them;
//! - one punctuation mark (`.`, `-`, `/`, `‐`, `‑`, `–`; also `,` `(` before the key)
//!   with blanks on either side;
//! - before the key only, also the word « clé », « cle » or « clef » (any case,
//!   accent composed or not) with an optional colon, blanks or one punctuation
//!   mark around: `1850578006084 clé : 91`, `1 85 05 78 006 084 - clef 91`.
//!
//! A candidate must not be preceded or followed by a digit, nor followed by a
//! punctuation mark and a digit, nor — when the key is glued to the body — followed
//! by the number's own separator and a digit (so longer numbers such as IBANs,
//! `23576-91113-77059-90943` or `35597 99805 55442 52050` are not sliced). Only candidates whose key is right are reported.

use crate::text::TextSpan;
use serde::{Deserialize, Serialize};

/// One NIR found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NirMatch {
    /// Where it is (separators included).
    pub span: TextSpan,
}

/// Number of characters (digits or 2A/2B) consumed before which a separator may appear.
const SEPARATOR_AFTER: [usize; 7] = [1, 3, 5, 7, 8, 10, 13];

/// Most blank characters (line break included) in one run of a separator.
pub const MAX_BLANKS: usize = 6;

fn is_blank(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' | '\n' | '\r'
    )
}

fn is_punct(c: char) -> bool {
    matches!(c, '.' | '-' | '/' | '\u{2010}' | '\u{2011}' | '\u{2013}')
}

/// Skips a run of blanks from `pos` (at most [`MAX_BLANKS`], at most one line
/// break); `None` when the run is too long or holds two line breaks.
fn skip_blanks(chars: &[(usize, char)], mut pos: usize, breaks: &mut u8) -> Option<usize> {
    let mut n = 0;
    while let Some(&(_, c)) = chars.get(pos) {
        if !is_blank(c) {
            break;
        }
        if c == '\n' || (c == '\r' && chars.get(pos + 1).map(|x| x.1) != Some('\n')) {
            *breaks += 1;
            if *breaks > 1 {
                return None;
            }
        }
        n += 1;
        if n > MAX_BLANKS {
            return None;
        }
        pos += 1;
    }
    Some(pos)
}

/// Reads « clé », « cle » or « clef » at `pos` (case-insensitive, `é` composed or
/// `e` + U+0301), not followed by a letter; returns the position after it.
fn key_word(chars: &[(usize, char)], pos: usize) -> Option<usize> {
    let at = |i: usize| chars.get(i).map(|x| x.1);
    let lower = |i: usize| at(i).map(|c| c.to_lowercase().next().unwrap_or(c));
    if lower(pos)? != 'c' || lower(pos + 1)? != 'l' {
        return None;
    }
    let mut p = pos + 2;
    match lower(p)? {
        'é' => p += 1,
        'e' => {
            p += 1;
            if at(p) == Some('\u{301}') {
                p += 1;
            }
        }
        _ => return None,
    }
    if lower(p) == Some('f') {
        p += 1;
    }
    if at(p).is_some_and(|c| c.is_alphabetic() || ('\u{300}'..='\u{36f}').contains(&c)) {
        return None;
    }
    Some(p)
}

/// Skips the separator (possibly empty) at `pos`; `before_key` also allows the
/// word « clé ». Returns the position of the next significant character.
fn skip_separator(chars: &[(usize, char)], pos: usize, before_key: bool) -> Option<usize> {
    let mut breaks = 0u8;
    let mut p = skip_blanks(chars, pos, &mut breaks)?;
    if chars
        .get(p)
        .is_some_and(|x| is_punct(x.1) || (before_key && matches!(x.1, ',' | '(')))
    {
        p = skip_blanks(chars, p + 1, &mut breaks)?;
    }
    if before_key && let Some(after) = key_word(chars, p) {
        p = skip_blanks(chars, after, &mut breaks)?;
        if chars.get(p).is_some_and(|x| x.1 == ':') {
            p = skip_blanks(chars, p + 1, &mut breaks)?;
        }
    }
    Some(p)
}

/// Checks the 15 NIR characters (digits, with `A`/`B` allowed at index 6 after a `2`).
pub fn is_valid_nir(chars: &[u8; 15]) -> bool {
    let d = |i: usize| chars[i].is_ascii_digit();
    let v = |i: usize| u32::from(chars[i] - b'0');
    if !matches!(chars[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
        return false;
    }
    if !(d(1) && d(2) && d(3) && d(4) && d(5) && (7..15).all(d)) {
        return false;
    }
    let month = v(3) * 10 + v(4);
    if !matches!(month, 1..=12 | 20..=42 | 50..=99) {
        return false;
    }
    // département: two digits (not 00) or 2A / 2B
    let dept_subtract: u64 = match chars[6] {
        b'A' | b'a' if chars[5] == b'2' => 1_000_000, // 2A → 19
        b'B' | b'b' if chars[5] == b'2' => 2_000_000, // 2B → 18
        c if c.is_ascii_digit() => {
            if chars[5] == b'0' && c == b'0' {
                return false;
            }
            0
        }
        _ => return false,
    };
    let mut number: u64 = 0;
    for (i, &c) in chars[..13].iter().enumerate() {
        let digit = if i == 6 && !c.is_ascii_digit() {
            0
        } else {
            u64::from(c - b'0')
        };
        number = number * 10 + digit;
    }
    // "2A" read as "20" above, then 2A → 19 means 20xxxxxx − 1 000 000 (same for 2B → 18).
    let number = number - dept_subtract;
    let key = v(13) * 10 + v(14);
    u64::from(key) == 97 - number % 97
}

/// Finds every NIR with a valid key in `text`.
pub fn find_nirs(text: &str) -> Vec<NirMatch> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        let starts = matches!(c, '1' | '2' | '3' | '4' | '7' | '8')
            && (i == 0 || !chars[i - 1].1.is_ascii_digit());
        if starts && let Some(end) = match_at(&chars, i) {
            let byte_end = chars.get(end).map_or(text.len(), |&(b, _)| b);
            found.push(NirMatch {
                span: TextSpan {
                    byte_start: chars[i].0,
                    byte_end,
                    char_start: i,
                    char_end: end,
                },
            });
            i = end;
            continue;
        }
        i += 1;
    }
    found
}

/// True when `text` contains at least one NIR with a valid key.
pub fn contains_nir(text: &str) -> bool {
    !find_nirs(text).is_empty()
}

/// Tries to read a NIR starting at char index `start`; returns the char index after it.
fn match_at(chars: &[(usize, char)], start: usize) -> Option<usize> {
    let mut buf = [0u8; 15];
    let mut n = 0usize;
    let mut pos = start;
    // The last non-empty separator (char range) and whether the key has one.
    let mut last_sep: Option<(usize, usize)> = None;
    let mut key_separated = false;
    while n < 15 {
        if n > 0 && SEPARATOR_AFTER.contains(&n) {
            let next = skip_separator(chars, pos, n == 13)?;
            if next > pos {
                last_sep = Some((pos, next));
                key_separated |= n == 13;
            }
            pos = next;
        }
        let c = chars.get(pos)?.1;
        let ok =
            c.is_ascii_digit() || (n == 6 && buf[5] == b'2' && matches!(c, 'A' | 'B' | 'a' | 'b'));
        if !ok {
            return None;
        }
        buf[n] = c as u8; // ASCII checked above
        n += 1;
        pos += 1;
    }
    if chars.get(pos).is_some_and(|&(_, c)| c.is_ascii_digit()) {
        return None;
    }
    // `…-77059-90943`: a punctuation mark then digits continues one longer number.
    if chars.get(pos).is_some_and(|x| is_punct(x.1))
        && chars.get(pos + 1).is_some_and(|x| x.1.is_ascii_digit())
    {
        return None;
    }
    // `35597 99805 55442 52050`: groups that go on past a key glued to its body,
    // with the same separator, are one longer number.
    if let (false, Some((a, b))) = (key_separated, last_sep) {
        let sep = &chars[a..b];
        let continues = chars
            .get(pos..pos + sep.len())
            .is_some_and(|s| s.iter().map(|x| x.1).eq(sep.iter().map(|x| x.1)));
        if continues
            && chars
                .get(pos + sep.len())
                .is_some_and(|x| x.1.is_ascii_digit())
        {
            return None;
        }
    }
    is_valid_nir(&buf).then_some(pos)
}

/// Computes the key of a 13-character NIR body (digits, or 2A/2B at index 5–6).
/// `None` when the body is malformed. Used to build test data.
pub fn nir_key(body: &str) -> Option<u8> {
    let b = body.as_bytes();
    if b.len() != 13 {
        return None;
    }
    let sub: u64 = match b[6] {
        b'A' | b'a' if b[5] == b'2' => 1_000_000,
        b'B' | b'b' if b[5] == b'2' => 2_000_000,
        c if c.is_ascii_digit() => 0,
        _ => return None,
    };
    let mut number: u64 = 0;
    for (i, &c) in b.iter().enumerate() {
        let digit = if i == 6 && !c.is_ascii_digit() {
            0
        } else if c.is_ascii_digit() {
            u64::from(c - b'0')
        } else {
            return None;
        };
        number = number * 10 + digit;
    }
    let number = number.checked_sub(sub)?;
    u8::try_from(97 - number % 97).ok()
}

#[cfg(test)]
#[path = "nir_tests.rs"]
mod tests;
