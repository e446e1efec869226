//! Catalog sync: make a catalog hold exactly the desired products, in two steps a person can
//! look at in between. [`CatalogSync::plan`] compares the desired state with what Dintero
//! holds and says what would change; [`CatalogSync::apply`] makes those changes through a
//! [`BulkWriter`](crate::BulkWriter) job.
//!
//! Memory stays small whatever the catalog's size: the plan keeps, per product, its id and a
//! hash of each writable field (no bodies); the desired products are read again from their
//! source when the plan is applied. A sync is idempotent (right after one, the next plans
//! nothing) and resumable: products carry ids of our choosing, so a sync interrupted at any
//! point, planned and applied again, ends in the desired state with nothing created twice.

use crate::bulk::{DEFAULT_CONCURRENCY, Write, WriteKind};
use crate::error::{Error, Result};
use crate::ids::{GroupId, ProductId};
use crate::limiter::RateLimiter;
use crate::resources::sealed::Ops;
use crate::resources::{NewGroup, NewProduct, Product, ProductUpdate, Products};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// A writable field of a product, as the plan names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Field {
    /// `product_name`
    Name,
    /// `description`
    Description,
    /// `unit_gross_price` and `currency`
    Price,
    /// `unit`
    Unit,
    /// `is_virtual_product`
    Virtual,
    /// `starting_at`
    StartingAt,
    /// `stopping_at`
    StoppingAt,
    /// `dimension`
    Dimension,
    /// `images`
    Images,
    /// `locations`
    Locations,
    /// `groups`: the ids of the groups the product is in
    Groups,
}

const FIELDS: [Field; 11] = [
    Field::Name,
    Field::Description,
    Field::Price,
    Field::Unit,
    Field::Virtual,
    Field::StartingAt,
    Field::StoppingAt,
    Field::Dimension,
    Field::Images,
    Field::Locations,
    Field::Groups,
];

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Name => "name",
            Field::Description => "description",
            Field::Price => "price",
            Field::Unit => "unit",
            Field::Virtual => "virtual",
            Field::StartingAt => "starting_at",
            Field::StoppingAt => "stopping_at",
            Field::Dimension => "dimension",
            Field::Images => "images",
            Field::Locations => "locations",
            Field::Groups => "groups",
        })
    }
}

/// A set of [`Field`]s, two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct FieldSet(u16);

impl FieldSet {
    fn insert(&mut self, field: Field) {
        self.0 |= 1 << field as u16;
    }

    /// Whether `field` is in the set.
    pub fn contains(&self, field: Field) -> bool {
        self.0 & (1 << field as u16) != 0
    }

    /// The fields in the set, in a fixed order.
    pub fn iter(&self) -> impl Iterator<Item = Field> + '_ {
        FIELDS.into_iter().filter(|f| self.contains(*f))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
}

/// One hash per writable field: what the plan keeps of a product.
type Fingerprint = [u32; FIELDS.len()];

/// The fields of a product in one normal form, so that what the API returns and what is
/// desired compare equal when they mean the same (no description and an empty one, say).
fn fingerprint(fields: &ProductUpdate, groups: &mut Vec<&str>) -> Fingerprint {
    fn hash(value: &impl serde::Serialize) -> u32 {
        let mut hasher = DefaultHasher::new();
        serde_json::to_vec(value)
            .unwrap_or_default()
            .hash(&mut hasher);
        hasher.finish() as u32
    }
    let text = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    groups.sort_unstable();
    groups.dedup();
    let images = fields.images.as_ref().filter(|i| !i.0.is_empty());
    let locations = fields.locations.as_deref().unwrap_or_default();
    [
        hash(&text(&fields.name)),
        hash(&text(&fields.description)),
        hash(
            &fields
                .price
                .map(|p| (p.minor_units(), p.currency().as_str())),
        ),
        hash(&text(&fields.unit)),
        hash(&fields.is_virtual.unwrap_or(false)),
        hash(&fields.starting_at),
        hash(&fields.stopping_at),
        hash(
            &fields
                .dimension
                .clone()
                .filter(|d| *d != Default::default()),
        ),
        hash(&images),
        hash(&locations),
        hash(groups),
    ]
}

