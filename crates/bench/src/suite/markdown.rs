//! # The suite's report: from runs to docs/benchmarks.md
//!
//! [`super::run`] collects one [`Outcome`] per run; this module turns them
//! into the Markdown report and its chart, and only reads them:
//!
//! - each figure is the **median** of a side's rounds ([`Results::median`]),
//!   so one disturbed run does not move it;
//! - the **ratio** is always ours ÷ peer (higher is better for rates, lower
//!   for latencies and costs); with no figure from the peer, or a peer at 0,
//!   there is no ratio rather than an infinite one;
//! - each target says met, missed or not measured, and a bare server's
//!   figure beside it tells a limit of the machine from one of ours;
//! - the machine, the peers' versions and the exact commands are written
//!   down, so that anyone can run the same measurement again.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::Duration;

use super::{Action, Case, Options, Outcome, SERVER_THREADS, Server, Side, seconds, xinetd_conf};
use crate::chart::{self, Panel, Series};
use crate::report::{Report, format_value};
use crate::servers::version;
use crate::stats::median;

pub(super) struct Results {
    pub(super) cases: Vec<Case>,
    pub(super) outcomes: Vec<Outcome>,
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

pub(super) fn chart(r: &Results, opts: &Options) -> String {
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
pub(super) fn machine() -> BTreeMap<&'static str, String> {
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

pub(super) fn keep_notes(old: &str) -> Option<String> {
    let start = old.find("<!-- notes -->")?;
    let end = old[start..].find("<!-- /notes -->")? + start + "<!-- /notes -->".len();
    Some(old[start..end].to_string())
}

pub(super) fn report(
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
    if opts.allow_debug {
        let _ = writeln!(
            o,
            "> **Warning: run with `--allow-debug`.** The load tool or the servers were debug \
             builds: these figures are those of unoptimized code, not of the servers.\n"
        );
    }
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
write to the receiver's read; a paced line counts from when it was due (from when the sender's \
timer woke, if it fell due while the sender slept), so a sender held back by the server does not hide the wait. A sync line from client 0 must reach everyone before the clock \
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
    fn commands_are_shown_without_build_paths() {
        assert_eq!(
            strip_dir("/x/target/release/echo-server --port 1"),
            "echo-server --port 1"
        );
        assert_eq!(strip_dir("/usr/bin/socat"), "socat");
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
}
