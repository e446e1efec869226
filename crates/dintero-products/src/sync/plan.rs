//! Planning: compare the desired state with what the catalog holds (list requests only), and
//! the plan as a value: its counts, its changes, what needs consent, what is refused, its diff.

use super::desired::{DesiredProduct, Intent};
use super::fingerprint::{self, Fingerprint};
use super::ledger::{Held, Ledger, Planned, Rejected, Rejection, Stocks};
use super::{CatalogSync, Progress};
use crate::error::{Error, InvalidInput, Result};
use crate::fields::{Field, FieldSet};
use crate::ids::GroupId;
use crate::price::Price;
use crate::resources::sealed::Ops;
use crate::resources::{NewGroup, NewProduct, Product, dimension_part};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// What the plan does to one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Not in the catalog: created.
    Create,
    /// Managed fields differ: written, the unmanaged ones kept as Dintero holds them. Its
    /// groups too, when the client's [`ApiFacts`](crate::ApiFacts) saw an update apply them
    /// (`update.groups` `"applied"`).
    Update,
    /// Its groups differ: deleted and created again with every field it had (Dintero's update
    /// body has no `groups`), so its Dintero `id` and `created_at` change. Needs consent.
    /// Never planned for a client whose facts saw an update apply groups: an
    /// [`Update`](Self::Update) changes them.
    Recreate,
    /// Deleted: in the catalog and desired deleted ([`Intent::Delete`]), or not desired and
    /// pruning was asked for.
    Delete,
}

/// A change a plan makes only with the caller's consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Consent {
    /// Deleting a product and creating it again, to change its groups.
    Recreate,
    /// A price multiplied or divided by [`PRICE_JUMP`] or more.
    PriceJump,
}

/// The factor from which a price change is a jump that needs consent: kroner typed into a
/// column of øre is a hundredth of the price.
pub const PRICE_JUMP: u32 = 10;

/// The consents one change needs, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Needs(u8);

impl Needs {
    pub(super) const NONE: Needs = Needs(0);

    fn bit(consent: Consent) -> u8 {
        match consent {
            Consent::Recreate => 1,
            Consent::PriceJump => 2,
        }
    }

    fn with(self, consent: Consent, needed: bool) -> Self {
        if needed {
            Needs(self.0 | Self::bit(consent))
        } else {
            self
        }
    }

    pub(super) fn contains(self, consent: Consent) -> bool {
        self.0 & Self::bit(consent) != 0
    }

    /// The consents needed and not in `approved`.
    pub(super) fn missing(self, approved: Approvals) -> Vec<Consent> {
        [Consent::Recreate, Consent::PriceJump]
            .into_iter()
            .filter(|c| self.contains(*c) && !approved.0.contains(*c))
            .collect()
    }
}

/// The consents given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Approvals(Needs);

impl Approvals {
    pub(super) fn set(&mut self, consent: Consent, given: bool) {
        let bit = Needs::bit(consent);
        self.0.0 = if given {
            self.0.0 | bit
        } else {
            self.0.0 & !bit
        };
    }
}

/// How many products a prune may delete.
///
/// ```
/// use dintero_products::MaxDeletes;
///
/// assert_eq!("25".parse::<MaxDeletes>()?, MaxDeletes::Count(25));
/// assert_eq!("5%".parse::<MaxDeletes>()?, MaxDeletes::Percent(5));
/// assert_eq!(MaxDeletes::default().allowed(1000), 100); // 10%
/// assert_eq!(MaxDeletes::Percent(10).allowed(9), 0);
/// # Ok::<(), dintero_products::InvalidInput>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MaxDeletes {
    /// At most this many.
    Count(usize),
    /// At most this per cent of the catalog's products, rounded down (0 to 100).
    Percent(u8),
}

impl Default for MaxDeletes {
    fn default() -> Self {
        MaxDeletes::Percent(10)
    }
}

impl MaxDeletes {
    /// How many deletes this allows in a catalog of `catalog` products.
    pub fn allowed(self, catalog: usize) -> usize {
        match self {
            MaxDeletes::Count(n) => n,
            MaxDeletes::Percent(p) => {
                usize::try_from(catalog as u128 * u128::from(p.min(100)) / 100).unwrap_or(catalog)
            }
        }
    }
}

