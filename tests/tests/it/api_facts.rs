//! Saved doctor findings given to a client (`ClientBuilder::api_facts`, `DINTERO_API_FACTS`):
//! the behaviours resting on a guess follow them, and without them stay on the safe
//! assumptions. Requests are counted in the fake's log.

use dintero_products::{
    Action, ApiFacts, Client, ClientBuilder, Consent, Desired, DesiredProduct, Error, Fact, Field,
    FieldSet, Intent, NewGroup, NewProduct, Written,
};
use dintero_products_e2e::{ACCOUNT, client_for, within};
use dintero_products_fake::{Dialect, FakeServer, FaultKind, Faults, GroupsInUpdate, Match, Route};
use serde_json::json;

const CATALOG: &str = "S23";

async fn fake(dialect: Dialect) -> FakeServer {
    let fake = FakeServer::builder()
        .dialect(dialect)
        .start()
        .await
        .unwrap();
    fake.seed_catalog(ACCOUNT, CATALOG, "Sommer");
    fake
}

/// A client for `fake` given `facts`, as `client_for` builds one.
fn client_with_facts(fake: &FakeServer, facts: ApiFacts) -> Client {
    Client::builder()
        .account_id(ACCOUNT)
        .client_credentials(fake.client_id(), fake.client_secret())
        .base_url(fake.base_url())
        .api_facts(facts)
        .build()
        .unwrap()
}

/// Facts with these observations, as a saved report spells them.
fn facts(observed: &[(Fact, serde_json::Value)]) -> ApiFacts {
    let object: serde_json::Map<_, _> = observed
        .iter()
        .map(|(fact, value)| {
            let finding = json!({"assumed": null, "observed": value, "holds": false});
            (fact.name().to_string(), finding)
        })
        .collect();
    ApiFacts::from_value(&object.into()).unwrap()
}

/// The API requests since the log was last cleared, token requests left out: `METHOD path`,
/// the path after `/accounts/{aid}/products`, and `?query` when there was one.
fn requests(fake: &FakeServer) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter(|r| !r.path.ends_with("/auth/token"))
        .map(|r| {
            let tail = r.path.split_once("/products").map_or("", |(_, t)| t);
            let query = r.query.map(|q| format!("?{q}")).unwrap_or_default();
            format!("{} {tail}{query}", r.method)
        })
        .collect()
}

/// The API requests that write (every method but GET), as [`requests`] spells them.
fn write_requests(fake: &FakeServer) -> Vec<String> {
    requests(fake)
        .into_iter()
        .filter(|r| !r.starts_with("GET"))
        .collect()
}

async fn groups(client: &Client, ids: &[&str]) {
    for id in ids {
        client
            .groups()
            .create(NewGroup::new(*id).id(*id))
            .await
            .unwrap();
    }
}

/// Product `id` in group TABLES.
async fn in_tables(client: &Client, id: &str) -> dintero_products::Product {
    client
        .products(CATALOG)
        .create(NewProduct::new("Stol").id(id).group("TABLES"))
        .await
        .unwrap()
}

fn to_chairs(id: &str) -> Desired {
    Desired::products(vec![NewProduct::with_id(id).group("CHAIRS")])
}

