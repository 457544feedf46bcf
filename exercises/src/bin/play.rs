//! # play: run your exercise by hand, and look at it with nc, telnet, ss
//!
//! The tests say *whether* your code works; `play` lets you *see* it work.
//! Servers listen on 127.0.0.1, port 18000 + the exercise number (or the
//! port you give); clients connect to netlab's finished servers. With
//! `--host`, a server listens on that address (`--host 0.0.0.0`: your
//! neighbours can connect) and a client connects to that machine.
//!
//! It speaks French, like the course, and English with `--lang en`
//! anywhere on the command line: the language is the guide's
//! ([`lang::Lang`], shared, so both programs read `--lang` the same way).
//! What the student's own code prints, and the system's error messages
//! (`Connection refused`), stay as they are.
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
//! cargo run -p exercises --bin play -- --lang en 6       # in English
//! ```

use exercises::*;
use lang::{Lang, say, warn};
use std::fmt::Display;
use std::io::{self, BufRead};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;

/// The usage, French then English (`--lang en`).
const USAGE: [&str; 2] = [
    "\
utilisation : cargo run -p exercises --bin play -- [--lang en] [--host HÔTE] EXERCICE [PORT…]

   1 PORT…   classer des ports (par exemple 1 22 3306 50000)
   2 [PORT]  votre client echo → echo-server (10007)
   3 [PORT]  votre client time → time-server (10037)
   4 [PORT]  votre serveur time sur 18004 : nc -d 127.0.0.1 18004 | xxd
   5 [PORT]  votre serveur echo sur 18005 (un client à la fois) : nc -N 127.0.0.1 18005
   6 [PORT]  votre serveur majuscules sur 18006
   7 [PORT]  votre serveur echo, un thread par client, sur 18007
   8 [PORT]  votre serveur qui compte ses clients sur 18008
   9         tapez des lignes de chat, voyez comment elles sont comprises
  10 [PORT]  votre serveur de chat sur 18010
  11 [PORT]  votre client de chat → chat-server (10194)
  12 [PORT]  votre serveur tokio sur 18012

--host HÔTE  un serveur écoute sur HÔTE (0.0.0.0 : toutes les cartes réseau,
             vos voisins peuvent s'y connecter ; 127.0.0.1 par défaut) ; un
             client se connecte à HÔTE (l'adresse IP d'un voisin)
--lang en    in English",
    "\
usage: cargo run -p exercises --bin play -- [--lang en] [--host HOST] EXERCISE [PORT…]

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
             to HOST (a neighbour's IP address)
--lang fr    en français (the default)",
];

/// Whether the arguments ask for the usage: `--help` (or `-h`) first, where
/// the exercise's number goes.
fn asks_for_help(args: &[String]) -> bool {
    matches!(args.first().map(String::as_str), Some("-h" | "--help"))
}

fn main() -> ExitCode {
    // The language first: every message after it, errors included, is in it.
    let (lang, args) = match lang::take_lang(std::env::args().skip(1).collect()) {
        Ok(found) => found,
        Err(message) => {
            warn!("{message}\n{}", USAGE[0]);
            return ExitCode::from(2);
        }
    };
    explain_todo_panics(lang);
    let error = lang.pick("erreur :", "error:");
    if asks_for_help(&args) {
        // Asked for, so not an error: stdout and status 0.
        say!("{}", USAGE[lang.index()]);
        return ExitCode::SUCCESS;
    }
    let (host, args) = match take_host(args, lang) {
        Ok(found) => found,
        Err(message) => {
            warn!("{error} {message}");
            return ExitCode::from(2);
        }
    };
    let Some(number) = args.first().and_then(|n| n.parse::<u16>().ok()) else {
        // A mistake: the usage goes with it, on stderr, and status 2.
        warn!("{}", USAGE[lang.index()]);
        return ExitCode::from(2);
    };
    let ports = match parse_ports(&args[1..], lang) {
        Ok(ports) => ports,
        Err(message) => {
            warn!("{error} {message}");
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
                    "{error} {} cargo run -p exercises --bin play -- 1 22 3306 50000",
                    lang.pick(
                        "donnez les ports à classer :",
                        "give the ports to classify:"
                    )
                );
                return ExitCode::from(2);
            }
            for &p in &ports {
                let name = ex01_ports::service_name(p).unwrap_or("-");
                let range = ex01_ports::classify(p);
                match lang {
                    Lang::French => say!("{p:>5} : {range:?}, service : {name}"),
                    Lang::English => say!("{p:>5}: {range:?}, service: {name}"),
                }
            }
            Ok(())
        }
        2 => connect(&host, port(10007), Server::ECHO, lang).and_then(|stream| {
            let reply = ex02_echo_client::echo_once(stream, "hello, echo\n")?;
            let (me, answer) = lang.pick(("mon port :", "réponse :"), ("my port:", "reply:"));
            print!("{me} {}, {answer} {}", reply.local_port, reply.reply);
            Ok(())
        }),
        3 => connect(&host, port(10037), Server::TIME, lang).and_then(|stream| {
            let unix = ex03_time_client::read_time(stream)?;
            match lang {
                Lang::French => say!("{unix} s depuis 1970 (vérifier : date -d @{unix})"),
                Lang::English => say!("{unix} s since 1970 (check: date -d @{unix})"),
            }
            Ok(())
        }),
        4 => {
            let port = port(18004);
            listen_and_suggest(
                &host,
                port,
                &format!("nc -d {} {port} | xxd", reachable(&host)),
                lang,
            )
            .and_then(ex04_time_server::serve)
        }
        // Your handler, one client after the other. `nc -N`, as the sheet
        // says: it closes the connection at Ctrl-D, so the handler's `read`
        // gives Ok(0) and the "left" line shows. Debian's plain `nc` sends
        // nothing at Ctrl-D: the client would stay, and the next one wait.
        5 => {
            let port = port(18005);
            let what = lang.pick("octets renvoyés", "bytes echoed");
            listen_and_suggest(
                &host,
                port,
                &format!("nc -N {} {port}", reachable(&host)),
                lang,
            )
            .and_then(|l| one_at_a_time(l, ex05_echo_handler::handle, what, lang))
        }
        6 => {
            let what = lang.pick("lignes traitées", "lines answered");
            listen(&host, port(18006), lang)
                .and_then(|l| one_at_a_time(l, ex06_uppercase::handle, what, lang))
        }
        7 => listen(&host, port(18007), lang).and_then(|listener| {
            ex07_threads::serve(listener, |s| ex05_echo_handler::handle(s).map(drop))
        }),
        8 => listen(&host, port(18008), lang).and_then(|l| ex08_counter::serve(l, Arc::default())),
        9 => {
            say!(
                "{}",
                lang.pick(
                    "tapez des lignes de chat (NICK alice, MSG bonjour, …) ; Ctrl-D pour arrêter",
                    "type chat lines (NICK alice, MSG hello, …); Ctrl-D to stop"
                )
            );
            for line in io::stdin().lock().lines().map_while(Result::ok) {
                say!("{:?}", ex09_chat_parse::parse(&line));
            }
            Ok(())
        }
        10 => listen(&host, port(18010), lang).and_then(ex10_chat_server::serve),
        11 => connect(&host, port(10194), Server::CHAT, lang).and_then(|stream| {
            ex11_chat_client::run(stream, io::BufReader::new(io::stdin()), io::stdout())
        }),
        12 => listen(&host, port(18012), lang).and_then(|listener| {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                listener.set_nonblocking(true)?;
                ex12_tokio::serve(tokio::net::TcpListener::from_std(listener)?).await
            })
        }),
        _ => {
            warn!(
                "{}",
                lang.pick(
                    "les exercices vont de 1 à 12",
                    "there are exercises 1 to 12"
                )
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            warn!("{error} {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--host HOST`, wherever it is among the arguments (127.0.0.1 without
/// it), and the other arguments.
fn take_host(mut args: Vec<String>, lang: Lang) -> Result<(String, Vec<String>), String> {
    let Some(at) = args.iter().position(|a| a == "--host") else {
        return Ok(("127.0.0.1".to_string(), args));
    };
    if at + 1 >= args.len() {
        return Err(lang
            .pick(
                "--host attend une adresse, par exemple --host 0.0.0.0",
                "--host needs an address, e.g. --host 0.0.0.0",
            )
            .into());
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
fn listen(host: &str, port: u16, lang: Lang) -> io::Result<TcpListener> {
    listen_and_suggest(host, port, &format!("nc {} {port}", reachable(host)), lang)
}

/// [`listen`], suggesting `try_it` (exercise 4's server speaks binary:
/// plain `nc` would show garbage, and wait after the close; exercise 5's
/// must see the client close).
fn listen_and_suggest(host: &str, port: u16, try_it: &str, lang: Lang) -> io::Result<TcpListener> {
    let listener = TcpListener::bind((host, port)).map_err(|e| {
        let why = match lang {
            Lang::French => format!(
                "impossible d'écouter sur {host}:{port} : {e} (un autre programme y écoute ? ss -tlnp | grep {port})"
            ),
            Lang::English => format!(
                "cannot listen on {host}:{port}: {e} (another program there? ss -tlnp | grep {port})"
            ),
        };
        io::Error::new(e.kind(), why)
    })?;
    let at = listener.local_addr()?;
    match lang {
        Lang::French => say!("en écoute sur {at} — essayez : {try_it}"),
        Lang::English => say!("listening on {at} — try: {try_it}"),
    }
    Ok(listener)
}

/// Serves the clients of `listener` one after the other with `handle`. One
/// client's error (a reset, bytes that are not UTF-8…) is printed and the
/// next client is served: a server never stops for one client (exercises 4
/// and 7 say the same). `what` names what `handle` counts.
fn one_at_a_time<T: Display>(
    listener: TcpListener,
    handle: impl Fn(TcpStream) -> io::Result<T>,
    what: &str,
    lang: Lang,
) -> io::Result<()> {
    let next = lang.pick("on passe au client suivant", "on to the next client");
    loop {
        match listener.accept() {
            Ok((stream, peer)) => match (handle(stream), lang) {
                (Ok(n), Lang::French) => say!("{peer} est parti, {n} {what}"),
                (Ok(n), Lang::English) => say!("{peer} left, {n} {what}"),
                (Err(e), Lang::French) => warn!("{peer} : échec : {e} ({next})"),
                (Err(e), Lang::English) => warn!("{peer} failed: {e} ({next})"),
            },
            Err(e) => match lang {
                Lang::French => warn!("accept a échoué : {e} ({next})"),
                Lang::English => warn!("accept failed: {e} ({next})"),
            },
        }
    }
}

/// The ports given after the exercise number; a word that is not a port is
/// an error (silently using the default would hide the typo).
fn parse_ports(args: &[String], lang: Lang) -> Result<Vec<u16>, String> {
    args.iter()
        .map(|p| {
            p.parse().map_err(|_| match lang {
                Lang::French => {
                    format!("{p:?} n'est pas un port : donnez un nombre de 0 à 65535")
                }
                Lang::English => {
                    format!("{p:?} is not a port: give a number from 0 to 65535")
                }
            })
        })
        .collect()
}

/// A finished netlab server a client exercise talks to.
struct Server {
    /// Its program (`cargo run --bin NAME`).
    name: &'static str,
    /// The port it listens on by default.
    port: u16,
    /// The example that serves the same protocol on any port it is given.
    example: &'static str,
}

impl Server {
    const ECHO: Server = Server {
        name: "echo-server",
        port: 10007,
        example: "03_tokio_tasks",
    };
    const TIME: Server = Server {
        name: "time-server",
        port: 10037,
        example: "05_time_by_hand",
    };
    const CHAT: Server = Server {
        name: "chat-server",
        port: 10194,
        example: "07_broadcast_chat",
    };
}

/// Connects to `host`:`port` and says so. If nobody answers, the error
/// names the server to start: netlab's `server` (when `port` is the one it
/// listens on), or also its example, which listens on the port it is given.
fn connect(host: &str, port: u16, server: Server, lang: Lang) -> io::Result<TcpStream> {
    let stream = TcpStream::connect((host, port)).map_err(|e| {
        let name = server.name;
        let mut start = format!("cargo run --bin {name}");
        if port != server.port {
            let example = server.example;
            start.push_str(&match lang {
                Lang::French => format!(
                    " -- --port {port} (ou l'exemple : cargo run --example {example} -- {port})"
                ),
                Lang::English => format!(
                    " -- --port {port} (or the example: cargo run --example {example} -- {port})"
                ),
            });
        }
        let why = match lang {
            Lang::French => format!(
                "impossible de se connecter à {host}:{port} : {e}. \
                 Le serveur est-il lancé ? Dans un autre terminal : {start}"
            ),
            Lang::English => format!(
                "cannot connect to {host}:{port}: {e}. \
                 Is the server started? In another terminal: {start}"
            ),
        };
        io::Error::new(e.kind(), why)
    })?;
    let (me, server) = (stream.local_addr()?, stream.peer_addr()?);
    match lang {
        Lang::French => say!("connecté : moi {me} → serveur {server}"),
        Lang::English => say!("connected: me {me} → server {server}"),
    }
    Ok(stream)
}

/// Replaces the raw panic message of a `todo!()` left in a stub by what to
/// do about it, in `lang`; any other panic is shown as usual.
fn explain_todo_panics(lang: Lang) {
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
                warn!("{}", not_written_yet(at.file(), at.line(), lang));
                // A runtime error like any other (exit status 1), not a
                // crash (101): nothing can run until the stub is written.
                std::process::exit(1);
            }
            _ => usual(info),
        }
    }));
}

