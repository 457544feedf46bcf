//! # What a server says
//!
//! Every server line starts with an upper-case verb: `HELLO`, `OK`, `ERR`,
//! `MSG`, `PRIV`, `JOIN`, `LEAVE`, `NICK`, `USERS`, `PONG`, `BYE`. Some are
//! answers to the client's own command (`OK`, `ERR`, `USERS`, `PONG`, `BYE`);
//! the others tell what *other people* did, at any moment: this is what makes
//! chat more than request → answer.
//!
//! The server builds a [`Reply`] and encodes it with [`Reply::to_line`] (or
//! [`Reply::to_bytes`], ready to share between every recipient of a
//! broadcast); a client turns a received line back into a `Reply` with
//! [`Reply::parse`].

use std::fmt;

use bytes::Bytes;

/// A line from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `HELLO <text>`: the greeting, first line of every connection.
    Hello(String),
    /// `OK <text>`: the command worked (`OK NICK alice`, `OK PRIV bob`, help).
    Ok(String),
    /// `ERR <reason>`: the command could not be done; the connection stays open.
    Err(String),
    /// `MSG <from> <text>`: someone wrote to everyone.
    Msg {
        /// Who wrote.
        from: String,
        /// What they wrote.
        text: String,
    },
    /// `PRIV <from> <text>`: someone wrote to you alone.
    Priv {
        /// Who wrote.
        from: String,
        /// What they wrote.
        text: String,
    },
    /// `JOIN <nick>`: someone arrived.
    Join(String),
    /// `LEAVE <nick> [reason]`: someone left.
    Leave {
        /// Who left.
        nick: String,
        /// Their `QUIT` reason, if they gave one.
        reason: Option<String>,
    },
    /// `NICK <old> <new>`: someone changed name.
    Nick {
        /// The former name.
        old: String,
        /// The new name.
        new: String,
    },
    /// `USERS <nick> <nick> …`: who is here, sorted.
    Users(Vec<String>),
    /// `PONG [token]`: the answer to `PING`.
    Pong(Option<String>),
    /// `BYE [reason]`: the server closes the connection.
    Bye(Option<String>),
}

impl Reply {
    /// The line, without its LF.
    pub fn to_line(&self) -> String {
        self.to_string()
    }

    /// The line with its LF, as shared bytes: a broadcast encodes once and
    /// every recipient's queue holds a cheap reference to the same buffer.
    pub fn to_bytes(&self) -> Bytes {
        let mut line = self.to_string();
        line.push('\n');
        Bytes::from(line)
    }

