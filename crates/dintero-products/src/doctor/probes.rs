//! The probes: how each [`Fact`] is found out, the order they run in, and the cleanup.
//!
//! Read-only probes come first, on the account's own data (ids and names taken from the
//! lists); the write probes then work inside a catalog and groups of their own. A read-only
//! probe the account had too little data for runs again, in write mode, on the data the run
//! created. Whatever a server answers becomes an observation or a skip with its reason: a
//! probe never stops the run, and the cleanup always runs.

use super::facts::{Fact, Finding};
use super::http::{CursorKey, Exchange, Retry, Shared, chain, lock};
use super::{DoctorError, DoctorReport, Leftover};
use crate::client::DEFAULT_BASE_URL;
use crate::error::{AuthError, Error};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The suffixes of the ids write mode makes from its prefix.
pub(crate) const CATALOG_SUFFIXES: [&str; 2] = ["-CAT", "-CASCADE"];
pub(crate) const GROUP_SUFFIXES: [&str; 2] = ["-G1", "-G2"];
pub(crate) const PRODUCT_SUFFIXES: [&str; 4] = ["-P1", "-P2", "-P3", "-P9"];

/// The transcript's name for requests that gather data rather than probe one fact.
const SETUP: &str = "doctor.setup";
const CLEANUP: &str = "doctor.cleanup";

/// How many pages a walk of a list reads at most: the doctor reads small lists, and must not
/// read a large account whole.
const WALK_PAGES: usize = 20;
/// How many pages a filter's answer is searched for the item it should find.
const FILTER_PAGES: usize = 5;
/// How many of the account's catalogs are looked into for products.
const CATALOGS_LOOKED_INTO: usize = 5;

const DESCRIPTION: &str = "Kept unless an update clears it";
const NAMES: [&str; 3] = ["Doctor Probe One", "Doctor Probe Two", "Doctor Probe Three"];
const UPDATED_NAME: &str = "Doctor Probe Two, updated";

/// What a probe found out.
#[derive(Clone)]
enum Outcome {
    /// An observation.
    Seen(Value),
    /// Skipped, for this reason.
    Skip(String),
    /// Skipped for lack of data; write mode tries again on the data it creates.
    NoData(String),
}

/// Why a probe stopped before its observation: a failed request, or an outcome known early.
enum Stop {
    Failed(Error),
    Outcome(Outcome),
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Stop::Failed(error)
    }
}

fn finish(result: Result<Outcome, Stop>) -> Outcome {
    match result {
        Ok(outcome) | Err(Stop::Outcome(outcome)) => outcome,
        Err(Stop::Failed(error)) => failed(&error),
    }
}

fn failed(error: &Error) -> Outcome {
    Outcome::Skip(format!("the probe failed: {}", chain(error)))
}

/// An answer the probe cannot read as an observation (a 5xx, a body that is not a list).
fn unexpected(exchange: &Exchange) -> Outcome {
    Outcome::Skip(format!(
        "the probe got an answer it cannot read: {} {}",
        exchange.status,
        crate::error::snippet(&exchange.body)
    ))
}

/// One of the three lists.
#[derive(Clone, Debug)]
enum List {
    Catalogs,
    Groups,
    Products(String),
}

impl List {
    fn key(&self) -> &'static str {
        match self {
            List::Catalogs => "catalogs",
            List::Groups => "groups",
            List::Products(_) => "products",
        }
    }

    fn id_key(&self) -> &'static str {
        match self {
            List::Catalogs => "catalog_id",
            List::Groups => "group_id",
            List::Products(_) => "product_id",
        }
    }

    fn segments(&self) -> Vec<&str> {
        match self {
            List::Catalogs => vec!["catalogs"],
            List::Groups => vec!["groups"],
            List::Products(catalog) => vec!["catalogs", catalog, "products"],
        }
    }
}

fn id_of<'a>(item: &'a Value, list: &List) -> Option<&'a str> {
    item.get(list.id_key())?.as_str()
}

/// A list answer read as one: the envelope and its items.
struct Page {
    envelope: Map<String, Value>,
    items: Vec<Value>,
}

enum Answer {
    Page(Page),
    /// Not a list: an error status, or a body without the list's array.
    Other(Exchange),
}

fn parse_page(exchange: Exchange, list: &List) -> Answer {
    if !exchange.is_success() {
        return Answer::Other(exchange);
    }
    let Some(Value::Object(envelope)) = exchange.json() else {
        return Answer::Other(exchange);
    };
    // An empty list may leave its array out.
    let items = match envelope.get(list.key()) {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Answer::Other(exchange),
    };
    Answer::Page(Page { envelope, items })
}

