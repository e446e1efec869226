//! The `dintero-products` binary, run as a user runs it, against the fake server started in
//! this test process: every command, the files, the exit statuses.

use assert_cmd::Command;
use dintero_products_fake::FakeServer;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) const ACCOUNT: &str = "T12345678";

/// The output of `child`, which must end within a minute: a binary that hangs fails the test
/// rather than holding it.
pub(crate) fn ended(child: std::process::Child) -> std::process::Output {
    let (sent, ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || sent.send(child.wait_with_output()));
    ended
        .recv_timeout(Duration::from_secs(60))
        .expect("the binary ends within a minute")
        .expect("the binary's output")
}

/// The fake, serving from its own runtime's threads while a test blocks on the binary.
pub(crate) struct Fake {
    pub(crate) server: FakeServer,
    // Dropped after the server (fields drop in order).
    _runtime: tokio::runtime::Runtime,
    pub(crate) dir: tempfile::TempDir,
}

impl Fake {
    /// A fake with the demo catalog `DEMO` (24 products, groups CHAIRS, TABLES, LAMPS,
    /// OUTDOOR) and an empty catalog `COPY`.
    pub(crate) fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let server = runtime.block_on(FakeServer::start());
        server.seed_demo(ACCOUNT);
        server.seed_catalog(ACCOUNT, "COPY", "Copy");
        Self {
            server,
            _runtime: runtime,
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// The binary, with no `DINTERO_*` variable from the environment running the tests.
    pub(crate) fn bare() -> Command {
        let mut cmd = Command::from_std(Self::bare_std());
        cmd.timeout(Duration::from_secs(60));
        cmd
    }

    /// [`bare`](Self::bare) as a `std` command, for a test that sets up its standard streams
    /// itself (a terminal, say); it waits on the child with its own timeout.
    pub(crate) fn bare_std() -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("dintero-products"));
        for name in [
            "DINTERO_ACCOUNT_ID",
            "DINTERO_CLIENT_ID",
            "DINTERO_CLIENT_SECRET",
            "DINTERO_BASE_URL",
            "DINTERO_AUDIENCE",
            "DINTERO_API_FACTS",
        ] {
            cmd.env_remove(name);
        }
        cmd
    }

    /// The binary, pointed at this fake: credentials in `DINTERO_*`, the base URL as a flag.
    /// It runs in the test's directory, where a job's default journal then goes.
    pub(crate) fn cmd(&self) -> Command {
        let mut cmd = Command::from_std(self.cmd_std());
        cmd.timeout(Duration::from_secs(60));
        cmd
    }

    /// [`cmd`](Self::cmd) as a `std` command (see [`bare_std`](Self::bare_std)).
    pub(crate) fn cmd_std(&self) -> std::process::Command {
        let mut cmd = Self::bare_std();
        cmd.current_dir(self.dir.path())
            .env("DINTERO_ACCOUNT_ID", ACCOUNT)
            .env("DINTERO_CLIENT_ID", self.server.client_id())
            .env("DINTERO_CLIENT_SECRET", self.server.client_secret())
            .args(["--base-url", &self.server.base_url()]);
        cmd
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("writing a test file");
        path
    }

    /// The plan `products import --dry-run` prints for `file` into `catalog`, which must end
    /// with exit status `code` (0, or 1 for rows rejected, held back or bad).
    pub(crate) fn dry_import(&self, catalog: &str, file: &Path, code: i32) -> String {
        let run = self
            .cmd()
            .args(["products", "import", "-c", catalog, "--dry-run"])
            .arg(file)
            .assert()
            .code(code);
        stdout(&run)
    }

    /// Methods of the requests received since the last `clear_requests`, the token's aside.
    pub(crate) fn api_methods(&self) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| !r.path.ends_with("/auth/token"))
            .map(|r| r.method)
            .collect()
    }

    /// How many requests of `method` were received since the last `clear_requests`.
    pub(crate) fn sent(&self, method: &str) -> usize {
        self.api_methods().iter().filter(|m| *m == method).count()
    }

    /// The catalog's products by id, as the API returns them.
    pub(crate) fn products(&self, catalog: &str) -> BTreeMap<String, Value> {
        self.export_json(catalog)
            .into_iter()
            .map(|p| (p["product_id"].as_str().unwrap_or_default().to_string(), p))
            .collect()
    }

    pub(crate) fn count(&self, catalog: &str) -> usize {
        self.server.product_count(ACCOUNT, catalog)
    }

    /// The catalog as JSON Lines, through the binary.
    pub(crate) fn export_json(&self, catalog: &str) -> Vec<Value> {
        let out = self
            .cmd()
            .args(["products", "export", "--catalog", catalog])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        json_lines(&out)
    }
}

pub(crate) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("reading a test file")
}

pub(crate) fn json_lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

pub(crate) fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

pub(crate) fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn every_command_has_help_with_examples() {
    let top = Fake::bare().arg("--help").assert().success();
    for word in [
        "catalogs",
        "groups",
        "products",
        "completions",
        "--demo",
        "EXIT STATUS",
    ] {
        assert!(stdout(&top).contains(word), "--help lacks {word}");
    }
    for path in [
        &["catalogs", "list"][..],
        &["catalogs", "create"],
        &["catalogs", "delete"],
        &["groups", "list"],
        &["groups", "get"],
        &["groups", "create"],
        &["groups", "delete"],
        &["products", "list"],
        &["products", "get"],
        &["products", "delete"],
        &["products", "export"],
        &["products", "import"],
        &["products", "sync"],
        &["completions"],
    ] {
        Fake::bare()
            .args(path)
            .arg("--help")
            .assert()
            .success()
            .stdout(contains("EXAMPLES").and(contains("Usage: dintero-products")));
    }
    // The file formats are documented where files are read or written.
    for command in ["import", "export", "sync"] {
        Fake::bare()
            .args(["products", command, "--help"])
            .assert()
            .success()
            .stdout(
                contains("A header row is required")
                    .and(contains(
                        "price              the gross unit price as a spreadsheet shows it",
                    ))
                    .and(contains("groups             group ids separated by `;`"))
                    .and(contains("JSON LINES FILES")),
            );
    }
}

#[test]
fn completions_for_shells() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        Fake::bare()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(contains("dintero-products").and(contains("export")));
    }
    Fake::bare()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(contains("invalid value"));
}

#[test]
fn catalogs_create_list_and_delete() {
    let fake = Fake::start();
    fake.cmd()
        .args(["catalogs", "create", "S23", "--name", "Summer, 2023"])
        .assert()
        .success()
        .stdout("created catalog S23 (\"Summer, 2023\")\n");
    let listed = fake
        .cmd()
        .args(["catalogs", "list", "--format", "json"])
        .assert()
        .success();
    let ids: Vec<Value> = json_lines(&listed.get_output().stdout)
        .into_iter()
        .map(|c| c["catalog_id"].clone())
        .collect();
    assert_eq!(ids, ["COPY", "DEMO", "S23"]);
    let table = fake
        .cmd()
        .args(["catalogs", "list", "-f", "table"])
        .assert()
        .success();
    let table = stdout(&table);
    assert!(table.contains("│ S23  ┆ Summer, 2023"), "{table}");
    assert!(table.contains("ID"), "{table}");

    // Deleting a catalog deletes its products: off a terminal, only with --yes.
    fake.cmd()
        .args(["catalogs", "delete", "DEMO"])
        .assert()
        .code(2)
        .stderr(contains("pass --yes"));
    assert_eq!(fake.count("DEMO"), 24);
    fake.cmd()
        .args(["catalogs", "delete", "DEMO", "--yes"])
        .assert()
        .success()
        .stdout("deleted catalog DEMO\n");
    assert_eq!(fake.count("DEMO"), 0);
    fake.cmd()
        .args(["catalogs", "delete", "DEMO", "--yes"])
        .assert()
        .code(1)
        .stderr(contains("not found"));
}

