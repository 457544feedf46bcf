//! # Where "now" comes from
//!
//! A time server's answer depends on the moment it is asked, which makes it
//! hard to test: the expected bytes change every second. So the server does
//! not read the system clock itself; it is *given* a [`Clock`]. The real
//! program gives it [`SystemClock`]; tests give it a [`FixedClock`] and know
//! the exact bytes to expect (including times after 2036, long before 2036).

use jiff::Timestamp;

/// Something that tells the time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// This machine's clock (what `date` shows).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock stopped at one instant, for tests and demonstrations.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_does_not_move() {
        let clock = FixedClock("2036-02-07T06:28:16Z".parse().unwrap());
        assert_eq!(clock.now(), clock.now());
        assert_eq!(clock.now().to_string(), "2036-02-07T06:28:16Z");
    }

    #[test]
    fn the_system_clock_moves_forward() {
        let first = SystemClock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(SystemClock.now() > first);
    }
}
