//! The one error type of the API and its JSON rendering.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Everything a handler can answer instead of a result.
///
/// Rendered as `{"error": {"code": …, "message": …}}`; a bad parameter also names the
/// parameter and, when we can tell, the closest valid values (`suggestions`).
/// Internal errors are logged with their cause and shown as `internal error` only.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a path segment or query parameter the API cannot use.
    #[error("parameter `{parameter}`: {message}")]
    BadParameter {
        parameter: String,
        message: String,
        suggestions: Vec<String>,
    },
    /// 404: nothing at this address.
    #[error("{0}")]
    NotFound(String),
    /// 401: a write without the instance's write token.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: a write this instance reserves (the dashboard's save, with a write token).
    #[error("{0}")]
    Forbidden(String),
    /// 409: an edit started from a version that is no longer current.
    #[error("{message}")]
    Conflict {
        message: String,
        current_version: Option<i64>,
    },
    /// 422: records the store refused (each with its place and reason); nothing written.
    #[error("{} record(s) refused; nothing was written", .0.len())]
    Invalid(Vec<serde_json::Value>),
    /// 405: the address exists, the method does not (the API is read-only).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 500: a bug or an I/O failure; the cause goes to the logs, never to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_parameter(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadParameter {
            parameter: parameter.into(),
            message: message.into(),
            suggestions: Vec::new(),
        }
    }

    /// A bad parameter with "did you mean" candidates; they are appended to the
    /// message too, for people reading it in a terminal.
    pub fn bad_parameter_suggesting(
        parameter: impl Into<String>,
        message: impl Into<String>,
        suggestions: Vec<String>,
    ) -> Self {
        let mut message = message.into();
        message.push_str(&did_you_mean(&suggestions));
        ApiError::BadParameter {
            parameter: parameter.into(),
            message,
            suggestions,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::NotFound(message.into())
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// ` (did you mean a, b?)`, or nothing when there is no candidate.
pub fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", suggestions.join(", "))
    }
}

impl From<territoria_store::StoreError> for ApiError {
    fn from(e: territoria_store::StoreError) -> Self {
        use territoria_store::StoreError;
        match e {
            StoreError::Conflict { current, .. } => ApiError::Conflict {
                message: e.to_string(),
                current_version: current,
            },
            StoreError::Invalid(errors) => {
                ApiError::Invalid(errors.iter().map(record_error).collect())
            }
            other => ApiError::internal(other),
        }
    }
}

/// A refused record as the API shows it: where, what, and each field's problem.
pub fn record_error(e: &territoria_store::RecordError) -> serde_json::Value {
    json!({
        "location": e.location,
        "record": e.record,
        "errors": e.errors.0.iter().map(|f| json!({"field": f.field, "message": f.message})).collect::<Vec<_>>(),
        "message": e.to_string(),
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match self {
            ApiError::BadParameter {
                parameter,
                message,
                suggestions,
            } => {
                let mut error = json!({
                    "code": "bad_parameter",
                    "parameter": parameter,
                    "message": message,
                });
                if !suggestions.is_empty() {
                    error["suggestions"] = json!(suggestions);
                }
                error
            }
            ApiError::NotFound(message) => json!({"code": "not_found", "message": message}),
            ApiError::Unauthorized(message) => json!({"code": "unauthorized", "message": message}),
            ApiError::Forbidden(message) => json!({"code": "forbidden", "message": message}),
            ApiError::MethodNotAllowed(message) => {
                json!({"code": "method_not_allowed", "message": message})
            }
            ApiError::Conflict {
                message,
                current_version,
            } => {
                json!({"code": "conflict", "message": message, "current_version": current_version})
            }
            ApiError::Invalid(records) => json!({
                "code": "invalid",
                "message": format!("{} record(s) refused; nothing was written", records.len()),
                "records": records,
            }),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                json!({"code": "internal", "message": "internal error"})
            }
        };
        let mut response = (status, Json(json!({ "error": body }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"territoria\""),
            );
        }
        response
    }
}
