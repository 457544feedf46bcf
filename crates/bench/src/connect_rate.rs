//! # connect-rate: how many clients per second a "speak first" server serves
//!
//! Time (RFC 868) and daytime (RFC 867) servers answer as soon as a client
//! connects, then close. Their cost is almost entirely the connection
//! itself: accept, one write, close. W workers each connect, read the whole
//! answer, **check it** (4 bytes that decode to a time within a few seconds
//! of ours; or one line that parses as a date and time), and start again.
//!
//! The server closes first, so the `TIME_WAIT` state stays on the server's
//! side, and the client's ports are not used up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use codec::time::{Timestamp, daytime, rfc868};
use netkit::NetError;
use tokio::io::AsyncReadExt;

use crate::common::{Progress, all_or_first_error, connect, room_for};
use crate::report::Report;
use crate::stats::Latencies;

/// Which protocol the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Service {
    /// RFC 868: 4 binary bytes.
    Time,
    /// RFC 867: one line of text.
    Daytime,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Params {
    /// The protocol to expect.
    pub service: Service,
    /// Connections in flight at once.
    pub workers: usize,
    /// How long to run.
    pub duration: Duration,
    /// At most this many connections per worker (the count bound).
    pub max_connections: u64,
    /// Longest wait for one answer.
    pub timeout: Duration,
    /// No progress line.
    pub quiet: bool,
}

/// How far a server's clock may be from ours (RFC 868 has 1 s resolution).
const CLOCK_TOLERANCE_S: i64 = 3;

/// Checks one complete answer.
pub fn validate(service: Service, answer: &[u8], now: Timestamp) -> Result<(), String> {
    let told = match service {
        Service::Time => rfc868::parse_answer(answer).map_err(|e| e.to_string())?,
        Service::Daytime => {
            let text = daytime::text_of(answer).map_err(|e| e.to_string())?;
            daytime::parse(text).map_err(|e| e.to_string())?
        }
    };
    let off = (told.as_second() - now.as_second()).abs();
    if off > CLOCK_TOLERANCE_S {
        return Err(format!("the answer is {told}, {off} s away from our clock"));
    }
    Ok(())
}

/// The bytes shown of a wrong answer: a server that floods noise must not
/// fill the terminal with 512 bytes of it.
const SHOWN: usize = 48;

/// An answer as the error messages show it: its length, then its start,
/// quoted when it is text (`4 bytes: "hi\r\n"`), in hexadecimal when it is
/// binary (`4 bytes: ec 47 79 a3`), which printed as text is only `�`s.
fn shown(answer: &[u8]) -> String {
    let unit = if answer.len() == 1 { "byte" } else { "bytes" };
    if answer.is_empty() {
        return "0 bytes".into();
    }
    let head = &answer[..answer.len().min(SHOWN)];
    let (start, shown_len) = if codec::text::is_readable_text(head) {
        (format!("{:?}", String::from_utf8_lossy(head)), head.len())
    } else {
        let hex: Vec<String> = head
            .iter()
            .take(SHOWN / 3)
            .map(|b| format!("{b:02x}"))
            .collect();
        (hex.join(" "), hex.len())
    };
    let more = if answer.len() > shown_len { "…" } else { "" };
    format!("{} {unit}: {start}{more}", answer.len())
}

