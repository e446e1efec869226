//! Dialects: the behaviours Dintero's published reference leaves in doubt, each switchable, so
//! that a client, and the probes that check a real account, can be tested against every
//! plausible variant of the API. The default is the fake as it was before dialects existed.
//!
//! At the bottom of the layers: the cursors, the store, the routes and the middleware all read
//! a dialect, and it knows none of them.

use std::fmt;
use std::str::FromStr;

use axum::http::{HeaderName, StatusCode};

/// The `error.code` of a `404` by default, as Dintero's error page shows it (with a space).
pub const DEFAULT_NOT_FOUND_CODE: &str = "NOT FOUND";
/// The envelope key of the next-page cursor by default: the groups list's, as the reference
/// shows it.
pub const DEFAULT_CURSOR_KEY: &str = "starting_after";
/// The largest `limit` a list accepts by default: the reference's maximum.
pub const DEFAULT_LIMIT_MAX: u32 = 100;
/// The response header that carries the request id by default.
pub const DEFAULT_REQUEST_ID_HEADER: &str = "request-id";

/// The status a successful create answers with.
///
/// Dintero's published reference does not show which one the Products API sends; its other
/// published API answers creates with `200`, so that is the default. Testing a client against
/// both is the point of the switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CreateStatus {
    /// `200 OK` (the default).
    #[default]
    Ok,
    /// `201 Created`.
    Created,
}

impl CreateStatus {
    /// The status code: 200 or 201.
    pub fn code(self) -> u16 {
        self.status().as_u16()
    }

    pub(crate) fn status(self) -> StatusCode {
        match self {
            CreateStatus::Ok => StatusCode::OK,
            CreateStatus::Created => StatusCode::CREATED,
        }
    }
}

/// The error of `CreateStatus::try_from(u16)`: creates answer with 200 or 201 only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsupportedCreateStatus(pub u16);

impl fmt::Display for UnsupportedCreateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "creates answer with 200 or 201, not {}; see CreateStatus",
            self.0
        )
    }
}

impl std::error::Error for UnsupportedCreateStatus {}

impl TryFrom<u16> for CreateStatus {
    type Error = UnsupportedCreateStatus;

    /// `200` or `201`; anything else is an error.
    ///
    /// ```
    /// use dintero_products_fake::CreateStatus;
    ///
    /// assert_eq!(CreateStatus::try_from(201), Ok(CreateStatus::Created));
    /// assert!(CreateStatus::try_from(204).is_err());
    /// ```
    fn try_from(code: u16) -> Result<Self, Self::Error> {
        [CreateStatus::Ok, CreateStatus::Created]
            .into_iter()
            .find(|status| status.code() == code)
            .ok_or(UnsupportedCreateStatus(code))
    }
}

/// A route the reference never shows, which the real API may not have. When a dialect turns
/// one off, it answers exactly as an unknown path does (`404`, the error body naming the path),
/// before authentication, and `405`s on its path no longer list its method in `Allow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `GET` (and `HEAD`) `/accounts/{aid}/products/catalogs/{catalog_id}`.
    GetCatalog,
    /// `GET` (and `HEAD`) `/accounts/{aid}/products/groups/{group_id}`.
    GetGroup,
    /// `GET` (and `HEAD`) `/accounts/{aid}/products/catalogs/{catalog_id}/products/{product_id}`.
    GetProduct,
    /// `DELETE /accounts/{aid}/products/catalogs/{catalog_id}/products/{product_id}`.
    DeleteProduct,
}

/// How a list filter compares its text with an item's field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// The whole field equals the text.
    Exact,
    /// The field starts with the text.
    Prefix,
    /// The field contains the text.
    Substring,
}

/// A list filter's rule: a [`MatchKind`], case-sensitive or not. Spelled `exact`, `prefix`,
/// `substring`, with `_ci` appended when case-insensitive (`substring_ci`).
///
/// Case-insensitive means each character of both sides is lower-cased on its own
/// ([`char::to_lowercase`]) before comparing.
///
/// ```
/// use dintero_products_fake::Match;
///
/// let rule = Match::prefix().ignoring_case();
/// assert!(rule.matches("ab-10", "AB-1"));
/// assert!(!rule.matches("XAB-1", "AB-1"));
/// assert!(!Match::exact().matches("ab-1", "AB-1"));
/// assert_eq!(rule.to_string(), "prefix_ci");
/// assert_eq!("substring_ci".parse(), Ok(Match::substring().ignoring_case()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Match {
    /// Whole, start, or anywhere.
    pub kind: MatchKind,
    /// Whether case is ignored.
    pub case_insensitive: bool,
}

