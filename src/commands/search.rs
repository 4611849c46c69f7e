//! `firedrill search 'SPL' [FILE…]`: an ad-hoc search over event files, its rows
//! printed as Splunk's results table would show them.
//!
//! Columns: in the order the search gives them (`table`, the by-fields then the
//! aggregations of `stats`/`tstats`, `top`'s fields, `chart`'s row field), then any
//! other field alphabetically. A search that returns events (no `table`, no
//! transforming command) shows `_time` and `_raw`, as Splunk's events list does.
//! `_time` is printed as a UTC date and time. Over files, a search that starts with a
//! command that reads no events (`| stats count by host`) runs over the files' events.
//! Exit code: 0 with rows, 1 without, 2 on an error (like grep).

use crate::cli::{RowsFormat, SearchArgs};
use firedrill::{lookups::Lookups, source};
use firedrill_content::{expand_macros, load_content, MacroSet};
use firedrill_spl::ast::{CommandKind, Pipeline};
use firedrill_value::{Row, Value};
use std::io::Write;

/// Table cells longer than this are cut (JSON and CSV keep whole values).
const CELL: usize = 200;

pub fn search(a: SearchArgs) -> Result<u8, String> {
    let (macros, contents) = match &a.content {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(format!("--content {}: no such directory", dir.display()));
            }
            let c = load_content(dir);
            let mut m = MacroSet::default();
            for x in c.macros.iter() {
                m.insert(x.clone());
            }
            (m, vec![c])
        }
        None => (MacroSet::default(), Vec::new()),
    };
    // `| stats count by host` over files means the files' events, as a search bar's
    // `* | stats …` would: a leading command that reads no events gets `search *`.
    let spl = match a.spl.trim_start().strip_prefix('|') {
        Some(rest) if !a.files.is_empty() && !generating(rest) => format!("search * |{rest}"),
        _ => a.spl.clone(),
    };
    let expanded = expand_macros(&spl, &macros)
        .map_err(|e| {
            format!(
                "{e}{}",
                if a.content.is_none() {
                    " (give --content DIR for the content's macros)"
                } else {
                    ""
                }
            )
        })?
        .text;
    let pipeline = firedrill_spl::parse(&expanded).map_err(|e| e.render())?;
    let lookups = Lookups::new(&contents).with_geoip(super::addons::geoip(&a.geo)?);
    let program = firedrill_spl::compile(&pipeline, &lookups).map_err(|e| e.render(&expanded))?;
    let addons = super::addons::load(&a.addons, false)?;
    let mut state = program.start();
    for file in &a.files {
        let mut opened = source::open_file(file, a.source.clone(), a.sourcetype.clone())?;
        opened.knowledge = super::addons::knowledge(&addons);
        super::feed(&program, &mut state, &opened, &expanded)?;
    }
    let rows = state.finish().map_err(|e| e.render(&expanded))?;
    let columns = columns(&pipeline, &rows);
    let out = std::io::stdout();
    let mut out = out.lock();
    let written = match a.format {
        RowsFormat::Table => table(&mut out, &columns, &rows),
        RowsFormat::Json => json(&mut out, &columns, &rows),
        RowsFormat::Csv => csv(&mut out, &columns, &rows),
    };
    // A closed pipe (`| head`) is not an error.
    if let Err(e) = written.and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.to_string());
        }
    }
    Ok(if rows.is_empty() { 1 } else { 0 })
}

/// True when the command at the start of `rest` makes its own rows.
fn generating(rest: &str) -> bool {
    let name = rest
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        name.as_str(),
        "makeresults"
            | "tstats"
            | "inputlookup"
            | "from"
            | "search"
            | "rest"
            | "metadata"
            | "mstats"
    )
}