fn non_empty(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The page's next cursor, where `key` says it is (or, before the cursor probe,
/// `starting_after`, else any other string of the envelope).
fn next_cursor(key: &CursorKey, page: &Page, list: &List) -> Option<String> {
    match key {
        CursorKey::Key(key) => page.envelope.get(key).and_then(non_empty),
        CursorKey::None => None,
        CursorKey::Unknown => page
            .envelope
            .get("starting_after")
            .and_then(non_empty)
            .or_else(|| {
                page.envelope
                    .iter()
                    .filter(|(name, _)| name.as_str() != list.key())
                    .find_map(|(_, value)| non_empty(value))
            }),
    }
}

/// Where the page after this one starts: its cursor, or, where pages carry none, its last id.
fn next_after(key: &CursorKey, page: &Page, list: &List) -> Option<String> {
    if page.items.is_empty() {
        return None;
    }
    next_cursor(key, page, list).or_else(|| match key {
        CursorKey::None => page
            .items
            .last()
            .and_then(|item| id_of(item, list))
            .map(str::to_owned),
        _ => None,
    })
}

async fn fetch(
    shared: &Shared,
    probe: &'static str,
    list: &List,
    query: &[(&str, String)],
) -> Result<Answer, Error> {
    let exchange = shared
        .api(
            probe,
            Method::GET,
            &list.segments(),
            query,
            None,
            Retry::Idempotent,
        )
        .await?;
    Ok(parse_page(exchange, list))
}

enum Listed {
    Items { items: Vec<Value>, complete: bool },
    Other(Exchange),
}

/// The items of a list, page after page, at most `pages` of them.
async fn collect(
    shared: &Shared,
    probe: &'static str,
    list: &List,
    query: &[(&str, String)],
    pages: usize,
) -> Result<Listed, Error> {
    let key = shared.cursor_key();
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..pages {
        let mut query = query.to_vec();
        if let Some(after) = &after {
            query.push(("starting_after", after.clone()));
        }
        let page = match fetch(shared, probe, list, &query).await? {
            Answer::Page(page) => page,
            Answer::Other(exchange) if items.is_empty() => return Ok(Listed::Other(exchange)),
            Answer::Other(_) => {
                return Ok(Listed::Items {
                    items,
                    complete: false,
                });
            }
        };
        let next = next_after(&key, &page, list);
        items.extend(page.items);
        match next {
            // A repeated cursor would loop for ever.
            Some(next) if after.as_ref() == Some(&next) => {
                return Ok(Listed::Items {
                    items,
                    complete: false,
                });
            }
            Some(next) => after = Some(next),
            None => {
                return Ok(Listed::Items {
                    items,
                    complete: true,
                });
            }
        }
    }
    Ok(Listed::Items {
        items,
        complete: false,
    })
}

/// What the account (or write mode) offers the probes: the first page of each list, and of a
/// catalog's products.
#[derive(Default)]
struct Data {
    catalogs: Vec<Value>,
    groups: Vec<Value>,
    products: Option<(String, Vec<Value>)>,
}

/// The answer of a list asked for `limit` items.
enum LimitAnswer {
    Accepted { count: usize, more: bool },
    Refused,
}

/// One run: the findings so far and what the probes learnt on the way.
pub(crate) struct Run {
    shared: Arc<Shared>,
    write: bool,
    prefix: String,
    /// What `token.audience` assumes: the audience this client sends.
    audience: Value,
    findings: BTreeMap<Fact, Finding>,
    /// Facts skipped for lack of data.
    starved: BTreeSet<Fact>,
    /// The largest `limit`, once probed: the page size of later walks.
    limit_max: Option<u64>,
}

impl Run {
    pub(crate) fn new(shared: Arc<Shared>, write: bool, prefix: String) -> Self {
        Run {
            shared,
            write,
            prefix,
            audience: Value::Null,
            findings: BTreeMap::new(),
            starved: BTreeSet::new(),
            limit_max: None,
        }
    }

    pub(crate) async fn go(mut self) -> Result<DoctorReport, DoctorError> {
        if let Err(source) = self.token().await {
            return Err(self.unusable(source));
        }
        let first = self
            .shared
            .api(
                Fact::HeaderRequestId.name(),
                Method::GET,
                &["catalogs"],
                &[],
                None,
                Retry::Idempotent,
            )
            .await;
        let catalogs = match first {
            Ok(exchange) if exchange.is_success() => exchange,
            Ok(exchange) => {
                let source = exchange.to_error();
                return Err(self.unusable(source));
            }
            Err(source) => return Err(self.unusable(source)),
        };
        self.request_id(&catalogs.headers);
        let catalogs = match parse_page(catalogs, &List::Catalogs) {
            Answer::Page(page) => page.items,
            Answer::Other(_) => Vec::new(),
        };
        let data = self.gather(catalogs).await;
        let all = |_: Fact| true;
        self.routes(&data, &all).await;
        self.not_found_code().await;
        self.lists(&data, &all).await;
        self.filters(&data, &all).await;
        let mut not_cleaned_up = Vec::new();
        if self.write {
            self.write_probes().await;
            // Whatever the probes did, what they created goes.
            not_cleaned_up = cleanup(&self.shared).await;
        }
        Ok(self.report(not_cleaned_up))
    }

    fn set(&mut self, fact: Fact, outcome: Outcome) {
        let assumed = match fact {
            Fact::TokenAudience => self.audience.clone(),
            _ => fact.assumed(),
        };
        let finding = match outcome {
            Outcome::Seen(observed) => {
                self.starved.remove(&fact);
                Finding::observed(fact, assumed, observed)
            }
            Outcome::Skip(reason) => {
                self.starved.remove(&fact);
                Finding::skipped(assumed, self.shared.secrets.scrub(&reason))
            }
            Outcome::NoData(reason) => {
                self.starved.insert(fact);
                Finding::skipped(assumed, self.shared.secrets.scrub(&reason))
            }
        };
        self.findings.insert(fact, finding);
    }

    fn report(&mut self, not_cleaned_up: Vec<Leftover>) -> DoctorReport {
        for fact in Fact::ALL {
            if self.findings.contains_key(&fact) {
                continue;
            }
            let reason = if fact.is_write() && !self.write {
                "a read-only run: write probes run with Doctor::write(true), on a test account"
            } else {
                "not probed"
            };
            self.set(fact, Outcome::Skip(reason.into()));
        }
        let findings = Fact::ALL
            .iter()
            .filter_map(|fact| Some((*fact, self.findings.get(fact)?.clone())))
            .collect();
        let transcript = lock(&self.shared.transcript).clone();
        DoctorReport {
            findings,
            not_cleaned_up,
            prefix: self.write.then(|| self.prefix.clone()),
            transcript_error: transcript.and_then(|t| t.error()),
        }
    }

    fn unusable(mut self, source: Error) -> DoctorError {
        let reason = format!("the doctor could not use the API: {}", chain(&source));
        for fact in Fact::ALL {
            if !self.findings.contains_key(&fact) {
                self.set(fact, Outcome::Skip(reason.clone()));
            }
        }
        DoctorError::Unusable {
            source: Box::new(source),
            report: Box::new(self.report(Vec::new())),
        }
    }

    // ---- token ----

    /// `token.audience` and `token.expires_in`: the client's token request, sent as the
    /// client sends it; its token then authenticates every other probe. `Err` when there is
    /// no token to go on with.
    async fn token(&mut self) -> Result<(), Error> {
        let shared = self.shared.clone();
        let Some((builder, audience)) = shared.client.tokens().token_request() else {
            self.audience = json!(format!(
                "{DEFAULT_BASE_URL}/accounts/{}",
                shared.client.account_id()
            ));
            let reason = "the client has a static bearer token: it sends no token request";
            self.set(Fact::TokenAudience, Outcome::Skip(reason.into()));
            self.set(Fact::TokenExpiresIn, Outcome::Skip(reason.into()));
            return Ok(());
        };
        self.audience = json!(audience);
        let build = || {
            builder
                .try_clone()
                .ok_or_else(|| Error::RequestBuild("the token request cannot be repeated".into()))?
                .build()
                .map_err(|e| Error::RequestBuild(e.to_string()))
        };
        let exchange = match shared
            .send(Fact::TokenAudience.name(), build, Retry::Idempotent)
            .await
        {
            Ok(exchange) => exchange,
            Err(error) => {
                self.set(Fact::TokenAudience, failed(&error));
                self.set(Fact::TokenExpiresIn, failed(&error));
                return Err(error);
            }
        };
        let body = exchange.json().filter(|_| exchange.is_success());
        let token = body
            .as_ref()
            .and_then(|b| b.get("access_token"))
            .and_then(Value::as_str);
        let Some(token) = token else {
            self.set(
                Fact::TokenAudience,
                Outcome::Seen(self.shared.answer(&exchange)),
            );
            self.set(
                Fact::TokenExpiresIn,
                Outcome::Skip("no token was issued".into()),
            );
            return Err(Error::Auth(AuthError {
                status: Some(exchange.status),
                ..AuthError::new(
                    format!(
                        "the token endpoint answered {} without an access token",
                        exchange.status
                    ),
                    false,
                )
            }));
        };
        self.shared.secrets.learn(token);
        self.set(Fact::TokenAudience, Outcome::Seen(self.audience.clone()));
        let expires_in = body
            .as_ref()
            .and_then(|b| b.get("expires_in"))
            .cloned()
            .unwrap_or(Value::Null);
        self.set(Fact::TokenExpiresIn, Outcome::Seen(expires_in));
        let mut header = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            Error::Auth(AuthError::new(
                "the access token holds characters not allowed in a header",
                false,
            ))
        })?;
        header.set_sensitive(true);
        if let Ok(text) = header.to_str() {
            self.shared.secrets.learn_authorization(text);
        }
        *lock(&self.shared.auth) = Some(header);
        Ok(())
    }

    // ---- reads ----

    /// `header.request_id`: a header of the first list's answer that names a request id.
    fn request_id(&mut self, headers: &HeaderMap) {
        const KNOWN: [&str; 7] = [
            "request-id",
            "x-request-id",
            "x-correlation-id",
            "correlation-id",
            "x-amzn-requestid",
            "x-amz-request-id",
            "x-ms-request-id",
        ];
        let found = KNOWN
            .iter()
            .find(|name| headers.contains_key(**name))
            .map(|name| (*name).to_owned())
            .or_else(|| {
                headers.keys().map(|k| k.as_str()).find_map(|name| {
                    let plain = name.replace('_', "-");
                    (plain.contains("request-id")
                        || plain.contains("requestid")
                        || plain.contains("correlation"))
                    .then(|| name.to_owned())
                })
            });
        self.set(
            Fact::HeaderRequestId,
            Outcome::Seen(found.map_or(Value::Null, Value::String)),
        );
    }

    /// The first page of the groups, and of the products of one of the first catalogs
    /// (preferring one with two products or more).
    async fn gather(&self, catalogs: Vec<Value>) -> Data {
        let groups = match fetch(&self.shared, SETUP, &List::Groups, &[]).await {
            Ok(Answer::Page(page)) => page.items,
            _ => Vec::new(),
        };
        let mut products: Option<(String, Vec<Value>)> = None;
        let ids: Vec<String> = catalogs
            .iter()
            .filter_map(|c| id_of(c, &List::Catalogs))
            .take(CATALOGS_LOOKED_INTO)
            .map(str::to_owned)
            .collect();
        for id in ids {
            let list = List::Products(id.clone());
            let Ok(Answer::Page(page)) = fetch(&self.shared, SETUP, &list, &[]).await else {
                continue;
            };
            if page.items.len() > products.as_ref().map_or(0, |(_, items)| items.len()) {
                products = Some((id, page.items));
            }
            if products.as_ref().is_some_and(|(_, items)| items.len() >= 2) {
                break;
            }
        }
        Data {
            catalogs,
            groups,
            products,
        }
    }

    /// `route.get_*`: a `GET` of an id the lists gave. It exists, so a `404` (or `405`) is
    /// the route's absence.
    async fn routes(&mut self, data: &Data, want: &(dyn Fn(Fact) -> bool + Sync)) {
        if want(Fact::RouteGetCatalog) {
            let outcome = match data.catalogs.iter().find_map(|c| id_of(c, &List::Catalogs)) {
                Some(id) => self.route(Fact::RouteGetCatalog, &["catalogs", id]).await,
                None => Outcome::NoData("the account has no catalog to get".into()),
            };
            self.set(Fact::RouteGetCatalog, outcome);
        }
        if want(Fact::RouteGetGroup) {
            let outcome = match data.groups.iter().find_map(|g| id_of(g, &List::Groups)) {
                Some(id) => self.route(Fact::RouteGetGroup, &["groups", id]).await,
                None => Outcome::NoData("the account has no group to get".into()),
            };
            self.set(Fact::RouteGetGroup, outcome);
        }
        if want(Fact::RouteGetProduct) {
            let product = data.products.as_ref().and_then(|(catalog, items)| {
                let list = List::Products(catalog.clone());
                let id = items.iter().find_map(|p| id_of(p, &list))?;
                Some((catalog.as_str(), id))
            });
            let outcome = match product {
                Some((catalog, id)) => {
                    let segments = ["catalogs", catalog, "products", id];
                    self.route(Fact::RouteGetProduct, &segments).await
                }
                None => Outcome::NoData("the account has no product to get".into()),
            };
            self.set(Fact::RouteGetProduct, outcome);
        }
    }

    async fn route(&self, fact: Fact, segments: &[&str]) -> Outcome {
        let answer = self
            .shared
            .api(
                fact.name(),
                Method::GET,
                segments,
                &[],
                None,
                Retry::Idempotent,
            )
            .await;
        match answer {
            Ok(exchange) if exchange.is_success() => Outcome::Seen(json!(true)),
            Ok(exchange)
                if matches!(
                    exchange.status,
                    StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
                ) =>
            {
                Outcome::Seen(json!(false))
            }
            Ok(exchange) => unexpected(&exchange),
            Err(error) => failed(&error),
        }
    }

    /// `error.not_found_code`: the code of a `404` for a catalog that does not exist (by its
    /// route, else by its products list).
    async fn not_found_code(&mut self) {
        let absent = format!("{}-NO-SUCH-CATALOG", self.prefix);
        let attempts = [
            vec!["catalogs", absent.as_str()],
            vec!["catalogs", absent.as_str(), "products"],
        ];
        let mut outcome = Outcome::Skip("not probed".into());
        for segments in &attempts {
            let answer = self
                .shared
                .api(
                    Fact::ErrorNotFoundCode.name(),
                    Method::GET,
                    segments,
                    &[],
                    None,
                    Retry::Idempotent,
                )
                .await;
            outcome = match answer {
                Ok(exchange) if exchange.status == StatusCode::NOT_FOUND => {
                    let code = exchange.error_code().map_or(Value::Null, Value::String);
                    self.set(Fact::ErrorNotFoundCode, Outcome::Seen(code));
                    return;
                }
                // Not a 404 for a catalog that is not there: that is what was observed.
                Ok(exchange) => Outcome::Seen(self.shared.answer(&exchange)),
                Err(error) => failed(&error),
            };
        }
        self.set(Fact::ErrorNotFoundCode, outcome);
    }

    /// `list.cursor_key`, then `list.limit_max` and `list.limit_over_max`, then
    /// `list.end_signal`: each uses what the ones before learnt.
    async fn lists(&mut self, data: &Data, want: &(dyn Fn(Fact) -> bool + Sync)) {
        if want(Fact::ListCursorKey) {
            let outcome = finish(self.cursor_key(data).await);
            self.set(Fact::ListCursorKey, outcome);
        }
        if want(Fact::ListLimitMax) || want(Fact::ListLimitOverMax) {
            let (max, over) = match self.limits(data).await {
                Ok(both) => both,
                Err(stop) => {
                    let outcome = finish(Err(stop));
                    (outcome.clone(), outcome)
                }
            };
            if let Outcome::Seen(max) = &max {
                self.limit_max = max.as_u64();
            }
            self.set(Fact::ListLimitMax, max);
            self.set(Fact::ListLimitOverMax, over);
        }
        if want(Fact::ListEndSignal) {
            let outcome = finish(self.end_signal(data).await);
            self.set(Fact::ListEndSignal, outcome);
        }
    }

    /// The lists of `data`, products first (usually the longest), with their first page's
    /// length.
    fn known_lists(data: &Data) -> Vec<(List, usize)> {
        let mut lists = Vec::new();
        if let Some((catalog, items)) = &data.products {
            lists.push((List::Products(catalog.clone()), items.len()));
        }
        lists.push((List::Groups, data.groups.len()));
        lists.push((List::Catalogs, data.catalogs.len()));
        lists
    }

    /// The limit of later walks: the largest, at most 100, once known.
    fn page_limit(&self) -> Vec<(&'static str, String)> {
        self.limit_max
            .map(|max| vec![("limit", max.clamp(1, 100).to_string())])
            .unwrap_or_default()
    }

    /// A page of one item from a list of two or more: the key holding a cursor.
    async fn cursor_key(&mut self, data: &Data) -> Result<Outcome, Stop> {
        let Some((list, _)) = Self::known_lists(data)
            .into_iter()
            .find(|(_, length)| *length >= 2)
        else {
            return Ok(Outcome::NoData(
                "no list of the account holds two items, and a cursor shows only when more follow"
                    .into(),
            ));
        };
        let query = [("limit", "1".to_owned())];
        let page = match fetch(&self.shared, Fact::ListCursorKey.name(), &list, &query).await? {
            Answer::Page(page) => page,
            Answer::Other(exchange) => return Ok(unexpected(&exchange)),
        };
        if page.items.len() > 1 {
            return Ok(Outcome::Skip(format!(
                "the {} list ignored limit=1 ({} items)",
                list.key(),
                page.items.len()
            )));
        }
        let others = || {
            page.envelope
                .iter()
                .filter(|(name, _)| name.as_str() != list.key())
        };
        let key = if page
            .envelope
            .get("starting_after")
            .and_then(non_empty)
            .is_some()
        {
            Some("starting_after".to_owned())
        } else {
            others()
                .find(|(_, value)| non_empty(value).is_some())
                .or_else(|| others().find(|(_, value)| !value.is_null()))
                .map(|(name, _)| name.clone())
        };
        *lock(&self.shared.cursor) = match &key {
            Some(key) => CursorKey::Key(key.clone()),
            None => CursorKey::None,
        };
        Ok(Outcome::Seen(key.map_or(Value::Null, Value::String)))
    }

    /// One list answer for `limit`: how many items, and (when fewer than asked) whether more
    /// follow.
    async fn try_limit(&self, list: &List, limit: u64) -> Result<LimitAnswer, Stop> {
        let query = [("limit", limit.to_string())];
        match fetch(&self.shared, Fact::ListLimitMax.name(), list, &query).await? {
            Answer::Page(page) => {
                let count = page.items.len();
                let more = if (count as u64) < limit {
                    self.has_more(list, &page).await?
                } else {
                    false
                };
                Ok(LimitAnswer::Accepted { count, more })
            }
            Answer::Other(exchange) if matches!(exchange.status.as_u16(), 400 | 422) => {
                Ok(LimitAnswer::Refused)
            }
            Answer::Other(exchange) => Err(Stop::Outcome(unexpected(&exchange))),
        }
    }

    async fn has_more(&self, list: &List, page: &Page) -> Result<bool, Error> {
        let Some(after) = next_after(&self.shared.cursor_key(), page, list) else {
            return Ok(false);
        };
        let query = [("limit", "1".to_owned()), ("starting_after", after)];
        Ok(
            match fetch(&self.shared, Fact::ListLimitMax.name(), list, &query).await? {
                Answer::Page(next) => !next.items.is_empty(),
                Answer::Other(_) => false,
            },
        )
    }

    /// The largest accepted `limit` between `accepted` and `refused`.
    async fn largest(&self, list: &List, mut accepted: u64, mut refused: u64) -> Result<u64, Stop> {
        while refused.saturating_sub(accepted) > 1 {
            let mid = accepted + (refused - accepted) / 2;
            match self.try_limit(list, mid).await? {
                LimitAnswer::Accepted { .. } => accepted = mid,
                LimitAnswer::Refused => refused = mid,
            }
        }
        Ok(accepted)
    }

    /// `list.limit_max` and `list.limit_over_max`: 100, then 101; then, as the answers say,
    /// a search for the largest accepted, or a huge limit to tell a clamp from a larger
    /// maximum. A page shorter than asked with more to follow is a clamp at its length.
    async fn limits(&self, data: &Data) -> Result<(Outcome, Outcome), Stop> {
        // The longest list known: a clamp shows only on a list longer than it.
        let list = Self::known_lists(data)
            .into_iter()
            .max_by_key(|(_, length)| *length)
            .map_or(List::Catalogs, |(list, _)| list);
        let seen = |max: u64, over: &str| (Outcome::Seen(json!(max)), Outcome::Seen(json!(over)));
        match self.try_limit(&list, 100).await? {
            LimitAnswer::Accepted { count, more: true } => Ok(seen(count as u64, "clamped")),
            LimitAnswer::Accepted { .. } => match self.try_limit(&list, 101).await? {
                LimitAnswer::Refused => Ok(seen(100, "error")),
                LimitAnswer::Accepted { count, more: true } => Ok(seen(count as u64, "clamped")),
                LimitAnswer::Accepted { count, .. } if count > 100 => self.beyond(&list, 101).await,
                LimitAnswer::Accepted { count, .. } => {
                    // The whole list fits: a clamp cannot show, but a refusal can.
                    const HUGE: u64 = 1_000_000;
                    match self.try_limit(&list, HUGE).await? {
                        LimitAnswer::Refused => {
                            Ok(seen(self.largest(&list, 101, HUGE).await?, "error"))
                        }
                        LimitAnswer::Accepted { .. } => Ok((
                            Outcome::NoData(format!(
                                "a limit of {HUGE} is accepted; the largest page shows only on a list longer than it, and the {} list holds {count} items",
                                list.key()
                            )),
                            Outcome::Seen(json!("clamped")),
                        )),
                    }
                }
            },
            LimitAnswer::Refused => match self.try_limit(&list, 1).await? {
                LimitAnswer::Accepted { .. } => {
                    Ok(seen(self.largest(&list, 1, 100).await?, "error"))
                }
                LimitAnswer::Refused => Err(Stop::Outcome(Outcome::Skip(
                    "the list refuses a limit of 1 as well as 100".into(),
                ))),
            },
        }
    }

    /// A list that serves pages over 100: larger limits, until one is refused or clamped.
    async fn beyond(&self, list: &List, served: u64) -> Result<(Outcome, Outcome), Stop> {
        let mut served = served;
        for limit in [1_000, 10_000] {
            match self.try_limit(list, limit).await? {
                LimitAnswer::Refused => {
                    let max = self.largest(list, served, limit).await?;
                    return Ok((Outcome::Seen(json!(max)), Outcome::Seen(json!("error"))));
                }
                LimitAnswer::Accepted { count, more: true } => {
                    return Ok((Outcome::Seen(json!(count)), Outcome::Seen(json!("clamped"))));
                }
                LimitAnswer::Accepted { count, .. } if (count as u64) == limit => served = limit,
                LimitAnswer::Accepted { .. } => break,
            }
        }
        Ok((
            Outcome::NoData(format!(
                "pages of {served} items are served, and the list is too short to find the largest"
            )),
            Outcome::NoData("no refusal nor clamp seen up to the list's length".into()),
        ))
    }

    /// `list.end_signal`: a list walked to its end; its last page with items has a cursor
    /// (and an empty page follows) or none.
    async fn end_signal(&mut self, data: &Data) -> Result<Outcome, Stop> {
        let key = self.shared.cursor_key();
        if key == CursorKey::None {
            return Ok(Outcome::Skip(
                "pages carry no cursor (list.cursor_key is null): the end is a page shorter than asked, or empty"
                    .into(),
            ));
        }
        // The shortest lists first: the walk reads them whole.
        let mut lists = Self::known_lists(data);
        if lists.iter().all(|(_, length)| *length == 0) {
            return Ok(Outcome::NoData(
                "the account's lists are empty, and an end shows only after items".into(),
            ));
        }
        lists.reverse();
        for (list, length) in lists {
            if length == 0 {
                continue;
            }
            let mut after: Option<String> = None;
            for _ in 0..WALK_PAGES {
                let mut query = self.page_limit();
                if let Some(after) = &after {
                    query.push(("starting_after", after.clone()));
                }
                let page =
                    match fetch(&self.shared, Fact::ListEndSignal.name(), &list, &query).await? {
                        Answer::Page(page) => page,
                        Answer::Other(exchange) => return Ok(unexpected(&exchange)),
                    };
                if page.items.is_empty() {
                    if after.is_some() {
                        return Ok(Outcome::Seen(json!("empty_page")));
                    }
                    break;
                }
                match next_cursor(&key, &page, &list) {
                    None => return Ok(Outcome::Seen(json!("no_cursor"))),
                    Some(next) if after.as_ref() == Some(&next) => {
                        return Ok(Outcome::Skip(format!(
                            "the {} list repeated its cursor",
                            list.key()
                        )));
                    }
                    Some(next) => after = Some(next),
                }
            }
        }
        Ok(Outcome::NoData(format!(
            "no list with items could be read to its end within {WALK_PAGES} pages"
        )))
    }

    /// `filter.*`: for an item of a list, the filter with its value, a proper prefix, a
    /// proper suffix and its case swapped: which of them find it.
    async fn filters(&mut self, data: &Data, want: &(dyn Fn(Fact) -> bool + Sync)) {
        let products = data
            .products
            .as_ref()
            .map(|(catalog, items)| (List::Products(catalog.clone()), items.as_slice()));
        if want(Fact::FilterProductId) {
            let outcome = match &products {
                Some((list, items)) => {
                    let pick = pick(items, list, |item| id_of(item, list));
                    self.filter(Fact::FilterProductId, list, "product_id", pick)
                        .await
                }
                None => Outcome::NoData("the account has no catalog with products".into()),
            };
            self.set(Fact::FilterProductId, outcome);
        }
        if want(Fact::FilterProductName) {
            let outcome = match &products {
                Some((list, items)) => {
                    let pick = pick(items, list, |item| item.get("product_name")?.as_str());
                    self.filter(Fact::FilterProductName, list, "product_name", pick)
                        .await
                }
                None => Outcome::NoData("the account has no catalog with products".into()),
            };
            self.set(Fact::FilterProductName, outcome);
        }
        if want(Fact::FilterGroupId) {
            let list = List::Groups;
            let outcome = if data.groups.is_empty() {
                Outcome::NoData("the account has no group".into())
            } else {
                let pick = pick(&data.groups, &list, |item| id_of(item, &list));
                self.filter(Fact::FilterGroupId, &list, "group_id", pick)
                    .await
            };
            self.set(Fact::FilterGroupId, outcome);
        }
    }

    async fn filter(
        &self,
        fact: Fact,
        list: &List,
        param: &'static str,
        pick: Option<(String, String)>,
    ) -> Outcome {
        let Some((id, value)) = pick else {
            return Outcome::NoData(format!(
                "no item of the {} list has a {param} of two characters or more",
                list.key()
            ));
        };
        finish(self.filter_kind(fact, list, param, &id, &value).await)
    }

    async fn filter_kind(
        &self,
        fact: Fact,
        list: &List,
        param: &'static str,
        id: &str,
        value: &str,
    ) -> Result<Outcome, Stop> {
        let absent = format!("{}-no-such-{param}", self.prefix);
        if self.finds(fact, list, param, &absent, id).await?.1 {
            return Ok(Outcome::Seen(json!("ignored")));
        }
        if !self.finds(fact, list, param, value, id).await?.0 {
            // Not even the whole value finds the item.
            return Ok(Outcome::Seen(json!("no_match")));
        }
        let chars: Vec<char> = value.chars().collect();
        let suffix: String = chars[1..].iter().collect();
        let prefix: String = chars[..chars.len() - 1].iter().collect();
        let kind = if self.finds(fact, list, param, &suffix, id).await?.0 {
            "substring"
        } else if self.finds(fact, list, param, &prefix, id).await?.0 {
            "prefix"
        } else {
            "exact"
        };
        let swapped = swap_case(value);
        if swapped == value {
            return Ok(Outcome::NoData(format!(
                "{param} matches as {kind}; whether it ignores case needs a {param} with letters"
            )));
        }
        let ignores_case = self.finds(fact, list, param, &swapped, id).await?.0;
        Ok(Outcome::Seen(json!(format!(
            "{kind}{}",
            if ignores_case { "_ci" } else { "" }
        ))))
    }

    /// Whether the list filtered by `param=text` holds the item `id`, and whether it holds any
    /// item.
    async fn finds(
        &self,
        fact: Fact,
        list: &List,
        param: &'static str,
        text: &str,
        id: &str,
    ) -> Result<(bool, bool), Stop> {
        let mut query = self.page_limit();
        query.push((param, text.to_owned()));
        match collect(&self.shared, fact.name(), list, &query, FILTER_PAGES).await? {
            Listed::Items { items, .. } => Ok((
                items.iter().any(|item| id_of(item, list) == Some(id)),
                !items.is_empty(),
            )),
            Listed::Other(exchange) => Err(Stop::Outcome(unexpected(&exchange))),
        }
    }

    // ---- writes ----

    async fn write_probes(&mut self) {
        let p = self.prefix.clone();
        let [cat, cascade] = CATALOG_SUFFIXES.map(|s| format!("{p}{s}"));
        let [g1, g2] = GROUP_SUFFIXES.map(|s| format!("{p}{s}"));
        let [p1, p2, p3, p9] = PRODUCT_SUFFIXES.map(|s| format!("{p}{s}"));
        let mut creates = Creates::default();

        let g1_made = self
            .create(
                &mut creates,
                Fact::CreateStatus,
                "group",
                &["groups"],
                Leftover::Group { id: g1.clone() },
                json!({"group_id": g1, "group_name": "Doctor probe group 1"}),
            )
            .await;
        let g2_made = self
            .create(
                &mut creates,
                Fact::CreateStatus,
                "group",
                &["groups"],
                Leftover::Group { id: g2.clone() },
                json!({"group_id": g2, "group_name": "Doctor probe group 2"}),
            )
            .await;
        let cat_made = self
            .create(
                &mut creates,
                Fact::CreateStatus,
                "catalog",
                &["catalogs"],
                Leftover::Catalog { id: cat.clone() },
                json!({"catalog_id": cat, "catalog_name": "Doctor probe catalog"}),
            )
            .await;
        if !cat_made.made() {
            let reason = format!(
                "the doctor's catalog could not be created: {}",
                cat_made.describe()
            );
            for fact in [
                Fact::CreateGroups,
                Fact::UpdateSemantics,
                Fact::UpdateGroups,
                Fact::RouteDeleteProduct,
                Fact::DeleteCatalogCascades,
            ] {
                self.set(fact, Outcome::Skip(reason.clone()));
            }
            let outcome = creates.outcome();
            self.set(Fact::CreateStatus, outcome);
            return;
        }
        let products = ["catalogs", cat.as_str(), "products"];
        let product = |id: &str| Leftover::Product {
            catalog: cat.clone(),
            id: id.to_owned(),
        };
        let p1_made = if g1_made.made() {
            self.create(
                &mut creates,
                Fact::CreateGroups,
                "product",
                &products,
                product(&p1),
                json!({
                    "product_id": p1,
                    "product_name": NAMES[0],
                    "unit_gross_price": 100,
                    "currency": "NOK",
                    "unit": "stk",
                    "groups": [{"group_id": g1, "group_name": "Doctor probe group 1"}],
                }),
            )
            .await
        } else {
            Made::Failed(format!(
                "the doctor's group could not be created: {}",
                g1_made.describe()
            ))
        };
        let p2_made = self
            .create(
                &mut creates,
                Fact::UpdateSemantics,
                "product",
                &products,
                product(&p2),
                json!({
                    "product_id": p2,
                    "product_name": NAMES[1],
                    "description": DESCRIPTION,
                    "unit_gross_price": 200,
                    "currency": "NOK",
                    "unit": "stk",
                }),
            )
            .await;
        let p3_made = self
            .create(
                &mut creates,
                Fact::RouteDeleteProduct,
                "product",
                &products,
                product(&p3),
                json!({
                    "product_id": p3,
                    "product_name": NAMES[2],
                    "unit_gross_price": 300,
                    "currency": "NOK",
                    "unit": "stk",
                }),
            )
            .await;

        let outcome = finish(self.create_groups(&p1_made, &cat, &p1, &g1).await);
        self.set(Fact::CreateGroups, outcome);

        if !self.starved.is_empty() {
            let made = |m: &Made| m.made();
            let mut created = Data {
                catalogs: vec![json!({"catalog_id": cat})],
                ..Data::default()
            };
            for (group, m) in [(&g1, &g1_made), (&g2, &g2_made)] {
                if made(m) {
                    created.groups.push(json!({"group_id": group}));
                }
            }
            let items: Vec<Value> = [
                (&p1, &p1_made, NAMES[0]),
                (&p2, &p2_made, NAMES[1]),
                (&p3, &p3_made, NAMES[2]),
            ]
            .into_iter()
            .filter(|(_, m, _)| made(m))
            .map(|(id, _, name)| json!({"product_id": id, "product_name": name}))
            .collect();
            if !items.is_empty() {
                created.products = Some((cat.clone(), items));
            }
            let starved = self.starved.clone();
            let want = move |fact: Fact| starved.contains(&fact);
            self.routes(&created, &want).await;
            self.lists(&created, &want).await;
            self.filters(&created, &want).await;
        }

        let outcome = finish(self.update_semantics(&p2_made, &cat, &p2).await);
        self.set(Fact::UpdateSemantics, outcome);
        let outcome = finish(
            self.update_groups(&p1_made, &g2_made, &cat, &p1, &g1, &g2)
                .await,
        );
        self.set(Fact::UpdateGroups, outcome);
        let outcome = finish(self.delete_product(&p3_made, &cat, &p3).await);
        self.set(Fact::RouteDeleteProduct, outcome);
        let outcome = finish(self.cascades(&mut creates, &cascade, &p9).await);
        self.set(Fact::DeleteCatalogCascades, outcome);
        let outcome = creates.outcome();
        self.set(Fact::CreateStatus, outcome);
    }

    /// A `POST`; what it made is registered for the cleanup, as is what it may have made (an
    /// answer lost, or a 5xx).
    #[allow(clippy::too_many_arguments)]
    async fn create(
        &self,
        creates: &mut Creates,
        probe: Fact,
        kind: &'static str,
        segments: &[&str],
        leftover: Leftover,
        body: Value,
    ) -> Made {
        let answer = self
            .shared
            .api(
                probe.name(),
                Method::POST,
                segments,
                &[],
                Some(&body),
                Retry::NotBlindly,
            )
            .await;
        match answer {
            Ok(exchange) if exchange.is_success() => {
                self.shared.register(leftover);
                creates.statuses.push((kind, exchange.status.as_u16()));
                Made::Yes
            }
            Ok(exchange) if exchange.status.is_server_error() => {
                self.shared.register(leftover);
                let reason = format!(
                    "{} {}",
                    exchange.status,
                    crate::error::snippet(&exchange.body)
                );
                creates.failure.get_or_insert_with(|| reason.clone());
                Made::Failed(reason)
            }
            Ok(exchange) => {
                let answer = self.shared.answer(&exchange);
                creates.refusal.get_or_insert_with(|| answer.clone());
                Made::Refused(answer)
            }
            Err(error) => {
                if error.is_outcome_unknown() {
                    self.shared.register(leftover);
                }
                let reason = chain(&error);
                creates.failure.get_or_insert_with(|| reason.clone());
                Made::Failed(reason)
            }
        }
    }

    /// A product of the doctor's catalog, read back from the catalog's list (a route every
    /// account has).
    async fn read_back(&self, probe: Fact, catalog: &str, id: &str) -> Result<Value, Stop> {
        let list = List::Products(catalog.to_owned());
        match collect(
            &self.shared,
            probe.name(),
            &list,
            &self.page_limit(),
            WALK_PAGES,
        )
        .await?
        {
            Listed::Items { items, .. } => items
                .into_iter()
                .find(|item| id_of(item, &list) == Some(id))
                .ok_or_else(|| {
                    Stop::Outcome(Outcome::Skip(format!(
                        "product {id} is not in its catalog's list"
                    )))
                }),
            Listed::Other(exchange) => Err(Stop::Outcome(unexpected(&exchange))),
        }
    }

    /// `create.groups`: the product created with a group, read back.
    async fn create_groups(
        &self,
        made: &Made,
        catalog: &str,
        id: &str,
        group: &str,
    ) -> Result<Outcome, Stop> {
        match made {
            // Refused with its groups: that is what the server does with them.
            Made::Refused(answer) => return Ok(Outcome::Seen(answer.clone())),
            Made::Failed(_) => return Ok(made.outcome().unwrap_or(Outcome::Skip(made.describe()))),
            Made::Yes => {}
        }
        let product = self.read_back(Fact::CreateGroups, catalog, id).await?;
        Ok(Outcome::Seen(json!(group_ids(&product).contains(&group))))
    }

    /// `update.semantics`: an update of the name alone; is the description still there?
    async fn update_semantics(
        &self,
        made: &Made,
        catalog: &str,
        id: &str,
    ) -> Result<Outcome, Stop> {
        if let Some(outcome) = made.outcome() {
            return Ok(outcome);
        }
        let fact = Fact::UpdateSemantics;
        let body = json!({"product_name": UPDATED_NAME});
        let exchange = self.put(fact, catalog, id, &body).await?;
        if !exchange.is_success() {
            return Ok(self.refused(&exchange));
        }
        let product = self.read_back(fact, catalog, id).await?;
        let name = product.get("product_name").and_then(Value::as_str);
        let description = product.get("description");
        Ok(Outcome::Seen(match description {
            _ if name != Some(UPDATED_NAME) => {
                json!({"product_name": name, "description": description})
            }
            Some(Value::String(text)) if text == DESCRIPTION => json!("merge"),
            None | Some(Value::Null) => json!("replace"),
            Some(Value::String(text)) if text.is_empty() => json!("replace"),
            Some(other) => json!({"description": other}),
        }))
    }

    /// `update.groups`: an update of the whole product naming another group.
    #[allow(clippy::too_many_arguments)]
    async fn update_groups(
        &self,
        made: &Made,
        group_made: &Made,
        catalog: &str,
        id: &str,
        group: &str,
        other_group: &str,
    ) -> Result<Outcome, Stop> {
        if let Some(outcome) = made.outcome() {
            return Ok(outcome);
        }
        if !group_made.made() {
            return Ok(Outcome::Skip(format!(
                "the doctor's second group could not be created: {}",
                group_made.describe()
            )));
        }
        let fact = Fact::UpdateGroups;
        let body = json!({
            "product_name": NAMES[0],
            "unit_gross_price": 100,
            "currency": "NOK",
            "unit": "stk",
            "groups": [{"group_id": other_group, "group_name": "Doctor probe group 2"}],
        });
        let exchange = self.put(fact, catalog, id, &body).await?;
        if matches!(exchange.status.as_u16(), 400 | 422) {
            return Ok(Outcome::Seen(json!("rejected")));
        }
        if !exchange.is_success() {
            return Ok(self.refused(&exchange));
        }
        let product = self.read_back(fact, catalog, id).await?;
        let groups = group_ids(&product);
        Ok(Outcome::Seen(if groups.contains(&other_group) {
            json!("applied")
        } else if groups == [group] {
            json!("ignored")
        } else {
            json!({"groups": groups})
        }))
    }

    async fn put(
        &self,
        fact: Fact,
        catalog: &str,
        id: &str,
        body: &Value,
    ) -> Result<Exchange, Error> {
        self.shared
            .api(
                fact.name(),
                Method::PUT,
                &["catalogs", catalog, "products", id],
                &[],
                Some(body),
                Retry::NotBlindly,
            )
            .await
    }

    /// A refusal (4xx) is what the server did; a 5xx is a failed probe.
    fn refused(&self, exchange: &Exchange) -> Outcome {
        if exchange.status.is_client_error() {
            Outcome::Seen(self.shared.answer(exchange))
        } else {
            unexpected(exchange)
        }
    }

    /// `route.delete_product`: a `DELETE` of a product the run created; a `404` (or `405`)
    /// with the product still listed is the route's absence.
    async fn delete_product(&self, made: &Made, catalog: &str, id: &str) -> Result<Outcome, Stop> {
        if let Some(outcome) = made.outcome() {
            return Ok(outcome);
        }
        let fact = Fact::RouteDeleteProduct;
        let exchange = self
            .shared
            .api(
                fact.name(),
                Method::DELETE,
                &["catalogs", catalog, "products", id],
                &[],
                None,
                Retry::Idempotent,
            )
            .await?;
        if exchange.is_success() {
            self.shared.deregister(&Leftover::Product {
                catalog: catalog.to_owned(),
                id: id.to_owned(),
            });
            return Ok(Outcome::Seen(json!(true)));
        }
        if !matches!(
            exchange.status,
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        ) {
            return Ok(unexpected(&exchange));
        }
        match self.read_back(fact, catalog, id).await {
            Ok(_) => Ok(Outcome::Seen(json!(false))),
            Err(Stop::Outcome(_)) => Ok(Outcome::Skip(format!(
                "the DELETE answered {}, yet the product is gone",
                exchange.status
            ))),
            Err(stop) => Err(stop),
        }
    }

    /// `delete_catalog.cascades`: a catalog of its own with a product, deleted; is the
    /// product still listed under the catalog's id, or back once a catalog of that id is
    /// created again?
    async fn cascades(
        &self,
        creates: &mut Creates,
        catalog: &str,
        id: &str,
    ) -> Result<Outcome, Stop> {
        let fact = Fact::DeleteCatalogCascades;
        let made = self
            .create(
                creates,
                fact,
                "catalog",
                &["catalogs"],
                Leftover::Catalog {
                    id: catalog.to_owned(),
                },
                json!({"catalog_id": catalog, "catalog_name": "Doctor probe catalog to delete"}),
            )
            .await;
        if let Some(outcome) = made.outcome() {
            return Ok(outcome);
        }
        let product = Leftover::Product {
            catalog: catalog.to_owned(),
            id: id.to_owned(),
        };
        let made = self
            .create(
                creates,
                fact,
                "product",
                &["catalogs", catalog, "products"],
                product.clone(),
                json!({
                    "product_id": id,
                    "product_name": "Doctor Probe Cascade",
                    "unit_gross_price": 900,
                    "currency": "NOK",
                    "unit": "stk",
                }),
            )
            .await;
        if let Some(outcome) = made.outcome() {
            return Ok(outcome);
        }
        if !self.delete_catalog(fact, catalog).await? {
            return Ok(Outcome::Skip("the catalog's DELETE failed".into()));
        }
        let cascades = match self.listed(fact, catalog, id).await? {
            Some(true) => false,
            Some(false) | None => {
                // Gone from sight; back with a catalog of the same id?
                let again = self
                    .create(creates, fact, "catalog", &["catalogs"], Leftover::Catalog { id: catalog.to_owned() }, json!({"catalog_id": catalog, "catalog_name": "Doctor probe catalog to delete"}))
                    .await;
                let back = if again.made() {
                    let back = self.listed(fact, catalog, id).await? == Some(true);
                    self.delete_catalog(fact, catalog).await?;
                    back
                } else {
                    false
                };
                !back
            }
        };
        if cascades {
            self.shared.deregister(&product);
        }
        Ok(Outcome::Seen(json!(cascades)))
    }

    /// Whether the product is in the catalog's list; `None` when the list answers `404`.
    async fn listed(&self, fact: Fact, catalog: &str, id: &str) -> Result<Option<bool>, Stop> {
        let list = List::Products(catalog.to_owned());
        match collect(
            &self.shared,
            fact.name(),
            &list,
            &self.page_limit(),
            WALK_PAGES,
        )
        .await?
        {
            Listed::Items { items, .. } => Ok(Some(
                items.iter().any(|item| id_of(item, &list) == Some(id)),
            )),
            Listed::Other(exchange) if exchange.status == StatusCode::NOT_FOUND => Ok(None),
            Listed::Other(exchange) => Err(Stop::Outcome(unexpected(&exchange))),
        }
    }

    /// Deletes a catalog the run created; whether it is gone.
    async fn delete_catalog(&self, fact: Fact, catalog: &str) -> Result<bool, Error> {
        let exchange = self
            .shared
            .api(
                fact.name(),
                Method::DELETE,
                &["catalogs", catalog],
                &[],
                None,
                Retry::Idempotent,
            )
            .await?;
        let gone = exchange.is_success() || exchange.status == StatusCode::NOT_FOUND;
        if gone {
            self.shared.deregister(&Leftover::Catalog {
                id: catalog.to_owned(),
            });
        }
        Ok(gone)
    }
}

