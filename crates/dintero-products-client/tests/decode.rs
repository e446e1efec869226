//! The documents' examples decode into the generated types; ids and constraints are checked on
//! what we send; responses decode leniently.

use dintero_products_client::types;
use serde::de::DeserializeOwned;

fn example<T: DeserializeOwned>(name: &str) -> T {
    let path = format!("{}/tests/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn group_collection_from_the_seed_decodes() {
    let list: types::GroupList = example("group_collection.json");
    assert_eq!(list.starting_after.as_deref(), Some("<string>"));
    let group = &list.groups[0];
    assert_eq!(group.group_id.as_deref(), Some("B1"));
    assert_eq!(group.group_name.as_deref(), Some("Møbel"));
    assert_eq!(
        group.id.unwrap().to_string(),
        "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    );
    assert!(group.deleted_at.is_some());
}

#[test]
fn product_example_decodes_with_groups_images_and_locations() {
    let product: types::ProductDetails = example("product.json");
    assert_eq!(product.product_id.as_deref(), Some("Stol22"));
    assert_eq!(product.unit_gross_price, Some(10900));
    assert_eq!(product.groups[0].group_id.as_deref(), Some("B1"));
    assert_eq!(product.locations.len(), 2);
    assert!(!product.locations[0].is_available_for_shipping);
    assert_eq!(product.images.as_ref().unwrap().0.len(), 2);
    assert_eq!(
        product.dimension.as_ref().unwrap().color.as_deref(),
        Some("red")
    );
}

#[test]
fn single_resource_examples_decode() {
    let catalog: types::CatalogResponse = example("catalog_created.json");
    assert_eq!(catalog.catalog_id.as_deref(), Some("S23"));
    let group: types::GroupResponse = example("group_deleted.json");
    assert_eq!(group.group_name.as_deref(), Some("Møbel"));
    let error: types::Error = example("error.json");
    assert_eq!(error.error.code.as_deref(), Some("NOT FOUND"));
}

#[test]
fn the_specs_own_examples_decode() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/products.yaml");
    let spec: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let schemas = &spec["components"]["schemas"];
    let images: types::Images =
        serde_yaml::from_value(schemas["Images"]["example"].clone()).unwrap();
    assert_eq!(images.0[1].rel.as_deref(), Some("medium_image"));
    let locations: Vec<types::Location> = serde_yaml::from_value(
        schemas["Product"]["allOf"][0]["properties"]["locations"]["example"].clone(),
    )
    .unwrap();
    assert_eq!(locations[1].number_of_items_in_storage, Some(500));
}

#[test]
fn account_id_is_checked() {
    for good in ["T12345678", "P00000001"] {
        assert!(good.parse::<types::AccountId>().is_ok(), "{good}");
    }
    for bad in [
        "X12345678",
        "T1234567",
        "T123456789",
        "t12345678",
        "T1234567a",
        "",
    ] {
        assert!(bad.parse::<types::AccountId>().is_err(), "{bad}");
        assert!(
            serde_json::from_value::<types::AccountId>(bad.into()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn requests_are_validated_and_responses_are_lenient() {
    let long = "x".repeat(256);
    // What we send keeps the spec's maxLength...
    assert!(types::CatalogInputCatalogId::try_from(long.as_str()).is_err());
    assert!(types::CatalogId::try_from(long.as_str()).is_err());
    assert!(types::CatalogInputCatalogId::try_from("S23").is_ok());
    // ...while what the server returns decodes even when longer, or with unknown fields.
    let catalog: types::CatalogResponse = serde_json::from_value(serde_json::json!({
        "catalog_id": long,
        "catalog_name": "Sommer",
        "a_field_added_next_year": {"nested": true}
    }))
    .unwrap();
    assert_eq!(catalog.catalog_id.map(|c| c.len()), Some(256));
}

#[test]
fn one_account_id_type_serves_every_operation() {
    let source = include_str!("../src/generated.rs");
    assert!(
        !source.contains("ListProductsAid"),
        "no per-operation newtype"
    );
    let takes_account_id = source
        .matches("aid: Result<types::AccountId, String>")
        .count();
    assert_eq!(
        takes_account_id, 15,
        "every operation takes types::AccountId"
    );
}
