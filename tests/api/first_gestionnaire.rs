//! « Créer la structure et son premier gestionnaire » (issue 14): one form, one
//! transaction, and the same records as the three-step path (habilitation request
//! approved, audit, quota, activation email); bad input leaves nothing behind.

use ep_tests::spawn_app;
use serde_json::{Value, json};

use crate::accounts::{activate, person, world};

fn body(name: &str, siret: &str, domain: &str, first: Option<Value>) -> Value {
    let mut b = json!({
        "name": name, "siret": siret,
        "address": "2 place de la Mairie, 69130 Exempleville", "category": "ccas",
        "members": 8, "allowed_domains": [domain],
        "convention": {"start": "2026-01-01", "functionalities": ["contact", "historique"]}
    });
    if let Some(f) = first {
        b["first_gestionnaire"] = f;
    }
    b
}

#[tokio::test]
async fn a_partner_and_its_first_gestionnaire_in_one_form() {
    let app = spawn_app().await;
    let w = world(&app, "premier", 10).await;
    let domain = "ccas-premier-bis.example.org";
    let siret = ep_tests::next_siret();

    // Invalid first gestionnaire (webmail, no phone): 422 naming the nested fields,
    // and nothing created — the same SIRET is free afterwards.
    let mut bad = person("Inès", "Première", "ines.premiere@gmail.com");
    bad["telephone"] = json!("");
    let res = app
        .post(
            "/api/partners",
            body("CCAS Bis", &siret, domain, Some(bad)),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    let errors = &res.json()["errors"];
    assert!(
        errors["first_gestionnaire.email"]
            .as_str()
            .unwrap()
            .contains("gmail.com"),
        "{errors}"
    );
    assert!(
        errors["first_gestionnaire.telephone"].is_string(),
        "{errors}"
    );
    let listed = app
        .call("GET", "/api/partners", None, Some(&w.agent))
        .await
        .json();
    assert!(
        !listed.to_string().contains("CCAS Bis"),
        "nothing created on bad input"
    );

    let outbox_before = app.outbox().len();
    let email = format!("ines.premiere@{domain}");
    let res = app
        .post(
            "/api/partners",
            body(
                "CCAS Bis",
                &siret,
                domain,
                Some(person("Inès", "Première", &email)),
            ),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let created = res.json();
    let partner_id = created["id"].as_str().unwrap().to_owned();
    let first = &created["first_gestionnaire"];
    assert_eq!(first["profile"], "gestionnaire");
    assert!(first["identifiant"].as_str().is_some_and(|i| !i.is_empty()));
    // The activation email, as for any new account.
    assert_eq!(app.outbox().len(), outbox_before + 1);
    let (_, cookie) = activate(&app, &email).await;

    // The quota counts her; she manages the structure.
    let accounts = app
        .call(
            "GET",
            &format!("/api/partners/{partner_id}/accounts"),
            None,
            Some(&cookie),
        )
        .await;
    assert_eq!(accounts.status, 200, "{}", accounts.text());
    assert_eq!(accounts.json()["gestionnaires"]["used"], 1);

    // The habilitation request is recorded, approved by the agent, pointing to the account.
    let approved = app
        .call(
            "GET",
            "/api/habilitations?state=approved",
            None,
            Some(&w.agent),
        )
        .await
        .json();
    let req = approved["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["partner_id"] == partner_id.as_str())
        .expect("the habilitation request, approved")
        .clone();
    assert_eq!(req["account_id"], first["id"]);
    assert_eq!(req["email"], email.as_str());
    // Audited on the partner's trail as on the three-step path.
    let audit = app
        .call(
            "GET",
            &format!("/api/partners/{partner_id}/audit"),
            None,
            Some(&w.agent),
        )
        .await
        .text();
    for kind in ["partner.created", "habilitation.received"] {
        assert!(audit.contains(kind), "{kind} missing from {audit}");
    }

    // A known SIRET with a first gestionnaire: refused next to the SIRET, nothing added.
    let res = app
        .post(
            "/api/partners",
            body(
                "CCAS Ter",
                &siret,
                domain,
                Some(person("Jean", "Autre", &format!("jean@{domain}"))),
            ),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(
        res.json()["errors"]["siret"]
            .as_str()
            .unwrap()
            .contains("existe déjà")
    );
    assert!(
        app.identifiant_in_email(&format!("jean@{domain}"))
            .is_none()
    );
}
