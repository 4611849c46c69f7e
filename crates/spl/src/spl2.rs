//! The SPL2 front end for Splunk Behavioral Analytics (SSA) detections:
//! `| from read_ssa_enriched_events() | eval … | where … | into write_ssa_detected_events();`
//! and the later `$main = from source | eval … | where … --finding_report--` shape.
//! It produces the same [`Pipeline`] as SPL, so both run on one executor.

use crate::ast::{Command, CommandKind, Pipeline};
use crate::cursor::{skip_quoted, Cursor};
use crate::parse::expr::parse_expr;
use crate::span::{ParseError, Span};

/// True if `search` is an SPL2 SSA pipeline rather than SPL.
pub fn is_spl2(search: &str) -> bool {
    let t = search.trim_start().trim_start_matches('|').trim_start();
    let t = strip_assignment(t);
    let lower = t.to_ascii_lowercase();
    lower.starts_with("from read_ssa_enriched_events") || lower.starts_with("from source")
}

fn strip_assignment(t: &str) -> &str {
    if let Some(rest) = t.strip_prefix('$') {
        if let Some(eq) = rest.find('=') {
            return rest[eq + 1..].trim_start();
        }
    }
    t
}

/// Parses an SPL2 SSA pipeline.
pub fn parse_spl2(text: &str) -> Result<Pipeline, ParseError> {
    let mut end = text.trim_end().len();
    let body = &text[..end];
    if let Some(stripped) = body.strip_suffix("--finding_report--") {
        end = stripped.trim_end().len();
    }
    let body = &text[..end];
    if body.ends_with(';') {
        end -= 1;
    }
    let mut start = text.len() - text.trim_start().len();
    if text[start..].starts_with('$') {
        if let Some(eq) = text[start..].find('=') {
            start += eq + 1;
        }
    }
    let mut commands = Vec::new();
    let mut pos = start;
    loop {
        let cmd_end = spl2_command_end(text, pos, end);
        let mut c = Cursor::new(text, pos, cmd_end);
        if !c.at_end() {
            commands.push(parse_command(&mut c)?);
        }
        if cmd_end >= end {
            break;
        }
        pos = cmd_end + 1;
    }
    if commands.is_empty() {
        let c = Cursor::new(text, start, end);
        return Err(c.error("empty SPL2 pipeline"));
    }
    Ok(Pipeline { commands })
}

fn parse_command(c: &mut Cursor<'_>) -> Result<Command, ParseError> {
    c.skip_ws();
    let start = c.pos;
    let span = Span::new(start, c.end);
    let (name, name_span) = c
        .bare_word()
        .ok_or_else(|| c.error("expected an SPL2 command"))?;
    let lname = name.to_ascii_lowercase();
    let kind = match lname.as_str() {
        "from" => {
            let (src, src_span) = c
                .bare_word()
                .ok_or_else(|| c.error("expected a source after `from`"))?;
            // `read_ssa_enriched_events()`
            if c.eat('(') && !c.eat(')') {
                return Err(c.error("expected ) after the source function"));
            }
            match src.as_str() {
                "read_ssa_enriched_events" | "source" => CommandKind::Spl2Source(src.clone()),
                other => {
                    return Err(c.error_at(src_span, format!("unknown SPL2 source `{other}`")));
                }
            }
        }
        "into" => {
            c.pos = c.end;
            CommandKind::SsaSink
        }
        "eval" => {
            let mut assigns = Vec::new();
            loop {
                let (field, fspan) = c
                    .field_name()
                    .ok_or_else(|| c.error("expected `field = expression`"))?;
                if !c.eat('=') {
                    return Err(c.error_at(fspan, format!("expected = after `{field}`")));
                }
                assigns.push((field, parse_expr(c, true)?));
                if !c.eat(',') {
                    break;
                }
            }
            CommandKind::Eval(assigns)
        }
        "where" => CommandKind::Where(parse_expr(c, true)?),
        other => {
            c.pos = c.end;
            CommandKind::Unsupported {
                reason: format!("SPL2 command `{other}` is not supported by firedrill yet"),
            }
        }
    };
    if !c.at_end() {
        return Err(c.error(format!("unexpected text after the arguments of `{lname}`")));
    }
    let _ = name_span;
    Ok(Command {
        name: lname,
        span,
        kind,
        opts: Vec::new(),
    })
}

/// Like SPL's command splitting, but also skips `/regex/` literals, which may hold `|`.
fn spl2_command_end(text: &str, start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = start;
    let mut depth = 0usize;
    let mut prev_sig = b'(';
    while i < end {
        let b = bytes[i];
        match b {
            b'"' | b'\'' => {
                i = if b == b'"' {
                    skip_quoted(bytes, i, end)
                } else {
                    skip_single(bytes, i, end)
                };
            }
            b'/' if matches!(prev_sig, b'(' | b',' | b'=' | b'[') => {
                let mut j = i + 1;
                while j < end && bytes[j] != b'/' {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                i = j.min(end.saturating_sub(1));
            }
            b'[' | b'(' => depth += 1,
            b']' | b')' => depth = depth.saturating_sub(1),
            b'|' if depth == 0 => return i,
            _ => {}
        }
        if !bytes[i].is_ascii_whitespace() {
            prev_sig = bytes[i];
        }
        i += 1;
    }
    end
}

fn skip_single(bytes: &[u8], i: usize, end: usize) -> usize {
    let mut j = i + 1;
    while j < end && bytes[j] != b'\'' {
        j += 1;
    }
    j.min(end.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"
| from read_ssa_enriched_events() 
| eval tenant=ucast(map_get(input_event, "_tenant"), "string", null), machine=ucast(map_get(input_event, "dest_device_id"), "string", null), process_name=lower(ucast(map_get(input_event, "process_name"), "string", null)), timestamp=parse_long(ucast(map_get(input_event, "_time"), "string", null)), process=lower(ucast(map_get(input_event, "process"), "string", null)), event_id=ucast(map_get(input_event, "event_id"), "string", null) 
| where process IS NOT NULL AND process_name IS NOT NULL AND process_name LIKE "%rundll32.exe%" AND match_regex(process, /(?i)minidump\s+/)=true AND match_regex(process, /(?i)comsvcs.dll\s+/)=true 
| eval start_time = timestamp, end_time = timestamp, entities = mvappend(machine), body=create_map(["event_id", event_id, "process_name", process_name, "process", process]) 
| into write_ssa_detected_events();"#;

    #[test]
    fn seed_pipeline_parses() {
        assert!(is_spl2(SEED));
        let p = parse_spl2(SEED).unwrap();
        let names: Vec<&str> = p.commands.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["from", "eval", "where", "eval", "into"]);
    }

    #[test]
    fn regex_with_pipe_does_not_split() {
        let s = "| from read_ssa_enriched_events() | where match_regex(x, /a|b/)=true | into write_ssa_detected_events();";
        let p = parse_spl2(s).unwrap();
        assert_eq!(p.commands.len(), 3);
    }

    #[test]
    fn later_shape_parses() {
        let s = " $main = from source | eval process_file = process.file | where match(process_file.name, /(?i)rundll32/)=true --finding_report--";
        assert!(is_spl2(s));
        let p = parse_spl2(s).unwrap();
        assert_eq!(p.commands.len(), 3);
    }
}
