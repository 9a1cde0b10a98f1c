//! Emails that must not be lost. A message is written as a pending item in the same
//! transaction as the change that causes it (`enqueue`), sent right after commit
//! (`deliver`), and retried by the maintenance function with backoff (`deliver_due`)
//! until sent, or marked failed after `email_retry_hours` (then listed for the
//! caisse admin). Delivery is at least once: a lease (version-checked) keeps two
//! runs from sending the same message at the same time.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::mail::{MailError, RawEmail};
use crate::table::{Cond, Index, Item, Query, SkRange, StoreError, Write};

/// Due-index partition of pending emails.
pub const DUE_EMAIL: &str = "DUE#email";
/// gsi1 partition listing emails that could not be sent.
pub const FAILED_EMAILS: &str = "EMAIL#failed";
/// Due-index partition of failed emails, deleted `FAILED_RETENTION_DAYS` after
/// failing: they hold the recipient's name and address.
pub const DUE_EMAIL_FAILED: &str = "DUE#email_failed";
/// Days a failed email stays listed for the admin before it is deleted.
pub const FAILED_RETENTION_DAYS: i64 = 30;
/// How long a sender holds a message before another run may try it.
const LEASE: SignedDuration = SignedDuration::from_mins(10);

pub use crate::table::ts_key;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct PendingEmail {
    id: String,
    to: Vec<String>,
    raw: String,
    status: String,
    attempts: u32,
    created_at: String,
    v: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
}

fn key(id: &str) -> (String, String) {
    (format!("EMAIL#{id}"), "EMAIL".to_owned())
}

/// The write that records `email` as pending, to add to the causing transaction.
pub fn enqueue(email: &RawEmail, now: Timestamp) -> Result<Write, StoreError> {
    let raw = String::from_utf8(email.raw.clone())
        .map_err(|_| StoreError::Invalid("email is not UTF-8".into()))?;
    let (pk, sk) = key(&email.id);
    let record = PendingEmail {
        id: email.id.clone(),
        to: email.to.clone(),
        raw,
        status: "pending".into(),
        attempts: 0,
        created_at: ts_key(now),
        v: 1,
        last_error: None,
    };
    let item = Item::from_record(pk, sk, &record)?
        .with("due_pk", DUE_EMAIL)
        .with("due_at", ts_key(now));
    Ok(Write::put(item, Cond::NotExists))
}

/// What happened to one pending email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// The mail service was unavailable; retried later.
    Retry,
    /// Refused for good, or retried for too long: kept and listed as failed.
    Failed,
    /// Already sent, or another run holds it.
    Skipped,
}

/// Counts of one `deliver_due` run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryCounts {
    pub sent: u32,
    pub retry: u32,
    pub failed: u32,
    pub skipped: u32,
}

fn backoff(attempts: u32) -> SignedDuration {
    let mins = 1i64 << attempts.min(6);
    SignedDuration::from_mins(mins.min(60))
}

/// Sends one committed pending email in a task of its own, after the handler has
/// answered — for answers whose timing must not depend on whether an email is sent
/// (« mot de passe oublié »). Locally (the gateway) the task runs at once, so the
/// email is in the outbox a moment after the answer. On Lambda the runtime may freeze
/// the execution environment as soon as the response is returned: the task then
/// resumes at the next invocation of that environment, or never; either way the
/// pending item stays due and the scheduled maintenance run (every 5 minutes) sends
/// it, the lease keeping two senders from sending it twice. Errors are logged (the
/// id only) and left to that retry.
pub fn deliver_later(ctx: &Ctx, id: String) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        if let Err(e) = deliver(&ctx, &id).await {
            tracing::warn!(email = %id, error = %e, "email delivery left to the maintenance retry");
        }
    });
}

