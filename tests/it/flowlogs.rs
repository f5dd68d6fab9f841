//! VPC Flow Logs into connections: AWS's published examples joined by the documented rules
//! (`src/io/flowlogs/mod.rs`), gzip and folders, and the bad-input contract.

use crate::support::{assert_ok, path, repo_root, run_cli_stderr, scratch, write_file};
use flate2::Compression;
use flate2::write::GzEncoder;
use natsim::io::flowlogs::{AwsService, Counts, FlowLogs, Options, read};
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/flowlogs").join(name)
}

fn read_ok(path: &Path) -> FlowLogs {
    read(&[path.to_path_buf()], &Options::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn error(path: &Path, strict: bool) -> String {
    read(&[path.to_path_buf()], &Options { strict })
        .unwrap_err()
        .to_string()
}

#[test]
fn aws_default_examples_count_what_is_not_a_connection() {
    let logs = read_ok(&fixture("aws-default.log"));
    let expected = Counts {
        files: 1,
        records: 7,
        connections: 2,
        nodata_records: 1,
        skipdata_records: 1,
        rejected_records: 2,
        internal_records: 1,
        ..Counts::default()
    };
    assert_eq!(logs.counts, expected);
    // The ICMP ping from the internet: the private end is taken as the client (egress view).
    let ping = &logs.connections[0];
    assert_eq!((ping.protocol, ping.response_bytes), (1, 336));
    assert_eq!(ping.server.to_string(), "203.0.113.12:0");
    let ssh = &logs.connections[1];
    assert_eq!(
        ssh.server.to_string(),
        "[2001:db8:1234:a102:3304:8879:34cf:4071]:22"
    );
    assert_eq!((ssh.request_bytes, ssh.request_packets), (8855, 54));
}

#[test]
fn aws_tcp_flag_examples_join_across_intervals() {
    let logs = read_ok(&fixture("aws-tcp-flags.log"));
    assert_eq!(logs.connections.len(), 3);
    let long = logs
        .connections
        .iter()
        .find(|c| c.server.port() == 43418)
        .unwrap();
    assert_eq!(long.records, 4);
    assert_eq!(long.request_bytes, 632 + 63388);
    assert_eq!(long.response_bytes, 100701 + 23294588);
    assert_eq!((long.start_s, long.end_s), (1566848875, 1566849113));
}

#[test]
fn aws_s3_example_is_one_connection_to_s3_in_its_az() {
    let logs = read_ok(&fixture("aws-traffic-path.log"));
    assert_eq!(logs.connections.len(), 1);
    let c = &logs.connections[0];
    assert_eq!(c.client.to_string(), "10.0.0.71:34210");
    assert_eq!(c.server.to_string(), "52.95.128.179:80");
    assert_eq!((c.request_bytes, c.response_bytes), (471, 15044));
    assert_eq!(
        (c.az_id.as_deref(), c.service),
        (Some("apse2-az3"), Some(AwsService::S3))
    );
}

#[test]
fn aws_nat_example_parses_but_lacks_what_a_join_needs() {
    let logs = read_ok(&fixture("aws-nat-gateway.log"));
    assert_eq!(logs.counts.records, 6);
    assert_eq!(logs.counts.incomplete_records, 6);
    assert!(logs.connections.is_empty());
}

/// The guide's NAT example with ports, bytes and times added (NAT port 61000 for the
/// instance's 40000), on both the NAT gateway's interface and the instance's: one connection.
const NAT_BOTH_SIDES: &str = "\
interface-id srcaddr dstaddr srcport dstport protocol bytes start end pkt-srcaddr pkt-dstaddr
eni-nat 10.0.1.5 10.0.0.220 40000 443 6 100 0 60 10.0.1.5 203.0.113.5
eni-nat 10.0.0.220 203.0.113.5 61000 443 6 100 0 60 10.0.0.220 203.0.113.5
eni-nat 203.0.113.5 10.0.0.220 443 61000 6 5000 0 60 203.0.113.5 10.0.0.220
eni-nat 10.0.0.220 10.0.1.5 443 40000 6 5000 0 60 203.0.113.5 10.0.1.5
eni-nat 10.0.1.5 10.0.0.220 40000 443 6 50 60 120 10.0.1.5 203.0.113.5
eni-nat 10.0.0.220 10.0.1.5 443 40000 6 700 60 120 203.0.113.5 10.0.1.5
eni-instance 10.0.1.5 203.0.113.5 40000 443 6 150 0 120 10.0.1.5 203.0.113.5
eni-instance 203.0.113.5 10.0.1.5 443 40000 6 5700 0 120 203.0.113.5 10.0.1.5
";

#[test]
fn a_nat_gateway_connection_counts_once() {
    let dir = scratch("flowlogs-nat");
    std::fs::write(dir.join("nat.log"), NAT_BOTH_SIDES).unwrap();
    let logs = read_ok(&dir.join("nat.log"));
    assert_eq!(logs.connections.len(), 1, "{:?}", logs.connections);
    let c = &logs.connections[0];
    assert_eq!(c.interface_id, "eni-nat");
    assert_eq!(c.client.to_string(), "10.0.1.5:40000");
    assert_eq!((c.request_bytes, c.response_bytes), (150, 5700));
    assert_eq!((c.start_s, c.end_s), (0, 120));
    assert_eq!(logs.counts.nat_second_side_connections, 1);
    assert_eq!(logs.counts.duplicate_view_connections, 1);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn a_folder_of_partitions_reads_gzip_and_plain_alike() {
    let dir = scratch("flowlogs-folder");
    let part = dir.join("AWSLogs/123456789010/vpcflowlogs/ap-southeast-2/2021/03/26");
    std::fs::create_dir_all(&part).unwrap();
    let text = std::fs::read(fixture("aws-tcp-flags.log")).unwrap();
    std::fs::write(part.join("a.log.gz"), gzip(&text)).unwrap();
    std::fs::write(
        part.join("b.log"),
        std::fs::read(fixture("aws-default.log")).unwrap(),
    )
    .unwrap();
    std::fs::write(part.join("notes.md"), "not a log").unwrap();
    let logs = read_ok(&dir);
    assert_eq!(logs.counts.files, 2);
    assert_eq!(logs.counts.records, 8 + 7);
    assert_eq!(logs.connections.len(), 3 + 2);
}

#[test]
fn bad_input_names_file_line_and_fix() {
    let dir = scratch("flowlogs-bad");
    let bad_line = dir.join("bad-line.log");
    let good = "2 1 eni-1 10.0.0.1 1.2.3.4 40000 443 6 10 1000 100 160 ACCEPT OK\n";
    std::fs::write(
        &bad_line,
        format!("{good}2 1 eni-1 10.0.0.1 1.2.3.4 40000\n{good}"),
    )
    .unwrap();
    let shown = bad_line.display();
    assert_eq!(
        error(&bad_line, true),
        format!(
            "{shown}:2: expected 14 fields, found 6; each record has one value (or \"-\") per \
             field of the header, or of the default format when the file has no header"
        )
    );
    let skipped = read_ok(&bad_line);
    assert_eq!(
        (skipped.counts.skipped_lines, skipped.counts.records),
        (1, 2)
    );
    assert_eq!(skipped.first_skipped.unwrap().line, 2);

    let header = write_file(&dir, "header.log", "version srcaddr dst-addr\n");
    let message = error(&header, false);
    assert!(
        message.starts_with(&format!(
            "{}:1: unknown field \"dst-addr\" in the header; did you mean \"dstaddr\"?",
            header.display()
        )),
        "{message}"
    );

    let truncated = dir.join("cut.log.gz");
    let whole = gzip(good.repeat(1000).as_bytes());
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    let message = error(&truncated, false);
    assert!(
        message.starts_with(&format!("{}:", truncated.display())),
        "{message}"
    );
    assert!(
        message.contains("the gzip stream is truncated or corrupt"),
        "{message}"
    );
    assert!(message.ends_with("download the file again: a partial download or copy ends early"));

    let missing = dir.join("missing.log");
    assert!(error(&missing, false).contains("missing.log: cannot read: no such file"));
}

/// A flow-log text (header line first) as the Parquet file AWS would write: underscore column
/// names, ports, protocol and flags as int32, counts and times as int64, "-" as null.
fn as_parquet(text: &str, path: &Path, row_group_rows: usize) {
    use polars::prelude::{Column, DataFrame, ParquetWriter};
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    fn cell<'a>(row: &[&'a str], i: usize) -> Option<&'a str> {
        Some(row[i]).filter(|w| *w != "-")
    }
    let columns: Vec<Column> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let col = name.replace('-', "_");
            match *name {
                "version" | "srcport" | "dstport" | "protocol" | "tcp-flags" | "traffic-path" => {
                    let v: Vec<Option<i32>> = rows
                        .iter()
                        .map(|r| cell(r, i).map(|w| w.parse().unwrap()))
                        .collect();
                    Column::new(col.into(), v)
                }
                "packets" | "bytes" | "start" | "end" => {
                    let v: Vec<Option<i64>> = rows
                        .iter()
                        .map(|r| cell(r, i).map(|w| w.parse().unwrap()))
                        .collect();
                    Column::new(col.into(), v)
                }
                _ => {
                    let v: Vec<Option<&str>> = rows.iter().map(|r| cell(r, i)).collect();
                    Column::new(col.into(), v)
                }
            }
        })
        .collect();
    let mut frame = DataFrame::new_infer_height(columns).unwrap();
    let mut file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(&mut file)
        .with_row_group_size(Some(row_group_rows))
        .finish(&mut frame)
        .unwrap();
}

