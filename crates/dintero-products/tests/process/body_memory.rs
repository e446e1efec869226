//! Peak memory while a server sends 2 GB bodies, with the default body limit. In the `process`
//! binary, so that the peak resident memory (`VmHWM`) is not that of the many tests of `it`.

use crate::common;
use crate::hostile;

use common::builder;
use dintero_products::{Error, RetryPolicy};
use hostile::{Hostile, Reply};
use serde_json::json;
use std::time::{Duration, Instant};

/// The process's peak resident memory in KiB, from `/proc/self/status` (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn two_gigabyte_bodies_fail_fast_in_bounded_memory() {
    const TWO_GB: u64 = 2 << 30;
    for (name, reply) in [
        (
            "announced",
            Reply::Huge {
                status: 200,
                len: TWO_GB,
                announced: true,
            },
        ),
        (
            "chunked",
            Reply::Huge {
                status: 200,
                len: TWO_GB,
                announced: false,
            },
        ),
        ("endless", Reply::Endless { status: 200 }),
    ] {
        let server = Hostile::start(move |seen| {
            if seen.is_token_request() {
                Reply::token("t", json!(3600))
            } else {
                reply.clone()
            }
        })
        .await;
        let client = builder(&server.base_url)
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let started = Instant::now();
        let error = client.groups().list().send().await.unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(error, Error::BodyTooLarge { .. }),
            "{name}: {error:?}"
        );
        assert!(took < Duration::from_secs(10), "{name}: {took:?}");
        eprintln!(
            "{name} 2 GB body: failed after {:.0} ms",
            took.as_secs_f64() * 1000.0
        );
    }
    let peak = peak_rss_kib().expect("VmHWM in /proc/self/status");
    eprintln!("peak resident memory: {} MiB", peak / 1024);
    assert!(peak < 100 * 1024, "peak resident memory {peak} KiB");
}
