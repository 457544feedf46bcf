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

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use netkit::NetError;
use netkit::args::{parse_limit, parse_seconds};
use serde_json::{Value, json};

use crate::chart::{self, Panel, Series};
use crate::chat_fanout::{self, Mode};
use crate::connect_rate::{self, Service};
use crate::report::{Report, format_value};
use crate::servers::{Ports, Running, version, which};
use crate::stats::median;
use crate::{echo_bulk, idle, pingpong, procfs};

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
    fn start(&mut self, server: Server, action: &Action) -> Result<(Running, Vec<u16>), NetError> {
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
        let running = Running::start(&program, &args, &log, &ports)?;
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

/// Runs the iperf3 client for `duration` and reads its JSON result.
async fn iperf3_client(port: u16, duration: Duration) -> Result<Report, NetError> {
    let secs = seconds(duration.max(Duration::from_secs(1)));
    let out = tokio::process::Command::new(which("iperf3").unwrap_or_else(|| "iperf3".into()))
        .args([
            "-c",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            &secs,
            "-J",
        ])
        .output();
    let out = tokio::time::timeout(duration + Duration::from_secs(15), out)
        .await
        .map_err(|_| NetError::protocol("iperf3 did not finish in time"))?
        .map_err(|e| NetError::io("running iperf3", e))?;
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
    let machine_before = machine();
    let began = Instant::now();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let total: usize = cases.iter().map(|c| opts.rounds * c.sides().count()).sum();
    let mut done = 0;
    for case in &cases {
        for round in 1..=opts.rounds {
            for (side, server) in case.sides() {
                done += 1;
                let ticks_before = procfs::cpu_ticks();
                let mode = if server.speaks_raw() {
                    Mode::Raw
                } else {
                    Mode::Chat
                };
                let (result, server_command, client_command) = match ctx.start(server, &case.action)
                {
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

struct Results {
    cases: Vec<Case>,
    outcomes: Vec<Outcome>,
}

impl Results {
    fn reports(&self, case: &str, side: Side) -> impl Iterator<Item = &Report> {
        self.outcomes
            .iter()
            .filter(move |o| o.case == case && o.side == side)
            .filter_map(|o| o.result.as_ref().ok())
    }

    fn median(&self, case: &str, side: Side, metric: &str) -> Option<f64> {
        let values: Vec<f64> = self
            .reports(case, side)
            .filter_map(|r| r.get(metric))
            .collect();
        median(&values)
    }

    /// The worst value over the rounds (e.g. the lowest completeness).
    fn min(&self, case: &str, side: Side, metric: &str) -> Option<f64> {
        self.reports(case, side)
            .filter_map(|r| r.get(metric))
            .reduce(f64::min)
    }

    fn failures(&self, case: &str, side: Side) -> Vec<&str> {
        self.outcomes
            .iter()
            .filter(|o| o.case == case && o.side == side)
            .filter_map(|o| o.result.as_ref().err().map(String::as_str))
            .collect()
    }

    fn first(&self, case: &str, side: Side) -> Option<&Outcome> {
        self.outcomes
            .iter()
            .find(|o| o.case == case && o.side == side)
    }
}

/// One line of the targets table.
struct Target {
    goal: String,
    measured: String,
    met: Option<bool>,
}

fn targets(r: &Results) -> Vec<Target> {
    let mut t = vec![];
    // Ours, the peer, and ours/peer: no ratio when the peer measured 0 (a
    // relay that delivered nothing), which would read as "infinitely
    // better" and meet any target.
    let ratio = |case: &str, metric: &str| -> Option<(f64, f64, Option<f64>)> {
        let ours = r.median(case, Side::Ours, metric)?;
        let peer = r.median(case, Side::Peer, metric)?;
        Some((ours, peer, (peer > 0.0).then(|| ours / peer)))
    };
    // What a bare server got against the same peer: a target it misses too
    // is out of this machine's reach.
    let floor = |case: &str, metric: &str| -> String {
        let bare = r.median(case, Side::Floor, metric);
        match bare.zip(r.median(case, Side::Peer, metric)) {
            Some((b, p)) if p > 0.0 => format!("; a bare server: {:.2}×", b / p),
            _ => String::new(),
        }
    };
    let fmt = |v: Option<f64>| v.map_or("—".to_string(), format_value);
    let mut versus =
        |goal: &str, case: &str, metric: &str, unit: &str, peer: &str, at_least: f64| {
            let got = ratio(case, metric);
            t.push(Target {
                goal: goal.to_string(),
                measured: match got {
                    Some((o, p, Some(x))) => format!(
                        "{} vs {} {unit} ({peer}): **{x:.2}×**{}",
                        format_value(o),
                        format_value(p),
                        floor(case, metric)
                    ),
                    Some((o, p, None)) => format!(
                        "{} vs {} {unit} ({peer}): no ratio, the peer measured nothing",
                        format_value(o),
                        format_value(p),
                    ),
                    None => failed_text(r, case),
                },
                met: got.and_then(|(_, _, x)| Some(x? >= at_least)),
            });
        };
    versus(
        "echo bulk, 1 connection: ≥ 2.5× socat -b 4096",
        "bulk-1",
        "mb_per_s",
        "MB/s",
        "socat",
        2.5,
    );
    versus(
        "echo bulk, 8 connections: ≥ 2.5× socat -b 4096",
        "bulk-8",
        "mb_per_s",
        "MB/s",
        "socat",
        2.5,
    );
    versus(
        "ping-pong, 50 connections: ≥ 2× socat's round trips/s",
        "pingpong-50",
        "round_trips_per_s",
        "round trips/s",
        "socat",
        2.0,
    );
    versus(
        "time: ≥ 1.2× xinetd's connections/s",
        "time",
        "connections_per_s",
        "conn/s",
        "xinetd",
        1.2,
    );
    versus(
        "daytime: ≥ 1.2× xinetd's connections/s",
        "daytime",
        "connections_per_s",
        "conn/s",
        "xinetd",
        1.2,
    );
    versus(
        "chat 50 clients × 5 senders × 200: ≥ 3× ncat's delivered lines/s",
        "chat-50x5",
        "lines_per_s",
        "lines/s",
        "ncat",
        3.0,
    );
    versus(
        "chat 200 clients × 1 sender: ≥ 3× ncat's delivered lines/s",
        "chat-200x1",
        "lines_per_s",
        "lines/s",
        "ncat",
        3.0,
    );
    let ours_bulk = r.median("bulk-1", Side::Ours, "mb_per_s");
    let iperf = r
        .median("iperf3", Side::Peer, "mb_per_s")
        .filter(|&i| i > 0.0);
    t.push(Target {
        goal: "echo bulk, 1 connection: ≥ 40% of iperf3's one stream".into(),
        measured: match (ours_bulk, iperf) {
            (Some(o), Some(i)) => format!(
                "{} vs {} MB/s: **{:.0}%**",
                format_value(o),
                format_value(i),
                o / i * 100.0
            ),
            _ => "—".into(),
        },
        met: ours_bulk.zip(iperf).map(|(o, i)| o >= 0.4 * i),
    });
    let mut at_most = |goal: &str, case: &str, metric: &str, unit: &str, limit: f64| {
        let v = r.median(case, Side::Ours, metric);
        t.push(Target {
            goal: goal.to_string(),
            measured: match v {
                Some(v) => format!("**{}** {unit}", format_value(v)),
                None => failed_text(r, case),
            },
            met: v.map(|v| v <= limit),
        });
    };
    at_most(
        "ping-pong, 50 connections: p99 ≤ 1 ms",
        "pingpong-50",
        "p99_ms",
        "ms",
        1.0,
    );
    at_most(
        "chat paced 50 clients, 5 × 1,000 lines/s: p99 ≤ 1.5 ms",
        "chat-paced",
        "p99_ms",
        "ms",
        1.5,
    );
    at_most(
        "10,000 idle chat clients: ≤ 8 KiB of server RSS each",
        "idle-chat",
        "kib_per_connection",
        "KiB each",
        8.0,
    );
    at_most(
        "10,000 idle echo connections: ≤ 4 KiB each",
        "idle-echo",
        "kib_per_connection",
        "KiB each",
        4.0,
    );
    for case in ["chat-50x5", "chat-200x1", "chat-paced"] {
        let worst = r.min(case, Side::Ours, "completeness");
        let disorder = r
            .reports(case, Side::Ours)
            .filter_map(|x| x.get("out_of_order"))
            .fold(0.0, f64::max);
        t.push(Target {
            goal: format!("{case}: every line delivered, in order (every round)"),
            measured: match worst {
                Some(c) => format!(
                    "lowest completeness {}, out of order {}",
                    fmt(Some(c)),
                    format_value(disorder)
                ),
                None => failed_text(r, case),
            },
            met: worst.map(|c| c >= 1.0 && disorder == 0.0),
        });
    }
    let costs = |side: Side| -> Vec<(usize, f64)> {
        r.cases
            .iter()
            .filter_map(|c| match c.action {
                Action::Chat { clients, .. } if c.group == "scaling" => r
                    .median(&c.id, side, "cost_us_per_line")
                    .map(|v| (clients, v)),
                _ => None,
            })
            .collect()
    };
    // Highest cost over lowest, over the sweep.
    let spread = |costs: &[(usize, f64)]| {
        let lo = costs.iter().map(|c| c.1).fold(f64::MAX, f64::min);
        let hi = costs.iter().map(|c| c.1).fold(0.0, f64::max);
        hi / lo.max(1e-9)
    };
    let ours = costs(Side::Ours);
    if !ours.is_empty() {
        let listed: Vec<String> = ours.iter().map(|(n, c)| format!("{n}: {c:.2}")).collect();
        let bare = costs(Side::Floor);
        let floor = if bare.is_empty() {
            String::new()
        } else {
            format!("; the bare relay: {:.2}×", spread(&bare))
        };
        t.push(Target {
            goal: "chat scaling: cost per delivered line within 2× from 10 to 1,000 clients".into(),
            measured: format!(
                "µs of server CPU per line by clients — {}: **{:.2}×**{floor}",
                listed.join(", "),
                spread(&ours)
            ),
            met: Some(spread(&ours) <= 2.0),
        });
    }
    t
}

fn failed_text(r: &Results, case: &str) -> String {
    let mut f = r.failures(case, Side::Ours);
    f.extend(r.failures(case, Side::Peer));
    match f.first() {
        Some(e) => format!("failed: {e}"),
        None => "not run".into(),
    }
}

fn chart(r: &Results, opts: &Options) -> String {
    let series = |side: Side, metric: &str| -> Vec<(f64, f64)> {
        opts.sweep
            .iter()
            .filter_map(|&n| {
                r.median(&format!("scale-{n}"), side, metric)
                    .map(|v| (n as f64, v))
            })
            .collect()
    };
    let panel = |title: &str, y: &str, metric: &str| Panel {
        title: title.into(),
        y_label: y.into(),
        series: [
            Series {
                name: "chat-server".into(),
                color: "#1f77b4",
                points: series(Side::Ours, metric),
            },
            Series {
                name: "ncat --chat".into(),
                color: "#ff7f0e",
                points: series(Side::Peer, metric),
            },
            Series {
                name: "bare relay".into(),
                color: "#7f7f7f",
                points: series(Side::Floor, metric),
            },
        ]
        .into_iter()
        // A side that did not run (no ncat at 2,000 clients) has no line.
        .filter(|s| !s.points.is_empty())
        .collect(),
    };
    chart::svg(
        &[
            panel("Delivery latency, p99", "ms", "p99_ms"),
            panel("Server CPU per delivered line", "µs", "cost_us_per_line"),
        ],
        &format!(
            "clients in the room ({} delivered lines/s offered at every size)",
            thousands(opts.sweep_load)
        ),
    )
}

/// What the machine is, and how busy.
fn machine() -> BTreeMap<&'static str, String> {
    let mut m = BTreeMap::new();
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "?".into());
    m.insert("cpu", model);
    m.insert(
        "cores",
        std::thread::available_parallelism().map_or("?".into(), |n| n.to_string()),
    );
    let mem = fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|r| r.trim().to_string()))
        .unwrap_or_default();
    m.insert("memory", mem);
    m.insert(
        "kernel",
        fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string(),
    );
    m.insert(
        "load",
        fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
            .to_string(),
    );
    m
}

fn keep_notes(old: &str) -> Option<String> {
    let start = old.find("<!-- notes -->")?;
    let end = old[start..].find("<!-- /notes -->")? + start + "<!-- /notes -->".len();
    Some(old[start..end].to_string())
}

fn report(
    r: &Results,
    opts: &Options,
    before: &BTreeMap<&'static str, String>,
    after: &BTreeMap<&'static str, String>,
    wall: Duration,
    threads: usize,
    notes: Option<String>,
) -> String {
    let mut o = String::new();
    let get = |k| before.get(k).cloned().unwrap_or_default();
    let date = codec::time::Timestamp::now()
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string();
    let _ = writeln!(o, "# Benchmarks\n");
    let _ = writeln!(
        o,
        "netlab's servers measured side by side with well-known peers, on one machine, over loopback, \
         with the same client (`netlab-bench`, crate `bench`). Generated by `scripts/bench.sh` \
         (`netlab-bench suite`) on {date}, in {:.0} s; every figure is the **median of {} rounds** \
         run A B A B (ours, peer), each run on a freshly started server. Client and server share the \
         machine's cores, so the absolute figures are those of the pair; the ratios are what matter. \
         Where a target may be out of the machine's reach, a *bare* server runs too, third in each \
         round: the least a server can do for that case (see *Method*).\n",
        wall.as_secs_f64(),
        opts.rounds
    );
    let _ = writeln!(o, "## Machine\n");
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| CPU | {} ({} cores) |", get("cpu"), get("cores"));
    let _ = writeln!(o, "| memory | {} |", get("memory"));
    let _ = writeln!(o, "| kernel | Linux {} |", get("kernel"));
    let _ = writeln!(
        o,
        "| load average (1, 5, 15 min) | before: {}; after: {} |",
        get("load").split(' ').take(3).collect::<Vec<_>>().join(" "),
        after.get("load").map_or(String::new(), |l| l
            .split(' ')
            .take(3)
            .collect::<Vec<_>>()
            .join(" "))
    );
    for (tool, flag) in [
        ("socat", "-V"),
        ("iperf3", "--version"),
        ("ncat", "--version"),
        ("xinetd", "-version"),
    ] {
        let v = version(tool, flag);
        let _ = writeln!(
            o,
            "| {tool} | {} |",
            if tool == "socat" { socat_version() } else { v }
        );
    }
    let steals: Vec<f64> = r.outcomes.iter().filter_map(|x| x.steal).collect();
    if let (Some(mid), Some(worst)) = (median(&steals), steals.iter().copied().reduce(f64::max)) {
        let _ = writeln!(
            o,
            "| CPU time stolen by the hypervisor during the runs | median {mid:.1}%, worst {worst:.1}% \
             (a virtual machine shares its host: other machines' load shows up here) |"
        );
    }
    if let Some(note) = &opts.note {
        let _ = writeln!(o, "\n**Conditions:** {note}");
    }

    let _ = writeln!(o, "\n## Method\n");
    let _ = writeln!(
        o,
        "- **The load tool's threads**: {threads} (`--threads {threads}`){}.",
        if threads == 1 {
            ": every client connection runs on one thread, so the server gets the other core"
        } else {
            ""
        }
    );
    let _ = writeln!(
        o,
        "- **Our servers' threads**: {SERVER_THREADS} (`--threads {SERVER_THREADS}`): each side \
         gets one core, as the peers have (xinetd and ncat run on one thread; socat forks one \
         process per connection)."
    );
    let _ = writeln!(o, "{METHOD}");
    let _ = writeln!(o, "\n## Targets\n");
    let _ = writeln!(o, "| target | measured (medians) | met |\n|---|---|---|");
    for t in targets(r) {
        let met = match t.met {
            Some(true) => "✅ yes",
            Some(false) => "❌ **no**",
            None => "— not measured",
        };
        let _ = writeln!(
            o,
            "| {} | {} | {met} |",
            t.goal,
            t.measured.replace('|', "\\|")
        );
    }

    let _ = writeln!(o, "\n## Results\n");
    let groups = [
        (
            "bulk",
            "Echo, bulk transfer",
            "mb_per_s",
            "MB/s echoed (verified)",
            vec!["load_tool_cpu_pct"],
        ),
        (
            "pingpong",
            "Echo, ping-pong (round trips of 64 bytes)",
            "round_trips_per_s",
            "round trips/s",
            vec!["p50_ms", "p99_ms", "max_ms", "load_tool_cpu_pct"],
        ),
        (
            "connect",
            "Time and daytime: connections per second",
            "connections_per_s",
            "connections/s",
            vec!["p50_ms", "p99_ms", "load_tool_cpu_pct"],
        ),
        (
            "chat",
            "Chat fan-out",
            "lines_per_s",
            "delivered lines/s",
            vec![
                "completeness",
                "p50_ms",
                "p99_ms",
                "cost_us_per_line",
                "load_tool_cpu_pct",
            ],
        ),
        (
            "idle",
            "Idle connections: server memory",
            "kib_per_connection",
            "KiB per connection",
            vec!["rss_before_kib", "rss_after_kib", "closed_by_server"],
        ),
        (
            "scaling",
            "Chat scaling: constant load, growing room",
            "p99_ms",
            "p99 ms",
            vec!["p50_ms", "completeness", "cost_us_per_line"],
        ),
    ];
    for (group, title, main, unit, extra) in groups {
        let cases: Vec<&Case> = r.cases.iter().filter(|c| c.group == group).collect();
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(o, "### {title}\n");
        let mut header = format!("| case | server | {unit} |");
        for e in &extra {
            header.push_str(&format!(" {e} |"));
        }
        header.push_str(" ÷ peer | runs |");
        let _ = writeln!(o, "{header}");
        let _ = writeln!(o, "|{}", "---|".repeat(5 + extra.len()));
        for case in cases {
            let peer_main = r.median(&case.id, Side::Peer, main);
            for (side, server) in case.sides() {
                let failures = r.failures(&case.id, side);
                let cell = |m: &str| {
                    r.median(&case.id, side, m)
                        .map_or("—".to_string(), format_value)
                };
                let mut row = format!("| {} | {} | {} |", case.title, server.label(), cell(main));
                for e in &extra {
                    row.push_str(&format!(" {} |", cell(e)));
                }
                let ratio = match (side, r.median(&case.id, side, main), peer_main) {
                    (Side::Ours | Side::Floor, Some(a), Some(b)) if b > 0.0 => {
                        format!("{:.2}×", a / b)
                    }
                    _ => String::new(),
                };
                row.push_str(&format!(" {ratio} |"));
                if failures.is_empty() {
                    row.push_str(&format!(" {} ok |", opts.rounds));
                } else {
                    row.push_str(&format!(
                        " {} of {} failed: {} |",
                        failures.len(),
                        opts.rounds,
                        failures[0].replace('|', "\\|")
                    ));
                }
                let _ = writeln!(o, "{row}");
            }
        }
        let _ = writeln!(o);
        if group == "scaling" {
            let _ = writeln!(
                o,
                "![chat delivery p99 and server CPU per delivered line against the number of clients]({})\n",
                opts.chart
                    .file_name()
                    .map_or(String::new(), |f| f.to_string_lossy().into_owned())
            );
            let _ = writeln!(
                o,
                "Every size is offered the same load, {} delivered lines per second \
                 (senders × rate × clients), for 2 s, so the lines show what a bigger room costs \
                 per line, not how much more work it is.\n",
                thousands(opts.sweep_load)
            );
        }
    }

    let _ = writeln!(o, "## Exact commands\n");
    let _ = writeln!(
        o,
        "Everything above comes from `bash scripts/bench.sh`, which installs the peers \
         (`apt-get install -y socat iperf3 ncat xinetd`), builds the release binaries (and the bare \
         servers, `cargo build --release -p bench --examples`) and runs \
         `netlab-bench --threads {threads} suite --rounds {} --duration {}`. Each run below was done with a fresh server; \
         the `netlab-bench` line is the subcommand doing the same measurement by hand (PID: the \
         server's process id).\n",
        opts.rounds,
        seconds(opts.duration)
    );
    let _ = writeln!(o, "```sh");
    for case in &r.cases {
        let _ = writeln!(o, "# {}", case.title);
        for (side, _) in case.sides() {
            if let Some(first) = r.first(&case.id, side) {
                let _ = writeln!(
                    o,
                    "{}\n    {}",
                    strip_dir(&first.server_command),
                    first.client_command
                );
            }
        }
    }
    let _ = writeln!(o, "```");
    if r.cases.iter().any(|c| c.peer == Some(Server::Xinetd)) {
        let _ = writeln!(
            o,
            "\nxinetd's configuration (its defaults would cap it at 50 connections/s):\n\n```\n{}```",
            xinetd_conf(61001, 61002, Path::new("/tmp/netlab-bench-logs"))
        );
    }
    let _ = writeln!(o, "\n## Notes\n");
    let _ = writeln!(
        o,
        "{}",
        notes.unwrap_or_else(|| "<!-- notes -->\n(No notes yet.)\n<!-- /notes -->".into())
    );
    o
}

/// How each figure is obtained, for the report.
const METHOD: &str = "\
- **One client for everyone.** `netlab-bench` (tokio, all connections in one process) measures ours \
and the peer alike, over 127.0.0.1, alternating A B A B with a fresh server each run. MB are 10^6 bytes.
- **echo-bulk**: per connection a writer streams a 251-byte-period pattern while a reader checks \
every byte that comes back; the writer half-closes at the deadline and the run ends at the \
server's close. The figure is echoed, verified bytes per second. iperf3's figure is one way.
- **echo-pingpong**: 64-byte messages, one outstanding per connection, each echo compared with \
what was sent; latency is per round trip.
- **connect-rate**: 4 workers connect, read the whole answer, decode it (4 bytes of RFC 868, or \
a daytime line: ours, xinetd's and other formats) and check it is within 3 s of our clock.
- **chat-fanout**: ours speaks chat/1 (`NICK c<i>`, then `MSG`; everyone, sender included, gets \
each line); ncat gets plain lines (it relays them to the others only, prefixed `<userN>`). \
Each message is written on its own and carries its send time; latency runs from the sender's \
write to the receiver's read. A sync line from client 0 must reach everyone before the clock \
starts. ncat prefixes every `recv()` it makes, not every line, so a line that straddles two of \
its reads arrives cut in two: such lines count as lost. Server CPU is the sum of its threads' \
run time (`/proc/PID/task/*/schedstat`; the process's total in `/proc/PID/stat`, to 10 ms, \
when a thread ended during the run), divided by the lines delivered.
- **Latency percentiles** (p50, p90, p99, max) count every round trip, connection or delivered \
line of a run, in an HDR histogram: each figure is within 0.1 % of the true one, never below it.
- **idle**: N connections opened and held 2 s; chat clients are greeted but send no `NICK` \
(10,000 nicknames would mean 50 million `JOIN` notices). The server's `VmRSS` before and \
after, divided by N; every connection is checked to be still open at the end.
- **load_tool_cpu_pct**: the CPU time `netlab-bench` itself used during the run, as a share of \
its one thread. Near 100%, the client was the limit: the figure says how fast the load tool is, \
and a faster server cannot show it.
- **Scaling**: every room size is offered the same total of delivered lines per second \
(up to 5 senders, paced), so a rising line means each delivered line costs more in a bigger room.
- **Bare servers** (`crates/bench/examples/`), the floor of a case: `bare_time` accepts, writes \
the 4 bytes of RFC 868 and closes, in its accept loop; `bare_relay` is one tokio task per client \
and one broadcast channel, relaying each line to the others as ncat does (so it is measured in \
ncat's raw mode). Neither has a limit, a check or a log line; both run on one thread. What a \
bare server cannot reach against the same peer, on this machine, no server can: such a missed \
target is a limit of the machine and the load tool, not a finding in ours.";

/// 100000 → "100,000".
fn thousands(value: f64) -> String {
    netkit::error::group_thousands(value.max(0.0).round() as usize)
}

/// A duration as a command line writes it: `3`, `0.5`.
fn seconds(d: Duration) -> String {
    let text = format!("{:.3}", d.as_secs_f64());
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `/long/path/target/release/echo-server …` → `echo-server …`.
fn strip_dir(command: &str) -> String {
    let (program, rest) = command.split_once(' ').unwrap_or((command, ""));
    let name = Path::new(program)
        .file_name()
        .map_or(program.to_string(), |n| n.to_string_lossy().into_owned());
    format!("{name} {rest}").trim_end().to_string()
}

/// socat prints its version on its second line.
fn socat_version() -> String {
    std::process::Command::new("socat")
        .arg("-V")
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .find(|l| l.contains("socat version"))
                .map(|l| l.trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
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

    #[test]
    fn notes_survive_a_new_report() {
        let old = "# Benchmarks\nold\n## Notes\n<!-- notes -->\nwhy it is slow\n<!-- /notes -->\n";
        assert_eq!(
            keep_notes(old).unwrap(),
            "<!-- notes -->\nwhy it is slow\n<!-- /notes -->"
        );
        assert_eq!(keep_notes("nothing"), None);
    }

    #[test]
    fn big_numbers_get_separators() {
        assert_eq!(thousands(100_000.0), "100,000");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }

    #[test]
    fn durations_are_written_short() {
        assert_eq!(seconds(Duration::from_secs(3)), "3");
        assert_eq!(seconds(Duration::from_millis(500)), "0.5");
    }

    #[test]
    fn commands_are_shown_without_build_paths() {
        assert_eq!(
            strip_dir("/x/target/release/echo-server --port 1"),
            "echo-server --port 1"
        );
        assert_eq!(strip_dir("/usr/bin/socat"), "socat");
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

    /// A run of `case` by `side` that measured `metric` = `value`.
    fn outcome(case: &str, side: Side, metric: &'static str, value: f64) -> Outcome {
        let mut report = Report::new("x", "127.0.0.1:1");
        report.metric(metric, value, "");
        Outcome {
            case: case.into(),
            side,
            result: Ok(report),
            server_command: String::new(),
            client_command: String::new(),
            steal: None,
        }
    }

    #[test]
    fn a_peer_that_measured_nothing_meets_no_target() {
        // ncat delivered no line (0 lines/s), iperf3 moved no byte: the old
        // ratios were infinite, and "∞ ≥ 3×" marked the targets met.
        let outcomes = vec![
            outcome("chat-50x5", Side::Ours, "lines_per_s", 1000.0),
            outcome("chat-50x5", Side::Peer, "lines_per_s", 0.0),
            outcome("bulk-1", Side::Ours, "mb_per_s", 500.0),
            outcome("iperf3", Side::Peer, "mb_per_s", 0.0),
        ];
        let results = Results {
            cases: vec![],
            outcomes,
        };
        let all = targets(&results);
        for goal in ["chat 50 clients", "40% of iperf3"] {
            let t = all.iter().find(|t| t.goal.contains(goal)).unwrap();
            assert_eq!(t.met, None, "{}: {}", t.goal, t.measured);
            assert!(!t.measured.contains("inf"), "{}", t.measured);
        }
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
