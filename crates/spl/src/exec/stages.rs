//! What each compiled stage does to rows: one row at a time for per-row stages, a
//! whole batch for stateful ones.

use super::state::Finisher;
use super::{extract, lookup, reshape, rows, stream};
use crate::aggs::{self, StatsSpec};
use crate::ast::{CmpOp, SearchExpr};
use crate::error::ExecError;
use crate::program::Stage;
use crate::search;
use firedrill_value::{Fields, Row, Value};
use std::collections::HashMap;

/// Applies a per-row stage to one row, pushing what comes out (none, one, or several
/// for `mvexpand`) to `out`.
pub(crate) fn row_stage(stage: &Stage, mut row: Row, out: &mut Vec<Row>) -> Result<(), ExecError> {
    let one = std::slice::from_mut(&mut row);
    match stage {
        Stage::Search(m) => {
            if !m.matches(&row) {
                return Ok(());
            }
        }
        Stage::Where(e) => {
            if !e.is_true(&row)? {
                return Ok(());
            }
        }
        Stage::Regex { field, re, negate } => {
            if regex_hit(&row, field, re) == *negate {
                return Ok(());
            }
        }
        Stage::Eval(assigns) => {
            for (field, e) in assigns {
                let v = e.value(&row)?;
                if v.is_null() {
                    row.remove(field);
                } else {
                    row.insert(field.clone(), v);
                }
            }
        }
        Stage::Rename(pairs) => rows::rename(one, pairs),
        Stage::Table(f) => rows::table(one, f),
        Stage::Fields { remove, fields } => rows::fields(one, *remove, fields),
        Stage::Fillnull { value, fields } => rows::fillnull(one, value, fields),
        Stage::Convert { timeformat, items } => rows::convert(one, timeformat, items),
        Stage::Rex {
            field,
            re,
            max_match,
            offset_field,
        } => rows::rex(one, field, re, *max_match, offset_field.as_deref()),
        Stage::Sed {
            field,
            re,
            replacement,
            which,
        } => rows::sed(one, field, re, replacement, *which),
        Stage::Translit { field, from, to } => rows::translit(one, field, from, to),
        Stage::Bin { field, size, alias } => rows::bin(one, field, *size, alias.as_deref()),
        Stage::Makemv {
            field,
            delim,
            allow_empty,
            tokenizer,
        } => rows::makemv(one, field, delim, *allow_empty, tokenizer.as_ref()),
        Stage::Mvexpand { field, limit } => {
            out.extend(rows::mvexpand(vec![row], field, *limit));
            return Ok(());
        }
        Stage::Spath {
            input,
            path,
            output,
        } => extract::spath(one, input, path.as_deref(), output.as_deref()),
        Stage::Fromjson(f) => extract::fromjson(one, f),
        Stage::Xmlkv(f) => extract::xmlkv(one, f),
        Stage::Extract {
            delims,
            clean_keys,
            mv_add,
            limit,
            maxchars,
        } => extract::extract(
            one,
            delims.as_ref(),
            *clean_keys,
            *mv_add,
            *limit,
            *maxchars,
        ),
        Stage::Iplocation {
            field,
            prefix,
            allfields,
            lang,
            db,
        } => extract::iplocation(one, field, prefix, *allfields, lang, db.as_ref()),
        Stage::Lookup { spec, table } => {
            lookup::lookup(one, table, spec).map_err(|message| ExecError::Data {
                message,
                span: Default::default(),
            })?
        }
        Stage::Replace { pairs, fields } => reshape::replace(one, pairs, fields),
        Stage::Addtotals { fields, name } => reshape::addtotals(one, fields, name),
        Stage::Pass => {}
        other => unreachable!("{other:?} is not a per-row stage"),
    }
    out.push(row);
    Ok(())
}

/// True if the field has a value the regex matches.
pub(crate) fn regex_hit(
    row: &dyn Fields,
    field: &firedrill_value::FieldRef,
    re: &super::re::Re,
) -> bool {
    row.get(field).is_some_and(|v| {
        v.values().iter().any(|x| match x {
            Value::Str(s) => re.is_match(s),
            other => re.is_match(&other.to_string()),
        })
    })
}

