//! Connections in flight and the slab that stores them.

use crate::engine::Nanos;
use crate::engine::fluid::{FlowMark, FlowProgress};
use crate::model::device::Direction;
use crate::model::workload::Arrival;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for, then using, the device's CPU (a proxy handling the request).
    Queued,
    Request,
    Response,
    Holding,
    /// Closed by the client or cut idle; waiting out the device's release delay.
    Closed,
}

/// One admitted connection.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    /// The workload it belongs to.
    pub(crate) class: u32,
    /// The link class its flows use: the workload's internet-bound or AWS-service-bound half.
    pub(crate) flow_class: u32,
    pub(crate) destination: u32,
    pub(crate) path: u32,
    pub(crate) arrival: Nanos,
    pub(crate) request_bytes: f64,
    pub(crate) response_bytes: f64,
    pub(crate) hold_ns: Nanos,
    pub(crate) in_window: bool,
    pub(crate) phase: Phase,
    /// The running flow's mark (valid in `Request` and `Response`).
    pub(crate) mark: FlowMark,
    pub(crate) out_delivered: f64,
    pub(crate) in_delivered: f64,
    pub(crate) dropped: f64,
}

impl Connection {
    #[inline]
    pub(crate) fn new(
        now: Nanos,
        path: u32,
        flow_class: u32,
        arrival: &Arrival,
        in_window: bool,
    ) -> Self {
        Connection {
            class: arrival.class,
            flow_class,
            destination: arrival.destination,
            path,
            arrival: now,
            request_bytes: arrival.request_bytes,
            response_bytes: arrival.response_bytes,
            hold_ns: arrival.hold_ns,
            in_window,
            phase: Phase::Request,
            mark: FlowMark {
                class: arrival.class,
                size_bytes: 0.0,
                delivered_at_start: 0.0,
                sent_at_start: 0.0,
            },
            out_delivered: 0.0,
            in_delivered: 0.0,
            dropped: 0.0,
        }
    }

    /// The direction of the first phase with bytes to move (the request's, else the
    /// response's); `None` when there are none.
    #[inline]
    pub(crate) fn first_direction(&self) -> Option<Direction> {
        if self.request_bytes > 0.0 {
            Some(Direction::Out)
        } else if self.response_bytes > 0.0 {
            Some(Direction::In)
        } else {
            None
        }
    }

    /// Books a finished phase: what got through, and (UDP) what was sent but lost.
    #[inline]
    pub(crate) fn settle(&mut self, direction: Direction, progress: FlowProgress) {
        match direction {
            Direction::Out => self.out_delivered += progress.delivered_bytes,
            Direction::In => self.in_delivered += progress.delivered_bytes,
        }
        self.dropped += (progress.sent_bytes - progress.delivered_bytes).max(0.0);
    }

    pub(crate) fn offered_bytes(&self) -> f64 {
        self.request_bytes + self.response_bytes
    }

    /// Bytes neither delivered nor dropped yet.
    pub(crate) fn in_flight_bytes(&self) -> f64 {
        (self.offered_bytes() - self.out_delivered - self.in_delivered - self.dropped).max(0.0)
    }
}

/// Connection storage with stable indices (the index is the flow id in the links). Each slot
/// counts its reuses, so an event scheduled for a connection that a failure already removed can
/// tell that its slot now holds another one.
#[derive(Debug, Default)]
pub(crate) struct Slab {
    /// The generation sits beside the connection so that checking an event for staleness and
    /// reading the connection touch the same cache line.
    slots: Vec<Slot>,
    free: Vec<u32>,
}

#[derive(Debug)]
struct Slot {
    generation: u32,
    connection: Option<Connection>,
}

impl Slab {
    /// Stores `connection`; returns its index, the slot's generation and the stored connection
    /// (so that a caller goes on with it without looking it up).
    #[inline]
    pub(crate) fn insert(&mut self, connection: Connection) -> (u32, u32, &mut Connection) {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    connection: None,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.generation = slot.generation.wrapping_add(1);
        let stored = slot.connection.insert(connection);
        (index, slot.generation, stored)
    }

    /// The connection at `index` if it is still the one stored with `generation` (an event's
    /// check for staleness and the read of its connection in one look-up).
    #[inline]
    pub(crate) fn current_mut(&mut self, index: u32, generation: u32) -> Option<&mut Connection> {
        self.slots
            .get_mut(index as usize)
            .filter(|s| s.generation == generation)
            .and_then(|s| s.connection.as_mut())
    }

    /// Whether `index` still holds the connection that was stored with `generation`.
    #[inline]
    pub(crate) fn is_current(&self, index: u32, generation: u32) -> bool {
        self.slots
            .get(index as usize)
            .is_some_and(|s| s.generation == generation && s.connection.is_some())
    }

    #[inline]
    pub(crate) fn generation(&self, index: u32) -> u32 {
        self.slots[index as usize].generation
    }

    /// Indices of live connections on `path`, in index order.
    pub(crate) fn on_path(&self, path: u32) -> Vec<u32> {
        self.ids_where(|c| c.path == path)
    }

    /// Indices of live connections that `keep` accepts, in index order (deterministic).
    pub(crate) fn ids_where(&self, keep: impl Fn(&Connection) -> bool) -> Vec<u32> {
        (0..self.slots.len() as u32)
            .filter(|&i| {
                self.slots[i as usize]
                    .connection
                    .as_ref()
                    .is_some_and(&keep)
            })
            .collect()
    }

    /// The connection at `index`. Indices come only from `insert` and are used only until
    /// `remove`, so a missing slot is a bug in the simulation, not bad input.
    #[inline]
    pub(crate) fn get(&self, index: u32) -> &Connection {
        self.slots[index as usize]
            .connection
            .as_ref()
            .expect("live connection")
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, index: u32) -> &mut Connection {
        self.slots[index as usize]
            .connection
            .as_mut()
            .expect("live connection")
    }

    /// [`Slab::get_mut`], with the generation the connection was stored with.
    #[inline]
    pub(crate) fn get_mut_with_generation(&mut self, index: u32) -> (u32, &mut Connection) {
        let slot = &mut self.slots[index as usize];
        let connection = slot.connection.as_mut().expect("live connection");
        (slot.generation, connection)
    }

    pub(crate) fn remove(&mut self, index: u32) -> Connection {
        self.free.push(index);
        self.slots[index as usize]
            .connection
            .take()
            .expect("live connection")
    }

    /// Frees the slot at `index` without handing its connection back (no copy of it).
    #[inline]
    pub(crate) fn discard(&mut self, index: u32) {
        self.free.push(index);
        let slot = &mut self.slots[index as usize];
        debug_assert!(slot.connection.is_some(), "live connection");
        slot.connection = None;
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Connection> {
        self.slots.iter().filter_map(|s| s.connection.as_ref())
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Connection> {
        self.slots.iter_mut().filter_map(|s| s.connection.as_mut())
    }
}
