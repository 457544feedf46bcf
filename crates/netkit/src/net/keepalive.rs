//! # Noticing a peer whose machine has gone
//!
//! A machine that leaves the network (cable pulled, Wi-Fi lost, laptop
//! closed) says nothing: its connections look open for ever. TCP keepalive
//! ([`watch_peer`]) makes the system probe a quiet connection; on Linux,
//! `TCP_USER_TIMEOUT` ([`watch_server`], for clients) bounds a busy one.

use std::time::Duration;

use tokio::net::TcpStream;
use tracing::warn;

use crate::error::describe_io;

/// Probes sent, `KEEPALIVE_INTERVAL` apart, before a silent peer is given up.
const KEEPALIVE_PROBES: u32 = 3;

/// Time between two keepalive probes.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// Makes the OS notice a peer whose machine has gone from the network
/// (cable pulled, Wi-Fi lost, laptop closed), which says nothing: on a quiet
/// connection, it would otherwise look open for ever. After `idle` without
/// traffic, the OS sends *keepalive* probes (empty segments that a live
/// peer acknowledges, even one that is not reading): after 3 unanswered,
/// 10 s apart, the connection fails and the next read says so.
///
/// (A busy connection to a vanished peer is another matter: what is sent
/// stays unacknowledged, and the server's own write time-out ends it once
/// the socket's buffer is full. `TCP_USER_TIMEOUT` would end it sooner,
/// but Linux also applies it to a live peer that only paused reading, which
/// chat/1 promises not to cut off. A client can use it: see
/// [`watch_server`].)
///
/// `idle` is whole seconds from 1 to 32,767 (what the systems accept); a
/// system that refuses the option gets a warning, and its own default.
pub fn watch_peer(stream: &TcpStream, idle: Duration) {
    let socket = socket2::SockRef::from(stream);
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(idle)
        .with_interval(KEEPALIVE_INTERVAL);
    // The number of probes too, on every system: left to itself, Windows
    // sends 10, and gives up after 100 s instead of 30. A system that
    // refuses only that number (a Windows 10 older than version 1703) keeps
    // its own, rather than losing keepalive altogether.
    let set = socket
        .set_tcp_keepalive(&keepalive.clone().with_retries(KEEPALIVE_PROBES))
        .or_else(|_| socket.set_tcp_keepalive(&keepalive));
    if let Err(e) = set {
        warn!(
            "TCP keepalive not set ({}): if the other machine leaves the network, \
             this connection may stay open",
            describe_io(&e)
        );
    }
}

/// How long after the last sign of life [`watch_peer`]'s keepalive gives up
/// on a silent peer: `idle`, then the probes, 10 s apart. (With an `idle`
/// below 10 s, up to 10 s more: once a first probe has gone, Linux probes
/// even a live connection only once an interval, 10 s.)
pub fn keepalive_gives_up_after(idle: Duration) -> Duration {
    // `watch_peer` sets the number of probes on Linux, macOS and Windows
    // alike; the figure is used on Linux (see `watch_server`).
    idle + KEEPALIVE_PROBES * KEEPALIVE_INTERVAL
}

/// [`watch_peer`] for a **client**, and a bound on a busy connection too.
///
/// Keepalive only probes a quiet connection. When the user has just sent
/// something and the server's machine has gone, the data stays
/// unacknowledged, and the OS resends it for about 15 minutes (Linux's
/// `tcp_retries2`) before it gives up: all that time the program looks
/// alive. On Linux, `TCP_USER_TIMEOUT` bounds it: the connection fails once
/// data has waited that long for its acknowledgement. It is set to
/// [`keepalive_gives_up_after`]`(idle)`, so that an idle and a busy
/// connection to a vanished server fail after the same time (Linux also
/// lets it decide when keepalive gives up: set to that same time, it
/// changes nothing there).
///
/// Only for a peer that never stops reading for that long while it is alive.
/// Linux applies the limit to a peer whose receive window stays closed
/// (zero-window probing), even though that peer acknowledges every probe.
/// A server that stops reading a client for a while (it does not read
/// further until the client reads its answers: backpressure) would cut the
/// client; that is why servers do not use this, only [`watch_peer`].
///
/// Elsewhere (macOS, Windows) only keepalive is set; the system's own
/// retransmission limit ends a busy connection.
pub fn watch_server(stream: &TcpStream, idle: Duration) {
    watch_peer(stream, idle);
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    if let Err(e) =
        socket2::SockRef::from(stream).set_tcp_user_timeout(Some(keepalive_gives_up_after(idle)))
    {
        warn!(
            "TCP_USER_TIMEOUT not set ({}): if the server's machine leaves the network \
             while data is on its way, this may take about 15 minutes to notice",
            describe_io(&e)
        );
    }
}

/// A `--keepalive` value: whole seconds from 1 to 32,767, the range every
/// system accepts for the keepalive time.
pub fn parse_keepalive(text: &str) -> Result<Duration, String> {
    crate::args::number_in::<u64>(text, 1, 32_767).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// The options `watch_peer` asks for are the ones the socket then has.
    #[tokio::test]
    async fn a_watched_peer_has_keepalive() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        watch_peer(&server, Duration::from_secs(42));
        let socket = socket2::SockRef::from(&server);
        assert!(socket.keepalive().unwrap());
        #[cfg(target_os = "linux")]
        {
            assert_eq!(
                socket.tcp_keepalive_time().unwrap(),
                Duration::from_secs(42)
            );
            assert_eq!(socket.tcp_keepalive_interval().unwrap(), KEEPALIVE_INTERVAL);
            // No limit on unacknowledged data: a paused reader stays.
            assert_eq!(socket.tcp_user_timeout().unwrap(), None);
        }
        // The same number of probes everywhere, Windows included (its own
        // would be 10: a vanished peer noticed 70 s later than documented).
        #[cfg(any(target_os = "linux", target_os = "macos", windows))]
        assert_eq!(socket.tcp_keepalive_retries().unwrap(), KEEPALIVE_PROBES);
        for bad in ["0", "0.5", "32768", "-1"] {
            assert!(parse_keepalive(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_keepalive("30"), Ok(Duration::from_secs(30)));
        drop(client);
    }

    /// A client's socket gets keepalive, and on Linux a limit on
    /// unacknowledged data that ends a busy connection when keepalive would
    /// end an idle one.
    #[tokio::test]
    async fn a_watched_server_has_keepalive_and_a_user_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        watch_server(&client, Duration::from_secs(7));
        let socket = socket2::SockRef::from(&client);
        assert!(socket.keepalive().unwrap());
        assert_eq!(
            keepalive_gives_up_after(Duration::from_secs(7)),
            Duration::from_secs(37)
        );
        #[cfg(target_os = "linux")]
        {
            assert_eq!(socket.tcp_keepalive_time().unwrap(), Duration::from_secs(7));
            assert_eq!(
                socket.tcp_user_timeout().unwrap(),
                Some(Duration::from_secs(37))
            );
        }
        #[cfg(any(target_os = "linux", target_os = "macos", windows))]
        assert_eq!(socket.tcp_keepalive_retries().unwrap(), KEEPALIVE_PROBES);
        drop(listener);
    }
}
