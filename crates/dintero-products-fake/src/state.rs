//! What the routes and the middleware share: the settings fixed at start, the dialect (which
//! may change while the server runs), the store, the issued tokens, the request log (whose
//! entries, `RecordedRequest`, are public) and what decides faults and rate limits.
//!
//! Each lock is held for one short, synchronous step, never across an `.await`.

use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::header;

use crate::config::Config;
use crate::dialect::Dialect;
use crate::faults::{FaultDecider, FaultKind, Faults};
use crate::locks::lock;
use crate::rate_limit::{Limiter, RateLimit, RetryAfter};
use crate::store::Store;
use crate::tokens::Tokens;

/// One request as the server received it, and how it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The request's id, sent back in the dialect's request-id header (`request-id` by
    /// default) unless the dialect sends none.
    pub request_id: String,
    /// The method, such as `"GET"`.
    pub method: String,
    /// The path as received, still percent-encoded (`/v1/accounts/.../a%2Fb`).
    pub path: String,
    /// The raw query string, without the `?`, if there was one.
    pub query: Option<String>,
    /// Whether the request had an `Authorization` header (of any kind).
    pub authorization: bool,
    /// The status answered; `None` while the request is in flight, and for a
    /// [`FaultKind::DropConnection`], whose status line never reaches the client.
    pub status: Option<u16>,
    /// The fault injected on this request, if any.
    pub fault: Option<FaultKind>,
    /// Whether the [`RateLimit`] turned this request away (with `429`, `status` `Some(429)`).
    /// Such a request draws no fault, so `fault` is `None`: an injected
    /// [`FaultKind::RateLimited`] shows as `fault` instead.
    pub rate_limited: bool,
}

impl RecordedRequest {
    /// Whether a fault was injected on this request.
    pub fn fault_injected(&self) -> bool {
        self.fault.is_some()
    }
}

/// What happens to a request before any handler sees it.
#[derive(Clone, Debug)]
pub(crate) enum Verdict {
    Pass,
    RateLimited(RetryAfter),
    Fault(FaultKind),
}

/// A request just logged: where its entry is, its id, and what happens to it.
#[derive(Debug)]
pub(crate) struct Arrival {
    pub seq: u64,
    pub request_id: String,
    pub verdict: Verdict,
}

/// Everything the server shares.
#[derive(Debug)]
pub(crate) struct App {
    pub config: Config,
    pub tokens: Tokens,
    /// Swapped whole, so that a request reads one dialect from start to end.
    dialect: RwLock<Arc<Dialect>>,
    store: RwLock<Store>,
    faults: Mutex<FaultDecider>,
    limiter: Mutex<Limiter>,
    log: Mutex<RequestLog>,
}

#[derive(Debug, Default)]
struct RequestLog {
    entries: Vec<(u64, RecordedRequest)>,
    /// Never reset, so request ids stay unique after the log is cleared.
    last_seq: u64,
}

impl App {
    pub(crate) fn new(
        config: Config,
        dialect: Dialect,
        token_lifetime: Duration,
        faults: FaultDecider,
        rate_limit: Option<RateLimit>,
        seed: u64,
    ) -> Self {
        let store = Store::new(seed, &config.client_id);
        App {
            config,
            tokens: Tokens::new(token_lifetime),
            dialect: RwLock::new(Arc::new(dialect)),
            store: RwLock::new(store),
            faults: Mutex::new(faults),
            limiter: Mutex::new(Limiter::new(rate_limit)),
            log: Mutex::new(RequestLog::default()),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn dialect(&self) -> Arc<Dialect> {
        Arc::clone(&self.dialect.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn set_dialect(&self, dialect: Dialect) {
        *self.dialect.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(dialect);
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        lock(&self.faults).set_faults(faults);
    }

    pub(crate) fn set_rate_limit(&self, limit: Option<RateLimit>) {
        lock(&self.limiter).set(limit);
    }

    pub(crate) fn rate_limited_count(&self) -> u64 {
        lock(&self.limiter).rejected()
    }

    /// Logs an arriving request and decides its verdict. Both happen under the log's lock, so
    /// the log's order is the order the seeded fault generator was drawn in.
    ///
    /// The rate limit acts first, as a gateway in front of the API would: a request it turns
    /// away draws no fault. The token endpoint is never rate limited, and gets faults only
    /// when the faults include it.
    pub(crate) fn arrive(&self, request: &Request, token_route: bool) -> Arrival {
        let mut log = lock(&self.log);
        let admitted = if token_route {
            Ok(())
        } else {
            lock(&self.limiter).admit(Instant::now())
        };
        let verdict = match admitted {
            Err(retry) => Verdict::RateLimited(retry),
            Ok(()) => match lock(&self.faults).decide(
                token_route,
                request.method().as_str(),
                request.uri().path(),
            ) {
                Some(kind) => Verdict::Fault(kind),
                None => Verdict::Pass,
            },
        };
        log.last_seq += 1;
        let seq = log.last_seq;
        let request_id = format!("fake-{seq:08}");
        let recorded = RecordedRequest {
            request_id: request_id.clone(),
            method: request.method().to_string(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().map(str::to_owned),
            authorization: request.headers().contains_key(header::AUTHORIZATION),
            status: None,
            fault: match &verdict {
                Verdict::Fault(kind) => Some(kind.clone()),
                Verdict::Pass | Verdict::RateLimited(_) => None,
            },
            rate_limited: matches!(verdict, Verdict::RateLimited(_)),
        };
        log.entries.push((seq, recorded));
        Arrival {
            seq,
            request_id,
            verdict,
        }
    }

    /// Records the status a request was answered with (`None`: the client never saw one).
    pub(crate) fn answered(&self, seq: u64, status: Option<u16>) {
        let mut log = lock(&self.log);
        // Entries are pushed in `seq` order, so the search from the back is short.
        if let Some((_, entry)) = log.entries.iter_mut().rev().find(|(s, _)| *s == seq) {
            entry.status = status;
        }
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log)
            .entries
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.log).entries.clear();
    }
}
