//! Conditions générales d'utilisation (§2.1): the current version, its history;
//! publishing a new version makes every user accept again.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::table::{Cond, Item, StoreError, Table, Write};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cgu {
    pub version: String,
    pub text: String,
    pub published_at: Timestamp,
    #[serde(default)]
    pub published_by: Option<String>,
}

const PK: &str = "CGU";
const CURRENT: &str = "CURRENT";

pub async fn current(table: &dyn Table) -> Result<Option<Cgu>, StoreError> {
    match table.get(PK, CURRENT).await? {
        Some(item) => Ok(Some(item.parse()?)),
        None => Ok(None),
    }
}

/// The key of the CGU in force (the session gate reads it with the session).
pub fn current_key() -> (String, String) {
    (PK.to_owned(), CURRENT.to_owned())
}

/// The version of the CGU in force, read from its item without its text (the session
/// gate asks it on every request).
pub fn version_of(item: &Item) -> Result<String, StoreError> {
    #[derive(Deserialize)]
    struct VersionOnly {
        version: String,
    }
    Ok(item.parse::<VersionOnly>()?.version)
}

/// Writes publishing `cgu`: the version (unique) and the current pointer.
pub fn publish_writes(cgu: &Cgu) -> Result<Vec<Write>, StoreError> {
    Ok(vec![
        Write::put(
            Item::from_record(PK, format!("V#{}", cgu.version), cgu)?,
            Cond::NotExists,
        ),
        Write::put(Item::from_record(PK, CURRENT, cgu)?, Cond::None),
    ])
}

/// The first version, installed at bootstrap: the convention's rules of use.
pub fn initial(now: Timestamp) -> Cgu {
    Cgu {
        version: "2026-1".into(),
        text: include_str!("cgu-initiales.txt").trim().to_owned(),
        published_at: now,
        published_by: None,
    }
}
