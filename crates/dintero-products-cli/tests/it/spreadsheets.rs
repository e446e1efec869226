//! Files as merchants have them: CSV as Excel writes it on a Nordic machine (semicolons,
//! decimal commas, Windows-1252, CRLF), prices in kroner, exports that are safe to open, a
//! command per row and stock as columns; each run through the binary against the fake.

use crate::cli::{Fake, json_lines, read, stderr, stdout};
use serde_json::Value;
use std::path::PathBuf;

/// `text` saved as Excel saves "CSV" on a Western European Windows: in Windows-1252.
fn windows_1252(fake: &Fake, name: &str, text: &str) -> PathBuf {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable, "the test's text fits Windows-1252");
    let path = fake.path(name);
    std::fs::write(&path, &bytes).expect("writing a test file");
    path
}

fn product<'a>(products: &'a std::collections::BTreeMap<String, Value>, id: &str) -> &'a Value {
    products.get(id).unwrap_or(&Value::Null)
}

#[test]
fn an_excel_csv_from_a_norwegian_machine_imports_with_its_prices_names_and_lines() {
    let fake = Fake::start();
    // Semicolons (the decimal mark is a comma), a no-break space between thousands, CRLF, and
    // a quoted cell over two lines, so that line numbers after it are tested too.
    let file = windows_1252(
        &fake,
        "excel.csv",
        "id;name;price;currency;description\r\n\
         CH-1001;Spisestol «Bjørk», eik;1\u{a0}599,00;NOK;\"To linjer:\r\nandre\"\r\n\
         NY-1;Blåbærkurv;49,5;NOK;\r\n\
         BAD-1;Æske;12,345;NOK;\r\n\
         NY-2;Lampe;2.499,00;NOK;Ærlig\r\n",
    );
    let report = fake.path("report.jsonl");
    let run = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO", "--yes", "-r"])
        .arg(&report)
        .arg(&file)
        .assert()
        .code(1);
    let errors = stderr(&run);
    assert!(
        errors.contains(&format!(
            "note: reading {} as Windows-1252 (it is not valid UTF-8), separated by `;`",
            file.display()
        )),
        "{errors}"
    );
    assert!(
        errors.contains(&format!(
            "{}, line 5, column 3 (price): invalid price \"12,345\": is ambiguous",
            file.display()
        )),
        "the row after a two-line cell is on line 5: {errors}"
    );
    let products = fake.products("DEMO");
    let chair = product(&products, "CH-1001");
    assert_eq!(chair["unit_gross_price"], 159_900);
    assert_eq!(chair["product_name"], "Spisestol «Bjørk», eik");
    assert_eq!(chair["description"], "To linjer:\r\nandre");
    assert_eq!(product(&products, "NY-1")["unit_gross_price"], 4_950);
    assert_eq!(product(&products, "NY-1")["product_name"], "Blåbærkurv");
    assert_eq!(product(&products, "NY-2")["unit_gross_price"], 249_900);
    assert_eq!(product(&products, "NY-2")["description"], "Ærlig");
    assert!(!products.contains_key("BAD-1"));
    assert_eq!(
        commands_ran(&report),
        [
            row(2, "CH-1001", "MERGE", "updated"),
            row(4, "NY-1", "MERGE", "created"),
            // A row that cannot be read has no command.
            row(5, "BAD-1", "", "failed"),
            row(6, "NY-2", "MERGE", "created"),
        ]
    );
}

