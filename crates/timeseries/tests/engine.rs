//! The engine against a brute-force reference, its refusals, and durability across a
//! `kill -9`.

use proptest::prelude::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use territoria_timeseries::{Bucket, Error, Obs, Point, Quality, TimeSeries, flag};

fn store(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("store.sqlite");
    territoria_store::SqliteStore::open(&path).expect("store opens and migrates");
    path
}

fn obs(datastream: i64, t: i64, v: f64, flags: u8) -> Obs {
    Obs {
        datastream,
        point: Point { t, v, flags },
    }
}

fn key(p: &Point) -> (i64, u64, u8) {
    (p.t, p.v.to_bits(), p.flags)
}

fn reference_range(all: &[Obs], ds: i64, from: i64, to: i64) -> Vec<Point> {
    let mut v: Vec<Point> = all
        .iter()
        .filter(|o| o.datastream == ds && o.point.t >= from && o.point.t < to)
        .map(|o| o.point)
        .collect();
    v.sort_by_key(key);
    v
}

fn reference_downsample(
    all: &[Obs],
    ds: i64,
    from: i64,
    to: i64,
    interval: i64,
    q: Quality,
) -> Vec<Bucket> {
    let mut map = std::collections::BTreeMap::<i64, Vec<f64>>::new();
    for p in reference_range(all, ds, from, to) {
        if q == Quality::Unflagged && p.flags != 0 {
            continue;
        }
        map.entry(p.t.div_euclid(interval)).or_default().push(p.v);
    }
    map.into_iter()
        .map(|(b, vs)| Bucket {
            start: b * interval,
            count: vs.len() as u64,
            min: vs.iter().copied().fold(f64::INFINITY, f64::min),
            max: vs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mean: vs.iter().sum::<f64>() / vs.len() as f64,
        })
        .collect()
}

fn reference_latest(all: &[Obs], ds: i64) -> Option<Point> {
    let mut best: Option<Point> = None;
    for o in all.iter().filter(|o| o.datastream == ds) {
        if best.is_none_or(|b| o.point.t >= b.t) {
            best = Some(o.point);
        }
    }
    best
}

fn check(
    ts: &TimeSeries,
    all: &[Obs],
    from: i64,
    to: i64,
    interval: i64,
) -> Result<(), TestCaseError> {
    for ds in 0..4 {
        let mut got = ts.range(ds, from, to).unwrap();
        prop_assert!(
            got.windows(2).all(|w| w[0].t <= w[1].t),
            "range sorted by time"
        );
        got.sort_by_key(key);
        let want = reference_range(all, ds, from, to);
        prop_assert_eq!(
            got.iter().map(key).collect::<Vec<_>>(),
            want.iter().map(key).collect::<Vec<_>>()
        );
        for q in [Quality::All, Quality::Unflagged] {
            let got = ts.downsample(ds, from, to, interval, q).unwrap();
            let want = reference_downsample(all, ds, from, to, interval, q);
            prop_assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                prop_assert_eq!(
                    (g.start, g.count, g.min, g.max),
                    (w.start, w.count, w.min, w.max)
                );
                prop_assert!(
                    (g.mean - w.mean).abs() <= 1e-9 * w.mean.abs().max(1.0),
                    "{} vs {}",
                    g.mean,
                    w.mean
                );
            }
        }
        let latest = ts.latest(ds);
        let want = reference_latest(all, ds);
        prop_assert_eq!(latest.map(|p| p.t), want.map(|p| p.t));
    }
    Ok(())
}

