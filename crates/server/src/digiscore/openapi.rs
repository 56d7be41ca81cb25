//! Digiscore in the OpenAPI document: its paths and schemas (merged by
//! [`crate::openapi`]).

use serde_json::{Map, Value, json};

use super::api::{ASSESSMENT, ASSESSMENTS, BAROMETER, QUESTIONNAIRES_PATH, REASSESS};

fn e(name: &str) -> Value {
    json!({"$ref": format!("#/components/responses/{name}")})
}

fn error(description: &str) -> Value {
    json!({"description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn body(schema: &str) -> Value {
    json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}})
}

fn ok(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": body(schema)})
}

fn secret() -> Value {
    json!({"name": "secret", "in": "path", "required": true,
        "description": "The assessment's private link secret, as given when it was started (the server keeps only its SHA-256).",
        "schema": {"type": "string"}, "example": "unknown-link"})
}

fn unknown() -> Value {
    error("No assessment at this private link (deleted, never existed, or the link was altered).")
}

/// Paths of the face.
pub fn paths() -> Map<String, Value> {
    let mut p = Map::new();
    p.insert(QUESTIONNAIRES_PATH.into(), json!({"get": {
        "tags": ["digiscore"], "operationId": "digiscoreQuestionnaires",
        "summary": "The self-assessment questionnaires (every served version), with their axes, questions, options, scores and bands",
        "responses": {"200": ok("The questionnaires.", "DigiscoreQuestionnaires"), "500": e("Internal")},
    }}));
    p.insert(BAROMETER.into(), json!({"get": {
        "tags": ["digiscore"], "operationId": "digiscoreBarometer",
        "summary": "The barometer: mean scores in all and by NACE section, size class and province — published aggregates only",
        "description": "No group of fewer than `threshold` assessments is published, also not by difference (primary, secondary and nesting suppression). The latest finished assessment of each series counts. Real and synthetic (`synthetic: true`) populations are computed apart, never mixed. The same figures are the `digiscore-barometer` open dataset.",
        "responses": {"200": ok("The barometers.", "DigiscoreBarometer"), "500": e("Internal")},
    }}));
    p.insert(super::offers::SUPPORT.into(), json!({
        "get": {"tags": ["digiscore"], "operationId": "digiscoreSupport",
            "summary": "The support catalogue next steps are drawn from: operators, aids and programmes with their conditions, its TOML text and its saved versions",
            "responses": {"200": ok("The catalogue in use (`source`: `store` for a saved version, `built-in` for the shipped file).", "DigiscoreSupport"), "500": e("Internal")}},
        "put": {"tags": ["digiscore"], "operationId": "saveDigiscoreSupport",
            "summary": "Save a new version of the support catalogue (editors of every strategy and administrators)",
            "description": "The whole catalogue as TOML, in the shape of `data/digiscore/support.toml`, with the version the edit started from. A mistake is a 400 naming its line and column, or the offer and field; a save made meanwhile by someone else is a 409 with the version now. Recommendations follow the new version at once.",
            "security": [{"personalToken": []}, {"session": []}],
            "requestBody": {"required": true, "content": body("DigiscoreSupportPut")},
            "responses": {
                "200": ok("The catalogue now in use.", "DigiscoreSupport"),
                "400": e("BadParameter"), "401": e("Unauthorized"), "403": e("Forbidden"),
                "409": e("Conflict"), "500": e("Internal"),
            }},
    }));
    p.insert(ASSESSMENTS.into(), json!({"post": {
        "tags": ["digiscore"], "operationId": "startDigiscoreAssessment",
        "summary": "Start an assessment; its private-link secret is in this answer only",
        "requestBody": {"required": true, "content": body("NewDigiscoreAssessment")},
        "responses": {
            "201": ok("The new assessment, its secret and its links.", "CreatedDigiscoreAssessment"),
            "400": e("BadParameter"),
            "422": error("A field is wrong (unknown questionnaire, KBO/BCE number with a bad check digit, sector, size or municipality): each is named; nothing was written."),
            "500": e("Internal"),
        },
    }}));
    p.insert(ASSESSMENT.into(), json!({
        "get": {"tags": ["digiscore"], "operationId": "readDigiscoreAssessment",
            "summary": "An assessment: profile, answers, what is missing and, once finished, the result with peers and next steps",
            "parameters": [secret()],
            "responses": {"200": ok("The assessment.", "DigiscoreAssessment"), "404": unknown(), "500": e("Internal")}},
        "patch": {"tags": ["digiscore"], "operationId": "answerDigiscoreAssessment",
            "summary": "Give answers (merged into those already given) and, with `finish`, score and close the assessment",
            "description": "Nothing is written when an answer is refused or when `finish` is asked with questions left unanswered.",
            "parameters": [secret()],
            "requestBody": {"required": true, "content": body("DigiscoreAnswers")},
            "responses": {
                "200": ok("The assessment as saved.", "DigiscoreAssessment"),
                "400": e("BadParameter"),
                "404": unknown(),
                "409": error("The assessment is finished and keeps its answers: reassess to answer again."),
                "422": error("`finish` with questions unanswered: each is named; nothing was saved."),
                "500": e("Internal"),
            }},
        "delete": {"tags": ["digiscore"], "operationId": "deleteDigiscoreAssessment",
            "summary": "Delete the assessment for good (its answers and scores)",
            "parameters": [secret()],
            "responses": {"204": {"description": "Deleted."}, "404": unknown(), "500": e("Internal")}},
    }));
    p.insert(REASSESS.into(), json!({"post": {
        "tags": ["digiscore"], "operationId": "reassessDigiscore",
        "summary": "Reassess (T1 after T0): a new assessment in the same series with today's questionnaire, at a new private link",
        "parameters": [secret()],
        "responses": {
            "201": ok("The new assessment, its secret and its links.", "CreatedDigiscoreAssessment"),
            "404": unknown(),
            "409": error("The assessment is not finished yet."),
            "500": e("Internal"),
        },
    }}));
    p
}