impl Match {
    /// Case-sensitive equality.
    pub const fn exact() -> Match {
        Match {
            kind: MatchKind::Exact,
            case_insensitive: false,
        }
    }

    /// Case-sensitive "starts with".
    pub const fn prefix() -> Match {
        Match {
            kind: MatchKind::Prefix,
            case_insensitive: false,
        }
    }

    /// Case-sensitive "contains".
    pub const fn substring() -> Match {
        Match {
            kind: MatchKind::Substring,
            case_insensitive: false,
        }
    }

    /// The same rule, ignoring case.
    pub const fn ignoring_case(self) -> Match {
        Match {
            case_insensitive: true,
            ..self
        }
    }

    /// Whether an item whose field is `field` passes a filter with this text.
    pub fn matches(&self, field: &str, text: &str) -> bool {
        Matcher::new(*self, text).matches(field, &mut String::new())
    }

    const ALL: [Match; 6] = [
        Match::exact(),
        Match::prefix(),
        Match::substring(),
        Match::exact().ignoring_case(),
        Match::prefix().ignoring_case(),
        Match::substring().ignoring_case(),
    ];
}

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            MatchKind::Exact => "exact",
            MatchKind::Prefix => "prefix",
            MatchKind::Substring => "substring",
        };
        let case = if self.case_insensitive { "_ci" } else { "" };
        write!(f, "{kind}{case}")
    }
}

impl FromStr for Match {
    type Err = DialectError;

    /// `exact`, `prefix` or `substring`, each with `_ci` appended or not.
    fn from_str(value: &str) -> Result<Self, DialectError> {
        Match::ALL
            .into_iter()
            .find(|rule| rule.to_string() == value)
            .ok_or_else(|| DialectError::BadValue {
                key: "filter".to_owned(),
                value: value.to_owned(),
                accepted: MATCH_VALUES,
            })
    }
}

/// A filter's text made ready to compare with many items: lower-cased once when case is
/// ignored, and each item lower-cased into a reused buffer, so a filter over a million seeded
/// products does not allocate per product.
#[derive(Clone, Debug)]
pub(crate) struct Matcher {
    rule: Match,
    text: String,
}

impl Matcher {
    pub(crate) fn new(rule: Match, text: &str) -> Self {
        let text = if rule.case_insensitive {
            fold(text)
        } else {
            text.to_owned()
        };
        Matcher { rule, text }
    }

    /// `scratch` is any buffer; its content is replaced.
    pub(crate) fn matches(&self, field: &str, scratch: &mut String) -> bool {
        let field = if self.rule.case_insensitive {
            scratch.clear();
            scratch.extend(field.chars().flat_map(char::to_lowercase));
            scratch.as_str()
        } else {
            field
        };
        let text = self.text.as_str();
        match self.rule.kind {
            MatchKind::Exact => field == text,
            MatchKind::Prefix => field.starts_with(text),
            MatchKind::Substring => field.contains(text),
        }
    }
}

fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// What a product update (`PUT`) does with the writable fields its body leaves out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UpdateSemantics {
    /// They are cleared: the body is the product's new content (the default; `groups` apart,
    /// see [`GroupsInUpdate`]).
    #[default]
    Replace,
    /// They keep their values: the body lists only what changes. Unknown fields merge key by
    /// key.
    Merge,
}

/// What a product update does with a `groups` field in its body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GroupsInUpdate {
    /// The product's groups become the ones sent; without `groups` (or with `null`) they are
    /// kept (the default).
    #[default]
    Applied,
    /// Accepted and dropped: the product's groups never change by an update.
    Ignored,
    /// A body with a `groups` key (even `null`) is refused: `400`, the message naming `groups`.
    Rejected,
}

