//! protocol-check against servers nobody here wrote: it must judge any
//! server by the protocol, not by netlab's habits.
//!
//! - **xinetd**'s built-in echo, time and daytime services (Debian package
//!   `xinetd`), over TCP and UDP. They follow the RFCs, with one real
//!   limit protocol-check reports: xinetd's UDP echo sends back at most
//!   2048 bytes of a datagram.
//! - **socat** turned into an echo server (`EXEC:cat`, one process per
//!   client): every TCP echo rule passes; and over UDP (`UDP-RECVFROM`,
//!   one process per datagram, `PIPE`): every UDP echo rule passes.
//!
//! - **Python** servers written in another style than netlab's: an echo
//!   server on `socketserver` (a thread per client), and a chat/1 server
//!   on `asyncio` (one task per client, a dict for the room). Both pass
//!   every rule: the rules follow the specification, not netlab's code.
//!
//! Each tool is started by the test on free high loopback ports and stopped
//! by its pid; a missing tool skips the test locally and fails it in CI.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{Output, Peer, Transport, rule, run_client, tool};

/// Longest a whole protocol-check run may take.
const T: Duration = Duration::from_secs(60);

fn check(protocol: &str, port: u16, extra: &[&str]) -> Output {
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec![protocol, &addr, "--lang", "en"];
    args.extend_from_slice(extra);
    let out = run_client("protocol-check", &args, T);
    eprintln!("$ protocol-check {}\n{}", args.join(" "), out.stdout_text());
    out
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

/// xinetd in UTC, so its daytime line names one instant protocol-check can compare.
fn xinetd(path: &Path, services: &[&str]) -> (Peer, Vec<u16>) {
    support::xinetd(path, services, "UTC")
}

#[test]
fn xinetd_time_and_daytime_pass_every_rule_over_tcp_and_udp() {
    let Some(path) = tool("xinetd") else { return };
    let (_x, ports) = xinetd(&path, &["time", "daytime"]);
    let (time, daytime) = (ports[0], ports[1]);
    assert_all_pass(&check("time", time, &[]));
    assert_all_pass(&check("time", time, &["--udp"]));
    assert_all_pass(&check("daytime", daytime, &[]));
    assert_all_pass(&check("daytime", daytime, &["--udp"]));
}

#[test]
fn xinetd_echo_passes_over_tcp_and_its_2048_byte_udp_limit_is_reported() {
    let Some(path) = tool("xinetd") else { return };
    let (_x, ports) = xinetd(&path, &["echo"]);
    let port = ports[0];
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
    let (_peer, ports) = Peer::on_free_ports("socat", 1, &[Transport::Tcp], |ports| {
        let mut command = Command::new(&socat);
        command.args([
            &format!("TCP-LISTEN:{},bind=127.0.0.1,fork,reuseaddr", ports[0]),
            "EXEC:cat",
        ]);
        command
    });
    let port = ports[0];
    assert_all_pass(&check("echo", port, &[]));
}

#[test]
fn socat_udp_echo_passes_every_udp_rule() {
    let Some(socat) = tool("socat") else { return };
    // `-T 2`: each datagram's forked child ends after 2 s without traffic.
    // Without it, children outlived the test (stopping the parent does not
    // stop them): one socat left running per run.
    let (_peer, ports) = Peer::on_free_ports("socat", 1, &[Transport::Udp], |ports| {
        let mut command = Command::new(&socat);
        command.args([
            "-T",
            "2",
            &format!("UDP-RECVFROM:{},bind=127.0.0.1,fork", ports[0]),
            "PIPE",
        ]);
        command
    });
    let port = ports[0];
    assert_all_pass(&check("echo", port, &["--udp"]));
}

/// An echo server as a student writes it in Python: `socketserver`, one
/// thread per client, `recv` and `sendall` in a loop. It listens on a port
/// the system picks and prints it.
const PYTHON_ECHO: &str = r#"
import socketserver, sys
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(4096):
            self.request.sendall(data)
server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// A chat/1 server in Python's asyncio, written from docs/protocols/chat.md
/// alone. The port is argv[1].
const PYTHON_CHAT: &str = r#"
import asyncio, re, sys
clients = {}
NICK = re.compile(r"[A-Za-z0-9_-]{1,16}\Z")
def strip(t): return "".join(c for c in t if not (ord(c) < 32 or 0x7f <= ord(c) <= 0x9f))
def send(w, line): w.write((line + "\n").encode())
def everyone(line):
    for w, n in clients.items():
        if n: send(w, line)
async def handle(r, w):
    clients[w] = None
    send(w, "HELLO py-chat, protocol chat/1")
    try:
        while (raw := await r.readline()).endswith(b"\n"):
            raw = raw[:-1].removesuffix(b"\r")
            if len(raw) > 1024: send(w, "ERR line too long"); continue
            try: line = raw.decode()
            except UnicodeDecodeError: send(w, "ERR invalid UTF-8"); continue
            verb, _, rest = line.partition(" ")
            verb, me = verb.upper(), clients[w]
            if verb == "NICK":
                if not NICK.match(rest): send(w, "ERR invalid nickname"); continue
                if any(n and n.lower() == rest.lower() and x is not w for x, n in clients.items()):
                    send(w, "ERR nickname taken"); continue
                clients[w] = rest
                send(w, f"OK NICK {rest}")
                for x, n in clients.items():
                    if n and x is not w: send(x, f"JOIN {rest}" if me is None else f"NICK {me} {rest}")
            elif verb in ("MSG", "PRIV") and me is None: send(w, "ERR choose a nickname first")
            elif verb == "MSG":
                if not (t := strip(rest)): send(w, "ERR MSG needs a text"); continue
                everyone(f"MSG {me} {t}")
            elif verb == "PRIV":
                to, _, t = rest.partition(" ")
                if not (t := strip(t)): send(w, "ERR PRIV needs a text"); continue
                found = [x for x, n in clients.items() if n and n.lower() == to.lower()]
                if not found: send(w, "ERR no such nickname"); continue
                send(found[0], f"PRIV {me} {t}"); send(w, f"OK PRIV {clients[found[0]]}")
            elif verb == "LIST": send(w, " ".join(["USERS"] + sorted(filter(None, clients.values()), key=str.lower)))
            elif verb == "PING": send(w, f"PONG {rest}".rstrip(" ") if rest else "PONG")
            elif verb == "HELP": send(w, "OK commands: NICK MSG PRIV LIST PING HELP QUIT")
            elif verb == "QUIT": send(w, "BYE"); break
            else: send(w, f"ERR unknown command {verb}")
            await w.drain()
    except (ConnectionError, ValueError): pass
    finally:
        if n := clients.pop(w, None): everyone(f"LEAVE {n}")
        w.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=1 << 20)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"#;

