//! The connections of some flow logs sorted by start, on disk, for a replay. [`super::stream`]
//! hands connections on in the order they complete; here they are sorted in memory a chunk at a
//! time ([`CHUNK`] connections), each sorted chunk is written to a scratch file (a run, in a
//! [`SpillDir`] removed with the `Sorted`), and the runs are merged as they are read back (a
//! heap holding one connection per run). Memory: one chunk while reading, one read buffer per
//! run while merging (runs beyond [`MAX_RUNS`] are merged into longer ones first). The order is
//! [`super::read`]'s: start, end, protocol, client, server.
//!
//! Each connection keeps its `az-id` as an index into the AZ IDs the read met ([`Sorted::az_ids`],
//! counted), so a replay can take one AZ's connections.

use super::{AwsService, FlowLogError, Joined, Options, Streamed, stream};
use crate::io::spill::{Fields, RecordReader, RecordWriter, SpillDir, put_varint};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

/// Connections sorted in memory at once (about 100 bytes each).
const CHUNK: usize = 1 << 18;
/// Runs merged at once (each holds a file handle and a read buffer).
const MAX_RUNS: usize = 64;

/// What a replay needs of a connection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timed {
    pub(crate) start_s: u64,
    pub(crate) end_s: u64,
    pub(crate) protocol: u8,
    pub(crate) client: SocketAddr,
    pub(crate) server: SocketAddr,
    pub(crate) request_bytes: u64,
    pub(crate) response_bytes: u64,
    pub(crate) service: Option<AwsService>,
    /// The connection's `az-id`: 0 without one, else 1 + its index in [`Sorted::az_ids`].
    pub(crate) az: u16,
}

type Order = (u64, u64, u8, SocketAddr, SocketAddr);

impl Timed {
    fn order(&self) -> Order {
        (
            self.start_s,
            self.end_s,
            self.protocol,
            self.client,
            self.server,
        )
    }

    fn of(c: &Joined<'_>, az: u16) -> Self {
        Timed {
            start_s: c.start_s,
            end_s: c.end_s,
            protocol: c.protocol,
            client: c.client,
            server: c.server,
            request_bytes: c.request_bytes,
            response_bytes: c.response_bytes,
            service: c.service,
            az,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, self.start_s);
        put_varint(out, self.end_s);
        out.push(self.protocol);
        let service = match self.service {
            None => 0,
            Some(AwsService::S3) => 1,
            Some(AwsService::DynamoDb) => 2,
        };
        out.push(
            u8::from(self.client.is_ipv6()) | u8::from(self.server.is_ipv6()) << 1 | service << 2,
        );
        for end in [self.client, self.server] {
            match end.ip() {
                IpAddr::V4(ip) => out.extend_from_slice(&ip.octets()),
                IpAddr::V6(ip) => out.extend_from_slice(&ip.octets()),
            }
            out.extend_from_slice(&end.port().to_le_bytes());
        }
        put_varint(out, self.request_bytes);
        put_varint(out, self.response_bytes);
        put_varint(out, u64::from(self.az));
    }

    fn decode(bytes: &[u8]) -> Self {
        let mut f = Fields::new(bytes);
        let start_s = f.varint();
        let end_s = f.varint();
        let protocol = f.byte();
        let flags = f.byte();
        let mut end = |v6: bool| {
            let ip = if v6 {
                IpAddr::V6(Ipv6Addr::from(f.array::<16>()))
            } else {
                IpAddr::V4(Ipv4Addr::from(f.array::<4>()))
            };
            SocketAddr::new(ip, u16::from_le_bytes(f.array()))
        };
        let client = end(flags & 1 != 0);
        let server = end(flags & 2 != 0);
        Timed {
            start_s,
            end_s,
            protocol,
            client,
            server,
            request_bytes: f.varint(),
            response_bytes: f.varint(),
            service: match flags >> 2 {
                1 => Some(AwsService::S3),
                2 => Some(AwsService::DynamoDb),
                _ => None,
            },
            az: f.varint() as u16,
        }
    }
}

/// Connections sorted by start in scratch files, with what the read counted.
pub(crate) struct Sorted {
    dir: Arc<SpillDir>,
    runs: Vec<PathBuf>,
    pub(crate) streamed: Streamed,
    /// The AZ IDs met, in the order first met, with their connections (every protocol).
    pub(crate) az_ids: Vec<(String, u64)>,
    /// Connections without an `az-id` (a format without the field, or `-`).
    pub(crate) without_az_id: u64,
}

impl std::fmt::Debug for Sorted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sorted")
            .field("runs", &self.runs.len())
            .field("counts", &self.streamed.counts)
            .finish()
    }
}

