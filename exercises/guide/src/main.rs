//! # The guide: runs the exercises in order and says what to do next
//!
//! ```text
//! cargo guide                  # in French (the alias of .cargo/config.toml)
//! cargo guide --lang en        # in English
//! cargo guide 6                # only exercise 6
//! cargo guide --list           # the list, nothing run
//! cargo run -p guide -- 6      # the same, without the alias
//! ```
//!
//! For each exercise it runs that exercise's tests (`cargo test -p exercises
//! --test exNN_…`). At the first one that fails it stops and shows the goal,
//! a hint, the sheet to read and what the tests said; when everything
//! passes, it says so. The teacher can check the reference solutions with
//! `--solutions`. Nothing to install: it only calls the `cargo` that ran it.
//!
//! The guide is a package of its own, which does not depend on the
//! exercises: a student's code that does not compile (the most common
//! state of code being written) must not stop the guide from running. It
//! then says so in plain words: which file and line rustc points to, its
//! first error, and what to do (see [`diagnostics`]).
//!
//! It finds the exercises next to its own package (`exercises/`); the
//! `NETLAB_EXERCISES_DIR` environment variable points it to another
//! `exercises` package (its tests use it on a broken copy).

use std::env;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use lang::{Lang, say, warn};

mod diagnostics;

/// How long one exercise's `cargo test` may take (build included) before the
/// guide stops it: a test waiting forever must not freeze the guide too.
const TIME_LIMIT: Duration = Duration::from_secs(180);

