//! # Rules, verdicts and the printed report
//!
//! A protocol is a contract. protocol-check turns each clause of that
//! contract into a **rule** with a short identifier (`echo.binary`,
//! `chat.hello`) and a sentence a student can read ("the 256 byte values
//! 0–255 come back unchanged"). Running a rule gives a [`Verdict`]:
//!
//! - pass: the server keeps that clause;
//! - fail, with the reason in plain words: what was sent, what was
//!   expected, what came back instead;
//! - warn: something worth knowing that the protocol does not forbid
//!   (RFC 867 fixes no date format, so an unknown one is only a warning).
//!
//! Every sentence exists in French and in English ([`Text`]); students read
//! French first, so French is the default ([`Lang`]).

use std::fmt;
use std::io::{self, Write};

use netkit::NetError;

/// The language the report is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// Français (the default: the course is taught in French).
    #[default]
    Fr,
    /// English.
    En,
}

/// A sentence in both languages. Rules build one with [`Text::new`] or
/// the [`crate::text!`] macro, the report picks the language when printing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The French sentence.
    pub fr: String,
    /// The English sentence.
    pub en: String,
}

impl Text {
    /// A sentence, French first.
    ///
    /// Bytes a rule quotes are shown by `wire::show`, once, for both
    /// sentences; when they are cut, the total follows in English,
    /// `… (171 bytes)`. The French sentence says `octets` instead.
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            fr: octets(fr.into()),
            en: en.into(),
        }
    }

    /// The sentence in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }
}

