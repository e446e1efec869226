//! A nightly catalog sync under seeded faults: nothing may be lost, repeated or created twice.
//!
//! The run lists every product of a seeded catalog several times and creates new products while
//! the fake server answers about one request in ten with a fault: 500, a 502 HTML page, 503, 429
//! with `Retry-After`, a dropped connection, a truncated body, or an answer slower than the
//! client's timeout; half-way through, every token is revoked.
//!
//! The SDK retries what it safely can. What it must not retry, a create whose outcome is
//! unknown (the server may have applied it), `Products::create_once` reconciles: it looks the
//! product's id up and creates it again only if it is not there. A list that fails for good
//! resumes from the last good cursor, never from the first page.

use crate::{ACCOUNT, client_with};
use dintero_products::{
    Client, Currency, Cursor, Desired, Field, FileJournal, MaxDeletes, NewProduct, Price, Progress,
    RetryPolicy,
};
use dintero_products_fake::{FakeServer, FaultKind, Faults};
use futures::{StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    pub seed: u64,
    pub seeded_products: u32,
    pub list_passes: u32,
    pub creates: u32,
    pub fault_probability: f64,
    /// Creates running at once.
    pub concurrency: usize,
    /// The client's per-attempt timeout; `Slow` faults last longer than this.
    pub timeout: Duration,
    /// How many times the sync soak kills an apply part-way.
    pub sync_interruptions: usize,
}

impl SoakConfig {
    /// The full run of `cargo xtask soak`.
    pub fn full() -> Self {
        Self {
            seed: 7,
            seeded_products: 10_000,
            list_passes: 3,
            creates: 1_000,
            fault_probability: 0.10,
            concurrency: 8,
            timeout: Duration::from_millis(500),
            sync_interruptions: 4,
        }
    }

    /// The small version the test suite runs.
    pub fn small() -> Self {
        Self {
            seeded_products: 1_000,
            list_passes: 2,
            creates: 100,
            ..Self::full()
        }
    }
}

/// The figures of a run. Everything but `requests` and `faults` must come out exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoakReport {
    pub requests: usize,
    pub faults: usize,
    pub items_seen: usize,
    pub items_expected: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub creates_done: usize,
    pub creates_expected: usize,
    pub duplicate_creates: usize,
    /// How many times a list resumed from its last good cursor after failing for good.
    pub resumes: usize,
}

impl SoakReport {
    /// Whether nothing was lost, repeated or created twice.
    pub fn is_exact(&self) -> bool {
        self.items_seen == self.items_expected
            && self.lost == 0
            && self.duplicated == 0
            && self.creates_done == self.creates_expected
            && self.duplicate_creates == 0
    }

    /// The one line `cargo xtask soak` prints.
    pub fn line(&self) -> String {
        format!(
            "soak: requests={} faults={} items={}/{} lost={} duplicated={} creates={}/{} duplicate_creates={}",
            self.requests,
            self.faults,
            self.items_seen,
            self.items_expected,
            self.lost,
            self.duplicated,
            self.creates_done,
            self.creates_expected,
            self.duplicate_creates
        )
    }
}

const CATALOG: &str = "SOAK";

fn faults(probability: f64) -> Faults {
    Faults::new()
        .probability(probability)
        .weighted(FaultKind::Status(500), 1)
        .weighted(FaultKind::Html502, 1)
        .weighted(FaultKind::Status(503), 1)
        .weighted(
            FaultKind::RateLimited {
                retry_after_secs: 1,
            },
            1,
        )
        .weighted(FaultKind::DropConnection, 1)
        .weighted(FaultKind::TruncatedBody, 1)
        .weighted(FaultKind::Slow(Duration::from_secs(1)), 1)
}

