//! `echo-client`: sends text or bytes to an echo server and shows what comes back.
//!
//! - `echo-client hello`          one line, its echo, the round-trip time
//! - `echo-client`                interactive: type lines, see each echo
//! - `cat f | echo-client > g`    any bytes, any size, copied exactly
//! - `echo-client --udp hello`    the same over UDP datagrams

use std::process::ExitCode;

use clap::Parser;
use netkit::args::ClientArgs;

/// Echo client (RFC 862).
#[derive(Parser)]
#[command(version, allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,

    /// The server's port.
    #[arg(long, default_value_t = echo::DEFAULT_PORT, value_parser = netkit::args::parse_server_port)]
    port: u16,

    /// Use UDP datagrams instead of a TCP connection.
    #[arg(long)]
    udp: bool,

    /// With --udp: how many times to resend a datagram that got no answer (a
    /// TCP connection resends by itself).
    #[arg(long, requires = "udp", default_value_t = 2, value_parser = netkit::args::parse_retries)]
    retries: u32,

    /// Text to send once (without it: type lines, or pipe data in).
    text: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = echo::client::Options {
        host: args.client.host,
        port: args.port,
        udp: args.udp,
        trace: args.client.trace,
        timeout: args.client.timeout,
        retries: args.retries,
        text: (!args.text.is_empty()).then(|| args.text.join(" ")),
    };
    netkit::run(args.client.verbosity, echo::client::run(options))
}
