//! # Admission: many clients at once, but not unboundedly
//!
//! **Course idea.** One server serves many clients *at the same time*: each
//! accepted connection gets a task of its own. But every connection costs
//! something (an open file, a task, buffers), and a machine has only so
//! much. So a real server sets a **limit** (`--max-clients`) and decides
//! **what the client one too many is told**.
//!
//! - **The limit** is a count of free places, one per connection (a
//!   [semaphore](tokio::sync::Semaphore)): a connection takes a place when
//!   it is accepted ([`Admission::admit`]) and gives it back when its task
//!   ends (the [`Admitted`] ticket is dropped). Several listening ports may
//!   share one limit ([`Admission::another_door`]).
//! - **The newcomer** who finds no place is closed at once, without a byte:
//!   for echo or time, any byte would be taken for an echo or a time, so
//!   silence (then end of stream) is the only honest answer. A protocol that
//!   can say "server full" (chat/1's `ERR server full`) says it instead; the
//!   chat server keeps its own admission for that (see `chat-server`).
//! - **The log** says who was refused, but a flood of newcomers must not
//!   become a flood of log lines: at most one line a second per listening
//!   port, then how many were left out ([`OncePerSecond`]), and at the end
//!   ([`Admission::finish`]) the count still untold.
//!
//! ```no_run
//! # async fn demo(listener: tokio::net::TcpListener, shutdown: tokio_util::sync::CancellationToken) {
//! use netkit::admission::Admission;
//!
//! let mut door = Admission::new(100);
//! while let Some((stream, peer)) = netkit::net::accept(&listener, &shutdown).await {
//!     // Refused (and logged): dropping `stream` closes the connection.
//!     let Some(ticket) = door.admit(peer) else { continue };
//!     tokio::spawn(async move {
//!         // … serve `stream` …
//!         drop((stream, ticket)); // the place is free again
//!     });
//! }
//! door.finish();
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::warn;

use crate::logging::{OncePerSecond, clients};

/// The door of one listening socket onto a limit of `max_clients`
/// connections at once (see the [module docs](self)).
#[derive(Debug)]
pub struct Admission {
    /// One permit per connection: when none is left, the server is full.
    places: Arc<Semaphore>,
    max_clients: usize,
    /// The "refused" lines of this door, at most one a second.
    refusals: OncePerSecond,
}

/// A connection's place, held for as long as it is served: dropping it
/// frees the place for the next client.
#[derive(Debug)]
#[must_use = "the place is given back as soon as the ticket is dropped"]
pub struct Admitted {
    _place: OwnedSemaphorePermit,
    connected: usize,
}

impl Admitted {
    /// How many connections were open when this one was admitted, this one
    /// included (counted at once: by the time its task runs, others may
    /// have come or gone).
    pub fn connected(&self) -> usize {
        self.connected
    }
}

impl Admission {
    /// A limit of `max_clients` connections at once (`--max-clients`), and
    /// a first door onto it.
    pub fn new(max_clients: usize) -> Admission {
        Admission {
            places: Arc::new(Semaphore::new(max_clients)),
            max_clients,
            refusals: OncePerSecond::new(),
        }
    }

    /// A door for another listening socket of the same server: it shares the
    /// limit (a connection on either port takes a place of the same count)
    /// but logs its refusals on its own.
    pub fn another_door(&self) -> Admission {
        Admission {
            places: self.places.clone(),
            max_clients: self.max_clients,
            refusals: OncePerSecond::new(),
        }
    }

    /// A place for `peer`, just accepted, or `None` when the server is full:
    /// then a line says so (at most one a second), and the caller drops the
    /// connection, which closes it.
    pub fn admit(&mut self, peer: SocketAddr) -> Option<Admitted> {
        self.admit_at(peer, Instant::now())
    }

