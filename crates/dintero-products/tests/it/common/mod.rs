//! A wiremock server that plays Dintero, and a client pointed at it.
#![allow(dead_code)]

use dintero_products::{Client, ClientBuilder, RetryPolicy};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const AID: &str = "T12345678";

/// An error and each of its causes, `: ` between them: what an error-chain printer shows.
///
/// Also checks that no message repeats the one of its cause, since each layer is to say only
/// what happened at that layer.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let messages: Vec<String> = std::iter::successors(Some(error), |e| e.source())
        .map(ToString::to_string)
        .collect();
    for pair in messages.windows(2) {
        assert!(
            pair[1].is_empty() || !pair[0].contains(&pair[1]),
            "{:?} repeats its cause {:?}",
            pair[0],
            pair[1]
        );
    }
    messages.join(": ")
}
pub const CLIENT_ID: &str = "the-client-id";
pub const CLIENT_SECRET: &str = "the-client-secret-value";

pub fn api(rest: &str) -> String {
    format!("/accounts/{AID}/products{rest}")
}

/// The audience Dintero's token endpoint expects for the test account, whatever the base URL.
pub fn dintero_audience() -> String {
    format!("https://api.dintero.com/v1/accounts/{AID}")
}

/// A client builder for the test account and credentials, pointed at `base_url`.
pub fn builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .account_id(AID)
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .base_url(base_url)
}

/// Issues `token-1`, `token-2`, ... and counts the requests.
#[derive(Clone, Default)]
pub struct TokenIssuer {
    pub issued: Arc<AtomicUsize>,
    pub expires_in: u64,
}

impl Respond for TokenIssuer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": format!("token-{n}"),
            "token_type": "Bearer",
            "expires_in": if self.expires_in == 0 { 3600 } else { self.expires_in },
        }))
    }
}

/// How long one test may run: about three times the slowest test, under a loaded machine.
const TEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Ends the test run, naming the test, when the test that started it still runs after
/// [`TEST_LIMIT`]. A stream or loop that a slip makes endless then fails within seconds instead
/// of hanging the run, even one that never yields, which no async timeout can stop. Each
/// server a test starts holds one; dropping the server drops its sender, which stops it.
pub struct Watchdog(std::sync::mpsc::Sender<()>);

impl Watchdog {
    pub fn start() -> Self {
        use std::io::Write as _;
        // libtest runs each test on a thread of the test's name.
        let test = std::thread::current()
            .name()
            .unwrap_or("a test")
            .to_string();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(TEST_LIMIT)
            {
                // Straight to stderr: `eprintln!` in a test's thread is captured, and lost
                // with the process.
                let _ = writeln!(
                    std::io::stderr(),
                    "{test} still runs after {TEST_LIMIT:?}: something that should end does not"
                );
                std::process::exit(101);
            }
        });
        Self(stop)
    }
}

pub struct Harness {
    pub server: MockServer,
    pub tokens: TokenIssuer,
    pub client: Client,
    _watchdog: Watchdog,
}

impl Harness {
    pub async fn start() -> Self {
        Self::with_retry(RetryPolicy::none()).await
    }

    pub async fn with_retry(policy: RetryPolicy) -> Self {
        let server = MockServer::start().await;
        let tokens = TokenIssuer::default();
        Mock::given(method("POST"))
            .and(path(format!("/accounts/{AID}/auth/token")))
            .respond_with(tokens.clone())
            .mount(&server)
            .await;
        let client = builder(&server.uri()).retry_policy(policy).build().unwrap();
        Self {
            server,
            tokens,
            client,
            _watchdog: Watchdog::start(),
        }
    }

    /// A harness whose client retries with the default policy, but 1 ms waits.
    pub async fn retrying() -> Self {
        Self::with_retry(
            RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(1)),
        )
        .await
    }

    pub fn tokens_issued(&self) -> usize {
        self.tokens.issued.load(Ordering::SeqCst)
    }

    /// Every request to the API (not the token endpoint), in order.
    pub async fn api_requests(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| !r.url.path().ends_with("/auth/token"))
            .collect()
    }
}

pub fn query(request: &Request, key: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub fn group(id: &str) -> Value {
    json!({"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "group_id": id, "group_name": format!("name {id}")})
}

/// Answers the groups list as Dintero would for a `group_id` filter: a list holding that one
/// group. `groups().get(id)` goes through this documented route.
pub fn groups_by_id(request: &Request) -> ResponseTemplate {
    let id = query(request, "group_id").unwrap_or_else(|| "B1".into());
    ResponseTemplate::new(200).set_body_json(json!({ "groups": [group(&id)] }))
}

/// Mounts [`groups_by_id`] on the groups list.
pub async fn mount_group_get(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(api("/groups")))
        .respond_with(groups_by_id)
        .mount(server)
        .await;
}

/// A list server: pages are given up front; each carries its items and the cursor it returns.
/// A request's `starting_after` picks the page that cursor leads to.
pub struct PagedList {
    pub pages: Vec<(Vec<Value>, Option<&'static str>)>,
    pub key: &'static str,
}

impl Respond for PagedList {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let index = match query(request, "starting_after") {
            None => 0,
            Some(cursor) => match self
                .pages
                .iter()
                .position(|(_, c)| c.as_deref() == Some(cursor.as_str()))
            {
                Some(i) => i + 1,
                None => {
                    return ResponseTemplate::new(400)
                        .set_body_json(json!({"error": {"message": "bad cursor"}}));
                }
            },
        };
        let (items, cursor) = &self.pages[index.min(self.pages.len() - 1)];
        let mut body = json!({ self.key: items });
        if let Some(cursor) = cursor {
            body["starting_after"] = json!(cursor);
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// Answers `first` to the first request and `then` to every later one, counting them.
pub struct FailsOnce {
    pub first: ResponseTemplate,
    pub then: ResponseTemplate,
    pub calls: Arc<AtomicUsize>,
}

impl FailsOnce {
    pub fn new(first: ResponseTemplate, then: ResponseTemplate) -> Self {
        Self {
            first,
            then,
            calls: Arc::default(),
        }
    }
}

impl Respond for FailsOnce {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            self.first.clone()
        } else {
            self.then.clone()
        }
    }
}
