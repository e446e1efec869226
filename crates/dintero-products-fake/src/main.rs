//! Runs the fake Dintero Products API until Ctrl-C.
//!
//! ```text
//! cargo run -p dintero-products-fake -- --port 8080 --seed-products 1000 \
//!     [--account T12345678] [--catalog S23] [--latency-ms 5] [--seed-groups 5] [--demo] \
//!     [--dialect update.semantics=merge --dialect routes.get=off ...]
//! ```
//!
//! On start it prints where it listens and the settings a client needs, as `export` lines a
//! shell can use (`DINTERO_ACCOUNT_ID`, `DINTERO_CLIENT_ID`, `DINTERO_CLIENT_SECRET`,
//! `DINTERO_BASE_URL`), to paste into the shell that runs the client (the SDK's
//! `Client::from_env` reads them). A dialect other than the default is printed too, one
//! `dialect:` line per setting that differs.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use dintero_products_fake::{DEMO_CATALOG_ID, Dialect, FakeServer, is_valid_account_id};

/// Runs the fake Dintero Products API on 127.0.0.1 until Ctrl-C.
#[derive(Debug, PartialEq, Parser)]
#[command(
    name = "dintero-products-fake",
    after_help = "On start it prints the settings a client needs as `export DINTERO_...=...` lines.",
    // A flag given twice takes its last value, as the hand-written parser before clap did.
    args_override_self = true
)]
struct Args {
    /// Port to bind on 127.0.0.1 (0 picks a free one)
    #[arg(long, value_name = "N", default_value_t = 8080)]
    port: u16,
    /// Account to seed, ^[PT]\d{8}$
    #[arg(long, value_name = "AID", default_value = "T12345678", value_parser = account_id)]
    account: String,
    /// Catalog to seed
    #[arg(long, value_name = "ID", default_value = "S23")]
    catalog: String,
    /// Products to seed in that catalog
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed_products: u32,
    /// Groups to seed in that account
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed_groups: u32,
    /// Delay added to every response, in milliseconds
    #[arg(long, value_name = "N", default_value_t = 0)]
    latency_ms: u64,
    /// Seed the demo catalog DEMO (24 furniture products in 4 groups) in that account; the
    /// --catalog one is then seeded only with --seed-products
    #[arg(long)]
    demo: bool,
    /// Behave as one variant of the real API, where its behaviour is a guess: KEY=VALUE,
    /// repeatable (e.g. --dialect update.semantics=merge --dialect routes.get=off)
    #[arg(
        long,
        value_name = "KEY=VALUE",
        value_parser = dialect_setting,
        long_help = dialect_help()
    )]
    dialect: Vec<String>,
}