/// Applies any stage to a batch of rows.
pub(crate) fn batch_stage(
    stage: &Stage,
    mut rows: Vec<Row>,
    f: &mut Finisher<'_>,
) -> Result<Vec<Row>, ExecError> {
    if stage.is_per_row() {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            row_stage(stage, r, &mut out)?;
        }
        return Ok(out);
    }
    Ok(match stage {
        Stage::FillnullAll { value } => {
            rows::fillnull(&mut rows, value, &[]);
            rows
        }
        Stage::SubSearch { expr, subs } => {
            let mut results = Vec::with_capacity(subs.len());
            for id in subs {
                results.push(f.finish(*id)?);
            }
            let mut results = results.into_iter();
            let resolved = resolve(expr, &mut results);
            let m = search::compile(&resolved);
            rows.retain(|r| m.matches(r));
            rows
        }
        Stage::Stats(spec) => aggs::stats(&rows, spec)?,
        Stage::Eventstats(spec) => eventstats(rows, spec)?,
        Stage::Streamstats {
            spec,
            window,
            current,
            resets,
        } => stream::streamstats(rows, spec, *window, *current, resets)?,
        Stage::Timechart {
            spec,
            span,
            cont,
            split: None,
        } => stream::timechart(&rows, spec, *span, *cont)?,
        Stage::Timechart {
            spec,
            span,
            cont,
            split: Some(split),
        } => stream::timechart_by(rows, spec, *span, *cont, split)?,
        Stage::Chart { spec, row, split } => {
            super::pivot::pivot(rows, spec, row.as_deref(), split)?
        }
        Stage::Dedup(d) => rows::dedup(rows, d),
        Stage::Head { count, tail } => {
            if *tail {
                // Search Reference, "tail": the last N results, in reverse order.
                let skip = rows.len().saturating_sub(*count);
                rows.into_iter().skip(skip).rev().collect()
            } else {
                rows.truncate(*count);
                rows
            }
        }
        Stage::HeadWhile {
            expr,
            limit,
            keeplast,
            null,
        } => {
            let mut out = Vec::new();
            for row in rows {
                if out.len() >= *limit {
                    break;
                }
                // A null (or non-Boolean) result counts as `null=`.
                let holds = crate::expr::truth(&*expr.eval(&row)?).unwrap_or(*null);
                if holds || *keeplast {
                    out.push(row);
                }
                if !holds {
                    break;
                }
            }
            out
        }
        Stage::Sort { limit, keys } => rows::sort(rows, keys, *limit),
        Stage::Top(t) => reshape::top(&rows, t),
        Stage::Format(f) => vec![reshape::format(&rows, f)],
        Stage::Transaction(t) => stream::transaction(rows, t),
        Stage::Join {
            fields,
            sub,
            left,
            max,
            overwrite,
        } => {
            let right = f.finish(*sub)?;
            rows::join(rows, &right, fields, *left, *max, *overwrite)
        }
        Stage::Append { sub, maxout } => {
            let more = f.finish(*sub)?;
            rows.extend(more.into_iter().take(*maxout));
            rows
        }
        Stage::Appendpipe(sub) => {
            let more = f.run_over(*sub, rows.clone())?;
            rows.extend(more);
            rows
        }
        Stage::Foreach { patterns, template } => foreach(rows, patterns, template)?,
        Stage::Series(series) => series.run(rows),
        Stage::Map {
            template,
            tokens,
            candidates,
            max,
            span,
        } => {
            let events = f.finish(*candidates)?;
            crate::compile::map::run(&rows, template, tokens, &events, *max, *span)?
        }
        Stage::Makeresults {
            count,
            annotate,
            rows: data,
        } => {
            rows.extend(crate::compile::makeresults::generate(
                *count, *annotate, data,
            ));
            rows
        }
        Stage::Inputlookup { table, start, max } => {
            let take = if *max == 0 { usize::MAX } else { *max };
            rows.extend(
                lookup::inputlookup(table)
                    .into_iter()
                    .skip(*start)
                    .take(take),
            );
            rows
        }
        other => unreachable!("{other:?} is per-row"),
    })
}

