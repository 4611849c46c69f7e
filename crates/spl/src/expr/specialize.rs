//! An expression specialised to one value of one field: every part that reads only
//! that field (and literals) through pure operations is computed once, and the
//! conditionals whose conditions become known are cut to the branch taken. For the
//! rows where the field has that value, the specialised expression gives exactly
//! what the original gives; it is cheaper when the original tests the field against
//! many literals, as add-ons' calculated fields test `EventCode`.
//!
//! Only arguments of the functions in [`FOLDS`] are replaced (a few functions look at
//! whether an argument is written as a literal: `isnum("5")` is false).

use super::{switch::Switch, BinOp, CExpr, Call};
use firedrill_value::{FieldRef, Row, Value};

/// Functions that give the same result for the same arguments and read nothing but
/// them: a call of one over known values is computed once.
const PURE: &[&str] = &[
    "case",
    "coalesce",
    "false",
    "if",
    "in",
    "isnotnull",
    "isnull",
    "like",
    "lower",
    "len",
    "match",
    "null",
    "nullif",
    "replace",
    "substr",
    "tonumber",
    "tostring",
    "trim",
    "true",
    "upper",
    "validate",
];

/// Functions whose arguments may be replaced by their values (none of them looks at
/// how an argument is written).
const FOLDS: &[&str] = &[
    "case", "coalesce", "if", "in", "lower", "len", "nullif", "replace", "substr", "trim", "upper",
];

/// The field, and its value on the rows the expression is specialised for (`None`:
/// absent).
pub struct Known<'a> {
    /// The field.
    pub field: &'a FieldRef,
    /// Its value.
    pub value: Option<&'a Value>,
}

impl Known<'_> {
    fn row(&self) -> Row {
        let mut r = Row::new();
        if let Some(v) = self.value {
            r.insert(self.field.name.to_string(), v.clone());
        }
        r
    }
}

/// True when `e` reads no field but `known`'s and calls only pure functions.
fn constant(e: &CExpr, known: &FieldRef) -> bool {
    match e {
        CExpr::Lit(_) => true,
        CExpr::Field(f) => f.name == known.name && !f.name.contains('.'),
        CExpr::Call(c) => {
            c.search.is_none()
                && PURE.contains(&c.def.name)
                && c.args.iter().all(|a| constant(a, known))
        }
        CExpr::Unary(_, a) => constant(a, known),
        CExpr::Binary(_, a, b) => constant(a, known) && constant(b, known),
        CExpr::Array(_) => false,
    }
}

/// `e` specialised for rows where `known.field` has `known.value`.
pub fn specialize(e: &CExpr, known: &Known<'_>) -> CExpr {
    let row = known.row();
    spec(e, known.field, &row)
}

fn spec(e: &CExpr, key: &FieldRef, row: &Row) -> CExpr {
    if !matches!(e, CExpr::Lit(_)) && constant(e, key) {
        if let Ok(v) = e.value(row) {
            return CExpr::Lit(v);
        }
    }
    match e {
        CExpr::Call(c) if FOLDS.contains(&c.def.name) => {
            let args: Vec<CExpr> = c.args.iter().map(|a| spec(a, key, row)).collect();
            simplify(c, args)
        }
        CExpr::Binary(op, l, r) => CExpr::Binary(
            *op,
            Box::new(spec(l, key, row)),
            Box::new(spec(r, key, row)),
        ),
        CExpr::Unary(op, a) => CExpr::Unary(*op, Box::new(spec(a, key, row))),
        other => other.clone(),
    }
}

fn is_true(e: &CExpr) -> Option<bool> {
    match e {
        CExpr::Lit(v) => Some(super::truth(v) == Some(true)),
        _ => None,
    }
}

/// The call with its arguments specialised, cut where a condition is now known.
fn simplify(c: &Call, mut args: Vec<CExpr>) -> CExpr {
    match c.def.name {
        "if" if args.len() == 3 => match is_true(&args[0]) {
            Some(true) => return args.swap_remove(1),
            Some(false) => return args.swap_remove(2),
            None => {}
        },
        "case" => {
            let mut kept = Vec::new();
            let mut pairs = args.chunks_exact(2);
            for pair in &mut pairs {
                match is_true(&pair[0]) {
                    Some(false) => continue,
                    Some(true) if kept.is_empty() => return pair[1].clone(),
                    Some(true) => {
                        kept.extend_from_slice(pair);
                        break;
                    }
                    None => kept.extend_from_slice(pair),
                }
            }
            if kept.is_empty() {
                return CExpr::Lit(Value::Null);
            }
            args = kept;
        }
        "coalesce" => {
            let mut kept = Vec::new();
            for a in args {
                match &a {
                    CExpr::Lit(Value::Null) => continue,
                    CExpr::Lit(_) => {
                        kept.push(a);
                        break;
                    }
                    _ => kept.push(a),
                }
            }
            match kept.len() {
                0 => return CExpr::Lit(Value::Null),
                1 => return kept.pop().expect("one"),
                _ => args = kept,
            }
        }
        _ => {}
    }
    let switch = match c.def.name {
        "case" => Switch::build(&args),
        _ => None,
    };
    CExpr::Call(Box::new(Call {
        def: c.def,
        args,
        span: c.span,
        re: c.re.clone(),
        search: None,
        switch,
    }))
}

