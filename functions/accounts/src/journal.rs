//! The audit pages (SPEC §5, issue 15): each reader sees their organisation's trail —
//! caisse agents their caisse's, gestionnaires their partner's (its accounts'
//! events), the platform admin the platform's; anyone else gets 404 as for every
//! organisation they are not part of. Filters, pagination, CSV export (audited
//! `audit.exported`) and the verify action (audited `audit.verified`).
//!
//! How a page is read (one partition, newest first, 20 rows a page):
//! - dates are a sort-key range (`<from day 00:00 Paris>` to `<to day 24:00 Paris>`);
//! - actor, action (a code or a prefix such as `auth.`) and target are checked in
//!   memory on the events read, **bounded**: at most [`MAX_READS`] queries of
//!   [`READ`] events per page; a page may then hold fewer than 20 rows and still have
//!   a next page. The cursor is the sort key of the last event read (a time and a
//!   number: no personal data), the next page's upper bound;
//! - actors are named with one `get_many` of the accounts (eventually consistent),
//!   an account of another organisation or deleted shows as its id.

use std::collections::HashMap;

use ep_common::Ctx;
use ep_common::audit::verify::{self, Report};
use ep_common::audit::{self, Event, audit_pk};
use ep_common::emails::ts_key;
use ep_common::http::{Problem, json, query_param};
use ep_common::sessions::Authed;
use ep_common::table::{Index, Query, SkRange};
use ep_common::tx::Tx;
use ep_common::users::{PLATFORM_ORG, Role, ident_key, user_names};
use ep_domain::calendar::paris;
use ep_domain::review_csv::csv_cell;
use jiff::civil::Date;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::util::forbidden_or_missing;

type Answer = Result<Response<Body>, Problem>;

/// Rows of a page.
pub const PAGE_ROWS: usize = 20;
/// Events read by one query.
pub const READ: u32 = 100;
/// Most queries one page costs.
pub const MAX_READS: usize = 3;
/// Most rows of a CSV export (newest first).
pub const MAX_EXPORT: usize = 5000;

/// The trail the reader may see.
fn trail_of(authed: &Authed) -> Result<String, Problem> {
    match authed.user.role {
        Role::Agent | Role::Gestionnaire => Ok(authed.user.org_id.clone()),
        Role::Admin => Ok(PLATFORM_ORG.to_owned()),
        _ => Err(forbidden_or_missing()),
    }
}

/// A page's filters, checked.
#[derive(Default, Debug)]
struct Filters {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    lower: String,
    upper: String,
}

fn token_ok(s: &str, max: usize, extra: &str) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

fn day(req: &Request, name: &str, p: &mut Vec<(String, String)>) -> Option<Date> {
    let v = query_param(req, name).filter(|v| !v.is_empty())?;
    match v.parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            p.push((
                name.to_owned(),
                "Indiquez une date au format AAAA-MM-JJ.".to_owned(),
            ));
            None
        }
    }
}

/// The filters of the query string; the actor's identifiant resolved to an id (one
/// read, only when that filter is set).
async fn filters(ctx: &Ctx, req: &Request) -> Result<Filters, Problem> {
    let mut p: Vec<(String, String)> = Vec::new();
    let bad = |p: &mut Vec<(String, String)>, field: &str, msg: &str| {
        p.push((field.to_owned(), msg.to_owned()));
    };
    let mut f = Filters {
        lower: "0".into(),
        upper: "9~".into(),
        ..Default::default()
    };
    if let Some(a) = query_param(req, "action").filter(|v| !v.is_empty()) {
        if token_ok(&a, 60, "._") {
            f.action = Some(a);
        } else {
            bad(&mut p, "action", "Choisissez une action de la liste.");
        }
    }
    if let Some(t) = query_param(req, "target").filter(|v| !v.is_empty()) {
        if token_ok(&t, 80, "-_.#") {
            f.target = Some(t);
        } else {
            bad(
                &mut p,
                "target",
                "Indiquez l'identifiant de l'objet (lettres, chiffres, - _ . #).",
            );
        }
    }
    let from = day(req, "from", &mut p);
    let to = day(req, "to", &mut p);
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        bad(&mut p, "to", "La date de fin doit suivre la date de début.");
    }
    let tz = paris();
    if let Some(d) = from
        && let Ok(z) = d.to_zoned_datetime(tz.clone())
    {
        f.lower = ts_key(z.timestamp());
    }
    if let Some(d) = to
        && let Some(z) = d
            .tomorrow()
            .ok()
            .and_then(|n| n.to_zoned_datetime(tz.clone()).ok())
    {
        f.upper = ts_key(z.timestamp());
    }
    let actor = query_param(req, "actor").map(|a| a.trim().to_ascii_lowercase());
    if let Some(a) = actor.filter(|a| !a.is_empty()) {
        if a == audit::SYSTEM_ACTOR {
            f.actor = Some(a);
        } else if !token_ok(&a, 60, "-_.") {
            bad(
                &mut p,
                "actor",
                "Indiquez l'identifiant d'un compte de votre organisation.",
            );
        } else {
            let (pk, sk) = ident_key(&a);
            match ctx
                .table
                .get(&pk, &sk)
                .await?
                .and_then(|i| i.get_str("user_id").map(str::to_owned))
            {
                Some(id) => f.actor = Some(id),
                None => bad(
                    &mut p,
                    "actor",
                    "Aucun compte n'a cet identifiant : vérifiez-le.",
                ),
            }
        }
    }
    if !p.is_empty() {
        return Err(p
            .into_iter()
            .fold(Problem::validation(), |acc, (f, m)| acc.field(&f, m)));
    }
    Ok(f)
}

