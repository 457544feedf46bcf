//! # play: run your exercise by hand, and look at it with nc, telnet, ss
//!
//! The tests say *whether* your code works; `play` lets you *see* it work.
//! Servers listen on 127.0.0.1, port 18000 + the exercise number (or the
//! port you give); clients connect to netlab's finished servers. With
//! `--host`, a server listens on that address (`--host 0.0.0.0`: your
//! neighbours can connect) and a client connects to that machine.
//!
//! ```text
//! cargo run -p exercises --bin play -- 1 22 3306 50000   # classify ports
//! cargo run -p exercises --bin play -- 2 [port]          # echo client → echo-server (10007)
//! cargo run -p exercises --bin play -- 3 [port]          # time client → time-server (10037)
//! cargo run -p exercises --bin play -- 4 [port]          # your time server on 18004: nc -d 127.0.0.1 18004 | xxd
//! cargo run -p exercises --bin play -- 5 [port]          # your echo server on 18005 (one client at a time): nc -N
//! cargo run -p exercises --bin play -- 6 [port]          # your uppercase server on 18006
//! cargo run -p exercises --bin play -- 7 [port]          # your echo server, a thread per client, 18007
//! cargo run -p exercises --bin play -- 8 [port]          # your counting server on 18008
//! cargo run -p exercises --bin play -- 9                 # type chat lines, see how they parse
//! cargo run -p exercises --bin play -- 10 [port]         # your chat server on 18010
//! cargo run -p exercises --bin play -- 11 [port]         # your chat client → chat-server (10194)
//! cargo run -p exercises --bin play -- 12 [port]         # your tokio server on 18012
//! ```

