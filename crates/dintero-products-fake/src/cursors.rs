//! Pagination for all three lists: the opaque `starting_after` cursor and the cutting of one
//! page out of a collection ordered by id, as the dialect says (largest `limit`, whether pages
//! carry cursors, how the last one is told).
//!
//! A cursor is the id of a page's last item, base64url-encoded behind a tag naming its
//! collection: opaque to clients (it never equals an id, so a client cannot confuse the two),
//! stable while items are added or removed around it, and refused by the other collections.
//! A dialect without a cursor key has clients send the last id itself, plain.

use std::collections::BTreeMap;
use std::ops::Bound;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::dialect::{Dialect, EndSignal, LimitOverMax};
use crate::errors::ApiError;

/// The page size when a list request has no `limit` (or the dialect's maximum, if smaller).
const DEFAULT_LIMIT: usize = 10;

/// Which collection a cursor belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CursorKind {
    Catalogs,
    Groups,
    Products,
}

impl CursorKind {
    fn tag(self) -> &'static str {
        match self {
            CursorKind::Catalogs => "c1.",
            CursorKind::Groups => "g1.",
            CursorKind::Products => "p1.",
        }
    }

    fn encode(self, last_id: &str) -> String {
        format!(
            "{}{}",
            self.tag(),
            URL_SAFE_NO_PAD.encode(last_id.as_bytes())
        )
    }

    fn decode(self, cursor: &str) -> Result<String, ApiError> {
        let bad = || ApiError::bad_request(format!("invalid starting_after cursor: {cursor:?}"));
        let encoded = cursor.strip_prefix(self.tag()).ok_or_else(bad)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| bad())?;
        String::from_utf8(bytes).map_err(|_| bad())
    }
}

/// A list request's paging parameters, validated.
#[derive(Clone, Debug)]
pub(crate) struct PageRequest {
    kind: CursorKind,
    limit: usize,
    /// The id after which the page starts.
    after: Option<String>,
    /// Whether a page with items carries a cursor even when nothing follows it.
    cursor_on_every_page: bool,
}

impl PageRequest {
    /// Checks `limit` (an integer in 1..=the dialect's maximum, 10 or that maximum when
    /// absent; above it an error or the maximum) and reads `starting_after` (an opaque cursor,
    /// or a plain id in a dialect without cursors).
    pub(crate) fn parse(
        kind: CursorKind,
        limit: Option<&str>,
        starting_after: Option<&str>,
        dialect: &Dialect,
    ) -> Result<Self, ApiError> {
        let max = usize::try_from(dialect.limit_max.max(1)).unwrap_or(usize::MAX);
        let limit = match limit {
            None => DEFAULT_LIMIT.min(max),
            Some(raw) => parse_limit(raw, max, dialect.limit_over_max)?,
        };
        let after = match starting_after {
            None => None,
            Some(id) if dialect.cursor_key.is_none() => Some(id.to_owned()),
            Some(cursor) => Some(kind.decode(cursor)?),
        };
        Ok(PageRequest {
            kind,
            limit,
            after,
            cursor_on_every_page: dialect.end_signal == EndSignal::EmptyPage,
        })
    }

    /// A first page of `limit` items.
    #[cfg(test)]
    pub(crate) fn first(kind: CursorKind, limit: usize) -> Self {
        PageRequest {
            kind,
            limit,
            after: None,
            cursor_on_every_page: false,
        }
    }
}

fn parse_limit(raw: &str, max: usize, over_max: LimitOverMax) -> Result<usize, ApiError> {
    let clamped = over_max == LimitOverMax::Clamped;
    let bad = || {
        ApiError::bad_request(if clamped {
            format!("limit must be a positive integer, got {raw:?}")
        } else {
            format!("limit must be an integer in 1..={max}, got {raw:?}")
        })
    };
    match raw.parse::<usize>() {
        Ok(0) => Err(bad()),
        Ok(limit) if limit <= max => Ok(limit),
        Ok(_) if clamped => Ok(max),
        // Only digits can still fail to parse by being too large: over the maximum as well.
        Err(_) if clamped && is_digits(raw.strip_prefix('+').unwrap_or(raw)) => Ok(max),
        _ => Err(bad()),
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// One page of a list: its items and, when more follow, the cursor to the next page.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            next: None,
        }
    }
}

