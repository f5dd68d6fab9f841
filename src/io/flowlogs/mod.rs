//! VPC Flow Logs in: text files (plain or gzip) and AWS's Parquet files (one file, many, or a
//! folder of AWS's Hive-style partitions) read as a stream of records and joined into
//! connections. Owns the record format (`format`, `record`), the files (`source`, read in the
//! order of their first record), the join (`join`) and the connections sorted by start on disk
//! (`sorted`); knows nothing of scenarios or simulation. Never holds a whole file, nor the whole
//! input's connections: [`stream`] hands each connection on as soon as no record can join it
//! any more (records out of time order by more than [`LATE_TOLERANCE_S`] are counted as late
//! and left out), so memory grows with the connections open at once.
//!
//! **Format.** A file whose first line is a header (field names with hyphens, as S3 delivery
//! writes) is read in that format; a file without one is in the default version-2 format
//! (`version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes
//! start end action log-status`). `-` is "not applicable". An unknown field name is an error.
//!
//! **Join rules.**
//! 1. NODATA records carry no flow and SKIPDATA records stand for flows that were not captured;
//!    both are counted, never joined. REJECT records are counted and dropped (no connection).
//! 2. A record's endpoints are `pkt-srcaddr`/`pkt-dstaddr` when the format has them and they
//!    are not `-`, else `srcaddr`/`dstaddr`.
//! 3. The client is the private end (RFC 1918, 100.64/10, loopback, link-local, IPv6 ULA and
//!    link-local) when exactly one end is private. Both private: internal traffic, counted,
//!    not egress. Both public (IPv6): SYN without ACK marks the client, SYN-ACK the server,
//!    else the higher port is the client's; equal ports are counted as unoriented.
//! 4. Records with the same protocol, client address and port, server address and port on the
//!    same interface are one connection across aggregation intervals: bytes and packets summed
//!    each way (client → server is the request), first `start`, last `end`, the `az-id` seen,
//!    S3 or DynamoDB when `pkt-dst-aws-service` (`pkt-src-aws-service` on the response) says so.
//!    Gap rule: the same 5-tuple seen again more than 350 s (the NAT gateway's idle timeout)
//!    after its last record ended (`start` minus the previous `end`) is a new connection;
//!    records join whatever their order (a late record within the gap of two merges them).
//! 5. Counted once. A NAT gateway's interface shows each connection twice: instance ↔ NAT
//!    and NAT ↔ internet (with the NAT's translated port, so the two cannot be paired by
//!    port). In the default format the inside view is internal by rule 3, so the internet
//!    side is the one kept. With `pkt-*addr`, an address seen in `srcaddr`/`dstaddr` that
//!    differs from the packet's is an intermediate (NAT) address; views whose client is such an
//!    address are dropped, keeping the inside view with the true client. The same 5-tuple
//!    seen on several interfaces (the instance's and the NAT's) is kept once: the intermediate
//!    interface's view, else the interface id that sorts first.
//! 6. Records lacking a field the join needs (addresses, ports, protocol, bytes, start, end)
//!    are counted as incomplete. Every count is in [`Counts`].
//! 7. Time order. Files are read in the order of their first record's `start` (name order
//!    breaks ties). A record that starts more than [`LATE_TOLERANCE_S`] before the latest
//!    record joined so far is late: counted with its bytes, not joined (the connection it
//!    belongs to may have been handed on already).
//!
//! **Bad input.** Errors name the file, the line and the problem, with a hint. A malformed
//! record is an error with `strict`, else skipped and counted (the first one kept to show).
//! A bad header, an unreadable file and a truncated gzip stream are errors either way.

mod error;
mod format;
mod hash;
mod join;
mod parquet;
mod record;
mod reduce;
pub(crate) mod sorted;
mod source;

pub use error::FlowLogError;
pub(crate) use hash::FastMap;
pub use join::LATE_TOLERANCE_S;

