//! No parser, detector or rule panics on any input (property tests).

use ep_domain::freetext::{check_free_text, scan_free_text};
use ep_domain::nir::{find_nirs, nir_key};
use ep_domain::password::{PasswordContext, check_password};
use ep_domain::review_csv::csv_cell;
use ep_domain::text::fold;
use ep_domain::types::*;
use jiff::civil::date;
use proptest::prelude::*;

fn all_parsers(s: &str) {
    let today = date(2026, 5, 14);
    let _ = Email::parse(s);
    let _ = ProfessionalEmail::parse(s, &["example.org", s]);
    let _ = FrenchPhone::parse(s).map(|p| (p.kind(), p.e164(), p.to_string()));
    let _ = PersonName::parse(s);
    let _ = Fonction::parse(s);
    let _ = Civilite::parse(s);
    let _ = Departement::parse(s);
    let _ = BirthDate::parse(s, today);
    let _ = PartnerCategory::parse(s);
    let _ = Functionality::parse(s);
    let _ = RequestKind::parse(s, Some(s));
    let _ = RequestKind::parse("document", Some(s));
    let _ = Identifiant::parse(s);
    let _ = Identifiant::generate(s, s, 7);
    let _ = ep_domain::requests::RequestState::parse(s);
    let _ = ep_domain::request_form::name_query(s);
    let _ = ep_domain::request_form::check_text("message", s, 2000);
    let _ = ep_domain::request_form::posted_on(Some(s), today, today);
    let input = ep_domain::request_form::RequestInput {
        kind: Some(s.into()),
        sous_type: Some(s.into()),
        nom: Some(s.into()),
        date_naissance: Some(s.into()),
        message: Some(s.into()),
        ..Default::default()
    };
    let _ = ep_domain::request_form::validate(&input, true, today);
    for m in find_nirs(s) {
        assert!(s.get(m.span.byte_start..m.span.byte_end).is_some());
    }
    for f in scan_free_text(s) {
        assert!(s.get(f.span.byte_start..f.span.byte_end).is_some());
        assert!(f.span.char_start < f.span.char_end);
    }
    let _ = check_free_text("commentaire", s);
    let _ = check_password(
        s,
        &PasswordContext {
            identifiant: s,
            email: s,
            names: &[s, "Dupont"],
        },
    );
    let _ = csv_cell(s);
    let _ = fold(s);
    let _ = nir_key(s);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_unicode_never_panics(s in "\\PC{0,80}") {
        all_parsers(&s);
    }

    #[test]
    fn near_valid_inputs_never_panic(s in "[0-9AaBb .+@()/'’-]{0,30}[a-zéèœ@.]{0,12}") {
        all_parsers(&s);
    }

    #[test]
    fn any_chars_including_controls_never_panic(v in prop::collection::vec(any::<char>(), 0..40)) {
        let s: String = v.into_iter().collect();
        all_parsers(&s);
    }
}

#[test]
fn huge_inputs_are_handled() {
    let big = "1 85 05 78 006 084 ".repeat(2_000) + &"diabète ".repeat(2_000);
    all_parsers(&big);
    all_parsers(&"é".repeat(10_000));
}