    /// Reads a server line (without its ending). `None` when the line is not
    /// chat/1: a client should then show it as it is.
    pub fn parse(line: &str) -> Option<Reply> {
        let (verb, rest) = match line.split_once(' ') {
            Some((verb, rest)) => (verb, Some(rest)),
            None => (line, None),
        };
        // A nickname is never empty and never holds a space: `JOIN `,
        // `LEAVE `, `MSG  hi` (two spaces) name nobody, `JOIN a b` names
        // no one nickname, so they are not chat/1.
        let nick = |n: &str| (!n.is_empty() && !n.contains(' ')).then(|| n.to_string());
        // A nickname, then the rest of the line (a text, a reason, a new name).
        let two = |rest: Option<&str>| {
            let (a, b) = rest?.split_once(' ')?;
            Some((nick(a)?, b.to_string()))
        };
        let text = rest.unwrap_or("").to_string();
        let optional = rest.filter(|r| !r.is_empty()).map(str::to_string);
        Some(match verb.to_ascii_uppercase().as_str() {
            "HELLO" => Reply::Hello(text),
            "OK" => Reply::Ok(text),
            "ERR" => Reply::Err(text),
            "MSG" => two(rest).map(|(from, text)| Reply::Msg { from, text })?,
            "PRIV" => two(rest).map(|(from, text)| Reply::Priv { from, text })?,
            "JOIN" => Reply::Join(nick(rest?)?),
            "LEAVE" => match rest?.split_once(' ') {
                Some((who, reason)) => Reply::Leave {
                    nick: nick(who)?,
                    reason: Some(reason.to_string()),
                },
                None => Reply::Leave {
                    nick: nick(rest?)?,
                    reason: None,
                },
            },
            "NICK" => {
                let (old, new) = two(rest)?;
                Reply::Nick {
                    old,
                    new: nick(&new)?,
                }
            }
            "USERS" => Reply::Users(
                text.split(' ')
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            "PONG" => Reply::Pong(optional),
            "BYE" => Reply::Bye(optional),
            _ => return None,
        })
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Hello(text) => write!(f, "HELLO {text}"),
            Reply::Ok(text) => write!(f, "OK {text}"),
            Reply::Err(reason) => write!(f, "ERR {reason}"),
            Reply::Msg { from, text } => write!(f, "MSG {from} {text}"),
            Reply::Priv { from, text } => write!(f, "PRIV {from} {text}"),
            Reply::Join(nick) => write!(f, "JOIN {nick}"),
            Reply::Leave { nick, reason: None } => write!(f, "LEAVE {nick}"),
            Reply::Leave {
                nick,
                reason: Some(reason),
            } => write!(f, "LEAVE {nick} {reason}"),
            Reply::Nick { old, new } => write!(f, "NICK {old} {new}"),
            // One nickname at a time: `join` would first build the whole
            // list apart (17 MB for a full room) only to copy it here.
            Reply::Users(nicks) => {
                f.write_str("USERS")?;
                nicks.iter().try_for_each(|nick| write!(f, " {nick}"))
            }
            Reply::Pong(None) => f.write_str("PONG"),
            Reply::Pong(Some(token)) => write!(f, "PONG {token}"),
            Reply::Bye(None) => f.write_str("BYE"),
            Reply::Bye(Some(reason)) => write!(f, "BYE {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<(Reply, &'static str)> {
        vec![
            (Reply::Hello("netlab chat/1".into()), "HELLO netlab chat/1"),
            (Reply::Ok("NICK alice".into()), "OK NICK alice"),
            (
                Reply::Err("nickname bob is taken".into()),
                "ERR nickname bob is taken",
            ),
            (
                Reply::Msg {
                    from: "alice".into(),
                    text: "hi  all".into(),
                },
                "MSG alice hi  all",
            ),
            (
                Reply::Priv {
                    from: "bob".into(),
                    text: "psst".into(),
                },
                "PRIV bob psst",
            ),
            (Reply::Join("carol".into()), "JOIN carol"),
            (
                Reply::Leave {
                    nick: "carol".into(),
                    reason: None,
                },
                "LEAVE carol",
            ),
            (
                Reply::Leave {
                    nick: "carol".into(),
                    reason: Some("see you".into()),
                },
                "LEAVE carol see you",
            ),
            (
                Reply::Nick {
                    old: "bob".into(),
                    new: "robert".into(),
                },
                "NICK bob robert",
            ),
            (Reply::Users(vec![]), "USERS"),
            (
                Reply::Users(vec!["alice".into(), "bob".into()]),
                "USERS alice bob",
            ),
            (Reply::Pong(None), "PONG"),
            (Reply::Pong(Some("42".into())), "PONG 42"),
            (Reply::Bye(None), "BYE"),
            (
                Reply::Bye(Some("server shutting down".into())),
                "BYE server shutting down",
            ),
        ]
    }

    #[test]
    fn every_reply_encodes_and_parses_back() {
        for (reply, line) in all() {
            assert_eq!(reply.to_line(), line);
            assert_eq!(reply.to_bytes(), Bytes::from(format!("{line}\n")));
            assert_eq!(Reply::parse(line), Some(reply));
        }
    }

    #[test]
    fn lines_that_are_not_chat1() {
        assert_eq!(Reply::parse("WHAT"), None);
        assert_eq!(Reply::parse("MSG alice"), None);
        assert_eq!(Reply::parse("JOIN"), None);
        assert_eq!(Reply::parse("LEAVE"), None);
    }

    #[test]
    fn an_empty_nickname_is_not_a_reply() {
        for line in [
            "JOIN ",
            "LEAVE ",
            "LEAVE  see you",
            "MSG  hi",
            "PRIV  psst",
            "NICK  robert",
            "NICK bob ",
        ] {
            assert_eq!(Reply::parse(line), None, "{line:?}");
        }
    }

    #[test]
    fn a_nickname_with_a_space_is_not_a_reply() {
        for line in ["JOIN a b", "NICK bob rob ert"] {
            assert_eq!(Reply::parse(line), None, "{line:?}");
        }
        // A space after the nickname starts the text or the reason.
        assert_eq!(
            Reply::parse("LEAVE a b"),
            Some(Reply::Leave {
                nick: "a".into(),
                reason: Some("b".into())
            })
        );
    }
}
