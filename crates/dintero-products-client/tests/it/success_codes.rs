//! Where the spec's success status is a guess (`x-inferred` on the response), the generated
//! client accepts any 2xx with the same body type: Dintero's creates may answer 200 or 201.

use dintero_products_client::{Client, Hooks, types};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn answering(verb: &str, at: &str, status: u16, body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn create_group_accepts_200_and_201_with_the_same_body() {
    let body = json!({"group_id": "B1", "group_name": "Møbel", "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"});
    for status in [200, 201, 202] {
        let server = answering(
            "POST",
            "/accounts/T12345678/products/groups",
            status,
            body.clone(),
        )
        .await;
        let client = Client::new(&server.uri(), Hooks::none());
        let created: types::GroupResponse = client
            .create_group()
            .aid("T12345678")
            .body(types::CreateGroupBody {
                group_id: Some("B1".parse().unwrap()),
                group_name: Some("Møbel".into()),
            })
            .send()
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"))
            .into_inner();
        assert_eq!(created.group_id.as_deref(), Some("B1"), "{status}");
        assert_eq!(created.group_name.as_deref(), Some("Møbel"), "{status}");
    }
}

#[tokio::test]
async fn create_product_accepts_200_and_201_with_the_same_body() {
    let body = json!({"product_id": "Stol22", "catalog_id": "S23", "unit_gross_price": 10900,
                      "groups": [{"group_id": "B1"}]});
    for status in [200, 201] {
        let server = answering(
            "POST",
            "/accounts/T12345678/products/catalogs/S23/products",
            status,
            body.clone(),
        )
        .await;
        let client = Client::new(&server.uri(), Hooks::none());
        let created: types::ProductDetails = client
            .create_product()
            .aid("T12345678")
            .catalog_id("S23")
            .body(types::CreateProductBody {
                product_id: Some("Stol22".parse().unwrap()),
                ..Default::default()
            })
            .send()
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"))
            .into_inner();
        assert_eq!(created.product_id.as_deref(), Some("Stol22"), "{status}");
        assert_eq!(created.unit_gross_price, Some(10900), "{status}");
        assert_eq!(
            created.groups[0].group_id.as_deref(),
            Some("B1"),
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_seen_status_stays_exact_and_errors_stay_errors() {
    // The catalogs list's 200 was seen in Dintero's reference: another 2xx is still unexpected.
    let server = answering(
        "GET",
        "/accounts/T12345678/products/catalogs",
        201,
        json!({"catalogs": []}),
    )
    .await;
    let client = Client::new(&server.uri(), Hooks::none());
    match client.list_catalogs().aid("T12345678").send().await {
        Err(dintero_products_client::Error::UnexpectedResponse(response)) => {
            assert_eq!(response.status(), 201)
        }
        other => panic!("expected an unexpected response, got {other:?}"),
    }

    // A 429 is declared on every operation: it decodes into Dintero's error body.
    let server = answering(
        "POST",
        "/accounts/T12345678/products/groups",
        429,
        json!({"error": {"code": "TOO MANY REQUESTS", "message": "slow down"}}),
    )
    .await;
    let client = Client::new(&server.uri(), Hooks::none());
    let result = client
        .create_group()
        .aid("T12345678")
        .body(types::CreateGroupBody::default())
        .send()
        .await;
    match result {
        Err(dintero_products_client::Error::ErrorResponse(response)) => {
            assert_eq!(response.status(), 429);
            assert_eq!(response.error.message, "slow down");
        }
        other => panic!("expected a typed 429, got {other:?}"),
    }
}
