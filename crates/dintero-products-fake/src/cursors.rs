//! Pagination for all three lists: the opaque `starting_after` cursor and the cutting of one
//! page out of a collection ordered by id.
//!
//! A cursor is the id of a page's last item, base64url-encoded behind a tag naming its
//! collection: opaque to clients (it never equals an id, so a client cannot confuse the two),
//! stable while items are added or removed around it, and refused by the other collections.

use std::collections::BTreeMap;
use std::ops::Bound;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::errors::ApiError;

/// The page size when a list request has no `limit`.
const DEFAULT_LIMIT: usize = 10;

/// The largest `limit` a list request may ask for.
const MAX_LIMIT: usize = 100;

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
}

impl PageRequest {
    /// Checks `limit` (an integer in 1..=100, 10 when absent) and decodes `starting_after`.
    pub(crate) fn parse(
        kind: CursorKind,
        limit: Option<&str>,
        starting_after: Option<&str>,
    ) -> Result<Self, ApiError> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<usize>() {
                Ok(limit @ 1..=MAX_LIMIT) => limit,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "limit must be an integer in 1..={MAX_LIMIT}, got {raw:?}"
                    )));
                }
            },
        };
        let after = starting_after.map(|c| kind.decode(c)).transpose()?;
        Ok(PageRequest { kind, limit, after })
    }

    /// A first page of `limit` items.
    #[cfg(test)]
    pub(crate) fn first(kind: CursorKind, limit: usize) -> Self {
        PageRequest {
            kind,
            limit,
            after: None,
        }
    }
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
/// renders up to `limit` of them; the next cursor is set exactly when another kept item follows,
/// so a last page that is exactly full carries none.
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
    let next = match (last, kept.next()) {
        (Some(last), Some(_)) => Some(request.kind.encode(last)),
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
        let next = PageRequest::parse(CursorKind::Groups, Some("2"), first.next.as_deref())
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

    #[test]
    fn limits_are_checked() {
        for bad in ["0", "101", "abc", "-1", "", "1.5"] {
            assert!(PageRequest::parse(CursorKind::Catalogs, Some(bad), None).is_err());
        }
        let default = PageRequest::parse(CursorKind::Catalogs, None, None).expect("default");
        assert_eq!(default.limit, 10);
        assert!(PageRequest::parse(CursorKind::Catalogs, Some("100"), None).is_ok());
    }
}
