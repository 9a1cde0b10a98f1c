//! Text helpers shared by the free-text guard, the password policy and the
//! identifiant generator: accent/case folding and word tokenisation with spans.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// A span in the original text, both in bytes (for Rust slicing) and in
/// Unicode scalar values (for a UI that counts characters). Ends are exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TextSpan {
    /// First byte.
    pub byte_start: usize,
    /// One past the last byte.
    pub byte_end: usize,
    /// First character (Unicode scalar value index).
    pub char_start: usize,
    /// One past the last character.
    pub char_end: usize,
}

impl TextSpan {
    /// The spanned slice of `text` (empty if `text` is not the text the span was made from).
    pub fn slice<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.byte_start..self.byte_end).unwrap_or("")
    }
}

/// Folds one character to lower-case ASCII-ish form, without accents.
/// Pushes nothing for combining diacritical marks (so decomposed input folds
/// like composed input).
pub(crate) fn fold_char_into(c: char, out: &mut String) {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
            out.push('a')
        }
        'ç' | 'Ç' => out.push('c'),
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => out.push('e'),
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => out.push('i'),
        'ñ' | 'Ñ' => out.push('n'),
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'ø' | 'Ø' => {
            out.push('o')
        }
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => out.push('u'),
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => out.push('y'),
        'œ' | 'Œ' => out.push_str("oe"),
        'æ' | 'Æ' => out.push_str("ae"),
        'ß' => out.push_str("ss"),
        '\u{0300}'..='\u{036f}' => {}
        '’' | 'ʼ' | '‘' | '`' | '´' => out.push('\''),
        _ => {
            for l in c.to_lowercase() {
                out.push(l);
            }
        }
    }
}

/// Lower-cases and removes accents: `"Élève Œuvre"` → `"eleve oeuvre"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char_into(c, &mut out);
    }
    out
}

/// True for characters that belong to a word (letters, digits, combining marks).
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || ('\u{0300}'..='\u{036f}').contains(&c)
}

/// A word of a text: its folded form and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub folded: String,
    pub span: TextSpan,
}

/// Splits `text` into words (runs of letters/digits; apostrophes, hyphens and
/// punctuation separate words) and folds each.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current: Option<(usize, usize, String)> = None; // byte_start, char_start, folded
    let mut char_idx = 0usize;
    for (b, c) in text.char_indices() {
        if is_word_char(c) {
            match current.as_mut() {
                Some((_, _, f)) => fold_char_into(c, f),
                None => {
                    let mut f = String::new();
                    fold_char_into(c, &mut f);
                    current = Some((b, char_idx, f));
                }
            }
        } else if let Some((bs, cs, f)) = current.take() {
            tokens.push(Token {
                folded: f,
                span: TextSpan {
                    byte_start: bs,
                    byte_end: b,
                    char_start: cs,
                    char_end: char_idx,
                },
            });
        }
        char_idx += 1;
    }
    if let Some((bs, cs, f)) = current.take() {
        tokens.push(Token {
            folded: f,
            span: TextSpan {
                byte_start: bs,
                byte_end: text.len(),
                char_start: cs,
                char_end: char_idx,
            },
        });
    }
    tokens
}

/// Why a character is refused by [`check_clean`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unclean {
    /// C0 (U+0000–U+001F, U+007F) or C1 (U+0080–U+009F) control character.
    Control,
    /// Bidirectional override, embedding, isolate or mark (U+202A–U+202E,
    /// U+2066–U+2069, U+200E, U+200F, U+061C): they reorder what is displayed.
    Bidi,
    /// Invisible format character that splits or hides words (zero-width spaces and
    /// joiners, word joiner, BOM, soft hyphen): they would let a word through the guards.
    Invisible,
}

fn unclean(c: char, multiline: bool) -> Option<Unclean> {
    match c {
        '\n' | '\r' if multiline => None,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => Some(Unclean::Control),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}' => {
            Some(Unclean::Bidi)
        }
        '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{ad}' => {
            Some(Unclean::Invisible)
        }
        _ => None,
    }
}

fn describe(c: char) -> &'static str {
    match c {
        '\t' => "une tabulation",
        '\n' | '\r' => "un retour à la ligne",
        '\u{0}' => "un caractère nul",
        '\u{202e}' | '\u{202d}' => "un caractère qui inverse le sens d'affichage du texte",
        '\u{ad}' => "un trait d'union conditionnel invisible",
        '\u{200b}' | '\u{feff}' | '\u{2060}' => "une espace invisible",
        _ => "un caractère invisible",
    }
}