#[test]
fn parquet_reads_to_the_same_connections_as_text() {
    let dir = scratch("flowlogs-parquet");
    for (name, text) in [
        ("nat", NAT_BOTH_SIDES.to_string()),
        (
            "flags",
            std::fs::read_to_string(fixture("aws-tcp-flags.log")).unwrap(),
        ),
        (
            "s3",
            std::fs::read_to_string(fixture("aws-traffic-path.log")).unwrap(),
        ),
    ] {
        let text_path = write_file(&dir, &format!("{name}.log"), &text);
        // Told by the magic bytes, whatever the name; and by the name in a folder.
        let parquet_path = dir.join(format!("{name}.data"));
        as_parquet(&text, &parquet_path, 3);
        let (from_text, from_parquet) = (read_ok(&text_path), read_ok(&parquet_path));
        assert!(!from_text.connections.is_empty(), "{name}");
        assert_eq!(from_text.connections, from_parquet.connections, "{name}");
        assert_eq!(from_text.counts, from_parquet.counts, "{name}");
    }
    let folder = dir.join("part");
    std::fs::create_dir_all(&folder).unwrap();
    as_parquet(NAT_BOTH_SIDES, &folder.join("x.parquet"), 100);
    assert_eq!(read_ok(&folder).connections.len(), 1);
}

