//! What seeding puts in the store, read back over HTTP.

use std::collections::BTreeSet;

use crate::common::{AID, Api};
use dintero_products_fake::{DEMO_CATALOG_ID, FakeServer};
use reqwest::StatusCode;
use serde_json::Value;

/// Every item of a list, following cursors.
async fn all(api: &Api, path: &str, array: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut url = format!("{path}?limit=100");
    loop {
        let (status, page) = api.get(&url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        items.extend(page[array].as_array().cloned().unwrap_or_default());
        match page["starting_after"].as_str() {
            Some(cursor) => url = format!("{path}?limit=100&starting_after={cursor}"),
            None => return items,
        }
    }
}

fn strings(items: &[Value], key: &str) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|item| item[key].as_str().map(str::to_owned))
        .collect()
}

/// The ids of the groups the products name, checking that each names them as the group does.
fn groups_named(products: &[Value], groups: &[Value]) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for product in products {
        for group in product["groups"].as_array().into_iter().flatten() {
            let id = group["group_id"].as_str().expect("group_id");
            let stored = groups
                .iter()
                .find(|g| g["group_id"] == id)
                .unwrap_or_else(|| panic!("{} names missing group {id}", product["product_id"]));
            assert_eq!(stored["group_name"], group["group_name"]);
            named.insert(id.to_owned());
        }
    }
    named
}

#[tokio::test]
async fn seeded_products_name_groups_that_exist() {
    let server = FakeServer::start().await;
    server.seed_products(AID, "S23", 3);
    let api = Api::new(&server).await;
    let products = all(&api, "catalogs/S23/products", "products").await;
    let groups = all(&api, "groups", "groups").await;
    assert_eq!(
        groups_named(&products, &groups),
        strings(&groups, "group_id")
    );
    assert_eq!(groups.len(), 3, "only the groups used: {groups:?}");

    server.seed_products(AID, "S23", 20);
    let products = all(&api, "catalogs/S23/products", "products").await;
    let groups = all(&api, "groups", "groups").await;
    assert_eq!(groups_named(&products, &groups).len(), 5);
    assert_eq!(
        strings(&groups, "group_id"),
        (1..=5)
            .map(dintero_products_fake::seeded_group_id)
            .collect()
    );
}

#[tokio::test]
async fn the_demo_is_a_small_consistent_shop() {
    let server = FakeServer::start().await;
    server.seed_demo(AID);
    let api = Api::new(&server).await;

    let catalogs = all(&api, "catalogs", "catalogs").await;
    assert_eq!(catalogs.len(), 1);
    assert_eq!(catalogs[0]["catalog_id"], DEMO_CATALOG_ID);
    assert_eq!(catalogs[0]["catalog_name"], "Demo catalog");

    let groups = all(&api, "groups", "groups").await;
    assert_eq!(
        strings(&groups, "group_id"),
        ["CHAIRS", "LAMPS", "OUTDOOR", "TABLES"]
            .map(String::from)
            .into()
    );
    assert!(groups.iter().all(|g| g["group_name"].is_string()));

    let products = all(&api, "catalogs/DEMO/products", "products").await;
    assert_eq!(products.len(), 24);
    assert_eq!(server.product_count(AID, DEMO_CATALOG_ID), 24);
    assert_eq!(
        groups_named(&products, &groups).len(),
        4,
        "every group is used"
    );
    let mut locations = BTreeSet::new();
    for product in &products {
        let id = product["product_id"].as_str().expect("id");
        assert!(
            product["product_name"]
                .as_str()
                .is_some_and(|n| n.len() > 5),
            "{id}"
        );
        assert!(
            product["description"]
                .as_str()
                .is_some_and(|d| d.len() > 20),
            "{id}"
        );
        assert_eq!(product["currency"], "NOK", "{id}");
        assert_eq!(product["unit"], "stk", "{id}");
        assert_eq!(product["catalog_name"], "Demo catalog", "{id}");
        let price = product["unit_gross_price"].as_i64().expect("price");
        assert!((10_000..=2_000_000).contains(&price), "{id}: {price} øre");
        let stocked = product["locations"].as_array().expect("locations");
        assert!(!stocked.is_empty(), "{id}");
        locations.extend(strings(stocked, "location_id"));
    }
    assert_eq!(locations.len(), 2, "{locations:?}");

    // The documented list filters work on it.
    let (_, page) = api.get("catalogs/DEMO/products?product_name=nordli").await;
    assert_eq!(page["products"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn the_demo_is_the_same_on_every_server_with_the_same_seed() {
    let mut seen = Vec::new();
    for _ in 0..2 {
        let server = FakeServer::builder().seed(3).start().await.expect("start");
        server.seed_demo(AID);
        let api = Api::new(&server).await;
        seen.push((
            all(&api, "catalogs", "catalogs").await,
            all(&api, "groups", "groups").await,
            all(&api, "catalogs/DEMO/products", "products").await,
        ));
    }
    assert_eq!(seen[0], seen[1]);
}
