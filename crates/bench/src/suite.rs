//! # The suite: ours against the best peers, A B A B, then the report
//!
//! For each case the suite starts a **fresh** server, runs one benchmark
//! against it with this crate's client, stops the server, and does the same
//! for the peer; then again, for several rounds (A B A B …), so that slow
//! drifts of the machine (other programs, heat) touch both sides alike. The
//! report uses the **median** of the rounds and the ratio ours/peer.
//!
//! | case                 | ours         | peer                                  |
//! |----------------------|--------------|---------------------------------------|
//! | echo bulk, 1 and 8   | echo-server  | `socat -b 4096 TCP-LISTEN:…,fork PIPE` |
//! | loopback limit       | —            | `iperf3`, one stream                  |
//! | echo ping-pong, 50   | echo-server  | socat                                 |
//! | time, daytime        | time-server  | xinetd's internal services            |
//! | chat fan-out         | chat-server  | `ncat --chat --max-conns 1000`        |
//! | idle connections     | echo-server, chat-server | —                         |
//! | chat scaling 10→1000 | chat-server  | ncat                                  |
//!
//! Where a target may be out of reach on the machine itself, a third side
//! runs too: a *bare* server (`crates/bench/examples/`), the least a server
//! can do for that case (no limits, checks or logs). A target the bare
//! server misses as well is a limit of the machine, not of ours.
//!
//! It then writes `docs/benchmarks.md` (machine, exact commands, medians,
//! ratios, every target met or missed) and the chart
//! `docs/benchmarks-chat.svg`. A section between `<!-- notes -->` and
//! `<!-- /notes -->` in an existing report is kept: that is where people
//! write what the figures mean.
//!
//! It measures release builds only: unoptimized code, many times slower,
//! would measure the compiler's settings, not the servers. A debug build of
//! the load tool, or servers in cargo's `debug` directory, are refused
//! unless `--allow-debug` (to try the suite out), which the report flags.
//! The servers it starts end with it, however it ends (see
//! [`crate::servers::tied_to_this_process`]).
//!
//! This file runs the cases; `suite/markdown.rs` writes the report from
//! their outcomes.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use netkit::NetError;
use netkit::args::{parse_limit, parse_seconds};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::chat_fanout::{self, Mode};
use crate::connect_rate::{self, Service};
use crate::report::{Report, format_value};
use crate::servers::{Ports, Running, outlives_us_warning, tied_to_this_process, which};
use crate::{echo_bulk, idle, pingpong, procfs};

mod markdown;

use markdown::{Results, chart, keep_notes, machine, report};

/// The suite's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Where echo-server, time-server and chat-server are (default: beside netlab-bench).
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Rounds of A B (ours, peer) per case.
    #[arg(long, default_value = "3", value_parser = parse_some)]
    pub rounds: usize,
    /// Seconds per timed run (bulk, ping-pong, connect rate).
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_run)]
    pub duration: Duration,
    /// Idle connections held by the memory cases.
    #[arg(long, default_value = "10000", value_parser = parse_some)]
    pub idle_connections: usize,
    /// Room sizes of the scaling chart.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,20,50,100,200,500,1000",
        value_parser = parse_some
    )]
    pub sweep: Vec<usize>,
    /// Delivered lines per second offered at every size of the scaling chart.
    #[arg(long, default_value = "100000", value_parser = parse_load)]
    pub sweep_load: f64,
    /// Only these groups.
    #[arg(long, value_delimiter = ',', value_parser = GROUPS)]
    pub only: Vec<String>,
    /// The report to write.
    #[arg(long, default_value = "docs/benchmarks.md")]
    pub out: PathBuf,
    /// The chart to write.
    #[arg(long, default_value = "docs/benchmarks-chat.svg")]
    pub chart: PathBuf,
    /// Also write every run's result as JSON here.
    #[arg(long)]
    pub raw: Option<PathBuf>,
    /// Directory for the servers' logs.
    #[arg(long, default_value = "/tmp/netlab-bench-logs")]
    pub logs: PathBuf,
    /// A sentence about the conditions, printed in the report.
    #[arg(long)]
    pub note: Option<String>,
    /// Measure debug builds anyway (to try the suite out, or in tests):
    /// their figures are those of unoptimized code, and the report says so.
    #[arg(long)]
    pub allow_debug: bool,
}

/// The groups of cases, for `--only`.
const GROUPS: [&str; 6] = ["bulk", "pingpong", "connect", "chat", "idle", "scaling"];

