//! Sync against the fake: what each desired product asks ([`Intent`]: merge, create only,
//! update only, delete) and the stock of one location set without touching the rest.

use crate::jobs::{product_writes, snapshot};
use dintero_products::{
    Action, Currency, Desired, DesiredProduct, Error, Field, FieldSet, Intent, MaxDeletes,
    NewProduct, Plan, Price, Product, Products, Progress, Refusal, SyncReport, Target, types,
};
use dintero_products_e2e::{ACCOUNT, client_for, within};
use dintero_products_fake::FakeServer;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const CATALOG: &str = "S23";

async fn fake_with_catalog() -> (FakeServer, Products) {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, CATALOG, "Sommer");
    let products = client_for(&fake).products(CATALOG);
    (fake, products)
}

fn nok(minor: i64) -> Price {
    Price::new(minor, Currency::NOK)
}

/// A product the catalog holds before the sync.
fn held(id: &str) -> NewProduct {
    NewProduct::new(format!("Held {id}"))
        .id(id)
        .price(nok(10_000))
}

/// A row of a file: `product` at line `line`, asking `intent`.
fn row(product: NewProduct, intent: Intent, line: u64) -> DesiredProduct {
    DesiredProduct::new(product).intent(intent).tagged(line)
}

fn desired(rows: Vec<DesiredProduct>) -> Desired {
    let rows = Arc::new(rows);
    Desired::products_from(move || {
        let rows = rows.clone();
        (0..rows.len()).map(move |i| rows[i].clone())
    })
}

/// What the progress callback was told of each product, as `Action id tag outcome`.
type Told = Arc<Mutex<Vec<String>>>;

fn told(events: &Told) -> Vec<String> {
    let mut events = events.lock().unwrap().clone();
    events.sort();
    events
}

/// Plans and applies `desired`, without prune; what the plan said, the report, and what the
/// progress callback was told.
async fn sync(
    products: &Products,
    desired: Desired,
    prune: bool,
) -> (Plan, SyncReport, Vec<String>) {
    let events: Told = Arc::default();
    let sink = events.clone();
    let sync = products
        .sync(desired)
        .prune(prune)
        .on_progress(move |event| {
            if let Progress::Applied {
                action,
                target: Target::Product(id),
                tag,
                result,
                ..
            } = event
            {
                let outcome = match result {
                    Ok(()) => "ok".to_string(),
                    Err(e) => e.to_string(),
                };
                let tag = tag.map_or("-".to_string(), |t| t.to_string());
                sink.lock()
                    .unwrap()
                    .push(format!("{action:?} {id} {tag} {outcome}"));
            }
        });
    let plan = sync.plan().await.unwrap();
    let report = within(sync.apply(&plan)).await.unwrap();
    (plan, report, told(&events))
}

fn failed(report: &SyncReport) -> Vec<String> {
    let mut failed: Vec<String> = report
        .failed
        .iter()
        .map(|(target, e)| format!("{target}: {e}"))
        .collect();
    failed.sort();
    failed
}

const EXISTS: &str =
    "refused: the product is in the catalog already, and this change may only create it";
const MISSING: &str =
    "refused: the product is not in the catalog, and this change may only update it";

