//! Any product the API can return survives a CSV export and an import: the library's writer,
//! then its reader, give back the SDK's create of the product (`Product::to_new`), managing
//! every field (an export writes every column). A price no write may send (negative, or above
//! `Price::MAX_MINOR_UNITS`) comes back as an error naming its row, never as no price.

use chrono::{DateTime, Utc};
use dintero_products::types::{Dimension, Images, ImagesItem, Location, ProductDetails};
use dintero_products::{FieldSet, GroupId, NewProduct, Price, Product, ProductId, ProductUpdate};
use dintero_products_cli::files::{CsvProducts, CsvWriter, Place};
use proptest::prelude::*;

/// Ids as the API allows them, with the characters CSV and the `groups` cell must escape.
fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9Ø漢][A-Za-z0-9 ;,\"'\\\\/.#%é漢-]{0,20}[A-Za-z0-9Ø]"
}

/// Any text at all: commas, quotes, line breaks (`\n`, `\r\n`, a lone `\r`), control
/// characters, any Unicode; sometimes empty.
fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        any::<String>(),
        "[a-z ,\"\n\r]{0,12}",
        Just(String::new()),
    ])
}

/// Any time RFC 3339 can write: years 1 to 9999, to the nanosecond.
fn time() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    proptest::option::of(
        (-62_135_596_800_i64..253_402_300_799, 0_u32..1_000_000_000)
            .prop_map(|(s, ns)| DateTime::from_timestamp(s, ns).unwrap_or_default()),
    )
}

prop_compose! {
    fn dimension()(color in text(), config in text(), size in text(), style in text(), variant in text())
        -> Dimension {
        Dimension { color, config, size, style, variant, extra: Default::default() }
    }
}

prop_compose! {
    fn image()(href in any::<String>(), rel in text(), title in text(), type_ in text()) -> ImagesItem {
        ImagesItem { href, rel, title, type_, extra: Default::default() }
    }
}

prop_compose! {
    fn location()(
        is_available_for_pickup in any::<bool>(),
        is_available_for_shipping in any::<bool>(),
        location_id in proptest::option::of(id()),
        location_name in text(),
        number_of_items_in_storage in proptest::option::of(any::<i64>()),
    ) -> Location {
        Location {
            is_available_for_pickup,
            is_available_for_shipping,
            location_id,
            location_name,
            number_of_items_in_storage,
            extra: Default::default(),
        }
    }
}

prop_compose! {
    /// A product as the API returns it: a price always with a currency (the API's rule; the
    /// reader refuses a price without one), sometimes a currency alone, sometimes one the SDK
    /// does not list (`HRK`); mostly a price a write may send, sometimes any amount at all.
    pub(crate) fn product()(
        product_id in id(),
        product_name in text(),
        description in text(),
        unit in text(),
        price in proptest::option::of(prop_oneof![3 => 0..=Price::MAX_MINOR_UNITS, 1 => any::<i64>()]),
        currency in proptest::option::of(proptest::sample::select(vec!["NOK", "SEK", "JPY", "KWD", "EUR", "HRK"])),
        groups in proptest::collection::vec(id(), 0..4),
        is_virtual_product in any::<bool>(),
        starting_at in time(),
        stopping_at in time(),
        dimension in proptest::option::of(dimension()),
        images in proptest::option::of(proptest::collection::vec(image(), 0..3)),
        locations in proptest::collection::vec(location(), 0..3),
    ) -> ProductDetails {
        let currency = currency.or(price.map(|_| "NOK")).map(str::to_string);
        ProductDetails {
            product_id: Some(product_id),
            product_name,
            description,
            unit,
            unit_gross_price: price,
            currency,
            groups: groups
                .into_iter()
                .map(|id| dintero_products::types::GroupFields { group_id: Some(id), group_name: None })
                .collect(),
            is_virtual_product,
            starting_at,
            stopping_at,
            dimension,
            images: images.map(Images),
            locations,
            ..ProductDetails::default()
        }
    }
}

