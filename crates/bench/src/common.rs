//! # What every benchmark shares: loopback only, bounded, visible
//!
//! - [`loopback`] resolves the target and refuses anything that is not this
//!   machine: a load tool aimed at someone else's server is an attack.
//! - [`raise_fd_limit`] lifts the open-files limit to its maximum, because
//!   every connection is a file descriptor and the usual soft limit (1024)
//!   is far below the suite's 10,000 idle connections; [`room_for`] refuses
//!   a run that would still not fit, before its first connection.
//! - [`connect`] connects with a time-out, [`Progress`] prints one line per
//!   second on long runs so that nobody wonders whether the tool hung.
//! - [`all_or_first_error`] runs one task per connection and ends the run
//!   at the first failure, whichever connection it is on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use netkit::NetError;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// Resolves `host:port` and checks that every address is a loopback one
/// (127.0.0.0/8 or ::1, also when 127.x.y.z is written as IPv6,
/// `::ffff:127.0.0.1`). A name that also resolves elsewhere is refused.
pub async fn loopback(host: &str, port: u16) -> Result<SocketAddr, NetError> {
    let addrs = netkit::net::resolve(host, port).await?;
    match addrs.iter().find(|a| !a.ip().to_canonical().is_loopback()) {
        Some(other) => {
            let which = if host == other.ip().to_string() {
                host.to_string()
            } else {
                format!("{host} ({})", other.ip())
            };
            Err(NetError::usage(format!(
                "netlab-bench only measures servers on this machine: {which} is not a loopback \
                 address; use 127.0.0.1 or ::1 (load aimed at another machine is an attack)"
            )))
        }
        None => Ok(addrs[0]),
    }
}

/// The most memory the message buffers of one run may take: a mistyped
/// `--connections` or `--size` must be refused in plain words, not end in
/// the system killing the tool (or its neighbours) for want of memory.
pub const MAX_BUFFERS: u64 = 1 << 30;

/// Refuses (a usage mistake) a run whose buffers, `connections` ×
/// `per_connection` bytes, would take more than [`MAX_BUFFERS`]; `lower`
/// names the flags to lower.
pub fn check_buffers(
    connections: usize,
    per_connection: usize,
    lower: &str,
) -> Result<(), NetError> {
    let total = (connections as u64).saturating_mul(per_connection as u64);
    if total > MAX_BUFFERS {
        return Err(NetError::usage(format!(
            "{connections} connections × {per_connection} bytes of buffers = {} MiB of memory, \
             more than {} MiB: lower {lower}",
            total >> 20,
            MAX_BUFFERS >> 20
        )));
    }
    Ok(())
}

/// Raises the soft limit on open files to the hard limit; returns the new
/// soft limit. Without it, the `idle` benchmark would stop at 1024
/// connections with "too many open files".
pub fn raise_fd_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        #[cfg(unix)]
        Err(_) => rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(0, |(soft, _)| soft),
        // Windows has no such limit on sockets (and never fails here).
        #[cfg(not(unix))]
        Err(_) => 0,
    }
}

/// Open files the tool needs besides its connections: stdin/stdout/stderr,
/// the runtime's own descriptors, the `/proc` files read during a run.
const SPARE_FILES: u64 = 64;

