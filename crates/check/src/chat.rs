//! # Checking a chat/1 server
//!
//! chat/1 is normative (see `docs/protocols/chat.md`): any server that
//! follows it works with `chat-client`, with `nc`, and with every
//! classmate's client. Each rule here is one clause of it, checked with one
//! or two real connections:
//!
//! - the greeting: `HELLO …` first, before the client says anything;
//! - registering: `NICK` → `OK NICK`, invalid or taken names → `ERR`;
//! - the room: `JOIN`, `MSG` to everyone *including the sender*, `PRIV`,
//!   `LIST` sorted ignoring case, `QUIT` → `BYE` and `LEAVE`, a dropped socket → `LEAVE`;
//! - robustness: unknown verbs, lower-case verbs, CRLF, a line over 1024
//!   bytes, control characters — each answered, and the connection lives on.
//!
//! The server may be a live class server with other people chatting: every
//! nickname is made unique for this run, and lines about other people
//! (their `JOIN`, `MSG`, …) are skipped while waiting for an answer.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use codec::chat::{MAX_LINE, MAX_SERVER_LINE, strip_controls};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::io::{ReadHalf, WriteHalf};
use tokio::time::{Instant, timeout_at};

use crate::report::{Outcome, Report, Text, Verdict, count_en, count_fr};
use crate::wire::{self, secs, show};
use crate::{Options, Target, text};

/// Verbs a server sends about *other* people, at any moment: skipped while
/// waiting for the answer to our own command.
const ABOUT_OTHERS: [&str; 5] = ["JOIN", "LEAVE", "NICK", "MSG", "PRIV"];

/// Runs every chat/1 rule.
pub async fn check(target: &Target, opts: &Options, report: &mut Report) {
    let mut ctx = Ctx {
        target: target.clone(),
        opts: opts.clone(),
        greets: true,
        run: run_id(),
        count: AtomicUsize::new(0),
    };
    let hello = hello(&mut ctx).await;
    report.record(
        "chat.hello",
        text!(
            "Le serveur parle en premier : sa 1re ligne est HELLO …",
            "The server speaks first: its first line is HELLO …"
        ),
        hello,
    );
    report.record(
        "chat.nick",
        text!(
            "NICK <nom> → OK NICK <nom>.",
            "NICK <name> → OK NICK <name>."
        ),
        nick(&ctx).await,
    );
    report.record(
        "chat.nick-invalid",
        text!(
            "Un pseudo invalide (caractère interdit, plus de 16) → ERR, et la connexion reste ouverte.",
            "An invalid nickname (forbidden character, over 16) → ERR, and the connection stays open."
        ),
        nick_invalid(&ctx).await,
    );
    report.record(
        "chat.nick-taken",
        text!(
            "Un pseudo déjà pris, même avec d'autres majuscules → ERR.",
            "A nickname already taken, even in another case → ERR."
        ),
        nick_taken(&ctx).await,
    );
    report.record(
        "chat.before-nick",
        text!(
            "MSG avant NICK → ERR, et la connexion reste ouverte.",
            "MSG before NICK → ERR, and the connection stays open."
        ),
        before_nick(&ctx).await,
    );
    report.record(
        "chat.bad-input",
        text!(
            "NICK sans nom, MSG sans texte, une ligne qui n'est pas de l'UTF-8 → ERR chacun, et la connexion reste ouverte.",
            "NICK without a name, MSG without a text, a line that is not UTF-8 → ERR each, and the connection stays open."
        ),
        bad_input(&ctx).await,
    );
    report.record(
        "chat.join",
        text!(
            "Quand un 2e client prend un pseudo, le 1er reçoit JOIN <pseudo>.",
            "When a second client takes a nickname, the first gets JOIN <nick>."
        ),
        join(&ctx).await,
    );
    report.record(
        "chat.rename",
        text!(
            "Changer de pseudo : OK NICK <nouveau>, et les autres reçoivent NICK <ancien> <nouveau>.",
            "Changing nickname: OK NICK <new>, and the others get NICK <old> <new>."
        ),
        rename(&ctx).await,
    );
    report.record(
        "chat.msg",
        text!(
            "MSG <texte> arrive à chaque client inscrit, l'expéditeur compris, sous la forme MSG <pseudo> <texte> ; pas aux clients sans pseudo.",
            "MSG <text> reaches every registered client, the sender included, as MSG <nick> <text>; not clients without a nickname."
        ),
        msg(&ctx).await,
    );
    report.record(
        "chat.priv",
        text!(
            "PRIV <pseudo> <texte> : le destinataire, et lui seul, reçoit PRIV <de> <texte> ; l'expéditeur OK PRIV <pseudo>.",
            "PRIV <nick> <text>: the target, and nobody else, gets PRIV <from> <text>; the sender OK PRIV <nick>."
        ),
        private(&ctx).await,
    );
    report.record(
        "chat.list",
        text!(
            "LIST → USERS suivi des pseudos inscrits, triés sans tenir compte des majuscules.",
            "LIST → USERS followed by the registered nicknames, sorted ignoring case."
        ),
        list(&ctx).await,
    );
    report.record(
        "chat.ping",
        text!(
            "PING <jeton> → PONG <jeton>, même avant NICK ; PING seul → PONG.",
            "PING <token> → PONG <token>, even before NICK; PING alone → PONG."
        ),
        ping(&ctx).await,
    );
    report.record(
        "chat.help",
        text!(
            "HELP → une ligne OK … qui liste les verbes.",
            "HELP → one OK … line listing the verbs."
        ),
        help(&ctx).await,
    );
    report.record(
        "chat.unknown",
        text!(
            "Un verbe inconnu → ERR, et la connexion reste ouverte.",
            "An unknown verb → ERR, and the connection stays open."
        ),
        unknown(&ctx).await,
    );
    report.record(
        "chat.case",
        text!(
            "Les verbes sont acceptés en minuscules (nick, ping) ; le serveur répond en MAJUSCULES.",
            "Verbs are accepted in lower case (nick, ping); the server answers in UPPER case."
        ),
        case(&ctx).await,
    );
    report.record(
        "chat.crlf",
        text!(
            "Les lignes terminées par CRLF (telnet, Windows) sont comprises : le CR est retiré.",
            "Lines ending in CRLF (telnet, Windows) are understood: the CR is dropped."
        ),
        crlf(&ctx).await,
    );
    report.record(
        "chat.long-line",
        text!(
            "Une ligne de 1024 octets est acceptée, une de 1025 → ERR, et la ligne suivante est lue normalement.",
            "A 1024-byte line is accepted, a 1025-byte one → ERR, and the next line is read normally."
        ),
        long_line(&ctx).await,
    );
    report.record(
        "chat.controls",
        text!(
            "Les caractères de contrôle (ESC, BEL, …) sont retirés du texte relayé.",
            "Control characters (ESC, BEL, …) are removed from relayed text."
        ),
        controls(&ctx).await,
    );
    report.record(
        "chat.quit",
        text!(
            "QUIT → BYE puis fermeture ; les autres reçoivent LEAVE <pseudo> (aussi quand la connexion est coupée sans QUIT).",
            "QUIT → BYE then close; the others get LEAVE <nick> (also when the connection is dropped without QUIT)."
        ),
        quit(&ctx).await,
    );
}

