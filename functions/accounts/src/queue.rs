//! What the three requests a caisse processes about gestionnaires (habilitation,
//! modification, inactivation) share: the caisse a partner addresses, the caisse's
//! queue of each kind by state, loading one request of the agent's caisse, and
//! rejecting it with a reason.

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param, query_param};
use ep_common::partners::{CaisseRequest, RequestState, conventions_of, queue_pk, request_key};
use ep_common::routes::Answer;
use ep_common::sessions::Authed;
use ep_common::table::{Index, Query};
use ep_common::tx::{Notice, Tx};
use ep_common::users::{Role, get_users};
use lambda_http::Request;

use crate::caisses::view;
use serde::Deserialize;

use crate::util::{agent_caisse, forbidden_or_missing, free_text, page_from, today};

/// The caisse a partner user addresses: the one named if the partner has an active
/// convention with it, or the only one. An agent addresses its own caisse.
pub async fn target_caisse(
    ctx: &Ctx,
    authed: &Authed,
    partner_id: &str,
    named: Option<&str>,
) -> Result<String, Problem> {
    if let Some(c) = agent_caisse(authed) {
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

pub fn only_gestionnaire_or_agent(authed: &Authed) -> Result<(), Problem> {
    if matches!(authed.user.role, Role::Agent | Role::Gestionnaire) {
        Ok(())
    } else {
        Err(forbidden_or_missing())
    }
}

/// One page (`K::PAGE`) of the caisse's queue of `K` in the state asked (`?state=`,
/// default the open one, oldest first; decided ones newest first), from `?cursor=`:
/// one query.
pub async fn page<K: CaisseRequest>(
    ctx: &Ctx,
    req: &Request,
    caisse_id: &str,
) -> Result<(Vec<K>, Option<String>), Problem> {
    let state = match query_param(req, "state") {
        None => K::State::ALL[0],
        Some(code) => K::State::parse(&code).ok_or_else(|| {
            let codes: Vec<&str> = K::State::ALL.iter().map(|s| s.code()).collect();
            Problem::bad_request(
                "state.invalid",
                format!("État inconnu : {}.", codes.join(", ")),
            )
        })?,
    };
    let q = Query::new(Index::Gsi1, queue_pk::<K>(caisse_id, state)).limit(K::PAGE);
    let q = if state.is_open() { q } else { q.descending() };
    let page = page_from(ctx, req, q).await?;
    let items = page.items.iter().filter_map(|i| i.parse().ok()).collect();
    Ok((items, page.next))
}

/// The queue as the caisse's page reads it: `{items, next}`, each item as `show`
/// says, with `people`: the accounts it names (current name and details), read for
/// the whole page at once — two reads whatever the page size.
pub async fn list<K: CaisseRequest>(
    ctx: &Ctx,
    req: &Request,
    authed: &Authed,
    show: impl Fn(&K) -> serde_json::Value,
) -> Answer {
    let caisse_id = crate::util::require_agent(authed)?;
    let (items, next) = page::<K>(ctx, req, caisse_id).await?;
    let people = get_users(ctx.table.as_ref(), items.iter().flat_map(|r| r.people())).await?;
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|r| {
            let mut v = show(r);
            let named: Vec<_> = r
                .people()
                .iter()
                .filter_map(|id| people.get(*id))
                .map(view)
                .collect();
            v["people"] = serde_json::to_value(named).unwrap_or_default();
            v
        })
        .collect();
    Ok(json(
        200,
        &serde_json::json!({ "items": items, "next": next }),
    ))
}

/// A request of the agent's caisse, by the path's `request_id`, or 404.
pub async fn load<K: CaisseRequest>(
    ctx: &Ctx,
    req: &Request,
    caisse_id: &str,
) -> Result<K, Problem> {
    let id = path_param(req, "request_id").unwrap_or_default();
    let (pk, sk) = request_key::<K>(caisse_id, &id);
    match ctx.table.get(&pk, &sk).await? {
        Some(i) => Ok(i.parse()?),
        None => Err(forbidden_or_missing()),
    }
}

/// A request of the agent's caisse that is still open (409 once decided).
pub async fn load_open<K: CaisseRequest>(
    ctx: &Ctx,
    req: &Request,
    caisse_id: &str,
) -> Result<K, Problem> {
    let request: K = load(ctx, req, caisse_id).await?;
    ensure_open(&request)?;
    Ok(request)
}

fn ensure_open<K: CaisseRequest>(request: &K) -> Result<(), Problem> {
    if request.is_open() {
        Ok(())
    } else {
        Err(Problem::new(
            409,
            "request.decided",
            "Demande déjà traitée",
            "Cette demande a déjà été traitée.",
        ))
    }
}

#[derive(Deserialize, Default)]
struct ReasonBody {
    reason: Option<String>,
}

/// The reason of a refusal: required, checked free text (it is sent to the partner).
fn reason_of(req: &Request) -> Result<String, Problem> {
    let body: ReasonBody = parse_json(req)?;
    let text = body.reason.as_deref().unwrap_or("").trim();
    if text.is_empty() {
        return Err(Problem::validation().field(
            "reason",
            "Indiquez le motif du refus : il sera communiqué à la structure.",
        ));
    }
    free_text(text, "reason", 500).map_err(|e| Problem::validation().field("reason", e.message))
}

/// How a rejection of `K` is recorded and told.
pub struct Rejection<K: CaisseRequest> {
    /// The rejected state.
    pub state: fn() -> <K as CaisseRequest>::State,
    /// Audit action and the target the events name (the request or the account).
    pub action: &'static str,
    pub target: fn(&K) -> String,
    /// Who is told, and what (none: the partner sees it in its list).
    pub notice: Option<fn(&K, &str) -> Notice>,
}

/// Rejects an open request of the agent's caisse with a reason: the request, an
/// event in the caisse's and the partner's trails, the notice — one transaction.
pub async fn reject<K: CaisseRequest>(
    ctx: &Ctx,
    req: &Request,
    authed: &Authed,
    how: Rejection<K>,
    recipient: impl AsyncFnOnce(&K) -> Result<Option<String>, Problem>,
) -> Answer {
    let caisse_id = crate::util::require_agent(authed)?.to_owned();
    let request: K = load(ctx, req, &caisse_id).await?;
    let reason = reason_of(req)?;
    ensure_open(&request)?;
    let decided = request.decided(
        (how.state)(),
        &authed.user.id,
        ctx.now(),
        Some(reason.clone()),
    );
    let (w, decided) = decided.update_write()?;
    let target = (how.target)(&request);
    let mut tx = Tx::new(ctx);
    tx.write(w);
    tx.audit(&caisse_id, &authed.user.id, how.action, Some(&target))?;
    tx.audit(
        request.partner_id(),
        &authed.user.id,
        how.action,
        Some(&target),
    )?;
    if let Some(notice) = how.notice
        && let Some(to) = recipient(&request).await?
    {
        tx.notify(&to, notice(&request, &reason))?;
    }
    tx.commit().await?;
    Ok(json(200, &decided))
}
