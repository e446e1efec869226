//! The router: one route per API operation plus the token endpoint, each handler doing only
//! its operation as the request's dialect says. Authentication, paths, queries, bodies and
//! the dialect come from the extractors; logging, rate limiting, faults, latency and the
//! routes a dialect turns off from the middleware.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::handler::Handler as _;
use axum::http::header::HeaderMap;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use dintero_products_client::types::{
    CatalogInput, CreateCatalogBody, CreateGroupBody, CreateProductBody, GroupFields, ProductInput,
};
use serde::Deserialize;

use crate::cursors::{CursorKind, PageRequest};
use crate::dialect::{AudienceCheck, Dialect, GroupsInUpdate, Matcher, Route};
use crate::errors::ApiError;
use crate::extract::{AccountPath, Authorized, Ids, JsonBody, Params, RawBody, Spoken, parse_json};
use crate::ids::check_account_id;
use crate::paths::{CATALOG, CATALOGS, GROUP, GROUPS, PRODUCT, PRODUCTS, TOKEN_ROUTE};
use crate::responses;
use crate::state::App;
use crate::store::{ProductFilter, ProductUpdate};
use crate::tokens::{self, TokenRequest, TokenResponse};

/// The whole application: routes, the JSON 404 and 405 (whose `Allow` header axum's method
/// router adds), and the middleware.
pub(crate) fn router(app: Arc<App>) -> Router {
    // Each route a dialect may turn off has its own gate, on its method only.
    let gate = |route: Route| {
        middleware::from_fn_with_state((Arc::clone(&app), route), crate::middleware::optional_route)
    };
    Router::new()
        .route(TOKEN_ROUTE, post(issue_token))
        .route(CATALOGS, get(list_catalogs).post(create_catalog))
        .route(
            CATALOG,
            get(get_catalog.layer(gate(Route::GetCatalog)))
                .put(update_catalog)
                .delete(delete_catalog),
        )
        .route(PRODUCTS, get(list_products).post(create_product))
        .route(
            PRODUCT,
            get(get_product.layer(gate(Route::GetProduct)))
                .put(update_product)
                .delete(delete_product.layer(gate(Route::DeleteProduct))),
        )
        .route(GROUPS, get(list_groups).post(create_group))
        .route(
            GROUP,
            get(get_group.layer(gate(Route::GetGroup)))
                .put(update_group)
                .delete(delete_group),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            crate::middleware::gate,
        ))
        .with_state(app)
}

type Answer = Result<Response, ApiError>;

async fn not_found(uri: Uri) -> ApiError {
    ApiError::no_route(uri.path())
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(format!("{method} is not allowed on {}", uri.path()))
}

/// No ids besides the account's.
#[derive(Deserialize)]
struct NoIds {}

#[derive(Deserialize)]
struct CatalogIds {
    catalog_id: String,
}

#[derive(Deserialize)]
struct GroupIds {
    group_id: String,
}

#[derive(Deserialize)]
struct ProductIds {
    catalog_id: String,
    product_id: String,
}

/// The query parameters of the lists; each list reads the ones it knows, and unknown ones are
/// ignored, as by the API.
#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
    group_id: Option<String>,
    product_id: Option<String>,
    product_name: Option<String>,
}

impl ListQuery {
    fn page(&self, kind: CursorKind, dialect: &Dialect) -> Result<PageRequest, ApiError> {
        PageRequest::parse(
            kind,
            self.limit.as_deref(),
            self.starting_after.as_deref(),
            dialect,
        )
    }
}

fn ok(value: &impl serde::Serialize) -> Answer {
    Ok(responses::json(StatusCode::OK, value))
}

fn created(dialect: &Dialect, value: &impl serde::Serialize) -> Answer {
    Ok(responses::json(dialect.create_status.status(), value))
}

fn list<T: serde::Serialize>(
    dialect: &Dialect,
    key: &str,
    page: crate::cursors::Page<T>,
) -> Answer {
    Ok(responses::list(key, page, dialect.cursor_key.as_deref()))
}

// The token endpoint: the account id, then the client's credentials, then the body.

