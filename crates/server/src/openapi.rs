//! The OpenAPI 3.1 description of the API, written by hand.
//!
//! Its `paths` are exactly [`crate::ROUTES`] (tested), and the integration tests check
//! real answers against its schemas, so the document cannot drift silently from the
//! read models of `territoria_store::read`.

use serde_json::{Value, json};
use territoria_model::EntityKind;

use crate::api::{DEFAULT_LIMIT, DEMO_NOTICE, MAX_LIMIT, MAX_OFFSET, MAX_TEXT};
use crate::routes;

const DESCRIPTION: &str = "Read API of Territoria, an open-source territorial-intelligence platform: \
the Digital Wallonia strategy (ambitions, levers, programmes, actions, indicators and their sourced observations), \
reference concept schemes (NACE-BEL 2008 and 2025, Belgian territory by REFNIS code, judicial arrondissements and cantons, \
KBO/BCE legal forms, …) and the entities of the ecosystem (organisations, actions, places, …).\n\n\
Every fact carries its provenance (`source`, `date`, `inferred`, `demo`). \
**Demo records are synthetic**: organisations, actions and places with `provenance.demo = true` are produced by \
the Territoria demo generator and are not real; every answer that contains some has a top-level `notice`.\n\n\
All routes are read-only `GET`s answering UTF-8 JSON (except `/`, a small HTML page). \
Errors are `{\"error\": {\"code\", \"message\", …}}`; a `bad_parameter` error names the parameter and may suggest \
close valid values.";

/// The whole document.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Territoria API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "tags": [
            {"name": "service", "description": "Health and self-description."},
            {"name": "strategies", "description": "Strategy trees with indicators and observations."},
            {"name": "schemes", "description": "Concept schemes (taxonomies) and their concepts."},
            {"name": "entities", "description": "Organisations, actions, places and every other kind of entity."},
            {"name": "magnets", "description": "Saved smart magnets: named, versioned, shareable."},
            {"name": "digiscore", "description": "Digiscore, the digital-maturity self-assessment: questionnaires, the anonymised barometer, and an assessment's life at its private link (no account: the secret is the capability)."},
            {"name": "ckan", "description": "Open data as CKAN's action API serves it (`ckanapi`, ckanext-harvest, DataStore readers). See docs/opendata.md."},
            {"name": "explore", "description": "Open data as the Opendatasoft Explore API v2.1 serves it (ODSQL, facets, exports; errors `{\"error_code\", \"message\"}`), Opendatasoft's download path, and the DCAT-AP 3 catalogue. Readable from any origin (CORS). See docs/opendata.md."},
        ],
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "parameters": parameters(),
            "responses": responses(),
            "securitySchemes": security_schemes(),
        },
    })
}

/// The paths of every face, the governing face's merged in.
fn paths() -> Value {
    let mut p = match base_paths() {
        Value::Object(m) => m,
        _ => unreachable!("paths are an object"),
    };
    if let Some(entity) = p.get_mut(routes::ENTITY).and_then(Value::as_object_mut) {
        entity.insert("put".into(), crate::account::openapi::entity_put());
    }
    // A path both faces serve (`GET /api/strategies`, `POST` to create one) keeps the
    // operations of each.
    for (path, item) in crate::account::openapi::paths()
        .into_iter()
        .chain(crate::digiscore::openapi::paths())
    {
        match (p.get_mut(&path).and_then(Value::as_object_mut), item) {
            (Some(existing), Value::Object(ops)) => existing.extend(ops),
            (_, item) => {
                p.insert(path, item);
            }
        }
    }
    Value::Object(p)
}

fn security_schemes() -> Value {
    let mut s = crate::account::openapi::security_schemes();
    s.insert(
        "writeToken".into(),
        json!({"type": "http", "scheme": "bearer",
            "description": "The server's `write_token`, for writes (saving a magnet)."}),
    );
    Value::Object(s)
}

fn json_content(schema: &str) -> Value {
    json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}})
}

fn ok(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": json_content(schema)})
}

fn err(name: &str) -> Value {
    json!({"$ref": format!("#/components/responses/{name}")})
}

fn path_param(name: &str, description: &str, example: &str) -> Value {
    json!({
        "name": name, "in": "path", "required": true, "description": description,
        "schema": {"type": "string"}, "example": example,
    })
}

fn param_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/parameters/{name}")})
}

