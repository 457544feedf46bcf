//! # Damaged input for the robustness tests ("poor man's fuzzing")
//!
//! Shared by `crates/codec/tests/robustness.rs` and
//! `crates/http/tests/robustness.rs` (each includes this file with
//! `#[path]`): a tiny deterministic generator, a way to damage a valid
//! message as a slightly wrong peer would, and a way to cut bytes into
//! reads as TCP may deliver them. No `rand` crate: the same seed gives the
//! same cases on every run and every machine.

/// xorshift64 (Marsaglia, 2003): three shifts, good enough to pick bytes,
/// and the same sequence on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1) // xorshift must never hold 0
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True once in `n` times, on average.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `len` bytes: from `favourites` half of the time, else any byte.
    pub fn bytes(&mut self, len: usize, favourites: &[u8]) -> Vec<u8> {
        (0..len)
            .map(|_| {
                if self.one_in(2) {
                    *self.pick(favourites)
                } else {
                    self.next() as u8
                }
            })
            .collect()
    }
}

/// `valid` with 1 to 4 small injuries, each of a kind real peers commit:
/// a flipped bit, a byte replaced or inserted (often one that means
/// something to the parser: `favourites`), a byte lost, a piece repeated,
/// the end cut off.
pub fn mutate(rng: &mut Rng, valid: &[u8], favourites: &[u8]) -> Vec<u8> {
    let mut bytes = valid.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(7) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 if at < bytes.len() => bytes[at] = *rng.pick(favourites),
            2 => bytes.insert(at, *rng.pick(favourites)),
            3 => bytes.insert(at, rng.next() as u8),
            4 if at < bytes.len() => {
                bytes.remove(at);
            }
            5 => {
                // Repeat a piece of the message somewhere else in it.
                let from = rng.below(bytes.len() + 1);
                let len = rng.below(bytes.len() - from + 1).min(64);
                let piece = bytes[from..from + len].to_vec();
                bytes.splice(at..at, piece);
            }
            _ => bytes.truncate(at),
        }
    }
    bytes
}

/// `bytes` cut into reads of random sizes, as TCP may deliver them: often
/// one byte at a time, sometimes a few, sometimes everything at once.
pub fn reads<'a>(rng: &mut Rng, bytes: &'a [u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let size = match rng.below(4) {
            0 => 1,
            1 => 1 + rng.below(8),
            2 => 1 + rng.below(200),
            _ => rest.len(),
        };
        let (piece, after) = rest.split_at(size.min(rest.len()));
        pieces.push(piece);
        rest = after;
    }
    pieces
}
