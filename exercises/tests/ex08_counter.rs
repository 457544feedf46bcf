//! Exercise 8: shared counters, checked from the server's own `Stats`.

mod common;

use common::{connect, eventually, read_line, reset, spawn_server};
use exercises::ex08_counter::{Stats, serve};
use std::io::BufReader;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
         client to leave (read until Ok(0)) before its fetch_sub?"
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
                      reading until Ok(0), before its fetch_sub?)";
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
         (is the fetch_sub skipped when read returns an error?)",
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
         an unwrap() or a ? on the welcome's write skip the fetch_sub? a panic ends \
         the thread before it too)",
        || stats.connected.load(Ordering::SeqCst) == 1,
    );
}

#[test]
fn counts_stay_right_while_other_threads_change_them() {
    // Other threads change the same counters at the same time: here the test
    // itself adds 1 and takes it back, as fast as it can, as the threads of
    // clients coming and going would. fetch_add and fetch_sub never lose a
    // change; a load() then a store() loses those made in between, and the
    // counts drift. (Such a race is rare: this makes it frequent, not certain.)
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
