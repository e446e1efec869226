//! The data: accounts, their catalogs, groups and products, and the API's operations on them.
//!
//! Everything here is synchronous; a route holds the lock for one call, never across an
//! `.await`. Collections are `BTreeMap`s keyed by id, because every list is ordered by id.

mod demo;
mod seeding;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dintero_products_client::types::{
    CatalogInput, CatalogResponse, CreateCatalogBody, CreateGroupBody, CreateProductBody,
    GroupFields, GroupResponse, Location, LocationInput, ProductDetails, ProductInput,
};
use uuid::Uuid;

use crate::cursors::{self, Page, PageRequest};
use crate::dialect::{Matcher, UpdateSemantics};
use crate::errors::ApiError;

pub use demo::DEMO_CATALOG_ID;
use seeding::SeedBatch;
pub use seeding::{seeded_group_id, seeded_product_id};

/// A product as stored. A seeded product keeps only its number and batch, and is rendered
/// from them when read, so a million of them stay small.
#[derive(Clone, Debug)]
enum ProductRecord {
    Seeded { n: u32, batch: u32 },
    Stored(Box<ProductDetails>),
}

/// A catalog owns its products: deleting it deletes them, unless the dialect says otherwise.
#[derive(Debug)]
struct CatalogRecord {
    entity: CatalogResponse,
    products: BTreeMap<Box<str>, ProductRecord>,
    /// The number of the last seeded product, so that seeding again continues after it.
    last_seeded_product: u32,
}

#[derive(Debug, Default)]
struct Account {
    catalogs: BTreeMap<Box<str>, CatalogRecord>,
    /// Catalogs deleted without their products (a dialect): gone as catalogs, while the
    /// product routes under their ids still reach the products, and a catalog created again
    /// with one of these ids takes its products back.
    orphans: BTreeMap<Box<str>, CatalogRecord>,
    groups: BTreeMap<Box<str>, GroupResponse>,
    last_seeded_group: u32,
}

/// The whole state of one fake server.
#[derive(Debug)]
pub(crate) struct Store {
    accounts: HashMap<String, Account>,
    batches: Vec<SeedBatch>,
    seed: u64,
    /// Written into `created_by` and `deleted_by`.
    actor: Arc<str>,
}

/// The products list's filters, each with the dialect's rule.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProductFilter {
    pub product_id: Option<Matcher>,
    pub product_name: Option<Matcher>,
}

/// A product update as its route read it.
#[derive(Debug)]
pub(crate) struct ProductUpdate {
    pub input: ProductInput,
    /// The body's top-level keys: a merge keeps the fields of the others.
    pub sent: BTreeSet<String>,
    pub semantics: UpdateSemantics,
    /// The product's new groups, or `None` to keep them.
    pub groups: Option<Vec<GroupFields>>,
}

/// The fields of a product that an update cannot write. Sent in a body, they land in the
/// input's unknown fields; kept there, the product's JSON would carry them twice.
const NOT_WRITABLE: [&str; 10] = [
    "catalog_id",
    "catalog_name",
    "created_at",
    "created_by",
    "deleted_at",
    "deleted_by",
    "groups",
    "id",
    "product_id",
    "updated_at",
];

/// The id a create asked for (already checked when its body was read), or a fresh one when it
/// asked for none.
fn requested_id(requested: Option<impl Into<String>>) -> String {
    requested
        .map(Into::into)
        .unwrap_or_else(|| Uuid::new_v4().simple().to_string())
}

/// A timestamp strictly later than `previous`, so that an update always moves `updated_at`.
fn bumped(previous: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let now = Utc::now();
    match previous {
        Some(previous) if now <= previous => previous + chrono::Duration::microseconds(1),
        _ => now,
    }
}

fn location_from_input(input: LocationInput) -> Location {
    Location {
        is_available_for_pickup: input.is_available_for_pickup,
        is_available_for_shipping: input.is_available_for_shipping,
        location_id: input.location_id.map(String::from),
        location_name: input.location_name,
        number_of_items_in_storage: input.number_of_items_in_storage,
        extra: input.extra,
    }
}

fn catalog_not_found(catalog_id: &str) -> ApiError {
    ApiError::not_found(format!("catalog {catalog_id:?} not found"))
}