/// Runs the soak against a fresh fake server.
pub async fn run(config: &SoakConfig) -> SoakReport {
    let fake = FakeServer::builder()
        .seed(config.seed)
        .start()
        .await
        .expect("the fake server starts on loopback");
    fake.seed_catalog(ACCOUNT, CATALOG, "Soak");
    fake.seed_products(ACCOUNT, CATALOG, config.seeded_products);
    fake.set_faults(faults(config.fault_probability));

    let policy = RetryPolicy::default()
        .max_attempts(6)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(500))
        .max_elapsed(Duration::from_secs(60));
    let client = client_with(&fake, policy, config.timeout);

    let mut report = SoakReport {
        requests: 0,
        faults: 0,
        items_seen: 0,
        items_expected: config.seeded_products as usize * config.list_passes as usize,
        lost: 0,
        duplicated: 0,
        creates_done: 0,
        creates_expected: config.creates as usize,
        duplicate_creates: 0,
        resumes: 0,
    };
    for pass in 0..config.list_passes {
        if pass == config.list_passes / 2 {
            fake.revoke_tokens(); // every call from here needs a renewed token
        }
        let (counts, resumes) = list_all(&client).await;
        report.resumes += resumes;
        report.items_seen += counts.values().sum::<usize>();
        report.duplicated += counts
            .values()
            .filter(|&&n| n > 1)
            .map(|n| n - 1)
            .sum::<usize>();
        report.lost += (1..=config.seeded_products)
            .filter(|i| !counts.contains_key(&dintero_products_fake::seeded_product_id(*i)))
            .count();
    }

    let names: Vec<String> = (0..config.creates)
        .map(|i| format!("soak-{i:05}"))
        .collect();
    futures::stream::iter(names.iter().map(|name| create_once(&client, name)))
        .buffer_unordered(config.concurrency)
        .collect::<Vec<()>>()
        .await;

    // Count by name what the server holds now, with faults off so the count itself is exact.
    fake.set_faults(Faults::new());
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let products: Vec<_> = client
        .products(CATALOG)
        .list()
        .limit(100)
        .product_name("soak-")
        .items()
        .try_collect()
        .await
        .expect("listing without faults succeeds");
    for product in products {
        *by_name.entry(product.name().to_string()).or_default() += 1;
    }
    report.creates_done = names.iter().filter(|n| by_name.contains_key(*n)).count();
    report.duplicate_creates = by_name.values().filter(|&&n| n > 1).map(|n| n - 1).sum();

    let log = fake.requests();
    report.requests = log.len();
    report.faults = log.iter().filter(|r| r.fault_injected()).count();
    report
}

/// Every product of the catalog, counted by id. A list that fails for good (every retry spent)
/// resumes from the last cursor that worked.
async fn list_all(client: &Client) -> (HashMap<String, usize>, usize) {
    let mut counts = HashMap::new();
    let mut resume_from: Option<Cursor> = None;
    let mut resumes = 0;
    loop {
        let mut request = client.products(CATALOG).list().limit(100);
        if let Some(cursor) = &resume_from {
            request = request.starting_after(cursor.clone());
        }
        let mut pages = request.pages();
        let failed = loop {
            match pages.next().await {
                None => break false,
                Some(Ok(page)) => {
                    for product in page.items() {
                        *counts.entry(product.id().to_string()).or_insert(0) += 1;
                    }
                    match page.next_cursor() {
                        Some(cursor) => resume_from = Some(cursor.clone()),
                        None => break false,
                    }
                }
                Some(Err(_)) => break true,
            }
        };
        if !failed {
            return (counts, resumes);
        }
        resumes += 1;
    }
}

/// Creates one product (its id is its name) through the SDK's `create_once`, which looks the
/// id up before sending a create of unknown outcome again. Gives up after 20 tries; the final
/// count by name tells whether it exists, and whether it exists twice.
async fn create_once(client: &Client, name: &str) {
    let products = client.products(CATALOG);
    let product = NewProduct::new(name)
        .id(name)
        .price(Price::new(12_900, Currency::NOK))
        .unit("stk");
    for _ in 0..20 {
        match products.create_once(product.clone()).await {
            Ok(_) => return,
            // Created by an earlier try whose answer was lost.
            Err(e) if e.is_conflict() => return,
            Err(_) => continue,
        }
    }
}

