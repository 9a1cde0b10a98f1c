//! The partner's history and the caisse's queue, read from the index items (README
//! « Data layout: requests »): one filter is one `Query` of its own partition; the
//! other filters of a combination, and a name longer than the indexed prefixes, are
//! applied in memory on at most [`SCAN_READS`] reads of [`SCAN_CHUNK`] items per page.

use ep_common::Ctx;
use ep_common::http::Problem;
use ep_common::partners::paris_day_start;
use ep_common::requests::{Summary, counts, history_pk, queue_pk};
use ep_common::table::{Index, Query, SkRange};
use ep_domain::request_form::{NameQuery, name_matches, name_query};
use ep_domain::requests::RequestState;
use ep_domain::types::Functionality;
use ep_domain::{FieldError, Violations};
use jiff::civil::Date;
use serde::Serialize;
use serde_json::{Value, json};

use crate::support::invalid;
use crate::views;

/// Rows of a page.
pub const PAGE: usize = 20;
/// Items read per query when some filters are applied in memory.
pub const SCAN_CHUNK: u32 = 100;
/// Queries per page, at most, when some filters are applied in memory.
pub const SCAN_READS: usize = 2;

/// The filters of a list, as typed in the query string.
#[derive(Default, Debug)]
pub struct Filters {
    pub state: Option<RequestState>,
    pub kind: Option<Functionality>,
    pub caisse_id: Option<String>,
    pub partner_id: Option<String>,
    /// Agent id, or `none`.
    pub assigned: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub name: Option<NameQuery>,
    pub cursor: Option<String>,
}

fn id_param(field: &str, v: Option<String>, errors: &mut Violations) -> Option<String> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())?;
    if v.len() > 64
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        errors.push(FieldError::new(
            field,
            "id.invalid",
            "Cet identifiant n'est pas reconnu : choisissez une valeur dans la liste.",
        ));
        return None;
    }
    Some(v)
}

fn date_param(field: &str, v: Option<String>, errors: &mut Violations) -> Option<Date> {
    let v = v.filter(|s| !s.trim().is_empty())?;
    match v.trim().parse::<Date>() {
        Ok(d) if v.trim().len() == 10 => Some(d),
        _ => {
            errors.push(FieldError::new(
                field,
                "date.invalid",
                "La date n'est pas valide : saisissez-la au format AAAA-MM-JJ.",
            ));
            None
        }
    }
}

/// Reads and checks the filters (`get` returns a query-string parameter).
pub fn parse_filters(get: impl Fn(&str) -> Option<String>) -> Result<Filters, Problem> {
    let mut errors = Violations::new();
    let mut f = Filters::default();
    let present = |k: &str| get(k).filter(|s| !s.trim().is_empty());
    if let Some(s) = present("state") {
        f.state = errors.check(RequestState::parse(&s).map_err(|e| e.with_field("state")));
    }
    if let Some(t) = present("type") {
        match Functionality::parse(&t) {
            Ok(k) if k.creates_request() => f.kind = Some(k),
            _ => errors.push(FieldError::new(
                "type",
                "type.invalid",
                "Le type de demande n'est pas reconnu : choisissez-le dans la liste.",
            )),
        }
    }
    f.caisse_id = id_param("caisse_id", get("caisse_id"), &mut errors);
    f.partner_id = id_param("partner_id", get("partner_id"), &mut errors);
    f.assigned = id_param("assigned", get("assigned"), &mut errors);
    f.from = date_param("from", get("from"), &mut errors);
    f.to = date_param("to", get("to"), &mut errors);
    if let (Some(a), Some(b)) = (f.from, f.to)
        && a > b
    {
        errors.push(FieldError::new(
            "to",
            "dates.order",
            "La date de fin précède la date de début : corrigez l'une des deux.",
        ));
    }
    if let Some(n) = present("name") {
        f.name = errors.check(name_query(&n));
    }
    if let Some(c) = present("cursor") {
        if !valid_cursor(&c) {
            return Err(Problem::bad_request(
                "cursor.invalid",
                "La page demandée n'existe pas : repartez de la première page.",
            ));
        }
        f.cursor = Some(c);
    }
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(invalid(&errors))
    }
}

