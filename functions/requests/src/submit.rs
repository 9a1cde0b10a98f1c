//! Making a request (SPEC §4, convention §1.2, §5): what the partner may use, the
//! one validation shared by the live check and the submission, and the submission
//! itself — the record, its first thread entry, its unique reference, its index
//! items, the caisse's counts, the audit event and the agents' emails, in one
//! transaction.

use ep_common::Ctx;
use ep_common::http::Problem;
use ep_common::ids::{new_id, random_bytes};
use ep_common::partners::{Convention, Partner, conventions_of, get_caisse};
use ep_common::requests::{
    AssureRecord, RequestRecord, Side, StateEvent, ThreadEntry, counts, msg_sk, reference_key,
    request_pk,
};
use ep_common::sessions::Authed;
use ep_common::table::{Cond, Index, Item, Query};
use ep_common::tx::Tx;
use ep_common::users::{Role, Status, User, org_users_pk};
use ep_domain::calendar::paris_date;
use ep_domain::lifecycle::ConventionView;
use ep_domain::request_form::{Checked, NewRequest, RequestInput, reference, validate};
use ep_domain::requests::{AccessError, RequestState, delivery_mode, may_submit, may_use};
use ep_domain::types::{Functionality, PartnerCategory, PartnerStatus, Profile};
use ep_domain::{FieldError, Violations};
use serde_json::Value;

use crate::support::{ATTEMPTS, commit, invalid, notify};
use crate::texts;

/// Most agents told by email of one new request (one email each, in the request's
/// transaction, which holds at most 100 writes).
pub const MAX_AGENT_EMAILS: usize = 60;

/// The domain view of the partner's conventions.
pub fn convention_views(convs: &[Convention]) -> Vec<ConventionView> {
    convs.iter().map(Convention::view).collect()
}

pub fn partner_status(p: &Partner) -> PartnerStatus {
    if p.is_suspended() {
        PartnerStatus::Suspended
    } else {
        PartnerStatus::Active
    }
}

/// The form's fields, read from the JSON body; a field that is not text is an error.
pub fn input_from(body: &Value) -> (RequestInput, bool, Violations) {
    let mut errors = Violations::new();
    let mut text = |path: &str| -> Option<String> {
        let mut v = body;
        for part in path.split('.') {
            v = v.get(part)?;
        }
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            _ => {
                errors.push(FieldError::new(
                    path,
                    "field.not_text",
                    format!(
                        "{} doit être du texte.",
                        ep_domain::request_form::field_label(path)
                    ),
                ));
                None
            }
        }
    };
    let input = RequestInput {
        caisse_id: text("caisse_id"),
        kind: text("type"),
        sous_type: text("sous_type"),
        civilite: text("assure.civilite"),
        nom: text("assure.nom"),
        prenom: text("assure.prenom"),
        date_naissance: text("assure.date_naissance"),
        departement: text("assure.departement"),
        message: text("message"),
        mode: text("mode"),
        disponibilites: text("disponibilites"),
    };
    let complete = body.get("complete").and_then(Value::as_bool) == Some(true);
    (input, complete, errors)
}

/// Only techniciens make requests; other partner users are told why (403), and
/// anyone else does not see the endpoint (404).
pub fn require_technicien(authed: &Authed) -> Result<(), Problem> {
    let profile = match authed.user.role {
        Role::Technicien => Profile::Technicien,
        Role::Gestionnaire => Profile::Gestionnaire,
        _ => return Err(Problem::not_found()),
    };
    may_submit(profile).map_err(|e| Problem::new(403, &e.code, "Action réservée", e.message))
}

/// The validation of a request, the same for the live check and the submission:
/// the form (domain), then — when the caisse and the type are readable — whether
/// the partner may use that functionality with that caisse today.
pub async fn validate_request(
    ctx: &Ctx,
    authed: &Authed,
    body: &Value,
    complete: bool,
) -> Result<(Checked, Option<Partner>), Problem> {
    require_technicien(authed)?;
    let (input, body_complete, type_errors) = input_from(body);
    let mut checked = validate(&input, complete || body_complete, paris_date(ctx.now()));
    checked.errors.0.extend(type_errors.0);
    let partner = authed
        .own_partner(ctx)
        .await?
        .ok_or_else(Problem::not_found)?;
    let readable = |f: &str| checked.errors.for_field(f).next().is_none();
    if let (Some(caisse), Some(kind), true, true) = (
        input.caisse_id.as_deref().map(str::trim),
        input
            .kind
            .as_deref()
            .and_then(|k| Functionality::parse(k).ok()),
        readable("caisse_id"),
        readable("type"),
    ) {
        let convs = convention_views(&conventions_of(ctx.table.as_ref(), &partner.id).await?);
        let today = paris_date(ctx.now());
        if let Err(e) = may_use(partner_status(&partner), &convs, caisse, kind, today) {
            let field = match e {
                AccessError::FunctionalityDisabled(_) => "type",
                _ => "caisse_id",
            };
            checked
                .errors
                .push(FieldError::new(field, e.code(), e.to_string()));
            checked.request = None;
        }
    }
    if !checked.errors.is_empty() {
        checked.request = None;
    }
    Ok((checked, Some(partner)))
}

/// The active agents of a caisse (the recipients of a new request's email).
async fn active_agents(ctx: &Ctx, caisse_id: &str) -> Result<Vec<User>, Problem> {
    let q = Query::new(Index::Gsi1, org_users_pk(caisse_id))
        .prefix("agent#")
        .limit(MAX_AGENT_EMAILS as u32 * 2);
    let page = ctx.table.query(&q).await?;
    let mut out = Vec::new();
    for item in page.items {
        let u: User = item.parse()?;
        if u.status == Status::Active && out.len() < MAX_AGENT_EMAILS {
            out.push(u);
        }
    }
    Ok(out)
}

