//! protocol-check and web servers: pointed at `http-server` by mistake (the
//! wrong port), the echo and chat rules fail, as they must, and the reasons
//! say that a *web server* answered, so the student looks at the port
//! instead of at their code; and `protocol-check http` itself, against
//! our `http-server`, Python's `http.server` (written by nobody here), and
//! small web servers each with one typical mistake.

mod support;

use std::time::Duration;

use support::{Server, rule, run_client};

/// Longest a whole protocol-check run may take before the test fails.
const RUN: Duration = Duration::from_secs(90);

fn check_against_http(protocol: &str, rule_id: &str) {
    let server = Server::start("http-server", &["--port", "0"]);
    let addr = server.addr().to_string();
    let out = run_client(
        "protocol-check",
        &[protocol, &addr, "--lang", "en", "--timeout", "1"],
        RUN,
    );
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", out.stderr);
    let (label, reason) =
        rule(&stdout, rule_id).unwrap_or_else(|| panic!("no {rule_id}:\n{stdout}"));
    assert_eq!(label, "FAIL", "{stdout}");
    assert!(reason.contains("HTTP/1.1 400 Bad Request"), "{reason}");
    assert!(
        reason.contains("this is a web server (HTTP)"),
        "{rule_id}: {reason}\n{stdout}"
    );
}

#[test]
fn echo_against_a_web_server_says_so() {
    check_against_http("echo", "echo.line");
}

#[test]
fn chat_against_a_web_server_says_so() {
    check_against_http("chat", "chat.nick");
}

// ------------------------------------------------- protocol-check http

/// Runs `protocol-check http` in English with a 1-second time-out.
fn check_http(addr: &str) -> support::Output {
    let out = run_client(
        "protocol-check",
        &["http", addr, "--lang", "en", "--timeout", "1"],
        RUN,
    );
    // Shown with --nocapture: what a student would see.
    eprintln!("$ protocol-check http {addr}\n{}", out.stdout_text());
    out
}

/// The label and reason of rule `id`, which must have run.
fn verdict(out: &support::Output, id: &str) -> (String, String) {
    let stdout = out.stdout_text();
    rule(&stdout, id).unwrap_or_else(|| panic!("no {id}:\n{stdout}"))
}

const HTTP_RULES: &[&str] = &[
    "http.status",
    "http.crlf",
    "http.length",
    "http.not-found",
    "http.head",
    "http.keep-alive",
    "http.method",
    "http.bad-request",
    "http.host",
];

#[test]
fn our_http_server_passes_every_http_rule() {
    let server = Server::start("http-server", &["--port", "0"]);
    let out = check_http(&server.addr().to_string());
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", out.stderr);
    for id in HTTP_RULES {
        assert_eq!(verdict(&out, id).0, "PASS", "{id}:\n{stdout}");
    }
}

/// Python's `http.server`, the one-line web server (`python3 -m
/// http.server`): written by nobody here, in another style (HTTP/1.0, one
/// answer per connection). It breaks no rule; what it skips that RFC 9112
/// only asks of HTTP/1.1 servers (400 without Host) is a warning.
#[test]
fn python_http_server_breaks_no_rule() {
    let Some(python) = support::tool("python3") else {
        return;
    };
    let (_peer, ports) = support::Peer::on_free_ports(
        "python3 -m http.server",
        1,
        &[support::Transport::Tcp],
        |ports| {
            let mut command = std::process::Command::new(&python);
            command
                .args([
                    "-m",
                    "http.server",
                    &ports[0].to_string(),
                    "--bind",
                    "127.0.0.1",
                ])
                .current_dir(std::env::temp_dir());
            command
        },
    );
    let port = ports[0];
    let out = check_http(&format!("127.0.0.1:{port}"));
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", out.stderr);
    for id in HTTP_RULES {
        assert_ne!(verdict(&out, id).0, "FAIL", "{id}:\n{stdout}");
    }
    assert_eq!(verdict(&out, "http.keep-alive").0, "PASS", "{stdout}");
    // It answers in HTTP/1.0, which does not require Host: the warning
    // says why it is one.
    let (label, reason) = verdict(&out, "http.host");
    assert_eq!(label, "WARN", "{stdout}");
    assert!(reason.contains("answers in HTTP/1.0"), "{reason}");
}

