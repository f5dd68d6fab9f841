//! VPC Flow Logs into connections: AWS's published examples joined by the documented rules
//! (`src/io/flowlogs/mod.rs`), gzip and folders, and the bad-input contract.

use crate::support::{repo_root, scratch};
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

    let header = dir.join("header.log");
    std::fs::write(&header, "version srcaddr dst-addr\n").unwrap();
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
