//! Password policy (SPEC §3 « Password and first login »; CNIL délibération
//! 2022-100): one of
//! - at least 12 characters with upper-case, lower-case, digit and special character;
//! - at least 14 characters with upper-case, lower-case and digit;
//! - a passphrase of at least 7 words;
//!
//! and in every case: not containing the user's identifiant, e-mail local part nor
//! their names (case- and accent-insensitive, only parts of 3 characters or more),
//! not a common or breached password ([`is_common_password`]: a blocklist of
//! 7 490 normalised entries shipped in `data/common_passwords.txt`, built by
//! `data/generate_common_passwords.py` from the first 10 000 passwords of zxcvbn's
//! list — the public Xato leaked-password corpus — plus common French ones), at
//! most 256 characters. Reuse of the last 5 passwords is checked by the caller, which
//! holds the hashes ([`PasswordConfig::history`]).

use crate::text::fold;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

const COMMON_PASSWORDS: &str = include_str!("../data/common_passwords.txt");

fn blocklist() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// The form a password is compared in with the blocklist: folded (lower-case, no
/// accents), leading and trailing digits and symbols stripped, inner
/// non-alphanumerics removed: « Motdepasse123! », « mot de passe », « 2024Azerty »
/// give « motdepasse », « motdepasse », « azerty ». The page's `blocklistKey`
/// (`site/assets/password.js`) does the same.
pub fn blocklist_key(pw: &str) -> String {
    fold(pw)
        .trim_matches(|c: char| !c.is_alphabetic())
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// [`blocklist_key`] with the usual look-alike substitutions undone inside the
/// word (`@`/`4` → a, `0` → o, `1`/`!` → i, `3` → e, `$`/`5` → s, `7` → t):
/// « P@ssw0rd2024 » → « password ».
pub fn blocklist_key_unleet(pw: &str) -> String {
    fold(pw)
        .trim_matches(|c: char| !c.is_alphabetic())
        .chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '$' | '5' => 's',
            '7' => 't',
            other => other,
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// True when `pw`, normalised by [`blocklist_key`] or [`blocklist_key_unleet`], is
/// a common or breached password.
pub fn is_common_password(pw: &str) -> bool {
    let list = blocklist();
    list.contains(blocklist_key(pw).as_str()) || list.contains(blocklist_key_unleet(pw).as_str())
}

/// Number of entries of the blocklist.
pub fn blocklist_len() -> usize {
    blocklist().len()
}

/// Minimum length with 4 character classes.
pub const MIN_LEN_FOUR_CLASSES: usize = 12;
/// Minimum length with 3 classes (upper, lower, digit).
pub const MIN_LEN_THREE_CLASSES: usize = 14;
/// Minimum number of words of a passphrase.
pub const MIN_PASSPHRASE_WORDS: usize = 7;
/// Maximum length (bounded hashing cost).
pub const MAX_LEN: usize = 256;

/// Default password validity, days (SPEC §3 *(config)*).
pub const DEFAULT_EXPIRY_DAYS: i64 = 180;
/// Default reminder delay before expiry, days (SPEC §3 *(config)*).
pub const DEFAULT_REMINDER_DAYS_BEFORE: i64 = 15;
/// Default number of previous passwords that cannot be reused (SPEC §3 *(config)*).
pub const DEFAULT_PASSWORD_HISTORY: usize = 5;

/// Password lifetime settings (all *(config)* in SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordConfig {
    /// Password validity, days (default 180).
    pub expiry_days: i64,
    /// Reminder sent this many days before expiry (default 15).
    pub reminder_days_before: i64,
    /// Number of previous passwords that cannot be reused (default 5).
    pub history: usize,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        PasswordConfig {
            expiry_days: 180,
            reminder_days_before: 15,
            history: 5,
        }
    }
}

/// What the password must not contain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordContext<'a> {
    /// The account's identifiant (sign-in id).
    pub identifiant: &'a str,
    /// The user's e-mail (its local part is checked).
    pub email: &'a str,
    /// The user's nom, prénom…
    pub names: &'a [&'a str],
}

