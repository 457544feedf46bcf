//! # The room: who is connected, under which name, and their mail boxes
//!
//! Every connection task needs to know about every other one: a `MSG` from
//! alice must reach bob's and carol's sockets. The room is that shared state:
//! a table of the connected clients, each with its nickname (once it has one)
//! and its **outbox**, a bounded queue of lines waiting to be written to it.
//!
//! ## Why a `std::sync::Mutex` around a `HashMap`
//!
//! - Everything done under the lock is short and never waits: look a name up,
//!   push a line into some queues with `try_send`. No `.await` happens while
//!   it is held (every method here is a plain, synchronous `fn`, so the
//!   compiler itself forbids it), so a blocking mutex is the right tool: it is
//!   simpler and faster than an async one.
//! - **One global order.** A broadcast pushes its line into every recipient's
//!   queue *while holding the lock*. Two messages cannot interleave their
//!   fan-outs, so every client receives all messages in the same order —
//!   which chat/1 promises. A `tokio::sync::broadcast` channel would also give
//!   one order, but a slow receiver there silently loses the oldest lines
//!   (it only learns afterwards that it "lagged"), and private messages and
//!   per-client answers would need a second path anyway.
//! - **Shared buffers.** A line is encoded once into a [`Bytes`]; each queue
//!   holds a reference-counted handle to the same allocation. Sending one
//!   line to 200 people costs one allocation, not 200. Lines one client
//!   sent together (a paste, a burst) share one buffer and take one place in
//!   each queue: 200 recipients cost 200 queue entries, whether the paste
//!   holds one line or fifty. (Each connection then copies what it takes
//!   from its queue into its own write buffer, up to two batches of 64
//!   entries, some hundreds of KiB, before writing them out: that copy is
//!   per recipient.)
//!
//! ## Backpressure: who gets cut off
//!
//! Each outbox holds at most `max_queue` entries: a line, or the lines one
//! client sent together (a few KiB at most, see `connection`). The *sender*
//! never waits long for a slow *recipient* (that would let one frozen client
//! stall the whole room): when a recipient's queue is full, it has stopped
//! reading what others send, so it is disconnected (its `kick` token is
//! cancelled, its own task closes the socket) and a line is logged. Everyone
//! else keeps receiving, and memory stays bounded.
//!
//! A sender that outruns everyone (a paste of megabytes, read from its
//! socket far faster than any task can write) is paced instead: every few
//! broadcasts, and after any that left some queue more than half full
//! ([`Room::crowded`]), it waits, a tenth of a second at most, while some
//! queue is more than half full ([`Room::fullest_queue`]). Clients that keep
//! reading catch up; one that stopped reading still fills up and is cut off,
//! a moment later than without the pause. Once a sender has waited for it
//! in vain, it is marked stalled, and only the waits every few broadcasts
//! count it: the room does not crawl until it is gone, and still waits
//! after every broadcast for everyone else. A rename (a `NICK` line for
//! everyone) counts as a broadcast too.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use codec::chat::{Reply, nick_key};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// A connection's number in the room (never reused).
pub type ClientId = u64;

/// The shared state of the chat server.
#[derive(Debug)]
pub struct Room {
    members: Mutex<Members>,
    max_clients: usize,
    max_queue: usize,
    /// Some queue became more than half full, and nobody has looked since
    /// ([`Room::crowded`]). Set and cleared under the lock; read without it.
    crowded: AtomicBool,
}

#[derive(Debug, Default)]
struct Members {
    next_id: ClientId,
    clients: HashMap<ClientId, Member>,
    /// Lower-cased nickname → who has it (nicknames are case-insensitive).
    nicks: HashMap<String, ClientId>,
}

#[derive(Debug)]
struct Member {
    addr: SocketAddr,
    nick: Option<String>,
    outbox: mpsc::Sender<Bytes>,
    kick: CancellationToken,
    /// Its queue stayed more than half full for a whole wait of a sender
    /// (see [`Room::give_up_on_the_stalled`]): nobody waits for it again
    /// until it has read its queue down to half.
    stalled: bool,
    /// Lines put in its queue so far: with the queue's length, tells how
    /// many its task took (see [`Room::give_up_on_the_stalled`]).
    delivered: Cell<u64>,
}

