//! Helpers for the workspace-level integration tests: run the *real* binaries
//! (`echo-server`, `chat-client`, …) as separate processes, the way a student
//! would, and talk to them over loopback.
//!
//! - [`bin`] builds the workspace's binaries once per test run and returns a path.
//! - [`Server::start`] runs a server on `--port 0` and reads the port it got
//!   from its first log line (`listening on 127.0.0.1:PORT …`): no fixed ports.
//! - [`run_client`] runs a client to completion with a time-out;
//!   [`run_with_input_left_open`] one (ours or a third-party one) whose input
//!   stays open, as at a terminal; [`Interactive`] one the test types into.
//! - [`Log::traced`] reads a `--trace` log back as the bytes that crossed.
//! - [`tool`] finds a third-party peer (nc, socat…) or explains why the test is skipped.
//! - [`Peer::on_free_ports`] runs a third-party server that must be told its
//!   port (socat, xinetd…) and waits until *that process* listens there, not
//!   another program that took the port meanwhile.
//!
//! Every wait here is bounded: a broken program makes a test fail, never hang.

#![allow(dead_code)] // each test file uses a different subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a server may take to print its listening line.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The `target/<profile>` folder holding this test executable.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/<test>-<hash>  →  target/debug
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

/// The path of a workspace binary, built on first use.
///
/// Cargo builds a package's own binaries before its integration tests, but
/// these tests live in the root package while the binaries live in
/// `crates/*`; so the first call for each binary runs `cargo build --bin NAME`
/// (quick when it is up to date).
pub fn bin(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet", "--bin", name]);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build --bin {name} failed");
        built.push(name.to_string());
    }
    let path = target_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "binary {} not found", path.display());
    path
}

/// The path of binary `name` of workspace package `package`, built on each
/// call (quick when it is up to date). For the packages that are not
/// default members (`exercises`): `cargo build --bin NAME`, which [`bin`]
/// runs, only looks in the default members.
pub fn package_bin(package: &str, name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "-p", package, "--bin", name]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo build");
    assert!(
        status.success(),
        "cargo build -p {package} --bin {name} failed"
    );
    let path = target_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "binary {} not found", path.display());
    path
}

/// The path of example `name` of workspace package `package`, built on
/// first use (as [`bin`] does for binaries).
pub fn example(package: &str, name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "--quiet",
        "-p",
        package,
        "--example",
        name,
    ]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "cargo build --example {name} failed");
    let path = target_dir()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "example {} not found", path.display());
    path
}

/// A third-party program for interop tests, or `None` with a message.
///
/// When it is missing the test should return early (skip). In CI (the `CI`
/// environment variable is set) a missing tool is a failure instead, because
/// `.ci/run` is supposed to install it.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        skip_unless_ci(&format!(
            "{name} is not installed (apt-get install it to run this test)"
        ));
    }
    found
}

/// Says why a test is skipped; in CI (the `CI` environment variable is set)
/// fails it instead, because `.ci/run` must install everything tests need.
pub fn skip_unless_ci(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{why} — but CI must have it (see .ci/run)");
    }
    eprintln!("SKIPPED: {why}");
}

/// The lines a process wrote on stderr so far, shared with a reader thread.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Everything so far as one string.
    pub fn text(&self) -> String {
        self.lines().join("\n")
    }

    /// Waits (bounded) until a line contains `needle`; returns that line.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.lines().into_iter().find(|l| l.contains(needle)) {
                return Some(line);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The bytes a `--trace` log shows in one `direction` (`"recv"` or
    /// `"sent"`), from or to every peer but `skip`, run together as the
    /// trace escapes them (`hi\r\n`): one write may take several trace
    /// lines, and several writes one line. For text; binary shows as hex.
    pub fn traced(&self, direction: &str, skip: Option<SocketAddr>) -> String {
        let skip = skip.map(|peer| format!(" {peer}: "));
        let mut text = String::new();
        for line in self.lines() {
            if !line.contains(&format!("INFO {direction} "))
                || skip
                    .as_ref()
                    .is_some_and(|peer| line.contains(peer.as_str()))
            {
                continue;
            }
            if let Some(start) = line.find(": \"") {
                let quoted = &line[start + 3..];
                text.push_str(&quoted[..quoted.rfind('"').unwrap_or(quoted.len())]);
            }
        }
        text
    }

    /// Waits (bounded) until [`Log::traced`] is `expected`, and returns it
    /// (what it was at the time-out, if never): the log reaches the test
    /// through a pipe and a thread, maybe after the answers did.
    pub fn wait_for_traced(
        &self,
        direction: &str,
        skip: Option<SocketAddr>,
        expected: &str,
        timeout: Duration,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.traced(direction, skip);
            if text == expected || Instant::now() >= deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn follow(&self, stream: impl Read + Send + 'static) {
        let log = self.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                log.0.lock().unwrap().push(line);
            }
        });
    }
}