/// The figures of a sync soak. `equal` must be true and `duplicate_creates` 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSoakReport {
    pub desired: usize,
    pub remote: usize,
    pub equal: bool,
    /// Writes the server accepted (2xx answers to POST, PUT and DELETE).
    pub writes: usize,
    pub interrupted: usize,
    pub duplicate_creates: usize,
    pub rounds: usize,
}

impl SyncSoakReport {
    /// Whether the catalog ended as desired with nothing created twice.
    pub fn is_exact(&self) -> bool {
        self.equal && self.desired == self.remote && self.duplicate_creates == 0
    }

    /// The line `cargo xtask soak` prints.
    pub fn line(&self) -> String {
        format!(
            "sync-soak: desired={} remote={} equal={} writes={} interrupted={} duplicate_creates={}",
            self.desired,
            self.remote,
            self.equal,
            self.writes,
            self.interrupted,
            self.duplicate_creates
        )
    }
}

const SYNC_CATALOG: &str = "SYNC";

/// The fields the sync soak's desired state manages: the columns of a file that names these.
const SYNC_MANAGED: [Field; 4] = [Field::Name, Field::Description, Field::Price, Field::Groups];

/// The desired product `i`: the first half reuse seeded ids with new fields (updates; every
/// tenth moves to another group, a recreate), the rest are new (creates). Its `unit` is set but
/// not managed ([`SYNC_MANAGED`]): a sync must not write it.
fn desired_product(i: u32, seeded: u32) -> NewProduct {
    let id = if i < seeded / 2 {
        dintero_products_fake::seeded_product_id(i + 1)
    } else {
        format!("NEW{i:06}")
    };
    let group = if i.is_multiple_of(10) {
        "G000001"
    } else {
        seeded_group_of(i + 1)
    };
    NewProduct::new(format!("Synced {i}"))
        .id(id)
        .description(format!("desired product {i}"))
        .price(Price::new(10_000 + i64::from(i), Currency::NOK))
        .unit("stk")
        .group(group)
}

/// The group the fake seeds product `n` into.
fn seeded_group_of(n: u32) -> &'static str {
    ["G000001", "G000002", "G000003", "G000004", "G000005"][((n - 1) % 5) as usize]
}

