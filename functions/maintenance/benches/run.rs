//! How long a maintenance run takes with 100 items due, over a table of 10 000
//! accounts and over one of 1 000 000 (embedded store), and the ratio of the two: the
//! work is found through the due index, so the ratio must stay near 1 (at most 1.5).
//!
//! ```sh
//! cargo bench -p ep-maintenance --no-default-features --bench run
//! EP_BENCH_ACCOUNTS=10000,200000 cargo bench -p ep-maintenance --no-default-features --bench run
//! ```
//!
//! Not a test (CI does not run it): seeding a million accounts takes a minute or two
//! and about 1.5 GB of disk under the system temp directory (removed at the end).
//! Every account is active with a password reminder and an audit event in the
//! future, so the due index holds as many items as there are accounts; the due work
//! is the same in both tables: 5 convention ends, 10 scheduled inactivations,
//! 20 purges, 20 password reminders, 10 overdue habilitation requests, 10 sessions,
//! 10 links, 5 throttle records, 10 audit events past retention.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ep_common::Ctx;
use ep_common::audit;
use ep_common::clock::ManualClock;
use ep_common::config::Config;
use ep_common::embedded::{self, SqliteTable};
use ep_common::partners::{
    Caisse, Convention, Decision, HabilitationRequest, InactivationRequest, Partner,
};
use ep_common::record::Record;
use ep_common::table::{Item, Write};
use ep_common::users::{NewAccount, OrgKind, Role, Status, User};
use ep_domain::types::{ConventionState, PartnerStatus};
use jiff::{SignedDuration, Timestamp};

const NOW: &str = "2026-11-26T09:00:00Z";
const CAISSES: usize = 100;
const PER_PARTNER: usize = 25;
const REPEAT: usize = 5;
const LIMIT: f64 = 1.5;

