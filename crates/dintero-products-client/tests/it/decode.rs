//! The documents' examples decode into the generated types; ids (the hand-written types the
//! generated code uses) and constraints are checked on what we send; responses decode leniently.

use dintero_products_client::{AccountId, CatalogId, GroupId, LocationId, ProductId, types};
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
fn a_products_unknown_fields_survive_a_round_trip() {
    let mut sent = serde_json::json!({
        "product_id": "Stol22",
        "a_field_added_next_year": {"nested": true},
        "dimension": {"color": "red", "weight": 3},
        "images": [{"href": "https://example.dintero.com/a.png", "alt": "A chair"}],
        "locations": [{"location_id": "SC_Oslo", "aisle": 7}]
    });
    let product: types::ProductDetails = serde_json::from_value(sent.clone()).unwrap();
    assert_eq!(
        product.extra["a_field_added_next_year"],
        serde_json::json!({"nested": true})
    );
    // Defaults the spec states are filled in on the way in, as before.
    sent["is_virtual_product"] = false.into();
    sent["locations"][0]["is_available_for_pickup"] = false.into();
    sent["locations"][0]["is_available_for_shipping"] = true.into();
    assert_eq!(serde_json::to_value(&product).unwrap(), sent);
    let input: types::ProductInput = serde_json::from_value(sent.clone()).unwrap();
    assert_eq!(input.locations[0].extra["aisle"], 7);
}

#[test]
fn keeping_unknown_fields_keeps_default_and_the_builders() {
    // `Default` is what serde makes of `{}`: the spec's defaults, no unknown fields.
    let location = types::LocationInput::default();
    assert_eq!(
        location,
        serde_json::from_str::<types::LocationInput>("{}").unwrap()
    );
    assert!(location.is_available_for_shipping);
    assert!(location.extra.is_empty());
    assert_eq!(
        types::Location::default(),
        serde_json::from_str::<types::Location>("{}").unwrap()
    );
    assert_eq!(
        types::ProductDetails::default(),
        serde_json::from_str::<types::ProductDetails>("{}").unwrap()
    );
    assert_eq!(
        types::ProductInput::default(),
        serde_json::from_str::<types::ProductInput>("{}").unwrap()
    );
    assert_eq!(
        types::CreateProductBody::default(),
        serde_json::from_str::<types::CreateProductBody>("{}").unwrap()
    );
    // A flattened map accepts its absence without `#[serde(default)]`.
    let dimension = serde_json::from_str::<types::Dimension>("{}").unwrap();
    assert_eq!(dimension, types::Dimension::default());

    // The builders no longer demand the map of unknown fields.
    let product: types::ProductDetails = types::ProductDetails::builder()
        .product_id(Some("Stol22".to_string()))
        .try_into()
        .unwrap();
    assert!(product.extra.is_empty());
    let location: types::LocationInput = types::LocationInput::builder().try_into().unwrap();
    assert_eq!(location, types::LocationInput::default());
    let dimension: types::Dimension = types::Dimension::builder().try_into().unwrap();
    assert_eq!(dimension, types::Dimension::default());
    let image: types::ImagesItem = types::ImagesItem::builder()
        .href("https://example.dintero.com/a.png")
        .try_into()
        .unwrap();
    assert!(image.extra.is_empty());
    // A required field is still required.
    assert!(types::ImagesItem::try_from(types::ImagesItem::builder()).is_err());
}

#[test]
fn single_resource_examples_decode() {
    let catalog: types::CatalogResponse = example("catalog_created.json");
    assert_eq!(catalog.catalog_id.as_deref(), Some("S23"));
    let group: types::GroupResponse = example("group_deleted.json");
    assert_eq!(group.group_name.as_deref(), Some("Møbel"));
    let error: types::ErrorBody = example("error.json");
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
fn the_generated_client_takes_the_hand_written_account_id() {
    for good in ["T12345678", "P00000001"] {
        assert!(good.parse::<AccountId>().is_ok(), "{good}");
    }
    for bad in [
        "X12345678",
        "T1234567",
        "T123456789",
        "t12345678",
        "T1234567a",
        "",
    ] {
        assert!(bad.parse::<AccountId>().is_err(), "{bad}");
        assert!(
            serde_json::from_value::<AccountId>(bad.into()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn requests_are_validated_and_responses_are_lenient() {
    let long = "x".repeat(256);
    // What we send keeps the spec's maxLength, through the one hand-written id type...
    assert!(CatalogId::try_from(long.as_str()).is_err());
    let body = types::CatalogInput {
        catalog_id: Some(CatalogId::new("S23").unwrap()),
        catalog_name: None,
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        serde_json::json!({"catalog_id": "S23"})
    );
    let too_long = serde_json::json!({"catalog_id": long});
    assert!(serde_json::from_value::<types::CatalogInput>(too_long.clone()).is_err());
    assert!(serde_json::from_value::<types::CreateCatalogBody>(too_long).is_err());
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
fn body_ids_are_the_same_types_as_the_parameters() {
    // One type per id wherever the client sends it: a caller converts once, and the compiler
    // checks that these fields take the hand-written types.
    let product = types::CreateProductBody {
        product_id: Some(ProductId::new("Stol22").unwrap()),
        ..Default::default()
    };
    let location = types::LocationInput {
        location_id: Some(LocationId::new("SC_Oslo").unwrap()),
        location_name: None,
        is_available_for_pickup: false,
        is_available_for_shipping: true,
        number_of_items_in_storage: None,
        extra: Default::default(),
    };
    let group = types::CreateGroupBody {
        group_id: Some(GroupId::new("B1").unwrap()),
        group_name: None,
    };
    let catalog = types::CreateCatalogBody {
        catalog_id: Some(CatalogId::new("S23").unwrap()),
        catalog_name: None,
    };
    assert_eq!(
        product.product_id.map(String::from).as_deref(),
        Some("Stol22")
    );
    assert_eq!(
        location.location_id.map(String::from).as_deref(),
        Some("SC_Oslo")
    );
    assert_eq!(group.group_id.map(String::from).as_deref(), Some("B1"));
    assert_eq!(catalog.catalog_id.map(String::from).as_deref(), Some("S23"));
}

#[test]
fn one_id_type_serves_every_operation_and_no_body_gets_its_own() {
    let source = include_str!("../../src/generated.rs");
    assert!(
        !source.contains("ListProductsAid"),
        "no per-operation newtype"
    );
    let takes_account_id = source
        .matches("aid: Result<crate::AccountId, String>")
        .count();
    assert_eq!(
        takes_account_id, 15,
        "every operation takes the hand-written AccountId"
    );
    for per_body in [
        "CreateProductBodyProductId",
        "CreateGroupBodyGroupId",
        "CreateCatalogBodyCatalogId",
        "CatalogInputCatalogId",
        "LocationInputLocationId",
    ] {
        assert!(!source.contains(per_body), "{per_body} is generated again");
    }
    assert!(
        !source.contains("regress"),
        "no generated pattern check: the crate does not depend on regress"
    );
}
