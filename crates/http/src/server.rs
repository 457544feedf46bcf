//! # The HTTP server: one task per connection, several requests per connection
//!
//! This is what Apache does on port 80, in miniature. The server process runs
//! permanently; [`serve`] accepts TCP connections and gives each to its own
//! task, so one slow browser never stalls another (one server, many clients).
//! On each connection the conversation is always the same — the client
//! initiates, the server answers:
//!
//! 1. read bytes until a whole request head has arrived ([`crate::request`]);
//! 2. read the request body, if any, and throw it away (GET and HEAD do not
//!    use one, but the next request only starts after it): its end is given
//!    by `Content-Length`, or by chunked framing ([`crate::chunked`]), which
//!    RFC 9112 §7 says every HTTP/1.1 server must be able to read;
//! 3. decide the answer (`route`): the "what your browser said" page on `/`,
//!    a file from `--root` (or `304 Not Modified` when the browser already
//!    has it: [`crate::conditional`]), or an error page;
//! 4. write the answer, then go back to 1 — HTTP/1.1 *keep-alive*: the same
//!    connection carries the next request, which saves a TCP handshake.
//!
//! Every resource a client can make the server spend is bounded, and each
//! bound is a flag: the head size and header count ([`Limits`]), the body
//! size (`--max-body`, also for chunked bodies), the time to send a request
//! head or body (`--read-timeout`, which also closes idle keep-alive
//! connections and cuts off a client that stops reading), and the number of
//! connections served at once (`--max-connections`: when reached, the server
//! simply stops accepting, and new clients wait in the OS's queue until a
//! connection ends).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use netkit::NetError;
use netkit::logging::count;
use netkit::trace::{Tap, Traced};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::page::{self, Visit};
use crate::request::{self, BodyFraming, ChunkedBody, Limits, Parsed, Rejection, Request, Version};
use crate::response::{Head, Status, http_date};
use crate::{conditional, files};

/// The default port: 8080, the usual "alternative HTTP" port.
///
/// netlab's rule (well-known port + 10000) would give 10080, but browsers
/// refuse to connect to 10080: it is on their list of blocked ports (it was
/// used by the Amanda backup system, and the list keeps browsers from being
/// used to attack such services). 8080 is what every course and tutorial uses.
pub const DEFAULT_PORT: u16 = 8080;

/// Everything the server needs besides its socket.
#[derive(Debug, Clone)]
pub struct Config {
    /// Serve files from this folder (must be canonical: see
    /// [`std::fs::canonicalize`]). `None`: only the request page on `/`.
    pub root: Option<PathBuf>,
    /// Limits on each request.
    pub limits: Limits,
    /// How long a client has to send a whole request head, then its body;
    /// also how long an idle keep-alive connection is kept, and how long a
    /// write may stall. Must be more than 0 (the binary refuses 0).
    pub read_timeout: Duration,
    /// How many connections are served at once.
    pub max_connections: usize,
    /// `--trace`: log every byte in both directions.
    pub trace: bool,
    /// How long live connections may finish after Ctrl-C.
    pub grace: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            root: None,
            limits: Limits::default(),
            // Long enough for a student typing a request by hand with raw-client.
            read_timeout: Duration::from_secs(60),
            max_connections: 256,
            trace: false,
            grace: Duration::from_secs(2),
        }
    }
}

/// Serves HTTP on `listener` until `shutdown` is cancelled (Ctrl-C), then
/// lets open connections finish for `config.grace`.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), NetError> {
    let local = netkit::net::local_addr(&listener)?;
    netkit::net::make_room_for(config.max_connections, "--max-connections");
    let config = Arc::new(config);
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let tracker = TaskTracker::new();
    let force_close = CancellationToken::new();
    loop {
        // Backpressure: take a free slot *before* accepting. When every slot
        // is busy the server stops accepting; new clients wait in the OS's
        // backlog instead of piling up in our memory.
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                warn!(
                    "{} connections open: the limit (--max-connections) is reached, new clients wait",
                    config.max_connections
                );
                tokio::select! {
                    slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                    () = shutdown.cancelled() => break,
                }
            }
        };
        let Some((stream, peer)) = netkit::net::accept(&listener, &shutdown).await else {
            break;
        };
        let open = config.max_connections.max(1) - slots.available_permits();
        let config = config.clone();
        let shutdown = shutdown.clone();
        let force_close = force_close.clone();
        tracker.spawn(async move {
            tokio::select! {
                () = connection(stream, peer, local, open, &config, &shutdown) => {}
                () = force_close.cancelled() => info!("client {peer}: connection closed by the shutdown"),
            }
            drop(slot);
        });
    }
    drop(listener); // new clients are now refused by the OS
    netkit::shutdown::drain(&tracker, config.grace, &force_close).await;
    info!("server stopped");
    Ok(())
}

/// Why a connection ended, for its last log line.
#[derive(Debug)]
enum End {
    ClientClosed,
    ClosedMidRequest,
    Idle,
    Shutdown,
    /// The client did not want the connection kept: `Connection: close` in
    /// HTTP/1.1, no `Connection: keep-alive` in HTTP/1.0.
    ClientAsked(Version),
    /// A request was refused with this status (4xx/5xx): after such an
    /// answer the server closes, because it may not know where the next
    /// request would start.
    Refused(Status),
    Failed(String),
}

impl End {
    /// The reason, in words, for the log.
    fn describe(&self, config: &Config) -> String {
        match self {
            End::ClientClosed => "the client closed the connection".into(),
            End::ClosedMidRequest => {
                "the client closed the connection in the middle of a request".into()
            }
            End::Idle => format!(
                "idle for {} s (--read-timeout)",
                config.read_timeout.as_secs_f64()
            ),
            End::Shutdown => "the server is shutting down".into(),
            End::ClientAsked(Version::Http11) => {
                "the client asked to close (Connection: close)".into()
            }
            End::ClientAsked(Version::Http10) => {
                "an HTTP/1.0 client without Connection: keep-alive gets one answer per connection"
                    .into()
            }
            End::Refused(status) => {
                format!("its request was refused ({status}), so the server closed the connection")
            }
            End::Failed(why) => why.clone(),
        }
    }
}

