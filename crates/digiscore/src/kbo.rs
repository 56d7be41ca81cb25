//! KBO/BCE enterprise numbers (Banque-Carrefour des Entreprises).
//!
//! An enterprise number has ten digits, starts with 0 or 1, and its last two digits are
//! `97 − (first eight digits mod 97)`. Accepted spellings: `0123.456.789`, `0123 456 789`,
//! `BE0123456789`, `0123456789`, and the older nine-digit form `123456789` (a leading 0 is
//! added). [`parse`] returns the ten digits; [`format`] writes `0123.456.789`.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KboError {
    #[error("the KBO/BCE number is empty")]
    Empty,
    #[error("the KBO/BCE number may hold only digits, dots and spaces (found {0:?})")]
    BadCharacter(char),
    #[error("a KBO/BCE number has 10 digits (found {0})")]
    BadLength(usize),
    #[error("a KBO/BCE number starts with 0 or 1 (found {0})")]
    BadFirstDigit(char),
    #[error(
        "the check digits of KBO/BCE number {number} are wrong: expected {expected:02}, found {found:02} (a typing error?)"
    )]
    BadCheck {
        number: String,
        expected: u32,
        found: u32,
    },
}

/// Parses and checks a KBO/BCE number; returns its ten digits.
pub fn parse(input: &str) -> Result<String, KboError> {
    let s = input.trim();
    let s = s
        .strip_prefix("BE")
        .or_else(|| s.strip_prefix("be"))
        .unwrap_or(s);
    let mut digits = String::with_capacity(10);
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '.' | ' ' | '-' => {}
            other => return Err(KboError::BadCharacter(other)),
        }
    }
    if digits.is_empty() {
        return Err(KboError::Empty);
    }
    if digits.len() == 9 {
        digits.insert(0, '0');
    }
    if digits.len() != 10 {
        return Err(KboError::BadLength(digits.len()));
    }
    let first = digits.as_bytes()[0] as char;
    if first != '0' && first != '1' {
        return Err(KboError::BadFirstDigit(first));
    }
    let body: u32 = digits[..8].parse().expect("digits");
    let found: u32 = digits[8..].parse().expect("digits");
    let expected = 97 - body % 97;
    if expected != found {
        return Err(KboError::BadCheck {
            number: format(&digits),
            expected,
            found,
        });
    }
    Ok(digits)
}

/// `0123456789` → `0123.456.789` (other input is returned unchanged).
pub fn format(digits: &str) -> String {
    if digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}.{}.{}", &digits[..4], &digits[4..7], &digits[7..])
    } else {
        digits.to_owned()
    }
}

/// The ten digits of a valid number with body `body` (first eight digits) — for tests and
/// synthetic data.
pub fn with_check_digits(body: u32) -> String {
    format!("{body:08}{:02}", 97 - body % 97)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_numbers() {
        // 0203.201.340: 02032013 mod 97 = 57, 97 − 57 = 40.
        assert_eq!(parse("0203.201.340").unwrap(), "0203201340");
        assert_eq!(parse("BE 0203 201 340").unwrap(), "0203201340");
        assert_eq!(parse("203201340").unwrap(), "0203201340");
        assert_eq!(format("0203201340"), "0203.201.340");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(parse(""), Err(KboError::Empty));
        assert_eq!(parse("0203.201.34x"), Err(KboError::BadCharacter('x')));
        assert_eq!(parse("02032013"), Err(KboError::BadLength(8)));
        assert_eq!(parse("2203201340"), Err(KboError::BadFirstDigit('2')));
        let err = parse("0203.201.341").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the check digits of KBO/BCE number 0203.201.341 are wrong: expected 40, found 41 (a typing error?)"
        );
    }

    proptest! {
        #[test]
        fn generated_numbers_pass_and_one_changed_digit_fails(body in 0u32..20_000_000, pos in 0usize..10, delta in 1u8..10) {
            let n = with_check_digits(body);
            prop_assert_eq!(parse(&n).unwrap(), n.clone());
            let mut b = n.into_bytes();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(b).unwrap();
            // A single changed digit is always caught (by the first-digit rule or mod 97).
            prop_assert!(parse(&changed).is_err());
        }
    }
}
