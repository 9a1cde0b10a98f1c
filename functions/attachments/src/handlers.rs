//! The HTTP side: each handler reads the path or body, calls one use case and maps
//! its result to a response.

use ep_common::Ctx;
use ep_common::http::{Problem, json, parse_json, path_param, respond};
use ep_common::routes::Answer;
use ep_common::sessions::Authed;
use lambda_http::{Body, Request};

use crate::upload::SlotBody;
use crate::{documents, download, upload};

fn attachment_id(req: &Request) -> Result<String, Problem> {
    path_param(req, "attachment_id").ok_or_else(Problem::not_found)
}

/// `POST /api/requests/{request_id}/attachments`: an upload link for one file.
pub async fn create(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let id = path_param(req, "request_id").ok_or_else(Problem::not_found)?;
    let body: SlotBody = parse_json(req)?;
    Ok(json(201, &upload::create(ctx, a, &id, &body).await?))
}

/// `POST /api/attachments/{attachment_id}/confirm`: the file was sent; check it.
pub async fn confirm(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let id = attachment_id(req)?;
    Ok(json(200, &upload::confirm(ctx, a, &id).await?))
}

/// `DELETE /api/attachments/{attachment_id}`: the uploader removes it.
pub async fn delete(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let id = attachment_id(req)?;
    download::delete(ctx, a, &id).await?;
    Ok(respond(204, "text/plain; charset=utf-8", Body::Empty))
}

/// `GET /api/attachments/{attachment_id}/download`: a short-lived download link.
pub async fn download(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let id = attachment_id(req)?;
    Ok(json(200, &download::link(ctx, a, &id).await?))
}

fn version_id(req: &Request) -> Result<String, Problem> {
    path_param(req, "version_id").ok_or_else(Problem::not_found)
}

/// `GET /api/documents`: the documentation meant for the reader (the admin: every version).
pub async fn documents(ctx: &Ctx, _req: &Request, a: &Authed) -> Answer {
    Ok(json(200, &documents::list(ctx, a).await?))
}

/// `POST /api/documents`: the admin publishes a version; an upload link for its file.
pub async fn publish_document(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let body: documents::PublishBody = parse_json(req)?;
    Ok(json(201, &documents::publish(ctx, a, &body).await?))
}

/// `POST /api/documents/{version_id}/confirm`: the file was sent; check it.
pub async fn confirm_document(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let id = version_id(req)?;
    Ok(json(200, &documents::confirm(ctx, a, &id).await?))
}

/// `GET /api/documents/{version_id}/download`: a short-lived download link.
pub async fn download_document(ctx: &Ctx, req: &Request, a: &Authed) -> Answer {
    let id = version_id(req)?;
    Ok(json(200, &documents::download(ctx, a, &id).await?))
}
