//! The one paginator, against a loopback server: the exact cursors it sends and when it stops.

use crate::common;
use crate::hostile::{Hostile, Reply};

use common::*;
use dintero_products::{Cursor, Error, Page, Pages};
use futures::{Stream, StreamExt, TryStreamExt};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

fn groups(ids: &[&str]) -> Vec<serde_json::Value> {
    ids.iter().map(|id| group(id)).collect()
}

async fn mount_groups(h: &Harness, pages: Vec<(Vec<serde_json::Value>, Option<&'static str>)>) {
    Mock::given(method("GET"))
        .and(path(api("/groups")))
        .respond_with(PagedList {
            pages,
            key: "groups",
        })
        .mount(&h.server)
        .await;
}

/// Two pages: B1 to B3, then B4.
async fn mount_three_then_one(h: &Harness) {
    mount_groups(
        h,
        vec![
            (groups(&["B1", "B2", "B3"]), Some("c1")),
            (groups(&["B4"]), None),
        ],
    )
    .await;
}

/// `future`'s output, or a failed test after 10 seconds: a stream that loses its wake-up fails
/// rather than hangs.
async fn within<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("the stream answers")
}

fn ids(page: &Page<dintero_products::Group>) -> Vec<String> {
    page.items().iter().map(|g| g.id().to_string()).collect()
}

#[tokio::test]
async fn the_server_receives_the_exact_cursor_sequence_with_filters_and_limit_on_every_page() {
    let h = Harness::start().await;
    // Opaque cursors, not item ids; the middle page is short but not the end.
    mount_groups(
        &h,
        vec![
            (groups(&["B1", "B2", "B3"]), Some("opaque~1 /?&=")),
            (groups(&["B4"]), Some("zz-9")),
            (groups(&["B5", "B6", "B7"]), Some("k")),
            (groups(&["B8"]), None),
        ],
    )
    .await;

    let items: Vec<_> = h
        .client
        .groups()
        .list()
        .limit(3)
        .group_id("B")
        .items()
        .try_collect()
        .await
        .unwrap();
    let got: Vec<_> = items.iter().map(|g| g.id().to_string()).collect();
    assert_eq!(got, ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"]);

    let requests = h.api_requests().await;
    let cursors: Vec<_> = requests
        .iter()
        .map(|r| query(r, "starting_after"))
        .collect();
    assert_eq!(
        cursors,
        [
            None,
            Some("opaque~1 /?&=".to_string()),
            Some("zz-9".into()),
            Some("k".into())
        ]
    );
    for r in &requests {
        assert_eq!(
            query(r, "limit").as_deref(),
            Some("3"),
            "limit kept on {}",
            r.url
        );
        assert_eq!(
            query(r, "group_id").as_deref(),
            Some("B"),
            "filter kept on {}",
            r.url
        );
    }
}

#[tokio::test]
async fn an_empty_cursor_or_an_empty_page_ends_the_list() {
    let h = Harness::start().await;
    mount_groups(
        &h,
        vec![(groups(&["B1"]), Some("c1")), (groups(&["B2"]), Some(""))],
    )
    .await;
    let pages: Vec<_> = h
        .client
        .groups()
        .list()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].next_cursor(), None, "an empty cursor is no cursor");

    let h = Harness::start().await;
    mount_groups(
        &h,
        vec![(groups(&["B1"]), Some("c1")), (vec![], Some("c2"))],
    )
    .await;
    let pages: Vec<_> = h
        .client
        .groups()
        .list()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(
        h.api_requests().await.len(),
        2,
        "an empty page stops the walk even with a cursor"
    );
}

#[tokio::test]
async fn a_repeated_cursor_is_an_error_not_a_loop() {
    let h = Harness::start().await;
    // The third page points back at the second's cursor.
    mount_groups(
        &h,
        vec![
            (groups(&["B1"]), Some("a")),
            (groups(&["B2"]), Some("b")),
            (groups(&["B3"]), Some("a")),
        ],
    )
    .await;
    // Bounded: should the guard break, the walk stops at ten pages and fails here, instead of
    // looping for ever.
    let results: Vec<_> = h.client.groups().list().pages().take(10).collect().await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    match &results[2] {
        Err(Error::PaginationLoop { cursor }) => assert_eq!(cursor, "a"),
        other => panic!("expected a pagination loop error, got {other:?}"),
    }
    assert_eq!(h.api_requests().await.len(), 3);
}

