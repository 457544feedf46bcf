//! `http-client`: sends one GET and prints the whole conversation — the
//! request, the response head, then the body.
//!
//! ```text
//! http-client http://127.0.0.1:8080/
//! http-client --head http://127.0.0.1:8080/       # HEAD: headers only
//! http-client --body-only http://127.0.0.1:8080/logo.png > logo.png
//! ```

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use http::client::{Options, fetch};
use http::request::parse_max_headers;
use netkit::NetError;
use netkit::args::{Verbosity, parse_timeout};

/// Sends one HTTP request and shows the request, the response head (lines
/// starting with "> " were sent, "< " received) and the body. On a
/// terminal, a body that does not end with a newline gets one, so the last
/// log line starts on its own line; piped or redirected, the body's bytes
/// are written exactly as they came.
#[derive(Debug, Parser)]
#[command(version, allow_negative_numbers = true)]
struct Args {
    /// The address to fetch, e.g. http://127.0.0.1:8080/ (http:// only).
    url: String,

    /// Send HEAD instead of GET: the same answer, without its body.
    #[arg(short = 'I', long)]
    head: bool,

    /// Print only the body (exact bytes when piped or redirected, for
    /// saving to a file).
    #[arg(short, long)]
    body_only: bool,

    /// Show every byte sent and received on stderr, with the server's address:port.
    #[arg(long)]
    trace: bool,

    /// Give up connecting or waiting for data after this many seconds (more than 0).
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_timeout)]
    timeout: Duration,

    /// Largest response head (status line and headers) read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = http::client::DEFAULT_MAX_HEAD_BYTES,
          value_parser = |t: &str| netkit::args::number_in::<usize>(t, 64, 16 * 1024 * 1024))]
    max_header_bytes: usize,

    /// Most header lines read in a response head.
    #[arg(long, value_name = "COUNT", default_value_t = http::client::DEFAULT_MAX_HEADERS,
          value_parser = parse_max_headers)]
    max_headers: usize,

    #[command(flatten)]
    verbosity: Verbosity,
}

fn main() -> ExitCode {
    let args = Args::parse();
    netkit::run(args.verbosity, async move {
        let url = http::url::parse(&args.url).map_err(NetError::usage)?;
        let options = Options {
            method: if args.head { "HEAD" } else { "GET" },
            timeout: args.timeout,
            trace: args.trace,
            show_heads: !args.body_only,
            max_head_bytes: args.max_header_bytes,
            max_headers: args.max_headers,
            // Only a person at a terminal gets a final newline added.
            terminal: std::io::stdout().is_terminal(),
        };
        let mut stdout = tokio::io::stdout();
        // `http-client URL | head`: netkit::run ends quietly when the
        // reader of our output has stopped.
        fetch(&url, &options, &mut stdout).await.map(|_| ())
    })
}
