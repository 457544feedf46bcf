//! Exercise 11: the chat client, with a fake keyboard and screen and a real
//! server socket.

mod common;

use common::{TIMEOUT, is_timeout, listener, read_line};
use exercises::ex11_chat_client::run;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// A keyboard the test types on: each string sent is a burst of key
/// presses; dropping the sender is Ctrl-D (end of file). While nothing is
/// sent, reading it blocks, like a real keyboard.
struct Keyboard(mpsc::Receiver<String>, Vec<u8>);

impl Read for Keyboard {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.1.is_empty() {
            match self.0.recv() {
                Ok(keys) => self.1 = keys.into_bytes(),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.1.len());
        buf[..n].copy_from_slice(&self.1[..n]);
        self.1.drain(..n);
        Ok(n)
    }
}

/// A screen the test can look at. Like any `Write` (a file, a `BufWriter`),
/// it is only sure to show what was written once it is flushed: written
/// bytes wait in `pending` until `flush`.
/// (`pending` is shared with the test's copy only so that a failure can say
/// whether lines were written without a flush, or never written.)
#[derive(Clone, Default)]
struct Screen {
    shown: Arc<Mutex<Vec<u8>>>,
    pending: Arc<Mutex<Vec<u8>>>,
}

impl Write for Screen {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        let mut pending = self.pending.lock().unwrap();
        self.shown.lock().unwrap().append(&mut pending);
        Ok(())
    }
}

