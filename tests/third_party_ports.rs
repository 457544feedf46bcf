//! The helper that starts third-party servers on ports chosen beforehand
//! (`Peer::on_free_ports` in tests/support), tested against the race it
//! exists for: another program takes the chosen port before the server
//! binds it. Tests run in parallel, many files at once, so that happens.
//!
//! A readiness wait that only checks "something answers on the port" is
//! satisfied by that other program, and the test talks to the wrong
//! server. These tests take the port themselves at the worst moment (after
//! it is chosen, before the server starts) and check that the helper
//! notices it, starts the server again elsewhere, and says clearly why
//! when it never can.
//!
//! Linux only: the helper learns whose socket is on a port from `/proc`.
//! Elsewhere it can only see that *something* listens there (the weaker
//! check these tests exist to rule out), so they could not pass.
#![cfg(target_os = "linux")]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::time::Duration;

use support::{Owner, PORT_TRIES, Peer, Transport, example, port_owners, tool};

const T: Duration = Duration::from_secs(20);

/// Another program on TCP `port`: it answers every connection with
/// "wrong server" and closes. Runs until the test ends. `false` if a
/// program running meanwhile had taken the port already (it is taken
/// either way).
fn impostor(port: u16) -> bool {
    let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) else {
        return false;
    };
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(b"wrong server\n");
        }
    });
    true
}

/// The line an echo server at `port` sends back for "hello".
fn echo_of_hello(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(T)).unwrap();
    stream.write_all(b"hello\n").unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line
}

/// The course's first echo server (an example of this workspace; it takes
/// its port as its argument, as a third-party one would), started through
/// the helper, with `before_start` called with the ports of each try.
fn echo_example(mut before_start: impl FnMut(u16)) -> (Peer, u16) {
    let program = example("netlab", "01_blocking_echo");
    let (peer, ports) = Peer::on_free_ports("01_blocking_echo", 1, &[Transport::Tcp], |ports| {
        before_start(ports[0]);
        let mut command = Command::new(&program);
        command.arg(ports[0].to_string());
        command
    });
    (peer, ports[0])
}

/// The first port is taken before the server binds it: the server
/// exits ("address in use"), the helper starts it again on another port,
/// and the test talks to it, not to the impostor. A wait on "the port
/// answers" returned at once here, and the echo came back as
/// "wrong server".
#[test]
fn a_port_taken_before_the_server_binds_it_is_not_mistaken_for_the_server() {
    let mut tries = Vec::new();
    let mut ours = false;
    let (_peer, port) = echo_example(|port| {
        if tries.is_empty() {
            ours = impostor(port);
        }
        tries.push(port);
    });
    // 2, unless a program running meanwhile took a port too.
    assert!(
        tries.len() >= 2,
        "one try on the taken port, then elsewhere"
    );
    assert_ne!(port, tries[0], "not the taken port");
    assert_eq!(Some(&port), tries.last(), "the last try's port");
    assert_eq!(echo_of_hello(port), "hello\n");
    // The taken port does answer: "something listens there" is true of it.
    if ours {
        assert_eq!(echo_of_hello(tries[0]), "wrong server\n");
    }
}

/// Every port it is given is taken: after `PORT_TRIES` tries the test
/// fails, and says why each one failed.
#[test]
fn a_server_that_never_gets_its_port_fails_the_test_and_says_why() {
    let mut tries = 0;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        echo_example(|port| {
            tries += 1;
            impostor(port);
        })
    }));
    let message = match outcome {
        Ok(_) => panic!("the server started on a taken port"),
        Err(panic) => panic.downcast_ref::<String>().cloned().unwrap_or_default(),
    };
    assert_eq!(tries, PORT_TRIES);
    assert!(
        message.starts_with(&format!(
            "01_blocking_echo could not listen on fresh ports in {PORT_TRIES} tries:"
        )),
        "{message}"
    );
    // Each try: the server seen exiting (it could not bind), or the port
    // seen to be another program's first.
    let reasons = message.lines().skip(1);
    assert_eq!(reasons.clone().count(), PORT_TRIES, "{message}");
    for reason in reasons {
        assert!(
            reason.contains("exited (exit status: 1) before listening on")
                || reason.contains("(Tcp) was another program's"),
            "{message}"
        );
    }
}

