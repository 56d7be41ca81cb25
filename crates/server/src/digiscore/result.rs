//! The result of a finished assessment: radar chart, peers, next steps and the earlier
//! assessment of the same series — plain functions, tested without HTTP.

use std::f64::consts::PI;

use serde::Serialize;
use territoria_digiscore::peers::{self, PeerPosition};
use territoria_digiscore::profile::{Profile, SizeClass};
use territoria_digiscore::questionnaire::Questionnaire;
use territoria_digiscore::scoring::{AxisScore, Scores, round1};
use territoria_digiscore::support::{self, Offer, Support};
use territoria_store::StoredAssessment;

use crate::pages::charts::escape;
use crate::pages::{Lang, fmt};

/// The organisations an assessment is compared with: finished assessments of the same
/// questionnaire version, NACE section and size class, itself excluded. A real
/// assessment is compared with real ones only, a demo one with demo ones only (nothing
/// real is computed from synthetic data).
pub fn peer_scores(a: &StoredAssessment, completed: &[StoredAssessment]) -> Vec<f64> {
    completed
        .iter()
        .filter(|p| {
            p.link_hash != a.link_hash
                && p.questionnaire_version == a.questionnaire_version
                && p.nace_section == a.nace_section
                && p.size_class == a.size_class
                && p.demo == a.demo
        })
        .filter_map(|p| p.overall)
        .collect()
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PeersView {
    /// Below the threshold: neither the percentile nor the count.
    pub shown: bool,
    pub percentile: Option<String>,
    pub count: Option<String>,
    pub synthetic: bool,
    pub threshold: usize,
}

pub fn peers_view(own: f64, peer_scores: &[f64], synthetic: bool, lang: Lang) -> PeersView {
    match peers::position(own, peer_scores) {
        PeerPosition::Shown { percentile, peers } => PeersView {
            shown: true,
            percentile: Some(fmt::decimal(percentile.round(), 0, lang)),
            count: Some(fmt::integer(peers as u64, lang)),
            synthetic,
            threshold: peers::MIN_PEERS,
        },
        PeerPosition::TooFew => PeersView {
            shown: false,
            percentile: None,
            count: None,
            synthetic,
            threshold: peers::MIN_PEERS,
        },
    }
}

/// The finished assessment of the series just before `a` (by completion date).
pub fn previous<'a>(
    a: &StoredAssessment,
    series: &'a [StoredAssessment],
) -> Option<&'a StoredAssessment> {
    let mine = a.completed_at.as_deref()?;
    series
        .iter()
        .filter(|s| s.link_hash != a.link_hash)
        .filter(|s| s.completed_at.as_deref().is_some_and(|c| c < mine))
        .filter(|s| s.questionnaire == a.questionnaire)
        .max_by(|x, y| x.completed_at.cmp(&y.completed_at))
}

#[derive(Debug, Serialize)]
pub struct OfferView {
    pub name: String,
    pub url: String,
    pub inferred: bool,
}

#[derive(Debug, Serialize)]
pub struct StepView {
    pub axis: String,
    pub score: String,
    pub advice: String,
    pub programme: Option<OfferView>,
    pub aid: Option<OfferView>,
    pub operator: Option<OfferView>,
}

fn offer(o: Option<&Offer>, lang: Lang) -> Option<OfferView> {
    o.map(|o| OfferView {
        name: o.name.get(lang.code()).to_owned(),
        url: o.url.clone(),
        inferred: o.inferred,
    })
}

/// Three next steps for the weakest axes, with the best programme, aid and operator.
pub fn steps(
    q: &Questionnaire,
    scores: &Scores,
    a: &StoredAssessment,
    offers: &Support,
    lang: Lang,
) -> Vec<StepView> {
    let Some(size) = SizeClass::parse(&a.size_class) else {
        return Vec::new();
    };
    let profile = Profile {
        audience: q.audience,
        nace_section: a.nace_section.clone(),
        size,
        municipality: a.municipality.clone(),
    };
    support::next_steps(q, scores, &profile, offers, 3)
        .into_iter()
        .map(|s| StepView {
            axis: s.axis_name.get(lang.code()).to_owned(),
            score: fmt::decimal(round1(s.score), 1, lang),
            advice: s.advice.get(lang.code()).to_owned(),
            programme: offer(s.programme, lang),
            aid: offer(s.aid, lang),
            operator: offer(s.operator, lang),
        })
        .collect()
}

/// The axis scores stored with a finished assessment.
pub fn stored_axes(a: &StoredAssessment) -> Vec<AxisScore> {
    a.axes
        .as_deref()
        .and_then(|x| serde_json::from_str(x).ok())
        .unwrap_or_default()
}

