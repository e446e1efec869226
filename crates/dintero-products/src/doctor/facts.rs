//! The facts the doctor checks, what one finding says, and [`ApiFacts`]: a saved report that
//! a client can be given later.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// One behaviour of the API that this SDK assumes without Dintero publishing it, and that
/// [`Client::doctor`](crate::Client::doctor) checks on a real account. The name of each is
/// its key in [`DoctorReport::to_json`](crate::DoctorReport::to_json) and in a saved
/// [`ApiFacts`].
///
/// ```
/// use dintero_products::Fact;
///
/// assert_eq!(Fact::ListCursorKey.name(), "list.cursor_key");
/// // Displayed as its name, padded as asked: a table's first column.
/// assert_eq!(format!("{:<16}|", Fact::ListCursorKey), "list.cursor_key |");
/// assert_eq!("update.groups".parse::<Fact>(), Ok(Fact::UpdateGroups));
/// assert_eq!(Fact::ALL.len(), 20);
/// assert!(Fact::CreateStatus.is_write() && !Fact::TokenAudience.is_write());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Fact {
    /// `token.audience`: the audience the client sends is accepted. Assumed: that audience;
    /// observed: the audience when accepted, else `{"status", "body"}` of the refusal.
    TokenAudience,
    /// `token.expires_in`: a token's lifetime in seconds, as sent. Assumed: `14400` (4 hours,
    /// as Dintero's guides say).
    TokenExpiresIn,
    /// `list.limit_max`: the largest `limit` a list serves. Assumed: `100`.
    ListLimitMax,
    /// `list.limit_over_max`: what a larger `limit` does, `"error"` or `"clamped"`.
    /// Assumed: `"error"`.
    ListLimitOverMax,
    /// `list.cursor_key`: the key of the list envelope holding the next cursor, or `null` when
    /// pages carry none. Assumed: `"starting_after"`.
    ListCursorKey,
    /// `list.end_signal`: how the last page is told, `"no_cursor"` (it has no cursor) or
    /// `"empty_page"` (an empty page follows it). Assumed: `"no_cursor"`.
    ListEndSignal,
    /// `filter.product_id`: how the products list's `product_id` filter matches: `"exact"`,
    /// `"prefix"` or `"substring"`, with `"_ci"` when it ignores case (`"ignored"` when the
    /// list ignores it). Assumed: `"exact"`.
    FilterProductId,
    /// `filter.group_id`: the groups list's `group_id` filter, spelled as
    /// [`FilterProductId`](Self::FilterProductId). Assumed: `"exact"`.
    FilterGroupId,
    /// `filter.product_name`: the products list's `product_name` filter, spelled as
    /// [`FilterProductId`](Self::FilterProductId). Assumed: `"substring_ci"`: the YAML says
    /// only "Lookup on product name", and a name lookup most plausibly finds part of a name
    /// whatever its case.
    FilterProductName,
    /// `route.get_catalog`: `GET .../catalogs/{catalog_id}` exists. Assumed: `true` (the YAML
    /// has it, marked `x-inferred`).
    RouteGetCatalog,
    /// `route.get_group`: `GET .../groups/{group_id}` exists. Assumed: `true` (inferred).
    RouteGetGroup,
    /// `route.get_product`: `GET .../products/{product_id}` exists. Assumed: `true`
    /// (inferred).
    RouteGetProduct,
    /// `route.delete_product`: `DELETE .../products/{product_id}` exists. Assumed: `true`
    /// (inferred). A write probe.
    RouteDeleteProduct,
    /// `create.status`: the status of a successful create, `200` or `201` (an object by kind
    /// when catalogs, groups and products differ). Assumed: `201`, as the YAML says. A write
    /// probe.
    CreateStatus,
    /// `create.groups`: a product created with `groups` ends up in them. Assumed: `true`. A
    /// write probe.
    CreateGroups,
    /// `update.semantics`: what a product update does with the fields it leaves out:
    /// `"replace"` (cleared) or `"merge"` (kept). Assumed: `"replace"`. A write probe.
    UpdateSemantics,
    /// `update.groups`: what a product update does with `groups` in its body: `"applied"`,
    /// `"ignored"` or `"rejected"`. A write probe.
    ///
    /// Assumed: `"ignored"`, which states the SDK's assumption that an update cannot change a
    /// product's groups: its update body has no `groups`, and a sync changes them by deleting
    /// the product and creating it again (a recreate, with consent). `"rejected"` holds as
    /// well (an update still cannot change them, and the SDK never sends the field); only
    /// `"applied"` contradicts it, meaning that recreates are needless.
    UpdateGroups,
    /// `delete_catalog.cascades`: deleting a catalog deletes its products. Assumed: `true`, as
    /// Dintero's reference says ("Delete catalog and all corresponding products"). A write
    /// probe.
    DeleteCatalogCascades,
    /// `error.not_found_code`: the `error.code` of a `404`. Assumed: `"NOT FOUND"` (with a
    /// space, as Dintero's error page shows).
    ErrorNotFoundCode,
    /// `header.request_id`: the response header carrying a request id, or `null`. Assumed:
    /// `null`: Dintero publishes none for this API.
    HeaderRequestId,
}

