//! Exercise 9: the chat command parser (no network needed).

mod common;

use common::within;
use exercises::ex09_chat_parse::{self, Command, MAX_LINE, ParseError};

// The student's functions, each call with a time limit: an endless loop is a
// red test, not a test run that never ends.
fn parse(line: &str) -> Result<Command, ParseError> {
    // Named by its start only in a failure: one test sends a 1 KB line.
    let what = format!("parse({:?})", line.get(..40).unwrap_or(line));
    let line = line.to_string();
    within(&what, move || ex09_chat_parse::parse(&line))
}

fn valid_nick(nick: &str) -> bool {
    let nick = nick.to_string();
    within(&format!("valid_nick({nick:?})"), move || {
        ex09_chat_parse::valid_nick(&nick)
    })
}

fn nick(s: &str) -> Command {
    Command::Nick(s.to_string())
}

fn msg(s: &str) -> Command {
    Command::Msg(s.to_string())
}

#[test]
fn every_command() {
    assert_eq!(parse("NICK alice"), Ok(nick("alice")));
    assert_eq!(parse("MSG hello everyone"), Ok(msg("hello everyone")));
    assert_eq!(
        parse("PRIV bob are you ok?"),
        Ok(Command::Priv {
            to: "bob".into(),
            text: "are you ok?".into()
        })
    );
    assert_eq!(parse("LIST"), Ok(Command::List));
    assert_eq!(parse("PING"), Ok(Command::Ping));
    assert_eq!(parse("HELP"), Ok(Command::Help));
    assert_eq!(parse("QUIT"), Ok(Command::Quit));
}

#[test]
fn line_endings_are_ignored() {
    assert_eq!(parse("MSG hi\n"), Ok(msg("hi")));
    assert_eq!(parse("MSG hi\r\n"), Ok(msg("hi")));
    assert_eq!(parse("LIST\r\n"), Ok(Command::List));
}

#[test]
fn commands_in_any_case() {
    assert_eq!(parse("msg hi"), Ok(msg("hi")));
    assert_eq!(parse("Nick Bob"), Ok(nick("Bob")));
    assert_eq!(parse("quit"), Ok(Command::Quit));
}

#[test]
fn message_text_is_kept_as_typed() {
    assert_eq!(parse("MSG  two  spaces "), Ok(msg(" two  spaces ")));
    assert_eq!(
        parse("MSG NICK is not a command here"),
        Ok(msg("NICK is not a command here"))
    );
    assert_eq!(
        parse("PRIV bob  a  b "),
        Ok(Command::Priv {
            to: "bob".into(),
            text: " a  b ".into()
        }),
        "the text of PRIV is kept as typed too, after the space that ends the nickname"
    );
}

#[test]
fn missing_arguments() {
    assert_eq!(parse("NICK"), Err(ParseError::MissingArgument("nick")));
    assert_eq!(parse("NICK   "), Err(ParseError::MissingArgument("nick")));
    assert_eq!(parse("MSG"), Err(ParseError::MissingArgument("text")));
    assert_eq!(parse("MSG    "), Err(ParseError::MissingArgument("text")));
    assert_eq!(parse("PRIV"), Err(ParseError::MissingArgument("nick")));
    assert_eq!(parse("PRIV bob"), Err(ParseError::MissingArgument("text")));
    assert_eq!(
        parse("PRIV bob   "),
        Err(ParseError::MissingArgument("text"))
    );
}

#[test]
fn nicknames_follow_the_rules() {
    assert!(valid_nick("alice"));
    assert!(valid_nick("Bob_2-x"));
    assert!(valid_nick("a"));
    assert!(
        valid_nick("abcdefghijklmnop"),
        "16 characters is the maximum, allowed"
    );
    assert!(!valid_nick(""), "empty");
    assert!(!valid_nick("abcdefghijklmnopq"), "17 characters");
    assert!(!valid_nick("with space"));
    assert!(!valid_nick("émile"), "ASCII only");
    assert!(!valid_nick("a:b"));
    assert_eq!(
        parse("NICK  alice "),
        Ok(nick("alice")),
        "spaces around the nickname are ignored"
    );
    assert_eq!(parse("NICK a:b"), Err(ParseError::BadNick("a:b".into())));
    assert_eq!(
        parse("NICK two words"),
        Err(ParseError::BadNick("two words".into()))
    );
    assert_eq!(parse("PRIV b@d hi"), Err(ParseError::BadNick("b@d".into())));
}

#[test]
fn empty_unknown_and_too_long_lines() {
    assert_eq!(parse(""), Err(ParseError::Empty));
    assert_eq!(parse("   \r\n"), Err(ParseError::Empty));
    assert_eq!(parse("SHOUT hi"), Err(ParseError::Unknown("SHOUT".into())));
    assert_eq!(parse("hello"), Err(ParseError::Unknown("hello".into())));
    let long = format!("MSG {}", "x".repeat(MAX_LINE));
    assert_eq!(parse(&long), Err(ParseError::TooLong));
    // 604 characters but 1204 bytes: the limit counts bytes (`len()`).
    let wide = format!("MSG {}", "é".repeat(600));
    assert_eq!(
        parse(&wide),
        Err(ParseError::TooLong),
        "MAX_LINE counts bytes, not characters: 'é' is 2 bytes"
    );
    let just_fits = format!("MSG {}", "x".repeat(MAX_LINE - 4));
    assert_eq!(
        parse(&format!("{just_fits}\r\n")),
        Ok(msg(&"x".repeat(MAX_LINE - 4)))
    );
}

#[test]
fn commands_without_arguments_ignore_extra_words() {
    assert_eq!(parse("LIST please"), Ok(Command::List));
    assert_eq!(parse("PING 42"), Ok(Command::Ping));
}
