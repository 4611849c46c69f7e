//! The commands, one module each; what they share: loading content, the dataset
//! fetcher, the HEC token, warnings on stderr.

pub mod addons;
pub mod explain;
pub mod replay;
pub mod run;
pub mod search;

use crate::cli::{CoverageArgs, DataArgs, FetchArgs, Format};
use firedrill::{lookups::Lookups, plan};
use firedrill_dataset::{FetchOptions, Fetcher};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Streams every event of `opened` into the event-reading pipes of `program`, each
/// through its view (the event itself, a data model row…); returns how many events
/// were read. `expanded` is the search text errors point into.
pub fn feed(
    program: &firedrill_spl::Program,
    state: &mut firedrill_spl::State<'_>,
    opened: &firedrill::source::Opened,
    expanded: &str,
) -> Result<u64, String> {
    use firedrill::views::View;
    let inputs: Vec<(firedrill_spl::PipeId, View)> = program
        .inputs()
        .filter_map(|(id, src)| {
            match View::of(src, firedrill::run::datamodels(opened.knowledge.as_deref())) {
                Ok(Some(v)) => Some(Ok((id, v))),
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            }
        })
        .collect::<Result<_, _>>()?;
    let mut reading = opened.read(std::sync::Arc::new(firedrill_value::Want::everything()))?;
    let mut events = 0u64;
    while let Some(batch) = reading.next_batch()? {
        for ev in batch.iter() {
            events += 1;
            for (id, view) in &inputs {
                let seen = view.see(ev);
                let fields: &dyn firedrill_value::Fields = match (&view, &seen) {
                    (View::Event, _) => ev,
                    (_, Some(s)) => s.fields(),
                    (_, None) => continue,
                };
                state.offer(*id, fields).map_err(|e| e.render(expanded))?;
            }
        }
    }
    reading.finish(opened, None, &warn)?;
    Ok(events)
}