fn base_paths() -> Value {
    let mut p = serde_json::Map::new();
    p.insert(routes::LANDING.into(), json!({"get": {
        "tags": ["service"],
        "operationId": "landing",
        "summary": "Landing page (HTML, French then English)",
        "description": "What Territoria is, the counts of this instance, the demo-data notice and links to the API. No JavaScript.",
        "responses": {
            "200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}},
            "500": err("Internal"),
        },
    }}));
    p.insert(
        routes::HEALTH.into(),
        json!({"get": {
            "tags": ["service"],
            "operationId": "health",
            "summary": "Health, version and counts",
            "responses": {
                "200": ok("The service is up and the store answers.", "Health"),
                "400": err("BadParameter"),
                "500": err("Internal"),
            },
        }}),
    );
    p.insert(routes::STRATEGIES.into(), json!({"get": {
        "tags": ["strategies"],
        "operationId": "listStrategies",
        "summary": "Strategies and their versions",
        "responses": {
            "200": {"description": "Every strategy.", "content": {"application/json": {"schema": {
                "type": "array", "items": {"$ref": "#/components/schemas/StrategySummary"}}}}},
            "400": err("BadParameter"),
            "500": err("Internal"),
        },
    }}));
    p.insert(routes::STRATEGY.into(), json!({"get": {
        "tags": ["strategies"],
        "operationId": "getStrategy",
        "summary": "A strategy's whole tree in one version",
        "description": "Ambitions, values, levers, programmes and actions with their indicators, observations, targets and provenance. Each node's `link` is the provenance of its link to its parent (`inferred` when the source does not state it). Names may differ between versions.",
        "parameters": [
            path_param("id", "Strategy id.", "digital-wallonia"),
            {"name": "version", "in": "query", "required": false,
             "description": "Version id (e.g. `v3`, `2024-2029`); the latest when absent.",
             "schema": {"type": "string"}, "example": "2024-2029"},
        ],
        "responses": {
            "200": ok("The tree.", "StrategyTree"),
            "400": err("BadParameter"),
            "404": err("NotFound"),
            "500": err("Internal"),
        },
    }}));
    p.insert(routes::SCHEMES.into(), json!({"get": {
        "tags": ["schemes"],
        "operationId": "listSchemes",
        "summary": "Concept schemes",
        "description": "Scheme ids include `nace-bel-2008`, `nace-bel-2025`, `territory` (REFNIS codes), `judicial-territory`, `legal-form`, `organisation-kind`, `size-class`, `target-audience`, `action-type`, `funding-source`.",
        "responses": {
            "200": {"description": "Every scheme with its number of concepts.", "content": {"application/json": {"schema": {
                "type": "array", "items": {"$ref": "#/components/schemas/SchemeSummary"}}}}},
            "400": err("BadParameter"),
            "500": err("Internal"),
        },
    }}));
    p.insert(routes::CONCEPT.into(), json!({"get": {
        "tags": ["schemes"],
        "operationId": "getConcept",
        "summary": "A concept: labels, broader chain, narrower concepts, links, postal codes, geometry",
        "parameters": [
            path_param("scheme", "Scheme id.", "nace-bel-2008"),
            path_param("notation", "The concept's code in its scheme (may contain dots: `62.010`; REFNIS codes for `territory`: `62063` Liège, `03000` Wallonia).", "62.010"),
        ],
        "responses": {
            "200": ok("The concept.", "ConceptDetail"),
            "400": err("BadParameter"),
            "404": err("NotFound"),
            "500": err("Internal"),
        },
    }}));
    p.insert(routes::ENTITIES.into(), json!({"get": {
        "tags": ["entities"],
        "operationId": "listEntities",
        "summary": "A page of entities of one kind, filtered",
        "description": "Sorted by name. Unknown parameters are refused (400) so that a typo does not silently return unfiltered results.",
        "parameters": [
            param_ref("Kind"),
            {"name": "concept", "in": "query", "required": false, "style": "form", "explode": true,
             "description": "`scheme:notation`; repeatable, the filters are ANDed. Each matches entities tagged with the concept or any narrower one (`nace-bel-2008:62` matches `62.010`; `territory:03000` matches every Walloon municipality). An unknown scheme or notation is a 400 with suggestions.",
             "schema": {"type": "array", "items": {"type": "string", "pattern": "^[^:]+:.+$"}},
             "example": ["territory:62063"]},
            {"name": "q", "in": "query", "required": false,
             "description": "Text contained in a name (any language) or in the id.",
             "schema": {"type": "string", "maxLength": MAX_TEXT}},
            {"name": "demo", "in": "query", "required": false,
             "description": "`true`: synthetic demo records only; `false`: real records only; absent: both.",
             "schema": {"type": "boolean"}},
            {"name": "limit", "in": "query", "required": false, "description": "Page size.",
             "schema": {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
            {"name": "offset", "in": "query", "required": false, "description": "Items to skip.",
             "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
        ],
        "responses": {
            "200": ok("The page.", "EntityPage"),
            "400": err("BadParameter"),
            "500": err("Internal"),
        },
    }}));
    p.insert(routes::ENTITY.into(), json!({"get": {
        "tags": ["entities"],
        "operationId": "getEntity",
        "summary": "One entity with its concepts, relations, placements in strategies and indicators",
        "parameters": [
            param_ref("Kind"),
            path_param("id", "The entity's id (its key).", "dw4ai"),
        ],
        "responses": {
            "200": ok("The entity.", "EntityDetail"),
            "400": err("BadParameter"),
            "404": err("NotFound"),
            "500": err("Internal"),
        },
    }}));
    p.insert(routes::MAGNET_SEARCH.into(), json!({"get": {
        "tags": ["entities"],
        "operationId": "searchMagnet",
        "summary": "Members of a smart magnet, with facet counts",
        "description": "A magnet is a boolean combination of concept terms (`scheme:notation`, matching narrower concepts), relation terms (`rel:kind=target`), comparisons (`founded>=2015`) and text; see docs/magnets.md. Facet counts are disjunctive (a scheme's own terms are left out of its counts) and hierarchical (one level below the refinement).",
        "parameters": [
            {"name": "q", "in": "query", "required": false,
             "description": "The magnet, text form (or JSON form when it starts with `{`). Empty: every entity of the kind. A malformed magnet is a 400 naming the position.",
             "schema": {"type": "string", "maxLength": 65536},
             "example": "nace-bel-2008:C AND (rel:labelled=label/factory-of-the-future OR rel:labelled=label/made-different) AND rel:member_of=organisation-kind:pole-de-competitivite"},
            {"name": "facets", "in": "query", "required": false,
             "description": "Comma-separated schemes to count (default: organisation-kind, nace-bel-2008, territory, size-class, digital-offer, legal-form).",
             "schema": {"type": "string"}},
            {"name": "kind", "in": "query", "required": false, "description": "Entity kind searched (default organisation).",
             "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "required": false, "description": "Members listed.",
             "schema": {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
            {"name": "offset", "in": "query", "required": false, "description": "Members skipped.",
             "schema": {"type": "integer", "minimum": 0, "maximum": 10000, "default": 0}},
            {"name": "facet_limit", "in": "query", "required": false, "description": "Values per facet.",
             "schema": {"type": "integer", "minimum": 0, "maximum": 100, "default": 10}},
            {"name": "sort", "in": "query", "required": false,
             "description": "Order of the members: `name` (default), `date` (oldest founding or start date first, undated last), `-date` (newest first), `relevance` (most matched terms first; a text term found in the name counts double).",
             "schema": {"type": "string", "enum": ["name", "date", "-date", "relevance"], "default": "name"}},
        ],
        "responses": {
            "200": ok("The members and facets.", "MagnetResult"),
            "400": err("BadParameter"),
            "500": err("Internal"),
        },
    }}));
    p.insert(routes::MAGNETS.into(), json!({
        "get": {
            "tags": ["magnets"],
            "operationId": "listMagnets",
            "summary": "Saved smart magnets, with their versions and current member counts",
            "responses": {
                "200": {"description": "The saved magnets.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/SavedMagnet"}}}}},
                "400": err("BadParameter"),
                "500": err("Internal"),
            },
        },
        "post": {
            "tags": ["magnets"],
            "operationId": "saveMagnet",
            "summary": "Save a smart magnet (a changed query becomes a new version)",
            "description": "When the server has a write token (`write_token` in its configuration), this takes `Authorization: Bearer <token>`; without one, anyone who reaches the server may save.",
            "security": [{}, {"writeToken": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "required": ["id", "name"], "additionalProperties": false,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"},
                    "name": {"$ref": "#/components/schemas/Labels"},
                    "q": {"type": "string", "description": "The magnet, text form."},
                    "kind": {"type": "string", "default": "organisation"},
                },
            }}}},
            "responses": {
                "201": ok("The saved magnet.", "SavedMagnet"),
                "400": err("BadParameter"),
                "401": err("Unauthorized"),
                "500": err("Internal"),
            },
        },
    }));
    p.insert(routes::MAGNET.into(), json!({"get": {
        "tags": ["magnets"],
        "operationId": "getMagnet",
        "summary": "A saved smart magnet with its versions and current member count",
        "parameters": [
            path_param("id", "The magnet's id.", "manufacturing-labelled-pole-members"),
            {"name": "at", "in": "query", "required": false, "schema": {"type": "string", "format": "date"},
             "description": "Also count the members on this date (entities founded by then, relations started by then): how the cluster grew."},
        ],
        "responses": {
            "200": ok("The magnet.", "SavedMagnet"),
            "400": err("BadParameter"),
            "404": err("NotFound"),
            "500": err("Internal"),
        },
    }}));
    p.insert(routes::MAGNET_MEMBERS.into(), json!({"get": {
        "tags": ["magnets"],
        "operationId": "getMagnetMembers",
        "summary": "Members of a saved magnet (latest version): JSON page, or every member as CSV (`;`, UTF-8 BOM)",
        "parameters": [
            path_param("id", "The magnet's id.", "manufacturing-labelled-pole-members"),
            {"name": "format", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}},
            {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "maximum": 10000, "default": 100}},
            {"name": "offset", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "default": 0}},
        ],
        "responses": {
            "200": {"description": "The members.", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/MagnetResult"}},
                "text/csv": {"schema": {"type": "string"}},
            }},
            "400": err("BadParameter"),
            "404": err("NotFound"),
            "500": err("Internal"),
        },
    }}));
    p.insert(routes::OPENAPI.into(), json!({"get": {
        "tags": ["service"],
        "operationId": "openapi",
        "summary": "This document",
        "responses": {
            "200": {"description": "The OpenAPI 3.1 document.", "content": {"application/json": {"schema": {"type": "object"}}}},
        },
    }}));
    explore_paths(&mut p);
    ckan_paths(&mut p);
    Value::Object(p)
}

