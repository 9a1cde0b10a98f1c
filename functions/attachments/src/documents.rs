//! Documentation (convention §3.2, SPEC §5): the platform admin publishes
//! downloadable documents (user guide, forms…) with a title, an audience and a
//! version; every signed-in user sees the current version of each document meant for
//! them; the admin sees every version. The files go through the attachments'
//! pipeline: the same slot checks (`upload::validate`), a presigned PUT, the same
//! checks of the stored bytes and malware engine (`upload::check_bytes`: clamd at
//! once, GuardDuty later), short-lived presigned downloads, blobs deleted through
//! `BLOBGC` items.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | version | `DOCS` | `V#<document>#<version id>` |
//!
//! A version id is its document's id (32 hex) followed by 16 random hex, so a version
//! is one `GetItem`; every list is one query of `DOCS` (at most [`MAX_VERSIONS`]).
//! Blob keys: `uploads/documents/<id>` (browser), `files/documents/<id>` (checked:
//! what is downloaded and what GuardDuty scans). The current version of a document is
//! its newest `safe` one: a refused or unchecked file is never offered.

use ep_common::Ctx;
use ep_common::attachments::{AttachmentState, gc_write, sweep_now};
use ep_common::http::Problem;
use ep_common::ids::{hex, new_id, random_bytes};
use ep_common::scan::FileKind;
use ep_common::sessions::Authed;
use ep_common::table::{Cond, Index, Item, Query, StoreError};
use ep_common::tx::Tx;
use ep_common::users::{OrgKind, PLATFORM_ORG, Role};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::checks::Outcome;
use crate::upload::{SlotBody, check_bytes, validate};

pub const DOCS_PK: &str = "DOCS";
/// Versions kept and listed (every document together).
pub const MAX_VERSIONS: usize = 300;
const TITLE_MAX: usize = 150;
const VERSION_MAX: usize = 40;

/// Who a document is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocAudience {
    /// The partners' users (the CGU's `partenaires`).
    Partenaires,
    /// The caisses' staff and the admin (the CGU's `caisses`).
    Caisses,
    Tous,
}

impl DocAudience {
    fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "partenaires" => Some(DocAudience::Partenaires),
            "caisses" => Some(DocAudience::Caisses),
            "tous" => Some(DocAudience::Tous),
            _ => None,
        }
    }
    /// Whether a user of `kind` reads it (the admin reads everything).
    fn for_user(self, kind: OrgKind) -> bool {
        match (self, kind) {
            (DocAudience::Tous, _) | (_, OrgKind::Platform) => true,
            (a, k) => {
                (a == DocAudience::Partenaires && k == OrgKind::Partner)
                    || (a == DocAudience::Caisses && k == OrgKind::Caisse)
            }
        }
    }
}

/// One published version (`DOCS` / `V#<document>#<id>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocVersion {
    pub id: String,
    pub document_id: String,
    pub title: String,
    pub audience: DocAudience,
    pub version: String,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub state: AttachmentState,
    #[serde(default)]
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub slot_expires_at: Timestamp,
    #[serde(default)]
    pub published_at: Option<Timestamp>,
    pub v: u64,
}

impl DocVersion {
    fn sk(document_id: &str, id: &str) -> String {
        format!("V#{document_id}#{id}")
    }
    pub fn upload_key(&self) -> String {
        format!("uploads/documents/{}", self.id)
    }
    pub fn file_key(&self) -> String {
        format!("files/documents/{}", self.id)
    }
    fn to_item(&self) -> Result<Item, StoreError> {
        Item::from_record(DOCS_PK, Self::sk(&self.document_id, &self.id), self)
    }
    fn download_name(&self) -> String {
        let ext =
            FileKind::from_content_type(&self.content_type).map_or("bin", FileKind::extension);
        format!("{} - version {}.{ext}", self.title, self.version)
    }
    fn view(&self) -> Value {
        json!({
            "id": self.id, "document_id": self.document_id, "title": self.title,
            "audience": self.audience, "version": self.version, "file_name": self.file_name,
            "content_type": self.content_type, "size": self.size, "state": self.state.code(),
            "state_label": self.state.label(), "reason": self.reason,
            "published_at": self.published_at, "created_at": self.created_at,
        })
    }
}

