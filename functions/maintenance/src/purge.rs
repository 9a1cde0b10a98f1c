//! Deletion 6 months after inactivation (SPEC §2.2.3 « Deletion »): the account's
//! personal data is erased and it is listed nowhere any more.
//!
//! - The account (`USER#<id>` / `PROFILE`) and its identifiant (`IDENT#…`) are
//!   deleted: it leaves every list (they are all built from the account items).
//! - Items elsewhere that hold the person's name, email or phone — the habilitation
//!   request that created a gestionnaire, modification requests, exclusion notices —
//!   are found through the pointers `USER#<id>` / `REF#…` written with them
//!   (`users::personal_data_ref`; one partition, no scan) and blanked: the record
//!   stays (the caisse's history of what it processed), ids only.
//! - The audit trail keeps ids only; the purge event names the account by a
//!   pseudonymous id (`ids::pseudonym`).
//!
//! Everything is one transaction conditioned on the account's version, so the purge
//! happens once; with more pointers than one transaction holds, the blanking is done
//! first in chunks (each idempotent), then the deletion. On the embedded store the
//! run ends with a WAL checkpoint (`Table::flush_erasures`): with `secure_delete`, the
//! erased content then leaves every file of the data directory.

use ep_common::Ctx;
use ep_common::audit;
use ep_common::ids::pseudonym;
use ep_common::lifecycle::accounts_of;
use ep_common::partners::{DUE_PURGE, ExclusionNotice, HabilitationRequest, ModificationRequest};
use ep_common::record::Record;
use ep_common::table::{Cond, Index, Item, MAX_TRANSACT_ITEMS, Query, StoreError, Write};
use ep_common::users::{PERSONAL_REF_PREFIX, Status, User, ident_key, purge_at, user_key};
use jiff::Timestamp;

use crate::SYSTEM;
use crate::due::{Counts, Kinds, Outcome, still_due};

pub(crate) async fn run(k: &mut Kinds<'_>) -> Result<Counts, StoreError> {
    let (ctx, now) = (k.ctx, k.now);
    let (counts, _) = k
        .each("purge", DUE_PURGE, |item| purge_one(ctx, item, now))
        .await?;
    Ok(counts)
}

async fn purge_one(ctx: &Ctx, item: Item, now: Timestamp) -> Result<Outcome, StoreError> {
    let Some(fresh) = still_due(ctx, &item, DUE_PURGE, now).await? else {
        return Ok(Outcome::Skipped);
    };
    let user: User = fresh.parse()?;
    let due = user.status == Status::Inactive
        && user.inactivated_at.is_some_and(|at| purge_at(at) <= now);
    if !due {
        return Ok(Outcome::Skipped);
    }
    let (upk, usk) = user_key(&user.id);
    let pointers = ctx
        .table
        .query_all(&Query::new(Index::Table, upk.clone()).prefix(PERSONAL_REF_PREFIX))
        .await?;
    // Pairs (blanking write if any, pointer deletion): kept together in a chunk.
    let mut blanking: Vec<Vec<Write>> = Vec::new();
    for pointer in &pointers {
        let mut pair = Vec::new();
        if let (Some(pk), Some(sk)) = (pointer.get_str("ref_pk"), pointer.get_str("ref_sk"))
            && let Some(w) = blank(ctx, &user, pk, sk).await?
        {
            pair.push(w);
        }
        pair.push(Write::delete(pointer.pk(), pointer.sk(), Cond::Exists));
        blanking.push(pair);
    }
    let mut last = Vec::new();
    let (ipk, isk) = ident_key(&user.identifiant);
    if let Some(ident) = ctx.table.get(&ipk, &isk).await?
        && ident.get_str("user_id") == Some(user.id.as_str())
    {
        last.push(Write::delete(ipk, isk, Cond::Exists));
    }
    last.push(Write::delete(upk, usk, Cond::VersionEquals(user.v)));
    let mut ev = audit::event(now, SYSTEM, "account.purged", Some(&pseudonym(&user.id)));
    ev.detail = Some(user.role.code().to_owned());
    last.push(audit::record(
        &user.org_id,
        ev,
        ctx.config.audit_retention_months,
    )?);

    let blank_writes: usize = blanking.iter().map(Vec::len).sum();
    if blank_writes + last.len() > MAX_TRANSACT_ITEMS {
        // Too many for one transaction: blank first (idempotent), delete last.
        let mut chunk: Vec<Write> = Vec::new();
        for pair in blanking {
            if chunk.len() + pair.len() > MAX_TRANSACT_ITEMS
                && !commit(ctx, std::mem::take(&mut chunk)).await?
            {
                return Ok(Outcome::Skipped);
            }
            chunk.extend(pair);
        }
        if !chunk.is_empty() && !commit(ctx, chunk).await? {
            return Ok(Outcome::Skipped);
        }
    } else {
        let mut all: Vec<Write> = blanking.into_iter().flatten().collect();
        all.append(&mut last);
        last = all;
    }
    if !commit(ctx, last).await? {
        return Ok(Outcome::Skipped);
    }
    tracing::info!(account = %pseudonym(&user.id), org = %user.org_id, "account purged");
    Ok(Outcome::Done(0))
}