/// One exercise, as the guide presents it.
struct Exercise {
    /// The test file in `exercises/tests/` (without `.rs`), also the module.
    test: &'static str,
    /// The sheet's file name in `docs/exercices/` and `docs/exercises/`.
    sheet: &'static str,
    /// What `play` needs to run this exercise by hand, as the sheet says:
    /// the exercise's number, and for exercise 1 the ports to classify
    /// (without them `play` has nothing to show).
    play: &'static str,
    /// Title, French then English.
    title: [&'static str; 2],
    /// What the code must do.
    goal: [&'static str; 2],
    /// A hint for when it fails.
    hint: [&'static str; 2],
}

/// The exercises, in the order they are meant to be done.
const EXERCISES: &[Exercise] = &[
    Exercise {
        test: "ex01_ports",
        sheet: "01-ports.md",
        play: "1 22 3306 50000",
        title: ["Ports : 1 service = 1 port", "Ports: 1 service = 1 port"],
        goal: [
            "classify(port) donne la plage IANA du port (réservé 0–1023, enregistré 1024–49151, dynamique 49152–65535) ; service_name(port) nomme le service des ports courants (7 echo, 22 ssh, 80 http, 3306 mysql…).",
            "classify(port) returns the IANA range of the port (well-known 0–1023, registered 1024–49151, dynamic 49152–65535); service_name(port) names the service on common ports (7 echo, 22 ssh, 80 http, 3306 mysql…).",
        ],
        hint: [
            "Un `match port { 0..=1023 => …, … }` : le compilateur vérifie qu'aucun port n'est oublié. Pour les noms, un `match` qui renvoie `Some(\"echo\")`… et `_ => None`.",
            "A `match port { 0..=1023 => …, … }`: the compiler checks that no port is forgotten. For the names, a `match` returning `Some(\"echo\")`… and `_ => None`.",
        ],
    },
    Exercise {
        test: "ex02_echo_client",
        sheet: "02-echo-client.md",
        play: "2",
        title: [
            "Un client echo qui connaît son port",
            "An echo client that knows its own port",
        ],
        goal: [
            "echo_once(stream, message) envoie le message, relit exactement autant d'octets, et renvoie la réponse avec le port local (éphémère) choisi par le système.",
            "echo_once(stream, message) sends the message, reads back exactly as many bytes, and returns the reply with the local (ephemeral) port the system chose.",
        ],
        hint: [
            "`stream.local_addr()?.port()`, puis `write_all`, puis `read_exact` dans un `vec![0; message.len()]` : un seul `read` peut ne recevoir qu'un octet.",
            "`stream.local_addr()?.port()`, then `write_all`, then `read_exact` into a `vec![0; message.len()]`: one `read` may get a single byte.",
        ],
    },
    Exercise {
        test: "ex03_time_client",
        sheet: "03-time-client.md",
        play: "3",
        title: ["Un client time (RFC 868)", "A time client (RFC 868)"],
        goal: [
            "read_time(stream) lit les 4 octets big-endian du protocole Time (secondes depuis 1900) même s'ils arrivent un par un, et renvoie l'heure Unix (depuis 1970).",
            "read_time(stream) reads the 4 big-endian bytes of the Time protocol (seconds since 1900) even if they arrive one by one, and returns Unix time (since 1970).",
        ],
        hint: [
            "`let mut b = [0; 4]; stream.read_exact(&mut b)?;` puis `u32::from_be_bytes(b)`. Entre 1900 et 1970 : 2 208 988 800 secondes. Attention au type : i64.",
            "`let mut b = [0; 4]; stream.read_exact(&mut b)?;` then `u32::from_be_bytes(b)`. Between 1900 and 1970: 2 208 988 800 seconds. Mind the type: i64.",
        ],
    },
    Exercise {
        test: "ex04_time_server",
        sheet: "04-time-server.md",
        play: "4",
        title: ["Un serveur time itératif", "An iterative time server"],
        goal: [
            "serve(listener) accepte les clients l'un après l'autre, pour toujours : à chacun les 4 octets de l'heure, puis fermeture. Un client qui raccroche n'arrête pas le serveur.",
            "serve(listener) accepts clients one after the other, forever: to each the 4 bytes of the time, then close. A client hanging up does not stop the server.",
        ],
        hint: [
            "`loop { let (mut s, peer) = listener.accept()?; … }` ; une erreur d'écriture s'affiche avec `eprintln!` mais ne fait pas `return`. Fermer = laisser `s` sortir de portée.",
            "`loop { let (mut s, peer) = listener.accept()?; … }`; a write error is printed with `eprintln!` but does not `return`. Closing = letting `s` go out of scope.",
        ],
    },
    Exercise {
        test: "ex05_echo_handler",
        sheet: "05-echo-handler.md",
        play: "5",
        title: [
            "Un serveur echo qui s'arrête à la fin",
            "An echo handler that stops at the end",
        ],
        goal: [
            "handle(stream) renvoie chaque octet reçu jusqu'à ce que le client ferme (read renvoie Ok(0)), et renvoie le nombre d'octets renvoyés.",
            "handle(stream) sends back every byte received until the client closes (read returns Ok(0)), and returns the number of bytes echoed.",
        ],
        hint: [
            "`let n = stream.read(&mut buf)?; if n == 0 { return Ok(total) }` puis `write_all(&buf[..n])` : seulement les n octets reçus.",
            "`let n = stream.read(&mut buf)?; if n == 0 { return Ok(total) }` then `write_all(&buf[..n])`: only the n bytes received.",
        ],
    },
    Exercise {
        test: "ex06_uppercase",
        sheet: "06-uppercase.md",
        play: "6",
        title: ["Un protocole ligne par ligne", "A line protocol"],
        goal: [
            "uppercase_lines(entrée, sortie) répond à chaque ligne par la même en majuscules, même si elle arrive en morceaux ; `\\r\\n` accepté ; QUIT → BYE et fin.",
            "uppercase_lines(input, output) answers each line with the same in upper case, even when it arrives in pieces; `\\r\\n` accepted; QUIT → BYE and stop.",
        ],
        hint: [
            "`BufReader::new(input)` et `read_line` rassemblent les morceaux. Chaque réponse avec son `\\n`, et `flush()` si vous utilisez un `BufWriter`.",
            "`BufReader::new(input)` and `read_line` gather the pieces. Each answer with its `\\n`, and `flush()` if you use a `BufWriter`.",
        ],
    },
    Exercise {
        test: "ex07_threads",
        sheet: "07-threads.md",
        play: "7",
        title: ["Plusieurs clients à la fois", "Many clients at once"],
        goal: [
            "serve(listener, handler) lance un thread par client : un client qui reste connecté ne bloque pas les suivants, et l'erreur d'un client n'arrête pas le serveur.",
            "serve(listener, handler) starts a thread per client: a client that stays connected does not block the next ones, and one client's error does not stop the server.",
        ],
        hint: [
            "Dans la boucle : `thread::spawn(move || { if let Err(e) = handler(stream) { eprintln!(…) } });` et surtout pas de `join()` dans la boucle.",
            "In the loop: `thread::spawn(move || { if let Err(e) = handler(stream) { eprintln!(…) } });` and no `join()` inside the loop.",
        ],
    },
    Exercise {
        test: "ex08_counter",
        sheet: "08-counter.md",
        play: "8",
        title: ["Un compteur partagé", "A shared counter"],
        goal: [
            "Stats::arrive et Stats::leave changent les compteurs partagés total et connected ; serve(listener, stats) accueille chaque client par `welcome, you are client #N (M connected)` et les tient à jour.",
            "Stats::arrive and Stats::leave change the shared total and connected counters; serve(listener, stats) greets each client with `welcome, you are client #N (M connected)` and keeps them up to date.",
        ],
        hint: [
            "`Stats::arrive` : `fetch_add(1, Ordering::SeqCst) + 1` donne la nouvelle valeur (jamais `load` puis `store`) ; `Arc::clone(&stats)` pour chaque thread ; `stats.leave()` quand le client part, même après une erreur.",
            "`Stats::arrive`: `fetch_add(1, Ordering::SeqCst) + 1` gives the new value (never `load` then `store`); `Arc::clone(&stats)` for each thread; `stats.leave()` when the client leaves, even after an error.",
        ],
    },
    Exercise {
        test: "ex09_chat_parse",
        sheet: "09-chat-parse.md",
        play: "9",
        title: ["La grammaire du chat", "The chat grammar"],
        goal: [
            "parse(ligne) transforme `NICK`, `MSG`, `PRIV`, `LIST`, `PING`, `HELP`, `QUIT` en Command, ou explique l'erreur (ParseError) ; valid_nick vérifie un pseudo.",
            "parse(line) turns `NICK`, `MSG`, `PRIV`, `LIST`, `PING`, `HELP`, `QUIT` into a Command, or explains the error (ParseError); valid_nick checks a nickname.",
        ],
        hint: [
            "Retirer `\\n` puis `\\r` (`strip_suffix`), `split_once(' ')` pour séparer la commande du reste, `to_ascii_uppercase()` pour accepter `msg`.",
            "Strip `\\n` then `\\r` (`strip_suffix`), `split_once(' ')` to split the command from the rest, `to_ascii_uppercase()` to accept `msg`.",
        ],
    },
    Exercise {
        test: "ex10_chat_server",
        sheet: "10-chat-server.md",
        play: "10",
        title: ["Un serveur de chat", "A chat server"],
        goal: [
            "serve(listener) envoie `WELCOME adresse:port` à chaque client, puis relaie chaque ligne à tous les AUTRES clients sous la forme `adresse:port: texte` ; un client qui disparaît est retiré.",
            "serve(listener) sends `WELCOME address:port` to each client, then relays each line to every OTHER client as `address:port: text`; a client that vanishes is removed.",
        ],
        hint: [
            "`Arc<Mutex<HashMap<SocketAddr, TcpStream>>>` ; inscrire le client (`try_clone`) AVANT d'envoyer WELCOME ; retirer ceux dont `write_all` échoue.",
            "`Arc<Mutex<HashMap<SocketAddr, TcpStream>>>`; register the client (`try_clone`) BEFORE sending WELCOME; remove those whose `write_all` fails.",
        ],
    },
    Exercise {
        test: "ex11_chat_client",
        sheet: "11-chat-client.md",
        play: "11",
        title: ["Un client de chat", "A chat client"],
        goal: [
            "run(stream, clavier, écran) envoie les lignes tapées au serveur et affiche celles du serveur, même quand l'utilisateur ne tape rien ; Ctrl-D ferme le côté envoi.",
            "run(stream, keyboard, screen) sends typed lines to the server and shows the server's lines, even while the user types nothing; Ctrl-D closes the sending side.",
        ],
        hint: [
            "Un thread pour clavier → socket (`try_clone`, puis `shutdown(Shutdown::Write)` à la fin du clavier) ; le thread appelant fait socket → écran, avec `flush`.",
            "One thread for keyboard → socket (`try_clone`, then `shutdown(Shutdown::Write)` at the keyboard's end); the calling thread does socket → screen, with `flush`.",
        ],
    },
    Exercise {
        test: "ex12_tokio",
        sheet: "12-tokio.md",
        play: "12",
        title: ["Bonus : des tâches tokio", "Bonus: tokio tasks"],
        goal: [
            "serve(listener) (async) sert le protocole de l'exercice 6 à des centaines de clients à la fois, une tâche tokio par client.",
            "serve(listener) (async) serves exercise 6's protocol to hundreds of clients at once, one tokio task per client.",
        ],
        hint: [
            "`tokio::spawn(async move { … })` pour chaque client ; `into_split()`, `tokio::io::BufReader`, `read_line(&mut l).await`, `write_all(…).await`. Jamais de `std::io::Read` dans une tâche.",
            "`tokio::spawn(async move { … })` for each client; `into_split()`, `tokio::io::BufReader`, `read_line(&mut l).await`, `write_all(…).await`. Never `std::io::Read` inside a task.",
        ],
    },
];

/// Words of the guide itself, French then English.
struct Words {
    running: &'static str,
    passed: &'static str,
    failed: &'static str,
    goal: &'static str,
    hint: &'static str,
    sheet: &'static str,
    rerun: &'static str,
    by_hand: &'static str,
    tests_said: &'static str,
    /// How to read `assert_eq!`'s left/right (every test puts the code's answer left).
    left_right: &'static str,
    /// What a `todo!()` panic means.
    todo_left: &'static str,
    /// After the exercise's title, when the code does not compile.
    not_compiled: &'static str,
    /// What "does not compile" means, for someone who never met a compiler.
    no_compile: &'static str,
    /// Where rustc's first error is (`{file}`, `{line}`, `{column}`).
    first_error_at: &'static str,
    /// rustc's first error, when it points into no file.
    first_error: &'static str,
    /// The file of the error is exercise `{number}`'s (`{title}`).
    file_of: &'static str,
    /// rustc found `{count}` errors.
    more_errors: &'static str,
    /// What to do, with the place (`{file}`, `{line}`) and the `{command}`
    /// that runs the guide again.
    fix_line: &'static str,
    /// What to do, without a place.
    fix: &'static str,
    /// When `cargo test` was stopped after [`TIME_LIMIT`] (`{limit}` seconds).
    too_long: &'static str,
    all_done: &'static str,
    sheets_dir: &'static str,
    usage: &'static str,
    /// A command-line mistake: `{argument}` is not one the guide knows.
    unknown_argument: &'static str,
    /// `{error}`: why cargo could not be started.
    no_cargo: &'static str,
}

/// The guide's words in `lang`.
fn words(lang: Lang) -> &'static Words {
    lang.pick(&FR, &EN)
}

const FR: Words = Words {
    running: "vérification",
    passed: "réussi",
    failed: "pas encore",
    goal: "Objectif :",
    hint: "Indice :",
    sheet: "Fiche :",
    rerun: "Relancer seulement cet exercice :",
    by_hand: "L'essayer à la main :",
    tests_said: "Ce que disent les tests :",
    left_right: "(left : ce que votre code a donné ; right : ce que le test attendait)",
    todo_left: "(« not yet implemented » : le todo!() est encore là ; remplacez-le par votre code)",
    not_compiled: "ne compile pas",
    no_compile: "Votre code ne compile pas : le compilateur de Rust (rustc) refuse de le transformer en programme. Tant que c'est le cas, aucun test ne peut tourner, pour aucun exercice.",
    first_error_at: "rustc signale la première erreur dans {file}, ligne {line} (colonne {column}) :",
    first_error: "La première erreur signalée par rustc :",
    file_of: "Ce fichier est celui de l'exercice {number} ({title}).",
    more_errors: "(rustc a trouvé {count} erreurs. Corrigez d'abord la première : les suivantes en sont souvent la conséquence et disparaissent avec elle.)",
    fix_line: "À faire : lisez l'erreur ci-dessus (rustc, en anglais, propose souvent la correction après « help: »), corrigez la ligne {line} de {file}, puis relancez le guide : {command}",
    fix: "À faire : lisez l'erreur ci-dessus (rustc, en anglais, propose souvent la correction après « help: »), corrigez-la, puis relancez le guide : {command}",
    too_long: "Les tests ne se sont pas terminés en {limit} s : le guide a arrêté cargo. Votre code attend-il quelque chose qui n'arrive jamais (un read sans rien à lire, une boucle sans fin, un join() sur un thread qui ne finit pas) ? Relancez cet exercice seul (commande ci-dessous) pour voir quel test bloque.",
    all_done: "Bravo : tous les exercices passent ! Essayez maintenant les vrais programmes : cargo run --bin chat-server, puis cargo run --bin chat-client.",
    sheets_dir: "docs/exercices",
    usage: "\
utilisation : cargo guide [--lang fr|en] [--list] [--solutions] [N]
              (sans l'alias : cargo run -p guide -- …)

  --lang fr|en   langue du guide (par défaut : fr)
  --list         la liste des exercices, sans rien lancer
  --solutions    vérifier les solutions de référence au lieu de votre code (enseignant·e)
  N              seulement l'exercice N (1-12)",
    unknown_argument: "erreur : argument inconnu {argument}",
    no_cargo: "erreur : impossible de lancer cargo : {error}",
};

const EN: Words = Words {
    running: "checking",
    passed: "passed",
    failed: "not yet",
    goal: "Goal:",
    hint: "Hint:",
    sheet: "Sheet:",
    rerun: "Run only this exercise again:",
    by_hand: "Try it by hand:",
    tests_said: "What the tests said:",
    left_right: "(left: what your code gave; right: what the test expected)",
    todo_left: "(\"not yet implemented\": the todo!() is still there; replace it with your code)",
    not_compiled: "does not compile",
    no_compile: "Your code does not compile: the Rust compiler (rustc) refuses to turn it into a program. Until it does, no test can run, for any exercise.",
    first_error_at: "rustc points to the first error in {file}, line {line} (column {column}):",
    first_error: "The first error rustc reported:",
    file_of: "This file is exercise {number}'s ({title}).",
    more_errors: "(rustc found {count} errors. Fix the first one first: the others often follow from it and go away with it.)",
    fix_line: "What to do: read the error above (rustc often suggests the fix after \"help:\"), fix line {line} of {file}, then run the guide again: {command}",
    fix: "What to do: read the error above (rustc often suggests the fix after \"help:\"), fix it, then run the guide again: {command}",
    too_long: "The tests did not finish within {limit} s: the guide stopped cargo. Does your code wait for something that never comes (a read with nothing to read, an endless loop, a join() on a thread that never ends)? Run this exercise alone (command below) to see which test is stuck.",
    all_done: "Well done: every exercise passes! Now try the real programs: cargo run --bin chat-server, then cargo run --bin chat-client.",
    sheets_dir: "docs/exercises",
    usage: "\
usage: cargo guide [--lang fr|en] [--list] [--solutions] [N]
       (without the alias: cargo run -p guide -- …)

  --lang fr|en   language of the guide (default: fr)
  --list         list the exercises without running anything
  --solutions    check the reference solutions instead of your code (teacher)
  N              run only exercise N (1-12)",
    unknown_argument: "error: unknown argument {argument}",
    no_cargo: "error: cannot run cargo: {error}",
};

/// What the command line asked for: the usage (`--help`), or a run.
enum Request {
    Help,
    Run(Options),
}

/// How to run the guide.
struct Options {
    list: bool,
    solutions: bool,
    only: Option<usize>,
}

/// Reads the arguments (without the program's name and `--lang`, see
/// [`lang::take_lang`]). `--help` is a request like any other, not a
/// mistake: its answer goes to stdout with status 0, while a wrong argument
/// gets an error and the usage on stderr, status 2. The argument that is
/// wrong is returned.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Request, String> {
    let mut options = Options {
        list: false,
        solutions: false,
        only: None,
    };
    for arg in args {
        match arg.as_str() {
            // `cargo guide -- 6`: the `--` a student is used to typing
            // after `cargo run` reaches the guide through the alias.
            "--" => {}
            "--list" => options.list = true,
            "--solutions" => options.solutions = true,
            "-h" | "--help" => return Ok(Request::Help),
            number => match number.parse::<usize>() {
                Ok(n) if (1..=EXERCISES.len()).contains(&n) => options.only = Some(n),
                _ => return Err(arg),
            },
        }
    }
    Ok(Request::Run(options))
}

/// The command that runs the guide again as it was run this time.
fn guide_command(lang: Lang, options: &Options) -> String {
    let mut command = String::from("cargo guide");
    if lang == Lang::English {
        command.push_str(" --lang en");
    }
    if options.solutions {
        command.push_str(" --solutions");
    }
    if let Some(n) = options.only {
        command.push_str(&format!(" {n}"));
    }
    command
}

fn main() -> ExitCode {
    let (lang, args) = match lang::take_lang(env::args().skip(1).collect()) {
        Ok(found) => found,
        Err(message) => {
            warn!("{message}\n{}", FR.usage);
            return ExitCode::from(2);
        }
    };
    let words = words(lang);
    let options = match parse_args(args) {
        Ok(Request::Run(options)) => options,
        Ok(Request::Help) => {
            say!("{}", words.usage);
            return ExitCode::SUCCESS;
        }
        Err(argument) => {
            let error = words
                .unknown_argument
                .replace("{argument}", &format!("{argument:?}"));
            warn!("{error}\n{}", words.usage);
            return ExitCode::from(2);
        }
    };
    let total = EXERCISES.len();

    if options.list {
        for (i, ex) in EXERCISES.iter().enumerate() {
            say!(
                "{:>2}. {}  ({}/{})",
                i + 1,
                ex.title[lang.index()],
                words.sheets_dir,
                ex.sheet
            );
        }
        return ExitCode::SUCCESS;
    }

    #[cfg(unix)]
    watch_ctrl_c();
    for (i, ex) in EXERCISES.iter().enumerate() {
        let number = i + 1;
        if options.only.is_some_and(|only| only != number) {
            continue;
        }
        print!(
            "[{number}/{total}] {} — {}… ",
            ex.title[lang.index()],
            words.running
        );
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let outcome = match run_tests(ex.test, options.solutions) {
            Ok(outcome) => outcome,
            Err(e) => {
                say!();
                warn!("{}", words.no_cargo.replace("{error}", &e.to_string()));
                return ExitCode::FAILURE;
            }
        };
        if outcome.interrupted {
            // What a shell reports for a program ended by Ctrl-C (128 + SIGINT).
            say!();
            return ExitCode::from(130);
        }
        if outcome.passed {
            say!("✔ {}", words.passed);
            continue;
        }
        let cargo = diagnostics::read(&outcome.output);
        if !outcome.timed_out && did_not_compile(&cargo) {
            say!("✘ {}", words.not_compiled);
            say!();
            explain_compile_failure(&cargo, ex, lang, &guide_command(lang, &options));
            return ExitCode::FAILURE;
        }
        say!("✘ {}", words.failed);
        say!();
        say_goal(ex, lang);
        say!();
        if outcome.timed_out {
            let limit = TIME_LIMIT.as_secs().to_string();
            say!("{}", words.too_long.replace("{limit}", &limit));
        } else {
            say!("{}", words.tests_said);
            let failures = failures(&cargo.text);
            for line in &failures {
                say!("    {line}");
            }
            if failures.iter().any(|l| l.contains("left:")) {
                say!("    {}", words.left_right);
            }
            if failures.iter().any(|l| l.contains("not yet implemented")) {
                say!("    {}", words.todo_left);
            }
        }
        say!();
        say!("{} cargo test -p exercises --test {}", words.rerun, ex.test);
        say!("{} {}", words.by_hand, play_command(ex, lang));
        return ExitCode::FAILURE;
    }
    if options.only.is_none() {
        say!();
        say!("{}", words.all_done);
    }
    ExitCode::SUCCESS
}

/// Shows what exercise `ex` asks for: its goal, a hint, its sheet.
fn say_goal(ex: &Exercise, lang: Lang) {
    let words = words(lang);
    say!("{} {}", words.goal, ex.goal[lang.index()]);
    say!("{} {}", words.hint, ex.hint[lang.index()]);
    say!("{} {}/{}", words.sheet, words.sheets_dir, ex.sheet);
}

/// Whether the tests did not run because the code did not compile: rustc
/// reported an error, or cargo says the build failed (also when it failed
/// before rustc could say anything, as cargo's own `error:` text).
fn did_not_compile(cargo: &diagnostics::CargoOutput) -> bool {
    !cargo.errors.is_empty()
        || cargo.build_failed
        || cargo.text.contains("error: could not compile")
}

/// Explains, to someone who has never met a compiler, that the code does
/// not compile, where rustc's first error is, and what to do; `rerun` is the
/// command that runs the guide again. When the error is in the file of the
/// exercise being checked (`ex`), its goal and hint help too.
fn explain_compile_failure(
    cargo: &diagnostics::CargoOutput,
    ex: &Exercise,
    lang: Lang,
    rerun: &str,
) {
    let words = words(lang);
    say!("{}", words.no_compile);
    say!();
    let Some(error) = cargo.errors.first() else {
        // Nothing from rustc (cargo stopped before it, a linker is
        // missing…): cargo's own words.
        for line in compile_errors(&cargo.text) {
            say!("    {line}");
        }
        say!();
        say!("{}", words.fix.replace("{command}", rerun));
        return;
    };
    match &error.at {
        Some(at) => say!(
            "{}",
            words
                .first_error_at
                .replace("{file}", &at.file)
                .replace("{line}", &at.line.to_string())
                .replace("{column}", &at.column.to_string())
        ),
        None => say!("{}", words.first_error),
    }
    say!();
    for line in error.rendered.lines().take(30) {
        say!("    {line}");
    }
    if cargo.errors.len() > 1 {
        say!();
        let count = cargo.errors.len().to_string();
        say!("{}", words.more_errors.replace("{count}", &count));
    }
    // The file's exercise: the one being checked (its goal helps), or
    // another (a student who went ahead, or started at the wrong file).
    let owner = error.at.as_ref().and_then(|at| {
        let name = at.file.rsplit(['/', '\\']).next().unwrap_or(&at.file);
        EXERCISES
            .iter()
            .position(|e| name == format!("{}.rs", e.test))
    });
    if let Some(i) = owner {
        say!();
        if EXERCISES[i].test == ex.test {
            say_goal(ex, lang);
        } else {
            let number = (i + 1).to_string();
            say!(
                "{}",
                words
                    .file_of
                    .replace("{number}", &number)
                    .replace("{title}", EXERCISES[i].title[lang.index()])
            );
        }
    }
    say!();
    match &error.at {
        Some(at) => say!(
            "{}",
            words
                .fix_line
                .replace("{line}", &at.line.to_string())
                .replace("{file}", &at.file)
                .replace("{command}", rerun)
        ),
        None => say!("{}", words.fix.replace("{command}", rerun)),
    }
}

/// The command that runs `ex` by hand, the one its sheet gives; in
/// English, `play` is asked to speak English too (`--lang en` after the
/// sheet's command: `play` takes it anywhere).
fn play_command(ex: &Exercise, lang: Lang) -> String {
    let command = format!("cargo run -p exercises --bin play -- {}", ex.play);
    lang.pick(command.clone(), command + " --lang en")
}

/// What one `cargo test` run gave.
struct Outcome {
    passed: bool,
    /// Stopped after [`TIME_LIMIT`]: something waited forever.
    timed_out: bool,
    /// Stopped because the student pressed Ctrl-C.
    interrupted: bool,
    /// stdout and stderr together.
    output: String,
}

/// The `exercises` package the guide checks: `NETLAB_EXERCISES_DIR` if
/// set, else the folder next to the guide's own package (`exercises/`),
/// wherever the guide was started from.
fn exercises_dir() -> PathBuf {
    match env::var_os("NETLAB_EXERCISES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let guide = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            guide.parent().unwrap_or(guide).to_path_buf()
        }
    }
}

/// Runs one exercise's tests with the `cargo` that started the guide.
fn run_tests(test: &str, solutions: bool) -> std::io::Result<Outcome> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    // JSON: rustc's errors as fields (file, line…), see `diagnostics`.
    command.args([
        "test",
        "-q",
        "--message-format=json",
        "-p",
        "exercises",
        "--test",
        test,
    ]);
    if solutions {
        command.args(["--features", "solutions"]);
    }
    // Run from the exercises' directory, wherever the guide was started
    // from; no backtraces: the messages are what a student needs.
    command
        .current_dir(exercises_dir())
        .env("RUST_BACKTRACE", "0");
    run_with_limit(command, TIME_LIMIT)
}

