//! The audit trail: append-only events (actor, action, target, time), written in the
//! same transaction as the action. Keyed by organisation so that caisse agents see
//! their caisse's trail and gestionnaires their partner's account events. Events
//! carry ids and codes only — never names, free text or NIR.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::emails::ts_key;
use crate::table::{Cond, Item, StoreError, Write};

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
}

/// Actor of the events written by scheduled or event-driven work.
pub const SYSTEM_ACTOR: &str = "system";

pub fn audit_pk(org_id: &str) -> String {
    format!("AUDIT#{org_id}")
}

/// Due-index partition of audit events to delete at the end of their retention.
pub const DUE_AUDIT: &str = "DUE#audit";

/// Builds the write appending an event to `org_id`'s trail, kept `retention_months`.
pub fn record(org_id: &str, event: Event, retention_months: i64) -> Result<Write, StoreError> {
    let sk = format!("{}#{}", ts_key(event.at), event.id);
    let purge_at = event
        .at
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .checked_add(jiff::Span::new().months(retention_months))
        .map(|z| z.timestamp())
        .unwrap_or(event.at);
    let item = Item::from_record(audit_pk(org_id), sk, &event)?
        .with("due_pk", DUE_AUDIT)
        .with("due_at", ts_key(purge_at));
    Ok(Write::put(item, Cond::NotExists))
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
    }
}
