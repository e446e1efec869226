//! Catalog jobs against the fake: modify, upsert under concurrency, bulk writes under a rate
//! limit, and sync (plan, apply, re-sync, interrupted and resumed).

use dintero_products::{
    Action, Currency, Desired, Error, NewGroup, NewProduct, Price, ProductUpdate, Products,
    RateLimiter, Write, Written, types,
};
use dintero_products_e2e::{ACCOUNT, client_for};
use dintero_products_fake::{FakeServer, RateLimit};
use futures::{StreamExt, TryStreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CATALOG: &str = "S23";

fn chair(i: usize) -> NewProduct {
    NewProduct::new(format!("Chair {i}"))
        .id(format!("C{i:05}"))
        .description(format!("Chair number {i}"))
        .price(Price::new(9_900 + i as i64, Currency::NOK))
        .unit("stk")
        .group("CHAIRS")
}

async fn fake_with_catalog() -> FakeServer {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, CATALOG, "Sommer");
    fake
}

#[tokio::test]
async fn modify_keeps_every_field_it_does_not_touch() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    client
        .groups()
        .create(NewGroup::new("Chairs").id("CHAIRS"))
        .await
        .unwrap();
    let location = types::LocationInput {
        location_id: Some("SC_Oslo".parse().unwrap()),
        location_name: Some("SuperChain Oslo".into()),
        is_available_for_pickup: true,
        is_available_for_shipping: false,
        number_of_items_in_storage: Some(15),
    };
    let products = client.products(CATALOG);
    let before = products
        .create(chair(1).virtual_product(true).location(location))
        .await
        .unwrap();
    let after = products
        .modify("C00001", |p| {
            p.price = p.price.and_then(|price| price.change_by_percent(10.0).ok());
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.price(), Some(Price::new(10_891, Currency::NOK)));
    let (b, a) = (before.raw(), after.raw());
    assert_eq!(a.product_name, b.product_name);
    assert_eq!(a.description, b.description);
    assert_eq!(a.unit, b.unit);
    assert_eq!(a.is_virtual_product, b.is_virtual_product);
    assert_eq!(a.locations, b.locations);
    assert_eq!(a.groups, b.groups);
}

#[tokio::test]
async fn concurrent_upserts_of_one_id_create_it_once_and_both_succeed() {
    // Latency widens the race: both look, both find nothing, both create; one meets a 409.
    let fake = FakeServer::builder()
        .latency(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    fake.seed_catalog(ACCOUNT, CATALOG, "Sommer");
    let client = client_for(&fake);
    let products = client.products(CATALOG);
    let (a, b) = tokio::join!(
        products.upsert(NewProduct::new("From A").id("X1").unit("stk")),
        products.upsert(NewProduct::new("From B").id("X1").description("B's")),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let created = [&a, &b]
        .iter()
        .filter(|w| matches!(w, Written::Created(_)))
        .count();
    assert_eq!(created, 1, "{a:?} {b:?}");
    assert_eq!(fake.product_count(ACCOUNT, CATALOG), 1);
    let conflicts = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.status == Some(409))
        .count();
    assert_eq!(conflicts, 1, "the race happened");
}

#[tokio::test]
async fn a_rate_limited_bulk_job_slows_down_as_a_whole_and_loses_nothing() {
    let fake = FakeServer::builder()
        .rate_limit(RateLimit::per_second(100).burst(100))
        .start()
        .await
        .unwrap();
    fake.seed_catalog(ACCOUNT, CATALOG, "Sommer");
    fake.seed_groups(ACCOUNT, 0);
    let client = client_for(&fake);
    client
        .groups()
        .create(NewGroup::new("Chairs").id("CHAIRS"))
        .await
        .unwrap();
    let limiter = RateLimiter::adaptive();
    let started = Instant::now();
    let outcomes: Vec<_> = client
        .products(CATALOG)
        .bulk()
        .concurrency(16)
        .rate_limiter(limiter.clone())
        .run((0..300).map(|i| Write::Create(chair(i))))
        .collect()
        .await;
    let took = started.elapsed();
    assert_eq!(outcomes.len(), 300);
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    assert_eq!(fake.product_count(ACCOUNT, CATALOG), 300);
    assert!(limiter.throttled() >= 1, "the limit was met");
    let rate = limiter.rate().unwrap();
    assert!(rate < 130.0, "the job learned the limit: {rate}/s");
    // 300 writes at 100/s with a burst of 100: at least two seconds, whatever the limiter does.
    assert!(took >= Duration::from_millis(1_900), "{took:?}");
    let rejected = fake.rate_limited_count() as usize;
    let total = fake.requests().len();
    assert!(
        rejected * 10 < total,
        "{rejected} of {total} requests were answered 429"
    );
}

#[tokio::test]
async fn writes_to_one_id_are_applied_in_order() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    let writes = (0..20).map(|i| -> Write<Products> {
        if i == 0 {
            Write::Create(NewProduct::new("v0").id("SAME"))
        } else {
            Write::modify("SAME".parse().unwrap(), move |p: &mut ProductUpdate| {
                p.name = Some(format!("v{i}"));
            })
        }
    });
    let outcomes: Vec<_> = client
        .products(CATALOG)
        .bulk()
        .concurrency(8)
        .run(writes)
        .collect()
        .await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    let product = client.products(CATALOG).get("SAME").await.unwrap();
    assert_eq!(product.name(), "v19");
}

/// The desired catalog of the sync tests: `n` chairs in group CHAIRS.
fn desired(n: usize) -> Desired {
    Desired::products_from(move || (0..n).map(chair)).group(NewGroup::new("Chairs").id("CHAIRS"))
}

