//! `dintero-products doctor` against the fake speaking several dialects: every fact it
//! reports is the dialect's, a production account is refused for `--write`, the transcript
//! holds no secret, and the saved findings load.

use crate::cli::{Fake, read, stderr, stdout};
use dintero_products::{ApiFacts, Fact};
use dintero_products_fake::Dialect;
use serde_json::Value;
use std::collections::BTreeMap;

/// A dialect setting's value as the doctor reports it.
fn as_observed(value: &str) -> Value {
    match value {
        "on" | "true" => Value::Bool(true),
        "off" | "false" => Value::Bool(false),
        "none" => Value::Null,
        text => text
            .parse::<u64>()
            .map_or_else(|_| Value::String(text.to_string()), Value::from),
    }
}

#[test]
fn doctor_write_json_reports_each_dialect_as_it_is() {
    let fake = Fake::start();
    let combinations: [&[&str]; 4] = [
        &[],
        &[
            "create.status=201",
            "routes.get=off",
            "route.delete_product=off",
        ],
        &[
            "filter.product_id=prefix",
            "filter.group_id=substring_ci",
            "filter.product_name=prefix_ci",
            "update.semantics=merge",
            "update.groups=ignored",
            "delete_catalog.cascades=false",
        ],
        &[
            "list.limit_max=20",
            "list.limit_over_max=clamped",
            "list.cursor_key=next",
            "list.end_signal=empty_page",
            "error.not_found_code=not_found",
            "header.request_id=x-request-id",
            "update.groups=rejected",
        ],
    ];
    for settings in combinations {
        let dialect = Dialect::from_settings(settings).expect("a dialect");
        fake.server.set_dialect(dialect.clone());
        let run = fake.cmd().args(["doctor", "--write", "--json"]).assert();
        let code = run.get_output().status.code();
        let report: Value = serde_json::from_str(stdout(&run).trim()).expect("one JSON object");
        let keys: Vec<&str> = report
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), Fact::ALL.len(), "{settings:?}: {report}");
        // Every fact the dialect decides is observed as the dialect has it.
        for setting in dialect.settings() {
            let Some((key, value)) = setting.split_once('=') else {
                continue;
            };
            // `token.audience` switches the fake's check (exact or any), not the audience.
            if key.parse::<Fact>().is_err() || key == "token.audience" {
                continue;
            }
            assert_eq!(
                report[key]["observed"],
                as_observed(value),
                "{settings:?}, {key}: {report}"
            );
        }
        for fact in Fact::ALL {
            let finding = &report[fact.name()];
            assert!(
                finding["skipped"].is_null(),
                "{settings:?}: {fact} was not checked: {finding}"
            );
            let holds = finding["assumed"] == finding["observed"];
            // `update.groups` assumes the server will not apply groups: rejecting them holds too.
            let holds = holds || (fact == Fact::UpdateGroups && finding["observed"] == "rejected");
            assert_eq!(finding["holds"], holds, "{settings:?}: {fact}: {finding}");
        }
        let all_hold = Fact::ALL.iter().all(|f| report[f.name()]["holds"] == true);
        assert_eq!(code, Some(if all_hold { 0 } else { 1 }), "{settings:?}");
        nothing_left(&fake);
    }
}

/// The table's rows, by fact: assumed, observed, holds.
fn table_rows(table: &str) -> BTreeMap<String, [String; 3]> {
    table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .strip_prefix('│')?
                .strip_suffix('│')?
                .split('┆')
                .map(str::trim)
                .collect();
            match cells[..] {
                ["fact", ..] => None,
                [fact, assumed, observed, holds] => Some((
                    fact.to_string(),
                    [assumed.into(), observed.into(), holds.into()],
                )),
                _ => panic!("a row of four cells: {line}"),
            }
        })
        .collect()
}

