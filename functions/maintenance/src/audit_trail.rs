//! The audit trails' retention and the daily check of their hash chains.
//!
//! **Retention.** Events are due for deletion `audit_retention_months` after their
//! time (`DUE#audit`). Within a trail times are monotone along the chain, so the due
//! events of a trail are a prefix of its chain: they are deleted oldest first, only as
//! the continuation of the trail's checkpoint (`AUDIT#<org>` / `CHECKPOINT`: number,
//! hash and sort key of the last event removed), which the same transaction moves
//! (version-checked). Verification then starts from the checkpoint. An event due but
//! not next after the checkpoint (the one before it is not due yet) waits. Events
//! written before the chain are deleted as before.
//!
//! **Check.** Each chained trail has a verification mark (`AUDIT#<org>` /
//! `VERIFIED`, in `DUE#audit_verify`), due once a day: the run verifies the trail from
//! the mark (what was verified the day before: number, hash, sort key) to its head,
//! and fully, from the checkpoint, when the last full verification is
//! [`FULL_EVERY_DAYS`] old — an incremental check does not see an edit of an event it
//! already verified; the full one does, and the verify action of the audit pages is
//! always full. A broken chain is alerted once per break: an `audit.chain_broken`
//! event on the platform's trail (target: the trail's organisation, detail: the kind
//! of break), an email to the platform admins (ids only) and an error in the logs
//! (ids only); the mark stays where the chain last verified.

use std::collections::BTreeMap;

use ep_common::Ctx;
use ep_common::audit::chain::DUE_VERIFY;
use ep_common::audit::verify::{self, Report, Start};
use ep_common::audit::{self, CHECKPOINT_SK, DUE_AUDIT};
use ep_common::emails::ts_key;
use ep_common::lifecycle::accounts_of;
use ep_common::table::{
    Cond, Index, Item, MAX_PAGE, MAX_TRANSACT_ITEMS, Query, SkRange, StoreError, Write,
};
use ep_common::tx::Tx;
use ep_common::users::{PLATFORM_ORG, Role, Status};
use jiff::{SignedDuration, Timestamp};

use crate::SYSTEM;
use crate::due::{Counts, Kinds};

/// A trail is verified fully (from its checkpoint) at least this often.
pub const FULL_EVERY_DAYS: i64 = 7;

/// Deletes the audit events at the end of their retention (see the module).
pub(crate) async fn purge(k: &mut Kinds<'_>) -> Result<Counts, StoreError> {
    let ctx = k.ctx;
    let mut counts = Counts::default();
    let page = ctx
        .table
        .query(
            &Query::new(Index::Due, DUE_AUDIT)
                .range(SkRange::AtMost(ts_key(k.now)))
                .limit(k.batch.clamp(1, MAX_PAGE)),
        )
        .await?;
    if page.next.is_some() {
        k.unfinished.push("audit");
    }
    // Per trail, in chain order.
    let mut trails: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for item in page.items {
        trails.entry(item.pk().to_owned()).or_default().push(item);
    }
    for (pk, items) in trails {
        if k.budget.exhausted() {
            k.unfinished.push("audit");
            break;
        }
        let (legacy, mut chained): (Vec<Item>, Vec<Item>) =
            items.into_iter().partition(|i| i.get("seq").is_none());
        for item in legacy {
            match ctx.table.delete(item.pk(), item.sk(), Cond::Exists).await {
                Ok(()) => counts.done += 1,
                Err(StoreError::ConditionFailed) => counts.skipped += 1,
                Err(e) => return Err(e),
            }
        }
        chained.sort_by_key(seq_of);
        let (done, skipped) = purge_prefix(ctx, &pk, chained).await?;
        counts.done += done;
        counts.skipped += skipped;
    }
    Ok(counts)
}

fn seq_of(item: &Item) -> u64 {
    item.get("seq").and_then(|v| v.as_u64()).unwrap_or(0)
}

/// Deletes the events of one trail that continue its checkpoint, moving it.
async fn purge_prefix(ctx: &Ctx, pk: &str, due: Vec<Item>) -> Result<(u32, u32), StoreError> {
    let (mut done, total) = (0u32, due.len() as u32);
    let mut rest = due.as_slice();
    while !rest.is_empty() {
        let cp = ctx.table.get(pk, CHECKPOINT_SK).await?;
        let cp_seq = cp.as_ref().map(seq_of).unwrap_or(0);
        let mut next = cp_seq + 1;
        // Already removed (the due index lags on DynamoDB): skip them.
        while rest.first().is_some_and(|i| seq_of(i) < next) {
            rest = &rest[1..];
        }
        let mut writes = Vec::new();
        let mut last: Option<&Item> = None;
        for item in rest.iter().take(MAX_TRANSACT_ITEMS - 1) {
            if seq_of(item) != next {
                break;
            }
            writes.push(Write::delete(item.pk(), item.sk(), Cond::Exists));
            last = Some(item);
            next += 1;
        }
        let Some(last) = last else { break };
        let n = writes.len();
        let v = cp.as_ref().and_then(Item::version);
        let checkpoint = Item::new(pk, CHECKPOINT_SK)
            .with("seq", seq_of(last))
            .with("hash", last.get_str("hash").unwrap_or(""))
            .with("last_sk", last.sk())
            .with("at", last.get_str("at").unwrap_or(""))
            .with("v", v.map_or(1, |v| v + 1));
        let cond = v.map_or(Cond::NotExists, Cond::VersionEquals);
        writes.push(Write::put(checkpoint, cond));
        match ctx.table.transact(writes).await {
            Ok(()) => done += n as u32,
            // Another run moved the checkpoint: the next run goes on from there.
            Err(StoreError::TransactionCanceled { .. }) => break,
            Err(e) => return Err(e),
        }
        rest = &rest[n..];
    }
    Ok((done, total - done))
}

