//! Emails sent once by the scheduler: the password-expiry reminder (SPEC §3,
//! 15 days *(config)* before expiry) and the overdue-habilitation alert to the
//! caisse's agents (§3 « Creation »: 5 working days). In both cases the email is a
//! pending item written in the same transaction as the record change that takes the
//! record out of the due index (version-checked): written once, sent after commit,
//! retried until sent.

use ep_common::Ctx;
use ep_common::audit;
use ep_common::emails;
use ep_common::ids::new_id;
use ep_common::lifecycle::accounts_of;
use ep_common::mail::{EmailContent, compose};
use ep_common::partners::{
    CaisseRequest, DUE_HAB_OVERDUE, DUE_PASSWORD_REMINDER, HabilitationRequest,
};
use ep_common::record::Record;
use ep_common::sessions::password_expires_at;
use ep_common::table::{MAX_TRANSACT_ITEMS, StoreError, Write};
use ep_common::users::{Role, Status, User};
use ep_domain::calendar::paris_date;
use jiff::{SignedDuration, Timestamp};

use crate::SYSTEM;
use crate::due::{Counts, Kinds, Outcome, still_due};
use crate::texts;

/// One transaction holds the request, its audit event and the emails.
const MAX_ALERT_RECIPIENTS: usize = MAX_TRANSACT_ITEMS - 2;

pub(crate) async fn password_reminders(k: &mut Kinds<'_>) -> Result<Counts, StoreError> {
    let (ctx, now) = (k.ctx, k.now);
    let (counts, _) = k
        .each("password_reminder", DUE_PASSWORD_REMINDER, |item| {
            remind_one(ctx, item, now)
        })
        .await?;
    Ok(counts)
}

pub(crate) async fn overdue_habilitations(k: &mut Kinds<'_>) -> Result<(Counts, u32), StoreError> {
    let (ctx, now) = (k.ctx, k.now);
    k.each("hab_overdue", DUE_HAB_OVERDUE, |item| {
        alert_one(ctx, item, now)
    })
    .await
}

fn email_of(
    content: &EmailContent<'_>,
    now: Timestamp,
) -> Result<ep_common::mail::RawEmail, StoreError> {
    compose(content, &new_id(), now).map_err(|e| StoreError::Invalid(format!("email: {e}")))
}

/// Commits, then sends the emails; `Skipped` if a condition failed (another run).
async fn commit_and_send(
    ctx: &Ctx,
    writes: Vec<Write>,
    email_ids: &[String],
    outcome: Outcome,
) -> Result<Outcome, StoreError> {
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { .. }) => return Ok(Outcome::Skipped),
        Err(e) => return Err(e),
    }
    for id in email_ids {
        emails::deliver(ctx, id).await?;
    }
    Ok(outcome)
}

async fn remind_one(
    ctx: &Ctx,
    item: ep_common::table::Item,
    now: Timestamp,
) -> Result<Outcome, StoreError> {
    let Some(fresh) = still_due(ctx, &item, DUE_PASSWORD_REMINDER, now).await? else {
        return Ok(Outcome::Skipped);
    };
    let user: User = fresh.parse()?;
    if user.status != Status::Active {
        return Ok(Outcome::Skipped);
    }
    let mut next = user.clone();
    let reminder = SignedDuration::from_hours(24 * ctx.config.password_reminder_days);
    let (outcome, email) = match password_expires_at(ctx, &user) {
        // No password yet: nothing to remind.
        None => {
            next.password_reminder_at = None;
            (Outcome::Closed, None)
        }
        // The password changed since the reminder was set: remind for the new one.
        Some(expires) if expires - reminder > now => {
            next.password_reminder_at = Some(expires - reminder);
            (Outcome::Closed, None)
        }
        // Already expired: the next sign-in asks for a new one anyway.
        Some(expires) if expires <= now => {
            next.password_reminder_at = None;
            (Outcome::Closed, None)
        }
        Some(expires) => {
            next.password_reminder_at = None;
            let expires_on = paris_date(expires);
            let days_left = i64::from((expires_on - paris_date(now)).get_days().max(1));
            let link = format!("{}/mot-de-passe", ctx.config.public_url);
            let content = texts::password_expiry_reminder(
                &ctx.config.mail_from,
                &user,
                expires_on,
                days_left,
                &link,
            );
            (Outcome::Done(0), Some(email_of(&content, now)?))
        }
    };
    let (w, _) = next.update_write()?;
    let mut writes = vec![w];
    let mut ids = Vec::new();
    if let Some(email) = &email {
        writes.push(emails::enqueue(email, now)?);
        let ev = audit::event(now, SYSTEM, "account.password_reminder", Some(&user.id));
        writes.push(audit::record(
            &user.org_id,
            ev,
            ctx.config.audit_retention_months,
        )?);
        ids.push(email.id.clone());
    }
    commit_and_send(ctx, writes, &ids, outcome).await
}

async fn alert_one(
    ctx: &Ctx,
    item: ep_common::table::Item,
    now: Timestamp,
) -> Result<Outcome, StoreError> {
    let Some(fresh) = still_due(ctx, &item, DUE_HAB_OVERDUE, now).await? else {
        return Ok(Outcome::Skipped);
    };
    let req: HabilitationRequest = fresh.parse()?;
    if !req.is_open() || req.overdue_alerted_at.is_some() {
        return Ok(Outcome::Skipped);
    }
    let mut agents: Vec<User> = accounts_of(ctx, &req.caisse_id)
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Agent && u.status == Status::Active)
        .collect();
    // Within one transaction's limit; the caisse's admins first.
    agents.sort_by_key(|u| (!u.caisse_admin, u.created_at));
    if agents.len() > MAX_ALERT_RECIPIENTS {
        tracing::warn!(caisse = %req.caisse_id, agents = agents.len(), "overdue alert: too many agents, first ones only");
        agents.truncate(MAX_ALERT_RECIPIENTS);
    }
    let mut next = req.clone();
    next.overdue_alerted_at = Some(now);
    let (w, _) = next.update_write()?;
    let mut writes = vec![w];
    let what = texts::OverdueHabilitation {
        partner_name: &req.partner_name,
        received_on: paris_date(req.received_at),
        due_on: req.due_on,
    };
    let link = format!("{}/habilitations", ctx.config.public_url);
    let mut ids = Vec::new();
    for agent in &agents {
        let content = texts::habilitation_overdue(&ctx.config.mail_from, agent, &what, &link);
        let email = email_of(&content, now)?;
        writes.push(emails::enqueue(&email, now)?);
        ids.push(email.id);
    }
    let mut ev = audit::event(now, SYSTEM, "habilitation.overdue_alerted", Some(&req.id));
    ev.detail = Some(format!("recipients={}", agents.len()));
    writes.push(audit::record(
        &req.caisse_id,
        ev,
        ctx.config.audit_retention_months,
    )?);
    let outcome = if agents.is_empty() {
        tracing::warn!(request = %req.id, caisse = %req.caisse_id, "overdue habilitation: the caisse has no active agent");
        Outcome::Closed
    } else {
        Outcome::Done(agents.len() as u32)
    };
    commit_and_send(ctx, writes, &ids, outcome).await
}
