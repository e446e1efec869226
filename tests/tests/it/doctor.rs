//! `Client::doctor` against the fake in several dialects: every fact observed as the dialect
//! says, read-only runs that write nothing, production accounts refused, the cleanup after
//! failures, transcripts without secrets, and the report's JSON.

use dintero_products::{ApiFacts, Client, DoctorError, DoctorReport, Fact, Leftover, RetryPolicy};
use dintero_products_e2e::{ACCOUNT, client_with, within};
use dintero_products_fake::{
    AudienceCheck, CreateStatus, Dialect, EndSignal, FakeServer, FaultKind, Faults, GroupsInUpdate,
    HeaderName, LimitOverMax, Match, Route, UpdateSemantics,
};
use futures::TryStreamExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PREFIX: &str = "DOCTOR-TEST";

/// A fake in `dialect`, with a catalog of 60 products (and the groups they belong to).
async fn fake(dialect: Dialect) -> FakeServer {
    let fake = FakeServer::builder()
        .dialect(dialect)
        .start()
        .await
        .unwrap();
    fake.seed_products(ACCOUNT, "S23", 60);
    fake
}

/// A client for `fake` whose retries wait a millisecond: a run that resends what it should
/// not (a 404 answered for good) ends within seconds, and [`none_sent_again`] sees it.
fn client_for(fake: &FakeServer) -> Client {
    let quick = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(1));
    client_with(fake, quick, Duration::from_secs(30))
}

/// No request answered for good (a status other than 429 and 5xx) is sent again straight
/// after: a probe asks once. (Creates are left out: two in a row share a path, not a body.)
fn none_sent_again(fake: &FakeServer) {
    let requests = fake.requests();
    for pair in requests.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let answered = a.status.is_some_and(|s| s != 429 && s < 500);
        let same =
            a.method != "POST" && (&a.method, &a.path, &a.query) == (&b.method, &b.path, &b.query);
        assert!(
            !(answered && same),
            "sent again after {:?}: {b:?}",
            a.status
        );
    }
}

/// Why `fact` was skipped; empty when it was not.
fn skip_reason(report: &DoctorReport, fact: Fact) -> &str {
    report.get(fact).skipped.as_deref().unwrap_or_default()
}

/// The default fake, with `faults`.
async fn faulty(faults: Faults) -> FakeServer {
    let fake = fake(Dialect::default()).await;
    fake.set_faults(faults);
    fake
}

async fn run_write(fake: &FakeServer) -> DoctorReport {
    within(client_for(fake).doctor().write(true).prefix(PREFIX).run())
        .await
        .unwrap()
}

type Expected = BTreeMap<Fact, Option<Value>>;

/// What a doctor observes on the default fake.
fn default_expected(fake: &FakeServer) -> Expected {
    BTreeMap::from([
        (Fact::TokenAudience, Some(json!(fake.audience(ACCOUNT)))),
        (Fact::TokenExpiresIn, Some(json!(14_400))),
        (Fact::ListLimitMax, Some(json!(100))),
        (Fact::ListLimitOverMax, Some(json!("error"))),
        (Fact::ListCursorKey, Some(json!("starting_after"))),
        (Fact::ListEndSignal, Some(json!("no_cursor"))),
        (Fact::FilterProductId, Some(json!("exact"))),
        (Fact::FilterGroupId, Some(json!("exact"))),
        (Fact::FilterProductName, Some(json!("substring_ci"))),
        (Fact::RouteGetCatalog, Some(json!(true))),
        (Fact::RouteGetGroup, Some(json!(true))),
        (Fact::RouteGetProduct, Some(json!(true))),
        (Fact::RouteDeleteProduct, Some(json!(true))),
        (Fact::CreateStatus, Some(json!(200))),
        (Fact::CreateGroups, Some(json!(true))),
        (Fact::UpdateSemantics, Some(json!("replace"))),
        (Fact::UpdateGroups, Some(json!("applied"))),
        (Fact::DeleteCatalogCascades, Some(json!(true))),
        (Fact::ErrorNotFoundCode, Some(json!("NOT FOUND"))),
        (Fact::HeaderRequestId, Some(json!("request-id"))),
    ])
}

fn with(mut expected: Expected, changes: &[(Fact, Option<Value>)]) -> Expected {
    for (fact, value) in changes {
        expected.insert(*fact, value.clone());
    }
    expected
}

/// Every fact observed as `expected` says (`None`: skipped), and `holds` right.
fn check(report: &DoctorReport, expected: &Expected) {
    assert_eq!(expected.len(), 20);
    for fact in Fact::ALL {
        let finding = report.get(fact);
        let want = &expected[&fact];
        assert_eq!(
            finding.observed.as_ref(),
            want.as_ref(),
            "{fact}: {finding:?}"
        );
        match want {
            None => assert!(finding.is_skipped() && finding.holds, "{fact}: {finding:?}"),
            Some(value) => {
                assert!(!finding.is_skipped(), "{fact}: {finding:?}");
                let holds = match fact {
                    Fact::UpdateGroups => value != "applied",
                    _ => *value == finding.assumed,
                };
                assert_eq!(finding.holds, holds, "{fact}: {finding:?}");
            }
        }
    }
    assert_eq!(
        report.all_hold(),
        Fact::ALL.iter().all(|f| report.get(*f).holds)
    );
}

