//! The HTTP side: one axum fallback handler that records the request, decides a fault,
//! routes on the raw (still percent-encoded) path, authenticates and calls the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dintero_products_client::types::{
    CatalogInput, CatalogList, CreateCatalogBody, CreateGroupBody, CreateProductBody, Error,
    ErrorError, Group, GroupList, ProductInput, ProductList,
};
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};

use crate::RecordedRequest;
use crate::error::ApiError;
use crate::faults::{FaultDecider, FaultKind};
use crate::store::{CursorKind, PageRequest, ProductFilter, Store, decode_cursor};

/// The largest request body read; larger bodies get `400`.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// How long a truncated body waits between its half and the error that closes the connection.
const TRUNCATION_PAUSE: Duration = Duration::from_millis(20);

/// The response header that carries the request id.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");

/// Settings fixed when the server starts.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub client_id: String,
    pub client_secret: String,
    pub token_lifetime: Duration,
    pub latency: Duration,
}

#[derive(Clone, Debug)]
struct IssuedToken {
    aid: String,
    expires: Instant,
}

/// Everything the handler shares; each lock is held for one short, synchronous step.
#[derive(Debug)]
pub(crate) struct App {
    pub config: Config,
    store: RwLock<Store>,
    tokens: Mutex<HashMap<String, IssuedToken>>,
    issued: AtomicUsize,
    faults: Mutex<FaultDecider>,
    log: Mutex<Vec<(u64, RecordedRequest)>>,
    next_request: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl App {
    pub(crate) fn new(config: Config, faults: FaultDecider, seed: u64) -> Self {
        let store = Store::new(seed, &config.client_id);
        App {
            config,
            store: RwLock::new(store),
            tokens: Mutex::new(HashMap::new()),
            issued: AtomicUsize::new(0),
            faults: Mutex::new(faults),
            log: Mutex::new(Vec::new()),
            next_request: AtomicU64::new(0),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultDecider> {
        lock(&self.faults)
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).iter().map(|(_, r)| r.clone()).collect()
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.log).clear();
    }

    pub(crate) fn token_requests(&self) -> usize {
        self.issued.load(Ordering::SeqCst)
    }

    pub(crate) fn revoke_tokens(&self) {
        lock(&self.tokens).clear();
    }

    fn record_answer(&self, seq: u64, status: Option<u16>) {
        let mut log = lock(&self.log);
        // Entries are pushed in `seq` order, so the search from the back is short.
        if let Some((_, entry)) = log.iter_mut().rev().find(|(s, _)| *s == seq) {
            entry.status = status;
        }
    }

    fn issue_token(&self, aid: &str) -> String {
        let token = format!(
            "fake_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let info = IssuedToken {
            aid: aid.to_owned(),
            expires: Instant::now() + self.config.token_lifetime,
        };
        let mut tokens = lock(&self.tokens);
        let now = Instant::now();
        tokens.retain(|_, t| t.expires > now);
        tokens.insert(token.clone(), info);
        self.issued.fetch_add(1, Ordering::SeqCst);
        token
    }

    /// Checks the bearer token and returns the account it was issued for.
    fn authenticate(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization header"))?;
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
        let token = split_scheme(value, "bearer")
            .ok_or_else(|| ApiError::unauthorized("expected Authorization: Bearer <token>"))?;
        let tokens = lock(&self.tokens);
        let issued = tokens
            .get(token)
            .ok_or_else(|| ApiError::unauthorized("unknown or revoked access token"))?;
        if issued.expires <= Instant::now() {
            return Err(ApiError::unauthorized("access token expired"));
        }
        Ok(issued.aid.clone())
    }
}

/// `"<scheme> <rest>"` with a case-insensitive scheme, returning the trimmed rest.
fn split_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    (given.eq_ignore_ascii_case(scheme) && !rest.is_empty()).then_some(rest)
}

// ----- routing ------------------------------------------------------------------------------

