//! Tracing: a span per HTTP attempt, and no secret in any log line. In the `process` binary,
//! with a global subscriber: a per-thread subscriber misses callsites that another test's
//! thread registered first, which made this check flaky beside other tests.

use crate::common;

use common::*;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, ResponseTemplate};

/// Collects everything a tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn traces_name_each_attempt_and_never_hold_secrets_or_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        // Every span closes with its fields, whether or not an event happened inside it.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let h = Harness::retrying().await;
    Mock::given(method("GET"))
        .and(query_param("group_id", "B2"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": {"message": "revoked"}})),
        )
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("group_id", "B3"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&h.server)
        .await;
    mount_group_get(&h.server).await;
    h.client.groups().get("B1").await.unwrap();
    let _ = h.client.groups().get("B2").await.unwrap_err();
    let error = h.client.groups().get("B3").await.unwrap_err();
    let errors = format!("{error} {error:?} {:?}", h.client);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("dintero_products.request"), "{logs}");
    assert!(logs.contains("operation=\"list_groups\""), "{logs}");
    assert!(logs.contains("method=GET"), "{logs}");
    assert!(logs.contains("attempt=4"), "the 503 was retried: {logs}");
    assert!(logs.contains("status=503"), "{logs}");
    assert!(logs.contains("dintero_products.token"), "{logs}");
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