impl Fact {
    /// Every fact, in the order of a report's table.
    pub const ALL: [Fact; 20] = [
        Fact::TokenAudience,
        Fact::TokenExpiresIn,
        Fact::ListLimitMax,
        Fact::ListLimitOverMax,
        Fact::ListCursorKey,
        Fact::ListEndSignal,
        Fact::FilterProductId,
        Fact::FilterGroupId,
        Fact::FilterProductName,
        Fact::RouteGetCatalog,
        Fact::RouteGetGroup,
        Fact::RouteGetProduct,
        Fact::RouteDeleteProduct,
        Fact::CreateStatus,
        Fact::CreateGroups,
        Fact::UpdateSemantics,
        Fact::UpdateGroups,
        Fact::DeleteCatalogCascades,
        Fact::ErrorNotFoundCode,
        Fact::HeaderRequestId,
    ];

    /// The fact's name: its key in the JSON of a report.
    pub const fn name(self) -> &'static str {
        match self {
            Fact::TokenAudience => "token.audience",
            Fact::TokenExpiresIn => "token.expires_in",
            Fact::ListLimitMax => "list.limit_max",
            Fact::ListLimitOverMax => "list.limit_over_max",
            Fact::ListCursorKey => "list.cursor_key",
            Fact::ListEndSignal => "list.end_signal",
            Fact::FilterProductId => "filter.product_id",
            Fact::FilterGroupId => "filter.group_id",
            Fact::FilterProductName => "filter.product_name",
            Fact::RouteGetCatalog => "route.get_catalog",
            Fact::RouteGetGroup => "route.get_group",
            Fact::RouteGetProduct => "route.get_product",
            Fact::RouteDeleteProduct => "route.delete_product",
            Fact::CreateStatus => "create.status",
            Fact::CreateGroups => "create.groups",
            Fact::UpdateSemantics => "update.semantics",
            Fact::UpdateGroups => "update.groups",
            Fact::DeleteCatalogCascades => "delete_catalog.cascades",
            Fact::ErrorNotFoundCode => "error.not_found_code",
            Fact::HeaderRequestId => "header.request_id",
        }
    }

    /// Whether checking the fact needs writes (only with
    /// [`Doctor::write`](crate::Doctor::write), on a test account).
    pub const fn is_write(self) -> bool {
        matches!(
            self,
            Fact::RouteDeleteProduct
                | Fact::CreateStatus
                | Fact::CreateGroups
                | Fact::UpdateSemantics
                | Fact::UpdateGroups
                | Fact::DeleteCatalogCascades
        )
    }

    /// What the SDK assumes, for every fact but `token.audience` (whose assumption is the
    /// audience a client sends, known per client).
    pub(crate) fn assumed(self) -> Value {
        match self {
            Fact::TokenAudience => Value::Null,
            Fact::TokenExpiresIn => json!(14_400),
            Fact::ListLimitMax => json!(100),
            Fact::ListLimitOverMax => json!("error"),
            Fact::ListCursorKey => json!("starting_after"),
            Fact::ListEndSignal => json!("no_cursor"),
            Fact::FilterProductId | Fact::FilterGroupId => json!("exact"),
            Fact::FilterProductName => json!("substring_ci"),
            Fact::RouteGetCatalog
            | Fact::RouteGetGroup
            | Fact::RouteGetProduct
            | Fact::RouteDeleteProduct
            | Fact::CreateGroups
            | Fact::DeleteCatalogCascades => json!(true),
            Fact::CreateStatus => json!(201),
            Fact::UpdateSemantics => json!("replace"),
            Fact::UpdateGroups => json!("ignored"),
            Fact::ErrorNotFoundCode => json!("NOT FOUND"),
            Fact::HeaderRequestId => Value::Null,
        }
    }

    /// Whether `observed` agrees with `assumed`: equal, numbers by value; for
    /// `update.groups`, anything but `"applied"` (see [`Fact::UpdateGroups`]).
    pub(crate) fn holds(self, assumed: &Value, observed: &Value) -> bool {
        match self {
            Fact::UpdateGroups => {
                matches!(observed.as_str(), Some("ignored" | "rejected"))
            }
            _ => same(assumed, observed),
        }
    }
}

