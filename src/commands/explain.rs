//! `firedrill explain`: one detection over one dataset, command by command, naming
//! the condition that dropped the last candidates.

use crate::cli::ExplainArgs;
use firedrill::{lookups::Lookups, plan, source};
use firedrill_spl::explain::Trace;
use std::path::PathBuf;

pub fn explain(a: ExplainArgs) -> Result<u8, String> {
    let as_path = PathBuf::from(&a.detection);
    let loaded = if as_path.exists() {
        plan::load(std::slice::from_ref(&as_path), a.content.as_deref())?
    } else {
        let content = a
            .content
            .as_deref()
            .ok_or("DETECTION is not a file; name a detection with --content DIR")?;
        let mut l = plan::load(&[], Some(content))?;
        let want = a.detection.to_lowercase();
        l.detections.retain(|d| {
            d.name.to_lowercase() == want
                || d.id.as_deref().is_some_and(|i| i.to_lowercase() == want)
        });
        l
    };
    let lookups = Lookups::new(&loaded.content).with_geoip(super::addons::geoip(&a.geo)?);
    let planned = plan::plan(&loaded, &lookups);
    let p = match planned.as_slice() {
        [one] => one,
        [] => return Err(format!("no detection `{}` found", a.detection)),
        many => {
            return Err(format!(
                "{} detections match `{}`; name one file",
                many.len(),
                a.detection
            ))
        }
    };
    let (program, pipeline) = match (&p.program, &p.pipeline) {
        (Ok(program), Some(pipeline)) => (program, pipeline),
        (
            Err(plan::Prepared::Error(e))
            | Err(plan::Prepared::Unsupported(e))
            | Err(plan::Prepared::NotSelected(e)),
            _,
        ) => {
            println!("{}: {e}", p.detection.name);
            return Ok(1);
        }
        (Ok(_), None) => return Err("the search was not parsed".into()),
    };
    // Each command's own rows (no work moved between commands), every field kept.
    let _ = program;
    let mut program =
        firedrill_spl::compile_plain(pipeline, &lookups).map_err(|e| e.render(&p.expanded))?;
    program.restrict_output(&firedrill_spl::FieldSet::All);
    let test_meta = p.detection.tests.iter().flat_map(|t| &t.attack_data).next();
    let addons = super::addons::load(&a.addons, false)?;
    let mut opened = source::open_file(
        &a.dataset,
        a.source
            .clone()
            .or_else(|| test_meta.and_then(|m| m.source.clone())),
        a.sourcetype
            .clone()
            .or_else(|| test_meta.and_then(|m| m.sourcetype.clone())),
    )?;
    opened.knowledge = super::addons::knowledge(&addons);
    let mut state = program.start_traced(Trace::new(&program, pipeline));
    let events = super::feed(&program, &mut state, &opened, &p.expanded)?;
    let (rows, trace) = state.finish_traced();
    let rows = rows.map_err(|e| e.render(&p.expanded))?;
    println!(
        "{} over {} ({} events)\n",
        p.detection.name,
        a.dataset.display(),
        events
    );
    let stages = trace
        .map(|t| t.report(&program, pipeline, &p.expanded))
        .unwrap_or_default();
    for (i, s) in stages.iter().enumerate() {
        let text: String = s.text.chars().take(100).collect();
        println!(
            "{:>2}. {:<12} {:>8} in -> {:>8} out   {}",
            i + 1,
            s.command,
            s.rows_in,
            s.rows_out,
            text
        );
        if !s.conditions.is_empty() {
            println!("      every row was dropped here; each condition on its own keeps:");
            for (cond, n) in &s.conditions {
                let mark = if *n == 0 {
                    "   <- no row satisfies this"
                } else {
                    ""
                };
                println!("      {n:>8}  {cond}{mark}");
            }
        }
    }
    let last = rows.len();
    println!(
        "\n{}",
        if last > 0 {
            format!("the search returns {last} results")
        } else {
            "the search returns no results".to_string()
        }
    );
    Ok(if last > 0 { 0 } else { 1 })
}
