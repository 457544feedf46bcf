//! rdate against the in-process server with a *fixed* clock: the only way to
//! check, today, what our server will send in 2036 and 2106 — and that rdate,
//! a client nobody here wrote, reads each of those answers as we meant it.
//!
//! rdate always runs with `-p` (print only: it must never set the clock) and
//! under `timeout 5` (it has no read time-out). Skipped with a message when
//! rdate is missing, except in CI (the `CI` variable is set), where it fails.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use codec::time::daytime;
use jiff::Timestamp;
use time::Protocol;
use time::clock::FixedClock;
use time::server::{Config, Service, serve};
use tokio_util::sync::CancellationToken;

fn rdate_path() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("rdate"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "rdate is not installed, but CI must have it (see .ci/run)"
        );
        eprintln!("SKIPPED: rdate is not installed (apt-get install rdate)");
    }
    found
}

/// What rdate prints for our server answering at `instant`, over TCP or UDP.
async fn rdate_reads(rdate: &PathBuf, instant: Timestamp, udp: bool) -> Timestamp {
    let service = Service::bind(Protocol::Time, "127.0.0.1", 0).await.unwrap();
    let port = service.local_addr().unwrap().port().to_string();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve(
        vec![service],
        Config::default(),
        Arc::new(FixedClock(instant)),
        shutdown.clone(),
    ));
    let mut command = Command::new("timeout");
    command.env("TZ", "UTC").arg("5").arg(rdate).arg("-p");
    if udp {
        command.arg("-u");
    }
    command.args(["-o", &port, "127.0.0.1"]);
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("run rdate");
    shutdown.cancel();
    server.await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "rdate failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().last().unwrap_or_default();
    let date = line.rsplit('\t').next().unwrap_or(line);
    daytime::parse(date).unwrap_or_else(|e| panic!("cannot read rdate's {line:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn rdate_reads_our_answers_at_the_edges_of_the_window() {
    let Some(rdate) = rdate_path() else { return };
    for edge in [
        "1970-01-01T00:00:00Z",
        "2036-02-07T06:28:15Z",
        "2036-02-07T06:28:16Z",
        "2106-02-07T06:28:15Z",
    ] {
        let instant: Timestamp = edge.parse().unwrap();
        for udp in [false, true] {
            assert_eq!(
                rdate_reads(&rdate, instant, udp).await,
                instant,
                "udp: {udp}"
            );
        }
    }
}
