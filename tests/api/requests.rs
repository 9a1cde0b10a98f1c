//! Requests made for an assuré (SPEC §4, convention §1.2, §5), through the API as
//! the pages use it: the form and its guards, access by convention and
//! functionality, the state machine by actor, the history and the queue, tenant
//! isolation, emails without personal data, retention and erasure.

use ep_common::partners::Convention;
use ep_common::record::Record;
use ep_common::table::{Cond, Write};
use ep_tests::{Mode, TestApp, TestResponse, spawn_app, spawn_in};
use jiff::SignedDuration;
use serde_json::{Value, json};

both_modes!(
    options_list_the_caisses_in_force_with_their_functionalities,
    a_nir_health_data_or_an_overlong_text_is_refused_in_every_field,
    the_state_machine_by_actor_with_the_info_requested_loop,
    tenant_isolation_on_every_request_endpoint,
    the_emails_of_a_journey_carry_no_identity_and_no_free_text,
);

pub(crate) const PW: &str = "Tournesol-Brillant-42";
pub(crate) const ALL: [&str; 6] = [
    "contact",
    "dossier",
    "signalement",
    "rendez_vous",
    "document",
    "historique",
];

pub(crate) async fn activate(app: &TestApp, email: &str) -> (String, String) {
    let ident = app.identifiant_in_email(email).expect("account email");
    let token = app.link_token(email, "activation").expect("link");
    let res = app
        .post(
            "/api/auth/activate",
            json!({"token": token, "password": PW}),
            None,
        )
        .await;
    assert_eq!(res.status, 204, "activate {email}: {}", res.text());
    let cookie = app.login(&ident, PW).await;
    let cgu = app.get("/api/cgu").await.json();
    let res = app
        .post(
            "/api/me/cgu",
            json!({"version": cgu["version"]}),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status, 200);
    (ident, cookie)
}

pub(crate) fn person(prenom: &str, nom: &str, email: &str) -> Value {
    json!({
        "civilite": "madame", "nom": nom, "prenom": prenom, "fonction": "Travailleuse sociale",
        "telephone": "04 72 00 00 01", "email": email
    })
}

/// One caisse (an admin agent), one partner conventioned with it for `functionalities`,
/// a gestionnaire and a technicien.
pub(crate) struct World {
    pub(crate) caisse: String,
    pub(crate) agent: String,
    pub(crate) partner: String,
    pub(crate) gestionnaire: String,
    pub(crate) technicien: String,
    pub(crate) tech_email: String,
    /// Identifiants of the agent, the gestionnaire, the technicien.
    pub(crate) idents: [String; 3],
}

impl World {
    /// Signs everyone in again (after the clock moved past the sessions' lifetime).
    pub(crate) async fn refresh(&mut self, app: &TestApp) {
        self.agent = app.login(&self.idents[0], PW).await;
        self.gestionnaire = app.login(&self.idents[1], PW).await;
        self.technicien = app.login(&self.idents[2], PW).await;
    }
}

pub(crate) async fn admin(app: &TestApp) -> String {
    let email = app.app.ctx.config.admin_email.clone();
    let ident = app.identifiant_in_email(&email).expect("admin email");
    if app.link_token(&email, "activation").is_some() && app.outbox().len() == 1 {
        return app.ready_admin(PW).await.1;
    }
    app.login(&ident, PW).await
}