impl FromStr for MaxDeletes {
    type Err = crate::InvalidInput;
    /// `N` (a count) or `N%` (a per cent of the catalog, 0 to 100).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            crate::InvalidInput::new(
                "maximum deletes",
                text,
                "must be a count such as 25, or a per cent from 0% to 100%",
            )
        };
        match text.trim().strip_suffix('%') {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= 100)
                .map(MaxDeletes::Percent)
                .ok_or_else(invalid),
            None => text
                .trim()
                .parse()
                .map(MaxDeletes::Count)
                .map_err(|_| invalid()),
        }
    }
}

impl fmt::Display for MaxDeletes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxDeletes::Count(n) => write!(f, "{n}"),
            MaxDeletes::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// Why something is not done: the whole plan, for a prune that could not be undone and looks
/// like a mistake ([`Plan::refusal`]); or one product, left untouched for want of consent
/// ([`Plan::held_back`]) or rejected for what its [`Intent`] asks ([`Plan::rejected`]).
///
/// ```
/// use dintero_products::Refusal;
///
/// assert_eq!(
///     Refusal::Exists.to_string(),
///     "the product is in the catalog already, and this change may only create it"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The desired state has no product, and pruning would empty the catalog.
    EmptySource {
        /// The products the catalog holds.
        catalog: usize,
    },
    /// A change needs consent that was not given ([`CatalogSync::allow_recreate`],
    /// [`CatalogSync::allow_price_jumps`], [`Plan::approve`]); it was left untouched.
    NeedsConsent {
        /// The consents missing.
        consents: Vec<Consent>,
    },
    /// A prune would delete more than its limit allows.
    TooManyDeletes {
        /// The deletes planned.
        deletes: usize,
        /// The products the catalog holds.
        catalog: usize,
        /// The limit.
        limit: MaxDeletes,
    },
    /// One product, [`Intent::CreateOnly`], that the catalog holds already: nothing was
    /// written to it.
    Exists,
    /// One product, [`Intent::UpdateOnly`], that the catalog does not hold: nothing was
    /// created.
    Missing,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::EmptySource { catalog } => write!(
                f,
                "the desired state holds no product, so a prune would delete all {catalog} products of the catalog; an empty or cut-short source is never pruned"
            ),
            Refusal::NeedsConsent { consents } => {
                f.write_str("left untouched: needs consent to ")?;
                for (i, consent) in consents.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    f.write_str(match consent {
                        Consent::Recreate => {
                            "a recreate (its groups change: it is deleted and created again)"
                        }
                        Consent::PriceJump => "a price change by a factor of ten or more",
                    })?;
                }
                Ok(())
            }
            Refusal::TooManyDeletes {
                deletes,
                catalog,
                limit,
            } => write!(
                f,
                "the prune would delete {deletes} of the catalog's {catalog} products, more than the limit of {limit} ({} products); raise the limit to allow it",
                limit.allowed(*catalog)
            ),
            Refusal::Exists => f.write_str(
                "the product is in the catalog already, and this change may only create it",
            ),
            Refusal::Missing => {
                f.write_str("the product is not in the catalog, and this change may only update it")
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// How a group is brought in line.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum GroupChange {
    Create(NewGroup),
    Rename(NewGroup),
}

impl GroupChange {
    pub(super) fn group(&self) -> &NewGroup {
        match self {
            GroupChange::Create(g) | GroupChange::Rename(g) => g,
        }
    }
}

/// How many updates the plan shows with old and new values; the others name their fields.
const DETAILED_UPDATES: usize = 100;

fn desired_twice(id: &str) -> Error {
    Error::InvalidInput(InvalidInput::new(
        "desired product id",
        id,
        "is desired twice",
    ))
}