/// What one create did.
enum Made {
    Yes,
    /// A 4xx: what the server said.
    Refused(Value),
    /// No answer, or a 5xx.
    Failed(String),
}

impl Made {
    fn made(&self) -> bool {
        matches!(self, Made::Yes)
    }

    fn describe(&self) -> String {
        match self {
            Made::Yes => "created".into(),
            Made::Refused(answer) => answer.to_string(),
            Made::Failed(reason) => reason.clone(),
        }
    }

    /// The outcome of a probe whose create did not make what it needs.
    fn outcome(&self) -> Option<Outcome> {
        match self {
            Made::Yes => None,
            Made::Refused(_) | Made::Failed(_) => Some(Outcome::Skip(format!(
                "the probe's create did not succeed: {}",
                self.describe()
            ))),
        }
    }
}

/// Every create of a run: the statuses of those that succeeded, the first refusal and the
/// first failure.
#[derive(Default)]
struct Creates {
    statuses: Vec<(&'static str, u16)>,
    refusal: Option<Value>,
    failure: Option<String>,
}

impl Creates {
    /// `create.status`: the one status of every create, or the first of each kind when they
    /// differ.
    fn outcome(&self) -> Outcome {
        let distinct: BTreeSet<u16> = self.statuses.iter().map(|(_, s)| *s).collect();
        match distinct.len() {
            1 => Outcome::Seen(json!(self.statuses[0].1)),
            0 => match (&self.refusal, &self.failure) {
                (Some(answer), _) => Outcome::Seen(answer.clone()),
                (None, Some(reason)) => Outcome::Skip(format!("every create failed: {reason}")),
                (None, None) => Outcome::Skip("nothing was created".into()),
            },
            _ => {
                let mut by_kind = Map::new();
                for (kind, status) in &self.statuses {
                    by_kind.entry(*kind).or_insert(json!(status));
                }
                Outcome::Seen(Value::Object(by_kind))
            }
        }
    }
}

fn group_ids(product: &Value) -> Vec<&str> {
    product
        .get("groups")
        .and_then(Value::as_array)
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| g.get("group_id")?.as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// An item's id and a field of it to filter by, two characters or more, preferring one with
/// letters (the case test needs them).
fn pick<'a>(
    items: &'a [Value],
    list: &List,
    field: impl Fn(&'a Value) -> Option<&'a str>,
) -> Option<(String, String)> {
    let usable: Vec<(&str, &str)> = items
        .iter()
        .filter_map(|item| Some((id_of(item, list)?, field(item)?)))
        .filter(|(_, value)| value.chars().count() >= 2)
        .collect();
    usable
        .iter()
        .find(|(_, value)| swap_case(value) != *value)
        .or_else(|| usable.first())
        .map(|(id, value)| ((*id).to_owned(), (*value).to_owned()))
}

fn swap_case(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let swapped: Vec<char> = if c.is_uppercase() {
                c.to_lowercase().collect()
            } else if c.is_lowercase() {
                c.to_uppercase().collect()
            } else {
                vec![c]
            };
            swapped
        })
        .collect()
}

