//! # A bare time server: the floor the connections-per-second target is judged against
//!
//! The least a TCP server can do per RFC 868 client: accept, write the 4
//! bytes, close, all in the accept loop, with no task, no limit, no log and
//! no wait for the client to close first (time-server waits, so that a
//! client that sent something gets its answer and not a reset). What it
//! reaches with `netlab-bench connect-rate` is what the machine and the load
//! tool allow, whatever the server: docs/benchmarks.md compares it with
//! time-server and xinetd.
//!
//! Not a server to teach from: a client that does not read is simply
//! dropped, and one slow accept holds up everyone.
//!
//! ```sh
//! cargo run --release -p bench --example bare_time -- 61410 &
//! netlab-bench --threads 1 connect-rate --service time --port 61410 --workers 4 --duration 3
//! ```

mod bare;

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;

/// Seconds from 1900-01-01 (RFC 868's origin) to 1970-01-01 (Unix's).
const FROM_1900_TO_1970: u64 = 2_208_988_800;

fn main() {
    bare::main("bare_time", serve);
}

async fn serve(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        let since_1970 = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // RFC 868: 32 bits, big-endian; the count wraps in 2036.
        let answer = ((since_1970 + FROM_1900_TO_1970) as u32).to_be_bytes();
        // A new socket's send buffer is empty: 4 bytes always fit at once.
        let _ = socket.try_write(&answer);
        // Dropping it closes it.
    }
}
