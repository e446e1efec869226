//! A small hand-written HTTP/1.1 server on loopback that misbehaves on purpose: it answers what a
//! test scripts (any status, any headers, bodies that are huge, endless, late or missing) and
//! records each request exactly as it arrived, request line included, so a test can assert on
//! the raw path bytes a client sent. Not the project's fake: that one is well-behaved by design.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET /accounts/T12345678/products/groups?limit=100 HTTP/1.1`, byte for byte.
    pub request_line: String,
    pub method: String,
    /// The request target as sent: path and query, still percent-encoded.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    /// The target's path, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn is_token_request(&self) -> bool {
        self.path().ends_with("/auth/token")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A status, headers and a body (with its `Content-Length`).
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Wait, then reply.
    Later(Duration, Box<Reply>),
    /// A body of `len` bytes of `x`, written piece by piece (never held in memory), announced
    /// by `Content-Length` when `announced`, else chunked.
    Huge {
        status: u16,
        len: u64,
        announced: bool,
    },
    /// A chunked body that never ends.
    Endless { status: u16 },
    /// A JSON body sent chunked (no `Content-Length`), in chunks of `chunk` bytes, as proxies
    /// and compression send bodies.
    Chunked {
        status: u16,
        body: Vec<u8>,
        chunk: usize,
    },
    /// Close the connection without a word.
    Hangup,
    /// Say nothing, and count the connection in [`Hostile::closed_by_client`] when the client
    /// closes it: how a test sees a request the client gave up.
    Silent,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply::Full {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    pub fn header(self, name: &str, value: &str) -> Self {
        match self {
            Reply::Full {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Reply::Full {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }

    pub fn after(self, wait: Duration) -> Self {
        Reply::Later(wait, Box::new(self))
    }

    /// A token response.
    pub fn token(access_token: &str, expires_in: Value) -> Self {
        Reply::json(
            200,
            json!({"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in}),
        )
    }
}

/// A running hostile server; stops when dropped.
pub struct Hostile {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
    closed_by_client: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
    _watchdog: crate::common::Watchdog,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Script = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

impl Hostile {
    /// Serves `script`'s replies on 127.0.0.1 and a free port.
    pub async fn start(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let closed_by_client = Arc::new(AtomicUsize::new(0));
        let script: Script = Arc::new(script);
        let task = tokio::spawn({
            let seen = seen.clone();
            let connections = connections.clone();
            let closed_by_client = closed_by_client.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(serve(
                        stream,
                        script.clone(),
                        seen.clone(),
                        closed_by_client.clone(),
                    ));
                }
            }
        });
        Self {
            base_url,
            seen,
            connections,
            closed_by_client,
            task,
            _watchdog: crate::common::Watchdog::start(),
        }
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many connections given a [`Reply::Silent`] the client has closed.
    pub fn closed_by_client(&self) -> usize {
        self.closed_by_client.load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> usize {
        self.seen().iter().filter(|s| s.is_token_request()).count()
    }

    pub fn api_requests(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| !s.is_token_request())
            .collect()
    }
}

/// One request per connection: read it, record it, reply, close.
async fn serve(
    stream: TcpStream,
    script: Script,
    seen: Arc<Mutex<Vec<Seen>>>,
    closed_by_client: Arc<AtomicUsize>,
) {
    let mut stream = BufReader::new(stream);
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    seen.lock().unwrap().push(request.clone());
    match script(&request) {
        Reply::Silent => {
            let mut rest = Vec::new();
            if stream.read_to_end(&mut rest).await.is_ok() {
                closed_by_client.fetch_add(1, Ordering::SeqCst);
            }
        }
        reply => {
            let _ = write_reply(stream.get_mut(), reply).await;
        }
    }
}

async fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut request_line = String::new();
    stream.read_line(&mut request_line).await.ok()?;
    let request_line = request_line.trim_end().to_string();
    let mut parts = request_line.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await.ok()? == 0 || headers.len() > 100 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    stream.read_exact(&mut body).await.ok()?;
    Some(Seen {
        request_line,
        method,
        target,
        headers,
        body,
    })
}

async fn write_reply(stream: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    let mut reply = reply;
    while let Reply::Later(wait, next) = reply {
        tokio::time::sleep(wait).await;
        reply = *next;
    }
    const PIECE: usize = 64 * 1024;
    match reply {
        Reply::Later(..) => unreachable!("unwrapped above"),
        Reply::Hangup | Reply::Silent => Ok(()),
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("connection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await
        }
        Reply::Huge {
            status,
            len,
            announced,
        } => {
            let framing = if announced {
                format!("content-length: {len}")
            } else {
                "transfer-encoding: chunked".to_string()
            };
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{framing}\r\nconnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            let piece = vec![b'x'; PIECE];
            let mut left = len;
            while left > 0 {
                let n = left.min(PIECE as u64) as usize;
                if announced {
                    stream.write_all(&piece[..n]).await?;
                } else {
                    stream.write_all(format!("{n:x}\r\n").as_bytes()).await?;
                    stream.write_all(&piece[..n]).await?;
                    stream.write_all(b"\r\n").await?;
                }
                left -= n as u64;
            }
            if !announced {
                stream.write_all(b"0\r\n\r\n").await?;
            }
            Ok(())
        }
        Reply::Chunked {
            status,
            body,
            chunk,
        } => {
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            for piece in body.chunks(chunk.max(1)) {
                stream
                    .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
                stream.write_all(piece).await?;
                stream.write_all(b"\r\n").await?;
            }
            stream.write_all(b"0\r\n\r\n").await
        }
        Reply::Endless { status } => {
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            let piece = vec![b' '; PIECE];
            loop {
                stream
                    .write_all(format!("{PIECE:x}\r\n").as_bytes())
                    .await?;
                stream.write_all(&piece).await?;
                stream.write_all(b"\r\n").await?;
            }
        }
    }
}
