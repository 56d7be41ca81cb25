use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Belgian enterprise number (KBO/BCE): ten digits, the first being 0 or 1, the last
/// two a mod-97 check of the first eight (`97 - n mod 97`).
///
/// Accepts the usual spellings (`0403.170.701`, `BE 0403170701`, `403170701`) and
/// prints the canonical dotted form `0403.170.701`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kbo(u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KboError {
    #[error("`{0}` is not an enterprise number: expected 10 digits such as 0403.170.701")]
    Shape(String),
    #[error(
        "`{0}` fails the mod-97 check: with these first 8 digits the last two should be {1:02}"
    )]
    Check(String, u64),
}

impl Kbo {
    /// Builds the valid number whose first eight digits are `base` (check digits
    /// computed). `base` must be below 20,000,000 (first digit 0 or 1).
    pub fn from_base(base: u64) -> Option<Kbo> {
        (base < 20_000_000).then(|| Kbo(base * 100 + Self::check_of(base)))
    }

    fn check_of(base: u64) -> u64 {
        97 - base % 97
    }

    pub fn digits(self) -> String {
        format!("{:010}", self.0)
    }

    pub fn parse(s: &str) -> Result<Kbo, KboError> {
        let trimmed = s.trim();
        let without_country = trimmed
            .strip_prefix("BE")
            .or_else(|| trimmed.strip_prefix("be"))
            .unwrap_or(trimmed);
        let mut digits = String::with_capacity(10);
        for c in without_country.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '.' | ' ' | '-' => {}
                _ => return Err(KboError::Shape(s.to_owned())),
            }
        }
        if digits.len() == 9 {
            digits.insert(0, '0');
        }
        if digits.len() != 10 || !(digits.starts_with('0') || digits.starts_with('1')) {
            return Err(KboError::Shape(s.to_owned()));
        }
        let n: u64 = digits.parse().map_err(|_| KboError::Shape(s.to_owned()))?;
        let (base, check) = (n / 100, n % 100);
        if Self::check_of(base) != check {
            return Err(KboError::Check(s.to_owned(), Self::check_of(base)));
        }
        Ok(Kbo(n))
    }
}

impl fmt::Display for Kbo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `dddd.ddd.ddd`, built by hand: it is written for every organisation of an
        // import, and the formatting machinery costs more than the rest.
        let mut out = *b"0000.000.000";
        let mut n = self.0;
        for i in (0..out.len()).rev() {
            if out[i] != b'.' {
                out[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
        f.write_str(std::str::from_utf8(&out).expect("ASCII digits"))
    }
}

impl FromStr for Kbo {
    type Err = KboError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kbo::parse(s)
    }
}

impl Serialize for Kbo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Kbo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Kbo::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_real_numbers_in_usual_spellings() {
        // 0403.170.701 is a well-known valid number (check 01 for base 04031707).
        for s in [
            "0403.170.701",
            "BE0403170701",
            "be 0403 170 701",
            "403170701",
        ] {
            assert_eq!(Kbo::parse(s).unwrap().to_string(), "0403.170.701", "{s}");
        }
    }

    #[test]
    fn refuses_bad_check_and_shape() {
        assert!(matches!(
            Kbo::parse("0403.170.702"),
            Err(KboError::Check(_, 1))
        ));
        assert!(matches!(Kbo::parse("12345"), Err(KboError::Shape(_))));
        assert!(matches!(
            Kbo::parse("2403.170.701"),
            Err(KboError::Shape(_))
        ));
        assert!(matches!(
            Kbo::parse("0403.17O.701"),
            Err(KboError::Shape(_))
        ));
    }

    proptest! {
        #[test]
        fn generated_numbers_round_trip(base in 0u64..20_000_000) {
            let k = Kbo::from_base(base).unwrap();
            prop_assert_eq!(Kbo::parse(&k.to_string()).unwrap(), k);
            prop_assert_eq!(Kbo::parse(&k.digits()).unwrap(), k);
            let d = k.digits();
            prop_assert_eq!(k.to_string(), format!("{}.{}.{}", &d[0..4], &d[4..7], &d[7..10]));
        }

        #[test]
        fn any_single_digit_change_is_caught(base in 0u64..20_000_000, pos in 2usize..10, delta in 1u8..10) {
            let k = Kbo::from_base(base).unwrap();
            let mut d: Vec<u8> = k.digits().into_bytes();
            d[pos] = b'0' + (d[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(d).unwrap();
            prop_assert!(Kbo::parse(&s).is_err());
        }
    }
}
