//! `chat-client`: join a chat/1 room.
//!
//! ```text
//! chat-client [--host 127.0.0.1] [--port 10194] [--nick NAME] [--raw] [--trace]
//!             [--timeout 5] [-v|-q]
//! ```
//!
//! Type to talk to everyone; `/msg NICK TEXT`, `/nick NAME`, `/who`, `/quit`,
//! `/help`. Works with a pipe too: `printf 'hello\n' | chat-client --nick bot`
//! (the piped lines are messages: if the server refuses `bot`, the client
//! stops instead of taking the next line as a nickname).
//!
//! Ctrl-C leaves politely, like `/quit` or Ctrl-D: the others see that you
//! left, and the server that you said so (`QUIT`, answered `BYE`). A second
//! Ctrl-C quits at once (exit code 130), for when the server does not
//! answer. Before the server's `HELLO` there is nobody to say goodbye to:
//! the first Ctrl-C quits at once.

use std::io::IsTerminal;
use std::process::ExitCode;

use chat::client::{OnRefusedNick, Options, chat_with};
use clap::Parser;
use netkit::args::ClientArgs;

/// A chat client for chat/1: the keyboard and the network at the same time.
#[derive(Parser)]
#[command(version, allow_negative_numbers = true)]
struct Args {
    /// The server's TCP port.
    #[arg(long, default_value_t = chat::DEFAULT_PORT, value_parser = netkit::args::parse_server_port)]
    port: u16,

    /// Your nickname (1-16 of A-Z a-z 0-9 _ -); asked when not given.
    #[arg(long, value_name = "NAME", value_parser = parse_nick)]
    nick: Option<String>,

    /// Show the protocol lines as the server sends them (control characters
    /// escaped, so that they cannot drive your terminal).
    #[arg(long)]
    raw: bool,

    #[command(flatten)]
    client: ClientArgs,
}

/// `--nick`: checked here, with the protocol's own rule, before connecting.
/// The server would refuse it anyway, but then the client would have to ask
/// for another one, and with piped input the next line (a message) would
/// become the nickname.
fn parse_nick(text: &str) -> Result<String, String> {
    codec::chat::valid_nick(text).map_err(|bad| bad.to_string())
}

fn main() -> ExitCode {
    let args = Args::parse();
    // A person at a terminal can choose another nickname; piped lines are
    // messages, so with --nick a refusal (name taken) ends the client.
    let on_refused_nick = if args.nick.is_some() && !std::io::stdin().is_terminal() {
        OnRefusedNick::GiveUp
    } else {
        OnRefusedNick::AskAgain
    };
    netkit::run(args.client.verbosity, async move {
        let stream =
            netkit::net::connect_tcp(&args.client.host, args.port, args.client.timeout).await?;
        let options = Options {
            nick: args.nick,
            raw: args.raw,
            trace: args.client.trace,
            timeout: args.client.timeout,
        };
        let (keyboard, ctrl_c) = chat::keyboard::typed_until_ctrl_c();
        let (mut screen, mut prompts) = (std::io::stdout(), std::io::stderr());
        chat_with(
            stream,
            &options,
            on_refused_nick,
            keyboard,
            &ctrl_c,
            &mut screen,
            &mut prompts,
        )
        .await
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

    #[test]
    fn a_bad_nick_or_a_zero_timeout_is_refused_by_clap() {
        for args in [
            ["chat-client", "--nick", "bad nick"],
            ["chat-client", "--nick", "abcdefghijklmnopq"],
            ["chat-client", "--timeout", "0"],
        ] {
            let err = Args::try_parse_from(args).err().expect("refused");
            assert_eq!(err.exit_code(), 2, "{err}");
        }
        let err = Args::try_parse_from(["chat-client", "--timeout", "0"])
            .err()
            .unwrap();
        assert!(err.to_string().contains("more than 0"), "{err}");
        let args = Args::try_parse_from(["chat-client", "--timeout", "0.5"]).unwrap();
        assert_eq!(args.client.timeout, std::time::Duration::from_millis(500));
    }
}
