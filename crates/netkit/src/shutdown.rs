//! # Stopping a server cleanly
//!
//! A server runs permanently — until someone stops it. Pressing Ctrl-C (or a
//! `kill`, which sends SIGTERM) should not cut clients off in the middle of a
//! message: the server stops accepting new clients, lets the live ones finish
//! for a short, bounded *grace period*, and exits with code 0.
//!
//! The signal is turned into a [`CancellationToken`]: server functions take one
//! as their "shutdown signal", so tests can stop an in-process server by
//! cancelling it, exactly as Ctrl-C does for the real program.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::logging::count;

/// A token cancelled on the first Ctrl-C or SIGTERM.
/// A second Ctrl-C exits at once, for the impatient.
/// Must be called from inside a tokio runtime.
///
/// The signals are caught from the moment this returns, not from when the
/// task below first runs, which may be later: a Ctrl-C in between would
/// end the process at once, without the clean shutdown. Call it before
/// saying the server listens, so that a Ctrl-C right after that line is
/// always a clean one.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    let mut signals = Signals::catch();
    tokio::spawn(async move {
        let which = signals.next().await;
        info!("{which} received: shutting down (press Ctrl-C again to quit at once)");
        trigger.cancel();
        let _ = signals.next().await;
        warn!("second signal: quitting now");
        // A server's log is written by its own thread: a moment for it to
        // write the lines above, then the exit that does not wait.
        crate::log_thread::drain(Duration::from_millis(300));
        std::process::exit(130);
    });
    token
}

/// Ctrl-C (SIGINT) and SIGTERM, caught from creation on.
#[cfg(unix)]
struct Signals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl Signals {
    /// Installs the handlers now (tokio's `signal` does, when called).
    fn catch() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    /// The next signal's name.
    async fn next(&mut self) -> &'static str {
        async fn one(signal: &mut Option<tokio::signal::unix::Signal>) {
            let received = match signal {
                Some(signal) => signal.recv().await.is_some(),
                None => false,
            };
            if !received {
                // Not caught, or no more to come: never.
                std::future::pending::<()>().await;
            }
        }
        tokio::select! {
            () = one(&mut self.interrupt) => "Ctrl-C",
            () = one(&mut self.terminate) => "SIGTERM",
        }
    }
}

/// Ctrl-C, elsewhere.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn catch() -> Signals {
        Signals
    }

    async fn next(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Waits for the tasks in `tracker` to end, at most `grace`; then cancels
/// `force_close`, which every connection task watches, and waits a moment more
/// for them to close their sockets. Returns how many tasks had to be forced.
pub async fn drain(
    tracker: &TaskTracker,
    grace: Duration,
    force_close: &CancellationToken,
) -> usize {
    tracker.close();
    if tracker.is_empty() {
        return 0;
    }
    // Counted here are connections, not clients: one that already said
    // goodbye may still be waiting a moment for its peer to close.
    info!(
        "waiting up to {:.1} s for {} to close",
        grace.as_secs_f64(),
        connections(tracker.len())
    );
    if tokio::time::timeout(grace, tracker.wait()).await.is_ok() {
        return 0;
    }
    let left = tracker.len();
    warn!(
        "{} still open after the grace period: closing {}",
        connections(left),
        if left == 1 { "it" } else { "them" }
    );
    force_close.cancel();
    // Forced tasks only have to drop their sockets: this is quick.
    let _ = tokio::time::timeout(Duration::from_secs(1), tracker.wait()).await;
    left
}

/// "1 connection", "2 connections".
fn connections(n: usize) -> String {
    count(n as u64, "connection", "connections")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Paused time: the task's sleep and the grace period are ordered by
    // their lengths alone, not by how busy the machine is.
    #[tokio::test(start_paused = true)]
    async fn drain_waits_for_quick_tasks() {
        let tracker = TaskTracker::new();
        let force = CancellationToken::new();
        tracker.spawn(tokio::time::sleep(Duration::from_millis(20)));
        assert_eq!(drain(&tracker, Duration::from_secs(2), &force).await, 0);
        assert!(!force.is_cancelled());
    }

    // Paused time: the task's sleep and the grace period are ordered by
    // their lengths alone, not by how busy the machine is.
    #[tokio::test(start_paused = true)]
    async fn drain_gives_up_after_the_grace_period() {
        let tracker = TaskTracker::new();
        let force = CancellationToken::new();
        let watched = force.clone();
        tracker.spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                _ = watched.cancelled() => {}
            }
        });
        let started = tokio::time::Instant::now();
        assert_eq!(drain(&tracker, Duration::from_millis(50), &force).await, 1);
        assert!(force.is_cancelled());
        assert!(tracker.is_empty(), "the forced task has ended");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn the_log_counts_one_connection_in_the_singular() {
        // A runtime on this thread, so that the log capture (this thread's)
        // sees what `drain` logs; paused time, as above.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let lines = crate::test_log::logged(|| {
            runtime.block_on(async {
                let tracker = TaskTracker::new();
                let force = CancellationToken::new();
                let watched = force.clone();
                tracker.spawn(async move { watched.cancelled().await });
                assert_eq!(drain(&tracker, Duration::from_millis(50), &force).await, 1);
            })
        });
        assert_eq!(
            lines,
            [
                "waiting up to 0.1 s for 1 connection to close",
                "1 connection still open after the grace period: closing it",
            ]
        );
    }
}
