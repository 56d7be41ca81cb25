//! Territoria's open data: what the Opendatasoft Explore API v2.1, CKAN and DCAT-AP 3
//! endpoints publish, without any HTTP.
//!
//! ```text
//!  Store ──(Catalogue::build: export_entities, export_observations, scan of concepts,
//!  │        strategy trees, magnets)
//!  ▼
//!  Catalogue { datasets: [Dataset { meta: DatasetMeta, table: Table }] }
//!        │                      │
//!        │ dcat::catalogue_rdf  │ query::Plan::new(dataset, Request)   (refine, exclude,
//!        ▼                      ▼                                      ODSQL, lang, timezone)
//!  Turtle / RDF/XML /      Plan::run(page)      → odsql::ResultSet     (records, group_by)
//!  JSON-LD                 Plan::facets(names)  → [FacetField]
//!                          export::export(plan, format, options, out) → streamed rows
//! ```
//!
//! * [`catalogue`]: the datasets and their metadata (bilingual titles and descriptions, EU
//!   data themes, keywords, issued/modified, temporal coverage, demo records).
//! * [`table`]: one in-memory columnar table per dataset, dictionary-encoding repeated text;
//!   rows are read through [`territoria_odsql::Record`] without copying.
//! * [`query`]: a request checked against a dataset; [`export`]: CSV/JSON/JSONL/GeoJSON
//!   writers fed row by row; [`dcat`]: the DCAT-AP graph and its three serialisations.
//!
//! Architecture Invariant: no HTTP and no JSON wire shapes of the APIs here (the server
//! crate builds the Opendatasoft and CKAN responses); the catalogue is derived from the
//! store and never written back.

pub mod catalogue;
pub mod datastore;
pub mod dcat;
pub mod export;
pub mod parquet;
pub mod query;
pub mod solr;
pub mod table;
pub mod tz;
pub mod xlsx;

pub use catalogue::{Bilingual, Catalogue, Dataset, DatasetMeta, Publisher};
pub use export::{ExportOptions, Format};
pub use query::{FacetField, FacetValue, OutColumn, Plan, Request};

/// Hands the heap memory freed so far back to the operating system.
///
/// glibc keeps freed memory for reuse; after a catalogue build — scratch maps, rows read
/// from the store, the store's released page caches — that is tens of MiB resident for
/// nothing. [`Catalogue::build`] calls this when it is done; call it again after dropping
/// a replaced catalogue. Takes a few milliseconds; does nothing off glibc (the
/// `territoria` binary allocates with mimalloc, which returns freed pages by itself).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists, under its locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A mistake in an ODSQL clause (Opendatasoft `ODSQLError`).
    #[error(transparent)]
    Odsql(#[from] territoria_odsql::OdsqlError),
    /// Any other bad parameter (Opendatasoft `InvalidRESTParameterError`).
    #[error("{0}")]
    Parameter(String),
}

impl Error {
    pub fn parameter(message: impl Into<String>) -> Error {
        Error::Parameter(message.into())
    }

    /// Opendatasoft's `error_code`.
    pub fn error_code(&self) -> &'static str {
        match self {
            Error::Odsql(e) => e.error_code(),
            Error::Parameter(_) => "InvalidRESTParameterError",
        }
    }
}
