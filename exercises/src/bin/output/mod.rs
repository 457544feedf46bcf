//! What `guide` and `play` print with: `println!` and `eprintln!` panic
//! when their reader has gone (`guide --list | head -1`); these do not, the
//! rest is simply not shown.

/// `println!` that cannot panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that cannot panic (a closed stderr).
macro_rules! warn {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
