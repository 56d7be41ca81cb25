//! Import/export: error locations, atomicity, skip-invalid, and the export → import
//! round trip as a property test.

use chrono::NaiveDate;
use proptest::prelude::*;
use territoria_exchange::{Collection, CsvOptions, Format, ImportOptions, export, import};
use territoria_model::{
    Action, ActionStatus, Aggregation, Concept, ConceptRef, Details, Entity, EntityKind, EntityRef,
    Indicator, IndicatorKind, Kbo, Labels, Lang, Observation, Organisation, Period, Provenance,
    Relation, RelationKind, Scheme,
};
use territoria_store::{
    Located, Op, SqliteStore, Store, StoreError, StrategyVersion, WriteOptions,
};

const NACE: [&str; 4] = ["62", "62.01", "62.010", "62.020"];
const MUNI: [&str; 3] = ["62063", "92094", "21004"];
const KINDS: [&str; 3] = ["startup", "pme", "asbl"];

fn apply(store: &dyn Store, ops: Vec<Op>) {
    let mut it = ops.into_iter().map(|op| Ok(Located::from(op)));
    store
        .apply(
            "test",
            "setup",
            &mut it,
            &WriteOptions::default(),
            &mut |_| {},
        )
        .unwrap();
}

fn concept(scheme: &str, notation: &str, broader: Option<&str>) -> Op {
    Op::Concept(Concept {
        scheme: scheme.into(),
        notation: notation.into(),
        labels: Labels::fr(notation),
        broader: broader.map(Into::into),
        attributes: Default::default(),
        provenance: Provenance::stated("test"),
    })
}

/// A small store with the schemes, a strategy, a programme, a label and an indicator.
fn small_store(dir: &tempfile::TempDir, name: &str) -> SqliteStore {
    let store = SqliteStore::open(&dir.path().join(name)).unwrap();
    let mut ops = vec![];
    for s in [
        "nace-bel-2008",
        "territory",
        "organisation-kind",
        "action-type",
        "target-audience",
    ] {
        ops.push(Op::Scheme(Scheme {
            id: s.into(),
            title: Labels::fr(s),
            description: Labels::new(),
            provenance: Provenance::stated("test"),
        }));
    }
    ops.push(concept("nace-bel-2008", "62", None));
    ops.push(concept("nace-bel-2008", "62.01", Some("62")));
    ops.push(concept("nace-bel-2008", "62.010", Some("62.01")));
    ops.push(concept("nace-bel-2008", "62.020", Some("62")));
    for m in MUNI {
        ops.push(concept("territory", m, None));
    }
    for k in KINDS {
        ops.push(concept("organisation-kind", k, None));
    }
    ops.push(concept("action-type", "formation", None));
    ops.push(concept("target-audience", "citoyens", None));
    let prov = Provenance::stated("test setup");
    ops.push(Op::Entity(Box::new(Entity::new(
        EntityKind::Strategy,
        "s",
        Labels::fr("S"),
        prov.clone(),
    ))));
    ops.push(Op::Entity(Box::new(Entity::new(
        EntityKind::Programme,
        "p",
        Labels::fr("P"),
        prov.clone(),
    ))));
    ops.push(Op::Entity(Box::new(Entity::new(
        EntityKind::Label,
        "made-different",
        Labels::fr("MD"),
        prov.clone(),
    ))));
    let mut ind = Entity::new(
        EntityKind::Indicator,
        "ind-a",
        Labels::fr("A"),
        prov.clone(),
    );
    ind.details = Details::Indicator(Indicator {
        unit: "EUR".into(),
        kind: IndicatorKind::Output,
        aggregation: Aggregation::Sum,
        measures: EntityRef::new(EntityKind::Programme, "p"),
    });
    ops.push(Op::Entity(Box::new(ind)));
    ops.push(Op::StrategyVersion(StrategyVersion {
        strategy: "s".into(),
        id: "v1".into(),
        label: Labels::fr("V1"),
        year: Some(2024),
        note: None,
        position: 0,
        source: "test".into(),
    }));
    apply(&store, ops);
    store
}

