//! Exercise 3: decoding RFC 868 from a slow reader and from a real socket.

mod common;

use common::{Trickle, listener, within, within_or};
use exercises::ex03_time_client::{read_time, to_unix};
use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

/// 2024-01-01T00:00:00Z in both epochs.
const NEW_YEAR_2024_RFC868: u32 = 3_913_056_000;
const NEW_YEAR_2024_UNIX: i64 = 1_704_067_200;
// The two values above are 2 208 988 800 s apart, checked when compiling.
const _: () = assert!(NEW_YEAR_2024_RFC868 as i64 - 2_208_988_800 == NEW_YEAR_2024_UNIX);
/// Seconds in a day: an offset wrong by whole days is a leap-year mistake.
const DAY: i64 = 24 * 60 * 60;

#[test]
fn converts_1900_epoch_to_1970_epoch() {
    assert_eq!(
        to_unix(2_208_988_800),
        0,
        "1970-01-01 is 2 208 988 800 s after 1900-01-01"
    );
    assert_decoded(to_unix(NEW_YEAR_2024_RFC868), NEW_YEAR_2024_RFC868);
    assert_eq!(
        to_unix(0),
        -2_208_988_800,
        "1900-01-01 is before 1970: negative"
    );
    assert_eq!(
        to_unix(u32::MAX),
        2_085_978_495,
        "the last second before the 2036 wrap"
    );
}

/// The time read_time decoded, when all 4 bytes were sent (perhaps in pieces).
#[track_caller]
fn came_whole(result: std::io::Result<i64>) -> i64 {
    // A match, not unwrap_or_else: the panic then names the test's line.
    match result {
        Ok(time) => time,
        Err(e) => panic!(
            "read_time failed ({e}) though all 4 bytes were sent, in pieces: one \
             read() may bring fewer than 4 bytes; read_exact loops until it has them"
        ),
    }
}

/// Checks a decoded time, naming the usual mistake when it is one.
#[track_caller]
fn assert_decoded(got: i64, sent: u32) {
    let want = i64::from(sent) - 2_208_988_800;
    let little = i64::from(u32::from_le_bytes(sent.to_be_bytes())) - 2_208_988_800;
    let hint = if got == little {
        " — the bytes were read in the wrong order: RFC 868 sends the most \
         significant byte first (u32::from_be_bytes)"
    } else if got == i64::from(sent) {
        " — 70 years too many: the 1900 → 1970 offset (2 208 988 800 s) is missing"
    } else if [0xff00_0000, 0xffff_0000, 0xffff_ff00]
        .iter()
        .any(|&kept| got == i64::from(sent & kept) - 2_208_988_800)
    {
        " — bytes are missing: one read() may bring fewer than 4 bytes (read_exact)"
    } else if (got - want) % DAY == 0 && (got - want).abs() <= 31 * DAY {
        " — a whole number of days off: the offset is 70 × 365 days plus 17 leap \
         days (1900 was not a leap year), 2 208 988 800 s"
    } else if (got - want).abs() < DAY {
        &format!(
            " — {} s off: the 1900 → 1970 offset is exactly 2 208 988 800 s",
            got - want
        )
    } else {
        ""
    };
    assert_eq!(got, want, "decoded {got}, expected {want}{hint}");
}

#[test]
fn decodes_big_endian_bytes_arriving_one_at_a_time() {
    // 42 s after midnight: the last byte is not 0, so a byte left out shows.
    for sent in [NEW_YEAR_2024_RFC868, NEW_YEAR_2024_RFC868 + 42] {
        let time = within("read_time", move || {
            read_time(Trickle::new(sent.to_be_bytes()))
        });
        assert_decoded(came_whole(time), sent);
    }
}

#[test]
fn stops_after_four_bytes() {
    // Anything after the 4 bytes is none of read_time's business.
    let mut data = NEW_YEAR_2024_RFC868.to_be_bytes().to_vec();
    data.extend_from_slice(b"extra");
    let time = within("read_time", move || read_time(Trickle::new(data)));
    assert_decoded(came_whole(time), NEW_YEAR_2024_RFC868);
}

#[test]
fn fewer_than_four_bytes_is_unexpected_eof() {
    let result = within_or(
        "read_time on a stream that ends after 2 bytes",
        ": a read loop that does not stop on Ok(0), the end of the stream, spins for \
         ever (read_exact stops)",
        || read_time(Trickle::new([0xe9, 0x3c])),
    );
    let err = result.expect_err("only 2 bytes came: that is no time");
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
}

#[test]
fn reads_from_a_real_server_sending_byte_by_byte() {
    let (listener, addr) = listener();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        for byte in NEW_YEAR_2024_RFC868.to_be_bytes() {
            stream.write_all(&[byte]).unwrap();
            thread::sleep(Duration::from_millis(20));
        }
    });
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(common::TIMEOUT)).unwrap();
    let time = within("read_time", move || read_time(stream));
    assert_decoded(came_whole(time), NEW_YEAR_2024_RFC868);
}

#[test]
fn returns_as_soon_as_the_four_bytes_are_there() {
    // This server sends its 4 bytes, then keeps the connection open until
    // the test is over: reading "until the end" (read_to_end) waits for a
    // close that does not come. 4 bytes are the whole answer: read exactly 4.
    let (listener, addr) = listener();
    let (done, wait_for_test) = std::sync::mpsc::channel::<()>();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .write_all(&NEW_YEAR_2024_RFC868.to_be_bytes())
            .unwrap();
        // Bounded: the connection closes when the test ends, or after a while.
        let _ = wait_for_test.recv_timeout(common::TIMEOUT * 2);
    });
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(common::TIMEOUT * 2)).unwrap();
    let time = within_or(
        "read_time, from a server that does not close after its 4 bytes,",
        ": reading until the end of the stream waits for ever (read exactly 4 bytes)",
        move || read_time(stream),
    );
    drop(done);
    assert_decoded(came_whole(time), NEW_YEAR_2024_RFC868);
}