/// Sends one pending email now (right after the commit that enqueued it).
pub async fn deliver(ctx: &Ctx, id: &str) -> Result<Delivery, StoreError> {
    let (pk, sk) = key(id);
    let Some(item) = ctx.table.get(&pk, &sk).await? else {
        return Ok(Delivery::Skipped);
    };
    let mut rec: PendingEmail = item.parse()?;
    if rec.status != "pending" {
        return Ok(Delivery::Skipped);
    }
    let now = ctx.now();
    // Leased by another run, or waiting for its backoff: not ours to send now.
    if item
        .get_str("due_at")
        .is_some_and(|due| due > ts_key(now).as_str())
    {
        return Ok(Delivery::Skipped);
    }
    // Take the lease.
    let leased_v = rec.v + 1;
    let lease = serde_json::Map::from_iter([
        ("v".to_owned(), leased_v.into()),
        ("due_at".to_owned(), ts_key(now + LEASE).into()),
    ]);
    match ctx
        .table
        .update(&pk, &sk, lease, vec![], Cond::VersionEquals(rec.v))
        .await
    {
        Ok(()) => {}
        Err(StoreError::ConditionFailed) => return Ok(Delivery::Skipped),
        Err(e) => return Err(e),
    }
    rec.v = leased_v;
    let email = RawEmail {
        id: rec.id.clone(),
        to: rec.to.clone(),
        raw: rec.raw.clone().into_bytes(),
    };
    let outcome = ctx.mailer.send(&email).await;
    let created = rec.created_at.parse::<Timestamp>().unwrap_or(now);
    let give_up =
        now.duration_since(created) >= SignedDuration::from_hours(ctx.config.email_retry_hours);
    match outcome {
        Ok(()) => {
            match ctx.table.delete(&pk, &sk, Cond::VersionEquals(rec.v)).await {
                Ok(()) | Err(StoreError::ConditionFailed) => {}
                Err(e) => return Err(e),
            }
            tracing::info!(email = %rec.id, "email sent");
            Ok(Delivery::Sent)
        }
        Err(MailError::Unavailable(reason)) if !give_up => {
            rec.attempts += 1;
            tracing::warn!(email = %rec.id, attempts = rec.attempts, "email not sent, will retry");
            let set = serde_json::Map::from_iter([
                ("v".to_owned(), (rec.v + 1).into()),
                ("attempts".to_owned(), rec.attempts.into()),
                (
                    "due_at".to_owned(),
                    ts_key(now + backoff(rec.attempts)).into(),
                ),
                ("last_error".to_owned(), error_class(&reason).into()),
            ]);
            ctx.table
                .update(&pk, &sk, set, vec![], Cond::VersionEquals(rec.v))
                .await
                .or_else(|e| {
                    if e == StoreError::ConditionFailed {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })?;
            Ok(Delivery::Retry)
        }
        Err(e) => {
            tracing::error!(email = %rec.id, error = %mail_error_class(&e), "email failed");
            let set = serde_json::Map::from_iter([
                ("v".to_owned(), (rec.v + 1).into()),
                ("status".to_owned(), "failed".into()),
                ("attempts".to_owned(), (rec.attempts + 1).into()),
                ("last_error".to_owned(), mail_error_class(&e).into()),
                ("gsi1pk".to_owned(), FAILED_EMAILS.into()),
                ("gsi1sk".to_owned(), rec.created_at.clone().into()),
                ("due_pk".to_owned(), DUE_EMAIL_FAILED.into()),
                (
                    "due_at".to_owned(),
                    ts_key(now + SignedDuration::from_hours(24 * FAILED_RETENTION_DAYS)).into(),
                ),
            ]);
            ctx.table
                .update(&pk, &sk, set, vec![], Cond::VersionEquals(rec.v))
                .await
                .or_else(|e| {
                    if e == StoreError::ConditionFailed {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })?;
            Ok(Delivery::Failed)
        }
    }
}

/// The class of a mail error: the service's error code (`Throttling`,
/// `MessageRejected`…), or the kind of local failure.
fn mail_error_class(e: &MailError) -> String {
    match e {
        MailError::Unavailable(r) | MailError::Rejected(r) => error_class(r),
        MailError::Build(_) => "build".into(),
        MailError::InvalidAddress(_) => "invalid_address".into(),
    }
}

/// Keeps only the error's class (no address, no content: logs and items must not
/// carry personal data).
fn error_class(reason: &str) -> String {
    reason
        .split([':', ' '])
        .next()
        .unwrap_or("error")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(60)
        .collect()
}

/// Sends every pending email that is due at `now`, at most `limit`.
pub async fn deliver_due(
    ctx: &Ctx,
    now: Timestamp,
    limit: u32,
) -> Result<DeliveryCounts, StoreError> {
    let page = ctx
        .table
        .query(
            &Query::new(Index::Due, DUE_EMAIL)
                .range(SkRange::AtMost(ts_key(now)))
                .limit(limit.clamp(1, crate::table::MAX_PAGE)),
        )
        .await?;
    let mut counts = DeliveryCounts::default();
    for item in page.items {
        let Some(id) = item.get_str("id") else {
            continue;
        };
        match deliver(ctx, id).await? {
            Delivery::Sent => counts.sent += 1,
            Delivery::Retry => counts.retry += 1,
            Delivery::Failed => counts.failed += 1,
            Delivery::Skipped => counts.skipped += 1,
        }
    }
    Ok(counts)
}

/// Emails that could not be sent, newest first (for the caisse admin).
pub async fn failed(
    ctx: &Ctx,
    limit: u32,
) -> Result<Vec<(String, Vec<String>, String)>, StoreError> {
    Ok(failed_details(ctx, limit)
        .await?
        .into_iter()
        .map(|f| (f.id, f.to, f.created_at))
        .collect())
}

/// An email that could not be sent, as listed to the platform admin.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailedEmail {
    pub id: String,
    pub to: Vec<String>,
    pub subject: String,
    pub created_at: String,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// Emails that could not be sent, newest first, with their subject and last error.
pub async fn failed_details(ctx: &Ctx, limit: u32) -> Result<Vec<FailedEmail>, StoreError> {
    let page = ctx
        .table
        .query(
            &Query::new(Index::Gsi1, FAILED_EMAILS)
                .limit(limit)
                .descending(),
        )
        .await?;
    page.items
        .iter()
        .map(|i| {
            let rec: PendingEmail = i.parse()?;
            let subject = crate::mail::header_of(&rec.raw, "Subject")
                .map(|s| crate::mail::decode_header(&s))
                .unwrap_or_default();
            Ok(FailedEmail {
                id: rec.id,
                to: rec.to,
                subject,
                created_at: rec.created_at,
                attempts: rec.attempts,
                last_error: rec.last_error,
            })
        })
        .collect()
}
