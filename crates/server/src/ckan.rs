//! The CKAN action API (`/api/3/action/{action}`, also `/api/action/{action}` as
//! `ckanapi` calls it), read-only, over the open-data catalogue: `package_list`,
//! `package_show`, `package_search`, `current_package_list_with_resources`,
//! `package_autocomplete`, `resource_show`, `organization_list`, `organization_show`,
//! `group_list`, `group_show`, `tag_list`, `license_list`, `site_read`, `status_show`,
//! `datastore_search`.
//!
//! Thin: `q`/`fq`/`sort` are parsed and evaluated by [`territoria_opendata::solr`] (Lucene
//! syntax, CKAN's defaults), DataStore searches run in [`territoria_opendata::datastore`];
//! this module maps parameters in and CKAN's shapes out.
//!
//! Parameters come from the query string (GET) or a JSON object body (POST, `ckanapi`'s
//! default). Answers keep CKAN's envelope `{"help": …, "success": true, "result": …}`;
//! errors `{"help": …, "success": false, "error": {"__type": "Not Found Error" |
//! "Validation Error" | "Search Query Error" | "Bad Request", "message": …}}` with
//! statuses 404, 409, 409, 400 (a refused query also names its `parameter` and the
//! `position` of the mistake).

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value as Json, json};
use territoria_model::Lang;
use territoria_odsql::ValueRef;
use territoria_opendata::solr::{self, Document, FieldKind, Options, Query, Schema, SolrError};
use territoria_opendata::{Catalogue, Dataset, Format, datastore};

use crate::explore::{OpenData, Snapshot, base_url, features_of};

pub(crate) fn routes() -> Router<OpenData> {
    Router::new()
        .route("/api/3/action/{action}", get(action).post(action))
        .route("/api/action/{action}", get(action).post(action))
}

/// The CKAN actions served, each at `/api/3/action/{name}` (also `/api/action/{name}`), and
/// described in `/api/openapi.json`.
pub const ACTIONS: [&str; 17] = [
    "package_list",
    "package_show",
    "package_search",
    "package_autocomplete",
    "current_package_list_with_resources",
    "resource_show",
    "datastore_search",
    "group_list",
    "group_show",
    "organization_list",
    "organization_list_for_user",
    "organization_show",
    "tag_list",
    "license_list",
    "status_show",
    "site_read",
    "help_show",
];

/// The documented paths of the CKAN action API (`/api/3/action/{name}`).
pub fn routes_documented() -> Vec<String> {
    ACTIONS
        .iter()
        .map(|a| format!("/api/3/action/{a}"))
        .collect()
}

const ORG: &str = "territoria";

struct Failure {
    status: StatusCode,
    kind: &'static str,
    message: String,
    extra: Map<String, Json>,
}

fn fail(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        status,
        kind,
        message: message.into(),
        extra: Map::new(),
    }
}

fn not_found(message: impl Into<String>) -> Failure {
    fail(StatusCode::NOT_FOUND, "Not Found Error", message)
}

fn validation(field: &str, message: &str) -> Failure {
    let mut f = fail(StatusCode::CONFLICT, "Validation Error", message);
    f.extra.insert(field.into(), json!([message]));
    f
}

/// The parameters: query string and JSON body merged (the body wins).
struct Args(Map<String, Json>);

