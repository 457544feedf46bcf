//! Integration tests of `ports`, run as a real process: the course's
//! examples, the three ranges, bad input, and `--check` against a live server.

mod support;

use std::time::Duration;

use support::{Server, run_client};

const T: Duration = Duration::from_secs(20);

fn ports(args: &[&str]) -> support::Output {
    run_client("ports", args, T)
}

#[test]
fn the_course_example_3306() {
    let out = ports(&["3306"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        out.stdout_text(),
        "3306: registered port (1024–49151) — usually MySQL / MariaDB (mysql, tcp)\n"
    );
}

#[test]
fn a_name_gives_its_port() {
    let out = ports(&["ssh"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        out.stdout_text(),
        "ssh: port 22 (tcp) — well-known port (0–1023) — SSH, secure remote shell\n"
    );
    assert!(
        ports(&["HTTPS"])
            .stdout_text()
            .starts_with("https: port 443 ")
    );
}

#[test]
fn every_service_the_course_names_is_known() {
    let expected = [
        (20, "FTP"),
        (21, "FTP"),
        (22, "SSH"),
        (23, "Telnet"),
        (25, "SMTP"),
        (53, "DNS"),
        (80, "HTTP"),
        (110, "POP3"),
        (143, "IMAP"),
        (443, "HTTPS"),
        (3306, "MySQL"),
        (3389, "RDP"),
        (5432, "PostgreSQL"),
        (8080, "netlab http-server"),
        (10007, "netlab echo-server"),
        (10194, "netlab chat-server"),
    ];
    let args: Vec<String> = expected.iter().map(|(p, _)| p.to_string()).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ports(&args);
    assert!(out.status.success(), "{}", out.stderr);
    let text = out.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{text}");
    for ((port, name), line) in expected.iter().zip(lines) {
        assert!(line.starts_with(&format!("{port}: ")), "{line}");
        assert!(
            line.contains("usually") && line.contains(name),
            "{port} should be {name}: {line}"
        );
    }
}

#[test]
fn the_three_ranges_and_their_edges() {
    let out = ports(&["1023", "1024", "49151", "49152", "65535"]);
    let text = out.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("1023: well-known port (0–1023)"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("1024: registered port (1024–49151)"),
        "{text}"
    );
    assert!(lines[2].starts_with("49151: registered port"), "{text}");
    assert!(
        lines[3].starts_with("49152: dynamic port (49152–65535) — never assigned"),
        "{text}"
    );
    assert!(lines[4].starts_with("65535: dynamic port"), "{text}");
}

#[test]
fn no_argument_lists_every_service_by_range() {
    let out = ports(&[]);
    assert!(out.status.success());
    let text = out.stdout_text();
    assert!(
        text.starts_with("Well-known port (0–1023): listening here needs administrator rights\n"),
        "{text}"
    );
    for s in codec::ports::SERVICES {
        assert!(
            text.contains(&format!(" {} ", s.name)),
            "{} missing:\n{text}",
            s.name
        );
    }
}

#[test]
fn bad_input_is_explained() {
    // A usage mistake: exit code 2, as for a flag clap refuses.
    let out = ports(&["70000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.contains("0 to 65535"), "{}", out.stderr);
    let out = ports(&["nosuchservice"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.contains("unknown service"), "{}", out.stderr);
}

#[test]
fn check_says_whether_something_listens() {
    let server = Server::start("http-server", &["--port", "0"]);
    let out = ports(&["--check", "127.0.0.1", &server.port()]);
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr);
    assert!(
        out.stdout_text().contains("something listens there"),
        "{}",
        out.stdout_text()
    );
    assert!(
        server.log.wait_for("connected", T).is_some(),
        "one real TCP connection reached the server"
    );

    let closed = support::RefusingTcp::new();
    let out = ports(&["--check", "127.0.0.1", &closed.port()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout_text().contains("nothing listens there"),
        "{}",
        out.stdout_text()
    );
}

/// Runs `ports` with its output already closed, as in `ports | true`.
fn with_closed_output(args: &[&str]) -> (std::process::ExitStatus, String) {
    let mut child = std::process::Command::new(support::bin("ports"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // nobody will read what it prints
    let stderr = support::read_stderr(&mut child);
    (child.wait().unwrap(), stderr)
}

#[test]
fn a_closed_output_is_no_reason_to_panic() {
    for args in [&[][..], &["3306", "ssh"][..]] {
        let (status, stderr) = with_closed_output(args);
        assert!(status.success(), "{args:?}: {status:?} {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn negative_and_oversized_numbers_are_not_taken_for_service_names() {
    for number in ["-1", "-80", "+70000", "99999999999999999999"] {
        let out = ports(&["--", number]);
        assert_eq!(out.status.code(), Some(2), "{number}");
        assert!(
            out.stderr.contains("a port is a number from 0 to 65535"),
            "{number}: {}",
            out.stderr
        );
        // Not the whole list of services: the problem is the number.
        assert!(
            !out.stderr.contains("unknown service") && !out.stderr.contains("mysql"),
            "{number}: {}",
            out.stderr
        );
    }
}

#[test]
fn check_explains_that_port_zero_is_never_reachable() {
    let out = ports(&["--check", "127.0.0.1", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    let text = out.stdout_text();
    assert!(text.contains("port 0 can never be connected to"), "{text}");
    assert!(!text.contains("no program has opened"), "{text}");
}

#[test]
fn check_with_a_port_that_is_no_number_nor_service_is_a_usage_mistake() {
    let out = ports(&["--check", "127.0.0.1", "notaport"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("notaport"), "{}", out.stderr);
}

#[test]
fn check_refuses_a_timeout_of_zero() {
    let out = ports(&["--check", "127.0.0.1", "9", "--timeout", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("more than 0"), "{}", out.stderr);
}

#[test]
fn a_timeout_without_check_is_a_usage_mistake() {
    let out = ports(&["--timeout", "3", "80"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
}

/// A full disk is an error; a reader that left (`| true`) is not.
#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written() {
    let out = std::process::Command::new(support::bin("ports"))
        .arg("80")
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("writing standard output"), "{stderr}");
    let (code, stderr) = support::run_with_stdout_closed("ports", &[]);
    assert_eq!(code, Some(0), "{stderr}");
}
