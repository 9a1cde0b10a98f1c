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
use serde_json::{Map, Value};

/// DynamoDB's item size limit (400 KB), enforced by both adapters.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's limit of items in one `TransactWriteItems`.
pub const MAX_TRANSACT_ITEMS: usize = 100;
/// Most keys `get_many` reads at once (DynamoDB's `BatchGetItem` limit).
pub const MAX_GET_MANY: usize = 100;
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

/// Checks a `get_many` request: at most `MAX_GET_MANY` keys, none empty.
pub fn check_get_many(keys: &[(String, String)]) -> Result<(), StoreError> {
    if keys.len() > MAX_GET_MANY {
        return Err(StoreError::Invalid(format!(
            "get_many: at most {MAX_GET_MANY} keys"
        )));
    }
    if keys.iter().any(|(pk, sk)| pk.is_empty() || sk.is_empty()) {
        return Err(StoreError::Invalid("get_many: empty key".into()));
    }
    Ok(())
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

pub use crate::item::{Item, apply_update, item_size};

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
            Write::Put { .. } if crate::audit::is_unsealed(w) => {
                return Err(StoreError::Invalid(
                    "an audit event must be sealed into its trail (audit::transact)".into(),
                ));
            }
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
    /// Reads up to `MAX_GET_MANY` items by key in one round trip (DynamoDB
    /// `BatchGetItem`), in the order of `keys`; `None` where no item exists. So that a
    /// list never reads its items' neighbours one by one.
    async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Option<Item>>, StoreError>;
    /// Like `get_many`, for reads where a value a second old is harmless: names shown
    /// beside a list (`users::get_users`, `partners::caisse_names`), which no decision
    /// and no cache depends on. DynamoDB: eventually consistent, half the read units.
    /// Every other read is strongly consistent (see the README, « Cost on AWS »).
    async fn get_many_eventual(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<Option<Item>>, StoreError> {
        self.get_many(keys).await
    }
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
