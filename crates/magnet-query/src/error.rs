use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a query was rejected.
///
/// Displayed as `at position 17: expected a term (…) but found ')'`, followed by
/// `; {message}` when there is a message (a hint such as "did you mean 'funded_by'?").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    /// Character offset (0-based, in `char`s, not bytes) in the text query.
    pub position: usize,
    /// What the parser wanted there.
    pub expected: String,
    /// What it found (`')'`, `'OR'`, `end of input`, …).
    pub found: String,
    /// A hint or the name of the exceeded limit; may be empty.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(
        position: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
        message: impl Into<String>,
    ) -> ParseError {
        ParseError {
            position,
            expected: expected.into(),
            found: found.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at position {}: expected {} but found {}",
            self.position, self.expected, self.found
        )?;
        if !self.message.is_empty() {
            write!(f, "; {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// `'text'`, shortened to 40 characters.
pub(crate) fn quoted(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if text.chars().nth(40).is_some() {
        s.push('…');
    }
    format!("'{s}'")
}
