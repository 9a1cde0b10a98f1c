//! Server-side sessions: opaque 256-bit tokens in a cookie, stored hashed. Idle
//! timeout and absolute lifetime from the configuration; a session is void as soon
//! as its user's `session_epoch` moves (password change, inactivation, exclusion).

use jiff::{SignedDuration, Timestamp};
use lambda_http::Request;
use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::emails::ts_key;
use crate::http::{Problem, cookie};
use crate::ids::{new_token, token_hash};
use crate::table::{Cond, Item, StoreError, Write};
use crate::users::{Status, User};

/// Cookie name over HTTPS (the `__Host-` prefix pins it to this host, path `/`,
/// Secure).
pub const COOKIE_HTTPS: &str = "__Host-ep_session";
/// Development fallback on plain-HTTP localhost (browsers drop Secure cookies there).
pub const COOKIE_DEV: &str = "ep_session";
/// Due-index partition of sessions to clean up.
pub const DUE_SESSION: &str = "DUE#session";
/// `last_seen_at` is refreshed at most this often (one write per minute of activity).
const TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: String,
    pub epoch: u64,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub v: u64,
    /// A partner user's partner (users never change structure), so that the gate
    /// reads the partner in the same round trip as the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// Signed in with the password only, the second factor still to check: no gate
    /// but [`Gate::SecondFactor`] lets it through (README « Second factor »).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub second_factor_pending: bool,
}

impl Session {
    /// Its expiry as the user sees it: the earlier of idle (from the last activity)
    /// and absolute.
    pub fn seen_expiry(&self, ctx: &Ctx) -> Timestamp {
        let idle = self.last_seen_at + SignedDuration::from_mins(ctx.config.session_idle_minutes);
        idle.min(self.expires_at)
    }
}

fn key(hash: &str) -> (String, String) {
    (format!("SESSION#{hash}"), "SESSION".to_owned())
}

pub fn cookie_name(ctx: &Ctx) -> &'static str {
    if ctx.config.https() {
        COOKIE_HTTPS
    } else {
        COOKIE_DEV
    }
}

/// `Set-Cookie` value carrying a new session token.
pub fn set_cookie(ctx: &Ctx, token: &str) -> String {
    let secure = if ctx.config.https() { "; Secure" } else { "" };
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}",
        cookie_name(ctx)
    )
}

/// `Set-Cookie` value removing the session cookie.
pub fn clear_cookie(ctx: &Ctx) -> String {
    let secure = if ctx.config.https() { "; Secure" } else { "" };
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
        cookie_name(ctx)
    )
}

/// A new session for `user` (a new token at every login): the token and the write.
pub fn create(
    ctx: &Ctx,
    user: &User,
    now: Timestamp,
) -> Result<(String, Write, Session), StoreError> {
    create_with(ctx, user, now, false)
}

/// Like [`create`]; `second_factor_pending`: a password-only session of an
/// enrolled user, which only the code check can complete.
pub fn create_with(
    ctx: &Ctx,
    user: &User,
    now: Timestamp,
    second_factor_pending: bool,
) -> Result<(String, Write, Session), StoreError> {
    let token = new_token();
    let expires_at = now + SignedDuration::from_hours(ctx.config.session_absolute_hours);
    let s = Session {
        user_id: user.id.clone(),
        epoch: user.session_epoch,
        created_at: now,
        last_seen_at: now,
        expires_at,
        v: 1,
        partner_id: (user.org_kind == crate::users::OrgKind::Partner).then(|| user.org_id.clone()),
        second_factor_pending,
    };
    let (pk, sk) = key(&token_hash(&token));
    let item = Item::from_record(pk, sk, &s)?
        .with("due_pk", DUE_SESSION)
        .with("due_at", ts_key(expires_at));
    Ok((token, Write::put(item, Cond::NotExists), s))
}

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct Authed {
    pub user: User,
    pub session: Session,
    pub token_hash: String,
    /// A partner user's partner, as the `Full` gate read it (so handlers do not read
    /// it again).
    pub partner: Option<crate::partners::Partner>,
    /// The maintenance windows not yet ended (every scope), read with the session.
    pub windows: Vec<crate::windows::Window>,
}

impl Authed {
    /// A partner user's partner: the one the session gate read, else read now.
    pub async fn own_partner(
        &self,
        ctx: &Ctx,
    ) -> Result<Option<crate::partners::Partner>, StoreError> {
        match &self.partner {
            Some(p) if p.id == self.user.org_id => Ok(Some(p.clone())),
            _ => crate::partners::get_partner(ctx.table.as_ref(), &self.user.org_id).await,
        }
    }

    /// The session's expiry as the user sees it: the earlier of idle and absolute.
    pub fn expires_at(&self, ctx: &Ctx) -> Timestamp {
        self.session.seen_expiry(ctx)
    }
}

