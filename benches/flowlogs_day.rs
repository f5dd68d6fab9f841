//! A day of a busy NAT gateway (`cargo bench --bench flowlogs_day`, issue 11): about 50 million
//! flow-log records, fitted and replayed, with the wall time and peak memory of each.
//!
//! The logs are written once by `natsim::io::fit::generate` from [`DAY`] (custom format, one
//! gzip file an hour as S3 delivery writes them, 1-minute records) into
//! `$TMPDIR/natsim-bench-day/logs/` and kept for later runs (delete the folder to write them
//! again). Then `natsim fit` and `natsim run` of a replay of them run as child processes under
//! `/usr/bin/time -v`, whose "Maximum resident set size" is the peak memory.

use flate2::Compression;
use flate2::write::GzEncoder;
use natsim::io::fit::generate::{LogFormat, write_flow_logs};
use natsim::io::scenario::parse_scenario;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// One AZ's services calling public APIs around the clock, busier by day: 240 new connections
/// a second on average, each in two or four 1-minute records (a record each way per minute).
const DAY: &str = r#"
[scenario]
name = "busy-day"
region = "us-east-1"
duration = "24h"
warmup = "0s"
seed = 2026

[[workload]]
name = "services"
az = "a"
rate_per_s = 240
profile = [0.6, 0.5, 0.5, 0.5, 0.6, 0.8, 1.0, 1.2, 1.3, 1.4, 1.4, 1.4,
           1.3, 1.3, 1.3, 1.2, 1.2, 1.1, 1.0, 0.9, 0.8, 0.8, 0.7, 0.7]
request_bytes = { dist = "lognormal", mean = "3KB", cv = 1.5 }
response_bytes = { dist = "lognormal", mean = "60KB", cv = 3.0 }
hold = { dist = "exponential", mean = "15s" }
destinations = { count = 20000, zipf = 1.1 }
endpoint_share = 0.15

[[candidate]]
name = "natgw"
kind = "nat_gateway"
az = "a"
"#;

/// The replay of the day's logs through the gateway and a NAT instance.
const REPLAY: &str = r#"
[scenario]
name = "busy-day-replay"
region = "us-east-1"
duration = "24h"
warmup = "0s"
seed = 7
replications = 1

[[workload]]
name = "recorded"
az = "a"
flow_logs = ["logs"]
hold = { dist = "exponential", mean = "15s" }

[[candidate]]
name = "natgw"
kind = "nat_gateway"
az = "a"

[[candidate]]
name = "nat-instance"
kind = "nat_instance"
az = "a"
instance_type = "c6gn.large"
"#;

/// Routes the generator's lines to one file per hour of their `start` (field 11), each with
/// the header; the files are compressed afterwards.
struct HourFiles {
    dir: PathBuf,
    header: Vec<u8>,
    files: Vec<(u64, BufWriter<File>)>,
    pending: Vec<u8>,
    records: u64,
}

impl HourFiles {
    fn route(&mut self, line: &[u8]) -> std::io::Result<()> {
        if self.header.is_empty() {
            self.header = line.to_vec();
            return Ok(());
        }
        let start: u64 = std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.split(' ').nth(10))
            .and_then(|s| s.parse().ok())
            .expect("a generated record has a start");
        let hour = start / 3600;
        let at = match self.files.iter().position(|(h, _)| *h == hour) {
            Some(at) => at,
            None => {
                let path = self.dir.join(format!("busy-day_{hour}.log"));
                let mut file = BufWriter::with_capacity(1 << 20, File::create(path)?);
                file.write_all(&self.header)?;
                self.files.push((hour, file));
                self.files.len() - 1
            }
        };
        self.records += 1;
        self.files[at].1.write_all(line)
    }
}

impl Write for HourFiles {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        let mut done = 0;
        while let Some(at) = self.pending[done..].iter().position(|&b| b == b'\n') {
            let line = self.pending[done..done + at + 1].to_vec();
            self.route(&line)?;
            done += at + 1;
        }
        self.pending.drain(..done);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        for (_, file) in &mut self.files {
            file.flush()?;
        }
        Ok(())
    }
}

/// Writes the day's logs into `dir/logs` unless they are there; returns the record count.
fn write_logs(dir: &Path) -> u64 {
    let logs = dir.join("logs");
    let done = dir.join("records");
    if let Ok(text) = std::fs::read_to_string(&done) {
        return text.trim().parse().expect("a record count");
    }
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).expect("logs folder");
    let started = Instant::now();
    let scenario = parse_scenario(DAY, "day.toml").expect("the day parses");
    let mut files = HourFiles {
        dir: logs.clone(),
        header: Vec::new(),
        files: Vec::new(),
        pending: Vec::new(),
        records: 0,
    };
    let generated = write_flow_logs(&scenario, LogFormat::Custom, &mut files).expect("generate");
    files.flush().expect("flush");
    let records = files.records;
    let plain: Vec<PathBuf> = files
        .files
        .drain(..)
        .map(|(hour, _)| logs.join(format!("busy-day_{hour}.log")))
        .collect();
    println!(
        "generated {} connections, {records} records in {:.0} s; compressing",
        generated.connections,
        started.elapsed().as_secs_f64()
    );
    std::thread::scope(|scope| {
        for half in plain.chunks(plain.len().div_ceil(2)) {
            scope.spawn(move || {
                for path in half {
                    let text = std::fs::read(path).expect("read plain");
                    let gz = File::create(path.with_extension("log.gz")).expect("create gzip");
                    let mut encoder = GzEncoder::new(BufWriter::new(gz), Compression::default());
                    encoder.write_all(&text).expect("gzip");
                    encoder.finish().expect("gzip").flush().expect("flush");
                    std::fs::remove_file(path).expect("remove plain");
                }
            });
        }
    });
    std::fs::write(&done, records.to_string()).expect("record count");
    records
}

/// Runs natsim with `args` under `/usr/bin/time -v` (when there): wall seconds and peak RSS.
fn measure(label: &str, dir: &Path, args: &[&str]) {
    let natsim = env!("CARGO_BIN_EXE_natsim");
    let timed = Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg(natsim);
        c
    } else {
        Command::new(natsim)
    };
    let started = Instant::now();
    let output = command
        .args(args)
        .current_dir(dir)
        .output()
        .expect("natsim runs");
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{label}: {stderr}");
    let peak_mb = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or("n/a".to_string(), |kb| format!("{:.0} MB", kb / 1024.0));
    let cpu = ["User time (seconds): ", "System time (seconds): "]
        .iter()
        .filter_map(|key| {
            stderr
                .lines()
                .find_map(|l| l.trim().strip_prefix(key))
                .and_then(|s| s.parse::<f64>().ok())
        })
        .sum::<f64>();
    println!("{label}: {seconds:.1} s wall, {cpu:.1} s cpu, peak memory {peak_mb}");
    print!("{}", String::from_utf8_lossy(&output.stdout));
}

fn main() {
    let dir = std::env::temp_dir().join("natsim-bench-day");
    std::fs::create_dir_all(&dir).expect("bench folder");
    let records = write_logs(&dir);
    println!("{records} records in {}", dir.join("logs").display());
    std::fs::write(dir.join("replay.toml"), REPLAY).expect("replay scenario");
    measure(
        "natsim fit",
        &dir,
        &["fit", "logs", "-o", "fitted.toml", "--force"],
    );
    measure(
        "natsim run (replay)",
        &dir,
        &["run", "replay.toml", "--out", "out"],
    );
}