/// One client's connection, from its first byte to its close.
/// `open` is how many connections are open, this one included.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    open: usize,
    config: &Config,
    shutdown: &CancellationToken,
) {
    let tap = Tap::new(peer, config.trace);
    info!(
        "client {peer} connected ({} open)",
        count(open as u64, "connection", "connections")
    );
    let _ = stream.set_nodelay(true);
    // The address this client reached, which the request page shows: on a
    // server listening on 0.0.0.0, the listener's own address says nothing
    // (a connection always arrives at one real address of this machine).
    let local = stream
        .local_addr()
        .map(netkit::net::canonical)
        .unwrap_or(local);
    let (reader, writer) = stream.into_split();
    let mut conn = Connection {
        reader: Traced::new(reader, tap.clone()),
        writer: BufWriter::new(Traced::new(writer, tap.clone())),
        buf: Vec::new(),
        peer,
        local,
        config,
        requests: 0,
    };
    let end = conn.run(shutdown).await;
    info!(
        "client {peer} left after {}, {}: {}",
        count(conn.requests, "request", "requests"),
        end.describe(config),
        tap.counts()
    );
}

/// Why reading a request (head or body) stopped.
enum Stop {
    /// The connection is over, without an answer (the client left, it was idle…).
    End(End),
    /// The request is refused: answer with this status, then close.
    Refuse(Rejection),
}

/// The body of an answer.
enum Body {
    Bytes(Vec<u8>),
    File(tokio::fs::File, u64),
}

/// An answer: head, body, and whether to close the connection after it.
struct Reply {
    head: Head,
    body: Body,
    close: bool,
}

