//! The Table port on SQLite: one file, WAL, `secure_delete` on (erased personal data
//! really leaves the file: see TOOLCHAIN.md "Erasure").

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Map, Value};

use crate::table::{
    Cond, Index, Item, Page, Query, SkRange, StoreError, Table, Write, apply_update, cond_holds,
    validate_transaction,
};

/// Upper bound appended to a prefix for a range scan (largest Unicode scalar).
const PREFIX_END: char = '\u{10FFFF}';

pub struct SqliteTable {
    /// The connection every write goes through (and reads, in memory).
    conn: Arc<Mutex<Connection>>,
    /// Read-only connections to the same file: in WAL mode readers do not wait for
    /// each other nor for the writer, so concurrent requests read in parallel. Each
    /// statement sees every transaction committed before it started. Empty for an
    /// in-memory database, which reads through `conn`.
    readers: Vec<Arc<Mutex<Connection>>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl SqliteTable {
    /// Opens (or creates) the database file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(unavailable)?;
        let mut table = Self::init(conn)?;
        let n = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
        for _ in 0..n {
            let reader = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(unavailable)?;
            reader
                // Pages mapped rather than copied through read(2): a request reads a
                // few items by key and a page of a list, most of it already in the
                // OS cache.
                .execute_batch(
                    "PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;
                     PRAGMA mmap_size = 268435456; PRAGMA cache_size = -8192;",
                )
                .map_err(unavailable)?;
            table.readers.push(Arc::new(Mutex::new(reader)));
        }
        Ok(table)
    }