/// Decodes `%XX` escapes once (and `+` as a space when `plus_is_space`, for queries).
pub(crate) fn percent_decode(raw: &str, plus_is_space: bool) -> Result<String, ApiError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = |j: usize| bytes.get(j).and_then(|c| (*c as char).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
                    _ => {
                        return Err(ApiError::bad_request(format!(
                            "invalid percent-encoding in {raw:?}"
                        )));
                    }
                }
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| ApiError::bad_request(format!("{raw:?} does not decode to UTF-8")))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Resource {
    Token,
    Catalogs,
    Catalog(String),
    Groups,
    Group(String),
    Products(String),
    Product(String, String),
}

impl Resource {
    fn allowed(&self) -> &'static [Method] {
        const COLLECTION: &[Method] = &[Method::GET, Method::POST];
        const ITEM: &[Method] = &[Method::GET, Method::PUT, Method::DELETE];
        match self {
            Resource::Token => &[Method::POST],
            Resource::Catalogs | Resource::Groups | Resource::Products(_) => COLLECTION,
            Resource::Catalog(_) | Resource::Group(_) | Resource::Product(..) => ITEM,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Route {
    aid: String,
    resource: Resource,
}

fn segments(path: &str) -> Option<Vec<&str>> {
    Some(path.strip_prefix("/v1/")?.split('/').collect())
}

fn is_token_path(path: &str) -> bool {
    matches!(
        segments(path).as_deref(),
        Some(["accounts", _, "auth", "token"])
    )
}

/// Matches the raw path; each id segment is percent-decoded exactly once, after splitting on
/// `/`, so an encoded `%2F` stays inside its segment.
fn route(path: &str) -> Result<Route, ApiError> {
    let not_found = || ApiError::not_found(format!("no route for {path}"));
    let segments = segments(path).ok_or_else(not_found)?;
    let id = |raw: &str| -> Result<String, ApiError> {
        if raw.is_empty() {
            return Err(not_found());
        }
        percent_decode(raw, false)
    };
    let (aid, resource) = match segments.as_slice() {
        ["accounts", aid, "auth", "token"] => (aid, Resource::Token),
        ["accounts", aid, "products", "catalogs"] => (aid, Resource::Catalogs),
        ["accounts", aid, "products", "catalogs", c] => (aid, Resource::Catalog(id(c)?)),
        ["accounts", aid, "products", "catalogs", c, "products"] => {
            (aid, Resource::Products(id(c)?))
        }
        ["accounts", aid, "products", "catalogs", c, "products", p] => {
            (aid, Resource::Product(id(c)?, id(p)?))
        }
        ["accounts", aid, "products", "groups"] => (aid, Resource::Groups),
        ["accounts", aid, "products", "groups", g] => (aid, Resource::Group(id(g)?)),
        _ => return Err(not_found()),
    };
    Ok(Route {
        aid: id(aid)?,
        resource,
    })
}

/// `^[PT]\d{8}$`
fn valid_account_id(aid: &str) -> bool {
    let bytes = aid.as_bytes();
    bytes.len() == 9
        && matches!(bytes.first(), Some(b'P' | b'T'))
        && bytes.iter().skip(1).all(u8::is_ascii_digit)
}

fn check_account_id(aid: &str) -> Result<(), ApiError> {
    if valid_account_id(aid) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "account id {aid:?} does not match ^[PT]\\d{{8}}$"
        )))
    }
}

fn parse_query(raw: Option<&str>) -> Result<HashMap<String, String>, ApiError> {
    let mut out = HashMap::new();
    for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key, true)?;
        let value = percent_decode(value, true)?;
        out.entry(key).or_insert(value);
    }
    Ok(out)
}

fn page_request(
    query: &HashMap<String, String>,
    kind: CursorKind,
) -> Result<PageRequest, ApiError> {
    let limit = match query.get("limit") {
        None => 10,
        Some(raw) => match raw.parse::<usize>() {
            Ok(limit @ 1..=100) => limit,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "limit must be an integer in 1..=100, got {raw:?}"
                )));
            }
        },
    };
    let after = match query.get("starting_after") {
        None => None,
        Some(cursor) => Some(decode_cursor(kind, cursor)?),
    };
    Ok(PageRequest { limit, after })
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))
}

// ----- responses ----------------------------------------------------------------------------

fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => error_response(&ApiError::internal(format!("could not encode: {e}"))),
    }
}