impl Args {
    fn new(raw: Option<&str>, body: &[u8]) -> Result<Args, Failure> {
        let mut m = Map::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let (k, v) = (k.into_owned(), Json::String(v.into_owned()));
            match m.get_mut(&k) {
                Some(Json::Array(a)) => a.push(v),
                Some(old) => {
                    let first = old.take();
                    *old = Json::Array(vec![first, v]);
                }
                None => {
                    m.insert(k, v);
                }
            }
        }
        if !body.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Json>(body) {
                Ok(Json::Object(o)) => m.extend(o),
                Ok(_) | Err(_) => {
                    // A form-encoded body.
                    for (k, v) in form_urlencoded::parse(body) {
                        m.insert(k.into_owned(), Json::String(v.into_owned()));
                    }
                }
            }
        }
        Ok(Args(m))
    }

    fn str(&self, k: &str) -> Option<String> {
        match self.0.get(k)? {
            Json::String(s) => Some(s.clone()),
            Json::Array(a) => a.last().and_then(|v| v.as_str()).map(str::to_owned),
            Json::Null => None,
            other => Some(other.to_string()),
        }
    }

    fn int(&self, k: &str, default: i64) -> Result<i64, Failure> {
        match self.0.get(k) {
            None | Some(Json::Null) => Ok(default),
            Some(Json::Number(n)) => n.as_i64().ok_or_else(|| validation(k, "Invalid integer")),
            Some(_) => {
                let s = self.str(k).unwrap_or_default();
                if s.trim().is_empty() {
                    return Ok(default);
                }
                s.trim()
                    .parse()
                    .map_err(|_| validation(k, "Invalid integer"))
            }
        }
    }

    fn bool(&self, k: &str) -> bool {
        match self.0.get(k) {
            Some(Json::Bool(b)) => *b,
            Some(_) => matches!(self.str(k).as_deref(), Some("true" | "True" | "1")),
            None => false,
        }
    }

    /// A list given as a JSON array, a JSON-encoded list in a string, or repeated keys.
    fn list(&self, k: &str) -> Result<Vec<String>, Failure> {
        let strings = |a: &[Json]| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        match self.0.get(k) {
            None | Some(Json::Null) => Ok(Vec::new()),
            Some(Json::Array(a)) => {
                // Repeated keys, each maybe a JSON list.
                let mut out = Vec::new();
                for v in a {
                    match v {
                        Json::String(s) if s.trim_start().starts_with('[') => {
                            let inner: Vec<Json> = serde_json::from_str(s)
                                .map_err(|_| validation(k, "Invalid JSON list"))?;
                            out.extend(strings(&inner));
                        }
                        Json::String(s) => out.push(s.clone()),
                        _ => {}
                    }
                }
                Ok(out)
            }
            Some(Json::String(s)) if s.trim_start().starts_with('[') => {
                let a: Vec<Json> =
                    serde_json::from_str(s).map_err(|_| validation(k, "Invalid JSON list"))?;
                Ok(strings(&a))
            }
            Some(Json::String(s)) => Ok(vec![s.clone()]),
            Some(_) => Err(validation(k, "Invalid list")),
        }
    }
}

async fn action(
    State(od): State<OpenData>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let base = base_url(&headers);
    let help = format!("{base}/api/3/action/help_show?name={name}");
    let result = match Args::new(raw.as_deref(), &body) {
        Ok(args) => match od.get().await {
            Ok(snap) => run(&name, &args, &snap, &base, raw.as_deref()),
            Err(r) => return r.into_response(),
        },
        Err(f) => Err(f),
    };
    match result {
        Ok(result) => {
            axum::Json(json!({"help": help, "success": true, "result": result})).into_response()
        }
        Err(f) => {
            let mut error = Map::new();
            error.insert("__type".into(), json!(f.kind));
            error.insert("message".into(), json!(f.message));
            error.extend(f.extra);
            (
                f.status,
                axum::Json(json!({"help": help, "success": false, "error": error})),
            )
                .into_response()
        }
    }
}

fn run(
    name: &str,
    args: &Args,
    snap: &Snapshot,
    base: &str,
    raw_query: Option<&str>,
) -> Result<Json, Failure> {
    let cat = &snap.catalogue;
    match name {
        "package_list" => {
            let limit = args.int("limit", i64::MAX)?.max(0) as usize;
            let offset = args.int("offset", 0)?.max(0) as usize;
            let mut ids: Vec<&str> = cat.ids().collect();
            ids.sort_unstable();
            Ok(json!(
                ids.into_iter().skip(offset).take(limit).collect::<Vec<_>>()
            ))
        }
        "package_show" => {
            let id = required_id(args)?;
            let d = cat.dataset(&id).ok_or_else(|| not_found("Not found"))?;
            Ok(package(cat, d, base))
        }
        "package_search" => package_search(args, cat, base),
        "resource_show" => resource_show(args, cat, base),
        "group_show" => group_show(args, cat, base),
        "current_package_list_with_resources" => {
            current_package_list_with_resources(args, cat, base)
        }
        "package_autocomplete" => package_autocomplete(args, cat),
        "site_read" => Ok(json!(true)),
        "datastore_search" => datastore_search(args, cat, raw_query),
        "organization_list" | "organization_list_for_user" => {
            if args.bool("all_fields") {
                Ok(json!([organization(cat, base, true)]))
            } else {
                Ok(json!([ORG]))
            }
        }
        "organization_show" => {
            let id = args
                .str("id")
                .ok_or_else(|| validation("id", "Missing value"))?;
            if id != ORG {
                return Err(not_found("Not found: Organization not found"));
            }
            let mut org = organization(cat, base, true);
            if args.bool("include_datasets") {
                org["packages"] = json!(
                    cat.datasets
                        .iter()
                        .map(|d| package(cat, d, base))
                        .collect::<Vec<_>>()
                );
            }
            Ok(org)
        }
        "group_list" => {
            let groups = all_groups(cat);
            if args.bool("all_fields") {
                Ok(json!(
                    groups
                        .iter()
                        .map(|(code, n)| group(code, Some(*n)))
                        .collect::<Vec<_>>()
                ))
            } else {
                Ok(json!(
                    groups
                        .keys()
                        .map(|c| c.to_ascii_lowercase())
                        .collect::<Vec<_>>()
                ))
            }
        }
        "tag_list" => {
            let mut tags: Vec<&str> = cat
                .datasets
                .iter()
                .flat_map(|d| d.meta.keywords.iter().map(|k| k.fr.as_str()))
                .collect();
            tags.sort_unstable();
            tags.dedup();
            Ok(json!(tags))
        }
        "license_list" => Ok(json!([{
            "id": cat.publisher.licence_id,
            "title": cat.publisher.licence_title,
            "url": cat.publisher.licence_url,
            "od_conformance": "approved",
            "osd_conformance": "not reviewed",
            "status": "active",
        }])),
        "status_show" => Ok(json!({
            "site_title": "Territoria",
            "site_url": base,
            "site_description": "Territorial intelligence for Digital Wallonia",
            "ckan_version": "2.10.4",
            "locale_default": "fr",
            "extensions": ["territoria"],
        })),
        "help_show" => Ok(json!(format!(
            "Territoria implements CKAN's read-only actions: package_list, package_show, \
             package_search, current_package_list_with_resources, package_autocomplete, \
             resource_show, organization_list, organization_show, group_list, group_show, \
             tag_list, license_list, site_read, status_show, datastore_search. See {base}/api/openapi.json and docs/opendata.md."
        ))),
        _ => Err(fail(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            format!("Bad request - Action name not known: {name}"),
        )),
    }
}

