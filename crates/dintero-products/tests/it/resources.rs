//! The resource calls: gets through documented lists, and the bodies creates send.

use crate::common;

use common::*;
use dintero_products::{Error, NewGroup, NewProduct, Written};
use serde_json::json;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, Request, ResponseTemplate};

/// A groups list whose `group_id` filter matches by prefix, 2 per page, the exact match last.
fn prefix_matching(request: &Request) -> ResponseTemplate {
    let wanted = query(request, "group_id").unwrap_or_default();
    let all: Vec<String> = ["B10", "B11", "B12", "B1", "C1"]
        .iter()
        .map(|s| s.to_string())
        .filter(|id| id.starts_with(&wanted))
        .collect();
    let start = query(request, "starting_after")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(0);
    let page: Vec<_> = all.iter().skip(start).take(2).map(|id| group(id)).collect();
    let mut body = json!({ "groups": page });
    if start + 2 < all.len() {
        body["starting_after"] = json!((start + 2).to_string());
    }
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn gets_use_the_documented_list_filter_and_check_the_match_exactly() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .and(path(api("/groups")))
        .respond_with(prefix_matching)
        .mount(&h.server)
        .await;
    let group = h.client.groups().get("B1").await.unwrap();
    assert_eq!(group.id(), "B1");
    let requests = h.api_requests().await;
    assert_eq!(requests.len(), 2, "the match was on the second page");
    for request in &requests {
        assert_eq!(
            request.url.path(),
            api("/groups"),
            "only the documented list"
        );
        assert_eq!(query(request, "group_id").as_deref(), Some("B1"));
    }

    let error = h.client.groups().get("B2").await.unwrap_err();
    assert!(
        matches!(error, Error::NotFound { what: "group", .. }),
        "{error:?}"
    );
    assert!(error.is_not_found());
}

