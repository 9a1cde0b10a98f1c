//! Account lifecycle decisions (SPEC §3 « Inactivation », convention §2.2.3 and
//! §4.1), as pure functions over plain input structs. Handlers load the data,
//! call these, then apply the returned plan.

use crate::error::FieldError;
use crate::types::{AccountStatus, ConventionState, Functionality, Profile};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

pub use crate::password::{
    PasswordConfig, is_password_expired, is_reminder_due, password_expires_at, password_reminder_at,
};

/// A partner account as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// Account id.
    pub id: String,
    /// Its partner.
    pub partner_id: String,
    /// Gestionnaire or technicien.
    pub profile: Profile,
    /// Status.
    pub status: AccountStatus,
    /// Creation time.
    pub created_at: Timestamp,
    /// For a technicien: the gestionnaire it is attached to (its creator at first).
    pub attached_to: Option<String>,
}

/// A convention between the partner and one caisse (SPEC §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConventionView {
    /// The caisse.
    pub caisse_id: String,
    /// State.
    pub state: ConventionState,
    /// First day.
    pub start: Date,
    /// Last day included, if any.
    pub end: Option<Date>,
    /// Functionalities the caisse enabled (§1.2).
    pub functionalities: Vec<Functionality>,
}

impl ConventionView {
    /// In force on `today`: state `active` and `start <= today <= end` (end inclusive).
    pub fn is_active_on(&self, today: Date) -> bool {
        self.state == ConventionState::Active
            && self.start <= today
            && self.end.is_none_or(|e| today <= e)
    }
}

/// Why a lifecycle action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// Unknown account (or of another partner: answer 404).
    #[error("Ce compte est introuvable.")]
    AccountNotFound,
    /// The account is not of the expected profile.
    #[error("Ce compte n'est pas un compte {expected}.")]
    WrongProfile {
        /// Expected profile label (lower-case French).
        expected: &'static str,
    },
    /// Already inactive.
    #[error("Ce compte est déjà inactif.")]
    AlreadyInactive,
    /// Less than 15 days' notice (§2.2.3).
    #[error(
        "L'inactivation d'un compte gestionnaire doit être signalée au moins {notice_days} jours avant la date souhaitée : la date la plus proche possible est le {}.",
        fr_date(*earliest)
    )]
    NoticeTooShort {
        /// Required notice in days.
        notice_days: i64,
        /// Earliest acceptable inactivation date.
        earliest: Date,
    },
    /// Never the last active gestionnaire (§2.2.3).
    #[error(
        "Ce compte est le dernier gestionnaire actif de la structure : il ne peut pas être inactivé. Le partenaire doit d'abord communiquer les coordonnées d'un nouveau gestionnaire."
    )]
    LastActiveGestionnaire,
    /// The chosen successor is not an active gestionnaire of the partner.
    #[error(
        "Le gestionnaire de rattachement choisi n'est pas un gestionnaire actif de la structure."
    )]
    InvalidSuccessor,
    /// Only an active gestionnaire of the same partner may manage techniciens (§2.2.3).
    #[error("Seul un gestionnaire actif de la structure peut gérer les comptes techniciens.")]
    NotAllowed,
}

impl LifecycleError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            LifecycleError::AccountNotFound => "account.not_found",
            LifecycleError::WrongProfile { .. } => "account.wrong_profile",
            LifecycleError::AlreadyInactive => "account.already_inactive",
            LifecycleError::NoticeTooShort { .. } => "inactivation.notice_too_short",
            LifecycleError::LastActiveGestionnaire => "inactivation.last_gestionnaire",
            LifecycleError::InvalidSuccessor => "inactivation.invalid_successor",
            LifecycleError::NotAllowed => "account.not_allowed",
        }
    }
}

impl From<LifecycleError> for FieldError {
    fn from(e: LifecycleError) -> FieldError {
        let field = match e {
            LifecycleError::NoticeTooShort { .. } => "date_inactivation",
            LifecycleError::InvalidSuccessor => "gestionnaire_rattachement",
            _ => "compte",
        };
        FieldError::new(field, e.code(), e.to_string())
    }
}

fn fr_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

