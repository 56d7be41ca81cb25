//! Numbers, amounts and dates as people read them: fr-BE (narrow no-break space
//! between thousands, decimal comma, `dd/mm/yyyy`) or English (`1,234.5`, `dd/mm/yyyy`,
//! the Belgian day-month order).

use super::Lang;

/// U+202F NARROW NO-BREAK SPACE: the fr-BE thousands separator (and the space before `%`).
pub const NNBSP: char = '\u{202F}';

fn group(digits: &str, sep: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(d);
    }
    out
}

/// `5 000` (fr, with U+202F) or `5,000` (en).
pub fn integer(n: u64, lang: Lang) -> String {
    group(&n.to_string(), thousands(lang))
}

fn thousands(lang: Lang) -> char {
    match lang {
        Lang::Fr => NNBSP,
        Lang::En => ',',
    }
}

/// `1 234,5` (fr) or `1,234.5` (en), rounded to `decimals` places.
pub fn decimal(x: f64, decimals: usize, lang: Lang) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let fixed = format!("{:.*}", decimals, x.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let sign = if x < 0.0 && fixed.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        "-"
    } else {
        ""
    };
    let int = group(int, thousands(lang));
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        let point = match lang {
            Lang::Fr => ',',
            Lang::En => '.',
        };
        format!("{sign}{int}{point}{frac}")
    }
}

/// A value as stated: integers without decimals, others with up to two.
pub fn number(x: f64, lang: Lang) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        decimal(x, 0, lang)
    } else if x.abs() >= 100.0 {
        decimal(x, 1, lang)
    } else {
        let s = decimal(x, 2, lang);
        s.trim_end_matches('0').to_owned()
    }
}

/// `45,2 %` (fr) or `45.2%` (en).
pub fn percent(x: f64, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!("{}{NNBSP}%", decimal(x, 0, lang)),
        Lang::En => format!("{}%", decimal(x, 0, lang)),
    }
}

/// `1 250 000 €` (fr) or `€1,250,000` (en).
pub fn euros(x: f64, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!("{}{NNBSP}€", decimal(x, 0, lang)),
        Lang::En => format!("€{}", decimal(x, 0, lang)),
    }
}

/// A value with its unit: amounts in euros, others `value unit`.
pub fn with_unit(x: f64, unit: &str, lang: Lang) -> String {
    match unit {
        "EUR" | "€" | "euros" => euros(x, lang),
        "%" => match lang {
            Lang::Fr => format!("{}{NNBSP}%", number(x, lang)),
            Lang::En => format!("{}%", number(x, lang)),
        },
        "" => number(x, lang),
        u => format!("{} {}", number(x, lang), singular_if(x, u, lang)),
    }
}

/// `unit` in the singular when `x` asks for it (French: below 2, « 1 entreprise »,
/// « 1,5 million » ; English: exactly one), else as written. Only the words before
/// a complement are changed (« 1 jeu de données », « 1 profession libérale »); a unit
/// that does not look like a plural is left alone.
fn singular_if<'a>(x: f64, unit: &'a str, lang: Lang) -> std::borrow::Cow<'a, str> {
    let singular = match lang {
        Lang::Fr => x.abs() < 2.0,
        Lang::En => x.abs() == 1.0,
    };
    if !singular {
        return unit.into();
    }
    let mut out = Vec::new();
    let mut complement = false;
    for w in unit.split(' ') {
        if matches!(w, "de" | "des" | "du" | "d'" | "of" | "per" | "par") || w.starts_with("d'") {
            complement = true;
        }
        let lower = w.chars().all(|c| c.is_alphabetic() && c.is_lowercase());
        let one = if complement || !lower || w.chars().count() < 3 {
            w.to_owned()
        } else if let Some(stem) = w.strip_suffix("eux") {
            format!("{stem}eu")
        } else if let Some(stem) = w.strip_suffix('s').filter(|s| !s.ends_with('s')) {
            stem.to_owned()
        } else {
            w.to_owned()
        };
        out.push(one);
    }
    out.join(" ").into()
}

/// `2024-03-01` → `01/03/2024`; a year or anything else is returned as is.
/// How sources qualify a figure, in French and English: the words a page shows are
/// the reader's language, the source's meaning (`plus de` is `more than`).
const QUALIFIERS: [(&str, &str); 8] = [
    ("plus de", "more than"),
    ("près de", "nearly"),
    ("moins de", "less than"),
    ("environ", "about"),
    ("au moins", "at least"),
    ("jusqu'à", "up to"),
    ("au plus", "at most"),
    ("presque", "almost"),
];

/// The qualifier `q` as a reader of `lang` reads it; one this table does not know is
/// shown as the source wrote it.
pub fn qualifier(q: &str, lang: Lang) -> String {
    let t = q.trim();
    QUALIFIERS
        .iter()
        .find(|(fr, en)| t.eq_ignore_ascii_case(fr) || t.eq_ignore_ascii_case(en))
        .map_or_else(
            || t.to_owned(),
            |(fr, en)| if lang == Lang::En { en } else { fr }.to_string(),
        )
}

pub fn date(iso: &str) -> String {
    let b = iso.as_bytes();
    if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        format!("{}/{}/{}", &iso[8..10], &iso[5..7], &iso[0..4])
    } else {
        iso.to_owned()
    }
}

