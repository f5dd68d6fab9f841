//! "Did you mean ...?": the name closest to a misspelt one, by edit distance.
//!
//! Owns the measure of how close two names are and the hints built on it, for keys, kinds and
//! instance types alike. Knows no scenario keys and no catalog figures; callers pass the names
//! that would have been accepted.

use crate::io::catalog::Catalog;

/// Levenshtein distance over characters, ignoring ASCII case (for "did you mean" hints).
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The name in `known` closest to `name` (ties broken by name), if it is within `max_distance`
/// edits.
pub(crate) fn closest<'a>(
    name: &str,
    known: impl Iterator<Item = &'a str>,
    max_distance: usize,
) -> Option<&'a str> {
    known
        .map(|k| (edit_distance(name, k), k))
        .min()
        .filter(|(distance, _)| *distance <= max_distance)
        .map(|(_, k)| k)
}

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
