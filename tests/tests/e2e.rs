//! The SDK against the fake Dintero server: whole flows over loopback.

use dintero_products::{
    CatalogUpdate, Error, GroupUpdate, NewCatalog, NewGroup, NewProduct, ProductExt, ProductUpdate,
    RetryPolicy,
};
use dintero_products_e2e::soak::{SoakConfig, run};
use dintero_products_e2e::{ACCOUNT, client_for, client_with};
use dintero_products_fake::{FakeServer, FaultKind, Faults, seeded_product_id};
use futures::TryStreamExt;
use std::collections::HashSet;
use std::time::Duration;

#[tokio::test]
async fn catalogs_groups_and_products_round_trip() {
    let fake = FakeServer::start().await;
    let client = client_for(&fake);

    let catalog = client
        .catalogs()
        .create(NewCatalog::new("Sommer").id("S23"))
        .await
        .unwrap();
    assert_eq!(catalog.catalog_id.as_deref(), Some("S23"));
    assert!(catalog.created_at.is_some());
    let renamed = client
        .catalogs()
        .update("S23", CatalogUpdate::new().name("Vinter"))
        .await
        .unwrap();
    assert_eq!(renamed.catalog_name.as_deref(), Some("Vinter"));
    assert_eq!(
        client
            .catalogs()
            .get("S23")
            .await
            .unwrap()
            .catalog_name
            .as_deref(),
        Some("Vinter")
    );
    let duplicate = client
        .catalogs()
        .create(NewCatalog::new("again").id("S23"))
        .await
        .unwrap_err();
    assert_eq!(duplicate.status().map(|s| s.as_u16()), Some(409));

    let group = client
        .groups()
        .create(NewGroup::new("Møbel").id("B1"))
        .await
        .unwrap();
    assert_eq!(group.group_name.as_deref(), Some("Møbel"));
    client
        .groups()
        .update("B1", GroupUpdate::new().name("Stoler"))
        .await
        .unwrap();
    let groups: Vec<_> = client.groups().list().items().try_collect().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group_name.as_deref(), Some("Stoler"));

    let products = client.products("S23");
    let chair = products
        .create(
            NewProduct::new("Stablestol")
                .id("Stol22")
                .price(10900, "NOK")
                .unit("stk")
                .group("B1"),
        )
        .await
        .unwrap();
    assert_eq!(chair.price().unwrap().to_string(), "109.00 NOK");
    assert_eq!(chair.catalog_id.as_deref(), Some("S23"));
    assert_eq!(chair.groups[0].group_id.as_deref(), Some("B1"));
    let updated = products
        .update(
            "Stol22",
            ProductUpdate::new()
                .name("Stablestol XL")
                .price(12900, "NOK"),
        )
        .await
        .unwrap();
    assert_eq!(updated.product_name.as_deref(), Some("Stablestol XL"));
    assert_eq!(
        products.get("Stol22").await.unwrap().unit_gross_price,
        Some(12900)
    );

    let deleted = products.delete("Stol22").await.unwrap();
    assert_eq!(deleted.product_id.as_deref(), Some("Stol22"));
    assert!(products.get("Stol22").await.unwrap_err().is_not_found());
    client.groups().delete("B1").await.unwrap();
    assert!(client.groups().get("B1").await.unwrap_err().is_not_found());
    client.catalogs().delete("S23").await.unwrap();
    assert!(
        client
            .catalogs()
            .get("S23")
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert_eq!(fake.token_requests(), 1, "one token served the whole flow");
}

#[tokio::test]
async fn ten_thousand_products_list_exactly_with_page_sizes_1_7_and_100() {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, "BIG", "Big");
    fake.seed_products(ACCOUNT, "BIG", 10_000);
    let client = client_for(&fake);
    let expected: Vec<String> = (1..=10_000).map(seeded_product_id).collect();
    for size in [1u32, 7, 100] {
        fake.clear_requests();
        let ids: Vec<String> = client
            .products("BIG")
            .list()
            .limit(size)
            .items()
            .map_ok(|p| p.product_id.unwrap_or_default())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(ids, expected, "limit {size}");
        let requests = fake.requests().iter().filter(|r| r.method == "GET").count();
        assert_eq!(
            requests,
            10_000usize.div_ceil(size as usize),
            "limit {size}: one request per page"
        );
    }
}

#[tokio::test]
async fn every_filter_reaches_the_server_and_narrows_the_list() {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, "F", "Filters");
    fake.seed_products(ACCOUNT, "F", 30);
    fake.seed_groups(ACCOUNT, 12);
    let client = client_for(&fake);

    let one: Vec<_> = client
        .products("F")
        .list()
        .product_id("P000007")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].product_id.as_deref(), Some("P000007"));

    let named: Vec<_> = client
        .products("F")
        .list()
        .product_name("product 00001")
        .limit(3)
        .items()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = named
        .iter()
        .map(|p| p.product_name.clone().unwrap())
        .collect();
    assert_eq!(names.len(), 10, "P000010..=P000019 match: {names:?}");

    let groups: Vec<_> = client
        .groups()
        .list()
        .group_id("G000003")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group_id.as_deref(), Some("G000003"));
    assert!(fake.requests().iter().any(|r| {
        r.query.as_deref().is_some_and(|q| {
            q.contains("product_name=product+00001") || q.contains("product_name=product%2000001")
        })
    }));
}

