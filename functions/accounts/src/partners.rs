//! Partners and their conventions (SPEC §2): created and edited by caisse agents;
//! suspension of a whole partner (§4.1); the help page's referents (§3.3); the
//! partner's audit trail.

use std::collections::HashMap;

use ep_common::Ctx;
use ep_common::audit::Event;
use ep_common::http::{Problem, json, parse_json, path_param};
use ep_common::ids::new_id;
use ep_common::partners::{
    Caisse, Convention, Partner, Suspension, caisse_key, caisse_partners_pk, conventions_of,
    get_caisse, partner_key,
};
use ep_common::record::Record;
use ep_common::sessions::Authed;
use ep_common::table::{Cond, Index, Query};
use ep_common::tx::Tx;
use ep_common::users::{Role, user_names};
use ep_domain::quota::quota_for;
use ep_domain::types::{
    ConventionState, Functionality, PartnerCategory, PartnerStatus, is_webmail_domain,
};
use jiff::civil::Date;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::util::{
    Check, PartnerAccess, forbidden_or_missing, page_from, partner_access, require_agent, required,
    today,
};

type Answer = Result<Response<Body>, Problem>;

#[derive(Deserialize, Default)]
pub struct PartnerBody {
    name: Option<String>,
    address: Option<String>,
    category: Option<String>,
    members: Option<i64>,
    #[serde(default)]
    allowed_domains: Vec<String>,
    convention: Option<ConventionBody>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ConventionBody {
    start: Option<String>,
    end: Option<String>,
    #[serde(default)]
    functionalities: Vec<String>,
}

/// Checked partner fields.
struct PartnerFields {
    name: String,
    address: String,
    category: PartnerCategory,
    members: u32,
    domains: Vec<String>,
}

fn parse_domain(d: &str) -> Result<String, String> {
    let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
    let ok = d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !ok {
        return Err(format!(
            "« {d} » n'est pas un nom de domaine valide (par exemple ccas-exemple.fr)."
        ));
    }
    if is_webmail_domain(&d) {
        return Err(format!(
            "« {d} » est une messagerie grand public : seules les adresses professionnelles de la structure sont autorisées."
        ));
    }
    Ok(d)
}

fn parse_partner(body: &PartnerBody, check: &mut Check) -> Option<PartnerFields> {
    let name = check.take(
        "name",
        required(&body.name, "name", "Le nom de la structure"),
    );
    let address = check.take("address", required(&body.address, "address", "L'adresse"));
    let category = check.take(
        "category",
        required(&body.category, "category", "La catégorie")
            .and_then(|c| PartnerCategory::parse(&c)),
    );
    let members = match body.members {
        Some(n) if (1..=100_000).contains(&n) => Some(n as u32),
        _ => {
            check.fail(
                "members",
                "Indiquez le nombre de membres de la structure (un nombre entier d'au moins 1).",
            );
            None
        }
    };
    let mut domains = Vec::new();
    for d in &body.allowed_domains {
        match parse_domain(d) {
            Ok(d) if !domains.contains(&d) => domains.push(d),
            Ok(_) => {}
            Err(m) => check.fail("allowed_domains", m),
        }
    }
    if body.allowed_domains.is_empty() {
        check.fail(
            "allowed_domains",
            "Indiquez au moins un domaine de messagerie professionnelle de la structure (par exemple ccas-exemple.fr).",
        );
    }
    Some(PartnerFields {
        name: name?,
        address: address?,
        category: category?,
        members: members?,
        domains,
    })
}

fn parse_date(
    v: &Option<String>,
    field: &str,
    check: &mut Check,
    required: bool,
) -> Option<Option<Date>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None if required => {
            check.fail(field, "La date est obligatoire (AAAA-MM-JJ).");
            None
        }
        None => Some(None),
        Some(s) => match s.parse::<Date>() {
            Ok(d) => Some(Some(d)),
            Err(_) => {
                check.fail(
                    field,
                    "Cette date n'est pas valide : utilisez le format AAAA-MM-JJ.",
                );
                None
            }
        },
    }
}

