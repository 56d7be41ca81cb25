//! `territoria signals detect` end to end: the binary on the `surveillance` package's
//! salmonella.agona series gives R's rows for every method, and bad input fails clearly.

use std::path::{Path, PathBuf};

use super::bin;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../signals/tests/data")
        .join(name)
}

fn detect(input: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .args(["signals", "detect", "--input"])
        .arg(input)
        .args(args)
        .output()
        .unwrap()
}

const METHODS: [&str; 7] = [
    "earsC_C1",
    "earsC_C2",
    "earsC_C3",
    "farrington_classic_b4w3",
    "farringtonFlexible_default_b4",
    "farringtonFlexible_noufaily_b4",
    "cusum_default",
];

/// (t, observed, upperbound, alarm) of one method in reference-outputs.csv.
fn reference(method: &str) -> Vec<(usize, String, Option<f64>, bool)> {
    let text = std::fs::read_to_string(data("reference-outputs.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|c| c.trim_matches('"'))
                .collect::<Vec<_>>()
        })
        .filter(|f| f[0] == "salmonella.agona" && f[1] == method)
        .map(|f| {
            let ub = (f[4] != "NA").then(|| f[4].parse().unwrap());
            (f[2].parse().unwrap(), f[3].to_string(), ub, f[5] == "1")
        })
        .collect()
}

#[test]
fn signals_detect_reproduces_r_on_salmonella() {
    let input = data("salmonella.agona.csv");
    for method in METHODS {
        let o = detect(&input, &["--method", method, "--range", "261..312"]);
        assert!(
            o.status.success(),
            "{method}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let out = String::from_utf8(o.stdout).unwrap();
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("t,observed,upperbound,alarm"));
        let rows: Vec<&str> = lines.collect();
        let expected = reference(method);
        assert_eq!(rows.len(), 52, "{method}");
        assert_eq!(expected.len(), 52, "{method}");
        for (row, (t, observed, ub, alarm)) in rows.iter().zip(&expected) {
            let f: Vec<&str> = row.split(',').collect();
            assert_eq!(f.len(), 4, "{method}: {row}");
            assert_eq!(f[0].parse::<usize>().unwrap(), *t, "{method}: {row}");
            assert_eq!(f[1], observed, "{method}: {row}");
            match ub {
                None => assert_eq!(f[2], "", "{method} t={t}: R gives NA"),
                Some(r) => {
                    let got: f64 = f[2].parse().unwrap();
                    assert!(
                        (got - r).abs() <= 1e-6 * r.abs().max(1e-6),
                        "{method} t={t}: {got} vs R {r}"
                    );
                }
            }
            assert_eq!(
                f[3],
                if *alarm { "1" } else { "0" },
                "{method} t={t}: alarm"
            );
        }
    }
}

#[test]
fn signals_detect_sums_columns() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("two.csv");
    let src = std::fs::read_to_string(data("salmonella.agona.csv")).unwrap();
    // observed split into two columns a + b (a = half rounded down)
    let mut text = String::from("week,a,b\n");
    for line in src.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let x: u32 = f[1].parse().unwrap();
        text.push_str(&format!("{},{},{}\n", f[0], x / 2, x - x / 2));
    }
    std::fs::write(&input, text).unwrap();
    let whole = detect(
        &data("salmonella.agona.csv"),
        &["--method", "earsC_C1", "--range", "300..312"],
    );
    let summed = detect(
        &input,
        &[
            "--column", "a+b", "--method", "earsC_C1", "--range", "300..312",
        ],
    );
    assert!(
        summed.status.success(),
        "{}",
        String::from_utf8_lossy(&summed.stderr)
    );
    assert_eq!(whole.stdout, summed.stdout);
    let half = detect(
        &input,
        &[
            "--column", "a", "--method", "earsC_C1", "--range", "300..312",
        ],
    );
    assert_ne!(whole.stdout, half.stdout);
}

#[test]
fn signals_detect_reports_bad_input() {
    let input = data("salmonella.agona.csv");
    let fails = |o: std::process::Output, wanted: &[&str]| {
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        for w in wanted {
            assert!(err.contains(w), "`{w}` not in: {err}");
        }
    };
    fails(
        detect(
            Path::new("/nonexistent/x.csv"),
            &["--method", "cusum_default", "--range", "2..3"],
        ),
        &["cannot read", "x.csv"],
    );
    fails(
        detect(
            &input,
            &[
                "--column", "observd", "--method", "earsC_C1", "--range", "261..312",
            ],
        ),
        &["no column `observd`", "did you mean `observed`"],
    );
    fails(
        detect(&input, &["--method", "earsC_C1", "--range", "261..313"]),
        &["outside the series", "1..312"],
    );
    fails(
        detect(
            &input,
            &["--method", "farrington_classic_b4w3", "--range", "100..110"],
        ),
        &["needs 211 weeks", "212"],
    );
    fails(
        detect(&input, &["--method", "earsC_C4", "--range", "261..312"]),
        &["earsC_C4"],
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "week,observed\n1,3\n2,4\n3,three\n").unwrap();
    fails(
        detect(&bad, &["--method", "cusum_default", "--range", "2..3"]),
        &["bad.csv:4", "column `observed`", "`three`"],
    );
}
