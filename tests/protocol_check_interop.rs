//! protocol-check against servers nobody here wrote: it must judge any
//! server by the protocol, not by netlab's habits.
//!
//! - **xinetd**'s built-in echo, time and daytime services (Debian package
//!   `xinetd`), over TCP and UDP. They follow the RFCs, with one real
//!   limit protocol-check reports: xinetd's UDP echo sends back at most
//!   2048 bytes of a datagram.
//! - **socat** turned into an echo server (`EXEC:cat`, one process per
//!   client): every TCP echo rule passes; and over UDP (`UDP-RECVFROM`,
//!   one process per datagram, `PIPE`): every UDP echo rule passes.
//!
//! Each tool is started by the test on free high loopback ports and stopped
//! by its pid; a missing tool skips the test locally and fails it in CI.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{Output, Peer, free_port, rule, run_client, tool};

/// Longest a whole protocol-check run, or a tool's start, may take.
const T: Duration = Duration::from_secs(60);

fn check(protocol: &str, port: u16, extra: &[&str]) -> Output {
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec![protocol, &addr, "--lang", "en"];
    args.extend_from_slice(extra);
    let out = run_client("protocol-check", &args, T);
    eprintln!("$ protocol-check {}\n{}", args.join(" "), out.stdout_text());
    out
}

fn assert_all_pass(out: &Output) {
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", out.stderr);
    assert!(!stdout.contains("FAIL"), "{stdout}");
    assert!(
        stdout.contains("the server follows the protocol"),
        "{stdout}"
    );
}

/// xinetd in UTC, so its daytime line names one instant protocol-check can compare.
fn xinetd(path: &Path, services: &[(&str, u16)]) -> Peer {
    support::xinetd(path, services, "UTC")
}

#[test]
fn xinetd_time_and_daytime_pass_every_rule_over_tcp_and_udp() {
    let Some(path) = tool("xinetd") else { return };
    let (time, daytime) = (free_port(), free_port());
    let _x = xinetd(&path, &[("time", time), ("daytime", daytime)]);
    assert_all_pass(&check("time", time, &[]));
    assert_all_pass(&check("time", time, &["--udp"]));
    assert_all_pass(&check("daytime", daytime, &[]));
    assert_all_pass(&check("daytime", daytime, &["--udp"]));
}

#[test]
fn xinetd_echo_passes_over_tcp_and_its_2048_byte_udp_limit_is_reported() {
    let Some(path) = tool("xinetd") else { return };
    let port = free_port();
    let _x = xinetd(&path, &[("echo", port)]);
    assert_all_pass(&check("echo", port, &[]));
    let udp = check("echo", port, &["--udp"]);
    let stdout = udp.stdout_text();
    assert_eq!(
        rule(&stdout, "echo.udp-datagram").map(|r| r.0).as_deref(),
        Some("PASS"),
        "{stdout}"
    );
    assert_eq!(
        rule(&stdout, "echo.udp-binary").map(|r| r.0).as_deref(),
        Some("PASS"),
        "{stdout}"
    );
    // A real limit of xinetd's built-in echo (its buffer is 2 KiB), which
    // RFC 862 does not allow: "the data from it is sent back".
    let (label, reason) = rule(&stdout, "echo.udp-large").expect("echo.udp-large");
    assert_eq!(label, "FAIL", "{stdout}");
    assert!(
        reason.contains("8192 bytes was sent, 2048 bytes came back"),
        "{reason}"
    );
    assert_eq!(udp.status.code(), Some(1), "{stdout}");
}

#[test]
fn socat_running_cat_is_an_echo_server_that_passes_every_tcp_rule() {
    let Some(socat) = tool("socat") else { return };
    let port = free_port();
    let listen = format!("TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr");
    let mut command = Command::new(socat);
    command.args([listen.as_str(), "EXEC:cat"]);
    let _peer = Peer::start(command, "socat", &[port]);
    assert_all_pass(&check("echo", port, &[]));
}

#[test]
fn socat_udp_echo_passes_every_udp_rule() {
    let Some(socat) = tool("socat") else { return };
    let port = free_port();
    let listen = format!("UDP-RECVFROM:{port},bind=127.0.0.1,fork");
    let mut command = Command::new(socat);
    command.args([listen.as_str(), "PIPE"]);
    // No TCP port to wait for: wait until a datagram comes back.
    let _peer = Peer::start(command, "socat", &[]);
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    probe.connect(("127.0.0.1", port)).unwrap();
    probe
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = std::time::Instant::now() + T;
    let ready = loop {
        // Refused (nothing bound yet) or no answer yet: try again.
        if probe.send(b"ready?").is_ok() && probe.recv(&mut [0u8; 16]).is_ok() {
            break true;
        }
        if std::time::Instant::now() >= deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(ready, "socat's UDP echo never answered");
    assert_all_pass(&check("echo", port, &["--udp"]));
}