fn product_fingerprint(product: &Product) -> Fingerprint {
    fingerprint(&product.to_update(), &mut product.group_ids().collect())
}

fn desired_fingerprint(product: &NewProduct) -> Fingerprint {
    let mut groups: Vec<&str> = product.group_ids().map(GroupId::as_str).collect();
    fingerprint(product.writable_fields(), &mut groups)
}

fn differing(a: &Fingerprint, b: &Fingerprint) -> FieldSet {
    let mut set = FieldSet::default();
    for (i, field) in FIELDS.into_iter().enumerate() {
        if a[i] != b[i] {
            set.insert(field);
        }
    }
    set
}

/// What the plan does to one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Not in the catalog: created.
    Create,
    /// Its writable fields differ: replaced with the desired ones.
    Update,
    /// Its groups differ: deleted and created again, since Dintero's update body has no
    /// `groups` (its Dintero `id` and `created_at` change).
    Recreate,
    /// In the catalog but not desired, and pruning was asked for: deleted.
    Delete,
}

#[derive(Debug, Clone, Copy)]
struct Planned {
    action: Action,
    fields: FieldSet,
}

/// Where an id sits in a [`Ledger`]'s text.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u16,
}

/// What the plan knows of one product of the catalog.
#[derive(Debug, Clone, Copy)]
struct Held {
    id: Span,
    fingerprint: Fingerprint,
    /// `None` until a desired product with its id turns up; then what to do with it.
    planned: Option<Option<Planned>>,
}

/// The ids a plan holds, compactly: all in one string, the entries in vectors sorted by id.
/// No hash table: with its spare capacity it took twice the memory for a million products.
#[derive(Debug, Default)]
struct Ledger {
    text: String,
    /// The catalog's products, sorted by id once listed.
    held: Vec<Held>,
    /// Desired products the catalog does not hold, sorted by id once planned.
    creates: Vec<Span>,
}

impl Ledger {
    fn push(&mut self, id: &str) -> Result<Span> {
        let too_many = || Error::Config("too many product ids for one plan (4 GiB of ids)".into());
        let start = u32::try_from(self.text.len()).map_err(|_| too_many())?;
        let len = u16::try_from(id.len()).map_err(|_| too_many())?;
        self.text.push_str(id);
        Ok(Span { start, len })
    }

    fn id(&self, span: Span) -> &str {
        span_text(&self.text, span)
    }

    fn held(&self, id: &str) -> Option<usize> {
        self.held.binary_search_by(|h| self.id(h.id).cmp(id)).ok()
    }

    /// What the plan does to the product `id`, if anything (deletes excepted).
    fn planned(&self, id: &str) -> Option<Planned> {
        match self.held(id) {
            Some(i) => self.held[i].planned.flatten(),
            None => self
                .creates
                .binary_search_by(|c| self.id(*c).cmp(id))
                .ok()
                .map(|_| Planned {
                    action: Action::Create,
                    fields: FieldSet::default(),
                }),
        }
    }

    /// The catalog's products no desired product named.
    fn not_desired(&self) -> impl Iterator<Item = &str> {
        self.held
            .iter()
            .filter(|h| h.planned.is_none())
            .map(|h| self.id(h.id))
    }
}

/// The desired state of a catalog: its products, read from a source that can be read twice
/// (once to plan, once to apply), and the groups they belong to.
///
/// ```
/// use dintero_products::{Currency, Desired, NewGroup, NewProduct, Price};
///
/// // A million products, made as they are read: never all in memory at once.
/// let desired = Desired::products_from(|| {
///     (0..1_000_000).map(|i| {
///         NewProduct::new(format!("Chair {i}"))
///             .id(format!("C{i}"))
///             .price(Price::new(9900, Currency::NOK))
///             .group("CHAIRS")
///     })
/// })
/// .group(NewGroup::new("Chairs").id("CHAIRS"));
/// # let _ = desired;
/// ```
#[derive(Clone)]
pub struct Desired {
    products: Arc<dyn Fn() -> Box<dyn Iterator<Item = NewProduct> + Send> + Send + Sync>,
    groups: Vec<NewGroup>,
}

