//! The read models of [`crate::Store`] (strategies, concepts, entities, exports, maps,
//! check), written once for both backends on [`crate::sql::Conn`]. The two spots where
//! the dialects differ — reading an entity's tags out of its JSON column, and the
//! backend's own integrity checks — ask the connection's [`Dialect`].

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use territoria_model::entity::{Details, EntityRef};
use territoria_model::{
    Action, ActionStatus, Aggregation, ConceptRef, Entity, EntityKind, Event, Indicator,
    IndicatorKind, Labels, Observation, Organisation, Period, Place, Provenance, Relation,
    RelationKind,
};

use crate::query::{collect, kind_of};
use crate::read::*;
use crate::sql::{self, Conn, Row, ToParam, params};
use crate::{Result, StoreError, members};

fn labels(s: String) -> Result<Labels> {
    crate::query::labels(&s)
}

fn object(s: String) -> Result<serde_json::Map<String, serde_json::Value>> {
    serde_json::from_str(&s).map_err(|e| StoreError::Internal(format!("an attributes column: {e}")))
}

/// A stored period with its written form (`2024` for a calendar year); a period the
/// source does not give is stored as two empty texts and written `unspecified`.
fn period_view(start: String, end: String) -> PeriodView {
    let period = match (date(Some(start.clone())), date(Some(end.clone()))) {
        (Some(s), Some(e)) => Period { start: s, end: e }.to_string(),
        _ if start.is_empty() && end.is_empty() => territoria_model::UNSPECIFIED.to_owned(),
        _ => format!("{start}/{end}"),
    };
    PeriodView { start, end, period }
}

/// The stored period of an observation: `None` when the source gives none.
pub(crate) fn stored_period(start: &str, end: &str) -> Result<Option<Period>> {
    if start.is_empty() && end.is_empty() {
        return Ok(None);
    }
    match (date(Some(start.to_owned())), date(Some(end.to_owned()))) {
        (Some(start), Some(end)) => Ok(Some(Period { start, end })),
        _ => Err(StoreError::Internal(
            "observation with an unreadable period".into(),
        )),
    }
}

/// A target's baseline from its `baseline_date` (column `i`) and `baseline_value` (`i + 1`).
pub(crate) fn baseline(r: &Row, i: usize) -> Result<Option<territoria_model::Baseline>> {
    let (d, v): (Option<String>, Option<f64>) = (r.get(i)?, r.get(i + 1)?);
    match (d, v) {
        (Some(d), Some(value)) => {
            let date = NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|e| {
                crate::StoreError::Internal(format!("target baseline date `{d}`: {e}"))
            })?;
            Ok(Some(territoria_model::Baseline { date, value }))
        }
        _ => Ok(None),
    }
}

fn date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

/// Reads `source, source_date, inferred, demo` starting at column `i`.
pub(crate) fn provenance(r: &Row, i: usize) -> Result<Provenance> {
    Ok(Provenance {
        source: r.get(i)?,
        date: date(r.get(i + 1)?),
        inferred: r.get(i + 2)?,
        demo: r.get(i + 3)?,
    })
}

pub(crate) const ENTITY_COLS: &str = "e.id, e.kind, e.key, e.labels, e.description, e.attributes,
    (SELECT text FROM sources WHERE id = e.source_id), e.source_date, e.inferred, e.demo";

pub(crate) fn entity_row(r: &Row) -> Result<(i64, Entity)> {
    let kind = kind_of(r.text(1)?);
    let mut e = Entity::new(
        kind,
        r.get::<String>(2)?,
        labels(r.get(3)?)?,
        provenance(r, 6)?,
    );
    e.description = labels(r.get(4)?)?;
    e.attributes = object(r.get(5)?)?;
    Ok((r.get(0)?, e))
}

fn brief(r: &Row, i: usize) -> Result<EntityBrief> {
    Ok(EntityBrief {
        kind: kind_of(r.text(i)?),
        id: r.get(i + 1)?,
        name: labels(r.get(i + 2)?)?,
    })
}

