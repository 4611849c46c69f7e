//! One run of a program over streaming data.

use super::stages::{batch_stage, regex_hit, row_stage};
use crate::aggs::{Groups, StatsSpec};
use crate::error::ExecError;
use crate::explain::Trace;
use crate::needs::FieldSet;
use crate::program::{PipeId, Program, Source, Stage};
use firedrill_value::{FieldRef, Fields, Need, Record, Row, Value};
use std::time::Instant;

/// An event's `_time` in epoch seconds (0 when it has none).
pub fn event_time(event: &dyn Fields) -> f64 {
    static TIME: std::sync::OnceLock<FieldRef> = std::sync::OnceLock::new();
    let t = TIME.get_or_init(|| FieldRef::new("_time"));
    event.get(t).and_then(Value::as_num).unwrap_or(0.0)
}

/// The fields `tstats` sees without a data model: the indexed ones.
const INDEXED: &[&str] = &["_time", "host", "source", "sourcetype", "index", "_raw"];

/// A view of an event restricted to its indexed fields.
struct IndexedOnly<'a>(&'a dyn Fields);

impl Fields for IndexedOnly<'_> {
    fn get(&self, f: &FieldRef) -> Option<&Value> {
        INDEXED.contains(&&*f.name).then(|| self.0.get(f)).flatten()
    }
    fn get_str(&self, name: &str) -> Option<&Value> {
        INDEXED
            .contains(&name)
            .then(|| self.0.get_str(name))
            .flatten()
    }
    fn for_each(&self, f: &mut dyn FnMut(&str, &Value)) {
        self.0.for_each(&mut |k, v| {
            if INDEXED.contains(&k) {
                f(k, v)
            }
        })
    }
}

