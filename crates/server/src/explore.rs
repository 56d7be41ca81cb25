//! The Opendatasoft Explore API v2.1 (`/api/explore/v2.1/…`), the DCAT-AP catalogue
//! exports (`/api/explore/v2.1/catalog/exports/dcat`, `/catalog.ttl`, …) and, through
//! [`crate::ckan`], the CKAN action API — all over one open-data catalogue
//! ([`territoria_opendata::Catalogue`]) built from the store in the background at start-up
//! and rebuilt when the store has changed (checked at most every [`CHECK_EVERY`]).
//!
//! Errors keep Opendatasoft's shape, not the Territoria API's: `400 {"message": …,
//! "error_code": "ODSQLError" | "InvalidRESTParameterError"}`, `404 {"message": …,
//! "error_code": "NoSuchDataset" | "NoSuchRecord"}`.
//!
//! Exports are streamed: a blocking task writes the rows into 64 KiB chunks sent through a
//! bounded channel to the response body, so memory stays flat whatever the size.

use std::io::{self, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde_json::{Map, Value as Json, json};
use territoria_model::Lang;
use territoria_odsql::{FieldType, Page, ValueRef};
use territoria_opendata::dcat::{RdfFormat, catalogue_rdf};
use territoria_opendata::query::{json_value, parse_lang};
use territoria_opendata::table::{Cell, FieldSpec, TableBuilder};
use territoria_opendata::{
    Catalogue, Dataset, DatasetMeta, Error as OdError, ExportOptions, Format, Plan, Publisher,
    Request,
};
use territoria_store::Store;
use tokio::sync::{mpsc, watch};

use crate::AppState;

/// How often a request may trigger a check for writes to the store.
pub const CHECK_EVERY: Duration = Duration::from_secs(5);

/// The API's base path.
pub const BASE: &str = "/api/explore/v2.1";

/// Opendatasoft's download path (Explore v1, used by `odsclient`): a dataset's export with
/// `format`, `use_labels_for_header`, `csv_separator`, `timezone` (and `apikey`, ignored:
/// the data are open). Served by the same writers as `/exports/{format}`.
pub const DOWNLOAD: &str = "/explore/dataset/{dataset_id}/download";

/// The route templates of the Explore API, the download path and the DCAT files, as axum
/// and OpenAPI write them; `/api/openapi.json` describes each (tested).
pub mod routes {
    pub const ROOT: &str = "/api/explore/v2.1";
    pub const CATALOG: &str = "/api/explore/v2.1/catalog";
    pub const DATASETS: &str = "/api/explore/v2.1/catalog/datasets";
    pub const CATALOG_FACETS: &str = "/api/explore/v2.1/catalog/facets";
    pub const CATALOG_EXPORT: &str = "/api/explore/v2.1/catalog/exports/{format}";
    pub const DATASET: &str = "/api/explore/v2.1/catalog/datasets/{dataset_id}";
    pub const RECORDS: &str = "/api/explore/v2.1/catalog/datasets/{dataset_id}/records";
    pub const RECORD: &str = "/api/explore/v2.1/catalog/datasets/{dataset_id}/records/{record_id}";
    pub const FACETS: &str = "/api/explore/v2.1/catalog/datasets/{dataset_id}/facets";
    pub const EXPORT: &str = "/api/explore/v2.1/catalog/datasets/{dataset_id}/exports/{format}";
    pub const ATTACHMENTS: &str = "/api/explore/v2.1/catalog/datasets/{dataset_id}/attachments";
    pub const DOWNLOAD: &str = super::DOWNLOAD;
    pub const DCAT_TURTLE: &str = "/catalog.ttl";
    pub const DCAT_RDF_XML: &str = "/catalog.rdf";
    pub const DCAT_JSON_LD: &str = "/catalog.jsonld";
}

/// Every route of this module (the CKAN routes are [`crate::ckan`]'s).
pub const ROUTES: [&str; 15] = [
    routes::ROOT,
    routes::CATALOG,
    routes::DATASETS,
    routes::CATALOG_FACETS,
    routes::CATALOG_EXPORT,
    routes::DATASET,
    routes::RECORDS,
    routes::RECORD,
    routes::FACETS,
    routes::EXPORT,
    routes::ATTACHMENTS,
    routes::DOWNLOAD,
    routes::DCAT_TURTLE,
    routes::DCAT_RDF_XML,
    routes::DCAT_JSON_LD,
];

/// Whether `path` is under the Explore API (its unknown paths answer in Opendatasoft's shape).
pub(crate) fn is_explore_path(path: &str) -> bool {
    path == BASE || path.starts_with(&format!("{BASE}/"))
}

/// The answer to a path of the Explore API that is no route: 404 in Opendatasoft's shape.
pub(crate) fn no_route(method: &axum::http::Method, path: &str) -> Response {
    ods_error(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!(
            "No resource for {method} {path}. The Explore API serves {BASE}/catalog/datasets, \
             {BASE}/catalog/facets, {BASE}/catalog/exports/{{format}} and \
             {BASE}/catalog/datasets/{{dataset_id}}/(records|facets|exports/{{format}}|attachments); \
             see /api/openapi.json."
        ),
    )
    .into_response()
}

type Built = Option<Result<Arc<Snapshot>, String>>;

/// A catalogue and the table of its datasets' metadata (for `/catalog/datasets` queries).
pub(crate) struct Snapshot {
    pub catalogue: Catalogue,
    /// One record per dataset: queried by `/catalog/datasets?where=…`.
    pub catalog: Dataset,
}

/// The open-data catalogue, kept current with the store.
#[derive(Clone)]
pub(crate) struct OpenData {
    store: Arc<dyn Store>,
    rx: watch::Receiver<Built>,
    tx: Arc<watch::Sender<Built>>,
    checked: Arc<Mutex<Instant>>,
}

impl OpenData {
    /// Starts building the catalogue on its own thread (no runtime needed).
    fn start(store: Arc<dyn Store>) -> OpenData {
        let (tx, rx) = watch::channel(None);
        let od = OpenData {
            store,
            rx,
            tx: Arc::new(tx),
            checked: Arc::new(Mutex::new(Instant::now())),
        };
        od.rebuild();
        od
    }

    fn rebuild(&self) {
        let (store, tx) = (self.store.clone(), self.tx.clone());
        let spawned = std::thread::Builder::new()
            .name("opendata-build".into())
            .spawn(move || {
                let started = Instant::now();
                let built = Catalogue::build(store.as_ref(), Publisher::default())
                    .and_then(|mut c| {
                        // The statuses the dashboard shows, from the same store state.
                        c.datasets.push(crate::pages::status_data::dataset(
                            store.as_ref(),
                            c.modified,
                        )?);
                        // The Digiscore barometer: published aggregates only.
                        c.datasets.push(crate::digiscore::barometer::dataset(
                            store.as_ref(),
                            c.modified,
                        )?);
                        Ok(c)
                    })
                    .map(|c| Arc::new(snapshot(c)))
                    .map_err(|e| e.to_string());
                match &built {
                    Ok(s) => tracing::info!(
                        datasets = s.catalogue.datasets.len(),
                        seconds = started.elapsed().as_secs_f64(),
                        "open-data catalogue built"
                    ),
                    Err(e) => tracing::error!(error = %e, "open-data catalogue build failed"),
                }
                // The catalogue this one replaces is freed here unless a request still
                // holds it; either way, what the build freed goes back to the system.
                drop(tx.send_replace(Some(built)));
                territoria_opendata::release_free_memory();
            });
        if let Err(e) = spawned {
            self.tx.send_replace(Some(Err(e.to_string())));
        }
    }

    /// The current catalogue, waiting for the first build; may start a rebuild when the
    /// store has changed since.
    pub(crate) async fn get(&self) -> Result<Arc<Snapshot>, OdsError> {
        let mut rx = self.rx.clone();
        let current = match rx.wait_for(Option::is_some).await {
            Ok(v) => v.clone(),
            Err(_) => None,
        };
        let snap = match current {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                tracing::error!(error = %e, "open-data catalogue unavailable");
                return Err(internal());
            }
            None => return Err(internal()),
        };
        self.maybe_refresh(snap.catalogue.upto);
        Ok(snap)
    }

    fn maybe_refresh(&self, upto: i64) {
        {
            let Ok(mut last) = self.checked.lock() else {
                return;
            };
            if last.elapsed() < CHECK_EVERY {
                return;
            }
            *last = Instant::now();
        }
        let od = self.clone();
        std::thread::spawn(move || {
            if let Ok((latest, _)) = Catalogue::latest_write(od.store.as_ref()) {
                if latest != upto {
                    od.rebuild();
                }
            }
        });
    }
}

