//! Compiles the series commands (see [`crate::exec::series`]) and `strcat`.

use super::opts::Opts;
use super::unsupported;
use crate::ast::StrcatPart;
use crate::error::CompileError;
use crate::exec::series::Series;
use crate::program::Stage;
use crate::span::Span;

fn one<'a>(name: &str, fields: &'a [String], span: Span) -> Result<&'a String, CompileError> {
    match fields {
        [f] => Ok(f),
        _ => Err(CompileError::Invalid {
            message: format!("`{name}` takes one field"),
            span,
        }),
    }
}

/// `p=N` or `p=N-M` of `autoregress`.
fn range(v: &str) -> Option<(usize, usize)> {
    match v.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => v.trim().parse().ok().map(|n| (n, n)),
    }
}

pub(crate) fn compile(
    name: &str,
    fields: &[String],
    alias: &Option<String>,
    opts: &mut Opts<'_>,
    span: Span,
) -> Result<Stage, CompileError> {
    let no_alias = |what: Series| -> Result<Series, CompileError> {
        match alias {
            Some(_) => Err(CompileError::Invalid {
                message: format!("`{name}` takes no `AS`"),
                span,
            }),
            None => Ok(what),
        }
    };
    let none = |what: Series| -> Result<Series, CompileError> {
        if fields.is_empty() {
            no_alias(what)
        } else {
            Err(CompileError::Invalid {
                message: format!("`{name}` takes no fields"),
                span,
            })
        }
    };
    let series = match name {
        "reverse" => none(Series::Reverse)?,
        "uniq" => none(Series::Uniq)?,
        "filldown" => no_alias(Series::Filldown(fields.to_vec()))?,
        "accum" => Series::Accum {
            field: one(name, fields, span)?.clone(),
            alias: alias.clone(),
        },
        "delta" => Series::Delta {
            field: one(name, fields, span)?.clone(),
            alias: alias.clone(),
            p: opts.count("p")?.unwrap_or(1).max(1),
        },
        "autoregress" => {
            let (from, to) = match opts.take("p") {
                None => (1, 1),
                Some(o) => range(&o.value)
                    .filter(|(a, b)| *a >= 1 && a <= b && *b <= 1000)
                    .ok_or_else(|| CompileError::Invalid {
                        message: format!("`p={}`: p is a number or a range such as 2-5", o.value),
                        span: o.span,
                    })?,
            };
            Series::Autoregress {
                field: one(name, fields, span)?.clone(),
                alias: alias.clone(),
                from,
                to,
            }
        }
        "mvcombine" => no_alias(Series::Mvcombine {
            field: one(name, fields, span)?.clone(),
            delim: opts.str("delim").unwrap_or_else(|| " ".into()),
        })?,
        "nomv" => no_alias(Series::Nomv(one(name, fields, span)?.clone()))?,
        "addcoltotals" => {
            let labelfield = opts.str("labelfield");
            let label = opts.str("label").unwrap_or_else(|| "Total".into());
            no_alias(Series::Addcoltotals {
                fields: fields.to_vec(),
                labelfield,
                label,
            })?
        }
        other => {
            return Err(unsupported(
                format!("command `{other}` is not supported by firedrill yet"),
                span,
            ))
        }
    };
    Ok(Stage::Series(series))
}

fn field(f: &str) -> String {
    format!("'{}'", f.replace('\'', "\\'"))
}

fn literal(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `strcat` as the `eval` it is: the sources joined (a missing field is empty), or,
/// with `allrequired=t`, written only when every source field exists.
pub(crate) fn strcat(
    parts: &[StrcatPart],
    dest: &str,
    opts: &mut Opts<'_>,
    span: Span,
) -> Result<Stage, CompileError> {
    let all = opts.bool("allrequired")?.unwrap_or(false);
    let joined: Vec<String> = parts
        .iter()
        .map(|p| match p {
            StrcatPart::Field(f) if all => field(f),
            StrcatPart::Field(f) => format!("coalesce({}, \"\")", field(f)),
            StrcatPart::Literal(l) => literal(l),
        })
        .collect();
    let mut text = joined.join(" . ");
    if all {
        let present: Vec<String> = parts
            .iter()
            .filter_map(|p| match p {
                StrcatPart::Field(f) => Some(format!("isnotnull({})", field(f))),
                StrcatPart::Literal(_) => None,
            })
            .collect();
        if !present.is_empty() {
            text = format!("if({}, {text}, {})", present.join(" AND "), field(dest));
        }
    }
    let mut c = crate::cursor::Cursor::new(&text, 0, text.len());
    let e = crate::parse::expr::parse_expr(&mut c, false).map_err(|e| CompileError::Invalid {
        message: format!("`strcat`: {}", e.message),
        span,
    })?;
    Ok(Stage::Eval(vec![(
        dest.to_string(),
        crate::expr::compile(&e)?,
    )]))
}