#[tokio::test]
async fn an_error_on_page_two_is_yielded_and_ends_the_stream() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .and(path(api("/groups")))
        .respond_with(
            move |request: &wiremock::Request| match query(request, "starting_after") {
                None => ResponseTemplate::new(200).set_body_json(
                    json!({"groups": groups(&["B1", "B2"]), "starting_after": "p2"}),
                ),
                Some(_) => ResponseTemplate::new(500)
                    .set_body_json(json!({"error": {"code": "BOOM", "message": "page two broke"}})),
            },
        )
        .mount(&h.server)
        .await;
    let results: Vec<_> = h
        .client
        .groups()
        .list()
        .prefetch(false)
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 3, "two items, then the error, then the end");
    let error = results[2].as_ref().unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert!(error.to_string().contains("page two broke"), "{error}");
}

#[tokio::test]
async fn send_fetches_one_page_and_starting_after_resumes() {
    let h = Harness::start().await;
    mount_groups(
        &h,
        vec![(groups(&["B1", "B2"]), Some("c1")), (groups(&["B3"]), None)],
    )
    .await;
    let first = h.client.groups().list().limit(2).send().await.unwrap();
    assert_eq!(ids(&first), ["B1", "B2"]);
    let saved: Cursor = first.next_cursor().cloned().unwrap();
    assert!(first.has_more());

    let rest: Vec<_> = h
        .client
        .groups()
        .list()
        .limit(2)
        .starting_after(saved.as_str())
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(ids(&rest[0]), ["B3"]);
    assert!(!rest[0].has_more());
}

/// A page reads as its items whichever way a caller takes them: borrowed, iterated, owned.
#[tokio::test]
async fn a_page_reads_as_its_items_every_way() {
    let h = Harness::start().await;
    mount_groups(&h, vec![(groups(&["B1", "B2"]), None)]).await;
    let page = h.client.groups().list().send().await.unwrap();
    assert_eq!((page.len(), page.is_empty()), (2, false));
    let borrowed: Vec<&str> = (&page).into_iter().map(|g| g.id()).collect();
    assert_eq!(borrowed, ["B1", "B2"]);
    let owned: Vec<String> = page.into_iter().map(|g| g.id().to_string()).collect();
    assert_eq!(owned, ["B1", "B2"]);

    let none = h.client.groups().list().max_items(0).send().await.unwrap();
    assert_eq!((none.len(), none.is_empty()), (0, true));
    assert_eq!(none.into_iter().count(), 0);
}

/// A request prints what it will ask for (the filter and the settings), and nothing of the
/// client it holds: no credentials in a log line.
#[tokio::test]
async fn a_list_request_prints_its_filter_and_settings() {
    let h = Harness::start().await;
    let request = h
        .client
        .groups()
        .list()
        .group_id("B1")
        .limit(5)
        .starting_after("c1")
        .max_items(7)
        .prefetch(false);
    let printed = format!("{request:?}");
    for part in [
        "ListRequest",
        "\"B1\"",
        "limit: Some(Ok(PageSize(5)))",
        "\"c1\"",
        "max_items: Some(7)",
        "prefetch: false",
    ] {
        assert!(printed.contains(part), "{part} in {printed}");
    }
    assert!(!printed.contains(CLIENT_SECRET), "{printed}");
}

/// `send` with `max_items`: a page cut short carries no cursor, which would skip the items cut
/// off; a page that holds no more than `max_items` keeps its cursor, to resume after it.
#[tokio::test]
async fn a_page_cut_by_max_items_has_no_cursor_and_one_that_fits_keeps_it() {
    let h = Harness::start().await;
    mount_groups(
        &h,
        vec![(groups(&["B1", "B2"]), Some("c1")), (groups(&["B3"]), None)],
    )
    .await;
    let send = |max| h.client.groups().list().limit(2).max_items(max).send();
    let cut = send(1).await.unwrap();
    assert_eq!(
        (ids(&cut), cut.next_cursor(), cut.has_more()),
        (vec!["B1".to_string()], None, false)
    );
    for max in [2, 3] {
        let fits = send(max).await.unwrap();
        assert_eq!(ids(&fits), ["B1", "B2"], "max_items({max})");
        assert_eq!(
            fits.next_cursor().map(Cursor::as_str),
            Some("c1"),
            "max_items({max})"
        );
    }
}

#[tokio::test]
async fn max_items_stops_early_without_fetching_further() {
    let h = Harness::start().await;
    mount_groups(
        &h,
        vec![
            (groups(&["B1", "B2"]), Some("c1")),
            (groups(&["B3", "B4"]), Some("c2")),
            (groups(&["B5"]), None),
        ],
    )
    .await;
    let items: Vec<_> = h
        .client
        .groups()
        .list()
        .max_items(3)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(
        h.api_requests().await.len(),
        2,
        "the third page is never requested"
    );
}