#[tokio::test]
async fn create_only_creates_a_new_product_and_rejects_one_the_catalog_holds() {
    let (fake, products) = fake_with_catalog().await;
    products.create(held("OLD")).await.unwrap();
    let before = snapshot(&products).await;
    fake.clear_requests();

    // NEW's group is created first: the rejection, told before, does not stop the rest.
    let rows = vec![
        row(
            NewProduct::new("New").id("NEW").group("NEWG"),
            Intent::CreateOnly,
            2,
        ),
        row(NewProduct::new("Renamed").id("OLD"), Intent::CreateOnly, 3),
    ];
    let (plan, report, told) = sync(&products, desired(rows), false).await;
    let s = plan.summary();
    assert_eq!(
        (s.create, s.update, s.rejected, s.unchanged, s.groups),
        (1, 0, 1, 0, 1)
    );
    assert_eq!(plan.refusal(), None, "a rejection fails its product alone");
    assert_eq!(plan.rejected(), [("OLD", Refusal::Exists, Some(3))]);
    assert_eq!(plan.changes(), [("NEW", Action::Create, FieldSet::EMPTY)]);

    assert_eq!((report.created, report.updated, report.groups), (1, 0, 1));
    assert_eq!(failed(&report), [format!("product OLD: {EXISTS}")]);
    assert!(!report.is_success());
    assert_eq!(
        told,
        [
            "Create NEW 2 ok".to_string(),
            format!("Create OLD 3 {EXISTS}")
        ]
    );
    assert_eq!(
        product_writes(&fake),
        ["POST "],
        "one create, nothing to OLD"
    );
    let after = snapshot(&products).await;
    assert_eq!(after["OLD"], before["OLD"]);
    assert_eq!(after["NEW"].name(), "New");
    assert_eq!(after["NEW"].group_ids().collect::<Vec<_>>(), ["NEWG"]);
}

#[tokio::test]
async fn update_only_updates_a_product_the_catalog_holds_and_rejects_a_missing_one() {
    let (fake, products) = fake_with_catalog().await;
    products.create(held("OLD")).await.unwrap();
    fake.clear_requests();

    let rows = vec![
        row(
            NewProduct::with_id("OLD").price(nok(12_000)),
            Intent::UpdateOnly,
            1,
        ),
        row(NewProduct::new("Ghost").id("GHOST"), Intent::UpdateOnly, 2),
    ];
    let (plan, report, told) = sync(&products, desired(rows), false).await;
    let s = plan.summary();
    assert_eq!((s.create, s.update, s.rejected), (0, 1, 1));
    assert_eq!(plan.rejected(), [("GHOST", Refusal::Missing, Some(2))]);
    assert_eq!(plan.refusal(), None);

    assert_eq!((report.created, report.updated), (0, 1));
    assert_eq!(failed(&report), [format!("product GHOST: {MISSING}")]);
    assert_eq!(
        told,
        [
            format!("Update GHOST 2 {MISSING}"),
            "Update OLD 1 ok".into()
        ]
    );
    assert_eq!(product_writes(&fake), ["PUT OLD"]);
    let after = snapshot(&products).await;
    assert_eq!(after.len(), 1, "GHOST was not created");
    assert_eq!(after["OLD"].price(), Some(nok(12_000)));
    assert_eq!(after["OLD"].name(), "Held OLD", "an unmanaged field kept");
}

#[tokio::test]
async fn an_update_only_of_a_product_deleted_since_the_plan_does_not_create_it() {
    let (_fake, products) = fake_with_catalog().await;
    products.create(held("OLD")).await.unwrap();
    let rows = vec![row(
        NewProduct::with_id("OLD").price(nok(12_000)),
        Intent::UpdateOnly,
        1,
    )];
    let sync = products.sync(desired(rows));
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.summary().update, 1);
    products.delete("OLD").await.unwrap();
    let report = within(sync.apply(&plan)).await.unwrap();
    assert_eq!(
        (report.created, report.updated, report.failed.len()),
        (0, 0, 1)
    );
    assert!(report.failed[0].1.is_not_found(), "{:?}", report.failed);
    assert!(snapshot(&products).await.is_empty());
}