impl Sorted {
    /// Reads and joins the flow logs `paths` name (as [`super::stream`]) into sorted runs.
    pub(crate) fn read(paths: &[PathBuf], options: &Options) -> Result<Sorted, FlowLogError> {
        Sorted::read_in(paths, options, CHUNK, MAX_RUNS)
    }

    /// [`Sorted::read`] with `chunk` connections a run, merging runs beyond `max_runs`.
    fn read_in(
        paths: &[PathBuf],
        options: &Options,
        chunk_len: usize,
        max_runs: usize,
    ) -> Result<Sorted, FlowLogError> {
        let dir = SpillDir::new().map_err(|e| scratch_error(&e, &std::env::temp_dir()))?;
        let mut sorted = Sorted {
            dir,
            runs: Vec::new(),
            streamed: Streamed::default(),
            az_ids: Vec::new(),
            without_az_id: 0,
        };
        let mut chunk: Vec<Timed> = Vec::with_capacity(chunk_len);
        let mut failed: Option<io::Error> = None;
        let streamed = stream(paths, options, &mut |c| {
            if failed.is_some() {
                return;
            }
            let az = sorted.az_index(c.az_id);
            chunk.push(Timed::of(c, az));
            if chunk.len() == chunk_len {
                failed = sorted.write_run(&mut chunk).err();
            }
        })?;
        if failed.is_none() && !chunk.is_empty() {
            failed = sorted.write_run(&mut chunk).err();
        }
        while failed.is_none() && sorted.runs.len() > max_runs {
            failed = sorted.merge_first_runs(max_runs).err();
        }
        if let Some(e) = failed {
            return Err(scratch_error(&e, sorted.dir.path()));
        }
        sorted.streamed = streamed;
        Ok(sorted)
    }

    /// The [`Timed::az`] of `az_id`, counting the connection; an AZ ID beyond the 65,535th
    /// (never in one region) counts as none.
    fn az_index(&mut self, az_id: Option<&str>) -> u16 {
        let Some(id) = az_id else {
            self.without_az_id += 1;
            return 0;
        };
        // A region has a handful of AZs: a linear search beats hashing the name.
        if let Some(at) = self.az_ids.iter().position(|(known, _)| known == id) {
            self.az_ids[at].1 += 1;
            return at as u16 + 1;
        }
        if self.az_ids.len() >= usize::from(u16::MAX) {
            self.without_az_id += 1;
            return 0;
        }
        self.az_ids.push((id.to_string(), 1));
        self.az_ids.len() as u16
    }

    /// The [`Timed::az`] connections with AZ ID `id` carry, if any has it.
    pub(crate) fn az_of(&self, id: &str) -> Option<u16> {
        self.az_ids
            .iter()
            .position(|(known, _)| known == id)
            .map(|at| at as u16 + 1)
    }

    /// Calls `each` with every connection in order; an error is the scratch files'.
    pub(crate) fn for_each(&self, mut each: impl FnMut(&Timed)) -> io::Result<()> {
        merge(&self.runs, |t| {
            each(t);
            Ok(())
        })
    }

    fn write_run(&mut self, chunk: &mut Vec<Timed>) -> io::Result<()> {
        chunk.sort_unstable_by_key(Timed::order);
        let path = self.dir.file(&format!("run-{}", self.runs.len()));
        let mut out = RecordWriter::create(&path)?;
        for t in chunk.iter() {
            out.write(|bytes| t.encode(bytes))?;
        }
        out.finish()?;
        chunk.clear();
        self.runs.push(path);
        Ok(())
    }

    /// Merges the first `count` runs into one, at the end of the list.
    fn merge_first_runs(&mut self, count: usize) -> io::Result<()> {
        let first: Vec<PathBuf> = self.runs.drain(..count).collect();
        let path = self
            .dir
            .file(&format!("merged-{}", self.runs.len() + first.len()));
        let mut out = RecordWriter::create(&path)?;
        merge(&first, |t| out.write(|bytes| t.encode(bytes)))?;
        out.finish()?;
        for run in first {
            std::fs::remove_file(run)?;
        }
        self.runs.push(path);
        Ok(())
    }
}

