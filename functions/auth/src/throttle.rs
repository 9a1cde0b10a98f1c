//! Brute-force protection for sign-in (SPEC §3, ASVS 2.2.1): the lock is per
//! (identifiant, source) pair, with a much higher global limit per identifiant and
//! a limit per source that does not lock out someone else behind the same address.
//! Identifiants are counted whether or not an account has them, so the answers
//! never reveal existence.
//!
//! - Pair (typed identifiant, source address): from the 5th consecutive failure
//!   within an hour, each failure locks the pair for 1, 2, 4, 8, 16 then 30 minutes.
//!   A success resets it and marks the pair *trusted* for 30 days.
//! - Identifiant, from every source: 50 failures within an hour lock it for 15
//!   minutes (a distributed attack: 10 sources or more in the hour).
//! - Source: 50 failures within 15 minutes, on any identifiants, lock the source for
//!   15 minutes.
//! - A trusted pair (this identifiant signed in from this address in the last 30
//!   days) is exempt from the identifiant and source locks, never from its own:
//!   an attacker can no longer lock a user out by failing on their identifiant, nor
//!   an office behind one NAT address by failing from it, while each pair still
//!   gets at most 5 free attempts then a growing delay.
//!
//! Counting is atomic: an attempt is *reserved* (the three counters incremented in
//! one version-checked transaction, retried on conflict) before the password is
//! verified, so N parallel failures count N; a success gives its reservation back.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use ep_common::emails::ts_key;
use ep_common::table::{Cond, Item, StoreError, Write};

pub const PAIR_FREE_FAILURES: u32 = 5;
pub const PAIR_WINDOW: SignedDuration = SignedDuration::from_hours(1);
pub const PAIR_MAX_LOCK: SignedDuration = SignedDuration::from_mins(30);
pub const ID_LIMIT: u32 = 50;
pub const ID_WINDOW: SignedDuration = SignedDuration::from_hours(1);
pub const ID_LOCK: SignedDuration = SignedDuration::from_mins(15);
pub const SOURCE_LIMIT: u32 = 50;
pub const SOURCE_WINDOW: SignedDuration = SignedDuration::from_mins(15);
pub const SOURCE_LOCK: SignedDuration = SignedDuration::from_mins(15);
/// How long a successful sign-in makes its (identifiant, source) pair trusted.
pub const TRUST: SignedDuration = SignedDuration::from_hours(30 * 24);

/// Due-index partition of throttle records to clean up.
pub const DUE_THROTTLE: &str = "DUE#throttle";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throttle {
    pub failures: u32,
    pub window_start: Timestamp,
    #[serde(default)]
    pub locked_until: Option<Timestamp>,
    /// Pairs only: signed in successfully; exempt from the identifiant and source locks.
    #[serde(default)]
    pub trusted_until: Option<Timestamp>,
    pub v: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One (identifiant, source) pair: value from [`pair_value`].
    Pair,
    /// One identifiant, from every source.
    Identifiant,
    /// One source address.
    Source,
    /// Password-reset emails sent for one account (no mailbox flooding).
    Forgot,
}

/// Reset links sent per account per hour at most.
pub const FORGOT_PER_HOUR: u32 = 3;

/// The value a pair record is keyed by.
pub fn pair_value(identifiant: &str, source: &str) -> String {
    format!("{identifiant}\u{0}{source}")
}

