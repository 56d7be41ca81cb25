//! Reads written once for every backend, on the portable connection layer
//! ([`crate::sql::Conn`]). A backend runs each inside its own snapshot (SQLite's read
//! transaction, PostgreSQL's repeatable-read one) and delegates its [`crate::Store`]
//! method here; a new read belongs here rather than in one backend.

use std::collections::BTreeMap;

use territoria_model::{EntityKind, Labels};

use crate::read::{
    AuditEntry, Counts, MagnetRecord, MagnetVersion, StoredAssessment, SupportVersion,
};
use crate::sql::{self, Conn, Row, params};
use crate::{Changes, Result, ScanItem, ScanParts, StoreError, members};

pub(crate) fn labels(s: &str) -> Result<Labels> {
    serde_json::from_str(s).map_err(|e| StoreError::Internal(format!("a labels column: {e}")))
}

pub(crate) fn kind_of(s: &str) -> EntityKind {
    EntityKind::parse(s).unwrap_or(EntityKind::Organisation)
}

/// Every row of a query, each turned into a `T`.
pub(crate) fn collect<T>(
    c: &dyn Conn,
    sql: &str,
    params: &[&dyn sql::ToParam],
    mut f: impl FnMut(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    c.query(sql, params, &mut |r| {
        out.push(f(r)?);
        Ok(())
    })?;
    Ok(out)
}

pub(crate) fn counts(c: &dyn Conn) -> Result<Counts> {
    let mut entities = BTreeMap::new();
    c.query(
        "SELECT kind, COUNT(*) FROM entities GROUP BY kind ORDER BY kind",
        params![],
        &mut |r| {
            entities.insert(r.get(0)?, r.get(1)?);
            Ok(())
        },
    )?;
    let one = |q: &str| -> Result<u64> { sql::one(c, q, params![]) };
    Ok(Counts {
        entities,
        demo_entities: one("SELECT COUNT(*) FROM entities WHERE demo = 1")?,
        schemes: one("SELECT COUNT(*) FROM schemes")?,
        concepts: one("SELECT COUNT(*) FROM concepts")?,
        relations: one("SELECT COUNT(*) FROM relations")?,
        observations: one("SELECT COUNT(*) FROM observations")?,
        audit_entries: one("SELECT COUNT(*) FROM audit")?,
    })
}

pub(crate) fn audit(c: &dyn Conn, limit: u32) -> Result<Vec<AuditEntry>> {
    collect(
        c,
        "SELECT id, at, actor, operation, summary FROM audit ORDER BY id DESC LIMIT ?1",
        params![limit],
        |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                operation: r.get(3)?,
                summary: serde_json::from_str(r.text(4)?).unwrap_or_default(),
            })
        },
    )
}

pub(crate) fn magnet(c: &dyn Conn, slug: &str) -> Result<Option<MagnetRecord>> {
    let Some(head) = c.query_row(
        "SELECT id, name, kind, source, created_at FROM magnets WHERE slug = ?1",
        params![slug],
    )?
    else {
        return Ok(None);
    };
    let id: i64 = head.get(0)?;
    let versions = collect(
        c,
        "SELECT version, query, actor, created_at FROM magnet_versions WHERE magnet_id = ?1 ORDER BY version",
        params![id],
        |r| {
            Ok(MagnetVersion {
                version: r.get(0)?,
                query: r.get(1)?,
                actor: r.get(2)?,
                created_at: r.get(3)?,
            })
        },
    )?;
    Ok(Some(MagnetRecord {
        id: slug.to_owned(),
        name: labels(head.text(1)?)?,
        kind: kind_of(head.text(2)?),
        source: head.get(3)?,
        created_at: head.get(4)?,
        versions,
    }))
}

const ASSESSMENT_COLUMNS: &str =
    "SELECT link_hash, series, questionnaire, questionnaire_version, kbo,
        nace_section, size_class, municipality, answers, overall, axes, completed_at, demo,
        created_at, updated_at FROM digiscore_assessments";

