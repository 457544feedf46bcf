//! # Checking an HTTP/1.1 server (RFC 9110, RFC 9112)
//!
//! HTTP is a text protocol with a binary body: a request (request line,
//! header lines, an empty line) gets a response (status line, header lines,
//! an empty line, then the body). Every line of the head ends with CR LF,
//! and the head says where the body ends, so that one connection can carry
//! several requests (see `docs/protocols/http.md`). Each rule sends one
//! request a browser or `curl` could send and checks one clause:
//!
//! | rule              | what it catches                                              |
//! |-------------------|--------------------------------------------------------------|
//! | `http.status`     | an answer that does not start with `HTTP/1.x NNN reason`     |
//! | `http.crlf`       | head lines ended by LF alone (RFC 9112 §2.1: CR LF)          |
//! | `http.length`     | a body not of the size announced (`Content-Length`, chunked) |
//! | `http.not-found`  | a server that answers 200 for any path (a warning)           |
//! | `http.head`       | `HEAD` answered with a body                                  |
//! | `http.keep-alive` | an HTTP/1.1 server that closes without `Connection: close`   |
//! | `http.method`     | an unknown method served as if it were `GET` (a warning)     |
//! | `http.bad-request`| a request that is not HTTP answered as if it were (a warning)|
//! | `http.host`       | an HTTP/1.1 request without `Host` not refused with 400      |
//!
//! Only what the RFCs require (MUST) fails; what they only advise
//! (SHOULD: a 400 for a garbled request, 501 for an unknown method; or
//! common sense: 404 for a missing page, `Content-Length` rather than a
//! close to end a body) is a warning. A server that speaks HTTP/1.0
//! (Python's `http.server`) is judged as HTTP/1.0: it may close after each
//! answer, and `http.host`, a rule of HTTP/1.1, is only a warning for it.

use std::time::Duration;

use http::chunked::{ChunkedDecoder, ChunkedError};
use http::request::MAX_HEADERS_LIMIT as MAX_HEADERS;
use http::response::{Framing, ResponseHead, parse_head};
use tokio::io::AsyncReadExt;
use tokio::time::{Instant, timeout_at};

use crate::report::{Outcome, Report, Text, Verdict, count_en, count_fr};
use crate::wire::{self, secs, show};
use crate::{Options, Target, text};

/// Largest response head read: far more than any real one.
const MAX_HEAD: usize = 64 * 1024;

/// Largest body kept: a bigger one is counted, not kept.
const MAX_BODY: usize = 1024 * 1024;

/// Runs every HTTP rule.
pub async fn check(target: &Target, opts: &Options, report: &mut Report) {
    let host = target.display();
    let get = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: protocol-check\r\nConnection: close\r\n\r\n"
    );
    let first = first_exchange(target, opts, get.as_bytes()).await;
    report.record(
        "http.status",
        text!(
            "GET / reçoit une ligne de statut « HTTP/1.x NNN raison ».",
            "GET / gets a status line \"HTTP/1.x NNN reason\"."
        ),
        first.as_ref().map(|_| Verdict::Pass).map_err(Clone::clone),
    );
    report.record(
        "http.crlf",
        text!(
            "Chaque ligne de l'en-tête de la réponse finit par CR LF (\\r\\n), la ligne vide aussi.",
            "Every line of the response head ends with CR LF (\\r\\n), the empty line too."
        ),
        first.as_ref().map_err(Clone::clone).and_then(crlf),
    );
    report.record(
        "http.length",
        text!(
            "Le corps a exactement la taille annoncée (Content-Length, ou chunked).",
            "The body has exactly the size announced (Content-Length, or chunked)."
        ),
        first.as_ref().map_err(Clone::clone).and_then(length),
    );
    let missing = format!("/protocol-check-{}/no-such-page", std::process::id());
    report.record(
        "http.not-found",
        text!(
            "Une page qui n'existe pas reçoit 404 Not Found (conseillé).",
            "A page that does not exist gets 404 Not Found (advised)."
        ),
        not_found(target, opts, &missing).await,
    );
    report.record(
        "http.head",
        text!(
            "HEAD / reçoit le même statut que GET, sans corps (exigé par RFC 9110 §9.3.2).",
            "HEAD / gets the same status as GET, without a body (required by RFC 9110 §9.3.2)."
        ),
        head(target, opts, first.as_ref().ok()).await,
    );
    report.record(
        "http.keep-alive",
        text!(
            "En HTTP/1.1, la connexion sert une 2e requête, sauf si le serveur a dit « Connection: close ».",
            "In HTTP/1.1, the connection serves a second request, unless the server said \"Connection: close\"."
        ),
        keep_alive(target, opts).await,
    );
    report.record(
        "http.method",
        text!(
            "Une méthode inconnue (FOO) reçoit 501 Not Implemented (ou 405), pas la page (conseillé par RFC 9110).",
            "An unknown method (FOO) gets 501 Not Implemented (or 405), not the page (advised by RFC 9110)."
        ),
        method(target, opts).await,
    );
    report.record(
        "http.bad-request",
        text!(
            "Une requête qui n'est pas du HTTP reçoit 400 Bad Request (conseillé par RFC 9112).",
            "A request that is not HTTP gets 400 Bad Request (advised by RFC 9112)."
        ),
        bad_request(target, opts).await,
    );
    report.record(
        "http.host",
        text!(
            "Une requête HTTP/1.1 sans en-tête Host reçoit 400 Bad Request (exigé par RFC 9112 §3.2).",
            "An HTTP/1.1 request without a Host header gets 400 Bad Request (required by RFC 9112 §3.2)."
        ),
        host_required(target, opts).await,
    );
}

