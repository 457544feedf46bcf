//! Shared by the examples (`#[path = "common/port.rs"] mod port;`): the
//! optional port argument. A typo (`8O37` with a letter O, `70000`) stops the
//! example with one plain line, instead of silently using the default port:
//! the student would otherwise wonder why nothing answers on the port typed.

#![allow(dead_code)] // a server example uses `server`, a client `client`

/// The port a server listens on: `arg`, or `default` without one. 0 is
/// allowed: the system picks a free port, and the server prints it.
pub fn server(arg: Option<&str>, default: u16) -> u16 {
    let Some(text) = arg else { return default };
    match text.parse() {
        Ok(port) => port,
        Err(_) => usage_error(&format!(
            "{text:?} is not a port number: give one from 1 to 65535 \
             (or none, for {default}; or 0, to let the system pick a free port)"
        )),
    }
}

/// The port of the server a client connects to: `arg`, or `default`.
/// 0 is refused: no server listens on port 0.
pub fn client(arg: Option<&str>, default: u16) -> u16 {
    let Some(text) = arg else { return default };
    match text.parse() {
        Ok(0) => usage_error(
            "port 0 is no server's port: a server started on port 0 gets a free \
             port from the system and prints it in its first line; give that one",
        ),
        Ok(port) => port,
        Err(_) => usage_error(&format!(
            "{text:?} is not a port number: give the server's port, from 1 to 65535 \
             (or none, for {default})"
        )),
    }
}

/// Says what is wrong and stops with status 2, the usual status of a
/// command typed wrong (1 is for errors met while running).
fn usage_error(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}
