//! What a citizen needs to go to a place: its address, opening hours, telephone,
//! e-mail and a directions link (OpenStreetMap's route planner: a plain link, no
//! script, nothing fetched by the page). Contact details are entity attributes
//! (`opening_hours` in OpenStreetMap's syntax, `phone`, `email`); the address and
//! postal code are the place's own fields.

use serde::Serialize;
use territoria_model::{Entity, Place};

use super::Lang;

/// The words of the place views (chained into the interface's table by [`super::i18n`]).
pub const WORDS: &[(&str, &str, &str)] = &[
    ("place_address", "Adresse", "Address"),
    ("result", "résultat", "result"),
    (
        "no_version",
        "Aucune version de cette stratégie n'est encore chargée : voici ce que l'on en sait.",
        "No version of this strategy is loaded yet: here is what is known of it.",
    ),
    ("place_hours", "Heures d'ouverture", "Opening hours"),
    ("place_phone", "Téléphone", "Telephone"),
    ("place_email", "Courriel", "E-mail"),
    ("place_directions", "Itinéraire", "Directions"),
    (
        "place_directions_title",
        "Itinéraire sur OpenStreetMap (site externe)",
        "Directions on OpenStreetMap (external site)",
    ),
    (
        "flag_start_passed",
        "date de début passée",
        "start date passed",
    ),
    ("flag_end_passed", "date de fin passée", "end date passed"),
    (
        "sources_of_figures",
        "Sources des chiffres",
        "Sources of the figures",
    ),
    ("updated_on", "Données mises à jour le", "Data updated on"),
    ("use_my_location", "Utiliser ma position", "Use my location"),
    (
        "locating",
        "Recherche de votre position…",
        "Finding your location…",
    ),
    (
        "location_refused",
        "Votre position n'est pas disponible : indiquez un code postal.",
        "Your location is not available: enter a postal code.",
    ),
    (
        "near_you",
        "Lieux les plus proches de votre position",
        "Places nearest to your location",
    ),
    ("search_elsewhere", "Chercher ailleurs", "Search elsewhere"),
    (
        "near_bad_postcode",
        "« {0} » n'est pas un code postal belge : indiquez 4 chiffres, par exemple 5000.",
        "“{0}” is not a Belgian postal code: enter 4 digits, for example 5000.",
    ),
    (
        "near_unknown_postcode",
        "Le code postal {0} n'est celui d'aucune commune wallonne. Essayez par exemple 5000 (Namur) ou 4000 (Liège).",
        "The postal code {0} is not that of a Walloon municipality. Try for example 5000 (Namur) or 4000 (Liège).",
    ),
    (
        "near_bad_position",
        "La position reçue n'est pas valide (latitude et longitude en degrés décimaux).",
        "The position received is not valid (latitude and longitude in decimal degrees).",
    ),
];

/// A place's contact card, ready for a template.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contact {
    /// "Rue de la Gare 12, 5000 Namur".
    pub address: Option<String>,
    /// One line per rule: "lundi–vendredi : 9 h – 12 h, 13 h – 17 h".
    pub hours: Vec<String>,
    pub phone: Option<String>,
    /// `tel:+3281001234`.
    pub phone_href: Option<String>,
    pub email: Option<String>,
    pub directions: String,
}

fn attr<'a>(e: &'a Entity, key: &str) -> Option<&'a str> {
    e.attributes
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The attributes shown by [`contact`] (the entity page does not list them again).
pub const CONTACT_ATTRIBUTES: [&str; 3] = ["opening_hours", "phone", "email"];

/// The contact card of `e` (a place at `p` in `municipality`); directions start from
/// `from` when known (the reader's position or postal code), else OpenStreetMap asks.
pub fn contact(
    e: &Entity,
    p: &Place,
    municipality: &str,
    from: Option<(f64, f64)>,
    lang: Lang,
) -> Contact {
    let locality = match (&p.postal_code, municipality.is_empty()) {
        (Some(c), false) => Some(format!("{c} {municipality}")),
        (Some(c), true) => Some(c.clone()),
        (None, false) => Some(municipality.to_owned()),
        (None, true) => None,
    };
    let address = match (&p.address, locality) {
        (Some(a), Some(l)) => Some(format!("{a}, {l}")),
        (Some(a), None) => Some(a.clone()),
        (None, l) => l,
    };
    let phone = attr(e, "phone").map(str::to_owned);
    Contact {
        address,
        hours: attr(e, "opening_hours")
            .map(|h| hours(h, lang))
            .unwrap_or_default(),
        phone_href: phone.as_ref().map(|p| {
            format!(
                "tel:{}",
                p.chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect::<String>()
            )
        }),
        phone,
        email: attr(e, "email").map(str::to_owned),
        directions: directions((p.lat, p.lon), from),
    }
}

