//! # What `guide` and `play` share: their language, and printing that cannot panic
//!
//! Both programs speak French by default and English with `--lang en`: the
//! course is taught in French, the English is for everyone else. Every
//! sentence is written in both languages side by side, French first, and
//! [`Lang::pick`] chooses when printing:
//!
//! ```
//! use lang::Lang;
//!
//! let lang = Lang::English;
//! assert_eq!(lang.pick("réussi", "passed"), "passed");
//! ```
//!
//! This library is `lang`, in the `guide` package, beside the `guide`
//! binary; `play` is in the `exercises` package (it runs the student's
//! code) and uses this library. The guide
//! itself must not depend on `exercises`: it has to run, and explain, when
//! the student's code does not compile.

/// `println!` that cannot panic.
///
/// `println!` and `eprintln!` panic when their reader has gone
/// (`guide --list | head -1`); these do not, the rest is simply not shown.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that cannot panic (a closed stderr): see [`say!`].
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// The language a program speaks to the student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// The course's language, so the default.
    #[default]
    French,
    /// With `--lang en`.
    English,
}

impl Lang {
    /// `french` or `english`, whichever this language is. Both are written
    /// where the sentence is used, so a change to one is seen next to the
    /// other.
    pub fn pick<T>(self, french: T, english: T) -> T {
        match self {
            Lang::French => french,
            Lang::English => english,
        }
    }

    /// 0 for French, 1 for English: the index into a `[french, english]`
    /// pair of texts.
    pub fn index(self) -> usize {
        self.pick(0, 1)
    }
}

/// Takes `--lang fr` or `--lang en` out of `args`, wherever it is, and
/// returns the language (French without it) and the other arguments.
///
/// Taken out first, so that the rest of the command line (and its errors,
/// and `--help`) is read knowing the language. The error is in both
/// languages: which one the student wanted is exactly what is not known.
pub fn take_lang(mut args: Vec<String>) -> Result<(Lang, Vec<String>), String> {
    let mut lang = Lang::French;
    while let Some(at) = args.iter().position(|a| a == "--lang") {
        let value = (at + 1 < args.len()).then(|| args.remove(at + 1));
        args.remove(at);
        lang = match value.as_deref() {
            Some("fr") => Lang::French,
            Some("en") => Lang::English,
            other => {
                let other = other.unwrap_or("");
                return Err(format!(
                    "--lang attend fr ou en, pas {other:?} / --lang wants fr or en, not {other:?}"
                ));
            }
        };
    }
    Ok((lang, args))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn french_unless_english_is_asked_for_anywhere() {
        assert_eq!(take_lang(words("6")), Ok((Lang::French, words("6"))));
        assert_eq!(
            take_lang(words("--lang en 6")),
            Ok((Lang::English, words("6")))
        );
        assert_eq!(
            take_lang(words("6 --lang en --list")),
            Ok((Lang::English, words("6 --list")))
        );
        assert_eq!(take_lang(words("--lang fr")), Ok((Lang::French, vec![])));
        assert_eq!(Lang::English.pick("oui", "yes"), "yes");
        assert_eq!(Lang::French.index(), 0);
    }

    #[test]
    fn a_language_that_is_not_there_is_a_mistake_in_both_languages() {
        for args in ["--lang de", "--lang", "1 --lang"] {
            let error = take_lang(words(args)).unwrap_err();
            assert!(
                error.contains("fr ou en") && error.contains("fr or en"),
                "{error}"
            );
        }
    }
}
