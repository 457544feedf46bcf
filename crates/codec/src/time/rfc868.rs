//! # RFC 868, the time protocol: the time as 4 binary bytes
//!
//! The whole answer is one number: the seconds elapsed since
//! **1900-01-01T00:00:00Z**, as an unsigned 32-bit integer, most significant
//! byte first (big-endian, "network byte order"). No text, no line ending,
//! no time zone: a program reads it, a person needs a tool to.
//!
//! ```text
//!  byte 0   byte 1   byte 2   byte 3
//! +--------+--------+--------+--------+
//! |  0xEE  |  0xAF  |  0x93  |  0x72  |  = 0xEEAF9372 = 4 004 483 954 s since 1900
//! +--------+--------+--------+--------+  = 2026-11-24T04:39:14Z
//! ```
//!
//! ## The 2036 rollover, and the window real clients use
//!
//! 32 bits count at most 4 294 967 295 seconds, about 136 years: counted from
//! 1900 the counter overflows on **2036-02-07T06:28:16Z**, when it goes back
//! to 0. RFC 868 (1983) does not say what happens next. Real clients settled
//! it by reading the number as a time *after 1970*: rdate computes
//! `unix = (v − 2 208 988 800) mod 2³²`, so every value names exactly one
//! second of **1970-01-01T00:00:00Z … 2106-02-07T06:28:15Z**:
//!
//! | value        | instant                  | why                               |
//! |--------------|--------------------------|-----------------------------------|
//! | `0x83AA7E80` | 1970-01-01T00:00:00Z     | 2 208 988 800 s after 1900: Unix epoch |
//! | `0xFFFFFFFF` | 2036-02-07T06:28:15Z     | last second before the rollover   |
//! | `0x00000000` | 2036-02-07T06:28:16Z     | the counter wrapped around        |
//! | `0x83AA7E7F` | 2106-02-07T06:28:15Z     | last second of the window         |
//!
//! [`encode`] and [`decode`] use that same window, so netlab agrees with rdate
//! on every value (the interop tests check it), and keeps working after 2036.
//! Instants before 1970 or after 2106-02-07T06:28:15Z cannot be sent.
//!
//! The protocol counts whole seconds: the fraction is dropped (rounded down),
//! so a correct answer is up to one second behind the server's clock.

use std::fmt;

use jiff::Timestamp;

/// Length of the answer: always exactly 4 bytes.
pub const ANSWER_LEN: usize = 4;

/// Seconds from 1900-01-01T00:00:00Z (RFC 868's origin) to
/// 1970-01-01T00:00:00Z (the Unix epoch): 70 years, 17 of them leap years,
/// (70 × 365 + 17) × 86 400 = 2 208 988 800.
pub const SECONDS_1900_TO_1970: i64 = 2_208_988_800;

/// 2³²: how many different values 4 bytes can hold.
const WRAP: i64 = 1 << 32;

/// The first instant that can be sent: 1970-01-01T00:00:00Z (value `0x83AA7E80`).
pub const FIRST: Timestamp = Timestamp::UNIX_EPOCH;

/// The last instant that can be sent: 2106-02-07T06:28:15Z (value `0x83AA7E7F`).
pub fn last() -> Timestamp {
    Timestamp::from_second(WRAP - 1).expect("2106 is within jiff's range")
}

/// An instant that 4 bytes cannot carry: before 1970 or after 2106-02-07T06:28:15Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange {
    /// The instant that was asked for.
    pub instant: Timestamp,
}

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cannot be sent with RFC 868: its 4 bytes only name the seconds \
             from {} to {} (the window rdate and other clients use)",
            self.instant,
            FIRST,
            last()
        )
    }
}

impl std::error::Error for OutOfRange {}