fn ckan_time(cat: &Catalogue) -> String {
    // CKAN writes naive UTC timestamps with microseconds.
    cat.modified
        .map(|t| {
            let s = t.to_string();
            let s = s.trim_end_matches('Z');
            if s.contains('.') {
                format!("{s}000")
            } else {
                format!("{s}.000000")
            }
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00.000000".into())
}

fn organization(cat: &Catalogue, base: &str, counts: bool) -> Json {
    let mut o = json!({
        "id": ORG,
        "name": ORG,
        "title": cat.publisher.name,
        "display_name": cat.publisher.name,
        "description": "Territoria: plateforme d'intelligence territoriale de la stratégie Digital Wallonia.",
        "image_url": "",
        "image_display_url": "",
        "type": "organization",
        "is_organization": true,
        "state": "active",
        "approval_status": "approved",
        "created": ckan_time(cat),
        "url": base,
    });
    if counts {
        o["package_count"] = json!(cat.datasets.len());
    }
    o
}

fn theme_title(code: &str) -> &'static str {
    match code {
        "ECON" => "Economy and finance",
        "GOVE" => "Government and public sector",
        "REGI" => "Regions and cities",
        "SOCI" => "Population and society",
        "TECH" => "Science and technology",
        _ => "Other",
    }
}

fn group(code: &str, count: Option<usize>) -> Json {
    let mut g = json!({
        "id": code.to_ascii_lowercase(),
        "name": code.to_ascii_lowercase(),
        "title": theme_title(code),
        "display_name": theme_title(code),
        "description": format!("EU data theme {code}"),
        "image_display_url": "",
        "type": "group",
        "is_organization": false,
        "state": "active",
        "approval_status": "approved",
        "url": format!("http://publications.europa.eu/resource/authority/data-theme/{code}"),
    });
    if let Some(n) = count {
        g["package_count"] = json!(n);
    }
    g
}

fn all_groups(cat: &Catalogue) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for d in &cat.datasets {
        for t in &d.meta.themes {
            *m.entry(*t).or_insert(0) += 1;
        }
    }
    m
}

fn formats(d: &Dataset) -> Vec<Format> {
    Format::ALL
        .into_iter()
        .filter(|f| *f != Format::GeoJson || d.meta.geo_field.is_some())
        .collect()
}

fn dataset_url(d: &Dataset, base: &str) -> String {
    format!(
        "{base}{}/catalog/datasets/{}",
        crate::explore::BASE,
        d.meta.id
    )
}

fn resource_name(d: &Dataset, f: Format) -> String {
    format!("{} ({})", d.meta.title.fr, f.name().to_uppercase())
}

fn resource_description(f: Format) -> String {
    format!(
        "Export complet au format {} / full export as {}.",
        f.name(),
        f.name()
    )
}

/// A dataset's resources: one full export per format; the CSV one is also the dataset's
/// DataStore table (`datastore_search?resource_id=<dataset>-csv`).
fn resources(cat: &Catalogue, d: &Dataset, base: &str) -> Vec<Json> {
    let time = ckan_time(cat);
    let url = dataset_url(d, base);
    formats(d)
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            json!({
                "id": format!("{}-{}", d.meta.id, f.name()),
                "package_id": d.meta.id,
                "name": resource_name(d, f),
                "description": resource_description(f),
                "url": format!("{url}/exports/{}", f.name()),
                "format": f.name().to_uppercase(),
                "mimetype": f.media_type(),
                "state": "active",
                "position": i,
                "created": time,
                "last_modified": time,
                "metadata_modified": time,
                "url_type": null,
                "datastore_active": f == Format::Csv,
                "size": null,
                "hash": "",
            })
        })
        .collect()
}

