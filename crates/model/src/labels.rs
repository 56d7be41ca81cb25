use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The languages Territoria labels things in, French first (the UI's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Fr,
    En,
    Nl,
    De,
}

/// Every supported language, in fallback order.
pub const LANGS: [Lang; 4] = [Lang::Fr, Lang::En, Lang::Nl, Lang::De];

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
            Lang::Nl => "nl",
            Lang::De => "de",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        LANGS
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code))
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A multilingual label: language code → text. Serialised as a JSON object
/// (`{"fr": "…", "nl": "…"}`), the form used everywhere a person reads a name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Labels(pub BTreeMap<String, String>);

impl Labels {
    pub fn new() -> Self {
        Self::default()
    }

    /// A label in French only — the memorandum's language.
    pub fn fr(text: impl Into<String>) -> Self {
        let mut l = Self::new();
        l.set(Lang::Fr, text);
        l
    }

    pub fn with(mut self, lang: Lang, text: impl Into<String>) -> Self {
        self.set(lang, text);
        self
    }

    pub fn set(&mut self, lang: Lang, text: impl Into<String>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.0.insert(lang.code().to_owned(), text);
        }
    }

    /// The label in `lang`, else in the first language that has one (fr, en, nl, de).
    pub fn get(&self, lang: Lang) -> Option<&str> {
        self.0
            .get(lang.code())
            .or_else(|| LANGS.iter().find_map(|l| self.0.get(l.code())))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
    }

    /// The label in `lang` only, without fallback.
    pub fn exact(&self, lang: Lang) -> Option<&str> {
        self.0.get(lang.code()).map(String::as_str)
    }

    /// The label a list sorts by: French, or the first available.
    pub fn main(&self) -> &str {
        self.get(Lang::Fr).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Labels with keys outside the supported languages are refused.
    pub fn unknown_language(&self) -> Option<&str> {
        self.0
            .keys()
            .find(|k| Lang::parse(k).is_none())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_french_then_others() {
        let l = Labels::fr("Liège").with(Lang::Nl, "Luik");
        assert_eq!(l.get(Lang::Nl), Some("Luik"));
        assert_eq!(l.get(Lang::En), Some("Liège"));
        let only_nl = Labels::new().with(Lang::Nl, "Gent");
        assert_eq!(only_nl.get(Lang::Fr), Some("Gent"));
        assert_eq!(only_nl.exact(Lang::Fr), None);
    }

    #[test]
    fn blank_labels_are_not_stored() {
        let l = Labels::fr("  ");
        assert!(l.is_empty());
    }
}
