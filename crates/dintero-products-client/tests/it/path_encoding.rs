//! Ids reach the server inside their own path segment, whatever they hold: the generated code
//! encodes path parameters with `dintero_products_client::path::encode_path` (the generator's
//! `strict-path-encoding` rewrite), not progenitor's, which left `\` for the URL parser to read
//! as `/`.

use dintero_products_client::{Client, GroupId, Hooks};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn the_generated_code_uses_the_strict_encoder() {
    let source = include_str!("../../src/generated.rs");
    assert!(source.contains("use crate::path::encode_path;"));
    assert!(!source.contains("progenitor_client::{encode_path"));
    let other = include_str!("other_shape/generated.rs");
    assert!(other.contains("use crate::path::encode_path;"));
}

#[tokio::test]
async fn hostile_group_ids_stay_in_their_segment() {
    let cases = [
        (r"..\catalogs\S23", "..%5Ccatalogs%5CS23"),
        ("a/b", "a%2Fb"),
        ("%2F", "%252F"),
        ("%5C", "%255C"),
        ("?x#y", "%3Fx%23y"),
        ("a;b", "a%3Bb"),
        ("Møbel", "M%C3%B8bel"),
        ("\u{202E}B1", "%E2%80%AEB1"),
    ];
    for (id, encoded) in cases {
        let server = MockServer::start().await;
        let expected = format!("/accounts/T12345678/products/groups/{encoded}");
        Mock::given(method("DELETE"))
            .and(path(expected.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"group_id": id})))
            .mount(&server)
            .await;
        let client = Client::new(&server.uri(), Hooks::none());
        let group_id = GroupId::new(id).unwrap();
        let deleted = client
            .delete_group()
            .aid("T12345678")
            .group_id(&group_id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id:?} did not reach {expected}: {e}"));
        assert_eq!(deleted.group_id.as_deref(), Some(id));
        let seen = server.received_requests().await.unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].url.path(), expected, "{id:?}");
    }
}

#[tokio::test]
async fn ids_are_checked_before_anything_is_sent() {
    let server = MockServer::start().await;
    let client = Client::new(&server.uri(), Hooks::none());
    for bad in ["..", ".", "", " B1"] {
        let result = client
            .delete_group()
            .aid("T12345678")
            .group_id(bad)
            .send()
            .await;
        assert!(
            matches!(
                result,
                Err(dintero_products_client::Error::InvalidRequest(_))
            ),
            "{bad:?}: {result:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}
