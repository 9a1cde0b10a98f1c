//! Second-factor resets (README « Second factor »): an agent resets the second factor
//! of a user of a partner of their caisse, the platform admin an agent's. The factor
//! is deleted, the user's sessions end, the user enrols again at the next sign-in;
//! audited and the user emailed (no secret in the email) — one transaction.

use ep_common::Ctx;
use ep_common::http::{Problem, json, path_param};
use ep_common::record::Record;
use ep_common::routes::Answer;
use ep_common::sessions::Authed;
use ep_common::table::Cond;
use ep_common::tx::Tx;
use ep_common::users::{Role, User, get_user, second_factor_key};
use lambda_http::Request;

use crate::caisses::view;
use crate::util::{forbidden_or_missing, partner_access, require_agent};

/// `POST /api/partners/{partner_id}/accounts/{user_id}/second-factor/reset`: an
/// agent of a caisse conventioned with the partner.
pub async fn reset_partner_user(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    let caisse_id = require_agent(authed)?.to_owned();
    let partner_id = path_param(req, "partner_id").unwrap_or_default();
    partner_access(ctx, authed, &partner_id).await?;
    let user_id = path_param(req, "user_id").unwrap_or_default();
    let target = get_user(ctx.table.as_ref(), &user_id)
        .await?
        .filter(|u| {
            u.org_id == partner_id && matches!(u.role, Role::Gestionnaire | Role::Technicien)
        })
        .ok_or_else(forbidden_or_missing)?;
    let done = reset(ctx, &authed.user, target, &caisse_id, "votre caisse").await?;
    Ok(json(200, &view(&done)))
}

/// `POST /api/caisses/{caisse_id}/agents/{user_id}/second-factor/reset`: the
/// platform admin only.
pub async fn reset_agent(ctx: &Ctx, req: &Request, authed: &Authed) -> Answer {
    if authed.user.role != Role::Admin {
        return Err(forbidden_or_missing());
    }
    let caisse_id = path_param(req, "caisse_id").unwrap_or_default();
    let user_id = path_param(req, "user_id").unwrap_or_default();
    let target = get_user(ctx.table.as_ref(), &user_id)
        .await?
        .filter(|u| u.role == Role::Agent && u.org_id == caisse_id)
        .ok_or_else(forbidden_or_missing)?;
    let actor_org = authed.user.org_id.clone();
    let done = reset(
        ctx,
        &authed.user,
        target,
        &actor_org,
        "l'administrateur de la plateforme",
    )
    .await?;
    Ok(json(200, &view(&done)))
}

/// The use case: the factor deleted, the user's flag cleared and sessions ended, the
/// event in the user's trail and the actor's, the email — one transaction.
async fn reset(
    ctx: &Ctx,
    actor: &User,
    target: User,
    actor_org: &str,
    by: &str,
) -> Result<User, Problem> {
    if target.second_factor_at.is_none() {
        return Err(Problem::new(
            409,
            "second_factor.not_enrolled",
            "Rien à réinitialiser",
            "Ce compte n'a pas de double authentification activée : il l'activera à sa prochaine connexion.",
        ));
    }
    let mut next = target.clone();
    next.second_factor_at = None;
    next.session_epoch += 1;
    let (user_write, next) = next.update_write()?;
    let (pk, sk) = second_factor_key(&target.id);
    let mut tx = Tx::new(ctx);
    tx.write(user_write).delete(pk, sk, Cond::None);
    let action = "account.second_factor.reset";
    tx.audit(&target.org_id, &actor.id, action, Some(&target.id))?;
    if actor_org != target.org_id {
        tx.audit(actor_org, &actor.id, action, Some(&target.id))?;
    }
    let login = format!("{}/connexion", ctx.config.public_url);
    tx.email(
        &target.email,
        "Votre double authentification a été réinitialisée",
        vec![
            format!(
                "La double authentification de votre compte Espace Partenaires (identifiant {}) a été réinitialisée par {by}. Vos sessions ouvertes ont été fermées.",
                target.identifiant
            ),
            "À votre prochaine connexion, après votre mot de passe, vous l'activerez de nouveau avec votre application d'authentification, et vous recevrez dix nouveaux codes de secours.".to_owned(),
            "Si vous n'avez pas demandé cette réinitialisation, prévenez votre caisse sans attendre.".to_owned(),
        ],
        Some(("Se connecter", &login)),
    )?;
    tx.commit().await?;
    tracing::info!(user = %target.id, actor = %actor.id, "second factor reset");
    Ok(next)
}
