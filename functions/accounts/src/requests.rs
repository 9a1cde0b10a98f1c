//! Requests the caisse processes about a partner's gestionnaires (SPEC §3):
//! habilitation (creation, 5 working days), modification (§2.2.2), inactivation
//! with 15 days' notice (§2.2.3).

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param, query_param};
use ep_common::ids::new_id;
use ep_common::lifecycle::{self, Reason, accounts_of};
use ep_common::partners::{
    HabilitationRequest, InactivationRequest, ModificationRequest, conventions_of, get_partner,
    habilitation_key, inactivation_key, modification_key,
};
use ep_common::sessions::Authed;
use ep_common::table::{Cond, Index, Query, Write};
use ep_common::users::{OrgKind, Role, Status, User, get_user, personal_data_ref};
use ep_domain::calendar::habilitation_due;
use ep_domain::lifecycle::{
    AccountView, GestionnaireInactivationRequest, decide_gestionnaire_inactivation,
};
use ep_domain::quota::may_create;
use ep_domain::types::{
    AccountStatus, Fonction, FrenchPhone, PersonName, ProfessionalEmail, Profile,
};
use jiff::civil::Date;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use crate::caisses::view;
use crate::people::{PersonBody, new_account, notify, parse_person};
use crate::util::{
    Check, audit_write, commit, forbidden_or_missing, free_text, partner_access, require_agent,
    today,
};

type Answer = Result<Response<Body>, Problem>;

/// The caisse a partner user addresses: the one named if the partner has an active
/// convention with it, or the only one.
async fn target_caisse(
    ctx: &Ctx,
    authed: &Authed,
    partner_id: &str,
    named: Option<&str>,
) -> Result<String, Problem> {
    if let Some(c) = crate::util::agent_caisse(authed) {
        return Ok(c.to_owned());
    }
    let active: Vec<String> = conventions_of(ctx.table.as_ref(), partner_id)
        .await?
        .into_iter()
        .filter(|c| c.is_active_on(today(ctx)))
        .map(|c| c.caisse_id)
        .collect();
    match named.map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) if active.iter().any(|c| c == id) => Ok(id.to_owned()),
        Some(_) => Err(Problem::validation().field(
            "caisse_id",
            "Votre structure n'a pas de convention en cours avec cette caisse.",
        )),
        None if active.len() == 1 => Ok(active[0].clone()),
        None if active.is_empty() => Err(Problem::new(
            409,
            "convention.none",
            "Aucune convention en cours",
            "Votre structure n'a aucune convention en cours avec une caisse.",
        )),
        None => Err(Problem::validation().field(
            "caisse_id",
            "Choisissez la caisse à laquelle adresser la demande.",
        )),
    }
}

fn only_gestionnaire_or_agent(authed: &Authed) -> Result<(), Problem> {
    if matches!(authed.user.role, Role::Agent | Role::Gestionnaire) {
        Ok(())
    } else {
        Err(forbidden_or_missing())
    }
}

fn domain_view(u: &User) -> AccountView {
    AccountView {
        id: u.id.clone(),
        partner_id: u.org_id.clone(),
        profile: if u.role == Role::Gestionnaire {
            Profile::Gestionnaire
        } else {
            Profile::Technicien
        },
        status: match u.status {
            Status::Pending => AccountStatus::Pending,
            Status::Active => AccountStatus::Active,
            Status::Inactive => AccountStatus::Inactive,
        },
        created_at: u.created_at,
        attached_to: u.attached_to.clone(),
    }
}

/// One page of a caisse's queue of requests of `kind` (`HAB`, `MOD`, `INACT`) in the
/// state asked (`?state=`, default: the first of `states`, the open one, oldest
/// first; decided ones newest first), from `?cursor=`.
async fn queue_page<T: serde::de::DeserializeOwned>(
    ctx: &Ctx,
    req: &Request,
    caisse_id: &str,
    kind: &str,
    states: &[&str],
) -> Result<(Vec<T>, Option<String>), Problem> {
    let open = states.first().copied().unwrap_or("pending");
    let state = query_param(req, "state").unwrap_or_else(|| open.into());
    if !states.contains(&state.as_str()) {
        return Err(Problem::bad_request(
            "state.invalid",
            format!("État inconnu : {}.", states.join(", ")),
        ));
    }
    let q = Query::new(Index::Gsi1, format!("CAISSE#{caisse_id}#{kind}#{state}")).limit(100);
    let q = if state == open { q } else { q.descending() };
    let page = crate::util::page_from(ctx, req, q).await?;
    let items = page.items.iter().filter_map(|i| i.parse().ok()).collect();
    Ok((items, page.next))
}

