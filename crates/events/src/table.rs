//! Loading the embedded data tables (`data/*.yml`). A table that does not parse, or
//! names an operation or pattern that does not compile, is an error that names the
//! table and the line and column serde reports — never an empty table.

use serde::de::DeserializeOwned;
use std::fmt;

/// An embedded table that could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableError {
    /// The table, e.g. `data/ssa.yml`.
    pub table: String,
    /// 1-based line and column of the error, when serde knows them.
    pub at: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((l, c)) => write!(f, "{}:{l}:{c}: {}", self.table, self.message),
            None => write!(f, "{}: {}", self.table, self.message),
        }
    }
}

impl std::error::Error for TableError {}

/// Parses `text` (the table `name`) into `T`.
pub(crate) fn parse<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, TableError> {
    serde_yaml_ng::from_str(text).map_err(|e| TableError {
        table: name.to_string(),
        at: e.location().map(|l| (l.line(), l.column())),
        message: e.to_string(),
    })
}

/// The table, or a panic naming it: the embedded tables are part of the binary and a
/// unit test loads each, so a broken one is a build defect to report loudly, not data
/// to work around.
pub(crate) fn expect<T>(r: Result<T, TableError>) -> T {
    match r {
        Ok(t) => t,
        Err(e) => panic!("embedded data table is broken: {e}"),
    }
}
