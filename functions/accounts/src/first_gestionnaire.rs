//! « Créer la structure et son premier gestionnaire » (issue 14): an agent who types
//! everything herself creates the partner, its convention and its first gestionnaire in
//! one form and one transaction. What the three-step path recorded is still recorded:
//! the habilitation request (received and approved at once, by the agent: the SLA
//! figures count it as processed the same day), its audit events, the quota counter,
//! the pointer the purge follows to the person's data, the activation email.

use ep_common::Ctx;
use ep_common::http::Problem;
use ep_common::partners::Partner;
use ep_common::record::Record;
use ep_common::table::Cond;
use ep_common::tx::Tx;
use ep_common::users::User;
use ep_domain::quota::may_create;
use ep_domain::types::Profile;

use crate::habilitation::{grant, new_request};
use crate::people::{Person, PersonBody, parse_person};
use crate::util::Check;

/// The body's key; its field errors are reported as `first_gestionnaire.<field>`.
pub const FIELD: &str = "first_gestionnaire";

/// Checks the optional first gestionnaire against the partner's email `domains` (`None`
/// when the partner's own fields are invalid: the address is then checked for its form
/// only). `Some(None)`: none asked; `None`: invalid (errors recorded in `check`).
pub fn parse_first(
    body: Option<&PersonBody>,
    domains: Option<&[String]>,
    check: &mut Check,
) -> Option<Option<Person>> {
    let Some(body) = body else {
        return Some(None);
    };
    let mut own = Check::new();
    let person = parse_person(body, domains, true, &mut own);
    for (field, message) in std::mem::take(&mut own.0.errors) {
        check.fail(&format!("{FIELD}.{field}"), message);
    }
    person.map(Some)
}

/// The first gestionnaire of `partner` (not yet written: its writes follow in `tx`,
/// the counter is moved here), and its habilitation request, decided.
pub async fn add_first(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    actor: &User,
    caisse_id: &str,
    partner: &mut Partner,
    person: Person,
) -> Result<User, Problem> {
    may_create(
        Profile::Gestionnaire,
        partner.members,
        partner.gestionnaires,
    )
    .map_err(|e| {
        let fe: ep_domain::FieldError = e.into();
        Problem::validation().field(&format!("{FIELD}.nom"), fe.message)
    })?;
    let request = new_request(ctx, &actor.id, partner, caisse_id, person.clone());
    for trail in [caisse_id, partner.id.as_str()] {
        tx.audit(trail, &actor.id, "habilitation.received", Some(&request.id))?;
    }
    let (decided, user) = grant(tx, ctx, actor, caisse_id, partner, &request, &person).await?;
    tx.put(decided.to_item()?, Cond::NotExists);
    tracing::info!(request = %decided.id, user = %user.id, "first gestionnaire created with the partner");
    Ok(user)
}