/// A request of the agent's caisse by its id (`key`: the record's key function), or 404.
async fn load_request<T: serde::de::DeserializeOwned>(
    ctx: &Ctx,
    req: &Request,
    caisse_id: &str,
    key: fn(&str, &str) -> (String, String),
) -> Result<T, Problem> {
    let id = path_param(req, "request_id").unwrap_or_default();
    let (pk, sk) = key(caisse_id, &id);
    match ctx.table.get(&pk, &sk).await? {
        Some(i) => Ok(i.parse()?),
        None => Err(forbidden_or_missing()),
    }
}

// ------------------------------------------------------------------ habilitation

#[derive(Deserialize, Default)]
struct HabilitationBody {
    #[serde(flatten)]
    person: PersonBody,
    caisse_id: Option<String>,
}

pub async fn create_habilitation(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
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
    let Some(person) = person else {
        return Err(Problem::validation());
    };
    let caisse_id = target_caisse(ctx, authed, &id, body.caisse_id.as_deref()).await?;
    let now = ctx.now();
    let request = HabilitationRequest {
        id: new_id(),
        partner_id: id.clone(),
        partner_name: access.partner.name.clone(),
        caisse_id: caisse_id.clone(),
        civilite: Some(person.civilite.label().to_lowercase()),
        nom: person.nom,
        prenom: person.prenom,
        fonction: Some(person.fonction),
        telephone: person.telephone,
        email: person.email,
        received_at: now,
        due_on: habilitation_due(now),
        state: "pending".into(),
        submitted_by: authed.user.id.clone(),
        decided_at: None,
        decided_by: None,
        reason: None,
        account_id: None,
        overdue_alerted_at: None,
        v: 1,
    };
    let writes = vec![
        Write::put(request.to_item()?, Cond::NotExists),
        audit_write(
            ctx,
            &caisse_id,
            &authed.user,
            "habilitation.received",
            Some(&request.id),
        )?,
        audit_write(
            ctx,
            &id,
            &authed.user,
            "habilitation.received",
            Some(&request.id),
        )?,
    ];
    commit(ctx, writes, &[]).await?;
    Ok(json(201, &request))
}

pub async fn list_habilitations(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?;
    let (requests, next): (Vec<HabilitationRequest>, _) = queue_page(
        ctx,
        req,
        caisse_id,
        "HAB",
        &["pending", "approved", "rejected"],
    )
    .await?;
    let day = today(ctx);
    let items: Vec<serde_json::Value> = requests
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["overdue"] = (r.state == "pending" && r.due_on < day).into();
            v
        })
        .collect();
    Ok(json(
        200,
        &serde_json::json!({ "items": items, "next": next }),
    ))
}

async fn load_habilitation(
    ctx: &Ctx,
    req: &Request,
    caisse_id: &str,
) -> Result<HabilitationRequest, Problem> {
    load_request(ctx, req, caisse_id, habilitation_key).await
}

fn already_decided() -> Problem {
    Problem::new(
        409,
        "request.decided",
        "Demande déjà traitée",
        "Cette demande a déjà été traitée.",
    )
}

