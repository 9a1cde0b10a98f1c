//! The scheduled maintenance function (issue 6): convention ends, scheduled
//! inactivations, purges, reminders, overdue habilitation alerts, clean-up. Every
//! scenario is one function run twice, like the conformance suites: on the embedded
//! store (SQLite + outbox, the data directory grepped) and on DynamoDB + SES (moto).
//! Data is seeded by writing records directly; the clock is moved by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use ep_common::Ctx;
use ep_common::audit;
use ep_common::clock::ManualClock;
use ep_common::domain::types::{ConventionState, PartnerStatus};
use ep_common::embedded::SqliteTable;
use ep_common::ids::pseudonym;
use ep_common::lifecycle::accounts_of;
use ep_common::mail::{decode_header, header_of, text_part};
use ep_common::partners::{
    Caisse, Convention, Decision, ExclusionNotice, HabilitationRequest, HabilitationState,
    InactivationRequest, InactivationState, ModificationRequest, ModificationState, Partner,
    get_convention, habilitation_key, inactivation_key, modification_key, notice_key,
};
use ep_common::record::Record;
use ep_common::table::{Cond, Index, Item, Page, Query, StoreError, Table, Write};
use ep_common::users::{
    NewAccount, OrgKind, Role, Status, User, get_user, ident_key, personal_data_ref, user_key,
};
use ep_tests::{TempDir, moto_endpoint, moto_sdk, test_config, unique};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

const T0: &str = "2026-11-26T09:00:00Z";
const MAIL_FROM: &str = "ne-pas-repondre@espace-partenaires.example.org";

fn t0() -> Timestamp {
    T0.parse().unwrap()
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

// ------------------------------------------------------------------ environments

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Dynamo,
}

/// One installation under test: its context (clock by hand), and how to read back
/// what it holds and what it sent.
pub struct Env {
    pub ctx: Ctx,
    pub clock: Arc<ManualClock>,
    /// Email domain of this environment's people (moto's SES is shared by tests).
    pub domain: String,
    store: Store,
}

enum Store {
    Sqlite {
        table: Arc<SqliteTable>,
        dir: TempDir,
    },
    Dynamo {
        endpoint: String,
        recorder: Arc<Recorder>,
        client: aws_sdk_dynamodb::Client,
        name: String,
    },
}

pub async fn env(backend: Backend) -> Env {
    let clock = Arc::new(ManualClock::new(t0()));
    let domain = format!("{}.example.org", unique("structure"));
    match backend {
        Backend::Sqlite => {
            let dir = TempDir::new();
            let data = dir.0.join("data").display().to_string();
            let config = test_config(&[
                ("EP_DATA_DIR", &data),
                ("EP_PUBLIC_URL", "https://portail.example.org"),
                ("EP_MAIL_FROM", MAIL_FROM),
            ]);
            let emb = ep_common::embedded::open(config, clock.clone()).expect("data directory");
            Env {
                ctx: emb.ctx.clone(),
                clock,
                domain,
                store: Store::Sqlite {
                    table: emb.table.clone(),
                    dir,
                },
            }
        }
        Backend::Dynamo => {
            let endpoint = moto_endpoint().expect("moto");
            let sdk = moto_sdk(&endpoint).await;
            let name = unique("ep-maintenance");
            let config = test_config(&[
                ("EP_TABLE", &name),
                ("EP_PUBLIC_URL", "https://portail.example.org"),
                ("EP_MAIL_FROM", MAIL_FROM),
            ]);
            let mut ctx = ep_common::aws::context_from(&sdk, config, clock.clone(), true);
            let client = aws_sdk_dynamodb::Client::new(&sdk);
            ep_common::aws::DynamoTable::new(client.clone(), name.clone())
                .create_table()
                .await
                .expect("table in moto");
            ep_common::aws::SesMailer::new(aws_sdk_ses::Client::new(&sdk))
                .verify_identity(MAIL_FROM)
                .await
                .expect("verified sender in moto");
            let recorder = Arc::new(Recorder::new(ctx.table.clone()));
            ctx.table = recorder.clone();
            Env {
                ctx,
                clock,
                domain,
                store: Store::Dynamo {
                    endpoint,
                    recorder,
                    client,
                    name,
                },
            }
        }
    }
}

impl Env {
    pub fn now(&self) -> Timestamp {
        self.clock.now_ts()
    }

    /// Deletes the moto table (moto keeps every table in memory, and its state
    /// dump, read for the sent emails, grows with them).
    pub async fn close(self) {
        if let Store::Dynamo { client, name, .. } = &self.store {
            let _ = client.delete_table().table_name(name).send().await;
        }
    }

    pub fn addr(&self, local: &str) -> String {
        format!("{local}@{}", self.domain)
    }

    pub async fn run(&self) -> ep_maintenance::RunReport {
        ep_maintenance::run(&self.ctx)
            .await
            .expect("maintenance run")
    }

    /// Raw messages sent to this environment's addresses, oldest first.
    pub async fn sent(&self) -> Vec<String> {
        let raws: Vec<String> = match &self.store {
            Store::Sqlite { dir, .. } => {
                ep_common::embedded::list_outbox(&dir.0.join("data/outbox"))
                    .expect("outbox")
                    .into_iter()
                    .map(|e| e.raw)
                    .collect()
            }
            Store::Dynamo { endpoint, .. } => {
                let res = ep_tests::send(
                    "GET",
                    &format!("{endpoint}/moto-api/data.json"),
                    &[],
                    vec![],
                )
                .await;
                res.json()["ses"]["RawMessage"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|m| m["raw_data"].as_str().map(str::to_owned))
                    .collect()
            }
        };
        raws.into_iter()
            .filter(|r| header_of(r, "To").is_some_and(|t| t.contains(&self.domain)))
            .collect()
    }

