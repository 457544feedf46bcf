//! # The `main` of every binary
//!
//! Every netlab binary does the same three things: start logging, run its
//! async work on a tokio runtime, and turn a failure into one plain-words line
//! on stderr and exit code 1 (never a panic, never a bare OS error). Usage
//! mistakes exit with 2: clap catches most of them before we start (it prints
//! the error and a usage line), [`NetError::Usage`] the few it cannot see
//! (two services given the same port, say). A program that Ctrl-C stops
//! without a goodbye to finish ([`NetError::Interrupted`]) exits with 130.

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use crate::args::{ServerArgs, Verbosity};
use crate::error::NetError;
use crate::logging;

/// Writes `text` to standard output and flushes it. Not `print!`, which
/// panics when the reader has gone (`| head -3`): that case becomes
/// [`NetError::output`], which [`run`] ends quietly with; a real failure (a
/// full disk) stays an error.
pub fn print(text: &str) -> Result<(), NetError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(NetError::output)
}

/// Runs `main` on a new tokio runtime and returns the process exit code.
///
/// ```no_run
/// # use netkit::args::Verbosity;
/// fn main() -> std::process::ExitCode {
///     netkit::run(Verbosity::default(), async { Ok(()) })
/// }
/// ```
pub fn run<F>(verbosity: Verbosity, main: F) -> ExitCode
where
    F: Future<Output = Result<(), NetError>>,
{
    run_on(verbosity, None, main)
}

/// [`run`] on `threads` threads (`None`: one per CPU core; `Some(0)`, which
/// would run nothing, is a failure to start).
pub fn run_on<F>(verbosity: Verbosity, threads: Option<usize>, main: F) -> ExitCode
where
    F: Future<Output = Result<(), NetError>>,
{
    logging::init(verbosity);
    conclude(execute(threads, main))
}

/// [`run_on`] for a server, with what its shared flags ([`ServerArgs`]) ask
/// for: `--threads`, `-v`/`-q`. Its log is written by a thread of its own
/// ([`logging::init_off_thread`]), through a queue of `--log-queue` lines:
/// a server must go on serving its clients when nothing reads its log. With
/// `--trace` no line is ever left out.
pub fn serve<F>(server: &ServerArgs, main: F) -> ExitCode
where
    F: Future<Output = Result<(), NetError>>,
{
    let log = logging::init_off_thread(server.verbosity, server.trace, server.log_queue);
    let (code, error) = verdict(execute(server.threads, main));
    // Through the log: the error line comes after everything logged.
    log.finish(error);
    code
}

/// Runs `main` on a new runtime; `Err` if the runtime cannot even start.
fn execute<F>(threads: Option<usize>, main: F) -> Result<Result<(), NetError>, std::io::Error>
where
    F: Future<Output = Result<(), NetError>>,
{
    // One thread: everything (accept loop and every client's task) runs on
    // the thread that called us, with no hand-offs between threads. It is
    // the cheapest choice when the work per client is small or the machine
    // has its cores busy elsewhere (a load tool beside the server, say).
    let runtime = match threads {
        // tokio would panic: say it as any other failure to start.
        Some(0) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "0 threads would run nothing",
        )),
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    }?;
    let result = runtime.block_on(main);
    // Do not wait for stray background work (a DNS lookup, a blocked read).
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(result)
}

/// The exit code, and the one line that explains a failure.
fn conclude(outcome: Result<Result<(), NetError>, std::io::Error>) -> ExitCode {
    let (code, error) = verdict(outcome);
    if let Some(error) = error {
        // Not eprintln!: it panics when stderr is a closed pipe
        // (`server 2>&1 | head -1`), and the exit status says enough.
        let _ = writeln!(std::io::stderr(), "{error}");
    }
    code
}

/// The exit code of an outcome, and the line that explains a failure.
fn verdict(outcome: Result<Result<(), NetError>, std::io::Error>) -> (ExitCode, Option<String>) {
    match outcome {
        Ok(Ok(())) => (ExitCode::SUCCESS, None),
        Err(e) => (
            ExitCode::FAILURE,
            Some(format!("error: cannot start the async runtime: {e}")),
        ),
        // `client | head -1`: the reader has what it wanted.
        Ok(Err(e)) if e.is_closed_output() => (ExitCode::SUCCESS, None),
        // Ctrl-C: the user knows why the program stopped; the status tells
        // a script, as it would had the signal ended the program.
        Ok(Err(NetError::Interrupted)) => (ExitCode::from(130), None),
        Ok(Err(e)) => {
            let code = match e {
                NetError::Usage { .. } => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            };
            (code, Some(format!("error: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_threads_is_a_failure_to_start_not_a_panic() {
        let outcome = execute(Some(0), async { Ok(()) });
        assert!(outcome.is_err(), "{outcome:?}");
        let (_, line) = verdict(outcome);
        let line = line.expect("an error line");
        assert!(line.contains("0 threads"), "{line}");
        assert!(execute(Some(1), async { Ok(()) }).is_ok());
    }
}