#[test]
fn groups_create_get_list_and_delete() {
    let fake = Fake::start();
    fake.cmd()
        .args(["groups", "create", "SOFAS", "-n", "Sofas"])
        .assert()
        .success()
        .stdout("created group SOFAS (\"Sofas\")\n");
    let got = fake
        .cmd()
        .args(["groups", "get", "SOFAS", "--format", "json"])
        .assert()
        .success();
    let got = json_lines(&got.get_output().stdout);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["group_name"], "Sofas");
    fake.cmd()
        .args(["groups", "get", "SOFAS", "--format", "table"])
        .assert()
        .success()
        .stdout(contains("name").and(contains("Sofas")));
    let listed = fake.cmd().args(["groups", "list"]).assert().success();
    let ids: Vec<Value> = json_lines(&listed.get_output().stdout)
        .into_iter()
        .map(|g| g["group_id"].clone())
        .collect();
    assert_eq!(ids, ["CHAIRS", "LAMPS", "OUTDOOR", "SOFAS", "TABLES"]);
    fake.cmd()
        .args(["groups", "delete", "SOFAS"])
        .assert()
        .success()
        .stdout("deleted group SOFAS\n");
    fake.cmd()
        .args(["groups", "get", "SOFAS"])
        .assert()
        .code(1)
        .stderr(contains("group \"SOFAS\" not found"));
}

#[test]
fn products_list_get_and_delete() {
    let fake = Fake::start();
    let all = fake
        .cmd()
        .args(["products", "list", "--catalog", "DEMO"])
        .assert()
        .success();
    let all = json_lines(&all.get_output().stdout);
    assert_eq!(all.len(), 24);
    assert_eq!(all[0]["product_id"], "CH-1001");
    let some = fake
        .cmd()
        .args(["products", "list", "-c", "DEMO", "--limit", "5"])
        .assert()
        .success();
    assert_eq!(json_lines(&some.get_output().stdout).len(), 5);
    let nordli = fake
        .cmd()
        .args([
            "products", "list", "-c", "DEMO", "--name", "nordli", "-f", "table",
        ])
        .assert()
        .success();
    let nordli = stdout(&nordli);
    assert!(nordli.contains("Nordli dining chair, oak"), "{nordli}");
    assert!(nordli.contains("1499.00 NOK"), "{nordli}");
    assert!(!nordli.contains("Fjord"), "{nordli}");

    fake.cmd()
        .args(["products", "get", "-c", "DEMO", "CH-1003", "-f", "table"])
        .assert()
        .success()
        .stdout(contains("Fjord stacking chair").and(contains("CHAIRS, OUTDOOR")));
    let one = fake
        .cmd()
        .args(["products", "get", "-c", "DEMO", "CH-1003"])
        .assert()
        .success();
    assert_eq!(
        json_lines(&one.get_output().stdout)[0]["unit_gross_price"],
        59_900
    );

    fake.cmd()
        .args(["products", "delete", "-c", "DEMO", "CH-1001", "CH-1002"])
        .assert()
        .success()
        .stdout(contains("deleted product CH-1001").and(contains("deleted product CH-1002")));
    assert_eq!(fake.count("DEMO"), 22);
    fake.cmd()
        .args(["products", "delete", "-c", "DEMO", "CH-1001", "CH-1003"])
        .assert()
        .code(1)
        .stdout("deleted product CH-1003\n")
        .stderr(contains("product CH-1001"));
    fake.cmd()
        .args(["products", "get", "-c", "DEMO", "CH-1001"])
        .assert()
        .code(1)
        .stderr(contains("not found"));
}

/// A two-column table's rows: field and value.
fn field_rows(table: &str) -> BTreeMap<String, String> {
    table
        .lines()
        .filter_map(|line| {
            let (field, value) = line.strip_prefix('│')?.strip_suffix('│')?.split_once('┆')?;
            Some((field.trim().to_string(), value.trim().to_string()))
        })
        .filter(|(field, _)| field != "FIELD")
        .collect()
}

/// `get` as a table shows every field as a person reads it: times in RFC 3339, the price with
/// its currency, nested values as compact JSON, and nothing for a value that is absent or empty.
#[test]
fn get_as_a_table_shows_each_field_as_read() {
    let fake = Fake::start();
    let get_table = |args: &[&str]| {
        let run = fake
            .cmd()
            .args(args)
            .args(["-f", "table"])
            .assert()
            .success();
        field_rows(&stdout(&run))
    };
    let product = get_table(&["products", "get", "-c", "DEMO", "CH-1001"]);
    let at = "2024-01-15T09:00:00Z";
    let expected = [
        ("id", "CH-1001"),
        ("name", "Nordli dining chair, oak"),
        (
            "description",
            "Solid oak frame with a woven paper-cord seat.",
        ),
        ("price", "1499.00 NOK"),
        ("groups", "CHAIRS"),
        ("unit", "stk"),
        ("virtual", "false"),
        ("starting_at", ""),
        ("stopping_at", ""),
        ("dimension", ""),
        ("images", ""),
        ("catalog", "DEMO"),
        ("created_at", at),
        ("updated_at", at),
    ];
    for (field, value) in expected {
        assert_eq!(product[field], value, "{field}: {product:?}");
    }
    let raw = fake.products("DEMO").remove("CH-1001").unwrap_or_default();
    let locations: Value = serde_json::from_str(&product["locations"]).expect("compact JSON");
    assert_eq!(locations, raw["locations"]);
    assert!(!product["locations"].contains('\n'));
    assert_eq!(product.len(), expected.len() + 1, "{product:?}");

    let group = get_table(&["groups", "get", "CHAIRS"]);
    let expected = [
        ("id", "CHAIRS"),
        ("name", "Chairs"),
        ("created_at", at),
        ("updated_at", at),
    ];
    assert_eq!(
        group,
        expected
            .iter()
            .map(|(f, v)| (f.to_string(), v.to_string()))
            .collect()
    );
}

#[test]
fn listings_are_json_lines_off_a_terminal_and_output_names_a_file() {
    let fake = Fake::start();
    // Standard output is a pipe here, so no table.
    let piped = fake.cmd().args(["catalogs", "list"]).assert().success();
    assert!(stdout(&piped).starts_with('{'), "{}", stdout(&piped));

    let file = fake.path("catalogs.txt");
    fake.cmd()
        .args(["catalogs", "list", "--output"])
        .arg(&file)
        .assert()
        .success()
        .stdout("");
    assert_eq!(json_lines(read(&file).as_bytes()).len(), 2);
    let table = fake.path("table.txt");
    fake.cmd()
        .args(["groups", "list", "-f", "table", "-o"])
        .arg(&table)
        .assert()
        .success()
        .stdout("");
    assert!(read(&table).contains("Chairs"));
}

