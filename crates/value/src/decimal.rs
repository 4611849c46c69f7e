//! Splunk's precision for decimal numbers.
//!
//! Splunk keeps the precision a decimal number is written with and rounds arithmetic
//! on it to the precision of the least precise operand (Search Reference, eval,
//! "Rounding"): `8.250 * 0.2` is `2`, `8.250 * 0.20` is `1.7`, `5.0` prints `5.0`.
//! Integers are exact (Splunk wiki, "BadMath": `3 / 2` is `1.5`, `3 * 0.5` is `2`), and
//! `exact()` gives the unrounded result.
//!
//! - Multiplication and division keep the fewest significant figures of the decimal
//!   operands.
//! - Addition and subtraction keep the fewest decimal places of the decimal operands
//!   (Search Reference, sigfig: `123.0 + 4.567` is `127.6`).

use std::fmt;

/// A decimal number with the precision Splunk tracks for it.
///
/// `value` is the number rounded to `places` decimal places (negative places round to
/// tens, hundreds…); `exact` is the same computation without any rounding, what
/// `exact()` returns.
#[derive(Clone, Copy, Debug)]
pub struct Decimal {
    value: f64,
    exact: f64,
    places: i16,
}

/// Two decimals are equal when they show the same: the same rounded value and places.
impl PartialEq for Decimal {
    fn eq(&self, other: &Decimal) -> bool {
        self.value == other.value && self.places == other.places
    }
}

/// Precision is tracked within what a double holds: at most this many decimal places,
/// and magnitudes below [`MAX_MAGNITUDE`]; beyond them a number is a plain double.
const MAX_PLACES: i16 = 15;
const MAX_MAGNITUDE: f64 = 1e15;

impl Decimal {
    /// A decimal written as text: digits with a `.` and no exponent (`8.250`, `-.5`).
    /// `None` for anything else: integers (they are exact), and numbers with more
    /// digits than a double holds.
    pub fn parse(text: &str) -> Option<Decimal> {
        let t = text.trim();
        let body = t.strip_prefix(['+', '-']).unwrap_or(t);
        let (int, frac) = body.split_once('.')?;
        if frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let places = i16::try_from(frac.len())
            .ok()
            .filter(|p| *p <= MAX_PLACES)?;
        let n: f64 = t.parse().ok()?;
        Decimal::checked(n, n, places)
    }

    /// `exact` rounded to `places` decimal places (`None` outside a double's precision).
    pub fn with_places(exact: f64, places: i16) -> Option<Decimal> {
        Decimal::checked(round_to(exact, places), exact, places)
    }

    /// `exact` rounded to `sig` significant figures (`None` outside a double's
    /// precision).
    pub fn with_sig(exact: f64, sig: i16) -> Option<Decimal> {
        if exact == 0.0 {
            // A zero's places are its figures (`0.000` has three), see [`Decimal::sig`].
            return Decimal::checked(0.0, 0.0, sig);
        }
        let mut places = sig.saturating_sub(1).saturating_sub(magnitude(exact));
        let mut value = round_to(exact, places);
        if magnitude(value) > magnitude(exact) {
            // Rounding carried into a new digit (9.96 to two figures is 10).
            places -= 1;
            value = round_to(exact, places);
        }
        Decimal::checked(value, exact, places)
    }

    fn checked(value: f64, exact: f64, places: i16) -> Option<Decimal> {
        (value.is_finite() && value.abs() < MAX_MAGNITUDE && places <= MAX_PLACES).then_some(
            Decimal {
                value,
                exact,
                places,
            },
        )
    }

    /// The number as Splunk holds it (rounded).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The unrounded result, what `exact()` gives.
    pub fn exact(&self) -> f64 {
        self.exact
    }

    /// Decimal places (negative for tens, hundreds…).
    pub fn places(&self) -> i16 {
        self.places
    }

    /// Significant figures.
    pub fn sig(&self) -> i16 {
        if self.value == 0.0 {
            return self.places.max(1);
        }
        (self.places + 1 + magnitude(self.value)).max(1)
    }
}

impl std::ops::Neg for Decimal {
    type Output = Decimal;

    /// The same precision for the negated number.
    fn neg(self) -> Decimal {
        Decimal {
            value: -self.value,
            exact: -self.exact,
            places: self.places,
        }
    }
}

/// How an arithmetic operator carries precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `*` and `/`: the fewest significant figures.
    Figures,
    /// `+` and `-`: the fewest decimal places.
    Places,
}

/// `f(x, y)` as Splunk holds it, where `px`/`py` are the operands' precisions (`None`
/// for an exact operand). `None` when both are exact: the result is exact too.
pub fn combine(
    rule: Rule,
    (x, px): (f64, Option<Decimal>),
    (y, py): (f64, Option<Decimal>),
    f: impl Fn(f64, f64) -> f64,
) -> Option<Decimal> {
    let least = |k: fn(&Decimal) -> i16| [px, py].iter().flatten().map(k).min();
    let n = f(x, y);
    let mut d = match rule {
        Rule::Figures => Decimal::with_sig(n, least(Decimal::sig)?),
        Rule::Places => Decimal::with_places(n, least(Decimal::places)?),
    }?;
    d.exact = f(px.map_or(x, |d| d.exact), py.map_or(y, |d| d.exact));
    Some(d)
}

