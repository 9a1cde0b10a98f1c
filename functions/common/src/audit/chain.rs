//! Sealing audit events into their trail's hash chain, at commit.
//!
//! A trail's head (`AUDIT#<org>` / `HEAD`: `seq`, `hash`, `at`, `v`) names its last
//! event. A transaction that appends events reads the heads of the trails it appends
//! to (one strongly consistent `get_many`), gives each event `seq = head.seq + 1`,
//! `prev = head.hash`, `at = max(at, head.at)` and
//! `hash = SHA-256(prev ‖ "\n" ‖ canonical content)`, and rewrites the head in the
//! same transaction on condition that its version did not change
//! (`Cond::VersionEquals`, or `NotExists` for a trail's first chained event).
//!
//! Two transactions appending to one trail at once: both read the same head, the
//! store commits one, and the other's head condition fails. On DynamoDB the
//! condition is evaluated inside `TransactWriteItems` (a concurrent transaction on the
//! same item is refused with `TransactionConflict`, reported like a failed condition);
//! on SQLite inside the embedded store's exclusive (`IMMEDIATE`) transaction. When the
//! only failed conditions are head writes, the events are sealed again from freshly
//! read heads and the transaction retried ([`MAX_TRIES`], jittered backoff); any other
//! failed condition is the use case's conflict, as before. So no two events ever share
//! a sequence number and none is lost between two heads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{
    DUE_AUDIT, Event, HEAD_SK, MARK_SK, UNSEALED_ATTR, audit_pk, event_sk, is_unsealed, purge_at,
};
use crate::context::Ctx;
use crate::emails::ts_key;
use crate::ids::{hex, random_bytes};
use crate::table::{Cond, Item, StoreError, Table, Write};

/// Attempts of one transaction whose only failed conditions are trail heads. Sized
/// for 50 concurrent appends to one trail (`auth::fifty_parallel_…`): each round
/// commits at least one of them.
pub const MAX_TRIES: u32 = 64;
/// Due-index partition of the verification marks (maintenance check of the chains).
pub const DUE_VERIFY: &str = "DUE#audit_verify";

static RETRIES: AtomicU64 = AtomicU64::new(0);

/// Retries caused by concurrent appends since the process started (tests, bench).
pub fn retries() -> u64 {
    RETRIES.load(Ordering::Relaxed)
}

/// A trail's head as read before sealing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
    pub at: Option<Timestamp>,
    /// `None`: no head yet (first chained event).
    pub v: Option<u64>,
}

impl Head {
    pub fn from_item(item: &Item) -> Result<Head, StoreError> {
        let at = match item.get_str("at") {
            Some(s) => Some(
                s.parse()
                    .map_err(|_| StoreError::Corrupt(format!("audit head {}", item.pk())))?,
            ),
            None => None,
        };
        Ok(Head {
            seq: item.get("seq").and_then(|v| v.as_u64()).unwrap_or(0),
            hash: item.get_str("hash").unwrap_or("").to_owned(),
            at,
            v: item.version(),
        })
    }
}

/// What an event's hash covers: every field but the chain's own, plus the trail, so
/// that an event moved from another trail does not verify either.
#[derive(Serialize)]
struct Canonical<'a> {
    org: &'a str,
    seq: u64,
    id: &'a str,
    at: String,
    actor: &'a str,
    action: &'a str,
    target: &'a Option<String>,
    source: &'a Option<String>,
    detail: &'a Option<String>,
}

/// The hash an event of `org` must carry: SHA-256 of its `prev`, a newline and its
/// canonical content (JSON, fixed field order), hex.
pub fn content_hash(org: &str, ev: &Event) -> String {
    let canonical = Canonical {
        org,
        seq: ev.seq.unwrap_or(0),
        id: &ev.id,
        at: ev.at.to_string(),
        actor: &ev.actor,
        action: &ev.action,
        target: &ev.target,
        source: &ev.source,
        detail: &ev.detail,
    };
    let json = serde_json::to_string(&canonical).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(ev.prev.as_deref().unwrap_or("").as_bytes());
    h.update(b"\n");
    h.update(json.as_bytes());
    hex(&h.finalize())
}

/// The writes with their audit events sealed, and the positions of the chain's own
/// writes (sealed events and heads), whose failure alone means "retry".
pub struct Sealed {
    pub writes: Vec<Write>,
    pub chain_writes: Vec<usize>,
}

