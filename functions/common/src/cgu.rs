//! Conditions générales d'utilisation (§2.1): the current version, its history;
//! publishing a new version makes every user accept again.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::table::{Cond, Item, StoreError, Table, Write};

/// Who a text of CGU is written for: the partners' users, or the caisses' staff and
/// the platform admin. Each audience has its own versions and accepts its own text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Gestionnaires and techniciens of the partner structures.
    #[default]
    Partenaires,
    /// Caisse agents and the platform admin.
    Caisses,
}

impl Audience {
    pub const ALL: [Audience; 2] = [Audience::Partenaires, Audience::Caisses];

    pub fn code(self) -> &'static str {
        match self {
            Audience::Partenaires => "partenaires",
            Audience::Caisses => "caisses",
        }
    }

    pub fn parse(code: &str) -> Option<Audience> {
        Audience::ALL.into_iter().find(|a| a.code() == code.trim())
    }

    /// The audience of a user, from their organisation.
    pub fn of(org_kind: crate::users::OrgKind) -> Audience {
        match org_kind {
            crate::users::OrgKind::Partner => Audience::Partenaires,
            _ => Audience::Caisses,
        }
    }

    /// The partition of its versions (the partners' is the historical `CGU`).
    fn pk(self) -> &'static str {
        match self {
            Audience::Partenaires => "CGU",
            Audience::Caisses => "CGU#caisses",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cgu {
    pub version: String,
    pub text: String,
    pub published_at: Timestamp,
    #[serde(default)]
    pub published_by: Option<String>,
    #[serde(default)]
    pub audience: Audience,
}

const CURRENT: &str = "CURRENT";

/// The CGU in force for `audience`, with its text. The current pointer holds the
/// version only (the session gate reads it on every request); the text is the
/// version's item. A pointer written before it was made small still holds the text.
pub async fn current(table: &dyn Table, audience: Audience) -> Result<Option<Cgu>, StoreError> {
    let Some(item) = table.get(audience.pk(), CURRENT).await? else {
        return Ok(None);
    };
    #[derive(Deserialize)]
    struct Pointer {
        version: String,
        #[serde(default)]
        text: Option<String>,
    }
    let pointer: Pointer = item.parse()?;
    if pointer.text.is_some() {
        return Ok(Some(item.parse()?));
    }
    match table
        .get(audience.pk(), &format!("V#{}", pointer.version))
        .await?
    {
        Some(item) => Ok(Some(item.parse()?)),
        None => Err(StoreError::Corrupt(format!(
            "{} / {CURRENT}: version {} not found",
            audience.pk(),
            pointer.version
        ))),
    }
}

/// The version of the CGU in force for `audience`, without its text.
pub async fn current_version(
    table: &dyn Table,
    audience: Audience,
) -> Result<Option<String>, StoreError> {
    match table.get(audience.pk(), CURRENT).await? {
        Some(item) => Ok(Some(version_of(&item)?)),
        None => Ok(None),
    }
}

/// The key of the CGU in force for `audience` (the session gate reads it with the
/// session).
pub fn current_key(audience: Audience) -> (String, String) {
    (audience.pk().to_owned(), CURRENT.to_owned())
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

/// Writes publishing `cgu`: the version (unique, with its text) and the current
/// pointer (its version only: a few bytes for the session gate to read).
pub fn publish_writes(cgu: &Cgu) -> Result<Vec<Write>, StoreError> {
    let pk = cgu.audience.pk();
    Ok(vec![
        Write::put(
            Item::from_record(pk, format!("V#{}", cgu.version), cgu)?,
            Cond::NotExists,
        ),
        Write::put(
            Item::from_record(
                pk,
                CURRENT,
                &serde_json::json!({
                    "version": cgu.version,
                    "published_at": cgu.published_at,
                    "audience": cgu.audience,
                }),
            )?,
            Cond::None,
        ),
    ])
}

/// The first version for `audience`, installed at bootstrap: the convention's rules
/// of use, written for the partners or for the caisses' staff.
pub fn initial(now: Timestamp, audience: Audience) -> Cgu {
    let text = match audience {
        Audience::Partenaires => include_str!("cgu-initiales.txt"),
        Audience::Caisses => include_str!("cgu-caisses-initiales.txt"),
    };
    Cgu {
        version: "2026-1".into(),
        text: text.trim().to_owned(),
        published_at: now,
        published_by: None,
        audience,
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::embedded::table::SqliteTable;

    #[tokio::test]
    async fn the_pointer_holds_the_version_and_the_text_is_read_from_the_version() {
        let table = SqliteTable::in_memory().unwrap();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut cgu = initial(now, Audience::Caisses);
        cgu.version = "2026-2".into();
        table.transact(publish_writes(&cgu).unwrap()).await.unwrap();
        let (pk, sk) = current_key(Audience::Caisses);
        let pointer = table.get(&pk, &sk).await.unwrap().unwrap();
        assert_eq!(version_of(&pointer).unwrap(), "2026-2");
        assert!(
            crate::item::item_size(pointer.attrs()) < 200,
            "the pointer read on every request stays small"
        );
        assert_eq!(current(&table, Audience::Caisses).await.unwrap(), Some(cgu));
        assert_eq!(
            current_version(&table, Audience::Caisses)
                .await
                .unwrap()
                .as_deref(),
            Some("2026-2")
        );
        assert_eq!(current(&table, Audience::Partenaires).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_pointer_written_with_its_text_is_still_read() {
        let table = SqliteTable::in_memory().unwrap();
        let cgu = initial(
            Timestamp::from_second(1_800_000_000).unwrap(),
            Audience::Partenaires,
        );
        let (pk, sk) = current_key(Audience::Partenaires);
        table
            .put(Item::from_record(pk, sk, &cgu).unwrap(), Cond::None)
            .await
            .unwrap();
        assert_eq!(
            current(&table, Audience::Partenaires).await.unwrap(),
            Some(cgu)
        );
    }
}