/// One mistake of a hand-written web server.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bug {
    /// None: the server breaks no rule.
    None,
    /// Head lines end with LF alone.
    BareLf,
    /// `Content-Length` counts characters, not bytes (`len(text)`).
    LengthInCharacters,
    /// `HEAD` gets the body too.
    BodyForHead,
    /// HTTP/1.1, closes after each answer without `Connection: close`.
    SilentClose,
    /// Serves every request the same page: any path, any method, no Host.
    SamePageForAll,
    /// Sends its bodies chunked (correct: no bug).
    Chunked,
    /// Sends its bodies chunked, a chunk's size counted in characters.
    ChunkSizeInCharacters,
    /// `Content-Length: +N`: Rust's and many languages' number parsers take
    /// the sign, RFC 9110 §8.6 allows digits only.
    PlusLength,
    /// `Content Type:` (a space in the header's name).
    SpaceInName,
    /// Chunked, each size written `+N`.
    PlusChunkSize,
}

/// A small web server on a free loopback port, thread per connection,
/// correct (keep-alive, 404, 501, 400 without Host) except for `bug`.
fn web_server(bug: Bug) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut out = stream;
                loop {
                    let mut head = Vec::new();
                    loop {
                        let mut line = String::new();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line.trim_end().is_empty() => break,
                            Ok(_) => head.push(line.trim_end().to_string()),
                        }
                    }
                    let request = head.first().cloned().unwrap_or_default();
                    let mut words = request.split(' ');
                    let (method, path) = (words.next().unwrap_or(""), words.next());
                    let has_host = head
                        .iter()
                        .any(|l| l.to_ascii_lowercase().starts_with("host:"));
                    let same = bug == Bug::SamePageForAll;
                    let (status, body) = if !request.ends_with(" HTTP/1.1") && !same {
                        ("400 Bad Request", "bad\n")
                    } else if !has_host && !same {
                        ("400 Bad Request", "no Host\n")
                    } else if !matches!(method, "GET" | "HEAD") && !same {
                        ("501 Not Implemented", "no\n")
                    } else if path != Some("/") && !same {
                        ("404 Not Found", "nothing here\n")
                    } else {
                        ("200 OK", "<p>été</p>\n")
                    };
                    let eol = if bug == Bug::BareLf { "\n" } else { "\r\n" };
                    let length = if bug == Bug::LengthInCharacters {
                        body.chars().count()
                    } else {
                        body.len()
                    };
                    let chunked = matches!(
                        bug,
                        Bug::Chunked | Bug::ChunkSizeInCharacters | Bug::PlusChunkSize
                    );
                    let framing = if chunked {
                        "Transfer-Encoding: chunked".to_string()
                    } else if bug == Bug::PlusLength {
                        format!("Content-Length: +{length}")
                    } else {
                        format!("Content-Length: {length}")
                    };
                    let content_type = if bug == Bug::SpaceInName {
                        "Content Type"
                    } else {
                        "Content-Type"
                    };
                    let mut answer = format!(
                        "HTTP/1.1 {status}{eol}{content_type}: text/html; charset=utf-8{eol}{framing}{eol}{eol}"
                    );
                    if chunked && method != "HEAD" {
                        let size = if bug == Bug::ChunkSizeInCharacters {
                            body.chars().count()
                        } else {
                            body.len()
                        };
                        let sign = if bug == Bug::PlusChunkSize { "+" } else { "" };
                        answer.push_str(&format!("{sign}{size:x}\r\n{body}\r\n0\r\n\r\n"));
                    } else if method != "HEAD" || bug == Bug::BodyForHead {
                        answer.push_str(body);
                    }
                    if out.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                    let close = head
                        .iter()
                        .any(|l| l.eq_ignore_ascii_case("connection: close"));
                    if close || bug == Bug::SilentClose || status.starts_with('4') {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn the_test_web_server_without_bugs_passes_every_rule() {
    // So each test below fails because of its bug alone. Chunked bodies
    // (no Content-Length) are a correct way too.
    for bug in [Bug::None, Bug::Chunked] {
        let out = check_http(&web_server(bug));
        assert_eq!(out.status.code(), Some(0), "{}", out.stdout_text());
        for id in HTTP_RULES {
            assert_eq!(verdict(&out, id).0, "PASS", "{id}:\n{}", out.stdout_text());
        }
    }
}

#[test]
fn a_wrong_chunk_size_is_caught_and_keeps_keep_alive_from_guessing() {
    let out = check_http(&web_server(Bug::ChunkSizeInCharacters));
    let (label, reason) = verdict(&out, "http.length");
    assert_eq!(label, "FAIL", "{}", out.stdout_text());
    assert!(reason.contains("its announced size is wrong"), "{reason}");
    // Not "this is not HTTP" about bytes read from the middle of the body.
    let (label, reason) = verdict(&out, "http.keep-alive");
    assert_eq!(label, "FAIL", "{}", out.stdout_text());
    assert!(reason.contains("see http.length"), "{reason}");
}

#[test]
fn a_head_ended_by_bare_lf_is_caught() {
    let out = check_http(&web_server(Bug::BareLf));
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
    let (label, reason) = verdict(&out, "http.crlf");
    assert_eq!(label, "FAIL");
    assert!(
        reason.contains("4 head lines end with LF alone"),
        "{reason}"
    );
    assert!(reason.contains("CR LF (\\r\\n)"), "{reason}");
}

#[test]
fn a_content_length_counting_characters_is_caught() {
    let out = check_http(&web_server(Bug::LengthInCharacters));
    let (label, reason) = verdict(&out, "http.length");
    assert_eq!(label, "FAIL", "{}", out.stdout_text());
    assert!(
        reason.contains("Content-Length announces 11 bytes, but 2 more followed"),
        "{reason}"
    );
    assert!(reason.contains("counts 2"), "{reason}");
}

#[test]
fn numbers_with_a_sign_and_header_names_with_a_space_are_caught() {
    for (bug, rule, words) in [
        (Bug::PlusLength, "http.status", "Content-Length is \"+"),
        (Bug::SpaceInName, "http.status", "Content Type"),
        (
            Bug::PlusChunkSize,
            "http.length",
            "is not a size in hexadecimal",
        ),
    ] {
        let out = check_http(&web_server(bug));
        let (label, reason) = verdict(&out, rule);
        assert_eq!(label, "FAIL", "{rule}:\n{}", out.stdout_text());
        assert!(reason.contains(words), "{rule}: {reason}");
    }
}

#[test]
fn a_body_sent_for_head_is_caught() {
    let out = check_http(&web_server(Bug::BodyForHead));
    let (label, reason) = verdict(&out, "http.head");
    assert_eq!(label, "FAIL", "{}", out.stdout_text());
    assert!(reason.contains("never has a body"), "{reason}");
    assert_eq!(verdict(&out, "http.length").0, "PASS");
}

#[test]
fn an_http_11_server_closing_without_saying_so_is_caught() {
    let out = check_http(&web_server(Bug::SilentClose));
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
    let (label, reason) = verdict(&out, "http.keep-alive");
    assert_eq!(label, "FAIL");
    assert!(
        reason.contains("without sending \"Connection: close\""),
        "{reason}"
    );
}

#[test]
fn a_server_answering_everything_with_its_page_is_told() {
    let out = check_http(&web_server(Bug::SamePageForAll));
    // Required by RFC 9112: a failure.
    let (label, reason) = verdict(&out, "http.host");
    assert_eq!(label, "FAIL", "{}", out.stdout_text());
    assert!(reason.contains("requires 400 Bad Request"), "{reason}");
    // Only advised: warnings, each saying what to look at.
    for (id, hint) in [
        ("http.not-found", "does the server read the path"),
        ("http.method", "should read the method"),
        ("http.bad-request", "check the request line"),
    ] {
        let (label, reason) = verdict(&out, id);
        assert_eq!(label, "WARN", "{id}:\n{}", out.stdout_text());
        assert!(reason.contains(hint), "{id}: {reason}");
    }
}

#[test]
fn http_has_no_udp() {
    let out = run_client("protocol-check", &["http", "127.0.0.1:8080", "--udp"], RUN);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("only exists over TCP") || out.stderr.contains("n'existe qu'en TCP"),
        "{}",
        out.stderr
    );
}

/// A server that answers after reading only the start of the request, then
/// closes: the request's unread rest makes the system reset the connection
/// after the answer. The answer was whole: no rule may fail for the reset.
#[test]
fn a_reset_after_a_whole_answer_fails_no_rule() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut start = [0u8; 16];
            let Ok(n) = stream.read(&mut start) else {
                continue;
            };
            let body = if start[..n].starts_with(b"HEAD") {
                ""
            } else {
                "hello\n"
            };
            let answer = format!("HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\n{body}");
            let _ = stream.write_all(answer.as_bytes());
            // Dropped with unread bytes: a reset follows the answer.
        }
    });
    let out = check_http(&addr);
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", out.stderr);
    for id in ["http.status", "http.crlf", "http.length", "http.head"] {
        assert_eq!(verdict(&out, id).0, "PASS", "{id}:\n{stdout}");
    }
}