use format::Format;
use join::Joiner;
use record::Record;
use reduce::{Reduced, Reducer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// How to read: stop at the first malformed record (`strict`) or skip and count it.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub strict: bool,
}

/// A service reached through its public endpoints, as `pkt-dst-aws-service` names it; traffic a
/// gateway endpoint would take off the NAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AwsService {
    S3,
    DynamoDb,
}

impl AwsService {
    fn from_field(word: &str) -> Option<Self> {
        match word {
            "S3" => Some(AwsService::S3),
            "DYNAMODB" => Some(AwsService::DynamoDb),
            _ => None,
        }
    }
}

/// One connection, joined from its records.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// The interface whose view was kept (rule 5).
    pub interface_id: String,
    /// IANA protocol number (6 TCP, 17 UDP).
    pub protocol: u8,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub request_bytes: u64,
    pub response_bytes: u64,
    pub request_packets: u64,
    pub response_packets: u64,
    /// First record's start and last record's end, Unix seconds.
    pub start_s: u64,
    pub end_s: u64,
    pub az_id: Option<String>,
    pub service: Option<AwsService>,
    /// Records joined into this connection.
    pub records: u64,
}

impl From<&Joined<'_>> for Connection {
    fn from(c: &Joined<'_>) -> Self {
        Connection {
            interface_id: c.interface_id.to_string(),
            protocol: c.protocol,
            client: c.client,
            server: c.server,
            request_bytes: c.request_bytes,
            response_bytes: c.response_bytes,
            request_packets: c.request_packets,
            response_packets: c.response_packets,
            start_s: c.start_s,
            end_s: c.end_s,
            az_id: c.az_id.map(str::to_string),
            service: c.service,
            records: c.records,
        }
    }
}

/// A connection as [`stream`] hands it on: a [`Connection`] whose names are borrowed from the
/// reader (nothing is allocated per connection).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Joined<'a> {
    pub interface_id: &'a str,
    pub protocol: u8,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub request_bytes: u64,
    pub response_bytes: u64,
    pub request_packets: u64,
    pub response_packets: u64,
    pub start_s: u64,
    pub end_s: u64,
    pub az_id: Option<&'a str>,
    pub service: Option<AwsService>,
    pub records: u64,
}

impl Connection {
    /// The connection as [`stream`] hands it on, its names borrowed.
    pub fn joined(&self) -> Joined<'_> {
        Joined {
            interface_id: &self.interface_id,
            protocol: self.protocol,
            client: self.client,
            server: self.server,
            request_bytes: self.request_bytes,
            response_bytes: self.response_bytes,
            request_packets: self.request_packets,
            response_packets: self.response_packets,
            start_s: self.start_s,
            end_s: self.end_s,
            az_id: self.az_id.as_deref(),
            service: self.service,
            records: self.records,
        }
    }

    /// The order [`read`] returns: start, end, protocol, client, server (unique among the
    /// connections of one input).
    fn order(&self) -> (u64, u64, u8, SocketAddr, SocketAddr) {
        (
            self.start_s,
            self.end_s,
            self.protocol,
            self.client,
            self.server,
        )
    }
}

/// What was read and what could not be attributed to a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub files: u64,
    /// Records parsed (every status).
    pub records: u64,
    pub connections: u64,
    pub nodata_records: u64,
    /// Intervals in which AWS could not capture some flows: traffic lost to the count.
    pub skipdata_records: u64,
    pub rejected_records: u64,
    /// Records lacking a field the join needs.
    pub incomplete_records: u64,
    /// Both ends private: not internet egress (including a NAT's inside view in the default
    /// format).
    pub internal_records: u64,
    pub unoriented_records: u64,
    pub unoriented_bytes: u64,
    /// A NAT gateway's internet-side views dropped for their inside view (rule 5).
    pub nat_second_side_connections: u64,
    /// Views of a connection from a second interface, dropped (rule 5).
    pub duplicate_view_connections: u64,
    /// Malformed lines skipped (not `strict`).
    pub skipped_lines: u64,
    /// Records that started more than [`LATE_TOLERANCE_S`] before a record read earlier: left
    /// out, since the connection they belong to may have been handed on (rule 7).
    pub late_records: u64,
    pub late_bytes: u64,
}