/// The power of ten of the leading digit (0 for 1..10, -2 for 0.014); 0 for zero.
fn magnitude(n: f64) -> i16 {
    let a = n.abs();
    if a == 0.0 || !a.is_finite() {
        return 0;
    }
    // log10 can round across a power of ten (999.9999999999999): corrected by one.
    let mut m = a.log10().floor() as i32;
    if 10f64.powi(m) > a {
        m -= 1;
    } else if 10f64.powi(m + 1) <= a {
        m += 1;
    }
    m.clamp(-400, 400) as i16
}

/// Rounds half away from zero at `places`, on the number's shortest decimal text (so
/// that 1.65 to one place is 1.7, as written, though the double is 1.6499…).
fn round_to(n: f64, places: i16) -> f64 {
    if !n.is_finite() || places > MAX_PLACES {
        return n;
    }
    let sci = format!("{:e}", n.abs());
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return n;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    // Digits kept: those whose power of ten is at least -places.
    let keep = exp + 1 + i32::from(places);
    if keep >= digits.len() as i32 {
        return n;
    }
    let sign = if n < 0.0 { -1.0 } else { 1.0 };
    if keep < 0 {
        return 0.0 * sign;
    }
    let keep = keep as usize;
    let mut kept: u128 = digits[..keep]
        .iter()
        .fold(0, |acc, d| acc * 10 + u128::from(d - b'0'));
    if digits[keep] >= b'5' {
        kept += 1;
    }
    // kept × 10^(exp + 1 - keep)
    let text = format!("{kept}e{}", exp + 1 - keep as i32);
    text.parse::<f64>().map(|v| v * sign).unwrap_or(n)
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let places = usize::try_from(self.places.max(0)).unwrap_or(0);
        let text = format!("{:.*}", places, self.value);
        // A rounded zero keeps no sign.
        match text.strip_prefix('-') {
            Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => f.write_str(rest),
            _ => f.write_str(&text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(text: &str) -> i16 {
        Decimal::parse(text).unwrap().sig()
    }

    #[test]
    fn written_precision_is_kept() {
        assert_eq!(Decimal::parse("5.0").unwrap().to_string(), "5.0");
        assert_eq!(Decimal::parse("8.250").unwrap().to_string(), "8.250");
        assert_eq!(Decimal::parse("-.5").unwrap().to_string(), "-0.5");
        assert_eq!(Decimal::parse("5"), None);
        assert_eq!(Decimal::parse("1e3"), None);
        assert_eq!(Decimal::parse("."), None);
        assert_eq!(Decimal::parse("1."), None);
        assert_eq!(Decimal::parse("1.2.3"), None);
        assert_eq!((sig("0.2"), sig("0.20"), sig("8.250")), (1, 2, 4));
        assert_eq!((sig("0.014"), sig("100.0"), sig("0.0")), (2, 4, 1));
    }

    #[test]
    fn results_round_as_splunk_shows() {
        let show = |n: f64, s: i16| Decimal::with_sig(n, s).unwrap().to_string();
        assert_eq!(show(8.25 * 0.2, 1), "2");
        assert_eq!(show(8.25 * 0.2, 2), "1.7");
        assert_eq!(show(8.25 * 0.2, 3), "1.65");
        assert_eq!(show(8.25 * 0.2, 4), "1.650");
        assert_eq!(show(0.014 * 0.23, 2), "0.0032");
        assert_eq!(show(1111.0, 3), "1110");
        assert_eq!(show(9.96, 2), "10");
        assert_eq!(show(-0.04, 1), "-0.04");
        assert_eq!(Decimal::with_places(14.0, 1).unwrap().to_string(), "14.0");
        assert_eq!(Decimal::with_places(-0.04, 1).unwrap().to_string(), "0.0");
        assert_eq!(Decimal::with_sig(1.65, 1).unwrap().exact(), 1.65);
        // A zero keeps its figures: 0.000 × 5 is 0.000.
        let zero = Decimal::parse("0.000").unwrap();
        assert_eq!(show(0.0, zero.sig()), "0.000");
        assert_eq!(show(999.96, 4), "1000");
        assert_eq!(show(0.00099996, 2), "0.0010");
        // Shown the same, equal (the unrounded value is not compared).
        assert_eq!(Decimal::with_sig(1.65, 1), Decimal::with_sig(1.98, 1));
        // Beyond a double's digits, a number is a plain double.
        assert_eq!(Decimal::parse("0.1000000000000000000"), None);
        assert_eq!(Decimal::with_sig(1e300, 2), None);
        assert_eq!(Decimal::with_places(f64::NAN, 1), None);
    }
}
