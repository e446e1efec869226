//! One module per resource: its handle (`client.catalogs()`, ...), the object the API returns,
//! its list operation and filters, and the builders for its request bodies.
//!
//! What every resource can do beyond single calls (safe modify, upsert, a create that survives
//! an unknown outcome) is written once here, over the sealed [`Resource`] trait, and each handle
//! exposes it with a one-line method.

mod catalogs;
mod groups;
mod handle;
mod named;
mod products;

pub use catalogs::{Catalog, CatalogUpdate, Catalogs, ListCatalogs, NewCatalog};
pub use groups::{Group, GroupUpdate, Groups, ListGroups, NewGroup};
pub(crate) use products::dimension_part;
pub use products::{ListProducts, NewProduct, Product, ProductUpdate, Products};

use crate::client::Client;
use crate::error::{Error, InvalidInput, Result};
use crate::fields::FieldSet;
use futures::future::BoxFuture;
use sealed::{Body, Object};
use std::fmt;
use std::hash::Hash;

/// A kind of object the SDK can write: catalogs, groups and products. The generic catalog jobs
/// ([`BulkWriter`](crate::BulkWriter), modify, upsert) take any of them. Sealed: implemented by
/// this crate's handles ([`Catalogs`], [`Groups`], [`Products`]) only.
pub trait Resource: sealed::Ops {
    /// The object as the API returns it, such as [`Product`].
    type Item: sealed::Object<Update = Self::Update> + Clone + fmt::Debug + Send + Sync + 'static;
    /// Its id, such as [`ProductId`](crate::ProductId).
    type Id: Clone + Eq + Hash + fmt::Display + fmt::Debug + Send + Sync + 'static;
    /// What creates one, such as [`NewProduct`].
    type New: sealed::Body<Id = Self::Id, Update = Self::Update, Item = Self::Item>
        + Clone
        + fmt::Debug
        + Send
        + Sync
        + 'static;
    /// Its writable fields, such as [`ProductUpdate`]: the body of a replace.
    type Update: Clone + Default + PartialEq + fmt::Debug + Send + Sync + 'static;
}

pub(crate) mod sealed {
    use super::*;

    /// What the generic jobs need of an object as fetched.
    pub trait Object {
        type Update;
        /// Its writable fields: what a replace through `client` must send to keep it (a
        /// product's groups too, when `client`'s facts say an update applies them).
        fn writable(&self, client: &Client) -> Self::Update;
        /// What `sent`, the update written, asked that this object, as the write returned
        /// it, does not hold: a product's groups, when the API took the update and dropped
        /// them (facts that said it applies them no longer hold).
        fn not_taken(&self, sent: &Self::Update) -> FieldSet {
            let _ = sent;
            FieldSet::EMPTY
        }
    }

    /// What the generic jobs need of a create body.
    pub trait Body {
        type Id;
        type Update;
        type Item;
        /// The id it asks for (`None` when the server is to choose one), once the body is
        /// checked: an invalid value given to its builder is the error.
        fn checked_id(&self) -> Result<Option<Self::Id>>;
        /// The valid id it asks for, if any, without copying its fields.
        fn valid_id(&self) -> Option<Self::Id>;
        /// Sets in `update` every field this body manages (for a product, see
        /// [`NewProduct::get_managed_fields`](crate::NewProduct::get_managed_fields); for the others,
        /// the fields it sets); the others stay.
        fn merge_into(&self, update: &mut Self::Update);
        /// What this body manages that `update`, the update of `current` it was merged
        /// into, cannot apply (a product's groups, when they differ from `current`'s and the
        /// update cannot carry them).
        fn not_applied_to(&self, current: &Self::Item, update: &Self::Update) -> FieldSet {
            let _ = (current, update);
            FieldSet::EMPTY
        }
    }

    /// The operations the generic jobs are built from. In a private module, so that nobody
    /// outside this crate can implement [`Resource`] or call these.
    pub trait Ops: Clone + Send + Sync + 'static {
        /// `catalog`, `group` or `product`, for messages.
        const WHAT: &'static str;
        /// `catalog id`, `group id` or `product id`, for messages.
        const ID_WHAT: &'static str;

