//! The exercises' helper programs (`guide`, `play`), run as a student runs
//! them: asking for help is not a mistake, a wrong argument is.

mod support;

use std::time::Duration;

use support::{package_bin, run_with_input};

/// Longest a run may take before the test fails (the programs only print).
const RUN: Duration = Duration::from_secs(30);

#[test]
fn help_goes_to_stdout_with_status_0() {
    for name in ["guide", "play"] {
        let program = package_bin("exercises", name);
        for flag in ["--help", "-h"] {
            let out = run_with_input(&program, &[flag], b"", RUN);
            assert_eq!(out.status.code(), Some(0), "{name} {flag}: {}", out.stderr);
            assert!(
                out.stdout_text().starts_with("usage: "),
                "{name} {flag}: {}",
                out.stdout_text()
            );
        }
    }
}

#[test]
fn a_wrong_argument_still_exits_2_with_the_usage_on_stderr() {
    for (name, args) in [("guide", &["--bogus"][..]), ("play", &["--bogus"])] {
        let out = run_with_input(&package_bin("exercises", name), args, b"", RUN);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", out.stderr);
        assert!(out.stderr.contains("usage: "), "{name}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{name}");
    }
}

#[cfg(unix)]
#[test]
fn a_reader_that_leaves_early_does_not_make_the_guide_panic() {
    // `guide --list | head -1`: println! panicked on the closed pipe.
    let program = package_bin("exercises", "guide");
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
/// 1, a sentence saying which `todo!()` to replace), not a crash (101).
/// Exercise 4's server speaks binary: its hint is `nc -d … | xxd`, as the
/// sheet says, not plain `nc`, which would show garbage.
#[test]
fn play_explains_an_unwritten_exercise_and_suggests_the_right_nc() {
    let play = package_bin("exercises", "play");
    let out = run_with_input(&play, &["1", "22"], b"", RUN);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("exercise 1 is not written yet"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);

    let port = support::free_port().to_string();
    let out = run_with_input(&play, &["4", &port], b"", RUN);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    let hint = format!("try: nc -d 127.0.0.1 {port} | xxd");
    assert!(out.stdout_text().contains(&hint), "{}", out.stdout_text());
}

/// `--host`: a server of the exercises listens on the address given (in
/// class `--host 0.0.0.0`, every card, so a neighbour can connect: session
/// 5's test between neighbours; here 127.0.0.2, to stay on loopback), and
/// says how to try it.
#[test]
fn play_serves_the_neighbours_with_host() {
    let port = support::free_port().to_string();
    let line = first_line_of_play(&["--host", "127.0.0.2", "4", &port]);
    assert!(
        line.contains(&format!("listening on 127.0.0.2:{port}")),
        "{line}"
    );
    assert!(
        line.contains(&format!("nc -d 127.0.0.2 {port} | xxd")),
        "{line}"
    );
}

/// The first line `play` prints with `args`: a server's "listening on …
/// — try: …". A stub ends the program once a client comes: here none
/// does, so it listens until killed.
fn first_line_of_play(args: &[&str]) -> String {
    let play = package_bin("exercises", "play");
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
    let port = support::free_port().to_string();
    let line = first_line_of_play(&["5", &port]);
    assert!(
        line.contains(&format!("try: nc -N 127.0.0.1 {port}")),
        "{line}"
    );
}

/// `play -- 1` without ports has nothing to classify: a command typed
/// incompletely, so a usage mistake (status 2, as every netlab program),
/// saying the whole command, never a silent success.
#[test]
fn play_1_without_ports_is_a_usage_mistake() {
    let play = package_bin("exercises", "play");
    let out = run_with_input(&play, &["1"], b"", RUN);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("cargo run -p exercises --bin play -- 1 22 3306 50000"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout_text());
}