/// Schemas of the face.
pub fn schemas() -> Map<String, Value> {
    let text = json!({"type": "object", "required": ["fr", "en"],
        "properties": {"fr": {"type": "string"}, "en": {"type": "string"}}});
    let nullable_string = json!({"type": ["string", "null"]});
    let axis_score = json!({"type": "object", "required": ["axis"],
        "properties": {"axis": {"type": "string"}, "score": {"type": ["number", "null"]}}});
    let offer = json!({"type": ["object", "null"], "required": ["id", "name", "url"],
        "properties": {"id": {"type": "string"}, "name": text, "url": {"type": "string"},
            "topics": {"type": "array", "items": {"type": "string"}},
            "source": {"type": "string"}, "note": {"type": "string"}, "inferred": {"type": "boolean"}}});
    let cell = json!({"type": "object", "required": ["n", "mean_overall", "mean_axes"],
        "properties": {"n": {"type": "integer", "minimum": 10}, "mean_overall": {"type": "number"},
            "mean_axes": {"type": "array", "items": {"type": ["number", "null"]}}}});
    let mut s = Map::new();
    s.insert("DigiscoreQuestionnaires".into(), json!({
        "type": "object", "required": ["questionnaires"],
        "properties": {"questionnaires": {"type": "array", "items": {
            "type": "object", "required": ["id", "version", "audience", "title", "bands", "axes"],
            "properties": {
                "id": {"type": "string"}, "version": {"type": "integer"},
                "audience": {"enum": ["company", "public"]},
                "title": text, "intro": text, "source": {"type": "string"},
                "bands": {"type": "array", "items": {"type": "object"}},
                "axes": {"type": "array", "items": {"type": "object", "required": ["id", "name", "questions"],
                    "properties": {"id": {"type": "string"}, "name": text,
                        "questions": {"type": "array", "items": {"type": "object"}}}}},
            }}}},
    }));
    let support_offer = json!({"type": "object", "required": ["id", "name", "url", "topics", "conditions", "inferred"],
        "properties": {"id": {"type": "string"}, "name": text.clone(), "url": {"type": "string"},
            "topics": {"type": "array", "items": {"type": "string"}},
            "conditions": {"type": "object"}, "source": {"type": "string"}, "note": {"type": "string"},
            "inferred": {"type": "boolean"}}});
    s.insert("DigiscoreSupport".into(), json!({
        "type": "object", "required": ["version", "source", "toml", "operators", "aids", "programmes", "versions"],
        "properties": {
            "version": {"type": ["integer", "null"]},
            "source": {"type": "string", "enum": ["store", "built-in"]},
            "toml": {"type": "string"},
            "operators": {"type": "array", "items": support_offer.clone()},
            "aids": {"type": "array", "items": support_offer.clone()},
            "programmes": {"type": "array", "items": support_offer},
            "versions": {"type": "array", "items": {"type": "object", "required": ["version", "saved_by", "saved_at"],
                "properties": {"version": {"type": "integer"}, "saved_by": {"type": "string"}, "saved_at": {"type": "string"}}}},
        }}));
    s.insert(
        "DigiscoreSupportPut".into(),
        json!({
        "type": "object", "required": ["base_version", "toml"], "additionalProperties": false,
        "properties": {"base_version": {"type": ["integer", "null"]}, "toml": {"type": "string"}}}),
    );
    s.insert("DigiscoreBarometer".into(), json!({
        "type": "object", "required": ["threshold", "rule", "barometers"],
        "properties": {
            "threshold": {"type": "integer"}, "rule": {"type": "string"},
            "barometers": {"type": "array", "items": {
                "type": "object", "required": ["questionnaire", "version", "axes", "synthetic", "threshold", "rows"],
                "properties": {
                    "questionnaire": {"type": "string"}, "version": {"type": "integer"},
                    "axes": {"type": "array", "items": {"type": "string"}},
                    "synthetic": {"type": "boolean"}, "threshold": {"type": "integer"},
                    "rows": {"type": "array", "items": {"type": "object", "required": ["dimension", "group", "cell"],
                        "properties": {
                            "dimension": {"enum": [null, "section", "size", "province"]},
                            "group": {"type": "string"}, "cell": cell}}},
                }}},
        },
    }));
    s.insert("NewDigiscoreAssessment".into(), json!({
        "type": "object", "required": ["questionnaire", "nace", "size"], "additionalProperties": false,
        "properties": {
            "questionnaire": {"type": "string", "description": "A questionnaire id (its latest version is used).", "examples": ["digiscore", "dmat-sme", "dmat-public"]},
            "kbo": {"type": ["string", "null"], "description": "KBO/BCE enterprise number (10 digits, check digit verified), optional."},
            "nace": {"type": "string", "description": "NACE Rev. 2 section letter A–U.", "examples": ["C"]},
            "size": {"enum": ["self-employed", "micro", "small", "medium", "large"]},
            "municipality": {"type": ["string", "null"], "description": "NIS (REFNIS) code of the municipality, optional.", "examples": ["92094"]},
        },
    }));
    s.insert(
        "DigiscoreAnswers".into(),
        json!({
            "type": "object", "additionalProperties": false,
            "properties": {
                "answers": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "Question id → option id."},
                "finish": {"type": "boolean", "default": false},
            },
        }),
    );
    let assessment = json!({
        "type": "object",
        "required": ["questionnaire", "questionnaire_version", "profile", "answers", "missing", "created_at", "updated_at", "completed_at", "result", "demo"],
        "properties": {
            "questionnaire": {"type": "string"}, "questionnaire_version": {"type": "integer"},
            "profile": {"type": "object", "required": ["nace_section", "size"], "properties": {
                "kbo": nullable_string, "nace_section": {"type": "string"}, "size": {"type": "string"},
                "municipality": nullable_string}},
            "answers": {"type": "object", "additionalProperties": {"type": "string"}},
            "missing": {"type": "array", "items": {"type": "string"}},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"},
            "completed_at": nullable_string,
            "demo": {"type": "boolean"},
            "result": {"oneOf": [{"type": "null"}, {"type": "object",
                "required": ["overall", "axes", "band", "peers", "next_steps", "previous"],
                "properties": {
                    "overall": {"type": "number"},
                    "axes": {"type": "array", "items": axis_score},
                    "band": {"type": "object", "required": ["id", "label", "interpretation"]},
                    "peers": {"type": "object", "required": ["shown", "threshold", "synthetic"], "properties": {
                        "shown": {"type": "boolean"}, "percentile": {"type": "number"},
                        "peers": {"type": "integer", "minimum": 10}, "threshold": {"type": "integer"},
                        "synthetic": {"type": "boolean"}}},
                    "next_steps": {"type": "array", "items": {"type": "object",
                        "required": ["axis", "axis_name", "score", "advice"],
                        "properties": {"axis": {"type": "string"}, "axis_name": text, "score": {"type": "number"},
                            "advice": text, "programme": offer, "aid": offer, "operator": offer}}},
                    "previous": {"type": ["object", "null"]},
                }}]},
        },
    });
    let mut created = assessment.clone();
    created["required"]
        .as_array_mut()
        .expect("required is an array")
        .extend([json!("secret"), json!("links")]);
    created["properties"]["secret"] =
        json!({"type": "string", "description": "The private link's secret: shown once, keep it."});
    created["properties"]["links"] = json!({"type": "object", "required": ["fr", "en", "api"], "properties": {
        "fr": {"type": "string"}, "en": {"type": "string"}, "api": {"type": "string"}}});
    s.insert("DigiscoreAssessment".into(), assessment);
    s.insert("CreatedDigiscoreAssessment".into(), created);
    s
}
