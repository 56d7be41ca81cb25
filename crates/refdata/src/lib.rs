//! Territoria's shipped data, turned into write operations for the store.
//!
//! * [`reference`]: real reference data embedded in the binary (processed from public
//!   sources by `tools/refdata/`, attributions in `data/README.md` and `NOTICE`):
//!   NACE-BEL 2008 and 2025, Belgium's territory (regions, provinces, 565 municipalities by
//!   REFNIS code, postal codes, locations), judicial arrondissements and cantons with
//!   simplified boundaries, KBO legal forms.
//! * [`strategy`]: the human-editable strategy file (`data/strategy/digital-wallonia.toml`):
//!   ambitions, values, levers, programmes, indicators with the memorandum's figures, and
//!   the taxonomies the memorandum names.
//! * [`demo`]: a seeded, deterministic generator of a synthetic ecosystem (every record
//!   marked demo).
//!
//! Everything is expressed as [`territoria_store::Op`]s and goes through the store's one
//! write path. Architecture invariant: this crate is needed at start-up of a fresh store
//! (and by the `demo` command), never while serving.

pub mod demo;
pub mod reference;
mod rng;
pub mod strategy;

use territoria_store::{Located, Op, Record, Store, StoreError, WriteOptions, WriteReport};

/// Writes `ops` through the store's write path as one audited transaction.
pub fn load(
    store: &dyn Store,
    operation: &str,
    ops: impl IntoIterator<Item = Op>,
    progress: &mut dyn FnMut(u64),
) -> Result<WriteReport, StoreError> {
    let mut records = ops.into_iter().map(|op| -> Record { Ok(Located::from(op)) });
    store.apply(
        "territoria",
        operation,
        &mut records,
        &WriteOptions::default(),
        progress,
    )
}
