//! The audit trail's hash chain (issue 15): tampering found and named, retention
//! that keeps the chain verifiable, the daily check and its alert, concurrent appends.

use ep_common::audit::{self, chain, verify};
use ep_common::table::{Cond, Item, Write};
use ep_common::users::{Role, Status};

use super::support::*;

on_both_stores!(
    an_edited_removed_or_inserted_event_is_found_and_named,
    retention_removes_old_events_and_the_chain_still_verifies,
    the_daily_check_alerts_once_per_break,
);

/// Appends `n` events to `org`'s trail, one transaction each; returns their items in
/// chain order.
async fn append(env: &Env, org: &str, n: usize, action: &str) -> Vec<Item> {
    for i in 0..n {
        let ev = audit::event(env.now(), "u1", action, Some(&format!("t{i}")));
        let w = audit::record(org, ev, 12).unwrap();
        audit::transact(&env.ctx, vec![w]).await.unwrap();
    }
    events(env, org).await
}

async fn events(env: &Env, org: &str) -> Vec<Item> {
    env.ctx
        .table
        .query_all(&audit::events_query(org))
        .await
        .unwrap()
}

async fn put_raw(env: &Env, item: Item) {
    env.ctx.table.put(item, Cond::None).await.unwrap();
}

async fn check(env: &Env, org: &str) -> verify::Report {
    verify::full(env.ctx.table.as_ref(), org).await.unwrap()
}

async fn an_edited_removed_or_inserted_event_is_found_and_named(b: Backend) {
    let env = env(b).await;
    let evs = append(&env, "c1", 5, "account.created").await;
    assert_eq!(evs.len(), 5);
    let seqs: Vec<u64> = evs
        .iter()
        .map(|i| i.get("seq").unwrap().as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5], "sort-key order is chain order");
    let r = check(&env, "c1").await;
    assert!(r.ok && r.checked == 5 && r.broken.is_none(), "{r:?}");

    // Edit one field of the third event, directly in the store.
    let third = evs[2].clone();
    let id3 = third.get_str("id").unwrap().to_owned();
    put_raw(&env, third.clone().with("target", "quelqu-un-d-autre")).await;
    let r = check(&env, "c1").await;
    let b = r.broken.clone().expect("broken");
    assert_eq!(b.kind, "modified", "{r:?}");
    let named = b.event.unwrap();
    assert_eq!(
        (named.id.as_str(), named.seq, named.action.as_str()),
        (id3.as_str(), Some(3), "account.created")
    );
    assert_eq!(b.after.unwrap().seq, Some(2));
    put_raw(&env, third.clone()).await;
    assert!(check(&env, "c1").await.ok);

    // Delete it: between the second and the fourth.
    env.ctx
        .table
        .delete(third.pk(), third.sk(), Cond::Exists)
        .await
        .unwrap();
    let b = check(&env, "c1").await.broken.expect("broken");
    assert_eq!(b.kind, "removed");
    assert_eq!(b.after.unwrap().seq, Some(2));
    assert_eq!(b.event.unwrap().seq, Some(4));
    assert_eq!(b.missing, Some(1));
    put_raw(&env, third.clone()).await;
    assert!(check(&env, "c1").await.ok);

    // Insert a forged event that hashes right but claims the third place.
    let mut forged: audit::Event = third.parse().unwrap();
    forged.id = "forged".into();
    forged.action = "account.deleted".into();
    forged.hash = Some(chain::content_hash("c1", &forged));
    let forged_sk = format!("{}#{:012}", third.sk().split('#').next().unwrap(), 3);
    let forged_item = Item::from_record(third.pk(), format!("{forged_sk}a"), &forged).unwrap();
    put_raw(&env, forged_item.clone()).await;
    let b = check(&env, "c1").await.broken.expect("broken");
    assert_eq!(b.kind, "inserted", "{b:?}");
    assert_eq!(b.event.unwrap().id, "forged");
    assert_eq!(b.after.unwrap().seq, Some(3));
    env.ctx
        .table
        .delete(forged_item.pk(), forged_item.sk(), Cond::Exists)
        .await
        .unwrap();

    // Remove the last one: the head says one is missing at the end.
    let last = evs[4].clone();
    env.ctx
        .table
        .delete(last.pk(), last.sk(), Cond::Exists)
        .await
        .unwrap();
    let b = check(&env, "c1").await.broken.expect("broken");
    assert_eq!((b.kind, b.missing), ("removed", Some(1)));
    assert_eq!(b.after.unwrap().seq, Some(4));
    // An event without chain fields after the chain began is an insertion.
    put_raw(&env, last).await;
    let mut plain = audit::event(env.now(), "u1", "auth.login.success", None);
    plain.at = env.now() + days(1);
    let sk = format!("{}#zz", ep_common::emails::ts_key(plain.at));
    put_raw(&env, Item::from_record("AUDIT#c1", sk, &plain).unwrap()).await;
    let b = check(&env, "c1").await.broken.expect("broken");
    assert_eq!(
        (b.kind, b.event.unwrap().action.as_str()),
        ("inserted", "auth.login.success")
    );
    // The store refuses an event that was not sealed.
    let unsealed = audit::record("c1", audit::event(env.now(), "u1", "x", None), 12).unwrap();
    assert!(env.ctx.table.transact(vec![unsealed]).await.is_err());
    env.close().await;
}

