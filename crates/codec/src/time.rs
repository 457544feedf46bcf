//! # The time pair: RFC 868 (time) and RFC 867 (daytime)
//!
//! Two tiny protocols that answer the same question — *what time is it?* —
//! in two different languages:
//!
//! | service | port | answer                                   | kind of protocol |
//! |---------|------|------------------------------------------|------------------|
//! | time    | 37   | 4 bytes: seconds since 1900, big-endian  | binary           |
//! | daytime | 13   | one line of text a person can read       | text             |
//!
//! **Course ideas.** A protocol is a common language: a program that expects
//! four binary bytes cannot make sense of a line of text, and the other way
//! round (point `time-client` at the wrong port and it says so). These are
//! also the first servers that *speak first*: the client only connects (TCP)
//! or sends an empty datagram (UDP), and the server answers straight away.
//!
//! Both are *sans-I/O* here: [`rfc868`] turns an instant into 4 bytes and
//! back, [`daytime`] turns it into a line and back. They are plain functions,
//! not tokio-util `Decoder`s: each exchange carries exactly one message, and
//! the end of the connection (or the datagram) is the end of the message, so
//! there is no stream to cut into frames. Sockets and clocks live
//! in the `time` crate. The instants are [`jiff::Timestamp`]s, and every
//! calendar computation (days per month, leap years, weekdays) is jiff's —
//! never hand-written.

pub mod daytime;
pub mod rfc868;

pub use jiff::Timestamp;

use crate::ports;

/// Port of the time service (RFC 868) that netlab's time-server uses by default.
pub const DEFAULT_TIME_PORT: u16 = ports::netlab_default(ports::TIME);

/// Port of the daytime service (RFC 867) that netlab's time-server uses by default.
pub const DEFAULT_DAYTIME_PORT: u16 = ports::netlab_default(ports::DAYTIME);

/// Which of the two protocols is spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// RFC 868: 4 binary bytes.
    Time,
    /// RFC 867: one line of text.
    Daytime,
}

impl Protocol {
    /// Its name and RFC, as logs and messages print it: `time (RFC 868)`.
    pub const fn label(self) -> &'static str {
        match self {
            Protocol::Time => "time (RFC 868)",
            Protocol::Daytime => "daytime (RFC 867)",
        }
    }

    /// netlab's default port for it (well-known port + 10000).
    pub const fn default_port(self) -> u16 {
        match self {
            Protocol::Time => DEFAULT_TIME_PORT,
            Protocol::Daytime => DEFAULT_DAYTIME_PORT,
        }
    }

    /// The whole answer a server sends at instant `now`.
    ///
    /// Fails only for the time protocol, outside the years its 32 bits can
    /// name (see [`rfc868::encode`]).
    pub fn answer(self, now: Timestamp) -> Result<Vec<u8>, rfc868::OutOfRange> {
        match self {
            Protocol::Time => Ok(rfc868::encode(now)?.to_vec()),
            Protocol::Daytime => Ok(daytime::line(now).into_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ports_are_well_known_plus_10000() {
        assert_eq!(Protocol::Time.default_port(), 10037);
        assert_eq!(Protocol::Daytime.default_port(), 10013);
    }

    #[test]
    fn answers_are_4_bytes_or_one_line() {
        let t: Timestamp = "2026-11-24T03:38:07Z".parse().unwrap();
        assert_eq!(Protocol::Time.answer(t).unwrap().len(), 4);
        let line = Protocol::Daytime.answer(t).unwrap();
        assert!(line.ends_with(b"\r\n"));
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
    }
}
