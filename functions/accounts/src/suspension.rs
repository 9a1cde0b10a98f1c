//! Suspension of a whole partner by a caisse (§4.1), the help page's referents (§3.3),
//! the partner's audit trail.

use ep_common::Ctx;
use ep_common::audit::Event;
use ep_common::http::{Problem, json, parse_json, path_param};
use ep_common::partners::{Suspension, conventions_of, get_caisse};
use ep_common::record::Record;
use ep_common::sessions::Authed;
use ep_common::tx::Tx;
use ep_common::users::{Role, user_names};
use ep_domain::types::PartnerStatus;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use crate::util::{forbidden_or_missing, page_from, partner_access, require_agent, today};

type Answer = Result<Response<Body>, Problem>;

use crate::partner_view::*;

#[derive(Deserialize, Default)]
struct SuspendBody {
    reason: Option<String>,
}

pub async fn suspend(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let id = path_param(req, "partner_id").unwrap_or_default();
    let access = partner_access(ctx, authed, &id).await?;
    let body: SuspendBody = parse_json(req)?;
    let reason = body.reason.as_deref().map(str::trim).unwrap_or("");
    if !matches!(reason, "fraude" | "non_conforme" | "autre") {
        return Err(Problem::validation().field(
            "reason",
            "Choisissez le motif de la suspension : utilisation frauduleuse (fraude), non conforme à la convention (non_conforme) ou autre.",
        ));
    }
    let p = &access.partner;
    if p.is_suspended() {
        return Err(Problem::new(
            409,
            "partner.already_suspended",
            "Déjà suspendu",
            "L'accès de cette structure est déjà suspendu.",
        ));
    }
    let mut next = p.clone();
    next.status = PartnerStatus::Suspended;
    next.suspension = Some(Suspension {
        caisse_id: caisse_id.clone(),
        by: authed.user.id.clone(),
        at: ctx.now(),
        reason: reason.to_owned(),
    });
    let (w, next) = next.update_write()?;
    let mut tx = Tx::new(ctx);
    tx.write(w);
    tx.audit(&caisse_id, &authed.user.id, "partner.suspended", Some(&id))?;
    tx.audit(&id, &authed.user.id, "partner.suspended", Some(&id))?;
    tx.commit().await?;
    tracing::info!(partner = %id, "partner suspended");
    let convs = visible_conventions(ctx, &access).await?;
    Ok(json(200, &partner_view(ctx, &next, &convs).await?))
}

pub async fn reinstate(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let id = path_param(req, "partner_id").unwrap_or_default();
    let access = partner_access(ctx, authed, &id).await?;
    let p = &access.partner;
    match &p.suspension {
        Some(s) if p.is_suspended() && s.caisse_id == caisse_id => {}
        Some(_) if p.is_suspended() => {
            return Err(Problem::new(
                409,
                "partner.suspended_by_other",
                "Suspension d'une autre caisse",
                "Cette structure a été suspendue par une autre caisse : seule celle-ci peut rétablir son accès.",
            ));
        }
        _ => {
            return Err(Problem::new(
                409,
                "partner.not_suspended",
                "Accès non suspendu",
                "L'accès de cette structure n'est pas suspendu.",
            ));
        }
    }
    let mut next = p.clone();
    next.status = PartnerStatus::Active;
    next.suspension = None;
    let (w, next) = next.update_write()?;
    let mut tx = Tx::new(ctx);
    tx.write(w);
    tx.audit(&caisse_id, &authed.user.id, "partner.reinstated", Some(&id))?;
    tx.audit(&id, &authed.user.id, "partner.reinstated", Some(&id))?;
    tx.commit().await?;
    let convs = visible_conventions(ctx, &access).await?;
    Ok(json(200, &partner_view(ctx, &next, &convs).await?))
}

/// The help page (§3.3): the support referents and contact of the user's caisses.
pub async fn help(ctx: &Ctx, _req: &Request, authed: &Authed) -> Answer {
    let caisse_ids: Vec<String> = match authed.user.role {
        Role::Agent => vec![authed.user.org_id.clone()],
        Role::Gestionnaire | Role::Technicien => {
            conventions_of(ctx.table.as_ref(), &authed.user.org_id)
                .await?
                .into_iter()
                .filter(|c| c.is_active_on(today(ctx)))
                .map(|c| c.caisse_id)
                .collect()
        }
        _ => vec![],
    };
    let mut caisses = Vec::new();
    for id in caisse_ids {
        if let Some(c) = get_caisse(ctx.table.as_ref(), &id).await? {
            caisses.push(serde_json::json!({
                "id": c.id, "name": c.name, "address": c.address,
                "alt_contact": c.alt_contact, "referents": c.referents,
            }));
        }
    }
    Ok(json(200, &serde_json::json!({ "caisses": caisses })))
}

/// The partner's account events (gestionnaires) or trail (agents of a conventioned
/// caisse), newest first.
pub async fn audit(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let id = path_param(req, "partner_id").unwrap_or_default();
    if !matches!(authed.user.role, Role::Agent | Role::Gestionnaire) {
        return Err(forbidden_or_missing());
    }
    partner_access(ctx, authed, &id).await?;
    let q = ep_common::audit::events_query(&id).descending().limit(50);
    let page = page_from(ctx, req, q).await?;
    let events: Vec<Event> = page
        .items
        .iter()
        .map(|i| i.parse())
        .collect::<Result<_, _>>()?;
    // The actors' names in one read (events keep ids only; a purged account's
    // pseudonymous id stays as it is).
    let names = user_names(ctx, events.iter().map(|e| e.actor.as_str())).await?;
    let items: Vec<serde_json::Value> = events
        .iter()
        .map(|ev| {
            let actor = names.get(&ev.actor).cloned().unwrap_or_else(|| ev.actor.clone());
            serde_json::json!({
                "at": ev.at, "action": ev.action, "actor": actor, "target": ev.target, "detail": ev.detail,
            })
        })
        .collect();
    Ok(json(
        200,
        &serde_json::json!({ "items": items, "next": page.next }),
    ))
}
