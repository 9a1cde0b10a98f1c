//! What the audit trail's hash chain costs per write (issue 15), on the embedded
//! store: a transaction holding one account-like item and one audit event, committed
//! through `audit::transact` (head read + sealed event + head write) against the same
//! transaction with the event written as before the chain (no head read, no head
//! write); the hashing time alone; and the store calls and writes of each.
//!
//! ```sh
//! cargo bench -p ep-maintenance --no-default-features --bench audit_chain
//! ```
//!
//! Not a test (CI does not run it). Sequential appends to 20 trails, `ROUNDS`
//! transactions each way, interleaved; medians per transaction.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ep_common::audit::{self, chain};
use ep_common::clock::ManualClock;
use ep_common::config::Config;
use ep_common::embedded;
use ep_common::table::{Cond, Item, Write};

const ROUNDS: usize = 4000;
const TRAILS: usize = 20;

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn legacy(org: &str, ev: &audit::Event) -> Item {
    let sk = format!("{}#{}", ep_common::emails::ts_key(ev.at), ev.id);
    Item::from_record(audit::audit_pk(org), sk, ev)
        .expect("event")
        .with("due_pk", audit::DUE_AUDIT)
        .with(
            "due_at",
            ep_common::emails::ts_key(audit::purge_at(ev.at, 12)),
        )
}

fn record(i: usize) -> Item {
    Item::new(format!("BENCH#{i}"), "META")
        .with("name", format!("Enregistrement {i}"))
        .with("v", 1)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

async fn bench() {
    let dir = Scratch(std::env::temp_dir().join(format!("ep-bench-chain-{}", std::process::id())));
    let data = dir.0.display().to_string();
    let config = Config::from_lookup(|k| match k {
        "EP_DATA_DIR" => Some(data.clone()),
        _ => None,
    })
    .expect("config");
    let clock = Arc::new(ManualClock::new(
        "2026-12-07T09:00:00Z".parse().expect("time"),
    ));
    let emb = embedded::open(config, clock).expect("data directory");
    let ctx = emb.ctx.clone();
    let (mut chained, mut plain) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        let org = format!("c{}", i % TRAILS);
        // Chained: one item + one event, sealed at commit.
        let ev = audit::event(ctx.now(), "u1", "account.updated", Some("u1"));
        let writes = vec![
            Write::put(record(2 * i), Cond::None),
            audit::record(&org, ev, 12).expect("event"),
        ];
        let t = Instant::now();
        audit::transact(&ctx, writes).await.expect("chained");
        chained.push(t.elapsed());
        // Before the chain: the same, the event stored as is.
        let ev = audit::event(ctx.now(), "u1", "account.updated", Some("u1"));
        let writes = vec![
            Write::put(record(2 * i + 1), Cond::None),
            Write::put(legacy(&format!("x{org}"), &ev), Cond::NotExists),
        ];
        let t = Instant::now();
        ctx.table.transact(writes).await.expect("plain");
        plain.push(t.elapsed());
    }
    // Hashing alone.
    let mut ev = audit::event(
        ctx.now(),
        "0123456789abcdef0123456789abcdef",
        "account.updated",
        Some("0123456789abcdef0123456789abcdef"),
    );
    ev.seq = Some(42);
    ev.prev = Some("ab".repeat(32));
    let n = 100_000;
    let t = Instant::now();
    let mut sink = 0usize;
    for _ in 0..n {
        sink += chain::content_hash("c1", &ev).len();
    }
    let hash = t.elapsed() / n;
    let (c, p) = (median(chained), median(plain));
    println!(
        "audit chain, embedded store, {ROUNDS} transactions each way over {TRAILS} trails (sink {sink}):"
    );
    println!(
        "  chained: median {:.1} µs per transaction (2 store calls: get_many of the head, transact of 3 writes)",
        c.as_secs_f64() * 1e6
    );
    println!(
        "  before the chain: median {:.1} µs (1 store call: transact of 2 writes)",
        p.as_secs_f64() * 1e6
    );
    println!(
        "  extra per write: {:.1} µs ({:.2}×); hashing alone {:.2} µs per event",
        (c.as_secs_f64() - p.as_secs_f64()) * 1e6,
        c.as_secs_f64() / p.as_secs_f64(),
        hash.as_secs_f64() * 1e6
    );
    println!("  chain retries: {}", chain::retries());
}
