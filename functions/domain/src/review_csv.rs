//! Habilitation review export (SPEC §3 « Habilitation review », convention §4.2):
//! a CSV that opens correctly in a French spreadsheet — UTF-8 with BOM, `;`
//! separator, CRLF line ends, dates `JJ/MM/AAAA` (Europe/Paris), RFC 4180 quoting
//! of `;`, `"`, CR and LF, and cells starting with `=`, `+`, `-`, `@`, tab or CR
//! prefixed with `'` against formula injection.

use crate::calendar::paris_date;
use crate::password::password_age_days;
use crate::types::{AccountStatus, Profile};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Header line, in column order.
pub const REVIEW_CSV_HEADERS: [&str; 10] = [
    "Profil",
    "Nom",
    "Prénom",
    "Fonction",
    "Adresse électronique",
    "Statut",
    "Créé le",
    "Créé par",
    "Dernière connexion",
    "Ancienneté du mot de passe (jours)",
];

/// One account of the review table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRow {
    /// Gestionnaire / technicien.
    pub profile: Profile,
    /// Nom.
    pub nom: String,
    /// Prénom.
    pub prenom: String,
    /// Fonction.
    pub fonction: String,
    /// E-mail.
    pub email: String,
    /// Status.
    pub status: AccountStatus,
    /// Creation time.
    pub created_at: Timestamp,
    /// Who created it (display name).
    pub created_by: String,
    /// Last successful login.
    pub last_login: Option<Timestamp>,
    /// Last password change (`None` while pending).
    pub password_changed_at: Option<Timestamp>,
}

/// Makes one cell safe: formula neutralisation, then quoting when needed.
pub fn csv_cell(value: &str) -> String {
    let neutralised = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if neutralised.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", neutralised.replace('"', "\"\""))
    } else {
        neutralised
    }
}

fn fr_date(ts: Timestamp) -> String {
    let d = paris_date(ts);
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// Builds the CSV of `rows` (in the given order); `now` gives the password ages.
pub fn review_csv(rows: &[ReviewRow], now: Timestamp) -> String {
    let mut out = String::from("\u{feff}");
    let line = |cells: &[String], out: &mut String| {
        let joined: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&joined.join(";"));
        out.push_str("\r\n");
    };
    let headers: Vec<String> = REVIEW_CSV_HEADERS
        .iter()
        .map(|h| (*h).to_string())
        .collect();
    line(&headers, &mut out);
    for r in rows {
        let cells = [
            r.profile.label().to_string(),
            r.nom.clone(),
            r.prenom.clone(),
            r.fonction.clone(),
            r.email.clone(),
            r.status.label().to_string(),
            fr_date(r.created_at),
            r.created_by.clone(),
            r.last_login.map(fr_date).unwrap_or_default(),
            r.password_changed_at
                .map(|t| password_age_days(t, now).to_string())
                .unwrap_or_default(),
        ];
        line(&cells, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn row() -> ReviewRow {
        ReviewRow {
            profile: Profile::Technicien,
            nom: "Durand".into(),
            prenom: "Zoé".into(),
            fonction: "Conseillère ; accueil".into(),
            email: "zoe.durand@ccas-exemple.fr".into(),
            status: AccountStatus::Active,
            created_at: ts("2025-12-31T23:30:00Z"),
            created_by: "Martin Léa".into(),
            last_login: Some(ts("2026-05-10T08:00:00Z")),
            password_changed_at: Some(ts("2026-04-01T08:00:00Z")),
        }
    }

    #[test]
    fn spec_3_convention_4_2_review_csv_format() {
        let csv = review_csv(&[row()], ts("2026-05-14T12:00:00Z"));
        assert!(csv.starts_with('\u{feff}'));
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(
            lines[0],
            "Profil;Nom;Prénom;Fonction;Adresse électronique;Statut;Créé le;Créé par;Dernière connexion;Ancienneté du mot de passe (jours)"
        );
        // created 23:30 UTC on 31 Dec = 1 Jan in Paris
        assert_eq!(
            lines[1],
            "Technicien;Durand;Zoé;\"Conseillère ; accueil\";zoe.durand@ccas-exemple.fr;Actif;01/01/2026;Martin Léa;10/05/2026;43"
        );
        assert_eq!(lines[2], "");
        assert_eq!(lines.len(), 3);
        assert!(!csv.contains("\n\n"));
    }

    #[test]
    fn spec_3_review_csv_empty_cells_and_pending() {
        let mut r = row();
        r.status = AccountStatus::Pending;
        r.last_login = None;
        r.password_changed_at = None;
        let csv = review_csv(&[r], ts("2026-05-14T12:00:00Z"));
        assert!(
            csv.contains(";En attente;01/01/2026;Martin Léa;;\r\n"),
            "{csv}"
        );
    }

    #[test]
    fn spec_3_review_csv_injection_and_quoting() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+33 1 23"), "'+33 1 23");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(csv_cell("a\nb"), "\"a\nb\"");
        assert_eq!(csv_cell("Jean-Pierre"), "Jean-Pierre");
        assert_eq!(csv_cell(""), "");
        let mut r = row();
        r.nom = "=cmd|' /C calc'!A0".into();
        let csv = review_csv(&[r], ts("2026-05-14T12:00:00Z"));
        assert!(csv.contains(";'=cmd|' /C calc'!A0;"), "{csv}");
    }
}
