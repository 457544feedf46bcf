//! `time-server`: the time (RFC 868) and daytime (RFC 867) services, each on
//! its own port, each over TCP and UDP.
//!
//! Try it: `cargo run --bin time-server`, then in another terminal
//! `nc -d 127.0.0.1 10013` (daytime: a line of text),
//! `nc -d 127.0.0.1 10037 | xxd` (time: 4 binary bytes; `-d`: nc reads no
//! keyboard, so it ends when the server closes),
//! `rdate -p -o 10037 127.0.0.1` or `cargo run --bin time-client`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use netkit::args::{ServerArgs, UdpServerArgs, parse_limit, parse_timeout};
use time::Protocol;
use time::clock::SystemClock;
use time::server::{self, Config, Service};

/// Time server: time (RFC 868, 4 binary bytes) and daytime (RFC 867, one
/// line of text), each on its own port, over TCP and UDP.
#[derive(Parser)]
#[command(version, allow_negative_numbers = true)]
struct Args {
    /// Port of the time service (0 = any free port, shown in the first log
    /// lines). Its well-known port is 37.
    #[arg(long, default_value_t = time::DEFAULT_TIME_PORT, value_parser = netkit::args::parse_listen_port)]
    port: u16,

    /// Port of the daytime service (0 = any free port, shown in the first
    /// log lines). Its well-known port is 13.
    #[arg(long, value_name = "PORT", default_value_t = time::DEFAULT_DAYTIME_PORT, value_parser = netkit::args::parse_listen_port)]
    daytime_port: u16,

    /// Maximum number of TCP clients served at once (both services together).
    #[arg(long, value_name = "N", default_value_t = Config::default().max_clients, value_parser = parse_limit)]
    max_clients: usize,

    /// Seconds a TCP client has to receive the answer and close the connection.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_timeout)]
    write_timeout: Duration,

    #[command(flatten)]
    udp: UdpServerArgs,

    // --host, --trace, --grace, --threads, --log-queue, -v/-q: the options
    // every netlab server has.
    #[command(flatten)]
    server: ServerArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    netkit::serve(&args.server.clone(), async move {
        let host = &args.server.host;
        if args.port == args.daytime_port && args.port != 0 {
            // Caught here: the OS would only say "address in use", as if
            // another program held the port, when it is our own first service.
            return Err(netkit::NetError::usage(format!(
                "time and daytime cannot share port {}: 1 service = 1 port. \
                 Give them two different ports (--port and --daytime-port), or 0 for both",
                args.port
            )));
        }
        // Each port's errors name the flag that chose it.
        let time = Service::bind_set_by(Protocol::Time, host, args.port, "--port").await?;
        let daytime =
            Service::bind_set_by(Protocol::Daytime, host, args.daytime_port, "--daytime-port")
                .await?;
        // Ctrl-C is caught before we say we listen: see `on_signal`.
        let shutdown = netkit::shutdown::on_signal();
        time.announce()?;
        daytime.announce()?;
        let config = Config {
            trace: args.server.trace,
            max_clients: args.max_clients,
            write_timeout: args.write_timeout,
            grace: args.server.grace,
            udp_rate: args.udp.udp_rate,
        };
        server::serve(vec![time, daytime], config, Arc::new(SystemClock), shutdown).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_timeout_of_zero_is_a_usage_mistake() {
        // 0 s would close every connection before its client could read.
        let err = Args::try_parse_from(["time-server", "--write-timeout", "0"])
            .err()
            .expect("refused");
        assert_eq!(err.exit_code(), 2, "{err}");
        let args = Args::try_parse_from(["time-server", "--write-timeout", "0.5"]).unwrap();
        assert_eq!(args.write_timeout, Duration::from_millis(500));
    }
}