/// Nothing the doctor made is left in the fake: no catalog or group with its prefix, no
/// product under its catalogs' ids (orphans of a catalog deleted without them included).
/// The run says it deleted all it made, and the fake holds nothing of it.
async fn cleaned_up(fake: &FakeServer, report: &DoctorReport) {
    assert!(
        report.not_cleaned_up().is_empty(),
        "{:?}",
        report.not_cleaned_up()
    );
    nothing_left(fake, PREFIX).await;
}

async fn nothing_left(fake: &FakeServer, prefix: &str) {
    // The SDK's own lists need the default dialect (pages of 100, a cursor key).
    fake.set_dialect(Dialect::default());
    let client = client_for(fake);
    let catalogs: Vec<_> = within(client.catalogs().list().items().try_collect())
        .await
        .unwrap();
    assert!(
        catalogs.iter().all(|c| !c.id().starts_with(prefix)),
        "{catalogs:?}"
    );
    let groups: Vec<_> = within(client.groups().list().items().try_collect())
        .await
        .unwrap();
    assert!(
        groups.iter().all(|g| !g.id().starts_with(prefix)),
        "{groups:?}"
    );
    for suffix in ["-CAT", "-CASCADE"] {
        assert_eq!(fake.product_count(ACCOUNT, &format!("{prefix}{suffix}")), 0);
    }
}

#[tokio::test]
async fn default_dialect() {
    let fake = fake(Dialect::default()).await;
    let report = run_write(&fake).await;
    check(&report, &default_expected(&fake));
    none_sent_again(&fake);
    assert!(
        !report.all_hold(),
        "the default fake answers creates with 200"
    );
    let contradicted: Vec<Fact> = report.contradicted().map(|(f, _)| f).collect();
    assert_eq!(
        contradicted,
        [
            Fact::CreateStatus,
            Fact::UpdateGroups,
            Fact::HeaderRequestId
        ]
    );
    assert!(
        report.not_cleaned_up().is_empty(),
        "{:?}",
        report.not_cleaned_up()
    );
    assert_eq!(report.prefix(), Some(PREFIX));
    nothing_left(&fake, PREFIX).await;
}

/// A server that answers as the SDK assumes: every fact holds, none is skipped.
#[tokio::test]
async fn a_server_as_assumed_holds_every_fact() {
    let dialect = Dialect::default()
        .create_status(CreateStatus::Created)
        .groups_in_update(GroupsInUpdate::Ignored)
        .no_request_id_header();
    let fake = fake(dialect).await;
    let report = run_write(&fake).await;
    assert!(report.all_hold(), "{report:?}");
    assert_eq!(report.contradicted().count(), 0);
    assert_eq!(report.skipped().count(), 0);
    cleaned_up(&fake, &report).await;
}

/// A write refused with 429 is sent again after the wait asked (it was not applied), even
/// one that is not repeatable: the run observes what it would have without the refusal.
#[tokio::test]
async fn rate_limited_writes_are_sent_again() {
    let fake = faulty(
        Faults::always(FaultKind::RateLimited {
            retry_after_secs: 0,
        })
        .only_method("POST")
        .first(2),
    )
    .await;
    let report = run_write(&fake).await;
    check(&report, &default_expected(&fake));
    cleaned_up(&fake, &report).await;
}

/// A read that fails on the way (a 503, a dropped connection) is sent again: the run
/// observes what it would have without the failures.
#[tokio::test]
async fn transient_failures_of_reads_are_retried() {
    for kind in [FaultKind::Status(503), FaultKind::DropConnection] {
        let fake = faulty(Faults::always(kind.clone()).only_method("GET").first(3)).await;
        let report = run_write(&fake).await;
        check(&report, &default_expected(&fake));
        cleaned_up(&fake, &report).await;
    }
}

/// When the doctor's catalog cannot be created, the probes that need it skip, saying why;
/// when its products cannot, the probes that need a product do.
#[tokio::test]
async fn probes_whose_data_could_not_be_made_skip_and_say_why() {
    let server = faulty(
        Faults::always(FaultKind::Status(503))
            .only_method("POST")
            .only_path_ending("/products/catalogs")
            .first(1),
    )
    .await;
    let report = run_write(&server).await;
    for fact in [
        Fact::CreateGroups,
        Fact::UpdateSemantics,
        Fact::UpdateGroups,
        Fact::RouteDeleteProduct,
        Fact::DeleteCatalogCascades,
    ] {
        let why = skip_reason(&report, fact);
        assert!(
            why.starts_with("the doctor's catalog could not be created: 503"),
            "{fact}: {why}"
        );
    }
    cleaned_up(&server, &report).await;

    let fake = faulty(
        Faults::always(FaultKind::Status(503))
            .only_method("POST")
            .only_path_ending("/products"),
    )
    .await;
    let report = run_write(&fake).await;
    let why = skip_reason(&report, Fact::UpdateSemantics);
    assert!(
        why.starts_with("the probe's create did not succeed: 503"),
        "{why}"
    );
    cleaned_up(&fake, &report).await;
}

