//! Catalog jobs against the fake: modify, upsert under concurrency, bulk writes under a rate
//! limit, and sync (plan, apply, re-sync, interrupted and resumed).

use dintero_products::{
    Action, CatalogSync, Client, Consent, Currency, Desired, Error, Field, FieldSet, FileJournal,
    MAX_WAITING, MaxDeletes, NewGroup, NewProduct, Price, Product, ProductUpdate, Products,
    RateLimiter, Refusal, Write, Written, types,
};
use dintero_products_e2e::{ACCOUNT, client_for, within};
use dintero_products_fake::{FakeServer, FaultKind, Faults, RateLimit, seeded_product_id};
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

async fn create_group(client: &Client, name: &str, id: &str) {
    client
        .groups()
        .create(NewGroup::new(name).id(id))
        .await
        .unwrap();
}

/// `items` in stock at location `id`.
fn stock(id: &str, items: i64) -> types::LocationInput {
    types::LocationInput {
        location_id: Some(id.parse().unwrap()),
        number_of_items_in_storage: Some(items),
        ..Default::default()
    }
}

/// A fake with the catalog that answers every request after `latency`, and a client for it.
async fn slow_fake(latency: Duration) -> (FakeServer, Client) {
    let fake = FakeServer::builder()
        .latency(latency)
        .start()
        .await
        .unwrap();
    fake.seed_catalog(ACCOUNT, CATALOG, "Sommer");
    let client = client_for(&fake);
    (fake, client)
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
    create_group(&client, "Chairs", "CHAIRS").await;
    let location = types::LocationInput {
        location_id: Some("SC_Oslo".parse().unwrap()),
        location_name: Some("SuperChain Oslo".into()),
        is_available_for_pickup: true,
        is_available_for_shipping: false,
        number_of_items_in_storage: Some(15),
        extra: Default::default(),
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
    let (fake, client) = slow_fake(Duration::from_millis(20)).await;
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
    create_group(&client, "Chairs", "CHAIRS").await;
    let limiter = RateLimiter::adaptive();
    let started = Instant::now();
    let outcomes: Vec<_> = within(
        client
            .products(CATALOG)
            .bulk()
            .concurrency(16)
            .rate_limiter(limiter.clone())
            .run((0..300).map(|i| Write::create(chair(i))))
            .collect(),
    )
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
    let writes = (0..20).map(|i| {
        if i == 0 {
            Write::create(NewProduct::new("v0").id("SAME"))
        } else {
            Write::modify("SAME", move |p| p.name = Some(format!("v{i}")))
        }
    });
    let outcomes: Vec<_> = within(
        client
            .products(CATALOG)
            .bulk()
            .concurrency(8)
            .run(writes)
            .collect(),
    )
    .await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    let product = client.products(CATALOG).get("SAME").await.unwrap();
    assert_eq!(product.name(), "v19");
}

/// The desired catalog of the sync tests: `n` chairs in group CHAIRS.
fn desired(n: usize) -> Desired {
    Desired::products_from(move || (0..n).map(chair)).group(NewGroup::new("Chairs").id("CHAIRS"))
}

/// The groups a desired state lists are made as it names them: one missing is created with
/// its name (not its id), one named otherwise is renamed.
#[tokio::test]
async fn sync_creates_and_renames_the_groups_the_desired_state_names() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    create_group(&client, "Chairs", "CHAIRS").await;
    let desired = Desired::products(vec![chair(0).group("TABLES")])
        .group(NewGroup::new("Stoler").id("CHAIRS"))
        .group(NewGroup::new("Bord").id("TABLES"));
    let sync = client.products(CATALOG).sync(desired);
    let plan = within(sync.plan()).await.unwrap();
    let diff = plan.to_string();
    assert!(diff.contains("~ group CHAIRS name -> \"Stoler\""), "{diff}");
    assert!(diff.contains("+ group TABLES \"Bord\""), "{diff}");
    within(sync.apply(&plan)).await.unwrap();
    for (id, name) in [("CHAIRS", "Stoler"), ("TABLES", "Bord")] {
        assert_eq!(client.groups().get(id).await.unwrap().name(), name);
    }
}

#[tokio::test]
async fn sync_plans_applies_and_then_plans_nothing() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    let products = client.products(CATALOG);
    // Already there: one as desired, one with another price, one not desired at all.
    create_group(&client, "Chairs", "CHAIRS").await;
    products.create(chair(0)).await.unwrap();
    products
        .create(chair(1).price(Price::new(9_000, Currency::NOK)))
        .await
        .unwrap();
    products
        .create(NewProduct::new("Old").id("OLD"))
        .await
        .unwrap();

    let sync = products
        .sync(desired(5))
        .prune(true)
        .max_deletes(MaxDeletes::Count(1));
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
    assert_eq!(plan.writes(), 5, "3 creates, 1 update, 1 delete");
    assert_eq!(plan.sizes(), (3, 5), "3 held, 5 desired");
    assert!(!plan.is_empty());
    let diff = plan.to_string();
    // Counts that are zero (recreates, held back, rejected, kept) are not named.
    assert_eq!(
        diff.lines().next(),
        Some("catalog S23: 3 to create, 1 to update, 1 to delete, 1 unchanged"),
        "{diff}"
    );
    assert!(
        diff.contains("~ C00001  price: 90.00 NOK -> 99.01 NOK"),
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

    let report = within(sync.apply(&plan)).await.unwrap();
    assert!(report.is_success(), "{report:?}");
    assert_eq!((report.created, report.updated, report.deleted), (3, 1, 1));

    fake.clear_requests();
    let again = sync.plan().await.unwrap();
    assert!(again.is_empty(), "{again}");
    let report = within(sync.apply(&again)).await.unwrap();
    assert_eq!(report.created + report.updated + report.deleted, 0);
    assert!(
        fake.requests().iter().all(|r| r.method == "GET"),
        "a re-sync sends only list requests"
    );
}