/// Actions the user must complete before anything else (SPEC §2.1, §3), in order.
pub fn required_actions(
    ctx: &Ctx,
    user: &User,
    current_cgu: Option<&str>,
    now: Timestamp,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    // First: the second factor protects what the other actions do.
    if user.second_factor_at.is_none() && user.second_factor_required(&ctx.config) {
        out.push("enrol_second_factor");
    }
    if let Some(v) = current_cgu
        && user.cgu_version.as_deref() != Some(v)
    {
        out.push("accept_cgu");
    }
    if password_expired(ctx, user, now) {
        out.push("change_password");
    }
    out
}

pub fn password_expires_at(ctx: &Ctx, user: &User) -> Option<Timestamp> {
    user.password_changed_at
        .map(|t| t + SignedDuration::from_hours(24 * ctx.config.password_max_age_days))
}

pub fn password_expired(ctx: &Ctx, user: &User, now: Timestamp) -> bool {
    password_expires_at(ctx, user).is_some_and(|e| now >= e)
}

fn unauthenticated() -> Problem {
    Problem::new(
        401,
        "auth.required",
        "Connexion nécessaire",
        "Votre session a expiré ou vous n'êtes pas connecté : connectez-vous pour continuer.",
    )
}

fn second_factor_required() -> Problem {
    Problem::new(
        401,
        "auth.second_factor_required",
        "Code de vérification attendu",
        "Saisissez le code à 6 chiffres de votre application d'authentification (ou un code de secours) pour terminer la connexion.",
    )
}

/// Reads and checks the session of a request. `Ok(None)`: no valid session.
pub async fn current(ctx: &Ctx, req: &Request) -> Result<Option<Authed>, StoreError> {
    Ok(read(ctx, req, false).await?.map(|(authed, _)| authed))
}

/// The session, its user and, when `gated`, what the gate needs: the CGU version in
/// force (read with the session) and a partner user's partner (read with the user,
/// into `Authed::partner`). Two store round trips.
async fn read(
    ctx: &Ctx,
    req: &Request,
    gated: bool,
) -> Result<Option<(Authed, Option<String>)>, StoreError> {
    let Some(token) = cookie(req, cookie_name(ctx)).filter(|t| !t.is_empty() && t.len() <= 100)
    else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let (pk, sk) = key(&hash);
    // With the session, the CGU in force for each audience (the user's is not known
    // yet; only the one needed is decoded).
    let mut keys = vec![(pk.clone(), sk.clone())];
    if gated {
        keys.extend(crate::cgu::Audience::ALL.map(crate::cgu::current_key));
    }
    // And the maintenance windows, last (banner and 503 at no extra round trip).
    keys.push(crate::windows::windows_key());
    let mut first = ctx.table.get_many(&keys).await?;
    let windows_item = first.pop().flatten();
    let mut first = first.into_iter();
    let Some(item) = first.next().flatten() else {
        return Ok(None);
    };
    let cgu_items: Vec<Option<Item>> = first.collect();
    let session: Session = item.parse()?;
    let now = ctx.now();
    let idle_limit =
        session.last_seen_at + SignedDuration::from_mins(ctx.config.session_idle_minutes);
    if now >= session.expires_at || now >= idle_limit {
        ctx.table.delete(&pk, &sk, Cond::None).await?;
        return Ok(None);
    }
    let mut keys = vec![crate::users::user_key(&session.user_id)];
    if let Some(partner_id) = session.partner_id.as_deref().filter(|_| gated) {
        keys.push(crate::partners::partner_key(partner_id));
    }
    let mut second = ctx.table.get_many(&keys).await?.into_iter();
    let Some(user) = second
        .next()
        .flatten()
        .map(|i| i.parse::<User>())
        .transpose()?
    else {
        return Ok(None);
    };
    let partner = match second.next().flatten() {
        Some(i) => Some(i.parse::<crate::partners::Partner>()?).filter(|p| p.id == user.org_id),
        None => None,
    };
    if user.status != Status::Active || user.session_epoch != session.epoch {
        ctx.table.delete(&pk, &sk, Cond::None).await?;
        return Ok(None);
    }
    // The version of the user's audience, among those read with the session.
    let audience = crate::cgu::Audience::of(user.org_kind);
    let cgu = crate::cgu::Audience::ALL
        .into_iter()
        .zip(cgu_items)
        .find_map(|(a, item)| (a == audience).then_some(item).flatten())
        .map(|i| crate::cgu::version_of(&i))
        .transpose()?;
    let windows = crate::windows::Windows::from_item(windows_item.as_ref(), now)?.windows;
    let session = touch(ctx, (&pk, &sk), session, now).await?;
    let authed = Authed {
        user,
        session,
        token_hash: hash,
        partner,
        windows,
    };
    Ok(Some((authed, cgu)))
}

