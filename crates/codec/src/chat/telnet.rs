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
//! request gets the polite no of RFC 854 (`WONT x`, `DONT x`), and at once:
//! nothing ends the Ctrl-C with an LF, and the room's messages that arrive
//! before the user types a line would be thrown away unseen. So
//! [`refuse_requests`] collects those answers as the bytes arrive, before
//! the line is complete, for the server to send. And it must not lose the line
//! the commands stick to: `ff f4 ff fd 06 MSG hi` is not valid UTF-8,
//! so the server would refuse the message with a misleading reason. The byte
//! 0xFF never occurs in UTF-8 text, so a 0xFF in a line can only be the
//! start of a Telnet command, and [`remove_commands`] removes those commands
//! before the text is checked ([`strip_commands`] does both at once, for a
//! whole line). The forms (RFC 854, RFC 855):
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
    // A command cut short can only be the last thing in the line, so the
    // scan that stops there has seen every request.
    refuse_requests(line, 0, refusals);
    remove_commands(line);
}

/// Removes every Telnet command from `line` (in place), answering none:
/// for a line whose requests were already answered as its bytes arrived
/// (see [`refuse_requests`]). A command cut short by the end of the line is
/// removed as well.
pub fn remove_commands(line: &mut Vec<u8>) {
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
        // line[i] is IAC; what follows says how long the command is. Cut
        // short, it runs to the end of the line.
        i += command_length(&line[i..]).unwrap_or(line.len() - i);
    }
    *line = kept;
}

/// Adds to `refusals` the answer to each option request in `bytes[from..]`,
/// and returns where the next call must start: the end of `bytes`, or the
/// start of a command cut short, to be read again once its end has arrived.
///
/// `bytes` is a line so far, read as it arrives; `from` is 0 or what the
/// previous call on the same line returned (at most `bytes.len()`). Starting there, a request is answered once, even
/// when it arrived in pieces, and a scan never starts inside a command
/// (the `fd 06` of `IAC IAC fd 06` is no request: `IAC IAC` is a data byte).
///
/// ```
/// use codec::chat::telnet::refuse_requests;
/// let mut refusals = Vec::new();
/// let bytes = b"\xff\xf4\xff\xfd"; // Ctrl-C, cut by TCP before its last byte
/// let next = refuse_requests(bytes, 0, &mut refusals);
/// assert_eq!((next, refusals.as_slice()), (2, &b""[..])); // DO waits for its option
/// let bytes = b"\xff\xf4\xff\xfd\x06"; // the rest has arrived
/// let next = refuse_requests(bytes, next, &mut refusals);
/// assert_eq!((next, refusals.as_slice()), (5, &b"\xff\xfc\x06"[..]));
/// ```
pub fn refuse_requests(bytes: &[u8], mut from: usize, refusals: &mut Vec<u8>) -> usize {
    if !bytes[from..].contains(&IAC) {
        return bytes.len(); // the usual case, text only: one fast search (memchr)
    }
    while let Some(offset) = bytes[from..].iter().position(|&b| b == IAC) {
        let at = from + offset;
        let Some(length) = command_length(&bytes[at..]) else {
            return at; // cut short: read it again when more has arrived
        };
        match bytes[at + 1..at + length] {
            [DO, option] => refusals.extend_from_slice(&[IAC, WONT, option]),
            [WILL, option] => refusals.extend_from_slice(&[IAC, DONT, option]),
            _ => {} // WONT, DONT: already so; any other command: no answer
        }
        from = at + length;
    }
    bytes.len()
}

/// The length of the command at the start of `bytes` (which starts with
/// IAC), or `None` when `bytes` ends before the command does.
fn command_length(bytes: &[u8]) -> Option<usize> {
    match bytes.get(1) {
        None => None,
        Some(&SB) => subnegotiation_length(bytes),
        Some(verb) if NEGOTIATION.contains(verb) => (bytes.len() >= 3).then_some(3),
        Some(_) => Some(2), // IAC IAC, IAC IP, IAC NOP, …
    }
}

/// The length of `IAC SB … IAC SE` at the start of `bytes`, or `None` when
/// the `IAC SE` is missing.
fn subnegotiation_length(bytes: &[u8]) -> Option<usize> {
    // Inside the data, IAC IAC is a data byte 0xFF: skip pairs, so that an
    // `IAC IAC SE` is not mistaken for the end.
    let mut i = 2;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (IAC, Some(&SE)) => return Some(i + 2),
            (IAC, _) => i += 2,
            _ => i += 1,
        }
    }
    None
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
