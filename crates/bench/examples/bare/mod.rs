//! What the bare servers share: the port from the command line, one thread
//! (as the suite runs netlab's servers), a `listening on` line (so that tests
//! can start them on port 0), and errors in one line instead of a panic.

use std::future::Future;

use tokio::net::TcpListener;

/// Runs `serve` on the port given as the first argument, on one thread.
pub fn main<F, Fut>(name: &str, serve: F)
where
    F: FnOnce(TcpListener) -> Fut,
    Fut: Future<Output = std::io::Result<()>>,
{
    let Some(port) = std::env::args().nth(1).and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: {name} PORT (on 127.0.0.1 only; 0: any free port)");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let outcome = runtime.and_then(|rt| {
        rt.block_on(async {
            let listener = TcpListener::bind(("127.0.0.1", port)).await?;
            eprintln!("{name} listening on {}", listener.local_addr()?);
            serve(listener).await
        })
    });
    if let Err(e) = outcome {
        eprintln!("{name}: {e}");
        std::process::exit(1);
    }
}
