//! A partner's accounts (SPEC §3): the habilitation table and its CSV export,
//! techniciens created, edited and inactivated by gestionnaires, exclusions by the
//! caisse (§4.1), habilitation reviews (§4.2).

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param};
use ep_common::ids::new_id;
use ep_common::lifecycle::{self, Reason, accounts_of};
use ep_common::partners::{Review, review_key};
use ep_common::record::Record;
use ep_common::sessions::Authed;
use ep_common::table::{Cond, Index, Item, Query};
use ep_common::tx::Tx;
use ep_common::users::{OrgKind, Role, Status, User, get_user};
use ep_domain::quota::may_create;
use ep_domain::review_csv::{ReviewRow, review_csv};
use ep_domain::types::{AccountStatus, Profile};
use lambda_http::{Body, Request, Response};

use crate::caisses::view;
use crate::people::{PersonBody, new_account, parse_person};
use crate::texts;
use crate::util::{
    Check, forbidden_or_missing, partner_access, require_agent, require_gestionnaire_of,
};

type Answer = Result<Response<Body>, Problem>;

fn sorted(mut accounts: Vec<User>) -> Vec<User> {
    accounts.sort_by(|a, b| {
        (
            a.role != Role::Gestionnaire,
            a.status == Status::Inactive,
            a.nom.to_lowercase(),
            a.prenom.to_lowercase(),
        )
            .cmp(&(
                b.role != Role::Gestionnaire,
                b.status == Status::Inactive,
                b.nom.to_lowercase(),
                b.prenom.to_lowercase(),
            ))
    });
    accounts
}

/// Agents of a conventioned caisse and gestionnaires of the partner see the table.
pub async fn managers_access(
    ctx: &Ctx,
    req: &Request,
    authed: &Authed,
) -> Result<crate::util::PartnerAccess, Problem> {
    let id = path_param(req, "partner_id").unwrap_or_default();
    if !matches!(authed.user.role, Role::Agent | Role::Gestionnaire) {
        return Err(forbidden_or_missing());
    }
    partner_access(ctx, authed, &id).await
}

pub async fn list(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let access = managers_access(ctx, req, authed).await?;
    let accounts = sorted(accounts_of(ctx, &access.partner.id).await?);
    let items: Vec<_> = accounts.iter().map(view).collect();
    let v = crate::partner_view::partner_view(ctx, &access.partner, &[]).await?;
    Ok(json(
        200,
        &serde_json::json!({
            "items": items,
            "gestionnaires": v.gestionnaires,
            "techniciens": v.techniciens,
            "review_requested_at": access.partner.review_requested_at,
            "review_confirmed_at": access.partner.review_confirmed_at,
        }),
    ))
}

fn to_status(s: Status) -> AccountStatus {
    match s {
        Status::Pending => AccountStatus::Pending,
        Status::Active => AccountStatus::Active,
        Status::Inactive => AccountStatus::Inactive,
    }
}

/// The habilitation table as CSV for a French spreadsheet (§4.2).
pub async fn export_csv(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let access = managers_access(ctx, req, authed).await?;
    let accounts = sorted(accounts_of(ctx, &access.partner.id).await?);
    let mut rows = Vec::new();
    for u in accounts
        .iter()
        .filter(|u| matches!(u.role, Role::Gestionnaire | Role::Technicien))
    {
        // As the on-screen table says it: a colleague of the structure by name,
        // otherwise the caisse (no read per row).
        let created_by = match &u.created_by {
            Some(id) => match accounts.iter().find(|a| &a.id == id) {
                Some(a) => a.display_name(),
                None => "votre caisse".to_owned(),
            },
            None => String::new(),
        };
        rows.push(ReviewRow {
            profile: if u.role == Role::Gestionnaire {
                Profile::Gestionnaire
            } else {
                Profile::Technicien
            },
            nom: u.nom.clone(),
            prenom: u.prenom.clone(),
            fonction: u.fonction.clone().unwrap_or_default(),
            email: u.email.clone(),
            status: to_status(u.status),
            created_at: u.created_at,
            created_by,
            last_login: u.last_login_at,
            password_changed_at: u.password_changed_at,
        });
    }
    let csv = review_csv(&rows, ctx.now());
    let org = access.partner.id.clone();
    let mut tx = Tx::new(ctx);
    tx.audit(&org, &authed.user.id, "review.exported", Some(&org))?;
    tx.commit().await?;
    Ok(crate::util::csv_download(ctx, "habilitations", csv))
}

fn quota_problem(e: ep_domain::quota::QuotaError) -> Problem {
    let fe: ep_domain::FieldError = e.into();
    Problem::new(
        409,
        "quota.exceeded",
        "Nombre maximal de comptes atteint",
        fe.message,
    )
}

pub async fn create_technicien(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let id = path_param(req, "partner_id").unwrap_or_default();
    require_gestionnaire_of(authed, &id)?;
    let access = partner_access(ctx, authed, &id).await?;
    let partner = access.partner;
    let body: PersonBody = parse_json(req)?;
    let mut check = Check::new();
    let person = parse_person(&body, Some(&partner.allowed_domains), true, &mut check);
    check.done()?;
    let Some(person) = person else {
        return Err(Problem::validation());
    };
    may_create(Profile::Technicien, partner.members, partner.techniciens).map_err(quota_problem)?;
    let mut tx = Tx::new(ctx);
    let user = new_account(
        &mut tx,
        ctx,
        &authed.user,
        &person,
        Role::Technicien,
        (OrgKind::Partner, &partner.id, &partner.name),
        |u| u.attached_to = Some(authed.user.id.clone()),
    )
    .await?;
    let mut p = partner.clone();
    p.techniciens += 1;
    tx.write(p.update_write()?.0);
    tx.commit().await?;
    tracing::info!(user = %user.id, partner = %partner.id, "technicien created");
    Ok(json(201, &view(&user)))
}

