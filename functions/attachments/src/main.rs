//! The ep-attachments Lambda: context built once, then every event goes to the library handler.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ep_common::lambda::serve(ep_attachments::handle).await
}
