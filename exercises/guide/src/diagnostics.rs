//! # Reading cargo's `--message-format=json`: where the compiler stopped
//!
//! The guide runs `cargo test --message-format=json`. Cargo then writes each
//! of rustc's messages (errors, warnings) as one line of JSON, a
//! `"reason":"compiler-message"` entry holding the file, line and column it
//! points to, instead of text meant for a person. Reading fields is sturdier
//! than searching rustc's text, whose layout changes between Rust versions.
//!
//! Cargo's other JSON lines (`compiler-artifact`, `build-finished`…) are
//! left out; every line that is not cargo's JSON (what the test programs
//! print, cargo's own `error: …` lines) is kept as the text the tests said.

use serde_json::Value;

/// One compile error, as rustc reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// Where the error is, when rustc points into a file.
    pub at: Option<Place>,
    /// The headline, as rustc prints it: `error[E0308]: mismatched types`.
    pub headline: String,
    /// The whole message as rustc prints it (the line of code, the `^^^`
    /// under the mistake, rustc's help), without a trailing newline.
    pub rendered: String,
}

/// A place in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// As rustc names it: relative to the workspace's folder for the
    /// workspace's own files (`exercises/src/ex05_echo_handler.rs`).
    pub file: String,
    /// 1 for the first line.
    pub line: u64,
    /// 1 for the first column.
    pub column: u64,
}

/// `cargo test --message-format=json`'s output, sorted out.
#[derive(Debug, Default)]
pub struct CargoOutput {
    /// rustc's errors, in the order rustc gave them (warnings left out).
    pub errors: Vec<CompileError>,
    /// Cargo said the build failed (`build-finished`, `success: false`),
    /// possibly with no compile error to show (a linker missing…).
    pub build_failed: bool,
    /// Every line that was not one of cargo's JSON messages.
    pub text: String,
}

/// Sorts `output` (cargo's stdout and stderr) into compile errors and text.
pub fn read(output: &str) -> CargoOutput {
    let mut sorted = CargoOutput::default();
    for line in output.lines() {
        // A test may print a line that starts with `{` too: only an object
        // with a "reason" is one of cargo's messages.
        let message: Option<Value> = line
            .starts_with('{')
            .then(|| serde_json::from_str(line).ok())
            .flatten();
        let Some(reason) = message.as_ref().and_then(|m| m["reason"].as_str()) else {
            sorted.text.push_str(line);
            sorted.text.push('\n');
            continue;
        };
        let message = message.as_ref().unwrap_or(&Value::Null);
        match reason {
            "compiler-message" => {
                if let Some(error) = compile_error(&message["message"]) {
                    sorted.errors.push(error);
                }
            }
            "build-finished" => {
                sorted.build_failed |= message["success"] == Value::Bool(false);
            }
            _ => {}
        }
    }
    sorted
}

/// The error in one of rustc's diagnostics; `None` for a warning, a note,
/// or the closing "aborting due to 2 previous errors" (not an error of its
/// own).
fn compile_error(diagnostic: &Value) -> Option<CompileError> {
    if !diagnostic["level"].as_str()?.starts_with("error") {
        return None;
    }
    let text = diagnostic["message"].as_str().unwrap_or_default();
    if text.starts_with("aborting due to") {
        return None;
    }
    let headline = match diagnostic["code"]["code"].as_str() {
        Some(code) => format!("error[{code}]: {text}"),
        None => format!("error: {text}"),
    };
    let rendered = diagnostic["rendered"]
        .as_str()
        .map(|r| r.trim_end().to_string())
        .unwrap_or_else(|| headline.clone());
    Some(CompileError {
        at: place(diagnostic),
        headline,
        rendered,
    })
}

/// Where a diagnostic points: its *primary* span, the one rustc underlines
/// with `^^^` (the others are context: "first borrowed here"…). Some
/// errors have two (an unclosed `(` and the `}` that does not match it):
/// the first in the file, the one rustc's `-->` line names too.
fn place(diagnostic: &Value) -> Option<Place> {
    let spans = diagnostic["spans"].as_array()?;
    let primary = spans
        .iter()
        .filter(|s| s["is_primary"] == Value::Bool(true))
        .filter_map(in_the_workspace)
        .min_by_key(|p| (p.line, p.column));
    primary.or_else(|| in_the_workspace(spans.first()?))
}

