//! Who is assessed: audience, NACE section, size class, province.

use serde::{Deserialize, Serialize};

/// Whom a questionnaire or a support offer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    Company,
    Public,
}

/// Size class by headcount, after the EU SME definition's bands (headcount only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SizeClass {
    /// No employee (self-employed person, sole trader).
    SelfEmployed,
    /// 1–9 employees.
    Micro,
    /// 10–49 employees.
    Small,
    /// 50–249 employees.
    Medium,
    /// 250 employees or more.
    Large,
}

impl SizeClass {
    pub const ALL: [SizeClass; 5] = [
        SizeClass::SelfEmployed,
        SizeClass::Micro,
        SizeClass::Small,
        SizeClass::Medium,
        SizeClass::Large,
    ];

    /// The class of a headcount.
    pub fn from_headcount(n: u32) -> SizeClass {
        match n {
            0 => SizeClass::SelfEmployed,
            1..=9 => SizeClass::Micro,
            10..=49 => SizeClass::Small,
            50..=249 => SizeClass::Medium,
            _ => SizeClass::Large,
        }
    }

    /// The kebab-case code (`self-employed`, `micro`, …).
    pub fn code(self) -> &'static str {
        match self {
            SizeClass::SelfEmployed => "self-employed",
            SizeClass::Micro => "micro",
            SizeClass::Small => "small",
            SizeClass::Medium => "medium",
            SizeClass::Large => "large",
        }
    }

    pub fn parse(code: &str) -> Option<SizeClass> {
        SizeClass::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Label in `lang` (French unless `"en"`).
    pub fn label(self, lang: &str) -> &'static str {
        let en = lang == "en";
        match self {
            SizeClass::SelfEmployed => {
                if en {
                    "Self-employed (no employee)"
                } else {
                    "Indépendant (sans salarié)"
                }
            }
            SizeClass::Micro => {
                if en {
                    "Micro-enterprise (1–9 employees)"
                } else {
                    "Micro-entreprise (1 à 9 salariés)"
                }
            }
            SizeClass::Small => {
                if en {
                    "Small enterprise (10–49)"
                } else {
                    "Petite entreprise (10 à 49)"
                }
            }
            SizeClass::Medium => {
                if en {
                    "Medium-sized enterprise (50–249)"
                } else {
                    "Moyenne entreprise (50 à 249)"
                }
            }
            SizeClass::Large => {
                if en {
                    "Large enterprise (250 or more)"
                } else {
                    "Grande entreprise (250 et plus)"
                }
            }
        }
    }
}

/// NACE Rev. 2 sections A–U.
pub const NACE_SECTIONS: &str = "ABCDEFGHIJKLMNOPQRSTU";

/// Whether `s` is a NACE Rev. 2 section letter (A–U, upper case).
pub fn is_nace_section(s: &str) -> bool {
    s.len() == 1 && NACE_SECTIONS.contains(s)
}

/// Belgian provinces (and Brussels) as ISO 3166-2:BE codes without the `BE-` prefix.
pub const PROVINCES: [&str; 11] = [
    "VAN", "VBR", "VWV", "VOV", "VLI", "WBR", "WHT", "WLG", "WLX", "WNA", "BRU",
];

/// The Walloon provinces.
pub const WALLOON_PROVINCES: [&str; 5] = ["WBR", "WHT", "WLG", "WLX", "WNA"];

/// The province of a municipality's NIS (INS) code, from the code's leading digits: 1
/// Antwerp, 21 Brussels, 23/24 Flemish Brabant, 25 Walloon Brabant, 3 West Flanders, 4 East
/// Flanders, 5 Hainaut, 6 Liège, 7 Limburg, 8 Luxembourg, 9 Namur. `None` for a code that is
/// not five digits.
pub fn province_of_nis(nis: &str) -> Option<&'static str> {
    if nis.len() != 5 || !nis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let b = nis.as_bytes();
    Some(match (b[0], b[1]) {
        (b'1', _) => "VAN",
        (b'2', b'1') => "BRU",
        (b'2', b'3' | b'4') => "VBR",
        (b'2', b'5') => "WBR",
        (b'3', _) => "VWV",
        (b'4', _) => "VOV",
        (b'5', _) => "WHT",
        (b'6', _) => "WLG",
        (b'7', _) => "VLI",
        (b'8', _) => "WLX",
        (b'9', _) => "WNA",
        _ => return None,
    })
}

/// The province's name in `lang`.
pub fn province_label(code: &str, lang: &str) -> Option<&'static str> {
    let en = lang == "en";
    Some(match code {
        "VAN" => {
            if en {
                "Antwerp"
            } else {
                "Anvers"
            }
        }
        "VBR" => {
            if en {
                "Flemish Brabant"
            } else {
                "Brabant flamand"
            }
        }
        "VWV" => {
            if en {
                "West Flanders"
            } else {
                "Flandre occidentale"
            }
        }
        "VOV" => {
            if en {
                "East Flanders"
            } else {
                "Flandre orientale"
            }
        }
        "VLI" => "Limbourg",
        "WBR" => {
            if en {
                "Walloon Brabant"
            } else {
                "Brabant wallon"
            }
        }
        "WHT" => "Hainaut",
        "WLG" => "Liège",
        "WLX" => "Luxembourg",
        "WNA" => "Namur",
        "BRU" => {
            if en {
                "Brussels-Capital"
            } else {
                "Bruxelles-Capitale"
            }
        }
        _ => return None,
    })
}

/// The assessed organisation as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub audience: Audience,
    /// NACE Rev. 2 section letter.
    pub nace_section: String,
    pub size: SizeClass,
    /// Municipality NIS code, when known.
    pub municipality: Option<String>,
}

impl Profile {
    /// The province, from the municipality's NIS code.
    pub fn province(&self) -> Option<&'static str> {
        self.municipality.as_deref().and_then(province_of_nis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headcount_bands() {
        assert_eq!(SizeClass::from_headcount(0), SizeClass::SelfEmployed);
        assert_eq!(SizeClass::from_headcount(9), SizeClass::Micro);
        assert_eq!(SizeClass::from_headcount(10), SizeClass::Small);
        assert_eq!(SizeClass::from_headcount(249), SizeClass::Medium);
        assert_eq!(SizeClass::from_headcount(250), SizeClass::Large);
        for s in SizeClass::ALL {
            assert_eq!(SizeClass::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn provinces_from_nis_codes() {
        assert_eq!(province_of_nis("92094"), Some("WNA")); // Namur
        assert_eq!(province_of_nis("62063"), Some("WLG")); // Liège
        assert_eq!(province_of_nis("52011"), Some("WHT")); // Charleroi
        assert_eq!(province_of_nis("25072"), Some("WBR")); // Ottignies-Louvain-la-Neuve
        assert_eq!(province_of_nis("21004"), Some("BRU")); // Brussels
        assert_eq!(province_of_nis("24062"), Some("VBR")); // Leuven
        assert_eq!(province_of_nis("84077"), Some("WLX")); // Saint-Hubert
        assert_eq!(province_of_nis("2101"), None);
        assert_eq!(province_of_nis("0x123"), None);
        assert!(PROVINCES.iter().all(|p| province_label(p, "fr").is_some()));
    }

    #[test]
    fn nace_sections() {
        assert!(is_nace_section("A") && is_nace_section("U"));
        assert!(!is_nace_section("V") && !is_nace_section("c") && !is_nace_section("CA"));
    }
}