/// A cursor is the sort key of an index item: `<timestamp>#<id>`.
fn valid_cursor(c: &str) -> bool {
    match c.split_once('#') {
        Some((ts, id)) => {
            ts.len() == 20
                && ts.parse::<jiff::Timestamp>().is_ok()
                && !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// One page read from the partition `pk`: `PAGE` rows, newest first (`descending`)
/// or oldest first, within the dates, after the cursor, keeping only the rows
/// `keep` accepts. With `exact` (every item of the partition matches), one query.
async fn page(
    ctx: &Ctx,
    pk: String,
    f: &Filters,
    descending: bool,
    exact: bool,
    keep: impl Fn(&Summary) -> bool,
) -> Result<(Vec<Summary>, Option<String>), Problem> {
    let lo = match f.from {
        Some(d) => Some(paris_day_start(d)?),
        None => None,
    };
    let hi = match f.to.and_then(|d| d.tomorrow().ok()) {
        Some(d) => Some(paris_day_start(d)?),
        None => None,
    };
    // The cursor is exclusive: the item it names was on the previous page.
    let (lo, hi) = match (&f.cursor, descending) {
        (Some(c), true) => (lo, Some(hi.map_or(c.clone(), |h| h.min(c.clone())))),
        (Some(c), false) => (Some(lo.map_or(c.clone(), |l| l.max(c.clone()))), hi),
        (None, _) => (lo, hi),
    };
    let range = match (lo, hi) {
        (Some(l), Some(h)) => SkRange::Between(l, h),
        (Some(l), None) => SkRange::AtLeast(l),
        (None, Some(h)) => SkRange::AtMost(h),
        (None, None) => SkRange::All,
    };
    let limit = if exact { PAGE as u32 + 2 } else { SCAN_CHUNK };
    let mut q = Query::new(Index::Table, pk).range(range).limit(limit);
    if descending {
        q = q.descending();
    }
    let mut rows: Vec<(String, Summary)> = Vec::new();
    let mut last_read: Option<String> = None;
    let mut exhausted = false;
    for _ in 0..(if exact { 1 } else { SCAN_READS }) {
        let p = ctx.table.query(&q).await?;
        for item in &p.items {
            let sk = item.sk().to_owned();
            last_read = Some(sk.clone());
            if f.cursor.as_deref() == Some(sk.as_str()) {
                continue;
            }
            let s: Summary = item.parse()?;
            if keep(&s) {
                rows.push((sk, s));
            }
        }
        exhausted = p.next.is_none() || (exact && p.items.len() < limit as usize);
        if exhausted || rows.len() > PAGE {
            break;
        }
        q.start = p.next;
    }
    let next = if rows.len() > PAGE {
        rows.truncate(PAGE);
        rows.last().map(|(sk, _)| sk.clone())
    } else if exhausted {
        None
    } else {
        last_read
    };
    Ok((rows.into_iter().map(|(_, s)| s).collect(), next))
}

/// The partner's history: newest first, from the partition of the most selective
/// filter (name, then state, then caisse, then kind); the others in memory.
/// The history partition a page is read from (`None`: every request) and whether
/// that partition answers the filters exactly (one read of a page), rather than
/// by filtering in memory up to [`SCAN_READS`] reads.
fn history_key(f: &Filters) -> (Option<String>, bool) {
    let (key, mut exact) = if let Some(n) = &f.name {
        (Some(format!("N#{}", n.key)), n.exact)
    } else if let Some(s) = f.state {
        (Some(format!("S#{}", s.code())), true)
    } else if let Some(c) = &f.caisse_id {
        (Some(format!("C#{c}")), true)
    } else if let Some(k) = f.kind {
        (Some(format!("T#{}", k.code())), true)
    } else {
        (None, true)
    };
    let used = |what: &str| key.as_deref().is_some_and(|k| k.starts_with(what));
    let filters_left = [
        f.state.is_some() && !used("S#"),
        f.caisse_id.is_some() && !used("C#"),
        f.kind.is_some() && !used("T#"),
    ];
    exact &= !filters_left.contains(&true);
    (key, exact)
}

pub async fn history(ctx: &Ctx, partner_id: &str, f: &Filters) -> Result<HistoryPage, Problem> {
    let (key, exact) = history_key(f);
    let keep = |s: &Summary| {
        f.state.is_none_or(|st| s.state == st)
            && f.caisse_id.as_deref().is_none_or(|c| s.caisse_id == c)
            && f.kind.is_none_or(|k| s.kind == k.code())
            && f.name
                .as_ref()
                .is_none_or(|n| name_matches(&s.assure.nom, &s.assure.prenom, n))
    };
    let pk = history_pk(partner_id, key.as_deref());
    let (rows, next) = page(ctx, pk, f, true, exact, keep).await?;
    Ok(HistoryPage {
        items: views::Rows(rows),
        next,
    })
}

/// A page of the history (`{"items": [RequestSummary], "next": cursor or null}`),
/// serialised straight into the response.
#[derive(Serialize)]
pub struct HistoryPage {
    items: views::Rows,
    next: Option<String>,
}

/// The caisse's queue for one state (default `submitted`), oldest first, with the
/// counts per state.
pub async fn queue(ctx: &Ctx, caisse_id: &str, me: &str, f: &Filters) -> Result<Value, Problem> {
    let state = f.state.unwrap_or(RequestState::Submitted);
    let assigned = f
        .assigned
        .as_deref()
        .map(|a| if a == "me" { me } else { a });
    let key = if let Some(a) = assigned {
        Some(format!("A#{a}"))
    } else if let Some(p) = &f.partner_id {
        Some(format!("P#{p}"))
    } else {
        f.kind.map(|k| format!("T#{}", k.code()))
    };
    let given = [assigned.is_some(), f.partner_id.is_some(), f.kind.is_some()];
    let exact = given.iter().filter(|g| **g).count() <= 1 && f.name.is_none();
    let keep = |s: &Summary| {
        f.partner_id.as_deref().is_none_or(|p| s.partner_id == p)
            && f.kind.is_none_or(|k| s.kind == k.code())
            && assigned.is_none_or(|a| s.assigned_to.as_deref().unwrap_or("none") == a)
    };
    let pk = queue_pk(caisse_id, state, key.as_deref());
    let (rows, next) = page(ctx, pk, f, false, exact, keep).await?;
    let c = counts(ctx.table.as_ref(), caisse_id).await?;
    Ok(json!({
        "items": views::Rows(rows),
        "next": next,
        "counts": {
            "submitted": c.submitted, "in_progress": c.in_progress,
            "info_requested": c.info_requested, "answered": c.answered, "closed": c.closed,
        },
    }))
}