/// What every rule shares: where the server is, and what we learnt.
struct Ctx {
    target: Target,
    opts: Options,
    /// Does the server send a first line? When `chat.hello` found none,
    /// later connections do not wait for one (that would only add time-outs).
    greets: bool,
    /// A few random characters, different on every run.
    run: String,
    /// Nicknames made so far.
    count: AtomicUsize,
}

impl Ctx {
    /// A fresh nickname: `pc` + this run's id + a number + a letter, e.g.
    /// `pck3x9q07a` — unique on a class server where others are chatting.
    fn nick(&self, letter: char) -> String {
        let n = self.count.fetch_add(1, Ordering::Relaxed);
        format!("pc{}{n:02}{letter}", self.run)
    }

    /// A connected client, its greeting (if any) already read.
    async fn client(&self) -> Result<Client, Text> {
        let stream = wire::connect(&self.target, &self.opts).await?;
        let (reader, writer) = wire::split(stream);
        let mut client = Client {
            reader: BufReader::new(reader),
            writer,
            timeout: self.opts.timeout,
            nick: String::new(),
        };
        if self.greets {
            client.next_line(self.opts.timeout).await?;
        }
        Ok(client)
    }

    /// A connected client with the nickname `NICK` gave it.
    async fn registered(&self, letter: char) -> Result<Client, Text> {
        self.registered_as(self.nick(letter)).await
    }

    /// A connected client with the nickname `nick`.
    async fn registered_as(&self, nick: String) -> Result<Client, Text> {
        let mut client = self.client().await?;
        client.send(&format!("NICK {nick}")).await?;
        let wanted = format!("OK NICK {nick}");
        let got = client.reply().await?;
        if got != wanted {
            if got.eq_ignore_ascii_case(&wanted) {
                let why = upper_case_verbs(&got);
                let (fr, en) = (&why.fr, &why.en);
                return Err(text!(
                    "préparation impossible (NICK) : {fr}",
                    "cannot prepare (NICK): {en}"
                ));
            }
            let got = show(got.as_bytes());
            return Err(text!(
                "préparation impossible : « NICK {nick} » a reçu {got} au lieu de « {wanted} »",
                "cannot prepare: \"NICK {nick}\" got {got} instead of \"{wanted}\""
            ));
        }
        client.nick = nick;
        Ok(client)
    }
}

/// Five base-36 characters from the process's random hash keys and the clock.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut x = RandomState::new().hash_one((nanos, std::process::id()));
    (0..5)
        .map(|_| {
            let c = b"abcdefghijklmnopqrstuvwxyz0123456789"[(x % 36) as usize];
            x /= 36;
            c as char
        })
        .collect()
}

/// Lines about other people skipped while waiting for an answer: when the
/// answer never comes, they may be why (a server that answers `NICK bob`
/// with the broadcast `NICK bob` instead of `OK NICK bob`).
#[derive(Default)]
struct Skipped {
    count: usize,
    first: Option<String>,
}

impl Skipped {
    fn add(&mut self, line: String) {
        self.count += 1;
        self.first.get_or_insert(line);
    }

    /// ` (3 lignes sur d'autres clients ignorées, dont "JOIN bob")`, or nothing.
    fn describe(&self) -> Text {
        let Some(first) = &self.first else {
            return text!("", "");
        };
        let (n, first) = (self.count, show(first.as_bytes()));
        let (lines_fr, lines_en) = (count_fr(n, "ligne", "lignes"), count_en(n, "line", "lines"));
        let skipped_fr = if n <= 1 { "ignorée" } else { "ignorées" };
        text!(
            " ({lines_fr} sur d'autres clients {skipped_fr}, dont {first})",
            " ({lines_en} about other clients skipped, such as {first})"
        )
    }
}

