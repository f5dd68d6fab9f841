//! The pending-event set: a radix heap with 64-way digits over event times, whose lowest
//! bucket is sorted into a run once it is small; FIFO among equal times.
//!
//! Why a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan): simulated time never runs backwards,
//! so every event still in a bucket is later than every event already taken out of one. An
//! event sits in the bucket named by the highest 6-bit digit in which its time differs from
//! `last` (its level) and its value of that digit; when the run is empty, the lowest non-empty
//! bucket is taken: at most [`RUN_MAX`] events are sorted into the run (`last` becomes the
//! latest of them), more are spread over lower levels (`last` becomes the earliest, whose
//! events start the run). An event moves down at most once per level, in practice once or
//! twice before it lands in a run (a bucket at level l spans 64^l ns), so push is O(1) and pop
//! amortised O(levels + log RUN_MAX), with sequential `Vec` traffic instead of a binary heap's
//! cache misses. An event pushed no later than `last` joins the run in time order.
//!
//! Equal times leave in the order they were scheduled, with no insertion number: an event's
//! bucket, once chosen, stays the one `last` would choose (`last` only moves to a time of the
//! lowest bucket, which leaves an event's highest differing digit and its value alone), so all
//! events of one time always share a bucket or the run; every bucket is appended to in order,
//! the run is sorted stably and joined after the events of equal time already in it. The seeded
//! shadow test below checks the order against a `BTreeMap` keyed by (time, insertion number).
//!
//! The heap split on single bits of a (time, insertion number) key at first: each event moved
//! down about once per halving of the pending set, some sixteen times with a minute of hold ends
//! pending (docs/benchmarks.md).

use super::Nanos;

/// A min-queue of events ordered by time, FIFO among equal times. Events must not be scheduled
/// before the last one popped (the engine never goes back in time).
#[derive(Debug)]
pub(crate) struct EventQueue<E> {
    /// The earliest events, all no later than `last`, in reverse order: the next event is the
    /// last element (FIFO among equal times when read from the end), so looking at it and
    /// taking it are a `Vec`'s `last` and `pop`.
    run: Vec<Entry<E>>,
    /// `buckets[level * 64 + digit]`: events whose time differs from `last` first in digit
    /// `level` (bits 6·level to 6·level + 5), where theirs is `digit`; all later than `last`.
    buckets: Vec<Vec<Entry<E>>>,
    /// Per level, bit d set when bucket (level, d) is non-empty.
    occupied: [u64; LEVELS],
    /// Bit l set when level l has a non-empty bucket.
    levels: u16,
    /// The latest time the run may hold: the buckets are filed relative to it.
    last: Nanos,
    /// Time of the last event popped (nothing may be scheduled before it).
    popped: Nanos,
    len: usize,
    /// Earliest time in the buckets while the run is empty, once found (cleared by `pop`,
    /// found again by `peek_time`, kept up to date by `push`).
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

/// The largest bucket sorted into the run whole; a larger one is spread over lower levels
/// first. Sorting a few dozen events costs less than moving them down a level or two.
const RUN_MAX: usize = 32;

/// The largest allocation an emptied bucket keeps for its next events (see `refill_run`).
const KEEP_CAPACITY: usize = 2048;

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub(crate) fn new() -> Self {
        EventQueue {
            run: Vec::new(),
            buckets: (0..LEVELS * 64).map(|_| Vec::new()).collect(),
            occupied: [0; LEVELS],
            levels: 0,
            last: 0,
            popped: 0,
            len: 0,
            min: None,
        }
    }

    /// Schedules `event` at `time`. A time before the last popped event is a bug in the model;
    /// it is moved up to that time rather than breaking the queue's order.
    #[inline]
    pub(crate) fn push(&mut self, time: Nanos, event: E) {
        debug_assert!(
            time >= self.popped,
            "event scheduled in the past: {time} < {}",
            self.popped
        );
        let time = time.max(self.popped);
        let entry = Entry { time, event };
        self.len += 1;
        if time <= self.last {
            self.join_run(entry);
            return;
        }
        if let Some(min) = self.min {
            self.min = Some(min.min(time));
        }
        self.insert(entry);
    }

    /// Removes and returns the earliest event. Always inlined (into the run loop): with the
    /// default 16 codegen units LLVM's choice flips with code added anywhere in the crate, and
    /// out of line it costs about 40 instructions a connection on benchmark (a).
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<(Nanos, E)> {
        if self.run.is_empty() {
            self.refill_run()?;
        }
        let entry = self.run.pop()?;
        self.len -= 1;
        self.popped = entry.time;
        Some((entry.time, entry.event))
    }

    /// Time of the earliest event without removing it.
    #[inline]
    pub(crate) fn peek_time(&mut self) -> Option<Nanos> {
        if let Some(first) = self.run.last() {
            return Some(first.time);
        }
        if self.min.is_none() {
            self.find_min();
        }
        self.min
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Puts an event no later than `last` into the run, after every event not later than it.
    fn join_run(&mut self, entry: Entry<E>) {
        // Reversed: before every later event, after (nearer the end than) none of them.
        let at = self.run.partition_point(|e| e.time > entry.time);
        self.run.insert(at, entry);
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

    /// Files an entry later than `last` under its highest differing digit.
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

    /// Refills the empty run from the lowest non-empty bucket: sorted whole when small (`last`
    /// becomes its latest time), else its earliest events, the rest spread over lower levels
    /// (`last` becomes its earliest time). `None` when the queue is empty.
    fn refill_run(&mut self) -> Option<()> {
        let (level, digit) = self.first_occupied()?;
        let index = level * 64 + digit;
        let mut items = std::mem::take(&mut self.buckets[index]);
        self.occupied[level] &= !(1 << digit);
        if self.occupied[level] == 0 {
            self.levels &= !(1 << level);
        }
        let min = self.min.take();
        if items.len() <= RUN_MAX {
            // Stable: a bucket holds equal times in insertion order.
            items.sort_by_key(|e| e.time);
            self.last = items.last()?.time;
            // The run is empty: the sorted bucket becomes it, reversed (equal times then leave
            // from the end in the order they came), and the run's allocation goes to the bucket.
            items.reverse();
            std::mem::swap(&mut self.run, &mut items);
        } else {
            let min = match min {
                Some(min) => min,
                None => items.iter().map(|e| e.time).min()?,
            };
            self.last = min;
            for entry in items.drain(..) {
                if entry.time == min {
                    self.run.push(entry);
                } else {
                    self.insert(entry);
                }
            }
            self.run.reverse();
        }
        // Hand the emptied allocation back so the bucket does not reallocate next time, unless
        // it is large: a high level's bucket holds most pending events once in a while, and 704
        // buckets each keeping their largest allocation added up to several times the pending
        // set (17 MB → 27 MB over a day of 1,000 connections a second). A large bucket regrows
        // by doubling, a copy per event at most, and is refilled rarely.
        if self.buckets[index].is_empty() && items.capacity() <= KEEP_CAPACITY {
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
                    let time = match rng.random_range(0..5u32) {
                        0 | 1 => now + rng.random_range(0..50u64),
                        2 => now + rng.random_range(0..1u64 << 20),
                        3 => now + rng.random_range(0..1u64 << 44),
                        // Many events at a few far times: large buckets of equal times.
                        _ => {
                            (now >> 24 << 24)
                                + (rng.random_range(1..64u64) << 24)
                                + rng.random_range(0..4u64)
                        }
                    };
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
