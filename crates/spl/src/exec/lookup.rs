//! CSV lookups as Splunk's `lookup` and `inputlookup` use them: exact matches
//! (case-insensitive unless the definition says otherwise), `WILDCARD(field)` and
//! `CIDR(field)` match types, `min_matches`/`max_matches` and `default_match`.

use super::cidr::Cidr;
use super::wildcard::Wildcard;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use firedrill_value::{Fields, Row, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// A loaded lookup table with its definition's matching rules.
#[derive(Clone, Debug, Default)]
pub struct LookupTable {
    /// The lookup's name (for messages).
    pub name: String,
    /// Column names, in file order.
    pub fields: Vec<String>,
    /// Rows, one value per column.
    pub rows: Rows,
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
    /// Per-column match indexes, built on first use.
    index: OnceLock<Vec<OnceLock<ColumnIndex>>>,
}

/// A table's rows, with every cell's text in one buffer: a lookup file of 100,000
/// rows is a few allocations, not 300,000.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rows {
    text: String,
    /// Where each cell ends in `text`.
    cell_ends: Vec<usize>,
    /// Where each row's cells end in `cell_ends`.
    row_ends: Vec<usize>,
}

impl Rows {
    /// How many rows there are.
    pub fn len(&self) -> usize {
        self.row_ends.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.row_ends.is_empty()
    }

    /// Row `r`'s cell in column `c`, if the row has that many cells.
    pub fn get(&self, r: usize, c: usize) -> Option<&str> {
        let (first, end) = self.cells_of(r)?;
        let i = first + c;
        (i < end).then(|| self.cell(i))
    }

    /// Row `r`'s cells, in column order.
    pub fn row(&self, r: usize) -> impl Iterator<Item = &str> {
        let (first, end) = self.cells_of(r).unwrap_or((0, 0));
        (first..end).map(|i| self.cell(i))
    }

    /// Adds a row of cells, or none if a cell is an error (the first is returned).
    pub fn try_push<'a, E>(
        &mut self,
        cells: impl IntoIterator<Item = Result<&'a str, E>>,
    ) -> Result<(), E> {
        let (text, count) = (self.text.len(), self.cell_ends.len());
        for cell in cells {
            match cell {
                Ok(c) => {
                    self.text.push_str(c);
                    self.cell_ends.push(self.text.len());
                }
                Err(e) => {
                    self.text.truncate(text);
                    self.cell_ends.truncate(count);
                    return Err(e);
                }
            }
        }
        self.row_ends.push(self.cell_ends.len());
        Ok(())
    }

    /// Adds a row of cells.
    pub fn push<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        let ok: Result<(), std::convert::Infallible> = self.try_push(cells.into_iter().map(Ok));
        let Ok(()) = ok;
    }

    /// The first cell of row `r` and one past its last, in `cell_ends`.
    fn cells_of(&self, r: usize) -> Option<(usize, usize)> {
        let end = *self.row_ends.get(r)?;
        let first = if r == 0 { 0 } else { self.row_ends[r - 1] };
        Some((first, end))
    }

    fn cell(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.cell_ends[i - 1] };
        &self.text[start..self.cell_ends[i]]
    }
}

impl<S: AsRef<str>> From<Vec<Vec<S>>> for Rows {
    fn from(rows: Vec<Vec<S>>) -> Rows {
        let mut out = Rows::default();
        for r in &rows {
            out.push(r.iter().map(AsRef::as_ref));
        }
        out
    }
}

/// One table cell compiled for matching.
#[derive(Clone, Debug)]
enum Cell {
    /// Compared whole (folded when the table is case-insensitive).
    Exact,
    /// A `WILDCARD` cell with `*`, case-insensitive.
    Wild(Wildcard),
    /// A `WILDCARD` cell with `*`, case-sensitive.
    Glob(String),
    /// A `CIDR` cell; `None` when it is not a block or address (never matches).
    Cidr(Option<Cidr>),
}