/// Without a delete route for products and without a cascade, the doctor's products outlive
/// its catalog: the run names each as not cleaned up.
#[tokio::test]
async fn products_that_outlive_their_catalog_are_named() {
    let dialect = Dialect::default()
        .route(Route::DeleteProduct, false)
        .delete_catalog_cascades(false);
    let fake = fake(dialect).await;
    let report = run_write(&fake).await;
    let left = report.not_cleaned_up();
    let catalog = format!("{PREFIX}-CAT");
    let product = Leftover::Product {
        catalog: catalog.clone(),
        id: format!("{PREFIX}-P1"),
    };
    assert!(left.contains(&product), "{left:?}");
    assert!(
        left.iter().all(|l| matches!(l, Leftover::Product { .. })),
        "{left:?}"
    );
}

/// A create that fails on the way may have been applied: it is not sent blindly again.
#[tokio::test]
async fn a_write_that_may_have_been_applied_is_not_sent_again() {
    for kind in [FaultKind::Status(503), FaultKind::DropConnection] {
        let fake = faulty(Faults::always(kind.clone()).only_method("POST").first(1)).await;
        let report = run_write(&fake).await;
        // The first create is of the doctor's first group; the probes that need it skip.
        for fact in [Fact::CreateGroups, Fact::UpdateGroups] {
            let why = skip_reason(&report, fact);
            assert!(
                why.contains("group could not be created"),
                "{kind:?} {fact}: {why}"
            );
            if kind == FaultKind::DropConnection {
                // The error with its causes, each layer once.
                assert!(
                    why.contains("created: the connection failed: error sending request"),
                    "{fact}: {why}"
                );
            }
        }
        let creates = fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/products/groups"))
            .count();
        assert_eq!(
            creates, 2,
            "{kind:?}: the failed group's create, then the second group's"
        );
        cleaned_up(&fake, &report).await;
    }
}

#[tokio::test]
async fn created_201_without_inferred_routes() {
    let dialect = Dialect::default()
        .create_status(CreateStatus::Created)
        .get_routes(false)
        .route(Route::DeleteProduct, false);
    let fake = fake(dialect).await;
    let report = run_write(&fake).await;
    let expected = with(
        default_expected(&fake),
        &[
            (Fact::CreateStatus, Some(json!(201))),
            (Fact::RouteGetCatalog, Some(json!(false))),
            (Fact::RouteGetGroup, Some(json!(false))),
            (Fact::RouteGetProduct, Some(json!(false))),
            (Fact::RouteDeleteProduct, Some(json!(false))),
        ],
    );
    check(&report, &expected);
    // The products the route could not delete went with their catalog.
    cleaned_up(&fake, &report).await;
}

#[tokio::test]
async fn loose_filters_merge_and_no_cascade() {
    let dialect = Dialect::default()
        .product_id_filter(Match::prefix())
        .group_id_filter(Match::substring().ignoring_case())
        .product_name_filter(Match::prefix().ignoring_case())
        .update(UpdateSemantics::Merge)
        .groups_in_update(GroupsInUpdate::Ignored)
        .delete_catalog_cascades(false);
    let fake = fake(dialect).await;
    let report = run_write(&fake).await;
    let expected = with(
        default_expected(&fake),
        &[
            (Fact::FilterProductId, Some(json!("prefix"))),
            (Fact::FilterGroupId, Some(json!("substring_ci"))),
            (Fact::FilterProductName, Some(json!("prefix_ci"))),
            (Fact::UpdateSemantics, Some(json!("merge"))),
            (Fact::UpdateGroups, Some(json!("ignored"))),
            (Fact::DeleteCatalogCascades, Some(json!(false))),
        ],
    );
    check(&report, &expected);
    // The products a catalog delete left behind were deleted one by one.
    cleaned_up(&fake, &report).await;
}

#[tokio::test]
async fn clamped_limits_another_cursor_key_and_empty_last_pages() {
    let dialect = Dialect::default()
        .limit_max(50)
        .limit_over_max(LimitOverMax::Clamped)
        .cursor_key("next")
        .end_signal(EndSignal::EmptyPage)
        .not_found_code("not_found")
        .request_id_header(HeaderName::from_static("x-request-id"))
        .groups_in_update(GroupsInUpdate::Rejected)
        .audience(AudienceCheck::Any);
    let fake = fake(dialect).await;
    let report = run_write(&fake).await;
    let expected = with(
        default_expected(&fake),
        &[
            (Fact::ListLimitMax, Some(json!(50))),
            (Fact::ListLimitOverMax, Some(json!("clamped"))),
            (Fact::ListCursorKey, Some(json!("next"))),
            (Fact::ListEndSignal, Some(json!("empty_page"))),
            (Fact::ErrorNotFoundCode, Some(json!("not_found"))),
            (Fact::HeaderRequestId, Some(json!("x-request-id"))),
            (Fact::UpdateGroups, Some(json!("rejected"))),
        ],
    );
    check(&report, &expected);
    assert!(
        report.get(Fact::UpdateGroups).holds,
        "rejected states the assumption too"
    );
    cleaned_up(&fake, &report).await;
}