#[test]
fn a_truncated_or_odd_parquet_file_is_named() {
    let dir = scratch("flowlogs-parquet-bad");
    let whole = dir.join("whole.parquet");
    as_parquet(NAT_BOTH_SIDES, &whole, 2);
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
    let message = error(&cut, false);
    assert!(
        message.starts_with(&format!(
            "{}: the parquet file is truncated or corrupt",
            cut.display()
        )),
        "{message}"
    );
    let odd = dir.join("odd.parquet");
    as_parquet(
        "interface-id srcaddr dst-addr\neni-1 10.0.0.1 1.2.3.4\n",
        &odd,
        10,
    );
    assert!(
        error(&odd, false).contains("unknown column \"dst_addr\" in the parquet file"),
        "{}",
        error(&odd, false)
    );
}

#[test]
fn a_five_tuple_back_after_the_idle_timeout_is_a_new_connection() {
    let dir = scratch("flowlogs-gap");
    let path = dir.join("gap.log");
    // 350 s of silence (end 160 → start 510) joins; 351 s (end 570 → start 921) does not; the
    // last record arrives out of order and bridges nothing (it is within 350 s of the second).
    let line = |bytes: u64, start: u64, end: u64| {
        format!("2 1 eni-1 10.0.0.1 1.2.3.4 40000 443 6 1 {bytes} {start} {end} ACCEPT OK\n")
    };
    let text = [
        line(10, 100, 160),
        line(20, 510, 570),
        line(40, 921, 980),
        line(80, 1000, 1060),
        line(160, 400, 450),
    ]
    .concat();
    std::fs::write(&path, text).unwrap();
    let logs = read_ok(&path);
    let spans: Vec<_> = logs
        .connections
        .iter()
        .map(|c| (c.start_s, c.end_s, c.request_bytes, c.records))
        .collect();
    assert_eq!(spans, [(100, 570, 190, 3), (921, 1060, 120, 2)]);
    // A record that bridges two connections' gap merges them.
    let bridged = dir.join("bridge.log");
    std::fs::write(
        &bridged,
        [line(1, 0, 60), line(2, 1000, 1060), line(4, 400, 700)].concat(),
    )
    .unwrap();
    let logs = read_ok(&bridged);
    assert_eq!(logs.connections.len(), 1);
    assert_eq!(
        (
            logs.connections[0].request_bytes,
            logs.connections[0].records
        ),
        (7, 3)
    );
}