fn parse_convention(
    body: &ConventionBody,
    check: &mut Check,
) -> Option<(Date, Option<Date>, Vec<String>)> {
    let start = parse_date(&body.start, "convention.start", check, true);
    let end = parse_date(&body.end, "convention.end", check, false);
    let mut fns = Vec::new();
    for f in &body.functionalities {
        match Functionality::parse(f) {
            Ok(f) if !fns.contains(&f.code().to_owned()) => fns.push(f.code().to_owned()),
            Ok(_) => {}
            Err(e) => check.fail("convention.functionalities", e.message),
        }
    }
    let (start, end) = (start??, end?);
    if let Some(e) = end
        && e < start
    {
        check.fail(
            "convention.end",
            "La date de fin doit être postérieure à la date de début.",
        );
        return None;
    }
    Some((start, end, fns))
}

/// Quota use of a partner, as shown to its managers.
#[derive(Serialize)]
pub struct QuotaView {
    pub used: u32,
    pub max: u32,
}

#[derive(Serialize)]
pub struct PartnerView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub category: &'a str,
    pub category_label: &'static str,
    pub habilitated: bool,
    pub members: u32,
    pub allowed_domains: &'a [String],
    pub status: PartnerStatus,
    pub suspension: Option<&'a Suspension>,
    pub gestionnaires: QuotaView,
    pub techniciens: QuotaView,
    pub review_requested_at: Option<jiff::Timestamp>,
    pub review_confirmed_at: Option<jiff::Timestamp>,
    pub conventions: Vec<ConventionView>,
}

#[derive(Serialize)]
pub struct ConventionView {
    pub caisse_id: String,
    pub caisse_name: String,
    pub start: Date,
    pub end: Option<Date>,
    pub state: ConventionState,
    pub active: bool,
    pub functionalities: Vec<FunctionalityView>,
}

#[derive(Serialize)]
pub struct FunctionalityView {
    pub code: &'static str,
    pub label: &'static str,
}

/// The names of these caisses, in one read (none when there is none to name).
async fn caisse_names<'a>(
    ctx: &Ctx,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, String>, Problem> {
    let mut keys: Vec<(String, String)> = ids.map(caisse_key).collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(ctx
        .table
        .get_many(&keys)
        .await?
        .into_iter()
        .flatten()
        .filter_map(|i| i.parse::<Caisse>().ok())
        .map(|c| (c.id, c.name))
        .collect())
}

fn convention_view(c: &Convention, names: &HashMap<String, String>, day: Date) -> ConventionView {
    ConventionView {
        caisse_id: c.caisse_id.clone(),
        caisse_name: names.get(&c.caisse_id).cloned().unwrap_or_default(),
        start: c.start,
        end: c.end,
        state: c.state,
        active: c.is_active_on(day),
        functionalities: c
            .functionalities
            .iter()
            .filter_map(|f| Functionality::parse(f).ok())
            .map(|f| FunctionalityView {
                code: f.code(),
                label: f.label(),
            })
            .collect(),
    }
}

/// The partner as its pages show it, with the conventions given (their caisses'
/// names read at once).
pub async fn partner_view<'a>(
    ctx: &Ctx,
    p: &'a Partner,
    conventions: &[Convention],
) -> Result<PartnerView<'a>, Problem> {
    let names = caisse_names(ctx, conventions.iter().map(|c| c.caisse_id.as_str())).await?;
    Ok(partner_view_with(p, conventions, &names, today(ctx)))
}