impl Screen {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.shown.lock().unwrap()).into_owned()
    }
    fn wait_for(&self, expected: &str) {
        let start = Instant::now();
        while self.text() != expected {
            if start.elapsed() >= TIMEOUT {
                let shown = self.text();
                let unflushed = !self.pending.lock().unwrap().is_empty();
                let why = if unflushed {
                    "lines written but not flushed are not shown: flush after each line"
                } else if expected.starts_with(&shown) {
                    "the server's line was never written to the screen: is run waiting for \
                     the keyboard instead? the socket → screen loop must never wait for a \
                     key (the keyboard gets a thread of its own)"
                } else {
                    "each line from the server is shown as it came, unchanged: spaces \
                     included (no trim), with its \\n"
                };
                panic!(
                    "the screen should show {expected:?}, but after {TIMEOUT:?} it shows \
                     {shown:?} ({why})"
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Starts `run` on a client connected to `addr`; returns the keyboard, the
/// screen and a channel with run's result.
fn start_client(
    addr: SocketAddr,
) -> (mpsc::Sender<String>, Screen, mpsc::Receiver<io::Result<()>>) {
    let (keys, keyboard) = mpsc::channel();
    let screen = Screen::default();
    let (done_tx, done) = mpsc::channel();
    let stream = TcpStream::connect(addr).unwrap();
    let on_screen = screen.clone();
    thread::spawn(move || {
        let keyboard = BufReader::new(Keyboard(keyboard, Vec::new()));
        let _ = done_tx.send(run(stream, keyboard, on_screen));
    });
    (keys, screen, done)
}

fn accept(listener: &TcpListener) -> (TcpStream, BufReader<TcpStream>) {
    let (stream, _) = listener.accept().unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let reader = BufReader::new(stream.try_clone().unwrap());
    (stream, reader)
}

/// Waits for run to return `Ok(())`, after `why`; `if_error` ends the
/// message if it returned an error.
fn finished(done: &mpsc::Receiver<io::Result<()>>, why: &str, if_error: &str) {
    match done.recv_timeout(TIMEOUT) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{why}: run returned an error: {e}{if_error}"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "{why}: run did not return within {TIMEOUT:?} (it must return when the server \
             closes, even if the keyboard still waits: does the socket loop stop when \
             read_line returns Ok(0)? does run wait for the keyboard, with a join, or by \
             reading the keyboard itself?)"
        ),
        Err(_) => panic!("run panicked (a todo!() left?)"),
    }
}

/// Reads the next line the client sent to the server, which must be
/// `expected`: what the user typed, one line, with its `\n`.
#[track_caller]
fn typed(from_client: &mut BufReader<TcpStream>, expected: &str, before: &str, typing: &str) {
    let line = read_line(
        from_client,
        &format!(
            "{expected:?} ({typing}; each line must go to the server as soon as it is \
             typed, not when the keyboard ends)"
        ),
    );
    let why = if line == expected.replace('\n', "\r\n") {
        "a line ends with \\n alone (writeln!), not \\r\\n".to_string()
    } else if line.trim_end() == expected.trim()
        || line.split_whitespace().eq(expected.split_whitespace())
    {
        "the spaces typed are part of the line: send it as typed (no trim, no \
         split_whitespace)"
            .to_string()
    } else if !before.is_empty() && line == before {
        "the line typed before came again: read_line appends to its String, clear() it \
         after each line"
            .to_string()
    } else if line.len() > expected.len() && line.ends_with(expected) {
        "the line sent holds the lines before it: read_line appends to its String, \
         clear() it after each line"
            .to_string()
    } else {
        "each typed line is sent once, as typed, with its \\n".to_string()
    };
    assert!(
        line == expected,
        "{typing}: the server expected {expected:?}, got {line:?}: {why}"
    );
}

#[test]
fn server_lines_show_while_the_user_types_nothing() {
    let (listener, addr) = listener();
    let (_keys, screen, _done) = start_client(addr);
    let (mut server, _) = accept(&listener);
    server.write_all(b"HELLO you\n").unwrap();
    screen.wait_for("HELLO you\n");
    server.write_all(b"bob: anyone here?\n").unwrap();
    screen.wait_for("HELLO you\nbob: anyone here?\n");
    // chat/1 relays texts exactly, spaces included: so does the screen.
    server.write_all(b"MSG bob  two  spaces \n").unwrap();
    screen.wait_for("HELLO you\nbob: anyone here?\nMSG bob  two  spaces \n");
}

#[test]
fn typed_lines_go_to_the_server_with_their_newline() {
    let (listener, addr) = listener();
    let (keys, screen, _done) = start_client(addr);
    let (mut server, mut from_client) = accept(&listener);
    keys.send("MSG hi\n".into()).unwrap();
    typed(
        &mut from_client,
        "MSG hi\n",
        "",
        "the user typed MSG hi and Enter",
    );
    keys.send("MSG in ".into()).unwrap();
    keys.send("two goes\nLIST\n".into()).unwrap();
    typed(
        &mut from_client,
        "MSG in two goes\n",
        "MSG hi\n",
        "then typed MSG in two goes, in two bursts, and Enter",
    );
    typed(
        &mut from_client,
        "LIST\n",
        "MSG in two goes\n",
        "then LIST and Enter",
    );
    keys.send("MSG  two  spaces \n".into()).unwrap();
    typed(
        &mut from_client,
        "MSG  two  spaces \n",
        "LIST\n",
        "then MSG  two  spaces , spaces as typed, and Enter",
    );
    server.write_all(b"alice bob\n").unwrap();
    screen.wait_for("alice bob\n");
}

#[test]
fn ctrl_d_closes_the_sending_side_and_the_goodbye_still_shows() {
    let (listener, addr) = listener();
    let (keys, screen, done) = start_client(addr);
    let (mut server, mut from_client) = accept(&listener);
    keys.send("QUIT\n".into()).unwrap();
    drop(keys); // Ctrl-D
    typed(
        &mut from_client,
        "QUIT\n",
        "",
        "the user typed QUIT, Enter, then Ctrl-D",
    );
    let mut rest = String::new();
    match from_client.read_line(&mut rest) {
        Ok(0) => {}
        Ok(_) => {
            panic!("after Ctrl-D the client sent {rest:?} instead of closing its sending side")
        }
        Err(e) if is_timeout(&e) => panic!(
            "after Ctrl-D the client must shut down its sending side \
             (shutdown(Shutdown::Write)): the server saw no end of stream within {TIMEOUT:?}"
        ),
        Err(e) => panic!("after Ctrl-D the client must shut down its sending side; got {e}"),
    }
    server.write_all(b"BYE\n").unwrap();
    drop(server);
    drop(from_client);
    finished(
        &done,
        "after Ctrl-D, the server sent BYE and closed",
        " (was the whole socket shut down, Shutdown::Both? then the BYE that still \
         comes is refused and the connection reset: shut down the sending side only, \
         Shutdown::Write)",
    );
    assert_eq!(
        screen.text(),
        "BYE\n",
        "the server's answer after Ctrl-D must still be shown (and flushed): \
         close only the sending side (Shutdown::Write) and keep reading until the server closes"
    );
}

#[test]
fn returns_when_the_server_closes_even_if_the_keyboard_waits() {
    let (listener, addr) = listener();
    let (_keys, screen, done) = start_client(addr);
    let (mut server, from_client) = accept(&listener);
    server.write_all(b"server going down\n").unwrap();
    drop(server);
    drop(from_client);
    finished(
        &done,
        "the server closed while the user typed nothing",
        " (the end of the stream, Ok(0), is how a server says goodbye: return Ok(()))",
    );
    assert_eq!(
        screen.text(),
        "server going down\n",
        "every line received before the server closed must be shown (and flushed)"
    );
}
