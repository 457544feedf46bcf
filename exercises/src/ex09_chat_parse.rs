//! # Exercise 9 — parsing chat commands
//!
//! *A protocol is a common language*: client and server agree on what may be
//! said and how. netlab's `chat-server` speaks chat/1, one command per line.
//! This exercise parses a subset of it, without any socket: a pure function
//! from a line to a [`Command`], or a [`ParseError`] saying what is wrong.
//!
//! | line                   | meaning                               | result                              |
//! |------------------------|---------------------------------------|-------------------------------------|
//! | `NICK alice`           | choose a nickname                     | `Nick("alice")`                     |
//! | `MSG hello everyone`   | say something to everyone             | `Msg("hello everyone")`             |
//! | `PRIV bob are you ok?` | say something to bob only             | `Priv { to: "bob", text: "are you ok?" }` |
//! | `LIST`                 | who is connected?                     | `List`                              |
//! | `PING`                 | are you there?                        | `Ping`                              |
//! | `HELP`                 | what can I say?                       | `Help`                              |
//! | `QUIT`                 | goodbye                               | `Quit`                              |
//!
//! ## Rules
//!
//! - One `\n` at the end of the line is ignored, then one `\r` (telnet sends
//!   `\r\n`).
//! - A line longer than [`MAX_LINE`] bytes (after that) is
//!   [`ParseError::TooLong`]; a line that is empty or only spaces is
//!   [`ParseError::Empty`].
//! - The command is the first word: from the first character up to the
//!   first space (`' '`, not a tab); upper or lower case are both accepted
//!   (`msg` = `MSG`). An unknown command gives [`ParseError::Unknown`] with
//!   the word as it was typed (`LISTEN` is unknown; ` PING`, starting with a
//!   space, has an empty first word: `Unknown("")`).
//! - The text of `MSG` and `PRIV` is everything after the space that ends
//!   the previous word, kept as it is (inner spaces included). A text that is
//!   missing or only spaces is [`ParseError::MissingArgument`]`("text")`.
//! - A nickname (for `NICK` and `PRIV`) is 1 to [`MAX_NICK`] characters,
//!   ASCII letters, digits, `_` or `-` only ([`valid_nick`]). Missing:
//!   [`ParseError::MissingArgument`]`("nick")`; present but not valid:
//!   [`ParseError::BadNick`] with the nickname as typed. After `NICK`, spaces
//!   around the nickname are ignored.
//! - `LIST`, `PING`, `HELP`, `QUIT` ignore anything after them.
//!
//! Hints: `split_once(' ')`, `eq_ignore_ascii_case` or `to_ascii_uppercase`,
//! `trim`, `chars().all(…)`.
//!
//! Check with `cargo test -p exercises --test ex09_chat_parse`.
//! Sheet: `docs/exercices/09-chat-parse.md` (English: `docs/exercises/09-chat-parse.md`).

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
    todo!("exercise 9: check the nickname {nick:?}")
}

/// Parses one line sent by a client.
pub fn parse(line: &str) -> Result<Command, ParseError> {
    todo!("exercise 9: parse {line:?}")
}