/// What a list does with a `limit` above [`Dialect::limit_max`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LimitOverMax {
    /// `400`, as for a `limit` of 0 or one that is not a whole number (the default).
    #[default]
    Error,
    /// The page holds at most the maximum; a `limit` of digits too large for any integer too.
    Clamped,
}

/// How a list tells that no page follows, when pages carry a cursor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EndSignal {
    /// A page carries a cursor exactly when more items follow, so the last page has none, even
    /// when it is full (the default).
    #[default]
    NoCursor,
    /// Every page with items carries a cursor; the end is a page with no items (and no cursor).
    EmptyPage,
}

/// Which `audience` the token endpoint accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AudienceCheck {
    /// Exactly [`crate::FakeServer::audience`] for the account; anything else is a `400` (the
    /// default).
    #[default]
    Exact,
    /// Any string; `grant_type` and the client credentials are still checked.
    Any,
}

/// How the fake behaves where the real API's behaviour is a guess: one public field per
/// behaviour, each also set by a builder-style method or by the `KEY=VALUE` spelling of the
/// fake's `--dialect` flag (the names of the doctor's facts). [`Dialect::default()`] is the
/// fake as it always was. A server starts with
/// [`FakeServerBuilder::dialect`](crate::FakeServerBuilder::dialect)'s, and
/// [`FakeServer::set_dialect`](crate::FakeServer::set_dialect) changes it while it runs.
///
/// | key | values | default | what it changes |
/// |---|---|---|---|
/// | `create.status` (or `create`) | `200`, `201` | `200` | [`create_status`](Self::create_status) |
/// | `route.get_catalog`, `route.get_group`, `route.get_product` | `on`, `off` | `on` | whether the route exists ([`route`](Self::route)) |
/// | `routes.get` | `on`, `off` | | the three above at once |
/// | `route.delete_product` | `on`, `off` | `on` | whether `DELETE` of a product exists |
/// | `filter.product_id` | `exact`, `prefix`, `substring`, each with `_ci` | `exact` | the products list's `product_id` |
/// | `filter.group_id` | same | `exact` | the groups list's `group_id` |
/// | `filter.product_name` | same | `substring_ci` | the products list's `product_name` |
/// | `update.semantics` (or `update`) | `replace`, `merge` | `replace` | [`UpdateSemantics`] |
/// | `update.groups` | `applied`, `ignored`, `rejected` | `applied` | [`GroupsInUpdate`] |
/// | `delete_catalog.cascades` | `true`, `false` | `true` | [`delete_catalog_cascades`](Self::delete_catalog_cascades) |
/// | `list.limit_max` | a whole number from 1 | `100` | the largest `limit` |
/// | `list.limit_over_max` | `error`, `clamped` | `error` | [`LimitOverMax`] |
/// | `list.cursor_key` | a JSON key, or `none` | `starting_after` | [`cursor_key`](Self::cursor_key) |
/// | `list.end_signal` | `no_cursor`, `empty_page` | `no_cursor` | [`EndSignal`] |
/// | `error.not_found_code` | any text | `NOT FOUND` | `error.code` of every `404` |
/// | `header.request_id` | a header name, or `none` | `request-id` | the header with the request id |
/// | `token.audience` | `exact`, `any` | `exact` | [`AudienceCheck`] |
///
/// Boolean keys take `on`/`off` and `true`/`false` alike.
///
/// ```
/// use dintero_products_fake::{Dialect, FakeServer, Match, Route, UpdateSemantics};
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let dialect = Dialect::default()
///         .update(UpdateSemantics::Merge)
///         .product_name_filter(Match::prefix().ignoring_case())
///         .route(Route::GetProduct, false);
///     // The same, as the `--dialect` flag spells it:
///     let spelled = Dialect::from_settings([
///         "route.get_product=off",
///         "filter.product_name=prefix_ci",
///         "update=merge",
///     ])?;
///     assert_eq!(spelled, dialect);
///     // What differs from the default, in the canonical spelling:
///     assert_eq!(
///         dialect.changes(),
///         ["route.get_product=off", "filter.product_name=prefix_ci", "update.semantics=merge"]
///     );
///     // An unknown key or value is an error naming the key and what it accepts.
///     let error = "update.semantics=patch".parse::<Dialect>().unwrap_err();
///     assert!(error.to_string().contains("replace, merge"));
///
///     let server = FakeServer::builder().dialect(dialect).start().await?;
///     // Back to the default, from the next request on:
///     server.set_dialect(Dialect::default());
///     Ok(())
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dialect {
    /// The status of a successful create (`create.status`).
    pub create_status: CreateStatus,
    /// Whether `GET` of one catalog exists (`route.get_catalog`).
    pub get_catalog_route: bool,
    /// Whether `GET` of one group exists (`route.get_group`).
    pub get_group_route: bool,
    /// Whether `GET` of one product exists (`route.get_product`).
    pub get_product_route: bool,
    /// Whether `DELETE` of one product exists (`route.delete_product`).
    pub delete_product_route: bool,
    /// The products list's `product_id` filter (`filter.product_id`).
    pub product_id_filter: Match,
    /// The groups list's `group_id` filter (`filter.group_id`).
    pub group_id_filter: Match,
    /// The products list's `product_name` filter (`filter.product_name`).
    pub product_name_filter: Match,
    /// What a product update does with the fields its body leaves out (`update.semantics`).
    pub update: UpdateSemantics,
    /// What a product update does with `groups` (`update.groups`).
    pub groups_in_update: GroupsInUpdate,
    /// Whether deleting a catalog deletes its products (`delete_catalog.cascades`), as Dintero
    /// documents. When it does not, the catalog is gone (its routes answer `404`, lists leave
    /// it out, no product can be created in it) but its products stay under its id: listed,
    /// read, updated and deleted by the product routes as before, counted by
    /// [`FakeServer::product_count`](crate::FakeServer::product_count), and back in the
    /// catalog if one is created again with that id.
    pub delete_catalog_cascades: bool,
    /// The largest `limit` a list accepts (`list.limit_max`); 0 counts as 1. A list without
    /// `limit` has pages of 10, or of this when it is smaller.
    pub limit_max: u32,
    /// What a `limit` above [`limit_max`](Self::limit_max) does (`list.limit_over_max`).
    pub limit_over_max: LimitOverMax,
    /// The envelope key of the next-page cursor (`list.cursor_key`). The request parameter is
    /// `starting_after` whatever this is. With `None`, no page carries a cursor: a client
    /// sends the last id it saw as `starting_after` (a plain id, not an opaque cursor), and
    /// the end is a page with no items, or with fewer than it asked for. A key that is the
    /// list's own array key (`catalogs`, `groups`, `products`) is not written.
    pub cursor_key: Option<String>,
    /// How a list with a cursor key signals its end (`list.end_signal`); no effect without one.
    pub end_signal: EndSignal,
    /// The `error.code` of every `404` the API answers, unknown and switched-off routes
    /// included (`error.not_found_code`). An injected
    /// [`FaultKind::Status`](crate::FaultKind::Status) keeps its own code.
    pub not_found_code: String,
    /// The response header that carries the request id (`header.request_id`), on every
    /// answer; `None` sends none.
    /// [`RecordedRequest::request_id`](crate::RecordedRequest::request_id) has the id either
    /// way.
    pub request_id_header: Option<HeaderName>,
    /// Which `audience` the token endpoint accepts (`token.audience`).
    pub audience: AudienceCheck,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            create_status: CreateStatus::Ok,
            get_catalog_route: true,
            get_group_route: true,
            get_product_route: true,
            delete_product_route: true,
            product_id_filter: Match::exact(),
            group_id_filter: Match::exact(),
            product_name_filter: Match::substring().ignoring_case(),
            update: UpdateSemantics::Replace,
            groups_in_update: GroupsInUpdate::Applied,
            delete_catalog_cascades: true,
            limit_max: DEFAULT_LIMIT_MAX,
            limit_over_max: LimitOverMax::Error,
            cursor_key: Some(DEFAULT_CURSOR_KEY.to_owned()),
            end_signal: EndSignal::NoCursor,
            not_found_code: DEFAULT_NOT_FOUND_CODE.to_owned(),
            request_id_header: Some(HeaderName::from_static(DEFAULT_REQUEST_ID_HEADER)),
            audience: AudienceCheck::Exact,
        }
    }
}