#[tokio::test]
async fn no_cursor_key_a_smaller_maximum_and_other_filters() {
    let dialect = Dialect::default()
        .no_cursor_key()
        .limit_max(30)
        .product_id_filter(Match::substring())
        .group_id_filter(Match::prefix())
        .product_name_filter(Match::exact().ignoring_case())
        .no_request_id_header();
    let fake = fake(dialect).await;
    let report = run_write(&fake).await;
    let expected = with(
        default_expected(&fake),
        &[
            (Fact::ListLimitMax, Some(json!(30))),
            (Fact::ListCursorKey, Some(Value::Null)),
            // Without cursors, the end is a short or empty page: nothing to observe.
            (Fact::ListEndSignal, None),
            (Fact::FilterProductId, Some(json!("substring"))),
            (Fact::FilterGroupId, Some(json!("prefix"))),
            (Fact::FilterProductName, Some(json!("exact_ci"))),
            (Fact::HeaderRequestId, Some(Value::Null)),
        ],
    );
    check(&report, &expected);
    assert!(report.get(Fact::HeaderRequestId).holds);
    cleaned_up(&fake, &report).await;
}

/// An empty account: read-only, the probes that need data are skipped; in write mode they run
/// on what the doctor creates.
#[tokio::test]
async fn write_mode_makes_the_data_an_empty_account_lacks() {
    let empty = FakeServer::start().await;
    let report = within(client_for(&empty).doctor().run()).await.unwrap();
    for fact in [
        Fact::ListCursorKey,
        Fact::ListEndSignal,
        Fact::FilterProductId,
        Fact::FilterGroupId,
        Fact::FilterProductName,
        Fact::RouteGetCatalog,
        Fact::RouteGetGroup,
        Fact::RouteGetProduct,
    ] {
        let finding = report.get(fact);
        assert!(finding.is_skipped() && finding.holds, "{fact}: {finding:?}");
    }
    // The limits need no data: a refusal shows on an empty list.
    assert_eq!(report.get(Fact::ListLimitMax).observed, Some(json!(100)));

    let report = run_write(&empty).await;
    check(&report, &default_expected(&empty));
    nothing_left(&empty, PREFIX).await;
}

/// Once the largest page is known, the doctor's later walks (the filters') ask for it.
#[tokio::test]
async fn walks_ask_for_the_largest_page() {
    let fake = fake(Dialect::default()).await;
    let report = within(client_for(&fake).doctor().run()).await.unwrap();
    assert_eq!(report.get(Fact::ListLimitMax).observed, Some(json!(100)));
    let filters: Vec<String> = fake
        .requests()
        .into_iter()
        .filter_map(|r| r.query)
        .filter(|q| q.contains("product_id="))
        .collect();
    assert!(!filters.is_empty());
    for query in &filters {
        assert!(query.split('&').any(|p| p == "limit=100"), "{query}");
    }
}

/// A list longer than the largest page: a full page of 100 is no clamp, and 101 is refused.
#[tokio::test]
async fn a_full_largest_page_is_no_clamp() {
    let fake = fake(Dialect::default()).await;
    fake.seed_products(ACCOUNT, "S23", 90);
    let report = within(client_for(&fake).doctor().run()).await.unwrap();
    assert_eq!(report.get(Fact::ListLimitMax).observed, Some(json!(100)));
    assert_eq!(
        report.get(Fact::ListLimitOverMax).observed,
        Some(json!("error"))
    );
}

/// Lists that serve pages over 100: the largest page is found when the list is longer
/// than it, and said unseen when it is not.
#[tokio::test]
async fn pages_over_a_hundred_are_measured_on_lists_long_enough() {
    let unseen = None;
    for (max, over, products, expected_max, expected_over) in [
        (500, LimitOverMax::Clamped, 600, Some(json!(500)), "clamped"),
        (500, LimitOverMax::Clamped, 100, unseen.clone(), "clamped"),
        (5000, LimitOverMax::Error, 1200, Some(json!(5000)), "error"),
        (5000, LimitOverMax::Error, 150, unseen, ""),
    ] {
        let dialect = Dialect::default().limit_max(max).limit_over_max(over);
        let fake = FakeServer::builder()
            .dialect(dialect)
            .start()
            .await
            .unwrap();
        fake.seed_products(ACCOUNT, "S23", products);
        let report = within(client_for(&fake).doctor().run()).await.unwrap();
        let case = format!("max {max}, {over:?}, {products} products");
        assert_eq!(
            report.get(Fact::ListLimitMax).observed,
            expected_max,
            "{case}"
        );
        let observed_over = report.get(Fact::ListLimitOverMax).observed.clone();
        let expected_over = (!expected_over.is_empty()).then(|| json!(expected_over));
        assert_eq!(observed_over, expected_over, "{case}");
    }
}