fn internal() -> OdsError {
    ods_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        "The open-data catalogue is not available; see the server log.",
    )
}

/// The catalogue's own table: one record per dataset.
fn snapshot(catalogue: Catalogue) -> Snapshot {
    use FieldType as T;
    let specs = vec![
        FieldSpec::new("dataset_id", T::Text, "Identifiant", "Dataset id"),
        FieldSpec::new("title", T::Text, "Titre", "Title"),
        FieldSpec::new("description", T::Text, "Description", "Description"),
        FieldSpec::new("theme", T::Text, "Thème", "Theme").multi(", "),
        FieldSpec::new("keyword", T::Text, "Mot-clé", "Keyword").multi(", "),
        FieldSpec::new("publisher", T::Text, "Producteur", "Publisher").facet(),
        FieldSpec::new("license", T::Text, "Licence", "Licence").facet(),
        FieldSpec::new("language", T::Text, "Langue", "Language").facet(),
        FieldSpec::new("features", T::Text, "Fonctionnalités", "Features").multi(", "),
        FieldSpec::new("modified", T::DateTime, "Modifié", "Modified"),
        FieldSpec::new(
            "records_count",
            T::Int,
            "Nombre d'enregistrements",
            "Records",
        ),
        FieldSpec::new(
            "demo",
            T::Boolean,
            "Contient des données synthétiques",
            "Contains synthetic data",
        )
        .facet(),
    ];
    let mut b = TableBuilder::new(specs);
    for d in &catalogue.datasets {
        let m = &d.meta;
        let keywords: Vec<&str> = m.keywords.iter().map(|k| k.fr.as_str()).collect();
        b.push(&[
            Cell::Text(&m.id),
            Cell::Text(&m.title.fr),
            Cell::Text(&m.full_description(Lang::Fr)),
            Cell::List(&themes_fr(m)),
            Cell::List(&keywords),
            Cell::Text(&catalogue.publisher.name),
            Cell::Text(&catalogue.publisher.licence_title),
            Cell::Text("fr"),
            Cell::List(&features(d)),
            m.modified.map_or(Cell::Null, Cell::DateTime),
            Cell::Int(d.table.len() as i64),
            Cell::Bool(m.demo()),
        ]);
    }
    let catalog = Dataset {
        meta: DatasetMeta {
            id: "catalog".into(),
            title: Default::default(),
            description: Default::default(),
            themes: Vec::new(),
            keywords: Vec::new(),
            demo_records: 0,
            issued: None,
            modified: catalogue.modified,
            temporal: None,
            geo_field: None,
        },
        table: b.finish(),
    };
    Snapshot { catalogue, catalog }
}

