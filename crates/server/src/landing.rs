//! The landing page: what Territoria is, what this instance holds, where the API is.
//! Server-rendered HTML from `templates/landing.html`, no JavaScript.

use axum::extract::State;
use axum::response::Html;
use territoria_store::Counts;

use crate::AppState;
use crate::api::with_store;
use crate::error::ApiError;

const TEMPLATE: &str = include_str!("../templates/landing.html");

/// U+202F NARROW NO-BREAK SPACE: the fr-BE thousands separator (and the space before `%`).
const NNBSP: char = '\u{202F}';

/// A fragment of HTML: built only from escaped text or from other fragments.
#[derive(Debug, Clone, PartialEq)]
struct Markup(String);

impl Markup {
    fn text(s: &str) -> Self {
        Markup(escape(s))
    }
}

pub async fn page(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let counts = with_store(&state, |s| Ok(s.counts()?)).await?;
    Ok(Html(render(&counts, env!("CARGO_PKG_VERSION"))))
}

fn render(counts: &Counts, version: &str) -> String {
    fill(
        TEMPLATE,
        &[
            ("count_rows", count_rows(counts)),
            ("version", Markup::text(version)),
        ],
    )
}

fn count_rows(c: &Counts) -> Markup {
    let entity = |kind: &str| c.entities.get(kind).copied().unwrap_or(0);
    let all_entities: u64 = c.entities.values().sum();
    let demo_share = if all_entities == 0 {
        0.0
    } else {
        c.demo_entities as f64 * 100.0 / all_entities as f64
    };
    let rows: [(&str, &str, String); 9] = [
        (
            "Organisations",
            "Organisations",
            fr_integer(entity("organisation")),
        ),
        ("Actions", "Actions", fr_integer(entity("action"))),
        ("Lieux", "Places", fr_integer(entity("place"))),
        ("Programmes", "Programmes", fr_integer(entity("programme"))),
        ("Indicateurs", "Indicators", fr_integer(entity("indicator"))),
        (
            "Observations chiffrées",
            "Observations",
            fr_integer(c.observations),
        ),
        ("Référentiels", "Concept schemes", fr_integer(c.schemes)),
        ("Concepts", "Concepts", fr_integer(c.concepts)),
        (
            "Entités synthétiques (demo)",
            "Synthetic (demo) entities",
            format!(
                "{} ({}{NNBSP}%)",
                fr_integer(c.demo_entities),
                fr_decimal(demo_share, 1)
            ),
        ),
    ];
    let mut html = String::new();
    for (fr, en, value) in rows {
        html.push_str(&format!(
            "        <tr><th scope=\"row\">{} <span class=\"en\" lang=\"en\">/ {}</span></th><td class=\"n\">{}</td></tr>\n",
            escape(fr),
            escape(en),
            escape(&value)
        ));
    }
    Markup(html)
}

/// Replaces each `{{name}}` of the template by its fragment.
fn fill(template: &str, values: &[(&str, Markup)]) -> String {
    let mut out = template.to_owned();
    for (name, Markup(html)) in values {
        out = out.replace(&format!("{{{{{name}}}}}"), html);
    }
    debug_assert!(!out.contains("{{"), "unfilled placeholder in the template");
    out
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `5 000` (with U+202F), the fr-BE way of grouping thousands.
fn fr_integer(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(NNBSP);
        }
        out.push(d);
    }
    out
}

/// `1 234,5`: fr-BE grouping and a decimal comma, rounded to `decimals` places.
fn fr_decimal(x: f64, decimals: usize) -> String {
    let fixed = format!("{:.*}", decimals, x.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let int: u64 = int.parse().unwrap_or(0);
    let sign = if x < 0.0 && fixed.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{}", fr_integer(int))
    } else {
        format!("{sign}{},{frac}", fr_integer(int))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn numbers_follow_fr_be_conventions() {
        assert_eq!(fr_integer(0), "0");
        assert_eq!(fr_integer(999), "999");
        assert_eq!(fr_integer(5000), "5\u{202F}000");
        assert_eq!(fr_integer(1_234_567), "1\u{202F}234\u{202F}567");
        assert_eq!(fr_decimal(45.25, 1), "45,2");
        assert_eq!(fr_decimal(58414.0, 0), "58\u{202F}414");
        assert_eq!(fr_decimal(1234.56, 2), "1\u{202F}234,56");
        assert_eq!(fr_decimal(-0.01, 1), "0,0");
        assert_eq!(fr_decimal(-2.5, 1), "-2,5");
    }

    #[test]
    fn interpolated_text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">O'Neil & co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;"
        );
        let html = render(
            &Counts {
                entities: BTreeMap::from([("organisation".to_owned(), 12_345)]),
                demo_entities: 12_000,
                schemes: 12,
                concepts: 4_321,
                relations: 0,
                observations: 7,
                audit_entries: 1,
            },
            "<script>",
        );
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("12\u{202F}345"));
        assert!(html.contains("12\u{202F}000 (97,2\u{202F}%)"), "{html}");
        assert!(!html.contains("{{"));
    }
}
