//! Paging, limits, cursors and filters.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::common::{AID, Api, error_code};
use dintero_products_fake::{CreateStatus, FakeServer, seeded_product_id};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn ids(page: &Value, array: &str, key: &str) -> Vec<String> {
    page[array]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn pages_of_seven_over_twenty_five_products() {
    let server = FakeServer::start().await;
    server.seed_catalog(AID, "S23", "Sommer");
    assert_eq!(server.seed_products(AID, "S23", 25), 1..26);
    let api = Api::new(&server).await;

    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "catalogs/S23/products?limit=7".to_owned(),
            Some(c) => format!("catalogs/S23/products?limit=7&starting_after={c}"),
        };
        let (status, page) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let page_ids = ids(&page, "products", "product_id");
        cursor = page["starting_after"].as_str().map(str::to_owned);
        if let Some(c) = &cursor {
            assert!(!page_ids.contains(c), "the cursor is not an item id");
            assert!(!c.starts_with('P'), "the cursor is opaque: {c}");
        } else {
            assert!(
                page.get("starting_after").is_none(),
                "the key is absent on the last page"
            );
        }
        pages.push(page_ids);
        if cursor.is_none() {
            break;
        }
        assert!(pages.len() < 10, "runaway paging");
    }
    let expected: Vec<Vec<String>> = [1..8, 8..15, 15..22, 22..26]
        .into_iter()
        .map(|range| range.map(seeded_product_id).collect())
        .collect();
    assert_eq!(pages, expected);

    // Seeded products render in full.
    let (_, page) = api.get("catalogs/S23/products?limit=1").await;
    let first = &page["products"][0];
    assert_eq!(first["product_id"], "P000001");
    assert_eq!(first["product_name"], "Product 000001");
    assert_eq!(first["currency"], "NOK");
    assert!(first["unit_gross_price"].is_i64());
    assert_eq!(first["catalog_id"], "S23");
    assert_eq!(first["catalog_name"], "Sommer");
    assert_eq!(first["groups"][0]["group_id"], "G000001");
    assert!(first["locations"][0]["location_id"].is_string());
    assert!(first["id"].is_string() && first["created_at"].is_string());

    // Default limit is 10; exactly-full last page has no cursor.
    let (_, page) = api.get("catalogs/S23/products").await;
    assert_eq!(ids(&page, "products", "product_id").len(), 10);
    let (_, page) = api.get("catalogs/S23/products?limit=25").await;
    assert_eq!(ids(&page, "products", "product_id").len(), 25);
    assert!(page.get("starting_after").is_none());
    let (_, page) = api.get("catalogs/S23/products?limit=100").await;
    assert_eq!(ids(&page, "products", "product_id").len(), 25);
}

