//! A product's writable fields in one normal form, hashed field by field: what the plan keeps of
//! each product, so that a million products take a few hundred bytes each.

use crate::fields::{Field, FieldSet};
use crate::ids::GroupId;
use crate::resources::{NewProduct, Product, ProductUpdate};
use dintero_products_client::types;
use std::hash::{DefaultHasher, Hash, Hasher};

/// One hash per field of [`Field::ALL`], in that order.
pub(super) type Fingerprint = [u32; Field::ALL.len()];

fn hash(value: &impl serde::Serialize) -> u32 {
    let mut hasher = DefaultHasher::new();
    serde_json::to_vec(value)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish() as u32
}

/// A location's id, hashed: the key of a held product's stock there.
pub(super) fn of_location(id: &str) -> u32 {
    hash(&id)
}

/// A location's count of items in storage, hashed (none reported is not 0).
pub(super) fn of_count(count: Option<i64>) -> u32 {
    hash(&count)
}

/// The fields in one normal form, so that what the API returns and what is desired compare
/// equal when they mean the same (no description and an empty one, say).
fn fingerprint(fields: &ProductUpdate, groups: &mut Vec<&str>) -> Fingerprint {
    fn text(s: &Option<String>) -> Option<&str> {
        s.as_deref().filter(|s| !s.is_empty())
    }
    groups.sort_unstable();
    groups.dedup();
    let dimension = fields.dimension.clone().unwrap_or_default();
    let part = |get: fn(&types::Dimension) -> &Option<String>| hash(&text(get(&dimension)));
    let images = fields.images.as_ref().filter(|i| !i.0.is_empty());
    let locations = fields.locations.as_deref().unwrap_or_default();
    Field::ALL.map(|field| match field {
        Field::Name => hash(&text(&fields.name)),
        Field::Description => hash(&text(&fields.description)),
        Field::Price => hash(
            &fields
                .price
                .map(|p| (p.minor_units(), p.currency().to_string())),
        ),
        Field::Unit => hash(&text(&fields.unit)),
        Field::Virtual => hash(&fields.is_virtual.unwrap_or(false)),
        Field::StartingAt => hash(&fields.starting_at),
        Field::StoppingAt => hash(&fields.stopping_at),
        Field::DimensionColor => part(|d| &d.color),
        Field::DimensionConfig => part(|d| &d.config),
        Field::DimensionSize => part(|d| &d.size),
        Field::DimensionStyle => part(|d| &d.style),
        Field::DimensionVariant => part(|d| &d.variant),
        Field::Images => hash(&images),
        Field::Locations => hash(&locations),
        Field::Groups => hash(groups),
    })
}

/// The fingerprint of a product as Dintero holds it.
pub(super) fn of_product(product: &Product) -> Fingerprint {
    fingerprint(&product.to_update(), &mut product.group_ids().collect())
}

/// The fingerprint of a desired product (its unmanaged fields hash as unset; compare only the
/// managed ones).
pub(super) fn of_desired(product: &NewProduct) -> Fingerprint {
    let mut groups: Vec<&str> = product.group_ids().map(GroupId::as_str).collect();
    fingerprint(product.get_fields(), &mut groups)
}

/// The fields of `among` whose hashes differ.
pub(super) fn differing(a: &Fingerprint, b: &Fingerprint, among: FieldSet) -> FieldSet {
    Field::ALL
        .into_iter()
        .zip(a.iter().zip(b))
        .filter(|(field, (a, b))| a != b && among.contains(*field))
        .map(|(field, _)| field)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Currency, Price};

    #[test]
    fn only_managed_fields_that_mean_something_else_differ() {
        let held = NewProduct::new("Chair")
            .id("C1")
            .description("")
            .price(Price::new(100, Currency::NOK))
            .virtual_product(false);
        let desired = NewProduct::new("Stool").id("C1").group("G");
        let (a, b) = (of_desired(&held), of_desired(&desired));
        // An empty description is none; `false` is an unset `virtual`.
        assert_eq!(
            differing(&a, &b, FieldSet::ALL),
            FieldSet::from_iter([Field::Name, Field::Price, Field::Groups])
        );
        assert_eq!(
            differing(&a, &b, FieldSet::from(Field::Price)),
            FieldSet::from(Field::Price)
        );
        assert!(differing(&a, &b, FieldSet::from(Field::Unit)).is_empty());
    }

    /// A product with every field set, and the same product with `field` set otherwise.
    fn every_field_and_one_changed(field: Field) -> (NewProduct, NewProduct) {
        let image = |href: &str| {
            types::Images(vec![types::ImagesItem {
                href: href.into(),
                rel: None,
                title: None,
                type_: None,
                extra: Default::default(),
            }])
        };
        let location = |items| types::LocationInput {
            location_id: Some("OSL".parse().unwrap()),
            number_of_items_in_storage: Some(items),
            ..Default::default()
        };
        let time = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap();
        let dimension = |v: &str| types::Dimension {
            color: Some(format!("c{v}")),
            config: Some(format!("f{v}")),
            size: Some(format!("s{v}")),
            style: Some(format!("t{v}")),
            variant: Some(format!("v{v}")),
            extra: Default::default(),
        };
        let make = |v: &str, n: i64, flag: bool| {
            NewProduct::new(format!("n{v}"))
                .description(format!("d{v}"))
                .price(Price::new(n, Currency::NOK))
                .unit(format!("u{v}"))
                .virtual_product(flag)
                .starting_at(time(n))
                .stopping_at(time(n + 1))
                .dimension(dimension(v))
                .images(image(v))
                .location(location(n))
                .group(format!("G{v}").as_str())
        };
        let one = make("1", 1, false);
        let two = make("2", 2, true);
        let mut changed = one.get_fields().clone();
        changed.set_from(field, two.get_fields());
        let groups = if field == Field::Groups { "G2" } else { "G1" };
        (one, NewProduct::new("n1").fields(changed).group(groups))
    }

    #[test]
    fn a_change_of_any_one_field_is_seen_as_that_field() {
        for field in Field::ALL {
            let (one, other) = every_field_and_one_changed(field);
            assert_eq!(
                differing(&of_desired(&one), &of_desired(&other), FieldSet::ALL),
                FieldSet::from(field),
                "{field}"
            );
        }
    }

    #[test]
    fn group_order_and_repeats_do_not_matter() {
        let one = NewProduct::new("x").group("A").group("B");
        let two = NewProduct::new("x").group("B").group("A").group("B");
        assert_eq!(of_desired(&one), of_desired(&two));
    }
}
