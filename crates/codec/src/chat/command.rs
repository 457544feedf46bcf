//! # What a client says
//!
//! A client line is `VERB` or `VERB SP rest`. The verb is case-insensitive
//! (`msg`, `Msg` and `MSG` are the same); the rest is split into fields by
//! single spaces, and the last field, a free text, keeps its spaces exactly.
//!
//! [`Command::parse`] turns a line into a [`Command`], or into a
//! [`BadCommand`] whose `Display` is the reason the server puts after `ERR`.
//! Control characters are removed from texts and nicknames here, once, so
//! that nothing downstream can forget to.

use std::fmt;

use super::{BadNick, MAX_LINE, is_control, line::BadLine, strip_controls, valid_nick};

/// A command from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `NICK <name>`: take or change a nickname (already validated).
    Nick(String),
    /// `MSG <text>`: to everyone in the room.
    Msg(String),
    /// `PRIV <nick> <text>`: to one person.
    Priv {
        /// Who it is for.
        to: String,
        /// What it says.
        text: String,
    },
    /// `LIST`: who is in the room?
    List,
    /// `PING [token]`: are you there? (allowed before `NICK`)
    Ping(Option<String>),
    /// `HELP`: which verbs are there?
    Help,
    /// `QUIT [reason]`: goodbye.
    Quit(Option<String>),
}

/// A line that is not a usable command; `Display` gives the `ERR` reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadCommand {
    /// The line itself was refused (too long, not UTF-8).
    Line(BadLine),
    /// An empty line.
    EmptyLine,
    /// A line that starts with a space: the verb would be empty.
    LeadingSpace,
    /// A verb that chat/1 does not have, as shown in the reason: cut after
    /// 32 characters, control characters escaped (`PING\tx`).
    UnknownVerb(String),
    /// A verb without an argument it needs.
    MissingArgument {
        /// The verb, upper case.
        verb: &'static str,
        /// What is missing, e.g. "a nickname".
        what: &'static str,
    },
    /// A text that is empty (once control characters are removed).
    EmptyText(&'static str),
    /// A nickname that breaks the rule.
    BadNick(BadNick),
}

impl fmt::Display for BadCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadCommand::Line(bad) => bad.fmt(f),
            BadCommand::EmptyLine => f.write_str("empty line: send a command (try HELP)"),
            BadCommand::LeadingSpace => f.write_str(
                "the line starts with a space: commands start at the first character (try HELP)",
            ),
            BadCommand::UnknownVerb(verb) => write!(f, "unknown command {verb} (try HELP)"),
            BadCommand::MissingArgument { verb, what } => write!(f, "{verb} needs {what}"),
            BadCommand::EmptyText(verb) => write!(f, "{verb}: empty text"),
            BadCommand::BadNick(bad) => bad.fmt(f),
        }
    }
}

impl From<BadLine> for BadCommand {
    fn from(bad: BadLine) -> BadCommand {
        BadCommand::Line(bad)
    }
}

/// What [`Command::parse`] returns, and what the server's decoder yields.
pub type Parsed = Result<Command, BadCommand>;

impl Command {
    /// Parses one line (without its ending).
    pub fn parse(line: &str) -> Parsed {
        let (verb, rest) = match line.split_once(' ') {
            Some((verb, rest)) => (verb, Some(rest)),
            None => (line, None),
        };
        if verb.is_empty() {
            // "" alone is an empty line; "" before a space means the line
            // starts with one, an easy mistake that "unknown command" (with
            // nothing after it) would not explain.
            return Err(match rest {
                None => BadCommand::EmptyLine,
                Some(_) => BadCommand::LeadingSpace,
            });
        }
        match verb.to_ascii_uppercase().as_str() {
            "NICK" => {
                let name = rest
                    .filter(|r| !r.is_empty())
                    .ok_or(BadCommand::MissingArgument {
                        verb: "NICK",
                        what: "a nickname: NICK <name>",
                    })?;
                valid_nick(name)
                    .map(Command::Nick)
                    .map_err(BadCommand::BadNick)
            }
            "MSG" => {
                let text = rest.ok_or(BadCommand::MissingArgument {
                    verb: "MSG",
                    what: "a text: MSG <text>",
                })?;
                Ok(Command::Msg(text_field("MSG", text)?))
            }
            "PRIV" => {
                let missing = BadCommand::MissingArgument {
                    verb: "PRIV",
                    what: "a nickname and a text: PRIV <nick> <text>",
                };
                let rest = rest.filter(|r| !r.is_empty()).ok_or(missing.clone())?;
                let (to, text) = rest.split_once(' ').ok_or(missing)?;
                let to = valid_nick(to).map_err(BadCommand::BadNick)?;
                Ok(Command::Priv {
                    to,
                    text: text_field("PRIV", text)?,
                })
            }
            "LIST" => Ok(Command::List),
            "PING" => Ok(Command::Ping(optional_field(rest))),
            "HELP" => Ok(Command::Help),
            "QUIT" => Ok(Command::Quit(optional_field(rest))),
            _ => Err(BadCommand::UnknownVerb(escape_controls(&shorten(verb)))),
        }
    }