/// A server running as a real process; killed when dropped.
pub struct Server {
    child: Child,
    /// Every address from the `listening on ADDR` lines, in order.
    pub addrs: Vec<SocketAddr>,
    /// Its stderr (the log), line by line.
    pub log: Log,
}

impl Server {
    /// Starts `name` with `args` and waits for `listening` lines (one per service).
    /// `--port 0` is not added: pass it, so each test shows what it runs.
    pub fn start(name: &str, args: &[&str]) -> Server {
        Server::start_expecting(name, args, 1)
    }

    /// Like [`Server::start`], for servers that listen on several ports.
    pub fn start_expecting(name: &str, args: &[&str], listening_lines: usize) -> Server {
        let mut command = Command::new(bin(name));
        command.args(args);
        Server::spawn(command, name, listening_lines)
    }

    /// Like [`Server::start`], for an example program of a workspace
    /// package that prints a `listening on` line too.
    pub fn start_example(package: &str, name: &str, args: &[&str]) -> Server {
        let mut command = Command::new(example(package, name));
        command.args(args);
        Server::spawn(command, name, 1)
    }

    /// Like [`Server::start`], with the number of open files the OS allows
    /// it set by the shell first: `ulimit` is given `limit` (e.g. `-Sn 200`:
    /// a soft limit the server may raise itself; `-n 200`: a hard one).
    #[cfg(unix)]
    pub fn start_with_ulimit(name: &str, limit: &str, args: &[&str]) -> Server {
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
            .arg(bin(name))
            .args(args);
        Server::spawn(command, name, 1)
    }