fn theme_fr(code: &str) -> &'static str {
    match code {
        "ECON" => "Économie et finances",
        "GOVE" => "Gouvernement et secteur public",
        "REGI" => "Régions et villes",
        "SOCI" => "Population et société",
        "TECH" => "Science et technologie",
        "EDUC" => "Éducation, culture et sport",
        "ENVI" => "Environnement",
        "TRAN" => "Transports",
        _ => "Autre",
    }
}

fn themes_fr(m: &DatasetMeta) -> Vec<&'static str> {
    m.themes.iter().map(|t| theme_fr(t)).collect()
}

fn features(d: &Dataset) -> Vec<&'static str> {
    let mut f = vec!["analyze"];
    if d.meta.geo_field.is_some() {
        f.push("geo");
    }
    if d.table
        .specs()
        .iter()
        .any(|s| matches!(s.def.field_type, FieldType::Date | FieldType::DateTime))
    {
        f.push("timeserie");
    }
    f
}

/// The routes of the Explore API, the DCAT exports and the CKAN action API, with their
/// own state (the catalogue), ready to merge into the application's router.
pub fn router(state: &AppState) -> Router<AppState> {
    let od = OpenData::start(state.store.clone());
    Router::new()
        .route(routes::ROOT, get(root))
        .route(routes::CATALOG, get(root))
        .route(routes::DATASETS, get(datasets))
        .route(routes::CATALOG_FACETS, get(catalog_facets))
        .route(routes::CATALOG_EXPORT, get(catalog_export))
        .route(routes::DATASET, get(dataset))
        .route(routes::RECORDS, get(records))
        .route(routes::RECORD, get(record))
        .route(routes::FACETS, get(facets))
        .route(routes::EXPORT, get(export))
        .route(routes::ATTACHMENTS, get(attachments))
        .route(routes::DOWNLOAD, get(download))
        .route(
            routes::DCAT_TURTLE,
            get(|s: State<OpenData>, h: HeaderMap| dcat_file(s, h, RdfFormat::Turtle)),
        )
        .route(
            routes::DCAT_RDF_XML,
            get(|s: State<OpenData>, h: HeaderMap| dcat_file(s, h, RdfFormat::RdfXml)),
        )
        .route(
            routes::DCAT_JSON_LD,
            get(|s: State<OpenData>, h: HeaderMap| dcat_file(s, h, RdfFormat::JsonLd)),
        )
        .merge(crate::ckan::routes())
        .with_state(od)
}

/// An answer in Opendatasoft's error shape: `{"message": …, "error_code": …}` with its
/// status. Every error of the Explore API and the DCAT exports goes through it.
#[derive(Debug)]
pub(crate) struct OdsError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for OdsError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"message": self.message, "error_code": self.code})),
        )
            .into_response()
    }
}

pub(crate) fn ods_error(status: StatusCode, code: &'static str, message: &str) -> OdsError {
    OdsError {
        status,
        code,
        message: message.to_owned(),
    }
}

fn od_error(e: OdError) -> OdsError {
    ods_error(StatusCode::BAD_REQUEST, e.error_code(), &e.to_string())
}

fn param_error(message: String) -> OdsError {
    ods_error(
        StatusCode::BAD_REQUEST,
        "InvalidRESTParameterError",
        &message,
    )
}

