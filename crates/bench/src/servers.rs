//! # Starting and stopping the servers under test
//!
//! The suite measures *processes*, ours and the peers alike, each started
//! fresh for every run so that no run inherits another's warm caches, leaked
//! connections or fragmented memory. A server is ready when the kernel lists
//! its port as listening in `/proc/net/tcp`, on a socket of the process
//! itself (not of another program that took the port): probing it with a connection
//! would be a client of its own (and would end `iperf3 -s -1`, which serves
//! exactly one test).
//!
//! Every port is above 61000: Linux gives client sockets ports from
//! 32768–60999, so a fixed port below that could already be taken by one of
//! the benchmark's own connections.
//!
//! A server the suite started must not outlive it, however the suite ends:
//! a forgotten server holds its port and a core for nobody. The suite stops
//! it itself on every path it controls (an error, the first Ctrl-C); for the
//! ones it does not (a second Ctrl-C, which exits at once; `kill -9`; a
//! crash) the kernel does: see [`tied_to_this_process`].

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use netkit::NetError;

/// The first port the suite uses; each server gets new ones.
pub const FIRST_PORT: u16 = 61_100;
/// The last port the suite uses before starting again from [`FIRST_PORT`].
pub const LAST_PORT: u16 = 64_999;

/// Hands out fresh ports, so no run waits for another's `TIME_WAIT`.
#[derive(Debug)]
pub struct Ports {
    next: u16,
}

impl Default for Ports {
    fn default() -> Ports {
        Ports { next: FIRST_PORT }
    }
}

impl Ports {
    /// A port no earlier run of this suite has used recently, and that no
    /// other program listens on: a server started there would exit at once
    /// ("port in use") while the other program answered in its place.
    pub fn take(&mut self) -> u16 {
        let count = usize::from(LAST_PORT - FIRST_PORT) + 1;
        for _ in 0..count {
            let port = self.next;
            self.next = if port >= LAST_PORT {
                FIRST_PORT
            } else {
                port + 1
            };
            if !in_use(port) {
                return port;
            }
        }
        // Every port taken: the server's own "port in use" will say so.
        self.next
    }
}