#[test]
fn utf8_with_a_byte_order_mark_tabs_and_utf16_are_read_too() {
    let fake = Fake::start();
    let tabs = fake.write(
        "tabs.tsv",
        "\u{feff}ID\tName\tPrice\tCurrency\nTAB-1\tKrakk «Mini»\t499\tNOK\n",
    );
    let run = fake
        .cmd()
        .args(["products", "import", "-c", "COPY", "--yes"])
        .arg(&tabs)
        .assert()
        .success();
    assert!(
        stderr(&run).contains("separated by tabs"),
        "{}",
        stderr(&run)
    );
    // Excel's "Unicode Text": UTF-16LE with its mark, tab-separated.
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "id\tname\nU16-1\tBlåbær\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let unicode_text = fake.path("unicode.txt");
    std::fs::write(&unicode_text, bytes).expect("writing a test file");
    fake.cmd()
        .args([
            "products", "import", "-c", "COPY", "--yes", "--format", "csv",
        ])
        .arg(&unicode_text)
        .assert()
        .success();
    let products = fake.products("COPY");
    assert_eq!(product(&products, "TAB-1")["unit_gross_price"], 49_900);
    assert_eq!(product(&products, "TAB-1")["product_name"], "Krakk «Mini»");
    assert_eq!(product(&products, "U16-1")["product_name"], "Blåbær");

    // A separator given wrongly is named in the error, with the way out.
    fake.cmd()
        .args(["products", "import", "-c", "COPY", "--delimiter", ","])
        .arg(fake.write("semi.csv", "id;name\nA;B\n"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("pass --delimiter"));
}

#[test]
fn a_name_that_is_a_formula_exports_guarded_and_imports_back_as_it_was() {
    let fake = Fake::start();
    let names = [
        "=1+1",
        "=HYPERLINK(\"http://x.example\")",
        "+47 22 00 00",
        "-5",
        "@SUM(A1)",
        "'=2",
    ];
    let mut jsonl = String::new();
    for (i, name) in names.iter().enumerate() {
        let line = serde_json::json!({"product_id": format!("F-{i}"), "product_name": name});
        jsonl.push_str(&format!("{line}\n"));
    }
    let source = fake.write("formulas.jsonl", &jsonl);
    fake.cmd()
        .args(["products", "import", "-c", "COPY", "--yes"])
        .arg(&source)
        .assert()
        .success();
    let csv = fake.path("export.csv");
    fake.cmd()
        .args(["products", "export", "-c", "COPY", "-o"])
        .arg(&csv)
        .assert()
        .success();
    let text = read(&csv);
    // No cell starts with what a spreadsheet runs: every such name is behind a `'`.
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for record in reader.records() {
        let record = record.expect("a CSV record");
        for cell in record.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} in {text}"
            );
        }
    }
    assert!(text.contains("'=1+1"), "{text}");
    assert!(text.contains("''=2"), "{text}");

    // Into another catalog and back: the same names.
    fake.server
        .seed_catalog(crate::cli::ACCOUNT, "BACK", "Back");
    fake.cmd()
        .args(["products", "import", "-c", "BACK", "--yes"])
        .arg(&csv)
        .assert()
        .success();
    let back = fake.products("BACK");
    for (i, name) in names.iter().enumerate() {
        assert_eq!(product(&back, &format!("F-{i}"))["product_name"], *name);
    }
    // And into the catalog it came from: nothing to change.
    let again = fake
        .cmd()
        .args(["products", "import", "-c", "COPY", "--dry-run"])
        .arg(&csv)
        .assert()
        .success();
    let plan = stdout(&again);
    assert!(plan.contains("0 to create, 0 to update"), "{plan}");
}

/// The report's lines as (line, id, command, outcome), in line order.
fn commands_ran(report: &std::path::Path) -> Vec<(u64, String, String, String)> {
    let mut lines: Vec<_> = json_lines(read(report).as_bytes())
        .into_iter()
        .map(|l| {
            let text = |key: &str| l[key].as_str().unwrap_or_default().to_string();
            (
                l["line"].as_u64().unwrap_or(0),
                text("id"),
                text("command"),
                text("outcome"),
            )
        })
        .collect();
    lines.sort();
    lines
}

fn row(line: u64, id: &str, command: &str, outcome: &str) -> (u64, String, String, String) {
    (line, id.into(), command.into(), outcome.into())
}

/// The rows of the command test: line, id, command, and the outcome of the dry run and of
/// the run.
const ROWS: [(u64, &str, &str, &str, &str); 9] = [
    (2, "NEW-1", "NEW", "would-create", "created"),
    (3, "CH-1001", "NEW", "failed", "failed"),
    (4, "CH-1002", "UPDATE", "would-update", "updated"),
    (5, "MISSING-1", "UPDATE", "failed", "failed"),
    (6, "CH-1003", "MERGE", "would-update", "updated"),
    // A REPLACE that takes a product out of its groups is a recreate: it needs consent.
    (7, "CH-1004", "REPLACE", "needs-consent", "recreated"),
    (8, "TB-2001", "DELETE", "would-delete", "deleted"),
    (9, "GONE-1", "DELETE", "unchanged", "unchanged"),
    (10, "CH-1005", "IGNORE", "ignored", "ignored"),
];