/// The 32-bit value RFC 868 sends for `instant` (fractions of a second dropped).
///
/// ```
/// use codec::time::rfc868;
/// let epoch = jiff::Timestamp::UNIX_EPOCH;
/// assert_eq!(rfc868::value(epoch), Ok(0x83AA_7E80));
/// ```
pub fn value(instant: Timestamp) -> Result<u32, OutOfRange> {
    // `as_second` rounds towards zero; before 1970 that would round *up*,
    // but those instants are refused anyway.
    let unix = instant.as_second();
    if !(0..WRAP).contains(&unix) || instant < FIRST {
        return Err(OutOfRange { instant });
    }
    // The one place where the wrap-around happens: after 2036 the sum passes
    // 2³² and the counter starts again from 0, exactly as rdate expects.
    let since_1900 = (unix + SECONDS_1900_TO_1970).rem_euclid(WRAP);
    Ok(u32::try_from(since_1900).expect("rem_euclid(2^32) fits in 32 bits"))
}

/// The 4 bytes RFC 868 sends for `instant`, most significant byte first.
///
/// ```
/// use codec::time::rfc868;
/// let t: jiff::Timestamp = "2026-11-24T04:39:14Z".parse().unwrap();
/// assert_eq!(rfc868::encode(t), Ok([0xEE, 0xAF, 0x93, 0x72]));
/// ```
pub fn encode(instant: Timestamp) -> Result<[u8; ANSWER_LEN], OutOfRange> {
    Ok(value(instant)?.to_be_bytes())
}

/// The instant a 32-bit RFC 868 value names, in the 1970–2106 window.
///
/// Every value names exactly one second, so this cannot fail.
pub fn instant_of(value: u32) -> Timestamp {
    let unix = (i64::from(value) - SECONDS_1900_TO_1970).rem_euclid(WRAP);
    Timestamp::from_second(unix).expect("0 ..= 2^32 - 1 s after 1970 is within jiff's range")
}

/// The instant 4 received bytes name.
///
/// ```
/// use codec::time::rfc868;
/// assert_eq!(rfc868::decode([0, 0, 0, 0]).to_string(), "2036-02-07T06:28:16Z");
/// ```
pub fn decode(bytes: [u8; ANSWER_LEN]) -> Timestamp {
    instant_of(u32::from_be_bytes(bytes))
}

/// A reply that is not a valid RFC 868 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// Nothing at all was received.
    Empty,
    /// Some bytes arrived, but not exactly 4.
    WrongLength {
        /// How many bytes arrived.
        got: usize,
        /// True when those bytes are printable text: probably another
        /// protocol's answer (a daytime line, a greeting).
        looks_like_text: bool,
    },
}