/// One line from the server, or why there was none.
enum Line {
    Text(String),
    Closed,
    Silent,
}

/// One connection to the server under test, reading line by line.
struct Client {
    reader: BufReader<ReadHalf<wire::Conn>>,
    writer: WriteHalf<wire::Conn>,
    timeout: Duration,
    nick: String,
}

impl Client {
    /// Sends one line, ending in LF.
    async fn send(&mut self, line: &str) -> Result<(), Text> {
        self.send_raw(format!("{line}\n").as_bytes()).await
    }

    /// Sends bytes as they are (for CRLF and long lines).
    async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), Text> {
        wire::write_all(&mut self.writer, bytes, self.timeout).await
    }

    /// The next line (without LF, and without a CR before it), waiting at
    /// most `wait`. A line longer than the protocol allows is an error.
    async fn next_line(&mut self, wait: Duration) -> Result<Line, Text> {
        let deadline = Instant::now() + wait;
        let mut raw = Vec::new();
        let limit = (MAX_SERVER_LINE + 2) as u64;
        let mut bounded = (&mut self.reader).take(limit);
        let read = bounded.read_until(b'\n', &mut raw);
        match timeout_at(deadline, read).await {
            Err(_) if raw.is_empty() => Ok(Line::Silent),
            // Part of a line came, and then nothing more: the line never
            // ended. Not "nothing received": say what did arrive.
            Err(_) => {
                let (n, got, wait) = (raw.len(), show(&raw), secs(wait));
                Err(text!(
                    "le serveur a envoyé {n} octets ({got}) sans finir la ligne par LF en {wait} : chaque ligne chat/1 se termine par \\n",
                    "the server sent {n} bytes ({got}) without ending the line with LF within {wait}: every chat/1 line ends with \\n"
                ))
            }
            Ok(Err(e)) => Err(crate::report::explain(&netkit::NetError::io(
                "reading from the server",
                e,
            ))),
            Ok(Ok(0)) => Ok(Line::Closed),
            Ok(Ok(_)) if !raw.ends_with(b"\n") && raw.len() as u64 >= limit => {
                let n = MAX_SERVER_LINE;
                Err(text!(
                    "le serveur a envoyé une ligne de plus de {n} octets",
                    "the server sent a line longer than {n} bytes"
                ))
            }
            Ok(Ok(_)) if !raw.ends_with(b"\n") => Ok(Line::Closed),
            Ok(Ok(_)) => {
                raw.pop();
                if raw.ends_with(b"\r") {
                    raw.pop();
                }
                if let Some(hint) = wire::web_server_hint(&raw) {
                    let got = show(&raw);
                    let (fr, en) = (&hint.fr, &hint.en);
                    return Err(text!(
                        "le serveur a répondu {got} au lieu d'une ligne chat/1 : {fr}",
                        "the server answered {got} instead of a chat/1 line: {en}"
                    ));
                }
                match String::from_utf8(raw) {
                    Ok(line) => Ok(Line::Text(line)),
                    Err(e) => {
                        let got = show(e.as_bytes());
                        Err(text!(
                            "le serveur a envoyé une ligne qui n'est pas de l'UTF-8 : {got}",
                            "the server sent a line that is not UTF-8: {got}"
                        ))
                    }
                }
            }
        }
    }

    /// The answer to our own command: the next line that is not about
    /// other people.
    async fn reply(&mut self) -> Result<String, Text> {
        let deadline = Instant::now() + self.timeout;
        let mut skipped = Skipped::default();
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            // Checked here, not only by the read's time-out: a server that
            // floods lines always has one ready, and a read that is ready
            // at once never times out.
            let line = if wait.is_zero() {
                Line::Silent
            } else {
                self.next_line(wait).await?
            };
            match line {
                Line::Text(line) if about_others(&line) => skipped.add(line),
                Line::Text(line) => return Ok(line),
                Line::Closed => {
                    return Err(text!(
                        "le serveur a fermé la connexion au lieu de répondre",
                        "the server closed the connection instead of answering"
                    ));
                }
                Line::Silent => {
                    let wait = secs(self.timeout);
                    let others = skipped.describe();
                    let (fr, en) = (&others.fr, &others.en);
                    return Err(text!(
                        "aucune réponse en {wait}{fr}",
                        "no answer within {wait}{en}"
                    ));
                }
            }
        }
    }

    /// Waits for the line `wanted` exactly, skipping the others; when it
    /// does not come, says what came instead.
    async fn expect(&mut self, wanted: &str) -> Result<(), Text> {
        self.expect_after(wanted).await.map(drop)
    }

    /// [`Client::expect`], returning the lines skipped before `wanted`
    /// (the first 64).
    async fn expect_after(&mut self, wanted: &str) -> Result<Vec<String>, Text> {
        let deadline = Instant::now() + self.timeout;
        let mut seen: Vec<String> = Vec::new();
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            // As in `reply`: a flood of lines must not outlast the deadline.
            let line = if wait.is_zero() {
                Line::Silent
            } else {
                self.next_line(wait).await?
            };
            match line {
                Line::Text(line) if line == wanted => return Ok(seen),
                Line::Text(line) if line.eq_ignore_ascii_case(wanted) => {
                    return Err(upper_case_verbs(&line));
                }
                Line::Text(line) => {
                    // Kept for the callers that look for a line that
                    // should not have come (a class server's chatter may
                    // come first); bounded, and only 5 are ever shown.
                    if seen.len() < 64 {
                        seen.push(line);
                    }
                }
                Line::Closed | Line::Silent => {
                    let how = if matches!(line, Line::Closed) {
                        text!(
                            "le serveur a fermé la connexion",
                            "the server closed the connection"
                        )
                    } else {
                        let wait = secs(self.timeout);
                        text!("rien reçu pendant {wait}", "nothing for {wait}")
                    };
                    let (how_fr, how_en) = (&how.fr, &how.en);
                    let got = if seen.is_empty() {
                        String::new()
                    } else {
                        let lines: Vec<String> =
                            seen.iter().take(5).map(|l| show(l.as_bytes())).collect();
                        format!(" ({})", lines.join(", "))
                    };
                    let who = &self.nick;
                    return Err(text!(
                        "{who} attendait « {wanted} » : {how_fr}{got}",
                        "{who} waited for \"{wanted}\": {how_en}{got}"
                    ));
                }
            }
        }
    }

    /// Sends `line` and expects the exact answer `wanted`.
    async fn ask(&mut self, line: &str, wanted: &str) -> Result<(), Text> {
        self.send(line).await?;
        let got = self.reply().await.map_err(|why| context(line, &why))?;
        if got == wanted {
            return Ok(());
        }
        if got.eq_ignore_ascii_case(wanted) {
            return Err(upper_case_verbs(&got));
        }
        let shown = show(got.as_bytes());
        Err(text!(
            "« {line} » a reçu {shown} au lieu de « {wanted} »",
            "\"{line}\" got {shown} instead of \"{wanted}\""
        ))
    }

    /// Sends `line` and expects an `ERR …` answer.
    async fn refused(&mut self, line: &str) -> Result<(), Text> {
        let shown_line = show(line.as_bytes());
        let sent = if line.len() > 40 {
            let n = line.len();
            text!("la ligne de {n} octets", "the {n}-byte line")
        } else {
            text!("{shown_line}", "{shown_line}")
        };
        self.send(line).await?;
        let got = self.reply().await.map_err(|why| {
            let (fr, en, sent_fr, sent_en) = (&why.fr, &why.en, &sent.fr, &sent.en);
            text!(
                "{sent_fr} devait recevoir ERR : {fr}",
                "{sent_en} should get ERR: {en}"
            )
        })?;
        if verb(&got) == "ERR" {
            return Ok(());
        }
        if verb(&got).eq_ignore_ascii_case("ERR") {
            return Err(upper_case_verbs(&got));
        }
        let shown = show(got.as_bytes());
        let (sent_fr, sent_en) = (&sent.fr, &sent.en);
        Err(text!(
            "{sent_fr} devait recevoir ERR <raison>, reçu {shown}",
            "{sent_en} should get ERR <reason>, got {shown}"
        ))
    }

    /// Checks the connection is still open and working: PING → PONG.
    async fn still_open(&mut self, after: &str) -> Result<(), Text> {
        let token = "encore-la";
        self.ask(&format!("PING {token}"), &format!("PONG {token}"))
            .await
            .map_err(|why| {
                let (fr, en) = (&why.fr, &why.en);
                text!(
                    "après {after}, la connexion devait rester ouverte et utilisable : {fr}",
                    "after {after}, the connection should stay open and usable: {en}"
                )
            })
    }
}