#[tokio::test]
async fn a_group_change_is_held_back_without_consent_and_recreates_with_it() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    let products = client.products(CATALOG);
    create_group(&client, "Tables", "TABLES").await;
    let location = stock("OSL", 7);
    let before = products
        .create(
            NewProduct::new("Chair 0")
                .id("C00000")
                .group("TABLES")
                .virtual_product(true)
                .location(location),
        )
        .await
        .unwrap();
    // The desired chair names its groups, but not `virtual` or `locations`.
    let sync = products.sync(desired(1));
    let plan = sync.plan().await.unwrap();
    assert_eq!(
        (plan.summary().recreate, plan.summary().held_back),
        (0, 1),
        "{plan}"
    );
    assert_eq!(plan.held_back(), [("C00000", vec![Consent::Recreate])]);
    assert_eq!(
        plan.writes(),
        1,
        "the group only: a change held back writes nothing"
    );
    let diff = plan.to_string();
    assert!(diff.contains("needs consent:"), "{diff}");
    assert!(diff.contains("± C00000"), "{diff}");
    assert!(diff.contains("groups: TABLES -> CHAIRS"), "{diff}");
    assert!(diff.contains("Dintero id and created_at change"), "{diff}");
    assert!(diff.contains("[held back]"), "{diff}");
    fake.clear_requests();
    let report = within(sync.apply(&plan)).await.unwrap();
    assert!(!report.is_success());
    assert_eq!(report.recreated, 0);
    assert_eq!(report.held_back.len(), 1, "{report:?}");
    let writes = product_writes(&fake);
    assert!(writes.is_empty(), "the product was not touched: {writes:?}");

    let sync = products.sync(desired(1)).allow_recreate(true);
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.summary().recreate, 1, "{plan}");
    assert_eq!(
        plan.writes(),
        2,
        "a delete and a create (the group is there now)"
    );
    assert!(plan.to_string().contains("[approved]"), "{plan}");
    assert_eq!(
        plan.to_string().lines().next(),
        Some("catalog S23: 0 to create, 0 to update, 0 to delete, 0 unchanged, 1 to recreate"),
    );
    let report = within(sync.apply(&plan)).await.unwrap();
    assert_eq!(report.recreated, 1, "{report:?}");
    let after = products.get("C00000").await.unwrap();
    assert_eq!(after.group_ids().collect::<Vec<_>>(), ["CHAIRS"]);
    // What the desired state did not name came through the delete and the create.
    assert!(after.is_virtual());
    assert_eq!(after.raw().locations, before.raw().locations);
    assert_eq!(after.description(), Some("Chair number 0"));
    assert!(sync.plan().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_interrupted_sync_converges_with_nothing_created_twice() {
    // Latency keeps writes in flight when the run is cut, as a killed process leaves them.
    let (fake, client) = slow_fake(Duration::from_millis(2)).await;
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
    let report = within(sync.apply(&plan)).await.unwrap();
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
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert!(error.to_string().contains("no id"), "{error}");
    let twice = Desired::products(vec![chair(1), chair(1)]);
    let error = products.sync(twice).plan().await.unwrap_err();
    assert!(error.to_string().contains("twice"), "{error}");
}

/// Every product of the catalog, by id.
pub(crate) async fn snapshot(products: &Products) -> std::collections::BTreeMap<String, Product> {
    products
        .list()
        .limit(100)
        .items()
        .map_ok(|p| (p.id().to_string(), p))
        .try_collect()
        .await
        .unwrap()
}

/// The requests that wrote to a catalog's products (anything but a GET), as `METHOD id` (a
/// create names no id in its path: `POST`).
pub(crate) fn product_writes(fake: &FakeServer) -> Vec<String> {
    fake.requests()
        .into_iter()
        // `/v1/accounts/{aid}/products/catalogs/{catalog}/products...`; not `/products/groups`.
        .filter(|r| r.method != "GET" && r.path.matches("/products").count() >= 2)
        .map(|r| {
            let tail = r.path.rsplit_once("/products").map_or("", |(_, t)| t);
            format!("{} {}", r.method, tail.trim_start_matches('/'))
        })
        .collect()
}

/// `raw` without what every write changes (`updated_at`) and what `except` names.
fn all_but(
    product: &Product,
    except: impl Fn(&mut types::ProductDetails),
) -> types::ProductDetails {
    let mut raw = product.raw().clone();
    raw.updated_at = None;
    except(&mut raw);
    raw
}

#[tokio::test]
async fn a_price_list_changes_only_prices_and_sends_no_delete() {
    let fake = FakeServer::start().await;
    fake.seed_demo(ACCOUNT);
    let client = client_for(&fake);
    let products = client.products("DEMO");
    let before = snapshot(&products).await;
    assert!(before.len() >= 20, "{}", before.len());
    assert!(before.values().any(|p| p.group_ids().count() > 0));
    assert!(before.values().any(|p| !p.raw().locations.is_empty()));
    // The columns `id,price,currency`: ten per cent up, nothing else named.
    let rows: Vec<NewProduct> = before
        .values()
        .filter_map(|p| {
            let price = p.price()?.change_by_percent(10.0).ok()?;
            Some(NewProduct::with_id(p.id()).price(price))
        })
        .collect();
    let priced = rows.len();
    assert!(priced >= 20);
    let sync = products.sync(Desired::products(rows));
    let plan = sync.plan().await.unwrap();
    let s = plan.summary();
    assert_eq!(
        (s.update, s.create, s.recreate, s.delete, s.held_back),
        (priced, 0, 0, 0, 0),
        "{plan}"
    );
    assert!(
        plan.changes()
            .iter()
            .all(|(_, _, fields)| *fields == FieldSet::from(Field::Price)),
        "{plan}"
    );
    fake.clear_requests();
    let report = within(sync.apply(&plan)).await.unwrap();
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.updated, priced);
    let writes = product_writes(&fake);
    assert!(writes.iter().all(|w| w.starts_with("PUT ")), "{writes:?}");

    let after = snapshot(&products).await;
    for (id, old) in &before {
        let new = &after[id];
        let expected = old.price().and_then(|p| p.change_by_percent(10.0).ok());
        assert_eq!(new.price(), expected.or(old.price()), "{id}");
        let keep_price = |raw: &mut types::ProductDetails| raw.unit_gross_price = None;
        assert_eq!(all_but(new, keep_price), all_but(old, keep_price), "{id}");
    }
    assert!(sync.plan().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_upsert_of_three_keys_keeps_the_others_and_null_clears() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    let products = client.products(CATALOG);
    create_group(&client, "Chairs", "CHAIRS").await;
    let location = stock("OSL", 4);
    let before = products
        .create(chair(2).virtual_product(true).location(location))
        .await
        .unwrap();
    // `{"product_id":"C00002","unit_gross_price":159900,"currency":"NOK"}`
    let written = products
        .upsert(NewProduct::with_id("C00002").price(Price::new(159_900, Currency::NOK)))
        .await
        .unwrap();
    assert!(matches!(written, Written::Updated(_)), "{written:?}");
    let after = products.get("C00002").await.unwrap();
    assert_eq!(after.price(), Some(Price::new(159_900, Currency::NOK)));
    let keep_price = |raw: &mut types::ProductDetails| raw.unit_gross_price = None;
    assert_eq!(all_but(&after, keep_price), all_but(&before, keep_price));

    // `{"product_id":"C00002","description":null}`: managed and unset is cleared.
    products
        .upsert(NewProduct::with_id("C00002").managed_fields(FieldSet::from(Field::Description)))
        .await
        .unwrap();
    let cleared = products.get("C00002").await.unwrap();
    assert_eq!(cleared.description(), None);
    let keep_description = |raw: &mut types::ProductDetails| raw.description = None;
    assert_eq!(
        all_but(&cleared, keep_description),
        all_but(&after, keep_description)
    );
}

#[tokio::test]
async fn a_currency_the_sdk_does_not_list_survives_a_modify() {
    let fake = fake_with_catalog().await;
    let products = client_for(&fake).products(CATALOG);
    let kuna = Currency::new("HRK").unwrap();
    products
        .create(
            NewProduct::new("Kuna chair")
                .id("K1")
                .price(Price::new(100, kuna)),
        )
        .await
        .unwrap();
    products
        .modify("K1", |p| p.description = Some("Oak".into()))
        .await
        .unwrap();
    let after = products.get("K1").await.unwrap();
    assert_eq!(after.raw().currency.as_deref(), Some("HRK"));
    assert_eq!(after.price(), Some(Price::new(100, kuna)));
    assert_eq!(after.description(), Some("Oak"));
}

#[tokio::test]
async fn values_a_human_typed_wrong_are_refused_before_sending() {
    let fake = fake_with_catalog().await;
    let products = client_for(&fake).products(CATALOG);
    fake.clear_requests();
    for minor in [-1, Price::MAX_MINOR_UNITS + 1, i64::MAX] {
        let row = NewProduct::with_id("X").price(Price::new(minor, Currency::NOK));
        let error = products.upsert(row.clone()).await.unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
        assert!(error.to_string().contains("invalid price"), "{error}");
        let error = products.sync(Desired::products(vec![row])).plan().await;
        assert!(matches!(error, Err(Error::InvalidInput(_))), "{error:?}");
    }
    assert!(product_writes(&fake).is_empty());
    assert!(Currency::new("nok").is_err() && Currency::new("NOKK").is_err());
}

/// Groups TABLES and CHAIRS, and product C1 (every field set) in TABLES.
async fn product_in_tables(fake: &FakeServer) -> (Products, Product) {
    let client = client_for(fake);
    for (name, id) in [("Tables", "TABLES"), ("Chairs", "CHAIRS")] {
        create_group(&client, name, id).await;
    }
    let products = client.products(CATALOG);
    let location = stock("OSL", 9);
    let product = products
        .create(
            NewProduct::new("Chair 1")
                .id("C1")
                .description("Oak")
                .price(Price::new(149_900, Currency::NOK))
                .virtual_product(true)
                .location(location)
                .group("TABLES"),
        )
        .await
        .unwrap();
    (products, product)
}

/// The desired chair C1 in group CHAIRS, and nothing else named.
fn move_to_chairs() -> Desired {
    Desired::products(vec![NewProduct::with_id("C1").group("CHAIRS")])
}

/// The sync moving C1 to CHAIRS with the journal at `path`, opened anew as a new process would.
fn journaled_move(
    products: &Products,
    path: &std::path::Path,
    allow_recreate: bool,
) -> CatalogSync {
    products
        .sync(move_to_chairs())
        .allow_recreate(allow_recreate)
        .journal(FileJournal::open(path).unwrap())
}

/// What a product is, whatever its Dintero id and timestamps.
fn contents(product: &Product) -> types::ProductDetails {
    all_but(product, |raw| {
        raw.id = None;
        raw.created_at = None;
    })
}

#[tokio::test]
async fn a_recreate_whose_create_fails_leaves_the_product_as_it_was() {
    let fake = fake_with_catalog().await;
    let (products, before) = product_in_tables(&fake).await;
    let sync = products.sync(move_to_chairs()).allow_recreate(true);
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.summary().recreate, 1, "{plan}");
    // The create of the new product fails; the one that puts the old back does not.
    fake.set_faults(
        Faults::always(FaultKind::Status(400))
            .only_method("POST")
            .first(1),
    );
    let report = within(sync.apply(&plan)).await.unwrap();
    fake.set_faults(Faults::new());
    assert_eq!(
        (report.recreated, report.failed.len()),
        (0, 1),
        "{report:?}"
    );
    let (target, error) = &report.failed[0];
    assert_eq!(target.to_string(), "product C1");
    assert!(
        matches!(error, Error::Recreate { restored: true, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("restored as it was"), "{error}");
    let after = products.get("C1").await.unwrap();
    assert_eq!(contents(&after), contents(&before));
}

#[tokio::test]
async fn a_recreate_that_cannot_restore_is_restored_by_the_next_plan_from_the_journal() {
    let fake = fake_with_catalog().await;
    let (products, before) = product_in_tables(&fake).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.journal");
    let sync = journaled_move(&products, &path, true);
    let plan = sync.plan().await.unwrap();
    // Both the create and the restore fail.
    fake.set_faults(
        Faults::always(FaultKind::Status(400))
            .only_method("POST")
            .first(2),
    );
    let report = within(sync.apply(&plan)).await.unwrap();
    fake.set_faults(Faults::new());
    assert!(
        matches!(
            report.failed[0].1,
            Error::Recreate {
                restored: false,
                ..
            }
        ),
        "{report:?}"
    );
    assert!(products.get("C1").await.unwrap_err().is_not_found());

    // A sync of another catalog with the same journal leaves C1 alone: it is not its product.
    fake.seed_catalog(ACCOUNT, "OTHER", "Other");
    let other = client_for(&fake)
        .products("OTHER")
        .sync(move_to_chairs())
        .journal(FileJournal::open(&path).unwrap());
    assert!(other.plan().await.unwrap().restored().is_empty());
    assert_eq!(fake.product_count(ACCOUNT, "OTHER"), 0);

    // A plan that cannot tell whether C1 is there fails, rather than create it blindly.
    fake.set_faults(
        Faults::always(FaultKind::Status(400))
            .only_method("GET")
            .first(1),
    );
    let error = journaled_move(&products, &path, false)
        .plan()
        .await
        .unwrap_err();
    fake.set_faults(Faults::new());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
    assert_eq!(fake.product_count(ACCOUNT, CATALOG), 0);

    // The next run, as a new process would: the journal read from its file.
    let sync = journaled_move(&products, &path, false);
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.restored(), ["C1"]);
    assert!(
        plan.to_string().contains("+ C1  restored from the journal"),
        "{plan}"
    );
    assert_eq!(
        contents(&products.get("C1").await.unwrap()),
        contents(&before)
    );
    assert_eq!(
        plan.summary().held_back,
        1,
        "the recreate still needs consent: {plan}"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        0,
        "nothing left open"
    );
}

#[tokio::test]
async fn a_run_killed_between_a_recreates_delete_and_create_is_repaired_by_the_next() {
    let fake = fake_with_catalog().await;
    let (products, before) = product_in_tables(&fake).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.journal");
    let sync = journaled_move(&products, &path, true);
    let plan = sync.plan().await.unwrap();
    fake.clear_requests();
    // The delete is carried out and its answer held back: the run dies waiting for it, after
    // the delete and before the create.
    fake.set_faults(Faults::always(FaultKind::Slow(Duration::from_secs(60))).only_method("DELETE"));
    let deleted = async {
        while fake.product_count(ACCOUNT, CATALOG) > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::select! {
        _ = sync.apply(&plan) => panic!("the apply finished before it was killed"),
        _ = tokio::time::timeout(Duration::from_secs(20), deleted) => {}
    }
    drop(sync);
    fake.set_faults(Faults::new());
    assert!(products.get("C1").await.unwrap_err().is_not_found());
    assert!(
        !product_writes(&fake).iter().any(|w| w.starts_with("POST")),
        "killed before the create"
    );

    let sync = journaled_move(&products, &path, true);
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.restored(), ["C1"]);
    assert_eq!(
        contents(&products.get("C1").await.unwrap()),
        contents(&before)
    );
    let report = within(sync.apply(&plan)).await.unwrap();
    assert_eq!(report.recreated, 1, "{report:?}");
    let after = products.get("C1").await.unwrap();
    assert_eq!(after.group_ids().collect::<Vec<_>>(), ["CHAIRS"]);
    let keep_groups = |raw: &mut types::ProductDetails| raw.groups = Vec::new();
    assert_eq!(
        all_but(&after, |raw| {
            raw.id = None;
            raw.created_at = None;
            keep_groups(raw);
        }),
        all_but(&before, |raw| {
            raw.id = None;
            raw.created_at = None;
            keep_groups(raw);
        })
    );
    assert!(sync.plan().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_empty_source_never_prunes() {
    let fake = fake_with_catalog().await;
    let products = client_for(&fake).products(CATALOG);
    for i in 0..5 {
        products
            .create(NewProduct::new(format!("P{i}")).id(format!("P{i}")))
            .await
            .unwrap();
    }
    let sync = products
        .sync(Desired::products(Vec::new()))
        .prune(true)
        .max_deletes(MaxDeletes::Percent(100));
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.refusal(), Some(&Refusal::EmptySource { catalog: 5 }));
    assert!(
        plan.to_string()
            .contains("refused: the desired state holds no product"),
        "{plan}"
    );
    fake.clear_requests();
    let error = within(sync.apply(&plan)).await.unwrap_err();
    assert!(
        matches!(error, Error::Refused(Refusal::EmptySource { .. })),
        "{error:?}"
    );
    assert!(fake.requests().is_empty(), "nothing sent");
    assert_eq!(fake.product_count(ACCOUNT, CATALOG), 5);
}

#[tokio::test]
async fn a_prune_beyond_its_limit_is_refused() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    create_group(&client, "Chairs", "CHAIRS").await;
    let products = client.products(CATALOG);
    let created: Vec<_> = within(
        products
            .bulk()
            .run((0..20).map(|i| Write::create(chair(i))))
            .collect(),
    )
    .await;
    assert!(created.iter().all(|o| o.result.is_ok()));
    let half = || desired(10);
    let plan = products.sync(half()).prune(true).plan().await.unwrap();
    assert_eq!(
        plan.refusal(),
        Some(&Refusal::TooManyDeletes {
            deletes: 10,
            catalog: 20,
            limit: MaxDeletes::Percent(10)
        })
    );
    let error = within(products.sync(half()).prune(true).apply(&plan)).await;
    assert!(matches!(error, Err(Error::Refused(_))), "{error:?}");
    assert_eq!(fake.product_count(ACCOUNT, CATALOG), 20);

    let sync = products
        .sync(half())
        .prune(true)
        .max_deletes(MaxDeletes::Count(10));
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.refusal(), None);
    let report = within(sync.apply(&plan)).await.unwrap();
    assert_eq!(report.deleted, 10, "{report:?}");
    assert_eq!(fake.product_count(ACCOUNT, CATALOG), 10);
}

