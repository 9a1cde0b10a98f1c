//! The request page and what its users do (SPEC §4): the caisse's agents take,
//! write, ask for more, answer, close; the partner's users answer a question and
//! close an answered request. Every state change goes through the domain state
//! machine and is recorded with its actor and time; each action is one
//! transaction (record, thread entry, index items, counts, audit, emails).

use ep_common::Ctx;
use ep_common::attachments::{AttachmentRecord, AttachmentState, page_fields};
use ep_common::http::Problem;
use ep_common::requests::{
    RequestRecord, Side, StateEvent, ThreadEntry, counts, load_full, msg_sk, request_pk,
};
use ep_common::sessions::Authed;
use ep_common::table::{Cond, Item};
use ep_common::tx::Tx;
use ep_common::users::{User, get_user};
use ep_domain::calendar::paris_date;
use ep_domain::request_form::{MESSAGE_MAX, THREAD_MAX, check_text, posted_on, required_text};
use ep_domain::requests::{Actor, RequestState, transition};
use ep_domain::{FieldError, Violations};
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::Value;

use crate::support::{ATTEMPTS, actor, commit, invalid, not_now, notify, refused, side_of};
use crate::{texts, views};

#[derive(Deserialize, Default, Debug)]
pub struct ActionBody {
    pub action: Option<String>,
    pub message: Option<String>,
    pub posted_on: Option<String>,
}

/// What this user may do now on this request (the page shows exactly these).
pub fn available(rec: &RequestRecord, side: Side, user_id: &str) -> Vec<&'static str> {
    use RequestState::*;
    match (side, rec.state) {
        (Side::Caisse, Submitted) => vec!["take"],
        (Side::Caisse, InProgress) => {
            let mut v = Vec::new();
            if rec.assigned_to.as_deref() != Some(user_id) {
                v.push("take");
            }
            v.extend(["message", "ask", "answer", "close"]);
            v
        }
        (Side::Caisse, Answered) | (Side::Partner, Answered) => vec!["close"],
        (Side::Partner, InfoRequested) => vec!["reply"],
        _ => Vec::new(),
    }
}

/// The request page, for a user of its partner or an agent of its caisse (404 else).
pub async fn detail(ctx: &Ctx, authed: &Authed, id: &str) -> Result<Value, Problem> {
    let loaded = load_full(ctx.table.as_ref(), id)
        .await?
        .ok_or_else(Problem::not_found)?;
    let (rec, thread) = (&loaded.record, &loaded.thread);
    let side = side_of(authed, rec).ok_or_else(Problem::not_found)?;
    let mut page = views::detail(rec, thread, &available(rec, side, &authed.user.id));
    let fields = page_fields(
        &ctx.config,
        rec,
        &loaded.attachments,
        side,
        &authed.user.id,
        ctx.now(),
    );
    views::with_attachments(&mut page, fields);
    Ok(page)
}

/// The ids of the documents the caisse attached to `rec` and that were checked safe.
fn safe_caisse_documents(atts: &[AttachmentRecord]) -> Vec<String> {
    let mut docs: Vec<&AttachmentRecord> = atts
        .iter()
        .filter(|a| a.side == Side::Caisse && a.state == AttachmentState::Safe)
        .collect();
    docs.sort_by_key(|a| a.created_at);
    docs.into_iter().map(|a| a.id.clone()).collect()
}

