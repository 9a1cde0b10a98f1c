//! Helpers of the accounts function: access rules, field validation, writes.

use ep_common::Ctx;
use ep_common::http::Problem;
use ep_common::partners::{Convention, Partner, convention_key, partner_key};
use ep_common::sessions::Authed;
use ep_common::table::StoreError;
use ep_common::users::Role;
use ep_domain::FieldError;
use ep_domain::types::ConventionState;

/// Collects field errors into one 422 problem.
pub struct Check(pub Problem);

impl Check {
    pub fn new() -> Self {
        Check(Problem::validation())
    }
    /// Keeps the value, or records the error under `field`.
    pub fn take<T>(&mut self, field: &str, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0 =
                    std::mem::replace(&mut self.0, Problem::validation()).field(field, e.message);
                None
            }
        }
    }
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.0 = std::mem::replace(&mut self.0, Problem::validation()).field(field, message);
    }
    pub fn done(self) -> Result<(), Problem> {
        if self.0.errors.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// Longest one-line text field (names, addresses, contacts; stricter types such as
/// person names check less).
pub const ONE_LINE_MAX: usize = 300;

/// A required one-line text field (no control, bidi or invisible character: SPEC §5),
/// at most `ONE_LINE_MAX` characters.
pub fn required(v: &Option<String>, field: &str, label: &str) -> Result<String, FieldError> {
    if let Some(s) = v {
        ep_domain::text::check_clean(field, s, false)?;
    }
    match v.as_deref().map(str::trim) {
        Some(s) if s.chars().count() > ONE_LINE_MAX => Err(FieldError::new(
            field,
            "too_long",
            format!(
                "{label} ne doit pas dépasser {ONE_LINE_MAX} caractères : raccourcissez ce texte."
            ),
        )),
        Some(s) if !s.is_empty() => Ok(s.to_owned()),
        _ => Err(FieldError::new(
            field,
            "required",
            format!("{label} est obligatoire."),
        )),
    }
}

/// A free-text field: length bound, no NIR, no health data (SPEC §4, §5); control,
/// bidi and invisible characters are refused first (by `check_free_text`).
pub fn free_text(v: &str, field: &str, max: usize) -> Result<String, FieldError> {
    let t = v.trim();
    if t.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("Ce texte dépasse {max} caractères : raccourcissez-le."),
        ));
    }
    ep_domain::freetext::check_free_text(field, t)?;
    Ok(t.to_owned())
}

pub fn forbidden_or_missing() -> Problem {
    Problem::not_found()
}

pub fn agent_caisse(authed: &Authed) -> Option<&str> {
    (authed.user.role == Role::Agent).then_some(authed.user.org_id.as_str())
}

/// The caisse of an agent, or 404 for anyone else.
pub fn require_agent(authed: &Authed) -> Result<&str, Problem> {
    agent_caisse(authed).ok_or_else(forbidden_or_missing)
}

/// What the user may see of a partner: an agent of a caisse conventioned with it
/// (with that convention), or a user of the partner itself. Others: 404.
pub struct PartnerAccess {
    pub partner: Partner,
    /// The agent's caisse convention, if the user is an agent.
    pub convention: Option<Convention>,
}

/// What the user may see of a partner. An agent sees it through its caisse's
/// convention until that convention has ended or been terminated (SPEC §2: a caisse
/// sees only its own conventions); then 404, even when another caisse's is in force.
pub async fn partner_access(
    ctx: &Ctx,
    authed: &Authed,
    partner_id: &str,
) -> Result<PartnerAccess, Problem> {
    let access = partner_access_any(ctx, authed, partner_id).await?;
    match &access.convention {
        Some(c) if c.state != ConventionState::Active => Err(forbidden_or_missing()),
        _ => Ok(access),
    }
}

/// Like [`partner_access`], an ended convention included: its caisse may give it a
/// later end date again (`partners::update_convention`).
pub async fn partner_access_any(
    ctx: &Ctx,
    authed: &Authed,
    partner_id: &str,
) -> Result<PartnerAccess, Problem> {
    let user = &authed.user;
    match user.role {
        Role::Agent => {
            // The caisse's convention and the partner, in one read.
            let keys = [
                convention_key(partner_id, &user.org_id),
                partner_key(partner_id),
            ];
            let mut found = ctx.table.get_many(&keys).await?.into_iter();
            let (Some(Some(conv)), Some(Some(partner))) = (found.next(), found.next()) else {
                return Err(forbidden_or_missing());
            };
            Ok(PartnerAccess {
                partner: partner.parse()?,
                convention: Some(conv.parse()?),
            })
        }
        Role::Gestionnaire | Role::Technicien if user.org_id == partner_id => {
            // Read by the session gate already, unless the route's gate did not.
            let partner = authed
                .own_partner(ctx)
                .await?
                .ok_or_else(forbidden_or_missing)?;
            Ok(PartnerAccess {
                partner,
                convention: None,
            })
        }
        _ => Err(forbidden_or_missing()),
    }
}

/// A gestionnaire of this partner, or 404.
pub fn require_gestionnaire_of(authed: &Authed, partner_id: &str) -> Result<(), Problem> {
    if authed.user.role == Role::Gestionnaire && authed.user.org_id == partner_id {
        Ok(())
    } else {
        Err(forbidden_or_missing())
    }
}

pub fn today(ctx: &Ctx) -> jiff::civil::Date {
    ep_domain::calendar::paris_date(ctx.now())
}

/// A CSV download named `<name>-<today>.csv`.
pub fn csv_download(
    ctx: &Ctx,
    name: &str,
    csv: String,
) -> lambda_http::Response<lambda_http::Body> {
    let mut res =
        ep_common::http::respond(200, "text/csv; charset=utf-8", lambda_http::Body::Text(csv));
    let day = today(ctx);
    if let Ok(v) = lambda_http::http::HeaderValue::from_str(&format!(
        "attachment; filename=\"{name}-{day}.csv\""
    )) {
        res.headers_mut().insert("content-disposition", v);
    }
    res
}

/// One page of `query`, starting from the request's `?cursor=`. A cursor that is not
/// one of ours is the user's mistake (400); anything else is the store's (503).
pub async fn page_from(
    ctx: &Ctx,
    req: &lambda_http::Request,
    query: ep_common::table::Query,
) -> Result<ep_common::table::Page, Problem> {
    let q = query.start(ep_common::http::query_param(req, "cursor"));
    ctx.table.query(&q).await.map_err(|e| match e {
        StoreError::Invalid(_) => Problem::bad_request(
            "cursor.invalid",
            "La page demandée n'existe pas : repartez de la première page.",
        ),
        other => other.into(),
    })
}