    /// Starts `command` (a server called `name`) and waits until it has
    /// printed `listening_lines` listening addresses.
    fn spawn(mut command: Command, name: &str, listening_lines: usize) -> Server {
        let mut child = command
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let log = Log::default();
        log.follow(child.stderr.take().unwrap());
        let deadline = Instant::now() + START_TIMEOUT;
        let addrs = loop {
            let addrs: Vec<SocketAddr> = log
                .lines()
                .iter()
                .filter_map(|l| listening_addr(l))
                .collect();
            if addrs.len() >= listening_lines {
                break addrs;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{name} exited ({status}) before listening:\n{}", log.text());
            }
            if Instant::now() >= deadline {
                let _ = child.kill(); // not left running after the test
                let _ = child.wait();
                panic!("{name} did not start listening:\n{}", log.text());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Server { child, addrs, log }
    }

    /// The first listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// The first listening port, as a string for command lines.
    pub fn port(&self) -> String {
        self.addr().port().to_string()
    }

    /// The process id (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGINT (what Ctrl-C sends) and waits, bounded, for the exit.
    #[cfg(unix)]
    pub fn interrupt(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        self.wait(timeout)
    }

    /// Waits, bounded, for the process to exit.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in a `listening on ADDR …` log line.
pub fn listening_addr(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find("listening on ")? + "listening on ".len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// What a finished client process left behind.
#[derive(Debug)]
pub struct Output {
    /// Its exit status.
    pub status: ExitStatus,
    /// Everything it wrote on stdout.
    pub stdout: Vec<u8>,
    /// Everything it wrote on stderr.
    pub stderr: String,
}

impl Output {
    /// stdout as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `program` with `args`, feeding `stdin`, and waits at most `timeout`.
/// Panics (failing the test) on a time-out, after killing the process.
pub fn run_with_input(program: &Path, args: &[&str], stdin: &[u8], timeout: Duration) -> Output {
    run_with_paced_input(program, args, &[(stdin, Duration::ZERO)], timeout)
}

/// Like [`run_with_input`], writing each piece of input in turn and waiting
/// the time given after it (a person typing, a slow pipe), then closing the
/// input.
pub fn run_with_paced_input(
    program: &Path,
    args: &[&str],
    input: &[(&[u8], Duration)],
    timeout: Duration,
) -> Output {
    run_fed(program, args, input, false, timeout)
}

/// Like [`run_with_input`], but the input stays open once `stdin` is
/// written, as a terminal's does until the user presses Ctrl-D: the program
/// must end by itself (its server closed), not because its input ended.
pub fn run_with_input_left_open(
    program: &Path,
    args: &[&str],
    stdin: &[u8],
    timeout: Duration,
) -> Output {
    run_fed(program, args, &[(stdin, Duration::ZERO)], true, timeout)
}

/// Runs `program`, writing `input` as [`run_with_paced_input`] does; then
/// closes its input, or with `leave_open` keeps it open until it exits.
fn run_fed(
    program: &Path,
    args: &[&str],
    input: &[(&[u8], Duration)],
    leave_open: bool,
    timeout: Duration,
) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let mut stdin = child.stdin.take().unwrap();
    let pieces: Vec<(Vec<u8>, Duration)> = input.iter().map(|(b, d)| (b.to_vec(), *d)).collect();
    let writer = std::thread::spawn(move || {
        for (bytes, pause) in pieces {
            if stdin.write_all(&bytes).is_err() {
                return None; // the program stopped reading: it has its answer
            }
            std::thread::sleep(pause);
        }
        // Dropping `stdin` closes the pipe: end of input for the child.
        // Returned instead, it stays open until the child has exited.
        leave_open.then_some(stdin)
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = String::new();
        let _ = err.read_to_string(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = err_reader.join().unwrap_or_default();
            panic!(
                "{} {args:?} did not finish within {timeout:?}; stderr:\n{stderr}",
                program.display()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// A client run the way a person uses it at a terminal: its input stays
/// open (nobody pressed Ctrl-D) while the test types into it, and what it
/// prints is collected line by line. Killed when dropped.
pub struct Interactive {
    child: Child,
    stdin: std::process::ChildStdin,
    /// Its stdout, line by line (a line keeps a `\r` that ends it).
    pub stdout: Log,
}

impl Interactive {
    /// Starts `program` with `args`; its stderr is thrown away.
    pub fn start(program: &Path, args: &[&str]) -> Interactive {
        let mut child = Command::new(program)
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let stdin = child.stdin.take().unwrap();
        let stdout = Log::default();
        stdout.follow(child.stdout.take().unwrap());
        Interactive {
            child,
            stdin,
            stdout,
        }
    }

    /// Types `bytes`, as if at the keyboard; the input stays open.
    pub fn type_in(&mut self, bytes: &[u8]) {
        self.stdin
            .write_all(bytes)
            .expect("the program reads its input");
        self.stdin.flush().unwrap();
    }
}

impl Drop for Interactive {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits, at most `limit`, for `child` to exit; past it, kills the child and
/// fails the test with `what` (what the child should have done).
pub fn wait_for_exit(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Everything a child process wrote on stderr, up to its end (it has exited
/// or closed stderr).
pub fn read_stderr(child: &mut Child) -> String {
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr).unwrap();
    }
    stderr
}

/// Runs one of the workspace's clients with no input.
pub fn run_client(name: &str, args: &[&str], timeout: Duration) -> Output {
    run_with_input(&bin(name), args, b"", timeout)
}

// ---- Third-party servers (socat, xinetd…) for interop tests ----------------

/// Ports free on both TCP and UDP when chosen (found by binding port 0),
/// all different, released together on return: for a third-party server
/// that cannot be told `--port 0`. Another program may take one before
/// that server binds it: start such servers with [`Peer::on_free_ports`],
/// which checks that the port is really theirs.
pub fn free_ports(count: usize) -> Vec<u16> {
    // Every socket stays bound until all are chosen: two calls of a
    // bind-and-release helper could get the same port twice.
    let mut held = Vec::new();
    for _ in 0..count * 50 {
        if held.len() == count {
            break;
        }
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if let Ok(udp) = std::net::UdpSocket::bind(("127.0.0.1", port)) {
            held.push((port, tcp, udp));
        }
    }
    assert_eq!(
        held.len(),
        count,
        "no {count} ports free on both TCP and UDP"
    );
    held.into_iter().map(|(port, _, _)| port).collect()
}

/// One port free on both TCP and UDP when chosen; see [`free_ports`].
pub fn free_port() -> u16 {
    free_ports(1)[0]
}

/// A loopback TCP address where nothing listens: a connection there is
/// refused. Held until dropped.
///
/// A port bound then released would do, until another program (another
/// test: they run in parallel) listens there and accepts the connection.
/// So the port stays bound by a socket that never listens: no other
/// socket can bind it (it has no `SO_REUSEADDR`), and the kernel refuses
/// connections to it as at a free port.
pub struct RefusingTcp {
    addr: std::net::SocketAddr,
    _held: tokio::net::TcpSocket,
}

impl RefusingTcp {
    /// A new refusing address, on a port of its own.
    pub fn new() -> RefusingTcp {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
        let addr = socket.local_addr().unwrap();
        RefusingTcp {
            addr,
            _held: socket,
        }
    }

    /// Its address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Its port, as a string for command lines.
    pub fn port(&self) -> String {
        self.addr.port().to_string()
    }
}

/// A loopback UDP address where nothing answers: a datagram sent there is
/// refused with an ICMP "port unreachable". Held until dropped.
///
/// A port bound then released would do, until another program (another
/// test: they run in parallel) binds it and takes the datagram. So on
/// Linux the port stays bound, by a socket connected to itself: it takes
/// only datagrams from its own address, and for any other sender the
/// kernel finds no socket and refuses, as for a free port. Elsewhere the
/// port is released (how other systems treat that socket is not checked).
pub struct RefusingUdp {
    addr: std::net::SocketAddr,
    _held: Option<std::net::UdpSocket>,
}

impl RefusingUdp {
    /// A new refusing address, on a port of its own.
    pub fn new() -> RefusingUdp {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        socket.connect(addr).unwrap();
        let held = cfg!(target_os = "linux").then_some(socket);
        RefusingUdp { addr, _held: held }
    }

    /// Its address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }
}

/// Asserts that `said` explains a datagram sent to `addr` (a
/// [`RefusingUdp`]) as what it is: nothing listens on that UDP port,
/// the machine answered "port unreachable". Never as a refused connection:
/// UDP has none.
#[allow(dead_code)] // each test crate uses its own share of these helpers
pub fn assert_nothing_listens_udp(said: &str, addr: std::net::SocketAddr) {
    let (port, ip) = (addr.port(), addr.ip());
    assert!(
        said.contains(&format!("nothing listens on UDP port {port} at {ip}:")),
        "{said}"
    );
    assert!(said.contains("\"port unreachable\""), "{said}");
    assert!(
        !said.to_lowercase().contains("connection refused"),
        "{said}"
    );
    assert!(!said.contains("no server listens on that port"), "{said}");
}

/// A third-party server process; stopped by its pid (SIGTERM, then SIGKILL)
/// when dropped, and its scratch folder removed.
pub struct Peer {
    child: Child,
    dir: Option<PathBuf>,
}

/// A transport a third-party server listens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// A TCP listening socket.
    Tcp,
    /// A bound UDP socket.
    Udp,
}

/// How many times [`Peer::on_free_ports`] starts a server on fresh ports
/// before it gives up.
pub const PORT_TRIES: usize = 5;

impl Peer {
    /// Starts a third-party server that must be told its ports on its
    /// command line (socat, xinetd, `python3 -m http.server`…): `build`
    /// makes its command for `count` fresh ports ([`free_ports`]). Waits
    /// (bounded) until the process started, or one of its children, itself
    /// listens on each port over each of `transports`; returns it and its
    /// ports.
    ///
    /// "Something answers on the port" is not enough: between the moment a
    /// port is chosen and the moment the server binds it, another program
    /// (another test's server: tests run in parallel) may take it. Ours
    /// then cannot bind it (most servers exit; xinetd runs on without that
    /// service), and the test would talk to the other program. So the
    /// kernel's socket tables say which sockets are on the port, and the
    /// process's descriptors whose they are (see [`port_owners`]). When the
    /// server exits before listening or the port is another program's, it
    /// is stopped and started again on fresh ports, [`PORT_TRIES`] times in
    /// all; then the test fails, saying why each try failed.
    pub fn on_free_ports(
        name: &str,
        count: usize,
        transports: &[Transport],
        build: impl FnMut(&[u16]) -> Command,
    ) -> (Peer, Vec<u16>) {
        Peer::on_free_ports_in(name, count, transports, None, build)
    }

    /// [`Peer::on_free_ports`] for a server whose scratch folder `dir`
    /// (made by `build`) is removed with it.
    fn on_free_ports_in(
        name: &str,
        count: usize,
        transports: &[Transport],
        dir: Option<PathBuf>,
        mut build: impl FnMut(&[u16]) -> Command,
    ) -> (Peer, Vec<u16>) {
        let mut failures = Vec::new();
        for _ in 0..PORT_TRIES {
            let ports = free_ports(count);
            let child = build(&ports)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
            // Owned from here: a failed try (or a panic) stops it.
            let mut peer = Peer {
                child,
                dir: dir.clone(),
            };
            match peer.wait_listening(name, &ports, transports) {
                Ok(()) => return (peer, ports),
                Err(why) => {
                    // Seen with --nocapture, or in a failing test's output.
                    eprintln!("{name}: {why}; trying other ports");
                    failures.push(why);
                }
            }
        }
        panic!(
            "{name} could not listen on fresh ports in {PORT_TRIES} tries:\n  {}",
            failures.join("\n  ")
        );
    }

    /// Waits (bounded) until this process listens on every port over every
    /// transport. `Err` (worth a try on other ports) when it exited first
    /// or another program has one of the ports; a panic when it is still
    /// not listening after [`START_TIMEOUT`].
    fn wait_listening(
        &mut self,
        name: &str,
        ports: &[u16],
        transports: &[Transport],
    ) -> Result<(), String> {
        let wanted: Vec<(u16, Transport)> = ports
            .iter()
            .flat_map(|&port| transports.iter().map(move |&t| (port, t)))
            .collect();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited ({status}) before listening on {ports:?}"));
            }
            let owners = port_owners(self.child.id(), &wanted);
            if let Some(((port, transport), _)) = wanted
                .iter()
                .zip(&owners)
                .find(|(_, owner)| **owner == Owner::Other)
            {
                return Err(format!("port {port} ({transport:?}) was another program's"));
            }
            if owners.iter().all(|owner| *owner == Owner::Us) {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not listen on {wanted:?} within {START_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts `command`, a server that listens on a port the system picks
    /// and prints it as the first line of its standard output; waits
    /// (bounded) for that line. The server listens once it has printed it.
    pub fn start_announcing(mut command: Command, name: &str) -> (Peer, u16) {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let peer = Peer { child, dir: None };
        let line = rx
            .recv_timeout(START_TIMEOUT)
            .unwrap_or_else(|_| panic!("{name} did not print its port"));
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} printed {line:?}, not a port"));
        (peer, port)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Whose sockets are on a port, as [`port_owners`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// No socket yet.
    Nobody,
    /// Only sockets of the process asked about (or of its children).
    Us,
    /// At least one socket of another program.
    Other,
}

/// Who holds each `(port, transport)` of `wanted` on loopback, compared
/// with process `pid` and its descendants. The kernel's tables
/// (`/proc/net/tcp`, `tcp6`, `udp`, `udp6`) give the inode of each socket
/// on the port (for TCP, each listening one); a process's descriptors
/// (`/proc/PID/fd`, links named `socket:[INODE]`) show the sockets it holds.
#[cfg(target_os = "linux")]
pub fn port_owners(pid: u32, wanted: &[(u16, Transport)]) -> Vec<Owner> {
    // The tables first: a socket in them was created, so its descriptor
    // is already in its process's fd folder when that is read next.
    let on_port: Vec<Vec<String>> = wanted
        .iter()
        .map(|&(port, transport)| socket_inodes_on(port, transport))
        .collect();
    let ours = held_sockets(&process_tree(pid));
    on_port
        .iter()
        .map(|inodes| {
            if inodes.is_empty() {
                Owner::Nobody
            } else if inodes.iter().all(|inode| ours.contains(inode)) {
                Owner::Us
            } else {
                Owner::Other
            }
        })
        .collect()
}

/// Without `/proc`, only "something is there" can be seen: a TCP port
/// accepts, a UDP port cannot be bound. Weaker than on Linux (the
/// something may be another program), where CI runs.
#[cfg(not(target_os = "linux"))]
pub fn port_owners(_pid: u32, wanted: &[(u16, Transport)]) -> Vec<Owner> {
    wanted
        .iter()
        .map(|&(port, transport)| {
            let there = match transport {
                Transport::Tcp => std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
                Transport::Udp => std::net::UdpSocket::bind(("127.0.0.1", port)).is_err(),
            };
            if there { Owner::Us } else { Owner::Nobody }
        })
        .collect()
}

/// The inodes of the sockets on local `port`: TCP ones that listen (state
/// `0A`; not the connections, nor `TIME_WAIT` rows, whose inode is 0), all
/// UDP ones. A row is `sl local rem st … uid timeout inode`, `local` being
/// `HEXIP:HEXPORT`.
#[cfg(target_os = "linux")]
fn socket_inodes_on(port: u16, transport: Transport) -> Vec<String> {
    let tables = match transport {
        Transport::Tcp => ["/proc/net/tcp", "/proc/net/tcp6"],
        Transport::Udp => ["/proc/net/udp", "/proc/net/udp6"],
    };
    let wanted = format!(":{port:04X}");
    let mut inodes = Vec::new();
    for table in tables {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() > 9
                && fields[1].ends_with(&wanted)
                && (transport == Transport::Udp || fields[3] == "0A")
                && fields[9] != "0"
            {
                inodes.push(fields[9].to_string());
            }
        }
    }
    inodes
}

/// `pid` and every process descended from it (a server that forks may
/// listen in a child), from the parent pid in each `/proc/PID/stat`.
#[cfg(target_os = "linux")]
fn process_tree(pid: u32) -> Vec<u32> {
    let mut parents = Vec::new(); // (pid, its parent)
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // "PID (COMMAND) STATE PPID …": COMMAND may hold spaces and ')'.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue; // ended meanwhile
        };
        let parent = stat
            .rfind(')')
            .and_then(|end| stat[end + 1..].split_whitespace().nth(1))
            .and_then(|ppid| ppid.parse::<u32>().ok());
        if let Some(parent) = parent {
            parents.push((child, parent));
        }
    }
    let mut tree = vec![pid];
    let mut next = 0;
    // Each process is added once: the loop ends with the table.
    while next < tree.len() {
        let parent = tree[next];
        tree.extend(
            parents
                .iter()
                .filter(|&&(child, p)| p == parent && !tree.contains(&child))
                .map(|&(child, _)| child)
                .collect::<Vec<_>>(),
        );
        next += 1;
    }
    tree
}

/// The inodes of the sockets the processes `pids` hold open.
#[cfg(target_os = "linux")]
fn held_sockets(pids: &[u32]) -> Vec<String> {
    let mut inodes = Vec::new();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                let target = target.to_string_lossy();
                if let Some(inode) = target
                    .strip_prefix("socket:[")
                    .and_then(|rest| rest.strip_suffix(']'))
                {
                    inodes.push(inode.to_string());
                }
            }
        }
    }
    inodes
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

/// xinetd serving its internal `services` (`"time"`, `"echo"`…), each on
/// TCP and UDP on a fresh port of its own, bound to 127.0.0.1, in the time
/// zone `tz`; and those ports, in the order of `services`.
///
/// xinetd's defaults close a service after 50 fast connections (`cps`) and
/// limit instances per source: both are raised, or load would look like a bug.
pub fn xinetd(path: &Path, services: &[&str], tz: &str) -> (Peer, Vec<u16>) {
    xinetd_with(path, services, tz, |_| {})
}

/// [`xinetd`], calling `before_start` with the ports chosen before each
/// start: a test takes one there, as another program could, to see it
/// noticed.
pub fn xinetd_with(
    path: &Path,
    services: &[&str],
    tz: &str,
    mut before_start: impl FnMut(&[u16]),
) -> (Peer, Vec<u16>) {
    // One folder per xinetd: the tests of a file run in parallel.
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("netlab-xinetd-{}-{n}", std::process::id()));
    let build = |ports: &[u16]| {
        before_start(ports);
        let mut conf = String::from(
            "defaults\n{\n  instances = UNLIMITED\n  per_source = UNLIMITED\n  cps = 100000 1\n}\n",
        );
        for (name, port) in services.iter().zip(ports) {
            for (socket_type, protocol, wait) in [("stream", "tcp", "no"), ("dgram", "udp", "yes")]
            {
                conf.push_str(&format!(
                    "service {name}\n{{\n  type = INTERNAL UNLISTED\n  id = {name}-{socket_type}\n  \
                     socket_type = {socket_type}\n  protocol = {protocol}\n  wait = {wait}\n  \
                     bind = 127.0.0.1\n  port = {port}\n}}\n"
                ));
            }
        }
        // Made again at each try: a failed one removed it.
        std::fs::create_dir_all(&dir).unwrap();
        let conf_path = dir.join("xinetd.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let mut command = Command::new(path);
        command
            .arg("-dontfork")
            .arg("-f")
            .arg(&conf_path)
            .arg("-pidfile")
            .arg(dir.join("xinetd.pid"))
            .env("TZ", tz);
        command
    };
    Peer::on_free_ports_in(
        "xinetd",
        services.len(),
        &[Transport::Tcp, Transport::Udp],
        Some(dir.clone()),
        build,
    )
}

// ---- Reading protocol-check's report ---------------------------------------

/// Every rule id `protocol-check chat` prints, in order.
pub const CHAT_RULES: &[&str] = &[
    "chat.hello",
    "chat.nick",
    "chat.nick-invalid",
    "chat.nick-taken",
    "chat.before-nick",
    "chat.bad-input",
    "chat.join",
    "chat.rename",
    "chat.msg",
    "chat.priv",
    "chat.list",
    "chat.ping",
    "chat.help",
    "chat.unknown",
    "chat.case",
    "chat.crlf",
    "chat.long-line",
    "chat.controls",
    "chat.quit",
];

/// The verdict printed in front of rule `id` in protocol-check's report
/// (`PASS`, `FAIL`, `RÉUSSI`…), and the `↳ reason` line under it, if any.
pub fn rule(stdout: &str, id: &str) -> Option<(String, String)> {
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

/// Deterministic pseudo-random bytes (xorshift) covering every value 0–255:
/// binary data to send through a program, the same at every run for `seed`.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Plays a careless UDP server on `socket`: every datagram it receives is
/// sent straight back to its sender. Pointed at one of our servers, that
/// is the loop a forged datagram starts between two servers. Returns how
/// many it sent back before `quiet` passed without any (the loop ended) —
/// or `None` if it was still going after `limit` datagrams or 10 s.
pub fn answer_everything(
    socket: &std::net::UdpSocket,
    quiet: Duration,
    limit: usize,
) -> Option<usize> {
    socket.set_read_timeout(Some(quiet)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 2048];
    let mut answered = 0;
    while answered < limit && Instant::now() < deadline {
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                socket.send_to(&buf[..n], from).unwrap();
                answered += 1;
            }
            Err(_) => return Some(answered), // silence: the loop is over
        }
    }
    None
}

/// A server's answers to one source in a loop that lasted `lasted` (the
/// quiet moment that ended it included) fit its `--udp-rate`: the full
/// bucket (`rate` answers) at least, plus at most what refilled meanwhile.
/// A bound that ignores the time (`rate..=2 * rate`) fails a correct
/// server whenever a busy machine makes the loop last over a second.
pub fn assert_within_udp_budget(answered: usize, rate: u32, lasted: Duration) {
    let refilled = (lasted.as_secs_f64() * f64::from(rate)).ceil() as usize;
    let most = rate as usize + refilled + 1;
    assert!(
        (rate as usize..=most).contains(&answered),
        "{answered} answers in {lasted:?} at --udp-rate {rate}: expected {rate} to {most}"
    );
}

/// Runs program `name` with `args` and its standard output piped into
/// `true`, which reads nothing and exits at once (as `| head -1` does after
/// its line): the program must end quietly, not panic or report an error.
/// Returns its exit code and its stderr (`set -o pipefail`: the program's).
#[cfg(unix)]
pub fn run_with_stdout_closed(name: &str, args: &[&str]) -> (Option<i32>, String) {
    let mut script = format!("set -o pipefail; '{}'", bin(name).display());
    for arg in args {
        script.push_str(&format!(" '{arg}'"));
    }
    script.push_str(" | true");
    let out = Command::new("bash")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
