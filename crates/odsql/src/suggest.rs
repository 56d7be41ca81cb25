//! "Did you mean …": the closest valid names to a mistyped one.

/// Levenshtein distance over `char`s, case-insensitive; bounded input (names are short, and
/// the caller caps them).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().flat_map(char::to_lowercase).enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Up to three of `candidates` close to `wanted` (a shared prefix of 3+ characters counts as
/// close), nearest first.
pub(crate) fn closest<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    // Names longer than this are not typos of anything useful; skip the quadratic work.
    const LONGEST: usize = 100;
    let wanted_len = wanted.chars().count();
    if wanted_len > LONGEST {
        return Vec::new();
    }
    let lower = wanted.to_lowercase();
    let max = (wanted_len / 3 + 1).min(3);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| c.chars().count() <= LONGEST)
        .filter_map(|c| {
            let cl = c.to_lowercase();
            if lower.chars().count() >= 3 && (cl.starts_with(&lower) || lower.starts_with(&cl)) {
                return Some((1, c));
            }
            let d = distance(&lower, c);
            (d <= max).then_some((d, c))
        })
        .collect();
    scored.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.len().cmp(&b.1.len()))
            .then(a.1.cmp(b.1))
    });
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("popultion", "population"), 1);
    }

    #[test]
    fn close_names() {
        let names = [
            "population",
            "commune",
            "code_postal",
            "code_insee",
            "date_creation",
        ];
        assert_eq!(closest("popultion", names), vec!["population"]);
        assert_eq!(closest("code", names), vec!["code_insee", "code_postal"]);
        assert_eq!(closest("zzzzzzzz", names), Vec::<String>::new());
        assert_eq!(closest("Commune", names), vec!["commune"]);
    }
}
