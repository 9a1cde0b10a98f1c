//! Identity of people: names, civilité, département de résidence, date of birth
//! (§5: an assuré is identified by civilité, nom, prénom, date de naissance,
//! département de résidence — never by NIR).

use crate::error::FieldError;
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_serde {
    ($t:ident) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $t {
            type Error = FieldError;
            fn try_from(s: String) -> Result<Self, FieldError> {
                $t::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Maximum length of a [`PersonName`], in characters.
pub const PERSON_NAME_MAX: usize = 100;

/// A person's nom or prénom: trimmed, inner runs of spaces collapsed to one,
/// 1–100 characters; letters (accented included), single spaces, hyphens and
/// apostrophes (`’` is normalised to `'`), beginning and ending with a letter,
/// never two separators in a row. Digits and other symbols are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name (default field name `"nom"`; rename with `with_field("prenom")`).
    pub fn parse(input: &str) -> Result<PersonName, FieldError> {
        crate::text::check_clean("nom", input, false)?;
        let collapsed: String = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let s: String = collapsed
            .chars()
            .map(|c| {
                if matches!(c, '’' | 'ʼ' | '‘') {
                    '\''
                } else {
                    c
                }
            })
            .collect();
        if s.is_empty() {
            return Err(FieldError::new(
                "nom",
                "name.empty",
                "Le nom est obligatoire.",
            ));
        }
        if s.chars().count() > PERSON_NAME_MAX {
            return Err(FieldError::new(
                "nom",
                "name.too_long",
                format!("Le nom ne doit pas dépasser {PERSON_NAME_MAX} caractères."),
            ));
        }
        let bad = || {
            FieldError::new(
                "nom",
                "name.invalid",
                "Le nom ne peut contenir que des lettres (accentuées ou non), des espaces, des traits d'union et des apostrophes, et doit commencer et finir par une lettre.",
            )
        };
        let mut prev_sep = true; // no separator at the start
        for c in s.chars() {
            let is_sep = matches!(c, ' ' | '-' | '\'');
            if is_sep {
                if prev_sep {
                    return Err(bad());
                }
            } else if !c.is_alphabetic() {
                return Err(bad());
            }
            prev_sep = is_sep;
        }
        if prev_sep {
            return Err(bad());
        }
        Ok(PersonName(s))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_serde!(PersonName);

/// A job title (« fonction », §2.2.1): trimmed, inner whitespace collapsed,
/// 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Fonction(String);

impl Fonction {
    /// Parses a job title (field `"fonction"`).
    pub fn parse(input: &str) -> Result<Fonction, FieldError> {
        crate::text::check_clean("fonction", input, false)?;
        let s: String = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            return Err(FieldError::new(
                "fonction",
                "fonction.empty",
                "La fonction est obligatoire.",
            ));
        }
        if s.chars().count() > 100 || s.chars().any(char::is_control) {
            return Err(FieldError::new(
                "fonction",
                "fonction.invalid",
                "La fonction doit compter au plus 100 caractères, sans caractère de contrôle.",
            ));
        }
        Ok(Fonction(s))
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_serde!(Fonction);

/// Civilité (§2.2.1, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Civilite {
    /// Madame.
    Madame,
    /// Monsieur.
    Monsieur,
}

impl Civilite {
    /// Accepts `madame`, `mme`, `monsieur`, `m`, `m.`, `mr` (any case).
    pub fn parse(input: &str) -> Result<Civilite, FieldError> {
        match input.trim().to_lowercase().as_str() {
            "madame" | "mme" | "mme." => Ok(Civilite::Madame),
            "monsieur" | "m" | "m." | "mr" | "mr." => Ok(Civilite::Monsieur),
            _ => Err(FieldError::new(
                "civilite",
                "civilite.invalid",
                "La civilité doit être « Madame » ou « Monsieur ».",
            )),
        }
    }

    /// « Madame » / « Monsieur ».
    pub fn label(self) -> &'static str {
        match self {
            Civilite::Madame => "Madame",
            Civilite::Monsieur => "Monsieur",
        }
    }

    /// « Mme » / « M. ».
    pub fn abbreviation(self) -> &'static str {
        match self {
            Civilite::Madame => "Mme",
            Civilite::Monsieur => "M.",
        }
    }
}

/// Département de résidence (§5): `01`–`95` with `2A`/`2B` instead of `20`,
/// and `971`–`976`. A single digit is zero-padded (`"5"` → `"05"`); letters are
/// upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Departement(String);

impl Departement {
    /// Parses a département code.
    pub fn parse(input: &str) -> Result<Departement, FieldError> {
        let s = input.trim().to_ascii_uppercase();
        let s = if s.len() == 1 && s.as_bytes()[0].is_ascii_digit() {
            format!("0{s}")
        } else {
            s
        };
        let ok = match s.as_str() {
            "2A" | "2B" => true,
            "20" => false,
            d if d.len() == 2 && d.bytes().all(|b| b.is_ascii_digit()) => {
                ("01"..="95").contains(&d)
            }
            d if d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()) => {
                ("971"..="976").contains(&d)
            }
            _ => false,
        };
        if ok {
            Ok(Departement(s))
        } else {
            Err(FieldError::new(
                "departement",
                "departement.invalid",
                "Le département de résidence doit être un numéro de 01 à 95 (2A ou 2B pour la Corse) ou de 971 à 976 pour l'outre-mer.",
            ))
        }
    }

    /// The code, e.g. `"69"`, `"2A"`, `"974"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for 971–976.
    pub fn is_overseas(&self) -> bool {
        self.0.len() == 3
    }
}
string_serde!(Departement);

/// Oldest accepted age, in years.
pub const MAX_AGE_YEARS: i16 = 130;

/// A date of birth: not after `today`, not more than 130 years before it.
///
/// Parsed from `JJ/MM/AAAA` or ISO `AAAA-MM-JJ`; serialised as ISO. Deserialising
/// checks the date format only (the age bound depends on `today`, which serde does
/// not know): re-check with [`BirthDate::from_date`] when needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BirthDate(Date);

fn parse_date_fr_or_iso(s: &str) -> Option<Date> {
    let s = s.trim();
    let parts: Vec<&str> = if s.contains('/') {
        s.split('/').collect()
    } else {
        s.split('-').collect()
    };
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (y, m, d) = if s.contains('/') {
        (parts[2], parts[1], parts[0])
    } else {
        (parts[0], parts[1], parts[2])
    };
    if y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

impl BirthDate {
    /// Parses `JJ/MM/AAAA` or `AAAA-MM-JJ` and checks it against `today`.
    pub fn parse(input: &str, today: Date) -> Result<BirthDate, FieldError> {
        let d = parse_date_fr_or_iso(input).ok_or_else(|| {
            FieldError::new(
                "date_naissance",
                "birth_date.invalid",
                "La date de naissance n'est pas une date valide : saisissez-la au format JJ/MM/AAAA.",
            )
        })?;
        BirthDate::from_date(d, today)
    }

    /// Checks an already typed date against `today`.
    pub fn from_date(d: Date, today: Date) -> Result<BirthDate, FieldError> {
        if d > today {
            return Err(FieldError::new(
                "date_naissance",
                "birth_date.future",
                "La date de naissance ne peut pas être dans le futur.",
            ));
        }
        let oldest = today
            .checked_sub(MAX_AGE_YEARS.years())
            .unwrap_or(Date::MIN);
        if d < oldest {
            return Err(FieldError::new(
                "date_naissance",
                "birth_date.too_old",
                format!(
                    "La date de naissance ne peut pas remonter à plus de {MAX_AGE_YEARS} ans : vérifiez l'année saisie."
                ),
            ));
        }
        Ok(BirthDate(d))
    }

    /// The date.
    pub fn date(&self) -> Date {
        self.0
    }

    /// `JJ/MM/AAAA`.
    pub fn to_french(&self) -> String {
        format!(
            "{:02}/{:02}/{:04}",
            self.0.day(),
            self.0.month(),
            self.0.year()
        )
    }
}

impl TryFrom<String> for BirthDate {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        parse_date_fr_or_iso(&s).map(BirthDate).ok_or_else(|| {
            FieldError::new(
                "date_naissance",
                "birth_date.invalid",
                "La date de naissance n'est pas une date valide.",
            )
        })
    }
}
impl From<BirthDate> for String {
    fn from(b: BirthDate) -> String {
        b.0.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn spec_5_person_name() {
        assert_eq!(
            PersonName::parse("  Marie-Hélène   D'Aubigné ")
                .unwrap()
                .as_str(),
            "Marie-Hélène D'Aubigné"
        );
        assert_eq!(PersonName::parse("N’Diaye").unwrap().as_str(), "N'Diaye");
        assert_eq!(PersonName::parse("Ô").unwrap().as_str(), "Ô");
        assert_eq!(PersonName::parse("").unwrap_err().code, "name.empty");
        assert_eq!(
            PersonName::parse(&"a".repeat(101)).unwrap_err().code,
            "name.too_long"
        );
        assert!(PersonName::parse(&"a".repeat(100)).is_ok());
        for bad in [
            "Jean2",
            "-Jean",
            "Jean-",
            "Jean--Pierre",
            "Jean' Pierre",
            "J@n",
            "Dupont.",
            "'",
        ] {
            assert_eq!(
                PersonName::parse(bad).unwrap_err().code,
                "name.invalid",
                "{bad}"
            );
        }
        assert_eq!(
            PersonName::parse("x1")
                .unwrap_err()
                .with_field("prenom")
                .field,
            "prenom"
        );
    }

    #[test]
    fn spec_2_2_1_fonction() {
        assert_eq!(
            Fonction::parse(" Conseillère  sociale ").unwrap().as_str(),
            "Conseillère sociale"
        );
        assert!(Fonction::parse("  ").is_err());
        assert!(Fonction::parse(&"x".repeat(101)).is_err());
    }

    /// SPEC §5 input hygiene: a line break, a tab, a bidi override or an invisible
    /// character is refused as such, before (and instead of) being collapsed away.
    #[test]
    fn spec_5_names_and_fonction_refuse_controls_and_bidi() {
        for (text, code) in [
            ("Jean\nPierre", "text.control"),
            ("Jean\tPierre", "text.control"),
            ("\u{202e}Jean", "text.bidi"),
            ("Jean\u{2066}", "text.bidi"),
            ("Je\u{200b}an", "text.invisible"),
        ] {
            let e = PersonName::parse(text).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.code.as_str()),
                ("nom", code),
                "{text:?}"
            );
            let e = Fonction::parse(text).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.code.as_str()),
                ("fonction", code),
                "{text:?}"
            );
        }
    }

    #[test]
    fn spec_5_civilite() {
        assert_eq!(Civilite::parse("MADAME").unwrap(), Civilite::Madame);
        assert_eq!(Civilite::parse("M.").unwrap(), Civilite::Monsieur);
        assert_eq!(Civilite::parse("mme").unwrap().label(), "Madame");
        assert_eq!(Civilite::Monsieur.abbreviation(), "M.");
        assert!(Civilite::parse("Mlle").is_err());
        assert_eq!(
            serde_json::to_string(&Civilite::Madame).unwrap(),
            "\"madame\""
        );
    }

    #[test]
    fn spec_5_departement() {
        for ok in ["01", "1", "13", "2a", "2B", "69", "95", "971", "974", "976"] {
            assert!(Departement::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Departement::parse("2a").unwrap().as_str(), "2A");
        assert_eq!(Departement::parse("5").unwrap().as_str(), "05");
        assert!(Departement::parse("974").unwrap().is_overseas());
        for bad in [
            "", "00", "0", "20", "96", "99", "970", "977", "2C", "1A", "069", "abc",
        ] {
            assert_eq!(
                Departement::parse(bad).unwrap_err().code,
                "departement.invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn spec_5_birth_date() {
        let today = date(2026, 5, 14);
        assert_eq!(
            BirthDate::parse("07/03/1985", today).unwrap().date(),
            date(1985, 3, 7)
        );
        assert_eq!(
            BirthDate::parse("1985-03-07", today).unwrap().to_french(),
            "07/03/1985"
        );
        assert!(BirthDate::parse("14/05/2026", today).is_ok());
        assert_eq!(
            BirthDate::parse("15/05/2026", today).unwrap_err().code,
            "birth_date.future"
        );
        assert!(BirthDate::parse("14/05/1896", today).is_ok());
        assert_eq!(
            BirthDate::parse("13/05/1896", today).unwrap_err().code,
            "birth_date.too_old"
        );
        for bad in [
            "",
            "31/02/2000",
            "1/1/85",
            "2000-13-01",
            "aa/bb/cccc",
            "01/01/2000/1",
            "01-01-2000",
        ] {
            assert_eq!(
                BirthDate::parse(bad, today).unwrap_err().code,
                "birth_date.invalid",
                "{bad}"
            );
        }
        let b: BirthDate = serde_json::from_str("\"1985-03-07\"").unwrap();
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"1985-03-07\"");
    }
}