#[tokio::test]
async fn a_delete_without_prune_deletes_what_is_there_and_does_nothing_for_what_is_gone() {
    let (fake, products) = fake_with_catalog().await;
    for id in ["A", "B", "KEEP"] {
        products.create(held(id)).await.unwrap();
    }
    fake.clear_requests();

    let rows = vec![
        row(NewProduct::with_id("A"), Intent::Delete, 7),
        row(NewProduct::with_id("GONE"), Intent::Delete, 8),
        row(held("B"), Intent::Merge, 9),
    ];
    let sync = products.sync(desired(rows.clone()));
    let plan = sync.plan().await.unwrap();
    let s = plan.summary();
    assert_eq!(
        (s.delete, s.unchanged, s.not_desired_kept, s.rejected),
        (1, 1, 1, 0)
    );
    assert_eq!(plan.changes(), [("A", Action::Delete, FieldSet::EMPTY)]);
    assert_eq!(plan.writes(), 1);
    let diff = plan.to_string();
    assert!(
        diff.contains("0 to create, 0 to update, 1 to delete, 1 unchanged"),
        "{diff}"
    );
    assert!(diff.lines().any(|l| l == "- A"), "{diff}");

    let (_, report, told) = self::sync(&products, desired(rows.clone()), false).await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.deleted, 1);
    assert_eq!(told, ["Delete A 7 ok"]);
    assert_eq!(product_writes(&fake), ["DELETE A"]);
    let after = snapshot(&products).await;
    assert_eq!(after.keys().collect::<Vec<_>>(), ["B", "KEEP"]);

    // Run again: A is gone too now, and nothing is left to do.
    let again = products.sync(desired(rows)).plan().await.unwrap();
    assert!(again.is_empty(), "{again}");
    assert_eq!(again.summary().delete, 0);
}

#[tokio::test]
async fn an_explicit_delete_is_no_prune_and_does_not_count_against_the_prune_limit() {
    let (_fake, products) = fake_with_catalog().await;
    for id in ["A", "B", "C"] {
        products.create(held(id)).await.unwrap();
    }
    // A pruning sync allowed no prune at all: deleting A explicitly is still allowed.
    let rows = vec![
        row(NewProduct::with_id("A"), Intent::Delete, 1),
        row(held("B"), Intent::Merge, 2),
        row(held("C"), Intent::Merge, 3),
    ];
    let sync = products
        .sync(desired(rows))
        .prune(true)
        .max_deletes(MaxDeletes::Count(0));
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.refusal(), None, "{plan}");
    assert_eq!(plan.summary().delete, 1);
    let report = within(sync.apply(&plan)).await.unwrap();
    assert_eq!(report.deleted, 1);

    // A prune beyond the limit is refused still, whatever is deleted explicitly.
    let rows = vec![row(NewProduct::with_id("B"), Intent::Delete, 1)];
    let sync = products
        .sync(desired(rows))
        .prune(true)
        .max_deletes(MaxDeletes::Count(0));
    let plan = sync.plan().await.unwrap();
    assert!(
        matches!(
            plan.refusal(),
            Some(Refusal::TooManyDeletes { deletes: 1, .. })
        ),
        "{plan}"
    );
}

#[tokio::test]
async fn a_product_desired_twice_is_an_error_whatever_the_intents() {
    let (_fake, products) = fake_with_catalog().await;
    products.create(held("A")).await.unwrap();
    let cases = [
        (("A", Intent::Delete), ("A", Intent::Merge)),
        (("A", Intent::CreateOnly), ("A", Intent::UpdateOnly)),
        (("GONE", Intent::Delete), ("GONE", Intent::CreateOnly)),
        (("GONE", Intent::UpdateOnly), ("GONE", Intent::Delete)),
        (("GONE", Intent::Merge), ("GONE", Intent::Merge)),
    ];
    for ((a, first), (b, second)) in cases {
        let rows = vec![
            row(NewProduct::with_id(a), first, 1),
            row(NewProduct::with_id(b), second, 2),
        ];
        let error = products.sync(desired(rows)).plan().await.unwrap_err();
        assert!(
            error.to_string().contains("is desired twice"),
            "{first:?} {second:?}: {error}"
        );
    }
}

