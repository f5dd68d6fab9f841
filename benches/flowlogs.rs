//! Flow-log reading rate (`cargo bench --bench flowlogs`), for 1 million generated
//! default-format records as plain text, as gzip and as AWS's Parquet, each three times:
//!
//! - **read**: `flowlogs::scan`, the files parsed into records on one thread (decompress, split,
//!   parse, orient), no join: records per cpu second;
//! - **read and join**: `flowlogs::stream`, as `fit` and a replay read (reading on one thread,
//!   the join on another), every record its own connection, the worst case for the join:
//!   records per wall second and per cpu second of both threads.
//!
//! Cpu seconds are the process's (`CLOCK_PROCESS_CPUTIME_ID`): the one-core rate when other work
//! shares the machine. `cargo bench --bench flowlogs -- PATH` measures the logs at PATH (a file
//! or a folder) instead.

use flate2::Compression;
use flate2::write::GzEncoder;
use natsim::io::flowlogs::{Options, scan, stream};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

const RECORDS: u64 = 1_000_000;

fn generate() -> String {
    let mut text = String::with_capacity(RECORDS as usize * 110);
    for i in 0..RECORDS {
        let (client, port) = (i % 5000, 1024 + (i / 5000) % 60000);
        let start = 1_700_000_000 + (i / 1000) * 60;
        let line = if i % 2 == 0 {
            format!(
                "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.{}.{} 203.0.113.{} {port} 443 6 12 {} {start} {} ACCEPT OK\n",
                client / 250,
                client % 250,
                i % 200,
                800 + i % 3000,
                start + 60
            )
        } else {
            format!(
                "2 123456789010 eni-0a1b2c3d4e5f60718 203.0.113.{} 10.0.{}.{} 443 {port} 6 40 {} {start} {} ACCEPT OK\n",
                (i - 1) % 200,
                client / 250,
                client % 250,
                20_000 + i % 50_000,
                start + 60
            )
        };
        text.push_str(&line);
    }
    text
}

/// CPU seconds this process has used (all its threads): the rate per core, whatever else the
/// machine runs.
fn thread_cpu_s() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

fn measure(label: &str, path: PathBuf) {
    let paths = [path];
    let options = Options { strict: true };
    let cpu = thread_cpu_s();
    let records = scan(&paths, &options).expect("generated logs read") as f64;
    let read_cpu = thread_cpu_s() - cpu;
    let (started, cpu) = (Instant::now(), thread_cpu_s());
    let mut connections = 0u64;
    let streamed =
        stream(&paths, &options, &mut |_| connections += 1).expect("generated logs join");
    let (seconds, cpu) = (started.elapsed().as_secs_f64(), thread_cpu_s() - cpu);
    assert_eq!(streamed.counts.records as f64, records);
    println!(
        "{label}: {records} records; read {:.2} M/s per cpu second; read and join into \
         {connections} connections {:.2} M/s ({:.2} M/s per cpu second)",
        records / read_cpu / 1e6,
        records / seconds / 1e6,
        records / cpu / 1e6
    );
}

/// The records as AWS's Parquet (underscore names, int32 ports and protocol, int64 counts and
/// times, strings otherwise), in row groups of 128 Ki rows.
fn write_parquet(text: &str, path: &std::path::Path) {
    use polars::prelude::{Column, DataFrame, ParquetWriter};
    const NAMES: [&str; 14] = [
        "version",
        "account_id",
        "interface_id",
        "srcaddr",
        "dstaddr",
        "srcport",
        "dstport",
        "protocol",
        "packets",
        "bytes",
        "start",
        "end",
        "action",
        "log_status",
    ];
    let mut words: Vec<Vec<&str>> = vec![Vec::new(); NAMES.len()];
    for line in text.lines() {
        for (i, word) in line.split_ascii_whitespace().enumerate() {
            words[i].push(word);
        }
    }
    let columns: Vec<Column> = NAMES
        .iter()
        .zip(&words)
        .map(|(name, values)| match *name {
            "version" | "srcport" | "dstport" | "protocol" => Column::new(
                (*name).into(),
                values
                    .iter()
                    .map(|w| w.parse::<i32>().unwrap())
                    .collect::<Vec<_>>(),
            ),
            "packets" | "bytes" | "start" | "end" => Column::new(
                (*name).into(),
                values
                    .iter()
                    .map(|w| w.parse::<i64>().unwrap())
                    .collect::<Vec<_>>(),
            ),
            _ => Column::new((*name).into(), values),
        })
        .collect();
    let mut frame = DataFrame::new_infer_height(columns).expect("frame");
    let mut file = std::fs::File::create(path).expect("create parquet");
    ParquetWriter::new(&mut file)
        .with_row_group_size(Some(128 * 1024))
        .finish(&mut frame)
        .expect("write parquet");
}

fn main() {
    // `cargo bench --bench flowlogs -- PATH` measures the logs at PATH instead (`--bench` is
    // cargo's own argument).
    if let Some(path) = std::env::args().skip(1).find(|a| !a.starts_with("--")) {
        for _ in 0..3 {
            measure(&path, PathBuf::from(&path));
        }
        return;
    }
    let dir = std::env::temp_dir().join("natsim-bench-flowlogs");
    std::fs::create_dir_all(&dir).expect("bench folder");
    let text = generate();
    let plain = dir.join("flows.log");
    std::fs::write(&plain, &text).expect("write plain");
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(text.as_bytes()).expect("gzip");
    let gz = dir.join("flows.log.gz");
    std::fs::write(&gz, encoder.finish().expect("gzip")).expect("write gzip");
    let parquet = dir.join("flows.parquet");
    write_parquet(&text, &parquet);
    drop(text);
    for _ in 0..3 {
        measure("plain text", plain.clone());
        measure("gzip text", gz.clone());
        measure("parquet", parquet.clone());
    }
}
