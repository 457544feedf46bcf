//! # The echo pair (RFC 862)
//!
//! The simplest client/server conversation there is: the client sends bytes,
//! the server sends the very same bytes back. Simple enough to see every
//! course idea at once:
//!
//! - the **server** ([`server`]) opens port 10007 and waits there permanently,
//!   on TCP *and* UDP — one port number, two transports, two doors;
//! - the **client** ([`client`]) initiates: it connects, sends, reads;
//! - the server serves **many clients at once**, one task per connection;
//! - with `--trace`, both programs show each byte crossing the network.
//!
//! The binaries `echo-server` and `echo-client` parse their arguments (the
//! server also opens its port and says where it listens) and call these
//! functions.

pub mod client;
pub mod server;

pub use codec::echo::DEFAULT_PORT;
