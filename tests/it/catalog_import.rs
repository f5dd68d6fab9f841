//! `natsim catalog import`: AWS's describe-instance-types JSON and Price List files (offer CSV
//! and JSON, get-products output; fixtures in tests/fixtures/catalog, written by its
//! generate.py) into a catalog that runs a region the built-in one lacks, end to end; what is
//! missing is named, malformed input names its file and record, nothing is written on error.

use crate::support::{
    assert_ok, assert_refused, column, csv_rows, path, read, repo_root, run_cli_ok, run_cli_stderr,
    run_file, scratch, stdout, write_file,
};
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixtures(set: &str) -> Vec<PathBuf> {
    let dir = repo_root().join("tests/fixtures/catalog").join(set);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn import(files: &[PathBuf], out: &Path, extra: &[&str]) -> (Output, String) {
    let mut args = vec!["catalog", "import"];
    args.extend(files.iter().map(|f| path(f)));
    args.extend(["-o", path(out)]);
    args.extend_from_slice(extra);
    run_cli_stderr(&args)
}

fn imported(dir: &Path) -> PathBuf {
    let out = dir.join("aws.toml");
    assert_ok(&import(&fixtures("small"), &out, &[]).0);
    out
}

#[test]
fn the_small_fixtures_import_every_region_and_priced_type_with_sources() {
    let dir = scratch("import-small");
    let out = dir.join("aws.toml");
    let (output, stderr) = import(&fixtures("small"), &out, &[]);
    assert_ok(&output);
    let stdout = stdout(&output);
    assert!(
        stdout.contains("2 region(s) (eu-west-1, us-west-2) and 6 instance type(s)"),
        "{stdout}"
    );
    // What is left out is said, one note each: no baseline, no price, not described.
    for note in [
        "t2.micro",
        "NetworkPerformance \"Low to Moderate\"",
        "no Linux on-demand price in the imported regions and are left out: m6i.32xlarge",
        "not in the describe-instance-types output and are left out (natsim needs their network figures): c5.large",
    ] {
        assert!(stderr.contains(note), "{note:?} missing from {stderr}");
    }
    let text = read(&out);
    let catalog: toml::Table = text.parse().unwrap();
    let west = &catalog["regions"]["us-west-2"];
    assert_eq!(west["nat_gateway_usd_per_hour"].as_float(), Some(0.045));
    assert_eq!(
        catalog["regions"]["eu-west-1"]["nat_gateway_usd_per_gb"].as_float(),
        Some(0.048)
    );
    assert_eq!(west["ipv4_usd_per_hour"].as_float(), Some(0.005));
    assert_eq!(west["cross_az_usd_per_gb_each_way"].as_float(), Some(0.01));
    assert!(
        west.get("instance_price_factor").is_none(),
        "no price is derived"
    );
    let tiers = west["egress_tiers"].as_array().unwrap();
    let tier = |i: usize, key: &str| tiers[i][key].as_float().unwrap();
    assert_eq!(tiers.len(), 5);
    assert_eq!((tier(0, "up_to_gb"), tier(0, "usd_per_gb")), (100.0, 0.0));
    assert_eq!(
        (tier(1, "up_to_gb"), tier(1, "usd_per_gb")),
        (10240.0, 0.09)
    );
    assert_eq!(tier(4, "up_to_gb"), f64::INFINITY);
    // The optional prices: written where the files give them, named where they do not.
    assert_eq!(west["ebs_gp3_usd_per_gb_month"].as_float(), Some(0.08));
    assert_eq!(
        west["interface_endpoint_usd_per_hour"].as_float(),
        Some(0.01)
    );
    let endpoint_tiers = west["interface_endpoint_tiers"].as_array().unwrap();
    assert_eq!(endpoint_tiers.len(), 3);
    assert_eq!(endpoint_tiers[0]["up_to_gb"].as_float(), Some(1_048_576.0));
    assert_eq!(endpoint_tiers[2]["usd_per_gb"].as_float(), Some(0.004));
    let eu = &catalog["regions"]["eu-west-1"];
    assert!(eu.get("ebs_gp3_usd_per_gb_month").is_none());
    assert_eq!(eu["interface_endpoint_usd_per_hour"].as_float(), Some(0.01));
    assert!(
        stderr.contains("region eu-west-1: no EBS gp3 $/GB-month (EBS:VolumeUsage.gp3")
            && stderr.contains("no interface endpoint $/GB tiers (VpcEndpoint-Bytes"),
        "{stderr}"
    );
    // Each figure cites its file and SKU; eu-west-1's transfer came from get-products.
    let source = west["source"].as_str().unwrap();
    assert!(
        source.contains("AmazonEC2-offer.csv") && source.contains("SKU "),
        "{source}"
    );
    assert!(
        catalog["regions"]["eu-west-1"]["source"]
            .as_str()
            .unwrap()
            .contains("get-products-AWSDataTransfer-eu-west-1.json"),
    );
    let nano = &catalog["instances"]["t4g.nano"];
    assert_eq!(nano["vcpus"].as_integer(), Some(2));
    assert_eq!(nano["memory_gib"].as_float(), Some(0.5));
    assert_eq!(
        (
            nano["baseline_gbps"].as_float(),
            nano["burst_gbps"].as_float()
        ),
        (Some(0.032), Some(5.0))
    );
    assert_eq!(nano["usd_per_hour"]["us-west-2"].as_float(), Some(0.0042));
    assert_eq!(nano["usd_per_hour"]["eu-west-1"].as_float(), Some(0.0046));
    let fixed = &catalog["instances"]["c6in.8xlarge"];
    assert_eq!(fixed["baseline_gbps"].as_float(), Some(50.0));
    assert!(
        nano["source"]
            .as_str()
            .unwrap()
            .contains("describe-instance-types.json, arm64")
    );
    // natsim's device defaults come along with their sources.
    assert_eq!(
        catalog["nat_gateway"]["ports_per_ip"].as_integer(),
        Some(55000)
    );
    assert!(catalog["nat_instance"]["sources"]["pps_limit"].is_str());
    // The same inputs give the same bytes, and the listing reads it.
    let again = dir.join("again.toml");
    assert_ok(&import(&fixtures("small"), &again, &[]).0);
    assert_eq!(read(&again), text);
    let listing = run_cli_ok(&["--catalog", path(&out), "catalog", "--region", "us-west-2"]);
    assert!(listing.contains("t4g.nano"));
    // And its JSON listing follows the published schema (no price factor: null).
    let listing = run_cli_ok(&["--catalog", path(&out), "catalog", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&listing).unwrap();
    crate::schema::assert_valid("natsim-catalog.schema.json", &doc);
    assert!(
        doc.to_string().contains("\"instance_price_factor\":null"),
        "{doc}"
    );
}

#[test]
fn the_large_fixture_imports_hundreds_of_types() {
    let dir = scratch("import-large");
    let out = dir.join("large.toml");
    let mut files = fixtures("large");
    files.push(repo_root().join("tests/fixtures/catalog/small/AmazonVPC-offer.json"));
    let (output, stderr) = import(&files, &out, &[]);
    assert_ok(&output);
    let catalog: toml::Table = read(&out).parse().unwrap();
    let instances = catalog["instances"].as_table().unwrap();
    // 256 described, 4 (m1.*) without a baseline.
    assert_eq!(instances.len(), 252);
    assert!(
        instances
            .values()
            .all(|it| it["usd_per_hour"]["us-west-2"].is_float())
    );
    assert_eq!(
        catalog["regions"]
            .as_table()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["us-west-2"]
    );
    // eu-west-1 has only its IPv4 price in these files: left out, each missing price named.
    assert!(
        stderr.contains("region eu-west-1: no NAT gateway $/h (NatGateway-Hours; AWS lists it in the AmazonEC2 price list"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no internet egress tiers (DataTransfer-Out-Bytes"),
        "{stderr}"
    );
    assert!(stderr.contains("4 instance type(s) left out"), "{stderr}");
    // Asking for that region is an error, and nothing is written.
    let refused = dir.join("refused.toml");
    let (output, stderr) = import(&files, &refused, &["--region", "eu-west-1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("region eu-west-1: no NAT gateway $/h"),
        "{stderr}"
    );
    assert!(!refused.exists());
}

const WEST: &str = r#"
[scenario]
name = "west"
region = "us-west-2"
duration = "1h"
warmup = "5m"

[[workload]]
rate_per_s = 20
request_bytes = "2KB"
response_bytes = "100KB"

[[candidate]]
name = "natgw"
kind = "nat_gateway"

[[candidate]]
name = "fck-nat"
kind = "nat_instance"
instance_type = "c6gn.medium"
"#;

/// Issue 13's done-when: a run with an imported catalog for a region the built-in one lacks.
#[test]
fn a_region_the_built_in_catalog_lacks_runs_end_to_end() {
    let dir = scratch("import-run");
    let scenario = write_file(&dir, "west.toml", WEST);
    // Built in: unknown region, and the error points at the way forward.
    let (output, stderr) = run_cli_stderr(&["validate", path(&scenario)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("unknown region \"us-west-2\"") && stderr.contains("natsim catalog import"),
        "{stderr}"
    );
    let (output, stderr) = run_cli_stderr(&["catalog", "--region", "us-west-2"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("natsim catalog import"), "{stderr}");

    let catalog = imported(&dir);
    let out = dir.join("with-flag");
    run_cli_ok(&[
        "--catalog",
        path(&catalog),
        "run",
        path(&scenario),
        "--out",
        path(&out),
    ]);
    let summary = read(&out.join("summary.csv"));
    let (header, rows) = csv_rows(&summary);
    let natgw = &rows[0];
    // One gateway for one hour at the imported $0.045, and its processed GB at $0.045.
    assert!((column(&header, natgw, "cost_fixed_usd") - 0.045).abs() < 1e-9);
    let processed = column(&header, natgw, "billed_processed_gb");
    assert!(processed > 0.0);
    // (summary.csv keeps six significant digits)
    let processing = column(&header, natgw, "cost_processing_usd");
    assert!(
        (processing / (processed * 0.045) - 1.0).abs() < 1e-5,
        "{processing}"
    );
    // The instance at its imported us-west-2 price.
    let instance = &rows[1];
    assert!((column(&header, instance, "cost_fixed_usd") - 0.0432).abs() < 1e-9);

    // The same catalog named in the scenario, relative to the file: the same run.
    let own = dir.join("own.toml");
    std::fs::write(
        &own,
        WEST.replace(
            "region = \"us-west-2\"",
            "region = \"us-west-2\"\ncatalog = \"aws.toml\"",
        ),
    )
    .unwrap();
    let out2 = dir.join("with-key");
    run_file(&own, &out2);
    assert_eq!(read(&out2.join("summary.csv")), summary);
    // Naming one catalog in the file and another with --catalog is refused, naming the key.
    let (output, stderr) = run_cli_stderr(&["--catalog", path(&catalog), "validate", path(&own)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains(
            "scenario.catalog: the scenario names its own catalog and --catalog gives another"
        ),
        "{stderr}"
    );
    let missing = dir.join("missing.toml");
    std::fs::write(
        &missing,
        WEST.replace(
            "region = \"us-west-2\"",
            "region = \"us-west-2\"\ncatalog = \"nope.toml\"",
        ),
    )
    .unwrap();
    let (output, stderr) = run_cli_stderr(&["validate", path(&missing)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("scenario.catalog: ") && stderr.contains("nope.toml"),
        "{stderr}"
    );
    // A type the catalog has no price for in the region is named, with the fix.
    let unpriced = write_file(
        &dir,
        "unpriced.toml",
        &WEST.replace("c6gn.medium", "m6i.32xlarge"),
    );
    let (output, stderr) =
        run_cli_stderr(&["--catalog", path(&catalog), "validate", path(&unpriced)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("candidate[1]"), "{stderr}");
}

/// Writes `text` under `name` in `dir` and imports it with the other small fixtures in place
/// of the fixture of the same name; returns the exit and stderr, and checks nothing is written.
fn import_broken(dir: &Path, name: &str, text: &str) -> String {
    let broken = write_file(dir, name, text);
    let mut files: Vec<PathBuf> = fixtures("small")
        .into_iter()
        .filter(|f| f.file_name().unwrap() != name)
        .collect();
    files.push(broken);
    let out = dir.join(format!("{name}.catalog.toml"));
    let stderr = assert_refused(name, &import(&files, &out, &[]).0, &[name]);
    assert!(!out.exists(), "{name}: nothing may be written");
    stderr
}

#[test]
fn malformed_and_partial_input_names_the_file_and_record() {
    let dir = scratch("import-bad");
    let small = repo_root().join("tests/fixtures/catalog/small");
    let csv = read(&small.join("AmazonEC2-offer.csv"));
    let describe = read(&small.join("describe-instance-types.json"));
    let vpc = read(&small.join("AmazonVPC-offer.json"));
    let products = read(&small.join("get-products-AWSDataTransfer-eu-west-1.json"));

    // A price that is not a number: the line and SKU.
    let bad_price = csv.replacen("\"0.0042000000\"", "\"cheap\"", 1);
    let stderr = import_broken(&dir, "AmazonEC2-offer.csv", &bad_price);
    assert!(
        stderr.contains(": line ")
            && stderr.contains("(SKU ")
            && stderr.contains("PricePerUnit \"cheap\""),
        "{stderr}"
    );
    // A CSV cut mid-row.
    let cut = &csv[..csv.len() - 200];
    let stderr = import_broken(&dir, "AmazonEC2-offer.csv", cut);
    assert!(stderr.contains(": line "), "{stderr}");
    // describe-instance-types: a record without vCPUs.
    let no_vcpus = describe.replacen("\"DefaultVCpus\": 2,", "\"DefaultVCpus\": \"two\",", 1);
    let stderr = import_broken(&dir, "describe-instance-types.json", &no_vcpus);
    assert!(
        stderr.contains("InstanceTypes[0] (\"t4g.nano\")"),
        "{stderr}"
    );
    // A truncated JSON offer file: where it stops.
    let stderr = import_broken(&dir, "AmazonVPC-offer.json", &vpc[..vpc.len() / 2]);
    assert!(stderr.contains("line"), "{stderr}");
    // A price in a get-products document.
    let bad = products.replacen("0.0100000000", "-1", 1);
    let stderr = import_broken(&dir, "get-products-AWSDataTransfer-eu-west-1.json", &bad);
    assert!(stderr.contains("PriceList["), "{stderr}");
    // Not an AWS file at all.
    let stderr = import_broken(&dir, "AmazonVPC-offer.json", "[scenario]\nname = \"x\"\n");
    assert!(stderr.contains("not describe-instance-types"), "{stderr}");
    // Two files that disagree on a price: both records named, neither picked.
    let other = write_file(
        &dir,
        "other-vpc.json",
        &vpc.replace("\"0.0050000000\"", "\"0.0060000000\""),
    );
    let mut files = fixtures("small");
    files.push(other);
    let out = dir.join("conflict.toml");
    let (output, stderr) = import(&files, &out, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("two prices for public IPv4 $/h") && stderr.contains("other-vpc.json"),
        "{stderr}"
    );
    assert!(!out.exists());
    // An existing output is kept without --force.
    let existing = write_file(&dir, "existing.toml", "keep");
    let (output, stderr) = import(&fixtures("small"), &existing, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(read(&existing), "keep");
}
