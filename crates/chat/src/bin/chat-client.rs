//! `chat-client`: join a chat/1 room.
//!
//! ```text
//! chat-client [--host 127.0.0.1] [--port 10194] [--nick NAME] [--raw] [--trace]
//!             [--timeout 5] [--keepalive 30] [-v|-q]
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
//!
//! A server whose machine leaves the network (Wi-Fi lost, cable pulled,
//! laptop closed) says nothing: the system notices it about 30 s after
//! `--keepalive` seconds of silence, and the client says so and exits with
//! status 1 (see [`connect`]).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use chat::client::{OnRefusedNick, Options, chat_with};
use clap::Parser;
use netkit::NetError;
use netkit::args::ClientArgs;
use tokio::net::TcpStream;

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

    /// Seconds of silence after which the system checks that the server's
    /// machine is still there (TCP keepalive: 3 probes, 10 s apart). If it
    /// has left the network, the client says so and stops, about SECONDS +
    /// 30 s after the server's last sign of life; on Linux, also when what
    /// you sent stays unacknowledged that long (whole seconds, 1 to 32767).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = netkit::net::parse_keepalive)]
    keepalive: Duration,

    #[command(flatten)]
    client: ClientArgs,
}

/// Connects to the server, and asks the system to tell us when its machine
/// no longer answers.
///
/// A machine that leaves the network sends nothing: no close, no reset.
/// Keepalive probes a quiet connection; on Linux `TCP_USER_TIMEOUT` also
/// ends a connection whose data stays unacknowledged (the user typed, the
/// server is gone), which would otherwise take about 15 minutes. Either
/// way the next read fails with "timed out", which the client explains.
///
/// Is `TCP_USER_TIMEOUT` safe here? Linux applies it to a *live* peer too,
/// when that peer's receive window stays closed (it does not read): that
/// is why chat-server does not use it. The other way round it is safe:
/// chat-server stops reading a client only while that client's own
/// answers cannot be written to it (backpressure), that is while the
/// client does not read. This client reads the server at all times, even
/// while one of its own lines waits to be written (see
/// [`chat::client`]), so the server's window does not stay closed while
/// the server runs. Only a frozen server (Ctrl-Z, a debugger),
/// after this client has sent more than the buffers hold, would end it,
/// and then "no longer answers" is true. The limit is tied to keepalive
/// (SECONDS + 30 s), never a few seconds: a Wi-Fi that drops for ten
/// seconds must not end the chat.
async fn connect(args: &Args) -> Result<TcpStream, NetError> {
    let stream =
        netkit::net::connect_tcp(&args.client.host, args.port, args.client.timeout).await?;
    netkit::net::watch_server(&stream, args.keepalive);
    Ok(stream)
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
        let stream = connect(&args).await?;
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

    /// The server's: same default, same whole seconds the systems accept.
    #[test]
    fn keepalive_is_whole_seconds_like_the_servers() {
        let args = Args::try_parse_from(["chat-client"]).unwrap();
        assert_eq!(args.keepalive, Duration::from_secs(30));
        let args = Args::try_parse_from(["chat-client", "--keepalive", "2"]).unwrap();
        assert_eq!(args.keepalive, Duration::from_secs(2));
        for bad in ["0", "0.5", "32768", "-1", "soon"] {
            let err = Args::try_parse_from(["chat-client", "--keepalive", bad])
                .err()
                .unwrap_or_else(|| panic!("--keepalive {bad} accepted"));
            assert_eq!(err.exit_code(), 2, "{err}");
        }
        let mut command = <Args as clap::CommandFactory>::command();
        let help = command.render_long_help().to_string();
        assert!(help.contains("--keepalive <SECONDS>"), "{help}");
        assert!(help.contains("left the network"), "{help}");
    }

    /// The socket the client chats over really has the options asked for.
    #[tokio::test]
    async fn the_connection_watches_the_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let args =
            Args::try_parse_from(["chat-client", "--port", &port, "--keepalive", "7"]).unwrap();
        let stream = connect(&args).await.unwrap();
        let socket = socket2::SockRef::from(&stream);
        assert!(socket.keepalive().unwrap());
        #[cfg(target_os = "linux")]
        {
            assert_eq!(socket.tcp_keepalive_time().unwrap(), Duration::from_secs(7));
            assert_eq!(
                socket.tcp_keepalive_interval().unwrap(),
                Duration::from_secs(10)
            );
            assert_eq!(socket.tcp_keepalive_retries().unwrap(), 3);
            // What keepalive would take (7 + 3 × 10 s), for a busy connection.
            assert_eq!(
                socket.tcp_user_timeout().unwrap(),
                Some(Duration::from_secs(37))
            );
        }
    }
}