#[tokio::test]
async fn prefetch_requests_the_next_page_while_the_current_one_is_consumed() {
    let h = Harness::start().await;
    mount_groups(
        &h,
        vec![
            (groups(&["B1"]), Some("c1")),
            (groups(&["B2"]), Some("c2")),
            (groups(&["B3"]), None),
        ],
    )
    .await;
    let mut pages = h.client.groups().list().pages();
    let first = pages.try_next().await.unwrap().unwrap();
    assert_eq!(ids(&first), ["B1"]);
    // Without polling the stream again, page two arrives: it is fetched in the background...
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while h.api_requests().await.len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "page two was never prefetched"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // ...and only one page ahead.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(h.api_requests().await.len(), 2);
    let rest: Vec<_> = pages.try_collect().await.unwrap();
    assert_eq!(rest.len(), 2);

    // With prefetch off, nothing is requested until the stream is polled.
    let h = Harness::start().await;
    mount_groups(
        &h,
        vec![(groups(&["B1"]), Some("c1")), (groups(&["B2"]), None)],
    )
    .await;
    let mut pages = h.client.groups().list().prefetch(false).pages();
    pages.try_next().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(h.api_requests().await.len(), 1);
}

/// `items()` prefetches without a task of its own: the next page is requested when a page is
/// handed out and moved along while items are taken, so it is already asked for by the time
/// the consumer reaches the end of the page.
#[tokio::test]
async fn the_items_stream_prefetches_while_its_items_are_taken() {
    let h = Harness::start().await;
    mount_three_then_one(&h).await;
    let mut items = h.client.groups().list().items();
    for _ in 0..3 {
        within(items.try_next()).await.unwrap().unwrap();
        // The consumer's work: it yields, as async work does, and its task is woken.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        h.api_requests().await.len(),
        2,
        "page two is requested before the consumer asks for it"
    );
    let rest: Vec<_> = within(items.try_collect()).await.unwrap();
    assert_eq!(rest.len(), 1);

    // With prefetch off, the same consumer sends one request until it asks for more.
    let h = Harness::start().await;
    mount_groups(
        &h,
        vec![(groups(&["B1", "B2"]), Some("c1")), (groups(&["B3"]), None)],
    )
    .await;
    let mut items = h.client.groups().list().prefetch(false).items();
    for _ in 0..2 {
        within(items.try_next()).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(h.api_requests().await.len(), 1);
}

/// A page fetched ahead that has to wait before it is sent (here for the rate limit) goes out
/// while the consumer takes items, when its wait is over: not when the page runs out.
#[tokio::test]
async fn the_items_stream_sends_a_waiting_request_while_items_are_taken() {
    let h = Harness::start().await;
    mount_three_then_one(&h).await;
    // Ten requests a second: page two's request waits about 100 ms after page one's.
    let client = h
        .client
        .with_rate_limiter(dintero_products::RateLimiter::fixed(10.0));
    let mut items = client.groups().list().items();
    within(items.try_next()).await.unwrap().unwrap();
    assert_eq!(h.api_requests().await.len(), 1);
    // The consumer works on the first item past the wait, then takes the second.
    tokio::time::sleep(Duration::from_millis(250)).await;
    within(items.try_next()).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        h.api_requests().await.len(),
        2,
        "page two is requested with a page item still to take"
    );
    let rest: Vec<_> = within(items.try_collect()).await.unwrap();
    assert_eq!(rest.len(), 2);
}

/// Dropping a page stream cancels the page it fetches ahead: its connection is closed, rather
/// than left waiting in a task nobody reads.
#[tokio::test]
async fn dropping_a_page_stream_cancels_the_page_fetched_ahead() {
    let server = Hostile::start(|seen| {
        if seen.is_token_request() {
            Reply::token("t", json!(3600))
        } else if seen.target.contains("starting_after") {
            Reply::Silent
        } else {
            Reply::json(
                200,
                json!({"groups": [group("B1")], "starting_after": "c1"}),
            )
        }
    })
    .await;
    let client = builder(&server.base_url).build().unwrap();
    let mut pages = client.groups().list().pages();
    within(pages.try_next()).await.unwrap().unwrap();
    until(|| server.api_requests().len() == 2).await;
    assert_eq!(server.closed_by_client(), 0, "page two is still awaited");
    drop(pages);
    until(|| server.closed_by_client() == 1).await;
}

