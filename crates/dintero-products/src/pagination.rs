//! One paginator for every list operation.
//!
//! A list request ([`ListRequest`]) is the same generic type for catalogs, groups and
//! products; only its [`ListOperation`] differs, and all an operation knows is how to fetch one
//! page. The loop that follows cursors lives here, once.
//!
//! # The contract
//!
//! - The next request sends the response's `starting_after` exactly as the server gave it. It is
//!   opaque: not necessarily the last item's id.
//! - A page shorter than the `limit` is not the end of the list.
//! - A missing or empty cursor, or an empty page, is the end.
//! - A cursor the server sends twice is an error ([`Error::PaginationLoop`]), never an endless loop.
//! - Filters and `limit` are sent again on every page; only the cursor changes.
//! - After an error the stream yields it and ends.
//! - With prefetch (the default), the next page is fetched while the consumer works through the
//!   current one: one request ahead, no more. Turn it off with
//!   [`prefetch(false)`](ListRequest::prefetch).
//! - Streams are lazy: nothing is sent until the first poll.

use crate::client::Client;
use crate::error::{Error, InvalidInput, Result};
use crate::ids::{Cursor, IntoChecked, PageSize};
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, Stream, StreamExt, TryStreamExt};
use std::collections::HashSet;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// One page of a list, and where the list continues.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    items: Vec<T>,
    next_cursor: Option<Cursor>,
}

impl<T> Page<T> {
    /// A page of `items`; `next_cursor` is the response's `starting_after` (empty means none).
    pub(crate) fn new(items: Vec<T>, next_cursor: Option<String>) -> Self {
        Self {
            items,
            next_cursor: next_cursor.filter(|c| !c.is_empty()).map(Cursor::from),
        }
    }

    /// The items on this page.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The items, owned.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// The cursor to continue from with [`ListRequest::starting_after`], if the list goes on.
    pub fn next_cursor(&self) -> Option<&Cursor> {
        self.next_cursor.as_ref()
    }

    /// Whether the list continues after this page.
    pub fn has_more(&self) -> bool {
        self.next_cursor.is_some() && !self.items.is_empty()
    }

    /// How many items this page holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether this page holds no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Page<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// A list endpoint: catalogs, groups, or the products of a catalog. Sealed: implemented by
/// this crate for its lists ([`ListCatalogs`](crate::ListCatalogs),
/// [`ListGroups`](crate::ListGroups), [`ListProducts`](crate::ListProducts)); the filters live
/// in the implementing type, so every page repeats them.
pub trait ListOperation: sealed::FetchPage + Clone + Send + Sync + 'static {
    /// What the list holds.
    type Item: Send + 'static;
}

pub(crate) mod sealed {
    use super::*;

    /// How to fetch one page: the only per-list code. In a private module, so that nobody
    /// outside this crate can implement [`ListOperation`] or call it.
    pub trait FetchPage {
        fn fetch_page<'a>(
            &'a self,
            client: &'a Client,
            limit: Option<PageSize>,
            cursor: Option<&'a Cursor>,
        ) -> BoxFuture<'a, Result<Page<<Self as ListOperation>::Item>>>
        where
            Self: ListOperation;
    }
}

/// A request for a list: one page with [`send`](Self::send), or all of it as a [`Stream`] of
/// [`pages`](Self::pages) or [`items`](Self::items).
#[derive(Clone)]
#[must_use = "a list request does nothing until sent or streamed"]
pub struct ListRequest<Op: ListOperation> {
    client: Client,
    pub(crate) op: Op,
    limit: Option<Result<PageSize, InvalidInput>>,
    start: Option<Cursor>,
    max_items: Option<usize>,
    prefetch: bool,
}

impl<Op: ListOperation + fmt::Debug> fmt::Debug for ListRequest<Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListRequest")
            .field("op", &self.op)
            .field("limit", &self.limit)
            .field("starting_after", &self.start)
            .field("max_items", &self.max_items)
            .field("prefetch", &self.prefetch)
            .finish()
    }
}

impl<Op: ListOperation> ListRequest<Op> {
    pub(crate) fn new(client: Client, op: Op) -> Self {
        Self {
            client,
            op,
            limit: None,
            start: None,
            max_items: None,
            prefetch: true,
        }
    }

