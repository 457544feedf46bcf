//! Interop: our echo programs against peers nobody here wrote.
//!
//! - OpenBSD `nc` as a client of `echo-server` (`nc -N` half-closes at the end
//!   of its input, as RFC 862's TCP service expects; without `-N` nc would wait forever).
//! - `echo-client` against a socat echo server (`socat TCP-LISTEN:PORT,fork PIPE`).
//! - telnet as a client of `echo-server` (exercise 5 suggests it): its lines
//!   end with CR LF, and come back byte for byte.
//! - socat as a client of `echo-server`, over TCP (binary, half-close) and UDP.
//! - Nmap's ncat (the `nc` of Fedora) as a client of `echo-server`: it
//!   half-closes at the end of its input with no option (README).
//! - `echo-client` against xinetd's built-in echo, over TCP and UDP, including
//!   the one limit of xinetd's UDP echo (2048 bytes of a datagram come back),
//!   which echo-client must explain rather than call a wrong echo.
//!
//! A missing tool skips the test with a message, except in CI (see `support::tool`).

mod support;

use std::process::Command;
use std::time::Duration;

use support::{Interactive, Peer, Server, Transport, bin, noise, run_with_input, tool};

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
    let (peer, ports) = Peer::on_free_ports("socat", 1, &[Transport::Tcp], |ports| {
        let mut command = Command::new(socat);
        command.args([
            &format!("TCP-LISTEN:{},bind=127.0.0.1,reuseaddr,fork", ports[0]),
            "PIPE",
        ]);
        command
    });
    (peer, ports[0])
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

#[test]
fn telnet_s_line_comes_back_with_its_crlf() {
    let Some(telnet) = tool("telnet") else { return };
    let server = Server::start("echo-server", &["--port", "0", "--trace"]);
    // telnet ends when its input does, maybe before the echo is shown: its
    // input stays open, as at a terminal, and it is killed at the end.
    let mut telnet = Interactive::start(&telnet, &["127.0.0.1", &server.port()]);
    telnet.type_in(b"hello telnet\n");
    // telnet sends a typed line with CR LF (RFC 854's end of line), and an
    // echo server sends back exactly that: both are in the trace.
    let line = r"hello telnet\r\n";
    assert_eq!(server.log.wait_for_traced("recv", None, line, T), line);
    assert_eq!(server.log.wait_for_traced("sent", None, line, T), line);
    let shown = telnet.stdout.wait_for("hello telnet", T);
    assert!(shown.is_some(), "telnet showed {:?}", telnet.stdout.lines());
}

#[test]
fn socat_gets_its_bytes_back_over_tcp() {
    let Some(socat) = tool("socat") else { return };
    let server = Server::start("echo-server", &["--port", "0"]);
    // At the end of its input socat half-closes and waits for the server's
    // close, at most `-t` seconds (0.5 by default: too short on a busy machine).
    let input = noise(200_000, 7);
    let target = format!("TCP:127.0.0.1:{}", server.port());
    let out = run_with_input(&socat, &["-t", "20", "-", &target], &input, T);
    assert!(out.status.success(), "socat failed: {}", out.stderr);
    assert!(
        out.stdout == input,
        "socat got {} bytes back, sent {}",
        out.stdout.len(),
        input.len()
    );
}

#[test]
fn socat_gets_its_datagram_back_over_udp() {
    let Some(socat) = tool("socat") else { return };
    let server = Server::start("echo-server", &["--port", "0"]);
    // UDP has no close that would end socat: it stays until killed.
    let target = format!("UDP:127.0.0.1:{}", server.port());
    let mut socat = Interactive::start(&socat, &["-", &target]);
    socat.type_in(b"hello over udp\n");
    let line = socat.stdout.wait_for("udp", T);
    assert_eq!(
        line.as_deref(),
        Some("hello over udp"),
        "{:?}",
        socat.stdout.lines()
    );
}

#[test]
fn echo_client_talks_to_xinetd_s_echo_over_tcp_and_udp() {
    let Some(xinetd) = tool("xinetd") else { return };
    let (_xinetd, ports) = support::xinetd(&xinetd, &["echo"], "UTC");
    let port = ports[0].to_string();
    let client = bin("echo-client");

    for transport in [&[][..], &["--udp"][..]] {
        let mut args = vec!["--port", &port, "bonjour", "xinetd"];
        args.extend_from_slice(transport);
        let out = run_with_input(&client, &args, b"", T);
        assert!(out.status.success(), "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, b"bonjour xinetd\n", "{args:?}");
    }

    let data = noise(1_000_000, 11);
    let out = run_with_input(&client, &["--port", &port], &data, T);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout == data, "the copy through xinetd differs");

    let lines = b"first line\nsecond line\n";
    let out = run_with_input(&client, &["--udp", "--port", &port], lines, T);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, lines);

    // xinetd's UDP echo sends back the first 2048 bytes of a datagram:
    // echo-client says so, instead of "this is not an echo server".
    let mut long = vec![b'x'; 2999];
    long.push(b'\n');
    let out = run_with_input(&client, &["--udp", "--port", &port], &long, T);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("sent back only the first 2048 of the 3000 bytes"),
        "{}",
        out.stderr
    );
}

#[test]
fn ncat_half_closes_by_itself_and_gets_everything_back() {
    let Some(ncat) = tool("ncat") else { return };
    let server = Server::start("echo-server", &["--port", "0"]);
    let input = noise(300_000, 5);
    let out = run_with_input(&ncat, &["127.0.0.1", &server.port()], &input, T);
    assert!(out.status.success(), "ncat failed: {}", out.stderr);
    assert!(
        out.stdout == input,
        "ncat got {} bytes back, sent {}",
        out.stdout.len(),
        input.len()
    );
}
