//! # Interactive mode: a person at the keyboard
//!
//! Each line typed is sent, its echo read back and shown with the round
//! trip's time. Between two lines the client listens to the server too: an
//! echo server never speaks first, so anything it does then (closing, or
//! talking on its own) is news worth showing at once.

use std::time::Instant;

use netkit::NetError;
use netkit::error::is_closed_by_peer;
use netkit::logging::note;
use netkit::trace::show_bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{
    Opened, Options, SERVICE, closed_without_answer, connect, not_echo, print_bytes,
    with_round_trip,
};

/// Keyboard mode: one line at a time, each echo printed with its round-trip time.
///
/// While it waits for the keyboard, the client listens to the server too.
/// An echo server has nothing to say then, so whatever it does is news, shown
/// at once rather than at the next line typed: it closed the connection (it
/// was stopped, or its --idle-timeout ran out), or it talks on its own (it
/// speaks another protocol: a time or chat server speaks first).
pub(super) async fn interactive_tcp(options: &Options) -> Result<(), NetError> {
    let (mut stream, server, opened) = connect(options).await?;
    note("Type a line and press Enter; Ctrl-D (Ctrl-Z on Windows) to finish.");
    // Each line exactly as typed, with its own ending: echo sends bytes back
    // unchanged, so the client sends them unchanged too.
    let mut keyboard = netkit::stdin::byte_lines();
    let mut echoed_any = false;
    let mut unasked = [0u8; 256];
    loop {
        let message = tokio::select! {
            line = keyboard.recv() => match line {
                Some(line) => line.map_err(|e| NetError::io("reading the keyboard", e))?,
                None => break, // Ctrl-D
            },
            // Both waits can be dropped unfinished without losing anything:
            // whichever did not win simply starts again next time round.
            read = stream.read(&mut unasked) => {
                return server_spoke_unasked(read, &unasked, &server, echoed_any, opened);
            }
        };
        let started = Instant::now();
        // Read back exactly as many bytes as were sent, counting what came,
        // so that a server that stops short is told apart from a silent one.
        let mut echo = vec![0u8; message.len()];
        let mut got = 0;
        let exchange = async {
            stream.write_all(&message).await?;
            while got < echo.len() {
                match stream.read(&mut echo[got..]).await? {
                    0 => break, // closed by the server
                    n => got += n,
                }
            }
            Ok::<(), std::io::Error>(())
        };
        let outcome = tokio::time::timeout(options.timeout, exchange).await;
        let echo = &echo[..got];
        // Another protocol's server answers with something else: say so
        // rather than print it as if it were the echo (even a part of it).
        if echo != &message[..got] {
            return Err(not_echo(&server, &message, echo));
        }
        match outcome {
            Ok(Ok(())) if got == message.len() => {}
            // Closed before the whole echo came back.
            Ok(Ok(())) => return Err(echo_cut_short(&server, got, &message, echoed_any)),
            Ok(Err(e)) if is_closed_by_peer(&e) => {
                return Err(echo_cut_short(&server, got, &message, echoed_any));
            }
            Ok(Err(e)) => return Err(NetError::io(format!("reading from {server}"), e)),
            Err(_) => {
                let came = if got > 0 {
                    format!(" ({got} of the {} bytes sent came back)", message.len())
                } else {
                    String::new()
                };
                return Err(NetError::TimedOut {
                    what: format!("waiting for the echo from {server}{came}"),
                    after: options.timeout,
                });
            }
        }
        echoed_any = true;
        print_bytes(with_round_trip(echo, started.elapsed()).as_bytes()).await?;
    }
    let _ = stream.shutdown().await;
    Ok(())
}

/// The server did something while the client waited for the keyboard, and
/// so owed it nothing: `read` tells what.
fn server_spoke_unasked(
    read: std::io::Result<usize>,
    buf: &[u8],
    server: &str,
    echoed_any: bool,
    opened: Opened,
) -> Result<(), NetError> {
    match read {
        Ok(n) if n > 0 => Err(NetError::protocol(format!(
            "the server at {server} sent {} without being asked: an echo server only \
             sends back what it receives, so it does not speak {SERVICE}: a time or \
             a chat server, for one, speaks first. Is it the right port?",
            show_bytes(&buf[..n])
        ))),
        Err(e) if !is_closed_by_peer(&e) => Err(NetError::io(format!("reading from {server}"), e)),
        // Closed (or reset) before the first line was even sent, right
        // after connecting: most likely a full server, which turns away
        // whoever comes beyond its --max-clients.
        _ if !echoed_any && opened.closed_right_away() => Err(closed_without_answer(server)),
        // Closed later, while the student was thinking: the server stopped,
        // or timed out the idle connection. Every line sent (if any) came
        // back: nothing is lost, the conversation is over.
        _ => {
            note(
                "The server closed the connection: it was stopped, or it closes \
                 connections idle for too long (its --idle-timeout).",
            );
            Ok(())
        }
    }
}

/// The server closed the connection after echoing `got` bytes of `message`.
fn echo_cut_short(server: &str, got: usize, message: &[u8], echoed_any: bool) -> NetError {
    if got == 0 && !echoed_any {
        return closed_without_answer(server);
    }
    NetError::protocol(format!(
        "the server at {server} closed the connection after sending back {got} of the {} \
         bytes of this line: the rest of the echo is lost. Was the server stopped (Ctrl-C), \
         or did it reach one of its limits, such as --idle-timeout?",
        message.len()
    ))
}
