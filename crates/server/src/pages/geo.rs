//! The Walloon geography the maps draw: municipalities (REFNIS, centre, population,
//! postal codes), judicial cantons and arrondissements with their simplified
//! boundaries, projected once into SVG paths. Read from the store's reference
//! concepts (no tile server, nothing fetched) and kept per store: only a reload of the
//! reference data changes it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::Value;
use territoria_model::Labels;
use territoria_store::Store;

use crate::AppState;
use crate::api::with_store;
use crate::error::ApiError;

/// REFNIS code of the Walloon Region.
pub const WALLONIA: &str = "03000";
const TERRITORY: &str = "territory";
const JUDICIAL: &str = "judicial-territory";

#[derive(Debug, Clone)]
pub struct Municipality {
    pub refnis: String,
    pub labels: Labels,
    pub lat: f64,
    pub lon: f64,
    pub population: Option<f64>,
}

/// A canton or an arrondissement.
#[derive(Debug, Clone)]
pub struct Area {
    pub id: String,
    pub labels: Labels,
    /// Municipalities it covers; `true` when only partly.
    pub municipalities: Vec<(String, bool)>,
    pub geometry: Value,
    /// The boundary as an SVG path in [`Geo`]'s view box.
    pub path: String,
}

#[derive(Debug, Default)]
pub struct Geo {
    pub municipalities: BTreeMap<String, Municipality>,
    /// Provinces of Wallonia: REFNIS and name.
    pub provinces: Vec<(String, Labels)>,
    pub cantons: Vec<Area>,
    pub arrondissements: Vec<Area>,
    pub postal: HashMap<String, String>,
    pub projection: Projection,
    /// The whole region's outline (the arrondissements' paths joined).
    pub outline: String,
}

/// Longitude/latitude → SVG coordinates: an equirectangular projection scaled by the
/// cosine of the mean latitude, which is faithful enough at the scale of a region.
#[derive(Debug, Clone, Copy, Default)]
pub struct Projection {
    lon0: f64,
    lat1: f64,
    kx: f64,
    scale: f64,
    pub width: f64,
    pub height: f64,
}

const VIEW_WIDTH: f64 = 800.0;
const PAD: f64 = 8.0;

impl Projection {
    fn fit(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Projection {
        let kx = ((min_lat + max_lat) / 2.0).to_radians().cos();
        let w = (max_lon - min_lon) * kx;
        let h = max_lat - min_lat;
        let scale = if w > 0.0 {
            (VIEW_WIDTH - 2.0 * PAD) / w
        } else {
            1.0
        };
        Projection {
            lon0: min_lon,
            lat1: max_lat,
            kx,
            scale,
            width: VIEW_WIDTH,
            height: (h * scale + 2.0 * PAD).ceil(),
        }
    }

    pub fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            PAD + (lon - self.lon0) * self.kx * self.scale,
            PAD + (self.lat1 - lat) * self.scale,
        )
    }
}

/// The outer and inner rings of a GeoJSON Polygon or MultiPolygon.
fn rings(geometry: &Value) -> Vec<Vec<(f64, f64)>> {
    let ring = |r: &Value| -> Vec<(f64, f64)> {
        r.as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
            .collect()
    };
    let polygon = |p: &Value| -> Vec<Vec<(f64, f64)>> {
        p.as_array().into_iter().flatten().map(ring).collect()
    };
    match geometry["type"].as_str() {
        Some("Polygon") => polygon(&geometry["coordinates"]),
        Some("MultiPolygon") => geometry["coordinates"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(polygon)
            .collect(),
        _ => Vec::new(),
    }
}

fn svg_path(rings: &[Vec<(f64, f64)>], p: &Projection) -> String {
    let mut d = String::new();
    for r in rings {
        for (i, (lon, lat)) in r.iter().enumerate() {
            let (x, y) = p.xy(*lon, *lat);
            d.push(if i == 0 { 'M' } else { 'L' });
            d.push_str(&format!("{x:.1} {y:.1}"));
        }
        d.push('Z');
    }
    d
}

static GEO: LazyLock<Mutex<HashMap<usize, Arc<Geo>>>> = LazyLock::new(Default::default);

/// The geography of the store behind `state`, read once.
pub async fn geo(state: &AppState) -> Result<Arc<Geo>, ApiError> {
    let key = super::cache::store_key(state);
    if let Some(g) = GEO.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(g.clone());
    }
    // The judicial scheme cannot be listed by the store; the magnet index knows it.
    let judicial: Vec<String> = state
        .magnets
        .read()
        .facet_search(JUDICIAL, "", 10_000)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let g = Arc::new(with_store(state, move |s| load(s, &judicial)).await?);
    GEO.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, g.clone());
    Ok(g)
}

/// An arrondissement being assembled: names, boundary, municipalities (partial?).
type ArrondissementParts = (Labels, Value, Vec<(String, bool)>);

