//! The demo catalog: a small furniture shop that reads like real data, for trying the SDK or
//! the fake by hand. Everything in it is fixed (ids, texts, prices, timestamps, and uuids
//! derived from the server's seed), so two servers with the same seed show the same demo.

use chrono::{DateTime, TimeZone as _, Utc};
use dintero_products_client::types::{CatalogResponse, GroupFields, Location, ProductDetails};

use super::seeding::derived_uuid;
use super::{CatalogRecord, ProductRecord, Store};

/// The id of the catalog [`crate::FakeServer::seed_demo`] creates.
pub const DEMO_CATALOG_ID: &str = "DEMO";

const DEMO_CATALOG_NAME: &str = "Demo catalog";

/// Mixed into the demo's uuids, so that they differ from seeded items'.
const DEMO_SALT: u64 = 0x6465_6d6f;

/// The groups: id and name.
const GROUPS: [(&str, &str); 4] = [
    ("CHAIRS", "Chairs"),
    ("TABLES", "Tables"),
    ("LAMPS", "Lamps"),
    ("OUTDOOR", "Outdoor"),
];

/// Where products are stocked: id, name, and whether customers can pick up there.
const LOCATIONS: [(&str, &str, bool); 2] = [
    ("OSL-01", "Oslo showroom", true),
    ("BGO-WH", "Bergen warehouse", false),
];

/// A demo product: id, name, description, price in øre (NOK minor units), its groups, and at
/// which of the [`LOCATIONS`] it is stocked.
struct DemoProduct {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    price: i64,
    groups: &'static [&'static str],
    stocked: &'static [usize],
}

const fn product(
    id: &'static str,
    name: &'static str,
    description: &'static str,
    price: i64,
    groups: &'static [&'static str],
    stocked: &'static [usize],
) -> DemoProduct {
    DemoProduct {
        id,
        name,
        description,
        price,
        groups,
        stocked,
    }
}

const BOTH: &[usize] = &[0, 1];
const OSLO: &[usize] = &[0];
const BERGEN: &[usize] = &[1];

#[rustfmt::skip]
const PRODUCTS: [DemoProduct; 24] = [
    product("CH-1001", "Nordli dining chair, oak", "Solid oak frame with a woven paper-cord seat.", 149_900, &["CHAIRS"], BOTH),
    product("CH-1002", "Nordli dining chair, black", "The Nordli chair in black-stained oak.", 149_900, &["CHAIRS"], BOTH),
    product("CH-1003", "Fjord stacking chair", "Powder-coated steel chair that stacks ten high, for cafés and meeting rooms.", 59_900, &["CHAIRS", "OUTDOOR"], BERGEN),
    product("CH-1004", "Lune armchair, wool", "Deep armchair upholstered in grey wool.", 649_900, &["CHAIRS"], OSLO),
    product("CH-1005", "Bris office chair", "Office chair with adjustable height, armrests and lumbar support.", 299_900, &["CHAIRS"], BOTH),
    product("CH-1006", "Tind bar stool", "Bar stool in solid ash, seat height 75 cm.", 119_900, &["CHAIRS"], BERGEN),
    product("CH-1007", "Kjerne children's chair", "Birch chair for children aged 2 to 6, with rounded edges.", 39_900, &["CHAIRS"], OSLO),
    product("CH-1008", "Strand deck chair", "Folding teak deck chair with a canvas seat.", 89_900, &["CHAIRS", "OUTDOOR"], BOTH),
    product("TB-2001", "Nordli dining table 180", "Oak dining table, 180 x 90 cm, seats six.", 899_900, &["TABLES"], BOTH),
    product("TB-2002", "Nordli dining table 240", "Oak dining table, 240 x 100 cm, seats eight to ten.", 1_199_900, &["TABLES"], OSLO),
    product("TB-2003", "Vik coffee table", "Round coffee table in smoked oak, 80 cm across.", 299_900, &["TABLES"], BOTH),
    product("TB-2004", "Lune side table", "Small side table with a green marble top.", 179_900, &["TABLES"], OSLO),
    product("TB-2005", "Bris standing desk", "Electric height-adjustable desk, 140 x 70 cm.", 549_900, &["TABLES"], BERGEN),
    product("TB-2006", "Strand garden table", "Teak garden table for four, 120 x 80 cm.", 499_900, &["TABLES", "OUTDOOR"], BERGEN),
    product("TB-2007", "Tind bar table", "High table in solid ash, 110 cm tall.", 249_900, &["TABLES"], BERGEN),
    product("LP-3001", "Lys pendant, opal", "Mouth-blown opal glass pendant, 35 cm across.", 129_900, &["LAMPS"], BOTH),
    product("LP-3002", "Lys pendant, smoke", "Mouth-blown smoked glass pendant, 35 cm across.", 139_900, &["LAMPS"], BOTH),
    product("LP-3003", "Stille floor lamp", "Brass floor lamp with a linen shade, 160 cm tall.", 249_900, &["LAMPS"], OSLO),
    product("LP-3004", "Stille table lamp", "Brass table lamp with a linen shade.", 119_900, &["LAMPS"], OSLO),
    product("LP-3005", "Glimt desk lamp", "LED desk lamp with a dimmer and an adjustable arm.", 79_900, &["LAMPS"], BOTH),
    product("LP-3006", "Fyr wall lamp", "Outdoor wall lamp in black aluminium, IP44.", 69_900, &["LAMPS", "OUTDOOR"], BERGEN),
    product("LP-3007", "Lanterne solar lantern", "Solar-powered garden lantern that lights up at dusk.", 34_900, &["LAMPS", "OUTDOOR"], BERGEN),
    product("OD-4001", "Strand parasol", "Parasol 270 cm across, with a tilting mechanism.", 199_900, &["OUTDOOR"], BERGEN),
    product("OD-4002", "Strand cushion set", "Two weatherproof cushions for the Strand deck chair.", 49_900, &["OUTDOOR"], BOTH),
];

