//! Unit tests of `lifecycle` (SPEC §, named in each test).
use super::*;
use jiff::civil::date;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn acc(
    id: &str,
    profile: Profile,
    status: AccountStatus,
    created: &str,
    attached: Option<&str>,
) -> AccountView {
    AccountView {
        id: id.into(),
        partner_id: "p1".into(),
        profile,
        status,
        created_at: ts(created),
        attached_to: attached.map(Into::into),
    }
}

fn conv(caisse: &str, state: ConventionState, end: Option<Date>) -> ConventionView {
    ConventionView {
        caisse_id: caisse.into(),
        state,
        start: date(2024, 1, 1),
        end,
        functionalities: vec![],
    }
}

use AccountStatus::{Active, Inactive, Pending};
use Profile::{Gestionnaire as G, Technicien as T};

fn partner() -> Vec<AccountView> {
    vec![
        acc("g1", G, Active, "2024-01-01T00:00:00Z", None),
        acc("g2", G, Active, "2025-06-01T00:00:00Z", None),
        acc("g3", G, Pending, "2026-01-01T00:00:00Z", None),
        acc("t1", T, Active, "2024-02-01T00:00:00Z", Some("g1")),
        acc("t2", T, Pending, "2024-02-01T00:00:00Z", Some("g1")),
        acc("t3", T, Inactive, "2024-02-01T00:00:00Z", Some("g1")),
        acc("t4", T, Active, "2024-02-01T00:00:00Z", Some("g2")),
    ]
}

#[test]
fn spec_2_convention_active_window() {
    let c = conv("c1", ConventionState::Active, Some(date(2026, 6, 30)));
    assert!(c.is_active_on(date(2026, 6, 30)));
    assert!(!c.is_active_on(date(2026, 7, 1)));
    assert!(!c.is_active_on(date(2023, 12, 31)));
    assert!(!conv("c1", ConventionState::Terminated, None).is_active_on(date(2025, 1, 1)));
}

#[test]
fn spec_3_convention_2_2_3_convention_end() {
    let today = date(2026, 7, 1);
    let only = [conv("c1", ConventionState::Ended, Some(date(2026, 6, 30)))];
    assert_eq!(
        on_convention_end("c1", &only, today),
        ConventionEndDecision::InactivateAllAccounts
    );
    let several = [
        conv("c1", ConventionState::Ended, Some(date(2026, 6, 30))),
        conv("c2", ConventionState::Active, None),
    ];
    assert_eq!(
        on_convention_end("c1", &several, today),
        ConventionEndDecision::RemoveCaisseAccess {
            caisse_id: "c1".into()
        }
    );
    // all conventions ending at the same time → inactivate all
    let together = [
        conv("c1", ConventionState::Active, Some(date(2026, 6, 30))),
        conv("c2", ConventionState::Active, Some(date(2026, 6, 30))),
    ];
    assert_eq!(
        on_convention_end("c1", &together, today),
        ConventionEndDecision::InactivateAllAccounts
    );
}

#[test]
fn spec_3_convention_2_2_3_gestionnaire_notice_15_days() {
    let accounts = partner();
    let mut req = GestionnaireInactivationRequest {
        target_id: "g1",
        signalled_on: date(2026, 3, 1),
        wanted_on: date(2026, 3, 15),
        successor_id: None,
        accounts: &accounts,
    };
    let e = decide_gestionnaire_inactivation(&req).unwrap_err();
    assert_eq!(
        e,
        LifecycleError::NoticeTooShort {
            notice_days: 15,
            earliest: date(2026, 3, 16)
        }
    );
    assert!(e.to_string().contains("16/03/2026"), "{e}");
    req.wanted_on = date(2026, 3, 16);
    let plan = decide_gestionnaire_inactivation(&req).unwrap();
    assert_eq!(plan.effective_on, date(2026, 3, 16));
    // default successor: the most recent other *active* gestionnaire (g3 is pending)
    assert_eq!(plan.reattach_to, "g2");
    assert_eq!(plan.techniciens_to_reattach, ["t1", "t2"]);
}

#[test]
fn spec_3_convention_2_2_3_never_last_active_gestionnaire() {
    let accounts = vec![
        acc("g1", G, Active, "2024-01-01T00:00:00Z", None),
        acc("g2", G, Pending, "2026-01-01T00:00:00Z", None),
        acc("g3", G, Inactive, "2023-01-01T00:00:00Z", None),
    ];
    let req = GestionnaireInactivationRequest {
        target_id: "g1",
        signalled_on: date(2026, 1, 1),
        wanted_on: date(2026, 2, 1),
        successor_id: None,
        accounts: &accounts,
    };
    let e = decide_gestionnaire_inactivation(&req).unwrap_err();
    assert_eq!(e, LifecycleError::LastActiveGestionnaire);
    assert!(FieldError::from(e).message.contains("nouveau gestionnaire"));
}