/// Starts `script` with `python3 -c`; it listens on a port the system
/// picks and prints it. `None` (skipped) when python3 is missing.
///
/// Not a port chosen here and handed over: between its release and the
/// server's bind, another test's server could take it, and the wait for
/// "someone listens" would then be satisfied by the wrong server (seen:
/// "connection refused" once that other test ended).
fn python(script: &str, name: &str) -> Option<(Peer, u16)> {
    let path = tool("python3")?;
    let mut command = Command::new(path);
    command.args(["-c", script]);
    Some(Peer::start_announcing(command, name))
}

#[test]
fn a_python_socketserver_echo_passes_every_tcp_rule() {
    let Some((_peer, port)) = python(PYTHON_ECHO, "python3 echo") else {
        return;
    };
    assert_all_pass(&check("echo", port, &[]));
}

#[test]
fn a_python_asyncio_chat_server_passes_every_chat_rule() {
    let Some((_peer, port)) = python(PYTHON_CHAT, "python3 chat") else {
        return;
    };
    let out = check("chat", port, &[]);
    assert_all_pass(&out);
    for id in support::CHAT_RULES {
        let label = rule(&out.stdout_text(), id).map(|r| r.0);
        assert_eq!(label.as_deref(), Some("PASS"), "{id}");
    }
}
