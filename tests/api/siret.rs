//! The SIRET of a partner (SPEC §2): required and checked, unique, and how a second
//! caisse conventions a structure another caisse already has.

use ep_tests::{Mode, TestApp, spawn_app, spawn_in};
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::accounts::{World, caisse, create_technicien, world};

both_modes!(
    spec_2_siret_is_required_checked_and_normalised_naming_the_field,
    spec_2_the_same_caisse_giving_a_known_siret_again_is_a_conflict,
    spec_2_a_second_caisse_adds_its_convention_through_the_siret,
);

fn body(name: &str, siret: &str, domain: &str) -> Value {
    json!({
        "name": name, "siret": siret, "address": "3 rue du Four, 69000 Lyon", "category": "ccas",
        "members": 8, "allowed_domains": [domain],
        "convention": {"start": "2026-01-01", "functionalities": ["contact", "document"]}
    })
}

async fn siret_of(app: &TestApp, w: &World) -> String {
    let p = app
        .call(
            "GET",
            &format!("/api/partners/{}", w.partner),
            None,
            Some(&w.agent),
        )
        .await
        .json();
    p["siret"].as_str().expect("the partner's SIRET").to_owned()
}

/// A second caisse with its admin agent; returns (caisse id, agent cookie).
async fn caisse_b(app: &TestApp, w: &World) -> (String, String) {
    caisse(
        app,
        &w.admin,
        "CPAM Seconde",
        "agent@cpam-seconde.example.org",
    )
    .await
}

fn identifiant(app: &TestApp, email: &str) -> String {
    app.identifiant_in_email(email).expect("identifiant")
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn spec_2_siret_is_required_checked_and_normalised_naming_the_field(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "siret", 10).await;
    for (siret, words) in [
        ("", "obligatoire"),
        ("1234567890123", "14 chiffres"),
        ("1234567890123X", "14 chiffres"),
        ("73282932000075", "clé de contrôle"),
    ] {
        let res = app
            .post(
                "/api/partners",
                body("CCAS Clé", siret, "cle.example.org"),
                Some(&w.agent),
            )
            .await;
        assert_eq!(res.status, 422, "{siret}: {}", res.text());
        let msg = res.json()["errors"]["siret"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            msg.contains("SIRET") && msg.contains(words),
            "{siret}: {msg}"
        );
    }
    let mut missing = body("CCAS Clé", "", "cle.example.org");
    missing.as_object_mut().unwrap().remove("siret");
    let res = app.post("/api/partners", missing, Some(&w.agent)).await;
    assert_eq!(res.status, 422);
    assert!(res.json()["errors"]["siret"].is_string());
    // Spaces between the digit groups are allowed and removed.
    let res = app
        .post(
            "/api/partners",
            body("CCAS Clé", "732 829 320 00074", "cle.example.org"),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["siret"], "73282932000074");
    assert_eq!(res.json()["existing"], false);
}

async fn spec_2_the_same_caisse_giving_a_known_siret_again_is_a_conflict(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "double", 10).await;
    let siret = siret_of(&app, &w).await;
    let res = app
        .post(
            "/api/partners",
            body("CCAS Doublon", &siret, "doublon.example.org"),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.text());
    assert_eq!(res.json()["code"], "convention.exists");
    assert!(res.json()["detail"].as_str().unwrap().contains(&siret));
    let list = app
        .call("GET", "/api/partners", None, Some(&w.agent))
        .await
        .json();
    assert_eq!(ids(&list), vec![w.partner.clone()], "nothing written");
}