/// A list envelope that always carries its array, even when empty.
fn list_response(value: &impl Serialize, array_key: &str) -> Response {
    match serde_json::to_value(value) {
        Ok(mut json) => {
            if let Some(object) = json.as_object_mut() {
                object
                    .entry(array_key)
                    .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            }
            json_response(StatusCode::OK, &json)
        }
        Err(e) => error_response(&ApiError::internal(format!("could not encode: {e}"))),
    }
}

fn error_body(code: &str, message: &str) -> Error {
    Error {
        error: ErrorError {
            code: Some(code.to_owned()),
            errors: Vec::new(),
            message: message.to_owned(),
        },
    }
}

fn error_response(error: &ApiError) -> Response {
    raw_error_response(error.status, error.code, &error.message)
}

fn raw_error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = error_body(code, message);
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"error\":{}}".to_vec());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn reason_code(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => reason
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect(),
        None => format!("HTTP_{}", status.as_u16()),
    }
}

fn status_fault(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    raw_error_response(status, &reason_code(status), "injected fault")
}

const BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>fake-gateway</center>\r\n</body>\r\n</html>\r\n";

fn html_502() -> Response {
    let mut response = Response::new(Body::from(BAD_GATEWAY_HTML));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn rate_limited(retry_after_secs: u64) -> Response {
    let mut response = error_response(&ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        format!("rate limited (injected fault); retry after {retry_after_secs} s"),
    ));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

fn injected_io_error() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "injected fault")
}

/// A response whose body fails before its first byte: hyper aborts the connection before it
/// flushes the status line, so the client sees the connection close without a response.
fn dropped_connection() -> Response {
    let stream = futures::stream::once(async { Err::<Bytes, _>(injected_io_error()) });
    Response::new(Body::from_stream(stream))
}

/// The real status and headers with `Content-Length` announcing the whole body, then half of
/// the body and an error, which makes hyper close the connection.
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return error_response(&ApiError::internal(format!("could not buffer: {e}"))),
    };
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    // The error comes a moment after the half, so that hyper flushes the head and the half
    // first (an error in the same poll would discard them unsent).
    let first = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(half) });
    let cut = futures::stream::once(async {
        tokio::time::sleep(TRUNCATION_PAUSE).await;
        Err(injected_io_error())
    });
    Response::from_parts(parts, Body::from_stream(first.chain(cut)))
}

// ----- the handler --------------------------------------------------------------------------

/// The one handler: every request comes here.
pub(crate) async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let seq = app.next_request.fetch_add(1, Ordering::SeqCst) + 1;
    let request_id = format!("fake-{seq:08}");
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let decision = {
        // Record and decide under the log lock, so the log order is the decision order.
        let mut log = lock(&app.log);
        let fault = app.faults().decide(is_token_path(&path));
        log.push((
            seq,
            RecordedRequest {
                request_id: request_id.clone(),
                method: parts.method.to_string(),
                path: path.clone(),
                query: query.clone(),
                authorization: parts.headers.contains_key(header::AUTHORIZATION),
                status: None,
                fault: fault.clone(),
            },
        ));
        fault
    };

    if !app.config.latency.is_zero() {
        tokio::time::sleep(app.config.latency).await;
    }

    let dropped = decision == Some(FaultKind::DropConnection);
    let mut response = match decision {
        Some(FaultKind::Status(code)) => status_fault(code),
        Some(FaultKind::Html502) => html_502(),
        Some(FaultKind::RateLimited { retry_after_secs }) => rate_limited(retry_after_secs),
        Some(FaultKind::DropConnection) => dropped_connection(),
        processed => {
            // The request is processed (a create applied) before these faults act.
            let real = answer(&app, &parts, body).await;
            match processed {
                Some(FaultKind::TruncatedBody) => truncated(real).await,
                Some(FaultKind::Slow(delay)) => {
                    tokio::time::sleep(delay).await;
                    real
                }
                _ => real,
            }
        }
    };

    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    // A dropped connection never shows its status line to the client.
    let status = (!dropped).then_some(response.status().as_u16());
    app.record_answer(seq, status);
    response
}

