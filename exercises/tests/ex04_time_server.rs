//! Exercise 4: the iterative time server, started for real on port 0.

mod common;

use common::{connect, listener, reset, spawn_server};
use exercises::ex04_time_server::{serve, time_bytes};
use std::io::Read;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Connects, reads everything until the server closes (at most 64 bytes:
/// a server that keeps writing would fill the memory), returns the bytes.
fn ask(addr: SocketAddr) -> Vec<u8> {
    let stream = connect(addr);
    let mut answer = Vec::new();
    match (&stream).take(64).read_to_end(&mut answer) {
        Ok(_) => answer,
        Err(e) if answer.is_empty() => panic!(
            "reading the answer: {e}, nothing came (the server must write the 4 bytes as soon \
             as the client connects, without waiting for a request, then close)"
        ),
        Err(e) => panic!(
            "reading the answer: {e} after {} byte(s) (the server must close the connection after the 4 bytes)",
            answer.len()
        ),
    }
}

fn now_rfc868() -> i64 {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    unix as i64 + 2_208_988_800
}

/// Checks `time_bytes` on the moment `unix` seconds after 1970, whose
/// RFC 868 answer is `expected`; a wrong answer is explained.
#[track_caller]
fn check_moment(unix: u64, expected: u32, moment: &str) {
    let got = time_bytes(UNIX_EPOCH + Duration::from_secs(unix));
    if got == expected.to_be_bytes() {
        return;
    }
    let value = u32::from_be_bytes(got);
    let why = if got == expected.to_le_bytes() {
        "the right number, bytes in the wrong order: RFC 868 is big-endian (network byte \
         order), to_be_bytes(), not to_le_bytes()"
            .to_string()
    } else if u64::from(value) == unix % (1 << 32) {
        "seconds since 1970 (Unix), not since 1900: add 2 208 988 800".to_string()
    } else if value.abs_diff(now_rfc868() as u32) <= 5 {
        "that is now: time_bytes must convert its parameter, not SystemTime::now()".to_string()
    } else {
        format!(
            "off by {} s (the offset 1900 to 1970 is 2 208 988 800 s)",
            i64::from(value) - i64::from(expected)
        )
    };
    panic!(
        "time_bytes({moment}): expected {expected} = {:?}, got {value} = {got:?}: {why}",
        expected.to_be_bytes()
    );
}

#[test]
fn encodes_known_moments() {
    check_moment(1_704_067_200, 3_913_056_000, "2024-01-01 00:00:00 UTC");
    check_moment(0, 2_208_988_800, "1970-01-01, UNIX_EPOCH");
    // 2036-02-07T06:28:16Z: the 32-bit counter wraps around to 0.
    let wrap = UNIX_EPOCH + Duration::from_secs(2_085_978_496);
    assert_eq!(
        time_bytes(wrap),
        [0, 0, 0, 0],
        "2036-02-07 06:28:16 UTC is 2^32 s after 1900: RFC 868 wraps to 0 then (as u32 \
         keeps the low 32 bits)"
    );
}

#[test]
fn answers_four_bytes_of_now_then_closes() {
    let addr = spawn_server(serve);
    let answer = ask(addr);
    assert_eq!(
        answer.len(),
        4,
        "RFC 868 is exactly 4 bytes, got {answer:?}"
    );
    let got = i64::from(u32::from_be_bytes(answer.try_into().unwrap()));
    // A few seconds of slack: on a busy machine this thread may wait a
    // while between the server's answer and this check. The mistakes are
    // years off; a few seconds off is encodes_known_moments' business.
    assert!(
        (got - now_rfc868()).abs() <= 5,
        "the time sent is not now: {got} vs {} (off by {} s; the test \
         encodes_known_moments says what time_bytes gets wrong)",
        now_rfc868(),
        got - now_rfc868()
    );
}

#[test]
fn each_client_gets_the_time_of_its_own_request() {
    // Two questions a little over a second apart: two different answers.
    let addr = spawn_server(serve);
    let first = u32::from_be_bytes(ask(addr).try_into().expect("4 bytes"));
    thread::sleep(Duration::from_millis(1100));
    let second = u32::from_be_bytes(ask(addr).try_into().expect("4 bytes"));
    assert!(
        second > first,
        "two clients 1.1 s apart both got {first}: is the time taken once, before the \
         loop, instead of for each client?"
    );
}

#[test]
fn serves_one_client_after_the_other() {
    let addr = spawn_server(serve);
    for client in 1..=5 {
        assert_eq!(ask(addr).len(), 4, "client {client} got no proper answer");
    }
}

#[test]
fn a_client_that_hangs_up_does_not_stop_the_server() {
    // These clients connect and reset their connection (RST) *before* serve()
    // starts: they wait in the listen queue, already reset, so the server's
    // write to each of them fails for sure ("connection reset by peer"). A
    // client that closes politely would not do: the first write after its
    // FIN still succeeds.
    let (listener, addr) = listener();
    for _ in 0..3 {
        reset(connect(addr));
    }
    let server = thread::spawn(move || serve(listener));
    // Time to accept the three and fail to answer them.
    thread::sleep(Duration::from_millis(200));
    if server.is_finished() {
        match server.join() {
            Ok(Ok(())) => panic!(
                "serve() returned Ok(()) with clients still waiting: a server answers one \
                 client after the other, for ever (a loop around accept)"
            ),
            Ok(result) => panic!(
                "serve() returned {result:?} after a client reset its connection: \
                 one client's error must not stop the server (print it and go on)"
            ),
            Err(_) => panic!("serve() panicked on a client that reset its connection"),
        }
    }
    assert_eq!(
        ask(addr).len(),
        4,
        "the server must keep serving after rude clients"
    );
}
