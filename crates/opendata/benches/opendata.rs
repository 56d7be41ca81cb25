//! Open-data benchmark (issue #5): on a store of N organisations,
//!
//! 1. a `where` + `group_by` count by province through the Explore engine
//!    (`select=count(*) as n&where=employees >= 10&group_by=province`) against the same
//!    question asked of SQLite in the conventional relational design (indexed joins
//!    through a junction table `entity_concepts(entity_id, concept_id)`), answers
//!    compared. The store keeps an entity's concepts in its row (`entities.concepts`, a
//!    JSON array), so that junction table, with its `(concept_id, entity_id)` index, is
//!    built at setup from `entities.concepts` in a scratch database under the system temp
//!    dir that the baseline's read-only connection to the store attaches (nothing is
//!    added to the store file; the scratch file is deleted at the end); its build time
//!    is printed and not counted;
//! 2. the CSV export of every organisation (`;`, BOM), rows per second and memory.
//!
//! Memory is read from `/proc/self/status` (Linux): `VmRSS` (resident now) and `VmHWM`
//! (the peak resident so far) after the catalogue build and after the export, with the
//! organisations table's own estimate, column by column.
//!
//! ```text
//! territoria --data-dir /tmp/od1m demo --organisations 1000000
//! TERRITORIA_BENCH_STORE=/tmp/od1m/territoria.sqlite cargo bench -p territoria-opendata
//! ```
//! Without `TERRITORIA_BENCH_STORE`, a store of 20,000 demo organisations is generated in
//! a temporary directory (a smoke run).

#[path = "../../../bench/junction_table.rs"]
mod junction_table;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use territoria_odsql::{Page, Value};
use territoria_opendata::{Catalogue, ExportOptions, Format, Plan, Publisher, Request};
use territoria_store::SqliteStore;

/// A `/proc/self/status` field in KiB (0 where there is none).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// `VmRSS` and `VmHWM` (peak), in MiB.
fn memory() -> String {
    format!(
        "VmRSS {:.0} MiB, VmHWM {:.0} MiB",
        mib(status_kib("VmRSS:")),
        mib(status_kib("VmHWM:"))
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Counts bytes, writes nothing.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const SQL: &str = "
SELECT json_extract(p.labels, '$.fr') AS province, count(*) AS n
FROM organisations o
JOIN entity_concepts ec ON ec.entity_id = o.entity_id
JOIN concepts m ON m.id = ec.concept_id
    AND m.scheme_id = (SELECT id FROM schemes WHERE slug = 'territory')
LEFT JOIN concepts p ON p.id = m.broader_id
LEFT JOIN concepts r ON r.id = p.broader_id
WHERE o.employees >= 10 AND r.broader_id IS NOT NULL
GROUP BY p.id
UNION ALL
SELECT NULL, count(*)
FROM organisations o
JOIN entity_concepts ec ON ec.entity_id = o.entity_id
JOIN concepts m ON m.id = ec.concept_id
    AND m.scheme_id = (SELECT id FROM schemes WHERE slug = 'territory')
LEFT JOIN concepts p ON p.id = m.broader_id
LEFT JOIN concepts r ON r.id = p.broader_id
WHERE o.employees >= 10 AND r.broader_id IS NULL";

fn main() {
    let _tmp;
    let path = match std::env::var("TERRITORIA_BENCH_STORE") {
        Ok(p) => std::path::PathBuf::from(p),
        Err(_) => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("territoria.sqlite");
            let store = SqliteStore::open(&path).expect("store");
            let ops =
                territoria_refdata::bootstrap_ops(Some(&territoria_refdata::demo::DemoOptions {
                    seed: 42,
                    organisations: 20_000,
                }));
            territoria_refdata::load(&store, "bench", ops, &mut |_| {}).expect("demo");
            _tmp = dir;
            path
        }
    };
    let store = SqliteStore::open(&path).expect("open the store");
    let rss0 = status_kib("VmRSS:");
    let t = Instant::now();
    let cat = Catalogue::build(&store, Publisher::default()).expect("catalogue");
    let built = t.elapsed();
    let orgs = cat.dataset("organisations").expect("organisations");
    println!(
        "catalogue built in {:.1} s: {} organisations, table ≈ {:.1} MiB, whole catalogue ≈ \
         {:.1} MiB; VmRSS {:.0} MiB before the build; after it: {}",
        built.as_secs_f64(),
        orgs.table.len(),
        orgs.table.heap_bytes() as f64 / 1_048_576.0,
        cat.datasets
            .iter()
            .map(|d| d.table.heap_bytes())
            .sum::<usize>() as f64
            / 1_048_576.0,
        mib(rss0),
        memory(),
    );
    let columns: Vec<String> = orgs
        .table
        .specs()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "{} {:.1}",
                s.def.name,
                orgs.table.column_heap_bytes(i) as f64 / 1_048_576.0
            )
        })
        .collect();
    println!("  organisations columns (MiB): {}", columns.join(", "));

    // 1. where + group_by count by province.
    let req = Request {
        select: Some("count(*) as n"),
        where_clause: Some("employees >= 10"),
        group_by: Some("province"),
        ..Request::default()
    };
    let mut ours = BTreeMap::new();
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let plan = Plan::new(orgs, &req).expect("plan");
        let rs = plan.run(Page {
            offset: 0,
            limit: Some(20_000),
        });
        times.push(t.elapsed());
        ours = rs
            .rows
            .iter()
            .map(|r| {
                let p = match &r[0] {
                    Value::Text(s) => Some(s.clone()),
                    _ => None,
                };
                let n = match r[1] {
                    Value::Int(n) => n,
                    _ => -1,
                };
                (p, n)
            })
            .collect::<BTreeMap<_, _>>();
    }
    let engine = median(times);

    // 2. CSV export of every organisation — before the SQLite baseline, whose setup (a
    // junction table built in this process) would otherwise count in the memory figures.
    let plan = Plan::new(orgs, &Request::default()).expect("plan");
    let before = memory();
    let mut out = Counter(0);
    let t = Instant::now();
    let n = territoria_opendata::export::export(
        &plan,
        Format::Csv,
        ExportOptions::default(),
        0,
        None,
        &mut io::BufWriter::with_capacity(64 * 1024, &mut out),
    )
    .expect("export");
    let took = t.elapsed();
    println!(
        "CSV export: {n} rows, {:.0} MiB in {:.2} s = {:.0} rows/s; before it: {before}; \
         after it: {}",
        out.0 as f64 / 1_048_576.0,
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        memory(),
    );

    // 1 (continued). The same question asked of SQLite.
    let conn = rusqlite::Connection::open_with_flags(
        &path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("sqlite");
    let scratch = junction_table::attach(&conn, &path, 2000);
    let mut theirs = BTreeMap::new();
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let mut st = conn.prepare_cached(SQL).expect("sql");
        let rows = st
            .query_map([], |r| {
                Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
            })
            .expect("query")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows");
        times.push(t.elapsed());
        theirs = rows.into_iter().filter(|(_, n)| *n > 0).collect();
    }
    let sqlite = median(times);
    drop(conn);
    drop(scratch);
    let same = ours == theirs;
    println!(
        "where employees >= 10, group_by province, count(*): Territoria {:.1} ms, SQLite {:.1} ms \
         (×{:.1}), {} groups, answers {}",
        ms(engine),
        ms(sqlite),
        sqlite.as_secs_f64() / engine.as_secs_f64(),
        ours.len(),
        if same { "identical" } else { "DIFFER" }
    );
    if !same {
        println!("  Territoria: {ours:?}\n  SQLite:     {theirs:?}");
    }
}
