//! The block codec: one datastream's observations, sorted by time, as three columns.
//!
//! Layout (all integers LEB128 varints, signed ones zigzagged):
//! - `n`;
//! - times: the first, then the first delta, then deltas of deltas (a regular 5-minute
//!   series costs one byte per observation, most of them `0`);
//! - values: a mode byte. Mode [`DECIMAL`] (`scale` byte `d`, 0..=9): every value is
//!   exactly `k / 10^d` for an integer `k` (sensor readings in cm, mm, m³/s with a few
//!   decimals), stored as zigzagged deltas of `k`. Mode [`XOR`]: the first value's 8
//!   bytes, then for each next value the XOR with the previous: a control byte `0xFF`
//!   when equal, otherwise `leading_zero_bytes << 4 | trailing_zero_bytes` followed by
//!   the bytes in between (byte-aligned Gorilla);
//! - flags: runs of `(length, flags byte)`.
//!
//! Decoding is exact: `decode(encode(x)) == x` bit for bit (values are finite).

use crate::Point;

const DECIMAL: u8 = 1;
const XOR: u8 = 2;
/// The codec id stored in `ts_blocks.codec`.
pub const CODEC_V1: i64 = 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("corrupt time-series block: {0}")]
pub struct CorruptBlock(pub &'static str);

fn put_u(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_i(out: &mut Vec<u8>, v: i64) {
    put_u(out, ((v << 1) ^ (v >> 63)) as u64);
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, CorruptBlock> {
        let b = *self.buf.get(self.pos).ok_or(CorruptBlock("truncated"))?;
        self.pos += 1;
        Ok(b)
    }
    fn u(&mut self) -> Result<u64, CorruptBlock> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return Err(CorruptBlock("varint too long"));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
            shift += 7;
        }
    }
    fn i(&mut self) -> Result<i64, CorruptBlock> {
        let u = self.u()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
}

/// The smallest scale `d` at which every value is an exact decimal `k / 10^d` with `k`
/// small enough to round-trip, if any.
fn decimal_scale(values: impl Iterator<Item = f64> + Clone) -> Option<u8> {
    'scale: for d in 0u8..=9 {
        let p = 10f64.powi(i32::from(d));
        for v in values.clone() {
            let k = (v * p).round();
            if k.abs() > 9.0e15 || k / p != v || (k == 0.0 && v.is_sign_negative() && v == 0.0) {
                continue 'scale;
            }
        }
        return Some(d);
    }
    None
}

/// Encodes points sorted by time (not checked here: the writer sorts).
pub fn encode(points: &[Point]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * 3 + 16);
    put_u(&mut out, points.len() as u64);
    if points.is_empty() {
        return out;
    }
    // Times.
    let mut prev_t = points[0].t;
    let mut prev_d = 0i64;
    put_i(&mut out, prev_t);
    for (i, p) in points.iter().enumerate().skip(1) {
        let d = p.t.wrapping_sub(prev_t);
        if i == 1 {
            put_i(&mut out, d);
        } else {
            put_i(&mut out, d.wrapping_sub(prev_d));
        }
        prev_d = d;
        prev_t = p.t;
    }
    // Values.
    match decimal_scale(points.iter().map(|p| p.v)) {
        Some(d) => {
            out.push(DECIMAL);
            out.push(d);
            let p10 = 10f64.powi(i32::from(d));
            let mut prev = 0i64;
            for p in points {
                let k = (p.v * p10).round() as i64;
                put_i(&mut out, k.wrapping_sub(prev));
                prev = k;
            }
        }
        None => {
            out.push(XOR);
            let mut prev = points[0].v.to_bits();
            out.extend_from_slice(&prev.to_le_bytes());
            for p in &points[1..] {
                let bits = p.v.to_bits();
                let x = bits ^ prev;
                prev = bits;
                if x == 0 {
                    out.push(0xFF);
                    continue;
                }
                let lead = (x.leading_zeros() / 8) as u8;
                let trail = (x.trailing_zeros() / 8) as u8;
                out.push(lead << 4 | trail);
                let bytes = x.to_be_bytes();
                out.extend_from_slice(&bytes[lead as usize..8 - trail as usize]);
            }
        }
    }
    // Flags.
    let mut i = 0;
    while i < points.len() {
        let f = points[i].flags;
        let mut j = i + 1;
        while j < points.len() && points[j].flags == f {
            j += 1;
        }
        put_u(&mut out, (j - i) as u64);
        out.push(f);
        i = j;
    }
    out
}

