//! Fault injection, seen from the client side.

use std::time::{Duration, Instant};

use crate::common::{self, AID, Api, error_code, http};
use dintero_products_fake::{CreateStatus, FakeServer, FaultKind, Faults};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A server with catalog S23 and a token, faults switched on afterwards; creates answer 201.
async fn setup(faults: Faults) -> (FakeServer, Api) {
    let server = FakeServer::builder()
        .create_status(CreateStatus::Created)
        .start()
        .await
        .expect("start");
    server.seed_catalog(AID, "S23", "Sommer");
    let api = Api::new(&server).await;
    server.set_faults(faults);
    server.clear_requests();
    (server, api)
}

fn create(api: &Api, id: &str) -> reqwest::RequestBuilder {
    api.http
        .post(format!("{}/catalogs/S23/products", api.base))
        .bearer_auth(&api.token)
        .json(&json!({"product_id": id, "product_name": "Chair"}))
}

#[tokio::test]
async fn status_fault_answers_a_json_error_before_processing() {
    let (server, api) = setup(Faults::always(FaultKind::Status(503))).await;
    let response = create(&api, "p1").send().await.expect("send");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("request-id"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE");
    assert_eq!(
        server.product_count(AID, "S23"),
        0,
        "the create was not applied"
    );

    let log = server.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, Some(503));
    assert_eq!(log[0].fault, Some(FaultKind::Status(503)));

    server.set_faults(Faults::always(FaultKind::Status(500)));
    let (status, body) = api.get("catalogs").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_code(&body), "INTERNAL_SERVER_ERROR");

    server.set_faults(Faults::new());
    assert_eq!(api.get("catalogs").await.0, StatusCode::OK);
}

#[tokio::test]
async fn html_502_looks_like_a_proxy_page() {
    let (server, api) = setup(Faults::always(FaultKind::Html502)).await;
    let response = create(&api, "p1").send().await.expect("send");
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let body = response.text().await.expect("body");
    assert!(
        body.starts_with("<html>") && body.contains("Bad Gateway"),
        "{body}"
    );
    assert!(serde_json::from_str::<Value>(&body).is_err());
    assert_eq!(server.product_count(AID, "S23"), 0);
}

#[tokio::test]
async fn rate_limited_sends_retry_after() {
    let (server, api) = setup(Faults::always(FaultKind::RateLimited {
        retry_after_secs: 7,
    }))
    .await;
    let response = create(&api, "p1").send().await.expect("send");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert_eq!(server.product_count(AID, "S23"), 0);
}

#[tokio::test]
async fn drop_connection_is_a_transport_error_and_nothing_is_created() {
    let (server, api) = setup(Faults::always(FaultKind::DropConnection)).await;
    let error = create(&api, "p1").send().await.expect_err("no response");
    assert!(!error.is_status() && !error.is_timeout(), "{error:?}");
    assert_eq!(
        server.product_count(AID, "S23"),
        0,
        "the create was not applied"
    );
    let (status, body) = {
        let error = api
            .http
            .get(format!("{}/catalogs", api.base))
            .bearer_auth(&api.token)
            .send()
            .await
            .expect_err("no response");
        (error.status(), error.to_string())
    };
    assert_eq!(status, None, "{body}");

    let log = server.requests();
    assert_eq!(log.len(), 2, "the client did not silently retry: {log:?}");
    assert!(
        log.iter()
            .all(|r| r.status.is_none() && r.fault == Some(FaultKind::DropConnection))
    );

    // The server keeps serving after dropped connections.
    server.set_faults(Faults::new());
    assert_eq!(api.get("catalogs").await.0, StatusCode::OK);
}

#[tokio::test]
async fn truncated_body_applies_the_create_then_cuts_the_answer() {
    let (server, api) = setup(Faults::always(FaultKind::TruncatedBody)).await;
    let response = create(&api, "p1")
        .send()
        .await
        .expect("status and headers arrive");
    assert_eq!(response.status(), StatusCode::CREATED);
    let (announced, received) = read_truncated(response).await;
    assert!(announced > 20);
    assert_eq!(
        received,
        announced / 2,
        "half the body, then the connection closes"
    );
    assert_eq!(
        server.product_count(AID, "S23"),
        1,
        "the create was applied"
    );
    assert_eq!(server.requests()[0].status, Some(201));

    // A blind retry with the same id meets the first attempt.
    server.set_faults(Faults::new());
    let response = create(&api, "p1").send().await.expect("send");
    assert_eq!(response.status(), StatusCode::CONFLICT);
    // Truncation also hits reads.
    server.seed_products(AID, "S23", 100);
    server.set_faults(Faults::always(FaultKind::TruncatedBody));
    let response = api
        .http
        .get(format!("{}/catalogs/S23/products?limit=100", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("headers");
    assert_eq!(response.status(), StatusCode::OK);
    let (announced, received) = read_truncated(response).await;
    assert!(announced > 10_000, "a page of 100 products");
    assert_eq!(received, announced / 2);
}

/// Reads a body that must fail part-way; returns the announced length and the bytes received.
async fn read_truncated(mut response: reqwest::Response) -> (u64, u64) {
    let announced = response.content_length().expect("content-length");
    let mut received = 0u64;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len() as u64,
            Ok(None) => panic!("the body ended cleanly after {received} of {announced} bytes"),
            Err(_) => return (announced, received),
        }
    }
}

