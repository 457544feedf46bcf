//! # `--udp`: one datagram per line
//!
//! UDP has no connection and no guarantee: a datagram, or its echo, may be
//! lost, and nothing says so. So the client waits for each echo with a
//! time-out, sends again a bounded number of times (`--retries`), and
//! recognises the late echo of an earlier datagram for what it is.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use codec::echo::{MAX_UDP_PAYLOAD, UDP_RECV_BUFFER};
use netkit::NetError;
use netkit::error::{group_thousands, join_host_port};
use netkit::logging::note;
use netkit::net::{UdpServer, is_udp_refusal};
use netkit::trace::Tap;
use tracing::{debug, info, warn};

use super::{Options, not_echo, print_bytes, print_wrong_reply, show_duration, with_round_trip};

/// `echo-client --udp some text`: one datagram, its echo, the round trip.
pub(super) async fn one_shot_udp(options: &Options, text: &str) -> Result<(), NetError> {
    let mut target = open_udp(options).await?;
    let datagram = format!("{text}\n");
    let (reply, took) = udp_round_trip(
        &mut target,
        options,
        datagram.as_bytes(),
        &mut VecDeque::new(),
    )
    .await?;
    info!("round trip: {}", show_duration(took));
    print_bytes(&reply).await
}

/// A socket aimed at the server; the log says which port the OS gave us.
async fn open_udp(options: &Options) -> Result<UdpServer, NetError> {
    let target = UdpServer::open(&options.host, options.port).await?;
    if let Ok(local) = target.socket().local_addr() {
        info!(
            "sending UDP datagrams to {} from {local}",
            join_host_port(&options.host, options.port)
        );
    }
    Ok(target)
}

/// How many earlier datagrams are remembered, to recognise their late echoes.
const REMEMBERED: usize = 8;

// A line longer than stdin::MAX_LINE arrives in pieces; each piece is then
// itself longer than a datagram can be, so the size check below refuses
// it instead of sending a long line cut in several datagrams.
const _: () = assert!(netkit::stdin::MAX_LINE > MAX_UDP_PAYLOAD);

/// Sends one datagram and waits for its echo, resending after each time-out.
///
/// An ICMP "port unreachable" before anything came back (nothing listens
/// at that address; UDP has no connection to refuse) moves on to the next
/// address of the server's name, if it has one: a `localhost` that is ::1
/// first, with a server on 127.0.0.1 only.
///
/// `earlier` holds the last datagrams sent before this one: a reply equal to
/// one of them is a late echo (it came after its time-out, or is the second
/// echo of a resent datagram), not an answer to this one. Any other reply
/// means the server does not speak echo: it is shown, and is an error.
pub async fn udp_round_trip(
    target: &mut UdpServer,
    options: &Options,
    datagram: &[u8],
    earlier: &mut VecDeque<Vec<u8>>,
) -> Result<(Vec<u8>, Duration), NetError> {
    let server = join_host_port(&options.host, options.port);
    if datagram.len() > MAX_UDP_PAYLOAD {
        let most = group_thousands(MAX_UDP_PAYLOAD);
        return Err(NetError::protocol(format!(
            "a line longer than {most} bytes does not fit in one UDP datagram \
             (at most {most} bytes over IPv4). Send it over TCP (without --udp), \
             which carries a stream of any length, or split it into shorter lines."
        )));
    }
    let mut tap = Tap::datagrams(target.addr(), options.trace, None);
    // Room for any datagram (IPv6 allows more than IPv4): a longer reply cut
    // to our size could look like the echo.
    let mut buf = vec![0u8; UDP_RECV_BUFFER];
    // Whatever already waits in the socket answers an *earlier* datagram (a
    // reply that came after its time-out, or the second reply to a resent
    // one). Taking it as the answer to this one would shift every line by one.
    while let Ok(n) = target.socket().try_recv(&mut buf) {
        tap.received(&buf[..n]);
        debug!("ignored a late reply of {n} bytes to an earlier datagram");
    }
    // Wider than `--retries`: a library caller may pass u32::MAX.
    let mut attempt: u64 = 0;
    'attempts: while attempt <= u64::from(options.retries) {
        if attempt > 0 {
            warn!(
                "no answer from {server} yet: sending again ({attempt}/{})",
                options.retries
            );
        }
        attempt += 1;
        let started = Instant::now();
        if let Err(e) = target.socket().send(datagram).await {
            // Before any echo, an address that cannot be sent to (IPv6
            // switched off?) gives way to the name's next one.
            if earlier.is_empty() && target.next_address(&e).await?.is_some() {
                tap = Tap::datagrams(target.addr(), options.trace, None);
                attempt -= 1;
                continue 'attempts;
            }
            return Err(NetError::udp_io(format!("sending to {server}"), e));
        }
        tap.sent(datagram);
        let deadline = tokio::time::Instant::now() + options.timeout;
        loop {
            match tokio::time::timeout_at(deadline, target.socket().recv(&mut buf)).await {
                Ok(Ok(n)) => {
                    tap.received(&buf[..n]);
                    let reply = &buf[..n];
                    if reply == datagram {
                        let took = started.elapsed();
                        if earlier.len() == REMEMBERED {
                            earlier.pop_front();
                        }
                        earlier.push_back(datagram.to_vec());
                        return Ok((reply.to_vec(), took));
                    }
                    if earlier.iter().any(|sent| sent == reply) {
                        debug!("ignored a late echo of an earlier datagram ({n} bytes)");
                        continue;
                    }
                    // An answer, but to nothing we sent: the server speaks
                    // another protocol. Show what it said, then say so.
                    print_wrong_reply(reply).await?;
                    return Err(not_echo(&server, datagram, reply));
                }
                // Nothing listens at this address. Before any echo, the
                // name's next address is tried, and that send is no retry.
                Ok(Err(e)) if is_udp_refusal(&e) && earlier.is_empty() => {
                    if target.next_address(&e).await?.is_none() {
                        return Err(NetError::udp_io(
                            format!("waiting for a reply from {server}"),
                            e,
                        ));
                    }
                    tap = Tap::datagrams(target.addr(), options.trace, None);
                    attempt -= 1;
                    continue 'attempts;
                }
                Ok(Err(e)) => {
                    return Err(NetError::udp_io(
                        format!("waiting for a reply from {server}"),
                        e,
                    ));
                }
                Err(_) => break,
            }
        }
    }
    let tries = match options.retries.saturating_add(1) {
        1 => "1 try".to_string(),
        n => format!("{n} tries"),
    };
    Err(NetError::TimedOut {
        what: format!("waiting for a UDP reply from {server} ({tries})"),
        after: options.timeout,
    })
}

/// `--udp` without text: every input line is one datagram, sent exactly as
/// it came (any bytes, its own line ending).
pub(super) async fn lines_udp(options: &Options, interactive: bool) -> Result<(), NetError> {
    let mut target = open_udp(options).await?;
    if interactive {
        note("Type a line and press Enter: it goes in one datagram. Ctrl-D to finish.");
    }
    let mut lines = netkit::stdin::byte_lines();
    let mut earlier = VecDeque::new();
    while let Some(line) = lines.recv().await {
        let line = line.map_err(|e| NetError::io("reading standard input", e))?;
        let (reply, took) = udp_round_trip(&mut target, options, &line, &mut earlier).await?;
        if interactive {
            // As over TCP: the echo, and how long its trip took.
            print_bytes(with_round_trip(&reply, took).as_bytes()).await?;
        } else {
            info!("round trip: {}", show_duration(took));
            print_bytes(&reply).await?;
        }
    }
    Ok(())
}
