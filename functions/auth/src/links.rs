//! The emailed links: activation, reset, forgotten password.

use ep_common::Ctx;
use ep_common::audit::{self};
use ep_common::bootstrap::{activation_link, reset_link};
use ep_common::emails;
use ep_common::http::{Problem, json, parse_json};
use ep_common::ids::new_id;
use ep_common::mail::compose;
use ep_common::record::Record;
use ep_common::sessions::{self};
use ep_common::table::StoreError;
use ep_common::templates;
use ep_common::tokens::{self, Lookup, Purpose};
use ep_common::users::{Status, User, find_by_identifiant, get_user};
use ep_domain::password::{PasswordContext, PasswordRule, check_password};
use jiff::Timestamp;
use lambda_http::Request;
use serde::Deserialize;

use super::*;
use crate::throttle::Kind;

// ---------------------------------------------------------------- emailed links

#[derive(Deserialize)]
pub(crate) struct TokenBody {
    #[serde(default)]
    token: String,
}

pub(crate) fn token_problem(lookup: &Lookup) -> Problem {
    match lookup {
        Lookup::Used => Problem::new(
            410,
            "token.used",
            "Lien déjà utilisé",
            "Ce lien a déjà été utilisé. Si vous avez oublié votre mot de passe, demandez un nouveau lien depuis la page « Mot de passe oublié ».",
        ),
        Lookup::Expired => Problem::new(
            410,
            "token.expired",
            "Lien expiré",
            "Ce lien a expiré. Demandez un nouveau lien depuis la page « Mot de passe oublié » avec votre identifiant.",
        ),
        _ => Problem::new(
            404,
            "token.invalid",
            "Lien invalide",
            "Ce lien n'est pas valide : vérifiez qu'il a été copié en entier, ou demandez un nouveau lien depuis la page « Mot de passe oublié ».",
        ),
    }
}

pub(crate) async fn token_info(ctx: &Ctx, req: &Request) -> Answer {
    let body: TokenBody = parse_json(req)?;
    let lookup = tokens::lookup(ctx.table.as_ref(), body.token.trim(), None, ctx.now()).await?;
    let Lookup::Valid(rec) = &lookup else {
        return Err(token_problem(&lookup));
    };
    let Some(user) = get_user(ctx.table.as_ref(), &rec.user_id).await? else {
        return Err(token_problem(&Lookup::Invalid));
    };
    if user.status == Status::Inactive {
        return Err(token_problem(&Lookup::Invalid));
    }
    Ok(json(
        200,
        &serde_json::json!({
            "purpose": rec.purpose,
            "identifiant": user.identifiant,
            "prenom": user.prenom,
            "expires_at": rec.expires_at,
        }),
    ))
}

#[derive(Deserialize)]
pub(crate) struct TokenPasswordBody {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub(crate) fn weak_password(field: &str, rules: &[PasswordRule]) -> Problem {
    let detail = rules
        .iter()
        .map(PasswordRule::message)
        .collect::<Vec<_>>()
        .join(" ");
    let code = if rules.iter().any(|r| {
        matches!(
            r,
            PasswordRule::ContainsEmail
                | PasswordRule::ContainsName
                | PasswordRule::ContainsIdentifiant
        )
    }) {
        "password.personal"
    } else {
        "password.weak"
    };
    let mut p =
        Problem::new(422, code, "Mot de passe trop faible", detail.clone()).field(field, detail);
    p.rules = rules.iter().map(|r| r.code().to_owned()).collect();
    p
}

pub(crate) fn reused_password(field: &str, history: u32) -> Problem {
    let msg = format!(
        "Ce mot de passe fait partie de vos {history} derniers mots de passe : choisissez-en un autre."
    );
    Problem::new(
        422,
        "password.reused",
        "Mot de passe déjà utilisé",
        msg.clone(),
    )
    .field(field, msg)
}

/// Checks a new password against the policy and the history (the current one
/// included); returns its hash.
pub(crate) async fn new_password_hash(
    ctx: &Ctx,
    user: &User,
    field: &str,
    pw: &str,
) -> Result<String, Problem> {
    if pw.is_empty() {
        return Err(Problem::validation().field(field, "Saisissez un mot de passe."));
    }
    let names = [user.nom.as_str(), user.prenom.as_str()];
    let pctx = PasswordContext {
        identifiant: &user.identifiant,
        email: &user.email,
        names: &names,
    };
    if let Err(rules) = check_password(pw, &pctx) {
        return Err(weak_password(field, &rules));
    }
    let keep = ctx.config.password_history as usize;
    let recent: Vec<String> = user.password_history.iter().take(keep).cloned().collect();
    if password::matches_any(pw, &recent).await {
        return Err(reused_password(field, ctx.config.password_history));
    }
    password::hash(pw.to_owned()).await
}

pub(crate) fn with_new_password(ctx: &Ctx, user: &User, hash: String, now: Timestamp) -> User {
    let mut next = user.clone();
    next.password_hash = Some(hash.clone());
    next.password_changed_at = Some(now);
    next.password_history.insert(0, hash);
    next.password_history
        .truncate(ctx.config.password_history.max(1) as usize);
    next.session_epoch += 1;
    // The expiry reminder falls due `password_reminder_days` before expiry (once).
    next.password_reminder_at = sessions::password_expires_at(ctx, &next).map(|expiry| {
        expiry - jiff::SignedDuration::from_hours(24 * ctx.config.password_reminder_days)
    });
    next
}

pub(crate) async fn set_from_link(ctx: &Ctx, req: &Request, purpose: Purpose) -> Answer {
    let body: TokenPasswordBody = parse_json(req)?;
    let now = ctx.now();
    let token = body.token.trim();
    let lookup = tokens::lookup(ctx.table.as_ref(), token, Some(purpose), now).await?;
    let Lookup::Valid(rec) = &lookup else {
        return Err(token_problem(&lookup));
    };
    let Some(user) = get_user(ctx.table.as_ref(), &rec.user_id).await? else {
        return Err(token_problem(&Lookup::Invalid));
    };
    let allowed = match purpose {
        Purpose::Activation => user.status == Status::Pending,
        Purpose::Reset => user.status == Status::Active,
    };
    if !allowed {
        return Err(token_problem(&Lookup::Used));
    }
    let hash = new_password_hash(ctx, &user, "password", &body.password).await?;
    let mut next = with_new_password(ctx, &user, hash, now);
    next.status = Status::Active;
    let (user_write, _) = next.update_write()?;
    let action = match purpose {
        Purpose::Activation => "auth.password.set",
        Purpose::Reset => "auth.password.reset",
    };
    let ev = audit::event(now, &user.id, action, Some(&user.id));
    let writes = vec![
        tokens::consume(token, rec, now),
        user_write,
        audit_write(ctx, audit_org(&user), ev)?,
    ];
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { .. }) => return Err(token_problem(&Lookup::Used)),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user = %user.id, action, "password set from link");
    Ok(no_content())
}