#[tokio::test]
async fn saved_facts_that_updates_apply_groups_turn_a_recreate_into_one_put() {
    let fake = fake(Dialect::default().groups_in_update(GroupsInUpdate::Applied)).await;
    fake.seed_products(ACCOUNT, CATALOG, 5);
    let plain = client_for(&fake);
    groups(&plain, &["TABLES", "CHAIRS"]).await;

    // The real round trip: a doctor's findings, saved to a file and loaded again.
    let report = within(plain.doctor().write(true).run()).await.unwrap();
    assert_eq!(
        report.get(Fact::UpdateGroups).observed,
        Some(json!("applied"))
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-facts.json");
    report.facts().save(&path).unwrap();
    let loaded = ApiFacts::load(&path).unwrap();
    assert_eq!(loaded, report.facts());
    let learned = client_with_facts(&fake, loaded);
    assert_eq!(learned.api_facts(), Some(&report.facts()));

    let before = in_tables(&plain, "C1").await;
    let sync = learned.products(CATALOG).sync(to_chairs("C1"));
    let plan = sync.plan().await.unwrap();
    assert_eq!(
        plan.changes(),
        [("C1", Action::Update, FieldSet::from(Field::Groups))]
    );
    let summary = plan.summary();
    assert_eq!((summary.update, summary.recreate), (1, 0), "{plan}");
    assert_eq!(plan.needs(Consent::Recreate), 0, "{plan}");
    assert!(plan.held_back().is_empty(), "no consent asked: {plan}");
    let diff = plan.to_string();
    assert!(diff.contains("~ C1  groups: TABLES -> CHAIRS"), "{diff}");
    assert!(!diff.contains("needs consent"), "{diff}");

    fake.clear_requests();
    let applied = within(sync.apply(&plan)).await.unwrap();
    assert!(applied.is_success(), "{applied:?}");
    assert_eq!((applied.updated, applied.recreated), (1, 0), "{applied:?}");
    assert!(applied.not_applied.is_empty(), "{applied:?}");
    let writes = write_requests(&fake);
    assert_eq!(
        writes,
        ["PUT /catalogs/S23/products/C1"],
        "one PUT, no DELETE"
    );

    let after = plain.products(CATALOG).get("C1").await.unwrap();
    assert_eq!(after.group_ids().collect::<Vec<_>>(), ["CHAIRS"]);
    assert_eq!(
        after.raw().id,
        before.raw().id,
        "the same product, not a new one"
    );
    assert_eq!(after.name(), "Stol");
    let again = learned.products(CATALOG).sync(to_chairs("C1"));
    assert!(again.plan().await.unwrap().is_empty(), "in its new groups");

    // The same change without the facts: a recreate, with consent.
    in_tables(&plain, "C2").await;
    let sync = plain.products(CATALOG).sync(to_chairs("C2"));
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.held_back(), [("C2", vec![Consent::Recreate])]);
    let sync = plain
        .products(CATALOG)
        .sync(to_chairs("C2"))
        .allow_recreate(true);
    let plan = sync.plan().await.unwrap();
    assert_eq!(plan.summary().recreate, 1, "{plan}");
    fake.clear_requests();
    let applied = within(sync.apply(&plan)).await.unwrap();
    assert_eq!(applied.recreated, 1, "{applied:?}");
    let writes = write_requests(&fake);
    assert_eq!(
        writes,
        [
            "DELETE /catalogs/S23/products/C2",
            "POST /catalogs/S23/products"
        ]
    );
    let after = plain.products(CATALOG).get("C2").await.unwrap();
    assert_eq!(after.group_ids().collect::<Vec<_>>(), ["CHAIRS"]);
}

#[tokio::test]
async fn an_update_only_sync_changes_groups_by_its_modify() {
    let fake = fake(Dialect::default()).await;
    let plain = client_for(&fake);
    let learned = client_with_facts(&fake, facts(&[(Fact::UpdateGroups, json!("applied"))]));
    groups(&plain, &["TABLES", "CHAIRS"]).await;
    in_tables(&plain, "C1").await;
    let row = NewProduct::with_id("C1").group("CHAIRS");
    let desired = Desired::products_from(move || {
        [DesiredProduct::new(row.clone()).intent(Intent::UpdateOnly)]
    });
    let sync = learned.products(CATALOG).sync(desired);
    let plan = sync.plan().await.unwrap();
    assert_eq!(
        plan.changes(),
        [("C1", Action::Update, FieldSet::from(Field::Groups))]
    );
    fake.clear_requests();
    let applied = within(sync.apply(&plan)).await.unwrap();
    assert_eq!(applied.updated, 1, "{applied:?}");
    let writes = write_requests(&fake);
    assert_eq!(writes, ["PUT /catalogs/S23/products/C1"]);
    let after = plain.products(CATALOG).get("C1").await.unwrap();
    assert_eq!(after.group_ids().collect::<Vec<_>>(), ["CHAIRS"]);
}

