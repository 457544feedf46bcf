//! `http-client`: sends one GET and prints the whole conversation — the
//! request, the response head, then the body.
//!
//! ```text
//! http-client http://127.0.0.1:8080/
//! http-client --head http://127.0.0.1:8080/       # HEAD: headers only
//! http-client --body-only http://127.0.0.1:8080/logo.png > logo.png
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use http::client::{Options, fetch};
use netkit::NetError;
use netkit::args::{Verbosity, parse_timeout};

/// Sends one HTTP request and shows the request, the response head (lines
/// starting with "> " were sent, "< " received) and the body.
#[derive(Debug, Parser)]
#[command(version, allow_negative_numbers = true)]
struct Args {
    /// The address to fetch, e.g. http://127.0.0.1:8080/ (http:// only).
    url: String,

    /// Send HEAD instead of GET: the same answer, without its body.
    #[arg(short = 'I', long)]
    head: bool,

    /// Print only the body (exact bytes, for saving to a file).
    #[arg(short, long)]
    body_only: bool,

    /// Show every byte sent and received on stderr, with the server's address:port.
    #[arg(long)]
    trace: bool,

    /// Give up connecting or waiting for data after this many seconds (more than 0).
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_timeout)]
    timeout: Duration,

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
        };
        let mut stdout = tokio::io::stdout();
        // `http-client URL | head`: netkit::run ends quietly when the
        // reader of our output has stopped.
        fetch(&url, &options, &mut stdout).await.map(|_| ())
    })
}