impl CatalogSync {
    /// Compares the desired state with what the catalog holds, sending only list requests, and
    /// returns what [`apply`](Self::apply) would do. Fails for a desired product without an
    /// id, with an id given twice (whatever their [`Intent`]s) or with an invalid value, and
    /// when the source fails part-way. A product whose intent the catalog does not allow (to
    /// create one it holds, to update one it lacks) fails alone: it is
    /// [`rejected`](Plan::rejected), and the others are planned.
    ///
    /// With a [`journal`](Self::journal), recreates a killed run left unfinished are repaired
    /// first: a product the journal holds that the catalog lacks is created again as it was
    /// (the only write a plan ever makes).
    pub async fn plan(&self) -> Result<Plan> {
        let catalog = self.products.catalog_id()?.clone();
        let restored = self.repair().await?;
        let remote_groups = self.remote_groups().await?;
        let mut referenced = BTreeSet::new();

        // The catalog as it is: an id, a price and a fingerprint per product, nothing else; and
        // while planning, the stock per location.
        let mut ledger = Ledger::default();
        let mut stocks = Stocks::default();
        let mut listed = self.products.list().limit(crate::PageSize::MAX).items();
        while let Some(product) = listed.next().await.transpose()? {
            let held = Held {
                id: ledger.push(product.id())?,
                fingerprint: fingerprint::of_product(&product),
                price: product.price(),
                planned: None,
            };
            stocks.record(held.id, &product);
            ledger.held.push(held);
            if ledger.held.len().is_multiple_of(1000) {
                self.report(Progress::Listed(ledger.held.len()));
            }
        }
        self.report(Progress::Listed(ledger.held.len()));
        ledger.sort_held();

        let groups_by_update = self.products.client().facts().update_applies_groups();
        let mut details = Vec::new();
        let mut desired_count: usize = 0;
        let mut unchanged = 0;
        for item in self.desired.read() {
            let DesiredProduct {
                product,
                tag,
                intent,
            } = item?;
            desired_count += 1;
            product.check()?;
            let id = product.get_id().ok_or_else(|| {
                Error::InvalidInput(InvalidInput::new(
                    "desired product",
                    &format!(
                        "#{desired_count} {}",
                        product.get_fields().name.as_deref().unwrap_or_default()
                    ),
                    "has no id: a sync needs every product's id",
                ))
            })?;
            // Whether the product is written (created, or compared to be updated), so that
            // the groups it names must be there.
            let written = match (ledger.held(id.as_str()), intent) {
                (Some(i), _) if ledger.held[i].planned.is_some() => {
                    return Err(desired_twice(id.as_str()));
                }
                (Some(i), Intent::Delete) => {
                    ledger.held[i].planned = Some(Some(Planned::DELETE));
                    false
                }
                (Some(i), Intent::Keep) => {
                    ledger.held[i].planned = Some(None); // desired: never pruned
                    unchanged += 1;
                    false
                }
                (Some(i), Intent::CreateOnly) => {
                    let held = &mut ledger.held[i];
                    held.planned = Some(None); // desired: never pruned
                    let rejected = Rejected {
                        id: held.id,
                        why: Rejection::Exists,
                        tag,
                    };
                    ledger.rejected.push(rejected);
                    false
                }
                (Some(i), Intent::Merge | Intent::UpdateOnly) => {
                    let held = &mut ledger.held[i];
                    let stock = product
                        .get_stock()
                        .any(|(location, n)| !stocks.holds(held.id, location.as_str(), n));
                    let print = fingerprint::of_desired(&product);
                    let planned = compare(held, &print, &product, stock, groups_by_update);
                    if planned.is_none() {
                        unchanged += 1;
                    } else if details.len() < DETAILED_UPDATES {
                        details.push((id.clone(), product.clone()));
                    }
                    held.planned = Some(planned);
                    true
                }
                (None, Intent::Delete | Intent::Keep) => {
                    // Gone already: nothing to do, and a file of deletes runs again.
                    let span = ledger.push(id.as_str())?;
                    ledger.absent.push(span);
                    false
                }
                (None, Intent::UpdateOnly) => {
                    let span = ledger.push(id.as_str())?;
                    ledger.absent.push(span);
                    ledger.rejected.push(Rejected {
                        id: span,
                        why: Rejection::Missing,
                        tag,
                    });
                    false
                }
                (None, Intent::Merge | Intent::CreateOnly) => {
                    let span = ledger.push(id.as_str())?;
                    ledger.creates.push(span);
                    true
                }
            };
            if written && product.get_managed_fields().contains(Field::Groups) {
                referenced.extend(product.group_ids().cloned());
            }
            if desired_count.is_multiple_of(1000) {
                self.report(Progress::Compared(desired_count));
            }
        }
        drop(stocks);
        self.report(Progress::Compared(desired_count));
        let groups = self.plan_groups(&remote_groups, referenced)?;
        ledger.sort_desired().map_err(|id| desired_twice(&id))?;

        // Old and new values for the first changes, fetched now (list requests only).
        let mut shown = BTreeMap::new();
        for (id, desired) in details {
            let current = self.products.get(&id).await?;
            shown.insert(id.as_str().into(), values(&current, &desired));
        }

        let mut plan = Plan {
            catalog: catalog.to_string(),
            groups,
            ledger: Arc::new(ledger),
            prune: self.prune,
            refusal: None,
            approved: self.approved,
            unchanged,
            desired: desired_count,
            details: shown,
            restored,
        };
        plan.refusal = plan.refuse(self.max_deletes);
        Ok(plan)
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
        for group in self.desired.groups() {
            let id = group.get_id().ok_or_else(|| {
                Error::InvalidInput(InvalidInput::missing(
                    "desired group's id",
                    "a sync needs every group's id",
                ))
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
                Some(name) if group.name().is_some_and(|n| n != name) => {
                    changes.push(GroupChange::Rename(group))
                }
                Some(_) => {}
            }
        }
        Ok(changes)
    }
}

/// What to do with a product the catalog holds, `held`, to make its managed fields those of
/// `desired` (`desired_print` is its fingerprint) and its stock where `desired` names it
/// (`stock`: whether any differs): nothing, an update, or a recreate (when its groups differ
/// and an update cannot change them: `groups_by_update` false).
fn compare(
    held: &Held,
    desired_print: &Fingerprint,
    desired: &NewProduct,
    stock: bool,
    groups_by_update: bool,
) -> Option<Planned> {
    let fields = fingerprint::differing(
        &held.fingerprint,
        desired_print,
        desired.get_managed_fields(),
    );
    if fields.is_empty() && !stock {
        return None;
    }
    let recreate = fields.contains(Field::Groups) && !groups_by_update;
    let jump = fields.contains(Field::Price)
        && matches!(
            (held.price, desired.get_fields().price),
            (Some(old), Some(new)) if old.jumps_to(&new, PRICE_JUMP)
        );
    Some(Planned {
        action: if recreate {
            Action::Recreate
        } else {
            Action::Update
        },
        fields,
        needs: Needs::NONE
            .with(Consent::Recreate, recreate)
            .with(Consent::PriceJump, jump),
        stock,
    })
}

/// What the plan's diff says of one change: what differs (a field's name, or `stock` and a
/// location), its old and its new value.
type Values = Vec<(String, String, String)>;

/// Old and new values of the managed fields that differ, then of the stock that differs, as
/// text, for the plan's diff.
fn values(current: &Product, desired: &NewProduct) -> Values {
    let old = current.to_update();
    let new = desired.get_fields();
    let text = |s: Option<&str>| match s {
        None | Some("") => "-".to_string(),
        Some(s) if s.chars().count() > 40 => {
            format!("{:?}…", s.chars().take(40).collect::<String>())
        }
        Some(s) => format!("{s:?}"),
    };
    let cleared = |s: String| if s == "-" { "(cleared)".to_string() } else { s };
    let price = |p: &Option<Price>| p.map_or("-".to_string(), |p| p.to_string());
    let mut old_groups: Vec<&str> = current.group_ids().collect();
    let mut new_groups: Vec<&str> = desired.group_ids().map(GroupId::as_str).collect();
    old_groups.sort_unstable();
    new_groups.sort_unstable();
    let part = |u: &crate::ProductUpdate, field: Field| {
        let mut dimension = u.dimension.clone().unwrap_or_default();
        text(dimension_part(&mut dimension, field).as_deref())
    };
    let groups = |ids: &[&str]| {
        if ids.is_empty() {
            "-".to_string()
        } else {
            ids.join(",")
        }
    };
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("-".to_string(), |t| {
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        })
    };
    let differs = fingerprint::differing(
        &fingerprint::of_product(current),
        &fingerprint::of_desired(desired),
        desired.get_managed_fields(),
    );
    let count = |n: Option<i64>| n.map_or("-".to_string(), |n| n.to_string());
    let stock = desired.get_stock().filter_map(|(location, n)| {
        let held = current.stock_at(location.as_str());
        (held != Some(n)).then(|| (format!("stock {location}"), count(held), count(Some(n))))
    });
    differs
        .iter()
        .map(|field| {
            let (a, b) = match field {
                Field::Name => (text(old.name.as_deref()), text(new.name.as_deref())),
                Field::Description => (
                    text(old.description.as_deref()),
                    text(new.description.as_deref()),
                ),
                Field::Price => (price(&old.price), price(&new.price)),
                Field::Unit => (text(old.unit.as_deref()), text(new.unit.as_deref())),
                Field::Virtual => (
                    old.is_virtual.unwrap_or(false).to_string(),
                    new.is_virtual.unwrap_or(false).to_string(),
                ),
                Field::DimensionColor
                | Field::DimensionConfig
                | Field::DimensionSize
                | Field::DimensionStyle
                | Field::DimensionVariant => (part(&old, field), part(new, field)),
                Field::StartingAt => (time(old.starting_at), time(new.starting_at)),
                Field::StoppingAt => (time(old.stopping_at), time(new.stopping_at)),
                Field::Groups => (groups(&old_groups), groups(&new_groups)),
                Field::Locations => (
                    format!("{} locations", old.locations.as_ref().map_or(0, Vec::len)),
                    format!("{} locations", new.locations.as_ref().map_or(0, Vec::len)),
                ),
                _ => ("…".to_string(), "(changed)".to_string()),
            };
            (field.name().to_string(), a, cleared(b))
        })
        .chain(stock)
        .collect()
}

