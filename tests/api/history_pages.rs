//! The partner's history pages kept in memory (`ep_requests` pages): a page is
//! served again only while the partner's history stamp is unchanged, so every
//! change — a submission, a state change by the caisse, a write by another
//! instance, a deletion by the retention purge — shows on the next page read.

use ep_tests::TestApp;
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::requests::{ALL, World, act, form, submitted, world};

async fn page(app: &TestApp, cookie: &str, query: &str) -> Value {
    let res = app
        .call("GET", &format!("/api/requests?{query}"), None, Some(cookie))
        .await;
    assert_eq!(res.status, 200, "{query}: {}", res.text());
    res.json()
}

fn states(v: &Value) -> Vec<(String, String)> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["reference"].as_str().unwrap().to_owned(),
                i["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn both(app: &TestApp, w: &World, query: &str) -> Vec<(String, String)> {
    // Read twice: the second read is the one a kept page would answer.
    let first = states(&page(app, &w.technicien, query).await);
    let again = states(&page(app, &w.gestionnaire, query).await);
    assert_eq!(
        first, again,
        "{query}: the same page for every user of the partner"
    );
    again
}

#[tokio::test]
async fn every_change_shows_on_the_next_history_page() {
    let app = ep_tests::spawn_app().await;
    let w = world(&app, "hp", "ccas", &ALL).await;
    let r1 = submitted(&app, &w, form(&w.caisse, "contact")).await;
    let (id1, ref1) = (
        r1["id"].as_str().unwrap().to_owned(),
        r1["reference"].as_str().unwrap().to_owned(),
    );
    let sub = |r: &str| (r.to_owned(), "submitted".to_owned());
    assert_eq!(both(&app, &w, "").await, vec![sub(&ref1)]);
    assert_eq!(both(&app, &w, "state=submitted").await, vec![sub(&ref1)]);
    assert_eq!(both(&app, &w, "name=dupont").await, vec![sub(&ref1)]);

    // A new submission, a minute later (the newest first).
    app.clock.advance(SignedDuration::from_mins(1));
    let r2 = submitted(&app, &w, form(&w.caisse, "dossier")).await;
    let ref2 = r2["reference"].as_str().unwrap().to_owned();
    assert_eq!(both(&app, &w, "").await, vec![sub(&ref2), sub(&ref1)]);
    assert_eq!(
        both(&app, &w, "state=submitted").await,
        vec![sub(&ref2), sub(&ref1)]
    );

    // The caisse takes the first one: it leaves the « submitted » page.
    let res = act(&app, &w.agent, &id1, json!({"action": "take"})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let in_progress = (ref1.clone(), "in_progress".to_owned());
    assert_eq!(
        both(&app, &w, "").await,
        vec![sub(&ref2), in_progress.clone()]
    );
    assert_eq!(both(&app, &w, "state=submitted").await, vec![sub(&ref2)]);
    assert_eq!(both(&app, &w, "state=in_progress").await, vec![in_progress]);

    // Another instance (another Lambda, sharing only the store) closes it: the
    // write goes through the same index writes, which renew the stamp.
    let table = app.app.ctx.table.clone();
    let (rec, _thread) = ep_common::requests::load(table.as_ref(), &id1)
        .await
        .unwrap()
        .unwrap();
    let mut next = rec.clone();
    next.state = ep_common::domain::requests::RequestState::Closed;
    next.closed_at = Some(app.app.ctx.now());
    next.v += 1;
    let mut writes = vec![ep_common::table::Write::put(
        next.to_item(12).unwrap(),
        ep_common::table::Cond::VersionEquals(rec.v),
    )];
    writes.extend(next.index_writes(Some(&rec)).unwrap());
    table.transact(writes).await.unwrap();
    let closed = (ref1.clone(), "closed".to_owned());
    assert_eq!(both(&app, &w, "").await, vec![sub(&ref2), closed.clone()]);
    assert_eq!(both(&app, &w, "state=in_progress").await, vec![]);

    // Its deletion, with the writes the retention purge commits (the clock is not
    // moved a year on: the sessions would end).
    let (closed_rec, _) = ep_common::requests::load(table.as_ref(), &id1)
        .await
        .unwrap()
        .unwrap();
    table.transact(closed_rec.delete_writes()).await.unwrap();
    assert_eq!(both(&app, &w, "").await, vec![sub(&ref2)]);
    assert_eq!(both(&app, &w, "state=closed").await, vec![]);
    assert_eq!(both(&app, &w, "name=dupont").await, vec![sub(&ref2)]);
}
