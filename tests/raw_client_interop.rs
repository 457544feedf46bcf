//! Interop: `raw-client`, netlab's "nc for everyone", against servers nobody
//! here wrote: xinetd's built-in daytime, time and echo services (Debian
//! package `xinetd`), over TCP and UDP. raw-client must not care who wrote
//! the server: it shows what arrives, byte for byte, and ends when a TCP
//! server closes even though its own input is still open (a terminal).
//!
//! Over UDP only one datagram is sent at a time: xinetd's built-in UDP
//! services may drop a datagram that arrives while they answer the one
//! before (two back-to-back datagrams from bash's `/dev/udp` get one answer
//! now and then), which is xinetd's limit, not raw-client's.
//!
//! A missing tool skips the test with a message, except in CI (see `support::tool`).

mod support;

use std::time::Duration;

use codec::time::{Timestamp, daytime, rfc868};
use support::{Interactive, Peer, bin, run_with_input, run_with_input_left_open, tool};

const T: Duration = Duration::from_secs(20);

/// xinetd's daytime, time and echo on free ports, in UTC, and those ports.
fn xinetd() -> Option<(Peer, [String; 3])> {
    let path = tool("xinetd")?;
    let (peer, ports) = support::xinetd(&path, &["daytime", "time", "echo"], "UTC");
    Some((peer, [0, 1, 2].map(|i| ports[i].to_string())))
}

fn off_by(instant: Timestamp) -> f64 {
    instant.duration_since(Timestamp::now()).as_secs_f64().abs()
}

#[test]
fn raw_client_shows_xinetd_s_daytime_and_time_and_ends_at_the_close() {
    let Some((_xinetd, [day, time, _])) = xinetd() else {
        return;
    };
    let raw = bin("raw-client");
    // Input left open: raw-client must end because the server closed.
    let out = run_with_input_left_open(&raw, &["127.0.0.1", &day], b"", T);
    assert!(out.status.success(), "{}", out.stderr);
    let line = out.stdout_text();
    // xinetd's own format: `25 NOV 2026 07:21:55 UTC\r\n`.
    assert!(line.ends_with(" UTC\r\n"), "{line:?}");
    assert!(off_by(daytime::parse(&line).unwrap()) < 2.0, "{line:?}");

    let out = run_with_input_left_open(&raw, &["127.0.0.1", &time], b"", T);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout.len(), 4, "{:?}", out.stdout);
    assert!(off_by(rfc868::parse_answer(&out.stdout).unwrap()) < 2.0);
}

#[test]
fn raw_client_s_lines_come_back_from_xinetd_s_echo() {
    let Some((_xinetd, [_, _, echo])) = xinetd() else {
        return;
    };
    let raw = bin("raw-client");
    // --crlf: each typed LF goes out as CR LF, and an echo shows it.
    let out = run_with_input(&raw, &["--crlf", "127.0.0.1", &echo], b"hi\nthere\n", T);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, b"hi\r\nthere\r\n");
}

#[test]
fn raw_client_talks_to_xinetd_over_udp() {
    let Some((_xinetd, [day, _, echo])) = xinetd() else {
        return;
    };
    let raw = bin("raw-client");
    // Each typed line is one datagram; raw-client waits for more answers
    // until killed, so the test waits for the answer it expects.
    let mut client = Interactive::start(&raw, &["--udp", "127.0.0.1", &echo]);
    client.type_in(b"hello xinetd\n");
    let echoed = client.stdout.wait_for("hello", T);
    assert_eq!(echoed.as_deref(), Some("hello xinetd"));

    // Any datagram asks daytime for the time: an empty line will do.
    let mut client = Interactive::start(&raw, &["--udp", "127.0.0.1", &day]);
    client.type_in(b"\n");
    let line = client
        .stdout
        .wait_for(" UTC", T)
        .unwrap_or_else(|| panic!("no daytime line: {:?}", client.stdout.lines()));
    let line = line.trim_end_matches('\r');
    assert!(off_by(daytime::parse(line).unwrap()) < 2.0, "{line:?}");
}