#[tokio::test]
async fn limits_and_cursors_are_validated() {
    let server = FakeServer::start().await;
    server.seed_catalog(AID, "S23", "Sommer");
    server.seed_products(AID, "S23", 3);
    server.seed_groups(AID, 3);
    let api = Api::new(&server).await;
    for collection in ["catalogs", "groups", "catalogs/S23/products"] {
        for limit in ["0", "101", "abc", "-1", "", "1.5"] {
            let (status, body) = api.get(&format!("{collection}?limit={limit}")).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{collection} limit={limit}"
            );
            assert_eq!(error_code(&body), "BAD_REQUEST");
        }
        for limit in ["1", "100"] {
            let (status, _) = api.get(&format!("{collection}?limit={limit}")).await;
            assert_eq!(status, StatusCode::OK, "{collection} limit={limit}");
        }
        for cursor in ["garbage", "P000001", "p1.%21%21", "c1"] {
            let (status, body) = api
                .get(&format!("{collection}?starting_after={cursor}"))
                .await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{collection} cursor={cursor}"
            );
            assert_eq!(error_code(&body), "BAD_REQUEST");
        }
    }
    // A cursor from one collection is refused by another.
    let (_, page) = api.get("groups?limit=1").await;
    let group_cursor = page["starting_after"]
        .as_str()
        .expect("more groups")
        .to_owned();
    let (status, _) = api
        .get(&format!(
            "catalogs/S23/products?starting_after={group_cursor}"
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, page) = api
        .get(&format!("groups?starting_after={group_cursor}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page, "groups", "group_id"), ["G000002", "G000003"]);
}

#[tokio::test]
async fn product_filters_apply_before_paging() {
    let server = FakeServer::start().await;
    server.seed_catalog(AID, "S23", "Sommer");
    server.seed_products(AID, "S23", 25);
    let api = Api::new(&server).await;
    api.post(
        "catalogs/S23/products",
        json!({"product_id": "X1", "product_name": "Blue PRODUCT 00000 chair"}),
    )
    .await;

    let (_, page) = api.get("catalogs/S23/products?product_id=P000013").await;
    assert_eq!(ids(&page, "products", "product_id"), ["P000013"]);
    assert!(page.get("starting_after").is_none());
    let (_, page) = api.get("catalogs/S23/products?product_id=P00001").await;
    assert_eq!(
        ids(&page, "products", "product_id"),
        Vec::<String>::new(),
        "exact, not prefix"
    );
    assert_eq!(page, json!({"products": []}));

    // "product 00001" matches P000010..=P000019, case-insensitively; paged by 4.
    let mut seen = Vec::new();
    let mut path = "catalogs/S23/products?product_name=pRoDuCt%2000001&limit=4".to_owned();
    loop {
        let (status, page) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(ids(&page, "products", "product_id"));
        match page["starting_after"].as_str() {
            Some(cursor) => {
                path = format!(
                    "catalogs/S23/products?product_name=pRoDuCt+00001&limit=4&starting_after={cursor}"
                )
            }
            None => break,
        }
    }
    let expected: Vec<String> = (10..20).map(seeded_product_id).collect();
    assert_eq!(seen, expected);

    let (_, page) = api
        .get("catalogs/S23/products?product_name=product%2000000")
        .await;
    let found = ids(&page, "products", "product_id");
    assert_eq!(found.len(), 10, "P000001..=P000009 and X1: {found:?}");
    assert!(found.contains(&"X1".to_owned()));
    assert!(page.get("starting_after").is_none());

    let (_, page) = api
        .get("catalogs/S23/products?product_name=chair&product_id=X1")
        .await;
    assert_eq!(ids(&page, "products", "product_id"), ["X1"]);
    let (_, page) = api
        .get("catalogs/S23/products?product_name=chair&product_id=P000001")
        .await;
    assert!(ids(&page, "products", "product_id").is_empty());
}

#[tokio::test]
async fn group_and_catalog_lists() {
    let server = FakeServer::start().await;
    assert_eq!(server.seed_groups(AID, 12), 1..13);
    for i in 0..3 {
        server.seed_catalog(AID, &format!("C{i}"), &format!("Catalog {i}"));
    }
    // Another account's data is not visible.
    server.seed_groups("T99999999", 5);
    let api = Api::new(&server).await;

    let (_, page) = api.get("groups?group_id=G000007").await;
    assert_eq!(ids(&page, "groups", "group_id"), ["G000007"]);
    assert_eq!(page["groups"][0]["group_name"], "Group 000007");
    let (_, page) = api.get("groups?group_id=G00000").await;
    assert!(ids(&page, "groups", "group_id").is_empty());

    let (_, first) = api.get("groups?limit=10").await;
    assert_eq!(ids(&first, "groups", "group_id").len(), 10);
    let cursor = first["starting_after"].as_str().expect("cursor");
    let (_, second) = api
        .get(&format!("groups?limit=10&starting_after={cursor}"))
        .await;
    assert_eq!(ids(&second, "groups", "group_id"), ["G000011", "G000012"]);
    assert!(second.get("starting_after").is_none());

    let (_, page) = api.get("catalogs?limit=2").await;
    assert_eq!(ids(&page, "catalogs", "catalog_id"), ["C0", "C1"]);
    let cursor = page["starting_after"].as_str().expect("cursor");
    let (_, page) = api
        .get(&format!("catalogs?limit=2&starting_after={cursor}"))
        .await;
    assert_eq!(ids(&page, "catalogs", "catalog_id"), ["C2"]);
    assert!(page.get("starting_after").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_stays_consistent_while_others_create() {
    let server = Arc::new(
        FakeServer::builder()
            .create_status(CreateStatus::Created)
            .start()
            .await
            .expect("start"),
    );
    server.seed_catalog(AID, "S23", "Sommer");
    server.seed_products(AID, "S23", 200);
    let api = Arc::new(Api::new(&server).await);

    // Writers add products whose ids sort before, between and after the seeded ones.
    let mut writers = Vec::new();
    for w in 0..3 {
        let api = Arc::clone(&api);
        writers.push(tokio::spawn(async move {
            for i in 0..40 {
                let id = match w {
                    0 => format!("A{i:03}"),
                    1 => format!("P000050-{i:03}"),
                    _ => format!("Z{i:03}"),
                };
                let (status, _) = api
                    .post("catalogs/S23/products", json!({"product_id": id}))
                    .await;
                assert_eq!(status, StatusCode::CREATED);
            }
        }));
    }
    // Meanwhile a reader pages through everything, several times.
    for _ in 0..3 {
        let mut seen = Vec::new();
        let mut path = "catalogs/S23/products?limit=17".to_owned();
        loop {
            let (status, page) = api.get(&path).await;
            assert_eq!(status, StatusCode::OK);
            seen.extend(ids(&page, "products", "product_id"));
            match page["starting_after"].as_str() {
                Some(c) => path = format!("catalogs/S23/products?limit=17&starting_after={c}"),
                None => break,
            }
        }
        // Strictly increasing: no duplicates, no going back.
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
        // Every seeded product is seen.
        let seen: BTreeSet<_> = seen.into_iter().collect();
        assert!((1..=200).all(|n| seen.contains(&seeded_product_id(n))));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    assert_eq!(server.product_count(AID, "S23"), 320);
}

/// Resident memory in KiB, where the platform tells (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_seeded_products_are_quick_and_small() {
    let server = FakeServer::start().await;
    let before = rss_kib();
    let started = std::time::Instant::now();
    assert_eq!(server.seed_products(AID, "BIG", 1_000_000), 1..1_000_001);
    let elapsed = started.elapsed();
    assert_eq!(server.product_count(AID, "BIG"), 1_000_000);
    assert!(elapsed.as_secs() < 10, "seeding took {elapsed:?}");
    if let (Some(before), Some(after)) = (before, rss_kib()) {
        let grown_mib = after.saturating_sub(before) / 1024;
        // About 64 MiB in practice; the bound leaves room for the other tests in this binary.
        assert!(grown_mib < 200, "a million products took {grown_mib} MiB");
    }
    let api = Api::new(&server).await;
    let (_, page) = api.get("catalogs/BIG/products?product_id=P999999").await;
    assert_eq!(ids(&page, "products", "product_id"), ["P999999"]);
    assert_eq!(page["products"][0]["catalog_name"], "Catalog BIG");
    let (_, page) = api.get("catalogs/BIG/products?limit=100").await;
    assert_eq!(ids(&page, "products", "product_id").len(), 100);
}