impl Program {
    /// The pipes fed by events, with what each reads.
    pub fn inputs(&self) -> impl Iterator<Item = (PipeId, &Source)> {
        self.pipes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.source.reads_events())
            .map(|(i, p)| (PipeId(i), &p.source))
    }

    /// The command that starts `pipe` (where a data error about its source points).
    pub fn source_span(&self, pipe: PipeId) -> crate::span::Span {
        self.pipes[pipe.0].span
    }

    /// The command stage `j` of `pipe` was compiled from.
    pub(crate) fn stage_span(&self, pipe: PipeId, j: usize) -> crate::span::Span {
        let p = &self.pipes[pipe.0];
        p.origin
            .get(j)
            .and_then(|&k| p.commands.get(k))
            .copied()
            .unwrap_or(p.span)
    }

    /// The fields admitted rows of `pipe` keep.
    pub fn needs(&self, pipe: PipeId) -> &FieldSet {
        &self.pipes[pipe.0].needs
    }

    /// The fields the leading filters of `pipe` read from each event.
    pub fn filter_fields(&self, pipe: PipeId) -> Vec<&str> {
        let p = &self.pipes[pipe.0];
        let mut out = Vec::new();
        for s in &p.stages[..p.filters] {
            match s {
                Stage::Search(m) => m.fields(&mut out),
                Stage::Where(e) => e.fields(&mut out),
                Stage::Regex { field, .. } => out.push(&field.name),
                _ => {}
            }
        }
        out
    }

    /// A necessary condition for `pipe` to admit an event (see
    /// [`crate::search::Matcher::guard`]): the fields and values an index of pipes by
    /// value can use to skip pipes an event cannot pass.
    pub fn guard(&self, pipe: PipeId) -> Option<Vec<(FieldRef, String)>> {
        let p = &self.pipes[pipe.0];
        if matches!(p.source, Source::Indexed) || p.filters == 0 {
            return None;
        }
        match &p.stages[0] {
            Stage::Search(m) => m.guard(),
            _ => None,
        }
    }

    /// Texts an event's raw text must hold for `pipe` to admit it (see
    /// [`crate::search::Matcher::need`]), from its leading `search` filters; `None`
    /// when nothing is required.
    pub fn need(&self, pipe: PipeId, raw: &dyn crate::search::RawText) -> Option<Need> {
        let p = &self.pipes[pipe.0];
        if matches!(p.source, Source::Indexed) {
            return None;
        }
        let needs = p.stages[..p.filters]
            .iter()
            .filter_map(|s| match s {
                Stage::Search(m) => m.need(raw),
                _ => None,
            })
            .collect();
        Need::all(needs)
    }

    /// How many of the leading filters of `pipe` an event passes (all of them: it is
    /// admitted). Reads the event in place; copies nothing.
    pub fn filters_passed(&self, pipe: PipeId, event: &dyn Fields) -> Result<usize, ExecError> {
        let p = &self.pipes[pipe.0];
        let indexed;
        let view: &dyn Fields = if matches!(p.source, Source::Indexed) {
            indexed = IndexedOnly(event);
            &indexed
        } else {
            event
        };
        for (i, s) in p.stages[..p.filters].iter().enumerate() {
            let pass = match s {
                Stage::Search(m) => m.matches(view),
                Stage::Where(e) => e.is_true(view)?,
                Stage::Regex { field, re, negate } => regex_hit(view, field, re) != *negate,
                _ => true,
            };
            if !pass {
                return Ok(i);
            }
        }
        Ok(p.filters)
    }

    /// True if the event passes the leading filters of `pipe`.
    pub fn admit(&self, pipe: PipeId, event: &dyn Fields) -> Result<bool, ExecError> {
        Ok(self.filters_passed(pipe, event)? == self.pipes[pipe.0].filters)
    }

    /// [`Program::project`] as a [`Record`] (fields by symbol: no names copied, no
    /// map built), for a pipe whose admitted events go straight into `stats` groups —
    /// no command between its leading filters and an order-free `stats`, and a known
    /// set of fields. `None` for any other pipe.
    pub fn project_record(&self, pipe: PipeId, event: &dyn Fields) -> Option<Record> {
        let p = &self.pipes[pipe.0];
        let direct = p.filters == p.stream
            && matches!(p.stages.get(p.stream), Some(Stage::Stats(spec)) if spec.order_free())
            && !matches!(p.source, Source::Indexed);
        match &p.needs {
            FieldSet::Some { globs, .. } if direct && globs.is_empty() => {
                let fields = p
                    .keep
                    .iter()
                    .filter_map(|f| event.get(f).map(|v| (f.sym, v.clone())))
                    .collect();
                Some(Record::from_fields(fields))
            }
            _ => None,
        }
    }

    /// The row `pipe` keeps of an admitted event: the fields it needs (every field
    /// when it needs them all — then `event` must hold every field).
    pub fn project(&self, pipe: PipeId, event: &dyn Fields) -> Row {
        let p = &self.pipes[pipe.0];
        if matches!(p.source, Source::Indexed) {
            return IndexedOnly(event).to_row();
        }
        match &p.needs {
            FieldSet::All => event.to_row(),
            set => {
                let mut row = Row::new();
                for f in &p.keep {
                    if let Some(v) = event.get(f) {
                        row.insert(f.name.to_string(), v.clone());
                    }
                }
                if set.has_globs() {
                    event.for_each(&mut |k, v| {
                        if set.contains(k) && !row.contains_key(k) {
                            row.insert(k.to_string(), v.clone());
                        }
                    });
                }
                row
            }
        }
    }

    /// A new run.
    pub fn start(&self) -> State<'_> {
        State {
            program: self,
            sinks: self
                .pipes
                .iter()
                .map(|p| match p.stages.get(p.stream) {
                    Some(Stage::Stats(spec)) if spec.order_free() => Sink::Groups(spec.start()),
                    _ => Sink::Rows(Vec::new()),
                })
                .collect(),
            admitted: vec![0; self.pipes.len()],
            trace: None,
        }
    }

    /// A new run that counts, stage by stage, the rows of the main search (for
    /// `explain`); feed it with [`State::offer`].
    pub fn start_traced(&self, trace: Trace) -> State<'_> {
        let mut s = self.start();
        s.trace = Some(Box::new(trace));
        s
    }

    /// Runs the main search over rows given to it (a `foreach` template).
    pub(crate) fn run_over(&self, rows: Vec<Row>) -> Result<Vec<Row>, ExecError> {
        let mut f = Finisher {
            program: self,
            sinks: Vec::new(),
            trace: None,
            deadline: None,
        };
        f.run_over(PipeId(0), rows)
    }
}