#[tokio::test]
async fn a_source_failing_part_way_prunes_nothing() {
    let fake = fake_with_catalog().await;
    let client = client_for(&fake);
    create_group(&client, "Chairs", "CHAIRS").await;
    let products = client.products(CATALOG);
    products
        .create(NewProduct::new("Old").id("OLD"))
        .await
        .unwrap();
    let failing = |fail_on_reading: usize| {
        let readings = Arc::new(AtomicUsize::new(0));
        Desired::try_products_from(move || {
            let reading = readings.fetch_add(1, Ordering::SeqCst);
            (0..10).map(move |i| {
                if reading >= fail_on_reading && i == 3 {
                    Err(std::io::Error::other("the disk went away"))
                } else {
                    Ok(chair(i))
                }
            })
        })
    };
    // Failing while planning: the plan fails.
    let error = products
        .sync(failing(0))
        .prune(true)
        .plan()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Source(_)), "{error:?}");
    // The SDK's messages leave causes to `source()`.
    let cause = std::error::Error::source(&error).map(ToString::to_string);
    assert!(
        cause.is_some_and(|c| c.contains("the disk went away")),
        "{error:?}"
    );

    // Failing while applying: what was read is written, and nothing is pruned.
    let sync = products
        .sync(failing(1))
        .prune(true)
        .max_deletes(MaxDeletes::Percent(100));
    let plan = sync.plan().await.unwrap();
    assert_eq!((plan.summary().create, plan.summary().delete), (10, 1));
    let report = within(sync.apply(&plan)).await.unwrap();
    assert!(
        matches!(report.unread, Some(Error::Source(_))),
        "{report:?}"
    );
    assert!(!report.is_success());
    assert_eq!((report.created, report.deleted), (3, 0), "{report:?}");
    assert!(products.get("OLD").await.is_ok());
}

