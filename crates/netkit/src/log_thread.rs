//! # A server's log, written by a thread of its own
//!
//! A server serves many clients at once, and logs what each one does. If
//! the task that logs had to wait for stderr, a stderr nobody reads (`server
//! 2>&1 | less` left on its first page, a terminal paused with Ctrl-S) would
//! stop that task, then every other one: one full pipe (64 KiB, a few
//! hundred lines) and the server answers nobody. So a line is handed to a
//! queue, and one thread does the writing:
//!
//! - the queue is bounded ([`WAITING_LINES`]): when it is full, a new line
//!   is left out and counted, and the server goes on;
//! - unless every line matters more than the server's pace (`--trace`:
//!   the bytes on the wire are what the person asked to see): then the
//!   task waits for room, as it always did;
//! - at the end (and before a second Ctrl-C's immediate exit) the program
//!   waits for the queue to be written, but only for a bounded time: lines
//!   still queued then are counted with those left out, and the program
//!   ends anyway. Its last words (that count, an error) go through the
//!   queue too, so they come after everything logged before them.
//!
//! (`tracing-appender` does the same, but it brings in a crate named `time`,
//! and then `cargo build -p time` no longer knows which `time` is ours.)

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Log lines a server keeps waiting while nothing reads its stderr, unless
/// its `--log-queue` says otherwise (a few hundred KiB; a few MiB with
/// `--trace`, whose lines are longer); past that, new lines are left out
/// and counted.
pub const WAITING_LINES: usize = 4096;

/// How long the end of the program waits for the queued lines to be
/// written: a reader that takes longer is not waited for.
const LAST_WRITES: Duration = Duration::from_secs(1);

/// The same with `--trace`, whose every line was asked for.
const LAST_WRITES_TRACED: Duration = Duration::from_secs(10);

/// How many lines were queued, written, and left out (queue full).
#[derive(Debug, Default)]
struct Counts {
    queued: AtomicUsize,
    written: AtomicUsize,
    left_out: AtomicUsize,
}

impl Counts {
    /// Waits until every queued line is written, at most `limit`; returns
    /// how many were left out or are still not written.
    fn wait_written(&self, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        while self.written.load(Ordering::Acquire) < self.queued.load(Ordering::Acquire)
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        // Written first: a line is counted as queued before it can be
        // written, so `queued` read after `written` is never the smaller
        // (tasks may still be logging: a second Ctrl-C drains a live server).
        let written = self.written.load(Ordering::Acquire);
        let unwritten = self.queued.load(Ordering::Acquire).saturating_sub(written);
        self.left_out.load(Ordering::Relaxed) + unwritten
    }
}

/// The running log thread's counts, for [`drain`].
static RUNNING: OnceLock<Arc<Counts>> = OnceLock::new();

/// Before an immediate exit (a second Ctrl-C): gives the log thread a
/// moment to write what is queued, so that the last lines are seen.
pub fn drain(limit: Duration) {
    if let Some(counts) = RUNNING.get() {
        counts.wait_written(limit);
    }
}

/// What the logging library writes each line to: the queue.
#[derive(Debug, Clone)]
pub struct ToLogThread {
    lines: SyncSender<Vec<u8>>,
    counts: Arc<Counts>,
    every_line: bool,
}

impl ToLogThread {
    /// Queues a line without ever waiting; `false` if there was no room.
    fn offer(&self, line: Vec<u8>) -> bool {
        // Counted first: the thread may write it before `try_send` returns.
        self.counts.queued.fetch_add(1, Ordering::AcqRel);
        match self.lines.try_send(line) {
            Ok(()) => true,
            Err(_) => {
                self.counts.queued.fetch_sub(1, Ordering::AcqRel);
                false
            }
        }
    }
}