    /// The line for this command, without its ending (what a client sends).
    pub fn to_line(&self) -> String {
        match self {
            Command::Nick(name) => format!("NICK {name}"),
            Command::Msg(text) => format!("MSG {text}"),
            Command::Priv { to, text } => format!("PRIV {to} {text}"),
            Command::List => "LIST".to_string(),
            Command::Ping(None) => "PING".to_string(),
            Command::Ping(Some(token)) => format!("PING {token}"),
            Command::Help => "HELP".to_string(),
            Command::Quit(None) => "QUIT".to_string(),
            Command::Quit(Some(reason)) => format!("QUIT {reason}"),
        }
    }

    /// Does this command fit in one line of at most [`MAX_LINE`] bytes?
    /// A client checks before sending, so the user is told instead of the server.
    pub fn fits(&self) -> bool {
        self.to_line().len() <= MAX_LINE
    }
}

/// A text field: control characters removed, must not be empty.
fn text_field(verb: &'static str, text: &str) -> Result<String, BadCommand> {
    let text = strip_controls(text);
    if text.is_empty() {
        Err(BadCommand::EmptyText(verb))
    } else {
        Ok(text)
    }
}

/// An optional field (`PING [token]`, `QUIT [reason]`): absent when empty.
fn optional_field(rest: Option<&str>) -> Option<String> {
    rest.map(strip_controls).filter(|r| !r.is_empty())
}