/// Decodes a block, appending its points to `out`.
pub fn decode_into(buf: &[u8], out: &mut Vec<Point>) -> Result<(), CorruptBlock> {
    let mut r = Reader { buf, pos: 0 };
    let n = r.u()? as usize;
    if n > buf.len() * 8 + 1 {
        return Err(CorruptBlock("count larger than the block"));
    }
    if n == 0 {
        return Ok(());
    }
    let start = out.len();
    out.reserve(n);
    let mut t = r.i()?;
    out.push(Point {
        t,
        v: 0.0,
        flags: 0,
    });
    let mut d = 0i64;
    for i in 1..n {
        let x = r.i()?;
        d = if i == 1 { x } else { d.wrapping_add(x) };
        t = t.wrapping_add(d);
        out.push(Point {
            t,
            v: 0.0,
            flags: 0,
        });
    }
    let pts = &mut out[start..];
    match r.byte()? {
        DECIMAL => {
            let scale = r.byte()?;
            if scale > 9 {
                return Err(CorruptBlock("decimal scale above 9"));
            }
            let p10 = 10f64.powi(i32::from(scale));
            let mut k = 0i64;
            for p in pts.iter_mut() {
                k = k.wrapping_add(r.i()?);
                p.v = k as f64 / p10;
            }
        }
        XOR => {
            let mut b = [0u8; 8];
            for x in &mut b {
                *x = r.byte()?;
            }
            let mut prev = u64::from_le_bytes(b);
            pts[0].v = f64::from_bits(prev);
            for p in pts.iter_mut().skip(1) {
                let c = r.byte()?;
                if c != 0xFF {
                    let (lead, trail) = ((c >> 4) as usize, (c & 0x0f) as usize);
                    if lead + trail >= 8 {
                        return Err(CorruptBlock("bad XOR control byte"));
                    }
                    let mut bytes = [0u8; 8];
                    for x in &mut bytes[lead..8 - trail] {
                        *x = r.byte()?;
                    }
                    prev ^= u64::from_be_bytes(bytes);
                }
                p.v = f64::from_bits(prev);
            }
        }
        _ => return Err(CorruptBlock("unknown value mode")),
    }
    let mut i = 0;
    while i < n {
        let run = r.u()? as usize;
        let f = r.byte()?;
        if run == 0 || i + run > n {
            return Err(CorruptBlock("bad flag run"));
        }
        for p in &mut pts[i..i + run] {
            p.flags = f;
        }
        i += run;
    }
    if r.pos != buf.len() {
        return Err(CorruptBlock("trailing bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn roundtrip(points: &[Point]) -> Vec<Point> {
        let mut out = Vec::new();
        decode_into(&encode(points), &mut out).unwrap();
        out
    }

    fn same(a: &[Point], b: &[Point]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.t == y.t && x.v.to_bits() == y.v.to_bits() && x.flags == y.flags)
    }

    #[test]
    fn a_regular_decimal_series_costs_about_two_bytes_a_point() {
        let pts: Vec<Point> = (0..10_000)
            .map(|i| Point {
                t: 1_700_000_000_000 + i * 300_000,
                v: (1234 + (i % 7)) as f64 / 100.0,
                flags: 0,
            })
            .collect();
        let enc = encode(&pts);
        assert!(enc.len() < 2 * pts.len() + 32, "{} bytes", enc.len());
        assert!(same(&roundtrip(&pts), &pts));
    }

    #[test]
    fn negative_zero_and_irrational_values_survive() {
        let pts = [
            Point {
                t: -5,
                v: -0.0,
                flags: 1,
            },
            Point {
                t: 0,
                v: std::f64::consts::PI,
                flags: 1,
            },
            Point {
                t: 0,
                v: f64::MAX,
                flags: 0,
            },
            Point {
                t: i64::MAX,
                v: f64::MIN_POSITIVE,
                flags: 255,
            },
        ];
        assert!(same(&roundtrip(&pts), &pts));
    }

    #[test]
    fn garbage_is_refused_not_misread() {
        let pts = [
            Point {
                t: 1,
                v: 1.5,
                flags: 0,
            },
            Point {
                t: 2,
                v: 2.5,
                flags: 0,
            },
        ];
        let enc = encode(&pts);
        for cut in 0..enc.len() {
            assert!(
                decode_into(&enc[..cut], &mut Vec::new()).is_err(),
                "cut at {cut}"
            );
        }
        let mut extra = enc.clone();
        extra.push(0);
        assert!(decode_into(&extra, &mut Vec::new()).is_err());
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-100_000i64..100_000).prop_map(|k| k as f64 / 100.0),
            (-1e12f64..1e12),
            any::<f64>().prop_filter("finite", |v| v.is_finite()),
            Just(0.0),
            Just(-0.0),
        ]
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(mut raw in prop::collection::vec((any::<i64>(), value(), 0u8..4), 0..300)) {
            raw.sort_by_key(|r| r.0);
            let pts: Vec<Point> = raw.into_iter().map(|(t, v, flags)| Point { t, v, flags }).collect();
            prop_assert!(same(&roundtrip(&pts), &pts));
        }
    }
}