fn partner_view_with<'a>(
    p: &'a Partner,
    conventions: &[Convention],
    names: &HashMap<String, String>,
    day: Date,
) -> PartnerView<'a> {
    let category = PartnerCategory::parse(&p.category).unwrap_or(PartnerCategory::Autre);
    let quota = quota_for(p.members).ok();
    let convs = conventions
        .iter()
        .map(|c| convention_view(c, names, day))
        .collect();
    PartnerView {
        id: &p.id,
        name: &p.name,
        address: &p.address,
        category: category.code(),
        category_label: category.label(),
        habilitated: category.is_habilitated(),
        members: p.members,
        allowed_domains: &p.allowed_domains,
        status: p.status,
        suspension: p.suspension.as_ref(),
        gestionnaires: QuotaView {
            used: p.gestionnaires,
            max: quota.map_or(0, |q| q.gestionnaires),
        },
        techniciens: QuotaView {
            used: p.techniciens,
            max: quota.map_or(0, |q| q.techniciens),
        },
        review_requested_at: p.review_requested_at,
        review_confirmed_at: p.review_confirmed_at,
        conventions: convs,
    }
}

/// The conventions a user may see: an agent its caisse's only; partner users all.
async fn visible_conventions(
    ctx: &Ctx,
    access: &PartnerAccess,
) -> Result<Vec<Convention>, Problem> {
    Ok(match &access.convention {
        Some(c) => vec![c.clone()],
        None => conventions_of(ctx.table.as_ref(), &access.partner.id).await?,
    })
}

pub async fn list(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    match authed.user.role {
        Role::Agent => {
            // One page of the caisse's conventions, their partners and the caisse's
            // name: three reads whatever the page size.
            let q = Query::new(Index::Gsi1, caisse_partners_pk(&authed.user.org_id)).limit(50);
            let page = page_from(ctx, req, q).await?;
            let convs: Vec<Convention> = page
                .items
                .iter()
                .map(|i| i.parse())
                .collect::<Result<_, _>>()?;
            let keys: Vec<(String, String)> =
                convs.iter().map(|c| partner_key(&c.partner_id)).collect();
            let partners = ctx.table.get_many(&keys).await?;
            let names = caisse_names(ctx, std::iter::once(authed.user.org_id.as_str())).await?;
            let day = today(ctx);
            let mut items = Vec::new();
            for (conv, p) in convs.iter().zip(partners) {
                let Some(p) = p.map(|i| i.parse::<Partner>()).transpose()? else {
                    continue;
                };
                let v = partner_view_with(&p, std::slice::from_ref(conv), &names, day);
                items.push(serde_json::to_value(&v).map_err(|_| Problem::unavailable())?);
            }
            Ok(json(
                200,
                &serde_json::json!({ "items": items, "next": page.next }),
            ))
        }
        Role::Gestionnaire | Role::Technicien => {
            let access = partner_access(ctx, authed, &authed.user.org_id).await?;
            let convs = visible_conventions(ctx, &access).await?;
            let v = partner_view(ctx, &access.partner, &convs).await?;
            Ok(json(
                200,
                &serde_json::json!({ "items": [v], "next": null }),
            ))
        }
        _ => Err(forbidden_or_missing()),
    }
}

pub async fn create(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let body: PartnerBody = parse_json(req)?;
    let mut check = Check::new();
    let fields = parse_partner(&body, &mut check);
    let conv = match &body.convention {
        Some(c) => parse_convention(c, &mut check),
        None => {
            check.fail(
                "convention.start",
                "Indiquez la date de début de la convention.",
            );
            None
        }
    };
    check.done()?;
    let (Some(f), Some((start, end, functionalities))) = (fields, conv) else {
        return Err(Problem::validation());
    };
    let now = ctx.now();
    let partner = Partner {
        id: new_id(),
        name: f.name,
        address: f.address,
        category: f.category.code().to_owned(),
        members: f.members,
        allowed_domains: f.domains,
        status: PartnerStatus::Active,
        suspension: None,
        gestionnaires: 0,
        techniciens: 0,
        review_requested_at: None,
        review_confirmed_at: None,
        created_at: now,
        created_by: Some(authed.user.id.clone()),
        v: 1,
    };
    let convention = Convention {
        partner_id: partner.id.clone(),
        caisse_id: caisse_id.clone(),
        partner_name: partner.name.clone(),
        start,
        end,
        state: ConventionState::Active,
        functionalities,
        v: 1,
    };
    let mut tx = Tx::new(ctx);
    tx.put(partner.to_item()?, Cond::NotExists);
    tx.put(convention.to_item()?, Cond::NotExists);
    tx.audit(
        &caisse_id,
        &authed.user.id,
        "partner.created",
        Some(&partner.id),
    )?;
    tx.audit(
        &partner.id,
        &authed.user.id,
        "partner.created",
        Some(&partner.id),
    )?;
    tx.commit().await?;
    let v = partner_view(ctx, &partner, std::slice::from_ref(&convention)).await?;
    Ok(json(201, &v))
}