/// `span`, or, when it is inside a macro's own code (`println!` in the
/// standard library, named by an absolute path the student cannot edit),
/// the place in the student's code where the macro was called.
fn in_the_workspace(span: &Value) -> Option<Place> {
    let mut span = span;
    // A few steps at most: a macro called by a macro called by a macro…
    for _ in 0..16 {
        let file = span["file_name"].as_str()?;
        let absolute = file.starts_with('/') || file.starts_with('<') || file.contains(":\\");
        if !absolute {
            return Some(Place {
                file: file.to_string(),
                line: span["line_start"].as_u64()?,
                column: span["column_start"].as_u64()?,
            });
        }
        span = &span["expansion"]["span"];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Abridged from a real `cargo test --message-format=json` whose
    /// exercise 1 lacks a semicolon, with a test program's output after.
    const OUTPUT: &str = r#"{"reason":"compiler-artifact","package_id":"path+file:///x#libc@0.2.0","target":{"name":"libc"}}
{"reason":"compiler-message","package_id":"path+file:///x/exercises#0.1.0","message":{"rendered":"warning: unused variable: `port`\n","level":"warning","message":"unused variable: `port`","code":{"code":"unused_variables"},"spans":[{"file_name":"exercises/src/ex01_ports.rs","line_start":50,"column_start":17,"is_primary":true,"expansion":null}]}}
{"reason":"compiler-message","package_id":"path+file:///x/exercises#0.1.0","message":{"rendered":"error: expected `;`, found `}`\n  --> exercises/src/ex01_ports.rs:52:14\n   |\n52 |     let x = 1\n   |              ^ help: add `;` here\n\n","level":"error","message":"expected `;`, found `}`","code":null,"spans":[{"file_name":"exercises/src/ex01_ports.rs","line_start":53,"column_start":1,"is_primary":false,"expansion":null},{"file_name":"exercises/src/ex01_ports.rs","line_start":52,"column_start":14,"is_primary":true,"expansion":null}]}}
{"reason":"compiler-message","package_id":"path+file:///x/exercises#0.1.0","message":{"rendered":"error[E0308]: mismatched types\n","level":"error","message":"mismatched types","code":{"code":"E0308","explanation":"..."},"spans":[{"file_name":"/rustc/abc/library/core/src/macros/mod.rs","line_start":9,"column_start":1,"is_primary":true,"expansion":{"span":{"file_name":"exercises/src/ex02_echo_client.rs","line_start":30,"column_start":5,"is_primary":false,"expansion":null}}}]}}
{"reason":"compiler-message","package_id":"path+file:///x/exercises#0.1.0","message":{"rendered":"error: aborting due to 2 previous errors\n","level":"error","message":"aborting due to 2 previous errors","code":null,"spans":[]}}
{"reason":"build-finished","success":false}
error: could not compile `exercises` (lib) due to 2 previous errors
{"not cargo": true}
"#;

    #[test]
    fn errors_are_read_in_order_without_warnings_or_the_summary() {
        let out = read(OUTPUT);
        assert!(out.build_failed);
        assert_eq!(out.errors.len(), 2, "{:?}", out.errors);
        let first = &out.errors[0];
        assert_eq!(
            first.at,
            Some(Place {
                file: "exercises/src/ex01_ports.rs".into(),
                line: 52,
                column: 14
            }),
            "the primary span, not the first one"
        );
        assert_eq!(first.headline, "error: expected `;`, found `}`");
        assert!(first.rendered.ends_with("help: add `;` here"));
        assert_eq!(out.errors[1].headline, "error[E0308]: mismatched types");
    }

    /// From rustc's real output for `let a = (1;` on line 47: the `}` of
    /// line 49 is primary too, listed first, but rustc's `-->` says 47.
    #[test]
    fn of_two_primary_spans_the_first_in_the_file_is_the_place() {
        let line = r#"{"reason":"compiler-message","message":{"rendered":"error: mismatched closing delimiter: `}`\n  --> exercises/src/ex01_ports.rs:47:13\n","level":"error","message":"mismatched closing delimiter: `}`","code":null,"spans":[{"file_name":"exercises/src/ex01_ports.rs","line_start":49,"column_start":1,"is_primary":true,"expansion":null},{"file_name":"exercises/src/ex01_ports.rs","line_start":46,"column_start":41,"is_primary":false,"expansion":null},{"file_name":"exercises/src/ex01_ports.rs","line_start":47,"column_start":13,"is_primary":true,"expansion":null}]}}"#;
        let at = read(line).errors[0].at.clone().expect("a place");
        assert_eq!((at.line, at.column), (47, 13));
    }

    #[test]
    fn an_error_inside_a_macro_points_where_the_macro_was_called() {
        let out = read(OUTPUT);
        let at = out.errors[1].at.as_ref().expect("a place");
        assert_eq!(
            (at.file.as_str(), at.line),
            ("exercises/src/ex02_echo_client.rs", 30)
        );
    }

    #[test]
    fn what_is_not_cargo_s_json_stays_text() {
        let out = read(OUTPUT);
        assert_eq!(
            out.text,
            "error: could not compile `exercises` (lib) due to 2 previous errors\n\
             {\"not cargo\": true}\n"
        );
        let passing = read("{\"reason\":\"build-finished\",\"success\":true}\nrunning 1 test\n");
        assert!(!passing.build_failed && passing.errors.is_empty());
        assert_eq!(passing.text, "running 1 test\n");
    }
}