/// One unmet rule, with a French message for the form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PasswordRule {
    /// Too short for the chosen form.
    TooShort {
        /// Required length.
        min: usize,
    },
    /// Longer than [`MAX_LEN`].
    TooLong {
        /// Maximum length.
        max: usize,
    },
    /// No upper-case letter.
    MissingUppercase,
    /// No lower-case letter.
    MissingLowercase,
    /// No digit.
    MissingDigit,
    /// No special character (needed below 14 characters).
    MissingSpecial,
    /// A passphrase with too few words.
    TooFewWords {
        /// Required number of words.
        min: usize,
    },
    /// Contains the e-mail's local part.
    ContainsEmail,
    /// Contains one of the user's names.
    ContainsName,
    /// Contains the account's identifiant.
    ContainsIdentifiant,
    /// A common or breached password (blocklist).
    Common,
}

impl PasswordRule {
    /// Stable code, e.g. `password.too_short`.
    pub fn code(&self) -> &'static str {
        match self {
            PasswordRule::TooShort { .. } => "password.too_short",
            PasswordRule::TooLong { .. } => "password.too_long",
            PasswordRule::MissingUppercase => "password.missing_uppercase",
            PasswordRule::MissingLowercase => "password.missing_lowercase",
            PasswordRule::MissingDigit => "password.missing_digit",
            PasswordRule::MissingSpecial => "password.missing_special",
            PasswordRule::TooFewWords { .. } => "password.too_few_words",
            PasswordRule::ContainsEmail => "password.contains_email",
            PasswordRule::ContainsName => "password.contains_name",
            PasswordRule::ContainsIdentifiant => "password.contains_identifiant",
            PasswordRule::Common => "password.common",
        }
    }

    /// French message.
    pub fn message(&self) -> String {
        match self {
            PasswordRule::TooShort { min } => {
                format!("Le mot de passe doit contenir au moins {min} caractères.")
            }
            PasswordRule::TooLong { max } => {
                format!("Le mot de passe ne doit pas dépasser {max} caractères.")
            }
            PasswordRule::MissingUppercase => {
                "Le mot de passe doit contenir au moins une lettre majuscule.".into()
            }
            PasswordRule::MissingLowercase => {
                "Le mot de passe doit contenir au moins une lettre minuscule.".into()
            }
            PasswordRule::MissingDigit => {
                "Le mot de passe doit contenir au moins un chiffre.".into()
            }
            PasswordRule::MissingSpecial => format!(
                "Le mot de passe doit contenir au moins un caractère spécial (par exemple ! ? # @ % *), ou compter au moins {MIN_LEN_THREE_CLASSES} caractères."
            ),
            PasswordRule::TooFewWords { min } => {
                format!("Une phrase de passe doit compter au moins {min} mots.")
            }
            PasswordRule::ContainsEmail => {
                "Le mot de passe ne doit pas contenir votre adresse électronique.".into()
            }
            PasswordRule::ContainsName => {
                "Le mot de passe ne doit pas contenir votre nom ni votre prénom.".into()
            }
            PasswordRule::ContainsIdentifiant => {
                "Le mot de passe ne doit pas contenir votre identifiant.".into()
            }
            PasswordRule::Common => "Ce mot de passe fait partie des mots de passe les plus courants ou déjà divulgués (même avec des chiffres ou des symboles ajoutés au début ou à la fin) : choisissez-en un autre, par exemple une phrase de passe de 7 mots.".into(),
        }
    }
}

impl fmt::Display for PasswordRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The rules as shown on the form (SPEC §3: « the rules are shown on the form »).
pub fn policy_description() -> String {
    format!(
        "Choisissez un mot de passe d'au moins {MIN_LEN_FOUR_CLASSES} caractères comprenant des majuscules, des minuscules, des chiffres et des caractères spéciaux ; ou d'au moins {MIN_LEN_THREE_CLASSES} caractères comprenant des majuscules, des minuscules et des chiffres ; ou une phrase de passe d'au moins {MIN_PASSPHRASE_WORDS} mots. Il ne doit contenir ni votre identifiant, ni votre adresse électronique, ni votre nom, ni votre prénom, ni être un mot de passe courant."
    )
}

fn word_count(pw: &str) -> usize {
    pw.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count()
}

