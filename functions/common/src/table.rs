//! The Table port: the subset of DynamoDB the product uses.
//!
//! Items are JSON objects keyed by `pk`/`sk` (strings). Two sparse global secondary
//! indexes exist: `gsi1` (`gsi1pk`/`gsi1sk`) for lookups by another key, and `due`
//! (`due_pk`/`due_at`) for work with a deadline. An item is in an index only while it
//! carries both of that index's attributes, as non-empty strings.
//!
//! Two adapters implement this trait with the same semantics, checked by one
//! conformance suite (`tests/conformance`): SQLite (embedded) and DynamoDB.

use async_trait::async_trait;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

/// DynamoDB's item size limit (400 KB), enforced by both adapters.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's limit of items in one `TransactWriteItems`.
pub const MAX_TRANSACT_ITEMS: usize = 100;
/// Largest page a query may ask for.
pub const MAX_PAGE: u32 = 1000;
/// Attribute holding an item's optimistic-concurrency version.
pub const VERSION_ATTR: &str = "v";

/// Fixed-width UTC timestamp (`2026-11-26T09:00:00Z`), so that string order is time
/// order in sort keys and in the due index.
pub fn ts_key(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An index to query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    /// The table itself: `pk` / `sk`.
    Table,
    /// `gsi1pk` / `gsi1sk`.
    Gsi1,
    /// `due_pk` / `due_at`: work with a deadline.
    Due,
}

impl Index {
    /// Names of the partition and sort key attributes of this index.
    pub fn key_attrs(self) -> (&'static str, &'static str) {
        match self {
            Index::Table => ("pk", "sk"),
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
            Index::Due => ("due_pk", "due_at"),
        }
    }

    /// DynamoDB index name (`None` for the table).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Due => Some("due"),
        }
    }

    pub const SECONDARY: [Index; 2] = [Index::Gsi1, Index::Due];
}

/// A condition on the item currently stored under the same key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    /// No condition.
    None,
    /// No item exists under this key.
    NotExists,
    /// An item exists under this key.
    Exists,
    /// An item exists and its `v` attribute equals this number.
    VersionEquals(u64),
}

/// Which part of a partition a query reads, by sort key. Bounds are inclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkRange {
    All,
    Prefix(String),
    Between(String, String),
    AtMost(String),
    AtLeast(String),
}

/// A query of one partition of the table or of an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk: SkRange,
    /// Page size (1..=MAX_PAGE).
    pub limit: u32,
    /// Cursor returned as `Page::next` by the previous page.
    pub start: Option<String>,
    /// Newest (largest sort key) first.
    pub descending: bool,
}

impl Query {
    pub fn new(index: Index, pk: impl Into<String>) -> Self {
        Query {
            index,
            pk: pk.into(),
            sk: SkRange::All,
            limit: 100,
            start: None,
            descending: false,
        }
    }
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.sk = SkRange::Prefix(prefix.into());
        self
    }
    pub fn range(mut self, sk: SkRange) -> Self {
        self.sk = sk;
        self
    }
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }
    pub fn start(mut self, cursor: Option<String>) -> Self {
        self.start = cursor;
        self
    }
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    /// Checks the query's shape (every adapter calls it first).
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.pk.is_empty() {
            return Err(StoreError::Invalid("query: empty partition key".into()));
        }
        if self.limit == 0 || self.limit > MAX_PAGE {
            return Err(StoreError::Invalid(format!(
                "query: limit must be between 1 and {MAX_PAGE}"
            )));
        }
        Ok(())
    }
}

/// One page of query results, in sort-key order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    /// Opaque cursor for the next page; `None` when the partition is exhausted.
    /// (DynamoDB may return a cursor followed by an empty last page.)
    pub next: Option<String>,
}

/// One write of a transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    Put {
        item: Item,
        cond: Cond,
    },
    /// Sets and removes attributes of an existing item (fails if it does not exist).
    Update {
        pk: String,
        sk: String,
        set: Map<String, Value>,
        remove: Vec<String>,
        cond: Cond,
    },
    Delete {
        pk: String,
        sk: String,
        cond: Cond,
    },
    /// Writes nothing; the transaction fails if the condition does not hold.
    Check {
        pk: String,
        sk: String,
        cond: Cond,
    },
}

