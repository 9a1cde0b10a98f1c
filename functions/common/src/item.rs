//! An item of the Table port: a JSON object keyed by `pk`/`sk`, its size as DynamoDB
//! counts it, and the update rule adapters share.

use std::sync::OnceLock;

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::table::{Index, MAX_ITEM_BYTES, StoreError, VERSION_ATTR};

/// One item: a JSON object holding at least `pk` and `sk` as non-empty strings.
///
/// An item read from the embedded store keeps the JSON text it was stored as and is
/// decoded only when an attribute is asked for: [`Item::parse`] reads a record
/// straight from that text (a list page parses 20-odd items per request; building
/// each one's map of values first cost more than the rest of the page).
#[derive(Clone)]
pub struct Item {
    map: OnceLock<Map<String, Value>>,
    stored: Option<Box<Stored>>,
}

/// Keys and JSON text of an item as a store keeps it.
#[derive(Clone)]
struct Stored {
    pk: String,
    sk: String,
    body: String,
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.attrs() == other.attrs()
    }
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Item").field(self.attrs()).finish()
    }
}

impl Item {
    fn of_map(map: Map<String, Value>) -> Self {
        Item {
            map: OnceLock::from(map),
            stored: None,
        }
    }

    /// An item as a store keeps it: its keys and its JSON text (a JSON object that
    /// the store wrote from a validated item), decoded when first needed.
    pub fn stored(pk: String, sk: String, body: String) -> Result<Self, StoreError> {
        if pk.is_empty() || sk.is_empty() || !body.starts_with('{') {
            return Err(StoreError::Corrupt(format!("stored item {pk} / {sk}")));
        }
        Ok(Item {
            map: OnceLock::new(),
            stored: Some(Box::new(Stored { pk, sk, body })),
        })
    }

    fn decoded(&self) -> Map<String, Value> {
        match &self.stored {
            Some(st) => match serde_json::from_str(&st.body) {
                Ok(Value::Object(m)) => m,
                _ => {
                    // Only a damaged store gets here: `parse` reports it as corrupt;
                    // the keys stay readable.
                    tracing::error!(pk = %st.pk, sk = %st.sk, "stored item is not a JSON object");
                    let mut m = Map::new();
                    m.insert("pk".into(), Value::String(st.pk.clone()));
                    m.insert("sk".into(), Value::String(st.sk.clone()));
                    m
                }
            },
            None => Map::new(),
        }
    }

    fn map_mut(&mut self) -> &mut Map<String, Value> {
        let map = match self.map.take() {
            Some(m) => m,
            None => self.decoded(),
        };
        self.stored = None;
        self.map = OnceLock::from(map);
        match self.map.get_mut() {
            Some(m) => m,
            None => unreachable!("the map was just set"),
        }
    }

    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        let mut m = Map::new();
        m.insert("pk".into(), Value::String(pk.into()));
        m.insert("sk".into(), Value::String(sk.into()));
        Item::of_map(m)
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
        Ok(Item::of_map(map))
    }

    /// Wraps a map read from a store; checks the keys.
    pub fn from_map(map: Map<String, Value>) -> Result<Self, StoreError> {
        let item = Item::of_map(map);
        item.validate()?;
        Ok(item)
    }

    /// Reads the item back as a record (unknown attributes such as `pk` are ignored
    /// unless the record declares them).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, StoreError> {
        // Deserialised from the map in place: no copy of the item (a list page
        // parses 20-odd of them per request).
        let parsed = match (self.map.get(), &self.stored) {
            (None, Some(st)) => serde_json::from_str(&st.body).map_err(|e| e.to_string()),
            _ => T::deserialize(self.attrs()).map_err(|e| e.to_string()),
        };
        parsed.map_err(|e| StoreError::Corrupt(format!("{} / {}: {e}", self.pk(), self.sk())))
    }

    pub fn pk(&self) -> &str {
        match (self.map.get(), &self.stored) {
            (None, Some(st)) => &st.pk,
            _ => self.attrs().get("pk").and_then(Value::as_str).unwrap_or(""),
        }
    }
    pub fn sk(&self) -> &str {
        match (self.map.get(), &self.stored) {
            (None, Some(st)) => &st.sk,
            _ => self.attrs().get("sk").and_then(Value::as_str).unwrap_or(""),
        }
    }
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs().get(name)
    }
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.attrs().get(name).and_then(Value::as_str)
    }
    pub fn version(&self) -> Option<u64> {
        self.attrs().get(VERSION_ATTR).and_then(Value::as_u64)
    }
    /// Sets an attribute (not `pk`/`sk`, which are fixed at construction).
    pub fn set(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        if name != "pk" && name != "sk" {
            self.map_mut().insert(name.to_owned(), value.into());
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
        self.map_mut().remove(name)
    }
    pub fn attrs(&self) -> &Map<String, Value> {
        self.map.get_or_init(|| self.decoded())
    }
    pub fn into_map(mut self) -> Map<String, Value> {
        match self.map.take() {
            Some(m) => m,
            None => self.decoded(),
        }
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
            match self.attrs().get(key) {
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
                match self.attrs().get(attr) {
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
        if item_size(self.attrs()) > MAX_ITEM_BYTES {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Row {
        name: String,
        n: u32,
    }

    fn stored() -> Item {
        Item::stored(
            "P".into(),
            "S".into(),
            r#"{"pk":"P","sk":"S","name":"Éloïse","n":3,"extra":[1,{"a":null}]}"#.into(),
        )
        .unwrap()
    }

    #[test]
    fn a_stored_item_reads_as_the_same_map_and_record() {
        let item = stored();
        assert_eq!((item.pk(), item.sk()), ("P", "S"));
        let row: Row = item.parse().unwrap();
        assert_eq!(
            row,
            Row {
                name: "Éloïse".into(),
                n: 3
            }
        );
        let map: Map<String, Value> = serde_json::from_str(
            r#"{"pk":"P","sk":"S","name":"Éloïse","n":3,"extra":[1,{"a":null}]}"#,
        )
        .unwrap();
        let from_map = Item::from_map(map.clone()).unwrap();
        assert_eq!(item, from_map);
        assert_eq!(item.get_str("name"), Some("Éloïse"));
        // Parsed from the map once decoded: the same record.
        assert_eq!(item.parse::<Row>().unwrap(), row);
        assert_eq!(stored().into_map(), map);
    }

    #[test]
    fn a_stored_item_can_be_changed_and_keeps_its_keys() {
        let mut item = stored();
        item.set("n", 4).set("pk", "other");
        item.remove("extra");
        assert_eq!(item.pk(), "P");
        assert_eq!(item.parse::<Row>().unwrap().n, 4);
        assert!(item.get("extra").is_none());
    }

    #[test]
    fn a_damaged_stored_item_is_reported_not_read() {
        assert!(matches!(
            Item::stored("P".into(), "S".into(), "not json".into()),
            Err(StoreError::Corrupt(_))
        ));
        assert!(Item::stored(String::new(), "S".into(), "{}".into()).is_err());
        let half = Item::stored("P".into(), "S".into(), r#"{"pk":"P","#.into()).unwrap();
        assert!(matches!(half.parse::<Row>(), Err(StoreError::Corrupt(_))));
        assert_eq!((half.pk(), half.sk()), ("P", "S"));
        assert_eq!(half.get_str("pk"), Some("P"));
    }
}