/// One `--dialect` value, checked now so that a bad one is a usage error naming the key; kept
/// as written, and applied in order once all are read.
fn dialect_setting(raw: &str) -> Result<String, String> {
    match raw.parse::<Dialect>() {
        Ok(_) => Ok(raw.to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

fn dialect_help() -> String {
    let mut help = String::from(
        "Behave as one variant of the real API, where its behaviour is a guess: KEY=VALUE, \
         repeatable, applied in order. routes.get sets the three route.get_* keys at once; \
         create and update are short for create.status and update.semantics. The keys:\n",
    );
    for (key, values) in Dialect::keys() {
        help.push_str(&format!("  {key}: {values}\n"));
    }
    help.trim_end().to_owned()
}

fn account_id(raw: &str) -> Result<String, String> {
    if is_valid_account_id(raw) {
        Ok(raw.to_owned())
    } else {
        Err("does not match ^[PT]\\d{8}$".to_owned())
    }
}

/// `value` as one shell word: as it is when it holds only characters no shell treats
/// specially, else in single quotes.
fn shell_quoted(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@%+=,".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let dialect = match Dialect::from_settings(&args.dialect) {
        Ok(dialect) => dialect,
        Err(e) => {
            eprintln!("error: --dialect: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match FakeServer::builder()
        .port(args.port)
        .latency(Duration::from_millis(args.latency_ms))
        .dialect(dialect)
        .start()
        .await
    {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot bind 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    let aid = &args.account;
    let plain_catalog = !args.demo || args.seed_products > 0;
    if plain_catalog {
        server.seed_catalog(aid, &args.catalog, "Fake catalog");
        server.seed_products(aid, &args.catalog, args.seed_products);
    }
    server.seed_groups(aid, args.seed_groups);
    if args.demo {
        server.seed_demo(aid);
    }

    println!("Dintero Products fake listening");
    println!("  base URL:      {}", server.base_url());
    println!("  token URL:     {}", server.token_url(aid));
    println!("  audience:      {}", server.audience(aid));
    println!("  account:       {aid}");
    for change in server.dialect().changes() {
        println!("  dialect:       {change}");
    }
    let mut catalogs = Vec::new();
    if plain_catalog {
        catalogs.push(args.catalog.as_str());
    }
    if args.demo {
        catalogs.push(DEMO_CATALOG_ID);
    }
    for catalog in catalogs {
        let count = server.product_count(aid, catalog);
        println!("  catalog:       {catalog} ({count} products)");
    }
    println!("  client id:     {}", server.client_id());
    println!("  client secret: {}", server.client_secret());
    println!("For a client, in a shell:");
    for (name, value) in [
        ("DINTERO_ACCOUNT_ID", aid.as_str()),
        ("DINTERO_CLIENT_ID", server.client_id()),
        ("DINTERO_CLIENT_SECRET", server.client_secret()),
        ("DINTERO_BASE_URL", &server.base_url()),
    ] {
        println!("export {name}={}", shell_quoted(value));
    }
    println!("Press Ctrl-C to stop.");

    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot listen for Ctrl-C: {e}");
    }
    println!("stopping");
    server.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("dintero-products-fake").chain(args.iter().copied()))
    }

    #[test]
    fn the_grammar_is_consistent() {
        use clap::CommandFactory as _;
        Args::command().debug_assert();
    }

    #[test]
    fn parses_flags() {
        let args = parse(&[
            "--port",
            "9000",
            "--seed-products=1000",
            "--account",
            "P00000001",
            "--catalog",
            "C1",
            "--latency-ms",
            "5",
        ]);
        assert_eq!(
            args.ok(),
            Some(Args {
                port: 9000,
                account: "P00000001".into(),
                catalog: "C1".into(),
                seed_products: 1000,
                seed_groups: 0,
                latency_ms: 5,
                demo: false,
                dialect: Vec::new(),
            })
        );
        let help = parse(&["--help"]).err().map(|e| e.kind());
        assert_eq!(help, Some(clap::error::ErrorKind::DisplayHelp));
        let demo = parse(&["--demo"]).ok();
        assert!(demo.is_some_and(|args| args.demo && args.seed_products == 0));
        let last = parse(&["--port", "1", "--port", "2"]).ok();
        assert_eq!(last.map(|args| args.port), Some(2), "the last value wins");
    }

    #[test]
    fn defaults() {
        assert_eq!(
            parse(&[]).ok(),
            Some(Args {
                port: 8080,
                account: "T12345678".into(),
                catalog: "S23".into(),
                seed_products: 0,
                seed_groups: 0,
                latency_ms: 0,
                demo: false,
                dialect: Vec::new(),
            })
        );
    }

    #[test]
    fn dialect_settings_accumulate_in_order() {
        let args = parse(&[
            "--dialect",
            "update=merge",
            "--dialect=routes.get=off",
            "--dialect",
            "error.not_found_code=Not Found",
            "--dialect",
            "update.semantics=replace",
        ])
        .ok();
        let settings = args.map(|args| args.dialect).unwrap_or_default();
        assert_eq!(settings.len(), 4, "each one is kept: {settings:?}");
        let dialect = Dialect::from_settings(&settings).ok();
        assert_eq!(
            dialect.map(|d| d.changes()),
            Some(vec![
                "route.get_catalog=off".to_owned(),
                "route.get_group=off".to_owned(),
                "route.get_product=off".to_owned(),
                "error.not_found_code=Not Found".to_owned(),
            ]),
            "the later update.semantics wins"
        );
        for bad in ["nope=1", "update=patch", "update", "list.limit_max=0"] {
            let error = parse(&["--dialect", bad]).err().map(|e| e.to_string());
            assert!(
                error.as_deref().is_some_and(|e| e.contains("--dialect")),
                "{bad}: {error:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "x"]).is_err());
        assert!(parse(&["--port", "70000"]).is_err());
        assert!(parse(&["--account", "X1"]).is_err());
        assert!(parse(&["--what"]).is_err());
        assert!(parse(&["--demo=yes"]).is_err());
        assert!(parse(&["S23"]).is_err());
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quoted("T12345678"), "T12345678");
        assert_eq!(
            shell_quoted("http://127.0.0.1:8080/v1"),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(shell_quoted("a b"), "'a b'");
        assert_eq!(shell_quoted("it's $x"), r"'it'\''s $x'");
        assert_eq!(shell_quoted(""), "''");
    }
}
