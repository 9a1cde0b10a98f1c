//! The second factor's routes (README « Second factor »): set-up and confirmation
//! (a required action after the first sign-in, or a choice for techniciens), and the
//! code check that turns a password-only session into a full one.

use ep_common::Ctx;
use ep_common::audit::{self};
use ep_common::http::{Problem, client_ip, json, parse_json};
use ep_common::record::Record;
use ep_common::sessions::{self, Gate};
use ep_common::table::StoreError;
use ep_common::users::{User, second_factor_key};
use jiff::Timestamp;
use lambda_http::Request;
use serde::Deserialize;

use super::*;
use crate::totp::{self, SecondFactor};

fn unavailable() -> Problem {
    Problem::new(
        503,
        "second_factor.unavailable",
        "Double authentification indisponible",
        "La double authentification n'est pas configurée sur ce portail (EP_TOTP_KEY) : prévenez l'administrateur de la plateforme.",
    )
}

fn already_enrolled() -> Problem {
    Problem::new(
        409,
        "second_factor.enrolled",
        "Double authentification déjà activée",
        "Votre double authentification est déjà activée. Pour changer d'appareil, demandez sa réinitialisation (à votre caisse, ou à l'administrateur de la plateforme pour un agent).",
    )
}

fn invalid_code(field: &str) -> Problem {
    let (detail, message) = if field == "recovery_code" {
        (
            "Code de secours incorrect ou déjà utilisé. Vérifiez votre saisie ; après plusieurs erreurs, la connexion est suspendue quelques minutes.",
            "Saisissez l'un de vos codes de secours (10 caractères), chacun ne sert qu'une fois.",
        )
    } else {
        (
            "Code incorrect ou déjà utilisé. Saisissez le code affiché maintenant par votre application ; après plusieurs erreurs, la connexion est suspendue quelques minutes.",
            "Saisissez les 6 chiffres affichés par votre application d'authentification.",
        )
    };
    Problem::new(401, "auth.invalid_code", "Code refusé", detail).field(field, message)
}

async fn read_factor(ctx: &Ctx, user_id: &str) -> Result<Option<SecondFactor>, StoreError> {
    let (pk, sk) = second_factor_key(user_id);
    ctx.table
        .get(&pk, &sk)
        .await?
        .map(|i| i.parse())
        .transpose()
}

/// `POST /api/me/second-factor/setup`: a new secret (replacing an unconfirmed one),
/// answered once as a QR code (SVG) and as text; stored sealed.
pub(crate) async fn setup_second_factor(ctx: &Ctx, req: &Request) -> Answer {
    let authed = sessions::require(ctx, req, Gate::RequiredActions).await?;
    let user = &authed.user;
    if user.second_factor_at.is_some() {
        return Err(already_enrolled());
    }
    let key = ctx.config.totp_key.as_ref().ok_or_else(unavailable)?;
    let secret = totp::new_secret();
    let sealed = totp::seal(key, &user.id, &secret).map_err(|_| unavailable())?;
    let now = ctx.now();
    let factor = SecondFactor {
        user_id: user.id.clone(),
        sealed,
        confirmed: false,
        last_step: 0,
        recovery: vec![],
        created_at: now,
        v: 1,
    };
    // Never over a confirmed factor (the user flag is checked above; this is the race).
    let cond = match read_factor(ctx, &user.id).await? {
        Some(f) if f.confirmed => return Err(already_enrolled()),
        Some(f) => ep_common::table::Cond::VersionEquals(f.v),
        None => ep_common::table::Cond::NotExists,
    };
    let write = ep_common::table::Write::put(factor.item()?, cond);
    ctx.table.transact(vec![write]).await.map_err(conflict)?;
    let uri = totp::otpauth_uri(&secret, &user.identifiant);
    let svg = totp::qr_svg(&uri).map_err(|_| unavailable())?;
    Ok(json(
        200,
        &serde_json::json!({
            "secret": totp::secret_text(&secret),
            "otpauth_uri": uri,
            "qr_svg": svg,
        }),
    ))
}

#[derive(Deserialize)]
pub(crate) struct CodeBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    recovery_code: String,
}

