//! The `auth` function: sign-in and sign-out, sessions, account activation, password
//! change and reset, CGU acceptance, the current user (SPEC §1, §3 "Password and
//! first login"; DESIGN "Sessions", "Passwords").

pub mod password;
pub mod throttle;

use ep_common::Ctx;
use ep_common::audit::{self, Event};
use ep_common::bootstrap::{activation_link, reset_link};
use ep_common::cgu::{self, Cgu};
use ep_common::emails;
use ep_common::http::{Problem, json, parse_json, source_ip};
use ep_common::ids::new_id;
use ep_common::mail::compose;
use ep_common::record::Record;
use ep_common::sessions::{self, Authed, Gate};
use ep_common::table::{StoreError, Write};
use ep_common::templates;
use ep_common::tokens::{self, Lookup, Purpose};
use ep_common::users::{OrgKind, PLATFORM_ORG, Role, Status, User, find_by_identifiant, get_user};
use ep_domain::password::{PasswordContext, PasswordRule, check_password};
use jiff::Timestamp;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::throttle::Kind;

// Every route checks its own session needs: sign-in and links are open, the
// current user's routes are reachable while required actions are pending.
ep_common::routes! {
    "GET /api/health" => Public health;
    "POST /api/auth/login" => Public login;
    "POST /api/auth/logout" => Public logout;
    "POST /api/auth/token" => Public token_info;
    "POST /api/auth/activate" => Public activate;
    "POST /api/auth/forgot" => Public forgot;
    "POST /api/auth/reset" => Public reset;
    "GET /api/me" => Public me;
    "POST /api/me/cgu" => Public accept_cgu;
    "POST /api/me/password" => Public change_password;
    "GET /api/cgu" => Public get_cgu;
    "POST /api/cgu" => Public publish_cgu;
}

type Answer = Result<Response<Body>, Problem>;

async fn activate(ctx: &Ctx, req: &Request) -> Answer {
    set_from_link(ctx, req, Purpose::Activation).await
}

async fn reset(ctx: &Ctx, req: &Request) -> Answer {
    set_from_link(ctx, req, Purpose::Reset).await
}

/// Readiness: answers 200 when the store answers, 503 otherwise.
async fn health(ctx: &Ctx, _req: &Request) -> Answer {
    ctx.table.get("HEALTH", "HEALTH").await?;
    Ok(json(200, &serde_json::json!({ "status": "ok" })))
}

fn with_cookie(mut res: Response<Body>, cookie: &str) -> Response<Body> {
    if let Ok(v) = lambda_http::http::HeaderValue::from_str(cookie) {
        res.headers_mut()
            .append(lambda_http::http::header::SET_COOKIE, v);
    }
    res
}

fn no_content() -> Response<Body> {
    let mut res = ep_common::http::respond(204, "application/json", Body::Empty);
    res.headers_mut()
        .remove(lambda_http::http::header::CONTENT_TYPE);
    res
}

fn audit_org(user: &User) -> &str {
    &user.org_id
}

fn audit_write(ctx: &Ctx, org: &str, event: Event) -> Result<Write, StoreError> {
    audit::record(org, event, ctx.config.audit_retention_months)
}

// ---------------------------------------------------------------- current user

#[derive(Serialize)]
struct Organisation<'a> {
    kind: OrgKind,
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct Me<'a> {
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
}

async fn me_response(ctx: &Ctx, user: &User, session_expires_at: Timestamp) -> Answer {
    let current = cgu::current(ctx.table.as_ref()).await?;
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
    };
    Ok(json(200, &me))
}

async fn me(ctx: &Ctx, req: &Request) -> Answer {
    let authed = sessions::require(ctx, req, Gate::RequiredActions).await?;
    me_response(ctx, &authed.user, authed.expires_at(ctx)).await
}

// ---------------------------------------------------------------- sign-in

#[derive(Deserialize)]
struct LoginBody {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    password: String,
}

fn invalid_credentials() -> Problem {
    Problem::new(
        401,
        "auth.invalid_credentials",
        "Connexion impossible",
        "Identifiant ou mot de passe incorrect. Vérifiez votre saisie ; après plusieurs erreurs, la connexion est suspendue quelques minutes.",
    )
}