/// A largest page that an account's lists were too short to show is probed again on the
/// data write mode makes, while what was seen stays.
#[tokio::test]
async fn a_largest_page_unseen_on_short_lists_is_found_on_the_data_made() {
    let dialect = Dialect::default()
        .limit_max(2)
        .limit_over_max(LimitOverMax::Clamped);
    let fake = FakeServer::builder()
        .dialect(dialect)
        .start()
        .await
        .unwrap();
    let report = run_write(&fake).await;
    assert_eq!(report.get(Fact::ListLimitMax).observed, Some(json!(2)));
    assert_eq!(
        report.get(Fact::ListLimitOverMax).observed,
        Some(json!("clamped"))
    );
    nothing_left(&fake, PREFIX).await;
}

/// The doctor looks into the catalogs in turn until one has two products or more, and no
/// further: it reads no more of an account than it needs.
#[tokio::test]
async fn the_doctor_reads_catalogs_until_one_has_products_enough() {
    let fake = fake(Dialect::default()).await;
    fake.seed_catalog(ACCOUNT, "A0", "Empty");
    fake.seed_products(ACCOUNT, "A1", 1);
    fake.seed_products(ACCOUNT, "Z9", 5);
    let report = within(client_for(&fake).doctor().run()).await.unwrap();
    assert_eq!(
        report.get(Fact::RouteGetProduct).observed,
        Some(json!(true))
    );
    let listed = |catalog: &str| {
        let path = format!("/catalogs/{catalog}/products");
        fake.requests().iter().any(|r| r.path.ends_with(&path))
    };
    assert!(listed("A0") && listed("A1") && listed("S23"));
    assert!(
        !listed("Z9"),
        "a catalog after the first with products enough"
    );
}

/// An account whose only catalog is empty has no products to probe, and the doctor says so.
#[tokio::test]
async fn an_empty_catalog_is_no_catalog_with_products() {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, "A0", "Empty");
    let report = within(client_for(&fake).doctor().run()).await.unwrap();
    for fact in [Fact::FilterProductId, Fact::FilterProductName] {
        let why = skip_reason(&report, fact);
        assert_eq!(why, "the account has no catalog with products", "{fact}");
    }
}

#[tokio::test]
async fn read_only_runs_write_nothing() {
    let fake = fake(Dialect::default()).await;
    let report = within(client_for(&fake).doctor().run()).await.unwrap();
    let expected = with(
        default_expected(&fake),
        &Fact::ALL
            .iter()
            .filter(|fact| fact.is_write())
            .map(|fact| (*fact, None))
            .collect::<Vec<_>>(),
    );
    check(&report, &expected);
    let skipped: Vec<Fact> = report.skipped().map(|(fact, _)| fact).collect();
    let writes: Vec<Fact> = Fact::ALL.into_iter().filter(|f| f.is_write()).collect();
    assert_eq!(skipped, writes);
    for (fact, finding) in report.skipped() {
        assert!(fact.is_write(), "{fact}");
        assert!(
            finding
                .skipped
                .as_deref()
                .unwrap_or("")
                .contains("read-only"),
            "{finding:?}"
        );
    }
    assert_eq!(report.prefix(), None);
    none_sent_again(&fake);
    let requests = fake.requests();
    assert!(requests.len() > 10);
    for request in &requests {
        let token = request.method == "POST" && request.path.ends_with("/auth/token");
        assert!(request.method == "GET" || token, "{request:?}");
    }
    assert_eq!(fake.token_requests(), 1);
}

#[tokio::test]
async fn production_accounts_are_refused_before_any_request() {
    let fake = fake(Dialect::default()).await;
    let client = Client::builder()
        .account_id("P12345678")
        .client_credentials(fake.client_id(), fake.client_secret())
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let error = within(client.doctor().write(true).prefix(PREFIX).run())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, DoctorError::ProductionAccount { account } if account.as_str() == "P12345678"),
        "{error:?}"
    );
    assert!(error.to_string().contains("test account"), "{error}");
    assert!(error.report().is_none());
    // Whatever else is set: a bad prefix is not even looked at.
    let error = within(client.doctor().write(true).prefix(" bad ").run())
        .await
        .unwrap_err();
    assert!(
        matches!(error, DoctorError::ProductionAccount { .. }),
        "{error:?}"
    );
    assert!(fake.requests().is_empty());
    assert_eq!(fake.token_requests(), 0);

    // On a test account, the bad prefix is refused, also before any request.
    let error = within(client_for(&fake).doctor().write(true).prefix(" bad ").run())
        .await
        .unwrap_err();
    assert!(matches!(error, DoctorError::InvalidPrefix(_)), "{error:?}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn the_cleanup_runs_after_failed_probes() {
    let fake = faulty(Faults::always(FaultKind::Status(500)).only_method("PUT")).await;
    let report = run_write(&fake).await;
    for fact in [Fact::UpdateSemantics, Fact::UpdateGroups] {
        let finding = report.get(fact);
        let reason = finding.skipped.as_deref().unwrap_or_default();
        assert!(reason.contains("500"), "{fact}: {finding:?}");
    }
    assert_eq!(report.get(Fact::CreateGroups).observed, Some(json!(true)));
    cleaned_up(&fake, &report).await;
}

