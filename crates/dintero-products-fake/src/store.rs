//! The data: accounts, their catalogs, groups and products, and the API's operations on them.
//!
//! Everything here is synchronous; a route holds the lock for one call, never across an
//! `.await`. Collections are `BTreeMap`s keyed by id, because every list is ordered by id.

mod demo;
mod seeding;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dintero_products_client::types::{
    CatalogInput, CatalogResponse, CreateCatalogBody, CreateGroupBody, CreateProductBody,
    GroupFields, GroupResponse, Location, LocationInput, ProductDetails, ProductInput,
};
use uuid::Uuid;

use crate::cursors::{self, Page, PageRequest};
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

/// A catalog owns its products: deleting it deletes them.
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

/// The products list's filters.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProductFilter {
    /// Exact match.
    pub product_id: Option<String>,
    /// Case-insensitive substring.
    pub product_name: Option<String>,
}

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
        self.account_mut(aid)
            .catalogs
            .insert(id.into_boxed_str(), record);
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
    /// products"), its products with it.
    pub(crate) fn delete_catalog(
        &mut self,
        aid: &str,
        id: &str,
    ) -> Result<CatalogResponse, ApiError> {
        let removed = self
            .accounts
            .get_mut(aid)
            .and_then(|account| account.catalogs.remove(id))
            .ok_or_else(|| catalog_not_found(id))?;
        let (deleted_at, deleted_by) = self.deletion();
        Ok(CatalogResponse {
            deleted_at,
            deleted_by,
            ..removed.entity
        })
    }

    // Groups.

    pub(crate) fn list_groups(
        &self,
        aid: &str,
        request: &PageRequest,
        group_id: Option<&str>,
    ) -> Page<GroupResponse> {
        let Some(account) = self.account(aid) else {
            return Page::default();
        };
        cursors::page(
            &account.groups,
            request,
            |id, _| group_id.is_none_or(|wanted| wanted == id),
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
        let catalog = self.catalog(aid, catalog_id)?;
        let needle = filter.product_name.as_ref().map(|n| n.to_lowercase());
        let mut scratch = String::new();
        let keep = |id: &str, record: &ProductRecord| {
            if filter
                .product_id
                .as_deref()
                .is_some_and(|wanted| wanted != id)
            {
                return false;
            }
            let Some(needle) = needle.as_deref() else {
                return true;
            };
            match record {
                ProductRecord::Seeded { n, .. } => {
                    seeding::seeded_name_contains(*n, needle, &mut scratch)
                }
                ProductRecord::Stored(details) => details
                    .product_name
                    .as_ref()
                    .is_some_and(|name| name.to_lowercase().contains(needle)),
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
        let catalog = self.catalog(aid, catalog_id)?;
        let record = catalog
            .products
            .get(id)
            .ok_or_else(|| product_not_found(catalog_id, id))?;
        Ok(self.render_product(catalog, id, record))
    }

    /// Replaces the writable fields; `groups` is replaced only when `groups` is `Some`.
    pub(crate) fn update_product(
        &mut self,
        aid: &str,
        catalog_id: &str,
        id: &str,
        body: ProductInput,
        groups: Option<Vec<GroupFields>>,
    ) -> Result<ProductDetails, ApiError> {
        let current = self.get_product(aid, catalog_id, id)?;
        let updated = ProductDetails {
            currency: body.currency,
            description: body.description,
            dimension: body.dimension,
            groups: groups.unwrap_or(current.groups),
            images: body.images,
            is_virtual_product: body.is_virtual_product,
            locations: body
                .locations
                .into_iter()
                .map(location_from_input)
                .collect(),
            product_name: body.product_name,
            starting_at: body.starting_at,
            stopping_at: body.stopping_at,
            unit: body.unit,
            unit_gross_price: body.unit_gross_price,
            updated_at: Some(bumped(current.updated_at)),
            extra: body.extra,
            ..current
        };
        let stored = ProductDetails {
            catalog_id: None,
            catalog_name: None,
            ..updated.clone()
        };
        let catalog = self.catalog_mut(aid, catalog_id)?;
        // `get_product` found it above, under the same lock.
        if let Some(record) = catalog.products.get_mut(id) {
            *record = ProductRecord::Stored(Box::new(stored));
        }
        Ok(updated)
    }

    pub(crate) fn delete_product(
        &mut self,
        aid: &str,
        catalog_id: &str,
        id: &str,
    ) -> Result<ProductDetails, ApiError> {
        let rendered = self.get_product(aid, catalog_id, id)?;
        self.catalog_mut(aid, catalog_id)?.products.remove(id);
        let (deleted_at, deleted_by) = self.deletion();
        Ok(ProductDetails {
            deleted_at,
            deleted_by,
            ..rendered
        })
    }

    pub(crate) fn product_count(&self, aid: &str, catalog_id: &str) -> usize {
        self.catalog(aid, catalog_id)
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
        let deleted = store.delete_catalog("T00000001", "S").ok();
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