/// The CKAN action API: one path per action (`/api/3/action/{name}`; `POST` with a JSON
/// body takes the same arguments).
fn ckan_paths(p: &mut serde_json::Map<String, Value>) {
    let q = |name: &str, description: &str| {
        json!({"name": name, "in": "query", "required": false,
               "description": description, "schema": {"type": "string"}})
    };
    let envelope = json!({"application/json": {"schema": {
        "type": "object",
        "required": ["help", "success"],
        "properties": {
            "help": {"type": "string"},
            "success": {"type": "boolean"},
            "result": {},
            "error": {"type": "object", "properties": {
                "__type": {"type": "string"}, "message": {"type": "string"}}},
        },
    }}});
    let fail = |d: &str| json!({"description": d, "content": envelope.clone()});
    let actions: [(&str, &str, Vec<Value>); 17] = [
        (
            "package_list",
            "Dataset names",
            vec![
                q("limit", "At most this many."),
                q("offset", "Skip this many."),
            ],
        ),
        (
            "package_show",
            "One dataset with its resources",
            vec![q("id", "The dataset's name or id.")],
        ),
        (
            "package_search",
            "Search datasets (Solr syntax)",
            vec![
                q("q", "Words or `field:value`."),
                q(
                    "fq",
                    "Filter query: `field:value` terms on name, tags, groups, organization, res_format, license_id, metadata_modified (`[… TO *]`), demo; `AND`, `OR`, `NOT`, parentheses.",
                ),
                q("rows", "Results (default 10, at most 1000)."),
                q("start", "First result."),
                q(
                    "sort",
                    "`name`, `title_string`, `metadata_modified`, `id`, `score`, with `asc`/`desc`.",
                ),
                q("facet.field", "Facet fields, a JSON list."),
                q("facet.limit", "Values per facet (default 50, -1: all)."),
                q("facet.mincount", "Least count shown."),
            ],
        ),
        (
            "package_autocomplete",
            "Datasets whose name or title begins with `q`",
            vec![q("q", "The beginning."), q("limit", "At most this many.")],
        ),
        (
            "current_package_list_with_resources",
            "Datasets with their resources, most recent first",
            vec![
                q("limit", "At most this many."),
                q("offset", "Skip this many."),
            ],
        ),
        (
            "resource_show",
            "One resource (an export of a dataset)",
            vec![q("id", "The resource id.")],
        ),
        (
            "datastore_search",
            "Rows of a resource's table (DataStore)",
            vec![
                q("resource_id", "The resource id."),
                q("q", "Full-text search."),
                q("filters", "A JSON object of field → value."),
                q("limit", "Rows (default 100)."),
                q("offset", "First row."),
                q("fields", "Comma-separated fields."),
                q("sort", "`field [asc|desc]`, comma-separated."),
            ],
        ),
        (
            "group_list",
            "The groups (EU data themes)",
            vec![q("all_fields", "Whole objects (true) or names.")],
        ),
        (
            "group_show",
            "One group",
            vec![q("id", "The group's name.")],
        ),
        (
            "organization_list",
            "The organisations (the publisher)",
            vec![q("all_fields", "Whole objects (true) or names.")],
        ),
        (
            "organization_list_for_user",
            "The organisations (the publisher)",
            vec![],
        ),
        (
            "organization_show",
            "The publisher",
            vec![q("id", "The organisation's name.")],
        ),
        ("tag_list", "Keywords", vec![]),
        ("license_list", "The licence", vec![]),
        ("status_show", "Site status and version", vec![]),
        ("site_read", "Whether the site can be read (`true`)", vec![]),
        (
            "help_show",
            "An action's documentation",
            vec![q("name", "The action.")],
        ),
    ];
    for (name, summary, parameters) in actions {
        p.insert(
            format!("/api/3/action/{name}"),
            json!({"get": {
                "tags": ["ckan"],
                "operationId": format!("ckan_{name}"),
                "summary": summary,
                "description": "CKAN's envelope `{\"help\", \"success\", \"result\"}`; also at `/api/action/…` and as `POST` with a JSON body.",
                "parameters": parameters,
                "responses": {
                    "200": {"description": "`success: true`, the `result`.", "content": envelope.clone()},
                    "400": fail("Bad Request (`success: false`)."),
                    "404": fail("Not Found Error: no such dataset, resource, group or action."),
                    "409": fail("Validation Error or Search Query Error: a missing or bad argument."),
                },
            }}),
        );
    }
}

