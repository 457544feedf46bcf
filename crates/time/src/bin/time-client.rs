//! `time-client`: asks a time (RFC 868) or daytime (RFC 867) server for the
//! time, and explains the answer.
//!
//! - `time-client`                         time over TCP, port 10037
//! - `time-client --protocol daytime`      daytime over TCP, port 10013
//! - `time-client --udp`                   the same question in a datagram
//! - `time-client --port 10013`            the wrong port: see the explanation

use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use netkit::args::ClientArgs;
use time::Protocol;

/// Time client: asks a time (RFC 868) or daytime (RFC 867) server for the
/// time; shows the bytes received, what they mean, and the clock difference.
#[derive(Parser)]
#[command(version, allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,

    /// Which protocol to speak: time = 4 binary bytes, daytime = a line of text.
    #[arg(long, value_enum, default_value_t = Choice::Time)]
    protocol: Choice,

    /// The server's port [default: 10037 for time, 10013 for daytime].
    #[arg(long, value_parser = netkit::args::parse_server_port)]
    port: Option<u16>,

    /// Ask with a UDP datagram instead of a TCP connection.
    #[arg(long)]
    udp: bool,

    /// With --udp: how many times to ask again when no answer comes (datagrams
    /// can be lost; a TCP connection resends by itself).
    #[arg(long, requires = "udp", default_value_t = 2, value_parser = netkit::args::parse_retries)]
    retries: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Choice {
    /// RFC 868: the time as 4 binary bytes.
    Time,
    /// RFC 867: the time as one line of text.
    Daytime,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let protocol = match args.protocol {
        Choice::Time => Protocol::Time,
        Choice::Daytime => Protocol::Daytime,
    };
    let options = time::client::Options {
        host: args.client.host,
        port: args.port.unwrap_or(protocol.default_port()),
        protocol,
        udp: args.udp,
        trace: args.client.trace,
        timeout: args.client.timeout,
        retries: args.retries,
    };
    netkit::run(args.client.verbosity, time::client::run(options))
}