#[tokio::test]
async fn a_mixed_file_of_every_intent_ends_as_each_row_asks() {
    let (fake, products) = fake_with_catalog().await;
    for id in ["E1", "E2", "E3", "E4", "E5", "E6"] {
        products.create(held(id)).await.unwrap();
    }
    let before = snapshot(&products).await;
    let rows = vec![
        row(NewProduct::new("Changed").id("E1"), Intent::CreateOnly, 1),
        row(
            NewProduct::with_id("E2").price(nok(11_000)),
            Intent::UpdateOnly,
            2,
        ),
        row(NewProduct::with_id("E3"), Intent::Delete, 3),
        row(
            NewProduct::with_id("E4").price(nok(12_000)),
            Intent::Merge,
            4,
        ),
        // A price a hundred times higher: held back for want of consent.
        row(
            NewProduct::with_id("E6").price(nok(1_000_000)),
            Intent::Merge,
            6,
        ),
        row(NewProduct::new("New 1").id("N1"), Intent::CreateOnly, 7),
        row(NewProduct::new("New 2").id("N2"), Intent::UpdateOnly, 8),
        row(NewProduct::with_id("N3"), Intent::Delete, 9),
        row(NewProduct::new("New 4").id("N4"), Intent::Merge, 10),
    ];
    fake.clear_requests();
    let (plan, report, told) = sync(&products, desired(rows.clone()), false).await;

    let s = plan.summary();
    assert_eq!(
        (
            s.create,
            s.update,
            s.delete,
            s.held_back,
            s.rejected,
            s.not_desired_kept
        ),
        (2, 2, 1, 1, 2, 1)
    );
    assert_eq!(
        plan.rejected(),
        [
            ("E1", Refusal::Exists, Some(1)),
            ("N2", Refusal::Missing, Some(8))
        ]
    );
    let diff = plan.to_string();
    let expected = "\
catalog S23: 2 to create, 2 to update, 1 to delete, 0 unchanged, 1 held back (need consent), 2 rejected, 1 not desired but kept (no prune)
~ E2  price: 100.00 NOK -> 110.00 NOK
- E3
~ E4  price: 100.00 NOK -> 120.00 NOK
+ N1
+ N4
needs consent:
! E6  price: 100.00 NOK -> 10000.00 NOK  (price ×10 or more: kroner typed for øre?)  [held back]
rejected (left untouched):
x E1  the product is in the catalog already, and this change may only create it
x N2  the product is not in the catalog, and this change may only update it
";
    assert_eq!(diff, expected);

    assert_eq!((report.created, report.updated, report.deleted), (2, 2, 1));
    assert_eq!(
        failed(&report),
        [
            format!("product E1: {EXISTS}"),
            format!("product N2: {MISSING}")
        ]
    );
    assert_eq!(report.held_back.len(), 1);
    assert_eq!(
        told,
        [
            format!("Create E1 1 {EXISTS}"),
            "Create N1 7 ok".into(),
            "Create N4 10 ok".into(),
            "Delete E3 3 ok".into(),
            "Update E2 2 ok".into(),
            "Update E4 4 ok".into(),
            "Update E6 6 refused: left untouched: needs consent to a price change by a factor of ten or more".into(),
            format!("Update N2 8 {MISSING}"),
        ]
    );
    let mut writes = product_writes(&fake);
    writes.sort();
    assert_eq!(writes, ["DELETE E3", "POST ", "POST ", "PUT E2", "PUT E4"]);

    let after = snapshot(&products).await;
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        ["E1", "E2", "E4", "E5", "E6", "N1", "N4"]
    );
    for id in ["E1", "E5", "E6"] {
        assert_eq!(after[id], before[id], "{id} untouched");
    }
    assert_eq!(after["E2"].price(), Some(nok(11_000)));
    assert_eq!(after["E4"].price(), Some(nok(12_000)));
    assert_eq!((after["N1"].name(), after["N4"].name()), ("New 1", "New 4"));

    // Again: nothing to write; the jump waits, and N1, created, is now one a create only
    // rejects.
    let again = products.sync(desired(rows)).plan().await.unwrap();
    let s = again.summary();
    assert_eq!(
        (again.writes(), s.held_back, s.unchanged),
        (0, 1, 3),
        "{again}"
    );
    let rejected: Vec<_> = again.rejected().into_iter().map(|r| r.0).collect();
    assert_eq!(rejected, ["E1", "N1", "N2"]);
}

/// A product with two locations, each with more than its stock.
fn stocked(id: &str) -> NewProduct {
    let location = |at: &str, name: &str, count: i64, pickup: bool| types::LocationInput {
        location_id: Some(at.parse().unwrap()),
        location_name: Some(name.into()),
        is_available_for_pickup: pickup,
        is_available_for_shipping: true,
        number_of_items_in_storage: Some(count),
        ..Default::default()
    };
    held(id)
        .description("Oak")
        .location(location("OSL-01", "Oslo", 4, true))
        .location(location("BGO", "Bergen", 2, false))
}