fn parameters() -> Value {
    let kinds: Vec<&str> = EntityKind::all()
        .iter()
        .flat_map(|k| [k.plural(), k.as_str()])
        .collect();
    json!({
        "Kind": {
            "name": "kind", "in": "path", "required": true,
            "description": "Entity kind, plural or singular (`organisations` or `organisation`). An unknown kind is a 400 that suggests the closest.",
            "schema": {"type": "string", "enum": kinds},
            "example": "organisations",
        },
    })
}

fn responses() -> Value {
    let mut r = match base_responses() {
        Value::Object(m) => m,
        _ => unreachable!("responses are an object"),
    };
    r.extend(crate::account::openapi::responses());
    Value::Object(r)
}

fn base_responses() -> Value {
    json!({
        "BadParameter": {
            "description": "A path segment or query parameter is invalid; `parameter` names it, `message` says what is expected, `suggestions` lists close valid values.",
            "content": json_content("Error"),
        },
        "NotFound": {"description": "Nothing at this address.", "content": json_content("Error")},
        "Unauthorized": {"description": "A write without the server's write token (`WWW-Authenticate: Bearer`).", "content": json_content("Error")},
        "Internal": {"description": "An internal error; the cause is logged, not shown.", "content": json_content("Error")},
    })
}

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn array_of(name: &str) -> Value {
    json!({"type": "array", "items": r(name)})
}

