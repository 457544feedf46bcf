//! `protocol-check`: tests any server, written in any language, against one
//! of netlab's protocols, and says in plain words which rules it breaks.
//!
//! ```text
//! protocol-check chat 127.0.0.1:10194
//! protocol-check echo 10007 --udp
//! protocol-check time 192.168.1.20:10037 --lang en --timeout 5
//! protocol-check http 127.0.0.1:8080
//! ```
//!
//! Exit code: 0 when every rule passes, 1 when one fails (or the server
//! cannot be reached), 2 when the command line is wrong.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use check::{Lang, Options, Protocol, Target};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use netkit::args::{Verbosity, parse_seconds};

/// Checks a server against a netlab protocol: each rule PASS/FAIL with its
/// reason (RÉUSSI/ÉCHEC in French, the default).
#[derive(Parser)]
// `name`: without it, --version would print the crate's name ("check").
#[command(name = "protocol-check", version, allow_negative_numbers = true)]
struct Args {
    /// The protocol the server is supposed to speak.
    #[arg(value_enum)]
    protocol: Protocol,

    /// The server's address (see `help` for the accepted forms). Read in
    /// `main`, not by clap: the advice for a wrong one names the port of
    /// the protocol given before it.
    #[arg(
        value_name = "ADDRESS",
        help = "The server: HOST:PORT, [IPv6]:PORT, PORT alone (this machine), \
                or HOST alone (netlab's default port for the protocol); for http, \
                also a URL (http://HOST:PORT/, port 80 when it names none)"
    )]
    address: String,

    /// Not an option: catches a port written apart from its host
    /// (`127.0.0.1 10007`, raw-client's form), to answer with the one
    /// argument to write instead of clap's bare "unexpected argument".
    #[arg(hide = true)]
    stray: Option<String>,

    /// Check the UDP service instead of TCP (echo, time, daytime).
    #[arg(long)]
    udp: bool,

    /// Language of the report: fr (français) or en (English).
    #[arg(long, value_enum, default_value_t = Lang::Fr)]
    lang: Lang,

    /// Longest wait for any answer, in seconds (an answer trickling in
    /// byte by byte must be whole within 10 times this).
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_seconds)]
    timeout: Duration,

    /// Largest difference allowed between the server's clock and this
    /// machine's, in seconds (time, daytime).
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_seconds)]
    max_drift: Duration,

    /// Show every byte sent and received, with the server's address:port (on stderr).
    #[arg(long)]
    trace: bool,

    #[command(flatten)]
    verbosity: Verbosity,
}

/// Stops with a usage error (exit code 2), printed the way clap prints its
/// own: the message, the usage line, and where to read more.
fn usage_error(kind: ErrorKind, message: String) -> ! {
    Args::command().error(kind, message).exit()
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(stray) = &args.stray {
        let message = match Target::joined(&args.address, stray, args.protocol) {
            Some(joined) => format!(
                "'{} {stray}': the host and the port go together, in one argument: {joined}",
                args.address.trim()
            ),
            None => format!(
                "unexpected argument '{stray}': give one address, HOST:PORT, e.g. 127.0.0.1:{}",
                args.protocol.default_port()
            ),
        };
        usage_error(ErrorKind::UnknownArgument, message);
    }
    let (host, port) = match Target::parse(&args.address, args.protocol) {
        Ok(address) => address,
        Err(why) => usage_error(
            ErrorKind::ValueValidation,
            format!("invalid value '{}' for '<ADDRESS>': {why}", args.address),
        ),
    };
    if args.udp && !args.protocol.has_udp() {
        let label = args.protocol.label();
        let message = match args.lang {
            Lang::Fr => format!("erreur : {label} n'existe qu'en TCP, retirez --udp"),
            Lang::En => format!("error: {label} only exists over TCP, remove --udp"),
        };
        netkit::logging::note(&message);
        return ExitCode::from(2);
    }
    if args.timeout.is_zero() {
        netkit::logging::note("error: --timeout 0 would give the server no time at all to answer");
        return ExitCode::from(2);
    }
    let target = Target {
        host,
        port: port.unwrap_or(args.protocol.default_port()),
    };
    let opts = Options {
        udp: args.udp,
        timeout: args.timeout,
        max_drift: args.max_drift,
        trace: args.trace,
        live: Some(args.lang),
    };
    let mut passed = false;
    let code = netkit::run(args.verbosity, async {
        // Each rule is printed as soon as it is checked (`live`); the
        // summary comes last.
        let report = check::check(args.protocol, &target, &opts).await;
        // The verdict is known before it is printed: the exit status tells
        // it even when the reader of our output has gone (`| head -3`).
        passed = report.passed();
        let mut out = std::io::stdout().lock();
        report
            .print_summary(args.lang, &mut out)
            .and_then(|()| out.flush())
            .map_err(netkit::NetError::output)?;
        Ok(())
    });
    if code == ExitCode::SUCCESS && !passed {
        ExitCode::FAILURE
    } else {
        code
    }
}
