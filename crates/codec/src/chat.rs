//! # chat/1 — netlab's own chat protocol
//!
//! Echo and time are *request → answer* protocols. Chat is different: the
//! server also speaks **without being asked** (someone joined, someone wrote),
//! and it speaks to **many clients at once**. The protocol is still a common
//! language, written once here and used by both `chat-server` and
//! `chat-client`; the full description, with sequence diagrams, is in
//! `docs/protocols/chat.md`.
//!
//! ## The wire format in one screen
//!
//! - TCP, port 194 + 10000 = **10194**. UTF-8 text lines ending in LF; a CR
//!   just before the LF is dropped (telnet and Windows send CRLF).
//! - A client line holds at most [`MAX_LINE`] = 1024 bytes, not counting its
//!   ending. A longer line is discarded up to its LF and answered with `ERR`.
//! - A line is `VERB` or `VERB SP rest`; verbs are case-insensitive.
//!
//! | client → server      | server → client                                     |
//! |----------------------|-----------------------------------------------------|
//! | `NICK <name>`        | `OK NICK <name>`; others get `JOIN` or `NICK old new` |
//! | `MSG <text>`         | everyone (sender too) gets `MSG <nick> <text>`      |
//! | `PRIV <nick> <text>` | target gets `PRIV <from> <text>`; sender `OK PRIV <nick>` |
//! | `LIST`               | `USERS <nick> <nick> …` (sorted)                    |
//! | `PING [token]`       | `PONG [token]`                                      |
//! | `HELP`               | one `OK …` line listing the verbs                   |
//! | `QUIT [reason]`      | `BYE`, then close; others get `LEAVE <nick> [reason]` |
//!
//! On connect the server says `HELLO …` first. Anything that cannot be done is
//! answered `ERR <reason>` and the connection stays open.
//!
//! ## How this module is split
//!
//! - [`line`](mod@line): cutting a byte stream into lines, with the length limit and
//!   the CR rule. Bad input comes out as a *value*, never as an error that
//!   would end the stream.
//! - [`telnet`]: removing the Telnet commands that `telnet`, a real client,
//!   mixes into the lines people type (RFC 854).
//! - [`command`]: what a client says ([`Command`]), parsed from a line.
//! - [`reply`]: what a server says ([`Reply`]), encoded to a line.
//! - [`codec`]: the `tokio_util` [`Decoder`](tokio_util::codec::Decoder) /
//!   [`Encoder`](tokio_util::codec::Encoder) pairs for each side.
//!
//! Everything here is *sans-I/O*: plain bytes in, plain values out.

pub mod codec;
pub mod command;
pub mod line;
pub mod reply;
pub mod telnet;

pub use codec::{ClientCodec, ServerCodec};
pub use command::{BadCommand, Command};
pub use line::{BadLine, LineDecoder};
pub use reply::Reply;

use crate::ports;

/// Port 194 is IRC's, the ancestor of every chat protocol.
pub const WELL_KNOWN_PORT: u16 = ports::CHAT;

/// The port `chat-server` listens on unless told otherwise: 10194.
pub const DEFAULT_PORT: u16 = ports::netlab_default(WELL_KNOWN_PORT);

/// The longest line a client may send, in bytes, not counting the LF or CRLF.
pub const MAX_LINE: usize = 1024;

/// The most people one room may hold: `chat-server --max-clients` accepts
/// no more (it is also netkit's bound on every limit flag, a million).
///
/// The protocol needs this bound because `USERS` lists the whole room in
/// *one* line: the room's size decides how long a line a client must be
/// ready to read ([`MAX_SERVER_LINE`]).
pub const MAX_ROOM: usize = 1_000_000;

/// The longest line a *client* accepts from the server: the longest line
/// the server can send, `USERS` in a full room, i.e. `USERS` followed by
/// [`MAX_ROOM`] nicknames of [`MAX_NICK`] characters, each after a space.
/// That is 17,000,005 bytes (about 17 MB); every other server line is far
/// shorter (`MSG <nick> <text>` is at most about 1 KiB).
///
/// Both sides derive their limit from the same constants, so a client never
/// refuses a line a correct server sends. The client stores a line only as
/// its bytes arrive: this is a bound, not memory reserved in advance.
pub const MAX_SERVER_LINE: usize = "USERS".len() + MAX_ROOM * (1 + MAX_NICK);

/// The longest nickname, in characters.
pub const MAX_NICK: usize = 16;

/// The reason in `ERR server full`, the only line a client over the
/// server's limit gets (instead of `HELLO`) before the server closes.
pub const SERVER_FULL: &str = "server full";

