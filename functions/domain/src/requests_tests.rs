//! Unit tests of `requests` (SPEC §, named in each test).
use super::*;
use crate::types::ConventionState;
use RequestState::*;
use jiff::civil::date;

fn convs() -> Vec<ConventionView> {
    vec![
        ConventionView {
            caisse_id: "cpam69".into(),
            state: ConventionState::Active,
            start: date(2025, 1, 1),
            end: Some(date(2026, 12, 31)),
            functionalities: vec![
                Functionality::Dossier,
                Functionality::Document,
                Functionality::Historique,
            ],
        },
        ConventionView {
            caisse_id: "cpam01".into(),
            state: ConventionState::Ended,
            start: date(2020, 1, 1),
            end: Some(date(2024, 12, 31)),
            functionalities: Functionality::ALL.to_vec(),
        },
    ]
}

#[test]
fn spec_4_convention_1_2_functionalities_per_caisse() {
    let today = date(2026, 5, 14);
    let c = convs();
    assert_eq!(
        available_functionalities(PartnerStatus::Active, &c, "cpam69", today),
        [
            Functionality::Dossier,
            Functionality::Document,
            Functionality::Historique
        ]
    );
    assert_eq!(
        may_use(
            PartnerStatus::Active,
            &c,
            "cpam69",
            Functionality::Contact,
            today
        ),
        Err(AccessError::FunctionalityDisabled(Functionality::Contact))
    );
    assert!(
        AccessError::FunctionalityDisabled(Functionality::Contact)
            .to_string()
            .contains("« Contacter votre organisme d'assurance Maladie »")
    );
    assert_eq!(
        may_use(
            PartnerStatus::Active,
            &c,
            "cpam01",
            Functionality::Contact,
            today
        ),
        Err(AccessError::NoActiveConvention)
    );
    assert_eq!(
        may_use(
            PartnerStatus::Active,
            &c,
            "cpam69",
            Functionality::Dossier,
            date(2027, 1, 1)
        ),
        Err(AccessError::NoActiveConvention)
    );
    assert_eq!(
        may_use(
            PartnerStatus::Suspended,
            &c,
            "cpam69",
            Functionality::Dossier,
            today
        ),
        Err(AccessError::PartnerSuspended)
    );
    assert!(available_functionalities(PartnerStatus::Suspended, &c, "cpam69", today).is_empty());
    let kind = RequestKind::parse("document", Some("attestation_droits")).unwrap();
    assert_eq!(
        caisses_for(PartnerStatus::Active, &c, kind, today),
        ["cpam69"]
    );
    assert_eq!(
        FieldError::from(AccessError::PartnerSuspended).code,
        "access.partner_suspended"
    );
}

#[test]
fn spec_4_state_machine_allowed() {
    let agent = Actor::CaisseAgent;
    let tech = Actor::Partner(Profile::Technicien);
    let gest = Actor::Partner(Profile::Gestionnaire);
    assert_eq!(transition(Submitted, InProgress, agent), Ok(InProgress));
    assert_eq!(
        transition(InProgress, InfoRequested, agent),
        Ok(InfoRequested)
    );
    assert_eq!(transition(InfoRequested, InProgress, tech), Ok(InProgress));
    assert_eq!(transition(InfoRequested, InProgress, gest), Ok(InProgress));
    assert_eq!(transition(InProgress, Answered, agent), Ok(Answered));
    assert_eq!(transition(InProgress, Closed, agent), Ok(Closed));
    assert_eq!(transition(Answered, Closed, agent), Ok(Closed));
    assert_eq!(transition(Answered, Closed, tech), Ok(Closed));
}

#[test]
fn spec_4_state_machine_refusals() {
    let tech = Actor::Partner(Profile::Technicien);
    let e = transition(Submitted, InProgress, tech).unwrap_err();
    assert_eq!(e.code(), "request.forbidden_transition");
    assert!(e.to_string().contains("Seul un agent de la caisse"), "{e}");
    let e = transition(InfoRequested, InProgress, Actor::CaisseAgent).unwrap_err();
    assert!(e.to_string().contains("structure partenaire"), "{e}");
    let e = transition(Submitted, Answered, Actor::CaisseAgent).unwrap_err();
    assert_eq!(
        e,
        TransitionError::Invalid {
            from: Submitted,
            to: Answered
        }
    );
    assert_eq!(
        e.to_string(),
        "Une demande à l'état « Envoyée » ne peut pas passer à l'état « Répondue »."
    );
    // closed is final; nothing goes back to submitted; no self-loops
    for &s in RequestState::ALL {
        for a in [Actor::CaisseAgent, tech] {
            assert!(transition(Closed, s, a).is_err());
            assert!(transition(s, Submitted, a).is_err());
            assert!(transition(s, s, a).is_err());
        }
    }
    assert_eq!(
        RequestState::parse("info_requested").unwrap(),
        InfoRequested
    );
    assert!(RequestState::parse("done").is_err());
    assert!(may_submit(Profile::Technicien).is_ok());
    assert_eq!(
        may_submit(Profile::Gestionnaire).unwrap_err().code,
        "request.technicien_only"
    );
}

#[test]
fn spec_2_convention_1_2_document_delivery() {
    assert_eq!(
        delivery_mode(PartnerCategory::Tutelle),
        DeliveryMode::Portal
    );
    assert_eq!(delivery_mode(PartnerCategory::Ase), DeliveryMode::Portal);
    assert_eq!(
        delivery_mode(PartnerCategory::Depositaire),
        DeliveryMode::Portal
    );
    assert_eq!(delivery_mode(PartnerCategory::Ccas), DeliveryMode::Post);
    assert_eq!(delivery_mode(PartnerCategory::Autre), DeliveryMode::Post);
    assert_eq!(
        DeliveryMode::Post.label(),
        "Envoyé à l'adresse connue de l'assuré"
    );
}