/// The document id in a version id, if well formed.
fn document_of(id: &str) -> Option<&str> {
    (id.len() == 48 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| &id[..32])
}

async fn all_versions(ctx: &Ctx) -> Result<Vec<DocVersion>, StoreError> {
    let q = Query::new(Index::Table, DOCS_PK)
        .prefix("V#")
        .limit(MAX_VERSIONS as u32);
    let page = ctx.table.query(&q).await?;
    page.items.iter().map(|i| i.parse()).collect()
}

async fn get_version(ctx: &Ctx, id: &str) -> Result<Option<DocVersion>, Problem> {
    let Some(doc) = document_of(id) else {
        return Ok(None);
    };
    Ok(
        match ctx.table.get(DOCS_PK, &DocVersion::sk(doc, id)).await? {
            Some(i) => Some(i.parse()?),
            None => None,
        },
    )
}

/// The current version of each document: its newest safe one.
fn current(versions: &[DocVersion]) -> Vec<&DocVersion> {
    let mut by_doc: std::collections::BTreeMap<&str, &DocVersion> = Default::default();
    for v in versions.iter().filter(|v| v.state == AttachmentState::Safe) {
        let e = by_doc.entry(&v.document_id).or_insert(v);
        if v.published_at > e.published_at {
            *e = v;
        }
    }
    let mut out: Vec<&DocVersion> = by_doc.into_values().collect();
    out.sort_by_key(|a| a.title.to_lowercase());
    out
}

/// `GET /api/documents`: the current versions meant for the reader; for the admin,
/// every version too (`versions`, newest first, with their state).
pub async fn list(ctx: &Ctx, authed: &Authed) -> Result<Value, Problem> {
    let versions = all_versions(ctx).await?;
    let kind = authed.user.org_kind;
    let items: Vec<Value> = current(&versions)
        .into_iter()
        .filter(|v| v.audience.for_user(kind))
        .map(DocVersion::view)
        .collect();
    let mut out = json!({ "items": items });
    if authed.user.role == Role::Admin {
        let now = ctx.now();
        let mut all: Vec<&DocVersion> = versions
            .iter()
            .filter(|v| v.state != AttachmentState::Slot || v.slot_expires_at > now)
            .collect();
        all.sort_by_key(|v| std::cmp::Reverse(v.created_at));
        out["versions"] = Value::Array(all.into_iter().map(DocVersion::view).collect());
    }
    Ok(out)
}

#[derive(Deserialize, Debug, Default)]
pub struct PublishBody {
    pub document_id: Option<String>,
    pub title: Option<String>,
    pub audience: Option<String>,
    pub version: Option<String>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
}

fn one_line(value: Option<&str>, field: &str, label: &str, max: usize) -> Result<String, Problem> {
    let t = value.map(str::trim).unwrap_or("");
    let fail = |m: String| {
        let mut p = Problem::validation();
        p.detail = m.clone();
        p.field(field, m)
    };
    if t.is_empty() {
        return Err(fail(format!("{label} est obligatoire.")));
    }
    if t.chars().count() > max {
        return Err(fail(format!(
            "{label} dépasse {max} caractères : raccourcissez-le."
        )));
    }
    ep_domain::text::check_clean(field, t, false).map_err(|e| fail(e.message))?;
    Ok(t.to_owned())
}