/// The verb of a line, as sent.
fn verb(line: &str) -> &str {
    line.split(' ').next().unwrap_or_default()
}

fn about_others(line: &str) -> bool {
    let v = verb(line);
    ABOUT_OTHERS.iter().any(|o| o.eq_ignore_ascii_case(v))
}

fn upper_case_verbs(got: &str) -> Text {
    let shown = show(got.as_bytes());
    text!(
        "reçu {shown} : le serveur doit écrire les verbes en MAJUSCULES",
        "got {shown}: the server must write verbs in UPPER case"
    )
}

fn context(line: &str, why: &Text) -> Text {
    let (fr, en) = (&why.fr, &why.en);
    text!("« {line} » : {fr}", "\"{line}\": {en}")
}

async fn hello(ctx: &mut Ctx) -> Outcome {
    let stream = wire::connect(&ctx.target, &ctx.opts).await?;
    let (reader, writer) = wire::split(stream);
    let mut client = Client {
        reader: BufReader::new(reader),
        writer,
        timeout: ctx.opts.timeout,
        nick: String::new(),
    };
    let line = client.next_line(ctx.opts.timeout).await?;
    ctx.greets = matches!(line, Line::Text(_));
    match line {
        Line::Text(l) if l == "HELLO" || l.starts_with("HELLO ") => Ok(Verdict::Pass),
        Line::Text(l) if verb(&l).eq_ignore_ascii_case("HELLO") => Err(upper_case_verbs(&l)),
        Line::Text(l) => {
            let shown = show(l.as_bytes());
            Err(text!(
                "la 1re ligne est {shown} : elle doit commencer par HELLO",
                "the first line is {shown}: it must start with HELLO"
            ))
        }
        Line::Closed => Err(text!(
            "le serveur a fermé la connexion sans rien envoyer",
            "the server closed the connection without sending anything"
        )),
        Line::Silent => {
            let wait = secs(ctx.opts.timeout);
            Err(text!(
                "rien reçu en {wait} : dès la connexion, avant que le client n'écrive, le serveur doit envoyer HELLO <texte>",
                "nothing received within {wait}: as soon as the client connects, before it writes anything, the server must send HELLO <text>"
            ))
        }
    }
}

