//! `ports`: what a port number means, and whether something listens on it.
//!
//! ```text
//! ports 3306        # 3306: registered port (1024–49151) — usually MySQL / MariaDB (mysql, tcp)
//! ports ssh         # ssh: port 22 (tcp) — well-known port (0–1023) — SSH, secure remote shell
//! ports             # every service the course mentions, by range
//! ports --check 127.0.0.1 8080
//! ```

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{CommandFactory, Parser};
use netkit::NetError;
use netkit::args::{Verbosity, parse_timeout};
use tools::ports::{Query, Verdict, check, describe, parse_query, table};

/// Explains port numbers: their range (well-known, registered, dynamic) and
/// the service usually found there. "1 service = 1 port".
#[derive(Debug, Parser)]
#[command(name = "ports", version, allow_negative_numbers = true)]
struct Args {
    /// Port numbers (3306) or service names (ssh). None: list every known service.
    #[arg(value_name = "PORT_OR_NAME")]
    queries: Vec<String>,

    /// Say whether something listens on HOST PORT (one TCP connection attempt).
    #[arg(long, num_args = 2, value_names = ["HOST", "PORT"], conflicts_with = "queries")]
    check: Option<Vec<String>>,

    /// With --check: give up after this many seconds without an answer [default: 2].
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    timeout: Option<Duration>,

    #[command(flatten)]
    verbosity: Verbosity,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.timeout.is_some() && args.check.is_none() {
        // Checked here: clap's `requires` gives way to `conflicts_with`.
        Args::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "--timeout only bounds a --check HOST PORT: without --check nothing connects",
            )
            .exit();
    }
    let Some(target) = args.check else {
        return explain(&args.queries);
    };
    // Exit code 0 only when something listens, so scripts can use it.
    static LISTENING: AtomicBool = AtomicBool::new(false);
    let code = netkit::run(args.verbosity, async move {
        let (host, port) = (&target[0], &target[1]);
        let port = match parse_query(port).map_err(NetError::usage)? {
            Query::Port(port) => port,
            Query::Service(service) => service.port,
        };
        let timeout = args.timeout.unwrap_or(Duration::from_secs(2));
        let (verdict, text) = check(host, port, timeout).await?;
        // The verdict is the exit status, even if nobody reads the text.
        LISTENING.store(verdict == Verdict::Listening, Ordering::Relaxed);
        say(&format!("{text}\n"))
    });
    if code == ExitCode::SUCCESS && !LISTENING.load(Ordering::Relaxed) {
        ExitCode::FAILURE
    } else {
        code
    }
}

/// Without --check: explains each query, or lists every service. A port or
/// name that means nothing is a usage mistake (exit code 2, as clap's own).
fn explain(queries: &[String]) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    let mut out = Ok(());
    if queries.is_empty() {
        out = say(&table());
    }
    for query in queries {
        match parse_query(query) {
            Ok(query) => out = out.and_then(|()| say(&format!("{}\n", describe(query)))),
            Err(e) => {
                netkit::logging::note(&format!("error: {e}"));
                code = ExitCode::from(2);
            }
        }
    }
    match out {
        Ok(()) => code,
        // Nobody reads any more (`ports | head -1`): nothing is wrong.
        Err(e) if e.is_closed_output() => code,
        Err(e) => {
            netkit::logging::note(&format!("error: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// Writes to standard output (see [`netkit::run::print`]): a reader that
/// has gone is told apart by [`NetError::is_closed_output`].
fn say(text: &str) -> Result<(), NetError> {
    netkit::run::print(text)
}
