//! The new-request form (SPEC §4, convention §1.2, §5): validation, text guards,
//! references, name search keys.

use ep_domain::nir::nir_key;
use ep_domain::request_form::*;
use ep_domain::types::AppointmentMode;
use jiff::civil::{Date, date};

fn today() -> Date {
    date(2026, 11, 26)
}

fn nir() -> String {
    format!("1850578006084{:02}", nir_key("1850578006084").unwrap())
}

fn full() -> RequestInput {
    RequestInput {
        caisse_id: Some("c1".into()),
        kind: Some("dossier".into()),
        sous_type: Some("css".into()),
        civilite: Some("madame".into()),
        nom: Some("Dupont-Lefèvre".into()),
        prenom: Some("Éloïse".into()),
        date_naissance: Some("1961-04-12".into()),
        departement: Some("2A".into()),
        message: Some("Merci d'étudier le dossier de l'assurée.".into()),
        mode: None,
        disponibilites: None,
    }
}

fn fields(c: &Checked) -> Vec<(&str, &str)> {
    c.errors
        .0
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect()
}

#[test]
fn spec_4_a_complete_form_is_valid() {
    let c = validate(&full(), true, today());
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let r = c.request.unwrap();
    assert_eq!(r.sous_type, Some("css"));
    assert_eq!(r.assure.departement.as_str(), "2A");
    for dep in ["971", "976", "2B", "01"] {
        let mut i = full();
        i.departement = Some(dep.into());
        assert!(validate(&i, true, today()).request.is_some(), "{dep}");
    }
    for dep in ["20", "977", "96"] {
        let mut i = full();
        i.departement = Some(dep.into());
        assert_eq!(
            fields(&validate(&i, true, today())),
            [("assure.departement", "departement.invalid")]
        );
    }
}

#[test]
fn spec_4_incomplete_forms_report_missing_fields_only_when_complete() {
    let empty = RequestInput::default();
    let partial = validate(&empty, false, today());
    assert!(partial.errors.is_empty() && partial.request.is_none());
    let c = validate(&empty, true, today());
    let f: Vec<&str> = c.errors.0.iter().map(|e| e.field.as_str()).collect();
    for want in [
        "caisse_id",
        "type",
        "assure.civilite",
        "assure.nom",
        "assure.prenom",
        "assure.date_naissance",
        "assure.departement",
        "message",
    ] {
        assert!(f.contains(&want), "{want}: {f:?}");
    }
    let mut i = full();
    i.sous_type = None;
    assert_eq!(
        fields(&validate(&i, true, today())),
        [("sous_type", "sous_type.missing")]
    );
    assert!(validate(&i, false, today()).errors.is_empty());
}

#[test]
fn spec_4_sous_types_per_kind() {
    let mut i = full();
    i.kind = Some("contact".into());
    i.sous_type = Some("changement_situation".into());
    assert_eq!(
        validate(&i, true, today()).request.unwrap().sous_type,
        Some("changement_situation")
    );
    i.kind = Some("signalement".into());
    i.sous_type = Some("rupture_droits".into());
    assert!(validate(&i, true, today()).request.is_some());
    i.sous_type = Some("droits".into());
    assert_eq!(
        fields(&validate(&i, true, today())),
        [("sous_type", "sous_type.invalid")]
    );
    i.kind = Some("rendez_vous".into());
    i.sous_type = None;
    assert_eq!(
        fields(&validate(&i, true, today())),
        [("mode", "required"), ("disponibilites", "required")]
    );
    i.mode = Some("visio".into());
    i.disponibilites = Some("Lundi matin ou mardi après-midi".into());
    let r = validate(&i, true, today()).request.unwrap();
    assert_eq!(r.mode, Some(AppointmentMode::Visio));
    i.kind = Some("contact".into());
    i.sous_type = Some("droits".into());
    assert_eq!(
        fields(&validate(&i, true, today())),
        [
            ("mode", "field.unexpected"),
            ("disponibilites", "field.unexpected")
        ]
    );
    i.kind = Some("historique".into());
    i.mode = None;
    i.disponibilites = None;
    assert_eq!(
        fields(&validate(&i, true, today())),
        [("type", "type.invalid")]
    );
}