#[tokio::test]
async fn sync_plans_applies_and_then_plans_nothing() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    let products = client.products(CATALOG);
    // Already there: one as desired, one with another price, one not desired at all.
    client
        .groups()
        .create(NewGroup::new("Chairs").id("CHAIRS"))
        .await
        .unwrap();
    products.create(chair(0)).await.unwrap();
    products
        .create(chair(1).price(Price::new(1, Currency::NOK)))
        .await
        .unwrap();
    products
        .create(NewProduct::new("Old").id("OLD"))
        .await
        .unwrap();

    let sync = products.sync(desired(5)).prune(true);
    let plan = sync.plan().await.unwrap();
    let summary = plan.summary();
    assert_eq!(
        (
            summary.create,
            summary.update,
            summary.delete,
            summary.unchanged
        ),
        (3, 1, 1, 1)
    );
    let diff = plan.to_string();
    assert!(
        diff.contains("3 to create, 1 to update, 0 to recreate, 1 to delete, 1 unchanged"),
        "{diff}"
    );
    assert!(
        diff.contains("~ C00001  price: 0.01 NOK -> 99.01 NOK"),
        "{diff}"
    );
    assert!(diff.contains("+ C00002"), "{diff}");
    assert!(diff.contains("- OLD"), "{diff}");
    assert_eq!(
        plan.changes()
            .iter()
            .find(|(id, ..)| *id == "C00001")
            .map(|(_, action, _)| *action),
        Some(Action::Update)
    );

    let report = sync.apply(&plan).await.unwrap();
    assert!(report.is_success(), "{report:?}");
    assert_eq!((report.created, report.updated, report.deleted), (3, 1, 1));

    fake.clear_requests();
    let again = sync.plan().await.unwrap();
    assert!(again.is_empty(), "{again}");
    let report = sync.apply(&again).await.unwrap();
    assert_eq!(report.created + report.updated + report.deleted, 0);
    assert!(
        fake.requests().iter().all(|r| r.method == "GET"),
        "a re-sync sends only list requests"
    );
}

#[tokio::test]
async fn a_sync_whose_groups_differ_recreates_the_product() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    let products = client.products(CATALOG);
    client
        .groups()
        .create(NewGroup::new("Tables").id("TABLES"))
        .await
        .unwrap();
    products
        .create(NewProduct::new("Chair 0").id("C00000").group("TABLES"))
        .await
        .unwrap();
    let sync = products.sync(desired(1));
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.summary().recreate, 1, "{plan}");
    assert!(
        plan.to_string().contains("groups: TABLES -> CHAIRS"),
        "{plan}"
    );
    let report = sync.apply(&plan).await.unwrap();
    assert_eq!(report.recreated, 1, "{report:?}");
    let product = products.get("C00000").await.unwrap();
    assert_eq!(product.group_ids().collect::<Vec<_>>(), ["CHAIRS"]);
    assert!(sync.plan().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_interrupted_sync_converges_with_nothing_created_twice() {
    // Latency keeps writes in flight when the run is cut, as a killed process leaves them.
    let fake = FakeServer::builder()
        .latency(Duration::from_millis(2))
        .start()
        .await
        .unwrap();
    fake.seed_catalog(ACCOUNT, CATALOG, "Sommer");
    let client = client_for(&fake);
    let applied = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(tokio::sync::Notify::new());
    let stop_at = Arc::new(AtomicUsize::new(usize::MAX));
    let sync = client
        .products(CATALOG)
        .sync(desired(200))
        .concurrency(8)
        .on_progress({
            let (applied, enough, stop_at) = (applied.clone(), enough.clone(), stop_at.clone());
            move |event| {
                if let dintero_products::Progress::Applied { .. } = event {
                    let n = applied.fetch_add(1, Ordering::SeqCst) + 1;
                    if n >= stop_at.load(Ordering::SeqCst) {
                        enough.notify_one();
                    }
                }
            }
        });
    // Killed three times part-way, as a process would be: the apply future is dropped.
    let mut interrupted = 0;
    for stop_after in [30, 60, 90] {
        let plan = sync.plan().await.unwrap();
        stop_at.store(
            applied.load(Ordering::SeqCst) + stop_after,
            Ordering::SeqCst,
        );
        tokio::select! {
            _ = sync.apply(&plan) => panic!("the apply finished before it was interrupted"),
            _ = enough.notified() => interrupted += 1,
        }
    }
    assert_eq!(interrupted, 3);
    let plan = sync.plan().await.unwrap();
    assert!(plan.summary().create < 200);
    let report = sync.apply(&plan).await.unwrap();
    assert!(report.is_success(), "{report:?}");
    assert!(sync.plan().await.unwrap().is_empty());
    assert_eq!(fake.product_count(ACCOUNT, CATALOG), 200);
    let names: Vec<String> = client
        .products(CATALOG)
        .list()
        .limit(100)
        .items()
        .map_ok(|p| p.name().to_string())
        .try_collect()
        .await
        .unwrap();
    let distinct: std::collections::HashSet<_> = names.iter().collect();
    assert_eq!(distinct.len(), names.len(), "nothing created twice");
}

#[tokio::test]
async fn a_sync_refuses_products_without_ids_or_given_twice() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    let products = client.products(CATALOG);
    let no_id = Desired::products(vec![NewProduct::new("Nameless")]);
    let error = products.sync(no_id).plan().await.unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(error.to_string().contains("no id"), "{error}");
    let twice = Desired::products(vec![chair(1), chair(1)]);
    let error = products.sync(twice).plan().await.unwrap_err();
    assert!(error.to_string().contains("twice"), "{error}");
}
