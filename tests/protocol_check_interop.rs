//! protocol-check against servers nobody here wrote: it must judge any
//! server by the protocol, not by netlab's habits.
//!
//! - **xinetd**'s built-in echo, time and daytime services (Debian package
//!   `xinetd`), over TCP and UDP. They follow the RFCs, with one real
//!   limit protocol-check reports: xinetd's UDP echo sends back at most
//!   2048 bytes of a datagram.
//! - **socat** turned into an echo server (`EXEC:cat`, one process per
//!   client): every TCP echo rule passes.
//!
//! Each tool is started by the test on free high loopback ports and stopped
//! by its pid; a missing tool skips the test locally and fails it in CI.

mod support;

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Output, run_client, tool};

/// Longest a whole protocol-check run, or a tool's start, may take.
const T: Duration = Duration::from_secs(60);

fn check(protocol: &str, port: u16, extra: &[&str]) -> Output {
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec![protocol, &addr, "--lang", "en"];
    args.extend_from_slice(extra);
    let out = run_client("protocol-check", &args, T);
    eprintln!("$ protocol-check {}\n{}", args.join(" "), out.stdout_text());
    out
}

/// The label printed in front of rule `id`, and the reason below it.
fn rule(stdout: &str, id: &str) -> Option<(String, String)> {
    let mut lines = stdout.lines().peekable();
    while let Some(line) = lines.next() {
        let mut words = line.split_whitespace();
        let label = words.next().unwrap_or_default();
        if words.next() == Some(id) {
            let reason = match lines.peek() {
                Some(next) if next.contains('↳') => next.trim().to_string(),
                _ => String::new(),
            };
            return Some((label.to_string(), reason));
        }
    }
    None
}

fn assert_all_pass(out: &Output) {
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", out.stderr);
    assert!(!stdout.contains("FAIL"), "{stdout}");
    assert!(
        stdout.contains("the server follows the protocol"),
        "{stdout}"
    );
}

/// A port number free on both TCP and UDP (found by binding port 0, then released).
fn free_port() -> u16 {
    for _ in 0..50 {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free on both TCP and UDP");
}

/// Waits (bounded) until `port` accepts TCP connections.
fn wait_listening(child: &mut Child, name: &str, port: u16) {
    let deadline = Instant::now() + T;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{name} exited ({status}) before listening");
        }
        assert!(Instant::now() < deadline, "{name} did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A third-party server process, stopped by its pid when dropped.
struct Peer {
    child: Child,
    dir: Option<PathBuf>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !matches!(self.child.try_wait(), Ok(Some(_))) {
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// xinetd serving its internal `services` (name, port), each on TCP and UDP.
fn xinetd(xinetd: &Path, services: &[(&str, u16)]) -> Peer {
    // One folder per xinetd: the tests of this file run in parallel.
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("netlab-pc-xinetd-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // xinetd's defaults close a port after 50 fast connections: raise them.
    let mut conf = String::from(
        "defaults\n{\n  instances = UNLIMITED\n  per_source = UNLIMITED\n  cps = 100000 1\n}\n",
    );
    for (name, port) in services {
        for (socket_type, protocol, wait) in [("stream", "tcp", "no"), ("dgram", "udp", "yes")] {
            conf.push_str(&format!(
                "service {name}\n{{\n  type = INTERNAL UNLISTED\n  id = {name}-{socket_type}\n  \
                 socket_type = {socket_type}\n  protocol = {protocol}\n  wait = {wait}\n  \
                 bind = 127.0.0.1\n  port = {port}\n}}\n"
            ));
        }
    }
    let conf_path = dir.join("xinetd.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(xinetd)
        .arg("-dontfork")
        .arg("-f")
        .arg(&conf_path)
        .arg("-pidfile")
        .arg(dir.join("xinetd.pid"))
        // UTC, so its daytime line names one instant protocol-check can compare.
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start xinetd");
    let mut peer = Peer {
        child,
        dir: Some(dir),
    };
    for (_, port) in services {
        wait_listening(&mut peer.child, "xinetd", *port);
    }
    peer
}

#[test]
fn xinetd_time_and_daytime_pass_every_rule_over_tcp_and_udp() {
    let Some(path) = tool("xinetd") else { return };
    let (time, daytime) = (free_port(), free_port());
    let _x = xinetd(&path, &[("time", time), ("daytime", daytime)]);
    assert_all_pass(&check("time", time, &[]));
    assert_all_pass(&check("time", time, &["--udp"]));
    assert_all_pass(&check("daytime", daytime, &[]));
    assert_all_pass(&check("daytime", daytime, &["--udp"]));
}

#[test]
fn xinetd_echo_passes_over_tcp_and_its_2048_byte_udp_limit_is_reported() {
    let Some(path) = tool("xinetd") else { return };
    let port = free_port();
    let _x = xinetd(&path, &[("echo", port)]);
    assert_all_pass(&check("echo", port, &[]));
    let udp = check("echo", port, &["--udp"]);
    let stdout = udp.stdout_text();
    assert_eq!(
        rule(&stdout, "echo.udp-datagram").map(|r| r.0).as_deref(),
        Some("PASS"),
        "{stdout}"
    );
    assert_eq!(
        rule(&stdout, "echo.udp-binary").map(|r| r.0).as_deref(),
        Some("PASS"),
        "{stdout}"
    );
    // A real limit of xinetd's built-in echo (its buffer is 2 KiB), which
    // RFC 862 does not allow: "the data from it is sent back".
    let (label, reason) = rule(&stdout, "echo.udp-large").expect("echo.udp-large");
    assert_eq!(label, "FAIL", "{stdout}");
    assert!(
        reason.contains("8192 bytes was sent, 2048 bytes came back"),
        "{reason}"
    );
    assert_eq!(udp.status.code(), Some(1), "{stdout}");
}

#[test]
fn socat_running_cat_is_an_echo_server_that_passes_every_tcp_rule() {
    let Some(socat) = tool("socat") else { return };
    let port = free_port();
    let listen = format!("TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr");
    let child = Command::new(socat)
        .args([listen.as_str(), "EXEC:cat"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start socat");
    let mut peer = Peer { child, dir: None };
    wait_listening(&mut peer.child, "socat", port);
    assert_all_pass(&check("echo", port, &[]));
}
