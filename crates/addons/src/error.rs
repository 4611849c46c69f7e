//! Errors in add-on files: a kind, the file and the line.

use std::fmt;
use std::path::PathBuf;

/// What kind of problem an add-on file has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The directory or a file could not be read.
    Io,
    /// A line is not `[stanza]`, `key = value` or a comment.
    Syntax,
    /// A regular expression does not compile.
    Regex,
    /// A calculated field's expression does not parse.
    Eval,
    /// A `REPORT-` names a transform that no `transforms.conf` defines.
    Reference,
    /// A setting's value is not one it takes (`MV_ADD = maybe`).
    Value,
    /// An event type's search or a data model constraint does not parse.
    Search,
    /// A data model definition is not Splunk's data model JSON.
    DataModel,
}

/// A problem in an add-on file, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddonError {
    /// The kind.
    pub kind: ErrorKind,
    /// The file (or directory, for [`ErrorKind::Io`]).
    pub file: PathBuf,
    /// 1-based line (0 when the problem is the whole file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl AddonError {
    pub(crate) fn new(
        kind: ErrorKind,
        file: impl Into<PathBuf>,
        line: usize,
        message: impl Into<String>,
    ) -> AddonError {
        AddonError {
            kind,
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for AddonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}

impl std::error::Error for AddonError {}