/// `firedrill merge`: the shards' reports as one (each detection once; a file that could
/// not be loaded, reported by every shard, once), recounted; the exit code is 1 when a
/// selected detection failed or errored in any shard.
pub fn merge(a: crate::cli::MergeArgs) -> Result<u8, String> {
    use firedrill::report::{self, RunReport};
    let mut merged: Option<RunReport> = None;
    let mut seen = std::collections::BTreeSet::new();
    let is_yml = |p: &Path| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
    };
    let mut summaries = Vec::new();
    for path in &a.reports {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if is_yml(path) {
            summaries.push((path.display().to_string(), text));
            continue;
        }
        let r: RunReport = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a firedrill JSON report: {e}", path.display()))?;
        let m = merged.get_or_insert_with(|| RunReport {
            mode: r.mode,
            detections: Vec::new(),
            summary: report::Summary::default(),
        });
        if m.mode != r.mode {
            return Err(format!(
                "{}: a report of another kind of run (tests vs --dataset)",
                path.display()
            ));
        }
        for d in r.detections {
            if seen.insert((d.file.clone(), d.name.clone())) {
                m.detections.push(d);
            }
        }
        m.summary.datasets += r.summary.datasets;
        m.summary.events += r.summary.events;
        m.summary.duration_ms = m.summary.duration_ms.max(r.summary.duration_ms);
    }
    let mut r = merged.ok_or("name at least one report")?;
    r.summary.count(&r.detections);
    match a.format {
        Format::Table => print!("{}", report::table::render(&r, false)),
        Format::Json => println!("{}", report::json(&r)),
    }
    if let Some(path) = &a.junit {
        let xml = report::junit::render(&r).map_err(|e| format!("JUnit report: {e}"))?;
        std::fs::write(path, xml).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    match (&a.summary_yml, summaries.is_empty()) {
        (Some(path), false) => {
            let yml = report::summary_yml::merge(&summaries)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(path, yml).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        (Some(_), true) => {
            return Err(
                "--summary-yml: name each shard's summary.yml (written by run --summary-yml) among the inputs"
                    .into(),
            )
        }
        (None, false) => {
            return Err("summary.yml inputs need --summary-yml FILE to write them to".into())
        }
        (None, true) => {}
    }
    let failed = r
        .detections
        .iter()
        .any(|d| d.selected && matches!(d.status, report::Status::Fail | report::Status::Error));
    Ok(u8::from(failed))
}

/// Prints a warning on stderr.
pub fn warn(m: String) {
    eprintln!("firedrill: warning: {m}");
}

pub fn fetcher(d: &DataArgs) -> Result<Fetcher, String> {
    // Like --hec: a URL with credentials would be printed in every download error.
    if let Some(m) = &d.mirror {
        firedrill_replay::refuse_credentials("--mirror", m)?;
    }
    Fetcher::new(FetchOptions {
        data_dir: d.data.clone(),
        mirror: d.mirror.clone(),
        offline: d.offline,
        progress: std::io::stderr().is_terminal(),
        allowed: d.allow_path.clone(),
    })
    .map_err(|e| e.to_string())
}

/// What a command holds until the process ends, which is sooner than freeing it:
/// the system reclaims a whole content's compiled searches at exit for nothing,
/// where dropping them one by one was 5% of `coverage`'s instructions, on one
/// thread, freeing what other threads allocated.
pub type UntilExit<T> = std::mem::ManuallyDrop<T>;

/// Loads the detections of `paths` (or the content tree), reporting files that could
/// not be loaded; the flag says whether any could not.
pub fn load(paths: &[PathBuf], content: Option<&Path>) -> Result<(plan::Loaded, bool), String> {
    if paths.is_empty() && content.is_none() {
        return Err(
            "name at least one detection file or content directory (or --content DIR)".into(),
        );
    }
    let loaded = plan::load(paths, content)?;
    for e in &loaded.errors {
        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        eprintln!("firedrill: {}{line}: {}", e.file.display(), e.message);
    }
    // Files that could not be loaded still make a run: they are its errors.
    if loaded.detections.is_empty() && loaded.errors.is_empty() {
        return Err("no detections found in the given paths".into());
    }
    let errors = !loaded.errors.is_empty();
    Ok((loaded, errors))
}

/// The HEC token: from a file, else from SPLUNK_HEC_TOKEN; never printed.
pub fn token(file: Option<&Path>) -> Result<String, String> {
    let t = match file {
        Some(f) => {
            std::fs::read_to_string(f).map_err(|e| format!("--token-file {}: {e}", f.display()))?
        }
        None => std::env::var("SPLUNK_HEC_TOKEN").map_err(|_| {
            "no HEC token: set SPLUNK_HEC_TOKEN or pass --token-file FILE".to_string()
        })?,
    };
    let t = t.trim().to_string();
    if t.is_empty() {
        return Err("the HEC token is empty".into());
    }
    Ok(t)
}

pub fn fetch(a: FetchArgs) -> Result<u8, String> {
    let (loaded, content_errors) = load(&a.targets.paths, a.targets.content.as_deref())?;
    let f = fetcher(&a.data)?;
    let mut refs: Vec<String> = loaded
        .detections
        .iter()
        .flat_map(|d| d.tests.iter())
        .flat_map(|t| t.attack_data.iter().map(|x| x.data.clone()))
        .collect();
    refs.sort();
    refs.dedup();
    let mut failed = 0;
    for r in &refs {
        match f.fetch(r) {
            Ok(x) => println!(
                "{} {} ({} bytes, sha256 {})",
                if x.downloaded {
                    "downloaded"
                } else {
                    "cached    "
                },
                x.path.display(),
                x.size,
                x.sha256
            ),
            Err(e) => {
                failed += 1;
                eprintln!("firedrill: {e}");
            }
        }
    }
    println!("{} datasets, {} failed", refs.len(), failed);
    if content_errors {
        return Ok(2);
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

pub fn coverage(a: CoverageArgs) -> Result<u8, String> {
    let (loaded, content_errors) = load(&a.targets.paths, a.targets.content.as_deref())?;
    let loaded = UntilExit::new(loaded);
    let lookups = UntilExit::new(Lookups::new(&loaded.content).with_geoip(addons::geoip(&a.geo)?));
    let planned = UntilExit::new(plan::plan(&loaded, &*lookups));
    let addons = addons::load(&a.addons, false)?;
    let c = firedrill::coverage::coverage_with(&planned, Some(&addons));
    match a.format {
        Format::Table => print!("{}", firedrill::coverage::render(&c)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&c).map_err(|e| e.to_string())?
        ),
    }
    Ok(if content_errors { 2 } else { 0 })
}
