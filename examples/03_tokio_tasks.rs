//! # Step 3 — tokio tasks instead of threads
//!
//! **Course idea:** the same server (many clients at once), written the way
//! real servers are. A *task* is a light thread: a few OS threads run
//! thousands of tasks; at each `.await` a task that waits for the network
//! lets another one run. The code reads almost like step 2: `TcpListener` and
//! `spawn` come from tokio, and every wait ends in `.await`.
//!
//! ## Try it
//!
//! ```text
//! cargo run --example 03_tokio_tasks               # listens on 127.0.0.1:13007
//! nc 127.0.0.1 13007        in several terminals
//! ps -T -p $(pgrep -f 03_tokio_tasks)   a fixed number of threads, however many clients
//! ```
//!
//! The finished version of this server is `cargo run --bin echo-server`
//! (port 10007): the same loop plus `--trace` (every byte, both ways),
//! explained errors and a clean Ctrl-C. Next step: `04_blocking_client`.

#[path = "common/explain.rs"]
mod explain; // turns an error into one plain line with its usual fix
#[path = "common/port.rs"]
mod port; // reads the port argument: a typo stops it with a plain message

use std::process::ExitCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> ExitCode {
    let port = port::server(std::env::args().nth(1).as_deref(), 13007);
    explain::report(serve(port).await, port, "03_tokio_tasks")
}

async fn serve(port: u16) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "listening on {}, one task per client",
        listener.local_addr()?
    );

    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(client) => client,
            // One client's failure never stops the server (as in step 1).
            Err(e) => {
                println!("accept failed: {e}");
                // "Too many open files" fails again at once: pause, not spin at 100% CPU.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        println!("{peer} connected");
        // tokio::spawn instead of thread::spawn: a task, not an OS thread.
        tokio::spawn(async move {
            match echo(stream).await {
                Ok(n) => println!("{peer} left after {n} bytes"),
                Err(e) => println!("{peer} failed: {e}"),
            }
        });
    }
}

/// Sends back everything received, until the client closes its side.
async fn echo(mut stream: TcpStream) -> std::io::Result<u64> {
    let mut buf = [0; 4096];
    let mut total = 0;
    loop {
        // `.await`: while no data is there, this task sleeps and others run.
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n]).await?;
        total += n as u64;
    }
}
