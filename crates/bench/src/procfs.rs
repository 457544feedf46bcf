//! # What the kernel knows about a server process
//!
//! Linux shows every process's vital signs as text files under `/proc/PID/`:
//! `status` has its resident memory (`VmRSS`, the RAM it really occupies),
//! `task/*/schedstat` the CPU time each of its threads has used (`stat`, coarser,
//! when the kernel keeps no schedstats). Reading them needs no cooperation from
//! the server, so the same measurement works for netlab's servers and for
//! socat, xinetd or ncat.

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

/// CPU time used by process `pid` so far, all its threads, in seconds.
///
/// The precise source is the scheduler's own count, in nanoseconds: the
/// first field of `/proc/PID/task/TID/schedstat`, summed over the threads.
/// Without it (a kernel built without schedstats) we fall back to
/// [`cpu_seconds_coarse`], whose 10 ms ticks are too coarse for short runs.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let threads = fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total_ns: u64 = 0;
    let mut any = false;
    for thread in threads.flatten() {
        let path = thread.path().join("schedstat");
        if let Some(ns) = fs::read_to_string(path)
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok())
        {
            total_ns += ns;
            any = true;
        }
    }
    if any {
        Some(total_ns as f64 / 1e9)
    } else {
        cpu_seconds_coarse(pid)
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
        assert!(cpu_seconds(me).is_some());
        assert!(cpu_seconds_coarse(me).is_some());
        // Burn a little CPU: the precise count must see it.
        let before = cpu_seconds(me).unwrap();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_seconds(me).unwrap() > before);
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