    /// [`Admission::admit`] at the instant `now` (tests choose it).
    fn admit_at(&mut self, peer: SocketAddr, now: Instant) -> Option<Admitted> {
        let Ok(place) = self.places.clone().try_acquire_owned() else {
            if let Some(more) = self.refusals.due(now) {
                warn!(
                    "{peer} refused: already {} (see --max-clients){more}",
                    clients(self.max_clients)
                );
            }
            return None;
        };
        Some(Admitted {
            _place: place,
            connected: self.max_clients - self.places.available_permits(),
        })
    }

    /// When the server stops accepting: logs how many refusals were left
    /// out of the log since its last such line, if any, so that the log
    /// tells every one.
    pub fn finish(&mut self) {
        if let Some(untold) = self.refusals.untold() {
            warn!("refused (see --max-clients): {untold}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::test_log::logged;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn up_to_the_limit_each_newcomer_gets_a_place_and_the_count() {
        let mut door = Admission::new(3);
        let first = door.admit(peer(1)).expect("a place");
        let second = door.admit(peer(2)).expect("a place");
        assert_eq!((first.connected(), second.connected()), (1, 2));
        drop(first);
        // A place freed is a place for the next, and the count says so.
        let third = door.admit(peer(3)).expect("a place");
        assert_eq!(third.connected(), 2);
    }

    #[test]
    fn one_too_many_is_refused_until_a_place_is_freed() {
        let mut door = Admission::new(1);
        let lines = logged(|| {
            let ticket = door.admit(peer(1)).expect("a place");
            assert!(door.admit(peer(2)).is_none());
            drop(ticket);
            assert_eq!(door.admit(peer(3)).expect("freed").connected(), 1);
        });
        assert_eq!(
            lines,
            ["127.0.0.1:2 refused: already 1 client (see --max-clients)"]
        );
    }

    #[test]
    fn a_limit_of_zero_refuses_everyone() {
        let mut door = Admission::new(0);
        let lines = logged(|| assert!(door.admit(peer(1)).is_none()));
        assert_eq!(
            lines,
            ["127.0.0.1:1 refused: already 0 clients (see --max-clients)"]
        );
    }

    #[test]
    fn a_flood_of_refusals_is_one_line_a_second_then_the_rest_at_the_end() {
        let mut door = Admission::new(1);
        let t0 = Instant::now();
        let lines = logged(|| {
            let _held = door.admit_at(peer(1), t0).expect("a place");
            for port in 2..=101 {
                assert!(door.admit_at(peer(port), t0).is_none());
            }
            assert!(
                door.admit_at(peer(102), t0 + Duration::from_secs(1))
                    .is_none()
            );
            assert!(
                door.admit_at(peer(103), t0 + Duration::from_secs(1))
                    .is_none()
            );
            door.finish();
        });
        assert_eq!(
            lines,
            [
                "127.0.0.1:2 refused: already 1 client (see --max-clients)",
                "127.0.0.1:102 refused: already 1 client (see --max-clients) \
                 (and 99 more since the last such line, not logged one by one)",
                "refused (see --max-clients): 1 more since the last such line, \
                 not logged one by one",
            ]
        );
    }

    #[test]
    fn two_doors_share_the_limit_but_not_their_log_rate() {
        let mut time = Admission::new(1);
        let mut daytime = time.another_door();
        let t0 = Instant::now();
        let lines = logged(|| {
            let held = time.admit_at(peer(1), t0).expect("a place");
            // Full for both ports: the place is taken on the other one.
            assert!(daytime.admit_at(peer(2), t0).is_none());
            assert!(time.admit_at(peer(3), t0).is_none());
            drop(held);
            assert_eq!(daytime.admit_at(peer(4), t0).expect("freed").connected(), 1);
        });
        assert_eq!(lines.len(), 2, "{lines:?}");
    }

    #[test]
    fn finish_says_nothing_when_every_refusal_was_logged() {
        let mut door = Admission::new(0);
        let lines = logged(|| {
            assert!(door.admit(peer(1)).is_none());
            door.finish();
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
    }
}
