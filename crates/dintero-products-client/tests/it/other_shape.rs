//! A client generated, with no change to the xtask, from `xtask/fixtures/other-shape.yaml`: a
//! spec of the same family with an operation the rename table does not know, a `default` error,
//! a bodiless 204, two error schemas on one operation, `$ref` with siblings (one of them a
//! required, nullable field), nullable fields, enums and new fields. It compiles against the same
//! `Hooks` seam and the same strict path encoding, and it works.

// The generated code refers to `crate::Hooks` and `crate::path::encode_path`, which `main.rs`
// takes from the client crate, as the client crate itself does.
#[rustfmt::skip]
#[allow(clippy::all, dead_code, unused_imports, unreachable_patterns, mismatched_lifetime_syntaxes)]
mod generated;

dintero_products_client::__impl_client_hooks!(generated::Client);

use dintero_products_client::Hooks;
use generated::types;

#[test]
fn enums_are_strict_on_requests_and_lenient_on_responses() {
    assert!("warehouse".parse::<types::LocationKindInput>().is_ok());
    assert!("moon_base".parse::<types::LocationKindInput>().is_err());
    let location: types::Location = serde_json::from_value(serde_json::json!({
        "location_id": "L1",
        "name": "a name longer than the forty characters the spec allows",
        "kind": "moon_base",
        "parent": null,
        "opened_at": null,
        "brand_new_field": 1
    }))
    .unwrap();
    assert_eq!(
        location.kind.as_ref().map(|k| k.0.as_str()),
        Some("moon_base")
    );
    assert!(location.parent.is_none());
}

#[test]
fn partner_account_ids_with_a_lookahead_pattern_are_checked() {
    for good in ["T112", "P12345678"] {
        assert!(good.parse::<types::AccountId>().is_ok(), "{good}");
    }
    for bad in ["T11", "T1234", "X112"] {
        assert!(bad.parse::<types::AccountId>().is_err(), "{bad}");
    }
}

#[tokio::test]
async fn a_bodiless_delete_and_an_unknown_operation_work_over_http() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("DELETE"))
        .and(wiremock::matchers::path("/accounts/T112/locations/a%2Fb"))
        .respond_with(wiremock::ResponseTemplate::new(204))
        .mount(&server)
        .await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/accounts/T112/locations"))
        .respond_with(
            wiremock::ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({"error": {"message": "no such account"}})),
        )
        .mount(&server)
        .await;
    let client = generated::Client::new(&server.uri(), Hooks::none());

    let deleted = client
        .aid_location_delete()
        .aid("T112")
        .location_id("a/b")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    // `default` became the 4XX/5XX errors, so a 404 decodes into the typed error body.
    match client.aid_locations_get().aid("T112").send().await {
        Err(generated::Error::ErrorResponse(response)) => {
            assert_eq!(response.status(), 404);
            assert_eq!(response.error.message, "no such account");
        }
        other => panic!("expected a typed error response, got {other:?}"),
    }
}

#[test]
fn a_required_nullable_reference_takes_null_but_not_absence() {
    // `parent: {$ref: Address, nullable: true}` is required: the `nullable` beside the `$ref`
    // survived generation (the ref-siblings pass), so `null` decodes and a missing field does not.
    let without = serde_json::json!({"location_id": "L1", "name": "n"});
    assert!(serde_json::from_value::<types::Location>(without).is_err());
    let with_null = serde_json::json!({"location_id": "L1", "name": "n", "parent": null});
    let location: types::Location = serde_json::from_value(with_null).unwrap();
    assert!(location.parent.is_none());
}