fn export_string(store: &dyn Store, c: Collection, f: Format) -> String {
    let mut out = Vec::new();
    export(store, c, f, &CsvOptions::default(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn import_str(
    store: &dyn Store,
    c: Collection,
    f: Format,
    text: &str,
    skip: bool,
) -> Result<territoria_exchange::ImportReport, territoria_exchange::ExchangeError> {
    import(
        store,
        c,
        f,
        "input.csv",
        &mut text.as_bytes(),
        &ImportOptions {
            skip_invalid: skip,
            actor: "test".into(),
        },
        &mut |_| {},
    )
}

const HEADER: &str = "id;name_fr;kbo;founded;nace_2008;municipality;kind;source;demo";

fn invalid(
    r: Result<territoria_exchange::ImportReport, territoria_exchange::ExchangeError>,
) -> Vec<territoria_store::RecordError> {
    match r {
        Err(territoria_exchange::ExchangeError::Store(StoreError::Invalid(e))) => e,
        Err(e) => panic!("expected invalid records, got {e}"),
        Ok(_) => panic!("expected invalid records, got success"),
    }
}

#[test]
fn bad_kbo_is_refused_with_line_column_and_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_store(&dir, "a.sqlite");
    let csv = format!(
        "{HEADER}\na-1;Alpha;0403.170.701;2020-01-01;62.010;62063;startup;test;true\nb-2;Beta;0403.170.702;2020-01-01;62.010;62063;pme;test;true\n"
    );
    let errs = invalid(import_str(
        &store,
        Collection::Organisations,
        Format::Csv,
        &csv,
        false,
    ));
    assert_eq!(errs.len(), 1);
    let loc = errs[0].location.clone().unwrap();
    assert_eq!(
        (loc.file.as_str(), loc.line, loc.column),
        ("input.csv", 3, Some(3))
    );
    assert_eq!(errs[0].errors.0[0].field, "kbo");
    assert!(errs[0].to_string().contains("mod-97"), "{}", errs[0]);
    // The valid first row was not committed either.
    assert!(
        store
            .entity(EntityKind::Organisation, "a-1")
            .unwrap()
            .is_none()
    );
}

#[test]
fn unknown_codes_get_suggestions_and_the_column_of_their_field() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_store(&dir, "a.sqlite");
    let csv = format!("{HEADER}\na-1;Alpha;;;62.011;62063;startup;test;true\n");
    let errs = invalid(import_str(
        &store,
        Collection::Organisations,
        Format::Csv,
        &csv,
        false,
    ));
    let e = &errs[0].errors.0[0];
    assert!(e.message.contains("62.011"), "{e}");
    assert!(e.suggestions.contains(&"62.010".to_owned()), "{e}");
    assert_eq!(errs[0].location.as_ref().unwrap().column, Some(5));
}

#[test]
fn impossible_dates_and_duplicates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_store(&dir, "a.sqlite");
    let csv = format!(
        "{HEADER}\na-1;Alpha;;2023-02-29;62.010;62063;startup;test;true\nb-1;B;0403.170.701;;;;;test;true\nb-1;B again;;;;;;test;true\nc-1;C;0403.170.701;;;;;test;true\n"
    );
    let errs = invalid(import_str(
        &store,
        Collection::Organisations,
        Format::Csv,
        &csv,
        false,
    ));
    let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert_eq!(errs.len(), 3, "{text:#?}");
    assert!(
        text[0].contains("impossible date") && text[0].contains("input.csv:2:4"),
        "{}",
        text[0]
    );
    assert!(
        text[1].contains("duplicate identifier") && text[1].contains(":4"),
        "{}",
        text[1]
    );
    assert!(
        text[2].contains("duplicate identifier") && text[2].contains("0403.170.701"),
        "{}",
        text[2]
    );
}

#[test]
fn skip_invalid_commits_valid_rows_and_reports_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_store(&dir, "a.sqlite");
    let csv = format!(
        "{HEADER}\na-1;Alpha;;;62.010;62063;startup;test;true\nb-1;Beta;;;;99999;pme;test;true\nc-1;Gamma;;;;;;;true\n"
    );
    let r = import_str(&store, Collection::Organisations, Format::Csv, &csv, true).unwrap();
    assert_eq!(r.rejected.len(), 2);
    assert!(r.rejected[0].to_string().contains("99999"));
    assert!(r.rejected[1].to_string().contains("source"));
    assert!(
        store
            .entity(EntityKind::Organisation, "a-1")
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .entity(EntityKind::Organisation, "b-1")
            .unwrap()
            .is_none()
    );
    assert_eq!(r.write.inserted["organisation"], 1);
}

