//! What the DynamoDB adapter sends on the wire (moto), recorded by an SDK interceptor:
//! a transaction of one write goes as that write (`PutItem`, `UpdateItem`,
//! `DeleteItem`: `TransactWriteItems` bills twice), a failed condition answers as the
//! transaction would; reads are strongly consistent except `get_many_eventual` (names
//! shown beside a list), and the base-table queries (the partner's history pages,
//! cached under a stamp) stay strongly consistent.

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use ep_common::aws::DynamoTable;
use ep_common::table::{Cond, Index, Item, Query, StoreError, Table, Write};
use ep_tests::{moto_endpoint, moto_sdk, unique};
use serde_json::{Map, Value, json};

/// The operations sent, with their JSON bodies.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(String, Value)>>>);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "wire-recorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = context.request();
        let op = req
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("")
            .to_owned();
        let body = req
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        self.0.lock().expect("recorder").push((op, body));
        Ok(())
    }
}

impl Recorder {
    /// The operations sent since the last call.
    fn take(&self) -> Vec<(String, Value)> {
        std::mem::take(&mut *self.0.lock().expect("recorder"))
    }

    fn ops(&self) -> Vec<String> {
        self.take().into_iter().map(|(op, _)| op).collect()
    }
}

async fn recorded_table() -> Option<(DynamoTable, Recorder)> {
    let endpoint = moto_endpoint()?;
    let sdk = moto_sdk(&endpoint).await;
    let rec = Recorder::default();
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(rec.clone())
        .build();
    let t = DynamoTable::new(aws_sdk_dynamodb::Client::from_conf(conf), unique("ep-wire"));
    t.create_table().await.expect("create table in moto");
    rec.take();
    Some((t, rec))
}

fn set(k: &str, v: Value) -> Map<String, Value> {
    Map::from_iter([(k.to_owned(), v)])
}

#[tokio::test]
async fn one_write_goes_as_a_single_item_call() {
    let Some((t, rec)) = recorded_table().await else {
        return;
    };
    let a = Item::new("W#1", "A").with("v", 1).with("x", "first");
    t.transact(vec![Write::put(a.clone(), Cond::NotExists)])
        .await
        .expect("put");
    assert_eq!(rec.ops(), ["PutItem"]);
    // Its condition failing answers as the transaction would, writing nothing.
    assert_eq!(
        t.transact(vec![Write::put(
            a.clone().with("x", "again"),
            Cond::NotExists
        )])
        .await,
        Err(StoreError::TransactionCanceled { failed: vec![0] })
    );
    assert_eq!(rec.ops(), ["PutItem"]);

    let update = |cond| Write::Update {
        pk: "W#1".into(),
        sk: "A".into(),
        set: set("x", json!("updated")),
        remove: vec![],
        cond,
    };
    t.transact(vec![update(Cond::VersionEquals(1))])
        .await
        .expect("update");
    assert_eq!(
        t.transact(vec![update(Cond::VersionEquals(7))]).await,
        Err(StoreError::TransactionCanceled { failed: vec![0] })
    );
    // `Table::update` of a missing item: `ConditionFailed`, as before.
    assert_eq!(
        t.update("W#1", "MISSING", set("x", json!(1)), vec![], Cond::None)
            .await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(rec.ops(), ["UpdateItem", "UpdateItem", "UpdateItem"]);
    let got = t.get("W#1", "A").await.unwrap().unwrap();
    assert_eq!(got.get_str("x"), Some("updated"));
    rec.take();

    assert_eq!(
        t.transact(vec![Write::delete("W#1", "A", Cond::VersionEquals(9))])
            .await,
        Err(StoreError::TransactionCanceled { failed: vec![0] })
    );
    t.transact(vec![Write::delete("W#1", "A", Cond::Exists)])
        .await
        .expect("delete");
    assert_eq!(rec.ops(), ["DeleteItem", "DeleteItem"]);
    assert!(t.get("W#1", "A").await.unwrap().is_none());
    rec.take();

    // Two writes, or a lone condition check, stay one transaction.
    t.transact(vec![
        Write::put(Item::new("W#1", "B"), Cond::None),
        Write::put(Item::new("W#1", "C"), Cond::None),
    ])
    .await
    .expect("two puts");
    assert_eq!(
        t.transact(vec![Write::check("W#1", "B", Cond::VersionEquals(3))])
            .await,
        Err(StoreError::TransactionCanceled { failed: vec![0] })
    );
    assert_eq!(rec.ops(), ["TransactWriteItems", "TransactWriteItems"]);
}

#[tokio::test]
async fn reads_are_strong_except_names_beside_a_list() {
    let Some((t, rec)) = recorded_table().await else {
        return;
    };
    t.put(Item::new("R#1", "A").with("n", 1), Cond::None)
        .await
        .unwrap();
    rec.take();
    let keys = [("R#1".to_owned(), "A".to_owned())];
    assert!(t.get("R#1", "A").await.unwrap().is_some());
    assert_eq!(t.get_many(&keys).await.unwrap().len(), 1);
    let eventual = t.get_many_eventual(&keys).await.unwrap();
    assert_eq!(
        eventual[0].as_ref().and_then(|i| i.get("n")),
        Some(&json!(1))
    );
    // The partner's history pages (`requests::pages`) query the base table.
    t.query(&Query::new(Index::Table, "R#1").limit(10))
        .await
        .unwrap();
    let sent = rec.take();
    let ops: Vec<&str> = sent.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["GetItem", "BatchGetItem", "BatchGetItem", "Query"]);
    let consistent = |body: &Value| -> Option<bool> {
        body.get("ConsistentRead")
            .or_else(|| {
                body.get("RequestItems")?
                    .as_object()?
                    .values()
                    .next()?
                    .get("ConsistentRead")
            })
            .and_then(Value::as_bool)
    };
    let flags: Vec<Option<bool>> = sent.iter().map(|(_, b)| consistent(b)).collect();
    assert_eq!(flags, [Some(true), Some(true), Some(false), Some(true)]);
}
