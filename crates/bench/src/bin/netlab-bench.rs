//! `netlab-bench`: load tests for netlab's servers and their peers, on this
//! machine only.
//!
//! ```text
//! netlab-bench echo-bulk     [--port 10007] [--connections 1] [--duration 3]
//! netlab-bench echo-pingpong [--port 10007] [--connections 50] [--size 64]
//! netlab-bench connect-rate  --service time|daytime [--port P] [--workers 4]
//! netlab-bench chat-fanout   [--port 10194] [--clients 50] [--senders 5] [--messages 200] [--rate 0] [--mode chat|raw] [--pid PID]
//! netlab-bench idle          [--port P] [--connections 1000] [--pid PID]
//! netlab-bench suite         (ours vs socat, iperf3, xinetd, ncat; writes docs/benchmarks.md)
//! ```
//!
//! Every benchmark prints a table, or one JSON object with `--json`; the
//! suite writes its report instead (`--out`, and every run as JSON with
//! `--raw FILE`), and refuses `--json`, `--host` and `--port`.

use std::process::ExitCode;
use std::time::Duration;

use bench::chat_fanout::{self, Mode};
use bench::connect_rate::{self, Service};
use bench::report::Report;
use bench::{common, echo_bulk, idle, pingpong, suite};
use clap::{Parser, Subcommand};
use netkit::NetError;
use netkit::args::{Verbosity, parse_limit, parse_seconds, parse_threads};

/// Load tests for netlab's servers (and their peers), on loopback only.
#[derive(Parser)]
// `allow_negative_numbers`, here and on every subcommand: `--rate -1` is a
// value to refuse with the flag's own reason, not an unknown flag `-1`.
#[command(version, allow_negative_numbers = true)]
struct Args {
    /// The server's address: 127.0.0.1, ::1 or localhost (nothing else is
    /// allowed) [default: 127.0.0.1]. Not for `suite`: it starts its own servers.
    #[arg(long, global = true)]
    host: Option<String>,

    /// The server's port (default: the netlab port of the service measured).
    /// Not for `suite`: it starts its own servers.
    #[arg(long, global = true, value_parser = netkit::args::parse_server_port)]
    port: Option<u16>,

    /// Print the result as one JSON object instead of a table. Not for
    /// `suite`: it writes its report to --out, and every run as JSON with --raw.
    #[arg(long, global = true)]
    json: bool,

    /// Threads of the load tool itself. 1 (the default) keeps every client
    /// connection on one thread, leaving the other cores to the server.
    /// From 1 to 1024, as a server's `--threads`: tokio would try to start
    /// any number it is given.
    #[arg(long, default_value = "1", value_parser = parse_threads, global = true)]
    threads: usize,

    #[command(flatten)]
    verbosity: Verbosity,

    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Echoed MB/s on N connections, writer and reader at once, every byte verified.
    #[command(allow_negative_numbers = true)]
    EchoBulk {
        /// Parallel connections.
        #[arg(long, default_value = "1", value_parser = parse_limit)]
        connections: usize,
        /// Seconds of writing.
        #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_duration)]
        duration: Duration,
        /// At most this many bytes per connection.
        #[arg(long, default_value_t = 1 << 40, value_parser = parse_count)]
        max_bytes: u64,
    },
    /// Round trips per second and their latency (p50/p90/p99/max).
    #[command(allow_negative_numbers = true)]
    EchoPingpong {
        /// Parallel connections.
        #[arg(long, default_value = "50", value_parser = parse_limit)]
        connections: usize,
        /// Bytes per message.
        #[arg(long, default_value = "64", value_parser = parse_limit)]
        size: usize,
        /// Seconds to run.
        #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_duration)]
        duration: Duration,
        /// At most this many round trips per connection.
        #[arg(long, default_value_t = 100_000_000, value_parser = parse_count)]
        max_round_trips: u64,
    },
    /// Connections per second to a time (RFC 868) or daytime (RFC 867) server, every answer checked.
    #[command(allow_negative_numbers = true)]
    ConnectRate {
        /// The protocol the server speaks.
        #[arg(long, value_enum)]
        service: Service,
        /// Connections in flight at once.
        #[arg(long, default_value = "4", value_parser = parse_limit)]
        workers: usize,
        /// Seconds to run.
        #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_duration)]
        duration: Duration,
        /// At most this many connections per worker.
        #[arg(long, default_value_t = 10_000_000, value_parser = parse_count)]
        max_connections: u64,
    },
    /// Chat lines delivered per second, completeness and delivery latency.
    #[command(allow_negative_numbers = true)]
    ChatFanout {
        /// chat (chat/1, NICK then MSG) or raw (plain lines, for ncat --chat).
        #[arg(long, value_enum, default_value_t = Mode::Chat)]
        mode: Mode,
        /// Clients in the room.
        #[arg(long, default_value = "50", value_parser = parse_limit)]
        clients: usize,
        /// How many of them send.
        #[arg(long, default_value = "5", value_parser = parse_limit)]
        senders: usize,
        /// Messages per sender.
        #[arg(long, default_value = "200", value_parser = parse_limit)]
        messages: usize,
        /// Lines per second per sender (0 = a burst, as fast as possible). Paced, a line's latency counts from when it was due (or when the sender's timer woke), so a server that holds the sender back cannot hide the wait.
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        /// Extra bytes of text per message.
        #[arg(long, default_value_t = 0)]
        size: usize,
        /// Lines per write when several are due (1 = each message in its own write).
        #[arg(long, default_value = "1", value_parser = parse_limit)]
        batch: usize,
        /// Longest wait for setup; and for delivery, after sending was planned to end (at once for a burst).
        #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_duration)]
        timeout: Duration,
        /// The server's process id: its CPU time per delivered line is reported.
        #[arg(long)]
        pid: Option<u32>,
    },
    /// Hold N idle connections; with --pid, the server's memory per connection.
    #[command(allow_negative_numbers = true)]
    Idle {
        /// Connections to hold open.
        #[arg(long, default_value = "1000", value_parser = parse_limit)]
        connections: usize,
        /// Seconds to hold them once all are open.
        #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_seconds)]
        hold: Duration,
        /// Connections being opened at once.
        #[arg(long, default_value = "128", value_parser = parse_limit)]
        concurrency: usize,
        /// The server's process id (its VmRSS is read from /proc).
        #[arg(long)]
        pid: Option<u32>,
    },
    /// Ours against the peers (socat, iperf3, xinetd, ncat), A B A B, and the report.
    #[command(allow_negative_numbers = true)]
    Suite(suite::Options),
}

