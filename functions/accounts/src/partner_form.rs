//! The partner and convention forms: bodies and their checks (SPEC §2).

use ep_domain::types::{Functionality, PartnerCategory, Siret, is_webmail_domain};
use jiff::civil::Date;
use serde::Deserialize;

use crate::util::{Check, required};

#[derive(Deserialize, Default)]
pub struct PartnerBody {
    name: Option<String>,
    /// Asked at creation only: the SIRET is the structure's identity (SPEC §2).
    siret: Option<String>,
    address: Option<String>,
    category: Option<String>,
    members: Option<i64>,
    #[serde(default)]
    allowed_domains: Vec<String>,
    pub convention: Option<ConventionBody>,
    /// At creation only: the structure's first gestionnaire, created with it.
    pub first_gestionnaire: Option<crate::people::PersonBody>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ConventionBody {
    start: Option<String>,
    end: Option<String>,
    #[serde(default)]
    functionalities: Vec<String>,
}

/// Checked partner fields.
pub struct PartnerFields {
    pub name: String,
    pub address: String,
    pub category: PartnerCategory,
    pub members: u32,
    pub domains: Vec<String>,
}

fn parse_domain(d: &str) -> Result<String, String> {
    let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
    let ok = d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !ok {
        return Err(format!(
            "« {d} » n'est pas un nom de domaine valide (par exemple ccas-exemple.fr)."
        ));
    }
    if is_webmail_domain(&d) {
        return Err(format!(
            "« {d} » est une messagerie grand public : seules les adresses professionnelles de la structure sont autorisées."
        ));
    }
    Ok(d)
}

pub fn parse_partner(body: &PartnerBody, check: &mut Check) -> Option<PartnerFields> {
    let name = check.take(
        "name",
        required(&body.name, "name", "Le nom de la structure"),
    );
    let address = check.take("address", required(&body.address, "address", "L'adresse"));
    let category = check.take(
        "category",
        required(&body.category, "category", "La catégorie")
            .and_then(|c| PartnerCategory::parse(&c)),
    );
    let members = match body.members {
        Some(n) if (1..=100_000).contains(&n) => Some(n as u32),
        _ => {
            check.fail(
                "members",
                "Indiquez le nombre de membres de la structure (un nombre entier d'au moins 1).",
            );
            None
        }
    };
    let mut domains = Vec::new();
    for d in &body.allowed_domains {
        match parse_domain(d) {
            Ok(d) if !domains.contains(&d) => domains.push(d),
            Ok(_) => {}
            Err(m) => check.fail("allowed_domains", m),
        }
    }
    if body.allowed_domains.is_empty() {
        check.fail(
            "allowed_domains",
            "Indiquez au moins un domaine de messagerie professionnelle de la structure (par exemple ccas-exemple.fr).",
        );
    }
    Some(PartnerFields {
        name: name?,
        address: address?,
        category: category?,
        members: members?,
        domains,
    })
}

/// The SIRET of a new partner (required, 14 digits, Luhn key).
pub fn parse_siret(body: &PartnerBody, check: &mut Check) -> Option<Siret> {
    check.take("siret", Siret::parse(body.siret.as_deref().unwrap_or("")))
}

fn parse_date(
    v: &Option<String>,
    field: &str,
    check: &mut Check,
    required: bool,
) -> Option<Option<Date>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None if required => {
            check.fail(field, "La date est obligatoire (AAAA-MM-JJ).");
            None
        }
        None => Some(None),
        Some(s) => match s.parse::<Date>() {
            Ok(d) => Some(Some(d)),
            Err(_) => {
                check.fail(
                    field,
                    "Cette date n'est pas valide : utilisez le format AAAA-MM-JJ.",
                );
                None
            }
        },
    }
}

pub fn parse_convention(
    body: &ConventionBody,
    check: &mut Check,
) -> Option<(Date, Option<Date>, Vec<String>)> {
    let start = parse_date(&body.start, "convention.start", check, true);
    let end = parse_date(&body.end, "convention.end", check, false);
    let mut fns = Vec::new();
    for f in &body.functionalities {
        match Functionality::parse(f) {
            Ok(f) if !fns.contains(&f.code().to_owned()) => fns.push(f.code().to_owned()),
            Ok(_) => {}
            Err(e) => check.fail("convention.functionalities", e.message),
        }
    }
    let (start, end) = (start??, end?);
    if let Some(e) = end
        && e < start
    {
        check.fail(
            "convention.end",
            "La date de fin doit être postérieure à la date de début.",
        );
        return None;
    }
    Some((start, end, fns))
}
