//! Exercise 6: the uppercase line protocol, fed in awkward pieces.

mod common;

use common::{Trickle, connect, listener, read_line, within_or, write_in_pieces};
use exercises::ex06_uppercase::{handle, uppercase_lines};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;

/// Runs uppercase_lines over `input` handed out 1–3 bytes at a time.
fn run(input: &str) -> (String, u64) {
    let input = input.to_string();
    within_or(
        "uppercase_lines",
        ": does its loop stop at the end of the input, when read_line returns 0?",
        move || {
            let mut output = Vec::new();
            let n =
                uppercase_lines(Trickle::new(input), &mut output).expect("uppercase_lines failed");
            (
                String::from_utf8(output).expect("the answer is not UTF-8"),
                n,
            )
        },
    )
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

/// Runs `input` through uppercase_lines and compares what it wrote and
/// returned with `answers` and `count`; `why` says what the test is about.
#[track_caller]
fn check(input: &str, answers: &str, count: u64, why: &str) {
    let got = run(input);
    let hint = if start_cut_off(input, &got.0) {
        " — the start of a line is missing: a BufReader reads ahead, so create \
         one, before the loop; a new one for each line loses what the previous \
         one had read ahead"
    } else {
        ""
    };
    assert_eq!(got, (answers.to_string(), count), "{why}{hint}");
}

/// True when an answer is the end of a line sent, its start cut off.
fn start_cut_off(input: &str, answers: &str) -> bool {
    let sent: Vec<String> = input.lines().map(str::to_uppercase).collect();
    answers.lines().any(|answer| {
        !answer.is_empty()
            && sent
                .iter()
                .any(|line| line.len() > answer.len() && line.ends_with(answer))
    })
}

#[test]
fn answers_each_line_even_when_it_arrives_in_pieces() {
    check(
        "hello\nworld\nhow are\nyou\n",
        "HELLO\nWORLD\nHOW ARE\nYOU\n",
        4,
        "each line answered in upper case (read_line gathers the pieces)",
    );
}

#[test]
fn crlf_is_accepted_and_not_sent_back() {
    check(
        "telnet\r\nsends\r\n",
        "TELNET\nSENDS\n",
        2,
        "a \\r before the \\n is not part of the line, and is not sent back",
    );
}

#[test]
fn last_line_without_newline_is_answered() {
    check(
        "one\nlast",
        "ONE\nLAST\n",
        2,
        "at the end of the input, a last line without \\n still gets its answer",
    );
}

#[test]
fn spaces_are_part_of_the_line() {
    check(
        "  two  spaces  \r\n",
        "  TWO  SPACES  \n",
        1,
        "only the \\n and the \\r at the end are removed: spaces belong to the line \
         (trim() removes them too; strip_suffix removes only what it names)",
    );
}

#[test]
fn accents_are_upper_cased_too() {
    check(
        "ça va ?\n",
        "ÇA VA ?\n",
        1,
        "every letter in upper case, accents too: to_uppercase, not to_ascii_uppercase",
    );
}

#[test]
fn quit_says_bye_and_stops() {
    check(
        "a\nQUIT\nb\n",
        "A\nBYE\n",
        1,
        "QUIT gets BYE, is not counted, and nothing after it is answered",
    );
    check(
        "a\r\nQUIT\r\nb\r\n",
        "A\nBYE\n",
        1,
        "telnet sends QUIT\\r\\n: remove the \\r before comparing",
    );
}

#[test]
fn empty_input_answers_nothing() {
    check("", "", 0, "no input, no answer");
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
    let cut = "letters missing at the start? one BufReader for the whole connection, \
               created before the loop: a new one per line loses what was read ahead";
    assert_eq!(read_line(&mut reader, "SECOND"), "SECOND\n", "{cut}");
    assert_eq!(read_line(&mut reader, "THIRD"), "THIRD\n", "{cut}");
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
