//! The routes' path templates, in axum's syntax. They sit at the bottom because the router
//! mounts them and the middleware, a layer below it, must recognise the token endpoint.

/// The token endpoint; the middleware spares it from the rate limit, and from faults unless
/// they include it.
pub(crate) const TOKEN_ROUTE: &str = "/v1/accounts/{aid}/auth/token";

pub(crate) const CATALOGS: &str = "/v1/accounts/{aid}/products/catalogs";
pub(crate) const CATALOG: &str = "/v1/accounts/{aid}/products/catalogs/{catalog_id}";
pub(crate) const PRODUCTS: &str = "/v1/accounts/{aid}/products/catalogs/{catalog_id}/products";
pub(crate) const PRODUCT: &str =
    "/v1/accounts/{aid}/products/catalogs/{catalog_id}/products/{product_id}";
pub(crate) const GROUPS: &str = "/v1/accounts/{aid}/products/groups";
pub(crate) const GROUP: &str = "/v1/accounts/{aid}/products/groups/{group_id}";
