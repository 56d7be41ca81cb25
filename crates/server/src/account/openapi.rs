//! The governing face in the OpenAPI document: its paths, schemas and security.

use serde_json::{Map, Value, json};

use super::api::{
    BACKUPS, BULK, HISTORY, ME, RESTORE, REVERT, STRATEGIES, STRATEGY_ELEMENTS, TOKEN, TOKENS,
    USERS,
};

fn e(name: &str) -> Value {
    json!({"$ref": format!("#/components/responses/{name}")})
}

fn body(schema: &str) -> Value {
    json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}})
}

fn ok(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": body(schema)})
}

fn security() -> Value {
    json!([{"personalToken": []}, {"session": []}])
}

fn id_param(name: &str, description: &str, example: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description,
        "schema": {"type": "string"}, "example": example})
}

/// The write on an entity (`PUT /api/entities/{kind}/{id}`), merged into that path.
pub fn entity_put() -> Value {
    json!({
        "tags": ["editing"],
        "operationId": "editEntity",
        "summary": "Write an entity, if it is still at the version the edit started from",
        "description": "Optimistic concurrency: `version` is the version read (from `/history` or a previous edit); a stale one answers 409 with `current_version`. Partners edit the actions their organisation operates and the indicators measuring them; editors their strategy; admins everything. The change is recorded with who, when, before and after.",
        "security": security(),
        "parameters": [
            {"$ref": "#/components/parameters/Kind"},
            id_param("id", "The entity's id (its key).", "dw4ai"),
        ],
        "requestBody": {"required": true, "content": body("EntityEdit")},
        "responses": {
            "200": ok("The entity as written, and its new version.", "Edited"),
            "400": e("BadParameter"),
            "401": e("Unauthorized"),
            "403": e("Forbidden"),
            "409": e("Conflict"),
            "422": e("Invalid"),
            "500": e("Internal"),
        },
    })
}

