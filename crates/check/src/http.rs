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
//! | `http.length`     | a `Content-Length` that is not the size of the body sent     |
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
//! close to end a body) is a warning. A server that speaks HTTP/1.0 (Python's `http.server`)
//! is judged as HTTP/1.0: it may close after each answer.

use std::time::Duration;

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
    /// `HTTP/1.1` or `HTTP/1.0`.
    version: String,
    /// The status code.
    status: u16,
    /// Header lines (name, value), names as sent.
    headers: Vec<(String, String)>,
    /// Head lines that end with LF alone (their number).
    bare_lf: usize,
    /// The status line, for messages.
    status_line: String,
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
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// The server said it closes after this answer (or is HTTP/1.0, which
    /// closes unless it said keep-alive).
    fn closes(&self) -> bool {
        let connection = self.header("Connection").unwrap_or_default();
        let says = |word: &str| {
            connection
                .split(',')
                .any(|w| w.trim().eq_ignore_ascii_case(word))
        };
        says("close") || (self.version == "HTTP/1.0" && !says("keep-alive"))
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

/// Sends `request` on a new connection and reads one response. `head_only`:
/// the request was HEAD (no body follows, whatever the head says).
async fn exchange(
    target: &Target,
    opts: &Options,
    request: &[u8],
    head_only: bool,
) -> Result<Response, Text> {
    let stream = wire::connect(target, opts).await?;
    let mut reader = Reader::new(stream, opts.timeout);
    reader.send(request, opts).await?;
    read_response(&mut reader, opts, head_only).await
}

/// [`exchange`] for the first `GET /`, which asked for `Connection: close`:
/// what follows a `Content-Length` body before the close is kept, so that
/// `http.length` can name bytes the length did not count.
async fn first_exchange(target: &Target, opts: &Options, request: &[u8]) -> Result<Response, Text> {
    let stream = wire::connect(target, opts).await?;
    let mut reader = Reader::new(stream, opts.timeout);
    reader.send(request, opts).await?;
    let mut response = read_response(&mut reader, opts, false).await?;
    if let Body::Length { extra, .. } = &mut response.body {
        // A reset here comes after the whole answer (a server that closes
        // with our request partly unread): it changes nothing to it.
        while reader.buf.len() < 4096 && reader.fill().await.unwrap_or(false) {}
        *extra = reader.take(4096);
    }
    Ok(response)
}

/// Reads one response from `reader`.
async fn read_response(
    reader: &mut Reader,
    opts: &Options,
    head_only: bool,
) -> Result<Response, Text> {
    // The head ends at the first empty line: CR LF CR LF, or, from a
    // server that forgets the CRs, LF LF (reported by `http.crlf`).
    let end = loop {
        if let Some(end) = head_end(&reader.buf) {
            break end;
        }
        if reader.buf.len() > MAX_HEAD {
            let n = MAX_HEAD;
            let got = show(&reader.buf);
            return Err(text!(
                "plus de {n} octets reçus ({got}) sans la ligne vide qui termine l'en-tête",
                "more than {n} bytes received ({got}) without the empty line that ends the head"
            ));
        }
        if !reader.fill().await? {
            return Err(unfinished_head(reader, opts));
        }
    };
    let head = reader.take(end);
    let head = String::from_utf8_lossy(&head).into_owned();
    let bare_lf = head.matches('\n').count() - head.matches("\r\n").count();
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().unwrap_or_default().to_string();
    let (version, status) = parse_status_line(&status_line).map_err(|why| {
        // Our own request, sent back: an echo server (a wrong port).
        if !status_line.is_empty() && reader.sent.starts_with(status_line.as_bytes()) {
            let (fr, en) = (&why.fr, &why.en);
            text!(
                "{fr} ; c'est notre propre requête qui est revenue : un serveur echo ? Vérifiez le port",
                "{en}; it is our own request coming back: an echo server? Check the port"
            )
        } else {
            why
        }
    })?;
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            let shown = show(line.as_bytes());
            return Err(text!(
                "la ligne d'en-tête {shown} n'a pas la forme « Nom: valeur »",
                "the header line {shown} is not of the form \"Name: value\""
            ));
        };
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let mut response = Response {
        version,
        status,
        headers,
        bare_lf,
        status_line,
        body: Body::None,
    };
    if head_only || matches!(status, 100..=199 | 204 | 304) {
        return Ok(response);
    }
    let chunked = response
        .header("Transfer-Encoding")
        .is_some_and(|te| te.to_ascii_lowercase().ends_with("chunked"));
    response.body = if chunked {
        Body::Chunked(read_chunked(reader).await)
    } else if let Some(value) = response.header("Content-Length") {
        let Ok(n) = value.parse::<u64>() else {
            let shown = show(value.as_bytes());
            return Err(text!(
                "Content-Length vaut {shown} : ce doit être un nombre d'octets",
                "Content-Length is {shown}: it must be a number of bytes"
            ));
        };
        let got = read_counted(reader, n).await?;
        Body::Length {
            n,
            got,
            extra: Vec::new(),
        }
    } else {
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
    };
    Ok(response)
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

/// Reads a chunked body: hexadecimal size, CR LF, data, CR LF, … `0`.
async fn read_chunked(reader: &mut Reader) -> Result<u64, Text> {
    let mut total = 0u64;
    loop {
        let line = read_line(reader).await?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let Ok(size) = u64::from_str_radix(size, 16) else {
            let shown = show(line.as_bytes());
            return Err(text!(
                "la taille de morceau {shown} n'est pas un nombre hexadécimal (chunked)",
                "the chunk size {shown} is not a hexadecimal number (chunked)"
            ));
        };
        if size == 0 {
            // Trailer lines, up to the empty line.
            while !read_line(reader).await?.is_empty() {}
            return Ok(total);
        }
        if read_counted(reader, size).await? < size {
            return Err(text!(
                "le corps chunked s'est arrêté au milieu d'un morceau",
                "the chunked body stopped in the middle of a chunk"
            ));
        }
        total += size;
        if total > MAX_BODY as u64 * 64 {
            return Ok(total);
        }
        if !read_line(reader).await?.is_empty() {
            return Err(text!(
                "un morceau chunked n'est pas suivi de CR LF : sa taille annoncée est fausse",
                "a chunk is not followed by CR LF: its announced size is wrong"
            ));
        }
    }
}

/// One line (without its CR LF), for chunked framing.
async fn read_line(reader: &mut Reader) -> Result<String, Text> {
    loop {
        if let Some(at) = reader.buf.iter().position(|&b| b == b'\n') {
            let line = reader.take(at + 1);
            let line = String::from_utf8_lossy(&line);
            return Ok(line.trim_end_matches(['\r', '\n']).to_string());
        }
        if reader.buf.len() > 4096 || !reader.fill().await? {
            return Err(text!(
                "le corps chunked s'est arrêté avant le morceau de taille 0 qui le termine",
                "the chunked body stopped before the chunk of size 0 that ends it"
            ));
        }
    }
}

/// Where the head ends (just after its empty line), if it has come.
fn head_end(buf: &[u8]) -> Option<usize> {
    (0..buf.len()).find_map(|i| {
        let rest = &buf[i..];
        if rest.starts_with(b"\r\n\r\n") {
            Some(i + 4)
        } else if rest.starts_with(b"\n\r\n") {
            Some(i + 3)
        } else if rest.starts_with(b"\n\n") {
            Some(i + 2)
        } else {
            None
        }
    })
}

/// Why no whole head came.
fn unfinished_head(reader: &Reader, opts: &Options) -> Text {
    let got = &reader.buf;
    if got.is_empty() {
        return if reader.closed {
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
        };
    }
    let shown = show(got);
    if got.starts_with(b"HTTP/") {
        text!(
            "l'en-tête de la réponse ({shown}) ne finit pas par une ligne vide (\\r\\n\\r\\n) : le client ne sait pas où commence le corps",
            "the response head ({shown}) does not end with an empty line (\\r\\n\\r\\n): the client cannot tell where the body starts"
        )
    } else {
        text!(
            "la réponse {shown} n'est pas du HTTP : elle doit commencer par une ligne de statut « HTTP/1.1 200 OK »",
            "the answer {shown} is not HTTP: it must start with a status line \"HTTP/1.1 200 OK\""
        )
    }
}

/// `HTTP/1.1 200 OK` → (`HTTP/1.1`, 200). The reason may be empty.
fn parse_status_line(line: &str) -> Result<(String, u16), Text> {
    let shown = show(line.as_bytes());
    let bad = || {
        text!(
            "la ligne de statut est {shown} : elle doit être « HTTP/1.x NNN raison », par exemple « HTTP/1.1 200 OK »",
            "the status line is {shown}: it must be \"HTTP/1.x NNN reason\", e.g. \"HTTP/1.1 200 OK\""
        )
    };
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err(text!(
            "la réponse commence par {shown} : ce n'est pas du HTTP (elle doit commencer par « HTTP/1.1 200 OK »)",
            "the answer starts with {shown}: this is not HTTP (it must start with \"HTTP/1.1 200 OK\")"
        ));
    }
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return Err(bad());
    }
    let status = match code.parse::<u16>() {
        Ok(n @ 100..=599) if code.len() == 3 => n,
        _ => return Err(bad()),
    };
    Ok((version.to_string(), status))
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
        Body::UntilClose { closed: true, .. } if r.version == "HTTP/1.0" => Ok(Verdict::Pass),
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
    let r = exchange(target, opts, request.as_bytes(), false).await?;
    match r.status {
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
    let r = read_response(&mut reader, opts, true).await?;
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
        && get.status != r.status
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
    let first = read_response(&mut reader, opts, false).await?;
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
        Ok(()) => read_response(&mut reader, opts, false).await,
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
    let r = exchange(target, opts, request.as_bytes(), false).await?;
    let line = show(r.status_line.as_bytes());
    match r.status {
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
    match exchange(target, opts, request, false).await {
        Ok(r) if (400..500).contains(&r.status) => Ok(Verdict::Pass),
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
    let r = exchange(target, opts, request, false).await?;
    if r.status == 400 {
        return Ok(Verdict::Pass);
    }
    let line = show(r.status_line.as_bytes());
    let why = text!(
        "une requête HTTP/1.1 sans Host a reçu {line} : la RFC 9112 (§3.2) exige 400 Bad Request (Host dit quel site est demandé : une machine peut en héberger plusieurs)",
        "an HTTP/1.1 request without Host got {line}: RFC 9112 (§3.2) requires 400 Bad Request (Host says which site is asked for: one machine may host several)"
    );
    // An HTTP/1.0 server does not claim HTTP/1.1's rules.
    if r.version == "HTTP/1.0" {
        Ok(Verdict::Warn(why))
    } else {
        Err(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read() {
        assert_eq!(
            parse_status_line("HTTP/1.1 200 OK").unwrap(),
            ("HTTP/1.1".to_string(), 200)
        );
        assert_eq!(parse_status_line("HTTP/1.0 404 ").unwrap().1, 404);
        assert_eq!(parse_status_line("HTTP/1.1 204").unwrap().1, 204);
        for bad in [
            "HELLO netlab",
            "HTTP/1.1 2000 OK",
            "HTTP/1.1 OK",
            "HTTP/2 200 OK",
        ] {
            assert!(parse_status_line(bad).is_err(), "{bad}");
        }
        let why = parse_status_line("HELLO netlab chat").unwrap_err();
        assert!(why.en.contains("this is not HTTP"), "{}", why.en);
    }

    #[tokio::test]
    async fn our_request_coming_back_is_named() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let (mut r, mut w) = stream.split();
            let _ = tokio::io::copy(&mut r, &mut w).await;
        });
        let target = Target {
            host: "127.0.0.1".into(),
            port,
        };
        let opts = Options {
            timeout: Duration::from_millis(500),
            ..Options::default()
        };
        let why = exchange(&target, &opts, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false)
            .await
            .unwrap_err();
        assert!(why.en.contains("our own request coming back"), "{}", why.en);
        assert!(why.fr.contains("notre propre requête"), "{}", why.fr);
    }

    #[test]
    fn the_head_ends_at_its_empty_line_even_without_cr() {
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody"), Some(25));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\nA: b\n\nbody"), Some(22));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n"), None);
    }
}