// ---------------------------------------------------------------- convention end

/// What to do when a convention ends (§2.2.3 « En fin de convention »).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ConventionEndDecision {
    /// No other active convention: every account of the partner becomes inactive.
    InactivateAllAccounts,
    /// Other caisses remain: only access to this caisse is removed.
    RemoveCaisseAccess {
        /// The caisse whose convention ended.
        caisse_id: String,
    },
}

/// Decision at the end of the convention with `ended_caisse_id`, given all the
/// partner's conventions, on `today` (conventions ending together all count as
/// ended, so they lead to `InactivateAllAccounts`).
pub fn on_convention_end(
    ended_caisse_id: &str,
    conventions: &[ConventionView],
    today: Date,
) -> ConventionEndDecision {
    let others_active = conventions
        .iter()
        .any(|c| c.caisse_id != ended_caisse_id && c.is_active_on(today));
    if others_active {
        ConventionEndDecision::RemoveCaisseAccess {
            caisse_id: ended_caisse_id.to_string(),
        }
    } else {
        ConventionEndDecision::InactivateAllAccounts
    }
}

// ------------------------------------------------------ gestionnaire inactivation

/// Notice for a gestionnaire inactivation, calendar days (§2.2.3).
pub const GESTIONNAIRE_NOTICE_DAYS: i64 = 15;

/// A gestionnaire inactivation signalled by the partner to the caisse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GestionnaireInactivationRequest<'a> {
    /// The gestionnaire to inactivate.
    pub target_id: &'a str,
    /// Day the partner signalled it.
    pub signalled_on: Date,
    /// Wanted inactivation day.
    pub wanted_on: Date,
    /// Gestionnaire to re-attach the techniciens to; `None` = default choice.
    pub successor_id: Option<&'a str>,
    /// All accounts of the partner.
    pub accounts: &'a [AccountView],
}

/// What to apply for an accepted gestionnaire inactivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GestionnaireInactivationPlan {
    /// Account to inactivate.
    pub target_id: String,
    /// Day it becomes inactive.
    pub effective_on: Date,
    /// Gestionnaire the techniciens are re-attached to.
    pub reattach_to: String,
    /// Techniciens (not inactive) attached to the target, which stay active.
    pub techniciens_to_reattach: Vec<String>,
}

pub(crate) fn find<'a>(
    accounts: &'a [AccountView],
    id: &str,
) -> Result<&'a AccountView, LifecycleError> {
    accounts
        .iter()
        .find(|a| a.id == id)
        .ok_or(LifecycleError::AccountNotFound)
}

/// The default successor: the **most recently created** other active gestionnaire
/// of the partner (« rattachés au nouveau gestionnaire », §2.2.3); ties by id.
pub(crate) fn default_successor<'a>(
    accounts: &'a [AccountView],
    target: &AccountView,
) -> Option<&'a AccountView> {
    accounts
        .iter()
        .filter(|a| {
            a.id != target.id
                && a.partner_id == target.partner_id
                && a.profile == Profile::Gestionnaire
                && a.status == AccountStatus::Active
        })
        .max_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| b.id.cmp(&a.id))
        })
}

pub(crate) fn attached_techniciens(accounts: &[AccountView], target: &AccountView) -> Vec<String> {
    accounts
        .iter()
        .filter(|a| {
            a.profile == Profile::Technicien
                && a.partner_id == target.partner_id
                && a.status != AccountStatus::Inactive
                && a.attached_to.as_deref() == Some(target.id.as_str())
        })
        .map(|a| a.id.clone())
        .collect()
}

