//! Exercise 8: shared counters, checked from the server's own `Stats`.

mod common;

use common::{connect, eventually, read_line, reset, spawn_server, within_long};
use exercises::ex08_counter::{Stats, serve};
use std::io::BufReader;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn start() -> (SocketAddr, Arc<Stats>) {
    let stats = Arc::new(Stats::default());
    let shared = Arc::clone(&stats);
    (spawn_server(move |listener| serve(listener, shared)), stats)
}

/// Asserts that the `joined` clients, all still connected, are counted.
fn assert_stays_counted(stats: &Stats, joined: usize) {
    assert!(
        stats.total.load(Ordering::SeqCst) > 0,
        "{joined} clients joined but stats.total is still 0: count in the Stats \
         that serve() was given (stats.total, stats.connected), not in counters of \
         your own"
    );
    assert_eq!(
        stats.connected.load(Ordering::SeqCst),
        joined,
        "{joined} clients joined and none left: does each thread wait for its \
         client to leave (read until Ok(0)) before its stats.leave()?"
    );
}

/// Connects and returns the stream with the welcome line it received.
fn join(addr: SocketAddr) -> (TcpStream, String) {
    let stream = connect(addr);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let line = read_line(&mut reader, "the welcome line");
    (stream, line)
}

#[test]
fn clients_are_numbered_in_order() {
    let (addr, _) = start();
    let (_a, first) = join(addr);
    assert_eq!(
        first, "welcome, you are client #1 (1 connected)\n",
        "the first client is #1: fetch_add returns the value before the addition"
    );
    let (_b, second) = join(addr);
    let still_here = "#N counts every client that came, (M connected) those still here: \
                      none has left (does each thread wait for its client to leave, \
                      reading until Ok(0), before its stats.leave()?)";
    assert_eq!(
        second, "welcome, you are client #2 (2 connected)\n",
        "{still_here}"
    );
    let (_c, third) = join(addr);
    assert_eq!(
        third, "welcome, you are client #3 (3 connected)\n",
        "{still_here}"
    );
}

#[test]
fn leaving_clients_are_no_longer_counted() {
    let (addr, stats) = start();
    let (a, _) = join(addr);
    let (_b, _) = join(addr);
    let (c, _) = join(addr);
    assert_stays_counted(&stats, 3);
    drop(a);
    drop(c);
    eventually(
        "connected back to 1 after two clients left (does the client's read loop \
         end when read returns Ok(0), the end of the stream?)",
        || stats.connected.load(Ordering::SeqCst) == 1,
    );
    assert_eq!(
        stats.total.load(Ordering::SeqCst),
        3,
        "the total never goes down"
    );
    let (_d, line) = join(addr);
    assert_eq!(line, "welcome, you are client #4 (2 connected)\n");
}

#[test]
fn a_client_whose_connection_fails_is_no_longer_counted() {
    let (addr, stats) = start();
    let (_a, _) = join(addr);
    let (b, _) = join(addr);
    assert_stays_counted(&stats, 2);
    // b resets its connection (RST): the server's read fails with an error
    // instead of returning Ok(0).
    reset(b);
    eventually(
        "connected back to 1 after a client's connection failed \
         (is stats.leave() skipped when read returns an error?)",
        || stats.connected.load(Ordering::SeqCst) == 1,
    );
    let (_c, line) = join(addr);
    assert_eq!(line, "welcome, you are client #3 (2 connected)\n");
}

#[test]
fn what_clients_send_is_ignored_and_they_stay_counted() {
    let (addr, stats) = start();
    let (mut a, _) = join(addr);
    std::io::Write::write_all(&mut a, b"some chatter\nmore\n").unwrap();
    // A thread that stops at the first text read would leave() and close
    // the connection at once: give it the time to show.
    common::assert_silent(
        &a,
        std::time::Duration::from_millis(500),
        "a client that sent some text and did not leave must stay connected \
         (read what it sends and ignore it, until read returns Ok(0), the end of \
         the stream; one read, or one line, is not the end)",
    );
    let (_b, line) = join(addr);
    assert_eq!(
        line, "welcome, you are client #2 (2 connected)\n",
        "a client that sends text is still connected: read it, ignore it, and \
         wait for Ok(0)"
    );
    assert_stays_counted(&stats, 2);
}