async fn nick(ctx: &Ctx) -> Outcome {
    let mut a = ctx.client().await?;
    let name = ctx.nick('a');
    a.ask(&format!("NICK {name}"), &format!("OK NICK {name}"))
        .await?;
    Ok(Verdict::Pass)
}

async fn nick_invalid(ctx: &Ctx) -> Outcome {
    let mut a = ctx.client().await?;
    a.refused("NICK bad!nick").await?;
    let too_long = format!("{}{}", ctx.nick('x'), "x".repeat(16));
    a.refused(&format!("NICK {too_long}")).await?;
    a.still_open("NICK bad!nick").await?;
    Ok(Verdict::Pass)
}

async fn nick_taken(ctx: &Ctx) -> Outcome {
    let a = ctx.registered('a').await?;
    let mut b = ctx.client().await?;
    b.refused(&format!("NICK {}", a.nick.to_ascii_uppercase()))
        .await?;
    b.still_open("NICK").await?;
    Ok(Verdict::Pass)
}

async fn before_nick(ctx: &Ctx) -> Outcome {
    let mut a = ctx.client().await?;
    a.refused("MSG hello before nick").await?;
    a.still_open("MSG").await?;
    Ok(Verdict::Pass)
}

async fn bad_input(ctx: &Ctx) -> Outcome {
    let mut a = ctx.registered('a').await?;
    a.refused("NICK").await?;
    a.refused("MSG").await?;
    a.refused("MSG ").await?;
    // "caf\xe9": Latin-1, as an old Windows program would send it.
    a.send_raw(b"MSG caf\xe9\n").await?;
    let got = a
        .reply()
        .await
        .map_err(|why| context("MSG caf\\xe9", &why))?;
    if verb(&got) != "ERR" {
        let shown = show(got.as_bytes());
        return Err(text!(
            "une ligne qui n'est pas de l'UTF-8 (« MSG caf\\xe9 », du Latin-1) devait recevoir ERR, reçu {shown}",
            "a line that is not UTF-8 (\"MSG caf\\xe9\", Latin-1) should get ERR, got {shown}"
        ));
    }
    a.still_open("ERR").await?;
    Ok(Verdict::Pass)
}

async fn rename(ctx: &Ctx) -> Outcome {
    let mut a = ctx.registered('a').await?;
    let mut b = ctx.registered('b').await?;
    let new = ctx.nick('n');
    b.ask(&format!("NICK {new}"), &format!("OK NICK {new}"))
        .await?;
    a.expect(&format!("NICK {} {new}", b.nick)).await?;
    Ok(Verdict::Pass)
}

async fn help(ctx: &Ctx) -> Outcome {
    let mut a = ctx.client().await?;
    a.send("HELP").await?;
    let got = a.reply().await.map_err(|why| context("HELP", &why))?;
    match verb(&got) {
        "OK" => Ok(Verdict::Pass),
        v if v.eq_ignore_ascii_case("OK") => Err(upper_case_verbs(&got)),
        _ => {
            let shown = show(got.as_bytes());
            Err(text!(
                "« HELP » a reçu {shown} au lieu d'une ligne « OK … »",
                "\"HELP\" got {shown} instead of an \"OK …\" line"
            ))
        }
    }
}

async fn join(ctx: &Ctx) -> Outcome {
    let mut a = ctx.registered('a').await?;
    let b = ctx.registered('b').await?;
    a.expect(&format!("JOIN {}", b.nick)).await?;
    Ok(Verdict::Pass)
}

async fn msg(ctx: &Ctx) -> Outcome {
    // Connected first and never registered: not in the room, so it must
    // get neither the JOIN of a and b nor the MSG.
    let mut outsider = ctx.client().await?;
    let mut a = ctx.registered('a').await?;
    let mut b = ctx.registered('b').await?;
    let words = format!("hello everyone, run {}", ctx.run);
    a.send(&format!("MSG {words}")).await?;
    let wanted = format!("MSG {} {words}", a.nick);
    b.expect(&wanted).await?;
    a.expect(&wanted).await.map_err(|why| {
        let (fr, en) = (&why.fr, &why.en);
        text!(
            "l'expéditeur doit recevoir son propre message lui aussi (« à tout le monde, expéditeur compris ») : {fr}",
            "the sender must receive its own message too (\"to everyone, sender included\"): {en}"
        )
    })?;
    // The room's lines were written before the server read the outsider's
    // PING (for a server that handles a's MSG in one go, as it must to
    // keep one order for everyone): any of them comes before the PONG.
    let token = format!("outside-{}", ctx.run);
    outsider.send(&format!("PING {token}")).await?;
    let before = outsider.expect_after(&format!("PONG {token}")).await?;
    let ours = [&a.nick, &b.nick];
    if let Some(line) = before.iter().find(|l| {
        l.split(' ')
            .nth(1)
            .is_some_and(|who| ours.contains(&&who.to_string()))
            && matches!(verb(l), "MSG" | "JOIN")
    }) {
        let shown = show(line.as_bytes());
        return Err(text!(
            "un client sans pseudo a reçu {shown} : seuls les clients qui ont choisi un pseudo (NICK) sont dans le salon et reçoivent ses messages",
            "a client without a nickname got {shown}: only clients that chose a nickname (NICK) are in the room and get its messages"
        ));
    }
    Ok(Verdict::Pass)
}

