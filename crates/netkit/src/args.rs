//! # Command-line flags shared by every program
//!
//! Every netlab server accepts `--host`, `--port`, `--trace`, `--grace`,
//! `--threads`, `--log-queue`, `-v` and `-q` ([`ServerArgs`]), and the clients of the paired
//! protocols mirror them ([`ClientArgs`]; `raw-client` and `http-client`, which
//! talk to any server, take its address as arguments instead). The port is
//! declared by each binary (its default is that protocol's well-known port +
//! 10000); the rest is declared here once and included with
//! `#[command(flatten)]`.

use std::time::Duration;

/// The flags of every server.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on. 127.0.0.1 = this machine only;
    /// 0.0.0.0 = every network card (classmates can connect).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// Show every byte sent and received, with the peer's address:port.
    #[arg(long)]
    pub trace: bool,

    /// How long live connections may finish after Ctrl-C, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_seconds)]
    pub grace: Duration,

    /// Threads that run the clients' tasks, 1 to 1024 (default: one per CPU core).
    /// Even 1 serves many clients at once: a task waiting for its client
    /// does not hold the thread.
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,

    /// Log lines kept waiting while nothing reads the log (stderr piped to
    /// a pager left on its first page, say); past that, new lines are left
    /// out and counted, so the server never waits for its log. With --trace
    /// none is left out: the server waits instead.
    #[arg(long, value_name = "LINES",
          default_value_t = crate::log_thread::WAITING_LINES,
          value_parser = parse_log_queue)]
    pub log_queue: usize,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub verbosity: Verbosity,
}

/// `--log-queue`: at least one line (a queue of none would leave out every
/// line nobody reads at once), at most a million (about 100 MiB).
pub fn parse_log_queue(text: &str) -> Result<usize, String> {
    number_in(text, 1, 1_000_000)
}

/// The flag of every UDP server (echo, time): how often one source may be
/// answered, the bound on a loop between two servers.
#[derive(Debug, Clone, clap::Args)]
pub struct UdpServerArgs {
    /// UDP: datagrams answered per second to one source (address and port).
    /// More is not a person but another server answering our answers: such
    /// a loop is held to this rate, and ends at once if it runs faster.
    #[arg(long, value_name = "N",
          default_value_t = codec::ports::AnswerBudget::DEFAULT_PER_SECOND,
          value_parser = parse_rate)]
    pub udp_rate: u32,
}

/// The flags of every client.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// The server's address or name.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// Show every byte sent and received, with the server's address:port.
    #[arg(long)]
    pub trace: bool,

    /// Give up connecting or waiting for an answer after this many seconds
    /// (more than 0).
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_timeout)]
    pub timeout: Duration,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub verbosity: Verbosity,
}

/// `-v` / `-q`: how much is logged on stderr. `RUST_LOG`, when set, wins.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Verbosity {
    /// More log lines (-v: debug, -vv: everything).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Fewer log lines (-q: warnings and errors only, -qq: errors only).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,
}

/// The most `--retries` a UDP client accepts: each retry waits `--timeout`
/// again, so 100 retries of 5 s is already more than 8 minutes. A bound
/// also keeps "tries = retries + 1" from overflowing.
pub const MAX_RETRIES: u32 = 100;

/// Parses a duration given in seconds, e.g. `2` or `0.5`.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("{text} s is out of range (0 to 86400)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Parses a time-out in seconds that must be more than 0, e.g.
/// `--idle-timeout 300`: a time-out of 0 would cut every connection at once.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let limit = parse_seconds(text)?;
    if limit.is_zero() {
        return Err("a time-out of 0 would cut every connection at once: give more than 0".into());
    }
    Ok(limit)
}

/// The largest value [`parse_limit`] accepts.
///
/// A limit is a promise the program must be able to keep: a million clients
/// at once is already far beyond what one classroom machine can hold, and a
/// larger number (say 18446744073709551615) would only overflow a
/// computation or a library's own maximum later, after the server said
/// "listening".
pub const MAX_LIMIT: usize = 1_000_000;