    /// (recipient's local part, subject) of every message sent, sorted; with
    /// `unique`, a message sent twice (same Message-ID) counts once.
    pub async fn sent_summary(&self, unique: bool) -> Vec<(String, String)> {
        let mut raws = self.sent().await;
        if unique {
            let mut seen = std::collections::HashSet::new();
            raws.retain(|r| seen.insert(header_of(r, "Message-ID")));
        }
        let mut out: Vec<(String, String)> = raws
            .iter()
            .map(|r| {
                let to = header_of(r, "To").unwrap_or_default();
                let local = to.split('@').next().unwrap_or("").to_owned();
                let subject = decode_header(&header_of(r, "Subject").unwrap_or_default());
                (local, subject)
            })
            .collect();
        out.sort();
        out
    }

    /// Decoded text of the messages sent to `addr`.
    pub async fn texts_to(&self, addr: &str) -> Vec<String> {
        self.sent()
            .await
            .iter()
            .filter(|r| header_of(r, "To").is_some_and(|t| t.contains(addr)))
            .filter_map(|r| text_part(r))
            .collect()
    }

    /// Every item of the table, as sorted JSON lines with random ids, token hashes
    /// and this environment's domain replaced (to compare two installations).
    pub async fn dump(&self) -> Vec<String> {
        let items = match &self.store {
            Store::Sqlite { table, .. } => table.dump().await.expect("dump"),
            Store::Dynamo { recorder, .. } => recorder.dump().await,
        };
        let mut lines: Vec<String> = items
            .iter()
            .map(|i| {
                let json = serde_json::to_string(i.attrs()).expect("json");
                normalize(&json.replace(&self.domain, "<domain>"))
            })
            .collect();
        lines.sort();
        lines
    }

    /// Files of the data directory containing `needle` (embedded store only).
    pub fn files_containing(&self, needle: &str) -> Option<Vec<String>> {
        match &self.store {
            Store::Sqlite { dir, .. } => Some(files_containing(&dir.0, needle.as_bytes())),
            Store::Dynamo { .. } => None,
        }
    }

    pub async fn write(&self, writes: Vec<Write>) {
        for chunk in writes.chunks(ep_common::table::MAX_TRANSACT_ITEMS) {
            self.ctx.table.transact(chunk.to_vec()).await.expect("seed");
        }
    }

    pub async fn user(&self, id: &str) -> Option<User> {
        get_user(self.ctx.table.as_ref(), id).await.unwrap()
    }

    pub async fn audit_actions(&self, org: &str) -> Vec<(String, Option<String>, Option<String>)> {
        self.ctx
            .table
            .query_all(&Query::new(Index::Table, audit::audit_pk(org)))
            .await
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i.get_str("action").unwrap_or("").to_owned(),
                    i.get_str("target").map(str::to_owned),
                    i.get_str("detail").map(str::to_owned),
                )
            })
            .collect()
    }
}

/// Replaces runs of 32 or more lower-case hex digits (random ids, token hashes).
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 32 {
            out.push_str("<x>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() || ('a'..='f').contains(&c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .expect("read file")
            .windows(needle.len())
            .any(|w| w == needle)
        {
            hits.push(path.display().to_string());
        }
    }
    hits
}

// ------------------------------------------------------------ table test doubles

/// Wraps the DynamoDB adapter talking to moto:
/// - DynamoDB has no cheap way to list a whole table without a scan: it remembers
///   every partition written, so a test can read them all back;
/// - it sends moto one request at a time. moto (5.2) does not isolate
///   `TransactWriteItems`: it checks and applies the items one by one, and on a
///   failed condition restores a copy of the whole table taken when the transaction
///   began — losing what concurrent requests committed meanwhile. DynamoDB's
///   transactions are serializable; serializing the requests gives the two runs of
///   the concurrency test that guarantee back, while they still interleave at every
///   request.
pub struct Recorder {
    inner: Arc<dyn Table>,
    pks: std::sync::Mutex<std::collections::BTreeSet<String>>,
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl Recorder {
    fn new(inner: Arc<dyn Table>) -> Self {
        Recorder {
            inner,
            pks: Default::default(),
            one_at_a_time: Default::default(),
        }
    }
    fn note(&self, pk: &str) {
        self.pks.lock().unwrap().insert(pk.to_owned());
    }
    async fn dump(&self) -> Vec<Item> {
        let pks: Vec<String> = self.pks.lock().unwrap().iter().cloned().collect();
        let mut out = Vec::new();
        for pk in pks {
            out.extend(
                self.inner
                    .query_all(&Query::new(Index::Table, pk))
                    .await
                    .unwrap(),
            );
        }
        out
    }
}

#[async_trait]
impl Table for Recorder {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let _one = self.one_at_a_time.lock().await;
        self.inner.get(pk, sk).await
    }
    async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Option<Item>>, StoreError> {
        let _one = self.one_at_a_time.lock().await;
        self.inner.get_many(keys).await
    }
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        self.note(item.pk());
        let _one = self.one_at_a_time.lock().await;
        self.inner.put(item, cond).await
    }
    async fn delete(&self, pk: &str, sk: &str, cond: Cond) -> Result<(), StoreError> {
        self.note(pk);
        let _one = self.one_at_a_time.lock().await;
        self.inner.delete(pk, sk, cond).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let _one = self.one_at_a_time.lock().await;
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        for w in &writes {
            self.note(w.key().0);
        }
        let _one = self.one_at_a_time.lock().await;
        self.inner.transact(writes).await
    }
    async fn flush_erasures(&self) -> Result<(), StoreError> {
        self.inner.flush_erasures().await
    }
}

/// When the injected failure strikes: before the write (nothing written), or after
/// it (written, but the run dies before it learns so).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strike {
    Before,
    After,
}

/// A table whose `fail_at`-th write (put, delete or transaction) fails as if the
/// process had been killed there; counts writes.
pub struct Failing {
    inner: Arc<dyn Table>,
    writes: AtomicU32,
    fail_at: u32,
    strike: Strike,
}