/// Decides a manual gestionnaire inactivation (§2.2.3): at least 15 days' notice,
/// never the last active gestionnaire (another **active** one must exist —
/// a pending one does not count until it has set its password), techniciens
/// re-attached to the chosen successor or, by default, the most recent other
/// active gestionnaire. Call again on the effective day before applying.
pub fn decide_gestionnaire_inactivation(
    req: &GestionnaireInactivationRequest<'_>,
) -> Result<GestionnaireInactivationPlan, LifecycleError> {
    let target = find(req.accounts, req.target_id)?;
    if target.profile != Profile::Gestionnaire {
        return Err(LifecycleError::WrongProfile {
            expected: "gestionnaire",
        });
    }
    if target.status == AccountStatus::Inactive {
        return Err(LifecycleError::AlreadyInactive);
    }
    let earliest = req
        .signalled_on
        .checked_add(GESTIONNAIRE_NOTICE_DAYS.days())
        .unwrap_or(Date::MAX);
    if req.wanted_on < earliest {
        return Err(LifecycleError::NoticeTooShort {
            notice_days: GESTIONNAIRE_NOTICE_DAYS,
            earliest,
        });
    }
    let reattachment = plan_reattachment(req.accounts, target, req.successor_id, false)?;
    Ok(GestionnaireInactivationPlan {
        target_id: target.id.clone(),
        effective_on: req.wanted_on,
        reattach_to: reattachment.to.unwrap_or_default(),
        techniciens_to_reattach: reattachment.techniciens,
    })
}

/// Who takes over the techniciens of an account that leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reattachment {
    /// The gestionnaire they are re-attached to; `None` for a technicien, or when
    /// the last gestionnaire leaves (exclusion, end of the last convention).
    pub to: Option<String>,
    /// Techniciens (not inactive) attached to the account that leaves.
    pub techniciens: Vec<String>,
}

/// The one rule of succession (§2.2.3), for every kind of inactivation (signalled,
/// applied by the caisse, scheduled, exclusion, end of convention): a gestionnaire
/// that leaves hands its techniciens to `successor_id` if given (it must be another
/// **active** gestionnaire of the partner), else to the **most recently created**
/// other active gestionnaire (ties: smallest id). Without any, the last active
/// gestionnaire cannot leave, unless `may_leave_none` (exclusion, convention end).
pub fn plan_reattachment(
    accounts: &[AccountView],
    target: &AccountView,
    successor_id: Option<&str>,
    may_leave_none: bool,
) -> Result<Reattachment, LifecycleError> {
    if target.profile != Profile::Gestionnaire {
        return Ok(Reattachment {
            to: None,
            techniciens: Vec::new(),
        });
    }
    let successor = match successor_id {
        None => default_successor(accounts, target),
        Some(id) => {
            let s = accounts
                .iter()
                .find(|a| a.id == id)
                .ok_or(LifecycleError::InvalidSuccessor)?;
            if s.id == target.id
                || s.partner_id != target.partner_id
                || s.profile != Profile::Gestionnaire
                || s.status != AccountStatus::Active
            {
                return Err(LifecycleError::InvalidSuccessor);
            }
            Some(s)
        }
    };
    match successor {
        Some(s) => Ok(Reattachment {
            to: Some(s.id.clone()),
            techniciens: attached_techniciens(accounts, target),
        }),
        None if may_leave_none => Ok(Reattachment {
            to: None,
            techniciens: Vec::new(),
        }),
        None => Err(LifecycleError::LastActiveGestionnaire),
    }
}

// ----------------------------------------------------------------- techniciens

/// May `actor` create, edit or inactivate techniciens of `target`'s partner?
/// Any **active** gestionnaire of the same partner may, even if it did not create
/// the account (§2.2.3). `target` must be a technicien that is not inactive.
pub fn may_manage_technicien(
    actor: &AccountView,
    target: &AccountView,
) -> Result<(), LifecycleError> {
    if actor.profile != Profile::Gestionnaire
        || actor.status != AccountStatus::Active
        || actor.partner_id != target.partner_id
    {
        return Err(LifecycleError::NotAllowed);
    }
    if target.profile != Profile::Technicien {
        return Err(LifecycleError::WrongProfile {
            expected: "technicien",
        });
    }
    if target.status == AccountStatus::Inactive {
        return Err(LifecycleError::AlreadyInactive);
    }
    Ok(())
}

/// May `actor` create a technicien for its partner (quota checked separately)?
pub fn may_create_technicien(actor: &AccountView) -> Result<(), LifecycleError> {
    if actor.profile == Profile::Gestionnaire && actor.status == AccountStatus::Active {
        Ok(())
    } else {
        Err(LifecycleError::NotAllowed)
    }
}

pub use crate::exclusion::*;

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
