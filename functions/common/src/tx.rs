//! One transaction of a use case: the writes, the audit events and the emails that an
//! action causes, committed all or nothing (DynamoDB `TransactWriteItems`, one SQLite
//! transaction). Emails are pending items of the same transaction, delivered right
//! after commit and retried by the maintenance function if that fails.
//!
//! ```ignore
//! let mut tx = Tx::new(ctx);
//! tx.put(request.to_item()?, Cond::NotExists);
//! tx.audit(&caisse_id, &actor.id, "habilitation.received", Some(&request.id))?;
//! tx.email(to, "Nouvelle demande", paragraphs, Some((label, &url)))?;
//! tx.commit().await?;
//! ```

use serde_json::{Map, Value};

use crate::audit;
use crate::context::Ctx;
use crate::emails;
use crate::http::Problem;
use crate::ids::new_id;
use crate::mail::{RawEmail, compose};
use crate::table::{Cond, Item, StoreError, Write};
use crate::templates;

/// The words of a notification email: subject, paragraphs, an optional link
/// `(label, url)`. Never the assuré's identity, free text or documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub link: Option<(String, String)>,
}

/// The writes of one transaction, and the emails to deliver once it is committed.
pub struct Tx<'a> {
    ctx: &'a Ctx,
    writes: Vec<Write>,
    emails: Vec<String>,
}

impl<'a> Tx<'a> {
    pub fn new(ctx: &'a Ctx) -> Self {
        Tx {
            ctx,
            writes: Vec::new(),
            emails: Vec::new(),
        }
    }

    /// Any write.
    pub fn write(&mut self, w: Write) -> &mut Self {
        self.writes.push(w);
        self
    }

    /// Several writes (e.g. those a shared use case returns).
    pub fn extend(&mut self, ws: impl IntoIterator<Item = Write>) -> &mut Self {
        self.writes.extend(ws);
        self
    }

    pub fn put(&mut self, item: Item, cond: Cond) -> &mut Self {
        self.write(Write::put(item, cond))
    }

    /// Sets and removes attributes of an existing item.
    pub fn update(
        &mut self,
        pk: impl Into<String>,
        sk: impl Into<String>,
        set: Map<String, Value>,
        remove: Vec<String>,
        cond: Cond,
    ) -> &mut Self {
        self.write(Write::Update {
            pk: pk.into(),
            sk: sk.into(),
            set,
            remove,
            cond,
        })
    }

    pub fn delete(
        &mut self,
        pk: impl Into<String>,
        sk: impl Into<String>,
        cond: Cond,
    ) -> &mut Self {
        self.write(Write::delete(pk, sk, cond))
    }

    /// Writes nothing; the transaction fails unless `cond` holds.
    pub fn check(&mut self, pk: impl Into<String>, sk: impl Into<String>, cond: Cond) -> &mut Self {
        self.write(Write::check(pk, sk, cond))
    }

    /// Appends an event to `org_id`'s audit trail (ids and codes only).
    pub fn audit(
        &mut self,
        org_id: &str,
        actor_id: &str,
        action: &str,
        target: Option<&str>,
    ) -> Result<&mut Self, StoreError> {
        self.audit_event(
            org_id,
            audit::event(self.ctx.now(), actor_id, action, target),
        )
    }

    /// Appends a prepared event (with a source or a detail).
    pub fn audit_event(
        &mut self,
        org_id: &str,
        event: audit::Event,
    ) -> Result<&mut Self, StoreError> {
        let w = audit::record(org_id, event, self.ctx.config.audit_retention_months)?;
        Ok(self.write(w))
    }

    /// A built message, sent after commit.
    pub fn raw_email(&mut self, email: &RawEmail) -> Result<&mut Self, StoreError> {
        let w = emails::enqueue(email, self.ctx.now())?;
        self.emails.push(email.id.clone());
        Ok(self.write(w))
    }

    /// A notification in the portal's simple layout (paragraphs, an optional link
    /// `(label, url)`), sent after commit. Returns the message id.
    pub fn email(
        &mut self,
        to: &str,
        subject: &str,
        paragraphs: Vec<String>,
        link: Option<(&str, &str)>,
    ) -> Result<String, StoreError> {
        let content = templates::simple(&self.ctx.config.mail_from, to, subject, paragraphs, link);
        let email = compose(&content, &new_id(), self.ctx.now())
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.raw_email(&email)?;
        Ok(email.id)
    }

    /// A notification built by a function's texts module, sent after commit.
    pub fn notify(&mut self, to: &str, notice: Notice) -> Result<String, StoreError> {
        let link = notice.link.as_ref().map(|(l, u)| (l.as_str(), u.as_str()));
        self.email(to, &notice.subject, notice.paragraphs, link)
    }

    /// Number of writes so far.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Commits every write or none; a failed condition (someone changed the data in
    /// between) is a 409 the user can act on. Then delivers the emails: one that
    /// cannot be sent now stays pending for the maintenance function.
    pub async fn commit(self) -> Result<(), Problem> {
        self.commit_or_store_error().await.map_err(conflict)
    }

    /// Like `commit`, for a caller that tells a failed condition apart itself
    /// (`StoreError::TransactionCanceled`).
    pub async fn commit_or_store_error(self) -> Result<(), StoreError> {
        if self.writes.is_empty() {
            return Ok(());
        }
        audit::transact(self.ctx, self.writes).await?;
        for id in &self.emails {
            if let Err(e) = emails::deliver(self.ctx, id).await {
                // Committed: the maintenance run retries it.
                tracing::warn!(email = %id, error = %e, "email left pending after commit");
            }
        }
        Ok(())
    }

    /// The writes, for a caller that must run them itself (e.g. inside a retry loop).
    pub fn into_parts(self) -> (Vec<Write>, Vec<String>) {
        (self.writes, self.emails)
    }
}

/// The answer to a transaction whose conditions failed: the data changed in between.
pub fn conflict(e: StoreError) -> Problem {
    match e {
        StoreError::TransactionCanceled { .. } | StoreError::ConditionFailed => Problem::new(
            409,
            "conflict",
            "Modification simultanée",
            "Les données ont été modifiées entre-temps : rechargez la page puis recommencez.",
        ),
        other => other.into(),
    }
}