/// OpenStreetMap's route planner from `from` (if known) to `to`, on foot.
pub fn directions(to: (f64, f64), from: Option<(f64, f64)>) -> String {
    let from = from
        .map(|(lat, lon)| format!("{lat:.5}%2C{lon:.5}"))
        .unwrap_or_default();
    format!(
        "https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route={from}%3B{:.5}%2C{:.5}",
        to.0, to.1
    )
}

const DAYS: [(&str, &str, &str); 7] = [
    ("Mo", "lundi", "Monday"),
    ("Tu", "mardi", "Tuesday"),
    ("We", "mercredi", "Wednesday"),
    ("Th", "jeudi", "Thursday"),
    ("Fr", "vendredi", "Friday"),
    ("Sa", "samedi", "Saturday"),
    ("Su", "dimanche", "Sunday"),
];

fn day(code: &str, lang: Lang) -> Option<&'static str> {
    DAYS.iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, f, e)| match lang {
            Lang::Fr => *f,
            Lang::En => *e,
        })
}

/// `09:00` as "9 h" (French) or "09:00" (English); `09:30` as "9 h 30".
fn time(hhmm: &str, lang: Lang) -> Option<String> {
    let (h, m) = hhmm.split_once(':')?;
    let (h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
    if h > 24 || m > 59 {
        return None;
    }
    Some(match (lang, m) {
        (Lang::Fr, 0) => format!("{h} h"),
        (Lang::Fr, m) => format!("{h} h {m:02}"),
        (Lang::En, m) => format!("{h:02}:{m:02}"),
    })
}

/// One rule ("Mo-Fr 09:00-12:00,13:00-17:00") in words, or `None` if it uses more of
/// the syntax than days and times.
fn rule(r: &str, lang: Lang) -> Option<String> {
    let (days, times) = r.trim().split_once(' ')?;
    let days = days
        .split(',')
        .map(|d| match d.split_once('-') {
            Some((a, b)) => Some(format!("{}–{}", day(a, lang)?, day(b, lang)?)),
            None => day(d, lang).map(str::to_owned),
        })
        .collect::<Option<Vec<_>>>()?;
    let times = times
        .trim()
        .split(',')
        .map(|span| {
            let (a, b) = span.trim().split_once('-')?;
            Some(format!("{} – {}", time(a, lang)?, time(b, lang)?))
        })
        .collect::<Option<Vec<_>>>()?;
    let sep = match lang {
        Lang::Fr => " : ",
        Lang::En => ": ",
    };
    Some(format!("{}{sep}{}", days.join(", "), times.join(", ")))
}

/// Opening hours in OpenStreetMap's syntax, one line per rule in words; a rule beyond
/// days and times (holidays, weeks, comments) is shown as written.
pub fn hours(osm: &str, lang: Lang) -> Vec<String> {
    osm.split(';')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| rule(r, lang).unwrap_or_else(|| r.to_owned()))
        .collect()
}

/// The readers' words for an entity kind, a classification scheme, a relation or an
/// attribute key (the record page shows no raw keys); an unknown key is shown as is.
pub fn label(key: &str, lang: Lang) -> String {
    const LABELS: &[(&str, &str, &str)] = &[
        ("organisation", "Organisation", "Organisation"),
        ("person", "Personne", "Person"),
        ("event", "Événement", "Event"),
        ("publication", "Publication", "Publication"),
        ("place", "Lieu", "Place"),
        ("label", "Label", "Label"),
        ("fund", "Fonds", "Fund"),
        ("call", "Appel", "Call"),
        ("mission", "Mission", "Mission"),
        ("dataset", "Jeu de données", "Dataset"),
        ("indicator", "Indicateur", "Indicator"),
        ("programme", "Programme", "Programme"),
        ("ambition", "Ambition", "Ambition"),
        ("strategy", "Stratégie", "Strategy"),
        ("inclusion-service", "Services", "Services"),
        ("organisation-kind", "Type", "Type"),
        ("territory", "Commune", "Municipality"),
        (
            "nace-bel-2008",
            "Activité (NACE-BEL 2008)",
            "Activity (NACE-BEL 2008)",
        ),
        ("audience", "Publics", "Audiences"),
        ("size-class", "Taille", "Size"),
        ("participated_in", "a participé à", "participated in"),
        ("laureate_of", "lauréat de", "laureate of"),
        ("funded_by", "financé par", "funded by"),
        ("member_of", "membre de", "member of"),
        ("labelled", "labellisé", "labelled"),
        ("located_in", "situé dans", "located in"),
        ("operates", "exploite", "operates"),
        ("partner_of", "partenaire de", "partner of"),
        ("contributes_to", "contribue à", "contributes to"),
        ("part_of", "fait partie de", "part of"),
        ("network", "Réseau", "Network"),
        ("member_since", "Membre depuis", "Member since"),
    ];
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, f, e)| match lang {
            Lang::Fr => (*f).to_owned(),
            Lang::En => (*e).to_owned(),
        })
        .unwrap_or_else(|| key.to_owned())
}