/// A dataset's CKAN extras, `(key, value)`.
fn extras(cat: &Catalogue, d: &Dataset) -> Vec<(String, String)> {
    let _ = cat;
    let m = &d.meta;
    let themes: Vec<String> = m
        .themes
        .iter()
        .map(|t| format!("http://publications.europa.eu/resource/authority/data-theme/{t}"))
        .collect();
    let mut e: Vec<(&str, String)> = vec![
        ("demo", m.demo().to_string()),
        ("demo_records", m.demo_records.to_string()),
        ("records_count", d.table.len().to_string()),
        ("title_en", m.title.en.clone()),
        ("notes_en", m.full_description(Lang::En)),
        ("language", "fr".into()),
        (
            "spatial_uri",
            "http://publications.europa.eu/resource/authority/country/BEL".into(),
        ),
        ("theme", serde_json::to_string(&themes).unwrap_or_default()),
        ("features", features_of(d).join(",")),
    ];
    if let Some(i) = m.issued {
        e.push(("issued", i.to_string()));
    }
    if let Some((a, b)) = m.temporal {
        e.push(("temporal_start", a.to_string()));
        e.push(("temporal_end", b.to_string()));
    }
    e.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn package(cat: &Catalogue, d: &Dataset, base: &str) -> Json {
    let m = &d.meta;
    let p = &cat.publisher;
    let time = ckan_time(cat);
    let resources = resources(cat, d, base);
    let tags: Vec<Json> = m
        .keywords
        .iter()
        .map(|k| json!({"id": k.fr, "name": k.fr, "display_name": k.fr, "state": "active", "vocabulary_id": null}))
        .collect();
    let groups: Vec<Json> = m.themes.iter().map(|t| group(t, None)).collect();
    let extras: Vec<Json> = extras(cat, d)
        .into_iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    json!({
        "id": m.id,
        "name": m.id,
        "title": m.title.fr,
        "notes": m.full_description(Lang::Fr),
        "url": dataset_url(d, base),
        "version": null,
        "type": "dataset",
        "state": "active",
        "private": false,
        "isopen": true,
        "license_id": p.licence_id,
        "license_title": p.licence_title,
        "license_url": p.licence_url,
        "author": p.name,
        "author_email": p.email,
        "maintainer": p.name,
        "maintainer_email": p.email,
        "metadata_created": created(cat, d),
        "metadata_modified": time,
        "creator_user_id": null,
        "num_resources": resources.len(),
        "num_tags": tags.len(),
        "tags": tags,
        "groups": groups,
        "organization": organization(cat, base, false),
        "owner_org": ORG,
        "resources": resources,
        "extras": extras,
        "demo": m.demo(),
        "relationships_as_object": [],
        "relationships_as_subject": [],
    })
}

/// The fields of CKAN's Solr schema that `q`, `fq` and `facet.field` may name, with their
/// kinds (`extras_*` are text).
const SEARCH_FIELDS: &[(&str, FieldKind)] = &[
    ("id", FieldKind::String),
    ("name", FieldKind::String),
    ("title", FieldKind::Text),
    ("title_string", FieldKind::String),
    ("notes", FieldKind::Text),
    ("text", FieldKind::Text),
    ("tags", FieldKind::String),
    ("groups", FieldKind::String),
    ("organization", FieldKind::String),
    ("owner_org", FieldKind::String),
    ("res_format", FieldKind::String),
    ("res_name", FieldKind::Text),
    ("res_description", FieldKind::Text),
    ("res_url", FieldKind::String),
    ("url", FieldKind::String),
    ("license_id", FieldKind::String),
    ("license", FieldKind::String),
    ("author", FieldKind::Text),
    ("maintainer", FieldKind::Text),
    ("metadata_modified", FieldKind::Date),
    ("metadata_created", FieldKind::Date),
    ("num_resources", FieldKind::Number),
    ("num_tags", FieldKind::Number),
    ("state", FieldKind::String),
    ("dataset_type", FieldKind::String),
    ("type", FieldKind::String),
    ("capacity", FieldKind::String),
    ("entity_type", FieldKind::String),
    ("site_id", FieldKind::String),
    ("private", FieldKind::String),
    ("demo", FieldKind::String),
];

/// What `sort` may name.
const SORT_FIELDS: &[&str] = &[
    "id",
    "name",
    "title",
    "title_string",
    "metadata_modified",
    "metadata_created",
    "num_resources",
    "num_tags",
    "score",
    "relevance",
];

/// CKAN's `qf` for a `q` without a field (dismax).
const QUERY_FIELDS: &[(&str, f64)] = &[
    ("name", 4.0),
    ("title", 4.0),
    ("tags", 2.0),
    ("groups", 2.0),
    ("text", 1.0),
];

struct CkanSchema;

impl Schema for CkanSchema {
    fn kind(&self, field: &str) -> Option<FieldKind> {
        if field.starts_with("extras_") && field.len() > 7 {
            return Some(FieldKind::Text);
        }
        SEARCH_FIELDS
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, k)| *k)
    }
    fn names(&self) -> Vec<&str> {
        SEARCH_FIELDS.iter().map(|(f, _)| *f).collect()
    }
}

