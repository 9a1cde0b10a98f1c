//! The partner's history (`GET /api/requests`) over one partner holding 100 000
//! requests (5 caisses), through the real local gateway, against the same gateway
//! serving a static file of the same size (issue 11). Goals, per page (20 rows):
//! at most 2 store round trips after the session check, throughput at least half
//! the static file's, p99 under 5 ms.
//!
//! ```sh
//! infra/scripts/bench-requests.sh                       # builds and runs it
//! cargo bench -p ep-gateway --bench requests            # the same
//! EP_BENCH_REQUESTS=20000 EP_BENCH_N=1000 cargo bench -p ep-gateway --bench requests
//! EP_BENCH_DATA=/var/tmp/ep-bench cargo bench -p ep-gateway --bench requests  # keep the seeded data
//! ```
//!
//! Not a test (CI does not run it). The store is seeded directly (bulk SQLite
//! transactions) with the items the requests function writes — the record, its first
//! thread entry, its reference guard and its index items from
//! `RequestRecord::to_item` / `index_writes`, the counts from `Counts::moved` — so
//! the layout is the real one (README « Data layout: requests »). States: 20 %
//! submitted, 20 % in progress, 10 % info requested, 10 % answered, 40 % closed;
//! one request in 1 000 is for a « Bénard », the only name starting with `bena`.
//!
//! Measured over HTTP/1.1 keep-alive (hyper client, in the same process as the
//! gateway): N sequential requests on one connection, then N over `EP_BENCH_CONNS`
//! concurrent connections; the cases alternate in rounds so that a load change on
//! the machine hits them alike. Round trips are counted in process: the gateway
//! has no hook for another Table, so the requests function's handler is called
//! directly with the gateway's context whose Table is wrapped in a counter (as the
//! API test `a_list_page_costs_at_most_two_store_round_trips_after_the_session_check`
//! does); its body is checked to be byte for byte the one the gateway served.
//!
//! Exit status 1 when a goal is missed.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ep_common::Ctx;
use ep_common::clock::ManualClock;
use ep_common::config::Config;
use ep_common::partners::{Caisse, Convention, Partner};
use ep_common::record::Record;
use ep_common::requests::{
    AssureRecord, Counts, RequestRecord, Side, StateEvent, ThreadEntry, msg_sk, reference_key,
    request_pk,
};
use ep_common::table::{Cond, Item, Page, Query, StoreError, Table, Write};
use ep_common::users::{NewAccount, OrgKind, Role, Status, User};
use ep_domain::request_form::reference;
use ep_domain::requests::RequestState;
use ep_domain::types::{ConventionState, PartnerStatus};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

const NOW: &str = "2026-11-26T09:00:00Z";
const PARTNER: &str = "pbench";
const CAISSES: usize = 5;
const TECHNICIENS: usize = 5;
/// The 4-letter name prefix of one request in 1 000 (« Bénard »).
const PREFIX: &str = "bena";
const RARE_NOM: &str = "Bénard";
/// The whole name, longer than the indexed prefixes: read from the `bena` partition
/// and matched in memory.
const RARE_QUERY: &str = "benard";
const PASSWORD: &str = "Banc d'essai des historiques 2026 !";
const IDENTIFIANT: &str = "tb100000";
/// Goals.
const MAX_ROUND_TRIPS: u64 = 2;
const MIN_RATIO: f64 = 0.5;
const MAX_P99: Duration = Duration::from_millis(5);

/// No name here folds to a word starting with `bena`.
const NOMS: [&str; 40] = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
];
const PRENOMS: [&str; 20] = [
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Lucas", "Hugo", "Louis",
    "Nathan", "Jules", "Gabriel", "Arthur", "Emma", "Alice", "Paul", "Zoé", "Adam", "Rose",
];

