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

use crate::common::{Progress, connect, within};
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

/// The byte at position `i` of connection `conn`'s stream.
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
    let give_up = params.duration + params.drain_timeout;
    let mut tasks = Vec::new();
    for (n, stream) in streams.into_iter().enumerate() {
        let (mut reader, mut writer) = stream.into_split();
        let offset = n * 17 % PERIOD;
        let (pattern_w, pattern_r, received) = (pattern.clone(), pattern.clone(), received.clone());
        let max_bytes = params.max_bytes;
        let write = tokio::spawn(async move {
            let mut sent: u64 = 0;
            while Instant::now() < stop_writing && sent < max_bytes {
                let at = (offset + sent as usize) % PERIOD;
                let len = CHUNK.min((max_bytes - sent) as usize);
                let n = writer.write(&pattern_w[at..at + len]).await?;
                sent += n as u64;
            }
            writer.shutdown().await?; // half-close: "I have nothing more to send"
            Ok::<u64, std::io::Error>(sent)
        });
        let read = tokio::spawn(async move {
            let mut buf = vec![0u8; CHUNK];
            let mut got: u64 = 0;
            loop {
                let n = reader.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<(u64, Instant), std::io::Error>((got, Instant::now()));
                }
                let at = (offset + got as usize) % PERIOD;
                if buf[..n] != pattern_r[at..at + n] {
                    let bad = (0..n).find(|&i| buf[i] != pattern_r[at + i]).unwrap_or(0);
                    return Err(std::io::Error::other(format!(
                        "byte {} of the echo differs from what was sent",
                        got + bad as u64
                    )));
                }
                got += n as u64;
                received.fetch_add(n as u64, Ordering::Relaxed);
            }
        });
        tasks.push((n, write, read));
    }

    let mut total: u64 = 0;
    let mut last = start;
    for (n, write, read) in tasks {
        let remaining = give_up.saturating_sub(start.elapsed());
        let what = format!(
            "connection {n}'s echo ({} bytes came back so far: a server that stops echoing, \
             e.g. socat without -b 4096 under several bulk connections)",
            received.load(Ordering::Relaxed)
        );
        let sent = within(remaining, what.clone(), write)
            .await?
            .map_err(|e| NetError::protocol(format!("connection {n}: {e}")))?
            .map_err(|e| NetError::io(format!("writing on connection {n}"), e))?;
        let remaining = give_up.saturating_sub(start.elapsed());
        let (got, end) = within(remaining, what, read)
            .await?
            .map_err(|e| NetError::protocol(format!("connection {n}: {e}")))?
            .map_err(|e| NetError::io(format!("reading the echo on connection {n}"), e))?;
        if got != sent {
            return Err(NetError::protocol(format!(
                "connection {n}: {sent} bytes sent but {got} came back before the server closed"
            )));
        }
        total += got;
        last = last.max(end);
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