fn group_not_found(group_id: &str) -> ApiError {
    ApiError::not_found(format!("group {group_id:?} not found"))
}

fn product_not_found(catalog_id: &str, id: &str) -> ApiError {
    ApiError::not_found(format!(
        "product {id:?} not found in catalog {catalog_id:?}"
    ))
}

impl Store {
    pub(crate) fn new(seed: u64, actor: &str) -> Self {
        Store {
            accounts: HashMap::new(),
            batches: Vec::new(),
            seed,
            actor: Arc::from(actor),
        }
    }

    fn account(&self, aid: &str) -> Option<&Account> {
        self.accounts.get(aid)
    }

    fn account_mut(&mut self, aid: &str) -> &mut Account {
        self.accounts.entry(aid.to_owned()).or_default()
    }

    fn catalog(&self, aid: &str, catalog_id: &str) -> Result<&CatalogRecord, ApiError> {
        self.account(aid)
            .and_then(|account| account.catalogs.get(catalog_id))
            .ok_or_else(|| catalog_not_found(catalog_id))
    }

    fn catalog_mut(&mut self, aid: &str, catalog_id: &str) -> Result<&mut CatalogRecord, ApiError> {
        self.accounts
            .get_mut(aid)
            .and_then(|account| account.catalogs.get_mut(catalog_id))
            .ok_or_else(|| catalog_not_found(catalog_id))
    }

    /// Where a catalog's products are: the catalog's, or the ones a catalog deleted without
    /// them left under its id.
    fn shelf(&self, aid: &str, catalog_id: &str) -> Result<&CatalogRecord, ApiError> {
        self.account(aid)
            .and_then(|account| {
                account
                    .catalogs
                    .get(catalog_id)
                    .or_else(|| account.orphans.get(catalog_id))
            })
            .ok_or_else(|| catalog_not_found(catalog_id))
    }

    fn shelf_mut(&mut self, aid: &str, catalog_id: &str) -> Result<&mut CatalogRecord, ApiError> {
        let account = self
            .accounts
            .get_mut(aid)
            .ok_or_else(|| catalog_not_found(catalog_id))?;
        let shelf = if account.catalogs.contains_key(catalog_id) {
            account.catalogs.get_mut(catalog_id)
        } else {
            account.orphans.get_mut(catalog_id)
        };
        shelf.ok_or_else(|| catalog_not_found(catalog_id))
    }

    /// Adds a catalog; one deleted without its products gets them back.
    fn insert_catalog(&mut self, aid: &str, id: &str, mut record: CatalogRecord) {
        let account = self.account_mut(aid);
        if let Some(orphan) = account.orphans.remove(id) {
            record.products = orphan.products;
            record.last_seeded_product = orphan.last_seeded_product;
        }
        account.catalogs.insert(id.into(), record);
    }

    fn group_mut(&mut self, aid: &str, group_id: &str) -> Result<&mut GroupResponse, ApiError> {
        self.accounts
            .get_mut(aid)
            .and_then(|account| account.groups.get_mut(group_id))
            .ok_or_else(|| group_not_found(group_id))
    }

    fn new_catalog(&self, catalog_id: &str, name: Option<String>) -> CatalogRecord {
        let now = Utc::now();
        CatalogRecord {
            entity: CatalogResponse {
                catalog_id: Some(catalog_id.to_owned()),
                catalog_name: name,
                created_at: Some(now),
                created_by: Some(self.actor.to_string()),
                deleted_at: None,
                deleted_by: None,
                id: Some(Uuid::new_v4()),
                updated_at: Some(now),
            },
            products: BTreeMap::new(),
            last_seeded_product: 0,
        }
    }

    fn new_group(
        &self,
        id: String,
        name: Option<String>,
        at: DateTime<Utc>,
        uuid: Uuid,
    ) -> GroupResponse {
        GroupResponse {
            created_at: Some(at),
            created_by: Some(self.actor.to_string()),
            deleted_at: None,
            deleted_by: None,
            group_id: Some(id),
            group_name: name,
            id: Some(uuid),
            updated_at: Some(at),
        }
    }