async fn retention_removes_old_events_and_the_chain_still_verifies(b: Backend) {
    let env = env(b).await;
    // Events written before the chain (as stored until now): no seq.
    let legacy = audit::event(env.now() - days(2), "u1", "auth.login.success", None);
    let sk = format!("{}#{}", ep_common::emails::ts_key(legacy.at), legacy.id);
    let item = Item::from_record("AUDIT#p1", sk, &legacy)
        .unwrap()
        .with("due_pk", audit::DUE_AUDIT)
        .with(
            "due_at",
            ep_common::emails::ts_key(audit::purge_at(legacy.at, 12)),
        );
    env.ctx
        .table
        .transact(vec![Write::put(item, Cond::NotExists)])
        .await
        .unwrap();
    append(&env, "p1", 3, "account.created").await;
    env.clock.advance(days(40));
    append(&env, "p1", 2, "account.modified").await;
    let r = check(&env, "p1").await;
    assert!(r.ok && r.checked == 5 && r.legacy == 1, "{r:?}");

    // 12 months and a week later: the legacy event and the first three go.
    env.clock.advance(days(365 - 40 + 7));
    let run = env.run().await;
    assert_eq!((run.audit.done, run.audit.skipped), (4, 0), "{run:?}");
    let left = events(&env, "p1").await;
    assert_eq!(left.len(), 2);
    let cp = env
        .ctx
        .table
        .get("AUDIT#p1", audit::CHECKPOINT_SK)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cp.get("seq").unwrap().as_u64(), Some(3));
    let r = check(&env, "p1").await;
    assert!(r.ok, "{r:?}");
    assert_eq!((r.from_seq, r.checked, r.legacy), (4, 2, 0));
    // Appending goes on from the head; removing the first one left is still seen.
    append(&env, "p1", 1, "account.modified").await;
    assert!(check(&env, "p1").await.ok);
    let first = events(&env, "p1").await[0].clone();
    env.ctx
        .table
        .delete(first.pk(), first.sk(), Cond::Exists)
        .await
        .unwrap();
    let b = check(&env, "p1").await.broken.expect("broken");
    assert_eq!((b.kind, b.missing), ("removed", Some(1)));
    env.close().await;
}

async fn the_daily_check_alerts_once_per_break(b: Backend) {
    let env = env(b).await;
    let mut s = Seed::new(&env);
    let admin = s.account(
        person(
            "a1",
            Role::Admin,
            "platform",
            Status::Active,
            "Ada",
            "Admin",
        ),
        |_| {},
    );
    s.commit().await;
    let evs = append(&env, "c7", 3, "request.answered").await;
    env.clock
        .advance(days(1) + jiff::SignedDuration::from_mins(1));
    let run = env.run().await;
    assert_eq!((run.audit_check.done, run.audit_broken), (1, 0), "{run:?}");
    let mark = env
        .ctx
        .table
        .get("AUDIT#c7", audit::MARK_SK)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mark.get("seq").unwrap().as_u64(), Some(3));

    // Incremental next day: the new events are verified from the mark.
    append(&env, "c7", 2, "request.answered").await;
    env.clock.advance(days(1));
    let run = env.run().await;
    assert_eq!((run.audit_check.done, run.audit_broken), (1, 0), "{run:?}");
    let mark = env
        .ctx
        .table
        .get("AUDIT#c7", audit::MARK_SK)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mark.get("seq").unwrap().as_u64(), Some(5));

    // An edit of an event verified already: seen by the weekly full verification.
    put_raw(&env, evs[1].clone().with("actor", "u2")).await;
    env.clock.advance(days(1));
    assert_eq!(env.run().await.audit_broken, 0, "incremental: not re-read");
    env.clock.advance(days(6));
    let run = env.run().await;
    assert_eq!(run.audit_broken, 1, "{run:?}");
    let platform = env.audit_actions("platform").await;
    let alerts: Vec<_> = platform
        .iter()
        .filter(|(a, _, _)| a == "audit.chain_broken")
        .collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0].1.as_deref(), alerts[0].2.as_deref()),
        (Some("c7"), Some("modified"))
    );
    let id2 = evs[1].get_str("id").unwrap();
    let texts = env.texts_to(&admin.email).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("c7") && texts[0].contains(id2),
        "{}",
        texts[0]
    );
    // The same break is not alerted again the next day.
    env.clock.advance(days(1));
    let run = env.run().await;
    assert_eq!(run.audit_broken, 1);
    assert_eq!(env.texts_to(&admin.email).await.len(), 1);
    env.close().await;
}

/// 40 appends at once to one trail (embedded store: moto does not isolate concurrent
/// transactions): every one lands, numbered 1..40 without gap, the chain verifies.
#[tokio::test]
async fn concurrent_appends_keep_the_chain_valid() {
    let env = env(Backend::Sqlite).await;
    let before = chain::retries();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let ctx = env.ctx.clone();
            tokio::spawn(async move {
                let ev = audit::event(
                    ctx.now(),
                    "u1",
                    "auth.login.failure",
                    Some(&format!("t{i}")),
                );
                let w = audit::record("c9", ev, 12).unwrap();
                audit::transact(&ctx, vec![w]).await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let evs = events(&env, "c9").await;
    let seqs: Vec<u64> = evs
        .iter()
        .map(|i| i.get("seq").unwrap().as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=40).collect::<Vec<_>>());
    let r = check(&env, "c9").await;
    assert!(r.ok && r.checked == 40, "{r:?}");
    eprintln!(
        "40 concurrent appends: {} retries",
        chain::retries() - before
    );
}
