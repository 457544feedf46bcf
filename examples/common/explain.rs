//! Shared by the examples (`#[path = "common/explain.rs"] mod explain;`):
//! when an example stops on an error, one plain line saying what to do,
//! instead of Rust's debug form `Os { code: 111, kind: ConnectionRefused, … }`.
//! (A file in a subfolder of examples/ is not an example of its own.)

use std::io;
use std::process::ExitCode;

/// Prints the error of `result`, if any, with the usual fix. `port` is the
/// port the example used; `example` the one to start (itself for a server,
/// its server for a client).
pub fn report(result: io::Result<()>, port: u16, example: &str) -> ExitCode {
    let Err(e) = result else {
        return ExitCode::SUCCESS;
    };
    let fix = match e.kind() {
        io::ErrorKind::ConnectionRefused => format!(
            " — nobody listens on port {port}: is the server started? \
             Run {} first, in another terminal",
            server_on(port, example)
        ),
        io::ErrorKind::AddrInUse => format!(
            " — another program (maybe this example, already running) uses port {port}; \
             stop it, or give another port: cargo run --example {example} -- {}",
            port.wrapping_add(1)
        ),
        io::ErrorKind::PermissionDenied if port < 1024 => {
            " — ports below 1024 are reserved to the administrator: use one above 1023".into()
        }
        _ => String::new(),
    };
    eprintln!("error: {e}{fix}");
    ExitCode::FAILURE
}

/// The command that starts the server a client was sent to on `port`. The
/// headers and sheets send the clients to other servers than their own
/// (`04_blocking_client -- 17194` to step 7's chat, `-- 10007` to
/// echo-server): each of those has its port. Any other port is `example`'s,
/// started on that port.
fn server_on(port: u16, example: &str) -> String {
    let server = match port {
        11007 => "--example 01_blocking_echo",
        12007 => "--example 02_thread_per_client",
        13007 => "--example 03_tokio_tasks",
        15037 => "--example 05_time_by_hand",
        16007 => "--example 06_framing",
        17194 => "--example 07_broadcast_chat",
        10007 => "--bin echo-server",
        10037 => "--bin time-server",
        10194 => "--bin chat-server",
        _ => return format!("cargo run --example {example} -- {port}"),
    };
    format!("cargo run {server}")
}
