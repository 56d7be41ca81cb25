//! Territoria's time-series engine (HydroNum's sensor twin; forecasts and early
//! warning read it too). No HTTP.
//!
//! - **Storage**: the embedded SQLite store's `ts_blocks` and `ts_latest` (migration 8
//!   of `territoria-store`): one datastream's observations over a time range per row,
//!   compressed by [`codec`] (delta-of-delta times, exact decimal or XOR values, runs of
//!   flags), with the block's count, min, max, sum and number of flagged observations.
//! - **One batching writer**: a thread owning the only writing connection. [`TimeSeries::append`]
//!   hands it a batch and waits; the writer takes every batch waiting, writes them in
//!   one transaction and commits (WAL, `synchronous = FULL`) **before** it answers: an
//!   acknowledged observation is on disk. A batch is refused whole (non-finite value)
//!   or written whole.
//! - **Latest values** of every datastream are kept in memory (loaded from `ts_latest`
//!   when the engine opens, updated after each commit).
//! - **Reads**: [`TimeSeries::range`] (merging overlapping blocks: late data lands in a
//!   block of its own) and [`TimeSeries::downsample`] (count, min, max, mean per
//!   interval; a block that lies inside one interval is answered from its statistics).
//! - The writer merges a datastream's small blocks (a 5-minute feed writes one
//!   observation per batch) into blocks of up to [`BLOCK_MAX`] once it has
//!   [`COMPACT_AFTER`] of them.
//!
//! Observation quality (range, rate of change, stuck sensor, gaps, duplicates, out of
//! order) is decided above this engine and stored as [`Point::flags`] bits ([`flag`]);
//! the engine keeps every observation it acknowledged, flagged or not, duplicates
//! included.

pub mod codec;

use foldhash::{HashMap, HashMapExt};
use rusqlite::{Connection, OpenFlags, params};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

/// Quality flag bits of an observation (set by validation above the engine).
pub mod flag {
    pub const RANGE: u8 = 1;
    pub const RATE_OF_CHANGE: u8 = 1 << 1;
    pub const STUCK: u8 = 1 << 2;
    pub const GAP_BEFORE: u8 = 1 << 3;
    pub const DUPLICATE: u8 = 1 << 4;
    pub const OUT_OF_ORDER: u8 = 1 << 5;
}

/// One observation of a datastream: time in milliseconds since the Unix epoch (UTC),
/// a finite value, quality flags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub t: i64,
    pub v: f64,
    pub flags: u8,
}

/// An observation addressed to a datastream, as handed to [`TimeSeries::append`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    pub datastream: i64,
    pub point: Point,
}

/// One interval of a downsampled series: `[start, start + interval)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub start: i64,
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
}

/// Which observations a downsampling counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    All,
    /// Only those without any flag.
    Unflagged,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("time-series storage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Corrupt(#[from] codec::CorruptBlock),
    #[error("time-series storage: a column of the wrong type: {0}")]
    Column(#[from] rusqlite::types::FromSqlError),
    #[error(
        "the store {path} is at schema version {version}; the time-series tables come with version 8 (open it with the store first)"
    )]
    Schema { path: String, version: i64 },
    #[error(
        "observation {index} (datastream {datastream}, t {t}): the value {value} is not a finite number"
    )]
    NotFinite {
        index: usize,
        datastream: i64,
        t: i64,
        value: f64,
    },
    #[error("the interval must be at least 1 ms, not {0}")]
    Interval(i64),
    #[error("the time-series writer has stopped: {0}")]
    WriterGone(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Most observations in one block.
pub const BLOCK_MAX: usize = 8192;
/// A block with fewer observations than this is small (a candidate for merging).
pub const SMALL: i64 = 512;
/// The writer merges a datastream's small blocks once it has this many.
pub const COMPACT_AFTER: usize = 32;
/// Most observations the writer puts in one transaction (more waiting: the next one).
const TX_MAX: usize = 2_000_000;

/// What an acknowledged append wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    pub observations: usize,
    /// Blocks written by the transaction that held this batch (with others' batches).
    pub blocks: usize,
}

struct Request {
    obs: Vec<Obs>,
    reply: SyncSender<std::result::Result<Ack, String>>,
}

type Latest = Arc<RwLock<HashMap<i64, Point>>>;

/// The engine: a writer thread, a pool of read connections, the latest values.
pub struct TimeSeries {
    path: PathBuf,
    tx: Option<SyncSender<Request>>,
    writer: Option<JoinHandle<()>>,
    latest: Latest,
    readers: Mutex<Vec<Connection>>,
}

fn check_schema(conn: &Connection, path: &Path) -> Result<()> {
    let version: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    if version < 8 {
        return Err(Error::Schema {
            path: path.display().to_string(),
            version,
        });
    }
    Ok(())
}

