//! `explain`: runs a program over a stream of events counting the rows each command
//! of the main search takes in and gives out, and for a filtering command, how many
//! of its incoming rows each of its conditions keeps on its own — so where the last
//! candidates disappear, the condition that dropped them is named. The question every
//! detection engineer asks when a test fails.

use crate::ast::{BinOp, CommandKind, Expr, Pipeline, SearchExpr};
use crate::expr::{self, CExpr};
use crate::program::{Program, Source, Stage as CStage};
use crate::search::{self, Matcher};
use firedrill_value::{Fields, Row};

/// What one command did.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// The command name.
    pub command: String,
    /// The command's text in the search.
    pub text: String,
    /// Rows that came in (for the first command: the events or data model rows read).
    pub rows_in: u64,
    /// Rows that came out.
    pub rows_out: u64,
    /// For a filtering command that dropped everything: each condition and how many of
    /// the incoming rows satisfy it on its own.
    pub conditions: Vec<(String, u64)>,
}

enum Cond {
    Search(Matcher),
    Where(CExpr),
}

impl Cond {
    fn holds(&self, row: &dyn Fields) -> bool {
        match self {
            Cond::Search(m) => m.matches(row),
            Cond::Where(e) => e.is_true(row).unwrap_or(false),
        }
    }
}

/// Counts kept while a traced run goes (see [`Program::start_traced`]).
pub struct Trace {
    /// Events offered to the main search.
    pub(crate) offered: u64,
    /// Rows the main search started from when it reads no events.
    pub(crate) initial: u64,
    pub(crate) inp: Vec<u64>,
    pub(crate) out: Vec<u64>,
    conds: Vec<Vec<(String, Cond, u64)>>,
}

impl Trace {
    /// A trace of `program`'s main search, with the conditions of its filtering
    /// commands taken from `pipeline` (the search it was compiled from).
    pub fn new(program: &Program, pipeline: &Pipeline) -> Trace {
        let pipe = &program.pipes[0];
        let n = pipe.stages.len();
        let mut conds: Vec<Vec<(String, Cond, u64)>> = (0..n).map(|_| Vec::new()).collect();
        let mut done = vec![false; pipeline.commands.len()];
        for (j, stage) in pipe.stages.iter().enumerate() {
            let k = pipe.origin[j];
            if done[k] || !stage.is_filter() {
                continue;
            }
            done[k] = true;
            conds[j] = conditions(&pipeline.commands[k].kind);
        }
        Trace {
            offered: 0,
            initial: 0,
            inp: vec![0; n],
            out: vec![0; n],
            conds,
        }
    }

    pub(crate) fn event_in(&mut self, stage: usize, event: &dyn Fields) {
        self.inp[stage] += 1;
        for (_, c, n) in &mut self.conds[stage] {
            if c.holds(event) {
                *n += 1;
            }
        }
    }

    pub(crate) fn rows_in(&mut self, stage: usize, rows: &[Row]) {
        self.inp[stage] += rows.len() as u64;
        for (_, c, n) in &mut self.conds[stage] {
            *n += rows.iter().filter(|r| c.holds(*r)).count() as u64;
        }
    }

    /// One entry per command of the main search.
    pub fn report(&self, program: &Program, pipeline: &Pipeline, text: &str) -> Vec<Stage> {
        let pipe = &program.pipes[0];
        let start = if pipe.source.reads_events() {
            self.offered
        } else {
            self.initial
        };
        let mut prev_out = start;
        let mut out = Vec::new();
        for (k, cmd) in pipeline.commands.iter().enumerate() {
            let stages: Vec<usize> = (0..pipe.stages.len())
                .filter(|&j| pipe.origin[j] == k)
                .collect();
            let (rows_in, rows_out) = match (stages.first(), stages.last()) {
                (Some(&a), Some(&b)) => (
                    if k == 0 && pipe.source.reads_events() {
                        start
                    } else {
                        self.inp[a]
                    },
                    self.out[b],
                ),
                _ => (prev_out, prev_out),
            };
            let conditions = if rows_out == 0 && rows_in > 0 {
                stages
                    .iter()
                    .flat_map(|&j| self.conds[j].iter())
                    .map(|(t, _, n)| (t.clone(), *n))
                    .collect()
            } else {
                Vec::new()
            };
            out.push(Stage {
                command: cmd.name.clone(),
                text: text
                    .get(cmd.span.start..cmd.span.end)
                    .unwrap_or("")
                    .trim()
                    .to_string(),
                rows_in,
                rows_out,
                conditions,
            });
            prev_out = rows_out;
        }
        out
    }
}

impl Program {
    /// True if the main search reads events (else `explain` has nothing to stream).
    pub fn main_reads_events(&self) -> bool {
        !matches!(self.pipes[0].source, Source::Lookup(_) | Source::Input)
    }

    /// True if the first stage of the main search is a filter `explain` can blame.
    pub fn main_filters(&self) -> bool {
        matches!(
            self.pipes[0].stages.first(),
            Some(CStage::Search(_) | CStage::Where(_))
        )
    }
}

/// Each top-level condition of a filtering command.
fn conditions(kind: &CommandKind) -> Vec<(String, Cond, u64)> {
    let search = |s: &SearchExpr| -> Vec<(String, Cond, u64)> {
        search_conjuncts(s)
            .into_iter()
            .map(|c| (c.to_string(), Cond::Search(search::prefilter(c)), 0))
            .collect()
    };
    match kind {
        CommandKind::Search(s) => search(s),
        CommandKind::Tstats(t) => t.filter.as_ref().map(search).unwrap_or_default(),
        CommandKind::Where(e) => expr_conjuncts(e)
            .into_iter()
            .filter_map(|c| Some((c.to_string(), Cond::Where(expr::compile(c).ok()?), 0)))
            .collect(),
        _ => Vec::new(),
    }
}

fn search_conjuncts(s: &SearchExpr) -> Vec<&SearchExpr> {
    match s {
        SearchExpr::And(items) => items.iter().flat_map(search_conjuncts).collect(),
        other => vec![other],
    }
}

fn expr_conjuncts(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Binary(BinOp::And, l, r) => {
            let mut v = expr_conjuncts(l);
            v.extend(expr_conjuncts(r));
            v
        }
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{compile, parse, NoLookups};
    use firedrill_value::Value;

    #[test]
    fn names_the_condition_that_dropped_everything() {
        let e = Row::from([
            ("_raw".to_string(), Value::str("x")),
            ("process_name".to_string(), Value::str("rundll32.exe")),
            (
                "process".to_string(),
                Value::str("rundll32.exe foo.dll,Run"),
            ),
        ]);
        let text = "process_name=rundll32.exe process=*comsvcs* | stats count by process_name";
        let pipeline = parse(text).unwrap();
        let program = compile(&pipeline, &NoLookups).unwrap();
        let mut st = program.start_traced(Trace::new(&program, &pipeline));
        for (id, _) in program.inputs() {
            st.offer(id, &e).unwrap();
        }
        let (rows, trace) = st.finish_traced();
        assert!(rows.unwrap().is_empty());
        let stages = trace.unwrap().report(&program, &pipeline, text);
        assert_eq!(stages[0].rows_in, 1);
        assert_eq!(stages[0].rows_out, 0);
        assert_eq!(
            stages[0].conditions,
            vec![
                ("process_name=rundll32.exe".to_string(), 1),
                ("process=*comsvcs*".to_string(), 0)
            ]
        );
        assert_eq!((stages[1].rows_in, stages[1].rows_out), (0, 0));
    }
}