struct Connection<'a, R, W> {
    reader: R,
    writer: W,
    /// Bytes received but not used yet: at most one head (bounded by the limits).
    buf: Vec<u8>,
    peer: SocketAddr,
    local: SocketAddr,
    config: &'a Config,
    requests: u64,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Connection<'_, R, W> {
    async fn run(&mut self, shutdown: &CancellationToken) -> End {
        loop {
            let request = match self.next_request(shutdown).await {
                Ok(request) => request,
                Err(Stop::End(end)) => return end,
                Err(Stop::Refuse(rejection)) => {
                    // The head was refused, but its first word may be known.
                    // (After the empty lines a server skips before a request.)
                    let head_only = self.buf.trim_ascii_start().starts_with(b"HEAD ");
                    return self.refuse(rejection, head_only).await;
                }
            };
            self.requests += 1;
            // A client that asked "may I send the body?" (curl does, for large
            // bodies) waits for this interim answer before sending it.
            // (RFC 9110 §10.1.1: an HTTP/1.0 client cannot understand it, so
            // the expectation is ignored there.)
            let expects_continue = request.version == Version::Http11
                && request
                    .header("expect")
                    .is_some_and(|v| v.eq_ignore_ascii_case(b"100-continue"));
            // RFC 9110 §10.1.1: when the answer is known from the method
            // alone (405 or 501: this server takes no uploads), it is sent at once
            // instead of "100 Continue", so the client does not send a body
            // only to have it thrown away. That body is then never read, so
            // the connection cannot carry another request: it closes.
            let refused_before_body = expects_continue
                && request.has_body()
                && self.buf.is_empty()
                && !answers_method(&request.method);
            if expects_continue && request.has_body() && self.buf.is_empty() && !refused_before_body
            {
                // Bounded like any answer: a client that stopped reading
                // (earlier answers still fill its socket) must not hold us.
                let go_on = self
                    .write_unless_stalled(b"HTTP/1.1 100 Continue\r\n\r\n")
                    .await;
                if let Err(end) = go_on {
                    return end;
                }
                match timeout(self.config.read_timeout, self.writer.flush()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => {
                        return End::Failed("the client left before sending its body".into());
                    }
                    Err(_) => return stopped_reading(),
                }
            }
            let body = match request.body {
                _ if refused_before_body => Ok(()),
                BodyFraming::Length(len) => self.skip_body(len).await,
                BodyFraming::Chunked => self.skip_chunked_body().await,
            };
            match body {
                Ok(()) => {}
                Err(Stop::End(end)) => return end,
                // An answer to HEAD never has a body (RFC 9110 §9.3.2), refusals included.
                Err(Stop::Refuse(rejection)) => {
                    return self.refuse(rejection, request.method == "HEAD").await;
                }
            }
            let visit = Visit {
                client: self.peer,
                server: self.local,
                nth: self.requests,
            };
            let mut reply = route(&request, &visit, self.config).await;
            reply.close |= refused_before_body;
            let keep_alive = request.keep_alive() && !reply.close && !shutdown.is_cancelled();
            // The one place where an answer gets its Connection header.
            reply.head = if keep_alive {
                if request.version == Version::Http10 {
                    reply.head.header("Connection", "keep-alive")
                } else {
                    reply.head
                }
            } else {
                reply.head.header("Connection", "close")
            };
            let status = reply.head.status();
            let length = match &reply.body {
                Body::Bytes(b) => b.len() as u64,
                Body::File(_, len) => *len,
            };
            // One line per request, like Apache's access log (with the User-Agent,
            // as in its "combined" format).
            info!(
                "{} {:?} → {status} ({length} bytes) {:?}",
                self.peer,
                format!("{} {} {}", request.method, request.target, request.version),
                request
                    .header_text("user-agent")
                    .unwrap_or_else(|| "-".into())
            );
            let closes_after = reply.close;
            if let Err(end) = self.send(reply, request.method == "HEAD").await {
                return end;
            }
            if !keep_alive {
                self.linger().await;
                return if closes_after {
                    End::Refused(status)
                } else if shutdown.is_cancelled() {
                    End::Shutdown
                } else {
                    End::ClientAsked(request.version)
                };
            }
        }
    }

    /// Answers a refused request with its error page (only its head, for a
    /// `HEAD`), then closes the connection (gently: see
    /// [`Connection::linger`]). A client that does not take the answer is
    /// cut off like any other: its error page cannot hold the connection.
    async fn refuse(&mut self, rejection: Rejection, head_only: bool) -> End {
        warn!(
            "client {}: {} — {}",
            self.peer, rejection.status, rejection.reason
        );
        let mut reply = error_reply(rejection.status, &rejection.reason, true);
        reply.head = reply.head.header("Connection", "close");
        if let Err(end) = self.send(reply, head_only).await {
            return end;
        }
        self.linger().await;
        End::Refused(rejection.status)
    }

    /// Reads until a whole request head is in `buf`, within `--read-timeout`.
    async fn next_request(&mut self, shutdown: &CancellationToken) -> Result<Request, Stop> {
        let limits = self.config.limits;
        // While idle, this bounds the wait for a next request; from its
        // first byte, the time the whole head may take.
        let mut deadline = Instant::now() + self.config.read_timeout;
        let mut chunk = [0u8; 4096];
        loop {
            if !self.buf.is_empty() {
                match request::parse(&self.buf, &limits) {
                    Ok(Parsed::Complete(request)) => {
                        self.buf.drain(..request.raw_head.len());
                        return Ok(request);
                    }
                    Ok(Parsed::Partial) => {}
                    Err(rejection) => return Err(Stop::Refuse(rejection)),
                }
            }
            // Never buffer more than one head's worth: parse() refuses a head
            // at max_head_bytes, so one byte more is all it ever needs to see.
            let room = (limits.max_head_bytes + 1)
                .saturating_sub(self.buf.len())
                .clamp(1, chunk.len());
            // Idle: no request begun. Line ends alone begin none: a server
            // ignores empty lines before a request (RFC 9112 §2.2), and some
            // clients send one after a request. Counted as a request, such
            // a line got a 408 the client could take for the answer to its
            // next request, and kept Ctrl-C from closing the connection.
            let idle = self.buf.iter().all(|&b| b == b'\r' || b == b'\n');
            let read = tokio::select! {
                read = timeout_at(deadline, self.reader.read(&mut chunk[..room])) => read,
                // Between requests, Ctrl-C closes the connection at once;
                // a request already arriving is finished first.
                () = shutdown.cancelled(), if idle => return Err(Stop::End(End::Shutdown)),
            };
            match read {
                Ok(Ok(0)) if idle => return Err(Stop::End(End::ClientClosed)),
                Ok(Ok(0)) => return Err(Stop::End(End::ClosedMidRequest)),
                Ok(Ok(n)) => {
                    // A request's first byte starts the time its head may
                    // take. Empty lines start nothing, and must not push the
                    // idle deadline back either: one every few seconds would
                    // hold the connection open for ever, at no cost to the
                    // client (not even reading an answer).
                    if idle && chunk[..n].iter().any(|&b| b != b'\r' && b != b'\n') {
                        deadline = Instant::now() + self.config.read_timeout;
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                Ok(Err(e)) => {
                    return Err(Stop::End(End::Failed(netkit::error::describe_io(&e))));
                }
                // Browsers open connections in advance and may never use
                // them: an idle connection is closed without a word.
                Err(_) if idle => return Err(Stop::End(End::Idle)),
                Err(_) => return Err(Stop::Refuse(self.too_slow("request"))),
            }
        }
    }

    /// The 408 answer for a request (or its body) that did not arrive in time.
    fn too_slow(&self, what: &str) -> Rejection {
        Rejection {
            status: Status::RequestTimeout,
            reason: format!(
                "the {what} did not arrive completely within {} s (--read-timeout)",
                self.config.read_timeout.as_secs_f64()
            ),
        }
    }

    /// Reads more bytes of the request body into `into`, before `deadline`:
    /// a body that stops arriving gets 408, like a head.
    async fn read_more(&mut self, deadline: Instant, into: &mut [u8]) -> Result<usize, Stop> {
        match timeout_at(deadline, self.reader.read(into)).await {
            Ok(Ok(0)) => Err(Stop::End(End::ClosedMidRequest)),
            Ok(Ok(n)) => Ok(n),
            Ok(Err(e)) => Err(Stop::End(End::Failed(netkit::error::describe_io(&e)))),
            Err(_) => Err(Stop::Refuse(self.too_slow("request body"))),
        }
    }

    /// Reads and forgets `len` bytes of request body (its size was checked
    /// against `--max-body` already), within `--read-timeout`.
    async fn skip_body(&mut self, len: u64) -> Result<(), Stop> {
        let from_buf = self
            .buf
            .len()
            .min(usize::try_from(len).unwrap_or(usize::MAX));
        self.buf.drain(..from_buf);
        let mut left = len - from_buf as u64;
        let deadline = Instant::now() + self.config.read_timeout;
        let mut chunk = [0u8; 4096];
        while left > 0 {
            let want = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            left -= self.read_more(deadline, &mut chunk[..want]).await? as u64;
        }
        Ok(())
    }

    /// Reads and forgets a chunked request body, within `--read-timeout`
    /// and the limits [`ChunkedBody`] applies (413 for too much data or too
    /// much framing, 400 for broken framing). Bytes after its end (a
    /// pipelined request) stay in `buf`.
    async fn skip_chunked_body(&mut self) -> Result<(), Stop> {
        let deadline = Instant::now() + self.config.read_timeout;
        let mut body = ChunkedBody::new(&self.config.limits);
        // (Named `piece`, not `chunk`: HTTP's chunks are something else.)
        let mut piece = [0u8; 4096];
        loop {
            let used = body.read(&self.buf).map_err(Stop::Refuse)?;
            self.buf.drain(..used);
            if body.is_done() {
                return Ok(());
            }
            let n = self.read_more(deadline, &mut piece).await?;
            self.buf.extend_from_slice(&piece[..n]);
        }
    }

    /// Writes an answer (without its body for HEAD). A client that accepts
    /// no byte of it for `--read-timeout` (it stopped reading) loses the
    /// connection, so it cannot hold a slot forever; one that reads slowly
    /// but steadily gets the whole answer, however long that takes.
    async fn send(&mut self, reply: Reply, head_only: bool) -> Result<(), End> {
        let head = reply.head.to_bytes();
        self.write_unless_stalled(&head).await?;
        if !head_only {
            match reply.body {
                Body::Bytes(bytes) => self.write_unless_stalled(&bytes).await?,
                Body::File(mut file, len) => {
                    // A file is sent piece by piece: memory use does not depend on its size.
                    let mut left = len;
                    let mut chunk = vec![0u8; 64 * 1024];
                    while left > 0 {
                        let want = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                        let n = file
                            .read(&mut chunk[..want])
                            .await
                            .map_err(|e| failed_while_answering(&e))?;
                        if n == 0 {
                            return Err(End::Failed(
                                "the file became shorter while it was sent".into(),
                            ));
                        }
                        self.write_unless_stalled(&chunk[..n]).await?;
                        left -= n as u64;
                    }
                }
            }
        }
        match timeout(self.config.read_timeout, self.writer.flush()).await {
            Ok(result) => result.map_err(|e| failed_while_answering(&e)),
            Err(_) => Err(stopped_reading()),
        }
    }

    /// Writes all of `bytes`. The `--read-timeout` clock restarts whenever
    /// the client accepts some of them: only one that takes none runs out.
    async fn write_unless_stalled(&mut self, mut bytes: &[u8]) -> Result<(), End> {
        while !bytes.is_empty() {
            let written = match timeout(self.config.read_timeout, self.writer.write(bytes)).await {
                Ok(Ok(0)) => {
                    return Err(failed_while_answering(
                        &std::io::ErrorKind::WriteZero.into(),
                    ));
                }
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(failed_while_answering(&e)),
                Err(_) => return Err(stopped_reading()),
            };
            bytes = &bytes[written..];
        }
        Ok(())
    }

    /// After the last answer on a connection (a refusal, `Connection: close`,
    /// the server shutting down), close *gently*: say we are done sending,
    /// then read (and forget) what the client was still sending, for a
    /// moment. Closing a socket with unread data makes the OS send a reset,
    /// which can destroy our last answer before the client reads it.
    async fn linger(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(1);
        // Bounded too: shutting down flushes what is still buffered.
        let _ = timeout_at(deadline, self.writer.shutdown()).await;
        let mut chunk = [0u8; 4096];
        let mut budget: usize = 1024 * 1024;
        while budget > 0 {
            match timeout_at(deadline, self.reader.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => budget = budget.saturating_sub(n),
                _ => return,
            }
        }
    }
}

fn failed_while_answering(e: &std::io::Error) -> End {
    End::Failed(format!(
        "while answering: {}",
        netkit::error::describe_io(e)
    ))
}

fn stopped_reading() -> End {
    End::Failed("the client stopped reading the answer".into())
}

/// Whether this server answers `method` at all (GET and HEAD: it serves
/// files); any other gets 405 or 501 whatever its target (see
/// `method_refusal`).
fn answers_method(method: &str) -> bool {
    method == "GET" || method == "HEAD"
}

/// The methods RFC 9110 §9 defines, and PATCH (RFC 5789): the ones this
/// server knows, even though it answers only two of them.
const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The answer to a method this server does not answer (not GET nor HEAD).
///
/// Two statuses, as RFC 9110 asks (§9.1, §15.5.6, §15.6.2): `405 Method
/// Not Allowed`, with the `Allow` header listing what would work, for a
/// method the server knows (POST: "I know it, not here"); `501 Not
/// Implemented` for one it does not know at all. Method names are
/// case-sensitive: `get` is not `GET`, it is an unknown method.
fn method_refusal(method: &str) -> Reply {
    if KNOWN_METHODS.contains(&method) {
        let mut reply = error_reply(
            Status::MethodNotAllowed,
            &format!("this server only answers GET and HEAD, not {method}"),
            false,
        );
        reply.head = reply.head.header("Allow", "GET, HEAD");
        return reply;
    }
    let hint = KNOWN_METHODS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(method))
        .map(|known| format!(" (method names are case-sensitive: did you mean {known}?)"))
        .unwrap_or_default();
    error_reply(
        Status::NotImplemented,
        &format!("{method} is not a method this server knows{hint}; it answers GET and HEAD"),
        false,
    )
}