/// Shows control characters as escapes (a tab as `\t`, ESC as `\u{1b}`).
///
/// An unknown verb is echoed in the `ERR` line, and a verb like `PING\tx`
/// (a tab where a space should be) is only understandable if the tab is
/// *seen*: removing it would show `PINGx`. Escaping also keeps the control
/// characters themselves off the user's terminal.
fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_control(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// An unknown verb is echoed in the `ERR` line: keep that echo short.
fn shorten(verb: &str) -> String {
    const MAX: usize = 32;
    match verb.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &verb[..cut]),
        None => verb.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Parsed {
        Command::parse(line)
    }

    #[test]
    fn nick() {
        assert_eq!(parse("NICK alice"), Ok(Command::Nick("alice".into())));
        assert_eq!(parse("nick Bob_2"), Ok(Command::Nick("Bob_2".into())));
        assert_eq!(parse("NiCk x-y"), Ok(Command::Nick("x-y".into())));
    }

    #[test]
    fn nick_errors() {
        assert!(matches!(
            parse("NICK"),
            Err(BadCommand::MissingArgument { verb: "NICK", .. })
        ));
        assert!(matches!(
            parse("NICK "),
            Err(BadCommand::MissingArgument { verb: "NICK", .. })
        ));
        assert_eq!(
            parse("NICK al ice"),
            Err(BadCommand::BadNick(BadNick::BadCharacter(' ')))
        );
        assert_eq!(
            parse("NICK éric"),
            Err(BadCommand::BadNick(BadNick::BadCharacter('é')))
        );
        assert_eq!(
            parse("NICK abcdefghijklmnopq"),
            Err(BadCommand::BadNick(BadNick::TooLong))
        );
        assert_eq!(
            parse("NICK \u{1b}"),
            Err(BadCommand::BadNick(BadNick::Empty))
        );
    }

    #[test]
    fn nick_control_characters_are_removed() {
        assert_eq!(parse("NICK al\u{7}ice"), Ok(Command::Nick("alice".into())));
    }

    #[test]
    fn msg_keeps_its_spaces() {
        assert_eq!(
            parse("MSG hello world"),
            Ok(Command::Msg("hello world".into()))
        );
        assert_eq!(
            parse("msg  two  spaces "),
            Ok(Command::Msg(" two  spaces ".into()))
        );
        assert_eq!(parse("MSG café ☕"), Ok(Command::Msg("café ☕".into())));
    }

    #[test]
    fn msg_errors() {
        assert!(matches!(
            parse("MSG"),
            Err(BadCommand::MissingArgument { verb: "MSG", .. })
        ));
        assert_eq!(parse("MSG "), Err(BadCommand::EmptyText("MSG")));
        assert_eq!(parse("MSG \u{1b}\u{7}"), Err(BadCommand::EmptyText("MSG")));
    }

    #[test]
    fn msg_control_characters_are_removed() {
        assert_eq!(
            parse("MSG \u{1b}[2Jgotcha\u{9b}\u{7f}\t!"),
            Ok(Command::Msg("[2Jgotcha!".into()))
        );
        assert_eq!(parse("MSG a\u{0}b\u{85}c"), Ok(Command::Msg("abc".into())));
    }

    #[test]
    fn priv_() {
        assert_eq!(
            parse("PRIV bob see you at 5"),
            Ok(Command::Priv {
                to: "bob".into(),
                text: "see you at 5".into()
            })
        );
        assert_eq!(
            parse("priv Bob  x"),
            Ok(Command::Priv {
                to: "Bob".into(),
                text: " x".into()
            })
        );
    }

    #[test]
    fn priv_errors() {
        assert!(matches!(
            parse("PRIV"),
            Err(BadCommand::MissingArgument { verb: "PRIV", .. })
        ));
        assert!(matches!(
            parse("PRIV "),
            Err(BadCommand::MissingArgument { verb: "PRIV", .. })
        ));
        assert!(matches!(
            parse("PRIV bob"),
            Err(BadCommand::MissingArgument { verb: "PRIV", .. })
        ));
        assert_eq!(parse("PRIV bob "), Err(BadCommand::EmptyText("PRIV")));
        assert_eq!(parse("PRIV bob \u{7}"), Err(BadCommand::EmptyText("PRIV")));
        assert_eq!(
            parse("PRIV b!b hi"),
            Err(BadCommand::BadNick(BadNick::BadCharacter('!')))
        );
        assert_eq!(parse("PRIV  hi"), Err(BadCommand::BadNick(BadNick::Empty)));
    }

    #[test]
    fn list_help_ping_quit() {
        assert_eq!(parse("LIST"), Ok(Command::List));
        assert_eq!(parse("list"), Ok(Command::List));
        assert_eq!(parse("HELP"), Ok(Command::Help));
        assert_eq!(parse("PING"), Ok(Command::Ping(None)));
        assert_eq!(parse("PING "), Ok(Command::Ping(None)));
        assert_eq!(parse("ping 42 x"), Ok(Command::Ping(Some("42 x".into()))));
        assert_eq!(parse("QUIT"), Ok(Command::Quit(None)));
        assert_eq!(
            parse("Quit see you\u{7}"),
            Ok(Command::Quit(Some("see you".into())))
        );
    }

    #[test]
    fn unknown_and_empty() {
        assert_eq!(parse("HELLO"), Err(BadCommand::UnknownVerb("HELLO".into())));
        assert_eq!(
            parse("hello there"),
            Err(BadCommand::UnknownVerb("hello".into()))
        );
        assert_eq!(parse(""), Err(BadCommand::EmptyLine));
        assert_eq!(parse(" MSG x"), Err(BadCommand::LeadingSpace));
        let long = "X".repeat(100);
        let Err(BadCommand::UnknownVerb(shown)) = parse(&long) else {
            panic!()
        };
        assert_eq!(shown.chars().count(), 33);
    }

    #[test]
    fn reasons_are_readable() {
        assert_eq!(
            parse("FOO").unwrap_err().to_string(),
            "unknown command FOO (try HELP)"
        );
        assert_eq!(
            parse("MSG").unwrap_err().to_string(),
            "MSG needs a text: MSG <text>"
        );
        assert_eq!(parse("MSG ").unwrap_err().to_string(), "MSG: empty text");
    }

    #[test]
    fn a_leading_space_is_named() {
        for line in [" PING", "  MSG hi", " "] {
            assert_eq!(parse(line), Err(BadCommand::LeadingSpace), "{line:?}");
        }
        assert_eq!(
            parse(" PING").unwrap_err().to_string(),
            "the line starts with a space: commands start at the first character (try HELP)"
        );
    }

    #[test]
    fn control_characters_in_an_unknown_verb_are_shown_escaped() {
        assert_eq!(
            parse("PING\tx"),
            Err(BadCommand::UnknownVerb("PING\\tx".into()))
        );
        assert_eq!(
            parse("PING\tx").unwrap_err().to_string(),
            "unknown command PING\\tx (try HELP)"
        );
        assert_eq!(
            parse("\u{1b}[2J hi").unwrap_err().to_string(),
            "unknown command \\u{1b}[2J (try HELP)"
        );
        // Cut after 32 characters *before* escaping: never half an escape.
        let long = format!("{}\t", "X".repeat(31));
        let Err(BadCommand::UnknownVerb(shown)) = parse(&long) else {
            panic!()
        };
        assert_eq!(shown, format!("{}\\t", "X".repeat(31)));
        let Err(BadCommand::UnknownVerb(shown)) = parse(&format!("{long}\t")) else {
            panic!()
        };
        assert!(shown.ends_with("\\t…"), "{shown}");
    }

    #[test]
    fn lines_round_trip() {
        for command in [
            Command::Nick("alice".into()),
            Command::Msg("hi  there".into()),
            Command::Priv {
                to: "bob".into(),
                text: "psst".into(),
            },
            Command::List,
            Command::Ping(None),
            Command::Ping(Some("7".into())),
            Command::Help,
            Command::Quit(None),
            Command::Quit(Some("bye all".into())),
        ] {
            assert_eq!(parse(&command.to_line()), Ok(command.clone()));
        }
        assert!(Command::Msg("a".repeat(1020)).fits());
        assert!(!Command::Msg("a".repeat(1021)).fits());
    }
}