/// The connections in some flow logs, with the counts.
#[derive(Debug, Clone)]
pub struct FlowLogs {
    pub connections: Vec<Connection>,
    pub counts: Counts,
    /// The first malformed line skipped, to show the user.
    pub first_skipped: Option<FlowLogError>,
}

/// What a [`stream`] read besides the connections it handed on.
#[derive(Debug, Clone, Default)]
pub struct Streamed {
    pub counts: Counts,
    /// The first malformed line skipped, to show the user.
    pub first_skipped: Option<FlowLogError>,
}

/// Reads every file `paths` name (folders recursively) and joins their records: every
/// connection, sorted by start, end, protocol, client and server. Holds them all; [`stream`]
/// does not.
pub fn read(paths: &[PathBuf], options: &Options) -> Result<FlowLogs, FlowLogError> {
    let mut connections = Vec::new();
    let streamed = stream(paths, options, &mut |c| {
        connections.push(Connection::from(c))
    })?;
    connections.sort_unstable_by_key(Connection::order);
    Ok(FlowLogs {
        connections,
        counts: streamed.counts,
        first_skipped: streamed.first_skipped,
    })
}

/// Reads every file `paths` name (folders recursively, files in time order) and joins their
/// records, handing `each` every connection once it is complete, in no particular order.
///
/// Two threads: one reads (decompresses, parses and reduces records, `reduce`), the other (the
/// caller's) joins and runs `each`; batches of records pass between them through a short
/// queue, in the files' order, so the result does not depend on the threads' timing.
pub fn stream(
    paths: &[PathBuf],
    options: &Options,
    each: &mut dyn FnMut(&Joined<'_>),
) -> Result<Streamed, FlowLogError> {
    let files = in_time_order(source::files(paths)?);
    let (to_join, batches) = sync_channel::<Batch>(QUEUED_BATCHES);
    let (to_reuse, used) = sync_channel::<Vec<Reduced>>(QUEUED_BATCHES + 2);
    let listed = &files;
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut out = Batches {
                sender: to_join,
                reuse: used,
                reducer: Reducer::default(),
                records: Vec::with_capacity(BATCH),
            };
            let read = read_files(listed, options, |record| out.push(record));
            if !out.records.is_empty() {
                out.send();
            }
            read
        });
        let mut joiner = Joiner::default();
        for batch in batches {
            joiner.learn_names(batch.interfaces, batch.azs);
            for r in &batch.records {
                joiner.add(r, each);
            }
            let mut records = batch.records;
            records.clear();
            let _ = to_reuse.try_send(records);
        }
        let read = match reader.join() {
            Ok(read) => read?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let mut counts = joiner.finish(each);
        counts.files = files.len() as u64;
        counts.skipped_lines = read.skipped;
        Ok(Streamed {
            counts,
            first_skipped: read.first_skipped,
        })
    })
}

/// Records handed from the reading thread to the joining one at a time.
const BATCH: usize = 4_096;
/// Batches waiting for the join at most (the reader blocks beyond).
const QUEUED_BATCHES: usize = 8;

/// Records reduced on the reading thread, with the names interned since the last batch.
struct Batch {
    records: Vec<Reduced>,
    interfaces: Vec<Box<str>>,
    azs: Vec<Box<str>>,
}

/// What the reading thread counted.
struct Read {
    skipped: u64,
    first_skipped: Option<FlowLogError>,
}