/// Decides the answer to a request.
async fn route(request: &Request, visit: &Visit, config: &Config) -> Reply {
    if !answers_method(&request.method) {
        return method_refusal(&request.method);
    }
    let path = request.path().to_string();
    let Some(root) = config.root.clone() else {
        if path == "/" {
            return request_page_reply(request, visit);
        }
        return error_reply(
            Status::NotFound,
            &format!(
                "there is no page at {path}: this server only has / (start it with --root DIR to serve files)"
            ),
            false,
        );
    };
    // Looking at the disk blocks: do it on a thread made for that.
    let lookup = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || files::resolve(&root, &path)).await
    };
    match lookup {
        Ok(Ok(file)) => match open(&file).await {
            Ok((handle, len, modified)) => {
                let now = jiff::Timestamp::now();
                file_reply(request, &file, handle, len, modified, now)
            }
            // The server's own user may not read the file (chmod): say so
            // in words, and keep the OS's details for the server's log.
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                warn!("{}: permission denied", file.display());
                error_reply(
                    Status::Forbidden,
                    &format!("the server is not allowed to read {path} (file permissions)"),
                    false,
                )
            }
            Err(e) => {
                warn!("{}: {}", file.display(), netkit::error::describe_io(&e));
                error_reply(
                    Status::InternalError,
                    &format!("the file at {path} could not be read"),
                    false,
                )
            }
        },
        // No index.html at the top of --root: show the request page instead.
        Ok(Err((Status::NotFound, _))) if path == "/" => request_page_reply(request, visit),
        Ok(Err((Status::MovedPermanently, why))) => {
            // Same address plus "/", query kept: `/docs?x` → `/docs/?x`.
            // Rebuilt from the path's segments, so that it always starts with
            // exactly one "/": `//docs/` would send a browser to the *site*
            // http://docs/ (an "open redirect").
            let query = request
                .target
                .find('?')
                .map_or("", |i| &request.target[i..]);
            // A Location is a URI, so ASCII (RFC 3986 §2.1): a target that
            // came with raw UTF-8 (`/dé`, from a hand-typed request) is sent
            // back %-encoded, as a browser would have sent it.
            let location = crate::url::percent_encode_non_ascii(&format!(
                "{}{query}",
                files::folder_location(&path)
            ));
            let mut reply = error_reply(Status::MovedPermanently, &why, false);
            reply.head = reply.head.header("Location", location);
            reply
        }
        Ok(Err((status, why))) => error_reply(status, &why, status == Status::BadRequest),
        Err(_) => error_reply(Status::InternalError, "the file lookup failed", false),
    }
}

