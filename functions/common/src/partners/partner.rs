//! A partner structure (SPEC §2): its identity, category, quotas counters, status.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::table::{Item, StoreError, Table};
use ep_domain::types::PartnerStatus;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub address: String,
    /// `ep_domain::types::PartnerCategory` code.
    pub category: String,
    pub members: u32,
    /// Lower-case email domains of the structure (§2.2.1).
    pub allowed_domains: Vec<String>,
    /// §4.1: a caisse may suspend the whole partner.
    pub status: PartnerStatus,
    #[serde(default)]
    pub suspension: Option<Suspension>,
    /// Accounts that count for quotas (active + pending), kept in the same
    /// transaction as every account change.
    #[serde(default)]
    pub gestionnaires: u32,
    #[serde(default)]
    pub techniciens: u32,
    #[serde(default)]
    pub review_requested_at: Option<Timestamp>,
    #[serde(default)]
    pub review_confirmed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub created_by: Option<String>,
    pub v: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    pub caisse_id: String,
    pub by: String,
    pub at: Timestamp,
    /// Reason code: `fraude`, `non_conforme`, `autre`.
    pub reason: String,
}

pub fn partner_key(id: &str) -> (String, String) {
    (format!("PARTNER#{id}"), "PROFILE".to_owned())
}

impl Partner {
    fn item(&self) -> Result<Item, StoreError> {
        let (pk, sk) = partner_key(&self.id);
        Item::from_record(pk, sk, self)
    }
    pub fn is_suspended(&self) -> bool {
        self.status == PartnerStatus::Suspended
    }
}

crate::versioned!(Partner);

pub async fn get_partner(table: &dyn Table, id: &str) -> Result<Option<Partner>, StoreError> {
    let (pk, sk) = partner_key(id);
    Ok(match table.get(&pk, &sk).await? {
        Some(i) => Some(i.parse()?),
        None => None,
    })
}
