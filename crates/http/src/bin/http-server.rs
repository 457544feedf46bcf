//! `http-server`: a small HTTP/1.1 server whose home page shows the request
//! your browser just sent. Open http://127.0.0.1:8080/ in a browser.
//!
//! ```text
//! http-server                      # port 8080, this machine only
//! http-server --root ./site        # also serve the files in ./site
//! http-server --host 0.0.0.0       # let classmates connect
//! http-server --port 0 --trace     # any free port; show every byte
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use http::request::{Limits, parse_max_headers};
use http::server::{Config, DEFAULT_PORT, serve};
use netkit::NetError;
use netkit::args::{ServerArgs, parse_timeout};
use tracing::info;

/// A small HTTP/1.1 server (GET and HEAD, keep-alive). Its home page shows
/// the request your browser just sent.
#[derive(Debug, Parser)]
#[command(version, allow_negative_numbers = true)]
struct Args {
    /// Port to listen on (0 = any free port, shown in the first log line).
    /// Not 10080: browsers refuse that port (it is on their blocked-ports
    /// list), so netlab uses 8080.
    #[arg(long, default_value_t = DEFAULT_PORT, value_parser = netkit::args::parse_listen_port)]
    port: u16,

    /// Also serve the files in this folder (a folder's index.html answers
    /// for it). Nothing outside the folder is ever served, nor hidden files
    /// (.git/, .env: names starting with a dot), except /.well-known/.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,

    /// Largest request head (request line and headers), in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 8192, value_parser = |t: &str| netkit::args::number_in::<u32>(t, 64, u64::from(u32::MAX)))]
    max_header_bytes: u32,

    /// Most header lines in one request, from 1 to 1024 (browsers send
    /// 10 to 20).
    #[arg(long, value_name = "COUNT", default_value_t = 64, value_parser = parse_max_headers)]
    max_headers: usize,

    /// Largest request body accepted (and ignored), in bytes; for a chunked
    /// body, its size without the chunk framing (sizes, extensions,
    /// trailers): data and framing together may take 2 × BYTES + 1024.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    max_body: u64,

    /// Seconds a client has to send a whole request head, then its body;
    /// also how long an idle keep-alive connection stays open, and how long
    /// a client may stop reading an answer. Long enough to type a request by
    /// hand. More than 0.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_timeout)]
    read_timeout: Duration,

    /// Connections served at once; more clients wait until one ends.
    #[arg(long, value_name = "COUNT", default_value_t = 256, value_parser = |t: &str| netkit::args::number_in::<u32>(t, 1, u64::from(u32::MAX)))]
    max_connections: u32,

    #[command(flatten)]
    server: ServerArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    netkit::serve(&args.server.clone(), run(args))
}

async fn run(args: Args) -> Result<(), NetError> {
    let root = match &args.root {
        None => None,
        Some(dir) => Some(
            std::fs::canonicalize(dir)
                .ok()
                .filter(|d| d.is_dir())
                .ok_or_else(|| {
                    let what = if dir.is_file() {
                        "it is a file, not a folder"
                    } else {
                        "there is no such folder"
                    };
                    NetError::usage(format!(
                        "cannot serve {}: {what}. Give --root an existing folder, e.g. --root .",
                        dir.display()
                    ))
                })?,
        ),
    };
    let shutdown = netkit::shutdown::on_signal();
    let listener = netkit::net::bind_tcp(&args.server.host, args.port).await?;
    let addr = netkit::net::local_addr(&listener)?;
    netkit::net::announce(addr, "tcp", "http (HTTP/1.1)");
    info!("open {} in a browser", http::url::for_browser(addr));
    if let Some(root) = &root {
        info!("serving the files in {}", root.display());
    }
    let config = Config {
        root,
        limits: Limits {
            max_head_bytes: args.max_header_bytes as usize,
            max_headers: args.max_headers,
            max_body: args.max_body,
        },
        read_timeout: args.read_timeout,
        max_connections: args.max_connections as usize,
        trace: args.server.trace,
        grace: args.server.grace,
    };
    serve(listener, config, shutdown).await
}
