//! protocol-check against netlab's own servers, run as real processes on
//! `--port 0`: every rule passes, over TCP and UDP, in French and English.
//! Also what happens when nobody listens (an explained refusal, exit 1) and
//! when the command line is wrong (exit 2).
//!
//! The deliberately wrong servers are in `protocol_check_wrong.rs`.

mod support;

use std::time::Duration;

use support::{CHAT_RULES, Output, Server, rule, run_client};

/// Longest a whole protocol-check run may take before the test fails.
const RUN: Duration = Duration::from_secs(60);

fn check(args: &[&str]) -> Output {
    run_client("protocol-check", args, RUN)
}

/// Asserts a run passed: exit 0, each rule in `ids` printed as `PASS`, no FAIL.
fn assert_all_pass(out: &Output, ids: &[&str]) {
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", out.stderr);
    for id in ids {
        assert_eq!(
            rule(&stdout, id).map(|r| r.0).as_deref(),
            Some("PASS"),
            "{id}:\n{stdout}"
        );
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
    assert!(
        stdout.contains("the server follows the protocol"),
        "{stdout}"
    );
}

#[test]
fn our_echo_server_passes_every_tcp_and_udp_rule() {
    let server = Server::start("echo-server", &["--port", "0"]);
    let addr = server.addr().to_string();
    let tcp = check(&["echo", &addr, "--lang", "en"]);
    assert_all_pass(
        &tcp,
        &[
            "echo.line",
            "echo.binary",
            "echo.large",
            "echo.half-close",
            "echo.concurrent",
        ],
    );
    let udp = check(&["echo", &addr, "--udp", "--lang", "en"]);
    assert_all_pass(
        &udp,
        &["echo.udp-datagram", "echo.udp-binary", "echo.udp-large"],
    );
}

#[test]
fn our_time_server_passes_every_time_and_daytime_rule() {
    let server = Server::start_expecting("time-server", &["--port", "0", "--daytime-port", "0"], 2);
    let time = server.addrs[0].to_string();
    let daytime = server.addrs[1].to_string();
    assert_all_pass(
        &check(&["time", &time, "--lang", "en"]),
        &["time.length", "time.close", "time.value", "time.again"],
    );
    assert_all_pass(
        &check(&["time", &time, "--udp", "--lang", "en"]),
        &["time.udp-length", "time.udp-value"],
    );
    assert_all_pass(
        &check(&["daytime", &daytime, "--lang", "en"]),
        &["daytime.line", "daytime.close", "daytime.date"],
    );
    assert_all_pass(
        &check(&["daytime", &daytime, "--udp", "--lang", "en"]),
        &["daytime.udp-line", "daytime.udp-date"],
    );
}

#[test]
fn our_chat_server_passes_every_chat_rule() {
    let server = Server::start("chat-server", &["--port", "0"]);
    let out = check(&["chat", &server.addr().to_string(), "--lang", "en"]);
    assert_all_pass(&out, CHAT_RULES);
}

#[test]
fn two_checks_at_once_on_one_chat_server_do_not_collide() {
    // A class server: several students check it at the same moment, and
    // people are chatting. Unique nicknames and skipping other people's
    // lines keep every run green.
    let server = Server::start("chat-server", &["--port", "0"]);
    let addr = server.addr().to_string();
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || check(&["chat", &addr, "--lang", "en"]))
        })
        .collect();
    for run in runs {
        let out = run.join().expect("protocol-check thread");
        assert_all_pass(&out, CHAT_RULES);
    }
}

#[test]
fn the_report_is_in_french_by_default() {
    let server = Server::start("echo-server", &["--port", "0"]);
    let out = check(&["echo", &server.addr().to_string()]);
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(
        rule(&stdout, "echo.line").map(|r| r.0).as_deref(),
        Some("RÉUSSI"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Une ligne de texte revient inchangée"),
        "{stdout}"
    );
    assert!(stdout.contains("Bilan : 5 règles, 5 réussies"), "{stdout}");
    assert!(
        stdout.contains("le serveur respecte le protocole"),
        "{stdout}"
    );
}

#[test]
fn trace_shows_the_conversation_on_stderr() {
    let server = Server::start("chat-server", &["--port", "0"]);
    let addr = server.addr().to_string();
    let out = check(&["chat", &addr, "--lang", "en", "--trace"]);
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr);
    // What protocol-check sent, and what the server answered, with its address.
    assert!(
        out.stderr.contains(&format!("to   {addr}: \"NICK pc")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("from {addr}: \"HELLO")),
        "{}",
        out.stderr
    );
    // The report itself stays on stdout, alone.
    assert!(
        !out.stdout_text().contains("recv "),
        "{}",
        out.stdout_text()
    );
}

