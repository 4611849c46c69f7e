//! A benchmark corpus for firedrill, shaped like the real one.
//!
//! [`generate`] lays out every dataset file that the tested detections of a
//! security_content tree name, each at its real size in attack_data (from the index of
//! attack_data's files) times a scale, in the layout of firedrill's dataset cache, with
//! the `firedrill.lock` that verifies them and attack_data's metadata YAML beside them,
//! so `firedrill run CONTENT --data OUT --offline` reads the corpus as it would read a
//! real cache. The files are made of real events ([`samples`]): XmlWinEventLog text
//! for Windows sourcetypes, from samples of the channel the test's source names, and
//! JSON lines for the others; times, record ids and hosts vary from event to event as
//! in real files, and each file is in time order. Output is deterministic: the same
//! inputs give the same bytes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod generate;
pub mod plan;
pub mod samples;
pub mod template;

use generate::Written;
use plan::{Plan, PlannedFile};
use rayon::prelude::*;
use samples::Samples;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to generate, from where.
#[derive(Clone, Debug)]
pub struct Options {
    /// The security_content tree.
    pub content: PathBuf,
    /// attack_data's index (`datasets_index.tsv`).
    pub index: PathBuf,
    /// attack_data's metadata YAML, laid out as `datasets/` is.
    pub metadata: Option<PathBuf>,
    /// The samples directory.
    pub samples: PathBuf,
    /// The output directory.
    pub out: PathBuf,
    /// Size factor applied to every file's real size.
    pub scale: f64,
    /// Only plan; write nothing.
    pub plan_only: bool,
    /// Also generate the datasets of deprecated detections.
    pub include_deprecated: bool,
}

impl Options {
    /// The usual paths inside a `shared` directory.
    pub fn from_shared(shared: &Path, out: &Path, scale: f64) -> Options {
        let meta = shared.join("content/attack_data_metadata");
        Options {
            content: shared.join("content/security_content_2024-10"),
            index: meta.join("datasets_index.tsv"),
            metadata: Some(meta.join("yml")),
            samples: shared.join("samples"),
            out: out.to_path_buf(),
            scale,
            plan_only: false,
            include_deprecated: false,
        }
    }
}

/// What was generated.
#[derive(Debug)]
pub struct Report {
    /// The plan.
    pub plan: Plan,
    /// The samples.
    pub samples: Samples,
    /// Files written (in plan order), with the pool each came from.
    pub written: Vec<Written>,
    /// Files that could not be written, with the error.
    pub failed: Vec<(String, String)>,
    /// Lock lines written.
    pub lock_entries: usize,
    /// Metadata YAML files copied.
    pub metadata_copied: usize,
    /// Seconds spent writing the data files.
    pub write_secs: f64,
}

/// Plans and (unless `plan_only`) writes the corpus.
pub fn generate(opts: &Options) -> Result<Report, String> {
    if !(opts.scale > 0.0 && opts.scale.is_finite()) {
        return Err(format!(
            "scale must be a positive number, not {}",
            opts.scale
        ));
    }
    let plan = plan::plan(
        &opts.content,
        &opts.index,
        opts.metadata.as_deref(),
        opts.scale,
        opts.include_deprecated,
    )?;
    let samples = samples::load(&opts.samples)?;
    let mut report = Report {
        plan,
        samples,
        written: Vec::new(),
        failed: Vec::new(),
        lock_entries: 0,
        metadata_copied: 0,
        write_secs: 0.0,
    };
    if opts.plan_only {
        return Ok(report);
    }
    std::fs::create_dir_all(&opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    // Largest first, so the last file to finish is a small one.
    let mut order: Vec<usize> = (0..report.plan.files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(report.plan.files[i].target));
    let started = Instant::now();
    let samples = &report.samples;
    let files = &report.plan.files;
    let results: Vec<(usize, Result<Written, String>)> = order
        .par_iter()
        .map(|&i| {
            let f = &files[i];
            let (pool, name) = generate::pool(samples, &f.kind);
            let r = generate::write_file(&opts.out, f, &pool)
                .map(|mut w| {
                    w.pool = name;
                    w
                })
                .map_err(|e| e.to_string());
            (i, r)
        })
        .collect();
    report.write_secs = started.elapsed().as_secs_f64();
    let mut slots: Vec<Option<Written>> = vec![None; files.len()];
    for (i, r) in results {
        match r {
            Ok(w) => slots[i] = Some(w),
            Err(e) => report.failed.push((files[i].path.clone(), e)),
        }
    }
    report.failed.sort();
    let pairs: Vec<(&PlannedFile, &Written)> = files
        .iter()
        .zip(&slots)
        .filter_map(|(f, w)| w.as_ref().map(|w| (f, w)))
        .collect();
    report.lock_entries =
        generate::write_lock(&opts.out, &pairs).map_err(|e| format!("lock file: {e}"))?;
    if let Some(meta) = &opts.metadata {
        let planned: Vec<&PlannedFile> = pairs.iter().map(|(f, _)| *f).collect();
        report.metadata_copied = generate::copy_metadata(&opts.out, meta, &planned)
            .map_err(|e| format!("metadata YAML: {e}"))?;
    }
    write_manifest(&opts.out, opts.scale, &pairs).map_err(|e| format!("manifest: {e}"))?;
    report.written = slots.into_iter().flatten().collect();
    Ok(report)
}

/// The manifest's file name in the output directory.
pub const MANIFEST: &str = "firedrill-corpus.tsv";

/// `firedrill-corpus.tsv`: one line per file (path, real size, target, size, events,
/// sourcetype, source, pool), for the benchmark scripts.
fn write_manifest(
    out: &Path,
    scale: f64,
    files: &[(&PlannedFile, &Written)],
) -> std::io::Result<()> {
    let mut text = format!(
        "# firedrill-corpus scale={scale}: path\treal_size\ttarget\tsize\tevents\tsourcetype\tsource\tpool\n"
    );
    for (f, w) in files {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            f.path,
            f.real_size,
            f.target,
            w.size,
            w.events,
            f.sourcetype.as_deref().unwrap_or("-"),
            f.source.as_deref().unwrap_or("-"),
            w.pool
        ));
    }
    std::fs::write(out.join(MANIFEST), text)
}
