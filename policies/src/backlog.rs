//! A processor's backlog: the estimated work it holds (nanoseconds of its time: its tasks'
//! remaining compute and its shares of its groups' remaining preprocessing), kept as a value at
//! a time and the rate at which it falls, so that reading it at any later time is one
//! multiplication.
//!
//! The cluster state keeps one per processor, adding and taking out each task's and group's
//! part as they start, finish, move or change pace. Every planning round reads every
//! processor's backlog: summed afresh from every running task and live group, that was the
//! largest part of a round on a busy cluster.

use coprep_traces::Nanos;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Backlog {
    /// The work held at `since` (ns).
    at: f64,
    since: Nanos,
    /// Work done per nanosecond from `since` on.
    falls: f64,
}

impl Backlog {
    /// The work held at `now` (not before `since`).
    pub fn at(&self, now: Nanos) -> f64 {
        self.at - self.falls * now.saturating_sub(self.since) as f64
    }

    /// Adds a part worth `value` at `now` that falls by `falls` per nanosecond (negative
    /// values take a part out).
    pub fn add(&mut self, now: Nanos, value: f64, falls: f64) {
        self.at = self.at(now) + value;
        self.since = now;
        self.falls += falls;
    }

    /// Holds nothing, exactly: rounding left over from parts added and taken out is dropped.
    pub fn clear(&mut self, now: Nanos) {
        *self = Backlog { at: 0.0, since: now, falls: 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_add_up_and_fall_over_time() {
        let mut b = Backlog::default();
        b.add(0, 100.0, 1.0);
        b.add(10, 50.0, 0.5);
        // At 10: 90 + 50; from then on falls by 1.5 per ns.
        assert_eq!(b.at(10), 140.0);
        assert_eq!(b.at(30), 110.0);
        // Taking the second part out as it stands at 30 (40) leaves the first (70).
        b.add(30, -40.0, -0.5);
        assert_eq!(b.at(30), 70.0);
        assert_eq!(b.at(40), 60.0);
        b.clear(40);
        assert_eq!(b.at(1_000), 0.0);
    }
}
