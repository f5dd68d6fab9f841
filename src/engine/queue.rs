//! The pending-event set: a radix heap with 256-way digits over event times, whose lowest
//! bucket is sorted into a run once it is small; FIFO among equal times.
//!
//! Why a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan): simulated time never runs backwards,
//! so every event still in a bucket is later than every event already taken out of one. An
//! event sits in the bucket named by the highest 8-bit digit in which its time differs from
//! `last` (its level) and its value of that digit; when the run is used up, the lowest
//! non-empty bucket is taken: at most [`RUN_MAX`] events are sorted into the run (`last`
//! becomes the latest of them), more are spread over lower levels (`last` becomes the earliest,
//! whose events start the run). An event moves down at most once per level, in practice about
//! once before it lands in a run (a bucket at level l spans 256^l ns: on benchmark (a),
//! hold ends a minute ahead land in 4.3 s buckets, which spread into 16.8 ms ones of a dozen
//! events; 0.77 moves per event, against 1.27 with 6-bit digits), so push is O(1) and pop
//! amortised O(levels + log RUN_MAX), with sequential `Vec` traffic instead of a binary heap's
//! cache misses. An event pushed no later than `last` joins the run in time order. The time
//! of the next event is kept (`head`), so the run loop's question after every event is a load.
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
//! pending; then on 6-bit digits (docs/benchmarks.md).

use super::{NEVER, Nanos};

/// A min-queue of events ordered by time, FIFO among equal times. Events must not be scheduled
/// before the last one popped (the engine never goes back in time).
#[derive(Debug)]
pub(crate) struct EventQueue<E> {
    /// The earliest events, all no later than `last`, in order from `run[next]` (those before
    /// it are taken): a sorted bucket becomes the run as it is, without a reversal or a copy.
    run: Vec<Entry<E>>,
    next: usize,
    /// Time of the next event (the run's last), [`NEVER`] when the queue is empty: the run loop
    /// asks for it after every event.
    head: Nanos,
    /// `buckets[level * DIGITS + digit]`: events whose time differs from `last` first in digit
    /// `level` (bits `DIGIT_BITS`·level and up), where theirs is `digit`; all later than `last`.
    buckets: Box<[Vec<Entry<E>>; BUCKETS]>,
    /// Bit b of word w set when bucket 64·w + b is non-empty.
    occupied: [u64; WORDS],
    /// Bit w set when `occupied[w]` is not zero.
    words: u32,
    /// The latest time the run may hold: the buckets are filed relative to it.
    last: Nanos,
    /// Time of the last event popped (nothing may be scheduled before it).
    popped: Nanos,
    /// Emptied large allocations (over [`KEEP_CAPACITY`]), at most [`SPARES`], for the next
    /// bucket that grows large (see `grow`).
    spares: Vec<Vec<Entry<E>>>,
}

#[derive(Debug, Clone, Copy)]
struct Entry<E> {
    time: Nanos,
    event: E,
}

/// Bits per digit, buckets per level, and digits in a 64-bit time.
const DIGIT_BITS: u32 = 8;
const DIGITS: usize = 1 << DIGIT_BITS;
const LEVELS: usize = (Nanos::BITS / DIGIT_BITS) as usize;
const BUCKETS: usize = LEVELS * DIGITS;
const WORDS: usize = BUCKETS / 64;
// Whole digits in a time, whole words of bits, and a bit per word in `words`.
const _: () =
    assert!(Nanos::BITS.is_multiple_of(DIGIT_BITS) && BUCKETS.is_multiple_of(64) && WORDS <= 32);

/// The largest bucket sorted into the run whole; a larger one is spread over lower levels
/// first. Sorting a few dozen events costs less than moving them down a level or two.
const RUN_MAX: usize = 32;

/// The largest allocation an emptied bucket keeps for its next events (see `refill_run`).
const KEEP_CAPACITY: usize = 2048;

