//! Retries: which failures are tried again for which methods, how long the SDK waits, and what a
//! server's `Retry-After` does to that.

use crate::common;
use crate::hostile;

use common::*;
use dintero_products::{Error, NewGroup, RetryPolicy};
use futures::StreamExt;
use hostile::{Hostile, Reply};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn gets_are_retried_on_a_503_and_creates_are_not_retried_on_a_500() {
    let h = Harness::retrying().await;
    let responder = FailsOnce::new(
        ResponseTemplate::new(503).insert_header("retry-after", "0"),
        ResponseTemplate::new(200).set_body_json(json!({"groups": [group("B1")]})),
    );
    let calls = responder.calls.clone();
    Mock::given(method("GET"))
        .respond_with(responder)
        .mount(&h.server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": {"message": "maybe created"}})),
        )
        .mount(&h.server)
        .await;
    h.client.groups().get("B1").await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let error = h
        .client
        .groups()
        .create(NewGroup::new("x"))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    let posts = h
        .api_requests()
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(
        posts, 1,
        "a POST that may have been processed is never repeated"
    );
}

#[tokio::test]
async fn retry_policies_apply_per_client_and_per_call() {
    let h = Harness::retrying().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .mount(&h.server)
        .await;
    let error = h.client.groups().list().send().await.unwrap_err();
    assert!(error.is_rate_limited());
    assert_eq!(
        h.api_requests().await.len(),
        4,
        "the default policy makes 4 attempts"
    );

    let once = h.client.with_retry_policy(RetryPolicy::none());
    once.groups().list().send().await.unwrap_err();
    assert_eq!(h.api_requests().await.len(), 5, "no retry for this call");
    once.groups().get("B1").await.unwrap_err();
    assert_eq!(
        h.api_requests().await.len(),
        6,
        "gets made through it follow the same policy"
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_the_time_budget_is_not_waited_for() {
    let h = Harness::with_retry(RetryPolicy::default().max_elapsed(Duration::from_secs(2))).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "3600"))
        .mount(&h.server)
        .await;
    let started = Instant::now();
    let error = h.client.groups().list().send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(h.api_requests().await.len(), 1);
}

#[tokio::test]
async fn a_retry_after_within_the_budget_is_waited_for() {
    // The backoff alone would be 1 ms; the server asks for a second, and gets it.
    let h = Harness::retrying().await;
    let responder = FailsOnce::new(
        ResponseTemplate::new(503).insert_header("retry-after", "1"),
        ResponseTemplate::new(200).set_body_json(json!({"groups": []})),
    );
    Mock::given(method("GET"))
        .respond_with(responder)
        .mount(&h.server)
        .await;
    let started = Instant::now();
    h.client.groups().list().send().await.unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(1), "waited only {took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn hostile_retry_after_values_neither_panic_nor_wait() {
    for value in [
        "18446744073709551615",
        "9999999999999999999999",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "-1",
        "1e9",
        "",
    ] {
        let value = value.to_string();
        let server = Hostile::start(move |seen| {
            if seen.is_token_request() {
                Reply::token("t", json!(3600))
            } else {
                // A response that took a second, then asks for an absurd wait.
                Reply::json(503, json!({"error": {"message": "later"}}))
                    .header("retry-after", &value)
                    .after(Duration::from_millis(300))
            }
        })
        .await;
        let client = builder(&server.base_url)
            .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
            .build()
            .unwrap();
        let started = Instant::now();
        let error = client.groups().list().send().await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_create_is_retried_only_when_it_was_certainly_not_processed() {
    // A 429 means the server refused it: retried.
    let h = Harness::retrying().await;
    let responder = FailsOnce::new(
        ResponseTemplate::new(429).insert_header("retry-after", "0"),
        ResponseTemplate::new(201).set_body_json(group("B1")),
    );
    let calls = responder.calls.clone();
    Mock::given(method("POST"))
        .respond_with(responder)
        .mount(&h.server)
        .await;
    h.client
        .groups()
        .create(NewGroup::new("x").id("B1"))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // A timeout may come after the server created it: not retried.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_delay(Duration::from_millis(500))
                .set_body_json(group("B1")),
        )
        .mount(&server)
        .await;
    let client = builder(&server.uri())
        .bearer_token("t")
        .timeout(Duration::from_millis(100))
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let error = client
        .groups()
        .create(NewGroup::new("x"))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    // A refused connection never reached a server: retried (and fails again here).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let client = builder(&format!("http://{address}"))
        .bearer_token("t")
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .groups()
        .create(NewGroup::new("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Transport { source, .. } if source.is_connect()),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(error.to_string(), "could not connect to the API");
    let text = chain(&error).to_lowercase();
    assert_eq!(text.matches("connection refused").count(), 1, "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_token_that_expires_during_a_backoff_is_renewed_before_the_retry() {
    // Tokens live one second; the first attempt fails and the server asks for a 2 s wait.
    let attempts = Arc::new(AtomicUsize::new(0));
    let issued = Arc::new(AtomicUsize::new(0));
    let server = Hostile::start({
        let attempts = attempts.clone();
        let issued = issued.clone();
        move |seen| {
            if seen.is_token_request() {
                let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
                Reply::token(&format!("token-{n}"), json!(1))
            } else if attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::json(503, json!({"error": {"message": "later"}})).header("retry-after", "2")
            } else if seen.header("authorization") == Some("Bearer token-2") {
                Reply::json(200, json!({"groups": []}))
            } else {
                Reply::json(401, json!({"error": {"message": "expired"}}))
            }
        }
    })
    .await;
    let client = builder(&server.base_url).build().unwrap();
    client.groups().list().send().await.unwrap();
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    assert_eq!(attempts.load(Ordering::SeqCst), 2, "no 401 on the way");
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_a_get_but_not_for_a_create() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let server = Hostile::start({
        let attempts = attempts.clone();
        move |seen| {
            if seen.is_token_request() {
                Reply::token("t", json!(3600))
            } else if attempts.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                Reply::Hangup
            } else {
                Reply::json(200, json!({"groups": [], "group_id": "B1"}))
            }
        }
    })
    .await;
    let client = builder(&server.base_url)
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    client.groups().list().send().await.unwrap();
    assert_eq!(attempts.load(Ordering::SeqCst), 2, "the GET went again");

    let error = client
        .groups()
        .create(NewGroup::new("x").id("B1"))
        .await
        .unwrap_err();
    assert!(error.is_outcome_unknown(), "{error:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 3, "the POST did not");
}

#[tokio::test]
async fn a_bulk_job_keeps_the_clients_retry_policy_and_only_raises_its_time_budget() {
    // No retries on the client: a job's writes get a longer time budget, not more attempts.
    let h = Harness::with_retry(RetryPolicy::none()).await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&h.server)
        .await;
    let outcomes: Vec<_> = h
        .client
        .products("S23")
        .bulk()
        .run([dintero_products::Write::delete("C1")])
        .collect()
        .await;
    assert_eq!(outcomes.len(), 1);
    let error = outcomes[0].result.as_ref().unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{error:?}");
    assert_eq!(h.api_requests().await.len(), 1, "sent once, not retried");
}