/// Opens a file: its handle, its length, and when it was last modified
/// (`None` on the rare systems that do not record it).
async fn open(
    path: &std::path::Path,
) -> std::io::Result<(tokio::fs::File, u64, Option<SystemTime>)> {
    let file = tokio::fs::File::open(path).await?;
    let metadata = file.metadata().await?;
    Ok((file, metadata.len(), metadata.modified().ok()))
}

/// The answer for a file: `200 OK` with the file and its `Last-Modified`
/// date, or `304 Not Modified` when the client's copy is still good
/// (see [`crate::conditional`]).
///
/// `now` is the answer's one reading of the clock: its `Date`, the latest
/// `Last-Modified` it may give (RFC 9110 §8.8.2.1), and the "now" the
/// client's date is read against. Two readings could disagree.
fn file_reply(
    request: &Request,
    path: &std::path::Path,
    handle: tokio::fs::File,
    len: u64,
    modified: Option<SystemTime>,
    now: jiff::Timestamp,
) -> Reply {
    let mut head = Head::at(Status::Ok, now)
        .header("Content-Type", files::content_type(path))
        .header("Content-Length", len.to_string());
    let last_modified = modified.and_then(|m| conditional::last_modified(m, now));
    // "Only if unchanged" first, then "only if changed" (RFC 9110 §13.2.2).
    if conditional::precondition_failed(request, last_modified, now) {
        return precondition_failed_reply(request, last_modified);
    }
    // Without a modification time there is no date to give, and so no date
    // a client could send back; `If-None-Match: *` still gets its 304.
    if conditional::not_modified(request, last_modified, now) {
        // A 304 carries no body. Content-Type is left out, as RFC 9110
        // §15.4.5 asks of a representation's metadata; Content-Length
        // could repeat the 200's (§8.6), but is optional and left out
        // too. Last-Modified tells the browser its copy's date.
        let mut head = Head::at(Status::NotModified, now);
        if let Some(last_modified) = last_modified {
            head = head.header("Last-Modified", http_date(last_modified));
        }
        return Reply {
            head,
            body: Body::Bytes(Vec::new()),
            close: false,
        };
    }
    if let Some(last_modified) = last_modified {
        head = head.header("Last-Modified", http_date(last_modified));
    }
    Reply {
        head,
        body: Body::File(handle, len),
        close: false,
    }
}

/// The `412 Precondition Failed` page, naming the condition that failed
/// (see [`conditional::precondition_failed`]).
fn precondition_failed_reply(request: &Request, last_modified: Option<jiff::Timestamp>) -> Reply {
    let why = match last_modified {
        Some(last_modified) if request.header("if-match").is_none() => format!(
            "If-Unmodified-Since gives an earlier date than its Last-Modified, {}",
            http_date(last_modified)
        ),
        // `If-Match:` with nothing after it is a list of no tags (RFC 9110
        // §5.6.1: a list may be empty), not "no condition": the client
        // asked for a condition, and no tag it named can match.
        _ if request.header("if-match").is_some_and(|tags| {
            tags.split(|&b| b == b',')
                .all(|t| t.trim_ascii().is_empty())
        }) =>
        {
            "If-Match is empty: it is a list of no entity tags, so none can match \
             (only If-Match: * is true; to ask for no condition, send no If-Match at all)"
                .to_string()
        }
        _ => "If-Match names entity tags, and this server sends none, so none can match \
              (only If-Match: * can)"
            .to_string(),
    };
    error_reply(
        Status::PreconditionFailed,
        &format!("{} was asked for only if unchanged: {why}", request.path()),
        false,
    )
}

/// The request page. It has no date and no entity tag, but it exists, so
/// the conditions about tags apply to it as to a file (RFC 9110 §13.1.1,
/// §13.1.2): a false `If-Match` ("only if it is the copy with this tag")
/// gets 412, and `If-None-Match: *` ("only if you have none") gets 304.
fn request_page_reply(request: &Request, visit: &Visit) -> Reply {
    let now = jiff::Timestamp::now();
    if conditional::precondition_failed(request, None, now) {
        return precondition_failed_reply(request, None);
    }
    if conditional::not_modified(request, None, now) {
        // RFC 9110 §15.4.5: a 304 carries the Cache-Control the 200 would
        // have had, so the client still keeps no copy of this page.
        return Reply {
            head: Head::at(Status::NotModified, now).header("Cache-Control", "no-store"),
            body: Body::Bytes(Vec::new()),
            close: false,
        };
    }
    // The page shows the method, and the request's bytes: made for HEAD, it
    // would be 2 bytes longer than for GET. But a HEAD answer must announce
    // the Content-Length that GET would send (RFC 9110 §9.3.2 and §8.6), so
    // the page is made for the GET that the HEAD stands for (its body is not
    // sent anyway).
    let body = match request.as_get() {
        Some(get) => page::request_page(&get, visit),
        None => page::request_page(request, visit),
    }
    .into_bytes();
    Reply {
        head: Head::new(Status::Ok)
            .header("Content-Type", "text/html; charset=utf-8")
            .header("Content-Length", body.len().to_string())
            // The page shows *this* request: never reuse an old copy.
            .header("Cache-Control", "no-store"),
        body: Body::Bytes(body),
        close: false,
    }
}