/// A period `2016-01-01/2024-12-31` as people say it: a year, a range of years, or dates.
pub fn period(start: &str, end: &str) -> String {
    let (ys, ye) = (
        start.get(0..4).unwrap_or(start),
        end.get(0..4).unwrap_or(end),
    );
    let whole_years = start.get(4..) == Some("-01-01") && end.get(4..) == Some("-12-31");
    if whole_years && ys == ye {
        ys.to_owned()
    } else if whole_years {
        format!("{ys}–{ye}")
    } else if start == end {
        date(start)
    } else {
        format!("{} – {}", date(start), date(end))
    }
}

/// An RFC 3339 instant as Belgians read it, in Brussels time: `03/12/2026 14:05`
/// (CET, or CEST from the last Sunday of March to the last Sunday of October, 01:00
/// UTC, as the EU rule says). Anything unreadable is returned as is.
pub fn datetime(rfc3339: &str) -> String {
    use chrono::{Datelike, TimeZone};
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let utc = t.with_timezone(&chrono::Utc);
    let last_sunday = |month: u32| {
        let first_next = if month == 12 {
            chrono::NaiveDate::from_ymd_opt(utc.year() + 1, 1, 1)
        } else {
            chrono::NaiveDate::from_ymd_opt(utc.year(), month + 1, 1)
        }
        .expect("valid date");
        let last = first_next.pred_opt().expect("valid date");
        let back = last.weekday().num_days_from_sunday();
        let day = last - chrono::Duration::days(i64::from(back));
        chrono::Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0).expect("valid time"))
    };
    let summer = utc >= last_sunday(3) && utc < last_sunday(10);
    let local = utc + chrono::Duration::hours(if summer { 2 } else { 1 });
    local.format("%d/%m/%Y %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_is_singular_where_the_language_wants_it() {
        let fr = |x, u| with_unit(x, u, Lang::Fr);
        assert_eq!(fr(1.0, "entreprises"), "1 entreprise");
        assert_eq!(fr(2.0, "entreprises"), "2 entreprises");
        assert_eq!(fr(1.0, "jeux de données"), "1 jeu de données");
        assert_eq!(fr(1.0, "professions libérales"), "1 profession libérale");
        assert_eq!(fr(1.0, "EPN"), "1 EPN");
        assert_eq!(fr(1.0, "× 2022 level"), "1 × 2022 level");
        assert_eq!(with_unit(1.0, "persons", Lang::En), "1 person");
        assert_eq!(with_unit(1.5, "persons", Lang::En), "1.5 persons");
    }

    #[test]
    fn qualifiers_read_in_the_pages_language() {
        assert_eq!(qualifier("plus de", Lang::En), "more than");
        assert_eq!(qualifier("at least", Lang::Fr), "au moins");
        assert_eq!(qualifier("près de", Lang::Fr), "près de");
        assert_eq!(qualifier("Plus de", Lang::Fr), "plus de");
        assert_eq!(qualifier("a little over", Lang::Fr), "a little over");
    }

    #[test]
    fn instants_show_in_brussels_time() {
        assert_eq!(datetime("2026-12-03T13:05:00Z"), "03/12/2026 14:05");
        assert_eq!(datetime("2026-07-01T22:30:00Z"), "02/07/2026 00:30");
        // 2026's changes: 29 March and 25 October, 01:00 UTC.
        assert_eq!(datetime("2026-03-29T00:59:00Z"), "29/03/2026 01:59");
        assert_eq!(datetime("2026-03-29T01:00:00Z"), "29/03/2026 03:00");
        assert_eq!(datetime("2026-10-25T00:59:00Z"), "25/10/2026 02:59");
        assert_eq!(datetime("2026-10-25T01:00:00Z"), "25/10/2026 02:00");
        assert_eq!(datetime("yesterday"), "yesterday");
    }

    #[test]
    fn french_belgian_conventions() {
        let fr = Lang::Fr;
        assert_eq!(integer(0, fr), "0");
        assert_eq!(integer(999, fr), "999");
        assert_eq!(integer(5000, fr), "5\u{202F}000");
        assert_eq!(integer(1_234_567, fr), "1\u{202F}234\u{202F}567");
        assert_eq!(decimal(45.25, 1, fr), "45,2");
        assert_eq!(decimal(1234.56, 2, fr), "1\u{202F}234,56");
        assert_eq!(decimal(-0.01, 1, fr), "0,0");
        assert_eq!(decimal(-2.5, 1, fr), "-2,5");
        assert_eq!(
            euros(200_000_000.0, fr),
            "200\u{202F}000\u{202F}000\u{202F}€"
        );
        assert_eq!(percent(45.0, fr), "45\u{202F}%");
        assert_eq!(number(2.5, fr), "2,5");
        assert_eq!(date("2024-03-01"), "01/03/2024");
        assert_eq!(period("2016-01-01", "2024-12-31"), "2016–2024");
        assert_eq!(period("2023-01-01", "2023-12-31"), "2023");
        assert_eq!(
            period("2023-03-01", "2023-06-30"),
            "01/03/2023 – 30/06/2023"
        );
    }

    #[test]
    fn english_conventions() {
        let en = Lang::En;
        assert_eq!(integer(1_234_567, en), "1,234,567");
        assert_eq!(decimal(1234.56, 1, en), "1,234.6");
        assert_eq!(euros(1500.0, en), "€1,500");
        assert_eq!(with_unit(3.0, "projets", en), "3 projets");
    }
}
