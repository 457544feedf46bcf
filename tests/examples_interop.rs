//! Interop: the ladder's examples (`examples/`) with the third-party
//! command lines their module docs and the exercise sheets show — nc in
//! several terminals, `nc -d … | xxd`, rdate. tests/examples.rs checks the
//! examples with raw sockets; here the peer is the real tool a student
//! types. Each example gets a free port (it takes the port as argument).
//!
//! A missing tool skips the test with a message, except in CI (see `support::tool`).

mod support;

use std::process::Command;
use std::time::Duration;

use codec::time::{Timestamp, daytime, rfc868};
use support::{Interactive, Peer, Transport, run_with_input, run_with_input_left_open, tool};

const T: Duration = Duration::from_secs(20);

/// Starts example `name` of the root package on a free port; waits until it accepts.
fn start(name: &str) -> (Peer, String) {
    let program = support::example("netlab", name);
    let (peer, ports) = Peer::on_free_ports(name, 1, &[Transport::Tcp], |ports| {
        let mut command = Command::new(&program);
        command.arg(ports[0].to_string());
        command
    });
    (peer, ports[0].to_string())
}

fn off_by(instant: Timestamp) -> f64 {
    instant.duration_since(Timestamp::now()).as_secs_f64().abs()
}

/// Steps 2 and 3: "nc in two terminals: both are served". The second nc
/// gets its echo while the first is still connected, saying nothing.
#[test]
fn steps_2_and_3_serve_a_second_nc_while_the_first_stays() {
    let Some(nc) = tool("nc") else { return };
    for name in ["02_thread_per_client", "03_tokio_tasks"] {
        let (_server, port) = start(name);
        let mut first = Interactive::start(&nc, &["127.0.0.1", &port]);
        first.type_in(b"first\n");
        assert!(first.stdout.wait_for("first", T).is_some(), "{name}");
        let mut second = Interactive::start(&nc, &["127.0.0.1", &port]);
        second.type_in(b"second\n");
        assert!(
            second.stdout.wait_for("second", T).is_some(),
            "{name}: the second nc was not served while the first is connected"
        );
    }
}

/// Step 1 and exercise 5: `nc -N 127.0.0.1 11007`, the echo comes back and
/// the end of input (Ctrl-D) ends the conversation.
#[test]
fn step_1_echoes_nc_n_and_closes_at_its_end_of_input() {
    let Some(nc) = tool("nc") else { return };
    let (_server, port) = start("01_blocking_echo");
    let out = run_with_input(&nc, &["-N", "127.0.0.1", &port], b"one\ntwo\n", T);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, b"one\ntwo\n");
}

/// Step 5 and exercise 4: `nc -d 127.0.0.1 15037 | xxd` and
/// `rdate -p -o 15037 127.0.0.1`.
#[test]
fn step_5_is_read_by_nc_d_and_by_rdate() {
    let Some(nc) = tool("nc") else { return };
    let (_server, port) = start("05_time_by_hand");
    let out = run_with_input_left_open(&nc, &["-d", "127.0.0.1", &port], b"", T);
    assert!(out.status.success(), "{}", out.stderr);
    let instant = rfc868::parse_answer(&out.stdout).unwrap();
    assert!(off_by(instant) < 2.0, "{instant}");

    let Some(rdate) = tool("rdate") else { return };
    // rdate has no read time-out of its own: `timeout 5`; TZ=UTC, so that
    // our daytime reader knows the zone of what it prints.
    let rdate = rdate.to_string_lossy().into_owned();
    let env = tool("env").expect("env is part of coreutils");
    let args = [
        "TZ=UTC",
        "timeout",
        "5",
        &rdate,
        "-p",
        "-o",
        &port,
        "127.0.0.1",
    ];
    let out = run_with_input(&env, &args, b"", T);
    let stdout = out.stdout_text();
    assert!(out.status.success(), "rdate: {stdout}{}", out.stderr);
    let printed = daytime::parse(stdout.trim_end()).unwrap();
    assert!(off_by(printed) < 2.0, "{stdout}");
}

/// Step 7: "nc 127.0.0.1 17194 in two or three terminals": what one types,
/// the others see.
#[test]
fn step_7_relays_between_two_nc() {
    let Some(nc) = tool("nc") else { return };
    let (_server, port) = start("07_broadcast_chat");
    let mut alice = Interactive::start(&nc, &["127.0.0.1", &port]);
    let mut bob = Interactive::start(&nc, &["127.0.0.1", &port]);
    // Bob's line is relayed only once both are in: alice speaks until bob
    // hears her (each try is a new line; a bounded number of tries).
    let mut heard = None;
    for i in 0..50 {
        alice.type_in(format!("hello {i} from alice\n").as_bytes());
        heard = bob
            .stdout
            .wait_for("from alice", Duration::from_millis(200));
        if heard.is_some() {
            break;
        }
    }
    assert!(
        heard.is_some(),
        "bob heard nothing: {:?}",
        bob.stdout.lines()
    );
    bob.type_in(b"hi from bob\n");
    let line = alice.stdout.wait_for("hi from bob", T);
    assert!(line.is_some(), "alice saw {:?}", alice.stdout.lines());
}
