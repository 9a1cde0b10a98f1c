//! `cargo run`: the portal on this machine, with no AWS at all.

use std::sync::Arc;

use ep_common::clock::SystemClock;
use ep_common::config::{Config, init_tracing};

#[tokio::main]
async fn main() {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Espace Partenaires : {e}");
            std::process::exit(2);
        }
    };
    init_tracing(config.log_json);
    let mut options = ep_gateway::Options::for_config(&config);
    if let Ok(site) = std::env::var("EP_SITE_DIR") {
        options.site_dir = site.into();
    }
    // Lambda mode: `--lambda <dir>` or EP_LAMBDA_DIR, the directory of the built
    // function binaries; the API is then answered by them, on moto.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lambda_dir = match args.as_slice() {
        [] => std::env::var("EP_LAMBDA_DIR")
            .ok()
            .filter(|d| !d.is_empty()),
        [flag, dir] if flag == "--lambda" => Some(dir.clone()),
        _ => {
            eprintln!("Usage : ep-gateway [--lambda <dossier des binaires des fonctions>]");
            std::process::exit(2);
        }
    };
    if let Some(dir) = lambda_dir {
        options.lambda = Some(ep_gateway::lambda::LambdaOptions::from_env(dir.into()));
    }
    // Development only: a clock that /_dev/clock can move forward.
    let clock: Arc<dyn ep_common::clock::Clock> = if options.dev_pages
        && options.lambda.is_none()
        && std::env::var("EP_DEV_CLOCK").as_deref() == Ok("1")
    {
        let c = Arc::new(ep_common::clock::OffsetClock::new());
        options.dev_clock = Some(c.clone());
        c
    } else {
        Arc::new(SystemClock)
    };
    let data_dir = config.data_dir.clone();
    let app = match ep_gateway::start(config, clock, options.clone()).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Espace Partenaires ne peut pas démarrer : {e}");
            std::process::exit(1);
        }
    };
    let url = app.ctx.config.public_url.clone();
    println!();
    println!("  Espace Partenaires est prêt : {url}/");
    println!("  Données : {}", data_dir.display());
    if options.dev_pages {
        println!("  Courriels envoyés (développement) : {url}/_dev/outbox");
    }
    match &app.created_admin {
        Some(identifiant) => {
            println!();
            println!(
                "  Première connexion : le compte administrateur {identifiant} a été créé pour"
            );
            println!(
                "  {}. Ouvrez le courriel « Votre compte Espace Partenaires a été créé »",
                app.ctx.config.admin_email
            );
            if options.dev_pages {
                println!(
                    "  sur {url}/_dev/outbox et suivez son lien pour créer votre mot de passe."
                );
            } else {
                println!(
                    "  dans {}/outbox et suivez son lien pour créer votre mot de passe.",
                    data_dir.display()
                );
            }
        }
        None => println!("  Connexion : {url}/connexion"),
    }
    println!("  Arrêt : Ctrl+C");
    println!();
    let _ = tokio::signal::ctrl_c().await;
    app.stop();
}
