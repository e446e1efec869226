//! Single calls against a loopback server: authentication, input checks, paths and errors.

mod common;

use common::*;
use dintero_products::{Error, NewGroup, NewProduct, RetryPolicy};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn mount_group_get(h: &Harness) {
    Mock::given(method("GET"))
        .and(path_regex(format!("^/accounts/{AID}/products/groups/.+$")))
        .respond_with(|_: &Request| ResponseTemplate::new(200).set_body_json(group("B1")))
        .mount(&h.server)
        .await;
}

#[tokio::test]
async fn the_token_is_fetched_once_with_basic_auth_and_the_documented_body_then_reused() {
    let h = Harness::start().await;
    mount_group_get(&h).await;
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
    assert_eq!(
        body,
        json!({"grant_type": "client_credentials", "audience": format!("{}/accounts/{AID}", h.server.uri())})
    );
    for api_request in &all[1..] {
        assert_eq!(
            api_request.headers.get("authorization").unwrap(),
            "Bearer token-1"
        );
    }
}

#[tokio::test]
async fn a_hundred_concurrent_calls_cause_one_token_request() {
    let h = Harness::start().await;
    mount_group_get(&h).await;
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
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(group("B1")))
        .mount(&server)
        .await;
    let client = builder(&server.uri()).build().unwrap();
    client.groups().get("B1").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
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
        .and(path(api("/groups/B1")))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"message": "token revoked"}})),
        )
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/groups/B1")))
        .and(header("authorization", "Bearer token-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(group("B1")))
        .mount(&h.server)
        .await;
    let group = h.client.groups().get("B1").await.unwrap();
    assert_eq!(group.group_id.as_deref(), Some("B1"));
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
    assert_eq!(h.tokens_issued(), 2, "renewed once");
    assert_eq!(h.api_requests().await.len(), 2, "retried once");
}

#[tokio::test]
async fn a_failing_token_endpoint_is_an_auth_error_with_its_status() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"message": "invalid client credentials"}})),
        )
        .mount(&server)
        .await;
    let client = builder(&server.uri()).build().unwrap();
    let error = client.groups().get("B1").await.unwrap_err();
    match &error {
        Error::Auth { status, message } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(401));
            assert!(message.contains("invalid client credentials"), "{message}");
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
    assert!(!error.to_string().contains(CLIENT_SECRET));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "no API request without a token");
}

#[tokio::test]
async fn a_static_bearer_token_is_sent_as_is() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer my.jwt.token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(group("B1")))
        .mount(&server)
        .await;
    let client = builder(&server.uri())
        .bearer_token("my.jwt.token")
        .build()
        .unwrap();
    client.groups().get("B1").await.unwrap();
}

#[tokio::test]
async fn bad_ids_and_limits_are_rejected_before_any_request() {
    let h = Harness::start().await;
    let c = &h.client;
    let long = "x".repeat(256);
    let bad_ids = ["", " B1", "B1 ", "B\u{0}1", "..", ".", long.as_str()];
    for bad in bad_ids {
        for error in [
            c.groups().get(bad).await.unwrap_err(),
            c.groups().delete(bad).await.unwrap_err(),
            c.catalogs().get(bad).await.unwrap_err(),
            c.products(bad).get("P1").await.unwrap_err(),
            c.products("S23").get(bad).await.unwrap_err(),
            c.products(bad).list().send().await.unwrap_err(),
            c.groups().list().group_id(bad).send().await.unwrap_err(),
            c.groups()
                .create(NewGroup::new("x").id(bad))
                .await
                .unwrap_err(),
            c.products("S23")
                .create(NewProduct::new("x").group(bad))
                .await
                .unwrap_err(),
        ] {
            assert!(
                matches!(error, Error::InvalidInput(_)),
                "{bad:?}: {error:?}"
            );
        }
    }
    for limit in [0, 101, -1] {
        let error = c.groups().list().limit(limit).send().await.unwrap_err();
        assert!(error.to_string().contains("between 1 and 100"), "{error}");
        let mut stream = c.catalogs().list().limit(limit).items();
        use futures::StreamExt as _;
        assert!(matches!(
            stream.next().await,
            Some(Err(Error::InvalidInput(_)))
        ));
        assert!(stream.next().await.is_none());
    }
    let error = c
        .products("S23")
        .create(NewProduct::new("x").price(100, "nok"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("currency"), "{error}");
    assert!(
        h.server.received_requests().await.unwrap().is_empty(),
        "not even a token request"
    );
}

#[tokio::test]
async fn ids_are_percent_encoded_into_one_path_segment() {
    let h = Harness::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"product_id": "x"})))
        .mount(&h.server)
        .await;
    for id in ["a/b", "100%", "Møbel stol", "what?#frag", "../etc"] {
        h.client.products("S 23/x").delete(id).await.unwrap();
    }
    let paths: Vec<String> = h
        .api_requests()
        .await
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    let prefix = format!("/accounts/{AID}/products/catalogs/S%2023%2Fx/products/");
    let expected = [
        "a%2Fb",
        "100%25",
        "M%C3%B8bel%20stol",
        "what%3F%23frag",
        "..%2Fetc",
    ];
    for (path, id) in paths.iter().zip(expected) {
        assert_eq!(path, &format!("{prefix}{id}"));
    }
    assert_eq!(paths.len(), 5);
}