impl Failing {
    fn new(inner: Arc<dyn Table>, fail_at: u32, strike: Strike) -> Self {
        Failing {
            inner,
            writes: AtomicU32::new(0),
            fail_at,
            strike,
        }
    }
    async fn guard<F>(&self, write: F) -> Result<(), StoreError>
    where
        F: std::future::Future<Output = Result<(), StoreError>>,
    {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if n != self.fail_at {
            return write.await;
        }
        if self.strike == Strike::After {
            write.await?;
        }
        Err(StoreError::Unavailable("injected failure".into()))
    }
}

#[async_trait]
impl Table for Failing {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        self.inner.get(pk, sk).await
    }
    async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Option<Item>>, StoreError> {
        self.inner.get_many(keys).await
    }
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        self.guard(self.inner.put(item, cond)).await
    }
    async fn delete(&self, pk: &str, sk: &str, cond: Cond) -> Result<(), StoreError> {
        self.guard(self.inner.delete(pk, sk, cond)).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.guard(self.inner.transact(writes)).await
    }
    async fn flush_erasures(&self) -> Result<(), StoreError> {
        self.inner.flush_erasures().await
    }
}

// ----------------------------------------------------------------------- seeding

/// Records to seed, accumulated as writes.
pub struct Seed<'a> {
    env: &'a Env,
    pub writes: Vec<Write>,
}

pub struct Person<'a> {
    pub id: &'a str,
    pub role: Role,
    pub org: &'a str,
    pub status: Status,
    pub prenom: &'a str,
    pub nom: &'a str,
}

impl<'a> Seed<'a> {
    pub fn new(env: &'a Env) -> Self {
        Seed {
            env,
            writes: Vec::new(),
        }
    }

    pub async fn commit(self) {
        self.env.write(self.writes).await;
    }

    pub fn caisse(&mut self, id: &str) {
        let c = Caisse {
            id: id.into(),
            name: format!("CPAM {id}"),
            address: "1 rue de l'Exemple, 75000 Paris".into(),
            alt_contact: "01 00 00 00 00".into(),
            referents: vec![],
            created_at: t0() - days(400),
            v: 1,
        };
        self.writes
            .push(Write::put(c.to_item().unwrap(), Cond::NotExists));
    }

    /// A partner whose counters say `g` gestionnaires and `t` techniciens.
    pub fn partner(&mut self, id: &str, g: u32, t: u32) {
        let p = Partner {
            id: id.into(),
            name: format!("CCAS {id}"),
            address: "2 place de la Mairie, 00000 Exemple".into(),
            category: "ccas".into(),
            members: 30,
            allowed_domains: vec![self.env.domain.clone()],
            status: PartnerStatus::Active,
            suspension: None,
            gestionnaires: g,
            techniciens: t,
            review_requested_at: None,
            review_confirmed_at: None,
            created_at: t0() - days(400),
            created_by: None,
            v: 1,
        };
        self.writes
            .push(Write::put(p.to_item().unwrap(), Cond::NotExists));
    }

    pub fn convention(&mut self, partner: &str, caisse: &str, end: Option<Date>) {
        let c = Convention {
            partner_id: partner.into(),
            caisse_id: caisse.into(),
            partner_name: format!("CCAS {partner}"),
            start: Date::constant(2025, 1, 1),
            end,
            state: ConventionState::Active,
            functionalities: vec!["contact".into()],
            v: 1,
        };
        self.writes
            .push(Write::put(c.to_item().unwrap(), Cond::NotExists));
    }

    /// An account; `edit` adjusts the record before it is written.
    pub fn account(&mut self, p: Person<'_>, edit: impl FnOnce(&mut User)) -> User {
        let org_kind = if p.role == Role::Agent {
            OrgKind::Caisse
        } else {
            OrgKind::Partner
        };
        let mut u = User::pending(
            p.id.into(),
            format!("id-{}", p.id),
            NewAccount {
                role: p.role,
                civilite: Some("madame".into()),
                nom: p.nom.into(),
                prenom: p.prenom.into(),
                email: self.env.addr(&ep_common::domain::text::fold(&format!(
                    "{}.{}",
                    p.prenom, p.nom
                ))),
                fonction: Some("Travailleuse sociale".into()),
                telephone: Some("0102030405".into()),
                org_kind,
                org_id: p.org.into(),
                org_name: format!("Organisme {}", p.org),
                created_by: None,
            },
            t0() - days(300),
        );
        u.status = p.status;
        if p.status != Status::Pending {
            u.password_hash = Some("$argon2id$seeded".into());
            u.password_changed_at = Some(t0() - days(10));
        }
        if p.status == Status::Inactive {
            u.inactivated_at = Some(t0() - days(30));
            u.inactivation_reason = Some("manual".into());
        }
        edit(&mut u);
        self.writes.extend(u.create_writes().unwrap());
        u
    }

    pub fn habilitation(&mut self, h: &HabilitationRequest) {
        self.writes
            .push(Write::put(h.to_item().unwrap(), Cond::NotExists));
        if let Some(account) = &h.account_id {
            let (pk, sk) = habilitation_key(&h.caisse_id, &h.id);
            self.writes.push(personal_data_ref(account, &pk, &sk));
        }
    }

    pub fn inactivation_request(
        &mut self,
        id: &str,
        partner: &str,
        caisse: &str,
        user: &str,
        wanted_on: Date,
    ) {
        let r = InactivationRequest {
            id: id.into(),
            partner_id: partner.into(),
            partner_name: String::new(),
            caisse_id: caisse.into(),
            user_id: user.into(),
            wanted_on,
            successor_id: None,
            received_at: t0() - days(20),
            submitted_by: "agent".into(),
            decision: Decision::open(),
            v: 1,
        };
        self.writes
            .push(Write::put(r.to_item().unwrap(), Cond::NotExists));
    }
}

