//! # The keyboard of chat-client, and what Ctrl-C means to it
//!
//! Ctrl-C leaves politely, like `/quit` or Ctrl-D: the others see that you
//! left, and the server hears it said (`QUIT`, answered `BYE`), instead of a
//! connection that is simply cut — which, from the server's side, looks the
//! same as a program that crashed. A second Ctrl-C quits at once, for when
//! the server does not answer.

use std::io::Write;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::client::Keyboard;

/// The lines typed on the keyboard, ending at the end of the input or at
/// the first Ctrl-C, whichever comes first: the client then leaves as it
/// does at the end of a script (`QUIT`, wait for `BYE`).
///
/// The token returned with them is cancelled by that first Ctrl-C. The end
/// of the keyboard alone cannot tell the client *why* it ended, and that
/// matters while the client is not reading the keyboard: waiting for the
/// server's `HELLO`, the end of a piped script must not stop it (the lines
/// before are still to be sent), but Ctrl-C must, at once.
///
/// Without this, Ctrl-C would kill the process at once: the connection
/// would simply be cut, and the server could not tell a user who left from
/// a program that crashed. Once a program listens for Ctrl-C, the signal no
/// longer stops it by itself, so the second Ctrl-C is listened for too and
/// quits at once.
/// Must be called from inside a tokio runtime.
pub fn typed_until_ctrl_c() -> (Keyboard, CancellationToken) {
    let mut typed = netkit::stdin::lines();
    // Listening starts here, before this function returns (not when the task
    // below first runs): from now on Ctrl-C means "leave". On an error no
    // handler is installed, and Ctrl-C keeps its default effect.
    let interrupts = listen_for_ctrl_c().ok();
    // Capacity 1: after Ctrl-C, at most one line already typed (or pasted)
    // is still sent before QUIT, besides the one the client may be busy
    // writing (a slow server: that one is finished first, since half a
    // line cannot be taken back).
    let (tx, keyboard) = mpsc::channel(1);
    let ctrl_c = CancellationToken::new();
    let pressed = ctrl_c.clone();
    tokio::spawn(async move {
        let forward = async {
            while let Some(line) = typed.recv().await {
                if tx.send(line).await.is_err() {
                    return; // the client has stopped reading: it is leaving
                }
            }
        };
        let Some(mut interrupts) = interrupts else {
            return forward.await;
        };
        tokio::select! {
            () = forward => {} // end of input: the client leaves by itself
            Some(()) = interrupts.recv() => {
                note("\n(Ctrl-C: leaving; press Ctrl-C again to quit at once)\n");
                pressed.cancel();
            }
        }
        drop(tx); // closes the keyboard: the client says QUIT
        if interrupts.recv().await.is_some() {
            std::process::exit(130); // 128 + SIGINT, what the shell shows for Ctrl-C
        }
    });
    (keyboard, ctrl_c)
}

/// Starts listening for Ctrl-C (SIGINT on Unix).
#[cfg(unix)]
fn listen_for_ctrl_c() -> std::io::Result<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::interrupt())
}

/// Starts listening for Ctrl-C.
#[cfg(windows)]
fn listen_for_ctrl_c() -> std::io::Result<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c()
}

/// A line for people on stderr (not `eprint!`, which panics when stderr is
/// a closed pipe).
fn note(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}
