//! A caisse (e.g. a CPAM) and its support referents (§3.3).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::table::{Item, StoreError, Table};

use super::sort_name;

/// A support referent of a caisse (§3.3), shown to its partners' users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referent {
    pub nom: String,
    pub email: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Caisse {
    pub id: String,
    pub name: String,
    pub address: String,
    /// How partners reach the caisse when the portal is unavailable (§3.2).
    pub alt_contact: String,
    #[serde(default)]
    pub referents: Vec<Referent>,
    pub created_at: Timestamp,
    pub v: u64,
}

pub fn caisse_key(id: &str) -> (String, String) {
    (format!("CAISSE#{id}"), "PROFILE".to_owned())
}

impl Caisse {
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let (pk, sk) = caisse_key(&self.id);
        Ok(Item::from_record(pk, sk, self)?
            .with("gsi1pk", "CAISSES")
            .with("gsi1sk", format!("{}#{}", sort_name(&self.name), self.id)))
    }
}

pub async fn get_caisse(table: &dyn Table, id: &str) -> Result<Option<Caisse>, StoreError> {
    let (pk, sk) = caisse_key(id);
    Ok(match table.get(&pk, &sk).await? {
        Some(i) => Some(i.parse()?),
        None => None,
    })
}

/// The names of these caisses by id, in one read (none when there is none to name).
pub async fn caisse_names<'a>(
    table: &dyn Table,
    ids: impl Iterator<Item = &'a str>,
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let mut keys: Vec<(String, String)> = ids.map(caisse_key).collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    // Shown beside a list or in a form: eventually consistent (`Table::get_many_eventual`).
    Ok(table
        .get_many_eventual(&keys)
        .await?
        .into_iter()
        .flatten()
        .filter_map(|i| i.parse::<Caisse>().ok())
        .map(|c| (c.id, c.name))
        .collect())
}
