//! Caisses, partners and conventions (SPEC §2), and the records of the account
//! lifecycle (§3): habilitation, modification and inactivation requests, exclusion
//! notices, habilitation reviews. Keys:
//!
//! | item | pk | sk | gsi1 (pk / sk) | due |
//! |---|---|---|---|---|
//! | caisse | `CAISSE#<id>` | `PROFILE` | `CAISSES` / `<name>#<id>` | |
//! | partner | `PARTNER#<id>` | `PROFILE` | | |
//! | convention | `PARTNER#<pid>` | `CONV#<cid>` | `CAISSE#<cid>#PARTNERS` / `<name>#<pid>` | `DUE#convention_end` at its end date |
//! | habilitation request | `CAISSE#<cid>` | `HAB#<id>` | `CAISSE#<cid>#HAB#<state>` / `<due>#<id>` | `DUE#hab_overdue` while pending |
//! | modification request | `CAISSE#<cid>` | `MOD#<id>` | `CAISSE#<cid>#MOD#<state>` / `<received>#<id>` | |
//! | inactivation request | `CAISSE#<cid>` | `INACT#<id>` | `CAISSE#<cid>#INACT#<state>` / `<date>#<id>` | `DUE#inactivation` at the wanted date |
//! | exclusion notice | `PARTNER#<pid>` | `NOTICE#<ts>#<id>` | | |
//! | review | `PARTNER#<pid>` | `REVIEW#<cid>#<ts>` | | |
//!
//! Accounts are `users::User` (`org_id` = partner or caisse id); an inactive account
//! carries `due_pk = DUE#purge` until it is erased, 6 months after inactivation.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::table::{Cond, Item, StoreError, Table, Write};

pub const DUE_CONVENTION_END: &str = "DUE#convention_end";
pub const DUE_HAB_OVERDUE: &str = "DUE#hab_overdue";
pub const DUE_INACTIVATION: &str = "DUE#inactivation";
pub const DUE_PURGE: &str = "DUE#purge";
pub const DUE_PASSWORD_REMINDER: &str = "DUE#password_reminder";

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
    /// `active` | `suspended` (§4.1: a caisse may suspend the whole partner).
    pub status: String,
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
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let (pk, sk) = partner_key(&self.id);
        Item::from_record(pk, sk, self)
    }
    /// The put of a changed record, conditioned on the version read.
    pub fn update_write(&self) -> Result<(Write, Partner), StoreError> {
        let mut next = self.clone();
        next.v = self.v + 1;
        Ok((
            Write::put(next.to_item()?, Cond::VersionEquals(self.v)),
            next,
        ))
    }
    pub fn is_suspended(&self) -> bool {
        self.status == "suspended"
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Convention {
    pub partner_id: String,
    pub caisse_id: String,
    /// Partner name, copied for the caisse's list.
    pub partner_name: String,
    pub start: Date,
    #[serde(default)]
    pub end: Option<Date>,
    /// `active` | `ended` | `terminated`.
    pub state: String,
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
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let (pk, sk) = convention_key(&self.partner_id, &self.caisse_id);
        let mut item = Item::from_record(pk, sk, self)?
            .with("gsi1pk", caisse_partners_pk(&self.caisse_id))
            .with(
                "gsi1sk",
                format!("{}#{}", sort_name(&self.partner_name), self.partner_id),
            );
        if let (true, Some(end)) = (self.state == "active", self.end) {
            item.set("due_pk", DUE_CONVENTION_END);
            // Ends after its last day (end date inclusive), midnight UTC of the next day.
            let next = end.tomorrow().unwrap_or(end);
            item.set("due_at", format!("{next}T00:00:00Z"));
        }
        Ok(item)
    }
    pub fn update_write(&self) -> Result<(Write, Convention), StoreError> {
        let mut next = self.clone();
        next.v = self.v + 1;
        Ok((
            Write::put(next.to_item()?, Cond::VersionEquals(self.v)),
            next,
        ))
    }
    /// In force on `today` (state active, started, end date inclusive).
    pub fn is_active_on(&self, today: Date) -> bool {
        self.state == "active" && self.start <= today && self.end.is_none_or(|e| today <= e)
    }
}

/// The due-index key of the start of `day` in Paris (French deadlines are days).
pub fn paris_day_start(day: Date) -> Result<String, StoreError> {
    day.to_zoned_datetime(ep_domain::calendar::paris())
        .map(|z| crate::emails::ts_key(z.timestamp()))
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Lower-case, accent-free sort key for names.
pub fn sort_name(name: &str) -> String {
    ep_domain::text::fold(name)
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .take(60)
        .collect()
}

pub async fn get_caisse(table: &dyn Table, id: &str) -> Result<Option<Caisse>, StoreError> {
    let (pk, sk) = caisse_key(id);
    Ok(match table.get(&pk, &sk).await? {
        Some(i) => Some(i.parse()?),
        None => None,
    })
}

pub async fn get_partner(table: &dyn Table, id: &str) -> Result<Option<Partner>, StoreError> {
    let (pk, sk) = partner_key(id);
    Ok(match table.get(&pk, &sk).await? {
        Some(i) => Some(i.parse()?),
        None => None,
    })
}

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

/// Every convention of a partner (one per caisse).
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

/// A gestionnaire habilitation request (§2.2.1): recorded by a caisse agent or
/// submitted by an active gestionnaire; processed within 5 working days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HabilitationRequest {
    pub id: String,
    pub partner_id: String,
    pub partner_name: String,
    pub caisse_id: String,
    pub civilite: Option<String>,
    pub nom: String,
    pub prenom: String,
    pub fonction: Option<String>,
    pub telephone: Option<String>,
    pub email: String,
    pub received_at: Timestamp,
    /// Last day to process it (5 French working days).
    pub due_on: Date,
    /// `pending` | `approved` | `rejected`.
    pub state: String,
    pub submitted_by: String,
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
    #[serde(default)]
    pub decided_by: Option<String>,
    /// Rejection reason (checked free text).
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    /// Set once the overdue alert was emailed to the caisse's agents.
    #[serde(default)]
    pub overdue_alerted_at: Option<Timestamp>,
    pub v: u64,
}

