//! # Logs on stderr, output on stdout
//!
//! A server's log is how a student *sees* it work: which client connected
//! (address and its ephemeral port), what it sent with `--trace`, when it left.
//! Logs go to **stderr** so that a client's real output (stdout) can be piped
//! into a file or another program without log lines mixed in.
//!
//! Each line starts with the local wall-clock time, to the millisecond, so two
//! terminals side by side can be compared. `RUST_LOG` (e.g. `RUST_LOG=debug`)
//! overrides `-v` / `-q`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

use crate::args::Verbosity;
use crate::log_thread::LogThread;
pub use crate::log_thread::WAITING_LINES;

/// Writes a line for the person at the keyboard on stderr, outside the log
/// (a prompt, a hint). Not `eprintln!`, which panics when stderr is a closed
/// pipe (`client 2>&-`, or `2>&1 | head -1` after head has ended): a hint
/// nobody can read is simply dropped.
pub fn note(line: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(line.as_bytes());
    let _ = stderr.write_all(b"\n");
}

/// "1 datagram", "0 datagrams", "3 log lines": a count as a sentence says
/// it, the noun singular for exactly one. Every count in a line goes through
/// here, so that no log says "1 connections" nor "connection(s)".
pub fn count(n: u64, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// "1 client", "2 clients": a count of clients as a log line says it.
pub fn clients(n: usize) -> String {
    count(n as u64, "client", "clients")
}

/// A log line that may repeat thousands of times a second (connections
/// pouring into a full server): the first is written, then at most one a
/// second, saying how many were left out. A flood must not become a flood
/// of log lines, yet the log must still tell it happened.
#[derive(Debug, Default)]
pub struct OncePerSecond {
    last: Option<Instant>,
    left_out: u64,
}

impl OncePerSecond {
    /// Nothing logged yet.
    pub const fn new() -> OncePerSecond {
        OncePerSecond {
            last: None,
            left_out: 0,
        }
    }

    /// `Some(text)` when a line may be written at `now`: `text` is what to
    /// add to it about the ones left out since the last line ("" if none).
    /// `None`: leave this one out (it is counted).
    pub fn due(&mut self, now: Instant) -> Option<String> {
        if self
            .last
            .is_some_and(|last| now.saturating_duration_since(last) < Duration::from_secs(1))
        {
            self.left_out += 1;
            return None;
        }
        self.last = Some(now);
        let note = match std::mem::take(&mut self.left_out) {
            0 => String::new(),
            n => format!(" (and {n} more since the last such line, not logged one by one)"),
        };
        Some(note)
    }

    /// At the end (the server stops): the count still untold, if any, so
    /// that the log tells every occurrence.
    pub fn untold(&mut self) -> Option<String> {
        match std::mem::take(&mut self.left_out) {
            0 => None,
            n => Some(format!(
                "{n} more since the last such line, not logged one by one"
            )),
        }
    }
}

/// Prints `HH:MM:SS.mmm` in the local time zone.
struct WallClock;

impl FormatTime for WallClock {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        write!(w, "{}", jiff::ZonedDateTime::now().strftime("%H:%M:%S%.3f"))
    }
}

/// The log level chosen by `-v` / `-q`.
pub fn level(verbosity: Verbosity) -> &'static str {
    match (verbosity.verbose, verbosity.quiet) {
        (0, 0) => "info",
        (1, _) => "debug",
        (v, _) if v >= 2 => "trace",
        (_, 1) => "warn",
        _ => "error",
    }
}

/// The target of a server's `listening on …` line ([`crate::net::announce`]).
pub const LISTENING: &str = "listening";

/// What is logged: [`level`] for everything, but two kinds of lines always:
/// `--trace`'s (the [`crate::trace`] module, silent unless `--trace` was
/// given), so that `--trace -q` shows the bytes and nothing else, not
/// nothing at all; and a server's `listening on …` line, the only place
/// where the port `--port 0` got can be read.
pub fn directives(verbosity: Verbosity) -> String {
    let level = level(verbosity);
    match level {
        "warn" | "error" => format!("{level},netkit::trace=info,{LISTENING}=info"),
        _ => level.to_string(),
    }
}

