//! Many writes as one job: bounded concurrency, a result per write as a stream, writes to one id
//! applied in the order given, and one rate limiter for the whole job.

use crate::error::{BoxError, InvalidInput, Result};
use crate::ids::IntoChecked;
use crate::limiter::RateLimiter;
use crate::resources::sealed::Body as _;
use crate::resources::{
    self, CatalogUpdate, Catalogs, GroupUpdate, Groups, ProductUpdate, Products, Resource, Written,
};
use crate::retry::RetryPolicy;
use crate::sync::Journal;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, FuturesUnordered};
use futures::{FutureExt, Stream, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Writes in flight at once, unless [`BulkWriter::concurrency`] says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The most writes in flight at once that [`BulkWriter::concurrency`] allows.
pub const MAX_CONCURRENCY: usize = 64;
/// Writes waiting behind an earlier write to the same id, at most, in a [`BulkWriter`] job:
/// while that many wait, no more input is read until some have gone (what a job holds stays
/// bounded whatever its input repeats).
pub const MAX_WAITING: usize = 10_000;

/// One write of a bulk job, made by its constructors: [`create`](Self::create),
/// [`upsert`](Self::upsert), [`replace`](Self::replace), [`modify`](Write::<Products>::modify)
/// and [`try_modify`](Write::<Products>::try_modify), [`delete`](Self::delete),
/// [`recreate`](Self::recreate).
///
/// Ids are taken as every call takes them (`&str`, `String` or a checked id); one that fails
/// its check is that write's error, reported in its [`Outcome`] without a request.
///
/// ```
/// use dintero_products::{Products, Write, WriteKind};
///
/// // The closures' argument is inferred: a `&mut ProductUpdate`.
/// let rename = Write::modify("C1", |u| u.name = Some("Stablestol".into()));
/// let raise = Write::try_modify("C2", |u| {
///     u.price = u.price.map(|p| p.change_by_percent(10.0)).transpose()?;
///     Ok(())
/// });
/// assert_eq!((rename.kind(), raise.kind()), (WriteKind::Modify, WriteKind::Modify));
///
/// let delete: Write<Products> = Write::delete("C1");
/// assert_eq!(delete.kind(), WriteKind::Delete);
/// assert_eq!(delete.id().unwrap().as_str(), "C1");
/// // A bad id is carried to the job, where it fails only this write.
/// let bad: Write<Products> = Write::delete(" C1"); // a leading space
/// assert!(bad.id().is_none());
/// ```
pub struct Write<R: Resource> {
    op: Op<R>,
}

enum Op<R: Resource> {
    Create(R::New),
    Replace(R::Id, R::Update),
    Modify(R::Id, Change<R>),
    Upsert(R::New),
    Delete(R::Id),
    Recreate(R::New),
    /// A write whose id failed its check: the error it reports when it runs.
    Invalid(WriteKind, InvalidInput),
}

/// The change a modify makes to the fields it read; an error gives the write up.
type Change<R> = Box<dyn FnOnce(&mut <R as Resource>::Update) -> Result<(), BoxError> + Send>;

impl<R: Resource> Write<R> {
    /// Create, exactly once: a create whose outcome is unknown is looked up by id before it is
    /// sent again (see [`Products::create_once`](crate::Products::create_once)).
    pub fn create(new: R::New) -> Self {
        Self {
            op: Op::Create(new),
        }
    }

    /// Create, or set the fields `new` sets and keep the others (see
    /// [`Products::upsert`](crate::Products::upsert)).
    pub fn upsert(new: R::New) -> Self {
        Self {
            op: Op::Upsert(new),
        }
    }

    /// Replace every writable field (see [`Products::replace`](crate::Products::replace)).
    pub fn replace<I: IntoChecked<R::Id>>(id: I, update: R::Update) -> Self {
        Self::with_id(WriteKind::Replace, id, |id| Op::Replace(id, update))
    }

    /// Delete.
    pub fn delete<I: IntoChecked<R::Id>>(id: I) -> Self {
        Self::with_id(WriteKind::Delete, id, Op::Delete)
    }

    /// Delete and create again with every field it had, the fields the new one manages
    /// changed: a product whose groups change (see [`CatalogSync`](crate::CatalogSync)). Its
    /// body goes to the job's [`journal`](BulkWriter::journal) first, and a failed create puts
    /// the product back as it was. Only products can be recreated.
    pub fn recreate(new: R::New) -> Self {
        Self {
            op: Op::Recreate(new),
        }
    }

    fn with_id<I: IntoChecked<R::Id>>(
        kind: WriteKind,
        id: I,
        op: impl FnOnce(R::Id) -> Op<R>,
    ) -> Self {
        let op = match id.into_checked() {
            Ok(id) => op(id),
            Err(invalid) => Op::Invalid(kind, invalid),
        };
        Self { op }
    }

    /// What kind of write this is.
    pub fn kind(&self) -> WriteKind {
        match &self.op {
            Op::Create(_) => WriteKind::Create,
            Op::Replace(..) => WriteKind::Replace,
            Op::Modify(..) => WriteKind::Modify,
            Op::Upsert(_) => WriteKind::Upsert,
            Op::Delete(_) => WriteKind::Delete,
            Op::Recreate(_) => WriteKind::Recreate,
            Op::Invalid(kind, _) => *kind,
        }
    }

    /// The id it writes, when known before sending (a create without an id has none, nor has
    /// a write whose id failed its check).
    pub fn id(&self) -> Option<R::Id> {
        match &self.op {
            Op::Create(new) | Op::Upsert(new) | Op::Recreate(new) => new.valid_id(),
            Op::Replace(id, _) | Op::Modify(id, _) | Op::Delete(id) => Some(id.clone()),
            Op::Invalid(..) => None,
        }
    }
}

/// The modify constructors of one resource. Each handle type has its own names, so that
/// `Write::modify(id, |u| ...)` names one function and the closure's argument type is known
/// where it is written (a constructor generic over the resource would leave `|u|` to be
/// annotated).
macro_rules! modify_constructors {
    ($Handle:ident, $Update:ident, $modify:ident, $try_modify:ident, $what:literal) => {
        impl Write<$Handle> {
            #[doc = concat!("Read the ", $what, ", let `change` edit its fields, write them back (see [`", stringify!($Handle), "::modify`](crate::", stringify!($Handle), "::modify)).")]
            pub fn $modify<I: IntoChecked<<$Handle as Resource>::Id>>(
                id: I,
                change: impl FnOnce(&mut $Update) + Send + 'static,
            ) -> Self {
                Self::$try_modify(id, |update| {
                    change(update);
                    Ok(())
                })
            }

            #[doc = concat!("As [`", stringify!($modify), "`](Self::", stringify!($modify), "), with a closure that can give the change up: its error")]
            /// is this write's error, and nothing is written (see
            #[doc = concat!("[`", stringify!($Handle), "::try_modify`](crate::", stringify!($Handle), "::try_modify)).")]
            pub fn $try_modify<I: IntoChecked<<$Handle as Resource>::Id>>(
                id: I,
                change: impl FnOnce(&mut $Update) -> Result<(), BoxError> + Send + 'static,
            ) -> Self {
                Self::with_id(WriteKind::Modify, id, |id| Op::Modify(id, Box::new(change)))
            }
        }
    };
}

modify_constructors!(Products, ProductUpdate, modify, try_modify, "product");
modify_constructors!(Groups, GroupUpdate, modify_group, try_modify_group, "group");
modify_constructors!(
    Catalogs,
    CatalogUpdate,
    modify_catalog,
    try_modify_catalog,
    "catalog"
);

impl<R: Resource> fmt::Debug for Write<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.op {
            Op::Create(new) => f.debug_tuple("Create").field(new).finish(),
            Op::Replace(id, update) => f.debug_tuple("Replace").field(id).field(update).finish(),
            Op::Modify(id, _) => f.debug_tuple("Modify").field(id).finish_non_exhaustive(),
            Op::Upsert(new) => f.debug_tuple("Upsert").field(new).finish(),
            Op::Delete(id) => f.debug_tuple("Delete").field(id).finish(),
            Op::Recreate(new) => f.debug_tuple("Recreate").field(new).finish(),
            Op::Invalid(kind, invalid) => {
                f.debug_tuple("Invalid").field(kind).field(invalid).finish()
            }
        }
    }
}