#[test]
fn the_command_column_runs_row_by_row() {
    let fake = Fake::start();
    let before = fake.products("DEMO");
    let file = fake.write(
        "commands.csv",
        "id,name,description,command\n\
         NEW-1,Ny stol,,NEW\n\
         CH-1001,Taken,,new\n\
         CH-1002,Omdøpt,Ny tekst,UPDATE\n\
         MISSING-1,Nobody,,UPDATE\n\
         CH-1003,Merged,,\n\
         CH-1004,Erstattet,,REPLACE\n\
         TB-2001,,,DELETE\n\
         GONE-1,,,DELETE\n\
         CH-1005,=ignored,,IGNORE\n",
    );

    // The dry run says what each row would run, and what a REPLACE clears.
    let plan_report = fake.path("plan.jsonl");
    fake.server.clear_requests();
    let dry = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO", "--dry-run", "-r"])
        .arg(&plan_report)
        .arg(&file)
        .assert()
        .code(1);
    assert!(fake.api_methods().iter().all(|m| m == "GET"));
    let plan = stdout(&dry);
    assert!(
        plan.contains("commands: 1 MERGE, 2 NEW, 2 UPDATE, 1 REPLACE, 2 DELETE, 1 IGNORE\n"),
        "{plan}"
    );
    assert!(
        plan.contains(
            "REPLACE on 1 row: every field the file has no column for is cleared (description, \
             price, unit, virtual, starting_at, stopping_at, dimension.color, dimension.config, \
             dimension.size, dimension.style, dimension.variant, images, locations, groups)\n"
        ),
        "{plan}"
    );
    assert!(plan.contains("- TB-2001\n"), "{plan}");
    assert_eq!(
        commands_ran(&plan_report),
        ROWS.map(|(l, id, c, would, _)| row(l, id, c, would))
    );
    // With consent, the dry run's recreate is one it would make.
    fake.cmd()
        .args([
            "products",
            "import",
            "-c",
            "DEMO",
            "--dry-run",
            "--allow-recreate",
            "-r",
        ])
        .arg(&plan_report)
        .arg(&file)
        .assert()
        .code(1);
    assert!(
        commands_ran(&plan_report).contains(&row(7, "CH-1004", "REPLACE", "would-recreate")),
        "{}",
        read(&plan_report)
    );

    // Applied, with consent to the recreate.
    let report = fake.path("report.jsonl");
    let run = fake
        .cmd()
        .args([
            "products",
            "import",
            "-c",
            "DEMO",
            "--yes",
            "--allow-recreate",
            "-r",
        ])
        .arg(&report)
        .arg(&file)
        .assert()
        .code(1);
    let errors = stderr(&run);
    assert!(
        errors.contains(&format!("{}, line 3: product CH-1001: ", file.display()))
            && errors.contains("(the row's command is NEW)"),
        "{errors}"
    );
    assert!(errors.contains("(the row's command is UPDATE)"), "{errors}");
    assert_eq!(
        commands_ran(&report),
        ROWS.map(|(l, id, c, _, done)| row(l, id, c, done))
    );
    let summary = stdout(&run);
    assert!(
        summary.contains("1 created, 2 updated") && summary.contains("1 recreated"),
        "{summary}"
    );
    assert!(
        summary.contains("2 failed; 1 deleted; 1 ignored"),
        "{summary}"
    );

    let after = fake.products("DEMO");
    assert_eq!(product(&after, "NEW-1")["product_name"], "Ny stol");
    assert_eq!(
        product(&after, "CH-1001"),
        product(&before, "CH-1001"),
        "NEW never touches a product it finds"
    );
    assert_eq!(product(&after, "CH-1002")["product_name"], "Omdøpt");
    assert_eq!(product(&after, "CH-1002")["description"], "Ny tekst");
    assert_eq!(
        product(&after, "CH-1002")["unit_gross_price"],
        product(&before, "CH-1002")["unit_gross_price"]
    );
    assert!(!after.contains_key("MISSING-1"), "UPDATE never creates");
    assert_eq!(product(&after, "CH-1003")["product_name"], "Merged");
    assert_eq!(
        product(&after, "CH-1003")["locations"],
        product(&before, "CH-1003")["locations"]
    );
    // REPLACE: the name alone is left; price, groups, locations and the rest are gone.
    let replaced = product(&after, "CH-1004");
    assert_eq!(replaced["product_name"], "Erstattet");
    for cleared in ["unit_gross_price", "description", "unit"] {
        assert!(replaced[cleared].is_null(), "{cleared}: {replaced}");
    }
    assert!(
        replaced["groups"].as_array().is_none_or(Vec::is_empty),
        "{replaced}"
    );
    assert!(
        replaced["locations"].as_array().is_none_or(Vec::is_empty),
        "{replaced}"
    );
    assert!(!after.contains_key("TB-2001"));
    assert_eq!(product(&after, "CH-1005"), product(&before, "CH-1005"));
}