#[tokio::test]
async fn what_cannot_be_deleted_is_reported_and_the_handle_deletes_it_later() {
    let fake = faulty(Faults::always(FaultKind::Status(500)).only_method("DELETE")).await;
    let client = client_with(&fake, RetryPolicy::none(), Duration::from_secs(30));
    let doctor = client.doctor().write(true).prefix(PREFIX);
    // What a log line shows of a doctor: its settings and its client, never the secret.
    let shown = format!("{doctor:?}");
    assert!(
        shown.contains("write: true") && shown.contains(&format!("prefix: {PREFIX:?}")),
        "{shown}"
    );
    assert!(
        shown.contains(ACCOUNT) && !shown.contains(fake.client_secret()),
        "{shown}"
    );
    let cleanup = doctor.cleanup();
    let report = within(doctor.run()).await.unwrap();
    let left = report.not_cleaned_up();
    for expected in [
        Leftover::Catalog {
            id: format!("{PREFIX}-CAT"),
        },
        Leftover::Group {
            id: format!("{PREFIX}-G1"),
        },
        Leftover::Group {
            id: format!("{PREFIX}-G2"),
        },
        Leftover::Product {
            catalog: format!("{PREFIX}-CAT"),
            id: format!("{PREFIX}-P1"),
        },
    ] {
        assert!(left.contains(&expected), "{expected} not in {left:?}");
    }
    assert!(report.get(Fact::RouteDeleteProduct).is_skipped());
    assert!(report.get(Fact::DeleteCatalogCascades).is_skipped());
    assert_eq!(cleanup.pending(), left);
    let shown = format!("{cleanup:?}");
    assert!(
        shown.starts_with("DoctorCleanup { pending: [") && shown.contains(&format!("{PREFIX}-P1")),
        "{shown}"
    );

    fake.set_faults(Faults::new());
    assert_eq!(within(cleanup.run()).await, Vec::<Leftover>::new());
    assert!(cleanup.pending().is_empty());
    assert_eq!(format!("{cleanup:?}"), "DoctorCleanup { pending: [] }");
    nothing_left(&fake, PREFIX).await;
}

/// Standard base64 with padding: what a Basic header holds.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A `Write` into a buffer the test reads afterwards.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A sink that takes `room` bytes, then fails as a full disk does.
struct Full {
    room: usize,
}

impl Write for Full {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::other("no space left on the test's disk"));
        }
        let n = bytes.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A transcript that cannot be written stops; the run goes on and says why it stopped.
#[tokio::test]
async fn a_failing_transcript_stops_the_transcript_not_the_run() {
    let fake = fake(Dialect::default()).await;
    let report = within(client_for(&fake).doctor().record(Full { room: 500 }).run())
        .await
        .unwrap();
    let error = report.transcript_error().unwrap_or_default();
    assert!(
        error.contains("no space left on the test's disk"),
        "{error:?}"
    );
    let expected = default_expected(&fake);
    for fact in Fact::ALL.into_iter().filter(|f| !f.is_write()) {
        assert_eq!(
            report.get(fact).observed.as_ref(),
            expected[&fact].as_ref(),
            "{fact}"
        );
    }
}

#[tokio::test]
async fn transcripts_hold_every_exchange_and_no_secret() {
    let fake = fake(Dialect::default()).await;
    let buffer = Buffer::default();
    let report = within(
        client_for(&fake)
            .doctor()
            .write(true)
            .prefix(PREFIX)
            .record(buffer.clone())
            .run(),
    )
    .await
    .unwrap();
    assert_eq!(report.transcript_error(), None);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();

    let basic = base64(format!("{}:{}", fake.client_id(), fake.client_secret()).as_bytes());
    assert!(!text.contains(fake.client_secret()));
    assert!(!text.contains(&basic));
    // The fake's tokens are `fake_` and hex.
    assert!(
        !text.contains("fake_"),
        "an access token is in the transcript"
    );
    assert!(!text.to_ascii_lowercase().contains("bearer"));

    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), fake.requests().len(), "one line per exchange");
    let token = lines
        .iter()
        .find(|line| line["path"].as_str().unwrap_or("").ends_with("/auth/token"))
        .unwrap();
    assert_eq!(token["probe"], "token.audience");
    assert_eq!(token["method"], "POST");
    assert_eq!(token["status"], 200);
    assert_eq!(token["request"]["headers"]["authorization"], "[redacted]");
    assert_eq!(
        token["request"]["body"]["audience"],
        json!(fake.audience(ACCOUNT))
    );
    assert_eq!(token["response"]["body"]["access_token"], "[redacted]");
    assert_eq!(token["response"]["body"]["expires_in"], 14_400);
    for line in &lines {
        for key in [
            "probe", "method", "path", "query", "request", "status", "response", "ms",
        ] {
            assert!(line.get(key).is_some(), "{key} missing in {line}");
        }
        if line != token {
            assert_eq!(line["request"]["headers"]["authorization"], "[redacted]");
        }
    }
    let limit = lines
        .iter()
        .find(|line| line["query"] == "limit=101")
        .unwrap();
    assert_eq!(limit["probe"], "list.limit_max");
    assert_eq!(limit["status"], 400);
    assert_eq!(limit["response"]["body"]["error"]["code"], "BAD_REQUEST");
}

