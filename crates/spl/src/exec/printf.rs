//! `printf(format, values…)` as the Search Reference documents it: C's conversions
//! (`%d %i %u %o %x %X %f %F %e %E %g %G %a %A %c %s %p %%`) with flags `- + space 0 #`
//! and `'` (thousands separators), a width and a precision, either of which may be `*`
//! (taken from the values).

use firedrill_value::Value;

#[derive(Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alt: bool,
    group: bool,
    width: usize,
    precision: Option<usize>,
}

/// The largest width or precision honoured (a value from the data could ask for more
/// memory than there is; Rust formats at most this much precision).
const MAX_WIDTH: usize = u16::MAX as usize;

/// Formats `vals` by `fmt`.
pub fn printf(fmt: &str, vals: &[Value]) -> String {
    let mut out = String::new();
    let mut args = vals.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut s = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => s.left = true,
                '+' => s.plus = true,
                ' ' => s.space = true,
                '0' => s.zero = true,
                '#' => s.alt = true,
                '\'' => s.group = true,
                _ => break,
            }
            chars.next();
        }
        let mut number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Option<i64> {
            if chars.peek() == Some(&'*') {
                chars.next();
                return Some(args.next().and_then(Value::as_num).unwrap_or(0.0) as i64);
            }
            let mut d = String::new();
            while let Some(&c) = chars.peek().filter(|c| c.is_ascii_digit()) {
                d.push(c);
                chars.next();
            }
            d.parse().ok()
        };
        if let Some(w) = number(&mut chars) {
            if w < 0 {
                s.left = true;
            }
            s.width = (w.unsigned_abs() as usize).min(MAX_WIDTH);
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            s.precision = Some((number(&mut chars).unwrap_or(0).max(0) as usize).min(MAX_WIDTH));
        }
        // Length modifiers change nothing for doubles; one that ends the format is the
        // conversion itself (an unknown one, printed as a string: `%z` gives the value).
        while matches!(chars.peek(), Some('l' | 'h' | 'L' | 'q' | 'j' | 'z' | 't')) {
            let mut ahead = chars.clone();
            ahead.next();
            if ahead.peek().is_none() {
                break;
            }
            chars.next();
        }
        let Some(conv) = chars.next() else {
            out.push('%');
            break;
        };
        if conv == '%' {
            out.push('%');
            continue;
        }
        let v = args.next();
        let num = || v.and_then(Value::as_num);
        let body = match conv {
            'd' | 'i' | 'u' => num().map(|n| integer(n, &s, 10, false)),
            'o' => num().map(|n| integer(n, &s, 8, false)),
            'x' => num().map(|n| integer(n, &s, 16, false)),
            'X' | 'p' => num().map(|n| integer(n, &s, 16, true)),
            'f' | 'F' => num().map(|n| signed(n, &s, fixed(n.abs(), s.precision.unwrap_or(6), &s))),
            'e' | 'E' => num().map(|n| {
                let t = exp(n.abs(), s.precision.unwrap_or(6), s.alt);
                signed(n, &s, if conv == 'E' { t.to_uppercase() } else { t })
            }),
            'g' | 'G' => num().map(|n| {
                let t = general(n.abs(), s.precision.unwrap_or(6), s.alt);
                signed(n, &s, if conv == 'G' { t.to_uppercase() } else { t })
            }),
            'a' | 'A' => num().map(|n| {
                let t = hexfloat(n.abs(), s.precision);
                signed(n, &s, if conv == 'A' { t.to_uppercase() } else { t })
            }),
            'c' => v.map(|v| match v.as_num() {
                Some(n) if !matches!(v, Value::Str(t) if t.parse::<f64>().is_err()) => {
                    char::from_u32(n as u32)
                        .map(String::from)
                        .unwrap_or_default()
                }
                _ => v
                    .to_string()
                    .chars()
                    .next()
                    .map(String::from)
                    .unwrap_or_default(),
            }),
            _ => v.map(|v| {
                let t = v.to_string();
                match s.precision {
                    Some(p) => t.chars().take(p).collect(),
                    None => t,
                }
            }),
        };
        pad(
            &mut out,
            body.unwrap_or_default(),
            &s,
            !matches!(conv, 's' | 'c'),
        );
    }
    out
}

fn pad(out: &mut String, body: String, s: &Spec, numeric: bool) {
    let len = body.chars().count();
    if len >= s.width {
        out.push_str(&body);
    } else if s.left {
        out.push_str(&body);
        out.extend(std::iter::repeat_n(' ', s.width - len));
    } else if s.zero && numeric && body.chars().any(|c| c.is_ascii_digit()) {
        // Zeros go after the sign and any 0x prefix.
        let sign = body
            .find(|c: char| c.is_ascii_digit())
            .map(|i| {
                if body[i..].starts_with("0x") || body[i..].starts_with("0X") {
                    i + 2
                } else {
                    i
                }
            })
            .unwrap_or(0);
        out.push_str(&body[..sign]);
        out.extend(std::iter::repeat_n('0', s.width - len));
        out.push_str(&body[sign..]);
    } else {
        out.extend(std::iter::repeat_n(' ', s.width - len));
        out.push_str(&body);
    }
}

fn signed(n: f64, s: &Spec, digits: String) -> String {
    let sign = if n.is_sign_negative() && n != 0.0 {
        "-"
    } else if s.plus {
        "+"
    } else if s.space {
        " "
    } else {
        ""
    };
    format!("{sign}{digits}")
}

