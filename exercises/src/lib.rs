//! # netlab exercises: from port numbers to a chat server
//!
//! Twelve small steps for the course *Communication client/serveur*. Each
//! exercise is one module holding a library function whose body is
//! `todo!()`: the socket is passed in (`serve(listener)`, `handle(stream)`),
//! so the tests in `exercises/tests/` can start a real server on port 0,
//! connect to it, and check what it really sends, with time-outs so that a
//! wrong answer turns red instead of hanging.
//!
//! | step | module                | course idea                                        |
//! |------|-----------------------|----------------------------------------------------|
//! | 1    | [`ex01_ports`]        | 1 service = 1 port; the three port ranges          |
//! | 2    | [`ex02_echo_client`]  | the client initiates; its port is chosen by the OS |
//! | 3    | [`ex03_time_client`]  | a binary protocol; TCP is a stream, not messages   |
//! | 4    | [`ex04_time_server`]  | a server listens permanently and answers            |
//! | 5    | [`ex05_echo_handler`] | end of file: `read` returning `Ok(0)`              |
//! | 6    | [`ex06_uppercase`]    | framing: a text protocol made of lines             |
//! | 7    | [`ex07_threads`]      | one server, many clients at once                   |
//! | 8    | [`ex08_counter`]      | state shared between clients                       |
//! | 9    | [`ex09_chat_parse`]   | a protocol is a common language: its grammar       |
//! | 10   | [`ex10_chat_server`]  | the server relays between clients                  |
//! | 11   | [`ex11_chat_client`]  | a client listens to two sources at once            |
//! | 12   | [`ex12_tokio`]        | thousands of clients: tasks instead of threads     |
//!
//! Start with `cargo guide` (`cargo run -p guide --`; the guide is a package
//! of its own, in `exercises/guide/`, so that it runs even when this one does
//! not compile): it runs the exercises in order, stops at the first one that
//! fails and tells you what it expects, or where your code does not compile.
//! `cargo run -p exercises --bin play -- N` runs exercise N by hand, so you
//! can watch it with nc, telnet, `ss` or Wireshark.
//! The sheets are in `docs/exercices/` (French) and `docs/exercises/`
//! (English).
//!
//! The reference solutions live in `src/solutions/`; the `solutions` feature
//! compiles them in place of the stubs (`cargo test -p exercises --features
//! solutions`). Try on your own first: the tests tell you what is wrong.

// The stubs are the point of this crate: each function a student has to write
// is `todo!()` until they do. The workspace warns about `todo!()` everywhere
// else, so it is allowed here, on purpose.
#![allow(clippy::todo)]
// A stub does not use its parameters yet, nor the imports the solution will
// need (they are left in place as a hint). The reference solutions do use
// them, so these warnings stay on when the `solutions` feature is enabled.
#![cfg_attr(
    not(feature = "solutions"),
    allow(unused_variables, unused_imports, unused_mut)
)]

#[cfg(not(feature = "solutions"))]
pub mod ex01_ports;
#[cfg(feature = "solutions")]
#[path = "solutions/ex01_ports.rs"]
pub mod ex01_ports;

#[cfg(not(feature = "solutions"))]
pub mod ex02_echo_client;
#[cfg(feature = "solutions")]
#[path = "solutions/ex02_echo_client.rs"]
pub mod ex02_echo_client;

#[cfg(not(feature = "solutions"))]
pub mod ex03_time_client;
#[cfg(feature = "solutions")]
#[path = "solutions/ex03_time_client.rs"]
pub mod ex03_time_client;

#[cfg(not(feature = "solutions"))]
pub mod ex04_time_server;
#[cfg(feature = "solutions")]
#[path = "solutions/ex04_time_server.rs"]
pub mod ex04_time_server;

#[cfg(not(feature = "solutions"))]
pub mod ex05_echo_handler;
#[cfg(feature = "solutions")]
#[path = "solutions/ex05_echo_handler.rs"]
pub mod ex05_echo_handler;

#[cfg(not(feature = "solutions"))]
pub mod ex06_uppercase;
#[cfg(feature = "solutions")]
#[path = "solutions/ex06_uppercase.rs"]
pub mod ex06_uppercase;

#[cfg(not(feature = "solutions"))]
pub mod ex07_threads;
#[cfg(feature = "solutions")]
#[path = "solutions/ex07_threads.rs"]
pub mod ex07_threads;

#[cfg(not(feature = "solutions"))]
pub mod ex08_counter;
#[cfg(feature = "solutions")]
#[path = "solutions/ex08_counter.rs"]
pub mod ex08_counter;

#[cfg(not(feature = "solutions"))]
pub mod ex09_chat_parse;
#[cfg(feature = "solutions")]
#[path = "solutions/ex09_chat_parse.rs"]
pub mod ex09_chat_parse;

#[cfg(not(feature = "solutions"))]
pub mod ex10_chat_server;
#[cfg(feature = "solutions")]
#[path = "solutions/ex10_chat_server.rs"]
pub mod ex10_chat_server;

#[cfg(not(feature = "solutions"))]
pub mod ex11_chat_client;
#[cfg(feature = "solutions")]
#[path = "solutions/ex11_chat_client.rs"]
pub mod ex11_chat_client;

#[cfg(not(feature = "solutions"))]
pub mod ex12_tokio;
#[cfg(feature = "solutions")]
#[path = "solutions/ex12_tokio.rs"]
pub mod ex12_tokio;