impl fmt::Debug for Desired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Desired")
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

impl Desired {
    /// These products.
    pub fn products(products: Vec<NewProduct>) -> Self {
        let products = Arc::new(products);
        // One product cloned at a time as the sync reads, never the whole list.
        Self::products_from(move || {
            let products = products.clone();
            (0..products.len()).map(move |i| products[i].clone())
        })
    }

    /// The products `source` yields, each time it is called: a source too large to hold, such
    /// as a file read anew, or a generator. It must yield the same products each time.
    pub fn products_from<F, I>(source: F) -> Self
    where
        F: Fn() -> I + Send + Sync + 'static,
        I: IntoIterator<Item = NewProduct>,
        I::IntoIter: Send + 'static,
    {
        Self {
            products: Arc::new(move || Box::new(source().into_iter())),
            groups: Vec::new(),
        }
    }

    /// A group the products refer to, with its name. A group a product refers to but not
    /// listed here is created with its id as its name when it is missing.
    pub fn group(mut self, group: NewGroup) -> Self {
        self.groups.push(group);
        self
    }

    fn read(&self) -> Box<dyn Iterator<Item = NewProduct> + Send> {
        (self.products)()
    }
}

/// How a group is brought in line.
#[derive(Debug, Clone, PartialEq)]
enum GroupChange {
    Create(NewGroup),
    Rename(NewGroup),
}

/// A sync of one catalog; see [`Products::sync`].
#[must_use = "a sync does nothing until planned and applied"]
pub struct CatalogSync {
    products: Products,
    desired: Desired,
    prune: bool,
    concurrency: usize,
    limiter: Option<RateLimiter>,
    progress: Option<ProgressFn>,
}

type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

impl fmt::Debug for CatalogSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatalogSync")
            .field("catalog", &self.products.catalog_id())
            .field("prune", &self.prune)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// What a sync reports while it works, to a callback set with [`CatalogSync::on_progress`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// Planning: this many products of the catalog read so far.
    Listed(usize),
    /// Planning: this many desired products compared so far.
    Compared(usize),
    /// Applying: one write finished.
    Applied {
        /// What was done.
        action: Action,
        /// To which product (or group).
        id: &'a str,
        /// How it went.
        result: &'a Result<()>,
    },
}

/// The id at `span`: spans are made only by [`Ledger::push`], so they always lie within the text.
fn span_text(text: &str, span: Span) -> &str {
    let start = span.start as usize;
    &text[start..start + usize::from(span.len)]
}

fn desired_twice(id: &str) -> Error {
    Error::Config(format!("product id {id} is desired twice"))
}

/// How many updates the plan shows with old and new values; the others name their fields.
const DETAILED_UPDATES: usize = 100;

impl CatalogSync {
    pub(crate) fn new(products: Products, desired: Desired) -> Self {
        Self {
            products,
            desired,
            prune: false,
            concurrency: DEFAULT_CONCURRENCY,
            limiter: None,
            progress: None,
        }
    }

    /// Delete the catalog's products that are not desired (default: keep them).
    pub fn prune(mut self, prune: bool) -> Self {
        self.prune = prune;
        self
    }

    /// Writes in flight at once while applying (default 8; see [`crate::MAX_CONCURRENCY`]).
    pub fn concurrency(mut self, writes: usize) -> Self {
        self.concurrency = writes;
        self
    }