/// Refreshes `last_seen_at`, at most once per `TOUCH_EVERY`.
async fn touch(
    ctx: &Ctx,
    (pk, sk): (&str, &str),
    mut session: Session,
    now: Timestamp,
) -> Result<Session, StoreError> {
    if now.duration_since(session.last_seen_at) < TOUCH_EVERY {
        return Ok(session);
    }
    let set = serde_json::Map::from_iter([
        ("last_seen_at".to_owned(), serde_json::json!(now)),
        ("v".to_owned(), serde_json::json!(session.v + 1)),
    ]);
    match ctx
        .table
        .update(pk, sk, set, vec![], Cond::VersionEquals(session.v))
        .await
    {
        Ok(()) => {
            session.last_seen_at = now;
            session.v += 1;
        }
        Err(StoreError::ConditionFailed) => {}
        Err(e) => return Err(e),
    }
    Ok(session)
}

/// The write deleting the session whose cookie `req` carries, valid or not — for a
/// new sign-in in a browser that still holds an older session, which then ends.
pub fn end_previous(ctx: &Ctx, req: &Request) -> Option<Write> {
    let token = cookie(req, cookie_name(ctx)).filter(|t| !t.is_empty() && t.len() <= 100)?;
    let (pk, sk) = key(&token_hash(&token));
    Some(Write::delete(pk, sk, Cond::None))
}

/// The write deleting the session of `token_hash` if it still waits for its second
/// factor (the code check replaces it by a full one in the same transaction).
pub fn end_pending(token_hash: &str, session: &Session) -> Write {
    let (pk, sk) = key(token_hash);
    Write::delete(pk, sk, Cond::VersionEquals(session.v))
}

/// Ends one session (logout).
pub async fn destroy(ctx: &Ctx, token_hash: &str) -> Result<(), StoreError> {
    let (pk, sk) = key(token_hash);
    ctx.table.delete(&pk, &sk, Cond::None).await
}

/// Which checks a route needs beyond a valid session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Everything: required actions must be done (every ordinary endpoint).
    Full,
    /// Reachable while required actions are pending (me, CGU, password, logout).
    RequiredActions,
    /// Like `Full`, but open to users of a suspended partner (the help page: they
    /// need the caisse's contacts most then).
    FullEvenIfSuspended,
    /// Like `Full`, but open during a maintenance window (the windows' own
    /// management: a caisse may end or move its window while it is in force).
    FullDuringMaintenance,
    /// Only the second-factor check: the one route a password-only session reaches
    /// (with logout).
    SecondFactor,
}

/// The signed-in user, or the problem to answer (401, or 403 while a required
/// action is pending).
pub async fn require(ctx: &Ctx, req: &Request, gate: Gate) -> Result<Authed, Problem> {
    let gated = !matches!(gate, Gate::RequiredActions | Gate::SecondFactor);
    let (mut authed, cgu) = read(ctx, req, gated).await?.ok_or_else(unauthenticated)?;
    if authed.session.second_factor_pending != (gate == Gate::SecondFactor) {
        return Err(if gate == Gate::SecondFactor {
            Problem::new(
                409,
                "auth.second_factor_done",
                "Code déjà vérifié",
                "Cette session n'attend pas de code de vérification.",
            )
        } else {
            second_factor_required()
        });
    }
    if gated {
        if gate == Gate::Full && authed.user.org_kind == crate::users::OrgKind::Partner {
            if authed.partner.is_none() {
                // A session opened before sessions carried the partner's id.
                authed.partner =
                    crate::partners::get_partner(ctx.table.as_ref(), &authed.user.org_id).await?;
            }
            if authed.partner.as_ref().is_none_or(|p| p.is_suspended()) {
                return Err(Problem::new(
                    403,
                    "partner.suspended",
                    "Accès suspendu",
                    "L'accès de votre structure à l'Espace Partenaires est suspendu par la caisse. Contactez votre caisse par ses moyens habituels.",
                ));
            }
        }
        if gate != Gate::FullDuringMaintenance
            && let Some(w) = crate::windows::blocking(&authed.user, &authed.windows, ctx.now())
        {
            return Err(crate::windows::unavailable(ctx, &authed.user, w).await);
        }
        let actions = required_actions(ctx, &authed.user, cgu.as_deref(), ctx.now());
        if let Some(first) = actions.first() {
            return Err(match *first {
                "accept_cgu" => Problem::new(
                    403,
                    "auth.cgu_required",
                    "Conditions générales à accepter",
                    "Une nouvelle version des conditions générales d'utilisation doit être acceptée avant de continuer.",
                ),
                "enrol_second_factor" => Problem::new(
                    403,
                    "auth.second_factor_enrolment",
                    "Double authentification à activer",
                    "Votre profil demande une double authentification : activez-la avec une application d'authentification avant de continuer.",
                ),
                _ => Problem::new(
                    403,
                    "auth.password_expired",
                    "Mot de passe expiré",
                    "Votre mot de passe a expiré : choisissez-en un nouveau avant de continuer.",
                ),
            });
        }
    }
    Ok(authed)
}