#[test]
fn trace_shows_the_empty_datagram_we_send() {
    // RFC 868 over UDP: the question is an empty datagram. The server's
    // trace shows it arrive; ours must show it leave, or the two traces
    // tell different stories of the same exchange.
    let server = Server::start_expecting(
        "time-server",
        &["--port", "0", "--daytime-port", "0", "--trace"],
        2,
    );
    let addr = server.addrs[0].to_string();
    let out = check(&["time", &addr, "--udp", "--lang", "en", "--trace"]);
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("sent an empty datagram to   {addr}")),
        "{}",
        out.stderr
    );
    // Said once per datagram, by the tap alone (the server used to say it
    // itself as well).
    let line = server
        .log
        .wait_for("recv an empty datagram from", Duration::from_secs(10))
        .expect("the server's trace shows the empty question");
    let question = &line[line.find("recv an empty").unwrap_or(0)..];
    let client = question.rsplit(' ').next().unwrap_or_default();
    // Its answer is logged after it: once that is there, so is any repeat.
    let answered = format!("sent a datagram of 4 bytes to   {client}");
    assert!(
        server
            .log
            .wait_for(&answered, Duration::from_secs(10))
            .is_some(),
        "{}",
        server.log.text()
    );
    let said = server
        .log
        .lines()
        .iter()
        .filter(|l| l.ends_with(question))
        .count();
    assert_eq!(said, 1, "{}", server.log.text());
}

#[test]
fn nobody_listening_is_explained_and_fails() {
    let closed = support::RefusingTcp::new();
    let port = closed.port();
    let out = check(&["chat", &format!("127.0.0.1:{port}"), "--lang", "en"]);
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("no server listens on that port"),
        "{stdout}"
    );
    assert!(stdout.contains("check stopped"), "{stdout}");
    let fr = check(&["echo", &port]);
    let stdout = fr.stdout_text();
    assert_eq!(fr.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("ÉCHEC"), "{stdout}");
    assert!(stdout.contains("aucun serveur n'écoute"), "{stdout}");
}

/// On loopback the machine answers a datagram to a closed port with an
/// ICMP "port unreachable": said as such, in both languages, never as a
/// refused connection (UDP has none).
#[test]
fn nobody_listening_on_udp_is_explained_once() {
    let closed = support::RefusingUdp::new();
    let port = closed.addr().port().to_string();
    let out = check(&["echo", &port, "--udp", "--lang", "en", "--timeout", "0.5"]);
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    support::assert_nothing_listens_udp(&stdout, closed.addr());
    assert_eq!(stdout.matches("nothing listens").count(), 1, "{stdout}");
    assert!(stdout.contains("0 rules"), "{stdout}");
    assert!(stdout.contains("check stopped"), "{stdout}");
    let fr = check(&["time", &port, "--udp", "--timeout", "0.5"]);
    let stdout = fr.stdout_text();
    assert_eq!(fr.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "rien n'écoute sur le port UDP {port} de 127.0.0.1"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("« port injoignable »"), "{stdout}");
    assert!(!stdout.contains("connexion refusée"), "{stdout}");
}

#[test]
fn usage_errors_exit_with_2() {
    for args in [
        &["smtp", "127.0.0.1:25"][..],
        &["chat"],
        &["chat", "127.0.0.1:notaport"],
        &["chat", "::1:10194"],
        &["chat", "127.0.0.1:10194", "--udp"],
        &["echo", "127.0.0.1:10007", "--lang", "de"],
        &["echo", "127.0.0.1:10007", "--timeout", "0"],
    ] {
        let out = check(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_negative_value_is_refused_by_its_flag() {
    // clap alone took `-1` for an unknown flag and advised `-- -1`.
    for flag in ["--timeout", "--max-drift"] {
        let out = check(&["time", "127.0.0.1:10037", flag, "-1"]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", out.stderr);
        assert!(out.stderr.contains(flag), "{flag}: {}", out.stderr);
        assert!(
            !out.stderr.contains("unexpected argument"),
            "{flag}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_wrong_address_gets_advice_that_fits_the_mistake() {
    // (arguments, what the advice must say, what it must not say). Nothing
    // listens anywhere: each mistake stops the run before any connection.
    let cases: [(&[&str], &str, &str); 3] = [
        // A URL copied from a browser: no scheme, no path, not IPv6.
        (
            &["echo", "http://127.0.0.1:62599/"],
            "without \"http://\" or a path, e.g. 127.0.0.1:62599",
            "IPv6",
        ),
        // A typo, with echo's port (10007) in the example, not chat's.
        (&["echo", "host:1:2"], "e.g. host:10007", "10194"),
        // raw-client's HOST PORT habit: the one argument to write instead.
        (
            &["echo", "127.0.0.1", "62510"],
            "in one argument: 127.0.0.1:62510",
            "unexpected argument '62510' found",
        ),
    ];
    for (args, says, not) in cases {
        let out = check(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains(not), "{args:?}: {}", out.stderr);
    }
}

#[cfg(unix)]
#[test]
fn a_reader_that_leaves_early_does_not_turn_a_pass_into_an_error() {
    // `| true` stops reading at once, like `| head -3` after three lines:
    // the verdict (exit 0: every rule passed) must survive it, quietly.
    let server = Server::start("echo-server", &["--port", "0"]);
    let addr = server.addr().to_string();
    let (code, stderr) =
        support::run_with_stdout_closed("protocol-check", &["echo", &addr, "--lang", "en"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}