/// Verifies the chains whose mark is due (see the module); returns the counts and
/// the number of broken chains found.
pub(crate) async fn check(k: &mut Kinds<'_>) -> Result<(Counts, u32), StoreError> {
    let (ctx, now) = (k.ctx, k.now);
    k.each("audit_check", DUE_VERIFY, |mark| async move {
        let broken = check_one(ctx, mark, now).await?;
        Ok(crate::due::Outcome::Done(u32::from(broken)))
    })
    .await
}

/// Verifies one trail; true when its chain is broken.
pub async fn check_one(ctx: &Ctx, mark: Item, now: Timestamp) -> Result<bool, StoreError> {
    let org = mark.pk().trim_start_matches("AUDIT#").to_owned();
    let full_at: Option<Timestamp> = mark.get_str("full_at").and_then(|s| s.parse().ok());
    let marked = mark.get("seq").and_then(|v| v.as_u64()).unwrap_or(0);
    let full = marked == 0
        || full_at.is_none_or(|t| now - SignedDuration::from_hours(24 * FULL_EVERY_DAYS) >= t);
    let start = (!full).then(|| Start {
        seq: marked,
        hash: mark.get_str("hash").unwrap_or("").to_owned(),
        after_sk: mark.get_str("last_sk").map(str::to_owned),
    });
    let report = verify::run(ctx.table.as_ref(), &org, start).await?;
    let v = mark.version().unwrap_or(0);
    let mut next = Item::new(mark.pk(), mark.sk())
        .with("due_pk", DUE_VERIFY)
        .with("due_at", ts_key(now + SignedDuration::from_hours(24)))
        .with("v", v + 1);
    let previous_full = mark.get_str("full_at").unwrap_or("").to_owned();
    // A broken chain stays due for a full verification every day until repaired.
    let full_ok = full && report.broken.is_none();
    next.set(
        "full_at",
        if full_ok {
            now.to_string()
        } else {
            previous_full
        },
    );
    let mut tx = Tx::new(ctx);
    match &report.broken {
        None => {
            next.set("seq", report.last_seq);
            next.set("hash", report.last_hash.clone());
            next.set("last_sk", report.last_sk.clone());
        }
        Some(b) => {
            for name in ["seq", "hash", "last_sk"] {
                next.set(name, mark.get(name).cloned().unwrap_or_default());
            }
            let signature = signature(&report);
            next.set("broken", signature.clone());
            if mark.get_str("broken") != Some(signature.as_str()) {
                alert(ctx, &mut tx, &org, &report).await?;
            }
            tracing::error!(org = %org, kind = b.kind, event = %b.event.as_ref().map(|e| e.id.as_str()).unwrap_or("-"), "audit chain broken");
        }
    }
    tx.put(next, Cond::VersionEquals(v));
    match tx.commit_or_store_error().await {
        Ok(()) | Err(StoreError::TransactionCanceled { .. }) => Ok(report.broken.is_some()),
        Err(e) => Err(e),
    }
}

/// What identifies a break, so that it is alerted once.
fn signature(r: &Report) -> String {
    let b = r.broken.as_ref();
    format!(
        "{}:{}:{}",
        b.map(|b| b.kind).unwrap_or(""),
        b.and_then(|b| b.event.as_ref())
            .map(|e| e.id.as_str())
            .unwrap_or(""),
        b.and_then(|b| b.after.as_ref())
            .and_then(|e| e.seq)
            .unwrap_or(0),
    )
}

/// The alert: an event on the platform's trail and an email to its admins.
async fn alert(ctx: &Ctx, tx: &mut Tx<'_>, org: &str, r: &Report) -> Result<(), StoreError> {
    let Some(b) = &r.broken else { return Ok(()) };
    let mut ev = audit::event(ctx.now(), SYSTEM, "audit.chain_broken", Some(org));
    ev.detail = Some(b.kind.to_owned());
    tx.audit_event(PLATFORM_ORG, ev)?;
    let admins = accounts_of(ctx, PLATFORM_ORG).await?;
    let what = match &b.event {
        Some(e) => format!(
            "{} : événement {} (n° {}).",
            crate::texts::break_kind(b.kind),
            e.id,
            e.seq
                .map(|s| s.to_string())
                .unwrap_or_else(|| "sans numéro".into())
        ),
        None => format!(
            "{} : {} événement(s) manquant(s) à la fin du journal.",
            crate::texts::break_kind(b.kind),
            b.missing.unwrap_or(0)
        ),
    };
    let url = format!("{}/journal", ctx.config.public_url.trim_end_matches('/'));
    for admin in admins
        .iter()
        .filter(|u| u.role == Role::Admin && u.status == Status::Active)
    {
        tx.email(
            &admin.email,
            "Journal d'audit : chaîne rompue",
            vec![
                "Bonjour,".into(),
                format!(
                    "La vérification quotidienne du journal d'audit de l'organisation {org} a trouvé une rupture de la chaîne d'empreintes."
                ),
                what.clone(),
                "Vérifiez le journal depuis le portail et conservez une copie de la base de données avant toute correction.".into(),
            ],
            Some(("Ouvrir le journal d'audit", &url)),
        )?;
    }
    Ok(())
}