/// What a connection gets when it enters the room.
#[derive(Debug)]
pub struct Seat {
    /// Its number.
    pub id: ClientId,
    /// Lines from others, to write to its socket.
    pub inbox: mpsc::Receiver<Bytes>,
    /// Cancelled when it must be disconnected (it does not read).
    pub kick: CancellationToken,
    /// How many clients are connected, this one included.
    pub connected: usize,
}

/// The room is full: the connection is refused.
#[derive(Debug)]
pub struct Full;

/// Why a nickname could not be taken.
#[derive(Debug, PartialEq, Eq)]
pub enum NickRefused {
    /// Someone else has it (compared case-insensitively).
    Taken,
}

/// What happened when a nickname was taken.
#[derive(Debug, PartialEq, Eq)]
pub enum NickChange {
    /// The first nickname: the client has joined the room.
    Joined {
        /// How many clients have a nickname now.
        in_room: usize,
    },
    /// A new name for someone already in the room.
    Renamed {
        /// The former name.
        old: String,
    },
    /// The same name again: nothing changed.
    Unchanged,
}

/// Why a message could not be sent.
#[derive(Debug, PartialEq, Eq)]
pub enum SendRefused {
    /// The sender has no nickname yet.
    NoNick,
    /// Nobody has that nickname.
    NoSuchNick,
    /// The target is being disconnected: its queue is full (it stopped
    /// reading), or its task is ending. The line would never reach it, so
    /// for the sender it is already gone (chat/1 answers as for
    /// `NoSuchNick`); its `LEAVE` follows.
    Leaving,
}

/// Who left, as the room knew them.
#[derive(Debug)]
pub struct Left {
    /// Their nickname, if they had one.
    pub nick: Option<String>,
    /// How many clients are still connected.
    pub connected: usize,
}

impl Room {
    /// An empty room for at most `max_clients` connections, each with an
    /// outbox of `max_queue` lines.
    pub fn new(max_clients: usize, max_queue: usize) -> Room {
        Room {
            members: Mutex::new(Members::default()),
            max_clients,
            max_queue: max_queue.max(1),
            crowded: AtomicBool::new(false),
        }
    }

    /// Locks the table. A panic in another task while it held the lock
    /// leaves the table usable (every change is a single insert or remove).
    fn lock(&self) -> MutexGuard<'_, Members> {
        self.members
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new connection, not yet named; refused when the room is full.
    pub fn enter(&self, addr: SocketAddr) -> Result<Seat, Full> {
        let mut members = self.lock();
        if members.clients.len() >= self.max_clients {
            return Err(Full);
        }
        let (outbox, inbox) = mpsc::channel(self.max_queue);
        let kick = CancellationToken::new();
        members.next_id += 1;
        let id = members.next_id;
        members.clients.insert(
            id,
            Member {
                addr,
                nick: None,
                outbox,
                kick: kick.clone(),
                stalled: false,
                delivered: Cell::new(0),
            },
        );
        Ok(Seat {
            id,
            inbox,
            kick,
            connected: members.clients.len(),
        })
    }

    /// How many clients are connected (named or not).
    pub fn connected(&self) -> usize {
        self.lock().clients.len()
    }

    /// Takes or changes a nickname, and tells the others (`JOIN` or `NICK`).
    pub fn set_nick(&self, id: ClientId, nick: &str) -> Result<NickChange, NickRefused> {
        let mut members = self.lock();
        let key = nick_key(nick);
        if members.nicks.get(&key).is_some_and(|&owner| owner != id) {
            return Err(NickRefused::Taken);
        }
        let old = members.clients.get(&id).and_then(|m| m.nick.clone());
        let notice = match &old {
            Some(old) if old == nick => return Ok(NickChange::Unchanged),
            Some(old) => Reply::Nick {
                old: old.clone(),
                new: nick.to_string(),
            },
            None => Reply::Join(nick.to_string()),
        };
        if let Some(old) = &old {
            members.nicks.remove(&nick_key(old));
        }
        members.nicks.insert(key, id);
        if let Some(member) = members.clients.get_mut(&id) {
            member.nick = Some(nick.to_string());
        }
        self.note(members.broadcast(&notice, Some(id), self.max_queue));
        Ok(match old {
            Some(old) => NickChange::Renamed { old },
            None => NickChange::Joined {
                in_room: members.nicks.len(),
            },
        })
    }

