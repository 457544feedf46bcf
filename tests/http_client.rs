//! Integration tests of `http-client`, run as a real process: against
//! `http-server`, and against tiny in-test servers that answer with each of
//! the three ways an HTTP body can end (length, chunks, close).

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use support::{Server, run_client};

const T: Duration = Duration::from_secs(20);

/// A server thread that reads one request head and answers `answer`, in
/// small pieces so the client must put the body together. Returns its URL
/// and a handle giving back the request it received.
fn canned(answer: &'static [u8]) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/canned?x=1", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _): (TcpStream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
            request.push(byte[0]);
        }
        for piece in answer.chunks(5) {
            if stream.write_all(piece).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        String::from_utf8_lossy(&request).into_owned()
    });
    (url, handle)
}

#[test]
fn shows_the_request_the_response_head_and_the_body() {
    let server = Server::start("http-server", &["--port", "0"]);
    let url = format!("http://{}/", server.addr());
    let out = run_client("http-client", &[&url], T);
    assert!(out.status.success(), "{}", out.stderr);
    let text = out.stdout_text();
    assert!(
        text.starts_with(&format!("> GET / HTTP/1.1\n> Host: {}\n", server.addr())),
        "{text}"
    );
    assert!(text.contains("\n< HTTP/1.1 200 OK\n"), "{text}");
    assert!(
        text.contains("\n< Content-Type: text/html; charset=utf-8\n"),
        "{text}"
    );
    // The server's page echoes our own User-Agent back.
    assert!(
        text.contains("<td class=\"header-value\">netlab-http-client/"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("</html>"), "{text}");
}

#[test]
fn body_only_prints_exactly_the_body() {
    let server = Server::start("http-server", &["--port", "0"]);
    let out = run_client(
        "http-client",
        &["--body-only", &format!("http://{}/", server.addr())],
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stdout.starts_with(b"<!doctype html>"),
        "{}",
        out.stdout_text()
    );
}

#[test]
fn head_shows_headers_and_no_body() {
    let server = Server::start("http-server", &["--port", "0"]);
    let out = run_client(
        "http-client",
        &["--head", &format!("http://{}/", server.addr())],
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    let text = out.stdout_text();
    assert!(text.starts_with("> HEAD / HTTP/1.1\n"), "{text}");
    assert!(text.ends_with("\n<\n"), "nothing after the head: {text}");
}

#[test]
fn content_length_bodies_stop_at_the_length() {
    let (url, server) = canned(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello worldEXTRA");
    let out = run_client("http-client", &["--body-only", &url], T);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, b"hello world");
    let request = server.join().unwrap();
    assert!(
        request.starts_with("GET /canned?x=1 HTTP/1.1\r\nHost: 127.0.0.1:"),
        "{request}"
    );
}

/// A request target is ASCII (RFC 9112 §3.2, RFC 3986 §2.1): a URL typed
/// with `é` is sent as a browser sends it, `%C3%A9` (its UTF-8 bytes,
/// %-encoded). Sent raw, Python's http.server read it as Latin-1: 404.
#[test]
fn non_ascii_in_the_url_is_sent_percent_encoded() {
    let (url, server) = canned(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let url = url.replace(
        "/canned?x=1",
        "/caf\u{e9}/\u{e9}t\u{e9}.txt?q=\u{e9}&r=%C3%A9",
    );
    let out = run_client("http-client", &[&url], T);
    assert!(out.status.success(), "{}", out.stderr);
    let request = server.join().unwrap();
    assert!(
        request.starts_with("GET /caf%C3%A9/%C3%A9t%C3%A9.txt?q=%C3%A9&r=%C3%A9 HTTP/1.1\r\n"),
        "{request}"
    );
    // What is shown is what was sent.
    assert!(
        out.stdout_text()
            .starts_with("> GET /caf%C3%A9/%C3%A9t%C3%A9.txt?q=%C3%A9&r=%C3%A9 HTTP/1.1\n"),
        "{}",
        out.stdout_text()
    );
}

/// RFC 9112 §6.1: HTTP/1.0 has no transfer codings, so a 1.0 answer with
/// Transfer-Encoding has framing that cannot be trusted: the client MUST
/// treat it as faulty, and refuses it, saying why (after showing the head).
#[test]
fn transfer_encoding_in_an_http10_answer_is_refused() {
    let (url, _server) = canned(
        b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
    );
    let out = run_client("http-client", &[&url], T);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
    assert!(
        out.stderr
            .contains("Transfer-Encoding in an HTTP/1.0 answer"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout_text()
            .contains("\n< Transfer-Encoding: chunked\n")
    );
}

/// RFC 9110 §15.2.2: a server may switch protocols (101) only to one the
/// client asked for in `Upgrade`; this client asks for none, so what follows
/// is not HTTP it can read. Said, not taken for a successful empty answer.
#[test]
fn an_unrequested_switch_of_protocol_is_an_explained_error() {
    let (url, _server) =
        canned(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi");
    let out = run_client("http-client", &[&url], T);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
    assert!(
        out.stderr
            .contains("switch to another protocol (websocket)"),
        "{}",
        out.stderr
    );
}

/// A 304 answer has no body (RFC 9110 §15.4.5), even when it repeats the
/// Content-Length of the 200 it stands for (§8.6): reading 5 bytes here
/// would wait for bytes that never come.
#[test]
fn a_304_answer_has_no_body_whatever_its_content_length_says() {
    let (url, _server) = canned(
        b"HTTP/1.1 304 Not Modified\r\nLast-Modified: Thu, 02 Jan 2020 03:04:05 GMT\r\nContent-Length: 5\r\n\r\n",
    );
    let out = run_client("http-client", &[&url], T);
    assert!(out.status.success(), "{}", out.stderr);
    let text = out.stdout_text();
    assert!(text.contains("\n< HTTP/1.1 304 Not Modified\n"), "{text}");
    assert!(text.ends_with("\n<\n"), "nothing after the head: {text}");
}

/// The reason phrase may be empty (RFC 9112 §4: `status-line = HTTP-version
/// SP status-code SP [ reason-phrase ]`): the last log line says so, and
/// has no stray colon after the code. Piped, the body stays exact: no
/// newline is added after it (that is for a terminal only).
#[test]
fn an_empty_reason_phrase_is_logged_in_words() {
    let (url, _server) = canned(b"HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nhi");
    let out = run_client("http-client", &[&url], T);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stderr.contains("200 (no reason phrase): 2 body bytes"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("200 :"), "{}", out.stderr);
    assert!(
        out.stdout_text().ends_with("\n<\nhi"),
        "{}",
        out.stdout_text()
    );
}

#[test]
fn a_header_folded_over_two_lines_is_read_as_one() {
    // Obsolete line folding: RFC 9112 §5.2 says a client MUST accept it,
    // reading each fold as a space.
    let (url, _server) =
        canned(b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length:\r\n 5\r\n\r\nhelloEXTRA");
    let out = run_client("http-client", &[&url], T);
    assert!(out.status.success(), "{}", out.stderr);
    let text = out.stdout_text();
    assert!(
        text.contains("\n< HTTP/1.1 200 OK\n< X-A: a b\n< Content-Length: 5\n<\nhello"),
        "{text}"
    );
    assert!(
        text.ends_with("<\nhello"),
        "the folded length is used: {text}"
    );
}

#[test]
fn chunked_bodies_are_put_back_together() {
    let (url, _server) = canned(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;name=x\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: t\r\n\r\n",
    );
    let out = run_client("http-client", &[&url], T);
    assert!(out.status.success(), "{}", out.stderr);
    let text = out.stdout_text();
    assert!(text.contains("< Transfer-Encoding: chunked\n<\n"), "{text}");
    assert!(text.ends_with("<\nWikipedia in \r\n\r\nchunks."), "{text}");
}

#[test]
fn read_to_close_bodies_end_with_the_connection() {
    let (url, _server) = canned(
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nno length: the end is the close",
    );
    let out = run_client("http-client", &["--body-only", &url], T);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout_text(), "no length: the end is the close");
}

#[test]
fn a_body_cut_short_is_an_explained_error() {
    let (url, _server) = canned(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
    let out = run_client("http-client", &[&url], T);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr
            .contains("before the whole body arrived (9 of 100 bytes)"),
        "{}",
        out.stderr
    );
}

/// RFC 9110 §2.5: a later HTTP/1.x is read as the highest 1.x the client
/// knows, 1.1 (same major version, same way of reading the message).
#[test]
fn a_later_http1_minor_version_is_read_as_http11() {
    for answer in [
        &b"HTTP/1.2 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA"[..],
        &b"HTTP/1.9 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"[..],
    ] {
        let (url, _server) = canned(answer);
        let out = run_client("http-client", &[&url], T);
        assert!(out.status.success(), "{}", out.stderr);
        let text = out.stdout_text();
        // Shown as it came: the student sees what the server said.
        let status_line = std::str::from_utf8(&answer[..15]).unwrap();
        assert!(text.contains(&format!("\n< {status_line}\n")), "{text}");
        assert!(text.ends_with("<\nhello"), "{text}");
    }
}

/// Another major version, or no version at all, is refused, with why.
#[test]
fn another_major_version_or_garbage_is_refused_and_explained() {
    let (url, _server) = canned(b"HTTP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    let out = run_client("http-client", &[&url], T);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
    assert!(
        out.stderr
            .contains("answered in HTTP/2, a version this client does not speak"),
        "{}",
        out.stderr
    );
    for garbage in [
        &b"HTTP/1.10 200 OK\r\n\r\n"[..],
        &b"HTTP/1.x 200 OK\r\n\r\n"[..],
        &b"Tuesday, November 24, 2026 03:38:07-UTC\r\n"[..],
    ] {
        let (url, _server) = canned(garbage);
        let out = run_client("http-client", &[&url], T);
        assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
        assert!(out.stderr.contains("not valid HTTP"), "{}", out.stderr);
    }
}

#[test]
fn https_is_explained_as_unsupported() {
    let out = run_client("http-client", &["https://127.0.0.1:8443/"], T);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a URL we cannot use is a usage mistake"
    );
    assert!(
        out.stderr.contains("encrypted TLS connection"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("only speaks plain HTTP"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_closed_port_is_explained() {
    let closed = support::RefusingTcp::new();
    let out = run_client("http-client", &[&format!("http://{}/", closed.addr())], T);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("no server listens"), "{}", out.stderr);
}

#[test]
fn trace_shows_the_bytes_on_stderr() {
    let server = Server::start("http-server", &["--port", "0"]);
    let out = run_client(
        "http-client",
        &[
            "--trace",
            "--body-only",
            &format!("http://{}/", server.addr()),
        ],
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("to   {}: \"GET / HTTP/1.1\\r\\n", server.addr())),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("\"HTTP/1.1 200 OK\\r\\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn ipv6_loopback_urls_use_brackets() {
    let server = Server::start("http-server", &["--port", "0", "--host", "::1"]);
    let url = format!("http://[::1]:{}/", server.port());
    let out = run_client("http-client", &[&url], T);
    assert!(out.status.success(), "{}", out.stderr);
    let text = out.stdout_text();
    assert!(
        text.contains(&format!("> Host: [::1]:{}\n", server.port())),
        "{text}"
    );
    assert!(text.contains("<code id=\"client\">[::1]:"), "{text}");
}

#[test]
fn a_reader_that_stops_early_ends_the_client_quietly() {
    // `http-client URL | head`: once head has its lines, the rest is unwanted;
    // the client must stop with success, not "error: writing the output".
    let site = std::env::temp_dir().join(format!("netlab-http-client-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("big.txt"), vec![b'x'; 4 * 1024 * 1024]).unwrap();
    let server = Server::start(
        "http-server",
        &["--port", "0", "--root", site.to_str().unwrap()],
    );
    let url = format!("http://{}/big.txt", server.addr());
    let mut child = std::process::Command::new(support::bin("http-client"))
        .args(["-q", &url])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"> GET /big.txt H");
    drop(stdout); // the reader is gone, 4 MiB are still to come
    let status = support::wait_for_exit(
        &mut child,
        T,
        "http-client did not stop when its reader went away",
    );
    let stderr = support::read_stderr(&mut child);
    let _ = std::fs::remove_dir_all(&site);
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn port_zero_in_the_url_is_refused_before_connecting() {
    let out = run_client("http-client", &["http://127.0.0.1:0/"], T);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("not a server's port"), "{}", out.stderr);
    assert!(!out.stderr.contains("refused"), "{}", out.stderr);
}

#[test]
fn a_timeout_of_zero_is_refused() {
    // A time-out of 0 would give up before the first byte could arrive.
    let out = run_client("http-client", &["--timeout", "0", "http://127.0.0.1:9/"], T);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("more than 0"), "{}", out.stderr);
}

#[test]
fn a_body_that_stalls_is_shown_before_the_error_that_explains_it() {
    // Answers part of the body, then neither sends the rest nor closes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(T)).unwrap();
        let _ = stream.read(&mut [0u8; 4096]);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
        std::thread::sleep(Duration::from_secs(3));
    });
    // Both streams in one pipe, as on a terminal: their order is what a
    // student sees.
    let client = support::bin("http-client");
    let out = support::run_with_input(
        std::path::Path::new("sh"),
        &[
            "-c",
            "exec \"$0\" --timeout 1 \"$1\" 2>&1",
            &client.display().to_string(),
            &url,
        ],
        b"",
        T,
    );
    server.join().unwrap();
    let screen = out.stdout_text();
    assert_eq!(out.status.code(), Some(1), "{screen}");
    assert!(screen.contains("<\npartial\nerror: "), "{screen}");
    assert!(screen.contains("middle of the body"), "{screen}");
    assert!(screen.contains("7 of 100 bytes came"), "{screen}");
}