fn schemas() -> Value {
    let kinds: Vec<&str> = EntityKind::all().iter().map(|k| k.as_str()).collect();
    let free_object = json!({"type": "object", "additionalProperties": true});
    let notice = json!({"type": "string", "description": "Present when the answer contains synthetic demo records.", "example": DEMO_NOTICE});
    let date = json!({"type": "string", "format": "date"});
    let mut s = serde_json::Map::new();
    s.insert(
        "Labels".into(),
        json!({
            "type": "object",
            "description": "A multilingual label: language code → text (French first in the UI).",
            "propertyNames": {"enum": ["fr", "nl", "de", "en"]},
            "additionalProperties": {"type": "string"},
            "example": {"fr": "Liège", "nl": "Luik", "de": "Lüttich", "en": "Liège"},
        }),
    );
    s.insert("Provenance".into(), json!({
        "type": "object",
        "description": "Where a fact comes from. `inferred`: assumed rather than stated by the source; `demo`: synthetic.",
        "required": ["source", "inferred", "demo"],
        "properties": {
            "source": {"type": "string"},
            "date": date,
            "inferred": {"type": "boolean"},
            "demo": {"type": "boolean"},
        },
    }));
    s.insert(
        "EntityKind".into(),
        json!({"type": "string", "enum": kinds}),
    );
    s.insert("Counts".into(), json!({
        "type": "object",
        "required": ["entities", "demo_entities", "schemes", "concepts", "relations", "observations", "audit_entries"],
        "properties": {
            "entities": {"type": "object", "description": "By kind (singular).", "additionalProperties": {"type": "integer"}},
            "demo_entities": {"type": "integer"},
            "schemes": {"type": "integer"},
            "concepts": {"type": "integer"},
            "relations": {"type": "integer"},
            "observations": {"type": "integer"},
            "audit_entries": {"type": "integer"},
        },
    }));
    s.insert(
        "Health".into(),
        json!({
            "type": "object",
            "required": ["status", "version", "counts"],
            "properties": {
                "status": {"const": "ok"},
                "version": {"type": "string"},
                "counts": r("Counts"),
            },
        }),
    );
    s.insert(
        "VersionSummary".into(),
        json!({
            "type": "object",
            "required": ["id", "label", "source"],
            "properties": {
                "id": {"type": "string", "example": "2024-2029"},
                "label": r("Labels"),
                "year": {"type": "integer"},
                "note": {"type": "string"},
                "source": {"type": "string"},
            },
        }),
    );
    s.insert(
        "StrategySummary".into(),
        json!({
            "type": "object",
            "required": ["id", "name", "description", "versions", "provenance"],
            "properties": {
                "id": {"type": "string", "example": "digital-wallonia"},
                "name": r("Labels"),
                "description": r("Labels"),
                "versions": array_of("VersionSummary"),
                "provenance": r("Provenance"),
            },
        }),
    );
    s.insert("StrategyTree".into(), json!({
        "type": "object",
        "required": ["id", "name", "description", "attributes", "provenance", "version", "versions", "node_counts", "children"],
        "properties": {
            "notice": notice,
            "id": {"type": "string"},
            "name": r("Labels"),
            "description": r("Labels"),
            "attributes": free_object,
            "provenance": r("Provenance"),
            "version": r("VersionSummary"),
            "versions": array_of("VersionSummary"),
            "node_counts": {"type": "object", "description": "Nodes of this version's tree by kind (ambition: 5, lever: 15, …).", "additionalProperties": {"type": "integer"}},
            "children": array_of("Node"),
        },
    }));
    s.insert("Node".into(), json!({
        "type": "object",
        "description": "A node of a strategy tree: an ambition, value, lever, programme or action.",
        "required": ["kind", "id", "name", "provenance", "link"],
        "properties": {
            "kind": r("EntityKind"),
            "id": {"type": "string"},
            "name": r("Labels"),
            "description": r("Labels"),
            "attributes": free_object,
            "provenance": r("Provenance"),
            "link": {"$ref": "#/components/schemas/Provenance", "description": "Provenance of the link to the parent."},
            "indicators": array_of("IndicatorView"),
            "children": array_of("Node"),
        },
    }));
    s.insert(
        "IndicatorView".into(),
        json!({
            "type": "object",
            "required": ["id", "name", "unit", "kind", "aggregation", "provenance", "observations"],
            "properties": {
                "id": {"type": "string"},
                "name": r("Labels"),
                "unit": {"type": "string"},
                "kind": {"type": "string", "enum": ["output", "outcome", "impact"]},
                "aggregation": {"type": "string", "enum": ["sum", "last", "max", "mean"]},
                "provenance": r("Provenance"),
                "observations": array_of("ObservationView"),
                "targets": array_of("TargetView"),
            },
        }),
    );
    s.insert("ObservationView".into(), json!({
        "type": "object",
        "required": ["period", "start", "end", "value", "recorded_at", "provenance"],
        "properties": {
            "period": {"type": ["string", "null"], "example": "2023", "description": "null when the source states the figure without its period (\"période non précisée\"): never a guess."},
            "start": {"type": ["string", "null"], "format": "date"},
            "end": {"type": ["string", "null"], "format": "date"},
            "value": {"type": "number"},
            "qualifier": {"type": "string", "description": "How the source qualified the value (`plus de`, `près de`, `moins de`, `environ`)."},
            "period_label": {"type": "string", "description": "The period in the source's words (`entre 2016 et début 2024`)."},
            "note": {"type": "string"},
            "quote": {"type": "string", "description": "The source's sentence the figure comes from."},
            "recorded_at": {"type": "string"},
            "provenance": r("Provenance"),
        },
    }));
    s.insert(
        "TargetView".into(),
        json!({
            "type": "object",
            "description": "A target, or a projection the source states in the future tense (its `note` says which).",
            "required": ["due", "value", "provenance"],
            "properties": {
                "due": date,
                "value": {"type": "number"},
                "qualifier": {"type": "string"},
                "note": {"type": "string"},
                "quote": {"type": "string", "description": "The source's sentence the figure comes from."},
                "baseline": {"type": "object", "description": "The situation the target starts from, when the source gives it.",
                    "required": ["date", "value"], "properties": {"date": date, "value": {"type": "number"}}},
                "provenance": r("Provenance"),
            },
        }),
    );
    s.insert(
        "SchemeSummary".into(),
        json!({
            "type": "object",
            "required": ["id", "title", "description", "concepts", "provenance"],
            "properties": {
                "id": {"type": "string", "example": "nace-bel-2008"},
                "title": r("Labels"),
                "description": r("Labels"),
                "concepts": {"type": "integer"},
                "provenance": r("Provenance"),
            },
        }),
    );
    s.insert("ConceptBrief".into(), json!({
        "type": "object",
        "required": ["scheme", "notation", "labels"],
        "properties": {"scheme": {"type": "string"}, "notation": {"type": "string"}, "labels": r("Labels")},
    }));
    s.insert("ConceptLinkView".into(), json!({
        "type": "object",
        "required": ["kind", "direction", "concept", "partial"],
        "properties": {
            "kind": {"type": "string", "example": "covers"},
            "direction": {"type": "string", "enum": ["out", "in"], "description": "`out`: this concept → the other (a canton covers a municipality); `in`: the reverse."},
            "concept": r("ConceptBrief"),
            "partial": {"type": "boolean"},
        },
    }));
    s.insert("ConceptDetail".into(), json!({
        "type": "object",
        "required": ["scheme", "notation", "labels", "attributes", "provenance", "broader", "narrower", "tagged_entities"],
        "properties": {
            "scheme": {"type": "string"},
            "notation": {"type": "string"},
            "labels": r("Labels"),
            "attributes": free_object,
            "provenance": r("Provenance"),
            "broader": {"type": "array", "items": r("ConceptBrief"), "description": "From the direct parent up to the top of the scheme."},
            "narrower": array_of("ConceptBrief"),
            "links": array_of("ConceptLinkView"),
            "postal_codes": {"type": "array", "items": {"type": "string"}},
            "geometry": {"type": "object", "description": "A GeoJSON geometry (simplified boundaries)."},
            "tagged_entities": {"type": "integer", "description": "Entities tagged with this concept or a narrower one."},
        },
    }));
    s.insert(
        "EntitySummary".into(),
        json!({
            "type": "object",
            "required": ["kind", "id", "name", "demo"],
            "properties": {
                "kind": r("EntityKind"),
                "id": {"type": "string"},
                "name": r("Labels"),
                "demo": {"type": "boolean", "description": "True for a synthetic record."},
            },
        }),
    );
    s.insert(
        "EntityPage".into(),
        json!({
            "type": "object",
            "description": "A page of entities (`Page<EntitySummary>`).",
            "required": ["total", "limit", "offset", "items"],
            "properties": {
                "notice": notice,
                "total": {"type": "integer", "description": "Matches in all pages."},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "items": array_of("EntitySummary"),
            },
        }),
    );
    s.insert(
        "EntityBrief".into(),
        json!({
            "type": "object",
            "required": ["kind", "id", "name"],
            "properties": {"kind": r("EntityKind"), "id": {"type": "string"}, "name": r("Labels")},
        }),
    );
    s.insert("RelationView".into(), json!({
        "type": "object",
        "required": ["kind", "entity", "provenance"],
        "properties": {
            "kind": {"type": "string", "enum": ["participated_in", "laureate_of", "funded_by", "member_of", "labelled", "located_in", "operates", "partner_of", "contributes_to", "part_of"]},
            "entity": r("EntityBrief"),
            "since": date,
            "until": date,
            "amount_eur": {"type": "number"},
            "provenance": r("Provenance"),
        },
    }));
    s.insert(
        "PlacementView".into(),
        json!({
            "type": "object",
            "required": ["strategy", "version", "parent", "link"],
            "properties": {
                "strategy": {"type": "string"},
                "version": {"type": "string"},
                "parent": r("EntityBrief"),
                "link": r("Provenance"),
            },
        }),
    );
    s.insert("Details".into(), json!({
        "type": "object",
        "description": "Typed facts of the kinds that have some, under the kind's name.",
        "minProperties": 1,
        "maxProperties": 1,
        "properties": {
            "organisation": {"type": "object", "properties": {
                "kbo": {"type": "string", "pattern": "^[01][0-9]{3}\\.[0-9]{3}\\.[0-9]{3}$", "description": "Belgian enterprise number (KBO/BCE)."},
                "founded": date,
                "employees": {"type": "integer"},
                "website": {"type": "string", "format": "uri"},
            }},
            "action": {"type": "object", "required": ["status"], "properties": {
                "status": {"type": "string", "enum": ["planned", "ongoing", "completed", "suspended", "cancelled"]},
                "start": date,
                "end": date,
                "budget_eur": {"type": "number"},
            }},
            "indicator": {"type": "object", "required": ["unit", "kind", "aggregation", "measures"], "properties": {
                "unit": {"type": "string"},
                "kind": {"type": "string", "enum": ["output", "outcome", "impact"]},
                "aggregation": {"type": "string", "enum": ["sum", "last", "max", "mean"]},
                "measures": {"type": "string", "description": "`kind/key` of the measured entity."},
            }},
            "place": {"type": "object", "required": ["lat", "lon"], "properties": {
                "lat": {"type": "number"},
                "lon": {"type": "number"},
                "address": {"type": "string"},
                "postal_code": {"type": "string"},
            }},
            "event": {"type": "object", "required": ["start"], "properties": {"start": date, "end": date}},
        },
    }));
    s.insert("EntityDetail".into(), json!({
        "type": "object",
        "required": ["kind", "key", "name", "provenance", "concepts", "relations", "inverse_relations", "placements"],
        "properties": {
            "notice": notice,
            "kind": r("EntityKind"),
            "key": {"type": "string"},
            "name": r("Labels"),
            "description": r("Labels"),
            "tags": {"type": "array", "items": {"type": "string", "description": "`scheme:notation`"}},
            "attributes": free_object,
            "details": r("Details"),
            "provenance": r("Provenance"),
            "concepts": {"type": "array", "items": r("ConceptBrief"), "description": "The tags with their labels."},
            "relations": array_of("RelationView"),
            "inverse_relations": array_of("RelationView"),
            "placements": {"type": "array", "items": r("PlacementView"), "description": "Where this entity sits in strategy trees."},
            "indicators": array_of("IndicatorView"),
        },
    }));
    s.insert("Entity".into(), json!({
        "type": "object",
        "description": "An entity in the model's own form (as written; what GET answers, without the read-only views).",
        "required": ["kind", "key", "name", "provenance"],
        "properties": {
            "kind": r("EntityKind"),
            "key": {"type": "string"},
            "name": r("Labels"),
            "description": r("Labels"),
            "tags": {"type": "array", "items": {"type": "string", "description": "`scheme:notation`"}},
            "attributes": free_object,
            "details": r("Details"),
            "provenance": r("Provenance"),
        },
    }));
    s.extend(crate::account::openapi::schemas());
    s.extend(crate::digiscore::openapi::schemas());
    s.insert("Error".into(), json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": ["bad_parameter", "not_found", "unauthorized", "forbidden", "method_not_allowed", "conflict", "invalid", "internal"]},
                    "current_version": {"type": ["integer", "null"], "description": "The entity's version now (`conflict` only)."},
                    "records": {"type": "array", "items": {"type": "object"}, "description": "The refused records with their place and reason (`invalid` only)."},
                    "parameter": {"type": "string", "description": "The bad parameter (`bad_parameter` only)."},
                    "message": {"type": "string"},
                    "suggestions": {"type": "array", "items": {"type": "string"}, "description": "Close valid values, when known."},
                },
            },
        },
        "example": {"error": {"code": "bad_parameter", "parameter": "limit", "message": "`abc` is not a valid `limit`: expected an integer from 0 to 500 (default 20)"}},
    }));
    s.insert("MagnetResult".into(), json!({
        "type": "object",
        "required": ["total", "members", "facets"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "members": {"type": "array", "items": {
                "type": "object",
                "required": ["kind", "id", "name", "demo"],
                "properties": {
                    "kind": {"$ref": "#/components/schemas/EntityKind"},
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "demo": {"type": "boolean"},
                },
            }},
            "facets": {"type": "array", "items": {
                "type": "object",
                "required": ["scheme", "values_total", "values"],
                "properties": {
                    "scheme": {"type": "string"},
                    "parent": {"type": "string", "description": "The value whose narrower values are listed."},
                    "values_total": {"type": "integer", "minimum": 0},
                    "values": {"type": "array", "items": {
                        "type": "object",
                        "required": ["notation", "labels", "count", "narrower"],
                        "properties": {
                            "notation": {"type": "string"},
                            "labels": {"$ref": "#/components/schemas/Labels"},
                            "count": {"type": "integer", "minimum": 0},
                            "state": {"type": "string", "enum": ["selected", "excluded"]},
                            "narrower": {"type": "boolean"},
                        },
                    }},
                },
            }},
            "notice": notice,
        },
    }));
    s.insert("SavedMagnet".into(), json!({
        "type": "object",
        "required": ["id", "name", "kind", "source", "created_at", "versions", "total"],
        "properties": {
            "id": {"type": "string"},
            "name": {"$ref": "#/components/schemas/Labels"},
            "kind": {"$ref": "#/components/schemas/EntityKind"},
            "source": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "total": {"type": "integer", "minimum": 0, "description": "Members now, with the latest version."},
            "total_at": {"type": "object", "required": ["date", "total"], "properties": {
                "date": {"type": "string", "format": "date"},
                "total": {"type": "integer", "minimum": 0},
            }},
            "versions": {"type": "array", "items": {
                "type": "object",
                "required": ["version", "query", "actor", "created_at"],
                "properties": {
                    "version": {"type": "integer", "minimum": 1},
                    "query": {"type": "string", "description": "Canonical text form."},
                    "actor": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            }},
        },
    }));
    explore_schemas(&mut s);
    Value::Object(s)
}

