//! The settings fixed when a server starts and their defaults: read by the state, the routes
//! and the builder, so kept below all of them. What may change while a server runs, and
//! differs between plausible versions of the real API, is its dialect (`dialect`).

use std::time::Duration;

/// The client id accepted by default.
pub const DEFAULT_CLIENT_ID: &str = "fake-client-id";
/// The client secret accepted by default.
pub const DEFAULT_CLIENT_SECRET: &str = "fake-client-secret";
/// The default lifetime of an issued access token: 4 hours.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(4 * 60 * 60);
/// The seed used when [`FakeServerBuilder::seed`](crate::FakeServerBuilder::seed) is not called.
pub const DEFAULT_SEED: u64 = 0;
/// Dintero's API, which token requests name as their audience whatever host they are sent
/// to: the audience for account `aid` is `<this>/accounts/<aid>`.
pub const DEFAULT_AUDIENCE_BASE: &str = "https://api.dintero.com/v1";

/// Settings fixed when the server starts.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub client_id: String,
    pub client_secret: String,
    pub latency: Duration,
    /// The audience is `<audience_base>/accounts/<aid>`.
    pub audience_base: String,
}
