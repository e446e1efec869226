//! Items made without going through HTTP: catalogs, numbered products and numbered groups.
//!
//! A seeded product is stored as its number and batch; what it looks like is derived here,
//! when it is read, from the number, the batch and the server's seed.

use std::fmt::Write as _;
use std::ops::Range;

use chrono::{DateTime, Utc};
use dintero_products_client::types::{GroupFields, Location, ProductDetails};
use uuid::Uuid;

use super::{ProductRecord, Store, bumped};

/// The id of the `n`th product created by [`crate::FakeServer::seed_products`] (1-based).
pub fn seeded_product_id(n: u32) -> String {
    format!("P{n:06}")
}

/// The id of the `n`th group created by [`crate::FakeServer::seed_groups`] (1-based).
pub fn seeded_group_id(n: u32) -> String {
    format!("G{n:06}")
}

/// How many groups seeded products are spread over (`G000001` ..= `G000005`).
const SEEDED_PRODUCT_GROUPS: u32 = 5;

/// Mixed into the uuids of seeded groups, so that they differ from products' with the same
/// number.
const GROUP_SALT: u64 = 0x6772_6f75_7073;

/// When a batch of seeded products was created.
#[derive(Clone, Debug)]
pub(super) struct SeedBatch {
    at: DateTime<Utc>,
    /// Mixed into the derived uuids so that two batches never share one.
    salt: u64,
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uuid that depends only on the server's seed, a salt and a number.
pub(super) fn derived_uuid(seed: u64, salt: u64, n: u32) -> Uuid {
    let a = splitmix64(seed ^ salt.rotate_left(17) ^ u64::from(n));
    let b = splitmix64(a ^ 0xD1B5_4A32_D192_ED03);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The number of the group seeded product `n` belongs to.
fn product_group(n: u32) -> u32 {
    (n.saturating_sub(1) % SEEDED_PRODUCT_GROUPS) + 1
}

fn group_name(g: u32) -> String {
    format!("Group {g:06}")
}

fn write_product_name(out: &mut String, n: u32) {
    // Writing into a String cannot fail.
    let _ = write!(out, "Product {n:06}");
}

fn product_price(n: u32) -> i64 {
    9_900 + i64::from(n % 50) * 100
}

/// Seeded product `n`'s name, written over `out`, so that a filter over many seeded products
/// reuses one buffer.
pub(super) fn write_seeded_name(out: &mut String, n: u32) {
    out.clear();
    write_product_name(out, n);
}

impl Store {
    /// Creates a catalog, or renames it keeping its products.
    pub(crate) fn seed_catalog(&mut self, aid: &str, catalog_id: &str, name: &str) {
        if let Ok(catalog) = self.catalog_mut(aid, catalog_id) {
            catalog.entity.catalog_name = Some(name.to_owned());
            catalog.entity.updated_at = Some(bumped(catalog.entity.updated_at));
            return;
        }
        let record = self.new_catalog(catalog_id, Some(name.to_owned()));
        self.insert_catalog(aid, catalog_id, record);
    }

    /// Stores `product` in a catalog (created when missing) as given, replacing one with its
    /// id.
    pub(crate) fn seed_product(&mut self, aid: &str, catalog_id: &str, product: ProductDetails) {
        if self.catalog(aid, catalog_id).is_err() {
            self.seed_catalog(aid, catalog_id, &format!("Catalog {catalog_id}"));
        }
        let id = product.product_id.clone().unwrap_or_default();
        if let Ok(catalog) = self.catalog_mut(aid, catalog_id) {
            let record = ProductRecord::Stored(Box::new(product));
            catalog.products.insert(id.into_boxed_str(), record);
        }
    }

    /// Adds `n` numbered products to a catalog (created when missing), and the seeded groups
    /// they belong to when those are missing; returns the numbers used.
    pub(crate) fn seed_products(&mut self, aid: &str, catalog_id: &str, n: u32) -> Range<u32> {
        if self.catalog(aid, catalog_id).is_err() {
            self.seed_catalog(aid, catalog_id, &format!("Catalog {catalog_id}"));
        }
        let batch = u32::try_from(self.batches.len()).unwrap_or(u32::MAX);
        let at = Utc::now();
        self.batches.push(SeedBatch {
            at,
            salt: splitmix64(self.seed ^ u64::from(batch)),
        });
        let Ok(catalog) = self.catalog_mut(aid, catalog_id) else {
            return 0..0;
        };
        let first = catalog.last_seeded_product.saturating_add(1);
        let end = first.saturating_add(n);
        catalog.last_seeded_product = end - 1;
        // Collecting sorted keys bulk-builds the tree; `append` merges it in linear time.
        let mut fresh: std::collections::BTreeMap<Box<str>, ProductRecord> = (first..end)
            .map(|i| {
                (
                    seeded_product_id(i).into_boxed_str(),
                    ProductRecord::Seeded { n: i, batch },
                )
            })
            .collect();
        catalog.products.append(&mut fresh);
        // The groups products point to exist, as they would in a real account. Five
        // consecutive products cover every group they can name.
        let span = end.saturating_sub(first).min(SEEDED_PRODUCT_GROUPS);
        for i in first..first.saturating_add(span) {
            self.ensure_seeded_group(aid, product_group(i), at);
        }
        first..end
    }

    /// Adds `n` numbered groups and returns the numbers used; a group with a number already
    /// made (for seeded products, or by a request using that id) is kept as it is.
    pub(crate) fn seed_groups(&mut self, aid: &str, n: u32) -> Range<u32> {
        let first = self.account_mut(aid).last_seeded_group.saturating_add(1);
        let end = first.saturating_add(n);
        let now = Utc::now();
        for i in first..end {
            self.ensure_seeded_group(aid, i, now);
        }
        self.account_mut(aid).last_seeded_group = end - 1;
        first..end
    }

    fn ensure_seeded_group(&mut self, aid: &str, g: u32, at: DateTime<Utc>) {
        let id = seeded_group_id(g);
        if self
            .account(aid)
            .is_some_and(|account| account.groups.contains_key(id.as_str()))
        {
            return;
        }
        let uuid = derived_uuid(self.seed, splitmix64(self.seed ^ GROUP_SALT), g);
        let group = self.new_group(id.clone(), Some(group_name(g)), at, uuid);
        self.account_mut(aid)
            .groups
            .insert(id.into_boxed_str(), group);
    }

    /// Seeded product `n` of `batch` as the API shows it (less its catalog's fields).
    pub(super) fn render_seeded(&self, id: &str, n: u32, batch: u32) -> ProductDetails {
        let (at, salt) = match self.batches.get(batch as usize) {
            Some(b) => (b.at, b.salt),
            None => (DateTime::<Utc>::UNIX_EPOCH, 0),
        };
        let g = product_group(n);
        let mut name = String::new();
        write_product_name(&mut name, n);
        ProductDetails {
            created_at: Some(at),
            created_by: Some(self.actor.to_string()),
            currency: Some("NOK".to_owned()),
            description: Some(format!("Seeded product number {n}")),
            groups: vec![GroupFields {
                group_id: Some(seeded_group_id(g)),
                group_name: Some(group_name(g)),
            }],
            id: Some(derived_uuid(self.seed, salt, n)),
            is_virtual_product: false,
            locations: vec![Location {
                extra: Default::default(),
                is_available_for_pickup: n.is_multiple_of(2),
                is_available_for_shipping: true,
                location_id: Some("LOC001".to_owned()),
                location_name: Some("Fake warehouse".to_owned()),
                number_of_items_in_storage: Some(i64::from(n % 100)),
            }],
            product_id: Some(id.to_owned()),
            product_name: Some(name),
            unit: Some("stk".to_owned()),
            unit_gross_price: Some(product_price(n)),
            updated_at: Some(at),
            ..ProductDetails::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cursors::{CursorKind, PageRequest};
    use crate::store::ProductFilter;

    const AID: &str = "T00000001";

    #[test]
    fn seeding_continues_numbering_and_pages_in_order() {
        let mut store = Store::new(1, "me");
        assert_eq!(store.seed_products(AID, "S", 3), 1..4);
        assert_eq!(store.seed_products(AID, "S", 2), 4..6);
        assert_eq!(store.product_count(AID, "S"), 5);
        let page = store
            .list_products(
                AID,
                "S",
                &PageRequest::first(CursorKind::Products, 2),
                &ProductFilter::default(),
            )
            .unwrap_or_default();
        let ids: Vec<_> = page
            .items
            .iter()
            .filter_map(|p| p.product_id.clone())
            .collect();
        assert_eq!(ids, ["P000001", "P000002"]);
        assert!(page.next.is_some());
        // A seeded product renders the same twice (derived fields are stable).
        let a = store.get_product(AID, "S", "P000004").ok();
        let b = store.get_product(AID, "S", "P000004").ok();
        assert_eq!(a, b);
        assert_ne!(
            store
                .get_product(AID, "S", "P000001")
                .ok()
                .and_then(|p| p.id),
            a.and_then(|p| p.id)
        );
    }

    #[test]
    fn seeded_groups_are_numbered() {
        let mut store = Store::new(1, "me");
        assert_eq!(store.seed_groups(AID, 3), 1..4);
        assert!(store.get_group(AID, "G000003").is_ok());
        assert!(store.get_group(AID, "G000004").is_err());
    }

    #[test]
    fn seeded_products_belong_to_groups_that_exist() {
        let mut store = Store::new(1, "me");
        store.seed_products(AID, "S", 2);
        let groups = |store: &Store| -> Vec<String> {
            store
                .list_groups(AID, &PageRequest::first(CursorKind::Groups, 100), None)
                .items
                .into_iter()
                .filter_map(|g| g.group_id)
                .collect()
        };
        assert_eq!(groups(&store), ["G000001", "G000002"], "only those used");
        store.seed_products(AID, "S", 1_000);
        assert_eq!(
            groups(&store),
            ["G000001", "G000002", "G000003", "G000004", "G000005"]
        );
        for n in [1, 2, 5, 6, 999] {
            let product = store
                .get_product(AID, "S", &seeded_product_id(n))
                .expect("seeded");
            for group in &product.groups {
                let id = group.group_id.as_deref().unwrap_or_default();
                let stored = store.get_group(AID, id).expect("the group exists");
                assert_eq!(stored.group_name, group.group_name);
            }
        }
        // Numbering groups continues from 1, keeping the ones already made.
        let before = store.get_group(AID, "G000001").ok();
        assert_eq!(store.seed_groups(AID, 7), 1..8);
        assert_eq!(store.get_group(AID, "G000001").ok(), before);
        assert_eq!(groups(&store).len(), 7);
    }

    #[test]
    fn names_are_written_over_the_buffer() {
        let mut name = String::from("something else");
        write_seeded_name(&mut name, 12);
        assert_eq!(name, "Product 000012");
        write_seeded_name(&mut name, 7);
        assert_eq!(name, "Product 000007");
    }
}