// ---------------------------------------------------------------- the Explore API (explore.rs)

/// One query parameter of the Explore API (all optional strings).
fn ods_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description,
           "schema": {"type": "string"}})
}

fn ods_query_params(records: bool) -> Vec<Value> {
    let mut v = vec![
        ods_param(
            "select",
            "ODSQL select: fields, expressions with `AS`, aggregates, `include(pattern*)`, `exclude(pattern*)`.",
        ),
        ods_param(
            "where",
            "ODSQL filter: comparisons, `AND`/`OR`/`NOT`, `search()`, `suggest()`, `startswith()`, `IN`, ranges (`field:[a TO b]`), `within_distance()`, `in_bbox()`, `intersects()`, …",
        ),
        ods_param(
            "group_by",
            "ODSQL grouping: fields, expressions, `range(field, 10)`, `range(date, 1 month)`.",
        ),
        ods_param("order_by", "ODSQL ordering, `ASC`/`DESC`."),
        ods_param(
            "refine",
            "`field:value` (repeatable); a value of a multi-valued field refines on its own; dates by prefix (`2024`, `2024-05`).",
        ),
        ods_param("exclude", "`field:value` (repeatable)."),
        ods_param(
            "lang",
            "`fr` (default), `en`, `nl`, `de`: labels of dictionary fields.",
        ),
        ods_param(
            "timezone",
            "Time zone of date-times (`UTC` default, `Europe/Brussels`, `+02:00`).",
        ),
    ];
    if records {
        v.push(ods_param(
            "limit",
            "Records per page: default 10, `-1 <= limit <= 100` (20,000 with `group_by`).",
        ));
        v.push(ods_param(
            "offset",
            "First record: `offset + limit <= 10000`.",
        ));
        v.push(ods_param(
            "include_links",
            "`true`: Opendatasoft's `_links` (self, first, last, next).",
        ));
    }
    v
}