        /// The client this handle calls through.
        fn client(&self) -> &Client;
        /// The same handle over another client (another retry policy, a rate limiter).
        fn with_client(&self, client: Client) -> Self;

        fn get_item<'a>(
            &'a self,
            id: &'a <Self as Resource>::Id,
        ) -> BoxFuture<'a, Result<<Self as Resource>::Item>>
        where
            Self: Resource;
        fn create_item(
            &self,
            new: <Self as Resource>::New,
        ) -> BoxFuture<'_, Result<<Self as Resource>::Item>>
        where
            Self: Resource;
        fn replace_item<'a>(
            &'a self,
            id: &'a <Self as Resource>::Id,
            update: <Self as Resource>::Update,
        ) -> BoxFuture<'a, Result<<Self as Resource>::Item>>
        where
            Self: Resource;
        fn delete_item<'a>(
            &'a self,
            id: &'a <Self as Resource>::Id,
        ) -> BoxFuture<'a, Result<<Self as Resource>::Item>>
        where
            Self: Resource;
        /// Deletes the object `new` names and creates it again; see
        /// [`Write::recreate`](crate::Write::recreate). Only products can be.
        fn recreate_item<'a>(
            &'a self,
            new: <Self as Resource>::New,
            journal: Option<&'a dyn crate::sync::Journal>,
        ) -> BoxFuture<'a, Result<Written<<Self as Resource>::Item>>>
        where
            Self: Resource,
        {
            let _ = (new, journal);
            Box::pin(async move {
                Err(Error::InvalidInput(crate::InvalidInput::new(
                    "write",
                    Self::WHAT,
                    "only a product can be recreated",
                )))
            })
        }
    }
}

/// What a write did.
///
/// ```no_run
/// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
/// use dintero_products::{NewProduct, Written};
///
/// match client.products("S23").upsert(NewProduct::new("Stablestol").id("Stol22")).await? {
///     Written::Created(p) => println!("created {}", p.id()),
///     Written::Updated(p) => println!("updated {}", p.id()),
///     Written::Unchanged(_) => println!("nothing to do"),
///     Written::PartlyApplied { not_applied, .. } => println!("not applied: {not_applied:?}"),
///     other => println!("{other:?}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Written<T> {
    /// The object was created.
    Created(T),
    /// The object existed and was replaced with the changed fields.
    Updated(T),
    /// The object already held what was asked: nothing was sent.
    Unchanged(T),
    /// The object was deleted; this is how it was.
    Deleted(T),
    /// The object was deleted and created again (a product whose groups changed; its Dintero
    /// `id` and `created_at` are new).
    Recreated(T),
    /// The object existed, and not all that was asked could be written: the API cannot
    /// change `not_applied` on an existing object (a product's groups: see
    /// [`Write::recreate`](crate::Write::recreate) for the way that can, and
    /// [`ClientBuilder::api_facts`](crate::ClientBuilder::api_facts) for an API seen to apply
    /// them by an update; or the update carried them and the API returned the object
    /// without them). The rest was written, when `changed`.
    PartlyApplied {
        /// The object as the API last returned it.
        item: T,
        /// Whether the fields that could be written were changed (`false`: they held what was
        /// asked already).
        changed: bool,
        /// What was asked and not applied.
        not_applied: FieldSet,
    },
}

impl<T> Written<T> {
    /// The object as the API last returned it.
    pub fn into_inner(self) -> T {
        match self {
            Written::Created(t)
            | Written::Updated(t)
            | Written::Unchanged(t)
            | Written::Deleted(t)
            | Written::Recreated(t)
            | Written::PartlyApplied { item: t, .. } => t,
        }
    }

    /// The object as the API last returned it.
    pub fn get_ref(&self) -> &T {
        match self {
            Written::Created(t)
            | Written::Updated(t)
            | Written::Unchanged(t)
            | Written::Deleted(t)
            | Written::Recreated(t)
            | Written::PartlyApplied { item: t, .. } => t,
        }
    }

    /// Whether anything was sent that changed the object.
    pub fn changed(&self) -> bool {
        match self {
            Written::Unchanged(_) => false,
            Written::PartlyApplied { changed, .. } => *changed,
            _ => true,
        }
    }

