//! `echo-server`: sends back every byte it receives (RFC 862), on TCP and UDP.
//!
//! Try it: `cargo run --bin echo-server`, then in another terminal
//! `cargo run --bin echo-client`, or `nc 127.0.0.1 10007`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use echo::server::{self, Config};
use netkit::NetError;
use netkit::args::{ServerArgs, UdpServerArgs, parse_limit, parse_timeout};
use netkit::error::Transport;
use netkit::net::{announce, bind_tcp, bind_tcp_and_udp, bind_udp, local_addr};
use tokio::net::UdpSocket;

/// Echo server (RFC 862): every byte received goes back unchanged.
#[derive(Parser)]
#[command(version, allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    server: ServerArgs,

    /// Port to listen on (0 = any free port, shown in the first log line).
    /// Echo's well-known port is 7.
    #[arg(long, default_value_t = echo::DEFAULT_PORT, value_parser = netkit::args::parse_listen_port)]
    port: u16,

    /// Which transport(s) to serve: the same port number exists on each.
    #[arg(long, value_enum, default_value_t = Transports::Both)]
    transport: Transports,

    /// Maximum number of TCP clients served at once.
    #[arg(long, value_name = "N", default_value_t = Config::default().max_clients, value_parser = parse_limit)]
    max_clients: usize,

    /// Close a TCP connection idle (or not reading) for this many seconds.
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = parse_timeout)]
    idle_timeout: Duration,

    #[command(flatten)]
    udp: UdpServerArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Transports {
    Both,
    Tcp,
    Udp,
}

fn main() -> ExitCode {
    let args = Args::parse();
    netkit::serve(&args.server.clone(), async move {
        let host = &args.server.host;
        let (tcp, udp, label) = match args.transport {
            Transports::Both => {
                let (tcp, udp) = bind_tcp_and_udp(host, args.port)
                    .await
                    .map_err(suggest_tcp_only)?;
                (Some(tcp), Some(udp), "tcp+udp")
            }
            Transports::Tcp => (Some(bind_tcp(host, args.port).await?), None, "tcp"),
            Transports::Udp => (None, Some(bind_udp(host, args.port).await?), "udp"),
        };
        let addr = match (&tcp, &udp) {
            (Some(listener), _) => local_addr(listener)?,
            (None, Some(socket)) => udp_addr(socket)?,
            (None, None) => unreachable!("at least one transport is bound"),
        };
        // Ctrl-C is caught before we say we listen: see `on_signal`.
        let shutdown = netkit::shutdown::on_signal();
        announce(addr, label, "echo (RFC 862)");
        let config = Config {
            trace: args.server.trace,
            max_clients: args.max_clients,
            idle_timeout: args.idle_timeout,
            grace: args.server.grace,
            udp_rate: args.udp.udp_rate,
        };
        server::serve(tcp, udp, config, shutdown).await
    })
}

/// The UDP twin of the port is taken (often by another UDP service) while
/// the TCP one is free: serving TCP alone is a fix too, so say it.
fn suggest_tcp_only(err: NetError) -> NetError {
    match err {
        NetError::AddrInUse {
            transport: Transport::Udp,
            ..
        } => NetError::protocol(format!(
            "{err} Or, if TCP is enough, serve TCP only: --transport tcp."
        )),
        other => other,
    }
}

fn udp_addr(socket: &UdpSocket) -> Result<std::net::SocketAddr, NetError> {
    socket
        .local_addr()
        .map_err(|e| NetError::io("reading the UDP address", e))
}