/// Parses a limit from 1 to [`MAX_LIMIT`], e.g. `--max-clients 100`.
pub fn parse_limit(text: &str) -> Result<usize, String> {
    let too_large = || {
        format!(
            "{text} is too large: give at most {MAX_LIMIT} \
             (a million is already more than one machine can serve)"
        )
    };
    match text.parse::<usize>() {
        Ok(0) => Err("a limit of 0 would refuse everything: give at least 1".to_string()),
        Err(_) if is_negative(text) => Err(format!("{text} is below any limit: give at least 1")),
        Ok(n) if n > MAX_LIMIT => Err(too_large()),
        Ok(n) => Ok(n),
        // Digits only, yet not a usize: a number too large even to hold.
        Err(_) if all_digits(text) => Err(too_large()),
        Err(_) => Err(format!("{text:?} is not a whole number")),
    }
}

/// Parses the port of the server a client talks to: 1 to 65535. Port 0 is
/// no server's port: a server that asks for port 0 is given a free one by
/// the system, and announces it in its `listening on` line.
pub fn parse_server_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(0) => Err(
            "port 0 is not a server's port: a server started with --port 0 is given \
             a free port by the system; use the one in its \"listening on\" line"
                .into(),
        ),
        Ok(port) => Ok(port),
        Err(_) => Err(format!(
            "{text:?} is not a port: give a number from 1 to 65535"
        )),
    }
}

/// Parses the port a server listens on: 0 to 65535, 0 meaning "any free
/// port" (the system picks one, and the server's first log line says which).
pub fn parse_listen_port(text: &str) -> Result<u16, String> {
    text.parse::<u16>().map_err(|_| {
        format!(
            "{text:?} is not a port: give a number from 0 to 65535 \
             (0: any free port, shown in the server's first log line)"
        )
    })
}

/// Parses a whole number from `low` to `high`, in plain words when it is
/// not one (clap's own range check says "not in 64..=4294967295").
pub fn number_in<T>(text: &str, low: u64, high: u64) -> Result<T, String>
where
    T: TryFrom<u64>,
{
    let out_of_range =
        || format!("{text} is out of range: give a whole number from {low} to {high}");
    match text.parse::<u64>() {
        Ok(n) if (low..=high).contains(&n) => T::try_from(n).map_err(|_| out_of_range()),
        Ok(_) => Err(out_of_range()),
        // A negative number, or one too large to hold: out of range.
        Err(_) if is_negative(text) || all_digits(text) => Err(out_of_range()),
        Err(_) => Err(format!("{text:?} is not a whole number")),
    }
}

/// `123`: digits only (and at least one).
fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `-123`: a minus sign, then digits.
fn is_negative(text: &str) -> bool {
    text.strip_prefix('-').is_some_and(all_digits)
}

/// Parses `--udp-rate`: answers a second, from 1 to a million.
pub fn parse_rate(text: &str) -> Result<u32, String> {
    number_in(text, 1, 1_000_000)
}

/// Parses `--retries`: from 0 to [`MAX_RETRIES`].
pub fn parse_retries(text: &str) -> Result<u32, String> {
    number_in(text, 0, u64::from(MAX_RETRIES))
}

/// The most threads `--threads` accepts. Threads beyond the machine's cores
/// only take turns on them; each costs memory (its stack) and start-up time,
/// and a few hundred thousand would make the OS refuse.
pub const MAX_THREADS: usize = 1024;