/// One response, as read.
#[derive(Debug, Clone)]
struct Response {
    /// The head, as `http-client` reads it (with httparse).
    head: ResponseHead,
    /// The status line as sent, for messages.
    status_line: String,
    /// Head lines that end with LF alone (their number).
    bare_lf: usize,
    /// How the body ended.
    body: Body,
}

/// Where the body ended, and what came after.
#[derive(Debug, Clone)]
enum Body {
    /// No body by definition (HEAD, 1xx, 204, 304).
    None,
    /// `Content-Length: n`; `got` bytes came before the close or silence,
    /// `extra` more after them.
    Length { n: u64, got: u64, extra: Vec<u8> },
    /// Chunked: the body came whole (its size), or why not.
    Chunked(Result<u64, Text>),
    /// Neither: the body ended when the server closed (`closed`), or did
    /// not (silence).
    UntilClose { closed: bool },
}

impl Response {
    /// The server said it closes after this answer (or is HTTP/1.0, which
    /// closes unless it said keep-alive).
    fn closes(&self) -> bool {
        let connection = self.head.header("connection").unwrap_or_default();
        let says = |word: &[u8]| {
            connection
                .split(|&b| b == b',')
                .any(|w| w.trim_ascii().eq_ignore_ascii_case(word))
        };
        says(b"close") || (self.head.minor_version == 0 && !says(b"keep-alive"))
    }
}

/// A connection and what was read from it but not used yet.
struct Reader {
    stream: wire::Conn,
    buf: Vec<u8>,
    idle: Duration,
    deadline: Instant,
    closed: bool,
    /// The last request sent, to recognise it if it comes back.
    sent: Vec<u8>,
}

impl Reader {
    fn new(stream: wire::Conn, idle: Duration) -> Reader {
        Reader {
            stream,
            buf: Vec::new(),
            idle,
            deadline: Instant::now() + wire::whole(idle),
            closed: false,
            sent: Vec::new(),
        }
    }

    /// Sends a request.
    async fn send(&mut self, request: &[u8], opts: &Options) -> Result<(), Text> {
        self.sent = request.to_vec();
        wire::write_all(&mut self.stream, request, opts.timeout).await
    }

    /// Reads more bytes into `buf`: `Ok(false)` when the server closed or
    /// was silent for the idle time-out (or the whole answer's time ran
    /// out).
    async fn fill(&mut self) -> Result<bool, Text> {
        if self.closed {
            return Ok(false);
        }
        let mut chunk = [0u8; 8192];
        let until = self.deadline.min(Instant::now() + self.idle);
        match timeout_at(until, self.stream.read(&mut chunk)).await {
            Err(_) => Ok(false),
            Ok(Ok(0)) => {
                self.closed = true;
                Ok(false)
            }
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(true)
            }
            Ok(Err(e)) => {
                // Reset or broken: the connection is gone, as if closed.
                self.closed = true;
                Err(crate::report::explain(&netkit::NetError::io(
                    "reading from the server",
                    e,
                )))
            }
        }
    }

    /// Takes `n` bytes (at most what is there).
    fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.buf.len());
        self.buf.drain(..n).collect()
    }
}

/// Sends `request`, a `method` request, on a new connection and reads one
/// response (none has a body for HEAD, whatever its head says).
async fn exchange(
    target: &Target,
    opts: &Options,
    request: &[u8],
    method: &str,
) -> Result<Response, Text> {
    let stream = wire::connect(target, opts).await?;
    let mut reader = Reader::new(stream, opts.timeout);
    reader.send(request, opts).await?;
    read_response(&mut reader, opts, method).await
}