/// A JSON value as a person reads it in the table: a string without its quotes.
fn as_read(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

/// Without `--json` the doctor prints a table that says what the JSON says, fact by fact
/// (values as a person reads them; "yes", "NO", or "-" for a fact not checked, with why in
/// place of the value), the counts, and asks for a transcript only when a fact does not hold.
#[test]
fn the_table_says_what_the_json_says() {
    let fake = Fake::start();
    let runs: [(&[&str], &[&str]); 3] = [
        // Read only: the facts that need a write are not checked.
        (&[], &["doctor"]),
        // What the SDK assumes: every fact holds.
        (
            &[
                "create.status=201",
                "update.groups=ignored",
                "header.request_id=none",
            ],
            &["doctor", "--write"],
        ),
        (
            &["list.limit_max=20", "filter.product_id=prefix"],
            &["doctor", "--write"],
        ),
    ];
    let (mut skipped_seen, mut all_held_seen, mut contradicted_seen) = (false, false, false);
    for (settings, args) in runs {
        fake.server
            .set_dialect(Dialect::from_settings(settings).expect("a dialect"));
        let json = fake.cmd().args(args).arg("--json").assert();
        let report: Value = serde_json::from_str(stdout(&json).trim()).expect("one JSON object");
        let run = fake.cmd().args(args).assert();
        assert_eq!(run.get_output().status, json.get_output().status);
        let out = stdout(&run);
        let rows = table_rows(&out);
        assert_eq!(rows.len(), Fact::ALL.len(), "{out}");
        let (mut hold, mut not, mut skipped) = (0, 0, 0);
        for fact in Fact::ALL {
            let finding = &report[fact.name()];
            let expected = match (&finding["observed"], finding["skipped"].as_str()) {
                (Value::Null, Some(why)) => {
                    skipped += 1;
                    [format!("(not checked: {why})"), "-".into()]
                }
                (observed, Some(_)) => {
                    skipped += 1;
                    [as_read(observed), "-".into()]
                }
                (observed, None) if finding["holds"] == true => {
                    hold += 1;
                    [as_read(observed), "yes".into()]
                }
                (observed, None) => {
                    not += 1;
                    [as_read(observed), "NO".into()]
                }
            };
            let [observed, holds] = expected;
            assert_eq!(
                rows[fact.name()],
                [as_read(&finding["assumed"]), observed, holds],
                "{settings:?} {args:?}, {fact}: {out}"
            );
        }
        let counts = format!(
            "{} facts: {hold} hold, {not} do not, {skipped} not checked",
            Fact::ALL.len()
        );
        assert!(out.contains(&counts), "{counts}: {out}");
        assert_eq!(
            out.contains("run again with --record FILE"),
            not > 0,
            "{settings:?} {args:?}: {out}"
        );
        skipped_seen |= skipped > 0;
        all_held_seen |= not == 0;
        contradicted_seen |= not > 0;
    }
    assert!(
        skipped_seen && all_held_seen && contradicted_seen,
        "{skipped_seen} {all_held_seen} {contradicted_seen}"
    );
}

/// When the doctor cannot delete what it created, it names each thing left, to delete by hand:
/// the same things the account then holds.
#[test]
fn what_the_doctor_could_not_delete_is_named() {
    use dintero_products_fake::{FaultKind, Faults};

    let fake = Fake::start();
    fake.server
        .set_faults(Faults::always(FaultKind::Status(403)).only_method("DELETE"));
    let run = fake.cmd().args(["doctor", "--write"]).assert();
    let errors = stderr(&run);
    let (_, named) = errors
        .split_once("the doctor could not delete what it created; delete these by hand:\n")
        .unwrap_or_else(|| panic!("no leftovers named: {errors}"));
    let named: Vec<&str> = named
        .lines()
        .map_while(|line| line.strip_prefix("  "))
        .collect();
    fake.server.set_faults(Faults::new());
    let catalogs = stdout(
        &fake
            .cmd()
            .args(["catalogs", "list", "--format", "json"])
            .assert(),
    );
    let leftover = catalogs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|c| c["catalog_id"].as_str().map(str::to_string))
        .find(|id| id.starts_with("DOCTOR-"))
        .unwrap_or_else(|| panic!("the doctor's catalog is left: {catalogs}"));
    assert!(
        named.contains(&format!("catalog {leftover}").as_str()),
        "{named:?}: {errors}"
    );
}

#[test]
fn a_production_account_is_refused_for_write_before_any_request() {
    let fake = Fake::start();
    fake.server.clear_requests();
    let run = fake
        .cmd()
        .args(["--account-id", "P12345678", "doctor", "--write"])
        .assert()
        .code(2);
    assert!(
        stderr(&run).contains("production account"),
        "{}",
        stderr(&run)
    );
    assert!(
        fake.server.requests().is_empty(),
        "{:?}",
        fake.server.requests()
    );
}

