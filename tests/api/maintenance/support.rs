//! The harness of the maintenance scenarios: both environments (SQLite + outbox,
//! DynamoDB + SES on moto), table doubles, seeding by direct writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use ep_common::Ctx;
use ep_common::audit;
use ep_common::clock::ManualClock;
use ep_common::domain::types::{ConventionState, PartnerStatus};
use ep_common::embedded::SqliteTable;
use ep_common::mail::{decode_header, header_of, text_part};
use ep_common::partners::{
    Caisse, Convention, Decision, HabilitationRequest, InactivationRequest, Partner,
    habilitation_key,
};
use ep_common::record::Record;
use ep_common::table::{Cond, Index, Item, Page, Query, StoreError, Table, Write};
use ep_common::users::{NewAccount, OrgKind, Role, Status, User, get_user, personal_data_ref};
use ep_tests::{TempDir, moto_endpoint, moto_sdk, test_config, unique};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

pub(crate) const T0: &str = "2026-11-26T09:00:00Z";
pub(crate) const MAIL_FROM: &str = "ne-pas-repondre@espace-partenaires.example.org";

pub(crate) fn t0() -> Timestamp {
    T0.parse().unwrap()
}

pub(crate) fn days(n: i64) -> SignedDuration {
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
    pub(crate) store: Store,
}

pub(crate) enum Store {
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
            ep_common::audit::transact(&self.ctx, chunk.to_vec())
                .await
                .expect("seed");
        }
    }

    pub async fn user(&self, id: &str) -> Option<User> {
        get_user(self.ctx.table.as_ref(), id).await.unwrap()
    }

    pub async fn audit_actions(&self, org: &str) -> Vec<(String, Option<String>, Option<String>)> {
        self.ctx
            .table
            .query_all(&audit::events_query(org))
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
pub(crate) fn normalize(s: &str) -> String {
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

pub(crate) fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
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
    pub(crate) inner: Arc<dyn Table>,
    pub(crate) pks: std::sync::Mutex<std::collections::BTreeSet<String>>,
    pub(crate) one_at_a_time: tokio::sync::Mutex<()>,
}

impl Recorder {
    pub(crate) fn new(inner: Arc<dyn Table>) -> Self {
        Recorder {
            inner,
            pks: Default::default(),
            one_at_a_time: Default::default(),
        }
    }
    pub(crate) fn note(&self, pk: &str) {
        self.pks.lock().unwrap().insert(pk.to_owned());
    }
    pub(crate) async fn dump(&self) -> Vec<Item> {
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
    pub(crate) inner: Arc<dyn Table>,
    pub(crate) writes: AtomicU32,
    pub(crate) fail_at: u32,
    pub(crate) strike: Strike,
}

impl Failing {
    pub(crate) fn new(inner: Arc<dyn Table>, fail_at: u32, strike: Strike) -> Self {
        Failing {
            inner,
            writes: AtomicU32::new(0),
            fail_at,
            strike,
        }
    }
    pub(crate) async fn guard<F>(&self, write: F) -> Result<(), StoreError>
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
    pub(crate) env: &'a Env,
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
            siret: None,
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

pub(crate) fn person<'a>(
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

pub(crate) fn today(env: &Env) -> Date {
    ep_common::domain::calendar::paris_date(env.now())
}

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
