//! An indicator's chart of where it is heading: its tracked values (the figures of a
//! level, the running total of a flow), the target at its date, the Theil–Sen trend
//! and the projection band up to the due date. Inline SVG with a title and a
//! description; the figures themselves are listed beside it on the page.

use chrono::NaiveDate;
use territoria_prescribe::Assessment;

use super::charts::escape;
use super::{Lang, fmt};

fn days(d: NaiveDate) -> f64 {
    f64::from(chrono::Datelike::num_days_from_ce(&d))
}

/// `None` when there is nothing to draw (no tracked value).
pub fn chart(id: &str, title: &str, unit: &str, a: &Assessment, lang: Lang) -> Option<String> {
    const W: f64 = 640.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 20.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 36.0;
    let first = a.tracked.first()?.0;
    let last = a.tracked.last()?.0;
    let due = a.target.as_ref().map(|t| t.due);
    let end = due.map_or(last, |d| d.max(last));
    let (x0, x1) = (days(first), days(end).max(days(first) + 1.0));
    let mut lo = 0.0f64;
    let mut hi = 0.0f64;
    for (_, v) in &a.tracked {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if let Some(t) = &a.target {
        hi = hi.max(t.value);
    }
    if let Some(p) = &a.projection {
        hi = hi.max(p.high);
        lo = lo.min(p.low);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let span = hi - lo;
    let (lo, hi) = (
        lo - if lo < 0.0 { span * 0.05 } else { 0.0 },
        hi + span * 0.05,
    );
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let x = |d: NaiveDate| LEFT + (days(d) - x0) / (x1 - x0) * pw;
    let y = |v: f64| TOP + ph - (v - lo) / (hi - lo) * ph;
    let mut svg = String::new();
    let fr = lang == Lang::Fr;
    let desc = format!(
        "{} {} ; {}",
        if fr {
            "Valeurs suivies :"
        } else {
            "Tracked values:"
        },
        a.tracked
            .iter()
            .map(|(d, v)| format!(
                "{} {}",
                fmt::date(&d.to_string()),
                fmt::with_unit(*v, unit, lang)
            ))
            .collect::<Vec<_>>()
            .join(", "),
        match (&a.target, &a.projection) {
            (Some(t), Some(p)) => format!(
                "{} {} {} {}, {} {} ({} {} – {})",
                if fr { "cible" } else { "target" },
                fmt::with_unit(t.value, unit, lang),
                if fr { "au" } else { "by" },
                fmt::date(&t.due.to_string()),
                "projection",
                fmt::with_unit(p.value, unit, lang),
                if fr { "intervalle" } else { "interval" },
                fmt::with_unit(p.low, unit, lang),
                fmt::with_unit(p.high, unit, lang),
            ),
            (Some(t), None) => format!(
                "{} {} {} {}",
                if fr { "cible" } else { "target" },
                fmt::with_unit(t.value, unit, lang),
                if fr { "au" } else { "by" },
                fmt::date(&t.due.to_string())
            ),
            _ => (if fr { "pas de cible" } else { "no target" }).to_owned(),
        }
    );
    svg.push_str(&format!(
        r#"<svg class="chart trend" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        escape(title),
        escape(&desc)
    ));
    // Axes: the value scale at the bottom and top, years along the time axis.
    svg.push_str(&format!(
        r#"<line class="axis" x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}"/><text class="tick" x="{tx}" y="{yb}" text-anchor="end">{}</text><text class="tick" x="{tx}" y="{yt}" text-anchor="end">{}</text>"#,
        escape(&fmt::with_unit(lo, unit, lang)),
        escape(&fmt::with_unit(hi, unit, lang)),
        b = TOP + ph,
        r = W - RIGHT,
        tx = LEFT - 6.0,
        yb = TOP + ph,
        yt = TOP + 10.0,
    ));
    use chrono::Datelike;
    let (y_first, y_end) = (first.year(), end.year());
    let stride = ((y_end - y_first) / 6).max(1);
    let mut yr = y_first + 1;
    while yr <= y_end {
        if let Some(d) = NaiveDate::from_ymd_opt(yr, 1, 1) {
            let xx = x(d);
            svg.push_str(&format!(
                r#"<line class="grid" x1="{xx:.1}" y1="{TOP}" x2="{xx:.1}" y2="{b}"/><text class="tick" x="{xx:.1}" y="{ty}" text-anchor="middle">{yr}</text>"#,
                b = TOP + ph,
                ty = H - 12.0
            ));
        }
        yr += stride;
    }
    if let (Some(t), Some(p)) = (&a.trend, &a.projection) {
        // The band from the latest value to the due date.
        let (_, l0, h0) = t.at(last);
        let (band_lo0, band_hi0) = (l0.min(h0), l0.max(h0));
        svg.push_str(&format!(
            r#"<polygon class="band" points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}"/>"#,
            x(last),
            y(band_hi0),
            x(p.due),
            y(p.high),
            x(p.due),
            y(p.low),
            x(last),
            y(band_lo0)
        ));
        let (c0, _, _) = t.at(first);
        svg.push_str(&format!(
            r#"<line class="trend-line" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
            x(first),
            y(c0),
            x(p.due),
            y(p.value)
        ));
    }
    if let Some(t) = &a.target {
        svg.push_str(&format!(
            r#"<line class="target-line" x1="{LEFT}" y1="{ty:.1}" x2="{r}" y2="{ty:.1}"/><path class="target-mark" d="M{tx:.1},{a:.1} l6,6 l-6,6 l-6,-6 z"/><text class="tick" x="{lx:.1}" y="{ly:.1}" text-anchor="end">{}</text>"#,
            escape(&fmt::with_unit(t.value, unit, lang)),
            ty = y(t.value),
            r = W - RIGHT,
            tx = x(t.due),
            a = y(t.value) - 6.0,
            lx = x(t.due) - 8.0,
            ly = y(t.value) - 8.0,
        ));
    }
    for (d, v) in &a.tracked {
        svg.push_str(&format!(
            r#"<circle class="obs" cx="{:.1}" cy="{:.1}" r="4"/>"#,
            x(*d),
            y(*v)
        ));
    }
    svg.push_str("</svg>");
    Some(svg)
}
