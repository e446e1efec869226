//! The in-memory state: accounts, catalogs, groups and products, and the operations on them.
//!
//! Everything here is synchronous; the HTTP layer holds the lock only for the duration of one
//! call, never across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::ops::Bound;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use dintero_products_client::types::{
    CatalogInput, CatalogResponse, CreateCatalogBody, CreateGroupBody, CreateProductBody, Group,
    GroupResponse, Location, LocationInput, ProductDetails, ProductInput,
};
use uuid::Uuid;

use crate::error::ApiError;

/// The id of the `n`th product created by [`crate::FakeServer::seed_products`] (1-based).
pub fn seeded_product_id(n: u32) -> String {
    format!("P{n:06}")
}

/// The id of the `n`th group created by [`crate::FakeServer::seed_groups`] (1-based).
pub fn seeded_group_id(n: u32) -> String {
    format!("G{n:06}")
}

/// How many distinct groups seeded products are spread over (`G000001` ..= `G000005`).
pub(crate) const SEEDED_PRODUCT_GROUPS: u32 = 5;

/// Which collection a pagination cursor belongs to; part of the cursor so that one collection's
/// cursor is refused by another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CursorKind {
    Catalogs,
    Groups,
    Products,
}

impl CursorKind {
    fn tag(self) -> &'static str {
        match self {
            CursorKind::Catalogs => "c1.",
            CursorKind::Groups => "g1.",
            CursorKind::Products => "p1.",
        }
    }
}

/// Encodes the id of the last item of a page as an opaque cursor (never equal to the id).
pub(crate) fn encode_cursor(kind: CursorKind, last_id: &str) -> String {
    format!(
        "{}{}",
        kind.tag(),
        URL_SAFE_NO_PAD.encode(last_id.as_bytes())
    )
}

/// Decodes a cursor made by [`encode_cursor`] for the same collection.
pub(crate) fn decode_cursor(kind: CursorKind, cursor: &str) -> Result<String, ApiError> {
    let bad = || ApiError::bad_request(format!("invalid starting_after cursor: {cursor:?}"));
    let encoded = cursor.strip_prefix(kind.tag()).ok_or_else(bad)?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| bad())?;
    String::from_utf8(bytes).map_err(|_| bad())
}

/// Paging parameters, already validated.
#[derive(Clone, Debug)]
pub(crate) struct PageRequest {
    pub limit: usize,
    /// The id after which the page starts (decoded from the cursor).
    pub after: Option<String>,
}

/// Walks `map` in id order after `after`, keeping items that pass `keep`, and returns up to
/// `limit` of them and whether more (matching) items follow.
fn page<'a, V>(
    map: &'a BTreeMap<Box<str>, V>,
    request: &PageRequest,
    mut keep: impl FnMut(&str, &V) -> bool,
) -> (Vec<(&'a str, &'a V)>, bool) {
    let lower = match &request.after {
        Some(after) => Bound::Excluded(after.as_str()),
        None => Bound::Unbounded,
    };
    let mut items = Vec::with_capacity(request.limit.min(map.len()));
    let mut more = false;
    for (id, value) in map.range::<str, _>((lower, Bound::Unbounded)) {
        if !keep(id, value) {
            continue;
        }
        if items.len() == request.limit {
            more = true;
            break;
        }
        items.push((&**id, value));
    }
    (items, more)
}

/// When and by what batch a group of seeded products was created.
#[derive(Clone, Debug)]
struct SeedBatch {
    at: DateTime<Utc>,
    /// Mixed into the derived uuids so that two batches never share one.
    salt: u64,
}

/// A product as stored. Seeded products keep only their number and batch: everything else is
/// derived when rendered, so a million of them stay small.
#[derive(Clone, Debug)]
enum ProductRecord {
    Seeded { n: u32, batch: u32 },
    Stored(Box<ProductDetails>),
}

#[derive(Debug)]
struct CatalogRecord {
    entity: CatalogResponse,
    products: BTreeMap<Box<str>, ProductRecord>,
    next_seeded_product: u32,
}

#[derive(Debug, Default)]
struct Account {
    catalogs: BTreeMap<Box<str>, CatalogRecord>,
    groups: BTreeMap<Box<str>, GroupResponse>,
    next_seeded_group: u32,
}

