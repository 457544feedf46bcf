//! Interop: the time pair against programs nobody here wrote.
//!
//! - **rdate** (Debian package `rdate`) reads our time service over TCP and
//!   UDP, and agrees with our decoder on the edge values of RFC 868 (1970,
//!   the 2036 rollover, 2106). Always `-p` (print only): rdate must never set
//!   the clock. rdate has no read time-out of its own, so it runs under
//!   `timeout 5`.
//! - **nc** (netcat-openbsd) shows our daytime line and our 4 time bytes,
//!   with the command lines the README and docs/protocols/time.md show.
//! - **socat** reads our daytime line over TCP and UDP; **telnet** shows it
//!   and ends at the server's close; so does Nmap's ncat with
//!   `--recv-only`, the README's stand-in for OpenBSD nc's `-d`.
//! - **xinetd**'s built-in time and daytime services are read by our
//!   time-client. The test writes xinetd's configuration to a temporary
//!   folder (high free loopback ports, limits raised: its default rate limit
//!   closes a port after 50 fast connections), starts it in the foreground
//!   and stops it by its pid.
//!
//! A missing tool skips the test with a message, except in CI (see `support::tool`).

mod support;

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use codec::time::{Timestamp, daytime, rfc868};
use support::{
    Interactive, Output, Server, run_client, run_with_input, run_with_input_left_open, tool,
};

const T: Duration = Duration::from_secs(20);

fn time_server() -> Server {
    Server::start_expecting("time-server", &["--port", "0", "--daytime-port", "0"], 2)
}

/// Runs `rdate -p` (print only, never set the clock) under `timeout 5`, in UTC.
fn rdate(rdate: &Path, port: u16, udp: bool) -> Output {
    let env = tool("env").expect("env is part of coreutils");
    let rdate = rdate.to_string_lossy().into_owned();
    let port = port.to_string();
    let mut args = vec!["TZ=UTC", "timeout", "5", rdate.as_str(), "-p"];
    if udp {
        args.push("-u");
    }
    args.extend(["-o", &port, "127.0.0.1"]);
    run_with_input(&env, &args, b"", T)
}

/// The instant rdate printed, e.g. `Thu Feb  7 06:28:16 UTC 2036`.
fn rdate_instant(out: &Output) -> Timestamp {
    let stdout = out.stdout_text();
    assert!(out.status.success(), "rdate failed: {stdout}{}", out.stderr);
    let line = stdout.lines().last().unwrap_or_default();
    // Some versions prefix the line with `rdate: [host]`; keep the date.
    let date = line.rsplit('\t').next().unwrap_or(line);
    daytime::parse(date).unwrap_or_else(|e| panic!("cannot read rdate's {line:?}: {e}"))
}

fn off_by(instant: Timestamp) -> f64 {
    instant.duration_since(Timestamp::now()).as_secs_f64().abs()
}

#[test]
fn rdate_reads_our_time_server_over_tcp_and_udp() {
    let Some(rdate_path) = tool("rdate") else {
        return;
    };
    let server = time_server();
    for udp in [false, true] {
        let out = rdate(&rdate_path, server.addrs[0].port(), udp);
        let instant = rdate_instant(&out);
        assert!(
            off_by(instant) < 2.0,
            "rdate (udp: {udp}) read {instant}, the system clock says {}",
            Timestamp::now()
        );
    }
    let log = server.log.text();
    assert!(
        log.contains("disconnected (0 bytes in, 4 bytes out)"),
        "{log}"
    );
    assert!(log.contains("(udp) asked time (RFC 868)"), "{log}");
}