fn concept_brief(r: &Row, i: usize) -> Result<ConceptBrief> {
    Ok(ConceptBrief {
        scheme: r.get(i)?,
        notation: r.get(i + 1)?,
        labels: labels(r.get(i + 2)?)?,
    })
}

/// `?, ?, …` for `n` parameters, and the parameters themselves.
fn marks(n: usize) -> String {
    vec!["?"; n].join(",")
}

fn refs<T: ToParam>(values: &[T]) -> Vec<&dyn ToParam> {
    values.iter().map(|v| v as &dyn ToParam).collect()
}

/// The concepts an entity carries, as `s.slug, c.notation, c.labels` rows.
fn tags_sql(c: &dyn Conn) -> String {
    format!(
        "SELECT s.slug, c.notation, c.labels FROM entities e CROSS JOIN {} t
         JOIN concepts c ON c.id = t.value JOIN schemes s ON s.id = c.scheme_id
         WHERE e.id = ?1 ORDER BY s.slug, c.notation",
        c.dialect().json_ids("e.concepts")
    )
}

/// Loads tags and typed details of an entity.
pub(crate) fn complete(c: &dyn Conn, id: i64, e: &mut Entity) -> Result<()> {
    e.tags = collect(c, &tags_sql(c), params![id], |r| {
        Ok(ConceptRef::new(r.get::<String>(0)?, r.get::<String>(1)?))
    })?;
    let one = |q: &str| c.query_row(q, params![id]);
    e.details = match e.kind {
        EntityKind::Organisation => {
            match one(
                "SELECT kbo, founded, employees, website FROM organisations WHERE entity_id = ?1",
            )? {
                Some(r) => Details::Organisation(Organisation {
                    kbo: r.get::<Option<String>>(0)?.and_then(|k| k.parse().ok()),
                    founded: date(r.get(1)?),
                    employees: r.get(2)?,
                    website: r.get(3)?,
                }),
                None => Details::default(),
            }
        }
        EntityKind::Action => {
            match one(
                "SELECT status, start_date, end_date, budget_eur FROM actions WHERE entity_id = ?1",
            )? {
                Some(r) => Details::Action(Action {
                    status: ActionStatus::parse(r.text(0)?).unwrap_or(ActionStatus::Planned),
                    start: date(r.get(1)?),
                    end: date(r.get(2)?),
                    budget_eur: r.get(3)?,
                }),
                None => Details::default(),
            }
        }
        EntityKind::Indicator => match one(
            "SELECT i.unit, i.kind, i.aggregation, m.kind, m.key FROM indicators i
             JOIN entities m ON m.id = i.measures_id WHERE i.entity_id = ?1",
        )? {
            Some(r) => Details::Indicator(Indicator {
                unit: r.get(0)?,
                kind: IndicatorKind::parse(r.text(1)?).unwrap_or(IndicatorKind::Output),
                aggregation: Aggregation::parse(r.text(2)?).unwrap_or(Aggregation::Sum),
                measures: EntityRef::new(kind_of(r.text(3)?), r.get::<String>(4)?),
            }),
            None => Details::default(),
        },
        EntityKind::Place => {
            match one("SELECT lat, lon, address, postal_code FROM places WHERE entity_id = ?1")? {
                Some(r) => Details::Place(Place {
                    lat: r.get(0)?,
                    lon: r.get(1)?,
                    address: r.get(2)?,
                    postal_code: r.get(3)?,
                }),
                None => Details::default(),
            }
        }
        EntityKind::Event => {
            match one("SELECT start_date, end_date FROM events WHERE entity_id = ?1")? {
                Some(r) => {
                    let end = date(r.get(1)?);
                    date(r.get(0)?)
                        .map(|start| Details::Event(Event { start, end }))
                        .unwrap_or_default()
                }
                None => Details::default(),
            }
        }
        _ => Details::None,
    };
    Ok(())
}

