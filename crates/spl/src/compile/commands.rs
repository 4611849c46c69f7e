//! One compiler per command: positional arguments from the AST, options consumed
//! from [`Opts`] (what is left over is unsupported), patterns and expressions built.

use super::opts::Opts;
use super::{unsupported, Compiler};
use crate::aggs::StatsSpec;
use crate::ast::{self, Command, CommandKind, SearchExpr, Tstats};
use crate::error::CompileError;
use crate::exec::re::Re;
use crate::exec::rows::parse_sed;
use crate::expr;
use crate::program::{self, Dedup, SortAs, Source, Stage, Top, Transaction};
use crate::search::{self, has_subsearch};
use firedrill_value::FieldRef;

/// `chart`/`timechart`'s split options (Search Reference: limit 10, useother and
/// usenull true, OTHER and NULL) and where-clause, which scores the series by one of
/// the command's aggregations and replaces `limit`.
fn split_options(
    field: &str,
    series: Option<&ast::SeriesWhere>,
    aggs: &[ast::Agg],
    opts: &mut Opts<'_>,
) -> Result<crate::exec::pivot::Split, CompileError> {
    let filter = series
        .map(|w| series_agg(w, aggs).map(|i| (i, w.test)))
        .transpose()?;
    let limit = match opts.take("limit") {
        None => 10,
        Some(o) if filter.is_some() => {
            return Err(unsupported(
                "`limit=` together with a where-clause is not supported by firedrill yet",
                o.span,
            ))
        }
        Some(o) => {
            let v = o.value.to_ascii_lowercase();
            let n = v.strip_prefix("top").unwrap_or(&v);
            n.parse().map_err(|_| CompileError::Invalid {
                message: format!(
                    "`limit={}`: a number or topN (bottomN is not supported yet)",
                    o.value
                ),
                span: o.span,
            })?
        }
    };
    Ok(crate::exec::pivot::Split {
        field: field.to_string(),
        limit,
        useother: opts.bool("useother")?.unwrap_or(true),
        otherstr: opts.str("otherstr").unwrap_or_else(|| "OTHER".into()),
        usenull: opts.bool("usenull")?.unwrap_or(true),
        nullstr: opts.str("nullstr").unwrap_or_else(|| "NULL".into()),
        filter,
    })
}

/// The command's aggregation that a where-clause names: the one of that name
/// (`max(delay)`), or a bare function (`count`) for the only aggregation of that
/// function (`count(eventtype)`).
fn series_agg(w: &ast::SeriesWhere, aggs: &[ast::Agg]) -> Result<usize, CompileError> {
    let same_func = || {
        let mut it = aggs
            .iter()
            .enumerate()
            .filter(|(_, a)| a.func == w.agg.func);
        match (it.next(), it.next()) {
            (Some((i, _)), None) if w.agg.field.is_none() && w.agg.expr.is_none() => Some(i),
            _ => None,
        }
    };
    aggs.iter()
        .position(|a| a.alias == w.agg.alias)
        .or_else(same_func)
        .ok_or_else(|| {
            unsupported(
                format!(
                    "a where-clause on `{}`, which the command does not compute, is not supported by firedrill yet",
                    w.agg.alias
                ),
                w.agg.span,
            )
        })
}

/// A where-clause without a split-by field: there are no series to keep.
fn no_series(series: Option<&ast::SeriesWhere>, name: &str) -> Result<(), CompileError> {
    match series {
        Some(w) => Err(CompileError::Invalid {
            message: format!("a where-clause keeps series of `{name} … BY field`; there is no BY"),
            span: w.span,
        }),
        None => Ok(()),
    }
}

/// Splunk's default `convert` time format.
const CONVERT_TIMEFORMAT: &str = "%m/%d/%Y %H:%M:%S";
/// Splunk's default `max` of `transaction` events.
const TRANSACTION_MAXEVENTS: usize = 1000;
/// Splunk's default `maxout` of `append`.
const APPEND_MAXOUT: usize = 50_000;