/// What a sync would do; see [`CatalogSync::plan`]. Its [`Display`](fmt::Display) is a
/// readable diff: a summary line, then one line per change (`+` create, `~` update, `-`
/// delete), with old and new values for the first hundred (`stock OSL-01: 4 -> 7` for the
/// stock of a location); then, apart, the changes that need consent (`±` recreate, `!` price
/// jump), the products rejected (`x`, with why), and a refusal if there is one.
///
/// ```no_run
/// # async fn run(sync: dintero_products::CatalogSync) -> dintero_products::Result<()> {
/// use dintero_products::Consent;
///
/// let mut plan = sync.plan().await?;
/// // catalog S23: 1 to create, 1 to update, 0 to delete, 98 unchanged
/// // + C100
/// // ~ C7  price: 99.00 NOK -> 109.00 NOK
/// print!("{plan}");
/// if let Some(refusal) = plan.refusal() {
///     eprintln!("not applied: {refusal}");
///     return Ok(());
/// }
/// if plan.needs(Consent::PriceJump) > 0 {
///     plan.approve(Consent::PriceJump); // after asking someone
/// }
/// sync.apply(&plan).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Plan {
    catalog: String,
    pub(super) groups: Vec<GroupChange>,
    pub(super) ledger: Arc<Ledger>,
    pub(super) prune: bool,
    refusal: Option<Refusal>,
    pub(super) approved: Approvals,
    unchanged: usize,
    desired: usize,
    details: BTreeMap<Box<str>, Values>,
    restored: Vec<String>,
}