/// Makes sure `connections` sockets can be open at once, before the first
/// one is: raises the soft limit on open files as far as the hard limit
/// allows ([`raise_fd_limit`]) and, if even that is too low, refuses the
/// run in plain words, naming `flag` (the flag that asked for them) and
/// the fix. Every connection is an open file: without this check such a
/// run failed halfway, with a bare "too many open files", after it had
/// already loaded the server.
pub fn room_for(connections: usize, flag: &str) -> Result<(), NetError> {
    let limit = raise_fd_limit();
    let needed = (connections as u64).saturating_add(SPARE_FILES);
    // 0: the system would not tell (or has no such limit): let the run try.
    if limit == 0 || needed <= limit {
        return Ok(());
    }
    Err(NetError::usage(format!(
        "{flag} {connections} needs {connections} connections open at once, each one an open \
         file, but this process may open only {limit} files: raise the limit in the shell \
         first (ulimit -n {needed}; if that is refused, the hard limit too, as root: \
         ulimit -Hn, or LimitNOFILE= for a service) or lower {flag}"
    )))
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

/// Prints `label: 3 s of 10 s, 123456 <unit>` on stderr once a second on
/// long runs, so that nobody wonders whether the tool hung.
///
/// A run is long when it is *planned* to last [`Progress::MIN_RUN`] or more,
/// or when it turns out to: a chat burst is planned to last no time at all,
/// yet a thousand clients take seconds to join, and a server that stalls
/// makes any run wait for its time-out. Silence then would look like a hang.
pub struct Progress {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Runs shorter than this print nothing.
    pub const MIN_RUN: Duration = Duration::from_secs(3);

    /// Starts reporting `counter` (unless `quiet`).
    pub fn start(
        label: &str,
        planned: Duration,
        counter: Arc<AtomicU64>,
        unit: &'static str,
        quiet: bool,
    ) -> Progress {
        if quiet {
            return Progress { task: None };
        }
        let label = label.to_string();
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                let elapsed = start.elapsed();
                if let Some(line) = progress_line(&label, elapsed, planned) {
                    netkit::logging::note(&format!(
                        "{line}, {} {unit}",
                        counter.load(Ordering::Relaxed)
                    ));
                }
            }
        });
        Progress { task: Some(task) }
    }
}

