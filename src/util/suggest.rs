//! The name closest to a misspelt one, by edit distance: the measure behind every "did you
//! mean" hint (scenario keys, kinds, instance types, flow-log fields). Knows no names itself.

/// Levenshtein distance over characters, ignoring ASCII case (for "did you mean" hints).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
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