enum Sink {
    /// Rows waiting for the first stateful stage, with their event's time: they are
    /// handed on newest first, the order Splunk returns events in.
    Rows(Vec<(f64, Row)>),
    /// The first stateful stage is `stats`: aggregate as rows arrive.
    Groups(Groups),
}

/// One run of a program.
pub struct State<'p> {
    program: &'p Program,
    sinks: Vec<Sink>,
    admitted: Vec<u64>,
    trace: Option<Box<Trace>>,
}

impl State<'_> {
    /// Pushes an admitted row (from [`Program::project`]) through the pipe's per-row
    /// stages into its first stateful stage; `time` is its event's `_time` (see
    /// [`event_time`]), which orders the rows as Splunk orders events.
    pub fn push(&mut self, pipe: PipeId, row: Row, time: f64) -> Result<(), ExecError> {
        let p = &self.program.pipes[pipe.0];
        self.admitted[pipe.0] += 1;
        let mut rows = vec![row];
        let mut trace = self.trace.as_deref_mut().filter(|_| pipe.0 == 0);
        for (j, stage) in p.stages.iter().enumerate().take(p.stream).skip(p.filters) {
            if let Some(t) = trace.as_deref_mut() {
                t.rows_in(j, &rows);
            }
            let mut next = Vec::with_capacity(rows.len());
            for r in rows {
                row_stage(stage, r, &mut next)?;
            }
            rows = next;
            if let Some(t) = trace.as_deref_mut() {
                t.out[j] += rows.len() as u64;
            }
            if rows.is_empty() {
                return Ok(());
            }
        }
        if let Some(t) = trace {
            if p.stream < p.stages.len() {
                t.rows_in(p.stream, &rows);
            }
        }
        match &mut self.sinks[pipe.0] {
            Sink::Rows(held) => held.extend(rows.into_iter().map(|r| (time, r))),
            Sink::Groups(g) => {
                let Some(Stage::Stats(spec)) = p.stages.get(p.stream) else {
                    unreachable!("a grouping sink sits on a stats stage")
                };
                for r in &rows {
                    g.add(spec, r)?;
                }
            }
        }
        Ok(())
    }

    /// Pushes an event projected by [`Program::project_record`].
    pub fn push_record(
        &mut self,
        pipe: PipeId,
        record: Record,
        time: f64,
    ) -> Result<(), ExecError> {
        let p = &self.program.pipes[pipe.0];
        match (&mut self.sinks[pipe.0], p.stages.get(p.stream)) {
            (Sink::Groups(g), Some(Stage::Stats(spec))) if self.trace.is_none() => {
                self.admitted[pipe.0] += 1;
                g.add(spec, &record)?;
                Ok(())
            }
            _ => self.push(pipe, record.to_row(), time),
        }
    }

    /// Admits, projects and pushes one event.
    pub fn offer(&mut self, pipe: PipeId, event: &dyn Fields) -> Result<bool, ExecError> {
        let passed = self.program.filters_passed(pipe, event)?;
        let filters = self.program.pipes[pipe.0].filters;
        if let Some(t) = self.trace.as_deref_mut().filter(|_| pipe.0 == 0) {
            t.offered += 1;
            for i in 0..filters.min(passed + 1) {
                t.event_in(i, event);
                if i < passed {
                    t.out[i] += 1;
                }
            }
        }
        if passed < filters {
            return Ok(false);
        }
        let row = self.program.project(pipe, event);
        self.push(pipe, row, event_time(event))?;
        Ok(true)
    }

    /// True when no pipe has admitted a row yet: the results are those of the program
    /// over no events (the same for every run that admits nothing).
    pub fn untouched(&self) -> bool {
        self.admitted.iter().all(|&n| n == 0)
    }

    /// Rows admitted to `pipe` so far.
    pub fn admitted(&self, pipe: PipeId) -> u64 {
        self.admitted[pipe.0]
    }

    /// Rows (or groups) held so far, over every pipe.
    pub fn held(&self) -> usize {
        self.sinks
            .iter()
            .map(|s| match s {
                Sink::Rows(r) => r.len(),
                Sink::Groups(g) => g.len(),
            })
            .sum()
    }

    /// Runs the stateful stages and returns the main search's results.
    pub fn finish(self) -> Result<Vec<Row>, ExecError> {
        self.finish_traced().0
    }

    /// Like [`State::finish`], stopping with [`ExecError::Stopped`] when `deadline`
    /// has passed before a command starts (a command already running runs to its end).
    pub fn finish_by(self, deadline: Instant) -> Result<Vec<Row>, ExecError> {
        self.finish_with(Some(deadline)).0
    }

    /// Like [`State::finish`], also returning the trace of a traced run.
    pub fn finish_traced(self) -> (Result<Vec<Row>, ExecError>, Option<Trace>) {
        self.finish_with(None)
    }

    fn finish_with(
        self,
        deadline: Option<Instant>,
    ) -> (Result<Vec<Row>, ExecError>, Option<Trace>) {
        let mut f = Finisher {
            program: self.program,
            sinks: self.sinks.into_iter().map(Some).collect(),
            trace: self.trace,
            deadline,
        };
        let rows = f.finish(PipeId(0));
        (rows, f.trace.map(|t| *t))
    }
}

