//! The kind table against the readers, through `parse_scenario`: each kind reads exactly the keys
//! the table lists, names the device it builds, and a key of another kind names that kind.

use super::{ALL, Kind, sole_owner};
use crate::io::scenario::parse_tests::{minimal_with, parse};

/// The keys of `[[candidate]]` that are no kind's own.
const COMMON: [&str; 7] = [
    "name",
    "kind",
    "az",
    "per_az",
    "s3_gateway_endpoint",
    "interface_endpoints",
    "egress_only_igw",
];

/// `MINIMAL` with its candidate made a `kind` that sets only its required keys, plus `extra`.
fn candidate(kind: &Kind, extra: &str) -> String {
    let required = if kind.accepts("instance_type") {
        "instance_type = \"t4g.nano\"\n"
    } else {
        ""
    };
    minimal_with(
        "kind = \"nat_gateway\"\nips = 1",
        &format!("kind = \"{}\"\n{required}{extra}", kind.name),
    )
}

#[test]
fn every_kind_reads_exactly_the_keys_the_table_lists() {
    for kind in &ALL {
        let err = parse(&candidate(kind, "colour = 1")).unwrap_err();
        let accepted = err
            .hint
            .strip_prefix("accepted keys here: ")
            .unwrap_or_else(|| panic!("{}: {err}", kind.name));
        let mut expected: Vec<&str> = COMMON.to_vec();
        for other in &ALL {
            expected.extend(other.keys.iter().filter(|key| kind.accepts(key)));
        }
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(accepted, expected.join(", "), "{}", kind.name);
    }
}

#[test]
fn every_kind_builds_the_device_of_its_name() {
    for kind in &ALL {
        let scenario = parse(&candidate(kind, "")).unwrap();
        assert_eq!(scenario.candidates[0].device.kind(), kind.name);
    }
}

#[test]
fn a_key_only_another_kind_reads_names_that_kind() {
    for kind in &ALL {
        for other in ALL.iter().filter(|other| other.name != kind.name) {
            for key in other.keys.iter().filter(|key| !kind.accepts(key)) {
                let err = parse(&candidate(kind, &format!("{key} = 1"))).unwrap_err();
                assert_eq!(err.key_path, format!("candidate[0].{key}"));
                let expected = match sole_owner(key) {
                    Some(owner) => format!(
                        "\"{key}\" applies to kind = \"{}\", not \"{}\"",
                        owner.name, kind.name
                    ),
                    // Shared by two kinds (idle_timeout): no one kind to name.
                    None => format!("unknown key \"{key}\""),
                };
                assert_eq!(err.problem, expected, "{}", kind.name);
            }
        }
    }
}

/// Issue 10: the hint for a missing kind named two kinds of four.
#[test]
fn issue_10_the_missing_kind_hint_names_every_kind() {
    let err = parse(&minimal_with("kind = \"nat_gateway\"\n", "")).unwrap_err();
    assert_eq!(err.key_path, "candidate[0].kind");
    for kind in &ALL {
        assert!(err.hint.contains(kind.name), "{err}");
    }
}

/// A proxy with alterNAT's fallback ran without the gateway or its bill; it is refused instead.
#[test]
fn a_proxy_cannot_fall_back_to_a_nat_gateway() {
    let proxy = ALL.iter().find(|k| k.name == "proxy").unwrap();
    let err = parse(&candidate(proxy, "failover = \"nat_gateway_fallback\"\n")).unwrap_err();
    assert_eq!(err.key_path, "candidate[0].failover", "{err}");
    assert!(
        err.problem.contains("cannot fail over to a NAT gateway"),
        "{err}"
    );
    assert!(err.hint.contains("standby_instance"), "{err}");
    let standby = candidate(proxy, "failover = \"standby_instance\"\n");
    assert!(parse(&standby).is_ok());
}
