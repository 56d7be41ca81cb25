//! `cargo bench -p territoria-hydro`: a 10-year hourly GR4H run (the bar: ≤ 10 ms) and a
//! 10-year daily GR4J run, median of repeated runs. The forcings are airGR's L0123003
//! (2004–2008, hourly) laid twice end to end (87,648 hours) and L0123001 1990–1999.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use territoria_hydro::calibrate::{self, Objective};
use territoria_hydro::{Gr4, Model, Params, Period, Plan, Series};

fn series(name: &str) -> Series {
    Series::from_path(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .expect("test data")
}

/// This process's CPU time (user + system) from /proc/self/stat, in clock ticks of 10 ms;
/// `None` where there is no /proc.
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses): utime is the 14th field.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// Median wall time of `runs` calls of `f` (after 3 unmeasured ones), and the mean CPU time
/// per call (robust to other processes sharing the cores; 10 ms resolution over all runs).
fn median(runs: usize, mut f: impl FnMut()) -> (Duration, Option<Duration>) {
    for _ in 0..3 {
        f();
    }
    let cpu0 = cpu_ticks();
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    let cpu = cpu0
        .zip(cpu_ticks())
        .map(|(a, b)| Duration::from_millis((b - a) * 10) / runs as u32);
    t.sort();
    (t[runs / 2], cpu)
}

fn cpu(d: Option<Duration>) -> String {
    d.map_or("?".into(), ms)
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let hourly = series("L0123003.csv");
    let p: Vec<f64> = hourly.p.iter().chain(&hourly.p).copied().collect();
    let e: Vec<f64> = hourly.e.iter().chain(&hourly.e).copied().collect();
    let n = p.len();
    let gr4h = Gr4::new(Model::Gr4h, Params::new(521.113, -2.918, 218.009, 4.124)).unwrap();
    let mut q = vec![0.0; n];
    let (flows, flows_cpu) = median(301, || {
        let mut st = gr4h.initial_states();
        gr4h.run_into(&mut st, black_box(&p), black_box(&e), &mut q);
        black_box(&q);
    });
    let (full, full_cpu) = median(301, || {
        black_box(gr4h.simulate(black_box(&p), black_box(&e), None).unwrap());
    });
    println!(
        "GR4H, 10 years hourly ({n} steps, X4 = 4.124 h), bar ≤ 10 ms: flows only median {} \
         ({:.1} ns/step), CPU {} per run; with store levels recorded median {}, CPU {}",
        ms(flows),
        flows.as_secs_f64() * 1e9 / n as f64,
        cpu(flows_cpu),
        ms(full),
        cpu(full_cpu)
    );

    let daily = series("L0123001.csv");
    let plan = Plan::new(
        &daily,
        Model::Gr4j,
        Some(&Period::parse("1989-01-01..1989-12-31").unwrap()),
        &Period::parse("1990-01-01..1999-12-31").unwrap(),
    )
    .unwrap();
    let params = Params::new(257.238, 1.012, 88.235, 2.208);
    let (gr4j, gr4j_cpu) = median(1001, || {
        black_box(plan.simulate(&daily, params, None).unwrap());
    });
    println!(
        "GR4J, 11 years daily ({} steps) with scores: median {}, CPU {}",
        plan.simulated().len(),
        ms(gr4j),
        cpu(gr4j_cpu)
    );

    let options = calibrate::Options {
        objective: Objective::Kge,
        seed: 1,
        iterations: 2000,
        bounds: None,
    };
    let started = Instant::now();
    let c = plan.calibrate(&daily, &options).unwrap();
    println!(
        "GR4J calibration on KGE, L0123001 1990–1999: {} evaluations in {} (KGE {:.4})",
        c.evaluations,
        ms(started.elapsed()),
        c.score
    );
}