/// A catalog sync under faults on about one request in ten, killed part-way several times and
/// resumed by planning again, until a plan is empty; then the catalog is compared with the
/// desired state, faults off.
pub async fn sync_soak(config: &SoakConfig) -> SyncSoakReport {
    let fake = FakeServer::builder()
        .seed(config.seed)
        .start()
        .await
        .expect("the fake server starts on loopback");
    let seeded = config.seeded_products / 10;
    fake.seed_catalog(ACCOUNT, SYNC_CATALOG, "Sync");
    fake.seed_products(ACCOUNT, SYNC_CATALOG, seeded);
    let desired_count = seeded + config.creates;
    let policy = RetryPolicy::default()
        .max_attempts(6)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(500))
        .max_elapsed(Duration::from_secs(60));
    let client = client_with(&fake, policy, config.timeout);
    // What the sync does not manage must come through it as it was: read before the faults.
    let before: HashMap<String, dintero_products::Product> = client
        .products(SYNC_CATALOG)
        .list()
        .limit(100)
        .items()
        .map_ok(|p| (p.id().to_string(), p))
        .try_collect()
        .await
        .expect("listing without faults succeeds");
    fake.set_faults(faults(config.fault_probability));

    // The file names some columns only: `unit` (set on every desired product) and the stock,
    // dimension, images, ... of the seeded products are not managed, so they must stay.
    let desired =
        Desired::products_from(move || (0..desired_count).map(move |i| desired_product(i, seeded)))
            .managed_fields(SYNC_MANAGED.into_iter().collect());
    let journal_path = std::env::temp_dir().join(format!(
        "dintero-sync-soak-{}-{}.journal",
        std::process::id(),
        config.seed
    ));
    let journal = FileJournal::open(&journal_path).expect("a journal in the temporary directory");
    let applied = Arc::new(AtomicUsize::new(0));
    let stop_at = Arc::new(AtomicUsize::new(usize::MAX));
    let enough = Arc::new(Notify::new());
    let sync = client
        .products(SYNC_CATALOG)
        .sync(desired)
        .prune(true)
        .max_deletes(MaxDeletes::Percent(100))
        .allow_recreate(true)
        .allow_price_jumps(true)
        .journal(journal)
        .concurrency(2 * config.concurrency)
        .on_progress({
            let (applied, stop_at, enough) = (applied.clone(), stop_at.clone(), enough.clone());
            move |event| {
                if let Progress::Applied { .. } = event {
                    let n = applied.fetch_add(1, Ordering::SeqCst) + 1;
                    if n >= stop_at.load(Ordering::SeqCst) {
                        enough.notify_one();
                    }
                }
            }
        });
    let mut rng = fastrand::Rng::with_seed(config.seed);
    let (mut interrupted, mut rounds) = (0, 0);
    // Bounded: should the sync never converge, the comparison below reports it.
    while rounds < 50 {
        rounds += 1;
        let Ok(plan) = sync.plan().await else {
            continue; // a list that failed for good under faults: plan again
        };
        if plan.is_empty() {
            break;
        }
        // The first few rounds are killed part-way through, as a process would be.
        if interrupted < config.sync_interruptions {
            let cut = rng.usize(1..plan.writes().max(2));
            stop_at.store(applied.load(Ordering::SeqCst) + cut, Ordering::SeqCst);
            tokio::select! {
                _ = sync.apply(&plan) => {}
                _ = enough.notified() => interrupted += 1,
            }
            stop_at.store(usize::MAX, Ordering::SeqCst);
        } else {
            let _ = sync.apply(&plan).await;
        }
    }

    // The catalog as it ends, read with faults off so the reading itself is exact.
    fake.set_faults(Faults::new());
    let remote: Vec<dintero_products::Product> = client
        .products(SYNC_CATALOG)
        .list()
        .limit(100)
        .items()
        .try_collect()
        .await
        .expect("listing without faults succeeds");
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for product in &remote {
        *by_name.entry(product.name()).or_default() += 1;
    }
    let by_id: HashMap<&str, &dintero_products::Product> =
        remote.iter().map(|p| (p.id(), p)).collect();
    let equal = remote.len() == desired_count as usize
        && (0..desired_count).all(|i| {
            let want = desired_product(i, seeded);
            let id = want.get_id().map(|id| id.as_str()).unwrap_or_default();
            by_id.get(id).is_some_and(|have| {
                let kept = match before.get(id) {
                    Some(was) => {
                        have.unit() == was.unit()
                            && have.raw().locations == was.raw().locations
                            && have.raw().dimension == was.raw().dimension
                            && have.is_virtual() == was.is_virtual()
                    }
                    None => have.unit().is_none(),
                };
                kept && have.name() == want.get_fields().name.as_deref().unwrap_or_default()
                    && have.price() == want.get_fields().price
                    && have.description() == want.get_fields().description.as_deref()
                    && have.group_ids().eq(want.group_ids().map(|g| g.as_str()))
            })
        });
    let _ = std::fs::remove_file(&journal_path);
    let writes = fake
        .requests()
        .iter()
        .filter(|r| {
            matches!(r.method.as_str(), "POST" | "PUT" | "DELETE")
                && !r.path.ends_with("/auth/token")
                && r.status.is_some_and(|s| (200..300).contains(&s))
        })
        .count();
    SyncSoakReport {
        desired: desired_count as usize,
        remote: remote.len(),
        equal,
        writes,
        interrupted,
        duplicate_creates: by_name.values().filter(|&&n| n > 1).map(|n| n - 1).sum(),
        rounds,
    }
}