#[test]
fn wrong_header_and_broken_json_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_store(&dir, "a.sqlite");
    let e = import_str(
        &store,
        Collection::Organisations,
        Format::Csv,
        "id;nmae_fr;source\n",
        false,
    )
    .err()
    .unwrap();
    assert!(
        e.to_string().contains("column 2") && e.to_string().contains("name_fr"),
        "{e}"
    );
    let json = "[\n{\"kind\":\"organisation\",\"key\":\"x\",\"name\":{\"fr\":\"X\"},\"provenance\":{\"source\":\"t\"}},\n{\"kind\":\"organisation\",\"key\":\"y\",\"name\":{\"fr\":\"Y\"},\"provenance\":{\"source\":\"t\", \"demo\": \"maybe\"}}\n]";
    let errs = invalid(import_str(
        &store,
        Collection::Organisations,
        Format::Json,
        json,
        false,
    ));
    let loc = errs[0].location.clone().unwrap();
    assert_eq!(loc.line, 3, "{}", errs[0]);
    assert!(loc.column.unwrap() > 60, "{}", errs[0]);
}

/// key, KBO base, founded, NACE picks, municipality, kind, Made Different?, name, employees
type ArbOrg = (
    String,
    Option<u64>,
    Option<NaiveDate>,
    Vec<usize>,
    usize,
    usize,
    bool,
    String,
    Option<u32>,
);

