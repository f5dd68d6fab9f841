//! The pending-event set: a radix heap keyed by (time, insertion number).
//!
//! The insertion number makes equal-time events leave in the order they were scheduled (FIFO),
//! which keeps runs deterministic without the model having to break ties.
//!
//! Why a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan): simulated time never runs backwards,
//! so every key pushed is at least the last key popped. Keys then sort into 129 buckets by the
//! highest bit in which they differ from that last key; popping empties the lowest non-empty
//! bucket into lower ones. Each event moves down at most 128 times, so push is O(1) and pop
//! amortised O(log C) for keys of C bits, with sequential `Vec` traffic instead of a binary
//! heap's cache misses: with every held connection pending (tens of thousands of events) this
//! made the engine about twice as fast (docs/benchmarks.md).

use super::Nanos;

/// A min-queue of events ordered by time, FIFO among equal times. Events must not be scheduled
/// before the last one popped (the engine never goes back in time).
#[derive(Debug)]
pub(crate) struct EventQueue<E> {
    /// `buckets[b]` holds keys whose highest bit differing from `last` is bit b − 1 (bucket 0:
    /// equal to `last`). Key = time in the high 64 bits, insertion number in the low 64.
    buckets: Vec<Vec<(u128, E)>>,
    /// Bit b set when `buckets[b]` is non-empty.
    occupied: [u64; 3],
    last: u128,
    len: usize,
    /// Smallest key, when known (cleared by `pop`, found again by `peek_time`).
    min: Option<u128>,
    next_sequence: u64,
}

const BUCKETS: usize = 129;

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub(crate) fn new() -> Self {
        EventQueue {
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: [0; 3],
            last: 0,
            len: 0,
            min: None,
            next_sequence: 0,
        }
    }

    /// Schedules `event` at `time`. A time before the last popped event is a bug in the model;
    /// it is moved up to that time rather than breaking the queue's order.
    pub(crate) fn push(&mut self, time: Nanos, event: E) {
        let earliest = (self.last >> 64) as Nanos;
        debug_assert!(
            time >= earliest,
            "event scheduled in the past: {time} < {earliest}"
        );
        let key = ((time.max(earliest) as u128) << 64) | self.next_sequence as u128;
        self.next_sequence += 1;
        if self.len == 0 {
            self.min = Some(key);
        } else if let Some(min) = self.min {
            self.min = Some(min.min(key));
        }
        self.insert(key, event);
        self.len += 1;
    }

    /// Removes and returns the earliest event.
    pub(crate) fn pop(&mut self) -> Option<(Nanos, E)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            self.refill_bucket_zero();
        }
        let (key, event) = self.buckets[0].pop()?;
        if self.buckets[0].is_empty() {
            self.occupied[0] &= !1;
        }
        self.len -= 1;
        self.min = None;
        Some(((key >> 64) as Nanos, event))
    }

    /// Time of the earliest event without removing it.
    pub(crate) fn peek_time(&mut self) -> Option<Nanos> {
        if self.len == 0 {
            return None;
        }
        let min = match self.min {
            Some(min) => min,
            None => {
                let bucket = &self.buckets[self.first_occupied()?];
                let min = bucket.iter().map(|(key, _)| *key).min()?;
                self.min = Some(min);
                min
            }
        };
        Some((min >> 64) as Nanos)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn bucket_of(&self, key: u128) -> usize {
        (u128::BITS - (key ^ self.last).leading_zeros()) as usize
    }

    fn insert(&mut self, key: u128, event: E) {
        let bucket = self.bucket_of(key);
        self.buckets[bucket].push((key, event));
        self.occupied[bucket / 64] |= 1 << (bucket % 64);
    }

    fn first_occupied(&self) -> Option<usize> {
        self.occupied
            .iter()
            .enumerate()
            .find(|(_, word)| **word != 0)
            .map(|(index, word)| index * 64 + word.trailing_zeros() as usize)
    }

    /// Makes the smallest key the new `last` and spreads its bucket over lower buckets; the
    /// smallest key lands alone in bucket 0 (keys are unique).
    fn refill_bucket_zero(&mut self) {
        let Some(bucket) = self.first_occupied() else {
            return;
        };
        let mut items = std::mem::take(&mut self.buckets[bucket]);
        self.occupied[bucket / 64] &= !(1 << (bucket % 64));
        if let Some(min) = items.iter().map(|(key, _)| *key).min() {
            self.last = min;
        }
        for (key, event) in items.drain(..) {
            self.insert(key, event);
        }
        // Hand the emptied allocation back so the bucket does not reallocate next time.
        if self.buckets[bucket].is_empty() {
            self.buckets[bucket] = items;
        }
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
                    // Few distinct times so that ties are common.
                    let time = now + rng.random_range(0..50u64);
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
