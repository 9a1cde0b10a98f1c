//! The current user (`GET /api/me`).

use ep_common::Ctx;
use ep_common::cgu::{self};
use ep_common::http::json;
use ep_common::sessions::{self, Gate};
use ep_common::users::{OrgKind, Role, User};
use jiff::Timestamp;
use lambda_http::Request;
use serde::Serialize;

use super::*;

// ---------------------------------------------------------------- current user

#[derive(Serialize)]
pub(crate) struct Organisation<'a> {
    kind: OrgKind,
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Me<'a> {
    id: &'a str,
    identifiant: &'a str,
    profile: Role,
    civilite: Option<&'a str>,
    nom: &'a str,
    prenom: &'a str,
    email: &'a str,
    fonction: Option<&'a str>,
    telephone: Option<&'a str>,
    organisation: Organisation<'a>,
    required_actions: Vec<&'static str>,
    cgu_version: Option<&'a str>,
    password_expires_at: Option<Timestamp>,
    session_expires_at: Timestamp,
    /// Maintenance windows announced and not yet ended that concern the user (banner).
    maintenance: Vec<MeWindow<'a>>,
    second_factor_enrolled: bool,
}

/// A window of the banner, with whether it is in force by the portal's clock.
#[derive(Serialize)]
pub(crate) struct MeWindow<'a> {
    #[serde(flatten)]
    window: &'a ep_common::windows::Window,
    in_force: bool,
}

pub(crate) async fn me_response(
    ctx: &Ctx,
    user: &User,
    session_expires_at: Timestamp,
    windows: &[ep_common::windows::Window],
) -> Answer {
    let current =
        cgu::current_version(ctx.table.as_ref(), cgu::Audience::of(user.org_kind)).await?;
    // A partner user's caisses, read only when some caisse announced a window.
    let partner_caisses: Vec<String> =
        if user.org_kind == OrgKind::Partner && windows.iter().any(|w| w.caisse_id.is_some()) {
            ep_common::partners::conventions_of(ctx.table.as_ref(), &user.org_id)
                .await?
                .into_iter()
                .filter(|c| c.state == ep_domain::types::ConventionState::Active)
                .map(|c| c.caisse_id)
                .collect()
        } else {
            Vec::new()
        };
    let me = Me {
        id: &user.id,
        identifiant: &user.identifiant,
        profile: user.role,
        civilite: user.civilite.as_deref(),
        nom: &user.nom,
        prenom: &user.prenom,
        email: &user.email,
        fonction: user.fonction.as_deref(),
        telephone: user.telephone.as_deref(),
        organisation: Organisation {
            kind: user.org_kind,
            id: &user.org_id,
            name: &user.org_name,
        },
        required_actions: sessions::required_actions(ctx, user, current.as_deref(), ctx.now()),
        cgu_version: user.cgu_version.as_deref(),
        password_expires_at: sessions::password_expires_at(ctx, user),
        session_expires_at,
        maintenance: ep_common::windows::concerning(user, windows, &partner_caisses)
            .into_iter()
            .map(|window| MeWindow {
                window,
                in_force: window.in_force(ctx.now()),
            })
            .collect(),
        second_factor_enrolled: user.second_factor_at.is_some(),
    };
    Ok(json(200, &me))
}

pub(crate) async fn me(ctx: &Ctx, req: &Request) -> Answer {
    let authed = sessions::require(ctx, req, Gate::RequiredActions).await?;
    me_response(ctx, &authed.user, authed.expires_at(ctx), &authed.windows).await
}
