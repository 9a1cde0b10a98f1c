//! Requests made for an assuré (SPEC §4): the record, its thread, and the small
//! "index items" every list reads — the data layout of README « Data layout:
//! requests ». Shared by the requests function (which writes them) and the
//! maintenance function (which deletes them at the end of their retention).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | request | `REQUEST#<id>` | `META` (in the due index `DUE#request_purge` once closed) |
//! | thread entry | `REQUEST#<id>` | `MSG#<nnn>` |
//! | reference guard | `REFERENCE#<ref>` | `REFERENCE` |
//! | partner history | `PREQ#<partner>[#S#<state>\|#T#<type>\|#C#<caisse>\|#N#<prefix>]` | `<created>#<id>` |
//! | caisse queue | `CQ#<caisse>#<state>[#T#<type>\|#P#<partner>\|#A#<agent\|none>]` | `<created>#<id>` |
//! | counts | `CAISSE#<caisse>` | `REQCOUNTS` |
//!
//! Index items hold a [`Summary`] (the row of a list); they are rewritten in the
//! transaction of every change of the request.

use std::collections::BTreeSet;

use ep_domain::requests::RequestState;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::table::{Cond, Item, StoreError, Write, ts_key};

/// Due-index partition of closed requests to delete at the end of their retention.
pub const DUE_REQUEST_PURGE: &str = "DUE#request_purge";
/// Sort key of the request record in its partition.
pub const META: &str = "META";
/// Sort-key prefix of the thread entries.
pub const MSG_PREFIX: &str = "MSG#";

/// The assuré, as stored (§5: never the NIR).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssureRecord {
    /// `madame` | `monsieur`.
    pub civilite: String,
    pub nom: String,
    pub prenom: String,
    /// ISO date.
    pub date_naissance: Date,
    pub departement: String,
}

/// Which side an actor is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Partner,
    Caisse,
}

/// One state change: the new state, who and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateEvent {
    pub at: Timestamp,
    pub actor_id: String,
    pub actor_name: String,
    pub actor_side: Side,
    pub state: RequestState,
}

/// The request record (`REQUEST#<id>` / `META`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub id: String,
    /// Short reference read over the phone (`D7K-4M2Q`), unique.
    pub reference: String,
    pub partner_id: String,
    pub partner_name: String,
    pub caisse_id: String,
    pub caisse_name: String,
    /// Functionality code (`contact`, `dossier`, …).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub sous_type: Option<String>,
    pub assure: AssureRecord,
    /// Rendez-vous: `accueil` | `telephone` | `visio`.
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub disponibilites: Option<String>,
    /// Document requests: `portal` | `post`, from the partner's category when made.
    #[serde(default)]
    pub delivery_mode: Option<String>,
    /// Document sent by post (« envoyé par courrier le … »).
    #[serde(default)]
    pub posted_on: Option<Date>,
    /// Document requests delivered through the portal: ids of the documents the
    /// caisse attached (checked safe) when it answered.
    #[serde(default)]
    pub answer_documents: Vec<String>,
    pub state: RequestState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default)]
    pub closed_at: Option<Timestamp>,
    pub submitted_by: String,
    pub submitted_by_name: String,
    #[serde(default)]
    pub assigned_to: Option<String>,
    #[serde(default)]
    pub assigned_to_name: Option<String>,
    /// Every state change, oldest first (the first is `submitted`).
    pub events: Vec<StateEvent>,
    /// Number of thread entries (`MSG#001` … ).
    pub thread_len: u32,
    pub v: u64,
}

/// A row of a list: what an index item holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub reference: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub sous_type: Option<String>,
    pub state: RequestState,
    pub caisse_id: String,
    pub caisse_name: String,
    pub partner_id: String,
    pub partner_name: String,
    pub assure: AssureRecord,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub submitted_by_name: String,
    #[serde(default)]
    pub assigned_to: Option<String>,
    #[serde(default)]
    pub assigned_to_name: Option<String>,
}

/// One entry of the thread (`REQUEST#<id>` / `MSG#<nnn>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadEntry {
    pub seq: u32,
    pub at: Timestamp,
    pub author_id: String,
    pub author_name: String,
    pub author_side: Side,
    /// `request` (the original message), `message`, `info_request`, `reply`, `answer`.
    pub kind: String,
    pub text: String,
}

/// The side `user` sees `rec` from: a user of its partner, or an agent of the caisse
/// it is addressed to. Anyone else does not see it (404).
pub fn side_of(user: &crate::users::User, rec: &RequestRecord) -> Option<Side> {
    use crate::users::Role;
    match user.role {
        Role::Gestionnaire | Role::Technicien if user.org_id == rec.partner_id => {
            Some(Side::Partner)
        }
        Role::Agent if user.org_id == rec.caisse_id => Some(Side::Caisse),
        _ => None,
    }
}

pub fn request_pk(id: &str) -> String {
    format!("REQUEST#{id}")
}

pub fn msg_sk(seq: u32) -> String {
    format!("{MSG_PREFIX}{seq:03}")
}