/// `POST /api/documents` (admin): a new version — of a new document, or of
/// `document_id` — and where to send its file.
pub async fn publish(ctx: &Ctx, authed: &Authed, body: &PublishBody) -> Result<Value, Problem> {
    if authed.user.role != Role::Admin {
        return Err(Problem::not_found());
    }
    let title = one_line(body.title.as_deref(), "title", "Le titre", TITLE_MAX)?;
    let version = one_line(
        body.version.as_deref(),
        "version",
        "Le numéro de version",
        VERSION_MAX,
    )?;
    let audience = body
        .audience
        .as_deref()
        .and_then(DocAudience::parse)
        .ok_or_else(|| {
            Problem::validation().field(
                "audience",
                "Choisissez à qui s'adresse le document : partenaires, caisses ou tous.",
            )
        })?;
    let slot = SlotBody {
        file_name: body.file_name.clone(),
        content_type: body.content_type.clone(),
        size: body.size,
    };
    let (file_name, kind, size) = validate(&slot, ctx.config.attachment_max_bytes)?;
    let versions = all_versions(ctx).await?;
    let document_id = match body.document_id.as_deref() {
        Some(d) if versions.iter().any(|v| v.document_id == d) => d.to_owned(),
        Some(_) => {
            return Err(Problem::validation().field(
                "document_id",
                "Ce document n'existe pas : publiez un nouveau document.",
            ));
        }
        None => new_id(),
    };
    let now = ctx.now();
    // Abandoned uploads (link expired, never confirmed) leave the list with this one.
    let abandoned: Vec<&DocVersion> = versions
        .iter()
        .filter(|v| v.state == AttachmentState::Slot && v.slot_expires_at < now)
        .take(50)
        .collect();
    if versions.len() - abandoned.len() >= MAX_VERSIONS {
        return Err(Problem::new(
            409,
            "document.too_many",
            "Publication impossible",
            format!("{MAX_VERSIONS} versions sont déjà enregistrées : c'est le maximum."),
        ));
    }
    if versions.iter().any(|v| {
        v.document_id == document_id
            && v.version == version
            && v.state != AttachmentState::Rejected
            && v.state != AttachmentState::Slot
    }) {
        return Err(Problem::validation().field(
            "version",
            format!(
                "La version {version} de ce document existe déjà : choisissez un autre numéro."
            ),
        ));
    }
    let doc = DocVersion {
        id: format!("{document_id}{}", hex(&random_bytes::<8>())),
        document_id,
        title,
        audience,
        version,
        file_name,
        content_type: kind.content_type().to_owned(),
        size,
        state: AttachmentState::Slot,
        reason: None,
        created_by: authed.user.id.clone(),
        created_at: now,
        slot_expires_at: now + jiff::SignedDuration::from_secs(ctx.config.upload_link_secs),
        published_at: None,
        v: 1,
    };
    let mut tx = Tx::new(ctx);
    tx.put(doc.to_item()?, Cond::NotExists);
    for v in abandoned {
        tx.delete(
            DOCS_PK,
            DocVersion::sk(&v.document_id, &v.id),
            Cond::VersionEquals(v.v),
        );
    }
    // The upload key is swept once the link has expired, whatever happens to the file.
    let sweep_at = doc.slot_expires_at
        + jiff::SignedDuration::from_secs(ep_common::attachments::REPLAY_MARGIN_SECS);
    tx.write(gc_write(
        &format!("{}-upload", doc.id),
        &[doc.upload_key()],
        sweep_at,
    ));
    tx.commit().await?;
    let upload = ctx
        .blobs
        .presign_put(
            &doc.upload_key(),
            kind.content_type(),
            size,
            now,
            ctx.config.upload_link_secs,
        )
        .await
        .map_err(|e| Problem::from(StoreError::Unavailable(e.to_string())))?;
    Ok(json!({ "id": doc.id, "upload": upload, "document": doc.view() }))
}

/// `POST /api/documents/{version_id}/confirm` (admin): the file was sent; the same
/// checks and scan as an attachment. Safe: it becomes the document's current version
/// (audited `document.published`).
pub async fn confirm(ctx: &Ctx, authed: &Authed, id: &str) -> Result<Value, Problem> {
    if authed.user.role != Role::Admin {
        return Err(Problem::not_found());
    }
    let doc = get_version(ctx, id).await?.ok_or_else(Problem::not_found)?;
    if doc.state != AttachmentState::Slot {
        return Err(Problem::new(
            409,
            "document.already_confirmed",
            "Action impossible",
            "L'envoi de ce fichier a déjà été confirmé : son état est affiché dans la liste des versions.",
        ));
    }
    if ctx.now() > doc.slot_expires_at {
        return Err(Problem::new(
            410,
            "document.slot_expired",
            "Envoi expiré",
            "Le délai d'envoi de ce fichier est dépassé : publiez-le de nouveau.",
        ));
    }
    let blob = ctx
        .blobs
        .get(&doc.upload_key())
        .await
        .map_err(|e| Problem::from(StoreError::Unavailable(e.to_string())))?;
    let Some(blob) = blob else {
        return Err(Problem::new(
            409,
            "document.not_uploaded",
            "Action impossible",
            "Le fichier n'a pas été reçu : envoyez-le, puis confirmez l'envoi.",
        ));
    };
    let (outcome, kind) =
        check_bytes(ctx, &doc.id, &doc.content_type, doc.size, &blob.bytes).await?;
    if let Some(k) = kind {
        ctx.blobs
            .put(&doc.file_key(), blob.bytes, k.content_type())
            .await
            .map_err(|e| Problem::from(StoreError::Unavailable(e.to_string())))?;
    }
    let next = settle(ctx, &doc, &outcome, &authed.user.id).await?;
    Ok(next.view())
}