/// A radar chart of the axis scores (0–100), with the earlier assessment's as a dashed
/// outline when there is one. Inline SVG, described for screen readers; the page shows
/// the same numbers in a table.
pub fn radar(
    labels: &[String],
    now: &[Option<f64>],
    before: Option<&[Option<f64>]>,
    title: &str,
    desc: &str,
) -> String {
    let (cx, cy, r) = (200.0, 170.0, 110.0);
    let n = labels.len().max(1);
    let at = |i: usize, v: f64| {
        let angle = -PI / 2.0 + 2.0 * PI * i as f64 / n as f64;
        (
            cx + r * v / 100.0 * angle.cos(),
            cy + r * v / 100.0 * angle.sin(),
        )
    };
    let polygon = |values: &[Option<f64>]| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let (x, y) = at(i, v.unwrap_or(0.0));
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut svg = format!(
        "<svg class=\"radar\" viewBox=\"0 0 400 340\" role=\"img\" aria-labelledby=\"radar-title radar-desc\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"radar-title\">{}</title><desc id=\"radar-desc\">{}</desc>",
        escape(title),
        escape(desc)
    );
    for ring in [25.0, 50.0, 75.0, 100.0] {
        let pts = (0..n)
            .map(|i| {
                let (x, y) = at(i, ring);
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ");
        svg.push_str(&format!(
            "<polygon points=\"{pts}\" fill=\"none\" stroke=\"#b0b0b0\" stroke-width=\"1\"/>"
        ));
    }
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = at(i, 100.0);
        let (lx, ly) = at(i, 118.0);
        let anchor = if (lx - cx).abs() < 1.0 {
            "middle"
        } else if lx > cx {
            "start"
        } else {
            "end"
        };
        svg.push_str(&format!(
            "<line x1=\"{cx}\" y1=\"{cy}\" x2=\"{x:.1}\" y2=\"{y:.1}\" stroke=\"#b0b0b0\"/><text x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"13\" fill=\"#1a1a1a\">{}</text>",
            ly + 4.0,
            escape(label)
        ));
    }
    if let Some(b) = before {
        svg.push_str(&format!(
            "<polygon class=\"radar-before\" points=\"{}\" fill=\"none\" stroke=\"#5a5a5a\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>",
            polygon(b)
        ));
    }
    svg.push_str(&format!(
        "<polygon class=\"radar-now\" points=\"{}\" fill=\"#1f5fa8\" fill-opacity=\"0.25\" stroke=\"#1f5fa8\" stroke-width=\"3\"/></svg>",
        polygon(now)
    ));
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(hash: char, overall: f64, nace: &str, demo: bool, done: &str) -> StoredAssessment {
        StoredAssessment {
            link_hash: hash.to_string().repeat(64),
            series: "s".repeat(64),
            questionnaire: "digiscore".into(),
            questionnaire_version: 1,
            kbo: None,
            nace_section: nace.into(),
            size_class: "micro".into(),
            municipality: None,
            answers: "{}".into(),
            overall: Some(overall),
            axes: None,
            completed_at: Some(done.into()),
            demo,
            created_at: done.into(),
            updated_at: done.into(),
        }
    }

    #[test]
    fn peers_are_the_same_sector_size_and_kind_and_hidden_below_ten() {
        let me = stored('a', 50.0, "G", false, "2026-12-02");
        let mut all = vec![me.clone(), stored('b', 10.0, "C", false, "2026-12-01")];
        all.push(stored('c', 10.0, "G", true, "2026-12-01"));
        for i in 0..9 {
            all.push(stored(
                char::from(b'd' + i),
                20.0 + f64::from(i) * 10.0,
                "G",
                false,
                "2026-12-01",
            ));
        }
        let p = peer_scores(&me, &all);
        assert_eq!(p.len(), 9, "other sector, demo and itself left out");
        let v = peers_view(50.0, &p, false, Lang::Fr);
        assert!(!v.shown && v.count.is_none() && v.percentile.is_none());
        all.push(stored('z', 90.0, "G", false, "2026-12-01"));
        let p = peer_scores(&me, &all);
        let v = peers_view(50.0, &p, false, Lang::Fr);
        assert_eq!((v.shown, v.count.as_deref()), (true, Some("10")));
        // 3 below (20, 30, 40), 1 equal (50): 100 × 3.5 / 10 = 35.
        assert_eq!(v.percentile.as_deref(), Some("35"));
    }

    #[test]
    fn the_previous_assessment_is_the_last_finished_before() {
        let t2 = stored('c', 60.0, "G", false, "2026-12-03");
        let series = vec![
            stored('a', 30.0, "G", false, "2026-01-01"),
            stored('b', 40.0, "G", false, "2026-06-01"),
            t2.clone(),
        ];
        assert_eq!(previous(&t2, &series).map(|p| p.overall), Some(Some(40.0)));
        assert!(previous(&series[0], &series).is_none());
    }

    #[test]
    fn the_radar_has_one_spoke_per_axis_and_escapes_labels() {
        let labels = vec![
            "A & B".to_owned(),
            "C".to_owned(),
            "D".to_owned(),
            "E".to_owned(),
        ];
        let svg = radar(
            &labels,
            &[Some(100.0), Some(50.0), None, Some(0.0)],
            None,
            "t",
            "d",
        );
        assert_eq!(svg.matches("<line ").count(), 4);
        assert!(svg.contains("A &amp; B") && !svg.contains("radar-before"));
        // The first axis at 100 points straight up: (200, 170 − 110).
        assert!(svg.contains("points=\"200.0,60.0 "), "{svg}");
        let with = radar(&labels, &[Some(1.0); 4], Some(&[Some(2.0); 4]), "t", "d");
        assert!(with.contains("radar-before"));
    }
}