#[tokio::test]
async fn upsert_applies_groups_with_the_fact_and_says_when_they_were_not() {
    let fake = fake(Dialect::default()).await;
    let plain = client_for(&fake);
    let applied = facts(&[(Fact::UpdateGroups, json!("applied"))]);
    let learned = client_with_facts(&fake, applied.clone());
    groups(&plain, &["TABLES", "CHAIRS"]).await;
    in_tables(&plain, "C1").await;
    let move_it = || NewProduct::with_id("C1").group("CHAIRS").name("Stablestol");

    // Without the facts, today's way: the name is written, the groups are not.
    let written = plain.products(CATALOG).upsert(move_it()).await.unwrap();
    assert_eq!(written.not_applied(), FieldSet::from(Field::Groups));
    assert!(matches!(
        written,
        Written::PartlyApplied { changed: true, .. }
    ));
    assert_eq!(
        written.get_ref().group_ids().collect::<Vec<_>>(),
        ["TABLES"]
    );

    let written = learned.products(CATALOG).upsert(move_it()).await.unwrap();
    assert!(matches!(written, Written::Updated(_)), "{written:?}");
    assert!(written.not_applied().is_empty());
    assert_eq!(
        written.get_ref().group_ids().collect::<Vec<_>>(),
        ["CHAIRS"]
    );
    let again = learned.products(CATALOG).upsert(move_it()).await.unwrap();
    assert!(matches!(again, Written::Unchanged(_)), "{again:?}");

    // Other fields' changes keep the groups; the groups go whole with them.
    let written = learned
        .products(CATALOG)
        .modify("C1", |u| u.description = Some("Eik".into()))
        .await
        .unwrap();
    assert!(matches!(written, Written::Updated(_)), "{written:?}");
    assert_eq!(
        written.get_ref().group_ids().collect::<Vec<_>>(),
        ["CHAIRS"]
    );

    // Facts that no longer hold: the API drops the groups, and the write says so.
    fake.set_dialect(Dialect::default().groups_in_update(GroupsInUpdate::Ignored));
    let back = NewProduct::with_id("C1").group("TABLES");
    let written = learned.products(CATALOG).upsert(back).await.unwrap();
    assert_eq!(
        written.not_applied(),
        FieldSet::from(Field::Groups),
        "{written:?}"
    );
    assert_eq!(
        written.get_ref().group_ids().collect::<Vec<_>>(),
        ["CHAIRS"]
    );
}

#[tokio::test]
async fn get_sends_one_get_to_each_route_the_facts_saw() {
    let fake = fake(Dialect::default()).await;
    fake.seed_products(ACCOUNT, CATALOG, 3);
    let routes = facts(&[
        (Fact::RouteGetProduct, json!(true)),
        (Fact::RouteGetGroup, json!(true)),
        (Fact::RouteGetCatalog, json!(true)),
    ]);
    let learned = client_with_facts(&fake, routes);
    fake.clear_requests();
    let product = learned.products(CATALOG).get("P000002").await.unwrap();
    assert_eq!(product.id(), "P000002");
    let group = learned.groups().get("G000001").await.unwrap();
    assert_eq!(group.id(), "G000001");
    let catalog = learned.catalogs().get(CATALOG).await.unwrap();
    assert_eq!(catalog.id(), CATALOG);
    assert_eq!(
        requests(&fake),
        [
            "GET /catalogs/S23/products/P000002",
            "GET /groups/G000001",
            "GET /catalogs/S23",
        ]
    );

    // A route seen missing, and no facts at all: the lists, as today.
    let missing = facts(&[
        (Fact::RouteGetProduct, json!(false)),
        (Fact::RouteGetGroup, json!(false)),
        (Fact::RouteGetCatalog, json!(false)),
    ]);
    for client in [client_with_facts(&fake, missing), client_for(&fake)] {
        fake.clear_requests();
        client.products(CATALOG).get("P000002").await.unwrap();
        client.groups().get("G000001").await.unwrap();
        client.catalogs().get(CATALOG).await.unwrap();
        assert_eq!(
            requests(&fake),
            [
                "GET /catalogs/S23/products?limit=100&product_id=P000002",
                "GET /groups?group_id=G000001&limit=100",
                "GET /catalogs?limit=100",
            ]
        );
    }
}