/// A command that runs `program`, and that Linux ends (SIGTERM) when this
/// process ends, in whatever way, even by `kill -9`: the *parent death
/// signal* (`prctl(PR_SET_PDEATHSIG)`), asked for by `setpriv --pdeathsig`
/// (util-linux), which then becomes `program` itself (`exec`: same process
/// id, the setting kept). Without `setpriv` (not Linux, or util-linux
/// older than 2.33), a plain command: [`outlives_us_warning`] says so.
///
/// Why a program and not a few lines of our own: the setting must be made
/// in the child, between `fork` and `exec`, which in Rust is
/// `CommandExt::pre_exec`, an `unsafe` function, and this workspace forbids
/// `unsafe` code. `setpriv` does the same `prctl` call, in its own process.
///
/// **Caution: the "parent" is the thread that started the child.** The
/// signal comes when *that thread* ends, not the process. Call this from a
/// thread that lives as long as the process: the suite does, from the main
/// thread (`netkit::run_on` runs the suite's future there, with one or many
/// runtime threads: `Runtime::block_on` polls it on its caller). Never from
/// `tokio::task::spawn_blocking`: the runtime ends an idle blocking thread
/// after 10 s, and the server would be stopped in the middle of a run.
///
/// One gap remains: `setpriv` makes its `prctl` call a moment after it
/// starts. A suite killed (or a starting thread ended) in that millisecond
/// leaves that server running: by then, the kernel has already handed it
/// to another parent, and ties it to that one.
pub fn tied_to_this_process(program: &Path) -> Command {
    match setpriv() {
        Some(setpriv) => {
            let mut command = Command::new(setpriv);
            command.args(["--pdeathsig", "TERM", "--"]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// `setpriv`, if it is there and knows `--pdeathsig` (tried once).
fn setpriv() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let setpriv = which("setpriv")?;
            let works = Command::new(&setpriv)
                .args(["--pdeathsig", "TERM", "--", "true"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            works.then_some(setpriv)
        })
        .as_deref()
}

/// When [`tied_to_this_process`] cannot tie the servers to this process, a
/// sentence that says what that means, for the suite to print once.
pub fn outlives_us_warning() -> Option<&'static str> {
    setpriv().is_none().then_some(
        "note: setpriv (util-linux) with --pdeathsig is not available: a server this suite \
         starts is stopped by the suite on Ctrl-C or SIGTERM, but would outlive it if it \
         were killed outright (kill -9, or a second Ctrl-C)",
    )
}

/// A server process under test.
#[derive(Debug)]
pub struct Running {
    /// How it was started, for the report.
    pub command: String,
    child: Child,
}

impl Running {
    /// Starts `program args…`, its stderr going to `log`, and waits until
    /// every port in `ports` is listening. The server ends with this
    /// process at the latest, and with the calling thread: see
    /// [`tied_to_this_process`].
    ///
    /// The wait is asynchronous, so that the suite can give it up on
    /// Ctrl-C: a wait that blocked the suite's one thread (up to 10 s for a
    /// server that never listens) left every Ctrl-C unseen until it ended,
    /// a second one included. Dropped while waiting, it stops the server.
    pub async fn start(
        program: &Path,
        args: &[String],
        log: &Path,
        ports: &[u16],
    ) -> Result<Running, NetError> {
        let command = format!("{} {}", program.display(), args.join(" "));
        let log_file = fs::File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| NetError::io(format!("opening {}", log.display()), e))?;
        let child = tied_to_this_process(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| NetError::io(format!("starting {command}"), e))?;
        let mut running = Running { command, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid = running.pid();
        while !ports.iter().all(|&p| listening_by(pid, p)) {
            if let Ok(Some(status)) = running.child.try_wait() {
                return Err(NetError::protocol(format!(
                    "{} exited ({status}) before listening; see {}",
                    running.command,
                    log.display()
                )));
            }
            if Instant::now() > deadline {
                running.stop();
                return Err(NetError::protocol(format!(
                    "{} did not listen on {ports:?} within 10 s; see {}",
                    running.command,
                    log.display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(running)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks it to stop (SIGTERM, as `kill` does), then forces it after 3 s.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Is some socket listening on TCP `port` (IPv4 or IPv6)?
pub fn listening(port: u16) -> bool {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .any(|table| fs::read_to_string(table).is_ok_and(|text| listens_in(&text, port)))
}

/// Is process `pid` itself listening on TCP `port`? The kernel's table
/// gives each listening socket's inode; the process's descriptors
/// (`/proc/PID/fd`, links named `socket:[INODE]`) say whose it is. "Some
/// socket listens there" is not enough: another program may have taken the
/// port in between, and ours, unable to listen, be exiting.
pub fn listening_by(pid: u32, port: u16) -> bool {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = fs::read_to_string(table) {
            inodes.extend(listening_inodes(&text, port));
        }
    }
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        fs::read_link(fd.path()).is_ok_and(|target| {
            let target = target.to_string_lossy();
            target
                .strip_prefix("socket:[")
                .and_then(|rest| rest.strip_suffix(']'))
                .is_some_and(|inode| inodes.iter().any(|i| i == inode))
        })
    })
}

/// The inodes of the sockets listening on `port` in a `/proc/net/tcp`
/// table (the 10th field of a row).
fn listening_inodes(table: &str, port: u16) -> Vec<String> {
    let wanted = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.len() > 9 && fields[1].ends_with(&wanted) && fields[3] == "0A")
                .then(|| fields[9].to_string())
        })
        .collect()
}

/// Is `port` taken by a program: a TCP listener, or a UDP socket bound to
/// it (time-server and echo-server listen on both)?
pub fn in_use(port: u16) -> bool {
    listening(port)
        || ["/proc/net/udp", "/proc/net/udp6"]
            .iter()
            .any(|table| fs::read_to_string(table).is_ok_and(|text| bound_in(&text, port)))
}

/// Reads a `/proc/net/tcp` table: `local_address` is `HEXIP:HEXPORT`, and
/// state `0A` is LISTEN.
fn listens_in(table: &str, port: u16) -> bool {
    local_port_rows(table, port).any(|state| state == "0A")
}

/// Reads a `/proc/net/udp` table: any socket on that local port.
fn bound_in(table: &str, port: u16) -> bool {
    local_port_rows(table, port).next().is_some()
}

/// The state of each row of a `/proc/net` table whose local port is `port`.
fn local_port_rows(table: &str, port: u16) -> impl Iterator<Item = &str> {
    let wanted = format!(":{port:04X}");
    table.lines().skip(1).filter_map(move |line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.len() > 3 && fields[1].ends_with(&wanted)).then_some(fields[3])
    })
}

/// Finds `name` in `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// The first line a tool prints about its version, or "?".
pub fn version(program: &str, flag: &str) -> String {
    Command::new(program)
        .arg(flag)
        .output()
        .ok()
        .and_then(|out| {
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            text.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "?".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_sockets_are_found_in_proc_net_tcp() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue\n   \
             0: 0100007F:EE4C 00000000:0000 0A 00000000:00000000\n   \
             1: 0100007F:EE4D 0100007F:9C40 01 00000000:00000000\n";
        assert!(listens_in(table, 0xEE4C));
        assert!(!listens_in(table, 0xEE4D)); // established, not listening
        assert!(!listens_in(table, 80));
    }

    #[test]
    fn a_real_listener_is_seen() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(listening(port));
        drop(listener);
        assert!(!listening(port));
    }

    #[tokio::test]
    async fn a_port_held_by_another_program_is_not_our_server_listening() {
        // Another program listens on the port handed out (it took it just
        // after the check of `Ports::take`); ours fails to listen there and
        // exits. The old check saw "listening" and measured the other one.
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let log = std::env::temp_dir().join(format!("netlab-bench-held-{port}.log"));
        let started = Running::start(Path::new("true"), &[], &log, &[port]).await;
        let _ = fs::remove_file(&log);
        let err = started.map(|r| r.command.clone()).unwrap_err();
        assert!(err.to_string().contains("before listening"), "{err}");
    }

    // setpriv, /proc and signals: Linux only.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_tied_child_ends_with_the_thread_that_started_it() {
        // What the caution of `tied_to_this_process` is about: the kernel
        // signals the child when the *thread* that started it ends. (The
        // whole process ending is the suite's case, in tests/bench.rs.)
        if outlives_us_warning().is_some() {
            eprintln!("setpriv --pdeathsig is not available: nothing to check");
            return;
        }
        let mut child = std::thread::spawn(|| {
            let child = tied_to_this_process(Path::new("sleep"))
                .arg("44.5")
                .spawn()
                .unwrap();
            // The thread lives on until setpriv has become `sleep` (so has
            // made its `prctl` call): ended sooner, its child would be
            // handed to another thread first, and tied to that one.
            let deadline = Instant::now() + Duration::from_secs(10);
            let cmdline = format!("/proc/{}/cmdline", child.id());
            while !fs::read(&cmdline).is_ok_and(|c| c.starts_with(b"sleep\0"))
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            child
        })
        .join()
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.and_then(|s| s.signal()), Some(15), "{status:?}");
    }

    #[test]
    fn our_own_listener_is_found_by_its_process() {
        let mine = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = mine.local_addr().unwrap().port();
        assert!(listening_by(std::process::id(), port));
        // Another process (init, whose descriptors we may not even read).
        assert!(!listening_by(1, port));
    }

    #[test]
    fn ports_are_above_the_client_range_and_wrap() {
        // Whatever else the machine runs: a port in use is skipped.
        let mut ports = Ports { next: LAST_PORT };
        let first = ports.take();
        assert!(first == LAST_PORT || in_use(LAST_PORT), "{first}");
        let wrapped = if first == LAST_PORT {
            ports.take()
        } else {
            first
        };
        assert!(
            (FIRST_PORT..FIRST_PORT + 100).contains(&wrapped),
            "{wrapped}"
        );
        const { assert!(FIRST_PORT > 61_000) };
    }

    #[test]
    fn a_udp_socket_makes_a_port_in_use() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        assert!(in_use(port) && !listening(port));
        drop(socket);
        assert!(!in_use(port));
    }

    #[test]
    fn a_port_another_program_listens_on_is_skipped() {
        // A forgotten server of an earlier session held suite ports, and
        // the runs handed them failed ("no running process has this id").
        let (busy, _holder) = (LAST_PORT - 200..LAST_PORT)
            .find_map(|p| {
                std::net::TcpListener::bind(("127.0.0.1", p))
                    .ok()
                    .map(|l| (p, l))
            })
            .expect("a free port to hold");
        let mut ports = Ports { next: busy };
        assert_eq!(ports.take(), busy + 1);
    }
}
