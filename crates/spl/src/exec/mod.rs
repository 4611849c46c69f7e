//! Runs a parsed [`Pipeline`] over in-memory rows. Before running, [`check_supported`]
//! walks the pipeline and names the first command, function or construct firedrill
//! cannot execute, so an unsupported search is reported, never silently empty.

mod check;
mod cidr;
pub mod commands;
pub mod eval;
pub mod explain;
pub mod extract;
pub mod functions;
mod hash;
pub mod lookup;
mod pipeline;
pub mod re;
pub mod reshape;
pub mod search;
pub mod stats;
mod stream;
mod text;
pub mod time;
pub mod wildcard;

pub use check::check_supported;
pub use pipeline::{run, run_observed};

use crate::span::{render_caret, Span};
use firedrill_value::{Event, Row};
use std::fmt;
use std::sync::Arc;

/// Where a search reads its data from: the raw events, CIM data model rows, and SSA
/// enriched events. The caller builds these once per dataset and reuses them.
pub trait Data: Sync {
    /// The events, with their search-time fields.
    fn events(&self) -> &[Event];
    /// The rows of a data model dataset such as `Endpoint.Processes`.
    fn datamodel(&self, name: &str) -> Result<Arc<Vec<Row>>, String>;
    /// The rows an SPL2 source reads (`read_ssa_enriched_events`, `source`).
    fn spl2_source(&self, name: &str) -> Result<Arc<Vec<Row>>, String>;
    /// A lookup table by definition name or file name; the error says why it is not
    /// available (KV store, ML model, missing file...).
    fn lookup(&self, name: &str) -> Result<Arc<lookup::LookupTable>, String> {
        Err(format!(
            "lookup `{name}` is not available: no lookups were loaded"
        ))
    }
}

/// The simplest [`Data`]: raw events only.
pub struct Source<'a> {
    events: &'a [Event],
}

impl<'a> Source<'a> {
    /// A source over `events` with no data models.
    pub fn events(events: &'a [Event]) -> Source<'a> {
        Source { events }
    }
}

impl Data for Source<'_> {
    fn events(&self) -> &[Event] {
        self.events
    }
    fn datamodel(&self, name: &str) -> Result<Arc<Vec<Row>>, String> {
        Err(format!("no data model mapping for `{name}` in this source"))
    }
    fn spl2_source(&self, name: &str) -> Result<Arc<Vec<Row>>, String> {
        Err(format!("no SPL2 source `{name}` in this source"))
    }
}

/// Something in a search that firedrill cannot execute.
#[derive(Clone, Debug, PartialEq)]
pub struct Unsupported {
    /// What is missing, e.g. "command `join` is not supported by firedrill yet".
    pub what: String,
    /// Where it is in the search text.
    pub span: Span,
}

impl Unsupported {
    /// The message with the search line and a caret.
    pub fn render(&self, text: &str) -> String {
        render_caret(text, self.span, &self.what)
    }
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecError {
    /// The search uses something firedrill cannot execute.
    Unsupported(Unsupported),
    /// An expression failed at run time (bad regex, wrong arguments...).
    Eval {
        /// What went wrong.
        message: String,
        /// Where.
        span: Span,
    },
    /// The data the search asks for is not available (unmapped data model...).
    Data {
        /// What is missing.
        message: String,
        /// Where.
        span: Span,
    },
}

impl ExecError {
    /// The error with the search line and a caret.
    pub fn render(&self, text: &str) -> String {
        match self {
            ExecError::Unsupported(u) => u.render(text),
            ExecError::Eval { message, span } | ExecError::Data { message, span } => {
                render_caret(text, *span, message)
            }
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Unsupported(u) => write!(f, "unsupported: {u}"),
            ExecError::Eval { message, .. } => write!(f, "{message}"),
            ExecError::Data { message, .. } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for ExecError {}