/// Input hygiene (SPEC §5): refuses control characters (C0 and C1; line breaks
/// `\n`, `\r` are allowed only when `multiline`), bidirectional overrides and
/// isolates, and invisible format characters (zero-width spaces and joiners, BOM,
/// soft hyphen). Every free-text and name field calls it before any other check
/// (the NIR and health-data guards would otherwise read a text different from
/// what is displayed). The error names `field`, says which character (code point)
/// at which position, and how to fix it; codes `text.control`, `text.bidi`,
/// `text.invisible`.
pub fn check_clean(field: &str, text: &str, multiline: bool) -> Result<(), FieldError> {
    let Some((pos, c, kind)) = text
        .chars()
        .enumerate()
        .find_map(|(i, c)| unclean(c, multiline).map(|k| (i, c, k)))
    else {
        return Ok(());
    };
    let code = match kind {
        Unclean::Control => "text.control",
        Unclean::Bidi => "text.bidi",
        Unclean::Invisible => "text.invisible",
    };
    let fix = if matches!(c, '\n' | '\r') {
        "Ce champ tient sur une seule ligne : remplacez le retour à la ligne par une espace."
    } else {
        "Supprimez-le (il vient souvent d'un copier-coller : retapez le passage au clavier)."
    };
    Err(FieldError::new(
        field,
        code,
        format!(
            "Ce champ contient {} (U+{:04X}) à la position {} : ce caractère n'est pas accepté. {fix}",
            describe(c),
            u32::from(c),
            pos + 1
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §5 input hygiene: controls (but line breaks in multi-line fields),
    /// bidi overrides/isolates/marks and invisible characters are refused, with
    /// the field, the code point and the position.
    #[test]
    fn spec_5_check_clean() {
        for ok in ["Jean-Pierre", "Œuvre d'art ✓ 😀", "a\u{a0}b\u{202f}c", ""] {
            assert_eq!(check_clean("nom", ok, false), Ok(()), "{ok:?}");
        }
        assert_eq!(check_clean("message", "Ligne 1\r\nLigne 2\n", true), Ok(()));
        let e = check_clean("nom", "Jean\nPierre", false).unwrap_err();
        assert_eq!((e.field.as_str(), e.code.as_str()), ("nom", "text.control"));
        assert!(e.message.contains("une seule ligne"), "{}", e.message);
        assert!(e.message.contains("position 5"), "{}", e.message);
        for (text, code) in [
            ("a\tb", "text.control"),
            ("a\u{0}b", "text.control"),
            ("a\u{7f}b", "text.control"),
            ("a\u{85}b", "text.control"),
            ("a\u{9f}b", "text.control"),
            ("a\u{1b}[31mb", "text.control"),
            ("a\u{202a}b", "text.bidi"),
            ("a\u{202e}b", "text.bidi"),
            ("a\u{2066}b", "text.bidi"),
            ("a\u{2069}b", "text.bidi"),
            ("a\u{200e}b", "text.bidi"),
            ("a\u{200f}b", "text.bidi"),
            ("dia\u{200b}bète", "text.invisible"),
            ("dia\u{ad}bète", "text.invisible"),
            ("\u{feff}texte", "text.invisible"),
        ] {
            for multiline in [false, true] {
                let e = check_clean("message", text, multiline).unwrap_err();
                assert_eq!(e.code, code, "{text:?}");
                assert_eq!(e.field, "message");
                assert!(e.message.contains("U+"), "{}", e.message);
            }
        }
        let e = check_clean("message", "abc\u{202e}", true).unwrap_err();
        assert!(
            e.message.contains("(U+202E) à la position 4"),
            "{}",
            e.message
        );
    }

    #[test]
    fn fold_removes_accents_and_case() {
        assert_eq!(fold("Élève ŒUVRE Noël"), "eleve oeuvre noel");
        // decomposed e + combining acute
        assert_eq!(fold("e\u{0301}te\u{0301}"), "ete");
    }

    #[test]
    fn tokenize_spans() {
        let t = tokenize("L'hépatite, c'est ça.");
        let words: Vec<_> = t.iter().map(|t| t.folded.as_str()).collect();
        assert_eq!(words, ["l", "hepatite", "c", "est", "ca"]);
        assert_eq!(t[1].span.slice("L'hépatite, c'est ça."), "hépatite");
        assert_eq!(t[1].span.char_start, 2);
        assert_eq!(t[1].span.char_end, 10);
    }
}