pub async fn get(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let id = path_param(req, "partner_id").unwrap_or_default();
    let access = partner_access(ctx, authed, &id).await?;
    let convs = visible_conventions(ctx, &access).await?;
    Ok(json(
        200,
        &partner_view(ctx, &access.partner, &convs).await?,
    ))
}

pub async fn update(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    require_agent(authed)?;
    let id = path_param(req, "partner_id").unwrap_or_default();
    let access = partner_access(ctx, authed, &id).await?;
    let body: PartnerBody = parse_json(req)?;
    let mut check = Check::new();
    let fields = parse_partner(&body, &mut check);
    check.done()?;
    let Some(f) = fields else {
        return Err(Problem::validation());
    };
    let p = &access.partner;
    let mut next = p.clone();
    next.name = f.name;
    next.address = f.address;
    next.category = f.category.code().to_owned();
    // Fewer members than the accounts need: nothing is deleted, new creations wait.
    next.members = f.members;
    next.allowed_domains = f.domains;
    let (w, next) = next.update_write()?;
    let mut tx = Tx::new(ctx);
    tx.write(w);
    tx.audit(&p.id, &authed.user.id, "partner.updated", Some(&p.id))?;
    // Keep the caisses' partner lists in step with the name.
    if next.name != p.name {
        for c in conventions_of(ctx.table.as_ref(), &p.id).await? {
            let mut c2 = c.clone();
            c2.partner_name = next.name.clone();
            let (w, _) = c2.update_write()?;
            tx.write(w);
        }
    }
    tx.commit().await?;
    let convs = visible_conventions(ctx, &access).await?;
    Ok(json(200, &partner_view(ctx, &next, &convs).await?))
}

pub async fn update_convention(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let id = path_param(req, "partner_id").unwrap_or_default();
    let access = partner_access(ctx, authed, &id).await?;
    let Some(conv) = access.convention.clone() else {
        return Err(forbidden_or_missing());
    };
    let body: ConventionBody = parse_json(req)?;
    let mut check = Check::new();
    let parsed = parse_convention(&body, &mut check);
    check.done()?;
    let Some((start, end, functionalities)) = parsed else {
        return Err(Problem::validation());
    };
    let mut next = conv.clone();
    next.start = start;
    next.end = end;
    next.functionalities = functionalities;
    // A convention given a later end date again is back in force.
    if next.state == ConventionState::Ended && end.is_none_or(|e| e >= today(ctx)) {
        next.state = ConventionState::Active;
    }
    let (w, next) = next.update_write()?;
    let mut tx = Tx::new(ctx);
    tx.write(w);
    tx.audit(&caisse_id, &authed.user.id, "convention.updated", Some(&id))?;
    tx.audit(&id, &authed.user.id, "convention.updated", Some(&id))?;
    tx.commit().await?;
    let names = caisse_names(ctx, std::iter::once(caisse_id.as_str())).await?;
    Ok(json(200, &convention_view(&next, &names, today(ctx))))
}

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
    let q = Query::new(Index::Table, ep_common::audit::audit_pk(&id))
        .descending()
        .limit(50);
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
