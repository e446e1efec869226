//! Shared by the end-to-end tests, the soak run (`cargo xtask soak`) and the benchmark
//! (`cargo xtask bench`): a fake server and an SDK client pointed at it.

pub mod soak;

/// The README's examples, compiled as doctests so they stay true. They live in this crate
/// because they use the SDK and the fake together.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

use dintero_products::{Client, RetryPolicy};
use dintero_products_fake::FakeServer;
use std::time::Duration;

/// How long a call of the tests may take before it counts as hung: a broken loop bound or a
/// stream that never ends then fails its test, rather than stall the whole run.
pub const HUNG_AFTER: Duration = Duration::from_secs(60);

/// `future`'s output; panics (failing the test) when it takes longer than [`HUNG_AFTER`].
pub async fn within<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(HUNG_AFTER, future)
        .await
        .expect("finished in time: a call that does not is hung")
}

/// The account every run uses.
pub const ACCOUNT: &str = "T12345678";

/// An SDK client for `fake`, authenticating with the fake's client credentials.
pub fn client_for(fake: &FakeServer) -> Client {
    client_with(fake, RetryPolicy::default(), Duration::from_secs(30))
}

/// As [`client_for`], with a retry policy and a per-attempt timeout.
pub fn client_with(fake: &FakeServer, retry: RetryPolicy, timeout: Duration) -> Client {
    Client::builder()
        .account_id(ACCOUNT)
        .client_credentials(fake.client_id(), fake.client_secret())
        .base_url(fake.base_url())
        .retry_policy(retry)
        .timeout(timeout)
        .build()
        .expect("a valid account id and a loopback base URL")
}
