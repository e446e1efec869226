//! Many writes as one job: bounded concurrency, a result per write as a stream, writes to one id
//! applied in the order given, and one rate limiter for the whole job.

use crate::error::Result;
use crate::limiter::RateLimiter;
use crate::resources::sealed::Body as _;
use crate::resources::{self, Resource, Written};
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
/// Writes waiting behind an earlier write to the same id, at most; beyond it, no more input is
/// read until some have gone.
const MAX_WAITING: usize = 10_000;

/// One write of a bulk job.
#[non_exhaustive]
pub enum Write<R: Resource> {
    /// Create, exactly once: a create whose outcome is unknown is looked up by id before it is
    /// sent again (see [`Products::create_once`](crate::Products::create_once)).
    Create(R::New),
    /// Replace every writable field (see [`Products::replace`](crate::Products::replace)).
    Replace(R::Id, R::Update),
    /// Read, change, write back (see [`Products::modify`](crate::Products::modify)).
    Modify(R::Id, Change<R>),
    /// Create, or set the given fields (see [`Products::upsert`](crate::Products::upsert)).
    Upsert(R::New),
    /// Delete.
    Delete(R::Id),
    /// Delete and create again with every field it had, the fields the new one manages
    /// changed: a product whose groups change (see [`CatalogSync`](crate::CatalogSync)). Its
    /// body goes to the job's [`journal`](BulkWriter::journal) first, and a failed create puts
    /// the product back as it was. Only products can be recreated.
    Recreate(R::New),
}

impl<R: Resource> Write<R> {
    /// A modify, with its closure boxed.
    pub fn modify(id: R::Id, change: impl FnOnce(&mut R::Update) + Send + 'static) -> Self {
        Write::Modify(id, Box::new(change))
    }

    /// What kind of write this is.
    pub fn kind(&self) -> WriteKind {
        match self {
            Write::Create(_) => WriteKind::Create,
            Write::Replace(..) => WriteKind::Replace,
            Write::Modify(..) => WriteKind::Modify,
            Write::Upsert(_) => WriteKind::Upsert,
            Write::Delete(_) => WriteKind::Delete,
            Write::Recreate(_) => WriteKind::Recreate,
        }
    }

    /// The id it writes, when known before sending (a create without an id has none).
    pub fn id(&self) -> Option<R::Id> {
        match self {
            Write::Create(new) | Write::Upsert(new) | Write::Recreate(new) => new.valid_id(),
            Write::Replace(id, _) | Write::Modify(id, _) | Write::Delete(id) => Some(id.clone()),
        }
    }
}

impl<R: Resource> fmt::Debug for Write<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Write::Create(new) => f.debug_tuple("Create").field(new).finish(),
            Write::Replace(id, update) => f.debug_tuple("Replace").field(id).field(update).finish(),
            Write::Modify(id, _) => f.debug_tuple("Modify").field(id).finish_non_exhaustive(),
            Write::Upsert(new) => f.debug_tuple("Upsert").field(new).finish(),
            Write::Delete(id) => f.debug_tuple("Delete").field(id).finish(),
            Write::Recreate(new) => f.debug_tuple("Recreate").field(new).finish(),
        }
    }
}

/// The change a [`Write::Modify`] makes to the fields it read.
pub type Change<R> = Box<dyn FnOnce(&mut <R as Resource>::Update) + Send>;

/// The kinds of [`Write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteKind {
    /// [`Write::Create`]
    Create,
    /// [`Write::Replace`]
    Replace,
    /// [`Write::Modify`]
    Modify,
    /// [`Write::Upsert`]
    Upsert,
    /// [`Write::Delete`]
    Delete,
    /// [`Write::Recreate`]
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
///     Write::Upsert(NewProduct::new(format!("Chair {i}")).id(format!("C{i}")).price(Price::new(9900, Currency::NOK)))
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

    /// Where [`Write::Recreate`]s record a product before deleting it (default: none).
    pub fn journal(mut self, journal: Arc<dyn Journal>) -> Self {
        self.journal = Some(journal);
        self
    }

    pub(crate) fn journal_opt(mut self, journal: Option<Arc<dyn Journal>>) -> Self {
        self.journal = journal;
        self
    }

    /// Starts the job. Nothing is sent until the returned stream is polled.
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
    /// let rows = [(2_u64, "C1"), (3, "C2")].map(|(line, id)| (line, Write::Upsert(NewProduct::new("Chair").id(id))));
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
        let client = self.resource.client();
        let retry = self
            .retry
            .unwrap_or_else(|| client.retry_policy().clone().at_least(JOB_BUDGET));
        let client = client
            .with_retry_policy(retry)
            .with_rate_limiter(self.limiter.unwrap_or_default());
        let scheduler = Scheduler {
            resource: self.resource.with_client(client),
            input: Box::new(writes.into_iter()),
            journal: self.journal,
            next_index: 0,
            input_done: false,
            concurrency: self.concurrency,
            running: FuturesUnordered::new(),
            busy: HashMap::new(),
            waiting: 0,
        };
        BulkRun {
            inner: futures::stream::unfold(scheduler, |mut s| async move {
                let outcome = s.next().await?;
                Some((outcome, s))
            })
            .boxed(),
        }
    }
}

/// The time budget of each write of a job, at least.
const JOB_BUDGET: Duration = Duration::from_secs(300);

/// The results of a bulk job, as they finish; see [`BulkWriter::run`].
#[must_use = "streams do nothing unless polled"]
pub struct BulkRun<R: Resource, T = ()> {
    inner: BoxStream<'static, Outcome<R, T>>,
}

impl<R: Resource, T> Stream for BulkRun<R, T> {
    type Item = Outcome<R, T>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
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
    input: Box<dyn Iterator<Item = (T, Write<R>)> + Send>,
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
    async fn next(&mut self) -> Option<Outcome<R, T>> {
        self.fill();
        let outcome = self.running.next().await?;
        if let Some(id) = &outcome.id {
            self.release(id);
        }
        Some(outcome)
    }

    /// Starts writes from the input until `concurrency` are in flight.
    fn fill(&mut self) {
        while self.running.len() < self.concurrency
            && self.waiting < MAX_WAITING
            && !self.input_done
        {
            let Some((tag, write)) = self.input.next() else {
                self.input_done = true;
                break;
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
    match write {
        Write::Create(new) => resources::create_once(resource, new).await,
        Write::Replace(id, update) => resource
            .replace_item(&id, update)
            .await
            .map(Written::Updated),
        Write::Modify(id, change) => resources::modify(resource, &id, change).await,
        Write::Upsert(new) => resources::upsert(resource, new).await,
        Write::Delete(id) => resource.delete_item(&id).await.map(Written::Deleted),
        Write::Recreate(new) => resource.recreate_item(new, journal.as_deref()).await,
    }
}
