//! The reader's checks, one value at a time: ranges, whole numbers, units, unknown keys.

use super::*;

fn value(text: &str) -> Value {
    let table: toml::Table = toml::from_str(&format!("v = {text}")).unwrap();
    table["v"].clone()
}

#[test]
fn checks_name_the_problem() {
    let err = number_in("k", &value("-3"), Check::Positive).unwrap_err();
    assert_eq!(err.problem, "-3 is negative");
    let err = number_in("k", &value("0"), Check::Positive).unwrap_err();
    assert!(err.problem.contains("zero"), "{err}");
    let err = number_in("k", &value("1.5"), Check::Fraction).unwrap_err();
    assert_eq!(err.problem, "1.5 is not between 0 and 1");
    let err = number_in("k", &value("nan"), Check::NonNegative).unwrap_err();
    assert!(err.problem.contains("not a finite number"), "{err}");
}

#[test]
fn whole_numbers_refuse_floats() {
    assert_eq!(int_in("k", &value("3"), 1, 8).unwrap(), 3);
    assert_eq!(
        int_in("k", &value("1.5"), 1, 8).unwrap_err().problem,
        "1.5 is not a whole number"
    );
    assert!(
        int_in("k", &value("2.0"), 1, 8)
            .unwrap_err()
            .hint
            .contains("without the decimal point")
    );
    assert_eq!(
        int_in("k", &value("9"), 1, 8).unwrap_err().problem,
        "9 is not between 1 and 8"
    );
    assert_eq!(
        int_in("k", &value("\"9\""), 1, 8).unwrap_err().problem,
        "\"9\" is a string, expected a whole number"
    );
}

#[test]
fn quantities_take_numbers_or_strings_with_units() {
    assert_eq!(
        quantity("k", &value("\"2KiB\""), Quantity::Size, Check::NonNegative).unwrap(),
        2048.0
    );
    assert_eq!(
        quantity("k", &value("90"), Quantity::Duration, Check::NonNegative).unwrap(),
        90.0
    );
    let err = quantity("k", &value("\"-5KB\""), Quantity::Size, Check::NonNegative).unwrap_err();
    assert_eq!(err.problem, "\"-5KB\" is negative");
    let err = quantity(
        "k",
        &value("\"5 parsecs\""),
        Quantity::Size,
        Check::NonNegative,
    )
    .unwrap_err();
    assert_eq!(err.problem, "\"5 parsecs\" is not a size");
    assert!(err.hint.contains("2KiB"), "{err}");
    let err = quantity(
        "k",
        &value("\"1e-12s\""),
        Quantity::Duration,
        Check::Positive,
    )
    .unwrap_err();
    assert!(err.problem.contains("shorter than 1 ns"), "{err}");
}

#[test]
fn rates_need_units() {
    assert_eq!(
        rate("k", &value("\"200Mbps\""), Check::Positive).unwrap(),
        2e8
    );
    let err = rate("k", &value("\"5GB\""), Check::Positive).unwrap_err();
    assert_eq!(err.problem, "\"5GB\" is not a rate");
    assert_eq!(
        rate("k", &value("5"), Check::Positive).unwrap_err().problem,
        "5 is not a rate"
    );
}

#[test]
fn finish_suggests_the_closest_key() {
    let table: toml::Table = toml::from_str("ipz = 2").unwrap();
    let mut s = Section::new("candidate[0]", &table);
    assert_eq!(s.int("ips", 1, 8).unwrap(), None);
    s.raw("name");
    let err = s.finish().unwrap_err();
    assert_eq!(err.key_path, "candidate[0].ipz");
    assert_eq!(err.problem, "unknown key \"ipz\"");
    assert_eq!(err.hint, "did you mean \"ips\"?");

    let table: toml::Table = toml::from_str("colour = 2").unwrap();
    let mut s = Section::new("x", &table);
    s.raw("name");
    s.raw("ips");
    assert_eq!(
        s.finish().unwrap_err().hint,
        "accepted keys here: ips, name"
    );
}

#[test]
fn distributions_read_their_parameters() {
    let t: toml::Table =
        toml::from_str("a = { dist = \"lognormal\", mean = \"200KB\", cv = 2.0 }\nb = { dist = \"pareto\", mean = 10, cv = 1 }")
            .unwrap();
    let mut s = Section::new("w", &t);
    assert_eq!(
        s.dist("a", Quantity::Size).unwrap(),
        Some(Dist::LogNormal {
            mean: 200_000.0,
            cv: 2.0
        })
    );
    let err = s.dist("b", Quantity::Size).unwrap_err();
    assert_eq!(err.key_path, "w.b.cv");
    assert!(err.problem.contains("does not apply"), "{err}");
}