/// The counts of a [`Plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Summary {
    /// Products to create.
    pub create: usize,
    /// Products to update.
    pub update: usize,
    /// Products to delete and create again (their groups differ), with consent.
    pub recreate: usize,
    /// Products to delete: desired deleted ([`Intent::Delete`]), or pruned.
    pub delete: usize,
    /// Desired products the catalog already holds as desired.
    pub unchanged: usize,
    /// Products in the catalog that are not desired, kept since pruning was not asked for.
    pub not_desired_kept: usize,
    /// Groups to create or rename.
    pub groups: usize,
    /// Changes left untouched for want of consent (a recreate or a price jump not approved).
    pub held_back: usize,
    /// Desired products rejected for what their [`Intent`] asks ([`Plan::rejected`]): left
    /// untouched, and failures of the apply.
    pub rejected: usize,
}

impl Plan {
    /// The counts.
    pub fn summary(&self) -> Summary {
        let not_desired = self.ledger.not_desired().count();
        let mut summary = Summary {
            create: self.ledger.creates.len(),
            unchanged: self.unchanged,
            groups: self.groups.len(),
            rejected: self.ledger.rejected.len(),
            ..Summary::default()
        };
        if self.prune {
            summary.delete = not_desired;
        } else {
            summary.not_desired_kept = not_desired;
        }
        for planned in self.ledger.held.iter().filter_map(|h| h.planned.flatten()) {
            if !planned.needs.missing(self.approved).is_empty() {
                summary.held_back += 1;
                continue;
            }
            match planned.action {
                Action::Update => summary.update += 1,
                Action::Recreate => summary.recreate += 1,
                Action::Delete => summary.delete += 1,
                Action::Create => {}
            }
        }
        summary
    }