/// Parses a count of at least 1 (rounds, connections, clients). With 0,
/// or a mistyped `--only`, the suite ran no case and still wrote its
/// report, an empty one, over the last real one: such flags are refused
/// before anything runs.
fn parse_some(text: &str) -> Result<usize, String> {
    match parse_limit(text) {
        Err(_) if text.trim() == "0" => Err("0 would measure nothing: give at least 1".into()),
        other => other,
    }
}

/// Parses `--duration`, more than 0 s, as the benchmarks' own flag: each
/// run would still do one round trip or one write, and report it as if it
/// were the server's speed.
fn parse_run(text: &str) -> Result<Duration, String> {
    match parse_seconds(text)? {
        d if d.is_zero() => Err("a run of 0 s would measure nothing: give more than 0".into()),
        d => Ok(d),
    }
}

/// Parses `--sweep-load`: delivered lines per second, more than 0 (what
/// each sender's rate is computed from), at most a billion.
fn parse_load(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(load) if load > 0.0 && load <= 1e9 => Ok(load),
        _ => Err(format!(
            "{text} is not a load: give the delivered lines per second, more than 0"
        )),
    }
}

/// Which program serves a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    OursEcho,
    Socat,
    Iperf3,
    OursTime,
    Xinetd,
    OursChat,
    Ncat,
    /// `examples/bare_time.rs`: accept, write, close.
    BareTime,
    /// `examples/bare_relay.rs`: one broadcast channel, speaking as ncat does.
    BareRelay,
}

/// Who a run measured: ours, the peer, or the bare floor of the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Peer,
    Floor,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Ours => "ours",
            Side::Peer => "peer",
            Side::Floor => "floor",
        }
    }
}

/// Our servers' `--threads`. The machine is shared with the load tool,
/// which runs on one thread: each side gets one core. It is also how the
/// peers run (xinetd and ncat have one thread; socat forks a process per
/// connection). Measured on a 2-core machine, a second server thread only
/// added hand-offs between threads and time-slicing with the load tool:
/// ping-pong p99 3.5-4 ms instead of 0.7-0.9 ms.
const SERVER_THREADS: &str = "1";

impl Server {
    fn label(self) -> &'static str {
        match self {
            Server::OursEcho => "echo-server",
            Server::Socat => "socat -b 4096",
            Server::Iperf3 => "iperf3",
            Server::OursTime => "time-server",
            Server::Xinetd => "xinetd",
            Server::OursChat => "chat-server",
            Server::Ncat => "ncat --chat",
            Server::BareTime => "bare time server",
            Server::BareRelay => "bare relay",
        }
    }

    /// Plain lines relayed to the others (chat-fanout's raw mode), not chat/1.
    fn speaks_raw(self) -> bool {
        matches!(self, Server::Ncat | Server::BareRelay)
    }

    /// The example program of this crate that is this server, if it is one.
    fn example(self) -> Option<&'static str> {
        match self {
            Server::BareTime => Some("bare_time"),
            Server::BareRelay => Some("bare_relay"),
            _ => None,
        }
    }
}

/// What the client does.
#[derive(Debug, Clone)]
enum Action {
    Bulk(usize),
    Pingpong(usize),
    Iperf3,
    Connect(Service),
    Chat {
        clients: usize,
        senders: usize,
        messages: u64,
        rate: f64,
    },
    Idle(usize),
}

/// One line of the comparison: a client action against ours and maybe a peer.
#[derive(Debug, Clone)]
struct Case {
    id: String,
    group: &'static str,
    title: String,
    action: Action,
    ours: Option<Server>,
    peer: Option<Server>,
    /// A bare server, where the target may be out of the machine's reach.
    floor: Option<Server>,
}

impl Case {
    /// Who runs this case, in the order of each round (A B, then the floor).
    fn sides(&self) -> impl Iterator<Item = (Side, Server)> + '_ {
        [
            (Side::Ours, self.ours),
            (Side::Peer, self.peer),
            (Side::Floor, self.floor),
        ]
        .into_iter()
        .filter_map(|(side, server)| Some((side, server?)))
    }
}

/// One run's outcome.
#[derive(Debug)]
struct Outcome {
    case: String,
    side: Side,
    result: Result<Report, String>,
    server_command: String,
    client_command: String,
    /// Share of the machine's CPU time stolen by the hypervisor during the run, in %.
    steal: Option<f64>,
}

struct Context {
    opts: Options,
    bin_dir: PathBuf,
    ports: Ports,
    conf_dir: PathBuf,
}