#[tokio::test]
async fn a_route_the_facts_saw_that_answers_404_is_no_proof_the_product_is_missing() {
    let fake = fake(Dialect::default().route(Route::GetProduct, false)).await;
    fake.seed_products(ACCOUNT, CATALOG, 3);
    let learned = client_with_facts(&fake, facts(&[(Fact::RouteGetProduct, json!(true))]));
    fake.clear_requests();
    let product = learned.products(CATALOG).get("P000001").await.unwrap();
    assert_eq!(product.id(), "P000001");
    let list = "GET /catalogs/S23/products?limit=100&product_id=P000001";
    assert_eq!(
        requests(&fake),
        ["GET /catalogs/S23/products/P000001", list],
        "the list decides"
    );
    // The route is gone: this client, and its clones, go to the list straight away.
    fake.clear_requests();
    let clone = learned.clone();
    clone.products(CATALOG).get("P000001").await.unwrap();
    assert_eq!(requests(&fake), [list]);

    // Where the route is there, a 404 is confirmed by the list, and the route kept.
    fake.set_dialect(Dialect::default());
    let learned = client_with_facts(&fake, facts(&[(Fact::RouteGetProduct, json!(true))]));
    fake.clear_requests();
    let error = learned.products(CATALOG).get("NOPE").await.unwrap_err();
    assert!(
        matches!(&error, Error::NotFound { what: "product", id } if id == "NOPE"),
        "{error:?}"
    );
    assert_eq!(
        requests(&fake),
        [
            "GET /catalogs/S23/products/NOPE",
            "GET /catalogs/S23/products?limit=100&product_id=NOPE",
        ]
    );
    fake.clear_requests();
    learned.products(CATALOG).get("P000003").await.unwrap();
    assert_eq!(requests(&fake), ["GET /catalogs/S23/products/P000003"]);
}

/// A route the facts saw that turns out missing is dropped for its own resource only: the
/// next get of that resource goes to the list at once, and the other routes stay in use.
#[tokio::test]
async fn a_route_found_missing_is_dropped_for_its_resource_alone() {
    let all_routes = facts(&[
        (Fact::RouteGetProduct, json!(true)),
        (Fact::RouteGetGroup, json!(true)),
        (Fact::RouteGetCatalog, json!(true)),
    ]);
    let routes = [
        (Route::GetProduct, "GET /catalogs/S23/products/P000001"),
        (Route::GetGroup, "GET /groups/G000001"),
        (Route::GetCatalog, "GET /catalogs/S23"),
    ];
    let lists = [
        "GET /catalogs/S23/products?limit=100&product_id=P000001",
        "GET /groups?group_id=G000001&limit=100",
        "GET /catalogs?limit=100",
    ];
    for (missing, (route, _)) in routes.iter().enumerate() {
        let fake = fake(Dialect::default().route(*route, false)).await;
        fake.seed_products(ACCOUNT, CATALOG, 3);
        let client = client_with_facts(&fake, all_routes.clone());
        let get_each = || async {
            fake.clear_requests();
            client.products(CATALOG).get("P000001").await.unwrap();
            client.groups().get("G000001").await.unwrap();
            client.catalogs().get(CATALOG).await.unwrap();
            requests(&fake)
        };
        let mut first = Vec::new();
        let mut then = Vec::new();
        for (i, (_, get)) in routes.iter().enumerate() {
            if i == missing {
                first.extend([get.to_string(), lists[i].to_string()]);
                then.push(lists[i].to_string());
            } else {
                first.push(get.to_string());
                then.push(get.to_string());
            }
        }
        assert_eq!(
            within(get_each()).await,
            first,
            "{route:?} missing: first gets"
        );
        assert_eq!(within(get_each()).await, then, "{route:?} missing: then");
    }
}

/// Only "no such route" sends a get to the list: any other error of the route the facts saw
/// (here a 403) is the caller's, after one request, and the route stays in use.
#[tokio::test]
async fn a_route_the_facts_saw_that_fails_otherwise_is_the_error() {
    let fake = fake(Dialect::default()).await;
    fake.seed_products(ACCOUNT, CATALOG, 1);
    let learned = client_with_facts(&fake, facts(&[(Fact::RouteGetProduct, json!(true))]));
    learned.products(CATALOG).get("P000001").await.unwrap();
    fake.set_faults(Faults::always(FaultKind::Status(403)).first(1));
    fake.clear_requests();
    let error = learned.products(CATALOG).get("P000001").await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(403), "{error:?}");
    assert_eq!(requests(&fake), ["GET /catalogs/S23/products/P000001"]);
    fake.clear_requests();
    learned.products(CATALOG).get("P000001").await.unwrap();
    assert_eq!(requests(&fake), ["GET /catalogs/S23/products/P000001"]);
}