#[tokio::test]
async fn concurrent_writers_lose_nothing() {
    let fake = FakeServer::start().await;
    let client = client_for(&fake);
    client
        .catalogs()
        .create(NewCatalog::new("Shared").id("C"))
        .await
        .unwrap();
    let writers = (0..8).map(|w| {
        let client = client.clone();
        tokio::spawn(async move {
            for i in 0..25 {
                client
                    .products("C")
                    .create(NewProduct::new(format!("w{w}-{i}")).id(format!("W{w}-{i:02}")))
                    .await?;
                client
                    .groups()
                    .create(NewGroup::new(format!("g{w}-{i}")).id(format!("G{w}-{i:02}")))
                    .await?;
            }
            Ok::<_, Error>(())
        })
    });
    for writer in futures::future::join_all(writers).await {
        writer.unwrap().unwrap();
    }
    let products: Vec<_> = client
        .products("C")
        .list()
        .limit(13)
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: HashSet<_> = products
        .iter()
        .map(|p| p.product_id.clone().unwrap())
        .collect();
    assert_eq!((products.len(), ids.len()), (200, 200));
    let groups: Vec<_> = client
        .groups()
        .list()
        .limit(100)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(groups.len(), 200);
}

#[tokio::test]
async fn odd_ids_stay_inside_their_path_segment() {
    let fake = FakeServer::start().await;
    let client = client_for(&fake);
    client
        .catalogs()
        .create(NewCatalog::new("Odd").id("a/b c"))
        .await
        .unwrap();
    let odd = ["x/y", "../etc", "100%", "what?", "#top", "Møbel-ø", "a..b"];
    for id in odd {
        client
            .products("a/b c")
            .create(NewProduct::new(id).id(id))
            .await
            .unwrap();
        let fetched = client.products("a/b c").get(id).await.unwrap();
        assert_eq!(
            fetched.product_id.as_deref(),
            Some(id),
            "round trip of {id:?}"
        );
    }
    let paths: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path)
        .collect();
    let prefix = format!("/v1/accounts/{ACCOUNT}/products/catalogs/a%2Fb%20c/products/");
    let encoded = [
        "x%2Fy",
        "..%2Fetc",
        "100%25",
        "what%3F",
        "%23top",
        "M%C3%B8bel-%C3%B8",
        "a..b",
    ];
    assert_eq!(paths, encoded.map(|e| format!("{prefix}{e}")));
    let error = client.products("a/b c").get("..").await.unwrap_err();
    assert!(
        matches!(error, Error::InvalidInput(_)),
        "`..` alone cannot be kept in its segment"
    );
}

#[tokio::test]
async fn pagination_under_faults_resumes_from_the_last_good_cursor() {
    let fake = FakeServer::builder().seed(11).start().await.unwrap();
    fake.seed_catalog(ACCOUNT, "F", "Faulty");
    fake.seed_products(ACCOUNT, "F", 2_000);
    let client = client_with(
        &fake,
        RetryPolicy::default()
            .max_attempts(8)
            .initial_backoff(Duration::from_millis(1)),
        Duration::from_millis(300),
    );
    client.catalogs().list().send().await.unwrap(); // the token, before the faults
    fake.set_faults(
        Faults::new()
            .probability(0.3)
            .weighted(FaultKind::Status(503), 1)
            .weighted(FaultKind::Html502, 1)
            .weighted(FaultKind::DropConnection, 1)
            .weighted(FaultKind::TruncatedBody, 1)
            .weighted(FaultKind::Slow(Duration::from_millis(600)), 1),
    );
    fake.clear_requests();
    let ids: Vec<String> = client
        .products("F")
        .list()
        .limit(50)
        .items()
        .map_ok(|p| p.product_id.unwrap_or_default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, (1..=2_000).map(seeded_product_id).collect::<Vec<_>>());

    let log = fake.requests();
    assert!(
        log.iter().filter(|r| r.fault_injected()).count() > 5,
        "faults were injected"
    );
    // Requests in flight when the list ended (a prefetch) have no status yet; only answered ones count.
    let cursors: Vec<Option<String>> = log
        .iter()
        .map(|r| {
            r.query.as_deref().and_then(|q| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("starting_after="))
                    .map(str::to_string)
            })
        })
        .collect();
    let first_good = log
        .iter()
        .position(|r| r.status == Some(200) && !r.fault_injected())
        .unwrap();
    assert!(
        cursors[first_good + 1..].iter().all(Option::is_some),
        "no request after the first page restarts the list"
    );
    let distinct: HashSet<_> = cursors.iter().flatten().collect();
    assert_eq!(
        distinct.len(),
        39,
        "each of the 39 cursors is followed, retries reuse them"
    );
}

#[tokio::test]
async fn a_revoked_token_is_renewed_without_the_caller_noticing() {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, "R", "Revoked");
    fake.seed_products(ACCOUNT, "R", 5);
    let client = client_for(&fake);
    client.products("R").get("P000001").await.unwrap();
    fake.revoke_tokens();
    client.products("R").get("P000002").await.unwrap();
    assert_eq!(fake.token_requests(), 2);
}

#[tokio::test]
async fn soak_small_loses_repeats_and_duplicates_nothing() {
    let report = run(&SoakConfig::small()).await;
    assert!(report.faults > 0, "{}", report.line());
    assert!(report.is_exact(), "{}", report.line());
}