/// [`exchange`] for the first `GET /`, which asked for `Connection: close`:
/// what follows a `Content-Length` body before the close is kept, so that
/// `http.length` can name bytes the length did not count.
async fn first_exchange(target: &Target, opts: &Options, request: &[u8]) -> Result<Response, Text> {
    let stream = wire::connect(target, opts).await?;
    let mut reader = Reader::new(stream, opts.timeout);
    reader.send(request, opts).await?;
    let mut response = read_response(&mut reader, opts, "GET").await?;
    if let Body::Length { extra, .. } = &mut response.body {
        // A reset here comes after the whole answer (a server that closes
        // with our request partly unread): it changes nothing to it.
        while reader.buf.len() < 4096 && reader.fill().await.unwrap_or(false) {}
        *extra = reader.take(4096);
    }
    Ok(response)
}

/// Reads one response from `reader`, the answer to `method`.
async fn read_response(
    reader: &mut Reader,
    opts: &Options,
    method: &str,
) -> Result<Response, Text> {
    let head = loop {
        match parse_head(&reader.buf, MAX_HEADERS) {
            Ok(Some(head)) => break head,
            Err(_) => return Err(not_a_head(&reader.buf, &reader.sent)),
            Ok(None) if reader.buf.len() > MAX_HEAD => {
                let (n, got) = (MAX_HEAD, show(&reader.buf));
                return Err(text!(
                    "plus de {n} octets reçus ({got}) sans la ligne vide qui termine l'en-tête",
                    "more than {n} bytes received ({got}) without the empty line that ends the head"
                ));
            }
            Ok(None) => {
                if !reader.fill().await? {
                    return Err(unfinished_head(reader, opts));
                }
            }
        }
    };
    let raw = reader.take(head.head_len);
    // httparse takes a bare LF for a line end, as RFC 9112 §2.2 lets a
    // recipient do; but a server must send CR LF: `http.crlf` counts them.
    let bare_lf = raw.iter().filter(|&&b| b == b'\n').count()
        - raw.windows(2).filter(|w| w == b"\r\n").count();
    let status_line = raw.split(|&b| b == b'\n').next().unwrap_or_default();
    let status_line = String::from_utf8_lossy(status_line.trim_ascii_end()).into_owned();
    // httparse takes any three digits; RFC 9110 §15 has 100 to 599 only.
    if !(100..=599).contains(&head.code) {
        return Err(bad_status_line(status_line.as_bytes()));
    }
    let body = match head.framing(method) {
        Ok(Framing::Empty) => Body::None,
        Ok(Framing::Length(n)) => Body::Length {
            n,
            got: read_counted(reader, n).await?,
            extra: Vec::new(),
        },
        Ok(Framing::Chunked) => Body::Chunked(read_chunked(reader).await),
        Ok(Framing::UntilClose) => {
            // Counted nowhere: only the close (or its absence) matters. A
            // reset ends such a body as a close does (`fill` marks it closed).
            loop {
                reader.take(usize::MAX);
                if !reader.fill().await.unwrap_or(false) {
                    break;
                }
            }
            Body::UntilClose {
                closed: reader.closed,
            }
        }
        Err(_) => return Err(bad_framing(&head)),
    };
    Ok(Response {
        head,
        status_line,
        bare_lf,
        body,
    })
}

/// Reads and counts up to `n` body bytes (keeping none).
async fn read_counted(reader: &mut Reader, n: u64) -> Result<u64, Text> {
    let mut got = 0u64;
    loop {
        let want = usize::try_from(n - got).unwrap_or(usize::MAX);
        got += reader.take(want).len() as u64;
        if got == n || !reader.fill().await? {
            return Ok(got);
        }
    }
}

/// Reads a chunked body with `http-client`'s decoder, counting (not
/// keeping) its bytes.
async fn read_chunked(reader: &mut Reader) -> Result<u64, Text> {
    let mut decoder = ChunkedDecoder::new();
    let (mut total, mut data) = (0u64, Vec::new());
    loop {
        let used = decoder
            .try_decode(&reader.buf, &mut data)
            .map_err(|e| bad_chunk(&e))?;
        reader.take(used);
        total += data.len() as u64;
        data.clear();
        if decoder.is_done() || total > MAX_BODY as u64 * 64 {
            return Ok(total);
        }
        if !reader.fill().await? {
            if decoder.in_trailers() {
                return Err(text!(
                    "le corps chunked s'est arrêté après le morceau de taille 0, sans la ligne vide qui le termine : il finit par « 0\\r\\n\\r\\n » (0, CR LF, puis une ligne vide CR LF)",
                    "the chunked body stopped after the chunk of size 0, without the empty line that ends it: it ends with \"0\\r\\n\\r\\n\" (0, CR LF, then an empty line, CR LF)"
                ));
            }
            return Err(text!(
                "le corps chunked s'est arrêté avant sa fin (le morceau de taille 0, « 0\\r\\n\\r\\n ») : une taille annoncée trop grande ?",
                "the chunked body stopped before its end (the chunk of size 0, \"0\\r\\n\\r\\n\"): an announced size too large?"
            ));
        }
    }
}

