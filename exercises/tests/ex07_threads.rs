//! Exercise 7: a thread per client; a busy client must not block another.

mod common;

use common::{connect, read_line, spawn_server};
use exercises::ex07_threads::serve;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};

/// Echoes lines; the line `fail` makes it return an error.
fn line_echo(stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    for line in BufReader::new(stream).lines() {
        let line = line?;
        if line == "fail" {
            return Err(io::Error::other("this client asked to fail"));
        }
        writeln!(writer, "{line}")?;
    }
    Ok(())
}

fn start() -> SocketAddr {
    spawn_server(|listener| serve(listener, line_echo))
}

/// Sends a line and expects it back.
fn round_trip(client: &mut TcpStream, line: &str) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    writeln!(client, "{line}").unwrap();
    assert_eq!(
        read_line(&mut reader, &format!("the echo of {line:?}")),
        format!("{line}\n")
    );
}

#[test]
fn a_second_client_is_served_while_the_first_stays_connected() {
    let addr = start();
    let mut first = connect(addr);
    round_trip(&mut first, "I am first and I stay");
    let mut second = connect(addr);
    // An iterative server is still busy with `first`: this times out.
    round_trip(&mut second, "second, served at the same time");
    round_trip(&mut first, "first again");
}

#[test]
fn twenty_clients_at_once() {
    let addr = start();
    let mut clients: Vec<TcpStream> = (0..20).map(|_| connect(addr)).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        round_trip(client, &format!("client {i}"));
    }
}

#[test]
fn one_client_failing_does_not_stop_the_server() {
    let (listener, addr) = common::listener();
    let server = std::thread::spawn(move || serve(listener, line_echo));
    let mut bad = connect(addr);
    writeln!(bad, "fail").unwrap();
    // Time for the handler to fail.
    std::thread::sleep(std::time::Duration::from_millis(200));
    if server.is_finished() {
        match server.join() {
            Ok(result) => panic!(
                "serve() returned {result:?} when one client's handler failed: an error \
                 in a client's thread must end that client only (print it in the thread)"
            ),
            Err(_) => panic!("serve() panicked when one client's handler failed"),
        }
    }
    let mut good = connect(addr);
    round_trip(&mut good, "still there?");
    // And new clients are still accepted.
    round_trip(&mut connect(addr), "and me?");
}