impl TimeSeries {
    /// Opens the engine on a store file already migrated to version 8 or later.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 10000;
             PRAGMA cache_size = -65536;",
        )?;
        check_schema(&conn, path)?;
        let mut latest = HashMap::new();
        {
            let mut st = conn.prepare("SELECT datastream_id, t, v, flags FROM ts_latest")?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Point {
                        t: r.get(1)?,
                        v: r.get(2)?,
                        flags: r.get::<_, i64>(3)? as u8,
                    },
                ))
            })?;
            for row in rows {
                let (id, p) = row?;
                latest.insert(id, p);
            }
        }
        let mut small = HashMap::new();
        {
            let mut st = conn.prepare(
                "SELECT datastream_id, COUNT(*) FROM ts_blocks WHERE n < ?1 GROUP BY datastream_id",
            )?;
            let rows = st.query_map([SMALL], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)? as usize))
            })?;
            for row in rows {
                let (id, n) = row?;
                small.insert(id, n);
            }
        }
        let latest: Latest = Arc::new(RwLock::new(latest));
        let (tx, rx) = sync_channel::<Request>(64);
        let writer = {
            let latest = latest.clone();
            std::thread::Builder::new()
                .name("timeseries-writer".into())
                .spawn(move || {
                    Writer {
                        conn,
                        latest,
                        small,
                    }
                    .run(rx)
                })
                .map_err(|e| Error::WriterGone(e.to_string()))?
        };
        Ok(Self {
            path: path.to_owned(),
            tx: Some(tx),
            writer: Some(writer),
            latest,
            readers: Mutex::new(Vec::new()),
        })
    }

    /// Appends a batch and returns once it is committed to disk. Refuses the whole batch
    /// (writing nothing) if any value is not finite. Order within the batch and against
    /// earlier batches is free: reads sort by time.
    pub fn append(&self, obs: Vec<Obs>) -> Result<Ack> {
        if let Some((index, o)) = obs.iter().enumerate().find(|(_, o)| !o.point.v.is_finite()) {
            return Err(Error::NotFinite {
                index,
                datastream: o.datastream,
                t: o.point.t,
                value: o.point.v,
            });
        }
        if obs.is_empty() {
            return Ok(Ack {
                observations: 0,
                blocks: 0,
            });
        }
        let (reply, answer) = sync_channel(1);
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| Error::WriterGone("closed".into()))?;
        tx.send(Request { obs, reply })
            .map_err(|_| Error::WriterGone("the channel is closed".into()))?;
        answer
            .recv()
            .map_err(|_| Error::WriterGone("no answer".into()))?
            .map_err(Error::WriterGone)
    }

    /// The newest observation of a datastream (greatest time; among equal times the
    /// last acknowledged), from memory.
    pub fn latest(&self, datastream: i64) -> Option<Point> {
        self.latest
            .read()
            .expect("latest poisoned")
            .get(&datastream)
            .copied()
    }

    /// The newest observation of each datastream asked for, in order.
    pub fn latest_many(&self, datastreams: &[i64]) -> Vec<Option<Point>> {
        let map = self.latest.read().expect("latest poisoned");
        datastreams.iter().map(|d| map.get(d).copied()).collect()
    }

    /// How many datastreams have at least one observation.
    pub fn datastream_count(&self) -> usize {
        self.latest.read().expect("latest poisoned").len()
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.lock().expect("reader pool poisoned").pop();
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.execute_batch("PRAGMA busy_timeout = 10000; PRAGMA cache_size = -16384;")?;
                c
            }
        };
        let out = f(&conn);
        let mut pool = self.readers.lock().expect("reader pool poisoned");
        if pool.len() < 8 {
            pool.push(conn);
        }
        out
    }

    /// The observations of a datastream with `from <= t < to`, sorted by time.
    pub fn range(&self, datastream: i64, from: i64, to: i64) -> Result<Vec<Point>> {
        if from >= to {
            return Ok(Vec::new());
        }
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT data FROM ts_blocks
                 WHERE datastream_id = ?1 AND t_first < ?3 AND t_last >= ?2
                 ORDER BY t_first, id",
            )?;
            let mut rows = st.query(params![datastream, from, to])?;
            let mut out: Vec<Point> = Vec::new();
            let mut tmp = Vec::new();
            let mut sorted = true;
            while let Some(row) = rows.next()? {
                let data = row.get_ref(0)?.as_blob()?;
                tmp.clear();
                codec::decode_into(data, &mut tmp)?;
                let first_kept = out.len();
                out.extend(tmp.iter().filter(|p| p.t >= from && p.t < to));
                if first_kept > 0
                    && out.len() > first_kept
                    && out[first_kept].t < out[first_kept - 1].t
                {
                    sorted = false;
                }
            }
            if !sorted {
                out.sort_by_key(|p| p.t);
            }
            Ok(out)
        })
    }

    /// Count, min, max and mean per interval of `interval` ms (aligned on multiples of
    /// it from the epoch) over `from <= t < to`; intervals without observations are
    /// left out.
    pub fn downsample(
        &self,
        datastream: i64,
        from: i64,
        to: i64,
        interval: i64,
        quality: Quality,
    ) -> Result<Vec<Bucket>> {
        if interval < 1 {
            return Err(Error::Interval(interval));
        }
        if from >= to {
            return Ok(Vec::new());
        }
        let bucket_of = |t: i64| t.div_euclid(interval);
        struct Acc {
            count: u64,
            min: f64,
            max: f64,
            sum: f64,
        }
        let mut acc: std::collections::BTreeMap<i64, Acc> = std::collections::BTreeMap::new();
        let mut add = |b: i64, count: u64, min: f64, max: f64, sum: f64| {
            let a = acc.entry(b).or_insert(Acc {
                count: 0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                sum: 0.0,
            });
            a.count += count;
            a.min = a.min.min(min);
            a.max = a.max.max(max);
            a.sum += sum;
        };
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT t_first, t_last, n, v_min, v_max, v_sum, flagged, data FROM ts_blocks
                 WHERE datastream_id = ?1 AND t_first < ?3 AND t_last >= ?2",
            )?;
            let mut rows = st.query(params![datastream, from, to])?;
            let mut tmp = Vec::new();
            while let Some(row) = rows.next()? {
                let (t_first, t_last): (i64, i64) = (row.get(0)?, row.get(1)?);
                let flagged: i64 = row.get(6)?;
                let inside =
                    t_first >= from && t_last < to && bucket_of(t_first) == bucket_of(t_last);
                if inside && (quality == Quality::All || flagged == 0) {
                    add(
                        bucket_of(t_first),
                        row.get::<_, i64>(2)? as u64,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                    );
                    continue;
                }
                tmp.clear();
                codec::decode_into(row.get_ref(7)?.as_blob()?, &mut tmp)?;
                let mut cur: Option<(i64, u64, f64, f64, f64)> = None;
                for p in tmp.iter().filter(|p| p.t >= from && p.t < to) {
                    if quality == Quality::Unflagged && p.flags != 0 {
                        continue;
                    }
                    let b = bucket_of(p.t);
                    match &mut cur {
                        Some((cb, n, mn, mx, s)) if *cb == b => {
                            *n += 1;
                            *mn = mn.min(p.v);
                            *mx = mx.max(p.v);
                            *s += p.v;
                        }
                        _ => {
                            if let Some((cb, n, mn, mx, s)) = cur.take() {
                                add(cb, n, mn, mx, s);
                            }
                            cur = Some((b, 1, p.v, p.v, p.v));
                        }
                    }
                }
                if let Some((cb, n, mn, mx, s)) = cur {
                    add(cb, n, mn, mx, s);
                }
            }
            Ok(())
        })?;
        Ok(acc
            .into_iter()
            .map(|(b, a)| Bucket {
                start: b * interval,
                count: a.count,
                min: a.min,
                max: a.max,
                mean: a.sum / a.count as f64,
            })
            .collect())
    }

    /// Stops the writer after the batches already handed to it.
    pub fn close(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        self.tx.take();
        if let Some(w) = self.writer.take() {
            w.join()
                .map_err(|_| Error::WriterGone("the writer panicked".into()))?;
        }
        Ok(())
    }
}

