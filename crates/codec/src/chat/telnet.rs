//! # Telnet commands mixed into a line
//!
//! `telnet` is a real chat/1 client (the protocol is typed by hand), but it
//! speaks a little more than plain text: the Telnet protocol (RFC 854) lets
//! the two ends send *commands* in the middle of the data. Each starts with
//! the byte IAC, 0xFF ("interpret as command"). Pressing Ctrl-C in telnet,
//! for example, sends `IAC IP IAC DO TIMING-MARK` (`ff f4 ff fd 06`:
//! "interrupt the process", then "tell me when you got this"). Nothing ends
//! that with an LF, so those five bytes arrive at the start of the user's
//! next line.
//!
//! chat/1 is not Telnet, but it must answer one kind of command: an option
//! request (`DO x`: "please do x"; `WILL x`: "I would like to do x") waits
//! for a yes or a no, and telnet, after its Ctrl-C, throws away everything
//! the server sends until its `DO TIMING-MARK` is answered. So every
//! request gets the polite no of RFC 854 (`WONT x`, `DONT x`), collected by
//! [`strip_commands`] for the server to send. And it must not lose the line
//! the commands stick to: `ff f4 ff fd 06 MSG hi` is not valid UTF-8,
//! so the server would refuse the message with a misleading reason. The byte
//! 0xFF never occurs in UTF-8 text, so a 0xFF in a line can only be the
//! start of a Telnet command, and [`strip_commands`] removes those commands
//! before the text is checked. The forms (RFC 854, RFC 855):
//!
//! | bytes                       | meaning                                  | removed |
//! |-----------------------------|------------------------------------------|---------|
//! | `IAC IAC`                   | a data byte 0xFF (never text)            | 2 bytes |
//! | `IAC WILL/WONT/DO/DONT opt` | option negotiation                       | 3 bytes |
//! | `IAC SB … IAC SE`           | option subnegotiation, with its data     | all of it |
//! | `IAC cmd` (any other)       | IP, AYT, BRK, NOP, …                     | 2 bytes |
//!
//! The removal works on one line that the framing already cut to at most
//! `max` bytes, so a subnegotiation with no `IAC SE` cannot make anybody
//! store more: it simply runs to the end of that line. The bytes removed
//! still count towards the line limit: the limit is about what arrives.

/// IAC, "interpret as command": the first byte of every Telnet command.
pub const IAC: u8 = 0xff;
/// SE: end of a subnegotiation.
const SE: u8 = 0xf0;
/// SB: start of a subnegotiation.
const SB: u8 = 0xfa;
/// WILL, WONT, DO, DONT (0xfb–0xfe): option negotiation, followed by the
/// option's number.
const NEGOTIATION: std::ops::RangeInclusive<u8> = 0xfb..=0xfe;
/// WILL: "I would like to use this option".
const WILL: u8 = 0xfb;
/// WONT: "I will not use this option".
const WONT: u8 = 0xfc;
/// DO: "please use this option".
const DO: u8 = 0xfd;
/// DONT: "do not use this option".
const DONT: u8 = 0xfe;

/// Removes every Telnet command from `line` (in place), and adds to
/// `refusals` the answer each option request in it must get: `IAC WONT x`
/// for `IAC DO x`, `IAC DONT x` for `IAC WILL x` (chat/1 uses no option).
/// A refusal is never answered (RFC 854: that is how loops are avoided).
///
/// A command cut short by the end of the line (a lone IAC, `IAC DO` without
/// its option, a subnegotiation without `IAC SE`) is removed as well: its
/// bytes are no text either.
///
/// ```
/// use codec::chat::telnet::strip_commands;
/// let mut line = b"\xff\xf4\xff\xfd\x06MSG hi".to_vec(); // Ctrl-C, then a line
/// let mut refusals = Vec::new();
/// strip_commands(&mut line, &mut refusals);
/// assert_eq!(line, b"MSG hi");
/// assert_eq!(refusals, b"\xff\xfc\x06"); // WONT TIMING-MARK
/// ```
pub fn strip_commands(line: &mut Vec<u8>, refusals: &mut Vec<u8>) {
    if !line.contains(&IAC) {
        return; // the usual case: nothing to do, nothing copied
    }
    let mut kept = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] != IAC {
            kept.push(line[i]);
            i += 1;
            continue;
        }
        // line[i] is IAC; what follows says how long the command is.
        i += match line.get(i + 1) {
            Some(&SB) => subnegotiation_length(&line[i..]),
            Some(&verb) if NEGOTIATION.contains(&verb) => {
                match (verb, line.get(i + 2)) {
                    (DO, Some(&option)) => refusals.extend_from_slice(&[IAC, WONT, option]),
                    (WILL, Some(&option)) => refusals.extend_from_slice(&[IAC, DONT, option]),
                    _ => {} // WONT, DONT: already so; an option cut off: nothing to refuse
                }
                3
            }
            _ => 2, // IAC IAC, IAC IP, IAC NOP, …, or a lone IAC at the end
        };
    }
    *line = kept;
}

