//! Caisses, partners and conventions (SPEC §2), and the records of the account
//! lifecycle (§3): habilitation, modification and inactivation requests, exclusion
//! notices, habilitation reviews. Keys:
//!
//! | item | pk | sk | gsi1 (pk / sk) | due |
//! |---|---|---|---|---|
//! | caisse | `CAISSE#<id>` | `PROFILE` | `CAISSES` / `<name>#<id>` | |
//! | partner | `PARTNER#<id>` | `PROFILE` | | |
//! | SIRET uniqueness (`partner_id`) | `SIRET#<siret>` | `PARTNER` | | |
//! | convention | `PARTNER#<pid>` | `CONV#<cid>` | `CAISSE#<cid>#PARTNERS` / `<name>#<pid>` | `DUE#convention_end` at its end date |
//! | habilitation request | `CAISSE#<cid>` | `HAB#<id>` | `CAISSE#<cid>#HAB#<state>` / `<due>#<id>` | `DUE#hab_overdue` while pending |
//! | modification request | `CAISSE#<cid>` | `MOD#<id>` | `CAISSE#<cid>#MOD#<state>` / `<received>#<id>` | |
//! | inactivation request | `CAISSE#<cid>` | `INACT#<id>` | `CAISSE#<cid>#INACT#<state>` / `<date>#<id>` | `DUE#inactivation` at the wanted date |
//! | exclusion notice | `PARTNER#<pid>` | `NOTICE#<ts>#<id>` | | |
//! | review | `PARTNER#<pid>` | `REVIEW#<cid>#<ts>` | | |
//!
//! Accounts are `users::User` (`org_id` = partner or caisse id); an inactive account
//! carries `due_pk = DUE#purge` until it is erased, 6 months after inactivation.

use jiff::civil::Date;

use crate::table::StoreError;

pub const DUE_CONVENTION_END: &str = "DUE#convention_end";
pub const DUE_HAB_OVERDUE: &str = "DUE#hab_overdue";
pub const DUE_INACTIVATION: &str = "DUE#inactivation";
pub const DUE_PURGE: &str = "DUE#purge";
pub const DUE_PASSWORD_REMINDER: &str = "DUE#password_reminder";

mod caisse;
mod convention;
mod notices;
mod partner;
mod requests;

pub use caisse::*;
pub use convention::*;
pub use notices::*;
pub use partner::*;
pub use requests::*;

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