    /// `(deleted_at, deleted_by)` for an item deleted now.
    fn deletion(&self) -> (Option<DateTime<Utc>>, Option<String>) {
        (Some(Utc::now()), Some(self.actor.to_string()))
    }

    // Catalogs.

    pub(crate) fn list_catalogs(&self, aid: &str, request: &PageRequest) -> Page<CatalogResponse> {
        let Some(account) = self.account(aid) else {
            return Page::default();
        };
        cursors::page(
            &account.catalogs,
            request,
            |_, _| true,
            |_, catalog| catalog.entity.clone(),
        )
    }

    pub(crate) fn create_catalog(
        &mut self,
        aid: &str,
        body: CreateCatalogBody,
    ) -> Result<CatalogResponse, ApiError> {
        let id = requested_id(body.catalog_id);
        if self
            .account(aid)
            .is_some_and(|a| a.catalogs.contains_key(id.as_str()))
        {
            return Err(ApiError::conflict(format!("catalog {id:?} already exists")));
        }
        let record = self.new_catalog(&id, body.catalog_name);
        let entity = record.entity.clone();
        self.insert_catalog(aid, &id, record);
        Ok(entity)
    }

    pub(crate) fn get_catalog(&self, aid: &str, id: &str) -> Result<CatalogResponse, ApiError> {
        Ok(self.catalog(aid, id)?.entity.clone())
    }

    pub(crate) fn update_catalog(
        &mut self,
        aid: &str,
        id: &str,
        body: CatalogInput,
    ) -> Result<CatalogResponse, ApiError> {
        let catalog = self.catalog_mut(aid, id)?;
        catalog.entity.catalog_name = body.catalog_name;
        catalog.entity.updated_at = Some(bumped(catalog.entity.updated_at));
        Ok(catalog.entity.clone())
    }

    /// Deletes the catalog and, as Dintero documents ("Delete catalog and all corresponding
    /// products"), its products with it; unless `cascades` is false, when they stay under its
    /// id (see `Account::orphans`).
    pub(crate) fn delete_catalog(
        &mut self,
        aid: &str,
        id: &str,
        cascades: bool,
    ) -> Result<CatalogResponse, ApiError> {
        let (deleted_at, deleted_by) = self.deletion();
        let account = self
            .accounts
            .get_mut(aid)
            .ok_or_else(|| catalog_not_found(id))?;
        let removed = account
            .catalogs
            .remove(id)
            .ok_or_else(|| catalog_not_found(id))?;
        let deleted = CatalogResponse {
            deleted_at,
            deleted_by,
            ..removed.entity.clone()
        };
        if !cascades {
            account.orphans.insert(id.into(), removed);
        }
        Ok(deleted)
    }

    // Groups.

    pub(crate) fn list_groups(
        &self,
        aid: &str,
        request: &PageRequest,
        group_id: Option<&Matcher>,
    ) -> Page<GroupResponse> {
        let Some(account) = self.account(aid) else {
            return Page::default();
        };
        let mut scratch = String::new();
        cursors::page(
            &account.groups,
            request,
            |id, _| group_id.is_none_or(|wanted| wanted.matches(id, &mut scratch)),
            |_, group| group.clone(),
        )
    }

    pub(crate) fn create_group(
        &mut self,
        aid: &str,
        body: CreateGroupBody,
    ) -> Result<GroupResponse, ApiError> {
        let id = requested_id(body.group_id);
        if self
            .account(aid)
            .is_some_and(|a| a.groups.contains_key(id.as_str()))
        {
            return Err(ApiError::conflict(format!("group {id:?} already exists")));
        }
        let group = self.new_group(id.clone(), body.group_name, Utc::now(), Uuid::new_v4());
        self.account_mut(aid)
            .groups
            .insert(id.into_boxed_str(), group.clone());
        Ok(group)
    }

    pub(crate) fn get_group(&self, aid: &str, id: &str) -> Result<GroupResponse, ApiError> {
        self.account(aid)
            .and_then(|account| account.groups.get(id))
            .cloned()
            .ok_or_else(|| group_not_found(id))
    }

    pub(crate) fn update_group(
        &mut self,
        aid: &str,
        id: &str,
        body: GroupFields,
    ) -> Result<GroupResponse, ApiError> {
        let group = self.group_mut(aid, id)?;
        group.group_name = body.group_name;
        group.updated_at = Some(bumped(group.updated_at));
        Ok(group.clone())
    }