#[test]
fn the_transcript_holds_no_secret_and_the_saved_findings_load() {
    let fake = Fake::start();
    let record = fake.path("doctor.jsonl");
    let save = fake.path("facts.json");
    let run = fake
        .cmd()
        .args(["doctor", "--write", "--record"])
        .arg(&record)
        .arg("--save")
        .arg(&save)
        .assert();
    let table = stdout(&run);
    assert!(
        table.contains("update.groups") && table.contains("20 facts: "),
        "{table}"
    );
    let transcript = read(&record);
    assert!(
        transcript.lines().count() > 20,
        "a line a request: {transcript}"
    );
    for line in transcript.lines() {
        serde_json::from_str::<Value>(line).expect("a JSON line");
    }
    let lower = transcript.to_lowercase();
    assert!(
        !transcript.contains(fake.server.client_secret()),
        "the secret"
    );
    assert!(!lower.contains("bearer "), "a bearer token");
    assert!(!transcript.contains("\"access_token\":\"fake"), "a token");
    let facts = ApiFacts::load(&save).expect("the saved findings load");
    assert_eq!(
        facts.observed(Fact::UpdateGroups),
        Some(&Value::String("applied".into()))
    );
}

#[test]
fn a_sync_given_the_saved_findings_changes_groups_by_an_update() {
    let fake = Fake::start();
    // The fake applies `groups` in an update, as its default dialect does: the doctor finds it.
    let facts = fake.path("facts.json");
    // Exit 1: some of the fake's facts are not what the SDK assumes (create answers 200).
    fake.cmd()
        .args(["doctor", "--write", "--save"])
        .arg(&facts)
        .assert()
        .code(1);
    let file = fake.write("groups.csv", "id,groups\nCH-1001,TABLES\n");

    // Without the findings: a recreate, which needs consent, so it is held back.
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO"])
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--allow-recreate"));

    // With them: one update, no delete, no consent.
    fake.server.clear_requests();
    let run = fake
        .cmd()
        .args(["products", "sync", "-c", "DEMO", "--api-facts"])
        .arg(&facts)
        .arg(&file)
        .assert()
        .success();
    assert!(
        stdout(&run).contains("1 updated, 0 unchanged, 0 recreated, 0 deleted"),
        "{}",
        stdout(&run)
    );
    assert_eq!(fake.sent("DELETE"), 0, "{:?}", fake.api_methods());
    assert_eq!(fake.sent("PUT"), 1, "{:?}", fake.api_methods());
    let product = fake.products("DEMO").remove("CH-1001").unwrap_or_default();
    assert_eq!(product["groups"][0]["group_id"], "TABLES", "{product}");

    // Findings gone stale (the server now ignores groups in an update): the write does not
    // change the groups, and the summary says so, apart; the run is no success.
    fake.server
        .set_dialect(Dialect::from_settings(&["update.groups=ignored"]).expect("a dialect"));
    let lamps = fake.write("lamps.csv", "id,groups\nCH-1001,LAMPS\n");
    let run = fake
        .cmd()
        .args(["products", "sync", "-c", "DEMO", "--api-facts"])
        .arg(&facts)
        .arg(&lamps)
        .assert()
        .code(1);
    assert!(
        stdout(&run).contains("; 0 failed; 1 partly applied (groups not changed)\n"),
        "{}",
        stdout(&run)
    );
    fake.server.set_dialect(Dialect::default());

    // A findings file that is not one is a usage error naming it.
    let bad = fake.write("bad.json", "not json");
    fake.cmd()
        .args(["products", "list", "-c", "DEMO", "--api-facts"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.json"));
}

/// Ctrl-C while `--write` waits on a slow update: what the doctor made is deleted, and the
/// command ends with an error.
#[cfg(unix)]
#[test]
fn ctrl_c_during_write_deletes_what_the_doctor_created() {
    use dintero_products_fake::{FaultKind, Faults};
    use std::time::{Duration, Instant};

    let fake = Fake::start();
    fake.server
        .set_faults(Faults::always(FaultKind::Slow(Duration::from_secs(30))).only_method("PUT"));
    fake.server.clear_requests();
    let child = fake
        .cmd_std()
        .args(["doctor", "--write"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Wait until the doctor is inside its first (slow) update, its catalog made.
    let started = Instant::now();
    while !fake.server.requests().iter().any(|r| r.method == "PUT") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no update was sent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let created = fake
        .server
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert!(created > 1, "a catalog and groups were created first");
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let output = crate::cli::ended(child);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains("interrupted: deleting what the doctor created"),
        "{errors}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "it did not wait for the slow update"
    );
    fake.server.set_faults(Faults::new());
    nothing_left(&fake);
}

/// Nothing of the doctor's is left: no catalog nor group with its prefix.
fn nothing_left(fake: &Fake) {
    for resource in ["catalogs", "groups"] {
        let list = fake
            .cmd()
            .args([resource, "list", "--format", "json"])
            .assert()
            .success();
        assert!(
            !stdout(&list).contains("DOCTOR-"),
            "{resource}: {}",
            stdout(&list)
        );
    }
}
