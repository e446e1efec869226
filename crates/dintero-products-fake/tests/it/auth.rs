//! The token endpoint and authentication of the API routes.

use std::time::Duration;

use crate::common::{self, AID, Api, error_code, http, token};
use dintero_products_fake::FakeServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn token_call(
    server: &FakeServer,
    aid: &str,
    credentials: Option<(&str, &str)>,
    body: Value,
) -> (StatusCode, Value) {
    let mut request = http().post(server.token_url(aid)).json(&body);
    if let Some((id, secret)) = credentials {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.expect("token request");
    (response.status(), response.json().await.expect("json"))
}

fn good_body(server: &FakeServer, aid: &str) -> Value {
    json!({"grant_type": "client_credentials", "audience": server.audience(aid)})
}

#[tokio::test]
async fn token_flow_issues_a_bearer_token() {
    let server = FakeServer::start().await;
    let creds = Some((server.client_id(), server.client_secret()));
    let (status, body) = token_call(&server, AID, creds, good_body(&server, AID)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 4 * 60 * 60);
    let token = body["access_token"].as_str().expect("token");
    assert!(token.len() >= 32);
    assert_eq!(server.token_requests(), 1);

    let response = http()
        .get(format!(
            "{}/accounts/{AID}/products/catalogs",
            server.base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("list");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, json!({"catalogs": []}));

    // A second token is different, and both work.
    let second = common::token(&server, AID).await;
    assert_ne!(second, token);
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn token_rejects_bad_or_missing_credentials() {
    let server = FakeServer::start().await;
    let body = good_body(&server, AID);
    for creds in [
        None,
        Some(("fake-client-id", "wrong")),
        Some(("wrong", "fake-client-secret")),
    ] {
        let (status, error) = token_call(&server, AID, creds, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{creds:?}");
        assert_eq!(error_code(&error), "UNAUTHORIZED");
    }
    // A bearer token is not a client credential.
    let response = http()
        .post(server.token_url(AID))
        .bearer_auth("fake-client-secret")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(server.token_requests(), 0);
}

#[tokio::test]
async fn custom_credentials_and_lifetime() {
    let server = FakeServer::builder()
        .credentials("my-id", "my-secret")
        .token_lifetime(Duration::from_secs(60))
        .start()
        .await
        .expect("start");
    assert_eq!(server.client_id(), "my-id");
    let body = good_body(&server, AID);
    let (status, _) = token_call(
        &server,
        AID,
        Some(("fake-client-id", "fake-client-secret")),
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, token) = token_call(&server, AID, Some(("my-id", "my-secret")), body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(token["expires_in"], 60);
}

#[tokio::test]
async fn token_rejects_bad_grant_audience_account_and_body() {
    let server = FakeServer::start().await;
    let creds = Some((server.client_id(), server.client_secret()));
    let cases = [
        json!({"grant_type": "password", "audience": server.audience(AID)}),
        json!({"grant_type": "client_credentials", "audience": server.audience("T00000000")}),
        json!({"grant_type": "client_credentials", "audience": format!("{}/accounts/{AID}/x", server.base_url())}),
        json!({"grant_type": "client_credentials"}),
        json!({"audience": server.audience(AID)}),
        json!("not an object"),
    ];
    for body in cases {
        let (status, error) = token_call(&server, AID, creds, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&error), "BAD_REQUEST");
    }
    // Not JSON at all.
    let response = http()
        .post(server.token_url(AID))
        .basic_auth(server.client_id(), Some(server.client_secret()))
        .body("{grant_type")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // An account id that does not match ^[PT]\d{8}$.
    let (status, error) =
        token_call(&server, "X12345678", creds, good_body(&server, "X12345678")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("X12345678")
    );
    assert_eq!(server.token_requests(), 0);
}

#[tokio::test]
async fn tokens_expire() {
    let server = FakeServer::builder()
        .token_lifetime(Duration::from_secs(1))
        .start()
        .await
        .expect("start");
    let creds = Some((server.client_id(), server.client_secret()));
    let (_, body) = token_call(&server, AID, creds, good_body(&server, AID)).await;
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().expect("token").to_owned();
    let url = format!("{}/accounts/{AID}/products/groups", server.base_url());
    let status = |t: String| {
        let url = url.clone();
        async move {
            http()
                .get(url)
                .bearer_auth(t)
                .send()
                .await
                .expect("send")
                .status()
        }
    };
    assert_eq!(status(token.clone()).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = http()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "UNAUTHORIZED");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("expired")
    );
}

#[tokio::test]
async fn revoked_tokens_get_401() {
    let server = FakeServer::start().await;
    let api = Api::new(&server).await;
    assert_eq!(api.get("catalogs").await.0, StatusCode::OK);
    server.revoke_tokens();
    let (status, body) = api.get("catalogs").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "UNAUTHORIZED");
    // A fresh token works again.
    let fresh = token(&server, AID).await;
    let response = http()
        .get(format!("{}/catalogs", api.base))
        .bearer_auth(fresh)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn api_routes_require_a_valid_bearer_token() {
    let server = FakeServer::start().await;
    server.seed_catalog(AID, "S23", "Sommer");
    let base = server.base_url();
    let paths = [
        format!("/accounts/{AID}/products/catalogs"),
        format!("/accounts/{AID}/products/catalogs/S23"),
        format!("/accounts/{AID}/products/catalogs/S23/products"),
        format!("/accounts/{AID}/products/catalogs/S23/products/P1"),
        format!("/accounts/{AID}/products/groups"),
        format!("/accounts/{AID}/products/groups/G1"),
    ];
    for path in &paths {
        let url = format!("{base}{path}");
        let no_header = http().get(&url).send().await.expect("send");
        let garbage = http()
            .get(&url)
            .bearer_auth("nope")
            .send()
            .await
            .expect("send");
        let basic = http()
            .get(&url)
            .basic_auth(server.client_id(), Some(server.client_secret()))
            .send()
            .await
            .expect("send");
        for response in [no_header, garbage, basic] {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
            assert!(response.headers().contains_key("request-id"));
            let body: Value = response.json().await.expect("json");
            assert_eq!(error_code(&body), "UNAUTHORIZED");
        }
    }
    let requests = server.requests();
    assert_eq!(requests.len(), paths.len() * 3);
    assert!(!requests[0].authorization);
    assert!(requests[1].authorization);
    assert!(requests.iter().all(|r| r.status == Some(401)));

    // A token for one account does not open another; a malformed account id is a 400.
    let token = token(&server, AID).await;
    for (aid, expected, code) in [
        ("P00000001", StatusCode::FORBIDDEN, "FORBIDDEN"),
        ("T123", StatusCode::BAD_REQUEST, "BAD_REQUEST"),
    ] {
        let response = http()
            .get(format!("{base}/accounts/{aid}/products/catalogs"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), expected, "{aid}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(error_code(&body), code);
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_errors() {
    let server = FakeServer::start().await;
    let api = Api::new(&server).await;
    let (status, body) = api.get("nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "NOT FOUND");
    let response = http()
        .patch(format!("{}/catalogs", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    // axum's method router writes the header, and lists HEAD, which it serves on GET routes.
    let allow: std::collections::BTreeSet<String> = response
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(|m| m.trim().to_owned())
        .collect();
    assert_eq!(allow, ["GET", "HEAD", "POST"].map(String::from).into());
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "METHOD_NOT_ALLOWED");
    // The method is checked before the token.
    let response = http()
        .delete(format!("{}/catalogs", api.base))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let response = http()
        .get(format!("{}/", server.base_url().trim_end_matches("/v1")))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Request ids are distinct.
    let ids: std::collections::HashSet<_> = server
        .requests()
        .into_iter()
        .map(|r| r.request_id)
        .collect();
    assert_eq!(ids.len(), server.requests().len());
}

#[tokio::test]
async fn server_stops_on_shutdown_and_on_drop() {
    let server = FakeServer::start().await;
    let addr = server.addr();
    // A pooled keep-alive connection must not hold the shutdown up.
    let client = http();
    let response = client
        .get(format!(
            "{}/accounts/{AID}/products/groups",
            server.base_url()
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    tokio::time::timeout(Duration::from_secs(5), server.shutdown())
        .await
        .expect("shutdown finishes");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let server = FakeServer::start().await;
    let addr = server.addr();
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
    drop(server);
    let mut refused = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "the listener closes after drop");
}

#[tokio::test]
async fn builder_binds_the_requested_port() {
    // Find a free port, release it, and ask for it.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
    let port = probe.local_addr().expect("addr").port();
    drop(probe);
    let server = FakeServer::builder()
        .port(port)
        .start()
        .await
        .expect("start");
    assert_eq!(server.base_url(), format!("http://127.0.0.1:{port}/v1"));
    // The same port again is an error, not a panic.
    let second = FakeServer::builder().port(port).start().await;
    assert!(second.is_err());
}

#[tokio::test]
async fn the_audience_is_dintero_s_whatever_the_base_url() {
    let server = FakeServer::start().await;
    assert_eq!(
        server.audience(AID),
        format!("https://api.dintero.com/v1/accounts/{AID}")
    );
    let creds = Some((server.client_id(), server.client_secret()));
    // The fake's own URL is not the audience, nor is anything but the exact string.
    for audience in [
        format!("{}/accounts/{AID}", server.base_url()),
        format!("http://api.dintero.com/v1/accounts/{AID}"),
        format!("https://api.dintero.com/v1/accounts/{AID}/"),
        format!("https://api.dintero.com/accounts/{AID}"),
    ] {
        let body = json!({"grant_type": "client_credentials", "audience": audience});
        let (status, error) = token_call(&server, AID, creds, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{audience}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&server.audience(AID)),
            "the message names the expected audience: {message}"
        );
    }
    assert_eq!(server.token_requests(), 0);
    let (status, _) = token_call(&server, AID, creds, good_body(&server, AID)).await;
    assert_eq!(status, StatusCode::OK);

    // A test that wants another audience says so.
    let server = FakeServer::builder()
        .audience_base("https://proxy.example/dintero/v1/")
        .start()
        .await
        .expect("start");
    assert_eq!(
        server.audience(AID),
        format!("https://proxy.example/dintero/v1/accounts/{AID}")
    );
    let creds = Some((server.client_id(), server.client_secret()));
    let (status, _) = token_call(&server, AID, creds, good_body(&server, AID)).await;
    assert_eq!(status, StatusCode::OK);
    let dintero = json!({"grant_type": "client_credentials", "audience": format!("https://api.dintero.com/v1/accounts/{AID}")});
    let (status, _) = token_call(&server, AID, creds, dintero).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