/// Walks `map` in id order after the request's cursor, keeps the items that pass `keep`, and
/// renders up to `limit` of them. The next cursor is set exactly when another kept item follows,
/// so a last page that is exactly full carries none; or, when the dialect signals the end with
/// an empty page, on every page with items.
pub(crate) fn page<V, T>(
    map: &BTreeMap<Box<str>, V>,
    request: &PageRequest,
    mut keep: impl FnMut(&str, &V) -> bool,
    mut render: impl FnMut(&str, &V) -> T,
) -> Page<T> {
    let lower = match &request.after {
        Some(after) => Bound::Excluded(after.as_str()),
        None => Bound::Unbounded,
    };
    let mut kept = map
        .range::<str, _>((lower, Bound::Unbounded))
        .filter(|(id, value)| keep(id, value));
    let mut items = Vec::with_capacity(request.limit.min(map.len()));
    let mut last = None;
    for (id, value) in kept.by_ref().take(request.limit) {
        items.push(render(id, value));
        last = Some(id);
    }
    let next = match last {
        Some(last) if request.cursor_on_every_page || kept.next().is_some() => {
            Some(request.kind.encode(last))
        }
        _ => None,
    };
    Page { items, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_is_not_the_id() {
        let cursor = CursorKind::Products.encode("P000007");
        assert_ne!(cursor, "P000007");
        assert!(!cursor.contains("P000007"));
        assert_eq!(
            CursorKind::Products.decode(&cursor).ok().as_deref(),
            Some("P000007")
        );
        assert!(CursorKind::Groups.decode(&cursor).is_err());
        assert!(CursorKind::Products.decode("P000007").is_err());
        assert!(CursorKind::Products.decode("p1.!!!").is_err());
    }

    fn map(ids: &[&str]) -> BTreeMap<Box<str>, ()> {
        ids.iter().map(|id| (Box::from(*id), ())).collect()
    }

    fn ids(page: &Page<String>) -> Vec<&str> {
        page.items.iter().map(String::as_str).collect()
    }

    #[test]
    fn pages_follow_each_other_and_the_last_full_page_has_no_cursor() {
        let map = map(&["a", "b", "c", "d"]);
        let render = |id: &str, _: &()| id.to_owned();
        let first = page(
            &map,
            &PageRequest::first(CursorKind::Groups, 2),
            |_, _| true,
            render,
        );
        assert_eq!(ids(&first), ["a", "b"]);
        let next = PageRequest::parse(
            CursorKind::Groups,
            Some("2"),
            first.next.as_deref(),
            &Dialect::default(),
        )
        .expect("the cursor decodes");
        let second = page(&map, &next, |_, _| true, render);
        assert_eq!(ids(&second), ["c", "d"]);
        assert_eq!(second.next, None);
        // A filter that leaves nothing after the page means no cursor either.
        let filtered = page(
            &map,
            &PageRequest::first(CursorKind::Groups, 1),
            |id, _| id != "b" && id != "c" && id != "d",
            render,
        );
        assert_eq!(ids(&filtered), ["a"]);
        assert_eq!(filtered.next, None);
    }

    fn limit(raw: Option<&str>, dialect: &Dialect) -> Option<usize> {
        PageRequest::parse(CursorKind::Catalogs, raw, None, dialect)
            .ok()
            .map(|request| request.limit)
    }

    #[test]
    fn limits_are_checked() {
        let dialect = Dialect::default();
        for bad in [
            "0",
            "101",
            "abc",
            "-1",
            "",
            "1.5",
            "99999999999999999999999",
        ] {
            assert_eq!(limit(Some(bad), &dialect), None, "{bad}");
        }
        assert_eq!(limit(None, &dialect), Some(10));
        assert_eq!(limit(Some("100"), &dialect), Some(100));
    }

    #[test]
    fn limits_over_a_maximum_may_be_clamped() {
        let dialect = Dialect::default()
            .limit_max(5)
            .limit_over_max(LimitOverMax::Clamped);
        assert_eq!(
            limit(None, &dialect),
            Some(5),
            "the default fits the maximum"
        );
        for over in ["6", "+6", "1000", "99999999999999999999999"] {
            assert_eq!(limit(Some(over), &dialect), Some(5), "{over}");
        }
        for bad in ["0", "-1", "", "1.5", "x", "+"] {
            assert_eq!(limit(Some(bad), &dialect), None, "{bad}");
        }
    }

    #[test]
    fn without_a_cursor_key_the_cursor_is_the_last_id() {
        let dialect = Dialect::default().no_cursor_key();
        let request = PageRequest::parse(CursorKind::Groups, None, Some("b"), &dialect);
        let page = page(
            &map(&["a", "b", "c"]),
            &request.expect("a plain id"),
            |_, _| true,
            |id, _| id.to_owned(),
        );
        assert_eq!(ids(&page), ["c"]);
    }

    #[test]
    fn an_empty_page_can_be_the_end() {
        let dialect = Dialect::default().end_signal(EndSignal::EmptyPage);
        let map = map(&["a", "b"]);
        let render = |id: &str, _: &()| id.to_owned();
        let first = PageRequest::parse(CursorKind::Groups, Some("2"), None, &dialect);
        let full = page(&map, &first.expect("first"), |_, _| true, render);
        assert_eq!(ids(&full), ["a", "b"]);
        let next = PageRequest::parse(
            CursorKind::Groups,
            Some("2"),
            full.next.as_deref(),
            &dialect,
        );
        let empty = page(
            &map,
            &next.expect("a cursor on the last full page"),
            |_, _| true,
            render,
        );
        assert!(empty.items.is_empty());
        assert_eq!(empty.next, None);
    }
}
