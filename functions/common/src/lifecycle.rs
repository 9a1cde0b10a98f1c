//! Account inactivation (SPEC §3 "Inactivation"), shared by the accounts function
//! (a gestionnaire inactivating a technicien, an agent applying an inactivation or an
//! exclusion at once) and the maintenance function (scheduled inactivations, ended
//! conventions). One transaction: the account, the partner's quota counters, the
//! re-attached techniciens, the audit event and whatever the caller adds.

use ep_domain::lifecycle::LifecycleError as DomainError;
use jiff::Timestamp;

use crate::audit;
use crate::context::Ctx;
use crate::partners::{Partner, get_partner};
use crate::record::Record;
use crate::table::{Index, Query, StoreError};
use crate::tx::Tx;
use crate::users::{OrgKind, Role, Status, User, get_user, org_users_pk};

/// Why an account is inactivated (stored on the account, in the audit trail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The partner's last active convention ended.
    ConventionEnd,
    /// A gestionnaire inactivated a technicien, or an agent applied a request now.
    Manual,
    /// A scheduled gestionnaire inactivation reached its date.
    Scheduled,
    /// §4.1: fraud, loss, theft or use not in line with the convention.
    Exclusion(&'static str),
}

impl Reason {
    pub fn code(self) -> String {
        match self {
            Reason::ConventionEnd => "convention_end".into(),
            Reason::Manual => "manual".into(),
            Reason::Scheduled => "scheduled".into(),
            Reason::Exclusion(kind) => format!("exclusion_{kind}"),
        }
    }
    /// Exclusions and convention ends may take the last gestionnaire.
    fn may_take_last_gestionnaire(self) -> bool {
        matches!(self, Reason::ConventionEnd | Reason::Exclusion(_))
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LifecycleError {
    #[error("account not found")]
    NotFound,
    #[error("account already inactive")]
    AlreadyInactive,
    #[error("the last active gestionnaire of a partner cannot be inactivated")]
    LastGestionnaire,
    #[error("the successor is not an active gestionnaire of the partner")]
    BadSuccessor,
    #[error("changed concurrently; try again")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<LifecycleError> for crate::http::Problem {
    fn from(e: LifecycleError) -> Self {
        use crate::http::Problem;
        match e {
            LifecycleError::NotFound => Problem::not_found(),
            LifecycleError::AlreadyInactive => DomainError::AlreadyInactive.into(),
            LifecycleError::LastGestionnaire => DomainError::LastActiveGestionnaire.into(),
            LifecycleError::BadSuccessor => DomainError::InvalidSuccessor.into(),
            LifecycleError::Conflict => crate::tx::conflict(StoreError::ConditionFailed),
            LifecycleError::Store(e) => e.into(),
        }
    }
}

/// The one catalogue of answers to the account-lifecycle rules: the same refusal
/// has the same code and French message whichever endpoint meets it.
impl From<DomainError> for crate::http::Problem {
    fn from(e: DomainError) -> Self {
        use crate::http::Problem;
        let message = e.to_string();
        match e {
            DomainError::AccountNotFound | DomainError::NotAllowed => Problem::not_found(),
            DomainError::AlreadyInactive => Problem::new(
                409,
                "account.already_inactive",
                "Compte déjà inactif",
                message,
            ),
            DomainError::LastActiveGestionnaire => Problem::new(
                409,
                "account.last_gestionnaire",
                "Dernier gestionnaire",
                message,
            ),
            DomainError::NoticeTooShort { .. } => Problem::validation().field("wanted_on", message),
            DomainError::InvalidSuccessor => Problem::validation().field("successor_id", message),
            DomainError::WrongProfile { .. } => Problem::validation().field("user_id", message),
        }
    }
}

/// Every account of an organisation (a partner has at most 30).
pub async fn accounts_of(ctx: &Ctx, org_id: &str) -> Result<Vec<User>, StoreError> {
    ctx.table
        .query_all(&Query::new(Index::Gsi1, org_users_pk(org_id)))
        .await?
        .iter()
        .map(|i| i.parse())
        .collect()
}

/// The outcome of an inactivation.
#[derive(Clone, Debug, PartialEq)]
pub struct Inactivated {
    pub user: User,
    /// Techniciens re-attached, and to whom.
    pub reattached: Vec<String>,
    pub successor: Option<String>,
}

/// The accounts counted in a partner's quotas after `user` leaves them.
fn decrement(partner: &mut Partner, user: &User) {
    if matches!(user.status, Status::Active | Status::Pending) {
        match user.role {
            Role::Gestionnaire => partner.gestionnaires = partner.gestionnaires.saturating_sub(1),
            Role::Technicien => partner.techniciens = partner.techniciens.saturating_sub(1),
            _ => {}
        }
    }
}

/// Inactivates `user_id` now: status, reason, sessions ended (epoch), quota counters,
/// techniciens re-attached (gestionnaire: to `successor`, else to the most recently
/// created other active gestionnaire), audit event, plus the caller's writes — all in one
/// transaction with what the caller put in `tx`. Returns the inactivated account.
pub async fn inactivate(
    ctx: &Ctx,
    user_id: &str,
    reason: Reason,
    actor: &str,
    successor: Option<&str>,
    tx: Tx<'_>,
    now: Timestamp,
) -> Result<Inactivated, LifecycleError> {
    let user = get_user(ctx.table.as_ref(), user_id)
        .await?
        .ok_or(LifecycleError::NotFound)?;
    if user.status == Status::Inactive {
        return Err(LifecycleError::AlreadyInactive);
    }
    let mut tx = tx;
    let mut writes = Vec::new();
    let mut reattached = Vec::new();
    let mut chosen = None;
    let mut partner = None;
    if user.org_kind == OrgKind::Partner {
        let mut p = get_partner(ctx.table.as_ref(), &user.org_id)
            .await?
            .ok_or(LifecycleError::NotFound)?;
        if user.role == Role::Gestionnaire {
            let accounts = accounts_of(ctx, &user.org_id).await?;
            let views: Vec<_> = accounts.iter().map(User::account_view).collect();
            let plan = ep_domain::lifecycle::plan_reattachment(
                &views,
                &user.account_view(),
                successor,
                reason.may_take_last_gestionnaire(),
            )
            .map_err(|e| match e {
                DomainError::LastActiveGestionnaire => LifecycleError::LastGestionnaire,
                _ => LifecycleError::BadSuccessor,
            })?;
            if let Some(target) = &plan.to {
                chosen = Some(target.clone());
                for t in accounts.iter().filter(|u| plan.techniciens.contains(&u.id)) {
                    let mut moved = t.clone();
                    moved.attached_to = Some(target.clone());
                    let (w, _) = moved.update_write()?;
                    writes.push(w);
                    let mut ev = audit::event(now, actor, "account.reattached", Some(&t.id));
                    ev.detail = Some(format!("to={target}"));
                    writes.push(audit::record(
                        &user.org_id,
                        ev,
                        ctx.config.audit_retention_months,
                    )?);
                    reattached.push(t.id.clone());
                }
            }
        }
        decrement(&mut p, &user);
        partner = Some(p);
    }
    let mut next = user.clone();
    next.status = Status::Inactive;
    next.inactivated_at = Some(now);
    next.inactivation_reason = Some(reason.code());
    next.session_epoch += 1;
    next.password_reminder_at = None;
    let (w, next) = next.update_write()?;
    writes.push(w);
    if let Some(p) = &partner {
        let (w, _) = p.update_write()?;
        writes.push(w);
    }
    let mut ev = audit::event(now, actor, "account.inactivated", Some(&user.id));
    ev.detail = Some(reason.code());
    writes.push(audit::record(
        &user.org_id,
        ev,
        ctx.config.audit_retention_months,
    )?);
    tx.extend(writes);
    match tx.commit_or_store_error().await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { .. }) => return Err(LifecycleError::Conflict),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user = %user.id, reason = %reason.code(), reattached = reattached.len(), "account inactivated");
    Ok(Inactivated {
        user: next,
        reattached,
        successor: chosen,
    })
}