/// Parses `--threads`: from 1 to [`MAX_THREADS`].
pub fn parse_threads(text: &str) -> Result<usize, String> {
    if text == "0" {
        return Err("0 threads would run nothing: give at least 1".into());
    }
    match parse_limit(text)? {
        n if n > MAX_THREADS => Err(format!(
            "{n} threads is too many: give at most {MAX_THREADS} (more threads than \
             CPU cores only take turns on them)"
        )),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_log_queue_holds_at_least_one_line_and_at_most_a_million() {
        assert_eq!(parse_log_queue("16"), Ok(16));
        assert_eq!(parse_log_queue("1000000"), Ok(1_000_000));
        for bad in ["0", "1000001", "-5", "many"] {
            assert!(parse_log_queue(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_out_of_range_are_told_in_plain_words() {
        assert_eq!(number_in::<u32>("64", 64, 100), Ok(64));
        let high = number_in::<u32>("70000", 0, 65535).unwrap_err();
        assert_eq!(
            high,
            "70000 is out of range: give a whole number from 0 to 65535"
        );
        assert!(
            number_in::<u32>("-abc", 0, 9)
                .unwrap_err()
                .contains("not a whole number")
        );
        assert!(parse_limit("-1").unwrap_err().contains("at least 1"));
        assert!(parse_threads("-1").unwrap_err().contains("at least 1"));
        assert!(
            number_in::<u32>("-1", 0, 9)
                .unwrap_err()
                .contains("from 0 to 9")
        );
        assert!(number_in::<u32>("99999999999999999999999", 0, 9).is_err());
        assert!(
            number_in::<u32>("ten", 0, 9)
                .unwrap_err()
                .contains("not a whole number")
        );
        assert!(
            parse_listen_port("70000")
                .unwrap_err()
                .contains("from 0 to 65535")
        );
        assert_eq!(parse_listen_port("0"), Ok(0));
        assert!(parse_threads("0").unwrap_err().contains("0 threads"));
        assert!(parse_rate("0").is_err() && parse_rate("1").is_ok());
        assert!(parse_retries("101").is_err() && parse_retries("0").is_ok());
    }

    #[test]
    fn a_client_needs_a_real_server_port() {
        assert!(parse_server_port("0").unwrap_err().contains("listening on"));
        assert_eq!(parse_server_port("10007"), Ok(10007));
        assert_eq!(parse_server_port("65535"), Ok(65535));
        assert!(
            parse_server_port("65536")
                .unwrap_err()
                .contains("1 to 65535")
        );
        assert!(parse_server_port("-1").is_err());
    }

    #[test]
    fn a_time_out_must_be_more_than_zero() {
        assert!(parse_timeout("0").unwrap_err().contains("more than 0"));
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_timeout("soon").is_err());
    }

    #[derive(Parser)]
    struct Server {
        #[command(flatten)]
        args: ServerArgs,
    }

    #[derive(Parser)]
    struct Client {
        #[command(flatten)]
        args: ClientArgs,
    }

    #[test]
    fn a_client_time_out_of_zero_is_refused_as_in_every_client() {
        assert!(Client::try_parse_from(["client", "--timeout", "0"]).is_err());
        let client = Client::try_parse_from(["client", "--timeout", "0.5"]).unwrap();
        assert_eq!(client.args.timeout, Duration::from_millis(500));
    }

    #[test]
    fn servers_listen_on_loopback_by_default() {
        let s = Server::parse_from(["server"]);
        assert_eq!(s.args.host, "127.0.0.1");
        assert!(!s.args.trace);
        assert_eq!(s.args.grace, Duration::from_secs(2));
        assert_eq!(s.args.threads, None, "one thread per core unless asked");
    }

    #[test]
    fn threads_are_at_least_one() {
        let s = Server::parse_from(["server", "--threads", "1"]);
        assert_eq!(s.args.threads, Some(1));
        assert!(Server::try_parse_from(["server", "--threads", "0"]).is_err());
        let many = Server::try_parse_from(["server", "--threads", "1000000"]);
        assert!(many.is_err_and(|e| e.to_string().contains("at most 1024")));
        assert_eq!(
            Server::parse_from(["server", "--threads", "1024"])
                .args
                .threads,
            Some(1024)
        );
    }

    #[test]
    fn flags_are_parsed() {
        let s = Server::parse_from([
            "server", "--host", "0.0.0.0", "--trace", "-vv", "--grace", "0.5",
        ]);
        assert_eq!(s.args.host, "0.0.0.0");
        assert!(s.args.trace);
        assert_eq!(s.args.verbosity.verbose, 2);
        assert_eq!(s.args.grace, Duration::from_millis(500));
    }

    #[test]
    fn verbose_and_quiet_conflict() {
        assert!(Server::try_parse_from(["server", "-v", "-q"]).is_err());
    }

    #[test]
    fn seconds_must_be_a_sane_number() {
        assert_eq!(parse_seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_seconds("abc").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("NaN").is_err());
    }

    #[test]
    fn limits_are_positive_whole_numbers() {
        assert_eq!(parse_limit("100"), Ok(100));
        assert!(parse_limit("0").is_err());
        assert!(parse_limit("-3").is_err());
        assert!(parse_limit("ten").is_err());
    }

    #[test]
    fn limits_have_an_upper_bound() {
        assert_eq!(parse_limit("1000000"), Ok(MAX_LIMIT));
        for huge in [
            "1000001",
            "3000000000000000000",
            "18446744073709551615",
            "99999999999999999999999",
        ] {
            let err = parse_limit(huge).unwrap_err();
            assert!(err.contains("at most 1000000"), "{huge}: {err}");
        }
    }
}
