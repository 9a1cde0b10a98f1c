//! Emails are never lost: written as pending items with the change that causes
//! them, sent after commit, retried by the scheduled function, marked failed after
//! the configured delay and listed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use ep_common::emails::{Delivery, deliver, enqueue, failed};
use ep_common::mail::{EmailContent, MailError, Mailer, RawEmail, compose, text_part};
use ep_common::table::{Cond, Item, Write};
use ep_tests::{TempDir, spawn_app, spawn_app_with};
use jiff::SignedDuration;

/// Emails in the outbox for the test recipient (the bootstrap admin's is ignored).
fn sent(app: &ep_tests::TestApp) -> Vec<String> {
    app.outbox()
        .into_iter()
        .filter(|e| e.raw.contains("To: technicien@ccas.example.org"))
        .map(|e| e.raw)
        .collect()
}

fn email(app: &ep_tests::TestApp, id: &str) -> RawEmail {
    let content = EmailContent {
        from: &app.app.ctx.config.mail_from,
        to: "technicien@ccas.example.org",
        subject: "Nouvelle réponse à votre demande",
        text: format!("Une réponse est disponible : {}/demandes\n", app.url),
        html: "<p>Une réponse est disponible.</p>".into(),
    };
    compose(&content, id, app.clock.now_ts()).unwrap()
}

/// A mailer that is unavailable for its first `failures` calls (SES down).
struct Flaky {
    inner: Arc<dyn Mailer>,
    failures: AtomicU32,
    calls: AtomicU32,
}

#[async_trait]
impl Mailer for Flaky {
    async fn send(&self, email: &RawEmail) -> Result<(), MailError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(MailError::Unavailable("Throttling: service down".into()));
        }
        self.inner.send(email).await
    }
}

#[tokio::test]
async fn an_email_enqueued_with_its_change_is_sent_after_commit_once() {
    let app = spawn_app().await;
    let ctx = &app.app.ctx;
    let msg = email(&app, "m-commit");
    ctx.table
        .transact(vec![
            Write::put(
                Item::new("REQ#1", "REQ").with("state", "answered"),
                Cond::NotExists,
            ),
            enqueue(&msg, app.clock.now_ts()).unwrap(),
        ])
        .await
        .unwrap();
    assert_eq!(deliver(ctx, &msg.id).await.unwrap(), Delivery::Sent);
    assert_eq!(
        deliver(ctx, &msg.id).await.unwrap(),
        Delivery::Skipped,
        "sent once"
    );
    let outbox = sent(&app);
    assert_eq!(outbox.len(), 1);
    assert!(text_part(&outbox[0]).unwrap().contains("/demandes"));
    let report = app.app.run_maintenance().await.unwrap();
    assert_eq!(report.emails.sent, 0, "nothing left to send");
}

#[tokio::test]
async fn a_failed_transaction_enqueues_nothing() {
    let app = spawn_app().await;
    let ctx = &app.app.ctx;
    ctx.table
        .put(Item::new("REQ#2", "REQ"), Cond::None)
        .await
        .unwrap();
    let msg = email(&app, "m-rollback");
    let res = ctx
        .table
        .transact(vec![
            Write::put(Item::new("REQ#2", "REQ"), Cond::NotExists),
            enqueue(&msg, app.clock.now_ts()).unwrap(),
        ])
        .await;
    assert!(res.is_err());
    assert_eq!(app.app.run_maintenance().await.unwrap().emails.sent, 0);
    assert!(sent(&app).is_empty());
}

