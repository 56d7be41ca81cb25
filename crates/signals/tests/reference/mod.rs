//! Upper bounds within 1e-6 (relative), the same alarm weeks, no bound where R has NA.

use std::collections::BTreeMap;
use std::path::Path;

use territoria_signals::{Method, detect};

fn data(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

/// The `observed` column of a series file.
fn series(name: &str) -> Vec<f64> {
    let text = data(name);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').map(unquote).collect();
    let col = header.iter().position(|h| *h == "observed").unwrap();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| unquote(l.split(',').nth(col).unwrap()).parse().unwrap())
        .collect()
}

#[derive(Debug)]
struct Row {
    t: usize,
    observed: f64,
    upperbound: Option<f64>,
    alarm: bool,
}

fn reference() -> BTreeMap<(String, String), Vec<Row>> {
    let text = data("reference-outputs.csv");
    let mut out: BTreeMap<(String, String), Vec<Row>> = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').map(unquote).collect();
        let row = Row {
            t: f[2].parse().unwrap(),
            observed: f[3].parse().unwrap(),
            upperbound: if f[4] == "NA" {
                None
            } else {
                Some(f[4].parse().unwrap())
            },
            alarm: match f[5] {
                "1" | "TRUE" => true,
                "0" | "FALSE" => false,
                other => panic!("alarm {other}"),
            },
        };
        out.entry((f[0].to_string(), f[1].to_string()))
            .or_default()
            .push(row);
    }
    out
}

fn check(dataset: &str, method: Method) {
    let refs = reference();
    let rows = &refs[&(dataset.to_string(), method.id().to_string())];
    let x = series(&format!("{dataset}.csv"));
    let (from, to) = (rows[0].t, rows[rows.len() - 1].t);
    assert_eq!(rows.len(), to - from + 1);
    let got = detect(&x, method, from..=to, 52).unwrap();
    let mut failures = Vec::new();
    for (row, d) in rows.iter().zip(&got) {
        assert_eq!(x[row.t - 1], row.observed, "week {} observed", row.t);
        let bound_ok = match (row.upperbound, d.upperbound) {
            (None, None) => true,
            (Some(r), Some(g)) => (r - g).abs() <= 1e-6 * r.abs().max(1e-6),
            _ => false,
        };
        if !bound_ok || row.alarm != d.alarm {
            failures.push(format!(
                "t={} x={} R: {:?} {} ours: {:?} {}",
                row.t, row.observed, row.upperbound, row.alarm, d.upperbound, d.alarm
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{dataset} {}: {} of {} weeks differ:\n{}",
        method.id(),
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

macro_rules! reference_tests {
    ($($name:ident: $dataset:literal, $method:expr;)*) => {
        $(#[test] fn $name() { check($dataset, $method); })*
    };
}

reference_tests! {
    salmonella_ears_c1: "salmonella.agona", Method::EarsC1;
    salmonella_ears_c2: "salmonella.agona", Method::EarsC2;
    salmonella_ears_c3: "salmonella.agona", Method::EarsC3;
    salmonella_farrington_classic: "salmonella.agona", Method::FarringtonClassic;
    salmonella_farrington_flexible: "salmonella.agona", Method::FarringtonFlexible;
    salmonella_farrington_noufaily: "salmonella.agona", Method::FarringtonNoufaily;
    salmonella_cusum: "salmonella.agona", Method::Cusum;
    shadar_ears_c1: "shadar", Method::EarsC1;
    shadar_ears_c2: "shadar", Method::EarsC2;
    shadar_ears_c3: "shadar", Method::EarsC3;
    shadar_farrington_classic: "shadar", Method::FarringtonClassic;
    shadar_farrington_flexible: "shadar", Method::FarringtonFlexible;
    shadar_farrington_noufaily: "shadar", Method::FarringtonNoufaily;
    shadar_cusum: "shadar", Method::Cusum;
}

#[test]
fn reference_covers_every_method_on_both_series() {
    let refs = reference();
    for dataset in ["salmonella.agona", "shadar"] {
        for m in Method::ALL {
            assert_eq!(refs[&(dataset.to_string(), m.id().to_string())].len(), 52);
        }
    }
    assert_eq!(refs.len(), 14);
}
