//! On a terminal, a command that deletes or makes a suspicious price change asks first, and
//! only `y` goes on; a workbook is not written to one. Standard input or output is a
//! pseudo-terminal here (the other tests run the binary off a terminal, where it refuses
//! instead of asking); the answer is typed into it.

use crate::cli::{Fake, ended, get};
use nix::pty::openpty;
use std::fs::File;
use std::io::Write;
use std::process::{Command, Stdio};

/// What a run printed and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Which standard stream is the terminal.
enum On {
    Input,
    Output,
}

/// Runs `command` with a terminal as its standard input and `answer` typed into it.
fn answered(command: Command, answer: &str) -> Run {
    on_a_terminal(command, On::Input, answer)
}

/// Runs `command` with a terminal as one of its standard streams, `typed` typed into it.
/// When the terminal is the output, what the binary wrote there is not kept.
fn on_a_terminal(mut command: Command, on: On, typed: &str) -> Run {
    let pty = openpty(None, None).expect("a pseudo-terminal");
    let terminal = Stdio::from(pty.slave);
    match on {
        On::Input => command.stdin(terminal).stdout(Stdio::piped()),
        On::Output => command.stdin(Stdio::null()).stdout(terminal),
    };
    command.stderr(Stdio::piped());
    let child = command.spawn().expect("the binary starts");
    // Our copy of the terminal's end closes, so the child holds the only one.
    drop(command);
    // The terminal keeps the line until the binary reads it; the master stays open until the
    // binary has ended, since reading a terminal whose master is closed fails.
    let mut master = File::from(pty.master);
    master.write_all(typed.as_bytes()).expect("typing");
    // What the binary writes to the terminal is read, so that it never waits for room.
    let mut screen = master.try_clone().expect("the terminal's end");
    std::thread::spawn(move || std::io::copy(&mut screen, &mut std::io::sink()));
    let output = ended(child);
    drop(master);
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn deleting_a_catalog_asks_and_only_yes_deletes() {
    let fake = Fake::start();
    let delete = || {
        let mut command = fake.cmd_std();
        command.args(["catalogs", "delete", "DEMO"]);
        command
    };
    let question = "Delete catalog DEMO and every product in it? [y/N]";

    for no in ["n\n", "\n", "yess\n"] {
        let run = answered(delete(), no);
        assert!(run.stderr.contains(question), "{no:?}: {}", run.stderr);
        assert!(run.stderr.contains("not deleted"), "{no:?}: {}", run.stderr);
        assert_eq!(run.code, Some(1), "{no:?}: {}", run.stderr);
        assert_eq!(fake.count("DEMO"), 24, "{no:?}");
    }

    let run = answered(delete(), "y\n");
    assert!(run.stderr.contains(question), "{}", run.stderr);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "deleted catalog DEMO\n");
    assert_eq!(fake.count("DEMO"), 0);
}

#[test]
fn a_prune_asks_and_no_sends_no_write() {
    let fake = Fake::start();
    let file = fake.write("one.csv", "id,name\nCH-1001,Nordli dining chair\n");
    let mut command = fake.cmd_std();
    command
        .args([
            "products",
            "sync",
            "-c",
            "DEMO",
            "--prune",
            "--max-deletes",
            "100%",
        ])
        .arg(&file);
    fake.server.clear_requests();

    let run = answered(command, "no\n");
    assert!(
        run.stderr
            .contains("Delete 23 products from catalog DEMO? [y/N]"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("not applied: nothing was changed"),
        "{}",
        run.stderr
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(fake.api_methods().iter().all(|m| m == "GET"));
    assert_eq!(fake.count("DEMO"), 24);
}

#[test]
fn a_hundredfold_price_drop_asks_and_yes_applies_it() {
    let fake = Fake::start();
    let file = fake.write("prices.csv", "id,price,currency\nCH-1001,\"14,99\",NOK\n");
    let sync = || {
        let mut command = fake.cmd_std();
        command.args(["products", "sync", "-c", "DEMO"]).arg(&file);
        command
    };
    let question = "Apply 1 price change by a factor of ten or more (marked ! above)? [y/N]";
    let price = || get(&fake.products("DEMO"), "CH-1001")["unit_gross_price"].clone();

    let run = answered(sync(), "n\n");
    assert!(run.stderr.contains(question), "{}", run.stderr);
    assert!(run.stdout.contains("1 held back"), "{}", run.stdout);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(price(), 149_900);

    let run = answered(sync(), "y\n");
    assert!(run.stderr.contains(question), "{}", run.stderr);
    assert!(run.stdout.contains("1 updated"), "{}", run.stdout);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(price(), 1499);

    // Nothing to ask: a change that is no jump goes through without a question.
    let rename = fake.write("rename.csv", "id,name\nCH-1001,Nordli chair\n");
    let mut command = fake.cmd_std();
    command
        .args(["products", "sync", "-c", "DEMO"])
        .arg(&rename);
    // A question asked all the same is answered, so the run ends.
    let run = answered(command, "n\n");
    assert!(!run.stderr.contains("[y/N]"), "{}", run.stderr);
    assert!(run.stdout.contains("1 updated"), "{}", run.stdout);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn a_workbook_is_not_written_to_a_terminal_and_json_lines_are() {
    let fake = Fake::start();
    let export = |format: &str| {
        let mut command = fake.cmd_std();
        command.args(["products", "export", "-c", "DEMO", "--format", format]);
        command
    };
    let run = on_a_terminal(export("xlsx"), On::Output, "");
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("a workbook is not for a terminal"),
        "{}",
        run.stderr
    );
    let run = on_a_terminal(export("jsonl"), On::Output, "");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

/// A job's count runs to every change it settles: one of each kind here (a create, an update,
/// a delete, a recreate, a price jump held back, a row rejected), answered on a terminal.
#[test]
fn a_jobs_count_runs_to_every_change_it_settles() {
    let fake = Fake::start();
    let file = fake.write(
        "rows.csv",
        "id,command,name,price,currency,groups\n\
         NEW-1,NEW,Krakk,499,NOK,CHAIRS\n\
         CH-1001,MERGE,Nordli chair,1499,NOK,CHAIRS\n\
         CH-1002,DELETE,,,,\n\
         CH-1003,MERGE,Fjord stacking chair,599,NOK,CHAIRS\n\
         CH-1004,MERGE,\"Lune armchair, wool\",64.99,NOK,CHAIRS\n\
         NEW-2,UPDATE,Ghost,10,NOK,CHAIRS\n",
    );
    let mut command = fake.cmd_std();
    command
        .args(["products", "import", "-c", "DEMO", "--allow-recreate"])
        .arg(&file);
    // Yes to the delete, no to the price jump.
    let run = answered(command, "y\nn\n");
    assert!(
        run.stdout.contains(
            "1 to create, 1 to update, 1 to delete, 0 unchanged, 1 to recreate, 1 held back (need consent), 1 rejected"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(" of 6 products in all"),
        "{}",
        run.stderr
    );
    let products = fake.products("DEMO");
    assert_eq!(get(&products, "CH-1004")["unit_gross_price"], 649_900);
    assert!(!products.contains_key("CH-1002"));
}