fn cases(opts: &Options) -> Vec<Case> {
    let mut cases = vec![];
    let mut add = |id: &str, group, title: &str, action, ours, peer| {
        cases.push(Case {
            id: id.to_string(),
            group,
            title: title.to_string(),
            action,
            ours,
            peer,
            floor: None,
        })
    };
    use Server::*;
    add(
        "bulk-1",
        "bulk",
        "echo bulk, 1 connection",
        Action::Bulk(1),
        Some(OursEcho),
        Some(Socat),
    );
    add(
        "bulk-8",
        "bulk",
        "echo bulk, 8 connections",
        Action::Bulk(8),
        Some(OursEcho),
        Some(Socat),
    );
    add(
        "iperf3",
        "bulk",
        "loopback limit: iperf3, one stream",
        Action::Iperf3,
        None,
        Some(Iperf3),
    );
    add(
        "pingpong-50",
        "pingpong",
        "echo ping-pong, 50 connections, 64 B",
        Action::Pingpong(50),
        Some(OursEcho),
        Some(Socat),
    );
    add(
        "time",
        "connect",
        "time (RFC 868), 4 workers",
        Action::Connect(Service::Time),
        Some(OursTime),
        Some(Xinetd),
    );
    add(
        "daytime",
        "connect",
        "daytime (RFC 867), 4 workers",
        Action::Connect(Service::Daytime),
        Some(OursTime),
        Some(Xinetd),
    );
    let chat = |clients, senders, messages, rate| Action::Chat {
        clients,
        senders,
        messages,
        rate,
    };
    add(
        "chat-50x5",
        "chat",
        "chat burst: 50 clients, 5 senders × 200",
        chat(50, 5, 200, 0.0),
        Some(OursChat),
        Some(Ncat),
    );
    // 5,000 lines, a million deliveries: with 1,000, a burst was over in
    // 15-20 ms and ncat's figure swung threefold from one run to the next.
    add(
        "chat-200x1",
        "chat",
        "chat burst: 200 clients, 1 sender × 5000",
        chat(200, 1, 5000, 0.0),
        Some(OursChat),
        Some(Ncat),
    );
    add(
        "chat-paced",
        "chat",
        "chat paced: 50 clients, 5 senders × 1000 lines/s for 2 s",
        chat(50, 5, 2000, 1000.0),
        Some(OursChat),
        Some(Ncat),
    );
    let idle_n = opts.idle_connections;
    add(
        "idle-echo",
        "idle",
        &format!("{idle_n} idle echo connections"),
        Action::Idle(idle_n),
        Some(OursEcho),
        None,
    );
    add(
        "idle-chat",
        "idle",
        &format!("{idle_n} idle chat clients (greeted, no NICK)"),
        Action::Idle(idle_n),
        Some(OursChat),
        None,
    );
    for &n in &opts.sweep {
        let senders = n.min(5);
        let rate = opts.sweep_load / (senders * n) as f64;
        let messages = (rate * 2.0).ceil().max(1.0) as u64;
        add(
            &format!("scale-{n}"),
            "scaling",
            &format!("chat paced, {n} clients, {senders} senders × {rate:.0} lines/s"),
            chat(n, senders, messages, rate),
            Some(OursChat),
            (n <= 1000).then_some(Ncat),
        );
    }
    // The bare floors, where the targets met the machine's limits in every
    // run so far: the time service (the 1.2× xinetd target), the 200-client
    // burst (3× ncat) and the scaling sweep (2× from 10 to 1,000 clients).
    // Daytime shares time's ceiling; bulk echo's is iperf3's row.
    for case in &mut cases {
        case.floor = match case.id.as_str() {
            "time" => Some(BareTime),
            "chat-200x1" => Some(BareRelay),
            _ if case.group == "scaling" => Some(BareRelay),
            _ => None,
        };
    }
    cases
        .into_iter()
        .filter(|c| opts.only.is_empty() || opts.only.iter().any(|g| g == c.group))
        .collect()
}

