//! The Mailer port on SES (`SendRawEmail`: the MIME message is sent as built).

use async_trait::async_trait;
use aws_sdk_ses::Client;
use aws_sdk_ses::error::ProvideErrorMetadata;
use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::RawMessage;

use crate::mail::{MailError, Mailer, RawEmail};

pub struct SesMailer {
    client: super::Lazy<Client>,
}

impl SesMailer {
    pub fn new(client: Client) -> Self {
        SesMailer {
            client: super::Lazy::ready(client),
        }
    }

    /// The client is built at the first call.
    pub fn lazy(sdk: aws_types::SdkConfig) -> Self {
        SesMailer {
            client: super::Lazy::new(move || Client::new(&sdk)),
        }
    }

    /// Verifies a sender identity (moto setup; on AWS this is a deployment step).
    pub async fn verify_identity(&self, email: &str) -> Result<(), MailError> {
        self.client
            .verify_email_identity()
            .email_address(email)
            .send()
            .await
            .map_err(|e| MailError::Unavailable(format!("{:?}", e.into_service_error())))?;
        Ok(())
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &RawEmail) -> Result<(), MailError> {
        let raw = RawMessage::builder()
            .data(Blob::new(email.raw.clone()))
            .build()
            .map_err(|e| MailError::Build(e.to_string()))?;
        match self
            .client
            .send_raw_email()
            .set_destinations(Some(email.to.clone()))
            .raw_message(raw)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = e.into_service_error();
                let code = e.code().unwrap_or("").to_owned();
                let message = e.message().unwrap_or("").to_owned();
                if matches!(
                    code.as_str(),
                    "MessageRejected"
                        | "MailFromDomainNotVerifiedException"
                        | "InvalidParameterValue"
                ) {
                    Err(MailError::Rejected(format!("{code}: {message}")))
                } else {
                    Err(MailError::Unavailable(format!("{code}: {message} {e:?}")))
                }
            }
        }
    }
}