    pub(crate) fn delete_group(&mut self, aid: &str, id: &str) -> Result<GroupResponse, ApiError> {
        let removed = self
            .accounts
            .get_mut(aid)
            .and_then(|account| account.groups.remove(id))
            .ok_or_else(|| group_not_found(id))?;
        let (deleted_at, deleted_by) = self.deletion();
        Ok(GroupResponse {
            deleted_at,
            deleted_by,
            ..removed
        })
    }

    // Products.

    /// One product as the API shows it: with its catalog's id and name.
    fn render_product(
        &self,
        catalog: &CatalogRecord,
        id: &str,
        record: &ProductRecord,
    ) -> ProductDetails {
        let details = match record {
            ProductRecord::Stored(details) => (**details).clone(),
            ProductRecord::Seeded { n, batch } => self.render_seeded(id, *n, *batch),
        };
        ProductDetails {
            catalog_id: catalog.entity.catalog_id.clone(),
            catalog_name: catalog.entity.catalog_name.clone(),
            ..details
        }
    }

    pub(crate) fn list_products(
        &self,
        aid: &str,
        catalog_id: &str,
        request: &PageRequest,
        filter: &ProductFilter,
    ) -> Result<Page<ProductDetails>, ApiError> {
        let catalog = self.shelf(aid, catalog_id)?;
        // Reused for every product, so that a filter over a million seeded ones does not
        // allocate per product.
        let (mut name, mut scratch) = (String::new(), String::new());
        let keep = |id: &str, record: &ProductRecord| {
            if let Some(wanted) = &filter.product_id
                && !wanted.matches(id, &mut scratch)
            {
                return false;
            }
            let Some(wanted) = &filter.product_name else {
                return true;
            };
            match record {
                ProductRecord::Seeded { n, .. } => {
                    seeding::write_seeded_name(&mut name, *n);
                    wanted.matches(&name, &mut scratch)
                }
                ProductRecord::Stored(details) => details
                    .product_name
                    .as_ref()
                    .is_some_and(|name| wanted.matches(name, &mut scratch)),
            }
        };
        Ok(cursors::page(
            &catalog.products,
            request,
            keep,
            |id, record| self.render_product(catalog, id, record),
        ))
    }

    pub(crate) fn create_product(
        &mut self,
        aid: &str,
        catalog_id: &str,
        body: CreateProductBody,
    ) -> Result<ProductDetails, ApiError> {
        let id = requested_id(body.product_id);
        let actor = self.actor.to_string();
        let catalog = self.catalog_mut(aid, catalog_id)?;
        if catalog.products.contains_key(id.as_str()) {
            return Err(ApiError::conflict(format!(
                "product {id:?} already exists in catalog {catalog_id:?}"
            )));
        }
        let now = Utc::now();
        let details = ProductDetails {
            catalog_id: None,
            catalog_name: None,
            created_at: Some(now),
            created_by: Some(actor),
            currency: body.currency,
            deleted_at: None,
            deleted_by: None,
            description: body.description,
            dimension: body.dimension,
            groups: body.groups,
            id: Some(Uuid::new_v4()),
            images: body.images,
            is_virtual_product: body.is_virtual_product,
            locations: body
                .locations
                .into_iter()
                .map(location_from_input)
                .collect(),
            product_id: Some(id.clone()),
            product_name: body.product_name,
            starting_at: body.starting_at,
            stopping_at: body.stopping_at,
            unit: body.unit,
            unit_gross_price: body.unit_gross_price,
            updated_at: Some(now),
            // Fields the fake does not know are stored and returned, as a server that keeps
            // what it is sent would.
            extra: body.extra,
        };
        let rendered = ProductDetails {
            catalog_id: catalog.entity.catalog_id.clone(),
            catalog_name: catalog.entity.catalog_name.clone(),
            ..details.clone()
        };
        catalog.products.insert(
            id.into_boxed_str(),
            ProductRecord::Stored(Box::new(details)),
        );
        Ok(rendered)
    }

