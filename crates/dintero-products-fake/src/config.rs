//! The settings fixed when a server starts, their defaults, and the status creates answer
//! with: read by the state, the routes and the builder, so kept below all of them.

use std::fmt;
use std::time::Duration;

use axum::http::StatusCode;

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

/// The status a successful create answers with.
///
/// Dintero's published reference does not show which one the Products API sends; its other
/// published API answers creates with `200`, so that is the default. Testing a client against
/// both is the point of the switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CreateStatus {
    /// `200 OK` (the default).
    #[default]
    Ok,
    /// `201 Created`.
    Created,
}

impl CreateStatus {
    /// The status code: 200 or 201.
    pub fn code(self) -> u16 {
        self.status().as_u16()
    }

    pub(crate) fn status(self) -> StatusCode {
        match self {
            CreateStatus::Ok => StatusCode::OK,
            CreateStatus::Created => StatusCode::CREATED,
        }
    }
}

/// The error of `CreateStatus::try_from(u16)`: creates answer with 200 or 201 only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsupportedCreateStatus(pub u16);

impl fmt::Display for UnsupportedCreateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "creates answer with 200 or 201, not {}; see CreateStatus",
            self.0
        )
    }
}

impl std::error::Error for UnsupportedCreateStatus {}

impl TryFrom<u16> for CreateStatus {
    type Error = UnsupportedCreateStatus;

    /// `200` or `201`; anything else is an error.
    ///
    /// ```
    /// use dintero_products_fake::CreateStatus;
    ///
    /// assert_eq!(CreateStatus::try_from(201), Ok(CreateStatus::Created));
    /// assert!(CreateStatus::try_from(204).is_err());
    /// ```
    fn try_from(code: u16) -> Result<Self, Self::Error> {
        [CreateStatus::Ok, CreateStatus::Created]
            .into_iter()
            .find(|status| status.code() == code)
            .ok_or(UnsupportedCreateStatus(code))
    }
}

/// Settings fixed when the server starts.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub client_id: String,
    pub client_secret: String,
    pub latency: Duration,
    pub create_status: CreateStatus,
    /// The audience is `<audience_base>/accounts/<aid>`.
    pub audience_base: String,
}
