//! The transcript of a doctor run: every request and response as one JSON line, with every
//! credential taken out.
//!
//! A transcript is meant to be attached to a bug report, so nothing in it may let its reader
//! call the API: `Authorization` headers (Basic and Bearer alike), cookies, token fields of
//! JSON bodies (`access_token`, ...), any `Bearer ...` text, and every secret the run sent
//! (found again wherever a server echoes it, even base64-decoded from a Basic header) become
//! `"[redacted]"`.

use base64::Engine as _;
use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::sync::{Mutex, PoisonError};

/// What replaces anything secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// Headers whose values are credentials whatever they hold.
const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "www-authenticate",
];

/// JSON keys whose values are credentials whatever they hold.
const SECRET_KEYS: [&str; 6] = [
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "password",
    "authorization",
];

/// Secrets shorter than this are not searched for in text: a one-letter "secret" would redact
/// every word holding that letter. Credentials are far longer.
const MIN_SECRET_CHARS: usize = 4;

/// The secrets this run has sent, to find again in whatever a server sends back.
#[derive(Default)]
pub(crate) struct Secrets {
    known: Mutex<Vec<String>>,
}

impl Secrets {
    /// Remembers `secret`, and, for an `Authorization` value, its parts: the credential after
    /// the scheme and, for Basic, the decoded `id:secret` and the secret alone.
    pub(crate) fn learn_authorization(&self, value: &str) {
        self.learn(value);
        let Some((scheme, credential)) = value.split_once(' ') else {
            return;
        };
        let credential = credential.trim();
        self.learn(credential);
        if scheme.eq_ignore_ascii_case("basic")
            && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(credential)
            && let Ok(decoded) = String::from_utf8(decoded)
        {
            if let Some((_, password)) = decoded.split_once(':') {
                self.learn(password);
            }
            self.learn(&decoded);
        }
    }

    pub(crate) fn learn(&self, secret: &str) {
        if secret.chars().count() < MIN_SECRET_CHARS {
            return;
        }
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if !known.iter().any(|k| k == secret) {
            known.push(secret.to_owned());
            // Longest first, so that a secret containing another is replaced whole.
            known.sort_by_key(|k| std::cmp::Reverse(k.len()));
        }
    }

    /// `text` with every known secret and every `Bearer ...` replaced.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        {
            let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
            for secret in known.iter() {
                if text.contains(secret.as_str()) {
                    text = text.replace(secret.as_str(), REDACTED);
                }
            }
        }
        redact_bearer(&text)
    }

    fn scrub_json(&self, value: Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.scrub(&text)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.scrub_json(v)).collect())
            }
            Value::Object(object) => Value::Object(
                object
                    .into_iter()
                    .map(|(key, value)| {
                        let value = if SECRET_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k)) {
                            Value::String(REDACTED.into())
                        } else {
                            self.scrub_json(value)
                        };
                        (self.scrub(&key), value)
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    /// Headers as a JSON object (a name sent more than once has an array of values).
    pub(crate) fn headers(&self, headers: &HeaderMap) -> Value {
        let mut object = Map::new();
        for name in headers.keys() {
            let values: Vec<Value> = headers
                .get_all(name)
                .iter()
                .map(|value| {
                    if SECRET_HEADERS.contains(&name.as_str()) {
                        Value::String(REDACTED.into())
                    } else {
                        Value::String(self.scrub(&String::from_utf8_lossy(value.as_bytes())))
                    }
                })
                .collect();
            let value = match <[Value; 1]>::try_from(values) {
                Ok([one]) => one,
                Err(many) => Value::Array(many),
            };
            object.insert(name.as_str().to_owned(), value);
        }
        Value::Object(object)
    }

    /// A body as JSON when it is, else as text; `null` when empty.
    pub(crate) fn body(&self, bytes: &[u8]) -> Value {
        if bytes.is_empty() {
            return Value::Null;
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(value) => self.scrub_json(value),
            Err(_) => Value::String(self.scrub(&String::from_utf8_lossy(bytes))),
        }
    }
}

/// Replaces `Bearer` (any case) and the token after it with [`REDACTED`]; a lone `Bearer`
/// (a `token_type`) goes too, so that a transcript holds the word nowhere.
fn redact_bearer(text: &str) -> String {
    const WORD: &str = "bearer";
    let lower = text.to_ascii_lowercase();
    if !lower.contains(WORD) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find(WORD) {
        let start = search + found;
        let mut end = start + WORD.len();
        // The token: the whitespace after the word, then everything up to the next whitespace
        // or quote. ASCII lower-casing keeps byte offsets, so they index `text` too.
        let after_space = text[end..]
            .find(|c: char| !c.is_whitespace())
            .map_or(text.len(), |i| end + i);
        if after_space > end {
            end = text[after_space..]
                .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .map_or(text.len(), |i| after_space + i);
        }
        out.push_str(&text[rest..start]);
        out.push_str(REDACTED);
        rest = end;
        // Past the word at least, whatever `end` is: the search moves on, so it ends.
        search = end.max(start + WORD.len());
    }
    out.push_str(&text[rest..]);
    out
}