/// The kinds of [`Write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteKind {
    /// [`Write::create`]
    Create,
    /// [`Write::replace`]
    Replace,
    /// [`Write::modify`](Write::<Products>::modify) and its kin
    Modify,
    /// [`Write::upsert`]
    Upsert,
    /// [`Write::delete`]
    Delete,
    /// [`Write::recreate`]
    Recreate,
}

/// The result of one write of a bulk job.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome<R: Resource, T = ()> {
    /// Where the write was in the input, counting from 0.
    pub index: usize,
    /// What kind of write it was.
    pub kind: WriteKind,
    /// The id written, when it was known before sending.
    pub id: Option<R::Id>,
    /// The caller's tag of the write ([`BulkWriter::run_tagged`]), such as its line in a file.
    pub tag: T,
    /// What happened: one failure never stops the others.
    pub result: Result<Written<R::Item>>,
}

/// Applies many writes to one resource; see [`Products::bulk`](crate::Products::bulk).
///
/// - At most [`concurrency`](Self::concurrency) writes are in flight (default
///   [`DEFAULT_CONCURRENCY`], at most [`MAX_CONCURRENCY`]).
/// - Writes to the same id are applied in the order given, one after the other; writes to
///   different ids in any order.
/// - One [`RateLimiter`] serves the whole job: a 429 pauses every write until `Retry-After`
///   has passed and slows the job to the rate the server let through, which then climbs again.
/// - Each write has a result in the stream, in the order they finish; a failure never stops
///   the others. Creates are made with `create_once`, so an unknown outcome is never
///   duplicated.
/// - The input is read as the job goes: a million writes from an iterator over a file take no
///   more memory than the ones in flight.
///
/// ```no_run
/// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
/// use dintero_products::{Currency, NewProduct, Price, Write};
/// use futures::StreamExt;
///
/// let products = client.products("S23");
/// let rows = (1..=1000).map(|i| {
///     Write::upsert(NewProduct::new(format!("Chair {i}")).id(format!("C{i}")).price(Price::new(9900, Currency::NOK)))
/// });
/// let mut results = products.bulk().concurrency(16).run(rows);
/// while let Some(outcome) = results.next().await {
///     if let Err(e) = &outcome.result {
///         eprintln!("row {}: {e}", outcome.index);
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "a bulk writer does nothing until run"]
pub struct BulkWriter<R: Resource> {
    resource: R,
    concurrency: usize,
    limiter: Option<RateLimiter>,
    retry: Option<RetryPolicy>,
    journal: Option<Arc<dyn Journal>>,
}

