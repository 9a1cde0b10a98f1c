//! SIRET of a partner structure (SPEC §2): how a second caisse finds a partner that
//! another caisse already conventioned.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A SIRET: **14 digits whose Luhn key is right** (the last digit). Input may group
/// the digits with spaces (`123 456 789 00012`); they are removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);

/// Luhn check of a string of ASCII digits (from the right, every second digit doubled).
fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl Siret {
    /// Parses a SIRET as typed (spaces between digit groups allowed).
    pub fn parse(input: &str) -> Result<Siret, FieldError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() {
            return Err(FieldError::new(
                "siret",
                "required",
                "Le SIRET de la structure est obligatoire : saisissez ses 14 chiffres.",
            ));
        }
        if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                "siret",
                "siret.format",
                "Le SIRET comporte exactement 14 chiffres (par exemple 732 829 320 00074) : vérifiez votre saisie.",
            ));
        }
        if !luhn_ok(&s) {
            return Err(FieldError::new(
                "siret",
                "siret.key",
                "Ce SIRET n'est pas valide (sa clé de contrôle ne correspond pas) : vérifiez les 14 chiffres sur l'avis de situation au répertoire SIRENE.",
            ));
        }
        Ok(Siret(s))
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for Siret {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Siret::parse(&s)
    }
}
impl From<Siret> for String {
    fn from(s: Siret) -> String {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_2_siret_valid_and_normalised() {
        assert_eq!(
            Siret::parse("73282932000074").unwrap().as_str(),
            "73282932000074"
        );
        assert_eq!(
            Siret::parse(" 732 829 320 00074 ").unwrap().as_str(),
            "73282932000074"
        );
        assert_eq!(
            Siret::parse("35600000000048").unwrap().to_string(),
            "35600000000048"
        );
    }

    #[test]
    fn spec_2_siret_wrong_length_or_characters_refused() {
        for bad in [
            "7328293200007",
            "732829320000740",
            "7328293200007A",
            "732-829-320-00074",
        ] {
            let e = Siret::parse(bad).unwrap_err();
            assert_eq!(e.field, "siret", "{bad}");
            assert!(e.message.contains("14 chiffres"), "{bad}: {}", e.message);
        }
        assert!(
            Siret::parse("  ")
                .unwrap_err()
                .message
                .contains("obligatoire")
        );
    }

    #[test]
    fn spec_2_siret_wrong_key_refused_in_french() {
        let e = Siret::parse("73282932000075").unwrap_err();
        assert_eq!(e.field, "siret");
        assert!(e.message.contains("clé de contrôle"), "{}", e.message);
    }

    #[test]
    fn spec_2_siret_deserialises_only_when_valid() {
        let s: Siret = serde_json::from_str("\"73282932000074\"").unwrap();
        assert_eq!(s.as_str(), "73282932000074");
        assert!(serde_json::from_str::<Siret>("\"73282932000075\"").is_err());
    }
}
