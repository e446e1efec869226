//! Validated identifiers and bounded values, checked before any request is sent.
//!
//! Each type can only hold a value the API accepts, so a function taking a [`CatalogId`] never
//! has to check it again. Every constructor returns [`InvalidInput`] naming the problem.

use crate::error::InvalidInput;
use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// A value that can become a checked `T`: a `&str` or `String` (checked now), or a `T` already
/// checked. Every method taking an id or a page size takes one, so
/// `client.groups().get("B1")` and `client.groups().get(&group_id)` both work.
pub trait IntoChecked<T> {
    /// Checks the value and converts it.
    fn into_checked(self) -> Result<T, InvalidInput>;
}

impl<T, V> IntoChecked<T> for V
where
    V: TryInto<T>,
    V::Error: Into<InvalidInput>,
{
    fn into_checked(self) -> Result<T, InvalidInput> {
        self.try_into().map_err(Into::into)
    }
}

impl From<Infallible> for InvalidInput {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

/// A Dintero account id: `T` (test) or `P` (production) followed by 8 digits.
///
/// ```
/// use dintero_products::AccountId;
///
/// let aid: AccountId = "T12345678".parse()?;
/// assert!(aid.is_test());
/// assert!("X12345678".parse::<AccountId>().is_err());
/// # Ok::<(), dintero_products::InvalidInput>(())
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

/// Defines a resource id type: non-empty, at most 255 characters, no leading or trailing
/// whitespace, no control characters, and not `.` or `..` (which a URL would resolve as a path
/// step, so no percent-encoding can keep them inside their path segment).
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
    };
}

impl_string_newtype!(AccountId);

resource_id!(
    /// The id of a catalog, as you chose it or Dintero generated it.
    ///
    /// ```
    /// use dintero_products::CatalogId;
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

/// The longest id the API accepts, in characters.
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

/// How many items one page holds: 1 to 100, as the API allows.
///
/// ```
/// use dintero_products::PageSize;
///
/// assert_eq!(PageSize::new(50)?.get(), 50);
/// assert!(PageSize::new(0).is_err());
/// assert!(PageSize::new(101).is_err());
/// # Ok::<(), dintero_products::InvalidInput>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageSize(u8);

impl PageSize {
    /// The largest page the API serves.
    pub const MAX: PageSize = PageSize(100);
    /// The page size the API uses when none is sent.
    pub const SERVER_DEFAULT: PageSize = PageSize(10);

    /// Checks that `n` is within 1..=100.
    pub fn new(n: u64) -> Result<Self, InvalidInput> {
        match u8::try_from(n) {
            Ok(small) if (1..=100).contains(&small) => Ok(Self(small)),
            _ => Err(InvalidInput::new(
                "page size (limit)",
                &n.to_string(),
                "must be between 1 and 100",
            )),
        }
    }

    /// The size as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

macro_rules! page_size_from {
    ($($int:ty),*) => {$(
        impl TryFrom<$int> for PageSize {
            type Error = InvalidInput;
            fn try_from(n: $int) -> Result<Self, InvalidInput> {
                u64::try_from(n)
                    .map_err(|_| InvalidInput::new("page size (limit)", &n.to_string(), "must be between 1 and 100"))
                    .and_then(PageSize::new)
            }
        }
    )*};
}
page_size_from!(u8, u16, u32, u64, usize, i32, i64);

/// Where a list continues: the opaque `starting_after` value a page returned.
///
/// The server decides what it holds (it need not be the last item's id); send it back unchanged.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps a cursor saved earlier, to resume a list from there.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The cursor as the server gave it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({:?})", self.0)
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Cursor {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Cursor {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        for good in ["T12345678", "P00000001"] {
            assert!(AccountId::new(good).is_ok(), "{good}");
        }
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
    }

    #[test]
    fn page_sizes() {
        assert_eq!(PageSize::try_from(1u8).unwrap().get(), 1);
        assert_eq!(PageSize::try_from(100usize).unwrap(), PageSize::MAX);
        for bad in [0i64, 101, -1, 256] {
            assert!(PageSize::try_from(bad).is_err(), "{bad}");
        }
    }
}
