//! "Did you mean …?" — the closest candidates to a mistyped code or name.

/// Levenshtein distance on characters, bounded: returns `None` past `max`.
pub fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            row_min = row_min.min(cur[j + 1]);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// Up to `limit` candidates closest to `wanted`, nearest first. Candidates that
/// start with what was typed count as close too (a truncated code such as `62.01`
/// for `62.010`).
pub fn closest<'a, I>(wanted: &str, candidates: I, limit: usize) -> Vec<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted_l = wanted.to_lowercase();
    let max = (wanted.chars().count() / 3).clamp(1, 3);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let cl = c.to_lowercase();
            if cl.starts_with(&wanted_l) && !wanted_l.is_empty() {
                return Some((cl.len() - wanted_l.len(), c));
            }
            distance(&wanted_l, &cl, max).map(|d| (d, c))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(limit)
        .map(|(_, c)| c.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("62.010", "62.010", 2), Some(0));
        assert_eq!(distance("62.01O", "62.010", 2), Some(1));
        assert_eq!(distance("abc", "xyz", 2), None);
    }

    #[test]
    fn closest_prefers_near_codes() {
        let c = ["62.010", "62.020", "63.110", "01.110"];
        let got = closest("62.011", c.iter().copied(), 2);
        assert_eq!(got, vec!["62.010".to_owned(), "62.020".to_owned()]);
        assert_eq!(closest("62.01", c.iter().copied(), 1), vec!["62.010"]);
    }
}