impl Context {
    /// Starts `server` on fresh ports; returns it and its ports.
    async fn start(
        &mut self,
        server: Server,
        action: &Action,
    ) -> Result<(Running, Vec<u16>), NetError> {
        let log = self.opts.logs.join(format!(
            "{}.log",
            server.label().split(' ').next().unwrap_or("server")
        ));
        let port = self.ports.take();
        let p = port.to_string();
        let ours = |name: &str| self.bin_dir.join(name);
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
        // Room for every client the case opens, and a little more: a limit
        // far above that would only ask the OS for open files nobody uses.
        let many = match action {
            Action::Idle(n) | Action::Chat { clients: n, .. } => (n + 100).to_string(),
            _ => "1000".to_string(),
        };
        // Every one of our servers: its port, its own flags, then the same
        // limits, thread count, short grace and quiet log.
        let ours_args = |own: &[&str]| {
            let mut args = s(&["--port", &p]);
            args.extend(s(own));
            args.extend(s(&[
                "--max-clients",
                &many,
                "--threads",
                SERVER_THREADS,
                "--grace",
                "0.5",
                "-q",
            ]));
            args
        };
        let (program, args, ports) = match server {
            Server::OursEcho => (
                ours("echo-server"),
                ours_args(&["--transport", "tcp"]),
                vec![port],
            ),
            Server::Socat => (
                which("socat").unwrap_or_else(|| "socat".into()),
                s(&[
                    "-b",
                    "4096",
                    &format!("TCP-LISTEN:{p},bind=127.0.0.1,reuseaddr,fork,backlog=1024"),
                    "PIPE",
                ]),
                vec![port],
            ),
            Server::Iperf3 => (
                which("iperf3").unwrap_or_else(|| "iperf3".into()),
                s(&["-s", "-1", "-B", "127.0.0.1", "-p", &p]),
                vec![port],
            ),
            Server::OursTime => {
                let daytime = self.ports.take();
                (
                    ours("time-server"),
                    ours_args(&["--daytime-port", &daytime.to_string()]),
                    vec![port, daytime],
                )
            }
            Server::Xinetd => {
                let daytime = self.ports.take();
                let conf = self.conf_dir.join("xinetd.conf");
                fs::write(&conf, xinetd_conf(port, daytime, &self.opts.logs))
                    .map_err(|e| NetError::io("writing the xinetd configuration", e))?;
                (
                    which("xinetd").unwrap_or_else(|| "/usr/sbin/xinetd".into()),
                    s(&["-dontfork", "-f", &conf.display().to_string()]),
                    vec![port, daytime],
                )
            }
            Server::OursChat => (ours("chat-server"), ours_args(&[]), vec![port]),
            Server::Ncat => (
                which("ncat").unwrap_or_else(|| "ncat".into()),
                s(&["-l", "127.0.0.1", &p, "--chat", "--max-conns", "1000"]),
                vec![port],
            ),
            Server::BareTime | Server::BareRelay => (
                self.bin_dir
                    .join("examples")
                    .join(server.example().unwrap_or_default()),
                vec![p.clone()],
                vec![port],
            ),
        };
        let running = Running::start(&program, &args, &log, &ports).await?;
        Ok((running, ports))
    }

    /// Runs `action` against a server on `ports`; returns the result and
    /// the equivalent command line.
    async fn client(
        &self,
        action: &Action,
        ports: &[u16],
        pid: u32,
        chat_mode: Mode,
    ) -> (Result<Report, NetError>, String) {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], ports[0]));
        let d = self.opts.duration;
        let ds = seconds(d);
        match action {
            Action::Bulk(n) => {
                let p = echo_bulk::Params {
                    connections: *n,
                    duration: d,
                    max_bytes: 1 << 40,
                    drain_timeout: Duration::from_secs(10),
                    quiet: true,
                };
                (
                    echo_bulk::run(addr, &p).await,
                    format!(
                        "netlab-bench echo-bulk --port {} --connections {n} --duration {ds}",
                        ports[0]
                    ),
                )
            }
            Action::Pingpong(n) => {
                let p = pingpong::Params {
                    connections: *n,
                    size: 64,
                    duration: d,
                    max_round_trips: 100_000_000,
                    timeout: Duration::from_secs(5),
                    quiet: true,
                };
                (
                    pingpong::run(addr, &p).await,
                    format!(
                        "netlab-bench echo-pingpong --port {} --connections {n} --size 64 --duration {ds}",
                        ports[0]
                    ),
                )
            }
            Action::Iperf3 => {
                let cmd = format!(
                    "iperf3 -c 127.0.0.1 -p {} -t {} -J",
                    ports[0],
                    seconds(d.max(Duration::from_secs(1)))
                );
                (iperf3_client(ports[0], d).await, cmd)
            }
            Action::Connect(service) => {
                let (port, name) = match service {
                    Service::Time => (ports[0], "time"),
                    Service::Daytime => (ports[1], "daytime"),
                };
                let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
                let p = connect_rate::Params {
                    service: *service,
                    workers: 4,
                    duration: d,
                    max_connections: 10_000_000,
                    timeout: Duration::from_secs(5),
                    quiet: true,
                };
                (
                    connect_rate::run(addr, &p).await,
                    format!(
                        "netlab-bench connect-rate --service {name} --port {port} --workers 4 --duration {ds}"
                    ),
                )
            }
            Action::Chat {
                clients,
                senders,
                messages,
                rate,
            } => {
                let p = chat_fanout::Params {
                    mode: chat_mode,
                    clients: *clients,
                    senders: *senders,
                    messages: *messages,
                    rate: *rate,
                    size: 0,
                    batch: 1,
                    timeout: Duration::from_secs(20),
                    pid: Some(pid),
                    quiet: true,
                };
                let mode = if chat_mode == Mode::Chat {
                    "chat"
                } else {
                    "raw"
                };
                (
                    chat_fanout::run(addr, &p).await,
                    format!(
                        "netlab-bench chat-fanout --mode {mode} --port {} --clients {clients} --senders {senders} --messages {messages} --rate {} --pid PID",
                        ports[0],
                        format_value(*rate)
                    ),
                )
            }
            Action::Idle(n) => {
                let p = idle::Params {
                    connections: *n,
                    hold: Duration::from_secs(2),
                    pid: Some(pid),
                    concurrency: 128,
                    timeout: Duration::from_secs(10),
                    quiet: true,
                };
                (
                    idle::run(addr, &p).await,
                    format!(
                        "netlab-bench idle --port {} --connections {n} --hold 2 --pid PID",
                        ports[0]
                    ),
                )
            }
        }
    }
}

