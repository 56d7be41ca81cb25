//! Every detector on 10,000 synthetic weekly series of 10 years (520 weeks), the last 52
//! weeks evaluated, on all cores (`std::thread::scope`). Prints the time per method and in
//! total. Run: `cargo bench -p territoria-signals` (optionally `-- SERIES THREADS METHOD`).

use std::time::Instant;

use territoria_signals::{Method, detect};

/// xorshift64* — deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Poisson by inversion (means here stay below ~60).
    fn poisson(&mut self, mean: f64) -> f64 {
        let u = self.next_f64();
        let mut p = (-mean).exp();
        let mut cdf = p;
        let mut k = 0.0;
        while u > cdf && k < 1000.0 {
            k += 1.0;
            p *= mean / k;
            cdf += p;
        }
        k
    }
}

/// A seasonal series with a slow trend, a few outbreaks and a level drawn per series
/// (0.5 to 20 cases a week).
fn series(seed: u64, weeks: usize) -> Vec<f64> {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let level = 0.5 + 19.5 * rng.next_f64();
    let phase = rng.next_f64() * std::f64::consts::TAU;
    let trend = (rng.next_f64() - 0.5) * 0.002;
    let mut x = Vec::with_capacity(weeks);
    for t in 0..weeks {
        let season = 1.0 + 0.4 * (std::f64::consts::TAU * t as f64 / 52.0 + phase).sin();
        let mut mean = level * season * (trend * t as f64).exp();
        if rng.next_f64() < 0.01 {
            mean *= 3.0;
        }
        x.push(rng.poisson(mean));
    }
    x
}

/// CPU time of the process so far (user + system, all threads), from /proc/self/stat
/// (Linux; clock ticks of 1/100 s). It shows the work done when the machine is shared and
/// the wall clock also counts other processes' turns.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // fields after the command name, which is in parentheses
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let n_series: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let threads: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let only: Option<Method> = args
        .get(2)
        .map(|m| Method::from_id(m).expect("a method id"));
    let weeks = 520;
    let range = weeks - 51..=weeks;
    let data: Vec<Vec<f64>> = (0..n_series as u64).map(|s| series(s, weeks)).collect();
    println!(
        "{n_series} series x {weeks} weeks, weeks {}..{} evaluated, {threads} threads",
        range.start(),
        range.end()
    );
    let mut total = 0.0;
    let mut total_cpu = 0.0;
    for method in Method::ALL
        .into_iter()
        .filter(|m| only.is_none_or(|o| o == *m))
    {
        let start = Instant::now();
        let cpu_start = cpu_seconds();
        let alarms: usize = std::thread::scope(|s| {
            let chunk = n_series.div_ceil(threads);
            let handles: Vec<_> = data
                .chunks(chunk)
                .map(|part| {
                    let range = range.clone();
                    s.spawn(move || {
                        part.iter()
                            .map(|x| {
                                detect(x, method, range.clone(), 52)
                                    .unwrap()
                                    .iter()
                                    .filter(|d| d.alarm)
                                    .count()
                            })
                            .sum::<usize>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        let secs = start.elapsed().as_secs_f64();
        let cpu = cpu_start
            .zip(cpu_seconds())
            .map_or(f64::NAN, |(a, b)| b - a);
        total += secs;
        total_cpu += cpu;
        println!(
            "{:32} wall {:8.3} s  cpu {:8.2} s  {:6.2} us cpu/week  {alarms} alarms",
            method.id(),
            secs,
            cpu,
            cpu * 1e6 / (n_series * 52) as f64
        );
    }
    println!("{:32} wall {total:8.3} s  cpu {total_cpu:8.2} s", "total");
}