/// A technicien of the partner (404 otherwise).
async fn technicien_of(ctx: &Ctx, req: &Request, partner_id: &str) -> Result<User, Problem> {
    let user_id = path_param(req, "user_id").unwrap_or_default();
    get_user(ctx.table.as_ref(), &user_id)
        .await?
        .filter(|u| u.role == Role::Technicien && u.org_id == partner_id)
        .ok_or_else(forbidden_or_missing)
}

pub async fn update_technicien(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let id = path_param(req, "partner_id").unwrap_or_default();
    require_gestionnaire_of(authed, &id)?;
    let access = partner_access(ctx, authed, &id).await?;
    let target = technicien_of(ctx, req, &id).await?;
    if target.status == Status::Inactive {
        return Err(Problem::new(
            409,
            "account.inactive",
            "Compte inactif",
            "Un compte inactif ne peut plus être modifié.",
        ));
    }
    let body: PersonBody = parse_json(req)?;
    let mut check = Check::new();
    let person = parse_person(
        &body,
        Some(&access.partner.allowed_domains),
        true,
        &mut check,
    );
    check.done()?;
    let Some(person) = person else {
        return Err(Problem::validation());
    };
    let mut next = target.clone();
    next.civilite = Some(person.civilite.label().to_lowercase());
    next.nom = person.nom;
    next.prenom = person.prenom;
    next.fonction = Some(person.fonction);
    next.telephone = person.telephone;
    next.email = person.email;
    let (w, next) = next.update_write()?;
    let mut tx = Tx::new(ctx);
    tx.write(w);
    tx.audit(&id, &authed.user.id, "account.updated", Some(&target.id))?;
    tx.commit().await?;
    Ok(json(200, &view(&next)))
}

/// §2.2.3: any gestionnaire of the partner inactivates a technicien, at once.
pub async fn inactivate_technicien(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let id = path_param(req, "partner_id").unwrap_or_default();
    require_gestionnaire_of(authed, &id)?;
    partner_access(ctx, authed, &id).await?;
    let target = technicien_of(ctx, req, &id).await?;
    let mut tx = Tx::new(ctx);
    tx.notify(&target.email, texts::technicien_inactivated(&target))?;
    let done = lifecycle::inactivate(
        ctx,
        &target.id,
        Reason::Manual,
        &authed.user.id,
        None,
        tx,
        ctx.now(),
    )
    .await?;
    Ok(json(200, &view(&done.user)))
}

/// §4.2: a caisse asks the partner for a habilitation review.
pub async fn request_review(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let id = path_param(req, "partner_id").unwrap_or_default();
    let access = partner_access(ctx, authed, &id).await?;
    let now = ctx.now();
    let review = Review {
        id: new_id(),
        partner_id: id.clone(),
        caisse_id: caisse_id.clone(),
        requested_at: now,
        requested_by: authed.user.id.clone(),
        confirmed_at: None,
        confirmed_by: None,
        v: 1,
    };
    let (rpk, rsk) = review_key(&id, &caisse_id, now);
    let mut p = access.partner.clone();
    p.review_requested_at = Some(now);
    let mut tx = Tx::new(ctx);
    tx.put(Item::from_record(rpk, rsk, &review)?, Cond::NotExists);
    tx.write(p.update_write()?.0);
    tx.audit(&caisse_id, &authed.user.id, "review.requested", Some(&id))?;
    tx.audit(&id, &authed.user.id, "review.requested", Some(&id))?;
    let link = format!("{}/structure/comptes", ctx.config.public_url);
    for g in accounts_of(ctx, &id)
        .await?
        .iter()
        .filter(|u| u.role == Role::Gestionnaire && u.status == Status::Active)
    {
        tx.notify(&g.email, texts::review_requested(g, &link))?;
    }
    tx.commit().await?;
    Ok(json(201, &review))
}

/// A gestionnaire confirms the review: every pending review of the partner.
pub async fn confirm_review(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let id = path_param(req, "partner_id").unwrap_or_default();
    require_gestionnaire_of(authed, &id)?;
    let access = partner_access(ctx, authed, &id).await?;
    let now = ctx.now();
    let pending: Vec<(Item, Review)> = ctx
        .table
        .query_all(&Query::new(Index::Table, format!("PARTNER#{id}")).prefix("REVIEW#"))
        .await?
        .into_iter()
        .filter_map(|i| i.parse::<Review>().ok().map(|r| (i, r)))
        .filter(|(_, r)| r.confirmed_at.is_none())
        .collect();
    let mut tx = Tx::new(ctx);
    for (item, r) in pending.iter().take(50) {
        let mut next = r.clone();
        next.confirmed_at = Some(now);
        next.confirmed_by = Some(authed.user.id.clone());
        next.v = r.v + 1;
        tx.put(
            Item::from_record(item.pk(), item.sk(), &next)?,
            Cond::VersionEquals(r.v),
        );
        tx.audit(&r.caisse_id, &authed.user.id, "review.confirmed", Some(&id))?;
    }
    let mut p = access.partner.clone();
    p.review_confirmed_at = Some(now);
    let (pw, next) = p.update_write()?;
    tx.write(pw);
    tx.audit(&id, &authed.user.id, "review.confirmed", Some(&id))?;
    tx.commit().await?;
    Ok(json(
        200,
        &serde_json::json!({ "review_confirmed_at": next.review_confirmed_at, "reviews_confirmed": pending.len() }),
    ))
}
