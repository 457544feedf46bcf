//! # echo-bulk: how many bytes per second come back, all of them correct
//!
//! Each of N connections has a *writer* and a *reader* running at the same
//! time: the writer streams a known pattern until the deadline, then closes
//! its sending side (a TCP half-close); the reader checks every byte that
//! comes back against the same pattern and stops at the server's close. The
//! figure is echoed (verified) bytes per second, all connections together.
//!
//! Writer and reader must be concurrent: a client that writes everything
//! before reading would fill the server's send buffer, the server would stop
//! reading (backpressure), and both sides would wait for each other forever.
//!
//! The pattern has a period of 251 bytes (a prime): a lost, duplicated or
//! reordered chunk shifts it, and each connection starts at a different
//! offset, so bytes delivered to the wrong connection are caught too.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use netkit::NetError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::common::{Progress, check_buffers, connect, room_for};
use crate::report::Report;

/// The pattern's period, a prime.
const PERIOD: usize = 251;

/// Bytes written (and read) per system call.
pub const CHUNK: usize = 64 * 1024;

/// What to run.
#[derive(Debug, Clone)]
pub struct Params {
    /// Parallel connections.
    pub connections: usize,
    /// How long the writers write.
    pub duration: Duration,
    /// At most this many bytes per connection (the count bound).
    pub max_bytes: u64,
    /// How long the echo may take to come back after the writers stop.
    pub drain_timeout: Duration,
    /// No progress line.
    pub quiet: bool,
}

/// What one half of a connection's work ended with.
enum Half {
    /// Connection `n`'s writer sent `bytes`, then half-closed.
    Sent { n: usize, bytes: u64 },
    /// Connection `n`'s reader verified `bytes`, then saw the server close at `end`.
    Echoed { n: usize, bytes: u64, end: Instant },
}

/// The byte at position `i` of the pattern (connection `n` starts its
/// stream at offset `n × 17`, see [`run`]).
fn pattern_byte(i: usize) -> u8 {
    ((i % PERIOD) * 7 + 3) as u8
}

/// The pattern from offset 0, long enough to slice any chunk out of it at
/// any offset within a period.
fn pattern() -> Vec<u8> {
    (0..CHUNK + PERIOD).map(pattern_byte).collect()
}

