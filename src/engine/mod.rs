//! The discrete-event engine: integer-nanosecond time, a FIFO-stable event queue, named random
//! streams and the run loop.
//!
//! Invariant: the engine never mentions AWS, money, connections or bandwidth. It moves time
//! forward and hands events to a [`Model`]; everything domain-specific lives in the model.

pub(crate) mod fluid;
pub(crate) mod queue;
pub(crate) mod rng;
pub(crate) mod stats;

pub(crate) use queue::EventQueue;
pub(crate) use rng::Streams;

/// Simulated time in integer nanoseconds since the start of the run. Integers keep event order
/// exact: no two runs can disagree on which of two events came first.
pub(crate) type Nanos = u64;

/// "No such instant", where an instant is kept as a plain time: later than any horizon, so a run
/// never reaches it.
pub(crate) const NEVER: Nanos = Nanos::MAX;

/// What the engine drives. A model owns its state; the engine owns time.
pub(crate) trait Model {
    /// Small plain values: the queue copies them between its levels.
    type Event: Copy;

    /// The earliest instant at which the model must be woken even if no event is queued (a flow
    /// finishing, a credit bucket running dry), or [`NEVER`]. Must be cheap: it is asked once per
    /// event.
    fn next_deadline(&self) -> Nanos;

    /// Called at the instant `next_deadline` promised.
    fn on_deadline(&mut self, now: Nanos, queue: &mut EventQueue<Self::Event>);

    /// Called for each queued event, in (time, insertion) order.
    fn on_event(&mut self, now: Nanos, event: Self::Event, queue: &mut EventQueue<Self::Event>);

    /// Called once when time first reaches the end of the warmup.
    fn on_warmup_end(&mut self, _now: Nanos) {}
}

/// Counts of what the run loop did, for benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LoopCounts {
    pub(crate) events: u64,
    pub(crate) deadlines: u64,
}

/// Runs `model` from time 0 until `horizon` (exclusive): every queued event and model deadline
/// strictly before the horizon is handled, in time order. At equal times a model deadline runs
/// before queued events, and queued events run in the order they were scheduled.
pub(crate) fn run<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    warmup: Nanos,
    horizon: Nanos,
) -> LoopCounts {
    let mut counts = LoopCounts::default();
    // Where the loop must stop and look: the end of the warmup until time reaches it, then the
    // horizon; one comparison per event covers both.
    let mut stop = warmup.min(horizon);
    loop {
        let event_time = queue.peek_time();
        let deadline = model.next_deadline();
        let now = deadline.min(event_time);
        if now >= stop {
            // Also the way out of an empty queue with no deadline: `NEVER` is past any horizon.
            if now >= horizon {
                break;
            }
            stop = horizon;
            model.on_warmup_end(warmup);
        }
        if deadline <= event_time {
            counts.deadlines += 1;
            model.on_deadline(now, queue);
        } else if let Some((time, event)) = queue.pop() {
            counts.events += 1;
            model.on_event(time, event, queue);
        }
    }
    if stop < horizon {
        model.on_warmup_end(warmup);
    }
    counts
}
