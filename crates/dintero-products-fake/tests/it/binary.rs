//! The `dintero-products-fake` binary: starts, prints where it listens, and serves.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// Kills the child when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` and returns it with the lines it printed up to "Ctrl-C".
fn start(args: &[&str]) -> (Child, Vec<String>) {
    let child = Command::new(env!("CARGO_BIN_EXE_dintero-products-fake"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the binary");
    let mut child = Child(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read") == 0 {
            break;
        }
        let done = line.contains("Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    (child, lines)
}

/// The `export NAME=value` lines, as a shell would set them (values here need no unquoting).
fn exports(lines: &[String]) -> HashMap<String, String> {
    lines
        .iter()
        .filter_map(|line| line.trim().strip_prefix("export "))
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

#[tokio::test]
async fn binary_prints_its_settings_and_serves() {
    let (_child, lines) = start(&[
        "--port",
        "0",
        "--seed-products",
        "30",
        "--account",
        "P00000042",
        "--catalog",
        "C9",
        "--latency-ms",
        "1",
    ]);
    let text = lines.concat();
    let value = |label: &str| -> String {
        lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("{label} in {text}"))
    };
    let base = value("base URL:");
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/v1"),
        "{base}"
    );
    assert_eq!(value("account:"), "P00000042");
    assert!(
        !text.contains("dialect:"),
        "the default dialect goes unsaid: {text}"
    );
    assert!(value("catalog:").starts_with("C9 (30 products)"));
    let (id, secret) = (value("client id:"), value("client secret:"));
    assert_eq!(id, "fake-client-id");

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let token: Value = http
        .post(value("token URL:"))
        .basic_auth(id, Some(secret))
        .json(&json!({"grant_type": "client_credentials", "audience": value("audience:")}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let page: Value = http
        .get(format!(
            "{base}/accounts/P00000042/products/catalogs/C9/products?limit=100"
        ))
        .bearer_auth(token["access_token"].as_str().expect("token"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(page["products"].as_array().map(Vec::len), Some(30));

    let exported = exports(&lines);
    assert_eq!(exported.len(), 4, "{text}");
    assert_eq!(exported["DINTERO_ACCOUNT_ID"], "P00000042");
    assert_eq!(exported["DINTERO_CLIENT_ID"], "fake-client-id");
    assert_eq!(exported["DINTERO_CLIENT_SECRET"], "fake-client-secret");
    assert_eq!(exported["DINTERO_BASE_URL"], base);
}

#[tokio::test]
async fn binary_demo_serves_the_demo_catalog_with_the_exported_settings() {
    let (_child, lines) = start(&["--port", "0", "--demo"]);
    let text = lines.concat();
    assert!(text.contains("DEMO (24 products)"), "{text}");
    assert!(
        !text.contains("S23"),
        "no empty plain catalog beside the demo: {text}"
    );
    let env = exports(&lines);
    let (aid, base) = (&env["DINTERO_ACCOUNT_ID"], &env["DINTERO_BASE_URL"]);
    assert_eq!(aid, "T12345678");

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let token: Value = http
        .post(format!("{base}/accounts/{aid}/auth/token"))
        .basic_auth(&env["DINTERO_CLIENT_ID"], Some(&env["DINTERO_CLIENT_SECRET"]))
        .json(&json!({"grant_type": "client_credentials", "audience": format!("https://api.dintero.com/v1/accounts/{aid}")}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let page: Value = http
        .get(format!(
            "{base}/accounts/{aid}/products/catalogs/DEMO/products?limit=100"
        ))
        .bearer_auth(token["access_token"].as_str().expect("token"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(page["products"].as_array().map(Vec::len), Some(24));
}

#[tokio::test]
async fn binary_speaks_the_dialect_of_its_flags() {
    let (_child, lines) = start(&[
        "--port",
        "0",
        "--seed-products",
        "2",
        "--dialect",
        "create=201",
        "--dialect=routes.get=off",
        "--dialect",
        "filter.product_name=prefix_ci",
        "--dialect",
        "error.not_found_code=Not Found",
    ]);
    let text = lines.concat();
    let dialect: Vec<&str> = lines
        .iter()
        .filter_map(|line| line.trim().strip_prefix("dialect:"))
        .map(str::trim)
        .collect();
    assert_eq!(
        dialect,
        [
            "create.status=201",
            "route.get_catalog=off",
            "route.get_group=off",
            "route.get_product=off",
            "filter.product_name=prefix_ci",
            "error.not_found_code=Not Found",
        ],
        "{text}"
    );
    let env = exports(&lines);
    let (aid, base) = (&env["DINTERO_ACCOUNT_ID"], &env["DINTERO_BASE_URL"]);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let token: Value = http
        .post(format!("{base}/accounts/{aid}/auth/token"))
        .basic_auth(&env["DINTERO_CLIENT_ID"], Some(&env["DINTERO_CLIENT_SECRET"]))
        .json(&json!({"grant_type": "client_credentials", "audience": format!("https://api.dintero.com/v1/accounts/{aid}")}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = token["access_token"].as_str().expect("token");
    let products = format!("{base}/accounts/{aid}/products");

    let created = http
        .post(format!("{products}/catalogs"))
        .bearer_auth(token)
        .json(&json!({"catalog_id": "W1"}))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    let got = http
        .get(format!("{products}/catalogs/W1"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    assert_eq!(got.status(), reqwest::StatusCode::NOT_FOUND);
    let body: Value = got.json().await.expect("json");
    assert_eq!(body["error"]["code"], "Not Found");
    let page: Value = http
        .get(format!(
            "{products}/catalogs/S23/products?product_name=product%200"
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(page["products"].as_array().map(Vec::len), Some(2), "{page}");
}

#[test]
fn binary_rejects_bad_arguments() {
    let output = Command::new(env!("CARGO_BIN_EXE_dintero-products-fake"))
        .args(["--port", "nope"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--port"));
    let output = Command::new(env!("CARGO_BIN_EXE_dintero-products-fake"))
        .arg("--help")
        .output()
        .expect("run");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("--seed-products"));
    let output = Command::new(env!("CARGO_BIN_EXE_dintero-products-fake"))
        .args(["--port", "0", "--dialect", "update=patch"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--dialect")
            && stderr.contains("\"update\"")
            && stderr.contains("replace, merge"),
        "{stderr}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_dintero-products-fake"))
        .args(["--port", "0", "--dialect", "update.semantic=merge"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown dialect key \"update.semantic\"")
            && stderr.contains("update.semantics"),
        "{stderr}"
    );
}