/// The column order the search's commands give, if they give one.
fn hint(p: &Pipeline) -> Option<Vec<String>> {
    let mut hint: Option<Vec<String>> = None;
    for c in &p.commands {
        match &c.kind {
            CommandKind::Table(f) => hint = Some(f.clone()),
            CommandKind::Fields {
                remove: false,
                fields,
            } => hint = Some(fields.clone()),
            CommandKind::Stats(s) if matches!(c.name.as_str(), "stats" | "timechart") => {
                let lead = if c.name == "timechart" {
                    vec!["_time".to_string()]
                } else {
                    Vec::new()
                };
                hint = Some(
                    lead.into_iter()
                        .chain(s.by.iter().cloned())
                        .chain(s.aggs.iter().map(|a| a.alias.clone()))
                        .collect(),
                );
            }
            CommandKind::Stats(s) => {
                if let Some(h) = hint.as_mut() {
                    h.extend(s.aggs.iter().map(|a| a.alias.clone()));
                }
            }
            CommandKind::Tstats(t) => {
                hint = Some(
                    t.stats
                        .by
                        .iter()
                        .cloned()
                        .chain(t.stats.aggs.iter().map(|a| a.alias.clone()))
                        .collect(),
                )
            }
            CommandKind::Top { fields, by, .. } => {
                hint = Some(
                    by.iter()
                        .chain(fields)
                        .cloned()
                        .chain(["count".into(), "percent".into()])
                        .collect(),
                )
            }
            CommandKind::Chart { row, .. } => hint = Some(row.iter().cloned().collect()),
            CommandKind::Rename(pairs) => {
                if let Some(h) = hint.as_mut() {
                    for (from, to) in pairs {
                        for name in h.iter_mut() {
                            if let Some(caps) = firedrill_spl::exec::field_glob(from, name) {
                                *name = firedrill_spl::exec::glob_target(to, caps);
                            }
                        }
                    }
                }
            }
            CommandKind::Eval(assigns) => {
                if let Some(h) = hint.as_mut() {
                    for (f, _) in assigns {
                        if !h.contains(f) {
                            h.push(f.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    hint
}

/// The columns to print: the search's order (wildcards expanded against the rows),
/// then the other fields the rows have.
fn columns(p: &Pipeline, rows: &[Row]) -> Vec<String> {
    let present: std::collections::BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| r.keys().map(String::as_str))
        .collect();
    let mut out: Vec<String> = Vec::new();
    let push = |n: &str, out: &mut Vec<String>| {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    };
    match hint(p) {
        Some(h) => {
            for name in &h {
                for f in present
                    .iter()
                    .filter(|f| firedrill_spl::exec::field_glob(name, f).is_some())
                {
                    push(f, &mut out);
                }
            }
            for f in present.iter().filter(|f| !f.starts_with('_')) {
                push(f, &mut out);
            }
        }
        // Events: what Splunk's events list shows.
        None if present.contains("_raw") => {
            for f in ["_time", "_raw"] {
                if present.contains(f) {
                    push(f, &mut out);
                }
            }
        }
        None => {
            if present.contains("_time") {
                push("_time", &mut out);
            }
            for f in present.iter().filter(|f| !f.starts_with('_')) {
                push(f, &mut out);
            }
        }
    }
    out
}

fn time_text(v: &Value, iso: bool) -> String {
    match v.as_num() {
        Some(t) => {
            let secs = t.floor() as i64;
            let nanos = ((t - t.floor()) * 1e9).round() as u32;
            match chrono::DateTime::from_timestamp(secs, nanos.min(999_999_999)) {
                Some(_) if iso => firedrill::report::iso_time(v),
                Some(d) if nanos > 0 => d.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
                Some(d) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
                None => v.to_string(),
            }
        }
        None => v.to_string(),
    }
}

fn cell(name: &str, v: Option<&Value>, joiner: &str) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(v) if name == "_time" => time_text(v, false),
        Some(Value::Multi(vs)) => vs
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(joiner),
        Some(v) => v.to_string(),
    }
}

fn table(out: &mut dyn Write, columns: &[String], rows: &[Row]) -> std::io::Result<()> {
    if columns.is_empty() {
        return Ok(());
    }
    let cut = |s: String| -> String {
        let s = s.replace(['\n', '\r', '\t'], " ");
        if s.chars().count() > CELL {
            s.chars().take(CELL - 1).chain(['…']).collect()
        } else {
            s
        }
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| cut(cell(c, r.get(c), ", ")))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut dyn Write, items: &[String]| -> std::io::Result<()> {
        let last = items.len() - 1;
        for (i, s) in items.iter().enumerate() {
            if i == last {
                writeln!(out, "{s}")?;
            } else {
                write!(out, "{s:<w$}  ", w = widths[i])?;
            }
        }
        Ok(())
    };
    line(out, columns)?;
    for r in &cells {
        line(out, r)?;
    }
    Ok(())
}

fn json(out: &mut dyn Write, columns: &[String], rows: &[Row]) -> std::io::Result<()> {
    for r in rows {
        let mut m = serde_json::Map::new();
        for c in columns {
            let v = match r.get(c) {
                None | Some(Value::Null) => continue,
                Some(v) if c == "_time" => serde_json::Value::String(time_text(v, true)),
                Some(Value::Multi(vs)) => serde_json::Value::Array(
                    vs.iter()
                        .map(|x| serde_json::Value::String(x.to_string()))
                        .collect(),
                ),
                Some(v) => serde_json::Value::String(v.to_string()),
            };
            m.insert(c.clone(), v);
        }
        writeln!(out, "{}", serde_json::Value::Object(m))?;
    }
    Ok(())
}

fn csv(out: &mut dyn Write, columns: &[String], rows: &[Row]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(columns)?;
    for r in rows {
        w.write_record(columns.iter().map(|c| cell(c, r.get(c), "\n")))?;
    }
    w.flush()
}
