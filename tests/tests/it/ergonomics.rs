//! The SDK as a new user writes it, against the fake: streams that page by 100, modify
//! closures that can fail, bulk writes from a stream, data the SDK cannot read kept, and an
//! upsert that says what it could not apply.

use dintero_products::{
    Currency, Error, Field, FieldSet, NewGroup, NewProduct, Price, ProductUpdate, Write, Written,
    types,
};
use dintero_products_e2e::{ACCOUNT, client_for, within};
use dintero_products_fake::{FakeServer, RecordedRequest};
use futures::{StreamExt, TryStreamExt};

const CATALOG: &str = "S23";

/// The list requests for the catalog's products the fake has seen, as their queries.
fn product_lists(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(&format!("/catalogs/{CATALOG}/products")))
        .map(|r| r.query.clone().unwrap_or_default())
        .collect()
}

/// A fake whose catalog holds `n` seeded products, and a client for it.
async fn fake_with_products(n: u32) -> (FakeServer, dintero_products::Client) {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, CATALOG, "Sommer");
    fake.seed_products(ACCOUNT, CATALOG, n);
    let client = client_for(&fake);
    (fake, client)
}

#[tokio::test]
async fn streams_page_by_100_and_one_page_keeps_the_servers_default() {
    let (fake, client) = fake_with_products(274).await;
    let products = client.products(CATALOG);

    fake.clear_requests();
    let all = within(products.list().collect_all()).await.unwrap();
    assert_eq!(all.len(), 274);
    let lists = product_lists(&fake.requests());
    assert_eq!(lists.len(), 3, "{lists:?}");
    assert!(lists.iter().all(|q| q.contains("limit=100")), "{lists:?}");

    fake.clear_requests();
    let pages: Vec<_> = within(products.list().pages().try_collect()).await.unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(product_lists(&fake.requests()).len(), 3);

    // A few wanted: a page of that few. A limit given: that limit.
    fake.clear_requests();
    let five: Vec<_> = within(products.list().max_items(5).items().try_collect())
        .await
        .unwrap();
    assert_eq!(five.len(), 5);
    let lists = product_lists(&fake.requests());
    assert_eq!(lists.len(), 1);
    assert!(lists[0].contains("limit=5"), "{lists:?}");
    fake.clear_requests();
    let all = within(products.list().limit(50).collect_all())
        .await
        .unwrap();
    assert_eq!(all.len(), 274);
    assert_eq!(product_lists(&fake.requests()).len(), 6);

    // One page is the server's own default.
    fake.clear_requests();
    let page = within(products.list().send()).await.unwrap();
    assert_eq!(page.items().len(), 10);
    let lists = product_lists(&fake.requests());
    assert!(!lists[0].contains("limit"), "{lists:?}");
}

async fn fake_with_chair() -> (FakeServer, dintero_products::Client) {
    let (fake, client) = fake_with_products(0).await;
    for group in ["B1", "B2"] {
        client
            .groups()
            .create(NewGroup::new(group).id(group))
            .await
            .unwrap();
    }
    client
        .products(CATALOG)
        .create(
            NewProduct::new("Stol")
                .id("C1")
                .price(Price::new(10900, Currency::NOK))
                .group("B1"),
        )
        .await
        .unwrap();
    (fake, client)
}

fn writes_sent(fake: &FakeServer) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method != "GET" && r.path.contains("/products"))
        .count()
}

