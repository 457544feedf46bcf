//! Exercise 1: port ranges and well-known services (no network needed).

mod common;

use common::within;
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
        assert_eq!(classify(port), PortRange::WellKnown, "classify({port})");
    }
}

#[test]
fn registered_ports_are_1024_to_49151() {
    for port in [1024, 3306, 8080, 10007, 10194, 32768, 49151] {
        assert_eq!(classify(port), PortRange::Registered, "classify({port})");
    }
}

#[test]
fn dynamic_ports_are_49152_to_65535() {
    for port in [49152, 50000, 60999, 65535] {
        assert_eq!(classify(port), PortRange::Dynamic, "classify({port})");
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