    /// An in-memory database (tests, benchmarks).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(unavailable)?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA secure_delete = ON;
             PRAGMA foreign_keys = OFF;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS items (
                 pk TEXT NOT NULL,
                 sk TEXT NOT NULL,
                 body TEXT NOT NULL,
                 gsi1pk TEXT,
                 gsi1sk TEXT,
                 due_pk TEXT,
                 due_at TEXT,
                 PRIMARY KEY (pk, sk)
             ) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk)
                 WHERE gsi1pk IS NOT NULL;
             CREATE INDEX IF NOT EXISTS items_due ON items (due_pk, due_at, pk, sk)
                 WHERE due_pk IS NOT NULL;",
        )
        .map_err(unavailable)?;
        Ok(SqliteTable {
            conn: Arc::new(Mutex::new(conn)),
            readers: Vec::new(),
            next_reader: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StoreError::Unavailable("database lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(unavailable)?
    }

    /// A short read: run here, on the calling thread, when a reading connection is
    /// free (a few microseconds of SQLite, cheaper than a hop to the blocking pool);
    /// otherwise on the blocking pool, behind the next reader's lock.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        if self.readers.is_empty() {
            if let Ok(mut guard) = self.conn.try_lock() {
                return f(&mut guard);
            }
            return self.with_conn(f).await;
        }
        for reader in &self.readers {
            if let Ok(mut guard) = reader.try_lock() {
                return f(&mut guard);
            }
        }
        self.long_read(f).await
    }

    /// A long read (more than a page): on the blocking pool.
    async fn long_read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        if self.readers.is_empty() {
            return self.with_conn(f).await;
        }
        let k = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let reader = self.readers[k % self.readers.len()].clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = reader
                .lock()
                .map_err(|_| StoreError::Unavailable("database lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(unavailable)?
    }

    /// Moves the write-ahead log into the database file and truncates it, so that
    /// erased content leaves every file of the data directory. Called after a purge.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.with_conn(|c| {
            // A reader holding a snapshot makes the checkpoint "busy": it then leaves
            // frames (maybe erased data) in the WAL. Readers are short: try again.
            for _ in 0..200 {
                let busy: i64 = c
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
                    .map_err(unavailable)?;
                if busy == 0 {
                    return Ok(());
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(StoreError::Unavailable(
                "the write-ahead log could not be checkpointed (readers busy)".into(),
            ))
        })
        .await
    }

    /// Number of items (benchmarks, diagnostics).
    pub async fn count(&self) -> Result<u64, StoreError> {
        self.with_conn(|c| {
            c.query_row("SELECT count(*) FROM items", [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(unavailable)
        })
        .await
    }

    /// Every item, ordered by key (tests compare whole tables with it; not for
    /// product code, which never reads the whole table).
    pub async fn dump(&self) -> Result<Vec<Item>, StoreError> {
        self.with_conn(|c| {
            let mut stmt = c
                .prepare("SELECT body FROM items ORDER BY pk, sk")
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(unavailable)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(Item::from_map(decode(&row.map_err(unavailable)?)?)?);
            }
            Ok(out)
        })
        .await
    }

    /// Writes many items in one SQLite transaction, without conditions (seeding,
    /// benchmarks). Not part of the port.
    pub async fn bulk_put(&self, items: Vec<Item>) -> Result<(), StoreError> {
        for item in &items {
            item.validate()?;
        }
        self.with_conn(move |c| {
            let tx = c.transaction().map_err(unavailable)?;
            for item in &items {
                write_item(&tx, item.attrs())?;
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }
}

fn read_item(c: &Connection, pk: &str, sk: &str) -> Result<Option<Map<String, Value>>, StoreError> {
    // Cached: every request reads a few items by key (session, account, …).
    let body: Option<String> = c
        .prepare_cached("SELECT body FROM items WHERE pk = ?1 AND sk = ?2")
        .map_err(unavailable)?
        .query_row(params![pk, sk], |r| r.get(0))
        .optional()
        .map_err(unavailable)?;
    body.map(|b| decode(&b)).transpose()
}

/// An item as read for a caller: kept as its JSON text until an attribute is asked for.
fn read_stored(c: &Connection, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
    let body: Option<String> = c
        .prepare_cached("SELECT body FROM items WHERE pk = ?1 AND sk = ?2")
        .map_err(unavailable)?
        .query_row(params![pk, sk], |r| r.get(0))
        .optional()
        .map_err(unavailable)?;
    body.map(|b| Item::stored(pk.to_owned(), sk.to_owned(), b))
        .transpose()
}

fn decode(body: &str) -> Result<Map<String, Value>, StoreError> {
    match serde_json::from_str(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(StoreError::Corrupt("item body is not a JSON object".into())),
    }
}

fn write_item(c: &Connection, map: &Map<String, Value>) -> Result<(), StoreError> {
    let item = Item::from_map(map.clone())?;
    let (g1p, g1s) = match item.index_key(Index::Gsi1) {
        Some((p, s)) => (Some(p), Some(s)),
        None => (None, None),
    };
    let (dp, da) = match item.index_key(Index::Due) {
        Some((p, s)) => (Some(p), Some(s)),
        None => (None, None),
    };
    let body = serde_json::to_string(map).map_err(|e| StoreError::Invalid(e.to_string()))?;
    c.execute(
        "INSERT OR REPLACE INTO items (pk, sk, body, gsi1pk, gsi1sk, due_pk, due_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![item.pk(), item.sk(), body, g1p, g1s, dp, da],
    )
    .map_err(unavailable)?;
    Ok(())
}

fn delete_item(c: &Connection, pk: &str, sk: &str) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM items WHERE pk = ?1 AND sk = ?2",
        params![pk, sk],
    )
    .map_err(unavailable)?;
    Ok(())
}

fn encode_cursor(parts: &[&str]) -> String {
    use base64::Engine;
    let json = serde_json::to_vec(parts).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode_cursor(cursor: &str, len: usize) -> Result<Vec<String>, StoreError> {
    use base64::Engine;
    let bad = || StoreError::Invalid("invalid pagination cursor".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let parts: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if parts.len() != len {
        return Err(bad());
    }
    Ok(parts)
}

fn run_query(c: &Connection, q: &Query) -> Result<Page, StoreError> {
    let (pcol, scol) = q.index.key_attrs();
    let table_index = q.index == Index::Table;
    let mut sql = format!("SELECT pk, sk, body FROM items WHERE {pcol} = ?");
    let mut args: Vec<String> = vec![q.pk.clone()];
    if !table_index {
        sql.push_str(&format!(" AND {scol} IS NOT NULL"));
    }
    match &q.sk {
        SkRange::All => {}
        SkRange::Prefix(p) => {
            sql.push_str(&format!(" AND {scol} >= ? AND {scol} < ?"));
            args.push(p.clone());
            args.push(format!("{p}{PREFIX_END}"));
        }
        SkRange::Between(a, b) => {
            sql.push_str(&format!(" AND {scol} >= ? AND {scol} <= ?"));
            args.push(a.clone());
            args.push(b.clone());
        }
        SkRange::AtMost(b) => {
            sql.push_str(&format!(" AND {scol} <= ?"));
            args.push(b.clone());
        }
        SkRange::AtLeast(a) => {
            sql.push_str(&format!(" AND {scol} >= ?"));
            args.push(a.clone());
        }
    }
    let op = if q.descending { "<" } else { ">" };
    let dir = if q.descending { "DESC" } else { "ASC" };
    if let Some(cursor) = &q.start {
        if table_index {
            let parts = decode_cursor(cursor, 1)?;
            sql.push_str(&format!(" AND sk {op} ?"));
            args.extend(parts);
        } else {
            let parts = decode_cursor(cursor, 3)?;
            sql.push_str(&format!(" AND ({scol}, pk, sk) {op} (?, ?, ?)"));
            args.extend(parts);
        }
    }
    if table_index {
        sql.push_str(&format!(" ORDER BY sk {dir}"));
    } else {
        sql.push_str(&format!(" ORDER BY {scol} {dir}, pk {dir}, sk {dir}"));
    }
    sql.push_str(&format!(" LIMIT {}", q.limit as u64 + 1));

    let mut stmt = c.prepare_cached(&sql).map_err(unavailable)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(unavailable)?;
    let mut items = Vec::new();
    for row in rows {
        let (pk, sk, body) = row.map_err(unavailable)?;
        items.push(Item::stored(pk, sk, body)?);
    }
    let next = if items.len() > q.limit as usize {
        items.truncate(q.limit as usize);
        items.last().map(|last| {
            if table_index {
                encode_cursor(&[last.sk()])
            } else {
                let s = last.get_str(scol).unwrap_or("");
                encode_cursor(&[s, last.pk(), last.sk()])
            }
        })
    } else {
        None
    };
    Ok(Page { items, next })
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let (pk, sk) = (pk.to_owned(), sk.to_owned());
        self.read(move |c| read_stored(c, &pk, &sk)).await
    }

    async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Option<Item>>, StoreError> {
        crate::table::check_get_many(keys)?;
        let keys = keys.to_vec();
        self.read(move |c| {
            if keys.len() < 2 {
                return keys.iter().map(|(pk, sk)| read_stored(c, pk, sk)).collect();
            }
            // One read transaction for all the keys: one snapshot, and the WAL read
            // lock taken once instead of once per key.
            let tx = c.transaction().map_err(unavailable)?;
            let items = keys
                .iter()
                .map(|(pk, sk)| read_stored(&tx, pk, sk))
                .collect::<Result<Vec<_>, _>>()?;
            tx.finish().map_err(unavailable)?;
            Ok(items)
        })
        .await
    }

    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        item.validate()?;
        self.with_conn(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let current = read_item(&tx, item.pk(), item.sk())?;
            if !cond_holds(&cond, current.as_ref()) {
                return Err(StoreError::ConditionFailed);
            }
            write_item(&tx, item.attrs())?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn delete(&self, pk: &str, sk: &str, cond: Cond) -> Result<(), StoreError> {
        let (pk, sk) = (pk.to_owned(), sk.to_owned());
        self.with_conn(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let current = read_item(&tx, &pk, &sk)?;
            if !cond_holds(&cond, current.as_ref()) {
                return Err(StoreError::ConditionFailed);
            }
            delete_item(&tx, &pk, &sk)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        query.validate()?;
        let q = query.clone();
        // Pages of at most 100 items are short reads; longer ones go to the pool.
        if q.limit <= 100 {
            self.read(move |c| run_query(c, &q)).await
        } else {
            self.long_read(move |c| run_query(c, &q)).await
        }
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        validate_transaction(&writes)?;
        self.with_conn(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            // Check every condition first, as DynamoDB does, then apply.
            let mut failed = Vec::new();
            let mut currents = Vec::with_capacity(writes.len());
            for (i, w) in writes.iter().enumerate() {
                let (pk, sk) = w.key();
                let current = read_item(&tx, pk, sk)?;
                let holds = cond_holds(w.cond(), current.as_ref())
                    && !(matches!(w, Write::Update { .. }) && current.is_none());
                if !holds {
                    failed.push(i);
                }
                currents.push(current);
            }
            if !failed.is_empty() {
                return Err(StoreError::TransactionCanceled { failed });
            }
            for (w, current) in writes.iter().zip(currents) {
                match w {
                    Write::Put { item, .. } => write_item(&tx, item.attrs())?,
                    Write::Update { set, remove, .. } => {
                        let mut map = current.unwrap_or_default();
                        apply_update(&mut map, set, remove);
                        Item::from_map(map.clone())?;
                        write_item(&tx, &map)?;
                    }
                    Write::Delete { pk, sk, .. } => delete_item(&tx, pk, sk)?,
                    Write::Check { .. } => {}
                }
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn flush_erasures(&self) -> Result<(), StoreError> {
        self.checkpoint().await
    }
}
