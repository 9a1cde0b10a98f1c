//! Account lifecycle decisions (SPEC §3 « Inactivation », convention §2.2.3 and
//! §4.1), as pure functions over plain input structs. Handlers load the data,
//! call these, then apply the returned plan.

use crate::calendar::paris_date;
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

fn find<'a>(accounts: &'a [AccountView], id: &str) -> Result<&'a AccountView, LifecycleError> {
    accounts
        .iter()
        .find(|a| a.id == id)
        .ok_or(LifecycleError::AccountNotFound)
}

/// The default successor: the **most recently created** other active gestionnaire
/// of the partner (« rattachés au nouveau gestionnaire », §2.2.3); ties by id.
fn default_successor<'a>(
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

fn attached_techniciens(accounts: &[AccountView], target: &AccountView) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn acc(
        id: &str,
        profile: Profile,
        status: AccountStatus,
        created: &str,
        attached: Option<&str>,
    ) -> AccountView {
        AccountView {
            id: id.into(),
            partner_id: "p1".into(),
            profile,
            status,
            created_at: ts(created),
            attached_to: attached.map(Into::into),
        }
    }

    fn conv(caisse: &str, state: ConventionState, end: Option<Date>) -> ConventionView {
        ConventionView {
            caisse_id: caisse.into(),
            state,
            start: date(2024, 1, 1),
            end,
            functionalities: vec![],
        }
    }

    use AccountStatus::{Active, Inactive, Pending};
    use Profile::{Gestionnaire as G, Technicien as T};

    fn partner() -> Vec<AccountView> {
        vec![
            acc("g1", G, Active, "2024-01-01T00:00:00Z", None),
            acc("g2", G, Active, "2025-06-01T00:00:00Z", None),
            acc("g3", G, Pending, "2026-01-01T00:00:00Z", None),
            acc("t1", T, Active, "2024-02-01T00:00:00Z", Some("g1")),
            acc("t2", T, Pending, "2024-02-01T00:00:00Z", Some("g1")),
            acc("t3", T, Inactive, "2024-02-01T00:00:00Z", Some("g1")),
            acc("t4", T, Active, "2024-02-01T00:00:00Z", Some("g2")),
        ]
    }

    #[test]
    fn spec_2_convention_active_window() {
        let c = conv("c1", ConventionState::Active, Some(date(2026, 6, 30)));
        assert!(c.is_active_on(date(2026, 6, 30)));
        assert!(!c.is_active_on(date(2026, 7, 1)));
        assert!(!c.is_active_on(date(2023, 12, 31)));
        assert!(!conv("c1", ConventionState::Terminated, None).is_active_on(date(2025, 1, 1)));
    }

    #[test]
    fn spec_3_convention_2_2_3_convention_end() {
        let today = date(2026, 7, 1);
        let only = [conv("c1", ConventionState::Ended, Some(date(2026, 6, 30)))];
        assert_eq!(
            on_convention_end("c1", &only, today),
            ConventionEndDecision::InactivateAllAccounts
        );
        let several = [
            conv("c1", ConventionState::Ended, Some(date(2026, 6, 30))),
            conv("c2", ConventionState::Active, None),
        ];
        assert_eq!(
            on_convention_end("c1", &several, today),
            ConventionEndDecision::RemoveCaisseAccess {
                caisse_id: "c1".into()
            }
        );
        // all conventions ending at the same time → inactivate all
        let together = [
            conv("c1", ConventionState::Active, Some(date(2026, 6, 30))),
            conv("c2", ConventionState::Active, Some(date(2026, 6, 30))),
        ];
        assert_eq!(
            on_convention_end("c1", &together, today),
            ConventionEndDecision::InactivateAllAccounts
        );
    }

    #[test]
    fn spec_3_convention_2_2_3_gestionnaire_notice_15_days() {
        let accounts = partner();
        let mut req = GestionnaireInactivationRequest {
            target_id: "g1",
            signalled_on: date(2026, 3, 1),
            wanted_on: date(2026, 3, 15),
            successor_id: None,
            accounts: &accounts,
        };
        let e = decide_gestionnaire_inactivation(&req).unwrap_err();
        assert_eq!(
            e,
            LifecycleError::NoticeTooShort {
                notice_days: 15,
                earliest: date(2026, 3, 16)
            }
        );
        assert!(e.to_string().contains("16/03/2026"), "{e}");
        req.wanted_on = date(2026, 3, 16);
        let plan = decide_gestionnaire_inactivation(&req).unwrap();
        assert_eq!(plan.effective_on, date(2026, 3, 16));
        // default successor: the most recent other *active* gestionnaire (g3 is pending)
        assert_eq!(plan.reattach_to, "g2");
        assert_eq!(plan.techniciens_to_reattach, ["t1", "t2"]);
    }

    #[test]
    fn spec_3_convention_2_2_3_never_last_active_gestionnaire() {
        let accounts = vec![
            acc("g1", G, Active, "2024-01-01T00:00:00Z", None),
            acc("g2", G, Pending, "2026-01-01T00:00:00Z", None),
            acc("g3", G, Inactive, "2023-01-01T00:00:00Z", None),
        ];
        let req = GestionnaireInactivationRequest {
            target_id: "g1",
            signalled_on: date(2026, 1, 1),
            wanted_on: date(2026, 2, 1),
            successor_id: None,
            accounts: &accounts,
        };
        let e = decide_gestionnaire_inactivation(&req).unwrap_err();
        assert_eq!(e, LifecycleError::LastActiveGestionnaire);
        assert!(FieldError::from(e).message.contains("nouveau gestionnaire"));
    }

    #[test]
    fn spec_3_gestionnaire_inactivation_errors_and_successor() {
        let accounts = partner();
        let base = GestionnaireInactivationRequest {
            target_id: "g2",
            signalled_on: date(2026, 1, 1),
            wanted_on: date(2026, 2, 1),
            successor_id: Some("g1"),
            accounts: &accounts,
        };
        assert_eq!(
            decide_gestionnaire_inactivation(&base).unwrap().reattach_to,
            "g1"
        );
        let bad = |succ| GestionnaireInactivationRequest {
            successor_id: Some(succ),
            ..base.clone()
        };
        for s in ["g2", "g3", "t1", "zz"] {
            assert_eq!(
                decide_gestionnaire_inactivation(&bad(s)),
                Err(LifecycleError::InvalidSuccessor),
                "{s}"
            );
        }
        let t = GestionnaireInactivationRequest {
            target_id: "t1",
            ..base.clone()
        };
        assert_eq!(
            decide_gestionnaire_inactivation(&t),
            Err(LifecycleError::WrongProfile {
                expected: "gestionnaire"
            })
        );
        let x = GestionnaireInactivationRequest {
            target_id: "nope",
            ..base.clone()
        };
        assert_eq!(
            decide_gestionnaire_inactivation(&x),
            Err(LifecycleError::AccountNotFound)
        );
    }

    #[test]
    fn spec_3_convention_2_2_3_technicien_by_any_gestionnaire() {
        let a = partner();
        // g2 did not create t1 but may inactivate it
        assert_eq!(may_manage_technicien(&a[1], &a[3]), Ok(()));
        assert_eq!(
            may_manage_technicien(&a[2], &a[3]),
            Err(LifecycleError::NotAllowed),
            "pending gestionnaire"
        );
        assert_eq!(
            may_manage_technicien(&a[6], &a[3]),
            Err(LifecycleError::NotAllowed),
            "technicien"
        );
        assert_eq!(
            may_manage_technicien(&a[0], &a[5]),
            Err(LifecycleError::AlreadyInactive)
        );
        assert_eq!(
            may_manage_technicien(&a[0], &a[1]),
            Err(LifecycleError::WrongProfile {
                expected: "technicien"
            })
        );
        let mut other = a[0].clone();
        other.partner_id = "p2".into();
        assert_eq!(
            may_manage_technicien(&other, &a[3]),
            Err(LifecycleError::NotAllowed),
            "other partner"
        );
        assert!(may_create_technicien(&a[0]).is_ok());
        assert!(may_create_technicien(&a[3]).is_err());
    }

    #[test]
    fn spec_3_convention_4_1_exclusion_immediate() {
        let a = partner();
        let now = ts("2026-08-31T12:00:00Z");
        let p = plan_exclusion("t1", &a, now).unwrap();
        assert_eq!(p.inactivated_at, now);
        assert!(p.end_all_sessions);
        assert_eq!(p.notify_account_ids, ["g1", "g2", "g3"]);
        assert_eq!(p.purge_on, date(2027, 2, 28));
        assert!(p.techniciens_to_reattach.is_empty());
        // the last gestionnaire may be excluded; its own address is then notified
        let solo = vec![
            acc("g1", G, Active, "2024-01-01T00:00:00Z", None),
            acc("t1", T, Active, "2024-02-01T00:00:00Z", Some("g1")),
        ];
        let p = plan_exclusion("g1", &solo, now).unwrap();
        assert_eq!(p.notify_account_ids, ["g1"]);
        assert_eq!(p.reattach_to, None);
        assert_eq!(p.techniciens_to_reattach, ["t1"]);
        let p = plan_exclusion("g1", &a, now).unwrap();
        assert_eq!(p.reattach_to.as_deref(), Some("g2"));
        assert_eq!(
            plan_exclusion("t3", &a, now),
            Err(LifecycleError::AlreadyInactive)
        );
        assert_eq!(ExclusionReason::Theft.label(), "vol des identifiants");
    }

    #[test]
    fn spec_2_convention_4_1_suspension() {
        let mut a = partner();
        a.push(AccountView {
            partner_id: "p2".into(),
            ..a[0].clone()
        });
        let e = suspension_effect("p1", &a);
        assert_eq!(e.end_sessions_of, ["g1", "g2", "g3", "t1", "t2", "t4"]);
    }

    #[test]
    fn spec_3_convention_2_2_3_purge_six_calendar_months() {
        assert_eq!(purge_date(date(2026, 8, 31)), date(2027, 2, 28));
        assert_eq!(purge_date(date(2027, 8, 31)), date(2028, 2, 29));
        assert_eq!(purge_date(date(2026, 1, 15)), date(2026, 7, 15));
        assert_eq!(purge_date(date(2026, 12, 31)), date(2027, 6, 30));
        assert!(!is_purge_due(date(2026, 8, 31), date(2027, 2, 27)));
        assert!(is_purge_due(date(2026, 8, 31), date(2027, 2, 28)));
        // 23:30 UTC on 31 Aug is 1 Sept in Paris
        assert_eq!(purge_date_at(ts("2026-08-31T23:30:00Z")), date(2027, 3, 1));
        assert_eq!(purge_date(Date::MAX), Date::MAX);
    }
}
