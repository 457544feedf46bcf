//! Integration tests of `http-server`, run as a real process on `--port 0`,
//! answered by curl and by plain sockets: keep-alive, HEAD, every error
//! status, every limit flag, `--root` without path traversal, Ctrl-C.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{Server, run_client, tool};

const T: Duration = Duration::from_secs(20);

fn http_server(extra: &[&str]) -> Server {
    let mut args = vec!["--port", "0"];
    args.extend_from_slice(extra);
    Server::start("http-server", &args)
}

/// Sends raw bytes, reads until the server closes (bounded).
fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut out = Vec::new();
    stream
        .read_to_end(&mut out)
        .expect("the server closes the connection in time");
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs curl with `args` (bounded); returns its stdout. None when curl is missing.
fn curl(args: &[&str]) -> Option<String> {
    let curl = tool("curl")?;
    let mut all = vec!["--silent", "--show-error", "--max-time", "10"];
    all.extend_from_slice(args);
    let out = support::run_with_input(&curl, &all, b"", T);
    assert!(out.status.success(), "curl {args:?} failed: {}", out.stderr);
    Some(out.stdout_text())
}

/// A folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("netlab-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_first_log_line_gives_the_address_the_range_and_the_protocol() {
    let server = http_server(&[]);
    let first = server.log.lines()[0].clone();
    assert!(
        first.contains(&format!("listening on {} (tcp)", server.addr())),
        "{first}"
    );
    assert!(
        first.contains(&codec::ports::PortRange::of(server.addr().port()).to_string()),
        "{first}"
    );
    assert!(first.contains("http (HTTP/1.1)"), "{first}");
}

#[test]
fn curl_sees_its_own_request_in_the_page_html_escaped() {
    let server = http_server(&[]);
    let url = format!("http://{}/?q=1", server.addr());
    let Some(page) = curl(&[
        "--user-agent",
        "curl-test <b>&\"x\"",
        "--header",
        "X-Evil: <script>alert(1)</script>",
        &url,
    ]) else {
        return;
    };
    assert!(page.contains("<td id=\"method\">GET</td>"), "{page}");
    assert!(page.contains("<td id=\"path\">/?q=1</td>"), "{page}");
    assert!(page.contains("<td id=\"version\">HTTP/1.1</td>"), "{page}");
    assert!(
        page.contains("curl-test &lt;b&gt;&amp;&quot;x&quot;"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "{page}");
    // The page names the client's address and port: the same the server logged.
    let start = page.find("<code id=\"client\">").unwrap() + "<code id=\"client\">".len();
    let client = &page[start..start + page[start..].find('<').unwrap()];
    assert!(client.starts_with("127.0.0.1:"), "{client}");
    assert!(
        server
            .log
            .wait_for(&format!("client {client} connected"), T)
            .is_some(),
        "{}",
        server.log.text()
    );
}

#[test]
fn curl_reuses_one_connection_for_two_requests_keep_alive() {
    let server = http_server(&[]);
    let (a, b) = (
        format!("http://{}/", server.addr()),
        format!("http://{}/missing", server.addr()),
    );
    let Some(out) = curl(&[
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{num_connects}\\n",
        &a,
        &b,
    ]) else {
        return;
    };
    assert_eq!(
        out, "200 1\n404 0\n",
        "the second request must reuse the connection"
    );
    assert!(
        server.log.wait_for("left after 2 requests", T).is_some(),
        "{}",
        server.log.text()
    );
}

#[test]
fn head_gets_the_headers_without_the_body() {
    let server = http_server(&[]);
    let Some(out) = curl(&["--head", &format!("http://{}/", server.addr())]) else {
        return;
    };
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("Content-Length: "), "{out}");
    assert!(out.contains("Date: ") && out.contains(" GMT\r\n"), "{out}");
    assert!(!out.contains("<!doctype"), "{out}");
}

#[test]
fn pipelined_requests_are_all_answered_in_order() {
    let server = http_server(&[]);
    let out = exchange(
        server.addr(),
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    );
    let statuses: Vec<&str> = out.lines().filter(|l| l.starts_with("HTTP/1.1 ")).collect();
    assert_eq!(
        statuses,
        [
            "HTTP/1.1 404 Not Found",
            "HTTP/1.1 200 OK",
            "HTTP/1.1 200 OK"
        ],
        "{out}"
    );
    assert!(out.contains("<span id=\"nth\">3</span>"), "{out}");
}

#[test]
fn each_error_status_is_answered_and_explained() {
    let server = http_server(&[]);
    let cases: [(&[u8], &str); 6] = [
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
            "405 Method Not Allowed",
        ),
        (
            b"DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "405 Method Not Allowed",
        ),
        (b"GET / HTTP/2.0\r\n\r\n", "505 HTTP Version Not Supported"),
        (b"hello server\r\n\r\n", "400 Bad Request"),
        (b"GET / HTTP/1.1\r\n\r\n", "400 Bad Request"),
        (
            b"GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "404 Not Found",
        ),
    ];
    for (request, status) in cases {
        let out = exchange(server.addr(), request);
        assert!(
            out.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{request:?} → {out}"
        );
        assert!(
            out.contains(&format!("<h1>{status}</h1>")),
            "the error page says it: {out}"
        );
    }
    let out = exchange(
        server.addr(),
        b"PUT / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(out.contains("\r\nAllow: GET, HEAD\r\n"), "{out}");
    let out = exchange(server.addr(), b"GET / HTTP/1.1\r\n\r\n");
    assert!(out.contains("Host header"), "a 400 says why: {out}");
}

