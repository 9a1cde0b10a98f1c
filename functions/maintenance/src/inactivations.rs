//! Scheduled gestionnaire inactivations (SPEC §2.2.3): on the wanted date the
//! account is inactivated and its techniciens re-attached (to the successor named in
//! the request, or if that one is no longer an active gestionnaire, to the most
//! recent other active one), and the request marked `done` — all in the one
//! transaction of `lifecycle::inactivate`, whose version check on the request makes
//! it happen once. When it cannot happen — the account is the partner's last active
//! gestionnaire, or no longer exists — the request is marked `rejected` with a reason
//! code and an audit event, so it leaves the due index instead of being retried for
//! ever.

use ep_common::Ctx;
use ep_common::audit;
use ep_common::lifecycle::{self, LifecycleError, Reason};
use ep_common::partners::{
    CaisseRequest, DUE_INACTIVATION, InactivationRequest, InactivationState, RequestState,
};
use ep_common::record::Record;
use ep_common::table::{Item, StoreError, Write};
use ep_common::tx::Tx;
use jiff::Timestamp;

use crate::SYSTEM;
use crate::due::{Counts, Kinds, Outcome, still_due};

const ATTEMPTS: usize = 3;

pub(crate) async fn run(k: &mut Kinds<'_>) -> Result<Counts, StoreError> {
    let (ctx, now) = (k.ctx, k.now);
    let (counts, _) = k
        .each("inactivation", DUE_INACTIVATION, |item| {
            apply_one(ctx, item, now)
        })
        .await?;
    Ok(counts)
}

/// The request closed in `state` (with a reason code), as a write.
fn closing(
    req: &InactivationRequest,
    state: InactivationState,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<Write, StoreError> {
    let next = req.decided(state, SYSTEM, now, reason.map(str::to_owned));
    Ok(next.update_write()?.0)
}

async fn apply_one(ctx: &Ctx, item: Item, now: Timestamp) -> Result<Outcome, StoreError> {
    let mut item = item;
    let mut successor_gone = false;
    for _ in 0..ATTEMPTS {
        let Some(fresh) = still_due(ctx, &item, DUE_INACTIVATION, now).await? else {
            return Ok(Outcome::Skipped);
        };
        let req: InactivationRequest = fresh.parse()?;
        if !req.is_open() {
            return Ok(Outcome::Skipped);
        }
        let successor = if successor_gone {
            None
        } else {
            req.successor_id.as_deref()
        };
        let mut tx = Tx::new(ctx);
        tx.write(closing(&req, InactivationState::Done, None, now)?);
        let result = lifecycle::inactivate(
            ctx,
            &req.user_id,
            Reason::Scheduled,
            SYSTEM,
            successor,
            tx,
            now,
        )
        .await;
        match result {
            Ok(_) => {
                tracing::info!(request = %req.id, user = %req.user_id, "scheduled inactivation applied");
                return Ok(Outcome::Done(0));
            }
            Err(LifecycleError::BadSuccessor) => successor_gone = true,
            Err(LifecycleError::Conflict) => {}
            Err(LifecycleError::LastGestionnaire) => {
                return close(
                    ctx,
                    &req,
                    InactivationState::Rejected,
                    "last_gestionnaire",
                    now,
                )
                .await;
            }
            Err(LifecycleError::NotFound) => {
                return close(
                    ctx,
                    &req,
                    InactivationState::Rejected,
                    "account_not_found",
                    now,
                )
                .await;
            }
            Err(LifecycleError::AlreadyInactive) => {
                return close(ctx, &req, InactivationState::Done, "already_inactive", now).await;
            }
            Err(LifecycleError::Store(e)) => return Err(e),
        }
        item = fresh;
    }
    // Kept changing: still due, the next run tries again.
    Ok(Outcome::Skipped)
}

/// Closes a request that could not be applied: its new state and an audit event in
/// the caisse's and the partner's trails, one transaction.
async fn close(
    ctx: &Ctx,
    req: &InactivationRequest,
    state: InactivationState,
    reason: &str,
    now: Timestamp,
) -> Result<Outcome, StoreError> {
    let mut writes = vec![closing(req, state, Some(reason), now)?];
    let action = if state == InactivationState::Rejected {
        "inactivation.rejected"
    } else {
        "inactivation.closed"
    };
    for org in [&req.caisse_id, &req.partner_id] {
        let mut ev = audit::event(now, SYSTEM, action, Some(&req.id));
        ev.detail = Some(reason.to_owned());
        writes.push(audit::record(org, ev, ctx.config.audit_retention_months)?);
    }
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => {
            tracing::info!(request = %req.id, state = state.code(), reason, "scheduled inactivation not applied");
            Ok(Outcome::Closed)
        }
        Err(StoreError::TransactionCanceled { .. }) => Ok(Outcome::Skipped),
        Err(e) => Err(e),
    }
}