pub async fn approve_habilitation(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let request = load_habilitation(ctx, req, &caisse_id).await?;
    if request.state != "pending" {
        return Err(already_decided());
    }
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
    let person = crate::people::Person {
        civilite: ep_domain::types::Civilite::parse(
            request.civilite.as_deref().unwrap_or("madame"),
        )
        .unwrap_or(ep_domain::types::Civilite::Madame),
        nom: request.nom.clone(),
        prenom: request.prenom.clone(),
        fonction: request.fonction.clone().unwrap_or_default(),
        telephone: request.telephone.clone(),
        email: email.as_str().to_owned(),
    };
    let (user, mut writes, email_id) = new_account(
        ctx,
        &authed.user,
        &person,
        Role::Gestionnaire,
        (OrgKind::Partner, &partner.id, &partner.name),
        |_| {},
    )
    .await?;
    let mut p = partner.clone();
    p.gestionnaires += 1;
    let (pw, _) = p.update_write()?;
    writes.push(pw);
    let mut decided = request.clone();
    decided.state = "approved".into();
    decided.decided_at = Some(ctx.now());
    decided.decided_by = Some(authed.user.id.clone());
    decided.account_id = Some(user.id.clone());
    let (rw, decided) = decided.update_write()?;
    writes.push(rw);
    // The request holds the new gestionnaire's name and address: the purge finds it.
    let (hpk, hsk) = habilitation_key(&caisse_id, &request.id);
    writes.push(personal_data_ref(&user.id, &hpk, &hsk));
    writes.push(audit_write(
        ctx,
        &caisse_id,
        &authed.user,
        "habilitation.approved",
        Some(&request.id),
    )?);
    let mut email_ids = vec![email_id];
    if let Some(submitter) = get_user(ctx.table.as_ref(), &request.submitted_by)
        .await?
        .filter(|u| u.role == Role::Gestionnaire && u.status == Status::Active)
    {
        let (w, eid) = notify(
            ctx,
            &submitter.email,
            "Espace Partenaires : demande d'habilitation acceptée",
            vec![
                format!("Bonjour {},", submitter.display_name()),
                format!(
                    "La demande d'habilitation d'un gestionnaire pour {} a été acceptée : le compte a été créé et son titulaire a reçu un courriel pour définir son mot de passe.",
                    partner.name
                ),
            ],
            None,
        )?;
        writes.push(w);
        email_ids.push(eid);
    }
    commit(ctx, writes, &email_ids).await?;
    tracing::info!(request = %request.id, user = %user.id, "habilitation approved");
    Ok(json(
        200,
        &serde_json::json!({ "request": decided, "account": view(&user) }),
    ))
}

#[derive(Deserialize, Default)]
struct ReasonBody {
    reason: Option<String>,
}

fn reason_of(body: &ReasonBody) -> Result<String, Problem> {
    let text = body.reason.as_deref().unwrap_or("").trim();
    if text.is_empty() {
        return Err(Problem::validation().field(
            "reason",
            "Indiquez le motif du refus : il sera communiqué à la structure.",
        ));
    }
    free_text(text, "reason", 500).map_err(|e| Problem::validation().field("reason", e.message))
}

pub async fn reject_habilitation(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let request = load_habilitation(ctx, req, &caisse_id).await?;
    let body: ReasonBody = parse_json(req)?;
    let reason = reason_of(&body)?;
    if request.state != "pending" {
        return Err(already_decided());
    }
    let mut decided = request.clone();
    decided.state = "rejected".into();
    decided.decided_at = Some(ctx.now());
    decided.decided_by = Some(authed.user.id.clone());
    decided.reason = Some(reason.clone());
    let (rw, decided) = decided.update_write()?;
    let submitter = get_user(ctx.table.as_ref(), &request.submitted_by)
        .await?
        .filter(|u| u.role == Role::Gestionnaire && u.status == Status::Active);
    let to = submitter
        .as_ref()
        .map_or(request.email.clone(), |u| u.email.clone());
    let (w, eid) = notify(
        ctx,
        &to,
        "Espace Partenaires : demande d'habilitation refusée",
        vec![
            "Bonjour,".into(),
            format!(
                "La demande d'habilitation d'un gestionnaire ({} {}) pour {} n'a pas été acceptée par la caisse.",
                request.prenom, request.nom, request.partner_name
            ),
            format!("Motif : {reason}"),
        ],
        None,
    )?;
    let writes = vec![
        rw,
        w,
        audit_write(
            ctx,
            &caisse_id,
            &authed.user,
            "habilitation.rejected",
            Some(&request.id),
        )?,
        audit_write(
            ctx,
            &request.partner_id,
            &authed.user,
            "habilitation.rejected",
            Some(&request.id),
        )?,
    ];
    commit(ctx, writes, &[eid]).await?;
    Ok(json(200, &decided))
}

// ------------------------------------------------------------------ modification

