//! The Clock port: handlers never read the system clock themselves, so tests can
//! move time (e.g. six months ahead) and every rule stays reproducible.

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to (tests, demos).
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        ManualClock(Mutex::new(at))
    }
    pub fn set(&self, at: Timestamp) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }
    /// The current time (same as `Clock::now`, without importing the trait).
    pub fn now_ts(&self) -> Timestamp {
        self.now()
    }
    pub fn advance(&self, by: SignedDuration) {
        if let Ok(mut t) = self.0.lock() {
            *t = t.checked_add(by).unwrap_or(*t);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|p| *p.into_inner())
    }
}

/// The real clock shifted by an offset that only grows (development: lets a person
/// or a browser test see what happens 181 days later, `EP_DEV_CLOCK=1`).
#[derive(Debug)]
pub struct OffsetClock(std::sync::atomic::AtomicI64);

impl OffsetClock {
    pub fn new() -> Self {
        OffsetClock(std::sync::atomic::AtomicI64::new(0))
    }
    pub fn advance(&self, by: SignedDuration) {
        self.0
            .fetch_add(by.as_secs().max(0), std::sync::atomic::Ordering::SeqCst);
    }
}

impl Default for OffsetClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        let offset = SignedDuration::from_secs(self.0.load(std::sync::atomic::Ordering::SeqCst));
        Timestamp::now()
            .checked_add(offset)
            .unwrap_or_else(|_| Timestamp::now())
    }
}
