//! # The `main` of every binary
//!
//! Every netlab binary does the same three things: start logging, run its
//! async work on a tokio runtime, and turn a failure into one plain-words line
//! on stderr and exit code 1 (never a panic, never a bare OS error). Usage
//! mistakes are handled earlier by clap, which prints help and exits with 2.

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use crate::args::Verbosity;
use crate::error::NetError;
use crate::logging;

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
    logging::init(verbosity);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(main);
    // Do not wait for stray background work (a DNS lookup, a blocked read).
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
