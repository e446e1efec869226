//! Helpers shared by the integration tests: a token, and a small JSON client.

use std::time::Duration;

use dintero_products_fake::FakeServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The account most tests use.
pub const AID: &str = "T12345678";

/// A client with a timeout, so that a hung server fails the test instead of stalling it.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

/// Runs the client-credentials flow and returns the access token.
pub async fn token(server: &FakeServer, aid: &str) -> String {
    let response = http()
        .post(server.token_url(aid))
        .basic_auth(server.client_id(), Some(server.client_secret()))
        .json(&json!({"grant_type": "client_credentials", "audience": server.audience(aid)}))
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("token json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// Percent-encodes one path segment (everything but unreserved characters).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::new();
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An authenticated JSON client for one account of one server.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub async fn new(server: &FakeServer) -> Api {
        Api {
            http: http(),
            base: format!("{}/accounts/{AID}/products", server.base_url()),
            token: token(server, AID).await,
        }
    }

    /// Sends `method` to `<base>/<path>` (path already encoded) and returns status and JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}/{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        assert!(
            response.headers().contains_key("request-id"),
            "every response has a request-id"
        );
        let text = response.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }
}

/// Asserts the documented error shape and returns the code.
pub fn error_code(body: &Value) -> String {
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "error body has a message: {body}"
    );
    error["code"].as_str().expect("error code").to_owned()
}
