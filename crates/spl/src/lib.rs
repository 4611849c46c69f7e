//! A Splunk SPL engine for firedrill: parse → compile → run. The parser keeps source
//! spans; compilation resolves every command, function, aggregation and option through
//! its registry (anything unknown is reported with its span); the program then runs
//! over events as they stream past, holding only what its stateful commands need.
//!
//! ```
//! use firedrill_spl::{compile, parse, NoLookups};
//! use firedrill_value::{Row, Value};
//!
//! let mut event = Row::new();
//! event.insert("_raw".into(), Value::str("login ok"));
//! event.insert("user".into(), Value::str("alice"));
//! let program = compile(&parse("user=ALICE | stats count by user").unwrap(), &NoLookups).unwrap();
//! let rows = firedrill_spl::run(&program, &[event]).unwrap();
//! assert_eq!(rows[0]["count"], Value::Num(1.0));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aggs;
pub mod ast;
mod compile;
mod cursor;
mod error;
pub mod exec;
pub mod explain;
pub mod expr;
pub mod geo;
mod groupkey;
pub mod needs;
pub mod parse;
mod program;
pub mod search;
pub mod span;
pub mod spl2;
mod unparse;

pub use compile::{compile, compile_plain, Env, NoLookups, NO_GEOIP};
pub use error::{CompileError, ExecError, Unsupported};
pub use exec::{event_time, State};
pub use geo::{GeoIp, Location};
pub use needs::FieldSet;
pub use parse::parse;
pub use program::{PipeId, Program, Source};
pub use span::{ParseError, Span};

use firedrill_value::Row;

/// Runs a program over `events` as its raw events (a pipe that reads a data model or
/// an SPL2 source is an error here: those views come from the event readers).
pub fn run(program: &Program, events: &[Row]) -> Result<Vec<Row>, ExecError> {
    let mut state = program.start();
    let inputs: Vec<(PipeId, Source)> = program.inputs().map(|(id, s)| (id, s.clone())).collect();
    for (id, source) in inputs {
        match source {
            Source::Events | Source::Indexed => {
                for e in events {
                    state.offer(id, e)?;
                }
            }
            Source::DataModel(name) | Source::DataModelEvents(name) | Source::Spl2(name) => {
                return Err(ExecError::Data {
                    message: format!("no data model or SPL2 source `{name}` over plain rows"),
                    span: Span::default(),
                })
            }
            Source::Lookup(_) | Source::Input => {}
        }
    }
    state.finish()
}

/// Parses, compiles (without lookups) and runs `search` over `events`; errors as
/// text. For tests and examples.
pub fn search_rows(search: &str, events: &[Row]) -> Result<Vec<Row>, String> {
    let p = parse(search).map_err(|e| e.render())?;
    let program = compile(&p, &NoLookups).map_err(|e| e.render(search))?;
    run(&program, events).map_err(|e| e.render(search))
}
