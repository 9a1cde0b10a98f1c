//! The gateway's Lambda mode itself: the real function binaries under the local
//! Runtime API, on moto. The journeys of the other modules run here too (`::lambda`);
//! these tests cover what only this mode has: the bootstrap invocation, the
//! EventBridge schedule, a crashed or missing binary, the instance limit.

use ep_tests::{Mode, TempDir, spawn_in};
use serde_json::json;

/// The first start creates the admin through the maintenance binary's bootstrap
/// invocation; the email goes through SES (moto) to the outbox; a second start on
/// the same table creates nothing.
#[tokio::test]
async fn the_admin_is_bootstrapped_by_the_maintenance_binary_and_emailed_through_ses() {
    let Some(app) = spawn_in(Mode::Lambda, &[]).await else {
        return;
    };
    let ident = app.app.created_admin.clone().expect("admin created");
    let email = app.app.ctx.config.admin_email.clone();
    assert_eq!(app.identifiant_in_email(&email), Some(ident.clone()));
    let (_, cookie) = app.ready_admin("Tournesol-Brillant-42").await;
    let me = app.call("GET", "/api/me", None, Some(&cookie)).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["identifiant"], ident.as_str());
    let l = app.app.lambdas.as_ref().expect("lambda mode");
    let again = l.bootstrap_admin().await.expect("bootstrap answers");
    assert_eq!(again, None, "the admin exists already");
}

/// `/_dev/maintenance` invokes the maintenance binary with an EventBridge scheduled
/// event and answers its report; `/_dev/clock` does not exist in this mode.
#[tokio::test]
async fn the_schedule_invokes_the_maintenance_binary_and_the_clock_cannot_move() {
    let Some(app) = spawn_in(Mode::Lambda, &[]).await else {
        return;
    };
    let res = app.post("/_dev/maintenance", json!({}), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let report = res.json();
    assert!(report["emails"]["sent"].is_number(), "{report}");
    assert!(report["unfinished"].is_array(), "{report}");
    let clock = app.get("/_dev/clock").await;
    assert_eq!(clock.status, 404);
}

/// A binary that dies answers 502 problem+json, every time (each crashed instance is
/// replaced), and the other functions keep answering.
#[tokio::test]
async fn a_crashing_function_answers_502_and_is_replaced() {
    let Some(real) = ep_tests::lambda_dir() else {
        return;
    };
    let dir = TempDir::new();
    let bins = dir.0.join("bin");
    std::fs::create_dir_all(&bins).unwrap();
    for b in ep_gateway::lambda::BINARIES {
        let to = bins.join(b);
        if b == "ep-auth" {
            std::fs::write(&to, "#!/bin/sh\nexit 3\n").unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
        } else {
            std::os::unix::fs::symlink(real.join(b), &to).unwrap();
        }
    }
    let Some(app) = ep_tests::spawn_in_bins(&[], TempDir::new(), bins).await else {
        return;
    };
    for _ in 0..3 {
        let res = app.get("/api/health").await;
        assert_eq!(res.status, 502, "{}", res.text());
        assert_eq!(
            res.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        assert_eq!(res.json()["code"], "lambda.crashed");
    }
    let other = app.get("/api/caisses").await;
    assert_eq!(other.status, 401, "ep-accounts answers: {}", other.text());
    drop(dir);
}

/// Twenty requests at once are served by at most two instances of the function.
#[tokio::test]
async fn at_most_two_instances_per_function() {
    let Some(app) = spawn_in(Mode::Lambda, &[]).await else {
        return;
    };
    let l = app.app.lambdas.clone().expect("lambda mode");
    let url = format!("{}/api/health", app.url);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            ep_tests::send("GET", &url, &[], vec![]).await.status
        }));
    }
    let watcher = {
        let l = l.clone();
        tokio::spawn(async move {
            let mut most = 0;
            for _ in 0..100 {
                most = most.max(l.live("ep-auth"));
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            most
        })
    };
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let most = watcher.await.unwrap();
    assert!((1..=2).contains(&most), "{most} instances");
}

/// Without the binaries, the start stops with the missing one's name and how to
/// build it.
#[tokio::test]
async fn a_missing_binary_stops_the_start_with_its_name() {
    let Some(_) = ep_tests::lambda_dir() else {
        return;
    };
    let empty = TempDir::new();
    let opts = ep_gateway::lambda::LambdaOptions {
        dir: empty.0.clone(),
        aws_endpoint: "http://127.0.0.1:9".into(),
        env: vec![],
    };
    let config = ep_tests::test_config(&[]);
    let outbox = std::sync::Arc::new(
        ep_common::embedded::outbox::OutboxMailer::new(empty.0.join("outbox")).unwrap(),
    );
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let err = match ep_gateway::lambda::Lambdas::start(&opts, &config, outbox, rx).await {
        Ok(_) => panic!("started without binaries"),
        Err(e) => e,
    };
    assert!(err.contains("ep-auth is missing"), "{err}");
    assert!(err.contains("cargo build -p ep-auth"), "{err}");
}

/// A stand-in function that takes its invocation, then `then` (a shell command).
fn script_function(dir: &std::path::Path, name: &str, then: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    let script = format!(
        "#!/bin/bash\nexec 3<>/dev/tcp/${{AWS_LAMBDA_RUNTIME_API%:*}}/${{AWS_LAMBDA_RUNTIME_API#*:}}\n\
         printf 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' >&3\n\
         read -r status <&3\n{then}\n"
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// An instance past its timeout is killed (the request times out), one that dies
/// holding an invocation fails it; both are replaced for the next invocation.
#[tokio::test]
async fn an_instance_past_its_timeout_is_killed_and_one_that_dies_fails_its_invocation() {
    use ep_gateway::lambda::runtime::{Outcome, Pool, Spec};
    let dir = TempDir::new();
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let pool = |exe, timeout| {
        Pool::new(
            Spec {
                name: "stand-in".into(),
                exe,
                env: vec![("PATH".into(), "/usr/bin:/bin".into())],
                timeout,
                arn: "arn:aws:lambda:eu-west-3:000000000000:function:stand-in".into(),
                max: 2,
            },
            shutdown.clone(),
        )
    };
    let slow = pool(
        script_function(&dir.0, "slow", "sleep 60"),
        std::time::Duration::from_millis(700),
    );
    let started = std::time::Instant::now();
    assert!(matches!(
        slow.invoke(b"{}".to_vec()).await,
        Outcome::TimedOut
    ));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    for _ in 0..50 {
        if slow.live() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(slow.live(), 0, "the killed instance is gone");
    assert!(
        matches!(slow.invoke(b"{}".to_vec()).await, Outcome::TimedOut),
        "a new instance takes the next one"
    );

    let dying = pool(
        script_function(&dir.0, "dying", "exit 7"),
        std::time::Duration::from_secs(10),
    );
    for _ in 0..2 {
        match dying.invoke(b"{}".to_vec()).await {
            Outcome::Crashed(why) => assert!(why.contains("exit status: 7"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
