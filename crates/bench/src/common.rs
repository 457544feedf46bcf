//! # What every benchmark shares: loopback only, bounded, visible
//!
//! - [`loopback`] resolves the target and refuses anything that is not this
//!   machine: a load tool aimed at someone else's server is an attack.
//! - [`raise_fd_limit`] lifts the open-files limit to its maximum, because
//!   every connection is a file descriptor and the usual soft limit (1024)
//!   is far below the suite's 10,000 idle connections.
//! - [`connect`] connects with a time-out, [`Progress`] prints one line per
//!   second on long runs so that nobody wonders whether the tool hung.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use netkit::NetError;
use tokio::net::TcpStream;

/// Resolves `host:port` and checks that every address is a loopback one
/// (127.0.0.0/8 or ::1).
pub async fn loopback(host: &str, port: u16) -> Result<SocketAddr, NetError> {
    let addrs = netkit::net::resolve(host, port).await?;
    match addrs.iter().find(|a| !a.ip().is_loopback()) {
        Some(other) => {
            let which = if host == other.ip().to_string() {
                host.to_string()
            } else {
                format!("{host} ({})", other.ip())
            };
            Err(NetError::protocol(format!(
                "netlab-bench only measures servers on this machine: {which} is not a loopback \
                 address; use 127.0.0.1 or ::1 (load aimed at another machine is an attack)"
            )))
        }
        None => Ok(addrs[0]),
    }
}

/// Raises the soft limit on open files to the hard limit; returns the new
/// soft limit. Without it, the `idle` benchmark would stop at 1024
/// connections with "too many open files".
pub fn raise_fd_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(_) => rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(0, |(soft, _)| soft),
    }
}

/// Connects to `addr`, giving up after `timeout`, with Nagle's algorithm
/// off: benchmark messages are small and must leave at once.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, NetError> {
    let what = addr.to_string();
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(NetError::from_connect(e, &what)),
        Err(_) => {
            return Err(NetError::TimedOut {
                what: format!("connecting to {what}"),
                after: timeout,
            });
        }
    };
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Prints `label: 3 s of 10 s, 123456 <unit>` on stderr once a second while
/// alive, for runs long enough that silence would be worrying.
pub struct Progress {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Runs shorter than this print nothing.
    pub const MIN_RUN: Duration = Duration::from_secs(3);

    /// Starts reporting `counter` (unless `quiet` or `planned` is short).
    pub fn start(
        label: &str,
        planned: Duration,
        counter: Arc<AtomicU64>,
        unit: &'static str,
        quiet: bool,
    ) -> Progress {
        if quiet || planned < Progress::MIN_RUN {
            return Progress { task: None };
        }
        let label = label.to_string();
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                eprintln!(
                    "{label}: {:.0} s of {:.0} s, {} {unit}",
                    start.elapsed().as_secs_f64(),
                    planned.as_secs_f64(),
                    counter.load(Ordering::Relaxed)
                );
            }
        });
        Progress { task: Some(task) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Runs `step` or fails after `limit`, naming `what` was awaited.
pub async fn within<T>(
    limit: Duration,
    what: impl Into<String>,
    step: impl Future<Output = T>,
) -> Result<T, NetError> {
    tokio::time::timeout(limit, step)
        .await
        .map_err(|_| NetError::TimedOut {
            what: what.into(),
            after: limit,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_addresses_are_accepted() {
        assert!(loopback("127.0.0.1", 7).await.is_ok());
        assert!(loopback("::1", 7).await.is_ok());
        assert!(loopback("localhost", 7).await.is_ok());
    }

    #[tokio::test]
    async fn other_addresses_are_refused_in_plain_words() {
        for host in ["192.0.2.1", "0.0.0.0", "2001:db8::1"] {
            let err = loopback(host, 7).await.unwrap_err().to_string();
            assert!(err.contains("not a loopback address"), "{host}: {err}");
        }
    }

    #[test]
    fn the_fd_limit_can_be_raised() {
        assert!(raise_fd_limit() >= 1024);
    }
}
