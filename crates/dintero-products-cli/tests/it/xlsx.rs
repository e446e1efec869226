//! `.xlsx` workbooks: read as a spreadsheet program writes them (typed cells, formulas, dates,
//! a table anywhere on any sheet), written so that a spreadsheet keeps every value (`007`,
//! `=1+1`), and an export imported back changes nothing; through the library, and through the
//! binary against the fake.

use crate::cli::{ACCOUNT, Fake, read, stderr, stdout};
use crate::csv_round_trip::{as_csv_keeps_it, product};
use calamine::{Data, Reader, Xlsx};
use dintero_products::types::{Location, ProductDetails};
use dintero_products::{FieldSet, Product};
use dintero_products_cli::files::{self, Dialect, FileFormat, Place, XlsxProducts, XlsxWriter};
use predicates::str::contains;
use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, XlsxError};
use std::io::Cursor;
use std::path::Path;

/// The rows of the workbook at `path`, read as an import reads them, each as
/// `line id name price starting_at` or its error as printed.
fn rows(path: &Path) -> Vec<String> {
    let rows = files::open(path, FileFormat::Xlsx, Dialect::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    rows.map(|row| match row {
        Ok(row) => {
            let fields = row.product.get_fields();
            format!(
                "{} {} {} {} {}",
                row.line,
                row.id(),
                fields.name.as_deref().unwrap_or("-"),
                fields
                    .price
                    .map_or("-".to_string(), |p| p.to_major_string()),
                fields
                    .starting_at
                    .map_or("-".to_string(), |t| t.to_rfc3339())
            )
        }
        Err(e) => e.to_string(),
    })
    .collect()
}

fn save(workbook: &mut Workbook, path: &Path) {
    workbook
        .save(path)
        .unwrap_or_else(|e| panic!("saving {}: {e}", path.display()));
}

/// The cells of the sheet `Products` of the workbook at `path` (or in `bytes`).
fn cells(bytes: Vec<u8>) -> calamine::Range<Data> {
    let mut workbook = Xlsx::new(Cursor::new(bytes)).unwrap_or_else(|e| panic!("a workbook: {e}"));
    workbook
        .worksheet_range("Products")
        .unwrap_or_else(|e| panic!("the sheet Products: {e}"))
}

/// The column named `name` in the first row of `range`.
fn column(range: &calamine::Range<Data>, name: &str) -> u32 {
    (0..range.width() as u32)
        .find(|c| range.get_value((0, *c)) == Some(&Data::String(name.into())))
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn a_workbook_as_a_spreadsheet_program_saves_it_reads_as_its_rows() {
    let fake = Fake::start();
    let path = fake.path("shop.xlsx");
    let mut workbook = Workbook::new();
    let written = (|| -> Result<(), XlsxError> {
        // A first sheet of notes: the sheet named Products is read, wherever it is.
        let notes = workbook.add_worksheet().set_name("Notes")?;
        notes.write_string(0, 0, "id")?;
        notes.write_string(1, 0, "not a product")?;
        let date = Format::new().set_num_format("dd.mm.yyyy hh:mm");
        let sheet = workbook.add_worksheet().set_name("Products")?;
        // The table starts at B3.
        for (c, name) in ["id", "name", "price", "currency", "starting_at", "virtual"]
            .iter()
            .enumerate()
        {
            sheet.write_string(2, 1 + c as u16, *name)?;
        }
        // An id typed as a number, a whole price, a date cell, a boolean.
        sheet.write_number(3, 1, 12345)?;
        sheet.write_string(3, 2, "Nordli chair")?;
        sheet.write_number(3, 3, 1499)?;
        sheet.write_string(3, 4, "NOK")?;
        let time = ExcelDateTime::parse_from_str("2024-01-15T09:00:00")?;
        sheet.write_datetime_with_format(3, 5, &time, &date)?;
        sheet.write_boolean(3, 6, true)?;
        // Row 5 is empty but formatted, as rows a person cleared are.
        sheet.write_blank(4, 2, &Format::new().set_bold())?;
        // A text id with a leading zero, a formula with its cached value, a decimal price.
        sheet.write_string(5, 1, "007")?;
        sheet.write_formula(5, 2, Formula::new("=UPPER(\"lamp\")").set_result("LAMP"))?;
        sheet.write_number(5, 3, 19.99)?;
        sheet.write_string(5, 4, "NOK")?;
        sheet.write_boolean(5, 6, false)?;
        Ok(())
    })();
    assert!(written.is_ok(), "{written:?}");
    save(&mut workbook, &path);
    assert_eq!(
        rows(&path),
        [
            "4 12345 Nordli chair 1499.00 2024-01-15T09:00:00+00:00",
            "6 007 LAMP 19.99 -",
        ]
    );
}

#[test]
fn an_error_cell_is_named_by_row_and_column_and_the_other_rows_go_through() {
    let fake = Fake::start();
    let path = fake.path("bad.xlsx");
    let mut workbook = Workbook::new();
    let written = (|| -> Result<(), XlsxError> {
        let sheet = workbook.add_worksheet();
        for (c, name) in ["id", "name", "price", "currency"].iter().enumerate() {
            sheet.write_string(0, c as u16, *name)?;
        }
        sheet.write_string(1, 0, "CH-1001")?;
        sheet.write_formula(1, 2, Formula::new("=1/0").set_result("#DIV/0!"))?;
        sheet.write_string(1, 3, "NOK")?;
        sheet.write_string(2, 0, "CH-1002")?;
        sheet.write_string(2, 1, "Renamed")?;
        Ok(())
    })();
    assert!(written.is_ok(), "{written:?}");
    save(&mut workbook, &path);
    let run = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO", "--dry-run"])
        .arg(&path)
        .assert()
        .code(1);
    let errors = stderr(&run);
    assert!(
        errors.contains(
            "bad.xlsx, line 2, column 3 (price): holds the error #DIV/0!: correct the formula or type the value"
        ),
        "{errors}"
    );
    let out = stdout(&run);
    assert!(out.contains("~ CH-1002  name:"), "{out}");
}

#[test]
fn a_file_that_is_no_workbook_is_a_usage_error() {
    let fake = Fake::start();
    let path = fake.write("products.xlsx", "id,name\nA,Chair\n");
    let run = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO"])
        .arg(&path)
        .assert()
        .code(2);
    assert!(
        stderr(&run).contains("products.xlsx: cannot read the workbook: "),
        "{}",
        stderr(&run)
    );
}

#[test]
fn an_xlsx_export_imports_back_changing_nothing() {
    let fake = Fake::start();
    let file = fake.path("demo.xlsx");
    fake.cmd()
        .args(["products", "export", "-c", "DEMO", "--format", "xlsx", "-o"])
        .arg(&file)
        .assert()
        .success()
        .stdout("")
        .stderr(contains("exported 24 products"));
    let before = fake.products("DEMO");

    let dry = fake
        .cmd()
        .args(["products", "import", "-c", "DEMO", "--dry-run"])
        .arg(&file)
        .assert()
        .success();
    let out = stdout(&dry);
    assert!(
        out.starts_with("catalog DEMO: 0 to create, 0 to update, 0 to delete, 24 unchanged"),
        "{out}"
    );
    fake.cmd()
        .args(["products", "import", "-c", "DEMO"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains(
            "0 created, 0 updated, 24 unchanged, 0 recreated, 0 held back, 0 failed",
        ));
    // Not a field changed, not even `updated_at`: nothing was written.
    assert_eq!(fake.products("DEMO"), before);

    // Into an empty catalog, the same products: its export is the same workbook's cells.
    fake.cmd()
        .args(["products", "import", "-c", "COPY"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("24 created"));
    let copy = fake.path("copy.xlsx");
    fake.cmd()
        .args(["products", "export", "-c", "COPY", "-o"])
        .arg(&copy)
        .assert()
        .success();
    let (first, second) = (
        cells(std::fs::read(&file).unwrap_or_default()),
        cells(std::fs::read(&copy).unwrap_or_default()),
    );
    assert_eq!(first.get_size(), (25, 17));
    assert_eq!(first, second);
    // Prices are numbers shown with the currency's decimals; the rest is text.
    let price = column(&first, "price");
    assert!(matches!(first.get_value((1, price)), Some(Data::Float(_))));
    assert!(matches!(first.get_value((1, 0)), Some(Data::String(_))));
}

#[test]
fn the_demo_exports_a_workbook_the_demo_imports_unchanged() {
    let fake = Fake::start();
    let file = fake.path("demo.xlsx");
    Fake::bare()
        .current_dir(fake.dir.path())
        .args([
            "--demo",
            "products",
            "export",
            "-c",
            "DEMO",
            "-o",
            "demo.xlsx",
        ])
        .assert()
        .success();
    Fake::bare()
        .current_dir(fake.dir.path())
        .args(["--demo", "products", "import", "-c", "DEMO", "--dry-run"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains(
            "0 to create, 0 to update, 0 to delete, 24 unchanged",
        ));
}

#[test]
fn ids_with_leading_zeros_long_digit_strings_and_formulas_stay_text() {
    let fake = Fake::start();
    let csv = fake.write(
        "odd.csv",
        "id,name,price,currency\n\
         007,=1+1,1499.5,NOK\n\
         12345678901234567890,'+47 22 00 00 00,0,NOK\n\
         000123,@SUM(A1),12,JPY\n",
    );
    fake.cmd()
        .args(["products", "import", "-c", "COPY"])
        .arg(&csv)
        .assert()
        .success()
        .stdout(contains("3 created"));
    let file = fake.path("odd.xlsx");
    fake.cmd()
        .args(["products", "export", "-c", "COPY", "-o"])
        .arg(&file)
        .assert()
        .success();

    let bytes = std::fs::read(&file).unwrap_or_default();
    let range = cells(bytes.clone());
    let text = |s: &str| Some(Data::String(s.into()));
    let by_id: Vec<_> = (1..4)
        .map(|r| {
            (
                range.get_value((r, 0)).cloned(),
                range.get_value((r, 1)).cloned(),
                range.get_value((r, 2)).cloned(),
            )
        })
        .collect();
    for expected in [
        (text("007"), text("=1+1"), Some(Data::Float(1499.5))),
        (
            text("12345678901234567890"),
            text("+47 22 00 00 00"),
            Some(Data::Float(0.0)),
        ),
        (text("000123"), text("@SUM(A1)"), Some(Data::Float(12.0))),
    ] {
        assert!(by_id.contains(&expected), "{expected:?} in {by_id:?}");
    }
    // No cell is a formula.
    let mut workbook = Xlsx::new(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
    let formulas = workbook
        .worksheet_formula("Products")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));

    // Imported into another catalog, the texts are as they were.
    fake.cmd()
        .args(["products", "import", "-c", "DEMO"])
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("3 created"));
    let products = fake.products("DEMO");
    assert_eq!(products["007"]["product_name"], "=1+1");
    assert_eq!(products["007"]["unit_gross_price"], 149_950);
    assert_eq!(
        products["12345678901234567890"]["product_name"],
        "+47 22 00 00 00"
    );
    assert_eq!(products["000123"]["product_name"], "@SUM(A1)");
    assert_eq!(products["000123"]["unit_gross_price"], 12);
}

#[test]
fn stock_columns_replace_the_locations_column_in_csv_and_xlsx() {
    let fake = Fake::start();
    // Named, in the order given.
    let csv = fake.path("stock.csv");
    fake.cmd()
        .args(["products", "export", "-c", "DEMO", "-o"])
        .arg(&csv)
        .args(["--stock-columns", "OSL-01,BGO-WH"])
        .assert()
        .success();
    let text = read(&csv);
    let header = text.lines().next().unwrap_or_default();
    assert!(
        header.ends_with(",dimension_variant,images,stock:OSL-01,stock:BGO-WH"),
        "{header}"
    );
    assert!(!header.contains("locations"), "{header}");

    // Found by listing the catalog, sorted; numbers in a workbook.
    let xlsx = fake.path("stock.xlsx");
    let run = fake
        .cmd()
        .args(["products", "export", "-c", "DEMO", "-o"])
        .arg(&xlsx)
        .arg("--stock-columns")
        .assert()
        .success();
    assert!(
        stderr(&run).contains("a stock column for each of 2 location(s): BGO-WH, OSL-01"),
        "{}",
        stderr(&run)
    );
    let range = cells(std::fs::read(&xlsx).unwrap_or_default());
    let header: Vec<String> = (0..range.width() as u32)
        .filter_map(|c| range.get_value((0, c)).map(ToString::to_string))
        .collect();
    assert_eq!(
        header[header.len() - 3..],
        ["images", "stock:BGO-WH", "stock:OSL-01"]
    );
    let oslo = column(&range, "stock:OSL-01");
    let numbers = (1..range.height() as u32)
        .filter(|r| matches!(range.get_value((*r, oslo)), Some(Data::Float(_))))
        .count();
    assert!(numbers > 0, "stock counts are numbers");

    // Each imports back changing nothing.
    for file in [&csv, &xlsx] {
        fake.cmd()
            .args(["products", "import", "-c", "DEMO", "--dry-run"])
            .arg(file)
            .assert()
            .success()
            .stdout(contains(
                "0 to create, 0 to update, 0 to delete, 24 unchanged",
            ));
    }

    // JSON Lines has no columns; a location named twice or a bad one is a usage error.
    for (args, message) in [
        (
            vec!["--format", "jsonl", "--stock-columns", "OSL-01"],
            "--stock-columns is for files with columns",
        ),
        (
            vec!["-o", "x.csv", "--stock-columns", "OSL-01,OSL-01"],
            "OSL-01 is named twice",
        ),
        (
            vec!["-o", "x.csv", "--stock-columns", &"L".repeat(300)],
            "--stock-columns: ",
        ),
    ] {
        let run = fake
            .cmd()
            .args(["products", "export", "-c", "DEMO"])
            .args(&args)
            .assert()
            .code(2);
        assert!(stderr(&run).contains(message), "{args:?}: {}", stderr(&run));
    }
}

/// `--stock-columns` without names lists the catalog's locations: the first ten are named and
/// an ellipsis says there are more; an id that cannot name a column (the API's own checks
/// refuse it, but a catalog may hold it) is left out and named.
#[test]
fn stock_columns_found_by_listing_name_ten_and_the_ids_left_out() {
    let fake = Fake::start();
    let product = |ids: &[&str]| {
        let locations = ids
            .iter()
            .map(|id| Location {
                location_id: Some((*id).into()),
                number_of_items_in_storage: Some(1),
                ..Default::default()
            })
            .collect();
        ProductDetails {
            product_id: Some("P-1".into()),
            product_name: Some("Stol".into()),
            locations,
            ..Default::default()
        }
    };
    let eleven: Vec<String> = (1..=11).map(|i| format!("L{i:02}")).collect();
    let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
    let ten = "L01, L02, L03, L04, L05, L06, L07, L08, L09, L10";
    // A bare file name: the workbook's rows wait in a temporary file in the current directory.
    for (ids, shown, left_out, file) in [
        (
            &eleven[..10],
            format!("10 location(s): {ten}\n"),
            None,
            "stock.xlsx",
        ),
        (
            &eleven[..],
            format!("11 location(s): {ten}, …\n"),
            None,
            "stock.csv",
        ),
        (
            &["L01", " L02", "L\u{7}"][..],
            "1 location(s): L01\n".to_string(),
            Some("2 location id(s) cannot name a column and are left out: \" L02\", \"L\\u{7}\""),
            "stock.csv",
        ),
    ] {
        fake.server.seed_product(ACCOUNT, "COPY", product(ids));
        let run = fake
            .cmd()
            .args([
                "products",
                "export",
                "-c",
                "COPY",
                "-o",
                file,
                "--stock-columns",
            ])
            .assert()
            .success();
        let errors = stderr(&run);
        assert!(
            errors.contains(&format!("a stock column for each of {shown}")),
            "{errors}"
        );
        match left_out {
            Some(note) => assert!(errors.contains(note), "{errors}"),
            None => assert!(!errors.contains("left out"), "{errors}"),
        }
    }
}

#[test]
fn a_workbook_goes_to_standard_output_when_it_is_not_a_terminal() {
    let fake = Fake::start();
    let run = fake
        .cmd()
        .args(["products", "export", "-c", "DEMO", "-f", "xlsx"])
        .assert()
        .success();
    let range = cells(run.get_output().stdout.clone());
    assert_eq!(range.get_size(), (25, 17));
}

/// Writes a sheet of `n` products as a spreadsheet program would (shared strings, numbers)
/// and reads it back through the import's reader.
fn a_big_workbook_reads_back(n: u32) {
    let fake = Fake::start();
    let path = fake.path("big.xlsx");
    let mut workbook = Workbook::new();
    let written = (|| -> Result<(), XlsxError> {
        let sheet = workbook.add_worksheet().set_name("Products")?;
        for (c, name) in ["id", "name", "price", "currency"].iter().enumerate() {
            sheet.write_string(0, c as u16, *name)?;
        }
        for i in 1..=n {
            sheet.write_string(i, 0, format!("P{i:06}"))?;
            sheet.write_string(i, 1, format!("Product {}", i % 1000))?;
            sheet.write_number(i, 2, f64::from(i) / 100.0)?;
            sheet.write_string(i, 3, "NOK")?;
        }
        Ok(())
    })();
    assert!(written.is_ok(), "{written:?}");
    save(&mut workbook, &path);
    let mut count = 0;
    let mut last = 0;
    for row in
        files::open(&path, FileFormat::Xlsx, Dialect::default()).unwrap_or_else(|e| panic!("{e}"))
    {
        let row = row.unwrap_or_else(|e| panic!("{e}"));
        count += 1;
        last = row.line;
        if row.line == u64::from(n) + 1 {
            assert_eq!(row.id(), format!("P{n:06}"));
            let price = row.product.get_fields().price.map(|p| p.minor_units());
            assert_eq!(price, Some(i64::from(n)));
        }
    }
    assert_eq!((count, last), (n, u64::from(n) + 1));
}

/// About three seconds in a debug build: the reader streams, so this is time, not memory.
#[test]
fn a_workbook_of_100_000_rows_reads_back() {
    a_big_workbook_reads_back(100_000);
}

/// `products` written by the writer and read back by the reader.
fn round_trip(products: &[Product]) -> Result<Vec<Result<files::Row, files::RowError>>, String> {
    let mut writer = XlsxWriter::new(Vec::new(), Vec::new()).map_err(|e| e.to_string())?;
    for p in products {
        writer.write(p).map_err(|e| e.to_string())?;
    }
    let bytes = writer.finish().map_err(|e| e.to_string())?;
    Ok(XlsxProducts::new("p.xlsx".into(), Cursor::new(bytes))
        .map_err(|e| e.to_string())?
        .collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// As `csv_round_trip`, through a workbook: the same products come back, with the same
    /// normalisations (empty texts as no value, a currency alone as no price) and none more:
    /// control characters, which XML cannot hold, are written as Excel writes them
    /// (`_x0001_`, and a text's own `_x0001_` as `_x005F_x0001_`) and read back as they were.
    #[test]
    fn xlsx_export_then_import_gives_back_every_field(details in proptest::collection::vec(product(), 1..5)) {
        let products: Vec<Product> = details
            .into_iter()
            .map(Product::try_from)
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let rows = round_trip(&products).map_err(TestCaseError::fail)?;
        prop_assert_eq!(rows.len(), products.len());
        for ((row, product), line) in rows.into_iter().zip(&products).zip(2..) {
            if product.price().is_some_and(|p| p.check().is_err()) {
                let error = row.err().ok_or_else(|| TestCaseError::fail("an unfit price was read"))?;
                prop_assert!(
                    matches!(&error.place, Place::Column { name, number: 3 } if name == "price"),
                    "{}", error
                );
                prop_assert_eq!(error.line, line);
                continue;
            }
            let row = row.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(row.product.check().is_ok());
            prop_assert_eq!(row.line, line, "rows are numbered by their row in the sheet");
            prop_assert_eq!(row.product.get_managed_fields(), FieldSet::ALL);
            prop_assert_eq!(as_csv_keeps_it(&row.product), as_csv_keeps_it(&product.to_new()));
        }
    }
}

/// What XML cannot hold, and what looks like Excel's escapes of it, comes back as it was.
#[test]
fn control_characters_and_escape_lookalikes_survive_a_workbook() {
    let name: String = (0u8..0x20).map(char::from).collect::<String>()
        + " _x0041_ _x005F_ _X0041_ _x00e9_ \u{fffe}\u{ffff} \r\n  ";
    let raw: ProductDetails = serde_json::from_value(serde_json::json!({
        "product_id": "A",
        "product_name": name,
        "description": "  leading and trailing spaces\n\n",
        "unit": "\t",
    }))
    .unwrap_or_default();
    let product = Product::try_from(raw).unwrap_or_else(|e| panic!("{e}"));
    let rows = round_trip(std::slice::from_ref(&product)).unwrap_or_else(|e| panic!("{e}"));
    let back = match rows.as_slice() {
        [Ok(row)] => row.product.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(back.get_fields().name.as_deref(), Some(name.as_str()));
    assert_eq!(back, product.to_new());
}
