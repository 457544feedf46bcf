//! # play: run your exercise by hand, and look at it with nc, telnet, ss
//!
//! The tests say *whether* your code works; `play` lets you *see* it work.
//! Servers listen on 127.0.0.1, port 18000 + the exercise number (or the
//! port you give); clients connect to netlab's finished servers.
//!
//! ```text
//! cargo run -p exercises --bin play -- 1 22 3306 50000   # classify ports
//! cargo run -p exercises --bin play -- 2 [port]          # echo client → echo-server (10007)
//! cargo run -p exercises --bin play -- 3 [port]          # time client → time-server (10037)
//! cargo run -p exercises --bin play -- 4 [port]          # your time server on 18004: nc -d 127.0.0.1 18004 | xxd
//! cargo run -p exercises --bin play -- 5 [port]          # your echo server on 18005 (one client at a time)
//! cargo run -p exercises --bin play -- 6 [port]          # your uppercase server on 18006
//! cargo run -p exercises --bin play -- 7 [port]          # your echo server, a thread per client, 18007
//! cargo run -p exercises --bin play -- 8 [port]          # your counting server on 18008
//! cargo run -p exercises --bin play -- 9                 # type chat lines, see how they parse
//! cargo run -p exercises --bin play -- 10 [port]         # your chat server on 18010
//! cargo run -p exercises --bin play -- 11 [port]         # your chat client → chat-server (10194)
//! cargo run -p exercises --bin play -- 12 [port]         # your tokio server on 18012
//! ```

use exercises::*;
use std::io::{self, BufRead};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(number) = args.first().and_then(|n| n.parse::<u16>().ok()) else {
        eprintln!(
            "usage: cargo run -p exercises --bin play -- EXERCISE [PORT…]  (see the file's header)"
        );
        return ExitCode::from(2);
    };
    let ports: Vec<u16> = args[1..].iter().filter_map(|p| p.parse().ok()).collect();
    let port = |default: u16| ports.first().copied().unwrap_or(default);
    let result = match number {
        1 => {
            for &p in &ports {
                let name = ex01_ports::service_name(p).unwrap_or("-");
                println!("{p:>5}: {:?}, service: {name}", ex01_ports::classify(p));
            }
            Ok(())
        }
        2 => connect(port(10007)).and_then(|stream| {
            let reply = ex02_echo_client::echo_once(stream, "hello, echo\n")?;
            print!("my port: {}, reply: {}", reply.local_port, reply.reply);
            Ok(())
        }),
        3 => connect(port(10037)).and_then(|stream| {
            let unix = ex03_time_client::read_time(stream)?;
            println!("{unix} s since 1970 (check: date -d @{unix})");
            Ok(())
        }),
        4 => listen(port(18004)).and_then(ex04_time_server::serve),
        5 => listen(port(18005)).and_then(|listener| {
            // Your handler, one client after the other.
            for stream in listener.incoming() {
                let echoed = ex05_echo_handler::handle(stream?)?;
                println!("client left, {echoed} bytes echoed");
            }
            Ok(())
        }),
        6 => listen(port(18006)).and_then(|listener| {
            for stream in listener.incoming() {
                let lines = ex06_uppercase::handle(stream?)?;
                println!("client left, {lines} lines answered");
            }
            Ok(())
        }),
        7 => listen(port(18007)).and_then(|listener| {
            ex07_threads::serve(listener, |s| ex05_echo_handler::handle(s).map(drop))
        }),
        8 => listen(port(18008)).and_then(|l| ex08_counter::serve(l, Arc::default())),
        9 => {
            println!("type chat lines (NICK alice, MSG hello, …); Ctrl-D to stop");
            for line in io::stdin().lock().lines().map_while(Result::ok) {
                println!("{:?}", ex09_chat_parse::parse(&line));
            }
            Ok(())
        }
        10 => listen(port(18010)).and_then(ex10_chat_server::serve),
        11 => connect(port(10194)).and_then(|stream| {
            ex11_chat_client::run(stream, io::BufReader::new(io::stdin()), io::stdout())
        }),
        12 => listen(port(18012)).and_then(|listener| {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                listener.set_nonblocking(true)?;
                ex12_tokio::serve(tokio::net::TcpListener::from_std(listener)?).await
            })
        }),
        _ => {
            eprintln!("there are exercises 1 to 12");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Listens on 127.0.0.1:`port` and says so.
fn listen(port: u16) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen on 127.0.0.1:{port}: {e} (another program there? ss -tlnp | grep {port})"),
        )
    })?;
    println!(
        "listening on {} — try: nc 127.0.0.1 {port}",
        listener.local_addr()?
    );
    Ok(listener)
}

/// Connects to 127.0.0.1:`port` and says so.
fn connect(port: u16) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot connect to 127.0.0.1:{port}: {e} (is the server running?)"),
        )
    })?;
    println!(
        "connected: me {} → server {}",
        stream.local_addr()?,
        stream.peer_addr()?
    );
    Ok(stream)
}
