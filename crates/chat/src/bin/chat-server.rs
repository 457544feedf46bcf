//! `chat-server`: one chat room on TCP port 10194, for many clients at once.
//!
//! ```text
//! chat-server [--host 127.0.0.1] [--port 10194] [--max-clients 1000]
//!             [--max-queue 1024] [--nick-timeout 60] [--write-timeout 30]
//!             [--grace 2] [--trace] [-v|-q]
//! ```
//!
//! Then connect with `chat-client`, or by hand: `nc -C 127.0.0.1 10194`,
//! `telnet 127.0.0.1 10194`.

use std::process::ExitCode;
use std::time::Duration;

use chat::server::{Config, serve};
use clap::Parser;
use netkit::args::{ServerArgs, parse_limit, parse_seconds};

/// A chat server: one room, many clients at once, protocol chat/1.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// TCP port to listen on (0 = any free port, shown in the first log line).
    #[arg(long, default_value_t = chat::DEFAULT_PORT)]
    port: u16,

    /// Most clients connected at once; one more gets "ERR server full".
    #[arg(long, value_name = "N", default_value_t = Config::default().max_clients, value_parser = parse_limit)]
    max_clients: usize,

    /// Most lines waiting for one client (lines one sender pasted together
    /// count as one); a client that stops reading is disconnected when its
    /// queue is full.
    #[arg(long, value_name = "N", default_value_t = Config::default().max_queue, value_parser = parse_limit)]
    max_queue: usize,

    /// Seconds a connection may stay without sending NICK.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    nick_timeout: Duration,

    /// Seconds a write to a client may take before it is disconnected.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    write_timeout: Duration,

    #[command(flatten)]
    server: ServerArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    netkit::run_on(args.server.verbosity, args.server.threads, async move {
        let listener = netkit::net::bind_tcp(&args.server.host, args.port).await?;
        let config = Config {
            max_clients: args.max_clients,
            max_queue: args.max_queue,
            nick_timeout: args.nick_timeout,
            write_timeout: args.write_timeout,
            grace: args.server.grace,
            trace: args.server.trace,
        };
        serve(listener, config, netkit::shutdown::on_signal()).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let args = Args::try_parse_from(["chat-server"]).unwrap();
        assert_eq!(args.port, 10194);
        assert_eq!(args.max_clients, 1000);
        assert_eq!(args.max_queue, 1024);
        assert_eq!(args.nick_timeout, Duration::from_secs(60));
        assert_eq!(args.write_timeout, Duration::from_secs(30));
        assert_eq!(args.server.host, "127.0.0.1");
    }

    #[test]
    fn every_limit_is_a_flag() {
        let args = Args::try_parse_from([
            "chat-server",
            "--port",
            "0",
            "--max-clients",
            "3",
            "--max-queue",
            "8",
            "--nick-timeout",
            "0.5",
            "--write-timeout",
            "2",
        ])
        .unwrap();
        assert_eq!((args.port, args.max_clients, args.max_queue), (0, 3, 8));
        assert_eq!(args.nick_timeout, Duration::from_millis(500));
        assert_eq!(args.write_timeout, Duration::from_secs(2));
        assert!(Args::try_parse_from(["chat-server", "--max-clients", "0"]).is_err());
        assert!(Args::try_parse_from(["chat-server", "--max-queue", "lots"]).is_err());
    }
}