fn relations_of(c: &dyn Conn, id: i64, inverse: bool) -> Result<Vec<RelationView>> {
    let q = if inverse {
        "SELECT r.kind, e.kind, e.key, e.labels, r.since, r.until, r.amount_eur, r.source, r.source_date, r.inferred, r.demo
         FROM relations r JOIN entities e ON e.id = r.subject_id WHERE r.object_id = ?1
         ORDER BY r.kind, e.kind, e.name LIMIT 500"
    } else {
        "SELECT r.kind, e.kind, e.key, e.labels, r.since, r.until, r.amount_eur, r.source, r.source_date, r.inferred, r.demo
         FROM relations r JOIN entities e ON e.id = r.object_id WHERE r.subject_id = ?1
         ORDER BY r.kind, e.kind, e.name"
    };
    collect(c, q, params![id], |r| {
        Ok(RelationView {
            kind: r.get(0)?,
            entity: brief(r, 1)?,
            since: r.get(4)?,
            until: r.get(5)?,
            amount_eur: r.get(6)?,
            provenance: provenance(r, 7)?,
        })
    })
}

/// Indicators measuring any of `ids`, with observations and targets.
fn indicators_of(c: &dyn Conn, ids: &[i64]) -> Result<HashMap<i64, Vec<IndicatorView>>> {
    let mut out: HashMap<i64, Vec<IndicatorView>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut by_indicator: HashMap<i64, (i64, IndicatorView)> = HashMap::new();
    let mut order = Vec::new();
    for chunk in ids.chunks(500) {
        let q = format!(
            "SELECT e.id, i.measures_id, e.key, e.labels, i.unit, i.kind, i.aggregation,
               (SELECT text FROM sources WHERE id = e.source_id), e.source_date, e.inferred, e.demo
             FROM indicators i JOIN entities e ON e.id = i.entity_id
             WHERE i.measures_id IN ({}) ORDER BY e.id",
            marks(chunk.len())
        );
        c.query(&q, &refs(chunk), &mut |r| {
            let iid: i64 = r.get(0)?;
            let view = IndicatorView {
                id: r.get(2)?,
                name: labels(r.get(3)?)?,
                unit: r.get(4)?,
                kind: r.get(5)?,
                aggregation: r.get(6)?,
                provenance: provenance(r, 7)?,
                observations: Vec::new(),
                targets: Vec::new(),
            };
            order.push(iid);
            by_indicator.insert(iid, (r.get(1)?, view));
            Ok(())
        })?;
    }
    for chunk in order.chunks(500) {
        let q = format!(
            "SELECT indicator_id, period_start, period_end, value, qualifier, period_label, note, recorded_at,
                    source, source_date, inferred, demo, quote
             FROM observations WHERE indicator_id IN ({}) AND territory_id IS NULL
             ORDER BY indicator_id, period_end, period_start",
            marks(chunk.len())
        );
        c.query(&q, &refs(chunk), &mut |r| {
            let PeriodView { start, end, period } = period_view(r.get(1)?, r.get(2)?);
            let stated = !(start.is_empty() && end.is_empty());
            let o = ObservationView {
                period: stated.then_some(period),
                start: stated.then_some(start),
                end: stated.then_some(end),
                value: r.get(3)?,
                qualifier: r.get(4)?,
                period_label: r.get(5)?,
                note: r.get(6)?,
                quote: r.get(12)?,
                recorded_at: r.get(7)?,
                provenance: provenance(r, 8)?,
            };
            if let Some((_, v)) = by_indicator.get_mut(&r.get::<i64>(0)?) {
                v.observations.push(o);
            }
            Ok(())
        })?;
        let q = format!(
            "SELECT indicator_id, due, value, source, source_date, inferred, demo, qualifier, note, quote,
                    baseline_date, baseline_value
             FROM targets WHERE indicator_id IN ({}) ORDER BY indicator_id, due",
            marks(chunk.len())
        );
        c.query(&q, &refs(chunk), &mut |r| {
            let t = TargetView {
                due: r.get(1)?,
                value: r.get(2)?,
                qualifier: r.get(7)?,
                note: r.get(8)?,
                quote: r.get(9)?,
                baseline: baseline(r, 10)?,
                provenance: provenance(r, 3)?,
            };
            if let Some((_, v)) = by_indicator.get_mut(&r.get::<i64>(0)?) {
                v.targets.push(t);
            }
            Ok(())
        })?;
    }
    for iid in order {
        if let Some((mid, v)) = by_indicator.remove(&iid) {
            out.entry(mid).or_default().push(v);
        }
    }
    Ok(out)
}