/// Paths of the face.
pub fn paths() -> Map<String, Value> {
    let mut p = Map::new();
    p.insert(ME.into(), json!({"get": {
        "tags": ["editing"], "operationId": "me", "summary": "The account behind this request",
        "security": security(),
        "responses": {"200": ok("The account, and how it signed in (a session also gets its CSRF token).", "Me"), "401": e("Unauthorized"), "500": e("Internal")},
    }}));
    p.insert(TOKENS.into(), json!({
        "get": {"tags": ["editing"], "operationId": "listTokens", "summary": "Your personal API tokens (never their secrets)",
            "security": security(),
            "responses": {"200": ok("The tokens.", "TokenList"), "401": e("Unauthorized"), "403": e("Forbidden"), "500": e("Internal")}},
        "post": {"tags": ["editing"], "operationId": "createToken", "summary": "Create a personal API token; its secret is in this answer only",
            "security": security(),
            "requestBody": {"required": true, "content": body("NewToken")},
            "responses": {"201": ok("The token and its secret.", "CreatedToken"), "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"), "500": e("Internal")}},
    }));
    p.insert(TOKEN.into(), json!({"delete": {
        "tags": ["editing"], "operationId": "revokeToken", "summary": "Revoke one of your tokens",
        "security": security(),
        "parameters": [id_param("id", "The token's id.", "1")],
        "responses": {"204": {"description": "Revoked."}, "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"), "404": e("NotFound"), "500": e("Internal")},
    }}));
    p.insert(HISTORY.into(), json!({"get": {
        "tags": ["editing"], "operationId": "entityHistory", "summary": "Who changed an entity (its observations and targets included), when, before and after; newest first",
        "parameters": [
            {"$ref": "#/components/parameters/Kind"},
            id_param("id", "The entity's id (its key).", "dw4ai"),
            {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
        ],
        "responses": {"200": ok("The entity's version and its history.", "History"), "400": e("BadParameter"), "404": e("NotFound"), "500": e("Internal")},
    }}));
    let term_params = json!([
        id_param("scheme", "Scheme id.", "target-audience"),
        id_param("notation", "The term's code in its scheme.", "jeunes"),
    ]);
    p.insert(crate::routes::CONCEPT.into(), json!({"put": {
        "tags": ["editing"], "operationId": "editTerm",
        "summary": "Write a taxonomy term's labels (fr, en, nl, de) and source (administrators), if it is still at the version the edit started from",
        "description": "`base_version` is the version read from `/history` (0 for a term loaded before versions were kept; `null` creates a new term, which needs its `source`). A term keeps its broader term: moving it is a scheme import. A stale edit answers 409 with `current_version`; the change is recorded with who, when, before and after, and can be reverted.",
        "security": security(),
        "parameters": term_params,
        "requestBody": {"required": true, "content": body("TermEdit")},
        "responses": {"200": ok("The term as written, and its new version.", "TermEdited"), "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"), "404": e("NotFound"), "409": e("Conflict"), "422": e("Invalid"), "500": e("Internal")},
    }}));
    p.insert(super::terms::HISTORY.into(), json!({"get": {
        "tags": ["editing"], "operationId": "termHistory", "summary": "Who changed a taxonomy term, when, before and after; newest first",
        "parameters": [
            id_param("scheme", "Scheme id.", "target-audience"),
            id_param("notation", "The term's code in its scheme.", "jeunes"),
            {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
        ],
        "responses": {"200": ok("The term's version and its history.", "TermHistory"), "400": e("BadParameter"), "404": e("NotFound"), "500": e("Internal")},
    }}));
    p.insert(REVERT.into(), json!({"post": {
        "tags": ["editing"], "operationId": "revertChange", "summary": "Revert the change of an audit entry (administrators); the revert is itself a recorded change",
        "security": security(),
        "parameters": [id_param("audit_id", "The audit entry of the change.", "1")],
        "responses": {"200": ok("The new version.", "Reverted"), "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"), "404": e("NotFound"), "409": e("Conflict"), "422": e("Invalid"), "500": e("Internal")},
    }}));
    p.insert(BULK.into(), json!({"post": {
        "tags": ["editing"], "operationId": "bulkUpdate",
        "summary": "Bulk update from a file in the export layout: preview the differences, then apply them in one transaction",
        "description": "`mode=preview` (default) writes nothing and lists added, changed (field by field), unchanged and rejected records; `mode=apply` writes the added and changed ones, refusing the whole file when a record is rejected unless `skip_invalid=true`. Applying the same file twice changes nothing.",
        "security": security(),
        "parameters": [
            {"name": "collection", "in": "path", "required": true, "schema": {"type": "string", "enum": ["organisations", "actions", "observations", "targets"]}, "example": "observations"},
            {"name": "mode", "in": "query", "required": false, "schema": {"type": "string", "enum": ["preview", "apply"], "default": "preview"}},
            {"name": "skip_invalid", "in": "query", "required": false, "schema": {"type": "boolean", "default": false}},
        ],
        "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
        "responses": {"200": ok("What the file changes (or changed).", "BulkReport"), "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"), "409": e("Conflict"), "422": e("Invalid"), "500": e("Internal")},
    }}));
    p.insert(USERS.into(), json!({
        "get": {"tags": ["editing"], "operationId": "listUsers", "summary": "Accounts (administrators)",
            "security": security(),
            "responses": {"200": ok("The accounts.", "UserList"), "401": e("Unauthorized"), "403": e("Forbidden"), "500": e("Internal")}},
        "post": {"tags": ["editing"], "operationId": "createUser", "summary": "Create an account (administrators)",
            "security": security(),
            "requestBody": {"required": true, "content": body("NewUser")},
            "responses": {"201": ok("The account.", "CreatedUser"), "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"), "500": e("Internal")}},
    }));
    p.insert(BACKUPS.into(), json!({
        "get": {"tags": ["editing"], "operationId": "listBackups", "summary": "Backups in the server's backup directory (administrators)",
            "security": security(),
            "responses": {"200": ok("The backups, newest first.", "BackupList"), "401": e("Unauthorized"), "403": e("Forbidden"), "500": e("Internal")}},
        "post": {"tags": ["editing"], "operationId": "createBackup", "summary": "Make a consistent backup of the store while it serves (administrators)",
            "security": security(),
            "responses": {"201": ok("The backup made.", "Backup"), "401": e("Unauthorized"), "403": e("Forbidden"), "500": e("Internal")}},
    }));
    p.insert(RESTORE.into(), json!({
        "post": {"tags": ["editing"], "operationId": "restoreBackup", "summary": "Replace the store's content with a verified backup, then check it (administrators)",
            "description": "The backup is copied, brought to the current schema and checked before anything is replaced; a refused backup leaves the store unchanged. The restore is audited.",
            "security": security(),
            "requestBody": {"required": true, "content": body("RestoreRequest")},
            "responses": {"200": ok("The restore and the check of the restored store.", "Restored"), "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"), "404": e("NotFound"), "500": e("Internal")}},
    }));
    p.insert(STRATEGIES.into(), json!({
        "post": {"tags": ["editing"], "operationId": "createStrategy",
            "summary": "Create a strategy from the empty template: its head and a first version with an empty tree (editors of every strategy, administrators)",
            "description": "Any regional policy (Circular Wallonia, S3, the DPR itself) can then be filled element by element with POST /api/strategies/{id}/elements.",
            "security": security(),
            "requestBody": {"required": true, "content": body("NewStrategy")},
            "responses": {"201": ok("The strategy made, and the audit entry of the change.", "StructureChange"), "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"), "409": e("Conflict"), "422": e("Invalid"), "500": e("Internal")}},
    }));
    let strategy_id = id_param("id", "The strategy's id (its key).", "digital-wallonia");
    p.insert(STRATEGY_ELEMENTS.into(), json!({
        "post": {"tags": ["editing"], "operationId": "addStrategyElement",
            "summary": "Place a new element (or an existing entity) under a parent in one version of a strategy's tree",
            "description": "Under a strategy go ambitions; under an ambition, levers and programmes; under a lever, programmes; under a programme, actions. A link that would make a cycle is refused. The link is recorded in the child's history.",
            "security": security(),
            "parameters": [strategy_id.clone()],
            "requestBody": {"required": true, "content": body("NewElement")},
            "responses": {"201": ok("The element placed, and the audit entry of the change.", "StructureChange"), "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"), "404": e("NotFound"), "422": e("Invalid"), "500": e("Internal")}},
        "delete": {"tags": ["editing"], "operationId": "removeStrategyElement",
            "summary": "Detach an element that has nothing under it from its parent in one version (the entity and its history stay)",
            "security": security(),
            "parameters": [
                strategy_id,
                {"name": "version", "in": "query", "required": true, "schema": {"type": "string"}, "example": "2024-2029"},
                {"name": "parent", "in": "query", "required": true, "description": "kind/key of the parent.", "schema": {"type": "string"}, "example": "ambition/dw-entreprises"},
                {"name": "child", "in": "query", "required": true, "description": "kind/key of the element.", "schema": {"type": "string"}, "example": "programme/dw4ai"},
            ],
            "responses": {"200": ok("The element detached, and the audit entry of the change.", "StructureChange"), "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"), "404": e("NotFound"), "422": e("Invalid"), "500": e("Internal")}},
    }));
    p
}