fn assessment(r: &Row) -> Result<StoredAssessment> {
    Ok(StoredAssessment {
        link_hash: r.get(0)?,
        series: r.get(1)?,
        questionnaire: r.get(2)?,
        questionnaire_version: r.get(3)?,
        kbo: r.get(4)?,
        nace_section: r.get(5)?,
        size_class: r.get(6)?,
        municipality: r.get(7)?,
        answers: r.get(8)?,
        overall: r.get(9)?,
        axes: r.get(10)?,
        completed_at: r.get(11)?,
        demo: r.get::<i64>(12)? != 0,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

pub(crate) fn digiscore_assessment(
    c: &dyn Conn,
    link_hash: &str,
) -> Result<Option<StoredAssessment>> {
    Ok(collect(
        c,
        &format!("{ASSESSMENT_COLUMNS} WHERE link_hash = ?1"),
        params![link_hash],
        assessment,
    )?
    .pop())
}

pub(crate) fn digiscore_series(c: &dyn Conn, series: &str) -> Result<Vec<StoredAssessment>> {
    collect(
        c,
        &format!("{ASSESSMENT_COLUMNS} WHERE series = ?1 ORDER BY created_at, id"),
        params![series],
        assessment,
    )
}

pub(crate) fn digiscore_support(c: &dyn Conn) -> Result<Vec<SupportVersion>> {
    collect(
        c,
        "SELECT version, body, actor, created_at FROM digiscore_support ORDER BY version",
        params![],
        |r| {
            Ok(SupportVersion {
                version: r.get(0)?,
                body: r.get(1)?,
                actor: r.get(2)?,
                created_at: r.get(3)?,
            })
        },
    )
}

pub(crate) fn digiscore_completed(
    c: &dyn Conn,
    questionnaire: &str,
) -> Result<Vec<StoredAssessment>> {
    collect(
        c,
        &format!(
            "{ASSESSMENT_COLUMNS} WHERE questionnaire = ?1 AND completed_at IS NOT NULL ORDER BY id"
        ),
        params![questionnaire],
        assessment,
    )
}

pub(crate) fn magnets(c: &dyn Conn) -> Result<Vec<MagnetRecord>> {
    let slugs: Vec<String> = collect(
        c,
        "SELECT slug FROM magnets ORDER BY slug",
        params![],
        |r| r.get(0),
    )?;
    let mut out = Vec::with_capacity(slugs.len());
    for s in &slugs {
        out.extend(magnet(c, s)?);
    }
    Ok(out)
}

const SCAN_ENTITY: &str = "SELECT e.id, e.kind, e.key, e.labels, e.description, e.demo,
        COALESCE(o.founded, a.start_date, ev.start_date), o.employees
     FROM entities e
     LEFT JOIN organisations o ON o.entity_id = e.id
     LEFT JOIN actions a ON a.entity_id = e.id
     LEFT JOIN events ev ON ev.entity_id = e.id";
const SCAN_RELATION: &str = "SELECT subject_id, kind, object_id, since FROM relations";

fn scan_entity(r: &Row) -> Result<ScanItem> {
    Ok(ScanItem::Entity {
        id: r.get(0)?,
        kind: kind_of(r.text(1)?),
        key: r.get(2)?,
        name: labels(r.text(3)?)?,
        description: labels(r.text(4)?)?,
        demo: r.get(5)?,
        date: r.get(6)?,
        employees: r.get(7)?,
    })
}

fn scan_relation(r: &Row) -> Result<ScanItem> {
    Ok(ScanItem::Relation {
        subject: r.get(0)?,
        kind: r.get(1)?,
        object: r.get(2)?,
        since: r.get(3)?,
    })
}

pub(crate) fn scan_parts(
    c: &dyn Conn,
    parts: ScanParts,
    visit: &mut dyn FnMut(ScanItem) -> Result<()>,
) -> Result<()> {
    if parts.items {
        c.query(
            "SELECT c.id, s.slug, c.notation, c.broader_id, c.labels FROM concepts c
             JOIN schemes s ON s.id = c.scheme_id ORDER BY c.id",
            params![],
            &mut |r| {
                visit(ScanItem::Concept {
                    id: r.get(0)?,
                    scheme: r.get(1)?,
                    notation: r.get(2)?,
                    broader: r.get(3)?,
                    labels: labels(r.text(4)?)?,
                })
            },
        )?;
        c.query(
            &format!("{SCAN_ENTITY} ORDER BY e.id"),
            params![],
            &mut |r| visit(scan_entity(r)?),
        )?;
    }
    if parts.tags {
        // Concept by concept, from the stored bitmaps: a bitmap index builds each
        // concept's set in one sequential pass.
        members::scan(c, &mut |concept, entity| {
            visit(ScanItem::Tag { entity, concept })
        })?;
    }
    if parts.items {
        c.query(
            &format!("{SCAN_RELATION} ORDER BY id"),
            params![],
            &mut |r| visit(scan_relation(r)?),
        )?;
    }
    Ok(())
}

pub(crate) fn changes_since(c: &dyn Conn, after: i64) -> Result<Changes> {
    let upto: i64 = sql::one(c, "SELECT COALESCE(MAX(id), 0) FROM audit", params![])?;
    if upto <= after {
        return Ok(Changes {
            upto,
            ..Default::default()
        });
    }
    let mut entities: Vec<i64> = Vec::new();
    for q in [
        "SELECT id FROM entities WHERE audit_id > ?1 AND audit_id <= ?2",
        "SELECT subject_id FROM relations WHERE audit_id > ?1 AND audit_id <= ?2",
    ] {
        c.query(q, params![after, upto], &mut |r| {
            entities.push(r.get(0)?);
            Ok(())
        })?;
    }
    entities.sort_unstable();
    entities.dedup();
    let concepts: bool = sql::one(
        c,
        "SELECT EXISTS (SELECT 1 FROM concepts WHERE audit_id > ?1 AND audit_id <= ?2)",
        params![after, upto],
    )?;
    Ok(Changes {
        upto,
        entities,
        concepts,
    })
}

pub(crate) fn scan_entities(
    c: &dyn Conn,
    ids: &[i64],
    visit: &mut dyn FnMut(ScanItem) -> Result<()>,
) -> Result<()> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let by_id = format!("{SCAN_ENTITY} WHERE e.id = ?1");
    for id in &ids {
        if let Some(r) = c.query_row(&by_id, params![id])? {
            visit(scan_entity(&r)?)?;
        }
    }
    for &entity in &ids {
        let tags: Option<String> = sql::opt(
            c,
            "SELECT concepts FROM entities WHERE id = ?1",
            params![entity],
        )?;
        for concept in members::decode(tags.as_deref().unwrap_or("[]"))? {
            visit(ScanItem::Tag { entity, concept })?;
        }
    }
    let relations = format!("{SCAN_RELATION} WHERE subject_id = ?1 ORDER BY id");
    for id in &ids {
        c.query(&relations, params![id], &mut |r| visit(scan_relation(r)?))?;
    }
    Ok(())
}
