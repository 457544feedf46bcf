//! # The page that shows "what my browser said"
//!
//! The server's home page is generated for each visit: it shows the request
//! the browser has just sent — method, path, version, every header, and the
//! browser's own address and port as the server saw them. A student opens
//! `http://127.0.0.1:8080/` and reads, in the browser, the bytes the browser
//! itself wrote on the network.
//!
//! Everything that comes from the request is *HTML-escaped* before it is put
//! in the page: a header containing `<script>` must be shown as text, not run.
//! Letting a request inject markup into a page is the classic "cross-site
//! scripting" (XSS) bug.

use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::request::Request;
use crate::response::Status;

/// Escapes the five characters that mean something in HTML.
///
/// ```
/// assert_eq!(http::page::escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where the request came from and went to, and its rank on the connection.
#[derive(Debug, Clone, Copy)]
pub struct Visit {
    /// The client's address and (ephemeral) port.
    pub client: SocketAddr,
    /// The server's address and port.
    pub server: SocketAddr,
    /// 1 for the first request on this TCP connection, 2 for the next… (keep-alive).
    pub nth: u64,
}

/// One style for every page. Header names never break in the middle
/// (`sec-ch-ua-mobile` stays on one line); values and the raw bytes wrap
/// anywhere, because a browser's `Accept` or `User-Agent` is one long word
/// that would otherwise push the page sideways.
const STYLE: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4}\
pre{background:#f4f4f4;padding:1em;white-space:pre-wrap;overflow-wrap:anywhere}\
table{border-collapse:collapse}#headers{width:100%}\
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}\
th{white-space:nowrap}td{overflow-wrap:anywhere}code{background:#f4f4f4}";

/// The home page for `request`, received during `visit`.
pub fn request_page(request: &Request, visit: &Visit) -> String {
    let mut rows = String::new();
    for (name, value) in &request.headers {
        let _ = writeln!(
            rows,
            "<tr><th>{}</th><td class=\"header-value\">{}</td></tr>",
            escape(name),
            escape(&String::from_utf8_lossy(value))
        );
    }
    // The raw head with CR and LF made visible: the request as it was on the wire.
    let raw = String::from_utf8_lossy(&request.raw_head)
        .replace('\r', "\\r")
        .replace('\n', "\\n\n");
    let keep_alive = if request.keep_alive() {
        "the connection stays open for the next request (keep-alive)"
    } else {
        "the connection will be closed after this answer"
    };
    format!(
        "<!doctype html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>netlab http-server: what your browser said</title>
<style>{STYLE}</style></head>
<body>
<h1>What your browser said</h1>
<p>Your browser (the <b>client</b>) opened a TCP connection from
<code id=\"client\">{client}</code> to this <b>server</b> at <code id=\"server\">{server}</code>,
and sent the request below. This is request number <span id=\"nth\">{nth}</span> on that connection;
{keep_alive}.</p>
<h2>The request line</h2>
<table>
<tr><th>method</th><td id=\"method\">{method}</td></tr>
<tr><th>path</th><td id=\"path\">{path}</td></tr>
<tr><th>version</th><td id=\"version\">{version}</td></tr>
</table>
<h2>The headers ({count})</h2>
<p>One <code>Name: value</code> line each, added by the browser on its own: <code>Host</code>
names the site, <code>User-Agent</code> the browser, <code>Accept</code> what it can read.</p>
<table id=\"headers\">
{rows}</table>
<h2>The exact bytes</h2>
<p>Every line ends with <code>\\r\\n</code> (CR LF); an empty line ends the request.</p>
<pre id=\"raw\">{raw}</pre>
<p><small>netlab http-server. Your browser probably also asked for <code>/favicon.ico</code>
(the little tab icon) on the same connection: the server's log shows that second request
(404 Not Found, unless <code>--root</code> holds a <code>favicon.ico</code>).</small></p>
</body>
</html>
",
        client = visit.client,
        server = visit.server,
        nth = visit.nth,
        method = escape(&request.method),
        path = escape(&request.target),
        version = request.version,
        count = request.headers.len(),
        raw = escape(&raw),
    )
}

/// A small page explaining an error status, e.g. for a 404.
pub fn error_page(status: Status, explanation: &str) -> String {
    format!(
        "<!doctype html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{status}</title><style>{STYLE}</style></head>
<body>
<h1>{status}</h1>
<p>{}</p>
<p><a href=\"/\">See what your browser said</a> (the home page).</p>
<p><small>netlab http-server</small></p>
</body>
</html>
",
        escape(explanation)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Limits, Parsed, parse};

    fn request(bytes: &[u8]) -> Request {
        match parse(bytes, &Limits::default()) {
            Ok(Parsed::Complete(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_page_shows_the_request_and_the_addresses() {
        let req = request(
            b"GET /hello?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Test/1.0\r\n\r\n",
        );
        let visit = Visit {
            client: "127.0.0.1:51234".parse().unwrap(),
            server: "127.0.0.1:8080".parse().unwrap(),
            nth: 2,
        };
        let page = request_page(&req, &visit);
        assert!(page.contains("<td id=\"method\">GET</td>"));
        assert!(page.contains("<td id=\"path\">/hello?x=1</td>"));
        assert!(page.contains("<td id=\"version\">HTTP/1.1</td>"));
        assert!(page.contains("<th>User-Agent</th><td class=\"header-value\">Test/1.0</td>"));
        assert!(page.contains("127.0.0.1:51234"));
        assert!(page.contains("<span id=\"nth\">2</span>"));
        assert!(page.contains("GET /hello?x=1 HTTP/1.1\\r\\n"));
    }

    #[test]
    fn what_the_client_sent_is_escaped() {
        let req = request(b"GET /<b>?a=\"1\"&b='2' HTTP/1.1\r\nHost: x\r\nX-Evil: <script>alert(1)</script>\r\n\r\n");
        let visit = Visit {
            client: "[::1]:5".parse().unwrap(),
            server: "[::1]:8080".parse().unwrap(),
            nth: 1,
        };
        let page = request_page(&req, &visit);
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("/<b>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("/&lt;b&gt;?a=&quot;1&quot;&amp;b=&#39;2&#39;"));
    }

    #[test]
    fn error_pages_escape_their_text() {
        let page = error_page(Status::NotFound, "no file </x>");
        assert!(page.contains("<h1>404 Not Found</h1>"));
        assert!(page.contains("no file &lt;/x&gt;"));
        assert!(page.contains("<a href=\"/\">"), "a way back home: {page}");
    }
}
