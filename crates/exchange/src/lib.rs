//! Exchange formats: CSV and JSON import/export of organisations, actions and
//! indicator observations.
//!
//! * Export streams from the store (`Store::export_*`) to any writer; a million rows
//!   never sit in memory.
//! * Import parses records one by one, turns them into store operations that carry
//!   their location (file, line, column) and feeds them to the store's single write path
//!   — one transaction: a bad file commits nothing, unless `skip_invalid`, which commits
//!   the valid rows and reports the others with their reason.
//! * Export then import gives the same data (a property test holds us to it).
//!
//! CSV: UTF-8, `;`-separated with a byte-order mark by default (how Belgian users open
//! CSV in Excel); multi-valued cells use `|`. Import accepts `;` or `,` (taken from the
//! header line) and ignores a BOM. Columns are documented in `docs/exchange.md`.
//! JSON: an array of objects, one per line, in the model's serde form.

mod csv_format;
pub mod diff;
mod json_format;

use std::io::{Read, Write};

use territoria_model::{ConceptRef, EntityKind};
use territoria_store::{Record, RecordError, Store, StoreError, WriteOptions, WriteReport};

pub use csv_format::CsvOptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Organisations,
    Actions,
    Observations,
    /// An indicator's targets (value due at a date), beside its observations.
    Targets,
    /// Places (digital-inclusion places, offices, venues) with their coordinates.
    Places,
    Events,
    Publications,
    /// People, with GDPR-minimal fields only: names, a public role, affiliations.
    People,
}

impl Collection {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "organisations" | "organisation" | "organizations" => Some(Self::Organisations),
            "actions" | "action" => Some(Self::Actions),
            "observations" | "observation" | "indicator-observations" => Some(Self::Observations),
            "targets" | "target" | "indicator-targets" => Some(Self::Targets),
            "places" | "place" => Some(Self::Places),
            "events" | "event" => Some(Self::Events),
            "publications" | "publication" => Some(Self::Publications),
            "people" | "person" | "persons" => Some(Self::People),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Organisations => "organisations",
            Self::Actions => "actions",
            Self::Observations => "observations",
            Self::Targets => "targets",
            Self::Places => "places",
            Self::Events => "events",
            Self::Publications => "publications",
            Self::People => "people",
        }
    }

    /// Every collection, in the order they are best imported (organisations before
    /// what points to them).
    pub const ALL: [Collection; 8] = [
        Self::Organisations,
        Self::Places,
        Self::People,
        Self::Events,
        Self::Publications,
        Self::Actions,
        Self::Observations,
        Self::Targets,
    ];

    /// The names of [`Collection::ALL`], for messages.
    pub fn names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }

    pub(crate) fn kind(self) -> Option<EntityKind> {
        match self {
            Self::Organisations => Some(EntityKind::Organisation),
            Self::Actions => Some(EntityKind::Action),
            Self::Places => Some(EntityKind::Place),
            Self::Events => Some(EntityKind::Event),
            Self::Publications => Some(EntityKind::Publication),
            Self::People => Some(EntityKind::Person),
            Self::Observations | Self::Targets => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    /// The format a file name implies.
    pub fn of_path(path: &std::path::Path) -> Option<Self> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::parse)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The file as a whole cannot be read (not UTF-8, no header, truncated JSON…).
    #[error("{file}: {message}")]
    Unreadable { file: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub skip_invalid: bool,
    /// Who is importing, for the audit trail.
    pub actor: String,
}

/// What an import did: the store's report, with the rejected rows (only with
/// `skip_invalid`; otherwise they come back as `StoreError::Invalid`).
pub struct ImportReport {
    pub write: WriteReport,
    pub rejected: Vec<RecordError>,
}

/// Scheme columns of each collection: `(column, scheme)`. Tags of other schemes go to
/// the `other_tags` column as `scheme:notation`.
pub(crate) fn tag_columns(c: Collection) -> &'static [(&'static str, &'static str)] {
    use territoria_model::schemes as s;
    match c {
        Collection::Organisations => &[
            ("legal_form", s::LEGAL_FORM),
            ("nace_2008", s::NACE_2008),
            ("nace_2025", s::NACE_2025),
            ("municipality", s::TERRITORY),
            ("size_class", s::SIZE_CLASS),
            ("kind", s::ORGANISATION_KIND),
            ("digital_offer", s::DIGITAL_OFFER),
        ],
        Collection::Actions => &[
            ("action_type", s::ACTION_TYPE),
            ("target_audience", s::TARGET_AUDIENCE),
            ("funding_source", s::FUNDING_SOURCE),
            ("territory", s::TERRITORY),
        ],
        Collection::Places => &[
            ("municipality", s::TERRITORY),
            ("services", s::INCLUSION_SERVICE),
        ],
        Collection::Events | Collection::Publications => &[("territory", s::TERRITORY)],
        Collection::People | Collection::Observations | Collection::Targets => &[],
    }
}