pub fn habilitation_key(caisse_id: &str, id: &str) -> (String, String) {
    (format!("CAISSE#{caisse_id}"), format!("HAB#{id}"))
}

impl HabilitationRequest {
    /// While pending and not yet alerted, in the due index the day after its due date.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let (pk, sk) = habilitation_key(&self.caisse_id, &self.id);
        let mut item = Item::from_record(pk, sk, self)?
            .with(
                "gsi1pk",
                format!("CAISSE#{}#HAB#{}", self.caisse_id, self.state),
            )
            .with("gsi1sk", format!("{}#{}", self.due_on, self.id));
        if self.state == "pending" && self.overdue_alerted_at.is_none() {
            let after = self.due_on.tomorrow().unwrap_or(self.due_on);
            item.set("due_pk", DUE_HAB_OVERDUE);
            item.set("due_at", paris_day_start(after)?);
        }
        Ok(item)
    }
    pub fn update_write(&self) -> Result<(Write, HabilitationRequest), StoreError> {
        let mut next = self.clone();
        next.v = self.v + 1;
        Ok((
            Write::put(next.to_item()?, Cond::VersionEquals(self.v)),
            next,
        ))
    }
}

/// A change to a gestionnaire's name, function, phone or email, asked by the partner
/// and applied by the caisse (§2.2.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModificationRequest {
    pub id: String,
    pub partner_id: String,
    pub caisse_id: String,
    pub user_id: String,
    #[serde(default)]
    pub nom: Option<String>,
    #[serde(default)]
    pub prenom: Option<String>,
    #[serde(default)]
    pub fonction: Option<String>,
    #[serde(default)]
    pub telephone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub received_at: Timestamp,
    pub submitted_by: String,
    /// `pending` | `applied` | `rejected`.
    pub state: String,
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    pub v: u64,
}

pub fn modification_key(caisse_id: &str, id: &str) -> (String, String) {
    (format!("CAISSE#{caisse_id}"), format!("MOD#{id}"))
}

impl ModificationRequest {
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let (pk, sk) = modification_key(&self.caisse_id, &self.id);
        Ok(Item::from_record(pk, sk, self)?
            .with(
                "gsi1pk",
                format!("CAISSE#{}#MOD#{}", self.caisse_id, self.state),
            )
            .with(
                "gsi1sk",
                format!("{}#{}", crate::emails::ts_key(self.received_at), self.id),
            ))
    }
    pub fn update_write(&self) -> Result<(Write, ModificationRequest), StoreError> {
        let mut next = self.clone();
        next.v = self.v + 1;
        Ok((
            Write::put(next.to_item()?, Cond::VersionEquals(self.v)),
            next,
        ))
    }
}

/// A gestionnaire inactivation signalled by the partner at least 15 days ahead
/// (§2.2.3); the scheduler applies it on `wanted_on`, or an agent at once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InactivationRequest {
    pub id: String,
    pub partner_id: String,
    pub caisse_id: String,
    pub user_id: String,
    pub wanted_on: Date,
    /// Gestionnaire the techniciens are re-attached to (chosen when applied if none).
    #[serde(default)]
    pub successor_id: Option<String>,
    pub received_at: Timestamp,
    pub submitted_by: String,
    /// `scheduled` | `done` | `rejected` | `cancelled`.
    pub state: String,
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    pub v: u64,
}

pub fn inactivation_key(caisse_id: &str, id: &str) -> (String, String) {
    (format!("CAISSE#{caisse_id}"), format!("INACT#{id}"))
}

impl InactivationRequest {
    /// While scheduled, in the due index at the start of the wanted day (Paris).
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let (pk, sk) = inactivation_key(&self.caisse_id, &self.id);
        let mut item = Item::from_record(pk, sk, self)?
            .with(
                "gsi1pk",
                format!("CAISSE#{}#INACT#{}", self.caisse_id, self.state),
            )
            .with("gsi1sk", format!("{}#{}", self.wanted_on, self.id));
        if self.state == "scheduled" {
            item.set("due_pk", DUE_INACTIVATION);
            item.set("due_at", paris_day_start(self.wanted_on)?);
        }
        Ok(item)
    }
    pub fn update_write(&self) -> Result<(Write, InactivationRequest), StoreError> {
        let mut next = self.clone();
        next.v = self.v + 1;
        Ok((
            Write::put(next.to_item()?, Cond::VersionEquals(self.v)),
            next,
        ))
    }
}

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