/// An error page. `close`: the connection must end after it (the caller
/// adds the `Connection: close` header, once).
fn error_reply(status: Status, explanation: &str, close: bool) -> Reply {
    let body = page::error_page(status, explanation).into_bytes();
    let head = Head::new(status)
        .header("Content-Type", "text/html; charset=utf-8")
        .header("Content-Length", body.len().to_string());
    Reply {
        head,
        body: Body::Bytes(body),
        close,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts a server in-process on a free port.
    async fn start(
        config: Config,
    ) -> (
        SocketAddr,
        CancellationToken,
        tokio::task::JoinHandle<Result<(), NetError>>,
    ) {
        let listener = netkit::net::bind_tcp("127.0.0.1", 0).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(serve(listener, config, shutdown.clone()));
        (addr, shutdown, task)
    }

    /// Sends `request` and reads until the server closes (bounded).
    async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut out = Vec::new();
        timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
            .await
            .unwrap()
            .unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    /// A client that reads slowly but steadily: each write takes at most
    /// `piece` bytes, one every `pace`; `None` never takes anything.
    struct SlowReader {
        taken: Vec<u8>,
        piece: Option<usize>,
        pace: Duration,
        next: std::pin::Pin<Box<tokio::time::Sleep>>,
    }

    impl SlowReader {
        fn new(piece: Option<usize>, pace: Duration) -> SlowReader {
            SlowReader {
                taken: Vec::new(),
                piece,
                pace,
                next: Box::pin(tokio::time::sleep(pace)),
            }
        }
    }

    impl AsyncWrite for SlowReader {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            bytes: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let Some(piece) = self.piece else {
                return std::task::Poll::Pending;
            };
            std::task::ready!(self.next.as_mut().poll(cx));
            let n = bytes.len().min(piece);
            self.taken.extend_from_slice(&bytes[..n]);
            let at = tokio::time::Instant::now() + self.pace;
            self.next.as_mut().reset(at);
            std::task::Poll::Ready(Ok(n))
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// A connection for a unit test, on made-up addresses.
    fn test_connection<R, W>(reader: R, writer: W, config: &Config) -> Connection<'_, R, W> {
        let addr: SocketAddr = ([127, 0, 0, 1], 1).into();
        Connection {
            reader,
            writer,
            buf: Vec::new(),
            peer: addr,
            local: addr,
            config,
            requests: 0,
        }
    }

    /// The header `name` of a head, as sent.
    fn sent_header(head: &Head, name: &str) -> Option<String> {
        let text = String::from_utf8(head.to_bytes()).unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .map(str::to_string)
    }

    /// RFC 9110 §8.8.2.1: `Last-Modified` is never later than the `Date`
    /// of the same answer. Both come from one reading of the clock: a
    /// file modified after it (here, a server whose clock says 2001) is
    /// dated exactly the answer's `Date`, on a 200 as on a 304.
    #[tokio::test]
    async fn last_modified_is_never_later_than_the_date_of_its_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "hi").unwrap();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let now: jiff::Timestamp = "2001-02-03T04:05:06.7Z".parse().unwrap();
        let expected = "Sat, 03 Feb 2001 04:05:06 GMT";
        let ask = |headers: &str| {
            let text = format!("GET /a.txt HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
            match request::parse(text.as_bytes(), &Limits::default()) {
                Ok(Parsed::Complete(request)) => request,
                _ => panic!("not a request: {text:?}"),
            }
        };
        let open = || tokio::fs::File::from_std(std::fs::File::open(&path).unwrap());

        let ok = file_reply(&ask(""), &path, open(), 2, Some(modified), now);
        assert_eq!(ok.head.status(), Status::Ok);
        assert_eq!(sent_header(&ok.head, "Date").as_deref(), Some(expected));
        assert_eq!(
            sent_header(&ok.head, "Last-Modified").as_deref(),
            Some(expected)
        );

        // The date sent back is the answer's own: "not modified since".
        let since = format!("If-Modified-Since: {expected}\r\n");
        let not_modified = file_reply(&ask(&since), &path, open(), 2, Some(modified), now);
        assert_eq!(not_modified.head.status(), Status::NotModified);
        assert_eq!(
            sent_header(&not_modified.head, "Date").as_deref(),
            Some(expected)
        );
        assert_eq!(
            sent_header(&not_modified.head, "Last-Modified").as_deref(),
            Some(expected)
        );
    }

    /// The default configuration with a short `--read-timeout`.
    fn quick_config(read_timeout_ms: u64) -> Config {
        Config {
            read_timeout: Duration::from_millis(read_timeout_ms),
            ..Config::default()
        }
    }

    /// Sends a 16 KiB page to `writer` with a `--read-timeout` of 300 ms.
    async fn send_page_to(writer: SlowReader) -> (Result<(), End>, Vec<u8>) {
        let config = quick_config(300);
        let mut conn = test_connection(tokio::io::empty(), writer, &config);
        let reply = Reply {
            head: Head::new(Status::Ok),
            body: Body::Bytes(vec![b'x'; 16 * 1024]),
            close: false,
        };
        let result = timeout(Duration::from_secs(10), conn.send(reply, false))
            .await
            .expect("send ends by itself");
        (result, std::mem::take(&mut conn.writer.taken))
    }

    /// A refused request's error page, to a client that takes nothing, with
    /// a buffer in between as in the real server: closing it flushes, and
    /// that flush used to wait forever.
    // Paused time (the clock moves only when every task waits): on an
    // in-memory connection the order of the waits cannot depend on how busy
    // the machine is.
    #[tokio::test(start_paused = true)]
    async fn a_refusal_nobody_reads_does_not_hold_the_connection() {
        let config = quick_config(300);
        let mut conn = test_connection(
            tokio::io::empty(),
            tokio::io::BufWriter::new(SlowReader::new(None, Duration::ZERO)),
            &config,
        );
        let rejection = Rejection {
            status: Status::BadRequest,
            reason: "a test".into(),
        };
        let end = timeout(Duration::from_secs(5), conn.refuse(rejection, false))
            .await
            .expect("refusing ends by itself");
        assert!(matches!(end, End::Failed(_)), "{}", end.describe(&config));
    }

    /// "100 Continue" to a client that takes nothing (its socket already
    /// full of earlier answers) is bounded like any answer.
    // Paused time (the clock moves only when every task waits): on an
    // in-memory connection the order of the waits cannot depend on how busy
    // the machine is.
    #[tokio::test(start_paused = true)]
    async fn an_interim_answer_nobody_reads_does_not_hold_the_connection() {
        let config = quick_config(300);
        // GET: a POST would be refused at once, with no interim answer.
        let request: &[u8] =
            b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
        let mut conn = test_connection(
            request,
            tokio::io::BufWriter::new(SlowReader::new(None, Duration::ZERO)),
            &config,
        );
        let end = timeout(Duration::from_secs(5), conn.run(&CancellationToken::new()))
            .await
            .expect("the connection ends by itself");
        assert!(
            end.describe(&config).contains("stopped reading"),
            "{}",
            end.describe(&config)
        );
    }

    /// `--read-timeout` gives a request head its whole time from its first
    /// byte, however long the connection was idle before (it counted from
    /// the previous answer, so a head after a pause got a 408).
    // Paused time (the clock moves only when every task waits): on an
    // in-memory connection the order of the waits cannot depend on how busy
    // the machine is.
    #[tokio::test(start_paused = true)]
    async fn the_head_time_starts_with_its_first_byte() {
        use tokio::io::AsyncWriteExt;
        let config = quick_config(1000);
        let (mut client, server_side) = tokio::io::duplex(4096);
        let mut conn = test_connection(server_side, tokio::io::sink(), &config);
        let typing = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(600)).await; // idle
            client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
            tokio::time::sleep(Duration::from_millis(600)).await; // 1.2 s in all
            client.write_all(b"Host: x\r\n\r\n").await.unwrap();
            client
        });
        let request = conn.next_request(&CancellationToken::new()).await;
        assert!(request.is_ok(), "a head sent within its time is read");
        drop(typing.await);
    }

    // Paused time (the clock moves only when every task waits): on an
    // in-memory connection the order of the waits cannot depend on how busy
    // the machine is.
    #[tokio::test(start_paused = true)]
    async fn a_slow_but_steady_reader_gets_the_whole_answer() {
        // 1 KiB every 50 ms: the page takes about 0.8 s, longer than the
        // time-out, but no write waits more than 50 ms.
        let (result, taken) =
            send_page_to(SlowReader::new(Some(1024), Duration::from_millis(50))).await;
        assert!(
            result.is_ok(),
            "{:?}",
            result.err().map(|e| e.describe(&Config::default()))
        );
        assert!(taken.starts_with(b"HTTP/1.1 200 OK\r\n"));
        assert!(taken.ends_with(&[b'x'; 16 * 1024]), "{} bytes", taken.len());
    }

    // Paused time (the clock moves only when every task waits): on an
    // in-memory connection the order of the waits cannot depend on how busy
    // the machine is.
    #[tokio::test(start_paused = true)]
    async fn a_reader_that_takes_nothing_is_cut_off_after_the_time_out() {
        let started = tokio::time::Instant::now();
        let (result, taken) = send_page_to(SlowReader::new(None, Duration::ZERO)).await;
        let end = result.expect_err("a client that reads nothing cannot get the page");
        assert!(
            end.describe(&Config::default()).contains("stopped reading"),
            "{}",
            end.describe(&Config::default())
        );
        assert!(taken.is_empty());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn keep_alive_answers_pipelined_requests_in_order() {
        let (addr, shutdown, task) = start(Config::default()).await;
        let out = exchange(
            addr,
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        )
        .await;
        let statuses: Vec<&str> = out.lines().filter(|l| l.starts_with("HTTP/1.1 ")).collect();
        assert_eq!(
            statuses,
            [
                "HTTP/1.1 200 OK",
                "HTTP/1.1 404 Not Found",
                "HTTP/1.1 200 OK"
            ],
            "{out}"
        );
        assert!(out.contains("<span id=\"nth\">1</span>"));
        assert_eq!(
            out.matches("<!doctype html>").count(),
            2,
            "HEAD has no body"
        );
        shutdown.cancel();
        task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn head_announces_the_length_get_sends_for_the_request_page() {
        let (addr, shutdown, task) = start(Config::default()).await;
        // One connection, the same headers: HEAD /, GET /, then a 404 that
        // closes. The page then differs only by its request number (1 and 2).
        let out = exchange(
            addr,
            b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        )
        .await;
        let content_length = |head: &str| -> usize {
            let line = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "));
            line.expect("a Content-Length").parse().unwrap()
        };
        let (head_answer, rest) = out.split_once("\r\n\r\n").unwrap();
        assert!(head_answer.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        let (get_head, rest) = rest.split_once("\r\n\r\n").unwrap();
        let get_body = &rest[..rest.find("HTTP/1.1 404 Not Found\r\n").unwrap()];
        assert_eq!(content_length(get_head), get_body.len(), "{out}");
        assert_eq!(
            content_length(head_answer),
            get_body.len(),
            "HEAD must announce what GET sends: {out}"
        );
        shutdown.cancel();
        task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn http_1_0_clients_never_get_100_continue() {
        let (addr, _shutdown, _task) = start(Config::default()).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // The head alone: an HTTP/1.1 client would now get "100 Continue".
        stream
            .write_all(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
            .await
            .unwrap();
        let mut byte = [0u8; 1];
        assert!(
            timeout(Duration::from_millis(300), stream.read(&mut byte))
                .await
                .is_err(),
            "nothing may be sent before the body: HTTP/1.0 has no 100 Continue"
        );
        stream.write_all(b"hi").await.unwrap();
        let mut out = Vec::new();
        timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
            .await
            .unwrap()
            .unwrap();
        assert!(out.starts_with(b"HTTP/1.1 405 "), "{out:?}");
    }

    #[tokio::test]
    async fn other_methods_get_405_with_allow() {
        let (addr, _shutdown, _task) = start(Config::default()).await;
        let out = exchange(
            addr,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
        )
        .await;
        assert!(
            out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
            "{out}"
        );
        assert!(out.contains("\r\nAllow: GET, HEAD\r\n"), "{out}");
    }

    #[tokio::test]
    async fn a_slow_request_gets_408_and_an_idle_connection_is_closed() {
        let config = Config {
            read_timeout: Duration::from_millis(200),
            ..Config::default()
        };
        let (addr, _shutdown, _task) = start(config).await;
        let out = exchange(addr, b"GET / HTTP/1.1\r\n").await;
        assert!(out.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{out}");
        assert_eq!(
            exchange(addr, b"").await,
            "",
            "an idle connection is closed silently"
        );
    }

    #[tokio::test]
    async fn a_chunked_body_arriving_in_pieces_is_skipped_then_the_next_request_served() {
        let (addr, _shutdown, _task) = start(Config::default()).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // Cut everywhere a reader could trip: inside a size line, inside
        // data, between CR and LF, inside the last chunk and the trailers.
        let pieces: [&[u8]; 7] = [
            b"GET /?first HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1",
            b"0\r\n0123456789abc",
            b"def\r",
            b"\n0",
            b"\r\nX-T: 1",
            b"\r\n\r\nGET /?second HTTP/1.1\r\nHost: a\r\n",
            b"Connection: close\r\n\r\n",
        ];
        for piece in pieces {
            stream.write_all(piece).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut out = Vec::new();
        timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
            .await
            .unwrap()
            .unwrap();
        let out = String::from_utf8_lossy(&out);
        assert_eq!(out.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{out}");
        assert!(out.contains("<td id=\"path\">/?second</td>"), "{out}");
    }

    /// A request this server would answer (GET, here with a body, which it
    /// reads and ignores) gets "100 Continue", then its answer.
    #[tokio::test]
    async fn curl_style_expect_continue_also_works_for_chunked_bodies() {
        let (addr, _shutdown, _task) = start(Config::default()).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut interim = [0u8; 25];
        timeout(Duration::from_secs(5), stream.read_exact(&mut interim))
            .await
            .expect("100 Continue comes before the body")
            .unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        stream.write_all(b"2\r\nhi\r\n0\r\n\r\n").await.unwrap();
        let mut out = Vec::new();
        timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
            .await
            .unwrap()
            .unwrap();
        assert!(
            out.starts_with(b"HTTP/1.1 200 OK\r\n"),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }

    /// RFC 9110 §10.1.1: an answer known from the method alone comes at
    /// once, instead of "100 Continue": the client need not send a body
    /// that would be thrown away. The body is never read, so the server
    /// closes the connection after its answer.
    #[tokio::test]
    async fn an_upload_asking_first_is_refused_before_its_body() {
        let (addr, _shutdown, _task) = start(Config::default()).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
            .await
            .unwrap();
        // No body sent: the whole answer, and the close, come anyway.
        let mut out = Vec::new();
        timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
            .await
            .expect("the answer and the close come without the body")
            .unwrap();
        let out = String::from_utf8_lossy(&out);
        assert!(
            out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
            "{out}"
        );
        assert!(!out.contains("100 Continue"), "{out}");
        assert!(out.contains("Connection: close\r\n"), "{out}");
        assert!(out.contains("Allow: GET, HEAD\r\n"), "{out}");
    }

    #[tokio::test]
    async fn max_connections_makes_new_clients_wait() {
        let config = Config {
            max_connections: 1,
            ..Config::default()
        };
        let (addr, _shutdown, _task) = start(config).await;
        let first = TcpStream::connect(addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await; // let the server accept it
        let mut second = TcpStream::connect(addr).await.unwrap();
        second
            .write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut byte = [0u8; 1];
        assert!(
            timeout(Duration::from_millis(300), second.read(&mut byte))
                .await
                .is_err(),
            "the second client must wait while the first holds the only slot"
        );
        drop(first);
        let mut out = Vec::new();
        timeout(Duration::from_secs(5), second.read_to_end(&mut out))
            .await
            .unwrap()
            .unwrap();
        assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"));
    }

    /// An empty line after a request (RFC 9112 §2.2: a server ignores
    /// empty lines before a request) leaves the connection idle: it is
    /// closed silently when idle too long, not answered with a 408.
    #[tokio::test]
    async fn an_empty_line_after_a_request_is_no_request() {
        let (addr, _shutdown, _task) = start(quick_config(300)).await;
        let out = exchange(addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n").await;
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert_eq!(out.matches("HTTP/1.1 ").count(), 1, "one answer: {out}");
    }

    /// Empty lines trickled in do not keep an idle connection open: it is
    /// closed, without a word, once idle for `--read-timeout`, however
    /// many came. Each used to start the idle time anew, so one every few
    /// seconds held a connection for ever.
    ///
    /// On an in-memory connection and tokio's paused clock: on a real
    /// socket, the margin between the 300 ms time-out and the bound of the
    /// test was a busy machine's to take.
    #[tokio::test(start_paused = true)]
    async fn empty_lines_trickled_in_do_not_keep_a_connection_open() {
        use tokio::io::AsyncWriteExt;
        let config = quick_config(300);
        let (mut client, server_side) = tokio::io::duplex(4096);
        let mut conn = test_connection(server_side, Vec::new(), &config);
        let started = tokio::time::Instant::now();
        // An empty line every 100 ms, for 4 s; the client then stays
        // connected, silent.
        let trickle = tokio::spawn(async move {
            for _ in 0..40 {
                if client.write_all(b"\r\n").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            client
        });
        let end = conn.run(&CancellationToken::new()).await;
        let lasted = started.elapsed();
        trickle.abort();
        assert!(
            matches!(end, End::Idle),
            "ended as: {}",
            end.describe(&config)
        );
        assert!(
            conn.writer.is_empty(),
            "closed without a word: {:?}",
            conn.writer
        );
        // The trickle lasts 4 s: a connection it kept open ends after that.
        assert!(
            lasted <= Duration::from_millis(400),
            "closed after {lasted:?}, not after --read-timeout (300 ms)"
        );
    }

    /// Ctrl-C closes an idle connection at once, even after an empty line.
    #[tokio::test]
    async fn shutdown_closes_a_connection_idle_after_an_empty_line() {
        // A grace period far longer than the wait below: a server that
        // waited for this connection cannot pass, however busy the machine.
        let (addr, shutdown, task) = start(Config {
            grace: Duration::from_secs(60),
            ..Config::default()
        })
        .await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 65536];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"));
        tokio::time::sleep(Duration::from_millis(100)).await; // the CRLF is read
        shutdown.cancel();
        // Not after the grace period (60 s): the connection waits for nothing.
        timeout(Duration::from_secs(10), task)
            .await
            .expect("the server stops at once")
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn shutdown_closes_idle_keep_alive_connections() {
        // As above: the grace period (60 s) is what a server that waited
        // for the idle connection would take.
        let (addr, shutdown, task) = start(Config {
            grace: Duration::from_secs(60),
            ..Config::default()
        })
        .await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 65536];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"));
        shutdown.cancel();
        timeout(Duration::from_secs(10), task)
            .await
            .expect("the server stops without waiting for the grace period")
            .unwrap()
            .unwrap();
    }
}