/// Runs the benchmark against `addr`.
pub async fn run(addr: SocketAddr, params: &Params) -> Result<Report, NetError> {
    // Each reader's buffer (the writers share the pattern).
    check_buffers(params.connections, CHUNK, "--connections")?;
    room_for(params.connections, "--connections")?;
    let pattern = Arc::new(pattern());
    let received = Arc::new(AtomicU64::new(0));
    let _progress = Progress::start(
        "echo-bulk",
        params.duration,
        received.clone(),
        "bytes echoed",
        params.quiet,
    );
    let mut streams = Vec::with_capacity(params.connections);
    for _ in 0..params.connections {
        streams.push(connect(addr, Duration::from_secs(5)).await?);
    }
    let start = Instant::now();
    let stop_writing = start + params.duration;
    let give_up = start + params.duration + params.drain_timeout;
    // Every writer and reader is one task of this set, and the set is
    // watched as a whole: the first failure ends the run at once, whichever
    // connection it is on. (Waiting for each writer in turn hid a wrong echo
    // behind a time-out: the reader stops at the first wrong byte, the
    // server blocks on an echo nobody reads, stops reading in turn, and the
    // writer waits until the time-out.) Dropping the set stops every task.
    let mut tasks = JoinSet::new();
    for (n, stream) in streams.into_iter().enumerate() {
        let (mut reader, mut writer) = stream.into_split();
        let offset = n * 17 % PERIOD;
        let (pattern_w, pattern_r, received) = (pattern.clone(), pattern.clone(), received.clone());
        let max_bytes = params.max_bytes;
        tasks.spawn(async move {
            let mut sent: u64 = 0;
            // At least one write, however short the duration: a run must
            // have something to verify.
            while sent < max_bytes && (sent == 0 || Instant::now() < stop_writing) {
                let at = (offset + sent as usize) % PERIOD;
                let len = CHUNK.min((max_bytes - sent) as usize);
                let written = writer
                    .write(&pattern_w[at..at + len])
                    .await
                    .map_err(|e| NetError::io(format!("writing on connection {n}"), e))?;
                sent += written as u64;
            }
            // Half-close: "I have nothing more to send".
            writer
                .shutdown()
                .await
                .map_err(|e| NetError::io(format!("closing connection {n}'s sending side"), e))?;
            Ok(Half::Sent { n, bytes: sent })
        });
        tasks.spawn(async move {
            let mut buf = vec![0u8; CHUNK];
            let mut got: u64 = 0;
            loop {
                let read = reader
                    .read(&mut buf)
                    .await
                    .map_err(|e| NetError::io(format!("reading the echo on connection {n}"), e))?;
                if read == 0 {
                    return Ok(Half::Echoed {
                        n,
                        bytes: got,
                        end: Instant::now(),
                    });
                }
                let at = (offset + got as usize) % PERIOD;
                if buf[..read] != pattern_r[at..at + read] {
                    let bad = (0..read)
                        .find(|&i| buf[i] != pattern_r[at + i])
                        .unwrap_or(0);
                    return Err(NetError::protocol(format!(
                        "connection {n}: byte {} of the echo differs from what was sent",
                        got + bad as u64
                    )));
                }
                got += read as u64;
                received.fetch_add(read as u64, Ordering::Relaxed);
            }
        });
    }

    let mut sent = vec![None; params.connections];
    let mut echoed = vec![None; params.connections];
    let mut last = start;
    loop {
        let remaining = give_up.saturating_duration_since(Instant::now());
        let Ok(next) = tokio::time::timeout(remaining, tasks.join_next()).await else {
            let waiting = echoed.iter().filter(|e| e.is_none()).count();
            return Err(NetError::TimedOut {
                what: format!(
                    "waiting for the echo on {waiting} of {} connections ({} bytes came back \
                     verified: a server that stops echoing, e.g. socat without -b 4096 under \
                     several bulk connections)",
                    params.connections,
                    received.load(Ordering::Relaxed)
                ),
                after: give_up.duration_since(start),
            });
        };
        let Some(joined) = next else { break };
        match joined.map_err(|e| NetError::protocol(format!("a connection task failed: {e}")))?? {
            Half::Sent { n, bytes } => sent[n] = Some(bytes),
            Half::Echoed { n, bytes, end } => {
                echoed[n] = Some(bytes);
                last = last.max(end);
            }
        }
    }
    let mut total: u64 = 0;
    for (n, (sent, got)) in sent.into_iter().zip(echoed).enumerate() {
        let (sent, got) = (sent.unwrap_or(0), got.unwrap_or(0));
        if got != sent {
            return Err(NetError::protocol(format!(
                "connection {n}: {sent} bytes sent but {got} came back before the server closed"
            )));
        }
        total += got;
    }
    let seconds = last.duration_since(start).as_secs_f64().max(1e-9);
    let mut report = Report::new("echo-bulk", addr);
    report
        .param("connections", params.connections)
        .param("duration_s", params.duration.as_secs_f64())
        .metric(
            "mb_per_s",
            total as f64 / seconds / 1e6,
            "MB/s echoed (10^6 bytes)",
        )
        .metric("bytes", total as f64, "bytes echoed and verified")
        .metric("seconds", seconds, "s");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_repeats_every_251_bytes_and_not_sooner() {
        let p = pattern();
        assert_eq!(p[..CHUNK], p[PERIOD..PERIOD + CHUNK]);
        for shift in 1..PERIOD {
            assert_ne!(p[..PERIOD], p[shift..shift + PERIOD], "shift {shift}");
        }
    }
}
