//! Clean-up of expired items and the purge of a person, erased from every file.

use ep_common::audit;
use ep_common::ids::pseudonym;
use ep_common::lifecycle::accounts_of;
use ep_common::partners::{
    Decision, ExclusionNotice, HabilitationRequest, HabilitationState, ModificationRequest,
    ModificationState, habilitation_key, modification_key, notice_key,
};
use ep_common::record::Record;
use ep_common::table::{Cond, Index, Item, Query, Write};
use ep_common::users::{Role, Status, ident_key, personal_data_ref, user_key};
use jiff::SignedDuration;

use super::support::*;

on_both_stores!(
    expired_sessions_links_throttles_and_old_audit_events_are_deleted,
    a_purged_person_is_erased_from_every_item_and_file,
);

async fn expired_sessions_links_throttles_and_old_audit_events_are_deleted(b: Backend) {
    use ep_auth::throttle;
    let env = env(b).await;
    let now = env.now();
    let mut s = Seed::new(&env);
    let u = s.account(
        person(
            "g1",
            Role::Gestionnaire,
            "p1",
            Status::Active,
            "Alice",
            "Un",
        ),
        |_| {},
    );
    let ctx = &env.ctx;
    // Expired 1 minute ago / still valid.
    let (_, old_session, _) =
        ep_common::sessions::create(ctx, &u, now - SignedDuration::from_mins(12 * 60 + 1)).unwrap();
    let (_, new_session, _) =
        ep_common::sessions::create(ctx, &u, now - SignedDuration::from_mins(60)).unwrap();
    // Kept a week after their 72-hour validity.
    let (_, old_link) =
        ep_common::tokens::issue("g1", ep_common::tokens::Purpose::Reset, now - days(11), 72)
            .unwrap();
    let (_, new_link) =
        ep_common::tokens::issue("g1", ep_common::tokens::Purpose::Reset, now - days(9), 72)
            .unwrap();
    // Throttle records: kept an hour after their window.
    let old_t = throttle::after_failure(
        throttle::Kind::Identifiant,
        None,
        now - SignedDuration::from_mins(61),
    );
    let new_t = throttle::after_failure(
        throttle::Kind::Source,
        None,
        now - SignedDuration::from_mins(5),
    );
    let old_throttle = throttle::write(throttle::Kind::Identifiant, "id-x", None, &old_t).unwrap();
    let new_throttle = throttle::write(throttle::Kind::Source, "192.0.2.1", None, &new_t).unwrap();
    // Audit events: 12 months.
    let old_ev = audit::record(
        "p1",
        audit::event(now - days(366), "g1", "auth.login.success", Some("g1")),
        12,
    )
    .unwrap();
    let new_ev = audit::record(
        "p1",
        audit::event(now - days(300), "g1", "auth.login.success", Some("g1")),
        12,
    )
    .unwrap();
    let mut keys: Vec<(String, String)> = [
        &old_session,
        &new_session,
        &old_link,
        &new_link,
        &old_throttle,
        &new_throttle,
        &old_ev,
        &new_ev,
    ]
    .iter()
    .map(|w| (w.key().0.to_owned(), w.key().1.to_owned()))
    .collect();
    s.writes.extend([
        old_session,
        new_session,
        old_link,
        new_link,
        old_throttle,
        new_throttle,
        old_ev,
        new_ev,
    ]);
    s.commit().await;
    // The events' keys are given when they are sealed into the chain, at commit.
    let sealed = env
        .ctx
        .table
        .query_all(&audit::events_query("p1"))
        .await
        .unwrap();
    assert_eq!(sealed.len(), 2);
    keys.truncate(6);
    keys.extend(
        sealed
            .iter()
            .map(|i| (i.pk().to_owned(), i.sk().to_owned())),
    );

    let r = env.run().await;
    for (kind, c) in [
        ("sessions", r.sessions),
        ("tokens", r.tokens),
        ("throttle", r.throttle),
        ("audit", r.audit),
    ] {
        assert_eq!((c.done, c.skipped, c.errors), (1, 0, 0), "{kind}: {r:?}");
    }
    for (i, (pk, sk)) in keys.iter().enumerate() {
        let present = env.ctx.table.get(pk, sk).await.unwrap().is_some();
        assert_eq!(present, i % 2 == 1, "{pk}");
    }
    let r = env.run().await;
    assert_eq!(
        r.sessions.done + r.tokens.done + r.throttle.done + r.audit.done,
        0
    );
}

