//! The token-bucket rate limit, seen from the client side.

use std::time::{Duration, Instant};

use crate::common::{self, AID, Api, error_code};
use dintero_products_fake::{FakeServer, FaultKind, Faults, RateLimit};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Status and `Retry-After` of one list request.
async fn list(api: &Api) -> (StatusCode, Option<String>, Value) {
    let response = api
        .http
        .get(format!("{}/catalogs", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, retry_after, response.json().await.expect("json"))
}

#[tokio::test]
async fn a_burst_beyond_the_bucket_gets_429_then_passes_after_the_wait() {
    let server = FakeServer::builder()
        .rate_limit(RateLimit::per_second(1).burst(3))
        .start()
        .await
        .expect("start");
    server.seed_catalog(AID, "S23", "Sommer");
    // The token endpoint takes no token from the bucket.
    let api = Api::new(&server).await;
    let _ = common::token(&server, AID).await;

    for _ in 0..3 {
        assert_eq!(list(&api).await.0, StatusCode::OK);
    }
    let (status, retry_after, body) = list(&api).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = retry_after
        .as_deref()
        .and_then(|s| s.parse().ok())
        .expect("Retry-After in whole seconds");
    assert_eq!(
        wait, 1,
        "a fraction of a second to the next token, rounded up"
    );
    assert_eq!(error_code(&body), "RATE_LIMITED");

    // A turned-away create is not processed.
    let response = api
        .http
        .post(format!("{}/catalogs/S23/products", api.base))
        .bearer_auth(&api.token)
        .json(&json!({"product_id": "p1"}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(server.product_count(AID, "S23"), 0);
    assert_eq!(server.rate_limited_count(), 2);

    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(list(&api).await.0, StatusCode::OK);

    let log = server.requests();
    let limited: Vec<_> = log.iter().filter(|r| r.rate_limited).collect();
    assert_eq!(limited.len(), 2);
    assert!(
        limited
            .iter()
            .all(|r| r.status == Some(429) && r.fault.is_none()),
        "{limited:?}"
    );
    assert!(
        log.iter()
            .filter(|r| r.path.ends_with("/auth/token"))
            .all(|r| r.status == Some(200) && !r.rate_limited)
    );
}

#[tokio::test]
async fn the_limit_can_be_changed_and_turned_off_at_run_time() {
    let server = FakeServer::start().await;
    let api = Api::new(&server).await;
    for _ in 0..20 {
        assert_eq!(list(&api).await.0, StatusCode::OK, "no limit by default");
    }
    server.set_rate_limit(RateLimit::per_second(1).burst(1));
    assert_eq!(list(&api).await.0, StatusCode::OK);
    assert_eq!(list(&api).await.0, StatusCode::TOO_MANY_REQUESTS);
    // A new limit starts with a full bucket.
    server.set_rate_limit(RateLimit::per_second(1).burst(2));
    assert_eq!(list(&api).await.0, StatusCode::OK);
    assert_eq!(list(&api).await.0, StatusCode::OK);
    assert_eq!(list(&api).await.0, StatusCode::TOO_MANY_REQUESTS);
    server.set_rate_limit(None);
    for _ in 0..20 {
        assert_eq!(list(&api).await.0, StatusCode::OK);
    }
    assert_eq!(server.rate_limited_count(), 2);
}

#[tokio::test]
async fn injected_429s_are_faults_not_rate_limits() {
    let server = FakeServer::builder()
        .rate_limit(RateLimit::per_second(100))
        .faults(Faults::always(FaultKind::RateLimited {
            retry_after_secs: 3,
        }))
        .start()
        .await
        .expect("start");
    let api = Api::new(&server).await;
    let (status, retry_after, _) = list(&api).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after.as_deref(), Some("3"));
    assert_eq!(server.rate_limited_count(), 0);
    let last = server.requests().pop().expect("logged");
    assert!(last.fault_injected() && !last.rate_limited);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sustained_rate_is_the_configured_one() {
    const RATE: u32 = 100;
    const BURST: u32 = 10;
    let server = FakeServer::builder()
        .rate_limit(RateLimit::per_second(RATE).burst(BURST))
        .start()
        .await
        .expect("start");
    let api = Api::new(&server).await;
    // Four clients ask far faster than the limit for a little over a second.
    let started = Instant::now();
    let window = Duration::from_millis(1200);
    let clients = (0..4).map(|_| {
        let (http, url, token) = (
            api.http.clone(),
            format!("{}/groups", api.base),
            api.token.clone(),
        );
        tokio::spawn(async move {
            let mut admitted = 0u32;
            while started.elapsed() < window {
                let response = http.get(&url).bearer_auth(&token).send().await;
                if response.is_ok_and(|r| r.status() == StatusCode::OK) {
                    admitted += 1;
                }
            }
            admitted
        })
    });
    let mut admitted = 0;
    for client in clients {
        admitted += client.await.expect("client");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let expected = f64::from(BURST) + f64::from(RATE) * elapsed;
    let ratio = f64::from(admitted) / expected;
    assert!(
        (0.85..=1.05).contains(&ratio),
        "{admitted} admitted in {elapsed:.2} s, expected about {expected:.0}"
    );
    assert!(
        server.rate_limited_count() > u64::from(admitted),
        "the clients asked faster than the limit"
    );
}
