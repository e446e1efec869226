//! Input: what is refused before any request, and ids that must stay inside their path segment
//! whatever they hold, checked on the raw request line a loopback server received.

use crate::common;
use crate::hostile;

use common::*;
use dintero_products::{Error, GroupId, NewGroup, NewProduct, ProductId};
use futures::StreamExt as _;
use hostile::{Hostile, Reply};
use proptest::prelude::*;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

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
        assert!(matches!(
            stream.next().await,
            Some(Err(Error::InvalidInput(_)))
        ));
        assert!(stream.next().await.is_none());
    }
    // A wrong currency cannot even make a price.
    let error = "nok".parse::<dintero_products::Currency>().unwrap_err();
    assert!(error.to_string().contains("currency"), "{error}");
    assert!(
        h.server.received_requests().await.unwrap().is_empty(),
        "not even a token request"
    );
}

/// What is missing is an input error that says what and why, for each resource, and is told
/// apart from a configuration error; nothing is sent.
#[tokio::test]
async fn an_upsert_without_an_id_is_invalid_input_naming_the_missing_id() {
    let h = Harness::start().await;
    let c = &h.client;
    for (error, what) in [
        (
            c.products("S23")
                .upsert(NewProduct::new("x"))
                .await
                .unwrap_err(),
            "product id",
        ),
        (
            c.groups().upsert(NewGroup::new("x")).await.unwrap_err(),
            "group id",
        ),
        (
            c.catalogs()
                .upsert(dintero_products::NewCatalog::new("x"))
                .await
                .unwrap_err(),
            "catalog id",
        ),
    ] {
        assert!(error.is_invalid_input() && !error.is_config(), "{error:?}");
        let Error::InvalidInput(input) = &error else {
            panic!("{error:?}")
        };
        assert_eq!((input.what(), input.value()), (what, None));
        assert_eq!(
            error.to_string(),
            format!("missing {what}: an upsert needs one: set it on the builder with `.id(..)`")
        );
    }
    assert!(h.server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn max_items_zero_sends_nothing() {
    let h = Harness::start().await;
    let page = h.client.groups().list().max_items(0).send().await.unwrap();
    assert!(page.is_empty() && !page.has_more());
    let items: Vec<_> = h
        .client
        .groups()
        .list()
        .max_items(0)
        .items()
        .collect()
        .await;
    assert!(items.is_empty());
    let pages: Vec<_> = h
        .client
        .catalogs()
        .list()
        .max_items(0)
        .pages()
        .collect()
        .await;
    assert!(pages.is_empty());
    assert!(h.server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn checked_values_are_accepted_as_they_are() {
    let h = Harness::start().await;
    mount_group_get(&h.server).await;
    let id = GroupId::new("B1").unwrap();
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

/// A loopback server that hands out a token and answers every API request with a group; the
/// tests read the request lines it received.
async fn echo_server() -> Hostile {
    Hostile::start(|seen| {
        if seen.is_token_request() {
            Reply::token("t", json!(3600))
        } else {
            // Good enough for both deletes: a product and a group.
            Reply::json(200, json!({"product_id": "P1", "group_id": "B1"}))
        }
    })
    .await
}

/// Decodes `%XX` escapes; `None` if an escape is malformed or the bytes are not UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Deletes product `product` of catalog `catalog` and group `group` through `client`, and
/// checks the two request lines `server` received: the path has exactly the expected segments,
/// each holding only unreserved characters and escapes, and decoding back to the id.
async fn assert_segments_hold(
    server: &Hostile,
    client: &dintero_products::Client,
    catalog: &str,
    product: &str,
    group: &str,
) -> Result<(), String> {
    let before = server.api_requests().len();
    client
        .products(catalog)
        .delete(product)
        .await
        .map_err(|e| e.to_string())?;
    client
        .groups()
        .delete(group)
        .await
        .map_err(|e| e.to_string())?;
    let seen = server.api_requests();
    let [product_request, group_request] = &seen[before..] else {
        return Err(format!("expected two requests, saw {:?}", &seen[before..]));
    };
    let cases = [
        (
            product_request,
            vec![
                "accounts", AID, "products", "catalogs", catalog, "products", product,
            ],
        ),
        (
            group_request,
            vec!["accounts", AID, "products", "groups", group],
        ),
    ];
    for (request, expected) in cases {
        if request.method != "DELETE" || request.target.contains(['?', '#', '\\']) {
            return Err(format!("bad request line {:?}", request.request_line));
        }
        let segments: Vec<&str> = request
            .path()
            .strip_prefix('/')
            .unwrap_or_default()
            .split('/')
            .collect();
        if segments.len() != expected.len() {
            return Err(format!(
                "{:?} has {} segments, expected {}",
                request.request_line,
                segments.len(),
                expected.len()
            ));
        }
        for (raw, want) in segments.iter().zip(&expected) {
            let unreserved = raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b));
            if !unreserved || percent_decode(raw).as_deref() != Some(*want) {
                return Err(format!("segment {raw:?} does not encode {want:?}"));
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn hostile_ids_stay_inside_their_segment() {
    let server = echo_server().await;
    let client = builder(&server.base_url).build().unwrap();
    let long = "ø".repeat(255);
    let hostile = [
        "\\",
        "..\\",
        r"..\catalogs\S23",
        "..\\..\\..",
        "%2F",
        "%5C",
        "%2E%2E",
        "/",
        "../",
        "?",
        "#",
        ";",
        "a;b=c",
        "@",
        "Møbel",
        "\u{202E}gnp.exe",
        "\u{200F}rtl\u{200E}",
        "日本語/中文",
        "...",
        "a b+c",
        long.as_str(),
    ];
    for id in hostile {
        assert_segments_hold(&server, &client, id, id, id)
            .await
            .unwrap_or_else(|e| panic!("{id:?}: {e}"));
    }
}

/// Ids drawn often from the characters that matter to a URL parser, and sometimes from anywhere.
fn any_id() -> impl Strategy<Value = String> {
    prop_oneof![
        r"[\\/.%?#;:@&=+ \u{202E}\u{200F}aZ9é-]{1,24}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every id the SDK accepts travels as exactly one path segment that decodes back to it.
    #[test]
    fn every_accepted_id_stays_inside_its_segment(
        catalog in any_id(),
        product in any_id(),
        group in any_id(),
    ) {
        let accepted = dintero_products::CatalogId::new(catalog.as_str()).is_ok()
            && ProductId::new(product.as_str()).is_ok()
            && GroupId::new(group.as_str()).is_ok();
        prop_assume!(accepted);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let outcome = runtime.block_on(async {
            let server = echo_server().await;
            let client = builder(&server.base_url).build().unwrap();
            assert_segments_hold(&server, &client, &catalog, &product, &group).await
        });
        prop_assert!(outcome.is_ok(), "{:?}", outcome);
    }
}

/// Every request says who sends it: the SDK and its version, what `user_agent` set, or what
/// the caller's own `reqwest_client` says, on the token request as on the API's.
#[tokio::test]
async fn requests_carry_the_user_agent() {
    let server = Hostile::start(|seen| {
        if seen.is_token_request() {
            Reply::token("t", json!(3600))
        } else {
            Reply::json(200, json!({"groups": [group("B1")]}))
        }
    })
    .await;
    let sdk = format!("dintero-products-rust/{}", env!("CARGO_PKG_VERSION"));
    for (client, expected) in [
        (builder(&server.base_url).build().unwrap(), sdk.as_str()),
        (
            builder(&server.base_url)
                .user_agent("merchant-sync/2.1")
                .build()
                .unwrap(),
            "merchant-sync/2.1",
        ),
        (
            builder(&server.base_url)
                .reqwest_client(
                    reqwest::Client::builder()
                        .user_agent("own-reqwest/1")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
            "own-reqwest/1",
        ),
    ] {
        let before = server.seen().len();
        client.groups().get("B1").await.unwrap();
        let sent: Vec<_> = server.seen()[before..]
            .iter()
            .map(|seen| seen.header("user-agent").unwrap_or_default().to_string())
            .collect();
        assert_eq!(sent, [expected, expected]);
    }
}
