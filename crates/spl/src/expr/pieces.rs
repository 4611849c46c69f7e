//! Whether a calculated field keeps to the text it was computed from: every value an
//! expression gives is a piece (a substring) of a value of a field it reads, or one of
//! its literals. A field like that, computed from fields that are pieces of an event's
//! raw text, is one too, so a search for `*comsvcs.dll*` in it can only match events
//! whose raw text holds `comsvcs.dll` (see [`firedrill_value::Need`]).

use super::CExpr;
use firedrill_value::Value;

/// True if every value `e` gives is a piece of a value of a field for which `field`
/// is true, or a literal for which `literal` is true. Unknown shapes are false.
pub fn pieces_only(
    e: &CExpr,
    field: &mut dyn FnMut(&str) -> bool,
    literal: &dyn Fn(&Value) -> bool,
) -> bool {
    match e {
        CExpr::Lit(Value::Null) => true,
        CExpr::Lit(v) => literal(v),
        CExpr::Field(f) => field(&f.name),
        CExpr::Call(c) => {
            let n = c.args.len();
            let from: Vec<usize> = match c.def.name {
                "null" => Vec::new(),
                // Each value is one of an argument's.
                "coalesce" | "mvappend" => (0..n).collect(),
                "if" => vec![1, 2],
                // The values of the odd arguments (`validate`'s messages).
                "case" | "validate" => (1..n).step_by(2).collect(),
                // Pieces or values of the first argument.
                "nullif" | "mvindex" | "mvdedup" | "mvsort" | "split" | "trim" | "ltrim"
                | "rtrim" | "substr" => vec![0],
                "replace" if keeps_a_piece(&c.args) => vec![0],
                _ => return false,
            };
            from.into_iter()
                .filter_map(|i| c.args.get(i))
                .all(|a| pieces_only(a, field, literal))
        }
        CExpr::Unary(..) | CExpr::Binary(..) | CExpr::Array(_) => false,
    }
}

/// `replace(x, "^…", "")` (a prefix removed: a suffix is left) or
/// `replace(x, "^(…)…$", "\1")` (the whole value replaced by its first group): either
/// leaves a piece of `x`, or `x` when the expression does not match. Line anchors
/// (`(?m)`) are not recognised.
fn keeps_a_piece(args: &[CExpr]) -> bool {
    let (Some(CExpr::Lit(Value::Str(re))), Some(CExpr::Lit(Value::Str(with)))) =
        (args.get(1), args.get(2))
    else {
        return false;
    };
    let body = strip_flags(re);
    // `^a|b` removes every `b`: no alternative, and no line anchors.
    if re.contains('|') || has_multiline_flag(re) || !body.starts_with('^') {
        return false;
    }
    let whole = body.ends_with('$') && !body.ends_with("\\$");
    with.is_empty() || (with == "\\1" && whole)
}

/// True if an inline flag group turns on `m` (`(?m)`, `(?sm)`, `(?m:…)`).
fn has_multiline_flag(re: &str) -> bool {
    re.match_indices("(?").any(|(i, _)| {
        re[i + 2..]
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic() || *b == b'-')
            .take_while(|b| *b != b'-')
            .any(|b| b == b'm')
    })
}

/// The expression after leading inline flags (`(?s)`, `(?i)`, `(?is)`).
fn strip_flags(re: &str) -> &str {
    let mut rest = re;
    while let Some(after) = rest.strip_prefix("(?") {
        match after.find(')') {
            Some(end) if after[..end].bytes().all(|b| b.is_ascii_alphabetic()) => {
                rest = &after[end + 1..];
            }
            _ => break,
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(src: &str) -> CExpr {
        crate::expr::compile(&crate::parse::parse_eval_expr(src).unwrap()).unwrap()
    }

    fn check(src: &str) -> bool {
        let e = compiled(src);
        pieces_only(&e, &mut |f| f.starts_with("raw"), &|lit| {
            !matches!(lit, Value::Str(s) if s == "created") && !matches!(lit, Value::Num(_))
        })
    }

    #[test]
    fn pieces_of_raw_fields_and_harmless_literals() {
        assert!(check("rawA"));
        assert!(!check(r#"coalesce(nullif(rawA, "-"), rawB, other_is_not)"#));
        assert!(check(r#"coalesce(nullif(rawA, "-"), rawB)"#));
        assert!(check(r#"if(EventCode=="1", rawA, null())"#));
        assert!(check(r#"case(x==1, rawA, x==2, "deleted")"#));
        assert!(!check(r#"case(x==1, rawA, x==2, "created")"#));
        assert!(check(r#"replace(rawA, "^.*[\\\\/]", "")"#));
        assert!(check(r#"replace(rawA, "(?s)^([^\\\\]+).*$", "\\1")"#));
        assert!(!check(r#"replace(rawA, "\\\\", "/")"#));
        assert!(!check(r#"replace(rawA, "(?m)^x", "")"#));
        assert!(!check(r#"replace(rawA, "(?sm)^x", "")"#));
        assert!(!check(r#"replace(rawA, "^x|_", "")"#));
        // A number literal is tested as the number it is.
        assert!(!check(r#"if(x==1, rawA, 1)"#));
        assert!(!check(r#"rawA . rawB"#));
        assert!(!check(r#"lower(rawA)"#));
        assert!(check(r#"mvindex(split(rawA, ","), 0)"#));
    }
}
