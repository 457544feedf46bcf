//! # A client initiates: connecting to the server
//!
//! **Course idea:** the client starts the conversation. It knows the
//! server's address and port; [`connect_tcp`] tries each address the name
//! gives, within the time-out, and explains a failure (refused: no server
//! listens there; silence: a machine off, or a firewall).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::resolve;
use crate::error::{CONNECTING, NetError, join_host_port};

/// How long a client that has its whole answer (the 4 bytes of RFC 868,
/// every byte of an echo) waits for the server's close, or for bytes that
/// would show the answer is longer than it should be, before it closes
/// first. A server that closes as soon as it has answered is not waited for
/// at all; one that waits for the client to close (RFC 868 and RFC 862 both
/// allow it) costs this much, not a whole time-out.
pub const AFTER_THE_ANSWER: Duration = Duration::from_millis(200);

/// Connects to a TCP server, trying each address the host name resolves to,
/// and gives up after `timeout`.
pub async fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, NetError> {
    let target = join_host_port(host.trim_start_matches('[').trim_end_matches(']'), port);
    let deadline = Instant::now() + timeout;
    match tokio::time::timeout_at(deadline, resolve(host, port)).await {
        Ok(addrs) => connect_any(&addrs?, &target, deadline, timeout).await,
        Err(_) => Err(timed_out(&target, timeout)),
    }
}

/// Connects to the first of `addrs` that accepts, before `deadline` (at
/// `timeout` after the start, for the message).
async fn connect_any(
    addrs: &[SocketAddr],
    target: &str,
    deadline: Instant,
    timeout: Duration,
) -> Result<TcpStream, NetError> {
    let mut last_error = None;
    for (i, addr) in addrs.iter().enumerate() {
        // Each address left gets an equal share of the time left: a first
        // address that never answers (IPv6 broken somewhere on the way, say)
        // must not use up the time of the others.
        let left = deadline.saturating_duration_since(Instant::now());
        let share = left / u32::try_from(addrs.len() - i).unwrap_or(u32::MAX);
        match tokio::time::timeout(share, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                // Our protocols exchange small messages: send each at
                // once instead of waiting to fill a packet (Nagle).
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last_error = Some(NetError::from_connect(e, target)),
            Err(_) => last_error = Some(timed_out(target, timeout)),
        }
    }
    Err(last_error.unwrap_or_else(|| timed_out(target, timeout)))
}

fn timed_out(target: &str, after: Duration) -> NetError {
    NetError::TimedOut {
        what: format!("{CONNECTING}{target}"),
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::bind_tcp;
    use tokio::net::TcpSocket;

    #[tokio::test]
    async fn connecting_to_a_closed_port_is_refused() {
        // Take a free port, then close it: nobody listens there any more.
        let port = bind_tcp("127.0.0.1", 0)
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = connect_tcp("127.0.0.1", port, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(matches!(err, NetError::ConnectionRefused { .. }), "{err:?}");
    }

    /// A name that resolves to an address that never answers, then to one
    /// that does (broken IPv6 before working IPv4): the second still gets
    /// its turn before the time-out.
    #[tokio::test]
    async fn an_address_that_never_answers_leaves_time_for_the_next() {
        // A listener that never accepts, its one-place queue filled: Linux
        // then drops further SYNs, so connecting to it hangs, as to a
        // machine that is not there.
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let silent = socket.listen(1).unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        let mut queued = Vec::new();
        for _ in 0..8 {
            let attempt = TcpStream::connect(("127.0.0.1", silent_port));
            match tokio::time::timeout(Duration::from_millis(300), attempt).await {
                Ok(Ok(stream)) => queued.push(stream),
                _ => break,
            }
        }
        let hangs = tokio::time::timeout(
            Duration::from_millis(300),
            TcpStream::connect(("127.0.0.1", silent_port)),
        )
        .await
        .is_err();
        if !hangs {
            eprintln!("this system does not drop SYNs to a full queue: nothing to test");
            return;
        }
        let working = bind_tcp("::1", 0).await.unwrap();
        let port = working.local_addr().unwrap().port();
        // The silent IPv4 listener stands for the broken first address; the
        // host name "localhost" is not used, its order varies between systems.
        let addrs = [
            SocketAddr::from(([127, 0, 0, 1], silent_port)),
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
        ];
        let started = tokio::time::Instant::now();
        let limit = Duration::from_secs(4);
        let stream = connect_any(&addrs, "test", Instant::now() + limit, limit).await;
        assert!(stream.is_ok(), "{:?}", stream.err());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        drop(queued);
    }

    #[tokio::test]
    async fn ipv6_loopback_works_with_and_without_brackets() {
        let listener = bind_tcp("::1", 0).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        connect_tcp("[::1]", port, Duration::from_secs(2))
            .await
            .unwrap();
    }
}