impl Cell {
    /// Literal text every value this cell matches contains, if any.
    fn required(&self) -> Option<&[u8]> {
        match self {
            Cell::Wild(w) => w.longest_piece(),
            Cell::Glob(g) => g
                .split('*')
                .max_by_key(|p| p.len())
                .filter(|p| !p.is_empty())
                .map(str::as_bytes),
            Cell::Exact | Cell::Cidr(_) => None,
        }
    }
}

/// How to find the rows one column matches: exact cells by hash; pattern cells
/// by the literal each requires (one Aho-Corasick pass per value), the rest by scan.
#[derive(Clone, Debug, Default)]
struct ColumnIndex {
    cells: Vec<Cell>,
    exact: HashMap<String, Vec<usize>>,
    /// Finds the required literals of pattern cells in a value.
    literals: Option<AhoCorasick>,
    /// Rows per literal, in the automaton's pattern order.
    literal_rows: Vec<Vec<usize>>,
    /// Pattern cells without a literal (`*`, CIDR): tried on every value.
    scan: Vec<usize>,
}

impl ColumnIndex {
    fn new(cells: Vec<Cell>, keys: Vec<String>, case_sensitive: bool) -> ColumnIndex {
        let mut exact: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_literal: HashMap<&[u8], usize> = HashMap::new();
        let mut literals: Vec<&[u8]> = Vec::new();
        let mut literal_rows: Vec<Vec<usize>> = Vec::new();
        let mut scan = Vec::new();
        for (r, (cell, key)) in cells.iter().zip(keys).enumerate() {
            match (cell, cell.required()) {
                (Cell::Exact, _) => exact.entry(key).or_default().push(r),
                (_, Some(lit)) => {
                    let id = *by_literal.entry(lit).or_insert_with(|| {
                        literals.push(lit);
                        literal_rows.push(Vec::new());
                        literals.len() - 1
                    });
                    literal_rows[id].push(r);
                }
                (_, None) => scan.push(r),
            }
        }
        let automaton = (!literals.is_empty()).then(|| {
            // A contiguous NFA: a DFA over a large lookup's literals takes tens of
            // megabytes, for little speed over this one.
            AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .ascii_case_insensitive(!case_sensitive)
                .build(&literals)
                .expect("literal patterns always build")
        });
        ColumnIndex {
            literals: automaton,
            literal_rows,
            scan,
            exact,
            cells,
        }
    }
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
    /// A table read from a file, with Splunk's defaults: exact matches are
    /// case-sensitive, at most 1000 matches, no minimum.
    pub fn new(fields: Vec<String>, rows: Rows) -> LookupTable {
        LookupTable {
            fields,
            rows,
            case_sensitive: true,
            max_matches: 1000,
            ..LookupTable::default()
        }
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }

    fn key(&self, text: &str) -> String {
        if self.case_sensitive {
            text.to_string()
        } else {
            text.to_ascii_lowercase()
        }
    }

    fn build_column(&self, ci: usize) -> ColumnIndex {
        let name = &self.fields[ci];
        let cidr = self.cidr.iter().any(|c| c == name);
        let wild = self.wildcard.iter().any(|c| c == name);
        let mut cells = Vec::with_capacity(self.rows.len());
        let mut keys = Vec::with_capacity(self.rows.len());
        for r in 0..self.rows.len() {
            let text = self.rows.get(r, ci).unwrap_or("");
            cells.push(if cidr {
                Cell::Cidr(Cidr::parse(text))
            } else if wild && text.contains('*') {
                if self.case_sensitive {
                    Cell::Glob(text.to_string())
                } else {
                    Cell::Wild(Wildcard::new(text))
                }
            } else {
                Cell::Exact
            });
            keys.push(self.key(text));
        }
        ColumnIndex::new(cells, keys, self.case_sensitive)
    }