/// A one-shot TCP server that sends `bytes` to its first client and closes.
/// It gives up after `T` if nobody comes, so that joining it never hangs.
fn serve_once(bytes: [u8; 4]) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let handle = std::thread::spawn(move || {
        let deadline = Instant::now() + T;
        while Instant::now() < deadline {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.write_all(&bytes);
                    return;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    (port, handle)
}

#[test]
fn rdate_and_our_decoder_agree_on_the_edges_of_rfc_868() {
    let Some(rdate_path) = tool("rdate") else {
        return;
    };
    let now = rfc868::value(Timestamp::now()).unwrap();
    for value in [
        0x83AA_7E80,
        0xFFFF_FFFF,
        0x0000_0000,
        0x7FFF_FFFF,
        0x83AA_7E7F,
        now,
    ] {
        let (port, handle) = serve_once(u32::to_be_bytes(value));
        let out = rdate(&rdate_path, port, false);
        handle.join().unwrap();
        assert_eq!(
            rdate_instant(&out),
            rfc868::instant_of(value),
            "value {value:#010x}: rdate printed {:?}",
            out.stdout_text()
        );
    }
}

/// The nc command lines of the README and docs/protocols/time.md, as shown.
#[test]
fn nc_shows_our_daytime_line_and_our_four_time_bytes() {
    let Some(nc) = tool("nc") else { return };
    let server = time_server();
    // `nc -d 127.0.0.1 10013`: -d, nc reads no input, so at a terminal
    // (input still open) it ends when the server closes.
    let day = server.addrs[1].port().to_string();
    let out = run_with_input_left_open(&nc, &["-d", "127.0.0.1", &day], b"", T);
    let line = out.stdout_text();
    assert!(out.status.success(), "{line:?} {}", out.stderr);
    assert!(line.ends_with("-UTC\r\n"), "{line:?} {}", out.stderr);
    assert!(off_by(daytime::parse(&line).unwrap()) < 2.0, "{line:?}");

    // `nc -d 127.0.0.1 10037 | xxd`
    let time = server.addrs[0].port().to_string();
    let out = run_with_input_left_open(&nc, &["-d", "127.0.0.1", &time], b"", T);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(off_by(rfc868::parse_answer(&out.stdout).unwrap()) < 2.0);

    // `echo hi | nc 127.0.0.1 10037`: a client that speaks first still gets
    // its 4 bytes (not a reset), and nc ends at the server's close.
    let out = run_with_input(&nc, &["127.0.0.1", &time], b"hi\n", T);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(off_by(rfc868::parse_answer(&out.stdout).unwrap()) < 2.0);

    // `echo | nc -u -w 1 127.0.0.1 10013`: over UDP nc must send something
    // first; -w 1 ends it after the answer. The same for the time port.
    let out = run_with_input(&nc, &["-u", "-w", "1", "127.0.0.1", &day], b"\n", T);
    let line = out.stdout_text();
    assert!(line.ends_with("-UTC\r\n"), "{line:?} {}", out.stderr);
    let out = run_with_input(&nc, &["-u", "-w", "1", "127.0.0.1", &time], b"\n", T);
    assert!(off_by(rfc868::parse_answer(&out.stdout).unwrap()) < 2.0);
}

/// `nc --recv-only`, where nc is Nmap's ncat (README): what `nc -d` does.
#[test]
fn ncat_recv_only_shows_our_daytime_line_and_time_bytes() {
    let Some(ncat) = tool("ncat") else { return };
    let server = time_server();
    let (time, day) = (server.addrs[0].port(), server.addrs[1].port());
    let (time, day) = (time.to_string(), day.to_string());
    let args = ["--recv-only", "127.0.0.1", &day];
    let out = run_with_input_left_open(&ncat, &args, b"", T);
    let line = out.stdout_text();
    assert!(out.status.success(), "{line:?} {}", out.stderr);
    assert!(off_by(daytime::parse(&line).unwrap()) < 2.0, "{line:?}");
    let args = ["--recv-only", "127.0.0.1", &time];
    let out = run_with_input_left_open(&ncat, &args, b"", T);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(off_by(rfc868::parse_answer(&out.stdout).unwrap()) < 2.0);
}

#[test]
fn socat_reads_our_daytime_line_over_tcp_and_udp() {
    let Some(socat) = tool("socat") else { return };
    let server = time_server();
    let day = server.addrs[1].port();
    // -u: only from the server to stdout; socat ends at the server's close.
    let tcp = format!("TCP:127.0.0.1:{day}");
    let out = run_with_input(&socat, &["-u", &tcp, "-"], b"", T);
    let line = out.stdout_text();
    assert!(out.status.success(), "{line:?} {}", out.stderr);
    assert!(off_by(daytime::parse(&line).unwrap()) < 2.0, "{line:?}");

    // Over UDP the typed line is the question; nothing ends socat, so it
    // runs until the answer is shown.
    let udp = format!("UDP:127.0.0.1:{day}");
    let mut socat = Interactive::start(&socat, &["-", &udp]);
    socat.type_in(b"\n");
    let line = socat
        .stdout
        .wait_for("-UTC", T)
        .unwrap_or_else(|| panic!("no daytime line: {:?}", socat.stdout.lines()));
    let line = line.trim_end_matches('\r');
    assert!(off_by(daytime::parse(line).unwrap()) < 2.0, "{line:?}");
}

#[test]
fn telnet_shows_our_daytime_line_and_ends_at_the_close() {
    let Some(telnet) = tool("telnet") else { return };
    let server = time_server();
    let day = server.addrs[1].port().to_string();
    let out = run_with_input_left_open(&telnet, &["127.0.0.1", &day], b"", T);
    let text = out.stdout_text();
    let line = text
        .lines()
        .find(|l| l.ends_with("-UTC"))
        .unwrap_or_else(|| panic!("no daytime line in {text:?} {}", out.stderr));
    assert!(off_by(daytime::parse(line).unwrap()) < 2.0, "{line:?}");
    assert!(
        out.stderr.contains("Connection closed by foreign host"),
        "{}",
        out.stderr
    );
}

/// xinetd's internal time and daytime services, with their ports.
struct Xinetd {
    _peer: support::Peer,
    time_port: u16,
    daytime_port: u16,
}

impl Xinetd {
    /// Starts xinetd's internal time and daytime services (TCP and UDP),
    /// with the time zone `tz`, and waits until both TCP ports accept.
    fn start(xinetd: &Path, tz: &str) -> Xinetd {
        let (peer, ports) = support::xinetd(xinetd, &["time", "daytime"], tz);
        Xinetd {
            _peer: peer,
            time_port: ports[0],
            daytime_port: ports[1],
        }
    }
}

/// The number in time-client's `difference:` line, in seconds.
fn reported_difference(stdout: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("difference:"))
        .unwrap_or_else(|| panic!("no difference line in:\n{stdout}"));
    let before_s = line.split(" s ").next().unwrap();
    before_s.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn time_client_reads_xinetd_time_and_daytime_over_tcp_and_udp() {
    let Some(xinetd) = tool("xinetd") else { return };
    let x = Xinetd::start(&xinetd, "UTC");
    let (time, day) = (x.time_port.to_string(), x.daytime_port.to_string());
    let cases: [&[&str]; 4] = [
        &["--port", &time],
        &["--port", &time, "--udp"],
        &["--protocol", "daytime", "--port", &day],
        &["--protocol", "daytime", "--port", &day, "--udp"],
    ];
    for args in cases {
        let out = run_client("time-client", args, T);
        let stdout = out.stdout_text();
        assert!(out.status.success(), "{args:?}:\n{stdout}{}", out.stderr);
        assert!(
            reported_difference(&stdout) < 2.0,
            "{args:?}: xinetd and this machine share one clock:\n{stdout}"
        );
    }
}

#[test]
fn a_daytime_line_in_a_local_time_zone_is_shown_but_not_guessed() {
    let Some(xinetd) = tool("xinetd") else { return };
    if !Path::new("/usr/share/zoneinfo/Europe/Paris").exists() {
        support::skip_unless_ci("tzdata is not installed (apt-get install tzdata)");
        return;
    }
    // xinetd writes its local time with a zone abbreviation: `… CET`.
    let x = Xinetd::start(&xinetd, "Europe/Paris");
    let day = x.daytime_port.to_string();
    let out = run_client("time-client", &["--protocol", "daytime", "--port", &day], T);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
    assert!(
        out.stdout_text().contains("received:"),
        "{}",
        out.stdout_text()
    );
    assert!(out.stderr.contains("without a time zone"), "{}", out.stderr);
}