/// Waits until `done` holds, or fails the test after 10 seconds.
async fn until(done: impl Fn() -> bool) {
    within(async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// An items stream taken to another runtime in the middle of a list starts its page fetched
/// ahead again there, rather than poll the first runtime's timers and connections.
#[test]
fn an_items_stream_outlives_the_runtime_it_started_on() {
    let got = across_two_runtimes(
        |h| h.client.groups().list().items(),
        |g| vec![g.id().to_string()],
    );
    assert_eq!(got, ["B1", "B2", "B3"]);
}

/// Streams a list of three one-group pages, takes its first element on one runtime, drops that
/// runtime, and takes the rest on a second one (within 10 seconds); the ids in the order seen.
fn across_two_runtimes<S, T>(
    stream: fn(&Harness) -> S,
    ids_of: fn(&T) -> Vec<String>,
) -> Vec<String>
where
    S: Stream<Item = Result<T, Error>> + Unpin,
{
    let first = tokio::runtime::Runtime::new().unwrap();
    let (h, mut stream, mut seen) = first.block_on(async {
        let h = Harness::start().await;
        mount_groups(
            &h,
            vec![
                (groups(&["B1"]), Some("c1")),
                (groups(&["B2"]), Some("c2")),
                (groups(&["B3"]), None),
            ],
        )
        .await;
        let mut stream = stream(&h);
        let first = stream.try_next().await.unwrap().unwrap();
        (h, stream, ids_of(&first))
    });
    drop(first); // cancels what the stream started on it

    let second = tokio::runtime::Runtime::new().unwrap();
    let rest: Vec<T> = second
        .block_on(within((&mut stream).try_collect()))
        .unwrap();
    seen.extend(rest.iter().flat_map(ids_of));
    drop(h);
    seen
}

#[tokio::test]
async fn streams_are_lazy() {
    let h = Harness::start().await;
    mount_groups(&h, vec![(groups(&["B1"]), None)]).await;
    let stream = h.client.groups().list().items();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert!(h.api_requests().await.is_empty());
    drop(stream);
}

/// The items stream knows, at least, how many items of the page it holds are left; not how
/// many pages follow.
#[tokio::test]
async fn the_items_stream_hints_the_rest_of_its_page() {
    let h = Harness::start().await;
    mount_three_then_one(&h).await;
    let mut items = h.client.groups().list().items();
    assert_eq!(items.size_hint(), (0, None), "nothing fetched yet");
    let mut hints = Vec::new();
    while let Some(item) = within(items.next()).await {
        item.unwrap();
        hints.push(items.size_hint());
    }
    assert_eq!(hints, [(2, None), (1, None), (0, None), (0, None)]);
}

/// A stream prints which kind it is, and nothing of the client behind it.
#[tokio::test]
async fn streams_print_their_kind() {
    let h = Harness::start().await;
    assert_eq!(format!("{:?}", h.client.groups().list().pages()), "Pages");
    assert_eq!(format!("{:?}", h.client.groups().list().items()), "Items");
}

#[test]
fn streams_are_send_and_unpin() {
    fn assert_stream<S: Stream + Send + Unpin + 'static>(_: &S) {}
    fn check(
        pages: Pages<dintero_products::Product>,
        items: dintero_products::Items<dintero_products::Catalog>,
    ) {
        assert_stream(&pages);
        assert_stream(&items);
    }
    let _ = check;
}

#[tokio::test]
async fn every_list_streams_through_the_same_paginator() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .and(path(api("/catalogs")))
        .respond_with(PagedList {
            pages: vec![
                (vec![json!({"catalog_id": "S1"})], Some("x")),
                (vec![json!({"catalog_id": "S2"})], None),
            ],
            key: "catalogs",
        })
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/catalogs/S23/products")))
        .respond_with(PagedList {
            pages: vec![
                (
                    vec![json!({"product_id": "P1", "groups": [{"group_id": "B1"}]})],
                    Some("y"),
                ),
                (vec![json!({"product_id": "P2"})], None),
            ],
            key: "products",
        })
        .mount(&h.server)
        .await;
    let catalogs: Vec<_> = h
        .client
        .catalogs()
        .list()
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(catalogs.len(), 2);
    let products: Vec<_> = h
        .client
        .products("S23")
        .list()
        .product_name("Stol")
        .product_id("P")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(products[0].group_ids().collect::<Vec<_>>(), ["B1"]);
    let product_requests: Vec<_> = h
        .api_requests()
        .await
        .into_iter()
        .filter(|r| r.url.path().ends_with("/products"))
        .collect();
    assert_eq!(product_requests.len(), 2);
    for r in &product_requests {
        assert_eq!(query(r, "product_name").as_deref(), Some("Stol"));
        assert_eq!(query(r, "product_id").as_deref(), Some("P"));
    }
}

#[test]
fn a_stream_outlives_the_runtime_its_prefetch_was_spawned_on() {
    let got = across_two_runtimes(|h| h.client.groups().list().pages(), ids);
    assert_eq!(got, ["B1", "B2", "B3"]);
}
