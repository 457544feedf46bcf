//! The exercises' helper programs (`guide`, `play`), run as a student runs
//! them: asking for help is not a mistake, a wrong argument is; both speak
//! French unless asked for English (`--lang en`); the guide explains code
//! that does not compile.

mod support;

use std::time::Duration;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::{package_bin, run_with_input};

/// Longest a run may take before the test fails (the programs only print).
const RUN: Duration = Duration::from_secs(30);

/// The guide, a package of its own (it must run when the exercises do not
/// compile), and `play`, in the exercises package (it runs their code).
fn guide() -> PathBuf {
    package_bin("guide", "guide")
}

fn play() -> PathBuf {
    package_bin("exercises", "play")
}

#[test]
fn help_goes_to_stdout_with_status_0_in_french_or_english() {
    for (name, program) in [("guide", guide()), ("play", play())] {
        for flag in ["--help", "-h"] {
            let out = run_with_input(&program, &[flag], b"", RUN);
            assert_eq!(out.status.code(), Some(0), "{name} {flag}: {}", out.stderr);
            assert!(
                out.stdout_text().starts_with("utilisation : "),
                "{name} {flag}: {}",
                out.stdout_text()
            );
            let out = run_with_input(&program, &["--lang", "en", flag], b"", RUN);
            assert_eq!(out.status.code(), Some(0), "{name} {flag}: {}", out.stderr);
            assert!(
                out.stdout_text().starts_with("usage: "),
                "{name} --lang en {flag}: {}",
                out.stdout_text()
            );
        }
    }
}

