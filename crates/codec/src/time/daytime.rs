//! # RFC 867, the daytime protocol: the time as one line of text
//!
//! The server sends the current date and time as text a person can read, and
//! that is the whole protocol. RFC 867 deliberately fixes **no format**
//! ("there is no specific syntax for the daytime"), and only recommends ASCII
//! printing characters, spaces, carriage return and line feed.
//!
//! ## What netlab sends
//!
//! netlab's time-server sends the classic form RFC 867 itself shows as an
//! example, always in UTC (a server cannot know its clients' time zones), and
//! ends it with CR LF as Internet text lines do:
//!
//! ```text
//! Tuesday, November 24, 2026 03:38:07-UTC\r\n
//! ```
//!
//! That is [`FORMAT`] (a jiff `strftime` pattern) plus `"\r\n"`; see [`line()`].
//!
//! ## What netlab reads
//!
//! Because the format is free, a client can only *try* to understand the line.
//! [`parse`] knows the formats real servers send:
//!
//! | server                       | line                                      |
//! |------------------------------|-------------------------------------------|
//! | netlab, RFC 867's example    | `Tuesday, November 24, 2026 03:38:07-UTC` |
//! | RFC 3339 / ISO 8601          | `2026-11-24T03:38:07Z`, `…+01:00`          |
//! | xinetd's internal daytime    | `24 NOV 2026 03:38:07 UTC`                |
//! | `date` (UTC)                 | `Tue Nov 24 03:38:07 UTC 2026`            |
//! | BSD inetd (`ctime`)          | `Tue Nov 24 03:38:07 2026` — no time zone! |
//!
//! A line without a time zone (or with a zone abbreviation other than
//! UTC/GMT, such as `CET`, which can be ambiguous) names a wall-clock time,
//! not an instant: [`parse`] says so instead of guessing.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::fmt::strtime::BrokenDownTime;
use jiff::tz::TimeZone;

/// The line netlab sends, as a jiff `strftime` pattern (always in UTC).
/// `%-d` is the day without a leading zero, as in RFC 867's example.
pub const FORMAT: &str = "%A, %B %-d, %Y %H:%M:%S-UTC";

/// Length of the shortest line netlab sends, CR LF included:
/// `Monday, May 4, 2026 12:00:00-UTC\r\n` (a 6-letter weekday, May, one digit).
pub const MIN_LINE_LEN: usize = 34;

/// Length of the longest line netlab sends, CR LF included:
/// `Wednesday, September 29, 2027 12:00:00-UTC\r\n`.
pub const MAX_LINE_LEN: usize = 44;

/// How long a daytime line may be before a client stops reading. RFC 867
/// lines are a few dozen characters; this bounds what a wrong peer can send.
pub const MAX_LINE: usize = 512;

/// The line netlab's daytime service sends at `instant`, with its CR LF.
///
/// ```
/// use codec::time::daytime;
/// let t: jiff::Timestamp = "2026-11-24T03:38:07Z".parse().unwrap();
/// assert_eq!(daytime::line(t), "Tuesday, November 24, 2026 03:38:07-UTC\r\n");
/// ```
pub fn line(instant: Timestamp) -> String {
    format!("{}\r\n", instant.strftime(FORMAT))
}

/// Formats with an explicit UTC marker, as `strptime` patterns.
/// Matching ignores letter case (xinetd writes `NOV`).
const UTC_FORMATS: &[&str] = &[
    "%A, %B %d, %Y %H:%M:%S-UTC", // netlab, RFC 867's example
    "%A, %B %d, %Y %H:%M:%S-GMT",
    "%d %b %Y %H:%M:%S UTC", // xinetd
    "%d %b %Y %H:%M:%S GMT",
    "%a %b %d %H:%M:%S UTC %Y", // date(1)
    "%a %b %d %H:%M:%S GMT %Y",
];

/// Formats that name a wall-clock time in a zone they do not give.
const ZONELESS_FORMATS: &[&str] = &[
    "%a %b %d %H:%M:%S %Y", // ctime, BSD inetd
    "%d %b %Y %H:%M:%S %Z", // xinetd with a local zone abbreviation
    "%a %b %d %H:%M:%S %Z %Y",
    "%A, %B %d, %Y %H:%M:%S-%Z",
];

/// A reply that is not a daytime line netlab can understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// Nothing at all was received.
    Empty,
    /// Bytes that are not text (binary, or control characters).
    NotText {
        /// How many bytes arrived.
        got: usize,
    },
    /// Text, but in no format [`parse`] knows.
    Unrecognized {
        /// The line, without its line ending.
        line: String,
    },
    /// A wall-clock time without a usable time zone: not one instant.
    NoTimeZone {
        /// The line, without its line ending.
        line: String,
        /// The date and time it names, in some unknown zone.
        civil: DateTime,
    },
}