#[test]
fn spec_4_convention_5_a_nir_is_refused_in_every_field() {
    let n = nir();
    let spaced = format!(
        "{} {} {} {} {} {} {}",
        &n[0..1],
        &n[1..3],
        &n[3..5],
        &n[5..7],
        &n[7..10],
        &n[10..13],
        &n[13..]
    );
    type Set = fn(&mut RequestInput, String);
    let setters: [(&str, Set); 9] = [
        ("caisse_id", |i, v| i.caisse_id = Some(v)),
        ("sous_type", |i, v| i.sous_type = Some(v)),
        ("assure.civilite", |i, v| i.civilite = Some(v)),
        ("assure.nom", |i, v| i.nom = Some(v)),
        ("assure.prenom", |i, v| i.prenom = Some(v)),
        ("assure.date_naissance", |i, v| i.date_naissance = Some(v)),
        ("assure.departement", |i, v| i.departement = Some(v)),
        ("message", |i, v| i.message = Some(v)),
        ("disponibilites", |i, v| i.disponibilites = Some(v)),
    ];
    for (field, set) in setters {
        for value in [n.clone(), format!("NIR {spaced}")] {
            let mut i = full();
            if field == "disponibilites" {
                i.kind = Some("rendez_vous".into());
                i.sous_type = None;
                i.mode = Some("accueil".into());
            }
            set(&mut i, value.clone());
            let c = validate(&i, true, today());
            let e = c
                .errors
                .for_field(field)
                .next()
                .unwrap_or_else(|| panic!("{field} {value}: {:?}", c.errors));
            assert_eq!(e.code, "freetext.nir", "{field}: {}", e.message);
            assert!(e.message.contains("retirez « "), "{}", e.message);
            assert!(!e.message.contains(&n), "never the whole NIR");
        }
    }
    let e = nir_error("message", &format!("voir {spaced}")).unwrap();
    assert!(
        e.message
            .contains("retirez « 1 85 05 … » (à partir du caractère 6)"),
        "{}",
        e.message
    );
}

#[test]
fn spec_4_health_data_and_control_characters_are_refused() {
    let mut i = full();
    i.message = Some("L'assurée est diabétique.".into());
    let c = validate(&i, true, today());
    assert_eq!(fields(&c), [("message", "freetext.health")]);
    assert!(c.errors.0[0].message.contains("« diabétique »"));
    assert!(c.errors.0[0].message.starts_with("Le message"));
    i.message = Some("Bonjour\u{202e}".into());
    assert_eq!(
        fields(&validate(&i, true, today())),
        [("message", "text.control")]
    );
    i.message = Some("Ligne 1\nLigne 2".into());
    assert!(validate(&i, true, today()).errors.is_empty());
    i.nom = Some("Dupont\nX".into());
    assert_eq!(
        fields(&validate(&i, true, today())),
        [("assure.nom", "text.control")]
    );
    let e = check_text("message", &"a".repeat(MESSAGE_MAX + 1), MESSAGE_MAX).unwrap_err();
    assert_eq!(e.code, "too_long");
    assert!(e.message.contains("2000"), "{}", e.message);
    assert!(check_text("message", &"a".repeat(MESSAGE_MAX), MESSAGE_MAX).is_ok());
}

#[test]
fn spec_4_reference_is_short_and_readable() {
    let r = reference([0, 0, 0, 0, 0]);
    assert_eq!(r, "000-0000");
    let r = reference([0xff; 5]);
    assert_eq!(r, "ZZZ-ZZZZ");
    let r = reference([0x12, 0x34, 0x56, 0x78, 0x9a]);
    assert_eq!(r.len(), 8);
    assert!(
        r.chars()
            .all(|c| c == '-' || "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c))
    );
    assert!(!r.contains(['I', 'L', 'O', 'U']));
    assert_ne!(reference([1, 2, 3, 4, 5]), reference([1, 2, 3, 4, 6]));
}

#[test]
fn spec_4_name_search_is_case_and_accent_insensitive_by_prefix() {
    let p = name_prefixes("Dupont-Lefèvre", "Éloïse");
    assert_eq!(
        p,
        [
            "du", "dup", "dupo", "le", "lef", "lefe", "el", "elo", "eloi"
        ]
    );
    let q = |s: &str| name_query(s).unwrap();
    assert!(name_matches("Dupont-Lefèvre", "Éloïse", &q("dupont")));
    assert!(name_matches("Dupont-Lefèvre", "Éloïse", &q("DUP")));
    assert!(name_matches("Dupont-Lefèvre", "Éloïse", &q("eloise")));
    assert!(name_matches("Dupont-Lefèvre", "Éloïse", &q("Lefevre")));
    assert!(name_matches("Dupont-Lefèvre", "Éloïse", &q("dupont-lef")));
    assert!(!name_matches("Dupont-Lefèvre", "Éloïse", &q("dupond")));
    assert!(!name_matches("Durand", "Éloïse", &q("dupont")));
    assert_eq!(q("dupont").key, "dupo");
    assert!(!q("dupont").exact);
    assert!(q("Élo").exact);
    assert_eq!(name_query("d").unwrap_err().code, "name.too_short");
    assert_eq!(name_query("").unwrap_err().code, "name.too_short");
}

#[test]
fn spec_4_posted_on() {
    let created = date(2026, 11, 20);
    assert_eq!(
        posted_on(Some("2026-11-25"), created, today()),
        Ok(date(2026, 11, 25))
    );
    assert_eq!(
        posted_on(Some("25/11/2026"), created, today()),
        Ok(date(2026, 11, 25))
    );
    assert_eq!(
        posted_on(Some("2026-11-27"), created, today())
            .unwrap_err()
            .code,
        "posted_on.future"
    );
    assert_eq!(
        posted_on(Some("2026-11-19"), created, today())
            .unwrap_err()
            .code,
        "posted_on.before_request"
    );
    assert_eq!(
        posted_on(None, created, today()).unwrap_err().code,
        "required"
    );
    assert_eq!(
        posted_on(Some("hier"), created, today()).unwrap_err().code,
        "posted_on.invalid"
    );
}