#[tokio::test]
async fn api_errors_keep_status_code_message_and_request_id() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("request-id", "req-42")
                .set_body_json(json!({"error": {"code": "NOT FOUND", "message": "no group B9"}})),
        )
        .mount(&h.server)
        .await;
    let error = h.client.groups().get("B9").await.unwrap_err();
    assert!(error.is_not_found());
    assert!(!error.is_retryable());
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.code.as_deref(), Some("NOT FOUND"));
    assert_eq!(api.message.as_deref(), Some("no group B9"));
    assert_eq!(api.request_id.as_deref(), Some("req-42"));
    assert_eq!(
        error.to_string(),
        "the API answered 404 Not Found: no group B9 (NOT FOUND) [request id req-42]"
    );
}

#[tokio::test]
async fn an_html_error_page_keeps_its_status_and_a_snippet() {
    for status in [500u16, 502] {
        let h = Harness::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_raw("<html><h1>Bad Gateway</h1></html>", "text/html"),
            )
            .mount(&h.server)
            .await;
        let error = h.client.groups().get("B1").await.unwrap_err();
        assert_eq!(
            error.status().map(|s| s.as_u16()),
            Some(status),
            "{error:?}"
        );
        assert!(error.is_retryable());
        let Error::Api(api) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(
            api.body_snippet.as_deref(),
            Some("<html><h1>Bad Gateway</h1></html>")
        );
    }
}

