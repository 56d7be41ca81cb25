//! Concept membership: which entities carry which concept, both ways.
//!
//! * An entity's own concepts live in its row: `entities.concepts`, a JSON array of
//!   concept ids in ascending order (`[12,407,3310]`). Reading one entity's tags is
//!   reading its row; SQL sees them through `json_each`.
//! * The inverse — the entities tagged with a concept — lives in `concept_members`: one
//!   row per concept and block of 65,536 entity ids, holding a Roaring bitmap of those
//!   ids in the portable Roaring format (the one PostgreSQL's `roaringbitmap`
//!   extension also reads). A block holds at most 8 KiB, so a small write rewrites
//!   little; a bulk write of 100,000 organisations writes a few thousand rows instead
//!   of half a million tag rows and their index.
//!
//! Invariant: the two are equal after every committed write (the write path gathers
//! [`Deltas`] and applies them in the same transaction); `territoria check` verifies
//! it with [`verify`].

use std::collections::HashMap;

use roaring::RoaringBitmap;

use crate::sql::{self, Conn, params};

use crate::{Result, StoreError};

/// Entity ids per block: the low 16 bits, one Roaring container.
const BLOCK_SHIFT: u32 = 16;

/// The JSON array stored in `entities.concepts` for sorted, unique concept ids.
pub(crate) fn encode(concepts: &[i64]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(2 + concepts.len() * 6);
    s.push('[');
    for (i, c) in concepts.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{c}");
    }
    s.push(']');
    s
}

/// Reads an `entities.concepts` value.
pub(crate) fn decode(s: &str) -> Result<Vec<i64>> {
    serde_json::from_str(s)
        .map_err(|e| StoreError::Internal(format!("entities.concepts is not a list of ids: {e}")))
}

fn entity_u32(entity: i64) -> Result<u32> {
    u32::try_from(entity).map_err(|_| {
        StoreError::Internal(format!(
            "entity id {entity} is beyond the 4,294,967,295 a membership bitmap holds"
        ))
    })
}

/// Membership changes gathered during a write, applied once before it commits. Each
/// change is one `u64` — concept id in the high half, entity id in the low one — so
/// sorting them groups them by block, entities ascending.
///
/// An entity's removals are applied before its additions; the write path writes an
/// entity at most once per write, so this is the order in which they happened.
#[derive(Default)]
pub(crate) struct Deltas {
    gone: Vec<u64>,
    new: Vec<u64>,
}

fn pack(concept: i64, entity: u32) -> Result<u64> {
    let c = u32::try_from(concept)
        .map_err(|_| StoreError::Internal(format!("concept id {concept} is beyond u32")))?;
    Ok(u64::from(c) << 32 | u64::from(entity))
}

/// Splits sorted packed changes into `(concept, block, entities)` runs.
fn blocks(changes: &[u64]) -> impl Iterator<Item = ((i64, u32), &[u64])> {
    changes
        .chunk_by(|a, b| a >> BLOCK_SHIFT == b >> BLOCK_SHIFT)
        .map(|run| {
            let concept = (run[0] >> 32) as i64;
            let block = (run[0] as u32) >> BLOCK_SHIFT;
            ((concept, block), run)
        })
}

fn bitmap(run: &[u64]) -> RoaringBitmap {
    // Sorted, possibly with repeats; `from_sorted_iter` wants them strictly ascending.
    let mut ids: Vec<u32> = run.iter().map(|&p| p as u32).collect();
    ids.dedup();
    RoaringBitmap::from_sorted_iter(ids).expect("sorted and unique")
}

impl Deltas {
    /// `entity` now carries `concepts`.
    pub(crate) fn add(&mut self, entity: i64, concepts: &[i64]) -> Result<()> {
        let e = entity_u32(entity)?;
        for &c in concepts {
            self.new.push(pack(c, e)?);
        }
        Ok(())
    }

    /// `entity` no longer carries `concepts`.
    pub(crate) fn remove(&mut self, entity: i64, concepts: &[i64]) -> Result<()> {
        let e = entity_u32(entity)?;
        for &c in concepts {
            self.gone.push(pack(c, e)?);
        }
        Ok(())
    }