/// The fields `e`'s conditions compare with literals (`x == "a"`, `x != "a"`,
/// `in(x, …)`), once per comparison: the add-on layer specialises on the most
/// tested.
pub fn tested_fields<'a>(e: &'a CExpr, out: &mut Vec<&'a FieldRef>) {
    match e {
        CExpr::Binary(BinOp::Eq | BinOp::Ne, l, r) => {
            match (&**l, &**r) {
                (CExpr::Field(f), CExpr::Lit(_)) | (CExpr::Lit(_), CExpr::Field(f)) => out.push(f),
                _ => {}
            }
            tested_fields(l, out);
            tested_fields(r, out);
        }
        CExpr::Binary(_, l, r) => {
            tested_fields(l, out);
            tested_fields(r, out);
        }
        CExpr::Unary(_, a) => tested_fields(a, out),
        CExpr::Call(c) => {
            if c.def.name == "in" {
                if let Some(CExpr::Field(f)) = c.args.first() {
                    out.push(f);
                }
            }
            c.args.iter().for_each(|a| tested_fields(a, out));
        }
        CExpr::Lit(_) | CExpr::Field(_) | CExpr::Array(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(src: &str) -> CExpr {
        crate::expr::compile(&crate::parse::parse_eval_expr(src).unwrap()).unwrap()
    }

    #[test]
    fn specialised_expressions_give_what_the_original_gives() {
        let exprs = [
            r#"coalesce(case(in(EventCode, "8", "10"), nullif(Src, "-"), EventCode=="3", "net", EventCode=="1", lower(Img)), replace(nullif(Img, "-"), "^.*[\\\\/]", ""), x)"#,
            r#"if(EventCode=="4624" AND Src!="-", Src, null())"#,
            r#"case(EventCode=="1", "one", EventCode==2, "two", in(EventCode, "3", "01"), "three", true(), EventCode)"#,
            r#"coalesce(if(EventCode=="9", null(), null()), if(isnull(EventCode), "none", null()), x)"#,
            r#"isnum(EventCode) . "/" . isnum(tostring(EventCode)) . "/" . len(EventCode)"#,
            r#"nullif(case(EventCode=="1", "-", true(), "a"), "-")"#,
            r#"if(EventCode>2 OR Img=="b", 1, 0)"#,
        ];
        let codes = [
            None,
            Some(Value::str("1")),
            Some(Value::str("01")),
            Some(Value::str("3")),
            Some(Value::str("8")),
            Some(Value::str("10")),
            Some(Value::Num(2.0)),
            Some(Value::str("4624")),
            Some(Value::str("x")),
            Some(Value::multi(vec![Value::str("1"), Value::str("3")])),
        ];
        let key = FieldRef::new("EventCode");
        for src in exprs {
            let e = compiled(src);
            for code in &codes {
                for (img, s) in [("C:\\a\\b.exe", "-"), ("b", "s1"), ("-", "s2")] {
                    let mut row = Row::from([
                        ("Img".to_string(), Value::str(img)),
                        ("Src".to_string(), Value::str(s)),
                        ("x".to_string(), Value::str("kept")),
                    ]);
                    if let Some(c) = code {
                        row.insert("EventCode".into(), c.clone());
                    }
                    let known = Known {
                        field: &key,
                        value: code.as_ref(),
                    };
                    let fast = specialize(&e, &known);
                    assert_eq!(
                        fast.value(&row).unwrap(),
                        e.value(&row).unwrap(),
                        "{src} with EventCode {code:?}, Img {img}: {fast:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn known_conditions_are_cut() {
        let e = compiled(
            r#"coalesce(if(EventCode=="3", a, null()), if(EventCode=="4", b, null()), c)"#,
        );
        let key = FieldRef::new("EventCode");
        let v = Value::str("4");
        let s = specialize(
            &e,
            &Known {
                field: &key,
                value: Some(&v),
            },
        );
        assert!(matches!(&s, CExpr::Call(c) if c.args.len() == 2), "{s:?}");
        let v = Value::str("5");
        let s = specialize(
            &e,
            &Known {
                field: &key,
                value: Some(&v),
            },
        );
        assert!(matches!(&s, CExpr::Field(f) if &*f.name == "c"), "{s:?}");
    }
}
