//! # From a host name to addresses
//!
//! A client knows its server by a name (`localhost`, `pc-12.lab`) or an
//! address (`127.0.0.1`, `::1`); connecting needs addresses. [`resolve`]
//! asks the system (a DNS lookup when needed), after catching the mistakes
//! a lookup would only call "unknown host": a port written into the host
//! (`127.0.0.1:8080`), an empty host, a mistyped IPv4 address.

use std::net::SocketAddr;

use crate::error::NetError;

/// Turns a host name or address into socket addresses (a DNS lookup when needed).
pub async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
    if let Some((name, port)) = port_in_host(host) {
        // A URL habit (`127.0.0.1:8080`): the lookup would only say "unknown host".
        // Not "--port N": each program takes the port its own way (a flag,
        // or a second argument as in `raw-client HOST PORT`).
        return Err(NetError::usage(format!(
            "{host:?} is a host and a port written together: give the host alone ({name}) \
             and the port {port} on its own"
        )));
    }
    if host.trim().is_empty() {
        return Err(NetError::usage(
            "the host is empty: give a name or an address, such as 127.0.0.1 (this machine)",
        ));
    }
    if looks_like_a_mistyped_ipv4(host) {
        // Not a name to look up: a mistyped address ("is the network up?"
        // would send the student the wrong way).
        return Err(NetError::usage(format!(
            "{host} is not an IPv4 address: it is four numbers from 0 to 255 \
             separated by dots, such as 192.168.1.25"
        )));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match tokio::net::lookup_host((bare, port)).await {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(NetError::UnknownHost {
                    host: host.to_string(),
                })
            } else {
                Ok(addrs)
            }
        }
        Err(_) => Err(NetError::UnknownHost {
            host: host.to_string(),
        }),
    }
}

/// Digits and dots only, as an IPv4 address is written, yet no address: a
/// number above 255, an empty part (`1..2`), more than four parts. The
/// short forms the system accepts (`127.1` for 127.0.0.1) are left to it.
fn looks_like_a_mistyped_ipv4(host: &str) -> bool {
    if !host.contains('.') || !host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return false;
    }
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() > 4
        || parts.iter().any(|part| {
            part.is_empty() || part.len() > 3 || part.parse::<u16>().map_or(true, |n| n > 255)
        })
}

/// The host and the port of `127.0.0.1:80`, `localhost:8080` or `[::1]:80`;
/// `None` for a host alone (`::1`, with its colons, is one).
fn port_in_host(host: &str) -> Option<(&str, &str)> {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (name, after) = rest.split_once(']')?;
            (name, after.strip_prefix(':')?)
        }
        None => host
            .rsplit_once(':')
            .filter(|(name, _)| !name.contains(':'))?,
    };
    let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    (digits && !name.is_empty()).then_some((name, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::net::{bind_tcp, connect_tcp};

    #[tokio::test]
    async fn an_empty_host_or_a_mistyped_address_is_a_usage_mistake() {
        for host in [
            "",
            " ",
            "192.168.1.256",
            "1..2.3",
            "1.2.3.4.5",
            "10.0.0.1000",
        ] {
            let err = resolve(host, 80).await.unwrap_err();
            assert!(matches!(err, NetError::Usage { .. }), "{host:?}: {err:?}");
        }
        let text = resolve("192.168.1.256", 80).await.unwrap_err().to_string();
        assert!(text.contains("from 0 to 255"), "{text}");
        assert!(resolve("127.0.0.1", 80).await.is_ok());
        // A short form the system knows (127.0.0.1), not a mistake.
        assert!(resolve("127.1", 80).await.is_ok());
    }

    #[tokio::test]
    async fn an_unknown_host_is_explained() {
        let err = resolve("no-such-host.invalid", 80).await.unwrap_err();
        assert!(matches!(err, NetError::UnknownHost { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn a_port_written_into_the_host_is_explained() {
        for (host, name) in [
            ("127.0.0.1:80", "127.0.0.1"),
            ("localhost:8080", "localhost"),
            ("[::1]:80", "::1"),
        ] {
            let err = connect_tcp(host, 10007, Duration::from_secs(2))
                .await
                .unwrap_err();
            assert!(matches!(err, NetError::Usage { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains(&format!("host alone ({name})")), "{text}");
            assert!(bind_tcp(host, 0).await.is_err());
        }
        for host in ["::1", "[::1]", "fe80::1", "127.0.0.1", "a:b"] {
            assert_eq!(port_in_host(host), None, "{host}");
        }
    }
}
