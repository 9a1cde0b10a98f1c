//! Maintenance windows (convention §3.2): announced by the platform admin (every user)
//! or by a caisse (its agents and its partners' users). All the windows not yet ended
//! live in **one item** (`MAINTENANCE` / `WINDOWS`), which the session check reads in
//! its first round trip with the session: the banner and the 503 cost no store call.
//! Its size is bounded: at most `ep_domain::maintenance::MAX_PER_SCOPE` windows per
//! scope, messages of at most 500 characters, ended windows dropped at every write.
//!
//! What a window blocks while in force (the gate answers 503 with `Retry-After`):
//! - a platform window: every signed-in route of everyone but the platform admin;
//! - a caisse window: every signed-in route of that caisse's agents; for partner
//!   users, only what acts on that caisse (a new request to it, the actions and
//!   attachments of its requests: [`guard_caisse`]) — their other caisses stay usable.
//!
//! Routes with the gate `FullDuringMaintenance` (the windows' own management) and
//! those reachable with required actions pending (`/api/me`, the CGU, password,
//! sign-out) stay open, as do the public ones (sign-in, legal pages).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::http::Problem;
use crate::partners::{Caisse, Referent, caisse_key, conventions_of};
use crate::table::{Cond, Item, StoreError, Write};
use crate::users::{Role, User};
use ep_domain::maintenance::{in_force, retry_after};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub id: String,
    /// `None`: a platform window (everyone).
    #[serde(default)]
    pub caisse_id: Option<String>,
    /// The caisse's name when announced (for the banner of its partners' users).
    #[serde(default)]
    pub caisse_name: Option<String>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub message: String,
    pub announced_by: String,
    pub announced_at: Timestamp,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

impl Window {
    pub fn slot(&self) -> ep_domain::maintenance::Slot<'_> {
        ep_domain::maintenance::Slot {
            id: &self.id,
            caisse_id: self.caisse_id.as_deref(),
            start: self.start,
            end: self.end,
        }
    }
    pub fn in_force(&self, now: Timestamp) -> bool {
        in_force(self.start, self.end, now)
    }
}

/// The item holding every window not yet ended, and its version.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Windows {
    pub windows: Vec<Window>,
    #[serde(default)]
    pub v: u64,
}

pub fn windows_key() -> (String, String) {
    ("MAINTENANCE".to_owned(), "WINDOWS".to_owned())
}

impl Windows {
    /// From the item (absent: none), without the windows ended at `now`.
    pub fn from_item(item: Option<&Item>, now: Timestamp) -> Result<Windows, StoreError> {
        let mut w: Windows = match item {
            Some(i) => i.parse()?,
            None => Windows::default(),
        };
        w.windows.retain(|x| x.end > now);
        Ok(w)
    }

    pub async fn load(ctx: &Ctx) -> Result<Windows, StoreError> {
        let (pk, sk) = windows_key();
        let item = ctx.table.get(&pk, &sk).await?;
        Windows::from_item(item.as_ref(), ctx.now())
    }

    /// The write replacing the item, conditioned on the version read (a concurrent
    /// announcement makes it fail: 409).
    pub fn write(&self) -> Result<Write, StoreError> {
        let (pk, sk) = windows_key();
        let mut next = self.clone();
        next.windows.sort_by_key(|w| w.start);
        next.v = self.v + 1;
        let cond = if self.v == 0 {
            Cond::NotExists
        } else {
            Cond::VersionEquals(self.v)
        };
        Ok(Write::put(Item::from_record(pk, sk, &next)?, cond))
    }
}

/// The windows a user is concerned by (banner): the platform's for everyone; a
/// caisse's for its agents and for the users of partners conventioned with it
/// (`partner_caisses`); the admin sees every window.
pub fn concerning<'a>(
    user: &User,
    windows: &'a [Window],
    partner_caisses: &[String],
) -> Vec<&'a Window> {
    windows
        .iter()
        .filter(|w| match (&w.caisse_id, user.role) {
            (None, _) | (_, Role::Admin) => true,
            (Some(c), Role::Agent) => *c == user.org_id,
            (Some(c), _) => partner_caisses.contains(c),
        })
        .collect()
}

