//! The support check: walks a pipeline before it runs and names the first command,
//! function, aggregation or regular expression firedrill cannot execute.

use super::{functions, stats, Unsupported};
use crate::ast::{Agg, CommandKind, Expr, Pipeline, SearchExpr};
use crate::span::Span;

pub(super) fn unsupported(what: impl Into<String>, span: Span) -> Unsupported {
    Unsupported {
        what: what.into(),
        span,
    }
}

/// Returns the first thing in `p` that firedrill cannot execute.
pub fn check_supported(p: &Pipeline) -> Result<(), Unsupported> {
    for (i, cmd) in p.commands.iter().enumerate() {
        let span = cmd.span;
        match &cmd.kind {
            CommandKind::Unsupported { reason } => return Err(unsupported(reason.clone(), span)),
            CommandKind::Rex {
                pattern,
                sed: false,
                ..
            }
            | CommandKind::Regex { pattern, .. } => check_regex(pattern, span)?,
            CommandKind::Search(s) => check_search(s)?,
            CommandKind::Append(p) | CommandKind::Appendpipe(p) => check_supported(p)?,
            CommandKind::Join { sub, .. } => check_supported(sub)?,
            CommandKind::Where(e) => check_expr(e)?,
            CommandKind::Eval(assigns) => {
                for (_, e) in assigns {
                    check_expr(e)?;
                }
            }
            CommandKind::Stats(s) => {
                check_aggs(&s.aggs)?;
            }
            CommandKind::Tstats(t) => {
                if i != 0 {
                    return Err(unsupported("`tstats` must be the first command", span));
                }
                check_aggs(&t.stats.aggs)?;
                if let Some(f) = &t.filter {
                    check_search(f)?;
                }
                if t.option("prestats").is_some_and(is_true_opt) {
                    return Err(unsupported(
                        "`tstats prestats=true` is not supported by firedrill yet",
                        span,
                    ));
                }
            }
            CommandKind::Spl2Source(_) if i != 0 => {
                return Err(unsupported("an SPL2 `from` must come first", span));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Splunk regexes are PCRE; a pattern neither regex engine can compile is reported as
/// unsupported before the search runs.
fn check_regex(pattern: &str, span: Span) -> Result<(), Unsupported> {
    match super::re::regex(pattern, span) {
        Ok(_) => Ok(()),
        Err(e) => Err(unsupported(
            format!(
                "regular expression not supported by firedrill's regex engines: {}",
                e.message
            ),
            span,
        )),
    }
}

fn is_true_opt(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "t" | "true" | "1")
}

fn check_aggs(aggs: &[Agg]) -> Result<(), Unsupported> {
    for a in aggs {
        if !stats::is_supported(&a.func) {
            return Err(unsupported(
                format!("aggregation `{}` is not supported by firedrill yet", a.func),
                a.span,
            ));
        }
        if let Some(e) = &a.expr {
            check_expr(e)?;
        }
    }
    Ok(())
}

fn check_search(s: &SearchExpr) -> Result<(), Unsupported> {
    match s {
        SearchExpr::Subsearch(p) => check_supported(p),
        SearchExpr::And(items) | SearchExpr::Or(items) => items.iter().try_for_each(check_search),
        SearchExpr::Not(inner) => check_search(inner),
        _ => Ok(()),
    }
}

fn check_expr(e: &Expr) -> Result<(), Unsupported> {
    match e {
        Expr::Call { name, args, span } => {
            if !functions::is_supported(name) {
                return Err(unsupported(
                    format!("eval function `{name}()` is not supported by firedrill yet"),
                    *span,
                ));
            }
            args.iter().try_for_each(check_expr)
        }
        Expr::Unary(_, a) => check_expr(a),
        Expr::Binary(_, a, b) => {
            check_expr(a)?;
            check_expr(b)
        }
        Expr::Array(items) => items.iter().try_for_each(check_expr),
        Expr::Lit(_) | Expr::Field(_) => Ok(()),
    }
}