/// Why the decoder refused a chunked body, in both languages.
fn bad_chunk(e: &ChunkedError) -> Text {
    match e {
        ChunkedError::ChunkTooLong => text!(
            "un morceau chunked n'est pas suivi de CR LF : sa taille annoncée est fausse (elle compte des octets : en UTF-8, « é » en compte 2)",
            "a chunk is not followed by CR LF: its announced size is wrong (it counts bytes: in UTF-8, \"é\" counts 2)"
        ),
        ChunkedError::BareLfAfterChunk => text!(
            "les données d'un morceau chunked sont suivies de LF seul (\\n) : chaque morceau finit par CR LF (\\r\\n), après ses données comme après sa taille",
            "a chunk's data is followed by LF alone (\\n): every chunk ends with CR LF (\\r\\n), after its data as after its size"
        ),
        ChunkedError::BadSizeLine { line, .. } => {
            let shown = show(line);
            text!(
                "la ligne de taille de morceau {shown} n'est pas une taille en hexadécimal (puis ;extensions) suivie de CR LF (chunked)",
                "the chunk-size line {shown} is not a size in hexadecimal (then ;extensions) followed by CR LF (chunked)"
            )
        }
        ChunkedError::BareLfInTrailers => text!(
            "une ligne après le morceau de taille 0 (un trailer, ou la ligne vide qui termine le corps) finit par LF seul (\\n) : en chunked, chaque ligne finit par CR LF (\\r\\n)",
            "a line after the chunk of size 0 (a trailer, or the empty line that ends the body) ends with LF alone (\\n): in chunked, every line ends with CR LF (\\r\\n)"
        ),
        ChunkedError::SizeLineTooLong | ChunkedError::TrailersTooLarge => text!(
            "une ligne de taille de morceau, ou les lignes après le morceau de taille 0 (trailers), sont trop longues (chunked)",
            "a chunk-size line, or the lines after the chunk of size 0 (trailers), are too long (chunked)"
        ),
    }
}

/// Why httparse refused the head `got` (an answer to `sent`), in both
/// languages. Its own error is English and names no line ("invalid header
/// name"): the line at fault is found by giving the same parser each line
/// alone.
fn not_a_head(got: &[u8], sent: &[u8]) -> Text {
    if !got.starts_with(b"HTTP/") {
        return not_http(got, sent);
    }
    let alone = |before: &[u8], line: &[u8]| parse_head(&[before, line, b"\r\n\r\n"].concat(), 1);
    let mut lines = got.split(|&b| b == b'\n').map(<[u8]>::trim_ascii_end);
    let status_line = lines.next().unwrap_or_default();
    if alone(b"", status_line).is_err() {
        return bad_status_line(status_line);
    }
    // A line that starts with a space continues the one before (obs-fold).
    let wrong = lines
        .filter(|l| !l.starts_with(b" ") && !l.starts_with(b"\t"))
        .find(|l| alone(b"HTTP/1.1 200 OK\r\n", l).is_err());
    let Some(line) = wrong else {
        let (n, shown) = (MAX_HEADERS, show(got));
        return text!(
            "l'en-tête de la réponse ({shown}) n'est pas du HTTP valide, ou a plus de {n} lignes",
            "the response head ({shown}) is not valid HTTP, or has more than {n} lines"
        );
    };
    let shown = show(line);
    text!(
        "la ligne d'en-tête {shown} n'a pas la forme « Nom: valeur » (un nom sans espace, deux-points, la valeur)",
        "the header line {shown} is not of the form \"Name: value\" (a name without spaces, a colon, the value)"
    )
}

/// The status line is not `HTTP/1.x NNN reason`.
fn bad_status_line(line: &[u8]) -> Text {
    let shown = show(line);
    text!(
        "la ligne de statut est {shown} : elle doit être « HTTP/1.x NNN raison », par exemple « HTTP/1.1 200 OK »",
        "the status line is {shown}: it must be \"HTTP/1.x NNN reason\", e.g. \"HTTP/1.1 200 OK\""
    )
}

/// The answer `got` does not start with `HTTP/`: another service
/// answered, or, if it is our own request (`sent`), an echo server.
fn not_http(got: &[u8], sent: &[u8]) -> Text {
    let first = got
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default()
        .trim_ascii_end();
    let shown = show(if first.is_empty() { got } else { first });
    let why = text!(
        "la réponse commence par {shown} : ce n'est pas du HTTP (elle doit commencer par une ligne de statut, par exemple « HTTP/1.1 200 OK » ou « HTTP/1.1 404 Not Found »)",
        "the answer starts with {shown}: this is not HTTP (it must start with a status line, e.g. \"HTTP/1.1 200 OK\" or \"HTTP/1.1 404 Not Found\")"
    );
    if first.is_empty() || !sent.starts_with(first) {
        return why;
    }
    let (fr, en) = (&why.fr, &why.en);
    text!(
        "{fr} ; c'est notre propre requête qui est revenue : un serveur echo ? Vérifiez le port",
        "{en}; it is our own request coming back: an echo server? Check the port"
    )
}

