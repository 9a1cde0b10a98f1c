//! Password-expiry reminders and overdue habilitation alerts.

use ep_common::partners::{HabilitationRequest, HabilitationState, habilitation_key};
use ep_common::users::{Role, Status};
use jiff::SignedDuration;
use jiff::civil::Date;

use super::support::*;

on_both_stores!(
    password_reminder_goes_once_15_days_before_expiry,
    overdue_habilitation_alerts_the_caisse_agents_once,
);

async fn password_reminder_goes_once_15_days_before_expiry(b: Backend) {
    let env = env(b).await;
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.partner("p1", 1, 1);
    let changed = env.now();
    let g = s.account(
        person(
            "g1",
            Role::Gestionnaire,
            "p1",
            Status::Active,
            "Alice",
            "Un",
        ),
        |u| {
            u.password_changed_at = Some(changed);
            u.password_reminder_at = Some(changed + days(165));
        },
    );
    // Changed its password since its reminder was set: reminded for the new one.
    let t = s.account(
        person(
            "t1",
            Role::Technicien,
            "p1",
            Status::Active,
            "Chloé",
            "Trois",
        ),
        |u| {
            u.password_changed_at = Some(changed + days(100));
            u.password_reminder_at = Some(changed + days(165));
        },
    );
    s.commit().await;

    env.clock.advance(days(15));
    let r = env.run().await;
    assert_eq!(r.password_reminder, ep_maintenance::Counts::default());

    env.clock
        .set(changed + days(165) - SignedDuration::from_mins(1));
    assert_eq!(env.run().await.password_reminder.done, 0);
    assert!(env.texts_to(&g.email).await.is_empty());

    env.clock.set(changed + days(165));
    let r = env.run().await;
    assert_eq!(
        (r.password_reminder.done, r.password_reminder.closed),
        (1, 1),
        "{r:?}"
    );
    let texts = env.texts_to(&g.email).await;
    assert_eq!(texts.len(), 1);
    assert!(texts[0].contains("Bonjour Alice Un"), "{}", texts[0]);
    assert!(
        texts[0].contains("expire le 25/05/2027, dans 15 jours"),
        "{}",
        texts[0]
    );
    assert!(
        texts[0].contains("https://portail.example.org/mot-de-passe"),
        "{}",
        texts[0]
    );
    assert!(env.texts_to(&t.email).await.is_empty());
    assert_eq!(env.user("g1").await.unwrap().password_reminder_at, None);
    assert_eq!(
        env.user("t1").await.unwrap().password_reminder_at,
        Some(changed + days(265)),
        "rescheduled"
    );
    assert!(
        env.audit_actions("p1")
            .await
            .iter()
            .any(|a| a.0 == "account.password_reminder" && a.1.as_deref() == Some("g1"))
    );

    env.clock.advance(days(1));
    assert_eq!(env.run().await.password_reminder.done, 0);
    assert_eq!(env.texts_to(&g.email).await.len(), 1, "once");
}

async fn overdue_habilitation_alerts_the_caisse_agents_once(b: Backend) {
    let env = env(b).await;
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.caisse("c2");
    s.partner("p1", 1, 0);
    let a1 = s.account(
        person("a1", Role::Agent, "c1", Status::Active, "Agnès", "Agent"),
        |u| u.caisse_admin = true,
    );
    let a2 = s.account(
        person("a2", Role::Agent, "c1", Status::Active, "Basile", "Agent"),
        |_| {},
    );
    let a3 = s.account(
        person("a3", Role::Agent, "c1", Status::Inactive, "Côme", "Agent"),
        |_| {},
    );
    let a4 = s.account(
        person("a4", Role::Agent, "c2", Status::Active, "Dora", "Agent"),
        |_| {},
    );
    // Received Thursday 26 November 2026: 5 working days → Thursday 3 December.
    let h = habilitation("h1", "p1", "c1", env.now());
    assert_eq!(h.due_on, Date::constant(2026, 12, 3));
    s.habilitation(&h);
    let mut decided = habilitation("h2", "p1", "c1", env.now());
    decided.decision.state = HabilitationState::Approved;
    s.habilitation(&decided);
    s.commit().await;

    env.clock.set("2026-12-03T22:59:00Z".parse().unwrap());
    assert_eq!(
        env.run().await.hab_overdue.done,
        0,
        "not overdue on its due day"
    );
    env.clock.set("2026-12-03T23:00:00Z".parse().unwrap());
    let r = env.run().await;
    assert_eq!((r.hab_overdue.done, r.hab_overdue_emails), (1, 2), "{r:?}");
    for agent in [&a1, &a2] {
        let texts = env.texts_to(&agent.email).await;
        assert_eq!(texts.len(), 1, "{}", agent.id);
        assert!(
            texts[0].contains("« CCAS p1 », reçue le 26/11/2026"),
            "{}",
            texts[0]
        );
        assert!(
            texts[0].contains("https://portail.example.org/habilitations"),
            "{}",
            texts[0]
        );
        assert!(
            texts[0].contains("au plus tard le 03/12/2026"),
            "{}",
            texts[0]
        );
        assert!(!texts[0].contains("Candidate"), "no candidate's name");
        assert!(!texts[0].contains("camille"), "no candidate's address");
    }
    for agent in [&a3, &a4] {
        assert!(env.texts_to(&agent.email).await.is_empty(), "{}", agent.id);
    }
    let (pk, sk) = habilitation_key("c1", "h1");
    let hab: HabilitationRequest = env
        .ctx
        .table
        .get(&pk, &sk)
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(hab.overdue_alerted_at, Some(env.now()));
    assert_eq!(
        hab.decision.state,
        HabilitationState::Pending,
        "still to process"
    );
    assert!(
        env.audit_actions("c1").await.iter().any(
            |a| a.0 == "habilitation.overdue_alerted" && a.2.as_deref() == Some("recipients=2")
        )
    );
    env.clock.advance(days(3));
    assert_eq!(env.run().await.hab_overdue.done, 0);
    assert_eq!(env.texts_to(&a1.email).await.len(), 1, "once per request");
}
