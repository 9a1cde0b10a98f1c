//! What the use cases of this function share: who sees a request, the mapping of
//! domain errors to problems, the transaction retried on a concurrent change, the
//! notification emails.

use ep_common::Ctx;
use ep_common::http::Problem;
use ep_common::requests::{RequestRecord, Side};
use ep_common::sessions::Authed;
use ep_common::table::StoreError;
use ep_common::tx::{Tx, conflict};
use ep_common::users::{Role, Status, User};
use ep_domain::Violations;
use ep_domain::requests::{Actor, TransitionError};
use ep_domain::types::Profile;

use crate::texts::{Notice, request_link};

/// How many times a transaction that lost a race (a counts item or a request changed
/// in between) is rebuilt from a fresh read before answering 409.
pub const ATTEMPTS: usize = 3;

/// The side `authed` sees `rec` from: a user of its partner, or an agent of the caisse
/// it is addressed to. Anyone else does not see it (404).
pub fn side_of(authed: &Authed, rec: &RequestRecord) -> Option<Side> {
    ep_common::requests::side_of(&authed.user, rec)
}

/// The domain actor of a user on a side.
pub fn actor(user: &User, side: Side) -> Actor {
    match side {
        Side::Caisse => Actor::CaisseAgent,
        Side::Partner if user.role == Role::Gestionnaire => Actor::Partner(Profile::Gestionnaire),
        Side::Partner => Actor::Partner(Profile::Technicien),
    }
}

/// A partner user (technicien or gestionnaire), or 404.
pub fn require_partner_user(authed: &Authed) -> Result<&str, Problem> {
    match authed.user.role {
        Role::Gestionnaire | Role::Technicien => Ok(&authed.user.org_id),
        _ => Err(Problem::not_found()),
    }
}

/// An agent of a caisse, or 404.
pub fn require_agent(authed: &Authed) -> Result<&str, Problem> {
    match authed.user.role {
        Role::Agent => Ok(&authed.user.org_id),
        _ => Err(Problem::not_found()),
    }
}

/// Field errors as a 422; the code is that of an access refusal if there is one.
pub fn invalid(errors: &Violations) -> Problem {
    let mut p = Problem::validation();
    if let Some(access) = errors.0.iter().find(|e| e.code.starts_with("access.")) {
        p.code = access.code.clone();
        p.detail = access.message.clone();
    }
    for e in &errors.0 {
        p.errors
            .entry(e.field.clone())
            .or_insert_with(|| e.message.clone());
    }
    p
}

/// A refused transition: 409 with the domain's French message.
pub fn refused(e: TransitionError) -> Problem {
    Problem::new(409, e.code(), "Action impossible", e.to_string())
}

/// A 409 for an action the state machine does not name (a message, a take).
pub fn not_now(code: &str, detail: impl Into<String>) -> Problem {
    Problem::new(409, code, "Action impossible", detail)
}

/// Commits `tx`, then delivers its emails. `Ok(false)`: a condition failed (the data
/// changed since it was read) and this was not the last of [`ATTEMPTS`]: the caller
/// builds the transaction again from a fresh read. After the last, 409.
pub async fn commit(ctx: &Ctx, tx: Tx<'_>, attempt: usize) -> Result<bool, Problem> {
    let (writes, emails) = tx.into_parts();
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => {
            for id in &emails {
                if let Err(e) = ep_common::emails::deliver(ctx, id).await {
                    tracing::warn!(email = %id, error = %e, "email left pending after commit");
                }
            }
            Ok(true)
        }
        Err(StoreError::TransactionCanceled { .. }) if attempt < ATTEMPTS => {
            tracing::info!(
                attempt,
                "request transaction retried after a concurrent change"
            );
            Ok(false)
        }
        Err(e) => Err(conflict(e)),
    }
}

/// Queues `notice` to `user` in `tx` when the account is active (a pending or
/// inactive account receives nothing).
pub fn notify(
    ctx: &Ctx,
    tx: &mut Tx<'_>,
    user: &User,
    notice: Notice,
    request_id: &str,
) -> Result<(), StoreError> {
    if user.status != Status::Active {
        return Ok(());
    }
    let link = request_link(&ctx.config.public_url, request_id);
    tx.email(
        &user.email,
        &notice.subject,
        notice.paragraphs,
        Some((notice.link_label, &link)),
    )?;
    Ok(())
}