/// One connection's two records (request and response) at `start`, default format.
fn exchange(client_port: u64, start: u64) -> String {
    format!(
        "2 1 eni-1 10.0.0.1 203.0.113.9 {client_port} 443 6 2 100 {start} {} ACCEPT OK\n\
         2 1 eni-1 203.0.113.9 10.0.0.1 443 {client_port} 6 3 900 {start} {} ACCEPT OK\n",
        start + 30,
        start + 30
    )
}

/// Rule 7 (issue 11, bounded memory): files are read in the order of their first record,
/// whatever their names, and a record more than the tolerance behind the records read before
/// it is counted as late, with its bytes, and left out; `natsim fit` says so.
#[test]
fn files_are_read_in_time_order_and_late_records_are_counted() {
    let dir = scratch("flowlogs-time-order");
    let hour = |h: u64| 1_700_000_000 + h * 3_600;
    // Named against time: "a" holds the second hour, "b" the first.
    std::fs::write(dir.join("a.log"), exchange(40_001, hour(1))).unwrap();
    std::fs::write(dir.join("b.log"), exchange(40_000, hour(0))).unwrap();
    let logs = read_ok(&dir);
    assert_eq!(logs.connections.len(), 2);
    assert_eq!((logs.counts.late_records, logs.counts.late_bytes), (0, 0));

    // One file out of time order: its second connection starts an hour behind the first.
    let late = scratch("flowlogs-late");
    let text = exchange(40_000, hour(1)) + &exchange(40_001, hour(0));
    std::fs::write(late.join("late.log"), text).unwrap();
    let logs = read_ok(&late);
    assert_eq!(logs.connections.len(), 1);
    assert_eq!(logs.connections[0].start_s, hour(1));
    assert_eq!(
        (logs.counts.late_records, logs.counts.late_bytes),
        (2, 1_000)
    );
    assert_eq!(logs.counts.records, 4);

    let out = late.join("fitted.toml");
    let (output, stderr) = run_cli_stderr(&["fit", path(&late.join("late.log")), "-o", path(&out)]);
    assert_ok(&output);
    assert!(
        stderr.contains("left out 2 late record(s) (1000 bytes) that started more than 900 s"),
        "{stderr}"
    );
    let fitted = std::fs::read_to_string(&out).unwrap();
    assert!(fitted.contains("(2 late records left out)"), "{fitted}");
}
