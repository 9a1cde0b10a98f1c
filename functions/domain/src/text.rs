//! Text helpers shared by the free-text guard, the password policy and the
//! identifiant generator: accent/case folding and word tokenisation with spans.

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

#[cfg(test)]
mod tests {
    use super::*;

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
