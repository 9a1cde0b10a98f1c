//! Mailer cases: the outbox keeps the MIME message as built; SES (moto) receives it
//! intact; an unverified sender is refused.

use ep_common::embedded::list_outbox;
use ep_common::mail::{EmailContent, MailError, Mailer, RawEmail, compose};
use ep_tests::unique;

fn message(from: &str, to: &str) -> RawEmail {
    let content = EmailContent {
        from,
        to,
        subject: "Votre compte Espace Partenaires a été créé",
        text: "Bonjour,\n\nVotre compte a été créé. Définissez votre mot de passe : \
               https://portail.example.org/activation#jeton\n\nÀ bientôt."
            .into(),
        html: "<p>Bonjour,</p><p>Votre compte a été créé. \
               <a href=\"https://portail.example.org/activation#jeton\">Définir mon mot de passe</a></p>"
            .into(),
    };
    compose(
        &content,
        &unique("msg"),
        jiff::Timestamp::from_second(1_790_000_000).unwrap(),
    )
    .expect("compose")
}

fn assert_mime(raw: &str) {
    assert!(raw.contains("MIME-Version: 1.0"), "{raw}");
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(raw.contains("text/plain; charset=utf-8"), "{raw}");
    assert!(raw.contains("text/html; charset=utf-8"), "{raw}");
    assert!(
        raw.contains("Subject: Votre compte") && raw.contains("=?utf-8?"),
        "subject encoded: {raw}"
    );
    assert!(raw.contains("Message-ID: <"), "{raw}");
}

#[tokio::test]
async fn outbox_keeps_the_message_as_built() {
    let (m, dir) = crate::outbox();
    let email = message(
        "Espace Partenaires <ne-pas-repondre@example.org>",
        "agent@cpam.example.org",
    );
    m.send(&email).await.expect("send");
    let entries = list_outbox(&dir.0.join("outbox")).expect("list");
    assert_eq!(entries.len(), 1);
    assert!(entries[0].file.ends_with(".eml"));
    assert_eq!(entries[0].raw.as_bytes(), email.raw.as_slice());
    assert_mime(&entries[0].raw);
}

#[tokio::test]
async fn compose_refuses_bad_addresses() {
    let content = EmailContent {
        from: "ne-pas-repondre@example.org",
        to: "pas une adresse",
        subject: "x",
        text: String::new(),
        html: String::new(),
    };
    let now = jiff::Timestamp::from_second(0).unwrap();
    assert_eq!(
        compose(&content, "id", now),
        Err(MailError::InvalidAddress("to"))
    );
}

#[tokio::test]
async fn ses_receives_the_mime_message_intact() {
    let Some((ses, endpoint)) = crate::ses().await else {
        return;
    };
    let sender = format!("{}@example.org", unique("expediteur"));
    ses.verify_identity(&sender).await.expect("verify sender");
    let to = format!("{}@structure.example.org", unique("dest"));
    let email = message(&format!("Espace Partenaires <{sender}>"), &to);
    ses.send(&email).await.expect("send through SES");

    let res = ep_tests::send(
        "GET",
        &format!("{endpoint}/moto-api/data.json"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(res.status, 200);
    let data = res.json();
    let raws = data["ses"]["RawMessage"]
        .as_array()
        .expect("ses.RawMessage in moto data");
    let found = raws
        .iter()
        .filter_map(|m| m["raw_data"].as_str())
        .find(|raw| raw.contains(&to))
        .expect("our message in moto");
    assert_eq!(
        found.as_bytes(),
        email.raw.as_slice(),
        "byte-identical MIME"
    );
    assert_mime(found);
}

#[tokio::test]
async fn ses_refuses_an_unverified_sender() {
    let Some((ses, _)) = crate::ses().await else {
        return;
    };
    let email = message(
        &format!("{}@unverified.example.org", unique("x")),
        "dest@structure.example.org",
    );
    assert!(matches!(
        ses.send(&email).await,
        Err(MailError::Rejected(_))
    ));
}
