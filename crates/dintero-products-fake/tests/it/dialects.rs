//! Dialects: each switch both ways, as a client on loopback sees it (statuses, bodies, headers,
//! which items a filter returns), and the `KEY=VALUE` spelling.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::{AID, Api, encode_segment, error_code, http, token};
use dintero_products_client::types::ProductDetails;
use dintero_products_fake::{
    AudienceCheck, CreateStatus, Dialect, DialectError, EndSignal, FakeServer, GroupsInUpdate,
    HeaderName, LimitOverMax, Match, MatchKind, Route, UpdateSemantics,
};
use proptest::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn start(dialect: Dialect) -> (FakeServer, Api) {
    let server = FakeServer::builder()
        .dialect(dialect)
        .start()
        .await
        .expect("start");
    let api = Api::new(&server).await;
    (server, api)
}

fn strings(value: &Value, array: &str, key: &str) -> Vec<String> {
    value[array]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn product(value: &Value) -> ProductDetails {
    serde_json::from_value(value.clone()).expect("a ProductDetails")
}

/// The path of `path` under the account's products API, as the server logs and names it.
fn full_path(path: &str) -> String {
    format!("/v1/accounts/{AID}/products/{path}")
}

/// What an unknown path answers, to compare a switched-off route with.
async fn unknown_path_answer(api: &Api, path: &str) -> (StatusCode, Value) {
    api.get(path).await
}

#[tokio::test]
async fn create_answers_200_or_201_and_changes_at_run_time() {
    let (server, api) = start(Dialect::default()).await;
    server.seed_catalog(AID, "S23", "Sommer");
    for (path, body) in [
        ("catalogs", json!({"catalog_id": "A"})),
        ("groups", json!({"group_id": "A"})),
        ("catalogs/S23/products", json!({"product_id": "A"})),
    ] {
        assert_eq!(api.post(path, body).await.0, StatusCode::OK, "{path}");
    }
    server.set_dialect(Dialect::default().create_status(CreateStatus::Created));
    assert_eq!(server.dialect().create_status, CreateStatus::Created);
    for (path, body) in [
        ("catalogs", json!({"catalog_id": "B"})),
        ("groups", json!({"group_id": "B"})),
        ("catalogs/S23/products", json!({"product_id": "B"})),
    ] {
        assert_eq!(api.post(path, body).await.0, StatusCode::CREATED, "{path}");
    }
    // The builder's shortcut and the dialect are one setting; the later call wins.
    let shortcut = FakeServer::builder()
        .dialect(Dialect::default())
        .create_status(CreateStatus::Created)
        .start()
        .await
        .expect("start");
    assert_eq!(shortcut.dialect().create_status, CreateStatus::Created);
    let replaced = FakeServer::builder()
        .create_status(CreateStatus::Created)
        .dialect(Dialect::default())
        .start()
        .await
        .expect("start");
    assert_eq!(replaced.dialect(), Dialect::default());
}

#[tokio::test]
async fn get_routes_switched_off_answer_as_unknown_paths() {
    let (server, api) = start(Dialect::default()).await;
    server.seed_catalog(AID, "S23", "Sommer");
    server.seed_products(AID, "S23", 1);
    let routes = [
        (Route::GetCatalog, "catalogs/S23", "route.get_catalog"),
        (Route::GetGroup, "groups/G000001", "route.get_group"),
        (
            Route::GetProduct,
            "catalogs/S23/products/P000001",
            "route.get_product",
        ),
    ];
    for (route, path, key) in routes {
        assert_eq!(api.get(path).await.0, StatusCode::OK, "{path} exists");

        server.set_dialect(Dialect::default().route(route, false));
        assert!(!server.dialect().serves(route));
        let (status, body) = api.get(path).await;
        let (unknown_status, unknown) = unknown_path_answer(&api, "nothing-here").await;
        assert_eq!(status, unknown_status, "{path}");
        assert_eq!(error_code(&body), error_code(&unknown));
        assert_eq!(
            body["error"]["message"],
            format!("no route for {}", full_path(path)),
            "{key}"
        );
        // Before the token, as for a path the API never had.
        let anonymous = http()
            .get(format!("{}/{path}", api.base))
            .send()
            .await
            .expect("send");
        assert_eq!(anonymous.status(), StatusCode::NOT_FOUND, "{path}");
        let head = http()
            .head(format!("{}/{path}", api.base))
            .bearer_auth(&api.token)
            .send()
            .await
            .expect("send");
        assert_eq!(head.status(), StatusCode::NOT_FOUND, "{path}");
        // The other methods of the path, and the lists, still answer.
        assert_eq!(api.put(path, json!({})).await.0, StatusCode::OK, "{path}");
        let allow = allowed(&api, path).await;
        assert!(
            !allow.contains("GET") && !allow.contains("HEAD"),
            "{allow:?}"
        );
        assert!(allow.contains("PUT"), "{allow:?}");
        let list = path.rsplit_once('/').map_or(path, |(list, _)| list);
        assert_eq!(api.get(list).await.0, StatusCode::OK, "{list}");

        // The spelling of the doctor's fact, both ways.
        server.set_dialect(format!("{key}=off").parse().expect("a setting"));
        assert_eq!(api.get(path).await.0, StatusCode::NOT_FOUND, "{key}=off");
        server.set_dialect(format!("{key}=on").parse().expect("a setting"));
        assert_eq!(api.get(path).await.0, StatusCode::OK, "{key}=on");
        assert!(allowed(&api, path).await.contains("GET"));
    }
    server.set_dialect("routes.get=off".parse().expect("a setting"));
    for (route, path, _) in routes {
        assert!(!server.dialect().serves(route));
        assert_eq!(api.get(path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}

/// The methods a `405` on `path` lists in `Allow`.
async fn allowed(api: &Api, path: &str) -> BTreeSet<String> {
    let response = http()
        .post(format!("{}/{path}", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    response
        .headers()
        .get("allow")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(|method| method.trim().to_owned())
        .filter(|method| !method.is_empty())
        .collect()
}

#[tokio::test]
async fn the_product_delete_route_switched_off_answers_as_an_unknown_path() {
    let (server, api) = start(Dialect::default().route(Route::DeleteProduct, false)).await;
    server.seed_products(AID, "S23", 2);
    let path = "catalogs/S23/products/P000001";
    let (status, body) = api.delete(path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "NOT FOUND");
    assert_eq!(
        body["error"]["message"],
        format!("no route for {}", full_path(path))
    );
    assert_eq!(server.product_count(AID, "S23"), 2, "nothing was deleted");
    let allow = allowed(&api, path).await;
    assert_eq!(
        allow,
        ["GET", "HEAD", "PUT"].map(String::from).into(),
        "DELETE is not listed"
    );
    // Catalogs and groups keep their deletes.
    assert_eq!(api.delete("groups/G000001").await.0, StatusCode::OK);

    server.set_dialect("route.delete_product=on".parse().expect("a setting"));
    assert_eq!(api.delete(path).await.0, StatusCode::OK);
    assert_eq!(server.product_count(AID, "S23"), 1);
    assert!(allowed(&api, path).await.contains("DELETE"));
}

/// Ids and names crafted so that every rule selects a different set for the text `AB-1`.
const CRAFTED: [&str; 4] = ["AB-1", "AB-2", "XAB-1", "ab-10"];

/// What each rule selects from [`CRAFTED`] for `AB-1`.
fn crafted_expectations() -> [(Match, &'static [&'static str]); 6] {
    [
        (Match::exact(), &["AB-1"]),
        (Match::exact().ignoring_case(), &["AB-1"]),
        (Match::prefix(), &["AB-1"]),
        (Match::prefix().ignoring_case(), &["AB-1", "ab-10"]),
        (Match::substring(), &["AB-1", "XAB-1"]),
        (
            Match::substring().ignoring_case(),
            &["AB-1", "XAB-1", "ab-10"],
        ),
    ]
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[tokio::test]
async fn each_filter_matches_as_its_rule_says() {
    let (server, api) = start(Dialect::default()).await;
    server.seed_catalog(AID, "IDS", "By id");
    server.seed_catalog(AID, "NAMES", "By name");
    for (n, crafted) in CRAFTED.iter().enumerate() {
        let body = json!({"product_id": crafted, "product_name": format!("name {n}")});
        assert_eq!(
            api.post("catalogs/IDS/products", body).await.0,
            StatusCode::OK
        );
        let body = json!({"product_id": format!("n{n}"), "product_name": crafted});
        assert_eq!(
            api.post("catalogs/NAMES/products", body).await.0,
            StatusCode::OK
        );
        let body = json!({"group_id": crafted});
        assert_eq!(api.post("groups", body).await.0, StatusCode::OK);
    }
    let filtered =
        |path: &'static str, param: &'static str, array: &'static str, key: &'static str| {
            let api = &api;
            async move {
                let (status, page) = api
                    .get(&format!(
                        "{path}?limit=100&{param}={}",
                        encode_segment("AB-1")
                    ))
                    .await;
                assert_eq!(status, StatusCode::OK, "{page}");
                strings(&page, array, key)
                    .into_iter()
                    .collect::<BTreeSet<_>>()
            }
        };

    // The default dialect: ids exact, names case-insensitive substrings.
    let ids = filtered(
        "catalogs/IDS/products",
        "product_id",
        "products",
        "product_id",
    );
    assert_eq!(ids.await, set(&["AB-1"]));
    let groups = filtered("groups", "group_id", "groups", "group_id");
    assert_eq!(groups.await, set(&["AB-1"]));
    let names = filtered(
        "catalogs/NAMES/products",
        "product_name",
        "products",
        "product_name",
    );
    assert_eq!(names.await, set(&["AB-1", "XAB-1", "ab-10"]));

    for (rule, expected) in crafted_expectations() {
        let spelled = rule.to_string();
        server.set_dialect(
            Dialect::from_settings([format!("filter.product_id={spelled}")]).expect("setting"),
        );
        let ids = filtered(
            "catalogs/IDS/products",
            "product_id",
            "products",
            "product_id",
        );
        assert_eq!(ids.await, set(expected), "filter.product_id={spelled}");

        server.set_dialect(Dialect::default().group_id_filter(rule));
        let groups = filtered("groups", "group_id", "groups", "group_id");
        assert_eq!(groups.await, set(expected), "filter.group_id={spelled}");

        server.set_dialect(Dialect::default().product_name_filter(rule));
        let names = filtered(
            "catalogs/NAMES/products",
            "product_name",
            "products",
            "product_name",
        );
        assert_eq!(names.await, set(expected), "filter.product_name={spelled}");
    }
}

#[tokio::test]
async fn name_filters_apply_to_seeded_products_too() {
    let (server, api) = start(Dialect::default()).await;
    server.seed_products(AID, "S23", 12);
    let names = |page: &Value| strings(page, "products", "product_id");
    for (rule, text, expected) in [
        (
            "prefix",
            "Product 00001",
            vec!["P000010", "P000011", "P000012"],
        ),
        ("prefix", "product 00001", vec![]),
        (
            "prefix_ci",
            "product 00001",
            vec!["P000010", "P000011", "P000012"],
        ),
        ("exact", "Product 000007", vec!["P000007"]),
        ("substring", "12", vec!["P000012"]),
    ] {
        server.set_dialect(
            Dialect::from_settings([format!("filter.product_name={rule}")]).expect("setting"),
        );
        let (status, page) = api
            .get(&format!(
                "catalogs/S23/products?limit=100&product_name={}",
                encode_segment(text)
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(names(&page), expected, "{rule} {text:?}");
    }
}

/// The rule spelled out again, independently of the fake, for the proptest to compare with.
fn reference(rule: Match, field: &str, text: &str) -> bool {
    let fold = |s: &str| -> String {
        if rule.case_insensitive {
            s.chars().flat_map(char::to_lowercase).collect()
        } else {
            s.to_owned()
        }
    };
    let (field, text) = (fold(field), fold(text));
    match rule.kind {
        MatchKind::Exact => field == text,
        MatchKind::Prefix => field.starts_with(&text),
        MatchKind::Substring => field.contains(&text),
    }
}

const RULES: [Match; 6] = [
    Match::exact(),
    Match::prefix(),
    Match::substring(),
    Match::exact().ignoring_case(),
    Match::prefix().ignoring_case(),
    Match::substring().ignoring_case(),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// For any set of ids and any filter text, each rule of the `product_id` filter returns
    /// exactly the ids the reference predicate selects. A small alphabet, with case pairs and
    /// a non-ASCII pair, makes matches of every kind likely.
    #[test]
    fn the_product_id_filter_selects_what_the_reference_does(
        ids in prop::collection::btree_set("[aAbBéÉ1-]{1,4}", 0..8),
        text in "[aAbBéÉ1-]{0,3}",
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let (server, api) = start(Dialect::default()).await;
            server.seed_catalog(AID, "S23", "Sommer");
            for id in &ids {
                let (status, body) = api
                    .post("catalogs/S23/products", json!({"product_id": id}))
                    .await;
                prop_assert_eq!(status, StatusCode::OK, "{}", body);
            }
            for rule in RULES {
                server.set_dialect(Dialect::default().product_id_filter(rule));
                let path = format!(
                    "catalogs/S23/products?limit=100&product_id={}",
                    encode_segment(&text)
                );
                let (status, page) = api.get(&path).await;
                prop_assert_eq!(status, StatusCode::OK, "{}", page);
                let got: BTreeSet<String> = strings(&page, "products", "product_id")
                    .into_iter()
                    .collect();
                let expected: BTreeSet<String> = ids
                    .iter()
                    .filter(|id| reference(rule, id, &text))
                    .cloned()
                    .collect();
                prop_assert_eq!(&got, &expected, "{} {:?}", rule, text);
                prop_assert!(got.iter().all(|id| rule.matches(id, &text)));
            }
            Ok(())
        })?;
    }
}

/// A product with every kind of writable field set, and a field the fake does not know.
fn full_product() -> Value {
    json!({
        "product_id": "Stol22",
        "product_name": "Stablestol",
        "description": "For utendørsbruk",
        "unit_gross_price": 10900,
        "unit": "stk",
        "currency": "NOK",
        "is_virtual_product": true,
        "groups": [{"group_id": "B1", "group_name": "Møbel"}],
        "locations": [{"location_id": "SC_Oslo", "number_of_items_in_storage": 15}],
        "dimension": {"color": "red"},
        "custom": {"kept": 1}
    })
}

#[tokio::test]
async fn updates_replace_or_merge() {
    let (server, api) = start(Dialect::default()).await;
    server.seed_catalog(AID, "S23", "Sommer");
    let path = "catalogs/S23/products/Stol22";
    assert_eq!(
        api.post("catalogs/S23/products", full_product()).await.0,
        StatusCode::OK
    );

    // Replace (the default): what the body leaves out is cleared.
    let (status, replaced) = api
        .put(path, json!({"product_name": "Renamed", "other": 2}))
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    let typed = product(&replaced);
    assert_eq!(typed.product_name.as_deref(), Some("Renamed"));
    assert_eq!(typed.description, None);
    assert_eq!(typed.unit_gross_price, None);
    assert_eq!(typed.currency, None);
    assert!(!typed.is_virtual_product);
    assert!(typed.locations.is_empty() && typed.dimension.is_none());
    assert_eq!(
        replaced.get("custom"),
        None,
        "unknown fields are replaced too"
    );
    assert_eq!(replaced["other"], 2);
    assert_eq!(typed.groups.len(), 1, "groups are kept when not sent");

    // Merge: what the body leaves out keeps its value.
    assert_eq!(api.delete(path).await.0, StatusCode::OK);
    api.post("catalogs/S23/products", full_product()).await;
    server.set_dialect("update.semantics=merge".parse().expect("a setting"));
    let (status, merged) = api
        .put(
            path,
            json!({"product_name": "Renamed", "description": null, "other": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let typed = product(&merged);
    assert_eq!(typed.product_name.as_deref(), Some("Renamed"));
    assert_eq!(typed.description, None, "a null is sent, so it clears");
    assert_eq!(typed.unit_gross_price, Some(10900));
    assert_eq!(typed.unit.as_deref(), Some("stk"));
    assert_eq!(typed.currency.as_deref(), Some("NOK"));
    assert!(typed.is_virtual_product);
    assert_eq!(typed.locations.len(), 1);
    assert_eq!(
        typed.dimension.and_then(|d| d.color).as_deref(),
        Some("red")
    );
    assert_eq!(merged["custom"], json!({"kept": 1}), "unknown fields merge");
    assert_eq!(merged["other"], 2);
    let (_, read) = api.get(path).await;
    assert_eq!(read, merged, "what is stored is what was answered");
    // An empty merge changes nothing but the time of the update.
    let (_, again) = api.put(path, json!({})).await;
    assert_eq!(again["unit_gross_price"], 10900);
    assert!(product(&again).updated_at > product(&merged).updated_at);
}

#[tokio::test]
async fn groups_in_an_update_are_applied_ignored_or_rejected() {
    let (server, api) = start(Dialect::default()).await;
    server.seed_catalog(AID, "S23", "Sommer");
    let path = "catalogs/S23/products/Stol22";
    api.post("catalogs/S23/products", full_product()).await;
    let groups = |value: &Value| strings(value, "groups", "group_id");
    let other = json!({"product_name": "Stol", "groups": [{"group_id": "B2"}]});

    // Applied (the default): the product's groups become the ones sent.
    let (status, body) = api.call(Method::PUT, path, Some(other.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(groups(&body), ["B2"]);
    let (_, read) = api.get(path).await;
    assert_eq!(groups(&read), ["B2"]);
    // Parsed from the text, where a key sent twice would be an error (a `Value` keeps one).
    let text = http()
        .get(format!("{}/{path}", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    let typed: Result<ProductDetails, _> = serde_json::from_str(&text);
    assert!(typed.is_ok_and(|p| p.groups.len() == 1), "{text}");

    // Ignored: accepted, and nothing changes.
    server.set_dialect(Dialect::default().groups_in_update(GroupsInUpdate::Ignored));
    let ignored = json!({"product_name": "Stol", "groups": [{"group_id": "B3"}]});
    let (status, body) = api.put(path, ignored).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(groups(&body), ["B2"]);
    assert_eq!(product(&body).groups.len(), 1);
    assert_eq!(groups(&api.get(path).await.1), ["B2"]);

    // Rejected: 400 naming the field; without the field the update goes through.
    server.set_dialect("update.groups=rejected".parse().expect("a setting"));
    for body in [other, json!({"product_name": "Stol", "groups": null})] {
        let (status, error) = api.put(path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error_code(&error), "BAD_REQUEST");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("groups"), "{message}");
    }
    assert_eq!(api.get(path).await.1["product_name"], "Stol");
    let (status, body) = api.put(path, json!({"product_name": "Chair"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["product_name"], "Chair");
    assert_eq!(groups(&body), ["B2"]);
}

#[tokio::test]
async fn deleting_a_catalog_cascades_or_leaves_its_products() {
    // Cascading (the default): the products go with the catalog.
    let (server, api) = start(Dialect::default()).await;
    server.seed_products(AID, "S23", 3);
    assert_eq!(api.delete("catalogs/S23").await.0, StatusCode::OK);
    assert_eq!(server.product_count(AID, "S23"), 0);
    assert_eq!(
        api.get("catalogs/S23/products").await.0,
        StatusCode::NOT_FOUND
    );
    api.post("catalogs", json!({"catalog_id": "S23"})).await;
    assert_eq!(
        api.get("catalogs/S23/products").await.1,
        json!({"products": []})
    );

    // Not cascading: the catalog is gone, its products stay under its id.
    let (server, api) = start("delete_catalog.cascades=false".parse().expect("setting")).await;
    assert!(!server.dialect().delete_catalog_cascades);
    server.seed_catalog(AID, "S23", "Sommer");
    server.seed_products(AID, "S23", 3);
    assert_eq!(api.delete("catalogs/S23").await.0, StatusCode::OK);
    assert_eq!(api.get("catalogs/S23").await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.delete("catalogs/S23").await.0, StatusCode::NOT_FOUND);
    assert!(strings(&api.get("catalogs").await.1, "catalogs", "catalog_id").is_empty());
    assert_eq!(server.product_count(AID, "S23"), 3);
    let (status, page) = api.get("catalogs/S23/products?product_id=P000002").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(strings(&page, "products", "product_id"), ["P000002"]);
    assert_eq!(
        api.get("catalogs/S23/products/P000001").await.0,
        StatusCode::OK
    );
    let (status, updated) = api
        .put(
            "catalogs/S23/products/P000001",
            json!({"product_name": "Kept"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["product_name"], "Kept");
    assert_eq!(
        api.delete("catalogs/S23/products/P000003").await.0,
        StatusCode::OK
    );
    let (status, _) = api
        .post("catalogs/S23/products", json!({"product_id": "new"}))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no creating in a deleted catalog"
    );
    // Created again, the catalog has them back.
    api.post("catalogs", json!({"catalog_id": "S23"})).await;
    let (_, page) = api.get("catalogs/S23/products").await;
    assert_eq!(
        strings(&page, "products", "product_id"),
        ["P000001", "P000002"]
    );
    assert_eq!(page["products"][0]["product_name"], "Kept");
    assert_eq!(server.product_count(AID, "S23"), 2);
    // Seeding continues the numbering of the products it got back.
    assert_eq!(server.seed_products(AID, "S23", 1), 4..5);
}

#[tokio::test]
async fn a_limit_over_the_maximum_is_an_error_or_clamped() {
    let (server, api) = start(Dialect::default()).await;
    server.seed_products(AID, "S23", 250);
    let count = |page: &Value| page["products"].as_array().map_or(0, Vec::len);

    let (status, body) = api.get("catalogs/S23/products?limit=101").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "today's: an error");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1..=100"))
    );
    assert_eq!(
        count(&api.get("catalogs/S23/products?limit=100").await.1),
        100
    );

    server.set_dialect(Dialect::default().limit_over_max(LimitOverMax::Clamped));
    let (status, page) = api.get("catalogs/S23/products?limit=101").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count(&page), 100);
    let (status, page) = api
        .get("catalogs/S23/products?limit=99999999999999999999999")
        .await;
    assert_eq!((status, count(&page)), (StatusCode::OK, 100));
    assert_eq!(
        api.get("catalogs/S23/products?limit=0").await.0,
        StatusCode::BAD_REQUEST
    );

    server.set_dialect(
        Dialect::from_settings(["list.limit_max=5", "list.limit_over_max=error"])
            .expect("settings"),
    );
    assert_eq!(
        count(&api.get("catalogs/S23/products").await.1),
        5,
        "10 > 5"
    );
    assert_eq!(count(&api.get("catalogs/S23/products?limit=5").await.1), 5);
    let (status, body) = api.get("catalogs/S23/products?limit=6").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1..=5"))
    );
    assert_eq!(api.get("groups?limit=6").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(api.get("catalogs?limit=6").await.0, StatusCode::BAD_REQUEST);

    server.set_dialect(
        Dialect::default()
            .limit_max(5)
            .limit_over_max(LimitOverMax::Clamped),
    );
    assert_eq!(count(&api.get("catalogs/S23/products?limit=6").await.1), 5);

    server.set_dialect(Dialect::default().limit_max(200));
    assert_eq!(
        count(&api.get("catalogs/S23/products?limit=200").await.1),
        200
    );
    assert_eq!(
        api.get("catalogs/S23/products?limit=201").await.0,
        StatusCode::BAD_REQUEST
    );
}

/// Pages through `list` (a path under the account's products) with `limit`, following the
/// cursor found under `cursor_key`, or the last id when `None`; returns each page's ids and
/// whether it carried a cursor.
async fn walk(
    api: &Api,
    list: &str,
    array: &str,
    id_key: &str,
    limit: usize,
    cursor_key: Option<&str>,
) -> Vec<(Vec<String>, bool)> {
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            None => format!("{list}?limit={limit}"),
            Some(after) => format!(
                "{list}?limit={limit}&starting_after={}",
                encode_segment(after)
            ),
        };
        let (status, page) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        let ids = strings(&page, array, id_key);
        let cursor = cursor_key.and_then(|key| page[key].as_str().map(str::to_owned));
        let keys: Vec<&String> = page
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert!(keys.len() <= 2, "the array and at most a cursor: {keys:?}");
        let empty = ids.is_empty();
        pages.push((ids.clone(), cursor.is_some()));
        after = match cursor_key {
            Some(_) => cursor,
            None if empty => None,
            None => ids.last().cloned(),
        };
        if after.is_none() {
            return pages;
        }
        assert!(pages.len() < 20, "runaway paging");
    }
}

fn seeded(range: std::ops::Range<u32>) -> Vec<String> {
    range
        .map(dintero_products_fake::seeded_product_id)
        .collect()
}

#[tokio::test]
async fn the_cursor_key_and_the_end_of_a_list_follow_the_dialect() {
    let (server, api) = start(Dialect::default()).await;
    server.seed_products(AID, "S23", 6);
    let products = "catalogs/S23/products";

    // Today's: `starting_after`, absent on the last page even when it is full.
    let pages = walk(
        &api,
        products,
        "products",
        "product_id",
        3,
        Some("starting_after"),
    )
    .await;
    assert_eq!(pages, [(seeded(1..4), true), (seeded(4..7), false)]);

    // Another key name, on every list.
    server.set_dialect("list.cursor_key=next_page".parse().expect("a setting"));
    let pages = walk(
        &api,
        products,
        "products",
        "product_id",
        3,
        Some("next_page"),
    )
    .await;
    assert_eq!(pages, [(seeded(1..4), true), (seeded(4..7), false)]);
    let (_, page) = api.get("catalogs/S23/products?limit=1").await;
    assert!(page.get("starting_after").is_none() && page["next_page"].is_string());
    let (_, page) = api.get("groups?limit=1").await;
    assert!(page["next_page"].is_string(), "{page}");
    api.post("catalogs", json!({"catalog_id": "W1"})).await;
    let (_, page) = api.get("catalogs?limit=1").await;
    assert!(page["next_page"].is_string(), "{page}");

    // The end as an empty page: a full last page still has a cursor, and so does a short one.
    server.set_dialect(Dialect::default().end_signal(EndSignal::EmptyPage));
    let pages = walk(
        &api,
        products,
        "products",
        "product_id",
        3,
        Some("starting_after"),
    )
    .await;
    assert_eq!(
        pages,
        [(seeded(1..4), true), (seeded(4..7), true), (vec![], false)]
    );
    let pages = walk(
        &api,
        products,
        "products",
        "product_id",
        4,
        Some("starting_after"),
    )
    .await;
    assert_eq!(
        pages,
        [(seeded(1..5), true), (seeded(5..7), true), (vec![], false)]
    );

    // No cursor at all: the client sends the last id it saw, and stops at an empty page.
    server.set_dialect("list.cursor_key=none".parse().expect("a setting"));
    let pages = walk(&api, products, "products", "product_id", 3, None).await;
    assert_eq!(
        pages,
        [
            (seeded(1..4), false),
            (seeded(4..7), false),
            (vec![], false)
        ]
    );
    let groups = walk(&api, "groups", "groups", "group_id", 2, None).await;
    assert_eq!(groups.len(), 4, "5 groups in pages of 2, then an empty one");
    // A plain id is a cursor only in that dialect; an opaque cursor is then just an id.
    let after_p2 = format!("catalogs/S23/products?starting_after={}", seeded(2..3)[0]);
    assert_eq!(api.get(&after_p2).await.0, StatusCode::OK);
    server.set_dialect(Dialect::default());
    assert_eq!(api.get(&after_p2).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_not_found_code_is_the_dialects_on_every_404() {
    let (server, api) = start(Dialect::default()).await;
    server.seed_catalog(AID, "S23", "Sommer");
    for path in [
        "catalogs/NONE",
        "catalogs/S23/products/NONE",
        "groups/NONE",
        "nothing-here",
    ] {
        assert_eq!(error_code(&api.get(path).await.1), "NOT FOUND", "{path}");
    }
    server.set_dialect(
        Dialect::default()
            .not_found_code("not_found")
            .route(Route::GetProduct, false),
    );
    for path in [
        "catalogs/NONE",
        "catalogs/S23/products/NONE",
        "groups/NONE",
        "nothing-here",
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(error_code(&body), "not_found", "{path}");
    }
    let (status, body) = api.delete("catalogs/NONE").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found".to_owned())
    );
    // Other errors keep their codes.
    let (status, body) = api.get("catalogs?limit=0").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "BAD_REQUEST".to_owned())
    );
    server.set_dialect("error.not_found_code=Not Found".parse().expect("a setting"));
    assert_eq!(error_code(&api.get("groups/NONE").await.1), "Not Found");
}

#[tokio::test]
async fn the_request_id_travels_in_the_dialects_header_or_in_none() {
    let server = FakeServer::start().await;
    let token = token(&server, AID).await;
    let url = format!("{}/accounts/{AID}/products/catalogs", server.base_url());
    let send = || http().get(&url).bearer_auth(&token).send();

    let response = send().await.expect("send");
    let id = response.headers().get("request-id").cloned();
    assert!(id.is_some(), "today's: request-id");
    let logged = server.requests().pop().map(|r| r.request_id);
    assert_eq!(id.and_then(|v| v.to_str().ok().map(str::to_owned)), logged);

    server
        .set_dialect(Dialect::default().request_id_header(HeaderName::from_static("x-request-id")));
    let response = send().await.expect("send");
    assert!(response.headers().get("request-id").is_none());
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok());
    assert_eq!(
        id.map(str::to_owned),
        server.requests().pop().map(|r| r.request_id)
    );
    // Errors and unknown paths carry it too.
    let response = http()
        .get(format!("{}/nowhere", server.base_url()))
        .send()
        .await
        .expect("send");
    assert!(response.headers().contains_key("x-request-id"));

    server.set_dialect("header.request_id=none".parse().expect("a setting"));
    let response = send().await.expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        !response
            .headers()
            .keys()
            .any(|name| name.as_str().contains("request-id")),
        "{:?}",
        response.headers()
    );
    assert!(
        server
            .requests()
            .pop()
            .is_some_and(|r| r.request_id.starts_with("fake-")),
        "the log has the id all the same"
    );
}

#[tokio::test]
async fn tokens_say_their_lifetime_and_check_the_audience_as_the_dialect_says() {
    let server = FakeServer::builder()
        .token_lifetime(Duration::from_secs(90))
        .start()
        .await
        .expect("start");
    let request = |audience: String| {
        http()
            .post(server.token_url(AID))
            .basic_auth(server.client_id(), Some(server.client_secret()))
            .json(&json!({"grant_type": "client_credentials", "audience": audience}))
            .send()
    };
    let response = request(server.audience(AID)).await.expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["expires_in"], 90);

    let elsewhere = format!("{}/accounts/{AID}", server.base_url());
    let refused = request(elsewhere.clone()).await.expect("send");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "today's: exact");

    server.set_dialect(Dialect::default().audience(AudienceCheck::Any));
    let accepted = request(elsewhere).await.expect("send");
    assert_eq!(accepted.status(), StatusCode::OK);
    let body: Value = accepted.json().await.expect("json");
    let token = body["access_token"].as_str().unwrap_or_default();
    let listed = http()
        .get(format!(
            "{}/accounts/{AID}/products/catalogs",
            server.base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    assert_eq!(listed.status(), StatusCode::OK, "the token works");
    // The grant type is still checked.
    let wrong_grant = http()
        .post(server.token_url(AID))
        .basic_auth(server.client_id(), Some(server.client_secret()))
        .json(&json!({"grant_type": "password", "audience": "x"}))
        .send()
        .await
        .expect("send");
    assert_eq!(wrong_grant.status(), StatusCode::BAD_REQUEST);
    server.set_dialect("token.audience=exact".parse().expect("a setting"));
    assert_eq!(
        request("x".to_owned()).await.expect("send").status(),
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn every_key_parses_to_its_field() {
    let parse =
        |setting: &str| -> Dialect { setting.parse().unwrap_or_else(|e| panic!("{setting}: {e}")) };
    let d = Dialect::default();
    let cases: Vec<(&str, Dialect)> = vec![
        (
            "create.status=201",
            d.clone().create_status(CreateStatus::Created),
        ),
        ("create=201", d.clone().create_status(CreateStatus::Created)),
        ("create.status=200", d.clone()),
        (
            "route.get_catalog=off",
            d.clone().route(Route::GetCatalog, false),
        ),
        (
            "route.get_group=false",
            d.clone().route(Route::GetGroup, false),
        ),
        (
            "route.get_product=off",
            d.clone().route(Route::GetProduct, false),
        ),
        (
            "route.delete_product=off",
            d.clone().route(Route::DeleteProduct, false),
        ),
        ("route.get_product=on", d.clone()),
        ("routes.get=off", d.clone().get_routes(false)),
        (
            "filter.product_id=prefix_ci",
            d.clone().product_id_filter(Match::prefix().ignoring_case()),
        ),
        (
            "filter.group_id=substring",
            d.clone().group_id_filter(Match::substring()),
        ),
        (
            "filter.product_name=exact",
            d.clone().product_name_filter(Match::exact()),
        ),
        (
            "update.semantics=merge",
            d.clone().update(UpdateSemantics::Merge),
        ),
        ("update=merge", d.clone().update(UpdateSemantics::Merge)),
        (
            "update.groups=ignored",
            d.clone().groups_in_update(GroupsInUpdate::Ignored),
        ),
        (
            "update.groups=rejected",
            d.clone().groups_in_update(GroupsInUpdate::Rejected),
        ),
        (
            "delete_catalog.cascades=false",
            d.clone().delete_catalog_cascades(false),
        ),
        ("delete_catalog.cascades=on", d.clone()),
        ("list.limit_max=250", d.clone().limit_max(250)),
        (
            "list.limit_over_max=clamped",
            d.clone().limit_over_max(LimitOverMax::Clamped),
        ),
        ("list.cursor_key=next", d.clone().cursor_key("next")),
        ("list.cursor_key=none", d.clone().no_cursor_key()),
        (
            "list.end_signal=empty_page",
            d.clone().end_signal(EndSignal::EmptyPage),
        ),
        (
            "error.not_found_code=Not found = gone",
            d.clone().not_found_code("Not found = gone"),
        ),
        ("error.not_found_code=", d.clone().not_found_code("")),
        (
            "header.request_id=X-Request-Id",
            d.clone()
                .request_id_header(HeaderName::from_static("x-request-id")),
        ),
        ("header.request_id=none", d.clone().no_request_id_header()),
        ("token.audience=any", d.clone().audience(AudienceCheck::Any)),
    ];
    for (key, _) in Dialect::keys() {
        assert!(
            cases
                .iter()
                .any(|(setting, _)| setting.starts_with(&format!("{key}="))),
            "{key} is covered"
        );
    }
    for (setting, expected) in cases {
        assert_eq!(parse(setting), expected, "{setting}");
    }
}

#[test]
fn bad_settings_name_the_key_and_what_it_accepts() {
    let error = "update.semantic=merge"
        .parse::<Dialect>()
        .expect_err("unknown key");
    assert_eq!(
        error,
        DialectError::UnknownKey {
            key: "update.semantic".to_owned()
        }
    );
    let message = error.to_string();
    assert!(message.contains("\"update.semantic\""), "{message}");
    for (key, _) in Dialect::keys() {
        assert!(message.contains(key), "{message} lists {key}");
    }

    for (setting, key, accepted) in [
        ("create.status=202", "create.status", "200, 201"),
        ("route.get_product=maybe", "route.get_product", "on, off"),
        ("routes.get=", "routes.get", "on, off"),
        (
            "filter.product_id=fuzzy",
            "filter.product_id",
            "substring_ci",
        ),
        (
            "filter.product_name=EXACT",
            "filter.product_name",
            "prefix_ci",
        ),
        (
            "update.semantics=patch",
            "update.semantics",
            "replace, merge",
        ),
        (
            "update.groups=dropped",
            "update.groups",
            "applied, ignored, rejected",
        ),
        (
            "delete_catalog.cascades=yes",
            "delete_catalog.cascades",
            "true, false",
        ),
        ("list.limit_max=0", "list.limit_max", "a whole number"),
        ("list.limit_max=ten", "list.limit_max", "a whole number"),
        (
            "list.limit_over_max=clamp",
            "list.limit_over_max",
            "error, clamped",
        ),
        ("list.cursor_key=products", "list.cursor_key", "or none"),
        ("list.cursor_key=", "list.cursor_key", "or none"),
        (
            "list.end_signal=short_page",
            "list.end_signal",
            "no_cursor, empty_page",
        ),
        ("header.request_id=a b", "header.request_id", "header name"),
        ("token.audience=some", "token.audience", "exact, any"),
    ] {
        let error = setting.parse::<Dialect>().expect_err(setting);
        assert!(
            matches!(&error, DialectError::BadValue { key: k, .. } if k == key),
            "{setting}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&format!("{key:?}")) && message.contains(accepted),
            "{setting}: {message}"
        );
    }

    let error = "update.semantics".parse::<Dialect>().expect_err("no =");
    assert!(matches!(error, DialectError::NotKeyValue { .. }));
    assert!(error.to_string().contains("KEY=VALUE"));
}

#[test]
fn settings_apply_in_order_and_round_trip() {
    let dialect = Dialect::from_settings([
        "update.semantics=merge",
        "routes.get=off",
        "route.get_group=on",
        "update.semantics=replace",
        "list.cursor_key=next",
        "error.not_found_code=Not Found",
    ])
    .expect("settings");
    assert_eq!(
        dialect.changes(),
        [
            "route.get_catalog=off",
            "route.get_product=off",
            "list.cursor_key=next",
            "error.not_found_code=Not Found",
        ]
    );
    assert_eq!(
        dialect.to_string(),
        "route.get_catalog=off route.get_product=off list.cursor_key=next error.not_found_code=Not Found"
    );
    assert_eq!(
        Dialect::from_settings(dialect.settings()),
        Ok(dialect.clone())
    );
    assert_eq!(
        Dialect::from_settings(dialect.changes()),
        Ok(dialect.clone())
    );
    // `apply` builds on what is there; a bad setting stops it.
    let more = dialect.clone().apply(["create=201"]).expect("applies");
    assert_eq!(more.create_status, CreateStatus::Created);
    assert!(!more.get_catalog_route);
    assert!(dialect.apply(["create=201", "nope=1"]).is_err());
}

fn dialects() -> impl Strategy<Value = Dialect> {
    let rule = prop::sample::select(RULES.to_vec());
    (
        (
            any::<bool>(),
            any::<[bool; 4]>(),
            rule.clone(),
            rule.clone(),
            rule,
        ),
        (
            prop::sample::select(vec![UpdateSemantics::Replace, UpdateSemantics::Merge]),
            prop::sample::select(vec![
                GroupsInUpdate::Applied,
                GroupsInUpdate::Ignored,
                GroupsInUpdate::Rejected,
            ]),
            any::<bool>(),
            1..1000u32,
            any::<bool>(),
        ),
        (
            prop::option::of("[a-z_]{1,12}"),
            any::<bool>(),
            "[ -~]{0,12}",
            prop::option::of("x-[a-z]{1,8}"),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (created, routes, id_rule, group_rule, name_rule),
                (update, groups, cascades, max, clamped),
                (cursor, empty_page, code, header, any_audience),
            )| {
                let mut dialect = Dialect::default()
                    .create_status(if created {
                        CreateStatus::Created
                    } else {
                        CreateStatus::Ok
                    })
                    .route(Route::GetCatalog, routes[0])
                    .route(Route::GetGroup, routes[1])
                    .route(Route::GetProduct, routes[2])
                    .route(Route::DeleteProduct, routes[3])
                    .product_id_filter(id_rule)
                    .group_id_filter(group_rule)
                    .product_name_filter(name_rule)
                    .update(update)
                    .groups_in_update(groups)
                    .delete_catalog_cascades(cascades)
                    .limit_max(max)
                    .limit_over_max(if clamped {
                        LimitOverMax::Clamped
                    } else {
                        LimitOverMax::Error
                    })
                    .end_signal(if empty_page {
                        EndSignal::EmptyPage
                    } else {
                        EndSignal::NoCursor
                    })
                    .not_found_code(code)
                    .audience(if any_audience {
                        AudienceCheck::Any
                    } else {
                        AudienceCheck::Exact
                    });
                dialect = match cursor.as_deref() {
                    Some("none" | "catalogs" | "groups" | "products") | None => {
                        dialect.no_cursor_key()
                    }
                    Some(key) => dialect.cursor_key(key),
                };
                match header {
                    Some(name) => dialect.request_id_header(
                        HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                    ),
                    None => dialect.no_request_id_header(),
                }
            },
        )
}

proptest! {
    /// Any dialect spelled out is itself again: the spelling loses nothing.
    #[test]
    fn any_dialect_round_trips_through_its_spelling(dialect in dialects()) {
        prop_assert_eq!(Dialect::from_settings(dialect.settings()), Ok(dialect.clone()));
        prop_assert_eq!(Dialect::from_settings(dialect.changes()), Ok(dialect));
    }
}