    /// `MSG`: to every named client, the sender included, in one global order.
    ///
    /// `texts` are the lines one client sent together (often just one): they
    /// are encoded into one shared buffer and take one place in each queue.
    /// A pasted page then costs each recipient one entry and one write, not
    /// one per line, as a relay that forwards what it reads would do.
    pub fn say(&self, id: ClientId, texts: Vec<String>) -> Result<(), SendRefused> {
        let members = self.lock();
        let from = members.nick_of(id).ok_or(SendRefused::NoNick)?;
        let mut lines = BytesMut::new();
        for text in texts {
            let line = Reply::Msg {
                from: from.to_string(),
                text,
            };
            // Writing into memory cannot fail.
            let _ = writeln!(lines, "{line}");
        }
        self.note(members.send_to_all(lines.freeze(), None, self.max_queue));
        Ok(())
    }

    /// The longest queue of lines waiting for a client other than `id`.
    ///
    /// A client that sends faster than the others' tasks write (a paste of
    /// megabytes, read from its socket at memory speed) waits while this is
    /// above half a queue (see `connection`): the readers catch up instead
    /// of being cut off for being slower than memory. Every queue is looked
    /// at, so this is also when [`Room::crowded`] is cleared.
    ///
    /// With `skip_stalled`, a stalled client's queue (see
    /// [`Room::give_up_on_the_stalled`]) is left out until it is back to
    /// half: the wait after every broadcast of a crowded room is not made
    /// for it again. The wait every few broadcasts still is: a reader that
    /// only paused a little longer than one wait is given as much time as
    /// before to read on, not cut off at memory speed.
    pub fn fullest_queue(&self, id: ClientId, skip_stalled: bool) -> usize {
        let mut members = self.lock();
        let half = self.max_queue / 2;
        let (mut others, mut everyone) = (0, 0);
        for (&client, member) in &mut members.clients {
            let waiting = self.max_queue - member.outbox.capacity();
            if member.stalled {
                if waiting <= half {
                    member.stalled = false; // it reads again
                } else if skip_stalled {
                    continue;
                }
            }
            everyone = everyone.max(waiting);
            if client != id {
                others = others.max(waiting);
            }
        }
        if everyone <= half {
            self.crowded.store(false, Ordering::Relaxed);
        }
        others
    }

    /// The clients but `id` whose queue is more than half full, with the
    /// lines put in it so far (taken or not): noted when a sender starts to
    /// wait for them, to be compared when it gives up (see
    /// [`Room::give_up_on_the_stalled`]).
    pub fn queues_above_half(&self, id: ClientId) -> Vec<QueueMark> {
        let members = self.lock();
        let half = self.max_queue / 2;
        members
            .clients
            .iter()
            .filter(|&(&client, member)| {
                client != id && self.max_queue - member.outbox.capacity() > half
            })
            .map(|(&client, member)| QueueMark {
                client,
                taken: member.taken(self.max_queue),
            })
            .collect()
    }

    /// Marks as stalled every client of `before` (see
    /// [`Room::queues_above_half`]) whose queue is still more than half
    /// full and that took nothing from it since: a sender waited for it a
    /// whole `CATCH_UP` in vain (see `connection`), so it has probably
    /// stopped reading, and its
    /// full queue will soon cut it off. Until then the waits after every
    /// broadcast of a crowded room leave it out (only those every few
    /// broadcasts count it, see [`Room::fullest_queue`]), but senders go
    /// on waiting for everyone else there: forgetting about *all*
    /// queues instead (pacing only every few broadcasts again, as long as
    /// one client does not read) let several pastes at once fill the
    /// queues of readers that did nothing wrong.
    ///
    /// A reader that did take lines is not marked, even if others filled
    /// its queue again meanwhile: it is only slower than several pastes at
    /// once, and waiting for it is what keeps it from being cut off.
    pub fn give_up_on_the_stalled(&self, before: &[QueueMark]) {
        let mut members = self.lock();
        let half = self.max_queue / 2;
        for mark in before {
            if let Some(member) = members.clients.get_mut(&mark.client) {
                let waiting = self.max_queue - member.outbox.capacity();
                if waiting > half && member.taken(self.max_queue) == mark.taken {
                    member.stalled = true;
                }
            }
        }
    }

