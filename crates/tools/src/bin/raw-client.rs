//! `raw-client HOST PORT`: what you type goes to the server, what the server
//! sends appears on screen — like `nc` or `telnet`. The way to speak any text
//! protocol by hand:
//!
//! ```text
//! raw-client 127.0.0.1 10194                   # chat-server: type NICK alice
//! raw-client --crlf 127.0.0.1 8080             # http-server: type GET / HTTP/1.1, Host: x, empty line
//! raw-client --udp 127.0.0.1 10007             # echo-server over UDP
//! printf 'GET / HTTP/1.0\r\n\r\n' | raw-client 127.0.0.1 8080 > page.txt
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use netkit::args::{Verbosity, parse_seconds, parse_timeout};
use tools::raw::{Options, run};

/// Connects to HOST PORT; sends what you type, shows what the server sends.
/// When your input ends (Ctrl-D) the server is told so and its last answers
/// are still shown; when the server closes, raw-client ends.
#[derive(Debug, Parser)]
// `name`: without it, --version would print the crate's name ("tools").
#[command(name = "raw-client", version, allow_negative_numbers = true)]
struct Args {
    /// The server's address or name, e.g. 127.0.0.1.
    host: String,

    /// The server's port, e.g. 8080.
    #[arg(value_parser = netkit::args::parse_server_port)]
    port: u16,

    /// End each line with CR LF (\r\n), as HTTP, SMTP and telnet expect.
    #[arg(long)]
    crlf: bool,

    /// Use UDP: each line is sent as one datagram.
    #[arg(long)]
    udp: bool,

    /// Show every byte sent and received on stderr, with the server's address:port.
    #[arg(long)]
    trace: bool,

    /// Give up connecting after this many seconds (more than 0).
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_timeout)]
    timeout: Duration,

    /// With --udp: how long to wait for answers after the end of input (over
    /// TCP the server's close says when it is over).
    #[arg(long, value_name = "SECONDS", requires = "udp", default_value = "1", value_parser = parse_seconds)]
    wait: Duration,

    #[command(flatten)]
    verbosity: Verbosity,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if e.kind() == ErrorKind::MissingRequiredArgument => {
            // `raw-client 127.0.0.1:8080`: protocol-check's (and a
            // browser's) way of writing a server, one argument short here.
            match std::env::args().skip(1).find_map(|a| two_arguments(&a)) {
                Some(hint) => Args::command().error(e.kind(), hint).exit(),
                None => e.exit(),
            }
        }
        Err(e) => e.exit(),
    };
    let options = Options {
        host: args.host,
        port: args.port,
        udp: args.udp,
        crlf: args.crlf,
        trace: args.trace,
        timeout: args.timeout,
        wait: args.wait,
        // On a terminal, a server's escape sequences must not drive it.
        terminal: std::io::IsTerminal::is_terminal(&std::io::stdout()),
    };
    netkit::run(args.verbosity, async move {
        // The keyboard is read on its own thread (see netkit::stdin), in raw
        // chunks so that piped binary data goes through unchanged.
        let input = netkit::stdin::chunks();
        let mut stdout = tokio::io::stdout();
        run(&options, input, &mut stdout).await
    })
}

/// `HOST:PORT` (or `[IPv6]:PORT`) given as one argument: the advice to write
/// it as the two raw-client takes, like `nc` and `telnet`. `None` for
/// anything else.
fn two_arguments(arg: &str) -> Option<String> {
    let (host, port) = match arg.strip_prefix('[') {
        Some(rest) => rest.split_once("]:")?,
        None if arg.matches(':').count() == 1 => arg.split_once(':')?,
        None => return None,
    };
    let port: u16 = port.parse().ok().filter(|&p| p != 0)?;
    if host.is_empty() || host.starts_with('-') {
        return None;
    }
    Some(format!(
        "'{arg}': the host and the port are two arguments, as for nc and telnet: \
         raw-client {host} {port}"
    ))
}
