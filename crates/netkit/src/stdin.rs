//! # Reading the keyboard while listening to the network
//!
//! A client often waits for two things at once: what the user types, and what
//! the server sends. Reading standard input blocks a thread, and
//! `tokio::io::stdin` cannot be cancelled (it would keep the program alive
//! after the server hung up). So the keyboard gets a plain thread of its own,
//! which hands what it reads to the async side through a small bounded
//! channel. When the program exits, that thread simply ends with it.
//!
//! The channel being bounded is *backpressure*: if the network side is slow,
//! the reading thread waits instead of piling input up in memory.

use std::io::{BufRead, Read};
use std::thread;

use tokio::sync::mpsc;

/// How many lines or chunks may wait between the keyboard thread and the network.
const QUEUE: usize = 16;

/// The size of one chunk read by [`chunks`].
pub const CHUNK: usize = 64 * 1024;

/// The longest line [`lines`] and [`byte_lines`] hand over at once, so a
/// huge input without any newline cannot fill the memory: [`byte_lines`]
/// hands a longer one over in pieces of this size, [`lines`] cuts it to
/// this size.
pub const MAX_LINE: usize = 64 * 1024;

/// Lines typed (or piped) on standard input, as text without their `\n` or
/// `\r\n`: for programs that show or parse what the user typed (chat).
/// Invalid UTF-8 is replaced by U+FFFD. A line longer than [`MAX_LINE`]
/// bytes is handed over cut to its first [`MAX_LINE`] bytes, and the rest
/// of it, up to its newline, is dropped: a program that refuses a line
/// that long (a chat line holds 1 KiB) must not then find its end in the
/// next item and take it for a line of its own, typed on purpose. The
/// channel closes at end of input.
pub fn lines() -> mpsc::Receiver<std::io::Result<String>> {
    let (tx, rx) = mpsc::channel(QUEUE);
    thread::spawn(move || send_text_lines(std::io::stdin().lock(), MAX_LINE, &tx));
    rx
}

