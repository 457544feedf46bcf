//! # idle: what a connection that does nothing costs the server
//!
//! A class leaves its chat clients open all afternoon. Each open connection
//! costs the server some memory even when nobody types: a task, a socket,
//! buffers. This benchmark opens N connections, sends nothing, waits for the
//! server to settle, and reads the server's resident memory (`VmRSS` in
//! `/proc/PID/status`) before and after: the difference divided by N is the
//! cost of one idle client.
//!
//! At the end every connection is checked to be still open: a server that
//! "saves memory" by dropping clients would otherwise look good.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use netkit::NetError;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::common::{Progress, all_or_first_error, connect, room_for};
use crate::procfs;
use crate::report::Report;

/// What to run.
#[derive(Debug, Clone)]
pub struct Params {
    /// Connections to hold open.
    pub connections: usize,
    /// How long to hold them after the last one is open.
    pub hold: Duration,
    /// The server's process id, for its memory.
    pub pid: Option<u32>,
    /// Connections being opened at once.
    pub concurrency: usize,
    /// Longest wait for one connection.
    pub timeout: Duration,
    /// No progress line.
    pub quiet: bool,
}

/// The most read from one connection by [`still_open`]: a server that
/// never stops sending could otherwise keep it reading forever.
const DRAIN_LIMIT: usize = 1 << 20;

/// Is the connection still open? Reads (and discards) whatever the server
/// sent, such as a greeting, without waiting.
fn still_open(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    let mut drained = 0;
    while drained < DRAIN_LIMIT {
        match stream.try_read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => drained += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
    true // still sending, so still open
}

/// Runs the benchmark against `addr`.
pub async fn run(addr: SocketAddr, params: &Params) -> Result<Report, NetError> {
    room_for(params.connections, "--connections")?;
    if let Some(pid) = params.pid {
        procfs::require(pid)?;
    }
    let before = params.pid.and_then(procfs::rss_kib);
    let opened = Arc::new(AtomicU64::new(0));
    let _progress = Progress::start(
        "idle",
        params.hold + Duration::from_secs(params.connections as u64 / 2000),
        opened.clone(),
        "connections open",
        params.quiet,
    );
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(params.concurrency.max(1)));
    let mut opening = Vec::with_capacity(params.connections);
    for _ in 0..params.connections {
        let (gate, opened, timeout) = (gate.clone(), opened.clone(), params.timeout);
        opening.push(async move {
            let _permit = gate.acquire_owned().await;
            let stream = connect(addr, timeout).await?;
            opened.fetch_add(1, Ordering::Relaxed);
            Ok::<TcpStream, NetError>(stream)
        });
    }
    // The first connection that fails ends the run: the ones still being
    // opened are abandoned, those open are closed.
    let streams = all_or_first_error(opening, "a connecting task").await?;
    let open_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(params.hold).await;
    let after = params.pid.and_then(procfs::rss_kib);
    if let (Some(pid), None) = (params.pid, after) {
        return Err(procfs::exited(pid, "memory"));
    }
    let closed = streams.iter().filter(|s| !still_open(s)).count();
    drop(streams);

    let mut report = Report::new("idle", addr);
    report
        .param("connections", params.connections)
        .param("hold_s", params.hold.as_secs_f64())
        .metric("open_s", open_s, "s to open them all")
        .metric(
            "closed_by_server",
            closed as f64,
            "connections (should be 0)",
        );
    if let (Some(before), Some(after)) = (before, after) {
        let per = (after as f64 - before as f64) / params.connections.max(1) as f64;
        report
            .metric("rss_before_kib", before as f64, "KiB server RSS before")
            .metric(
                "rss_after_kib",
                after as f64,
                "KiB server RSS with them open",
            )
            .metric("kib_per_connection", per, "KiB per idle connection");
    }
    Ok(report)
}