fn now() -> Timestamp {
    NOW.parse().expect("timestamp")
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

fn user(id: String, role: Role, org: (OrgKind, &str), status: Status) -> User {
    let mut u = User::pending(
        id.clone(),
        format!("id{id}"),
        NewAccount {
            role,
            civilite: Some("madame".into()),
            nom: format!("Nom{id}"),
            prenom: "Prénom".into(),
            email: format!("u{id}@structure.example.org"),
            fonction: Some("Travailleuse sociale".into()),
            telephone: Some("0102030405".into()),
            org_kind: org.0,
            org_id: org.1.into(),
            org_name: format!("Organisme {}", org.1),
            created_by: None,
        },
        now() - days(400),
    );
    u.status = status;
    u.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2VlZGVkc2VlZGVk$0000000000000000000000000000000000000000000".into());
    u.password_changed_at = Some(now() - days(30));
    match status {
        Status::Active => u.password_reminder_at = Some(now() + days(135)),
        Status::Inactive => u.inactivated_at = Some(now() - days(30)),
        Status::Pending => {}
    }
    u
}

/// An audit event as stored before the hash chain (`<time>#<id>`, no `seq`): seeding
/// a million of them through the chain would serialise on each trail's head, and
/// the purge handles both kinds.
fn legacy_event(org: &str, ev: audit::Event) -> Item {
    let sk = format!("{}#{}", ep_common::emails::ts_key(ev.at), ev.id);
    let due = ep_common::emails::ts_key(audit::purge_at(ev.at, 12));
    Item::from_record(audit::audit_pk(org), sk, &ev)
        .expect("audit")
        .with("due_pk", audit::DUE_AUDIT)
        .with("due_at", due)
}

fn items_of(writes: Vec<Write>) -> Vec<Item> {
    writes
        .into_iter()
        .filter_map(|w| match w {
            Write::Put { item, .. } => Some(item),
            _ => None,
        })
        .collect()
}

fn partner(id: &str, g: u32, t: u32) -> Partner {
    Partner {
        id: id.into(),
        name: format!("CCAS {id}"),
        siret: None,
        address: "2 place de la Mairie".into(),
        category: "ccas".into(),
        members: 30,
        allowed_domains: vec!["structure.example.org".into()],
        status: PartnerStatus::Active,
        suspension: None,
        gestionnaires: g,
        techniciens: t,
        review_requested_at: None,
        review_confirmed_at: None,
        created_at: now() - days(400),
        created_by: None,
        v: 1,
    }
}

fn convention(partner: &str, caisse: &str, end: Option<jiff::civil::Date>) -> Convention {
    Convention {
        partner_id: partner.into(),
        caisse_id: caisse.into(),
        partner_name: format!("CCAS {partner}"),
        start: jiff::civil::Date::constant(2025, 1, 1),
        end,
        state: ConventionState::Active,
        functionalities: vec!["contact".into(), "dossier".into()],
        v: 1,
    }
}

/// The accounts of the table (none of them due), in chunks written with `bulk_put`.
async fn seed_table(table: &SqliteTable, accounts: usize) {
    let mut batch: Vec<Item> = Vec::new();
    for c in 0..CAISSES {
        let cid = format!("c{c}");
        let caisse = Caisse {
            id: cid.clone(),
            name: format!("CPAM {c}"),
            address: "1 rue de l'Exemple".into(),
            alt_contact: "01 00 00 00 00".into(),
            referents: vec![],
            created_at: now() - days(500),
            v: 1,
        };
        batch.push(caisse.to_item().expect("item"));
        for a in 0..3 {
            let u = user(
                format!("a{c}x{a}"),
                Role::Agent,
                (OrgKind::Caisse, &cid),
                Status::Active,
            );
            batch.extend(items_of(u.create_writes().expect("writes")));
        }
    }
    let partners = accounts.div_ceil(PER_PARTNER);
    let mut made = 0;
    for p in 0..partners {
        let pid = format!("p{p}");
        let n = PER_PARTNER.min(accounts - made);
        let g = n.min(5);
        batch.push(
            partner(&pid, g as u32, (n - g) as u32)
                .to_item()
                .expect("item"),
        );
        batch.push(
            convention(&pid, &format!("c{}", p % CAISSES), None)
                .to_item()
                .expect("item"),
        );
        for i in 0..n {
            let role = if i < 5 {
                Role::Gestionnaire
            } else {
                Role::Technicien
            };
            let u = user(
                format!("p{p}u{i}"),
                role,
                (OrgKind::Partner, &pid),
                Status::Active,
            );
            batch.extend(items_of(u.create_writes().expect("writes")));
            let ev = audit::event(now() - days(30), &u.id, "auth.login.success", Some(&u.id));
            batch.push(legacy_event(&pid, ev));
        }
        made += n;
        if batch.len() >= 50_000 {
            table
                .bulk_put(std::mem::take(&mut batch))
                .await
                .expect("bulk put");
        }
    }
    table.bulk_put(batch).await.expect("bulk put");
}

/// 100 items due at `now()`, with fresh ids (`round`).
async fn seed_due(ctx: &Ctx, table: &SqliteTable, round: usize) {
    let now = now();
    let mut items: Vec<Item> = Vec::new();
    let mut writes: Vec<Write> = Vec::new();
    let r = format!("r{round}");
    // 5 convention ends: partners of 4 accounts, their only convention.
    for i in 0..5 {
        let pid = format!("{r}ce{i}");
        items.push(partner(&pid, 1, 3).to_item().expect("item"));
        items.push(
            convention(&pid, "c1", Some(jiff::civil::Date::constant(2026, 11, 20)))
                .to_item()
                .expect("item"),
        );
        for k in 0..4 {
            let role = if k == 0 {
                Role::Gestionnaire
            } else {
                Role::Technicien
            };
            let u = user(
                format!("{pid}u{k}"),
                role,
                (OrgKind::Partner, &pid),
                Status::Active,
            );
            items.extend(items_of(u.create_writes().expect("writes")));
        }
    }
    // 10 scheduled inactivations: partners with 2 gestionnaires and 1 technicien.
    for i in 0..10 {
        let pid = format!("{r}in{i}");
        items.push(partner(&pid, 2, 1).to_item().expect("item"));
        items.push(convention(&pid, "c2", None).to_item().expect("item"));
        for (k, role) in [Role::Gestionnaire, Role::Gestionnaire, Role::Technicien]
            .into_iter()
            .enumerate()
        {
            let mut u = user(
                format!("{pid}u{k}"),
                role,
                (OrgKind::Partner, &pid),
                Status::Active,
            );
            if role == Role::Technicien {
                u.attached_to = Some(format!("{pid}u0"));
            }
            items.extend(items_of(u.create_writes().expect("writes")));
        }
        let req = InactivationRequest {
            id: format!("{pid}req"),
            partner_id: pid.clone(),
            partner_name: String::new(),
            caisse_id: "c2".into(),
            user_id: format!("{pid}u0"),
            wanted_on: jiff::civil::Date::constant(2026, 11, 26),
            successor_id: None,
            received_at: now - days(20),
            submitted_by: "a2x0".into(),
            decision: Decision::open(),
            v: 1,
        };
        items.push(req.to_item().expect("item"));
    }
    // 20 purges, 20 password reminders (in a big partner of the table).
    for i in 0..20 {
        let mut u = user(
            format!("{r}pu{i}"),
            Role::Technicien,
            (OrgKind::Partner, "p0"),
            Status::Inactive,
        );
        u.inactivated_at = Some(now - days(200));
        items.extend(items_of(u.create_writes().expect("writes")));
        let mut u = user(
            format!("{r}rm{i}"),
            Role::Technicien,
            (OrgKind::Partner, "p1"),
            Status::Active,
        );
        u.password_changed_at = Some(now - days(170));
        u.password_reminder_at = Some(now - days(5));
        items.extend(items_of(u.create_writes().expect("writes")));
    }
    // 10 overdue habilitation requests (caisses with 3 active agents).
    for i in 0..10 {
        let received = now - days(12);
        let h = HabilitationRequest {
            id: format!("{r}hab{i}"),
            partner_id: "p3".into(),
            partner_name: "CCAS p3".into(),
            caisse_id: format!("c{}", 3 + i),
            civilite: Some("madame".into()),
            nom: "Candidate".into(),
            prenom: "Camille".into(),
            fonction: None,
            telephone: None,
            email: "camille@structure.example.org".into(),
            received_at: received,
            due_on: ep_domain::calendar::habilitation_due(received),
            decision: Decision::open(),
            submitted_by: "a3x0".into(),
            account_id: None,
            overdue_alerted_at: None,
            v: 1,
        };
        items.push(h.to_item().expect("item"));
    }
    // 10 sessions, 10 links, 5 throttle records, 10 audit events.
    let someone = user(
        "p2u0".into(),
        Role::Gestionnaire,
        (OrgKind::Partner, "p2"),
        Status::Active,
    );
    for i in 0..10 {
        let (_, w, _) = ep_common::sessions::create(ctx, &someone, now - days(1)).expect("session");
        writes.push(w);
        let (_, w) = ep_common::tokens::issue(
            "p2u0",
            ep_common::tokens::Purpose::Reset,
            now - days(20),
            72,
        )
        .expect("token");
        writes.push(w);
        let ev = audit::event(now - days(400 + i), "p2u0", "auth.login.success", None);
        writes.push(Write::put(
            legacy_event("p2", ev),
            ep_common::table::Cond::NotExists,
        ));
    }
    for i in 0..5 {
        let item = Item::new(format!("THROTTLE#ID#{r}{i}"), "THROTTLE")
            .with("failures", 1)
            .with("window_start", serde_json::json!(now - days(1)))
            .with("v", 1)
            .with("due_pk", "DUE#throttle")
            .with("due_at", ep_common::emails::ts_key(now - days(1)));
        items.push(item);
    }
    items.extend(items_of(writes));
    table.bulk_put(items).await.expect("bulk put");
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn measure(accounts: usize) -> Duration {
    let dir =
        Scratch(std::env::temp_dir().join(format!("ep-bench-{}-{}", std::process::id(), accounts)));
    let data = dir.0.display().to_string();
    let config = Config::from_lookup(|k| match k {
        "EP_DATA_DIR" => Some(data.clone()),
        "EP_MAINTENANCE_BATCH" => Some("500".into()),
        _ => None,
    })
    .expect("config");
    let clock = Arc::new(ManualClock::new(now()));
    let emb = embedded::open(config, clock).expect("data directory");
    let started = Instant::now();
    seed_table(&emb.table, accounts).await;
    emb.table.checkpoint().await.expect("checkpoint");
    let rows = emb.table.count().await.expect("count");
    eprintln!(
        "{accounts} accounts: {rows} items seeded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut times = Vec::new();
    for round in 0..REPEAT {
        seed_due(&emb.ctx, &emb.table, round).await;
        emb.table.checkpoint().await.expect("checkpoint");
        let t = Instant::now();
        let report = ep_maintenance::run(&emb.ctx).await.expect("run");
        times.push(t.elapsed());
        let handled = report.convention_end.done
            + report.inactivation.done
            + report.purge.done
            + report.password_reminder.done
            + report.hab_overdue.done
            + report.sessions.done
            + report.tokens.done
            + report.throttle.done
            + report.audit.done;
        assert_eq!(handled, 100, "every due item handled: {report:?}");
    }
    eprintln!(
        "{accounts} accounts: runs {:?}",
        times
            .iter()
            .map(|t| format!("{:.1} ms", t.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
    );
    median(times)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("EP_BENCH_ACCOUNTS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| v.len() == 2)
        .unwrap_or_else(|| vec![10_000, 1_000_000]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let small = rt.block_on(measure(sizes[0]));
    let large = rt.block_on(measure(sizes[1]));
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    println!(
        "maintenance run, 100 items due (median of {REPEAT}): {} accounts {:.1} ms, {} accounts {:.1} ms, ratio {:.2} ({})",
        sizes[0],
        small.as_secs_f64() * 1e3,
        sizes[1],
        large.as_secs_f64() * 1e3,
        ratio,
        if ratio <= LIMIT {
            "within the 1.5 limit"
        } else {
            "ABOVE THE 1.5 LIMIT"
        }
    );
    if ratio > LIMIT {
        std::process::exit(1);
    }
}