pub fn reference_key(reference: &str) -> (String, String) {
    (format!("REFERENCE#{reference}"), "REFERENCE".to_owned())
}

pub fn counts_key(caisse_id: &str) -> (String, String) {
    (format!("CAISSE#{caisse_id}"), "REQCOUNTS".to_owned())
}

/// The partner's history partition, optionally narrowed by one filter
/// (`S#<state>`, `T#<type>`, `C#<caisse>`, `N#<prefix>`).
pub fn history_pk(partner_id: &str, filter: Option<&str>) -> String {
    match filter {
        Some(f) => format!("PREQ#{partner_id}#{f}"),
        None => format!("PREQ#{partner_id}"),
    }
}

/// Key of the partner's history stamp: a random value rewritten by every write to
/// the partner's history partitions (in the same transaction), so that a page kept
/// in memory can be served again as long as the stamp it was built under is still
/// the stored one (`ep_requests`' page cache).
pub fn history_stamp_key(partner_id: &str) -> (String, String) {
    (format!("PREQV#{partner_id}"), "STAMP".to_owned())
}

/// The write renewing the partner's history stamp.
pub fn history_stamp_write(partner_id: &str) -> Write {
    let (pk, sk) = history_stamp_key(partner_id);
    Write::put(
        Item::new(pk, sk).with("stamp", crate::ids::new_id()),
        Cond::None,
    )
}

/// The partner's current history stamp (none before its first request).
pub async fn history_stamp(
    table: &dyn crate::table::Table,
    partner_id: &str,
) -> Result<Option<String>, StoreError> {
    let (pk, sk) = history_stamp_key(partner_id);
    Ok(table
        .get(&pk, &sk)
        .await?
        .and_then(|item| item.get_str("stamp").map(str::to_owned)))
}

/// The caisse's queue partition for `state`, optionally narrowed by one filter
/// (`T#<type>`, `P#<partner>`, `A#<agent id or none>`).
pub fn queue_pk(caisse_id: &str, state: RequestState, filter: Option<&str>) -> String {
    match filter {
        Some(f) => format!("CQ#{caisse_id}#{}#{f}", state.code()),
        None => format!("CQ#{caisse_id}#{}", state.code()),
    }
}

impl RequestRecord {
    /// Sort key of every index item: creation time, then id.
    pub fn index_sk(&self) -> String {
        format!("{}#{}", ts_key(self.created_at), self.id)
    }

    pub fn summary(&self) -> Summary {
        Summary {
            id: self.id.clone(),
            reference: self.reference.clone(),
            kind: self.kind.clone(),
            sous_type: self.sous_type.clone(),
            state: self.state,
            caisse_id: self.caisse_id.clone(),
            caisse_name: self.caisse_name.clone(),
            partner_id: self.partner_id.clone(),
            partner_name: self.partner_name.clone(),
            assure: self.assure.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            submitted_by_name: self.submitted_by_name.clone(),
            assigned_to: self.assigned_to.clone(),
            assigned_to_name: self.assigned_to_name.clone(),
        }
    }

    /// Partition keys of every index item of this request in its current state.
    pub fn index_pks(&self) -> BTreeSet<String> {
        let p = &self.partner_id;
        let mut out = BTreeSet::new();
        out.insert(history_pk(p, None));
        out.insert(history_pk(p, Some(&format!("S#{}", self.state.code()))));
        out.insert(history_pk(p, Some(&format!("T#{}", self.kind))));
        out.insert(history_pk(p, Some(&format!("C#{}", self.caisse_id))));
        for prefix in ep_domain::request_form::name_prefixes(&self.assure.nom, &self.assure.prenom)
        {
            out.insert(history_pk(p, Some(&format!("N#{prefix}"))));
        }
        let (c, s) = (&self.caisse_id, self.state);
        out.insert(queue_pk(c, s, None));
        out.insert(queue_pk(c, s, Some(&format!("T#{}", self.kind))));
        out.insert(queue_pk(c, s, Some(&format!("P#{p}"))));
        let assignee = self.assigned_to.as_deref().unwrap_or("none");
        out.insert(queue_pk(c, s, Some(&format!("A#{assignee}"))));
        out
    }

    /// The record's item; once closed, in the due index at the end of its retention.
    pub fn to_item(&self, retention_months: i64) -> Result<Item, StoreError> {
        let mut item = Item::from_record(request_pk(&self.id), META, self)?;
        if let Some(closed) = self.closed_at {
            item.set("due_pk", DUE_REQUEST_PURGE);
            item.set("due_at", ts_key(purge_at(closed, retention_months)));
        }
        Ok(item)
    }