#[tokio::test]
async fn a_price_jump_needs_consent() {
    let fake = fake_with_catalog().await;
    let (products, _) = product_in_tables(&fake).await;
    // 1 499,00 kr typed as kroner into the column of øre.
    let slip = || {
        Desired::products(vec![
            NewProduct::with_id("C1").price(Price::new(1499, Currency::NOK)),
        ])
    };
    let sync = products.sync(slip());
    let mut plan = sync.plan().await.unwrap();
    assert_eq!(plan.needs(Consent::PriceJump), 1);
    assert_eq!(plan.summary().held_back, 1);
    let diff = plan.to_string();
    assert!(
        diff.contains("! C1  price: 1499.00 NOK -> 14.99 NOK"),
        "{diff}"
    );
    assert!(diff.contains("kroner typed for øre"), "{diff}");
    let report = within(sync.apply(&plan)).await.unwrap();
    assert_eq!(report.held_back.len(), 1, "{report:?}");
    assert_eq!(report.held_back[0].1, [Consent::PriceJump]);
    let price = |p: Product| p.price().map(|p| p.minor_units());
    assert_eq!(price(products.get("C1").await.unwrap()), Some(149_900));

    plan.approve(Consent::PriceJump);
    assert_eq!(plan.summary().update, 1);
    let report = within(sync.apply(&plan)).await.unwrap();
    assert_eq!(report.updated, 1, "{report:?}");
    assert_eq!(price(products.get("C1").await.unwrap()), Some(1499));
    // A change under the factor goes through without asking.
    let rise = Desired::products(vec![
        NewProduct::with_id("C1").price(Price::new(1649, Currency::NOK)),
    ]);
    let plan = products.sync(rise).plan().await.unwrap();
    assert_eq!((plan.summary().update, plan.summary().held_back), (1, 0));
}

