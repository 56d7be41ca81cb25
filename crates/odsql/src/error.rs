//! Located errors, shaped like Opendatasoft's `ODSQLError` responses.

use std::fmt;

/// The query parameter an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clause {
    Select,
    Where,
    GroupBy,
    OrderBy,
}

impl Clause {
    /// The parameter name: `select`, `where`, `group_by`, `order_by`.
    pub fn as_str(self) -> &'static str {
        match self {
            Clause::Select => "select",
            Clause::Where => "where",
            Clause::GroupBy => "group_by",
            Clause::OrderBy => "order_by",
        }
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of mistake the query holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The text does not follow the grammar (Opendatasoft: "ODSQL syntax exception").
    Syntax,
    /// A field that the dataset does not have; see [`OdsqlError::suggestions`].
    UnknownField,
    /// A function this dialect does not know.
    UnknownFunction,
    /// Well-formed, but the types do not fit (`text_field > 3`, `sum(text_field)`, …) or the
    /// construct is not allowed there (an aggregate in `where`).
    Invalid,
    /// Longer or deeper than [`MAX_LENGTH`](crate::MAX_LENGTH) /
    /// [`MAX_DEPTH`](crate::MAX_DEPTH).
    Limit,
}

/// Why a query was rejected: the clause, the 0-based **byte** offset in that clause's text, and
/// a message.
///
/// [`Display`](fmt::Display) gives the message Opendatasoft would send in
/// `{"message": …, "error_code": "ODSQLError"}` (see [`OdsqlError::error_code`]), e.g.
/// `ODSQL query is malformed: Unknown field: popultion (did you mean 'population'?). Clause(s)
/// containing the error(s): where.`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdsqlError {
    pub kind: ErrorKind,
    pub clause: Clause,
    /// Byte offset in the clause's text (0 for errors about the whole clause).
    pub position: usize,
    /// The mistake alone, without position or clause: `unexpected ')', expected an expression`,
    /// `Unknown field: popultion`.
    pub message: String,
    /// For [`ErrorKind::UnknownField`] and [`ErrorKind::UnknownFunction`]: up to three close
    /// valid names, nearest first.
    pub suggestions: Vec<String>,
}

impl OdsqlError {
    pub(crate) fn new(
        kind: ErrorKind,
        clause: Clause,
        position: usize,
        message: impl Into<String>,
    ) -> Self {
        OdsqlError {
            kind,
            clause,
            position,
            message: message.into(),
            suggestions: Vec::new(),
        }
    }

    /// The `error_code` of the HTTP 400 body: always `ODSQLError`.
    pub fn error_code(&self) -> &'static str {
        "ODSQLError"
    }
}

impl fmt::Display for OdsqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Syntax | ErrorKind::Limit => write!(
                f,
                "ODSQL syntax exception: {} at position {}",
                self.message, self.position
            )?,
            _ => write!(f, "ODSQL query is malformed: {}", self.message)?,
        }
        match self.suggestions.as_slice() {
            [] => {}
            [one] => write!(f, " (did you mean '{one}'?)")?,
            [init @ .., last] => {
                f.write_str(" (did you mean ")?;
                for (i, s) in init.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "'{s}'")?;
                }
                write!(f, " or '{last}'?)")?;
            }
        }
        write!(f, ". Clause(s) containing the error(s): {}.", self.clause)
    }
}

impl std::error::Error for OdsqlError {}

/// `'text'` for messages, shortened to 40 characters.
pub(crate) fn quoted(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if text.chars().nth(40).is_some() {
        s.push('…');
    }
    format!("'{s}'")
}
