//! First start: with an empty store, create the platform admin from the
//! configuration (`EP_ADMIN_EMAIL`) and send the account-creation email with its
//! single-use link; install the first CGU version. Idempotent: a marker item makes a
//! second call (or a concurrent one) do nothing.

use crate::audit;
use crate::cgu;
use crate::context::Ctx;
use crate::emails;
use crate::ids::new_id;
use crate::mail::compose;
use crate::table::{Cond, Item, StoreError, Write};
use crate::templates;
use crate::tokens::{self, Purpose};
use crate::users::{NewAccount, OrgKind, PLATFORM_ORG, Role, User, new_identifiant};

const MARKER: (&str, &str) = ("PLATFORM", "BOOTSTRAP");

/// Link of an account-creation token.
pub fn activation_link(ctx: &Ctx, token: &str) -> String {
    format!("{}/activation#jeton={token}", ctx.config.public_url)
}

/// Link of a password-reset token.
pub fn reset_link(ctx: &Ctx, token: &str) -> String {
    format!("{}/reinitialisation#jeton={token}", ctx.config.public_url)
}

/// Creates the platform admin if the store has none. Returns its identifiant when
/// this call created it.
pub async fn ensure_admin(ctx: &Ctx) -> Result<Option<String>, StoreError> {
    if ctx.table.get(MARKER.0, MARKER.1).await?.is_some() {
        return Ok(None);
    }
    let now = ctx.now();
    let identifiant = new_identifiant(ctx.table.as_ref(), "Administrateur", "Plateforme").await?;
    let admin = User::pending(
        new_id(),
        identifiant.clone(),
        NewAccount {
            role: Role::Admin,
            civilite: None,
            nom: "Plateforme".into(),
            prenom: "Administrateur".into(),
            email: ctx.config.admin_email.clone(),
            fonction: Some("Administrateur de la plateforme".into()),
            telephone: None,
            org_kind: OrgKind::Platform,
            org_id: PLATFORM_ORG.into(),
            org_name: "Plateforme Espace Partenaires".into(),
            created_by: None,
        },
        now,
    );
    let (token, token_write) = tokens::issue(
        &admin.id,
        Purpose::Activation,
        now,
        ctx.config.link_ttl_hours,
    )?;
    let content = templates::account_created(
        &ctx.config.mail_from,
        &admin,
        &activation_link(ctx, &token),
        ctx.config.link_ttl_hours,
    );
    let email = compose(&content, &new_id(), now)
        .map_err(|e| StoreError::Invalid(format!("bootstrap email: {e}")))?;
    let mut writes = vec![Write::put(
        Item::new(MARKER.0, MARKER.1).with("admin_id", admin.id.clone()),
        Cond::NotExists,
    )];
    writes.extend(admin.create_writes()?);
    writes.push(token_write);
    writes.push(emails::enqueue(&email, now)?);
    writes.push(audit::record(
        PLATFORM_ORG,
        audit::event(now, "system", "account.created", Some(&admin.id)),
        ctx.config.audit_retention_months,
    )?);
    for audience in cgu::Audience::ALL {
        if cgu::current(ctx.table.as_ref(), audience).await?.is_none() {
            writes.extend(cgu::publish_writes(&cgu::initial(now, audience))?);
        }
    }
    match crate::audit::transact(ctx, writes).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { .. }) => return Ok(None),
        Err(e) => return Err(e),
    }
    tracing::info!(user = %admin.id, "platform admin created");
    emails::deliver(ctx, &email.id).await?;
    Ok(Some(identifiant))
}