#[test]
fn csv_export_then_import_is_lossless() {
    let fake = Fake::start();
    let first = fake.path("demo.csv");
    fake.cmd()
        .args(["products", "export", "--catalog", "DEMO", "--output"])
        .arg(&first)
        .assert()
        .success()
        .stdout("")
        .stderr(contains("exported 24 products"));
    assert!(read(&first).starts_with("id,name,price,currency,groups,description,unit,virtual,"));

    fake.cmd()
        .args(["products", "import", "--catalog", "COPY"])
        .arg(&first)
        .assert()
        .success()
        .stdout(contains(
            ": 24 created, 0 updated, 0 unchanged, 0 recreated, 0 held back, 0 failed",
        ));
    let second = fake.path("copy.csv");
    fake.cmd()
        .args(["products", "export", "-c", "COPY", "-f", "csv", "-o"])
        .arg(&second)
        .assert()
        .success();
    assert_eq!(read(&first), read(&second));

    // Importing the same file again changes nothing.
    fake.cmd()
        .args(["products", "import", "-c", "COPY"])
        .arg(&first)
        .assert()
        .success()
        .stdout(contains(
            "0 created, 0 updated, 24 unchanged, 0 recreated, 0 held back, 0 failed",
        ));
}

/// A product as the API returned it, without what the API fills itself: its uuid, the
/// catalog, times and author, and the groups' names (joined from the groups, not written).
fn writable(mut product: Value) -> Value {
    if let Some(fields) = product.as_object_mut() {
        for key in [
            "id",
            "catalog_id",
            "catalog_name",
            "created_at",
            "created_by",
            "updated_at",
        ] {
            fields.remove(key);
        }
        if let Some(groups) = fields.get_mut("groups").and_then(Value::as_array_mut) {
            for group in groups {
                if let Some(group) = group.as_object_mut() {
                    group.remove("group_name");
                }
            }
        }
    }
    product
}

#[test]
fn jsonl_export_then_import_is_lossless() {
    let fake = Fake::start();
    let first = fake.path("demo.jsonl");
    fake.cmd()
        .args(["products", "export", "-c", "DEMO", "-o"])
        .arg(&first)
        .assert()
        .success();
    fake.cmd()
        .args(["products", "import", "-c", "COPY"])
        .arg(&first)
        .assert()
        .success()
        .stdout(contains("24 created"));
    let before: Vec<Value> = json_lines(read(&first).as_bytes())
        .into_iter()
        .map(writable)
        .collect();
    let after: Vec<Value> = fake.export_json("COPY").into_iter().map(writable).collect();
    assert_eq!(before.len(), 24);
    assert_eq!(before, after);
    // Every field the demo sets survived, locations included.
    assert!(after[0]["locations"][1]["location_name"] == "Bergen warehouse");
}

#[test]
fn a_dry_run_prints_the_plan_and_sends_only_list_requests() {
    let fake = Fake::start();
    let file = fake.path("desired.csv");
    fake.cmd()
        .args(["products", "export", "-c", "DEMO", "-o"])
        .arg(&file)
        .assert()
        .success();
    let edited = read(&file)
        .lines()
        .filter(|l| !l.starts_with("TB-2001,"))
        .map(|l| {
            l.replacen(
                "CH-1001,\"Nordli dining chair, oak\",1499.00",
                "CH-1001,\"Nordli dining chair, oak\",1599.00",
                1,
            )
        })
        .chain(["NEW-1,New stool,499.00,NOK,CHAIRS,,stk,false,,,,,,,,,[]".to_string()])
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&file, edited).expect("writing the edited file");

    fake.server.clear_requests();
    let report = fake.path("plan.jsonl");
    let dry = fake
        .cmd()
        .args([
            "products",
            "sync",
            "-c",
            "DEMO",
            "--dry-run",
            "--prune",
            "--report",
        ])
        .arg(&report)
        .arg(&file)
        .assert()
        .success();
    let plan = stdout(&dry);
    assert!(
        plan.starts_with("catalog DEMO: 1 to create, 1 to update, 1 to delete, 22 unchanged\n"),
        "{plan}"
    );
    assert!(plan.contains("+ NEW-1\n"), "{plan}");
    assert!(
        plan.contains("~ CH-1001  price: 1499.00 NOK -> 1599.00 NOK\n"),
        "{plan}"
    );
    assert!(plan.contains("- TB-2001\n"), "{plan}");
    assert!(
        plan.ends_with("dry run: nothing was sent but list requests\n"),
        "{plan}"
    );
    let methods = fake.api_methods();
    assert!(
        !methods.is_empty() && methods.iter().all(|m| m == "GET"),
        "{methods:?}"
    );
    assert_eq!(fake.count("DEMO"), 24);
    // The report says what would become of each row, and of the product not in the file.
    let planned = json_lines(read(&report).as_bytes());
    assert_eq!(planned.len(), 25);
    assert_eq!(
        planned[0],
        serde_json::json!({"line": 2, "id": "CH-1001", "command": "MERGE", "outcome": "would-update", "error": null})
    );
    assert_eq!(planned[1]["outcome"], "unchanged");
    assert_eq!(
        planned[23],
        serde_json::json!({"line": 25, "id": "NEW-1", "command": "MERGE", "outcome": "would-create", "error": null})
    );
    assert_eq!(
        planned[24],
        serde_json::json!({"line": null, "id": "TB-2001", "command": null, "outcome": "would-delete", "error": null})
    );
}

#[test]
fn a_sync_applies_the_plan_and_the_next_one_changes_nothing() {
    let fake = Fake::start();
    let file = fake.write(
        "desired.csv",
        "id,name,price,currency,groups\n\
         CH-1001,\"Nordli dining chair, oak\",1599,NOK,CHAIRS\n\
         NEW-1,\"Stool \"\"Mini\"\"\",499.00,NOK,NEWGROUP\n",
    );
    let report = fake.path("report.jsonl");
    let applied = fake
        .cmd()
        .args(["products", "sync", "-c", "DEMO", "--report"])
        .arg(&report)
        .arg(&file)
        .assert()
        .success();
    let out = stdout(&applied);
    assert!(out.contains("1 to create, 1 to update"), "{out}");
    assert!(out.contains("+ group NEWGROUP"), "{out}");
    assert!(
        out.ends_with("synced catalog DEMO: 1 created, 1 updated, 0 unchanged, 0 recreated, 0 deleted, 0 held back, 1 group created or renamed; 0 failed\n"),
        "{out}"
    );
    // One line per row, in the order the writes finished.
    let mut lines = json_lines(read(&report).as_bytes());
    lines.sort_by_key(|l| l["line"].as_u64());
    assert_eq!(
        lines,
        [
            serde_json::json!({"line": 2, "id": "CH-1001", "command": "MERGE", "outcome": "updated", "error": null}),
            serde_json::json!({"line": 3, "id": "NEW-1", "command": "MERGE", "outcome": "created", "error": null}),
        ]
    );
    // Without --prune, the 22 others are kept.
    assert_eq!(fake.count("DEMO"), 25);
    let new = fake
        .cmd()
        .args(["products", "get", "-c", "DEMO", "NEW-1"])
        .assert()
        .success();
    assert_eq!(
        json_lines(&new.get_output().stdout)[0]["product_name"],
        "Stool \"Mini\""
    );

    fake.server.clear_requests();
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO"])
        .arg(&file)
        .assert()
        .success()
        .stdout(
            contains("0 to create, 0 to update, 0 to delete, 2 unchanged")
                .and(contains("nothing to change")),
        );
    assert!(fake.api_methods().iter().all(|m| m == "GET"));
}