/// Where transcript lines go: the sink, and the first error writing to it (after which
/// nothing more is written).
pub(crate) struct Transcript {
    sink: Mutex<Box<dyn Write + Send>>,
    error: Mutex<Option<String>>,
}

impl Transcript {
    pub(crate) fn new(sink: Box<dyn Write + Send>) -> Self {
        Transcript {
            sink: Mutex::new(sink),
            error: Mutex::new(None),
        }
    }

    pub(crate) fn write(&self, line: &Value) {
        let mut error = self.error.lock().unwrap_or_else(PoisonError::into_inner);
        if error.is_some() {
            return;
        }
        let mut sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = line.to_string();
        text.push('\n');
        if let Err(e) = sink.write_all(text.as_bytes()).and_then(|()| sink.flush()) {
            *error = Some(e.to_string());
        }
    }

    /// The first error writing the transcript, if any.
    pub(crate) fn error(&self) -> Option<String> {
        self.error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// One exchange, for a transcript line.
pub(crate) struct Line<'a> {
    pub probe: &'a str,
    pub method: &'a str,
    pub url: &'a reqwest::Url,
    pub request_headers: &'a HeaderMap,
    pub request_body: Option<&'a [u8]>,
    pub status: Option<u16>,
    pub response_headers: Option<&'a HeaderMap>,
    pub response_body: Option<&'a [u8]>,
    pub error: Option<String>,
    pub millis: u128,
}

impl Line<'_> {
    pub(crate) fn to_json(&self, secrets: &Secrets) -> Value {
        json!({
            "probe": self.probe,
            "method": self.method,
            "path": secrets.scrub(self.url.path()),
            "query": self.url.query().map(|q| secrets.scrub(q)),
            "request": {
                "headers": secrets.headers(self.request_headers),
                "body": self.request_body.map_or(Value::Null, |b| secrets.body(b)),
            },
            "status": self.status,
            "response": self.response_headers.map(|headers| json!({
                "headers": secrets.headers(headers),
                "body": self.response_body.map_or(Value::Null, |b| secrets.body(b)),
            })),
            "error": self.error.as_deref().map(|e| secrets.scrub(e)),
            "ms": self.millis,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_known_secrets_go() {
        let secrets = Secrets::default();
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("the-id:the-secret")
        );
        secrets.learn_authorization(&basic);
        let text = secrets.scrub("echo: the-secret and bearer abc.def.ghi, \"Bearer\" end");
        assert!(!text.contains("the-secret"), "{text}");
        assert!(!text.to_ascii_lowercase().contains("bearer"), "{text}");
        assert!(!text.contains("abc.def"), "{text}");
        assert!(text.ends_with(" end"), "{text}");
        let body = secrets.body(
            br#"{"access_token":"xyz","token_type":"Bearer","nested":[{"Password":1}],"n":"the-secret"}"#,
        );
        assert_eq!(
            body,
            json!({"access_token": REDACTED, "token_type": REDACTED, "nested": [{"Password": REDACTED}], "n": REDACTED})
        );
        assert_eq!(
            secrets.body(b"not json: the-id:the-secret"),
            json!("not json: [redacted]")
        );
        assert_eq!(secrets.body(b""), Value::Null);
        // Multi-byte text around the word keeps its characters.
        assert_eq!(redact_bearer("æ Bearer ø"), "æ [redacted]");
        assert_eq!(redact_bearer("BEARER"), REDACTED);
        // The token is what follows the word after whitespace, up to whitespace or a quote.
        assert_eq!(redact_bearer("bearers go"), "[redacted]s go");
        assert_eq!(redact_bearer("Bearer abc def"), "[redacted] def");
        assert_eq!(redact_bearer("'Bearer abc' x"), "'[redacted]' x");
        assert_eq!(redact_bearer("\"Bearer abc\" x"), "\"[redacted]\" x");
    }

    /// A secret shorter than four characters is not learned: it would blank ordinary text.
    #[test]
    fn secrets_of_four_characters_or_more_are_learned() {
        let secrets = Secrets::default();
        secrets.learn("abc");
        secrets.learn("øøøø");
        assert_eq!(secrets.scrub("abc øøøø"), "abc [redacted]");
    }

    #[test]
    fn secret_headers_go_whatever_they_hold() {
        let secrets = Secrets::default();
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Basic Zm9v".parse().unwrap());
        headers.append("x-two", "a".parse().unwrap());
        headers.append("x-two", "b".parse().unwrap());
        assert_eq!(
            secrets.headers(&headers),
            json!({"authorization": REDACTED, "x-two": ["a", "b"]})
        );
    }
}
