//! # netlab-bench: measuring servers honestly
//!
//! A teaching server must also be a *good* server: one that stalls when a
//! class of 300 connects, or grows without bound, teaches the wrong lesson.
//! This crate is the load tool that puts figures on it, and the suite that
//! sets netlab's servers side by side with well-known peers (socat, iperf3,
//! xinetd, `ncat --chat`) on the same machine, with the same client.
//!
//! | subcommand      | what it measures                                        | module            |
//! |-----------------|---------------------------------------------------------|-------------------|
//! | `echo-bulk`     | MB/s echoed on N connections, every byte verified        | [`echo_bulk`]     |
//! | `echo-pingpong` | round trips/s and their latency (p50/p90/p99/max)        | [`pingpong`]      |
//! | `connect-rate`  | connections/s to time or daytime, every answer validated | [`connect_rate`]  |
//! | `chat-fanout`   | chat lines delivered/s, completeness, delivery latency   | [`chat_fanout`]   |
//! | `idle`          | server memory per idle connection (RSS from procfs)      | [`idle`]          |
//! | `suite`         | all of the above, ours vs peers, A B A B, then the report | [`suite`]         |
//!
//! ## Rules every measurement follows
//!
//! - **Loopback only** ([`common::loopback`]): a load tool pointed at a
//!   classmate's machine would be an attack, so any other address is refused.
//! - **Bounded**: every loop stops at a deadline *and* after a maximum count;
//!   a server that stalls makes a run fail with a message, never hang.
//! - **Verified**: a benchmark that does not check the answers measures how
//!   fast a server can be wrong. Echoed bytes are compared, time answers
//!   decoded, chat lines counted per sender and checked for order.
//! - **Same client for both**: ours and the peer are measured by the same
//!   code, one after the other (A B A B), each time on a fresh server.
//!
//! Client and server share the machine's cores, so figures are those of the
//! *pair*; what matters is the ratio between servers under the same client.

pub mod chart;
pub mod chat_fanout;
pub mod common;
pub mod connect_rate;
pub mod echo_bulk;
pub mod idle;
pub mod pingpong;
pub mod procfs;
pub mod report;
pub mod servers;
pub mod stats;
pub mod suite;