#[test]
fn prune_asks_for_yes_off_a_terminal() {
    let fake = Fake::start();
    let file = fake.write(
        "two.csv",
        "id,name,groups\nCH-1001,Nordli dining chair,CHAIRS\nCH-1002,Other,CHAIRS\n",
    );
    fake.server.clear_requests();
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO", "--prune"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains("pass --yes"));
    assert!(fake.server.requests().is_empty(), "nothing may be sent");
    fake.cmd()
        .args([
            "products",
            "sync",
            "-c",
            "DEMO",
            "--prune",
            "--yes",
            "--quiet",
            "--max-deletes",
            "100%",
        ])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("2 to update, 22 to delete").and(contains("22 deleted")));
    assert_eq!(fake.count("DEMO"), 2);
}

#[test]
fn bad_csv_rows_are_named_and_the_others_go_through() {
    let fake = Fake::start();
    let long_id = "x".repeat(300);
    let file = fake.write(
        "bad.csv",
        &format!(
            "id,name,price,currency\n\
             GOOD-1,Chair,100,NOK\n\
             ,No id,100,NOK\n\
             BAD-PRICE,Chair,12.3456,NOK\n\
             BAD-CURRENCY,Chair,100,nok\n\
             {long_id},Chair,100,NOK\n\
             SHORT,Chair\n\
             GOOD-2,\"Table, oak\",200,NOK\n\
             BROKEN,\"never closed,100,NOK\n"
        ),
    );
    let report = fake.path("report.jsonl");
    let run = fake
        .cmd()
        .args(["products", "import", "-c", "COPY", "-r"])
        .arg(&report)
        .arg(&file)
        .assert()
        .code(1);
    let errors = stderr(&run);
    let name = file.display();
    for expected in [
        format!("{name}, line 3, column 1 (id): missing id"),
        format!(
            "{name}, line 4, column 3 (price): invalid price \"12.3456\": has more decimals than the currency's 2 (amounts are not rounded)"
        ),
        format!(
            "{name}, line 5, column 4 (currency): invalid currency \"nok\": must be an ISO 4217 code"
        ),
        format!("{name}, line 6, column 1 (id): invalid product id \"xxxx"),
        "must be at most 255 characters".to_string(),
        format!("{name}, line 7: 2 fields where the header has 4"),
        format!(
            "{name}, line 9: 2 fields where the header has 4 (a missing or extra separator, or a quote that is not closed)"
        ),
    ] {
        assert!(
            errors.contains(&expected),
            "missing {expected:?} in:\n{errors}"
        );
    }
    assert!(
        stdout(&run)
            .contains("2 created, 0 updated, 0 unchanged, 0 recreated, 0 held back, 6 failed"),
        "{}",
        stdout(&run)
    );
    assert_eq!(fake.count("COPY"), 2);

    let mut lines = json_lines(read(&report).as_bytes());
    lines.sort_by_key(|l| l["line"].as_u64());
    let outcomes: Vec<(u64, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap_or(0),
                l["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            (2, "created"),
            (3, "failed"),
            (4, "failed"),
            (5, "failed"),
            (6, "failed"),
            (7, "failed"),
            (8, "created"),
            (9, "failed")
        ]
    );
    assert_eq!(lines[2]["id"], "BAD-PRICE");
    assert!(
        lines[2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("line 4, column 3 (price)"))
    );
    assert_eq!(lines[0]["error"], Value::Null);
}

#[test]
fn bad_jsonl_lines_are_named_and_the_others_go_through() {
    let fake = Fake::start();
    let file = fake.write(
        "bad.ndjson",
        concat!(
            "{\"product_id\":\"GOOD-1\",\"product_name\":\"Chair\",\"unit_gross_price\":100,\"currency\":\"NOK\"}\n",
            "{\"product_name\":\"no id\"}\n",
            "{\"product_id\":\"BAD-PRICE\",\"unit_gross_price\":\"12.50\",\"currency\":\"NOK\"}\n",
            "{\"product_id\":\"BAD-CURRENCY\",\"unit_gross_price\":100,\"currency\":\"nok\"}\n",
            "{\"product_id\":\"BROKEN\",\n",
            "\n",
            "{\"product_id\":\"GOOD-2\",\"groups\":[{\"group_id\":\"CHAIRS\"}],\"extra\":true}\n",
        ),
    );
    let run = fake
        .cmd()
        .args(["products", "import", "-c", "COPY"])
        .arg(&file)
        .assert()
        .code(1);
    let errors = stderr(&run);
    let name = file.display();
    for expected in [
        format!("{name}, line 2, field product_id: missing product_id"),
        format!(
            "{name}, line 3, column 52 (unit_gross_price): invalid type: string \"12.50\", expected i64"
        ),
        format!("{name}, line 4, field currency: invalid currency \"nok\""),
        format!("{name}, line 5, column 23: EOF while parsing a value"),
    ] {
        assert!(
            errors.contains(&expected),
            "missing {expected:?} in:\n{errors}"
        );
    }
    assert!(
        stdout(&run)
            .contains("2 created, 0 updated, 0 unchanged, 0 recreated, 0 held back, 4 failed"),
        "{}",
        stdout(&run)
    );
    let copied = fake.export_json("COPY");
    assert_eq!(copied.len(), 2);
    assert_eq!(copied[1]["groups"][0]["group_id"], "CHAIRS");
}

#[test]
fn a_sync_with_bad_rows_does_not_prune() {
    let fake = Fake::start();
    let file = fake.write(
        "bad.csv",
        "id,price,currency,groups\nCH-1001,1599,NOK,CHAIRS\nCH-1002,abc,NOK,CHAIRS\n",
    );
    fake.server.clear_requests();
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO", "--prune", "--yes"])
        .arg(&file)
        .assert()
        .code(1)
        .stderr(
            contains("line 3, column 2 (price): invalid price \"abc\": must be a number")
                .and(contains("--prune would delete its product")),
        );
    assert!(fake.server.requests().is_empty());
    // Without --prune, the good row goes through and the status says one failed.
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(contains("1 updated"));
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    let fake = Fake::start();
    let csv = fake.write("ok.csv", "id\nA\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["products", "list"], "--catalog <CATALOG>"),
        (vec!["products", "nosuch"], "unrecognized subcommand"),
        (vec!["catalogs", "list", "--nosuch"], "unexpected argument"),
        (
            vec!["catalogs", "list", "--format", "xml"],
            "invalid value 'xml'",
        ),
        (
            vec!["products", "import", "-c", "COPY", "missing.csv"],
            "cannot open missing.csv",
        ),
        (
            vec![
                "products",
                "import",
                "-c",
                "COPY",
                "--concurrency",
                "0",
                "x.csv",
            ],
            "0 is not in 1..=64",
        ),
        (
            vec!["products", "get", "-c", "DEMO", " padded "],
            "must not have leading or trailing whitespace",
        ),
        (
            vec!["--account-id", "X1", "catalogs", "list"],
            "invalid account id",
        ),
    ];
    for (args, message) in cases {
        fake.cmd()
            .args(&args)
            .assert()
            .code(2)
            .stderr(contains(message));
    }
    fake.cmd()
        .args(["products", "import", "-c", "COPY", "products.txt"])
        .assert()
        .code(2)
        .stderr(contains("pass --format csv|xlsx|jsonl"));
    let no_header = fake.write("no-header.csv", "A,Chair,100,NOK\n");
    fake.cmd()
        .args(["products", "import", "-c", "COPY"])
        .arg(&no_header)
        .assert()
        .code(2)
        .stderr(
            contains("unknown columns \"A\", \"Chair\", \"100\", \"NOK\"")
                .and(contains("needs a header row")),
        );
    Fake::bare()
        .args(["products", "import", "-c", "COPY"])
        .arg(&csv)
        .assert()
        .code(2)
        .stderr(contains(
            "no account: pass --account-id or set DINTERO_ACCOUNT_ID",
        ));
    Fake::bare()
        .env("DINTERO_ACCOUNT_ID", ACCOUNT)
        .env("DINTERO_CLIENT_ID", "id")
        .env("DINTERO_CLIENT_SECRET", "secret")
        .env("DINTERO_BASE_URL", "http://example.com/v1")
        .args(["catalogs", "list"])
        .assert()
        .code(2)
        .stderr(contains("plain http off loopback"));
    // The token endpoint refuses another audience: a configuration error too.
    fake.cmd()
        .args([
            "--audience",
            "https://elsewhere.example/v1",
            "catalogs",
            "list",
        ])
        .assert()
        .code(2)
        .stderr(contains("authentication failed"));
    Fake::bare()
        .env("DINTERO_ACCOUNT_ID", ACCOUNT)
        .env("DINTERO_CLIENT_ID", "id")
        .args(["catalogs", "list"])
        .assert()
        .code(2)
        .stderr(contains("no client secret"));
}

