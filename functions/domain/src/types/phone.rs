//! French phone numbers (habilitation request « n° de téléphone », §2.2.1).

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of French number it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// Geographic mainland number, 01–05.
    Landline,
    /// Mainland mobile, 06 / 07.
    Mobile,
    /// Overseas département number (0262, 0269, 0590, 0594, 0596, 0639, 0690–0697).
    Overseas,
    /// Non-geographic number, 08 / 09.
    NonGeographic,
}

/// Overseas national prefixes (after the leading 0) and their country calling code.
const OVERSEAS: &[(&str, &str)] = &[
    ("262", "262"), // La Réunion (fixe)
    ("263", "262"), // La Réunion (fixe, nouvelle tranche)
    ("269", "262"), // Mayotte (fixe)
    ("590", "590"), // Guadeloupe, Saint-Martin, Saint-Barthélemy (fixe)
    ("594", "594"), // Guyane (fixe)
    ("596", "596"), // Martinique (fixe)
    ("639", "262"), // Mayotte (mobile)
    ("690", "590"),
    ("691", "590"), // Guadeloupe (mobile)
    ("692", "262"),
    ("693", "262"), // La Réunion (mobile)
    ("694", "594"), // Guyane (mobile)
    ("696", "596"),
    ("697", "596"), // Martinique (mobile)
];

/// A French phone number, stored as its 10-digit national form (`0XXXXXXXXX`).
///
/// Accepted input: 10 digits starting with 0 (not 00), or `+33` / `0033` followed
/// by 9 digits (an optional `(0)` is ignored), or an overseas calling code
/// (`+262`, `+269`, `+590`, `+594`, `+596`) followed by 9 digits; spaces, dots,
/// dashes, slashes and parentheses are ignored. Displayed as `01 23 45 67 89`,
/// serialised as E.164 (`+33123456789`, `+590590123456`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FrenchPhone(String);

fn invalid() -> FieldError {
    FieldError::new(
        "telephone",
        "phone.invalid",
        "Le numéro de téléphone n'est pas un numéro français valide : saisissez 10 chiffres commençant par 0 (par exemple 01 23 45 67 89) ou un numéro au format +33 1 23 45 67 89.",
    )
}

impl FrenchPhone {
    /// Parses and normalises a number.
    pub fn parse(input: &str) -> Result<FrenchPhone, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(FieldError::new(
                "telephone",
                "phone.empty",
                "Le numéro de téléphone est obligatoire.",
            ));
        }
        if s.chars().count() > 30 {
            return Err(invalid());
        }
        let s = s.replace("(0)", "");
        let mut plus = false;
        let mut digits = String::new();
        for (i, c) in s.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                ' ' | '.' | '-' | '/' | '(' | ')' | '\u{a0}' | '\u{202f}' => {}
                _ => return Err(invalid()),
            }
        }
        let international = if plus {
            Some(digits.as_str())
        } else {
            digits.strip_prefix("00")
        };
        let national = match international {
            Some(rest) => {
                let code = ["33", "262", "269", "590", "594", "596"]
                    .into_iter()
                    .find(|c| rest.starts_with(c) && rest.len() == c.len() + 9);
                match code {
                    Some(c) => format!("0{}", &rest[c.len()..]),
                    None => return Err(invalid()),
                }
            }
            None => digits.clone(),
        };
        let b = national.as_bytes();
        if b.len() != 10 || b[0] != b'0' || b[1] == b'0' {
            return Err(invalid());
        }
        let phone = FrenchPhone(national);
        // An overseas calling code must lead to an overseas number.
        if let Some(rest) = international
            && !rest.starts_with("33")
            && phone.kind() != PhoneKind::Overseas
        {
            return Err(invalid());
        }
        Ok(phone)
    }

    /// The 10 digits, e.g. `0123456789`.
    pub fn national(&self) -> &str {
        &self.0
    }

    /// The kind of number.
    pub fn kind(&self) -> PhoneKind {
        if OVERSEAS.iter().any(|(p, _)| self.0[1..].starts_with(p)) {
            return PhoneKind::Overseas;
        }
        match self.0.as_bytes()[1] {
            b'1'..=b'5' => PhoneKind::Landline,
            b'6' | b'7' => PhoneKind::Mobile,
            _ => PhoneKind::NonGeographic,
        }
    }

    /// E.164 form: `+33…`, or the overseas calling code for overseas numbers.
    pub fn e164(&self) -> String {
        let rest = &self.0[1..];
        let cc = OVERSEAS
            .iter()
            .find(|(p, _)| rest.starts_with(p))
            .map_or("33", |(_, cc)| cc);
        format!("+{cc}{rest}")
    }
}

impl fmt::Display for FrenchPhone {
    /// `01 23 45 67 89`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, pair) in self.0.as_bytes().chunks(2).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(std::str::from_utf8(pair).unwrap_or(""))?;
        }
        Ok(())
    }
}
impl TryFrom<String> for FrenchPhone {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        FrenchPhone::parse(&s)
    }
}
impl From<FrenchPhone> for String {
    fn from(p: FrenchPhone) -> String {
        p.e164()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_2_2_1_phone_formats() {
        for s in [
            "01 23 45 67 89",
            "0123456789",
            "01.23.45.67.89",
            "01-23-45-67-89",
            "+33 1 23 45 67 89",
            "+33 (0)1 23 45 67 89",
            "0033123456789",
            "+33123456789",
        ] {
            let p = FrenchPhone::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.national(), "0123456789");
            assert_eq!(p.to_string(), "01 23 45 67 89");
            assert_eq!(p.e164(), "+33123456789");
            assert_eq!(p.kind(), PhoneKind::Landline);
        }
    }

    #[test]
    fn spec_2_2_1_phone_kinds() {
        assert_eq!(
            FrenchPhone::parse("06 12 34 56 78").unwrap().kind(),
            PhoneKind::Mobile
        );
        assert_eq!(
            FrenchPhone::parse("07 12 34 56 78").unwrap().kind(),
            PhoneKind::Mobile
        );
        assert_eq!(
            FrenchPhone::parse("09 12 34 56 78").unwrap().kind(),
            PhoneKind::NonGeographic
        );
        let r = FrenchPhone::parse("02 62 12 34 56").unwrap();
        assert_eq!(r.kind(), PhoneKind::Overseas);
        assert_eq!(r.e164(), "+262262123456");
        let g = FrenchPhone::parse("+590 690 12 34 56").unwrap();
        assert_eq!(g.national(), "0690123456");
        assert_eq!(g.kind(), PhoneKind::Overseas);
        assert_eq!(
            FrenchPhone::parse("+596596123456").unwrap().national(),
            "0596123456"
        );
    }

    #[test]
    fn spec_2_2_1_phone_invalid() {
        for s in [
            "",
            "123",
            "0023456789",
            "1123456789",
            "01234567890",
            "+44 20 7946 0958",
            "+33 1 23 45 67",
            "01 23 45 67 8a",
            "+590 1 23 45 67 89",
            "0+123456789",
            "++33123456789",
        ] {
            assert!(FrenchPhone::parse(s).is_err(), "{s}");
        }
        assert_eq!(FrenchPhone::parse("abc").unwrap_err().code, "phone.invalid");
    }

    #[test]
    fn serde_e164_roundtrip() {
        let p = FrenchPhone::parse("0690123456").unwrap();
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(j, "\"+590690123456\"");
        let back: FrenchPhone = serde_json::from_str(&j).unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<FrenchPhone>("\"12\"").is_err());
    }
}