#[derive(Deserialize)]
pub(crate) struct ForgotBody {
    #[serde(default)]
    identifiant: String,
}

/// Every answer of « mot de passe oublié » takes at least this long, whether or not
/// the identifiant has an account (the work differs by about a millisecond locally,
/// more on DynamoDB; sending the email, the big difference, happens after the answer).
pub const FORGOT_ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(100);

pub(crate) async fn forgot(ctx: &Ctx, req: &Request) -> Answer {
    let started = tokio::time::Instant::now();
    let answer = forgot_work(ctx, req).await;
    tokio::time::sleep_until(started + FORGOT_ANSWER_FLOOR).await;
    answer
}

pub(crate) async fn forgot_work(ctx: &Ctx, req: &Request) -> Answer {
    let body: ForgotBody = parse_json(req)?;
    let ident = body.identifiant.trim().to_ascii_lowercase();
    if ident.is_empty() {
        return Err(Problem::validation().field(
            "identifiant",
            "Saisissez votre identifiant (2 lettres et 6 chiffres, reçu par courriel).",
        ));
    }
    let answer = json(
        202,
        &serde_json::json!({
            "message": "Si cet identifiant correspond à un compte, un courriel vient d'être envoyé à l'adresse du compte avec un lien pour choisir un nouveau mot de passe. Ce lien est valable 72 heures. Pensez à vérifier vos courriers indésirables."
                .replace("72", &ctx.config.link_ttl_hours.to_string()),
        }),
    );
    // The same work whether the account exists: one lookup, one throttle read, one
    // transaction; the email is sent after the answer (see `emails::deliver_later`),
    // never inline, so the answer time does not tell whether an email went out.
    let now = ctx.now();
    let user = find_by_identifiant(ctx.table.as_ref(), &ident)
        .await?
        .filter(|u| u.status != Status::Inactive);
    // Rate of emails per typed identifiant (known or not).
    let current = read_throttle(ctx, Kind::Forgot, &ident).await?;
    if current
        .as_ref()
        .is_some_and(|t| throttle::locked_for(t, now).is_some())
    {
        return Ok(answer);
    }
    let next = throttle::after_failure(Kind::Forgot, current.as_ref(), now);
    let mut writes = vec![throttle::write(
        Kind::Forgot,
        &ident,
        current.as_ref(),
        &next,
    )?];
    let mut email_id = None;
    if let Some(user) = &user {
        let (more, id) = link_writes(ctx, user, now)?;
        writes.extend(more);
        email_id = Some(id);
    }
    match ep_common::audit::transact(ctx, writes).await {
        Ok(()) => {
            if let Some(id) = email_id {
                emails::deliver_later(ctx, id);
            }
        }
        Err(StoreError::TransactionCanceled { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(answer)
}

/// The writes of a new link for `user` (a new account-creation link while pending, a
/// reset link otherwise): the token, the pending email, the event. And the email's id.
fn link_writes(ctx: &Ctx, user: &User, now: Timestamp) -> Result<(Vec<Write>, String), Problem> {
    let mut writes = Vec::new();
    // A pending account gets a new account-creation link (its first one may have
    // expired); an active one a reset link.
    let purpose = if user.status == Status::Pending {
        Purpose::Activation
    } else {
        Purpose::Reset
    };
    let (token, token_write) = tokens::issue(&user.id, purpose, now, ctx.config.link_ttl_hours)?;
    let content = match purpose {
        Purpose::Activation => templates::account_created(
            &ctx.config.mail_from,
            user,
            &activation_link(ctx, &token),
            ctx.config.link_ttl_hours,
        ),
        Purpose::Reset => templates::password_reset(
            &ctx.config.mail_from,
            user,
            &reset_link(ctx, &token),
            ctx.config.link_ttl_hours,
        ),
    };
    let email = compose(&content, &new_id(), now).map_err(|e| {
        tracing::error!(error = %e, "reset email could not be built");
        Problem::unavailable()
    })?;
    let ev = audit::event(
        now,
        "anonymous",
        "auth.password.reset_requested",
        Some(&user.id),
    );
    writes.extend([
        token_write,
        emails::enqueue(&email, now)?,
        audit_write(ctx, audit_org(user), ev)?,
    ]);
    Ok((writes, email.id))
}
