//! # Text or binary?
//!
//! **Course idea:** a protocol is a common language, and a language is
//! written one of two ways. Some protocols speak text a person can read
//! (daytime, chat, HTTP), others binary numbers only a program can (RFC
//! 868's 4-byte time). Programs that *show* bytes to a person — the
//! `--trace` view, a client explaining a wrong answer — must tell the two
//! apart. Being valid UTF-8 is not enough: 4 random bytes such as
//! `EE AF 96 45` happen to decode as two characters.

/// True when `bytes` read as text a person could have typed: printable
/// ASCII, spaces, CR, LF, tabs, letters of any alphabet (`é`, `ж`), and the
/// usual punctuation and symbols (`«`, `—`, `€`, emoji). Control characters
/// and private-use characters make it binary.
pub fn is_readable_text(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && std::str::from_utf8(bytes).is_ok_and(|text| text.chars().all(is_readable_char))
}

fn is_readable_char(c: char) -> bool {
    c.is_ascii_graphic()
        || matches!(c, ' ' | '\r' | '\n' | '\t')
        || c.is_alphanumeric()
        || matches!(c,
            '\u{00A0}'..='\u{00BF}'     // Latin-1 punctuation: « » ° £ §
            | '\u{2000}'..='\u{2BFF}'   // punctuation, currency, arrows, symbols: — € →
            | '\u{1F300}'..='\u{1FAFF}' // emoji
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_is_text() {
        assert!(is_readable_text(b"24 NOV 2026 04:39:13 UTC\r\n"));
        assert!(is_readable_text("Mardi 24 février".as_bytes()));
        assert!(is_readable_text("MSG « salut » — 5 € 🙂\n".as_bytes()));
    }

    #[test]
    fn binary_numbers_are_not() {
        assert!(!is_readable_text(&[0xEE, 0xAF, 0x96, 0x45])); // U+EBD6 (private use) then 'E'
        assert!(!is_readable_text(b"abc\x00"));
        assert!(!is_readable_text(b"\x1b[31mred"));
        assert!(!is_readable_text(&[0xFF]));
        assert!(!is_readable_text(b""));
    }
}