/// Runs the benchmark against `addr`.
pub async fn run(addr: SocketAddr, params: &Params) -> Result<Report, NetError> {
    // Each worker holds one connection at a time.
    room_for(params.workers, "--workers")?;
    let done = Arc::new(AtomicU64::new(0));
    let _progress = Progress::start(
        "connect-rate",
        params.duration,
        done.clone(),
        "connections",
        params.quiet,
    );
    let start = Instant::now();
    let stop = start + params.duration;
    let mut tasks = Vec::new();
    for w in 0..params.workers {
        let (done, p) = (done.clone(), params.clone());
        tasks.push(async move {
            let mut latencies = Latencies::new();
            let mut count: u64 = 0;
            let mut answer = Vec::with_capacity(daytime::MAX_LINE);
            // At least one answer per worker, however short the duration:
            // a run that validated nothing would report a server it never
            // reached.
            while count < p.max_connections && (count == 0 || Instant::now() < stop) {
                let began = Instant::now();
                let mut stream = connect(addr, p.timeout).await?;
                answer.clear();
                let mut limited = (&mut stream).take(daytime::MAX_LINE as u64);
                let read = limited.read_to_end(&mut answer);
                let outcome = tokio::time::timeout(p.timeout, read).await;
                match outcome {
                    Ok(result) => {
                        result.map_err(|e| {
                            NetError::io(format!("reading answer {count} of worker {w}"), e)
                        })?;
                    }
                    // Both protocols end the answer by closing: bytes that
                    // came without the close are an answer never finished.
                    Err(_) if !answer.is_empty() => {
                        return Err(NetError::protocol(format!(
                            "worker {w}, connection {count}: the server sent {} but did not \
                             close the connection within {:.1} s (time and daytime servers \
                             close once they have answered)",
                            shown(&answer),
                            p.timeout.as_secs_f64()
                        )));
                    }
                    Err(_) => {
                        return Err(NetError::TimedOut {
                            what: format!("waiting for worker {w}'s answer {count}"),
                            after: p.timeout,
                        });
                    }
                }
                latencies.record(began.elapsed());
                if let Err(why) = validate(p.service, &answer, Timestamp::now()) {
                    return Err(NetError::protocol(format!(
                        "worker {w}, connection {count}: invalid answer ({}): {why}",
                        shown(&answer)
                    )));
                }
                count += 1;
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<Latencies, NetError>(latencies)
        });
    }
    // The first worker to fail ends the run, and the others with it.
    let mut all = Latencies::new();
    for latencies in all_or_first_error(tasks, "a worker").await? {
        all.merge(&latencies);
    }
    let seconds = start.elapsed().as_secs_f64();
    let total = all.count();
    let s = all.summary();
    let mut report = Report::new("connect-rate", addr);
    report
        .param(
            "service",
            match params.service {
                Service::Time => "time",
                Service::Daytime => "daytime",
            },
        )
        .param("workers", params.workers)
        .param("duration_s", params.duration.as_secs_f64())
        .metric("connections_per_s", total as f64 / seconds, "connections/s")
        .metric("connections", total as f64, "answers, all validated")
        .metric("p50_ms", s.p50_ms, "ms (connect to close)")
        .metric("p99_ms", s.p99_ms, "ms")
        .metric("max_ms", s.max_ms, "ms");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked() {
        let now: Timestamp = "2026-11-24T03:38:07Z".parse().unwrap();
        let four = rfc868::encode(now).unwrap();
        assert!(validate(Service::Time, &four, now).is_ok());
        assert!(validate(Service::Time, &four[..3], now).is_err());
        let later: Timestamp = "2026-11-24T04:38:07Z".parse().unwrap();
        assert!(validate(Service::Time, &four, later).is_err());
        let line = daytime::line(now);
        assert!(validate(Service::Daytime, line.as_bytes(), now).is_ok());
        assert!(validate(Service::Daytime, b"24 NOV 2026 03:38:07 UTC\r\n", now).is_ok());
        assert!(validate(Service::Daytime, b"hello\r\n", now).is_err());
        assert!(validate(Service::Daytime, &four, now).is_err());
    }

    #[test]
    fn wrong_answers_are_shown_short() {
        assert_eq!(shown(b"hi\r\n"), r#"4 bytes: "hi\r\n""#);
        assert_eq!(shown(b""), "0 bytes");
        assert_eq!(shown(&[0xec, 0x47, 0x79, 0xa3]), "4 bytes: ec 47 79 a3");
        let noise = shown(&[0xffu8; 512]);
        assert!(
            noise.starts_with("512 bytes: ff ff") && noise.ends_with('…'),
            "{noise}"
        );
        assert!(noise.chars().count() < 80, "{noise}");
        let long = shown(&[b'a'; 512]);
        assert!(long.ends_with("aaa\"…"), "{long}");
    }
}
