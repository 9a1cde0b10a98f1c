//! Habilitation of a gestionnaire (§2.2.1): the partner (or an agent for it) records
//! the request, the caisse processes it within 5 working days: approving it creates
//! the account within the partner's quota; rejecting it tells the partner why.

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param};
use ep_common::ids::new_id;
use ep_common::partners::{
    CaisseRequest, Decision, HabilitationRequest, HabilitationState, Partner, get_partner,
    habilitation_key,
};
use ep_common::record::Record;
use ep_common::routes::Answer;
use ep_common::sessions::Authed;
use ep_common::table::Cond;
use ep_common::tx::Tx;
use ep_common::users::{OrgKind, Role, Status, User, get_user, personal_data_ref};
use ep_domain::calendar::habilitation_due;
use ep_domain::quota::may_create;
use ep_domain::types::{Civilite, ProfessionalEmail, Profile};
use lambda_http::Request;
use serde::Deserialize;

use crate::caisses::view;
use crate::people::{Person, PersonBody, new_account, parse_person};
use crate::queue::{self, Rejection, only_gestionnaire_or_agent, target_caisse};
use crate::texts;
use crate::util::{Check, forbidden_or_missing, partner_access, require_agent, today};

#[derive(Deserialize, Default)]
struct HabilitationBody {
    #[serde(flatten)]
    person: PersonBody,
    caisse_id: Option<String>,
}

pub async fn create(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    only_gestionnaire_or_agent(authed)?;
    let id = path_param(req, "partner_id").unwrap_or_default();
    let access = partner_access(ctx, authed, &id).await?;
    let body: HabilitationBody = parse_json(req)?;
    let mut check = Check::new();
    let person = parse_person(
        &body.person,
        Some(&access.partner.allowed_domains),
        true,
        &mut check,
    );
    check.done()?;
    let person = person.ok_or_else(Problem::validation)?;
    let caisse_id = target_caisse(ctx, authed, &id, body.caisse_id.as_deref()).await?;
    let request = new_request(ctx, &authed.user.id, &access.partner, &caisse_id, person);
    let mut tx = Tx::new(ctx);
    tx.put(request.to_item()?, Cond::NotExists);
    tx.audit(
        &caisse_id,
        &authed.user.id,
        "habilitation.received",
        Some(&request.id),
    )?;
    tx.audit(
        &id,
        &authed.user.id,
        "habilitation.received",
        Some(&request.id),
    )?;
    tx.commit().await?;
    Ok(json(201, &request))
}

/// The request as received now: due in 5 French working days.
pub(crate) fn new_request(
    ctx: &Ctx,
    submitted_by: &str,
    partner: &Partner,
    caisse_id: &str,
    person: Person,
) -> HabilitationRequest {
    let now = ctx.now();
    HabilitationRequest {
        id: new_id(),
        partner_id: partner.id.clone(),
        partner_name: partner.name.clone(),
        caisse_id: caisse_id.to_owned(),
        civilite: Some(person.civilite.label().to_lowercase()),
        nom: person.nom,
        prenom: person.prenom,
        fonction: Some(person.fonction),
        telephone: person.telephone,
        email: person.email,
        received_at: now,
        due_on: habilitation_due(now),
        submitted_by: submitted_by.to_owned(),
        decision: Decision::open(),
        account_id: None,
        overdue_alerted_at: None,
        v: 1,
    }
}

pub async fn list(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let day = today(ctx);
    queue::list::<HabilitationRequest>(ctx, req, authed, |r| {
        let mut v = serde_json::to_value(r).unwrap_or_default();
        v["overdue"] = (r.is_open() && r.due_on < day).into();
        v
    })
    .await
}

pub async fn approve(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let request: HabilitationRequest = queue::load_open(ctx, req, &caisse_id).await?;
    let (decided, user) = approve_habilitation(ctx, &authed.user, &caisse_id, request).await?;
    Ok(json(
        200,
        &serde_json::json!({ "request": decided, "account": view(&user) }),
    ))
}