    fn column_index(&self, ci: usize) -> &ColumnIndex {
        let columns = self
            .index
            .get_or_init(|| self.fields.iter().map(|_| OnceLock::new()).collect());
        columns[ci].get_or_init(|| self.build_column(ci))
    }

    fn cell_matches(&self, index: &ColumnIndex, ci: usize, r: usize, value: &str) -> bool {
        match &index.cells[r] {
            Cell::Cidr(c) => c.is_some_and(|c| c.contains(value)),
            Cell::Wild(w) => w.matches(value),
            Cell::Glob(g) => super::rows::field_glob(g, value).is_some(),
            Cell::Exact => {
                let cell = self.rows.get(r, ci).unwrap_or("");
                if self.case_sensitive {
                    cell == value
                } else {
                    cell.eq_ignore_ascii_case(value)
                }
            }
        }
    }

    /// Rows whose cell in column `ci` matches any of `values`, in table order.
    fn candidates(&self, ci: usize, values: &[String]) -> Vec<usize> {
        let index = self.column_index(ci);
        let mut hits = Vec::new();
        for v in values {
            if let Some(rows) = index.exact.get(&self.key(v)) {
                hits.extend_from_slice(rows);
            }
            let mut tried = Vec::new();
            if let Some(ac) = &index.literals {
                for m in ac.find_overlapping_iter(v.as_str()) {
                    tried.extend_from_slice(&index.literal_rows[m.pattern().as_usize()]);
                }
            }
            tried.sort_unstable();
            tried.dedup();
            tried.extend_from_slice(&index.scan);
            hits.extend(
                tried
                    .into_iter()
                    .filter(|&r| self.cell_matches(index, ci, r, v)),
            );
        }
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    /// Indexes of the table rows matching `row` on the spec's inputs.
    fn matches(&self, spec: &LookupSpec, row: &dyn Fields) -> Option<Vec<usize>> {
        let mut cols = Vec::new();
        for (col, field) in &spec.inputs {
            let ci = self.column(col)?;
            let values: Vec<String> = row
                .get_str(field)?
                .values()
                .iter()
                .map(|v| v.to_string())
                .collect();
            if values.is_empty() {
                return None;
            }
            cols.push((ci, values));
        }
        let ((first, first_values), rest) = cols.split_first()?;
        let hits: Vec<usize> = self
            .candidates(*first, first_values)
            .into_iter()
            .filter(|&r| {
                rest.iter().all(|(ci, values)| {
                    let index = self.column_index(*ci);
                    values.iter().any(|v| self.cell_matches(index, *ci, r, v))
                })
            })
            .take(self.max_matches.max(1))
            .collect();
        Some(hits)
    }
}

/// The outputs of `lookup` for one event: (event field, its new value, or `None` to
/// remove it); a field `OUTPUTNEW` leaves alone is not listed. `outputs` comes from
/// [`output_columns`].
pub fn lookup_one(
    ev: &dyn Fields,
    table: &LookupTable,
    spec: &LookupSpec,
    outputs: &[(usize, String)],
) -> Vec<(String, Option<Value>)> {
    let hits = table.matches(spec, ev).unwrap_or_default();
    let mut out = Vec::new();
    for (ci, field) in outputs {
        if spec.output_new && ev.get_str(field).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let mut vals: Vec<Value> = hits
            .iter()
            .filter_map(|&h| table.rows.get(h, *ci))
            .filter(|s| !s.is_empty())
            .map(Value::str)
            .collect();
        if hits.len() < table.min_matches {
            if let Some(d) = &table.default_match {
                vals.push(Value::str(d.as_str()));
            }
        }
        let v = Value::multi(vals);
        if v.is_null() {
            if !spec.output_new {
                out.push((field.clone(), None));
            }
        } else {
            out.push((field.clone(), Some(v)));
        }
    }
    out
}

/// The (column, event field) pairs `spec` writes: its OUTPUT list, or every column
/// it does not match on; an unknown column is an error.
pub fn output_columns(
    table: &LookupTable,
    spec: &LookupSpec,
) -> Result<Vec<(usize, String)>, String> {
    for (col, _) in &spec.inputs {
        if table.column(col).is_none() {
            return Err(format!("lookup `{}` has no column `{col}`", table.name));
        }
    }
    if spec.outputs.is_empty() {
        return Ok(table
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !spec.inputs.iter().any(|(c, _)| c == *f))
            .map(|(i, f)| (i, f.clone()))
            .collect());
    }
    spec.outputs
        .iter()
        .map(|(col, field)| {
            table
                .column(col)
                .map(|ci| (ci, field.clone()))
                .ok_or_else(|| format!("lookup `{}` has no column `{col}`", table.name))
        })
        .collect()
}