/// `product`'s raw fields, without `updated_at` and with the stock at `at` as `count`.
fn with_stock(product: &Product, at: &str, count: i64) -> types::ProductDetails {
    let mut raw = product.raw().clone();
    raw.updated_at = None;
    for location in &mut raw.locations {
        if location.location_id.as_deref() == Some(at) {
            location.number_of_items_in_storage = Some(count);
        }
    }
    raw
}

#[tokio::test]
async fn stock_equal_at_the_named_locations_is_unchanged_and_writes_nothing() {
    let (fake, products) = fake_with_catalog().await;
    products.create(stocked("P")).await.unwrap();
    let before = snapshot(&products).await;
    for stock in [vec![("OSL-01", 4)], vec![("BGO", 2), ("OSL-01", 4)]] {
        let product = stock
            .iter()
            .fold(NewProduct::with_id("P"), |p, (at, n)| p.stock(*at, *n));
        fake.clear_requests();
        let (plan, report, _) = sync(&products, Desired::products(vec![product]), false).await;
        assert_eq!(plan.summary().unchanged, 1, "{plan}");
        assert!(plan.is_empty(), "{plan}");
        assert!(report.is_success());
        assert!(
            product_writes(&fake).is_empty(),
            "{:?}",
            product_writes(&fake)
        );
    }
    assert_eq!(snapshot(&products).await, before);
}

#[tokio::test]
async fn stock_of_one_location_changes_that_count_and_keeps_the_rest() {
    let (fake, products) = fake_with_catalog().await;
    products.create(stocked("P")).await.unwrap();
    products.create(stocked("Q")).await.unwrap();
    let before = snapshot(&products).await;
    let rows = vec![
        NewProduct::with_id("P").stock("OSL-01", 7),
        // Another location's stock, equal: unchanged.
        NewProduct::with_id("Q").stock("BGO", 2),
    ];
    fake.clear_requests();
    let (plan, report, _) = sync(&products, Desired::products(rows.clone()), false).await;
    assert_eq!((plan.summary().update, plan.summary().unchanged), (1, 1));
    assert_eq!(plan.changes(), [("P", Action::Update, FieldSet::EMPTY)]);
    let diff = plan.to_string();
    assert!(
        diff.lines().any(|l| l == "~ P  stock OSL-01: 4 -> 7"),
        "{diff}"
    );
    assert!(report.is_success(), "{report:?}");
    assert_eq!(product_writes(&fake), ["PUT P"]);

    let after = snapshot(&products).await;
    assert_eq!(after["P"].stock_at("OSL-01"), Some(7));
    // Its name, pickup and shipping, the other location and every other field: as they were.
    assert_eq!(
        with_stock(&after["P"], "OSL-01", 7),
        with_stock(&before["P"], "OSL-01", 7)
    );
    assert_eq!(after["Q"], before["Q"]);
    let again = products.sync(Desired::products(rows)).plan().await.unwrap();
    assert!(again.is_empty(), "{again}");
}

