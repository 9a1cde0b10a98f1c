//! Partners and their conventions (SPEC §2): created and edited by caisse agents;
//! suspension of a whole partner (§4.1); the help page's referents (§3.3); the
//! partner's audit trail.

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param};
use ep_common::ids::new_id;
use ep_common::partners::{
    Convention, Partner, caisse_names, caisse_partners_pk, conventions_of, partner_id_by_siret,
    partner_key,
};
use ep_common::record::Record;
use ep_common::sessions::Authed;
use ep_common::table::{Cond, Index, Query};
use ep_common::tx::Tx;
use ep_common::users::Role;
use ep_domain::types::{ConventionState, PartnerStatus, Siret};
use lambda_http::{Body, Request, Response};

use crate::first_gestionnaire as first;
use crate::joining::{ConventionFields, add_convention, created};
use crate::util::{
    Check, forbidden_or_missing, page_from, partner_access, partner_access_any, require_agent,
    today,
};

type Answer = Result<Response<Body>, Problem>;

use crate::partner_form::*;
use crate::partner_view::*;

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
            let names = caisse_names(
                ctx.table.as_ref(),
                std::iter::once(authed.user.org_id.as_str()),
            )
            .await?;
            let day = today(ctx);
            let mut items = Vec::new();
            for (conv, p) in convs.iter().zip(partners) {
                // An ended convention no longer opens the partner (`partner_access`).
                if conv.state != ConventionState::Active {
                    continue;
                }
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
    let siret = parse_siret(&body, &mut check);
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
    let domains = fields.as_ref().map(|f| f.domains.as_slice());
    let first = first::parse_first(body.first_gestionnaire.as_ref(), domains, &mut check);
    check.done()?;
    let (Some(siret), Some(f), Some(conv), Some(first)) = (siret, fields, conv, first) else {
        return Err(Problem::validation());
    };
    // A known SIRET: the structure exists, the caisse's convention is added to it.
    if let Some(id) = partner_id_by_siret(ctx.table.as_ref(), &siret).await? {
        if first.is_some() {
            return Err(Problem::validation().field("siret", KNOWN_WITH_FIRST));
        }
        let (partner, convention) =
            add_convention(ctx, &authed.user, &caisse_id, &id, &siret, conv).await?;
        return created(ctx, &partner, &convention, true, None).await;
    }
    let (mut partner, convention) =
        records(&caisse_id, &authed.user.id, (f, siret), conv, ctx.now());
    let mut tx = Tx::new(ctx);
    let gestionnaire = match first {
        Some(person) => Some(
            first::add_first(&mut tx, ctx, &authed.user, &caisse_id, &mut partner, person).await?,
        ),
        None => None,
    };
    for w in partner.create_writes()? {
        tx.write(w);
    }
    tx.put(convention.to_item()?, Cond::NotExists);
    for trail in [caisse_id.as_str(), partner.id.as_str()] {
        tx.audit(trail, &authed.user.id, "partner.created", Some(&partner.id))?;
    }
    tx.commit().await?;
    created(ctx, &partner, &convention, false, gestionnaire.as_ref()).await
}

const KNOWN_WITH_FIRST: &str = "Une structure avec ce SIRET existe déjà dans l'Espace Partenaires : enregistrez-la sans premier gestionnaire (la convention de votre caisse lui sera ajoutée), puis, si besoin, enregistrez une demande d'habilitation sur sa page.";

/// A new active partner and its convention with the agent's caisse.
fn records(
    caisse_id: &str,
    actor_id: &str,
    (f, siret): (PartnerFields, Siret),
    (start, end, functionalities): ConventionFields,
    now: jiff::Timestamp,
) -> (Partner, Convention) {
    let partner = Partner {
        id: new_id(),
        name: f.name,
        siret: Some(siret),
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
        created_by: Some(actor_id.to_owned()),
        v: 1,
    };
    let convention = Convention {
        partner_id: partner.id.clone(),
        caisse_id: caisse_id.to_owned(),
        partner_name: partner.name.clone(),
        start,
        end,
        state: ConventionState::Active,
        functionalities,
        v: 1,
    };
    (partner, convention)
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
    let access = partner_access_any(ctx, authed, &id).await?;
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
    let names = caisse_names(ctx.table.as_ref(), std::iter::once(caisse_id.as_str())).await?;
    Ok(json(200, &convention_view(&next, &names, today(ctx))))
}