#[tokio::test]
async fn product_and_catalog_gets_use_their_lists() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .and(path(api("/catalogs/S23/products")))
        .and(query_param("product_id", "Stol"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "products": [{"product_id": "Stol22"}, {"product_id": "Stol"}]
        })))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/catalogs")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "catalogs": [{"catalog_id": "S22"}, {"catalog_id": "S23", "catalog_name": "Sommer"}]
        })))
        .mount(&h.server)
        .await;
    let product = h.client.products("S23").get("Stol").await.unwrap();
    assert_eq!(product.id(), "Stol");
    let catalog = h.client.catalogs().get("S23").await.unwrap();
    assert_eq!(catalog.name(), "Sommer");
    assert!(
        h.client
            .catalogs()
            .get("S24")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn creates_send_the_builders_body_and_accept_200_and_201() {
    for status in [200u16, 201] {
        let h = Harness::start().await;
        Mock::given(method("POST"))
            .and(path(api("/groups")))
            .respond_with(move |request: &Request| {
                let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
                ResponseTemplate::new(status).set_body_json(json!({
                    "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                    "group_id": body["group_id"], "group_name": body["group_name"]
                }))
            })
            .mount(&h.server)
            .await;
        let group = h
            .client
            .groups()
            .create(NewGroup::new("Møbel").id("B1"))
            .await
            .unwrap();
        assert_eq!(group.id(), "B1", "{status}");
        assert_eq!(group.name(), "Møbel", "{status}");
    }
}

/// A products API scripted call by call: each list (the get), create and replace answers from
/// its own queue, and every request is counted.
#[derive(Clone, Default)]
struct Script {
    lists: Arc<Mutex<Vec<serde_json::Value>>>,
    creates: Arc<Mutex<Vec<u16>>>,
    replaces: Arc<Mutex<Vec<u16>>>,
}

fn product(id: &str, name: &str, unit: &str) -> serde_json::Value {
    json!({"product_id": id, "product_name": name, "unit": unit, "unit_gross_price": 100, "currency": "NOK"})
}

impl Script {
    async fn mount(&self, h: &Harness) {
        let lists = self.lists.clone();
        Mock::given(method("GET"))
            .and(path(api("/catalogs/S23/products")))
            .respond_with(move |_: &Request| {
                let page = lists.lock().unwrap().remove(0);
                ResponseTemplate::new(200).set_body_json(page)
            })
            .mount(&h.server)
            .await;
        let creates = self.creates.clone();
        Mock::given(method("POST"))
            .respond_with(move |r: &Request| {
                let status = creates.lock().unwrap().remove(0);
                let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                ResponseTemplate::new(status).set_body_json(if status < 300 {
                    body
                } else {
                    json!({"error": {"message": "exists"}})
                })
            })
            .mount(&h.server)
            .await;
        let replaces = self.replaces.clone();
        Mock::given(method("PUT"))
            .respond_with(move |r: &Request| {
                let status = replaces.lock().unwrap().remove(0);
                let mut body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                body["product_id"] = json!("Stol22");
                ResponseTemplate::new(status).set_body_json(if status < 300 {
                    body
                } else {
                    json!({"error": {"code": "NOT FOUND", "message": "gone"}})
                })
            })
            .mount(&h.server)
            .await;
    }
}

#[tokio::test]
async fn upsert_meeting_a_concurrent_create_modifies_what_the_other_writer_created() {
    let h = Harness::start().await;
    let script = Script::default();
    // Not there; the create meets a 409 (another writer created it); there now; replaced.
    *script.lists.lock().unwrap() = vec![
        json!({"products": []}),
        json!({"products": [product("Stol22", "Other writer's", "stk")]}),
    ];
    *script.creates.lock().unwrap() = vec![409];
    *script.replaces.lock().unwrap() = vec![200];
    script.mount(&h).await;
    let written = h
        .client
        .products("S23")
        .upsert(NewProduct::new("Stablestol").id("Stol22"))
        .await
        .unwrap();
    assert!(matches!(written, Written::Updated(_)), "{written:?}");
    assert_eq!(written.get_ref().name(), "Stablestol");
    assert_eq!(
        written.get_ref().unit(),
        Some("stk"),
        "the other writer's unit is kept"
    );
}

#[tokio::test]
async fn upsert_meeting_a_concurrent_delete_creates_it_again() {
    let h = Harness::start().await;
    let script = Script::default();
    // There; the replace meets a 404 (deleted meanwhile); not there; created.
    *script.lists.lock().unwrap() = vec![
        json!({"products": [product("Stol22", "Old", "stk")]}),
        json!({"products": []}),
    ];
    *script.replaces.lock().unwrap() = vec![404];
    *script.creates.lock().unwrap() = vec![200];
    script.mount(&h).await;
    let written = h
        .client
        .products("S23")
        .upsert(NewProduct::new("Stablestol").id("Stol22"))
        .await
        .unwrap();
    assert!(matches!(written, Written::Created(_)), "{written:?}");
}

#[tokio::test]
async fn upsert_and_modify_write_nothing_when_nothing_changes() {
    let h = Harness::start().await;
    let script = Script::default();
    *script.lists.lock().unwrap() = vec![
        json!({"products": [product("Stol22", "Stablestol", "stk")]}),
        json!({"products": [product("Stol22", "Stablestol", "stk")]}),
    ];
    script.mount(&h).await;
    let products = h.client.products("S23");
    let written = products
        .upsert(NewProduct::new("Stablestol").id("Stol22").unit("stk"))
        .await
        .unwrap();
    assert!(!written.changed());
    let written = products.modify("Stol22", |_| {}).await.unwrap();
    assert!(!written.changed());
    assert!(
        h.api_requests()
            .await
            .iter()
            .all(|r| r.method.as_str() == "GET")
    );
}

#[tokio::test]
async fn create_once_looks_before_sending_again() {
    let h = Harness::start().await;
    let script = Script::default();
    // The create's answer is a 502 (did it land?); the lookup finds it: no second create.
    *script.creates.lock().unwrap() = vec![502];
    *script.lists.lock().unwrap() =
        vec![json!({"products": [product("Stol22", "Stablestol", "stk")]})];
    script.mount(&h).await;
    let written = h
        .client
        .products("S23")
        .create_once(NewProduct::new("Stablestol").id("Stol22"))
        .await
        .unwrap();
    assert!(matches!(written, Written::Created(_)));
    let posts = h
        .api_requests()
        .await
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(posts, 1);
}

/// A product as another client may have stored it: a currency the SDK cannot read, fields it
/// does not know (at the top, in a location, in `dimension`), and a location id it would not
/// send of its own.
fn product_with_what_the_sdk_cannot_read() -> serde_json::Value {
    json!({
        "product_id": "Stol22",
        "product_name": "Stablestol",
        "unit_gross_price": 10900,
        "currency": "nok",
        "ean": "7038010012345",
        "dimension": {"color": "red", "material": "oak"},
        "locations": [
            {"location_id": " OSL", "number_of_items_in_storage": 3, "aisle": 12},
            {"location_id": "BGO", "number_of_items_in_storage": 4}
        ]
    })
}

#[tokio::test]
async fn modify_sends_back_what_the_sdk_cannot_read_exactly_as_it_came() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .and(path(api("/catalogs/S23/products")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"products": [product_with_what_the_sdk_cannot_read()]})),
        )
        .mount(&h.server)
        .await;
    Mock::given(method("PUT"))
        .and(path(api("/catalogs/S23/products/Stol22")))
        .respond_with(|request: &Request| {
            let mut body: serde_json::Value = request.body_json().unwrap();
            body["product_id"] = json!("Stol22");
            ResponseTemplate::new(200).set_body_json(body)
        })
        .mount(&h.server)
        .await;
    let stored = h.client.products("S23").get("Stol22").await.unwrap();
    assert_eq!(stored.price(), None);
    assert_eq!(stored.stock(), Some(7));

    h.client
        .products("S23")
        .modify("Stol22", |u| u.description = Some("Eik".into()))
        .await
        .unwrap();
    let requests = h.api_requests().await;
    let put = requests
        .iter()
        .find(|r| r.method.as_str() == "PUT")
        .unwrap();
    let sent: serde_json::Value = put.body_json().unwrap();
    assert_eq!(sent["description"], "Eik");
    assert_eq!(sent["currency"], "nok");
    assert_eq!(sent["unit_gross_price"], 10900);
    assert_eq!(sent["ean"], "7038010012345");
    assert_eq!(
        sent["dimension"],
        json!({"color": "red", "material": "oak"})
    );
    assert_eq!(sent["locations"][0]["location_id"], " OSL");
    assert_eq!(sent["locations"][0]["aisle"], 12);
    assert_eq!(sent["locations"][0]["number_of_items_in_storage"], 3);
    assert_eq!(sent["locations"][1]["location_id"], "BGO");
}

