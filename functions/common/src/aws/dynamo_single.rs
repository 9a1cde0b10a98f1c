//! A transaction of one write is sent as that write (`PutItem`, `UpdateItem`,
//! `DeleteItem`): `TransactWriteItems` bills each item twice (two write units per KB
//! instead of one), and one item is written atomically anyway. A condition that fails
//! answers as the transaction would (`TransactionCanceled { failed: [0] }`). A lone
//! condition check stays a transaction (it writes nothing, and no single-item call
//! checks a condition without writing).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::dynamo_codec::other_error;
use crate::table::StoreError;

/// Sends `item` as a single-item call; `None` when it is a condition check (the
/// caller sends the transaction).
pub(super) async fn write_one(
    client: &Client,
    item: TransactWriteItem,
) -> Option<Result<(), StoreError>> {
    let res = if let Some(p) = item.put {
        client
            .put_item()
            .table_name(p.table_name)
            .set_item(Some(p.item))
            .set_condition_expression(p.condition_expression)
            .set_expression_attribute_names(p.expression_attribute_names)
            .set_expression_attribute_values(p.expression_attribute_values)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| outcome(e.into_service_error()))
    } else if let Some(u) = item.update {
        client
            .update_item()
            .table_name(u.table_name)
            .set_key(Some(u.key))
            .update_expression(u.update_expression)
            .set_condition_expression(u.condition_expression)
            .set_expression_attribute_names(u.expression_attribute_names)
            .set_expression_attribute_values(u.expression_attribute_values)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| outcome(e.into_service_error()))
    } else if let Some(d) = item.delete {
        client
            .delete_item()
            .table_name(d.table_name)
            .set_key(Some(d.key))
            .set_condition_expression(d.condition_expression)
            .set_expression_attribute_names(d.expression_attribute_names)
            .set_expression_attribute_values(d.expression_attribute_values)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| outcome(e.into_service_error()))
    } else {
        return None;
    };
    Some(res)
}

/// A failed condition as the transaction reports it; anything else as `other_error`.
fn outcome<E: ProvideErrorMetadata + std::fmt::Debug>(e: E) -> StoreError {
    if e.code() == Some("ConditionalCheckFailedException") {
        StoreError::TransactionCanceled { failed: vec![0] }
    } else {
        other_error(&e)
    }
}
