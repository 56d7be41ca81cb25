//! The statuses as open data: one dataset, `indicator-statuses`, with a record per
//! indicator and per node (ambition, lever, programme, action, the strategy itself) of
//! each strategy's current version — status, reason in French and English, trend,
//! projection and target, and the rule's version. Built from the same store state as
//! the rest of the catalogue ([`territoria_opendata::Dataset::derived`]), so Explore,
//! CKAN and DCAT publish it like any other dataset.

use std::collections::HashMap;

use territoria_model::{EntityKind, RelationKind};
use territoria_odsql::{Date, DateTime, FieldType as T};
use territoria_opendata::table::{Cell, FieldSpec, TableBuilder, to_date};
use territoria_opendata::{Bilingual, Dataset, DatasetMeta};
use territoria_store::{Node, Store, StoreError, StrategyTree};

use super::Lang;
use super::status::{self, TreeStatus};

/// The dataset's id.
pub const ID: &str = "indicator-statuses";

fn specs() -> Vec<FieldSpec> {
    vec![
        FieldSpec::new("id", T::Text, "Identifiant", "Identifier")
            .describe("strategy:version:kind:key, unique in the dataset."),
        FieldSpec::new("strategy", T::Text, "Stratégie", "Strategy").facet(),
        FieldSpec::new("version", T::Text, "Version", "Version").facet(),
        FieldSpec::new("kind", T::Text, "Type", "Kind")
            .facet()
            .describe("indicator, action, programme, lever, ambition or strategy."),
        FieldSpec::new("key", T::Text, "Clé", "Key"),
        FieldSpec::new("name", T::Text, "Nom", "Name"),
        FieldSpec::new("status", T::Text, "Statut", "Status")
            .facet()
            .describe("on_track, at_risk, off_track, not_enough_data or no_target."),
        FieldSpec::new("reason_fr", T::Text, "Raison", "Reason (French)"),
        FieldSpec::new("reason_en", T::Text, "Raison (anglais)", "Reason"),
        FieldSpec::new("unit", T::Text, "Unité", "Unit"),
        FieldSpec::new("current_value", T::Double, "Valeur suivie", "Tracked value"),
        FieldSpec::new(
            "current_date",
            T::Date,
            "Date de la valeur",
            "Date of the value",
        ),
        FieldSpec::new("target_value", T::Double, "Cible", "Target"),
        FieldSpec::new("target_due", T::Date, "Échéance de la cible", "Target due"),
        FieldSpec::new(
            "trend_per_year",
            T::Double,
            "Tendance par an",
            "Trend per year",
        )
        .describe("Theil–Sen slope over the recent figures."),
        FieldSpec::new(
            "projected_value",
            T::Double,
            "Valeur projetée",
            "Projected value",
        ),
        FieldSpec::new(
            "projected_low",
            T::Double,
            "Projection basse",
            "Projection, low",
        ),
        FieldSpec::new(
            "projected_high",
            T::Double,
            "Projection haute",
            "Projection, high",
        ),
        FieldSpec::new("score", T::Double, "Score pondéré", "Weighted score")
            .describe("Nodes only: the weighted score of their children, 0 to 1."),
        FieldSpec::new(
            "demo",
            T::Boolean,
            "Démonstration (synthétique)",
            "Demo (synthetic)",
        )
        .facet(),
        FieldSpec::new(
            "rule_version",
            T::Text,
            "Version de la règle",
            "Rule version",
        ),
        FieldSpec::new("source", T::Text, "Source", "Source"),
    ]
}

/// Which indicator each indicator contributes to (`contributes_to` relations): the
/// page cache and this dataset read it the same way.
pub(super) fn contributions(store: &dyn Store) -> Result<HashMap<String, String>, StoreError> {
    let mut out = HashMap::new();
    store.export_entities(EntityKind::Indicator, &mut |e, relations| {
        for r in relations {
            if r.kind == RelationKind::ContributesTo && r.object.kind == EntityKind::Indicator {
                out.insert(e.key.clone(), r.object.key.clone());
            }
        }
        Ok(())
    })?;
    Ok(out)
}

fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    out.push(n);
    for c in &n.children {
        walk(c, out);
    }
}