fn now() -> Timestamp {
    NOW.parse().expect("timestamp")
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

// ------------------------------------------------------------------ seeding

fn items_of(writes: Vec<Write>) -> Vec<Item> {
    writes
        .into_iter()
        .filter_map(|w| match w {
            Write::Put { item, .. } => Some(item),
            _ => None,
        })
        .collect()
}

fn account(id: &str, ident: &str, role: Role, org: (OrgKind, &str, &str), cgu: &str) -> User {
    let mut u = User::pending(
        id.into(),
        ident.into(),
        NewAccount {
            role,
            civilite: Some("madame".into()),
            nom: format!("Nom{id}"),
            prenom: "Prénom".into(),
            email: format!("{id}@ccas-bench.example.org"),
            fonction: Some("Travailleuse sociale".into()),
            telephone: None,
            org_kind: org.0,
            org_id: org.1.into(),
            org_name: org.2.into(),
            created_by: None,
        },
        now() - SignedDuration::from_hours(24 * 400),
    );
    u.status = Status::Active;
    u.password_changed_at = Some(now() - SignedDuration::from_hours(24 * 10));
    u.cgu_version = Some(cgu.into());
    u.cgu_accepted_at = Some(now() - SignedDuration::from_hours(24 * 10));
    u
}

fn state_of(i: usize) -> RequestState {
    match i % 10 {
        0 | 1 => RequestState::Submitted,
        2 | 3 => RequestState::InProgress,
        4 => RequestState::InfoRequested,
        5 => RequestState::Answered,
        _ => RequestState::Closed,
    }
}

/// Request `i` of `n`: one every 5 minutes up to `now()` (the last is the newest).
fn request(
    i: usize,
    n: usize,
    caisses: &[Caisse],
    agents: &[User],
    techs: &[User],
) -> RequestRecord {
    let created = now() - SignedDuration::from_mins(5 * (n - i) as i64);
    let caisse = &caisses[i % CAISSES];
    let agent = &agents[i % CAISSES];
    let tech = &techs[(i / 7) % TECHNICIENS];
    let (kind, sous_type, mode) = match i % 5 {
        0 => ("contact", None, None),
        1 => ("dossier", Some(["puma", "css", "ame"][(i / 5) % 3]), None),
        2 => ("signalement", None, None),
        3 => ("rendez_vous", None, Some("telephone")),
        _ => ("document", Some("attestation_droits"), None),
    };
    let nom = if i % 1000 == 7 {
        RARE_NOM
    } else {
        NOMS[(i * 7) % NOMS.len()]
    };
    let prenom = PRENOMS[(i / NOMS.len()) % PRENOMS.len()];
    let state = state_of(i);
    let mut events = vec![StateEvent {
        at: created,
        actor_id: tech.id.clone(),
        actor_name: tech.display_name(),
        actor_side: Side::Partner,
        state: RequestState::Submitted,
    }];
    let path: &[RequestState] = match state {
        RequestState::Submitted => &[],
        RequestState::InProgress => &[RequestState::InProgress],
        RequestState::InfoRequested => &[RequestState::InProgress, RequestState::InfoRequested],
        RequestState::Answered => &[RequestState::InProgress, RequestState::Answered],
        RequestState::Closed => &[
            RequestState::InProgress,
            RequestState::Answered,
            RequestState::Closed,
        ],
    };
    for (k, s) in path.iter().enumerate() {
        // The partner closes; the caisse takes, asks and answers.
        let (actor, side) = if *s == RequestState::Closed {
            (tech, Side::Partner)
        } else {
            (agent, Side::Caisse)
        };
        events.push(StateEvent {
            at: created + SignedDuration::from_secs(60 * (k as i64 + 1)),
            actor_id: actor.id.clone(),
            actor_name: actor.display_name(),
            actor_side: side,
            state: *s,
        });
    }
    let updated = events.last().map_or(created, |e| e.at);
    let taken = state != RequestState::Submitted;
    let mut random = [0u8; 5];
    random[1..].copy_from_slice(&(i as u32).to_be_bytes());
    RequestRecord {
        id: ep_common::ids::new_id(),
        reference: reference(random),
        partner_id: PARTNER.into(),
        partner_name: "CCAS de Bancdessai".into(),
        caisse_id: caisse.id.clone(),
        caisse_name: caisse.name.clone(),
        kind: kind.into(),
        sous_type: sous_type.map(str::to_owned),
        assure: AssureRecord {
            civilite: if i.is_multiple_of(2) {
                "madame"
            } else {
                "monsieur"
            }
            .into(),
            nom: nom.into(),
            prenom: prenom.into(),
            date_naissance: jiff::civil::Date::constant(
                1940 + (i % 60) as i16,
                1 + (i % 12) as i8,
                1 + (i % 28) as i8,
            ),
            departement: "69".into(),
        },
        mode: mode.map(str::to_owned),
        disponibilites: mode.map(|_| "Le matin, du lundi au jeudi".to_owned()),
        delivery_mode: (kind == "document").then(|| "portal".to_owned()),
        posted_on: None,
        answer_documents: Vec::new(),
        state,
        created_at: created,
        updated_at: updated,
        closed_at: (state == RequestState::Closed).then_some(updated),
        submitted_by: tech.id.clone(),
        submitted_by_name: tech.display_name(),
        assigned_to: taken.then(|| agent.id.clone()),
        assigned_to_name: taken.then(|| agent.display_name()),
        events,
        thread_len: 1,
        v: path.len() as u64 + 1,
    }
}

/// Everything the requests function would have written for request `rec`.
fn request_items(rec: &RequestRecord, retention: i64) -> Vec<Item> {
    let entry = ThreadEntry {
        seq: 1,
        at: rec.created_at,
        author_id: rec.submitted_by.clone(),
        author_name: rec.submitted_by_name.clone(),
        author_side: Side::Partner,
        kind: "request".into(),
        text: "Bonjour, la personne que nous accompagnons attend une réponse sur ses droits \
               depuis plusieurs semaines. Pouvez-vous nous dire où en est son dossier ? Merci."
            .into(),
    };
    let (rpk, rsk) = reference_key(&rec.reference);
    let mut items = vec![
        rec.to_item(retention).expect("record item"),
        Item::from_record(request_pk(&rec.id), msg_sk(1), &entry).expect("thread item"),
        Item::new(rpk, rsk).with("request_id", rec.id.clone()),
    ];
    items.extend(items_of(rec.index_writes(None).expect("index writes")));
    items
}

fn count(c: &mut Counts, s: RequestState) {
    match s {
        RequestState::Submitted => c.submitted += 1,
        RequestState::InProgress => c.in_progress += 1,
        RequestState::InfoRequested => c.info_requested += 1,
        RequestState::Answered => c.answered += 1,
        RequestState::Closed => c.closed += 1,
    }
}

/// Seeds the partner, its caisses, accounts and `n` requests; returns the number of
/// store items written.
async fn seed(emb: &ep_common::embedded::Embedded, n: usize) -> usize {
    let table = &emb.table;
    let retention = emb.ctx.config.request_retention_months;
    let cgu = ep_common::cgu::current(table.as_ref(), ep_common::cgu::Audience::Partenaires)
        .await
        .expect("cgu")
        .expect("the bootstrap installs the CGU")
        .version;
    let long_ago = now() - SignedDuration::from_hours(24 * 500);
    let mut batch: Vec<Item> = Vec::new();
    let caisses: Vec<Caisse> = (0..CAISSES)
        .map(|c| Caisse {
            id: format!("cbench{c}"),
            name: format!("CPAM du Banc {c}"),
            address: "1 rue de l'Exemple, 69000 Lyon".into(),
            alt_contact: "Téléphone 36 46".into(),
            referents: vec![],
            created_at: long_ago,
            v: 1,
        })
        .collect();
    let agents: Vec<User> = caisses
        .iter()
        .enumerate()
        .map(|(c, caisse)| {
            account(
                &format!("abench{c}"),
                &format!("ag10000{c}"),
                Role::Agent,
                (OrgKind::Caisse, &caisse.id, &caisse.name),
                &cgu,
            )
        })
        .collect();
    let org = (OrgKind::Partner, PARTNER, "CCAS de Bancdessai");
    let mut techs: Vec<User> = (0..TECHNICIENS)
        .map(|t| {
            account(
                &format!("tbench{t}"),
                &format!("tb10000{t}"),
                Role::Technicien,
                org,
                &cgu,
            )
        })
        .collect();
    techs[0].password_hash = Some(
        ep_auth::password::hash(PASSWORD.into())
            .await
            .expect("argon2 hash"),
    );
    let gestionnaire = account("gbench0", "gb100000", Role::Gestionnaire, org, &cgu);
    let partner = Partner {
        id: PARTNER.into(),
        name: org.2.into(),
        siret: None,
        address: "2 place de la Mairie, 69130 Exempleville".into(),
        category: "ccas".into(),
        members: 40,
        allowed_domains: vec!["ccas-bench.example.org".into()],
        status: PartnerStatus::Active,
        suspension: None,
        gestionnaires: 1,
        techniciens: TECHNICIENS as u32,
        review_requested_at: None,
        review_confirmed_at: None,
        created_at: long_ago,
        created_by: None,
        v: 1,
    };
    batch.push(partner.to_item().expect("partner item"));
    for c in &caisses {
        batch.push(c.to_item().expect("caisse item"));
        let conv = Convention {
            partner_id: PARTNER.into(),
            caisse_id: c.id.clone(),
            partner_name: partner.name.clone(),
            start: jiff::civil::Date::constant(2025, 1, 1),
            end: None,
            state: ConventionState::Active,
            functionalities: [
                "contact",
                "dossier",
                "signalement",
                "rendez_vous",
                "document",
                "historique",
            ]
            .map(str::to_owned)
            .to_vec(),
            v: 1,
        };
        batch.push(conv.to_item().expect("convention item"));
    }
    for u in agents.iter().chain(&techs).chain([&gestionnaire]) {
        batch.extend(items_of(u.create_writes().expect("account writes")));
    }
    let mut counts = vec![Counts::default(); CAISSES];
    let mut written = 0;
    for i in 0..n {
        let rec = request(i, n, &caisses, &agents, &techs);
        count(&mut counts[i % CAISSES], rec.state);
        batch.extend(request_items(&rec, retention));
        if batch.len() >= 50_000 {
            written += batch.len();
            table
                .bulk_put(std::mem::take(&mut batch))
                .await
                .expect("bulk put");
        }
    }
    for (c, k) in caisses.iter().zip(&counts) {
        batch.extend(items_of(vec![k.moved(&c.id, None, None).expect("counts")]));
    }
    written += batch.len();
    table.bulk_put(batch).await.expect("bulk put");
    table.checkpoint().await.expect("checkpoint");
    written
}

// ------------------------------------------------------------------ counting

/// The Table port with a count of store round trips.
struct Counting {
    inner: Arc<dyn Table>,
    n: AtomicU64,
}

impl Counting {
    fn tick(&self) {
        self.n.fetch_add(1, Ordering::SeqCst);
    }
    fn take(&self) -> u64 {
        self.n.swap(0, Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl Table for Counting {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        self.tick();
        self.inner.get(pk, sk).await
    }
    async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Option<Item>>, StoreError> {
        self.tick();
        self.inner.get_many(keys).await
    }
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        self.tick();
        self.inner.put(item, cond).await
    }
    async fn delete(&self, pk: &str, sk: &str, cond: Cond) -> Result<(), StoreError> {
        self.tick();
        self.inner.delete(pk, sk, cond).await
    }
    async fn query(&self, q: &Query) -> Result<Page, StoreError> {
        self.tick();
        self.inner.query(q).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.tick();
        self.inner.transact(writes).await
    }
}

/// The API Gateway event of `GET <path>?<query>` with the session cookie, as the
/// gateway builds it.
fn event(path: &str, query: &str, cookie: &str) -> lambda_http::Request {
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
        ApiGatewayV2httpRequestContextHttpDescription,
    };
    // Typed, as the gateway builds it (no JSON round trip).
    let route = format!("GET {path}");
    let mut http_desc = ApiGatewayV2httpRequestContextHttpDescription::default();
    http_desc.method = http::Method::GET;
    http_desc.path = Some(path.to_owned());
    http_desc.protocol = Some("HTTP/1.1".into());
    http_desc.source_ip = Some("127.0.0.1".into());
    http_desc.user_agent = Some("bench".into());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route.clone());
    context.stage = Some("$default".into());
    context.http = http_desc;
    let mut e = ApiGatewayV2httpRequest::default();
    e.version = Some("2.0".into());
    e.route_key = Some(route);
    e.raw_path = Some(path.to_owned());
    e.raw_query_string = Some(query.to_owned());
    e.headers.insert(
        http::header::HOST,
        http::HeaderValue::from_static("127.0.0.1"),
    );
    e.cookies = Some(vec![cookie.to_owned()]);
    e.request_context = context;
    lambda_http::request::LambdaRequest::ApiGatewayV2(e).into()
}

