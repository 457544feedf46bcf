//! # Reading a URL, just enough for plain HTTP
//!
//! `http://127.0.0.1:8080/docs/index.html?lang=fr` tells a client three things:
//! which machine (`127.0.0.1`), which port (`8080`; 80 when omitted — the
//! well-known port of HTTP), and which resource to ask that server for
//! (`/docs/index.html?lang=fr`). The `#fragment` part, if any, is never sent:
//! it is for the browser only.
//!
//! Only `http://` is handled. `https://` is HTTP inside a TLS-encrypted
//! connection, on port 443: the bytes on the wire are unreadable, which is the
//! point of it, but not what this teaching client is for.

/// The parts of an `http://` URL a client needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// The host as written: a name, an IPv4 address, or `[an:ipv6::address]`.
    pub host: String,
    /// The port: as written, or 80.
    pub port: u16,
    /// The request target: path and query, at least `/`.
    pub target: String,
}

impl Url {
    /// The value of the `Host` header: the host, and the port unless it is 80.
    pub fn host_header(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Parses `http://host[:port][/path][?query][#fragment]`. A URL without a
/// scheme (`127.0.0.1:8080/`) is taken as `http://`.
pub fn parse(text: &str) -> Result<Url, String> {
    // A scheme is one word before "://": in `127.0.0.1:8080/?next=http://x`
    // the "://" belongs to the query, and there is no scheme.
    let scheme_part = text
        .split_once("://")
        .filter(|(scheme, _)| !scheme.contains(['/', '?', '#', ':']));
    let rest = match scheme_part {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
            return Err(format!(
                "{text}: https:// is HTTP inside an encrypted TLS connection (port 443), and this teaching \
                 client only speaks plain HTTP, whose bytes you can read. Use an http:// address \
                 (netlab's http-server: http://127.0.0.1:8080/), or a browser or `curl` for https."
            ));
        }
        Some((scheme, _)) => {
            return Err(format!(
                "{text}: this client only knows http://, not {scheme}://"
            ));
        }
        None => text,
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err(format!(
            "{text}: user names and passwords in URLs are not supported"
        ));
    }
    let (host, port) = if let Some(v6_end) = authority.strip_prefix('[').and_then(|a| a.find(']')) {
        let (host, after) = authority.split_at(v6_end + 2);
        // After `[…]` comes nothing, or `:port`; `[::1]x` is a typo, not port 80.
        if !after.is_empty() && !after.starts_with(':') {
            return Err(format!(
                "{text}: after an IPv6 address in brackets only :port may follow (e.g. http://[::1]:8080/)"
            ));
        }
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            // `http://::1/` would read as host ":" and port 1: an IPv6
            // address has colons of its own, so URLs put it in brackets.
            Some((host, _)) if host.contains(':') => {
                return Err(format!(
                    "{text}: an IPv6 address goes between brackets in a URL, e.g. http://[::1]:8080/"
                ));
            }
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(format!(
            "{text}: the URL has no host (e.g. http://127.0.0.1:8080/)"
        ));
    }
    let port = match port {
        None | Some("") => 80,
        // Digits only: Rust's parse alone would take "+1" as port 1. Port 0
        // is refused as by every client: no server can be reached on it.
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => {
            netkit::args::parse_server_port(p).map_err(|why| format!("{text}: {why}"))?
        }
        Some(p) => {
            return Err(format!(
                "{text}: {p:?} is not a port: give a number from 1 to 65535"
            ));
        }
    };
    let target = if target.is_empty() {
        "/".to_string()
    } else if target.starts_with('?') {
        format!("/{target}")
    } else {
        target.to_string()
    };
    if target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(format!(
            "{text}: spaces and control characters must be %-encoded in a URL (space = %20)"
        ));
    }
    if !host.is_ascii() {
        return Err(format!(
            "{text}: a host name with letters outside ASCII is looked up in its ASCII form \
             (\"xn--\" and letters: café.fr is xn--caf-dma.fr), which this client does not compute: type that form"
        ));
    }
    Ok(Url {
        host: host.to_string(),
        port,
        target: percent_encode_non_ascii(&target),
    })
}

