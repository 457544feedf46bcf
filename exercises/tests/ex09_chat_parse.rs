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

fn priv_(to: &str, text: &str) -> Command {
    Command::Priv {
        to: to.to_string(),
        text: text.to_string(),
    }
}

/// `debug`, cut after 60 characters: a 1 KB line is not shown whole.
fn cut(debug: String) -> String {
    if debug.chars().count() <= 60 {
        return debug;
    }
    let start: String = debug.chars().take(60).collect();
    format!("{start}…")
}

/// Asserts that `parse(line)` gives `expected`, or fails saying which line,
/// what came instead, and `rule`: the rule of the sheet it breaks.
#[track_caller]
fn check(line: &str, expected: Result<Command, ParseError>, rule: &str) {
    let got = parse(line);
    let shown = if line.len() > 60 {
        format!("{} ({} bytes)", cut(format!("{line:?}")), line.len())
    } else {
        format!("{line:?}")
    };
    assert!(
        got == expected,
        "parse({shown}): expected {}, got {}: {rule}",
        cut(format!("{expected:?}")),
        cut(format!("{got:?}"))
    );
}

#[test]
fn every_command() {
    let rule = "the commands of the table at the top of ex09_chat_parse.rs";
    check("NICK alice", Ok(nick("alice")), rule);
    check("MSG hello everyone", Ok(msg("hello everyone")), rule);
    check(
        "PRIV bob are you ok?",
        Ok(priv_("bob", "are you ok?")),
        rule,
    );
    check("LIST", Ok(Command::List), rule);
    check("PING", Ok(Command::Ping), rule);
    check("HELP", Ok(Command::Help), rule);
    check("QUIT", Ok(Command::Quit), rule);
}

#[test]
fn line_endings_are_ignored() {
    let rule = "one \\n at the end is dropped, then one \\r (telnet sends \\r\\n)";
    check("MSG hi\n", Ok(msg("hi")), rule);
    check("MSG hi\r\n", Ok(msg("hi")), rule);
    check("LIST\r\n", Ok(Command::List), rule);
    check("NICK alice\r\n", Ok(nick("alice")), rule);
    check(
        "MSG hi\r",
        Ok(msg("hi")),
        "one \\r at the end is dropped even without a \\n after it (strip the \\n, \
         then the \\r, each if it is there)",
    );
}

#[test]
fn commands_in_any_case() {
    let rule = "the command word is upper or lower case (msg = MSG); its argument is \
                kept as typed";
    check("msg hi", Ok(msg("hi")), rule);
    check("Nick Bob", Ok(nick("Bob")), rule);
    check("quit", Ok(Command::Quit), rule);
    check("pRiV Bob Hi", Ok(priv_("Bob", "Hi")), rule);
}

#[test]
fn the_command_is_the_whole_first_word() {
    let rule = "the command is the whole first word, up to the first space: a word that \
                only starts like a command is unknown (starts_with is not enough)";
    check("LISTEN", Err(ParseError::Unknown("LISTEN".into())), rule);
    check(
        "PINGPONG",
        Err(ParseError::Unknown("PINGPONG".into())),
        rule,
    );
    check(
        "quitter now",
        Err(ParseError::Unknown("quitter".into())),
        rule,
    );
    check(
        "MSGhello",
        Err(ParseError::Unknown("MSGhello".into())),
        rule,
    );
    check(
        "MSG\thi",
        Err(ParseError::Unknown("MSG\thi".into())),
        "words are separated by a space (' '), not by any whitespace: a tab is part \
         of the word (split_once(' '))",
    );
    check(
        " PING",
        Err(ParseError::Unknown(String::new())),
        "the command starts at the first character: before the first space there is \
         no word here (chat.md: a line that starts with a space is an error); do not \
         trim the line",
    );
}

#[test]
fn message_text_is_kept_as_typed() {
    let rule = "the text is everything after the space that ends the previous word, kept \
                as typed: inner, leading and trailing spaces included (no trim, no \
                split_whitespace)";
    check("MSG  two  spaces ", Ok(msg(" two  spaces ")), rule);
    check(
        "MSG NICK is not a command here",
        Ok(msg("NICK is not a command here")),
        rule,
    );
    check("PRIV bob  a  b ", Ok(priv_("bob", " a  b ")), rule);
    check("MSG Hello, World!", Ok(msg("Hello, World!")), rule);
}