/// A dataset as CKAN's search index holds it.
struct Doc<'a> {
    cat: &'a Catalogue,
    d: &'a Dataset,
    base: &'a str,
}

impl Document for Doc<'_> {
    fn values(&self, field: &str) -> Vec<String> {
        values_of(self.cat, self.d, self.base, field)
    }
}

fn created(cat: &Catalogue, d: &Dataset) -> String {
    d.meta
        .issued
        .map(|i| format!("{i}T00:00:00.000000"))
        .unwrap_or_else(|| ckan_time(cat))
}

/// The values a dataset has for a CKAN search field.
fn values_of(cat: &Catalogue, d: &Dataset, base: &str, field: &str) -> Vec<String> {
    let m = &d.meta;
    let formats = formats(d);
    match field {
        "name" | "id" => vec![m.id.clone()],
        "title" => vec![m.title.fr.clone(), m.title.en.clone()],
        "title_string" => vec![m.title.fr.clone()],
        "notes" => vec![m.full_description(Lang::Fr), m.full_description(Lang::En)],
        "tags" => m.keywords.iter().map(|k| k.fr.clone()).collect(),
        "groups" => m.themes.iter().map(|t| t.to_ascii_lowercase()).collect(),
        "organization" | "owner_org" => vec![ORG.to_owned()],
        "res_format" => formats.iter().map(|f| f.name().to_uppercase()).collect(),
        "res_name" => formats.iter().map(|f| resource_name(d, *f)).collect(),
        "res_description" => formats.iter().map(|f| resource_description(*f)).collect(),
        "res_url" => formats
            .iter()
            .map(|f| format!("{}/exports/{}", dataset_url(d, base), f.name()))
            .collect(),
        "url" => vec![dataset_url(d, base)],
        "license_id" => vec![cat.publisher.licence_id.clone()],
        "license" => vec![cat.publisher.licence_title.clone()],
        "author" | "maintainer" => vec![cat.publisher.name.clone()],
        "metadata_modified" => vec![ckan_time(cat)],
        "metadata_created" => vec![created(cat, d)],
        "num_resources" => vec![formats.len().to_string()],
        "num_tags" => vec![m.keywords.len().to_string()],
        "demo" | "extras_demo" => vec![m.demo().to_string()],
        "type" | "dataset_type" => vec!["dataset".into()],
        "state" => vec!["active".into()],
        "capacity" => vec!["public".into()],
        "private" => vec!["false".into()],
        "entity_type" => vec!["package".into()],
        "site_id" => vec![ORG.into()],
        "text" => {
            let mut v: Vec<String> = [
                "name",
                "title",
                "notes",
                "tags",
                "groups",
                "organization",
                "res_name",
                "res_description",
                "license",
            ]
            .iter()
            .flat_map(|f| values_of(cat, d, base, f))
            .collect();
            v.extend(m.keywords.iter().map(|k| k.en.clone()));
            v.extend(m.themes.iter().map(|t| theme_title(t).to_owned()));
            v
        }
        f => match f.strip_prefix("extras_") {
            Some(key) => extras(cat, d)
                .into_iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v)
                .collect(),
            None => Vec::new(),
        },
    }
}

fn search_error(parameter: &str, e: &SolrError) -> Failure {
    let mut f = fail(
        StatusCode::CONFLICT,
        "Search Query Error",
        format!("Search Query is invalid: \"{parameter}: {e}\""),
    );
    f.extra.insert("parameter".into(), json!(parameter));
    f.extra.insert("position".into(), json!(e.position));
    f
}

fn parse_q(q: &str) -> Result<Query, Failure> {
    // CKAN: a `q` with a ':' is a fielded (lucene) query over `text`; otherwise dismax
    // over `name^4 title^4 tags^2 groups^2 text` with `mm=2<-1 5<80%`.
    let options = if q.contains(':') {
        Options::lucene("text")
    } else {
        Options {
            default_fields: QUERY_FIELDS
                .iter()
                .map(|(f, b)| ((*f).to_owned(), *b))
                .collect(),
            dismax: true,
        }
    };
    let q = match q.trim() {
        "\"\"" | "''" => "",
        q => q,
    };
    Query::parse(q, &CkanSchema, &options).map_err(|e| search_error("q", &e))
}