    /// True when a line put in some queue left it more than half full, and
    /// [`Room::fullest_queue`] has not looked since: one load, no lock, so
    /// that a sender can ask after every broadcast. Several clients pasting
    /// at once fill the same queues: each must then let the readers catch
    /// up before it adds more, not only every few broadcasts.
    pub fn crowded(&self) -> bool {
        self.crowded.load(Ordering::Relaxed)
    }

    /// Remembers that a delivery left some queue more than half full.
    /// Called with the lock held, as [`Room::fullest_queue`] clears it.
    fn note(&self, above_half: bool) {
        if above_half {
            self.crowded.store(true, Ordering::Relaxed);
        }
    }

    /// `PRIV`: to one client. Returns the target's nickname as registered,
    /// or [`SendRefused::Leaving`] when the line could not be queued (the
    /// target's queue is full: it is being cut off).
    pub fn whisper(&self, id: ClientId, to: &str, text: &str) -> Result<String, SendRefused> {
        let members = self.lock();
        let from = members.nick_of(id).ok_or(SendRefused::NoNick)?;
        let member = members
            .nicks
            .get(&nick_key(to))
            .and_then(|target| members.clients.get(target))
            .ok_or(SendRefused::NoSuchNick)?;
        let line = Reply::Priv {
            from: from.to_string(),
            text: text.to_string(),
        }
        .to_bytes();
        // Known now, while the line is queued: no `OK PRIV` for a line
        // that cannot reach its target.
        let above_half = member
            .deliver(line, self.max_queue)
            .ok_or(SendRefused::Leaving)?;
        self.note(above_half);
        Ok(member.nick.clone().unwrap_or_default())
    }

    /// `LIST`: the nicknames, sorted case-insensitively.
    pub fn list(&self) -> Vec<String> {
        let mut nicks: Vec<String> = self
            .lock()
            .clients
            .values()
            .filter_map(|m| m.nick.clone())
            .collect();
        // Sorted after the lock is released: nobody waits for it. Nicknames
        // are unique case-insensitively, so the lower-cased form is enough.
        nicks.sort_by_cached_key(|n| nick_key(n));
        nicks
    }

    /// A connection ends. When it had a nickname and `notify` is true, the
    /// others get `LEAVE <nick> [reason]`.
    pub fn leave(&self, id: ClientId, reason: Option<&str>, notify: bool) -> Left {
        let mut members = self.lock();
        let nick = members.clients.remove(&id).and_then(|m| m.nick);
        if let Some(nick) = &nick {
            members.nicks.remove(&nick_key(nick));
            if notify {
                let line = Reply::Leave {
                    nick: nick.clone(),
                    reason: reason.map(str::to_string),
                };
                self.note(members.broadcast(&line, None, self.max_queue));
            }
        }
        Left {
            nick,
            connected: members.clients.len(),
        }
    }
}

impl Members {
    fn nick_of(&self, id: ClientId) -> Option<&str> {
        self.clients.get(&id)?.nick.as_deref()
    }

    /// Queues `reply` for every named client except `except`. The line is
    /// encoded once; each queue gets a handle to the same bytes. True when
    /// it left some queue more than half full.
    fn broadcast(&self, reply: &Reply, except: Option<ClientId>, max_queue: usize) -> bool {
        self.send_to_all(reply.to_bytes(), except, max_queue)
    }

    /// Queues `line` (one or more encoded lines) for every named client
    /// except `except`; each queue gets a handle to the same bytes.
    fn send_to_all(&self, line: Bytes, except: Option<ClientId>, max_queue: usize) -> bool {
        let mut above_half = false;
        for (&id, member) in &self.clients {
            if member.nick.is_some() && Some(id) != except {
                above_half |= member.deliver(line.clone(), max_queue) == Some(true);
            }
        }
        above_half
    }
}

/// A client's queue as a sender found it when it began to wait (see
/// [`Room::queues_above_half`]).
#[derive(Debug)]
pub struct QueueMark {
    client: ClientId,
    /// Lines its task had taken from the queue by then.
    taken: u64,
}