pub fn key(kind: Kind, value: &str) -> (String, String) {
    let prefix = match kind {
        Kind::Pair => "PAIR",
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

/// True when a pair record is trusted at `now` (a success in the last 30 days).
pub fn trusted(t: &Throttle, now: Timestamp) -> bool {
    t.trusted_until.is_some_and(|until| until > now)
}

fn window(kind: Kind) -> SignedDuration {
    match kind {
        Kind::Pair => PAIR_WINDOW,
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
        Kind::Pair if failures >= PAIR_FREE_FAILURES => {
            let step = (failures - PAIR_FREE_FAILURES).min(10);
            let lock = SignedDuration::from_mins(1i64 << step).min(PAIR_MAX_LOCK);
            Some(now + lock)
        }
        Kind::Identifiant if failures >= ID_LIMIT => Some(now + ID_LOCK),
        Kind::Source if failures >= SOURCE_LIMIT => Some(now + SOURCE_LOCK),
        Kind::Forgot if failures >= FORGOT_PER_HOUR => Some(window_start + window),
        _ => None,
    };
    // A lock extends the window so that the count survives until it ends.
    let window_start = match locked_until {
        Some(_) if kind == Kind::Pair => now,
        _ => window_start,
    };
    Throttle {
        failures,
        window_start,
        locked_until,
        trusted_until: current.and_then(|t| t.trusted_until),
        v: current.map_or(1, |t| t.v + 1),
    }
}

/// The record after a success that had reserved one failure: a pair is reset and
/// trusted for [`TRUST`]; the identifiant and source counters give one failure back
/// (and their lock, if that failure had set it). `None`: nothing to write.
pub fn after_success(kind: Kind, current: Option<&Throttle>, now: Timestamp) -> Option<Throttle> {
    let t = current?;
    Some(match kind {
        Kind::Pair => Throttle {
            failures: 0,
            window_start: now,
            locked_until: None,
            trusted_until: Some(now + TRUST),
            v: t.v + 1,
        },
        _ => {
            let failures = t.failures.saturating_sub(1);
            let limit = if kind == Kind::Source {
                SOURCE_LIMIT
            } else {
                ID_LIMIT
            };
            Throttle {
                failures,
                locked_until: t.locked_until.filter(|_| failures >= limit),
                v: t.v + 1,
                ..t.clone()
            }
        }
    })
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
        .max(next.trusted_until.unwrap_or(next.window_start))
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
    fn spec_3_a_pair_locks_from_the_fifth_failure_with_growing_delays() {
        let mut t: Option<Throttle> = None;
        let mut now = t0();
        let mut locks = Vec::new();
        for _ in 0..9 {
            let next = after_failure(Kind::Pair, t.as_ref(), now);
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
            t = Some(after_failure(Kind::Pair, t.as_ref(), now));
        }
        assert_eq!(locked_for(t.as_ref().unwrap(), now), Some(30 * 60));
    }

    #[test]
    fn spec_3_failures_older_than_the_window_are_forgotten() {
        let mut t: Option<Throttle> = None;
        let now = t0();
        for _ in 0..4 {
            t = Some(after_failure(Kind::Pair, t.as_ref(), now));
        }
        let later = now + SignedDuration::from_mins(61);
        let next = after_failure(Kind::Pair, t.as_ref(), later);
        assert_eq!(next.failures, 1);
        assert_eq!(locked_for(&next, later), None);
    }

    #[test]
    fn asvs_2_2_1_identifiant_global_limit_is_much_higher() {
        let mut t: Option<Throttle> = None;
        let now = t0();
        for i in 1..=ID_LIMIT {
            let next = after_failure(Kind::Identifiant, t.as_ref(), now);
            assert_eq!(locked_for(&next, now).is_some(), i >= ID_LIMIT, "{i}");
            t = Some(next);
        }
        assert_eq!(locked_for(t.as_ref().unwrap(), now), Some(15 * 60));
    }

    #[test]
    fn a_success_resets_and_trusts_the_pair_and_gives_back_its_reservation() {
        let now = t0();
        let mut pair = None;
        for _ in 0..5 {
            pair = Some(after_failure(Kind::Pair, pair.as_ref(), now));
        }
        let p = after_success(Kind::Pair, pair.as_ref(), now).unwrap();
        assert_eq!((p.failures, p.locked_until), (0, None));
        assert!(trusted(&p, now + SignedDuration::from_hours(24 * 29)));
        assert!(!trusted(&p, now + TRUST));
        // the trust survives later failures
        assert!(trusted(&after_failure(Kind::Pair, Some(&p), now), now));
        let mut src = None;
        for _ in 0..SOURCE_LIMIT {
            src = Some(after_failure(Kind::Source, src.as_ref(), now));
        }
        let back = after_success(Kind::Source, src.as_ref(), now).unwrap();
        assert_eq!(back.failures, SOURCE_LIMIT - 1);
        assert_eq!(
            locked_for(&back, now),
            None,
            "the lock its own reservation set is lifted"
        );
        assert_eq!(after_success(Kind::Source, None, now), None);
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
