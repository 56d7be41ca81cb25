//! `cargo run --release -p territoria-timeseries --example bench -- [DIR]`: durable
//! batch ingest, latest of 10,000 datastreams, a year of 5-minute data downsampled.
//! Results go into docs/benchmarks.md by hand.

use std::time::Instant;
use territoria_timeseries::{Obs, Point, Quality, TimeSeries};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("ts-bench-{}.sqlite", std::process::id()));
    territoria_store::SqliteStore::open(&path).expect("store");
    let ts = TimeSeries::open(&path).expect("engine");

    // 1. Durable ingest: 10,000 datastreams, batches of 100,000 (10 per datastream),
    // 5-minute readings in cm, 20 M observations in all.
    let t0 = 1_767_225_600_000i64; // 2026-01-01T00:00:00Z
    let streams = 10_000i64;
    let per_batch_per_stream = 10i64;
    let batches = 200i64;
    let mut n = 0usize;
    let start = Instant::now();
    for b in 0..batches {
        let mut batch = Vec::with_capacity((streams * per_batch_per_stream) as usize);
        for ds in 0..streams {
            for i in 0..per_batch_per_stream {
                let k = b * per_batch_per_stream + i;
                batch.push(Obs {
                    datastream: ds,
                    point: Point {
                        t: t0 + k * 300_000,
                        v: ((ds * 7 + k * 3) % 500) as f64 / 100.0,
                        flags: 0,
                    },
                });
            }
        }
        n += batch.len();
        ts.append(batch).expect("append");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "durable ingest: {n} observations in {secs:.2} s = {:.0} obs/s (batches of {})",
        n as f64 / secs,
        streams * per_batch_per_stream
    );

    // 2. Latest of 10,000 datastreams.
    let ids: Vec<i64> = (0..streams).collect();
    let mut best = f64::MAX;
    for _ in 0..20 {
        let s = Instant::now();
        let l = ts.latest_many(&ids);
        assert!(l.iter().all(Option::is_some));
        best = best.min(s.elapsed().as_secs_f64());
    }
    println!(
        "latest of {streams} datastreams: {:.3} ms (best of 20)",
        best * 1e3
    );

    // 3. One station, a year of 5-minute data (105,120 observations, appended as a
    // live feed would: batches of 12 = an hour), downsampled to 1,000 buckets.
    let station = 1_000_000i64;
    let year = 365 * 288;
    for h in 0..(year / 12) {
        let batch = (0..12)
            .map(|i| {
                let k = h * 12 + i;
                Obs {
                    datastream: station,
                    point: Point {
                        t: t0 + k * 300_000,
                        v: 100.0 + ((k * 37) % 1000) as f64 / 10.0,
                        flags: 0,
                    },
                }
            })
            .collect();
        ts.append(batch).expect("append");
    }
    let span = year * 300_000;
    let interval = span / 1000;
    let mut best = f64::MAX;
    let mut buckets = 0;
    for _ in 0..20 {
        let s = Instant::now();
        let b = ts
            .downsample(station, t0, t0 + span, interval, Quality::All)
            .expect("downsample");
        buckets = b.len();
        best = best.min(s.elapsed().as_secs_f64());
    }
    println!(
        "a year of 5-minute data ({year} obs) downsampled to {buckets} buckets: {:.3} ms (best of 20)",
        best * 1e3
    );
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("store file: {:.1} MiB", size as f64 / 1048576.0);
    drop(ts);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