/// `POST /api/me/second-factor/confirm` `{code}`: the first code proves the app
/// holds the secret; answers the ten recovery codes, shown this once.
pub(crate) async fn confirm_second_factor(ctx: &Ctx, req: &Request) -> Answer {
    let authed = sessions::require(ctx, req, Gate::RequiredActions).await?;
    let body: CodeBody = parse_json(req)?;
    let user = &authed.user;
    if user.second_factor_at.is_some() {
        return Err(already_enrolled());
    }
    let key = ctx.config.totp_key.as_ref().ok_or_else(unavailable)?;
    let factor = match read_factor(ctx, &user.id).await? {
        Some(f) if !f.confirmed => f,
        _ => {
            return Err(Problem::new(
                409,
                "second_factor.no_setup",
                "Activation à recommencer",
                "Aucune activation en cours : affichez d'abord le QR code, puis saisissez le code de l'application.",
            ));
        }
    };
    let secret = totp::open(key, &user.id, &factor.sealed).ok_or_else(unavailable)?;
    let now = ctx.now();
    let Some(step) = totp::matching_step(&secret, &body.code, now) else {
        return Err(Problem::validation().field(
            "code",
            "Code incorrect : saisissez les 6 chiffres affichés maintenant par votre application (vérifiez l'heure de votre téléphone).",
        ));
    };
    let (codes, hashes) = totp::new_recovery_codes(&user.id);
    let mut next = factor.clone();
    next.confirmed = true;
    next.last_step = step;
    next.recovery = hashes;
    let (factor_write, _) = next.update_write()?;
    let mut enrolled = user.clone();
    enrolled.second_factor_at = Some(now);
    let (user_write, _) = enrolled.update_write()?;
    let ev = audit::event(now, &user.id, "auth.second_factor.enrol", Some(&user.id));
    let writes = vec![
        factor_write,
        user_write,
        audit_write(ctx, audit_org(user), ev)?,
    ];
    audit::transact(ctx, writes).await.map_err(conflict)?;
    tracing::info!(user = %user.id, "second factor enrolled");
    Ok(json(200, &serde_json::json!({ "recovery_codes": codes })))
}

/// What a code check changes, or why it is refused.
enum Checked {
    Accepted(SecondFactor, &'static str),
    Refused(&'static str),
}

fn check(ctx: &Ctx, user: &User, f: SecondFactor, body: &CodeBody, now: Timestamp) -> Checked {
    if !body.recovery_code.trim().is_empty() {
        let hash = totp::recovery_hash(&user.id, &body.recovery_code);
        let before = f.recovery.len();
        let mut next = f;
        next.recovery.retain(|h| *h != hash);
        return if next.recovery.len() < before {
            Checked::Accepted(next, "recovery_code")
        } else {
            Checked::Refused("recovery_code")
        };
    }
    let secret = ctx
        .config
        .totp_key
        .as_ref()
        .and_then(|k| totp::open(k, &user.id, &f.sealed));
    match secret.and_then(|s| totp::matching_step(&s, &body.code, now)) {
        // A step already accepted (or older) is a replay.
        Some(step) if step > f.last_step => {
            let mut next = f;
            next.last_step = step;
            Checked::Accepted(next, "code")
        }
        _ => Checked::Refused("code"),
    }
}

/// `POST /api/auth/second-factor` `{code}` or `{recovery_code}`: completes a
/// password-only session. Each try is counted like a password (brute-force limits,
/// trusted pair or not); a success replaces the session by a full one, records the
/// step (or spends the recovery code) version-checked, in one transaction.
pub(crate) async fn verify_second_factor(ctx: &Ctx, req: &Request) -> Answer {
    let authed = sessions::require(ctx, req, Gate::SecondFactor).await?;
    let body: CodeBody = parse_json(req)?;
    if body.code.trim().is_empty() && body.recovery_code.trim().is_empty() {
        return Err(Problem::validation().field(
            "code",
            "Saisissez le code à 6 chiffres de votre application, ou un code de secours.",
        ));
    }
    let user = authed.user.clone();
    let source = client_ip(req, &ctx.config).unwrap_or_else(|| "inconnue".into());
    let reservation = match reserve(ctx, &user.identifiant, &source, false).await? {
        Ok(r) => r,
        Err(seconds) => return Err(locked(seconds)),
    };
    let now = ctx.now();
    let factor = read_factor(ctx, &user.id).await?.filter(|f| f.confirmed);
    let checked = match factor {
        Some(f) => check(ctx, &user, f, &body, now),
        None => Checked::Refused("code"),
    };
    let (next, how) = match checked {
        Checked::Accepted(next, how) => (next, how),
        Checked::Refused(field) => {
            let action = "auth.second_factor.failure";
            record_failure(ctx, Some(&user), action, &source, &reservation, now).await?;
            return Err(invalid_code(field));
        }
    };
    let (factor_write, next) = next.update_write()?;
    let (token, session_write, session) = sessions::create(ctx, &user, now)?;
    let mut ev = audit::event(now, &user.id, "auth.second_factor.success", Some(&user.id));
    ev.source = Some(source.clone());
    ev.detail = Some(format!("by={how} recovery_left={}", next.recovery.len()));
    let writes = vec![
        sessions::end_pending(&authed.token_hash, &authed.session),
        session_write,
        factor_write,
        audit_write(ctx, audit_org(&user), ev)?,
    ];
    // A lost race (the same code twice at once, the session touched): refused.
    audit::transact(ctx, writes).await.map_err(|e| match e {
        StoreError::TransactionCanceled { .. } | StoreError::ConditionFailed => invalid_code(how),
        other => other.into(),
    })?;
    settle_success(ctx, &user.identifiant, &source, now).await?;
    tracing::info!(user = %user.id, how, "second factor checked");
    let expires = session.seen_expiry(ctx);
    let res = me_response(ctx, &user, expires, &authed.windows).await?;
    Ok(with_cookie(res, &sessions::set_cookie(ctx, &token)))
}