async fn private(ctx: &Ctx) -> Outcome {
    let mut a = ctx.registered('a').await?;
    let mut b = ctx.registered('b').await?;
    let mut c = ctx.registered('c').await?;
    let words = "just for you";
    a.ask(
        &format!("PRIV {} {words}", b.nick),
        &format!("OK PRIV {}", b.nick),
    )
    .await?;
    let private = format!("PRIV {} {words}", a.nick);
    b.expect(&private).await?;
    // "The target only": a's commands are handled in the order sent, so a
    // private line that reached someone else comes before what a's next
    // commands bring: c gets a's MSG, a gets PONG for its PING (a's own
    // copy of the MSG is another rule's business). Those mark the end of
    // the wait; nothing that may never come is waited for.
    let token = format!("after-priv-{}", ctx.run);
    a.send(&format!("MSG {token}")).await?;
    a.send(&format!("PING {token}")).await?;
    let (to_c, to_a) = (format!("MSG {} {token}", a.nick), format!("PONG {token}"));
    for (who, marker) in [(&mut c, &to_c), (&mut a, &to_a)] {
        let before = who.expect_after(marker).await?;
        if before.contains(&private) {
            let (me, target) = (&who.nick, &b.nick);
            return Err(text!(
                "{me}, qui n'est pas le destinataire, a reçu « {private} » : un PRIV ne va qu'à son destinataire ({target}) ; l'expéditeur reçoit seulement OK PRIV",
                "{me}, who is not its target, got \"{private}\": a PRIV goes to its target only ({target}); the sender gets only OK PRIV"
            ));
        }
    }
    Ok(Verdict::Pass)
}

async fn list(ctx: &Ctx) -> Outcome {
    // Three nicknames in three different orders: arrival `pc…b`, `PC…c`,
    // `pc…a`; ignoring case, as chat/1 sorts, `pc…a pc…b PC…c`; byte by
    // byte (upper case before lower case, `Z` before `a`), `PC…c pc…a
    // pc…b`. Each mistake gets its own reason.
    let n = ctx.count.fetch_add(1, Ordering::Relaxed);
    let run = &ctx.run;
    let a = ctx.registered_as(format!("pc{run}{n:02}b")).await?;
    let c = ctx.registered_as(format!("PC{run}{n:02}c")).await?;
    let mut b = ctx.registered_as(format!("pc{run}{n:02}a")).await?;
    b.send("LIST").await?;
    let got = b.reply().await.map_err(|why| context("LIST", &why))?;
    let shown = show(got.as_bytes());
    let mut words = got.split(' ');
    match words.next() {
        Some("USERS") => {}
        Some(v) if v.eq_ignore_ascii_case("USERS") => return Err(upper_case_verbs(&got)),
        _ => {
            return Err(text!(
                "« LIST » a reçu {shown} au lieu de « USERS <pseudo> <pseudo> … »",
                "\"LIST\" got {shown} instead of \"USERS <nick> <nick> …\""
            ));
        }
    }
    let nicks: Vec<&str> = words.collect();
    for who in [&a.nick, &b.nick, &c.nick] {
        if !nicks.contains(&who.as_str()) {
            return Err(text!(
                "{shown} ne contient pas {who}, pourtant inscrit",
                "{shown} does not hold {who}, who is registered"
            ));
        }
    }
    match list_order(&nicks) {
        ListOrder::IgnoringCase => Ok(Verdict::Pass),
        ListOrder::ExtraSpace => Err(text!(
            "{shown} : des espaces en trop (deux de suite, ou à la fin de la ligne) ; les pseudos sont séparés par un seul espace : « USERS alice bob »",
            "{shown}: extra spaces (two in a row, or at the end of the line); the nicknames are separated by a single space: \"USERS alice bob\""
        )),
        ListOrder::ByteByByte => Err(text!(
            "{shown} : les pseudos sont triés octet par octet (majuscules d'abord, « Zoe » avant « alice ») ; chat/1 les trie sans tenir compte des majuscules",
            "{shown}: the nicknames are sorted byte by byte (upper case first, \"Zoe\" before \"alice\"); chat/1 sorts them ignoring case"
        )),
        ListOrder::Unsorted => Err(text!(
            "{shown} : les pseudos ne sont pas triés (chat/1 les trie sans tenir compte des majuscules)",
            "{shown}: the nicknames are not sorted (chat/1 sorts them ignoring case)"
        )),
    }
}

/// How a `USERS` line's nicknames are ordered.
#[derive(Debug, PartialEq, Eq)]
enum ListOrder {
    /// Sorted ignoring case, as chat/1 asks.
    IgnoringCase,
    /// Sorted byte by byte: upper case before lower case.
    ByteByByte,
    /// Neither.
    Unsorted,
    /// An empty word: two spaces in a row, or a space at the end (a join
    /// written as `name + " "` in a loop). Told as such, not as "unsorted".
    ExtraSpace,
}

/// "Ignoring case" compares lower-case forms (netlab's `nick_key`,
/// Python's `key=str.lower`, Java's `compareToIgnoreCase`) or upper-case
/// ones (`key=str.upper`, C#'s `OrdinalIgnoreCase`): both ignore case, and
/// they differ only around `_`, which lies between `Z` and `a`. On a class
/// server, someone else's `a_b` next to `aab` must not fail a right server.
fn list_order(nicks: &[&str]) -> ListOrder {
    if nicks.contains(&"") {
        return ListOrder::ExtraSpace;
    }
    let sorted_by = |key: fn(&str) -> String| nicks.windows(2).all(|w| key(w[0]) <= key(w[1]));
    if sorted_by(codec::chat::nick_key) || sorted_by(str::to_ascii_uppercase) {
        ListOrder::IgnoringCase
    } else if sorted_by(str::to_string) {
        ListOrder::ByteByByte
    } else {
        ListOrder::Unsorted
    }
}