async fn a_purged_person_is_erased_from_every_item_and_file(b: Backend) {
    let env = env(b).await;
    // Distinctive values, to grep for.
    let (prenom, nom) = ("Zéphyrine", "Marqueterie");
    let phone = "0611223344";
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.partner("p1", 2, 0);
    s.convention("p1", "c1", None);
    let start = env.now();
    let z = s.account(
        person("gz", Role::Gestionnaire, "p1", Status::Active, prenom, nom),
        |u| {
            u.telephone = Some(phone.into());
            u.password_changed_at = Some(start);
            u.password_reminder_at = Some(start + days(165));
        },
    );
    s.account(
        person(
            "g2",
            Role::Gestionnaire,
            "p1",
            Status::Active,
            "Bruno",
            "Deux",
        ),
        |_| {},
    );
    // The habilitation request that created the account, and a modification request.
    let mut hab = habilitation("h1", "p1", "c1", start - days(300));
    hab.nom = nom.into();
    hab.prenom = prenom.into();
    hab.email = z.email.clone();
    hab.telephone = Some(phone.into());
    hab.decision.state = HabilitationState::Approved;
    hab.account_id = Some("gz".into());
    s.habilitation(&hab);
    let m = ModificationRequest {
        id: "m1".into(),
        partner_id: "p1".into(),
        partner_name: String::new(),
        caisse_id: "c1".into(),
        user_id: "gz".into(),
        nom: None,
        prenom: None,
        fonction: Some("Directrice adjointe".into()),
        telephone: Some(phone.into()),
        email: Some(z.email.clone()),
        received_at: start - days(100),
        submitted_by: "gz".into(),
        decision: Decision {
            state: ModificationState::Applied,
            decided_at: Some(start - days(99)),
            decided_by: Some("a1".into()),
            reason: None,
        },
        v: 2,
    };
    let (mpk, msk) = modification_key("c1", "m1");
    s.writes
        .push(Write::put(m.to_item().unwrap(), Cond::NotExists));
    s.writes.push(personal_data_ref("gz", &mpk, &msk));
    // An exclusion notice that went to her (and to g2).
    let g2_email = env.addr("bruno.deux");
    let notice = ExclusionNotice {
        id: "n1".into(),
        partner_id: "p1".into(),
        caisse_id: "c1".into(),
        user_id: "t9".into(),
        reason: "perte".into(),
        by: "a1".into(),
        at: start - days(50),
        notified: vec![z.email.clone(), g2_email.clone()],
        message_ids: vec!["m-1@example.org".into()],
    };
    let (npk, nsk) = notice_key("p1", notice.at, "n1");
    s.writes.push(Write::put(
        Item::from_record(&npk, &nsk, &notice).unwrap(),
        Cond::NotExists,
    ));
    s.writes.push(personal_data_ref("gz", &npk, &nsk));
    s.writes.push(
        audit::record(
            "p1",
            audit::event(start, "gz", "auth.login.success", Some("gz")),
            12,
        )
        .unwrap(),
    );
    s.commit().await;

    // 15 days later: nothing for her.
    env.clock.advance(days(15));
    env.run().await;
    assert_eq!(env.user("gz").await.unwrap().status, Status::Active);
    // Her password reminder (it names her), then her scheduled inactivation.
    env.clock.set(start + days(165));
    assert_eq!(env.run().await.password_reminder.done, 1);
    assert_eq!(env.texts_to(&z.email).await.len(), 1);
    let mut s = Seed::new(&env);
    let wanted = today(&env).checked_add(jiff::Span::new().days(15)).unwrap();
    s.inactivation_request("i1", "p1", "c1", "gz", wanted);
    s.commit().await;
    env.clock.set(start + days(180));
    assert_eq!(env.run().await.inactivation.done, 1);
    let inactive = env.user("gz").await.unwrap();
    assert_eq!(inactive.status, Status::Inactive);
    let inactivated_at = inactive.inactivated_at.unwrap();
    assert_eq!(inactivated_at, start + days(180)); // 2027-05-25T09:00Z, Paris date 25/05/2027

    // 6 months − 1 day: still there.
    env.clock.set("2027-11-24T09:00:00Z".parse().unwrap());
    assert_eq!(env.run().await.purge.done, 0);
    assert!(env.user("gz").await.is_some());
    // 6 months (from midnight in Paris on 25 November 2027).
    env.clock.set("2027-11-24T23:00:00Z".parse().unwrap());
    let r = env.run().await;
    assert_eq!(r.purge.done, 1, "{r:?}");

    let table = env.ctx.table.as_ref();
    assert!(env.user("gz").await.is_none());
    let (ipk, isk) = ident_key(&z.identifiant);
    assert!(table.get(&ipk, &isk).await.unwrap().is_none());
    let (upk, _) = user_key("gz");
    assert!(
        table
            .query_all(&Query::new(Index::Table, upk))
            .await
            .unwrap()
            .is_empty(),
        "pointers gone"
    );
    let listed: Vec<String> = accounts_of(&env.ctx, "p1")
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(listed, vec!["g2".to_owned()], "listed nowhere");
    let (hpk, hsk) = habilitation_key("c1", "h1");
    let hab: HabilitationRequest = table
        .get(&hpk, &hsk)
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        (hab.nom.as_str(), hab.prenom.as_str(), hab.email.as_str()),
        ("", "", "")
    );
    assert_eq!(
        (hab.telephone, hab.fonction, hab.civilite),
        (None, None, None)
    );
    assert_eq!(hab.account_id.as_deref(), Some("gz"), "ids stay");
    let m: ModificationRequest = table
        .get(&mpk, &msk)
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!((m.telephone, m.email, m.fonction), (None, None, None));
    let n: ExclusionNotice = table
        .get(&npk, &nsk)
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(n.notified, vec![pseudonym("gz"), g2_email]);
    let trail = env.audit_actions("p1").await;
    assert!(
        trail
            .iter()
            .any(|a| a.0 == "account.purged" && a.1.as_deref() == Some(pseudonym("gz").as_str()))
    );
    // No item holds her name, address or phone any more.
    let dump = env.dump().await.join("\n");
    for needle in [nom, prenom, phone, z.email.as_str(), z.identifiant.as_str()] {
        assert!(!dump.contains(needle), "{needle} still in the table");
    }
    // …nor any file of the data directory (database, WAL, outbox: her reminder
    // is older than the outbox's 30 days).
    if env.files_containing(nom).is_some() {
        for needle in [nom, prenom, phone, z.email.as_str(), z.identifiant.as_str()] {
            assert_eq!(env.files_containing(needle), Some(vec![]), "{needle}");
        }
        assert!(env.texts_to(&z.email).await.is_empty());
    }
    assert_eq!(env.run().await.purge.done, 0);
}
