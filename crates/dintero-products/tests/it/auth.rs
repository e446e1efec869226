//! Authentication: the token request, its cache, its renewal, and a token endpoint that is slow,
//! down, or hostile.

use crate::common;
use crate::hostile;

use common::*;
use dintero_products::{Error, RetryPolicy};
use hostile::{Hostile, Reply, Seen};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_token_is_fetched_once_with_basic_auth_and_dinteros_audience_then_reused() {
    let h = Harness::start().await;
    mount_group_get(&h.server).await;
    for _ in 0..3 {
        h.client.groups().get("B1").await.unwrap();
    }
    assert_eq!(h.tokens_issued(), 1);

    let all = h.server.received_requests().await.unwrap();
    let token_request = &all[0];
    assert_eq!(
        token_request.url.path(),
        format!("/accounts/{AID}/auth/token")
    );
    let basic = token_request
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    use base64::Engine as _;
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    assert_eq!(basic, format!("Basic {expected}"));
    let body: serde_json::Value = serde_json::from_slice(&token_request.body).unwrap();
    // The base URL is the loopback server's; the audience is still Dintero's API.
    assert!(!h.server.uri().contains("api.dintero.com"));
    assert_eq!(
        body,
        json!({"grant_type": "client_credentials", "audience": dintero_audience()})
    );
    for api_request in &all[1..] {
        assert_eq!(
            api_request.headers.get("authorization").unwrap(),
            "Bearer token-1"
        );
    }
}

#[tokio::test]
async fn the_audience_can_be_set_on_the_builder() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(TokenIssuer::default())
        .mount(&server)
        .await;
    mount_group_get(&server).await;
    let audience = format!("https://proxy.example/v1/accounts/{AID}");
    let client = builder(&server.uri())
        .audience(audience.clone())
        .build()
        .unwrap();
    client.groups().get("B1").await.unwrap();
    let token_request = &server.received_requests().await.unwrap()[0];
    let body: serde_json::Value = serde_json::from_slice(&token_request.body).unwrap();
    assert_eq!(body["audience"], json!(audience));
}

#[tokio::test]
async fn a_hundred_concurrent_calls_cause_one_token_request() {
    let h = Harness::start().await;
    mount_group_get(&h.server).await;
    let calls = (0..100).map(|i| {
        let client = h.client.clone();
        tokio::spawn(async move { client.groups().get(format!("B{i}")).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(h.tokens_issued(), 1);
    assert_eq!(h.api_requests().await.len(), 100);
}

#[tokio::test]
async fn an_expiring_token_is_renewed_ahead_of_time() {
    let server = MockServer::start().await;
    let tokens = TokenIssuer {
        expires_in: 1,
        ..TokenIssuer::default()
    };
    Mock::given(method("POST"))
        .and(path(format!("/accounts/{AID}/auth/token")))
        .respond_with(tokens.clone())
        .mount(&server)
        .await;
    mount_group_get(&server).await;
    let client = builder(&server.uri()).build().unwrap();
    client.groups().get("B1").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    client.groups().get("B1").await.unwrap();
    assert_eq!(
        tokens.issued.load(Ordering::SeqCst),
        2,
        "the second call needed a fresh token"
    );
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_retries_once() {
    let h = Harness::start().await;
    // token-1 is refused; token-2 works.
    Mock::given(method("GET"))
        .and(path(api("/groups")))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"message": "token revoked"}})),
        )
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/groups")))
        .and(header("authorization", "Bearer token-2"))
        .respond_with(groups_by_id)
        .mount(&h.server)
        .await;
    let group = h.client.groups().get("B1").await.unwrap();
    assert_eq!(group.id(), "B1");
    assert_eq!(h.tokens_issued(), 2);
    assert_eq!(h.api_requests().await.len(), 2);
}

#[tokio::test]
async fn a_second_401_is_returned_not_retried_forever() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": "UNAUTHORIZED", "message": "no"}})),
        )
        .mount(&h.server)
        .await;
    let error = h.client.groups().get("B1").await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert!(error.is_unauthorized());
    assert_eq!(h.tokens_issued(), 2, "renewed once");
    assert_eq!(h.api_requests().await.len(), 2, "retried once");
}