async fn ping(ctx: &Ctx) -> Outcome {
    let mut a = ctx.client().await?;
    let token = format!("tok-{}", ctx.run);
    a.ask(&format!("PING {token}"), &format!("PONG {token}"))
        .await?;
    a.ask("PING", "PONG").await?;
    Ok(Verdict::Pass)
}

async fn unknown(ctx: &Ctx) -> Outcome {
    let mut a = ctx.registered('a').await?;
    a.refused("DANCE now").await?;
    a.still_open("DANCE").await?;
    Ok(Verdict::Pass)
}

async fn case(ctx: &Ctx) -> Outcome {
    let mut a = ctx.client().await?;
    let name = ctx.nick('a');
    a.ask(&format!("nick {name}"), &format!("OK NICK {name}"))
        .await?;
    a.ask("Ping t", "PONG t").await?;
    Ok(Verdict::Pass)
}

async fn crlf(ctx: &Ctx) -> Outcome {
    let mut a = ctx.client().await?;
    let name = ctx.nick('a');
    a.send_raw(format!("NICK {name}\r\n").as_bytes()).await?;
    let got = a
        .reply()
        .await
        .map_err(|why| context("NICK …\\r\\n", &why))?;
    let wanted = format!("OK NICK {name}");
    if got != wanted && got.eq_ignore_ascii_case(&wanted) {
        return Err(upper_case_verbs(&got));
    }
    if got != wanted {
        let shown = show(got.as_bytes());
        return Err(text!(
            "« NICK {name}\\r\\n » a reçu {shown} au lieu de « {wanted} » : le CR avant le LF doit être retiré",
            "\"NICK {name}\\r\\n\" got {shown} instead of \"{wanted}\": the CR before the LF must be dropped"
        ));
    }
    // A verb alone on its line shows it best: a server that keeps the CR
    // reads the verb "PING\r", which it does not know.
    a.send_raw(b"PING\r\n").await?;
    let got = a.reply().await.map_err(|why| context("PING\\r\\n", &why))?;
    if got.eq_ignore_ascii_case("PONG") && got != "PONG" {
        return Err(upper_case_verbs(&got));
    }
    if got != "PONG" {
        let shown = show(got.as_bytes());
        return Err(text!(
            "« PING\\r\\n » a reçu {shown} au lieu de « PONG » : le CR avant le LF doit être retiré avant de lire le verbe",
            "\"PING\\r\\n\" got {shown} instead of \"PONG\": the CR before the LF must be dropped before reading the verb"
        ));
    }
    Ok(Verdict::Pass)
}

async fn long_line(ctx: &Ctx) -> Outcome {
    let mut a = ctx.registered('a').await?;
    // "PING " + token = exactly MAX_LINE bytes: the longest allowed line.
    let token = "x".repeat(MAX_LINE - "PING ".len());
    a.ask(&format!("PING {token}"), &format!("PONG {token}"))
        .await
        .map_err(|why| {
            let (fr, en) = (&why.fr, &why.en);
            text!(
                "une ligne de 1024 octets est permise : {fr}",
                "a 1024-byte line is allowed: {en}"
            )
        })?;
    a.refused(&format!("PING {token}y")).await?;
    a.still_open("la ligne de 1025 octets / the 1025-byte line")
        .await?;
    Ok(Verdict::Pass)
}

async fn controls(ctx: &Ctx) -> Outcome {
    let mut a = ctx.registered('a').await?;
    let mut b = ctx.registered('b').await?;
    let dirty = "ctl \u{1b}[31mred\u{7} bell\u{7f} del\u{9b} end";
    a.send(&format!("MSG {dirty}")).await?;
    b.expect(&format!("MSG {} {}", a.nick, strip_controls(dirty)))
        .await
        .map_err(|why| {
            let (fr, en) = (&why.fr, &why.en);
            text!(
                "le texte relayé ne doit plus contenir ESC, BEL, DEL, U+009B : {fr}",
                "the relayed text must no longer hold ESC, BEL, DEL, U+009B: {en}"
            )
        })?;
    Ok(Verdict::Pass)
}

async fn quit(ctx: &Ctx) -> Outcome {
    let mut a = ctx.registered('a').await?;
    let mut b = ctx.registered('b').await?;
    b.send("QUIT see you").await?;
    let got = b.reply().await.map_err(|why| context("QUIT", &why))?;
    if verb(&got) != "BYE" {
        if verb(&got).eq_ignore_ascii_case("BYE") {
            return Err(upper_case_verbs(&got));
        }
        let shown = show(got.as_bytes());
        return Err(text!(
            "« QUIT » a reçu {shown} au lieu de « BYE »",
            "\"QUIT\" got {shown} instead of \"BYE\""
        ));
    }
    let rest = wire::read_until_close(&mut b.reader, 64 * 1024, ctx.opts.timeout).await;
    if !rest.closed {
        let wait = secs(ctx.opts.timeout);
        return Err(text!(
            "après BYE, le serveur n'a pas fermé la connexion dans les {wait}",
            "after BYE, the server did not close the connection within {wait}"
        ));
    }
    expect_leave(&mut a, &b.nick).await?;
    // A socket closed without QUIT (a crashed client, a closed laptop).
    let c = ctx.registered('c').await?;
    let c_nick = c.nick.clone();
    drop(c);
    expect_leave(&mut a, &c_nick).await.map_err(|why| {
        let (fr, en) = (&why.fr, &why.en);
        text!(
            "connexion coupée sans QUIT : {fr}",
            "connection dropped without QUIT: {en}"
        )
    })?;
    Ok(Verdict::Pass)
}