#[test]
fn delete_rows_off_a_terminal_need_yes() {
    let fake = Fake::start();
    let file = fake.write("delete.csv", "id,command\nTB-2001,DELETE\n");
    fake.server.clear_requests();
    fake.cmd()
        .args(["products", "import", "-c", "DEMO"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "the plan deletes 1 product: pass --yes",
        ));
    assert_eq!(fake.sent("DELETE"), 0);
    assert!(fake.products("DEMO").contains_key("TB-2001"));
}

#[test]
fn stock_columns_set_one_locations_count_and_keep_everything_else() {
    let fake = Fake::start();
    let before = fake.products("DEMO");
    let two_locations = before
        .iter()
        .find(|(_, p)| p["locations"].as_array().is_some_and(|l| l.len() == 2))
        .map(|(id, _)| id.clone())
        .expect("a demo product at both locations");
    let one_location = before
        .iter()
        .find(|(_, p)| p["locations"].as_array().is_some_and(|l| l.len() == 1))
        .map(|(id, _)| id.clone())
        .expect("a demo product at one location");
    let file = fake.write(
        "stock.csv",
        &format!("id,stock:OSL-01,stock:TRD-01\n{two_locations},17,\n{one_location},,3\n"),
    );
    fake.cmd()
        .args(["products", "import", "-c", "DEMO", "--yes"])
        .arg(&file)
        .assert()
        .success();
    let after = fake.products("DEMO");
    let locations = |p: &Value| p["locations"].as_array().cloned().unwrap_or_default();
    let changed = locations(product(&after, &two_locations));
    let was = locations(product(&before, &two_locations));
    assert_eq!(changed.len(), 2, "{changed:?}");
    for (new, old) in changed.iter().zip(&was) {
        if new["location_id"] == "OSL-01" {
            assert_eq!(new["number_of_items_in_storage"], 17);
            let mut rest = new.clone();
            rest["number_of_items_in_storage"] = old["number_of_items_in_storage"].clone();
            assert_eq!(&rest, old, "the location's other fields are kept");
        } else {
            assert_eq!(new, old, "the other location is as it was");
        }
    }
    let added = locations(product(&after, &one_location));
    assert_eq!(added.len(), 2);
    assert!(
        added
            .iter()
            .any(|l| l["location_id"] == "TRD-01" && l["number_of_items_in_storage"] == 3)
    );
    // Every other field of both products is as it was.
    for id in [two_locations.as_str(), one_location.as_str()] {
        let (mut a, mut b) = (product(&after, id).clone(), product(&before, id).clone());
        for p in [&mut a, &mut b] {
            p["locations"] = Value::Null;
            p["updated_at"] = Value::Null;
        }
        assert_eq!(a, b);
    }

    // The same file again changes nothing; a bad count is named.
    fake.server.clear_requests();
    let again = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO", "--dry-run"])
        .arg(&file)
        .assert()
        .success();
    assert!(
        stdout(&again).contains("0 to create, 0 to update"),
        "{}",
        stdout(&again)
    );
    let bad = fake.write(
        "bad-stock.csv",
        "id,stock:OSL-01\nCH-1001,-2\nCH-1002,four\n",
    );
    let run = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO", "--yes"])
        .arg(&bad)
        .assert()
        .code(1);
    let errors = stderr(&run);
    for line in [2, 3] {
        assert!(
            errors.contains(&format!(
                "{}, line {line}, column 2 (stock:OSL-01): ",
                bad.display()
            )),
            "{errors}"
        );
    }
}

#[test]
fn a_pruning_sync_spares_the_rows_it_ignores() {
    let fake = Fake::start();
    let ids: Vec<String> = fake.products("DEMO").into_keys().collect();
    let (last, rest) = ids.split_last().expect("demo products");
    let mut text = String::from("id,command\n");
    for (i, id) in rest.iter().enumerate() {
        let command = if i == 0 { "IGNORE" } else { "" };
        text.push_str(&format!("{id},{command}\n"));
    }
    let file = fake.write("keep.csv", &text);
    let report = fake.path("report.jsonl");
    let run = fake
        .cmd()
        .args(["products", "sync", "-c", "DEMO", "--prune", "--yes", "-r"])
        .arg(&report)
        .arg(&file)
        .assert()
        .success();
    assert!(stdout(&run).contains(" 1 deleted"), "{}", stdout(&run));
    let after = fake.products("DEMO");
    assert!(
        after.contains_key(&ids[0]),
        "the ignored row's product is kept"
    );
    assert!(!after.contains_key(last), "the product in no row is pruned");
    assert!(commands_ran(&report).contains(&row(2, &ids[0], "IGNORE", "ignored")));
}