#[test]
fn a_refused_secret_exits_2_and_is_never_shown() {
    let fake = Fake::start();
    let secret = "wrong-secret-7f3a9c";
    let run = fake
        .cmd()
        .env("DINTERO_CLIENT_SECRET", secret)
        .args(["catalogs", "list"])
        .assert()
        .code(2);
    let all = format!("{}{}", stdout(&run), stderr(&run));
    assert!(all.contains("authentication failed"), "{all}");
    assert!(!all.contains(secret), "{all}");
    let help = fake
        .cmd()
        .env("DINTERO_CLIENT_SECRET", secret)
        .args(["products", "sync", "--help"])
        .assert()
        .success();
    assert!(!stdout(&help).contains(secret));
}

/// An error is printed once: its own message on the `error:` line, each cause on a `caused by:`
/// line of its own, none repeated; and its exit status follows its kind.
#[test]
fn errors_print_their_chain_once_and_exit_by_kind() {
    let fake = Fake::start();
    // Refused credentials: the SDK's kind, then the token endpoint's answer.
    let refused = fake
        .cmd()
        .env("DINTERO_CLIENT_SECRET", "wrong")
        .args(["catalogs", "list"])
        .assert()
        .code(2);
    let text = stderr(&refused);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&"error: authentication failed"),
        "{text}"
    );
    assert!(
        lines
            .get(1)
            .is_some_and(|l| l.starts_with("caused by: the token endpoint answered 401")),
        "{text}"
    );

    // Nobody listens: a request that failed (1), the operating system's cause once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = closed.local_addr().expect("its address");
    drop(closed);
    let unreachable = Fake::bare()
        .env("DINTERO_ACCOUNT_ID", ACCOUNT)
        .env("DINTERO_CLIENT_ID", "id")
        .env("DINTERO_CLIENT_SECRET", "secret")
        .args([
            "--base-url",
            &format!("http://{address}/v1"),
            "catalogs",
            "list",
        ])
        .assert()
        .code(1);
    let text = stderr(&unreachable);
    assert!(
        text.starts_with(
            "error: authentication failed\ncaused by: could not reach the token endpoint\n"
        ),
        "{text}"
    );
    assert_eq!(
        text.to_lowercase().matches("connection refused").count(),
        1,
        "{text}"
    );
    assert!(
        text.lines().skip(1).all(|l| l.starts_with("caused by: ")),
        "{text}"
    );
}

#[test]
fn the_secret_can_come_from_a_file_or_standard_input() {
    let fake = Fake::start();
    let secret = format!("{}\n", fake.server.client_secret());
    let mut from_stdin = fake.cmd();
    from_stdin
        .env_remove("DINTERO_CLIENT_SECRET")
        .args(["--client-secret-file", "-", "catalogs", "list"])
        .write_stdin(secret.clone())
        .assert()
        .success()
        .stdout(contains("DEMO"));
    let file = fake.write("secret", &secret);
    let mut from_file = fake.cmd();
    from_file
        .env_remove("DINTERO_CLIENT_SECRET")
        .args(["catalogs", "list", "--client-secret-file"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("DEMO"));
}

#[test]
fn an_import_into_a_missing_catalog_writes_nothing() {
    let fake = Fake::start();
    let file = fake.write("ok.csv", "id,name\nA,Chair\n");
    fake.server.clear_requests();
    fake.cmd()
        .args(["products", "import", "-c", "NOPE"])
        .arg(&file)
        .assert()
        .code(1)
        .stderr(contains("catalog \"NOPE\" not found"));
    assert!(fake.api_methods().iter().all(|m| m == "GET"));
}

#[test]
fn the_demo_works_without_an_account() {
    let export = Fake::bare()
        .args(["--demo", "products", "export", "--catalog", "DEMO"])
        .assert()
        .success()
        .stderr(contains("demo: an in-memory Dintero server"));
    let products = json_lines(&export.get_output().stdout);
    assert_eq!(products.len(), 24);
    assert_eq!(products[0]["product_name"], "Nordli dining chair, oak");
    let csv = Fake::bare()
        .args([
            "products",
            "export",
            "--catalog",
            "DEMO",
            "--format",
            "csv",
            "--demo",
            "--quiet",
        ])
        .assert()
        .success();
    assert_eq!(stdout(&csv).lines().count(), 25, "a header and 24 rows");
    Fake::bare()
        .args(["--demo", "catalogs", "list", "-f", "table"])
        .assert()
        .success()
        .stdout(contains("Demo catalog"));
    Fake::bare()
        .args(["--demo", "groups", "list"])
        .assert()
        .success()
        .stdout(contains("\"group_id\":\"OUTDOOR\""));
}

/// `product` without `updated_at`, which any write changes; its Dintero `id` and `created_at`
/// stay, so a product deleted and created again does not compare equal.
fn but_updated_at(product: &Value) -> Value {
    let mut product = product.clone();
    if let Some(fields) = product.as_object_mut() {
        fields.remove("updated_at");
    }
    product
}

/// The product `id` of `products`, or a failed test naming it.
pub(crate) fn get<'a>(products: &'a BTreeMap<String, Value>, id: &str) -> &'a Value {
    products
        .get(id)
        .unwrap_or_else(|| panic!("product {id} is missing"))
}

#[test]
fn a_price_list_changes_prices_and_nothing_else() {
    let fake = Fake::start();
    let before = fake.products("DEMO");
    // The API's own unit, as an ERP may export it: the `unit_gross_price` column.
    let mut text = String::from("id,unit_gross_price,currency\n");
    for (id, product) in &before {
        let price = product["unit_gross_price"].as_i64().unwrap_or(0) + 1000;
        text.push_str(&format!("{id},{price},NOK\n"));
    }
    let file = fake.write("prices.csv", &text);
    fake.server.clear_requests();
    let run = fake
        .cmd()
        .args(["products", "sync", "-c", "DEMO"])
        .arg(&file)
        .assert()
        .success();
    let out = stdout(&run);
    assert!(
        out.contains("synced catalog DEMO: 0 created, 24 updated, 0 unchanged, 0 recreated, 0 deleted, 0 held back"),
        "{out}"
    );
    assert_eq!(fake.sent("DELETE"), 0, "{:?}", fake.api_methods());

    // Every field but the price is as it was: name, description, groups, locations, unit, and
    // the Dintero id and creation time (nothing was deleted and created again).
    let after = fake.products("DEMO");
    assert_eq!(after.len(), 24);
    for (id, old) in &before {
        let mut expected = but_updated_at(old);
        expected["unit_gross_price"] =
            (old["unit_gross_price"].as_i64().unwrap_or(0) + 1000).into();
        assert_eq!(but_updated_at(get(&after, id)), expected, "{id}");
    }
}

