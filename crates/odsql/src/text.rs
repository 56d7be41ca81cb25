//! Word matching for full-text search, `:` on text and `LIKE`, without allocating per record.
//!
//! A value's words are its maximal runs of alphanumeric characters, compared case- and
//! accent-insensitively (`École` = `ecole`). A query is a list of word patterns, each of which
//! must match at least one word of the value; in a pattern `*` (and `%`) stands for any run of
//! characters (`film*` matches `films`, `%ville` matches `Louvain-la-Ville`'s `ville`).

/// Lower case without accents, for the Latin letters met in Belgian and French data.
pub(crate) fn fold(c: char) -> char {
    let c = if c.is_ascii() {
        return c.to_ascii_lowercase();
    } else {
        c.to_lowercase().next().unwrap_or(c)
    };
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => 'i',
        'ł' | 'ľ' => 'l',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ř' => 'r',
        'ś' | 'š' | 'ş' => 's',
        'ť' | 'ţ' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        c => c,
    }
}

/// The word patterns of a query text: folded, `%` turned into `*`, empty ones dropped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Words(Vec<Vec<char>>);

impl Words {
    pub(crate) fn new(query: &str) -> Words {
        let mut words = Vec::new();
        let mut cur: Vec<char> = Vec::new();
        for c in query.chars() {
            if c.is_alphanumeric() || c == '*' || c == '%' {
                cur.push(if c == '%' { '*' } else { fold(c) });
            } else if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            words.push(cur);
        }
        Words(words)
    }

    /// The same patterns, each matching the words it begins (`ecol` → `ecol*`), for
    /// `suggest()`.
    pub(crate) fn prefixes(mut self) -> Words {
        for p in &mut self.0 {
            if p.last() != Some(&'*') {
                p.push('*');
            }
        }
        self
    }

    pub(crate) fn patterns(&self) -> &[Vec<char>] {
        &self.0
    }

    /// Whether every pattern matches a word of `text`.
    pub(crate) fn matches(&self, text: &str) -> bool {
        self.0.iter().all(|p| words_of(text).any(|w| glob(p, w)))
    }
}

/// The words of `text` (runs of alphanumeric characters), unfolded.
pub(crate) fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Whether the folded pattern (with `*` wildcards) matches the whole of `word` (folded on the
/// fly). Linear backtracking on the last `*`: O(pattern × word) at worst.
pub(crate) fn glob(pattern: &[char], word: &str) -> bool {
    let mut p = 0;
    let mut w = 0;
    let mut star: Option<(usize, usize)> = None;
    while w < word.len() {
        let Some(c) = word[w..].chars().next() else {
            break;
        };
        let c_len = c.len_utf8();
        let c = fold(c);
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, w));
                p += 1;
            }
            Some(&pc) if pc == c => {
                p += 1;
                w += c_len;
            }
            _ => match star {
                Some((sp, sw)) => {
                    // Let the last star swallow one more character.
                    let skip = word[sw..].chars().next().map_or(1, char::len_utf8);
                    star = Some((sp, sw + skip));
                    p = sp + 1;
                    w = sw + skip;
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str, w: &str) -> bool {
        let p: Vec<char> = p.chars().map(fold).collect();
        glob(&p, w)
    }

    #[test]
    fn globs() {
        assert!(g("film", "Film"));
        assert!(!g("film", "films"));
        assert!(g("film*", "films"));
        assert!(g("*ville", "Marieville"));
        assert!(g("m*e", "Marieville"));
        assert!(!g("m*x", "Marieville"));
        assert!(g("*", ""));
        assert!(g("ecole", "École"));
        assert!(g("a*b*c", "aXbYbZc"));
        assert!(!g("a*b*c", "aXbYbZ"));
        assert!(g("**", "abc"));
        assert!(!g("", "abc"));
    }

    #[test]
    fn word_queries() {
        let q = Words::new("action movies");
        assert!(q.matches("Movies: action, drama"));
        assert!(!q.matches("action movie"));
        assert!(Words::new("school%").matches("high Schoolbag"));
        assert!(Words::new("").matches("anything"));
        assert!(Words::new("Liège").matches("Province de LIEGE"));
        assert_eq!(Words::new("a, b*").patterns().len(), 2);
    }
}
