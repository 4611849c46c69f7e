//! `explain`: runs a pipeline stage by stage, counting the rows each stage keeps, and
//! for the stage where the last candidates disappear, names the conditions that
//! dropped them — the question every detection engineer asks when a test fails.

use super::{check_supported, run_observed, search, Data, ExecError};
use crate::ast::{BinOp, CommandKind, Expr, Pipeline, SearchExpr};
use firedrill_value::Row;
use std::sync::Arc;

/// What one stage did.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// The command name.
    pub command: String,
    /// The command's text in the search.
    pub text: String,
    /// Rows that came in (for the first stage: the events or data model rows read).
    pub rows_in: usize,
    /// Rows that came out.
    pub rows_out: usize,
    /// For a filtering stage that dropped everything: each condition and how many of
    /// the incoming rows satisfy it on its own.
    pub conditions: Vec<(String, usize)>,
}

/// The stages of a run (up to the failing one when the run errors).
pub fn explain(p: &Pipeline, text: &str, data: &dyn Data) -> Result<Vec<Stage>, ExecError> {
    check_supported(p).map_err(ExecError::Unsupported)?;
    let mut outputs: Vec<Vec<Row>> = Vec::new();
    run_observed(p, data, &mut |_, rows| outputs.push(rows.to_vec()))?;
    let mut stages = Vec::new();
    for (i, cmd) in p.commands.iter().enumerate() {
        let out = outputs.get(i).map(Vec::len).unwrap_or(0);
        let cmd_text = text
            .get(cmd.span.start..cmd.span.end)
            .unwrap_or("")
            .trim()
            .to_string();
        let input: Arc<Vec<Row>> = if i == 0 {
            first_input(&cmd.kind, data)
        } else {
            Arc::new(outputs.get(i - 1).cloned().unwrap_or_default())
        };
        let mut stage = Stage {
            command: cmd.name.clone(),
            text: cmd_text,
            rows_in: input.len(),
            rows_out: out,
            conditions: Vec::new(),
        };
        if out == 0 && !input.is_empty() {
            stage.conditions = blame(&cmd.kind, &input);
        }
        stages.push(stage);
    }
    Ok(stages)
}

fn first_input(kind: &CommandKind, data: &dyn Data) -> Arc<Vec<Row>> {
    match kind {
        CommandKind::Tstats(t) => match &t.datamodel {
            Some(dm) => data.datamodel(dm.trim_matches('"')).unwrap_or_default(),
            None => Arc::new(data.events().iter().map(|e| e.fields.clone()).collect()),
        },
        CommandKind::Spl2Source(name) => data.spl2_source(name).unwrap_or_default(),
        _ => Arc::new(data.events().iter().map(|e| e.fields.clone()).collect()),
    }
}

/// Each top-level condition of a filtering command with the number of rows that pass it.
fn blame(kind: &CommandKind, input: &[Row]) -> Vec<(String, usize)> {
    match kind {
        CommandKind::Search(s) => search_conjuncts(s)
            .into_iter()
            .map(|c| {
                (
                    c.to_string(),
                    input.iter().filter(|r| search::matches(c, r)).count(),
                )
            })
            .collect(),
        CommandKind::Tstats(t) => match &t.filter {
            Some(f) => search_conjuncts(f)
                .into_iter()
                .map(|c| {
                    (
                        c.to_string(),
                        input.iter().filter(|r| search::matches(c, r)).count(),
                    )
                })
                .collect(),
            None => Vec::new(),
        },
        CommandKind::Where(e) => expr_conjuncts(e)
            .into_iter()
            .map(|c| {
                let n = input
                    .iter()
                    .filter(|r| {
                        super::eval::eval(c, r)
                            .map(|v| v.is_true())
                            .unwrap_or(false)
                    })
                    .count();
                (c.to_string(), n)
            })
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
    use crate::exec::Source;
    use crate::parse;
    use firedrill_value::{Event, Value};

    #[test]
    fn names_the_condition_that_dropped_everything() {
        let mut e = Event::new("x".into(), 0.0, "h", "s", "t");
        e.set("process_name", Value::str("rundll32.exe"));
        e.set("process", Value::str("rundll32.exe foo.dll,Run"));
        let events = vec![e];
        let text = "process_name=rundll32.exe process=*comsvcs* | stats count by process_name";
        let stages = explain(&parse(text).unwrap(), text, &Source::events(&events)).unwrap();
        assert_eq!(stages[0].rows_in, 1);
        assert_eq!(stages[0].rows_out, 0);
        assert_eq!(
            stages[0].conditions,
            vec![
                ("process_name=rundll32.exe".to_string(), 1),
                ("process=*comsvcs*".to_string(), 0)
            ]
        );
    }
}
