//! Sign-in and sign-out, with the brute-force reservations (README « Brute force »).

use ep_common::Ctx;
use ep_common::audit::{self};
use ep_common::http::{Problem, client_ip, parse_json};
use ep_common::record::Record;
use ep_common::sessions::{self};
use ep_common::table::StoreError;
use ep_common::users::{PLATFORM_ORG, Status, User, find_by_identifiant};
use jiff::Timestamp;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::*;
use crate::throttle::Kind;

// ---------------------------------------------------------------- sign-in

#[derive(Deserialize)]
pub(crate) struct LoginBody {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    password: String,
}

pub(crate) fn invalid_credentials() -> Problem {
    Problem::new(
        401,
        "auth.invalid_credentials",
        "Connexion impossible",
        "Identifiant ou mot de passe incorrect. Vérifiez votre saisie ; après plusieurs erreurs, la connexion est suspendue quelques minutes.",
    )
}

pub(crate) fn locked(seconds: i64) -> Problem {
    let minutes = (seconds + 59) / 60;
    let mut p = Problem::new(
        429,
        "auth.locked",
        "Connexion suspendue",
        format!(
            "Trop de tentatives de connexion infructueuses. Pour protéger les comptes, la connexion est suspendue : réessayez dans {minutes} minute{}.",
            if minutes > 1 { "s" } else { "" }
        ),
    );
    p.retry_after = Some(seconds);
    p
}

pub(crate) async fn read_throttle(
    ctx: &Ctx,
    kind: Kind,
    value: &str,
) -> Result<Option<throttle::Throttle>, StoreError> {
    let (pk, sk) = throttle::key(kind, value);
    match ctx.table.get(&pk, &sk).await? {
        Some(item) => Ok(Some(item.parse()?)),
        None => Ok(None),
    }
}

/// Most tries to reserve an attempt against concurrent ones before answering 429.
pub(crate) const RESERVE_TRIES: usize = 64;

/// The counters one sign-in attempt reserved (their values after its reservation).
pub(crate) struct Reservation {
    pair: throttle::Throttle,
    id: throttle::Throttle,
}

pub(crate) fn is_conflict(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::TransactionCanceled { .. } | StoreError::ConditionFailed
    )
}

/// Counts one attempt on the pair, identifiant and source counters in one
/// version-checked transaction, retried on conflict, before the password is checked:
/// N parallel attempts count N (`Err(seconds)`: locked, answer 429). A trusted pair
/// is exempt from the identifiant and source locks (see [`throttle`]).
pub(crate) async fn reserve_attempt(
    ctx: &Ctx,
    ident: &str,
    source: &str,
) -> Result<Result<Reservation, i64>, Problem> {
    reserve(ctx, ident, source, true).await
}

/// [`reserve_attempt`]; `honour_trust = false` (second-factor codes): a trusted pair
/// is not exempt, every counter counts (the password was right, so the pair is
/// trusted; the code must still be guessed within the identifiant's limits).
pub(crate) async fn reserve(
    ctx: &Ctx,
    ident: &str,
    source: &str,
    honour_trust: bool,
) -> Result<Result<Reservation, i64>, Problem> {
    let pair_value = throttle::pair_value(ident, source);
    for _ in 0..RESERVE_TRIES {
        let now = ctx.now();
        let pair = read_throttle(ctx, Kind::Pair, &pair_value).await?;
        let id = read_throttle(ctx, Kind::Identifiant, ident).await?;
        let src = read_throttle(ctx, Kind::Source, source).await?;
        let trusted = honour_trust && pair.as_ref().is_some_and(|p| throttle::trusted(p, now));
        let mut counted = vec![pair.as_ref()];
        if !trusted {
            counted.extend([id.as_ref(), src.as_ref()]);
        }
        if let Some(seconds) = counted
            .into_iter()
            .flatten()
            .filter_map(|t| throttle::locked_for(t, now))
            .max()
        {
            return Ok(Err(seconds));
        }
        let next_pair = throttle::after_failure(Kind::Pair, pair.as_ref(), now);
        let next_id = throttle::after_failure(Kind::Identifiant, id.as_ref(), now);
        let next_src = throttle::after_failure(Kind::Source, src.as_ref(), now);
        let writes = vec![
            throttle::write(Kind::Pair, &pair_value, pair.as_ref(), &next_pair)?,
            throttle::write(Kind::Identifiant, ident, id.as_ref(), &next_id)?,
            throttle::write(Kind::Source, source, src.as_ref(), &next_src)?,
        ];
        match ep_common::audit::transact(ctx, writes).await {
            Ok(()) => {
                return Ok(Ok(Reservation {
                    pair: next_pair,
                    id: next_id,
                }));
            }
            Err(e) if is_conflict(&e) => tokio::task::yield_now().await,
            Err(e) => return Err(e.into()),
        }
    }
    // Too much contention on these counters: fail closed.
    tracing::warn!("sign-in attempt not reserved: contention");
    Ok(Err(1))
}