/// 2024-01-15 09:00 UTC: the demo's fixed creation time.
fn demo_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 15, 9, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn group_name(id: &str) -> Option<String> {
    GROUPS
        .iter()
        .find(|(group_id, _)| *group_id == id)
        .map(|(_, name)| (*name).to_owned())
}

impl Store {
    /// Creates (or resets to its original content) the demo catalog and its groups.
    pub(crate) fn seed_demo(&mut self, aid: &str) {
        let at = demo_time();
        let mut number = 0u32;
        let mut next_uuid = || {
            number += 1;
            derived_uuid(self.seed, DEMO_SALT, number)
        };
        let catalog_uuid = next_uuid();
        let group_uuids: Vec<_> = GROUPS.iter().map(|_| next_uuid()).collect();
        let product_uuids: Vec<_> = PRODUCTS.iter().map(|_| next_uuid()).collect();

        for ((id, name), uuid) in GROUPS.iter().zip(group_uuids) {
            let group = self.new_group((*id).to_owned(), Some((*name).to_owned()), at, uuid);
            self.account_mut(aid).groups.insert((*id).into(), group);
        }
        let products = PRODUCTS
            .iter()
            .zip(product_uuids)
            .enumerate()
            .map(|(i, (p, uuid))| {
                let details = self.demo_product(p, i, uuid, at);
                (Box::from(p.id), ProductRecord::Stored(Box::new(details)))
            })
            .collect();
        let catalog = CatalogRecord {
            entity: CatalogResponse {
                catalog_id: Some(DEMO_CATALOG_ID.to_owned()),
                catalog_name: Some(DEMO_CATALOG_NAME.to_owned()),
                created_at: Some(at),
                created_by: Some(self.actor.to_string()),
                deleted_at: None,
                deleted_by: None,
                id: Some(catalog_uuid),
                updated_at: Some(at),
            },
            products,
            last_seeded_product: 0,
        };
        let account = self.account_mut(aid);
        // A reset: products a deleted demo left behind (a dialect) are not taken back.
        account.orphans.remove(DEMO_CATALOG_ID);
        account.catalogs.insert(DEMO_CATALOG_ID.into(), catalog);
    }

    fn demo_product(
        &self,
        p: &DemoProduct,
        index: usize,
        uuid: uuid::Uuid,
        at: DateTime<Utc>,
    ) -> ProductDetails {
        let locations = p
            .stocked
            .iter()
            .filter_map(|&l| LOCATIONS.get(l))
            .zip(0i64..)
            .map(|(&(id, name, pickup), k)| Location {
                extra: Default::default(),
                is_available_for_pickup: pickup,
                is_available_for_shipping: true,
                location_id: Some(id.to_owned()),
                location_name: Some(name.to_owned()),
                // Varied but fixed stock levels.
                number_of_items_in_storage: Some((index as i64 * 7 + k * 11) % 40),
            })
            .collect();
        ProductDetails {
            created_at: Some(at),
            created_by: Some(self.actor.to_string()),
            currency: Some("NOK".to_owned()),
            description: Some(p.description.to_owned()),
            groups: p
                .groups
                .iter()
                .map(|&id| GroupFields {
                    group_id: Some(id.to_owned()),
                    group_name: group_name(id),
                })
                .collect(),
            id: Some(uuid),
            locations,
            product_id: Some(p.id.to_owned()),
            product_name: Some(p.name.to_owned()),
            unit: Some("stk".to_owned()),
            unit_gross_price: Some(p.price),
            updated_at: Some(at),
            ..ProductDetails::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_demo_is_consistent() {
        let ids: HashSet<_> = PRODUCTS.iter().map(|p| p.id).collect();
        assert_eq!(ids.len(), PRODUCTS.len(), "product ids are unique");
        for p in &PRODUCTS {
            assert!(!p.groups.is_empty() && !p.stocked.is_empty(), "{}", p.id);
            assert!(p.groups.iter().all(|g| group_name(g).is_some()), "{}", p.id);
            assert!(p.stocked.iter().all(|&l| l < LOCATIONS.len()), "{}", p.id);
            assert!(p.price > 0 && p.price % 100 == 0, "{}: whole kroner", p.id);
        }
        for (group, _) in GROUPS {
            assert!(
                PRODUCTS.iter().any(|p| p.groups.contains(&group)),
                "{group} has products"
            );
        }
    }

    #[test]
    fn the_demo_is_deterministic_and_resets() {
        let render = |store: &Store| {
            (0..PRODUCTS.len())
                .map(|i| {
                    store
                        .get_product("T00000001", DEMO_CATALOG_ID, PRODUCTS[i].id)
                        .ok()
                })
                .collect::<Vec<_>>()
        };
        let mut a = Store::new(9, "me");
        let mut b = Store::new(9, "me");
        a.seed_demo("T00000001");
        b.seed_demo("T00000001");
        assert_eq!(render(&a), render(&b));
        assert_eq!(
            a.get_catalog("T00000001", DEMO_CATALOG_ID).ok(),
            b.get_catalog("T00000001", DEMO_CATALOG_ID).ok()
        );
        let before = render(&a);
        assert!(
            a.delete_product("T00000001", DEMO_CATALOG_ID, "CH-1001")
                .is_ok()
        );
        a.seed_demo("T00000001");
        assert_eq!(render(&a), before);
        assert_eq!(
            a.product_count("T00000001", DEMO_CATALOG_ID),
            PRODUCTS.len()
        );
    }
}