async fn spec_2_a_second_caisse_adds_its_convention_through_the_siret(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "premiere", 10).await;
    let siret = siret_of(&app, &w).await;
    create_technicien(&app, &w, "tech").await;
    // A request addressed to caisse A only.
    let res = app
        .post(
            &format!("/api/partners/{}/habilitations", w.partner),
            crate::accounts::person("Anne", "Attente", &format!("anne@{}", w.domain)),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let (caisse_b_id, b) = caisse_b(&app, &w).await;

    // Spaces in the SIRET: the same structure all the same.
    let spaced = format!(
        "{} {} {} {}",
        &siret[..3],
        &siret[3..6],
        &siret[6..9],
        &siret[9..]
    );
    let res = app
        .post(
            "/api/partners",
            body("Autre nom", &spaced, "autre.example.org"),
            Some(&b),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let p = res.json();
    assert_eq!(p["existing"], true);
    assert_eq!(p["id"], w.partner.as_str());
    assert_eq!(p["name"], "CCAS premiere", "the structure is unchanged");
    let convs = p["conventions"].as_array().unwrap();
    assert_eq!(convs.len(), 1, "{p}");
    assert_eq!(convs[0]["caisse_id"], caisse_b_id.as_str());

    // The gestionnaire is told, naming caisse B and no other caisse.
    let mail = app
        .last_email_to(&format!("gestionnaire@{}", w.domain))
        .expect("an email to the gestionnaire");
    assert!(
        mail.contains("CPAM Seconde a désormais une convention avec CCAS premiere"),
        "{mail}"
    );
    assert!(!mail.contains("CPAM premiere"), "{mail}");

    // B sees the partner, its accounts, only its own convention, none of A's requests.
    let list = app
        .call("GET", "/api/partners", None, Some(&b))
        .await
        .json();
    assert_eq!(ids(&list), vec![w.partner.clone()]);
    assert_eq!(list["items"][0]["conventions"].as_array().unwrap().len(), 1);
    let got = app
        .call(
            "GET",
            &format!("/api/partners/{}", w.partner),
            None,
            Some(&b),
        )
        .await;
    assert_eq!(got.status, 200);
    let got = got.json();
    assert_eq!(got["conventions"].as_array().unwrap().len(), 1);
    assert_eq!(got["conventions"][0]["caisse_id"], caisse_b_id.as_str());
    let accounts = app
        .call(
            "GET",
            &format!("/api/partners/{}/accounts", w.partner),
            None,
            Some(&b),
        )
        .await;
    assert_eq!(accounts.status, 200, "{}", accounts.text());
    assert!(ids(&accounts.json()).contains(&w.gestionnaire_id));
    let habs = app
        .call("GET", "/api/habilitations", None, Some(&b))
        .await
        .json();
    assert_eq!(habs["items"].as_array().unwrap().len(), 0, "{habs}");
    // A still sees only its own convention; the partner's users see both.
    let a_view = app
        .call(
            "GET",
            &format!("/api/partners/{}", w.partner),
            None,
            Some(&w.agent),
        )
        .await
        .json();
    assert_eq!(a_view["conventions"].as_array().unwrap().len(), 1);
    assert_eq!(a_view["conventions"][0]["caisse_id"], w.caisse.as_str());
    let own = app
        .call(
            "GET",
            &format!("/api/partners/{}", w.partner),
            None,
            Some(&w.gestionnaire),
        )
        .await
        .json();
    assert_eq!(own["conventions"].as_array().unwrap().len(), 2);

    // B again: it has its convention already.
    let res = app
        .post(
            "/api/partners",
            body("Autre nom", &siret, "autre.example.org"),
            Some(&b),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.text());
    assert_eq!(res.json()["code"], "convention.exists");
}

#[tokio::test]
async fn spec_2_2_3_ending_the_first_caisse_convention_keeps_the_accounts_through_the_second() {
    let app = spawn_app().await;
    let w = world(&app, "relais", 10).await;
    let siret = siret_of(&app, &w).await;
    let (_, b) = caisse_b(&app, &w).await;
    let idents = [
        "agent@cpam-relais.example.org".to_owned(),
        "agent@cpam-seconde.example.org".to_owned(),
        format!("gestionnaire@{}", w.domain),
    ]
    .map(|e| identifiant(&app, &e));
    let res = app
        .post(
            "/api/partners",
            body("CCAS relais", &siret, "relais.example.org"),
            Some(&b),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let today = ep_common::domain::calendar::paris_date(app.clock.now_ts());
    let res = app
        .call(
            "PUT",
            &format!("/api/partners/{}/convention", w.partner),
            Some(json!({"start": "2026-01-01", "end": today.to_string(), "functionalities": ["contact"]})),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.clock.advance(SignedDuration::from_hours(24 * 2));
    let report = app.app.run_maintenance().await.unwrap();
    assert_eq!(report.convention_end.done, 1, "{report:?}");
    assert_eq!(report.convention_end_accounts, 0, "{report:?}");
    // Two days later the sessions have expired: everyone signs in again.
    let pw = crate::accounts::PW;
    let a_agent = app.login(&idents[0], pw).await;
    let b = app.login(&idents[1], pw).await;
    let gestionnaire = app.login(&idents[2], pw).await;

    let a = app
        .call(
            "GET",
            &format!("/api/partners/{}", w.partner),
            None,
            Some(&a_agent),
        )
        .await;
    assert_eq!(a.status, 404, "{}", a.text());
    let a_list = app
        .call("GET", "/api/partners", None, Some(&a_agent))
        .await
        .json();
    assert!(ids(&a_list).is_empty(), "{a_list}");
    let got = app
        .call(
            "GET",
            &format!("/api/partners/{}", w.partner),
            None,
            Some(&b),
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    let accounts = app
        .call(
            "GET",
            &format!("/api/partners/{}/accounts", w.partner),
            None,
            Some(&b),
        )
        .await
        .json();
    let g = accounts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == w.gestionnaire_id.as_str())
        .expect("the gestionnaire");
    assert_eq!(g["status"], "active", "{g}");
    // The gestionnaire still signs in and works.
    let me = app
        .call("GET", "/api/partners", None, Some(&gestionnaire))
        .await;
    assert_eq!(me.status, 200, "{}", me.text());
}
