//! Proofs kept for the partner: exclusion notices (§4.1) and habilitation reviews (§4.2).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Proof that the partner was told of an exclusion (§4.1): who, when, to whom.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExclusionNotice {
    pub id: String,
    pub partner_id: String,
    pub caisse_id: String,
    pub user_id: String,
    /// `fraude` | `perte` | `vol` | `non_conforme`.
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
    /// Email addresses notified, and the Message-IDs of those emails.
    pub notified: Vec<String>,
    pub message_ids: Vec<String>,
}

pub fn notice_key(partner_id: &str, at: Timestamp, id: &str) -> (String, String) {
    (
        format!("PARTNER#{partner_id}"),
        format!("NOTICE#{}#{id}", crate::emails::ts_key(at)),
    )
}

/// A habilitation review asked by a caisse and confirmed by a gestionnaire (§4.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: String,
    pub partner_id: String,
    pub caisse_id: String,
    pub requested_at: Timestamp,
    pub requested_by: String,
    #[serde(default)]
    pub confirmed_at: Option<Timestamp>,
    #[serde(default)]
    pub confirmed_by: Option<String>,
    pub v: u64,
}

pub fn review_key(partner_id: &str, caisse_id: &str, requested_at: Timestamp) -> (String, String) {
    (
        format!("PARTNER#{partner_id}"),
        format!("REVIEW#{caisse_id}#{}", crate::emails::ts_key(requested_at)),
    )
}