/// The title and first sentence of an error page.
pub fn error_words(status: axum::http::StatusCode, lang: Lang) -> (&'static str, &'static str) {
    match (status.as_u16(), lang) {
        (400, Lang::Fr) => (
            "Demande incorrecte",
            "Un paramètre de l'adresse n'est pas valide.",
        ),
        (400, Lang::En) => ("Bad request", "A parameter of the address is not valid."),
        (404, Lang::Fr) => ("Page introuvable", "Cette page n'existe pas ou plus."),
        (404, Lang::En) => ("Page not found", "This page does not exist (any more)."),
        (_, Lang::Fr) => (
            "Erreur du serveur",
            "La page n'a pas pu être produite ; réessayez plus tard.",
        ),
        (_, Lang::En) => (
            "Server error",
            "The page could not be produced; please try again later.",
        ),
    }
}

/// Backquoted words (`x`) in typographic quotes: « x » in French, “x” in English.
pub fn quoted(message: &str, lang: Lang) -> String {
    let (open, close) = match lang {
        Lang::Fr => ("« ", " »"),
        Lang::En => ("“", "”"),
    };
    let mut out = String::with_capacity(message.len() + 8);
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push_str(if i % 2 == 1 { open } else { close });
        }
        out.push_str(part);
    }
    out
}

/// `template` with `{0}` replaced by `value`.
pub fn say(template: &str, value: &str) -> String {
    template.replace("{0}", value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_in_words() {
        assert_eq!(
            hours("Mo-Fr 09:00-12:00,13:30-17:00", Lang::Fr),
            ["lundi–vendredi : 9 h – 12 h, 13 h 30 – 17 h"]
        );
        assert_eq!(
            hours("Tu,Th 13:00-18:00; Sa 09:00-12:00", Lang::En),
            [
                "Tuesday, Thursday: 13:00 – 18:00",
                "Saturday: 09:00 – 12:00"
            ]
        );
        // Beyond days and times: as written, never dropped.
        assert_eq!(
            hours("PH off; Mo 25:00-26:00", Lang::Fr),
            ["PH off", "Mo 25:00-26:00"]
        );
        assert!(hours(" ; ", Lang::Fr).is_empty());
    }

    #[test]
    fn directions_link() {
        assert_eq!(
            directions((50.46, 4.87), Some((50.4674, 4.8718))),
            "https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=50.46740%2C4.87180%3B50.46000%2C4.87000"
        );
        assert!(directions((50.46, 4.87), None).contains("route=%3B50.46000"));
    }

    #[test]
    fn contact_card() {
        let mut e = Entity::new(
            territoria_model::EntityKind::Place,
            "p",
            territoria_model::Labels::fr("EPN"),
            territoria_model::Provenance::demo("test"),
        );
        e.attributes
            .insert("phone".into(), serde_json::json!("+32 81 00 12 34"));
        e.attributes
            .insert("opening_hours".into(), serde_json::json!("We 13:00-17:00"));
        let p = Place {
            lat: 50.0,
            lon: 4.0,
            address: Some("Rue de la Gare 12".into()),
            postal_code: Some("5000".into()),
        };
        let c = contact(&e, &p, "Namur", None, Lang::Fr);
        assert_eq!(c.address.as_deref(), Some("Rue de la Gare 12, 5000 Namur"));
        assert_eq!(c.phone_href.as_deref(), Some("tel:+3281001234"));
        assert_eq!(c.hours, ["mercredi : 13 h – 17 h"]);
        assert_eq!(c.email, None);
    }
}
