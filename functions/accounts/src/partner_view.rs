//! A partner and its conventions as the pages show them; the caisses' names read at
//! once for a whole list.
use std::collections::HashMap;

use ep_common::Ctx;
use ep_common::http::Problem;
use ep_common::partners::{Convention, Partner, Suspension, caisse_names, conventions_of};
use ep_domain::quota::quota_for;
use ep_domain::types::{ConventionState, Functionality, PartnerCategory, PartnerStatus};
use jiff::civil::Date;
use serde::Serialize;

use crate::util::{PartnerAccess, today};

/// Quota use of a partner, as shown to its managers.
#[derive(Serialize)]
pub struct QuotaView {
    pub used: u32,
    pub max: u32,
}

#[derive(Serialize)]
pub struct PartnerView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// Absent for partners recorded before the SIRET was asked.
    pub siret: Option<&'a str>,
    pub address: &'a str,
    pub category: &'a str,
    pub category_label: &'static str,
    pub habilitated: bool,
    pub members: u32,
    pub allowed_domains: &'a [String],
    pub status: PartnerStatus,
    pub suspension: Option<&'a Suspension>,
    pub gestionnaires: QuotaView,
    pub techniciens: QuotaView,
    pub review_requested_at: Option<jiff::Timestamp>,
    pub review_confirmed_at: Option<jiff::Timestamp>,
    pub conventions: Vec<ConventionView>,
}

#[derive(Serialize)]
pub struct ConventionView {
    pub caisse_id: String,
    pub caisse_name: String,
    pub start: Date,
    pub end: Option<Date>,
    pub state: ConventionState,
    pub active: bool,
    pub functionalities: Vec<FunctionalityView>,
}

#[derive(Serialize)]
pub struct FunctionalityView {
    pub code: &'static str,
    pub label: &'static str,
}

pub fn convention_view(
    c: &Convention,
    names: &HashMap<String, String>,
    day: Date,
) -> ConventionView {
    ConventionView {
        caisse_id: c.caisse_id.clone(),
        caisse_name: names.get(&c.caisse_id).cloned().unwrap_or_default(),
        start: c.start,
        end: c.end,
        state: c.state,
        active: c.is_active_on(day),
        functionalities: c
            .functionalities
            .iter()
            .filter_map(|f| Functionality::parse(f).ok())
            .map(|f| FunctionalityView {
                code: f.code(),
                label: f.label(),
            })
            .collect(),
    }
}

/// The partner as its pages show it, with the conventions given (their caisses'
/// names read at once).
pub async fn partner_view<'a>(
    ctx: &Ctx,
    p: &'a Partner,
    conventions: &[Convention],
) -> Result<PartnerView<'a>, Problem> {
    let names = caisse_names(
        ctx.table.as_ref(),
        conventions.iter().map(|c| c.caisse_id.as_str()),
    )
    .await?;
    Ok(partner_view_with(p, conventions, &names, today(ctx)))
}

pub fn partner_view_with<'a>(
    p: &'a Partner,
    conventions: &[Convention],
    names: &HashMap<String, String>,
    day: Date,
) -> PartnerView<'a> {
    let category = PartnerCategory::parse(&p.category).unwrap_or(PartnerCategory::Autre);
    let quota = quota_for(p.members).ok();
    let convs = conventions
        .iter()
        .map(|c| convention_view(c, names, day))
        .collect();
    PartnerView {
        id: &p.id,
        name: &p.name,
        siret: p.siret.as_ref().map(|s| s.as_str()),
        address: &p.address,
        category: category.code(),
        category_label: category.label(),
        habilitated: category.is_habilitated(),
        members: p.members,
        allowed_domains: &p.allowed_domains,
        status: p.status,
        suspension: p.suspension.as_ref(),
        gestionnaires: QuotaView {
            used: p.gestionnaires,
            max: quota.map_or(0, |q| q.gestionnaires),
        },
        techniciens: QuotaView {
            used: p.techniciens,
            max: quota.map_or(0, |q| q.techniciens),
        },
        review_requested_at: p.review_requested_at,
        review_confirmed_at: p.review_confirmed_at,
        conventions: convs,
    }
}

/// The conventions a user may see: an agent its caisse's only; partner users all.
pub async fn visible_conventions(
    ctx: &Ctx,
    access: &PartnerAccess,
) -> Result<Vec<Convention>, Problem> {
    Ok(match &access.convention {
        Some(c) => vec![c.clone()],
        None => conventions_of(ctx.table.as_ref(), &access.partner.id).await?,
    })
}
