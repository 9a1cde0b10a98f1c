//! Single-use emailed links (account creation, password reset). Only the token's
//! hash is stored; a link is used at most once and expires after `link_ttl_hours`.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::emails::ts_key;
use crate::ids::{new_token, token_hash};
use crate::table::{Cond, Item, StoreError, Table, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Activation,
    Reset,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkToken {
    pub user_id: String,
    pub purpose: Purpose,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    #[serde(default)]
    pub used_at: Option<Timestamp>,
    pub v: u64,
}

/// Due-index partition of link tokens to clean up after expiry.
pub const DUE_TOKEN: &str = "DUE#token";

fn key(hash: &str) -> (String, String) {
    (format!("TOKEN#{hash}"), "TOKEN".to_owned())
}

/// A new link token for `user_id`: the token to put in the link, and the write.
pub fn issue(
    user_id: &str,
    purpose: Purpose,
    now: Timestamp,
    ttl_hours: i64,
) -> Result<(String, Write), StoreError> {
    let token = new_token();
    let expires_at = now + SignedDuration::from_hours(ttl_hours);
    let rec = LinkToken {
        user_id: user_id.to_owned(),
        purpose,
        created_at: now,
        expires_at,
        used_at: None,
        v: 1,
    };
    let (pk, sk) = key(&token_hash(&token));
    // Kept a week after expiry so that a late click still says "expired".
    let item = Item::from_record(pk, sk, &rec)?
        .with("due_pk", DUE_TOKEN)
        .with(
            "due_at",
            ts_key(expires_at + SignedDuration::from_hours(24 * 7)),
        );
    Ok((token, Write::put(item, Cond::NotExists)))
}

/// What a presented token is worth.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    Valid(LinkToken),
    Used,
    Expired,
    Invalid,
}

pub async fn lookup(
    table: &dyn Table,
    token: &str,
    purpose: Option<Purpose>,
    now: Timestamp,
) -> Result<Lookup, StoreError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(Lookup::Invalid);
    }
    let (pk, sk) = key(&token_hash(token));
    let Some(item) = table.get(&pk, &sk).await? else {
        return Ok(Lookup::Invalid);
    };
    let rec: LinkToken = item.parse()?;
    if purpose.is_some_and(|p| p != rec.purpose) {
        return Ok(Lookup::Invalid);
    }
    if rec.used_at.is_some() {
        return Ok(Lookup::Used);
    }
    if now > rec.expires_at {
        return Ok(Lookup::Expired);
    }
    Ok(Lookup::Valid(rec))
}

/// The write marking a valid token used (fails the transaction if it was used
/// concurrently).
pub fn consume(token: &str, rec: &LinkToken, now: Timestamp) -> Write {
    let (pk, sk) = key(&token_hash(token));
    Write::Update {
        pk,
        sk,
        set: serde_json::Map::from_iter([
            ("used_at".to_owned(), serde_json::json!(now)),
            ("v".to_owned(), serde_json::json!(rec.v + 1)),
        ]),
        remove: vec![],
        cond: Cond::VersionEquals(rec.v),
    }
}
