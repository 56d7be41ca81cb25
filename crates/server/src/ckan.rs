//! The CKAN action API (`/api/3/action/{action}`, also `/api/action/{action}` as
//! `ckanapi` calls it), read-only, over the open-data catalogue: `package_list`,
//! `package_show`, `package_search`, `organization_list`, `organization_show`,
//! `group_list`, `tag_list`, `license_list`, `status_show`.
//!
//! Parameters come from the query string (GET) or a JSON object body (POST, `ckanapi`'s
//! default). Answers keep CKAN's envelope `{"help": …, "success": true, "result": …}`;
//! errors `{"help": …, "success": false, "error": {"__type": "Not Found Error" |
//! "Validation Error" | "Search Query Error" | "Bad Request", "message": …}}` with CKAN's
//! statuses (404, 409, 409, 400).

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value as Json, json};
use territoria_model::Lang;
use territoria_opendata::{Catalogue, Dataset, Format};

use crate::explore::{OpenData, Snapshot, base_url, features_of};

pub(crate) fn routes() -> Router<OpenData> {
    Router::new()
        .route("/api/3/action/{action}", get(action).post(action))
        .route("/api/action/{action}", get(action).post(action))
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
            Ok(snap) => run(&name, &args, &snap, &base),
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

fn run(name: &str, args: &Args, snap: &Snapshot, base: &str) -> Result<Json, Failure> {
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
            let id = args
                .str("id")
                .or_else(|| args.str("name"))
                .ok_or_else(|| validation("id", "Missing value"))?;
            let d = cat.dataset(&id).ok_or_else(|| not_found("Not found"))?;
            Ok(package(cat, d, base))
        }
        "package_search" => package_search(args, cat, base),
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
                return Err(not_found("Organization not found"));
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
             package_search, organization_list, organization_show, group_list, tag_list, \
             license_list, status_show. See {base}/api/openapi.json and docs/opendata.md."
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

fn package(cat: &Catalogue, d: &Dataset, base: &str) -> Json {
    let m = &d.meta;
    let p = &cat.publisher;
    let time = ckan_time(cat);
    let url = format!("{base}{}/catalog/datasets/{}", crate::explore::BASE, m.id);
    let resources: Vec<Json> = formats(d)
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            json!({
                "id": format!("{}-{}", m.id, f.name()),
                "package_id": m.id,
                "name": format!("{} ({})", m.title.fr, f.name().to_uppercase()),
                "description": format!("Export complet au format {} / full export as {}.", f.name(), f.name()),
                "url": format!("{url}/exports/{}", f.name()),
                "format": f.name().to_uppercase(),
                "mimetype": f.media_type(),
                "state": "active",
                "position": i,
                "created": time,
                "last_modified": time,
                "metadata_modified": time,
                "url_type": null,
                "datastore_active": false,
                "size": null,
                "hash": "",
            })
        })
        .collect();
    let tags: Vec<Json> = m
        .keywords
        .iter()
        .map(|k| json!({"id": k.fr, "name": k.fr, "display_name": k.fr, "state": "active", "vocabulary_id": null}))
        .collect();
    let groups: Vec<Json> = m.themes.iter().map(|t| group(t, None)).collect();
    let mut extras = vec![
        json!({"key": "demo", "value": m.demo().to_string()}),
        json!({"key": "demo_records", "value": m.demo_records.to_string()}),
        json!({"key": "records_count", "value": d.table.len().to_string()}),
        json!({"key": "title_en", "value": m.title.en}),
        json!({"key": "notes_en", "value": m.full_description(Lang::En)}),
        json!({"key": "language", "value": "fr"}),
        json!({"key": "spatial_uri", "value": "http://publications.europa.eu/resource/authority/country/BEL"}),
        json!({"key": "theme", "value": serde_json::to_string(&m.themes.iter().map(|t| format!("http://publications.europa.eu/resource/authority/data-theme/{t}")).collect::<Vec<_>>()).unwrap_or_default()}),
        json!({"key": "features", "value": features_of(d).join(",")}),
    ];
    if let Some(i) = m.issued {
        extras.push(json!({"key": "issued", "value": i.to_string()}));
    }
    if let Some((a, b)) = m.temporal {
        extras.push(json!({"key": "temporal_start", "value": a.to_string()}));
        extras.push(json!({"key": "temporal_end", "value": b.to_string()}));
    }
    json!({
        "id": m.id,
        "name": m.id,
        "title": m.title.fr,
        "notes": m.full_description(Lang::Fr),
        "url": url,
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
        "metadata_created": m.issued.map(|i| format!("{i}T00:00:00.000000")).unwrap_or_else(|| time.clone()),
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

/// The values a dataset has for a CKAN search field.
fn values_of(cat: &Catalogue, d: &Dataset, field: &str) -> Option<Vec<String>> {
    let m = &d.meta;
    Some(match field {
        "name" | "id" => vec![m.id.clone()],
        "title" | "title_string" => vec![m.title.fr.clone(), m.title.en.clone()],
        "notes" => vec![m.full_description(Lang::Fr), m.full_description(Lang::En)],
        "tags" => m.keywords.iter().map(|k| k.fr.clone()).collect(),
        "groups" => m.themes.iter().map(|t| t.to_ascii_lowercase()).collect(),
        "organization" | "owner_org" => vec![ORG.to_owned()],
        "res_format" => formats(d).iter().map(|f| f.name().to_uppercase()).collect(),
        "license_id" => vec![cat.publisher.licence_id.clone()],
        "demo" => vec![m.demo().to_string()],
        "type" | "dataset_type" => vec!["dataset".into()],
        "state" => vec!["active".into()],
        _ => return None,
    })
}

/// Splits a Solr-ish query into terms, keeping `"quoted phrases"` together.
fn terms(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in q.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter()
        .filter(|t| !matches!(t.as_str(), "AND" | "&&"))
        .collect()
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Whether a dataset matches one query term (`field:value`, `-field:value`, or free text).
fn matches_term(cat: &Catalogue, d: &Dataset, term: &str, strict: bool) -> Result<bool, Failure> {
    let (negate, term) = match term.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, term.strip_prefix('+').unwrap_or(term)),
    };
    if term == "*:*" || term == "*" {
        return Ok(!negate);
    }
    let hit = match term.split_once(':') {
        Some((field, value)) if !field.is_empty() => {
            let value = unquote(value);
            match values_of(cat, d, field) {
                Some(vals) => value == "*" || vals.iter().any(|v| v.eq_ignore_ascii_case(value)),
                None if strict => {
                    return Err(fail(
                        StatusCode::CONFLICT,
                        "Search Query Error",
                        format!("Search Query is invalid: unknown field '{field}'"),
                    ));
                }
                None => false,
            }
        }
        _ => {
            let needle = unquote(term).to_lowercase();
            ["name", "title", "notes", "tags", "groups", "res_format"]
                .iter()
                .filter_map(|f| values_of(cat, d, f))
                .flatten()
                .any(|v| v.to_lowercase().contains(&needle))
        }
    };
    Ok(hit != negate)
}

fn package_search(args: &Args, cat: &Catalogue, base: &str) -> Result<Json, Failure> {
    let q = args.str("q").unwrap_or_default();
    let fq = args.str("fq").unwrap_or_default();
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

    let mut hits: Vec<&Dataset> = Vec::new();
    'datasets: for d in &cat.datasets {
        for t in terms(&q).iter().chain(terms(&fq).iter()) {
            if !matches_term(cat, d, t, true)? {
                continue 'datasets;
            }
        }
        hits.push(d);
    }
    for key in sort.split(',').rev() {
        let mut parts = key.split_whitespace();
        let field = parts.next().unwrap_or("");
        let desc = match parts.next().unwrap_or("asc") {
            "asc" => false,
            "desc" => true,
            other => {
                return Err(fail(
                    StatusCode::CONFLICT,
                    "Search Query Error",
                    format!("Search Query is invalid: \"Invalid sort direction '{other}'\""),
                ));
            }
        };
        let key_of = |d: &Dataset| -> String {
            match field {
                "name" => d.meta.id.clone(),
                "title_string" | "title" => d.meta.title.fr.to_lowercase(),
                "metadata_modified" | "metadata_created" => {
                    d.meta.modified.map(|t| t.to_string()).unwrap_or_default()
                }
                "num_resources" => format!("{:04}", formats(d).len()),
                _ => String::new(),
            }
        };
        if !matches!(
            field,
            "name"
                | "title_string"
                | "title"
                | "metadata_modified"
                | "metadata_created"
                | "num_resources"
                | "score"
                | "relevance"
        ) {
            return Err(fail(
                StatusCode::CONFLICT,
                "Search Query Error",
                format!("Search Query is invalid: \"can not sort on undefined field: {field}\""),
            ));
        }
        hits.sort_by(|a, b| {
            let o = key_of(a).cmp(&key_of(b));
            if desc { o.reverse() } else { o }
        });
    }
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for f in &facet_fields {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for d in &hits {
            for v in values_of(cat, d, f).unwrap_or_default() {
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
    let count = hits.len();
    let results: Vec<Json> = hits
        .into_iter()
        .skip(start as usize)
        .take(rows)
        .map(|d| package(cat, d, base))
        .collect();
    Ok(json!({
        "count": count,
        "facets": facets,
        "results": results,
        "sort": sort,
        "search_facets": search_facets,
    }))
}