/// The use case: within the quota and the partner's email domains, the gestionnaire
/// account is created (activation email), the quota counter moved, the request
/// decided, its personal data pointed to for the purge, the submitter told.
async fn approve_habilitation(
    ctx: &Ctx,
    actor: &User,
    caisse_id: &str,
    request: HabilitationRequest,
) -> Result<(HabilitationRequest, User), Problem> {
    let partner = get_partner(ctx.table.as_ref(), &request.partner_id)
        .await?
        .ok_or_else(forbidden_or_missing)?;
    may_create(
        Profile::Gestionnaire,
        partner.members,
        partner.gestionnaires,
    )
    .map_err(|e| {
        let fe: ep_domain::FieldError = e.into();
        Problem::new(
            409,
            "quota.exceeded",
            "Nombre maximal de comptes atteint",
            fe.message,
        )
    })?;
    // The email must still belong to the structure's domains.
    let email = ProfessionalEmail::parse(&request.email, &partner.allowed_domains)
        .map_err(|e| Problem::validation().field("email", e.message))?;
    let person = Person {
        civilite: Civilite::parse(request.civilite.as_deref().unwrap_or("madame"))
            .unwrap_or(Civilite::Madame),
        nom: request.nom.clone(),
        prenom: request.prenom.clone(),
        fonction: request.fonction.clone().unwrap_or_default(),
        telephone: request.telephone.clone(),
        email: email.as_str().to_owned(),
    };
    let mut tx = Tx::new(ctx);
    let mut p = partner.clone();
    let (decided, user) = grant(&mut tx, ctx, actor, caisse_id, &mut p, &request, &person).await?;
    tx.write(p.update_write()?.0);
    let (w, decided) = decided.update_write()?;
    tx.write(w);
    if let Some(submitter) = active_gestionnaire(ctx, &request.submitted_by).await? {
        tx.notify(
            &submitter.email,
            texts::habilitation_approved(&submitter, &partner.name),
        )?;
    }
    tx.commit().await?;
    tracing::info!(request = %request.id, user = %user.id, "habilitation approved");
    Ok((decided, user))
}

/// What approving a habilitation request writes into `tx`, whoever approves it and
/// however the request came: the gestionnaire's account (activation email), the
/// partner's counter (moved in `partner`, written by the caller), the pointer the purge
/// follows to the request, the audit event. Returns the request decided (written by the
/// caller: an update, or a new item) and the account.
pub(crate) async fn grant(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    actor: &User,
    caisse_id: &str,
    partner: &mut Partner,
    request: &HabilitationRequest,
    person: &Person,
) -> Result<(HabilitationRequest, User), Problem> {
    let org = (OrgKind::Partner, partner.id.as_str(), partner.name.as_str());
    let user = new_account(tx, ctx, actor, person, Role::Gestionnaire, org, |_| {}).await?;
    partner.gestionnaires += 1;
    let mut decided = request.decided(HabilitationState::Approved, &actor.id, ctx.now(), None);
    decided.account_id = Some(user.id.clone());
    // The request holds the new gestionnaire's name and address: the purge finds it.
    let (hpk, hsk) = habilitation_key(caisse_id, &request.id);
    tx.write(personal_data_ref(&user.id, &hpk, &hsk));
    tx.audit(
        caisse_id,
        &actor.id,
        "habilitation.approved",
        Some(&request.id),
    )?;
    Ok((decided, user))
}

/// The account that submitted a request, if it is an active gestionnaire.
async fn active_gestionnaire(ctx: &Ctx, id: &str) -> Result<Option<User>, Problem> {
    Ok(get_user(ctx.table.as_ref(), id)
        .await?
        .filter(|u| u.role == Role::Gestionnaire && u.status == Status::Active))
}

pub async fn reject(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let how = Rejection {
        state: || HabilitationState::Rejected,
        action: "habilitation.rejected",
        target: |r: &HabilitationRequest| r.id.clone(),
        notice: Some(|r: &HabilitationRequest, reason: &str| {
            texts::habilitation_rejected(&r.prenom, &r.nom, &r.partner_name, reason)
        }),
    };
    // The submitter if still an active gestionnaire, else the candidate.
    let to = async |r: &HabilitationRequest| {
        Ok(Some(
            active_gestionnaire(ctx, &r.submitted_by)
                .await?
                .map_or(r.email.clone(), |u| u.email),
        ))
    };
    queue::reject(ctx, req, authed, how, to).await
}