#[test]
fn spec_3_gestionnaire_inactivation_errors_and_successor() {
    let accounts = partner();
    let base = GestionnaireInactivationRequest {
        target_id: "g2",
        signalled_on: date(2026, 1, 1),
        wanted_on: date(2026, 2, 1),
        successor_id: Some("g1"),
        accounts: &accounts,
    };
    assert_eq!(
        decide_gestionnaire_inactivation(&base).unwrap().reattach_to,
        "g1"
    );
    let bad = |succ| GestionnaireInactivationRequest {
        successor_id: Some(succ),
        ..base.clone()
    };
    for s in ["g2", "g3", "t1", "zz"] {
        assert_eq!(
            decide_gestionnaire_inactivation(&bad(s)),
            Err(LifecycleError::InvalidSuccessor),
            "{s}"
        );
    }
    let t = GestionnaireInactivationRequest {
        target_id: "t1",
        ..base.clone()
    };
    assert_eq!(
        decide_gestionnaire_inactivation(&t),
        Err(LifecycleError::WrongProfile {
            expected: "gestionnaire"
        })
    );
    let x = GestionnaireInactivationRequest {
        target_id: "nope",
        ..base.clone()
    };
    assert_eq!(
        decide_gestionnaire_inactivation(&x),
        Err(LifecycleError::AccountNotFound)
    );
}

#[test]
fn spec_3_convention_2_2_3_technicien_by_any_gestionnaire() {
    let a = partner();
    // g2 did not create t1 but may inactivate it
    assert_eq!(may_manage_technicien(&a[1], &a[3]), Ok(()));
    assert_eq!(
        may_manage_technicien(&a[2], &a[3]),
        Err(LifecycleError::NotAllowed),
        "pending gestionnaire"
    );
    assert_eq!(
        may_manage_technicien(&a[6], &a[3]),
        Err(LifecycleError::NotAllowed),
        "technicien"
    );
    assert_eq!(
        may_manage_technicien(&a[0], &a[5]),
        Err(LifecycleError::AlreadyInactive)
    );
    assert_eq!(
        may_manage_technicien(&a[0], &a[1]),
        Err(LifecycleError::WrongProfile {
            expected: "technicien"
        })
    );
    let mut other = a[0].clone();
    other.partner_id = "p2".into();
    assert_eq!(
        may_manage_technicien(&other, &a[3]),
        Err(LifecycleError::NotAllowed),
        "other partner"
    );
    assert!(may_create_technicien(&a[0]).is_ok());
    assert!(may_create_technicien(&a[3]).is_err());
}

#[test]
fn spec_3_convention_4_1_exclusion_immediate() {
    let a = partner();
    let now = ts("2026-08-31T12:00:00Z");
    let p = plan_exclusion("t1", &a, now).unwrap();
    assert_eq!(p.inactivated_at, now);
    assert!(p.end_all_sessions);
    assert_eq!(p.notify_account_ids, ["g1", "g2", "g3"]);
    assert_eq!(p.purge_on, date(2027, 2, 28));
    assert!(p.techniciens_to_reattach.is_empty());
    // the last gestionnaire may be excluded; its own address is then notified
    let solo = vec![
        acc("g1", G, Active, "2024-01-01T00:00:00Z", None),
        acc("t1", T, Active, "2024-02-01T00:00:00Z", Some("g1")),
    ];
    let p = plan_exclusion("g1", &solo, now).unwrap();
    assert_eq!(p.notify_account_ids, ["g1"]);
    assert_eq!(p.reattach_to, None);
    assert_eq!(p.techniciens_to_reattach, ["t1"]);
    let p = plan_exclusion("g1", &a, now).unwrap();
    assert_eq!(p.reattach_to.as_deref(), Some("g2"));
    assert_eq!(
        plan_exclusion("t3", &a, now),
        Err(LifecycleError::AlreadyInactive)
    );
    assert_eq!(ExclusionReason::Theft.label(), "vol des identifiants");
}

#[test]
fn spec_2_convention_4_1_suspension() {
    let mut a = partner();
    a.push(AccountView {
        partner_id: "p2".into(),
        ..a[0].clone()
    });
    let e = suspension_effect("p1", &a);
    assert_eq!(e.end_sessions_of, ["g1", "g2", "g3", "t1", "t2", "t4"]);
}

#[test]
fn spec_3_convention_2_2_3_purge_six_calendar_months() {
    assert_eq!(purge_date(date(2026, 8, 31)), date(2027, 2, 28));
    assert_eq!(purge_date(date(2027, 8, 31)), date(2028, 2, 29));
    assert_eq!(purge_date(date(2026, 1, 15)), date(2026, 7, 15));
    assert_eq!(purge_date(date(2026, 12, 31)), date(2027, 6, 30));
    assert!(!is_purge_due(date(2026, 8, 31), date(2027, 2, 27)));
    assert!(is_purge_due(date(2026, 8, 31), date(2027, 2, 28)));
    // 23:30 UTC on 31 Aug is 1 Sept in Paris
    assert_eq!(purge_date_at(ts("2026-08-31T23:30:00Z")), date(2027, 3, 1));
    assert_eq!(purge_date(Date::MAX), Date::MAX);
}