/// Submits a valid request; returns it with its thread.
pub async fn submit(
    ctx: &Ctx,
    authed: &Authed,
    body: &Value,
) -> Result<(RequestRecord, Vec<ThreadEntry>), Problem> {
    let (checked, partner) = validate_request(ctx, authed, body, true).await?;
    let (Some(req), Some(partner)) = (checked.request, partner) else {
        return Err(invalid(&checked.errors));
    };
    // During the caisse's maintenance window: 503 (its other caisses stay usable).
    ep_common::windows::guard_caisse(ctx, authed, &req.caisse_id).await?;
    let caisse = get_caisse(ctx.table.as_ref(), &req.caisse_id)
        .await?
        .ok_or_else(|| {
            invalid(&Violations::from(FieldError::new(
                "caisse_id",
                "caisse.unknown",
                "Cette caisse n'existe pas : choisissez-en une dans la liste.",
            )))
        })?;
    let agents = active_agents(ctx, &caisse.id).await?;
    for attempt in 1..=ATTEMPTS {
        let (tx, out) = submission(ctx, authed, &req, &partner, &caisse, &agents).await?;
        if commit(ctx, tx, attempt).await? {
            return Ok(out);
        }
    }
    Err(ep_common::tx::conflict(
        ep_common::table::StoreError::ConditionFailed,
    ))
}

/// The transaction of a submission, from a fresh read of the caisse's counts, with a
/// new id and reference (so a retry after a reference collision draws another).
async fn submission<'a>(
    ctx: &'a Ctx,
    authed: &Authed,
    req: &NewRequest,
    partner: &Partner,
    caisse: &ep_common::partners::Caisse,
    agents: &[User],
) -> Result<(Tx<'a>, (RequestRecord, Vec<ThreadEntry>)), Problem> {
    let user = &authed.user;
    let now = ctx.now();
    let counts = counts(ctx.table.as_ref(), &caisse.id).await?;
    let rec = new_record(req, partner, (&caisse.id, &caisse.name), user, now);
    let entry = ThreadEntry {
        seq: 1,
        at: now,
        author_id: user.id.clone(),
        author_name: user.display_name(),
        author_side: Side::Partner,
        kind: "request".into(),
        text: req.message.clone(),
    };
    let mut tx = Tx::new(ctx);
    let retention = ctx.config.request_retention_months;
    tx.put(rec.to_item(retention)?, Cond::NotExists);
    tx.put(
        Item::from_record(request_pk(&rec.id), msg_sk(1), &entry)?,
        Cond::NotExists,
    );
    let (rpk, rsk) = reference_key(&rec.reference);
    tx.put(
        Item::new(rpk, rsk).with("request_id", rec.id.clone()),
        Cond::NotExists,
    );
    tx.extend(rec.index_writes(None)?);
    tx.write(counts.moved(&caisse.id, None, Some(RequestState::Submitted))?);
    tx.audit(&caisse.id, &user.id, "request.submitted", Some(&rec.id))?;
    // Agents read it: the request's name, not the partner's menu label.
    let kind_label = Functionality::parse(&rec.kind)
        .map(Functionality::request_noun)
        .unwrap_or_default();
    for agent in agents {
        let n = texts::new_request(
            &agent.display_name(),
            &rec.reference,
            kind_label,
            &rec.partner_name,
        );
        notify(ctx, &mut tx, agent, n, &rec.id)?;
    }
    Ok((tx, (rec, vec![entry])))
}

fn new_record(
    req: &NewRequest,
    partner: &Partner,
    caisse: (&str, &str),
    user: &User,
    now: jiff::Timestamp,
) -> RequestRecord {
    let delivery = (req.kind.functionality() == Functionality::Document).then(|| {
        let category = PartnerCategory::parse(&partner.category).unwrap_or(PartnerCategory::Autre);
        match delivery_mode(category) {
            ep_domain::requests::DeliveryMode::Portal => "portal".to_owned(),
            ep_domain::requests::DeliveryMode::Post => "post".to_owned(),
        }
    });
    let a = &req.assure;
    RequestRecord {
        id: new_id(),
        reference: reference(random_bytes::<5>()),
        partner_id: partner.id.clone(),
        partner_name: partner.name.clone(),
        caisse_id: caisse.0.to_owned(),
        caisse_name: caisse.1.to_owned(),
        kind: req.kind.functionality().code().to_owned(),
        sous_type: req.sous_type.map(str::to_owned),
        assure: AssureRecord {
            civilite: a.civilite.label().to_lowercase(),
            nom: a.nom.as_str().to_owned(),
            prenom: a.prenom.as_str().to_owned(),
            date_naissance: a.date_naissance.date(),
            departement: a.departement.as_str().to_owned(),
        },
        mode: req.mode.map(|m| m.code().to_owned()),
        disponibilites: req.disponibilites.clone(),
        delivery_mode: delivery,
        posted_on: None,
        answer_documents: Vec::new(),
        state: RequestState::Submitted,
        created_at: now,
        updated_at: now,
        closed_at: None,
        submitted_by: user.id.clone(),
        submitted_by_name: user.display_name(),
        assigned_to: None,
        assigned_to_name: None,
        events: vec![StateEvent {
            at: now,
            actor_id: user.id.clone(),
            actor_name: user.display_name(),
            actor_side: Side::Partner,
            state: RequestState::Submitted,
        }],
        thread_len: 1,
        v: 1,
    }
}
