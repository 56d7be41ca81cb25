//! Special functions and distributions, written for this crate: log-gamma (Lanczos),
//! regularised incomplete gamma and beta functions, the normal distribution function and
//! quantile, Student's t distribution function, Poisson and negative-binomial quantiles.
//!
//! Accuracy: about 1e-14 relative on the ranges the detectors use (checked in the tests
//! below against values computed by hand or known to many digits).

const EPS: f64 = f64::EPSILON;
/// Below this a continued fraction's denominators are replaced (modified Lentz).
const TINY: f64 = 1e-300;

/// Series and continued fractions need O(√a) terms for large parameters.
fn iteration_limit(a: f64) -> usize {
    1000 + (20.0 * a.sqrt()).min(1e7) as usize
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, nine terms; reflection below 0.5).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Γ(x) Γ(1 - x) = π / sin(πx)
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin())
            .abs()
            .ln()
            - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        // series for P(a, x)
        let mut ap = a;
        let mut term = 1.0 / a;
        let mut sum = term;
        for _ in 0..iteration_limit(a) {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * EPS {
                break;
            }
        }
        1.0 - sum * front
    } else {
        // continued fraction for Q(a, x) (modified Lentz)
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..iteration_limit(a) {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < EPS {
                break;
            }
        }
        front * h
    }
}

