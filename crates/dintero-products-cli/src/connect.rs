//! From flags and environment variables to an SDK client; or, with `--demo`, a fake server
//! started in this process.

use crate::cli::GlobalArgs;
use crate::error::CliError;
use dintero_products::{ApiFacts, Client, ClientBuilder, Secret};
use dintero_products_fake::{DEMO_CATALOG_ID, FakeServer};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

/// The account `--demo` uses unless `--account-id` (or `DINTERO_ACCOUNT_ID`) names another.
pub const DEMO_ACCOUNT_ID: &str = "T12345678";

/// The environment variables the command line reads itself: `DINTERO_CLIENT_SECRET`, the one
/// without a flag (a secret on the command line would show in process lists).
///
/// The variables behind flags (`DINTERO_ACCOUNT_ID`, `DINTERO_CLIENT_ID`, `DINTERO_BASE_URL`,
/// `DINTERO_AUDIENCE`) are read by the flags' parser from this process's environment, each only
/// when its flag is absent.
///
/// Passed to [`run`](crate::run) rather than read inside it, so a test or a benchmark can give a
/// command its own secret. `Debug` shows the names only, never the values.
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

impl Env {
    /// No variables.
    pub fn empty() -> Self {
        Self::default()
    }

    /// This process's `DINTERO_*` variables.
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| k.starts_with("DINTERO_"))
            .collect();
        Self { vars }
    }

    /// With `name` set to `value`.
    pub fn set(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// A variable's value; an empty one counts as unset.
    fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// A client, and the demo server it talks to when there is one (kept alive with it).
pub(crate) struct Connection {
    pub(crate) client: Client,
    _demo: Option<FakeServer>,
}

const USER_AGENT: &str = concat!("dintero-products-cli/", env!("CARGO_PKG_VERSION"));

/// Builds the client the flags and variables describe; flags win over variables (the parser
/// reads a variable only for an absent flag).
pub(crate) async fn connect(global: &GlobalArgs, env: &Env) -> Result<Connection, CliError> {
    if global.demo {
        return demo(global).await;
    }
    let account = given(&global.account_id).ok_or_else(|| {
        CliError::Usage(
            "no account: pass --account-id or set DINTERO_ACCOUNT_ID (or try --demo)".into(),
        )
    })?;
    let client_id = given(&global.client_id).ok_or_else(|| {
        CliError::Usage(
            "no client id: pass --client-id or set DINTERO_CLIENT_ID (or try --demo)".into(),
        )
    })?;
    let secret = match &global.client_secret_file {
        Some(path) => read_secret(path)?,
        None => Secret::from(env.get("DINTERO_CLIENT_SECRET").ok_or_else(|| {
            CliError::Usage(
                "no client secret: set DINTERO_CLIENT_SECRET or pass --client-secret-file FILE (`-` reads standard input)".into(),
            )
        })?),
    };
    let mut builder = Client::builder()
        .account_id(account)
        .client_credentials(client_id, secret)
        .user_agent(USER_AGENT);
    if let Some(url) = given(&global.base_url) {
        builder = builder.base_url(url);
    }
    if let Some(audience) = given(&global.audience) {
        builder = builder.audience(audience);
    }
    Ok(Connection {
        client: with_facts(builder, global)?.build()?,
        _demo: None,
    })
}

/// `builder` given the findings of `--api-facts FILE` (or `DINTERO_API_FACTS`), if any.
fn with_facts(builder: ClientBuilder, global: &GlobalArgs) -> Result<ClientBuilder, CliError> {
    let Some(path) = global
        .api_facts
        .as_deref()
        .filter(|p| !p.as_os_str().is_empty())
    else {
        return Ok(builder);
    };
    let facts = ApiFacts::load(path).map_err(|e| {
        CliError::Usage(format!(
            "cannot use the API facts {} (--api-facts, DINTERO_API_FACTS): {e}",
            path.display()
        ))
    })?;
    Ok(builder.api_facts(facts))
}

/// A setting's value; a blank one counts as unset, since an exported `DINTERO_BASE_URL=` (say)
/// means "not set" rather than "the empty URL".
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// The secret in `path` (`-`: standard input), without the line break that usually ends it.
/// Errors name the file, never what it holds.
fn read_secret(path: &std::path::Path) -> Result<Secret, CliError> {
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text))
    };
    read.map_err(|source| CliError::Input {
        what: format!("cannot read the client secret from {}", path.display()),
        source,
    })?;
    let secret = text.trim_end_matches(['\r', '\n']);
    if secret.trim().is_empty() {
        return Err(CliError::Usage(format!(
            "the client secret file {} is empty",
            path.display()
        )));
    }
    Ok(Secret::from(secret.to_string()))
}

/// Starts the fake in this process with the demo catalog, and a client for it.
async fn demo(global: &GlobalArgs) -> Result<Connection, CliError> {
    let account = given(&global.account_id).unwrap_or(DEMO_ACCOUNT_ID);
    // Checked here, since the fake seeds whatever it is given.
    dintero_products::AccountId::new(account).map_err(dintero_products::Error::from)?;
    let fake = FakeServer::builder()
        .start()
        .await
        .map_err(|e| CliError::Failed(format!("cannot start the demo server: {e}")))?;
    fake.seed_demo(account);
    crate::output::note(&format!(
        "demo: an in-memory Dintero server in this process, account {account}, catalog {DEMO_CATALOG_ID} (24 products); nothing is kept"
    ));
    let builder = Client::builder()
        .account_id(account)
        .client_credentials(fake.client_id(), fake.client_secret())
        .base_url(fake.base_url())
        .user_agent(USER_AGENT);
    let client = with_facts(builder, global)?.build()?;
    Ok(Connection {
        client,
        _demo: Some(fake),
    })
}

#[cfg(test)]
mod tests {
    use super::Env;

    #[test]
    fn an_env_shows_its_names_never_its_values() {
        let env = Env::empty()
            .set("DINTERO_CLIENT_SECRET", "s3cret-value")
            .set("DINTERO_ACCOUNT_ID", " ");
        let shown = format!("{env:?}");
        assert_eq!(shown, "{\"DINTERO_ACCOUNT_ID\", \"DINTERO_CLIENT_SECRET\"}");
        assert_eq!(env.get("DINTERO_CLIENT_SECRET"), Some("s3cret-value"));
        assert_eq!(env.get("DINTERO_ACCOUNT_ID"), None, "blank counts as unset");
    }
}