impl Write {
    pub fn put(item: Item, cond: Cond) -> Self {
        Write::Put { item, cond }
    }
    pub fn delete(pk: impl Into<String>, sk: impl Into<String>, cond: Cond) -> Self {
        Write::Delete {
            pk: pk.into(),
            sk: sk.into(),
            cond,
        }
    }
    pub fn check(pk: impl Into<String>, sk: impl Into<String>, cond: Cond) -> Self {
        Write::Check {
            pk: pk.into(),
            sk: sk.into(),
            cond,
        }
    }
    pub fn key(&self) -> (&str, &str) {
        match self {
            Write::Put { item, .. } => (item.pk(), item.sk()),
            Write::Update { pk, sk, .. }
            | Write::Delete { pk, sk, .. }
            | Write::Check { pk, sk, .. } => (pk, sk),
        }
    }
    pub fn cond(&self) -> &Cond {
        match self {
            Write::Put { cond, .. }
            | Write::Update { cond, .. }
            | Write::Delete { cond, .. }
            | Write::Check { cond, .. } => cond,
        }
    }
}

/// Errors of the Table port. None of them carries item content (it may be personal data).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("the condition of the write does not hold")]
    ConditionFailed,
    #[error("transaction cancelled: conditions failed for writes {failed:?}")]
    TransactionCanceled { failed: Vec<usize> },
    #[error("item larger than 400 KB")]
    ItemTooLarge,
    #[error("invalid request to the store: {0}")]
    Invalid(String),
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
}

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

/// Checks a transaction's shape before any adapter runs it.
pub fn validate_transaction(writes: &[Write]) -> Result<(), StoreError> {
    if writes.is_empty() {
        return Err(StoreError::Invalid("empty transaction".into()));
    }
    if writes.len() > MAX_TRANSACT_ITEMS {
        return Err(StoreError::Invalid(format!(
            "a transaction holds at most {MAX_TRANSACT_ITEMS} writes"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for w in writes {
        let (pk, sk) = w.key();
        if pk.is_empty() || sk.is_empty() {
            return Err(StoreError::Invalid(
                "transaction write with an empty key".into(),
            ));
        }
        if !seen.insert((pk.to_owned(), sk.to_owned())) {
            return Err(StoreError::Invalid(
                "a transaction may not write the same item twice".into(),
            ));
        }
        match w {
            Write::Put { item, .. } => item.validate()?,
            Write::Update { set, .. } => {
                for key in ["pk", "sk"] {
                    if set.contains_key(key) {
                        return Err(StoreError::Invalid(format!(
                            "an update may not set `{key}`"
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `cond` holds for the currently stored item.
pub fn cond_holds(cond: &Cond, current: Option<&Map<String, Value>>) -> bool {
    match cond {
        Cond::None => true,
        Cond::NotExists => current.is_none(),
        Cond::Exists => current.is_some(),
        Cond::VersionEquals(v) => {
            current
                .and_then(|m| m.get(VERSION_ATTR))
                .and_then(Value::as_u64)
                == Some(*v)
        }
    }
}

/// The Table port.
#[async_trait]
pub trait Table: Send + Sync {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError>;
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError>;
    async fn delete(&self, pk: &str, sk: &str, cond: Cond) -> Result<(), StoreError>;
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;
    /// Writes all or nothing. On a failed condition: `TransactionCanceled` with the
    /// positions of the writes whose condition failed, and nothing written.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// Sets/removes attributes of an existing item (`ConditionFailed` if absent).
    async fn update(
        &self,
        pk: &str,
        sk: &str,
        set: Map<String, Value>,
        remove: Vec<String>,
        cond: Cond,
    ) -> Result<(), StoreError> {
        let w = Write::Update {
            pk: pk.to_owned(),
            sk: sk.to_owned(),
            set,
            remove,
            cond,
        };
        match self.transact(vec![w]).await {
            Err(StoreError::TransactionCanceled { .. }) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }

    /// Makes content erased by earlier writes leave the store's files (called by the
    /// maintenance function after a purge). Embedded store: a WAL checkpoint, so the
    /// erased data is in no `-wal` file either. DynamoDB manages its storage: nothing
    /// to do, hence the default.
    async fn flush_erasures(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Reads every page of a query (for bounded partitions only).
    async fn query_all(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        let mut q = query.clone();
        let mut out = Vec::new();
        loop {
            let page = self.query(&q).await?;
            out.extend(page.items);
            match page.next {
                Some(next) => q.start = Some(next),
                None => return Ok(out),
            }
        }
    }
}
