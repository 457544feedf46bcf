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

use clap::Parser;
use netkit::NetError;
use netkit::args::{Verbosity, parse_timeout};
use tools::ports::{Query, Verdict, check, describe, parse_query, table};

/// Explains port numbers: their range (well-known, registered, dynamic) and
/// the service usually found there. "1 service = 1 port".
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Port numbers (3306) or service names (ssh). None: list every known service.
    #[arg(value_name = "PORT_OR_NAME")]
    queries: Vec<String>,

    /// Say whether something listens on HOST PORT (one TCP connection attempt).
    #[arg(long, num_args = 2, value_names = ["HOST", "PORT"], conflicts_with = "queries")]
    check: Option<Vec<String>>,

    /// With --check: give up after this many seconds without an answer.
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_timeout)]
    timeout: Duration,

    #[command(flatten)]
    verbosity: Verbosity,
}

fn main() -> ExitCode {
    let args = Args::parse();
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
        let (verdict, text) = check(host, port, args.timeout).await?;
        say(&format!("{text}\n"));
        LISTENING.store(verdict == Verdict::Listening, Ordering::Relaxed);
        Ok(())
    });
    if code == ExitCode::SUCCESS && !LISTENING.load(Ordering::Relaxed) {
        ExitCode::FAILURE
    } else {
        code
    }
}

fn explain(queries: &[String]) -> ExitCode {
    if queries.is_empty() {
        say(&table());
        return ExitCode::SUCCESS;
    }
    let mut code = ExitCode::SUCCESS;
    for query in queries {
        match parse_query(query) {
            Ok(query) => say(&format!("{}\n", describe(query))),
            Err(e) => {
                netkit::logging::note(&format!("error: {e}"));
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}

/// Writes to standard output. Not print!, which panics when nobody reads the
/// output any more (`ports | true`): then there is simply nobody to tell.
fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