fn group(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn integer(n: f64, s: &Spec, radix: u32, upper: bool) -> String {
    let i = n.trunc() as i64;
    let mag = i.unsigned_abs();
    let mut digits = match radix {
        8 => format!("{mag:o}"),
        16 if upper => format!("{mag:X}"),
        16 => format!("{mag:x}"),
        _ => mag.to_string(),
    };
    if let Some(p) = s.precision.filter(|p| *p > digits.len()) {
        digits = "0".repeat(p - digits.len()) + &digits;
    }
    if s.group && radix == 10 {
        digits = group(&digits);
    }
    if s.alt && mag != 0 {
        match radix {
            8 if !digits.starts_with('0') => digits.insert(0, '0'),
            16 => digits.insert_str(0, if upper { "0X" } else { "0x" }),
            _ => {}
        }
    }
    if radix == 10 {
        signed(i as f64, s, digits)
    } else {
        digits
    }
}

fn fixed(n: f64, precision: usize, s: &Spec) -> String {
    let t = format!("{n:.precision$}");
    if !s.group {
        return t;
    }
    match t.split_once('.') {
        Some((int, frac)) => format!("{}.{frac}", group(int)),
        None => group(&t),
    }
}

/// `d.ddde±XX`.
fn exp(n: f64, precision: usize, alt: bool) -> String {
    let t = format!("{n:.precision$e}");
    let (mant, e) = t.split_once('e').unwrap_or((&t, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let mant = if alt && precision == 0 {
        format!("{mant}.")
    } else {
        mant.to_string()
    };
    format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// C's `%g`: the shorter of `%e` and `%f` at `precision` significant digits, trailing
/// zeros removed (kept with `#`).
fn general(n: f64, precision: usize, alt: bool) -> String {
    let p = precision.max(1);
    if n == 0.0 {
        return "0".into();
    }
    let e = format!("{n:.*e}", p - 1);
    let x: i32 = e
        .split_once('e')
        .and_then(|(_, x)| x.parse().ok())
        .unwrap_or(0);
    let t = if x < -4 || x >= p as i32 {
        exp(n, p - 1, alt)
    } else {
        format!("{n:.*}", (p as i32 - 1 - x).max(0) as usize)
    };
    if alt {
        return t;
    }
    match t.split_once('e') {
        Some((m, e)) => format!("{}e{e}", trim_zeros(m)),
        None => trim_zeros(&t).to_string(),
    }
}

fn trim_zeros(t: &str) -> &str {
    if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.')
    } else {
        t
    }
}

/// C's `%a`: `0x1.hhhp±d`.
fn hexfloat(n: f64, precision: Option<usize>) -> String {
    if n == 0.0 {
        return match precision {
            Some(p) if p > 0 => format!("0x0.{}p+0", "0".repeat(p)),
            _ => "0x0p+0".into(),
        };
    }
    let bits = n.to_bits();
    let mut exp = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut mant = bits & ((1u64 << 52) - 1);
    let mut lead = 1u64;
    if exp == -1023 {
        lead = 0;
        exp = -1022;
    }
    let digits = match precision {
        Some(p) if p < 13 => {
            let shift = (13 - p) * 4;
            let round = 1u64 << (shift - 1);
            let full = (lead << 52) | mant;
            let r = (full + round) >> shift;
            lead = r >> (p * 4);
            mant = r & ((1u64 << (p * 4)) - 1);
            if p == 0 {
                String::new()
            } else {
                format!("{mant:0w$x}", w = p)
            }
        }
        Some(p) => format!("{mant:013x}{}", "0".repeat(p - 13)),
        None => format!("{mant:013x}").trim_end_matches('0').to_string(),
    };
    let dot = if digits.is_empty() { "" } else { "." };
    format!(
        "0x{lead}{dot}{digits}p{}{}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

#[cfg(test)]
mod tests {
    use super::printf;
    use firedrill_value::Value;

    fn p(fmt: &str, vals: &[Value]) -> String {
        printf(fmt, vals)
    }

    #[test]
    fn documented_conversions() {
        // Search Reference, "Conversion functions", printf.
        let n = |x: f64| Value::Num(x);
        let pi = n(std::f64::consts::PI);
        assert_eq!(p("%c,%c", &[n(65.0), Value::str("Foo")]), "A,F");
        assert_eq!(p("%d,%i,%d", &[n(-2.0), n(4.0), n(30.0)]), "-2,4,30");
        assert_eq!(p("%.2e", &[n(5139.0)]), "5.14e+03");
        assert_eq!(p("%o", &[n(255.0)]), "377");
        assert_eq!(p("%x,%X,%p", &[n(10.0), n(10.0), n(10.0)]), "a,A,A");
        assert_eq!(p("%'d", &[n(12345.0)]), "12,345");
        assert_eq!(p("%04d", &[n(1.0)]), "0001");
        assert_eq!(p("%#x", &[n(1.0)]), "0x1");
        assert_eq!(p("%.*f", &[n(1.0), n(1.23)]), "1.2");
        assert_eq!(p("%.2f", std::slice::from_ref(&pi)), "3.14");
        assert_eq!(p("%.2g,%.2g", &[pi.clone(), n(123.0)]), "3.1,1.2e+02");
        assert_eq!(p("%.3A", &[pi]), "0X1.922P+1");
        assert_eq!(
            p("%-4d|%+4d|% d", &[n(1.0), n(1.0), n(1.0)]),
            "1   |  +1| 1"
        );
        assert_eq!(
            p(
                "%5s|%-5s|%.2s",
                &[Value::str("ab"), Value::str("ab"), Value::str("abc")]
            ),
            "   ab|ab   |ab"
        );
        assert_eq!(p("100%%", &[]), "100%");
        // A width or precision from the data is capped, not allocated.
        assert_eq!(p("%*d", &[n(1e18), n(1.0)]).len(), super::MAX_WIDTH);
        assert!(p("%.*f", &[n(1e18), n(1.0)]).len() <= super::MAX_WIDTH + 2);
    }
}