impl Dialect {
    /// The status of a successful create.
    pub fn create_status(mut self, status: CreateStatus) -> Self {
        self.create_status = status;
        self
    }

    /// Whether `route` exists (`true`) or answers as an unknown path (`false`).
    pub fn route(mut self, route: Route, exists: bool) -> Self {
        *self.route_mut(route) = exists;
        self
    }

    /// Whether the `GET` routes of one catalog, one group and one product exist.
    pub fn get_routes(self, exist: bool) -> Self {
        self.route(Route::GetCatalog, exist)
            .route(Route::GetGroup, exist)
            .route(Route::GetProduct, exist)
    }

    /// Whether `route` exists in this dialect.
    pub fn serves(&self, route: Route) -> bool {
        match route {
            Route::GetCatalog => self.get_catalog_route,
            Route::GetGroup => self.get_group_route,
            Route::GetProduct => self.get_product_route,
            Route::DeleteProduct => self.delete_product_route,
        }
    }

    fn route_mut(&mut self, route: Route) -> &mut bool {
        match route {
            Route::GetCatalog => &mut self.get_catalog_route,
            Route::GetGroup => &mut self.get_group_route,
            Route::GetProduct => &mut self.get_product_route,
            Route::DeleteProduct => &mut self.delete_product_route,
        }
    }