/// The differences a CSV cell cannot carry: an empty text is written as an empty cell, and
/// an empty cell reads as no value (which the API and the sync treat alike); and a currency
/// without an amount, which the SDK keeps from a fetched product, is written as it is and
/// read back as no price (the file's rule: a currency alone sets nothing). So both sides are
/// compared with empty texts as no value, a dimension of no values as no dimension, and no
/// price where the SDK read none.
pub(crate) fn as_csv_keeps_it(p: &NewProduct) -> (Option<ProductId>, Vec<GroupId>, ProductUpdate) {
    fn t(s: &Option<String>) -> Option<String> {
        s.clone().filter(|s| !s.is_empty())
    }
    let mut f = p.get_fields().clone();
    if f.price.is_none() {
        f.clear_price();
    }
    f.name = t(&f.name);
    f.description = t(&f.description);
    f.unit = t(&f.unit);
    f.dimension = f
        .dimension
        .map(|d| Dimension {
            color: t(&d.color),
            config: t(&d.config),
            size: t(&d.size),
            style: t(&d.style),
            variant: t(&d.variant),
            extra: Default::default(),
        })
        .filter(|d| *d != Dimension::default());
    (p.get_id().cloned(), p.group_ids().cloned().collect(), f)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn csv_export_then_import_gives_back_every_field(details in proptest::collection::vec(product(), 1..5)) {
        let products: Vec<Product> = details
            .into_iter()
            .map(Product::try_from)
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut writer = CsvWriter::new(Vec::new()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for p in &products {
            writer.write(p).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let csv = writer.finish().map_err(|e| TestCaseError::fail(e.to_string()))?;

        let rows: Vec<_> = CsvProducts::new("p.csv".into(), csv.as_slice())
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .collect();
        prop_assert_eq!(rows.len(), products.len());
        let mut previous_line = 1;
        for (row, product) in rows.into_iter().zip(&products) {
            if product.price().is_some_and(|p| p.check().is_err()) {
                let error = row.err().ok_or_else(|| TestCaseError::fail("an unfit price was read"))?;
                prop_assert!(
                    matches!(&error.place, Place::Column { name, .. } if name == "price"),
                    "{}", error
                );
                prop_assert!(error.line > previous_line);
                previous_line = error.line;
                continue;
            }
            let row = row.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(row.product.check().is_ok());
            prop_assert!(row.line > previous_line, "rows are numbered by the line they start on");
            previous_line = row.line;
            prop_assert_eq!(row.product.get_managed_fields(), FieldSet::ALL);
            prop_assert_eq!(as_csv_keeps_it(&row.product), as_csv_keeps_it(&product.to_new()));
        }
    }
}

/// The normalisation above is the only one: a product without empty texts comes back equal
/// as a whole, `NewProduct`'s own equality.
#[test]
fn without_empty_texts_the_product_comes_back_equal() {
    let raw: ProductDetails = serde_json::from_value(serde_json::json!({
        "product_id": "CH;1\\x",
        "product_name": "Stol, \"Nordli\"\nlinje 2\r\nlinje 3",
        "description": "æøå 漢字 🪑",
        "unit": "stk",
        "unit_gross_price": 5,
        "currency": "KWD",
        "groups": [{"group_id": "A;B"}, {"group_id": "C\\D"}],
        "is_virtual_product": true,
        "starting_at": "2024-01-15T09:00:00.123456789Z",
        "dimension": {"color": "red", "size": "L"},
        "images": [],
        "locations": [{"location_id": "OSL-01", "number_of_items_in_storage": 3, "is_available_for_shipping": false}]
    }))
    .unwrap_or_default();
    let product = Product::try_from(raw).unwrap_or_else(|e| panic!("{e}"));
    let mut writer = CsvWriter::new(Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    writer.write(&product).unwrap_or_else(|e| panic!("{e}"));
    let csv = writer.finish().unwrap_or_else(|e| panic!("{e}"));
    let row = CsvProducts::new("p.csv".into(), csv.as_slice())
        .unwrap_or_else(|e| panic!("{e}"))
        .next()
        .and_then(Result::ok)
        .map(|row| row.product);
    assert_eq!(row, Some(product.to_new()));
}