fn main() -> ExitCode {
    let args = Args::parse();
    // `--threads`, like a server's: the tool must not compete with the
    // server it measures for more cores than it needs.
    netkit::run_on(args.verbosity, Some(args.threads), bench(args))
}

/// Runs the chosen benchmark and prints its report.
async fn bench(args: Args) -> Result<(), NetError> {
    {
        let quiet = args.json || args.verbosity.quiet > 0;
        let fds = common::raise_fd_limit();
        tracing_free_note(fds);
        let host = args.host.as_deref().unwrap_or("127.0.0.1");
        let target = |default: u16| common::loopback(host, args.port.unwrap_or(default));
        let report: Report = match args.bench {
            Bench::EchoBulk {
                connections,
                duration,
                max_bytes,
            } => {
                let params = echo_bulk::Params {
                    connections,
                    duration,
                    max_bytes,
                    drain_timeout: Duration::from_secs(10),
                    quiet,
                };
                echo_bulk::run(target(codec::echo::DEFAULT_PORT).await?, &params).await?
            }
            Bench::EchoPingpong {
                connections,
                size,
                duration,
                max_round_trips,
            } => {
                let params = pingpong::Params {
                    connections,
                    size,
                    duration,
                    max_round_trips,
                    timeout: Duration::from_secs(5),
                    quiet,
                };
                pingpong::run(target(codec::echo::DEFAULT_PORT).await?, &params).await?
            }
            Bench::ConnectRate {
                service,
                workers,
                duration,
                max_connections,
            } => {
                let port = match service {
                    Service::Time => codec::time::DEFAULT_TIME_PORT,
                    Service::Daytime => codec::time::DEFAULT_DAYTIME_PORT,
                };
                let params = connect_rate::Params {
                    service,
                    workers,
                    duration,
                    max_connections,
                    timeout: Duration::from_secs(5),
                    quiet,
                };
                connect_rate::run(target(port).await?, &params).await?
            }
            Bench::ChatFanout {
                mode,
                clients,
                senders,
                messages,
                rate,
                size,
                batch,
                timeout,
                pid,
            } => {
                let params = chat_fanout::Params {
                    mode,
                    clients,
                    senders,
                    messages: messages as u64,
                    rate,
                    size,
                    batch,
                    timeout,
                    pid,
                    quiet,
                };
                chat_fanout::run(target(codec::chat::DEFAULT_PORT).await?, &params).await?
            }
            Bench::Idle {
                connections,
                hold,
                concurrency,
                pid,
            } => {
                let params = idle::Params {
                    connections,
                    hold,
                    pid,
                    concurrency,
                    timeout: Duration::from_secs(10),
                    quiet,
                };
                idle::run(target(codec::echo::DEFAULT_PORT).await?, &params).await?
            }
            Bench::Suite(options) => {
                suite_alone(&args.host, args.port, args.json)?;
                return suite::run(options, args.threads).await;
            }
        };
        let text = if args.json {
            format!("{}\n", report.to_json())
        } else {
            report.to_table()
        };
        netkit::run::print(&text)
    }
}

/// Refuses the flags of a single benchmark that the suite would ignore: it
/// starts its own servers, on its own loopback ports, and writes a report
/// (`--out`) and, with `--raw FILE`, every run as JSON.
fn suite_alone(host: &Option<String>, port: Option<u16>, json: bool) -> Result<(), NetError> {
    let ignored = if json {
        "--json (the suite writes its report to --out, and every run as JSON with --raw FILE)"
    } else if host.is_some() {
        "--host (the suite starts its own servers, on 127.0.0.1)"
    } else if port.is_some() {
        "--port (the suite starts its own servers, on ports above 61000)"
    } else {
        return Ok(());
    };
    Err(NetError::usage(format!(
        "the suite does not take {ignored}"
    )))
}

/// Parses a run's length in seconds, more than 0: a run of 0 s measures
/// nothing, yet reported "0 MB/s" as if the server were that slow.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_seconds(text)?;
    if duration.is_zero() {
        return Err("a run of 0 s would measure nothing: give more than 0".into());
    }
    Ok(duration)
}

/// Parses a count bound (`--max-bytes`, `--max-round-trips`…), at least 1:
/// a bound of 0 would stop the run before it measured anything.
fn parse_count(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("a bound of 0 would stop the run before it starts: give at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a whole number (at least 1)")),
    }
}

/// The open-files limit matters only for big runs; say it when it is low.
fn tracing_free_note(fds: u64) {
    if fds < 4096 {
        netkit::logging::note(&format!(
            "note: this process may open only {fds} files (sockets); big runs need more (ulimit -Hn)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_nothing_are_refused() {
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("1e-12").is_err()); // rounds to 0 ns
        assert!(parse_duration("NaN").is_err());
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_count("0").is_err());
        assert!(parse_count("-3").is_err());
        assert_eq!(parse_count("7"), Ok(7));
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Args::command().debug_assert();
    }
}