/// Pushes the records of one tree; returns how many are synthetic.
fn push_tree(table: &mut TableBuilder, tree: &StrategyTree, ts: &TreeStatus) -> u64 {
    let rule = territoria_prescribe::RULE_VERSION;
    let mut demo = 0;
    let mut nodes = Vec::new();
    for n in &tree.children {
        walk(n, &mut nodes);
    }
    let mut done = std::collections::HashSet::new();
    let mut node_row =
        |table: &mut TableBuilder, kind: EntityKind, id: &str, name: &str, source: &str| {
            if !done.insert((kind, id.to_owned())) {
                return;
            }
            let Some(r) = ts.node(kind, id) else { return };
            demo += u64::from(r.demo);
            let record = format!("{}:{}:{}:{id}", tree.id, tree.version.id, kind.as_str());
            table.push(&[
                Cell::Text(&record),
                Cell::Text(&tree.id),
                Cell::Text(&tree.version.id),
                Cell::Text(kind.as_str()),
                Cell::Text(id),
                Cell::Text(name),
                Cell::Text(r.status.as_str()),
                Cell::Text(&status::node_reason(r, Lang::Fr)),
                Cell::Text(&status::node_reason(r, Lang::En)),
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
                r.score.map_or(Cell::Null, Cell::Float),
                Cell::Bool(r.demo),
                Cell::Text(rule),
                Cell::Text(source),
            ]);
        };
    node_row(
        table,
        EntityKind::Strategy,
        &tree.id,
        tree.name.main(),
        &tree.provenance.source,
    );
    for n in &nodes {
        node_row(table, n.kind, &n.id, n.name.main(), &n.provenance.source);
    }
    let mut seen = std::collections::HashSet::new();
    for n in &nodes {
        for i in &n.indicators {
            if !seen.insert(i.id.as_str()) {
                continue;
            }
            let Some((a, unit)) = ts.indicators.get(&i.id) else {
                continue;
            };
            demo += u64::from(a.synthetic);
            let date = |d: chrono::NaiveDate| to_date(d).map_or(Cell::Null, Cell::Date);
            let record = format!("{}:{}:indicator:{}", tree.id, tree.version.id, i.id);
            table.push(&[
                Cell::Text(&record),
                Cell::Text(&tree.id),
                Cell::Text(&tree.version.id),
                Cell::Text("indicator"),
                Cell::Text(&i.id),
                Cell::Text(i.name.main()),
                Cell::Text(a.status.as_str()),
                Cell::Text(&status::reason(a, unit, Lang::Fr)),
                Cell::Text(&status::reason(a, unit, Lang::En)),
                Cell::Text(unit),
                a.current.map_or(Cell::Null, |c| Cell::Float(c.1)),
                a.current.map_or(Cell::Null, |c| date(c.0)),
                a.target
                    .as_ref()
                    .map_or(Cell::Null, |t| Cell::Float(t.value)),
                a.target.as_ref().map_or(Cell::Null, |t| date(t.due)),
                a.trend
                    .as_ref()
                    .map_or(Cell::Null, |t| Cell::Float(t.per_year)),
                a.projection
                    .as_ref()
                    .map_or(Cell::Null, |p| Cell::Float(p.value)),
                a.projection
                    .as_ref()
                    .map_or(Cell::Null, |p| Cell::Float(p.low)),
                a.projection
                    .as_ref()
                    .map_or(Cell::Null, |p| Cell::Float(p.high)),
                Cell::Null,
                Cell::Bool(a.synthetic),
                Cell::Text(rule),
                Cell::Text(&i.provenance.source),
            ]);
        }
    }
    demo
}

/// The dataset, from every strategy's current version (the one with the latest year,
/// as the pages choose it).
pub fn dataset(store: &dyn Store, modified: Option<DateTime>) -> Result<Dataset, StoreError> {
    let contributions = contributions(store)?;
    let mut table = TableBuilder::new(specs());
    let mut demo_records = 0;
    let mut span: Option<(Date, Date)> = None;
    for s in store.strategies()? {
        let Some(version) = s.versions.iter().max_by_key(|v| v.year.unwrap_or(0)) else {
            continue;
        };
        let Some(tree) = store.strategy(&s.id, Some(&version.id))? else {
            continue;
        };
        let ts = status::of_tree(&tree, &contributions);
        for (a, _) in ts.indicators.values() {
            if let Some(d) = a.current.and_then(|c| to_date(c.0)) {
                span = Some(span.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d))));
            }
        }
        demo_records += push_tree(&mut table, &tree, &ts);
    }
    let meta = DatasetMeta {
        id: ID.into(),
        title: Bilingual::new(
            "Statuts des indicateurs et des stratégies",
            "Statuses of indicators and strategies",
        ),
        description: Bilingual::new(
            &format!(
                "Pour chaque stratégie (version en cours) : le statut de chaque indicateur et de \
                 chaque nœud (en bonne voie, à risque, hors trajectoire, données insuffisantes, \
                 sans cible), sa raison, la tendance, la projection à l'échéance et la cible. {} \
                 (règle {}).",
                territoria_prescribe::RULE_FR,
                territoria_prescribe::RULE_VERSION
            ),
            &format!(
                "For each strategy (current version): the status of every indicator and node (on \
                 track, at risk, off track, not enough data, no target), its reason, the trend, \
                 the projection at the due date and the target. {} (rule {}).",
                territoria_prescribe::RULE_EN,
                territoria_prescribe::RULE_VERSION
            ),
        ),
        themes: vec!["GOVE", "TECH"],
        keywords: vec![
            Bilingual::new("statut", "status"),
            Bilingual::new("indicateur", "indicator"),
            Bilingual::new("cible", "target"),
            Bilingual::new("projection", "projection"),
        ],
        demo_records,
        issued: None,
        modified,
        temporal: None,
        geo_field: None,
    };
    Ok(Dataset::derived(meta, table, span))
}
