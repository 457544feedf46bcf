//! Exercise 1: port ranges and well-known services (no network needed).

mod common;

use common::{within, within_long};
use exercises::ex01_ports::{self, PortRange};

// The student's functions, each call with a time limit: an endless loop is a
// red test, not a test run that never ends.
fn classify(port: u16) -> PortRange {
    within(&format!("classify({port})"), move || {
        ex01_ports::classify(port)
    })
}

fn service_name(port: u16) -> Option<&'static str> {
    within(&format!("service_name({port})"), move || {
        ex01_ports::service_name(port)
    })
}

#[test]
fn well_known_ports_are_0_to_1023() {
    for port in [0, 1, 7, 22, 80, 443, 1023] {
        assert_eq!(
            classify(port),
            PortRange::WellKnown,
            "classify({port}): 0 to 1023 (1023 included) are well-known"
        );
    }
}

#[test]
fn registered_ports_are_1024_to_49151() {
    for port in [1024, 3306, 8080, 10007, 10194, 32768, 49151] {
        assert_eq!(
            classify(port),
            PortRange::Registered,
            "classify({port}): 1024 to 49151 (both included) are registered"
        );
    }
}

#[test]
fn dynamic_ports_are_49152_to_65535() {
    for port in [49152, 50000, 60999, 65535] {
        assert_eq!(
            classify(port),
            PortRange::Dynamic,
            "classify({port}): 49152 to 65535 (both included) are dynamic"
        );
    }
}

#[test]
fn common_services_are_named() {
    let expected = [
        (7, "echo"),
        (13, "daytime"),
        (21, "ftp"),
        (22, "ssh"),
        (23, "telnet"),
        (25, "smtp"),
        (37, "time"),
        (53, "dns"),
        (80, "http"),
        (110, "pop3"),
        (143, "imap"),
        (443, "https"),
        (3306, "mysql"),
        (3389, "rdp"),
    ];
    for (port, name) in expected {
        assert_eq!(service_name(port), Some(name), "the service on port {port}");
    }
}

#[test]
fn other_ports_have_no_name() {
    for port in [0, 8, 1024, 10007, 49152, 65535] {
        assert_eq!(service_name(port), None, "port {port} is not in the table");
    }
}

#[test]
fn only_the_ports_of_the_table_have_a_name() {
    // Every other u16, in one call: a name the table does not give (8080
    // "http-alt", 993 "imaps" from /etc/services) is an answer the sheet does
    // not ask for.
    const TABLE: [u16; 14] = [7, 13, 21, 22, 23, 25, 37, 53, 80, 110, 143, 443, 3306, 3389];
    // 65 522 calls: a table built at each call (a HashMap, a Vec) is slow
    // in a debug build, not wrong; the long limit only ends a hang.
    let named: Vec<(u16, &str)> = within_long("service_name on every port", || {
        (0..=u16::MAX)
            .filter(|port| !TABLE.contains(port))
            .filter_map(|port| ex01_ports::service_name(port).map(|name| (port, name)))
            .collect()
    });
    assert!(
        named.is_empty(),
        "service_name names exactly the 14 ports of the table, None for any other; \
         these got a name: {:?}",
        &named[..named.len().min(10)]
    );
}
