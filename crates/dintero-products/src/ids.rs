//! Validated identifiers and bounded values, checked before any request is sent.
//!
//! Each type can only hold a value the API accepts, so a function taking a [`CatalogId`] never
//! has to check it again. Every constructor returns [`InvalidInput`] naming the problem. The id
//! types live in the generated client's crate, which uses them for its own parameters and
//! bodies, so the SDK hands them over without checking again; this module adds what only the
//! SDK needs.

use crate::error::InvalidInput;
use std::fmt;
use std::num::{NonZeroU8, NonZeroU64};

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

pub use dintero_products_client::{AccountId, CatalogId, GroupId, MAX_ID_CHARS, ProductId};

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
pub struct PageSize(NonZeroU8);

impl PageSize {
    /// The largest page the API serves.
    pub const MAX: PageSize = PageSize(NonZeroU8::new(100).unwrap());
    /// The page size the API uses when none is sent.
    pub const SERVER_DEFAULT: PageSize = PageSize(NonZeroU8::new(10).unwrap());

    /// Checks that `n` is within 1..=100.
    pub fn new(n: u64) -> Result<Self, InvalidInput> {
        match u8::try_from(n).ok().and_then(NonZeroU8::new) {
            Some(size) if size.get() <= 100 => Ok(Self(size)),
            _ => Err(InvalidInput::new(
                "page size (limit)",
                &n.to_string(),
                "must be between 1 and 100",
            )),
        }
    }

    /// The size as a number.
    pub fn get(self) -> u8 {
        self.0.get()
    }

    /// The size as the generated builders take it.
    pub(crate) fn as_non_zero(self) -> NonZeroU64 {
        NonZeroU64::from(self.0)
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
    fn page_sizes() {
        assert_eq!(PageSize::try_from(1u8).unwrap().get(), 1);
        assert_eq!(PageSize::try_from(100usize).unwrap(), PageSize::MAX);
        for bad in [0i64, 101, -1, 256] {
            assert!(PageSize::try_from(bad).is_err(), "{bad}");
        }
    }

    /// A cursor is saved as its text and read back with `Cursor::new`: the text is exactly
    /// what the server gave, and a log shows it quoted, so that spaces and empty cursors show.
    #[test]
    fn cursors_print_as_the_server_gave_them() {
        let cursor = Cursor::new("abc 123=");
        assert_eq!(cursor.to_string(), "abc 123=");
        assert_eq!(Cursor::new(cursor.to_string()), cursor);
        assert_eq!(format!("{cursor:?}"), r#"Cursor("abc 123=")"#);
    }
}
