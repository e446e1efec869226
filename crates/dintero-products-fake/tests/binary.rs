//! The `dintero-products-fake` binary: starts, prints where it listens, and serves.

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

#[tokio::test]
async fn binary_prints_its_settings_and_serves() {
    let child = Command::new(env!("CARGO_BIN_EXE_dintero-products-fake"))
        .args([
            "--port",
            "0",
            "--seed-products",
            "30",
            "--account",
            "P00000042",
        ])
        .args(["--catalog", "C9", "--latency-ms", "1"])
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
        .json(&json!({"grant_type": "client_credentials", "audience": format!("{base}/accounts/P00000042")}))
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
}
