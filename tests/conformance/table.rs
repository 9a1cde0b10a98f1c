//! Table cases: each takes any adapter and checks DynamoDB's semantics.

use ep_common::table::{Cond, Index, Item, Query, SkRange, StoreError, Table, Write};
use serde_json::{Map, json};

fn item(pk: &str, sk: &str) -> Item {
    Item::new(pk, sk)
}

pub async fn put_get_round_trip_with_unicode(t: &dyn Table) {
    let pk = "PARTNER#ccas-écully-ß-日本";
    let sk = "USER#Zoë 🌍";
    let it = item(pk, sk)
        .with("name", "Élodie Lefèvre-N'Diaye")
        .with("count", 42)
        .with("negative", -7)
        .with("ratio", 0.5)
        .with("active", true)
        .with("nothing", serde_json::Value::Null)
        .with("list", json!(["a", 1, {"b": false}]))
        .with("map", json!({"nested": {"deep": "oui"}, "n": 3}))
        .with("empty", "");
    t.put(it.clone(), Cond::None).await.expect("put");
    let got = t.get(pk, sk).await.expect("get").expect("present");
    assert_eq!(got, it);
    assert_eq!(t.get(pk, "USER#other").await.expect("get"), None);
}

pub async fn conditional_put_conflict(t: &dyn Table) {
    let a = item("P#1", "A").with("v", 1).with("x", "first");
    t.put(a.clone(), Cond::NotExists).await.expect("first put");
    let again = t.put(a.clone().with("x", "second"), Cond::NotExists).await;
    assert_eq!(again, Err(StoreError::ConditionFailed));
    assert_eq!(
        t.get("P#1", "A").await.unwrap().unwrap().get_str("x"),
        Some("first")
    );

    // Optimistic concurrency: only the writer holding the current version wins.
    let stale = t
        .put(
            a.clone().with("v", 2).with("x", "stale"),
            Cond::VersionEquals(7),
        )
        .await;
    assert_eq!(stale, Err(StoreError::ConditionFailed));
    t.put(
        a.clone().with("v", 2).with("x", "new"),
        Cond::VersionEquals(1),
    )
    .await
    .expect("version matches");
    let got = t.get("P#1", "A").await.unwrap().unwrap();
    assert_eq!((got.version(), got.get_str("x")), (Some(2), Some("new")));

    assert_eq!(
        t.put(item("P#1", "B"), Cond::Exists).await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(
        t.put(item("P#1", "C"), Cond::VersionEquals(0)).await,
        Err(StoreError::ConditionFailed)
    );
}

pub async fn conditional_delete(t: &dyn Table) {
    t.put(item("P#2", "A").with("v", 3), Cond::None)
        .await
        .unwrap();
    assert_eq!(
        t.delete("P#2", "A", Cond::VersionEquals(2)).await,
        Err(StoreError::ConditionFailed)
    );
    assert!(t.get("P#2", "A").await.unwrap().is_some());
    t.delete("P#2", "A", Cond::VersionEquals(3))
        .await
        .expect("delete");
    assert!(t.get("P#2", "A").await.unwrap().is_none());
    assert_eq!(
        t.delete("P#2", "A", Cond::Exists).await,
        Err(StoreError::ConditionFailed)
    );
    t.delete("P#2", "A", Cond::None)
        .await
        .expect("deleting nothing is fine");
}

pub async fn failed_transaction_writes_nothing(t: &dyn Table) {
    t.put(
        item("P#3", "EXISTING").with("v", 1).with("x", "kept"),
        Cond::None,
    )
    .await
    .unwrap();
    t.put(item("P#3", "OTHER").with("v", 1), Cond::None)
        .await
        .unwrap();
    let writes = vec![
        Write::put(item("P#3", "NEW1"), Cond::NotExists),
        Write::put(
            item("P#3", "EXISTING").with("x", "overwritten"),
            Cond::NotExists,
        ),
        Write::delete("P#3", "NEW2", Cond::None),
        Write::Update {
            pk: "P#3".into(),
            sk: "EXISTING2".into(),
            set: Map::from_iter([("x".to_owned(), json!("y"))]),
            remove: vec![],
            cond: Cond::None,
        },
        Write::check("P#3", "OTHER", Cond::VersionEquals(9)),
    ];
    match t.transact(writes).await {
        Err(StoreError::TransactionCanceled { failed }) => {
            assert!(failed.contains(&1), "write 1 failed: {failed:?}");
            assert!(failed.contains(&4), "write 4 failed: {failed:?}");
            assert!(!failed.contains(&0) && !failed.contains(&2), "{failed:?}");
        }
        other => panic!("expected a cancelled transaction, got {other:?}"),
    }
    assert!(
        t.get("P#3", "NEW1").await.unwrap().is_none(),
        "nothing written"
    );
    assert_eq!(
        t.get("P#3", "EXISTING")
            .await
            .unwrap()
            .unwrap()
            .get_str("x"),
        Some("kept")
    );
    assert!(
        t.get("P#3", "EXISTING2").await.unwrap().is_none(),
        "update does not create"
    );
}

pub async fn transaction_of_25_writes(t: &dyn Table) {
    t.put(item("P#4", "OLD"), Cond::None).await.unwrap();
    let mut writes: Vec<Write> = (0..23)
        .map(|i| {
            Write::put(
                item("P#4", &format!("N#{i:02}")).with("i", i),
                Cond::NotExists,
            )
        })
        .collect();
    writes.push(Write::delete("P#4", "OLD", Cond::Exists));
    writes.push(Write::check("P#4", "ABSENT", Cond::NotExists));
    assert_eq!(writes.len(), 25);
    t.transact(writes).await.expect("transaction");
    let all = t
        .query_all(&Query::new(Index::Table, "P#4").limit(100))
        .await
        .unwrap();
    assert_eq!(all.len(), 23);
    assert!(t.get("P#4", "OLD").await.unwrap().is_none());
}

pub async fn transaction_shape_is_checked(t: &dyn Table) {
    let twice = vec![
        Write::put(item("P#5", "A"), Cond::None),
        Write::delete("P#5", "A", Cond::None),
    ];
    assert!(matches!(
        t.transact(twice).await,
        Err(StoreError::Invalid(_))
    ));
    let too_many: Vec<Write> = (0..101)
        .map(|i| Write::put(item("P#5", &format!("{i}")), Cond::None))
        .collect();
    assert!(matches!(
        t.transact(too_many).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        t.transact(vec![]).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(
        t.query_all(&Query::new(Index::Table, "P#5"))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn update_sets_and_removes(t: &dyn Table) {
    t.put(
        item("P#6", "A")
            .with("v", 1)
            .with("keep", "k")
            .with("due_pk", "DUE#test")
            .with("due_at", "2026-01-01T00:00:00Z"),
        Cond::None,
    )
    .await
    .unwrap();
    let due = Query::new(Index::Due, "DUE#test");
    assert_eq!(t.query(&due).await.unwrap().items.len(), 1);
    let set = Map::from_iter([
        ("v".to_owned(), json!(2)),
        ("state".to_owned(), json!("done")),
    ]);
    t.update(
        "P#6",
        "A",
        set.clone(),
        vec!["due_at".into()],
        Cond::VersionEquals(1),
    )
    .await
    .expect("update");
    let got = t.get("P#6", "A").await.unwrap().unwrap();
    assert_eq!(got.version(), Some(2));
    assert_eq!(got.get_str("state"), Some("done"));
    assert_eq!(got.get_str("keep"), Some("k"));
    assert_eq!(got.get("due_at"), None);
    assert!(
        t.query(&due).await.unwrap().items.is_empty(),
        "left the due index"
    );
    assert_eq!(
        t.update("P#6", "A", set.clone(), vec![], Cond::VersionEquals(1))
            .await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(
        t.update("P#6", "MISSING", set, vec![], Cond::None).await,
        Err(StoreError::ConditionFailed)
    );
}

pub async fn gsi_is_sparse(t: &dyn Table) {
    for i in 0..6 {
        let mut it = item(&format!("USER#{i}"), "PROFILE").with("i", i);
        if i % 2 == 0 {
            it.set("gsi1pk", "LOGIN");
            it.set("gsi1sk", format!("id-{i}"));
        } else if i == 1 {
            it.set("gsi1pk", "LOGIN"); // only half of the index key: not indexed
        }
        t.put(it, Cond::None).await.unwrap();
    }
    let found = t
        .query_all(&Query::new(Index::Gsi1, "LOGIN"))
        .await
        .unwrap();
    let ids: Vec<&str> = found.iter().map(|i| i.pk()).collect();
    assert_eq!(ids, vec!["USER#0", "USER#2", "USER#4"]);
    let one = t
        .query(&Query::new(Index::Gsi1, "LOGIN").prefix("id-2"))
        .await
        .unwrap();
    assert_eq!(one.items.len(), 1);
    assert_eq!(one.items[0].get("i"), Some(&json!(2)));
}

pub async fn pagination_across_pages(t: &dyn Table) {
    let writes: Vec<Write> = (0..23)
        .map(|i| {
            Write::put(
                item("P#7", &format!("REQ#{i:03}"))
                    .with("gsi1pk", "BYDATE")
                    .with("gsi1sk", format!("2026-{:02}", i % 5)),
                Cond::None,
            )
        })
        .collect();
    t.transact(writes).await.unwrap();
    for index in [Index::Table, Index::Gsi1] {
        for descending in [false, true] {
            let pk = if index == Index::Table {
                "P#7"
            } else {
                "BYDATE"
            };
            let mut q = Query::new(index, pk).limit(5);
            q.descending = descending;
            let mut pages = 0;
            let mut seen = Vec::new();
            loop {
                let page = t.query(&q).await.unwrap();
                assert!(page.items.len() <= 5);
                pages += 1;
                seen.extend(page.items.into_iter().map(|i| {
                    let (_, s) = i.index_key(index).unwrap();
                    (s.to_owned(), i.sk().to_owned())
                }));
                match page.next {
                    Some(n) => q.start = Some(n),
                    None => break,
                }
                assert!(pages < 10, "pagination does not end");
            }
            assert!(pages >= 5, "{index:?}: 23 items in pages of 5");
            assert_eq!(
                seen.len(),
                23,
                "{index:?} desc={descending}: every item once"
            );
            let mut distinct = seen.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), 23);
            let keys: Vec<&String> = seen.iter().map(|(s, _)| s).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            if descending {
                sorted.reverse();
            }
            assert_eq!(keys, sorted, "{index:?} desc={descending}: sort-key order");
        }
    }
    let bad = Query::new(Index::Table, "P#7").start(Some("not-a-cursor!".into()));
    assert!(matches!(t.query(&bad).await, Err(StoreError::Invalid(_))));
}

pub async fn sort_key_ranges(t: &dyn Table) {
    for sk in ["A#1", "A#2", "AB#1", "B#1", "B#2", "C"] {
        t.put(item("P#8", sk), Cond::None).await.unwrap();
    }
    let sks = |items: Vec<Item>| items.iter().map(|i| i.sk().to_owned()).collect::<Vec<_>>();
    let q = |r: SkRange| Query::new(Index::Table, "P#8").range(r);
    assert_eq!(
        sks(t.query_all(&q(SkRange::Prefix("A#".into()))).await.unwrap()),
        ["A#1", "A#2"]
    );
    assert_eq!(
        sks(t
            .query_all(&q(SkRange::Between("A#2".into(), "B#1".into())))
            .await
            .unwrap()),
        ["A#2", "AB#1", "B#1"]
    );
    assert_eq!(
        sks(t
            .query_all(&q(SkRange::AtMost("A#2".into())))
            .await
            .unwrap()),
        ["A#1", "A#2"]
    );
    assert_eq!(
        sks(t
            .query_all(&q(SkRange::AtLeast("B#2".into())))
            .await
            .unwrap()),
        ["B#2", "C"]
    );
    assert!(
        t.query_all(&Query::new(Index::Table, "P#none"))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn due_index_finds_what_is_due(t: &dyn Table) {
    let dates = [
        "2026-03-01T00:00:00Z",
        "2026-06-01T00:00:00Z",
        "2026-09-01T00:00:00Z",
    ];
    for (i, d) in dates.iter().enumerate() {
        t.put(
            item(&format!("USER#{i}"), "PROFILE")
                .with("due_pk", "DUE#purge")
                .with("due_at", *d),
            Cond::None,
        )
        .await
        .unwrap();
    }
    t.put(item("USER#9", "PROFILE"), Cond::None).await.unwrap();
    let due = t
        .query_all(
            &Query::new(Index::Due, "DUE#purge")
                .range(SkRange::AtMost("2026-06-01T00:00:00Z".into())),
        )
        .await
        .unwrap();
    let pks: Vec<&str> = due.iter().map(|i| i.pk()).collect();
    assert_eq!(pks, ["USER#0", "USER#1"]);
}

pub async fn item_size_limit(t: &dyn Table) {
    let big = "x".repeat(410 * 1024);
    assert_eq!(
        t.put(item("P#9", "BIG").with("blob", big.clone()), Cond::None)
            .await,
        Err(StoreError::ItemTooLarge)
    );
    let in_tx = t
        .transact(vec![
            Write::put(item("P#9", "OK"), Cond::None),
            Write::put(item("P#9", "BIG").with("blob", big), Cond::None),
        ])
        .await;
    assert_eq!(in_tx, Err(StoreError::ItemTooLarge));
    assert!(t.get("P#9", "OK").await.unwrap().is_none());
    let fits = "y".repeat(390 * 1024);
    t.put(item("P#9", "FITS").with("blob", fits), Cond::None)
        .await
        .expect("390 KB fits");
}

pub async fn invalid_items_are_refused(t: &dyn Table) {
    assert!(matches!(
        t.put(item("", "A"), Cond::None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        t.put(item("P#10", "A").with("gsi1pk", 5), Cond::None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        t.put(item("P#10", "A").with("due_at", ""), Cond::None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(t.get("P#10", "A").await.unwrap().is_none());
}

pub async fn get_many_reads_keys_in_order_in_one_call(t: &dyn Table) {
    for i in 0..30 {
        t.put(
            item(&format!("GM#{}", i % 3), &format!("K#{i:02}")).with("n", i),
            Cond::None,
        )
        .await
        .expect("put");
    }
    // Order of the keys asked, a missing one, a repeated one, across partitions.
    let keys: Vec<(String, String)> = [(7, "K#07"), (99, "K#99"), (2, "K#02"), (7, "K#07")]
        .iter()
        .map(|(i, sk)| (format!("GM#{}", i % 3), (*sk).to_owned()))
        .collect();
    let got = t.get_many(&keys).await.expect("get_many");
    let ns: Vec<Option<i64>> = got
        .iter()
        .map(|o| o.as_ref().and_then(|i| i.get("n")).and_then(|v| v.as_i64()))
        .collect();
    assert_eq!(ns, [Some(7), None, Some(2), Some(7)]);
    // 100 keys at once (DynamoDB's limit), more refused, none is fine.
    let hundred: Vec<(String, String)> = (0..100)
        .map(|i| (format!("GM#{}", i % 3), format!("K#{i:02}")))
        .collect();
    let got = t.get_many(&hundred).await.expect("100 keys");
    assert_eq!(got.iter().filter(|o| o.is_some()).count(), 30);
    let mut too_many = hundred.clone();
    too_many.push(("GM#0".into(), "K#00".into()));
    assert!(matches!(
        t.get_many(&too_many).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        t.get_many(&[]).await.expect("none"),
        Vec::<Option<Item>>::new()
    );
}