use exercises::*;
use std::fmt::Display;
use std::io::{self, BufRead, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;

#[macro_use]
mod output;

const USAGE: &str = "\
usage: cargo run -p exercises --bin play -- [--host HOST] EXERCISE [PORT…]

   1 PORT…   classify ports (e.g. 1 22 3306 50000)
   2 [PORT]  your echo client → echo-server (10007)
   3 [PORT]  your time client → time-server (10037)
   4 [PORT]  your time server on 18004: nc -d 127.0.0.1 18004 | xxd
   5 [PORT]  your echo server on 18005 (one client at a time): nc -N 127.0.0.1 18005
   6 [PORT]  your uppercase server on 18006
   7 [PORT]  your echo server, a thread per client, on 18007
   8 [PORT]  your counting server on 18008
   9         type chat lines, see how they parse
  10 [PORT]  your chat server on 18010
  11 [PORT]  your chat client → chat-server (10194)
  12 [PORT]  your tokio server on 18012

--host HOST  servers listen on HOST (0.0.0.0: every network card, so your
             neighbours can connect; 127.0.0.1 by default); clients connect
             to HOST (a neighbour's IP address)";

/// Whether the arguments ask for the usage: `--help` (or `-h`) first, where
/// the exercise's number goes.
fn asks_for_help(args: &[String]) -> bool {
    matches!(args.first().map(String::as_str), Some("-h" | "--help"))
}

fn main() -> ExitCode {
    explain_todo_panics();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if asks_for_help(&args) {
        // Asked for, so not an error: stdout and status 0. Not println!:
        // it panics when the reader has gone (`| head -3`).
        let _ = writeln!(io::stdout(), "{USAGE}");
        return ExitCode::SUCCESS;
    }
    let (host, args) = match take_host(args) {
        Ok(found) => found,
        Err(message) => {
            warn!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let Some(number) = args.first().and_then(|n| n.parse::<u16>().ok()) else {
        // A mistake: the usage goes with it, on stderr, and status 2.
        let _ = writeln!(io::stderr(), "{USAGE}");
        return ExitCode::from(2);
    };
    let ports = match parse_ports(&args[1..]) {
        Ok(ports) => ports,
        Err(message) => {
            warn!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let port = |default: u16| ports.first().copied().unwrap_or(default);
    let result = match number {
        1 => {
            if ports.is_empty() {
                // Nothing to classify: a command typed incompletely, so a
                // usage mistake (status 2), as for every netlab program.
                warn!(
                    "error: give the ports to classify: cargo run -p exercises --bin play -- 1 22 3306 50000"
                );
                return ExitCode::from(2);
            }
            for &p in &ports {
                let name = ex01_ports::service_name(p).unwrap_or("-");
                say!("{p:>5}: {:?}, service: {name}", ex01_ports::classify(p));
            }
            Ok(())
        }
        2 => {
            connect(&host, port(10007), 10007, "echo-server", "03_tokio_tasks").and_then(|stream| {
                let reply = ex02_echo_client::echo_once(stream, "hello, echo\n")?;
                print!("my port: {}, reply: {}", reply.local_port, reply.reply);
                Ok(())
            })
        }
        3 => connect(&host, port(10037), 10037, "time-server", "05_time_by_hand").and_then(
            |stream| {
                let unix = ex03_time_client::read_time(stream)?;
                say!("{unix} s since 1970 (check: date -d @{unix})");
                Ok(())
            },
        ),
        4 => {
            let port = port(18004);
            listen_and_suggest(
                &host,
                port,
                &format!("nc -d {} {port} | xxd", reachable(&host)),
            )
            .and_then(ex04_time_server::serve)
        }
        // Your handler, one client after the other. `nc -N`, as the sheet
        // says: it closes the connection at Ctrl-D, so the handler's `read`
        // gives Ok(0) and the "left" line shows. Debian's plain `nc` sends
        // nothing at Ctrl-D: the client would stay, and the next one wait.
        5 => {
            let port = port(18005);
            listen_and_suggest(&host, port, &format!("nc -N {} {port}", reachable(&host)))
                .and_then(|l| one_at_a_time(l, ex05_echo_handler::handle, "bytes echoed"))
        }
        6 => listen(&host, port(18006))
            .and_then(|l| one_at_a_time(l, ex06_uppercase::handle, "lines answered")),
        7 => listen(&host, port(18007)).and_then(|listener| {
            ex07_threads::serve(listener, |s| ex05_echo_handler::handle(s).map(drop))
        }),
        8 => listen(&host, port(18008)).and_then(|l| ex08_counter::serve(l, Arc::default())),
        9 => {
            say!("type chat lines (NICK alice, MSG hello, …); Ctrl-D to stop");
            for line in io::stdin().lock().lines().map_while(Result::ok) {
                say!("{:?}", ex09_chat_parse::parse(&line));
            }
            Ok(())
        }
        10 => listen(&host, port(18010)).and_then(ex10_chat_server::serve),
        11 => connect(
            &host,
            port(10194),
            10194,
            "chat-server",
            "07_broadcast_chat",
        )
        .and_then(|stream| {
            ex11_chat_client::run(stream, io::BufReader::new(io::stdin()), io::stdout())
        }),
        12 => listen(&host, port(18012)).and_then(|listener| {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                listener.set_nonblocking(true)?;
                ex12_tokio::serve(tokio::net::TcpListener::from_std(listener)?).await
            })
        }),
        _ => {
            warn!("there are exercises 1 to 12");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            warn!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--host HOST`, wherever it is among the arguments (127.0.0.1 without
/// it), and the other arguments.
fn take_host(mut args: Vec<String>) -> Result<(String, Vec<String>), String> {
    let Some(at) = args.iter().position(|a| a == "--host") else {
        return Ok(("127.0.0.1".to_string(), args));
    };
    if at + 1 >= args.len() {
        return Err("--host needs an address, e.g. --host 0.0.0.0".into());
    }
    let host = args.remove(at + 1);
    args.remove(at);
    Ok((host, args))
}

/// The address to suggest for trying a server on `host` from this
/// machine: 0.0.0.0 (every card) is reached at 127.0.0.1.
fn reachable(host: &str) -> &str {
    match host {
        "0.0.0.0" => "127.0.0.1",
        "::" => "::1",
        other => other,
    }
}

/// Listens on `host`:`port` and says so, with a command to try it.
fn listen(host: &str, port: u16) -> io::Result<TcpListener> {
    listen_and_suggest(host, port, &format!("nc {} {port}", reachable(host)))
}

/// [`listen`], suggesting `try_it` (exercise 4's server speaks binary:
/// plain `nc` would show garbage, and wait after the close; exercise 5's
/// must see the client close).
fn listen_and_suggest(host: &str, port: u16, try_it: &str) -> io::Result<TcpListener> {
    let listener = TcpListener::bind((host, port)).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen on {host}:{port}: {e} (another program there? ss -tlnp | grep {port})"),
        )
    })?;
    say!("listening on {} — try: {try_it}", listener.local_addr()?);
    Ok(listener)
}

/// Serves the clients of `listener` one after the other with `handle`. One
/// client's error (a reset, bytes that are not UTF-8…) is printed and the
/// next client is served: a server never stops for one client (exercises 4
/// and 7 say the same).
fn one_at_a_time<T: Display>(
    listener: TcpListener,
    handle: impl Fn(TcpStream) -> io::Result<T>,
    what: &str,
) -> io::Result<()> {
    loop {
        match listener.accept() {
            Ok((stream, peer)) => match handle(stream) {
                Ok(n) => say!("{peer} left, {n} {what}"),
                Err(e) => warn!("{peer} failed: {e} (on to the next client)"),
            },
            Err(e) => warn!("accept failed: {e} (on to the next client)"),
        }
    }
}

/// The ports given after the exercise number; a word that is not a port is
/// an error (silently using the default would hide the typo).
fn parse_ports(args: &[String]) -> Result<Vec<u16>, String> {
    args.iter()
        .map(|p| {
            p.parse()
                .map_err(|_| format!("{p:?} is not a port: give a number from 0 to 65535"))
        })
        .collect()
}

/// Connects to `host`:`port` and says so. If nobody answers, the error
/// names the server to start: netlab's `server` (it listens on `default`), or
/// `example`, which listens on the port it is given.
fn connect(
    host: &str,
    port: u16,
    default: u16,
    server: &str,
    example: &str,
) -> io::Result<TcpStream> {
    let stream = TcpStream::connect((host, port)).map_err(|e| {
        let start = if port == default {
            format!("cargo run --bin {server}")
        } else {
            format!(
                "cargo run --bin {server} -- --port {port} \
                 (or the example: cargo run --example {example} -- {port})"
            )
        };
        io::Error::new(
            e.kind(),
            format!(
                "cannot connect to {host}:{port}: {e}. \
                 Is the server started? In another terminal: {start}"
            ),
        )
    })?;
    say!(
        "connected: me {} → server {}",
        stream.local_addr()?,
        stream.peer_addr()?
    );
    Ok(stream)
}

/// Replaces the raw panic message of a `todo!()` left in a stub by what to
/// do about it; any other panic is shown as usual.
fn explain_todo_panics() {
    let usual = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        match info.location() {
            Some(at) if message.starts_with("not yet implemented") => {
                warn!("{}", not_written_yet(at.file(), at.line()));
                // A runtime error like any other (exit status 1), not a
                // crash (101): nothing can run until the stub is written.
                std::process::exit(1);
            }
            _ => usual(info),
        }
    }));
}

/// What to say when the `todo!()` at `file`:`line` runs.
fn not_written_yet(file: &str, line: u32) -> String {
    // "exercises/src/ex05_echo_handler.rs" → exercise 5.
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let number = name
        .strip_prefix("ex")
        .and_then(|rest| rest.get(..2))
        .and_then(|n| n.parse::<u8>().ok());
    let what = match number {
        Some(n) => format!("exercise {n} is not written yet"),
        None => "this code is not written yet".to_string(),
    };
    format!(
        "{what}: replace the todo!() in {file} (line {line}) with your code \
         (cargo run -p exercises --bin guide says what it must do)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn one_failing_client_does_not_stop_the_server() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // The first client makes the handler fail; the next ones are echoed.
        static CLIENTS: AtomicUsize = AtomicUsize::new(0);
        std::thread::spawn(move || {
            one_at_a_time(
                listener,
                |mut stream| {
                    if CLIENTS.fetch_add(1, Ordering::SeqCst) == 0 {
                        return Err(io::Error::other("this client failed"));
                    }
                    let mut byte = [0];
                    stream.read_exact(&mut byte)?;
                    stream.write_all(&byte)?;
                    Ok(1)
                },
                "bytes echoed",
            )
        });
        drop(TcpStream::connect(addr).unwrap());
        let mut second = TcpStream::connect(addr).unwrap();
        second
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        second.write_all(b"x").unwrap();
        let mut byte = [0];
        second
            .read_exact(&mut byte)
            .expect("the client after a failed one is served");
        assert_eq!(&byte, b"x");
    }

    #[test]
    fn help_is_asked_for_in_the_exercise_s_place() {
        let args = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert!(asks_for_help(&args(&["--help"])));
        assert!(asks_for_help(&args(&["-h"])));
        assert!(!asks_for_help(&args(&["1", "--help"])));
        assert!(!asks_for_help(&args(&[])));
        // The usage lists every exercise.
        for n in 1..=12 {
            assert!(USAGE.contains(&format!("\n{n:>4} ")), "exercise {n}");
        }
    }

    #[test]
    fn host_is_taken_wherever_it_is() {
        let args = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(
            take_host(args(&["10", "18100"])),
            Ok(("127.0.0.1".into(), args(&["10", "18100"])))
        );
        assert_eq!(
            take_host(args(&["--host", "0.0.0.0", "10"])),
            Ok(("0.0.0.0".into(), args(&["10"])))
        );
        assert_eq!(
            take_host(args(&["11", "--host", "192.168.1.20"])),
            Ok(("192.168.1.20".into(), args(&["11"])))
        );
        assert!(take_host(args(&["10", "--host"])).is_err());
        assert_eq!(reachable("0.0.0.0"), "127.0.0.1");
    }

    #[test]
    fn a_word_that_is_not_a_port_is_refused() {
        let args = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_ports(&args(&["22", "65535"])), Ok(vec![22, 65535]));
        let error = parse_ports(&args(&["22", "http", "8080"])).unwrap_err();
        assert!(error.contains("\"http\" is not a port"), "{error}");
        assert!(parse_ports(&args(&["65536"])).is_err());
    }

    #[test]
    fn a_todo_names_the_exercise_and_its_file() {
        assert_eq!(
            not_written_yet("exercises/src/ex05_echo_handler.rs", 26),
            "exercise 5 is not written yet: replace the todo!() in \
             exercises/src/ex05_echo_handler.rs (line 26) with your code \
             (cargo run -p exercises --bin guide says what it must do)"
        );
        assert!(not_written_yet("src/ex12_tokio.rs", 34).starts_with("exercise 12 is"));
    }
}
