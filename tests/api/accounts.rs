//! Partners, conventions and the account lifecycle (SPEC §1–§3, convention §2.2,
//! §4.1, §4.2), through the API as the pages use it.

use ep_tests::{Mode, TestApp, spawn_app, spawn_in};
use jiff::SignedDuration;
use serde_json::{Value, json};

both_modes!(
    spec_3_technicien_quota_in_every_band_at_the_limit_and_one_over,
    spec_3_gestionnaire_quota_in_every_band,
    spec_3_emails_must_be_professional_addresses_of_the_structure,
    spec_3_a_new_technicien_activates_from_the_email_and_signs_in,
    spec_2_2_3_any_gestionnaire_inactivates_a_technicien_at_once,
    spec_4_1_exclusion_ends_sessions_and_notifies_the_gestionnaires,
    spec_4_1_suspension_blocks_every_partner_user_until_reinstated,
    spec_2_2_2_gestionnaire_changes_are_applied_by_the_caisse_only,
    spec_4_2_csv_export_and_review_confirmation_seen_by_the_caisse,
    spec_3_3_the_help_page_shows_the_caisse_referents,
    only_the_admin_or_an_admin_agent_manages_agents,
    convention_can_be_edited_and_functionalities_named,
    spec_5_control_bidi_and_invisible_characters_are_refused_naming_the_field,
    oversized_names_and_bodies_are_refused_naming_the_field_or_the_size,
);

pub(crate) const PW: &str = "Tournesol-Brillant-42";