    pub(crate) fn get_product(
        &self,
        aid: &str,
        catalog_id: &str,
        id: &str,
    ) -> Result<ProductDetails, ApiError> {
        let catalog = self.shelf(aid, catalog_id)?;
        let record = catalog
            .products
            .get(id)
            .ok_or_else(|| product_not_found(catalog_id, id))?;
        Ok(self.render_product(catalog, id, record))
    }

    /// Writes the writable fields: all of them (replace), or those the body sent (merge);
    /// `groups` only when the update carries some.
    pub(crate) fn update_product(
        &mut self,
        aid: &str,
        catalog_id: &str,
        id: &str,
        update: ProductUpdate,
    ) -> Result<ProductDetails, ApiError> {
        let mut product = self.get_product(aid, catalog_id, id)?;
        let ProductUpdate {
            input,
            sent,
            semantics,
            groups,
        } = update;
        let merge = semantics == UpdateSemantics::Merge;
        let writes = |key: &str| !merge || sent.contains(key);
        if writes("currency") {
            product.currency = input.currency;
        }
        if writes("description") {
            product.description = input.description;
        }
        if writes("dimension") {
            product.dimension = input.dimension;
        }
        if writes("images") {
            product.images = input.images;
        }
        if writes("is_virtual_product") {
            product.is_virtual_product = input.is_virtual_product;
        }
        if writes("locations") {
            product.locations = input
                .locations
                .into_iter()
                .map(location_from_input)
                .collect();
        }
        if writes("product_name") {
            product.product_name = input.product_name;
        }
        if writes("starting_at") {
            product.starting_at = input.starting_at;
        }
        if writes("stopping_at") {
            product.stopping_at = input.stopping_at;
        }
        if writes("unit") {
            product.unit = input.unit;
        }
        if writes("unit_gross_price") {
            product.unit_gross_price = input.unit_gross_price;
        }
        if let Some(groups) = groups {
            product.groups = groups;
        }
        // Unknown fields are replaced as a whole, or merged key by key.
        if !merge {
            product.extra.clear();
        }
        product.extra.extend(
            input
                .extra
                .into_iter()
                .filter(|(key, _)| !NOT_WRITABLE.contains(&key.as_str())),
        );
        product.updated_at = Some(bumped(product.updated_at));
        let stored = ProductDetails {
            catalog_id: None,
            catalog_name: None,
            ..product.clone()
        };
        let catalog = self.shelf_mut(aid, catalog_id)?;
        // `get_product` found it above, under the same lock.
        if let Some(record) = catalog.products.get_mut(id) {
            *record = ProductRecord::Stored(Box::new(stored));
        }
        Ok(product)
    }

    pub(crate) fn delete_product(
        &mut self,
        aid: &str,
        catalog_id: &str,
        id: &str,
    ) -> Result<ProductDetails, ApiError> {
        let rendered = self.get_product(aid, catalog_id, id)?;
        self.shelf_mut(aid, catalog_id)?.products.remove(id);
        let (deleted_at, deleted_by) = self.deletion();
        Ok(ProductDetails {
            deleted_at,
            deleted_by,
            ..rendered
        })
    }

    pub(crate) fn product_count(&self, aid: &str, catalog_id: &str) -> usize {
        self.shelf(aid, catalog_id)
            .map(|c| c.products.len())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cursors::CursorKind;

    #[test]
    fn deleting_a_catalog_deletes_its_products_and_a_new_one_starts_empty() {
        let mut store = Store::new(1, "me");
        store.seed_products("T00000001", "S", 3);
        let deleted = store.delete_catalog("T00000001", "S", true).ok();
        assert!(deleted.is_some_and(|c| c.deleted_at.is_some()));
        assert_eq!(store.product_count("T00000001", "S"), 0);
        let body = serde_json::from_value(serde_json::json!({"catalog_id": "S"}));
        let created = store.create_catalog("T00000001", body.expect("a create body"));
        assert!(created.is_ok());
        let page = store
            .list_products(
                "T00000001",
                "S",
                &PageRequest::first(CursorKind::Products, 10),
                &ProductFilter::default(),
            )
            .unwrap_or_default();
        assert!(page.items.is_empty());
        // Seeding the new catalog numbers from 1 again.
        assert_eq!(store.seed_products("T00000001", "S", 1), 1..2);
    }
}