/// The query string: every value of every key, in order.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(raw: Option<&str>) -> Params {
        Params(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(kk, _)| kk == k)
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn all(&self, k: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(kk, _)| kk == k)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn request(&self) -> Request<'_> {
        Request {
            select: self.get("select"),
            where_clause: self.get("where"),
            group_by: self.get("group_by"),
            order_by: self.get("order_by"),
            refine: self.all("refine"),
            exclude: self.all("exclude"),
            lang: self.get("lang"),
            timezone: self.get("timezone"),
        }
    }
    /// An integer parameter, or Opendatasoft's message.
    fn int(&self, k: &str) -> Result<Option<i64>, OdsError> {
        match self.get(k).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                param_error(format!(
                    "Invalid value for {k} API parameter: {v} was found but an integer is expected."
                ))
            }),
        }
    }
    fn bool(&self, k: &str, default: bool) -> Result<bool, OdsError> {
        match self.get(k).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) => match v.as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(param_error(format!(
                    "Invalid value for {k} API parameter: {v} was found but a boolean is expected."
                ))),
            },
        }
    }
}

/// The server's public URL, from the request (`X-Forwarded-Proto`/`-Host` honoured).
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let proto = h("x-forwarded-proto").unwrap_or_else(|| "http".into());
    let host = h("x-forwarded-host")
        .or_else(|| h("host"))
        .unwrap_or_else(|| "localhost".into());
    format!("{proto}://{host}")
}

/// `limit` and `offset` checked as Opendatasoft checks them for `/records`.
fn paging(p: &Params, grouped: bool) -> Result<Page, OdsError> {
    let max: i64 = if grouped { 20_000 } else { 100 };
    let limit = p.int("limit")?.unwrap_or(10);
    if limit < -1 || limit > max {
        return Err(param_error(format!(
            "Invalid value for limit API parameter: {limit} was found but -1 <= limit <= {max} is expected."
        )));
    }
    let limit = if limit == -1 { max } else { limit };
    let offset = p.int("offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(param_error(format!(
            "Invalid value for offset API parameter: {offset} was found but offset >= 0 is expected."
        )));
    }
    if !grouped && offset + limit > 10_000 {
        return Err(param_error(format!(
            "Invalid value for sum of offset + limit API parameter: {} was found but <= 10000 is expected.",
            offset + limit
        )));
    }
    Ok(Page {
        offset: offset as usize,
        limit: Some(limit as usize),
    })
}

/// Result rows as JSON objects keyed by the plan's output columns.
fn row_objects(plan: &Plan, rows: &[Vec<territoria_odsql::Value>]) -> Vec<Json> {
    let columns = plan.columns();
    rows.iter()
        .map(|r| {
            Json::Object(
                columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| (c.name.clone(), json_value(v.as_ref(), plan.tz)))
                    .collect(),
            )
        })
        .collect()
}

/// A page of results, `{"total_count", "results"}`, with Opendatasoft's `_links` when
/// the query asks `include_links=true`: the page's own link and those of the first, last
/// and next pages, the same query with another `offset`.
fn page_body(
    base: &str,
    path: &str,
    p: &Params,
    page: &Page,
    total: u64,
    results: Vec<Json>,
) -> Result<Json, OdsError> {
    let mut body = json!({"total_count": total, "results": results});
    if !p.bool("include_links", false)? {
        return Ok(body);
    }
    let limit = page.limit.unwrap_or(10).max(1) as u64;
    let offset = page.offset as u64;
    let url = |offset: u64| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &p.0 {
            if k != "offset" {
                q.append_pair(k, v);
            }
        }
        q.append_pair("offset", &offset.to_string());
        format!("{base}{path}?{}", q.finish())
    };
    let last = total.saturating_sub(1) / limit * limit;
    let mut links = vec![
        json!({"href": url(offset), "rel": "self"}),
        json!({"href": url(0), "rel": "first"}),
        json!({"href": url(last), "rel": "last"}),
    ];
    if offset + limit < total {
        links.push(json!({"href": url(offset + limit), "rel": "next"}));
    }
    body["_links"] = Json::Array(links);
    Ok(body)
}

fn find<'s>(snap: &'s Snapshot, id: &str) -> Result<&'s Dataset, OdsError> {
    snap.catalogue.dataset(id).ok_or_else(|| {
        let ids: Vec<&str> = snap.catalogue.ids().collect();
        ods_error(
            StatusCode::NOT_FOUND,
            "NoSuchDataset",
            &format!("Unknown dataset: {id}. Datasets: {}.", ids.join(", ")),
        )
    })
}