/// Activates the account whose creation email went to `email`, signs in, accepts
/// the CGU. Returns (identifiant, cookie).
pub(crate) async fn activate(app: &TestApp, email: &str) -> (String, String) {
    let ident = app
        .identifiant_in_email(email)
        .unwrap_or_else(|| panic!("account email to {email}"));
    let token = app
        .link_token(email, "activation")
        .expect("activation link");
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

/// One caisse with an admin agent, one partner conventioned with it, one active
/// gestionnaire.
pub(crate) struct World {
    pub(crate) admin: String,
    pub(crate) caisse: String,
    pub(crate) agent: String,
    pub(crate) partner: String,
    pub(crate) gestionnaire: String,
    pub(crate) gestionnaire_id: String,
    pub(crate) domain: String,
}

pub(crate) async fn caisse(
    app: &TestApp,
    admin: &str,
    name: &str,
    agent_email: &str,
) -> (String, String) {
    let res = app
        .post(
            "/api/caisses",
            json!({
                "name": name, "address": "1 rue de l'Exemple, 69000 Lyon",
                "alt_contact": "Téléphone 36 46, accueil sur rendez-vous",
                "referents": [{"nom": "Claire Référente", "email": format!("referente@{}", agent_email.split('@').nth(1).unwrap())}]
            }),
            Some(admin),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let caisse_id = res.json()["id"].as_str().unwrap().to_owned();
    let mut agent = person("Agathe", "Agent", agent_email);
    agent["caisse_admin"] = json!(true);
    let res = app
        .post(
            &format!("/api/caisses/{caisse_id}/agents"),
            agent,
            Some(admin),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let (_, cookie) = activate(app, agent_email).await;
    (caisse_id, cookie)
}

pub(crate) async fn partner(
    app: &TestApp,
    agent: &str,
    name: &str,
    domain: &str,
    members: u32,
) -> String {
    let res = app
        .post(
            "/api/partners",
            json!({
                "name": name, "siret": ep_tests::next_siret(),
                "address": "2 place de la Mairie, 69130 Exempleville", "category": "ccas",
                "members": members, "allowed_domains": [domain],
                "convention": {"start": "2026-01-01", "functionalities": ["contact", "dossier", "historique"]}
            }),
            Some(agent),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()["id"].as_str().unwrap().to_owned()
}

/// Records and approves a gestionnaire; returns (user id, cookie).
pub(crate) async fn gestionnaire(
    app: &TestApp,
    agent: &str,
    partner_id: &str,
    email: &str,
) -> (String, String) {
    let res = app
        .post(
            &format!("/api/partners/{partner_id}/habilitations"),
            person("Gaëlle", "Gestion", email),
            Some(agent),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let req_id = res.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/habilitations/{req_id}/approve"),
            json!({}),
            Some(agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let user_id = res.json()["account"]["id"].as_str().unwrap().to_owned();
    let (_, cookie) = activate(app, email).await;
    (user_id, cookie)
}

pub(crate) async fn world(app: &TestApp, tag: &str, members: u32) -> World {
    let admin = match app.app.created_admin {
        Some(_) if app.outbox().len() == 1 => app.ready_admin(PW).await.1,
        _ => {
            let ident = app
                .identifiant_in_email(&app.app.ctx.config.admin_email)
                .unwrap();
            app.login(&ident, PW).await
        }
    };
    let (caisse_id, agent) = caisse(
        app,
        &admin,
        &format!("CPAM {tag}"),
        &format!("agent@cpam-{tag}.example.org"),
    )
    .await;
    let domain = format!("ccas-{tag}.example.org");
    let partner_id = partner(app, &agent, &format!("CCAS {tag}"), &domain, members).await;
    let (gid, g) = gestionnaire(app, &agent, &partner_id, &format!("gestionnaire@{domain}")).await;
    World {
        admin,
        caisse: caisse_id,
        agent,
        partner: partner_id,
        gestionnaire: g,
        gestionnaire_id: gid,
        domain,
    }
}

pub(crate) async fn create_technicien(
    app: &TestApp,
    w: &World,
    local: &str,
) -> ep_tests::TestResponse {
    app.post(
        &format!("/api/partners/{}/techniciens", w.partner),
        person("Théo", "Technicien", &format!("{local}@{}", w.domain)),
        Some(&w.gestionnaire),
    )
    .await
}

async fn put_members(app: &TestApp, w: &World, members: u32) {
    let res = app
        .call(
            "PUT",
            &format!("/api/partners/{}", w.partner),
            Some(json!({
                "name": "CCAS renommé", "address": "2 place de la Mairie", "category": "ccas",
                "members": members, "allowed_domains": [w.domain]
            })),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

async fn spec_3_technicien_quota_in_every_band_at_the_limit_and_one_over(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "quota", 10).await;
    let mut n = 0;
    for (members, limit) in [(10, 5), (11, 15), (25, 15), (26, 25)] {
        put_members(&app, &w, members).await;
        while n < limit {
            let res = create_technicien(&app, &w, &format!("tech{n}")).await;
            assert_eq!(res.status, 201, "members {members}, #{n}: {}", res.text());
            n += 1;
        }
        let outbox_before = app.outbox().len();
        let over = create_technicien(&app, &w, &format!("tech{n}-over")).await;
        assert_eq!(over.status, 409, "members {members}: one over the limit");
        assert_eq!(over.json()["code"], "quota.exceeded");
        assert!(
            over.json()["detail"]
                .as_str()
                .unwrap()
                .contains(&limit.to_string()),
            "{}",
            over.text()
        );
        assert_eq!(
            app.outbox().len(),
            outbox_before,
            "nothing written on refusal"
        );
    }
    // Fewer members than the accounts need: nothing deleted, creations blocked.
    put_members(&app, &w, 5).await;
    let list = app
        .call(
            "GET",
            &format!("/api/partners/{}/accounts", w.partner),
            None,
            Some(&w.gestionnaire),
        )
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 26);
    assert_eq!(list["techniciens"], json!({"used": 25, "max": 5}));
    assert_eq!(create_technicien(&app, &w, "late").await.status, 409);
}

async fn spec_3_gestionnaire_quota_in_every_band(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "gq", 10).await;
    let mut n = 1;
    for (members, limit) in [(10, 2), (11, 3), (26, 5)] {
        put_members(&app, &w, members).await;
        while n < limit {
            gestionnaire(&app, &w.agent, &w.partner, &format!("g{n}@{}", w.domain)).await;
            n += 1;
        }
        let res = app
            .post(
                &format!("/api/partners/{}/habilitations", w.partner),
                person("Un", "Deplus", &format!("over{n}@{}", w.domain)),
                Some(&w.agent),
            )
            .await;
        let id = res.json()["id"].as_str().unwrap().to_owned();
        let over = app
            .post(
                &format!("/api/habilitations/{id}/approve"),
                json!({}),
                Some(&w.agent),
            )
            .await;
        assert_eq!(over.status, 409, "members {members}");
        assert_eq!(over.json()["code"], "quota.exceeded");
        assert!(
            over.json()["detail"]
                .as_str()
                .unwrap()
                .contains(&limit.to_string())
        );
        let reject = app
            .post(
                &format!("/api/habilitations/{id}/reject"),
                json!({"reason": "Quota atteint pour la structure"}),
                Some(&w.agent),
            )
            .await;
        assert_eq!(reject.status, 200);
    }
}

async fn spec_3_emails_must_be_professional_addresses_of_the_structure(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "mail", 10).await;
    for (email, fragment) in [
        ("theo@gmail.com", "gmail.com"),
        ("theo@autre-structure.example.org", "domaine"),
    ] {
        let res = app
            .post(
                &format!("/api/partners/{}/techniciens", w.partner),
                person("Théo", "Tech", email),
                Some(&w.gestionnaire),
            )
            .await;
        assert_eq!(res.status, 422, "{email}");
        let msg = res.json()["errors"]["email"].as_str().unwrap().to_owned();
        assert!(
            msg.contains(fragment) || msg.contains("professionnelle"),
            "{email}: {msg}"
        );
    }
    let res = app
        .post(
            &format!("/api/partners/{}/techniciens", w.partner),
            json!({"nom": "", "email": "x"}),
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(res.status, 422);
    let errors = res.json()["errors"].clone();
    for f in [
        "civilite",
        "nom",
        "prenom",
        "fonction",
        "telephone",
        "email",
    ] {
        assert!(errors[f].is_string(), "{f} named: {errors}");
    }
    // A partner cannot list a webmail domain as its own.
    let res = app
        .post(
            "/api/partners",
            json!({"name": "X", "siret": ep_tests::next_siret(), "address": "Y", "category": "ccas", "members": 3, "allowed_domains": ["orange.fr"],
                   "convention": {"start": "2026-01-01"}}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.json()["errors"]["allowed_domains"]
            .as_str()
            .unwrap()
            .contains("orange.fr")
    );
}

async fn spec_3_a_new_technicien_activates_from_the_email_and_signs_in(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "act", 10).await;
    let res = create_technicien(&app, &w, "theo").await;
    assert_eq!(res.status, 201);
    let t = res.json();
    assert_eq!(t["status"], "pending");
    assert_eq!(t["attached_to"], w.gestionnaire_id.as_str());
    let (_, cookie) = activate(&app, &format!("theo@{}", w.domain)).await;
    let me = app.call("GET", "/api/me", None, Some(&cookie)).await.json();
    assert_eq!(me["profile"], "technicien");
    assert_eq!(me["organisation"]["id"], w.partner.as_str());
    // A technicien manages nothing.
    let res = app
        .call(
            "GET",
            &format!("/api/partners/{}/accounts", w.partner),
            None,
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status, 404);
    let res = create_technicien(
        &app,
        &World {
            gestionnaire: cookie.clone(),
            ..w
        },
        "other",
    )
    .await;
    assert_eq!(res.status, 404);
}

async fn second_gestionnaire(app: &TestApp, w: &World) -> (String, String) {
    gestionnaire(app, &w.agent, &w.partner, &format!("second@{}", w.domain)).await
}

#[tokio::test]
async fn spec_2_2_3_gestionnaire_inactivation_needs_15_days_notice() {
    let app = spawn_app().await;
    let w = world(&app, "notice", 10).await;
    let (g2, _) = second_gestionnaire(&app, &w).await;
    let today = ep_common::domain::calendar::paris_date(app.clock.now_ts());
    let at = |days: i64| {
        today
            .checked_add(jiff::Span::new().days(days))
            .unwrap()
            .to_string()
    };
    let res = app
        .post(
            &format!("/api/partners/{}/inactivations", w.partner),
            json!({"user_id": g2, "wanted_on": at(14)}),
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(
        res.json()["errors"]["wanted_on"]
            .as_str()
            .unwrap()
            .contains("15 jours")
    );
    let res = app
        .post(
            &format!("/api/partners/{}/inactivations", w.partner),
            json!({"user_id": g2, "wanted_on": at(15)}),
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["state"], "scheduled");
    let list = app
        .call("GET", "/api/inactivations", None, Some(&w.agent))
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn spec_2_2_3_the_last_active_gestionnaire_cannot_be_inactivated() {
    let app = spawn_app().await;
    let w = world(&app, "last", 10).await;
    let today = ep_common::domain::calendar::paris_date(app.clock.now_ts());
    let later = today
        .checked_add(jiff::Span::new().days(30))
        .unwrap()
        .to_string();
    let res = app
        .post(
            &format!("/api/partners/{}/inactivations", w.partner),
            json!({"user_id": w.gestionnaire_id, "wanted_on": later}),
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.text());
    assert_eq!(res.json()["code"], "account.last_gestionnaire");
    assert!(
        res.json()["detail"]
            .as_str()
            .unwrap()
            .contains("nouveau gestionnaire")
    );
}

/// One succession rule (issue 9): the successor the request announces when it is
/// created is the one the scheduler uses when it applies it, with three
/// gestionnaires of different ages (the default: the most recently created other
/// active gestionnaire, not the first found).
#[tokio::test]
async fn spec_2_2_3_the_successor_planned_at_request_is_the_one_the_scheduler_applies() {
    let app = spawn_app().await;
    let w = world(&app, "succ", 30).await;
    let t1 = create_technicien(&app, &w, "t1").await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(SignedDuration::from_mins(10));
    let (g2, g2_cookie) = second_gestionnaire(&app, &w).await;
    app.clock.advance(SignedDuration::from_mins(10));
    let (g3, _) = gestionnaire(
        &app,
        &w.agent,
        &w.partner,
        &format!("troisieme@{}", w.domain),
    )
    .await;
    app.clock.advance(SignedDuration::from_mins(10));
    let today = ep_common::domain::calendar::paris_date(app.clock.now_ts());
    let later = today.checked_add(jiff::Span::new().days(16)).unwrap();
    let res = app
        .post(
            &format!("/api/partners/{}/inactivations", w.partner),
            json!({"user_id": w.gestionnaire_id, "wanted_on": later.to_string()}),
            Some(&g2_cookie),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let planned = res.json()["planned_successor_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(planned, g3, "the most recently created other gestionnaire");
    assert_ne!(planned, g2);
    app.clock.advance(SignedDuration::from_hours(24 * 17));
    let report = app.app.run_maintenance().await.unwrap();
    assert_eq!(report.inactivation.done, 1, "{report:?}");
    let t = ep_common::users::get_user(app.app.ctx.table.as_ref(), &t1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.attached_to.as_deref(), Some(planned.as_str()));
    let g1 = ep_common::users::get_user(app.app.ctx.table.as_ref(), &w.gestionnaire_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(g1.status, ep_common::users::Status::Inactive);
}

#[tokio::test]
async fn spec_2_2_3_techniciens_are_reattached_to_the_new_gestionnaire() {
    let app = spawn_app().await;
    let w = world(&app, "reat", 10).await;
    let t1 = create_technicien(&app, &w, "t1").await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t2 = create_technicien(&app, &w, "t2").await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (g2, g2_cookie) = second_gestionnaire(&app, &w).await;
    let today = ep_common::domain::calendar::paris_date(app.clock.now_ts());
    let later = today
        .checked_add(jiff::Span::new().days(20))
        .unwrap()
        .to_string();
    let res = app
        .post(
            &format!("/api/partners/{}/inactivations", w.partner),
            json!({"user_id": w.gestionnaire_id, "wanted_on": later}),
            Some(&g2_cookie),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let req_id = res.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/inactivations/{req_id}/apply"),
            json!({}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["successor_id"], g2.as_str());
    let list = app
        .call(
            "GET",
            &format!("/api/partners/{}/accounts", w.partner),
            None,
            Some(&g2_cookie),
        )
        .await
        .json();
    for item in list["items"].as_array().unwrap() {
        if item["id"] == t1.as_str() || item["id"] == t2.as_str() {
            assert_eq!(item["status"], "pending", "techniciens stay as they were");
            assert_eq!(item["attached_to"], g2.as_str());
        }
        if item["id"] == w.gestionnaire_id.as_str() {
            assert_eq!(item["status"], "inactive");
        }
    }
    assert_eq!(list["gestionnaires"]["used"], 1);
    assert_eq!(
        app.call("GET", "/api/me", None, Some(&w.gestionnaire))
            .await
            .status,
        401,
        "sessions ended"
    );
}

async fn spec_2_2_3_any_gestionnaire_inactivates_a_technicien_at_once(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "tinact", 10).await;
    let res = create_technicien(&app, &w, "theo").await;
    let tid = res.json()["id"].as_str().unwrap().to_owned();
    let (_, t_cookie) = activate(&app, &format!("theo@{}", w.domain)).await;
    let (_, g2) = second_gestionnaire(&app, &w).await;
    let res = app
        .post(
            &format!("/api/partners/{}/techniciens/{tid}/inactivate", w.partner),
            json!({}),
            Some(&g2),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "inactive");
    assert_eq!(
        app.call("GET", "/api/me", None, Some(&t_cookie))
            .await
            .status,
        401
    );
    let mail = app.last_email_to(&format!("theo@{}", w.domain)).unwrap();
    assert!(mail.contains("inactivé"), "{mail}");
    let again = app
        .post(
            &format!("/api/partners/{}/techniciens/{tid}/inactivate", w.partner),
            json!({}),
            Some(&g2),
        )
        .await;
    assert_eq!(again.status, 409);
    let list = app
        .call(
            "GET",
            &format!("/api/partners/{}/accounts", w.partner),
            None,
            Some(&g2),
        )
        .await
        .json();
    assert_eq!(list["techniciens"]["used"], 0);
}

async fn spec_4_1_exclusion_ends_sessions_and_notifies_the_gestionnaires(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "excl", 10).await;
    let tid = create_technicien(&app, &w, "theo").await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, t_cookie) = activate(&app, &format!("theo@{}", w.domain)).await;
    assert_eq!(
        app.call("GET", "/api/me", None, Some(&t_cookie))
            .await
            .status,
        200
    );
    let res = app
        .post(
            &format!("/api/partners/{}/accounts/{tid}/exclude", w.partner),
            json!({"reason": "vol"}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["account"]["status"], "inactive");
    assert_eq!(body["account"]["inactivation_reason"], "exclusion_vol");
    assert_eq!(
        body["notice"]["notified"],
        json!([format!("gestionnaire@{}", w.domain)])
    );
    assert_eq!(
        app.call("GET", "/api/me", None, Some(&t_cookie))
            .await
            .status,
        401,
        "session ended at once"
    );
    let mail = app
        .last_email_to(&format!("gestionnaire@{}", w.domain))
        .unwrap();
    assert!(mail.contains("vol des identifiants"), "{mail}");
    // The notice is kept as proof, visible to the caisse and the partner.
    let notices = app
        .call(
            "GET",
            &format!("/api/partners/{}/notices", w.partner),
            None,
            Some(&w.gestionnaire),
        )
        .await
        .json();
    assert_eq!(notices["items"].as_array().unwrap().len(), 1);
    assert_eq!(notices["items"][0]["by"], body["notice"]["by"]);
    let bad = app
        .post(
            &format!("/api/partners/{}/accounts/{tid}/exclude", w.partner),
            json!({"reason": "humeur"}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(bad.status, 422);
}

async fn spec_4_1_suspension_blocks_every_partner_user_until_reinstated(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "susp", 10).await;
    create_technicien(&app, &w, "theo").await;
    let (_, t_cookie) = activate(&app, &format!("theo@{}", w.domain)).await;
    let res = app
        .post(
            &format!("/api/partners/{}/suspend", w.partner),
            json!({"reason": "non_conforme"}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    for cookie in [&w.gestionnaire, &t_cookie] {
        let res = app.call("GET", "/api/partners", None, Some(cookie)).await;
        assert_eq!(res.status, 403);
        assert_eq!(res.json()["code"], "partner.suspended");
        // The help page (the caisse's contacts) stays open.
        let res = app.call("GET", "/api/help", None, Some(cookie)).await;
        assert_eq!(res.status, 200);
    }
    assert_eq!(create_technicien(&app, &w, "during").await.status, 403);
    // The caisse still sees the partner, marked suspended.
    let p = app
        .call(
            "GET",
            &format!("/api/partners/{}", w.partner),
            None,
            Some(&w.agent),
        )
        .await
        .json();
    assert_eq!(p["status"], "suspended");
    let res = app
        .post(
            &format!("/api/partners/{}/reinstate", w.partner),
            json!({}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        app.call("GET", "/api/partners", None, Some(&t_cookie))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn spec_2_2_1_habilitation_requests_are_due_in_5_working_days_overdue_first() {
    let app = spawn_app().await;
    // 2026-11-26 is a Thursday: 5 working days later is Thursday 3 December.
    let w = world(&app, "due", 26).await;
    let res = app
        .post(
            &format!("/api/partners/{}/habilitations", w.partner),
            person("Anne", "Premiere", &format!("a@{}", w.domain)),
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["due_on"], "2026-12-03");
    app.clock.advance(SignedDuration::from_hours(24 * 8));
    // A week later the agent signs in again.
    let ident = app
        .identifiant_in_email("agent@cpam-due.example.org")
        .unwrap();
    let agent = app.login(&ident, PW).await;
    let res = app
        .post(
            &format!("/api/partners/{}/habilitations", w.partner),
            person("Bruno", "Second", &format!("b@{}", w.domain)),
            Some(&agent),
        )
        .await;
    assert_eq!(res.status, 201);
    let list = app
        .call("GET", "/api/habilitations", None, Some(&agent))
        .await
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["nom"], "Premiere");
    assert_eq!(items[0]["overdue"], true);
    assert_eq!(items[1]["overdue"], false);
}

async fn spec_2_2_2_gestionnaire_changes_are_applied_by_the_caisse_only(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "modif", 10).await;
    let res = app
        .post(
            &format!("/api/partners/{}/modifications", w.partner),
            json!({"user_id": w.gestionnaire_id, "fonction": "Directrice", "telephone": "0472000099"}),
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let empty = app
        .post(
            &format!("/api/partners/{}/modifications", w.partner),
            json!({"user_id": w.gestionnaire_id}),
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(empty.status, 422);
    let list = app
        .call("GET", "/api/modifications", None, Some(&w.agent))
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let res = app
        .post(
            &format!("/api/modifications/{id}/apply"),
            json!({}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["account"]["fonction"], "Directrice");
    assert_eq!(res.json()["account"]["telephone"], "04 72 00 00 99");
    let again = app
        .post(
            &format!("/api/modifications/{id}/apply"),
            json!({}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(again.status, 409);
}

async fn spec_4_2_csv_export_and_review_confirmation_seen_by_the_caisse(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "csv", 10).await;
    let res = app
        .post(
            &format!("/api/partners/{}/techniciens", w.partner),
            person(
                "=Formule",
                "Piège;Point-virgule",
                &format!("csv@{}", w.domain),
            ),
            Some(&w.gestionnaire),
        )
        .await;
    // A name cannot hold = or ;: the form refuses it before the CSV ever sees it.
    assert_eq!(res.status, 422);
    create_technicien(&app, &w, "theo").await;
    let res = app
        .post(
            &format!("/api/partners/{}/reviews", w.partner),
            json!({}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 201);
    assert!(
        app.last_email_to(&format!("gestionnaire@{}", w.domain))
            .unwrap()
            .contains("revue")
    );
    let csv = app
        .call(
            "GET",
            &format!("/api/partners/{}/accounts.csv", w.partner),
            None,
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    assert!(
        csv.body.starts_with(&[0xEF, 0xBB, 0xBF]),
        "UTF-8 BOM for spreadsheets"
    );
    let text = csv.text();
    let lines: Vec<&str> = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains(';'));
    assert!(
        lines[1].starts_with("Gestionnaire;Gestion;Gaëlle"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("Technicien;Technicien;Théo"),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].contains("Gaëlle Gestion"),
        "created by: {}",
        lines[2]
    );
    let res = app
        .post(
            &format!("/api/partners/{}/reviews/confirm", w.partner),
            json!({}),
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let seen = app
        .call("GET", "/api/partners", None, Some(&w.agent))
        .await
        .json();
    assert!(
        seen["items"][0]["review_confirmed_at"].is_string(),
        "{seen}"
    );
    let audit = app
        .call(
            "GET",
            &format!("/api/partners/{}/audit", w.partner),
            None,
            Some(&w.agent),
        )
        .await
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "review.confirmed",
        "review.exported",
        "review.requested",
        "account.created",
        "habilitation.received",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

async fn spec_3_3_the_help_page_shows_the_caisse_referents(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "help", 10).await;
    let help = app
        .call("GET", "/api/help", None, Some(&w.gestionnaire))
        .await
        .json();
    assert_eq!(help["caisses"][0]["name"], "CPAM help");
    assert_eq!(
        help["caisses"][0]["referents"][0]["nom"],
        "Claire Référente"
    );
    assert!(
        help["caisses"][0]["alt_contact"]
            .as_str()
            .unwrap()
            .contains("36 46")
    );
}

async fn only_the_admin_or_an_admin_agent_manages_agents(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "agents", 10).await;
    let res = app
        .post(
            &format!("/api/caisses/{}/agents", w.caisse),
            person("Bob", "Simple", "bob@cpam-agents.example.org"),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 201, "admin agent creates agents");
    let (_, bob) = activate(&app, "bob@cpam-agents.example.org").await;
    let res = app
        .post(
            &format!("/api/caisses/{}/agents", w.caisse),
            person("Eve", "X", "eve@cpam-agents.example.org"),
            Some(&bob),
        )
        .await;
    assert_eq!(res.status, 404, "a plain agent does not");
    let res = app
        .post("/api/caisses", json!({"name": "X"}), Some(&w.agent))
        .await;
    assert_eq!(res.status, 404, "only the platform admin creates caisses");
    let agents = app
        .call(
            "GET",
            &format!("/api/caisses/{}/agents", w.caisse),
            None,
            Some(&w.admin),
        )
        .await
        .json();
    assert_eq!(agents["items"].as_array().unwrap().len(), 2);
}

/// Tenant isolation: with the ids of tenant A, users of tenant B get 404 on every
/// endpoint that takes an id, and never see A in their lists.
#[tokio::test]
async fn tenant_isolation_on_every_endpoint() {
    let app = spawn_app().await;
    let a = world(&app, "a", 10).await;
    let b = world(&app, "b", 10).await;
    let ta = create_technicien(&app, &a, "ta").await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hab = app
        .post(
            &format!("/api/partners/{}/habilitations", a.partner),
            person("Iso", "Lation", &format!("iso@{}", a.domain)),
            Some(&a.agent),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (g2, _) = second_gestionnaire(&app, &a).await;
    let modif = app
        .post(
            &format!("/api/partners/{}/modifications", a.partner),
            json!({"user_id": g2, "fonction": "Chef"}),
            Some(&a.gestionnaire),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let later = ep_common::domain::calendar::paris_date(app.clock.now_ts())
        .checked_add(jiff::Span::new().days(20))
        .unwrap()
        .to_string();
    let inact = app
        .post(
            &format!("/api/partners/{}/inactivations", a.partner),
            json!({"user_id": g2, "wanted_on": later}),
            Some(&a.gestionnaire),
        )
        .await;
    assert_eq!(inact.status, 201, "{}", inact.text());
    let inact = inact.json()["id"].as_str().unwrap().to_owned();
    let a_agent_id = app
        .call(
            "GET",
            &format!("/api/caisses/{}/agents", a.caisse),
            None,
            Some(&a.agent),
        )
        .await
        .json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let defs = ep_gateway::template::functions(ep_gateway::template::TEMPLATE).unwrap();
    let accounts_fn = defs.iter().find(|d| d.binary == "ep-accounts").unwrap();
    let mut checked = 0;
    for route in &accounts_fn.routes {
        if !route.path.contains('{') {
            continue;
        }
        let path = route
            .path
            .replace("{partner_id}", &a.partner)
            .replace("{caisse_id}", &a.caisse)
            .replace(
                "{request_id}",
                if route.path.starts_with("/api/habilitations") {
                    &hab
                } else if route.path.starts_with("/api/modifications") {
                    &modif
                } else {
                    &inact
                },
            )
            .replace(
                "{user_id}",
                if route.path.contains("/agents/") {
                    &a_agent_id
                } else {
                    &ta
                },
            );
        for (who, cookie) in [("agent B", &b.agent), ("gestionnaire B", &b.gestionnaire)] {
            let body = json!({
                "reason": "fraude", "name": "X", "address": "Y", "category": "ccas", "members": 30,
                "allowed_domains": ["ccas-b.example.org"], "start": "2026-01-01", "alt_contact": "Z",
                "civilite": "madame", "nom": "Nom", "prenom": "Prenom", "fonction": "F",
                "telephone": "0472000000", "email": "x@ccas-b.example.org", "user_id": g2, "wanted_on": later
            });
            let res = app
                .call(&route.method, &path, Some(body), Some(cookie))
                .await;
            assert_eq!(
                res.status,
                404,
                "{who} on {} {path}: {}",
                route.method,
                res.text()
            );
        }
        checked += 1;
    }
    assert!(checked >= 25, "{checked} routes checked");
    // Lists never show the other tenant.
    for (path, cookie) in [
        ("/api/partners", &b.agent),
        ("/api/partners", &b.gestionnaire),
        ("/api/habilitations", &b.agent),
        ("/api/modifications", &b.agent),
        ("/api/inactivations", &b.agent),
        ("/api/caisses", &b.agent),
        ("/api/help", &b.gestionnaire),
    ] {
        let text = app.call("GET", path, None, Some(cookie)).await.text();
        assert!(
            !text.contains(&a.partner) && !text.contains(&a.caisse) && !text.contains("CCAS a"),
            "{path}: {text}"
        );
    }
    // And tenant A's data is untouched.
    let list = app
        .call(
            "GET",
            &format!("/api/partners/{}/accounts", a.partner),
            None,
            Some(&a.gestionnaire),
        )
        .await
        .json();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["status"] != "inactive")
    );
}

async fn convention_can_be_edited_and_functionalities_named(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "conv", 10).await;
    let res = app
        .call(
            "PUT",
            &format!("/api/partners/{}/convention", w.partner),
            Some(
                json!({"start": "2026-01-01", "end": "2025-01-01", "functionalities": ["contact"]}),
            ),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.json()["errors"]["convention.end"].is_string());
    let res = app
        .call(
            "PUT",
            &format!("/api/partners/{}/convention", w.partner),
            Some(json!({"start": "2026-01-01", "end": "2027-12-31", "functionalities": ["contact", "document", "inconnue"]})),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 422);
    let res = app
        .call(
            "PUT",
            &format!("/api/partners/{}/convention", w.partner),
            Some(json!({"start": "2026-01-01", "end": "2027-12-31", "functionalities": ["contact", "document"]})),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    let labels: Vec<&str> = body["functionalities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"Contacter votre organisme d'assurance Maladie"),
        "{labels:?}"
    );
    let p = app
        .call(
            "GET",
            &format!("/api/partners/{}", w.partner),
            None,
            Some(&w.gestionnaire),
        )
        .await
        .json();
    assert_eq!(p["conventions"][0]["end"], "2027-12-31");
}

fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
        {
            hits.push(path.display().to_string());
        }
    }
    hits
}

/// SPEC §3 "Deletion": six months after an exclusion, the gestionnaire's name and
/// address are gone from every file — the request that habilitated her and the
/// modification asked about her included.
#[tokio::test]
async fn spec_3_an_excluded_gestionnaire_is_erased_six_months_later() {
    let app = spawn_app().await;
    let w = world(&app, "purge", 10).await;
    let email = format!("zephyrine.effacable@{}", w.domain);
    let res = app
        .post(
            &format!("/api/partners/{}/habilitations", w.partner),
            person("Zéphyrine", "Effaçable", &email),
            Some(&w.agent),
        )
        .await;
    let hab = res.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/habilitations/{hab}/approve"),
            json!({}),
            Some(&w.agent),
        )
        .await;
    let zid = res.json()["account"]["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/partners/{}/modifications", w.partner),
            json!({"user_id": zid, "nom": "Effaçable-Durand", "email": format!("z.durand@{}", w.domain)}),
            Some(&w.gestionnaire),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let res = app
        .post(
            &format!("/api/partners/{}/accounts/{zid}/exclude", w.partner),
            json!({"reason": "perte"}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let data = app.dir.0.join("data");
    app.app.run_maintenance().await.unwrap();
    assert!(
        !files_containing(&data, "Effaçable").is_empty(),
        "still there before the purge date"
    );
    app.clock.advance(SignedDuration::from_hours(24 * 185));
    let report = app.app.run_maintenance().await.unwrap();
    assert_eq!(report.purge.done, 1, "{report:?}");
    for needle in ["Effaçable", "Zéphyrine", email.as_str(), "z.durand@"] {
        assert_eq!(
            files_containing(&data, needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }
    // The partner's other gestionnaire is untouched.
    let users = ep_common::lifecycle::accounts_of(&app.app.ctx, &w.partner)
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].id, w.gestionnaire_id);
}

/// SPEC §5 input hygiene: control characters, bidi overrides/isolates and invisible
/// characters are refused with a 422 naming the field, in names, job titles,
/// one-line fields and free text, before the NIR and health checks.
async fn spec_5_control_bidi_and_invisible_characters_are_refused_naming_the_field(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "hyg", 10).await;
    let url = format!("/api/partners/{}/techniciens", w.partner);
    let email = format!("theo@{}", w.domain);
    let mut body = person("Théo", "Tech\u{202e}nicien", &email);
    let res = app.post(&url, body.clone(), Some(&w.gestionnaire)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let msg = res.json()["errors"]["nom"].as_str().unwrap().to_owned();
    assert!(msg.contains("U+202E"), "{msg}");

    body["nom"] = json!("Technicien");
    body["prenom"] = json!("Thé\no");
    body["fonction"] = json!("Travailleuse\tsociale");
    let res = app.post(&url, body.clone(), Some(&w.gestionnaire)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let errors = res.json()["errors"].clone();
    assert!(
        errors["prenom"]
            .as_str()
            .unwrap()
            .contains("une seule ligne"),
        "{errors}"
    );
    assert!(
        errors["fonction"].as_str().unwrap().contains("U+0009"),
        "{errors}"
    );

    let res = app
        .post(
            "/api/partners",
            json!({
                "name": "CCAS\u{2066} Bis", "siret": ep_tests::next_siret(), "address": "2 place\u{85} de la Mairie", "category": "ccas",
                "members": 5, "allowed_domains": ["ccas-bis.example.org"],
                "convention": {"start": "2026-01-01", "functionalities": ["contact"]}
            }),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    let errors = res.json()["errors"].clone();
    assert!(
        errors["name"].as_str().unwrap().contains("U+2066"),
        "{errors}"
    );
    assert!(
        errors["address"].as_str().unwrap().contains("U+0085"),
        "{errors}"
    );

    // free text: a zero-width space hiding a health term is refused as such
    let res = app
        .post(
            &format!("/api/partners/{}/habilitations", w.partner),
            person("Un", "Candidat", &format!("candidat@{}", w.domain)),
            Some(&w.agent),
        )
        .await;
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/habilitations/{id}/reject"),
            json!({"reason": "Candidat dia\u{200b}bétique"}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    let msg = res.json()["errors"]["reason"].as_str().unwrap().to_owned();
    assert!(msg.contains("U+200B"), "{msg}");
    // a multi-line reason is fine
    let res = app
        .post(
            &format!("/api/habilitations/{id}/reject"),
            json!({"reason": "Quota atteint.\nMerci de renouveler la demande plus tard."}),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

/// Oversized input (issue 10): a text field over its limit is a 422 naming the field,
/// a body over 256 KB a 413 — never a 503 from the store, and nothing written.
async fn oversized_names_and_bodies_are_refused_naming_the_field_or_the_size(mode: Mode) {
    let Some(app) = spawn_in(mode, &[]).await else {
        return;
    };
    let w = world(&app, "taille", 10).await;
    let body = |name: &str, address: &str| {
        json!({
            "name": name, "siret": ep_tests::next_siret(), "address": address, "category": "ccas", "members": 5,
            "allowed_domains": ["grande.example.org"],
            "convention": {"start": "2026-01-01", "functionalities": ["contact"]}
        })
    };
    let res = app
        .post(
            "/api/partners",
            body("CCAS Exemple", &"a".repeat(301)),
            Some(&w.agent),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(
        res.json()["errors"]["address"]
            .as_str()
            .unwrap()
            .contains("300 caractères"),
        "{}",
        res.text()
    );
    for size in [500 * 1024, 2 * 1024 * 1024] {
        let res = app
            .post(
                "/api/partners",
                body(&"N".repeat(size), "1 rue"),
                Some(&w.agent),
            )
            .await;
        assert_eq!(res.status, 413, "{size}: {}", res.text());
        assert_eq!(res.json()["code"], "body.too_large");
    }
    let list = app
        .call("GET", "/api/partners", None, Some(&w.agent))
        .await
        .json();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing written"
    );
}