fn locked(seconds: i64) -> Problem {
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

async fn read_throttle(
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
const RESERVE_TRIES: usize = 64;

/// The counters one sign-in attempt reserved (their values after its reservation).
struct Reservation {
    pair: throttle::Throttle,
    id: throttle::Throttle,
}

fn is_conflict(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::TransactionCanceled { .. } | StoreError::ConditionFailed
    )
}

/// Counts one attempt on the pair, identifiant and source counters in one
/// version-checked transaction, retried on conflict, before the password is checked:
/// N parallel attempts count N (`Err(seconds)`: locked, answer 429). A trusted pair
/// is exempt from the identifiant and source locks (see [`throttle`]).
async fn reserve_attempt(
    ctx: &Ctx,
    ident: &str,
    source: &str,
) -> Result<Result<Reservation, i64>, Problem> {
    let pair_value = throttle::pair_value(ident, source);
    for _ in 0..RESERVE_TRIES {
        let now = ctx.now();
        let pair = read_throttle(ctx, Kind::Pair, &pair_value).await?;
        let id = read_throttle(ctx, Kind::Identifiant, ident).await?;
        let src = read_throttle(ctx, Kind::Source, source).await?;
        let trusted = pair.as_ref().is_some_and(|p| throttle::trusted(p, now));
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
        match ctx.table.transact(writes).await {
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
async fn settle_counter(
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
        match ctx
            .table
            .transact(vec![throttle::write(kind, value, current.as_ref(), &next)?])
            .await
        {
            Ok(()) => return Ok(()),
            Err(e) if is_conflict(&e) => tokio::task::yield_now().await,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn login(ctx: &Ctx, req: &Request) -> Answer {
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
    let source = source_ip(req).unwrap_or_else(|| "inconnue".into());

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
        // The failure was counted by the reservation; record it in the trail.
        let org = user
            .as_ref()
            .map_or(PLATFORM_ORG, |u| audit_org(u))
            .to_owned();
        let mut ev = audit::event(
            now,
            "anonymous",
            "auth.login.failure",
            user.as_ref().map(|u| u.id.as_str()),
        );
        ev.source = Some(source.clone());
        let mut writes = vec![audit_write(ctx, &org, ev)?];
        for (scope, t) in [
            ("pair", &reservation.pair),
            ("identifiant", &reservation.id),
        ] {
            if throttle::locked_for(t, now).is_some() {
                let mut lock_ev = audit::event(
                    now,
                    "system",
                    "auth.lock",
                    user.as_ref().map(|u| u.id.as_str()),
                );
                lock_ev.source = Some(source.clone());
                lock_ev.detail = Some(format!("scope={scope} failures={}", t.failures));
                writes.push(audit_write(ctx, &org, lock_ev)?);
            }
        }
        ctx.table.transact(writes).await?;
        tracing::info!("sign-in refused");
        return Err(invalid_credentials());
    }
    let Some(user) = user else {
        return Err(invalid_credentials());
    };

    let (token, session_write, session) = sessions::create(ctx, &user, now)?;
    let mut updated = user.clone();
    updated.last_login_at = Some(now);
    let (user_write, updated) = updated.update_write()?;
    let mut ev = audit::event(now, &user.id, "auth.login.success", Some(&user.id));
    ev.source = Some(source.clone());
    let mut writes = vec![
        session_write,
        user_write,
        audit_write(ctx, audit_org(&user), ev)?,
    ];
    // This browser's older session, if it sent one, ends with this sign-in.
    writes.extend(sessions::end_previous(ctx, req));
    ctx.table.transact(writes).await.map_err(|e| match e {
        StoreError::TransactionCanceled { .. } => Problem::new(
            409,
            "conflict",
            "Connexion à recommencer",
            "Votre compte a été modifié pendant la connexion : connectez-vous de nouveau.",
        ),
        other => other.into(),
    })?;
    // The success gives its reservation back: the pair is reset and trusted, the
    // identifiant and source counters lose the failure it had counted.
    let pair_value = throttle::pair_value(&ident, &source);
    settle_counter(ctx, Kind::Pair, &pair_value, |t| {
        throttle::after_success(Kind::Pair, t, now)
    })
    .await?;
    settle_counter(ctx, Kind::Identifiant, &ident, |t| {
        throttle::after_success(Kind::Identifiant, t, now)
    })
    .await?;
    settle_counter(ctx, Kind::Source, &source, |t| {
        throttle::after_success(Kind::Source, t, now)
    })
    .await?;
    tracing::info!(user = %user.id, "signed in");
    let expires = session
        .expires_at
        .min(now + jiff::SignedDuration::from_mins(ctx.config.session_idle_minutes));
    let res = me_response(ctx, &updated, expires).await?;
    Ok(with_cookie(res, &sessions::set_cookie(ctx, &token)))
}

async fn logout(ctx: &Ctx, req: &Request) -> Answer {
    if let Some(authed) = sessions::current(ctx, req).await? {
        sessions::destroy(ctx, &authed.token_hash).await?;
        let ev = audit::event(
            ctx.now(),
            &authed.user.id,
            "auth.logout",
            Some(&authed.user.id),
        );
        ctx.table
            .transact(vec![audit_write(ctx, audit_org(&authed.user), ev)?])
            .await?;
    }
    Ok(with_cookie(no_content(), &sessions::clear_cookie(ctx)))
}

// ---------------------------------------------------------------- emailed links

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    token: String,
}

fn token_problem(lookup: &Lookup) -> Problem {
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

async fn token_info(ctx: &Ctx, req: &Request) -> Answer {
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
struct TokenPasswordBody {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

fn weak_password(field: &str, rules: &[PasswordRule]) -> Problem {
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

fn reused_password(field: &str, history: u32) -> Problem {
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
async fn new_password_hash(
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

fn with_new_password(ctx: &Ctx, user: &User, hash: String, now: Timestamp) -> User {
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

async fn set_from_link(ctx: &Ctx, req: &Request, purpose: Purpose) -> Answer {
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
    match ctx.table.transact(writes).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { .. }) => return Err(token_problem(&Lookup::Used)),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user = %user.id, action, "password set from link");
    Ok(no_content())
}

#[derive(Deserialize)]
struct ForgotBody {
    #[serde(default)]
    identifiant: String,
}

/// Every answer of « mot de passe oublié » takes at least this long, whether or not
/// the identifiant has an account (the work differs by about a millisecond locally,
/// more on DynamoDB; sending the email, the big difference, happens after the answer).
pub const FORGOT_ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(100);

async fn forgot(ctx: &Ctx, req: &Request) -> Answer {
    let started = tokio::time::Instant::now();
    let answer = forgot_work(ctx, req).await;
    tokio::time::sleep_until(started + FORGOT_ANSWER_FLOOR).await;
    answer
}

async fn forgot_work(ctx: &Ctx, req: &Request) -> Answer {
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
        // A pending account gets a new account-creation link (its first one may have
        // expired); an active one a reset link.
        let purpose = if user.status == Status::Pending {
            Purpose::Activation
        } else {
            Purpose::Reset
        };
        let (token, token_write) =
            tokens::issue(&user.id, purpose, now, ctx.config.link_ttl_hours)?;
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
        email_id = Some(email.id);
    }
    match ctx.table.transact(writes).await {
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

// ---------------------------------------------------------------- signed-in actions

#[derive(Deserialize)]
struct CguBody {
    #[serde(default)]
    version: String,
}

async fn accept_cgu(ctx: &Ctx, req: &Request) -> Answer {
    let authed: Authed = sessions::require(ctx, req, Gate::RequiredActions).await?;
    let body: CguBody = parse_json(req)?;
    let current = cgu::current(ctx.table.as_ref()).await?;
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
    ev.detail = Some(format!("version={}", current.version));
    ctx.table
        .transact(vec![w, audit_write(ctx, audit_org(&next), ev)?])
        .await
        .map_err(conflict)?;
    me_response(ctx, &next, authed.expires_at(ctx)).await
}

fn conflict(e: StoreError) -> Problem {
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
struct ChangePasswordBody {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(ctx: &Ctx, req: &Request) -> Answer {
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
    ctx.table
        .transact(vec![
            w,
            session_write,
            audit_write(ctx, audit_org(user), ev)?,
        ])
        .await
        .map_err(conflict)?;
    sessions::destroy(ctx, &authed.token_hash).await?;
    let expires = session
        .expires_at
        .min(now + jiff::SignedDuration::from_mins(ctx.config.session_idle_minutes));
    let res = me_response(ctx, &next, expires).await?;
    Ok(with_cookie(res, &sessions::set_cookie(ctx, &token)))
}

async fn get_cgu(ctx: &Ctx, _req: &Request) -> Answer {
    match cgu::current(ctx.table.as_ref()).await? {
        Some(c) => Ok(json(200, &c)),
        None => Err(Problem::not_found()),
    }
}

#[derive(Deserialize)]
struct PublishBody {
    #[serde(default)]
    version: String,
    #[serde(default)]
    text: String,
}

async fn publish_cgu(ctx: &Ctx, req: &Request) -> Answer {
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
    if !p.errors.is_empty() {
        return Err(p);
    }
    let now = ctx.now();
    let c = Cgu {
        version: version.to_owned(),
        text: text.to_owned(),
        published_at: now,
        published_by: Some(authed.user.id.clone()),
    };
    let mut writes = cgu::publish_writes(&c)?;
    let mut ev = audit::event(now, &authed.user.id, "cgu.published", None);
    ev.detail = Some(format!("version={version}"));
    writes.push(audit_write(ctx, PLATFORM_ORG, ev)?);
    match ctx.table.transact(writes).await {
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
