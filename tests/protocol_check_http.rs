//! protocol-check pointed at `http-server` by mistake (the wrong port): the
//! rules fail, as they must, and the reasons say that a *web server*
//! answered, so the student looks at the port instead of at their code.

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