#[test]
fn a_file_without_groups_recreates_nothing_and_an_empty_cell_clears() {
    let fake = Fake::start();
    let before = fake.products("DEMO");
    // CH-1003 is in two groups; the file has no groups column, so they are not its business.
    let file = fake.write(
        "names.csv",
        "id,name,description\nCH-1003,Fjord stool,Steel.\nLP-3006,Fyr wall lamp,\n",
    );
    fake.server.clear_requests();
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO", "--quiet"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("0 created, 2 updated").and(contains("0 recreated")));
    assert_eq!(fake.sent("DELETE"), 0, "{:?}", fake.api_methods());
    let after = fake.products("DEMO");
    let chair = get(&after, "CH-1003");
    assert_eq!(chair["product_name"], "Fjord stool");
    assert_eq!(chair["description"], "Steel.");
    assert_eq!(chair["groups"], get(&before, "CH-1003")["groups"]);
    assert_eq!(chair["id"], get(&before, "CH-1003")["id"]);
    assert_eq!(chair["locations"], get(&before, "CH-1003")["locations"]);
    // An empty cell in a column that is there clears the field.
    let lamp = get(&after, "LP-3006");
    assert_eq!(lamp["description"].as_str().unwrap_or_default(), "");
    assert_eq!(lamp["groups"], get(&before, "LP-3006")["groups"]);
    assert_eq!(lamp["unit_gross_price"], 69_900);
}

#[test]
fn changing_groups_needs_allow_recreate_and_keeps_every_other_field() {
    let fake = Fake::start();
    let before = fake.products("DEMO");
    let file = fake.write("groups.csv", "id,groups\nCH-1001,CHAIRS;OUTDOOR\n");
    let report = fake.path("report.jsonl");

    // Without consent: untouched, named, exit 1.
    fake.server.clear_requests();
    let held = fake
        .cmd()
        .args(["products", "sync", "-c", "DEMO", "--report"])
        .arg(&report)
        .arg(&file)
        .assert()
        .code(1);
    let out = stdout(&held);
    assert!(
        out.contains("needs consent:\n± CH-1001  groups: CHAIRS -> CHAIRS,OUTDOOR"),
        "{out}"
    );
    assert!(out.contains("[held back]"), "{out}");
    assert!(out.contains("1 held back"), "{out}");
    assert!(stderr(&held).contains("CH-1001"), "{}", stderr(&held));
    assert_eq!(fake.sent("DELETE"), 0);
    assert_eq!(fake.sent("POST"), 0);
    let lines = json_lines(read(&report).as_bytes());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["id"], "CH-1001");
    assert_eq!(lines[0]["line"], 2);
    assert_eq!(lines[0]["outcome"], "needs-consent");
    assert!(
        lines[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("--allow-recreate")),
        "{lines:?}"
    );
    assert_eq!(fake.products("DEMO"), before);

    // With consent: deleted and created again, with the new groups and every other field.
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO", "--allow-recreate"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("1 recreated").and(contains("[approved]")));
    let after = fake.products("DEMO");
    let (old, new) = (get(&before, "CH-1001"), get(&after, "CH-1001"));
    let groups: Vec<&Value> = new["groups"]
        .as_array()
        .map(|g| g.iter().map(|g| &g["group_id"]).collect())
        .unwrap_or_default();
    assert_eq!(groups, ["CHAIRS", "OUTDOOR"]);
    let mut expected = writable(old.clone());
    expected["groups"] = Value::Null;
    let mut got = writable(new.clone());
    got["groups"] = Value::Null;
    assert_eq!(got, expected, "every field but the groups is kept");
    assert_ne!(new["id"], old["id"], "a recreate gives a new Dintero id");
    // The journal served the recreate and, left empty, was removed.
    assert!(!fake.path("dintero-products.journal").exists());
    // Right after, nothing to change.
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("nothing to change"));
}

#[test]
fn an_empty_file_never_prunes() {
    let fake = Fake::start();
    let csv = fake.write("empty.csv", "id,name,price,currency\n");
    let jsonl = fake.write("empty.jsonl", "");
    for file in [&csv, &jsonl] {
        fake.server.clear_requests();
        let run = fake
            .cmd()
            .args(["products", "sync", "-c", "DEMO", "--prune", "--yes"])
            .arg(file)
            .assert()
            .code(1);
        assert!(stdout(&run).contains("refused:"), "{}", stdout(&run));
        assert!(
            stderr(&run).contains("nothing was sent")
                && stderr(&run).contains("hint: the file holds no product; is it the right file?"),
            "{}",
            stderr(&run)
        );
        assert_eq!(fake.sent("DELETE"), 0);
        assert_eq!(fake.count("DEMO"), 24);
    }
}

#[test]
fn max_deletes_limits_a_prune() {
    let fake = Fake::start();
    // 20 of the 24 demo products, with an id alone: nothing to change in them, 4 to delete.
    let ids: Vec<String> = fake.products("DEMO").into_keys().take(20).collect();
    let file = fake.write("twenty.csv", &format!("id\n{}\n", ids.join("\n")));

    // 10% of 24 is 2: refused, in a dry run too, and nothing is sent.
    fake.server.clear_requests();
    let dry = fake
        .cmd()
        .args(["products", "sync", "-c", "DEMO", "--prune", "--dry-run"])
        .arg(&file)
        .assert()
        .code(1);
    assert!(
        stdout(&dry).contains("refused: the prune would delete 4 of the catalog's 24 products"),
        "{}",
        stdout(&dry)
    );
    let refused = fake
        .cmd()
        .args(["products", "sync", "-c", "DEMO", "--prune", "--yes"])
        .arg(&file)
        .assert()
        .code(1);
    assert!(
        stderr(&refused).contains("--max-deletes 4"),
        "{}",
        stderr(&refused)
    );
    assert!(fake.api_methods().iter().all(|m| m == "GET"));
    assert_eq!(fake.count("DEMO"), 24);
    fake.cmd()
        .args([
            "products",
            "sync",
            "-c",
            "DEMO",
            "--prune",
            "--yes",
            "--max-deletes",
            "3",
        ])
        .arg(&file)
        .assert()
        .code(1);
    assert_eq!(fake.count("DEMO"), 24);

    let report = fake.path("report.jsonl");
    fake.cmd()
        .args([
            "products",
            "sync",
            "-c",
            "DEMO",
            "--prune",
            "--yes",
            "--max-deletes",
            "100%",
            "--report",
        ])
        .arg(&report)
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("4 deleted"));
    assert_eq!(fake.count("DEMO"), 20);
    let deleted = json_lines(read(&report).as_bytes())
        .into_iter()
        .filter(|l| l["outcome"] == "deleted" && l["line"].is_null())
        .count();
    assert_eq!(deleted, 4);
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO", "--max-deletes", "ten"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains("invalid value 'ten'"));
}