/// xinetd serving its built-in time and daytime, with no per-connection
/// limits or logging (its defaults would cap it at 50 connections/s).
fn xinetd_conf(time: u16, daytime: u16, logs: &Path) -> String {
    let service = |name: &str, port: u16| {
        format!(
            "service {name}\n{{\n    type        = INTERNAL UNLISTED\n    id          = {name}-stream\n    \
             socket_type = stream\n    protocol    = tcp\n    wait        = no\n    user        = root\n    \
             bind        = 127.0.0.1\n    port        = {port}\n    flags       = REUSE\n}}\n"
        )
    };
    format!(
        "defaults\n{{\n    instances      = UNLIMITED\n    per_source     = UNLIMITED\n    cps            = 1000000 1\n    \
         log_type       = FILE {}\n    log_on_success =\n    log_on_failure =\n}}\n{}{}",
        logs.join("xinetd-services.log").display(),
        service("time", time),
        service("daytime", daytime)
    )
}

/// `Err(Interrupted)` if Ctrl-C or SIGTERM came (see [`run`]), even
/// while the suite was busy without awaiting anything: stopping a server
/// blocks its one thread, and the task that turns the signal into
/// `interrupted` only runs while the suite waits. A short
/// wait here lets it run (the signal is already noted by the kernel and
/// tokio; only its task is due), so no signal goes unseen.
async fn stop_if_interrupted(interrupted: &CancellationToken) -> Result<(), NetError> {
    tokio::select! {
        biased;
        () = interrupted.cancelled() => Err(NetError::Interrupted),
        () = tokio::time::sleep(Duration::from_millis(20)) => Ok(()),
    }
}

/// Runs `command` (named `what` in errors) to its end and returns what it
/// printed; after `limit`, or when the suite is stopped (the future
/// dropped), the program is killed. A tokio child is left running by
/// default when its future is dropped: an iperf3 client waiting for a
/// server that no longer answers would have outlived the suite.
async fn output_within(
    mut command: tokio::process::Command,
    limit: Duration,
    what: &str,
) -> Result<std::process::Output, NetError> {
    command.kill_on_drop(true);
    tokio::time::timeout(limit, command.output())
        .await
        .map_err(|_| NetError::protocol(format!("{what} did not finish in time")))?
        .map_err(|e| NetError::io(format!("running {what}"), e))
}

/// Runs the iperf3 client for `duration` and reads its JSON result.
async fn iperf3_client(port: u16, duration: Duration) -> Result<Report, NetError> {
    let secs = seconds(duration.max(Duration::from_secs(1)));
    // Tied to this process as the servers are: `kill_on_drop` below only
    // covers the ends of the suite that drop it.
    let iperf3 = which("iperf3").unwrap_or_else(|| "iperf3".into());
    let mut command = tokio::process::Command::from(tied_to_this_process(&iperf3));
    command.args([
        "-c",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-t",
        &secs,
        "-J",
    ]);
    let out = output_within(command, duration + Duration::from_secs(15), "iperf3").await?;
    let json: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| NetError::protocol(format!("iperf3 printed no JSON: {e}")))?;
    let received = &json["end"]["sum_received"];
    let (bytes, seconds) = (received["bytes"].as_f64(), received["seconds"].as_f64());
    let (Some(bytes), Some(seconds)) = (bytes, seconds) else {
        return Err(NetError::protocol(format!(
            "iperf3 failed: {}",
            json["error"]
        )));
    };
    let mut report = Report::new("iperf3", format!("127.0.0.1:{port}"));
    report
        .param("streams", 1)
        .metric("mb_per_s", bytes / seconds / 1e6, "MB/s (one way)")
        .metric("bytes", bytes, "bytes")
        .metric("seconds", seconds, "s");
    Ok(report)
}