/// The window that blocks every route of `user` at `now`, if any: a platform window
/// for anyone but the admin, or the agent's own caisse's window.
pub fn blocking<'a>(user: &User, windows: &'a [Window], now: Timestamp) -> Option<&'a Window> {
    if user.role == Role::Admin {
        return None;
    }
    windows.iter().find(|w| {
        w.in_force(now)
            && match &w.caisse_id {
                None => true,
                Some(c) => user.role == Role::Agent && *c == user.org_id,
            }
    })
}

/// How to reach a caisse while the portal is unavailable (§3.2, §3.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub caisse: String,
    pub alt_contact: String,
    pub referents: Vec<Referent>,
}

/// What a 503 during a window says (problem+json member `maintenance`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unavailable {
    pub scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caisse: Option<String>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub message: String,
    pub contacts: Vec<Contact>,
}

/// The 503 answered during `window` to `user`, with `Retry-After` (seconds to the end),
/// the message and the contacts of the caisse(s) concerned: the window's caisse, else
/// the agent's own, else every caisse of the partner user (2 reads, only when blocked).
pub async fn unavailable(ctx: &Ctx, user: &User, window: &Window) -> Problem {
    let caisses: Vec<String> = match (&window.caisse_id, user.role) {
        (Some(c), _) => vec![c.clone()],
        (None, Role::Agent) => vec![user.org_id.clone()],
        (None, Role::Gestionnaire | Role::Technicien) => {
            match conventions_of(ctx.table.as_ref(), &user.org_id).await {
                Ok(cs) => cs.into_iter().map(|c| c.caisse_id).take(100).collect(),
                Err(_) => Vec::new(),
            }
        }
        (None, Role::Admin) => Vec::new(),
    };
    let keys: Vec<(String, String)> = caisses.iter().map(|c| caisse_key(c)).collect();
    let contacts = if keys.is_empty() {
        Vec::new()
    } else {
        match ctx.table.get_many(&keys).await {
            Ok(items) => items
                .into_iter()
                .flatten()
                .filter_map(|i| i.parse::<Caisse>().ok())
                .map(|c| Contact {
                    caisse: c.name,
                    alt_contact: c.alt_contact,
                    referents: c.referents,
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    };
    let now = ctx.now();
    let end = ep_domain::calendar::paris()
        .to_datetime(window.end)
        .strftime("%d/%m/%Y à %H:%M")
        .to_string();
    let who = match &window.caisse_name {
        Some(name) => format!("L'Espace Partenaires est interrompu par {name}"),
        None => "L'Espace Partenaires est interrompu".to_owned(),
    };
    let mut p = Problem::new(
        503,
        "maintenance.in_progress",
        "Maintenance en cours",
        format!(
            "{who} pour maintenance jusqu'au {end} (heure de Paris). Rien n'a été enregistré : réessayez après cette heure ; en cas d'urgence, contactez votre caisse par le canal indiqué."
        ),
    );
    p.retry_after = Some(retry_after(window.end, now));
    p.maintenance = serde_json::to_value(Unavailable {
        scope: if window.caisse_id.is_some() {
            "caisse"
        } else {
            "platform"
        },
        caisse: window.caisse_name.clone(),
        start: window.start,
        end: window.end,
        message: window.message.clone(),
        contacts,
    })
    .ok();
    p
}

/// For a partner user's action on `caisse_id` (a new request to it, an action or an
/// attachment on one of its requests): 503 while that caisse's window is in force.
pub async fn guard_caisse(
    ctx: &Ctx,
    authed: &crate::sessions::Authed,
    caisse_id: &str,
) -> Result<(), Problem> {
    let now = ctx.now();
    match authed
        .windows
        .iter()
        .find(|w| w.caisse_id.as_deref() == Some(caisse_id) && w.in_force(now))
    {
        Some(w) => Err(unavailable(ctx, &authed.user, w).await),
        None => Ok(()),
    }
}
