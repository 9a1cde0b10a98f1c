//! What a signed-in user does to their own account: accept the CGU, change the password; the CGU text and its publication by the admin.

use ep_common::Ctx;
use ep_common::audit::{self};
use ep_common::cgu::{self, Cgu};
use ep_common::http::{Problem, json, parse_json};
use ep_common::record::Record;
use ep_common::sessions::{self, Authed, Gate};
use ep_common::table::StoreError;
use ep_common::users::{PLATFORM_ORG, Role};
use lambda_http::Request;
use serde::Deserialize;

use super::*;

// ---------------------------------------------------------------- signed-in actions

#[derive(Deserialize)]
pub(crate) struct CguBody {
    #[serde(default)]
    version: String,
}

pub(crate) async fn accept_cgu(ctx: &Ctx, req: &Request) -> Answer {
    let authed: Authed = sessions::require(ctx, req, Gate::RequiredActions).await?;
    let body: CguBody = parse_json(req)?;
    let audience = cgu::Audience::of(authed.user.org_kind);
    let current = cgu::current(ctx.table.as_ref(), audience).await?;
    let Some(current) = current else {
        return Err(Problem::not_found());
    };
    if body.version != current.version {
        return Err(Problem::new(
            409,
            "cgu.outdated",
            "Nouvelle version des conditions",
            "Une nouvelle version des conditions générales d'utilisation vient d'être publiée : relisez-la puis acceptez-la.",
        ));
    }
    let now = ctx.now();
    let mut next = authed.user.clone();
    next.cgu_version = Some(current.version.clone());
    next.cgu_accepted_at = Some(now);
    let (w, next) = next.update_write()?;
    let mut ev = audit::event(now, &next.id, "auth.cgu.accepted", Some(&next.id));
    ev.detail = Some(format!(
        "version={} audience={}",
        current.version,
        audience.code()
    ));
    ep_common::audit::transact(ctx, vec![w, audit_write(ctx, audit_org(&next), ev)?])
        .await
        .map_err(conflict)?;
    me_response(ctx, &next, authed.expires_at(ctx), &authed.windows).await
}

pub(crate) fn conflict(e: StoreError) -> Problem {
    match e {
        StoreError::TransactionCanceled { .. } | StoreError::ConditionFailed => Problem::new(
            409,
            "conflict",
            "Modification simultanée",
            "Votre compte a été modifié entre-temps : rechargez la page puis recommencez.",
        ),
        other => other.into(),
    }
}

#[derive(Deserialize)]
pub(crate) struct ChangePasswordBody {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub(crate) async fn change_password(ctx: &Ctx, req: &Request) -> Answer {
    let authed = sessions::require(ctx, req, Gate::RequiredActions).await?;
    let body: ChangePasswordBody = parse_json(req)?;
    let user = &authed.user;
    let current_ok = match &user.password_hash {
        Some(h) if !body.current_password.is_empty() => {
            password::verify(body.current_password.clone(), h.clone()).await
        }
        _ => false,
    };
    if !current_ok {
        return Err(Problem::validation().field(
            "current_password",
            "Le mot de passe actuel est incorrect : saisissez celui que vous utilisez pour vous connecter.",
        ));
    }
    let hash = new_password_hash(ctx, user, "new_password", &body.new_password).await?;
    let now = ctx.now();
    let next = with_new_password(ctx, user, hash, now);
    let (w, next) = next.update_write()?;
    // Every session ended (epoch moved); this browser gets a new one.
    let (token, session_write, session) = sessions::create(ctx, &next, now)?;
    let ev = audit::event(now, &user.id, "auth.password.changed", Some(&user.id));
    ep_common::audit::transact(
        ctx,
        vec![w, session_write, audit_write(ctx, audit_org(user), ev)?],
    )
    .await
    .map_err(conflict)?;
    sessions::destroy(ctx, &authed.token_hash).await?;
    let expires = session.seen_expiry(ctx);
    let res = me_response(ctx, &next, expires, &authed.windows).await?;
    Ok(with_cookie(res, &sessions::set_cookie(ctx, &token)))
}

/// `GET /api/cgu[?audience=partenaires|caisses]`: the text in force for the audience
/// asked, else for the signed-in user's, else for the partners.
pub(crate) async fn get_cgu(ctx: &Ctx, req: &Request) -> Answer {
    let audience = match ep_common::http::query_param(req, "audience") {
        Some(code) => cgu::Audience::parse(&code).ok_or_else(|| {
            Problem::bad_request(
                "audience.invalid",
                "Public inconnu : « partenaires » ou « caisses ».",
            )
        })?,
        None => match sessions::current(ctx, req).await? {
            Some(authed) => cgu::Audience::of(authed.user.org_kind),
            None => cgu::Audience::Partenaires,
        },
    };
    match cgu::current(ctx.table.as_ref(), audience).await? {
        Some(c) => Ok(json(200, &c)),
        None => Err(Problem::not_found()),
    }
}

#[derive(Deserialize)]
pub(crate) struct PublishBody {
    #[serde(default)]
    version: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    audience: String,
}

pub(crate) async fn publish_cgu(ctx: &Ctx, req: &Request) -> Answer {
    let authed = sessions::require(ctx, req, Gate::Full).await?;
    if authed.user.role != Role::Admin {
        return Err(Problem::not_found());
    }
    let body: PublishBody = parse_json(req)?;
    let version = body.version.trim();
    let text = body.text.trim();
    let mut p = Problem::validation();
    if version.is_empty()
        || version.len() > 40
        || !version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        p = p.field(
            "version",
            "Le numéro de version est obligatoire : 40 caractères au plus, lettres, chiffres, points et tirets (par exemple 2027-1).",
        );
    }
    if let Err(e) = ep_domain::text::check_clean("text", text, true) {
        p = p.field("text", e.message);
    } else if text.is_empty() || text.len() > 100_000 {
        p = p.field(
            "text",
            "Le texte des conditions est obligatoire (100 000 caractères au plus).",
        );
    }
    let audience = cgu::Audience::parse(&body.audience);
    if audience.is_none() {
        p = p.field(
            "audience",
            "Choisissez le public de ce texte : « partenaires » (gestionnaires et techniciens des structures) ou « caisses » (agents des caisses et administration de la plateforme).",
        );
    }
    let (true, Some(audience)) = (p.errors.is_empty(), audience) else {
        return Err(p);
    };
    let now = ctx.now();
    let c = Cgu {
        version: version.to_owned(),
        text: text.to_owned(),
        published_at: now,
        published_by: Some(authed.user.id.clone()),
        audience,
    };
    let mut writes = cgu::publish_writes(&c)?;
    let mut ev = audit::event(now, &authed.user.id, "cgu.published", None);
    ev.detail = Some(format!("version={version} audience={}", audience.code()));
    writes.push(audit_write(ctx, PLATFORM_ORG, ev)?);
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => Ok(json(201, &c)),
        Err(StoreError::TransactionCanceled { .. }) => Err(Problem::new(
            409,
            "cgu.version_exists",
            "Version déjà publiée",
            "Cette version des conditions a déjà été publiée : choisissez un autre numéro de version.",
        )
        .field("version", "Ce numéro de version existe déjà.")),
        Err(e) => Err(e.into()),
    }
}
