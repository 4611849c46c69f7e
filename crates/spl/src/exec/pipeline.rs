//! Executes a pipeline command by command over in-memory rows.

use super::check::{check_supported, unsupported};
use super::{commands, eval, extract, lookup, re, reshape, search, stats, stream, Data, ExecError};
use crate::ast::{CmpOp, CommandKind, Pipeline, SearchExpr};
use firedrill_value::{Event, Row};
use std::sync::Arc;

/// Runs the pipeline over `data` and returns the result rows.
pub fn run(p: &Pipeline, data: &dyn Data) -> Result<Vec<Row>, ExecError> {
    run_observed(p, data, &mut |_, _| {})
}

/// Runs the pipeline, calling `observe(stage_index, rows)` after each command (for
/// `explain`).
pub fn run_observed(
    p: &Pipeline,
    data: &dyn Data,
    observe: &mut dyn FnMut(usize, &[Row]),
) -> Result<Vec<Row>, ExecError> {
    check_supported(p).map_err(ExecError::Unsupported)?;
    run_from(p, data, None, observe)
}

/// Runs `p` over `input` rows, or from its generating first command when `input` is
/// `None`. Subsearches and `append`/`join` call back into this.
fn run_from(
    p: &Pipeline,
    data: &dyn Data,
    input: Option<Vec<Row>>,
    observe: &mut dyn FnMut(usize, &[Row]),
) -> Result<Vec<Row>, ExecError> {
    let generating = input.is_none();
    let mut rows: Vec<Row> = input.unwrap_or_default();
    for (i, cmd) in p.commands.iter().enumerate() {
        let eval_err = |e: eval::EvalError| ExecError::Eval {
            message: e.message,
            span: e.span,
        };
        rows = match &cmd.kind {
            CommandKind::Search(s) if i == 0 && generating => {
                let m = search::compile(&resolve_subsearches(s, data)?);
                data.events()
                    .iter()
                    .filter(|e| m.matches(&e.fields))
                    .map(|e| e.fields.clone())
                    .collect()
            }
            CommandKind::Search(s) => {
                let m = search::compile(&resolve_subsearches(s, data)?);
                rows.retain(|r| m.matches(r));
                rows
            }
            CommandKind::Append(sub) => {
                let more = run_from(sub, data, None, &mut |_, _| {})?;
                rows.extend(more);
                rows
            }
            CommandKind::Appendpipe(sub) => {
                let more = run_from(sub, data, Some(rows.clone()), &mut |_, _| {})?;
                rows.extend(more);
                rows
            }
            CommandKind::Join {
                fields,
                left,
                max,
                sub,
            } => {
                let right = run_from(sub, data, None, &mut |_, _| {})?;
                commands::join(rows, &right, fields, *left, *max)
            }
            CommandKind::Tstats(t) => {
                let source: Arc<Vec<Row>> = match &t.datamodel {
                    Some(dm) => {
                        data.datamodel(dm.trim_matches('"'))
                            .map_err(|message| ExecError::Data {
                                message,
                                span: cmd.span,
                            })?
                    }
                    None => Arc::new(data.events().iter().map(indexed_fields).collect()),
                };
                let filtered: Vec<Row> = match &t.filter {
                    Some(f) => {
                        let m = search::compile(&resolve_subsearches(f, data)?);
                        source.iter().filter(|r| m.matches(r)).cloned().collect()
                    }
                    None => source.to_vec(),
                };
                let fill = t.option("fillnull_value").map(|v| v.trim_matches('"'));
                let filtered = match &t.span {
                    Some(span) => bucket_time(filtered, span),
                    None => filtered,
                };
                stats::stats(&filtered, &t.stats, fill).map_err(eval_err)?
            }
            CommandKind::Spl2Source(name) => data
                .spl2_source(name)
                .map_err(|message| ExecError::Data {
                    message,
                    span: cmd.span,
                })?
                .to_vec(),
            CommandKind::SsaSink | CommandKind::Passthrough => rows,
            CommandKind::Where(e) => {
                let mut keep = Vec::with_capacity(rows.len());
                for r in rows {
                    if eval::eval(e, &r).map_err(eval_err)?.is_true() {
                        keep.push(r);
                    }
                }
                keep
            }
            CommandKind::Eval(assigns) => {
                for r in rows.iter_mut() {
                    for (field, e) in assigns {
                        let v = eval::eval(e, r).map_err(eval_err)?;
                        if v.is_null() {
                            r.remove(field);
                        } else {
                            r.insert(field.clone(), v);
                        }
                    }
                }
                rows
            }
            CommandKind::Stats(s) if cmd.name == "eventstats" => {
                stats::eventstats(rows, s).map_err(eval_err)?
            }
            CommandKind::Stats(s) => stats::stats(&rows, s, None).map_err(eval_err)?,
            CommandKind::Rename(pairs) => {
                commands::rename(&mut rows, pairs);
                rows
            }
            CommandKind::Convert(c) => {
                commands::convert(&mut rows, c);
                rows
            }
            CommandKind::Table(f) => {
                commands::table(&mut rows, f);
                rows
            }
            CommandKind::Fields { remove, fields } => {
                commands::fields(&mut rows, *remove, fields);
                rows
            }
            CommandKind::Fillnull { value, fields } => {
                commands::fillnull(&mut rows, value, fields);
                rows
            }
            CommandKind::Dedup { count, fields } => commands::dedup(rows, *count, fields),
            CommandKind::Head { count, from_end } => {
                if *from_end {
                    let skip = rows.len().saturating_sub(*count);
                    rows.into_iter().skip(skip).rev().collect()
                } else {
                    rows.truncate(*count);
                    rows
                }
            }
            CommandKind::Sort { limit, keys } => commands::sort(rows, keys, *limit),
            CommandKind::Rex {
                field,
                pattern,
                max_match,
                sed,
            } => {
                if *sed {
                    let (re, rep, global) = commands::parse_sed(pattern).ok_or_else(|| ExecError::Eval {
                        message: format!("`rex mode=sed` expects s/regex/replacement/flags, found `{pattern}`"),
                        span: cmd.span,
                    })?;
                    let re = re::regex(&re, cmd.span).map_err(eval_err)?;
                    commands::sed(&mut rows, field, &re, &rep, global);
                } else {
                    let re = re::regex(pattern, cmd.span).map_err(eval_err)?;
                    commands::rex(&mut rows, field, &re, *max_match);
                }
                rows
            }
            CommandKind::Regex {
                field,
                pattern,
                negate,
            } => {
                let re = re::regex(pattern, cmd.span).map_err(eval_err)?;
                rows.retain(|r| {
                    let hit = r
                        .get(field)
                        .is_some_and(|v| v.values().iter().any(|x| re.is_match(&x.to_string())));
                    hit != *negate
                });
                rows
            }
            CommandKind::Bin { field, span, alias } => {
                let size = commands::span_size(span).ok_or_else(|| ExecError::Eval {
                    message: format!("`bin span={span}` is not a span firedrill understands"),
                    span: cmd.span,
                })?;
                commands::bin(&mut rows, field, size, alias.as_deref());
                rows
            }
            CommandKind::Mvexpand { field, limit } => commands::mvexpand(rows, field, *limit),
            CommandKind::Transaction(t) => stream::transaction(rows, t),
            CommandKind::Streamstats {
                stats,
                window,
                current,
            } => stream::streamstats(rows, stats, *window, *current).map_err(eval_err)?,
            CommandKind::Timechart { stats, span } => {
                stream::timechart(&rows, stats, *span).map_err(eval_err)?
            }
            CommandKind::Lookup(spec) => {
                let table = data
                    .lookup(&spec.table)
                    .map_err(|what| ExecError::Unsupported(unsupported(what, cmd.span)))?;
                lookup::lookup(&mut rows, &table, spec).map_err(|message| ExecError::Data {
                    message,
                    span: cmd.span,
                })?;
                rows
            }
            CommandKind::Inputlookup(name) => {
                let table = data
                    .lookup(name)
                    .map_err(|what| ExecError::Unsupported(unsupported(what, cmd.span)))?;
                let mut more = lookup::inputlookup(&table);
                if generating && i == 0 {
                    more
                } else {
                    rows.append(&mut more);
                    rows
                }
            }
            CommandKind::Spath {
                input,
                path,
                output,
            } => {
                extract::spath(&mut rows, input, path.as_deref(), output.as_deref());
                rows
            }
            CommandKind::Fromjson(field) => {
                extract::fromjson(&mut rows, field);
                rows
            }
            CommandKind::Xmlkv => {
                extract::xmlkv(&mut rows);
                rows
            }
            CommandKind::Top {
                fields,
                by,
                limit,
                rare,
            } => reshape::top(&rows, fields, by, *limit, *rare),
            CommandKind::Addtotals { fields, name } => {
                reshape::addtotals(&mut rows, fields, name);
                rows
            }
            CommandKind::Replace { pairs, fields } => {
                reshape::replace(&mut rows, pairs, fields);
                rows
            }
            CommandKind::Foreach { patterns, template } => foreach(rows, patterns, template, data)?,
            CommandKind::Makemv { field, delim } => {
                commands::makemv(&mut rows, field, delim);
                rows
            }
            CommandKind::Unsupported { reason } => {
                return Err(ExecError::Unsupported(unsupported(
                    reason.clone(),
                    cmd.span,
                )))
            }
        };
        observe(i, &rows);
    }
    Ok(rows)
}

