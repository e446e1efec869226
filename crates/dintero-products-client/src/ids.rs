//! Validated identifiers, checked before any request is sent.
//!
//! Each type can only hold a value the API accepts, so a function taking a [`CatalogId`] never
//! has to check it again. Every constructor returns [`InvalidInput`] naming the problem.
//!
//! The generated code uses these types wherever the spec has an id (path and query parameters,
//! and the ids in request bodies): `cargo xtask regenerate` tells progenitor to use them instead
//! of generating a newtype per place. Setters of the generated builders take anything that
//! converts, so `.catalog_id("S23")` and `.catalog_id(&catalog_id)` both work; deserialising
//! checks the value too. Response bodies keep plain strings, so a server that returns an id
//! these rules would refuse still decodes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// An argument the API would reject, caught before sending.
///
/// ```
/// use dintero_products_client::ProductId;
///
/// let error = ProductId::new("").unwrap_err();
/// assert_eq!(error.to_string(), r#"invalid product id "": must not be empty"#);
/// assert_eq!(error.what(), "product id");
/// assert_eq!(error.problem(), "must not be empty");
/// ```
///
/// A value that is missing rather than wrong says so:
///
/// ```
/// use dintero_products_client::InvalidInput;
///
/// let error = InvalidInput::missing("product id", "an upsert needs one: set it with `.id(..)`");
/// assert_eq!(error.to_string(), "missing product id: an upsert needs one: set it with `.id(..)`");
/// assert_eq!(error.value(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    what: &'static str,
    /// `None` when the value is missing.
    value: Option<String>,
    problem: &'static str,
}

impl InvalidInput {
    /// An error saying that `value`, a `what` (such as `"page size (limit)"`), is invalid because
    /// of `problem` (such as `"must be between 1 and 100"`).
    ///
    /// Only the first 64 characters of `value` are kept, escaped: ids can be long or hold control
    /// characters, and the error is meant to be read.
    pub fn new(what: &'static str, value: &str, problem: &'static str) -> Self {
        let value: String = value
            .chars()
            .take(64)
            .flat_map(char::escape_debug)
            .collect();
        Self {
            what,
            value: Some(value),
            problem,
        }
    }

    /// An error saying that a `what` (such as `"product id"`) is needed and was not given, and
    /// why (`problem`).
    pub fn missing(what: &'static str, problem: &'static str) -> Self {
        Self {
            what,
            value: None,
            problem,
        }
    }

    /// The rejected value (its first 64 characters, escaped), or `None` when it was missing.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// What was invalid, such as `account id` or `page size (limit)`.
    pub fn what(&self) -> &str {
        self.what
    }

    /// Why it was rejected.
    pub fn problem(&self) -> &str {
        self.problem
    }
}

impl std::error::Error for InvalidInput {}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "invalid {} \"{value}\": {}", self.what, self.problem),
            None => write!(f, "missing {}: {}", self.what, self.problem),
        }
    }
}

/// A conversion that cannot fail (an id converted into itself) has an error type, `Infallible`,
/// that must still convert into `InvalidInput` where callers are generic over conversions.
impl From<Infallible> for InvalidInput {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

/// A Dintero account id: `T` (test) or `P` (production) followed by 8 digits, the spec's
/// `^[PT]{1}\d{8}$`.
///
/// ```
/// use dintero_products_client::AccountId;
///
/// let aid: AccountId = "T12345678".parse()?;
/// assert!(aid.is_test());
/// assert!("X12345678".parse::<AccountId>().is_err());
/// # Ok::<(), dintero_products_client::InvalidInput>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Checks `value` and wraps it.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidInput> {
        let value = value.into();
        let bytes = value.as_bytes();
        let valid = bytes.len() == 9
            && matches!(bytes[0], b'P' | b'T')
            && bytes[1..].iter().all(u8::is_ascii_digit);
        if valid {
            Ok(Self(value))
        } else {
            Err(InvalidInput::new(
                "account id",
                &value,
                "must be `P` or `T` followed by 8 digits, like `T12345678`",
            ))
        }
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a test account (`T...`).
    pub fn is_test(&self) -> bool {
        self.0.starts_with('T')
    }
}

/// Defines a resource id type: non-empty, at most [`MAX_ID_CHARS`] characters, no leading or
/// trailing whitespace, no control characters, and not `.` or `..` (which a URL would resolve as
/// a path step, so no percent-encoding can keep them inside their path segment).
macro_rules! resource_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks `value` and wraps it.
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidInput> {
                let value = value.into();
                check_resource_id($what, &value)?;
                Ok(Self(value))
            }

            /// The id as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl_string_newtype!($name);
    };
}