/// Applies `f` to one counter (read, write version-checked, retried on conflict).
pub(crate) async fn settle_counter(
    ctx: &Ctx,
    kind: Kind,
    value: &str,
    f: impl Fn(Option<&throttle::Throttle>) -> Option<throttle::Throttle>,
) -> Result<(), Problem> {
    for _ in 0..RESERVE_TRIES {
        let current = read_throttle(ctx, kind, value).await?;
        let Some(next) = f(current.as_ref()) else {
            return Ok(());
        };
        match ep_common::audit::transact(
            ctx,
            vec![throttle::write(kind, value, current.as_ref(), &next)?],
        )
        .await
        {
            Ok(()) => return Ok(()),
            Err(e) if is_conflict(&e) => tokio::task::yield_now().await,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

pub(crate) async fn login(ctx: &Ctx, req: &Request) -> Answer {
    let body: LoginBody = parse_json(req)?;
    let ident = body.identifiant.trim().to_ascii_lowercase();
    let mut missing = Problem::validation();
    if ident.is_empty() {
        missing = missing.field(
            "identifiant",
            "Saisissez votre identifiant (2 lettres et 6 chiffres, reçu par courriel).",
        );
    }
    if body.password.is_empty() {
        missing = missing.field("password", "Saisissez votre mot de passe.");
    }
    if !missing.errors.is_empty() {
        return Err(missing);
    }
    let source = client_ip(req, &ctx.config).unwrap_or_else(|| "inconnue".into());

    let reservation = match reserve_attempt(ctx, &ident, &source).await? {
        Ok(r) => r,
        Err(seconds) => return Err(locked(seconds)),
    };
    let now = ctx.now();

    let user = match ep_domain::types::Identifiant::parse(&ident) {
        Ok(_) => find_by_identifiant(ctx.table.as_ref(), &ident).await?,
        Err(_) => None,
    };
    // Always one Argon2id verification: the same work whether the account exists.
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::DUMMY_HASH.to_owned());
    let verified = password::verify(body.password.clone(), hash).await;
    let ok = verified
        && user
            .as_ref()
            .is_some_and(|u| u.status == Status::Active && u.password_hash.is_some());

    if !ok {
        let failure = "auth.login.failure";
        record_failure(ctx, user.as_ref(), failure, &source, &reservation, now).await?;
        return Err(invalid_credentials());
    }
    let Some(user) = user else {
        return Err(invalid_credentials());
    };

    let (res, token) = open_session(ctx, req, user, &ident, &source, now).await?;
    Ok(with_cookie(res, &sessions::set_cookie(ctx, &token)))
}

/// A refused sign-in: the failure (counted by its reservation) and any lock it
/// caused, in the trail.
pub(crate) async fn record_failure(
    ctx: &Ctx,
    user: Option<&User>,
    action: &str,
    source: &str,
    reservation: &Reservation,
    now: Timestamp,
) -> Result<(), Problem> {
    let org = user.map_or(PLATFORM_ORG, audit_org).to_owned();
    let mut ev = audit::event(now, "anonymous", action, user.map(|u| u.id.as_str()));
    ev.source = Some(source.to_owned());
    let mut writes = vec![audit_write(ctx, &org, ev)?];
    for (scope, t) in [
        ("pair", &reservation.pair),
        ("identifiant", &reservation.id),
    ] {
        if throttle::locked_for(t, now).is_some() {
            let mut lock_ev = audit::event(now, "system", "auth.lock", user.map(|u| u.id.as_str()));
            lock_ev.source = Some(source.to_owned());
            lock_ev.detail = Some(format!("scope={scope} failures={}", t.failures));
            writes.push(audit_write(ctx, &org, lock_ev)?);
        }
    }
    ep_common::audit::transact(ctx, writes).await?;
    tracing::info!("sign-in refused");
    Ok(())
}

/// A successful sign-in: the new session (this browser's older one ended), the last
/// login, the event — one transaction; then the reservation given back. Answers the
/// current user and the session token.
pub(crate) async fn open_session(
    ctx: &Ctx,
    req: &Request,
    user: User,
    ident: &str,
    source: &str,
    now: Timestamp,
) -> Result<(Response<Body>, String), Problem> {
    // An enrolled user's session waits for the code (README « Second factor »).
    let pending = user.second_factor_at.is_some();
    let (token, session_write, session) = sessions::create_with(ctx, &user, now, pending)?;
    let mut updated = user.clone();
    updated.last_login_at = Some(now);
    let (user_write, updated) = updated.update_write()?;
    let mut ev = audit::event(now, &user.id, "auth.login.success", Some(&user.id));
    ev.source = Some(source.to_owned());
    ev.detail = pending.then(|| "second_factor=pending".to_owned());
    let mut writes = vec![
        session_write,
        user_write,
        audit_write(ctx, audit_org(&user), ev)?,
    ];
    // This browser's older session, if it sent one, ends with this sign-in.
    writes.extend(sessions::end_previous(ctx, req));
    ep_common::audit::transact(ctx, writes)
        .await
        .map_err(|e| match e {
            StoreError::TransactionCanceled { .. } => Problem::new(
                409,
                "conflict",
                "Connexion à recommencer",
                "Votre compte a été modifié pendant la connexion : connectez-vous de nouveau.",
            ),
            other => other.into(),
        })?;
    settle_success(ctx, ident, source, now).await?;
    tracing::info!(user = %user.id, pending, "signed in");
    if pending {
        let body = serde_json::json!({ "second_factor": "pending" });
        return Ok((ep_common::http::json(200, &body), token));
    }
    let expires = session.seen_expiry(ctx);
    let res = me_response(ctx, &updated, expires, &[]).await?;
    Ok((res, token))
}

/// A success gives its reservation back: the pair is reset and trusted, the
/// identifiant and source counters lose the failure it had counted.
pub(crate) async fn settle_success(
    ctx: &Ctx,
    ident: &str,
    source: &str,
    now: Timestamp,
) -> Result<(), Problem> {
    let pair_value = throttle::pair_value(ident, source);
    settle_counter(ctx, Kind::Pair, &pair_value, |t| {
        throttle::after_success(Kind::Pair, t, now)
    })
    .await?;
    settle_counter(ctx, Kind::Identifiant, ident, |t| {
        throttle::after_success(Kind::Identifiant, t, now)
    })
    .await?;
    settle_counter(ctx, Kind::Source, source, |t| {
        throttle::after_success(Kind::Source, t, now)
    })
    .await
}

pub(crate) async fn logout(ctx: &Ctx, req: &Request) -> Answer {
    if let Some(authed) = sessions::current(ctx, req).await? {
        sessions::destroy(ctx, &authed.token_hash).await?;
        let ev = audit::event(
            ctx.now(),
            &authed.user.id,
            "auth.logout",
            Some(&authed.user.id),
        );
        ep_common::audit::transact(ctx, vec![audit_write(ctx, audit_org(&authed.user), ev)?])
            .await?;
    }
    Ok(with_cookie(no_content(), &sessions::clear_cookie(ctx)))
}