fn load(s: &dyn Store, judicial: &[String]) -> Result<Geo, ApiError> {
    let mut geo = Geo::default();
    let Some(region) = s.concept(TERRITORY, WALLONIA)? else {
        return Ok(geo);
    };
    for p in &region.narrower {
        geo.provinces.push((p.notation.clone(), p.labels.clone()));
        let Some(province) = s.concept(TERRITORY, &p.notation)? else {
            continue;
        };
        for m in &province.narrower {
            let Some(c) = s.concept(TERRITORY, &m.notation)? else {
                continue;
            };
            let num = |k: &str| c.attributes.get(k).and_then(Value::as_f64);
            let (Some(lat), Some(lon)) = (num("lat"), num("lon")) else {
                continue;
            };
            for pc in &c.postal_codes {
                geo.postal.insert(pc.clone(), c.notation.clone());
            }
            geo.municipalities.insert(
                c.notation.clone(),
                Municipality {
                    refnis: c.notation.clone(),
                    labels: c.labels.clone(),
                    lat,
                    lon,
                    population: num("population"),
                },
            );
        }
    }
    // Cantons covering a Walloon municipality, then their arrondissements.
    let mut cantons = Vec::new();
    let mut arrondissements: BTreeMap<String, ArrondissementParts> = BTreeMap::new();
    for id in judicial {
        let Some(c) = s.concept(JUDICIAL, id)? else {
            continue;
        };
        let covered: Vec<(String, bool)> = c
            .links
            .iter()
            .filter(|l| l.kind == "covers" && l.direction == "out")
            .filter(|l| geo.municipalities.contains_key(&l.concept.notation))
            .map(|l| (l.concept.notation.clone(), l.partial))
            .collect();
        if c.broader.is_empty() {
            if let Some(g) = c.geometry {
                arrondissements.insert(c.notation.clone(), (c.labels.clone(), g, Vec::new()));
            }
            continue;
        }
        let (Some(g), false) = (c.geometry, covered.is_empty()) else {
            continue;
        };
        cantons.push((
            c.notation,
            c.labels,
            g,
            covered,
            c.broader[0].notation.clone(),
        ));
    }
    for (_, _, _, covered, arr) in &cantons {
        if let Some(a) = arrondissements.get_mut(arr) {
            for m in covered {
                if !a.2.iter().any(|x| x.0 == m.0) {
                    a.2.push(m.clone());
                }
            }
        }
    }
    arrondissements.retain(|_, a| !a.2.is_empty());
    // An arrondissement's municipality is partial only if it is partial in all its
    // cantons there: whole once any canton of the arrondissement covers it whole.
    for (_, a) in arrondissements.iter_mut() {
        for m in a.2.iter_mut() {
            m.1 = cantons
                .iter()
                .filter(|c| c.3.iter().any(|x| x.0 == m.0))
                .all(|c| c.3.iter().any(|x| x.0 == m.0 && x.1));
        }
    }
    let all_rings: Vec<(f64, f64)> = arrondissements
        .values()
        .flat_map(|a| rings(&a.1))
        .flatten()
        .collect();
    if all_rings.is_empty() {
        return Ok(geo);
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in &all_rings {
        x0 = x0.min(*x);
        y0 = y0.min(*y);
        x1 = x1.max(*x);
        y1 = y1.max(*y);
    }
    let p = Projection::fit(x0, y0, x1, y1);
    geo.projection = p;
    for (id, labels, g, covered, _) in cantons {
        geo.cantons.push(Area {
            path: svg_path(&rings(&g), &p),
            id,
            labels,
            municipalities: covered,
            geometry: g,
        });
    }
    for (id, (labels, g, covered)) in arrondissements {
        geo.arrondissements.push(Area {
            path: svg_path(&rings(&g), &p),
            id,
            labels,
            municipalities: covered,
            geometry: g,
        });
    }
    geo.cantons
        .sort_by(|a, b| a.labels.main().cmp(b.labels.main()));
    geo.arrondissements
        .sort_by(|a, b| a.labels.main().cmp(b.labels.main()));
    geo.outline = geo
        .arrondissements
        .iter()
        .map(|a| a.path.as_str())
        .collect();
    Ok(geo)
}

/// Great-circle distance in kilometres.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    6371.0 * 2.0 * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_projection() {
        // Namur → Liège, about 52 km.
        let d = distance_km(50.4669, 4.8675, 50.6326, 5.5797);
        assert!((50.0..55.0).contains(&d), "{d}");
        let p = Projection::fit(2.8, 49.5, 6.4, 50.8);
        let (x, y) = p.xy(2.8, 50.8);
        assert!((x - PAD).abs() < 1e-9 && (y - PAD).abs() < 1e-9);
        let (x, y) = p.xy(6.4, 49.5);
        assert!((x - (VIEW_WIDTH - PAD)).abs() < 1e-6);
        assert!(y > 0.0 && y <= p.height);
    }

    #[test]
    fn multipolygons_give_every_ring() {
        let g = serde_json::json!({"type": "MultiPolygon", "coordinates": [
            [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
            [[[2.0, 2.0], [3.0, 2.0], [3.0, 3.0], [2.0, 2.0]]]
        ]});
        assert_eq!(rings(&g).len(), 2);
        let p = Projection::fit(0.0, 0.0, 3.0, 3.0);
        let d = svg_path(&rings(&g), &p);
        assert_eq!(d.matches('M').count(), 2);
        assert_eq!(d.matches('Z').count(), 2);
    }
}