/// RFC 9110 §9.1 and §15.5.6: 405 says "a method I know, not for this";
/// a method the server does not know at all gets 501. Methods are
/// case-sensitive: `get` is not GET, and the page says so.
#[test]
fn unknown_methods_get_501_known_ones_405() {
    let server = http_server(&[]);
    let ask_with = |method: &str| {
        exchange(
            server.addr(),
            format!("{method} / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    };
    for known in ["POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"] {
        let out = ask_with(known);
        assert!(
            out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
            "{known}: {out}"
        );
        assert!(out.contains("\r\nAllow: GET, HEAD\r\n"), "{known}: {out}");
    }
    for unknown in ["FOO", "BREW", "get", "Head"] {
        let out = ask_with(unknown);
        assert!(
            out.starts_with("HTTP/1.1 501 Not Implemented\r\n"),
            "{unknown}: {out}"
        );
        assert!(!out.contains("\r\nAllow:"), "{unknown}: {out}");
    }
    let lower = ask_with("get");
    assert!(lower.contains("did you mean GET?"), "{lower}");
}

#[test]
fn a_later_http1_minor_version_is_served_as_http11() {
    // RFC 9110 §2.5: HTTP/1.2 is read as the highest 1.x the server knows;
    // only another major version (HTTP/2.0 above) gets 505.
    let server = http_server(&[]);
    let out = exchange(
        server.addr(),
        b"GET / HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("<td id=\"version\">HTTP/1.1</td>"), "{out}");
    assert!(
        out.contains("GET / HTTP/1.2\\r\\n"),
        "the bytes as sent: {out}"
    );
}

#[test]
fn max_header_bytes_refuses_oversized_heads_with_431() {
    let server = http_server(&["--max-header-bytes", "1024"]);
    let big = "a".repeat(2000);
    let request = format!("GET / HTTP/1.1\r\nHost: x\r\nCookie: {big}\r\n\r\n");
    let out = exchange(server.addr(), request.as_bytes());
    assert!(
        out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{out}"
    );
    // Just under the limit is fine.
    let fits = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: {}\r\n\r\n",
        "a".repeat(900)
    );
    assert!(exchange(server.addr(), fits.as_bytes()).starts_with("HTTP/1.1 200 OK"));
    // A huge URL is a 414.
    let long_url = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "u".repeat(2000));
    assert!(
        exchange(server.addr(), long_url.as_bytes()).starts_with("HTTP/1.1 414 URI Too Long\r\n")
    );
    assert!(
        server.log.wait_for("--max-header-bytes", T).is_some(),
        "{}",
        server.log.text()
    );
}

#[test]
fn curl_with_an_oversized_header_gets_431() {
    let server = http_server(&["--max-header-bytes", "1024"]);
    let header = format!("X-Big: {}", "b".repeat(4000));
    let Some(code) = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        &header,
        &format!("http://{}/", server.addr()),
    ]) else {
        return;
    };
    assert_eq!(code, "431");
}

#[test]
fn max_headers_refuses_too_many_header_lines_with_431() {
    let server = http_server(&["--max-headers", "5"]);
    let mut request = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
    for i in 0..10 {
        request.push_str(&format!("X-H{i}: {i}\r\n"));
    }
    request.push_str("\r\n");
    let out = exchange(server.addr(), request.as_bytes());
    assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
    assert!(out.contains("--max-headers"), "{out}");
}