/// Finishes pipes in the order their results are needed.
pub(crate) struct Finisher<'p> {
    program: &'p Program,
    sinks: Vec<Option<Sink>>,
    trace: Option<Box<Trace>>,
    /// When to stop: checked before each command.
    deadline: Option<Instant>,
}

impl Finisher<'_> {
    /// The results of `pipe` (each pipe is finished once, by the stage that uses it).
    pub(crate) fn finish(&mut self, pipe: PipeId) -> Result<Vec<Row>, ExecError> {
        let p = &self.program.pipes[pipe.0];
        let (rows, from) = match &p.source {
            Source::Lookup(table) => (super::lookup::inputlookup(table), 0),
            Source::Input => (Vec::new(), 0),
            _ => match self.sinks.get_mut(pipe.0).and_then(Option::take) {
                Some(Sink::Rows(mut rows)) => {
                    // Splunk returns events newest first (ties in the order read).
                    rows.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
                    (rows.into_iter().map(|(_, r)| r).collect(), p.stream)
                }
                Some(Sink::Groups(g)) => {
                    let Some(Stage::Stats(spec)) = p.stages.get(p.stream) else {
                        unreachable!("a grouping sink sits on a stats stage")
                    };
                    let rows = finish_groups(g, spec);
                    if let Some(t) = self.trace.as_deref_mut().filter(|_| pipe.0 == 0) {
                        t.out[p.stream] += rows.len() as u64;
                    }
                    (rows, p.stream + 1)
                }
                None => (Vec::new(), p.stream),
            },
        };
        self.run(pipe, from, rows)
    }

    /// Runs every stage of `pipe` over `rows` (an `appendpipe` pipeline).
    pub(crate) fn run_over(&mut self, pipe: PipeId, rows: Vec<Row>) -> Result<Vec<Row>, ExecError> {
        self.run(pipe, 0, rows)
    }

    fn run(
        &mut self,
        pipe: PipeId,
        from: usize,
        mut rows: Vec<Row>,
    ) -> Result<Vec<Row>, ExecError> {
        let program = self.program;
        if pipe.0 == 0 {
            if let Some(t) = self.trace.as_deref_mut() {
                t.initial += rows.len() as u64;
            }
        }
        for (j, stage) in program.pipes[pipe.0].stages.iter().enumerate().skip(from) {
            if self.deadline.is_some_and(|d| Instant::now() > d) {
                return Err(ExecError::Stopped {
                    span: program.stage_span(pipe, j),
                });
            }
            if pipe.0 == 0 {
                if let Some(t) = self.trace.as_deref_mut() {
                    t.rows_in(j, &rows);
                }
            }
            rows = batch_stage(stage, rows, self)?;
            if pipe.0 == 0 {
                if let Some(t) = self.trace.as_deref_mut() {
                    t.out[j] += rows.len() as u64;
                }
            }
        }
        Ok(rows)
    }
}

fn finish_groups(g: Groups, spec: &StatsSpec) -> Vec<Row> {
    g.finish(spec)
}