#[tokio::test]
async fn slow_answers_late_after_processing() {
    let delay = Duration::from_millis(400);
    let (server, api) = setup(Faults::always(FaultKind::Slow(delay))).await;
    let started = Instant::now();
    let response = create(&api, "p1").send().await.expect("send");
    assert!(started.elapsed() >= delay);
    assert_eq!(response.status(), StatusCode::CREATED);

    // With a client timeout shorter than the delay, the answer is lost but the create stays.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    let error = impatient
        .post(format!("{}/catalogs/S23/products", api.base))
        .bearer_auth(&api.token)
        .json(&json!({"product_name": "no id"}))
        .send()
        .await
        .expect_err("times out");
    assert!(error.is_timeout(), "{error:?}");
    tokio::time::sleep(delay).await;
    assert_eq!(
        server.product_count(AID, "S23"),
        2,
        "both creates were applied"
    );
}

#[tokio::test]
async fn token_endpoint_is_spared_unless_included() {
    let server = FakeServer::builder()
        .faults(Faults::always(FaultKind::Status(500)))
        .start()
        .await
        .expect("start");
    let token = common::token(&server, AID).await;
    let response = http()
        .get(format!(
            "{}/accounts/{AID}/products/groups",
            server.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);

    server.set_faults(Faults::always(FaultKind::Status(500)).include_token_endpoint(true));
    let response = http()
        .post(server.token_url(AID))
        .basic_auth(server.client_id(), Some(server.client_secret()))
        .json(&json!({"grant_type": "client_credentials", "audience": server.audience(AID)}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        server.token_requests(),
        1,
        "no token issued by the faulted call"
    );
}

#[tokio::test]
async fn latency_is_added_to_every_response() {
    let server = FakeServer::builder()
        .latency(Duration::from_millis(150))
        .start()
        .await
        .expect("start");
    let started = Instant::now();
    let _ = common::token(&server, AID).await;
    let response = http()
        .get(format!(
            "{}/accounts/{AID}/products/groups",
            server.base_url()
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

/// Runs the same 60 requests against a fresh server and returns its fault column.
async fn fault_sequence(seed: u64) -> Vec<Option<FaultKind>> {
    let faults = Faults::new()
        .probability(0.35)
        .weighted(FaultKind::Status(503), 2)
        .kind(FaultKind::Html502)
        .kind(FaultKind::RateLimited {
            retry_after_secs: 1,
        })
        .kind(FaultKind::DropConnection)
        .kind(FaultKind::TruncatedBody)
        .kind(FaultKind::Slow(Duration::from_millis(1)));
    let server = FakeServer::builder()
        .seed(seed)
        .faults(faults)
        .start()
        .await
        .expect("start");
    server.seed_catalog(AID, "S23", "Sommer");
    let api = Api::new(&server).await;
    for i in 0..60 {
        let request = if i % 3 == 0 {
            create(&api, &format!("p{i}"))
        } else {
            api.http
                .get(format!("{}/catalogs/S23/products?limit=5", api.base))
                .bearer_auth(&api.token)
        };
        // Whatever happens on the wire, the next request waits for this one.
        if let Ok(response) = request.send().await {
            let _ = response.bytes().await;
        }
    }
    let log = server.requests();
    assert_eq!(log.len(), 61, "the token request and 60 API requests");
    assert_eq!(log[0].fault, None, "the token endpoint is spared");
    log.into_iter().skip(1).map(|r| r.fault).collect()
}

#[tokio::test]
async fn same_seed_same_faults_on_the_same_requests() {
    let a = fault_sequence(7).await;
    let b = fault_sequence(7).await;
    assert_eq!(a, b);
    let injected = a.iter().filter(|f| f.is_some()).count();
    assert!(
        (5..=40).contains(&injected),
        "{injected} faults in 60 requests"
    );
    let c = fault_sequence(8).await;
    assert_ne!(a, c, "another seed, another sequence");
}