/// (round trips of the session check, round trips after it, body) of one page
/// answered in process by the requests function.
async fn round_trips(
    ctx: &Ctx,
    counting: &Counting,
    query: &str,
    cookie: &str,
) -> (u64, u64, Vec<u8>) {
    counting.take();
    ep_common::sessions::require(
        ctx,
        &event("/api/requests", query, cookie),
        ep_common::sessions::Gate::Full,
    )
    .await
    .expect("session");
    let session = counting.take();
    let res = ep_requests::handle(ctx.clone(), event("/api/requests", query, cookie)).await;
    let total = counting.take();
    assert_eq!(res.status(), 200, "?{query}");
    (session, total - session, res.body().as_ref().to_vec())
}

/// Median times, in process, of the parts of an unfiltered page: one store round
/// trip, the session check, the page's query, the whole handler.
async fn breakdown(ctx: &Ctx, cookie: &str, n: usize) -> Vec<(&'static str, Duration)> {
    async fn median<F: std::future::Future<Output = ()>>(
        n: usize,
        mut f: impl FnMut() -> F,
    ) -> Duration {
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            f().await;
            v.push(t.elapsed());
        }
        pct(&v, 0.5)
    }
    let token = cookie.split_once('=').map_or("", |(_, t)| t).to_owned();
    let (pk, sk) = (
        format!("SESSION#{}", ep_common::ids::token_hash(&token)),
        "SESSION".to_owned(),
    );
    let get = median(n, || async {
        ctx.table
            .get(&pk, &sk)
            .await
            .expect("get")
            .expect("session");
    })
    .await;
    // The requests are built beforehand: only the check is timed.
    let mut events: Vec<_> = (0..n).map(|_| event("/api/requests", "", cookie)).collect();
    let session = median(n, || {
        let e = events.pop().expect("one event per run");
        async move {
            ep_common::sessions::require(ctx, &e, ep_common::sessions::Gate::Full)
                .await
                .expect("session");
        }
    })
    .await;
    let q = Query::new(
        ep_common::table::Index::Table,
        ep_common::requests::history_pk(PARTNER, None),
    )
    .limit(ep_requests::PAGE as u32 + 2)
    .descending();
    let query = median(n, || async {
        ctx.table.query(&q).await.expect("query");
    })
    .await;
    let page = ctx.table.query(&q).await.expect("query");
    let parse = median(n, || async {
        for item in &page.items {
            let s: ep_common::requests::Summary = item.parse().expect("summary");
            std::hint::black_box(s);
        }
    })
    .await;
    let mut events: Vec<_> = (0..n).map(|_| event("/api/requests", "", cookie)).collect();
    let handler = median(n, || {
        let e = events.pop().expect("one event per run");
        async move {
            let res = ep_requests::handle(ctx.clone(), e).await;
            assert_eq!(res.status(), 200);
        }
    })
    .await;
    vec![
        ("one store get", get),
        ("session check", session),
        ("page query (22 items)", query),
        ("parsing its 22 summaries", parse),
        ("whole handler", handler),
    ]
}

