//! The pending-event set: a radix heap with 64-way digits over event times, FIFO among equal
//! times.
//!
//! Why a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan): simulated time never runs backwards,
//! so every time pushed is at least the last one popped (`last`). An event sits in the bucket
//! named by the highest 6-bit digit in which its time differs from `last` (its level) and its
//! value of that digit; popping empties the lowest non-empty bucket into lower levels. An event
//! moves down at most once per level, in practice two or three times (a bucket at level l spans
//! 64^l ns), so push is O(1) and pop amortised O(levels), with sequential `Vec` traffic
//! instead of a binary heap's cache misses. Events at time `last` wait in `due`.
//!
//! Equal times leave in the order they were scheduled, with no insertion number: an event's
//! bucket, once chosen, stays the one `last` would choose (`last` only moves within lower
//! buckets, which leaves an event's highest differing digit and its value alone), so all events
//! of one time always share a bucket, and every bucket, `due` included, is appended to and
//! emptied in order. The seeded shadow test below checks the order against a `BTreeMap` keyed by
//! (time, insertion number).
//!
//! Before this, the heap split on single bits of a (time, insertion number) key: each event
//! moved down about once per halving of the pending set, some sixteen times with a minute of
//! hold ends pending (docs/benchmarks.md).

use super::Nanos;
use std::collections::VecDeque;

/// A min-queue of events ordered by time, FIFO among equal times. Events must not be scheduled
/// before the last one popped (the engine never goes back in time).
#[derive(Debug)]
pub(crate) struct EventQueue<E> {
    /// Events at time `last`, in insertion order.
    due: VecDeque<Entry<E>>,
    /// `buckets[level * 64 + digit]`: events whose time differs from `last` first in digit
    /// `level` (bits 6·level to 6·level + 5), where theirs is `digit`.
    buckets: Vec<Vec<Entry<E>>>,
    /// Per level, bit d set when bucket (level, d) is non-empty.
    occupied: [u64; LEVELS],
    /// Bit l set when level l has a non-empty bucket.
    levels: u16,
    /// Time of the last event popped (or of the events in `due`).
    last: Nanos,
    len: usize,
    /// Earliest time in the buckets when `due` is empty, once found (cleared by `pop`, found
    /// again by `peek_time`, kept up to date by `push`).
    min: Option<Nanos>,
}

#[derive(Debug)]
struct Entry<E> {
    time: Nanos,
    event: E,
}

