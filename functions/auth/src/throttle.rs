//! Brute-force protection for sign-in (SPEC §3): per identifiant (whether or not an
//! account has it, so the answers never reveal existence) and per source address.
//!
//! - Identifiant: from the 5th consecutive failure within an hour, each failure locks
//!   it for 1, 2, 4, 8, 16 then 30 minutes. A success resets it. This bounds failed
//!   attempts far below 100 per account per hour (a test counts them).
//! - Source: 50 failures within 15 minutes lock the source for 15 minutes.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use ep_common::emails::ts_key;
use ep_common::table::{Cond, Item, StoreError, Write};

pub const ID_FREE_FAILURES: u32 = 5;
pub const ID_WINDOW: SignedDuration = SignedDuration::from_hours(1);
pub const ID_MAX_LOCK: SignedDuration = SignedDuration::from_mins(30);
pub const SOURCE_LIMIT: u32 = 50;
pub const SOURCE_WINDOW: SignedDuration = SignedDuration::from_mins(15);
pub const SOURCE_LOCK: SignedDuration = SignedDuration::from_mins(15);

/// Due-index partition of throttle records to clean up.
pub const DUE_THROTTLE: &str = "DUE#throttle";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throttle {
    pub failures: u32,
    pub window_start: Timestamp,
    #[serde(default)]
    pub locked_until: Option<Timestamp>,
    pub v: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Identifiant,
    Source,
    /// Password-reset emails sent for one account (no mailbox flooding).
    Forgot,
}

/// Reset links sent per account per hour at most.
pub const FORGOT_PER_HOUR: u32 = 3;

pub fn key(kind: Kind, value: &str) -> (String, String) {
    let prefix = match kind {
        Kind::Identifiant => "ID",
        Kind::Source => "SRC",
        Kind::Forgot => "FORGOT",
    };
    // Hashed: the table need not hold typed identifiants or addresses in clear.
    (
        format!("THROTTLE#{prefix}#{}", ep_common::ids::token_hash(value)),
        "THROTTLE".to_owned(),
    )
}

/// Seconds until the record unlocks, if it is locked at `now`.
pub fn locked_for(t: &Throttle, now: Timestamp) -> Option<i64> {
    t.locked_until
        .filter(|until| *until > now)
        .map(|until| until.duration_since(now).as_secs().max(1))
}

fn window(kind: Kind) -> SignedDuration {
    match kind {
        Kind::Identifiant | Kind::Forgot => ID_WINDOW,
        Kind::Source => SOURCE_WINDOW,
    }
}

/// The record after one more failure (for `Forgot`: one more email sent) at `now`.
pub fn after_failure(kind: Kind, current: Option<&Throttle>, now: Timestamp) -> Throttle {
    let window = window(kind);
    let (mut failures, window_start) = match current {
        Some(t) if now.duration_since(t.window_start) < window => (t.failures, t.window_start),
        _ => (0, now),
    };
    failures += 1;
    let locked_until = match kind {
        Kind::Identifiant if failures >= ID_FREE_FAILURES => {
            let step = (failures - ID_FREE_FAILURES).min(10);
            let lock = SignedDuration::from_mins(1i64 << step).min(ID_MAX_LOCK);
            Some(now + lock)
        }
        Kind::Source if failures >= SOURCE_LIMIT => Some(now + SOURCE_LOCK),
        Kind::Forgot if failures >= FORGOT_PER_HOUR => Some(window_start + window),
        _ => None,
    };
    // A lock extends the window so that the count survives until it ends.
    let window_start = match locked_until {
        Some(_) if kind == Kind::Identifiant => now,
        _ => window_start,
    };
    Throttle {
        failures,
        window_start,
        locked_until,
        v: current.map_or(1, |t| t.v + 1),
    }
}

/// The write storing `next` over `current`.
pub fn write(
    kind: Kind,
    value: &str,
    current: Option<&Throttle>,
    next: &Throttle,
) -> Result<Write, StoreError> {
    let (pk, sk) = key(kind, value);
    let keep_until = next
        .locked_until
        .unwrap_or(next.window_start)
        .max(next.window_start)
        + window(kind);
    let item = Item::from_record(pk, sk, next)?
        .with("due_pk", DUE_THROTTLE)
        .with("due_at", ts_key(keep_until));
    let cond = match current {
        Some(t) => Cond::VersionEquals(t.v),
        None => Cond::NotExists,
    };
    Ok(Write::put(item, cond))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-11-26T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn spec_3_identifiant_locks_from_the_fifth_failure_with_growing_delays() {
        let mut t: Option<Throttle> = None;
        let mut now = t0();
        let mut locks = Vec::new();
        for _ in 0..9 {
            let next = after_failure(Kind::Identifiant, t.as_ref(), now);
            if let Some(s) = locked_for(&next, now) {
                locks.push(s);
                now = next.locked_until.unwrap();
            }
            t = Some(next);
        }
        assert_eq!(locks, vec![60, 120, 240, 480, 960]);
    }

    #[test]
    fn spec_3_the_lock_never_exceeds_thirty_minutes() {
        let mut t: Option<Throttle> = None;
        let now = t0();
        for _ in 0..40 {
            t = Some(after_failure(Kind::Identifiant, t.as_ref(), now));
        }
        assert_eq!(locked_for(t.as_ref().unwrap(), now), Some(30 * 60));
    }

    #[test]
    fn spec_3_failures_older_than_the_window_are_forgotten() {
        let mut t: Option<Throttle> = None;
        let now = t0();
        for _ in 0..4 {
            t = Some(after_failure(Kind::Identifiant, t.as_ref(), now));
        }
        let later = now + SignedDuration::from_mins(61);
        let next = after_failure(Kind::Identifiant, t.as_ref(), later);
        assert_eq!(next.failures, 1);
        assert_eq!(locked_for(&next, later), None);
    }

    #[test]
    fn spec_3_source_limit() {
        let mut t: Option<Throttle> = None;
        let now = t0();
        for i in 1..=SOURCE_LIMIT {
            let next = after_failure(Kind::Source, t.as_ref(), now);
            assert_eq!(locked_for(&next, now).is_some(), i >= SOURCE_LIMIT, "{i}");
            t = Some(next);
        }
    }
}