/// Runs `command`, collecting its output; kills it, and every process it
/// started, if it takes longer than `limit` (or on Ctrl-C: see
/// [`watch_ctrl_c`]).
fn run_with_limit(mut command: Command, limit: Duration) -> std::io::Result<Outcome> {
    // Killing cargo alone would leave the test program it started running
    // (stuck in a loop, or in an accept() that keeps the port busy). On
    // Unix, the command gets a process group of its own, which everything
    // it starts joins: the group can then be stopped as a whole.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Read both pipes on their own threads: a full pipe would block cargo.
    let stdout = collect(child.stdout.take());
    let stderr = collect(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        let interrupted = INTERRUPTED.load(Ordering::SeqCst);
        if interrupted || start.elapsed() > limit {
            stop(&mut child);
            // A process that left the group (rare) may still hold the
            // pipes open: their threads are left behind, not waited for.
            return Ok(Outcome {
                passed: false,
                timed_out: !interrupted,
                interrupted,
                output: String::new(),
            });
        }
        thread::sleep(Duration::from_millis(50));
    };
    let mut output = stdout.join().unwrap_or_default();
    output.push_str(&stderr.join().unwrap_or_default());
    Ok(Outcome {
        passed: status.success(),
        timed_out: false,
        interrupted: false,
        output,
    })
}

