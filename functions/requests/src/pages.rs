//! History pages kept in memory, served again while the partner's history has not
//! changed.
//!
//! Every write to a partner's history partitions renews its stamp in the same
//! transaction (`RequestRecord::index_writes` / `delete_writes`). A page is kept
//! with the stamp read *before* the page's query, so it is never newer than its
//! stamp says: when the stored stamp is still that one, nothing was written since,
//! and the page is served as kept after one read of the stamp instead of a query
//! and the parsing and writing of 20 rows. The query itself must then read the
//! latest committed state (a strongly consistent read on DynamoDB), or a stale
//! page would be kept under a current stamp.
//!
//! Bounded in entries and in age, per process (each Lambda instance has its own;
//! they agree through the stored stamp). A page older than [`MAX_AGE`] is not
//! served, so names read from the store do not linger in memory after a purge.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Pages kept, at most (a page is about 12 KB: a few MB in all).
pub const MAX_PAGES: usize = 256;
/// Age after which a kept page is read again from the store.
pub const MAX_AGE: Duration = Duration::from_secs(300);

struct Kept {
    stamp: String,
    body: Arc<str>,
    at: Instant,
}

#[derive(Default)]
struct Pages {
    map: HashMap<String, Kept>,
    order: VecDeque<String>,
}

static PAGES: Mutex<Option<Pages>> = Mutex::new(None);

/// The page kept for `key` under `stamp`, if any and young enough.
pub fn get(key: &str, stamp: &str) -> Option<Arc<str>> {
    let mut guard = PAGES.lock().ok()?;
    let pages = guard.get_or_insert_with(Pages::default);
    let hit = pages
        .map
        .get(key)
        .filter(|k| k.stamp == stamp && k.at.elapsed() < MAX_AGE)
        .map(|k| k.body.clone());
    if hit.is_none() && pages.map.remove(key).is_some() {
        pages.order.retain(|k| k != key);
    }
    hit
}

/// Keeps `body` for `key` under `stamp`, dropping the oldest page when full.
pub fn put(key: String, stamp: String, body: Arc<str>) {
    let Ok(mut guard) = PAGES.lock() else {
        return;
    };
    let pages = guard.get_or_insert_with(Pages::default);
    let kept = Kept {
        stamp,
        body,
        at: Instant::now(),
    };
    if pages.map.insert(key.clone(), kept).is_none() {
        pages.order.push_back(key);
    }
    while pages.map.len() > MAX_PAGES {
        match pages.order.pop_front() {
            Some(old) => {
                pages.map.remove(&old);
            }
            None => break,
        }
    }
}

/// Number of pages kept (tests).
#[cfg(test)]
fn len() -> usize {
    PAGES
        .lock()
        .ok()
        .and_then(|g| g.as_ref().map(|p| p.map.len()))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_served_only_under_its_stamp_and_the_oldest_goes_first() {
        put("p1\nA".into(), "s1".into(), Arc::from("page A"));
        assert_eq!(get("p1\nA", "s1").as_deref(), Some("page A"));
        // Another stamp: the history changed; the page is dropped.
        assert_eq!(get("p1\nA", "s2"), None);
        assert_eq!(get("p1\nA", "s1"), None);
        for i in 0..(MAX_PAGES + 10) {
            put(format!("k{i}"), "s".into(), Arc::from("x"));
        }
        assert!(len() <= MAX_PAGES);
        assert_eq!(get("k0", "s"), None);
        assert_eq!(
            get(&format!("k{}", MAX_PAGES + 9), "s").as_deref(),
            Some("x")
        );
    }
}
