//! An item of the Table port: a JSON object keyed by `pk`/`sk`, its size as DynamoDB
//! counts it, and the update rule adapters share.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::table::{Index, MAX_ITEM_BYTES, StoreError, VERSION_ATTR};

/// One item: a JSON object holding at least `pk` and `sk` as non-empty strings.
#[derive(Clone, Debug, PartialEq)]
pub struct Item(Map<String, Value>);

impl Item {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        let mut m = Map::new();
        m.insert("pk".into(), Value::String(pk.into()));
        m.insert("sk".into(), Value::String(sk.into()));
        Item(m)
    }

    /// Builds an item from a record: the record's fields become attributes.
    pub fn from_record<T: Serialize>(
        pk: impl Into<String>,
        sk: impl Into<String>,
        record: &T,
    ) -> Result<Self, StoreError> {
        let value = serde_json::to_value(record)
            .map_err(|e| StoreError::Invalid(format!("record: {e}")))?;
        let Value::Object(mut map) = value else {
            return Err(StoreError::Invalid("record is not an object".into()));
        };
        map.insert("pk".into(), Value::String(pk.into()));
        map.insert("sk".into(), Value::String(sk.into()));
        Ok(Item(map))
    }

    /// Wraps a map read from a store; checks the keys.
    pub fn from_map(map: Map<String, Value>) -> Result<Self, StoreError> {
        let item = Item(map);
        item.validate()?;
        Ok(item)
    }

    /// Reads the item back as a record (unknown attributes such as `pk` are ignored
    /// unless the record declares them).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, StoreError> {
        // Deserialised from the map in place: no copy of the item (a list page
        // parses 20-odd of them per request).
        T::deserialize(&self.0)
            .map_err(|e| StoreError::Corrupt(format!("{} / {}: {e}", self.pk(), self.sk())))
    }

    pub fn pk(&self) -> &str {
        self.0.get("pk").and_then(Value::as_str).unwrap_or("")
    }
    pub fn sk(&self) -> &str {
        self.0.get("sk").and_then(Value::as_str).unwrap_or("")
    }
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }
    pub fn version(&self) -> Option<u64> {
        self.0.get(VERSION_ATTR).and_then(Value::as_u64)
    }
    /// Sets an attribute (not `pk`/`sk`, which are fixed at construction).
    pub fn set(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        if name != "pk" && name != "sk" {
            self.0.insert(name.to_owned(), value.into());
        }
        self
    }
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set(name, value);
        self
    }
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        if name == "pk" || name == "sk" {
            return None;
        }
        self.0.remove(name)
    }
    pub fn attrs(&self) -> &Map<String, Value> {
        &self.0
    }
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The (partition, sort) key of this item in `index`, if it is in that index.
    pub fn index_key(&self, index: Index) -> Option<(&str, &str)> {
        let (p, s) = index.key_attrs();
        match (self.get_str(p), self.get_str(s)) {
            (Some(p), Some(s)) => Some((p, s)),
            _ => None,
        }
    }

    /// Checks keys and index attributes: keys are non-empty strings; an index
    /// attribute, when present, is a non-empty string.
    pub fn validate(&self) -> Result<(), StoreError> {
        for key in ["pk", "sk"] {
            match self.0.get(key) {
                Some(Value::String(s)) if !s.is_empty() => {}
                _ => {
                    return Err(StoreError::Invalid(format!(
                        "item key `{key}` must be a non-empty string"
                    )));
                }
            }
        }
        for index in Index::SECONDARY {
            let (p, s) = index.key_attrs();
            for attr in [p, s] {
                match self.0.get(attr) {
                    None => {}
                    Some(Value::String(v)) if !v.is_empty() => {}
                    Some(_) => {
                        return Err(StoreError::Invalid(format!(
                            "index attribute `{attr}` must be a non-empty string or absent"
                        )));
                    }
                }
            }
        }
        if item_size(&self.0) > MAX_ITEM_BYTES {
            return Err(StoreError::ItemTooLarge);
        }
        Ok(())
    }
}

/// Size of an item as DynamoDB counts it (attribute names plus values).
pub fn item_size(map: &Map<String, Value>) -> usize {
    map.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) => 1,
        Value::String(s) => s.len(),
        Value::Number(n) => {
            let digits = n.to_string().chars().filter(char::is_ascii_digit).count();
            digits.div_ceil(2) + 1
        }
        Value::Array(a) => 3 + a.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        Value::Object(m) => {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + value_size(e))
                .sum::<usize>()
        }
    }
}

/// Applies an update (`set`, `remove`) to a stored map. Shared by adapters that
/// implement `Update` as read-modify-write.
pub fn apply_update(map: &mut Map<String, Value>, set: &Map<String, Value>, remove: &[String]) {
    for name in remove {
        if name != "pk" && name != "sk" {
            map.remove(name);
        }
    }
    for (name, value) in set {
        if name != "pk" && name != "sk" {
            map.insert(name.clone(), value.clone());
        }
    }
}
