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

use codec::chat::{Command, Reply, strip_controls};

/// What the client shows for `/help`.
pub const HELP: &str = "\
type a line to send it to everyone, or:
  /nick NAME        change your nickname
  /msg NICK TEXT    send TEXT to NICK only
  /who              who is in the room?
  /quit [REASON]    leave
  /help             this help
  //text            send a line that starts with /";

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

/// Turns a typed line into an [`Input`].
pub fn parse_input(line: &str) -> Input {
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
        "msg" => match rest.split_once(' ') {
            Some((to, text)) if !text.trim().is_empty() => Input::Send(Command::Priv {
                to: to.to_string(),
                text: text.to_string(),
            }),
            _ => Input::Problem("usage: /msg NICK TEXT".into()),
        },
        "who" | "list" => Input::Send(Command::List),
        "quit" | "exit" => Input::Quit(Some(rest.to_string()).filter(|r| !r.is_empty())),
        "help" | "?" => Input::Help,
        "ping" => Input::Send(Command::Ping(
            Some(rest.to_string()).filter(|r| !r.is_empty()),
        )),
        _ => Input::Problem(format!(
            "unknown command /{word} (type /help; start with // to send a line beginning with /)"
        )),
    }
}

/// Turns a line from the server into what people read.
///
/// Control characters are removed again here: a well-behaved server already
/// did it, but the client should not trust any server with its terminal.
pub fn render(line: &str) -> String {
    let line = strip_controls(line);
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
    fn odd_server_lines_are_shown_cleaned() {
        assert_eq!(render("WHAT\u{1b}[2J"), "? WHAT[2J");
        assert_eq!(render("MSG eve \u{1b}[31mred"), "<eve> [31mred");
    }
}
