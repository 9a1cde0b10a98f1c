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

pub async fn current(table: &dyn Table, audience: Audience) -> Result<Option<Cgu>, StoreError> {
    match table.get(audience.pk(), CURRENT).await? {
        Some(item) => Ok(Some(item.parse()?)),
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

/// Writes publishing `cgu`: the version (unique) and the current pointer.
pub fn publish_writes(cgu: &Cgu) -> Result<Vec<Write>, StoreError> {
    let pk = cgu.audience.pk();
    Ok(vec![
        Write::put(
            Item::from_record(pk, format!("V#{}", cgu.version), cgu)?,
            Cond::NotExists,
        ),
        Write::put(Item::from_record(pk, CURRENT, cgu)?, Cond::None),
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