mod managed_fields {
    //! For arbitrary products and arbitrary desired rows over an arbitrary subset of the
    //! fields: after plan and apply, every unmanaged field of every product is what it was and
    //! every managed field is the row's.

    use super::*;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// A field of an update (and groups) in one normal form: an empty text is none, an unset
    /// `virtual` is false, no locations is an empty list.
    fn normal(fields: &ProductUpdate, groups: &[String], field: Field) -> Value {
        let text = |s: &Option<String>| json!(s.as_deref().filter(|s| !s.is_empty()));
        let dimension = fields.dimension.clone().unwrap_or_default();
        match field {
            Field::Name => text(&fields.name),
            Field::Description => text(&fields.description),
            Field::Unit => text(&fields.unit),
            Field::Price => json!(
                fields
                    .price
                    .map(|p| (p.minor_units(), p.currency().to_string()))
            ),
            Field::Virtual => json!(fields.is_virtual.unwrap_or(false)),
            Field::StartingAt => json!(fields.starting_at),
            Field::StoppingAt => json!(fields.stopping_at),
            Field::DimensionColor => text(&dimension.color),
            Field::DimensionConfig => text(&dimension.config),
            Field::DimensionSize => text(&dimension.size),
            Field::DimensionStyle => text(&dimension.style),
            Field::DimensionVariant => text(&dimension.variant),
            Field::Images => json!(fields.images.as_ref().filter(|i| !i.0.is_empty())),
            Field::Locations => json!(fields.locations.clone().unwrap_or_default()),
            Field::Groups => {
                let mut groups = groups.to_vec();
                groups.sort_unstable();
                groups.dedup();
                json!(groups)
            }
            other => panic!("a field this test does not know: {other:?}"),
        }
    }