/// Why `framing` refused the head, in both languages (its own reason is
/// English only): `Transfer-Encoding` in HTTP/1.0, or `Content-Length`
/// values that are no number, or disagree.
fn bad_framing(head: &ResponseHead) -> Text {
    if head.minor_version == 0 && head.header("transfer-encoding").is_some() {
        return text!(
            "réponse HTTP/1.0 avec Transfer-Encoding, qui n'existe qu'en HTTP/1.1 (RFC 9112 §6.1) : le client ne peut pas savoir où finit le corps",
            "an HTTP/1.0 answer with Transfer-Encoding, which only exists in HTTP/1.1 (RFC 9112 §6.1): the client cannot tell where the body ends"
        );
    }
    let values: Vec<&[u8]> = head
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.as_slice())
        .collect();
    let shown = show(&values.join(&b", "[..]));
    text!(
        "Content-Length vaut {shown} : ce doit être un nombre d'octets (un seul, ou le même répété)",
        "Content-Length is {shown}: it must be a number of bytes (one, or the same repeated)"
    )
}

/// Why no whole head came.
fn unfinished_head(reader: &Reader, opts: &Options) -> Text {
    let got = &reader.buf;
    if got.starts_with(b"HTTP/") {
        let shown = show(got);
        text!(
            "l'en-tête de la réponse ({shown}) ne finit pas par une ligne vide (\\r\\n\\r\\n) : le client ne sait pas où commence le corps",
            "the response head ({shown}) does not end with an empty line (\\r\\n\\r\\n): the client cannot tell where the body starts"
        )
    } else if !got.is_empty() {
        not_http(got, &reader.sent)
    } else if reader.closed {
        text!(
            "le serveur a fermé la connexion sans répondre",
            "the server closed the connection without answering"
        )
    } else {
        let wait = secs(opts.timeout);
        text!(
            "aucune réponse en {wait} : le serveur lit-il la requête jusqu'à sa ligne vide (\\r\\n\\r\\n), puis répond-il ?",
            "no answer within {wait}: does the server read the request up to its empty line (\\r\\n\\r\\n), then answer?"
        )
    }
}

fn crlf(r: &Response) -> Outcome {
    if r.bare_lf == 0 {
        return Ok(Verdict::Pass);
    }
    let n = r.bare_lf;
    let (lines_fr, lines_en) = (
        count_fr(
            n,
            "ligne de l'en-tête finit",
            "lignes de l'en-tête finissent",
        ),
        count_en(n, "head line ends", "head lines end"),
    );
    Err(text!(
        "{lines_fr} par LF seul (\\n) : HTTP exige CR LF (\\r\\n) à la fin de chaque ligne, et une ligne vide \\r\\n à la fin de l'en-tête",
        "{lines_en} with LF alone (\\n): HTTP requires CR LF (\\r\\n) at the end of every line, and an empty line \\r\\n at the end of the head"
    ))
}

fn length(r: &Response) -> Outcome {
    match &r.body {
        Body::None => Ok(Verdict::Pass),
        Body::Length { n, got, extra } if got == n && extra.is_empty() => Ok(Verdict::Pass),
        Body::Length { n, got, .. } if got < n => Err(text!(
            "Content-Length annonce {n} octets, mais seulement {got} sont arrivés : le client attendrait le reste",
            "Content-Length announces {n} bytes, but only {got} came: the client would wait for the rest"
        )),
        Body::Length { n, extra, .. } => {
            let (m, shown) = (extra.len(), show(extra));
            Err(text!(
                "Content-Length annonce {n} octets, mais {m} de plus ont suivi ({shown}) : Content-Length doit compter tous les octets du corps (en UTF-8, « é » en compte 2)",
                "Content-Length announces {n} bytes, but {m} more followed ({shown}): Content-Length must count every byte of the body (in UTF-8, \"é\" counts 2)"
            ))
        }
        Body::Chunked(Ok(_)) => Ok(Verdict::Pass),
        Body::Chunked(Err(why)) => Err(why.clone()),
        Body::UntilClose { closed: true, .. } if r.head.minor_version == 0 => Ok(Verdict::Pass),
        Body::UntilClose { closed: true, .. } => Ok(Verdict::Warn(text!(
            "ni Content-Length ni chunked : le corps finit à la fermeture de la connexion ; permis, mais la connexion ne peut servir qu'une requête — envoyez Content-Length",
            "neither Content-Length nor chunked: the body ends when the connection closes; allowed, but then the connection serves only one request — send Content-Length"
        ))),
        Body::UntilClose { closed: false, .. } => Err(text!(
            "ni Content-Length ni chunked, et le serveur n'a pas fermé la connexion (on avait demandé « Connection: close ») : le client ne peut pas savoir où finit le corps",
            "neither Content-Length nor chunked, and the server did not close the connection (we asked for \"Connection: close\"): the client cannot tell where the body ends"
        )),
    }
}