/// What an action does, decided from the request as read.
#[derive(Debug, PartialEq)]
struct Plan {
    to: Option<RequestState>,
    assign: bool,
    entry: Option<(&'static str, String)>,
    posted_on: Option<Date>,
    audit: &'static str,
}

fn message(body: &ActionBody) -> Result<String, Problem> {
    required_text("message", body.message.as_deref(), MESSAGE_MAX)
        .map_err(|e| invalid(&Violations::from(e)))
}

fn plan(
    rec: &RequestRecord,
    side: Side,
    who: Actor,
    user_id: &str,
    body: &ActionBody,
    today: Date,
    documents: &[String],
) -> Result<Plan, Problem> {
    use RequestState::*;
    let step = |to| transition(rec.state, to, who).map_err(refused);
    let none = Plan {
        to: None,
        assign: false,
        entry: None,
        posted_on: None,
        audit: "",
    };
    let action = body.action.as_deref().map(str::trim).unwrap_or("");
    let plan = match action {
        "take" => match (rec.state, side) {
            (Submitted, _) => Plan {
                to: Some(step(InProgress)?),
                assign: true,
                audit: "request.taken",
                ..none
            },
            (InProgress, Side::Caisse) if rec.assigned_to.as_deref() == Some(user_id) => {
                return Err(not_now(
                    "request.already_assigned",
                    "Vous avez déjà pris en charge cette demande.",
                ));
            }
            (InProgress, Side::Caisse) => Plan {
                assign: true,
                audit: "request.reassigned",
                ..none
            },
            (_, Side::Partner) => {
                return Err(not_now(
                    "request.forbidden_transition",
                    "Seul un agent de la caisse peut prendre une demande en charge.",
                ));
            }
            (s, Side::Caisse) => {
                return Err(not_now(
                    "request.invalid_transition",
                    format!(
                        "Une demande à l'état « {} » ne peut pas être prise en charge.",
                        s.label()
                    ),
                ));
            }
        },
        "message" => {
            if side == Side::Partner {
                return Err(not_now(
                    "request.forbidden_transition",
                    "Seul un agent de la caisse peut écrire sur une demande en cours ; vous pourrez répondre quand la caisse vous demandera un complément.",
                ));
            }
            if rec.state != InProgress {
                return Err(not_now(
                    "request.invalid_transition",
                    format!(
                        "Un message ne peut être écrit que sur une demande en cours de traitement ; celle-ci est à l'état « {} ».",
                        rec.state.label()
                    ),
                ));
            }
            Plan {
                entry: Some(("message", message(body)?)),
                audit: "request.message",
                ..none
            }
        }
        "ask" => Plan {
            to: Some(step(InfoRequested)?),
            entry: Some(("info_request", message(body)?)),
            audit: "request.info_requested",
            ..none
        },
        "reply" => {
            if rec.state != InfoRequested {
                return Err(not_now(
                    "request.invalid_transition",
                    format!(
                        "Un complément ne peut être apporté que lorsque la caisse l'a demandé ; cette demande est à l'état « {} ».",
                        rec.state.label()
                    ),
                ));
            }
            Plan {
                to: Some(step(InProgress)?),
                entry: Some(("reply", message(body)?)),
                audit: "request.replied",
                ..none
            }
        }
        "answer" => {
            let to = Some(step(Answered)?);
            let by_post = rec.kind == "document" && rec.delivery_mode.as_deref() == Some("post");
            if by_post {
                let created = paris_date(rec.created_at);
                let d = posted_on(body.posted_on.as_deref(), created, today)
                    .map_err(|e| invalid(&Violations::from(e)))?;
                let text = match body.message.as_deref().map(str::trim) {
                    Some(m) if !m.is_empty() => Some(
                        check_text("message", m, MESSAGE_MAX)
                            .map_err(|e| invalid(&Violations::from(e)))?,
                    ),
                    _ => None,
                };
                Plan {
                    to,
                    entry: text.map(|t| ("answer", t)),
                    posted_on: Some(d),
                    audit: "request.answered",
                    ..none
                }
            } else {
                let portal =
                    rec.kind == "document" && rec.delivery_mode.as_deref() == Some("portal");
                if portal && documents.is_empty() {
                    return Err(not_now(
                        "request.document_missing",
                        "Joignez d'abord le document demandé à la demande (« Pièces jointes ») et attendez qu'il soit vérifié : la réponse à une demande de document le transmet au partenaire.",
                    ));
                }
                Plan {
                    to,
                    entry: Some(("answer", message(body)?)),
                    audit: "request.answered",
                    ..none
                }
            }
        }
        "close" => Plan {
            to: Some(step(Closed)?),
            audit: "request.closed",
            ..none
        },
        _ => {
            return Err(invalid(&Violations::from(FieldError::new(
                "action",
                "action.invalid",
                "L'action n'est pas reconnue : valeurs possibles take, message, ask, reply, answer, close.",
            ))));
        }
    };
    if plan.entry.is_some() && rec.thread_len as usize >= THREAD_MAX {
        return Err(not_now(
            "request.thread_full",
            format!(
                "Cette demande compte déjà {THREAD_MAX} messages : clôturez-la et faites une nouvelle demande si nécessaire."
            ),
        ));
    }
    Ok(plan)
}

/// Does `body.action` on request `id`; returns the request page as it is now.
pub async fn act(
    ctx: &Ctx,
    authed: &Authed,
    id: &str,
    body: &ActionBody,
) -> Result<Value, Problem> {
    for attempt in 1..=ATTEMPTS {
        let (tx, page) = action(ctx, authed, id, body).await?;
        if commit(ctx, tx, attempt).await? {
            return Ok(page);
        }
    }
    Err(ep_common::tx::conflict(
        ep_common::table::StoreError::ConditionFailed,
    ))
}

/// The transaction of an action, from a fresh read of the request.
async fn action<'a>(
    ctx: &'a Ctx,
    authed: &Authed,
    id: &str,
    body: &ActionBody,
) -> Result<(Tx<'a>, Value), Problem> {
    let user = &authed.user;
    let loaded = load_full(ctx.table.as_ref(), id)
        .await?
        .ok_or_else(Problem::not_found)?;
    let (rec, mut thread) = (loaded.record, loaded.thread);
    let documents = safe_caisse_documents(&loaded.attachments);
    let side = side_of(authed, &rec).ok_or_else(Problem::not_found)?;
    ep_common::windows::guard_caisse(ctx, authed, &rec.caisse_id).await?;
    let now = ctx.now();
    let plan = plan(
        &rec,
        side,
        actor(user, side),
        &user.id,
        body,
        paris_date(now),
        &documents,
    )?;
    let mut next = applied(&rec, &plan, user, side, now);
    if plan.to == Some(RequestState::Answered) && rec.delivery_mode.as_deref() == Some("portal") {
        next.answer_documents = documents.clone();
    }
    let entry = plan.entry.as_ref().map(|(kind, text)| ThreadEntry {
        seq: rec.thread_len + 1,
        at: now,
        author_id: user.id.clone(),
        author_name: user.display_name(),
        author_side: side,
        kind: (*kind).to_owned(),
        text: text.clone(),
    });
    let mut tx = Tx::new(ctx);
    if let Some(entry) = entry {
        next.thread_len = entry.seq;
        tx.put(
            Item::from_record(request_pk(&rec.id), msg_sk(entry.seq), &entry)?,
            Cond::NotExists,
        );
        thread.push(entry);
    }
    tx.put(
        next.to_item(ctx.config.request_retention_months)?,
        Cond::VersionEquals(rec.v),
    );
    tx.extend(next.index_writes(Some(&rec))?);
    if let Some(to) = plan.to {
        let c = counts(ctx.table.as_ref(), &rec.caisse_id).await?;
        tx.write(c.moved(&rec.caisse_id, Some(rec.state), Some(to))?);
    }
    tx.audit(&rec.caisse_id, &user.id, plan.audit, Some(&rec.id))?;
    notify_concerned(ctx, &mut tx, &next, &thread, side, &plan).await?;
    let mut page = views::detail(&next, &thread, &available(&next, side, &user.id));
    let fields = page_fields(&ctx.config, &next, &loaded.attachments, side, &user.id, now);
    views::with_attachments(&mut page, fields);
    Ok((tx, page))
}