/// Moves `doc` to `outcome` in one transaction (record, audit event, deletion of a
/// refused file's blobs); returns it as it is now.
async fn settle(
    ctx: &Ctx,
    doc: &DocVersion,
    outcome: &Outcome,
    actor: &str,
) -> Result<DocVersion, Problem> {
    let now = ctx.now();
    let mut next = doc.clone();
    next.v = doc.v + 1;
    let (state, action, detail) = match outcome {
        Outcome::Safe => (AttachmentState::Safe, "document.published", None),
        Outcome::Pending => (AttachmentState::Pending, "document.uploaded", None),
        Outcome::Rejected { reason, code } => {
            next.reason = Some(reason.clone());
            (
                AttachmentState::Rejected,
                "document.rejected",
                Some(code.clone()),
            )
        }
    };
    next.state = state;
    if state == AttachmentState::Safe {
        next.published_at = Some(now);
    }
    let mut tx = Tx::new(ctx);
    tx.put(next.to_item()?, Cond::VersionEquals(doc.v));
    let mut event = ep_common::audit::event(now, actor, action, Some(&doc.id));
    event.detail = detail;
    tx.audit_event(PLATFORM_ORG, event)?;
    let refused = state == AttachmentState::Rejected;
    if refused {
        tx.write(gc_write(&doc.id, &[doc.file_key()], now));
    }
    tx.commit().await?;
    if refused {
        sweep_now(ctx, &doc.id, &[doc.file_key()], now).await;
    }
    Ok(next)
}

/// A GuardDuty result for `files/documents/<id>`: a pending version becomes safe or
/// refused; anything else is left alone (events come at least once).
pub async fn scan_result(ctx: &Ctx, id: &str, outcome: &Outcome) -> Result<&'static str, Problem> {
    match get_version(ctx, id).await? {
        Some(doc) if doc.state == AttachmentState::Pending => {
            Ok(settle(ctx, &doc, outcome, ep_common::audit::SYSTEM_ACTOR)
                .await?
                .state
                .code())
        }
        _ => Ok("ignored"),
    }
}

/// `GET /api/documents/{version_id}/download`: a short-lived link to a safe version —
/// for a user, only the current version of a document meant for them (404 else).
/// Each download is audited in the reader's trail (SPEC §5: every document download).
pub async fn download(ctx: &Ctx, authed: &Authed, id: &str) -> Result<Value, Problem> {
    let user = &authed.user;
    let doc = get_version(ctx, id).await?.ok_or_else(Problem::not_found)?;
    if doc.state != AttachmentState::Safe {
        return Err(Problem::not_found());
    }
    if user.role != Role::Admin {
        let versions = all_versions(ctx).await?;
        let is_current = current(&versions).iter().any(|v| v.id == doc.id);
        if !is_current || !doc.audience.for_user(user.org_kind) {
            return Err(Problem::not_found());
        }
    }
    let now = ctx.now();
    let link = ctx
        .blobs
        .presign_get(
            &doc.file_key(),
            &doc.content_type,
            &doc.download_name(),
            now,
            ctx.config.download_link_secs,
        )
        .await
        .map_err(|e| Problem::from(StoreError::Unavailable(e.to_string())))?;
    let org = match user.org_kind {
        OrgKind::Platform => PLATFORM_ORG,
        _ => user.org_id.as_str(),
    };
    let mut tx = Tx::new(ctx);
    tx.audit(org, &user.id, "document.downloaded", Some(&doc.id))?;
    tx.commit().await?;
    Ok(json!({ "url": link.url, "expires_at": link.expires_at }))
}