/// Checks `pw`; returns every unmet rule.
///
/// When no form is satisfied, the rules of the 12-character form are reported,
/// except that the 14-character form's are when the password already has 12+
/// characters and fewer rules unmet there, and "too few words" alone is reported
/// for a password of 2+ words that misses 2+ rules of both other forms.
pub fn check_password(pw: &str, ctx: &PasswordContext<'_>) -> Result<(), Vec<PasswordRule>> {
    let len = pw.chars().count();
    if len > MAX_LEN {
        return Err(vec![PasswordRule::TooLong { max: MAX_LEN }]);
    }
    let upper = pw.chars().any(char::is_uppercase);
    let lower = pw.chars().any(char::is_lowercase);
    let digit = pw.chars().any(|c| c.is_ascii_digit());
    let special = pw.chars().any(|c| !c.is_alphanumeric());
    let words = word_count(pw);

    let mut four = Vec::new();
    if len < MIN_LEN_FOUR_CLASSES {
        four.push(PasswordRule::TooShort {
            min: MIN_LEN_FOUR_CLASSES,
        });
    }
    let mut three = Vec::new();
    if len < MIN_LEN_THREE_CLASSES {
        three.push(PasswordRule::TooShort {
            min: MIN_LEN_THREE_CLASSES,
        });
    }
    for (ok, rule) in [
        (upper, PasswordRule::MissingUppercase),
        (lower, PasswordRule::MissingLowercase),
        (digit, PasswordRule::MissingDigit),
    ] {
        if !ok {
            four.push(rule.clone());
            three.push(rule);
        }
    }
    if !special {
        four.push(PasswordRule::MissingSpecial);
    }
    let phrase_ok = words >= MIN_PASSPHRASE_WORDS;

    let mut unmet = if four.is_empty() || three.is_empty() || phrase_ok {
        Vec::new()
    } else if words >= 2 && four.len() > 1 && three.len() > 1 {
        vec![PasswordRule::TooFewWords {
            min: MIN_PASSPHRASE_WORDS,
        }]
    } else if three.len() < four.len() && len >= MIN_LEN_FOUR_CLASSES {
        three
    } else {
        four
    };

    let structural_ok = unmet.is_empty();
    let folded = fold(pw);
    let local = ctx.email.rsplit_once('@').map_or(ctx.email, |(l, _)| l);
    let local_f = fold(local);
    let email_parts =
        std::iter::once(local_f.as_str()).chain(local_f.split(|c: char| !c.is_alphanumeric()));
    if email_parts
        .filter(|p| p.chars().count() >= 3)
        .any(|p| folded.contains(p))
    {
        unmet.push(PasswordRule::ContainsEmail);
    }
    let name_hit = ctx.names.iter().any(|n| {
        fold(n)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| p.chars().count() >= 3)
            .any(|p| folded.contains(p))
    });
    if name_hit {
        unmet.push(PasswordRule::ContainsName);
    }
    let ident = fold(ctx.identifiant.trim());
    if ident.chars().count() >= 3 && folded.contains(&ident) {
        unmet.push(PasswordRule::ContainsIdentifiant);
    }
    // Reported once the form rules are met (a short « abc » is refused for its length).
    if structural_ok && is_common_password(pw) {
        unmet.push(PasswordRule::Common);
    }
    if unmet.is_empty() { Ok(()) } else { Err(unmet) }
}

/// When a password changed at `changed_at` expires (`expiry_days` × 24 h later).
pub fn password_expires_at(changed_at: Timestamp, cfg: &PasswordConfig) -> Timestamp {
    changed_at
        .saturating_add(SignedDuration::from_hours(
            cfg.expiry_days.saturating_mul(24),
        ))
        .unwrap_or(Timestamp::MAX)
}

/// When the expiry reminder e-mail is due (`reminder_days_before` days before expiry).
pub fn password_reminder_at(changed_at: Timestamp, cfg: &PasswordConfig) -> Timestamp {
    password_expires_at(changed_at, cfg)
        .saturating_sub(SignedDuration::from_hours(
            cfg.reminder_days_before.saturating_mul(24),
        ))
        .unwrap_or(Timestamp::MIN)
}

/// True once the password must be changed before anything else (SPEC §3).
pub fn is_password_expired(changed_at: Timestamp, now: Timestamp, cfg: &PasswordConfig) -> bool {
    now >= password_expires_at(changed_at, cfg)
}

/// True when the reminder is due and the password not yet expired.
pub fn is_reminder_due(changed_at: Timestamp, now: Timestamp, cfg: &PasswordConfig) -> bool {
    now >= password_reminder_at(changed_at, cfg) && !is_password_expired(changed_at, now, cfg)
}

/// Age of the password in whole days at `now` (0 if `changed_at` is in the future).
pub fn password_age_days(changed_at: Timestamp, now: Timestamp) -> i64 {
    (now.duration_since(changed_at).as_secs() / 86_400).max(0)
}

#[cfg(test)]
#[path = "password_tests.rs"]
mod tests;
