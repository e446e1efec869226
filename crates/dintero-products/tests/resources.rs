//! The resource calls: gets through documented lists, and the bodies creates send.

mod common;

use common::*;
use dintero_products::{Error, NewGroup};
use serde_json::json;
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
