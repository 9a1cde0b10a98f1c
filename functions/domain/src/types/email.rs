//! E-mail addresses (§2.2.1: professional addresses of the structure).

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Free webmail / consumer ISP domains refused for gestionnaires and techniciens
/// (§2.2.1 « adresses professionnelles attachées à sa structure »). Maintained list;
/// lower-case. A subdomain of one of these (e.g. `mail.gmail.com`) is refused too.
pub const WEBMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.fr",
    "yahoo.com",
    "yahoo.co.uk",
    "ymail.com",
    "rocketmail.com",
    "hotmail.fr",
    "hotmail.com",
    "hotmail.be",
    "hotmail.co.uk",
    "live.fr",
    "live.com",
    "live.be",
    "msn.com",
    "outlook.fr",
    "outlook.com",
    "outlook.be",
    "windowslive.com",
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "aliceadsl.fr",
    "laposte.net",
    "sfr.fr",
    "neuf.fr",
    "cegetel.net",
    "club-internet.fr",
    "bbox.fr",
    "numericable.fr",
    "noos.fr",
    "9online.fr",
    "libertysurf.fr",
    "tiscali.fr",
    "voila.fr",
    "caramail.com",
    "netcourrier.com",
    "mailo.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "protonmail.com",
    "protonmail.ch",
    "proton.me",
    "pm.me",
    "tutanota.com",
    "tutanota.de",
    "tuta.io",
    "aol.com",
    "aol.fr",
    "gmx.fr",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "web.de",
    "mail.com",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "zoho.com",
    "posteo.de",
    "posteo.net",
    "mailfence.com",
    "hushmail.com",
    "skynet.be",
    "bluewin.ch",
    "sunrise.ch",
];

/// True when `domain` (any case) is a free webmail domain or one of its subdomains.
pub fn is_webmail_domain(domain: &str) -> bool {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    WEBMAIL_DOMAINS
        .iter()
        .any(|w| d == *w || d.strip_suffix(w).is_some_and(|p| p.ends_with('.')))
}

fn err(code: &str, message: String) -> FieldError {
    FieldError::new("email", code, message)
}

fn invalid(input: &str, why: &str) -> FieldError {
    let shown: String = input.chars().take(80).collect();
    err(
        "email.syntax",
        format!(
            "L'adresse électronique « {shown} » n'est pas valide : {why}. Saisissez une adresse de la forme prenom.nom@exemple.org."
        ),
    )
}

/// A syntactically valid e-mail address, trimmed, with a lower-cased domain.
///
/// Rules: one `@`; local part 1–64 characters among letters, digits and
/// ``!#$%&'*+/=?^_`{|}~.-``, no leading, trailing or double dot; domain of at
/// least two labels, each 1–63 of `a-z 0-9 -` not starting or ending with `-`,
/// the last label alphabetic (2+ letters); total ≤ 254. Non-ASCII addresses are
/// refused. The local part keeps its case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address.
    pub fn parse(input: &str) -> Result<Email, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(err(
                "email.empty",
                "L'adresse électronique est obligatoire.".into(),
            ));
        }
        if !s.is_ascii() {
            return Err(invalid(
                s,
                "elle contient des caractères accentués ou spéciaux non autorisés",
            ));
        }
        if s.len() > 254 {
            return Err(invalid(s, "elle dépasse 254 caractères"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(invalid(s, "il manque le caractère @"));
        };
        if local.is_empty() || local.len() > 64 {
            return Err(invalid(
                s,
                "la partie avant @ doit compter de 1 à 64 caractères",
            ));
        }
        if !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        {
            return Err(invalid(
                s,
                "la partie avant @ contient un caractère non autorisé",
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(invalid(s, "la partie avant @ contient un point mal placé"));
        }
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(invalid(s, "le nom de domaine après @ est incomplet"));
        }
        for l in &labels {
            if l.is_empty()
                || l.len() > 63
                || l.starts_with('-')
                || l.ends_with('-')
                || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(invalid(s, "le nom de domaine après @ n'est pas valide"));
            }
        }
        let tld = labels.last().copied().unwrap_or("");
        if tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(invalid(s, "le nom de domaine après @ n'est pas valide"));
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    /// The whole address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(l, _)| l)
    }

    /// The lower-cased domain.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for Email {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Email::parse(&s)
    }
}
impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}
impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A professional address of a partner structure (§2.2.1).
///
/// **Domain rule (decision)**: the domain must be *exactly* one of the partner's
/// allowed domains (compared case-insensitively); subdomains are **not** implied
/// (`ccas.ville.example.org` is refused when only `ville.example.org` is allowed):
/// the caisse records allowed domains strictly and adds a subdomain explicitly if
/// needed. Free webmail domains are refused even if a caisse listed one.
///
/// Deserialising re-checks syntax and the webmail list only (the allowed list is
/// not known there).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProfessionalEmail(Email);