fn versions_of(c: &dyn Conn, strategy_id: i64) -> Result<Vec<(i64, VersionSummary)>> {
    collect(
        c,
        "SELECT id, slug, label, year, note, source FROM strategy_versions
         WHERE strategy_id = ?1 ORDER BY position, year, slug",
        params![strategy_id],
        |r| {
            Ok((
                r.get(0)?,
                VersionSummary {
                    id: r.get(1)?,
                    label: labels(r.get(2)?)?,
                    year: r.get(3)?,
                    note: r.get(4)?,
                    source: r.get(5)?,
                },
            ))
        },
    )
}

/// The ids of a concept and all its narrower concepts (none when it does not exist).
pub(crate) fn descendants(c: &dyn Conn, scheme: &str, notation: &str) -> Result<Vec<i64>> {
    collect(
        c,
        "WITH RECURSIVE sub(id) AS (
            SELECT c.id FROM concepts c JOIN schemes s ON s.id = c.scheme_id WHERE s.slug = ?1 AND c.notation = ?2
            UNION SELECT c.id FROM concepts c JOIN sub ON c.broader_id = sub.id)
         SELECT id FROM sub",
        params![scheme, notation],
        |r| r.get(0),
    )
}

pub(crate) fn strategies(c: &dyn Conn) -> Result<Vec<StrategySummary>> {
    let rows = collect(
        c,
        &format!("SELECT {ENTITY_COLS} FROM entities e WHERE e.kind = 'strategy' ORDER BY e.name"),
        params![],
        entity_row,
    )?;
    rows.into_iter()
        .map(|(id, e)| {
            Ok(StrategySummary {
                id: e.key,
                name: e.name,
                description: e.description,
                versions: versions_of(c, id)?.into_iter().map(|v| v.1).collect(),
                provenance: e.provenance,
            })
        })
        .collect()
}

