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
//! * [`targets`]: strategy files that state targets by axis — the EU Digital Decade 2030
//!   (`data/strategy/eu-digital-decade.toml`), with Digital Wallonia's ambitions aligned
//!   to its axes (inferred).
//! * [`demo`]: a seeded, deterministic generator of a synthetic ecosystem (every record
//!   marked demo).
//!
//! Everything is expressed as [`territoria_store::Op`]s and goes through the store's one
//! write path. Architecture invariant: this crate is needed at start-up of a fresh store
//! (and by the `demo` command), never while serving.

pub mod demo;
pub mod digiscore_demo;
pub mod reference;
mod rng;
pub mod strategy;
pub mod targets;

use territoria_store::{Located, Op, Record, Store, StoreError, WriteOptions, WriteReport};

/// Writes `ops` through the store's write path as one audited transaction.
pub fn load(
    store: &dyn Store,
    operation: &str,
    ops: impl IntoIterator<Item = Op>,
    progress: &mut dyn FnMut(u64),
) -> Result<WriteReport, StoreError> {
    let mut records = ops
        .into_iter()
        .map(|op| -> Record { Ok(Located::from(op)) });
    store.apply(
        "territoria",
        operation,
        &mut records,
        &WriteOptions::default(),
        progress,
    )
}

/// Everything a fresh store needs: reference data, the Digital Wallonia strategy file and,
/// if asked, the demo ecosystem — in dependency order, for one transaction.
pub fn bootstrap_ops(demo: Option<&demo::DemoOptions>) -> impl Iterator<Item = Op> + use<> {
    let demo_ops: Box<dyn Iterator<Item = Op>> = match demo {
        Some(d) => Box::new(demo::ops(d)),
        None => Box::new(std::iter::empty()),
    };
    reference::ops()
        .into_iter()
        .chain(strategy::digital_wallonia_ops())
        .chain(targets::eu_digital_decade_ops())
        .chain(demo_ops)
}

/// A strategy file of either layout (`[[ambitions]]` with programmes, or `[[axes]]`
/// with targets) as operations; errors name the file and the line or the item.
pub fn strategy_file_ops(file: &str, text: &str) -> Result<Vec<Op>, String> {
    if targets::is_targets_file(text) {
        let f = targets::parse(file, text).map_err(|e| e.to_string())?;
        f.ops().map_err(|e| format!("{file}: {e}"))
    } else {
        let f = strategy::parse(file, text).map_err(|e| e.to_string())?;
        f.ops().map_err(|e| format!("{file}: {e}"))
    }
}

/// True when the store already holds the shipped strategy (i.e. was bootstrapped).
pub fn is_bootstrapped(store: &dyn Store) -> Result<bool, StoreError> {
    Ok(store
        .strategies()?
        .iter()
        .any(|s| s.id == "digital-wallonia"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use territoria_model::{ConceptRef, EntityKind};
    use territoria_store::{EntityQuery, SqliteStore};

    #[test]
    fn bootstrap_loads_reference_strategy_and_demo() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.sqlite")).unwrap();
        let opts = demo::DemoOptions {
            seed: 42,
            organisations: 2000,
        };
        let report = load(&store, "bootstrap", bootstrap_ops(Some(&opts)), &mut |_| {}).unwrap();
        assert!(report.rejected.is_empty());
        assert!(is_bootstrapped(&store).unwrap());
        let tree = store
            .strategy("digital-wallonia", Some("2024-2029"))
            .unwrap()
            .unwrap();
        assert_eq!(tree.node_counts["ambition"], 5);
        assert_eq!(tree.node_counts["lever"], 15);
        assert_eq!(tree.node_counts["value"], 15);
        let eu = store.strategy("eu-digital-decade", None).unwrap().unwrap();
        assert_eq!(eu.node_counts["ambition"], 4);
        assert_eq!(eu.node_counts.get("indicator"), None);
        let targets: usize = eu
            .children
            .iter()
            .flat_map(|a| &a.indicators)
            .map(|i| i.targets.len())
            .sum();
        assert_eq!(targets, 13);
        let wal = store
            .entities(&EntityQuery {
                kind: EntityKind::Organisation,
                concepts: vec![ConceptRef::new("territory", "03000")],
                text: None,
                demo: Some(true),
                limit: 1,
                offset: 0,
            })
            .unwrap();
        assert!(wal.total > 1500, "{}", wal.total);
        let c = store.concept("territory", "03000").unwrap().unwrap();
        assert_eq!(c.narrower.len(), 5);
        let problems = store.check().unwrap();
        assert!(problems.is_empty(), "{problems:?}");
    }
}