/// Stops `child` and, on Unix, its whole process group: every process it
/// started too.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    {
        // `kill -s KILL -- -N` (a minus before the number) signals every
        // process of group N; the group has the number of its first
        // process, `child`, which is not collected yet, so that number
        // cannot have been given to another process.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    // Also directly: this is all there is off Unix, and it still stops
    // cargo if the `kill` program is missing.
    let _ = child.kill();
    let _ = child.wait();
}

/// Set when the student presses Ctrl-C (see [`watch_ctrl_c`]).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C stop the `cargo test` that is running, then the guide.
///
/// Ctrl-C signals the terminal's *foreground* process group. `cargo test`
/// runs in a group of its own (see [`run_with_limit`]), so it would not get
/// it: the guide would end, leaving a stuck test program running. So the
/// guide catches Ctrl-C (with tokio, already a dependency: catching a
/// signal by hand needs `unsafe` code) and [`run_with_limit`] stops the
/// group before the guide ends.
#[cfg(unix)]
fn watch_ctrl_c() {
    thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        // If Ctrl-C cannot be caught, it keeps its usual effect.
        if let Ok(runtime) = runtime {
            if runtime.block_on(tokio::signal::ctrl_c()).is_ok() {
                INTERRUPTED.store(true, Ordering::SeqCst);
            }
        }
    });
}