    fn of_product(p: &Product, field: Field) -> Value {
        let groups: Vec<String> = p.group_ids().map(str::to_string).collect();
        normal(&p.to_update(), &groups, field)
    }

    fn of_row(row: &NewProduct, field: Field) -> Value {
        let groups: Vec<String> = row.group_ids().map(|g| g.to_string()).collect();
        normal(row.get_fields(), &groups, field)
    }

    fn text() -> impl Strategy<Value = Option<String>> {
        prop::option::of("[ab]{0,2}")
    }

    prop_compose! {
        fn product()(
            name in text(), description in text(), unit in text(),
            price in prop::option::of((prop::sample::select(vec![0_i64, 100, 5_000, 1_000_000]), any::<bool>())),
            virtual_product in prop::option::of(any::<bool>()),
            starting in prop::option::of(0_i64..3),
            stopping in prop::option::of(0_i64..3),
            dimension in prop::collection::vec(text(), 5),
            images in prop::option::of(prop::collection::vec("[xy]", 0..2)),
            locations in prop::option::of(prop::collection::vec(("[AB]", prop::option::of(0_i64..3)), 0..2)),
            groups in prop::sample::subsequence(vec!["G1", "G2"], 0..=2),
        ) -> NewProduct {
            let mut f = ProductUpdate::new();
            f.name = name;
            f.description = description;
            f.unit = unit;
            f.price = price.map(|(minor, nok)| Price::new(minor, if nok { Currency::NOK } else { Currency::SEK }));
            f.is_virtual = virtual_product;
            let at = |days: i64| Utc.timestamp_opt(1_700_000_000 + days * 86_400, 0).single();
            f.starting_at = starting.and_then(at);
            f.stopping_at = stopping.and_then(at);
            let d = types::Dimension {
                color: dimension[0].clone(),
                config: dimension[1].clone(),
                size: dimension[2].clone(),
                style: dimension[3].clone(),
                variant: dimension[4].clone(),
                extra: Default::default(),
            };
            f.dimension = Some(d).filter(|d| *d != types::Dimension::default());
            f.images = images.map(|hrefs| types::Images(hrefs.into_iter().map(|h| types::ImagesItem {
                href: format!("https://example.com/{h}.jpg"),
                rel: None,
                title: None,
                type_: None,
                extra: Default::default(),
            }).collect()));
            f.locations = locations.map(|ls| {
                let mut seen = std::collections::HashSet::new();
                ls.into_iter()
                    .filter(|(id, _)| seen.insert(id.clone()))
                    .map(|(id, stock)| types::LocationInput {
                        location_id: Some(id.parse().unwrap()),
                        number_of_items_in_storage: stock,
                        ..Default::default()
                    })
                    .collect()
            });
            groups.into_iter().fold(NewProduct::with_id("P").fields(f), |p, g| p.group(g))
        }
    }

    /// Runs one case; a failed assertion is the case's error.
    async fn case(
        current: Vec<NewProduct>,
        rows: Vec<(usize, NewProduct, u16)>,
    ) -> Result<(), TestCaseError> {
        let fake = fake_with_catalog().await;
        let client = client_for(&fake);
        for g in ["G1", "G2"] {
            client
                .groups()
                .create(NewGroup::new(g).id(g))
                .await
                .unwrap();
        }
        let products = client.products(CATALOG);
        for (i, p) in current.iter().enumerate() {
            products
                .create(p.clone().id(format!("P{i}")))
                .await
                .unwrap();
        }
        let before = snapshot(&products).await;
        let mut desired = std::collections::BTreeMap::new();
        for (slot, row, mask) in rows {
            // Slots past the catalog are new products.
            let managed: FieldSet = Field::ALL
                .into_iter()
                .enumerate()
                .filter(|(bit, _)| mask & (1 << bit) != 0)
                .map(|(_, f)| f)
                .collect();
            desired.insert(
                format!("P{slot}"),
                row.id(format!("P{slot}")).managed_fields(managed),
            );
        }
        let rows: Vec<NewProduct> = desired.values().cloned().collect();
        let sync = products
            .sync(Desired::products(rows))
            .allow_recreate(true)
            .allow_price_jumps(true);
        let plan = sync.plan().await.unwrap();
        let report = within(sync.apply(&plan)).await.unwrap();
        prop_assert!(report.is_success(), "{report:?}");
        let after = snapshot(&products).await;
        for (id, new) in &after {
            let row = desired.get(id);
            for field in Field::ALL {
                match (row, before.get(id)) {
                    (Some(row), _) if row.get_managed_fields().contains(field) => {
                        prop_assert_eq!(
                            of_product(new, field),
                            of_row(row, field),
                            "{} {}",
                            id,
                            field
                        );
                    }
                    (_, Some(old)) => {
                        prop_assert_eq!(
                            of_product(new, field),
                            of_product(old, field),
                            "{} {}",
                            id,
                            field
                        );
                    }
                    (_, None) => {} // created: its unmanaged fields were never set
                }
            }
        }
        prop_assert_eq!(
            after.len(),
            before.len()
                + desired
                    .keys()
                    .filter(|id| !before.contains_key(*id))
                    .count()
        );
        prop_assert!(
            sync.plan().await.unwrap().is_empty(),
            "a second plan writes nothing"
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]
        #[test]
        fn unmanaged_fields_keep_and_managed_fields_follow_the_row(
            current in prop::collection::vec(product(), 0..4),
            rows in prop::collection::vec((0_usize..5, product(), any::<u16>()), 0..4),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(case(current, rows))?;
        }
    }
}