/// Standard normal density.
pub fn dnorm(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal distribution function Φ(x).
pub fn pnorm(x: f64) -> f64 {
    let tail = 0.5 * gamma_q(0.5, 0.5 * x * x); // P(Z > |x|)
    if x < 0.0 { tail } else { 1.0 - tail }
}

/// Standard normal quantile Φ⁻¹(p), 0 < p < 1 (a rational first guess, then Newton steps on
/// the tail probability, which is computed to full precision).
pub fn qnorm(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p == 0.5 {
        return 0.0;
    }
    let (q, sign) = if p < 0.5 { (p, -1.0) } else { (1.0 - p, 1.0) };
    // Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4) as the first guess.
    let t = (-2.0 * q.ln()).sqrt();
    let mut x = t
        - (2.515_517 + 0.802_853 * t + 0.010_328 * t * t)
            / (1.0 + 1.432_788 * t + 0.189_269 * t * t + 0.001_308 * t * t * t);
    for _ in 0..50 {
        let f = 0.5 * gamma_q(0.5, 0.5 * x * x) - q; // upper tail at x minus target
        let dx = f / dnorm(x);
        x += dx;
        if dx.abs() <= 4.0 * EPS * x.abs() {
            break;
        }
    }
    sign * x
}

/// Regularised incomplete beta function I_x(a, b).
pub fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (-x).ln_1p()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..iteration_limit(a.max(b)) {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// Student's t distribution function P(T ≤ t) with `df` degrees of freedom.
pub fn pt(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    let tail = 0.5 * beta_inc(0.5 * df, 0.5, df / (df + t * t)); // P(T > |t|)
    if t < 0.0 { tail } else { 1.0 - tail }
}

/// Two-sided p-value of a t statistic: P(|T| > |t|) = 2 pt(-|t|, df).
pub fn pt_two_sided(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    beta_inc(0.5 * df, 0.5, df / (df + t * t))
}

/// A discrete distribution on 0, 1, 2, … as the quantile search needs it.
trait Discrete {
    fn mean(&self) -> f64;
    fn variance(&self) -> f64;
    /// ln P(Y = y).
    fn ln_pmf(&self, y: f64) -> f64;
    /// P(Y = y + 1) / P(Y = y).
    fn ratio(&self, y: f64) -> f64;
    /// P(Y ≤ y).
    fn cdf(&self, y: f64) -> f64;
}

struct Poisson(f64);

impl Discrete for Poisson {
    fn mean(&self) -> f64 {
        self.0
    }
    fn variance(&self) -> f64 {
        self.0
    }
    fn ln_pmf(&self, y: f64) -> f64 {
        -self.0 + y * self.0.ln() - ln_gamma(y + 1.0)
    }
    fn ratio(&self, y: f64) -> f64 {
        self.0 / (y + 1.0)
    }
    fn cdf(&self, y: f64) -> f64 {
        gamma_q(y + 1.0, self.0)
    }
}

/// Negative binomial with `size` and success probability `prob` (mean size (1 − p)/p).
struct NegBinomial {
    size: f64,
    prob: f64,
    mu: f64,
}

impl Discrete for NegBinomial {
    fn mean(&self) -> f64 {
        self.mu
    }
    fn variance(&self) -> f64 {
        self.mu + self.mu * self.mu / self.size
    }
    fn ln_pmf(&self, y: f64) -> f64 {
        // size ln(prob) = −size ln(1 + mu/size), more accurate for large sizes
        ln_gamma(y + self.size)
            - ln_gamma(self.size)
            - ln_gamma(y + 1.0)
            - self.size * (self.mu / self.size).ln_1p()
            + y * (1.0 - self.prob).ln()
    }
    fn ratio(&self, y: f64) -> f64 {
        (y + self.size) / (y + 1.0) * (1.0 - self.prob)
    }
    fn cdf(&self, y: f64) -> f64 {
        beta_inc(self.size, y + 1.0, self.prob)
    }
}

/// Smallest integer y with F(y) ≥ p. The target is fuzzed down by 64 ε as R does for left
/// continuity. Small means: the pmf summed from 0. Large ones: from a normal guess, whose
/// cdf comes from the incomplete gamma or beta function, walking by pmf ratios.
fn discrete_quantile(p: f64, dist: &impl Discrete) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let target = p * (1.0 - 64.0 * EPS);
    if dist.mean() < 200.0 {
        let mut ln_pmf = dist.ln_pmf(0.0);
        let mut y = 0.0;
        let mut cdf = ln_pmf.exp();
        while cdf < target && y < 1e6 {
            ln_pmf += dist.ratio(y).ln();
            y += 1.0;
            cdf += ln_pmf.exp();
        }
        return y;
    }
    let mut y = (dist.mean() + qnorm(p) * dist.variance().sqrt())
        .floor()
        .max(0.0);
    let mut cdf = dist.cdf(y);
    let mut pmf = dist.ln_pmf(y).exp();
    if cdf >= target {
        // down while the week below still reaches the target
        while y > 0.0 && cdf - pmf >= target {
            cdf -= pmf;
            y -= 1.0;
            pmf /= dist.ratio(y);
        }
    } else {
        while cdf < target {
            pmf *= dist.ratio(y);
            y += 1.0;
            cdf += pmf;
        }
    }
    y
}

/// Poisson quantile (R's `qpois(p, lambda)`).
pub fn qpois(p: f64, lambda: f64) -> f64 {
    if lambda == 0.0 {
        return 0.0;
    }
    discrete_quantile(p, &Poisson(lambda))
}

/// Negative-binomial quantile with the mean parametrisation (R's `qnbinom(p, size, mu = mu)`):
/// variance mu + mu² / size.
pub fn qnbinom_mu(p: f64, size: f64, mu: f64) -> f64 {
    if mu == 0.0 {
        return 0.0;
    }
    let prob = size / (size + mu);
    discrete_quantile(p, &NegBinomial { size, prob, mu })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!(
            (a - b).abs() <= tol * b.abs().max(1e-300),
            "{a} vs {b} (rel {:e})",
            ((a - b) / b).abs()
        );
    }

    #[test]
    fn ln_gamma_of_integers_and_half() {
        close(ln_gamma(10.0), 362_880f64.ln(), 1e-14);
        close(ln_gamma(1.0).exp(), 1.0, 1e-14);
        close(ln_gamma(0.5), std::f64::consts::PI.sqrt().ln(), 1e-14);
        close(
            ln_gamma(3.5).exp(),
            15.0 / 8.0 * std::f64::consts::PI.sqrt(),
            1e-14,
        );
    }

    #[test]
    fn normal_distribution_and_quantiles() {
        close(pnorm(1.0), 0.841_344_746_068_542_9, 1e-14);
        close(pnorm(-3.0), 0.001_349_898_031_630_094_6, 1e-13);
        close(qnorm(0.975), 1.959_963_984_540_054, 1e-14);
        close(qnorm(0.999), 3.090_232_306_167_813_5, 1e-14);
        close(qnorm(0.95), 1.644_853_626_951_472_7, 1e-14);
        close(qnorm(0.025), -1.959_963_984_540_054, 1e-14);
        assert_eq!(qnorm(0.5), 0.0);
        for p in [1e-10, 0.01, 0.3, 0.6, 0.9, 0.999_999] {
            close(pnorm(qnorm(p)), p, 1e-13);
        }
    }

    #[test]
    fn student_t() {
        // df = 1 is Cauchy: P(T <= 1) = 3/4; df = 2 has F(t) = 1/2 + t / (2 sqrt(2 + t²)).
        close(pt(1.0, 1.0), 0.75, 1e-14);
        close(pt(-1.0, 1.0), 0.25, 1e-14);
        close(pt(2.0, 2.0), 0.5 + 2.0 / (2.0 * 6f64.sqrt()), 1e-14);
        close(pt_two_sided(-2.0, 2.0), 1.0 - 2.0 / 6f64.sqrt(), 1e-13);
    }

    #[test]
    fn incomplete_beta_closed_forms() {
        // I_x(1, b) = 1 - (1 - x)^b; I_x(a, 1) = x^a
        close(beta_inc(1.0, 3.0, 0.2), 1.0 - 0.8f64.powi(3), 1e-14);
        close(beta_inc(2.5, 1.0, 0.7), 0.7f64.powf(2.5), 1e-14);
    }

    #[test]
    fn discrete_quantiles_by_hand() {
        // NB(size 2, prob 0.4): cdf(7) = 0.929456128, cdf(8) = 0.9536425984
        assert_eq!(qnbinom_mu(0.95, 2.0, 3.0), 8.0);
        assert_eq!(qnbinom_mu(0.929, 2.0, 3.0), 7.0);
        // Poisson(2): cdf(4) = 0.947347, cdf(5) = 0.983436
        assert_eq!(qpois(0.95, 2.0), 5.0);
        assert_eq!(qpois(0.94, 2.0), 4.0);
        // exactly on a cdf value: the fuzz keeps it there (P(Y <= 0) = e^-1)
        assert_eq!(qpois((-1f64).exp(), 1.0), 0.0);
        assert_eq!(qpois(0.5, 0.0), 0.0);
    }

    #[test]
    fn discrete_quantiles_of_large_means() {
        // the answer y satisfies F(y) >= p > F(y - 1), near the normal approximation
        for (p, lambda) in [(0.95, 1e6), (0.95, 250.0), (0.05, 5000.0)] {
            let y = qpois(p, lambda);
            assert!(
                gamma_q(y + 1.0, lambda) >= p && gamma_q(y, lambda) < p,
                "{p} {lambda}: {y}"
            );
            assert!((y - (lambda + qnorm(p) * lambda.sqrt())).abs() < 3.0);
        }
        let (size, mu) = (400.0, 1e5); // variance mu + mu²/size = 2.5e7 + 1e5
        let y = qnbinom_mu(0.95, size, mu);
        let prob = size / (size + mu);
        assert!(beta_inc(size, y + 1.0, prob) >= 0.95 && beta_inc(size, y, prob) < 0.95);
        assert!((y - (mu + 1.645 * (mu + mu * mu / size).sqrt())).abs() < 0.05 * mu);
        // the small-mean path and the large-mean path agree where they meet
        let walked = discrete_quantile(0.9, &Poisson(199.0));
        assert!(gamma_q(walked + 1.0, 199.0) >= 0.9 && gamma_q(walked, 199.0) < 0.9);
    }
}