#[tokio::test]
async fn emails_are_retried_with_backoff_until_sent() {
    let mut app = spawn_app().await;
    let flaky = Arc::new(Flaky {
        inner: app.app.ctx.mailer.clone(),
        failures: AtomicU32::new(2),
        calls: AtomicU32::new(0),
    });
    app.app.ctx.mailer = flaky.clone();
    let ctx = app.app.ctx.clone();
    let msg = email(&app, "m-retry");
    ctx.table
        .transact(vec![enqueue(&msg, app.clock.now_ts()).unwrap()])
        .await
        .unwrap();
    assert_eq!(deliver(&ctx, &msg.id).await.unwrap(), Delivery::Retry);
    // Not due again before its backoff.
    let r = ep_maintenance::run(&ctx).await.unwrap();
    assert_eq!((r.emails.sent, r.emails.retry), (0, 0));
    app.clock.advance(SignedDuration::from_mins(3));
    let r = ep_maintenance::run(&ctx).await.unwrap();
    assert_eq!(r.emails.retry, 1);
    app.clock.advance(SignedDuration::from_mins(5));
    let r = ep_maintenance::run(&ctx).await.unwrap();
    assert_eq!(r.emails.sent, 1);
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 3);
    assert_eq!(sent(&app).len(), 1);
    assert!(failed(&ctx, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_email_that_cannot_be_sent_for_24_hours_is_marked_failed_and_listed() {
    let mut app = spawn_app().await;
    let flaky = Arc::new(Flaky {
        inner: app.app.ctx.mailer.clone(),
        failures: AtomicU32::new(u32::MAX),
        calls: AtomicU32::new(0),
    });
    app.app.ctx.mailer = flaky.clone();
    let ctx = app.app.ctx.clone();
    let msg = email(&app, "m-fail");
    ctx.table
        .transact(vec![enqueue(&msg, app.clock.now_ts()).unwrap()])
        .await
        .unwrap();
    let mut last = Delivery::Retry;
    for _ in 0..40 {
        app.clock.advance(SignedDuration::from_hours(1));
        let r = ep_maintenance::run(&ctx).await.unwrap();
        if r.emails.failed == 1 {
            last = Delivery::Failed;
            break;
        }
    }
    assert_eq!(last, Delivery::Failed);
    let listed = failed(&ctx, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].1, vec!["technicien@ccas.example.org".to_owned()]);
    // The platform admin sees it in the portal; nobody else does.
    let (_, admin) = app.ready_admin("Tournesol-Brillant-42").await;
    let res = app
        .call("GET", "/api/emails/failed", None, Some(&admin))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let items = res.json()["items"].clone();
    assert_eq!(
        items[0]["to"],
        serde_json::json!(["technicien@ccas.example.org"])
    );
    assert_eq!(items[0]["subject"], "Nouvelle réponse à votre demande");
    assert_eq!(items[0]["last_error"], "Throttling");
    assert_eq!(
        app.call("GET", "/api/emails/failed", None, None)
            .await
            .status,
        401
    );
    let calls = flaky.calls.load(Ordering::SeqCst);
    app.clock.advance(SignedDuration::from_hours(5));
    ep_maintenance::run(&ctx).await.unwrap();
    assert_eq!(
        flaky.calls.load(Ordering::SeqCst),
        calls,
        "a failed email is not retried"
    );
    // It names its recipient: deleted 30 days after failing.
    app.clock.advance(SignedDuration::from_hours(24 * 29));
    ep_maintenance::run(&ctx).await.unwrap();
    assert_eq!(failed(&ctx, 10).await.unwrap().len(), 1);
    app.clock.advance(SignedDuration::from_hours(24 * 2));
    let r = ep_maintenance::run(&ctx).await.unwrap();
    assert_eq!(r.failed_emails.done, 1);
    assert!(failed(&ctx, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_runs_at_once_send_an_email_once() {
    let app = spawn_app().await;
    let ctx = app.app.ctx.clone();
    let msgs: Vec<RawEmail> = (0..10).map(|i| email(&app, &format!("m-c{i}"))).collect();
    let writes = msgs
        .iter()
        .map(|m| enqueue(m, app.clock.now_ts()).unwrap())
        .collect();
    ctx.table.transact(writes).await.unwrap();
    let (a, b) = tokio::join!(ep_maintenance::run(&ctx), ep_maintenance::run(&ctx));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.emails.sent + b.emails.sent, 10);
    assert_eq!(sent(&app).len(), 10);
}

#[tokio::test]
async fn the_gateway_scheduler_runs_the_maintenance_function() {
    let dir = TempDir::new();
    // Enqueue with a first instance, then start one with its scheduler on.
    let first = spawn_app_with(&[], dir, false).await;
    let msg = email(&first, "m-sched");
    first
        .app
        .ctx
        .table
        .transact(vec![enqueue(&msg, first.clock.now_ts()).unwrap()])
        .await
        .unwrap();
    let ep_tests::TestApp { app, dir, .. } = first;
    app.stop();
    drop(app);
    let second = spawn_app_with(&[], dir, true).await;
    assert_eq!(
        second.app.schedule,
        Some(std::time::Duration::from_secs(300))
    );
    for _ in 0..50 {
        if !sent(&second).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(sent(&second).len(), 1, "sent by the scheduled run at start");
}