    /// The rate limiter the apply shares (default: a new adaptive one per apply).
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// A callback told of the work as it goes: for a progress bar, or a log.
    pub fn on_progress(mut self, progress: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    fn report(&self, event: Progress) {
        if let Some(progress) = &self.progress {
            progress(&event);
        }
    }

    /// Compares the desired state with what the catalog holds, sending only list requests, and
    /// returns what [`apply`](Self::apply) would do. Fails for a desired product without an id,
    /// or with an id given twice.
    pub async fn plan(&self) -> Result<Plan> {
        let catalog = self.products.catalog_id()?.clone();
        let remote_groups = self.remote_groups().await?;
        let mut referenced = BTreeSet::new();

        // The catalog as it is: an id and a fingerprint per product, nothing else.
        let mut ledger = Ledger::default();
        let mut listed = self.products.list().limit(crate::PageSize::MAX).items();
        while let Some(product) = listed.next().await.transpose()? {
            let held = Held {
                id: ledger.push(product.id())?,
                fingerprint: product_fingerprint(&product),
                planned: None,
            };
            ledger.held.push(held);
            if ledger.held.len().is_multiple_of(1000) {
                self.report(Progress::Listed(ledger.held.len()));
            }
        }
        self.report(Progress::Listed(ledger.held.len()));
        let Ledger { text, held, .. } = &mut ledger;
        held.sort_unstable_by(|a, b| span_text(text, a.id).cmp(span_text(text, b.id)));
        held.shrink_to_fit();

        let mut details = Vec::new();
        let mut desired_count: usize = 0;
        let mut unchanged = 0;
        for product in self.desired.read() {
            desired_count += 1;
            product.check()?;
            let id = product.product_id().ok_or_else(|| {
                Error::Config(format!(
                    "desired product #{desired_count} ({:?}) has no id: a sync needs every product's id",
                    product.writable_fields().name.as_deref().unwrap_or_default()
                ))
            })?;
            referenced.extend(product.group_ids().cloned());
            match ledger.held(id.as_str()) {
                Some(i) => {
                    let held = &mut ledger.held[i];
                    if held.planned.is_some() {
                        return Err(desired_twice(id.as_str()));
                    }
                    let fields = differing(&held.fingerprint, &desired_fingerprint(&product));
                    if fields.is_empty() {
                        held.planned = Some(None);
                        unchanged += 1;
                    } else {
                        let action = if fields.contains(Field::Groups) {
                            Action::Recreate
                        } else {
                            Action::Update
                        };
                        held.planned = Some(Some(Planned { action, fields }));
                        if details.len() < DETAILED_UPDATES {
                            details.push((id.clone(), product.clone()));
                        }
                    }
                }
                None => {
                    let span = ledger.push(id.as_str())?;
                    ledger.creates.push(span);
                }
            }
            if desired_count.is_multiple_of(1000) {
                self.report(Progress::Compared(desired_count));
            }
        }
        self.report(Progress::Compared(desired_count));
        let groups = self.plan_groups(&remote_groups, referenced)?;
        let Ledger { text, creates, .. } = &mut ledger;
        creates.sort_unstable_by(|a, b| span_text(text, *a).cmp(span_text(text, *b)));
        if let Some(pair) = creates
            .windows(2)
            .find(|pair| span_text(text, pair[0]) == span_text(text, pair[1]))
        {
            return Err(desired_twice(span_text(text, pair[0])));
        }
        creates.shrink_to_fit();

        // Old and new values for the first updates, fetched now (list requests only).
        let mut shown = BTreeMap::new();
        for (id, desired) in details {
            let current = self.products.get(&id).await?;
            shown.insert(id.as_str().into(), values(&current, &desired));
        }

        Ok(Plan {
            catalog: catalog.to_string(),
            groups,
            ledger: Arc::new(ledger),
            prune: self.prune,
            unchanged,
            desired: desired_count,
            details: shown,
        })
    }

    /// The account's groups, by id, with their names.
    async fn remote_groups(&self) -> Result<HashMap<String, String>> {
        self.products
            .client()
            .groups()
            .list()
            .limit(crate::PageSize::MAX)
            .items()
            .map(|g| g.map(|g| (g.id().to_string(), g.name().to_string())))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    /// The groups to create or rename: those listed in the desired state that are missing or
    /// named otherwise, and those the products refer to that are neither listed nor there
    /// (named by their id).
    fn plan_groups(
        &self,
        remote: &HashMap<String, String>,
        referenced: BTreeSet<GroupId>,
    ) -> Result<Vec<GroupChange>> {
        let mut wanted: BTreeMap<String, NewGroup> = BTreeMap::new();
        for group in &self.desired.groups {
            let id = group.group_id().ok_or_else(|| {
                Error::Config("a desired group has no id: a sync needs every group's id".into())
            })?;
            wanted.insert(id.to_string(), group.clone());
        }
        for id in referenced {
            if !wanted.contains_key(id.as_str()) && !remote.contains_key(id.as_str()) {
                wanted.insert(id.to_string(), NewGroup::new(id.as_str()).id(id));
            }
        }
        let mut changes = Vec::new();
        for (id, group) in wanted {
            match remote.get(&id) {
                None => changes.push(GroupChange::Create(group)),
                Some(name) if group.group_name().is_some_and(|n| n != name) => {
                    changes.push(GroupChange::Rename(group))
                }
                Some(_) => {}
            }
        }
        Ok(changes)
    }

    /// Makes the changes of `plan`: groups first (so products can refer to them), then the
    /// products' creates, updates and recreates, then the deletes. A failed write is reported
    /// and the others go on; plan and apply again to retry what failed.
    pub async fn apply(&self, plan: &Plan) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        let limiter = self.limiter.clone().unwrap_or_default();

        let groups = self.products.client().groups();
        let group_writes: Vec<Write<crate::Groups>> = plan
            .groups
            .iter()
            .map(|change| match change {
                GroupChange::Create(g) => Write::Create(g.clone()),
                GroupChange::Rename(g) => Write::Upsert(g.clone()),
            })
            .collect();
        let mut run = groups
            .bulk()
            .concurrency(self.concurrency)
            .rate_limiter(limiter.clone())
            .run(group_writes);
        while let Some(outcome) = run.next().await {
            let id = outcome.id.as_ref().map_or("", GroupId::as_str).to_string();
            let result = outcome.result.map(|_| ()).or_else(|e| {
                // A group created by an earlier, interrupted run.
                if e.is_conflict() { Ok(()) } else { Err(e) }
            });
            report.record_group(&id, result);
        }
        if !report.failed.is_empty() {
            // Products would refer to groups that are not there.
            return Ok(report);
        }

        let ledger = plan.ledger.clone();
        let deletes: Vec<ProductId> = if plan.prune {
            ledger
                .not_desired()
                .filter_map(|id| ProductId::new(id).ok())
                .collect()
        } else {
            Vec::new()
        };
        let writes = self
            .desired
            .read()
            .filter_map(move |product| {
                let planned = ledger.planned(product.product_id()?.as_str())?;
                Some((planned.action, product))
            })
            .flat_map(|(action, product)| {
                let id = product.product_id().cloned();
                let writes: Vec<Write<Products>> = match (action, id) {
                    (Action::Update, Some(id)) => {
                        vec![Write::Replace(id, product.writable_fields().clone())]
                    }
                    (Action::Recreate, Some(id)) => {
                        vec![Write::Delete(id), Write::Create(product)]
                    }
                    _ => vec![Write::Create(product)],
                };
                writes
            })
            .chain(deletes.into_iter().map(Write::Delete));
        let mut run = self
            .products
            .bulk()
            .concurrency(self.concurrency)
            .rate_limiter(limiter)
            .run(writes);
        while let Some(outcome) = run.next().await {
            let id = outcome
                .id
                .as_ref()
                .map_or("", ProductId::as_str)
                .to_string();
            let planned = plan.ledger.planned(&id).map(|p| p.action);
            let action = match (outcome.kind, planned) {
                (WriteKind::Replace, _) => Action::Update,
                (WriteKind::Delete, None) => Action::Delete,
                (_, Some(action)) => action,
                (_, None) => Action::Create,
            };
            // Already gone (an interrupted run deleted it) is what a delete wants.
            let result = match outcome.result {
                Err(e) if outcome.kind == WriteKind::Delete && e.is_not_found() => Ok(()),
                other => other.map(|_| ()),
            };
            if outcome.kind == WriteKind::Delete && action == Action::Recreate {
                // The first half of a recreate: its create reports the product.
                if let Err(e) = result {
                    report.failed.push((id, e));
                }
                continue;
            }
            self.report(Progress::Applied {
                action,
                id: &id,
                result: &result,
            });
            report.record(action, &id, result);
        }
        Ok(report)
    }
}

/// Old and new values of the fields that differ, as text, for the plan's diff.
fn values(current: &Product, desired: &NewProduct) -> Vec<(Field, String, String)> {
    let old = current.to_update();
    let new = desired.writable_fields();
    let text = |s: &Option<String>| match s.as_deref() {
        None | Some("") => "-".to_string(),
        Some(s) if s.chars().count() > 40 => {
            format!("{:?}…", s.chars().take(40).collect::<String>())
        }
        Some(s) => format!("{s:?}"),
    };
    let price = |p: &Option<crate::Price>| p.map_or("-".to_string(), |p| p.to_string());
    let mut old_groups: Vec<&str> = current.group_ids().collect();
    let mut new_groups: Vec<&str> = desired.group_ids().map(GroupId::as_str).collect();
    old_groups.sort_unstable();
    new_groups.sort_unstable();
    let differs = differing(
        &fingerprint(&old, &mut old_groups.clone()),
        &fingerprint(new, &mut new_groups.clone()),
    );
    differs
        .iter()
        .map(|field| {
            let (a, b) = match field {
                Field::Name => (text(&old.name), text(&new.name)),
                Field::Description => (text(&old.description), text(&new.description)),
                Field::Price => (price(&old.price), price(&new.price)),
                Field::Unit => (text(&old.unit), text(&new.unit)),
                Field::Virtual => (
                    old.is_virtual.unwrap_or(false).to_string(),
                    new.is_virtual.unwrap_or(false).to_string(),
                ),
                Field::Groups => (old_groups.join(","), new_groups.join(",")),
                _ => ("…".to_string(), "(changed)".to_string()),
            };
            (field, a, b)
        })
        .collect()
}

/// What a sync would do; see [`CatalogSync::plan`]. Its [`Display`](fmt::Display) is a
/// readable diff: a summary line, then one line per change (`+` create, `~` update, `±`
/// recreate, `-` delete), with old and new values for the first hundred updates.
///
/// ```no_run
/// # async fn run(sync: dintero_products::CatalogSync) -> dintero_products::Result<()> {
/// use dintero_products::Action;
///
/// let plan = sync.plan().await?;
/// // catalog S23: 1 to create, 1 to update, 0 to recreate, 0 to delete, 98 unchanged
/// // + C100
/// // ~ C7  price: 99.00 NOK -> 109.00 NOK
/// print!("{plan}");
/// let deletes = plan.changes().iter().filter(|(_, action, _)| *action == Action::Delete).count();
/// if deletes == 0 {
///     sync.apply(&plan).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Plan {
    catalog: String,
    groups: Vec<GroupChange>,
    ledger: Arc<Ledger>,
    prune: bool,
    unchanged: usize,
    desired: usize,
    details: BTreeMap<Box<str>, Vec<(Field, String, String)>>,
}