    /// Rewrites every block that changed, in key order.
    pub(crate) fn apply(mut self, c: &dyn Conn) -> Result<()> {
        self.gone.sort_unstable();
        self.new.sort_unstable();
        // (concept, block) → (entities leaving, entities joining)
        type Change<'a> = ((i64, u32), Option<&'a [u64]>, Option<&'a [u64]>);
        let mut changes: Vec<Change> = Vec::new();
        {
            let mut gone = blocks(&self.gone).peekable();
            let mut new = blocks(&self.new).peekable();
            loop {
                let next = match (gone.peek(), new.peek()) {
                    (None, None) => break,
                    (Some(g), Some(n)) => g.0.min(n.0),
                    (Some(g), None) => g.0,
                    (None, Some(n)) => n.0,
                };
                let g = gone.next_if(|g| g.0 == next).map(|g| g.1);
                let n = new.next_if(|n| n.0 == next).map(|n| n.1);
                changes.push((next, g, n));
            }
        }
        let mut buf = Vec::new();
        for ((concept, block), gone, new) in changes {
            let stored: Option<Vec<u8>> = sql::opt(
                c,
                "SELECT members FROM concept_members WHERE concept_id = ?1 AND block = ?2",
                params![concept, block],
            )?;
            let mut set = match stored {
                Some(bytes) => deserialize(&bytes)?,
                None => RoaringBitmap::new(),
            };
            if let Some(gone) = gone {
                set -= bitmap(gone);
            }
            if let Some(new) = new {
                set |= bitmap(new);
            }
            if set.is_empty() {
                c.execute(
                    "DELETE FROM concept_members WHERE concept_id = ?1 AND block = ?2",
                    params![concept, block],
                )?;
            } else {
                serialize(&set, &mut buf)?;
                c.execute(
                    "INSERT INTO concept_members(concept_id, block, members) VALUES (?1, ?2, ?3)
                     ON CONFLICT (concept_id, block) DO UPDATE SET members = excluded.members",
                    params![concept, block, buf],
                )?;
            }
        }
        Ok(())
    }
}

/// `set` in the portable Roaring format, into `buf` (cleared first).
fn serialize(set: &RoaringBitmap, buf: &mut Vec<u8>) -> Result<()> {
    buf.clear();
    set.serialize_into(buf)
        .map_err(|e| StoreError::Internal(format!("membership bitmap: {e}")))
}

fn deserialize(bytes: &[u8]) -> Result<RoaringBitmap> {
    RoaringBitmap::deserialize_from(bytes)
        .map_err(|e| StoreError::Internal(format!("concept_members holds a damaged bitmap: {e}")))
}

/// The entities carrying any of `concepts` (the caller expands narrower concepts).
pub(crate) fn of(c: &dyn Conn, concepts: &[i64]) -> Result<RoaringBitmap> {
    let mut out = RoaringBitmap::new();
    for concept in concepts {
        c.query(
            "SELECT members FROM concept_members WHERE concept_id = ?1",
            params![concept],
            &mut |r| {
                out |= deserialize(r.blob(0)?)?;
                Ok(())
            },
        )?;
    }
    Ok(out)
}

/// Every (concept, entity) pair, concept by concept, entities ascending.
pub(crate) fn scan(c: &dyn Conn, visit: &mut dyn FnMut(i64, i64) -> Result<()>) -> Result<()> {
    c.query(
        "SELECT concept_id, members FROM concept_members ORDER BY concept_id, block",
        params![],
        &mut |r| {
            let concept: i64 = r.get(0)?;
            for e in deserialize(r.blob(1)?)? {
                visit(concept, i64::from(e))?;
            }
            Ok(())
        },
    )
}

/// The membership the entity rows imply: (concept, block) → entities.
fn implied(c: &dyn Conn) -> Result<HashMap<(i64, u32), RoaringBitmap>> {
    let mut sets: HashMap<(i64, u32), RoaringBitmap> = HashMap::new();
    c.query(
        "SELECT id, concepts FROM entities WHERE concepts <> '[]'",
        params![],
        &mut |r| {
            let e = entity_u32(r.get(0)?)?;
            for concept in decode(r.text(1)?)? {
                sets.entry((concept, e >> BLOCK_SHIFT))
                    .or_default()
                    .insert(e);
            }
            Ok(())
        },
    )?;
    Ok(sets)
}