fn ods_dataset_param() -> Value {
    path_param(
        "dataset_id",
        "Dataset id (`organisations`, `actions`, `indicators`, `indicator-observations`, `programmes`, `taxonomies`, `places`, `magnets`).",
        "places",
    )
}

fn ods_errors(ok: Value) -> Value {
    json!({
        "200": ok,
        "400": {"description": "A bad parameter or ODSQL clause (`ODSQLError`, `InvalidRESTParameterError`).", "content": json_content("OdsError")},
        "404": {"description": "No such dataset, record or path (`NoSuchDataset`, `NoSuchRecord`, `NotFound`).", "content": json_content("OdsError")},
        "500": {"description": "The catalogue is not available.", "content": json_content("OdsError")},
    })
}

fn ods_json(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": json_content(schema)})
}

fn ods_files(description: &str, types: &[&str]) -> Value {
    let content: serde_json::Map<String, Value> = types
        .iter()
        .map(|t| {
            // A JSON body is any JSON value (the records, a GeoJSON collection, a JSON-LD
            // graph); other formats are text or bytes.
            let schema = if t.ends_with("json") {
                json!({})
            } else {
                json!({"type": "string"})
            };
            ((*t).to_owned(), json!({ "schema": schema }))
        })
        .collect();
    json!({"description": description, "content": content})
}

const ODS_EXPORTS: [&str; 7] = [
    "text/csv",
    "application/json",
    "application/jsonl",
    "application/geo+json",
    "application/vnd.apache.parquet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/gzip",
];