#[derive(Deserialize, Default)]
struct ModificationBody {
    user_id: Option<String>,
    caisse_id: Option<String>,
    nom: Option<String>,
    prenom: Option<String>,
    fonction: Option<String>,
    telephone: Option<String>,
    email: Option<String>,
}

/// A gestionnaire of the partner, not inactive.
async fn gestionnaire_of(ctx: &Ctx, user_id: &str, partner_id: &str) -> Result<User, Problem> {
    get_user(ctx.table.as_ref(), user_id)
        .await?
        .filter(|u| {
            u.role == Role::Gestionnaire && u.org_id == partner_id && u.status != Status::Inactive
        })
        .ok_or_else(|| {
            Problem::validation().field(
                "user_id",
                "Choisissez un gestionnaire actif de votre structure.",
            )
        })
}

pub async fn create_modification(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let id = path_param(req, "partner_id").unwrap_or_default();
    crate::util::require_gestionnaire_of(authed, &id)?;
    let access = partner_access(ctx, authed, &id).await?;
    let body: ModificationBody = parse_json(req)?;
    let target = gestionnaire_of(ctx, body.user_id.as_deref().unwrap_or(""), &id).await?;
    let mut check = Check::new();
    let opt = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let nom = opt(&body.nom).and_then(|n| {
        check
            .take("nom", PersonName::parse(&n))
            .map(|n| n.as_str().to_owned())
    });
    let prenom = opt(&body.prenom).and_then(|n| {
        check
            .take("prenom", PersonName::parse(&n))
            .map(|n| n.as_str().to_owned())
    });
    let fonction = opt(&body.fonction).and_then(|n| {
        check
            .take("fonction", Fonction::parse(&n))
            .map(|n| n.as_str().to_owned())
    });
    let telephone = opt(&body.telephone).and_then(|n| {
        check
            .take("telephone", FrenchPhone::parse(&n))
            .map(|n| n.to_string())
    });
    let email = opt(&body.email).and_then(|n| {
        check
            .take(
                "email",
                ProfessionalEmail::parse(&n, &access.partner.allowed_domains),
            )
            .map(|e| e.as_str().to_owned())
    });
    if nom.is_none()
        && prenom.is_none()
        && fonction.is_none()
        && telephone.is_none()
        && email.is_none()
        && check.0.errors.is_empty()
    {
        check.fail("nom", "Indiquez au moins une information à modifier (nom, prénom, fonction, téléphone ou adresse e-mail).");
    }
    check.done()?;
    let caisse_id = target_caisse(ctx, authed, &id, body.caisse_id.as_deref()).await?;
    let request = ModificationRequest {
        id: new_id(),
        partner_id: id.clone(),
        caisse_id: caisse_id.clone(),
        user_id: target.id.clone(),
        nom,
        prenom,
        fonction,
        telephone,
        email,
        received_at: ctx.now(),
        submitted_by: authed.user.id.clone(),
        state: "pending".into(),
        decided_at: None,
        decided_by: None,
        reason: None,
        v: 1,
    };
    let (mpk, msk) = modification_key(&caisse_id, &request.id);
    let writes = vec![
        Write::put(request.to_item()?, Cond::NotExists),
        personal_data_ref(&target.id, &mpk, &msk),
        audit_write(
            ctx,
            &id,
            &authed.user,
            "modification.requested",
            Some(&target.id),
        )?,
        audit_write(
            ctx,
            &caisse_id,
            &authed.user,
            "modification.requested",
            Some(&target.id),
        )?,
    ];
    commit(ctx, writes, &[]).await?;
    Ok(json(201, &request))
}

pub async fn list_modifications(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?;
    let (items, next): (Vec<ModificationRequest>, _) = queue_page(
        ctx,
        req,
        caisse_id,
        "MOD",
        &["pending", "applied", "rejected"],
    )
    .await?;
    Ok(json(
        200,
        &serde_json::json!({ "items": items, "next": next }),
    ))
}

async fn load_modification(
    ctx: &Ctx,
    req: &Request,
    caisse_id: &str,
) -> Result<ModificationRequest, Problem> {
    load_request(ctx, req, caisse_id, modification_key).await
}