/// The protocol's name and version, as shown in `HELLO` and in logs.
pub const PROTOCOL: &str = "chat/1";

/// Is `c` a control character (U+0000–U+001F, U+007F–U+009F)?
///
/// Those are the characters that move the cursor, ring the bell or start a
/// terminal escape sequence (`ESC [ 2 J` clears the screen). Relaying them
/// would let one user draw on everybody else's terminal.
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Removes every control character from `text`.
///
/// ```
/// use codec::chat::strip_controls;
/// assert_eq!(strip_controls("hi\u{1b}[2J there\u{7}"), "hi[2J there");
/// ```
pub fn strip_controls(text: &str) -> String {
    text.chars().filter(|&c| !is_control(c)).collect()
}

/// Why a nickname was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadNick {
    /// Nothing left (after removing control characters).
    Empty,
    /// More than [`MAX_NICK`] characters.
    TooLong,
    /// A character outside `A–Z a–z 0–9 _ -`.
    BadCharacter(char),
}

impl std::fmt::Display for BadNick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rule = "a nickname is 1 to 16 characters from A-Z a-z 0-9 _ -";
        match self {
            BadNick::Empty => write!(f, "invalid nickname: empty ({rule})"),
            BadNick::TooLong => write!(f, "invalid nickname: too long ({rule})"),
            BadNick::BadCharacter(c) => write!(f, "invalid nickname: {c:?} not allowed ({rule})"),
        }
    }
}

/// Checks a nickname: 1–[`MAX_NICK`] characters from `A–Z a–z 0–9 _ -`.
/// Control characters are removed first; the cleaned name is returned.
///
/// ```
/// use codec::chat::valid_nick;
/// assert_eq!(valid_nick("alice").as_deref(), Ok("alice"));
/// assert!(valid_nick("al ice").is_err());
/// ```
pub fn valid_nick(name: &str) -> Result<String, BadNick> {
    let name = strip_controls(name);
    if name.is_empty() {
        return Err(BadNick::Empty);
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(BadNick::BadCharacter(c));
    }
    // Only ASCII is left by now: its length in bytes is its length in characters.
    if name.len() > MAX_NICK {
        return Err(BadNick::TooLong);
    }
    Ok(name)
}

/// The form under which nicknames are compared: `Alice` and `ALICE` are the
/// same person. Nicknames are ASCII, so lower-casing ASCII is enough.
pub fn nick_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_port_is_10194() {
        assert_eq!(DEFAULT_PORT, 10194);
    }

    #[test]
    fn the_longest_server_line_is_users_in_a_full_room() {
        assert_eq!(MAX_SERVER_LINE, 17_000_005);
        let full_room = Reply::Users(vec!["x".repeat(MAX_NICK); MAX_ROOM]);
        assert_eq!(full_room.to_line().len(), MAX_SERVER_LINE);
        // A message with the longest nickname and the longest text is shorter.
        let text = "y".repeat(MAX_LINE - "MSG ".len());
        let msg = Reply::Msg {
            from: "x".repeat(MAX_NICK),
            text,
        };
        assert!(msg.to_line().len() < MAX_SERVER_LINE);
    }

    #[test]
    fn control_ranges_are_exactly_c0_del_and_c1() {
        for c in [
            '\0', '\t', '\n', '\r', '\u{1b}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9b}', '\u{9f}',
        ] {
            assert!(is_control(c), "{c:?}");
        }
        for c in [' ', '~', '\u{a0}', 'é', '€', '😀'] {
            assert!(!is_control(c), "{c:?}");
        }
    }

    #[test]
    fn nicknames_follow_the_rule() {
        assert_eq!(valid_nick("a"), Ok("a".into()));
        assert_eq!(valid_nick("Zed_9-x"), Ok("Zed_9-x".into()));
        assert_eq!(
            valid_nick("abcdefghijklmnop"),
            Ok("abcdefghijklmnop".into())
        );
        assert_eq!(valid_nick("abcdefghijklmnopq"), Err(BadNick::TooLong));
        assert_eq!(valid_nick(""), Err(BadNick::Empty));
        assert_eq!(valid_nick("\u{1b}\u{7}"), Err(BadNick::Empty));
        assert_eq!(valid_nick("bob!"), Err(BadNick::BadCharacter('!')));
        assert_eq!(valid_nick("zoé"), Err(BadNick::BadCharacter('é')));
        assert_eq!(valid_nick("a b"), Err(BadNick::BadCharacter(' ')));
        // Control characters are removed, not refused.
        assert_eq!(valid_nick("bo\u{1b}b"), Ok("bob".into()));
        assert_eq!(nick_key("AlIcE"), "alice");
    }
}