/// Reads a lookup CSV (header row, then values); errors name the file and line.
pub fn read_csv(path: &std::path::Path) -> Result<LookupTable, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let fields: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut rows = Rows::default();
    let mut rec = csv::ByteRecord::new();
    for i in 0.. {
        let line = i + 2;
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("{}: line {line}: {e}", path.display())),
        }
        rows.try_push(rec.iter().enumerate().map(|(f, cell)| {
            std::str::from_utf8(cell).map_err(|e| {
                format!(
                    "{}: line {line}: field {}: invalid UTF-8: {e}",
                    path.display(),
                    f + 1
                )
            })
        }))?;
    }
    Ok(LookupTable::new(fields, rows))
}

/// Applies `lookup` to every row.
pub fn lookup(rows: &mut [Row], table: &LookupTable, spec: &LookupSpec) -> Result<(), String> {
    let outputs = output_columns(table, spec)?;
    for row in rows.iter_mut() {
        for (field, v) in lookup_one(&*row, table, spec, &outputs) {
            match v {
                Some(v) => {
                    row.insert(field, v);
                }
                None => {
                    row.remove(&field);
                }
            }
        }
    }
    Ok(())
}

/// `inputlookup`: the table's rows as results.
pub fn inputlookup(table: &LookupTable) -> Vec<Row> {
    (0..table.rows.len())
        .map(|r| {
            table
                .fields
                .iter()
                .zip(table.rows.row(r))
                .filter(|(_, v)| !v.is_empty())
                .map(|(f, v)| (f.clone(), Value::str(v)))
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
                vec!["*.evil.example", "true"],
                vec!["exact.example", "maybe"],
            ]
            .into(),
            wildcard: vec!["domain".into()],
            cidr: vec![],
            case_sensitive: false,
            min_matches: 1,
            max_matches: 1000,
            default_match: Some("false".into()),
            ..LookupTable::default()
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
    fn rows_keep_each_rows_cells_however_many() {
        let mut rows = Rows::from(vec![vec!["a", "", "c"], vec![], vec!["d"]]);
        assert_eq!(
            (rows.len(), rows.get(0, 1), rows.get(0, 2)),
            (3, Some(""), Some("c"))
        );
        assert_eq!(
            (rows.get(0, 3), rows.get(1, 0), rows.get(3, 0)),
            (None, None, None)
        );
        assert_eq!(rows.row(2).collect::<Vec<_>>(), ["d"]);
        // A row with a bad cell is not added, and leaves nothing behind.
        assert_eq!(rows.try_push([Ok("x"), Err(7), Ok("y")]), Err(7));
        rows.push(["e", "f"]);
        assert_eq!(rows.row(3).collect::<Vec<_>>(), ["e", "f"]);
        assert_eq!(rows.len(), 4);
    }

    #[test]
    fn a_csv_cell_that_is_not_utf8_is_an_error_naming_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, b"a,b\n1,x\n2,\xff\n").unwrap();
        let e = read_csv(&p).unwrap_err();
        assert!(e.contains("t.csv: line 3: field 2: invalid UTF-8"), "{e}");
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
            rows: vec![vec!["10.0.0.0/8", "internal"]].into(),
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