impl Write for ToLogThread {
    /// One call per log line (the library formats a whole line first).
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        if self.every_line {
            self.counts.queued.fetch_add(1, Ordering::AcqRel);
            if self.lines.send(line.to_vec()).is_err() {
                // The thread is gone (the program is ending).
                self.counts.queued.fetch_sub(1, Ordering::AcqRel);
            }
        } else if !self.offer(line.to_vec()) {
            self.counts.left_out.fetch_add(1, Ordering::Relaxed);
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ToLogThread {
    type Writer = ToLogThread;

    fn make_writer(&'a self) -> ToLogThread {
        self.clone()
    }
}

/// The thread that writes the log.
#[derive(Debug)]
pub struct LogThread {
    writer: ToLogThread,
}

impl LogThread {
    /// Starts the thread; `None` if the system refuses a thread (then the
    /// caller writes its log itself).
    pub fn start(every_line: bool, waiting_lines: usize) -> Option<LogThread> {
        let (lines, queued) = sync_channel::<Vec<u8>>(waiting_lines.max(1));
        let counts = Arc::new(Counts::default());
        let written = counts.clone();
        std::thread::Builder::new()
            .name("log".into())
            .spawn(move || {
                let mut stderr = std::io::stderr();
                // Ends with the program (the queue is never closed).
                while let Ok(line) = queued.recv() {
                    // A log nobody can read any more (a closed pipe) is
                    // simply not written.
                    let _ = stderr.write_all(&line);
                    written.written.fetch_add(1, Ordering::AcqRel);
                }
            })
            .ok()?;
        let _ = RUNNING.set(counts.clone());
        Some(LogThread {
            writer: ToLogThread {
                lines,
                counts,
                every_line,
            },
        })
    }

    /// What the logging library is given to write to.
    pub fn writer(&self) -> ToLogThread {
        self.writer.clone()
    }

    /// At the end: waits, for a bounded time, until the queue is written;
    /// then queues `last` (the program's last words: `last(lost)` is given
    /// how many lines were left out or are still unwritten) and waits for
    /// them the same way. Never waits longer than twice the bound.
    pub fn finish(self, last: impl FnOnce(usize) -> Vec<String>) {
        let limit = if self.writer.every_line {
            LAST_WRITES_TRACED
        } else {
            LAST_WRITES
        };
        let lost = self.writer.counts.wait_written(limit);
        for line in last(lost) {
            self.writer.offer(format!("{line}\n").into_bytes());
        }
        self.writer.counts.wait_written(limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::Receiver;

    fn queue(every_line: bool, room: usize) -> (ToLogThread, Receiver<Vec<u8>>) {
        let (lines, queued) = sync_channel(room);
        let writer = ToLogThread {
            lines,
            counts: Arc::new(Counts::default()),
            every_line,
        };
        (writer, queued)
    }

    #[test]
    fn a_full_queue_leaves_lines_out_and_counts_them() {
        let (mut writer, queued) = queue(false, 2);
        for i in 0..5 {
            assert_eq!(writer.write(format!("line {i}\n").as_bytes()).unwrap(), 7);
        }
        assert_eq!(writer.counts.left_out.load(Ordering::Relaxed), 3);
        assert_eq!(writer.counts.queued.load(Ordering::Relaxed), 2);
        assert_eq!(queued.try_recv().unwrap(), b"line 0\n");
        assert_eq!(queued.try_recv().unwrap(), b"line 1\n");
        assert!(queued.try_recv().is_err(), "only what fitted was queued");
    }

    #[test]
    fn every_line_waits_for_room_instead() {
        let (mut writer, queued) = queue(true, 1);
        writer.write_all(b"first\n").unwrap();
        let reader = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let got: Vec<Vec<u8>> = (0..2).map(|_| queued.recv().unwrap()).collect();
            got
        });
        writer.write_all(b"second\n").unwrap(); // waits for the reader
        assert_eq!(
            reader.join().unwrap(),
            [b"first\n".to_vec(), b"second\n".to_vec()]
        );
        assert_eq!(writer.counts.left_out.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn lines_never_written_are_counted_after_a_bounded_wait() {
        // Nobody takes lines from this queue: like a stderr nobody reads.
        let (mut writer, _queued) = queue(false, 4);
        for _ in 0..6 {
            writer.write_all(b"x\n").unwrap();
        }
        let started = Instant::now();
        let lost = writer.counts.wait_written(Duration::from_millis(100));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(lost, 6, "2 left out, 4 queued and never written");
    }

    #[test]
    fn finish_waits_for_the_thread_to_write_what_is_queued() {
        let log = LogThread::start(false, WAITING_LINES).expect("a thread");
        let counts = log.writer.counts.clone();
        let mut writer = log.writer();
        writer.write_all(b"").unwrap();
        let mut told = None;
        log.finish(|lost| {
            told = Some(lost);
            Vec::new()
        });
        assert_eq!(told, Some(0));
        assert_eq!(
            counts.written.load(Ordering::Acquire),
            counts.queued.load(Ordering::Acquire)
        );
    }
}