/// Reads `input` as text lines of at most `max` bytes into `tx` (see
/// [`lines`]): the end of a longer line is read and dropped.
fn send_text_lines(
    mut input: impl BufRead,
    max: usize,
    tx: &mpsc::Sender<std::io::Result<String>>,
) {
    loop {
        let mut line = Vec::new();
        // `take` bounds what one read_until may collect.
        let read = (&mut input)
            .take(max as u64)
            .read_until(b'\n', &mut line)
            .and_then(|n| {
                if n == max && !line.ends_with(b"\n") {
                    // Cut: what follows, up to the newline, is thrown
                    // away as it is read (skip_until stores none of it).
                    // When that is the LF alone, the line was whole: a
                    // CR just before it ends it as CRLF, not as text.
                    if input.skip_until(b'\n')? == 1 {
                        line.push(b'\n');
                    }
                }
                Ok(n)
            });
        match read {
            Ok(0) => return, // end of input: dropping tx closes the channel
            Ok(_) => {
                if tx.blocking_send(Ok(as_text(line))).is_err() {
                    return; // the program no longer listens
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    }
}

/// A line as text: its `\n` or `\r\n` removed, invalid UTF-8 replaced.
fn as_text(mut line: Vec<u8>) -> String {
    if line.ends_with(b"\n") {
        line.pop();
        if line.ends_with(b"\r") {
            line.pop();
        }
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// Lines of standard input exactly as they came: any bytes (not only
/// UTF-8), each with its own ending (`\n`, `\r\n`, or none for a last line
/// without one). For programs that must send the user's bytes unchanged
/// (echo). A line longer than [`MAX_LINE`] bytes arrives as several pieces;
/// only the last piece ends with `\n`. The channel closes at end of input.
pub fn byte_lines() -> mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel(QUEUE);
    thread::spawn(move || send_lines(std::io::stdin().lock(), MAX_LINE, &tx, |line| line));
    rx
}

/// Reads `input` line by line (each line with its ending, at most `max`
/// bytes at a time) into `tx`, each turned into what the channel carries by
/// `convert`, until the end of input, an error, or nobody listening any more.
fn send_lines<T>(
    mut input: impl BufRead,
    max: usize,
    tx: &mpsc::Sender<std::io::Result<T>>,
    convert: impl Fn(Vec<u8>) -> T,
) {
    loop {
        let mut line = Vec::new();
        // `take` bounds what one read_until may collect.
        match (&mut input).take(max as u64).read_until(b'\n', &mut line) {
            Ok(0) => return, // end of input: dropping tx closes the channel
            Ok(_) => {
                if tx.blocking_send(Ok(convert(line))).is_err() {
                    return; // the program no longer listens
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    }
}

/// Standard input as raw chunks of at most [`CHUNK`] bytes, for binary-safe
/// piping (`cat file | client`). The channel closes at end of input.
pub fn chunks() -> mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel(QUEUE);
    thread::spawn(move || {
        let mut input = std::io::stdin().lock();
        let mut buf = vec![0u8; CHUNK];
        loop {
            match input.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if tx.blocking_send(Ok(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `lines()` hands over for `input`.
    fn collect(input: &[u8], max: usize) -> Vec<String> {
        let (tx, mut rx) = mpsc::channel(1000);
        send_text_lines(input, max, &tx);
        drop(tx);
        let mut out = Vec::new();
        while let Ok(line) = rx.try_recv() {
            out.push(line.unwrap());
        }
        out
    }

    /// What `byte_lines()` hands over for `input`.
    fn collect_bytes(input: &[u8], max: usize) -> Vec<Vec<u8>> {
        let (tx, mut rx) = mpsc::channel(1000);
        send_lines(input, max, &tx, |line| line);
        drop(tx);
        let mut out = Vec::new();
        while let Ok(line) = rx.try_recv() {
            out.push(line.unwrap());
        }
        out
    }

    #[test]
    fn byte_lines_keep_every_byte_and_their_own_ending() {
        let input = b"caf\xe9\nwin\r\nlast";
        let lines = collect_bytes(input, 100);
        assert_eq!(lines, [&b"caf\xe9\n"[..], b"win\r\n", b"last"]);
        assert_eq!(lines.concat(), input);
    }

    #[test]
    fn a_long_byte_line_arrives_in_pieces_only_the_last_ending_it() {
        let lines = collect_bytes(b"abcdefghij\n", 4);
        assert_eq!(lines, [&b"abcd"[..], b"efgh", b"ij\n"]);
    }

    #[test]
    fn line_endings_are_removed() {
        assert_eq!(collect(b"one\ntwo\r\nthree", 100), ["one", "two", "three"]);
    }

    /// Its end is not a line of its own: a chat client that refuses the
    /// long line (too long to send) would send its end as a message.
    #[test]
    fn a_text_line_longer_than_the_limit_is_cut_and_its_end_dropped() {
        assert_eq!(collect(b"abcdefghij\nk\n", 4), ["abcd", "k"]);
        assert_eq!(collect(b"abcdefghij", 4), ["abcd"]);
        // Exactly the limit, with or without its newline, is whole.
        assert_eq!(collect(b"abcd\nefgh", 4), ["abcd", "efgh"]);
        assert_eq!(collect(b"abcdefgh\r\nk", 4), ["abcd", "k"]);
    }

    /// A line whose CR is its last byte within the limit, its LF just
    /// past it, is not cut: it ends with CRLF like any other line, and
    /// arrives without it.
    #[test]
    fn a_crlf_astride_the_limit_is_still_an_ending() {
        assert_eq!(collect(b"abc\r\nk\r\n", 4), ["abc", "k"]);
        // A CR that is not followed by LF stays, as in a shorter line.
        assert_eq!(collect(b"abc\rd\nk", 4), ["abc\r", "k"]);
        assert_eq!(collect(b"ab\r\n", 4), ["ab"]);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(collect(b"caf\xe9\n", 100), ["caf\u{fffd}"]);
    }
}
