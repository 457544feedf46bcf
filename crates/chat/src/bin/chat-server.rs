//! `chat-server`: one chat room on TCP port 10194, for many clients at once.
//!
//! ```text
//! chat-server [--host 127.0.0.1] [--port 10194] [--max-clients 1000]
//!             [--max-queue 1024] [--nick-timeout 60] [--write-timeout 30]
//!             [--keepalive 30] [--grace 2] [--threads N] [--log-queue 4096]
//!             [--trace] [-v|-q]
//! ```
//!
//! Then connect with `chat-client`, or by hand: `nc -C 127.0.0.1 10194`,
//! `telnet 127.0.0.1 10194`.

use std::process::ExitCode;
use std::time::Duration;

use chat::server::{Config, serve};
use clap::Parser;
use codec::chat::{MAX_ROOM, MAX_SERVER_LINE};
use netkit::args::{ServerArgs, parse_limit, parse_timeout};

/// A chat server: one room, many clients at once, protocol chat/1.
#[derive(Parser)]
#[command(version, allow_negative_numbers = true)]
struct Args {
    /// TCP port to listen on (0 = any free port, shown in the first log line).
    #[arg(long, default_value_t = chat::DEFAULT_PORT, value_parser = netkit::args::parse_listen_port)]
    port: u16,

    /// Most clients connected at once; one more gets "ERR server full".
    #[arg(long, value_name = "N", default_value_t = Config::default().max_clients, value_parser = parse_max_clients)]
    max_clients: usize,

    /// Most lines waiting for one client (lines one sender pasted together
    /// count as one); a client that stops reading is disconnected when its
    /// queue is full.
    #[arg(long, value_name = "N", default_value_t = Config::default().max_queue, value_parser = parse_limit)]
    max_queue: usize,

    /// Seconds a connection may stay without sending NICK (more than 0).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_timeout)]
    nick_timeout: Duration,

    /// Seconds a client may go without reading before it is disconnected:
    /// while something waits to be written to it, the connection takes no
    /// byte of it for that long (a slow reader that keeps reading stays;
    /// more than 0).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_timeout)]
    write_timeout: Duration,

    /// Seconds of silence after which the server checks that a client's
    /// machine is still there (TCP keepalive: 3 probes, 10 s apart); a
    /// machine gone from the network leaves the room then (whole seconds,
    /// 1 to 32767).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = netkit::net::parse_keepalive)]
    keepalive: Duration,

    #[command(flatten)]
    server: ServerArgs,
}

/// `--max-clients`: a limit like the others, and at most a chat/1 room's
/// size. `LIST` answers with the whole room in *one* line, and clients read
/// lines of at most `MAX_SERVER_LINE` bytes, computed from `MAX_ROOM`: a
/// bigger room could send a line no client accepts.
fn parse_max_clients(text: &str) -> Result<usize, String> {
    let n = parse_limit(text)?;
    if n > MAX_ROOM {
        return Err(format!(
            "{n} is too many: a chat/1 room holds at most {MAX_ROOM} people \
             (LIST sends the whole room in one line, and clients read lines \
             of at most {MAX_SERVER_LINE} bytes)"
        ));
    }
    Ok(n)
}

fn main() -> ExitCode {
    let args = Args::parse();
    netkit::serve(&args.server.clone(), async move {
        let listener = netkit::net::bind_tcp(&args.server.host, args.port).await?;
        let config = Config {
            max_clients: args.max_clients,
            max_queue: args.max_queue,
            nick_timeout: args.nick_timeout,
            write_timeout: args.write_timeout,
            keepalive: args.keepalive,
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
        assert_eq!(args.keepalive, Duration::from_secs(30));
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
            "--keepalive",
            "5",
        ])
        .unwrap();
        assert_eq!((args.port, args.max_clients, args.max_queue), (0, 3, 8));
        assert_eq!(args.nick_timeout, Duration::from_millis(500));
        assert_eq!(args.write_timeout, Duration::from_secs(2));
        assert_eq!(args.keepalive, Duration::from_secs(5));
        assert!(Args::try_parse_from(["chat-server", "--max-clients", "0"]).is_err());
        assert!(Args::try_parse_from(["chat-server", "--max-queue", "lots"]).is_err());
    }

    #[test]
    fn time_outs_of_zero_are_refused() {
        // 0 would say BYE to every connection at once, or drop any client
        // whose socket is full for an instant.
        for flag in ["--nick-timeout", "--write-timeout"] {
            let err = Args::try_parse_from(["chat-server", flag, "0"])
                .err()
                .unwrap_or_else(|| panic!("{flag} 0 accepted"));
            assert!(err.to_string().contains("more than 0"), "{err}");
        }
        // The keepalive time is whole seconds the system accepts: a value
        // it would refuse (and then use its own 2 hours) is refused here.
        for bad in ["0", "0.5", "32768"] {
            let err = Args::try_parse_from(["chat-server", "--keepalive", bad])
                .err()
                .unwrap_or_else(|| panic!("--keepalive {bad} accepted"));
            assert!(err.to_string().contains("whole number"), "{err}");
        }
    }

    #[test]
    fn a_room_is_at_most_what_clients_can_list() {
        let most = MAX_ROOM.to_string();
        let args = Args::try_parse_from(["chat-server", "--max-clients", &most]).unwrap();
        assert_eq!(args.max_clients, MAX_ROOM);
        let over = (MAX_ROOM + 1).to_string();
        assert!(Args::try_parse_from(["chat-server", "--max-clients", &over]).is_err());
        assert!(parse_max_clients(&over).is_err());
    }
}