    /// The rule of the products list's `product_id` filter.
    pub fn product_id_filter(mut self, rule: Match) -> Self {
        self.product_id_filter = rule;
        self
    }

    /// The rule of the groups list's `group_id` filter.
    pub fn group_id_filter(mut self, rule: Match) -> Self {
        self.group_id_filter = rule;
        self
    }

    /// The rule of the products list's `product_name` filter.
    pub fn product_name_filter(mut self, rule: Match) -> Self {
        self.product_name_filter = rule;
        self
    }

    /// What a product update does with the fields its body leaves out.
    pub fn update(mut self, semantics: UpdateSemantics) -> Self {
        self.update = semantics;
        self
    }

    /// What a product update does with `groups`.
    pub fn groups_in_update(mut self, groups: GroupsInUpdate) -> Self {
        self.groups_in_update = groups;
        self
    }

    /// Whether deleting a catalog deletes its products; see the field
    /// [`delete_catalog_cascades`](Self#structfield.delete_catalog_cascades).
    pub fn delete_catalog_cascades(mut self, cascades: bool) -> Self {
        self.delete_catalog_cascades = cascades;
        self
    }

    /// The largest `limit` a list accepts; 0 is taken as 1.
    pub fn limit_max(mut self, max: u32) -> Self {
        self.limit_max = max.max(1);
        self
    }

    /// What a `limit` above the maximum does.
    pub fn limit_over_max(mut self, over: LimitOverMax) -> Self {
        self.limit_over_max = over;
        self
    }

    /// The envelope key of the next-page cursor.
    pub fn cursor_key(mut self, key: impl Into<String>) -> Self {
        self.cursor_key = Some(key.into());
        self
    }

    /// No cursor in any page; see the field [`cursor_key`](Self#structfield.cursor_key).
    pub fn no_cursor_key(mut self) -> Self {
        self.cursor_key = None;
        self
    }

    /// How a list with a cursor key signals its end.
    pub fn end_signal(mut self, signal: EndSignal) -> Self {
        self.end_signal = signal;
        self
    }

    /// The `error.code` of every `404`.
    pub fn not_found_code(mut self, code: impl Into<String>) -> Self {
        self.not_found_code = code.into();
        self
    }

    /// The response header that carries the request id.
    pub fn request_id_header(mut self, name: HeaderName) -> Self {
        self.request_id_header = Some(name);
        self
    }

    /// No request-id header.
    pub fn no_request_id_header(mut self) -> Self {
        self.request_id_header = None;
        self
    }

    /// Which `audience` the token endpoint accepts.
    pub fn audience(mut self, check: AudienceCheck) -> Self {
        self.audience = check;
        self
    }

