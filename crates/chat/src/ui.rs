//! # The user interface is not the protocol
//!
//! People do not type `PRIV bob see you`; they type `/msg bob see you`, and
//! they want to read `[private] <alice> see you`, not `PRIV alice see you`.
//! This module translates both ways, and nothing else: no sockets, so every
//! rule is tested with plain strings.
//!
//! - [`parse_input`]: a typed line → what to do ([`Input`]): most often a
//!   protocol [`Command`] to send.
//! - [`render`]: a line from the server → the text shown on screen.
//! - [`visible`]: control characters made visible, so that nobody else's
//!   text can drive the user's terminal.
//!
//! The client reads the keyboard a whole line at a time (the terminal's own
//! line editing: Backspace works, nothing is sent before Enter). The price:
//! a message arriving while the user types is printed right after the
//! half-typed text. Only the *screen* is mixed up; the typed text is still
//! there, and Ctrl-R (on Linux and macOS) shows it again on a line of its own.

use codec::chat::{Command, MAX_LINE, Reply, is_control};

/// What the client shows for `/help`.
pub const HELP: &str = "\
type a line to send it to everyone, or:
  /nick NAME        change your nickname
  /msg NICK TEXT    send TEXT to NICK only (or /priv NICK TEXT)
  /who              who is in the room? (or /list)
  /ping [TOKEN]     is the server there?
  /quit [REASON]    leave (or /exit, Ctrl-D, Ctrl-C)
  /help             this help (or /?)
  //text            send a line that starts with /
a message arriving while you type cuts your line on the screen only:
keep typing, or press Ctrl-R to see what you typed so far";

/// What a typed line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Send this command to the server.
    Send(Command),
    /// Leave: send `QUIT`, wait for `BYE`.
    Quit(Option<String>),
    /// Show [`HELP`].
    Help,
    /// An empty line: nothing to do.
    Nothing,
    /// A mistake to tell the user about, without bothering the server.
    Problem(String),
}

/// Is `line` as long as the keyboard keeps of one line
/// ([`netkit::stdin::MAX_LINE`], 64 KiB)? Then its end was dropped, and
/// what is left must not be taken for what the user meant: `/nick rob`,
/// 64 KiB of spaces, then `ert` would be `/nick rob` once cut and trimmed.
/// Such a line is refused whole ([`parse_input`] says so).
pub fn cut_by_the_keyboard(line: &str) -> bool {
    line.len() >= netkit::stdin::MAX_LINE
}

/// What [`parse_input`] says of a line [`cut_by_the_keyboard`].
pub fn cut_line_problem() -> String {
    format!(
        "too long: the line is {} bytes or more (the client keeps no more of one line), \
         and a line holds at most {MAX_LINE} (nothing was sent)",
        netkit::stdin::MAX_LINE
    )
}

/// Turns a typed line into an [`Input`].
pub fn parse_input(line: &str) -> Input {
    if cut_by_the_keyboard(line) {
        return Input::Problem(cut_line_problem());
    }
    if line.trim().is_empty() {
        return Input::Nothing;
    }
    if let Some(escaped) = line.strip_prefix("//") {
        return Input::Send(Command::Msg(format!("/{escaped}")));
    }
    let Some(slash) = line.strip_prefix('/') else {
        return Input::Send(Command::Msg(line.to_string()));
    };
    let (word, rest) = match slash.split_once(' ') {
        Some((word, rest)) => (word, rest.trim()),
        None => (slash, ""),
    };
    match word.to_ascii_lowercase().as_str() {
        "nick" if rest.is_empty() => Input::Problem("usage: /nick NAME".into()),
        "nick" => Input::Send(Command::Nick(rest.to_string())),
        // `/msg` is what IRC users type; `/priv` is the protocol's verb.
        "msg" | "priv" => match rest.split_once(' ') {
            Some((to, text)) if !text.trim().is_empty() => Input::Send(Command::Priv {
                to: to.to_string(),
                text: text.to_string(),
            }),
            _ => Input::Problem(format!("usage: /{word} NICK TEXT")),
        },
        "who" | "list" => Input::Send(Command::List),
        "quit" | "exit" => Input::Quit(Some(rest.to_string()).filter(|r| !r.is_empty())),
        "help" | "?" => Input::Help,
        "ping" => Input::Send(Command::Ping(
            Some(rest.to_string()).filter(|r| !r.is_empty()),
        )),
        _ => Input::Problem(format!(
            "unknown command /{} (type /help; start with // to send a line beginning with /)",
            visible(word)
        )),
    }
}

