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
//! - With prefetch (the default), the next page is requested as soon as the current one is
//!   handed out: one request ahead, no more. [`pages`](ListRequest::pages) fetches it in a task
//!   of its own, since a consumer works on a page without polling the stream;
//!   [`items`](ListRequest::items) moves it along in the consumer's task as items are taken.
//!   Turn it off with [`prefetch(false)`](ListRequest::prefetch).
//! - Streams are lazy: nothing is sent until the first poll.

use crate::client::Client;
use crate::error::{Error, InvalidInput, Result};
use crate::ids::{Cursor, IntoChecked, PageSize};
use futures::future::BoxFuture;
use futures::stream::{Stream, TryStreamExt};
use futures::task::AtomicWaker;
use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker, ready};

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

    /// Items per page, 1 to 100, checked before any request. Without it, [`send`](Self::send)
    /// gets the server's default page (10 items), and the streams ([`pages`](Self::pages),
    /// [`items`](Self::items), [`collect_all`](Self::collect_all)) ask for the largest page,
    /// [`PageSize::MAX`] (or [`max_items`](Self::max_items) when that is fewer): a stream reads
    /// the whole list, and ten times the requests buy nothing.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// // 274 products: 3 requests of up to 100, not 28 of 10.
    /// let all = client.products("S23").list().collect_all().await?;
    /// // One page of 25.
    /// let first = client.products("S23").list().limit(25).send().await?;
    /// # Ok(()) }
    /// ```
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
    ///
    /// With prefetch, the next page is fetched by a task of its own (spawned on the current
    /// tokio runtime): a consumer works on a page without polling the stream, so only a task
    /// can move the next one along meanwhile.
    pub fn pages(self) -> Pages<Op::Item> {
        self.stream(Ahead::Spawned)
    }

    /// Every item, lazily, as a stream.
    ///
    /// With prefetch, the next page is requested when the current one is handed out and is
    /// moved along in this task, whenever the stream is polled for an item and the request has
    /// something to do: a consumer polls once per item, so no second task (and none of its
    /// wake-ups across threads) is needed.
    pub fn items(self) -> Items<Op::Item> {
        Items {
            pages: self.stream(Ahead::InTask),
            current: Vec::new().into_iter(),
        }
    }

    fn stream(self, ahead: Ahead) -> Pages<Op::Item> {
        let (limit, failed) = match self.limit.transpose() {
            Ok(limit) => (limit.or_else(|| stream_page_size(self.max_items)), None),
            Err(invalid) => (None, Some(invalid.into())),
        };
        Pages {
            inner: Box::new(Paginator {
                seen: self.start.iter().map(fingerprint).collect(),
                cursor: self.start,
                client: self.client,
                op: self.op,
                limit,
                remaining: self.max_items,
                ahead: self.prefetch.then_some(ahead),
                fetch: None,
                failed,
                done: self.max_items == Some(0),
            }),
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

/// The page a stream asks for when the caller chose none: the largest, or `max_items` when
/// fewer are wanted (`None` only for 0, where nothing is sent).
fn stream_page_size(max_items: Option<usize>) -> Option<PageSize> {
    let wanted = max_items.map_or(PageSize::MAX.get().into(), |max| {
        max.min(PageSize::MAX.get().into())
    });
    PageSize::try_from(wanted).ok()
}

/// A stream of pages; see [`ListRequest::pages`].
#[must_use = "streams do nothing unless polled"]
pub struct Pages<T> {
    inner: Box<dyn Source<T>>,
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
// `Unpin` (a `Box`). So it stays `Unpin` whatever `T` is.
impl<T> Unpin for Items<T> {}

impl<T> Stream for Pages<T> {
    type Item = Result<Page<T>>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_page(cx)
    }
}

impl<T> Stream for Items<T> {
    type Item = Result<T>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.current.len() > 0 {
                this.pages.inner.drive(cx);
                // Taken last, straight into what is returned: an item held across `drive` was
                // copied twice more (a product is over 500 bytes; measured with callgrind).
                return Poll::Ready(this.current.next().map(Ok));
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

/// What [`Pages`] needs of the paginator, with the list operation's type erased.
trait Source<T>: Send {
    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Page<T>>>>;
    /// Moves the page fetched ahead along, if it is waiting for this task.
    fn drive(&mut self, cx: &mut Context<'_>);
}

/// How the page after the one handed out is fetched, when prefetch is on.
#[derive(Clone, Copy)]
enum Ahead {
    /// By a task of its own.
    Spawned,
    /// In the stream's task, by [`Source::drive`].
    InTask,
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
    ahead: Option<Ahead>,
    /// The request for the next page, if one was started.
    fetch: Option<Fetch<Op::Item>>,
    /// An invalid setting, yielded as the stream's only item.
    failed: Option<Error>,
    done: bool,
}

impl<Op: ListOperation> Paginator<Op> {
    fn start_fetch(&self, how: Option<Ahead>) -> Fetch<Op::Item> {
        let (op, client, limit, cursor) = (
            self.op.clone(),
            self.client.clone(),
            self.limit,
            self.cursor.clone(),
        );
        let future: BoxFuture<'static, _> =
            Box::pin(async move { op.fetch_page(&client, limit, cursor.as_ref()).await });
        // Spawning needs a tokio runtime; without one, the page is fetched in this task.
        if let (Some(Ahead::Spawned), Ok(runtime)) = (how, tokio::runtime::Handle::try_current()) {
            return Fetch::Spawned(runtime.spawn(future));
        }
        Fetch::InTask(InTask::new(future))
    }

    /// What a page means for the list: it is cut to `max_items`, and whether another follows.
    fn take(&mut self, page: &mut Page<Op::Item>) -> Result<bool> {
        if let Some(remaining) = &mut self.remaining {
            truncate(page, *remaining);
            *remaining -= page.items.len();
        }
        Ok(match (&page.next_cursor, self.remaining) {
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
        })
    }
}

impl<Op: ListOperation> Source<Op::Item> for Paginator<Op> {
    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Page<Op::Item>>>> {
        if let Some(error) = self.failed.take() {
            self.done = true;
            return Poll::Ready(Some(Err(error)));
        }
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            let fetch = match self.fetch.take() {
                Some(fetch) => fetch,
                None => self.start_fetch(None),
            };
            let outcome = ready!(self.fetch.insert(fetch).poll(cx));
            self.fetch = None;
            // A fetch cancelled with the runtime it ran on is started again here.
            let Some(result) = outcome else { continue };
            let more = result.and_then(|mut page| self.take(&mut page).map(|more| (page, more)));
            let (page, more) = match more {
                Ok(found) => found,
                Err(error) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
            };
            if more {
                self.cursor = page.next_cursor.clone();
                if self.ahead.is_some() {
                    // Started now, so the request is on its way while the page is consumed: a
                    // spawned one at once, one in this task at the first item's `drive`.
                    self.fetch = Some(self.start_fetch(self.ahead));
                }
            } else {
                self.done = true;
            }
            return Poll::Ready(Some(Ok(page)));
        }
    }

    fn drive(&mut self, cx: &mut Context<'_>) {
        if let Some(Fetch::InTask(fetch)) = &mut self.fetch {
            fetch.drive(cx);
        }
    }
}

/// A page being fetched.
enum Fetch<T> {
    /// By a task of its own; dropping it cancels the task.
    Spawned(tokio::task::JoinHandle<Result<Page<T>>>),
    InTask(InTask<T>),
}

impl<T> Fetch<T> {
    /// Polls the fetch; `Ready(None)` when it was cancelled and must be started again.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Page<T>>>> {
        match self {
            Fetch::Spawned(task) => Poll::Ready(match ready!(Pin::new(task).poll(cx)) {
                Ok(result) => Some(result),
                Err(join_error) => match join_error.try_into_panic() {
                    Ok(panic) => std::panic::resume_unwind(panic),
                    Err(_cancelled) => None,
                },
            }),
            Fetch::InTask(fetch) => fetch.poll(cx),
        }
    }
}

impl<T> Drop for Fetch<T> {
    fn drop(&mut self) {
        if let Fetch::Spawned(task) = self {
            task.abort();
        }
    }
}

/// A page fetched in the stream's task.
///
/// Polled under its own waker, which notes that the request has something to do before it wakes
/// the task, so that an item handed out polls the request only when that is so. It remembers the
/// runtime it was started on: its timers and connections belong to that runtime, and a stream
/// moved to another one starts the fetch again rather than poll them there.
struct InTask<T> {
    future: BoxFuture<'static, Result<Page<T>>>,
    runtime: Option<tokio::runtime::Id>,
    waker: Arc<Woken>,
    result: Option<Result<Page<T>>>,
}

impl<T> InTask<T> {
    fn new(future: BoxFuture<'static, Result<Page<T>>>) -> Self {
        Self {
            future,
            runtime: current_runtime(),
            waker: Arc::new(Woken {
                // Never polled yet: the first `drive` polls it, which sends the request.
                woken: AtomicBool::new(true),
                task: AtomicWaker::new(),
            }),
            result: None,
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Page<T>>>> {
        if let Some(result) = self.result.take() {
            return Poll::Ready(Some(result));
        }
        if self.runtime != current_runtime() {
            return Poll::Ready(None);
        }
        self.waker.task.register(cx.waker());
        self.waker.woken.store(false, Ordering::Relaxed);
        let waker = Waker::from(self.waker.clone());
        self.future
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .map(Some)
    }

    fn drive(&mut self, cx: &mut Context<'_>) {
        // Called for every item handed out: the flag is read first, and the runtime (a
        // thread-local lookup) only when there is something to poll.
        if self.result.is_none()
            && self.waker.woken.load(Ordering::Acquire)
            && self.runtime == current_runtime()
            && let Poll::Ready(Some(result)) = self.poll(cx)
        {
            self.result = Some(result);
        }
    }
}

fn current_runtime() -> Option<tokio::runtime::Id> {
    tokio::runtime::Handle::try_current()
        .ok()
        .map(|runtime| runtime.id())
}

/// The waker of an [`InTask`] fetch: notes the wake-up, then wakes the stream's task.
struct Woken {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// Cuts `page` to `max` items. A page cut short loses its cursor, which would skip the items cut
/// off; a page that holds exactly `max` keeps it, to resume after.
fn truncate<T>(page: &mut Page<T>, max: usize) {
    if page.items.len() > max {
        page.items.truncate(max);
        page.next_cursor = None;
    }
}

fn fingerprint(cursor: &Cursor) -> u64 {
    let mut hasher = DefaultHasher::new();
    cursor.hash(&mut hasher);
    hasher.finish()
}