/// The columns of an entity collection's typed facts, after the descriptions.
pub(crate) fn detail_columns(c: Collection) -> &'static [&'static str] {
    match c {
        Collection::Organisations => &["kbo", "founded", "employees", "website"],
        Collection::Actions => &["status", "start", "end", "budget_eur"],
        Collection::Places => &["lat", "lon", "address", "postal_code"],
        Collection::Events => &["start", "end"],
        _ => &[],
    }
}

/// The attributes a person may carry (GDPR data minimisation: a public role and
/// public identifiers, never contact details or private facts).
pub const PERSON_ATTRIBUTES: [&str; 3] = ["role", "orcid", "website"];

/// What a person record may not carry (GDPR data minimisation), as field errors.
pub(crate) fn person_minimal(e: &territoria_model::Entity) -> Vec<territoria_model::FieldError> {
    use territoria_model::FieldError;
    let mut errs = Vec::new();
    if let Some(k) = e
        .attributes
        .keys()
        .find(|k| !PERSON_ATTRIBUTES.contains(&k.as_str()))
    {
        errs.push(FieldError::new(
            "attributes",
            format!(
                "`{k}`: a person keeps GDPR-minimal facts only ({}); leave contact details and private facts out",
                PERSON_ATTRIBUTES.join(", ")
            ),
        ));
    }
    if !e.description.is_empty() {
        errs.push(FieldError::new(
            "description",
            "a person has no free-text description (GDPR data minimisation): use attributes.role",
        ));
    }
    errs
}

pub(crate) fn split_tags(c: Collection, tags: &[ConceptRef]) -> (Vec<Vec<&str>>, Vec<String>) {
    let cols = tag_columns(c);
    let mut by_col: Vec<Vec<&str>> = vec![Vec::new(); cols.len()];
    let mut other = Vec::new();
    for t in tags {
        match cols.iter().position(|(_, s)| *s == t.scheme) {
            Some(i) => by_col[i].push(t.notation.as_str()),
            None => other.push(t.to_string()),
        }
    }
    (by_col, other)
}

/// Relations exported with their subject. Leads and partners of an action (`operates`,
/// `partner_of`) travel with the action (columns `lead`, `partners`), so that importing
/// organisations before actions works.
pub(crate) fn travels_with_subject(r: &territoria_model::Relation) -> bool {
    r.object.kind != EntityKind::Action
}

/// What ties an action to the rest, exported with it: where it sits in strategy trees
/// (`strategy@version>kind/key`), who leads it and who partners.
#[derive(Default)]
pub(crate) struct ActionLinks {
    pub placements: Vec<String>,
    pub lead: Vec<territoria_model::EntityRef>,
    pub partners: Vec<territoria_model::EntityRef>,
}

pub(crate) fn action_links(store: &dyn Store, key: &str) -> Result<ActionLinks, StoreError> {
    let mut links = ActionLinks::default();
    if let Some(d) = store.entity(EntityKind::Action, key)? {
        for p in d.placements {
            links.placements.push(format!(
                "{}@{}>{}/{}",
                p.strategy, p.version, p.parent.kind, p.parent.id
            ));
        }
        for r in d.inverse_relations {
            let who = territoria_model::EntityRef::new(r.entity.kind, r.entity.id);
            match r.kind.as_str() {
                "operates" => links.lead.push(who),
                "partner_of" => links.partners.push(who),
                _ => {}
            }
        }
    }
    Ok(links)
}