/// `target` with every byte outside ASCII written `%XX`, as browsers send
/// it: `/café` → `/caf%C3%A9` (the two bytes of `é` in UTF-8). A request
/// line is ASCII (RFC 9112 §3.2, RFC 3986 §2.1); sent raw, the bytes are
/// read by each server its own way (Python's http.server: as Latin-1).
/// http-server's redirects use it too: a `Location` is a URI, so ASCII.
///
/// ```
/// assert_eq!(http::url::percent_encode_non_ascii("/é?q=ü%20"), "/%C3%A9?q=%C3%BC%20");
/// ```
pub fn percent_encode_non_ascii(target: &str) -> String {
    let mut out = String::with_capacity(target.len());
    for c in target.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut utf8 = [0u8; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

/// The address to type in a browser on this machine to reach a server
/// listening on `listening`. `0.0.0.0` (or `::`) is where a server listens
/// ("every network card"), not a place to go: browsers on Windows, and
/// recent ones elsewhere, refuse it. On this machine, loopback reaches it.
pub fn for_browser(listening: std::net::SocketAddr) -> String {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
    let ip = match listening.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, listening.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(host: &str, port: u16, target: &str) -> Url {
        Url {
            host: host.into(),
            port,
            target: target.into(),
        }
    }

    #[test]
    fn the_usual_forms() {
        assert_eq!(
            parse("http://127.0.0.1:8080/"),
            Ok(url("127.0.0.1", 8080, "/"))
        );
        assert_eq!(parse("http://example.com"), Ok(url("example.com", 80, "/")));
        assert_eq!(parse("HTTP://h/a/b?x=1#top"), Ok(url("h", 80, "/a/b?x=1")));
        assert_eq!(parse("http://h?x"), Ok(url("h", 80, "/?x")));
        assert_eq!(parse("localhost:8080/x"), Ok(url("localhost", 8080, "/x")));
        assert_eq!(parse("http://[::1]:8080/"), Ok(url("[::1]", 8080, "/")));
        assert_eq!(parse("http://[::1]/"), Ok(url("[::1]", 80, "/")));
        assert_eq!(
            parse("http://h/caf\u{e9}?q=\u{e9}#\u{e9}"),
            Ok(url("h", 80, "/caf%C3%A9?q=%C3%A9"))
        );
        // A "://" in the query is not a scheme.
        assert_eq!(
            parse("127.0.0.1:8080/a?next=http://x"),
            Ok(url("127.0.0.1", 8080, "/a?next=http://x"))
        );
    }

    #[test]
    fn the_host_header_omits_port_80() {
        assert_eq!(parse("http://h/").unwrap().host_header(), "h");
        assert_eq!(parse("http://h:8080/").unwrap().host_header(), "h:8080");
    }

    #[test]
    fn unsupported_urls_are_explained() {
        let https = parse("https://example.com/").unwrap_err();
        assert!(
            https.contains("encrypted") && https.contains("plain HTTP"),
            "{https}"
        );
        assert!(
            parse("ftp://h/")
                .unwrap_err()
                .contains("only knows http://")
        );
        assert!(parse("http://:80/").is_err());
        assert!(parse("http://h:99999/").is_err());
        assert!(parse("http://u:p@h/").is_err());
        assert!(parse("http://h/a b").is_err());
        let idn = parse("http://caf\u{e9}.fr/").unwrap_err();
        assert!(idn.contains("xn--"), "{idn}");
        assert!(parse("http://[::1]x:8080/").is_err());
        assert!(parse("http://h:+1/").is_err());
        let v6 = parse("http://::1/").unwrap_err();
        assert!(v6.contains("between brackets"), "{v6}");
        assert!(parse("http://a:b:80/").is_err());
        let zero = parse("http://127.0.0.1:0/").unwrap_err();
        assert!(zero.contains("not a server's port"), "{zero}");
        assert_eq!(parse("http://h:65535/").unwrap().port, 65535);
    }

    #[test]
    fn a_browser_is_sent_to_loopback_not_to_every_card() {
        let at = |text: &str| for_browser(text.parse().unwrap());
        assert_eq!(at("0.0.0.0:8080"), "http://127.0.0.1:8080/");
        assert_eq!(at("[::]:8080"), "http://[::1]:8080/");
        assert_eq!(at("192.168.1.5:8080"), "http://192.168.1.5:8080/");
        assert_eq!(at("[::1]:80"), "http://[::1]:80/");
    }
}