/// The whole state of one fake server.
#[derive(Debug)]
pub(crate) struct Store {
    accounts: HashMap<String, Account>,
    batches: Vec<SeedBatch>,
    seed: u64,
    /// Written into `created_by` / `deleted_by`.
    actor: Arc<str>,
}

/// A product list filter.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProductFilter {
    pub product_id: Option<String>,
    pub product_name: Option<String>,
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn derived_uuid(seed: u64, salt: u64, n: u32) -> Uuid {
    let a = splitmix64(seed ^ salt.rotate_left(17) ^ u64::from(n));
    let b = splitmix64(a ^ 0xD1B5_4A32_D192_ED03);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn new_id() -> String {
    Uuid::new_v4().simple().to_string()
}

/// The id a create asked for, checked, or a fresh one when it asked for none.
fn requested_id(kind: &str, requested: Option<String>) -> Result<String, ApiError> {
    match requested {
        Some(id) => {
            check_id(kind, &id)?;
            Ok(id)
        }
        None => Ok(new_id()),
    }
}

/// A timestamp strictly later than `previous`, so that an update always moves `updated_at`.
fn bumped(previous: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let now = Utc::now();
    match previous {
        Some(previous) if now <= previous => previous + chrono::Duration::microseconds(1),
        _ => now,
    }
}

/// Ids must be non-empty and must not start or end with whitespace.
fn check_id(kind: &str, id: &str) -> Result<(), ApiError> {
    if id.is_empty() {
        return Err(ApiError::bad_request(format!("{kind} must not be empty")));
    }
    if id.trim() != id {
        return Err(ApiError::bad_request(format!(
            "{kind} must not have leading or trailing spaces"
        )));
    }
    Ok(())
}

fn location_from_input(input: LocationInput) -> Location {
    Location {
        is_available_for_pickup: input.is_available_for_pickup,
        is_available_for_shipping: input.is_available_for_shipping,
        location_id: input.location_id.map(String::from),
        location_name: input.location_name,
        number_of_items_in_storage: input.number_of_items_in_storage,
    }
}

fn seeded_group(n: u32) -> Group {
    let g = (n.saturating_sub(1) % SEEDED_PRODUCT_GROUPS) + 1;
    Group {
        group_id: Some(seeded_group_id(g)),
        group_name: Some(format!("Group {g:06}")),
    }
}

fn seeded_product_name(n: u32) -> String {
    format!("Product {n:06}")
}

fn seeded_price(n: u32) -> i64 {
    9_900 + i64::from(n % 50) * 100
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
            .ok_or_else(|| ApiError::not_found(format!("catalog {catalog_id:?} not found")))
    }

    fn catalog_mut(&mut self, aid: &str, catalog_id: &str) -> Result<&mut CatalogRecord, ApiError> {
        self.accounts
            .get_mut(aid)
            .and_then(|account| account.catalogs.get_mut(catalog_id))
            .ok_or_else(|| ApiError::not_found(format!("catalog {catalog_id:?} not found")))
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
            next_seeded_product: 0,
        }
    }

    fn deleted<T>(&self, mut value: T, mark: impl FnOnce(&mut T, DateTime<Utc>, String)) -> T {
        mark(&mut value, Utc::now(), self.actor.to_string());
        value
    }

    // ----- catalogs -------------------------------------------------------------------------

    pub(crate) fn list_catalogs(
        &self,
        aid: &str,
        request: &PageRequest,
    ) -> (Vec<CatalogResponse>, Option<String>) {
        let Some(account) = self.account(aid) else {
            return (Vec::new(), None);
        };
        let (items, more) = page(&account.catalogs, request, |_, _| true);
        let next = more
            .then(|| {
                items
                    .last()
                    .map(|(id, _)| encode_cursor(CursorKind::Catalogs, id))
            })
            .flatten();
        let items = items.into_iter().map(|(_, c)| c.entity.clone()).collect();
        (items, next)
    }

    pub(crate) fn create_catalog(
        &mut self,
        aid: &str,
        body: CreateCatalogBody,
    ) -> Result<CatalogResponse, ApiError> {
        let id = requested_id("catalog_id", body.catalog_id.map(String::from))?;
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

    pub(crate) fn delete_catalog(
        &mut self,
        aid: &str,
        id: &str,
    ) -> Result<CatalogResponse, ApiError> {
        let removed = self
            .accounts
            .get_mut(aid)
            .and_then(|account| account.catalogs.remove(id))
            .ok_or_else(|| ApiError::not_found(format!("catalog {id:?} not found")))?;
        Ok(self.deleted(removed.entity, |e, at, by| {
            e.deleted_at = Some(at);
            e.deleted_by = Some(by);
        }))
    }

    // ----- groups ---------------------------------------------------------------------------

    pub(crate) fn list_groups(
        &self,
        aid: &str,
        request: &PageRequest,
        group_id: Option<&str>,
    ) -> (Vec<GroupResponse>, Option<String>) {
        let Some(account) = self.account(aid) else {
            return (Vec::new(), None);
        };
        let (items, more) = page(&account.groups, request, |id, _| {
            group_id.is_none_or(|wanted| wanted == id)
        });
        let next = more
            .then(|| {
                items
                    .last()
                    .map(|(id, _)| encode_cursor(CursorKind::Groups, id))
            })
            .flatten();
        let items = items.into_iter().map(|(_, g)| g.clone()).collect();
        (items, next)
    }

    pub(crate) fn create_group(
        &mut self,
        aid: &str,
        body: CreateGroupBody,
    ) -> Result<GroupResponse, ApiError> {
        let id = requested_id("group_id", body.group_id.map(String::from))?;
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

    pub(crate) fn get_group(&self, aid: &str, id: &str) -> Result<GroupResponse, ApiError> {
        self.account(aid)
            .and_then(|account| account.groups.get(id))
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("group {id:?} not found")))
    }

    pub(crate) fn update_group(
        &mut self,
        aid: &str,
        id: &str,
        body: Group,
    ) -> Result<GroupResponse, ApiError> {
        let group = self
            .accounts
            .get_mut(aid)
            .and_then(|account| account.groups.get_mut(id))
            .ok_or_else(|| ApiError::not_found(format!("group {id:?} not found")))?;
        group.group_name = body.group_name;
        group.updated_at = Some(bumped(group.updated_at));
        Ok(group.clone())
    }

    pub(crate) fn delete_group(&mut self, aid: &str, id: &str) -> Result<GroupResponse, ApiError> {
        let removed = self
            .accounts
            .get_mut(aid)
            .and_then(|account| account.groups.remove(id))
            .ok_or_else(|| ApiError::not_found(format!("group {id:?} not found")))?;
        Ok(self.deleted(removed, |g, at, by| {
            g.deleted_at = Some(at);
            g.deleted_by = Some(by);
        }))
    }

    // ----- products -------------------------------------------------------------------------

    /// Renders one product as the API shows it.
    fn render_product(
        &self,
        catalog: &CatalogRecord,
        id: &str,
        record: &ProductRecord,
    ) -> ProductDetails {
        let mut details = match record {
            ProductRecord::Stored(details) => (**details).clone(),
            ProductRecord::Seeded { n, batch } => self.render_seeded(id, *n, *batch),
        };
        details.catalog_id = catalog.entity.catalog_id.clone();
        details.catalog_name = catalog.entity.catalog_name.clone();
        details
    }

    fn render_seeded(&self, id: &str, n: u32, batch: u32) -> ProductDetails {
        let (at, salt) = match self.batches.get(batch as usize) {
            Some(b) => (b.at, b.salt),
            None => (DateTime::<Utc>::UNIX_EPOCH, 0),
        };
        ProductDetails {
            created_at: Some(at),
            created_by: Some(self.actor.to_string()),
            currency: Some("NOK".to_owned()),
            description: Some(format!("Seeded product number {n}")),
            groups: vec![seeded_group(n)],
            id: Some(derived_uuid(self.seed, salt, n)),
            is_virtual_product: false,
            locations: vec![Location {
                is_available_for_pickup: n.is_multiple_of(2),
                is_available_for_shipping: true,
                location_id: Some("LOC001".to_owned()),
                location_name: Some("Fake warehouse".to_owned()),
                number_of_items_in_storage: Some(i64::from(n % 100)),
            }],
            product_id: Some(id.to_owned()),
            product_name: Some(seeded_product_name(n)),
            unit: Some("stk".to_owned()),
            unit_gross_price: Some(seeded_price(n)),
            updated_at: Some(at),
            ..ProductDetails::default()
        }
    }

    pub(crate) fn list_products(
        &self,
        aid: &str,
        catalog_id: &str,
        request: &PageRequest,
        filter: &ProductFilter,
    ) -> Result<(Vec<ProductDetails>, Option<String>), ApiError> {
        let catalog = self.catalog(aid, catalog_id)?;
        let needle = filter.product_name.as_ref().map(|n| n.to_lowercase());
        let mut scratch = String::new();
        let (items, more) = page(&catalog.products, request, |id, record| {
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
                    scratch.clear();
                    // Same text as `seeded_product_name`, lower-cased, without allocating.
                    let _ = write!(scratch, "product {n:06}");
                    scratch.contains(needle)
                }
                ProductRecord::Stored(details) => details
                    .product_name
                    .as_ref()
                    .is_some_and(|name| name.to_lowercase().contains(needle)),
            }
        });
        let next = more
            .then(|| {
                items
                    .last()
                    .map(|(id, _)| encode_cursor(CursorKind::Products, id))
            })
            .flatten();
        let items = items
            .into_iter()
            .map(|(id, record)| self.render_product(catalog, id, record))
            .collect();
        Ok((items, next))
    }

    pub(crate) fn create_product(
        &mut self,
        aid: &str,
        catalog_id: &str,
        body: CreateProductBody,
    ) -> Result<ProductDetails, ApiError> {
        let id = requested_id("product_id", body.product_id.map(String::from))?;
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
        };
        let key = id.into_boxed_str();
        catalog
            .products
            .insert(key.clone(), ProductRecord::Stored(Box::new(details)));
        let catalog = self.catalog(aid, catalog_id)?;
        let record = catalog
            .products
            .get(&key)
            .ok_or_else(|| ApiError::internal("product vanished after insert"))?;
        Ok(self.render_product(catalog, &key, record))
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
        groups: Option<Vec<Group>>,
    ) -> Result<ProductDetails, ApiError> {
        let current = self.get_product(aid, catalog_id, id)?;
        let details = ProductDetails {
            catalog_id: None,
            catalog_name: None,
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
            ..current
        };
        let catalog = self.catalog_mut(aid, catalog_id)?;
        let record = catalog
            .products
            .get_mut(id)
            .ok_or_else(|| product_not_found(catalog_id, id))?;
        *record = ProductRecord::Stored(Box::new(details));
        self.get_product(aid, catalog_id, id)
    }

    pub(crate) fn delete_product(
        &mut self,
        aid: &str,
        catalog_id: &str,
        id: &str,
    ) -> Result<ProductDetails, ApiError> {
        let rendered = self.get_product(aid, catalog_id, id)?;
        let catalog = self.catalog_mut(aid, catalog_id)?;
        catalog.products.remove(id);
        Ok(self.deleted(rendered, |p, at, by| {
            p.deleted_at = Some(at);
            p.deleted_by = Some(by);
        }))
    }

    pub(crate) fn product_count(&self, aid: &str, catalog_id: &str) -> usize {
        self.catalog(aid, catalog_id)
            .map(|c| c.products.len())
            .unwrap_or(0)
    }

    // ----- seeding --------------------------------------------------------------------------

    pub(crate) fn seed_catalog(&mut self, aid: &str, catalog_id: &str, name: &str) {
        if let Ok(catalog) = self.catalog_mut(aid, catalog_id) {
            catalog.entity.catalog_name = Some(name.to_owned());
            catalog.entity.updated_at = Some(bumped(catalog.entity.updated_at));
            return;
        }
        let record = self.new_catalog(catalog_id, Some(name.to_owned()));
        self.account_mut(aid)
            .catalogs
            .insert(catalog_id.into(), record);
    }

    pub(crate) fn seed_products(
        &mut self,
        aid: &str,
        catalog_id: &str,
        n: u32,
    ) -> std::ops::Range<u32> {
        if self.catalog(aid, catalog_id).is_err() {
            self.seed_catalog(aid, catalog_id, &format!("Catalog {catalog_id}"));
        }
        let batch = u32::try_from(self.batches.len()).unwrap_or(u32::MAX);
        let salt = splitmix64(self.seed ^ u64::from(batch));
        self.batches.push(SeedBatch {
            at: Utc::now(),
            salt,
        });
        let Ok(catalog) = self.catalog_mut(aid, catalog_id) else {
            return 0..0;
        };
        let first = catalog.next_seeded_product.saturating_add(1);
        let end = first.saturating_add(n);
        catalog.next_seeded_product = end - 1;
        // Collecting sorted keys bulk-builds the tree; `append` merges it in linear time.
        let mut fresh: BTreeMap<Box<str>, ProductRecord> = (first..end)
            .map(|i| {
                (
                    seeded_product_id(i).into_boxed_str(),
                    ProductRecord::Seeded { n: i, batch },
                )
            })
            .collect();
        catalog.products.append(&mut fresh);
        first..end
    }

    pub(crate) fn seed_groups(&mut self, aid: &str, n: u32) -> std::ops::Range<u32> {
        let first = self.account_mut(aid).next_seeded_group.saturating_add(1);
        let end = first.saturating_add(n);
        let now = Utc::now();
        let salt = splitmix64(self.seed ^ 0x6772_6f75_7073);
        let groups: Vec<(Box<str>, GroupResponse)> = (first..end)
            .map(|i| {
                let id = seeded_group_id(i);
                let group = self.new_group(
                    id.clone(),
                    Some(format!("Group {i:06}")),
                    now,
                    derived_uuid(self.seed, salt, i),
                );
                (id.into_boxed_str(), group)
            })
            .collect();
        let account = self.account_mut(aid);
        account.next_seeded_group = end - 1;
        account.groups.extend(groups);
        first..end
    }
}