/// Commits; false when a condition failed (changed by someone else: next run).
async fn commit(ctx: &Ctx, writes: Vec<Write>) -> Result<bool, StoreError> {
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => Ok(true),
        Err(StoreError::TransactionCanceled { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

fn is_set(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

/// The write blanking the person's data in the item `pk`/`sk`, if it still holds
/// any. Items of kinds this function does not know are left (and logged).
async fn blank(ctx: &Ctx, user: &User, pk: &str, sk: &str) -> Result<Option<Write>, StoreError> {
    let Some(item) = ctx.table.get(pk, sk).await? else {
        return Ok(None);
    };
    if sk.starts_with("HAB#") {
        let mut r: HabilitationRequest = item.parse()?;
        let holds = !r.nom.is_empty()
            || !r.prenom.is_empty()
            || !r.email.is_empty()
            || is_set(&r.civilite)
            || is_set(&r.fonction)
            || is_set(&r.telephone);
        if !holds {
            return Ok(None);
        }
        r.nom.clear();
        r.prenom.clear();
        r.email.clear();
        r.civilite = None;
        r.fonction = None;
        r.telephone = None;
        return Ok(Some(r.update_write()?.0));
    }
    if sk.starts_with("MOD#") {
        let mut r: ModificationRequest = item.parse()?;
        let holds = [&r.nom, &r.prenom, &r.fonction, &r.telephone, &r.email]
            .into_iter()
            .any(is_set);
        if !holds {
            return Ok(None);
        }
        r.nom = None;
        r.prenom = None;
        r.fonction = None;
        r.telephone = None;
        r.email = None;
        return Ok(Some(r.update_write()?.0));
    }
    if sk.starts_with("NOTICE#") {
        let mut n: ExclusionNotice = item.parse()?;
        let email = user.email.to_lowercase();
        if !n.notified.iter().any(|a| a.to_lowercase() == email) {
            return Ok(None);
        }
        // The same person may hold another account with this address (SPEC §1: a
        // gestionnaire who is also a technicien): then the address is still theirs.
        let still_used = accounts_of(ctx, &user.org_id)
            .await?
            .iter()
            .any(|u| u.id != user.id && u.email.to_lowercase() == email);
        if still_used {
            return Ok(None);
        }
        let anon = pseudonym(&user.id);
        for a in &mut n.notified {
            if a.to_lowercase() == email {
                *a = anon.clone();
            }
        }
        let mut next = Item::from_record(pk, sk, &n)?;
        // Keep whatever else the item carries (index attributes).
        for (k, v) in item.attrs() {
            if next.get(k).is_none() {
                next.set(k, v.clone());
            }
        }
        return Ok(Some(Write::put(next, Cond::Exists)));
    }
    tracing::warn!(item = %pk, "purge: no rule to blank this kind of item");
    Ok(None)
}