#[test]
fn clients_arriving_together_all_get_different_numbers() {
    let (addr, stats) = start();
    let handles: Vec<_> = (0..16)
        .map(|_| std::thread::spawn(move || join(addr)))
        .collect();
    let joined: Vec<(TcpStream, String)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut numbers: Vec<usize> = joined
        .iter()
        .map(|(_, line)| {
            let n = line
                .split('#')
                .nth(1)
                .and_then(|rest| rest.split(' ').next());
            n.and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("bad welcome line {line:?}"))
        })
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        (1..=16).collect::<Vec<_>>(),
        "each client its own number"
    );
    assert_eq!(stats.total.load(Ordering::SeqCst), 16);
    drop(joined);
    eventually(
        "everyone gone, connected back to 0 (does each client's read loop end on Ok(0)?)",
        || stats.connected.load(Ordering::SeqCst) == 0,
    );
}

#[test]
fn a_client_gone_before_its_welcome_stops_neither_the_server_nor_the_count() {
    // These clients connect and reset (RST) *before* serve() starts: the
    // welcome written to each fails for sure. That is one client's problem:
    // the server must go on (a `?` on that write in the accept loop stops it).
    let (listener, addr) = common::listener();
    for _ in 0..3 {
        reset(connect(addr));
    }
    let stats = Arc::new(Stats::default());
    let shared = Arc::clone(&stats);
    let server = std::thread::spawn(move || serve(listener, shared));
    std::thread::sleep(std::time::Duration::from_millis(200));
    if server.is_finished() {
        match server.join() {
            Ok(result) => panic!(
                "serve() returned {result:?} after a client reset its connection before \
                 its welcome: one client's error must not stop the server"
            ),
            Err(_) => panic!("serve() panicked on a client that reset its connection"),
        }
    }
    let (_alive, welcome) = join(addr);
    assert!(welcome.starts_with("welcome"), "{welcome:?}");
    // The reset clients were accepted before this one (the queue is first
    // in, first out): once their threads are done, only this one is counted.
    eventually(
        "connected back to 1 once the clients whose welcome failed are gone (does \
         an unwrap() or a ? on the welcome's write skip stats.leave()? a panic ends \
         the thread before it too)",
        || stats.connected.load(Ordering::SeqCst) == 1,
    );
}

/// Threads calling `arrive` (or `leave`) at the same time.
const THREADS: usize = 4;
/// How long they keep calling. A load() then a store() loses changes only
/// while two threads really run at the same instant, on two processor
/// cores; on a busy machine the system may run them one after the other
/// for a while (a few hundred thousand calls take a few milliseconds), so
/// they call for a time, not a count: for so long, they do meet, and then
/// changes are lost by the thousand. (A right solution is right whatever
/// the time.)
const RUN_FOR: Duration = Duration::from_millis(300);
/// At most this many calls to `arrive` per thread, however fast the
/// machine (each number handed out is tallied, in a byte).
const MAX_CALLS: usize = 1_000_000;
/// The same for `leave`, quicker, and with nothing to tally.
const MAX_LEAVES: usize = 50_000_000;

/// Runs `call` on `THREADS` threads started together, again and again for
/// [`RUN_FOR`] (at most `max_calls` times each); returns how many calls
/// were made in all.
fn from_many_threads(
    what: &str,
    max_calls: usize,
    call: impl Fn() + Send + Sync + 'static,
) -> usize {
    let what = what.to_string();
    within_long(&what.clone(), move || {
        let call = Arc::new(call);
        let start = Arc::new(Barrier::new(THREADS));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let (call, start) = (Arc::clone(&call), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    let began = Instant::now();
                    let mut calls = 0;
                    while calls < max_calls && began.elapsed() < RUN_FOR {
                        for _ in 0..1_000 {
                            call();
                        }
                        calls += 1_000;
                    }
                    calls
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|_| panic!("{what} panicked")))
            .sum()
    })
}

/// How many calls got each value, for values 1 to `THREADS * MAX_CALLS`
/// (slot 0 counts the values out of that range).
struct Tally(Vec<AtomicU8>);

impl Tally {
    fn new() -> Tally {
        Tally(
            (0..=THREADS * MAX_CALLS)
                .map(|_| AtomicU8::new(0))
                .collect(),
        )
    }

    fn count(&self, value: usize) {
        let slot = if value <= THREADS * MAX_CALLS {
            value
        } else {
            0
        };
        // At most THREADS calls can share a value: no overflow.
        self.0[slot].fetch_add(1, Ordering::Relaxed);
    }

    /// The first value handed out more than once.
    fn twice(&self) -> Option<usize> {
        (1..self.0.len()).find(|&v| self.0[v].load(Ordering::Relaxed) > 1)
    }

