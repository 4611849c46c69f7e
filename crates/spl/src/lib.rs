//! A Splunk SPL engine for firedrill: lexer and parser with source spans, and an
//! executor over in-memory rows with Splunk's semantics.
//!
//! ```
//! use firedrill_spl::{parse, run, Source};
//! use firedrill_value::{Event, Value};
//!
//! let mut event = Event::new("login ok".into(), 0.0, "host1", "auth", "demo");
//! event.set("user", Value::str("alice"));
//! let events = vec![event];
//! let pipeline = parse("user=ALICE | stats count by user").unwrap();
//! let rows = run(&pipeline, &Source::events(&events)).unwrap();
//! assert_eq!(rows[0]["count"], Value::Num(1.0));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ast;
mod cursor;
pub mod exec;
pub mod parse;
pub mod span;
pub mod spl2;
mod unparse;

pub use exec::{check_supported, run, ExecError, Source, Unsupported};
pub use parse::parse;
pub use span::{ParseError, Span};
