//! Charts as inline SVG drawn on the server: readable without JavaScript, printable,
//! and each described (`<title>`, `<desc>`) for screen readers. The page shows the
//! same numbers in a table next to it.

use super::Lang;
use super::fmt;

/// Escapes text for HTML/SVG element content and quoted attribute values.
pub fn escape(s: &str) -> String {
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

/// One period of a time series.
#[derive(Debug, Clone)]
pub struct Point {
    /// As shown on the axis (`2023`, `2016–2024`).
    pub label: String,
    pub value: f64,
}

/// A round step for `max` split in about four.
fn nice_step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Short axis numbers: `1,2 M`, `350 k`.
fn short(x: f64, lang: Lang) -> String {
    let (v, suffix) = if x.abs() >= 1e9 {
        (
            x / 1e9,
            match lang {
                Lang::Fr => " Md",
                Lang::En => "bn",
            },
        )
    } else if x.abs() >= 1e6 {
        (x / 1e6, " M")
    } else if x.abs() >= 1e4 {
        (x / 1e3, " k")
    } else {
        (x, "")
    };
    format!("{}{suffix}", fmt::number((v * 10.0).round() / 10.0, lang))
}

/// Bars for the values of each period, an optional line for their running total,
/// and an optional target (a dashed line with its value).
pub fn bars(
    id: &str,
    title: &str,
    unit: &str,
    points: &[Point],
    cumulative: bool,
    target: Option<(f64, String)>,
    lang: Lang,
) -> String {
    const W: f64 = 640.0;
    const H: f64 = 250.0;
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 36.0;
    let running: Vec<f64> = points
        .iter()
        .scan(0.0, |acc, p| {
            *acc += p.value;
            Some(*acc)
        })
        .collect();
    let mut max = points.iter().map(|p| p.value).fold(0.0, f64::max);
    if cumulative {
        max = running.iter().copied().fold(max, f64::max);
    }
    if let Some((t, _)) = &target {
        max = max.max(*t);
    }
    let mut step = nice_step(max * 1.05);
    // Counts (every value whole) get whole ticks: no "0,5 EPN".
    if points.iter().all(|p| p.value.fract() == 0.0) && step.fract() != 0.0 {
        step = step.floor().max(1.0);
    }
    let top = (max * 1.05 / step).ceil().max(1.0) * step;
    let ph = H - TOP - BOTTOM;
    let pw = W - LEFT - RIGHT;
    let y = |v: f64| TOP + ph - v / top * ph;
    let n = points.len().max(1) as f64;
    let band = pw / n;
    let bw = (band * 0.6).min(48.0);

    let mut desc = format!("{title} ({unit}). ");
    for (p, r) in points.iter().zip(&running) {
        desc.push_str(&format!("{} : {}", p.label, fmt::number(p.value, lang)));
        if cumulative {
            desc.push_str(&format!(" ({})", fmt::number(*r, lang)));
        }
        desc.push_str("; ");
    }
    if let Some((t, due)) = &target {
        desc.push_str(&format!("{due} → {}", fmt::number(*t, lang)));
    }
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\">\
<title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        escape(title),
        escape(&desc)
    );
    // Grid and axis labels.
    let mut v = 0.0;
    while v <= top + step / 2.0 {
        let yy = y(v);
        s.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" class=\"grid\"/>\
<text x=\"{}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            escape(&short(v, lang))
        ));
        v += step;
    }
    for (i, p) in points.iter().enumerate() {
        let cx = LEFT + band * (i as f64 + 0.5);
        let (y0, y1) = (y(0.0), y(p.value.max(0.0)));
        s.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{y1:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" class=\"bar\"><title>{} : {}</title></rect>\
<text x=\"{cx:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            cx - bw / 2.0,
            (y0 - y1).max(0.0),
            escape(&p.label),
            escape(&fmt::with_unit(p.value, unit, lang)),
            H - BOTTOM + 16.0,
            escape(&p.label)
        ));
    }
    if cumulative && points.len() > 1 {
        let pts: Vec<String> = running
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{:.1},{:.1}", LEFT + band * (i as f64 + 0.5), y(*r)))
            .collect();
        s.push_str(&format!(
            "<polyline points=\"{}\" class=\"line\"/>",
            pts.join(" ")
        ));
        for p in &pts {
            let (x, yy) = p.split_once(',').unwrap_or(("0", "0"));
            s.push_str(&format!(
                "<circle cx=\"{x}\" cy=\"{yy}\" r=\"3.5\" class=\"dot\"/>"
            ));
        }
    }
    if let Some((t, due)) = &target {
        let yy = y(*t);
        s.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" class=\"target\"/>\
<text x=\"{}\" y=\"{:.1}\" class=\"target-label\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            W - RIGHT,
            yy - 5.0,
            escape(&format!("{} {}", due, fmt::number(*t, lang)))
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_whole_ticks() {
        let points = [
            Point {
                label: "2023".into(),
                value: 1.0,
            },
            Point {
                label: "2024".into(),
                value: 2.0,
            },
        ];
        let svg = bars("c", "EPN", "EPN", &points, false, None, Lang::Fr);
        let ticks: Vec<&str> = svg
            .split("class=\"axis\" text-anchor=\"end\">")
            .skip(1)
            .map(|t| t.split('<').next().unwrap_or(""))
            .collect();
        assert_eq!(ticks, ["0", "1", "2", "3"]);
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(100.0), 25.0);
        assert_eq!(nice_step(1000.0), 250.0);
        assert_eq!(nice_step(7.0), 2.0);
    }

    #[test]
    fn a_chart_is_described_and_escaped() {
        let svg = bars(
            "c1",
            "A <b> & c",
            "EUR",
            &[
                Point {
                    label: "2022".into(),
                    value: 10.0,
                },
                Point {
                    label: "2023".into(),
                    value: 20.0,
                },
            ],
            true,
            Some((40.0, "31/12/2024".into())),
            Lang::Fr,
        );
        assert!(svg.contains("aria-labelledby=\"c1-t c1-d\""));
        assert!(svg.contains("A &lt;b&gt; &amp; c"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
        assert!(svg.contains("class=\"target\""));
        assert!(svg.contains("<polyline"));
    }
}