#[tokio::test]
async fn refused_credentials_are_an_auth_error_with_its_status_and_asked_for_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"message": "invalid client credentials"}})),
        )
        .mount(&server)
        .await;
    // A patient policy: a refusal is final all the same.
    let client = builder(&server.uri())
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let error = client.groups().get("B1").await.unwrap_err();
    let Error::Auth(auth) = &error else {
        panic!("expected an auth error, got {error:?}")
    };
    assert_eq!(auth.status().map(|s| s.as_u16()), Some(401));
    assert!(
        auth.to_string().contains("invalid client credentials"),
        "{auth}"
    );
    assert!(!auth.is_retryable());
    assert!(error.is_unauthorized());
    assert!(!error.is_retryable());
    assert!(!error.to_string().contains(CLIENT_SECRET));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests.len(),
        1,
        "no retry, and no API request without a token"
    );
}

#[tokio::test]
async fn a_static_bearer_token_is_sent_as_is() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer my.jwt.token"))
        .respond_with(groups_by_id)
        .mount(&server)
        .await;
    static_token_client(&server)
        .groups()
        .get("B1")
        .await
        .unwrap();
}

/// A client for `server` with the static bearer token `my.jwt.token`.
fn static_token_client(server: &MockServer) -> dintero_products::Client {
    builder(&server.uri())
        .bearer_token("my.jwt.token")
        .build()
        .unwrap()
}

/// A static token has nothing to renew with: the API's 401 reaches the caller as the API said
/// it, after one request.
#[tokio::test]
async fn a_rejected_static_bearer_token_is_the_apis_401() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"error": {"code": "INVALID_TOKEN", "message": "token revoked"}}),
            ),
        )
        .mount(&server)
        .await;
    let error = static_token_client(&server)
        .groups()
        .list()
        .send()
        .await
        .unwrap_err();
    match &error {
        Error::Api(api) => {
            assert_eq!(api.status.as_u16(), 401);
            assert_eq!(api.message.as_deref(), Some("token revoked"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// A hostile server whose token endpoint answers `token` and whose API answers every list with
/// one group.
async fn token_server(token: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |seen| {
        if seen.is_token_request() {
            token(seen)
        } else {
            Reply::json(200, json!({"groups": [group("B1")]}))
        }
    })
    .await
}

fn client_of(server: &Hostile, policy: RetryPolicy) -> dintero_products::Client {
    builder(&server.base_url)
        .retry_policy(policy)
        .build()
        .unwrap()
}

/// The case: 50 calls at once, a token endpoint that takes 2 s and then answers 503.
/// Every call must end within the retry budget, and the endpoint must see no more token
/// requests than one call's attempts.
#[tokio::test]
async fn fifty_callers_share_one_failing_token_request_within_the_budget() {
    let server = token_server(|_| {
        Reply::json(503, json!({"error": {"message": "down"}})).after(Duration::from_secs(2))
    })
    .await;
    let policy = RetryPolicy::default();
    let client = client_of(&server, policy.clone());
    let started = Instant::now();
    let calls = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            let result = client.groups().get("B1").await;
            (result, started.elapsed())
        })
    });
    let mut took = Vec::new();
    for call in futures::future::join_all(calls).await {
        let (result, elapsed) = call.unwrap();
        let error = result.unwrap_err();
        assert!(matches!(error, Error::Auth(_)), "{error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
        took.push(elapsed);
    }
    took.sort();
    let budget = Duration::from_secs(30);
    assert!(took[49] < budget, "slowest call took {:?}", took[49]);
    let token_requests = server.token_requests();
    assert!(
        (1..=4).contains(&token_requests),
        "{token_requests} token requests; at most max_attempts (4)"
    );
    assert!(server.api_requests().is_empty());
    eprintln!(
        "50 callers, token endpoint 2 s then 503: {token_requests} token requests; calls ended after {:.1} / {:.1} / {:.1} s (min / median / max)",
        took[0].as_secs_f64(),
        took[25].as_secs_f64(),
        took[49].as_secs_f64()
    );
}

#[tokio::test]
async fn a_token_endpoint_failing_at_once_is_asked_at_most_max_attempts_times() {
    let server = token_server(|_| Reply::json(500, json!({"error": {"message": "boom"}}))).await;
    let policy = RetryPolicy::default().initial_backoff(Duration::from_millis(20));
    let client = client_of(&server, policy);
    let calls = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.groups().get("B1").await })
    });
    for call in futures::future::join_all(calls).await {
        assert!(call.unwrap().unwrap_err().is_retryable());
    }
    // One burst: one shared request with its retries, whatever the number of callers.
    let token_requests = server.token_requests();
    assert!(token_requests <= 4, "{token_requests} token requests");
}