fn arb_org() -> impl Strategy<Value = ArbOrg> {
    (
        "[a-z]{1,6}",
        proptest::option::of(0u64..20_000_000),
        proptest::option::of(
            (1950i32..2025, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
        ),
        proptest::collection::vec(0usize..4, 0..3),
        0usize..3,
        0usize..3,
        any::<bool>(),
        "[A-Za-zéèà ;,\"|'-]{1,20}",
        proptest::option::of(0u32..5000),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn export_then_import_gives_the_same_data(
        orgs in proptest::collection::vec(arb_org(), 1..12),
        values in proptest::collection::vec(-1.0e9f64..1.0e9, 0..5),
        use_json in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let a = small_store(&dir, "a.sqlite");
        let mut ops = vec![];
        let mut seen_kbo = std::collections::HashSet::new();
        for (i, (key, kbo, founded, nace, muni, kind, md, name, employees)) in orgs.iter().enumerate() {
            let key = format!("{key}-{i}");
            let mut e = Entity::new(EntityKind::Organisation, &key, Labels::fr(name.trim().to_owned() + "x").with(Lang::Nl, "nl"), Provenance {
                source: format!("src {i}"),
                date: *founded,
                inferred: i % 2 == 0,
                demo: true,
            });
            let mut tags: Vec<ConceptRef> = nace.iter().map(|n| ConceptRef::new("nace-bel-2008", NACE[*n])).collect();
            tags.push(ConceptRef::new("territory", MUNI[*muni]));
            tags.push(ConceptRef::new("organisation-kind", KINDS[*kind]));
            tags.sort();
            tags.dedup();
            e.tags = tags;
            e.details = Details::Organisation(Organisation {
                kbo: kbo.filter(|k| seen_kbo.insert(*k)).and_then(Kbo::from_base),
                founded: *founded,
                employees: *employees,
                website: None,
            });
            ops.push(Op::Entity(Box::new(e)));
            if *md {
                ops.push(Op::Relation(Relation {
                    subject: EntityRef::new(EntityKind::Organisation, key.clone()),
                    kind: RelationKind::Labelled,
                    object: EntityRef::new(EntityKind::Label, "made-different"),
                    since: *founded,
                    until: None,
                    amount_eur: Some(1234.5),
                    provenance: Provenance { source: format!("src {i}"), date: *founded, inferred: i % 2 == 0, demo: true },
                }));
            }
        }
        let mut act = Entity::new(EntityKind::Action, "act-1", Labels::fr("Action ; \"un\""), Provenance::demo("gen"));
        act.details = Details::Action(Action { status: ActionStatus::Ongoing, start: NaiveDate::from_ymd_opt(2020, 1, 1), end: None, budget_eur: Some(1.5) });
        act.tags = vec![ConceptRef::new("action-type", "formation"), ConceptRef::new("target-audience", "citoyens")];
        ops.push(Op::Entity(Box::new(act)));
        ops.push(Op::Edge { strategy: "s".into(), version: "v1".into(), parent: EntityRef::new(EntityKind::Programme, "p"), child: EntityRef::new(EntityKind::Action, "act-1"), position: 0, provenance: Provenance::demo("gen") });
        ops.push(Op::Relation(Relation { subject: EntityRef::new(EntityKind::Organisation, format!("{}-0", orgs[0].0)), kind: RelationKind::Operates, object: EntityRef::new(EntityKind::Action, "act-1"), since: None, until: None, amount_eur: None, provenance: Provenance::demo("gen") }));
        for (y, v) in values.iter().enumerate() {
            ops.push(Op::Observation(Observation { indicator: "ind-a".into(), period: Period::year(2016 + y as i32), territory: None, value: *v, qualifier: (y % 2 == 0).then(|| "plus de".into()), period_label: None, note: Some("n; \"q\"".into()), quote: (y == 0).then(|| "« Plus de ; \"x\" »".into()), provenance: Provenance::demo("gen") }));
            // A breakdown by territory of the same period lives beside the whole.
            if y % 2 == 1 {
                ops.push(Op::Observation(Observation { indicator: "ind-a".into(), period: Period::year(2016 + y as i32), territory: Some(MUNI[y % MUNI.len()].into()), value: *v / 2.0, qualifier: None, period_label: None, note: None, quote: None, provenance: Provenance::demo("gen") }));
            }
        }
        // A figure whose source gives no period round-trips as such.
        ops.push(Op::Observation(Observation { indicator: "ind-a".into(), period: None, territory: None, value: 7.0, qualifier: None, period_label: Some("depuis 2022".into()), note: None, quote: Some("investis depuis 2022".into()), provenance: Provenance::stated("memorandum") }));
        apply(&a, ops);

        let format = if use_json { Format::Json } else { Format::Csv };
        let b = small_store(&dir, "b.sqlite");
        let mut first = vec![];
        for c in [Collection::Organisations, Collection::Actions, Collection::Observations] {
            let text = export_string(&a, c, format);
            import_str(&b, c, format, &text, false).unwrap();
            first.push(text);
        }
        for (i, c) in [Collection::Organisations, Collection::Actions, Collection::Observations].into_iter().enumerate() {
            prop_assert_eq!(&export_string(&b, c, format), &first[i]);
        }
        // And the entities themselves are equal, field by field.
        let mut ea = vec![];
        a.export_entities(EntityKind::Organisation, &mut |e, r| { ea.push((e, r)); Ok(()) }).unwrap();
        let mut eb = vec![];
        b.export_entities(EntityKind::Organisation, &mut |e, r| { eb.push((e, r)); Ok(()) }).unwrap();
        prop_assert_eq!(ea, eb);
    }
}

#[test]
fn one_bad_row_does_not_cascade_into_errors_about_later_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_store(&dir, "a.sqlite");
    let csv = "id;name_fr;kbo;relations;source\n\
               a-1;Alpha;0403.170.702;;t\n\
               b-1;Beta;;member_of:organisation/c-1;t\n\
               c-1;Gamma;;;t\n";
    let errs = invalid(import_str(
        &store,
        Collection::Organisations,
        Format::Csv,
        csv,
        false,
    ));
    let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert_eq!(errs.len(), 1, "only the bad KBO is reported: {text:#?}");
    assert!(text[0].contains("input.csv:2:3"), "{}", text[0]);
    // A reference to an organisation that is nowhere is still reported.
    let csv = "id;name_fr;kbo;relations;source\n\
               a-1;Alpha;0403.170.702;;t\n\
               b-1;Beta;;member_of:organisation/zzz;t\n";
    let errs = invalid(import_str(
        &store,
        Collection::Organisations,
        Format::Csv,
        csv,
        false,
    ));
    assert_eq!(errs.len(), 2);
    assert!(
        errs[1].to_string().contains("unknown organisation/zzz"),
        "{}",
        errs[1]
    );
}