/// The lines around a job say what the file asked: a `commands:` line in a dry run only when
/// a row asked anything but `MERGE` (the commands used, nothing about `REPLACE` unless a row
/// asked it), progress lines while planning, and a summary that names deletes and ignored
/// rows only when there were some.
#[test]
fn the_lines_around_a_job_say_what_the_file_asked() {
    let fake = Fake::start();
    let plain = fake.write("plain.csv", "id,name\nCH-1001,Nordli chair\n");
    let merges = fake.write(
        "merges.csv",
        "id,command,name\nCH-1001,MERGE,Nordli chair\n",
    );
    let mixed = fake.write(
        "mixed.csv",
        "id,command,name\nCH-1002,MERGE,Nordli black\nCH-1003,DELETE,\nCH-1004,IGNORE,x\n",
    );
    for file in [&plain, &merges] {
        let plan = fake.dry_import("DEMO", file, 0);
        assert!(!plan.contains("commands:"), "{plan}");
    }
    let plan = fake.dry_import("DEMO", &mixed, 0);
    assert!(
        plan.contains("commands: 1 MERGE, 1 DELETE, 1 IGNORE\n"),
        "{plan}"
    );
    assert!(!plan.contains("REPLACE"), "{plan}");

    let run = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO"])
        .arg(&plain)
        .assert()
        .success();
    assert!(
        stdout(&run).contains(&format!(
            "imported {} into catalog DEMO: 0 created, 1 updated, 0 unchanged, 0 recreated, 0 held back, 0 failed\n",
            plain.display()
        )),
        "{}",
        stdout(&run)
    );
    let errors = stderr(&run);
    assert!(
        errors.contains("read 24 products of the catalog\n"),
        "{errors}"
    );
    assert!(errors.contains("compared 1 rows of the file\n"), "{errors}");

    let run = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO", "--yes"])
        .arg(&mixed)
        .assert()
        .success();
    assert!(
        stdout(&run).contains(&format!(
            "imported {} into catalog DEMO: 0 created, 1 updated, 1 unchanged, 0 recreated, 0 held back, 0 failed; 1 deleted; 1 ignored\n",
            mixed.display()
        )),
        "{}",
        stdout(&run)
    );
}

/// `IGNORE` rows are skipped as asked: without an id they are no bad rows (no error), and with
/// the id of a product the catalog lacks they create nothing. The `REPLACE` line names what
/// the `REPLACE` rows leave empty, not what the other rows do.
#[test]
fn ignored_rows_are_no_errors_and_create_nothing_and_replace_names_its_own_rows() {
    let fake = Fake::start();
    let file = fake.write(
        "rows.csv",
        "id,command,name,description\n\
         ,IGNORE,notes,\n\
         ,IGNORE,more notes,\n\
         GHOST-1,IGNORE,Ghost,\n\
         CH-1002,MERGE,Nordli black,\n\
         CH-1003,REPLACE,Fjord,Stacks ten high\n",
    );
    // The REPLACE is a recreate (it takes the product out of its groups): held back, so 1.
    let plan = fake.dry_import("DEMO", &file, 1);
    assert!(
        plan.contains(
            "REPLACE on 1 row: every field the file has no column for is cleared (price, unit, \
             virtual, starting_at, stopping_at, dimension.color, dimension.config, \
             dimension.size, dimension.style, dimension.variant, images, locations, groups)\n"
        ),
        "{plan}"
    );

    let report = fake.path("report.jsonl");
    let run = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO", "--allow-recreate", "-r"])
        .arg(&report)
        .arg(&file)
        .assert()
        .success();
    assert!(
        stdout(&run).contains("0 failed; 3 ignored\n"),
        "{}",
        stdout(&run)
    );
    assert!(!stderr(&run).contains("error"), "{}", stderr(&run));
    let ran = commands_ran(&report);
    assert!(ran.contains(&row(2, "", "IGNORE", "ignored")), "{ran:?}");
    assert!(ran.contains(&row(3, "", "IGNORE", "ignored")), "{ran:?}");
    assert!(
        ran.contains(&row(4, "GHOST-1", "IGNORE", "ignored")),
        "{ran:?}"
    );
    assert!(!fake.products("DEMO").contains_key("GHOST-1"));
}