pub async fn apply_modification(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let request = load_modification(ctx, req, &caisse_id).await?;
    if request.state != "pending" {
        return Err(already_decided());
    }
    let target = gestionnaire_of(ctx, &request.user_id, &request.partner_id).await?;
    let mut next = target.clone();
    if let Some(v) = &request.nom {
        next.nom = v.clone();
    }
    if let Some(v) = &request.prenom {
        next.prenom = v.clone();
    }
    if let Some(v) = &request.fonction {
        next.fonction = Some(v.clone());
    }
    if let Some(v) = &request.telephone {
        next.telephone = Some(v.clone());
    }
    if let Some(v) = &request.email {
        next.email = v.clone();
    }
    let (uw, next) = next.update_write()?;
    let mut decided = request.clone();
    decided.state = "applied".into();
    decided.decided_at = Some(ctx.now());
    decided.decided_by = Some(authed.user.id.clone());
    let (rw, decided) = decided.update_write()?;
    let (w, eid) = notify(
        ctx,
        &next.email,
        "Espace Partenaires : vos informations ont été modifiées",
        vec![
            format!("Bonjour {},", next.display_name()),
            "À la demande de votre structure, la caisse a mis à jour les informations de votre compte gestionnaire sur l'Espace Partenaires.".into(),
        ],
        None,
    )?;
    let writes = vec![
        uw,
        rw,
        w,
        audit_write(
            ctx,
            &caisse_id,
            &authed.user,
            "modification.applied",
            Some(&target.id),
        )?,
        audit_write(
            ctx,
            &request.partner_id,
            &authed.user,
            "account.updated",
            Some(&target.id),
        )?,
    ];
    commit(ctx, writes, &[eid]).await?;
    Ok(json(
        200,
        &serde_json::json!({ "request": decided, "account": view(&next) }),
    ))
}

pub async fn reject_modification(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let request = load_modification(ctx, req, &caisse_id).await?;
    let body: ReasonBody = parse_json(req)?;
    let reason = reason_of(&body)?;
    if request.state != "pending" {
        return Err(already_decided());
    }
    let mut decided = request.clone();
    decided.state = "rejected".into();
    decided.decided_at = Some(ctx.now());
    decided.decided_by = Some(authed.user.id.clone());
    decided.reason = Some(reason);
    let (rw, decided) = decided.update_write()?;
    let writes = vec![
        rw,
        audit_write(
            ctx,
            &caisse_id,
            &authed.user,
            "modification.rejected",
            Some(&request.user_id),
        )?,
        audit_write(
            ctx,
            &request.partner_id,
            &authed.user,
            "modification.rejected",
            Some(&request.user_id),
        )?,
    ];
    commit(ctx, writes, &[]).await?;
    Ok(json(200, &decided))
}

// ------------------------------------------------------------------ inactivation

#[derive(Deserialize, Default)]
struct InactivationBody {
    user_id: Option<String>,
    wanted_on: Option<String>,
    successor_id: Option<String>,
    caisse_id: Option<String>,
}