impl Filters {
    fn keeps(&self, ev: &Event) -> bool {
        self.actor.as_ref().is_none_or(|a| &ev.actor == a)
            && self.action.as_ref().is_none_or(|a| {
                ev.action == *a || (a.ends_with('.') && ev.action.starts_with(a.as_str()))
            })
            && self
                .target
                .as_ref()
                .is_none_or(|t| ev.target.as_ref() == Some(t))
    }
}

/// One page: the rows (events kept), the cursor of the next page, and the queries made.
async fn read_page(
    ctx: &Ctx,
    org: &str,
    f: &Filters,
    cursor: Option<String>,
    rows: usize,
    max_reads: usize,
) -> Result<(Vec<Event>, Option<String>, usize), Problem> {
    let mut upper = f.upper.clone();
    if let Some(c) = &cursor {
        let valid = c.len() >= 22 && c.as_bytes()[..4].iter().all(u8::is_ascii_digit);
        if !valid {
            return Err(Problem::bad_request(
                "cursor.invalid",
                "La page demandée n'existe pas : repartez de la première page.",
            ));
        }
        if *c < upper {
            upper = c.clone();
        }
    }
    let mut q = Query::new(Index::Table, audit_pk(org))
        .range(SkRange::Between(f.lower.clone(), upper))
        .descending()
        .limit(READ);
    let (mut out, mut reads, mut last_sk) = (Vec::new(), 0, None::<String>);
    loop {
        let page = ctx.table.query(&q).await?;
        reads += 1;
        for item in &page.items {
            if cursor.as_deref() == Some(item.sk()) {
                continue;
            }
            last_sk = Some(item.sk().to_owned());
            let ev: Event = item.parse()?;
            if f.keeps(&ev) {
                out.push(ev);
                if out.len() == rows {
                    return Ok((out, last_sk, reads));
                }
            }
        }
        match page.next {
            Some(n) if reads < max_reads => q.start = Some(n),
            Some(_) => return Ok((out, last_sk, reads)),
            None => return Ok((out, None, reads)),
        }
    }
}

#[derive(Serialize)]
struct Row {
    id: String,
    at: jiff::Timestamp,
    seq: Option<u64>,
    action: String,
    actor: String,
    actor_id: String,
    target: Option<String>,
    detail: Option<String>,
}

fn rows(events: Vec<Event>, names: &HashMap<String, String>) -> Vec<Row> {
    events
        .into_iter()
        .map(|ev| Row {
            actor: names
                .get(&ev.actor)
                .cloned()
                .unwrap_or_else(|| ev.actor.clone()),
            actor_id: ev.actor,
            id: ev.id,
            at: ev.at,
            seq: ev.seq,
            action: ev.action,
            target: ev.target,
            detail: ev.detail,
        })
        .collect()
}

/// `GET /api/audit`: a page of the reader's trail.
pub async fn list(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let org = trail_of(authed)?;
    let f = filters(ctx, req).await?;
    let (events, next, _) = read_page(
        ctx,
        &org,
        &f,
        query_param(req, "cursor"),
        PAGE_ROWS,
        MAX_READS,
    )
    .await?;
    let names = user_names(ctx, events.iter().map(|e| e.actor.as_str())).await?;
    Ok(json(
        200,
        &serde_json::json!({ "org": org, "items": rows(events, &names), "next": next }),
    ))
}

/// `GET /api/audit.csv`: the filtered trail as CSV (at most [`MAX_EXPORT`] rows),
/// itself recorded (`audit.exported`).
pub async fn export_csv(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let org = trail_of(authed)?;
    let f = filters(ctx, req).await?;
    let reads = MAX_EXPORT / READ as usize + 1;
    let (events, more, _) = read_page(ctx, &org, &f, None, MAX_EXPORT, reads).await?;
    let names = user_names(ctx, events.iter().map(|e| e.actor.as_str())).await?;
    let mut csv =
        String::from("\u{feff}Date;Numéro;Action;Auteur;Identifiant de l'auteur;Objet;Détail\r\n");
    for r in rows(events, &names) {
        let at =
            r.at.to_zoned_datetime(paris())
                .strftime("%d/%m/%Y %H:%M:%S")
                .to_string();
        let cells = [
            at,
            r.seq.map(|s| s.to_string()).unwrap_or_default(),
            r.action,
            r.actor,
            r.actor_id,
            r.target.unwrap_or_default(),
            r.detail.unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        csv.push_str(&line.join(";"));
        csv.push_str("\r\n");
    }
    let mut tx = Tx::new(ctx);
    let mut ev = audit::event(ctx.now(), &authed.user.id, "audit.exported", Some(&org));
    ev.detail = more.is_some().then(|| "truncated".to_owned());
    tx.audit_event(&org, ev)?;
    tx.commit().await?;
    Ok(crate::util::csv_download(ctx, "journal", csv))
}

/// `POST /api/audit/verify`: verifies the reader's whole trail (from its retention
/// checkpoint) and says where it breaks; recorded (`audit.verified`).
pub async fn verify(ctx: &Ctx, _req: &Request, authed: &Authed) -> Answer {
    let org = trail_of(authed)?;
    let report: Report = verify::full(ctx.table.as_ref(), &org).await?;
    let mut tx = Tx::new(ctx);
    let mut ev = audit::event(ctx.now(), &authed.user.id, "audit.verified", Some(&org));
    ev.detail = Some(report.broken.as_ref().map_or("ok", |b| b.kind).to_owned());
    tx.audit_event(&org, ev)?;
    tx.commit().await?;
    Ok(json(200, &report))
}
