//! Maintenance windows (convention §3.2): the platform admin announces one for
//! everyone, an agent of a caisse with the admin flag one for its caisse (its agents
//! and its partners' users). Editable and cancellable until it ends; audited in the
//! trail of the platform or of the caisse. The rules: `ep_domain::maintenance`; what a
//! window blocks: `ep_common::windows`.

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param};
use ep_common::ids::new_id;
use ep_common::partners::get_caisse;
use ep_common::sessions::Authed;
use ep_common::tx::Tx;
use ep_common::users::{PLATFORM_ORG, Role};
use ep_common::windows::{Window, Windows};
use ep_domain::maintenance::{check, check_message, parse_time};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::util::forbidden_or_missing;

type Answer = Result<Response<Body>, Problem>;

#[derive(Deserialize, Default)]
struct WindowBody {
    start: Option<String>,
    end: Option<String>,
    message: Option<String>,
}

#[derive(Serialize)]
struct WindowView<'a> {
    #[serde(flatten)]
    window: &'a Window,
    scope: &'static str,
    in_force: bool,
    /// The reader may edit or cancel it.
    editable: bool,
}

#[derive(Serialize)]
struct WindowList<'a> {
    items: Vec<WindowView<'a>>,
    /// The reader may announce one (for the platform or for its caisse).
    may_announce: bool,
    /// The scope of what the reader announces: `platform` or `caisse`.
    scope: &'static str,
}

/// The scope the user manages: `Some(None)` the platform (admin), `Some(Some(caisse))`
/// an admin agent's caisse; anyone else manages none.
fn managed_scope(authed: &Authed) -> Option<Option<&str>> {
    let u = &authed.user;
    match u.role {
        Role::Admin => Some(None),
        Role::Agent if u.caisse_admin => Some(Some(u.org_id.as_str())),
        _ => None,
    }
}

fn audit_org(scope: Option<&str>) -> &str {
    scope.unwrap_or(PLATFORM_ORG)
}

/// `GET /api/maintenance-windows`: the windows not yet ended that concern the reader
/// (admin: all; agent: the platform's and its caisse's).
pub async fn list(ctx: &Ctx, _req: &Request, authed: &Authed) -> Answer {
    if !matches!(authed.user.role, Role::Admin | Role::Agent) {
        return Err(forbidden_or_missing());
    }
    let now = ctx.now();
    let managed = managed_scope(authed);
    let mut items: Vec<WindowView<'_>> =
        ep_common::windows::concerning(&authed.user, &authed.windows, &[])
            .into_iter()
            .map(|w| WindowView {
                window: w,
                scope: if w.caisse_id.is_some() {
                    "caisse"
                } else {
                    "platform"
                },
                in_force: w.in_force(now),
                editable: managed == Some(w.caisse_id.as_deref()),
            })
            .collect();
    items.sort_by_key(|v| v.window.start);
    Ok(json(
        200,
        &WindowList {
            items,
            may_announce: managed.is_some(),
            scope: if authed.user.role == Role::Admin {
                "platform"
            } else {
                "caisse"
            },
        },
    ))
}

/// `POST /api/maintenance-windows`: announces a window for the reader's scope.
pub async fn announce(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let scope = managed_scope(authed).ok_or_else(forbidden_or_missing)?;
    let body: WindowBody = parse_json(req)?;
    let mut all = Windows::load(ctx).await?;
    let checked = validate(ctx, scope, None, &all, &body)?;
    let caisse_name = match scope {
        Some(c) => Some(
            get_caisse(ctx.table.as_ref(), c)
                .await?
                .ok_or_else(forbidden_or_missing)?
                .name,
        ),
        None => None,
    };
    let window = Window {
        id: new_id(),
        caisse_id: scope.map(str::to_owned),
        caisse_name,
        start: checked.start,
        end: checked.end,
        message: checked.message,
        announced_by: authed.user.id.clone(),
        announced_at: ctx.now(),
        updated_at: None,
    };
    all.windows.push(window.clone());
    let mut tx = Tx::new(ctx);
    tx.write(all.write()?);
    tx.audit(
        audit_org(scope),
        &authed.user.id,
        "maintenance.announced",
        Some(&window.id),
    )?;
    tx.commit().await?;
    Ok(json(201, &window))
}

/// `PUT /api/maintenance-windows/{window_id}`: changes a window not yet ended.
pub async fn update(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let (scope, mut all, index) = load_own(ctx, req, authed).await?;
    let body: WindowBody = parse_json(req)?;
    let current = all.windows[index].clone();
    let checked = validate(ctx, scope, Some(&current), &all, &body)?;
    let w = &mut all.windows[index];
    w.start = checked.start;
    w.end = checked.end;
    w.message = checked.message;
    w.updated_at = Some(ctx.now());
    let window = w.clone();
    let mut tx = Tx::new(ctx);
    tx.write(all.write()?);
    tx.audit(
        audit_org(scope),
        &authed.user.id,
        "maintenance.updated",
        Some(&window.id),
    )?;
    tx.commit().await?;
    Ok(json(200, &window))
}

/// `POST /api/maintenance-windows/{window_id}/cancel`: withdraws a window not yet
/// ended (one under way ends at once).
pub async fn cancel(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let (scope, mut all, index) = load_own(ctx, req, authed).await?;
    let window = all.windows.remove(index);
    let mut tx = Tx::new(ctx);
    tx.write(all.write()?);
    tx.audit(
        audit_org(scope),
        &authed.user.id,
        "maintenance.cancelled",
        Some(&window.id),
    )?;
    tx.commit().await?;
    Ok(json(
        200,
        &serde_json::json!({ "id": window.id, "cancelled": true }),
    ))
}

/// The window of the path, in the reader's scope and not yet ended (else 404), with
/// every window (the item to rewrite) and its index.
async fn load_own<'a>(
    ctx: &Ctx,
    req: &Request,
    authed: &'a Authed,
) -> Result<(Option<&'a str>, Windows, usize), Problem> {
    let scope = managed_scope(authed).ok_or_else(forbidden_or_missing)?;
    let id = path_param(req, "window_id").ok_or_else(forbidden_or_missing)?;
    let all = Windows::load(ctx).await?;
    let index = all
        .windows
        .iter()
        .position(|w| w.id == id && w.caisse_id.as_deref() == scope)
        .ok_or_else(forbidden_or_missing)?;
    Ok((scope, all, index))
}

fn validate(
    ctx: &Ctx,
    scope: Option<&str>,
    current: Option<&Window>,
    all: &Windows,
    body: &WindowBody,
) -> Result<ep_domain::maintenance::Checked, Problem> {
    let slots: Vec<_> = all.windows.iter().map(Window::slot).collect();
    let current = current.map(Window::slot);
    check(
        ctx.now(),
        scope,
        current.as_ref(),
        &slots,
        parse_time("start", "Le début", body.start.as_deref()),
        parse_time("end", "La fin", body.end.as_deref()),
        check_message(body.message.as_deref()),
    )
    .map_err(|v| {
        let mut p = Problem::validation();
        for e in v.0 {
            p.errors.entry(e.field).or_insert(e.message);
        }
        p
    })
}
