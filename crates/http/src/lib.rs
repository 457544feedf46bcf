//! # http — the web, as the course shows it
//!
//! The course's first example of client/server communication is a web server
//! (Apache, port 80) answered by a browser. This crate is that pair, small
//! enough to read:
//!
//! - `http-server` speaks HTTP/1.1 (keep-alive, GET and HEAD). Its home page
//!   shows the request the browser just sent — method, path, version, every
//!   header, the browser's address and port — so a student sees exactly what
//!   a browser says. With `--root DIR` it also serves files, like Apache.
//! - `http-client` sends one GET and prints the whole conversation: the
//!   request, the response head, then the body.
//!
//! Modules, from the bytes up:
//!
//! - [`request`]: request heads, parsed (with `httparse`) and checked, with limits;
//! - [`response`]: status codes, response heads, how a body ends;
//! - [`chunked`]: chunked bodies;
//! - [`page`]: the "what your browser said" page, HTML-escaped;
//! - [`files`]: serving a folder without ever leaving it, nor showing its hidden files;
//! - [`conditional`]: `Last-Modified`, `If-Modified-Since` and `304 Not Modified`, and the
//!   opposite conditions (`If-Match`, `If-Unmodified-Since`) and `412 Precondition Failed`;
//! - [`server`]: the server ([`server::serve`]);
//! - [`url`] and [`client`]: the client.
//!
//! The first four, and [`conditional`], never touch a socket (they are "sans-I/O"), so each rule of
//! the protocol is tested with plain byte strings.

pub mod chunked;
pub mod client;
pub mod conditional;
pub mod files;
pub mod page;
pub mod request;
pub mod response;
pub mod server;
pub mod url;
