//! Interop: our echo programs against peers nobody here wrote.
//!
//! - OpenBSD `nc` as a client of `echo-server` (`nc -N` half-closes at the end
//!   of its input, as RFC 862's TCP service expects; without `-N` nc would wait forever).
//! - `echo-client` against a socat echo server (`socat TCP-LISTEN:PORT,fork PIPE`).
//!
//! A missing tool skips the test with a message, except in CI (see `support::tool`).

mod support;

use std::process::Command;
use std::time::Duration;

use support::{Peer, Server, bin, free_port, run_with_input, tool};

const T: Duration = Duration::from_secs(20);

#[test]
fn nc_talks_to_echo_server() {
    let Some(nc) = tool("nc") else { return };
    let server = Server::start("echo-server", &["--port", "0"]);
    let input = b"hello from nc\nsecond line\n";
    let out = run_with_input(&nc, &["-N", "127.0.0.1", &server.port()], input, T);
    assert!(out.status.success(), "nc failed: {}", out.stderr);
    assert_eq!(out.stdout, input);
}

#[test]
fn nc_sends_binary_through_echo_server() {
    let Some(nc) = tool("nc") else { return };
    let server = Server::start("echo-server", &["--port", "0"]);
    let input: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let out = run_with_input(&nc, &["-N", "127.0.0.1", &server.port()], &input, T);
    assert!(out.status.success(), "nc failed: {}", out.stderr);
    assert!(
        out.stdout == input,
        "nc got {} bytes back, sent {}",
        out.stdout.len(),
        input.len()
    );
}

#[test]
fn nc_over_udp_gets_its_datagram_back() {
    let Some(nc) = tool("nc") else { return };
    let server = Server::start("echo-server", &["--port", "0"]);
    // nc -u never ends by itself: -w 1 makes it quit one second after the input ends.
    let out = run_with_input(
        &nc,
        &["-u", "-w", "1", "127.0.0.1", &server.port()],
        b"udp hello\n",
        T,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "udp hello\n",
        "{}",
        out.stderr
    );
}

/// A socat echo server on a free loopback port, and that port.
fn start_socat(socat: &std::path::Path) -> (Peer, u16) {
    let port = free_port();
    let mut command = Command::new(socat);
    command.args([
        &format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"),
        "PIPE",
    ]);
    (Peer::start(command, "socat", &[port]), port)
}

#[test]
fn echo_client_talks_to_a_socat_echo_server() {
    let Some(socat) = tool("socat") else { return };
    let (_peer, port) = start_socat(&socat);
    let port = port.to_string();

    let out = run_with_input(
        &bin("echo-client"),
        &["--port", &port, "bonjour", "socat"],
        b"",
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, b"bonjour socat\n");

    let data: Vec<u8> = (0..2_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let out = run_with_input(
        &bin("echo-client"),
        &["--port", &port],
        &data,
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout == data, "piped copy through socat differs");
}