impl LineError {
    /// True when the answer looks like the other protocol's: 4 bytes that
    /// are not text, the size of an RFC 868 answer. A client can then say
    /// how to ask for that protocol (time-client: `--protocol time`).
    pub fn looks_like_time(&self) -> bool {
        *self == LineError::NotText { got: 4 }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::Empty => f.write_str(
                "expected a line of text (RFC 867), got an empty answer (TCP: the server closed \
                 without a word; UDP: an empty datagram came back, as an echo server would do) \
                 — is this really a daytime server? The port may belong to another service",
            ),
            LineError::NotText { got: 4 } => f.write_str(
                "expected a line of text (RFC 867), got 4 bytes that are not text — \
                 exactly the size of an RFC 868 time answer: this port probably belongs to \
                 a time server",
            ),
            LineError::NotText { got } => write!(
                f,
                "expected a line of text (RFC 867), got {got} bytes that are not text — \
                 is this really a daytime server? The port may belong to another service"
            ),
            LineError::Unrecognized { line } => write!(
                f,
                "the server sent text, as RFC 867 asks, but {line:?} is in no date format \
                 time-client knows (RFC 867 does not fix one), so it cannot be compared \
                 with this machine's clock"
            ),
            LineError::NoTimeZone { line, civil } => write!(
                f,
                "the server sent {line:?}: the date and time {civil}, but without a time zone \
                 time-client can trust (only UTC, GMT or a numeric offset name one instant), \
                 so it cannot be compared with this machine's clock"
            ),
        }
    }
}

impl std::error::Error for LineError {}

/// Checks that a reply is text and returns its first line, without line ending.
///
/// RFC 867 asks for "ASCII printing characters, space, carriage return, and
/// line feed"; tabs, letters of any alphabet (`é`) and common symbols (`—`,
/// `€`) are tolerated, but not control or private-use characters: 4 binary
/// bytes are sometimes valid UTF-8 by chance.
pub fn text_of(reply: &[u8]) -> Result<&str, LineError> {
    if reply.is_empty() {
        return Err(LineError::Empty);
    }
    let text = match std::str::from_utf8(reply) {
        Ok(text) if crate::text::is_readable_text(reply) => text,
        _ => return Err(LineError::NotText { got: reply.len() }),
    };
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    Ok(first)
}

/// Reads the instant a daytime line names (its line ending already removed
/// or not: surrounding spaces and CR LF are ignored).
///
/// ```
/// use codec::time::daytime;
/// let netlab = daytime::parse("Tuesday, November 24, 2026 03:38:07-UTC").unwrap();
/// let xinetd = daytime::parse("24 NOV 2026 03:38:07 UTC\r\n").unwrap();
/// let rfc3339 = daytime::parse("2026-11-24T04:38:07+01:00").unwrap();
/// assert_eq!(netlab, xinetd);
/// assert_eq!(netlab, rfc3339);
/// ```
pub fn parse(line: &str) -> Result<Timestamp, LineError> {
    let line = line.trim();
    if line.is_empty() {
        return Err(LineError::Empty);
    }
    // RFC 3339 (and jiff's other ISO 8601 forms with an offset or `Z`).
    if let Ok(instant) = line.parse::<Timestamp>() {
        return Ok(instant);
    }
    for format in UTC_FORMATS {
        if let Some(civil) = civil(format, line) {
            if let Ok(zoned) = civil.to_zoned_datetime(TimeZone::UTC) {
                return Ok(zoned.timestamp());
            }
        }
    }
    for format in ZONELESS_FORMATS {
        if let Some(civil) = civil(format, line) {
            return Err(LineError::NoTimeZone {
                line: line.to_string(),
                civil,
            });
        }
    }
    Err(LineError::Unrecognized {
        line: line.to_string(),
    })
}