impl ProfessionalEmail {
    /// Parses `input` and checks it against the partner's `allowed_domains`.
    pub fn parse<S: AsRef<str>>(input: &str, allowed_domains: &[S]) -> Result<Self, FieldError> {
        let e = Self::parse_not_webmail(input)?;
        let domain = e.0.domain();
        let allowed = allowed_domains.iter().any(|a| {
            a.as_ref()
                .trim()
                .trim_start_matches('@')
                .eq_ignore_ascii_case(domain)
        });
        if !allowed {
            let list: Vec<String> = allowed_domains
                .iter()
                .map(|a| {
                    a.as_ref()
                        .trim()
                        .trim_start_matches('@')
                        .to_ascii_lowercase()
                })
                .filter(|a| !a.is_empty())
                .collect();
            let msg = if list.is_empty() {
                "L'adresse électronique ne peut pas être acceptée : aucun domaine de messagerie n'est enregistré pour la structure. La caisse doit d'abord enregistrer le domaine de messagerie de la structure.".to_string()
            } else {
                format!(
                    "L'adresse électronique doit appartenir au domaine de la structure ({}) : le domaine « {domain} » n'est pas autorisé.",
                    list.join(", ")
                )
            };
            return Err(err("email.domain_not_allowed", msg));
        }
        Ok(e)
    }

    fn parse_not_webmail(input: &str) -> Result<Self, FieldError> {
        let e = Email::parse(input)?;
        if is_webmail_domain(e.domain()) {
            return Err(err(
                "email.webmail",
                format!(
                    "L'adresse électronique doit être une adresse professionnelle de la structure : les messageries personnelles (gmail.com, orange.fr, …) sont refusées, et « {} » en est une.",
                    e.domain()
                ),
            ));
        }
        Ok(ProfessionalEmail(e))
    }

    /// The underlying address.
    pub fn email(&self) -> &Email {
        &self.0
    }

    /// The whole address.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for ProfessionalEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
impl TryFrom<String> for ProfessionalEmail {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        ProfessionalEmail::parse_not_webmail(&s)
    }
}
impl From<ProfessionalEmail> for String {
    fn from(e: ProfessionalEmail) -> String {
        e.0.0
    }
}
impl From<ProfessionalEmail> for Email {
    fn from(e: ProfessionalEmail) -> Email {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_2_2_1_email_syntax_and_lowercase_domain() {
        let e = Email::parse("  Jeanne.Martin@Ville-Exemple.ORG ").unwrap();
        assert_eq!(e.as_str(), "Jeanne.Martin@ville-exemple.org");
        assert_eq!(e.domain(), "ville-exemple.org");
        assert_eq!(e.local_part(), "Jeanne.Martin");
        for bad in [
            "",
            "sans-arobase.example.org",
            "@example.org",
            "a@",
            "a@example",
            "a@@example.org",
            "a..b@example.org",
            ".a@example.org",
            "a.@example.org",
            "a@-ex.org",
            "a@ex-.org",
            "a@ex..org",
            "a b@example.org",
            "é@example.org",
            "a@example.o",
            "a@example.12",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(Email::parse("").unwrap_err().code, "email.empty");
        assert_eq!(Email::parse("x").unwrap_err().field, "email");
    }

    #[test]
    fn spec_2_2_1_webmail_refused() {
        assert!(WEBMAIL_DOMAINS.len() >= 40);
        for d in [
            "gmail.com",
            "yahoo.fr",
            "hotmail.fr",
            "orange.fr",
            "free.fr",
            "laposte.net",
            "wanadoo.fr",
            "sfr.fr",
            "outlook.fr",
            "icloud.com",
            "protonmail.com",
        ] {
            let e = ProfessionalEmail::parse(&format!("a.b@{d}"), &[d]).unwrap_err();
            assert_eq!(e.code, "email.webmail", "{d}");
            assert!(e.message.contains("messageries personnelles"));
        }
        assert!(is_webmail_domain("smtp.GMAIL.com"));
        assert!(!is_webmail_domain("notgmail.com"));
    }

    #[test]
    fn spec_2_2_1_allowed_domains_exact_match() {
        let allowed = ["ccas-exemple.fr", "Ville-Exemple.org"];
        assert!(ProfessionalEmail::parse("agent@ccas-exemple.fr", &allowed).is_ok());
        assert!(ProfessionalEmail::parse("agent@VILLE-exemple.org", &allowed).is_ok());
        let e = ProfessionalEmail::parse("agent@autre.example.org", &allowed).unwrap_err();
        assert_eq!(e.code, "email.domain_not_allowed");
        assert!(e.message.contains("ccas-exemple.fr, ville-exemple.org"));
        // decision: subdomains are not implied
        assert!(ProfessionalEmail::parse("a@social.ccas-exemple.fr", &allowed).is_err());
        let none: [&str; 0] = [];
        assert!(ProfessionalEmail::parse("a@ccas-exemple.fr", &none).is_err());
    }

    #[test]
    fn serde_revalidates() {
        let e: Result<Email, _> = serde_json::from_str("\"pas une adresse\"");
        assert!(e.is_err());
        let e: Email = serde_json::from_str("\"A@Example.ORG\"").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"A@example.org\"");
        let p: Result<ProfessionalEmail, _> = serde_json::from_str("\"a@gmail.com\"");
        assert!(p.is_err());
    }
}