/// The counts of a [`Plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Summary {
    /// Products to create.
    pub create: usize,
    /// Products to update.
    pub update: usize,
    /// Products to delete and create again (their groups differ).
    pub recreate: usize,
    /// Products to delete (pruning).
    pub delete: usize,
    /// Desired products the catalog already holds as desired.
    pub unchanged: usize,
    /// Products in the catalog that are not desired, kept since pruning was not asked for.
    pub not_desired_kept: usize,
    /// Groups to create or rename.
    pub groups: usize,
}

impl Plan {
    /// The counts.
    pub fn summary(&self) -> Summary {
        let not_desired = self.ledger.not_desired().count();
        let mut summary = Summary {
            create: self.ledger.creates.len(),
            unchanged: self.unchanged,
            groups: self.groups.len(),
            ..Summary::default()
        };
        if self.prune {
            summary.delete = not_desired;
        } else {
            summary.not_desired_kept = not_desired;
        }
        for planned in self.ledger.held.iter().filter_map(|h| h.planned.flatten()) {
            match planned.action {
                Action::Update => summary.update += 1,
                Action::Recreate => summary.recreate += 1,
                Action::Create | Action::Delete => {}
            }
        }
        summary
    }

    /// Whether applying would write nothing.
    pub fn is_empty(&self) -> bool {
        self.writes() == 0
    }