/// Reads `runs` (each sorted) in one order, handing `each` every connection.
fn merge(runs: &[PathBuf], mut each: impl FnMut(&Timed) -> io::Result<()>) -> io::Result<()> {
    let mut readers = runs
        .iter()
        .map(|run| RecordReader::open(run))
        .collect::<io::Result<Vec<_>>>()?;
    let mut heap: BinaryHeap<Reverse<(Order, usize)>> = BinaryHeap::with_capacity(runs.len());
    let mut current: Vec<Option<Timed>> = vec![None; runs.len()];
    for (i, reader) in readers.iter_mut().enumerate() {
        if let Some(bytes) = reader.next()? {
            let t = Timed::decode(bytes);
            heap.push(Reverse((t.order(), i)));
            current[i] = Some(t);
        }
    }
    while let Some(Reverse((_, i))) = heap.pop() {
        let t = current[i]
            .take()
            .expect("a run in the heap has a connection");
        each(&t)?;
        if let Some(bytes) = readers[i].next()? {
            let next = Timed::decode(bytes);
            heap.push(Reverse((next.order(), i)));
            current[i] = Some(next);
        }
    }
    Ok(())
}

fn scratch_error(e: &io::Error, dir: &std::path::Path) -> FlowLogError {
    FlowLogError::new(
        format!("cannot write or read a scratch file: {e}"),
        "free space in the temporary folder, or point TMPDIR at a folder with room",
    )
    .at(&dir.display().to_string(), 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::io::flowlogs::read;

    /// Default-format records of `n` connections of mixed lengths (some hours long), so they
    /// complete far out of start order; a few IPv6 and UDP among them.
    pub(crate) fn mixed_logs(n: u64) -> String {
        let mut records: Vec<(u64, String)> = Vec::new();
        for i in 0..n {
            let start = 1_700_000_000 + i * 7;
            let length = [5, 60, 3_000, 20_000][(i % 4) as usize];
            let (client, server) = if i % 50 == 7 {
                ("fd00::1".to_string(), format!("2001:db8::{}", i % 9 + 1))
            } else {
                (
                    format!("10.0.{}.{}", i / 250 % 250, i % 250),
                    format!("198.51.100.{}", i % 13),
                )
            };
            let protocol = if i % 10 == 3 { 17 } else { 6 };
            // One record a minute for the connection's length, each way.
            let mut at = start;
            while at <= start + length {
                let end = (at + 60).min(start + length);
                let port = 20_000 + i;
                records.push((at, format!(
                    "2 1 eni-1 {client} {server} {port} 443 {protocol} 1 {} {at} {end} ACCEPT OK\n2 1 eni-1 {server} {client} 443 {port} {protocol} 1 {} {at} {end} ACCEPT OK\n",
                    100 + i,
                    1_000 + i
                )));
                at += 60;
            }
        }
        records.sort_by_key(|(at, _)| *at);
        records.into_iter().map(|(_, r)| r).collect()
    }

    #[test]
    fn sorted_runs_read_back_in_read_order() {
        let dir = SpillDir::new().unwrap();
        let path = dir.file("mixed.log");
        std::fs::write(&path, mixed_logs(2_000)).unwrap();
        let paths = [path];
        let expected: Vec<Timed> = read(&paths, &Options::default())
            .unwrap()
            .connections
            .iter()
            .map(|c| Timed::of(&c.joined(), 0))
            .collect();
        assert_eq!(expected.len(), 2_000);
        // 37 connections a run, at most 4 runs merged at once: 55 runs, merged in rounds.
        let sorted = Sorted::read_in(&paths, &Options::default(), 37, 4).unwrap();
        assert!(sorted.runs.len() <= 4, "{}", sorted.runs.len());
        let mut got = Vec::new();
        sorted.for_each(|t| got.push(*t)).unwrap();
        assert_eq!(got, expected);
        assert_eq!(sorted.streamed.counts.connections, 2_000);
        let scratch = sorted.dir.path().to_path_buf();
        drop(sorted);
        assert!(!scratch.exists(), "the runs go with the Sorted");
    }

    #[test]
    fn a_connection_encodes_and_decodes_to_itself() {
        let cases = [
            ("10.0.0.1:40000", "203.0.113.5:443", None, 0),
            (
                "[fd00::1]:1",
                "[2001:db8::2]:65535",
                Some(AwsService::S3),
                3,
            ),
            (
                "10.0.0.1:0",
                "[2001:db8::2]:22",
                Some(AwsService::DynamoDb),
                u16::MAX,
            ),
        ];
        for (client, server, service, az) in cases {
            let t = Timed {
                start_s: 1_700_000_000,
                end_s: u64::MAX,
                protocol: 17,
                client: client.parse().unwrap(),
                server: server.parse().unwrap(),
                request_bytes: 0,
                response_bytes: 1 << 50,
                service,
                az,
            };
            let mut bytes = Vec::new();
            t.encode(&mut bytes);
            assert!(bytes.len() <= 255);
            assert_eq!(Timed::decode(&bytes), t);
        }
    }
}