/// The start of the progress line after `elapsed`, or `None` while a run
/// that was planned short is still short.
fn progress_line(label: &str, elapsed: Duration, planned: Duration) -> Option<String> {
    let (e, p) = (elapsed.as_secs_f64(), planned.as_secs_f64());
    if planned >= Progress::MIN_RUN && elapsed <= planned {
        Some(format!("{label}: {e:.0} s of {p:.0} s"))
    } else if elapsed >= Progress::MIN_RUN {
        // Past the plan (or with none): the rest is waiting for the server,
        // bounded by a time-out, and the line says so.
        Some(format!("{label}: {e:.0} s (waiting for the server)"))
    } else {
        None
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Runs every future of `tasks` as a task of its own, and returns their
/// results in the order given, or the first error, as soon as it happens.
/// `what` names one task in the message of a task that panicked.
///
/// Waiting for each task in turn hid an early failure: a server that
/// broke the third connection was only reported once the first two had
/// run for the whole `--duration`. Here the tasks are watched as a whole
/// ([`JoinSet::join_next`] gives whichever ends first), and the error
/// ends the others at once: dropping a `JoinSet` aborts every task still
/// in it, at its next `.await`. (A task merely left behind by a
/// `JoinHandle` would go on loading the server after the run had failed.)
pub async fn all_or_first_error<T, F>(
    tasks: impl IntoIterator<Item = F>,
    what: &str,
) -> Result<Vec<T>, NetError>
where
    F: Future<Output = Result<T, NetError>> + Send + 'static,
    T: Send + 'static,
{
    let mut set = JoinSet::new();
    for (index, task) in tasks.into_iter().enumerate() {
        set.spawn(async move { (index, task.await) });
    }
    let mut results: Vec<Option<T>> = std::iter::repeat_with(|| None).take(set.len()).collect();
    while let Some(joined) = set.join_next().await {
        let (index, result) =
            joined.map_err(|e| NetError::protocol(format!("{what} failed: {e}")))?;
        results[index] = Some(result?);
    }
    Ok(results.into_iter().flatten().collect())
}

/// Runs `step` or fails after `limit`. `what` names what was awaited, e.g.
/// "the echo of message 3": the error reads "time-out while waiting for
/// the echo of message 3 […]".
pub async fn within<T>(
    limit: Duration,
    what: impl Into<String>,
    step: impl Future<Output = T>,
) -> Result<T, NetError> {
    tokio::time::timeout(limit, step)
        .await
        .map_err(|_| NetError::TimedOut {
            what: format!("waiting for {}", what.into()),
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
    async fn ipv4_loopback_written_as_ipv6_is_loopback() {
        // An IPv6 socket reaches 127.0.0.1 as ::ffff:127.0.0.1: the old
        // check called it "not a loopback address".
        assert!(loopback("::ffff:127.0.0.1", 7).await.is_ok());
        assert!(loopback("::ffff:127.1.2.3", 7).await.is_ok());
    }

    #[tokio::test]
    async fn other_addresses_are_refused_in_plain_words() {
        for host in [
            "192.0.2.1",
            "0.0.0.0",
            "2001:db8::1",
            "::",
            // Another machine written as IPv6 (IPv4-mapped, the deprecated
            // IPv4-compatible form, a link-local address).
            "::ffff:192.0.2.1",
            "::127.0.0.1",
            "fe80::1",
        ] {
            let err = loopback(host, 7).await.unwrap_err().to_string();
            assert!(err.contains("not a loopback address"), "{host}: {err}");
        }
    }

    #[test]
    fn long_runs_show_progress_even_when_planned_short() {
        let s = Duration::from_secs;
        assert_eq!(progress_line("x", s(1), s(10)).unwrap(), "x: 1 s of 10 s");
        assert_eq!(progress_line("x", s(1), s(1)), None);
        // A burst (planned 0 s) or a stalled server: still a line at 3 s.
        assert!(progress_line("x", s(3), Duration::ZERO).is_some());
        assert!(
            progress_line("x", s(12), s(10))
                .unwrap()
                .contains("waiting")
        );
    }

    #[tokio::test]
    async fn time_outs_say_what_was_awaited() {
        let never = std::future::pending::<()>();
        let err = within(Duration::from_millis(10), "the echo", never)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("time-out while waiting for the echo"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn the_first_error_ends_the_other_tasks_at_once() {
        // A task that would run for an hour, one that fails at once.
        let finished = Arc::new(AtomicU64::new(0));
        let dropped = Arc::new(AtomicU64::new(0));
        struct Count(Arc<AtomicU64>);
        impl Drop for Count {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let (f, d) = (finished.clone(), dropped.clone());
        let long = async move {
            let _dropped = Count(d);
            tokio::time::sleep(Duration::from_secs(3600)).await;
            f.fetch_add(1, Ordering::SeqCst);
            Ok(1)
        };
        let failing = async { Err(NetError::protocol("connection 1 broke")) };
        let tasks: Vec<std::pin::Pin<Box<dyn Future<Output = _> + Send>>> =
            vec![Box::pin(long), Box::pin(failing)];
        let result = tokio::time::timeout(
            Duration::from_secs(60),
            all_or_first_error::<u32, _>(tasks, "a task"),
        )
        .await
        .expect("the error ended the wait");
        assert_eq!(result.unwrap_err().to_string(), "connection 1 broke");
        // Aborted, not left running: dropped (bounded wait) and never done.
        for _ in 0..500 {
            if dropped.load(Ordering::SeqCst) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
        assert_eq!(finished.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn results_keep_the_order_of_the_tasks() {
        // The slowest first: results in task order, not in finishing order.
        let tasks = (0..4u64).map(|i| async move {
            tokio::time::sleep(Duration::from_millis(40 - 10 * i)).await;
            Ok(i)
        });
        assert_eq!(
            all_or_first_error(tasks, "a task").await.unwrap(),
            [0, 1, 2, 3]
        );
    }

    #[test]
    fn buffers_are_bounded() {
        assert!(check_buffers(8, 64 * 1024, "--connections").is_ok());
        assert!(check_buffers(16_384, 64 * 1024, "--connections").is_ok());
        let err = check_buffers(16_385, 64 * 1024, "--connections").unwrap_err();
        assert!(matches!(err, NetError::Usage { .. }), "{err}");
        assert!(err.to_string().contains("lower --connections"), "{err}");
        assert!(check_buffers(usize::MAX, usize::MAX, "x").is_err());
    }

    #[test]
    fn the_fd_limit_can_be_raised() {
        assert!(raise_fd_limit() >= 1024);
    }

    #[test]
    fn runs_beyond_the_fd_limit_are_refused_with_the_fix() {
        assert!(room_for(10, "--workers").is_ok());
        // More connections than any process may open (limit at most u64::MAX).
        let err = room_for(usize::MAX, "--workers").unwrap_err();
        assert!(matches!(err, NetError::Usage { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("ulimit -n") && text.contains("lower --workers"),
            "{text}"
        );
    }
}