/// Writes `concept_members` again from the entity rows (a migration step).
pub(crate) fn rebuild(c: &dyn Conn) -> Result<()> {
    let mut sets: Vec<_> = implied(c)?.into_iter().collect();
    sets.sort_unstable_by_key(|(k, _)| *k);
    c.execute("DELETE FROM concept_members", params![])?;
    let mut buf = Vec::new();
    for ((concept, block), set) in sets {
        serialize(&set, &mut buf)?;
        c.execute(
            "INSERT INTO concept_members(concept_id, block, members) VALUES (?1, ?2, ?3)",
            params![concept, block, buf],
        )?;
    }
    Ok(())
}

/// Problems found comparing `concept_members` with the entity rows, and tags that
/// point to no concept.
pub(crate) fn verify(c: &dyn Conn) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut expected = implied(c)?;
    let mut unknown: u64 = 0;
    {
        let mut concepts: Vec<i64> = expected.keys().map(|k| k.0).collect();
        concepts.sort_unstable();
        concepts.dedup();
        for concept in concepts {
            if c.query_row("SELECT 1 FROM concepts WHERE id = ?1", params![concept])?
                .is_none()
            {
                unknown += 1;
            }
        }
    }
    if unknown > 0 {
        problems.push(format!(
            "entities carry {unknown} concept ids that name no concept"
        ));
    }
    let (mut differing, mut extra) = (0u64, 0u64);
    c.query(
        "SELECT concept_id, block, members FROM concept_members",
        params![],
        &mut |r| {
            let key: (i64, u32) = (r.get(0)?, r.get(1)?);
            let stored = deserialize(r.blob(2)?)?;
            match expected.remove(&key) {
                Some(set) if set == stored => {}
                Some(_) => differing += 1,
                None => extra += 1,
            }
            Ok(())
        },
    )?;
    let missing = expected.len();
    if differing + extra > 0 || missing > 0 {
        problems.push(format!(
            "concept membership disagrees with the entities' tags: {differing} blocks differ, \
             {extra} are extra, {missing} are missing (a bug; `territoria check` found it, \
             please report it)"
        ));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_concepts_column_round_trips() {
        for ids in [vec![], vec![7], vec![1, 20, 300_000]] {
            assert_eq!(decode(&encode(&ids)).unwrap(), ids);
        }
        assert!(decode("[1,\"x\"]").is_err());
    }

    #[test]
    fn deltas_apply_removals_then_additions_per_block() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let c = crate::sql::sqlite::SqliteConn::new(&conn);
        c.batch(
            "CREATE TABLE concept_members (concept_id INTEGER NOT NULL, block INTEGER NOT NULL,
               members BLOB NOT NULL, PRIMARY KEY (concept_id, block)) WITHOUT ROWID",
        )
        .unwrap();
        let mut d = Deltas::default();
        d.add(1, &[10, 11]).unwrap();
        d.add(70_000, &[10]).unwrap();
        d.apply(&c).unwrap();
        assert_eq!(
            of(&c, &[10]).unwrap().iter().collect::<Vec<_>>(),
            [1, 70_000]
        );
        let blocks: i64 = sql::one(&c, "SELECT COUNT(*) FROM concept_members", params![]).unwrap();
        assert_eq!(blocks, 3, "concept 10 spans two blocks, concept 11 one");
        // Entity 1 moves from 10 and 11 to 11 only; an emptied block disappears.
        let mut d = Deltas::default();
        d.remove(1, &[10, 11]).unwrap();
        d.add(1, &[11]).unwrap();
        d.apply(&c).unwrap();
        assert_eq!(of(&c, &[10]).unwrap().iter().collect::<Vec<_>>(), [70_000]);
        assert_eq!(of(&c, &[11]).unwrap().iter().collect::<Vec<_>>(), [1]);
        let mut pairs = Vec::new();
        scan(&c, &mut |concept, e| {
            pairs.push((concept, e));
            Ok(())
        })
        .unwrap();
        assert_eq!(pairs, [(10, 70_000), (11, 1)]);
        assert!(Deltas::default().add(1 << 40, &[1]).is_err());
        assert!(Deltas::default().add(1, &[1 << 40]).is_err());
    }
}
