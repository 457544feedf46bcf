//! # What the kernel knows about a server process
//!
//! Linux shows every process's vital signs as text files under `/proc/PID/`:
//! `status` has its resident memory (`VmRSS`, the RAM it really occupies),
//! `task/*/schedstat` the CPU time each of its threads has used (`stat`, coarser,
//! when the kernel keeps no schedstats). Reading them needs no cooperation from
//! the server, so the same measurement works for netlab's servers and for
//! socat, xinetd or ncat.

use std::collections::BTreeMap;
use std::fs;

use netkit::NetError;

/// The kernel's clock tick for `utime`/`stime` in `/proc/PID/stat`
/// (`USER_HZ`). It is 100 on every mainstream Linux architecture; asking
/// `sysconf(_SC_CLK_TCK)` would need `unsafe` libc calls, which this
/// workspace forbids.
pub const TICKS_PER_SECOND: f64 = 100.0;

/// The resident memory of process `pid`, in KiB (`VmRSS` in `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Checks, before a run, that process `pid` (given with `--pid`) is there
/// to be measured. Without this, a mistyped id gave a report without the
/// figures asked for, and no word about why.
pub fn require(pid: u32) -> Result<(), NetError> {
    match rss_kib(pid) {
        Some(_) => Ok(()),
        None => Err(NetError::usage(format!(
            "--pid {pid}: no running process has this id (/proc/{pid}/status cannot be read); \
             give the server's process id, e.g. from `pgrep chat-server`"
        ))),
    }
}

/// The error when process `pid` vanished during the run: its `what` (memory,
/// CPU time) cannot be measured, and the server most likely crashed.
pub fn exited(pid: u32, what: &str) -> NetError {
    NetError::protocol(format!(
        "process {pid} (--pid) exited during the run, so its {what} cannot be measured: \
         did the server crash or get stopped?"
    ))
}

/// A process's CPU time at one moment; [`CpuSample::since`] gives the CPU
/// time used between two samples.
///
/// The precise source is the scheduler's own count, in nanoseconds: the
/// first field of `/proc/PID/task/TID/schedstat`, one per live thread. But
/// a thread that ends takes its count along: a server thread that worked
/// and ended between two samples would make the difference too small, even
/// below 0. The process's own total in `/proc/PID/stat` keeps the time of
/// ended threads, to the clock tick (10 ms): it is used whenever the
/// threads' counts cannot be the whole story.
#[derive(Debug, Clone)]
pub struct CpuSample {
    /// Each live thread's run time (ns), by thread id; empty on a kernel
    /// built without schedstats.
    threads: BTreeMap<u32, u64>,
    /// User + system time of the whole process, ended threads included, in s.
    total: f64,
}

/// The clock tick of [`cpu_seconds_coarse`], in seconds.
const TICK: f64 = 1.0 / TICKS_PER_SECOND;

/// Samples the CPU time of process `pid`; `None` if it is gone.
pub fn cpu_sample(pid: u32) -> Option<CpuSample> {
    let mut threads = BTreeMap::new();
    for thread in fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let tid = thread.file_name().to_str().and_then(|t| t.parse().ok());
        let ns = fs::read_to_string(thread.path().join("schedstat"))
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok());
        if let (Some(tid), Some(ns)) = (tid, ns) {
            threads.insert(tid, ns);
        }
    }
    Some(CpuSample {
        threads,
        total: cpu_seconds_coarse(pid)?,
    })
}

impl CpuSample {
    /// CPU seconds used since `before` (a sample of the same process).
    pub fn since(&self, before: &CpuSample) -> f64 {
        let coarse = (self.total - before.total).max(0.0);
        // A thread of `before` that is gone (or whose id now names a newer
        // thread, with a smaller count) took its time along.
        let all_there = !self.threads.is_empty()
            && before
                .threads
                .iter()
                .all(|(tid, &ns)| self.threads.get(tid).is_some_and(|&now| now >= ns));
        if !all_there {
            return coarse;
        }
        let precise = self
            .threads
            .iter()
            .map(|(tid, &ns)| ns - before.threads.get(tid).copied().unwrap_or(0))
            .sum::<u64>() as f64
            / 1e9;
        // The total is right to a tick; more than that above the threads'
        // sum is time of threads born and ended between the samples.
        if coarse > precise + 2.0 * TICK {
            coarse
        } else {
            precise
        }
    }
}

/// CPU time used by process `pid` so far (user + system), in seconds, to
/// the clock tick (10 ms).
///
/// Fields 14 and 15 of `/proc/PID/stat`; the command name (field 2) is in
/// parentheses and may itself contain spaces, so we count from the last `)`.
pub fn cpu_seconds_coarse(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_seconds(&stat)
}

fn parse_cpu_seconds(stat: &str) -> Option<f64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // after_name starts at field 3 (state): utime is field 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

/// The machine's CPU time so far, all cores: (total, stolen), in clock
/// ticks, from the first line of `/proc/stat`.
///
/// On a virtual machine, *steal* is time the hypervisor gave to other
/// machines while ours wanted to run: a run with much of it was disturbed
/// from outside, whatever our programs did.
pub fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is
    // already counted in user).
    let total = fields.iter().take(8).sum();
    Some((total, *fields.get(7)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_is_readable() {
        let me = std::process::id();
        assert!(rss_kib(me).unwrap() > 0);
        assert!(cpu_seconds_coarse(me).is_some());
        // Burn a little CPU: the count must see it. (Not much less than a
        // few ticks: other tests' threads end meanwhile, and then the
        // process total, to the tick, is what counts.)
        let before = cpu_sample(me).unwrap();
        burn(0.05);
        let used = cpu_sample(me).unwrap().since(&before);
        assert!(used >= 0.03, "{used} s");
    }

    /// Burns `seconds` of this thread's CPU time (its own schedstat).
    fn burn(seconds: f64) {
        let used = || {
            fs::read_to_string("/proc/thread-self/schedstat")
                .ok()
                .and_then(|t| t.split_whitespace().next()?.parse::<u64>().ok())
                .map_or(f64::MAX, |ns| ns as f64 / 1e9)
        };
        let start = used();
        let mut x = 0u64;
        while used() - start < seconds {
            for i in 0..100_000u64 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
            std::hint::black_box(x);
        }
    }

    #[test]
    fn a_thread_that_ends_between_two_samples_still_counts() {
        // A server thread that does its work and ends before the second
        // sample took its count along: summing the live threads' schedstat
        // gave ~0 s, or less than 0.
        let me = std::process::id();
        let before = cpu_sample(me).unwrap();
        std::thread::spawn(|| burn(0.1)).join().unwrap();
        let used = cpu_sample(me).unwrap().since(&before);
        assert!(used >= 0.08, "{used} s");
    }

    #[test]
    fn names_with_spaces_and_parentheses() {
        let stat = "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0";
        assert_eq!(parse_cpu_seconds(stat), Some(3.0));
    }

    #[test]
    fn the_machine_cpu_time_adds_up() {
        let (total, steal) = cpu_ticks().unwrap();
        assert!(total > 0 && steal <= total);
    }

    #[test]
    fn a_missing_process_is_none() {
        assert_eq!(rss_kib(u32::MAX), None);
        assert!(require(std::process::id()).is_ok());
        let err = require(u32::MAX).unwrap_err();
        assert!(matches!(err, NetError::Usage { .. }), "{err}");
        assert!(err.to_string().contains("no running process"), "{err}");
    }
}
