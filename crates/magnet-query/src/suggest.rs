//! "Did you mean …" over small vocabularies.

/// Levenshtein distance over `char`s.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Up to three candidates close to `wanted` (a prefix counts as close), nearest first.
pub(crate) fn closest<'a>(wanted: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    let wanted = wanted.to_lowercase();
    let max = (wanted.chars().count() / 3 + 1).min(3);
    let mut scored: Vec<(usize, &str)> = candidates
        .iter()
        .filter_map(|&c| {
            if !wanted.is_empty() && c.starts_with(&wanted) {
                return Some((0, c));
            }
            let d = distance(&wanted, c);
            (d <= max).then_some((d, c))
        })
        .collect();
    scored.sort_by_key(|&(d, c)| (d, c.len(), c));
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// "did you mean 'a' or 'b'?", or the full list when nothing is close.
pub(crate) fn hint(wanted: &str, candidates: &[&str]) -> String {
    let close = closest(wanted, candidates);
    let list = |v: &[&str]| {
        v.iter()
            .map(|c| format!("'{c}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match close.as_slice() {
        [] => format!("valid: {}", list(candidates)),
        [one] => format!("did you mean '{one}'?"),
        [init @ .., last] => format!("did you mean {} or '{last}'?", list(init)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("fundd_by", "funded_by"), 1);
    }

    #[test]
    fn hints() {
        let kinds = crate::RELATION_KINDS;
        assert_eq!(hint("fundd_by", kinds), "did you mean 'funded_by'?");
        assert_eq!(
            hint("part", kinds),
            "did you mean 'part_of', 'partner_of' or 'participated_in'?"
        );
        assert!(hint("zzzzzzzzz", kinds).starts_with("valid: 'participated_in', "));
    }
}