/// The fields `tstats` can see without a data model: the indexed ones.
fn indexed_fields(e: &Event) -> Row {
    ["_time", "host", "source", "sourcetype", "index", "_raw"]
        .iter()
        .filter_map(|k| e.fields.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect()
}

/// Rounds `_time` down to the `span` (`1h`, `10m`, `1d`, `30s`).
fn bucket_time(mut rows: Vec<Row>, span: &str) -> Vec<Row> {
    if let Some(size) = commands::span_size(span) {
        commands::bin(&mut rows, "_time", size, None);
    }
    rows
}

/// `foreach`: runs the template once per field matching the patterns, with
/// `<<FIELD>>` (the field) and `<<MATCHSTR>>` (what the wildcard matched) substituted.
fn foreach(
    rows: Vec<Row>,
    patterns: &[String],
    template: &str,
    data: &dyn Data,
) -> Result<Vec<Row>, ExecError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for r in &rows {
        for k in r.keys() {
            for p in patterns {
                if let Some(caps) = commands::field_glob(p, k) {
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
                span: crate::span::Span::default(),
            })?;
        check_supported(&p).map_err(ExecError::Unsupported)?;
        rows = run_from(&p, data, Some(rows), &mut |_, _| {})?;
    }
    Ok(rows)
}

/// Most rows a subsearch hands to its outer search (Splunk's default `maxout`).
const SUBSEARCH_MAX: usize = 10_000;

/// Replaces each `[subsearch]` with what Splunk's implicit `format` makes of its
/// results: `(f1="v1" AND f2="v2") OR (…)`, one group per row, internal fields left out;
/// no rows makes the subsearch match nothing.
fn resolve_subsearches(s: &SearchExpr, data: &dyn Data) -> Result<SearchExpr, ExecError> {
    Ok(match s {
        SearchExpr::Subsearch(p) => {
            let rows = run_from(p, data, None, &mut |_, _| {})?;
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
        SearchExpr::And(items) => SearchExpr::And(
            items
                .iter()
                .map(|i| resolve_subsearches(i, data))
                .collect::<Result<_, _>>()?,
        ),
        SearchExpr::Or(items) => SearchExpr::Or(
            items
                .iter()
                .map(|i| resolve_subsearches(i, data))
                .collect::<Result<_, _>>()?,
        ),
        SearchExpr::Not(inner) => SearchExpr::Not(Box::new(resolve_subsearches(inner, data)?)),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Source;
    use crate::parse;
    use firedrill_value::Value;

    fn events() -> Vec<Event> {
        let mk = |user: &str, host: &str, code: &str| {
            let mut e = Event::new(format!("{user} on {host}"), 0.0, host, "s", "t");
            e.set("user", Value::str(user));
            e.set("EventCode", Value::str(code));
            e
        };
        vec![
            mk("alice", "h1", "4624"),
            mk("bob", "h2", "4625"),
            mk("carol", "h1", "4625"),
        ]
    }

    fn q(s: &str) -> Vec<Row> {
        let ev = events();
        run(&parse(s).unwrap(), &Source::events(&ev)).unwrap()
    }

    #[test]
    fn subsearch_filters_by_its_results() {
        // Splunk docs ("About subsearches"): the subsearch's results become
        // `(field=value) OR (field=value)` in the outer search.
        let rows = q("EventCode=4625 [search EventCode=4624 | fields host] | table user");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["user"], Value::str("carol"));
    }

    #[test]
    fn join_inner_and_left() {
        let rows = q("EventCode=4625 | join host [search EventCode=4624 | rename user AS first_user | fields host first_user]");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["first_user"], Value::str("alice"));
        let rows = q("EventCode=4625 | join type=left host [search EventCode=4624 | rename user AS first_user | fields host first_user]");
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn append_and_appendpipe() {
        assert_eq!(
            q("EventCode=4624 | append [search EventCode=4625]").len(),
            3
        );
        let rows = q("* | stats count by host | appendpipe [stats sum(count) AS count | eval host=\"total\"]");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2]["count"], Value::Num(3.0));
    }
}
