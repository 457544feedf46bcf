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
//!   task waits for room, as it always did.
//!
//! (`tracing-appender` does the same, but it brings in a crate named `time`,
//! and then `cargo build -p time` no longer knows which `time` is ours.)

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

/// Log lines a server keeps waiting while nothing reads its stderr (a few
/// hundred KiB); past that, new lines are left out and counted.
pub const WAITING_LINES: usize = 4096;

/// How long the end of the program waits for the queued lines to be written.
const LAST_WRITES: Duration = Duration::from_secs(1);

/// What the logging library writes each line to: the queue.
#[derive(Debug, Clone)]
pub struct ToLogThread {
    lines: SyncSender<Vec<u8>>,
    left_out: Arc<AtomicUsize>,
    every_line: bool,
}

impl Write for ToLogThread {
    /// One call per log line (the library formats a whole line first).
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        if line.is_empty() {
            return Ok(0); // an empty Vec is the thread's "stop" (see `finish`)
        }
        if self.every_line {
            // The thread only goes away with the program: this cannot fail.
            let _ = self.lines.send(line.to_vec());
        } else if let Err(TrySendError::Full(_)) = self.lines.try_send(line.to_vec()) {
            self.left_out.fetch_add(1, Ordering::Relaxed);
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

/// The thread that writes the log, and what it needs to finish.
#[derive(Debug)]
pub struct LogThread {
    writer: ToLogThread,
    done: Receiver<()>,
}

impl LogThread {
    /// Starts the thread; `None` if the system refuses a thread (then the
    /// caller writes its log itself).
    pub fn start(every_line: bool) -> Option<LogThread> {
        let (lines, queued) = sync_channel::<Vec<u8>>(WAITING_LINES);
        let (finished, done) = sync_channel(1);
        std::thread::Builder::new()
            .name("log".into())
            .spawn(move || {
                let mut stderr = std::io::stderr();
                // An empty line is `finish` asking to stop.
                while let Ok(line) = queued.recv() {
                    if line.is_empty() {
                        break;
                    }
                    // A log nobody can read any more (a closed pipe) is
                    // simply not written.
                    let _ = stderr.write_all(&line);
                }
                let _ = finished.send(());
            })
            .ok()?;
        Some(LogThread {
            writer: ToLogThread {
                lines,
                left_out: Arc::new(AtomicUsize::new(0)),
                every_line,
            },
            done,
        })
    }

    /// What the logging library is given to write to.
    pub fn writer(&self) -> ToLogThread {
        self.writer.clone()
    }

    /// At the end: lets the thread write what is queued (a second at most)
    /// and returns how many lines were left out. When lines were left out,
    /// the log's reader is known to be behind: the program does not wait
    /// for it, and what is still queued is left out too.
    pub fn finish(self) -> usize {
        let left_out = self.writer.left_out.load(Ordering::Relaxed);
        if left_out == 0 && self.writer.lines.try_send(Vec::new()).is_ok() {
            let _ = self.done.recv_timeout(LAST_WRITES);
        }
        left_out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(every_line: bool, room: usize) -> (ToLogThread, Receiver<Vec<u8>>) {
        let (lines, queued) = sync_channel(room);
        let writer = ToLogThread {
            lines,
            left_out: Arc::new(AtomicUsize::new(0)),
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
        assert_eq!(writer.left_out.load(Ordering::Relaxed), 3);
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
        assert_eq!(writer.left_out.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn finish_lets_the_thread_write_what_is_queued() {
        let log = LogThread::start(false).expect("a thread");
        let mut writer = log.writer();
        writer.write_all(b"").unwrap(); // not taken for "stop"
        assert_eq!(log.finish(), 0);
    }
}