impl Drop for TimeSeries {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

struct Writer {
    conn: Connection,
    latest: Latest,
    /// Small blocks per datastream (an upper bound: merged ones are subtracted).
    small: HashMap<i64, usize>,
}

struct BlockRow<'a> {
    datastream: i64,
    points: &'a [Point],
}

impl Writer {
    fn run(mut self, rx: Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let mut group = vec![first];
            let mut total = group[0].obs.len();
            while total < TX_MAX {
                match rx.try_recv() {
                    Ok(r) => {
                        total += r.obs.len();
                        group.push(r);
                    }
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            let result = self.write(&group);
            for r in group {
                let answer = match &result {
                    Ok(blocks) => Ok(Ack {
                        observations: r.obs.len(),
                        blocks: *blocks,
                    }),
                    Err(e) => Err(e.to_string()),
                };
                let _ = r.reply.send(answer);
            }
            if result.is_ok() {
                if let Err(e) = self.compact_due() {
                    tracing_free_log(&format!("time-series compaction failed: {e}"));
                }
            }
        }
    }

    /// Writes one group of batches in one transaction; returns the blocks written.
    fn write(&mut self, group: &[Request]) -> Result<usize> {
        // (datastream, arrival index) sorted by time: stable, so equal times keep arrival order.
        let mut all: Vec<Obs> = Vec::with_capacity(group.iter().map(|r| r.obs.len()).sum());
        for r in group {
            all.extend_from_slice(&r.obs);
        }
        all.sort_by_key(|o| (o.datastream, o.point.t));
        let points: Vec<Point> = all.iter().map(|o| o.point).collect();
        let mut blocks = Vec::new();
        let mut i = 0;
        while i < all.len() {
            let ds = all[i].datastream;
            let mut j = i;
            while j < all.len() && all[j].datastream == ds {
                j += 1;
            }
            for chunk in points[i..j].chunks(BLOCK_MAX) {
                blocks.push(BlockRow {
                    datastream: ds,
                    points: chunk,
                });
            }
            i = j;
        }
        let tx = self.conn.transaction()?;
        let mut newest: Vec<(i64, Point)> = Vec::new();
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO ts_blocks(datastream_id, t_first, t_last, n, v_min, v_max, v_sum, flagged, codec, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for b in &blocks {
                insert_block(&mut ins, b.datastream, b.points)?;
            }
            let mut up = tx.prepare_cached(
                "INSERT INTO ts_latest(datastream_id, t, v, flags) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(datastream_id) DO UPDATE SET t = excluded.t, v = excluded.v, flags = excluded.flags
                 WHERE excluded.t >= ts_latest.t",
            )?;
            for (k, b) in blocks.iter().enumerate() {
                let last_of_stream = blocks
                    .get(k + 1)
                    .is_none_or(|n| n.datastream != b.datastream);
                if last_of_stream {
                    let p = *b.points.last().expect("blocks are not empty");
                    up.execute(params![b.datastream, p.t, p.v, i64::from(p.flags)])?;
                    newest.push((b.datastream, p));
                }
            }
        }
        tx.commit()?;
        let mut latest = self.latest.write().expect("latest poisoned");
        for (ds, p) in newest {
            let e = latest.entry(ds).or_insert(p);
            if p.t >= e.t {
                *e = p;
            }
        }
        for b in &blocks {
            if (b.points.len() as i64) < SMALL {
                *self.small.entry(b.datastream).or_insert(0) += 1;
            }
        }
        Ok(blocks.len())
    }

    /// Merges the small blocks of every datastream that has [`COMPACT_AFTER`] of them.
    fn compact_due(&mut self) -> Result<()> {
        let due: Vec<i64> = self
            .small
            .iter()
            .filter(|(_, n)| **n >= COMPACT_AFTER)
            .map(|(d, _)| *d)
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        // One transaction (one WAL sync) for all of them.
        let tx = self.conn.transaction()?;
        for &ds in &due {
            compact(&tx, ds)?;
        }
        tx.commit()?;
        for ds in due {
            self.small.insert(ds, 0);
        }
        Ok(())
    }
}

fn insert_block(ins: &mut rusqlite::CachedStatement<'_>, ds: i64, pts: &[Point]) -> Result<()> {
    let (mut mn, mut mx, mut sum, mut flagged) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0i64);
    for p in pts {
        mn = mn.min(p.v);
        mx = mx.max(p.v);
        sum += p.v;
        flagged += i64::from(p.flags != 0);
    }
    ins.execute(params![
        ds,
        pts[0].t,
        pts[pts.len() - 1].t,
        pts.len() as i64,
        mn,
        mx,
        sum,
        flagged,
        codec::CODEC_V1,
        codec::encode(pts)
    ])?;
    Ok(())
}