pub async fn create_inactivation(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    only_gestionnaire_or_agent(authed)?;
    let id = path_param(req, "partner_id").unwrap_or_default();
    partner_access(ctx, authed, &id).await?;
    let body: InactivationBody = parse_json(req)?;
    let user_id = body.user_id.clone().unwrap_or_default();
    let wanted_on = match body
        .wanted_on
        .as_deref()
        .map(str::trim)
        .map(str::parse::<Date>)
    {
        Some(Ok(d)) => d,
        _ => {
            return Err(Problem::validation().field(
                "wanted_on",
                "Indiquez la date d'inactivation souhaitée (AAAA-MM-JJ).",
            ));
        }
    };
    let accounts = accounts_of(ctx, &id).await?;
    if !accounts
        .iter()
        .any(|u| u.id == user_id && u.role == Role::Gestionnaire)
    {
        return Err(Problem::validation()
            .field("user_id", "Choisissez un gestionnaire de votre structure."));
    }
    let views: Vec<AccountView> = accounts
        .iter()
        .filter(|u| matches!(u.role, Role::Gestionnaire | Role::Technicien))
        .map(domain_view)
        .collect();
    let successor = body
        .successor_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let plan = decide_gestionnaire_inactivation(&GestionnaireInactivationRequest {
        target_id: &user_id,
        signalled_on: today(ctx),
        wanted_on,
        successor_id: successor,
        accounts: &views,
    })
    .map_err(|e| {
        let code = e.code();
        let msg = e.to_string();
        let field = match code {
            "inactivation.notice_too_short" => "wanted_on",
            "inactivation.invalid_successor" => "successor_id",
            _ => "user_id",
        };
        if code == "inactivation.last_gestionnaire" {
            Problem::new(
                409,
                "account.last_gestionnaire",
                "Dernier gestionnaire",
                msg,
            )
        } else {
            Problem::validation().field(field, msg)
        }
    })?;
    let caisse_id = target_caisse(ctx, authed, &id, body.caisse_id.as_deref()).await?;
    let request = InactivationRequest {
        id: new_id(),
        partner_id: id.clone(),
        caisse_id: caisse_id.clone(),
        user_id: user_id.clone(),
        wanted_on: plan.effective_on,
        successor_id: successor.map(str::to_owned),
        received_at: ctx.now(),
        submitted_by: authed.user.id.clone(),
        state: "scheduled".into(),
        decided_at: None,
        decided_by: None,
        reason: None,
        v: 1,
    };
    let writes = vec![
        Write::put(request.to_item()?, Cond::NotExists),
        audit_write(
            ctx,
            &id,
            &authed.user,
            "inactivation.scheduled",
            Some(&user_id),
        )?,
        audit_write(
            ctx,
            &caisse_id,
            &authed.user,
            "inactivation.scheduled",
            Some(&user_id),
        )?,
    ];
    commit(ctx, writes, &[]).await?;
    Ok(json(201, &request))
}

pub async fn list_inactivations(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?;
    let (items, next): (Vec<InactivationRequest>, _) = queue_page(
        ctx,
        req,
        caisse_id,
        "INACT",
        &["scheduled", "done", "rejected", "cancelled"],
    )
    .await?;
    Ok(json(
        200,
        &serde_json::json!({ "items": items, "next": next }),
    ))
}

async fn load_inactivation(
    ctx: &Ctx,
    req: &Request,
    caisse_id: &str,
) -> Result<InactivationRequest, Problem> {
    load_request(ctx, req, caisse_id, inactivation_key).await
}

/// The agent applies a scheduled inactivation at once.
pub async fn apply_inactivation(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let request = load_inactivation(ctx, req, &caisse_id).await?;
    if request.state != "scheduled" {
        return Err(already_decided());
    }
    let mut done = request.clone();
    done.state = "done".into();
    done.decided_at = Some(ctx.now());
    done.decided_by = Some(authed.user.id.clone());
    let (rw, done) = done.update_write()?;
    let extra = vec![
        rw,
        audit_write(
            ctx,
            &caisse_id,
            &authed.user,
            "inactivation.applied",
            Some(&request.user_id),
        )?,
    ];
    let result = lifecycle::inactivate(
        ctx,
        &request.user_id,
        Reason::Manual,
        &authed.user.id,
        request.successor_id.as_deref(),
        extra,
        ctx.now(),
    )
    .await?;
    Ok(json(
        200,
        &serde_json::json!({
            "request": done,
            "account": view(&result.user),
            "reattached": result.reattached,
            "successor_id": result.successor,
        }),
    ))
}

pub async fn reject_inactivation(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let request = load_inactivation(ctx, req, &caisse_id).await?;
    let body: ReasonBody = parse_json(req)?;
    let reason = reason_of(&body)?;
    if request.state != "scheduled" {
        return Err(already_decided());
    }
    let mut decided = request.clone();
    decided.state = "rejected".into();
    decided.decided_at = Some(ctx.now());
    decided.decided_by = Some(authed.user.id.clone());
    decided.reason = Some(reason);
    let (rw, decided) = decided.update_write()?;
    let writes = vec![
        rw,
        audit_write(
            ctx,
            &caisse_id,
            &authed.user,
            "inactivation.rejected",
            Some(&request.user_id),
        )?,
        audit_write(
            ctx,
            &request.partner_id,
            &authed.user,
            "inactivation.rejected",
            Some(&request.user_id),
        )?,
    ];
    commit(ctx, writes, &[]).await?;
    Ok(json(200, &decided))
}