fn explore_paths(p: &mut serde_json::Map<String, Value>) {
    use crate::explore::routes as ods;
    let op = |id: &str, summary: &str, parameters: Vec<Value>, responses: Value| {
        json!({"get": {"tags": ["explore"], "operationId": id, "summary": summary,
                       "parameters": parameters, "responses": responses}})
    };
    let links = ods_json("Links to the catalogue's endpoints.", "OdsLinks");
    p.insert(
        ods::ROOT.into(),
        op(
            "odsRoot",
            "The Explore API's root",
            vec![],
            ods_errors(links.clone()),
        ),
    );
    p.insert(
        ods::CATALOG.into(),
        op(
            "odsCatalog",
            "The catalogue's root",
            vec![],
            ods_errors(links),
        ),
    );
    let list = ods_query_params(true);
    p.insert(ods::DATASETS.into(), op("odsDatasets",
        "Datasets (ODSQL over dataset_id, title, description, theme, keyword, publisher, license, language, features, modified, records_count, demo)",
        list, ods_errors(ods_json("A page of datasets.", "OdsDatasets"))));
    let mut facet_params = ods_query_params(false);
    facet_params.push(ods_param(
        "facet",
        "A field to count (repeatable); default: the facet fields.",
    ));
    p.insert(
        ods::CATALOG_FACETS.into(),
        op(
            "odsCatalogFacets",
            "Facets of the catalogue (theme, keyword and features count value by value)",
            facet_params.clone(),
            ods_errors(ods_json("Facet counts.", "OdsFacets")),
        ),
    );
    p.insert(ods::CATALOG_EXPORT.into(), op("odsCatalogExport",
        "The catalogue as DCAT-AP 3 (dcat, dcat_ap_3, rdf, ttl, jsonld), JSON (json) or a table (csv, jsonl)",
        vec![path_param("format", "`dcat`, `dcat_ap_3`, `rdf`, `ttl`, `jsonld`, `json`, `csv`, `jsonl`.", "dcat")],
        ods_errors(ods_files("The catalogue.", &["application/rdf+xml", "text/turtle", "application/ld+json", "application/json", "text/csv"]))));
    p.insert(
        ods::DATASET.into(),
        op(
            "odsDataset",
            "A dataset's metadata and fields",
            vec![
                ods_dataset_param(),
                ods_param("lang", "`fr`, `en`, `nl`, `de`."),
            ],
            ods_errors(ods_json("The dataset.", "OdsDataset")),
        ),
    );
    let mut records = vec![ods_dataset_param()];
    records.extend(ods_query_params(true));
    p.insert(
        ods::RECORDS.into(),
        op(
            "odsRecords",
            "Records or groups of a dataset",
            records,
            ods_errors(ods_json(
                "A page of records (or groups with group_by).",
                "OdsRecords",
            )),
        ),
    );
    p.insert(
        ods::RECORD.into(),
        op(
            "odsRecord",
            "One record",
            vec![
                ods_dataset_param(),
                path_param("record_id", "The record's `id`.", "nope"),
                ods_param("select", "ODSQL select."),
                ods_param("lang", "`fr`, `en`, `nl`, `de`."),
            ],
            ods_errors(ods_json("The record, a flat object.", "OdsRecord")),
        ),
    );
    let mut facets = vec![ods_dataset_param()];
    facets.extend(facet_params);
    p.insert(
        ods::FACETS.into(),
        op(
            "odsFacets",
            "Facets of a dataset",
            facets,
            ods_errors(ods_json("Facet counts.", "OdsFacets")),
        ),
    );
    let mut export = vec![
        ods_dataset_param(),
        path_param(
            "format",
            "`csv`, `json`, `jsonl`, `geojson`, `parquet`, `xlsx` (labels as the header).",
            "csv",
        ),
    ];
    export.extend(ods_query_params(false));
    export.push(ods_param("limit", "Records (default -1: all)."));
    export.push(ods_param("offset", "First record."));
    export.push(ods_param(
        "delimiter",
        "CSV separator: `;` (default), `,`, tab, `|`.",
    ));
    export.push(ods_param(
        "with_bom",
        "CSV starts with a UTF-8 byte-order mark (default true).",
    ));
    export.push(ods_param(
        "use_labels",
        "CSV header: labels in `lang` instead of names (default false).",
    ));
    export.push(ods_param(
        "quote_all",
        "Quote every CSV cell (default false).",
    ));
    export.push(ods_param(
        "list_separator",
        "The separator joining the values of a multivalued field (default `, `): `,`, `, `, \
         `;`, `; `, `|`, ` | `, `/`, `\\t`.",
    ));
    export.push(ods_param(
        "compressed",
        "Gzip the file (`application/gzip`, `.gz`; default false).",
    ));
    p.insert(
        ods::EXPORT.into(),
        op(
            "odsExport",
            "Everything matching, streamed",
            export,
            ods_errors(ods_files("The records.", &ODS_EXPORTS)),
        ),
    );
    p.insert(
        ods::ATTACHMENTS.into(),
        op(
            "odsAttachments",
            "A dataset's attachments (none)",
            vec![ods_dataset_param()],
            ods_errors(ods_json("No attachment.", "OdsAttachments")),
        ),
    );
    let mut download = vec![ods_dataset_param()];
    for (name, d) in [
        (
            "format",
            "`csv` (default), `json`, `jsonl`, `geojson`, `parquet`.",
        ),
        (
            "use_labels_for_header",
            "CSV header: labels (true) or names (false, default).",
        ),
        ("csv_separator", "`;` (default), `,`, tab, `|`."),
        ("timezone", "Time zone of date-times."),
        ("lang", "`fr`, `en`, `nl`, `de`."),
        ("q", "Full-text search."),
        (
            "refine.{field}",
            "Refine on a field's value (one parameter per field).",
        ),
        ("exclude.{field}", "Exclude a field's value."),
        ("with_bom", "CSV byte-order mark (default false)."),
        ("apikey", "Accepted and ignored: the data are open."),
    ] {
        download.push(ods_param(name, d));
    }
    p.insert(
        ods::DOWNLOAD.into(),
        op(
            "odsDownload",
            "Opendatasoft's download path (Explore v1, used by odsclient): a dataset's export",
            download,
            ods_errors(ods_files("The records.", &ODS_EXPORTS)),
        ),
    );
    for (path, id, media) in [
        (ods::DCAT_TURTLE, "dcatTurtle", "text/turtle"),
        (ods::DCAT_RDF_XML, "dcatRdfXml", "application/rdf+xml"),
        (ods::DCAT_JSON_LD, "dcatJsonLd", "application/ld+json"),
    ] {
        p.insert(
            path.into(),
            op(
                id,
                "The DCAT-AP 3.0 catalogue",
                vec![],
                ods_errors(ods_files("The catalogue graph.", &[media])),
            ),
        );
    }
}

fn explore_schemas(s: &mut serde_json::Map<String, Value>) {
    let object = |required: &[&str], properties: Value| json!({"type": "object", "required": required, "properties": properties});
    s.insert("OdsError".into(), object(&["error_code", "message"], json!({
        "error_code": {"type": "string", "examples": ["ODSQLError", "InvalidRESTParameterError", "NoSuchDataset", "NoSuchRecord", "NotFound"]},
        "message": {"type": "string"},
    })));
    s.insert("OdsLinks".into(), object(&["links"], json!({
        "links": {"type": "array", "items": object(&["href", "rel"], json!({"href": {"type": "string"}, "rel": {"type": "string"}}))},
    })));
    s.insert("OdsDataset".into(), object(&["dataset_id", "fields", "metas", "features", "alternative_exports"], json!({
        "dataset_id": {"type": "string"},
        "dataset_uid": {"type": "string"},
        "has_records": {"type": "boolean"},
        "features": {"type": "array", "items": {"type": "string"}},
        "alternative_exports": {"type": "array", "items": {}},
        "attachments": {"type": "array", "items": {}},
        "fields": {"type": "array", "items": object(&["name", "label", "type"], json!({
            "name": {"type": "string"}, "label": {"type": "string"}, "type": {"type": "string"},
            "annotations": {"type": "object"}, "description": {"type": ["string", "null"]},
        }))},
        "metas": {"type": "object"},
    })));
    s.insert("OdsDatasets".into(), object(&["total_count", "results"], json!({
        "total_count": {"type": "integer"},
        "results": {"type": "array", "items": {"type": "object"}, "description": "Datasets (OdsDataset), or rows of a custom select."},
        "_links": {"type": "array", "items": {"type": "object"}},
    })));
    s.insert(
        "OdsRecords".into(),
        object(
            &["total_count", "results"],
            json!({
                "total_count": {"type": "integer"},
                "results": {"type": "array", "items": {"type": "object"}},
                "_links": {"type": "array", "items": {"type": "object"}},
            }),
        ),
    );
    s.insert("OdsRecord".into(), json!({"type": "object"}));
    s.insert("OdsFacets".into(), object(&["links", "facets"], json!({
        "links": {"type": "array", "items": {}},
        "facets": {"type": "array", "items": object(&["name", "facets"], json!({
            "name": {"type": "string"},
            "facets": {"type": "array", "items": object(&["name", "count", "state", "value"], json!({
                "name": {"type": "string"}, "count": {"type": "integer"},
                "state": {"enum": ["displayed", "refined", "excluded"]}, "value": {"type": "string"},
            }))},
        }))},
    })));
    s.insert("OdsAttachments".into(), object(&["links", "attachments"], json!({
        "links": {"type": "array", "items": {}}, "attachments": {"type": "array", "items": {}},
    })));
}