    /// What was asked and not applied: empty unless [`Written::PartlyApplied`].
    pub fn not_applied(&self) -> FieldSet {
        match self {
            Written::PartlyApplied { not_applied, .. } => *not_applied,
            _ => FieldSet::EMPTY,
        }
    }

    /// `Updated` or `Unchanged`, or `PartlyApplied` when something asked was not applied.
    fn kept_or_updated(item: T, changed: bool, not_applied: FieldSet) -> Self {
        match (changed, not_applied.is_empty()) {
            (true, true) => Written::Updated(item),
            (false, true) => Written::Unchanged(item),
            (changed, false) => Written::PartlyApplied {
                item,
                changed,
                not_applied,
            },
        }
    }
}

/// How many times upsert goes round when other writers keep creating or deleting the same id.
const UPSERT_ROUNDS: usize = 3;

/// Reads the object, lets `change` edit its writable fields, and writes them all back; writes
/// nothing when `change` changed nothing or gave the change up.
pub(crate) async fn modify<R: Resource>(
    resource: &R,
    id: &R::Id,
    change: impl FnOnce(&mut R::Update) -> Result<(), crate::BoxError>,
) -> Result<Written<R::Item>> {
    let current = resource.get_item(id).await?;
    let before = current.writable(resource.client());
    let mut update = before.clone();
    change(&mut update).map_err(Error::from_change)?;
    if update == before {
        return Ok(Written::Unchanged(current));
    }
    let item = resource.replace_item(id, update.clone()).await?;
    let not_applied = item.not_taken(&update);
    Ok(Written::kept_or_updated(item, true, not_applied))
}

/// Creates `new`, or, when its id exists, sets the fields `new` sets and keeps the others.
///
/// A concurrent create (the create answers 409) turns into a modify; a concurrent delete (the
/// replace answers 404) into a create; after [`UPSERT_ROUNDS`] such turns the last error is
/// returned.
pub(crate) async fn upsert<R: Resource>(resource: &R, new: R::New) -> Result<Written<R::Item>> {
    let id = new.checked_id()?.ok_or_else(|| {
        Error::InvalidInput(InvalidInput::missing(
            R::ID_WHAT,
            "an upsert needs one: set it on the builder with `.id(..)`",
        ))
    })?;
    let mut round = 0;
    loop {
        round += 1;
        let error = match resource.get_item(&id).await {
            Ok(current) => {
                let before = current.writable(resource.client());
                let mut update = before.clone();
                new.merge_into(&mut update);
                let not_applied = new.not_applied_to(&current, &update);
                if update == before {
                    return Ok(Written::kept_or_updated(current, false, not_applied));
                }
                match resource.replace_item(&id, update.clone()).await {
                    Ok(item) => {
                        let not_applied = not_applied | item.not_taken(&update);
                        return Ok(Written::kept_or_updated(item, true, not_applied));
                    }
                    Err(e) if e.is_not_found() => e, // deleted meanwhile: create it
                    Err(e) => return Err(e),
                }
            }
            Err(e) if e.is_not_found() => match create_once(resource, new.clone()).await {
                Ok(written) => return Ok(written),
                Err(e) if e.is_conflict() => e, // created meanwhile: modify it
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        };
        if round == UPSERT_ROUNDS {
            return Err(error);
        }
    }
}

/// Creates `new` exactly once, even when an attempt's outcome is unknown: before sending it
/// again, looks the id up, and when it is there, the first attempt landed.
pub(crate) async fn create_once<R: Resource>(
    resource: &R,
    new: R::New,
) -> Result<Written<R::Item>> {
    let id = new.checked_id()?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let error = match resource.create_item(new.clone()).await {
            Ok(item) => return Ok(Written::Created(item)),
            Err(error) => error,
        };
        // Without an id of our choosing there is nothing to look up; and only an unknown
        // outcome is worth looking into.
        let Some(id) = id.as_ref().filter(|_| error.is_outcome_unknown()) else {
            return Err(error);
        };
        match resource.get_item(id).await {
            Ok(item) => return Ok(Written::Created(item)),
            Err(e) if e.is_not_found() && attempts < CREATE_ATTEMPTS => continue,
            Err(_) => return Err(error),
        }
    }
}

/// How many times [`create_once`] sends a create whose earlier attempts certainly did not land.
const CREATE_ATTEMPTS: usize = 4;