/// The most emptied large allocations kept for buckets that grow large, and the length from
/// which a growing bucket takes one.
const SPARES: usize = 4;
const SPARE_FROM: usize = 64;

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    pub(crate) fn new() -> Self {
        let buckets: Box<[Vec<Entry<E>>]> = (0..BUCKETS).map(|_| Vec::new()).collect();
        EventQueue {
            run: Vec::new(),
            next: 0,
            head: NEVER,
            buckets: buckets.try_into().unwrap_or_else(|_| unreachable!()),
            occupied: [0; WORDS],
            words: 0,
            last: 0,
            popped: 0,
            spares: Vec::new(),
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
        self.head = self.head.min(time);
        let entry = Entry { time, event };
        if time <= self.last {
            self.join_run(entry);
        } else {
            self.insert(entry);
        }
    }

    /// Removes and returns the earliest event. Always inlined (into the run loop): with the
    /// default 16 codegen units LLVM's choice flips with code added anywhere in the crate, and
    /// out of line it costs about 40 instructions a connection on benchmark (a).
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<(Nanos, E)> {
        if self.next == self.run.len() {
            self.refill_run();
        }
        let entry = *self.run.get(self.next)?;
        self.next += 1;
        self.popped = entry.time;
        self.head = match self.run.get(self.next) {
            Some(next) => next.time,
            None => self.bucket_min(),
        };
        Some((entry.time, entry.event))
    }

    /// Time of the earliest event, [`NEVER`] when there is none.
    #[inline(always)]
    pub(crate) fn peek_time(&self) -> Nanos {
        self.head
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.run.len() - self.next + self.buckets.iter().map(Vec::len).sum::<usize>()
    }

    /// Puts an event no later than `last` into the run, after every event not later than it.
    fn join_run(&mut self, entry: Entry<E>) {
        // The events already taken go first: otherwise a run that events keep joining would
        // never be refilled, hence never cleared, and would grow without end.
        self.run.drain(..self.next);
        self.next = 0;
        let at = self.run.partition_point(|e| e.time <= entry.time);
        self.run.insert(at, entry);
    }

    /// Files an entry later than `last` under its highest differing digit.
    #[inline]
    fn insert(&mut self, entry: Entry<E>) {
        // The highest differing bit (`| 1`: never 0, as the entry is later than `last`, but
        // then the compiler knows the level is below LEVELS and checks no index).
        let high = ((entry.time ^ self.last) | 1).ilog2();
        let level = high / DIGIT_BITS;
        let digit = (entry.time >> (level * DIGIT_BITS)) as usize & (DIGITS - 1);
        let index = level as usize * DIGITS + digit;
        let bucket = &mut self.buckets[index];
        // The bits change only when the bucket was empty: most pushes land in a bucket that
        // already holds events.
        if bucket.is_empty() {
            self.occupied[index / 64] |= 1 << (index % 64);
            self.words |= 1 << (index / 64);
        }
        if bucket.len() == bucket.capacity() {
            self.grow(index);
        }
        self.buckets[index].push(entry);
    }

    /// Makes room in a full bucket. Large buckets come and go (on benchmark (a), a bucket of a
    /// few seconds of hold ends fills to thousands of events and empties into lower levels),
    /// and regrowing each by doubling copies its events about once more (some 25 instructions
    /// a connection there, most while the pending set first builds up): one that has grown
    /// past [`SPARE_FROM`] moves into an emptied large allocation instead, when there is one.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, index: usize) {
        let bucket = &mut self.buckets[index];
        if bucket.len() >= SPARE_FROM
            && let Some(at) = self.spares.iter().position(|s| s.capacity() > bucket.len())
        {
            let mut spare = self.spares.swap_remove(at);
            spare.append(bucket);
            // The bucket's own allocation, now empty, is dropped.
            *bucket = spare;
        } else if bucket.len() >= SPARE_FROM {
            // No spare: grow fourfold rather than double, so a large bucket is copied about a
            // third as often while the pending set first builds up (−3.5 M instructions on
            // benchmark (a); peak memory of a day at 1,000 connections/s 17.8 → 16.6 MB, as
            // fewer freed copies are left behind).
            bucket.reserve(bucket.len() * 3);
        } else {
            bucket.reserve(1);
        }
    }

    /// The lowest non-empty bucket, which holds the earliest events.
    fn first_occupied(&self) -> Option<usize> {
        let word = self.words.trailing_zeros() as usize;
        let bit = self.occupied.get(word)?.trailing_zeros() as usize;
        Some(word * 64 + bit)
    }

    /// The earliest time in the buckets ([`NEVER`] if they are empty): the least in the lowest
    /// non-empty one.
    fn bucket_min(&self) -> Nanos {
        self.first_occupied().map_or(NEVER, |index| {
            let bucket = self.buckets[index].iter();
            bucket.map(|e| e.time).min().unwrap_or(NEVER)
        })
    }

    /// Refills the empty run from the lowest non-empty bucket, if any: sorted whole when small
    /// (`last` becomes its latest time), else its earliest events (at `head`), the rest spread
    /// over lower levels (`last` becomes their time).
    fn refill_run(&mut self) {
        let Some(index) = self.first_occupied() else {
            return;
        };
        let word = index / 64;
        self.occupied[word] &= !(1 << (index % 64));
        if self.occupied[word] == 0 {
            self.words &= !(1 << word);
        }
        let mut items = std::mem::take(&mut self.buckets[index]);
        self.run.clear();
        self.next = 0;
        if items.len() <= RUN_MAX {
            // Stable: a bucket holds equal times in insertion order.
            items.sort_by_key(|e| e.time);
            self.last = items[items.len() - 1].time;
            // The sorted bucket becomes the run, and the run's allocation goes to the bucket.
            std::mem::swap(&mut self.run, &mut items);
        } else {
            // With the run empty, `head` is the least time in the buckets, hence in this one.
            let min = self.head;
            self.last = min;
            for &entry in &items {
                if entry.time == min {
                    self.run.push(entry);
                } else {
                    self.insert(entry);
                }
            }
            items.clear();
        }
        // Hand the emptied allocation back so the bucket does not reallocate next time, unless
        // it is large: a high level's bucket holds most pending events once in a while, and
        // buckets each keeping their largest allocation added up to several times the pending
        // set (17 MB → 27 MB over a day of 1,000 connections a second, with 704 buckets). A
        // large one is kept for the next bucket that grows large, up to [`SPARES`] of them.
        if items.capacity() > KEEP_CAPACITY {
            if self.spares.len() < SPARES {
                self.spares.push(items);
            }
        } else if self.buckets[index].is_empty() {
            self.buckets[index] = items;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use std::collections::BTreeMap;

    /// Seeded shadow-model test: a million random pushes and pops must agree, event for event,
    /// with a `BTreeMap` keyed by (time, insertion number). Odd seeds pop more than they push,
    /// so the queue often runs empty and starts again from a single event.
    #[test]
    fn agrees_with_a_btreemap_shadow() {
        for seed in 0..6u64 {
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
            let mut queue = EventQueue::new();
            let mut shadow: BTreeMap<(Nanos, u64), u64> = BTreeMap::new();
            let mut inserted = 0u64;
            let mut now: Nanos = 0;
            let push_probability = if seed % 2 == 0 { 0.55 } else { 0.48 };
            for _ in 0..250_000 {
                if rng.random_bool(push_probability) {
                    // Mostly few distinct times, so that ties are common; some far ahead, so
                    // that events move down through several levels before they leave.
                    let time = match rng.random_range(0..8u32) {
                        0 | 1 => now + rng.random_range(0..50u64),
                        2 => now + rng.random_range(0..1u64 << 20),
                        3 => now + rng.random_range(0..1u64 << 44),
                        // Many events at a few far times: large buckets of equal times.
                        4 | 5 => {
                            (now >> 24 << 24)
                                + (rng.random_range(1..64u64) << 24)
                                + rng.random_range(0..4u64)
                        }
                        // At the time of the last pop or at the latest the run may hold:
                        // into the run, after its equal times.
                        6 if rng.random_bool(0.5) => now,
                        6 => queue.last,
                        // Days ahead: the highest levels.
                        _ => now + rng.random_range(1u64 << 40..1u64 << 48),
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
                    shadow
                        .first_key_value()
                        .map_or(NEVER, |((time, _), _)| *time)
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

    /// Times up to the largest, [`NEVER`] itself included (an event there is never due, but it
    /// must not break the queue's order), with pushes at the time just popped.
    #[test]
    fn the_largest_times_keep_their_order() {
        let mut queue = EventQueue::new();
        let times = [
            Nanos::MAX,
            5,
            Nanos::MAX - 1,
            1 << 63,
            Nanos::MAX,
            5,
            0,
            Nanos::MAX - 1,
        ];
        for (label, &time) in times.iter().enumerate() {
            queue.push(time, label);
        }
        let mut expected: Vec<_> = times.iter().copied().zip(0..).collect();
        expected.sort_by_key(|&(time, _)| time);
        let mut popped = Vec::new();
        while let Some((time, label)) = queue.pop() {
            popped.push((time, label));
            if label < times.len() && time < Nanos::MAX {
                // At the time just popped: leaves next, after the events already due then.
                queue.push(time, label + 100);
                let at = expected.iter().rposition(|&(t, _)| t == time).unwrap_or(0);
                expected.insert(at + 1, (time, label + 100));
            }
        }
        assert_eq!(popped, expected);
        assert_eq!(queue.peek_time(), NEVER);
    }
}
