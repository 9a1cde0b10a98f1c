//! A second caisse conventions a partner another caisse already has (SPEC §2): the
//! SIRET given at creation is known, so the caisse's convention is added to that
//! partner and its gestionnaires are told. Each caisse still sees only its own
//! convention.

use ep_common::Ctx;
use ep_common::http::{Problem, json};
use ep_common::lifecycle::accounts_of;
use ep_common::partners::{Convention, Partner, get_caisse, get_convention, get_partner};
use ep_common::record::Record;
use ep_common::table::Cond;
use ep_common::tx::Tx;
use ep_common::users::{Role, Status, User};
use ep_domain::types::{ConventionState, Siret};
use jiff::civil::Date;
use lambda_http::{Body, Response};

use crate::partner_view::partner_view;
use crate::texts;

/// The convention's checked fields: start, optional end, functionalities.
pub type ConventionFields = (Date, Option<Date>, Vec<String>);

fn already_conventioned(siret: &Siret) -> Problem {
    Problem::new(
        409,
        "convention.exists",
        "Structure déjà conventionnée",
        format!(
            "Votre caisse a déjà une convention avec la structure de SIRET {siret} : retrouvez-la dans la liste de vos partenaires et modifiez sa convention depuis sa fiche."
        ),
    )
    .field(
        "siret",
        format!("Votre caisse a déjà une convention avec la structure de SIRET {siret}."),
    )
}

/// The use case: the caisse's convention added to the existing partner, the audit
/// events and one email to each active gestionnaire — one transaction. 409 when the
/// caisse already has a convention with it.
pub async fn add_convention(
    ctx: &Ctx,
    actor: &User,
    caisse_id: &str,
    partner_id: &str,
    siret: &Siret,
    (start, end, functionalities): ConventionFields,
) -> Result<(Partner, Convention), Problem> {
    let table = ctx.table.as_ref();
    let partner = get_partner(table, partner_id)
        .await?
        .ok_or_else(Problem::unavailable)?;
    if get_convention(table, partner_id, caisse_id)
        .await?
        .is_some()
    {
        return Err(already_conventioned(siret));
    }
    let convention = Convention {
        partner_id: partner.id.clone(),
        caisse_id: caisse_id.to_owned(),
        partner_name: partner.name.clone(),
        start,
        end,
        state: ConventionState::Active,
        functionalities,
        v: 1,
    };
    let caisse_name = get_caisse(table, caisse_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let mut tx = Tx::new(ctx);
    tx.put(convention.to_item()?, Cond::NotExists);
    tx.audit(caisse_id, &actor.id, "convention.added", Some(&partner.id))?;
    tx.audit(
        &partner.id,
        &actor.id,
        "convention.added",
        Some(&partner.id),
    )?;
    for g in accounts_of(ctx, &partner.id)
        .await?
        .iter()
        .filter(|u| u.role == Role::Gestionnaire && u.status == Status::Active)
    {
        tx.notify(
            &g.email,
            texts::convention_added(g, &caisse_name, &partner.name),
        )?;
    }
    tx.commit().await?;
    Ok((partner, convention))
}

/// The answer to a creation: the partner with the agent's caisse's convention only,
/// and whether the structure existed already (its SIRET was known).
pub async fn created(
    ctx: &Ctx,
    partner: &Partner,
    convention: &Convention,
    existing: bool,
    gestionnaire: Option<&ep_common::users::User>,
) -> Result<Response<Body>, Problem> {
    let v = partner_view(ctx, partner, std::slice::from_ref(convention)).await?;
    let mut v = serde_json::to_value(&v).map_err(|_| Problem::unavailable())?;
    v["existing"] = serde_json::Value::Bool(existing);
    if let Some(u) = gestionnaire {
        v["first_gestionnaire"] =
            serde_json::to_value(crate::caisses::view(u)).map_err(|_| Problem::unavailable())?;
    }
    Ok(json(if existing { 200 } else { 201 }, &v))
}