/// JSON equality, with numbers compared by value (`14400` and `14400.0` are the same).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        _ => a == b,
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A name that is not a [`Fact`]'s.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown fact {0:?}; the facts are: {names}", names = fact_names())]
pub struct UnknownFact(pub String);

fn fact_names() -> String {
    Fact::ALL.map(Fact::name).join(", ")
}

impl FromStr for Fact {
    type Err = UnknownFact;

    /// The fact of this [`name`](Fact::name).
    fn from_str(name: &str) -> Result<Self, UnknownFact> {
        Fact::ALL
            .into_iter()
            .find(|fact| fact.name() == name)
            .ok_or_else(|| UnknownFact(name.to_owned()))
    }
}

/// What the doctor found out about one [`Fact`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Finding {
    /// What the SDK assumes.
    pub assumed: Value,
    /// What the server did, in the fact's spelling (or, where it did something else, what it
    /// answered); `None` when the probe was skipped. `Some(Value::Null)` is an observed
    /// `null` (no request-id header, no cursor key).
    pub observed: Option<Value>,
    /// Whether the server agrees with the assumption. A skipped probe contradicts nothing:
    /// `true`.
    pub holds: bool,
    /// Why the probe was skipped (read-only mode, too little data, a failed request).
    pub skipped: Option<String>,
}

impl Finding {
    pub(crate) fn observed(fact: Fact, assumed: Value, observed: Value) -> Self {
        Finding {
            holds: fact.holds(&assumed, &observed),
            assumed,
            observed: Some(observed),
            skipped: None,
        }
    }

    pub(crate) fn skipped(assumed: Value, reason: impl Into<String>) -> Self {
        Finding {
            assumed,
            observed: None,
            holds: true,
            skipped: Some(reason.into()),
        }
    }

    /// Whether the probe was skipped.
    pub fn is_skipped(&self) -> bool {
        self.skipped.is_some()
    }

    /// `{"assumed": .., "observed": .., "holds": ..}`, plus `"skipped": ".."` when skipped.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("assumed".into(), self.assumed.clone());
        object.insert(
            "observed".into(),
            self.observed.clone().unwrap_or(Value::Null),
        );
        object.insert("holds".into(), Value::Bool(self.holds));
        if let Some(reason) = &self.skipped {
            object.insert("skipped".into(), Value::String(reason.clone()));
        }
        Value::Object(object)
    }

    fn from_json(fact: Fact, value: &Value) -> Result<Self, FactsError> {
        let shape = |message: &str| FactsError::Shape {
            fact: fact.name(),
            message: message.to_owned(),
        };
        let object = value.as_object().ok_or_else(|| shape("not an object"))?;
        let holds = object
            .get("holds")
            .and_then(Value::as_bool)
            .ok_or_else(|| shape("`holds` is not true or false"))?;
        let skipped = match object.get("skipped") {
            None | Some(Value::Null) => None,
            Some(Value::String(reason)) => Some(reason.clone()),
            Some(_) => return Err(shape("`skipped` is not a string")),
        };
        let observed = object.get("observed").cloned().unwrap_or(Value::Null);
        Ok(Finding {
            assumed: object.get("assumed").cloned().unwrap_or(Value::Null),
            // A skipped finding's `null` is "not observed", not an observed null.
            observed: skipped.is_none().then_some(observed),
            holds,
            skipped,
        })
    }
}