/// A dataset as `/catalog/datasets` shows it.
fn dataset_json(snap: &Snapshot, d: &Dataset, lang: Lang, base: &str) -> Json {
    let m = &d.meta;
    let p = &snap.catalogue.publisher;
    let fields: Vec<Json> = d
        .table
        .specs()
        .iter()
        .map(|s| {
            let mut annotations = Map::new();
            if s.facet {
                annotations.insert("facet".into(), json!([]));
            }
            json!({
                "name": s.def.name,
                "label": s.label(lang),
                "type": s.def.field_type.ods_name(),
                "annotations": annotations,
                "description": if s.description.is_empty() { Json::Null } else { json!(s.description) },
            })
        })
        .collect();
    let modified = m
        .modified
        .map(|t| json!(t.to_string().replace('Z', "+00:00")));
    json!({
        "dataset_id": m.id,
        "dataset_uid": format!("da_{}", m.id.replace('-', "_")),
        "attachments": [],
        "alternative_exports": [],
        "has_records": !d.table.is_empty(),
        "data_visible": true,
        "features": features(d),
        "metas": {
            "default": {
                "title": m.title.get(lang),
                "description": m.full_description(lang),
                "theme": themes_fr(m),
                "keyword": m.keywords.iter().map(|k| k.get(lang)).collect::<Vec<_>>(),
                "license": p.licence_title,
                "license_url": p.licence_url,
                "language": "fr",
                "metadata_languages": ["fr", "en"],
                "timezone": null,
                "modified": modified,
                "modified_updates_on_metadata_change": false,
                "modified_updates_on_data_change": true,
                "data_processed": modified,
                "metadata_processed": modified,
                "geographic_reference": ["be"],
                "geographic_reference_auto": false,
                "territory": ["Wallonie"],
                "publisher": p.name,
                "references": base,
                "records_count": d.table.len(),
                "federated": false,
                "attributions": null,
                "source_domain": null,
            },
            "dcat": {
                "issued": m.issued.map(|d| d.to_string()),
                "creator": p.name,
                "contact_email": p.email,
                "contact_name": p.name,
                "temporal_coverage_start": m.temporal.map(|t| t.0.to_string()),
                "temporal_coverage_end": m.temporal.map(|t| t.1.to_string()),
                "theme": m.themes.iter().map(|t| format!("http://publications.europa.eu/resource/authority/data-theme/{t}")).collect::<Vec<_>>(),
                "spatial": "http://publications.europa.eu/resource/authority/country/BEL",
                "accrualperiodicity": "http://publications.europa.eu/resource/authority/frequency/CONT",
                "license": p.licence_uri,
            },
            "territoria": {
                "demo": m.demo(),
                "demo_records": m.demo_records,
            },
        },
        "fields": fields,
        "visibility": "domain",
    })
}

async fn root(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    axum::Json(json!({
        "links": [
            {"href": format!("{base}{BASE}"), "rel": "self"},
            {"href": format!("{base}{BASE}/catalog/datasets"), "rel": "datasets"},
            {"href": format!("{base}{BASE}/catalog/facets"), "rel": "facets"},
            {"href": format!("{base}{BASE}/catalog/exports/dcat"), "rel": "dcat"},
        ]
    }))
    .into_response()
}