/// Why `command` cannot be sent, or `None` when it fits in one line.
///
/// The limit counts the whole protocol line (`MSG ` + the text), in bytes
/// (`é` is 2 of them): the user only sees the text, so the explanation says
/// how long the line really is and how much to cut. (A line the keyboard
/// cut never gets here: [`parse_input`] refuses it whole, so every length
/// here is the real one.)
pub fn too_long(command: &Command) -> Option<String> {
    let line = command.to_line();
    let verb = line.split(' ').next().unwrap_or_default();
    (line.len() > MAX_LINE).then(|| {
        let over = line.len() - MAX_LINE;
        let plural = if over == 1 { "" } else { "s" };
        format!(
            "too long: sent as \"{verb} …\" it is {} bytes, and a line holds at most {MAX_LINE}; \
             shorten it by {over} byte{plural} (nothing was sent)",
            line.len()
        )
    })
}

/// Shows control characters as escapes: ESC as `\u{1b}`, a tab as `\t`.
///
/// A terminal obeys the control characters it prints: `ESC [ 2 J` clears
/// the screen, `ESC ] 0 ; text BEL` retitles the window. A well-behaved
/// server already removes them, but the client should not trust any server
/// (nor another user, through a server that forgets) with its terminal.
/// Escaping rather than removing shows that *something* was there.
pub fn visible(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if is_control(c) {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// Turns a line from the server into what people read.
///
/// Control characters are made [`visible`] first: a well-behaved server
/// already removed them, but the client should not trust any server with
/// its terminal.
pub fn render(line: &str) -> String {
    let line = visible(line);
    let Some(reply) = Reply::parse(&line) else {
        return format!("? {line}");
    };
    match reply {
        Reply::Hello(text) => format!("* the server says: {text}"),
        Reply::Ok(text) => match text.split_once(' ') {
            Some(("NICK", nick)) => format!("* you are now known as {nick}"),
            Some(("PRIV", nick)) => format!("* (private message sent to {nick})"),
            _ => format!("* {text}"),
        },
        Reply::Err(reason) => format!("! error: {reason}"),
        Reply::Msg { from, text } => format!("<{from}> {text}"),
        Reply::Priv { from, text } => format!("[private] <{from}> {text}"),
        Reply::Join(nick) => format!("* {nick} joined"),
        Reply::Leave { nick, reason: None } => format!("* {nick} left"),
        Reply::Leave {
            nick,
            reason: Some(reason),
        } => format!("* {nick} left ({reason})"),
        Reply::Nick { old, new } => format!("* {old} is now known as {new}"),
        Reply::Users(nicks) if nicks.is_empty() => "* nobody has joined yet".to_string(),
        Reply::Users(nicks) => format!("* in the room ({}): {}", nicks.len(), nicks.join(", ")),
        Reply::Pong(None) => "* pong".to_string(),
        Reply::Pong(Some(token)) => format!("* pong {token}"),
        Reply::Bye(None) => "* the server said goodbye".to_string(),
        Reply::Bye(Some(reason)) => format!("* the server said goodbye: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_is_a_message() {
        assert_eq!(
            parse_input("hello all"),
            Input::Send(Command::Msg("hello all".into()))
        );
        assert_eq!(
            parse_input("  indented"),
            Input::Send(Command::Msg("  indented".into()))
        );
        assert_eq!(
            parse_input("//etc/passwd"),
            Input::Send(Command::Msg("/etc/passwd".into()))
        );
        assert_eq!(parse_input(""), Input::Nothing);
        assert_eq!(parse_input("   "), Input::Nothing);
    }

    #[test]
    fn slash_commands() {
        assert_eq!(
            parse_input("/nick bob"),
            Input::Send(Command::Nick("bob".into()))
        );
        assert_eq!(
            parse_input("/msg bob see you at 5"),
            Input::Send(Command::Priv {
                to: "bob".into(),
                text: "see you at 5".into()
            })
        );
        assert_eq!(parse_input("/who"), Input::Send(Command::List));
        assert_eq!(parse_input("/quit"), Input::Quit(None));
        assert_eq!(
            parse_input("/QUIT gotta go"),
            Input::Quit(Some("gotta go".into()))
        );
        assert_eq!(parse_input("/help"), Input::Help);
    }

    #[test]
    fn slash_mistakes_stay_local() {
        assert!(matches!(parse_input("/nick"), Input::Problem(_)));
        assert!(matches!(parse_input("/msg bob"), Input::Problem(_)));
        assert!(matches!(parse_input("/msg"), Input::Problem(_)));
        assert!(matches!(parse_input("/frobnicate"), Input::Problem(_)));
    }

    #[test]
    fn server_lines_are_rendered_for_people() {
        assert_eq!(render("MSG alice hello"), "<alice> hello");
        assert_eq!(render("JOIN bob"), "* bob joined");
        assert_eq!(render("LEAVE bob"), "* bob left");
        assert_eq!(render("LEAVE bob see ya"), "* bob left (see ya)");
        assert_eq!(render("PRIV bob psst"), "[private] <bob> psst");
        assert_eq!(render("NICK bob robert"), "* bob is now known as robert");
        assert_eq!(render("USERS alice bob"), "* in the room (2): alice, bob");
        assert_eq!(render("USERS"), "* nobody has joined yet");
        assert_eq!(render("OK NICK alice"), "* you are now known as alice");
        assert_eq!(render("OK PRIV bob"), "* (private message sent to bob)");
        assert_eq!(
            render("ERR nickname bob is taken"),
            "! error: nickname bob is taken"
        );
        assert_eq!(
            render("BYE server shutting down"),
            "* the server said goodbye: server shutting down"
        );
        assert_eq!(render("PONG 1"), "* pong 1");
        assert_eq!(
            render("HELLO netlab chat/1"),
            "* the server says: netlab chat/1"
        );
    }

    #[test]
    fn priv_is_msg_too() {
        assert_eq!(
            parse_input("/priv bob psst"),
            Input::Send(Command::Priv {
                to: "bob".into(),
                text: "psst".into()
            })
        );
        assert_eq!(
            parse_input("/priv bob"),
            Input::Problem("usage: /priv NICK TEXT".into())
        );
    }

    #[test]
    fn odd_server_lines_show_their_control_characters_escaped() {
        assert_eq!(render("WHAT\u{1b}[2J"), "? WHAT\\u{1b}[2J");
        assert_eq!(render("MSG eve \u{1b}[31mred"), "<eve> \\u{1b}[31mred");
        // Retitling the terminal (OSC 0 … BEL), and the one-byte C1 CSI.
        assert_eq!(
            render("MSG eve \u{1b}]0;pwned\u{7}hi \u{9b}2J"),
            "<eve> \\u{1b}]0;pwned\\u{7}hi \\u{9b}2J"
        );
        assert_eq!(visible("tab\there"), "tab\\there");
        assert_eq!(visible("café ok"), "café ok");
    }

    #[test]
    fn an_unknown_command_is_echoed_escaped() {
        assert_eq!(
            parse_input("/x\u{1b}[2J"),
            Input::Problem(
                "unknown command /x\\u{1b}[2J (type /help; start with // to send a line \
                 beginning with /)"
                    .into()
            )
        );
    }

    #[test]
    fn too_long_says_how_much_to_cut() {
        // 1021 bytes of text + "MSG " = 1025: one byte too many.
        let text = "x".repeat(1021);
        let why = too_long(&Command::Msg(text)).expect("too long");
        assert!(why.contains("\"MSG …\" it is 1025 bytes"), "{why}");
        assert!(why.contains("at most 1024"), "{why}");
        assert!(why.contains("shorten it by 1 byte "), "{why}");
        assert_eq!(too_long(&Command::Msg("x".repeat(1020))), None);
        let quit = Command::Quit(Some("q".repeat(1100)));
        assert!(too_long(&quit).unwrap().contains("\"QUIT …\""));
        // Just under what the keyboard keeps: not cut, so its real length
        // is told (it was "over 65536 bytes", for a line of 65,534).
        let long = too_long(&Command::Msg("x".repeat(netkit::stdin::MAX_LINE - 2))).unwrap();
        assert!(long.contains("it is 65538 bytes"), "{long}");
        assert!(long.contains("shorten it by 64514 bytes"), "{long}");
        // Typed: refused whole, whatever its first 64 KiB would mean once
        // trimmed (before, `/nick rob` and spaces renamed the user `rob`).
        let padded = format!("/nick rob{}", " ".repeat(netkit::stdin::MAX_LINE));
        let cut_at = &padded[..netkit::stdin::MAX_LINE];
        let Input::Problem(problem) = parse_input(cut_at) else {
            panic!("a cut line taken as a command");
        };
        assert!(problem.contains("(nothing was sent)"), "{problem}");
        assert!(
            matches!(parse_input(&padded[..1000]), Input::Send(Command::Nick(n)) if n == "rob")
        );
        assert!(problem.contains("65536 bytes or more"), "{problem}");
    }
}