#[tokio::test]
async fn a_product_copied_with_to_new_keeps_what_the_sdk_cannot_read() {
    let raw: dintero_products::types::ProductDetails =
        serde_json::from_value(product_with_what_the_sdk_cannot_read()).unwrap();
    let product = dintero_products::Product::try_from(raw).unwrap();
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(api("/catalogs/S24/products")))
        .respond_with(|request: &Request| {
            ResponseTemplate::new(200)
                .set_body_json(request.body_json::<serde_json::Value>().unwrap())
        })
        .mount(&h.server)
        .await;
    h.client
        .products("S24")
        .create(product.to_new())
        .await
        .unwrap();
    let requests = h.api_requests().await;
    let sent: serde_json::Value = requests[0].body_json().unwrap();
    assert_eq!(sent["ean"], "7038010012345");
    assert_eq!(sent["currency"], "nok");
    assert_eq!(sent["unit_gross_price"], 10900);
    assert_eq!(sent["locations"][0]["aisle"], 12);
}

/// A job's writes print what they will do to which id (a modify's change as `..`), one whose
/// id failed its check prints as the error it will report, and a job prints its settings.
#[tokio::test]
async fn bulk_writes_and_jobs_print_what_they_will_do() {
    use dintero_products::{ProductUpdate, Products, Write};
    let h = Harness::start().await;
    let writes: Vec<Write<Products>> = vec![
        Write::create(NewProduct::new("Chair").id("C1")),
        Write::replace("C2", ProductUpdate::new().name("Table")),
        Write::modify("C3", |u| u.name = None),
        Write::upsert(NewProduct::new("Lamp").id("C4")),
        Write::delete("C5"),
        Write::recreate(NewProduct::new("Sofa").id("C6")),
        Write::delete(" C7"),
    ];
    let printed: Vec<String> = writes.iter().map(|w| format!("{w:?}")).collect();
    let expected = [
        ("Create(", "\"C1\"", "Chair"),
        ("Replace(", "\"C2\"", "Table"),
        ("Modify(", "\"C3\"", ".."),
        ("Upsert(", "\"C4\"", "Lamp"),
        ("Delete(", "\"C5\"", ""),
        ("Recreate(", "\"C6\"", "Sofa"),
        ("Invalid(Delete, ", "C7", ""),
    ];
    for (printed, (kind, id, detail)) in printed.iter().zip(expected) {
        assert!(
            printed.starts_with(kind) && printed.contains(id) && printed.contains(detail),
            "{printed}: {kind} {id} {detail}"
        );
    }
    let job = h.client.products("S23").bulk().concurrency(3);
    let job_printed = format!("{job:?}");
    assert!(
        job_printed.starts_with("BulkWriter") && job_printed.contains("concurrency: 3"),
        "{job_printed}"
    );
    assert_eq!(format!("{:?}", job.run(writes)), "BulkRun");
}
