//! Exclusion of an account by the caisse (§4.1: fraud, loss, theft, use not in line
//! with the convention): immediate inactivation, every session ended, the partner's
//! gestionnaires told, and the notice kept as proof.

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param};
use ep_common::ids::new_id;
use ep_common::lifecycle::{self, Reason, accounts_of};
use ep_common::partners::{ExclusionNotice, Partner, get_caisse, notice_key};
use ep_common::routes::Answer;
use ep_common::sessions::Authed;
use ep_common::table::{Cond, Index, Item, Query};
use ep_common::tx::Tx;
use ep_common::users::{Role, Status, User, get_user, personal_data_ref};
use lambda_http::Request;
use serde::Deserialize;

use crate::accounts::managers_access;
use crate::caisses::view;
use crate::texts;
use crate::util::{forbidden_or_missing, partner_access, require_agent};

#[derive(Deserialize, Default)]
struct ExcludeBody {
    reason: Option<String>,
}

/// The reason code and its label in the notice.
fn reason_of(body: &ExcludeBody) -> Result<(&'static str, &'static str), Problem> {
    match body.reason.as_deref().map(str::trim) {
        Some("fraude") => Ok(("fraude", "utilisation frauduleuse")),
        Some("perte") => Ok(("perte", "perte des identifiants")),
        Some("vol") => Ok(("vol", "vol des identifiants")),
        Some("non_conforme") => Ok((
            "non_conforme",
            "utilisation non conforme à la convention ou aux CGU",
        )),
        _ => Err(Problem::validation().field(
            "reason",
            "Choisissez le motif : utilisation frauduleuse (fraude), perte (perte), vol (vol) ou utilisation non conforme (non_conforme).",
        )),
    }
}

pub async fn exclude(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let id = path_param(req, "partner_id").unwrap_or_default();
    let access = partner_access(ctx, authed, &id).await?;
    let user_id = path_param(req, "user_id").unwrap_or_default();
    let target = get_user(ctx.table.as_ref(), &user_id)
        .await?
        .filter(|u| u.org_id == id && matches!(u.role, Role::Gestionnaire | Role::Technicien))
        .ok_or_else(forbidden_or_missing)?;
    let reason = reason_of(&parse_json(req)?)?;
    let (user, notice) = exclude_account(
        ctx,
        &authed.user,
        &caisse_id,
        &access.partner,
        target,
        reason,
    )
    .await?;
    Ok(json(
        200,
        &serde_json::json!({ "account": view(&user), "notice": notice }),
    ))
}

/// The use case: the notice to the partner's gestionnaires (the excluded account itself
/// when there is no other), its proof, and the inactivation — one transaction.
async fn exclude_account(
    ctx: &Ctx,
    actor: &User,
    caisse_id: &str,
    partner: &Partner,
    target: User,
    (reason, label): (&'static str, &'static str),
) -> Result<(User, ExclusionNotice), Problem> {
    let now = ctx.now();
    let accounts = accounts_of(ctx, &partner.id).await?;
    let mut told: Vec<&User> = accounts
        .iter()
        .filter(|u| {
            u.id != target.id
                && u.role == Role::Gestionnaire
                && matches!(u.status, Status::Active | Status::Pending)
        })
        .collect();
    if told.is_empty() {
        told.push(&target);
    }
    let mut recipients: Vec<String> = told.iter().map(|u| u.email.clone()).collect();
    recipients.sort();
    recipients.dedup();
    let caisse_name = get_caisse(ctx.table.as_ref(), caisse_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let mut tx = Tx::new(ctx);
    let mut message_ids = Vec::new();
    for to in &recipients {
        let words = texts::exclusion(&caisse_name, &target, &partner.name, label);
        message_ids.push(tx.notify(to, words)?);
    }
    let notice = ExclusionNotice {
        id: new_id(),
        partner_id: partner.id.clone(),
        caisse_id: caisse_id.to_owned(),
        user_id: target.id.clone(),
        reason: reason.to_owned(),
        by: actor.id.clone(),
        at: now,
        notified: recipients,
        message_ids,
    };
    let (npk, nsk) = notice_key(&partner.id, now, &notice.id);
    tx.put(Item::from_record(&npk, &nsk, &notice)?, Cond::NotExists);
    for u in &told {
        tx.write(personal_data_ref(&u.id, &npk, &nsk));
    }
    tx.audit(caisse_id, &actor.id, "account.excluded", Some(&target.id))?;
    let reason = Reason::Exclusion(reason);
    let done = lifecycle::inactivate(ctx, &target.id, reason, &actor.id, None, tx, now).await?;
    Ok((done.user, notice))
}

/// Exclusion notices of a partner (proof kept, §4.1), newest first.
pub async fn notices(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let access = managers_access(ctx, req, authed).await?;
    let items: Vec<ExclusionNotice> = ctx
        .table
        .query_all(
            &Query::new(Index::Table, format!("PARTNER#{}", access.partner.id))
                .prefix("NOTICE#")
                .descending(),
        )
        .await?
        .iter()
        .map(|i| i.parse())
        .collect::<Result<_, _>>()?;
    let items: Vec<ExclusionNotice> = match &access.convention {
        Some(c) => items
            .into_iter()
            .filter(|n| n.caisse_id == c.caisse_id)
            .collect(),
        None => items,
    };
    Ok(json(200, &serde_json::json!({ "items": items })))
}
