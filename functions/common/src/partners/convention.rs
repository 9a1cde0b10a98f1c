//! A convention between a partner and one caisse (SPEC §2), with the functionalities
//! the caisse enabled (§1.2).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::table::{Item, StoreError, Table};
use ep_domain::types::ConventionState;

use super::{DUE_CONVENTION_END, sort_name};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Convention {
    pub partner_id: String,
    pub caisse_id: String,
    /// Partner name, copied for the caisse's list.
    pub partner_name: String,
    pub start: Date,
    #[serde(default)]
    pub end: Option<Date>,
    pub state: ConventionState,
    /// `ep_domain::types::Functionality` codes enabled by the caisse (§1.2).
    pub functionalities: Vec<String>,
    pub v: u64,
}

pub fn convention_key(partner_id: &str, caisse_id: &str) -> (String, String) {
    (format!("PARTNER#{partner_id}"), format!("CONV#{caisse_id}"))
}

/// gsi1 partition listing the partners conventioned with a caisse.
pub fn caisse_partners_pk(caisse_id: &str) -> String {
    format!("CAISSE#{caisse_id}#PARTNERS")
}

impl Convention {
    /// The item; while active with an end date it is in the due index at that date.
    fn item(&self) -> Result<Item, StoreError> {
        let (pk, sk) = convention_key(&self.partner_id, &self.caisse_id);
        let mut item = Item::from_record(pk, sk, self)?
            .with("gsi1pk", caisse_partners_pk(&self.caisse_id))
            .with(
                "gsi1sk",
                format!("{}#{}", sort_name(&self.partner_name), self.partner_id),
            );
        if let (true, Some(end)) = (self.state == ConventionState::Active, self.end) {
            item.set("due_pk", DUE_CONVENTION_END);
            // Ends after its last day (end date inclusive), midnight UTC of the next day.
            let next = end.tomorrow().unwrap_or(end);
            item.set("due_at", format!("{next}T00:00:00Z"));
        }
        Ok(item)
    }
    /// The convention as the domain rules see it (functionalities parsed).
    pub fn view(&self) -> ep_domain::lifecycle::ConventionView {
        ep_domain::lifecycle::ConventionView {
            caisse_id: self.caisse_id.clone(),
            state: self.state,
            start: self.start,
            end: self.end,
            functionalities: self
                .functionalities
                .iter()
                .filter_map(|f| ep_domain::types::Functionality::parse(f).ok())
                .collect(),
        }
    }

    /// In force on `today` (state active, started, end date inclusive).
    pub fn is_active_on(&self, today: Date) -> bool {
        self.state == ConventionState::Active
            && self.start <= today
            && self.end.is_none_or(|e| today <= e)
    }
}

crate::versioned!(Convention);

pub async fn get_convention(
    table: &dyn Table,
    partner_id: &str,
    caisse_id: &str,
) -> Result<Option<Convention>, StoreError> {
    let (pk, sk) = convention_key(partner_id, caisse_id);
    Ok(match table.get(&pk, &sk).await? {
        Some(i) => Some(i.parse()?),
        None => None,
    })
}

pub async fn conventions_of(
    table: &dyn Table,
    partner_id: &str,
) -> Result<Vec<Convention>, StoreError> {
    let q = crate::table::Query::new(crate::table::Index::Table, format!("PARTNER#{partner_id}"))
        .prefix("CONV#");
    table
        .query_all(&q)
        .await?
        .iter()
        .map(|i| i.parse())
        .collect()
}