/// Schemas of the face.
pub fn schemas() -> Map<String, Value> {
    let user = json!({"type": "object", "required": ["id", "login", "display_name", "role", "disabled", "created_at"],
        "properties": {
            "id": {"type": "integer"}, "login": {"type": "string"}, "display_name": {"type": "string"},
            "email": {"type": ["string", "null"]}, "role": {"type": "string", "enum": ["partner", "editor", "admin"]},
            "organisation": {"type": ["string", "null"]}, "strategy": {"type": ["string", "null"]},
            "disabled": {"type": "boolean"}, "created_at": {"type": "string"}}});
    let token = json!({"type": "object", "required": ["id", "user_id", "name", "scope", "created_at"],
        "properties": {"id": {"type": "integer"}, "user_id": {"type": "integer"}, "name": {"type": "string"},
            "scope": {"type": "string", "enum": ["read", "write"]}, "created_at": {"type": "string"},
            "expires_at": {"type": ["string", "null"]}, "revoked_at": {"type": ["string", "null"]}, "last_used_at": {"type": ["string", "null"]}}});
    let change = json!({"type": "object", "required": ["audit_id", "kind", "key", "item", "detail", "at", "actor", "operation"],
        "properties": {"audit_id": {"type": "integer"}, "kind": {"type": "string"}, "key": {"type": "string"},
            "item": {"type": "string", "enum": ["entity", "observation", "target", "edge"]}, "detail": {"type": "string"},
            "before": {"description": "The item before (absent or null: created)."}, "after": {},
            "at": {"type": "string"}, "actor": {"type": "string"}, "operation": {"type": "string"}}});
    let mut s = Map::new();
    s.insert("User".into(), user);
    s.insert("ApiToken".into(), token);
    s.insert("Me".into(), json!({"type": "object", "required": ["user", "via"], "properties": {"user": {"$ref": "#/components/schemas/User"}, "via": {"type": "object"}}}));
    s.insert("TokenList".into(), json!({"type": "object", "required": ["tokens"], "properties": {"tokens": {"type": "array", "items": {"$ref": "#/components/schemas/ApiToken"}}}}));
    s.insert("NewToken".into(), json!({"type": "object", "required": ["name"], "additionalProperties": false,
        "properties": {"name": {"type": "string", "minLength": 1, "pattern": "\\S"}, "scope": {"type": "string", "enum": ["read", "write"]},
            "expires_in_days": {"type": "integer", "minimum": 0, "maximum": 3650}}}));
    s.insert("CreatedToken".into(), json!({"type": "object", "required": ["token", "secret"], "properties": {"token": {"$ref": "#/components/schemas/ApiToken"}, "secret": {"type": "string"}, "note": {"type": "string"}}}));
    s.insert("EntityEdit".into(), json!({"type": "object", "required": ["version", "entity"], "additionalProperties": false,
        "properties": {"version": {"type": ["integer", "null"], "description": "The version the edit started from; null to create."},
            "entity": {"$ref": "#/components/schemas/Entity"}}}));
    s.insert("TermEdit".into(), json!({"type": "object", "required": ["labels"], "additionalProperties": false,
        "properties": {
            "base_version": {"type": ["integer", "null"], "description": "The version the edit started from; null creates the term."},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Labels by language: fr, en, nl, de."},
            "broader": {"type": ["string", "null"], "description": "The broader term of a new term (its notation)."},
            "source": {"type": ["string", "null"], "description": "Who states the labels; kept when absent."},
        }}));
    s.insert("TermEdited".into(), json!({"type": "object", "required": ["version", "concept"], "properties": {"version": {"type": "integer"}, "concept": {"type": "object"}}}));
    s.insert("TermHistory".into(), json!({"type": "object", "required": ["version", "history"], "properties": {"version": {"type": "integer"}, "history": {"type": "array", "items": {"type": "object", "required": ["audit_id", "at", "actor", "operation"], "properties": {
        "audit_id": {"type": "integer"}, "at": {"type": "string"}, "actor": {"type": "string"}, "operation": {"type": "string"},
        "scheme": {"type": "string"}, "notation": {"type": "string"},
        "before": {"type": ["object", "null"]}, "after": {"type": ["object", "null"]}}}}}}));
    s.insert("Edited".into(), json!({"type": "object", "required": ["version", "entity"], "properties": {"version": {"type": "integer"}, "entity": {"$ref": "#/components/schemas/Entity"}}}));
    s.insert("History".into(), json!({"type": "object", "required": ["version", "history"], "properties": {"version": {"type": "integer"}, "history": {"type": "array", "items": change}}}));
    s.insert("Reverted".into(), json!({"type": "object", "required": ["reverted", "version"], "properties": {"reverted": {"type": "integer"}, "version": {"type": "integer"}}}));
    s.insert("BulkReport".into(), json!({"type": "object", "required": ["collection", "applied", "added", "changed", "unchanged", "rows", "rejected"],
        "properties": {"collection": {"type": "string"}, "file": {"type": "string"}, "applied": {"type": "boolean"}, "audit_id": {"type": ["integer", "null"]},
            "added": {"type": "integer"}, "changed": {"type": "integer"}, "unchanged": {"type": "integer"},
            "rows": {"type": "array", "items": {"type": "object", "required": ["record", "status", "fields"], "properties": {
                "line": {"type": ["integer", "null"]}, "record": {"type": "string"}, "status": {"type": "string", "enum": ["added", "changed"]},
                "fields": {"type": "array", "items": {"type": "object", "required": ["field"], "properties": {"field": {"type": "string"}, "before": {}, "after": {}}}}}}},
            "rejected": {"type": "array", "items": {"type": "object", "required": ["record", "message"], "properties": {"line": {"type": ["integer", "null"]}, "record": {"type": "string"}, "message": {"type": "string"}}}}}}));
    s.insert("UserList".into(), json!({"type": "object", "required": ["users"], "properties": {"users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}}));
    s.insert("NewUser".into(), json!({"type": "object", "required": ["login", "password", "role"], "additionalProperties": false,
        "properties": {"login": {"type": "string"}, "display_name": {"type": "string"}, "email": {"type": "string"},
            "password": {"type": "string", "minLength": 12}, "role": {"type": "string", "enum": ["partner", "editor", "admin"]},
            "organisation": {"type": "string"}, "strategy": {"type": "string"}}}));
    s.insert("Backup".into(), json!({"type": "object", "required": ["name", "bytes"], "properties": {"name": {"type": "string"}, "bytes": {"type": "integer"}}}));
    s.insert("BackupList".into(), json!({"type": "object", "required": ["backups"], "properties": {"backups": {"type": "array", "items": {"$ref": "#/components/schemas/Backup"}}}}));
    s.insert("RestoreRequest".into(), json!({"type": "object", "required": ["backup"], "additionalProperties": false,
        "properties": {"backup": {"type": "string", "description": "A backup's name, as GET /api/admin/backups lists it.", "example": "territoria-20261203T101500.000Z.sqlite"}}}));
    s.insert("Restored".into(), json!({"type": "object", "required": ["restored", "audit_id", "backup_schema_version", "check"], "properties": {
        "restored": {"type": "string"}, "audit_id": {"type": "integer"}, "backup_schema_version": {"type": "integer"},
        "check": {"description": "`ok`, or the problems the check found.", "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}}));
    s.insert("NewStrategy".into(), json!({"type": "object", "required": ["key", "name_fr", "version", "source"], "additionalProperties": false,
        "properties": {"key": {"type": "string", "description": "Lowercase letters, digits, '-', '.', '_'.", "example": "circular-wallonia"},
            "name_fr": {"type": "string", "example": "Circular Wallonia"}, "name_en": {"type": "string"},
            "version": {"type": "string", "description": "The first version's id.", "example": "2025-2030"},
            "version_label": {"type": "string"}, "year": {"type": ["integer", "null"], "minimum": 1900, "maximum": 2200},
            "source": {"type": "string", "description": "Where the strategy is stated.", "example": "https://economiecirculaire.wallonie.be"}}}));
    s.insert("NewElement".into(), json!({"type": "object", "required": ["version", "parent"], "additionalProperties": false,
        "properties": {"version": {"type": "string", "example": "2025-2030"},
            "parent": {"type": "string", "description": "kind/key of the parent (the strategy itself for an ambition).", "example": "strategy/circular-wallonia"},
            "kind": {"type": "string", "enum": ["ambition", "lever", "programme", "action"], "description": "The new element's kind (not with `existing`)."},
            "key": {"type": "string", "description": "The new element's key; made from its French name when empty."},
            "name_fr": {"type": "string"}, "name_en": {"type": "string"},
            "existing": {"type": "string", "description": "kind/key of an existing entity to place instead of creating one.", "example": "programme/dw4ai"}}}));
    s.insert("StructureChange".into(), json!({"type": "object", "required": ["audit_id", "strategy", "version", "element"],
        "properties": {"audit_id": {"type": "integer"}, "strategy": {"type": "string"}, "version": {"type": "string"}, "element": {"type": "string", "description": "kind/key of the element added or detached."}}}));
    s.insert("CreatedUser".into(), json!({"type": "object", "required": ["user"], "properties": {"user": {"$ref": "#/components/schemas/User"}}}));
    s
}

/// Responses and security schemes of the face.
pub fn responses() -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("Forbidden".into(), json!({"description": "The account may not do this (the same whether the object exists or not), or a session request without its CSRF token.", "content": body("Error")}));
    r.insert("Conflict".into(), json!({"description": "The entity changed since the edit started: `current_version` is its version now.", "content": body("Error")}));
    r.insert("Invalid".into(), json!({"description": "Records refused, each with its place and reason; nothing was written.", "content": body("Error")}));
    r
}

pub fn security_schemes() -> Map<String, Value> {
    let mut s = Map::new();
    s.insert("personalToken".into(), json!({"type": "http", "scheme": "bearer", "description": "A personal API token (`terr_…`), created on the account page or with POST /api/tokens."}));
    s.insert("session".into(), json!({"type": "apiKey", "in": "cookie", "name": "territoria_session", "description": "A browser session (sign in at /fr/connexion); unsafe requests also send `X-CSRF-Token`."}));
    s
}