    /// How many writes applying would make, at most (a recreate is two).
    pub fn writes(&self) -> usize {
        let s = self.summary();
        s.create + s.update + 2 * s.recreate + s.delete + s.groups
    }

    /// Every product change, sorted by id: the id, what is done, and for an update or a
    /// recreate the fields that differ.
    pub fn changes(&self) -> Vec<(&str, Action, FieldSet)> {
        let ledger = &self.ledger;
        let held = ledger.held.iter().filter_map(|h| {
            let id = ledger.id(h.id);
            match h.planned {
                Some(Some(p)) => Some((id, p.action, p.fields)),
                Some(None) => None,
                None => self
                    .prune
                    .then_some((id, Action::Delete, FieldSet::default())),
            }
        });
        let creates = ledger
            .creates
            .iter()
            .map(|c| (ledger.id(*c), Action::Create, FieldSet::default()));
        let mut out: Vec<_> = held.chain(creates).collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        out
    }

    /// How many products the catalog held, and how many were desired, when planned.
    pub fn sizes(&self) -> (usize, usize) {
        (self.ledger.held.len(), self.desired)
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.summary();
        writeln!(
            f,
            "catalog {}: {} to create, {} to update, {} to recreate, {} to delete, {} unchanged{}",
            self.catalog,
            s.create,
            s.update,
            s.recreate,
            s.delete,
            s.unchanged,
            if s.not_desired_kept > 0 {
                format!(", {} not desired but kept (no prune)", s.not_desired_kept)
            } else {
                String::new()
            }
        )?;
        for change in &self.groups {
            match change {
                GroupChange::Create(g) => writeln!(
                    f,
                    "+ group {} {:?}",
                    g.group_id().map_or("", GroupId::as_str),
                    g.group_name().unwrap_or_default()
                )?,
                GroupChange::Rename(g) => writeln!(
                    f,
                    "~ group {} name -> {:?}",
                    g.group_id().map_or("", GroupId::as_str),
                    g.group_name().unwrap_or_default()
                )?,
            }
        }
        for (id, action, fields) in self.changes() {
            let sign = match action {
                Action::Create => "+",
                Action::Update => "~",
                Action::Recreate => "±",
                Action::Delete => "-",
            };
            write!(f, "{sign} {id}")?;
            match self.details.get(id) {
                Some(values) => {
                    for (i, (field, old, new)) in values.iter().enumerate() {
                        let sep = if i == 0 { "  " } else { ", " };
                        write!(f, "{sep}{field}: {old} -> {new}")?;
                    }
                }
                None if !fields.is_empty() => {
                    let names: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
                    write!(f, "  {}", names.join(", "))?;
                }
                None => {}
            }
            if action == Action::Recreate {
                write!(f, "  (delete and create: the update body has no groups)")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// What an apply did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct SyncReport {
    /// Products created.
    pub created: usize,
    /// Products updated.
    pub updated: usize,
    /// Products deleted and created again.
    pub recreated: usize,
    /// Products deleted.
    pub deleted: usize,
    /// Groups created or renamed.
    pub groups: usize,
    /// The writes that failed, by id.
    pub failed: Vec<(String, Error)>,
}

impl SyncReport {
    fn record(&mut self, action: Action, id: &str, result: Result<()>) {
        match (result, action) {
            (Err(e), _) => self.failed.push((id.to_string(), e)),
            (Ok(()), Action::Create) => self.created += 1,
            (Ok(()), Action::Update) => self.updated += 1,
            (Ok(()), Action::Recreate) => self.recreated += 1,
            (Ok(()), Action::Delete) => self.deleted += 1,
        }
    }

    fn record_group(&mut self, id: &str, result: Result<()>) {
        match result {
            Ok(()) => self.groups += 1,
            Err(e) => self.failed.push((format!("group {id}"), e)),
        }
    }

    /// Whether every write succeeded.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }
}
