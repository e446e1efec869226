//! The SDK against the fake Dintero server: whole flows over loopback.

use dintero_products::{
    CatalogUpdate, Currency, Error, NewCatalog, NewGroup, NewProduct, Price, RetryPolicy,
};
use dintero_products_e2e::soak::{SoakConfig, run, sync_soak};
use dintero_products_e2e::{ACCOUNT, client_for, client_with, within};
use dintero_products_fake::{CreateStatus, FakeServer, FaultKind, Faults, seeded_product_id};
use futures::TryStreamExt;
use std::collections::HashSet;
use std::time::Duration;

/// The whole CRUD flow, against a fake that answers creates with `status`.
async fn round_trip(status: CreateStatus) {
    let fake = FakeServer::builder()
        .create_status(status)
        .start()
        .await
        .unwrap();
    let client = client_for(&fake);

    let catalog = client
        .catalogs()
        .create(NewCatalog::new("Sommer").id("S23"))
        .await
        .unwrap();
    assert_eq!(catalog.id(), "S23");
    assert!(catalog.raw().created_at.is_some());
    let renamed = client
        .catalogs()
        .replace("S23", CatalogUpdate::new().name("Vinter"))
        .await
        .unwrap();
    assert_eq!(renamed.name(), "Vinter");
    assert_eq!(client.catalogs().get("S23").await.unwrap().name(), "Vinter");
    let duplicate = client
        .catalogs()
        .create(NewCatalog::new("again").id("S23"))
        .await
        .unwrap_err();
    assert!(duplicate.is_conflict(), "{duplicate:?}");

    let group = client
        .groups()
        .create(NewGroup::new("Møbel").id("B1"))
        .await
        .unwrap();
    assert_eq!(group.name(), "Møbel");
    client
        .groups()
        .modify("B1", |g| g.name = Some("Stoler".into()))
        .await
        .unwrap();
    let groups: Vec<_> = client.groups().list().items().try_collect().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].name(), "Stoler");

    let products = client.products("S23");
    let chair = products
        .create(
            NewProduct::new("Stablestol")
                .id("Stol22")
                .description("Stablestol for utendørsbruk")
                .price(Price::new(10900, Currency::NOK))
                .unit("stk")
                .group("B1"),
        )
        .await
        .unwrap();
    assert_eq!(chair.price().unwrap().to_string(), "109.00 NOK");
    assert_eq!(chair.catalog_id(), Some("S23"));
    assert_eq!(chair.group_ids().collect::<Vec<_>>(), ["B1"]);
    let updated = products
        .modify("Stol22", |p| {
            p.name = Some("Stablestol XL".into());
            p.price = Some(Price::new(12900, Currency::NOK));
        })
        .await
        .unwrap();
    assert_eq!(updated.get_ref().name(), "Stablestol XL");
    let fetched = products.get("Stol22").await.unwrap();
    assert_eq!(fetched.price(), Some(Price::new(12900, Currency::NOK)));
    assert_eq!(fetched.unit(), Some("stk"), "modify kept the unit");
    assert_eq!(fetched.description(), Some("Stablestol for utendørsbruk"));

    let deleted = products.delete("Stol22").await.unwrap();
    assert_eq!(deleted.id(), "Stol22");
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

    // Gets went through the documented lists only.
    for request in fake.requests() {
        if request.method == "GET" {
            assert!(
                request.path.ends_with("/catalogs")
                    || request.path.ends_with("/groups")
                    || request.path.ends_with("/products"),
                "an undocumented route: GET {}",
                request.path
            );
        }
    }
}

#[tokio::test]
async fn catalogs_groups_and_products_round_trip_when_creates_answer_200() {
    round_trip(CreateStatus::Ok).await;
}

#[tokio::test]
async fn catalogs_groups_and_products_round_trip_when_creates_answer_201() {
    round_trip(CreateStatus::Created).await;
}

#[tokio::test]
async fn deleting_a_catalog_deletes_its_products() {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, "S23", "Sommer");
    fake.seed_products(ACCOUNT, "S23", 25);
    let client = client_for(&fake);
    client.catalogs().delete("S23").await.unwrap();
    assert_eq!(fake.product_count(ACCOUNT, "S23"), 0);
    client
        .catalogs()
        .create(NewCatalog::new("Sommer").id("S23"))
        .await
        .unwrap();
    let products: Vec<_> = client
        .products("S23")
        .list()
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(
        products.is_empty(),
        "a new catalog of the same id starts empty"
    );
}

#[tokio::test]
async fn a_custom_base_url_still_asks_for_dinteros_audience() {
    // The fake refuses any audience but `https://api.dintero.com/v1/accounts/{aid}`, while the
    // client talks to it on loopback.
    let fake = FakeServer::start().await;
    assert!(!fake.base_url().contains("api.dintero.com"));
    let client = client_for(&fake);
    client.catalogs().list().send().await.unwrap();
    assert_eq!(fake.token_requests(), 1);
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
            .map_ok(|p| p.id().to_string())
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
    assert_eq!(one[0].id(), "P000007");

    let named: Vec<_> = client
        .products("F")
        .list()
        .product_name("product 00001")
        .limit(3)
        .items()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = named.iter().map(|p| p.name().to_string()).collect();
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
    assert_eq!(groups[0].id(), "G000003");
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
    let ids: HashSet<_> = products.iter().map(|p| p.id().to_string()).collect();
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
        assert_eq!(fetched.id(), id, "round trip of {id:?}");
        let deleted = client.products("a/b c").delete(id).await.unwrap();
        assert_eq!(deleted.id(), id);
    }
    let paths: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
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
        .map_ok(|p| p.id().to_string())
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
    let report = within(run(&SoakConfig::small())).await;
    assert!(report.faults > 0, "{}", report.line());
    assert!(report.is_exact(), "{}", report.line());
}

#[tokio::test]
async fn sync_soak_small_converges_after_interruptions_under_faults() {
    let report = within(sync_soak(&SoakConfig::small())).await;
    assert!(report.interrupted > 0, "{}", report.line());
    assert!(report.is_exact(), "{}", report.line());
}