/// `y/from/to/`: the two character lists.
fn parse_translit(expr: &str) -> Option<(Vec<char>, Vec<char>)> {
    let rest = expr.strip_prefix('y')?;
    let delim = rest.chars().next()?;
    let parts: Vec<&str> = rest[delim.len_utf8()..].split(delim).collect();
    match parts.as_slice() {
        [from, to] | [from, to, ""] => Some((from.chars().collect(), to.chars().collect())),
        _ => None,
    }
}

fn regex(pattern: &str, span: crate::span::Span) -> Result<Re, CompileError> {
    Re::shared(pattern).map_err(|m| {
        unsupported(
            format!("regular expression not supported by firedrill's regex engines: {m}"),
            span,
        )
    })
}

impl Compiler<'_> {
    /// Compiles one command (not the source of a pipe) into `out`.
    pub(crate) fn command(
        &mut self,
        cmd: &Command,
        out: &mut Vec<Stage>,
    ) -> Result<(), CompileError> {
        let mut opts = Opts::new(cmd);
        let span = cmd.span;
        let name = cmd.name.as_str();
        match &cmd.kind {
            CommandKind::Search(s) => self.search(s, out)?,
            CommandKind::Where(e) => out.push(Stage::Where(expr::compile(e)?)),
            CommandKind::Eval(assigns) => {
                let compiled = assigns
                    .iter()
                    .map(|(f, e)| Ok((f.clone(), expr::compile(e)?)))
                    .collect::<Result<Vec<_>, CompileError>>()?;
                if let Some((f, _)) = assigns.iter().find(|(_, e)| expr::is_boolean(e)) {
                    return Err(CompileError::Invalid {
                        message: format!(
                            "the result of an eval expression cannot be a Boolean (`{f}`); \
                             wrap the condition in if(…, \"true\", \"false\")"
                        ),
                        span,
                    });
                }
                out.push(Stage::Eval(compiled));
            }
            CommandKind::Stats(s) => out.push(self.stats(name, s, &mut opts)?),
            CommandKind::Tstats(_) => {
                return Err(unsupported("`tstats` must be the first command", span))
            }
            CommandKind::Map => out.push(self.map(cmd, &mut opts)?),
            CommandKind::Chart {
                aggs,
                row,
                split,
                series,
            } => {
                if opts.take("span").is_some() || opts.take("bins").is_some() {
                    return Err(unsupported(
                        "`chart … span=`/`bins=` (binning the row field) is not supported by firedrill yet",
                        span,
                    ));
                }
                let by: Vec<String> = row.iter().chain(split).cloned().collect();
                let spec = StatsSpec::compile(aggs, &by, None)?;
                match split {
                    // Without a split, `chart` is `stats` by the row field.
                    None => {
                        no_series(series.as_ref(), "chart")?;
                        opts.no_effect(&["limit", "useother", "usenull", "otherstr", "nullstr"]);
                        out.push(Stage::Stats(spec));
                    }
                    Some(field) => {
                        let split = split_options(field, series.as_ref(), aggs, &mut opts)?;
                        out.push(Stage::Chart {
                            spec,
                            row: row.clone(),
                            split,
                        });
                    }
                }
            }
            // Search Reference, return: the first N results (1 by default), only the
            // named fields, under their aliases; as a subsearch they become
            // `(alias="value")` terms. `$field` (the bare value) is not supported.
            CommandKind::Return { count, items } => {
                if items.iter().any(|(_, _, bare)| *bare) {
                    return Err(unsupported(
                        "`return $field` (a bare value) is not supported by firedrill yet",
                        span,
                    ));
                }
                out.push(Stage::Head {
                    count: count.unwrap_or(1),
                    tail: false,
                });
                let pairs: Vec<(String, String)> = items
                    .iter()
                    .filter(|(alias, field, _)| alias != field)
                    .map(|(alias, field, _)| (field.clone(), alias.clone()))
                    .collect();
                if !pairs.is_empty() {
                    out.push(Stage::Rename(pairs));
                }
                out.push(Stage::Table(items.iter().map(|(a, _, _)| a.clone()).collect()));
            }
            CommandKind::Series { fields, alias } => {
                out.push(super::series::compile(name, fields, alias, &mut opts, span)?)
            }
            CommandKind::Strcat { parts, dest } => {
                out.push(super::series::strcat(parts, dest, &mut opts, span)?)
            }
            CommandKind::FromDataModel(_) => {
                return Err(CompileError::Invalid {
                    message: "`from` reads a dataset: it must be the first command of a search or subsearch".into(),
                    span,
                })
            }
            CommandKind::Makeresults => {
                return Err(CompileError::Invalid {
                    message: "`makeresults` generates results: it must be the first command of a search or subsearch".into(),
                    span,
                })
            }
            CommandKind::Rename(pairs) => out.push(Stage::Rename(pairs.clone())),
            CommandKind::Convert(items) => {
                let timeformat = opts
                    .str("timeformat")
                    .unwrap_or_else(|| CONVERT_TIMEFORMAT.to_string());
                for (func, _, _) in items {
                    if !crate::exec::rows::CONVERSIONS.contains(&func.as_str()) {
                        return Err(unsupported(
                            format!("`convert {func}()` is not supported by firedrill yet"),
                            span,
                        ));
                    }
                }
                out.push(Stage::Convert {
                    timeformat,
                    items: items.clone(),
                });
            }
            CommandKind::Table(f) => out.push(Stage::Table(f.clone())),
            CommandKind::Fields { remove, fields } => out.push(Stage::Fields {
                remove: *remove,
                fields: fields.clone(),
            }),
            CommandKind::Fillnull(fields) => {
                let value = opts.str("value").unwrap_or_else(|| "0".into());
                out.push(if fields.is_empty() {
                    Stage::FillnullAll { value }
                } else {
                    Stage::Fillnull {
                        value,
                        fields: fields.clone(),
                    }
                });
            }
            CommandKind::Dedup {
                count,
                fields,
                sortby,
            } => {
                let keepempty = opts.bool("keepempty")?.unwrap_or(false);
                let consecutive = opts.bool("consecutive")?.unwrap_or(false);
                let keepevents = opts.bool("keepevents")?.unwrap_or(false);
                out.push(Stage::Dedup(Dedup {
                    count: count.unwrap_or(1).max(1),
                    fields: fields.clone(),
                    keepempty,
                    consecutive,
                    keepevents,
                    sortby: sort_keys(sortby)?,
                }));
            }
            CommandKind::Head(n) => {
                let count = match opts.count("limit")? {
                    Some(l) => l,
                    None => n.unwrap_or(10),
                };
                out.push(Stage::Head {
                    count,
                    tail: name == "tail",
                });
            }
            CommandKind::HeadWhile(e) => {
                // Search Reference, head: limit 10, keeplast and null false by default.
                let limit = opts.count("limit")?.unwrap_or(10);
                let keeplast = opts.bool("keeplast")?.unwrap_or(false);
                let null = opts.bool("null")?.unwrap_or(false);
                out.push(Stage::HeadWhile {
                    expr: expr::compile(e)?,
                    limit,
                    keeplast,
                    null,
                });
            }
            CommandKind::Sort { count, keys } => {
                let limit = match opts.count("limit")? {
                    Some(l) => l,
                    None => count.unwrap_or(10_000),
                };
                out.push(Stage::Sort {
                    limit,
                    keys: sort_keys(keys)?,
                });
            }
            CommandKind::Rex(pattern) => {
                let field = opts.str("field").unwrap_or_else(|| "_raw".into());
                let mode = opts.take("mode");
                let max_match = opts.count("max_match")?.unwrap_or(1);
                let offset_field = opts.str("offset_field");
                match mode {
                    Some(m) if m.value.eq_ignore_ascii_case("sed") => {
                        if let Some((from, to)) = parse_translit(pattern) {
                            if from.len() != to.len() {
                                return Err(CompileError::Invalid {
                                    message: format!("`rex mode=sed \"{pattern}\"`: y/// needs as many characters on each side"),
                                    span,
                                });
                            }
                            out.push(Stage::Translit { field, from, to });
                            return opts.finish();
                        }
                        let (re, replacement, which) = parse_sed(pattern).ok_or_else(|| CompileError::Invalid {
                            message: format!("`rex mode=sed` expects s/regex/replacement/flags or y/from/to/, found `{pattern}`"),
                            span,
                        })?;
                        out.push(Stage::Sed {
                            field,
                            re: regex(&re, span)?,
                            replacement,
                            which,
                        });
                    }
                    Some(m) => {
                        return Err(unsupported(
                            format!("`rex mode={}` is not supported by firedrill yet", m.value),
                            m.span,
                        ))
                    }
                    None => out.push(Stage::Rex {
                        field,
                        re: regex(pattern, span)?,
                        max_match,
                        offset_field,
                    }),
                }
            }
            CommandKind::Regex {
                field,
                pattern,
                negate,
            } => out.push(Stage::Regex {
                field: FieldRef::new(field),
                re: regex(pattern, span)?,
                negate: *negate,
            }),
            CommandKind::Bin { field, alias } => {
                let size = opts.span("span")?.ok_or_else(|| {
                    unsupported(
                        format!("`{name}` without span= (automatic bins) is not supported by firedrill yet"),
                        span,
                    )
                })?;
                out.push(Stage::Bin {
                    field: field.clone(),
                    size,
                    alias: alias.clone(),
                });
            }
            CommandKind::Mvexpand(field) => {
                let limit = opts.count("limit")?.unwrap_or(0);
                out.push(Stage::Mvexpand {
                    field: field.clone(),
                    limit,
                });
            }
            CommandKind::Makemv(field) => {
                let delim = opts.str("delim").unwrap_or_else(|| " ".into());
                let allow_empty = opts.bool("allowempty")?.unwrap_or(false);
                let tokenizer = match opts.take("tokenizer") {
                    Some(t) => Some(regex(&t.value, t.span)?),
                    None => None,
                };
                opts.only("setsv", false)?;
                out.push(Stage::Makemv {
                    field: field.clone(),
                    delim,
                    allow_empty,
                    tokenizer,
                });
            }
            CommandKind::Append(sub) => {
                // Time and run-time limits of the subsearch: there is no clock offline.
                opts.no_effect(&["maxtime", "timeout", "extendtimerange"]);
                let maxout = opts.count("maxout")?.unwrap_or(APPEND_MAXOUT);
                let sub = self.pipe(sub, true)?;
                out.push(Stage::Append { sub, maxout });
            }
            CommandKind::Appendpipe(sub) => {
                opts.no_effect(&["run_in_preview"]);
                let sub = self.pipe(sub, false)?;
                out.push(Stage::Appendpipe(sub));
            }
            CommandKind::Join { fields, sub } => {
                if fields.is_empty() {
                    return Err(unsupported(
                        "`join` without join fields is not supported by firedrill yet",
                        span,
                    ));
                }
                let left = match opts.take("type") {
                    None => false,
                    Some(o) => match o.value.to_ascii_lowercase().as_str() {
                        "inner" => false,
                        "left" | "outer" => true,
                        other => {
                            return Err(CompileError::Invalid {
                                message: format!(
                                    "`join type={other}`: type is inner, left or outer"
                                ),
                                span: o.span,
                            })
                        }
                    },
                };
                let max = opts.count("max")?.unwrap_or(1);
                let overwrite = opts.bool("overwrite")?.unwrap_or(true);
                opts.only("usetime", false)?;
                let sub = self.pipe(sub, true)?;
                out.push(Stage::Join {
                    fields: fields.clone(),
                    sub,
                    left,
                    max,
                    overwrite,
                });
            }
            CommandKind::Spath(path) => {
                let input = opts.str("input").unwrap_or_else(|| "_raw".into());
                let output = opts.str("output");
                let path = opts.str("path").or_else(|| path.clone());
                out.push(Stage::Spath {
                    input,
                    path,
                    output,
                });
            }
            CommandKind::Fromjson(f) => out.push(Stage::Fromjson(f.clone())),
            CommandKind::Xmlkv(f) => {
                out.push(Stage::Xmlkv(f.clone().unwrap_or_else(|| "_raw".into())))
            }
            CommandKind::Extract(names) => {
                if let Some(n) = names.first() {
                    return Err(unsupported(
                        format!("`{name} {n}`: extractions named from transforms.conf are not supported by firedrill yet"),
                        span,
                    ));
                }
                let pair = opts.take("pairdelim");
                let kv = opts.take("kvdelim");
                let delims = match (pair, kv) {
                    (None, None) => None,
                    (Some(p), Some(k)) => Some((p.value.chars().collect(), k.value.chars().collect())),
                    (Some(o), None) | (None, Some(o)) => {
                        return Err(unsupported(
                            format!("`{name}` with only one of pairdelim= and kvdelim= is not supported by firedrill yet"),
                            o.span,
                        ))
                    }
                };
                let clean_keys = opts.bool("clean_keys")?.unwrap_or(true);
                let mv_add = opts.bool("mv_add")?.unwrap_or(false);
                let limit = opts.count("limit")?.unwrap_or(50);
                let maxchars = opts.count("maxchars")?.unwrap_or(10240);
                opts.only("segment", false)?;
                // Re-reads props.conf/transforms.conf on a live Splunk.
                opts.no_effect(&["reload"]);
                out.push(Stage::Extract {
                    delims,
                    clean_keys,
                    mv_add,
                    limit,
                    maxchars,
                });
            }
            CommandKind::Format(strings) => {
                let mut f = crate::exec::reshape::Format::default();
                match strings.as_slice() {
                    [] => {}
                    [a, b, c, d, e, g] => {
                        f.row_prefix = a.0.clone();
                        f.col_prefix = b.0.clone();
                        f.col_sep = c.0.clone();
                        f.col_end = d.0.clone();
                        f.row_sep = e.0.clone();
                        f.row_end = g.0.clone();
                    }
                    [first, ..] => {
                        return Err(unsupported(
                            format!(
                                "`format` takes all six of rowprefix colprefix colsep colend rowsep rowend or none; it has {}",
                                strings.len()
                            ),
                            first.1,
                        ))
                    }
                }
                if let Some(m) = opts.str("mvsep") {
                    f.mv_sep = m;
                }
                if let Some(e) = opts.str("emptystr") {
                    f.empty = e;
                }
                f.max_results = opts.count("maxresults")?.unwrap_or(0);
                out.push(Stage::Format(f));
            }
            CommandKind::Iplocation(field) => {
                let db = self.geoip(span)?;
                let prefix = opts.str("prefix").unwrap_or_default();
                let allfields = opts.bool("allfields")?.unwrap_or(false);
                let lang = match opts.take("lang") {
                    None => "en".to_string(),
                    Some(o) => {
                        let have = db.languages();
                        if !have.contains(&o.value) {
                            return Err(unsupported(
                                format!(
                                    "the GeoIP database has no names in `{}` (it has: {})",
                                    o.value,
                                    have.join(", ")
                                ),
                                o.span,
                            ));
                        }
                        o.value.clone()
                    }
                };
                out.push(Stage::Iplocation {
                    field: field.clone(),
                    prefix,
                    allfields,
                    lang,
                    db,
                });
            }
            CommandKind::Top { count, fields, by } => {
                let limit = match opts.count("limit")? {
                    Some(l) => l,
                    None => count.unwrap_or(10),
                };
                let showcount = opts.bool("showcount")?.unwrap_or(true);
                let showperc = opts.bool("showperc")?.unwrap_or(true);
                let countfield = opts.str("countfield").unwrap_or_else(|| "count".into());
                let percentfield = opts.str("percentfield").unwrap_or_else(|| "percent".into());
                let otherstr = opts.str("otherstr").unwrap_or_else(|| "OTHER".into());
                let other = match opts.bool("useother")? {
                    Some(true) if fields.len() > 1 => {
                        return Err(unsupported(
                            format!("`{name} useother=true` over several fields is not supported by firedrill yet"),
                            span,
                        ))
                    }
                    Some(true) => Some(otherstr),
                    _ => None,
                };
                out.push(Stage::Top(Top {
                    fields: fields.clone(),
                    by: by.clone(),
                    limit,
                    rare: name == "rare",
                    countfield: showcount.then_some(countfield),
                    percentfield: showperc.then_some(percentfield),
                    other,
                }));
            }
            CommandKind::Addtotals(fields) => {
                let name = opts.str("fieldname").unwrap_or_else(|| "Total".into());
                opts.only("row", true)?;
                opts.only("col", false)?;
                out.push(Stage::Addtotals {
                    fields: fields.clone(),
                    name,
                });
            }
            CommandKind::Replace { pairs, fields } => out.push(Stage::Replace {
                pairs: pairs.clone(),
                fields: fields.clone(),
            }),
            CommandKind::Foreach { patterns, template } => out.push(Stage::Foreach {
                patterns: patterns.clone(),
                template: template.clone(),
            }),
            CommandKind::Lookup(spec) => {
                // `update` re-reads a lookup file changed during a real-time search;
                // `local` runs it on the search head: neither matters offline.
                opts.no_effect(&["update", "local"]);
                let table = self.lookup(&spec.table, span)?;
                spec_columns(&table, spec, span)?;
                out.push(Stage::Lookup {
                    spec: spec.clone(),
                    table,
                });
            }
            CommandKind::Inputlookup(table) => {
                opts.only("append", true)?;
                let start = opts.count("start")?.unwrap_or(0);
                let max = opts.count("max")?.unwrap_or(0);
                out.push(Stage::Inputlookup {
                    table: self.lookup(table, span)?,
                    start,
                    max,
                });
            }
            CommandKind::Transaction(t) => out.push(self.transaction(t, &mut opts, span)?),
            CommandKind::Outputlookup => {
                // Writing the lookup is all its options are about; the results pass on.
                opts.consume_all();
                out.push(Stage::Pass);
            }
            CommandKind::SsaSink => out.push(Stage::Pass),
            CommandKind::Spl2Source(_) => {
                return Err(unsupported("an SPL2 `from` must come first", span))
            }
            CommandKind::Unsupported { reason } => return Err(unsupported(reason.clone(), span)),
        }
        opts.finish()
    }

    /// A `search`: a filter, or with subsearches a prefilter plus the exact filter
    /// once the subsearches have run.
    fn search(&mut self, s: &SearchExpr, out: &mut Vec<Stage>) -> Result<(), CompileError> {
        if !has_subsearch(s) {
            out.push(Stage::Search(search::compile(s)));
            return Ok(());
        }
        let mut subs = Vec::new();
        self.subsearches(s, &mut subs)?;
        out.push(Stage::Search(search::prefilter(s)));
        out.push(Stage::SubSearch {
            expr: s.clone(),
            subs,
        });
        Ok(())
    }

    fn subsearches(
        &mut self,
        s: &SearchExpr,
        out: &mut Vec<program::PipeId>,
    ) -> Result<(), CompileError> {
        match s {
            SearchExpr::Subsearch(p) => out.push(self.pipe(p, true)?),
            SearchExpr::And(items) | SearchExpr::Or(items) => {
                for i in items {
                    self.subsearches(i, out)?;
                }
            }
            SearchExpr::Not(inner) => self.subsearches(inner, out)?,
            _ => {}
        }
        Ok(())
    }

    /// `stats`, `eventstats`, `streamstats`, `timechart`.
    fn stats(
        &mut self,
        name: &str,
        s: &ast::Stats,
        opts: &mut Opts<'_>,
    ) -> Result<Stage, CompileError> {
        let spec = StatsSpec::compile(&s.aggs, &s.by, None)?;
        Ok(match name {
            "eventstats" => Stage::Eventstats(spec),
            "streamstats" => {
                let window = opts.count("window")?.unwrap_or(0);
                let current = opts.bool("current")?.unwrap_or(true);
                let global = opts.bool("global")?.unwrap_or(true);
                if window > 0 && global && !spec.by.is_empty() {
                    return Err(unsupported(
                        "`streamstats window=` with by-fields and one global window (global=true, the default) is not supported by firedrill yet; global=false is",
                        s.aggs.first().map(|a| a.span).unwrap_or_default(),
                    ));
                }
                let resets = program::Resets {
                    after: option_expr(opts, "reset_after")?,
                    before: option_expr(opts, "reset_before")?,
                    on_change: opts.bool("reset_on_change")?.unwrap_or(false),
                };
                if window > 0 && !resets.is_none() {
                    return Err(unsupported(
                        "`streamstats window=` with a reset option is not supported by firedrill yet",
                        s.aggs.first().map(|a| a.span).unwrap_or_default(),
                    ));
                }
                Stage::Streamstats {
                    spec,
                    window,
                    current,
                    resets,
                }
            }
            "timechart" => {
                if s.by.len() > 1 {
                    return Err(unsupported(
                        "`timechart` splits by one field",
                        s.aggs.first().map(|a| a.span).unwrap_or_default(),
                    ));
                }
                let span = opts.span("span")?.ok_or_else(|| {
                    unsupported(
                        "`timechart` without a span= is not supported by firedrill yet",
                        s.aggs.first().map(|a| a.span).unwrap_or_default(),
                    )
                })?;
                let cont = opts.bool("cont")?.unwrap_or(true);
                match s.by.first() {
                    Some(field) => {
                        let split = split_options(field, s.series.as_ref(), &s.aggs, opts)?;
                        let by = vec!["_time".to_string(), field.clone()];
                        let spec = StatsSpec::compile(&s.aggs, &by, None)?;
                        Stage::Timechart {
                            spec,
                            span,
                            cont,
                            split: Some(split),
                        }
                    }
                    None => {
                        no_series(s.series.as_ref(), "timechart")?;
                        // Without `by` there are no series for these to limit or name.
                        opts.no_effect(&["limit", "useother", "usenull", "otherstr", "nullstr"]);
                        Stage::Timechart {
                            spec,
                            span,
                            cont,
                            split: None,
                        }
                    }
                }
            }
            _ => Stage::Stats(spec),
        })
    }

    /// `tstats … from datamodel=X where … by … [span=…]`: the data model (or the
    /// indexed fields) as the source, the where clause as the filter, then stats.
    pub(super) fn tstats(
        &mut self,
        cmd: &Command,
        t: &Tstats,
        stages: &mut Vec<Stage>,
    ) -> Result<Source, CompileError> {
        let mut opts = Opts::new(cmd);
        // Data model acceleration settings: replayed data is searched directly.
        opts.no_effect(&[
            "summariesonly",
            "allow_old_summaries",
            "local",
            "chunk_size",
            "include_reduced_buckets",
        ]);
        opts.only("prestats", false)?;
        opts.only("append", false)?;
        let fill = opts.str("fillnull_value");
        let span = opts.span("span")?;
        opts.finish()?;
        if let Some(f) = &t.filter {
            if has_subsearch(f) {
                return Err(unsupported(
                    "a subsearch in `tstats … where` is not supported by firedrill yet",
                    cmd.span,
                ));
            }
            stages.push(Stage::Search(search::compile(f)));
        }
        if let Some(size) = span {
            stages.push(Stage::Bin {
                field: "_time".into(),
                size,
                alias: None,
            });
        }
        stages.push(Stage::Stats(StatsSpec::compile(
            &t.stats.aggs,
            &t.stats.by,
            fill,
        )?));
        Ok(match &t.datamodel {
            Some(dm) => Source::DataModel(dm.trim_matches('"').to_string()),
            None => Source::Indexed,
        })
    }

    fn transaction(
        &mut self,
        t: &ast::Transaction,
        opts: &mut Opts<'_>,
        span: crate::span::Span,
    ) -> Result<Stage, CompileError> {
        if t.fields.is_empty() {
            return Err(unsupported(
                "`transaction` without fields is not supported by firedrill yet",
                span,
            ));
        }
        let maxspan = opts.span("maxspan")?;
        let maxpause = opts.span("maxpause")?;
        let maxevents = opts.count("maxevents")?.unwrap_or(TRANSACTION_MAXEVENTS);
        // With one field every event of a transaction shares it: `connected` only
        // matters with several fields.
        if t.fields.len() == 1 {
            opts.no_effect(&["connected"]);
        } else {
            opts.only("connected", true)?;
        }
        opts.only("keepevicted", false)?;
        opts.only("keeporphans", false)?;
        opts.only("mvlist", false)?;
        for b in t.startswith.iter().chain(&t.endswith) {
            if has_subsearch(b) {
                return Err(unsupported(
                    "a subsearch in startswith/endswith is not supported",
                    span,
                ));
            }
        }
        Ok(Stage::Transaction(Transaction {
            fields: t.fields.clone(),
            starts: t.startswith.as_ref().map(search::compile),
            ends: t.endswith.as_ref().map(search::compile),
            maxspan,
            maxpause,
            maxevents,
        }))
    }
}