    /// The keys of the `KEY=VALUE` spelling, each with the values it accepts, in the order of
    /// [`settings`](Self::settings); the shortcuts (`routes.get`, `create`, `update`) are not
    /// listed.
    pub fn keys() -> &'static [(&'static str, &'static str)] {
        KEYS
    }

    /// Applies one `KEY=VALUE` setting.
    ///
    /// # Errors
    ///
    /// When `key` is unknown or `value` is not one it accepts; the message names the key and
    /// the values it accepts (or the keys).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), DialectError> {
        let bad = |accepted| DialectError::BadValue {
            key: key.to_owned(),
            value: value.to_owned(),
            accepted,
        };
        match key {
            "create.status" | "create" => {
                self.create_status = match value {
                    "200" => CreateStatus::Ok,
                    "201" => CreateStatus::Created,
                    _ => return Err(bad(accepted("create.status"))),
                };
            }
            "route.get_catalog"
            | "route.get_group"
            | "route.get_product"
            | "route.delete_product"
            | "routes.get" => {
                let exists = boolean(value).ok_or_else(|| bad(accepted("route.get_catalog")))?;
                let routes: &[Route] = match key {
                    "route.get_catalog" => &[Route::GetCatalog],
                    "route.get_group" => &[Route::GetGroup],
                    "route.get_product" => &[Route::GetProduct],
                    "route.delete_product" => &[Route::DeleteProduct],
                    _ => &[Route::GetCatalog, Route::GetGroup, Route::GetProduct],
                };
                for route in routes {
                    *self.route_mut(*route) = exists;
                }
            }
            "filter.product_id" | "filter.group_id" | "filter.product_name" => {
                let rule: Match = value.parse().map_err(|_| bad(MATCH_VALUES))?;
                match key {
                    "filter.product_id" => self.product_id_filter = rule,
                    "filter.group_id" => self.group_id_filter = rule,
                    _ => self.product_name_filter = rule,
                }
            }
            "update.semantics" | "update" => {
                self.update = match value {
                    "replace" => UpdateSemantics::Replace,
                    "merge" => UpdateSemantics::Merge,
                    _ => return Err(bad(accepted("update.semantics"))),
                };
            }
            "update.groups" => {
                self.groups_in_update = match value {
                    "applied" => GroupsInUpdate::Applied,
                    "ignored" => GroupsInUpdate::Ignored,
                    "rejected" => GroupsInUpdate::Rejected,
                    _ => return Err(bad(accepted(key))),
                };
            }
            "delete_catalog.cascades" => {
                self.delete_catalog_cascades = boolean(value).ok_or_else(|| bad(accepted(key)))?;
            }
            "list.limit_max" => {
                self.limit_max = match value.parse::<u32>() {
                    Ok(max) if max > 0 && value.bytes().all(|b| b.is_ascii_digit()) => max,
                    _ => return Err(bad(accepted(key))),
                };
            }
            "list.limit_over_max" => {
                self.limit_over_max = match value {
                    "error" => LimitOverMax::Error,
                    "clamped" => LimitOverMax::Clamped,
                    _ => return Err(bad(accepted(key))),
                };
            }
            "list.cursor_key" => {
                self.cursor_key = match value {
                    "none" => None,
                    "" | "catalogs" | "groups" | "products" => return Err(bad(accepted(key))),
                    name => Some(name.to_owned()),
                };
            }
            "list.end_signal" => {
                self.end_signal = match value {
                    "no_cursor" => EndSignal::NoCursor,
                    "empty_page" => EndSignal::EmptyPage,
                    _ => return Err(bad(accepted(key))),
                };
            }
            "error.not_found_code" => self.not_found_code = value.to_owned(),
            "header.request_id" => {
                self.request_id_header = match value {
                    "none" => None,
                    name => Some(
                        HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad(accepted(key)))?,
                    ),
                };
            }
            "token.audience" => {
                self.audience = match value {
                    "exact" => AudienceCheck::Exact,
                    "any" => AudienceCheck::Any,
                    _ => return Err(bad(accepted(key))),
                };
            }
            _ => {
                return Err(DialectError::UnknownKey {
                    key: key.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Applies `KEY=VALUE` settings in order (a later one for the same key wins).
    ///
    /// # Errors
    ///
    /// At the first setting that is not `KEY=VALUE`, names an unknown key, or gives a value
    /// its key does not accept.
    pub fn apply<I>(mut self, settings: I) -> Result<Self, DialectError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for setting in settings {
            let setting = setting.as_ref();
            let (key, value) =
                setting
                    .split_once('=')
                    .ok_or_else(|| DialectError::NotKeyValue {
                        setting: setting.to_owned(),
                    })?;
            self.set(key, value)?;
        }
        Ok(self)
    }

    /// The default dialect with `KEY=VALUE` settings applied; see [`apply`](Self::apply).
    ///
    /// # Errors
    ///
    /// As [`apply`](Self::apply).
    pub fn from_settings<I>(settings: I) -> Result<Self, DialectError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Dialect::default().apply(settings)
    }

    /// Every key with its value, as `KEY=VALUE`, in the order of [`keys`](Self::keys):
    /// [`from_settings`](Self::from_settings) of them is this dialect again.
    pub fn settings(&self) -> Vec<String> {
        let on = |exists: bool| if exists { "on" } else { "off" };
        let values: [(&str, String); 18] = [
            ("create.status", self.create_status.code().to_string()),
            ("route.get_catalog", on(self.get_catalog_route).to_owned()),
            ("route.get_group", on(self.get_group_route).to_owned()),
            ("route.get_product", on(self.get_product_route).to_owned()),
            (
                "route.delete_product",
                on(self.delete_product_route).to_owned(),
            ),
            ("filter.product_id", self.product_id_filter.to_string()),
            ("filter.group_id", self.group_id_filter.to_string()),
            ("filter.product_name", self.product_name_filter.to_string()),
            (
                "update.semantics",
                match self.update {
                    UpdateSemantics::Replace => "replace",
                    UpdateSemantics::Merge => "merge",
                }
                .to_owned(),
            ),
            (
                "update.groups",
                match self.groups_in_update {
                    GroupsInUpdate::Applied => "applied",
                    GroupsInUpdate::Ignored => "ignored",
                    GroupsInUpdate::Rejected => "rejected",
                }
                .to_owned(),
            ),
            (
                "delete_catalog.cascades",
                self.delete_catalog_cascades.to_string(),
            ),
            ("list.limit_max", self.limit_max.max(1).to_string()),
            (
                "list.limit_over_max",
                match self.limit_over_max {
                    LimitOverMax::Error => "error",
                    LimitOverMax::Clamped => "clamped",
                }
                .to_owned(),
            ),
            (
                "list.cursor_key",
                self.cursor_key.clone().unwrap_or_else(|| "none".to_owned()),
            ),
            (
                "list.end_signal",
                match self.end_signal {
                    EndSignal::NoCursor => "no_cursor",
                    EndSignal::EmptyPage => "empty_page",
                }
                .to_owned(),
            ),
            ("error.not_found_code", self.not_found_code.clone()),
            (
                "header.request_id",
                self.request_id_header
                    .as_ref()
                    .map_or("none", HeaderName::as_str)
                    .to_owned(),
            ),
            (
                "token.audience",
                match self.audience {
                    AudienceCheck::Exact => "exact",
                    AudienceCheck::Any => "any",
                }
                .to_owned(),
            ),
        ];
        values
            .into_iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect()
    }

    /// The settings that differ from the default's, as `KEY=VALUE`, in the order of
    /// [`keys`](Self::keys); empty for the default.
    pub fn changes(&self) -> Vec<String> {
        let default = Dialect::default().settings();
        self.settings()
            .into_iter()
            .zip(default)
            .filter(|(mine, default)| mine != default)
            .map(|(mine, _)| mine)
            .collect()
    }
}

