//! Create, read, update and delete for catalogs, groups and products.

use crate::common::{AID, Api, encode_segment, error_code};
use dintero_products_client::types::{CatalogResponse, GroupResponse, ProductDetails};
use dintero_products_fake::{CreateStatus, FakeServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn catalog(value: &Value) -> CatalogResponse {
    serde_json::from_value(value.clone()).expect("a CatalogResponse")
}

fn group(value: &Value) -> GroupResponse {
    serde_json::from_value(value.clone()).expect("a GroupResponse")
}

fn product(value: &Value) -> ProductDetails {
    serde_json::from_value(value.clone()).expect("a ProductDetails")
}

#[tokio::test]
async fn catalogs_crud() {
    let server = FakeServer::builder()
        .create_status(CreateStatus::Created)
        .start()
        .await
        .expect("start");
    let api = Api::new(&server).await;

    let (status, created) = api
        .post(
            "catalogs",
            json!({"catalog_id": "S23", "catalog_name": "Sommer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let created = catalog(&created);
    assert_eq!(created.catalog_id.as_deref(), Some("S23"));
    assert_eq!(created.catalog_name.as_deref(), Some("Sommer"));
    assert!(created.id.is_some() && created.created_at.is_some() && created.updated_at.is_some());
    assert_eq!(created.created_by.as_deref(), Some(server.client_id()));
    assert!(created.deleted_at.is_none() && created.deleted_by.is_none());

    let (status, body) = api.post("catalogs", json!({"catalog_id": "S23"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "CONFLICT");

    // No id: the server makes one.
    let (status, generated) = api
        .post("catalogs", json!({"catalog_name": "Vinter"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let generated_id = catalog(&generated).catalog_id.expect("generated id");
    assert!(!generated_id.is_empty());

    let (status, got) = api.get("catalogs/S23").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(catalog(&got), created);
    assert!(
        got.get("deleted_at").is_none(),
        "deleted_* absent on live objects"
    );

    let (status, updated) = api
        .put(
            "catalogs/S23",
            json!({"catalog_id": "ignored", "catalog_name": "Sommer 2"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let updated = catalog(&updated);
    assert_eq!(updated.catalog_id.as_deref(), Some("S23"));
    assert_eq!(updated.catalog_name.as_deref(), Some("Sommer 2"));
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at > created.updated_at);

    let (status, list) = api.get("catalogs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["catalogs"].as_array().map(Vec::len), Some(2));
    assert!(list.get("starting_after").is_none());

    let (status, deleted) = api.delete("catalogs/S23").await;
    assert_eq!(status, StatusCode::OK);
    let deleted = catalog(&deleted);
    assert_eq!(deleted.catalog_name.as_deref(), Some("Sommer 2"));
    assert!(deleted.deleted_at.is_some());
    assert_eq!(deleted.deleted_by.as_deref(), Some(server.client_id()));

    for (status, body) in [
        api.get("catalogs/S23").await,
        api.put("catalogs/S23", json!({"catalog_name": "x"})).await,
        api.delete("catalogs/S23").await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(error_code(&body), "NOT FOUND");
    }

    // Bodies that do not parse are 400 with serde's message.
    let (status, body) = api.post("catalogs", json!({"catalog_id": 5})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("invalid type")
    );
    let (status, _) = api.post("catalogs", json!({"catalog_id": " S1"})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "leading spaces are refused"
    );
    let (status, _) = api
        .post("catalogs", json!({"catalog_id": "x".repeat(256)}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "ids are at most 255 characters"
    );
    let response = api
        .http
        .post(format!("{}/catalogs", api.base))
        .bearer_auth(&api.token)
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn groups_crud() {
    let server = FakeServer::builder()
        .create_status(CreateStatus::Created)
        .start()
        .await
        .expect("start");
    let api = Api::new(&server).await;

    let (status, created) = api
        .post("groups", json!({"group_id": "B1", "group_name": "Møbel"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let created = group(&created);
    assert_eq!(created.group_id.as_deref(), Some("B1"));
    assert_eq!(created.group_name.as_deref(), Some("Møbel"));
    assert!(created.id.is_some());

    let (status, _) = api.post("groups", json!({"group_id": "B1"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, generated) = api.post("groups", json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(group(&generated).group_id.is_some());

    let (status, got) = api.get("groups/B1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(group(&got), created);

    let (status, updated) = api.put("groups/B1", json!({"group_name": "Stoler"})).await;
    assert_eq!(status, StatusCode::OK);
    let updated = group(&updated);
    assert_eq!(updated.group_name.as_deref(), Some("Stoler"));
    assert_eq!(updated.group_id.as_deref(), Some("B1"));
    assert!(updated.updated_at > created.updated_at);

    let (status, deleted) = api.delete("groups/B1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(group(&deleted).deleted_at.is_some());
    assert_eq!(api.get("groups/B1").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.put("groups/B1", json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.delete("groups/B1").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn products_crud() {
    let server = FakeServer::builder()
        .create_status(CreateStatus::Created)
        .start()
        .await
        .expect("start");
    let api = Api::new(&server).await;

    let body = json!({
        "product_id": "Stol22",
        "product_name": "Stablestol",
        "description": "Stablestol for utendørsbruk",
        "unit_gross_price": 10900,
        "unit": "stk",
        "currency": "NOK",
        "groups": [{"group_id": "B1", "group_name": "Møbel"}],
        "locations": [{"location_id": "SC_Oslo", "number_of_items_in_storage": 15}],
        "dimension": {"color": "red"},
        "images": [{"href": "https://example.com/a.png", "rel": "thumbnail_image"}]
    });
    let (status, error) = api.post("catalogs/S23/products", body.clone()).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a product in a missing catalog"
    );
    assert_eq!(error_code(&error), "NOT FOUND");
    assert_eq!(
        api.get("catalogs/S23/products").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get("catalogs/S23/products/Stol22").await.0,
        StatusCode::NOT_FOUND
    );

    server.seed_catalog(AID, "S23", "Sommer");
    let (status, created) = api.post("catalogs/S23/products", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let created = product(&created);
    assert_eq!(created.product_id.as_deref(), Some("Stol22"));
    assert_eq!(created.catalog_id.as_deref(), Some("S23"));
    assert_eq!(created.catalog_name.as_deref(), Some("Sommer"));
    assert_eq!(created.unit_gross_price, Some(10900));
    assert_eq!(created.groups.len(), 1);
    assert_eq!(created.groups[0].group_name.as_deref(), Some("Møbel"));
    assert!(
        created.locations[0].is_available_for_shipping,
        "default true"
    );
    assert_eq!(created.images.as_ref().map(|i| i.len()), Some(1));
    assert!(created.id.is_some() && created.created_at.is_some());

    let (status, _) = api.post("catalogs/S23/products", body.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The same id in another catalog is fine.
    server.seed_catalog(AID, "W1", "Vinter");
    assert_eq!(
        api.post("catalogs/W1/products", body).await.0,
        StatusCode::CREATED
    );
    let (status, generated) = api
        .post("catalogs/S23/products", json!({"product_name": "No id"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(product(&generated).product_id.is_some());

    let (status, listed) = api.get("catalogs/S23/products?product_id=Stol22").await;
    assert_eq!(status, StatusCode::OK);
    let first = product(&listed["products"][0]);
    assert_eq!(
        first, created,
        "listed items carry groups and the catalog's name"
    );

    let (status, updated) = api
        .put(
            "catalogs/S23/products/Stol22",
            json!({"product_name": "Stablestol XL", "unit_gross_price": 12900, "currency": "NOK"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let updated = product(&updated);
    assert_eq!(updated.product_name.as_deref(), Some("Stablestol XL"));
    assert_eq!(updated.unit_gross_price, Some(12900));
    assert_eq!(updated.description, None, "writable fields are replaced");
    assert_eq!(updated.product_id.as_deref(), Some("Stol22"));
    assert_eq!(
        updated.groups, created.groups,
        "groups are kept when not sent"
    );
    assert_eq!(updated.id, created.id);
    assert!(updated.updated_at > created.updated_at);
    let (_, got) = api.get("catalogs/S23/products/Stol22").await;
    assert_eq!(product(&got), updated);

    let (status, deleted) = api.delete("catalogs/S23/products/Stol22").await;
    assert_eq!(status, StatusCode::OK);
    let deleted = product(&deleted);
    assert!(deleted.deleted_at.is_some());
    assert_eq!(deleted.product_name.as_deref(), Some("Stablestol XL"));
    assert_eq!(
        api.get("catalogs/S23/products/Stol22").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.put("catalogs/S23/products/Stol22", json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.delete("catalogs/S23/products/Stol22").await.0,
        StatusCode::NOT_FOUND
    );

    // Updating a seeded product keeps its identity.
    server.seed_products(AID, "S23", 3);
    let (_, before) = api.get("catalogs/S23/products/P000002").await;
    let (status, after) = api
        .put(
            "catalogs/S23/products/P000002",
            json!({"product_name": "Renamed", "groups": []}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (before, after) = (product(&before), product(&after));
    assert_eq!(after.id, before.id);
    assert_eq!(after.created_at, before.created_at);
    assert_eq!(after.product_name.as_deref(), Some("Renamed"));
    assert!(after.groups.is_empty(), "groups are replaced when sent");

    // Deleting a catalog deletes its products.
    assert_eq!(server.product_count(AID, "S23"), 4);
    assert_eq!(api.delete("catalogs/S23").await.0, StatusCode::OK);
    assert_eq!(server.product_count(AID, "S23"), 0);
    assert_eq!(
        api.get("catalogs/S23/products/P000001").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn awkward_ids_travel_percent_encoded() {
    let server = FakeServer::builder()
        .create_status(CreateStatus::Created)
        .start()
        .await
        .expect("start");
    let api = Api::new(&server).await;
    let catalog_id = "kat/a%log ?#";
    let product_id = "a/b%c d?e#ø";
    let group_id = "g/%1 ø";

    let (status, _) = api
        .post("catalogs", json!({"catalog_id": catalog_id}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let catalog_path = format!("catalogs/{}", encode_segment(catalog_id));
    let (status, body) = api
        .post(
            &format!("{catalog_path}/products"),
            json!({"product_id": product_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let product_path = format!("{catalog_path}/products/{}", encode_segment(product_id));
    let (status, got) = api.get(&product_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["product_id"], product_id);
    assert_eq!(got["catalog_id"], catalog_id);
    let (status, got) = api.get(&catalog_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["catalog_id"], catalog_id);

    assert_eq!(
        api.post("groups", json!({"group_id": group_id})).await.0,
        StatusCode::CREATED
    );
    let (status, got) = api
        .get(&format!("groups/{}", encode_segment(group_id)))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["group_id"], group_id);

    // Decoded once only: the double-encoded id is another id.
    let double = format!(
        "{catalog_path}/products/{}",
        encode_segment(&encode_segment(product_id))
    );
    assert_eq!(api.get(&double).await.0, StatusCode::NOT_FOUND);
    // An unencoded `/` splits the segment: no such route.
    assert_eq!(
        api.get(&format!("{catalog_path}/products/a/b")).await.0,
        StatusCode::NOT_FOUND
    );
    // Broken escapes are a 400, not a panic.
    let (status, body) = api.get(&format!("{catalog_path}/products/%zz")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "BAD_REQUEST");
    let (status, _) = api.get(&format!("{catalog_path}/products/%FF")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not UTF-8");

    // The log keeps the paths as received, still encoded.
    let encoded = encode_segment(product_id);
    assert_eq!(encoded, "a%2Fb%25c%20d%3Fe%23%C3%B8");
    let requests = server.requests();
    let get = requests
        .iter()
        .find(|r| r.method == "GET" && r.path.ends_with(&encoded))
        .expect("the GET is recorded");
    assert_eq!(
        get.path,
        format!("/v1/accounts/{AID}/products/catalogs/kat%2Fa%25log%20%3F%23/products/{encoded}")
    );
    assert_eq!(get.status, Some(200));
    assert!(get.authorization);
    assert_eq!(get.query, None);
    assert!(!get.fault_injected());
    let token = requests.first().expect("token request");
    assert_eq!(token.method, "POST");
    assert_eq!(token.path, format!("/v1/accounts/{AID}/auth/token"));

    server.clear_requests();
    api.get("catalogs?limit=5&x=%2F").await;
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].query.as_deref(), Some("limit=5&x=%2F"));
}

/// Creates a catalog, a group and a product, and returns the three statuses.
async fn create_each(api: &Api) -> [StatusCode; 3] {
    let catalog = api.post("catalogs", json!({"catalog_id": "C1"})).await;
    let group = api.post("groups", json!({"group_id": "G1"})).await;
    let product = api
        .post("catalogs/C1/products", json!({"product_id": "P1"}))
        .await;
    for (_, body) in [&catalog, &group, &product] {
        assert!(body.get("id").is_some(), "the created item: {body}");
    }
    [catalog.0, group.0, product.0]
}

#[tokio::test]
async fn creates_answer_200_by_default_and_201_when_asked() {
    let server = FakeServer::start().await;
    let api = Api::new(&server).await;
    assert_eq!(create_each(&api).await, [StatusCode::OK; 3]);
    assert_eq!(
        api.post("catalogs", json!({"catalog_id": "C1"})).await.0,
        StatusCode::CONFLICT,
        "errors are unchanged"
    );

    let server = FakeServer::builder()
        .create_status(CreateStatus::Created)
        .start()
        .await
        .expect("start");
    let api = Api::new(&server).await;
    assert_eq!(create_each(&api).await, [StatusCode::CREATED; 3]);
    // Only creates: reads, updates and deletes stay 200.
    assert_eq!(api.get("catalogs/C1").await.0, StatusCode::OK);
    assert_eq!(api.delete("groups/G1").await.0, StatusCode::OK);

    assert_eq!(CreateStatus::try_from(200), Ok(CreateStatus::Ok));
    assert_eq!(CreateStatus::Created.code(), 201);
    let refused = CreateStatus::try_from(202).expect_err("only 200 and 201");
    assert!(refused.to_string().contains("202"), "{refused}");
}

#[tokio::test]
async fn deleting_a_catalog_deletes_its_products_and_a_recreated_one_starts_empty() {
    let server = FakeServer::start().await;
    let api = Api::new(&server).await;
    assert_eq!(
        api.post("catalogs", json!({"catalog_id": "S23"})).await.0,
        StatusCode::OK
    );
    api.post("catalogs/S23/products", json!({"product_id": "Stol22"}))
        .await;
    server.seed_products(AID, "S23", 5);
    server.seed_catalog(AID, "W1", "Vinter");
    server.seed_products(AID, "W1", 2);
    assert_eq!(server.product_count(AID, "S23"), 6);

    assert_eq!(api.delete("catalogs/S23").await.0, StatusCode::OK);
    assert_eq!(server.product_count(AID, "S23"), 0);
    assert_eq!(
        server.product_count(AID, "W1"),
        2,
        "other catalogs keep theirs"
    );

    assert_eq!(
        api.post("catalogs", json!({"catalog_id": "S23"})).await.0,
        StatusCode::OK
    );
    let (status, page) = api.get("catalogs/S23/products").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page, json!({"products": []}));
    let (status, body) = api.get("catalogs/S23/products/Stol22").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "NOT FOUND");
    assert_eq!(
        server.seed_products(AID, "S23", 1),
        1..2,
        "numbering restarts"
    );
}