    /// Whether 1 to `calls` were each handed out exactly once.
    fn each_once(&self, calls: usize) -> bool {
        self.0[0].load(Ordering::Relaxed) == 0
            && self.0[1..=calls]
                .iter()
                .all(|c| c.load(Ordering::Relaxed) == 1)
    }
}

#[test]
fn arrive_from_many_threads_at_once_loses_no_client() {
    let stats = Arc::new(Stats::default());
    let (numbers, connected) = (Arc::new(Tally::new()), Arc::new(Tally::new()));
    let (shared, n, m) = (
        Arc::clone(&stats),
        Arc::clone(&numbers),
        Arc::clone(&connected),
    );
    let calls = from_many_threads("threads calling stats.arrive()", MAX_CALLS, move || {
        let (number, now) = shared.arrive();
        n.count(number);
        m.count(now);
    });
    let lost = "a load() then a store() loses the changes other threads make in \
                between (they run at the same time); fetch_add reads and adds in \
                one step";
    assert_eq!(
        stats.total.load(Ordering::SeqCst),
        calls,
        "{THREADS} threads called arrive() {calls} times in all, at the same time: \
         total must be {calls}: {lost}"
    );
    assert_eq!(
        stats.connected.load(Ordering::SeqCst),
        calls,
        "{THREADS} threads called arrive() {calls} times in all, at the same time, \
         and nobody left: connected must be {calls}: {lost}"
    );
    if let Some(n) = numbers.twice() {
        panic!(
            "two clients arriving at the same time both got number #{n}: the number \
             is what fetch_add returned, plus 1 (a load() after the fetch_add may \
             already see another client's addition)"
        );
    }
    assert!(
        numbers.each_once(calls),
        "the numbers handed out are 1 to {calls}, each once (the first client is #1: \
         fetch_add returns the value before the addition)"
    );
    if let Some(m) = connected.twice() {
        panic!(
            "two clients arriving at the same time (nobody leaving) were both told \
             ({m} connected): M is what connected.fetch_add returned, plus 1, not a \
             load() afterwards"
        );
    }
}

#[test]
fn leave_from_many_threads_at_once_loses_no_departure() {
    let stats = Arc::new(Stats::default());
    // As many connected as the most calls leave() can get.
    stats
        .connected
        .store(THREADS * MAX_LEAVES, Ordering::SeqCst);
    let shared = Arc::clone(&stats);
    let calls = from_many_threads("threads calling stats.leave()", MAX_LEAVES, move || {
        shared.leave()
    });
    assert_eq!(
        stats.connected.load(Ordering::SeqCst),
        THREADS * MAX_LEAVES - calls,
        "{} clients connected, then {THREADS} threads called leave() {calls} times \
         in all, at the same time: connected must have gone down by {calls}: a \
         load() then a store() loses the changes other threads make in between; \
         fetch_sub reads and subtracts in one step",
        THREADS * MAX_LEAVES
    );
}

#[test]
fn counts_stay_right_while_other_threads_change_them() {
    // Other threads change the same counters at the same time: here the test
    // itself adds 1 and takes it back, as fast as it can, as the threads of
    // clients coming and going would. fetch_add and fetch_sub never lose a
    // change; a load() then a store() loses those made in between, and the
    // counts drift. (Here, through serve(), such a race is rare: the tests of
    // arrive() and leave() above are the ones that catch it for sure.)
    let (addr, stats) = start();
    let stop = Arc::new(AtomicBool::new(false));
    // Stops the busy threads even when a join() below fails the test.
    let _stop_on_failure = StopOnDrop(Arc::clone(&stop));
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let (stats, stop) = (Arc::clone(&stats), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    for counter in [&stats.total, &stats.connected] {
                        counter.fetch_add(1, Ordering::SeqCst);
                        counter.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    const CLIENTS: usize = 200;
    for _ in 0..CLIENTS {
        drop(join(addr));
    }
    stop.store(true, Ordering::SeqCst);
    for thread in busy {
        thread.join().unwrap();
    }
    let drifted = "changed by other threads at the same time, the counts drifted: \
                   load() then store() loses the changes made in between; \
                   fetch_add / fetch_sub do both at once";
    assert_eq!(
        stats.total.load(Ordering::SeqCst),
        CLIENTS,
        "{CLIENTS} clients came: {drifted}"
    );
    eventually(
        &format!("connected back to 0 once the {CLIENTS} clients left: {drifted}"),
        || stats.connected.load(Ordering::SeqCst) == 0,
    );
}

/// Sets its flag when dropped, so a test that fails halfway still stops the
/// threads that wait for that flag.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}