async fn not_found(target: &Target, opts: &Options, path: &str) -> Outcome {
    let host = target.display();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let r = exchange(target, opts, request.as_bytes(), "GET").await?;
    match r.head.code {
        404 | 410 => Ok(Verdict::Pass),
        _ => {
            let line = show(r.status_line.as_bytes());
            // The server decides which pages exist: one that shows the
            // same page for every path breaks no rule, but it is rarely
            // what was meant. A warning, with what 404 is for.
            Ok(Verdict::Warn(text!(
                "« GET {path} » a reçu {line} : une page qui n'existe pas reçoit d'habitude 404 Not Found (le client, un navigateur ou un moteur de recherche, sait alors qu'elle n'existe pas) ; le serveur lit-il le chemin demandé ?",
                "\"GET {path}\" got {line}: a page that does not exist usually gets 404 Not Found (the client, a browser or a search engine, then knows it does not exist); does the server read the path asked for?"
            )))
        }
    }
}

async fn head(target: &Target, opts: &Options, get: Option<&Response>) -> Outcome {
    let host = target.display();
    let request = format!("HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let stream = wire::connect(target, opts).await?;
    let mut reader = Reader::new(stream, opts.timeout);
    reader.send(request.as_bytes(), opts).await?;
    let r = read_response(&mut reader, opts, "HEAD").await?;
    // Whatever follows the head is a body HEAD must not have (or, if the
    // server stays open, nothing comes).
    // As in `first_exchange`, a reset after the head changes nothing.
    while reader.buf.len() < 4096 && reader.fill().await.unwrap_or(false) {}
    if !reader.buf.is_empty() {
        let (n, shown) = (reader.buf.len(), show(&reader.buf));
        return Err(text!(
            "après l'en-tête, {n} octets ont suivi ({shown}) : la réponse à HEAD n'a jamais de corps (mais garde le Content-Length que GET aurait)",
            "after the head, {n} bytes followed ({shown}): the answer to HEAD never has a body (but keeps the Content-Length GET would have)"
        ));
    }
    if let Some(get) = get
        && get.head.code != r.head.code
    {
        let (g, h) = (
            show(get.status_line.as_bytes()),
            show(r.status_line.as_bytes()),
        );
        return Ok(Verdict::Warn(text!(
            "GET / a reçu {g} mais HEAD / a reçu {h} : HEAD devrait recevoir le même en-tête que GET (RFC 9110 §9.3.2)",
            "GET / got {g} but HEAD / got {h}: HEAD should get the same head as GET (RFC 9110 §9.3.2)"
        )));
    }
    Ok(Verdict::Pass)
}

async fn keep_alive(target: &Target, opts: &Options) -> Outcome {
    let host = target.display();
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let stream = wire::connect(target, opts).await?;
    let mut reader = Reader::new(stream, opts.timeout);
    reader.send(request.as_bytes(), opts).await?;
    let first = read_response(&mut reader, opts, "GET").await?;
    if first.closes() {
        // Allowed: the server said so (or speaks HTTP/1.0).
        return Ok(Verdict::Pass);
    }
    // A body that does not match its own framing leaves the connection
    // out of step: the next answer would be read from the middle of it.
    let broken = match &first.body {
        Body::Chunked(Err(_)) => true,
        Body::Length { n, got, .. } => got < n,
        _ => false,
    };
    if broken {
        return Err(text!(
            "le corps de la 1re réponse n'a pas la taille annoncée (voir http.length) : sur la même connexion, la réponse suivante serait lue au milieu de ce corps",
            "the first answer's body does not have the size announced (see http.length): on the same connection, the next answer would be read from the middle of that body"
        ));
    }
    if let Body::UntilClose { .. } = first.body {
        return Err(text!(
            "la réponse HTTP/1.1 n'a ni Content-Length ni chunked, sans « Connection: close » : le client ne peut pas savoir où elle finit, ni envoyer une 2e requête",
            "the HTTP/1.1 answer has neither Content-Length nor chunked, and no \"Connection: close\": the client cannot tell where it ends, nor send a second request"
        ));
    }
    reader.deadline = Instant::now() + wire::whole(opts.timeout);
    // A server that closed may make our second request fail (broken
    // pipe), or its answer (reset): both are its close, seen from here.
    let second = match reader.send(request.as_bytes(), opts).await {
        Ok(()) => read_response(&mut reader, opts, "GET").await,
        Err(why) => {
            reader.closed = true;
            Err(why)
        }
    };
    match second {
        Ok(_) => Ok(Verdict::Pass),
        Err(_) if reader.closed && reader.buf.is_empty() => Err(text!(
            "le serveur a fermé la connexion après la 1re réponse sans avoir envoyé « Connection: close » : en HTTP/1.1 la connexion reste ouverte pour la requête suivante ; un serveur qui ferme après chaque réponse doit le dire (Connection: close)",
            "the server closed the connection after the first answer without sending \"Connection: close\": in HTTP/1.1 the connection stays open for the next request; a server that closes after each answer must say so (Connection: close)"
        )),
        Err(why) => {
            let (fr, en) = (&why.fr, &why.en);
            Err(text!(
                "2e requête sur la même connexion : {fr}",
                "second request on the same connection: {en}"
            ))
        }
    }
}

async fn method(target: &Target, opts: &Options) -> Outcome {
    let host = target.display();
    let request = format!("FOO / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let r = exchange(target, opts, request.as_bytes(), "FOO").await?;
    let line = show(r.status_line.as_bytes());
    match r.head.code {
        501 | 405 => Ok(Verdict::Pass),
        400..=499 => Ok(Verdict::Warn(text!(
            "« FOO / » a reçu {line} : la RFC 9110 (§9.1) conseille 501 Not Implemented pour une méthode inconnue",
            "\"FOO /\" got {line}: RFC 9110 (§9.1) advises 501 Not Implemented for an unknown method"
        ))),
        // RFC 9110 §9.1 says SHOULD, not MUST: a warning, however wrong
        // serving the page for any method looks.
        _ => Ok(Verdict::Warn(text!(
            "« FOO / » a reçu {line} : le serveur traite une méthode inconnue comme GET ; il devrait lire la méthode et répondre 501 Not Implemented (RFC 9110 §9.1), ou 405 Method Not Allowed",
            "\"FOO /\" got {line}: the server handles an unknown method as GET; it should read the method and answer 501 Not Implemented (RFC 9110 §9.1), or 405 Method Not Allowed"
        ))),
    }
}

async fn bad_request(target: &Target, opts: &Options) -> Outcome {
    let request = b"this is not HTTP\r\n\r\n";
    let line = show(request.trim_ascii_end());
    match exchange(target, opts, request, "GET").await {
        Ok(r) if (400..500).contains(&r.head.code) => Ok(Verdict::Pass),
        Ok(r) => {
            let got = show(r.status_line.as_bytes());
            Ok(Verdict::Warn(text!(
                "{line} a reçu {got} : une requête qui n'est pas du HTTP devrait recevoir 400 Bad Request (RFC 9112 §3), pas une page ; le serveur vérifie-t-il la ligne de requête (méthode, chemin, HTTP/1.x) ?",
                "{line} got {got}: a request that is not HTTP should get 400 Bad Request (RFC 9112 §3), not a page; does the server check the request line (method, path, HTTP/1.x)?"
            )))
        }
        Err(why) => {
            let (fr, en) = (&why.fr, &why.en);
            Ok(Verdict::Warn(text!(
                "{line} : {fr} ; la RFC 9112 (§3) conseille de répondre 400 Bad Request",
                "{line}: {en}; RFC 9112 (§3) advises answering 400 Bad Request"
            )))
        }
    }
}

async fn host_required(target: &Target, opts: &Options) -> Outcome {
    let request = b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
    let r = exchange(target, opts, request, "GET").await?;
    if r.head.code == 400 {
        return Ok(Verdict::Pass);
    }
    let line = show(r.status_line.as_bytes());
    // An HTTP/1.0 server does not claim HTTP/1.1's rules: a warning, which
    // says so, for it does cite a rule the server is not bound by.
    if r.head.minor_version == 0 {
        return Ok(Verdict::Warn(text!(
            "une requête HTTP/1.1 sans Host a reçu {line} : un serveur HTTP/1.1 doit répondre 400 Bad Request (RFC 9112 §3.2) ; celui-ci répond en HTTP/1.0, qui n'exige pas Host, d'où un simple avertissement",
            "an HTTP/1.1 request without Host got {line}: an HTTP/1.1 server must answer 400 Bad Request (RFC 9112 §3.2); this one answers in HTTP/1.0, which does not require Host, hence only a warning"
        )));
    }
    Err(text!(
        "une requête HTTP/1.1 sans Host a reçu {line} : la RFC 9112 (§3.2) exige 400 Bad Request (Host dit quel site est demandé : une machine peut en héberger plusieurs)",
        "an HTTP/1.1 request without Host got {line}: RFC 9112 (§3.2) requires 400 Bad Request (Host says which site is asked for: one machine may host several)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The response to a GET from a loopback server that sends `answer`
    /// then closes, or, without one, sends back what it gets (echo).
    async fn read_answer(answer: Option<&'static [u8]>) -> Result<Response, Text> {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let (mut r, mut w) = stream.split();
            let Some(answer) = answer else {
                return tokio::io::copy(&mut r, &mut w).await.map(drop);
            };
            let _ = r.read(&mut [0u8; 1024]).await;
            w.write_all(answer).await
        });
        let target = Target {
            host: "127.0.0.1".into(),
            port,
        };
        let opts = Options {
            timeout: Duration::from_millis(500),
            ..Options::default()
        };
        exchange(&target, &opts, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET").await
    }

    #[tokio::test]
    async fn status_lines_are_read() {
        for (answer, code) in [
            (&b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"[..], 200),
            (b"HTTP/1.0 404 \r\n\r\n", 404),
            (b"HTTP/1.1 204\r\n\r\n", 204),
        ] {
            assert_eq!(read_answer(Some(answer)).await.unwrap().head.code, code);
        }
        for (bad, why) in [
            (&b"HELLO netlab chat\r\n"[..], "this is not HTTP"),
            (b"HTTP/1.1 2000 OK\r\n\r\n", "the status line is"),
            (b"HTTP/1.1 OK\r\n\r\n", "the status line is"),
            (b"HTTP/2 200 OK\r\n\r\n", "the status line is"),
            (b"HTTP/1.1 099 Low\r\n\r\n", "the status line is"),
        ] {
            let e = read_answer(Some(bad)).await.unwrap_err();
            assert!(e.en.contains(why), "{bad:?}: {}", e.en);
        }
    }

    /// httparse's own error would say "invalid header name", in English.
    #[test]
    fn the_header_line_at_fault_is_named() {
        let got = b"HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\nBad header\r\nX-B: b\r\n\r\n";
        let why = not_a_head(got, b"");
        assert!(why.en.contains("header line \"Bad header\""), "{}", why.en);
        assert!(
            why.fr.contains("ligne d'en-tête \"Bad header\""),
            "{}",
            why.fr
        );
    }

    #[tokio::test]
    async fn bare_lf_heads_are_read_and_counted() {
        let r = read_answer(Some(b"HTTP/1.1 200 OK\nContent-Length: 2\r\n\nhi"))
            .await
            .unwrap();
        assert_eq!((r.bare_lf, r.status_line.as_str()), (2, "HTTP/1.1 200 OK"));
        assert!(matches!(r.body, Body::Length { n: 2, got: 2, .. }));
    }

    /// The answer to `this is not HTTP` from Python's `http.server`: its
    /// error page alone, HTTP/0.9 style. The reason must not ask for 200
    /// while `http.bad-request` advises 400.
    #[test]
    fn an_answer_without_status_line_is_not_told_to_be_200() {
        let why = not_http(b"<!DOCTYPE HTML>\n<html>", b"this is not HTTP\r\n\r\n");
        assert!(
            !why.en.contains("must start with \"HTTP/1.1 200 OK\""),
            "{}",
            why.en
        );
        assert!(why.en.contains("a status line"), "{}", why.en);
        assert!(why.fr.contains("une ligne de statut"), "{}", why.fr);
    }

    /// "\n" instead of "\r\n" after a chunk's data: the size was right,
    /// so the reason must not say it was wrong.
    #[tokio::test]
    async fn a_bare_lf_after_a_chunk_is_not_called_a_wrong_size() {
        let r = read_answer(Some(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\n0\r\n\r\n",
        ))
        .await
        .unwrap();
        let Body::Chunked(Err(why)) = &r.body else {
            panic!("{:?}", r.body);
        };
        assert!(why.en.contains("followed by LF alone"), "{}", why.en);
        assert!(!why.en.contains("size is wrong"), "{}", why.en);
        assert!(why.fr.contains("suivies de LF seul"), "{}", why.fr);
    }

    /// "0\r\n" and the close, the empty line after it forgotten: the
    /// sizes were right, the end of the body is not.
    #[tokio::test]
    async fn a_last_chunk_without_its_empty_line_is_named() {
        let r = read_answer(Some(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n",
        ))
        .await
        .unwrap();
        let Body::Chunked(Err(why)) = &r.body else {
            panic!("{:?}", r.body);
        };
        assert!(why.en.contains("the empty line"), "{}", why.en);
        assert!(!why.en.contains("size too large"), "{}", why.en);
        assert!(why.fr.contains("la ligne vide"), "{}", why.fr);
    }

    #[tokio::test]
    async fn our_request_coming_back_is_named() {
        let why = read_answer(None).await.unwrap_err();
        assert!(why.en.contains("our own request coming back"), "{}", why.en);
        assert!(why.fr.contains("notre propre requête"), "{}", why.fr);
    }
}