fn product_not_found(catalog_id: &str, id: &str) -> ApiError {
    ApiError::not_found(format!(
        "product {id:?} not found in catalog {catalog_id:?}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_is_not_the_id() {
        let cursor = encode_cursor(CursorKind::Products, "P000007");
        assert_ne!(cursor, "P000007");
        assert!(!cursor.contains("P000007"));
        assert_eq!(
            decode_cursor(CursorKind::Products, &cursor).ok().as_deref(),
            Some("P000007")
        );
        assert!(decode_cursor(CursorKind::Groups, &cursor).is_err());
        assert!(decode_cursor(CursorKind::Products, "P000007").is_err());
        assert!(decode_cursor(CursorKind::Products, "p1.!!!").is_err());
    }

    #[test]
    fn seeding_continues_numbering_and_pages_in_order() {
        let mut store = Store::new(1, "me");
        assert_eq!(store.seed_products("T00000001", "S", 3), 1..4);
        assert_eq!(store.seed_products("T00000001", "S", 2), 4..6);
        assert_eq!(store.product_count("T00000001", "S"), 5);
        let request = PageRequest {
            limit: 2,
            after: None,
        };
        let (items, next) = store
            .list_products("T00000001", "S", &request, &ProductFilter::default())
            .unwrap_or_default();
        let ids: Vec<_> = items.iter().filter_map(|p| p.product_id.clone()).collect();
        assert_eq!(ids, ["P000001", "P000002"]);
        assert!(next.is_some());
        // A seeded product renders the same twice (derived fields are stable).
        let a = store.get_product("T00000001", "S", "P000004").ok();
        let b = store.get_product("T00000001", "S", "P000004").ok();
        assert_eq!(a, b);
        assert_ne!(
            store
                .get_product("T00000001", "S", "P000001")
                .ok()
                .and_then(|p| p.id),
            a.and_then(|p| p.id)
        );
    }

    #[test]
    fn seeded_groups_are_numbered() {
        let mut store = Store::new(1, "me");
        assert_eq!(store.seed_groups("T00000001", 3), 1..4);
        assert!(store.get_group("T00000001", "G000003").is_ok());
        assert!(store.get_group("T00000001", "G000004").is_err());
    }
}