impl<R: Resource> fmt::Debug for BulkWriter<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkWriter")
            .field("concurrency", &self.concurrency)
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl<R: Resource> BulkWriter<R> {
    pub(crate) fn new(resource: R) -> Self {
        Self {
            resource,
            concurrency: DEFAULT_CONCURRENCY,
            limiter: None,
            retry: None,
            journal: None,
        }
    }

    /// How many writes may be in flight at once, 1 to [`MAX_CONCURRENCY`] (a value outside is
    /// taken to the nearest end).
    pub fn concurrency(mut self, writes: usize) -> Self {
        self.concurrency = writes.clamp(1, MAX_CONCURRENCY);
        self
    }

    /// The limiter the job's writes share (default: a new [`RateLimiter::adaptive`]); pass one
    /// to share it with other jobs.
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// The retry policy of each write (default: the client's, with at least five minutes of
    /// time budget, since a job may be paused by the server's `Retry-After`).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Where [`Write::recreate`]s record a product before deleting it (default: none).
    pub fn journal(mut self, journal: Arc<dyn Journal>) -> Self {
        self.journal = Some(journal);
        self
    }

    pub(crate) fn journal_opt(mut self, journal: Option<Arc<dyn Journal>>) -> Self {
        self.journal = journal;
        self
    }

    /// Starts the job over writes from an iterator. Nothing is sent until the returned stream
    /// is polled.
    pub fn run<I>(self, writes: I) -> BulkRun<R>
    where
        I: IntoIterator<Item = Write<R>>,
        I::IntoIter: Send + 'static,
    {
        self.run_tagged(writes.into_iter().map(|write| ((), write)))
    }

    /// Starts the job with a tag of the caller's on each write (a line number, a row of a
    /// file), handed back in its [`Outcome`]: nothing to keep on the side to tell the results
    /// apart.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::{NewProduct, Write};
    /// use futures::StreamExt;
    ///
    /// let rows = [(2_u64, "C1"), (3, "C2")].map(|(line, id)| (line, Write::upsert(NewProduct::new("Chair").id(id))));
    /// let mut results = client.products("S23").bulk().run_tagged(rows);
    /// while let Some(outcome) = results.next().await {
    ///     if let Err(e) = &outcome.result {
    ///         eprintln!("line {}: {e}", outcome.tag);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn run_tagged<I, T>(self, writes: I) -> BulkRun<R, T>
    where
        I: IntoIterator<Item = (T, Write<R>)>,
        I::IntoIter: Send + 'static,
        T: Send + 'static,
    {
        self.run_stream_tagged(futures::stream::iter(writes))
    }

    /// Starts the job over writes from a [`Stream`]: the same ordering per id, concurrency and
    /// results as [`run`](Self::run), with the input read as the job goes (a write is taken
    /// from the stream only when one can start), so nothing is collected first.
    ///
    /// Streaming a catalog's products, changing some and writing them back, 8 at a time:
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::Write;
    /// use futures::StreamExt;
    ///
    /// let products = client.products("S23");
    /// let writes = products.list().product_name("Stol").items().filter_map(|listed| async move {
    ///     match listed {
    ///         Ok(product) => Some(Write::try_modify(product.id(), |u| {
    ///             u.price = u.price.map(|p| p.change_by_percent(10.0)).transpose()?;
    ///             Ok(())
    ///         })),
    ///         Err(e) => {
    ///             eprintln!("the list stopped: {e}");
    ///             None
    ///         }
    ///     }
    /// });
    /// let mut results = products.bulk().concurrency(8).run_stream(writes);
    /// while let Some(outcome) = results.next().await {
    ///     if let Err(e) = &outcome.result {
    ///         eprintln!("{:?}: {e}", outcome.id);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn run_stream<S>(self, writes: S) -> BulkRun<R>
    where
        S: Stream<Item = Write<R>> + Send + 'static,
    {
        self.run_stream_tagged(writes.map(|write| ((), write)))
    }

    /// [`run_stream`](Self::run_stream) with a tag on each write, as
    /// [`run_tagged`](Self::run_tagged).
    pub fn run_stream_tagged<S, T>(self, writes: S) -> BulkRun<R, T>
    where
        S: Stream<Item = (T, Write<R>)> + Send + 'static,
        T: Send + 'static,
    {
        let client = self.resource.client();
        let retry = self
            .retry
            .unwrap_or_else(|| client.retry_policy().clone().at_least(JOB_BUDGET));
        let client = client
            .with_retry_policy(retry)
            .with_rate_limiter(self.limiter.unwrap_or_default());
        let scheduler = Scheduler {
            resource: self.resource.with_client(client),
            input: writes.boxed(),
            journal: self.journal,
            next_index: 0,
            input_done: false,
            concurrency: self.concurrency,
            running: FuturesUnordered::new(),
            busy: HashMap::new(),
            waiting: 0,
        };
        BulkRun {
            inner: Box::new(scheduler),
        }
    }
}