/// The reading thread's end of the queue: reduces records into batches and sends them.
struct Batches {
    sender: SyncSender<Batch>,
    /// Emptied batches back from the join, to fill again.
    reuse: Receiver<Vec<Reduced>>,
    reducer: Reducer,
    records: Vec<Reduced>,
}

impl Batches {
    #[inline]
    fn push(&mut self, record: &Record<'_>) {
        self.records.push(self.reducer.reduce(record));
        if self.records.len() == BATCH {
            self.send();
        }
    }

    fn send(&mut self) {
        let next = self
            .reuse
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        let (interfaces, azs) = self.reducer.new_names();
        let batch = Batch {
            records: std::mem::replace(&mut self.records, next),
            interfaces,
            azs,
        };
        // The joining side stops early only when it panics, which the caller re-raises.
        let _ = self.sender.send(batch);
    }
}

/// Reads every file in order, handing `each` every record (the reading thread's work).
fn read_files(
    files: &[PathBuf],
    options: &Options,
    mut each: impl FnMut(&Record<'_>),
) -> Result<Read, FlowLogError> {
    let mut first_skipped = None;
    let mut skipped = 0;
    for path in files {
        let shown = path.display().to_string();
        if parquet::is_parquet(path, &source::head(path)?) {
            parquet::for_each_record(path, &mut each)?;
            continue;
        }
        let mut format: Option<Format> = None;
        source::for_each_line(path, |number, line| {
            let format = match &format {
                Some(format) => format,
                None if Format::is_header(line) => {
                    format = Some(Format::parse(line).map_err(|e| e.at(&shown, number))?);
                    return Ok(());
                }
                None => format.insert(Format::default_v2()),
            };
            match Record::parse(line, format) {
                Ok(record) => each(&record),
                Err(e) if options.strict => return Err(e.at(&shown, number)),
                Err(e) => {
                    skipped += 1;
                    first_skipped.get_or_insert(e.at(&shown, number));
                }
            }
            Ok(())
        })?;
    }
    Ok(Read {
        skipped,
        first_skipped,
    })
}

/// Reads and parses every record of the files `paths` name, as [`stream`] does, without
/// joining them, on the calling thread: the reading speed alone (`cargo bench --bench
/// flowlogs`). Returns the records read.
pub fn scan(paths: &[PathBuf], options: &Options) -> Result<u64, FlowLogError> {
    let files = in_time_order(source::files(paths)?);
    let mut reducer = Reducer::default();
    let mut records = 0u64;
    read_files(&files, options, |record| {
        std::hint::black_box(reducer.reduce(record));
        records += 1;
    })?;
    Ok(records)
}

/// Lines looked at for a text file's first record time (a header and NODATA records first).
const FIRST_RECORD_LINES: usize = 100;

/// `files` in the order of their first record's `start`, name order breaking ties. A file
/// whose first record has none (or cannot be read) goes first, so its problem shows at once.
fn in_time_order(files: Vec<PathBuf>) -> Vec<PathBuf> {
    if files.len() < 2 {
        return files;
    }
    let mut keyed: Vec<(u64, usize, PathBuf)> = files
        .into_iter()
        .enumerate()
        .map(|(i, path)| (first_start(&path).unwrap_or(0), i, path))
        .collect();
    keyed.sort_unstable_by_key(|(start, i, _)| (*start, *i));
    keyed.into_iter().map(|(_, _, path)| path).collect()
}

/// The `start` of the first record of `path` that has one.
fn first_start(path: &std::path::Path) -> Option<u64> {
    if parquet::is_parquet(path, &source::head(path).ok()?) {
        return parquet::first_start(path);
    }
    let mut format: Option<Format> = None;
    source::first_of_lines(path, FIRST_RECORD_LINES, |line| {
        let format = match &format {
            Some(format) => format,
            None if Format::is_header(line) => {
                format = Some(Format::parse(line).ok()?);
                return None;
            }
            None => format.insert(Format::default_v2()),
        };
        Record::parse(line, format).ok()?.start_s
    })
}