#[tokio::test]
async fn stock_at_a_location_the_product_lacks_adds_it_with_its_id_and_count() {
    let (_fake, products) = fake_with_catalog().await;
    products.create(stocked("P")).await.unwrap();
    let before = snapshot(&products).await;
    let rows = vec![
        NewProduct::with_id("P")
            .stock("TRD", 3)
            .stock("OSL-01", 4)
            .price(nok(20_000)),
    ];
    let (plan, report, _) = sync(&products, Desired::products(rows.clone()), false).await;
    assert_eq!(
        plan.changes(),
        [("P", Action::Update, FieldSet::from(Field::Price))]
    );
    let diff = plan.to_string();
    assert!(
        diff.lines()
            .any(|l| l == "~ P  price: 100.00 NOK -> 200.00 NOK, stock TRD: - -> 3"),
        "{diff}"
    );
    assert!(report.is_success(), "{report:?}");
    let after = &snapshot(&products).await["P"];
    let locations = &after.raw().locations;
    assert_eq!(locations.len(), 3);
    assert_eq!(locations[..2], before["P"].raw().locations[..]);
    assert_eq!(locations[2].location_id.as_deref(), Some("TRD"));
    assert_eq!(locations[2].number_of_items_in_storage, Some(3));
    assert_eq!(locations[2].location_name, None);
    assert!(
        products
            .sync(Desired::products(rows))
            .plan()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_product_created_with_stock_has_those_locations() {
    let (_fake, products) = fake_with_catalog().await;
    let rows = vec![
        NewProduct::new("Stol")
            .id("NEW")
            .stock("OSL-01", 5)
            .stock("BGO", 0),
    ];
    let (plan, report, _) = sync(&products, Desired::products(rows.clone()), false).await;
    assert_eq!(plan.summary().create, 1);
    assert!(report.is_success(), "{report:?}");
    let after = &snapshot(&products).await["NEW"];
    let stock: Vec<_> = after
        .raw()
        .locations
        .iter()
        .map(|l| (l.location_id.clone(), l.number_of_items_in_storage))
        .collect();
    assert_eq!(
        stock,
        [
            (Some("OSL-01".to_string()), Some(5)),
            (Some("BGO".to_string()), Some(0))
        ]
    );
    assert_eq!(after.name(), "Stol");
    let again = products.sync(Desired::products(rows)).plan().await.unwrap();
    assert_eq!(again.summary().unchanged, 1, "{again}");
}

#[tokio::test]
async fn stock_beside_locations_or_negative_is_refused_before_anything_is_sent() {
    let (fake, products) = fake_with_catalog().await;
    products.create(stocked("P")).await.unwrap();
    let both = NewProduct::with_id("P")
        .location(types::LocationInput::default())
        .stock("OSL-01", 1);
    let negative = NewProduct::with_id("P").stock("OSL-01", -2);
    for (product, says) in [(both, "`locations` is managed too"), (negative, "negative")] {
        fake.clear_requests();
        let error = products
            .sync(Desired::products(vec![product.clone()]))
            .plan()
            .await
            .unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
        assert!(error.to_string().contains(says), "{error}");
        assert!(product_writes(&fake).is_empty());

        fake.clear_requests();
        let error = products.upsert(product).await.unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
        assert!(
            fake.requests().is_empty(),
            "an upsert checks before any request"
        );
    }
}

mod stock_maps {
    //! For arbitrary products with arbitrary locations and arbitrary stock per location: after
    //! a sync, each named location holds the desired count, every other location and every
    //! other field is as it was, and the plan updated exactly the products whose stock differed.

    use super::*;
    use proptest::prelude::*;

    const LOCATIONS: [&str; 4] = ["A", "B", "C", "D"];

    prop_compose! {
        fn product()(
            name in prop::option::of("[ab]{1,2}"),
            locations in prop::collection::vec(
                (prop::sample::select(&LOCATIONS[..3]), prop::option::of(0_i64..3), prop::option::of("[xy]"), any::<bool>()),
                0..4,
            ),
        ) -> NewProduct {
            let mut seen = std::collections::HashSet::new();
            let product = NewProduct::new(name.unwrap_or_default());
            locations
                .into_iter()
                .filter(|(id, ..)| seen.insert(*id))
                .fold(product, |p, (id, count, name, pickup)| {
                    p.location(types::LocationInput {
                        location_id: Some(id.parse().unwrap()),
                        location_name: name,
                        is_available_for_pickup: pickup,
                        number_of_items_in_storage: count,
                        ..Default::default()
                    })
                })
        }
    }

    fn stock() -> impl Strategy<Value = BTreeMap<&'static str, i64>> {
        prop::collection::btree_map(prop::sample::select(&LOCATIONS[..]), 0_i64..3, 0..4)
    }

    async fn case(
        current: Vec<NewProduct>,
        rows: Vec<(usize, BTreeMap<&'static str, i64>)>,
    ) -> Result<(), TestCaseError> {
        let (_fake, products) = fake_with_catalog().await;
        for (i, p) in current.iter().enumerate() {
            products
                .create(p.clone().id(format!("P{i}")))
                .await
                .unwrap();
        }
        let before = snapshot(&products).await;
        // One row per product; slots past the catalog are new products.
        let rows: BTreeMap<String, BTreeMap<&str, i64>> = rows
            .into_iter()
            .map(|(slot, stock)| (format!("P{slot}"), stock))
            .collect();
        let desired: Vec<NewProduct> = rows
            .iter()
            .map(|(id, stock)| {
                stock
                    .iter()
                    .fold(NewProduct::with_id(id.as_str()), |p, (at, n)| {
                        p.stock(*at, *n)
                    })
            })
            .collect();
        let differs = rows
            .iter()
            .filter(|(id, stock)| {
                before
                    .get(*id)
                    .is_some_and(|p| stock.iter().any(|(at, n)| p.stock_at(at) != Some(*n)))
            })
            .count();
        let sync = products.sync(Desired::products(desired));
        let plan = sync.plan().await.unwrap();
        prop_assert_eq!(plan.summary().update, differs, "{}", plan);
        let report = within(sync.apply(&plan)).await.unwrap();
        prop_assert!(report.is_success(), "{:?}", report);
        prop_assert_eq!(report.updated, differs);
        let after = snapshot(&products).await;
        for (id, new) in &after {
            let stock = rows.get(id).cloned().unwrap_or_default();
            for (at, n) in &stock {
                prop_assert_eq!(new.stock_at(at), Some(*n), "{} {}", id, at);
            }
            let Some(old) = before.get(id) else {
                // Created: the locations named, in their order, and nothing else.
                let made: Vec<_> = new
                    .raw()
                    .locations
                    .iter()
                    .map(|l| {
                        (
                            l.location_id.clone().unwrap_or_default(),
                            l.number_of_items_in_storage,
                        )
                    })
                    .collect();
                let wanted: Vec<_> = stock
                    .iter()
                    .map(|(at, n)| (at.to_string(), Some(*n)))
                    .collect();
                prop_assert_eq!(made, wanted);
                continue;
            };
            // Every location not named, and the named ones but for their count: as they were.
            let unnamed = |p: &Product| {
                let mut raw = p.raw().clone();
                raw.updated_at = None;
                raw.locations
                    .retain(|l| !stock.contains_key(l.location_id.as_deref().unwrap_or_default()));
                raw
            };
            prop_assert_eq!(unnamed(new), unnamed(old), "{}", id);
            // A named location: its count changed, the rest of it kept; or added with its id
            // and count alone.
            for (at, n) in &stock {
                let find = |p: &Product| {
                    p.raw()
                        .locations
                        .iter()
                        .find(|l| l.location_id.as_deref() == Some(*at))
                        .cloned()
                };
                let expected = find(old).unwrap_or_else(|| types::Location {
                    location_id: Some(at.to_string()),
                    ..Default::default()
                });
                let expected = types::Location {
                    number_of_items_in_storage: Some(*n),
                    ..expected
                };
                prop_assert_eq!(find(new), Some(expected), "{} {}", id, at);
            }
        }
        prop_assert!(
            sync.plan().await.unwrap().is_empty(),
            "a second plan writes nothing"
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
        #[test]
        fn each_named_location_takes_its_count_and_the_rest_stays(
            current in prop::collection::vec(product(), 0..4),
            rows in prop::collection::btree_map(0_usize..5, stock(), 0..4),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(case(current, rows.into_iter().collect()))?;
        }
    }
}

#[tokio::test]
async fn a_kept_product_is_neither_written_nor_pruned_and_a_missing_one_is_nothing() {
    let (fake, products) = fake_with_catalog().await;
    for id in ["A", "B", "C"] {
        products.create(held(id)).await.unwrap();
    }
    let before = snapshot(&products).await;
    // A is kept whatever the row says of it; B is merged; C is in no row and pruned; GONE,
    // kept, is not in the catalog and stays out of it.
    let rows = vec![
        row(NewProduct::new("Changed").id("A"), Intent::Keep, 1),
        row(held("B"), Intent::Merge, 2),
        row(NewProduct::new("Ghost").id("GONE"), Intent::Keep, 3),
    ];
    let sync = products
        .sync(desired(rows))
        .prune(true)
        .max_deletes(MaxDeletes::Percent(100));
    let plan = sync.plan().await.unwrap();
    let summary = plan.summary();
    assert_eq!(
        (
            summary.create,
            summary.update,
            summary.delete,
            summary.unchanged
        ),
        (0, 0, 1, 2),
        "{plan}"
    );
    assert!(plan.rejected().is_empty());
    fake.clear_requests();
    let report = within(sync.apply(&plan)).await.unwrap();
    assert!(report.is_success(), "{report:?}");
    let after = snapshot(&products).await;
    assert_eq!(after.keys().collect::<Vec<_>>(), ["A", "B"]);
    assert_eq!(
        after.get("A"),
        before.get("A"),
        "a kept product is not written"
    );
    let writes: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/auth/token"))
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(writes.len(), 1, "the prune of C alone: {writes:?}");
    assert!(writes[0].1.ends_with("/C"), "{writes:?}");
}

/// The plan's diff shows the old and new value of every kind of field: times, each part of
/// the dimension, and how many locations.
#[tokio::test]
async fn the_diff_shows_times_dimensions_and_locations_old_and_new() {
    let (_fake, products) = fake_with_catalog().await;
    let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let dimension = |color: &str, style: Option<&str>, variant: Option<&str>| types::Dimension {
        color: Some(color.into()),
        size: Some("M".into()),
        style: style.map(Into::into),
        variant: variant.map(Into::into),
        ..Default::default()
    };
    products
        .create(
            stocked("P")
                .dimension(dimension("Red", None, None))
                .starting_at(at("2026-01-01T00:00:00Z")),
        )
        .await
        .unwrap();
    let only_location = types::LocationInput {
        location_id: Some("OSL-01".parse().unwrap()),
        number_of_items_in_storage: Some(4),
        ..Default::default()
    };
    let row = NewProduct::with_id("P")
        .starting_at(at("2026-02-01T00:00:00Z"))
        .stopping_at(at("2026-03-01T12:30:00Z"))
        .dimension(dimension("Blue", Some("Nordic"), Some("V2")))
        .location(only_location);
    let plan = within(products.sync(Desired::products(vec![row])).plan())
        .await
        .unwrap();
    let diff = plan.to_string();
    assert!(
        diff.lines().any(|l| l
            == "~ P  starting_at: 2026-01-01T00:00:00Z -> 2026-02-01T00:00:00Z, \
                stopping_at: - -> 2026-03-01T12:30:00Z, dimension.color: \"Red\" -> \"Blue\", \
                dimension.style: - -> \"Nordic\", dimension.variant: - -> \"V2\", \
                locations: 2 locations -> 1 locations"),
        "{diff}"
    );
}

/// The diff details its first hundred changes with old and new values, and names only the
/// fields that differ for the rest.
#[tokio::test]
async fn the_diff_names_the_fields_of_changes_past_the_first_hundred() {
    let fake = FakeServer::start().await;
    fake.seed_products(ACCOUNT, "BIG", 101);
    let products = client_for(&fake).products("BIG");
    let rows: Vec<NewProduct> = (1..=101)
        .map(|i| {
            NewProduct::with_id(dintero_products_fake::seeded_product_id(i))
                .name(format!("Renamed {i}"))
        })
        .collect();
    let plan = within(products.sync(Desired::products(rows)).plan())
        .await
        .unwrap();
    let diff = plan.to_string();
    let updates: Vec<&str> = diff.lines().filter(|l| l.starts_with("~ ")).collect();
    assert_eq!(updates.len(), 101, "{diff}");
    let detailed = updates.iter().filter(|l| l.contains(" -> ")).count();
    assert_eq!(detailed, 100, "{diff}");
    let last = updates.iter().find(|l| !l.contains(" -> ")).unwrap();
    assert!(last.ends_with("  name"), "{last}");
}