#[test]
fn a_jsonl_import_of_three_keys_keeps_every_other_field() {
    let fake = Fake::start();
    let virtual_file = fake.write(
        "virtual.jsonl",
        "{\"product_id\":\"CH-1002\",\"is_virtual_product\":true}\n",
    );
    fake.cmd()
        .args(["products", "import", "-c", "DEMO", "--quiet"])
        .arg(&virtual_file)
        .assert()
        .success();
    let before = fake.products("DEMO");
    assert_eq!(get(&before, "CH-1002")["is_virtual_product"], true);

    let price = fake.write(
        "price.jsonl",
        "{\"product_id\":\"CH-1002\",\"unit_gross_price\":159900,\"currency\":\"NOK\"}\n",
    );
    fake.server.clear_requests();
    fake.cmd()
        .args(["products", "import", "-c", "DEMO"])
        .arg(&price)
        .assert()
        .success()
        .stdout(contains("0 created, 1 updated, 0 unchanged"));
    assert_eq!(fake.sent("DELETE"), 0);
    let after = fake.products("DEMO");
    let (old, new) = (get(&before, "CH-1002"), get(&after, "CH-1002"));
    assert_eq!(new["unit_gross_price"], 159_900);
    for key in [
        "is_virtual_product",
        "locations",
        "product_name",
        "groups",
        "description",
        "unit",
        "id",
    ] {
        assert_eq!(new[key], old[key], "{key}");
    }
}

#[test]
fn a_negative_price_is_refused_with_its_place_and_not_sent() {
    let fake = Fake::start();
    let csv = fake.write(
        "prices.csv",
        "id,name,price,currency\nNEG-1,Chair,-1,NOK\nOK-1,Chair,1,NOK\n",
    );
    let run = fake
        .cmd()
        .args(["products", "import", "-c", "COPY"])
        .arg(&csv)
        .assert()
        .code(1);
    let expected = format!(
        "{}, line 2, column 3 (price): invalid price \"-1\": must not be negative",
        csv.display()
    );
    assert!(stderr(&run).contains(&expected), "{}", stderr(&run));
    assert!(stdout(&run).contains("1 created"), "{}", stdout(&run));
    let copied = fake.products("COPY");
    assert_eq!(copied.keys().collect::<Vec<_>>(), ["OK-1"]);

    // In a sync, the product keeps its price.
    let jsonl = fake.write(
        "prices.jsonl",
        "{\"product_id\":\"CH-1001\",\"unit_gross_price\":-5,\"currency\":\"NOK\"}\n",
    );
    let run = fake
        .cmd()
        .args(["products", "sync", "-c", "DEMO"])
        .arg(&jsonl)
        .assert()
        .code(1);
    assert!(
        stderr(&run).contains(&format!("{}, line 1", jsonl.display()))
            && stderr(&run).contains("unit_gross_price"),
        "{}",
        stderr(&run)
    );
    assert_eq!(
        get(&fake.products("DEMO"), "CH-1001")["unit_gross_price"],
        149_900
    );
}