#[test]
fn max_body_refuses_large_bodies_with_413() {
    let server = http_server(&["--max-body", "10"]);
    let out = exchange(
        server.addr(),
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
    );
    assert!(
        out.starts_with("HTTP/1.1 413 Content Too Large\r\n"),
        "{out}"
    );
    // A small body is read and skipped: the next request on the connection still works.
    let out = exchange(
        server.addr(),
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let statuses: Vec<&str> = out.lines().filter(|l| l.starts_with("HTTP/1.1 ")).collect();
    assert_eq!(
        statuses,
        ["HTTP/1.1 405 Method Not Allowed", "HTTP/1.1 200 OK"],
        "{out}"
    );
}

#[test]
fn read_timeout_answers_408_to_a_slow_request() {
    let server = http_server(&["--read-timeout", "0.5"]);
    let started = Instant::now();
    let out = exchange(server.addr(), b"GET / HTTP/1.1\r\nHost: x\r\n");
    assert!(out.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{out}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A connection that sends nothing is closed silently.
    assert_eq!(exchange(server.addr(), b""), "");
    assert!(
        server.log.wait_for("idle for", T).is_some(),
        "{}",
        server.log.text()
    );
}

#[test]
fn max_connections_makes_extra_clients_wait_not_fail() {
    let server = http_server(&["--max-connections", "1"]);
    let first = TcpStream::connect(server.addr()).unwrap();
    assert!(server.log.wait_for("connected", T).is_some());
    let mut second = TcpStream::connect(server.addr()).unwrap();
    second
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(
        second.read(&mut byte).is_err(),
        "the second client must wait for a free slot"
    );
    assert!(
        server.log.wait_for("--max-connections", T).is_some(),
        "{}",
        server.log.text()
    );
    drop(first);
    second
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut out = Vec::new();
    second.read_to_end(&mut out).unwrap();
    assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"));
}

#[test]
fn root_serves_files_and_nothing_outside() {
    let outside = TempDir::new("http-outside");
    std::fs::write(outside.path().join("secret.txt"), "TOP-SECRET").unwrap();
    let site = TempDir::new("http-site");
    std::fs::write(site.path().join("index.html"), "<p>home page</p>").unwrap();
    std::fs::create_dir(site.path().join("sub")).unwrap();
    std::fs::write(site.path().join("sub/notes.txt"), "hello from a file").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), site.path().join("escape")).unwrap();
    // The served folder's name is the same as the secret's parent, one level up.
    let secret_from_site = format!(
        "/../{}/secret.txt",
        outside.path().file_name().unwrap().to_str().unwrap()
    );

    let server = http_server(&["--root", site.path().to_str().unwrap()]);
    let addr = server.addr();
    let get = |path: &str| {
        exchange(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    };

    let home = get("/");
    assert!(
        home.starts_with("HTTP/1.1 200 OK") && home.ends_with("<p>home page</p>"),
        "{home}"
    );
    let notes = get("/sub/notes.txt");
    assert!(
        notes.contains("Content-Type: text/plain; charset=utf-8\r\n"),
        "{notes}"
    );
    assert!(notes.ends_with("\r\n\r\nhello from a file"), "{notes}");
    assert!(get("/sub/missing.txt").starts_with("HTTP/1.1 404 "));
    // A folder without its final "/" is redirected, query kept, so that its
    // page's relative links resolve inside it (as Apache does).
    let folder = get("/sub?x=1");
    assert!(
        folder.starts_with("HTTP/1.1 301 Moved Permanently\r\n")
            && folder.contains("\r\nLocation: /sub/?x=1\r\n"),
        "{folder}"
    );

    for attack in [
        secret_from_site.clone(),
        secret_from_site.replace("..", "%2e%2e"),
        secret_from_site.replace("..", "%2E%2E"),
        secret_from_site.replace("/../", "/sub/../../"),
        secret_from_site.replace("/../", "/%2e%2e%2f"),
        secret_from_site.replace("/../", "/..%2f"),
        "/..%2f..%2f..%2f..%2fetc%2fpasswd".to_string(),
        "/escape/secret.txt".to_string(),
        "/..%5c..%5cetc%5cpasswd".to_string(),
        "/../../../../../../etc/passwd".to_string(),
    ] {
        if attack.starts_with("/escape") && !cfg!(unix) {
            continue;
        }
        let out = get(&attack);
        assert!(
            out.starts_with("HTTP/1.1 403 ") || out.starts_with("HTTP/1.1 400 "),
            "{attack} → {out}"
        );
        assert!(
            !out.contains("TOP-SECRET") && !out.contains("root:"),
            "{attack} leaked: {out}"
        );
    }
    if let Some(curl) = tool("curl") {
        let url = format!("http://{addr}{secret_from_site}");
        let out = support::run_with_input(
            &curl,
            &[
                "-s",
                "--path-as-is",
                "--max-time",
                "10",
                "-w",
                "%{http_code}",
                &url,
            ],
            b"",
            T,
        );
        let text = out.stdout_text();
        assert!(
            text.ends_with("403") && !text.contains("TOP-SECRET"),
            "{text}"
        );
    }
}

/// The body of an answer (after its head).
fn body_of(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

#[test]
fn hidden_files_and_folders_are_not_served_except_well_known() {
    let site = TempDir::new("http-hidden");
    let root = site.path();
    std::fs::write(root.join("index.html"), "home").unwrap();
    std::fs::write(root.join(".env"), "PASSWORD=hunter2").unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/config"), "[remote] SECRET-REMOTE").unwrap();
    std::fs::write(root.join(".git/index.html"), "SECRET-INDEX").unwrap();
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/.htpasswd"), "admin:SECRET-HASH").unwrap();
    std::fs::create_dir_all(root.join(".well-known")).unwrap();
    std::fs::write(root.join(".well-known/security.txt"), "Contact: teacher").unwrap();
    std::fs::write(root.join(".well-known/.secret"), "SECRET-IN-WELL-KNOWN").unwrap();
    std::fs::create_dir_all(root.join("sub/.well-known")).unwrap();
    std::fs::write(root.join("sub/.well-known/x.txt"), "SECRET-NOT-AT-TOP").unwrap();

    let server = http_server(&["--root", root.to_str().unwrap()]);
    let get = |path: &str| ask(server.addr(), "GET", path, "");

    for hidden in [
        "/.env",
        "/.git",
        "/.git/",
        "/.git/config",
        "/sub/.htpasswd",
        "/%2egit/config",
        "/%2Eenv",
        "/sub/%2ehtpasswd",
        "/.well-known/.secret",
        "/sub/.well-known/x.txt",
    ] {
        let out = get(hidden);
        assert!(
            out.starts_with("HTTP/1.1 404 Not Found\r\n"),
            "{hidden} → {out}"
        );
        assert!(
            !out.contains("SECRET") && !out.contains("hunter2"),
            "{hidden} leaked: {out}"
        );
    }
    // An existing hidden file and a missing one get the same page: the
    // answer tells nothing about what is on the disk.
    let there = get("/.env");
    let missing = get("/.enw");
    assert_eq!(
        body_of(&there).replace(".env", "NAME"),
        body_of(&missing).replace(".enw", "NAME")
    );

    // RFC 8615: /.well-known/ is meant to be public.
    let well_known = get("/.well-known/security.txt");
    assert!(
        well_known.starts_with("HTTP/1.1 200 OK\r\n"),
        "{well_known}"
    );
    assert_eq!(body_of(&well_known), "Contact: teacher");
    let folder = get("/.well-known");
    assert!(folder.starts_with("HTTP/1.1 301 "), "{folder}");
    assert_eq!(
        header_value(&folder, "location").as_deref(),
        Some("/.well-known/")
    );

    // ".." is still refused with 403, however it is written, hidden names or not.
    for up in [
        "/../x",
        "/%2e%2e/x",
        "/.git/../index.html",
        "/sub/..%2f.env",
    ] {
        let out = get(up);
        assert!(
            out.starts_with("HTTP/1.1 403 Forbidden\r\n"),
            "{up} → {out}"
        );
    }
    // And "." segments are still nothing: this is the home page.
    assert_eq!(body_of(&get("/./index.html")), "home");
}

#[test]
fn root_without_index_shows_the_request_page() {
    let site = TempDir::new("http-noindex");
    let server = http_server(&["--root", site.path().to_str().unwrap()]);
    let out = exchange(
        server.addr(),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(out.contains("What your browser said"), "{out}");
}

#[test]
fn a_missing_root_folder_is_explained() {
    let out = run_client(
        "http-server",
        &["--port", "0", "--root", "/no/such/folder/netlab"],
        T,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a usage mistake: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("error: cannot serve /no/such/folder/netlab: there is no such folder"),
        "{}",
        out.stderr
    );
}

#[test]
fn port_in_use_is_explained() {
    let server = http_server(&[]);
    let out = run_client("http-server", &["--port", &server.port()], T);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("another program already listens"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("os error"), "{}", out.stderr);
}

#[test]
fn trace_shows_the_request_bytes_with_the_peer() {
    let server = http_server(&["--trace"]);
    exchange(
        server.addr(),
        b"GET / HTTP/1.1\r\nHost: traced\r\nConnection: close\r\n\r\n",
    );
    let line = server
        .log
        .wait_for("Host: traced", T)
        .expect("the request is traced");
    assert!(
        line.contains("recv ") && line.contains("from 127.0.0.1:"),
        "{line}"
    );
    assert!(
        line.contains(r#""GET / HTTP/1.1\r\nHost: traced\r\n"#),
        "{line}"
    );
    assert!(
        server
            .log
            .wait_for("sent ", T)
            .unwrap()
            .contains("HTTP/1.1 200 OK\\r\\n")
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server_cleanly_even_with_idle_keep_alive_clients() {
    let mut server = http_server(&[]);
    let mut idle = TcpStream::connect(server.addr()).unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 16];
    idle.read_exact(&mut buf).unwrap();
    let started = Instant::now();
    let status = server.interrupt(T).expect("the server exits after Ctrl-C");
    assert!(status.success(), "{status:?}\n{}", server.log.text());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an idle keep-alive connection must not delay the exit"
    );
    assert!(server.log.text().contains("server stopped"));
}

#[test]
fn other_clients_are_served_while_one_stalls_mid_request() {
    let server = http_server(&[]);
    let mut stalled = TcpStream::connect(server.addr()).unwrap();
    stalled.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
    let started = Instant::now();
    let out = exchange(
        server.addr(),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 200 OK"));
    // The stalled request holds its connection for --read-timeout (60 s):
    // a server that served it first would take that long.
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(stalled);
}

#[test]
fn a_client_expecting_100_continue_is_not_kept_waiting() {
    let server = http_server(&[]);
    let Some(curl) = tool("curl") else { return };
    let url = format!("http://{}/", server.addr());
    let body = vec![b'x'; 5000];
    let started = Instant::now();
    let args = [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        "Expect: 100-continue",
    ];
    let mut all = args.to_vec();
    // Without an answer before the body ("100 Continue", or here the final
    // 405), curl waits --expect100-timeout before sending the body anyway:
    // 30 s, not its default 1 s, so that the bound below leaves a busy
    // machine seconds to start curl (it had 0.9 s for everything).
    all.extend([
        "--expect100-timeout",
        "30",
        "--max-time",
        "60",
        "--data-binary",
        "@-",
        &url,
    ]);
    let out = support::run_with_input(&curl, &all, &body, Duration::from_secs(90));
    assert_eq!(out.stdout_text(), "405", "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "curl waited for an answer before the body: {:?}",
        started.elapsed()
    );
}

#[test]
fn absolute_form_targets_and_the_connection_count_are_understood() {
    let server = http_server(&[]);
    let out = exchange(
        server.addr(),
        b"GET http://localhost/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    let line = server.log.wait_for("connected (", T).unwrap();
    assert!(line.contains("(1 connection open)"), "{line}");
}

#[test]
fn fifty_clients_at_once_each_get_their_own_page() {
    let server = http_server(&[]);
    let addr = server.addr();
    let clients: Vec<_> = (0..50)
        .map(|i| {
            std::thread::spawn(move || {
                let request = format!(
                    "GET /?client={i} HTTP/1.1\r\nHost: x\r\n\r\nGET /?client={i}&again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                );
                let out = exchange(addr, request.as_bytes());
                assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 2, "{out}");
                assert!(out.contains(&format!("<td id=\"path\">/?client={i}&amp;again</td>")), "{out}");
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client failed");
    }
}

#[test]
fn a_client_that_never_reads_is_cut_off_and_others_are_served() {
    // 5 s: a server that let the greedy client hold it up would serve the
    // others only then, far beyond the bound below that a busy machine
    // needs (with 1 s, the two were 1 s apart).
    let server = http_server(&["--read-timeout", "5"]);
    let mut greedy = TcpStream::connect(server.addr()).unwrap();
    greedy
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Thousands of pipelined requests, never reading the answers: the
    // server's writes stall, so it stops reading this client (backpressure)…
    let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(200);
    for _ in 0..20 {
        if greedy.write_all(&request).is_err() {
            break; // the server gave up on us: that is the point
        }
    }
    // …while everyone else is still served at once…
    let started = Instant::now();
    let out = exchange(
        server.addr(),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 200 OK"));
    assert!(started.elapsed() < Duration::from_secs(4));
    // …and the stalled connection is closed after --read-timeout.
    let line = server
        .log
        .wait_for("the client stopped reading the answer", T);
    assert!(line.is_some(), "{}", server.log.text());
}

// ---- Limits given on the command line must be sane ----------------------

/// Runs http-server with flags it must refuse before listening: it exits
/// at once (clap's usage error, code 2) with `why` on stderr.
fn assert_flags_refused(flags: &[&str], why: &str) {
    let mut args = vec!["--port", "0"];
    args.extend_from_slice(flags);
    // Bounded well below T: a server that accepts the flags never exits.
    let out = run_client("http-server", &args, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", out.stderr);
    assert!(out.stderr.contains(why), "{flags:?}: {}", out.stderr);
}

#[test]
fn max_headers_has_an_upper_bound() {
    // 4000000000 slots of 32 bytes were allocated on the first read: the
    // server aborted on its first request.
    assert_flags_refused(&["--max-headers", "4000000000"], "at most 1024");
    assert_flags_refused(&["--max-headers", "1025"], "at most 1024");
    assert_flags_refused(&["--max-headers", "0"], "at least 1");
    // The bound itself is fine, and serves.
    let server = http_server(&["--max-headers", "1024"]);
    let out = exchange(
        server.addr(),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
}

#[test]
fn a_read_timeout_of_zero_is_refused() {
    assert_flags_refused(&["--read-timeout", "0"], "more than 0");
}

// ---- Answers: redirects, the Connection header ---------------------------

/// The header lines of an answer, as (name, value).
fn header_lines(answer: &str) -> Vec<(String, String)> {
    let head = &answer[..answer.find("\r\n\r\n").unwrap_or(answer.len())];
    head.split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .collect()
}

#[test]
fn a_folder_redirect_never_points_to_another_site() {
    let site = TempDir::new("http-redirect");
    std::fs::create_dir(site.path().join("docs")).unwrap();
    std::fs::create_dir(site.path().join("d\u{e9}")).unwrap();
    let server = http_server(&["--root", site.path().to_str().unwrap()]);
    for (target, location) in [
        ("//docs", "/docs/"),
        ("///docs", "/docs/"),
        ("/./docs", "/docs/"),
        ("http://a//docs?x=1", "/docs/?x=1"),
        ("https://a//docs", "/docs/"),
        // A Location is a URI, so ASCII (RFC 9110 §10.2.2, RFC 3986 §2.1):
        // a target sent raw in UTF-8 is sent back %-encoded, an encoded one
        // as it was (never encoded twice).
        ("/d\u{e9}?q=\u{e9}", "/d%C3%A9/?q=%C3%A9"),
        ("/d%C3%A9?q=%C3%A9", "/d%C3%A9/?q=%C3%A9"),
    ] {
        let out = exchange(
            server.addr(),
            format!("GET {target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert!(out.starts_with("HTTP/1.1 301 "), "{target} → {out}");
        // "//docs/" would be the site http://docs/ for a browser.
        let got: Vec<String> = header_lines(&out)
            .into_iter()
            .filter(|(n, _)| n == "location")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(got, [location], "{target} → {out}");
    }
}

#[test]
fn connection_close_is_sent_exactly_once() {
    let site = TempDir::new("http-close-once");
    let server = http_server(&["--root", site.path().to_str().unwrap()]);
    for request in [
        "GET /%ff HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET index.html HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /%00 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /%ff HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET /nothing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    ] {
        let out = exchange(server.addr(), request.as_bytes());
        let closes = header_lines(&out)
            .iter()
            .filter(|(n, _)| n == "connection")
            .count();
        assert_eq!(closes, 1, "{request:?} → {out}");
        assert!(
            out.contains("\r\nConnection: close\r\n"),
            "{request:?} → {out}"
        );
    }
}

// ---- Request bodies: chunked, too large, too slow ------------------------

#[test]
fn chunked_request_bodies_are_read_and_the_connection_goes_on() {
    let server = http_server(&["--max-body", "20"]);
    // A chunked body (with an extension and a trailer), then a pipelined
    // request: both answered, in order, on one connection.
    let out = exchange(
        server.addr(),
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n6;note=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n\
          GET /?after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let statuses: Vec<&str> = out.lines().filter(|l| l.starts_with("HTTP/1.1 ")).collect();
    assert_eq!(
        statuses,
        ["HTTP/1.1 405 Method Not Allowed", "HTTP/1.1 200 OK"],
        "{out}"
    );
    assert!(out.contains("<td id=\"path\">/?after</td>"), "{out}");

    // Over --max-body once decoded: 413, and the connection is closed.
    let out = exchange(
        server.addr(),
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n",
    );
    assert!(
        out.starts_with("HTTP/1.1 413 Content Too Large\r\n"),
        "{out}"
    );
    assert!(out.contains("--max-body"), "{out}");
    assert_eq!(out.matches("\r\nConnection: close\r\n").count(), 1, "{out}");

    // Broken framing: 400, explained.
    let out = exchange(
        server.addr(),
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
    assert!(out.contains("chunked request body is malformed"), "{out}");
}

#[test]
fn chunk_framing_counts_toward_max_body_and_is_refused_at_once() {
    // A long --read-timeout: the refusal must come from the limit, not the clock.
    let server = http_server(&["--max-body", "20", "--read-timeout", "30"]);
    // 1-byte chunks, each with a 1000-byte extension: 5 bytes of data, far
    // under --max-body, in 5 KB of framing; and the body never ends (no
    // final 0 chunk). The framing may take 2 × 20 + 1024 = 1064 bytes.
    let mut request = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..5 {
        request.extend(b"1;pad=");
        request.extend([b'p'; 1000]);
        request.extend(b"\r\nx\r\n");
    }
    let started = Instant::now();
    let out = exchange(server.addr(), &request);
    assert!(
        out.starts_with("HTTP/1.1 413 Content Too Large\r\n"),
        "{out}"
    );
    assert!(out.contains("with its framing"), "{out}");
    assert!(out.contains("--max-body"), "{out}");
    assert!(started.elapsed() < Duration::from_secs(5), "not at once");

    // A normal chunked body with exactly --max-body bytes of data is still
    // read, and the next request on the connection served.
    let out = exchange(
        server.addr(),
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          a;n=1\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n\
          GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let statuses: Vec<&str> = out.lines().filter(|l| l.starts_with("HTTP/1.1 ")).collect();
    assert_eq!(
        statuses,
        ["HTTP/1.1 405 Method Not Allowed", "HTTP/1.1 200 OK"],
        "{out}"
    );
}

#[test]
fn curl_can_send_a_chunked_body() {
    let server = http_server(&[]);
    let Some(curl) = tool("curl") else { return };
    let url = format!("http://{}/", server.addr());
    let out = support::run_with_input(
        &curl,
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "@-",
            &url,
        ],
        &[b'c'; 3000],
        T,
    );
    // 405: POST is not served — but the body was read (it used to be 501).
    assert_eq!(out.stdout_text(), "405", "{}", out.stderr);
    assert!(
        server.log.wait_for("POST / HTTP/1.1", T).is_some(),
        "{}",
        server.log.text()
    );
}

#[test]
fn a_body_that_does_not_arrive_in_time_gets_408() {
    let server = http_server(&["--read-timeout", "0.5"]);
    for request in [
        &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhel"[..],
        &b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"[..],
    ] {
        let started = Instant::now();
        let out = exchange(server.addr(), request);
        assert!(
            out.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{:?} → {out}",
            String::from_utf8_lossy(request)
        );
        assert!(out.contains("request body did not arrive"), "{out}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let line = server.log.wait_for("left after 1 request,", T).unwrap();
    assert!(line.contains("refused (408 Request Timeout)"), "{line}");
}

// ---- The log and the error pages explain, in plain words -----------------

#[test]
fn the_log_says_why_each_connection_ended() {
    let server = http_server(&["--read-timeout", "0.5"]);
    // A 408 is a refusal, not "the client asked to close".
    exchange(server.addr(), b"GET / HTTP/1.1\r\nHost: x\r\n");
    let line = server.log.wait_for("left after 0 requests", T).unwrap();
    assert!(
        line.contains("its request was refused (408 Request Timeout)"),
        "{line}"
    );
    assert!(!line.contains("Connection: close"), "{line}");
    exchange(
        server.addr(),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let line = server.log.wait_for("left after 1 request,", T).unwrap();
    assert!(
        line.contains("the client asked to close (Connection: close)"),
        "{line}"
    );
    exchange(server.addr(), b"GET / HTTP/1.0\r\n\r\n");
    assert!(
        server
            .log
            .wait_for("an HTTP/1.0 client without Connection: keep-alive", T)
            .is_some(),
        "{}",
        server.log.text()
    );
}

#[test]
fn malformed_requests_are_explained_not_parser_jargon() {
    let server = http_server(&[]);
    for (request, why) in [
        (
            &b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            "two spaces in a row",
        ),
        (b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", "written %20"),
        (b"GET / HTTP/1.1\r\nHost x\r\n\r\n", "has no colon"),
    ] {
        let out = exchange(server.addr(), request);
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
        assert!(out.contains(why), "{out}");
        assert!(!out.contains("invalid token"), "{out}");
        assert!(
            server.log.wait_for(why, T).is_some(),
            "{}",
            server.log.text()
        );
    }
    assert!(
        !server.log.text().contains("invalid "),
        "{}",
        server.log.text()
    );
}

/// RFC 9112 §3.2: a request target has no fragment (a browser keeps
/// `#section` for itself); one that has is an invalid request line, which
/// gets 400 (§3), with a page that says why, and the connection closes.
#[test]
fn a_fragment_in_the_target_gets_400_and_is_explained() {
    let server = http_server(&[]);
    let out = exchange(server.addr(), b"GET /page#top HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
    assert!(out.contains("\r\nConnection: close\r\n"), "{out}");
    assert!(out.contains("is for the browser alone"), "{out}");
    assert!(out.contains("%23"), "{out}");
    assert!(
        server.log.wait_for("contains #", T).is_some(),
        "{}",
        server.log.text()
    );
    // curl drops a URL's fragment itself, as browsers do; --request-target
    // sends one anyway.
    let url = format!("http://{}/", server.addr());
    let Some(code) = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--request-target",
        "/page#top",
        &url,
    ]) else {
        return;
    };
    assert_eq!(code, "400");
    let code = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("{url}#top"),
    ]);
    assert_eq!(code.as_deref(), Some("200"), "the fragment stays in curl");
}

/// RFC 9112 §7.1: chunked framing is CR LF throughout. A request body
/// whose trailer line, or final empty line, ends with LF alone gets the
/// same 400 as a size line ending so; the server never guesses where such
/// a body ends.
#[test]
fn chunked_request_lines_all_need_cr_lf_trailers_included() {
    let server = http_server(&[]);
    for (body, why) in [
        (&b"2\r\nhi\r\n0\r\nX-T: 1\n\r\n"[..], "LF alone"),
        (b"2\r\nhi\r\n0\r\n\n", "LF alone"),
        (b"2\nhi\r\n0\r\n\r\n", "bare LF"),
    ] {
        let request = [
            &b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            body,
        ]
        .concat();
        let out = exchange(server.addr(), &request);
        assert!(
            out.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{body:?}: {out}"
        );
        assert!(out.contains(why), "{body:?}: {out}");
    }
    let out = exchange(
        server.addr(),
        b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\nX-T: 1\r\n\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
}

#[test]
fn a_browser_speaking_tls_is_told_to_use_http() {
    let server = http_server(&[]);
    // The first bytes of a TLS ClientHello: what a browser sends to https://.
    exchange(
        server.addr(),
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    );
    let line = server.log.wait_for("TLS", T);
    assert!(
        line.as_deref().is_some_and(|l| l.contains(
            "this looks like TLS (https://): this server speaks plain HTTP, use http://"
        )),
        "{}",
        server.log.text()
    );
}

#[test]
fn https_absolute_form_targets_are_served_like_http_ones() {
    let server = http_server(&[]);
    for target in [
        "https://localhost/",
        "HTTPS://localhost",
        "http://localhost",
    ] {
        let out = exchange(
            server.addr(),
            format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        assert!(out.starts_with("HTTP/1.1 200 OK"), "{target} → {out}");
    }
}

/// An answer to HEAD never has a body (RFC 9110 §9.3.2), not even a refusal:
/// the client would read the error page as the start of its next answer.
#[test]
fn a_refused_head_request_gets_no_body() {
    let server = http_server(&[]);
    for request in [
        &b"HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n"[..],
        b"HEAD / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        // After an empty line, which a server skips before a request.
        b"\r\nHEAD / HTTP/1.1\r\nHost: a b\r\n\r\n",
    ] {
        let out = exchange(server.addr(), request);
        let (head, body) = out.split_once("\r\n\r\n").expect(&out);
        assert!(head.starts_with("HTTP/1.1 4"), "{out}");
        assert_eq!(body, "", "{head}");
    }
}

// ---- Conditional GET: Last-Modified, If-Modified-Since, 304 --------------

/// `Last-Modified` of the file [`dated_site`] serves: its modification time,
/// 2020-01-02 03:04:05.678 UTC, to the second.
const LAST_MODIFIED: &str = "Thu, 02 Jan 2020 03:04:05 GMT";

/// A served folder with `a.txt` ("hello"), modified at a known time.
fn dated_site(tag: &str) -> (TempDir, Server) {
    let site = TempDir::new(tag);
    let file = site.path().join("a.txt");
    std::fs::write(&file, "hello").unwrap();
    let modified = std::time::UNIX_EPOCH + Duration::from_millis(1_577_934_245_678);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let server = http_server(&["--root", site.path().to_str().unwrap()]);
    (site, server)
}

/// `method path` with `headers` (whole lines), on a connection that closes after it.
fn ask(addr: SocketAddr, method: &str, path: &str, headers: &str) -> String {
    exchange(
        addr,
        format!("{method} {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n")
            .as_bytes(),
    )
}

/// The value of the header `name` (lowercase) in `answer`.
fn header_value(answer: &str, name: &str) -> Option<String> {
    header_lines(answer)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

fn since(date: &str) -> String {
    format!("If-Modified-Since: {date}\r\n")
}

#[test]
fn a_file_has_a_last_modified_date_and_a_generated_page_none() {
    let (_site, server) = dated_site("http-lastmod");
    let file = ask(server.addr(), "GET", "/a.txt", "");
    assert!(file.starts_with("HTTP/1.1 200 OK\r\n"), "{file}");
    assert_eq!(
        header_value(&file, "last-modified").as_deref(),
        Some(LAST_MODIFIED),
        "{file}"
    );
    let head = ask(server.addr(), "HEAD", "/a.txt", "");
    assert_eq!(
        header_value(&head, "last-modified").as_deref(),
        Some(LAST_MODIFIED),
        "{head}"
    );
    // The request page (no index.html here) and error pages are made for
    // each request: they have no modification date to give.
    for path in ["/", "/missing.txt"] {
        let page = ask(server.addr(), "GET", path, "");
        assert_eq!(header_value(&page, "last-modified"), None, "{page}");
    }
}

#[test]
fn a_file_modified_in_the_future_is_dated_now() {
    let site = TempDir::new("http-future");
    let file = site.path().join("a.txt");
    std::fs::write(&file, "from the future").unwrap();
    // 2100-01-01: a clock far ahead of the server's.
    let modified = std::time::UNIX_EPOCH + Duration::from_secs(4_102_444_800);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let server = http_server(&["--root", site.path().to_str().unwrap()]);
    let out = ask(server.addr(), "GET", "/a.txt", "");
    let last_modified = header_value(&out, "last-modified").expect(&out);
    assert!(!last_modified.contains("2100"), "{out}");
    assert!(last_modified.ends_with(" GMT"), "{out}");
    // RFC 9110 §8.8.2.1: not later than the answer's Date; here, exactly
    // it, since both come from the one reading of the clock.
    assert_eq!(header_value(&out, "date"), Some(last_modified), "{out}");
}

#[test]
fn the_same_date_back_gets_304_with_no_body_and_the_connection_goes_on() {
    let (_site, server) = dated_site("http-304");
    // Two requests on one connection: the second answer must start right
    // after the 304's head, so the 304 has no body.
    let out = exchange(
        server.addr(),
        format!(
            "GET /a.txt HTTP/1.1\r\nHost: x\r\n{}\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            since(LAST_MODIFIED)
        )
        .as_bytes(),
    );
    let (not_modified, rest) = out.split_once("\r\n\r\n").expect(&out);
    assert!(
        not_modified.starts_with("HTTP/1.1 304 Not Modified\r\n"),
        "{out}"
    );
    assert_eq!(
        header_value(not_modified, "last-modified").as_deref(),
        Some(LAST_MODIFIED)
    );
    // Nothing that would describe a body: there is none.
    assert_eq!(header_value(not_modified, "content-length"), None, "{out}");
    assert_eq!(header_value(not_modified, "content-type"), None, "{out}");
    assert_eq!(header_value(not_modified, "connection"), None, "{out}");
    assert!(rest.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(rest.ends_with("\r\n\r\nhello"), "{out}");
    // The log line a student sees when reloading a page.
    assert!(
        server
            .log
            .wait_for("\"GET /a.txt HTTP/1.1\" → 304 Not Modified (0 bytes)", T)
            .is_some(),
        "{}",
        server.log.text()
    );
}

#[test]
fn a_later_date_or_an_obsolete_format_also_gets_304() {
    let (_site, server) = dated_site("http-304-formats");
    for date in [
        "Fri, 03 Jan 2020 00:00:00 GMT",
        "Thursday, 02-Jan-20 03:04:05 GMT", // rfc850-date
        "Thu Jan  2 03:04:05 2020",         // asctime-date
    ] {
        let out = ask(server.addr(), "GET", "/a.txt", &since(date));
        assert!(
            out.starts_with("HTTP/1.1 304 Not Modified\r\n"),
            "{date}: {out}"
        );
        assert!(out.ends_with("\r\n\r\n"), "{date}: {out}");
    }
}

/// RFC 9110 §13.1.1, §13.1.4, §13.2.2: "only if unchanged" conditions
/// that are false get 412 Precondition Failed, not the file. This server
/// sends no entity tags, so no tag in If-Match can match; `*` can (the
/// file exists).
#[test]
fn if_match_and_if_unmodified_since_that_are_false_get_412() {
    let (_site, server) = dated_site("http-412");
    let older = "Wed, 01 Jan 2020 00:00:00 GMT";
    for headers in [
        format!("If-Unmodified-Since: {older}\r\n"),
        "If-Match: \"abc\"\r\n".to_string(),
        // If-Match wins: If-Unmodified-Since is not even looked at.
        format!("If-Match: \"abc\"\r\nIf-Unmodified-Since: {LAST_MODIFIED}\r\n"),
    ] {
        for method in ["GET", "HEAD"] {
            let out = ask(server.addr(), method, "/a.txt", &headers);
            assert!(
                out.starts_with("HTTP/1.1 412 Precondition Failed\r\n"),
                "{method} {headers:?}: {out}"
            );
            assert!(!out.contains("hello"), "{method} {headers:?}: {out}");
        }
        // The page says which condition failed.
        let out = ask(server.addr(), "GET", "/a.txt", &headers);
        let named = if headers.starts_with("If-Match") {
            "this server sends none"
        } else {
            "earlier date than its Last-Modified"
        };
        assert!(out.contains(named), "{headers:?}: {out}");
    }
    // True conditions: the file, whole.
    for headers in [
        format!("If-Unmodified-Since: {LAST_MODIFIED}\r\n"),
        "If-Unmodified-Since: Fri, 03 Jan 2020 00:00:00 GMT\r\n".to_string(),
        "If-Match: *\r\n".to_string(),
        format!("If-Match: *\r\nIf-Unmodified-Since: {older}\r\n"),
        // Not a date: ignored (§13.1.4).
        "If-Unmodified-Since: yesterday\r\n".to_string(),
    ] {
        let out = ask(server.addr(), "GET", "/a.txt", &headers);
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{headers:?}: {out}");
        assert!(out.ends_with("\r\n\r\nhello"), "{headers:?}: {out}");
    }
    // Where the answer would not be 2xx anyway, conditions are ignored (§13.2.1).
    let missing = ask(
        server.addr(),
        "GET",
        "/missing.txt",
        "If-Match: \"abc\"\r\n",
    );
    assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");

    // curl's --time-cond with a leading "-" sends If-Unmodified-Since.
    let url = format!("http://{}/a.txt", server.addr());
    let Some(code) = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-z",
        &format!("-{older}"),
        &url,
    ]) else {
        return;
    };
    assert_eq!(code, "412");
}

/// If-Match is about entity tags, not dates: on a page with no date (the
/// request page) it is evaluated all the same, and false whatever tag it
/// names, since this server sends none (RFC 9110 §13.1.1, §13.2.2: the
/// page must not be sent). If-Unmodified-Since needs a date: ignored there
/// (§13.1.4).
#[test]
fn if_match_fails_on_a_page_without_a_date_too() {
    let server = http_server(&[]);
    for method in ["GET", "HEAD"] {
        let out = ask(server.addr(), method, "/", "If-Match: \"abc\"\r\n");
        assert!(
            out.starts_with("HTTP/1.1 412 Precondition Failed\r\n"),
            "{method}: {out}"
        );
        if method == "GET" {
            assert!(out.contains("this server sends none"), "{out}");
        }
    }
    // An empty If-Match is a list of no tags (RFC 9110 §5.6.1, §13.1.1):
    // none matches, and the page says why in those words.
    for headers in ["If-Match:\r\n", "If-Match: , \r\n"] {
        let out = ask(server.addr(), "GET", "/", headers);
        assert!(
            out.starts_with("HTTP/1.1 412 Precondition Failed\r\n"),
            "{headers:?}: {out}"
        );
        assert!(out.contains("If-Match is empty"), "{headers:?}: {out}");
    }
    for headers in [
        "If-Match: *\r\n",
        "If-Unmodified-Since: Wed, 01 Jan 2020 00:00:00 GMT\r\n",
    ] {
        let out = ask(server.addr(), "GET", "/", headers);
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{headers:?}: {out}");
    }
}

/// The request page has no entity tag, but it exists: `If-None-Match: *`
/// ("only if you have none", RFC 9110 §13.1.2) is false for it, as for a
/// file, and GET or HEAD gets 304 (§13.2.2 step 3), keeping the page's
/// `Cache-Control: no-store` (§15.4.5). A list of tags cannot match a page
/// that has none: the page follows, as it does for an empty list.
#[test]
fn if_none_match_star_gets_304_on_the_request_page_too() {
    let server = http_server(&[]);
    for method in ["GET", "HEAD"] {
        let out = ask(server.addr(), method, "/", "If-None-Match: *\r\n");
        assert!(
            out.starts_with("HTTP/1.1 304 Not Modified\r\n"),
            "{method}: {out}"
        );
        assert!(out.ends_with("\r\n\r\n"), "no body: {out}");
        assert_eq!(header_value(&out, "content-length"), None, "{out}");
        assert_eq!(
            header_value(&out, "cache-control").as_deref(),
            Some("no-store"),
            "{out}"
        );
    }
    for headers in [
        "If-None-Match: \"abc\"\r\n",
        "If-None-Match: W/\"abc\", \"def\"\r\n",
        "If-None-Match:\r\n",
        // If-None-Match wins over a date, and a page has no date anyway.
        "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n",
    ] {
        let out = ask(server.addr(), "GET", "/", headers);
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{headers:?}: {out}");
        assert!(out.contains("<!doctype html>"), "{headers:?}: {out}");
    }
    // The same with curl, which says what a real client gets.
    let url = format!("http://{}/", server.addr());
    let Some(code) = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        "If-None-Match: *",
        &url,
    ]) else {
        return;
    };
    assert_eq!(code, "304");
}

/// A file answers `If-None-Match` as the page does: `*` gets 304 whatever
/// `If-Modified-Since` says, a list of tags gets the file.
#[test]
fn if_none_match_on_a_file_follows_the_same_rule() {
    let (_site, server) = dated_site("http-inm");
    let older = since("Wed, 01 Jan 2020 00:00:00 GMT");
    let out = ask(
        server.addr(),
        "GET",
        "/a.txt",
        &format!("If-None-Match: *\r\n{older}"),
    );
    assert!(out.starts_with("HTTP/1.1 304 Not Modified\r\n"), "{out}");
    let out = ask(
        server.addr(),
        "GET",
        "/a.txt",
        &format!("If-None-Match: \"abc\"\r\n{}", since(LAST_MODIFIED)),
    );
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nhello"), "{out}");
}

#[test]
fn head_with_the_same_date_gets_304() {
    let (_site, server) = dated_site("http-304-head");
    let out = ask(server.addr(), "HEAD", "/a.txt", &since(LAST_MODIFIED));
    assert!(out.starts_with("HTTP/1.1 304 Not Modified\r\n"), "{out}");
    assert_eq!(header_value(&out, "content-length"), None, "{out}");
    assert!(out.ends_with("\r\n\r\n"), "{out}");
}

#[test]
fn an_older_date_gets_the_file() {
    let (_site, server) = dated_site("http-ims-older");
    let out = ask(
        server.addr(),
        "GET",
        "/a.txt",
        &since("Thu, 02 Jan 2020 03:04:04 GMT"),
    );
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nhello"), "{out}");
}

#[test]
fn a_date_that_is_not_a_date_is_ignored() {
    let (_site, server) = dated_site("http-ims-garbage");
    for date in [
        "yesterday",
        "Thu, 02 Jan 2020",
        "Mon, 02 Jan 2020 03:04:05 GMT",
    ] {
        let out = ask(server.addr(), "GET", "/a.txt", &since(date));
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{date}: {out}");
        assert!(out.ends_with("\r\n\r\nhello"), "{date}: {out}");
    }
}

#[test]
fn if_none_match_makes_the_server_ignore_if_modified_since() {
    let (_site, server) = dated_site("http-ims-inm");
    let headers = format!("{}If-None-Match: \"some-tag\"\r\n", since(LAST_MODIFIED));
    let out = ask(server.addr(), "GET", "/a.txt", &headers);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nhello"), "{out}");
}

/// `If-Modified-Since` only ever concerns a file: on a page made per
/// request, a folder's redirect or a missing file, the usual answer comes,
/// never a 304 (a far-future date would make any file "not modified").
#[test]
fn if_modified_since_is_ignored_where_there_is_no_file() {
    let (site, server) = dated_site("http-ims-elsewhere");
    std::fs::create_dir(site.path().join("sub")).unwrap();
    let future = since("Fri, 01 Jan 2100 00:00:00 GMT");
    for (path, status) in [
        ("/sub", "HTTP/1.1 301 "),
        ("/missing.txt", "HTTP/1.1 404 "),
        ("/a.txt", "HTTP/1.1 304 "),
    ] {
        let out = ask(server.addr(), "GET", path, &future);
        assert!(out.starts_with(status), "{path}: {out}");
    }
    // `If-None-Match: *` asks "only if you have none": a file there is 304.
    let out = ask(server.addr(), "GET", "/a.txt", "If-None-Match: *\r\n");
    assert!(out.starts_with("HTTP/1.1 304 "), "{out}");
    let out = ask(server.addr(), "GET", "/missing.txt", "If-None-Match: *\r\n");
    assert!(out.starts_with("HTTP/1.1 404 "), "{out}");

    // Without --root, "/" is the request page, made for each request.
    let plain = http_server(&[]);
    let out = ask(plain.addr(), "GET", "/", &future);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
}

/// On a server listening on every network card (0.0.0.0), the page names
/// the address the client really reached, not 0.0.0.0, which no client can
/// connect to.
#[test]
fn the_page_names_the_address_the_client_reached() {
    let server = http_server(&["--host", "0.0.0.0"]);
    let port = server.addr().port();
    let out = exchange(
        SocketAddr::from(([127, 0, 0, 1], port)),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    let shown = format!("<code id=\"server\">127.0.0.1:{port}</code>");
    assert!(out.contains(&shown), "{shown} not in {out}");
    assert!(!out.contains("0.0.0.0:"), "{out}");
}