/// What to say when the `todo!()` at `file`:`line` runs.
fn not_written_yet(file: &str, line: u32, lang: Lang) -> String {
    // "exercises/src/ex05_echo_handler.rs" → exercise 5.
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let number = name
        .strip_prefix("ex")
        .and_then(|rest| rest.get(..2))
        .and_then(|n| n.parse::<u8>().ok());
    match (lang, number) {
        (Lang::French, Some(n)) => format!(
            "l'exercice {n} n'est pas encore écrit : remplacez le todo!() de {file} \
             (ligne {line}) par votre code (cargo guide dit ce qu'il doit faire)"
        ),
        (Lang::French, None) => format!(
            "ce code n'est pas encore écrit : remplacez le todo!() de {file} \
             (ligne {line}) par votre code (cargo guide dit ce qu'il doit faire)"
        ),
        (Lang::English, Some(n)) => format!(
            "exercise {n} is not written yet: replace the todo!() in {file} \
             (line {line}) with your code (cargo guide says what it must do)"
        ),
        (Lang::English, None) => format!(
            "this code is not written yet: replace the todo!() in {file} \
             (line {line}) with your code (cargo guide says what it must do)"
        ),
    }
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
                Lang::English,
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
        // The usage lists every exercise, in both languages.
        for usage in USAGE {
            for n in 1..=12 {
                assert!(usage.contains(&format!("\n{n:>4} ")), "exercise {n}");
            }
        }
        assert!(USAGE[0].starts_with("utilisation : ") && USAGE[1].starts_with("usage: "));
    }

    #[test]
    fn host_is_taken_wherever_it_is() {
        let args = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let take_host = |args| take_host(args, Lang::French);
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
        assert_eq!(
            take_host(args(&["10", "--host"])),
            Err("--host attend une adresse, par exemple --host 0.0.0.0".into())
        );
        assert_eq!(reachable("0.0.0.0"), "127.0.0.1");
    }

    #[test]
    fn a_word_that_is_not_a_port_is_refused() {
        let args = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let fr = Lang::French;
        assert_eq!(
            parse_ports(&args(&["22", "65535"]), fr),
            Ok(vec![22, 65535])
        );
        let error = parse_ports(&args(&["22", "http", "8080"]), fr).unwrap_err();
        assert!(error.contains("\"http\" n'est pas un port"), "{error}");
        let error = parse_ports(&args(&["http"]), Lang::English).unwrap_err();
        assert!(error.contains("\"http\" is not a port"), "{error}");
        assert!(parse_ports(&args(&["65536"]), fr).is_err());
    }

    #[test]
    fn a_todo_names_the_exercise_and_its_file_in_both_languages() {
        assert_eq!(
            not_written_yet("exercises/src/ex05_echo_handler.rs", 26, Lang::French),
            "l'exercice 5 n'est pas encore écrit : remplacez le todo!() de \
             exercises/src/ex05_echo_handler.rs (ligne 26) par votre code \
             (cargo guide dit ce qu'il doit faire)"
        );
        assert_eq!(
            not_written_yet("exercises/src/ex05_echo_handler.rs", 26, Lang::English),
            "exercise 5 is not written yet: replace the todo!() in \
             exercises/src/ex05_echo_handler.rs (line 26) with your code \
             (cargo guide says what it must do)"
        );
        assert!(
            not_written_yet("src/ex12_tokio.rs", 34, Lang::English).starts_with("exercise 12 is")
        );
        assert!(not_written_yet("src/lib.rs", 3, Lang::French).starts_with("ce code n'est pas"));
    }
}