/// What went wrong reading or writing saved [`ApiFacts`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FactsError {
    /// The file could not be read or written.
    #[error("could not read or write the facts file")]
    Io(#[from] std::io::Error),
    /// The text is not JSON.
    #[error("the facts are not JSON")]
    Json(#[from] serde_json::Error),
    /// The JSON is not an object of findings.
    #[error("the facts have the wrong shape at {fact:?}: {message}")]
    Shape {
        /// The fact's name (`"."` for the whole document).
        fact: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The findings of a doctor run, saved and loaded again: what the API of one account was
/// observed to do, for a client to be given later.
///
/// Its JSON is [`DoctorReport::to_json`](crate::DoctorReport::to_json)'s: one object whose
/// keys are the fact names. Keys this version does not know (a newer doctor's facts) are
/// ignored when loading; facts missing from the file are absent.
///
/// ```
/// use dintero_products::{ApiFacts, Fact};
///
/// let facts = ApiFacts::from_json(r#"{
///     "list.cursor_key": {"assumed": "starting_after", "observed": "next", "holds": false},
///     "create.status": {"assumed": 201, "observed": null, "holds": true, "skipped": "read-only"}
/// }"#)?;
/// assert_eq!(facts.observed(Fact::ListCursorKey), Some(&serde_json::json!("next")));
/// assert_eq!(facts.observed(Fact::CreateStatus), None); // skipped
/// assert_eq!(facts.observed(Fact::TokenAudience), None); // absent
/// # Ok::<(), dintero_products::FactsError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiFacts {
    findings: BTreeMap<Fact, Finding>,
}

impl ApiFacts {
    pub(crate) fn from_findings(findings: impl IntoIterator<Item = (Fact, Finding)>) -> Self {
        ApiFacts {
            findings: findings.into_iter().collect(),
        }
    }

    /// Reads facts from the JSON of a report.
    ///
    /// # Errors
    ///
    /// When `text` is not JSON, or not an object whose known keys hold findings.
    pub fn from_json(text: &str) -> Result<ApiFacts, FactsError> {
        Self::from_value(&serde_json::from_str(text)?)
    }

    /// Reads facts from the JSON value of a report; see [`from_json`](Self::from_json).
    ///
    /// # Errors
    ///
    /// When `value` is not an object whose known keys hold findings.
    pub fn from_value(value: &Value) -> Result<ApiFacts, FactsError> {
        let object = value.as_object().ok_or_else(|| FactsError::Shape {
            fact: ".",
            message: "not an object".into(),
        })?;
        let mut findings = BTreeMap::new();
        for (name, value) in object {
            // A newer doctor's fact: nothing this version could use.
            let Ok(fact) = name.parse::<Fact>() else {
                continue;
            };
            findings.insert(fact, Finding::from_json(fact, value)?);
        }
        Ok(ApiFacts { findings })
    }

    /// Reads a file written by [`save`](Self::save) (or by the command line's `--save`).
    ///
    /// # Errors
    ///
    /// When the file cannot be read or does not hold facts.
    pub fn load(path: impl AsRef<Path>) -> Result<ApiFacts, FactsError> {
        Self::from_json(&std::fs::read_to_string(path)?)
    }

    /// Writes the facts as JSON, one fact per line in the order of [`Fact::ALL`].
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), FactsError> {
        std::fs::write(path, self.to_json_string())?;
        Ok(())
    }

    /// The JSON object: a key per fact present.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.iter()
                .map(|(fact, finding)| (fact.name().to_owned(), finding.to_json()))
                .collect(),
        )
    }

    /// [`to_json`](Self::to_json) as text, the facts in the order of [`Fact::ALL`] (a
    /// `serde_json` map may sort its keys), a line each, ending in a newline.
    pub fn to_json_string(&self) -> String {
        let lines: Vec<String> = self
            .iter()
            .map(|(fact, finding)| {
                // A name and a JSON value always serialise.
                let name = Value::String(fact.name().to_owned());
                format!("  {name}: {}", finding.to_json())
            })
            .collect();
        if lines.is_empty() {
            "{}\n".to_owned()
        } else {
            format!("{{\n{}\n}}\n", lines.join(",\n"))
        }
    }

    /// What was observed for `fact`; `None` when the fact is absent or its probe was skipped.
    pub fn observed(&self, fact: Fact) -> Option<&Value> {
        self.findings.get(&fact)?.observed.as_ref()
    }

    /// What was observed for `fact`, when it is `true` or `false` (the `route.*` facts,
    /// `create.groups`, `delete_catalog.cascades`); `None` when absent, skipped, or anything
    /// else (a probe that met an error observes the error).
    ///
    /// ```
    /// use dintero_products::{ApiFacts, Fact};
    ///
    /// let facts = ApiFacts::from_json(r#"{
    ///     "route.get_product": {"assumed": true, "observed": false, "holds": false},
    ///     "route.get_group": {"assumed": true, "observed": {"status": 500, "body": ""}, "holds": false}
    /// }"#)?;
    /// assert_eq!(facts.observed_bool(Fact::RouteGetProduct), Some(false));
    /// assert_eq!(facts.observed_bool(Fact::RouteGetGroup), None);
    /// # Ok::<(), dintero_products::FactsError>(())
    /// ```
    pub fn observed_bool(&self, fact: Fact) -> Option<bool> {
        self.observed(fact)?.as_bool()
    }

    /// What was observed for `fact`, when it is text (`"exact"`, `"applied"`, ...); `None`
    /// when absent, skipped, or anything else.
    ///
    /// ```
    /// use dintero_products::{ApiFacts, Fact};
    ///
    /// let facts = ApiFacts::from_json(
    ///     r#"{"update.groups": {"assumed": "ignored", "observed": "applied", "holds": false}}"#,
    /// )?;
    /// assert_eq!(facts.observed_str(Fact::UpdateGroups), Some("applied"));
    /// assert_eq!(facts.observed_str(Fact::FilterProductId), None);
    /// # Ok::<(), dintero_products::FactsError>(())
    /// ```
    pub fn observed_str(&self, fact: Fact) -> Option<&str> {
        self.observed(fact)?.as_str()
    }

    /// Whether a product update was seen to apply the `groups` it carries: then a client
    /// given these facts changes a product's groups by an update, not by a recreate.
    pub(crate) fn update_applies_groups(&self) -> bool {
        self.observed_str(Fact::UpdateGroups) == Some("applied")
    }

    /// Whether the `GET` route of `route` (a `route.get_*` fact) was seen to exist.
    pub(crate) fn route_exists(&self, route: Fact) -> bool {
        self.observed_bool(route) == Some(true)
    }

    /// Whether the list filter `filter` (a `filter.*` fact) was seen to match whole values
    /// only, case included.
    pub(crate) fn filter_is_exact(&self, filter: Fact) -> bool {
        self.observed_str(filter) == Some("exact")
    }

    /// The whole finding for `fact`, if present.
    pub fn finding(&self, fact: Fact) -> Option<&Finding> {
        self.findings.get(&fact)
    }

    /// The findings present, in the order of [`Fact::ALL`].
    pub fn iter(&self) -> impl Iterator<Item = (Fact, &Finding)> {
        // `Fact`'s `Ord` is its declaration order, which is `ALL`'s.
        self.findings.iter().map(|(fact, finding)| (*fact, finding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_order() {
        let mut sorted = Fact::ALL;
        sorted.sort();
        assert_eq!(sorted, Fact::ALL, "Ord follows ALL");
        for fact in Fact::ALL {
            assert_eq!(fact.name().parse::<Fact>(), Ok(fact));
        }
        let error = "list.limit".parse::<Fact>().unwrap_err();
        assert!(error.to_string().contains("list.limit_max"), "{error}");
    }

    #[test]
    fn numbers_compare_by_value() {
        let finding = Finding::observed(Fact::TokenExpiresIn, json!(14_400), json!(14_400.0));
        assert!(finding.holds);
        let groups = |value: &str| {
            Finding::observed(Fact::UpdateGroups, json!("ignored"), json!(value)).holds
        };
        assert!(groups("ignored") && groups("rejected") && !groups("applied"));
    }

    #[test]
    fn skipped_findings_round_trip() {
        let facts = ApiFacts::from_findings([
            (
                Fact::HeaderRequestId,
                Finding::observed(Fact::HeaderRequestId, Value::Null, Value::Null),
            ),
            (
                Fact::CreateStatus,
                Finding::skipped(json!(201), "read-only"),
            ),
        ]);
        let again = ApiFacts::from_json(&facts.to_json_string()).unwrap();
        assert_eq!(again, facts);
        assert_eq!(again.observed(Fact::HeaderRequestId), Some(&Value::Null));
        assert_eq!(again.observed(Fact::CreateStatus), None);
        assert!(matches!(
            ApiFacts::from_json(r#"{"create.status": {"holds": "yes"}}"#),
            Err(FactsError::Shape {
                fact: "create.status",
                ..
            })
        ));
        assert!(ApiFacts::from_json("[]").is_err());
        assert!(
            ApiFacts::from_json(r#"{"future.fact": 1}"#)
                .unwrap()
                .iter()
                .next()
                .is_none()
        );
    }
}