/// A sort key's value for one dataset.
#[derive(PartialEq, PartialOrd)]
enum Key {
    Num(f64),
    Text(String),
}

fn sort_key(cat: &Catalogue, d: &Dataset, field: &str, score: f64) -> Key {
    match field {
        "score" | "relevance" => Key::Num(score),
        "num_resources" => Key::Num(formats(d).len() as f64),
        "num_tags" => Key::Num(d.meta.keywords.len() as f64),
        "title" | "title_string" => Key::Text(d.meta.title.fr.to_lowercase()),
        "metadata_modified" => Key::Text(ckan_time(cat)),
        "metadata_created" => Key::Text(created(cat, d)),
        _ => Key::Text(d.meta.id.clone()),
    }
}

fn package_search(args: &Args, cat: &Catalogue, base: &str) -> Result<Json, Failure> {
    let q = args.str("q").unwrap_or_default();
    let rows = args.int("rows", 10)?;
    if rows < 0 {
        return Err(validation("rows", "Must be a natural number"));
    }
    let rows = rows.min(1000) as usize;
    let start = args.int("start", 0)?;
    if start < 0 {
        return Err(validation("start", "Must be a natural number"));
    }
    let sort = args
        .str("sort")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "score desc, metadata_modified desc".into());
    let facet_fields = args.list("facet.field")?;
    let facet_limit = args.int("facet.limit", 50)?;
    let facet_mincount = args.int("facet.mincount", 1)?.max(0) as usize;
    for f in &facet_fields {
        if CkanSchema.kind(f).is_none() {
            return Err(search_error(
                "facet.field",
                &SolrError {
                    position: 0,
                    message: format!("undefined field {f}"),
                },
            ));
        }
    }

    let query = parse_q(&q)?;
    // `fq` and `fq_list`: filters, each its own lucene query, all required.
    let mut filters = Vec::new();
    if let Some(fq) = args.str("fq") {
        filters.push(
            Query::parse(&fq, &CkanSchema, &Options::lucene("text"))
                .map_err(|e| search_error("fq", &e))?,
        );
    }
    for fq in args.list("fq_list")? {
        filters.push(
            Query::parse(&fq, &CkanSchema, &Options::lucene("text"))
                .map_err(|e| search_error("fq_list", &e))?,
        );
    }
    let keys = solr::parse_sort(&sort, SORT_FIELDS).map_err(|e| search_error("sort", &e))?;

    let mut hits: Vec<(&Dataset, f64)> = cat
        .datasets
        .iter()
        .filter_map(|d| {
            let doc = Doc { cat, d, base };
            if !filters.iter().all(|f| f.matches(&doc)) {
                return None;
            }
            query.score(&doc).map(|s| (d, s))
        })
        .collect();
    // A stable sort: ties keep catalogue order, so paging never repeats or skips one.
    hits.sort_by(|(a, sa), (b, sb)| {
        for (field, desc) in &keys {
            let o = sort_key(cat, a, field, *sa)
                .partial_cmp(&sort_key(cat, b, field, *sb))
                .unwrap_or(std::cmp::Ordering::Equal);
            let o = if *desc { o.reverse() } else { o };
            if o.is_ne() {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for f in &facet_fields {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for (d, _) in &hits {
            let mut vals = values_of(cat, d, base, f);
            vals.sort_unstable();
            vals.dedup();
            for v in vals {
                *counts.entry(v).or_insert(0) += 1;
            }
        }
        let mut items: Vec<(String, usize)> = counts
            .into_iter()
            .filter(|(_, n)| *n >= facet_mincount)
            .collect();
        items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if facet_limit >= 0 {
            items.truncate(facet_limit as usize);
        }
        let display = |v: &str| -> String {
            match f.as_str() {
                "organization" => cat.publisher.name.clone(),
                "groups" => theme_title(&v.to_ascii_uppercase()).to_owned(),
                _ => v.to_owned(),
            }
        };
        facets.insert(
            f.clone(),
            Json::Object(items.iter().map(|(v, n)| (v.clone(), json!(n))).collect()),
        );
        search_facets.insert(
            f.clone(),
            json!({
                "title": f,
                "items": items.iter().map(|(v, n)| json!({"name": v, "display_name": display(v), "count": n})).collect::<Vec<_>>(),
            }),
        );
    }
    let fl: Vec<String> = args
        .str("fl")
        .map(|s| {
            s.split([',', ' '])
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let count = hits.len();
    let results: Vec<Json> = hits
        .into_iter()
        .skip(start as usize)
        .take(rows)
        .map(|(d, _)| {
            let p = package(cat, d, base);
            if fl.is_empty() || fl.iter().any(|f| f == "*") {
                return p;
            }
            Json::Object(
                fl.iter()
                    .filter_map(|f| p.get(f).map(|v| (f.clone(), v.clone())))
                    .collect(),
            )
        })
        .collect();
    Ok(json!({
        "count": count,
        "facets": facets,
        "results": results,
        "sort": sort,
        "search_facets": search_facets,
    }))
}

/// `id` or `name`, or a validation error.
fn required_id(args: &Args) -> Result<String, Failure> {
    args.str("id")
        .or_else(|| args.str("name"))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| validation("id", "Missing value"))
}

fn resource_show(args: &Args, cat: &Catalogue, base: &str) -> Result<Json, Failure> {
    let id = required_id(args)?;
    cat.datasets
        .iter()
        .flat_map(|d| resources(cat, d, base))
        .find(|r| r["id"] == id.as_str())
        .ok_or_else(|| not_found("Not found: Resource was not found."))
}

fn group_show(args: &Args, cat: &Catalogue, base: &str) -> Result<Json, Failure> {
    let id = required_id(args)?;
    let code = id.to_ascii_uppercase();
    let members: Vec<&Dataset> = cat
        .datasets
        .iter()
        .filter(|d| d.meta.themes.iter().any(|t| *t == code))
        .collect();
    if members.is_empty() {
        return Err(not_found("Not found: Group not found"));
    }
    let mut g = group(&code, Some(members.len()));
    g["created"] = json!(ckan_time(cat));
    g["extras"] = json!([]);
    g["groups"] = json!([]);
    g["tags"] = json!([]);
    g["users"] = json!([]);
    g["num_followers"] = json!(0);
    // CKAN 2.10 lists at most 1000 datasets, and only when asked (the default is true
    // for a plain GET before 2.10; ckanapi asks `include_datasets=false`).
    let include = match args.0.get("include_datasets") {
        None => false,
        Some(_) => args.bool("include_datasets"),
    };
    if include {
        g["packages"] = json!(
            members
                .iter()
                .map(|d| package(cat, d, base))
                .collect::<Vec<_>>()
        );
    }
    Ok(g)
}

fn package_autocomplete(args: &Args, cat: &Catalogue) -> Result<Json, Failure> {
    let q = args.str("q").unwrap_or_default().to_lowercase();
    let limit = args.int("limit", 10)?.clamp(0, 100) as usize;
    let mut out = Vec::new();
    for d in &cat.datasets {
        let m = &d.meta;
        let (field, shown) = if m.id.to_lowercase().contains(&q) {
            ("name", m.id.clone())
        } else if m.title.fr.to_lowercase().contains(&q) {
            ("title", format!("{} ({})", m.title.fr, m.id))
        } else {
            continue;
        };
        out.push(json!({
            "name": m.id,
            "title": m.title.fr,
            "match_field": field,
            "match_displayed": shown,
        }));
    }
    out.truncate(limit);
    Ok(Json::Array(out))
}

fn current_package_list_with_resources(
    args: &Args,
    cat: &Catalogue,
    base: &str,
) -> Result<Json, Failure> {
    let limit = args.int("limit", i64::MAX)?;
    let offset = args.int("offset", 0)?;
    let page = args.int("page", 0)?;
    if limit < 0 || offset < 0 || page < 0 {
        return Err(validation("limit", "Must be a natural number"));
    }
    let offset = if page > 0 && limit != i64::MAX {
        (page - 1).saturating_mul(limit)
    } else {
        offset
    };
    // Newest first (metadata_modified desc); every dataset shares it, so catalogue order.
    Ok(json!(
        cat.datasets
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|d| package(cat, d, base))
            .collect::<Vec<_>>()
    ))
}

/// The dataset whose DataStore table a resource id names (its CSV resource's id, or the
/// dataset id itself, as a DataStore alias).
fn datastore_dataset<'c>(cat: &'c Catalogue, id: &str) -> Option<&'c Dataset> {
    cat.dataset(id)
        .or_else(|| id.strip_suffix("-csv").and_then(|d| cat.dataset(d)))
}

fn cell_json(v: ValueRef<'_>) -> Json {
    match v {
        ValueRef::Null => Json::Null,
        ValueRef::Bool(b) => json!(b),
        ValueRef::Int(i) => json!(i),
        ValueRef::Float(x) => serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number),
        // CKAN's DataStore writes timestamps without a zone (UTC).
        ValueRef::DateTime(t) => json!(t.to_string().trim_end_matches('Z')),
        other => datastore::cell_text(other).map_or(Json::Null, Json::String),
    }
}

