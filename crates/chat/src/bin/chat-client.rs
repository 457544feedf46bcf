//! `chat-client`: join a chat/1 room.
//!
//! ```text
//! chat-client [--host 127.0.0.1] [--port 10194] [--nick NAME] [--raw] [--trace]
//!             [--timeout 5] [-v|-q]
//! ```
//!
//! Type to talk to everyone; `/msg NICK TEXT`, `/nick NAME`, `/who`, `/quit`,
//! `/help`. Works with a pipe too: `printf 'hello\n' | chat-client --nick bot`.

use std::process::ExitCode;

use chat::client::{Options, chat};
use clap::Parser;
use netkit::args::ClientArgs;

/// A chat client for chat/1: the keyboard and the network at the same time.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The server's TCP port.
    #[arg(long, default_value_t = chat::DEFAULT_PORT)]
    port: u16,

    /// Your nickname (1-16 of A-Z a-z 0-9 _ -); asked when not given.
    #[arg(long, value_name = "NAME")]
    nick: Option<String>,

    /// Show the protocol lines exactly as the server sends them.
    #[arg(long)]
    raw: bool,

    #[command(flatten)]
    client: ClientArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    netkit::run(args.client.verbosity, async move {
        let stream =
            netkit::net::connect_tcp(&args.client.host, args.port, args.client.timeout).await?;
        let options = Options {
            nick: args.nick,
            raw: args.raw,
            trace: args.client.trace,
            timeout: args.client.timeout,
        };
        let keyboard = netkit::stdin::lines();
        let mut screen = std::io::stdout();
        chat(stream, &options, keyboard, &mut screen).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let args = Args::try_parse_from(["chat-client"]).unwrap();
        assert_eq!((args.port, args.nick, args.raw), (10194, None, false));
        assert_eq!(args.client.host, "127.0.0.1");
        let args = Args::try_parse_from([
            "chat-client",
            "--host",
            "::1",
            "--port",
            "7",
            "--nick",
            "zoe",
            "--raw",
        ])
        .unwrap();
        assert_eq!(
            (args.port, args.nick.as_deref(), args.raw),
            (7, Some("zoe"), true)
        );
        assert_eq!(args.client.host, "::1");
    }
}