// ------------------------------------------------------------------ HTTP client

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect(addr: std::net::SocketAddr) -> Sender {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    sender
}

async fn get(sender: &mut Sender, host: &str, target: &str, cookie: &str) -> (u16, Bytes) {
    sender.ready().await.expect("connection ready");
    let req = hyper::Request::get(target)
        .header("host", host)
        .header("cookie", cookie)
        .body(Empty::new())
        .expect("request");
    let res = sender.send_request(req).await.expect("response");
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, body)
}

/// One way of loading the gateway.
#[derive(Clone, Copy)]
enum Mode {
    Sequential,
    Concurrent(usize),
}

/// Latencies of `n` GETs of `target` and the wall time they took.
async fn run(
    addr: std::net::SocketAddr,
    target: &str,
    cookie: &str,
    n: usize,
    mode: Mode,
) -> (Vec<Duration>, Duration) {
    let host = addr.to_string();
    let conns = match mode {
        Mode::Sequential => 1,
        Mode::Concurrent(c) => c,
    };
    let mut senders = Vec::new();
    for _ in 0..conns {
        senders.push(connect(addr).await);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (k, mut sender) in senders.into_iter().enumerate() {
        let (host, target, cookie) = (host.clone(), target.to_owned(), cookie.to_owned());
        let share = n / conns + usize::from(k < n % conns);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(share);
            for _ in 0..share {
                let t = Instant::now();
                let (status, body) = get(&mut sender, &host, &target, &cookie).await;
                lat.push(t.elapsed());
                assert_eq!(status, 200, "{target}");
                assert!(!body.is_empty());
            }
            lat
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await.expect("client task"));
    }
    (all, started.elapsed())
}