/// The record after the plan: its new state with who and when, its agent in charge,
/// its posting date.
fn applied(
    rec: &RequestRecord,
    plan: &Plan,
    user: &User,
    side: Side,
    now: jiff::Timestamp,
) -> RequestRecord {
    let mut next = rec.clone();
    next.v = rec.v + 1;
    next.updated_at = now;
    if let Some(to) = plan.to {
        next.state = to;
        next.events.push(StateEvent {
            at: now,
            actor_id: user.id.clone(),
            actor_name: user.display_name(),
            actor_side: side,
            state: to,
        });
        if to == RequestState::Closed {
            next.closed_at = Some(now);
        }
    }
    if plan.assign {
        next.assigned_to = Some(user.id.clone());
        next.assigned_to_name = Some(user.display_name());
    }
    if plan.posted_on.is_some() {
        next.posted_on = plan.posted_on;
    }
    next
}

/// Emails for the action: the partner's users concerned (the submitter and every
/// partner user who wrote in the thread) when the caisse changes the state or
/// writes; the agent in charge when the partner answers or closes.
async fn notify_concerned(
    ctx: &Ctx,
    tx: &mut Tx<'_>,
    rec: &RequestRecord,
    thread: &[ThreadEntry],
    side: Side,
    plan: &Plan,
) -> Result<(), Problem> {
    let table = ctx.table.as_ref();
    match side {
        Side::Caisse if plan.to.is_some() || plan.audit == "request.message" => {
            let mut ids: Vec<&str> = vec![&rec.submitted_by];
            for t in thread.iter().filter(|t| t.author_side == Side::Partner) {
                if !ids.contains(&t.author_id.as_str()) {
                    ids.push(&t.author_id);
                }
            }
            for id in ids {
                let Some(u): Option<User> = get_user(table, id).await? else {
                    continue;
                };
                let n = match plan.to {
                    Some(to) => texts::state_changed(&u.display_name(), &rec.reference, to),
                    None => texts::caisse_message(&u.display_name(), &rec.reference),
                };
                notify(ctx, tx, &u, n, &rec.id)?;
            }
        }
        Side::Partner => {
            if let (Some(to), Some(agent)) = (plan.to, rec.assigned_to.as_deref())
                && let Some(u) = get_user(table, agent).await?
            {
                let n = texts::partner_acted(&u.display_name(), &rec.reference, to);
                notify(ctx, tx, &u, n, &rec.id)?;
            }
        }
        Side::Caisse => {}
    }
    Ok(())
}