fn batches() -> impl Strategy<Value = Vec<Vec<Obs>>> {
    let one = (
        0i64..4,
        -50_000i64..50_000,
        -2000i64..2000,
        prop_oneof![Just(0u8), Just(flag::RANGE), Just(flag::DUPLICATE)],
    )
        .prop_map(|(ds, t, k, f)| obs(ds, t, k as f64 / 10.0, f));
    prop::collection::vec(prop::collection::vec(one, 1..40), 1..80)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Batches in any order (late, duplicated, out of order, many small ones that the
    /// writer merges), read back by range, downsampling and latest value, before and
    /// after reopening: always what a brute-force list says.
    #[test]
    fn reads_match_a_brute_force_reference(
        batches in batches(),
        from in -60_000i64..0,
        len in 1i64..120_000,
        interval in 1i64..20_000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        let mut all = Vec::new();
        {
            let ts = TimeSeries::open(&path).unwrap();
            for b in batches {
                let ack = ts.append(b.clone()).unwrap();
                prop_assert_eq!(ack.observations, b.len());
                all.extend(b);
            }
            check(&ts, &all, from, from + len, interval)?;
            check(&ts, &all, i64::MIN, i64::MAX, interval)?;
            ts.close().unwrap();
        }
        let ts = TimeSeries::open(&path).unwrap();
        check(&ts, &all, from, from + len, interval)?;
    }
}

#[test]
fn small_blocks_are_merged_and_reads_do_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = store(dir.path());
    let ts = TimeSeries::open(&path).unwrap();
    let mut all = Vec::new();
    for i in 0..200 {
        let b = vec![obs(7, i * 300_000, (i % 13) as f64, 0)];
        ts.append(b.clone()).unwrap();
        all.extend(b);
    }
    let blocks: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM ts_blocks WHERE datastream_id = 7",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        blocks < 40,
        "{blocks} blocks for 200 single-observation batches"
    );
    let got = ts.range(7, i64::MIN, i64::MAX).unwrap();
    assert_eq!(got.len(), 200);
    assert!(
        got.iter()
            .zip(&all)
            .all(|(g, w)| g.t == w.point.t && g.v == w.point.v)
    );
}

#[test]
fn a_batch_with_a_non_finite_value_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let ts = TimeSeries::open(&store(dir.path())).unwrap();
    let err = ts
        .append(vec![obs(1, 0, 1.0, 0), obs(1, 60_000, f64::NAN, 0)])
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFinite {
                index: 1,
                datastream: 1,
                t: 60_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("observation 1"), "{err}");
    assert_eq!(ts.range(1, i64::MIN, i64::MAX).unwrap(), vec![]);
    assert_eq!(ts.latest(1), None);
}

#[test]
fn an_unmigrated_store_is_refused_with_its_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE schema_migrations(version INTEGER); INSERT INTO schema_migrations VALUES (7);").unwrap();
    drop(c);
    let err = TimeSeries::open(&path).err().expect("refused");
    assert!(err.to_string().contains("schema version 7"), "{err}");
}

#[test]
fn a_zero_interval_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ts = TimeSeries::open(&store(dir.path())).unwrap();
    assert!(matches!(
        ts.downsample(1, 0, 10, 0, Quality::All),
        Err(Error::Interval(0))
    ));
}

const CHILD_ENV: &str = "TERRITORIA_TS_KILL_CHILD";
const BATCH: i64 = 1000;

/// Not a test on its own: the child that `kill_9_loses_no_acknowledged_observation`
/// starts. It appends batches until killed and prints each acknowledged one.
#[test]
fn child_ingest_until_killed() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let ts = TimeSeries::open(Path::new(&path)).unwrap();
    for k in 0i64.. {
        let batch = (0..BATCH)
            .map(|i| obs(k % 10, k * BATCH + i, (k + i) as f64, 0))
            .collect();
        ts.append(batch).unwrap();
        println!("ACK {k}");
    }
}

#[test]
fn kill_9_loses_no_acknowledged_observation() {
    let dir = tempfile::tempdir().unwrap();
    let path = store(dir.path());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_ingest_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    while acked.len() < 200 {
        let line = lines.next().expect("the child stopped early").unwrap();
        if let Some(k) = line.strip_prefix("ACK ") {
            acked.push(k.parse::<i64>().unwrap());
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Acknowledgements printed before the kill count too.
    for line in lines {
        if let Some(k) = line.unwrap().strip_prefix("ACK ") {
            acked.push(k.parse::<i64>().unwrap());
        }
    }
    let ts = TimeSeries::open(&path).unwrap();
    let mut present = std::collections::BTreeMap::<i64, i64>::new();
    for ds in 0..10 {
        for p in ts.range(ds, i64::MIN, i64::MAX).unwrap() {
            *present.entry(p.t / BATCH).or_default() += 1;
        }
    }
    for k in &acked {
        assert_eq!(
            present.get(k),
            Some(&BATCH),
            "acknowledged batch {k} incomplete"
        );
    }
    // Nothing half-written: every batch is whole or absent.
    assert!(
        present.values().all(|n| *n == BATCH),
        "a partial batch: {present:?}"
    );
    let last = *acked.iter().max().unwrap();
    assert!(ts.latest(last % 10).unwrap().t >= last * BATCH + BATCH - 1);
}
