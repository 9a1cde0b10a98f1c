//! The audit trail: append-only events (actor, action, target, time), written in the
//! same transaction as the action. Keyed by organisation so that caisse agents see
//! their caisse's trail and gestionnaires their partner's account events. Events
//! carry ids and codes only — never names, free text or NIR.
//!
//! Each trail is a hash chain (SPEC §5, issue 15): see [`chain`] for how an event is
//! sealed (sequence number, previous hash, own hash) when its transaction commits,
//! [`verify`] for the check that names the first broken link.
//!
//! | item | pk | sk | content |
//! |---|---|---|---|
//! | event | `AUDIT#<org>` | `<ts_key(at)>#<seq, 12 digits>` | the event, `seq`, `prev`, `hash`; `due_pk = DUE#audit` at `at` + retention |
//! | event written before the chain | `AUDIT#<org>` | `<ts_key(at)>#<id>` | the event, no `seq` (« antérieur au chaînage ») |
//! | head | `AUDIT#<org>` | `HEAD` | `seq`, `hash`, `at` of the last event, `v` |
//! | checkpoint | `AUDIT#<org>` | `CHECKPOINT` | `seq`, `hash` of the last event removed by retention |
//! | verification mark | `AUDIT#<org>` | `VERIFIED` | what the maintenance check verified last; in `DUE#audit_verify` |

pub mod chain;
pub mod verify;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::emails::ts_key;
use crate::table::{Cond, Item, Query, SkRange, StoreError, Write};

pub use chain::transact;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub at: Timestamp,
    /// Account id of who acted (`system` for the scheduler, `anonymous` before login).
    pub actor: String,
    /// Stable code, e.g. `auth.login.success`.
    pub action: String,
    /// What was acted on (an id), if anything.
    #[serde(default)]
    pub target: Option<String>,
    /// Source address, for sign-in events.
    #[serde(default)]
    pub source: Option<String>,
    /// Short machine detail (a reason code), never free text.
    #[serde(default)]
    pub detail: Option<String>,
    /// Position in the trail's chain (1, 2, …); `None` for an event written before
    /// the chain existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Hash of the previous event of the chain (empty before the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// SHA-256 of `prev` and of this event's content (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// Actor of the events written by scheduled or event-driven work.
pub const SYSTEM_ACTOR: &str = "system";

pub fn audit_pk(org_id: &str) -> String {
    format!("AUDIT#{org_id}")
}

/// Due-index partition of audit events to delete at the end of their retention.
pub const DUE_AUDIT: &str = "DUE#audit";
/// Sort key of a trail's head (last sequence number and hash).
pub const HEAD_SK: &str = "HEAD";
/// Sort key of a trail's retention checkpoint (last removed event).
pub const CHECKPOINT_SK: &str = "CHECKPOINT";
/// Sort key of a trail's verification mark (maintenance check).
pub const MARK_SK: &str = "VERIFIED";
/// Prefix of the sort key of an event not sealed yet (never stored: the store
/// refuses it, see `table::validate_transaction`).
pub const UNSEALED_PREFIX: &str = "UNSEALED#";
/// Attribute of an unsealed event: its retention in months.
pub(crate) const UNSEALED_ATTR: &str = "retention_months";

/// Sort-key range holding a trail's events (they start with a date; the head,
/// checkpoint and mark start with a letter).
pub fn events_range() -> SkRange {
    SkRange::Between("0".into(), "9~".into())
}

/// The query of `org_id`'s events, oldest first.
pub fn events_query(org_id: &str) -> Query {
    Query::new(crate::table::Index::Table, audit_pk(org_id)).range(events_range())
}

/// Sort key of a sealed event: time, then sequence number, so that sort-key order is
/// chain order (times are kept monotone along the chain).
pub fn event_sk(at: Timestamp, seq: u64) -> String {
    format!("{}#{seq:012}", ts_key(at))
}

/// Builds the write appending an event to `org_id`'s trail, kept `retention_months`.
/// The event is sealed into the trail's chain when its transaction commits
/// ([`transact`], which `Tx::commit` calls): the store refuses an unsealed event.
pub fn record(org_id: &str, event: Event, retention_months: i64) -> Result<Write, StoreError> {
    let sk = format!("{UNSEALED_PREFIX}{}", event.id);
    let item =
        Item::from_record(audit_pk(org_id), sk, &event)?.with(UNSEALED_ATTR, retention_months);
    Ok(Write::put(item, Cond::NotExists))
}

/// Whether a write is an audit event still to be sealed.
pub fn is_unsealed(w: &Write) -> bool {
    match w {
        Write::Put { item, .. } => {
            item.pk().starts_with("AUDIT#") && item.sk().starts_with(UNSEALED_PREFIX)
        }
        _ => false,
    }
}

/// When an event written at `at` leaves the trail.
pub fn purge_at(at: Timestamp, retention_months: i64) -> Timestamp {
    at.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .checked_add(jiff::Span::new().months(retention_months))
        .map(|z| z.timestamp())
        .unwrap_or(at)
}

/// Shorthand for an event now.
pub fn event(at: Timestamp, actor: &str, action: &str, target: Option<&str>) -> Event {
    Event {
        id: crate::ids::new_id(),
        at,
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: target.map(str::to_owned),
        source: None,
        detail: None,
        seq: None,
        prev: None,
        hash: None,
    }
}