/// The real answer (no faults): route, authenticate, run the operation.
async fn answer(app: &App, parts: &Parts, body: Body) -> Response {
    let (method, path, query) = (&parts.method, parts.uri.path(), parts.uri.query());
    let headers = &parts.headers;
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(e) => {
            return error_response(&ApiError::bad_request(format!(
                "could not read the body: {e}"
            )));
        }
    };
    match dispatch(app, method, path, query, headers, &body) {
        Ok(response) => response,
        Err(error) => {
            let mut response = error_response(&error);
            if error.status == StatusCode::METHOD_NOT_ALLOWED
                && let Ok(route) = route(path)
            {
                let allow: Vec<&str> = route
                    .resource
                    .allowed()
                    .iter()
                    .map(Method::as_str)
                    .collect();
                if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                    response.headers_mut().insert(header::ALLOW, value);
                }
            }
            response
        }
    }
}

fn dispatch(
    app: &App,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let Route { aid, resource } = route(path)?;
    if !resource.allowed().contains(method) {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("{method} is not allowed on {path}"),
        ));
    }
    if resource == Resource::Token {
        return token(app, &aid, headers, body);
    }
    let token_account = app.authenticate(headers)?;
    check_account_id(&aid)?;
    if token_account != aid {
        return Err(ApiError::forbidden(format!(
            "the access token was issued for account {token_account}, not {aid}"
        )));
    }
    let query = parse_query(query)?;
    let created = StatusCode::CREATED;
    let ok = StatusCode::OK;
    Ok(match (resource, method) {
        (Resource::Catalogs, &Method::GET) => {
            let page = page_request(&query, CursorKind::Catalogs)?;
            let (catalogs, starting_after) = app.read().list_catalogs(&aid, &page);
            list_response(
                &CatalogList {
                    catalogs,
                    starting_after,
                },
                "catalogs",
            )
        }
        (Resource::Catalogs, _) => {
            let body: CreateCatalogBody = parse_body(body)?;
            json_response(created, &app.write().create_catalog(&aid, body)?)
        }
        (Resource::Catalog(id), &Method::GET) => {
            json_response(ok, &app.read().get_catalog(&aid, &id)?)
        }
        (Resource::Catalog(id), &Method::PUT) => {
            let body: CatalogInput = parse_body(body)?;
            json_response(ok, &app.write().update_catalog(&aid, &id, body)?)
        }
        (Resource::Catalog(id), _) => json_response(ok, &app.write().delete_catalog(&aid, &id)?),
        (Resource::Groups, &Method::GET) => {
            let page = page_request(&query, CursorKind::Groups)?;
            let filter = query.get("group_id").map(String::as_str);
            let (groups, starting_after) = app.read().list_groups(&aid, &page, filter);
            list_response(
                &GroupList {
                    groups,
                    starting_after,
                },
                "groups",
            )
        }
        (Resource::Groups, _) => {
            let body: CreateGroupBody = parse_body(body)?;
            json_response(created, &app.write().create_group(&aid, body)?)
        }
        (Resource::Group(id), &Method::GET) => json_response(ok, &app.read().get_group(&aid, &id)?),
        (Resource::Group(id), &Method::PUT) => {
            let body: Group = parse_body(body)?;
            json_response(ok, &app.write().update_group(&aid, &id, body)?)
        }
        (Resource::Group(id), _) => json_response(ok, &app.write().delete_group(&aid, &id)?),
        (Resource::Products(catalog), &Method::GET) => {
            let page = page_request(&query, CursorKind::Products)?;
            let filter = ProductFilter {
                product_id: query.get("product_id").cloned(),
                product_name: query.get("product_name").cloned(),
            };
            let (products, starting_after) =
                app.read().list_products(&aid, &catalog, &page, &filter)?;
            list_response(
                &ProductList {
                    products,
                    starting_after,
                },
                "products",
            )
        }
        (Resource::Products(catalog), _) => {
            let body: CreateProductBody = parse_body(body)?;
            json_response(created, &app.write().create_product(&aid, &catalog, body)?)
        }
        (Resource::Product(catalog, id), &Method::GET) => {
            json_response(ok, &app.read().get_product(&aid, &catalog, &id)?)
        }
        (Resource::Product(catalog, id), &Method::PUT) => {
            let input: ProductInput = parse_body(body)?;
            let groups: GroupsField = parse_body(body)?;
            let updated = app
                .write()
                .update_product(&aid, &catalog, &id, input, groups.groups)?;
            json_response(ok, &updated)
        }
        (Resource::Product(catalog, id), _) => {
            json_response(ok, &app.write().delete_product(&aid, &catalog, &id)?)
        }
        (Resource::Token, _) => return Err(ApiError::internal("token route fell through")),
    })
}

