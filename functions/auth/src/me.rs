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
    second_factor_enrolled: bool,
}

pub(crate) async fn me_response(ctx: &Ctx, user: &User, session_expires_at: Timestamp) -> Answer {
    let current = cgu::current(ctx.table.as_ref(), cgu::Audience::of(user.org_kind)).await?;
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
        required_actions: sessions::required_actions(
            ctx,
            user,
            current.as_ref().map(|c| c.version.as_str()),
            ctx.now(),
        ),
        cgu_version: user.cgu_version.as_deref(),
        password_expires_at: sessions::password_expires_at(ctx, user),
        session_expires_at,
        second_factor_enrolled: user.second_factor_at.is_some(),
    };
    Ok(json(200, &me))
}

pub(crate) async fn me(ctx: &Ctx, req: &Request) -> Answer {
    let authed = sessions::require(ctx, req, Gate::RequiredActions).await?;
    me_response(ctx, &authed.user, authed.expires_at(ctx)).await
}
