//! # One-shot mode: `echo-client some text`
//!
//! The shortest client/server conversation: connect, send one line,
//! half-close ("that is all I will send"), read the echo back, and say how
//! long the round trip took. The echo must be exactly the line sent.

use std::time::Instant;

use netkit::NetError;
use netkit::error::{describe_io, is_closed_by_peer};
use netkit::net::AFTER_THE_ANSWER;
use netkit::trace::show_at_most;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::{debug, info};

use super::{
    Options, QUOTED, SERVICE, closed_without_answer, connect, not_echo, print_bytes,
    print_wrong_reply, show_duration,
};

/// `echo-client some text`: send, half-close, read everything back.
pub(super) async fn one_shot_tcp(options: &Options, text: &str) -> Result<(), NetError> {
    let (mut stream, server, _) = connect(options).await?;
    let message = format!("{text}\n");
    let started = Instant::now();
    let sending = async {
        stream.write_all(message.as_bytes()).await?;
        // Half-close: "that is all", so the server closes once it has echoed.
        stream.shutdown().await
    };
    // A server that already closed the connection (a full one does so at
    // once) makes sending fail: reading below tells what, if anything, it said.
    if let Err(e) = sending.await {
        if !is_closed_by_peer(&e) {
            return Err(NetError::io(format!("sending to {server}"), e));
        }
        debug!("sending to {server} failed: {}", describe_io(&e));
    }
    // Read until the server closes, or until the whole echo is back and
    // nothing follows for a moment (RFC 862 says nothing of closing: a server
    // may wait for our full close), but never more than a little over what
    // we sent: a server that talks forever must not fill our memory.
    // One byte past `most` is read, and dropped: it tells a reply of
    // exactly `most` bytes from a longer one, whose length we never learn.
    let mut reply = Vec::new();
    let most = message.len() + 64 * 1024;
    let mut echoed_at = None;
    let after_the_echo = AFTER_THE_ANSWER.min(options.timeout);
    let reading = async {
        let mut buf = vec![0u8; 16 * 1024];
        while reply.len() <= most {
            let room = buf.len().min(most + 1 - reply.len());
            let read = stream.read(&mut buf[..room]);
            let n = if reply.len() >= message.len() {
                match tokio::time::timeout(after_the_echo, read).await {
                    Ok(n) => n?,
                    Err(_) => break, // all of it, then silence: the echo is complete
                }
            } else {
                read.await?
            };
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buf[..n]);
            if reply.len() >= message.len() && echoed_at.is_none() {
                echoed_at = Some(Instant::now());
            }
        }
        Ok::<(), std::io::Error>(())
    };
    match tokio::time::timeout(options.timeout, reading).await {
        Ok(Ok(())) => {}
        // A reset ends the reply like a close: what came is judged below.
        Ok(Err(e)) if is_closed_by_peer(&e) => {
            debug!("reading from {server}: {}", describe_io(&e));
        }
        Ok(Err(e)) => return Err(NetError::io(format!("reading from {server}"), e)),
        // The whole echo came, then the time ran out during the moment of
        // silence that follows it: the echo is complete all the same.
        Err(_) if reply == message.as_bytes() => {}
        Err(_) if message.as_bytes().starts_with(&reply) => {
            return Err(NetError::TimedOut {
                what: if reply.is_empty() {
                    format!("waiting for the echo from {server}")
                } else {
                    format!(
                        "waiting for the rest of the echo from {server} ({} of {} bytes came back)",
                        reply.len(),
                        message.len()
                    )
                },
                after: options.timeout,
            });
        }
        // Something else came, and then nothing: judged below.
        Err(_) => {}
    }
    if reply.is_empty() {
        return Err(closed_without_answer(&server));
    }
    // The round trip ends with the echo's last byte, not with the close.
    let elapsed = echoed_at.unwrap_or_else(Instant::now) - started;
    let cut = reply.len() > most;
    reply.truncate(most);
    if reply != message.as_bytes() {
        print_wrong_reply(&reply).await?;
        if cut {
            return Err(talks_on(&server, message.as_bytes(), &reply));
        }
        return Err(not_echo(&server, message.as_bytes(), &reply));
    }
    print_bytes(&reply).await?;
    info!("round trip: {}", show_duration(elapsed));
    Ok(())
}

/// The error for a server that sent far more than the echo (`reply` is
/// only the start of it, where reading stopped): its length is unknown, so
/// it says "more than", never the count of the bytes read as if it were all.
fn talks_on(server: &str, sent: &[u8], reply: &[u8]) -> NetError {
    let start = &reply[..reply.len().min(QUOTED)];
    NetError::protocol(format!(
        "sent {} but received more than {} bytes, starting with {}…: the server at \
         {server} does not speak {SERVICE}. Is it the right port?",
        show_at_most(sent, QUOTED),
        netkit::error::group_thousands(reply.len()),
        show_at_most(start, QUOTED),
    ))
}
