//! `territoria hydro`, the real binary: GR4J on airGR's L0123001 (validation data, GPL-2:
//! crates/hydro/tests/data/README.md) reproduces airGR's RMSE, and bad input is refused
//! with a located message and a non-zero exit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../hydro/tests/data")
        .join(name)
}

fn hydro(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_territoria"))
        .env_remove("TERRITORIA_CONFIG")
        .arg("hydro")
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn simulate_gr4j_reproduces_airgr_rmse() {
    let dir = tempfile::tempdir().unwrap();
    let scores = dir.path().join("scores.json");
    let input = data("L0123001.csv");
    let o = hydro(&[
        "simulate",
        "--model",
        "gr4j",
        "--input",
        input.to_str().unwrap(),
        "--params",
        "257.238,1.012,88.235,2.208",
        "--warmup",
        "1989-01-01..1989-12-31",
        "--run",
        "1990-01-01..1999-12-31",
        "--scores",
        scores.to_str().unwrap(),
    ]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{err}");
    // airGR: RMSE 0.7852326 mm/day over 1990–1999.
    assert!(err.contains("RMSE 0.7852326"), "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&scores).unwrap()).unwrap();
    let rmse = json["scores"]["rmse"].as_f64().unwrap();
    assert_eq!((rmse * 1e4).round() / 1e4, 0.7852);
    assert!((rmse - 0.7852326).abs() < 5e-8, "{rmse}");

    // The CSV: a header and one row per day of the run; the RMSE recomputed from it
    // (skipping the days without an observation) is the same.
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("date,P,E,Qobs,Qsim,production,routing"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3652);
    assert_eq!(rows[0][0], "1990-01-01");
    assert_eq!(rows[3651][0], "1999-12-31");
    let (mut n, mut sse) = (0, 0.0);
    for r in &rows {
        if !r[3].is_empty() {
            let d = r[4].parse::<f64>().unwrap() - r[3].parse::<f64>().unwrap();
            sse += d * d;
            n += 1;
        }
    }
    assert_eq!(n, 3612);
    assert!(((sse / n as f64).sqrt() - rmse).abs() < 1e-12);
    // airGR's final production store 0.7328441749918599·X1.
    let last = &rows[3651];
    let s: f64 = last[5].parse().unwrap();
    assert!((s / 257.238 - 0.7328441749918599).abs() < 1e-7);
}

#[test]
fn calibrate_prints_parameters_and_scores() {
    let input = data("L0123001.csv");
    let o = hydro(&[
        "calibrate",
        "--model",
        "gr4j",
        "--input",
        input.to_str().unwrap(),
        "--warmup",
        "1989-01-01..1989-12-31",
        "--run",
        "1990-01-01..1994-12-31",
        "--objective",
        "nse",
        "--seed",
        "3",
        "--iterations",
        "300",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["objective"], "NSE");
    assert!(json["scores"]["nse"].as_f64().unwrap() > 0.7, "{json}");
    assert!(json["params"]["X1"].as_f64().unwrap() > 0.0);
    assert_eq!(json["params_text"].as_str().unwrap().split(',').count(), 4);
    assert!(text(&o.stderr).contains("--params "));
}

#[test]
fn bad_input_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "date,P,E,Qmm\n01/01/1990,1,0.5,1\n02/01/1990,abc,0.5,1\n",
    )
    .unwrap();
    let no_e = dir.path().join("no_e.csv");
    std::fs::write(&no_e, "date,P,Qmm\n01/01/1990,1,1\n").unwrap();
    let gap = dir.path().join("gap.csv");
    std::fs::write(
        &gap,
        "date,P,E,Qmm\n01/01/1990,1,0.5,1\n02/01/1990,NA,0.5,1\n",
    )
    .unwrap();
    let real = data("L0123001.csv");
    let real = real.to_str().unwrap();
    let run = |input: &str, params: &str, period: &str| {
        let o = hydro(&[
            "simulate", "--model", "gr4j", "--input", input, "--params", params, "--run", period,
        ]);
        assert!(!o.status.success());
        assert!(o.stdout.is_empty() || !text(&o.stderr).is_empty());
        text(&o.stderr)
    };
    let p = "257.238,1.012,88.235,2.208";
    let e = run(bad.to_str().unwrap(), p, "1990-01-01..1990-01-02");
    assert!(e.contains("bad.csv:3:2: P: `abc` is not a number"), "{e}");
    let e = run(no_e.to_str().unwrap(), p, "1990-01-01..1990-01-01");
    assert!(e.contains("no column `E`"), "{e}");
    let e = run(gap.to_str().unwrap(), p, "1990-01-01..1990-01-02");
    assert!(e.contains("gap.csv:3: P is missing"), "{e}");
    let e = run(real, p, "1990-01-01..2020-12-31");
    assert!(
        e.contains("outside the data") && e.contains("2012-12-31"),
        "{e}"
    );
    let e = run(real, "257.238,1.012,88.235", "1990-01-01..1990-12-31");
    assert!(e.contains("expected 4 numbers"), "{e}");
    let e = run(real, p, "1990-13-01..1990-12-31");
    assert!(e.contains("is not a date"), "{e}");
    let o = hydro(&[
        "simulate",
        "--model",
        "gr5j",
        "--input",
        real,
        "--params",
        p,
        "--run",
        "1990-01-01..1990-12-31",
    ]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("gr4j, gr4h"));
}
