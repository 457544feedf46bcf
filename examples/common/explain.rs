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
             Run cargo run --example {example} first, in another terminal"
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