async fn issue_token(
    State(app): State<Arc<App>>,
    Spoken(dialect): Spoken,
    Ids(AccountPath { aid }): Ids<AccountPath>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Answer {
    check_account_id(&aid)?;
    let (id, secret) = tokens::basic_credentials(&headers)?;
    if id != app.config.client_id || secret != app.config.client_secret {
        return Err(ApiError::unauthorized("invalid client credentials"));
    }
    let request: TokenRequest = parse_json(&body)?;
    let expected = (dialect.audience == AudienceCheck::Exact)
        .then(|| tokens::audience(&app.config.audience_base, &aid));
    tokens::check_request(&request, expected.as_deref())?;
    ok(&TokenResponse {
        access_token: app.tokens.issue(&aid),
        token_type: "Bearer",
        expires_in: app.tokens.lifetime().as_secs(),
    })
}

// Catalogs.

async fn list_catalogs(
    State(app): State<Arc<App>>,
    Spoken(dialect): Spoken,
    call: Authorized<NoIds>,
    Params(query): Params<ListQuery>,
) -> Answer {
    let page = query.page(CursorKind::Catalogs, &dialect)?;
    let catalogs = app.read().list_catalogs(&call.aid, &page);
    list(&dialect, "catalogs", catalogs)
}

async fn create_catalog(
    State(app): State<Arc<App>>,
    Spoken(dialect): Spoken,
    call: Authorized<NoIds>,
    JsonBody(body): JsonBody<CreateCatalogBody>,
) -> Answer {
    let catalog = app.write().create_catalog(&call.aid, body)?;
    created(&dialect, &catalog)
}

async fn get_catalog(State(app): State<Arc<App>>, call: Authorized<CatalogIds>) -> Answer {
    ok(&app.read().get_catalog(&call.aid, &call.ids.catalog_id)?)
}

async fn update_catalog(
    State(app): State<Arc<App>>,
    call: Authorized<CatalogIds>,
    JsonBody(body): JsonBody<CatalogInput>,
) -> Answer {
    ok(&app
        .write()
        .update_catalog(&call.aid, &call.ids.catalog_id, body)?)
}

async fn delete_catalog(
    State(app): State<Arc<App>>,
    Spoken(dialect): Spoken,
    call: Authorized<CatalogIds>,
) -> Answer {
    let cascades = dialect.delete_catalog_cascades;
    ok(&app
        .write()
        .delete_catalog(&call.aid, &call.ids.catalog_id, cascades)?)
}

// Groups.

async fn list_groups(
    State(app): State<Arc<App>>,
    Spoken(dialect): Spoken,
    call: Authorized<NoIds>,
    Params(query): Params<ListQuery>,
) -> Answer {
    let page = query.page(CursorKind::Groups, &dialect)?;
    let wanted = query
        .group_id
        .as_deref()
        .map(|text| Matcher::new(dialect.group_id_filter, text));
    let groups = app.read().list_groups(&call.aid, &page, wanted.as_ref());
    list(&dialect, "groups", groups)
}

async fn create_group(
    State(app): State<Arc<App>>,
    Spoken(dialect): Spoken,
    call: Authorized<NoIds>,
    JsonBody(body): JsonBody<CreateGroupBody>,
) -> Answer {
    let group = app.write().create_group(&call.aid, body)?;
    created(&dialect, &group)
}

async fn get_group(State(app): State<Arc<App>>, call: Authorized<GroupIds>) -> Answer {
    ok(&app.read().get_group(&call.aid, &call.ids.group_id)?)
}

async fn update_group(
    State(app): State<Arc<App>>,
    call: Authorized<GroupIds>,
    JsonBody(body): JsonBody<GroupFields>,
) -> Answer {
    ok(&app
        .write()
        .update_group(&call.aid, &call.ids.group_id, body)?)
}

async fn delete_group(State(app): State<Arc<App>>, call: Authorized<GroupIds>) -> Answer {
    ok(&app.write().delete_group(&call.aid, &call.ids.group_id)?)
}

// Products.

async fn list_products(
    State(app): State<Arc<App>>,
    Spoken(dialect): Spoken,
    call: Authorized<CatalogIds>,
    Params(query): Params<ListQuery>,
) -> Answer {
    let page = query.page(CursorKind::Products, &dialect)?;
    let rule = |text: &String, rule| Matcher::new(rule, text);
    let filter = ProductFilter {
        product_id: query
            .product_id
            .as_ref()
            .map(|text| rule(text, dialect.product_id_filter)),
        product_name: query
            .product_name
            .as_ref()
            .map(|text| rule(text, dialect.product_name_filter)),
    };
    let products = app
        .read()
        .list_products(&call.aid, &call.ids.catalog_id, &page, &filter)?;
    list(&dialect, "products", products)
}

async fn create_product(
    State(app): State<Arc<App>>,
    Spoken(dialect): Spoken,
    call: Authorized<CatalogIds>,
    JsonBody(body): JsonBody<CreateProductBody>,
) -> Answer {
    let product = app
        .write()
        .create_product(&call.aid, &call.ids.catalog_id, body)?;
    created(&dialect, &product)
}

async fn get_product(State(app): State<Arc<App>>, call: Authorized<ProductIds>) -> Answer {
    let ProductIds {
        catalog_id,
        product_id,
    } = &call.ids;
    ok(&app.read().get_product(&call.aid, catalog_id, product_id)?)
}

/// The optional `groups` of a product update, which `ProductInput` does not carry: when
/// absent, the product keeps its groups.
#[derive(Deserialize)]
struct GroupsField {
    #[serde(default)]
    groups: Option<Vec<GroupFields>>,
}

async fn update_product(
    State(app): State<Arc<App>>,
    Spoken(dialect): Spoken,
    call: Authorized<ProductIds>,
    RawBody(body): RawBody,
) -> Answer {
    let input: ProductInput = parse_json(&body)?;
    // What the body sent, as opposed to what it left to the defaults: a merge needs to know.
    let sent: serde_json::Map<String, serde_json::Value> = parse_json(&body)?;
    let groups = match dialect.groups_in_update {
        GroupsInUpdate::Applied => parse_json::<GroupsField>(&body)?.groups,
        GroupsInUpdate::Ignored => None,
        GroupsInUpdate::Rejected if sent.contains_key("groups") => {
            return Err(ApiError::bad_request(
                "groups: a product's groups cannot be changed by an update; send the body \
                 without the field `groups`",
            ));
        }
        GroupsInUpdate::Rejected => None,
    };
    let update = ProductUpdate {
        input,
        sent: sent.into_iter().map(|(key, _)| key).collect(),
        semantics: dialect.update,
        groups,
    };
    let ProductIds {
        catalog_id,
        product_id,
    } = &call.ids;
    ok(&app
        .write()
        .update_product(&call.aid, catalog_id, product_id, update)?)
}

async fn delete_product(State(app): State<Arc<App>>, call: Authorized<ProductIds>) -> Answer {
    let ProductIds {
        catalog_id,
        product_id,
    } = &call.ids;
    ok(&app
        .write()
        .delete_product(&call.aid, catalog_id, product_id)?)
}
