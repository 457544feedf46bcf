//! Exercise 6: the uppercase line protocol, fed in awkward pieces.

mod common;

use common::{Trickle, connect, listener, read_line, within, write_in_pieces};
use exercises::ex06_uppercase::{handle, uppercase_lines};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;

/// Runs uppercase_lines over `input` handed out 1–3 bytes at a time.
fn run(input: &str) -> (String, u64) {
    let input = input.to_string();
    within("uppercase_lines", move || {
        let mut output = Vec::new();
        let n = uppercase_lines(Trickle::new(input), &mut output).expect("uppercase_lines failed");
        (
            String::from_utf8(output).expect("the answer is not UTF-8"),
            n,
        )
    })
}

/// A server running `handle` for each client.
fn server() -> SocketAddr {
    let (listener, addr) = listener();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || handle(stream));
        }
    });
    addr
}

#[test]
fn answers_each_line_even_when_it_arrives_in_pieces() {
    assert_eq!(run("hello\nworld\n"), ("HELLO\nWORLD\n".to_string(), 2));
}

#[test]
fn crlf_is_accepted_and_not_sent_back() {
    assert_eq!(
        run("telnet\r\nsends\r\n"),
        ("TELNET\nSENDS\n".to_string(), 2)
    );
}

#[test]
fn last_line_without_newline_is_answered() {
    assert_eq!(run("one\nlast"), ("ONE\nLAST\n".to_string(), 2));
}

#[test]
fn spaces_are_part_of_the_line() {
    assert_eq!(
        run("  two  spaces  \r\n"),
        ("  TWO  SPACES  \n".to_string(), 1),
        "only the \\n and the \\r at the end are removed: spaces belong to the line \
         (trim() removes them too; strip_suffix removes only what it names)"
    );
}

#[test]
fn accents_are_upper_cased_too() {
    assert_eq!(
        run("ça va ?\n"),
        ("ÇA VA ?\n".to_string(), 1),
        "every letter in upper case, accents too: to_uppercase, not to_ascii_uppercase"
    );
}

#[test]
fn quit_says_bye_and_stops() {
    assert_eq!(
        run("a\nQUIT\nb\n"),
        ("A\nBYE\n".to_string(), 1),
        "QUIT gets BYE, is not counted, and nothing after it is answered"
    );
    assert_eq!(
        run("a\r\nQUIT\r\nb\r\n"),
        ("A\nBYE\n".to_string(), 1),
        "telnet sends QUIT\\r\\n: remove the \\r before comparing"
    );
}

#[test]
fn empty_input_answers_nothing() {
    assert_eq!(run(""), (String::new(), 0));
}

#[test]
fn over_tcp_each_answer_leaves_at_once() {
    // The connection stays open: an answer stuck in a buffer never arrives.
    let addr = server();
    let mut client = connect(addr);
    let mut reader = BufReader::new(client.try_clone().unwrap());
    client.write_all(b"first\n").unwrap();
    assert_eq!(
        read_line(
            &mut reader,
            "FIRST while the connection stays open (answer each line as soon as \
             it is read, not at the end of the input)"
        ),
        "FIRST\n"
    );
    write_in_pieces(&mut client, b"sec");
    write_in_pieces(&mut client, b"ond\nthird\r\n");
    assert_eq!(read_line(&mut reader, "SECOND"), "SECOND\n");
    assert_eq!(read_line(&mut reader, "THIRD"), "THIRD\n");
    client.write_all(b"QUIT\n").unwrap();
    assert_eq!(read_line(&mut reader, "BYE"), "BYE\n");
}

#[test]
fn over_tcp_glued_lines_get_separate_answers() {
    let addr = server();
    let mut client: TcpStream = connect(addr);
    let mut reader = BufReader::new(client.try_clone().unwrap());
    client.write_all(b"a\nb\nc\n").unwrap();
    for expected in ["A\n", "B\n", "C\n"] {
        let waiting_for = format!(
            "{} while the connection stays open (answer each line as soon as it is \
             read, not at the end of the input)",
            expected.trim()
        );
        assert_eq!(read_line(&mut reader, &waiting_for), expected);
    }
}