/// The optional `groups` of a product update (not part of `ProductInput`).
#[derive(Deserialize)]
struct GroupsField {
    #[serde(default)]
    groups: Option<Vec<Group>>,
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: String,
    audience: String,
}

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

fn token(app: &App, aid: &str, headers: &HeaderMap, body: &[u8]) -> Result<Response, ApiError> {
    check_account_id(aid)?;
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| split_scheme(v, "basic"))
        .ok_or_else(|| {
            ApiError::unauthorized("expected Authorization: Basic <client credentials>")
        })?;
    let decoded = STANDARD
        .decode(basic)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ApiError::unauthorized("malformed Basic credentials"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| ApiError::unauthorized("malformed Basic credentials"))?;
    if id != app.config.client_id || secret != app.config.client_secret {
        return Err(ApiError::unauthorized("invalid client credentials"));
    }
    let request: TokenRequest = parse_body(body)?;
    if request.grant_type != "client_credentials" {
        return Err(ApiError::bad_request(format!(
            "unsupported grant_type {:?}; expected \"client_credentials\"",
            request.grant_type
        )));
    }
    let suffix = format!("/accounts/{aid}");
    if !request.audience.ends_with(&suffix) {
        return Err(ApiError::bad_request(format!(
            "audience {:?} must end with {suffix:?}",
            request.audience
        )));
    }
    let access_token = app.issue_token(aid);
    Ok(json_response(
        StatusCode::OK,
        &TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: app.config.token_lifetime.as_secs(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_is_single_and_strict() {
        assert_eq!(percent_decode("a%2Fb", false).ok().as_deref(), Some("a/b"));
        assert_eq!(
            percent_decode("a%252F", false).ok().as_deref(),
            Some("a%2F")
        );
        assert_eq!(
            percent_decode("%C3%B8+x", false).ok().as_deref(),
            Some("ø+x")
        );
        assert_eq!(percent_decode("a+b", true).ok().as_deref(), Some("a b"));
        assert!(percent_decode("%zz", false).is_err());
        assert!(percent_decode("abc%", false).is_err());
        assert!(percent_decode("%FF", false).is_err());
    }

    #[test]
    fn routes_keep_encoded_slashes_in_one_segment() {
        let route = route("/v1/accounts/T12345678/products/catalogs/S%2F1/products/a%2Fb%20c");
        assert_eq!(
            route.ok(),
            Some(Route {
                aid: "T12345678".into(),
                resource: Resource::Product("S/1".into(), "a/b c".into()),
            })
        );
        assert!(route_is_not_found(
            "/v1/accounts/T12345678/products/catalogs/S/1/x"
        ));
        assert!(route_is_not_found(
            "/v1/accounts/T12345678/products/catalogs/"
        ));
        assert!(route_is_not_found(
            "/v2/accounts/T12345678/products/catalogs"
        ));
        assert!(is_token_path("/v1/accounts/T12345678/auth/token"));
    }

    fn route_is_not_found(path: &str) -> bool {
        route(path).err().map(|e| e.status) == Some(StatusCode::NOT_FOUND)
    }

    #[test]
    fn account_ids() {
        assert!(valid_account_id("T12345678"));
        assert!(valid_account_id("P00000000"));
        assert!(!valid_account_id("X12345678"));
        assert!(!valid_account_id("T1234567"));
        assert!(!valid_account_id("T123456789"));
        assert!(!valid_account_id("T1234567a"));
        assert!(!valid_account_id("T1234567٣"));
    }

    #[test]
    fn reason_codes() {
        assert_eq!(
            reason_code(StatusCode::INTERNAL_SERVER_ERROR),
            "INTERNAL_SERVER_ERROR"
        );
        assert_eq!(
            reason_code(StatusCode::SERVICE_UNAVAILABLE),
            "SERVICE_UNAVAILABLE"
        );
    }
}