#[tokio::test]
async fn a_change_given_up_by_its_closure_sends_nothing() {
    let (fake, client) = fake_with_chair().await;
    let products = client.products(CATALOG);
    fake.clear_requests();

    // Any error: an `Error::Change` with it as the source.
    let error = products
        .try_modify("C1", |u| {
            u.name = Some("half-done".into());
            Err("the ERP has no price for C1".into())
        })
        .await
        .unwrap_err();
    assert!(error.is_change(), "{error:?}");
    let source = std::error::Error::source(&error).unwrap();
    assert_eq!(source.to_string(), "the ERP has no price for C1");

    // The SDK's own errors come back as they are: a price change that does not fit.
    let error = products
        .try_modify("C1", |u| {
            u.price = u.price.map(|p| p.change_by_percent(f64::NAN)).transpose()?;
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(error.is_invalid_input(), "{error:?}");
    assert_eq!(writes_sent(&fake), 0);
    assert_eq!(products.get("C1").await.unwrap().name(), "Stol");

    // In a bulk job: that write fails, the others go through.
    let writes = [
        Write::try_modify("C1", |_| Err("no".into())),
        Write::modify("C1", |u| u.description = Some("Eik".into())),
        Write::delete(" C1"), // leading space: refused before sending
    ];
    let outcomes: Vec<_> = within(products.bulk().run(writes).collect()).await;
    assert_eq!(outcomes.len(), 3);
    let by_index = |i: usize| outcomes.iter().find(|o| o.index == i).unwrap();
    assert!(by_index(0).result.as_ref().unwrap_err().is_change());
    assert!(by_index(1).result.as_ref().unwrap().changed());
    let invalid = by_index(2).result.as_ref().unwrap_err();
    assert!(invalid.is_invalid_input(), "{invalid:?}");
    assert!(by_index(2).id.is_none());
    assert_eq!(
        writes_sent(&fake),
        1,
        "only the modify that succeeded wrote"
    );
    let product = products.get("C1").await.unwrap();
    assert_eq!(product.description(), Some("Eik"));
    assert_eq!(product.price(), Some(Price::new(10900, Currency::NOK)));
}

#[tokio::test]
async fn a_bulk_job_runs_from_a_stream_of_the_catalog_without_collecting_it() {
    let (_fake, client) = fake_with_products(150).await;
    let products = client.products(CATALOG);
    let before: Vec<_> = products.list().collect_all().await.unwrap();

    // Ten per cent up, for every product, 8 at a time, streamed from the list.
    let writes = products.list().items().map(|listed| {
        let product = listed.expect("the list reads");
        Write::try_modify(product.id(), |u| {
            u.price = u.price.map(|p| p.change_by_percent(10.0)).transpose()?;
            Ok(())
        })
    });
    let outcomes: Vec<_> =
        within(products.bulk().concurrency(8).run_stream(writes).collect()).await;
    assert_eq!(outcomes.len(), 150);
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    let after: Vec<_> = products.list().collect_all().await.unwrap();
    for (was, is) in before.iter().zip(&after) {
        assert_eq!(was.id(), is.id());
        let expected = was.price().map(|p| p.change_by_percent(10.0).unwrap());
        assert_eq!(is.price(), expected, "{}", is.id());
    }
}

#[tokio::test]
async fn a_bulk_job_from_a_channel_answers_before_its_input_ends_and_keeps_order_per_id() {
    let (_fake, client) = fake_with_chair().await;
    let products = client.products(CATALOG);
    let (send, receive) = futures::channel::mpsc::unbounded();
    let mut results = products.bulk().concurrency(4).run_stream_tagged(receive);
    for i in 1..=3 {
        send.unbounded_send((
            i,
            Write::modify("C1", move |u| u.name = Some(format!("v{i}"))),
        ))
        .unwrap();
    }
    // The input is still open: the three writes are answered all the same, in their order.
    let mut tags = Vec::new();
    for _ in 0..3 {
        let outcome = within(results.next()).await.unwrap();
        assert!(outcome.result.is_ok());
        tags.push(outcome.tag);
    }
    assert_eq!(tags, [1, 2, 3]);
    assert_eq!(products.get("C1").await.unwrap().name(), "v3");
    drop(send);
    assert!(
        within(results.next()).await.is_none(),
        "ends with its input"
    );
}

/// Stores C1 as another client may have: a lower-case currency code and a field the SDK does
/// not know.
async fn store_what_the_sdk_cannot_read(client: &dintero_products::Client) {
    let mut extra = serde_json::Map::new();
    extra.insert("ean".into(), "7038010012345".into());
    client
        .raw()
        .create_product()
        .aid(ACCOUNT)
        .catalog_id(CATALOG)
        .body(types::CreateProductBody {
            product_id: Some("C1".parse().unwrap()),
            product_name: Some("Stol".into()),
            unit_gross_price: Some(10900),
            currency: Some("nok".into()),
            extra,
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
}

fn assert_kept(raw: &types::ProductDetails) {
    assert_eq!(raw.currency.as_deref(), Some("nok"));
    assert_eq!(raw.unit_gross_price, Some(10900));
    assert_eq!(raw.extra["ean"], "7038010012345");
}

#[tokio::test]
async fn what_the_sdk_cannot_read_is_kept_through_an_upsert_a_sync_and_a_recreate() {
    let (_fake, client) = fake_with_products(0).await;
    client
        .groups()
        .create(NewGroup::new("B1").id("B1"))
        .await
        .unwrap();
    store_what_the_sdk_cannot_read(&client).await;
    let products = client.products(CATALOG);

    let written = products
        .upsert(NewProduct::with_id("C1").unit("stk"))
        .await
        .unwrap();
    assert!(matches!(written, Written::Updated(_)), "{written:?}");
    assert_kept(products.get("C1").await.unwrap().raw());

    let desired = || {
        dintero_products::Desired::products_from(|| {
            [NewProduct::with_id("C1").description("Eik")].into_iter()
        })
    };
    let sync = products.sync(desired());
    let plan = sync.plan().await.unwrap();
    let report = sync.apply(&plan).await.unwrap();
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.updated, 1);
    let raw = products.get("C1").await.unwrap().into_raw();
    assert_eq!(raw.description.as_deref(), Some("Eik"));
    assert_kept(&raw);

    // A change of groups: deleted and created again, with all it held.
    let desired = dintero_products::Desired::products_from(|| {
        [NewProduct::with_id("C1").group("B1")].into_iter()
    });
    let sync = products.sync(desired).allow_recreate(true);
    let plan = sync.plan().await.unwrap();
    let report = sync.apply(&plan).await.unwrap();
    assert_eq!(report.recreated, 1, "{report:?}");
    let raw = products.get("C1").await.unwrap().into_raw();
    assert_eq!(raw.groups.len(), 1);
    assert_eq!(raw.unit.as_deref(), Some("stk"));
    assert_kept(&raw);
}

#[tokio::test]
async fn a_price_in_a_currency_the_sdk_cannot_read_is_kept_through_a_modify() {
    let (_fake, client) = fake_with_products(0).await;
    store_what_the_sdk_cannot_read(&client).await;
    let products = client.products(CATALOG);
    let stored = products.get("C1").await.unwrap();
    assert_eq!(stored.price(), None, "the SDK cannot read it as a price");

    let written = products
        .modify("C1", |u| u.description = Some("Eik".into()))
        .await
        .unwrap();
    assert!(matches!(written, Written::Updated(_)), "{written:?}");
    let raw = products.get("C1").await.unwrap().into_raw();
    assert_eq!(raw.description.as_deref(), Some("Eik"));
    assert_kept(&raw);

    // Set on purpose, a price replaces it; cleared on purpose, it goes.
    products
        .modify("C1", |u| u.price = Some(Price::new(11900, Currency::NOK)))
        .await
        .unwrap();
    let product = products.get("C1").await.unwrap();
    assert_eq!(product.price(), Some(Price::new(11900, Currency::NOK)));
    products
        .modify("C1", ProductUpdate::clear_price)
        .await
        .unwrap();
    let raw = products.get("C1").await.unwrap().into_raw();
    assert_eq!((raw.unit_gross_price, raw.currency), (None, None));
}

#[tokio::test]
async fn an_upsert_asking_for_a_new_group_says_the_group_was_not_applied() {
    let (_fake, client) = fake_with_chair().await;
    let products = client.products(CATALOG);

    let written = products
        .upsert(NewProduct::with_id("C1").group("B2"))
        .await
        .unwrap();
    match &written {
        Written::PartlyApplied {
            changed,
            not_applied,
            ..
        } => {
            assert!(!changed);
            assert_eq!(*not_applied, FieldSet::from(Field::Groups));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(written.not_applied(), FieldSet::from(Field::Groups));
    assert!(!written.changed(), "nothing was sent");

    // With a price as well: the price is written, the group is still not.
    let written = products
        .upsert(
            NewProduct::with_id("C1")
                .group("B2")
                .price(Price::new(12900, Currency::NOK)),
        )
        .await
        .unwrap();
    assert!(written.changed());
    assert_eq!(written.not_applied(), FieldSet::from(Field::Groups));
    let product = written.into_inner();
    assert_eq!(product.price(), Some(Price::new(12900, Currency::NOK)));
    assert_eq!(product.group_ids().collect::<Vec<_>>(), ["B1"]);

    // The groups it has: nothing to report.
    let written = products
        .upsert(NewProduct::with_id("C1").group("B1"))
        .await
        .unwrap();
    assert!(matches!(written, Written::Unchanged(_)), "{written:?}");
    assert!(written.not_applied().is_empty());
}

#[tokio::test]
async fn errors_from_the_closure_keep_the_error_type_the_user_gave() {
    // A closure that fails with the SDK's own error: the call fails with that error, unwrapped.
    let (_fake, client) = fake_with_chair().await;
    let error = client
        .products(CATALOG)
        .try_modify("C1", |_| {
            Err(Error::NotFound {
                what: "price list",
                id: "PL1".into(),
            }
            .into())
        })
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
}
