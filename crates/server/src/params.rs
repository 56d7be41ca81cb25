//! Query-string parsing with errors that name the parameter.
//!
//! The query is parsed by hand (not with `Query<T>`) so that a parameter may be
//! repeated (`concept=…&concept=…`) and so that every mistake — an unknown parameter,
//! a value that is not a number, a repeated single-valued parameter — answers a 400
//! that says which parameter is wrong and what is expected.

use territoria_model::suggest::closest;

use crate::error::ApiError;

/// The decoded `key=value` pairs of a query string, checked against the parameters an
/// endpoint accepts.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `raw` (without the `?`) and refuses parameters outside `accepted`.
    pub fn parse(raw: Option<&str>, accepted: &[&str]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .into_owned()
            .filter(|(k, _)| !k.is_empty())
            .collect();
        for (key, _) in &pairs {
            if !accepted.contains(&key.as_str()) {
                let expected = if accepted.is_empty() {
                    "this endpoint takes no query parameter".to_owned()
                } else {
                    format!("accepted parameters: {}", accepted.join(", "))
                };
                return Err(ApiError::bad_parameter_suggesting(
                    key.clone(),
                    format!("unknown parameter `{key}`; {expected}"),
                    closest(key, accepted.iter().copied(), 2),
                ));
            }
        }
        Ok(Self { pairs })
    }

    /// Every value of a repeatable parameter, in order.
    pub fn all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a single-valued parameter; given twice is an error.
    pub fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad_parameter(
                name,
                format!("`{name}` is given more than once; give it at most once"),
            ));
        }
        Ok(first)
    }

    /// An integer in `min..=max`, or `default` when absent.
    pub fn integer<T>(&self, name: &str, default: T, min: T, max: T) -> Result<T, ApiError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let Some(raw) = self.one(name)? else {
            return Ok(default);
        };
        let expected = format!("expected an integer from {min} to {max} (default {default})");
        let value: T = raw.trim().parse().map_err(|_| {
            ApiError::bad_parameter(name, format!("`{raw}` is not a valid `{name}`: {expected}"))
        })?;
        if value < min || value > max {
            return Err(ApiError::bad_parameter(
                name,
                format!("{value} is out of range for `{name}`: {expected}"),
            ));
        }
        Ok(value)
    }

    /// `true` or `false`, or `None` when absent.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.one(name)?.map(str::trim) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::bad_parameter(
                name,
                format!("`{other}` is not a valid `{name}`: expected true or false"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: ApiError) -> (String, String) {
        match e {
            ApiError::BadParameter {
                parameter, message, ..
            } => (parameter, message),
            other => panic!("expected a bad parameter, got {other:?}"),
        }
    }

    #[test]
    fn repeated_and_encoded_values() {
        let p = Params::parse(
            Some("concept=nace-bel-2008%3A62&concept=territory:03000&q=p%C3%B4le+num%C3%A9rique"),
            &["concept", "q"],
        )
        .unwrap();
        let concepts: Vec<&str> = p.all("concept").collect();
        assert_eq!(concepts, ["nace-bel-2008:62", "territory:03000"]);
        assert_eq!(p.one("q").unwrap(), Some("pôle numérique"));
        assert!(p.one("concept").is_err());
    }

    #[test]
    fn unknown_parameter_is_named_with_a_suggestion() {
        let e = Params::parse(Some("limt=5"), &["limit", "offset"]).unwrap_err();
        let (parameter, msg) = message(e);
        assert_eq!(parameter, "limt");
        assert!(msg.contains("did you mean limit?"), "{msg}");
    }

    #[test]
    fn integers_are_bounded() {
        let p = Params::parse(Some("limit=501&offset=x"), &["limit", "offset"]).unwrap();
        let (parameter, msg) = message(p.integer::<u32>("limit", 20, 0, 500).unwrap_err());
        assert_eq!(parameter, "limit");
        assert!(msg.contains("from 0 to 500"), "{msg}");
        assert!(p.integer::<u64>("offset", 0, 0, 10).is_err());
        let empty = Params::parse(None, &["limit"]).unwrap();
        assert_eq!(empty.integer::<u32>("limit", 20, 0, 500).unwrap(), 20);
    }

    #[test]
    fn booleans_are_true_or_false() {
        let p = Params::parse(Some("demo=yes"), &["demo"]).unwrap();
        assert!(p.boolean("demo").is_err());
        let p = Params::parse(Some("demo=false"), &["demo"]).unwrap();
        assert_eq!(p.boolean("demo").unwrap(), Some(false));
    }
}