#[test]
fn missing_arguments() {
    let nick_rule = "a nickname missing (nothing, or only spaces) is MissingArgument(\"nick\")";
    let text_rule = "a text missing (nothing, or only spaces) is MissingArgument(\"text\")";
    check("NICK", Err(ParseError::MissingArgument("nick")), nick_rule);
    check(
        "NICK   ",
        Err(ParseError::MissingArgument("nick")),
        nick_rule,
    );
    check("MSG", Err(ParseError::MissingArgument("text")), text_rule);
    check(
        "MSG    ",
        Err(ParseError::MissingArgument("text")),
        text_rule,
    );
    check("PRIV", Err(ParseError::MissingArgument("nick")), nick_rule);
    check(
        "PRIV bob",
        Err(ParseError::MissingArgument("text")),
        text_rule,
    );
    check(
        "PRIV bob   ",
        Err(ParseError::MissingArgument("text")),
        text_rule,
    );
}

#[test]
fn nicknames_follow_the_rules() {
    for (nick, ok, why) in [
        ("alice", true, "letters"),
        ("Bob_2-x", true, "letters, digits, _ and - are allowed"),
        ("a", true, "1 character is the minimum, allowed"),
        (
            "abcdefghijklmnop",
            true,
            "16 characters is the maximum, allowed",
        ),
        ("", false, "empty: at least 1 character"),
        ("abcdefghijklmnopq", false, "17 characters: 16 at most"),
        ("with space", false, "a space is not allowed"),
        ("émile", false, "ASCII letters only (is_ascii_alphanumeric)"),
        ("a:b", false, "':' is not allowed"),
        ("a.b", false, "'.' is not allowed"),
    ] {
        assert_eq!(valid_nick(nick), ok, "valid_nick({nick:?}): {why}");
    }
    check(
        "NICK  alice ",
        Ok(nick("alice")),
        "after NICK, spaces around the nickname are ignored",
    );
    let rule = "a nickname present but not valid is BadNick, with the nickname as typed";
    check("NICK a:b", Err(ParseError::BadNick("a:b".into())), rule);
    check(
        "NICK two words",
        Err(ParseError::BadNick("two words".into())),
        "after NICK, all the rest is the nickname (spaces around it removed): two \
         words are one invalid nickname",
    );
    check("PRIV b@d hi", Err(ParseError::BadNick("b@d".into())), rule);
    check(
        "PRIV abcdefghijklmnopq hi",
        Err(ParseError::BadNick("abcdefghijklmnopq".into())),
        "PRIV's nickname follows the same rules as NICK's (valid_nick): 16 characters at most",
    );
}

#[test]
fn empty_unknown_and_too_long_lines() {
    let empty = "an empty line, or one of spaces only, is Empty (its end of line dropped first)";
    check("", Err(ParseError::Empty), empty);
    check("   \r\n", Err(ParseError::Empty), empty);
    let unknown = "an unknown command is Unknown, with the word as typed";
    check(
        "SHOUT hi",
        Err(ParseError::Unknown("SHOUT".into())),
        unknown,
    );
    check("hello", Err(ParseError::Unknown("hello".into())), unknown);
    let long = format!("MSG {}", "x".repeat(MAX_LINE));
    check(
        &long,
        Err(ParseError::TooLong),
        "more than MAX_LINE (1024) bytes is TooLong",
    );
    // 604 characters but 1204 bytes: the limit counts bytes (`len()`).
    let wide = format!("MSG {}", "é".repeat(600));
    check(
        &wide,
        Err(ParseError::TooLong),
        "MAX_LINE counts bytes, not characters: 'é' is 2 bytes",
    );
    let just_fits = format!("MSG {}", "x".repeat(MAX_LINE - 4));
    check(
        &just_fits,
        Ok(msg(&"x".repeat(MAX_LINE - 4))),
        "exactly MAX_LINE (1024) bytes is allowed: only more is TooLong",
    );
    check(
        &format!("{just_fits}\r\n"),
        Ok(msg(&"x".repeat(MAX_LINE - 4))),
        "the end of line (\\r\\n) does not count in MAX_LINE: drop it, then measure",
    );
}

#[test]
fn commands_without_arguments_ignore_extra_words() {
    let rule = "LIST, PING, HELP and QUIT ignore anything after them";
    check("LIST please", Ok(Command::List), rule);
    check("PING 42", Ok(Command::Ping), rule);
    check("HELP me", Ok(Command::Help), rule);
    check("QUIT bye all", Ok(Command::Quit), rule);
}