/// Starts logging to stderr. Call once, at the start of `main`.
/// A second call (as in tests that run several servers) is harmless.
///
/// Each line is written when it is logged: a client's log and its prompts
/// ([`note`]) stay in order. Servers use [`init_off_thread`] instead.
pub fn init(verbosity: Verbosity) {
    subscribe(verbosity, std::io::stderr);
}

/// Starts logging to stderr from a thread of its own, for a server: one
/// that logs never waits for stderr (see [`crate::log_thread`]). Up to
/// `waiting_lines` lines wait (`--log-queue`, [`WAITING_LINES`] by
/// default); past that they are left out, and [`ServerLog::finish`] says
/// how many. Unless `every_line` (`--trace`): then a server whose log is
/// that far behind waits for it.
pub fn init_off_thread(verbosity: Verbosity, every_line: bool, waiting_lines: usize) -> ServerLog {
    match LogThread::start(every_line, waiting_lines) {
        Some(thread) => {
            subscribe(verbosity, thread.writer());
            ServerLog(Some(thread))
        }
        // No thread to be had: the log is written as a client's is.
        None => {
            init(verbosity);
            ServerLog(None)
        }
    }
}

/// A server's log (see [`init_off_thread`]), to finish at the end.
#[derive(Debug)]
#[must_use = "finish it at the end, so that the last lines are written"]
pub struct ServerLog(Option<LogThread>);

impl ServerLog {
    /// At the end: waits, a bounded time, for the log to be written, then
    /// writes `error` (the program's failure, if any) and, when lines were
    /// lost, how many. Both go through the log, so they come last; a
    /// reader too far behind to take them is not waited for either.
    pub fn finish(self, error: Option<String>) {
        let Some(thread) = self.0 else {
            if let Some(error) = error {
                note(&error);
            }
            return;
        };
        thread.finish(|lost| {
            let mut last = Vec::new();
            if lost > 0 {
                last.push(format!(
                    "{} left out: nothing was reading this log (stderr) fast \
                     enough, so the server went on without waiting for it (a paused terminal \
                     or `| less`?)",
                    count(lost as u64, "log line", "log lines")
                ));
            }
            last.extend(error);
            last
        });
    }
}

fn subscribe<W>(verbosity: Verbosity, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives(verbosity)));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_timer(WallClock)
        // A log nobody reads any more (`server 2>&1 | grep GET`, and grep
        // was stopped first) must not stop the server: by default a failed
        // log write is reported with `eprintln!`, which panics on that same
        // broken stderr, in whichever task was logging (Ctrl-C's included).
        .log_internal_errors(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_is_singular() {
        assert_eq!(count(1, "log line", "log lines"), "1 log line");
        assert_eq!(count(0, "datagram", "datagrams"), "0 datagrams");
        assert_eq!(count(2, "connection", "connections"), "2 connections");
        assert_eq!(clients(0), "0 clients");
        assert_eq!(clients(1), "1 client");
        assert_eq!(clients(1000), "1000 clients");
    }

    #[test]
    fn a_repeated_line_is_logged_once_a_second_with_a_count() {
        let mut refusals = OncePerSecond::new();
        let t0 = Instant::now();
        assert_eq!(refusals.due(t0).as_deref(), Some(""));
        for i in 1..=500u64 {
            assert_eq!(refusals.due(t0 + Duration::from_micros(i)), None);
        }
        let note = refusals
            .due(t0 + Duration::from_secs(1))
            .expect("a second later");
        assert!(note.contains("500 more"), "{note}");
        assert_eq!(
            refusals.due(t0 + Duration::from_secs(3)).as_deref(),
            Some("")
        );
        assert_eq!(refusals.untold(), None);
        refusals.due(t0 + Duration::from_secs(3));
        assert!(refusals.untold().expect("one untold").starts_with("1 more"));
    }

    #[test]
    fn verbosity_maps_to_levels() {
        let v = |verbose, quiet| level(Verbosity { verbose, quiet });
        assert_eq!(v(0, 0), "info");
        assert_eq!(v(1, 0), "debug");
        assert_eq!(v(3, 0), "trace");
        assert_eq!(v(0, 1), "warn");
        assert_eq!(v(0, 2), "error");
        let d = |verbose, quiet| directives(Verbosity { verbose, quiet });
        assert_eq!(d(0, 0), "info");
        assert_eq!(d(0, 1), "warn,netkit::trace=info,listening=info");
        assert_eq!(d(0, 2), "error,netkit::trace=info,listening=info");
    }
}
