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

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

/// A server process under test.
#[derive(Debug)]
pub struct Running {
    /// How it was started, for the report.
    pub command: String,
    child: Child,
}

impl Running {
    /// Starts `program args…`, its stderr going to `log`, and waits until
    /// every port in `ports` is listening.
    pub fn start(
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
        let child = Command::new(program)
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
            std::thread::sleep(Duration::from_millis(20));
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

    #[test]
    fn a_port_held_by_another_program_is_not_our_server_listening() {
        // Another program listens on the port handed out (it took it just
        // after the check of `Ports::take`); ours fails to listen there and
        // exits. The old check saw "listening" and measured the other one.
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let log = std::env::temp_dir().join(format!("netlab-bench-held-{port}.log"));
        let started = Running::start(Path::new("true"), &[], &log, &[port]);
        let _ = fs::remove_file(&log);
        let err = started.map(|r| r.command.clone()).unwrap_err();
        assert!(err.to_string().contains("before listening"), "{err}");
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
