//! Runs as a whole: batches, a run killed half way, two runs at once, the Lambda event.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ep_common::audit;
use ep_common::partners::HabilitationState;
use ep_common::table::Write;
use ep_common::users::{Role, Status, User, user_key};
use jiff::{SignedDuration, Timestamp};

use super::support::*;

on_both_stores!(
    a_run_takes_at_most_the_batch_of_each_kind,
    a_run_killed_half_way_then_rerun_ends_as_one_clean_run,
    two_concurrent_runs_end_as_one_clean_run,
    the_lambda_bootstraps_the_admin_and_refuses_unknown_events,
);

async fn a_run_takes_at_most_the_batch_of_each_kind(b: Backend) {
    let mut env = env(b).await;
    let mut config = (*env.ctx.config).clone();
    config.maintenance_batch = 3;
    env.ctx.config = Arc::new(config);
    let now = env.now();
    let mut s = Seed::new(&env);
    let u = s.account(
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
    for i in 0..5 {
        let (_, w, _) =
            ep_common::sessions::create(&env.ctx, &u, now - days(1) - SignedDuration::from_secs(i))
                .unwrap();
        s.writes.push(w);
    }
    s.commit().await;
    let r = env.run().await;
    assert_eq!(r.sessions.done, 3);
    assert_eq!(r.unfinished, vec!["sessions"]);
    let r = env.run().await;
    assert_eq!(r.sessions.done, 2);
    assert!(r.unfinished.is_empty(), "{r:?}");
}

/// A bit of every kind of work, due at `env.now()`.
async fn seed_everything(env: &Env) {
    use ep_auth::throttle;
    let now = env.now();
    let mut s = Seed::new(env);
    s.caisse("c1");
    s.caisse("c2");
    s.account(
        person("a1", Role::Agent, "c1", Status::Active, "Agnès", "Agent"),
        |u| u.caisse_admin = true,
    );
    s.account(
        person("a2", Role::Agent, "c1", Status::Active, "Basile", "Agent"),
        |_| {},
    );
    // p1: its only convention ended yesterday → 4 accounts inactivated.
    s.partner("p1", 2, 2);
    s.convention("p1", "c1", Some(today(env).yesterday().unwrap()));
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
    // p2: one convention ends, one stays.
    s.partner("p2", 1, 0);
    s.convention("p2", "c1", Some(today(env).yesterday().unwrap()));
    s.convention("p2", "c2", None);
    s.account(
        person(
            "g3",
            Role::Gestionnaire,
            "p2",
            Status::Active,
            "Elise",
            "Cinq",
        ),
        |u| {
            u.password_changed_at = Some(now - days(166));
            u.password_reminder_at = Some(now - days(1));
        },
    );
    // p3: a scheduled inactivation applied, one rejected (last gestionnaire in p4).
    s.partner("p3", 2, 1);
    s.convention("p3", "c1", None);
    s.account(
        person(
            "g4",
            Role::Gestionnaire,
            "p3",
            Status::Active,
            "Fanny",
            "Six",
        ),
        |_| {},
    );
    s.account(
        person(
            "g5",
            Role::Gestionnaire,
            "p3",
            Status::Active,
            "Gaston",
            "Sept",
        ),
        |_| {},
    );
    s.account(
        person("t3", Role::Technicien, "p3", Status::Active, "Hugo", "Huit"),
        |u| u.attached_to = Some("g4".into()),
    );
    s.inactivation_request("i1", "p3", "c1", "g4", today(env));
    s.partner("p4", 1, 0);
    s.convention("p4", "c1", None);
    s.account(
        person(
            "g6",
            Role::Gestionnaire,
            "p4",
            Status::Active,
            "Iris",
            "Neuf",
        ),
        |_| {},
    );
    s.inactivation_request("i2", "p4", "c1", "g6", today(env));
    // Purges: a technicien and a gestionnaire with pointers.
    s.account(
        person(
            "t8",
            Role::Technicien,
            "p3",
            Status::Inactive,
            "Jules",
            "Dix",
        ),
        |u| u.inactivated_at = Some(now - days(200)),
    );
    s.account(
        person(
            "g8",
            Role::Gestionnaire,
            "p3",
            Status::Inactive,
            "Karine",
            "Onze",
        ),
        |u| u.inactivated_at = Some(now - days(190)),
    );
    let mut hab = habilitation("h8", "p3", "c1", now - days(400));
    hab.decision.state = HabilitationState::Approved;
    hab.account_id = Some("g8".into());
    s.habilitation(&hab);
    // Overdue habilitation requests.
    s.habilitation(&habilitation("h1", "p3", "c1", now - days(10)));
    s.habilitation(&habilitation("h2", "p4", "c1", now - days(12)));
    // Expired sessions, links, throttles, audit events.
    let g5 = env_user_record(&s, "g5");
    for i in 0..2 {
        let (_, w, _) = ep_common::sessions::create(
            &env.ctx,
            &g5,
            now - days(2) - SignedDuration::from_secs(i),
        )
        .unwrap();
        s.writes.push(w);
        let (_, w) = ep_common::tokens::issue(
            "g5",
            ep_common::tokens::Purpose::Reset,
            now - days(20 + i),
            72,
        )
        .unwrap();
        s.writes.push(w);
        let t = throttle::after_failure(throttle::Kind::Identifiant, None, now - days(1));
        s.writes.push(
            throttle::write(throttle::Kind::Identifiant, &format!("id-{i}"), None, &t).unwrap(),
        );
        s.writes.push(
            audit::record(
                "p3",
                audit::event(now - days(400 + i), "g5", "auth.login.success", None),
                12,
            )
            .unwrap(),
        );
    }
    s.commit().await;
}

/// The record of an account already added to `s`.
fn env_user_record(s: &Seed<'_>, id: &str) -> User {
    s.writes
        .iter()
        .find_map(|w| match w {
            Write::Put { item, .. } if item.pk() == user_key(id).0 && item.sk() == "PROFILE" => {
                item.parse().ok()
            }
            _ => None,
        })
        .expect("seeded account")
}

/// What one clean run of `seed_everything` leaves, with the emails it sends.
async fn clean_outcome(
    b: Backend,
) -> (
    Vec<String>,
    Vec<(String, String)>,
    ep_maintenance::RunReport,
) {
    let env = env(b).await;
    seed_everything(&env).await;
    let report = env.run().await;
    env.clock.advance(SignedDuration::from_hours(1));
    env.run().await;
    let sent = env.sent_summary(false).await;
    let dump = env.dump().await;
    env.close().await;
    (dump, sent, report)
}

fn assert_same_state(what: &str, got: &[String], want: &[String]) {
    if got != want {
        let missing: Vec<&String> = want.iter().filter(|l| !got.contains(l)).collect();
        let extra: Vec<&String> = got.iter().filter(|l| !want.contains(l)).collect();
        panic!(
            "{what}: state differs from one clean run\nmissing: {missing:#?}\nextra: {extra:#?}"
        );
    }
}

async fn a_run_killed_half_way_then_rerun_ends_as_one_clean_run(b: Backend) {
    let (want, want_sent, report) = clean_outcome(b).await;
    // The clean run did every kind of work.
    assert_eq!(report.convention_end.done, 2, "{report:?}");
    assert_eq!(report.convention_end_accounts, 4);
    assert_eq!(
        (report.inactivation.done, report.inactivation.closed),
        (1, 1)
    );
    assert_eq!(report.purge.done, 2);
    assert_eq!(report.password_reminder.done, 1);
    assert_eq!((report.hab_overdue.done, report.hab_overdue_emails), (2, 4));
    assert_eq!(
        (
            report.sessions.done,
            report.tokens.done,
            report.throttle.done,
            report.audit.done
        ),
        (2, 2, 2, 2)
    );
    assert_eq!(report.emails.sent, 0, "sent right after their commits");
    assert_eq!(want_sent.len(), 5);

    // How many writes a clean run makes.
    let counting = env(b).await;
    seed_everything(&counting).await;
    let mut ctx = counting.ctx.clone();
    let failing = Arc::new(Failing::new(ctx.table.clone(), u32::MAX, Strike::Before));
    ctx.table = failing.clone();
    ep_maintenance::run(&ctx).await.unwrap();
    let writes = failing.writes.load(Ordering::SeqCst);
    counting.close().await;
    assert!(writes > 20, "{writes} writes");
    eprintln!("a clean run makes {writes} writes");

    // Kill the run at every write (on moto, every 7th to keep the test short).
    let step: u32 = if b == Backend::Dynamo { 7 } else { 1 };
    for strike in [Strike::Before, Strike::After] {
        // On moto, the two strikes cover different writes.
        let first = if strike == Strike::Before {
            1
        } else {
            1 + step / 2
        };
        for n in (first..=writes).step_by(step as usize) {
            let env = env(b).await;
            seed_everything(&env).await;
            let mut ctx = env.ctx.clone();
            ctx.table = Arc::new(Failing::new(ctx.table.clone(), n, strike));
            assert!(
                ep_maintenance::run(&ctx).await.is_err(),
                "write {n} failed: the run stops"
            );
            env.run().await;
            env.clock.advance(SignedDuration::from_hours(1));
            env.run().await;
            assert_same_state(
                &format!("killed at write {n} ({strike:?})"),
                &env.dump().await,
                &want,
            );
            // Delivery is at least once: a kill between sending and recording it
            // sends the same message (same Message-ID) again; no message is lost.
            let sent = env.sent_summary(true).await;
            assert_eq!(sent, want_sent, "killed at write {n} ({strike:?})");
            env.close().await;
        }
    }
}

async fn two_concurrent_runs_end_as_one_clean_run(b: Backend) {
    let (want, want_sent, one) = clean_outcome(b).await;
    let env = env(b).await;
    seed_everything(&env).await;
    let (x, y) = tokio::join!(ep_maintenance::run(&env.ctx), ep_maintenance::run(&env.ctx));
    let (x, y) = (x.unwrap(), y.unwrap());
    let sum = |f: fn(&ep_maintenance::RunReport) -> u32| f(&x) + f(&y);
    assert_eq!(sum(|r| r.convention_end.done), one.convention_end.done);
    assert_eq!(
        sum(|r| r.convention_end_accounts),
        one.convention_end_accounts
    );
    assert_eq!(sum(|r| r.inactivation.done), one.inactivation.done);
    assert_eq!(sum(|r| r.purge.done), one.purge.done);
    assert_eq!(
        sum(|r| r.password_reminder.done),
        one.password_reminder.done
    );
    assert_eq!(sum(|r| r.hab_overdue_emails), one.hab_overdue_emails);
    env.clock.advance(SignedDuration::from_hours(1));
    env.run().await;
    assert_same_state("two runs at once", &env.dump().await, &want);
    let sent = env.sent_summary(false).await;
    assert_eq!(sent, want_sent, "each email once");
    env.close().await;
}

async fn the_lambda_bootstraps_the_admin_and_refuses_unknown_events(b: Backend) {
    let env = env(b).await;
    let out = ep_maintenance::handle_event(&env.ctx, &serde_json::json!({"bootstrap_admin": true}))
        .await
        .unwrap();
    assert_eq!(out["admin_created"], true);
    let identifiant = out["identifiant"].as_str().expect("identifiant answered");
    assert_eq!(identifiant.len(), 8, "{out}");
    let again =
        ep_maintenance::handle_event(&env.ctx, &serde_json::json!({"bootstrap_admin": true}))
            .await
            .unwrap();
    assert_eq!(
        again,
        serde_json::json!({"admin_created": false, "identifiant": null})
    );
    let scheduled =
        serde_json::json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    let report = ep_maintenance::handle_event(&env.ctx, &scheduled)
        .await
        .unwrap();
    assert!(report.get("purge").is_some(), "{report}");
    let err = ep_maintenance::handle_event(&env.ctx, &serde_json::json!({"hello": 1})).await;
    assert!(matches!(err, Err(ep_maintenance::EventError::Unknown)));
    // What the Lambda runtime reports: a meaningful errorType, not a Rust type name.
    let diagnostic = lambda_http::lambda_runtime::Diagnostic::from(err.unwrap_err());
    assert_eq!(diagnostic.error_type, "UnknownEvent");
    assert!(diagnostic.error_message.contains("bootstrap_admin"));
    let store =
        ep_maintenance::EventError::Store(ep_common::table::StoreError::Invalid("x".into()));
    assert_eq!(
        lambda_http::lambda_runtime::Diagnostic::from(store).error_type,
        "StoreError"
    );
}

// ------------------------------------------------------------- embedded-only

/// The outbox is the local stand-in for a mail relay: it keeps 30 days.
#[tokio::test]
async fn the_outbox_keeps_messages_30_days() {
    let env = env(Backend::Sqlite).await;
    let msg = |id: &str, at: Timestamp| {
        let content = ep_common::mail::EmailContent {
            from: MAIL_FROM,
            to: "quelqu.un@exemple.example.org",
            subject: "Essai",
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
        };
        ep_common::mail::compose(&content, id, at).unwrap()
    };
    let now = env.now();
    env.ctx
        .mailer
        .send(&msg("old", now - days(31)))
        .await
        .unwrap();
    env.ctx
        .mailer
        .send(&msg("recent", now - days(29)))
        .await
        .unwrap();
    let r = env.run().await;
    assert_eq!(r.outbox_pruned, 1);
    let Store::Sqlite { dir, .. } = &env.store else {
        unreachable!()
    };
    let left = ep_common::embedded::list_outbox(&dir.0.join("data/outbox")).unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].raw.contains("recent@"), "{}", left[0].file);
}
