//! Unit tests of `freetext`.
use super::*;

fn cats(text: &str) -> Vec<(FindingCategory, String)> {
    scan_free_text(text)
        .into_iter()
        .map(|f| (f.category, f.span.slice(text).to_string()))
        .collect()
}

#[test]
fn spec_4_health_terms_flagged_with_spans() {
    let t = "Madame est DIABÉTIQUE et enceinte de 5 mois, suivie à l'hôpital.";
    let f = cats(t);
    assert_eq!(
        f,
        [
            (FindingCategory::Health, "DIABÉTIQUE".into()),
            (FindingCategory::Health, "enceinte".into()),
            (FindingCategory::Health, "hôpital".into()),
        ]
    );
}

#[test]
fn spec_4_accents_case_plurals() {
    assert_eq!(cats("deux hopitaux").len(), 1);
    assert_eq!(cats("personnes handicapées").len(), 1);
    assert_eq!(cats("des Cancers").len(), 1);
    assert_eq!(cats("diabete").len(), 1);
    assert_eq!(cats("de\u{0301}pression").len(), 1); // decomposed accent
    assert_eq!(cats("sclérose en plaques")[0].1, "sclérose en plaques");
    // whole words only
    assert!(cats("contact concernant le dossier, conformément à la procédure").is_empty());
    assert!(cats("diabètement").is_empty());
}

#[test]
fn spec_4_precision_administrative_phrases_not_flagged() {
    for t in [
        "Demande de Complémentaire santé solidaire pour l'assuré.",
        "Difficultés d'accès aux soins et aux droits.",
        "Affiliation à l'assurance maladie à vérifier.",
        "La Caisse primaire d'assurance maladie a reçu le dossier.",
        "Carte Vitale perdue, la CPAM est informée.",
        "Ouverture des droits à la protection universelle maladie (PUMa).",
        "Il faut déclarer un médecin traitant.",
        "Personne en situation de fracture numérique.",
    ] {
        assert!(scan_free_text(t).is_empty(), "{t}: {:?}", cats(t));
    }
    // but « maladie » alone is health data
    assert_eq!(cats("Il est en arrêt maladie.")[0].1, "arrêt maladie");
}

/// Issue 10: compounds match with or without hyphen or space, both ways, and
/// prefix entries catch every compound they start.
#[test]
fn spec_4_compounds_and_prefixes() {
    for (text, span) in [
        ("Il est insulino-dépendant(e).", "insulino-dépendant"),
        ("Il est insulinodépendante.", "insulinodépendante"),
        ("Il est insulino dépendant.", "insulino dépendant"),
        ("Elle est alcoolodépendante.", "alcoolodépendante"),
        ("Il est séro-positif.", "séro-positif"),
        ("Elle est séro\u{a0}positive.", "séro\u{a0}positive"),
        ("Il est mal-entendant.", "mal-entendant"),
        ("Troubles psycho-affectifs.", "psycho-affectifs"),
        ("Bilan psychomoteur.", "psychomoteur"),
        ("Le fils est toxico-dépendant.", "toxico-dépendant"),
        ("Elle est sous chimiothérapie.", "sous chimiothérapie"),
        ("Elle est dialysée.", "dialysée"),
    ] {
        assert_eq!(
            cats(text),
            [(FindingCategory::Health, span.to_string())],
            "{text}"
        );
    }
    // only one hyphen or blank joins a compound; administrative compounds pass
    assert!(cats("Situation de mal-logement, accompagnement socio-professionnel.").is_empty());
    assert!(cats("Demande de Complémentaire-santé-solidaire.").is_empty());
    assert_eq!(cats("sero  positif").len(), 0, "two blanks: two words");
}

#[test]
fn spec_4_judgements_flagged() {
    let f = cats("Monsieur est un fainéant et un menteur.");
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|(c, _)| *c == FindingCategory::Judgement));
}

#[test]
fn spec_4_check_free_text_message() {
    assert!(check_free_text("commentaire", "Merci de rappeler l'assuré demain matin.").is_ok());
    let e = check_free_text(
        "commentaire",
        "Assurée enceinte, très pénible, un peu fainéante.",
    )
    .unwrap_err();
    assert_eq!(e.field, "commentaire");
    assert_eq!(e.code, "freetext.health");
    assert!(e.message.contains("« enceinte »"), "{}", e.message);
    assert!(e.message.contains("« fainéante »"), "{}", e.message);
    assert!(e.message.contains("article 5"));
    let nir = format!(
        "1850578006084{:02}",
        crate::nir::nir_key("1850578006084").unwrap()
    );
    let e = check_free_text("commentaire", &format!("NIR {nir}")).unwrap_err();
    assert_eq!(e.code, "freetext.nir");
    assert!(!e.message.contains(&nir), "the NIR is never echoed");
    assert!(
        e.message.contains("à partir du 5e caractère"),
        "{}",
        e.message
    );
    let e = check_free_text("commentaire", &format!("{nir}\net {nir}")).unwrap_err();
    assert!(
        e.message.contains("à partir des 1er et 20e caractères"),
        "{}",
        e.message
    );
}

/// SPEC §5 input hygiene comes first: a zero-width space inside « diabète » or a
/// bidi override is refused as such (not let through, not reported as health data).
#[test]
fn spec_5_free_text_refuses_unclean_text_first() {
    let e = check_free_text("message", "Il est dia\u{200b}bétique.").unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.code.as_str()),
        ("message", "text.invisible")
    );
    let e = check_free_text("message", "diabète \u{202e}").unwrap_err();
    assert_eq!(e.code, "text.bidi");
    assert!(check_free_text("message", "Bonjour,\nmerci.").is_ok());
}

#[test]
fn lists_are_large_enough() {
    assert!(term_list(FindingCategory::Health).len() >= 200);
    assert!(term_list(FindingCategory::Judgement).len() >= 80);
}
