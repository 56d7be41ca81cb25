//! Bulk updates: a file compared with the store before anything is written.

use territoria_exchange::diff::{Status, preview};
use territoria_exchange::{Collection, CsvOptions, Format, export};
use territoria_refdata::demo::DemoOptions;
use territoria_store::{SqliteStore, Store};

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
    for c in Collection::ALL {
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
        // Rows exactly when the export holds records (the demo has no people yet).
        assert_eq!(p.rows.is_empty(), text.lines().count() <= 1, "{c:?}");
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

fn import(store: &SqliteStore, c: Collection, text: &str) -> Result<u64, String> {
    territoria_exchange::import(
        store,
        c,
        Format::Csv,
        "in.csv",
        &mut text.as_bytes(),
        &territoria_exchange::ImportOptions {
            skip_invalid: false,
            actor: "test".into(),
        },
        &mut |_| {},
    )
    .map(|r| r.write.changed_entities.len() as u64)
    .map_err(|e| match e {
        territoria_exchange::ExchangeError::Store(territoria_store::StoreError::Invalid(v)) => v
            .iter()
            .map(|r| format!("{:?}: {}", r.location, r.errors))
            .collect::<Vec<_>>()
            .join("; "),
        e => e.to_string(),
    })
}

#[test]
fn places_events_publications_and_people_round_trip_and_people_stay_minimal() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let files = [
        (
            Collection::Places,
            "id;name_fr;lat;lon;address;postal_code;municipality;services;source\n\
             epn-test;EPN d'essai;50,4669;4,8675;Rue de Fer 1;5000;92094;;test (synthetic)\n",
        ),
        (
            Collection::Events,
            "id;name_fr;start;end;territory;source\n\
             ev-test;Journée d'essai;2026-03-01;2026-03-02;92094;test (synthetic)\n",
        ),
        (
            Collection::Publications,
            "id;name_fr;attributes;source\n\
             pub-test;Rapport d'essai;\"{\"\"url\"\": \"\"https://example.org/r.pdf\"\"}\";test (synthetic)\n",
        ),
        (
            Collection::People,
            "id;name_fr;attributes;source\n\
             p-test;Marie Essai;\"{\"\"role\"\": \"\"Coordinatrice\"\"}\";test (synthetic)\n",
        ),
    ];
    for (c, text) in files {
        assert_eq!(import(&store, c, text), Ok(1), "{c:?}");
        // Its export previews as unchanged (the round trip): a bulk update of it
        // changes nothing.
        let out = exported(&store, c);
        assert!(out.contains("test (synthetic)"), "{c:?}: {out}");
        let p = preview(&store, c, Format::Csv, "again.csv", &mut out.as_bytes()).unwrap();
        assert!(
            p.rows.iter().all(|r| r.status == Status::Unchanged) && p.rejected.is_empty(),
            "{c:?}"
        );
    }
    let place = store
        .entity(territoria_model::EntityKind::Place, "epn-test")
        .unwrap()
        .unwrap();
    match place.entity.details {
        territoria_model::Details::Place(p) => {
            assert_eq!((p.lat, p.postal_code.as_deref()), (50.4669, Some("5000")))
        }
        d => panic!("{d:?}"),
    }
    // A person with contact details or a description is refused, naming the field.
    let err = import(
        &store,
        Collection::People,
        "id;name_fr;attributes;source\np2;X;\"{\"\"email\"\": \"\"x@example.org\"\"}\";t\n",
    )
    .unwrap_err();
    assert!(err.contains("attributes") && err.contains("GDPR"), "{err}");
    let err = import(
        &store,
        Collection::People,
        "id;name_fr;description_fr;source\np3;Y;Née en 1970;t\n",
    )
    .unwrap_err();
    assert!(err.contains("description"), "{err}");
    // A place without coordinates and an event without a start name their column.
    let err = import(&store, Collection::Places, "id;name_fr;source\nq;Q;t\n").unwrap_err();
    assert!(err.contains("lat"), "{err}");
    let err = import(&store, Collection::Events, "id;name_fr;source\ne;E;t\n").unwrap_err();
    assert!(err.contains("start"), "{err}");
}

#[test]
fn a_target_carries_its_baseline_through_import_and_export_and_a_wrong_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let mut indicator = None;
    store
        .export_entities(territoria_model::EntityKind::Indicator, &mut |e, _| {
            indicator.get_or_insert(e.key);
            Ok(())
        })
        .unwrap();
    let indicator = indicator.unwrap();
    let ok = format!(
        "indicator;due;value;baseline_date;baseline_value;source;demo\n\
         {indicator};2030-12-31;600;2019-12-31;412;plan d'essai;true\n"
    );
    import(&store, Collection::Targets, &ok).unwrap();
    let text = exported(&store, Collection::Targets);
    let header = text.lines().next().unwrap();
    assert!(header.contains("baseline_date;baseline_value"), "{header}");
    let row = text
        .lines()
        .find(|l| l.starts_with(&format!("{indicator};2030-12-31")))
        .unwrap();
    assert!(row.contains(";2019-12-31;412;"), "{row}");
    // The export previews as unchanged: the baseline round-trips.
    let p = preview(
        &store,
        Collection::Targets,
        Format::Csv,
        "t.csv",
        &mut text.as_bytes(),
    )
    .unwrap();
    assert!(p.rows.iter().all(|r| r.status == Status::Unchanged));

    // A baseline after the due date, or half a baseline, is refused, naming the field.
    for (file, field) in [
        (
            format!(
                "indicator;due;value;baseline_date;baseline_value;source\n{indicator};2030-12-31;600;2031-01-01;412;x\n"
            ),
            "baseline_date",
        ),
        (
            format!(
                "indicator;due;value;baseline_value;source\n{indicator};2030-12-31;600;412;x\n"
            ),
            "baseline_date",
        ),
        (
            format!(
                "indicator;due;value;baseline_date;source\n{indicator};2030-12-31;600;2019-12-31;x\n"
            ),
            "baseline_value",
        ),
    ] {
        let err = import(&store, Collection::Targets, &file).unwrap_err();
        assert!(err.contains(field), "{field}: {err}");
    }
    let still = exported(&store, Collection::Targets);
    assert!(still.contains(";2019-12-31;412;"), "nothing half-written");
}