#[tokio::test]
async fn to_json_has_every_fact_and_api_facts_round_trip() {
    let fake = fake(Dialect::default()).await;
    let report = within(client_for(&fake).doctor().run()).await.unwrap();
    let json = report.to_json();
    let object = json.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut names: Vec<&str> = Fact::ALL.iter().map(|f| f.name()).collect();
    names.sort_unstable();
    assert_eq!(keys, names);
    for (fact, finding) in &report {
        let entry = object[fact.name()].as_object().unwrap();
        let mut entry_keys: Vec<&str> = entry.keys().map(String::as_str).collect();
        entry_keys.sort_unstable();
        if finding.is_skipped() {
            assert_eq!(entry_keys, ["assumed", "holds", "observed", "skipped"]);
            assert_eq!(entry["observed"], Value::Null);
            assert_eq!(entry["holds"], true);
        } else {
            assert_eq!(entry_keys, ["assumed", "holds", "observed"]);
            assert_eq!(Some(&entry["observed"]), finding.observed.as_ref());
        }
        assert_eq!(entry["assumed"], finding.assumed);
        assert_eq!(entry["holds"], finding.holds);
    }
    assert_eq!(object["list.cursor_key"]["observed"], "starting_after");
    assert_eq!(object["create.status"]["assumed"], 201);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-facts.json");
    report.facts().save(&path).unwrap();
    let loaded = ApiFacts::load(&path).unwrap();
    assert_eq!(loaded, report.facts());
    assert_eq!(ApiFacts::from(&report), loaded);
    assert_eq!(loaded.to_json(), json);
    for fact in Fact::ALL {
        assert_eq!(
            loaded.observed(fact),
            report.get(fact).observed.as_ref(),
            "{fact}"
        );
        assert_eq!(loaded.finding(fact), Some(report.get(fact)), "{fact}");
    }
    assert_eq!(
        loaded.observed(Fact::CreateStatus),
        None,
        "skipped read-only"
    );
    assert_eq!(
        loaded.observed(Fact::ListCursorKey),
        Some(&json!("starting_after"))
    );
    // The file lists the facts in table order, a line each.
    let text = std::fs::read_to_string(&path).unwrap();
    let first = text.lines().nth(1).unwrap();
    assert!(first.starts_with("  \"token.audience\":"), "{first}");
    assert!(ApiFacts::load(dir.path().join("missing.json")).is_err());
}

#[tokio::test]
async fn a_refused_audience_is_what_the_server_said() {
    let fake = fake(Dialect::default()).await;
    let client = Client::builder()
        .account_id(ACCOUNT)
        .client_credentials(fake.client_id(), fake.client_secret())
        .base_url(fake.base_url())
        .audience("https://example.com/elsewhere")
        .build()
        .unwrap();
    let error = within(client.doctor().write(true).prefix(PREFIX).run())
        .await
        .unwrap_err();
    assert!(matches!(error, DoctorError::Unusable { .. }), "{error:?}");
    let report = error.report().unwrap();
    let audience = report.get(Fact::TokenAudience);
    assert_eq!(audience.assumed, json!("https://example.com/elsewhere"));
    let observed = audience.observed.clone().unwrap();
    assert_eq!(observed["status"], 400, "{observed}");
    assert_eq!(
        observed["body"]["error"]["code"], "BAD_REQUEST",
        "{observed}"
    );
    assert!(!audience.holds && !report.all_hold());
    for fact in &Fact::ALL[1..] {
        assert!(report.get(*fact).is_skipped(), "{fact}");
    }
    assert!(report.not_cleaned_up().is_empty());
    // Only the token request was sent.
    assert_eq!(fake.requests().len(), 1);
}

/// A first list the API refuses makes the API unusable to the doctor: the token facts are
/// found, the rest skipped with the refusal, and nothing is written.
#[tokio::test]
async fn a_refused_first_list_ends_the_run() {
    let fake = faulty(Faults::always(FaultKind::Status(403)).only_method("GET")).await;
    let error = within(client_for(&fake).doctor().write(true).prefix(PREFIX).run())
        .await
        .unwrap_err();
    assert!(matches!(error, DoctorError::Unusable { .. }), "{error:?}");
    let report = error.report().unwrap();
    assert!(!report.get(Fact::TokenAudience).is_skipped());
    let why = skip_reason(report, Fact::ListLimitMax);
    assert!(
        why.starts_with("the doctor could not use the API: ") && why.contains("403"),
        "{why}"
    );
    let methods: Vec<String> = fake.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["POST", "GET"], "the token, then the refused list");
}

/// Only a 404 or a 405 says a route is missing, and only a 404 gives the not-found code: a
/// route refused otherwise is not observed, and a refusal of the absent catalog's route is
/// no 404 (its products list gives the code).
#[tokio::test]
async fn only_a_404_is_a_missing_route_or_the_not_found_code() {
    let fake = fake_server_failing("/catalogs/S23").await;
    let report = within(client_for(&fake).doctor().run()).await.unwrap();
    let route = report.get(Fact::RouteGetCatalog);
    assert!(route.is_skipped(), "{route:?}");
    assert!(
        skip_reason(&report, Fact::RouteGetCatalog).contains("403"),
        "{route:?}"
    );

    let fake = fake_server_failing("-NO-SUCH-CATALOG").await;
    let report = within(client_for(&fake).doctor().run()).await.unwrap();
    assert_eq!(
        report.get(Fact::ErrorNotFoundCode).observed,
        Some(json!("NOT FOUND"))
    );
}