/// The length of `IAC SB … IAC SE` at the start of `bytes`, or all of
/// `bytes` when the `IAC SE` is missing.
fn subnegotiation_length(bytes: &[u8]) -> usize {
    // Inside the data, IAC IAC is a data byte 0xFF: skip pairs, so that an
    // `IAC IAC SE` is not mistaken for the end.
    let mut i = 2;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (IAC, Some(&SE)) => return i + 2,
            (IAC, _) => i += 2,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(bytes: &[u8]) -> Vec<u8> {
        let mut line = bytes.to_vec();
        strip_commands(&mut line, &mut Vec::new());
        line
    }

    fn refusals(bytes: &[u8]) -> Vec<u8> {
        let mut refusals = Vec::new();
        strip_commands(&mut bytes.to_vec(), &mut refusals);
        refusals
    }

    #[test]
    fn every_option_request_is_refused_and_nothing_else_answered() {
        // telnet's Ctrl-C: IP (no answer), DO TIMING-MARK (WONT TIMING-MARK).
        assert_eq!(refusals(b"\xff\xf4\xff\xfd\x06MSG hi"), [IAC, WONT, 6]);
        // WILL NAWS → DONT NAWS; DO ECHO → WONT ECHO, in order.
        assert_eq!(
            refusals(b"\xff\xfb\x1f\xff\xfd\x01"),
            [IAC, DONT, 0x1f, IAC, WONT, 1]
        );
        // Refusals, subnegotiations, other commands, a request cut short:
        // nothing to answer.
        assert_eq!(refusals(b"\xff\xfc\x06\xff\xfe\x01"), []);
        assert_eq!(refusals(b"\xff\xfa\x18\x00xterm\xff\xf0\xff\xf1"), []);
        assert_eq!(refusals(b"hi\xff\xfd"), []);
        assert_eq!(refusals(b"plain text"), []);
    }

    #[test]
    fn ctrl_c_in_telnet_before_a_line() {
        // IAC IP, IAC DO TIMING-MARK: what telnet sends on Ctrl-C.
        assert_eq!(strip(b"\xff\xf4\xff\xfd\x06MSG hi"), b"MSG hi");
    }

    #[test]
    fn each_form_is_removed_whole() {
        assert_eq!(strip(b"a\xff\xffb"), b"ab"); // IAC IAC
        for verb in [0xfb, 0xfc, 0xfd, 0xfe] {
            // WILL, WONT, DO, DONT + option: the option byte goes too,
            // even when it looks like text ('M' is 0x4d).
            assert_eq!(strip(&[b'a', IAC, verb, b'M', b'b']), b"ab", "{verb:x}");
        }
        assert_eq!(strip(b"a\xff\xf6b"), b"ab"); // IAC AYT
        assert_eq!(strip(b"a\xff\xf1b"), b"ab"); // IAC NOP
        // Terminal type "xterm": IAC SB 24 IS x t e r m IAC SE.
        assert_eq!(strip(b"a\xff\xfa\x18\x00xterm\xff\xf0b"), b"ab");
        // An IAC IAC inside a subnegotiation does not end it.
        assert_eq!(strip(b"a\xff\xfa\x01\xff\xff\xf0x\xff\xf0b"), b"ab");
    }

    #[test]
    fn commands_cut_short_by_the_end_of_the_line() {
        assert_eq!(strip(b"hi\xff"), b"hi");
        assert_eq!(strip(b"hi\xff\xfd"), b"hi");
        assert_eq!(strip(b"hi\xff\xfa\x18 no end"), b"hi");
        assert_eq!(strip(b"hi\xff\xfa\x18\xff"), b"hi");
    }

    #[test]
    fn text_without_iac_is_untouched() {
        let text = "MSG café ☕ \u{7}".as_bytes();
        assert_eq!(strip(text), text);
        assert_eq!(strip(b""), b"");
    }

    #[test]
    fn other_invalid_utf8_is_left_for_the_utf8_check() {
        // 0xFE and 0xC3 0x28 are not Telnet commands: still refused later.
        assert_eq!(strip(b"MSG \xfe\xc3\x28"), b"MSG \xfe\xc3\x28");
    }
}