    /// Whether applying would write nothing. Products [`rejected`](Self::rejected) or
    /// [`held_back`](Self::held_back) write nothing either, yet are failures of the apply:
    /// look at them too before saying all is done.
    pub fn is_empty(&self) -> bool {
        self.writes() == 0
    }

    /// How many writes applying would make, at most (a recreate is two; an update reads the
    /// product before writing it, which is not counted).
    pub fn writes(&self) -> usize {
        let s = self.summary();
        s.create + s.update + 2 * s.recreate + s.delete + s.groups
    }

    /// Every product change, sorted by id: the id, what is done, and for an update or a
    /// recreate the managed fields that differ (none for a change of
    /// [`stock`](NewProduct::stock) alone). Changes held back for want of consent are
    /// included; see [`held_back`](Self::held_back). Products rejected are not; see
    /// [`rejected`](Self::rejected).
    pub fn changes(&self) -> Vec<(&str, Action, FieldSet)> {
        let ledger = &self.ledger;
        let held = ledger.held.iter().filter_map(|h| {
            let id = ledger.id(h.id);
            match h.planned {
                Some(Some(p)) => Some((id, p.action, p.fields)),
                Some(None) => None,
                None => self.prune.then_some((id, Action::Delete, FieldSet::EMPTY)),
            }
        });
        let creates = ledger
            .creates
            .iter()
            .map(|c| (ledger.id(*c), Action::Create, FieldSet::EMPTY));
        let mut out: Vec<_> = held.chain(creates).collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        out
    }

    /// The changes that need a consent not (yet) given, sorted by id, with the consents
    /// missing: they are left untouched by [`apply`](CatalogSync::apply).
    pub fn held_back(&self) -> Vec<(&str, Vec<Consent>)> {
        let ledger = &self.ledger;
        ledger
            .held
            .iter()
            .filter_map(|h| {
                let missing = h.planned.flatten()?.needs.missing(self.approved);
                (!missing.is_empty()).then(|| (ledger.id(h.id), missing))
            })
            .collect()
    }

