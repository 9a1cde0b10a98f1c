//! End of a convention (SPEC §2.2.3 « En fin de convention »): the day after its
//! (inclusive) end date. If the partner has no other convention in force, every
//! account of the partner that is not inactive is inactivated (reason
//! `convention_end`), each in its own transaction; then the convention is marked
//! `ended`. Otherwise only the convention is marked `ended`: access to a caisse is
//! derived from the conventions in force, so that removes the access to that caisse.
//!
//! A run stopping between two accounts leaves the convention due: the next run
//! inactivates the remaining accounts (those already inactive are skipped) and only
//! then marks the convention ended, in a transaction that also checks that the
//! partner's record (whose counters change with every account) is unchanged.

use ep_common::audit;
use ep_common::lifecycle::{self, LifecycleError, Reason, accounts_of};
use ep_common::partners::{
    Convention, DUE_CONVENTION_END, conventions_of, get_partner, partner_key,
};
use ep_common::record::Record;
use ep_common::table::{Cond, Item, StoreError, Write};
use ep_common::tx::Tx;
use ep_common::users::{Role, Status};
use ep_domain::calendar::paris_date;
use ep_domain::types::ConventionState;
use jiff::Timestamp;

use crate::SYSTEM;
use crate::due::{Counts, Kinds, Outcome, still_due};

/// Attempts at one account when concurrent changes make the transaction fail.
const ATTEMPTS: usize = 3;

pub(crate) async fn run(k: &mut Kinds<'_>) -> Result<(Counts, u32), StoreError> {
    let (ctx, now) = (k.ctx, k.now);
    k.each("convention_end", DUE_CONVENTION_END, |item| {
        end_one(ctx, item, now)
    })
    .await
}

async fn end_one(ctx: &ep_common::Ctx, item: Item, now: Timestamp) -> Result<Outcome, StoreError> {
    let Some(fresh) = still_due(ctx, &item, DUE_CONVENTION_END, now).await? else {
        return Ok(Outcome::Skipped);
    };
    let conv: Convention = fresh.parse()?;
    if conv.state != ConventionState::Active {
        return Ok(Outcome::Skipped);
    }
    let today = paris_date(now);
    // Same rule as `ep_domain::lifecycle::on_convention_end`: conventions ending
    // together all count as ended.
    let others_in_force = conventions_of(ctx.table.as_ref(), &conv.partner_id)
        .await?
        .iter()
        .any(|c| c.caisse_id != conv.caisse_id && c.is_active_on(today));
    let mut inactivated = 0;
    let mut writes = Vec::new();
    if !others_in_force {
        // Techniciens first, then gestionnaires once no technicien is left: a
        // gestionnaire's inactivation then re-attaches nobody, whatever the order in
        // which concurrent runs get there.
        for gestionnaires in [false, true] {
            let accounts = accounts_of(ctx, &conv.partner_id).await?;
            let left: Vec<_> = accounts
                .iter()
                .filter(|u| u.status != Status::Inactive)
                .collect();
            if left.iter().any(|u| u.role != Role::Gestionnaire) && gestionnaires {
                // A technicien could not be inactivated (changed under our feet):
                // the next run finishes.
                tracing::warn!(partner = %conv.partner_id, "convention end: accounts left for the next run");
                return Ok(Outcome::Unfinished(inactivated));
            }
            for user in left
                .iter()
                .filter(|u| (u.role == Role::Gestionnaire) == gestionnaires)
            {
                if inactivate(ctx, &user.id, now).await? {
                    inactivated += 1;
                }
            }
        }
        let left = accounts_of(ctx, &conv.partner_id)
            .await?
            .iter()
            .filter(|u| u.status != Status::Inactive)
            .count();
        if left > 0 {
            tracing::warn!(partner = %conv.partner_id, "convention end: accounts left for the next run");
            return Ok(Outcome::Unfinished(inactivated));
        }
        // No account may have been created or reactivated since the check above.
        if let Some(p) = get_partner(ctx.table.as_ref(), &conv.partner_id).await? {
            let (pk, sk) = partner_key(&p.id);
            writes.push(Write::check(pk, sk, Cond::VersionEquals(p.v)));
        }
    }
    let mut ended = conv.clone();
    ended.state = ConventionState::Ended;
    let (w, _) = ended.update_write()?;
    writes.push(w);
    let detail = if others_in_force {
        "caisse_access_removed"
    } else {
        "accounts_inactivated"
    };
    for org in [&conv.caisse_id, &conv.partner_id] {
        let mut ev = audit::event(now, SYSTEM, "convention.ended", Some(&conv.partner_id));
        ev.detail = Some(format!("{detail};caisse={}", conv.caisse_id));
        writes.push(audit::record(org, ev, ctx.config.audit_retention_months)?);
    }
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { .. }) => {
            return Ok(Outcome::Unfinished(inactivated));
        }
        Err(e) => return Err(e),
    }
    tracing::info!(
        partner = %conv.partner_id,
        caisse = %conv.caisse_id,
        accounts = inactivated,
        detail,
        "convention ended"
    );
    Ok(Outcome::Done(inactivated))
}

/// Inactivates one account for the end of its partner's last convention; false if
/// it was already inactive (another run) or kept changing.
async fn inactivate(
    ctx: &ep_common::Ctx,
    user_id: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    for _ in 0..ATTEMPTS {
        match lifecycle::inactivate(
            ctx,
            user_id,
            Reason::ConventionEnd,
            SYSTEM,
            None,
            Tx::new(ctx),
            now,
        )
        .await
        {
            Ok(_) => return Ok(true),
            Err(LifecycleError::Conflict) => continue,
            Err(LifecycleError::Store(e)) => return Err(e),
            Err(_) => return Ok(false),
        }
    }
    Ok(false)
}
