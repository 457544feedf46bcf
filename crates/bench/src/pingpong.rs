//! # echo-pingpong: how long one question takes to come back
//!
//! Each of N connections sends a small message, waits for all of it to come
//! back, checks it, and sends the next: one *round trip* at a time, which is
//! what an interactive user feels. The figures are round trips per second,
//! all connections together, and the latency of each round trip as
//! percentiles (p50, p90, p99, max).
//!
//! A server that lets small writes wait to fill a packet (Nagle's algorithm,
//! no `TCP_NODELAY`) or that serves clients one after the other shows up
//! here at once, in p99.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use netkit::NetError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{Progress, all_or_first_error, check_buffers, connect, room_for, within};
use crate::report::Report;
use crate::stats::Latencies;

/// What to run.
#[derive(Debug, Clone)]
pub struct Params {
    /// Parallel connections.
    pub connections: usize,
    /// Bytes per message.
    pub size: usize,
    /// How long to run.
    pub duration: Duration,
    /// At most this many round trips per connection (the count bound).
    pub max_round_trips: u64,
    /// Longest wait for one echo before the run fails.
    pub timeout: Duration,
    /// No progress line.
    pub quiet: bool,
}

/// Runs the benchmark against `addr`.
pub async fn run(addr: SocketAddr, params: &Params) -> Result<Report, NetError> {
    // A message and its echo, per connection.
    check_buffers(
        params.connections,
        params.size.max(1).saturating_mul(2),
        "--connections or --size",
    )?;
    room_for(params.connections, "--connections")?;
    let done = Arc::new(AtomicU64::new(0));
    let _progress = Progress::start(
        "echo-pingpong",
        params.duration,
        done.clone(),
        "round trips",
        params.quiet,
    );
    let mut streams = Vec::with_capacity(params.connections);
    for _ in 0..params.connections {
        streams.push(connect(addr, Duration::from_secs(5)).await?);
    }
    let start = Instant::now();
    let stop = start + params.duration;
    let mut tasks = Vec::new();
    for (n, mut stream) in streams.into_iter().enumerate() {
        let (done, size, max, timeout) = (
            done.clone(),
            params.size.max(1),
            params.max_round_trips,
            params.timeout,
        );
        tasks.push(async move {
            let mut latencies = Latencies::new();
            let mut message = vec![0u8; size];
            let mut reply = vec![0u8; size];
            let mut count: u64 = 0;
            // At least one round trip, however short the duration: a run
            // that verified nothing would report a server it never reached.
            while count < max && (count == 0 || Instant::now() < stop) {
                // Every message differs (connection and sequence number), so an
                // old or misrouted echo cannot pass for the right one.
                for (i, b) in message.iter_mut().enumerate() {
                    *b = (n as u64 * 31 + count * 7 + i as u64) as u8;
                }
                let sent_at = Instant::now();
                let round_trip = async {
                    stream.write_all(&message).await?;
                    stream.read_exact(&mut reply).await?;
                    Ok::<(), std::io::Error>(())
                };
                within(
                    timeout,
                    format!("the echo of message {count} on connection {n}"),
                    round_trip,
                )
                .await?
                .map_err(|e| NetError::io(format!("round trip {count} on connection {n}"), e))?;
                latencies.record(sent_at.elapsed());
                if reply != message {
                    return Err(NetError::protocol(format!(
                        "connection {n}: the echo of message {count} differs from what was sent"
                    )));
                }
                count += 1;
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<Latencies, NetError>(latencies)
        });
    }
    // The first connection to fail ends the run, and the others with it.
    let mut all = Latencies::new();
    for latencies in all_or_first_error(tasks, "a connection task").await? {
        all.merge(&latencies);
    }
    let seconds = start.elapsed().as_secs_f64();
    let total = all.count();
    let s = all.summary();
    let mut report = Report::new("echo-pingpong", addr);
    report
        .param("connections", params.connections)
        .param("size", params.size)
        .param("duration_s", params.duration.as_secs_f64())
        .metric("round_trips_per_s", total as f64 / seconds, "round trips/s")
        .metric("round_trips", total as f64, "round trips, all verified")
        .metric("p50_ms", s.p50_ms, "ms")
        .metric("p90_ms", s.p90_ms, "ms")
        .metric("p99_ms", s.p99_ms, "ms")
        .metric("max_ms", s.max_ms, "ms");
    Ok(report)
}