/// The time budget of each write of a job, at least.
const JOB_BUDGET: Duration = Duration::from_secs(300);

/// The results of a bulk job, as they finish; see [`BulkWriter::run`].
#[must_use = "streams do nothing unless polled"]
pub struct BulkRun<R: Resource, T = ()> {
    inner: Box<Scheduler<R, T>>,
}

impl<R: Resource, T: Send + 'static> Stream for BulkRun<R, T> {
    type Item = Outcome<R, T>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next(cx)
    }
}

impl<R: Resource, T> fmt::Debug for BulkRun<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BulkRun")
    }
}

/// A write waiting for an earlier one to the same id: its index, its tag, the write.
type Waiting<R, T> = (usize, T, Write<R>);

struct Scheduler<R: Resource, T> {
    resource: R,
    input: BoxStream<'static, (T, Write<R>)>,
    journal: Option<Arc<dyn Journal>>,
    next_index: usize,
    input_done: bool,
    concurrency: usize,
    running: FuturesUnordered<BoxFuture<'static, Outcome<R, T>>>,
    /// Ids with a write in flight, and the writes waiting behind it, in input order.
    busy: HashMap<R::Id, VecDeque<Waiting<R, T>>>,
    waiting: usize,
}

impl<R: Resource, T: Send + 'static> Scheduler<R, T> {
    /// Starts what can start, then hands out the next write that finished. The job ends when
    /// the input has ended and nothing is in flight; until then, a pending input or pending
    /// writes have registered the waker.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Outcome<R, T>>> {
        self.fill(cx);
        match self.running.poll_next_unpin(cx) {
            Poll::Ready(Some(outcome)) => {
                if let Some(id) = &outcome.id {
                    self.release(id);
                }
                Poll::Ready(Some(outcome))
            }
            // Nothing in flight: either all is done, or the input is pending (and will wake us).
            Poll::Ready(None) if self.input_done => Poll::Ready(None),
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }

    /// Starts writes from the input until `concurrency` are in flight or the input has none
    /// ready.
    fn fill(&mut self, cx: &mut Context<'_>) {
        while self.running.len() < self.concurrency
            && self.waiting < MAX_WAITING
            && !self.input_done
        {
            let (tag, write) = match self.input.poll_next_unpin(cx) {
                Poll::Ready(Some(next)) => next,
                Poll::Ready(None) => {
                    self.input_done = true;
                    break;
                }
                Poll::Pending => break,
            };
            let index = self.next_index;
            self.next_index += 1;
            match write.id() {
                Some(id) => match self.busy.get_mut(&id) {
                    Some(queue) => {
                        queue.push_back((index, tag, write));
                        self.waiting += 1;
                    }
                    None => {
                        self.busy.insert(id.clone(), VecDeque::new());
                        self.start(index, tag, write, Some(id));
                    }
                },
                None => self.start(index, tag, write, None),
            }
        }
    }

    /// A write to `id` finished: the next one waiting for it goes.
    fn release(&mut self, id: &R::Id) {
        match self.busy.get_mut(id).and_then(VecDeque::pop_front) {
            Some((index, tag, write)) => {
                self.waiting -= 1;
                self.start(index, tag, write, Some(id.clone()));
            }
            None => {
                self.busy.remove(id);
            }
        }
    }

    fn start(&mut self, index: usize, tag: T, write: Write<R>, id: Option<R::Id>) {
        let resource = self.resource.clone();
        let journal = self.journal.clone();
        self.running.push(
            async move {
                let kind = write.kind();
                let result = apply(&resource, write, journal).await;
                Outcome {
                    index,
                    kind,
                    id,
                    tag,
                    result,
                }
            }
            .boxed(),
        );
    }
}

async fn apply<R: Resource>(
    resource: &R,
    write: Write<R>,
    journal: Option<Arc<dyn Journal>>,
) -> Result<Written<R::Item>> {
    match write.op {
        Op::Create(new) => resources::create_once(resource, new).await,
        Op::Replace(id, update) => resource
            .replace_item(&id, update)
            .await
            .map(Written::Updated),
        Op::Modify(id, change) => resources::modify(resource, &id, change).await,
        Op::Upsert(new) => resources::upsert(resource, new).await,
        Op::Delete(id) => resource.delete_item(&id).await.map(Written::Deleted),
        Op::Recreate(new) => resource.recreate_item(new, journal.as_deref()).await,
        Op::Invalid(_, invalid) => Err(invalid.into()),
    }
}