/// Merges a datastream's small blocks into blocks of up to [`BLOCK_MAX`], inside the
/// caller's transaction; reads answer the same before and after.
fn compact(tx: &rusqlite::Transaction<'_>, ds: i64) -> Result<()> {
    let mut pts = Vec::new();
    let mut ids = Vec::new();
    {
        let mut st = tx
            .prepare_cached("SELECT id, data FROM ts_blocks WHERE datastream_id = ?1 AND n < ?2")?;
        let mut rows = st.query(params![ds, SMALL])?;
        while let Some(row) = rows.next()? {
            ids.push(row.get::<_, i64>(0)?);
            codec::decode_into(row.get_ref(1)?.as_blob()?, &mut pts)?;
        }
    }
    if ids.len() < 2 {
        return Ok(());
    }
    pts.sort_by_key(|p| p.t);
    {
        let mut del = tx.prepare_cached("DELETE FROM ts_blocks WHERE id = ?1")?;
        for id in ids {
            del.execute([id])?;
        }
        let mut ins = tx.prepare_cached(
            "INSERT INTO ts_blocks(datastream_id, t_first, t_last, n, v_min, v_max, v_sum, flagged, codec, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for chunk in pts.chunks(BLOCK_MAX) {
            insert_block(&mut ins, ds, chunk)?;
        }
    }
    Ok(())
}

fn tracing_free_log(msg: &str) {
    eprintln!("{msg}");
}