/// Bits per digit, and digits in a 64-bit time.
const DIGIT_BITS: u32 = 6;
const LEVELS: usize = 11;

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub(crate) fn new() -> Self {
        EventQueue {
            due: VecDeque::new(),
            buckets: (0..LEVELS * 64).map(|_| Vec::new()).collect(),
            occupied: [0; LEVELS],
            levels: 0,
            last: 0,
            len: 0,
            min: None,
        }
    }

    /// Schedules `event` at `time`. A time before the last popped event is a bug in the model;
    /// it is moved up to that time rather than breaking the queue's order.
    pub(crate) fn push(&mut self, time: Nanos, event: E) {
        debug_assert!(
            time >= self.last,
            "event scheduled in the past: {time} < {}",
            self.last
        );
        let time = time.max(self.last);
        let entry = Entry { time, event };
        self.len += 1;
        if time == self.last {
            self.due.push_back(entry);
            return;
        }
        if let Some(min) = self.min {
            self.min = Some(min.min(time));
        }
        self.insert(entry);
    }

    /// Removes and returns the earliest event.
    pub(crate) fn pop(&mut self) -> Option<(Nanos, E)> {
        if self.due.is_empty() {
            self.refill_due()?;
        }
        let entry = self.due.pop_front()?;
        self.len -= 1;
        Some((entry.time, entry.event))
    }

    /// Time of the earliest event without removing it.
    #[inline]
    pub(crate) fn peek_time(&mut self) -> Option<Nanos> {
        if !self.due.is_empty() {
            return Some(self.last);
        }
        if self.min.is_none() {
            self.find_min();
        }
        self.min
    }

    /// The earliest time in the buckets: the least in the lowest non-empty one.
    fn find_min(&mut self) {
        if let Some((level, digit)) = self.first_occupied() {
            self.min = self.buckets[level * 64 + digit]
                .iter()
                .map(|e| e.time)
                .min();
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Files an entry whose time differs from `last` under its highest differing digit.
    #[inline]
    fn insert(&mut self, entry: Entry<E>) {
        let differ = entry.time ^ self.last;
        let level = ((u64::BITS - 1 - differ.leading_zeros()) / DIGIT_BITS) as usize;
        let digit = ((entry.time >> (level as u32 * DIGIT_BITS)) & 63) as usize;
        self.buckets[level * 64 + digit].push(entry);
        self.occupied[level] |= 1 << digit;
        self.levels |= 1 << level;
    }

    /// The lowest non-empty bucket: it holds the earliest events.
    fn first_occupied(&self) -> Option<(usize, usize)> {
        if self.levels == 0 {
            return None;
        }
        let level = self.levels.trailing_zeros() as usize;
        Some((level, self.occupied[level].trailing_zeros() as usize))
    }

    /// Makes the earliest time the new `last`: its events go to `due` in insertion order, and
    /// the rest of their bucket spreads over lower levels. `None` when the queue is empty.
    fn refill_due(&mut self) -> Option<()> {
        let (level, digit) = self.first_occupied()?;
        let index = level * 64 + digit;
        let mut items = std::mem::take(&mut self.buckets[index]);
        self.occupied[level] &= !(1 << digit);
        if self.occupied[level] == 0 {
            self.levels &= !(1 << level);
        }
        let min = match self.min.take() {
            Some(min) => min,
            None => items.iter().map(|e| e.time).min()?,
        };
        self.last = min;
        for entry in items.drain(..) {
            if entry.time == min {
                self.due.push_back(entry);
            } else {
                self.insert(entry);
            }
        }
        // Hand the emptied allocation back so the bucket does not reallocate next time.
        if self.buckets[index].is_empty() {
            self.buckets[index] = items;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use std::collections::BTreeMap;

    /// Seeded shadow-model test: a million random pushes and pops must agree, event for event,
    /// with a `BTreeMap` keyed by (time, insertion number).
    #[test]
    fn agrees_with_a_btreemap_shadow() {
        for seed in 0..4u64 {
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
            let mut queue = EventQueue::new();
            let mut shadow: BTreeMap<(Nanos, u64), u64> = BTreeMap::new();
            let mut inserted = 0u64;
            let mut now: Nanos = 0;
            for _ in 0..250_000 {
                if rng.random_bool(0.55) {
                    // Mostly few distinct times, so that ties are common; some far ahead, so
                    // that events move down through several levels before they leave.
                    let span = match rng.random_range(0..4u32) {
                        0 | 1 => 50u64,
                        2 => 1 << 20,
                        _ => 1 << 44,
                    };
                    let time = now + rng.random_range(0..span);
                    let payload = rng.random::<u64>();
                    queue.push(time, payload);
                    shadow.insert((time, inserted), payload);
                    inserted += 1;
                } else {
                    let expected = shadow
                        .pop_first()
                        .map(|((time, _), payload)| (time, payload));
                    assert_eq!(queue.pop(), expected, "seed {seed}");
                    if let Some((time, _)) = expected {
                        now = time;
                    }
                }
                assert_eq!(queue.len(), shadow.len());
                assert_eq!(
                    queue.peek_time(),
                    shadow.first_key_value().map(|((time, _), _)| *time)
                );
            }
        }
    }

    #[test]
    fn equal_times_leave_in_insertion_order() {
        let mut queue = EventQueue::new();
        for label in ["a", "b", "c"] {
            queue.push(7, label);
        }
        queue.push(3, "first");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop().map(|(_, label)| label)).collect();
        assert_eq!(order, ["first", "a", "b", "c"]);
    }
}
