//! The requests a caisse processes about a partner's gestionnaires (§2.2): habilitation
//! (§2.2.1), modification (§2.2.2), inactivation (§2.2.3). They share one shape: an
//! id, the partner and the caisse, who submitted it and when, and a [`Decision`]
//! (typed state, who decided, when, why); each lives in its caisse's partition and is
//! listed through gsi1 by state (`CAISSE#<cid>#<KIND>#<state>`).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::record::Record;
use crate::table::{Item, StoreError};

use super::{DUE_HAB_OVERDUE, DUE_INACTIVATION, paris_day_start};

/// The states of one kind of request; the first of `ALL` is the open one.
pub trait RequestState:
    Copy + PartialEq + Serialize + DeserializeOwned + std::fmt::Debug + 'static
{
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
    fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.code() == code)
    }
    fn is_open(self) -> bool {
        Self::ALL.first() == Some(&self)
    }
}

macro_rules! states {
    ($(#[$m:meta])* $name:ident { $($v:ident => $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }
        impl RequestState for $name {
            const ALL: &'static [Self] = &[$($name::$v),+];
            fn code(self) -> &'static str {
                match self { $($name::$v => $code),+ }
            }
        }
    };
}

states!(
    /// A habilitation request: waiting, then a gestionnaire account is created or not.
    HabilitationState { Pending => "pending", Approved => "approved", Rejected => "rejected" }
);
states!(
    /// A modification request: waiting, then applied to the account or not.
    ModificationState { Pending => "pending", Applied => "applied", Rejected => "rejected" }
);
states!(
    /// An inactivation request: scheduled at its date, then done, rejected or cancelled.
    InactivationState {
        Scheduled => "scheduled",
        Done => "done",
        Rejected => "rejected",
        Cancelled => "cancelled",
    }
);

/// Where a request stands: its state and, once decided, by whom, when and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision<S> {
    pub state: S,
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
    #[serde(default)]
    pub decided_by: Option<String>,
    /// Rejection reason (checked free text) or the scheduler's reason code.
    #[serde(default)]
    pub reason: Option<String>,
}

impl<S: RequestState> Decision<S> {
    pub fn open() -> Self {
        Decision {
            state: S::ALL[0],
            decided_at: None,
            decided_by: None,
            reason: None,
        }
    }
}

/// What the three kinds share, so that queues, loading and deciding are written once.
pub trait CaisseRequest: Record + Serialize + DeserializeOwned {
    type State: RequestState;
    /// Sort-key prefix and gsi1 kind (`HAB`, `MOD`, `INACT`).
    const KIND: &'static str;
    /// Queue page size: the accounts a page names fit in one `get_many`.
    const PAGE: u32;
    fn id(&self) -> &str;
    fn partner_id(&self) -> &str;
    fn decision(&self) -> &Decision<Self::State>;
    fn decision_mut(&mut self) -> &mut Decision<Self::State>;

