//! What every resource handle has, written once: the public methods of `Catalogs`, `Groups` and
//! `Products` that only call the generic jobs or [`Ops`](super::sealed::Ops), and the paging
//! parameters of the three list requests.
//!
//! A resource module writes what differs: its handle's struct, its `Ops` (the generated calls),
//! its list filters, and the few methods only it has. A new operation common to all resources
//! is a method of [`handle_methods!`] over a new `Ops` function: two places.

use crate::client::Client;
use crate::doctor::Fact;
use crate::error::{Error, Result};
use crate::ids::{Cursor, PageSize};
use crate::pagination::{ListOperation, ListRequest, Page};
use dintero_products_client::builder;
use reqwest::StatusCode;
use std::future::Future;

/// The methods every handle has. Each resource module calls it once with what its docs need:
/// `what` (`"product"`), the handle expression of the examples, a create body for them, and the
/// name of each documented Dintero operation.
macro_rules! handle_methods {
    (
        $Handle:ident {
            what: $what:literal,
            handle: $handle:literal,
            example: $example:literal,
            item: $Item:ident,
            id: $Id:ident,
            new: $New:ident,
            update: $Update:ident,
            get: $get_doc:literal,
            create: $create_doc:literal,
            replace: $replace_doc:literal,
            delete: $delete_doc:literal $(,)?
        }
    ) => {
        impl $Handle {
            #[doc = concat!("Gets one ", $what, ", or [`Error::NotFound`](crate::Error::NotFound).")]
            ///
            #[doc = $get_doc]
            pub async fn get<I: IntoChecked<$Id>>(&self, id: I) -> Result<$Item> {
                self.get_item(&id.into_checked()?).await
            }

            #[doc = concat!("Creates a ", $what, ": ", $create_doc, ".")]
            ///
            /// A create is not retried when its outcome is unknown (the server may have created
            /// it); [`create_once`](Self::create_once) looks before it sends again.
            ///
            /// ```no_run
            /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
            #[doc = concat!("use dintero_products::", stringify!($New), ";")]
            ///
            #[doc = concat!("let created = client.", $handle, ".create(", $example, ").await?;")]
            /// println!("created {}", created.id());
            /// # Ok(()) }
            /// ```
            pub async fn create(&self, new: $New) -> Result<$Item> {
                self.create_item(new).await
            }

            #[doc = concat!("Creates a ", $what, " exactly once, even when an attempt's outcome is unknown")]
            /// (a timeout, a dropped connection, a 5xx): before sending it again, looks its id
            /// up, and if it is there, the first attempt landed. Needs the id (`.id(..)` on the
            /// builder); without one it is a plain [`create`](Self::create).
            pub async fn create_once(&self, new: $New) -> Result<Written<$Item>> {
                super::create_once(self, new).await
            }

            #[doc = concat!("**Replaces** a ", $what, "'s writable fields with `update`: ", $replace_doc, ".")]
            /// Every field `update` leaves unset is cleared. To change some fields and keep the
            /// others, use [`modify`](Self::modify).
            pub async fn replace<I: IntoChecked<$Id>>(&self, id: I, update: $Update) -> Result<$Item> {
                self.replace_item(&id.into_checked()?, update).await
            }

            #[doc = concat!("Changes some of a ", $what, "'s fields and keeps the others: reads it, lets")]
            /// `change` edit its writable fields, and writes them all back (nothing is written
            /// when `change` changes nothing).
            ///
            /// The API has no version check: if another writer changes the object between the
            /// read and the write, the write wins and their change to these fields is lost (a
            /// "last writer wins" read-modify-write).
            pub async fn modify<I: IntoChecked<$Id>>(
                &self,
                id: I,
                change: impl FnOnce(&mut $Update),
            ) -> Result<Written<$Item>> {
                self.try_modify(id, |update| {
                    change(update);
                    Ok(())
                })
                .await
            }

            #[doc = concat!("As [`modify`](Self::modify), with a closure that can give the change up: when it")]
            /// returns an error, nothing is written and the call fails with it (this crate's
            /// [`Error`](crate::Error) and [`InvalidInput`](crate::InvalidInput) as they are,
            /// any other error as [`Error::Change`](crate::Error::Change)). `?` works on any
            /// error type inside the closure.
            ///
            /// ```no_run
            /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
            #[doc = concat!("client.", $handle, ".try_modify(\"C1\", |u| {")]
            ///     let name = u.name.as_deref().ok_or("it has no name to change")?;
            ///     u.name = Some(name.to_uppercase());
            ///     Ok(())
            /// }).await?;
            /// # Ok(()) }
            /// ```
            pub async fn try_modify<I: IntoChecked<$Id>>(
                &self,
                id: I,
                change: impl FnOnce(&mut $Update) -> Result<(), crate::BoxError>,
            ) -> Result<Written<$Item>> {
                super::modify(self, &id.into_checked()?, change).await
            }

            #[doc = concat!("Creates the ", $what, ", or, when its id exists, sets the fields `new` sets and")]
            /// keeps the others. Needs the id (`.id(..)` on the builder).
            ///
            /// Under concurrency: a create that meets an existing id (409, another writer
            /// created it meanwhile) turns into a modify; a modify whose object disappeared
            /// (404, deleted meanwhile) turns into a create; after three such turns the last
            /// error is returned.
            ///
            /// ```no_run
            /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
            #[doc = concat!("use dintero_products::", stringify!($New), ";")]
            ///
            #[doc = concat!("let written = client.", $handle, ".upsert(", $example, ").await?;")]
            /// println!("{} is {}", written.get_ref().id(), if written.changed() { "written" } else { "unchanged" });
            /// # Ok(()) }
            /// ```
            pub async fn upsert(&self, new: $New) -> Result<Written<$Item>> {
                super::upsert(self, new).await
            }

            #[doc = concat!("Many writes to the ", $what, "s as one job: bounded concurrency, a result per")]
            /// write, one rate limiter for the whole job; see [`BulkWriter`].
            pub fn bulk(&self) -> BulkWriter<Self> {
                BulkWriter::new(self.clone())
            }

            #[doc = concat!("Deletes a ", $what, " and returns it as it was: ", $delete_doc, ".")]
            pub async fn delete<I: IntoChecked<$Id>>(&self, id: I) -> Result<$Item> {
                self.delete_item(&id.into_checked()?).await
            }
        }
    };
}