pub(crate) fn strategy(
    c: &dyn Conn,
    key: &str,
    version: Option<&str>,
) -> Result<Option<StrategyTree>> {
    let found = c.query_row(
        &format!("SELECT {ENTITY_COLS} FROM entities e WHERE e.kind = 'strategy' AND e.key = ?1"),
        params![key],
    )?;
    let Some((sid, s)) = found.map(|r| entity_row(&r)).transpose()? else {
        return Ok(None);
    };
    let versions = versions_of(c, sid)?;
    // Default: the latest version.
    let chosen = match version {
        Some(v) => versions.iter().find(|x| x.1.id == v),
        None => versions.last(),
    };
    let Some((vid, vsum)) = chosen.cloned() else {
        return Ok(None);
    };
    // All edges of this version.
    let mut children: HashMap<i64, Vec<(i64, Provenance)>> = HashMap::new();
    let mut ids = vec![];
    c.query(
        "SELECT parent_id, child_id, position, source, source_date, inferred, demo
         FROM strategy_edges WHERE version_id = ?1 ORDER BY parent_id, position, child_id",
        params![vid],
        &mut |r| {
            let (p, ch): (i64, i64) = (r.get(0)?, r.get(1)?);
            ids.push(ch);
            children.entry(p).or_default().push((ch, provenance(r, 3)?));
            Ok(())
        },
    )?;
    let mut entities: HashMap<i64, Entity> = HashMap::new();
    for chunk in ids.chunks(500) {
        let q = format!(
            "SELECT {ENTITY_COLS} FROM entities e WHERE e.id IN ({})",
            marks(chunk.len())
        );
        c.query(&q, &refs(chunk), &mut |r| {
            let (id, e) = entity_row(r)?;
            entities.insert(id, e);
            Ok(())
        })?;
    }
    let mut measured = ids.clone();
    measured.push(sid);
    let mut indicators = indicators_of(c, &measured)?;
    let mut node_counts: BTreeMap<String, u64> = BTreeMap::new();
    // Entities may carry a name per version (`names_by_version`), e.g. an ambition
    // renamed in the 2024-2029 restatement.
    for e in entities.values_mut() {
        if let Some(n) = e
            .attributes
            .get("names_by_version")
            .and_then(|m| m.get(&vsum.id))
            .and_then(|v| serde_json::from_value::<Labels>(v.clone()).ok())
        {
            e.name = n;
        }
    }
    fn build(
        id: i64,
        link: Provenance,
        children: &HashMap<i64, Vec<(i64, Provenance)>>,
        entities: &HashMap<i64, Entity>,
        indicators: &mut HashMap<i64, Vec<IndicatorView>>,
        counts: &mut BTreeMap<String, u64>,
        depth: usize,
    ) -> Option<Node> {
        let e = entities.get(&id)?;
        *counts.entry(e.kind.as_str().to_owned()).or_default() += 1;
        let kids = if depth < 16 {
            children
                .get(&id)
                .map(|v| {
                    v.iter()
                        .filter_map(|(ch, p)| {
                            build(
                                *ch,
                                p.clone(),
                                children,
                                entities,
                                indicators,
                                counts,
                                depth + 1,
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Some(Node {
            kind: e.kind,
            id: e.key.clone(),
            name: e.name.clone(),
            description: e.description.clone(),
            attributes: e.attributes.clone(),
            provenance: e.provenance.clone(),
            link,
            indicators: indicators.remove(&id).unwrap_or_default(),
            children: kids,
        })
    }
    let top: Vec<Node> = children
        .get(&sid)
        .map(|v| {
            v.iter()
                .filter_map(|(ch, p)| {
                    build(
                        *ch,
                        p.clone(),
                        &children,
                        &entities,
                        &mut indicators,
                        &mut node_counts,
                        0,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(StrategyTree {
        id: s.key,
        name: s.name,
        description: s.description,
        attributes: s.attributes,
        provenance: s.provenance,
        version: vsum,
        versions: versions.into_iter().map(|v| v.1).collect(),
        node_counts,
        children: top,
    }))
}

pub(crate) fn schemes(c: &dyn Conn) -> Result<Vec<SchemeSummary>> {
    collect(
        c,
        "SELECT s.slug, s.title, s.description, s.source, s.source_date, s.inferred, s.demo,
                (SELECT COUNT(*) FROM concepts c WHERE c.scheme_id = s.id)
         FROM schemes s ORDER BY s.slug",
        params![],
        |r| {
            Ok(SchemeSummary {
                id: r.get(0)?,
                title: labels(r.get(1)?)?,
                description: labels(r.get(2)?)?,
                provenance: provenance(r, 3)?,
                concepts: r.get(7)?,
            })
        },
    )
}

pub(crate) fn concept(c: &dyn Conn, scheme: &str, notation: &str) -> Result<Option<ConceptDetail>> {
    let Some(r) = c.query_row(
        "SELECT c.id, c.broader_id, c.labels, c.attributes, c.source, c.source_date, c.inferred, c.demo
         FROM concepts c JOIN schemes s ON s.id = c.scheme_id WHERE s.slug = ?1 AND c.notation = ?2",
        params![scheme, notation],
    )?
    else {
        return Ok(None);
    };
    let id: i64 = r.get(0)?;
    let mut up: Option<i64> = r.get(1)?;
    let (labels_, attributes, prov) = (labels(r.get(2)?)?, object(r.get(3)?)?, provenance(&r, 4)?);
    let mut broader = Vec::new();
    let mut guard = 0;
    while let Some(b) = up {
        guard += 1;
        if guard > 32 {
            break;
        }
        let r = c
            .query_row(
                "SELECT c.broader_id, s.slug, c.notation, c.labels FROM concepts c
                 JOIN schemes s ON s.id = c.scheme_id WHERE c.id = ?1",
                params![b],
            )?
            .ok_or_else(|| {
                StoreError::Internal(format!("concept {b} is named broader but missing"))
            })?;
        broader.push(concept_brief(&r, 1)?);
        up = r.get(0)?;
    }
    let narrower = collect(
        c,
        "SELECT s.slug, c.notation, c.labels FROM concepts c JOIN schemes s ON s.id = c.scheme_id
         WHERE c.broader_id = ?1 ORDER BY c.notation",
        params![id],
        |r| concept_brief(r, 0),
    )?;
    let mut links = Vec::new();
    for (q, direction) in [
        (
            "SELECT l.kind, s.slug, c.notation, c.labels, l.partial FROM concept_links l
          JOIN concepts c ON c.id = l.related_id JOIN schemes s ON s.id = c.scheme_id
          WHERE l.concept_id = ?1 ORDER BY l.kind, c.notation",
            "out",
        ),
        (
            "SELECT l.kind, s.slug, c.notation, c.labels, l.partial FROM concept_links l
          JOIN concepts c ON c.id = l.concept_id JOIN schemes s ON s.id = c.scheme_id
          WHERE l.related_id = ?1 ORDER BY l.kind, c.notation",
            "in",
        ),
    ] {
        links.extend(collect(c, q, params![id], |r| {
            Ok(ConceptLinkView {
                kind: r.get(0)?,
                direction,
                concept: concept_brief(r, 1)?,
                partial: r.get(4)?,
            })
        })?);
    }
    let postal_codes = collect(
        c,
        "SELECT postal_code FROM postal_codes WHERE concept_id = ?1 ORDER BY postal_code",
        params![id],
        |r| r.get(0),
    )?;
    let geometry: Option<String> = sql::opt(
        c,
        "SELECT geojson FROM geometries WHERE concept_id = ?1",
        params![id],
    )?;
    let tagged_entities = members::of(c, &descendants(c, scheme, notation)?)?.len();
    Ok(Some(ConceptDetail {
        scheme: scheme.to_owned(),
        notation: notation.to_owned(),
        labels: labels_,
        attributes,
        provenance: prov,
        broader,
        narrower,
        links,
        postal_codes,
        geometry: geometry.map(|g| serde_json::from_str(&g)).transpose()?,
        tagged_entities,
    }))
}

pub(crate) fn entity(c: &dyn Conn, kind: EntityKind, key: &str) -> Result<Option<EntityDetail>> {
    let found = c.query_row(
        &format!("SELECT {ENTITY_COLS} FROM entities e WHERE e.kind = ?1 AND e.key = ?2"),
        params![kind.as_str(), key],
    )?;
    let Some((id, mut e)) = found.map(|r| entity_row(&r)).transpose()? else {
        return Ok(None);
    };
    complete(c, id, &mut e)?;
    let concepts = collect(c, &tags_sql(c), params![id], |r| concept_brief(r, 0))?;
    let placements = collect(
        c,
        "SELECT s.key, v.slug, p.kind, p.key, p.labels, ed.source, ed.source_date, ed.inferred, ed.demo
         FROM strategy_edges ed JOIN strategy_versions v ON v.id = ed.version_id
         JOIN entities s ON s.id = v.strategy_id JOIN entities p ON p.id = ed.parent_id
         WHERE ed.child_id = ?1 ORDER BY s.key, v.position, p.name",
        params![id],
        |r| {
            Ok(PlacementView {
                strategy: r.get(0)?,
                version: r.get(1)?,
                parent: brief(r, 2)?,
                link: provenance(r, 5)?,
            })
        },
    )?;
    let indicators = indicators_of(c, &[id])?.remove(&id).unwrap_or_default();
    Ok(Some(EntityDetail {
        entity: e,
        concepts,
        relations: relations_of(c, id, false)?,
        inverse_relations: relations_of(c, id, true)?,
        placements,
        indicators,
    }))
}

/// Entities of a kind by key, a page at a time (keyset pagination: no query stays open
/// while the page's entities are completed, which PostgreSQL's protocol needs).
pub(crate) fn export_entities(
    c: &dyn Conn,
    kind: EntityKind,
    visit: &mut dyn FnMut(Entity, Vec<Relation>) -> Result<()>,
) -> Result<u64> {
    const PAGE: i64 = 2_000;
    let q = format!(
        "SELECT {ENTITY_COLS} FROM entities e WHERE e.kind = ?1 AND e.key > ?2 ORDER BY e.key LIMIT ?3"
    );
    let mut after = String::new();
    let mut n = 0;
    loop {
        let page = collect(c, &q, params![kind.as_str(), after, PAGE], entity_row)?;
        let last = page.len() < PAGE as usize;
        for (id, mut e) in page {
            complete(c, id, &mut e)?;
            let subject = e.reference();
            let relations = collect(
                c,
                "SELECT r.kind, o.kind, o.key, r.since, r.until, r.amount_eur, r.source, r.source_date, r.inferred, r.demo
                 FROM relations r JOIN entities o ON o.id = r.object_id WHERE r.subject_id = ?1
                 ORDER BY r.kind, o.kind, o.key",
                params![id],
                |r| {
                    Ok(Relation {
                        subject: subject.clone(),
                        kind: RelationKind::parse(r.text(0)?).unwrap_or(RelationKind::PartOf),
                        object: EntityRef::new(kind_of(r.text(1)?), r.get::<String>(2)?),
                        since: date(r.get(3)?),
                        until: date(r.get(4)?),
                        amount_eur: r.get(5)?,
                        provenance: provenance(r, 6)?,
                    })
                },
            )?;
            after.clone_from(&e.key);
            visit(e, relations)?;
            n += 1;
        }
        if last {
            return Ok(n);
        }
    }
}

pub(crate) fn export_observations(
    c: &dyn Conn,
    visit: &mut dyn FnMut(Observation) -> Result<()>,
) -> Result<u64> {
    let mut n = 0;
    c.query(
        "SELECT e.key, o.period_start, o.period_end, o.value, o.qualifier, o.period_label, o.note,
                o.source, o.source_date, o.inferred, o.demo, t.notation, o.quote
         FROM observations o JOIN entities e ON e.id = o.indicator_id
         LEFT JOIN concepts t ON t.id = o.territory_id
         ORDER BY e.key, o.period_start, o.period_end, t.notation IS NOT NULL, t.notation",
        params![],
        &mut |r| {
            visit(Observation {
                indicator: r.get(0)?,
                period: stored_period(r.text(1)?, r.text(2)?)?,
                territory: r.get(11)?,
                value: r.get(3)?,
                qualifier: r.get(4)?,
                period_label: r.get(5)?,
                note: r.get(6)?,
                quote: r.get(12)?,
                provenance: provenance(r, 7)?,
            })?;
            n += 1;
            Ok(())
        },
    )?;
    Ok(n)
}

pub(crate) fn territorial_indicators(c: &dyn Conn) -> Result<Vec<TerritorialIndicator>> {
    let mut out: Vec<TerritorialIndicator> = Vec::new();
    c.query(
        "SELECT e.key, e.labels, i.unit, i.aggregation, p.period_start, p.period_end,
                w.value, w.qualifier, w.source, w.source_date, w.inferred, w.demo
         FROM (SELECT DISTINCT indicator_id, period_start, period_end FROM observations
               WHERE territory_id IS NOT NULL) p
         JOIN entities e ON e.id = p.indicator_id
         JOIN indicators i ON i.entity_id = p.indicator_id
         LEFT JOIN observations w ON w.indicator_id = p.indicator_id
           AND w.period_start = p.period_start AND w.period_end = p.period_end
           AND w.territory_id IS NULL
         ORDER BY e.key, p.period_end, p.period_start",
        params![],
        &mut |r| {
            let key: String = r.get(0)?;
            let whole = match r.get::<Option<f64>>(6)? {
                Some(value) => Some(WholeFigure {
                    value,
                    qualifier: r.get(7)?,
                    provenance: provenance(r, 8)?,
                }),
                None => None,
            };
            let period = TerritorialPeriod {
                period: period_view(r.get(4)?, r.get(5)?),
                whole,
            };
            match out.last_mut() {
                Some(last) if last.id == key => last.periods.push(period),
                _ => out.push(TerritorialIndicator {
                    id: key,
                    name: labels(r.get(1)?)?,
                    unit: r.get(2)?,
                    aggregation: r.get(3)?,
                    periods: vec![period],
                }),
            }
            Ok(())
        },
    )?;
    Ok(out)
}

pub(crate) fn territorial_observations(
    c: &dyn Conn,
    indicator: &str,
) -> Result<Option<Vec<TerritorialObservation>>> {
    let id: Option<i64> = sql::opt(
        c,
        "SELECT id FROM entities WHERE kind = 'indicator' AND key = ?1",
        params![indicator],
    )?;
    let Some(id) = id else { return Ok(None) };
    Ok(Some(collect(
        c,
        "SELECT t.notation, o.period_start, o.period_end, o.value, o.qualifier,
                o.source, o.source_date, o.inferred, o.demo
         FROM observations o JOIN concepts t ON t.id = o.territory_id
         WHERE o.indicator_id = ?1
         ORDER BY o.period_end, o.period_start, t.notation",
        params![id],
        |r| {
            Ok(TerritorialObservation {
                territory: r.get(0)?,
                period: period_view(r.get(1)?, r.get(2)?),
                value: r.get(3)?,
                qualifier: r.get(4)?,
                provenance: provenance(r, 5)?,
            })
        },
    )?))
}

/// The domain checks both backends run (after their own integrity checks).
pub(crate) fn check(c: &dyn Conn) -> Result<Vec<String>> {
    let mut problems = members::verify(c)?;
    c.query(
        "SELECT e.key, o.kbo FROM organisations o JOIN entities e ON e.id = o.entity_id WHERE o.kbo IS NOT NULL",
        params![],
        &mut |r| {
            let (key, kbo) = (r.text(0)?, r.text(1)?);
            if territoria_model::Kbo::parse(kbo).is_err() {
                problems.push(format!("organisation/{key}: invalid enterprise number {kbo}"));
            }
            Ok(())
        },
    )?;
    let orphans: u64 = sql::one(
        c,
        "SELECT COUNT(*) FROM entities e WHERE
           (e.kind = 'organisation' AND NOT EXISTS (SELECT 1 FROM organisations o WHERE o.entity_id = e.id))
           OR (e.kind = 'action' AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.entity_id = e.id))
           OR (e.kind = 'indicator' AND NOT EXISTS (SELECT 1 FROM indicators i WHERE i.entity_id = e.id))",
        params![],
    )?;
    if orphans > 0 {
        problems.push(format!(
            "{orphans} organisations, actions or indicators lack their typed details"
        ));
    }
    let cycles: u64 = sql::one(
        c,
        "WITH RECURSIVE up(start, id, depth) AS (
            SELECT id, broader_id, 1 FROM concepts WHERE broader_id IS NOT NULL
            UNION ALL SELECT up.start, c.broader_id, up.depth + 1 FROM up JOIN concepts c ON c.id = up.id
            WHERE c.broader_id IS NOT NULL AND up.depth < 40)
         SELECT COUNT(DISTINCT start) FROM up WHERE depth >= 40 OR id = start",
        params![],
    )?;
    if cycles > 0 {
        problems.push(format!("{cycles} concepts are in a broader/narrower cycle"));
    }
    let unsourced: u64 = sql::one(
        c,
        "SELECT (SELECT COUNT(*) FROM entities e JOIN sources s ON s.id = e.source_id
                 WHERE TRIM(s.text) = '')
              + (SELECT COUNT(*) FROM relations WHERE TRIM(source) = '')
              + (SELECT COUNT(*) FROM observations WHERE TRIM(source) = '')",
        params![],
    )?;
    if unsourced > 0 {
        problems.push(format!("{unsourced} facts have no source"));
    }
    Ok(problems)
}