/// The default fake, its `GET`s of paths ending with `suffix` refused with 403.
async fn fake_server_failing(suffix: &str) -> FakeServer {
    faulty(
        Faults::always(FaultKind::Status(403))
            .only_method("GET")
            .only_path_ending(suffix),
    )
    .await
}

/// The request-id header is found by its name, whatever the server calls it.
#[tokio::test]
async fn request_id_headers_are_found_by_their_names() {
    for name in [
        "x-request-id",
        "x_request_id",
        "x-requestid",
        "x-correlation-id",
    ] {
        let dialect = Dialect::default().request_id_header(HeaderName::from_static(name));
        let fake = fake(dialect).await;
        let report = within(client_for(&fake).doctor().run()).await.unwrap();
        assert_eq!(
            report.get(Fact::HeaderRequestId).observed,
            Some(json!(name)),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_static_bearer_token_skips_the_token_facts() {
    let fake = fake(Dialect::default()).await;
    let token: Value = reqwest::Client::new()
        .post(fake.token_url(ACCOUNT))
        .basic_auth(fake.client_id(), Some(fake.client_secret()))
        .json(&json!({"grant_type": "client_credentials", "audience": fake.audience(ACCOUNT)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client = Client::builder()
        .account_id(ACCOUNT)
        .bearer_token(token["access_token"].as_str().unwrap())
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let report = within(client.doctor().run()).await.unwrap();
    let mut skipped: Vec<(Fact, Option<Value>)> = Fact::ALL
        .iter()
        .filter(|fact| fact.is_write())
        .map(|fact| (*fact, None))
        .collect();
    skipped.extend([(Fact::TokenAudience, None), (Fact::TokenExpiresIn, None)]);
    check(&report, &with(default_expected(&fake), &skipped));
    assert_eq!(fake.token_requests(), 1, "the test's own");
}

/// Odd answers, served in turn to every API request by [`hostile_server`].
const ODD: [(u16, &str, &str); 10] = [
    (
        200,
        "application/json",
        r#"{"catalogs": [{"catalog_id": "C1"}, {"catalog_id": 7}, null], "starting_after": "c"}"#,
    ),
    (
        200,
        "application/json",
        r#"{"groups": "nope", "products": {"a": 1}, "catalogs": []}"#,
    ),
    (200, "text/html", "<html>hello</html>"),
    (404, "text/plain", "not found, Bearer abc"),
    (500, "application/json", r#"{"error": {"code": 5}}"#),
    (
        400,
        "application/json",
        r#"{"error": {"code": "BAD", "message": "no"}}"#,
    ),
    (201, "application/json", "[]"),
    (302, "text/plain", ""),
    (
        200,
        "application/json",
        r#"{"products": [{"product_id": "P-1", "product_name": "Æøå ß", "groups": "x"}], "groups": [{"group_id": "ǅx"}], "starting_after": "c"}"#,
    ),
    (
        200,
        "application/json",
        r#"{"products": [], "groups": [], "catalogs": [], "next": {"deep": true}}"#,
    ),
];

/// A server on loopback that issues a token, then answers each API request with the next of
/// [`ODD`]; returns its base URL.
fn hostile_server() -> String {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut served = 0usize;
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut head = Vec::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                head.push(line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let token = head.first().is_some_and(|l| l.contains("/auth/token"));
            // Each run starts with a token request, and then meets the odd answers in order.
            let (status, kind, body) = if token {
                served = 0;
                (
                    200,
                    "application/json",
                    r#"{"access_token": "tok_hostile_1", "expires_in": "soon", "token_type": "Bearer"}"#,
                )
            } else {
                served += 1;
                ODD[(served - 1) % ODD.len()]
            };
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/v1")
}

/// Whatever a server answers, a run ends, without a panic, with a report of every fact (or an
/// error carrying one), and its transcript stays free of tokens.
#[tokio::test]
async fn hostile_answers_never_panic() {
    let base = hostile_server();
    let client = Client::builder()
        .account_id(ACCOUNT)
        .client_credentials("id", "hostile-secret")
        .base_url(&base)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for write in [false, true] {
        let buffer = Buffer::default();
        let result = within(client.doctor().write(write).record(buffer.clone()).run()).await;
        let report = match &result {
            Ok(report) => report,
            Err(error) => error.report().expect("a run that starts carries a report"),
        };
        assert_eq!(report.to_json().as_object().unwrap().len(), 20);
        assert_eq!(report.iter().count(), 20);
        assert_eq!(
            report.get(Fact::TokenExpiresIn).observed,
            Some(json!("soon"))
        );
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(text.lines().count() > 5, "the run got past its first list");
        assert!(!text.contains("tok_hostile_1") && !text.contains("hostile-secret"));
        assert!(!text.to_ascii_lowercase().contains("bearer"));
    }
}