/// xinetd does not exit when it cannot bind a service's port: it runs on
/// without it. Waiting for it to exit or to listen would wait forever;
/// the helper sees the port is another program's and starts it again on
/// fresh ports. Here the UDP half of the first echo port is taken.
#[test]
fn xinetd_without_its_udp_port_is_started_again_elsewhere() {
    let Some(path) = tool("xinetd") else { return };
    let mut tries = Vec::new();
    let mut taken = None;
    let (_xinetd, ports) = support::xinetd_with(&path, &["echo"], "UTC", |ports| {
        if tries.is_empty() {
            // Err: a program running meanwhile took it already.
            taken = UdpSocket::bind(("127.0.0.1", ports[0])).ok();
        }
        tries.push(ports[0]);
    });
    // 2, unless a program running meanwhile took a port too.
    assert!(
        tries.len() >= 2,
        "one try on the taken port, then elsewhere"
    );
    assert_ne!(ports[0], tries[0]);
    assert_eq!(Some(&ports[0]), tries.last());
    assert_eq!(echo_of_hello(ports[0]), "hello\n");
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(T)).unwrap();
    udp.send_to(b"datagram", ("127.0.0.1", ports[0])).unwrap();
    let mut buf = [0u8; 64];
    let (n, _) = udp.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"datagram");
    drop(taken);
}

/// The check itself: the sockets of this test process on a port (TCP
/// listener and UDP socket) are ours, and another process's (this one's,
/// seen from a child's pid) are not; a TCP port bound but not listening
/// has no listener.
#[test]
fn a_port_belongs_to_the_process_that_holds_it() {
    // The same port number on TCP and UDP, both held here: no other
    // program can be on it.
    let (_tcp, _udp, port) = (0..100)
        .find_map(|_| {
            let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = tcp.local_addr().unwrap().port();
            let udp = UdpSocket::bind(("127.0.0.1", port)).ok()?;
            Some((tcp, udp, port))
        })
        .expect("a port free on TCP and UDP");
    let wanted = [(port, Transport::Tcp), (port, Transport::Udp)];
    let me = std::process::id();
    assert_eq!(port_owners(me, &wanted), [Owner::Us, Owner::Us]);
    let program = example("netlab", "01_blocking_echo");
    // Another process, listening elsewhere: nothing of it on `port`.
    let (other, _) = Peer::on_free_ports("01_blocking_echo", 1, &[Transport::Tcp], |ports| {
        let mut command = Command::new(&program);
        command.arg(ports[0].to_string());
        command
    });
    assert_eq!(
        port_owners(other.pid(), &wanted),
        [Owner::Other, Owner::Other]
    );
    let closed = support::RefusingTcp::new();
    let unheard = [(closed.addr().port(), Transport::Tcp)];
    assert_eq!(port_owners(me, &unheard), [Owner::Nobody]);
}

/// A refusing UDP address keeps its port: no other program can take it
/// (and answer) before the test sends there; still, a datagram sent there
/// is refused as at a free port.
#[test]
fn a_refusing_udp_port_cannot_be_taken_and_still_refuses() {
    let refuser = support::RefusingUdp::new();
    assert!(
        UdpSocket::bind(refuser.addr()).is_err(),
        "another program could take the port"
    );
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(T)).unwrap();
    client.connect(refuser.addr()).unwrap();
    client.send(b"anyone?").unwrap();
    let error = client.recv(&mut [0u8; 16]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}

/// A refusing TCP address keeps its port: no other program can listen
/// there before the test connects; still, a connection there is refused
/// as at a free port.
#[test]
fn a_refusing_tcp_port_cannot_be_taken_and_still_refuses() {
    let refuser = support::RefusingTcp::new();
    // std's bind asks for SO_REUSEADDR (on Unix), as most servers do.
    assert!(
        TcpListener::bind(refuser.addr()).is_err(),
        "another program could listen there"
    );
    let error = TcpStream::connect_timeout(&refuser.addr(), T).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}