/// The date and time in `line`, if it matches `format` entirely.
///
/// jiff cannot parse `%Z` (zone abbreviations are ambiguous: `IST` is used in
/// India, Ireland and Israel), so for formats with `%Z` we look for a run of
/// 2 to 6 letters standing alone, take it out, and parse the rest.
fn civil(format: &str, line: &str) -> Option<DateTime> {
    let Some((before, after)) = format.split_once("%Z") else {
        return BrokenDownTime::parse(format, line).ok()?.to_datetime().ok();
    };
    let without_zone = format!("{before}{after}");
    let bytes = line.as_bytes();
    for (start, _) in line.char_indices() {
        let zone_len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let standalone = start > 0 && !bytes[start - 1].is_ascii_alphabetic();
        if !standalone || !(2..=6).contains(&zone_len) {
            continue;
        }
        let rest = format!("{}{}", &line[..start], &line[start + zone_len..]);
        if let Some(civil) = BrokenDownTime::parse(&without_zone, &rest)
            .ok()
            .and_then(|tm| tm.to_datetime().ok())
        {
            return Some(civil);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn netlab_sends_rfc_867_s_classic_form() {
        assert_eq!(
            line(at("2026-11-24T03:38:07Z")),
            "Tuesday, November 24, 2026 03:38:07-UTC\r\n"
        );
        // No leading zero on the day, leading zeros on the time.
        assert_eq!(
            line(at("1970-01-01T00:00:00Z")),
            "Thursday, January 1, 1970 00:00:00-UTC\r\n"
        );
        assert_eq!(
            line(at("2036-02-07T06:28:16.75Z")),
            "Thursday, February 7, 2036 06:28:16-UTC\r\n"
        );
    }

    #[test]
    fn every_day_s_line_is_34_to_44_bytes() {
        // The length depends on the weekday, the month and the day's digits:
        // a test must never expect one length (41 is only some days').
        let shortest = line(at("2026-05-04T12:00:00Z"));
        assert_eq!(shortest, "Monday, May 4, 2026 12:00:00-UTC\r\n");
        assert_eq!(shortest.len(), MIN_LINE_LEN);
        let start = at("2026-01-01T12:00:00Z").as_second();
        let lengths: Vec<usize> = (0..366 * 7)
            .map(|day| line(Timestamp::from_second(start + day * 86_400).unwrap()).len())
            .collect();
        assert_eq!(lengths.iter().min(), Some(&MIN_LINE_LEN));
        assert_eq!(lengths.iter().max(), Some(&MAX_LINE_LEN));
    }

    #[test]
    fn the_longest_line_is_44_bytes() {
        // The longest weekday and month names: Wednesday, September.
        let longest = line(at("2027-09-29T12:00:00Z"));
        assert_eq!(longest, "Wednesday, September 29, 2027 12:00:00-UTC\r\n");
        assert_eq!(longest.len(), MAX_LINE_LEN);
        assert!(longest.len() < MAX_LINE);
    }

    #[test]
    fn what_we_send_we_read_back() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "2106-02-07T06:28:15Z",
        ] {
            assert_eq!(parse(&line(at(s))), Ok(at(s)), "{s}");
        }
    }

    #[test]
    fn other_servers_formats_are_understood() {
        let expected = at("2026-11-24T04:39:13Z");
        for text in [
            "24 NOV 2026 04:39:13 UTC\r\n", // xinetd, as captured from xinetd 2.3.15
            "24 Nov 2026 04:39:13 GMT",
            "Tue Nov 24 04:39:13 UTC 2026",
            "2026-11-24T04:39:13Z",
            "2026-11-24T05:39:13+01:00",
            "  Tuesday, November 24, 2026 04:39:13-UTC  ",
        ] {
            assert_eq!(parse(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn single_digit_days_may_be_space_padded() {
        assert_eq!(
            parse("Tue Nov  3 04:39:13 UTC 2026"),
            Ok(at("2026-11-03T04:39:13Z"))
        );
        assert_eq!(
            parse("3 NOV 2026 04:39:13 UTC"),
            Ok(at("2026-11-03T04:39:13Z"))
        );
    }

    #[test]
    fn a_wrong_weekday_is_not_accepted() {
        assert!(parse("Monday, November 24, 2026 04:39:13-UTC").is_err());
    }

    #[test]
    fn wall_clock_times_without_a_zone_are_not_guessed() {
        for text in [
            "Tue Nov 24 04:39:13 2026",
            "24 NOV 2026 05:39:13 CET",
            "Tuesday, November 24, 2026 04:39:13-PST",
        ] {
            match parse(text) {
                Err(LineError::NoTimeZone { line, .. }) => assert_eq!(line, text),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        let err = parse("Tue Nov 24 04:39:13 2026").unwrap_err().to_string();
        assert!(err.contains("2026-11-24T04:39:13"), "{err}");
        assert!(err.contains("time zone"), "{err}");
    }

    #[test]
    fn unknown_text_is_reported_as_such() {
        let err = parse("hello").unwrap_err();
        assert_eq!(
            err,
            LineError::Unrecognized {
                line: "hello".into()
            }
        );
        assert!(err.to_string().contains("RFC 867 does not fix one"));
    }

    #[test]
    fn replies_must_be_text() {
        assert_eq!(text_of(b""), Err(LineError::Empty));
        assert_eq!(
            text_of(b"\r\n24 NOV 2026 04:39:13 UTC\r\n"),
            Ok("24 NOV 2026 04:39:13 UTC")
        );
        let four = text_of(&[0xEE, 0xAF, 0x93, 0x72]).unwrap_err();
        assert_eq!(four, LineError::NotText { got: 4 });
        assert!(four.looks_like_time());
        assert!(four.to_string().contains("a time server"), "{four}");
        // The codec names no program's flags: each client adds its own.
        assert!(!four.to_string().contains("--"), "{four}");
        assert_eq!(text_of(b"abc\x00def"), Err(LineError::NotText { got: 7 }));
        let other = text_of(&[0xff; 9]).unwrap_err().to_string();
        assert!(other.contains("got 9 bytes"), "{other}");
    }
}