impl FromStr for Dialect {
    type Err = DialectError;

    /// The default dialect with one `KEY=VALUE` setting applied.
    fn from_str(setting: &str) -> Result<Self, DialectError> {
        Dialect::from_settings([setting])
    }
}

impl fmt::Display for Dialect {
    /// The changes from the default, space-separated, or `default`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let changes = self.changes();
        if changes.is_empty() {
            f.write_str("default")
        } else {
            f.write_str(&changes.join(" "))
        }
    }
}

const MATCH_VALUES: &str = "exact, prefix, substring, exact_ci, prefix_ci, substring_ci";

const KEYS: &[(&str, &str)] = &[
    ("create.status", "200, 201"),
    ("route.get_catalog", "on, off (or true, false)"),
    ("route.get_group", "on, off (or true, false)"),
    ("route.get_product", "on, off (or true, false)"),
    ("route.delete_product", "on, off (or true, false)"),
    ("filter.product_id", MATCH_VALUES),
    ("filter.group_id", MATCH_VALUES),
    ("filter.product_name", MATCH_VALUES),
    ("update.semantics", "replace, merge"),
    ("update.groups", "applied, ignored, rejected"),
    ("delete_catalog.cascades", "true, false (or on, off)"),
    ("list.limit_max", "a whole number from 1"),
    ("list.limit_over_max", "error, clamped"),
    (
        "list.cursor_key",
        "a non-empty JSON key other than catalogs, groups and products, or none",
    ),
    ("list.end_signal", "no_cursor, empty_page"),
    ("error.not_found_code", "any text"),
    ("header.request_id", "an HTTP header name, or none"),
    ("token.audience", "exact, any"),
];

