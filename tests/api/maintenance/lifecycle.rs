//! Convention ends and scheduled gestionnaire inactivations.

use ep_common::domain::types::ConventionState;
use ep_common::partners::{
    InactivationRequest, InactivationState, get_convention, inactivation_key,
};
use ep_common::users::{Role, Status};

use super::support::*;

on_both_stores!(
    convention_end_inactivates_every_account_of_a_partner_without_another_convention,
    convention_end_with_another_convention_in_force_only_ends_that_one,
    scheduled_inactivation_reattaches_the_techniciens,
    scheduled_inactivation_of_the_last_gestionnaire_is_rejected_once,
);

async fn convention_end_inactivates_every_account_of_a_partner_without_another_convention(
    b: Backend,
) {
    let env = env(b).await;
    let end = today(&env);
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.partner("p1", 2, 2);
    s.convention("p1", "c1", Some(end));
    s.account(
        person(
            "g1",
            Role::Gestionnaire,
            "p1",
            Status::Active,
            "Alice",
            "Un",
        ),
        |_| {},
    );
    s.account(
        person(
            "g2",
            Role::Gestionnaire,
            "p1",
            Status::Active,
            "Bruno",
            "Deux",
        ),
        |_| {},
    );
    s.account(
        person(
            "t1",
            Role::Technicien,
            "p1",
            Status::Active,
            "Chloé",
            "Trois",
        ),
        |u| u.attached_to = Some("g1".into()),
    );
    s.account(
        person(
            "t2",
            Role::Technicien,
            "p1",
            Status::Pending,
            "David",
            "Quatre",
        ),
        |u| u.attached_to = Some("g2".into()),
    );
    s.account(
        person(
            "t3",
            Role::Technicien,
            "p1",
            Status::Inactive,
            "Eve",
            "Cinq",
        ),
        |_| {},
    );
    s.commit().await;

    // The end date is inclusive: nothing on its last day (23:30 in Paris).
    env.clock.set("2026-11-26T22:30:00Z".parse().unwrap());
    let r = env.run().await;
    assert_eq!(r.convention_end.done, 0);
    assert_eq!(env.user("g1").await.unwrap().status, Status::Active);

    env.clock.set("2026-11-27T00:00:00Z".parse().unwrap());
    let r = env.run().await;
    assert_eq!(r.convention_end.done, 1, "{r:?}");
    assert_eq!(r.convention_end_accounts, 4);
    for id in ["g1", "g2", "t1", "t2"] {
        let u = env.user(id).await.unwrap();
        assert_eq!(u.status, Status::Inactive, "{id}");
        assert_eq!(
            u.inactivation_reason.as_deref(),
            Some("convention_end"),
            "{id}"
        );
        assert_eq!(u.inactivated_at, Some(env.now()));
    }
    // Nobody was re-attached: techniciens go first.
    assert_eq!(
        env.user("t1").await.unwrap().attached_to.as_deref(),
        Some("g1")
    );
    let t3 = env.user("t3").await.unwrap();
    assert_eq!(
        t3.inactivation_reason.as_deref(),
        Some("manual"),
        "untouched"
    );
    let conv = get_convention(env.ctx.table.as_ref(), "p1", "c1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conv.state, ConventionState::Ended);
    let p = ep_common::partners::get_partner(env.ctx.table.as_ref(), "p1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.gestionnaires, p.techniciens), (0, 0));
    let trail = env.audit_actions("p1").await;
    assert_eq!(
        trail
            .iter()
            .filter(|a| a.0 == "account.inactivated")
            .count(),
        4
    );
    assert!(trail.iter().any(|a| a.0 == "convention.ended"));
    assert!(env.audit_actions("c1").await.iter().any(|a| {
        a.0 == "convention.ended"
            && a.2
                .as_deref()
                .is_some_and(|d| d.starts_with("accounts_inactivated"))
    }));

    // Once only.
    let r = env.run().await;
    assert_eq!((r.convention_end.done, r.convention_end_accounts), (0, 0));
    assert_eq!(env.audit_actions("p1").await.len(), trail.len());
}

async fn convention_end_with_another_convention_in_force_only_ends_that_one(b: Backend) {
    let env = env(b).await;
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.caisse("c2");
    s.partner("p2", 1, 1);
    s.convention("p2", "c1", Some(today(&env)));
    s.convention("p2", "c2", None);
    s.account(
        person(
            "g1",
            Role::Gestionnaire,
            "p2",
            Status::Active,
            "Alice",
            "Un",
        ),
        |_| {},
    );
    s.account(
        person(
            "t1",
            Role::Technicien,
            "p2",
            Status::Active,
            "Chloé",
            "Trois",
        ),
        |_| {},
    );
    s.commit().await;
    env.clock.advance(days(1));
    let r = env.run().await;
    assert_eq!((r.convention_end.done, r.convention_end_accounts), (1, 0));
    for id in ["g1", "t1"] {
        assert_eq!(env.user(id).await.unwrap().status, Status::Active);
    }
    let table = env.ctx.table.as_ref();
    assert_eq!(
        get_convention(table, "p2", "c1")
            .await
            .unwrap()
            .unwrap()
            .state,
        ConventionState::Ended
    );
    assert_eq!(
        get_convention(table, "p2", "c2")
            .await
            .unwrap()
            .unwrap()
            .state,
        ConventionState::Active
    );
    assert!(env.audit_actions("c1").await.iter().any(|a| {
        a.0 == "convention.ended"
            && a.2
                .as_deref()
                .is_some_and(|d| d.starts_with("caisse_access_removed"))
    }));
}

async fn scheduled_inactivation_reattaches_the_techniciens(b: Backend) {
    let env = env(b).await;
    let wanted = today(&env).checked_add(jiff::Span::new().days(15)).unwrap();
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.partner("p3", 2, 2);
    s.convention("p3", "c1", None);
    s.account(
        person(
            "g1",
            Role::Gestionnaire,
            "p3",
            Status::Active,
            "Alice",
            "Un",
        ),
        |_| {},
    );
    s.account(
        person(
            "g2",
            Role::Gestionnaire,
            "p3",
            Status::Active,
            "Bruno",
            "Deux",
        ),
        |_| {},
    );
    s.account(
        person(
            "t1",
            Role::Technicien,
            "p3",
            Status::Active,
            "Chloé",
            "Trois",
        ),
        |u| u.attached_to = Some("g1".into()),
    );
    s.account(
        person(
            "t2",
            Role::Technicien,
            "p3",
            Status::Pending,
            "David",
            "Quatre",
        ),
        |u| u.attached_to = Some("g1".into()),
    );
    s.inactivation_request("i1", "p3", "c1", "g1", wanted);
    s.commit().await;

    env.clock.advance(days(14));
    assert_eq!(env.run().await.inactivation.done, 0);
    assert_eq!(env.user("g1").await.unwrap().status, Status::Active);

    env.clock.advance(days(1));
    let r = env.run().await;
    assert_eq!(r.inactivation.done, 1, "{r:?}");
    let g1 = env.user("g1").await.unwrap();
    assert_eq!(g1.status, Status::Inactive);
    assert_eq!(g1.inactivation_reason.as_deref(), Some("scheduled"));
    for t in ["t1", "t2"] {
        let u = env.user(t).await.unwrap();
        assert_ne!(u.status, Status::Inactive, "{t} stays");
        assert_eq!(u.attached_to.as_deref(), Some("g2"), "{t} re-attached");
    }
    let (pk, sk) = inactivation_key("c1", "i1");
    let req: InactivationRequest = env
        .ctx
        .table
        .get(&pk, &sk)
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(req.decision.state, InactivationState::Done);
    assert_eq!(req.decision.decided_by.as_deref(), Some("system"));
    let trail = env.audit_actions("p3").await;
    assert_eq!(
        trail.iter().filter(|a| a.0 == "account.reattached").count(),
        2
    );
    assert_eq!(env.run().await.inactivation.done, 0, "once");
}

async fn scheduled_inactivation_of_the_last_gestionnaire_is_rejected_once(b: Backend) {
    let env = env(b).await;
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.partner("p4", 1, 0);
    s.convention("p4", "c1", None);
    s.account(
        person(
            "g1",
            Role::Gestionnaire,
            "p4",
            Status::Active,
            "Alice",
            "Un",
        ),
        |_| {},
    );
    // A pending gestionnaire does not count (it has not set its password yet).
    s.account(
        person(
            "g2",
            Role::Gestionnaire,
            "p4",
            Status::Pending,
            "Bruno",
            "Deux",
        ),
        |_| {},
    );
    s.inactivation_request("i1", "p4", "c1", "g1", today(&env));
    s.commit().await;
    let r = env.run().await;
    assert_eq!(
        (r.inactivation.done, r.inactivation.closed),
        (0, 1),
        "{r:?}"
    );
    assert_eq!(env.user("g1").await.unwrap().status, Status::Active);
    let (pk, sk) = inactivation_key("c1", "i1");
    let item = env.ctx.table.get(&pk, &sk).await.unwrap().unwrap();
    assert!(item.get("due_pk").is_none(), "out of the due index");
    let req: InactivationRequest = item.parse().unwrap();
    assert_eq!(req.decision.state, InactivationState::Rejected);
    assert_eq!(req.decision.reason.as_deref(), Some("last_gestionnaire"));
    let rejected = |t: &[(String, Option<String>, Option<String>)]| {
        t.iter()
            .filter(|a| {
                a.0 == "inactivation.rejected" && a.2.as_deref() == Some("last_gestionnaire")
            })
            .count()
    };
    assert_eq!(rejected(&env.audit_actions("c1").await), 1);
    let r = env.run().await;
    assert_eq!(
        r.inactivation,
        ep_maintenance::Counts::default(),
        "not retried"
    );
    assert_eq!(rejected(&env.audit_actions("c1").await), 1);
}