#[tokio::test]
async fn an_exact_filter_is_read_one_page_deep() {
    // A filter that matches by prefix, so that an id that is a prefix of many others has many
    // pages of matches: today's way reads them all to be sure. Facts that saw the filter
    // match whole ids say the first page is all there is.
    let dialect = Dialect::default()
        .product_id_filter(Match::prefix())
        .group_id_filter(Match::prefix());
    let fake = fake(dialect).await;
    fake.seed_products(ACCOUNT, CATALOG, 350); // P000001..P000350
    fake.seed_groups(ACCOUNT, 250); // G000001..G000250
    let exact = facts(&[
        (Fact::FilterProductId, json!("exact")),
        (Fact::FilterGroupId, json!("exact")),
    ]);
    let learned = client_with_facts(&fake, exact);
    let plain = client_for(&fake);
    let lists = |fake: &FakeServer| requests(fake).len();

    // `P000` is no product, and a prefix of 350.
    fake.clear_requests();
    let error = plain.products(CATALOG).get("P000").await.unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(lists(&fake), 4, "{:?}", requests(&fake));
    fake.clear_requests();
    let error = learned.products(CATALOG).get("P000").await.unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(
        requests(&fake),
        ["GET /catalogs/S23/products?limit=100&product_id=P000"]
    );

    fake.clear_requests();
    assert!(plain.groups().get("G000").await.unwrap_err().is_not_found());
    assert_eq!(lists(&fake), 3, "{:?}", requests(&fake));
    fake.clear_requests();
    assert!(
        learned
            .groups()
            .get("G000")
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert_eq!(requests(&fake), ["GET /groups?group_id=G000&limit=100"]);

    // One that is there: on the first page either way.
    fake.clear_requests();
    let product = learned.products(CATALOG).get("P000001").await.unwrap();
    assert_eq!(product.id(), "P000001");
    assert_eq!(lists(&fake), 1);

    // Any other filter fact: today's way.
    let prefix = client_with_facts(&fake, facts(&[(Fact::FilterProductId, json!("prefix"))]));
    fake.clear_requests();
    assert!(
        prefix
            .products(CATALOG)
            .get("P000")
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert_eq!(lists(&fake), 4);
}

#[tokio::test]
async fn dintero_api_facts_names_the_file_the_client_reads() {
    let fake = fake(Dialect::default()).await;
    fake.seed_products(ACCOUNT, CATALOG, 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-facts.json");
    facts(&[(Fact::RouteGetProduct, json!(true))])
        .save(&path)
        .unwrap();
    let base_url = fake.base_url();
    let vars = |facts_file: String| {
        let (id, secret) = (
            fake.client_id().to_string(),
            fake.client_secret().to_string(),
        );
        let base_url = base_url.clone();
        move |name: &str| match name {
            "DINTERO_ACCOUNT_ID" => Some(ACCOUNT.to_string()),
            "DINTERO_CLIENT_ID" => Some(id.clone()),
            "DINTERO_CLIENT_SECRET" => Some(secret.clone()),
            "DINTERO_BASE_URL" => Some(base_url.clone()),
            "DINTERO_API_FACTS" => Some(facts_file.clone()),
            _ => None,
        }
    };

    let client = ClientBuilder::from_vars(vars(path.display().to_string()))
        .build()
        .unwrap();
    assert_eq!(
        client
            .api_facts()
            .and_then(|f| f.observed_bool(Fact::RouteGetProduct)),
        Some(true)
    );
    fake.clear_requests();
    client.products(CATALOG).get("P000001").await.unwrap();
    assert_eq!(requests(&fake), ["GET /catalogs/S23/products/P000001"]);

    std::fs::write(&path, "{not json").unwrap();
    let error = ClientBuilder::from_vars(vars(path.display().to_string()))
        .build()
        .unwrap_err();
    assert!(error.is_config(), "{error:?}");
    let shown = error.to_string();
    assert!(shown.contains("DINTERO_API_FACTS"), "{shown}");
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    assert!(shown.contains("not JSON"), "{shown}");
}
