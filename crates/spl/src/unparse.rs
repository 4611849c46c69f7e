//! Turns parsed search and eval expressions back into SPL text, for `explain` output
//! that names the exact condition that dropped rows.

use crate::ast::{BinOp, CmpOp, Expr, SearchExpr, UnOp};
use firedrill_value::Value;
use std::fmt;

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| !c.is_whitespace() && !matches!(c, '"' | '(' | ')' | '|' | '=' | ','))
    {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

impl fmt::Display for SearchExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchExpr::All => f.write_str("*"),
            SearchExpr::And(items) => {
                let parts: Vec<String> = items.iter().map(|i| i.to_string()).collect();
                f.write_str(&parts.join(" "))
            }
            SearchExpr::Or(items) => {
                let parts: Vec<String> = items.iter().map(|i| i.to_string()).collect();
                write!(f, "({})", parts.join(" OR "))
            }
            SearchExpr::Not(inner) => write!(f, "NOT {inner}"),
            SearchExpr::Term(t) => f.write_str(&quote(t)),
            SearchExpr::CaseTerm(t) => write!(f, "CASE({})", quote(t)),
            SearchExpr::CaseCompare {
                field,
                negate,
                value,
            } => write!(
                f,
                "{field}{}CASE({})",
                if *negate { "!=" } else { "=" },
                quote(value)
            ),
            SearchExpr::Subsearch(_) => f.write_str("[subsearch]"),
            SearchExpr::In { field, values } => {
                let vs: Vec<String> = values.iter().map(|v| quote(v)).collect();
                write!(f, "{field} IN ({})", vs.join(", "))
            }
            SearchExpr::Compare {
                field, op, value, ..
            } => {
                let op = match op {
                    CmpOp::Eq => "=",
                    CmpOp::Ne => "!=",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                write!(f, "{field}{op}{}", quote(value))
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Lit(Value::Str(s)) => write!(f, "\"{}\"", s.replace('"', "\\\"")),
            Expr::Lit(Value::Null) => f.write_str("null()"),
            Expr::Lit(v) => write!(f, "{v}"),
            Expr::Field(name) => {
                if name
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
                {
                    f.write_str(name)
                } else {
                    write!(f, "'{name}'")
                }
            }
            Expr::Subsearch(..) => f.write_str("[subsearch]"),
            Expr::Array(items) => {
                let parts: Vec<String> = items.iter().map(|i| i.to_string()).collect();
                write!(f, "[{}]", parts.join(", "))
            }
            Expr::Call { name, args, .. } => {
                let parts: Vec<String> = args.iter().map(|i| i.to_string()).collect();
                write!(f, "{name}({})", parts.join(", "))
            }
            Expr::Unary(UnOp::Not, e) => write!(f, "NOT {e}"),
            Expr::Unary(UnOp::Neg, e) => write!(f, "-{e}"),
            Expr::Unary(UnOp::IsNull, e) => write!(f, "{e} IS NULL"),
            Expr::Unary(UnOp::IsNotNull, e) => write!(f, "{e} IS NOT NULL"),
            Expr::Binary(op, l, r) => {
                let o = match op {
                    BinOp::Or => "OR",
                    BinOp::Xor => "XOR",
                    BinOp::And => "AND",
                    BinOp::Eq => "=",
                    BinOp::Ne => "!=",
                    BinOp::Lt => "<",
                    BinOp::Le => "<=",
                    BinOp::Gt => ">",
                    BinOp::Ge => ">=",
                    BinOp::Like => "LIKE",
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Concat => ".",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                    BinOp::Mod => "%",
                };
                match op {
                    BinOp::Or | BinOp::Xor => write!(f, "({l} {o} {r})"),
                    _ => write!(f, "{l} {o} {r}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::CommandKind;
    use crate::parse;

    #[test]
    fn search_round_trips() {
        let p = parse(r#"a=1 (b="x y" OR c!=z) NOT d IN (1, 2)"#).unwrap();
        match &p.commands[0].kind {
            CommandKind::Search(s) => {
                assert_eq!(s.to_string(), r#"a=1 (b="x y" OR c!=z) NOT d IN (1, 2)"#)
            }
            other => panic!("{other:?}"),
        }
    }
}
