//! "Did you mean ...?": the name closest to a misspelt one, by edit distance.
//!
//! Owns the measure of how close two names are and the hints built on it, for keys, kinds and
//! instance types alike. Knows no scenario keys and no catalog figures; callers pass the names
//! that would have been accepted.

use crate::io::catalog::Catalog;
/// The measure itself sits in `util` so that `io::flowlogs` can suggest field names without
/// depending on scenario parsing (which reads flow logs for a replay).
pub(crate) use crate::util::suggest::{closest, edit_distance};

/// "did you mean \"X\"? `list`" when a known name is within 3 edits of `name`, else `list`.
pub(super) fn did_you_mean<'a>(
    name: &str,
    known: impl Iterator<Item = &'a str>,
    list: &str,
) -> String {
    match closest(name, known, 3) {
        Some(best) => format!("did you mean \"{best}\"? {list}"),
        None => list.to_string(),
    }
}

/// The hint for an instance type the catalog does not list.
pub(super) fn unknown_instance_hint(catalog: &Catalog, name: &str) -> String {
    let names = catalog.instances.keys().map(String::as_str);
    did_you_mean(name, names, "run `natsim catalog` for the list")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names_rank_by_edit_distance() {
        let catalog = Catalog::embedded();
        let names = || catalog.instances.keys().map(String::as_str);
        assert_eq!(closest("c6gn.meduim", names(), 3), Some("c6gn.medium"));
        assert_eq!(closest("T4G.NANO", names(), 0), Some("t4g.nano"));
        assert_eq!(closest("zzz", names(), 2), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