/// Deletes what the run created and has not deleted: products, then catalogs, then groups;
/// a product whose `DELETE` answers `404` (gone, or no such route) is gone once its catalog's
/// list no longer has it. Returns what is left.
pub(crate) async fn cleanup(shared: &Shared) -> Vec<Leftover> {
    let delete = |segments: Vec<String>| async move {
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        shared
            .api(
                CLEANUP,
                Method::DELETE,
                &segments,
                &[],
                None,
                Retry::Idempotent,
            )
            .await
            .map(|exchange| exchange.status)
    };
    let pending = shared.pending();
    let mut unsure = Vec::new();
    for leftover in pending.iter().rev() {
        if let Leftover::Product { catalog, id } = leftover {
            let segments = vec![
                "catalogs".into(),
                catalog.clone(),
                "products".into(),
                id.clone(),
            ];
            match delete(segments).await {
                Ok(status) if status.is_success() => shared.deregister(leftover),
                Ok(StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED) => unsure.push(leftover),
                _ => {}
            }
        }
    }
    for leftover in &pending {
        if let Leftover::Catalog { id } = leftover {
            match delete(vec!["catalogs".into(), id.clone()]).await {
                Ok(status) if status.is_success() || status == StatusCode::NOT_FOUND => {
                    shared.deregister(leftover);
                }
                _ => {}
            }
        }
    }
    for leftover in unsure {
        let Leftover::Product { catalog, id } = leftover else {
            continue;
        };
        let list = List::Products(catalog.clone());
        let query = [("product_id", id.clone())];
        let gone = match collect(shared, CLEANUP, &list, &query, WALK_PAGES).await {
            Ok(Listed::Items { items, complete }) => {
                complete
                    && !items
                        .iter()
                        .any(|item| id_of(item, &list) == Some(id.as_str()))
            }
            // The catalog is gone, and its products with it, as far as anyone can see.
            Ok(Listed::Other(exchange)) => exchange.status == StatusCode::NOT_FOUND,
            Err(_) => false,
        };
        if gone {
            shared.deregister(leftover);
        }
    }
    for leftover in &pending {
        if let Leftover::Group { id } = leftover {
            match delete(vec!["groups".into(), id.clone()]).await {
                Ok(status) if status.is_success() || status == StatusCode::NOT_FOUND => {
                    shared.deregister(leftover);
                }
                _ => {}
            }
        }
    }
    shared.pending()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_swaps_per_character() {
        assert_eq!(swap_case("Ab-1 ß"), "aB-1 SS");
        assert_eq!(swap_case("123"), "123");
    }

    #[test]
    fn picks_prefer_letters() {
        let list = List::Groups;
        let items = [
            json!({"group_id": "1"}),
            json!({"group_id": "12"}),
            json!({"group_id": "G1"}),
        ];
        let picked = pick(&items, &list, |item| id_of(item, &list));
        assert_eq!(picked, Some(("G1".into(), "G1".into())));
        assert_eq!(
            pick(&items[..2], &list, |item| id_of(item, &list)).map(|p| p.0),
            Some("12".into())
        );
    }

    #[test]
    fn cursors_are_found_where_the_key_says() {
        let page = |body: Value| match body {
            Value::Object(envelope) => Page {
                items: envelope["groups"].as_array().cloned().unwrap_or_default(),
                envelope,
            },
            _ => unreachable!(),
        };
        let list = List::Groups;
        let next = page(json!({"groups": [{"group_id": "A"}], "next": "c2"}));
        assert_eq!(
            next_cursor(&CursorKey::Unknown, &next, &list).as_deref(),
            Some("c2")
        );
        assert_eq!(
            next_cursor(&CursorKey::Key("starting_after".into()), &next, &list),
            None
        );
        assert_eq!(
            next_after(&CursorKey::None, &next, &list).as_deref(),
            Some("A")
        );
        let empty = page(json!({"groups": [], "starting_after": "c"}));
        assert_eq!(next_after(&CursorKey::Unknown, &empty, &list), None);
    }

    #[test]
    fn create_statuses_agree_or_are_shown_by_kind() {
        let mut creates = Creates::default();
        assert!(matches!(creates.outcome(), Outcome::Skip(_)));
        creates.statuses = vec![("group", 201), ("catalog", 201)];
        assert!(matches!(creates.outcome(), Outcome::Seen(v) if v == json!(201)));
        creates.statuses.push(("product", 200));
        assert!(
            matches!(creates.outcome(), Outcome::Seen(v) if v == json!({"group": 201, "catalog": 201, "product": 200}))
        );
    }
}
