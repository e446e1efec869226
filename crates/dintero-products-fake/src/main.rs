//! Runs the fake Dintero Products API until Ctrl-C.
//!
//! ```text
//! cargo run -p dintero-products-fake -- --port 8080 --seed-products 1000 \
//!     [--account T12345678] [--catalog S23] [--latency-ms 5] [--seed-groups 5] [--demo]
//! ```
//!
//! On start it prints where it listens and the settings a client needs, as `export` lines a
//! shell can use (`DINTERO_ACCOUNT_ID`, `DINTERO_CLIENT_ID`, `DINTERO_CLIENT_SECRET`,
//! `DINTERO_BASE_URL`), to paste into the shell that runs the client (the SDK's
//! `Client::from_env` reads them).

use std::process::ExitCode;
use std::time::Duration;

use dintero_products_fake::{DEMO_CATALOG_ID, FakeServer, is_valid_account_id};

const USAGE: &str = "\
usage: dintero-products-fake [options]

  --port N            port to bind on 127.0.0.1 (default 8080; 0 picks a free one)
  --account AID       account to seed, ^[PT]\\d{8}$ (default T12345678)
  --catalog ID        catalog to seed (default S23)
  --seed-products N   products to seed in that catalog (default 0)
  --seed-groups N     groups to seed in that account (default 0)
  --latency-ms N      delay added to every response (default 0)
  --demo              seed the demo catalog DEMO (24 furniture products in 4 groups) in
                      that account; the --catalog one is then seeded only with --seed-products
  -h, --help          this text

On start it prints the settings a client needs as `export DINTERO_...=...` lines.";

#[derive(Debug, PartialEq)]
struct Args {
    port: u16,
    account: String,
    catalog: String,
    seed_products: u32,
    seed_groups: u32,
    latency_ms: u64,
    demo: bool,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        port: 8080,
        account: "T12345678".to_owned(),
        catalog: "S23".to_owned(),
        seed_products: 0,
        seed_groups: 0,
        latency_ms: 0,
        demo: false,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (flag.clone(), None),
        };
        if name == "-h" || name == "--help" {
            return Ok(None);
        }
        if name == "--demo" {
            if inline.is_some() {
                return Err("--demo takes no value".to_owned());
            }
            parsed.demo = true;
            continue;
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        fn number<T: std::str::FromStr>(name: &str, raw: String) -> Result<T, String> {
            raw.parse()
                .map_err(|_| format!("{name}: {raw:?} is not a valid number"))
        }
        match name.as_str() {
            "--port" => parsed.port = number(&name, value()?)?,
            "--account" => parsed.account = value()?,
            "--catalog" => parsed.catalog = value()?,
            "--seed-products" => parsed.seed_products = number(&name, value()?)?,
            "--seed-groups" => parsed.seed_groups = number(&name, value()?)?,
            "--latency-ms" => parsed.latency_ms = number(&name, value()?)?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !is_valid_account_id(&parsed.account) {
        return Err(format!(
            "--account {:?} does not match ^[PT]\\d{{8}}$",
            parsed.account
        ));
    }
    Ok(Some(parsed))
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
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match FakeServer::builder()
        .port(args.port)
        .latency(Duration::from_millis(args.latency_ms))
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

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|s| s.to_string()))
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
            args,
            Ok(Some(Args {
                port: 9000,
                account: "P00000001".into(),
                catalog: "C1".into(),
                seed_products: 1000,
                seed_groups: 0,
                latency_ms: 5,
                demo: false,
            }))
        );
        assert_eq!(parse(&["--help"]), Ok(None));
        let demo = parse(&["--demo"]).ok().flatten();
        assert!(demo.is_some_and(|args| args.demo && args.seed_products == 0));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "x"]).is_err());
        assert!(parse(&["--port", "70000"]).is_err());
        assert!(parse(&["--account", "X1"]).is_err());
        assert!(parse(&["--what"]).is_err());
        assert!(parse(&["--demo=yes"]).is_err());
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