    /// Items per page, 1 to 100 (the server's default is 10). Checked before any request.
    pub fn limit<N: IntoChecked<PageSize>>(mut self, n: N) -> Self {
        self.limit = Some(n.into_checked());
        self
    }

    /// Start after this cursor, saved from [`Page::next_cursor`], to resume a list.
    pub fn starting_after(mut self, cursor: impl Into<Cursor>) -> Self {
        self.start = Some(cursor.into());
        self
    }

    /// Stop after this many items. The page that reaches the count is cut short and carries no
    /// cursor, since its cursor would skip the items cut off. With 0, nothing is sent: `send`
    /// returns an empty page and the streams end at once.
    pub fn max_items(mut self, n: usize) -> Self {
        self.max_items = Some(n);
        self
    }

    /// Whether to fetch the next page while the current one is consumed (default: on).
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// Fetches one page.
    pub async fn send(self) -> Result<Page<Op::Item>> {
        let limit = self.limit.transpose()?;
        if self.max_items == Some(0) {
            return Ok(Page::new(Vec::new(), None));
        }
        let mut page = self
            .op
            .fetch_page(&self.client, limit, self.start.as_ref())
            .await?;
        if let Some(max) = self.max_items {
            truncate(&mut page, max);
        }
        Ok(page)
    }

    /// Every page, lazily, as a stream.
    pub fn pages(self) -> Pages<Op::Item> {
        let state = match self.limit.transpose() {
            Ok(_) if self.max_items == Some(0) => State::Done,
            Ok(limit) => State::Ready(Box::new(Paginator {
                client: self.client,
                op: self.op,
                limit,
                cursor: self.start.clone(),
                seen: self.start.iter().map(fingerprint).collect(),
                remaining: self.max_items,
                prefetch: self.prefetch,
                in_flight: None,
            })),
            Err(invalid) => State::Failed(invalid.into()),
        };
        Pages {
            inner: stream::unfold(state, State::step).boxed(),
        }
    }

    /// Every item, lazily, as a stream.
    pub fn items(self) -> Items<Op::Item> {
        Items {
            pages: self.pages(),
            current: Vec::new().into_iter(),
        }
    }

    /// Every item, collected.
    pub async fn collect_all(self) -> Result<Vec<Op::Item>> {
        self.items().try_collect().await
    }

    /// The first item `is_it` accepts, or [`Error::NotFound`] when the list ends without one.
    ///
    /// How the SDK gets one object through a documented list: a filter may match by prefix or
    /// return several items, so every item is checked on this side.
    pub(crate) async fn find(
        self,
        what: &'static str,
        id: &str,
        is_it: impl Fn(&Op::Item) -> bool,
    ) -> Result<Op::Item> {
        let mut items = self.limit(PageSize::MAX).prefetch(false).items();
        while let Some(item) = items.try_next().await? {
            if is_it(&item) {
                return Ok(item);
            }
        }
        Err(Error::NotFound {
            what,
            id: id.to_string(),
        })
    }
}

/// A stream of pages; see [`ListRequest::pages`].
#[must_use = "streams do nothing unless polled"]
pub struct Pages<T> {
    inner: BoxStream<'static, Result<Page<T>>>,
}

/// A stream of items; see [`ListRequest::items`].
///
/// Hands out the items of the page it holds, one `next` on a `Vec`'s iterator each, and asks
/// [`Pages`] for the next page only when that one is empty: an item is moved once on its way
/// out, not through a chain of boxed stream adapters.
#[must_use = "streams do nothing unless polled"]
pub struct Items<T> {
    pages: Pages<T>,
    /// What is left of the current page.
    current: std::vec::IntoIter<T>,
}

// Nothing in `Items` is pinned in place: the items are moved out of the `Vec`, and `Pages` is
// `Unpin` (a `Box`). So it stays `Unpin` whatever `T` is, as it was as a boxed stream.
impl<T> Unpin for Items<T> {}

impl<T> Stream for Pages<T> {
    type Item = Result<Page<T>>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> Stream for Items<T> {
    type Item = Result<T>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            // After an error or the last page, `Pages` ends, and so does this.
            match ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                Some(Ok(page)) => this.current = page.items.into_iter(),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.current.len(), None)
    }
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pages")
    }
}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Items")
    }
}