impl Member {
    /// Lines its task has taken from its queue so far.
    fn taken(&self, max_queue: usize) -> u64 {
        let waiting = (max_queue - self.outbox.capacity()) as u64;
        self.delivered.get().saturating_sub(waiting)
    }

    /// Queues one line without waiting. A full queue means the client has
    /// stopped reading: it is disconnected rather than allowed to slow
    /// everyone down or to make the server hoard memory. `Some(true)` when
    /// the line left the queue more than half full (see [`Room::crowded`])
    /// and someone should wait for it: not for a stalled client. `None`
    /// when the line was not queued: the client is leaving.
    fn deliver(&self, line: Bytes, max_queue: usize) -> Option<bool> {
        match self.outbox.try_send(line) {
            Ok(()) => {
                self.delivered.set(self.delivered.get() + 1);
                Some(!self.stalled && max_queue - self.outbox.capacity() > max_queue / 2)
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                if !self.kick.is_cancelled() {
                    warn!(
                        "{} ({}) does not read what it is sent: {max_queue} lines waiting, disconnecting it",
                        self.addr,
                        self.nick.as_deref().unwrap_or("no nickname")
                    );
                    self.kick.cancel();
                }
                None // it is leaving: nobody waits for it
            }
            // Its task is ending; it will leave the room in a moment.
            Err(mpsc::error::TrySendError::Closed(_)) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn lines(seat: &mut Seat) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(line) = seat.inbox.try_recv() {
            out.push(String::from_utf8(line.to_vec()).unwrap());
        }
        out
    }

    /// A sender that waited in vain marks as stalled only the queues that
    /// nobody took from meanwhile: a reader that took lines, but whose
    /// queue others filled again, is waited for after every broadcast
    /// still. Marking every queue above half let several pastes at once
    /// cut off readers that were only a little slower than all of them.
    #[test]
    fn only_a_queue_nobody_took_from_is_stalled() {
        let room = Room::new(10, 8);
        let sender = room.enter(addr(1)).unwrap();
        let frozen = room.enter(addr(2)).unwrap();
        let mut reader = room.enter(addr(3)).unwrap();
        for (seat, nick) in [(&sender, "s"), (&frozen, "f"), (&reader, "r")] {
            room.set_nick(seat.id, nick).unwrap();
        }
        lines(&mut reader);
        let say = |n| {
            for i in 0..n {
                room.say(sender.id, vec![format!("{i}")]).unwrap();
            }
        };
        say(5);
        // Both queues above half (4 of 8) when the sender begins to wait:
        // the frozen one holds 6 lines (a JOIN too), the reader's 5.
        assert_eq!(room.fullest_queue(sender.id, true), 6);
        let before = room.queues_above_half(sender.id);
        // The reader takes two lines, the sender's burst refills them.
        reader.inbox.try_recv().unwrap();
        reader.inbox.try_recv().unwrap();
        say(2);
        room.give_up_on_the_stalled(&before);
        // The waits after each broadcast no longer count the frozen one
        // (8 lines now), but still count the reader (5).
        assert_eq!(room.fullest_queue(sender.id, true), 5);
        assert!(room.crowded());
        // The waits every few broadcasts count everyone.
        assert_eq!(room.fullest_queue(sender.id, false), 8);
    }

    #[test]
    fn the_room_refuses_one_over_the_limit_and_frees_seats() {
        let room = Room::new(2, 8);
        let a = room.enter(addr(1)).unwrap();
        let _b = room.enter(addr(2)).unwrap();
        assert!(room.enter(addr(3)).is_err());
        room.leave(a.id, None, true);
        assert!(room.enter(addr(3)).is_ok());
    }

    #[test]
    fn join_rename_and_collisions() {
        let room = Room::new(10, 8);
        let mut a = room.enter(addr(1)).unwrap();
        let mut b = room.enter(addr(2)).unwrap();
        assert_eq!(
            room.set_nick(a.id, "alice"),
            Ok(NickChange::Joined { in_room: 1 })
        );
        assert_eq!(room.set_nick(b.id, "ALICE"), Err(NickRefused::Taken));
        assert_eq!(
            room.set_nick(b.id, "bob"),
            Ok(NickChange::Joined { in_room: 2 })
        );
        assert_eq!(lines(&mut a), vec!["JOIN bob\n"]);
        assert_eq!(
            room.set_nick(a.id, "Alice"),
            Ok(NickChange::Renamed {
                old: "alice".into()
            })
        );
        assert_eq!(room.set_nick(a.id, "Alice"), Ok(NickChange::Unchanged));
        assert_eq!(lines(&mut b), vec!["NICK alice Alice\n"]);
        assert_eq!(room.list(), vec!["Alice", "bob"]);
        // The old name is free again.
        let c = room.enter(addr(3)).unwrap();
        assert!(
            room.set_nick(c.id, "alice").is_err(),
            "alice and Alice are the same name"
        );
        assert_eq!(
            room.set_nick(c.id, "carol"),
            Ok(NickChange::Joined { in_room: 3 })
        );
    }

    #[test]
    fn a_full_queue_kicks_only_that_client() {
        let room = Room::new(10, 2);
        let mut a = room.enter(addr(1)).unwrap();
        let b = room.enter(addr(2)).unwrap();
        room.set_nick(a.id, "alice").unwrap();
        room.set_nick(b.id, "bob").unwrap();
        for i in 0..5 {
            room.say(a.id, vec![format!("m{i}")]).unwrap();
            lines(&mut a); // alice reads, bob does not
        }
        assert!(b.kick.is_cancelled());
        assert!(!a.kick.is_cancelled());
    }

    /// A `PRIV` that finds its target's queue full is not confirmed: the
    /// line is not queued, the target is being cut off, and the sender is
    /// told so instead of `OK PRIV`, before the target's `LEAVE`.
    #[test]
    fn a_priv_to_a_client_being_cut_off_is_refused() {
        let room = Room::new(10, 2);
        let mut a = room.enter(addr(1)).unwrap();
        let b = room.enter(addr(2)).unwrap();
        room.set_nick(a.id, "alice").unwrap();
        room.set_nick(b.id, "bob").unwrap();
        lines(&mut a);
        // bob reads nothing: two lines fill his queue.
        assert_eq!(room.whisper(a.id, "bob", "1"), Ok("bob".to_string()));
        assert_eq!(room.whisper(a.id, "bob", "2"), Ok("bob".to_string()));
        assert!(!b.kick.is_cancelled());
        assert_eq!(room.whisper(a.id, "bob", "3"), Err(SendRefused::Leaving));
        assert!(b.kick.is_cancelled(), "the full queue cut bob off");
        assert_eq!(room.whisper(a.id, "BOB", "4"), Err(SendRefused::Leaving));
        room.leave(b.id, None, true);
        assert_eq!(room.whisper(a.id, "bob", "5"), Err(SendRefused::NoSuchNick));
    }

    #[test]
    fn lines_sent_together_take_one_place_in_each_queue() {
        let room = Room::new(10, 2);
        let mut a = room.enter(addr(1)).unwrap();
        let mut b = room.enter(addr(2)).unwrap();
        room.set_nick(a.id, "alice").unwrap();
        room.set_nick(b.id, "bob").unwrap();
        lines(&mut a); // JOIN bob
        let paste: Vec<String> = (0..5).map(|i| format!("line {i}")).collect();
        room.say(a.id, paste).unwrap();
        let expected: String = (0..5).map(|i| format!("MSG alice line {i}\n")).collect();
        for seat in [&mut a, &mut b] {
            assert_eq!(lines(seat), vec![expected.clone()]);
        }
        assert!(
            !b.kick.is_cancelled(),
            "five lines, one entry: the queue of 2 is not full"
        );
    }

    #[test]
    fn unnamed_clients_cannot_send_and_do_not_receive() {
        let room = Room::new(10, 8);
        let a = room.enter(addr(1)).unwrap();
        let mut b = room.enter(addr(2)).unwrap();
        assert_eq!(room.say(a.id, vec!["hi".into()]), Err(SendRefused::NoNick));
        room.set_nick(a.id, "alice").unwrap();
        assert_eq!(
            room.whisper(a.id, "nobody", "x"),
            Err(SendRefused::NoSuchNick)
        );
        room.say(a.id, vec!["hi".into()]).unwrap();
        assert!(lines(&mut b).is_empty());
        let left = room.leave(a.id, Some("bye"), true);
        assert_eq!(left.nick.as_deref(), Some("alice"));
        assert_eq!(left.connected, 1);
    }
}