    /// The record decided (`state`, by, now, reason), to write with `update_write`.
    fn decided(&self, state: Self::State, by: &str, at: Timestamp, reason: Option<String>) -> Self {
        let mut next = self.clone();
        *next.decision_mut() = Decision {
            state,
            decided_at: Some(at),
            decided_by: Some(by.to_owned()),
            reason,
        };
        next
    }
    fn is_open(&self) -> bool {
        self.decision().state.is_open()
    }
    /// The accounts its queue card names (read at once for a whole page).
    fn people(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// The key of a request of kind `K` of a caisse.
pub fn request_key<K: CaisseRequest>(caisse_id: &str, id: &str) -> (String, String) {
    (format!("CAISSE#{caisse_id}"), format!("{}#{id}", K::KIND))
}

/// gsi1 partition of a caisse's requests of kind `K` in `state`.
pub fn queue_pk<K: CaisseRequest>(caisse_id: &str, state: K::State) -> String {
    format!("CAISSE#{caisse_id}#{}#{}", K::KIND, state.code())
}

/// The base item of a request: keys and its place in its caisse's queue.
fn request_item<K: CaisseRequest>(
    rec: &K,
    caisse_id: &str,
    order: String,
) -> Result<Item, StoreError> {
    let (pk, sk) = request_key::<K>(caisse_id, rec.id());
    Ok(Item::from_record(pk, sk, rec)?
        .with("gsi1pk", queue_pk::<K>(caisse_id, rec.decision().state))
        .with("gsi1sk", format!("{order}#{}", rec.id())))
}

macro_rules! caisse_request {
    ($t:ty, $state:ty, $kind:literal, $page:literal, |$r:ident| $people:expr) => {
        impl CaisseRequest for $t {
            type State = $state;
            const KIND: &'static str = $kind;
            const PAGE: u32 = $page;
            fn id(&self) -> &str {
                &self.id
            }
            fn partner_id(&self) -> &str {
                &self.partner_id
            }
            fn decision(&self) -> &Decision<$state> {
                &self.decision
            }
            fn decision_mut(&mut self) -> &mut Decision<$state> {
                &mut self.decision
            }
            fn people(&self) -> Vec<&str> {
                let $r = self;
                $people
            }
        }
        crate::versioned!($t);
    };
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
    pub submitted_by: String,
    #[serde(flatten)]
    pub decision: Decision<HabilitationState>,
    #[serde(default)]
    pub account_id: Option<String>,
    /// Set once the overdue alert was emailed to the caisse's agents.
    #[serde(default)]
    pub overdue_alerted_at: Option<Timestamp>,
    pub v: u64,
}

caisse_request!(
    HabilitationRequest,
    HabilitationState,
    "HAB",
    100,
    |r| vec![r.submitted_by.as_str()]
);

pub fn habilitation_key(caisse_id: &str, id: &str) -> (String, String) {
    request_key::<HabilitationRequest>(caisse_id, id)
}

impl HabilitationRequest {
    /// Listed by due date; while pending and not yet alerted, in the due index the
    /// day after its due date.
    fn item(&self) -> Result<Item, StoreError> {
        let mut item = request_item(self, &self.caisse_id, self.due_on.to_string())?;
        if self.decision.state == HabilitationState::Pending && self.overdue_alerted_at.is_none() {
            let after = self.due_on.tomorrow().unwrap_or(self.due_on);
            item.set("due_pk", DUE_HAB_OVERDUE);
            item.set("due_at", paris_day_start(after)?);
        }
        Ok(item)
    }
}

/// A change to a gestionnaire's name, function, phone or email, asked by the partner
/// and applied by the caisse (§2.2.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModificationRequest {
    pub id: String,
    pub partner_id: String,
    /// The structure's name when it asked, for the caisse's queue.
    #[serde(default)]
    pub partner_name: String,
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
    #[serde(flatten)]
    pub decision: Decision<ModificationState>,
    pub v: u64,
}

caisse_request!(ModificationRequest, ModificationState, "MOD", 50, |r| vec![
    r.user_id.as_str(),
    r.submitted_by.as_str()
]);

pub fn modification_key(caisse_id: &str, id: &str) -> (String, String) {
    request_key::<ModificationRequest>(caisse_id, id)
}

impl ModificationRequest {
    /// Listed by reception time.
    fn item(&self) -> Result<Item, StoreError> {
        request_item(
            self,
            &self.caisse_id,
            crate::table::ts_key(self.received_at),
        )
    }
}

/// A gestionnaire inactivation signalled by the partner at least 15 days ahead
/// (§2.2.3); the scheduler applies it on `wanted_on`, or an agent at once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InactivationRequest {
    pub id: String,
    pub partner_id: String,
    /// The structure's name when it signalled it, for the caisse's queue.
    #[serde(default)]
    pub partner_name: String,
    pub caisse_id: String,
    pub user_id: String,
    pub wanted_on: Date,
    /// Gestionnaire the techniciens are re-attached to (chosen when applied if none).
    #[serde(default)]
    pub successor_id: Option<String>,
    pub received_at: Timestamp,
    pub submitted_by: String,
    #[serde(flatten)]
    pub decision: Decision<InactivationState>,
    pub v: u64,
}

caisse_request!(InactivationRequest, InactivationState, "INACT", 33, |r| {
    let mut v = vec![r.user_id.as_str(), r.submitted_by.as_str()];
    v.extend(r.successor_id.as_deref());
    v
});

pub fn inactivation_key(caisse_id: &str, id: &str) -> (String, String) {
    request_key::<InactivationRequest>(caisse_id, id)
}

impl InactivationRequest {
    /// Listed by wanted date; while scheduled, in the due index at the start of the
    /// wanted day (Paris).
    fn item(&self) -> Result<Item, StoreError> {
        let mut item = request_item(self, &self.caisse_id, self.wanted_on.to_string())?;
        if self.decision.state == InactivationState::Scheduled {
            item.set("due_pk", DUE_INACTIVATION);
            item.set("due_at", paris_day_start(self.wanted_on)?);
        }
        Ok(item)
    }
}