enum State<Op: ListOperation> {
    Ready(Box<Paginator<Op>>),
    Failed(Error),
    Done,
}

impl<Op: ListOperation> State<Op> {
    async fn step(self) -> Option<(Result<Page<Op::Item>>, Self)> {
        match self {
            State::Done => None,
            State::Failed(error) => Some((Err(error), State::Done)),
            State::Ready(mut paginator) => match paginator.next_page().await {
                Ok((page, more)) => Some((
                    Ok(page),
                    if more {
                        State::Ready(paginator)
                    } else {
                        State::Done
                    },
                )),
                Err(error) => Some((Err(error), State::Done)),
            },
        }
    }
}

/// The cursor-following loop.
struct Paginator<Op: ListOperation> {
    client: Client,
    op: Op,
    limit: Option<PageSize>,
    /// What the next request sends.
    cursor: Option<Cursor>,
    /// Fingerprints of every cursor sent so far: constant memory per page, however long the list.
    seen: HashSet<u64>,
    remaining: Option<usize>,
    prefetch: bool,
    in_flight: Option<Prefetch<Op::Item>>,
}

impl<Op: ListOperation> Paginator<Op> {
    /// The next page, and whether another follows.
    async fn next_page(&mut self) -> Result<(Page<Op::Item>, bool)> {
        let prefetched = match self.in_flight.take() {
            Some(prefetch) => prefetch.join().await,
            None => None,
        };
        let mut page = match prefetched {
            Some(result) => result?,
            // No prefetch, or it was cancelled (its runtime shut down): fetch here.
            None => {
                self.op
                    .fetch_page(&self.client, self.limit, self.cursor.as_ref())
                    .await?
            }
        };
        if let Some(remaining) = &mut self.remaining {
            truncate(&mut page, *remaining);
            *remaining -= page.items.len();
        }
        let more = match (&page.next_cursor, self.remaining) {
            (_, Some(0)) => false,
            (Some(_), _) if page.items.is_empty() => false,
            (Some(next), _) => {
                if !self.seen.insert(fingerprint(next)) {
                    return Err(Error::PaginationLoop {
                        cursor: next.as_str().to_string(),
                    });
                }
                true
            }
            (None, _) => false,
        };
        if more {
            self.cursor = page.next_cursor.clone();
            // Prefetching needs a tokio runtime to spawn on; without one, pages are fetched
            // when asked for.
            if self.prefetch
                && let Ok(runtime) = tokio::runtime::Handle::try_current()
            {
                self.in_flight = Some(Prefetch::spawn(
                    &runtime,
                    self.op.clone(),
                    self.client.clone(),
                    self.limit,
                    self.cursor.clone(),
                ));
            }
        }
        Ok((page, more))
    }
}

/// A page being fetched in the background; dropping it cancels the fetch.
struct Prefetch<T>(tokio::task::JoinHandle<Result<Page<T>>>);

impl<T: Send + 'static> Prefetch<T> {
    fn spawn<Op: ListOperation<Item = T>>(
        runtime: &tokio::runtime::Handle,
        op: Op,
        client: Client,
        limit: Option<PageSize>,
        cursor: Option<Cursor>,
    ) -> Self {
        Self(runtime.spawn(async move { op.fetch_page(&client, limit, cursor.as_ref()).await }))
    }

    /// The prefetched page, or `None` if the task was cancelled before it finished.
    async fn join(mut self) -> Option<Result<Page<T>>> {
        match (&mut self.0).await {
            Ok(result) => Some(result),
            Err(join_error) => match join_error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_cancelled) => None,
            },
        }
    }
}

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn truncate<T>(page: &mut Page<T>, max: usize) {
    if page.items.len() >= max {
        let cut = page.items.len() > max;
        page.items.truncate(max);
        if cut || max == 0 {
            page.next_cursor = None;
        }
    }
}

fn fingerprint(cursor: &Cursor) -> u64 {
    let mut hasher = DefaultHasher::new();
    cursor.hash(&mut hasher);
    hasher.finish()
}