pub fn habilitation(
    id: &str,
    partner: &str,
    caisse: &str,
    received_at: Timestamp,
) -> HabilitationRequest {
    HabilitationRequest {
        id: id.into(),
        partner_id: partner.into(),
        partner_name: format!("CCAS {partner}"),
        caisse_id: caisse.into(),
        civilite: Some("madame".into()),
        nom: "Candidate".into(),
        prenom: "Camille".into(),
        fonction: Some("Directrice".into()),
        telephone: Some("0600000000".into()),
        email: "camille.candidate@example.org".into(),
        received_at,
        due_on: ep_common::domain::calendar::habilitation_due(received_at),
        decision: Decision::open(),
        submitted_by: "agent".into(),
        account_id: None,
        overdue_alerted_at: None,
        v: 1,
    }
}

fn person<'a>(
    id: &'a str,
    role: Role,
    org: &'a str,
    status: Status,
    prenom: &'a str,
    nom: &'a str,
) -> Person<'a> {
    Person {
        id,
        role,
        org,
        status,
        prenom,
        nom,
    }
}

fn today(env: &Env) -> Date {
    ep_common::domain::calendar::paris_date(env.now())
}

// --------------------------------------------------------------------- scenarios

/// Both variants of each scenario.
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn sqlite() {
                super::$case(super::Backend::Sqlite).await;
            }
            #[tokio::test]
            async fn dynamodb() {
                if ep_tests::moto_endpoint().is_some() {
                    super::$case(super::Backend::Dynamo).await;
                }
            }
        }
    )*};
}

on_both_stores!(
    convention_end_inactivates_every_account_of_a_partner_without_another_convention,
    convention_end_with_another_convention_in_force_only_ends_that_one,
    scheduled_inactivation_reattaches_the_techniciens,
    scheduled_inactivation_of_the_last_gestionnaire_is_rejected_once,
    password_reminder_goes_once_15_days_before_expiry,
    overdue_habilitation_alerts_the_caisse_agents_once,
    expired_sessions_links_throttles_and_old_audit_events_are_deleted,
    a_purged_person_is_erased_from_every_item_and_file,
    a_run_takes_at_most_the_batch_of_each_kind,
    a_run_killed_half_way_then_rerun_ends_as_one_clean_run,
    two_concurrent_runs_end_as_one_clean_run,
    the_lambda_bootstraps_the_admin_and_refuses_unknown_events,
);