#[tokio::test]
async fn an_update_found_done_when_read_again_is_counted_unchanged() {
    let fake = fake_with_catalog().await;
    let products = client_for(&fake).products(CATALOG);
    let price = |minor| Price::new(minor, Currency::NOK);
    products
        .create(NewProduct::new("Chair").id("C1").price(price(10_000)))
        .await
        .unwrap();
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sync = products
        .sync(Desired::products(vec![
            NewProduct::with_id("C1").price(price(12_000)),
        ]))
        .on_progress({
            let events = events.clone();
            move |event| {
                if let dintero_products::Progress::Applied {
                    changed, result, ..
                } = event
                {
                    events.lock().unwrap().push((*changed, result.is_ok()));
                }
            }
        });
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.summary().update, 1);
    // Someone else makes the same change between the plan and the apply.
    products
        .modify("C1", |p| p.price = Some(price(12_000)))
        .await
        .unwrap();
    fake.clear_requests();
    let report = within(sync.apply(&plan)).await.unwrap();
    assert_eq!((report.updated, report.unchanged), (0, 1), "{report:?}");
    assert_eq!(*events.lock().unwrap(), [(false, true)]);
    assert!(product_writes(&fake).is_empty(), "nothing written");
}

#[tokio::test]
async fn a_managed_field_left_empty_is_planned_as_cleared_and_cleared() {
    let fake = fake_with_catalog().await;
    let (products, before) = product_in_tables(&fake).await;
    // A `description` column with an empty cell.
    let row = NewProduct::with_id("C1").managed_fields(FieldSet::from(Field::Description));
    let sync = products.sync(Desired::products(vec![row]));
    let plan = sync.plan().await.unwrap();
    assert!(
        plan.to_string()
            .contains("~ C1  description: \"Oak\" -> (cleared)\n"),
        "{plan}"
    );
    assert!(within(sync.apply(&plan)).await.unwrap().is_success());
    let after = products.get("C1").await.unwrap();
    assert_eq!(after.description(), None);
    let keep_description = |raw: &mut types::ProductDetails| raw.description = None;
    assert_eq!(
        all_but(&after, keep_description),
        all_but(&before, keep_description)
    );
}

#[tokio::test]
async fn a_prune_counts_a_product_gone_meanwhile_as_deleted_and_a_refused_delete_as_failed() {
    let fake = fake_with_catalog().await;
    let products = client_for(&fake).products(CATALOG);
    for id in ["KEEP", "GONE", "STAYS"] {
        products.create(NewProduct::new(id).id(id)).await.unwrap();
    }
    let keep = || Desired::products(vec![NewProduct::new("KEEP").id("KEEP")]);
    let sync = products
        .sync(keep())
        .prune(true)
        .max_deletes(MaxDeletes::Percent(100));
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.summary().delete, 2);
    // Deleted by someone else between the plan and the apply: what the prune wanted.
    products.delete("GONE").await.unwrap();
    // And the server refuses the other delete.
    fake.set_faults(
        Faults::always(FaultKind::Status(400))
            .only_method("DELETE")
            .first(2),
    );
    let report = within(sync.apply(&plan)).await.unwrap();
    fake.set_faults(Faults::new());
    assert_eq!(report.deleted, 0, "{report:?}");
    assert_eq!(report.failed.len(), 2, "{report:?}");
    assert!(
        report
            .failed
            .iter()
            .all(|(_, e)| e.status().map(|s| s.as_u16()) == Some(400))
    );

    let plan = sync.plan().await.unwrap();
    products.delete("STAYS").await.unwrap();
    let report = within(sync.apply(&plan)).await.unwrap();
    assert!(report.is_success(), "{report:?}");
    assert_eq!(
        report.deleted, 1,
        "a product already gone counts as deleted"
    );
}

/// Plans moving C1 to CHAIRS (with consent), runs `meanwhile`, then applies under `faults`;
/// returns the report, the product after, and the requests the apply sent.
async fn recreate_under(
    fake: &FakeServer,
    faults: Faults,
    meanwhile: impl AsyncFnOnce(&Products),
) -> (dintero_products::SyncReport, Product, Product, Vec<String>) {
    let (_, before) = product_in_tables(fake).await;
    // Quick retries: a failing delete is retried before it is reported.
    let retry = dintero_products::RetryPolicy::default()
        .max_attempts(2)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(10));
    let products =
        dintero_products_e2e::client_with(fake, retry, Duration::from_secs(5)).products(CATALOG);
    let sync = products.sync(move_to_chairs()).allow_recreate(true);
    let plan = sync.plan().await.unwrap();
    meanwhile(&products).await;
    fake.clear_requests();
    fake.set_faults(faults);
    let report = within(sync.apply(&plan)).await.unwrap();
    fake.set_faults(Faults::new());
    let sent = fake
        .requests()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let after = products.get("C1").await.unwrap();
    (report, before, after, sent)
}

