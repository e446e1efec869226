//! Any id the API accepts survives the trip through a percent-encoded path segment: the
//! router decodes each segment on its own and exactly once, over the whole input space.

use crate::common::{AID, Api, encode_segment};
use dintero_products_client::{CatalogId, ProductId};
use dintero_products_fake::FakeServer;
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

/// Encodes only what a path segment cannot carry as it is: everything but RFC 3986's
/// unreserved characters, sub-delimiters, `:` and `@`. Leaves `+`, `=`, `;`, `&` and friends
/// for the server to take literally.
fn encode_minimally(segment: &str) -> String {
    let mut out = String::new();
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Arbitrary Unicode (any `char`, ASCII and the awkward ones weighted up), 1 to 24 of them,
/// less what the API refuses in a create body (the client crate's id rule: empty, surrounding
/// whitespace, control characters, `.` and `..`, over 255 characters).
fn ids() -> impl Strategy<Value = String> {
    let char = prop_oneof![
        any::<char>(),
        proptest::char::range(' ', '~'),
        prop::sample::select(vec!['/', '%', '?', '#', '+', ' ', '.', '\u{a0}', 'ø', '😀']),
    ];
    prop::collection::vec(char, 1..24)
        .prop_map(String::from_iter)
        .prop_filter("an id the API accepts", |id| {
            ProductId::new(id.as_str()).is_ok() && CatalogId::new(id.as_str()).is_ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn ids_round_trip_through_path_segments(id in ids(), minimal in any::<bool>()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let encode = if minimal { encode_minimally } else { encode_segment };
            let server = FakeServer::start().await;
            let api = Api::new(&server).await;

            let (status, body) = api.post("catalogs", json!({"catalog_id": id})).await;
            prop_assert_eq!(status, StatusCode::OK, "{}", body);
            let catalog = format!("catalogs/{}", encode(&id));
            let (status, got) = api.get(&catalog).await;
            prop_assert_eq!(status, StatusCode::OK, "{}", got);
            prop_assert_eq!(got["catalog_id"].as_str(), Some(id.as_str()));

            let products = format!("{catalog}/products");
            let (status, body) = api.post(&products, json!({"product_id": id})).await;
            prop_assert_eq!(status, StatusCode::OK, "{}", body);
            let (status, got) = api.get(&format!("{products}/{}", encode(&id))).await;
            prop_assert_eq!(status, StatusCode::OK, "{}", got);
            prop_assert_eq!(got["product_id"].as_str(), Some(id.as_str()));
            prop_assert_eq!(got["catalog_id"].as_str(), Some(id.as_str()));

            // The log keeps the path as sent, still encoded.
            let logged = server.requests().pop().map(|r| r.path);
            let expected = format!(
                "/v1/accounts/{AID}/products/catalogs/{}/products/{}",
                encode(&id),
                encode(&id)
            );
            prop_assert_eq!(logged, Some(expected));
            Ok(())
        })?;
    }
}
