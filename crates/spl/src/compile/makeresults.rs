//! `makeresults`: the rows a search makes up for itself.
//!
//! As the Search Reference documents it: `count` results (default 1) with only
//! `_time`, the time the search runs; `annotate=true` adds `_raw`, `host`, `source`,
//! `sourcetype`, `splunk_server` and `splunk_server_group` (all null but
//! `splunk_server`, which names the server: here `firedrill`); `format=csv|json
//! data=…` makes one result per CSV record or JSON object instead, and `count` and
//! `annotate` are then not used. Each generated row is also given `_time` (an
//! undocumented choice: Splunk's results show it; nothing in a verdict depends on it).
//! `splunk_server` and `splunk_server_group` options pick the server that runs it and
//! change nothing offline.

use super::opts::Opts;
use crate::ast::Command;
use crate::error::CompileError;
use crate::program::Stage;
use firedrill_value::{Row, Value};

/// The largest `count` accepted: the rows are held in memory.
const MAX_COUNT: usize = 1_000_000;

pub(crate) fn compile(cmd: &Command) -> Result<Stage, CompileError> {
    let mut opts = Opts::new(cmd);
    opts.no_effect(&["splunk_server", "splunk_server_group"]);
    let count = opts.count("count")?.unwrap_or(1);
    let annotate = opts.bool("annotate")?.unwrap_or(false);
    let format = opts.take("format");
    let data = opts.take("data");
    opts.finish()?;
    let invalid = |message: String, span| CompileError::Invalid { message, span };
    if count > MAX_COUNT {
        return Err(invalid(
            format!("`makeresults count={count}`: at most {MAX_COUNT} results"),
            cmd.span,
        ));
    }
    let rows = match (format, data) {
        (None, None) => Vec::new(),
        (Some(f), None) => {
            return Err(invalid(
                format!("`format={}` needs `data=`", f.value),
                f.span,
            ))
        }
        (format, Some(d)) => {
            let kind = format.map(|f| (f.value.to_ascii_lowercase(), f.span));
            match kind.as_ref().map(|(k, s)| (k.as_str(), *s)) {
                None | Some(("csv", _)) => csv_rows(&d.value).map_err(|m| invalid(m, d.span))?,
                Some(("json", _)) => json_rows(&d.value).map_err(|m| invalid(m, d.span))?,
                Some((other, span)) => {
                    return Err(invalid(
                        format!("`format={other}`: makeresults reads csv or json"),
                        span,
                    ))
                }
            }
        }
    };
    Ok(Stage::Makeresults {
        count,
        annotate,
        rows,
    })
}

fn csv_rows(data: &str) -> Result<Vec<Row>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(data.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("`data=`: {e}"))?
        .clone();
    reader
        .records()
        .map(|r| {
            let r = r.map_err(|e| format!("`data=`: {e}"))?;
            Ok(headers
                .iter()
                .zip(r.iter())
                .filter(|(_, v)| !v.is_empty())
                .map(|(h, v)| (h.to_string(), Value::str(v)))
                .collect())
        })
        .collect()
}

fn json_rows(data: &str) -> Result<Vec<Row>, String> {
    let parsed: serde_json::Value =
        serde_json::from_str(data).map_err(|e| format!("`data=` is not JSON: {e}"))?;
    let objects = match parsed {
        serde_json::Value::Array(items) => items,
        one @ serde_json::Value::Object(_) => vec![one],
        _ => return Err("`data=`: a JSON object or an array of objects".into()),
    };
    objects
        .into_iter()
        .map(|o| match o {
            serde_json::Value::Object(m) => Ok(m
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, json_value(v)))
                .collect()),
            _ => Err("`data=`: every item is a JSON object".into()),
        })
        .collect()
}

fn json_value(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(items) => {
            Value::Multi(items.into_iter().map(json_value).collect())
        }
        other => Value::Str(other.to_string()),
    }
}

/// The rows, stamped with the time the search runs.
pub(crate) fn generate(count: usize, annotate: bool, data: &[Row]) -> Vec<Row> {
    let now = Value::Num(crate::exec::time::now().floor());
    if !data.is_empty() {
        return data
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.insert("_time".into(), now.clone());
                r
            })
            .collect();
    }
    (0..count)
        .map(|_| {
            let mut r = Row::new();
            r.insert("_time".into(), now.clone());
            if annotate {
                r.insert("splunk_server".into(), Value::str("firedrill"));
            }
            r
        })
        .collect()
}