#[tokio::test]
async fn a_recreate_whose_product_was_deleted_meanwhile_creates_it() {
    let fake = fake_with_catalog().await;
    let (report, _, after, _) = recreate_under(&fake, Faults::new(), async |products| {
        products.delete("C1").await.unwrap();
    })
    .await;
    assert_eq!(report.recreated, 1, "{report:?}");
    assert_eq!(after.group_ids().collect::<Vec<_>>(), ["CHAIRS"]);
}

#[tokio::test]
async fn a_recreate_whose_delete_answer_was_lost_still_creates_the_product() {
    let fake = fake_with_catalog().await;
    // The delete is carried out and its answer cut short: the retried delete meets a 404.
    let lost = Faults::always(FaultKind::TruncatedBody)
        .only_method("DELETE")
        .first(1);
    let (report, before, after, _) = recreate_under(&fake, lost, async |_| {}).await;
    assert_eq!(report.recreated, 1, "{report:?}");
    assert_eq!(after.group_ids().collect::<Vec<_>>(), ["CHAIRS"]);
    let no_groups = |raw: &mut types::ProductDetails| {
        raw.id = None;
        raw.created_at = None;
        raw.groups = Vec::new();
    };
    assert_eq!(all_but(&after, no_groups), all_but(&before, no_groups));
}

#[tokio::test]
async fn a_recreate_whose_delete_fails_while_the_product_stays_creates_nothing() {
    for status in [400, 500] {
        let fake = fake_with_catalog().await;
        let failing = Faults::always(FaultKind::Status(status))
            .only_method("DELETE")
            .first(10);
        let (report, before, after, sent) = recreate_under(&fake, failing, async |_| {}).await;
        assert_eq!(report.recreated, 0, "{report:?}");
        let (_, error) = &report.failed[0];
        assert_eq!(
            error.status().map(|s| s.as_u16()),
            Some(status),
            "{error:?}"
        );
        assert!(!matches!(error, Error::Recreate { .. }), "{error:?}");
        assert!(!sent.iter().any(|r| r.starts_with("POST")), "{sent:?}");
        assert_eq!(contents(&after), contents(&before));
    }
}

#[tokio::test]
async fn a_recreate_that_cannot_read_its_product_touches_nothing() {
    let fake = fake_with_catalog().await;
    let refused = Faults::always(FaultKind::Status(400))
        .only_method("GET")
        .first(1);
    let (report, before, after, sent) = recreate_under(&fake, refused, async |_| {}).await;
    let (_, error) = &report.failed[0];
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
    assert!(
        sent.iter().all(|r| r.starts_with("GET")),
        "no delete, no create: {sent:?}"
    );
    assert_eq!(contents(&after), contents(&before));
}

#[tokio::test]
async fn a_bulk_job_never_has_more_writes_in_flight_than_its_concurrency() {
    let (fake, client) = slow_fake(Duration::from_millis(60)).await;
    let numbers = fake.seed_products(ACCOUNT, CATALOG, 12);
    let ids: Vec<String> = numbers.map(seeded_product_id).collect();
    let run = within(
        client
            .products(CATALOG)
            .bulk()
            .concurrency(3)
            .run(
                ids.iter()
                    .map(|id| Write::delete(id.as_str()))
                    .collect::<Vec<_>>(),
            )
            .collect::<Vec<_>>(),
    );
    // Every few milliseconds, the deletes the fake has received and not yet answered.
    let most = AtomicUsize::new(0);
    let sample = async {
        loop {
            let in_flight = fake
                .requests()
                .iter()
                .filter(|r| r.method == "DELETE" && r.status.is_none())
                .count();
            most.fetch_max(in_flight, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let outcomes = tokio::select! {
        outcomes = run => outcomes,
        () = sample => unreachable!("the sampling never ends"),
    };
    assert_eq!(outcomes.len(), 12);
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    assert_eq!(
        most.load(Ordering::Relaxed),
        3,
        "three in flight at once, and never more"
    );
}

#[tokio::test]
async fn a_bulk_job_stops_reading_its_input_while_max_waiting_writes_wait_for_one_id() {
    let (_fake, client) = slow_fake(Duration::from_millis(500)).await;
    let read = Arc::new(AtomicUsize::new(0));
    let counter = read.clone();
    // More writes to one id than may wait: each waits for the one before it.
    let writes = (0..MAX_WAITING + 10).map(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
        Write::delete("SAME")
    });
    let mut run = client.products(CATALOG).bulk().run(writes);
    // The first poll starts the first write and queues the next ones behind it.
    let first = tokio::time::timeout(Duration::from_millis(200), run.next()).await;
    assert!(first.is_err(), "the first write is still in flight");
    assert_eq!(
        read.load(Ordering::Relaxed),
        1 + MAX_WAITING,
        "the one in flight and the most that may wait"
    );
    // When it is answered, the next one goes, and one more is read in its place.
    let first = within(run.next()).await.unwrap();
    assert_eq!(first.index, 0);
    let second = tokio::time::timeout(Duration::from_millis(100), run.next()).await;
    assert!(second.is_err(), "the second write is in flight");
    assert_eq!(read.load(Ordering::Relaxed), 2 + MAX_WAITING);
}
