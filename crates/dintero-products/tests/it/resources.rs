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

/// Answers with `replies` in turn, and with the last for ever after: a server whose state
/// keeps flipping, or one that keeps failing.
fn in_turn(replies: Vec<ResponseTemplate>) -> impl Fn(&Request) -> ResponseTemplate {
    let replies = Mutex::new(std::collections::VecDeque::from(replies));
    move |_: &Request| {
        let mut replies = replies.lock().unwrap();
        match replies.len() {
            1 => replies[0].clone(),
            _ => replies.pop_front().expect("a reply to give"),
        }
    }
}

fn failing(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"error": {"message": "no"}}))
}

fn listing(products: Vec<serde_json::Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "products": products }))
}

/// A product catalog whose lookups, creates and replaces answer in turn as given.
async fn catalog(
    h: &Harness,
    lookups: Vec<ResponseTemplate>,
    creates: Vec<ResponseTemplate>,
    replaces: Vec<ResponseTemplate>,
) {
    for (verb, replies) in [("GET", lookups), ("POST", creates), ("PUT", replaces)] {
        if !replies.is_empty() {
            Mock::given(method(verb))
                .respond_with(in_turn(replies))
                .mount(&h.server)
                .await;
        }
    }
}

/// How many requests of each verb the server saw: (lookups, creates, replaces).
async fn sent(h: &Harness) -> (usize, usize, usize) {
    let requests = h.api_requests().await;
    let count = |verb: &str| {
        requests
            .iter()
            .filter(|r| r.method.as_str() == verb)
            .count()
    };
    (count("GET"), count("POST"), count("PUT"))
}

/// A loop whose bound slipped would go round for ever: fail in seconds instead.
async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(10), future)
        .await
        .expect("ends: a job that meets the same race every time must give up")
}

async fn upsert_stol22(h: &Harness) -> Result<Written<dintero_products::Product>, Error> {
    let products = h.client.products("S23");
    bounded(products.upsert(NewProduct::new("Stablestol").id("Stol22"))).await
}

async fn create_stol22_once(h: &Harness) -> Result<Written<dintero_products::Product>, Error> {
    let products = h.client.products("S23");
    bounded(products.create_once(NewProduct::new("Stablestol").id("Stol22"))).await
}

#[tokio::test]
async fn upsert_racing_other_writers_round_after_round_gives_up_after_three_rounds() {
    let h = Harness::start().await;
    // Never there when looked up, always there when created: another writer creates and
    // deletes it in between, every time.
    catalog(&h, vec![listing(vec![])], vec![failing(409)], vec![]).await;
    let error = upsert_stol22(&h).await.unwrap_err();
    assert!(error.is_conflict(), "{error:?}");
    assert_eq!(sent(&h).await, (3, 3, 0));
}

#[tokio::test]
async fn upsert_returns_a_failure_that_is_no_race_at_once() {
    let stol = product("Stol22", "Old", "stk");
    // (lookups, creates, replaces) and the status that must come back, after (lookups,
    // creates, replaces) requests: only a 404 of the lookup or the replace and a 409 of the
    // create are races worth another turn.
    let cases = [
        (vec![failing(500)], vec![], vec![], 500, (1, 0, 0)),
        (
            vec![listing(vec![])],
            vec![failing(400)],
            vec![],
            400,
            (1, 1, 0),
        ),
        (
            vec![listing(vec![stol.clone()])],
            vec![],
            vec![failing(422)],
            422,
            (1, 0, 1),
        ),
        (
            vec![listing(vec![stol])],
            vec![],
            vec![failing(409)],
            409,
            (1, 0, 1),
        ),
    ];
    for (lookups, creates, replaces, status, requests) in cases {
        let h = Harness::start().await;
        catalog(&h, lookups, creates, replaces).await;
        let error = upsert_stol22(&h).await.unwrap_err();
        assert_eq!(
            error.status().map(|s| s.as_u16()),
            Some(status),
            "{error:?}"
        );
        assert_eq!(sent(&h).await, requests, "{error}");
    }
}

fn stol22(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(product("Stol22", "Stablestol", "stk"))
}

#[tokio::test]
async fn create_once_sends_again_a_create_that_certainly_did_not_land() {
    let h = Harness::start().await;
    // A 500 (did it land?); the lookup does not find it; the second create lands.
    catalog(
        &h,
        vec![listing(vec![])],
        vec![failing(500), stol22(201)],
        vec![],
    )
    .await;
    let written = create_stol22_once(&h).await.unwrap();
    assert!(matches!(written, Written::Created(_)), "{written:?}");
    assert_eq!(sent(&h).await, (1, 2, 0));
}

#[tokio::test]
async fn create_once_gives_up_after_four_creates_that_did_not_land() {
    let h = Harness::start().await;
    catalog(&h, vec![listing(vec![])], vec![failing(500)], vec![]).await;
    let error = create_stol22_once(&h).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500), "{error:?}");
    assert_eq!(sent(&h).await, (4, 4, 0));
}

#[tokio::test]
async fn create_once_that_cannot_look_returns_the_creates_own_failure() {
    let h = Harness::start().await;
    // The create's outcome is unknown and the lookup fails: sending it again could make it
    // twice, so the caller gets the create's error, naming what happened to the create.
    catalog(&h, vec![failing(503)], vec![failing(502)], vec![]).await;
    let error = create_stol22_once(&h).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502), "{error:?}");
    assert_eq!(sent(&h).await, (1, 1, 0));
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
    let sync = h
        .client
        .products("S23")
        .sync(dintero_products::Desired::products(vec![]))
        .prune(true)
        .max_deletes(dintero_products::MaxDeletes::Count(7))
        .concurrency(2);
    let sync_printed = format!("{sync:?}");
    for part in [
        "CatalogSync",
        "S23",
        "prune: true",
        "max_deletes: Count(7)",
        "concurrency: 2",
        "journal: None",
    ] {
        assert!(sync_printed.contains(part), "{part} in {sync_printed}");
    }
}
