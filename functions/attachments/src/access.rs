//! Finding an attachment for a user (anything they may not see is a 404), and the
//! transaction retried when the request or the attachment changed in between.

use ep_common::Ctx;
use ep_common::attachments::{AttachmentRecord, request_of};
use ep_common::http::Problem;
use ep_common::requests::{Loaded, Side, load_full, side_of};
use ep_common::table::StoreError;
use ep_common::tx::{Tx, conflict};
use ep_common::users::User;

/// How many times a transaction that lost a race is rebuilt from a fresh read.
pub const ATTEMPTS: usize = 3;

/// A 409 with a stable code and a French message.
pub fn refuse(code: &str, detail: impl Into<String>) -> Problem {
    Problem::new(409, code, "Action impossible", detail)
}

/// The attachment `id` with its request, as `user` sees it; 404 for anyone who does
/// not see the request (another partner, another caisse) or an unknown id.
pub async fn find(
    ctx: &Ctx,
    user: &User,
    id: &str,
) -> Result<(Loaded, AttachmentRecord, Side), Problem> {
    let request_id = request_of(id).ok_or_else(Problem::not_found)?;
    let loaded = load_full(ctx.table.as_ref(), request_id)
        .await?
        .ok_or_else(Problem::not_found)?;
    let side = side_of(user, &loaded.record).ok_or_else(Problem::not_found)?;
    let att = loaded
        .attachments
        .iter()
        .find(|a| a.id == id)
        .cloned()
        .ok_or_else(Problem::not_found)?;
    Ok((loaded, att, side))
}

/// Commits `tx` and delivers its emails. `Ok(false)`: a condition failed and this
/// was not the last attempt (the caller rebuilds it from a fresh read).
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
        Err(StoreError::TransactionCanceled { .. }) if attempt < ATTEMPTS => Ok(false),
        Err(e) => Err(conflict(e)),
    }
}

/// The answer after the last attempt lost its race.
pub fn lost_race() -> Problem {
    conflict(StoreError::ConditionFailed)
}
