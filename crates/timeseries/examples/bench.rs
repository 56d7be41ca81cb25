//! `cargo run --release -p territoria-timeseries --example bench -- [DIR] [POSTGRES_URL]`:
//! durable batch ingest, latest of 10,000 datastreams, a year of 5-minute data
//! downsampled — on Territoria's engine and, when a PostgreSQL URL is given, the same
//! data and questions on PostgreSQL as a user would set it up instead: `COPY … FROM STDIN
//! BINARY` into an observations table indexed on (datastream, time), one transaction per
//! batch, then the latest values through one index probe per datastream and the
//! downsampling through `GROUP BY`. The answers of both are compared (the run fails when
//! they differ). Run PostgreSQL durable for a fair comparison:
//! `TERRITORIA_PG_DURABLE=1 TERRITORIA_PG_DIR=/tmp/bench-pg .ci/postgres.sh` prints a URL.
//! Results go into docs/benchmarks.md by hand.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use territoria_timeseries::{Bucket, Obs, Point, Quality, TimeSeries};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const STREAMS: i64 = 10_000;
const PER_BATCH_PER_STREAM: i64 = 10;
const BATCHES: i64 = 200;
const STATION: i64 = 1_000_000;
const YEAR: i64 = 365 * 288;

/// Batch `b` of the ingest: 10 five-minute readings (cm) for each of 10,000 datastreams.
fn batch(b: i64) -> Vec<Obs> {
    let mut batch = Vec::with_capacity((STREAMS * PER_BATCH_PER_STREAM) as usize);
    for ds in 0..STREAMS {
        for i in 0..PER_BATCH_PER_STREAM {
            let k = b * PER_BATCH_PER_STREAM + i;
            batch.push(Obs {
                datastream: ds,
                point: Point {
                    t: T0 + k * 300_000,
                    v: ((ds * 7 + k * 3) % 500) as f64 / 100.0,
                    flags: 0,
                },
            });
        }
    }
    batch
}