pub(crate) async fn world(
    app: &TestApp,
    tag: &str,
    category: &str,
    functionalities: &[&str],
) -> World {
    let admin = admin(app).await;
    let agent_email = format!("agent@cpam-{tag}.example.org");
    let res = app
        .post(
            "/api/caisses",
            json!({"name": format!("CPAM {tag}"), "address": "1 rue de l'Exemple, 69000 Lyon",
                   "alt_contact": "Téléphone 36 46",
                   "referents": [{"nom": "Claire Référente", "email": format!("ref@cpam-{tag}.example.org")}]}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let caisse = res.json()["id"].as_str().unwrap().to_owned();
    let mut a = person("Agathe", "Agent", &agent_email);
    a["caisse_admin"] = json!(true);
    let res = app
        .post(&format!("/api/caisses/{caisse}/agents"), a, Some(&admin))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let (agent_ident, agent) = activate(app, &agent_email).await;
    let domain = format!("ccas-{tag}.example.org");
    let res = app
        .post(
            "/api/partners",
            json!({"name": format!("CCAS {tag}"), "siret": ep_tests::next_siret(), "address": "2 place de la Mairie, 69130 Exempleville",
                   "category": category, "members": 10, "allowed_domains": [domain],
                   "convention": {"start": "2026-01-01", "functionalities": functionalities}}),
            Some(&agent),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let partner = res.json()["id"].as_str().unwrap().to_owned();
    let g_email = format!("gestionnaire@{domain}");
    let res = app
        .post(
            &format!("/api/partners/{partner}/habilitations"),
            person("Gaëlle", "Gestion", &g_email),
            Some(&agent),
        )
        .await;
    let hab = res.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/habilitations/{hab}/approve"),
            json!({}),
            Some(&agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let (g_ident, gestionnaire) = activate(app, &g_email).await;
    let tech_email = format!("tech@{domain}");
    let res = app
        .post(
            &format!("/api/partners/{partner}/techniciens"),
            person("Théo", "Technicien", &tech_email),
            Some(&gestionnaire),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let (t_ident, technicien) = activate(app, &tech_email).await;
    World {
        caisse,
        agent,
        partner,
        gestionnaire,
        technicien,
        tech_email,
        idents: [agent_ident, g_ident, t_ident],
    }
}

pub(crate) fn form(caisse: &str, kind: &str) -> Value {
    let sous = match kind {
        "contact" => json!("droits"),
        "dossier" => json!("css"),
        "signalement" => json!("acces_droits"),
        "document" => json!("attestation_droits"),
        _ => Value::Null,
    };
    let mut f = json!({
        "caisse_id": caisse, "type": kind, "sous_type": sous,
        "assure": {"civilite": "madame", "nom": "Dupont-Lefèvre", "prenom": "Éloïse",
                   "date_naissance": "1961-04-12", "departement": "2A"},
        "message": "Merci d'étudier la situation administrative de l'assurée.",
    });
    if kind == "rendez_vous" {
        f["mode"] = json!("telephone");
        f["disponibilites"] = json!("Le lundi matin");
    }
    f
}

async fn submit(app: &TestApp, cookie: &str, body: Value) -> TestResponse {
    app.post("/api/requests", body, Some(cookie)).await
}

pub(crate) async fn submitted(app: &TestApp, w: &World, body: Value) -> Value {
    let res = submit(app, &w.technicien, body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()
}

pub(crate) async fn act(app: &TestApp, cookie: &str, id: &str, body: Value) -> TestResponse {
    app.post(&format!("/api/requests/{id}/actions"), body, Some(cookie))
        .await
}

fn nir() -> String {
    // 1 85 05 78 006 084 + key
    let body: u64 = 1_850_578_006_084;
    format!("{body}{:02}", 97 - body % 97)
}

async fn options_list_the_caisses_in_force_with_their_functionalities(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "opt", "ccas", &["dossier", "contact", "historique"]).await;
    let o = app
        .call("GET", "/api/requests/options", None, Some(&w.technicien))
        .await;
    assert_eq!(o.status, 200, "{}", o.text());
    let o = o.json();
    assert_eq!(o["can_submit"], true);
    assert_eq!(o["caisses"][0]["id"], w.caisse.as_str());
    assert_eq!(
        o["caisses"][0]["functionalities"],
        json!(["contact", "dossier", "historique"]),
        "§1.2 order"
    );
    assert_eq!(o["partner"]["delivery_mode"], "post");
    let kinds = o["catalog"]["kinds"].as_array().unwrap();
    assert_eq!(kinds.len(), 5);
    assert_eq!(kinds[0]["sous_type_label"], "Objet");
    assert_eq!(o["limits"]["message_max"], 2000);
    let g = app
        .call("GET", "/api/requests/options", None, Some(&w.gestionnaire))
        .await
        .json();
    assert_eq!(g["can_submit"], false);
    assert!(
        g["cannot_submit_reason"]
            .as_str()
            .unwrap()
            .contains("techniciens")
    );
    let a = app
        .call("GET", "/api/requests/options", None, Some(&w.agent))
        .await;
    assert_eq!(a.status, 404);
    // A gestionnaire cannot submit.
    let res = submit(&app, &w.gestionnaire, form(&w.caisse, "dossier")).await;
    assert_eq!(res.status, 403);
    assert_eq!(res.json()["code"], "request.technicien_only");
}

#[tokio::test]
async fn each_functionality_is_refused_unless_enabled_in_a_convention_in_force_of_an_active_partner()
 {
    let app = spawn_app().await;
    let w = world(&app, "acc", "ccas", &["historique"]).await;
    for kind in &ALL[..5] {
        let res = submit(&app, &w.technicien, form(&w.caisse, kind)).await;
        assert_eq!(res.status, 422, "{kind}: {}", res.text());
        let body = res.json();
        assert_eq!(body["code"], "access.functionality_disabled", "{kind}");
        assert!(
            body["errors"]["type"]
                .as_str()
                .unwrap()
                .contains("n'est pas activée")
        );
        let check = app
            .post(
                "/api/requests/check",
                form(&w.caisse, kind),
                Some(&w.technicien),
            )
            .await
            .json();
        assert_eq!(check["ok"], false);
        assert_eq!(
            check["errors"]["type"], body["errors"]["type"],
            "same validation"
        );
    }
    // Every functionality enabled: accepted.
    let conv = |start: &str| json!({"start": start, "functionalities": ALL});
    let res = app
        .call(
            "PUT",
            &format!("/api/partners/{}/convention", w.partner),
            Some(conv("2026-01-01")),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    for kind in &ALL[..5] {
        let res = submit(&app, &w.technicien, form(&w.caisse, kind)).await;
        assert_eq!(res.status, 201, "{kind}: {}", res.text());
    }
    // A convention not yet in force.
    app.call(
        "PUT",
        &format!("/api/partners/{}/convention", w.partner),
        Some(conv("2027-01-01")),
        Some(&w.agent),
    )
    .await;
    for kind in &ALL[..5] {
        let res = submit(&app, &w.technicien, form(&w.caisse, kind)).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.json()["code"], "access.no_active_convention", "{kind}");
        assert!(res.json()["errors"]["caisse_id"].is_string());
    }
    let o = app
        .call("GET", "/api/requests/options", None, Some(&w.technicien))
        .await
        .json();
    assert_eq!(o["caisses"], json!([]));
    assert_eq!(o["can_submit"], false);
    // Suspended partner.
    app.call(
        "PUT",
        &format!("/api/partners/{}/convention", w.partner),
        Some(conv("2026-01-01")),
        Some(&w.agent),
    )
    .await;
    let res = app
        .post(
            &format!("/api/partners/{}/suspend", w.partner),
            json!({"reason": "autre"}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    for kind in &ALL[..5] {
        let res = submit(&app, &w.technicien, form(&w.caisse, kind)).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.json()["code"], "access.partner_suspended", "{kind}");
    }
    let o = app
        .call("GET", "/api/requests/options", None, Some(&w.technicien))
        .await
        .json();
    assert_eq!(o["can_submit"], false);
    assert!(
        o["cannot_submit_reason"]
            .as_str()
            .unwrap()
            .contains("suspendu")
    );
    // Another caisse's id: no convention.
    app.post(
        &format!("/api/partners/{}/reinstate", w.partner),
        json!({}),
        Some(&w.agent),
    )
    .await;
    let res = submit(&app, &w.technicien, form("inconnue", "dossier")).await;
    assert_eq!(res.json()["code"], "access.no_active_convention");
}

async fn a_nir_health_data_or_an_overlong_text_is_refused_in_every_field(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "nir", "ccas", &ALL).await;
    let n = nir();
    let spaced = format!(
        "{} {} {} {} {} {} {}",
        &n[0..1],
        &n[1..3],
        &n[3..5],
        &n[5..7],
        &n[7..10],
        &n[10..13],
        &n[13..]
    );
    let paths: [&[&str]; 10] = [
        &["caisse_id"],
        &["sous_type"],
        &["assure", "civilite"],
        &["assure", "nom"],
        &["assure", "prenom"],
        &["assure", "date_naissance"],
        &["assure", "departement"],
        &["message"],
        &["mode"],
        &["disponibilites"],
    ];
    for path in paths {
        for value in [n.clone(), format!("voir {spaced}")] {
            let mut body = form(&w.caisse, "rendez_vous");
            if path == ["sous_type"] {
                body = form(&w.caisse, "dossier");
            }
            let slot = path.iter().fold(&mut body, |b, k| &mut b[*k]);
            *slot = json!(value);
            let key = path.join(".");
            let res = submit(&app, &w.technicien, body.clone()).await;
            assert_eq!(res.status, 422, "{key}: {}", res.text());
            let msg = res.json()["errors"][&key]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                msg.contains("NIR") && msg.contains("retirez « "),
                "{key}: {msg}"
            );
            assert!(!res.text().contains(&n), "the NIR is never echoed");
            let check = app
                .post("/api/requests/check", body, Some(&w.technicien))
                .await
                .json();
            assert_eq!(
                check["errors"][&key],
                msg.as_str(),
                "check = submit ({key})"
            );
        }
    }
    // Health data in the free-text fields.
    for field in ["message", "disponibilites"] {
        let mut body = form(&w.caisse, "rendez_vous");
        body[field] = json!("Assurée sous chimiothérapie, enceinte.");
        let res = submit(&app, &w.technicien, body).await;
        assert_eq!(res.status, 422);
        let msg = res.json()["errors"][field].as_str().unwrap().to_owned();
        assert!(msg.contains("« enceinte »"), "{field}: {msg}");
    }
    // Every text field has a maximum length, named in the message.
    for (path, max) in [
        (vec!["message"], 2000),
        (vec!["disponibilites"], 500),
        (vec!["assure", "nom"], 100),
        (vec!["assure", "prenom"], 100),
        (vec!["caisse_id"], 64),
    ] {
        let mut body = form(&w.caisse, "rendez_vous");
        let slot = path.iter().fold(&mut body, |b, k| &mut b[*k]);
        *slot = json!("a".repeat(max + 1));
        let key = path.join(".");
        let res = submit(&app, &w.technicien, body).await;
        assert_eq!(res.status, 422, "{key}");
        let msg = res.json()["errors"][&key].as_str().unwrap().to_owned();
        assert!(msg.contains(&max.to_string()), "{key}: {msg}");
    }
    // The live check reports only what was typed, unless complete.
    let partial = app
        .post(
            "/api/requests/check",
            json!({"assure": {"nom": "Durand"}}),
            Some(&w.technicien),
        )
        .await;
    assert_eq!(partial.status, 200);
    assert_eq!(partial.json(), json!({"ok": true, "errors": {}}));
    let complete = app
        .post(
            "/api/requests/check",
            json!({"assure": {"nom": "Durand"}, "complete": true}),
            Some(&w.technicien),
        )
        .await
        .json();
    assert_eq!(complete["ok"], false);
    assert!(complete["errors"]["message"].is_string());
    assert!(complete["errors"].get("assure.nom").is_none());
    let bad = app
        .call("POST", "/api/requests/check", None, Some(&w.technicien))
        .await;
    assert_eq!(bad.status, 400);
    // Departements: overseas and Corsica accepted.
    for dep in ["971", "976", "2B"] {
        let mut body = form(&w.caisse, "contact");
        body["assure"]["departement"] = json!(dep);
        assert_eq!(submit(&app, &w.technicien, body).await.status, 201, "{dep}");
    }
}

async fn the_state_machine_by_actor_with_the_info_requested_loop(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "sm", "ccas", &ALL).await;
    let r = submitted(&app, &w, form(&w.caisse, "dossier")).await;
    let id = r["id"].as_str().unwrap();
    let reference = r["reference"].as_str().unwrap();
    assert_eq!(reference.len(), 8);
    assert_eq!(r["state"], "submitted");
    assert_eq!(r["thread"][0]["kind"], "request");
    assert_eq!(r["actions"], json!([]));
    assert_eq!(r["events"][0]["actor_name"], "Théo Technicien");
    // The partner cannot take it; an agent can.
    let res = act(&app, &w.technicien, id, json!({"action": "take"})).await;
    assert_eq!(res.status, 409);
    assert_eq!(res.json()["code"], "request.forbidden_transition");
    let page = app
        .call("GET", &format!("/api/requests/{id}"), None, Some(&w.agent))
        .await
        .json();
    assert_eq!(page["actions"], json!(["take"]));
    let res = act(
        &app,
        &w.agent,
        id,
        json!({"action": "answer", "message": "Réponse"}),
    )
    .await;
    assert_eq!(res.status, 409);
    assert_eq!(res.json()["code"], "request.invalid_transition");
    let res = act(&app, &w.agent, id, json!({"action": "take"})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let page = res.json();
    assert_eq!(page["state"], "in_progress");
    assert_eq!(page["assigned_to_name"], "Agathe Agent");
    assert_eq!(
        page["actions"],
        json!(["message", "ask", "answer", "close"])
    );
    let res = act(&app, &w.agent, id, json!({"action": "take"})).await;
    assert_eq!(res.json()["code"], "request.already_assigned");
    // The partner may not ask, write or close an in-progress request.
    for action in ["ask", "message", "close", "answer"] {
        let res = act(
            &app,
            &w.technicien,
            id,
            json!({"action": action, "message": "Texte"}),
        )
        .await;
        assert_eq!(res.status, 409, "{action}: {}", res.text());
        assert_eq!(
            res.json()["code"],
            "request.forbidden_transition",
            "{action}"
        );
    }
    // The agent's messages pass the same guards.
    let res = act(
        &app,
        &w.agent,
        id,
        json!({"action": "ask", "message": format!("Le NIR {} est-il exact ?", nir())}),
    )
    .await;
    assert_eq!(res.status, 422);
    assert!(
        res.json()["errors"]["message"]
            .as_str()
            .unwrap()
            .contains("NIR")
    );
    let res = act(
        &app,
        &w.agent,
        id,
        json!({"action": "ask", "message": "Son diabète ?"}),
    )
    .await;
    assert_eq!(res.status, 422);
    let res = act(&app, &w.agent, id, json!({"action": "ask"})).await;
    assert_eq!(res.status, 422, "the question is required");
    let res = act(
        &app,
        &w.agent,
        id,
        json!({"action": "ask", "message": "Merci de préciser la date d'arrivée en France."}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["state"], "info_requested");
    // Only the partner answers the question; the gestionnaire may too.
    let res = act(
        &app,
        &w.agent,
        id,
        json!({"action": "reply", "message": "x"}),
    )
    .await;
    assert_eq!(res.json()["code"], "request.forbidden_transition");
    let page = app
        .call(
            "GET",
            &format!("/api/requests/{id}"),
            None,
            Some(&w.gestionnaire),
        )
        .await
        .json();
    assert_eq!(page["actions"], json!(["reply"]));
    let res = act(
        &app,
        &w.gestionnaire,
        id,
        json!({"action": "reply", "message": "Arrivée le 3 mars 2025."}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["state"], "in_progress");
    let res = act(
        &app,
        &w.technicien,
        id,
        json!({"action": "reply", "message": "x"}),
    )
    .await;
    assert_eq!(res.json()["code"], "request.invalid_transition");
    // A message, then the answer.
    let res = act(
        &app,
        &w.agent,
        id,
        json!({"action": "message", "message": "Bien reçu."}),
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["state"], "in_progress");
    let res = act(
        &app,
        &w.agent,
        id,
        json!({"action": "answer", "message": "Les droits sont ouverts."}),
    )
    .await;
    assert_eq!(res.status, 200);
    let page = res.json();
    assert_eq!(page["state"], "answered");
    let kinds: Vec<&str> = page["thread"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["request", "info_request", "reply", "message", "answer"]
    );
    let states: Vec<(&str, &str)> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["state"].as_str().unwrap(),
                e["actor_side"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("submitted", "partner"),
            ("in_progress", "caisse"),
            ("info_requested", "caisse"),
            ("in_progress", "partner"),
            ("answered", "caisse"),
        ]
    );
    // The partner closes an answered request.
    let res = act(&app, &w.technicien, id, json!({"action": "close"})).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["state"], "closed");
    assert_eq!(res.json()["actions"], json!([]));
    let res = act(&app, &w.agent, id, json!({"action": "close"})).await;
    assert_eq!(res.json()["code"], "request.invalid_transition");
    // The agent closes an in-progress one.
    let r2 = submitted(&app, &w, form(&w.caisse, "contact")).await;
    let id2 = r2["id"].as_str().unwrap();
    act(&app, &w.agent, id2, json!({"action": "take"})).await;
    let res = act(&app, &w.agent, id2, json!({"action": "close"})).await;
    assert_eq!(res.json()["state"], "closed");
    let res = act(&app, &w.agent, id2, json!({"action": "nimporte"})).await;
    assert_eq!(res.status, 422);
}

#[tokio::test]
async fn document_requests_by_post_record_the_posting_date_and_by_portal_await_the_document() {
    let app = spawn_app().await;
    let w = world(&app, "doc", "ccas", &ALL).await;
    let r = submitted(&app, &w, form(&w.caisse, "document")).await;
    assert_eq!(r["delivery_mode"], "post");
    let id = r["id"].as_str().unwrap();
    act(&app, &w.agent, id, json!({"action": "take"})).await;
    let res = act(&app, &w.agent, id, json!({"action": "answer"})).await;
    assert_eq!(res.status, 422);
    assert!(res.json()["errors"]["posted_on"].is_string());
    let res = act(
        &app,
        &w.agent,
        id,
        json!({"action": "answer", "posted_on": "2030-01-01"}),
    )
    .await;
    assert_eq!(res.status, 422, "not in the future");
    let today = ep_common::domain::calendar::paris_date(app.clock.now_ts()).to_string();
    let res = act(
        &app,
        &w.agent,
        id,
        json!({"action": "answer", "posted_on": today}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["state"], "answered");
    assert_eq!(res.json()["posted_on"], today.as_str());
    // A habilitated category: the document comes through the portal with the answer.
    let t = world(&app, "tut", "tutelle", &ALL).await;
    let r = submitted(&app, &t, form(&t.caisse, "document")).await;
    assert_eq!(r["delivery_mode"], "portal");
    assert!(
        r["delivery_label"]
            .as_str()
            .unwrap()
            .contains("Espace Partenaires")
    );
    let id = r["id"].as_str().unwrap();
    act(&app, &t.agent, id, json!({"action": "take"})).await;
    let res = act(
        &app,
        &t.agent,
        id,
        json!({"action": "answer", "message": "Voici l'attestation demandée."}),
    )
    .await;
    assert_eq!(res.status, 409, "the document must be attached first");
    assert_eq!(res.json()["code"], "request.document_missing");
    // The answer with its document: tests/api/attachments.rs.
}

/// Seeds a convention of `partner` with another caisse (the API creates one caisse
/// per partner; a second caisse's convention is written directly).
async fn second_convention(app: &TestApp, w: &World, other: &World) {
    let conv = Convention {
        partner_id: w.partner.clone(),
        caisse_id: other.caisse.clone(),
        partner_name: "CCAS".into(),
        start: jiff::civil::date(2026, 1, 1),
        end: None,
        state: ep_common::domain::types::ConventionState::Active,
        functionalities: ALL.iter().map(|s| s.to_string()).collect(),
        v: 1,
    };
    app.app
        .ctx
        .table
        .transact(vec![Write::put(conv.to_item().unwrap(), Cond::NotExists)])
        .await
        .unwrap();
}

async fn list(app: &TestApp, cookie: &str, query: &str) -> Value {
    let res = app
        .call("GET", &format!("/api/requests?{query}"), None, Some(cookie))
        .await;
    assert_eq!(res.status, 200, "{query}: {}", res.text());
    res.json()
}

fn refs(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i["assure"]["nom"].as_str().unwrap(),
                i["type"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn history_filters_name_search_and_pages() {
    let app = spawn_app().await;
    let mut w = world(&app, "hist", "ccas", &ALL).await;
    let other = world(&app, "autre", "ccas", &ALL).await;
    second_convention(&app, &w, &other).await;
    let caisse_a = w.caisse.clone();
    let people = [
        ("Dupont-Lefèvre", "Éloïse", "dossier", &caisse_a),
        ("Martin", "Éloi", "contact", &caisse_a),
        ("Dupuis", "Jean", "signalement", &other.caisse),
        ("Le Goff", "Anne", "contact", &other.caisse),
    ];
    let mut ids = Vec::new();
    for (nom, prenom, kind, caisse) in people {
        let mut f = form(caisse, kind);
        f["assure"]["nom"] = json!(nom);
        f["assure"]["prenom"] = json!(prenom);
        ids.push(
            submitted(&app, &w, f).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        app.clock.advance(SignedDuration::from_hours(24));
        w.refresh(&app).await;
    }
    let all = list(&app, &w.gestionnaire, "").await;
    assert_eq!(
        refs(&all),
        [
            "Le Goff contact",
            "Dupuis signalement",
            "Martin contact",
            "Dupont-Lefèvre dossier"
        ],
        "newest first, for every user of the partner"
    );
    let names = |q: &str| {
        let app = &app;
        let cookie = w.technicien.clone();
        let q = q.to_owned();
        async move { refs(&list(app, &cookie, &format!("name={q}")).await) }
    };
    assert_eq!(names("dupont").await, ["Dupont-Lefèvre dossier"]);
    assert_eq!(
        names("DUP").await,
        ["Dupuis signalement", "Dupont-Lefèvre dossier"]
    );
    assert_eq!(names("eloise").await, ["Dupont-Lefèvre dossier"]);
    assert_eq!(
        names("%C3%A9lo").await,
        ["Martin contact", "Dupont-Lefèvre dossier"]
    );
    assert_eq!(names("lefevre").await, ["Dupont-Lefèvre dossier"]);
    assert_eq!(names("dupont-lef").await, ["Dupont-Lefèvre dossier"]);
    assert_eq!(names("goff").await, ["Le Goff contact"]);
    assert_eq!(names("dupond").await, Vec::<String>::new());
    assert_eq!(
        refs(&list(&app, &w.technicien, "type=contact").await),
        ["Le Goff contact", "Martin contact"]
    );
    assert_eq!(
        refs(&list(&app, &w.technicien, &format!("caisse_id={}", other.caisse)).await),
        ["Le Goff contact", "Dupuis signalement"]
    );
    assert_eq!(
        refs(
            &list(
                &app,
                &w.technicien,
                &format!("type=contact&caisse_id={}", w.caisse)
            )
            .await
        ),
        ["Martin contact"]
    );
    act(&app, &w.agent, &ids[0], json!({"action": "take"})).await;
    assert_eq!(
        refs(&list(&app, &w.technicien, "state=in_progress").await),
        ["Dupont-Lefèvre dossier"]
    );
    assert_eq!(
        refs(&list(&app, &w.technicien, "state=submitted").await).len(),
        3,
        "the state index moved with the state"
    );
    assert_eq!(
        refs(&list(&app, &w.technicien, "state=in_progress&name=eloi").await),
        ["Dupont-Lefèvre dossier"]
    );
    let t0 = ep_common::domain::calendar::paris_date(app.clock.now_ts());
    let day = |n: i64| {
        t0.checked_sub(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        refs(
            &list(
                &app,
                &w.technicien,
                &format!("from={}&to={}", day(3), day(2))
            )
            .await
        ),
        ["Dupuis signalement", "Martin contact"]
    );
    // Bad filters: 422 naming the field; a forged cursor: 400.
    let res = app
        .call(
            "GET",
            "/api/requests?state=fini&name=x",
            None,
            Some(&w.technicien),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.json()["errors"]["state"].is_string() && res.json()["errors"]["name"].is_string());
    let res = app
        .call("GET", "/api/requests?cursor=abc", None, Some(&w.technicien))
        .await;
    assert_eq!(res.status, 400);
    // Agents use the queue, not the partner's history.
    let res = app.call("GET", "/api/requests", None, Some(&w.agent)).await;
    assert_eq!(res.status, 404);
    // Pages of 20.
    for _ in 0..22 {
        submitted(&app, &w, form(&w.caisse, "contact")).await;
    }
    let p1 = list(&app, &w.technicien, "").await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 20);
    let next = p1["next"].as_str().unwrap();
    let p2 = list(
        &app,
        &w.technicien,
        &format!("cursor={}", next.replace('#', "%23")),
    )
    .await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 6);
    assert_eq!(p2["next"], Value::Null);
    let first_ids: Vec<&Value> = p1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert!(
        p2["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| !first_ids.contains(&&i["id"]))
    );
    // A name longer than the indexed prefix, over several pages: nothing lost.
    let mut found = 0;
    let mut query = "name=dupont-lefevre".to_owned();
    for _ in 0..5 {
        let p = list(&app, &w.technicien, &query).await;
        found += refs(&p).len();
        match p["next"].as_str() {
            Some(c) => query = format!("name=dupont-lefevre&cursor={}", c.replace('#', "%23")),
            None => break,
        }
    }
    assert_eq!(found, 23);
}

#[tokio::test]
async fn the_queue_is_oldest_first_with_counts_and_filters() {
    let app = spawn_app().await;
    let w = world(&app, "queue", "ccas", &ALL).await;
    let mut ids = Vec::new();
    for kind in ["contact", "dossier", "contact"] {
        ids.push(
            submitted(&app, &w, form(&w.caisse, kind)).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        app.clock.advance(SignedDuration::from_mins(5));
    }
    let q = app.call("GET", "/api/queue", None, Some(&w.agent)).await;
    assert_eq!(q.status, 200, "{}", q.text());
    let q = q.json();
    let got: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        ids.iter().map(String::as_str).collect::<Vec<_>>(),
        "oldest first"
    );
    assert_eq!(q["counts"]["submitted"], 3);
    act(&app, &w.agent, &ids[1], json!({"action": "take"})).await;
    let q = app
        .call(
            "GET",
            "/api/queue?state=in_progress&assigned=me",
            None,
            Some(&w.agent),
        )
        .await
        .json();
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    assert_eq!(q["counts"]["submitted"], 2);
    assert_eq!(q["counts"]["in_progress"], 1);
    let q = app
        .call("GET", "/api/queue?type=contact", None, Some(&w.agent))
        .await
        .json();
    assert_eq!(q["items"].as_array().unwrap().len(), 2);
    let q = app
        .call(
            "GET",
            &format!(
                "/api/queue?partner_id={}&assigned=none&type=contact",
                w.partner
            ),
            None,
            Some(&w.agent),
        )
        .await
        .json();
    assert_eq!(q["items"].as_array().unwrap().len(), 2);
    let res = app
        .call("GET", "/api/queue", None, Some(&w.technicien))
        .await;
    assert_eq!(res.status, 404, "partners have no queue");
}

/// Every route of the requests function with a request id: a user of another
/// partner and an agent of another caisse get 404; their lists never show it.
async fn tenant_isolation_on_every_request_endpoint(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let a = world(&app, "isoa", "ccas", &ALL).await;
    let b = world(&app, "isob", "ccas", &ALL).await;
    let r = submitted(&app, &a, form(&a.caisse, "dossier")).await;
    let id = r["id"].as_str().unwrap();
    let defs = ep_gateway::template::functions(ep_gateway::template::TEMPLATE).unwrap();
    let f = defs.iter().find(|d| d.binary == "ep-requests").unwrap();
    let mut checked = 0;
    for route in &f.routes {
        if !route.path.contains("{request_id}") {
            continue;
        }
        let path = route.path.replace("{request_id}", id);
        for (who, cookie) in [
            ("agent B", &b.agent),
            ("gestionnaire B", &b.gestionnaire),
            ("technicien B", &b.technicien),
        ] {
            for action in ["take", "reply", "close", "message"] {
                let body = json!({"action": action, "message": "Bonjour"});
                let res = app
                    .call(&route.method, &path, Some(body), Some(cookie))
                    .await;
                assert_eq!(
                    res.status,
                    404,
                    "{who} {} {path}: {}",
                    route.method,
                    res.text()
                );
                assert!(!res.text().contains("Dupont"));
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 2);
    let lists: Vec<(String, &String)> = vec![
        ("/api/requests".into(), &b.technicien),
        ("/api/requests?name=dupont".into(), &b.gestionnaire),
        ("/api/queue".into(), &b.agent),
        (format!("/api/queue?partner_id={}", a.partner), &b.agent),
    ];
    for (path, cookie) in lists {
        let text = app.call("GET", &path, None, Some(cookie)).await.text();
        assert!(
            !text.contains(id) && !text.contains("Dupont"),
            "{path}: {text}"
        );
    }
    // Unknown or malformed ids: 404 as well.
    for bad in ["0123456789abcdef0123456789abcdef", "..%2F..", "x"] {
        let res = app
            .call("GET", &format!("/api/requests/{bad}"), None, Some(&a.agent))
            .await;
        assert_eq!(res.status, 404, "{bad}");
    }
    // A's sides still see it.
    for cookie in [&a.agent, &a.gestionnaire, &a.technicien] {
        let res = app
            .call("GET", &format!("/api/requests/{id}"), None, Some(cookie))
            .await;
        assert_eq!(res.status, 200);
    }
}

fn outbox_texts(app: &TestApp) -> Vec<(String, String)> {
    use ep_common::mail::{decode_header, header_of, text_part};
    app.outbox()
        .iter()
        .map(|e| {
            let subject = header_of(&e.raw, "Subject")
                .map(|s| decode_header(&s))
                .unwrap_or_default();
            (
                subject,
                format!("{}\n{}", text_part(&e.raw).unwrap_or_default(), e.raw),
            )
        })
        .collect()
}

/// A whole journey's emails say that something changed, give the reference and a
/// link, and carry neither the assuré's identity nor any text of the thread.
async fn the_emails_of_a_journey_carry_no_identity_and_no_free_text(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "mail", "ccas", &ALL).await;
    let before = app.outbox().len();
    let mut f = form(&w.caisse, "dossier");
    f["assure"]["nom"] = json!("Quincampoix");
    f["assure"]["prenom"] = json!("Zoé");
    f["assure"]["date_naissance"] = json!("1953-07-19");
    f["message"] = json!("Dossier de renouvellement transmis par la mairie annexe.");
    let r = submitted(&app, &w, f).await;
    let id = r["id"].as_str().unwrap();
    let reference = r["reference"].as_str().unwrap().to_owned();
    let texts = [
        "Pourriez-vous joindre le justificatif de domicile ?",
        "Justificatif déposé au guichet mardi.",
        "Votre dossier est accepté depuis le premier du mois.",
    ];
    act(&app, &w.agent, id, json!({"action": "take"})).await;
    act(
        &app,
        &w.agent,
        id,
        json!({"action": "ask", "message": texts[0]}),
    )
    .await;
    act(
        &app,
        &w.technicien,
        id,
        json!({"action": "reply", "message": texts[1]}),
    )
    .await;
    act(
        &app,
        &w.agent,
        id,
        json!({"action": "answer", "message": texts[2]}),
    )
    .await;
    let res = act(&app, &w.technicien, id, json!({"action": "close"})).await;
    assert_eq!(res.json()["state"], "closed");
    let mails = outbox_texts(&app).split_off(before);
    // new (agent), taken, info requested (technicien), replied (agent), answered, closed (agent)
    assert_eq!(
        mails.len(),
        6,
        "{:?}",
        mails.iter().map(|m| &m.0).collect::<Vec<_>>()
    );
    for (subject, body) in &mails {
        assert!(subject.contains(&reference), "{subject}");
        assert!(
            body.contains(&format!("/demandes/demande?id={id}")),
            "{subject}"
        );
        for secret in [
            "Quincampoix",
            "Zoé",
            "Zo=C3=A9",
            "1953",
            "19/07",
            "renouvellement",
            texts[0],
            texts[1],
            texts[2],
        ] {
            assert!(!body.contains(secret), "{subject} contains {secret}");
        }
    }
    assert!(
        app.last_email_to(&w.tech_email)
            .unwrap()
            .contains(&reference)
    );
}

fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .map(|b| b.windows(needle.len()).any(|w| w == needle))
            .unwrap_or(false)
        {
            hits.push(path.display().to_string());
        }
    }
    hits
}

/// Closed requests and everything attached are deleted 12 months after closing (not
/// before), and their content leaves every file of the data directory.
#[tokio::test]
async fn closed_requests_are_deleted_after_retention_and_erased_from_every_file() {
    let app = spawn_app().await;
    let w = world(&app, "ret", "ccas", &ALL).await;
    let (nom, message) = ("Vranckenbosch", "Xylophone-administratif-unique-42");
    let mut f = form(&w.caisse, "contact");
    f["assure"]["nom"] = json!(nom);
    f["message"] = json!(message);
    let r = submitted(&app, &w, f.clone()).await;
    let id = r["id"].as_str().unwrap().to_owned();
    let reference = r["reference"].as_str().unwrap().to_owned();
    // Another request, still open: kept.
    let kept = submitted(&app, &w, form(&w.caisse, "dossier")).await;
    act(&app, &w.agent, &id, json!({"action": "take"})).await;
    act(
        &app,
        &w.agent,
        &id,
        json!({"action": "message", "message": "Message-agent-unique-77"}),
    )
    .await;
    act(&app, &w.agent, &id, json!({"action": "close"})).await;
    let data = app.dir.0.join("data");
    let ctx = app.app.ctx.clone();
    // Eleven months later: still there.
    app.clock.advance(SignedDuration::from_hours(24 * 335));
    let report = ep_maintenance::run(&ctx).await.unwrap();
    assert_eq!(report.request_purge.done, 0);
    let table = app.app.ctx.table.clone();
    let (t, caisse) = (table.as_ref(), w.caisse.clone());
    assert!(ep_common::requests::load(t, &id).await.unwrap().is_some());
    // Past twelve months: deleted with its thread, index items and reference.
    app.clock.advance(SignedDuration::from_hours(24 * 32));
    let report = ep_maintenance::run(&ctx).await.unwrap();
    assert_eq!(report.request_purge.done, 1, "{report:?}");
    assert!(ep_common::requests::load(t, &id).await.unwrap().is_none());
    let partner_list = ep_common::table::Query::new(
        ep_common::table::Index::Table,
        ep_common::requests::history_pk(&w.partner, None),
    );
    let left = t.query_all(&partner_list).await.unwrap();
    assert_eq!(left.len(), 1, "only the open request is listed");
    assert_eq!(left[0].get_str("id"), kept["id"].as_str());
    let closed_queue = ep_common::table::Query::new(
        ep_common::table::Index::Table,
        ep_common::requests::queue_pk(
            &caisse,
            ep_common::domain::requests::RequestState::Closed,
            None,
        ),
    );
    assert!(t.query_all(&closed_queue).await.unwrap().is_empty());
    let counts = ep_common::requests::counts(t, &caisse).await.unwrap();
    assert_eq!((counts.closed, counts.submitted), (0, 1));
    let (rpk, rsk) = ep_common::requests::reference_key(&reference);
    assert!(table.get(&rpk, &rsk).await.unwrap().is_none());
    for needle in [nom, message, "Message-agent-unique-77", reference.as_str()] {
        let hits = files_containing(&data, needle.as_bytes());
        assert!(hits.is_empty(), "{needle} still in {hits:?}");
    }
    // The purge is recorded with ids only.
    let again = ep_maintenance::run(&ctx).await.unwrap();
    assert_eq!(again.request_purge.done, 0);
}

/// The Table port with a count of store round trips.
pub(crate) struct Counting {
    pub(crate) inner: std::sync::Arc<dyn ep_common::table::Table>,
    pub(crate) n: std::sync::atomic::AtomicU64,
}

impl Counting {
    fn tick(&self) {
        self.n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    pub(crate) fn take(&self) -> u64 {
        self.n.swap(0, std::sync::atomic::Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl ep_common::table::Table for Counting {
    async fn get(
        &self,
        pk: &str,
        sk: &str,
    ) -> Result<Option<ep_common::table::Item>, ep_common::table::StoreError> {
        self.tick();
        self.inner.get(pk, sk).await
    }
    async fn get_many(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<Option<ep_common::table::Item>>, ep_common::table::StoreError> {
        self.tick();
        self.inner.get_many(keys).await
    }
    async fn put(
        &self,
        item: ep_common::table::Item,
        cond: Cond,
    ) -> Result<(), ep_common::table::StoreError> {
        self.tick();
        self.inner.put(item, cond).await
    }
    async fn delete(
        &self,
        pk: &str,
        sk: &str,
        cond: Cond,
    ) -> Result<(), ep_common::table::StoreError> {
        self.tick();
        self.inner.delete(pk, sk, cond).await
    }
    async fn query(
        &self,
        q: &ep_common::table::Query,
    ) -> Result<ep_common::table::Page, ep_common::table::StoreError> {
        self.tick();
        self.inner.query(q).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), ep_common::table::StoreError> {
        self.tick();
        self.inner.transact(writes).await
    }
}

/// Each history page (and the queue page) costs at most 2 store round trips after
/// the session check, whatever the filter (README « Data layout: requests »).
#[tokio::test]
async fn a_list_page_costs_at_most_two_store_round_trips_after_the_session_check() {
    let app = spawn_app().await;
    let w = world(&app, "rt", "ccas", &ALL).await;
    for (nom, kind) in [
        ("Dupont", "contact"),
        ("Durand", "dossier"),
        ("Dupuis", "contact"),
    ] {
        let mut f = form(&w.caisse, kind);
        f["assure"]["nom"] = json!(nom);
        submitted(&app, &w, f).await;
    }
    let counting = std::sync::Arc::new(Counting {
        inner: app.app.ctx.table.clone(),
        n: Default::default(),
    });
    let mut ctx = app.app.ctx.clone();
    ctx.table = counting.clone();
    let event = |route: &str, path: &str, query: &str, cookie: &str| {
        let params: serde_json::Map<String, Value> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect();
        let e = json!({
            "version": "2.0", "routeKey": route, "rawPath": path, "rawQueryString": query,
            "headers": {"host": "127.0.0.1", "cookie": cookie},
            "queryStringParameters": params,
            "requestContext": {
                "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                         "sourceIp": "192.0.2.1", "userAgent": "test"},
                "routeKey": route, "stage": "$default", "timeEpoch": 0
            },
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&e.to_string()).expect("event")
    };
    let cases = [
        ("GET /api/requests", "/api/requests", "", &w.technicien, 3),
        (
            "GET /api/requests",
            "/api/requests",
            "state=submitted",
            &w.technicien,
            3,
        ),
        (
            "GET /api/requests",
            "/api/requests",
            "type=contact",
            &w.gestionnaire,
            2,
        ),
        (
            "GET /api/requests",
            "/api/requests",
            "name=dup",
            &w.technicien,
            2,
        ),
        (
            "GET /api/requests",
            "/api/requests",
            "name=dupont",
            &w.technicien,
            1,
        ),
        (
            "GET /api/requests",
            "/api/requests",
            "type=contact&name=dupuis&state=submitted",
            &w.technicien,
            1,
        ),
        ("GET /api/queue", "/api/queue", "", &w.agent, 3),
        (
            "GET /api/queue",
            "/api/queue",
            "type=contact&assigned=none",
            &w.agent,
            2,
        ),
    ];
    for (route, path, query, cookie, rows) in cases {
        counting.take();
        let req = event(route, path, query, cookie);
        ep_common::sessions::require(&ctx, &req, ep_common::sessions::Gate::Full)
            .await
            .expect("session");
        let session = counting.take();
        let res = ep_requests::handle(ctx.clone(), event(route, path, query, cookie)).await;
        let total = counting.take();
        assert_eq!(res.status(), 200, "{route}?{query}");
        eprintln!(
            "{route}?{query}: session check {session}, page {}",
            total - session
        );
        let body: Value = serde_json::from_slice(res.body().as_ref()).unwrap();
        assert_eq!(
            body["items"].as_array().unwrap().len(),
            rows,
            "{route}?{query}"
        );
        assert!(
            total - session <= 2,
            "{route}?{query}: {} round trips after the session check ({session})",
            total - session
        );
    }
}
