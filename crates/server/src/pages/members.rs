//! The explorer's member table: the columns a strategy manager chooses (`cols`:
//! BCE number, municipality, NACE codes, size, labels, poles and clusters), the same
//! on screen and in the CSV/JSON export. Organisations only; other kinds list names.

use std::collections::HashMap;

use territoria_model::{Details, Entity, EntityKind, Relation, RelationKind};

use super::geo::Geo;
use super::{Lang, PageError};

/// `(id, French, English)`, in the order of the table.
pub const COLUMNS: [(&str, &str, &str); 6] = [
    ("bce", "Numéro BCE", "CBE number"),
    ("municipality", "Commune", "Municipality"),
    ("nace", "Codes NACE-BEL", "NACE-BEL codes"),
    ("size", "Taille (emploi)", "Size (employees)"),
    ("labels", "Labels", "Labels"),
    ("poles", "Pôles et clusters", "Poles and clusters"),
];

/// The columns shown when none is chosen.
pub const DEFAULT: [&str; 3] = ["bce", "municipality", "nace"];

/// The words of the member table (chained into the interface's table).
pub const WORDS: &[(&str, &str, &str)] = &[
    ("columns", "Colonnes", "Columns"),
    (
        "show_columns",
        "Afficher ces colonnes",
        "Show these columns",
    ),
    ("member_name", "Nom", "Name"),
    ("copied", "Lien copié.", "Link copied."),
];

/// The chosen columns (`cols`, repeated or comma-separated), in table order; the
/// default set when the parameter is absent, none when it is `cols=` (names only).
pub fn chosen<'a>(
    mut values: impl Iterator<Item = &'a str>,
    lang: Lang,
) -> Result<Vec<&'static str>, PageError> {
    let Some(first) = values.next() else {
        return Ok(DEFAULT.to_vec());
    };
    let mut wanted: Vec<&str> = Vec::new();
    for v in std::iter::once(first).chain(values) {
        for c in v.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if !COLUMNS.iter().any(|(id, _, _)| *id == c) {
                let ids: Vec<&str> = COLUMNS.iter().map(|(id, _, _)| *id).collect();
                return Err(PageError::bad(
                    lang,
                    "cols",
                    format!("unknown column `{c}`; columns: {}", ids.join(", ")),
                ));
            }
            wanted.push(c);
        }
    }
    Ok(COLUMNS
        .iter()
        .map(|(id, _, _)| *id)
        .filter(|id| wanted.contains(id))
        .collect())
}

/// A column's header in `lang`.
pub fn header(id: &str, lang: Lang) -> &'static str {
    COLUMNS
        .iter()
        .find(|(c, _, _)| *c == id)
        .map(|(_, fr, en)| match lang {
            Lang::Fr => *fr,
            Lang::En => *en,
        })
        .unwrap_or("")
}

/// The size class of a headcount (the European Commission's SME thresholds,
/// Recommendation 2003/361/EC, on headcount only).
pub fn size_class(employees: u32, lang: Lang) -> &'static str {
    match (employees, lang) {
        (0..=9, Lang::Fr) => "micro (< 10)",
        (10..=49, Lang::Fr) => "petite (10–49)",
        (50..=249, Lang::Fr) => "moyenne (50–249)",
        (_, Lang::Fr) => "grande (250 et plus)",
        (0..=9, Lang::En) => "micro (< 10)",
        (10..=49, Lang::En) => "small (10–49)",
        (50..=249, Lang::En) => "medium (50–249)",
        (_, Lang::En) => "large (250 or more)",
    }
}

/// The cells of `e` (with its `relations`) for `cols`; `names` gives the names of labels and organisations
/// by key (what relations point to).
pub fn cells(
    e: &Entity,
    relations: &[Relation],
    cols: &[&str],
    geo: &Geo,
    names: &HashMap<String, String>,
    lang: Lang,
) -> Vec<String> {
    let tags = |scheme: &str| -> Vec<&str> {
        e.tags
            .iter()
            .filter(|t| t.scheme == scheme)
            .map(|t| t.notation.as_str())
            .collect()
    };
    let related = |kind: RelationKind, target: EntityKind| -> String {
        let mut v: Vec<&str> = relations
            .iter()
            .filter(|r| r.kind == kind && r.object.kind == target)
            .map(|r| {
                names
                    .get(&r.object.key)
                    .map(String::as_str)
                    .unwrap_or(r.object.key.as_str())
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v.join(", ")
    };
    let org = match &e.details {
        Details::Organisation(o) => Some(o),
        _ => None,
    };
    cols.iter()
        .map(|c| match *c {
            "bce" => org
                .and_then(|o| o.kbo)
                .map(|k| k.to_string())
                .unwrap_or_default(),
            "municipality" => tags("territory")
                .iter()
                .filter_map(|code| geo.municipalities.get(*code))
                .map(|m| super::text(&m.labels, lang).text)
                .collect::<Vec<_>>()
                .join(", "),
            "nace" => tags("nace-bel-2008").join(", "),
            "size" => org
                .and_then(|o| o.employees)
                .map(|n| {
                    format!(
                        "{} · {}",
                        super::fmt::integer(n as u64, lang),
                        size_class(n, lang)
                    )
                })
                .unwrap_or_default(),
            "labels" => related(RelationKind::Labelled, EntityKind::Label),
            "poles" => related(RelationKind::MemberOf, EntityKind::Organisation),
            _ => String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_chosen_in_table_order() {
        assert_eq!(
            chosen(std::iter::empty(), Lang::Fr).ok(),
            Some(DEFAULT.to_vec())
        );
        assert_eq!(
            chosen(["poles,bce", "municipality"].into_iter(), Lang::Fr).ok(),
            Some(vec!["bce", "municipality", "poles"])
        );
        assert_eq!(chosen([""].into_iter(), Lang::Fr).ok(), Some(vec![]));
        assert!(chosen(["siret"].into_iter(), Lang::Fr).is_err());
    }

    #[test]
    fn size_classes() {
        assert_eq!(size_class(9, Lang::Fr), "micro (< 10)");
        assert_eq!(size_class(10, Lang::En), "small (10–49)");
        assert_eq!(size_class(250, Lang::Fr), "grande (250 et plus)");
    }
}