/// `… (171 bytes)` → `… (171 octets)`: the length of cut data, as
/// `wire::show` writes it, in a French sentence.
fn octets(fr: String) -> String {
    const CUT: &str = "… (";
    const BYTES: &str = " bytes)";
    if !fr.contains(BYTES) {
        return fr;
    }
    let mut out = String::with_capacity(fr.len());
    let mut rest = fr.as_str();
    while let Some(at) = rest.find(CUT) {
        let after = &rest[at + CUT.len()..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        out.push_str(&rest[..at + CUT.len()]);
        if digits > 0 && after[digits..].starts_with(BYTES) {
            out.push_str(&after[..digits]);
            out.push_str(" octets)");
            rest = &after[digits + BYTES.len()..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `text!("… {x} …", "… {x} …")`: a [`Text`] from two `format!` strings,
/// French first. Keeping both languages side by side in the rule's code
/// keeps them in step.
#[macro_export]
macro_rules! text {
    ($fr:literal, $en:literal $(,)?) => {
        $crate::report::Text::new(format!($fr), format!($en))
    };
}

/// "0 règle", "1 règle", "2 règles": French puts 0 and 1 in the singular.
pub fn count_fr(n: usize, one: &str, many: &str) -> String {
    if n <= 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "0 rules", "1 rule", "2 rules": English puts only 1 in the singular.
pub fn count_en(n: usize, one: &str, many: &str) -> String {
    netkit::logging::count(n as u64, one, many)
}

/// What running one rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The server keeps the rule.
    Pass,
    /// The server keeps the rule, but something deserves a look.
    Warn(Text),
    /// The server breaks the rule; the text says how.
    Fail(Text),
}

/// What a rule function returns: `Err(reason)` is a failure, so rules can
/// use `?` on every step and stop at the first thing that goes wrong.
pub type Outcome = Result<Verdict, Text>;

/// One rule and its verdict.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Short stable identifier, e.g. `chat.hello` (tests and teachers refer to it).
    pub id: &'static str,
    /// The rule itself, as a sentence.
    pub rule: Text,
    /// What running it found.
    pub verdict: Verdict,
}

/// Every rule run against one server, in order.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was checked: `chat/1 on 127.0.0.1:10194 (TCP)`.
    pub title: String,
    /// The rules, in the order they ran.
    pub checked: Vec<Checked>,
    /// Why the check stopped before running every rule (server unreachable).
    pub stopped: Option<Text>,
    /// Print each rule on stdout as soon as it is checked, in this language.
    /// A wrong server can make each rule wait for its time-out: printing as
    /// we go shows progress instead of a silent terminal.
    pub live: Option<Lang>,
}

/// Width of the rule identifiers column (`chat.nick-invalid`, `echo.udp-datagram`).
const ID_WIDTH: usize = 17;

impl Report {
    /// An empty report for `title`.
    pub fn new(title: impl Into<String>) -> Report {
        Report {
            title: title.into(),
            checked: Vec::new(),
            stopped: None,
            live: None,
        }
    }

    /// Records the outcome of rule `id`.
    pub fn record(&mut self, id: &'static str, rule: Text, outcome: Outcome) {
        let verdict = outcome.unwrap_or_else(Verdict::Fail);
        let checked = Checked { id, rule, verdict };
        if let Some(lang) = self.live {
            let mut out = io::stdout().lock();
            let _ = print_checked(&checked, lang, &mut out).and_then(|()| out.flush());
        }
        self.checked.push(checked);
    }

    /// Stops the report: nothing more can be checked (e.g. nobody listens).
    pub fn stop(&mut self, why: Text) {
        if let Some(lang) = self.live {
            let mut out = io::stdout().lock();
            let _ = print_stop(&why, lang, &mut out).and_then(|()| out.flush());
        }
        self.stopped = Some(why);
    }

    /// True when no rule failed and the check was not stopped.
    pub fn passed(&self) -> bool {
        self.stopped.is_none()
            && !self
                .checked
                .iter()
                .any(|c| matches!(c.verdict, Verdict::Fail(_)))
    }

    /// The verdict of rule `id`, if it ran.
    pub fn verdict(&self, id: &str) -> Option<&Verdict> {
        self.checked.iter().find(|c| c.id == id).map(|c| &c.verdict)
    }

    /// Prints the report: one line per rule, the reason under each failure
    /// or warning, then a summary.
    pub fn print(&self, lang: Lang, out: &mut impl Write) -> io::Result<()> {
        self.print_title(lang, out)?;
        for c in &self.checked {
            print_checked(c, lang, out)?;
        }
        if let Some(why) = &self.stopped {
            print_stop(why, lang, out)?;
        }
        self.print_summary(lang, out)
    }

    /// The first lines: what is checked.
    pub fn print_title(&self, _lang: Lang, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "protocol-check — {}", self.title)?;
        writeln!(out)
    }

    /// The last lines: the counts and the conclusion.
    pub fn print_summary(&self, lang: Lang, out: &mut impl Write) -> io::Result<()> {
        writeln!(out)?;
        writeln!(out, "{}", self.summary().get(lang))
    }

    /// `Bilan : 14 règles, 13 réussies, 1 échouée, 0 avertissement — <conclusion>`
    pub fn summary(&self) -> Text {
        let total = self.checked.len();
        let count = |f: fn(&Verdict) -> bool| self.checked.iter().filter(|c| f(&c.verdict)).count();
        let failed = count(|v| matches!(v, Verdict::Fail(_)));
        let warned = count(|v| matches!(v, Verdict::Warn(_)));
        let passed = total - failed - warned;
        let end = match (self.passed(), &self.stopped) {
            (true, _) => text!(
                "le serveur respecte le protocole.",
                "the server follows the protocol."
            ),
            (false, Some(_)) => text!(
                "vérification interrompue : aucune règle n'a pu être vérifiée, lisez la raison ci-dessus.",
                "check stopped: no rule could be checked, read the reason above."
            ),
            (false, None) => text!(
                "le serveur ne respecte pas le protocole : lisez les raisons (↳) ci-dessus.",
                "the server does not follow the protocol: read the reasons (↳) above."
            ),
        };
        let end_fr = &end.fr;
        let end_en = &end.en;
        let (rules_fr, rules_en) = (
            count_fr(total, "règle", "règles"),
            count_en(total, "rule", "rules"),
        );
        let passed_fr = count_fr(passed, "réussie", "réussies");
        let failed_fr = count_fr(failed, "échouée", "échouées");
        let (warned_fr, warned_en) = (
            count_fr(warned, "avertissement", "avertissements"),
            count_en(warned, "warning", "warnings"),
        );
        text!(
            "Bilan : {rules_fr}, {passed_fr}, {failed_fr}, {warned_fr} — {end_fr}",
            "Summary: {rules_en}, {passed} passed, {failed} failed, {warned_en} — {end_en}"
        )
    }
}

/// One rule: `RÉUSSI    echo.line  Une ligne…`, and `↳ reason` below a
/// failure or a warning.
fn print_checked(c: &Checked, lang: Lang, out: &mut impl Write) -> io::Result<()> {
    let (label, reason) = match &c.verdict {
        Verdict::Pass => (label(lang, Kind::Pass), None),
        Verdict::Warn(why) => (label(lang, Kind::Warn), Some(why)),
        Verdict::Fail(why) => (label(lang, Kind::Fail), Some(why)),
    };
    writeln!(
        out,
        "{label:<9} {id:<ID_WIDTH$}  {rule}",
        id = c.id,
        rule = c.rule.get(lang)
    )?;
    if let Some(why) = reason {
        writeln!(out, "{:<9} {:<ID_WIDTH$}  ↳ {}", "", "", why.get(lang))?;
    }
    Ok(())
}

fn print_stop(why: &Text, lang: Lang, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{:<9} {}", label(lang, Kind::Fail), why.get(lang))
}

/// The three labels, as printed in front of each rule.
#[derive(Clone, Copy)]
enum Kind {
    Pass,
    Warn,
    Fail,
}

fn label(lang: Lang, kind: Kind) -> &'static str {
    match (lang, kind) {
        (Lang::Fr, Kind::Pass) => "RÉUSSI",
        (Lang::Fr, Kind::Warn) => "ATTENTION",
        (Lang::Fr, Kind::Fail) => "ÉCHEC",
        (Lang::En, Kind::Pass) => "PASS",
        (Lang::En, Kind::Warn) => "WARN",
        (Lang::En, Kind::Fail) => "FAIL",
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.print(Lang::En, &mut out).map_err(|_| fmt::Error)?;
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// A network error in both languages: netkit's English explanation, and a
/// French one for the cases a student meets (nobody listening, unknown
/// host, time-out).
pub fn explain(err: &NetError) -> Text {
    let en = err.to_string();
    let fr = match err {
        NetError::ConnectionRefused { addr } => format!(
            "connexion refusée par {} : aucun serveur n'écoute sur ce port. \
             Le serveur est-il démarré ? L'adresse et le port sont-ils les bons ?",
            peer_fr(addr)
        ),
        NetError::NothingListensUdp { addr } => {
            let (host, port) = netkit::error::split_host_port(addr);
            format!(
                "rien n'écoute sur le port UDP {port} de {host} : cette machine a répondu \
                 à notre datagramme « port injoignable » (un message ICMP). UDP n'a pas de \
                 connexion, aucune n'a donc été refusée : cette réponse est le seul signe, \
                 pour un client UDP, qu'aucun serveur n'est là, et seule une machine \
                 allumée qui la laisse passer l'envoie (un pare-feu qui jette les \
                 datagrammes, ou un datagramme perdu, ne donne aucune réponse : le client \
                 attend alors la fin de son délai). Démarrez le serveur et vérifiez qu'il \
                 sert l'UDP (pas `--transport tcp`) sur cette adresse et ce port, ou \
                 retirez --udp pour un service qui ne parle que TCP."
            )
        }
        NetError::UnknownHost { host } => format!(
            "hôte inconnu {host:?} : ce nom ne donne aucune adresse IP. \
             Vérifiez l'orthographe, ou donnez une adresse IP comme 127.0.0.1."
        ),
        NetError::Unreachable { addr } => format!(
            "{} est injoignable : aucune route vers cette machine (elle a peut-être \
             quitté le réseau, ou été éteinte), ou un pare-feu sur le chemin la refuse. \
             Vérifiez l'adresse, le câble ou le Wi-Fi, et le pare-feu.",
            peer_fr(addr)
        ),
        NetError::NoLongerAnswers { addr } => format!(
            "{} ne répond plus : longtemps, rien de ce qui lui a été envoyé n'a été \
             acquitté (ni ce qui lui a été écrit ni, sur une connexion calme avec TCP \
             keepalive, les vérifications du système que sa machine est toujours là), \
             et le système a abandonné la connexion. Sa machine a sans doute quitté le réseau (Wi-Fi \
             perdu, câble débranché, portable fermé) ou été éteinte, ou un pare-feu \
             jette désormais les paquets. Vérifiez qu'elle est allumée et connectée \
             (et cette machine aussi), puis reconnectez-vous.",
            peer_fr(addr)
        ),
        NetError::TimedOut { what, after } => format!(
            "délai dépassé ({:.1} s) pendant : {what}. L'autre côté ne répond pas. \
             La machine est-elle allumée ? Un pare-feu bloque-t-il les paquets ?",
            after.as_secs_f64()
        ),
        NetError::Io { context, source } => {
            format!(
                "échec pendant : {} — {}",
                context_fr(context),
                io_fr(source)
            )
        }
        other => format!("erreur réseau : {other}"),
    };
    Text { fr, en }
}

/// The other side in French. netkit names it from the error's context:
/// an address (`10.0.0.1:7`, the same in both languages), or, when the
/// context has none, English words that a French sentence must not show.
fn peer_fr(addr: &str) -> &str {
    match addr {
        "the server" => "le serveur",
        "the other side" => "l'autre côté",
        _ => addr,
    }
}

/// What protocol-check was doing, in French: the contexts this crate (and
/// netkit's `connect_tcp`) give their errors. Anything else stays as it is.
fn context_fr(context: &str) -> String {
    const KNOWN: [(&str, &str); 8] = [
        ("connecting to ", "connexion à "),
        (
            "reading from the server",
            "lecture de ce que le serveur envoie",
        ),
        ("reading the echo", "lecture de l'écho"),
        ("sending to the server", "envoi au serveur"),
        (
            "closing our sending side",
            "fermeture de notre sens d'envoi",
        ),
        ("sending a datagram to ", "envoi d'un datagramme à "),
        ("waiting for a reply from ", "attente d'une réponse de "),
        (
            "reading the server's address",
            "lecture de l'adresse du serveur",
        ),
    ];
    for (en, fr) in KNOWN {
        if let Some(rest) = context.strip_prefix(en) {
            return format!("{fr}{rest}");
        }
    }
    context.to_string()
}

/// The I/O errors a wrong server causes, in plain French (netkit's
/// `describe_io` says them in English).
fn io_fr(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::ConnectionReset => {
            "la connexion a été coupée brutalement par l'autre côté (reset)".into()
        }
        io::ErrorKind::ConnectionAborted => "la connexion a été interrompue".into(),
        io::ErrorKind::BrokenPipe => {
            "l'autre côté a fermé la connexion ; plus rien ne peut être envoyé".into()
        }
        io::ErrorKind::UnexpectedEof => {
            "l'autre côté a fermé la connexion avant la fin du message".into()
        }
        io::ErrorKind::NotConnected => "la connexion n'est plus établie".into(),
        io::ErrorKind::TimedOut => "délai dépassé".into(),
        // The rare rest: the system's own words (in English), kept whole
        // rather than guessed.
        _ => format!("erreur du système : {}", netkit::error::describe_io(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let mut r = Report::new("echo on 127.0.0.1:7 (TCP)");
        r.record("echo.line", text!("une ligne", "a line"), Ok(Verdict::Pass));
        r.record(
            "echo.binary",
            text!("les octets", "the bytes"),
            Err(text!("octet 65 changé", "byte 65 changed")),
        );
        r
    }

    /// A peer netkit names in English ("reading from the server" gives
    /// "the server") is named in French in the French sentence; an address
    /// stays as it is. Each sentence says what to check, as the English does.
    #[test]
    fn the_other_side_is_named_in_french() {
        let gone = |addr: &str| NetError::NoLongerAnswers { addr: addr.into() };
        let t = explain(&gone("the server"));
        assert!(t.fr.starts_with("le serveur ne répond plus"), "{}", t.fr);
        assert!(t.fr.contains("reconnectez-vous"), "{}", t.fr);
        assert!(t.en.starts_with("the server no longer answers"), "{}", t.en);
        let t = explain(&gone("10.0.0.1:7"));
        assert!(t.fr.starts_with("10.0.0.1:7 ne répond plus"), "{}", t.fr);
        let t = explain(&NetError::ConnectionRefused {
            addr: "the other side".into(),
        });
        assert!(t.fr.contains("refusée par l'autre côté"), "{}", t.fr);
        let t = explain(&NetError::Unreachable {
            addr: "the server".into(),
        });
        assert!(t.fr.starts_with("le serveur est injoignable"), "{}", t.fr);
        assert!(t.fr.contains("quitté le réseau"), "{}", t.fr);
        for t in [
            explain(&gone("the server")),
            explain(&NetError::Unreachable {
                addr: "the other side".into(),
            }),
        ] {
            assert!(!t.fr.contains("the "), "{}", t.fr);
        }
    }

    /// Cut data ends with its length: `octets` in French, `bytes` in
    /// English, wherever it appears in the sentence, however often.
    #[test]
    fn the_length_of_cut_bytes_is_said_in_each_language() {
        let (sent, got) = (
            crate::wire::show(&[0; 256]),
            crate::wire::show(&[b'H'; 171]),
        );
        let why = text!("envoyé {sent}, reçu {got}", "sent {sent}, got {got}");
        assert!(why.fr.contains("… (256 octets), reçu"), "{}", why.fr);
        assert!(why.fr.ends_with("… (171 octets)"), "{}", why.fr);
        assert!(!why.fr.contains("bytes"), "{}", why.fr);
        assert!(why.en.ends_with("… (171 bytes)"), "{}", why.en);
        // Other words stay as they are, `to_be_bytes)` included.
        let code = text!("(to_be_bytes)", "(to_be_bytes)");
        assert_eq!(code.fr, "(to_be_bytes)");
    }

    #[test]
    fn a_failure_fails_the_report_and_prints_its_reason() {
        let r = sample();
        assert!(!r.passed());
        let mut out = Vec::new();
        r.print(Lang::En, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("PASS      echo.line  "), "{out}");
        assert!(out.contains("FAIL      echo.binary  "), "{out}");
        assert!(out.contains("↳ byte 65 changed"), "{out}");
        assert!(
            out.contains("2 rules, 1 passed, 1 failed, 0 warnings"),
            "{out}"
        );
    }

    #[test]
    fn french_is_printed_with_french_labels() {
        let mut out = Vec::new();
        sample().print(Lang::Fr, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("RÉUSSI"), "{out}");
        assert!(out.contains("ÉCHEC"), "{out}");
        assert!(out.contains("octet 65 changé"), "{out}");
        assert!(
            out.contains("Bilan : 2 règles, 1 réussie, 1 échouée, 0 avertissement"),
            "{out}"
        );
    }

    #[test]
    fn warnings_do_not_fail_but_stopping_does() {
        let mut r = Report::new("t");
        r.record("a", text!("a", "a"), Ok(Verdict::Warn(text!("w", "w"))));
        assert!(r.passed());
        r.stop(text!("arrêt", "stop"));
        assert!(!r.passed());
    }

    #[test]
    fn a_reset_connection_is_explained_in_french_too() {
        let reset = || io::Error::from(io::ErrorKind::ConnectionReset);
        let t = explain(&NetError::io("reading from the server", reset()));
        assert_eq!(
            t.fr,
            "échec pendant : lecture de ce que le serveur envoie — \
             la connexion a été coupée brutalement par l'autre côté (reset)"
        );
        assert!(t.en.contains("connection was reset"), "{}", t.en);
        let t = explain(&NetError::from_connect(reset(), "127.0.0.1:7"));
        assert!(
            t.fr.starts_with("échec pendant : connexion à 127.0.0.1:7 — "),
            "{}",
            t.fr
        );
        let t = explain(&NetError::io(
            "sending to the server",
            io::Error::from(io::ErrorKind::BrokenPipe),
        ));
        assert!(!t.fr.contains("failed"), "{}", t.fr);
        assert!(t.fr.contains("plus rien ne peut être envoyé"), "{}", t.fr);
    }

    #[test]
    fn refused_connections_are_explained_in_french_too() {
        let e = NetError::ConnectionRefused {
            addr: "127.0.0.1:1".into(),
        };
        let t = explain(&e);
        assert!(t.fr.contains("aucun serveur n'écoute"), "{}", t.fr);
        assert!(t.en.contains("no server listens"), "{}", t.en);
    }
}
