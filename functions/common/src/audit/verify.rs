//! Verifying a trail's hash chain: read page by page in sort-key order (which is
//! chain order), from the retention checkpoint (or from a verification mark), and
//! report the first broken link precisely — never loading the trail whole.
//!
//! - an event whose hash does not match its content: **modified** (named: id, date,
//!   action, number);
//! - a gap in the numbers, or the head naming a later event than the last one read:
//!   **removed** (between which events);
//! - a number already seen, a link to another previous hash, an unchained event after
//!   the chain began, or an event numbered at or below the checkpoint: **inserted**.
//!
//! Events written before the chain existed (no `seq`, before the first chained one)
//! are counted as « antérieurs au chaînage » and not verified. A hash chain without a
//! secret shows edits made by anyone who does not rewrite every later event and the
//! head consistently; the maintenance check's mark (the last verified number and
//! hash, kept beside the trail) and its alerts narrow that further.

use jiff::Timestamp;
use serde::Serialize;

use super::chain::content_hash;
use super::{CHECKPOINT_SK, Event, HEAD_SK, audit_pk, events_query};
use crate::table::{SkRange, StoreError, Table};

/// Events read per query page.
pub const PAGE: u32 = 200;

/// An event as the report names it (ids and codes only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Named {
    pub id: String,
    pub at: Timestamp,
    pub action: String,
    pub seq: Option<u64>,
}

impl Named {
    fn of(ev: &Event) -> Named {
        Named {
            id: ev.id.clone(),
            at: ev.at,
            action: ev.action.clone(),
            seq: ev.seq,
        }
    }
}

/// The first broken link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Break {
    /// `modified`, `removed` or `inserted`.
    pub kind: &'static str,
    /// The event concerned (modified or inserted), or the one after a removal.
    pub event: Option<Named>,
    /// The last event that verified before the break.
    pub after: Option<Named>,
    /// Events missing (removed), when known.
    pub missing: Option<u64>,
}

/// What a verification found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub ok: bool,
    /// Chained events verified.
    pub checked: u64,
    /// Events written before the chain (not verifiable).
    pub legacy: u64,
    /// Number of the first event verified (after the checkpoint or the mark).
    pub from_seq: u64,
    /// Last event verified (number, hash, sort key): the next incremental start.
    pub last_seq: u64,
    pub last_hash: String,
    pub last_sk: String,
    pub broken: Option<Break>,
}

/// Where a verification starts: after event `seq` whose hash is `hash` (0 and ""
/// for the start of the chain), reading sort keys after `after_sk`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Start {
    pub seq: u64,
    pub hash: String,
    pub after_sk: Option<String>,
}

/// Verifies `org`'s whole trail, from its retention checkpoint.
pub async fn full(table: &dyn Table, org: &str) -> Result<Report, StoreError> {
    run(table, org, None).await
}

/// Verifies `org`'s trail from `start` (an earlier verification's end), or from the
/// checkpoint when `start` is `None`.
pub async fn run(table: &dyn Table, org: &str, start: Option<Start>) -> Result<Report, StoreError> {
    let pk = audit_pk(org);
    let got = table
        .get_many(&[
            (pk.clone(), HEAD_SK.to_owned()),
            (pk.clone(), CHECKPOINT_SK.to_owned()),
        ])
        .await?;
    let head = got[0].as_ref();
    let checkpoint = match &got[1] {
        Some(cp) => Start {
            seq: cp.get("seq").and_then(|v| v.as_u64()).unwrap_or(0),
            hash: cp.get_str("hash").unwrap_or("").to_owned(),
            after_sk: cp.get_str("last_sk").map(str::to_owned),
        },
        None => Start::default(),
    };
    // From the later of the two: events before the checkpoint were removed by
    // retention since the mark was set.
    let start = match start {
        Some(s) if s.seq >= checkpoint.seq => s,
        _ => checkpoint,
    };
    let mut w = Walker {
        org,
        started: start.seq > 0,
        expected: start.seq + 1,
        prev_hash: start.hash.clone(),
        after: None,
        report: Report {
            ok: true,
            checked: 0,
            legacy: 0,
            from_seq: start.seq + 1,
            last_seq: start.seq,
            last_hash: start.hash.clone(),
            last_sk: start.after_sk.clone().unwrap_or_default(),
            broken: None,
        },
    };
    let mut q = events_query(org).limit(PAGE);
    if let Some(sk) = start.after_sk.as_ref().filter(|s| !s.is_empty()) {
        // Strictly after `sk` (every event key has the same length; "!" sorts
        // before every character they use).
        q = q.range(SkRange::Between(format!("{sk}!"), "9~".into()));
    }
    loop {
        let page = table.query(&q).await?;
        for item in &page.items {
            let ev: Event = match item.parse() {
                Ok(ev) => ev,
                Err(_) => {
                    let id = item.sk().rsplit('#').next().unwrap_or("").to_owned();
                    let named = Named {
                        id,
                        at: Timestamp::UNIX_EPOCH,
                        action: String::new(),
                        seq: None,
                    };
                    return Ok(w.broken("modified", Some(named), None));
                }
            };
            if let Some(b) = w.step(&ev, item.sk()) {
                return Ok(b);
            }
        }
        match page.next {
            Some(next) => q.start = Some(next),
            None => break,
        }
    }
    // The head names the last event appended: anything after the last one read
    // was removed; a head behind it means events were added outside the chain.
    let (head_seq, head_hash) = match head {
        Some(h) => (
            h.get("seq").and_then(|v| v.as_u64()).unwrap_or(0),
            h.get_str("hash").unwrap_or("").to_owned(),
        ),
        None => (0, String::new()),
    };
    let last = w.report.last_seq;
    if head_seq > last {
        let missing = Some(head_seq - last);
        return Ok(w.broken("removed", None, missing));
    }
    if w.started && (head_seq < last || head_hash != w.report.last_hash) {
        let after = w.after.clone();
        return Ok(w.broken("inserted", after, None));
    }
    Ok(w.report)
}

struct Walker<'a> {
    org: &'a str,
    started: bool,
    expected: u64,
    prev_hash: String,
    after: Option<Named>,
    report: Report,
}

impl Walker<'_> {
    fn broken(&mut self, kind: &'static str, event: Option<Named>, missing: Option<u64>) -> Report {
        let mut r = self.report.clone();
        r.ok = false;
        r.broken = Some(Break {
            kind,
            event,
            after: self.after.clone(),
            missing,
        });
        r
    }

    /// One event in sort-key order; a report when the chain breaks here.
    fn step(&mut self, ev: &Event, sk: &str) -> Option<Report> {
        let Some(seq) = ev.seq else {
            if !self.started {
                self.report.legacy += 1;
                return None;
            }
            return Some(self.broken("inserted", Some(Named::of(ev)), None));
        };
        self.started = true;
        if ev.hash.as_deref() != Some(content_hash(self.org, ev).as_str()) {
            return Some(self.broken("modified", Some(Named::of(ev)), None));
        }
        if seq > self.expected {
            let missing = Some(seq - self.expected);
            return Some(self.broken("removed", Some(Named::of(ev)), missing));
        }
        if seq < self.expected || ev.prev.as_deref() != Some(self.prev_hash.as_str()) {
            return Some(self.broken("inserted", Some(Named::of(ev)), None));
        }
        self.expected = seq + 1;
        self.prev_hash = ev.hash.clone().unwrap_or_default();
        self.after = Some(Named::of(ev));
        self.report.checked += 1;
        self.report.last_seq = seq;
        self.report.last_hash = self.prev_hash.clone();
        self.report.last_sk = sk.to_owned();
        None
    }
}