pub(super) use handle_methods;

/// A generated list request: every list takes the same paging parameters.
pub(super) trait Paged: Sized {
    fn limit(self, size: PageSize) -> Self;
    fn starting_after(self, cursor: &Cursor) -> Self;

    /// The request for one page: `size` items (the server's default without), after `cursor`.
    fn page(self, size: Option<PageSize>, cursor: Option<&Cursor>) -> Self {
        let request = match size {
            Some(size) => self.limit(size),
            None => self,
        };
        match cursor {
            Some(cursor) => request.starting_after(cursor),
            None => request,
        }
    }
}

macro_rules! paged {
    ($($Builder:ident),+) => {$(
        impl Paged for builder::$Builder<'_> {
            fn limit(self, size: PageSize) -> Self {
                self.limit(size.as_non_zero())
            }
            fn starting_after(self, cursor: &Cursor) -> Self {
                self.starting_after(cursor.as_str())
            }
        }
    )+};
}

paged!(ListCatalogs, ListGroups, ListProducts);

/// A page of the SDK's objects from a page of the API's, and the cursor the API returned.
pub(super) fn page_of<Raw, T>(
    raw: Vec<Raw>,
    next: Option<String>,
    wrap: impl Fn(Raw) -> Result<T>,
) -> Result<Page<T>> {
    // `T` wraps `Raw` alone, so the collect reuses the API's vector in place rather than
    // allocating a second page (for products, 55 KB) and filling it.
    let items = raw.into_iter().map(wrap).collect::<Result<Vec<T>>>()?;
    Ok(Page::new(items, next))
}

/// One object by its `GET` route when the client's facts say the route exists (`route`, a
/// `route.get_*` fact): one request. Otherwise, and when the route answers `404` or `405`
/// all the same, `by_list` (today's way, through a documented list) decides: a route the
/// facts wrongly said exists answers as an unknown path does, and that is no proof that the
/// object is missing. When the list then has the object, the route is taken to be gone and
/// the client stops trying it.
pub(super) async fn get_one<T, R, L>(
    client: &Client,
    route: Fact,
    by_route: impl FnOnce() -> R,
    by_list: impl FnOnce() -> L,
) -> Result<T>
where
    R: Future<Output = Result<T>>,
    L: Future<Output = Result<T>>,
{
    if !client.uses_get_route(route) {
        return by_list().await;
    }
    let status = match by_route().await {
        Err(Error::Api(e)) if route_missing(e.status) => e.status,
        answered => return answered,
    };
    let listed = by_list().await;
    // A 405 is the route's absence whatever the object; a 404 is only when the list has it.
    if listed.is_ok() || status == StatusCode::METHOD_NOT_ALLOWED {
        tracing::warn!(
            fact = route.name(),
            "the saved API facts say this GET route exists, and it answered as missing: using the list instead from now on; run the doctor again"
        );
        client.route_gone(route);
    }
    listed
}

fn route_missing(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
    )
}

/// One object through a list filtered by its id (`filter`, a `filter.*` fact). When the
/// client's facts say the filter matches whole ids, the first page holds the object or
/// nothing does: one request, even for an id that is a prefix of many. Otherwise the filter
/// may match by prefix, or ignore the id, so the list is read on until the object turns up
/// ([`ListRequest::find`]). The facts are taken at their word: should the filter have come to
/// match more since, an object past the first page of matches is reported missing.
pub(super) async fn find_listed<Op: ListOperation>(
    client: &Client,
    list: ListRequest<Op>,
    filter: Fact,
    what: &'static str,
    id: &str,
    is_it: impl Fn(&Op::Item) -> bool,
) -> Result<Op::Item> {
    if !client.facts().filter_is_exact(filter) {
        return list.find(what, id, is_it).await;
    }
    let page = list.limit(PageSize::MAX).send().await?;
    page.into_items()
        .into_iter()
        .find(is_it)
        .ok_or_else(|| Error::NotFound {
            what,
            id: id.to_string(),
        })
}