impl AnswerError {
    /// True when the answer looks like the other protocol's: text, as a
    /// daytime server sends. A client can then say how to ask for that
    /// protocol (time-client: `--protocol daytime`).
    pub fn looks_like_daytime(&self) -> bool {
        matches!(
            self,
            AnswerError::WrongLength {
                looks_like_text: true,
                ..
            }
        )
    }
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerError::Empty => f.write_str(
                "expected 4 bytes (RFC 868), got an empty answer (TCP: the server closed \
                 without a word; UDP: an empty datagram came back, as an echo server would do) \
                 — is this really a time server? The port may belong to another service",
            ),
            AnswerError::WrongLength {
                got,
                looks_like_text,
            } => {
                write!(
                    f,
                    "expected 4 bytes (RFC 868), got {got} — is this really a time server? \
                     The port may belong to another service"
                )?;
                if *looks_like_text {
                    f.write_str(
                        ". These bytes are text, and a time server sends binary: \
                         a daytime server (RFC 867) answers with a line of text, \
                         so that may be what listens there",
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for AnswerError {}

/// Checks that a whole reply is exactly one RFC 868 answer and decodes it.
pub fn parse_answer(reply: &[u8]) -> Result<Timestamp, AnswerError> {
    match <[u8; ANSWER_LEN]>::try_from(reply) {
        Ok(bytes) => Ok(decode(bytes)),
        Err(_) if reply.is_empty() => Err(AnswerError::Empty),
        Err(_) => Err(AnswerError::WrongLength {
            got: reply.len(),
            looks_like_text: crate::text::is_readable_text(reply),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// The edges of the window, each checked against what rdate prints for
    /// the same bytes (see tests/time_interop.rs, which asks rdate itself).
    const EDGES: &[(u32, &str)] = &[
        (0x83AA_7E80, "1970-01-01T00:00:00Z"),
        (0xFFFF_FFFF, "2036-02-07T06:28:15Z"),
        (0x0000_0000, "2036-02-07T06:28:16Z"),
        (0x7FFF_FFFF, "2104-02-26T09:42:23Z"),
        (0x83AA_7E7F, "2106-02-07T06:28:15Z"),
        (0xEEAF_9372, "2026-11-24T04:39:14Z"),
    ];

    #[test]
    fn edges_decode_like_rdate() {
        for &(value, instant) in EDGES {
            assert_eq!(instant_of(value), at(instant), "value {value:#010x}");
            assert_eq!(decode(value.to_be_bytes()), at(instant));
        }
    }

    #[test]
    fn edges_encode_back_to_the_same_value() {
        for &(value, instant) in EDGES {
            assert_eq!(super::value(at(instant)), Ok(value), "{instant}");
        }
    }

    #[test]
    fn the_2036_rollover_wraps_to_zero() {
        assert_eq!(encode(at("2036-02-07T06:28:15Z")), Ok([0xFF; 4]));
        assert_eq!(encode(at("2036-02-07T06:28:16Z")), Ok([0; 4]));
        assert_eq!(encode(at("2036-02-07T06:28:17Z")), Ok([0, 0, 0, 1]));
    }

    #[test]
    fn the_unix_epoch_is_2_208_988_800() {
        assert_eq!(SECONDS_1900_TO_1970, 0x83AA_7E80);
        assert_eq!(encode(FIRST), Ok([0x83, 0xAA, 0x7E, 0x80]));
    }

    #[test]
    fn outside_the_window_is_refused() {
        assert!(value(at("1969-12-31T23:59:59Z")).is_err());
        assert!(value(at("1969-12-31T23:59:59.5Z")).is_err());
        assert!(value(at("2106-02-07T06:28:16Z")).is_err());
        assert_eq!(value(last()), Ok(0x83AA_7E7F));
        let text = value(at("1900-01-01T00:00:00Z")).unwrap_err().to_string();
        assert!(text.contains("1970-01-01T00:00:00Z"), "{text}");
    }

    #[test]
    fn fractions_of_a_second_are_dropped() {
        assert_eq!(
            value(at("2026-11-24T04:39:14.999Z")),
            value(at("2026-11-24T04:39:14Z"))
        );
    }

    #[test]
    fn now_round_trips() {
        let now = Timestamp::now();
        let back = decode(encode(now).unwrap());
        assert_eq!(back.as_second(), now.as_second());
    }

    #[test]
    fn every_second_of_a_day_round_trips() {
        let start = at("2036-02-07T00:00:00Z").as_second();
        for s in start..start + 86_400 {
            let t = Timestamp::from_second(s).unwrap();
            assert_eq!(decode(encode(t).unwrap()), t);
        }
    }

    #[test]
    fn wrong_lengths_are_explained() {
        assert_eq!(parse_answer(&[]), Err(AnswerError::Empty));
        let daytime = b"24 NOV 2026 04:39:13 UTC\r\n";
        let err = parse_answer(daytime).unwrap_err();
        assert_eq!(
            err,
            AnswerError::WrongLength {
                got: 26,
                looks_like_text: true
            }
        );
        let text = err.to_string();
        assert!(
            text.starts_with("expected 4 bytes (RFC 868), got 26"),
            "{text}"
        );
        assert!(err.looks_like_daytime());
        assert!(text.contains("a daytime server (RFC 867)"), "{text}");
        assert!(
            !text.contains("--"),
            "the codec names no program's flags: {text}"
        );
        let binary = parse_answer(&[0xEE, 0xAF, 0x96, 0x45, 0x45])
            .unwrap_err()
            .to_string();
        assert!(!binary.contains("daytime"), "{binary}");
        assert_eq!(
            parse_answer(&[0x83, 0xAA, 0x7E, 0x80]),
            Ok(Timestamp::UNIX_EPOCH)
        );
    }
}