async fn convention_end_inactivates_every_account_of_a_partner_without_another_convention(
    b: Backend,
) {
    let env = env(b).await;
    let end = today(&env);
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.partner("p1", 2, 2);
    s.convention("p1", "c1", Some(end));
    s.account(
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
    s.account(
        person(
            "t1",
            Role::Technicien,
            "p1",
            Status::Active,
            "Chloé",
            "Trois",
        ),
        |u| u.attached_to = Some("g1".into()),
    );
    s.account(
        person(
            "t2",
            Role::Technicien,
            "p1",
            Status::Pending,
            "David",
            "Quatre",
        ),
        |u| u.attached_to = Some("g2".into()),
    );
    s.account(
        person(
            "t3",
            Role::Technicien,
            "p1",
            Status::Inactive,
            "Eve",
            "Cinq",
        ),
        |_| {},
    );
    s.commit().await;

    // The end date is inclusive: nothing on its last day (23:30 in Paris).
    env.clock.set("2026-11-26T22:30:00Z".parse().unwrap());
    let r = env.run().await;
    assert_eq!(r.convention_end.done, 0);
    assert_eq!(env.user("g1").await.unwrap().status, Status::Active);

    env.clock.set("2026-11-27T00:00:00Z".parse().unwrap());
    let r = env.run().await;
    assert_eq!(r.convention_end.done, 1, "{r:?}");
    assert_eq!(r.convention_end_accounts, 4);
    for id in ["g1", "g2", "t1", "t2"] {
        let u = env.user(id).await.unwrap();
        assert_eq!(u.status, Status::Inactive, "{id}");
        assert_eq!(
            u.inactivation_reason.as_deref(),
            Some("convention_end"),
            "{id}"
        );
        assert_eq!(u.inactivated_at, Some(env.now()));
    }
    // Nobody was re-attached: techniciens go first.
    assert_eq!(
        env.user("t1").await.unwrap().attached_to.as_deref(),
        Some("g1")
    );
    let t3 = env.user("t3").await.unwrap();
    assert_eq!(
        t3.inactivation_reason.as_deref(),
        Some("manual"),
        "untouched"
    );
    let conv = get_convention(env.ctx.table.as_ref(), "p1", "c1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conv.state, ConventionState::Ended);
    let p = ep_common::partners::get_partner(env.ctx.table.as_ref(), "p1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.gestionnaires, p.techniciens), (0, 0));
    let trail = env.audit_actions("p1").await;
    assert_eq!(
        trail
            .iter()
            .filter(|a| a.0 == "account.inactivated")
            .count(),
        4
    );
    assert!(trail.iter().any(|a| a.0 == "convention.ended"));
    assert!(env.audit_actions("c1").await.iter().any(|a| {
        a.0 == "convention.ended"
            && a.2
                .as_deref()
                .is_some_and(|d| d.starts_with("accounts_inactivated"))
    }));

    // Once only.
    let r = env.run().await;
    assert_eq!((r.convention_end.done, r.convention_end_accounts), (0, 0));
    assert_eq!(env.audit_actions("p1").await.len(), trail.len());
}

async fn convention_end_with_another_convention_in_force_only_ends_that_one(b: Backend) {
    let env = env(b).await;
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.caisse("c2");
    s.partner("p2", 1, 1);
    s.convention("p2", "c1", Some(today(&env)));
    s.convention("p2", "c2", None);
    s.account(
        person(
            "g1",
            Role::Gestionnaire,
            "p2",
            Status::Active,
            "Alice",
            "Un",
        ),
        |_| {},
    );
    s.account(
        person(
            "t1",
            Role::Technicien,
            "p2",
            Status::Active,
            "Chloé",
            "Trois",
        ),
        |_| {},
    );
    s.commit().await;
    env.clock.advance(days(1));
    let r = env.run().await;
    assert_eq!((r.convention_end.done, r.convention_end_accounts), (1, 0));
    for id in ["g1", "t1"] {
        assert_eq!(env.user(id).await.unwrap().status, Status::Active);
    }
    let table = env.ctx.table.as_ref();
    assert_eq!(
        get_convention(table, "p2", "c1")
            .await
            .unwrap()
            .unwrap()
            .state,
        ConventionState::Ended
    );
    assert_eq!(
        get_convention(table, "p2", "c2")
            .await
            .unwrap()
            .unwrap()
            .state,
        ConventionState::Active
    );
    assert!(env.audit_actions("c1").await.iter().any(|a| {
        a.0 == "convention.ended"
            && a.2
                .as_deref()
                .is_some_and(|d| d.starts_with("caisse_access_removed"))
    }));
}

async fn scheduled_inactivation_reattaches_the_techniciens(b: Backend) {
    let env = env(b).await;
    let wanted = today(&env).checked_add(jiff::Span::new().days(15)).unwrap();
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.partner("p3", 2, 2);
    s.convention("p3", "c1", None);
    s.account(
        person(
            "g1",
            Role::Gestionnaire,
            "p3",
            Status::Active,
            "Alice",
            "Un",
        ),
        |_| {},
    );
    s.account(
        person(
            "g2",
            Role::Gestionnaire,
            "p3",
            Status::Active,
            "Bruno",
            "Deux",
        ),
        |_| {},
    );
    s.account(
        person(
            "t1",
            Role::Technicien,
            "p3",
            Status::Active,
            "Chloé",
            "Trois",
        ),
        |u| u.attached_to = Some("g1".into()),
    );
    s.account(
        person(
            "t2",
            Role::Technicien,
            "p3",
            Status::Pending,
            "David",
            "Quatre",
        ),
        |u| u.attached_to = Some("g1".into()),
    );
    s.inactivation_request("i1", "p3", "c1", "g1", wanted);
    s.commit().await;

    env.clock.advance(days(14));
    assert_eq!(env.run().await.inactivation.done, 0);
    assert_eq!(env.user("g1").await.unwrap().status, Status::Active);

    env.clock.advance(days(1));
    let r = env.run().await;
    assert_eq!(r.inactivation.done, 1, "{r:?}");
    let g1 = env.user("g1").await.unwrap();
    assert_eq!(g1.status, Status::Inactive);
    assert_eq!(g1.inactivation_reason.as_deref(), Some("scheduled"));
    for t in ["t1", "t2"] {
        let u = env.user(t).await.unwrap();
        assert_ne!(u.status, Status::Inactive, "{t} stays");
        assert_eq!(u.attached_to.as_deref(), Some("g2"), "{t} re-attached");
    }
    let (pk, sk) = inactivation_key("c1", "i1");
    let req: InactivationRequest = env
        .ctx
        .table
        .get(&pk, &sk)
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(req.decision.state, InactivationState::Done);
    assert_eq!(req.decision.decided_by.as_deref(), Some("system"));
    let trail = env.audit_actions("p3").await;
    assert_eq!(
        trail.iter().filter(|a| a.0 == "account.reattached").count(),
        2
    );
    assert_eq!(env.run().await.inactivation.done, 0, "once");
}

async fn scheduled_inactivation_of_the_last_gestionnaire_is_rejected_once(b: Backend) {
    let env = env(b).await;
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.partner("p4", 1, 0);
    s.convention("p4", "c1", None);
    s.account(
        person(
            "g1",
            Role::Gestionnaire,
            "p4",
            Status::Active,
            "Alice",
            "Un",
        ),
        |_| {},
    );
    // A pending gestionnaire does not count (it has not set its password yet).
    s.account(
        person(
            "g2",
            Role::Gestionnaire,
            "p4",
            Status::Pending,
            "Bruno",
            "Deux",
        ),
        |_| {},
    );
    s.inactivation_request("i1", "p4", "c1", "g1", today(&env));
    s.commit().await;
    let r = env.run().await;
    assert_eq!(
        (r.inactivation.done, r.inactivation.closed),
        (0, 1),
        "{r:?}"
    );
    assert_eq!(env.user("g1").await.unwrap().status, Status::Active);
    let (pk, sk) = inactivation_key("c1", "i1");
    let item = env.ctx.table.get(&pk, &sk).await.unwrap().unwrap();
    assert!(item.get("due_pk").is_none(), "out of the due index");
    let req: InactivationRequest = item.parse().unwrap();
    assert_eq!(req.decision.state, InactivationState::Rejected);
    assert_eq!(req.decision.reason.as_deref(), Some("last_gestionnaire"));
    let rejected = |t: &[(String, Option<String>, Option<String>)]| {
        t.iter()
            .filter(|a| {
                a.0 == "inactivation.rejected" && a.2.as_deref() == Some("last_gestionnaire")
            })
            .count()
    };
    assert_eq!(rejected(&env.audit_actions("c1").await), 1);
    let r = env.run().await;
    assert_eq!(
        r.inactivation,
        ep_maintenance::Counts::default(),
        "not retried"
    );
    assert_eq!(rejected(&env.audit_actions("c1").await), 1);
}

async fn password_reminder_goes_once_15_days_before_expiry(b: Backend) {
    let env = env(b).await;
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.partner("p1", 1, 1);
    let changed = env.now();
    let g = s.account(
        person(
            "g1",
            Role::Gestionnaire,
            "p1",
            Status::Active,
            "Alice",
            "Un",
        ),
        |u| {
            u.password_changed_at = Some(changed);
            u.password_reminder_at = Some(changed + days(165));
        },
    );
    // Changed its password since its reminder was set: reminded for the new one.
    let t = s.account(
        person(
            "t1",
            Role::Technicien,
            "p1",
            Status::Active,
            "Chloé",
            "Trois",
        ),
        |u| {
            u.password_changed_at = Some(changed + days(100));
            u.password_reminder_at = Some(changed + days(165));
        },
    );
    s.commit().await;

    env.clock.advance(days(15));
    let r = env.run().await;
    assert_eq!(r.password_reminder, ep_maintenance::Counts::default());

    env.clock
        .set(changed + days(165) - SignedDuration::from_mins(1));
    assert_eq!(env.run().await.password_reminder.done, 0);
    assert!(env.texts_to(&g.email).await.is_empty());

    env.clock.set(changed + days(165));
    let r = env.run().await;
    assert_eq!(
        (r.password_reminder.done, r.password_reminder.closed),
        (1, 1),
        "{r:?}"
    );
    let texts = env.texts_to(&g.email).await;
    assert_eq!(texts.len(), 1);
    assert!(texts[0].contains("Bonjour Alice Un"), "{}", texts[0]);
    assert!(
        texts[0].contains("expire le 25/05/2027, dans 15 jours"),
        "{}",
        texts[0]
    );
    assert!(
        texts[0].contains("https://portail.example.org/mot-de-passe"),
        "{}",
        texts[0]
    );
    assert!(env.texts_to(&t.email).await.is_empty());
    assert_eq!(env.user("g1").await.unwrap().password_reminder_at, None);
    assert_eq!(
        env.user("t1").await.unwrap().password_reminder_at,
        Some(changed + days(265)),
        "rescheduled"
    );
    assert!(
        env.audit_actions("p1")
            .await
            .iter()
            .any(|a| a.0 == "account.password_reminder" && a.1.as_deref() == Some("g1"))
    );

    env.clock.advance(days(1));
    assert_eq!(env.run().await.password_reminder.done, 0);
    assert_eq!(env.texts_to(&g.email).await.len(), 1, "once");
}

async fn overdue_habilitation_alerts_the_caisse_agents_once(b: Backend) {
    let env = env(b).await;
    let mut s = Seed::new(&env);
    s.caisse("c1");
    s.caisse("c2");
    s.partner("p1", 1, 0);
    let a1 = s.account(
        person("a1", Role::Agent, "c1", Status::Active, "Agnès", "Agent"),
        |u| u.caisse_admin = true,
    );
    let a2 = s.account(
        person("a2", Role::Agent, "c1", Status::Active, "Basile", "Agent"),
        |_| {},
    );
    let a3 = s.account(
        person("a3", Role::Agent, "c1", Status::Inactive, "Côme", "Agent"),
        |_| {},
    );
    let a4 = s.account(
        person("a4", Role::Agent, "c2", Status::Active, "Dora", "Agent"),
        |_| {},
    );
    // Received Thursday 26 November 2026: 5 working days → Thursday 3 December.
    let h = habilitation("h1", "p1", "c1", env.now());
    assert_eq!(h.due_on, Date::constant(2026, 12, 3));
    s.habilitation(&h);
    let mut decided = habilitation("h2", "p1", "c1", env.now());
    decided.decision.state = HabilitationState::Approved;
    s.habilitation(&decided);
    s.commit().await;

    env.clock.set("2026-12-03T22:59:00Z".parse().unwrap());
    assert_eq!(
        env.run().await.hab_overdue.done,
        0,
        "not overdue on its due day"
    );
    env.clock.set("2026-12-03T23:00:00Z".parse().unwrap());
    let r = env.run().await;
    assert_eq!((r.hab_overdue.done, r.hab_overdue_emails), (1, 2), "{r:?}");
    for agent in [&a1, &a2] {
        let texts = env.texts_to(&agent.email).await;
        assert_eq!(texts.len(), 1, "{}", agent.id);
        assert!(
            texts[0].contains("« CCAS p1 », reçue le 26/11/2026"),
            "{}",
            texts[0]
        );
        assert!(
            texts[0].contains("https://portail.example.org/habilitations"),
            "{}",
            texts[0]
        );
        assert!(
            texts[0].contains("au plus tard le 03/12/2026"),
            "{}",
            texts[0]
        );
        assert!(!texts[0].contains("Candidate"), "no candidate's name");
        assert!(!texts[0].contains("camille"), "no candidate's address");
    }
    for agent in [&a3, &a4] {
        assert!(env.texts_to(&agent.email).await.is_empty(), "{}", agent.id);
    }
    let (pk, sk) = habilitation_key("c1", "h1");
    let hab: HabilitationRequest = env
        .ctx
        .table
        .get(&pk, &sk)
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(hab.overdue_alerted_at, Some(env.now()));
    assert_eq!(
        hab.decision.state,
        HabilitationState::Pending,
        "still to process"
    );
    assert!(
        env.audit_actions("c1").await.iter().any(
            |a| a.0 == "habilitation.overdue_alerted" && a.2.as_deref() == Some("recipients=2")
        )
    );
    env.clock.advance(days(3));
    assert_eq!(env.run().await.hab_overdue.done, 0);
    assert_eq!(env.texts_to(&a1.email).await.len(), 1, "once per request");
}

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
    let keys: Vec<(String, String)> = [
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

async fn a_run_takes_at_most_the_batch_of_each_kind(b: Backend) {
    let mut env = env(b).await;
    let mut config = (*env.ctx.config).clone();
    config.maintenance_batch = 3;
    env.ctx.config = Arc::new(config);
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
    for i in 0..5 {
        let (_, w, _) =
            ep_common::sessions::create(&env.ctx, &u, now - days(1) - SignedDuration::from_secs(i))
                .unwrap();
        s.writes.push(w);
    }
    s.commit().await;
    let r = env.run().await;
    assert_eq!(r.sessions.done, 3);
    assert_eq!(r.unfinished, vec!["sessions"]);
    let r = env.run().await;
    assert_eq!(r.sessions.done, 2);
    assert!(r.unfinished.is_empty(), "{r:?}");
}

/// A bit of every kind of work, due at `env.now()`.
async fn seed_everything(env: &Env) {
    use ep_auth::throttle;
    let now = env.now();
    let mut s = Seed::new(env);
    s.caisse("c1");
    s.caisse("c2");
    s.account(
        person("a1", Role::Agent, "c1", Status::Active, "Agnès", "Agent"),
        |u| u.caisse_admin = true,
    );
    s.account(
        person("a2", Role::Agent, "c1", Status::Active, "Basile", "Agent"),
        |_| {},
    );
    // p1: its only convention ended yesterday → 4 accounts inactivated.
    s.partner("p1", 2, 2);
    s.convention("p1", "c1", Some(today(env).yesterday().unwrap()));
    s.account(
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
    s.account(
        person(
            "t1",
            Role::Technicien,
            "p1",
            Status::Active,
            "Chloé",
            "Trois",
        ),
        |u| u.attached_to = Some("g1".into()),
    );
    s.account(
        person(
            "t2",
            Role::Technicien,
            "p1",
            Status::Pending,
            "David",
            "Quatre",
        ),
        |u| u.attached_to = Some("g2".into()),
    );
    // p2: one convention ends, one stays.
    s.partner("p2", 1, 0);
    s.convention("p2", "c1", Some(today(env).yesterday().unwrap()));
    s.convention("p2", "c2", None);
    s.account(
        person(
            "g3",
            Role::Gestionnaire,
            "p2",
            Status::Active,
            "Elise",
            "Cinq",
        ),
        |u| {
            u.password_changed_at = Some(now - days(166));
            u.password_reminder_at = Some(now - days(1));
        },
    );
    // p3: a scheduled inactivation applied, one rejected (last gestionnaire in p4).
    s.partner("p3", 2, 1);
    s.convention("p3", "c1", None);
    s.account(
        person(
            "g4",
            Role::Gestionnaire,
            "p3",
            Status::Active,
            "Fanny",
            "Six",
        ),
        |_| {},
    );
    s.account(
        person(
            "g5",
            Role::Gestionnaire,
            "p3",
            Status::Active,
            "Gaston",
            "Sept",
        ),
        |_| {},
    );
    s.account(
        person("t3", Role::Technicien, "p3", Status::Active, "Hugo", "Huit"),
        |u| u.attached_to = Some("g4".into()),
    );
    s.inactivation_request("i1", "p3", "c1", "g4", today(env));
    s.partner("p4", 1, 0);
    s.convention("p4", "c1", None);
    s.account(
        person(
            "g6",
            Role::Gestionnaire,
            "p4",
            Status::Active,
            "Iris",
            "Neuf",
        ),
        |_| {},
    );
    s.inactivation_request("i2", "p4", "c1", "g6", today(env));
    // Purges: a technicien and a gestionnaire with pointers.
    s.account(
        person(
            "t8",
            Role::Technicien,
            "p3",
            Status::Inactive,
            "Jules",
            "Dix",
        ),
        |u| u.inactivated_at = Some(now - days(200)),
    );
    s.account(
        person(
            "g8",
            Role::Gestionnaire,
            "p3",
            Status::Inactive,
            "Karine",
            "Onze",
        ),
        |u| u.inactivated_at = Some(now - days(190)),
    );
    let mut hab = habilitation("h8", "p3", "c1", now - days(400));
    hab.decision.state = HabilitationState::Approved;
    hab.account_id = Some("g8".into());
    s.habilitation(&hab);
    // Overdue habilitation requests.
    s.habilitation(&habilitation("h1", "p3", "c1", now - days(10)));
    s.habilitation(&habilitation("h2", "p4", "c1", now - days(12)));
    // Expired sessions, links, throttles, audit events.
    let g5 = env_user_record(&s, "g5");
    for i in 0..2 {
        let (_, w, _) = ep_common::sessions::create(
            &env.ctx,
            &g5,
            now - days(2) - SignedDuration::from_secs(i),
        )
        .unwrap();
        s.writes.push(w);
        let (_, w) = ep_common::tokens::issue(
            "g5",
            ep_common::tokens::Purpose::Reset,
            now - days(20 + i),
            72,
        )
        .unwrap();
        s.writes.push(w);
        let t = throttle::after_failure(throttle::Kind::Identifiant, None, now - days(1));
        s.writes.push(
            throttle::write(throttle::Kind::Identifiant, &format!("id-{i}"), None, &t).unwrap(),
        );
        s.writes.push(
            audit::record(
                "p3",
                audit::event(now - days(400 + i), "g5", "auth.login.success", None),
                12,
            )
            .unwrap(),
        );
    }
    s.commit().await;
}

/// The record of an account already added to `s`.
fn env_user_record(s: &Seed<'_>, id: &str) -> User {
    s.writes
        .iter()
        .find_map(|w| match w {
            Write::Put { item, .. } if item.pk() == user_key(id).0 && item.sk() == "PROFILE" => {
                item.parse().ok()
            }
            _ => None,
        })
        .expect("seeded account")
}

/// What one clean run of `seed_everything` leaves, with the emails it sends.
async fn clean_outcome(
    b: Backend,
) -> (
    Vec<String>,
    Vec<(String, String)>,
    ep_maintenance::RunReport,
) {
    let env = env(b).await;
    seed_everything(&env).await;
    let report = env.run().await;
    env.clock.advance(SignedDuration::from_hours(1));
    env.run().await;
    let sent = env.sent_summary(false).await;
    let dump = env.dump().await;
    env.close().await;
    (dump, sent, report)
}

fn assert_same_state(what: &str, got: &[String], want: &[String]) {
    if got != want {
        let missing: Vec<&String> = want.iter().filter(|l| !got.contains(l)).collect();
        let extra: Vec<&String> = got.iter().filter(|l| !want.contains(l)).collect();
        panic!(
            "{what}: state differs from one clean run\nmissing: {missing:#?}\nextra: {extra:#?}"
        );
    }
}

async fn a_run_killed_half_way_then_rerun_ends_as_one_clean_run(b: Backend) {
    let (want, want_sent, report) = clean_outcome(b).await;
    // The clean run did every kind of work.
    assert_eq!(report.convention_end.done, 2, "{report:?}");
    assert_eq!(report.convention_end_accounts, 4);
    assert_eq!(
        (report.inactivation.done, report.inactivation.closed),
        (1, 1)
    );
    assert_eq!(report.purge.done, 2);
    assert_eq!(report.password_reminder.done, 1);
    assert_eq!((report.hab_overdue.done, report.hab_overdue_emails), (2, 4));
    assert_eq!(
        (
            report.sessions.done,
            report.tokens.done,
            report.throttle.done,
            report.audit.done
        ),
        (2, 2, 2, 2)
    );
    assert_eq!(report.emails.sent, 0, "sent right after their commits");
    assert_eq!(want_sent.len(), 5);

    // How many writes a clean run makes.
    let counting = env(b).await;
    seed_everything(&counting).await;
    let mut ctx = counting.ctx.clone();
    let failing = Arc::new(Failing::new(ctx.table.clone(), u32::MAX, Strike::Before));
    ctx.table = failing.clone();
    ep_maintenance::run(&ctx).await.unwrap();
    let writes = failing.writes.load(Ordering::SeqCst);
    counting.close().await;
    assert!(writes > 20, "{writes} writes");
    eprintln!("a clean run makes {writes} writes");

    // Kill the run at every write (on moto, every 7th to keep the test short).
    let step: u32 = if b == Backend::Dynamo { 7 } else { 1 };
    for strike in [Strike::Before, Strike::After] {
        // On moto, the two strikes cover different writes.
        let first = if strike == Strike::Before {
            1
        } else {
            1 + step / 2
        };
        for n in (first..=writes).step_by(step as usize) {
            let env = env(b).await;
            seed_everything(&env).await;
            let mut ctx = env.ctx.clone();
            ctx.table = Arc::new(Failing::new(ctx.table.clone(), n, strike));
            assert!(
                ep_maintenance::run(&ctx).await.is_err(),
                "write {n} failed: the run stops"
            );
            env.run().await;
            env.clock.advance(SignedDuration::from_hours(1));
            env.run().await;
            assert_same_state(
                &format!("killed at write {n} ({strike:?})"),
                &env.dump().await,
                &want,
            );
            // Delivery is at least once: a kill between sending and recording it
            // sends the same message (same Message-ID) again; no message is lost.
            let sent = env.sent_summary(true).await;
            assert_eq!(sent, want_sent, "killed at write {n} ({strike:?})");
            env.close().await;
        }
    }
}

async fn two_concurrent_runs_end_as_one_clean_run(b: Backend) {
    let (want, want_sent, one) = clean_outcome(b).await;
    let env = env(b).await;
    seed_everything(&env).await;
    let (x, y) = tokio::join!(ep_maintenance::run(&env.ctx), ep_maintenance::run(&env.ctx));
    let (x, y) = (x.unwrap(), y.unwrap());
    let sum = |f: fn(&ep_maintenance::RunReport) -> u32| f(&x) + f(&y);
    assert_eq!(sum(|r| r.convention_end.done), one.convention_end.done);
    assert_eq!(
        sum(|r| r.convention_end_accounts),
        one.convention_end_accounts
    );
    assert_eq!(sum(|r| r.inactivation.done), one.inactivation.done);
    assert_eq!(sum(|r| r.purge.done), one.purge.done);
    assert_eq!(
        sum(|r| r.password_reminder.done),
        one.password_reminder.done
    );
    assert_eq!(sum(|r| r.hab_overdue_emails), one.hab_overdue_emails);
    env.clock.advance(SignedDuration::from_hours(1));
    env.run().await;
    assert_same_state("two runs at once", &env.dump().await, &want);
    let sent = env.sent_summary(false).await;
    assert_eq!(sent, want_sent, "each email once");
    env.close().await;
}

async fn the_lambda_bootstraps_the_admin_and_refuses_unknown_events(b: Backend) {
    let env = env(b).await;
    let out = ep_maintenance::handle_event(&env.ctx, &serde_json::json!({"bootstrap_admin": true}))
        .await
        .unwrap();
    assert_eq!(out, serde_json::json!({"admin_created": true}));
    let again =
        ep_maintenance::handle_event(&env.ctx, &serde_json::json!({"bootstrap_admin": true}))
            .await
            .unwrap();
    assert_eq!(again, serde_json::json!({"admin_created": false}));
    let scheduled =
        serde_json::json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    let report = ep_maintenance::handle_event(&env.ctx, &scheduled)
        .await
        .unwrap();
    assert!(report.get("purge").is_some(), "{report}");
    let err = ep_maintenance::handle_event(&env.ctx, &serde_json::json!({"hello": 1})).await;
    assert!(matches!(err, Err(ep_maintenance::EventError::Unknown)));
    // What the Lambda runtime reports: a meaningful errorType, not a Rust type name.
    let diagnostic = lambda_http::lambda_runtime::Diagnostic::from(err.unwrap_err());
    assert_eq!(diagnostic.error_type, "UnknownEvent");
    assert!(diagnostic.error_message.contains("bootstrap_admin"));
    let store =
        ep_maintenance::EventError::Store(ep_common::table::StoreError::Invalid("x".into()));
    assert_eq!(
        lambda_http::lambda_runtime::Diagnostic::from(store).error_type,
        "StoreError"
    );
}

// ------------------------------------------------------------- embedded-only

/// The outbox is the local stand-in for a mail relay: it keeps 30 days.
#[tokio::test]
async fn the_outbox_keeps_messages_30_days() {
    let env = env(Backend::Sqlite).await;
    let msg = |id: &str, at: Timestamp| {
        let content = ep_common::mail::EmailContent {
            from: MAIL_FROM,
            to: "quelqu.un@exemple.example.org",
            subject: "Essai",
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
        };
        ep_common::mail::compose(&content, id, at).unwrap()
    };
    let now = env.now();
    env.ctx
        .mailer
        .send(&msg("old", now - days(31)))
        .await
        .unwrap();
    env.ctx
        .mailer
        .send(&msg("recent", now - days(29)))
        .await
        .unwrap();
    let r = env.run().await;
    assert_eq!(r.outbox_pruned, 1);
    let Store::Sqlite { dir, .. } = &env.store else {
        unreachable!()
    };
    let left = ep_common::embedded::list_outbox(&dir.0.join("data/outbox")).unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].raw.contains("recent@"), "{}", left[0].file);
}