/// A token endpoint that asks for an hour's pause is not waited for, and the caller learns how
/// long it asked, as it would from the API.
#[tokio::test]
async fn a_token_endpoints_retry_after_reaches_the_caller() {
    let server = token_server(|_| {
        Reply::json(429, json!({"error": {"message": "slow down"}})).header("retry-after", "3600")
    })
    .await;
    let client = client_of(
        &server,
        RetryPolicy::default().max_elapsed(Duration::from_secs(2)),
    );
    let error = client.groups().get("B1").await.unwrap_err();
    let Error::Auth(auth) = &error else {
        panic!("expected an auth error, got {error:?}")
    };
    assert!(auth.is_retryable(), "a 429 is worth asking again later");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn waiting_for_a_token_counts_against_the_calls_budget() {
    let server =
        token_server(|_| Reply::token("t", json!(3600)).after(Duration::from_secs(10))).await;
    let client = client_of(
        &server,
        RetryPolicy::default().max_elapsed(Duration::from_millis(500)),
    );
    let started = Instant::now();
    let error = client.groups().get("B1").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(error.is_timeout(), "{error:?}");
    assert!(chain(&error).contains("timed out"), "{error}");
}

#[tokio::test]
async fn nonpositive_and_huge_lifetimes_neither_panic_nor_cost_a_token_per_call() {
    for expires_in in [
        json!(0),
        json!(-30),
        json!(18446744073709551615u64),
        json!(1e300),
        json!("soon"),
    ] {
        let server = token_server(move |_| Reply::token("t", expires_in.clone())).await;
        let client = client_of(&server, RetryPolicy::none());
        for _ in 0..5 {
            client.groups().get("B1").await.unwrap();
        }
        assert_eq!(server.token_requests(), 1);
    }
}

#[tokio::test]
async fn a_token_that_cannot_go_in_a_header_is_not_asked_for_again() {
    let server = token_server(|_| Reply::token("bad\nline", json!(3600))).await;
    let client = client_of(
        &server,
        RetryPolicy::default().initial_backoff(Duration::from_millis(1)),
    );
    let error = client.groups().get("B1").await.unwrap_err();
    assert!(matches!(error, Error::Auth(_)), "{error:?}");
    assert!(!error.is_retryable());
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn auth_errors_name_their_cause_and_keep_it_as_source() {
    // Nobody listens: connection refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let client = builder(&format!("http://{address}"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.groups().get("B1").await.unwrap_err();
    assert!(error.is_auth(), "{error:?}");
    // Each layer says its own part: the SDK's kind, what the token request did, and the
    // operating system's cause, once.
    assert_eq!(error.to_string(), "authentication failed");
    let text = chain(&error).to_lowercase();
    assert!(
        text.contains("could not reach the token endpoint"),
        "{text}"
    );
    assert_eq!(text.matches("connection refused").count(), 1, "{text}");
    let auth = std::error::Error::source(&error).expect("the auth error");
    let transport = auth.source().expect("the transport error behind it");
    assert!(transport.downcast_ref::<reqwest::Error>().is_some());
    assert!(error.is_retryable());

    // A token endpoint that never answers: timed out.
    let server =
        token_server(|_| Reply::token("t", json!(60)).after(Duration::from_secs(10))).await;
    let client = builder(&server.base_url)
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.groups().get("B1").await.unwrap_err();
    assert!(
        chain(&error).contains("the token request timed out"),
        "{error}"
    );
    assert!(error.is_timeout());
}

#[tokio::test]
async fn a_redirecting_token_endpoint_is_not_followed() {
    let elsewhere = token_server(|_| Reply::token("stolen", json!(60))).await;
    let target = format!("{}/accounts/{AID}/auth/token", elsewhere.base_url);
    let server =
        token_server(move |_| Reply::json(307, json!({})).header("location", &target)).await;
    let client = client_of(&server, RetryPolicy::none());
    let error = client.groups().get("B1").await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(307));
    assert!(chain(&error).contains("redirect"), "{error}");
    assert!(
        elsewhere.seen().is_empty(),
        "the credentials went elsewhere"
    );
}