struct Case {
    label: String,
    target: String,
    /// Query string of an API case (`None`: the static file).
    query: Option<String>,
    bytes: usize,
    session_rt: Option<u64>,
    page_rt: Option<u64>,
    seq: Vec<Duration>,
    seq_time: Duration,
    conc: Vec<Duration>,
    conc_time: Duration,
}

impl Case {
    fn seq_rps(&self) -> f64 {
        self.seq.len() as f64 / self.seq_time.as_secs_f64()
    }
    fn conc_rps(&self) -> f64 {
        self.conc.len() as f64 / self.conc_time.as_secs_f64()
    }
}

fn pct(v: &[Duration], p: f64) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    let k = ((p * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[k - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// The 1-minute load average (Linux), to read the figures with.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

struct Scratch(PathBuf, bool);

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.1 {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

async fn bench() -> bool {
    let n_requests = env_usize("EP_BENCH_REQUESTS", 100_000);
    let n = env_usize("EP_BENCH_N", 2_000).max(100);
    let conns = env_usize("EP_BENCH_CONNS", 4).max(2);
    let rounds = env_usize("EP_BENCH_ROUNDS", 3).max(1);
    // A kept data directory (EP_BENCH_DATA) is seeded once and reused.
    let (root, keep) = match std::env::var("EP_BENCH_DATA") {
        Ok(d) if !d.is_empty() => (PathBuf::from(d), true),
        _ => (
            std::env::temp_dir().join(format!("ep-bench-requests-{}", std::process::id())),
            false,
        ),
    };
    let scratch = Scratch(root.clone(), !keep);
    let data = scratch.0.join("data");
    let site = scratch.0.join("site");
    std::fs::create_dir_all(&site).expect("site dir");
    let marker = scratch.0.join(format!("seeded-{n_requests}"));
    let data_str = data.display().to_string();
    let config = Config::from_lookup(|k| match k {
        "EP_LISTEN" => Some("127.0.0.1:0".into()),
        "EP_DATA_DIR" => Some(data_str.clone()),
        _ => None,
    })
    .expect("config");
    let clock = Arc::new(ManualClock::new(now()));
    let options = ep_gateway::Options {
        site_dir: site.clone(),
        run_scheduler: false,
        dev_pages: false,
        public_url_from_bind: true,
        dev_clock: None,
        blobs: None,
        lambda: None,
        table: None,
    };
    let app = ep_gateway::start(config, clock, options)
        .await
        .expect("gateway starts");
    if !marker.exists() {
        let t = Instant::now();
        let items = seed(&app.embedded, n_requests).await;
        std::fs::write(&marker, "").expect("marker");
        eprintln!(
            "seeded {n_requests} requests ({items} store items) in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let rows = app.embedded.table.count().await.expect("count");
    let db_bytes = std::fs::metadata(data.join(ep_common::embedded::DB_FILE))
        .map(|m| m.len())
        .unwrap_or(0);
    eprintln!(
        "store: {rows} items, {:.0} MB; gateway on {}",
        db_bytes as f64 / 1e6,
        app.addr
    );

    // Sign in through the gateway (one Argon2id verification).
    let host = app.addr.to_string();
    let origin = app.ctx.config.public_url.clone();
    let stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, http_body_util::Full<Bytes>>(TokioIo::new(
            stream,
        ))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let body = json!({"identifiant": IDENTIFIANT, "password": PASSWORD}).to_string();
    let req = hyper::Request::post("/api/auth/login")
        .header("host", &host)
        .header("origin", &origin)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(Bytes::from(body)))
        .expect("request");
    let res = sender.send_request(req).await.expect("login");
    assert_eq!(res.status(), 200, "sign-in");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ep_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();
    drop(sender);

    // The cases, their pages checked, their round trips counted in process.
    let counting = Arc::new(Counting {
        inner: app.ctx.table.clone(),
        n: AtomicU64::new(0),
    });
    let mut ctx = app.ctx.clone();
    ctx.table = counting.clone();
    let mut cases = Vec::new();
    let mut api_bytes = 0;
    for (label, query) in [
        ("history, unfiltered".to_owned(), String::new()),
        (
            "history, state=in_progress".to_owned(),
            "state=in_progress".to_owned(),
        ),
        (
            format!("history, name={PREFIX} (1 in 1 000)"),
            format!("name={PREFIX}"),
        ),
        (
            format!("history, name={RARE_QUERY} (1 in 1 000)"),
            format!("name={RARE_QUERY}"),
        ),
    ] {
        let query = query.as_str();
        let target = if query.is_empty() {
            "/api/requests".to_owned()
        } else {
            format!("/api/requests?{query}")
        };
        let mut s = connect(app.addr).await;
        let (status, served) = get(&mut s, &host, &target, &cookie).await;
        assert_eq!(
            status,
            200,
            "{target}: {}",
            String::from_utf8_lossy(&served)
        );
        let page: Value = serde_json::from_slice(&served).expect("JSON page");
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), 20, "{target}: a full page");
        if !query.starts_with("name=") || n_requests >= 21_000 {
            assert!(page["next"].is_string(), "{target}: a next page");
        }
        for it in items {
            if query.starts_with("state=") {
                assert_eq!(it["state"], "in_progress");
            }
            if query.starts_with("name=") {
                assert_eq!(it["assure"]["nom"], RARE_NOM);
            }
        }
        let (session_rt, page_rt, body) = round_trips(&ctx, &counting, query, &cookie).await;
        assert_eq!(
            body,
            served.to_vec(),
            "{target}: the gateway serves the page counted in process"
        );
        if query.is_empty() {
            api_bytes = served.len();
        }
        cases.push(Case {
            label,
            target,
            query: Some(query.into()),
            bytes: served.len(),
            session_rt: Some(session_rt),
            page_rt: Some(page_rt),
            seq: vec![],
            seq_time: Duration::ZERO,
            conc: vec![],
            conc_time: Duration::ZERO,
        });
    }
    // A static file of the unfiltered page's size.
    let filler: String = std::iter::repeat("{\"static\":\"espace partenaires\"}\n")
        .flat_map(str::chars)
        .take(api_bytes)
        .collect();
    std::fs::write(site.join("page.json"), &filler).expect("static file");
    cases.insert(
        0,
        Case {
            label: "static file (same size)".into(),
            target: "/page.json".into(),
            query: None,
            bytes: filler.len(),
            session_rt: None,
            page_rt: None,
            seq: vec![],
            seq_time: Duration::ZERO,
            conc: vec![],
            conc_time: Duration::ZERO,
        },
    );

    let load_before = load_average();
    // EP_BENCH_PROFILE=N: only N in-process handler calls, for `perf record`.
    if let Some(k) = std::env::var("EP_BENCH_PROFILE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        let t = Instant::now();
        for _ in 0..k {
            let e = event("/api/requests", "", &cookie);
            let res = ep_requests::handle(app.ctx.clone(), e).await;
            assert_eq!(res.status(), 200);
        }
        println!(
            "handler with its event: {} µs",
            t.elapsed().as_micros() / k as u128
        );
        return true;
    }
    let breakdown = breakdown(&app.ctx, &cookie, n.min(2_000)).await;

    // Warm-up, then rounds of every case, sequential then concurrent.
    for c in &cases {
        run(app.addr, &c.target, &cookie, 200, Mode::Sequential).await;
    }
    let per_round = n.div_ceil(rounds);
    for _ in 0..rounds {
        for c in cases.iter_mut() {
            let (lat, t) = run(app.addr, &c.target, &cookie, per_round, Mode::Sequential).await;
            c.seq.extend(lat);
            c.seq_time += t;
            let (lat, t) = run(
                app.addr,
                &c.target,
                &cookie,
                per_round,
                Mode::Concurrent(conns),
            )
            .await;
            c.conc.extend(lat);
            c.conc_time += t;
        }
    }

    // The table.
    let static_seq = cases[0].seq_rps();
    let static_conc = cases[0].conc_rps();
    println!();
    println!(
        "GET /api/requests, one partner with {n_requests} requests over {CAISSES} caisses ({rows} store items), \
         release build, local gateway on {}; {} requests per case sequential (1 keep-alive connection) \
         and {} over {conns} concurrent connections, in {rounds} rounds",
        app.addr,
        cases[0].seq.len(),
        cases[0].conc.len()
    );
    println!(
        "{:<36} {:>6} {:>9} {:>6} | {:>7} {:>7} {:>8} {:>6} | {:>7} {:>7} {:>8} {:>6}",
        "case",
        "bytes",
        "rt sess.",
        "rt",
        "median",
        "p99",
        "req/s",
        "ratio",
        "median",
        "p99",
        "req/s",
        "ratio"
    );
    println!(
        "{:<36} {:>6} {:>9} {:>6} | {:^39} | {:^39}",
        "",
        "",
        "",
        "",
        "sequential (ms)",
        format!("{conns} connections (ms)")
    );
    let mut ok = true;
    let mut misses = Vec::new();
    for c in &cases {
        let (seq_ratio, conc_ratio) = (c.seq_rps() / static_seq, c.conc_rps() / static_conc);
        println!(
            "{:<36} {:>6} {:>9} {:>6} | {:>7} {:>7} {:>8.0} {:>6.2} | {:>7} {:>7} {:>8.0} {:>6.2}",
            c.label,
            c.bytes,
            c.session_rt.map_or("-".into(), |v| v.to_string()),
            c.page_rt.map_or("-".into(), |v| v.to_string()),
            ms(pct(&c.seq, 0.5)),
            ms(pct(&c.seq, 0.99)),
            c.seq_rps(),
            seq_ratio,
            ms(pct(&c.conc, 0.5)),
            ms(pct(&c.conc, 0.99)),
            c.conc_rps(),
            conc_ratio,
        );
        if c.query.is_none() {
            continue;
        }
        if c.page_rt.unwrap_or(0) > MAX_ROUND_TRIPS {
            misses.push(format!(
                "{}: {} round trips",
                c.label,
                c.page_rt.unwrap_or(0)
            ));
        }
        if seq_ratio < MIN_RATIO || conc_ratio < MIN_RATIO {
            misses.push(format!(
                "{}: throughput ratio {seq_ratio:.2} / {conc_ratio:.2}",
                c.label
            ));
        }
        if pct(&c.seq, 0.99) > MAX_P99 {
            misses.push(format!(
                "{}: sequential p99 {} ms",
                c.label,
                ms(pct(&c.seq, 0.99))
            ));
        }
    }
    println!(
        "rt sess. = store round trips of the session check, rt = after it (counted in process, \
         same body as served); ratio = req/s of the case / req/s of the static file"
    );
    println!(
        "goals: rt <= {MAX_ROUND_TRIPS}, ratio >= {MIN_RATIO}, sequential p99 < {} ms",
        MAX_P99.as_millis()
    );
    println!(
        "where the time of an unfiltered page goes (in process, no HTTP, sequential medians): {}",
        breakdown
            .iter()
            .map(|(what, d)| format!("{what} {:.0} µs", d.as_secs_f64() * 1e6))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "machine load average (1 min) before / after the measures: {load_before} / {} on {} cores",
        load_average(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    if misses.is_empty() {
        println!("every goal met");
    } else {
        ok = false;
        println!("GOALS MISSED: {}", misses.join("; "));
    }
    app.stop();
    drop(app);
    drop(scratch);
    ok
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if !rt.block_on(bench()) {
        std::process::exit(1);
    }
}