/// The conversions every id type shares.
macro_rules! impl_string_newtype {
    ($name:ident) => {
        impl FromStr for $name {
            type Err = InvalidInput;
            fn from_str(value: &str) -> Result<Self, InvalidInput> {
                Self::new(value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidInput;
            fn try_from(value: &str) -> Result<Self, InvalidInput> {
                Self::new(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidInput;
            fn try_from(value: String) -> Result<Self, InvalidInput> {
                Self::new(value)
            }
        }

        impl TryFrom<&String> for $name {
            type Error = InvalidInput;
            fn try_from(value: &String) -> Result<Self, InvalidInput> {
                Self::new(value.as_str())
            }
        }

        impl TryFrom<&$name> for $name {
            type Error = InvalidInput;
            fn try_from(value: &$name) -> Result<Self, InvalidInput> {
                Ok(value.clone())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        /// Deserialising checks the value like [`new`](Self::new) does.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Self::new(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

impl_string_newtype!(AccountId);

resource_id!(
    /// The id of a catalog, as you chose it or Dintero generated it.
    ///
    /// ```
    /// use dintero_products_client::CatalogId;
    ///
    /// assert!(CatalogId::new("S23").is_ok());
    /// assert!(CatalogId::new(" S23").is_err()); // leading whitespace
    /// assert!(CatalogId::new("").is_err());
    /// ```
    CatalogId,
    "catalog id"
);
resource_id!(
    /// The id of a product group, such as `B1`.
    GroupId,
    "group id"
);
resource_id!(
    /// The id of a product within its catalog, such as `Stol22`.
    ProductId,
    "product id"
);
resource_id!(
    /// The id of a sales location a product is connected to, such as `SC_Oslo`.
    LocationId,
    "location id"
);

/// The longest id the API accepts, in characters (not bytes).
pub const MAX_ID_CHARS: usize = 255;

fn check_resource_id(what: &'static str, value: &str) -> Result<(), InvalidInput> {
    let problem = if value.is_empty() {
        "must not be empty"
    } else if value.chars().count() > MAX_ID_CHARS {
        "must be at most 255 characters"
    } else if value.trim() != value {
        "must not have leading or trailing whitespace"
    } else if value.chars().any(char::is_control) {
        "must not contain control characters"
    } else if value == "." || value == ".." {
        "must not be `.` or `..`, which a URL resolves as a path step"
    } else {
        return Ok(());
    };
    Err(InvalidInput::new(what, value, problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        for good in ["T12345678", "P00000001"] {
            assert!(AccountId::new(good).is_ok(), "{good}");
        }
        assert!(AccountId::new("T12345678").unwrap().is_test());
        assert!(!AccountId::new("P12345678").unwrap().is_test());
        for bad in [
            "X12345678",
            "T1234567",
            "T123456789",
            "t12345678",
            "T1234567٣",
            "",
        ] {
            let err = AccountId::new(bad).unwrap_err();
            assert!(err.to_string().contains("account id"), "{err}");
        }
    }

    #[test]
    fn resource_ids() {
        for good in [
            "S23",
            "a/b",
            "100%",
            "Møbel stol",
            "?#",
            r"..\catalogs\S23",
            &"x".repeat(255),
            &"ø".repeat(255),
        ] {
            assert!(CatalogId::new(good).is_ok(), "{good}");
        }
        let cases = [
            ("", "must not be empty"),
            (" S23", "leading or trailing whitespace"),
            ("S23\n", "leading or trailing whitespace"),
            ("S\u{7}23", "control characters"),
            ("..", "path step"),
            (".", "path step"),
        ];
        for (bad, problem) in cases {
            let err = ProductId::new(bad).unwrap_err();
            assert!(err.to_string().contains(problem), "{bad:?}: {err}");
        }
        assert!(
            GroupId::new("x".repeat(256))
                .unwrap_err()
                .to_string()
                .contains("at most 255")
        );
        assert_eq!(
            LocationId::new("").unwrap_err().what(),
            "location id",
            "each type names itself"
        );
    }

    #[test]
    fn conversions_agree() {
        let id = GroupId::new("B1").unwrap();
        assert_eq!(GroupId::try_from("B1").unwrap(), id);
        assert_eq!(GroupId::try_from(String::from("B1")).unwrap(), id);
        assert_eq!(GroupId::try_from(&String::from("B1")).unwrap(), id);
        assert_eq!(GroupId::try_from(&id).unwrap(), id);
        assert_eq!("B1".parse::<GroupId>().unwrap(), id);
        assert_eq!(id.as_str(), "B1");
        assert_eq!(id.as_ref(), "B1");
        assert_eq!(id.to_string(), "B1");
        assert_eq!(format!("{id:?}"), r#"GroupId("B1")"#);
        assert_eq!(String::from(id), "B1");
    }

    #[test]
    fn serde_round_trips_and_deserialising_checks() {
        let id = ProductId::new("Stol22").unwrap();
        assert_eq!(serde_json::to_value(&id).unwrap(), "Stol22");
        assert_eq!(
            serde_json::from_value::<ProductId>("Stol22".into()).unwrap(),
            id
        );
        let err = serde_json::from_value::<ProductId>(" Stol22".into()).unwrap_err();
        assert!(
            err.to_string()
                .contains(r#"invalid product id " Stol22": must not have leading"#),
            "{err}"
        );
        assert!(serde_json::from_value::<AccountId>("X12345678".into()).is_err());
        assert!(serde_json::from_value::<CatalogId>(1.into()).is_err());
    }

    #[test]
    fn the_echo_is_bounded_and_escaped() {
        let err = InvalidInput::new("catalog id", &format!("a\n{}", "x".repeat(100)), "bad");
        let shown = err.to_string();
        assert!(
            shown.starts_with(r#"invalid catalog id "a\nxxx"#),
            "{shown}"
        );
        assert_eq!(
            shown.matches('x').count(),
            62,
            "64 characters kept: `a`, a newline, 62 x"
        );
        assert!(shown.ends_with("\": bad"), "{shown}");
    }
}