#[test]
fn a_hundredfold_price_drop_needs_yes() {
    let fake = Fake::start();
    let file = fake.write("prices.csv", "id,price,currency\nCH-1001,\"14,99\",NOK\n");
    let flagged = "! CH-1001  price: 1499.00 NOK -> 14.99 NOK  (price ×10 or more";

    for command in ["import", "sync"] {
        fake.server.clear_requests();
        let dry = fake
            .cmd()
            .args(["products", command, "-c", "DEMO", "--dry-run"])
            .arg(&file)
            .assert()
            .code(1);
        let out = stdout(&dry);
        assert!(out.contains("needs consent:\n"), "{command}: {out}");
        assert!(out.contains(flagged), "{command}: {out}");
        assert!(out.contains("[held back]"), "{command}: {out}");
        assert!(fake.api_methods().iter().all(|m| m == "GET"));
    }

    // Off a terminal without --yes: held back, reported, exit 1, the price as it was.
    for command in ["import", "sync"] {
        let report = fake.path("report.jsonl");
        let held = fake
            .cmd()
            .args(["products", command, "-c", "DEMO", "--report"])
            .arg(&report)
            .arg(&file)
            .assert()
            .code(1);
        assert!(stdout(&held).contains("1 held back"), "{}", stdout(&held));
        assert!(stderr(&held).contains("held back:"), "{}", stderr(&held));
        let lines = json_lines(read(&report).as_bytes());
        assert_eq!(lines[0]["outcome"], "needs-consent", "{lines:?}");
        assert!(
            lines[0]["error"]
                .as_str()
                .is_some_and(|e| e.contains("--yes"))
        );
        assert_eq!(
            get(&fake.products("DEMO"), "CH-1001")["unit_gross_price"],
            149_900
        );
    }

    fake.cmd()
        .args(["products", "sync", "-c", "DEMO", "--yes"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("[approved]").and(contains("1 updated")));
    assert_eq!(
        get(&fake.products("DEMO"), "CH-1001")["unit_gross_price"],
        1499
    );
}

#[test]
fn an_import_dry_run_prints_each_row_and_sends_no_write() {
    let fake = Fake::start();
    let file = fake.write(
        "rows.csv",
        "id,name\nCH-1001,Nordli chair\nCH-1002,\"Nordli dining chair, black\"\nNEW-1,Stool\n",
    );
    let report = fake.path("plan.jsonl");
    fake.server.clear_requests();
    let dry = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO", "--dry-run", "--report"])
        .arg(&report)
        .arg(&file)
        .assert()
        .success();
    let out = stdout(&dry);
    assert!(
        out.starts_with("catalog DEMO: 1 to create, 1 to update, 0 to delete, 1 unchanged"),
        "{out}"
    );
    assert!(out.contains("+ NEW-1\n"), "{out}");
    assert!(
        out.contains("~ CH-1001  name: \"Nordli dining chair, oak\" -> \"Nordli chair\"\n"),
        "{out}"
    );
    assert!(
        out.ends_with("dry run: nothing was sent but list requests\n"),
        "{out}"
    );
    let methods = fake.api_methods();
    assert!(
        !methods.is_empty() && methods.iter().all(|m| m == "GET"),
        "{methods:?}"
    );
    assert_eq!(fake.count("DEMO"), 24);
    let lines = json_lines(read(&report).as_bytes());
    let outcomes: Vec<(&Value, &Value)> =
        lines.iter().map(|l| (&l["line"], &l["outcome"])).collect();
    assert_eq!(
        outcomes,
        [
            (&Value::from(2), &Value::from("would-update")),
            (&Value::from(3), &Value::from("unchanged")),
            (&Value::from(4), &Value::from("would-create")),
        ]
    );
}

#[test]
fn an_id_given_twice_in_an_import_is_a_bad_row() {
    let fake = Fake::start();
    let file = fake.write("twice.csv", "id,name\nA,One\nB,Two\nA,Three\n");
    let run = fake
        .cmd()
        .args(["products", "import", "-c", "COPY"])
        .arg(&file)
        .assert()
        .code(1);
    assert!(
        stderr(&run).contains(&format!(
            "{}, line 4: product A is on line 2 already",
            file.display()
        )),
        "{}",
        stderr(&run)
    );
    assert!(stdout(&run).contains("2 created"), "{}", stdout(&run));
    let copied = fake.products("COPY");
    assert_eq!(get(&copied, "A")["product_name"], "One");
}

/// A plan shows old and new values for its first hundred updates, and only the fields that
/// differ for the rest.
#[test]
fn a_plan_details_its_first_hundred_updates() {
    let fake = Fake::start();
    fake.server.seed_products(ACCOUNT, "BIG", 101);
    let mut rows = String::from("id,name\n");
    for i in 1..=101 {
        rows.push_str(&format!(
            "{},Renamed {i}\n",
            dintero_products_fake::seeded_product_id(i)
        ));
    }
    let file = fake.write("renames.csv", &rows);
    let plan = fake.dry_import("BIG", &file, 0);
    let updates: Vec<&str> = plan.lines().filter(|l| l.starts_with("~ ")).collect();
    assert_eq!(updates.len(), 101, "{plan}");
    let detailed = updates.iter().filter(|l| l.contains(" -> ")).count();
    assert_eq!(detailed, 100, "{plan}");
    assert!(updates[100].ends_with("  name"), "{}", updates[100]);
}

/// A plan's values of up to 40 characters are shown whole, longer ones cut there and marked.
#[test]
fn a_plan_cuts_a_value_over_forty_characters() {
    let fake = Fake::start();
    let forty = "ø".repeat(40);
    let longer = format!("{forty}x");
    let file = fake.write(
        "long.csv",
        &format!("id,name\nCH-1001,{forty}\nCH-1002,{longer}\n"),
    );
    let plan = fake.dry_import("DEMO", &file, 0);
    assert!(plan.contains(&format!(" -> {forty:?}\n")), "{plan}");
    assert!(plan.contains(&format!(" -> {forty:?}…\n")), "{plan}");

    // Each field's old and new value, as a person reads it.
    let file = fake.write(
        "fields.csv",
        "id,name,unit,virtual\nCH-1003,Fjord,pk,true\n",
    );
    let plan = fake.dry_import("DEMO", &file, 0);
    assert!(
        plan.contains(
            "~ CH-1003  name: \"Fjord stacking chair\" -> \"Fjord\", unit: \"stk\" -> \"pk\", virtual: false -> true\n"
        ),
        "{plan}"
    );
}

/// The groups a plan creates are those the products it writes name: a product it rejects
/// names none.
#[test]
fn a_rejected_product_gets_no_group_created() {
    let fake = Fake::start();
    let file = fake.write(
        "rows.csv",
        "id,command,name,groups\nMISSING-1,UPDATE,Ghost,NOGROUP\nNEW-1,NEW,Krakk,NEWGROUP\n",
    );
    let plan = fake.dry_import("DEMO", &file, 1);
    assert!(plan.contains("+ group NEWGROUP"), "{plan}");
    assert!(!plan.contains("NOGROUP"), "{plan}");
}

/// A run that cannot recreate needs no journal; one that may recreate does not start without
/// one it can write.
#[test]
fn only_a_run_that_may_recreate_needs_its_journal() {
    let fake = Fake::start();
    let file = fake.write("one.csv", "id,name\nCH-1001,Nordli chair\n");
    let nowhere = fake.path("missing-directory/dintero-products.journal");
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO", "--journal"])
        .arg(&nowhere)
        .arg(&file)
        .assert()
        .success();
    let run = fake
        .cmd()
        .args([
            "products",
            "sync",
            "-c",
            "DEMO",
            "--allow-recreate",
            "--journal",
        ])
        .arg(&nowhere)
        .arg(&file)
        .assert()
        .code(2);
    assert!(
        stderr(&run).contains(&format!(
            "cannot open the journal {} (choose another with --journal FILE)",
            nowhere.display()
        )),
        "{}",
        stderr(&run)
    );
    assert!(!nowhere.exists());
}

/// A change another writer makes between the plan and the write is found when the product is
/// read to be written: nothing is sent, and the summary counts the product unchanged.
#[test]
fn a_change_made_meanwhile_by_another_writer_is_counted_unchanged() {
    use dintero_products_fake::{FaultKind, Faults};
    use std::process::Stdio;
    use std::time::Instant;

    let fake = Fake::start();
    let file = fake.write("one.csv", "id,name\nCH-1001,Nordli chair\n");
    let mut renamed: dintero_products::types::ProductDetails =
        serde_json::from_value(get(&fake.products("DEMO"), "CH-1001").clone()).expect("a product");
    renamed.product_name = Some("Nordli chair".into());
    // Every read answers a second late, after it was served: the catalog is listed as it was.
    fake.server
        .set_faults(Faults::always(FaultKind::Slow(Duration::from_secs(1))).only_method("GET"));
    fake.server.clear_requests();
    let child = fake
        .cmd_std()
        .args(["products", "sync", "-c", "DEMO"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let started = Instant::now();
    let listing = |r: &dintero_products_fake::RecordedRequest| {
        r.method == "GET" && r.path.ends_with("/catalogs/DEMO/products")
    };
    while !fake.server.requests().iter().any(listing) {
        assert!(started.elapsed() < Duration::from_secs(30), "no listing");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The listing is served and its answer on the way: the other writer renames the product.
    std::thread::sleep(Duration::from_millis(300));
    fake.server.seed_product(ACCOUNT, "DEMO", renamed);
    let output = ended(child);
    fake.server.set_faults(Faults::new());
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("1 to update"), "planned: {out}");
    assert!(
        out.contains("synced catalog DEMO: 0 created, 0 updated, 1 unchanged,"),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(fake.sent("PUT"), 0, "{:?}", fake.api_methods());
}

/// A run killed between a recreate's delete and its create leaves the product's body in the
/// journal (a line as `FileJournal` writes it); the next run puts it back first.
#[test]
fn the_next_run_restores_what_a_killed_recreate_left_deleted() {
    let fake = Fake::start();
    let before = fake.products("DEMO");
    let body = get(&before, "TB-2001").clone();
    fake.cmd()
        .args(["products", "delete", "-c", "DEMO", "TB-2001"])
        .assert()
        .success();
    let line = serde_json::json!({"begin": {"scope": format!("{ACCOUNT}/DEMO"), "product": body}});
    let journal = fake.write("crash.journal", &format!("{line}\n"));
    let file = fake.write("one.csv", "id,name\nCH-1001,\"Nordli dining chair, oak\"\n");

    // A dry run restores nothing, and says what the journal holds.
    fake.cmd()
        .args(["products", "sync", "-c", "DEMO", "--dry-run", "--journal"])
        .arg(&journal)
        .arg(&file)
        .assert()
        .success()
        .stderr(contains("holds 1 product an interrupted run left deleted"));
    assert_eq!(fake.count("DEMO"), 23);

    // A restore the API refuses is said; the journal keeps it for the next run.
    fake.server.set_faults(
        dintero_products_fake::Faults::always(dintero_products_fake::FaultKind::Status(403))
            .only_method("POST"),
    );
    let refused = fake
        .cmd()
        .args(["products", "sync", "-c", "DEMO", "--journal"])
        .arg(&journal)
        .arg(&file)
        .assert();
    assert!(
        stderr(&refused)
            .contains("error: product TB-2001 could not be restored from the journal: "),
        "{}",
        stderr(&refused)
    );
    fake.server.set_faults(dintero_products_fake::Faults::new());
    assert_eq!(fake.count("DEMO"), 23);

    fake.cmd()
        .args(["products", "sync", "-c", "DEMO", "--journal"])
        .arg(&journal)
        .arg(&file)
        .assert()
        .success()
        .stdout(
            contains("+ TB-2001  restored from the journal").and(contains("nothing to change")),
        );
    let after = fake.products("DEMO");
    assert_eq!(writable(get(&after, "TB-2001").clone()), writable(body));
    assert_eq!(
        read(&journal),
        "",
        "the journal is emptied once nothing is open"
    );
}