    /// The desired products rejected for what their [`Intent`] asks, sorted by id, with why
    /// and their tags ([`DesiredProduct::tagged`]): [`apply`](CatalogSync::apply) writes
    /// nothing to them and reports each as failed ([`SyncReport::failed`](crate::SyncReport::failed),
    /// [`Progress::Applied`] with an [`Error::Refused`]); the others are applied. They do not
    /// make the plan [refused](Self::refusal).
    ///
    /// ```no_run
    /// # async fn run(products: dintero_products::Products) -> dintero_products::Result<()> {
    /// use dintero_products::{Desired, DesiredProduct, Intent, NewProduct, Refusal};
    ///
    /// let row = NewProduct::new("Stol").id("C1");
    /// let desired = Desired::products_from(move || {
    ///     [DesiredProduct::new(row.clone()).intent(Intent::CreateOnly).tagged(2)]
    /// });
    /// let plan = products.sync(desired).plan().await?;
    /// for (id, refusal, line) in plan.rejected() {
    ///     // line 2: C1: the product is in the catalog already, and this change may only create it
    ///     eprintln!("line {}: {id}: {refusal}", line.unwrap_or_default());
    ///     assert_eq!(refusal, Refusal::Exists);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn rejected(&self) -> Vec<(&str, Refusal, Option<u64>)> {
        let ledger = &self.ledger;
        ledger
            .rejected
            .iter()
            .map(|r| (ledger.id(r.id), r.why.refusal(), r.tag))
            .collect()
    }

    /// How many changes need `consent`, given or not.
    pub fn needs(&self, consent: Consent) -> usize {
        self.ledger
            .held
            .iter()
            .filter_map(|h| h.planned.flatten())
            .filter(|p| p.needs.contains(consent))
            .count()
    }

    /// Gives `consent` to every change that needs it: after showing the plan and asking.
    pub fn approve(&mut self, consent: Consent) {
        self.approved.set(consent, true);
    }

    /// Why the plan will not be applied, if it will not: an empty source or too many deletes
    /// for a prune. [`apply`](CatalogSync::apply) then fails with [`Error::Refused`] and
    /// sends nothing. (A product [rejected](Self::rejected) fails alone.)
    pub fn refusal(&self) -> Option<&Refusal> {
        self.refusal.as_ref()
    }

    fn refuse(&self, limit: MaxDeletes) -> Option<Refusal> {
        // Only prunes: a delete a desired product asks for is no mistake of the source's.
        let deletes = if self.prune {
            self.ledger.not_desired().count()
        } else {
            0
        };
        let catalog = self.ledger.held.len();
        if deletes == 0 {
            None
        } else if self.desired == 0 {
            Some(Refusal::EmptySource { catalog })
        } else if deletes > limit.allowed(catalog) {
            Some(Refusal::TooManyDeletes {
                deletes,
                catalog,
                limit,
            })
        } else {
            None
        }
    }

    /// Products an interrupted recreate had left deleted, created again from the journal
    /// while planning.
    pub fn restored(&self) -> &[String] {
        &self.restored
    }

    /// How many products the catalog held, and how many were desired, when planned.
    pub fn sizes(&self) -> (usize, usize) {
        (self.ledger.held.len(), self.desired)
    }

    fn write_change(
        &self,
        f: &mut fmt::Formatter<'_>,
        sign: &str,
        id: &str,
        fields: FieldSet,
    ) -> fmt::Result {
        write!(f, "{sign} {id}")?;
        let stock = self.ledger.planned(id).is_some_and(|p| p.stock);
        match self.details.get(id) {
            Some(values) => {
                for (i, (what, old, new)) in values.iter().enumerate() {
                    let sep = if i == 0 { "  " } else { ", " };
                    write!(f, "{sep}{what}: {old} -> {new}")?;
                }
            }
            None if !fields.is_empty() || stock => {
                let names: Vec<&str> = fields
                    .iter()
                    .map(Field::name)
                    .chain(stock.then_some("stock"))
                    .collect();
                write!(f, "  {}", names.join(", "))?;
            }
            None => {}
        }
        Ok(())
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.summary();
        write!(
            f,
            "catalog {}: {} to create, {} to update, {} to delete, {} unchanged",
            self.catalog, s.create, s.update, s.delete, s.unchanged,
        )?;
        if s.recreate > 0 {
            write!(f, ", {} to recreate", s.recreate)?;
        }
        if s.held_back > 0 {
            write!(f, ", {} held back (need consent)", s.held_back)?;
        }
        if s.rejected > 0 {
            write!(f, ", {} rejected", s.rejected)?;
        }
        if s.not_desired_kept > 0 {
            write!(
                f,
                ", {} not desired but kept (no prune)",
                s.not_desired_kept
            )?;
        }
        writeln!(f)?;
        for id in &self.restored {
            writeln!(
                f,
                "+ {id}  restored from the journal (an earlier run was interrupted)"
            )?;
        }
        for change in &self.groups {
            let g = change.group();
            let id = g.get_id().map_or("", GroupId::as_str);
            let name = g.name().unwrap_or_default();
            match change {
                GroupChange::Create(_) => writeln!(f, "+ group {id} {name:?}")?,
                GroupChange::Rename(_) => writeln!(f, "~ group {id} name -> {name:?}")?,
            }
        }
        let mut apart = Vec::new();
        for (id, action, fields) in self.changes() {
            let planned = self.ledger.planned(id);
            if action == Action::Recreate || planned.is_some_and(|p| p.needs != Needs::NONE) {
                apart.push((id, fields, planned));
                continue;
            }
            let sign = match action {
                Action::Create => "+",
                Action::Delete => "-",
                _ => "~",
            };
            self.write_change(f, sign, id, fields)?;
            writeln!(f)?;
        }
        if !apart.is_empty() {
            writeln!(f, "needs consent:")?;
        }
        for (id, fields, planned) in apart {
            let needs = planned.map_or(Needs::NONE, |p| p.needs);
            let sign = if needs.contains(Consent::Recreate) {
                "±"
            } else {
                "!"
            };
            self.write_change(f, sign, id, fields)?;
            if needs.contains(Consent::PriceJump) {
                write!(f, "  (price ×{PRICE_JUMP} or more: kroner typed for øre?)")?;
            }
            if needs.contains(Consent::Recreate) {
                write!(
                    f,
                    "  (recreate: deleted and created again with every field; its Dintero id and created_at change)"
                )?;
            }
            let missing = needs.missing(self.approved);
            if missing.is_empty() {
                writeln!(f, "  [approved]")?;
            } else {
                writeln!(f, "  [held back]")?;
            }
        }
        let rejected = self.rejected();
        if !rejected.is_empty() {
            writeln!(f, "rejected (left untouched):")?;
        }
        for (id, refusal, _) in rejected {
            writeln!(f, "x {id}  {refusal}")?;
        }
        if let Some(refusal) = &self.refusal {
            writeln!(f, "refused: {refusal}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_deletes_parse_and_allow() {
        assert_eq!("0".parse::<MaxDeletes>(), Ok(MaxDeletes::Count(0)));
        assert_eq!(" 100% ".parse::<MaxDeletes>(), Ok(MaxDeletes::Percent(100)));
        for bad in ["", "-1", "101%", "ten", "5 %%", "1.5%"] {
            assert!(bad.parse::<MaxDeletes>().is_err(), "{bad}");
        }
        assert_eq!(MaxDeletes::Percent(100).allowed(7), 7);
        assert_eq!(MaxDeletes::Percent(10).allowed(99), 9);
        assert_eq!(MaxDeletes::Percent(10).allowed(usize::MAX), usize::MAX / 10);
        assert_eq!(MaxDeletes::Count(3).allowed(1), 3);
        assert_eq!(MaxDeletes::Percent(5).to_string(), "5%");
    }

    #[test]
    fn a_refusal_for_want_of_two_consents_names_both() {
        let refusal = Refusal::NeedsConsent {
            consents: vec![Consent::Recreate, Consent::PriceJump],
        };
        assert_eq!(
            refusal.to_string(),
            "left untouched: needs consent to a recreate (its groups change: it is deleted and \
             created again) and a price change by a factor of ten or more"
        );
    }

    #[test]
    fn consents_missing_are_those_needed_and_not_approved() {
        let needs = Needs::NONE
            .with(Consent::Recreate, true)
            .with(Consent::PriceJump, true);
        let mut approved = Approvals::default();
        assert_eq!(
            needs.missing(approved),
            vec![Consent::Recreate, Consent::PriceJump]
        );
        approved.set(Consent::PriceJump, true);
        assert_eq!(needs.missing(approved), vec![Consent::Recreate]);
        approved.set(Consent::Recreate, true);
        assert!(needs.missing(approved).is_empty());
        approved.set(Consent::Recreate, false);
        assert_eq!(needs.missing(approved), vec![Consent::Recreate]);
        // Approving twice (`Plan::approve` called again) is approving.
        approved.set(Consent::Recreate, true);
        approved.set(Consent::Recreate, true);
        assert!(needs.missing(approved).is_empty());
        assert!(Needs::NONE.missing(Approvals::default()).is_empty());
    }
}
