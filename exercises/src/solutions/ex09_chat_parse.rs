//! # Exercise 9 — parsing chat commands (reference solution)
//!
//! The statement is in `exercises/src/ex09_chat_parse.rs`.

/// The longest line accepted, in bytes (end of line not counted).
pub const MAX_LINE: usize = 1024;
/// The longest nickname, in characters.
pub const MAX_NICK: usize = 16;

/// One command sent by a chat client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `NICK name`: choose a nickname.
    Nick(String),
    /// `MSG text`: a message to everyone.
    Msg(String),
    /// `PRIV nick text`: a message to one person.
    Priv {
        /// The nickname of the recipient.
        to: String,
        /// The message.
        text: String,
    },
    /// `LIST`: who is connected.
    List,
    /// `PING`: the server answers `PONG`.
    Ping,
    /// `HELP`: the list of commands.
    Help,
    /// `QUIT`: leave.
    Quit,
}

/// Why a line is not a valid command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing but spaces.
    Empty,
    /// Longer than [`MAX_LINE`] bytes.
    TooLong,
    /// A first word that is no command; holds the word as typed.
    Unknown(String),
    /// A command without its argument: `"nick"` or `"text"`.
    MissingArgument(&'static str),
    /// A nickname that breaks the rules; holds it as typed.
    BadNick(String),
}

/// True if `nick` is 1 to [`MAX_NICK`] ASCII letters, digits, `_` or `-`.
pub fn valid_nick(nick: &str) -> bool {
    // All allowed characters are ASCII, so bytes = characters here.
    (1..=MAX_NICK).contains(&nick.len())
        && nick
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Parses one line sent by a client.
pub fn parse(line: &str) -> Result<Command, ParseError> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.len() > MAX_LINE {
        return Err(ParseError::TooLong);
    }
    if line.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    // The command word, and everything after the first space.
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    match word.to_ascii_uppercase().as_str() {
        "NICK" => nick(rest.trim()).map(Command::Nick),
        "MSG" => text(rest).map(Command::Msg),
        "PRIV" => {
            let (to, message) = rest.split_once(' ').unwrap_or((rest, ""));
            let to = nick(to)?;
            Ok(Command::Priv {
                to,
                text: text(message)?,
            })
        }
        "LIST" => Ok(Command::List),
        "PING" => Ok(Command::Ping),
        "HELP" => Ok(Command::Help),
        "QUIT" => Ok(Command::Quit),
        _ => Err(ParseError::Unknown(word.to_string())),
    }
}

/// A nickname argument: present and valid.
fn nick(nick: &str) -> Result<String, ParseError> {
    if nick.is_empty() {
        Err(ParseError::MissingArgument("nick"))
    } else if !valid_nick(nick) {
        Err(ParseError::BadNick(nick.to_string()))
    } else {
        Ok(nick.to_string())
    }
}

/// A text argument: kept as typed, but not empty or only spaces.
fn text(text: &str) -> Result<String, ParseError> {
    if text.trim().is_empty() {
        Err(ParseError::MissingArgument("text"))
    } else {
        Ok(text.to_string())
    }
}