/// Seals the unsealed audit events of `writes` from the heads read now.
pub async fn seal(
    table: &dyn Table,
    writes: &[Write],
    now: Timestamp,
) -> Result<Sealed, StoreError> {
    let mut orgs: Vec<String> = Vec::new();
    for w in writes.iter().filter(|w| is_unsealed(w)) {
        let org = w.key().0.trim_start_matches("AUDIT#").to_owned();
        if !orgs.contains(&org) {
            orgs.push(org);
        }
    }
    let keys: Vec<(String, String)> = orgs
        .iter()
        .map(|o| (audit_pk(o), HEAD_SK.to_owned()))
        .collect();
    let read = if keys.is_empty() {
        Vec::new()
    } else {
        table.get_many(&keys).await?
    };
    let mut heads: HashMap<String, (Head, Head)> = HashMap::new();
    for (org, item) in orgs.iter().zip(read) {
        let head = match item {
            Some(i) => Head::from_item(&i)?,
            None => Head::default(),
        };
        heads.insert(org.clone(), (head.clone(), head));
    }
    let mut out = Vec::with_capacity(writes.len() + orgs.len() * 2);
    let mut chain_writes = Vec::new();
    for w in writes {
        let Write::Put { item, cond } = w else {
            out.push(w.clone());
            continue;
        };
        if !is_unsealed(w) {
            out.push(w.clone());
            continue;
        }
        let org = item.pk().trim_start_matches("AUDIT#");
        let retention = item
            .get(UNSEALED_ATTR)
            .and_then(|v| v.as_i64())
            .unwrap_or(12);
        let mut ev: Event = item.parse()?;
        let (_, head) = heads
            .get_mut(org)
            .ok_or_else(|| StoreError::Invalid("audit: trail head not read".into()))?;
        ev.seq = Some(head.seq + 1);
        ev.prev = Some(head.hash.clone());
        if let Some(at) = head.at
            && at > ev.at
        {
            ev.at = at;
        }
        let hash = content_hash(org, &ev);
        ev.hash = Some(hash.clone());
        head.seq += 1;
        head.hash = hash;
        head.at = Some(ev.at);
        let sealed = Item::from_record(audit_pk(org), event_sk(ev.at, head.seq), &ev)?
            .with("due_pk", DUE_AUDIT)
            .with("due_at", ts_key(purge_at(ev.at, retention)));
        // Its key holds its number: a concurrent append that took the same number
        // makes this put fail with the head's, a lost race too.
        chain_writes.push(out.len());
        out.push(Write::put(sealed, cond.clone()));
    }
    for org in &orgs {
        let (before, after) = &heads[org];
        let at = after.at.map(|t| t.to_string()).unwrap_or_default();
        let v = before.v.map_or(1, |v| v + 1);
        let item = Item::new(audit_pk(org), HEAD_SK)
            .with("seq", after.seq)
            .with("hash", after.hash.clone())
            .with("at", at)
            .with("v", v);
        let cond = match before.v {
            Some(v) => Cond::VersionEquals(v),
            None => Cond::NotExists,
        };
        chain_writes.push(out.len());
        out.push(Write::put(item, cond));
        if before.v.is_none() {
            // A new chain: the maintenance check verifies it from tomorrow on.
            out.push(Write::put(first_mark(org, now), Cond::None));
        }
    }
    Ok(Sealed {
        writes: out,
        chain_writes,
    })
}

/// The verification mark of a new chain: nothing verified yet, due in a day.
fn first_mark(org: &str, now: Timestamp) -> Item {
    let due = now + jiff::SignedDuration::from_hours(24);
    Item::new(audit_pk(org), MARK_SK)
        .with("seq", 0)
        .with("hash", "")
        .with("last_sk", "")
        .with("full_at", now.to_string())
        .with("due_pk", DUE_VERIFY)
        .with("due_at", ts_key(due))
        .with("v", 1)
}

/// Commits `writes` all or nothing, sealing their audit events into their trails'
/// chains (see the module). Every transaction that may hold audit events goes
/// through here (`Tx::commit` does); the store refuses an unsealed event.
pub async fn transact(ctx: &Ctx, writes: Vec<Write>) -> Result<(), StoreError> {
    let table = ctx.table.as_ref();
    if !writes.iter().any(is_unsealed) {
        return table.transact(writes).await;
    }
    let mut attempt = 0;
    loop {
        let sealed = seal(table, &writes, ctx.now()).await?;
        let chain = sealed.chain_writes;
        match table.transact(sealed.writes).await {
            Err(StoreError::TransactionCanceled { failed })
                if !failed.is_empty()
                    && failed.iter().all(|i| chain.contains(i))
                    && attempt + 1 < MAX_TRIES =>
            {
                attempt += 1;
                RETRIES.fetch_add(1, Ordering::Relaxed);
                backoff(attempt).await;
            }
            Err(StoreError::TransactionCanceled { failed }) => {
                // Report only the caller's own writes (heads come after them).
                let n = writes.len();
                let own: Vec<usize> = failed.into_iter().filter(|i| *i < n).collect();
                return Err(StoreError::TransactionCanceled { failed: own });
            }
            other => return other,
        }
    }
}

/// Sleeps a random time below `min(2^attempt, 32)` ms, so that the contenders of one
/// trail spread out.
async fn backoff(attempt: u32) {
    let cap_ms = 1u64 << attempt.min(5);
    let r = u16::from_le_bytes(random_bytes::<2>()) as u64;
    let micros = r * cap_ms * 1000 / 65536;
    tokio::time::sleep(std::time::Duration::from_micros(micros.max(100))).await;
}