#[test]
fn a_wrong_argument_still_exits_2_with_the_usage_on_stderr() {
    for (name, program) in [("guide", guide()), ("play", play())] {
        for (args, usage) in [
            (&["--bogus"][..], "utilisation : "),
            (&["--lang", "en", "--bogus"], "usage: "),
            (&["--lang", "de"], "--lang wants fr or en"),
        ] {
            let out = run_with_input(&program, args, b"", RUN);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{name} {args:?}: {}",
                out.stderr
            );
            assert!(
                out.stderr.contains(usage),
                "{name} {args:?}: {}",
                out.stderr
            );
            assert!(out.stdout.is_empty(), "{name} {args:?}");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_reader_that_leaves_early_does_not_make_the_guide_panic() {
    // `guide --list | head -1`: println! panicked on the closed pipe.
    let program = guide();
    let script = format!("set -o pipefail; '{}' --list | true", program.display());
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// An exercise not written yet is a runtime error like any other (status
/// 1, a sentence saying which `todo!()` to replace), not a crash (101), in
/// French unless asked for English. Exercise 4's server speaks binary: its
/// hint is `nc -d … | xxd`, as the sheet says, not plain `nc`, which would
/// show garbage.
#[test]
fn play_explains_an_unwritten_exercise_and_suggests_the_right_nc() {
    let play = play();
    for (args, said) in [
        (&["1", "22"][..], "l'exercice 1 n'est pas encore écrit"),
        (
            &["--lang", "en", "1", "22"],
            "exercise 1 is not written yet",
        ),
    ] {
        let out = run_with_input(&play, args, b"", RUN);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }

    let (port, out) = on_a_free_port(
        |port| run_with_input(&play, &["4", port], b"", RUN),
        |out| out.stderr.contains("impossible d'écouter"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    let hint = format!("essayez : nc -d 127.0.0.1 {port} | xxd");
    assert!(out.stdout_text().contains(&hint), "{}", out.stdout_text());
    assert!(
        out.stderr.contains("l'exercice 4 n'est pas"),
        "{}",
        out.stderr
    );
}

/// `play` in English says in English what the French says: the same line,
/// the same command to try.
#[test]
fn play_speaks_english_when_asked() {
    let (port, line) = first_line_of_play(&["--lang", "en", "6", PORT]);
    assert!(
        line.starts_with(&format!(
            "listening on 127.0.0.1:{port} — try: nc 127.0.0.1 {port}"
        )),
        "{line}"
    );
    let (port, line) = first_line_of_play(&["6", PORT, "--lang", "fr"]);
    assert!(
        line.starts_with(&format!(
            "en écoute sur 127.0.0.1:{port} — essayez : nc 127.0.0.1 {port}"
        )),
        "{line}"
    );
}

/// `--host`: a server of the exercises listens on the address given (in
/// class `--host 0.0.0.0`, every card, so a neighbour can connect: session
/// 5's test between neighbours; here 127.0.0.2, to stay on loopback), and
/// says how to try it.
#[test]
fn play_serves_the_neighbours_with_host() {
    let (port, line) = first_line_of_play(&["--host", "127.0.0.2", "4", PORT]);
    assert!(
        line.contains(&format!("en écoute sur 127.0.0.2:{port}")),
        "{line}"
    );
    assert!(
        line.contains(&format!("nc -d 127.0.0.2 {port} | xxd")),
        "{line}"
    );
}

/// In the arguments of [`first_line_of_play`], stands for a free port.
const PORT: &str = "PORT";

/// Runs `run` with a port free when chosen; while `taken` says that `play`
/// could not listen there, again with another one (three tries in all): a
/// program running at the same time (another test) may take the port
/// between the moment it is chosen and the moment `play` binds it. Returns
/// the port and `run`'s last result.
fn on_a_free_port<T>(run: impl Fn(&str) -> T, taken: impl Fn(&T) -> bool) -> (String, T) {
    let mut tries = 1;
    loop {
        let port = support::free_port().to_string();
        let result = run(&port);
        if tries == 3 || !taken(&result) {
            return (port, result);
        }
        tries += 1;
    }
}

/// The port [`PORT`] stood for in `args`, and the first line `play` prints
/// with them: a server's "listening on … — try: …". A stub ends the
/// program once a client comes: here none does, so it listens until
/// killed. Without that line (`play` could not listen: it says so on
/// stderr), another port is tried.
fn first_line_of_play(args: &[&str]) -> (String, String) {
    on_a_free_port(
        |port| {
            let args: Vec<&str> = args
                .iter()
                .map(|&arg| if arg == PORT { port } else { arg })
                .collect();
            first_line_of_play_with(&args)
        },
        String::is_empty,
    )
}

/// The first line `play` prints with `args` (empty if none).
fn first_line_of_play_with(args: &[&str]) -> String {
    let play = play();
    let mut child = std::process::Command::new(&play)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let first = std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
        line
    });
    let deadline = std::time::Instant::now() + RUN;
    while !first.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    first.join().unwrap()
}

/// Exercise 5's server serves one client at a time, and shows each one
/// leave when its `read` gives `Ok(0)`: its hint is `nc -N`, as the sheet
/// says. Debian's plain `nc` sends nothing at Ctrl-D: the student would wait
/// for a "left" line that never comes, and a second client with them.
#[test]
fn play_5_suggests_an_nc_that_closes_at_ctrl_d() {
    let (port, line) = first_line_of_play(&["5", PORT]);
    assert!(
        line.contains(&format!("essayez : nc -N 127.0.0.1 {port}")),
        "{line}"
    );
}

/// `play -- 1` without ports has nothing to classify: a command typed
/// incompletely, so a usage mistake (status 2, as every netlab program),
/// saying the whole command, never a silent success.
#[test]
fn play_1_without_ports_is_a_usage_mistake() {
    let out = run_with_input(&play(), &["1"], b"", RUN);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "donnez les ports à classer : cargo run -p exercises --bin play -- 1 22 3306 50000"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout_text());
}

/// A student's code that does not compile: the guide still runs (it does
/// not depend on the exercises) and says so in plain words, in French or
/// in English, naming the file and the line rustc points to.
///
/// On a copy, never on exercises/ itself (other tests build it at the same
/// time): a package named `exercises` in a temporary folder, holding
/// exercise 1 and its tests with one wrong line added, which the guide is
/// pointed to by `NETLAB_EXERCISES_DIR`. It has no dependency, so it builds
/// in seconds, offline, in a target folder of its own.
#[test]
fn the_guide_explains_code_that_does_not_compile() {
    let copy = BrokenCopy::new();
    for (args, says) in [
        (
            &["1"][..],
            [
                "✘ ne compile pas",
                "Votre code ne compile pas",
                &format!("src/ex01_ports.rs, ligne {}", copy.line),
                "error[E0308]: mismatched types",
                &format!("corrigez la ligne {} de src/ex01_ports.rs", copy.line),
                "relancez le guide : cargo guide 1",
            ],
        ),
        (
            &["--lang", "en", "1"],
            [
                "✘ does not compile",
                "Your code does not compile",
                &format!("src/ex01_ports.rs, line {}", copy.line),
                "error[E0308]: mismatched types",
                &format!("fix line {} of src/ex01_ports.rs", copy.line),
                "run the guide again: cargo guide --lang en 1",
            ],
        ),
    ] {
        let (status, stdout) = copy.guide(args);
        assert_eq!(status, Some(1), "{args:?}:\n{stdout}");
        for said in says {
            assert!(
                stdout.contains(said),
                "{args:?} should say {said:?}:\n{stdout}"
            );
        }
        // The exercise the error is in is the one checked: its goal helps.
        assert!(stdout.contains("classify(port)"), "{stdout}");
    }
}

/// The temporary `exercises` package of
/// [`the_guide_explains_code_that_does_not_compile`]; removed when dropped.
struct BrokenCopy {
    dir: PathBuf,
    /// The line of `src/ex01_ports.rs` that does not compile.
    line: usize,
}

impl BrokenCopy {
    fn new() -> BrokenCopy {
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises");
        let dir =
            std::env::temp_dir().join(format!("netlab-broken-exercises-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::create_dir_all(dir.join("tests/common")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"exercises\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             # A workspace of its own, whatever folder it is in.\n[workspace]\n",
        )
        .unwrap();
        // As the real lib.rs: the stub's unused parameters are no warning.
        std::fs::write(
            dir.join("src/lib.rs"),
            "#![allow(unused_variables, unused_imports, unused_mut)]\npub mod ex01_ports;\n",
        )
        .unwrap();
        for file in ["tests/ex01_ports.rs", "tests/common/mod.rs"] {
            std::fs::copy(real.join(file), dir.join(file)).unwrap();
        }
        // The mistake, a line a student could write, just before the
        // first `todo!()`: a number given a text.
        let stub = std::fs::read_to_string(real.join("src/ex01_ports.rs")).unwrap();
        let mut lines: Vec<&str> = stub.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains("todo!("))
            .expect("the stub has a todo!()");
        lines.insert(at, "    let port_number: u16 = \"twenty-two\";");
        std::fs::write(dir.join("src/ex01_ports.rs"), lines.join("\n") + "\n").unwrap();
        BrokenCopy { dir, line: at + 1 }
    }

    /// Runs the guide on the copy with `args`: its exit status and stdout.
    fn guide(&self, args: &[&str]) -> (Option<i32>, String) {
        let mut child = Command::new(guide())
            .args(args)
            .env("NETLAB_EXERCISES_DIR", &self.dir)
            .env("CARGO_TARGET_DIR", self.dir.join("target"))
            // Flags meant for the workspace's build (`-D warnings`) would
            // make the stub's warnings errors of their own.
            .env_remove("RUSTFLAGS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the guide starts");
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
            text
        });
        // A tiny package to build: two minutes is far more than enough.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the guide did not finish within 120 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        (status.code(), reader.join().unwrap())
    }
}

impl Drop for BrokenCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
