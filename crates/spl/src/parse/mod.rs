//! SPL text to [`Pipeline`]: splits the search into commands at top-level pipes and
//! parses each command's arguments with the syntax that command uses.

pub(crate) mod commands;
mod depth;
pub mod expr;
pub mod search;

use crate::ast::{Command, CommandKind, Pipeline};
use crate::cursor::{command_end, Cursor};
use crate::span::{ParseError, Span};

/// Parses a whole SPL search (macros already expanded).
pub fn parse(text: &str) -> Result<Pipeline, ParseError> {
    parse_range(text, 0, text.len())
}

/// Parses `text` as one eval expression, all of it (a calculated field's
/// `EVAL-x = <expression>` in `props.conf`).
pub fn parse_eval_expr(text: &str) -> Result<crate::ast::Expr, ParseError> {
    let mut c = Cursor::new(text, 0, text.len());
    let e = expr::parse_expr(&mut c, false)?;
    if !c.at_end() {
        return Err(c.error("unexpected text after the expression"));
    }
    Ok(e)
}

/// Parses `text` as search terms, all of it (an eventtype's `search` in
/// `eventtypes.conf`, a data model dataset's constraint).
pub fn parse_search_expr(text: &str) -> Result<crate::ast::SearchExpr, ParseError> {
    let mut c = Cursor::new(text, 0, text.len());
    search::parse_search(&mut c, &[])
}

/// Parses the search in `text[start..end]` (used for subsearches too).
pub fn parse_range(text: &str, start: usize, end: usize) -> Result<Pipeline, ParseError> {
    parse_pipeline(text, start, end, true)
}

/// Parses `text[start..end]` as commands over existing results (`appendpipe [...]`):
/// the first word is a command name even without a leading pipe.
pub fn parse_subpipeline(text: &str, start: usize, end: usize) -> Result<Pipeline, ParseError> {
    parse_pipeline(text, start, end, false)
}

fn parse_pipeline(
    text: &str,
    start: usize,
    end: usize,
    implicit_search: bool,
) -> Result<Pipeline, ParseError> {
    let mut c = Cursor::new(text, start, end);
    let _level = depth::Level::enter(&c)?;
    let leading_pipe = c.eat('|') || !implicit_search;
    let mut commands = Vec::new();
    let mut first = true;
    loop {
        c.skip_ws();
        let cmd_start = c.pos;
        let cmd_end = command_end(text, cmd_start, end);
        let mut cc = Cursor::new(text, cmd_start, cmd_end);
        if cc.at_end() {
            if first && !leading_pipe {
                // An empty search matches everything.
                commands.push(Command {
                    name: "search".into(),
                    span: Span::new(cmd_start, cmd_end),
                    kind: CommandKind::Search(crate::ast::SearchExpr::All),
                    opts: Vec::new(),
                });
            } else {
                return Err(c.error_at(
                    Span::new(cmd_start.saturating_sub(1), cmd_start),
                    "empty command: nothing between two pipes",
                ));
            }
        } else {
            commands.push(parse_command(&mut cc, first && !leading_pipe)?);
        }
        first = false;
        if cmd_end >= end {
            break;
        }
        c.pos = cmd_end + 1;
    }
    Ok(Pipeline { commands })
}

/// Parses one command in the cursor's range. `implicit_search` is true for the first
/// command of a search without a leading pipe, which is always `search`.
fn parse_command(c: &mut Cursor<'_>, implicit_search: bool) -> Result<Command, ParseError> {
    c.skip_ws();
    let start = c.pos;
    let span = Span::new(start, c.end);
    if implicit_search && !c.peek_keyword("search") {
        let expr = search::parse_search(c, &[])?;
        return Ok(Command {
            name: "search".into(),
            span,
            kind: CommandKind::Search(expr),
            opts: Vec::new(),
        });
    }
    let (name, name_span) = match c.bare_word() {
        Some(w) => w,
        None => return Err(c.error("expected a command name")),
    };
    let lname = name.to_ascii_lowercase();
    let mut opts = Vec::new();
    let kind = commands::parse_args(&lname, c, &mut opts).map_err(|mut e| {
        if !e.message.contains(&lname) {
            e.message = format!("in `{lname}`: {}", e.message);
        }
        e
    })?;
    let _ = name_span;
    Ok(Command {
        name: lname,
        span,
        kind,
        opts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{CommandKind, SearchExpr};

    #[test]
    fn seed_tstats_search_parses() {
        let s = r#"| tstats summariesonly=false allow_old_summaries=true fillnull_value=null count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where (Processes.process_name=rundll32.exe OR Processes.original_file_name=RUNDLL32.EXE) Processes.process=*comsvcs.dll* Processes.process=*MiniDump* by Processes.user Processes.process_name Processes.process Processes.dest | rename Processes.* AS * | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime) | search *"#;
        let p = parse(s).unwrap();
        let names: Vec<&str> = p.commands.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["tstats", "rename", "convert", "search"]);
        match &p.commands[0].kind {
            CommandKind::Tstats(t) => {
                assert_eq!(t.datamodel.as_deref(), Some("Endpoint.Processes"));
                assert_eq!(t.stats.by.len(), 4);
                assert_eq!(t.stats.aggs.len(), 3);
                assert!(p.commands[0]
                    .opts
                    .iter()
                    .any(|o| o.name == "fillnull_value" && o.value == "null"));
                assert!(matches!(t.filter, Some(SearchExpr::And(_))));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn implicit_search_first() {
        let p = parse("sourcetype=x EventCode=1 | stats count by host").unwrap();
        assert_eq!(p.commands[0].name, "search");
        assert_eq!(p.commands[1].name, "stats");
    }

    #[test]
    fn errors_name_the_position() {
        let e = parse("| stats count by").unwrap_err();
        assert!(e.message.contains("stats"), "{}", e.message);
        let e = parse("| where (a=1").unwrap_err();
        assert_eq!(e.line_col().0, 1);
        assert!(e.render().contains('^'));
        assert!(parse("| stats count | | head 1").is_err());
    }

    #[test]
    fn unknown_commands_parse_as_unsupported() {
        let p = parse("| frobnicate x=1").unwrap();
        assert!(matches!(
            p.commands[0].kind,
            CommandKind::Unsupported { .. }
        ));
    }
}