/// Waits for `LEAVE <nick>` (optionally followed by a reason).
async fn expect_leave(a: &mut Client, nick: &str) -> Result<(), Text> {
    let deadline = Instant::now() + a.timeout;
    let mut seen = Vec::new();
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        // As in `Client::reply`: a flood of lines must not outlast the deadline.
        let line = if wait.is_zero() {
            Line::Silent
        } else {
            a.next_line(wait).await?
        };
        match line {
            Line::Text(line) => {
                let mut words = line.split(' ');
                if words.next() == Some("LEAVE") && words.next() == Some(nick) {
                    return Ok(());
                }
                if seen.len() < 5 {
                    seen.push(show(line.as_bytes()));
                }
            }
            Line::Closed | Line::Silent => {
                let seen = seen.join(", ");
                let me = &a.nick;
                return Err(text!(
                    "{me} n'a pas reçu « LEAVE {nick} » (reçu : {seen})",
                    "{me} did not get \"LEAVE {nick}\" (got: {seen})"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_sorted_on_upper_case_forms_ignores_case_too() {
        // Lower-case forms: a_b < aab ('_' < 'a'); upper-case forms: AAB <
        // A_B ('A' < '_'). Both orders ignore case.
        assert_eq!(list_order(&["a_b", "aab", "Bob"]), ListOrder::IgnoringCase);
        assert_eq!(list_order(&["aab", "a_b", "Bob"]), ListOrder::IgnoringCase);
        assert_eq!(list_order(&["Bob", "aab"]), ListOrder::ByteByByte);
        assert_eq!(list_order(&["bob", "aab"]), ListOrder::Unsorted);
    }

    /// "USERS aab bob " (a space written after each name): sorted, badly
    /// spaced; "not sorted" would send the student to the wrong line.
    #[test]
    fn a_list_with_extra_spaces_is_told_so_not_unsorted() {
        assert_eq!(list_order(&["aab", "bob", ""]), ListOrder::ExtraSpace);
        assert_eq!(list_order(&["aab", "", "bob"]), ListOrder::ExtraSpace);
    }

    #[test]
    fn nicknames_are_valid_and_unique() {
        let ctx = Ctx {
            target: Target {
                host: "127.0.0.1".into(),
                port: 1,
            },
            opts: Options::default(),
            greets: true,
            run: run_id(),
            count: AtomicUsize::new(0),
        };
        let a = ctx.nick('a');
        let b = ctx.nick('a');
        assert_ne!(a, b);
        assert!(codec::chat::valid_nick(&a).is_ok(), "{a}");
        assert!(a.len() <= codec::chat::MAX_NICK);
        assert_ne!(run_id(), run_id());
    }

    /// A client of a fake server on a free loopback port, which runs
    /// `serve` on its one connection.
    async fn client_of<F, Fut>(serve: F) -> Client
    where
        F: FnOnce(tokio::net::TcpStream) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            if let Ok((stream, _)) = listener.accept().await {
                serve(stream).await;
            }
        });
        let target = Target {
            host: "127.0.0.1".into(),
            port,
        };
        let opts = Options {
            timeout: Duration::from_millis(300),
            ..Options::default()
        };
        let (reader, writer) = wire::split(wire::connect(&target, &opts).await.unwrap());
        Client {
            reader: BufReader::new(reader),
            writer,
            timeout: opts.timeout,
            nick: "me".into(),
        }
    }

    #[tokio::test]
    async fn a_flood_of_other_peoples_lines_does_not_outlast_the_time_out() {
        use tokio::io::AsyncWriteExt;
        let mut client = client_of(|mut stream| async move {
            let flood = b"MSG bob spam spam spam\n".repeat(1000);
            while stream.write_all(&flood).await.is_ok() {}
        })
        .await;
        // Before: a line always ready meant the read's time-out never fired.
        let why = tokio::time::timeout(Duration::from_secs(5), client.reply())
            .await
            .expect("reply() must give up at its deadline")
            .unwrap_err();
        assert!(why.en.starts_with("no answer within 0.3 s ("), "{}", why.en);
        assert!(
            why.en
                .contains("about other clients skipped, such as \"MSG bob spam spam spam\""),
            "{}",
            why.en
        );
        tokio::time::timeout(Duration::from_secs(5), client.expect("PONG x"))
            .await
            .expect("expect() must give up at its deadline")
            .unwrap_err();
    }

    #[tokio::test]
    async fn a_line_that_never_ends_is_not_called_silence() {
        use tokio::io::AsyncWriteExt;
        let mut client = client_of(|mut stream| async move {
            let _ = stream.write_all(b"HELLO but no line feed").await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        })
        .await;
        let why = client.reply().await.unwrap_err();
        assert!(
            why.en.starts_with("the server sent 22 bytes (\"HELLO but no line feed\") without ending the line with LF"),
            "{}",
            why.en
        );
        assert!(why.fr.contains("sans finir la ligne par LF"), "{}", why.fr);
    }

    #[test]
    fn lines_about_others_are_recognised() {
        assert!(about_others("JOIN bob"));
        assert!(about_others("msg bob hi"));
        assert!(!about_others("ERR nope"));
        assert!(!about_others("PONG x"));
    }
}