async fn datasets(
    State(od): State<OpenData>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let snap = match od.get().await {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let p = Params::parse(raw.as_deref());
    let req = p.request();
    let plan = match Plan::new(&snap.catalog, &req) {
        Ok(plan) => plan,
        Err(e) => return od_error(e).into_response(),
    };
    let page = match paging(&p, plan.is_aggregation()) {
        Ok(page) => page,
        Err(r) => return r.into_response(),
    };
    let base = base_url(&headers);
    let custom = req.select.is_some_and(|s| s.trim() != "*") || plan.is_aggregation();
    let rs = plan.run(page);
    let results: Vec<Json> = if custom {
        row_objects(&plan, &rs.rows)
    } else {
        rs.rows
            .iter()
            .filter_map(|r| match r.first() {
                Some(territoria_odsql::Value::Text(id)) => snap.catalogue.dataset(id),
                _ => None,
            })
            .map(|d| dataset_json(&snap, d, plan.lang, &base))
            .collect()
    };
    let path = format!("{BASE}/catalog/datasets");
    match page_body(&base, &path, &p, &page, rs.total_count as u64, results) {
        Ok(body) => axum::Json(body).into_response(),
        Err(r) => r.into_response(),
    }
}

async fn catalog_facets(State(od): State<OpenData>, RawQuery(raw): RawQuery) -> Response {
    let snap = match od.get().await {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let p = Params::parse(raw.as_deref());
    facets_of(&snap.catalog, &p)
}

fn facets_of(d: &Dataset, p: &Params) -> Response {
    let req = p.request();
    let plan = match Plan::new(d, &req) {
        Ok(plan) => plan,
        Err(e) => return od_error(e).into_response(),
    };
    match plan.facets(&p.all("facet")) {
        Ok(f) => {
            let facets: Vec<Json> = f
                .into_iter()
                .map(|f| {
                    json!({
                        "name": f.name,
                        "facets": f.values.into_iter().map(|v| json!({
                            "name": v.value, "count": v.count, "state": v.state, "value": v.value,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            axum::Json(json!({"links": [], "facets": facets})).into_response()
        }
        Err(e) => od_error(e).into_response(),
    }
}

async fn dataset(
    State(od): State<OpenData>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let snap = match od.get().await {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let p = Params::parse(raw.as_deref());
    let lang = match parse_lang(p.get("lang")) {
        Ok(l) => l,
        Err(e) => return od_error(e).into_response(),
    };
    match find(&snap, &id) {
        Ok(d) => axum::Json(dataset_json(&snap, d, lang, &base_url(&headers))).into_response(),
        Err(r) => r.into_response(),
    }
}

async fn records(
    State(od): State<OpenData>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let snap = match od.get().await {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let p = Params::parse(raw.as_deref());
    tokio::task::spawn_blocking(move || {
        let d = match find(&snap, &id) {
            Ok(d) => d,
            Err(r) => return r.into_response(),
        };
        let plan = match Plan::new(d, &p.request()) {
            Ok(plan) => plan,
            Err(e) => return od_error(e).into_response(),
        };
        let page = match paging(&p, plan.is_aggregation()) {
            Ok(page) => page,
            Err(r) => return r.into_response(),
        };
        let rs = plan.run(page);
        let results = row_objects(&plan, &rs.rows);
        let path = format!("{BASE}/catalog/datasets/{id}/records");
        let total = rs.total_count as u64;
        match page_body(&base_url(&headers), &path, &p, &page, total, results) {
            Ok(body) => axum::Json(body).into_response(),
            Err(r) => r.into_response(),
        }
    })
    .await
    .unwrap_or_else(|_| internal().into_response())
}

async fn record(
    State(od): State<OpenData>,
    Path((id, record)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let snap = match od.get().await {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let p = Params::parse(raw.as_deref());
    let d = match find(&snap, &id) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    let req = Request {
        select: p.get("select"),
        lang: p.get("lang"),
        timezone: p.get("timezone"),
        ..Request::default()
    };
    let plan = match Plan::new(d, &req) {
        Ok(plan) => plan,
        Err(e) => return od_error(e).into_response(),
    };
    let Some(row) = d.table.find(&record) else {
        return ods_error(
            StatusCode::NOT_FOUND,
            "NoSuchRecord",
            &format!("Unknown record: {record} in dataset {id}."),
        )
        .into_response();
    };
    let columns = plan.columns();
    let mut out = Map::new();
    let _ = plan.stream_one(row, &mut |values: &[ValueRef<'_>]| -> Result<(), ()> {
        for (c, v) in columns.iter().zip(values) {
            out.insert(c.name.clone(), json_value(*v, plan.tz));
        }
        Ok(())
    });
    axum::Json(Json::Object(out)).into_response()
}

async fn facets(
    State(od): State<OpenData>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let snap = match od.get().await {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let p = Params::parse(raw.as_deref());
    tokio::task::spawn_blocking(move || match find(&snap, &id) {
        Ok(d) => facets_of(d, &p),
        Err(r) => r.into_response(),
    })
    .await
    .unwrap_or_else(|_| internal().into_response())
}

async fn attachments(State(od): State<OpenData>, Path(id): Path<String>) -> Response {
    let snap = match od.get().await {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    match find(&snap, &id) {
        Ok(_) => axum::Json(json!({"links": [], "attachments": []})).into_response(),
        Err(r) => r.into_response(),
    }
}

/// A response body fed by a channel of chunks.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|c| c.map(|b| Ok(http_body::Frame::data(b))))
    }
}

/// Buffers writes and ships 64 KiB chunks through the channel (blocking: runs on the
/// blocking pool). A closed channel (the client left) fails the write, stopping the export.
struct ChunkWriter {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

/// Streams what `write` produces as the response body.
fn streamed<F>(content_type: &str, filename: Option<String>, write: F) -> Response
where
    F: FnOnce(&mut ChunkWriter) -> io::Result<()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(8);
    tokio::task::spawn_blocking(move || {
        let mut w = ChunkWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        let r = write(&mut w).and_then(|()| w.flush());
        if let Err(e) = r {
            if e.kind() != io::ErrorKind::BrokenPipe {
                tracing::warn!(error = %e, "export failed");
            }
        }
    });
    let mut res = Response::new(Body::new(ChannelBody(rx)));
    if let Ok(v) = HeaderValue::from_str(content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Some(f) = filename {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{f}\"")) {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    res
}

fn export_options(p: &Params) -> Result<ExportOptions, OdsError> {
    let mut o = ExportOptions::default();
    if let Some(d) = p.get("delimiter") {
        let d = if d == "\\t" { "\t" } else { d };
        match d.as_bytes() {
            [b] if matches!(*b, b';' | b',' | b'\t' | b'|') => o.delimiter = *b,
            _ => {
                return Err(param_error(format!(
                    "Invalid value for delimiter API parameter: {d} was found but one of ';', ',', '\\t', '|' is expected."
                )));
            }
        }
    }
    o.with_bom = p.bool("with_bom", true)?;
    o.use_labels = p.bool("use_labels", false)?;
    o.quote_all = p.bool("quote_all", false)?;
    if let Some(sep) = p.get("list_separator") {
        const SEPARATORS: [&str; 8] = [",", ", ", ";", "; ", "|", " | ", "/", "\t"];
        match SEPARATORS.iter().find(|s| **s == sep) {
            Some(&s) => o.list_separator = Some(if s == "\\t" { "\t" } else { s }),
            None => {
                return Err(param_error(format!(
                    "Invalid value for list_separator API parameter: {sep:?} was found but one of \
                     ',', ', ', ';', '; ', '|', ' | ', '/', '\\t' is expected."
                )));
            }
        }
    }
    Ok(o)
}

async fn export(
    State(od): State<OpenData>,
    Path((id, format)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let snap = match od.get().await {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let p = Params::parse(raw.as_deref());
    if let Err(r) = find(&snap, &id) {
        return r.into_response();
    }
    let Some(fmt) = Format::parse(&format) else {
        return param_error(format!(
            "Invalid value for format API parameter: {format} was found but one of csv, json, jsonl, geojson, parquet, xlsx is expected."
        )).into_response();
    };
    let options = match export_options(&p) {
        Ok(o) => o,
        Err(r) => return r.into_response(),
    };
    export_response(snap, Source::Dataset(id), fmt, options, p)
}

/// What an export reads: a dataset, or the catalogue's own table.
enum Source {
    Dataset(String),
    Catalog,
}

impl Source {
    fn of<'s>(&self, snap: &'s Snapshot) -> Option<&'s Dataset> {
        match self {
            Source::Dataset(id) => snap.catalogue.dataset(id),
            Source::Catalog => Some(&snap.catalog),
        }
    }
}

/// Streams the export of `source` in `fmt`: `limit` (everything by default), `offset`, and
/// the query parameters of [`Params::request`].
fn export_response(
    snap: Arc<Snapshot>,
    source: Source,
    fmt: Format,
    options: ExportOptions,
    p: Params,
) -> Response {
    // Exports return everything by default (limit=-1) and have no paging cap.
    let limit = match p.int("limit") {
        Ok(None | Some(-1)) => None,
        Ok(Some(l)) if l >= 0 => Some(l as usize),
        Ok(Some(l)) => {
            return param_error(format!(
                "Invalid value for limit API parameter: {l} was found but limit >= -1 is expected."
            ))
            .into_response();
        }
        Err(r) => return r.into_response(),
    };
    let offset = match p.int("offset") {
        Ok(o) => o.unwrap_or(0).max(0) as usize,
        Err(r) => return r.into_response(),
    };
    let Some(d) = source.of(&snap) else {
        return internal().into_response();
    };
    // Check the query before the body starts, so errors keep their status.
    let plan = match Plan::new(d, &p.request()) {
        Ok(plan) => plan,
        Err(e) => return od_error(e).into_response(),
    };
    if fmt == Format::Xlsx {
        let total = plan.run(Page {
            offset: 0,
            limit: Some(0),
        });
        let rows = (total.total_count as usize)
            .saturating_sub(offset)
            .min(limit.unwrap_or(usize::MAX));
        if rows >= territoria_opendata::xlsx::MAX_ROWS {
            return param_error(format!(
                "Invalid value for format API parameter: xlsx was found but the export has \
                 {rows} rows and a sheet holds at most {}: use limit, a filter, or csv or parquet.",
                territoria_opendata::xlsx::MAX_ROWS - 1
            ))
            .into_response();
        }
    }
    drop(plan);
    // `compressed=true`: the file gzipped (`.gz`).
    let compressed = match p.bool("compressed", false) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let mut filename = format!("{}.{}", d.meta.id, fmt.name());
    let content_type = if compressed {
        filename.push_str(".gz");
        "application/gzip"
    } else {
        fmt.content_type()
    };
    streamed(content_type, Some(filename), move |w| {
        let d = source.of(&snap).ok_or_else(|| io::Error::other("gone"))?;
        let plan = Plan::new(d, &p.request()).map_err(io::Error::other)?;
        if compressed {
            let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::fast());
            territoria_opendata::export::export(&plan, fmt, options, offset, limit, &mut gz)?;
            gz.finish().map(|_| ())
        } else {
            territoria_opendata::export::export(&plan, fmt, options, offset, limit, w).map(|_| ())
        }
    })
}

/// `/explore/dataset/{id}/download/` (Explore v1, `odsclient`): `format` (csv by default;
/// json, jsonl, geojson), `use_labels_for_header` (labels as the CSV header), `csv_separator`
/// (`;` by default), `timezone`, `lang`, `q` (full-text search), `refine.{field}` and
/// `exclude.{field}`; `apikey` is accepted and ignored (the data are open). No byte-order
/// mark unless `with_bom=true`.
async fn download(
    State(od): State<OpenData>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let snap = match od.get().await {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    if let Err(r) = find(&snap, &id) {
        return r.into_response();
    }
    let v1 = Params::parse(raw.as_deref());
    let mut v2: Vec<(String, String)> = Vec::new();
    for (k, v) in &v1.0 {
        let (k, v) = match k.as_str() {
            "format" | "apikey" | "csv_separator" | "use_labels_for_header" => continue,
            "q" if v.trim().is_empty() => continue,
            "q" => ("where".to_owned(), quote_search(v)),
            _ => match (k.strip_prefix("refine."), k.strip_prefix("exclude.")) {
                (Some(f), _) => ("refine".to_owned(), format!("{f}:{v}")),
                (_, Some(f)) => ("exclude".to_owned(), format!("{f}:{v}")),
                _ => (k.clone(), v.clone()),
            },
        };
        v2.push((k, v));
    }
    let format = v1.get("format").unwrap_or("csv").to_ascii_lowercase();
    let Some(fmt) = Format::parse(&format) else {
        return param_error(format!(
            "Invalid value for format API parameter: {format} was found but one of csv, json, jsonl, geojson, parquet, xlsx is expected."
        )).into_response();
    };
    if let Some(sep) = v1.get("csv_separator") {
        v2.push(("delimiter".into(), sep.to_owned()));
    }
    if let Some(labels) = v1.get("use_labels_for_header") {
        v2.push(("use_labels".into(), labels.to_owned()));
    }
    if v1.get("with_bom").is_none() {
        v2.push(("with_bom".into(), "false".into()));
    }
    let p = Params(v2);
    let options = match export_options(&p) {
        Ok(o) => o,
        Err(r) => return r.into_response(),
    };
    export_response(snap, Source::Dataset(id), fmt, options, p)
}

/// A full-text search of `text` as an ODSQL `where` (a quoted string).
fn quote_search(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

async fn catalog_export(
    State(od): State<OpenData>,
    Path(format): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let p = Params::parse(raw.as_deref());
    let rdf = match format.as_str() {
        "dcat" | "dcat_ap" | "dcat_ap_3" | "dcat_ap_3_0" | "rdf" => {
            let asked = p
                .get("format")
                .and_then(RdfFormat::parse)
                .or_else(|| accept(&headers));
            Some(asked.unwrap_or(RdfFormat::RdfXml))
        }
        "ttl" | "turtle" => Some(RdfFormat::Turtle),
        "jsonld" => Some(RdfFormat::JsonLd),
        "json" => None,
        "csv" | "jsonl" => {
            let snap = match od.get().await {
                Ok(s) => s,
                Err(r) => return r.into_response(),
            };
            let options = match export_options(&p) {
                Ok(o) => o,
                Err(r) => return r.into_response(),
            };
            let fmt = Format::parse(&format).unwrap_or(Format::Csv);
            return export_response(snap, Source::Catalog, fmt, options, p);
        }
        _ => {
            return param_error(format!(
                "Invalid value for format API parameter: {format} was found but one of dcat, dcat_ap_3, rdf, ttl, jsonld, json, csv, jsonl is expected."
            )).into_response();
        }
    };
    let snap = match od.get().await {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let base = base_url(&headers);
    match rdf {
        Some(f) => rdf_response(&snap.catalogue, &base, f),
        None => {
            let lang = parse_lang(p.get("lang")).unwrap_or(Lang::Fr);
            let all: Vec<Json> = snap
                .catalogue
                .datasets
                .iter()
                .map(|d| dataset_json(&snap, d, lang, &base))
                .collect();
            axum::Json(Json::Array(all)).into_response()
        }
    }
}

fn accept(headers: &HeaderMap) -> Option<RdfFormat> {
    let a = headers.get(header::ACCEPT)?.to_str().ok()?;
    a.split(',').find_map(RdfFormat::parse)
}

fn rdf_response(cat: &Catalogue, base: &str, f: RdfFormat) -> Response {
    (
        [(header::CONTENT_TYPE, f.content_type())],
        catalogue_rdf(cat, base, f),
    )
        .into_response()
}

async fn dcat_file(State(od): State<OpenData>, headers: HeaderMap, f: RdfFormat) -> Response {
    match od.get().await {
        Ok(snap) => rdf_response(&snap.catalogue, &base_url(&headers), f),
        Err(r) => r.into_response(),
    }
}

/// The features of a dataset (`analyze`, `geo`, `timeserie`), for the CKAN module.
pub(crate) fn features_of(d: &Dataset) -> Vec<&'static str> {
    features(d)
}
