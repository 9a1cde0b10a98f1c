//! What the new-request form offers a partner user: the caisses with a convention
//! in force today and the functionalities each enabled (§1.2), whether this user
//! may submit, the catalog of kinds and the field limits.

use ep_common::Ctx;
use ep_common::http::Problem;
use ep_common::partners::{caisse_names, conventions_of};
use ep_common::sessions::Authed;
use ep_common::users::Role;
use ep_domain::calendar::paris_date;
use ep_domain::requests::{AccessError, delivery_mode};
use ep_domain::types::{Functionality, PartnerCategory};
use serde_json::{Value, json};

use crate::support::require_partner_user;
use crate::texts;
use crate::views;

pub async fn options(ctx: &Ctx, authed: &Authed) -> Result<Value, Problem> {
    let partner_id = require_partner_user(authed)?;
    let table = ctx.table.as_ref();
    let partner = authed
        .own_partner(ctx)
        .await?
        .ok_or_else(Problem::not_found)?;
    let today = paris_date(ctx.now());
    let in_force: Vec<_> = conventions_of(table, partner_id)
        .await?
        .into_iter()
        .filter(|c| c.is_active_on(today))
        .collect();
    // The caisses' names in one read.
    let names = caisse_names(table, in_force.iter().map(|c| c.caisse_id.as_str())).await?;
    let mut caisses = Vec::new();
    for conv in &in_force {
        let Some(name) = names.get(&conv.caisse_id) else {
            continue;
        };
        let functionalities: Vec<&str> = Functionality::ALL
            .iter()
            .filter(|f| conv.functionalities.iter().any(|c| c == f.code()))
            .map(|f| f.code())
            .collect();
        caisses.push(json!({
            "id": conv.caisse_id, "name": name, "functionalities": functionalities,
        }));
    }
    caisses.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let reason = if partner.is_suspended() {
        Some(AccessError::PartnerSuspended.to_string())
    } else if authed.user.role != Role::Technicien {
        Some(texts::GESTIONNAIRE_CANNOT_SUBMIT.to_owned())
    } else if caisses.is_empty() {
        Some(texts::NO_CAISSE.to_owned())
    } else {
        None
    };
    let category = PartnerCategory::parse(&partner.category).unwrap_or(PartnerCategory::Autre);
    let delivery = match delivery_mode(category) {
        ep_domain::requests::DeliveryMode::Portal => "portal",
        ep_domain::requests::DeliveryMode::Post => "post",
    };
    Ok(json!({
        "partner": {
            "id": partner.id, "name": partner.name, "category": partner.category,
            "status": partner.status, "delivery_mode": delivery,
            "delivery_label": texts::delivery_label(delivery),
        },
        "can_submit": reason.is_none(),
        "cannot_submit_reason": reason,
        "caisses": caisses,
        "catalog": views::catalog(),
        "limits": views::limits(),
    }))
}
