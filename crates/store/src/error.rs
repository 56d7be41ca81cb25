use std::fmt;

use territoria_model::ValidationErrors;

/// Where a record came from: file, line, column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(c) = self.column {
            write!(f, ":{c}")?;
        }
        Ok(())
    }
}

/// A refused record: where it is, what it is, and every reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordError {
    pub location: Option<Location>,
    /// What the record is, e.g. `organisation/demo-000042` (empty when unknown).
    pub record: String,
    pub errors: ValidationErrors,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.location {
            write!(f, "{l}: ")?;
        }
        if !self.record.is_empty() {
            write!(f, "{}: ", self.record)?;
        }
        write!(f, "{}", self.errors)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The user's mistake: invalid records. Nothing was committed.
    #[error("{} invalid record(s), nothing was written; first: {}", .0.len(), .0[0])]
    Invalid(Vec<RecordError>),
    /// An edit started from a version that is no longer the current one; nothing was
    /// written. `current` is the version now (`None`: the entity does not exist).
    #[error("{entity} changed since this edit started (now at version {}): reload it and apply the edit again", .current.map_or_else(|| "none".to_owned(), |v| v.to_string()))]
    Conflict {
        entity: String,
        current: Option<i64>,
    },
    /// A store that cannot be opened or upgraded as asked.
    #[error("{0}")]
    Unusable(String),
    /// Anything else: a bug or an I/O failure. The details are for the logs.
    #[error("internal storage error: {0}")]
    Internal(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Internal(format!("JSON column: {e}"))
    }
}

impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        StoreError::Internal(format!("unexpected column type: {e}"))
    }
}