/// The values `key` accepts, from the table (every caller names a key of it).
fn accepted(key: &str) -> &'static str {
    KEYS.iter()
        .find(|(k, _)| *k == key)
        .map_or("see Dialect::keys", |(_, values)| values)
}

fn boolean(value: &str) -> Option<bool> {
    match value {
        "on" | "true" => Some(true),
        "off" | "false" => Some(false),
        _ => None,
    }
}

/// A `KEY=VALUE` dialect setting that cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialectError {
    /// The setting has no `=`.
    NotKeyValue {
        /// The setting as given.
        setting: String,
    },
    /// No such key.
    UnknownKey {
        /// The key as given.
        key: String,
    },
    /// The key does not take this value.
    BadValue {
        /// The key.
        key: String,
        /// The value as given.
        value: String,
        /// What the key accepts.
        accepted: &'static str,
    },
}

impl fmt::Display for DialectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = || {
            KEYS.iter()
                .map(|(key, _)| *key)
                .chain(["routes.get"])
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            DialectError::NotKeyValue { setting } => write!(
                f,
                "dialect setting {setting:?} is not KEY=VALUE; the keys are: {}",
                keys()
            ),
            DialectError::UnknownKey { key } => {
                write!(f, "unknown dialect key {key:?}; the keys are: {}", keys())
            }
            DialectError::BadValue {
                key,
                value,
                accepted,
            } => write!(
                f,
                "dialect key {key:?} does not take {value:?}; it takes: {accepted}"
            ),
        }
    }
}

impl std::error::Error for DialectError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_listed_and_round_trips() {
        let settings = Dialect::default().settings();
        let keys: Vec<&str> = settings
            .iter()
            .filter_map(|s| s.split_once('=').map(|(k, _)| k))
            .collect();
        let listed: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, listed);
        assert_eq!(Dialect::from_settings(&settings), Ok(Dialect::default()));
        assert!(Dialect::default().changes().is_empty());
        assert_eq!(Dialect::default().to_string(), "default");
    }

    #[test]
    fn matchers_fold_case_per_character() {
        let rule = Match::substring().ignoring_case();
        let matcher = Matcher::new(rule, "ÆB");
        let mut scratch = String::new();
        assert!(matcher.matches("xæb", &mut scratch));
        assert!(!Matcher::new(Match::substring(), "ÆB").matches("xæb", &mut scratch));
        assert!(Match::exact().matches("", ""));
        assert!(Match::prefix().matches("abc", ""));
    }

    #[test]
    fn zero_is_not_a_limit() {
        assert_eq!(Dialect::default().limit_max(0).limit_max, 1);
        for bad in ["0", "-1", "+5", "", "x", "99999999999"] {
            let error = format!("list.limit_max={bad}").parse::<Dialect>().err();
            assert!(
                matches!(error, Some(DialectError::BadValue { .. })),
                "{bad}"
            );
        }
    }
}