/// `eventstats`: adds each group's aggregations to every row of the group.
fn eventstats(rows: Vec<Row>, spec: &StatsSpec) -> Result<Vec<Row>, ExecError> {
    let summary = aggs::stats(&rows, spec)?;
    let key = |r: &Row| -> Vec<String> {
        spec.by
            .iter()
            .map(|f| r.get(&*f.name).map(|v| v.to_string()).unwrap_or_default())
            .collect()
    };
    let by_key: HashMap<Vec<String>, Row> = summary.into_iter().map(|r| (key(&r), r)).collect();
    let mut out = rows;
    for row in out.iter_mut() {
        if spec
            .by
            .iter()
            .any(|f| row.get(&*f.name).is_none_or(Value::is_null))
        {
            continue;
        }
        if let Some(agg_row) = by_key.get(&key(row)) {
            // Every field the summary has but the by-fields: an aggregation's alias,
            // or each field a wildcard aggregation wrote.
            for (k, v) in agg_row {
                if !spec.by_out.iter().any(|b| b == k) {
                    row.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Ok(out)
}

/// `foreach`: runs the template once per field matching the patterns, with
/// `<<FIELD>>` (the field) and `<<MATCHSTR>>` (what the wildcard matched) substituted.
fn foreach(rows: Vec<Row>, patterns: &[String], template: &str) -> Result<Vec<Row>, ExecError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for r in &rows {
        for k in r.keys() {
            for p in patterns {
                if let Some(caps) = rows::field_glob(p, k) {
                    if !fields.iter().any(|(f, _)| f == k) {
                        fields.push((k.clone(), caps.join("")));
                    }
                }
            }
        }
    }
    let mut rows = rows;
    for (field, matched) in fields {
        let text = template
            .replace("<<FIELD>>", &field)
            .replace("<<MATCHSTR>>", &matched);
        let p =
            crate::parse::parse_subpipeline(&text, 0, text.len()).map_err(|e| ExecError::Eval {
                message: format!("foreach template for `{field}`: {e}"),
                span: Default::default(),
            })?;
        let program = crate::compile::compile_over_rows(&p, &crate::compile::NoLookups).map_err(
            |e| match e {
                crate::error::CompileError::Unsupported(u) => ExecError::Unsupported(u),
                crate::error::CompileError::Invalid { message, span } => {
                    ExecError::Eval { message, span }
                }
            },
        )?;
        rows = program.run_over(rows)?;
    }
    Ok(rows)
}

/// Most rows a subsearch hands to its outer search (Splunk's default `maxout`).
const SUBSEARCH_MAX: usize = 10_000;

/// Replaces each `[subsearch]` (in order) with what Splunk's implicit `format` makes of
/// its results: `(f1="v1" AND f2="v2") OR (…)`, one group per row, internal fields left
/// out; no rows makes the subsearch match nothing.
fn resolve(s: &SearchExpr, results: &mut std::vec::IntoIter<Vec<Row>>) -> SearchExpr {
    match s {
        SearchExpr::Subsearch(_) => {
            let rows = results.next().unwrap_or_default();
            let groups: Vec<SearchExpr> = rows
                .iter()
                .take(SUBSEARCH_MAX)
                .filter_map(|r| {
                    let terms: Vec<SearchExpr> = r
                        .iter()
                        .filter(|(k, v)| !k.starts_with('_') && !v.is_null())
                        .map(|(k, v)| {
                            let values: Vec<String> =
                                v.values().iter().map(|x| x.to_string()).collect();
                            if values.len() == 1 {
                                SearchExpr::Compare {
                                    field: k.clone(),
                                    op: CmpOp::Eq,
                                    value: values[0].clone(),
                                    quoted: true,
                                }
                            } else {
                                SearchExpr::In {
                                    field: k.clone(),
                                    values,
                                }
                            }
                        })
                        .collect();
                    (!terms.is_empty()).then_some(SearchExpr::And(terms))
                })
                .collect();
            if groups.is_empty() {
                SearchExpr::Not(Box::new(SearchExpr::All))
            } else {
                SearchExpr::Or(groups)
            }
        }
        SearchExpr::And(items) => {
            SearchExpr::And(items.iter().map(|i| resolve(i, results)).collect())
        }
        SearchExpr::Or(items) => {
            SearchExpr::Or(items.iter().map(|i| resolve(i, results)).collect())
        }
        SearchExpr::Not(inner) => SearchExpr::Not(Box::new(resolve(inner, results))),
        other => other.clone(),
    }
}
