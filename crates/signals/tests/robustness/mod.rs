//! Odd series — all zeros, missing counts, huge counts, random ones — never panic, give
//! finite bounds or none, and every alarm (but CUSUM's, which comes from its sum) is a count
//! above its bound.

use territoria_signals::{Method, detect};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn check(x: &[f64], what: &str) {
    let n = x.len();
    for m in Method::ALL {
        let d = detect(x, m, n - 51..=n, 52).unwrap();
        assert_eq!(d.len(), 52);
        for (i, d) in d.iter().enumerate() {
            let t = n - 51 + i;
            if let Some(u) = d.upperbound {
                assert!(
                    u.is_finite() && u >= 0.0,
                    "{what} {} t={t}: bound {u}",
                    m.id()
                );
            }
            if d.alarm && m != Method::Cusum {
                let u = d.upperbound.expect("an alarm has a bound");
                assert!(
                    x[t - 1] > u,
                    "{what} {} t={t}: alarm at {} <= {u}",
                    m.id(),
                    x[t - 1]
                );
            }
        }
    }
}

#[test]
fn all_zero_series() {
    check(&[0.0; 300], "zeros");
}

#[test]
fn constant_and_huge_series() {
    check(&[7.0; 300], "sevens");
    check(&[1e6; 300], "millions");
}

#[test]
fn missing_counts() {
    let mut r = Lcg(7);
    let x: Vec<f64> = (0..300)
        .map(|_| {
            if r.next() < 0.1 {
                f64::NAN
            } else {
                (r.next() * 6.0).floor()
            }
        })
        .collect();
    // missing weeks give no bound for the methods that read them, never a panic
    for m in Method::ALL {
        let d = detect(&x, m, 249..=300, 52).unwrap();
        assert_eq!(d.len(), 52);
        for d in &d {
            assert!(d.upperbound.is_none_or(|u| !u.is_nan()));
        }
    }
}

#[test]
fn random_series() {
    let mut r = Lcg(42);
    for case in 0..12 {
        let level = 0.05 + 30.0 * r.next() * r.next();
        let x: Vec<f64> = (0..320)
            .map(|t| {
                let season = 1.0 + 0.5 * (t as f64 / 52.0 * std::f64::consts::TAU).sin();
                let spike = if r.next() < 0.03 { 5.0 } else { 1.0 };
                (level * season * spike * 2.0 * r.next()).floor()
            })
            .collect();
        check(&x, &format!("case {case}"));
    }
}
