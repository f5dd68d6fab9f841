//! The pending-event set: a binary heap keyed by (time, insertion number).
//!
//! The insertion number makes equal-time events leave in the order they were scheduled (FIFO),
//! which keeps runs deterministic without the model having to break ties. Push and pop are
//! O(log n).

use super::Nanos;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A min-queue of events ordered by time, FIFO among equal times.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_sequence: u64,
}

#[derive(Debug)]
struct Entry<E> {
    /// Time in the high 64 bits, insertion number in the low 64: one comparison orders both.
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest (time, sequence) on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_sequence: 0,
        }
    }

    /// Schedules `event` at `time`.
    pub fn push(&mut self, time: Nanos, event: E) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let key = ((time as u128) << 64) | sequence as u128;
        self.heap.push(Entry { key, event });
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        self.heap
            .pop()
            .map(|entry| ((entry.key >> 64) as Nanos, entry.event))
    }

    /// Time of the earliest event without removing it.
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|entry| (entry.key >> 64) as Nanos)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