/// Hour `h` of the station's year: 12 five-minute readings.
fn station_hour(h: i64) -> Vec<Obs> {
    (0..12)
        .map(|i| {
            let k = h * 12 + i;
            Obs {
                datastream: STATION,
                point: Point {
                    t: T0 + k * 300_000,
                    v: 100.0 + ((k * 37) % 1000) as f64 / 10.0,
                    flags: 0,
                },
            }
        })
        .collect()
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs {
        let s = Instant::now();
        let r = f();
        best = best.min(s.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

/// The answers both engines must give alike.
struct Answers {
    latest: Vec<Option<(i64, f64)>>,
    buckets: Vec<Bucket>,
}

fn territoria(dir: &std::path::Path) -> Answers {
    let path = dir.join(format!("ts-bench-{}.sqlite", std::process::id()));
    territoria_store::SqliteStore::open(&path).expect("store");
    let ts = TimeSeries::open(&path).expect("engine");

    // 1. Durable ingest: 20 M observations in batches of 100,000.
    let mut n = 0usize;
    let start = Instant::now();
    for b in 0..BATCHES {
        let batch = batch(b);
        n += batch.len();
        ts.append(batch).expect("append");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "territoria durable ingest: {n} observations in {secs:.2} s = {:.0} obs/s (batches of {})",
        n as f64 / secs,
        STREAMS * PER_BATCH_PER_STREAM
    );

    // 2. Latest of 10,000 datastreams.
    let ids: Vec<i64> = (0..STREAMS).collect();
    let (best, latest) = best_of(20, || ts.latest_many(&ids));
    assert!(latest.iter().all(Option::is_some));
    println!(
        "territoria latest of {STREAMS} datastreams: {:.3} ms (best of 20)",
        best * 1e3
    );

    // 3. One station, a year of 5-minute data (105,120 observations, appended as a
    // live feed would: batches of 12 = an hour), downsampled to 1,000 buckets.
    for h in 0..(YEAR / 12) {
        ts.append(station_hour(h)).expect("append");
    }
    let span = YEAR * 300_000;
    let interval = span / 1000;
    let (best, buckets) = best_of(20, || {
        ts.downsample(STATION, T0, T0 + span, interval, Quality::All)
            .expect("downsample")
    });
    println!(
        "territoria a year of 5-minute data ({YEAR} obs) downsampled to {} buckets: {:.3} ms (best of 20)",
        buckets.len(),
        best * 1e3
    );
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("territoria store file: {:.1} MiB", size as f64 / 1048576.0);
    drop(ts);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Answers {
        latest: latest.into_iter().map(|p| p.map(|p| (p.t, p.v))).collect(),
        buckets,
    }
}

fn at(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms as u64)
}

fn copy_batch(pg: &mut postgres::Client, obs: &[Obs]) {
    use postgres::binary_copy::BinaryCopyInWriter;
    use postgres::types::Type;
    let mut tx = pg.transaction().expect("begin");
    let sink = tx
        .copy_in(
            "COPY observations (datastream_id, phenomenon_time, result, flags) FROM STDIN BINARY",
        )
        .expect("copy");
    let mut w = BinaryCopyInWriter::new(
        sink,
        &[Type::INT8, Type::TIMESTAMPTZ, Type::FLOAT8, Type::INT2],
    );
    for o in obs {
        let t = at(o.point.t);
        let flags = i16::from(o.point.flags);
        w.write(&[&o.datastream, &t, &o.point.v, &flags])
            .expect("row");
    }
    w.finish().expect("copy end");
    tx.commit().expect("commit");
}

fn postgres(url: &str) -> Answers {
    let mut pg = postgres::Client::connect(url, postgres::NoTls).expect("connect to PostgreSQL");
    let durable: String = pg
        .query_one("SHOW fsync", &[])
        .and_then(|r| r.try_get(0))
        .expect("SHOW fsync");
    let sync: String = pg
        .query_one("SHOW synchronous_commit", &[])
        .and_then(|r| r.try_get(0))
        .expect("SHOW synchronous_commit");
    println!("postgresql fsync = {durable}, synchronous_commit = {sync}");
    pg.batch_execute(
        "DROP TABLE IF EXISTS observations;
         CREATE TABLE observations (
             datastream_id BIGINT NOT NULL,
             phenomenon_time TIMESTAMPTZ NOT NULL,
             result DOUBLE PRECISION NOT NULL,
             flags SMALLINT NOT NULL
         );
         CREATE INDEX observations_by_stream_time ON observations (datastream_id, phenomenon_time);",
    )
    .expect("schema");

    let mut n = 0usize;
    let start = Instant::now();
    for b in 0..BATCHES {
        let batch = batch(b);
        n += batch.len();
        copy_batch(&mut pg, &batch);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "postgresql durable COPY: {n} observations in {secs:.2} s = {:.0} obs/s (batches of {})",
        n as f64 / secs,
        STREAMS * PER_BATCH_PER_STREAM
    );
    // The station's year in one COPY (its hourly arrival is not what is measured here).
    let year: Vec<Obs> = (0..(YEAR / 12)).flat_map(station_hour).collect();
    copy_batch(&mut pg, &year);
    pg.batch_execute("VACUUM ANALYZE observations")
        .expect("vacuum");
    let size: i64 = pg
        .query_one("SELECT pg_total_relation_size('observations')", &[])
        .and_then(|r| r.try_get(0))
        .expect("size");
    println!(
        "postgresql table and index: {:.1} MiB",
        size as f64 / 1048576.0
    );

    let ids: Vec<i64> = (0..STREAMS).collect();
    let latest_sql = pg
        .prepare(
            "SELECT d.id, (extract(epoch FROM o.phenomenon_time) * 1000)::int8, o.result
             FROM unnest($1::int8[]) WITH ORDINALITY AS d(id, n)
             LEFT JOIN LATERAL (
                 SELECT phenomenon_time, result FROM observations
                 WHERE datastream_id = d.id ORDER BY phenomenon_time DESC LIMIT 1
             ) o ON true
             ORDER BY d.n",
        )
        .expect("prepare latest");
    let (best, latest) = best_of(20, || {
        pg.query(&latest_sql, &[&ids])
            .expect("latest")
            .iter()
            .map(|r| {
                let t: Option<i64> = r.get(1);
                let v: Option<f64> = r.get(2);
                t.zip(v)
            })
            .collect::<Vec<_>>()
    });
    println!(
        "postgresql latest of {STREAMS} datastreams (LATERAL … LIMIT 1 on the index): {:.3} ms (best of 20)",
        best * 1e3
    );

    let span = YEAR * 300_000;
    let interval = span / 1000;
    let down_sql = pg
        .prepare(
            "SELECT b * $4::int8, count(*)::int8, min(result), max(result), avg(result)
             FROM (
                 SELECT floor(extract(epoch FROM phenomenon_time) * 1000 / $4::int8)::int8 AS b, result
                 FROM observations
                 WHERE datastream_id = $1 AND phenomenon_time >= $2 AND phenomenon_time < $3
             ) x
             GROUP BY b ORDER BY b",
        )
        .expect("prepare downsample");
    let (from, to) = (at(T0), at(T0 + span));
    let (best, buckets) = best_of(20, || {
        pg.query(&down_sql, &[&STATION, &from, &to, &interval])
            .expect("downsample")
            .iter()
            .map(|r| Bucket {
                start: r.get(0),
                count: r.get::<_, i64>(1) as u64,
                min: r.get(2),
                max: r.get(3),
                mean: r.get(4),
            })
            .collect::<Vec<_>>()
    });
    println!(
        "postgresql a year of 5-minute data ({YEAR} obs) downsampled to {} buckets (GROUP BY): {:.3} ms (best of 20)",
        buckets.len(),
        best * 1e3
    );
    pg.batch_execute("DROP TABLE observations").expect("drop");
    Answers { latest, buckets }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let ours = territoria(&dir);
    let Some(url) = std::env::args().nth(2) else {
        return;
    };
    let theirs = postgres(&url);
    assert_eq!(ours.latest, theirs.latest, "latest values differ");
    assert_eq!(
        ours.buckets.len(),
        theirs.buckets.len(),
        "bucket counts differ"
    );
    for (a, b) in ours.buckets.iter().zip(&theirs.buckets) {
        assert_eq!(
            (a.start, a.count),
            (b.start, b.count),
            "bucket {} differs",
            a.start
        );
        assert_eq!((a.min, a.max), (b.min, b.max), "bucket {} differs", a.start);
        assert!(
            (a.mean - b.mean).abs() < 1e-9,
            "bucket {} means differ",
            a.start
        );
    }
    println!(
        "answers compared: the latest values of {STREAMS} datastreams and {} buckets agree",
        ours.buckets.len()
    );
}
