//! The Table port on DynamoDB. Items are converted with `serde_dynamo`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put,
    ScalarAttributeType, TransactWriteItem, Update,
};

use crate::table::{
    Cond, Index, Item, Page, Query, SkRange, StoreError, Table, Write, validate_transaction,
};

pub struct DynamoTable {
    client: super::Lazy<Client>,
    name: String,
}

use super::dynamo_codec::*;

impl DynamoTable {
    pub fn new(client: Client, name: String) -> Self {
        DynamoTable {
            client: super::Lazy::ready(client),
            name,
        }
    }

    /// The client is built at the first call.
    pub fn lazy(sdk: aws_types::SdkConfig, name: String) -> Self {
        DynamoTable {
            client: super::Lazy::new(move || Client::new(&sdk)),
            name,
        }
    }

    /// Creates the table with its indexes, as `template.yaml` declares it (tests and
    /// the local moto setup; on AWS the template creates it).
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(unavailable)
        };
        let ks = |name: &str, kt: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kt)
                .build()
                .map_err(unavailable)
        };
        let mut req = self
            .client
            .create_table()
            .table_name(&self.name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(ks("pk", KeyType::Hash)?)
            .key_schema(ks("sk", KeyType::Range)?);
        for a in ["pk", "sk", "gsi1pk", "gsi1sk", "due_pk", "due_at"] {
            req = req.attribute_definitions(attr(a)?);
        }
        for index in Index::SECONDARY {
            let (p, s) = index.key_attrs();
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name().unwrap_or_default())
                    .key_schema(ks(p, KeyType::Hash)?)
                    .key_schema(ks(s, KeyType::Range)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(unavailable)?,
            );
        }
        req.send()
            .await
            .map_err(|e| unavailable(format!("{e:?}")))?;
        Ok(())
    }

    /// `BatchGetItem`, strongly consistent or not.
    async fn batch_get(
        &self,
        keys: &[(String, String)],
        consistent: bool,
    ) -> Result<Vec<Option<Item>>, StoreError> {
        crate::table::check_get_many(keys)?;
        let mut unique: Vec<&(String, String)> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let mut found: std::collections::HashMap<(String, String), Item> = Default::default();
        if !unique.is_empty() {
            let mut request = KeysAndAttributes::builder().consistent_read(consistent);
            for (pk, sk) in &unique {
                request = request.keys(key(pk, sk));
            }
            let mut pending = Some(
                request
                    .build()
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
            );
            // Unprocessed keys (throttling) are asked again, a few times.
            for attempt in 0..5 {
                let Some(req) = pending.take() else { break };
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
                }
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.name, req)
                    .send()
                    .await
                    .map_err(|e| other_error(&e.into_service_error()))?;
                for av in out
                    .responses
                    .and_then(|mut r| r.remove(&self.name))
                    .unwrap_or_default()
                {
                    let item = from_av(av)?;
                    found.insert((item.pk().to_owned(), item.sk().to_owned()), item);
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.name))
                    .filter(|k| !k.keys.is_empty());
            }
            if pending.is_some() {
                return Err(StoreError::Unavailable("batch read throttled".into()));
            }
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    fn transact_item(&self, w: &Write) -> Result<TransactWriteItem, StoreError> {
        let b = TransactWriteItem::builder();
        let item = match w {
            Write::Put { item, cond } => {
                let e = cond_expr(cond);
                b.put(
                    Put::builder()
                        .table_name(&self.name)
                        .set_item(Some(to_av(item.attrs())?))
                        .set_condition_expression(e.text)
                        .set_expression_attribute_names(opt(e.names))
                        .set_expression_attribute_values(opt(e.values))
                        .build()
                        .map_err(unavailable)?,
                )
            }
            Write::Update {
                pk,
                sk,
                set,
                remove,
                cond,
            } => {
                let mut e = cond_expr(cond);
                let exists = "attribute_exists(pk)".to_owned();
                e.text = Some(match e.text {
                    Some(t) => format!("{exists} AND {t}"),
                    None => exists,
                });
                let mut sets = Vec::new();
                let values = to_av(set)?;
                for (i, (name, value)) in values.into_iter().enumerate() {
                    e.names.insert(format!("#s{i}"), name);
                    e.values.insert(format!(":s{i}"), value);
                    sets.push(format!("#s{i} = :s{i}"));
                }
                let mut removes = Vec::new();
                for (i, name) in remove.iter().enumerate() {
                    e.names.insert(format!("#r{i}"), name.clone());
                    removes.push(format!("#r{i}"));
                }
                let mut expr = String::new();
                if !sets.is_empty() {
                    expr.push_str(&format!("SET {}", sets.join(", ")));
                }
                if !removes.is_empty() {
                    expr.push_str(&format!(" REMOVE {}", removes.join(", ")));
                }
                if expr.is_empty() {
                    // Nothing to change: only the condition matters.
                    return self.transact_item(&Write::Check {
                        pk: pk.clone(),
                        sk: sk.clone(),
                        cond: match cond {
                            Cond::None => Cond::Exists,
                            other => other.clone(),
                        },
                    });
                }
                b.update(
                    Update::builder()
                        .table_name(&self.name)
                        .set_key(Some(key(pk, sk)))
                        .update_expression(expr.trim())
                        .set_condition_expression(e.text)
                        .set_expression_attribute_names(opt(e.names))
                        .set_expression_attribute_values(opt(e.values))
                        .build()
                        .map_err(unavailable)?,
                )
            }
            Write::Delete { pk, sk, cond } => {
                let e = cond_expr(cond);
                b.delete(
                    Delete::builder()
                        .table_name(&self.name)
                        .set_key(Some(key(pk, sk)))
                        .set_condition_expression(e.text)
                        .set_expression_attribute_names(opt(e.names))
                        .set_expression_attribute_values(opt(e.values))
                        .build()
                        .map_err(unavailable)?,
                )
            }
            Write::Check { pk, sk, cond } => {
                let mut e = cond_expr(cond);
                if e.text.is_none() {
                    e.text = Some("attribute_exists(pk) OR attribute_not_exists(pk)".into());
                }
                b.condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.name)
                        .set_key(Some(key(pk, sk)))
                        .set_condition_expression(e.text)
                        .set_expression_attribute_names(opt(e.names))
                        .set_expression_attribute_values(opt(e.values))
                        .build()
                        .map_err(unavailable)?,
                )
            }
        };
        Ok(item.build())
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| other_error(&e.into_service_error()))?;
        out.item.map(from_av).transpose()
    }

    async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Option<Item>>, StoreError> {
        self.batch_get(keys, true).await
    }

    async fn get_many_eventual(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<Option<Item>>, StoreError> {
        self.batch_get(keys, false).await
    }

    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        item.validate()?;
        let e = cond_expr(&cond);
        let res = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(to_av(item.attrs())?))
            .set_condition_expression(e.text)
            .set_expression_attribute_names(opt(e.names))
            .set_expression_attribute_values(opt(e.values))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = e.into_service_error();
                if e.is_conditional_check_failed_exception() {
                    Err(StoreError::ConditionFailed)
                } else {
                    Err(other_error(&e))
                }
            }
        }
    }

    async fn delete(&self, pk: &str, sk: &str, cond: Cond) -> Result<(), StoreError> {
        let e = cond_expr(&cond);
        let res = self
            .client
            .delete_item()
            .table_name(&self.name)
            .set_key(Some(key(pk, sk)))
            .set_condition_expression(e.text)
            .set_expression_attribute_names(opt(e.names))
            .set_expression_attribute_values(opt(e.values))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = e.into_service_error();
                if e.is_conditional_check_failed_exception() {
                    Err(StoreError::ConditionFailed)
                } else {
                    Err(other_error(&e))
                }
            }
        }
    }

    async fn query(&self, q: &Query) -> Result<Page, StoreError> {
        q.validate()?;
        let (p, sname) = q.index.key_attrs();
        let mut names = HashMap::from([("#p".to_owned(), p.to_owned())]);
        let mut values = HashMap::from([(":p".to_owned(), s(&q.pk))]);
        let mut expr = "#p = :p".to_owned();
        let mut sk_names = || {
            names.insert("#s".to_owned(), sname.to_owned());
        };
        match &q.sk {
            SkRange::All => {}
            SkRange::Prefix(v) => {
                sk_names();
                expr.push_str(" AND begins_with(#s, :a)");
                values.insert(":a".into(), s(v));
            }
            SkRange::Between(a, b) => {
                sk_names();
                expr.push_str(" AND #s BETWEEN :a AND :b");
                values.insert(":a".into(), s(a));
                values.insert(":b".into(), s(b));
            }
            SkRange::AtMost(b) => {
                sk_names();
                expr.push_str(" AND #s <= :b");
                values.insert(":b".into(), s(b));
            }
            SkRange::AtLeast(a) => {
                sk_names();
                expr.push_str(" AND #s >= :a");
                values.insert(":a".into(), s(a));
            }
        }
        let start = q
            .start
            .as_deref()
            .map(|c| decode_cursor(c, q.index))
            .transpose()?;
        let out = self
            .client
            .query()
            .table_name(&self.name)
            .set_index_name(q.index.name().map(str::to_owned))
            .key_condition_expression(expr)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .set_exclusive_start_key(start)
            .limit(q.limit as i32)
            .scan_index_forward(!q.descending)
            .consistent_read(q.index == Index::Table)
            .send()
            .await
            .map_err(|e| other_error(&e.into_service_error()))?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_av)
            .collect::<Result<Vec<_>, _>>()?;
        let next = match out.last_evaluated_key {
            Some(lek) if !lek.is_empty() => Some(encode_cursor(&lek)?),
            _ => None,
        };
        Ok(Page { items, next })
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        validate_transaction(&writes)?;
        if let [one] = writes.as_slice() {
            let item = self.transact_item(one)?;
            if let Some(res) = super::dynamo_single::write_one(&self.client, item).await {
                return res;
            }
        }
        let items = writes
            .iter()
            .map(|w| self.transact_item(w))
            .collect::<Result<Vec<_>, _>>()?;
        let res = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = e.into_service_error();
                if let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(tc) = &e {
                    let failed: Vec<usize> = tc
                        .cancellation_reasons()
                        .iter()
                        .enumerate()
                        // A concurrent transaction on the same item is a lost race,
                        // like a failed version check (audit heads are retried on it).
                        .filter(|(_, r)| {
                            matches!(r.code(), Some("ConditionalCheckFailed" | "TransactionConflict"))
                        })
                        .map(|(i, _)| i)
                        .collect();
                    if !failed.is_empty() {
                        return Err(StoreError::TransactionCanceled { failed });
                    }
                    let other = tc
                        .cancellation_reasons()
                        .iter()
                        .filter_map(|r| r.code())
                        .find(|c| *c != "None")
                        .unwrap_or("unknown");
                    if other == "ValidationError" {
                        let size = tc.cancellation_reasons().iter().any(|r| {
                            r.message().unwrap_or("").to_ascii_lowercase().contains("size")
                        });
                        return Err(if size {
                            StoreError::ItemTooLarge
                        } else {
                            StoreError::Invalid("transaction refused by DynamoDB".into())
                        });
                    }
                    return Err(StoreError::Unavailable(format!("transaction cancelled: {other}")));
                }
                Err(other_error(&e))
            }
        }
    }
}
