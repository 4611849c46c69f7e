//! Errors of compiling and running a search, each with the span it points at.

use crate::span::{render_caret, Span};
use std::fmt;

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

/// Why a search could not be compiled.
#[derive(Clone, Debug, PartialEq)]
pub enum CompileError {
    /// It uses something firedrill does not implement (a skip, not a failure).
    Unsupported(Unsupported),
    /// It is wrong as written: a bad option value, a lookup column that does not
    /// exist (an error, as Splunk would refuse it too).
    Invalid {
        /// What is wrong.
        message: String,
        /// Where.
        span: Span,
    },
}

impl CompileError {
    /// The error with the search line and a caret.
    pub fn render(&self, text: &str) -> String {
        match self {
            CompileError::Unsupported(u) => u.render(text),
            CompileError::Invalid { message, span } => render_caret(text, *span, message),
        }
    }

    /// The span it points at.
    pub fn span(&self) -> Span {
        match self {
            CompileError::Unsupported(u) => u.span,
            CompileError::Invalid { span, .. } => *span,
        }
    }
}

impl From<Unsupported> for CompileError {
    fn from(u: Unsupported) -> Self {
        CompileError::Unsupported(u)
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::Unsupported(u) => write!(f, "unsupported: {u}"),
            CompileError::Invalid { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for CompileError {}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecError {
    /// The search uses something firedrill cannot execute (found only at run time:
    /// a `foreach` template).
    Unsupported(Unsupported),
    /// An expression failed at run time (a regex computed per row that does not
    /// compile…).
    Eval {
        /// What went wrong.
        message: String,
        /// Where.
        span: Span,
    },
    /// The data the search asks for is not available (an unmapped data model…).
    Data {
        /// What is missing.
        message: String,
        /// Where.
        span: Span,
    },
    /// The deadline given to [`State::finish_by`](crate::State::finish_by) passed
    /// before the command at `span` started.
    Stopped {
        /// The command it stopped before.
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
            ExecError::Stopped { span } => render_caret(text, *span, &self.to_string()),
        }
    }
}

impl From<crate::expr::EvalError> for ExecError {
    fn from(e: crate::expr::EvalError) -> Self {
        ExecError::Eval {
            message: e.message,
            span: e.span,
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Unsupported(u) => write!(f, "unsupported: {u}"),
            ExecError::Eval { message, .. } => write!(f, "{message}"),
            ExecError::Data { message, .. } => write!(f, "{message}"),
            ExecError::Stopped { .. } => write!(f, "out of time before this command"),
        }
    }
}

impl std::error::Error for ExecError {}
