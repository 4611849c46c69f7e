//! CSV lookups as Splunk's `lookup` and `inputlookup` use them: exact matches
//! (case-insensitive unless the definition says otherwise), `WILDCARD(field)` and
//! `CIDR(field)` match types, `min_matches`/`max_matches` and `default_match`.

use super::cidr::cidr_match;
use super::wildcard::Wildcard;
use firedrill_value::{Row, Value};

/// A loaded lookup table with its definition's matching rules.
#[derive(Clone, Debug, Default)]
pub struct LookupTable {
    /// The lookup's name (for messages).
    pub name: String,
    /// Column names, in file order.
    pub fields: Vec<String>,
    /// Rows, one value per column.
    pub rows: Vec<Vec<String>>,
    /// Columns whose table values are `*` patterns (`WILDCARD(col)`).
    pub wildcard: Vec<String>,
    /// Columns whose table values are CIDR blocks (`CIDR(col)`).
    pub cidr: Vec<String>,
    /// Exact matches compare case-sensitively (Splunk's default is true).
    pub case_sensitive: bool,
    /// Fewer matches than this are padded with `default_match`.
    pub min_matches: usize,
    /// At most this many matches per input (Splunk's default 1000).
    pub max_matches: usize,
    /// The value output when there are fewer than `min_matches` matches.
    pub default_match: Option<String>,
}

/// One `lookup` command's field mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct LookupSpec {
    /// The lookup name.
    pub table: String,
    /// (lookup column, event field) pairs to match on.
    pub inputs: Vec<(String, String)>,
    /// (lookup column, event field) pairs to write; empty means every other column.
    pub outputs: Vec<(String, String)>,
    /// `OUTPUTNEW`: only write fields the row does not have.
    pub output_new: bool,
}

impl LookupTable {
    fn column(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }

    fn cell_matches(&self, col: &str, cell: &str, value: &str) -> bool {
        if self.cidr.iter().any(|c| c == col) {
            return cidr_match(cell, value);
        }
        if self.wildcard.iter().any(|c| c == col) && cell.contains('*') {
            return if self.case_sensitive {
                super::rows::field_glob(cell, value).is_some()
            } else {
                Wildcard::new(cell).matches(value)
            };
        }
        if self.case_sensitive {
            cell == value
        } else {
            cell.eq_ignore_ascii_case(value)
        }
    }

    /// Indexes of the table rows matching `row` on the spec's inputs.
    fn matches(&self, spec: &LookupSpec, row: &Row) -> Option<Vec<usize>> {
        let mut cols = Vec::new();
        for (col, field) in &spec.inputs {
            let ci = self.column(col)?;
            let values: Vec<String> = row
                .get(field)?
                .values()
                .iter()
                .map(|v| v.to_string())
                .collect();
            if values.is_empty() {
                return None;
            }
            cols.push((ci, col.as_str(), values));
        }
        let hits: Vec<usize> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                cols.iter().all(|(ci, col, values)| {
                    let cell = r.get(*ci).map(String::as_str).unwrap_or("");
                    values.iter().any(|v| self.cell_matches(col, cell, v))
                })
            })
            .map(|(i, _)| i)
            .take(self.max_matches.max(1))
            .collect();
        Some(hits)
    }
}

/// Applies `lookup` to every row.
pub fn lookup(rows: &mut [Row], table: &LookupTable, spec: &LookupSpec) -> Result<(), String> {
    for (col, _) in &spec.inputs {
        if table.column(col).is_none() {
            return Err(format!("lookup `{}` has no column `{col}`", table.name));
        }
    }
    let outputs: Vec<(usize, String)> = if spec.outputs.is_empty() {
        table
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !spec.inputs.iter().any(|(c, _)| c == *f))
            .map(|(i, f)| (i, f.clone()))
            .collect()
    } else {
        let mut v = Vec::new();
        for (col, field) in &spec.outputs {
            let ci = table
                .column(col)
                .ok_or_else(|| format!("lookup `{}` has no column `{col}`", table.name))?;
            v.push((ci, field.clone()));
        }
        v
    };
    for row in rows.iter_mut() {
        let hits = table.matches(spec, row).unwrap_or_default();
        for (ci, field) in &outputs {
            if spec.output_new && row.get(field).is_some_and(|v| !v.is_null()) {
                continue;
            }
            let mut vals: Vec<Value> = hits
                .iter()
                .filter_map(|&h| table.rows[h].get(*ci))
                .filter(|s| !s.is_empty())
                .map(|s| Value::str(s.as_str()))
                .collect();
            if hits.len() < table.min_matches {
                if let Some(d) = &table.default_match {
                    vals.push(Value::str(d.as_str()));
                }
            }
            let v = Value::multi(vals);
            if v.is_null() {
                if !spec.output_new {
                    row.remove(field);
                }
            } else {
                row.insert(field.clone(), v);
            }
        }
    }
    Ok(())
}

/// `inputlookup`: the table's rows as results.
pub fn inputlookup(table: &LookupTable) -> Vec<Row> {
    table
        .rows
        .iter()
        .map(|r| {
            table
                .fields
                .iter()
                .zip(r)
                .filter(|(_, v)| !v.is_empty())
                .map(|(f, v)| (f.clone(), Value::str(v.as_str())))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> LookupTable {
        LookupTable {
            name: "t".into(),
            fields: vec!["domain".into(), "is_bad".into()],
            rows: vec![
                vec!["*.evil.example".into(), "true".into()],
                vec!["exact.example".into(), "maybe".into()],
            ],
            wildcard: vec!["domain".into()],
            cidr: vec![],
            case_sensitive: false,
            min_matches: 1,
            max_matches: 1000,
            default_match: Some("false".into()),
        }
    }

    fn spec(output_new: bool) -> LookupSpec {
        LookupSpec {
            table: "t".into(),
            inputs: vec![("domain".into(), "query".into())],
            outputs: vec![("is_bad".into(), "bad".into())],
            output_new,
        }
    }

    #[test]
    fn wildcard_default_and_case() {
        let mut rows = vec![
            Row::from([("query".to_string(), Value::str("a.EVIL.example"))]),
            Row::from([("query".to_string(), Value::str("good.example"))]),
            Row::from([("query".to_string(), Value::str("EXACT.example"))]),
        ];
        lookup(&mut rows, &table(), &spec(false)).unwrap();
        assert_eq!(rows[0]["bad"], Value::str("true"));
        assert_eq!(rows[1]["bad"], Value::str("false"));
        assert_eq!(rows[2]["bad"], Value::str("maybe"));
    }

    #[test]
    fn cidr_and_outputnew() {
        let t = LookupTable {
            name: "nets".into(),
            fields: vec!["net".into(), "zone".into()],
            rows: vec![vec!["10.0.0.0/8".into(), "internal".into()]],
            cidr: vec!["net".into()],
            max_matches: 1000,
            ..LookupTable::default()
        };
        let spec = LookupSpec {
            table: "nets".into(),
            inputs: vec![("net".into(), "ip".into())],
            outputs: vec![("zone".into(), "zone".into())],
            output_new: true,
        };
        let mut rows = vec![
            Row::from([("ip".to_string(), Value::str("10.2.3.4"))]),
            Row::from([
                ("ip".to_string(), Value::str("10.2.3.4")),
                ("zone".to_string(), Value::str("kept")),
            ]),
        ];
        lookup(&mut rows, &t, &spec).unwrap();
        assert_eq!(rows[0]["zone"], Value::str("internal"));
        assert_eq!(rows[1]["zone"], Value::str("kept"));
    }
}
