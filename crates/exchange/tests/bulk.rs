//! Bulk updates: a file compared with the store before anything is written.

use territoria_exchange::diff::{Status, preview};
use territoria_exchange::{Collection, CsvOptions, Format, export};
use territoria_refdata::demo::DemoOptions;
use territoria_store::SqliteStore;

fn store(dir: &tempfile::TempDir) -> SqliteStore {
    let store = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
    let ops = territoria_refdata::bootstrap_ops(Some(&DemoOptions {
        seed: 7,
        organisations: 200,
    }));
    territoria_refdata::load(&store, "test", ops, &mut |_| {}).unwrap();
    store
}

fn exported(store: &SqliteStore, c: Collection) -> String {
    let mut out = Vec::new();
    export(store, c, Format::Csv, &CsvOptions::default(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn an_export_previews_as_unchanged_and_one_edit_as_one_changed_field() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    for c in [
        Collection::Organisations,
        Collection::Actions,
        Collection::Observations,
        Collection::Targets,
    ] {
        let text = exported(&store, c);
        let p = preview(&store, c, Format::Csv, "export.csv", &mut text.as_bytes()).unwrap();
        assert!(p.rejected.is_empty(), "{c:?}: {:?}", p.rejected.first());
        let changed: Vec<_> = p
            .rows
            .iter()
            .filter(|r| r.status != Status::Unchanged)
            .map(|r| (&r.record, &r.fields))
            .collect();
        assert!(changed.is_empty(), "{c:?}: {changed:?}");
        assert!(!p.rows.is_empty());
    }
    // One name changed, one row added.
    let text = exported(&store, Collection::Organisations);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].trim_start_matches('\u{feff}').split(';').collect();
    let name = header.iter().position(|h| *h == "name_fr").unwrap();
    let mut cells: Vec<String> = lines[1].split(';').map(str::to_owned).collect();
    let old = cells[name].clone();
    cells[name] = format!("{old} (corrigé)");
    lines[1] = cells.join(";");
    let edited = lines.join("\n") + "\n";
    let p = preview(
        &store,
        Collection::Organisations,
        Format::Csv,
        "edited.csv",
        &mut edited.as_bytes(),
    )
    .unwrap();
    let changed: Vec<_> = p
        .rows
        .iter()
        .filter(|r| r.status == Status::Changed)
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].line, Some(2));
    assert_eq!(changed[0].fields.len(), 1, "{:?}", changed[0].fields);
    assert_eq!(changed[0].fields[0].field, "name.fr");
    assert_eq!(
        changed[0].fields[0].after.as_ref().unwrap(),
        &serde_json::json!(format!("{old} (corrigé)"))
    );
    assert!(changed[0].owner_version.is_some());
}