    /// The writes that bring the index items from `before` (none for a new request)
    /// to this record: the items of keys that no longer apply are deleted, every
    /// other one is (re)written with the new summary; the partner's history stamp
    /// is renewed.
    pub fn index_writes(&self, before: Option<&RequestRecord>) -> Result<Vec<Write>, StoreError> {
        let sk = self.index_sk();
        let now = self.index_pks();
        let mut writes = Vec::new();
        if let Some(old) = before {
            for pk in old.index_pks().difference(&now) {
                writes.push(Write::delete(pk.clone(), old.index_sk(), Cond::None));
            }
        }
        writes.push(history_stamp_write(&self.partner_id));
        let summary = self.summary();
        for pk in now {
            writes.push(Write::put(
                Item::from_record(pk, sk.clone(), &summary)?,
                Cond::None,
            ));
        }
        Ok(writes)
    }

    /// The writes deleting everything of this request but its thread entries and
    /// counts: the record, the index items, the reference guard; the partner's
    /// history stamp is renewed.
    pub fn delete_writes(&self) -> Vec<Write> {
        let sk = self.index_sk();
        let mut writes = vec![Write::delete(
            request_pk(&self.id),
            META,
            Cond::VersionEquals(self.v),
        )];
        for pk in self.index_pks() {
            writes.push(Write::delete(pk, sk.clone(), Cond::None));
        }
        let (rpk, rsk) = reference_key(&self.reference);
        writes.push(Write::delete(rpk, rsk, Cond::None));
        writes.push(history_stamp_write(&self.partner_id));
        writes
    }
}

/// When a request closed at `closed` is deleted: `retention_months` later.
pub fn purge_at(closed: Timestamp, retention_months: i64) -> Timestamp {
    closed
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .checked_add(jiff::Span::new().months(retention_months))
        .map(|z| z.timestamp())
        .unwrap_or(closed)
}

/// Requests per state of one caisse, kept in the transaction of every change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    #[serde(default)]
    pub submitted: i64,
    #[serde(default)]
    pub in_progress: i64,
    #[serde(default)]
    pub info_requested: i64,
    #[serde(default)]
    pub answered: i64,
    #[serde(default)]
    pub closed: i64,
    /// Version; 0 while the item does not exist.
    #[serde(default)]
    pub v: u64,
}

impl Counts {
    fn slot(&mut self, s: RequestState) -> &mut i64 {
        match s {
            RequestState::Submitted => &mut self.submitted,
            RequestState::InProgress => &mut self.in_progress,
            RequestState::InfoRequested => &mut self.info_requested,
            RequestState::Answered => &mut self.answered,
            RequestState::Closed => &mut self.closed,
        }
    }

    /// The write moving one request from `from` (none: a new request) to `to`
    /// (none: a purged request), conditioned on the version read.
    pub fn moved(
        &self,
        caisse_id: &str,
        from: Option<RequestState>,
        to: Option<RequestState>,
    ) -> Result<Write, StoreError> {
        let mut next = self.clone();
        if let Some(f) = from {
            let n = next.slot(f);
            *n = (*n - 1).max(0);
        }
        if let Some(t) = to {
            *next.slot(t) += 1;
        }
        let cond = if self.v == 0 {
            Cond::NotExists
        } else {
            Cond::VersionEquals(self.v)
        };
        next.v = self.v + 1;
        let (pk, sk) = counts_key(caisse_id);
        Ok(Write::put(Item::from_record(pk, sk, &next)?, cond))
    }
}

/// The counts of a caisse (zero when it never had a request).
pub async fn counts(
    table: &dyn crate::table::Table,
    caisse_id: &str,
) -> Result<Counts, StoreError> {
    let (pk, sk) = counts_key(caisse_id);
    Ok(match table.get(&pk, &sk).await? {
        Some(i) => i.parse()?,
        None => Counts::default(),
    })
}

/// A request with everything in its partition.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub record: RequestRecord,
    pub thread: Vec<ThreadEntry>,
    pub attachments: Vec<crate::attachments::AttachmentRecord>,
}

/// A request, its thread and its attachments, read with one query of its partition.
pub async fn load_full(
    table: &dyn crate::table::Table,
    id: &str,
) -> Result<Option<Loaded>, StoreError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let q = crate::table::Query::new(crate::table::Index::Table, request_pk(id))
        .limit(ep_domain::request_form::THREAD_MAX as u32 + 32);
    let items = table.query_all(&q).await?;
    let mut record = None;
    let mut thread = Vec::new();
    let mut attachments = Vec::new();
    for item in &items {
        if item.sk() == META {
            record = Some(item.parse::<RequestRecord>()?);
        } else if item.sk().starts_with(MSG_PREFIX) {
            thread.push(item.parse::<ThreadEntry>()?);
        } else if item.sk().starts_with(crate::attachments::ATT_PREFIX) {
            attachments.push(item.parse()?);
        }
    }
    thread.sort_by_key(|t| t.seq);
    Ok(record.map(|record| Loaded {
        record,
        thread,
        attachments,
    }))
}

/// A request and its thread, read with one query of its partition.
pub async fn load(
    table: &dyn crate::table::Table,
    id: &str,
) -> Result<Option<(RequestRecord, Vec<ThreadEntry>)>, StoreError> {
    Ok(load_full(table, id).await?.map(|l| (l.record, l.thread)))
}