/// Runs the whole suite and writes the report.
/// `threads` is the load tool's own thread count (`--threads`), for the report.
pub async fn run(opts: Options, threads: usize) -> Result<(), NetError> {
    let bin_dir = match &opts.bin_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    check_release(&bin_dir, opts.allow_debug)?;
    for name in ["echo-server", "time-server", "chat-server"] {
        if !bin_dir.join(name).is_file() {
            return Err(NetError::protocol(format!(
                "{name} is not in {}: build it first (cargo build --release -p echo -p time -p chat) or give --bin-dir",
                bin_dir.display()
            )));
        }
    }
    let cases = cases(&opts);
    for name in cases.iter().filter_map(|c| c.floor?.example()) {
        if !bin_dir.join("examples").join(name).is_file() {
            return Err(NetError::protocol(format!(
                "{name} is not in {}: build it first (cargo build --release -p bench --examples) or give --bin-dir",
                bin_dir.join("examples").display()
            )));
        }
    }
    fs::create_dir_all(&opts.logs).map_err(|e| NetError::io("creating the log directory", e))?;
    let mut ctx = Context {
        conf_dir: opts.logs.clone(),
        opts: opts.clone(),
        bin_dir,
        ports: Ports::default(),
    };
    // From here on, every server started is ours to stop, even when the
    // suite itself is stopped: the default action of SIGINT and SIGTERM
    // would end this process at once and leave the server running,
    // holding its port, for nobody.
    let interrupted = netkit::shutdown::on_signal();
    if let Some(warning) = outlives_us_warning() {
        netkit::logging::note(warning);
    }
    let machine_before = machine();
    let began = Instant::now();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let total: usize = cases.iter().map(|c| opts.rounds * c.sides().count()).sum();
    let mut done = 0;
    for case in &cases {
        for round in 1..=opts.rounds {
            for (side, server) in case.sides() {
                stop_if_interrupted(&interrupted).await?;
                done += 1;
                let ticks_before = procfs::cpu_ticks();
                let mode = if server.speaks_raw() {
                    Mode::Raw
                } else {
                    Mode::Chat
                };
                let started = tokio::select! {
                    // Stopped while a server starts: no need to wait for it
                    // to listen (dropping the start stops it).
                    () = interrupted.cancelled() => return Err(NetError::Interrupted),
                    started = ctx.start(server, &case.action) => started,
                };
                let (result, server_command, client_command) = match started {
                    Ok((mut running, ports)) => {
                        let (cpu0, began_run) = (own_cpu_seconds(), Instant::now());
                        let client = ctx.client(&case.action, &ports, running.pid(), mode);
                        let (mut result, cmd) = tokio::select! {
                            // Stopped by Ctrl-C or `kill`: the server goes
                            // too (dropping `running` stops it), and no
                            // report replaces the last whole one.
                            () = interrupted.cancelled() => return Err(NetError::Interrupted),
                            outcome = client => outcome,
                        };
                        // How busy the load tool itself was: near 100% (of its one
                        // thread), the figure is the client's limit, not the server's.
                        let used = own_cpu_seconds().zip(cpu0).map(|(b, a)| b.since(&a));
                        if let (Ok(report), Some(used)) = (&mut result, used) {
                            // chat-fanout measures it itself, over the burst only.
                            let measured = report.get("load_tool_cpu_pct").is_some();
                            if measures_load_tool(&case.action) && !measured {
                                let wall = began_run.elapsed().as_secs_f64().max(1e-9);
                                report.metric(
                                    "load_tool_cpu_pct",
                                    used / wall * 100.0,
                                    "% of one core used by netlab-bench",
                                );
                            }
                        }
                        let command = running.command.clone();
                        running.stop();
                        (result.map_err(|e| e.to_string()), command, cmd)
                    }
                    Err(e) => (
                        Err(e.to_string()),
                        server.label().to_string(),
                        String::new(),
                    ),
                };
                let steal = procfs::cpu_ticks().zip(ticks_before).and_then(
                    |((total, stolen), (total0, stolen0))| {
                        (total > total0)
                            .then(|| (stolen - stolen0) as f64 * 100.0 / (total - total0) as f64)
                    },
                );
                let summary = match &result {
                    Ok(r) => headline(r),
                    Err(e) => format!("FAILED: {e}"),
                };
                let summary = match steal {
                    Some(s) if s >= 1.0 => format!("{summary} (steal {s:.0}%)"),
                    _ => summary,
                };
                netkit::logging::note(&format!(
                    "[{done}/{total} {:.0} s] {} round {round} {}: {summary}",
                    began.elapsed().as_secs_f64(),
                    case.id,
                    server.label()
                ));
                outcomes.push(Outcome {
                    case: case.id.clone(),
                    side,
                    result,
                    server_command,
                    client_command,
                    steal,
                });
            }
        }
    }
    // A signal that came while no client ran (a server starting, or
    // stopping, after the last run): no report either.
    stop_if_interrupted(&interrupted).await?;
    let wall = began.elapsed();
    let machine_after = machine();
    if let Some(raw) = &opts.raw {
        let runs: Vec<Value> = outcomes
            .iter()
            .map(|o| {
                json!({
                    "case": o.case, "side": o.side.name(), "steal_percent": o.steal,
                    "server": o.server_command, "client": o.client_command,
                    "result": match &o.result { Ok(r) => r.to_json(), Err(e) => json!({ "error": e }) },
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&json!({ "runs": runs })).unwrap_or_default();
        fs::write(raw, text).map_err(|e| NetError::io(format!("writing {}", raw.display()), e))?;
    }
    let results = Results { cases, outcomes };
    let svg = chart(&results, &opts);
    if let Some(dir) = opts.chart.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = fs::create_dir_all(dir);
    }
    fs::write(&opts.chart, svg)
        .map_err(|e| NetError::io(format!("writing {}", opts.chart.display()), e))?;
    let notes = fs::read_to_string(&opts.out)
        .ok()
        .and_then(|old| keep_notes(&old));
    let text = report(
        &results,
        &opts,
        &machine_before,
        &machine_after,
        wall,
        threads,
        notes,
    );
    fs::write(&opts.out, text)
        .map_err(|e| NetError::io(format!("writing {}", opts.out.display()), e))?;
    netkit::logging::note(&format!(
        "wrote {} and {} in {:.0} s",
        opts.out.display(),
        opts.chart.display(),
        wall.as_secs_f64()
    ));
    Ok(())
}

/// Refuses debug builds, of the load tool itself or of the servers in
/// `bin_dir`, unless `allow` (`--allow-debug`). Unoptimized code is many
/// times slower, and not evenly so: ours against a peer built with `-O2`
/// would measure the compiler's settings, not the servers. `scripts/bench.sh`
/// builds with `--release`; `netlab-bench suite` run by hand after a plain
/// `cargo build` would pick the debug builds.
///
/// Only what can be told simply is checked: this program's own build, and
/// whether the servers are in cargo's `debug` directory (`target/debug`,
/// `target/<triple>/debug`). A debug build copied elsewhere is not seen.
fn check_release(bin_dir: &Path, allow: bool) -> Result<(), NetError> {
    let debug = if cfg!(debug_assertions) {
        "netlab-bench itself is a debug build"
    } else if bin_dir.file_name().is_some_and(|name| name == "debug") {
        "the servers are debug builds"
    } else {
        return Ok(());
    };
    if allow {
        netkit::logging::note(&format!(
            "warning: {debug}: the figures are those of unoptimized code (--allow-debug)"
        ));
        return Ok(());
    }
    Err(NetError::usage(format!(
        "{debug} ({}): unoptimized code would make the figures meaningless. Build with \
         cargo build --release -p echo -p time -p chat -p bench && cargo build --release -p \
         bench --examples (scripts/bench.sh does both) and run target/release/netlab-bench, \
         or give --allow-debug to try the suite out",
        bin_dir.display()
    )))
}

/// The main figure of a report, for the progress lines.
fn headline(r: &Report) -> String {
    let main = [
        "mb_per_s",
        "round_trips_per_s",
        "connections_per_s",
        "lines_per_s",
        "kib_per_connection",
    ];
    let mut parts: Vec<String> = main
        .iter()
        .filter_map(|k| r.get(k).map(|v| format!("{k}={}", format_value(v))))
        .collect();
    for k in ["p99_ms", "completeness", "cost_us_per_line"] {
        if let Some(v) = r.get(k) {
            parts.push(format!("{k}={}", format_value(v)));
        }
    }
    parts.join(" ")
}

/// A duration as a command line writes it: `3`, `0.5`.
fn seconds(d: Duration) -> String {
    let text = format!("{:.3}", d.as_secs_f64());
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The CPU time of this process (the load tool) so far.
fn own_cpu_seconds() -> Option<procfs::CpuSample> {
    procfs::cpu_sample(std::process::id())
}

/// Whether the load tool does the work of the run (not iperf3's own
/// client, not idle connections that only wait).
fn measures_load_tool(action: &Action) -> bool {
    !matches!(action, Action::Iperf3 | Action::Idle(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_tool_past_its_time_limit_is_killed_not_left_running() {
        // A `sleep` with an odd length, to be told from any other child.
        let mut command = tokio::process::Command::new("sleep");
        command.arg("31.25");
        let err = output_within(command, Duration::from_millis(200), "sleep")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("did not finish in time"), "{err}");
        let sleeping = || {
            fs::read_dir("/proc")
                .into_iter()
                .flatten()
                .flatten()
                .any(|e| {
                    let dir = e.path();
                    let mine = fs::read_to_string(dir.join("stat")).is_ok_and(|stat| {
                        stat.rfind(')').is_some_and(|at| {
                            let fields: Vec<&str> = stat[at + 1..].split_whitespace().collect();
                            fields.first() != Some(&"Z")
                                && fields.get(1) == Some(&std::process::id().to_string().as_str())
                        })
                    });
                    mine && fs::read(dir.join("cmdline")).is_ok_and(|c| c.ends_with(b"31.25\0"))
                })
        };
        // Killed at once; reaped by tokio in the background (bounded wait).
        let deadline = Instant::now() + Duration::from_secs(5);
        while sleeping() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!sleeping(), "the program still runs past its time limit");
    }

    #[test]
    fn debug_builds_are_refused_unless_allowed() {
        let release = Path::new("/x/target/release");
        let debug = Path::new("/x/target/x86_64-unknown-linux-gnu/debug");
        // The load tool's own build decides first: a test built without
        // --release is itself a debug build.
        assert_eq!(
            check_release(release, false).is_ok(),
            !cfg!(debug_assertions)
        );
        let err = check_release(debug, false).unwrap_err();
        assert!(matches!(err, NetError::Usage { .. }), "{err}");
        assert!(err.to_string().contains("--release"), "{err}");
        assert!(check_release(debug, true).is_ok());
    }

    #[test]
    fn durations_are_written_short() {
        assert_eq!(seconds(Duration::from_secs(3)), "3");
        assert_eq!(seconds(Duration::from_millis(500)), "0.5");
    }

    #[test]
    fn xinetd_serves_both_with_no_limits() {
        let conf = xinetd_conf(61001, 61002, Path::new("/tmp/l"));
        assert!(conf.contains("service time") && conf.contains("port        = 61001"));
        assert!(
            conf.contains("id          = daytime-stream") && conf.contains("port        = 61002")
        );
        assert!(conf.contains("cps            = 1000000 1"));
    }

    fn options(only: &str) -> Options {
        Options {
            bin_dir: None,
            rounds: 1,
            duration: Duration::from_secs(1),
            idle_connections: 10,
            sweep: vec![10, 1000],
            sweep_load: 100_000.0,
            only: vec![only.into()],
            out: "x".into(),
            chart: "y".into(),
            raw: None,
            logs: "z".into(),
            note: None,
            allow_debug: false,
        }
    }

    #[test]
    fn bare_floors_run_third_where_a_target_met_the_machine_limits() {
        let all: Vec<Case> = ["connect", "chat", "scaling", "bulk"]
            .iter()
            .flat_map(|group| cases(&options(group)))
            .collect();
        let floor = |id: &str| all.iter().find(|c| c.id == id).unwrap().floor;
        assert_eq!(floor("time"), Some(Server::BareTime));
        assert_eq!(floor("chat-200x1"), Some(Server::BareRelay));
        assert_eq!(floor("scale-10"), Some(Server::BareRelay));
        assert_eq!(floor("scale-1000"), Some(Server::BareRelay));
        for id in ["daytime", "chat-50x5", "chat-paced", "bulk-8"] {
            assert_eq!(floor(id), None, "{id}");
        }
        let time = all.iter().find(|c| c.id == "time").unwrap();
        let order: Vec<Side> = time.sides().map(|(side, _)| side).collect();
        assert_eq!(order, [Side::Ours, Side::Peer, Side::Floor]);
        // The relay speaks as ncat does: the load tool must use raw mode.
        assert!(Server::BareRelay.speaks_raw() && Server::Ncat.speaks_raw());
        assert!(!Server::OursChat.speaks_raw());
    }

    #[test]
    fn the_sweep_offers_the_same_load_at_every_size() {
        for case in cases(&options("scaling")) {
            let Action::Chat {
                clients,
                senders,
                rate,
                ..
            } = case.action
            else {
                panic!()
            };
            let offered = clients as f64 * senders as f64 * rate;
            assert!((offered - 100_000.0).abs() < 1.0, "{}: {offered}", case.id);
        }
    }
}