/// Reads `pipe` to its end on a thread.
fn collect(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The first compiler error, shortened.
fn compile_errors(output: &str) -> Vec<&str> {
    let start = output
        .lines()
        .position(|l| l.starts_with("error"))
        .unwrap_or(0);
    output.lines().skip(start).take(25).collect()
}

/// The failing tests and their messages, without repeats, at most a few.
fn failures(output: &str) -> Vec<String> {
    let mut shown = Vec::new();
    let mut lines = output.lines().peekable();
    while let Some(line) = lines.next() {
        // "thread 'test_name' (123) panicked at file:line:col:" then the message.
        let Some(rest) = line.strip_prefix("thread '") else {
            continue;
        };
        if !line.contains("panicked at") {
            continue;
        }
        let who = rest.split('\'').next().unwrap_or("?");
        let mut message = Vec::new();
        while let Some(next) = lines.peek() {
            if next.is_empty() || next.starts_with("note:") || next.starts_with("thread '") {
                break;
            }
            message.push(next.trim().to_string());
            lines.next();
        }
        let who = if who == "<unnamed>" {
            "(another thread)"
        } else {
            who
        };
        let entry = format!("{who}: {}", message.join(" "));
        if !shown.contains(&entry) {
            shown.push(entry);
        }
    }
    let mut out: Vec<String> = shown.into_iter().take(8).collect();
    if out.is_empty() {
        // No panic message (a crash, a time-out of the whole run…): the tail.
        let all: Vec<&str> = output.lines().collect();
        out = all[all.len().saturating_sub(20)..]
            .iter()
            .map(|l| l.to_string())
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_a_request_and_a_wrong_argument_a_mistake() {
        let parse = |words: &[&str]| parse_args(words.iter().map(|w| w.to_string()));
        for help in [&["--help"][..], &["-h"], &["6", "--help"]] {
            assert!(matches!(parse(help), Ok(Request::Help)), "{help:?}");
        }
        assert!(matches!(parse(&["--list"]), Ok(Request::Run(o)) if o.list));
        // `cargo guide -- 6`: the `--` typed out of habit is no mistake.
        assert!(matches!(parse(&["--", "6"]), Ok(Request::Run(o)) if o.only == Some(6)));
        assert_eq!(parse(&["--bogus"]).err().as_deref(), Some("--bogus"));
        assert!(parse(&["13"]).is_err());
    }

    #[test]
    fn the_command_to_run_again_is_the_one_that_ran() {
        let options = |solutions, only| Options {
            list: false,
            solutions,
            only,
        };
        assert_eq!(
            guide_command(Lang::French, &options(false, None)),
            "cargo guide"
        );
        assert_eq!(
            guide_command(Lang::English, &options(true, Some(6))),
            "cargo guide --lang en --solutions 6"
        );
    }

    /// Both languages have every sentence, with the same placeholders: a
    /// `{file}` missing from one would show the student a sentence without
    /// its file.
    #[test]
    fn french_and_english_say_the_same_things() {
        let pairs = [
            (FR.first_error_at, EN.first_error_at),
            (FR.fix_line, EN.fix_line),
            (FR.fix, EN.fix),
            (FR.more_errors, EN.more_errors),
            (FR.file_of, EN.file_of),
            (FR.too_long, EN.too_long),
            (FR.unknown_argument, EN.unknown_argument),
            (FR.no_cargo, EN.no_cargo),
        ];
        let placeholders = |text: &str| {
            let mut found: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
                .collect();
            found.sort();
            found
        };
        for (fr, en) in pairs {
            assert!(!fr.is_empty() && !en.is_empty());
            assert_eq!(placeholders(fr), placeholders(en), "{fr} / {en}");
        }
    }

    #[test]
    fn every_exercise_has_its_files_and_both_sheets() {
        let crate_dir = exercises_dir();
        let docs = crate_dir.join("../docs");
        for ex in EXERCISES {
            for path in [
                crate_dir.join(format!("src/{}.rs", ex.test)),
                crate_dir.join(format!("src/solutions/{}.rs", ex.test)),
                crate_dir.join(format!("tests/{}.rs", ex.test)),
                docs.join("exercices").join(ex.sheet),
                docs.join("exercises").join(ex.sheet),
            ] {
                assert!(path.is_file(), "{} is missing", path.display());
            }
        }
    }

    /// The guide's "try it by hand" line is the sheet's, in both
    /// languages: `play -- 1` alone classifies no port at all.
    #[test]
    fn the_by_hand_command_is_the_sheet_s() {
        let docs = exercises_dir().join("../docs");
        for ex in EXERCISES {
            let command = format!("`{}`", play_command(ex, Lang::French));
            assert_eq!(
                play_command(ex, Lang::English),
                format!("{} --lang en", play_command(ex, Lang::French))
            );
            for dir in ["exercices", "exercises"] {
                let sheet = std::fs::read_to_string(docs.join(dir).join(ex.sheet)).unwrap();
                assert!(sheet.contains(&command), "{dir}/{}: {command}", ex.sheet);
            }
        }
    }

    /// The guide must run when the exercises do not compile: depending on
    /// the `exercises` package would make Cargo build it first, and stop
    /// there with rustc's errors.
    #[test]
    fn the_guide_does_not_depend_on_the_exercises() {
        let manifest =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
        let mut section = "";
        for line in manifest.lines().map(str::trim) {
            if line.starts_with('[') {
                section = line;
            } else if section.contains("dependencies") && !line.starts_with('#') {
                assert!(!line.starts_with("exercises"), "{section} {line}");
            }
        }
    }

    #[test]
    fn every_test_file_is_in_the_guide() {
        let tests = exercises_dir().join("tests");
        let mut files: Vec<String> = std::fs::read_dir(tests)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|name| name.strip_suffix(".rs").map(str::to_string))
            .collect();
        files.sort();
        let listed: Vec<String> = EXERCISES.iter().map(|ex| ex.test.to_string()).collect();
        assert_eq!(
            files, listed,
            "the guide must list every exercise, in order"
        );
    }

    #[test]
    fn failures_keep_each_message_once() {
        let output = "\
running 2 tests
thread 'reads_time' (42) panicked at tests/ex03.rs:10:5:
assertion `left == right` failed
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1`

thread '<unnamed>' (43) panicked at src/ex03.rs:3:5:
not yet implemented
thread '<unnamed>' (44) panicked at src/ex03.rs:3:5:
not yet implemented
";
        assert_eq!(
            failures(output),
            [
                "reads_time: assertion `left == right` failed left: 1 right: 2",
                "(another thread): not yet implemented",
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_command_that_never_ends_is_stopped() {
        let mut command = Command::new("sleep");
        command.arg("60");
        let start = Instant::now();
        let outcome = run_with_limit(command, Duration::from_millis(300)).unwrap();
        assert!(outcome.timed_out && !outcome.passed);
        assert!(start.elapsed() < Duration::from_secs(10), "not stopped");
    }

    /// Whether process `pid` still runs. A killed process whose parent is
    /// gone waits (as a "zombie", state Z) until PID 1 collects it, which
    /// some containers' PID 1 never does: a zombie runs no more, so it
    /// counts as stopped.
    #[cfg(target_os = "linux")]
    fn still_runs(pid: u32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // "PID (name) STATE …": the state follows the name's ')'.
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
            Err(_) => false,
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_stopped_command_takes_what_it_started_with_it() {
        // `sh` starts a grandchild (like cargo starting a test program that
        // never ends) and writes its pid to a file: at the time limit the
        // guide must stop both, not only the process it started itself.
        let pid_file = std::env::temp_dir().join(format!(
            "netlab-guide-grandchild-{}.pid",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&pid_file);
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "sleep 300 & echo $! > \"$1\"; wait",
            "sh",
            pid_file.to_str().unwrap(),
        ]);
        // The limit leaves `sh` time to write the file even on a busy machine.
        let outcome = run_with_limit(command, Duration::from_secs(3)).unwrap();
        assert!(outcome.timed_out && !outcome.passed);
        let text = std::fs::read_to_string(&pid_file).expect("sh wrote the grandchild's pid");
        let _ = std::fs::remove_file(&pid_file);
        let grandchild: u32 = text.trim().parse().unwrap();
        // A SIGKILL takes effect at once, but give the kernel a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        while still_runs(grandchild) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        let left = still_runs(grandchild);
        if left {
            // Do not leave it behind for 300 s when the test fails.
            let _ = Command::new("kill")
                .args(["-s", "KILL", &grandchild.to_string()])
                .status();
        }
        assert!(!left, "the grandchild {grandchild} still runs");
    }

    #[cfg(unix)]
    #[test]
    fn a_quick_command_gives_its_output() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo out; echo err >&2; exit 3"]);
        let outcome = run_with_limit(command, Duration::from_secs(30)).unwrap();
        assert!(!outcome.passed && !outcome.timed_out);
        assert_eq!(outcome.output, "out\nerr\n");
    }

    #[test]
    fn without_a_panic_the_tail_is_shown() {
        let output = "error: test failed, to rerun pass `--test ex01_ports`\n";
        assert_eq!(
            failures(output),
            ["error: test failed, to rerun pass `--test ex01_ports`"]
        );
    }
}