/// The operations that re-create an action's links on import: strategy edges from
/// `placements`, and `operates` / `partner_of` relations from `lead` / `partners`.
pub(crate) fn action_link_ops(
    action: &territoria_model::EntityRef,
    field: &str,
    placements: &[String],
    lead: Vec<territoria_model::EntityRef>,
    partners: Vec<territoria_model::EntityRef>,
    provenance: &territoria_model::Provenance,
) -> (Vec<territoria_store::Op>, Vec<territoria_model::FieldError>) {
    use territoria_model::{EntityRef, FieldError, Relation, RelationKind};
    use territoria_store::Op;
    let mut ops = Vec::new();
    let mut errors = Vec::new();
    for p in placements {
        let parsed = p
            .split_once('@')
            .and_then(|(s, rest)| rest.split_once('>').map(|(v, parent)| (s, v, parent)));
        match parsed.map(|(s, v, parent)| (s, v, EntityRef::parse(field, parent))) {
            Some((s, v, Ok(parent))) => ops.push(Op::Edge {
                strategy: s.to_owned(),
                version: v.to_owned(),
                parent,
                child: action.clone(),
                position: 0,
                provenance: provenance.clone(),
            }),
            Some((_, _, Err(e))) => errors.push(e),
            None => errors.push(FieldError::new(
                field,
                format!("`{p}`: write strategy@version>kind/key, e.g. digital-wallonia@v3>programme/dw4ai"),
            )),
        }
    }
    for (list, kind) in [
        (lead, RelationKind::Operates),
        (partners, RelationKind::PartnerOf),
    ] {
        for who in list {
            ops.push(Op::Relation(Relation {
                subject: who,
                kind,
                object: action.clone(),
                since: None,
                until: None,
                amount_eur: None,
                provenance: provenance.clone(),
            }));
        }
    }
    (ops, errors)
}

/// Streams a collection out of the store. Returns the number of records written.
pub fn export(
    store: &dyn Store,
    collection: Collection,
    format: Format,
    csv: &CsvOptions,
    out: &mut dyn Write,
) -> Result<u64, ExchangeError> {
    match format {
        Format::Csv => csv_format::export(store, collection, csv, out),
        Format::Json => json_format::export(store, collection, out),
    }
}

/// Imports a file into the store through the single write path.
///
/// The file is parsed on a second thread, in chunks sent through a bounded channel,
/// while this thread validates and writes: parsing overlaps with writing.
pub fn import(
    store: &dyn Store,
    collection: Collection,
    format: Format,
    file: &str,
    input: &mut (dyn Read + Send),
    options: &ImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ExchangeError> {
    let records = match format {
        Format::Csv => csv_format::records(collection, file, input)?,
        Format::Json => json_format::records(collection, file, input)?,
    };
    let actor = if options.actor.is_empty() {
        "territoria import"
    } else {
        options.actor.as_str()
    };
    let write = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Record>>(8);
        let producer = scope.spawn(move || {
            let mut records = records;
            loop {
                let chunk: Vec<Record> = records.by_ref().take(1024).collect();
                if chunk.is_empty() || tx.send(chunk).is_err() {
                    break;
                }
            }
        });
        let mut received = rx.into_iter().flatten();
        let result = store.apply(
            actor,
            &format!("import {} from {file}", collection.as_str()),
            &mut received,
            &WriteOptions {
                skip_invalid: options.skip_invalid,
                ..Default::default()
            },
            progress,
        );
        // Stops the parser early when the write stopped early.
        drop(received);
        if producer.join().is_err() {
            return Err(StoreError::Internal("the file parser panicked".into()));
        }
        result
    })?;
    let rejected = write.rejected.clone();
    Ok(ImportReport { write, rejected })
}
