//! A partner structure (SPEC §2): its identity, category, quotas counters, status.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::table::{Cond, Item, StoreError, Table, Write};
use ep_domain::types::{PartnerStatus, Siret};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Partner {
    pub id: String,
    pub name: String,
    /// Unique (through the item `SIRET#<siret>` / `PARTNER`); partners recorded
    /// before the SIRET was asked have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siret: Option<Siret>,
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

/// The uniqueness item of a SIRET, pointing to its partner (`partner_id`).
pub fn siret_key(siret: &Siret) -> (String, String) {
    (format!("SIRET#{siret}"), "PARTNER".to_owned())
}

/// The partner holding this SIRET, if any.
pub async fn partner_id_by_siret(
    table: &dyn Table,
    siret: &Siret,
) -> Result<Option<String>, StoreError> {
    let (pk, sk) = siret_key(siret);
    Ok(table
        .get(&pk, &sk)
        .await?
        .and_then(|i| i.get_str("partner_id").map(str::to_owned)))
}

impl Partner {
    /// The writes creating this partner: the record and, with a SIRET, its
    /// uniqueness item (both `NotExists`).
    pub fn create_writes(&self) -> Result<Vec<Write>, StoreError> {
        let mut w = vec![Write::put(self.item()?, Cond::NotExists)];
        if let Some(siret) = &self.siret {
            let (pk, sk) = siret_key(siret);
            w.push(Write::put(
                Item::new(pk, sk).with("partner_id", self.id.clone()),
                Cond::NotExists,
            ));
        }
        Ok(w)
    }

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
