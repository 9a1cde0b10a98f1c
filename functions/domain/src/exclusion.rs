//! Exclusion of an account (§4.1), suspension of a partner, and the purge date of an
//! inactive account (SPEC §3 « Inactivation »), as pure functions.

use crate::calendar::paris_date;
use crate::lifecycle::{
    AccountView, LifecycleError, attached_techniciens, default_successor, find,
};
use crate::types::{AccountStatus, Profile};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

// ------------------------------------------------------------------- exclusion

/// Reason of an exclusion (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// Fraudulent use.
    Fraud,
    /// Lost credentials.
    Loss,
    /// Stolen credentials.
    Theft,
    /// Use not compliant with the convention or the CGU.
    NonCompliantUse,
}

impl ExclusionReason {
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            ExclusionReason::Fraud => "utilisation frauduleuse",
            ExclusionReason::Loss => "perte des identifiants",
            ExclusionReason::Theft => "vol des identifiants",
            ExclusionReason::NonCompliantUse => "utilisation non conforme",
        }
    }
}

/// What to apply for an exclusion (§4.1): immediate, sessions end, gestionnaires told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionPlan {
    /// Account inactivated now.
    pub account_id: String,
    /// Inactivation time (= `now`).
    pub inactivated_at: Timestamp,
    /// Always true: every session of the account ends at once.
    pub end_all_sessions: bool,
    /// Gestionnaires to inform by e-mail (the notice is kept as proof).
    pub notify_account_ids: Vec<String>,
    /// For an excluded gestionnaire: where its techniciens go (`None`: no other active one).
    pub reattach_to: Option<String>,
    /// Techniciens attached to an excluded gestionnaire.
    pub techniciens_to_reattach: Vec<String>,
    /// Purge date (inactivation + 6 months).
    pub purge_on: Date,
}

/// Plans an exclusion for fraud, loss or theft (§4.1), reported by the partner or
/// detected by the caisse. Unlike a manual inactivation it is immediate, with no
/// notice, and allowed even for the last gestionnaire.
///
/// **Recipients (decision)**: every active or pending gestionnaire of the partner
/// other than the excluded account; if there is none, the excluded gestionnaire's
/// own (professional, structure-owned) address, so the partner is always informed.
pub fn plan_exclusion(
    target_id: &str,
    accounts: &[AccountView],
    now: Timestamp,
) -> Result<ExclusionPlan, LifecycleError> {
    let target = find(accounts, target_id)?;
    if target.status == AccountStatus::Inactive {
        return Err(LifecycleError::AlreadyInactive);
    }
    let mut notify: Vec<String> = accounts
        .iter()
        .filter(|a| {
            a.id != target.id
                && a.partner_id == target.partner_id
                && a.profile == Profile::Gestionnaire
                && a.status.counts_for_quota()
        })
        .map(|a| a.id.clone())
        .collect();
    if notify.is_empty() && target.profile == Profile::Gestionnaire {
        notify.push(target.id.clone());
    }
    let (reattach_to, techniciens_to_reattach) = if target.profile == Profile::Gestionnaire {
        (
            default_successor(accounts, target).map(|s| s.id.clone()),
            attached_techniciens(accounts, target),
        )
    } else {
        (None, Vec::new())
    };
    Ok(ExclusionPlan {
        account_id: target.id.clone(),
        inactivated_at: now,
        end_all_sessions: true,
        notify_account_ids: notify,
        reattach_to,
        techniciens_to_reattach,
        purge_on: purge_date(paris_date(now)),
    })
}

// ------------------------------------------------------------------ suspension

/// Effect of a caisse suspending a whole partner (§4.1 last bullet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspensionEffect {
    /// Accounts whose sessions end at once (all non-inactive accounts of the partner).
    pub end_sessions_of: Vec<String>,
}

/// Suspension: the partner's status becomes `suspended`, every session of its
/// accounts ends, and no request can be made or answered by the partner
/// ([`crate::requests::may_use`]). Account statuses are **not** changed (the
/// suspension is reversible and does not start the 6-month purge).
pub fn suspension_effect(partner_id: &str, accounts: &[AccountView]) -> SuspensionEffect {
    SuspensionEffect {
        end_sessions_of: accounts
            .iter()
            .filter(|a| a.partner_id == partner_id && a.status != AccountStatus::Inactive)
            .map(|a| a.id.clone())
            .collect(),
    }
}

// ----------------------------------------------------------------------- purge

/// Months after inactivation before automatic deletion (§2.2.3).
pub const PURGE_AFTER_MONTHS: i64 = 6;

/// Deletion day of an account inactivated on `inactivated_on`: 6 calendar months
/// later, clamped to the end of shorter months (2026-08-31 → 2027-02-28).
pub fn purge_date(inactivated_on: Date) -> Date {
    inactivated_on
        .checked_add(PURGE_AFTER_MONTHS.months())
        .unwrap_or(Date::MAX)
}

/// True on and after the deletion day.
pub fn is_purge_due(inactivated_on: Date, today: Date) -> bool {
    today >= purge_date(inactivated_on)
}

/// [`purge_date`] of an inactivation time (its Europe/Paris date).
pub fn purge_date_at(inactivated_at: Timestamp) -> Date {
    purge_date(paris_date(inactivated_at))
}