#[tokio::test]
async fn a_malformed_success_body_is_a_decode_error_with_the_json_path() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"groups": [group("B1"), {"group_id": 5}]})),
        )
        .mount(&h.server)
        .await;
    let error = h.client.groups().list().send().await.unwrap_err();
    match &error {
        Error::Decode { status, path, .. } => {
            assert_eq!(status.as_u16(), 200);
            assert_eq!(path, "groups[1].group_id");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn create_sends_the_builders_body_and_returns_the_created_object() {
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(api("/groups")))
        .respond_with(|request: &Request| {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            ResponseTemplate::new(201).set_body_json(json!({
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
    assert_eq!(group.group_id.as_deref(), Some("B1"));
    assert_eq!(group.group_name.as_deref(), Some("Møbel"));
}

#[tokio::test]
async fn gets_are_retried_on_a_503_and_creates_are_not_retried_on_a_500() {
    let h = Harness::retrying().await;
    let responder = FailsOnce::new(
        ResponseTemplate::new(503).insert_header("retry-after", "0"),
        ResponseTemplate::new(200).set_body_json(group("B1")),
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

/// Collects everything a tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn traces_name_each_attempt_and_never_hold_secrets_or_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::retrying().await;
    Mock::given(method("GET"))
        .and(path(api("/groups/B1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(group("B1")))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/groups/B2")))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": {"message": "revoked"}})),
        )
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/groups/B3")))
        .respond_with(ResponseTemplate::new(503))
        .mount(&h.server)
        .await;
    h.client.groups().get("B1").await.unwrap();
    let _ = h.client.groups().get("B2").await.unwrap_err();
    let error = h.client.groups().get("B3").await.unwrap_err();
    let errors = format!("{error} {error:?} {:?}", h.client);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("dintero_products.request"), "{logs}");
    assert!(
        logs.contains("operation=\"get_group\"") || logs.contains("operation=get_group"),
        "{logs}"
    );
    assert!(logs.contains("attempt=4"), "the 503 was retried: {logs}");
    assert!(logs.contains("status=503"), "{logs}");
    for secret in [CLIENT_SECRET, "token-1", "token-2", "token-3"] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
        assert!(!errors.contains(secret), "{secret} leaked into an error");
    }
    use base64::Engine as _;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    assert!(
        !logs.contains(&basic),
        "the Basic credentials leaked into the logs"
    );
}

async fn answering(template: ResponseTemplate) -> Harness {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .respond_with(template)
        .mount(&h.server)
        .await;
    h
}

#[tokio::test]
async fn bad_success_bodies_are_decode_errors_that_keep_the_status() {
    let cases = [
        ("empty", ResponseTemplate::new(200)),
        (
            "not json",
            ResponseTemplate::new(200).set_body_raw("<html>hi</html>", "text/html"),
        ),
        (
            "truncated",
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"groups": [{"group_id": "B1"#, "application/json"),
        ),
        (
            "wrong types",
            ResponseTemplate::new(200).set_body_json(json!({"groups": "not a list"})),
        ),
    ];
    for (name, template) in cases {
        let h = answering(template).await;
        let error = h.client.groups().list().send().await.unwrap_err();
        assert!(matches!(error, Error::Decode { .. }), "{name}: {error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(200), "{name}");
        assert!(!error.is_retryable(), "{name}");
    }
}

#[tokio::test]
async fn unknown_fields_and_unexpected_values_are_tolerated() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "groups": [{"group_id": "B1", "group_name": "x".repeat(1000), "colour": "new field", "nested": {"a": [1]}}],
            "starting_after": null,
            "total": 1
        })))
        .mount(&h.server)
        .await;
    let page = h.client.groups().list().send().await.unwrap();
    assert_eq!(
        page.items()[0].group_name.as_ref().map(String::len),
        Some(1000)
    );
    assert!(!page.has_more(), "a null cursor is the end");

    // A token response with a token type this SDK has never seen still works.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "t", "token_type": "DPoP", "expires_in": 60, "scope": "read:products"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(group("B1")))
        .mount(&server)
        .await;
    let client = builder(&server.uri()).build().unwrap();
    client.groups().get("B1").await.unwrap();
}

#[tokio::test]
async fn ten_megabyte_bodies_neither_panic_nor_bloat_errors() {
    // A valid 10 MB page decodes.
    let big_name = "ø".repeat(5_000);
    let items: Vec<_> = (0..1_000)
        .map(|i| json!({"group_id": format!("B{i}"), "group_name": big_name}))
        .collect();
    let h = answering(ResponseTemplate::new(200).set_body_json(json!({"groups": items}))).await;
    let page = h.client.groups().list().send().await.unwrap();
    assert_eq!(page.len(), 1_000);

    // A 10 MB error page keeps its status, and only a bounded snippet of its body.
    let junk = "<p>".repeat(10 * 1024 * 1024 / 3);
    let h = answering(ResponseTemplate::new(502).set_body_raw(junk, "text/html")).await;
    let error = h.client.groups().get("B1").await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert!(api.body_snippet.as_ref().unwrap().len() <= 520);
    assert!(error.to_string().len() < 1_000);
}

#[tokio::test]
async fn retry_policies_apply_per_client_and_per_call() {
    let h = Harness::retrying().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .mount(&h.server)
        .await;
    let error = h.client.groups().get("B1").await.unwrap_err();
    assert!(error.is_rate_limited());
    assert_eq!(
        h.api_requests().await.len(),
        4,
        "the default policy makes 4 attempts"
    );

    let once = h.client.with_retry_policy(RetryPolicy::none());
    once.groups().get("B1").await.unwrap_err();
    assert_eq!(h.api_requests().await.len(), 5, "no retry for this call");
    once.groups().list().send().await.unwrap_err();
    assert_eq!(
        h.api_requests().await.len(),
        6,
        "lists made through it follow the same policy"
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_the_time_budget_is_not_waited_for() {
    let h =
        Harness::with_retry(RetryPolicy::default().max_elapsed(std::time::Duration::from_secs(2)))
            .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "3600"))
        .mount(&h.server)
        .await;
    let started = std::time::Instant::now();
    let error = h.client.groups().get("B1").await.unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(
        error.retry_after(),
        Some(std::time::Duration::from_secs(3600))
    );
    assert_eq!(h.api_requests().await.len(), 1);
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
                .set_delay(std::time::Duration::from_millis(500))
                .set_body_json(group("B1")),
        )
        .mount(&server)
        .await;
    let client = builder(&server.uri())
        .bearer_token("t")
        .timeout(std::time::Duration::from_millis(100))
        .retry_policy(RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(1)))
        .build()
        .unwrap();
    let error = client
        .groups()
        .create(NewGroup::new("x"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
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
                .initial_backoff(std::time::Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let started = std::time::Instant::now();
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
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn checked_values_are_accepted_as_they_are() {
    let h = Harness::start().await;
    mount_group_get(&h).await;
    let id = dintero_products::GroupId::new("B1").unwrap();
    h.client.groups().get(&id).await.unwrap();
    h.client.groups().get(id.clone()).await.unwrap();
    h.client.groups().get(String::from("B1")).await.unwrap();
    let catalog = dintero_products::CatalogId::new("S23").unwrap();
    let _products = h.client.products(catalog);
    let _list = h
        .client
        .groups()
        .list()
        .limit(dintero_products::PageSize::MAX)
        .group_id(id);
    assert_eq!(h.api_requests().await.len(), 3);
}