fn sort_keys(keys: &[ast::SortKey]) -> Result<Vec<program::SortKey>, CompileError> {
    keys.iter()
        .map(|k| {
            let how = match k.func.as_deref() {
                None | Some("auto") => SortAs::Auto,
                Some("str") => SortAs::Str,
                Some("num") => SortAs::Num,
                Some("ip") => SortAs::Ip,
                Some(other) => {
                    return Err(unsupported(
                        format!("`sort {other}()` is not a sort function (auto, str, num, ip)"),
                        k.span,
                    ))
                }
            };
            Ok(program::SortKey {
                field: k.field.clone(),
                desc: k.desc,
                how,
            })
        })
        .collect()
}

/// Every column a `lookup` names must exist in the table.
fn spec_columns(
    table: &crate::exec::lookup::LookupTable,
    spec: &crate::exec::lookup::LookupSpec,
    span: crate::span::Span,
) -> Result<(), CompileError> {
    for (col, _) in spec.inputs.iter().chain(&spec.outputs) {
        if !table.fields.iter().any(|f| f == col) {
            return Err(CompileError::Invalid {
                message: format!("lookup `{}` has no column `{col}`", table.name),
                span,
            });
        }
    }
    Ok(())
}

/// An option whose value is an eval expression (`reset_after="(…)"`), compiled; its
/// errors point at the option.
fn option_expr(opts: &mut Opts<'_>, name: &str) -> Result<Option<expr::CExpr>, CompileError> {
    let Some(o) = opts.take(name) else {
        return Ok(None);
    };
    let text = o.value.as_str();
    let mut c = crate::cursor::Cursor::new(text, 0, text.len());
    let parsed = crate::parse::expr::parse_expr(&mut c, false).and_then(|e| {
        c.skip_ws();
        if c.at_end() {
            Ok(e)
        } else {
            Err(c.error("unexpected text after the expression"))
        }
    });
    let e = parsed.map_err(|e| CompileError::Invalid {
        message: format!("`{name}=` is not an eval expression: {}", e.message),
        span: o.span,
    })?;
    let c = expr::compile(&e).map_err(|mut u| {
        u.span = o.span;
        CompileError::Unsupported(u)
    })?;
    Ok(Some(c))
}