/// A string, a JSON list, or a comma-separated string as a list.
fn names_list(args: &Args, k: &str) -> Result<Option<Vec<String>>, Failure> {
    let items = args.list(k)?;
    if items.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        items
            .iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    ))
}

/// A JSON object given as an object or a JSON-encoded string.
fn object_arg(args: &Args, k: &str) -> Result<Option<Map<String, Json>>, Failure> {
    match args.0.get(k) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(o)) => Ok(Some(o.clone())),
        Some(Json::String(s)) if s.trim_start().starts_with('{') => {
            match serde_json::from_str::<Json>(s) {
                Ok(Json::Object(o)) => Ok(Some(o)),
                _ => Err(validation(k, "Cannot parse JSON")),
            }
        }
        Some(Json::String(_)) if k == "q" => Ok(None),
        Some(_) => Err(validation(k, "Not a JSON object")),
    }
}

fn datastore_search(
    args: &Args,
    cat: &Catalogue,
    raw_query: Option<&str>,
) -> Result<Json, Failure> {
    let id = args
        .str("resource_id")
        .or_else(|| args.str("id"))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| validation("resource_id", "Missing value"))?;
    let d = datastore_dataset(cat, &id)
        .ok_or_else(|| not_found(format!("Not found: Resource \"{id}\" was not found.")))?;
    let limit = args.int("limit", 100)?;
    let offset = args.int("offset", 0)?;
    if limit < 0 {
        return Err(validation("limit", "Must be a natural number"));
    }
    if offset < 0 {
        return Err(validation("offset", "Must be a natural number"));
    }
    let limit = limit.min(32000) as usize;
    let mut search = datastore::Search {
        offset: offset as usize,
        limit,
        fields: names_list(args, "fields")?,
        ..Default::default()
    };
    if let Some(filters) = object_arg(args, "filters")? {
        for (k, v) in filters {
            let vals = match v {
                Json::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                    .collect(),
                Json::String(s) => vec![s],
                other => vec![other.to_string()],
            };
            search.filters.push((k, vals));
        }
    }
    match object_arg(args, "q")? {
        Some(o) => {
            for (k, v) in o {
                search
                    .q_fields
                    .push((k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)));
            }
        }
        None => search.q = args.str("q").filter(|s| !s.trim().is_empty()),
    }
    for key in names_list(args, "sort")?.unwrap_or_default() {
        let mut parts = key.split_whitespace();
        let field = parts
            .next()
            .unwrap_or_default()
            .trim_matches('"')
            .to_owned();
        let desc = match parts.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(validation("sort", &format!("invalid sort \"{key}\""))),
        };
        search.sort.push((field, desc));
    }
    let page = datastore::search(d, &search).map_err(|e| {
        validation(
            e.parameter,
            &format!("field \"{}\" not in resource", e.field),
        )
    })?;
    let records: Vec<Json> = page
        .rows
        .iter()
        .map(|row| {
            Json::Object(
                page.columns
                    .iter()
                    .map(|c| {
                        let v = match c.field {
                            None => json!(row.index() + 1),
                            Some(f) => cell_json(row.get(f)),
                        };
                        (c.name.clone(), v)
                    })
                    .collect(),
            )
        })
        .collect();
    let fields: Vec<Json> = page
        .columns
        .iter()
        .map(|c| json!({"id": c.name, "type": c.ds_type}))
        .collect();
    // CKAN's links: the same query string, without `offset`, then at the next offset.
    let params: Vec<(String, String)> = form_urlencoded::parse(raw_query.unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "offset")
        .collect();
    let link = |offset: Option<usize>| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if params.is_empty() {
            s.append_pair("resource_id", &id);
        }
        for (k, v) in &params {
            s.append_pair(k, v);
        }
        if let Some(o) = offset {
            s.append_pair("offset", &o.to_string());
        }
        format!("/api/3/action/datastore_search?{}", s.finish())
    };
    let mut links = json!({
        "start": link(None),
        "next": link(Some(search.offset + limit)),
    });
    if search.offset > limit {
        links["prev"] = json!(link(Some(search.offset - limit)));
    }
    let mut out = json!({
        "include_total": true,
        "limit": limit,
        "records_format": "objects",
        "resource_id": id,
        "total_estimation_threshold": null,
        "records": records,
        "fields": fields,
        "_links": links,
    });
    if args.0.get("include_total").is_none() || args.bool("include_total") {
        out["total"] = json!(page.total);
        out["total_was_estimated"] = json!(false);
    } else {
        out["include_total"] = json!(false);
    }
    for k in ["q", "filters", "sort", "offset", "fields"] {
        if let Some(v) = args.0.get(k) {
            out[k] = v.clone();
        }
    }
    Ok(out)
}
