//! How items, conditions and cursors are written for DynamoDB (`serde_dynamo`), and
//! how its errors map to the Table port's.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Value};

use crate::table::{Cond, Index, Item, StoreError, VERSION_ATTR};

pub(super) type Av = HashMap<String, AttributeValue>;

pub(super) fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

pub(super) fn key(pk: &str, sk: &str) -> Av {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

pub(super) fn to_av(map: &Map<String, Value>) -> Result<Av, StoreError> {
    serde_dynamo::to_item(map).map_err(|e| StoreError::Invalid(e.to_string()))
}

pub(super) fn from_av(item: Av) -> Result<Item, StoreError> {
    let map: Map<String, Value> =
        serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Item::from_map(map)
}

/// A condition expression with its names and values.
#[derive(Default)]
pub(super) struct Expr {
    pub(super) text: Option<String>,
    pub(super) names: HashMap<String, String>,
    pub(super) values: Av,
}

pub(super) fn cond_expr(cond: &Cond) -> Expr {
    let mut e = Expr::default();
    match cond {
        Cond::None => {}
        Cond::NotExists => e.text = Some("attribute_not_exists(pk)".into()),
        Cond::Exists => e.text = Some("attribute_exists(pk)".into()),
        Cond::VersionEquals(v) => {
            e.text = Some("#ver = :ver".into());
            e.names.insert("#ver".into(), VERSION_ATTR.into());
            e.values
                .insert(":ver".into(), AttributeValue::N(v.to_string()));
        }
    }
    e
}

pub(super) fn opt<K: std::hash::Hash + Eq, V>(m: HashMap<K, V>) -> Option<HashMap<K, V>> {
    (!m.is_empty()).then_some(m)
}

pub(super) fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Maps an SDK error that is not a condition failure.
pub(super) fn other_error<E: ProvideErrorMetadata + std::fmt::Debug>(e: &E) -> StoreError {
    let code = e.code().unwrap_or("");
    let message = e.message().unwrap_or("");
    if code == "ValidationException" && message.to_ascii_lowercase().contains("size") {
        StoreError::ItemTooLarge
    } else if code == "ValidationException" {
        StoreError::Invalid(message.to_owned())
    } else {
        StoreError::Unavailable(if code.is_empty() {
            format!("{e:?}")
        } else {
            format!("{code}: {message}")
        })
    }
}

pub(super) fn encode_cursor(lek: &Av) -> Result<String, StoreError> {
    use base64::Engine;
    let mut plain = std::collections::BTreeMap::new();
    for (k, v) in lek {
        match v {
            AttributeValue::S(s) => {
                plain.insert(k.clone(), s.clone());
            }
            _ => return Err(StoreError::Corrupt("non-string key attribute".into())),
        }
    }
    let json = serde_json::to_vec(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

pub(super) fn decode_cursor(cursor: &str, index: Index) -> Result<Av, StoreError> {
    use base64::Engine;
    let bad = || StoreError::Invalid("invalid pagination cursor".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let plain: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let (p, s) = index.key_attrs();
    let allowed = ["pk", "sk", p, s];
    if plain.keys().any(|k| !allowed.contains(&k.as_str())) || !plain.contains_key("pk") {
        return Err(bad());
    }
    Ok(plain
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}
