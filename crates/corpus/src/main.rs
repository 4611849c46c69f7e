//! `firedrill-corpus`: writes a benchmark corpus (see the library's documentation).

use clap::Parser;
use firedrill_corpus::{generate, Options};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Lays out every dataset file the tested detections of security_content name, at
/// their real sizes times --scale, made of real events from the samples, in
/// firedrill's cache layout with its lock file, so that
/// `firedrill run CONTENT --data OUT --offline` reads them.
#[derive(Parser)]
#[command(name = "firedrill-corpus")]
struct Args {
    /// The shared directory (content/ and samples/ inside it).
    #[arg(long, default_value = "../shared")]
    shared: PathBuf,
    /// Where to write the corpus (a firedrill data directory).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Size factor for every file (1 = attack_data's real sizes, 7.7 GB).
    #[arg(long, default_value_t = 0.1)]
    scale: f64,
    /// The content tree (default: SHARED/content/security_content_2024-10).
    #[arg(long)]
    content: Option<PathBuf>,
    /// The samples directory (default: SHARED/samples).
    #[arg(long)]
    samples: Option<PathBuf>,
    /// Threads writing files (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print the plan and the sample pools; write nothing.
    #[arg(long)]
    plan_only: bool,
    /// Also generate the datasets only deprecated detections name (a whole-tree
    /// `firedrill run` runs deprecated detections too).
    #[arg(long)]
    include_deprecated: bool,
    /// List every file not generated.
    #[arg(long)]
    verbose: bool,
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let out = match (&args.out, args.plan_only) {
        (Some(o), _) => o.clone(),
        (None, true) => PathBuf::from("/nonexistent"),
        (None, false) => {
            eprintln!("firedrill-corpus: --out DIR is required (or --plan-only)");
            return ExitCode::from(2);
        }
    };
    let mut opts = Options::from_shared(&args.shared, &out, args.scale);
    if let Some(c) = args.content {
        opts.content = c;
    }
    if let Some(s) = args.samples {
        opts.samples = s;
    }
    opts.plan_only = args.plan_only;
    opts.include_deprecated = args.include_deprecated;
    if let Some(j) = args.jobs {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(j)
            .build_global()
        {
            eprintln!("firedrill-corpus: --jobs: {e}");
            return ExitCode::from(2);
        }
    }
    let r = match generate(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("firedrill-corpus: {e}");
            return ExitCode::FAILURE;
        }
    };
    let p = &r.plan;
    let real: u64 = p.files.iter().map(|f| f.real_size).sum();
    let target: u64 = p.files.iter().map(|f| f.target).sum();
    let keys: usize = p.files.iter().map(|f| f.keys.len()).sum();
    println!("content:  {}", opts.content.display());
    println!(
        "          {} detections, {} tested ({}with attack_data), naming {} distinct datasets",
        p.detections,
        p.tested,
        if args.include_deprecated {
            ""
        } else {
            "not deprecated, "
        },
        p.references
    );
    println!(
        "plan:     {} files ({} lock keys), {} real, {} at scale {}",
        p.files.len(),
        keys,
        mb(real),
        mb(target),
        args.scale
    );
    println!(
        "          {} references not generated (not in attack_data's index)",
        p.not_in_index.len()
    );
    let mut why: BTreeMap<&str, usize> = BTreeMap::new();
    for (reference, reason) in &p.not_in_index {
        *why.entry(reason).or_default() += 1;
        if args.verbose || p.not_in_index.len() <= 12 {
            println!("            {reference}: {reason}");
        }
    }
    for (reason, n) in why {
        println!("            {n} {reason}");
    }
    let s = &r.samples;
    println!(
        "samples:  {} files read from {}; {} duplicate events dropped",
        s.files.len(),
        opts.samples.display(),
        s.duplicates
    );
    for (origin, (n, bytes)) in s.origins() {
        println!(
            "          {origin:?}: {n} distinct events, {} bytes on average",
            bytes / n.max(1)
        );
    }
    for (ch, ts) in &s.windows {
        let bytes: usize = ts.iter().map(|t| t.len_hint()).sum();
        println!(
            "          windows {ch}: {} events, {} bytes on average",
            ts.len(),
            bytes / ts.len().max(1)
        );
    }
    println!("          json: {} events", s.json.len());
    let mut by_pool: BTreeMap<String, (usize, u64, u64)> = BTreeMap::new();
    let mut by_st: BTreeMap<String, (usize, u64, String)> = BTreeMap::new();
    for f in &p.files {
        let (_, name) = firedrill_corpus::generate::pool(s, &f.kind);
        let e = by_pool.entry(name.clone()).or_default();
        e.0 += 1;
        e.1 += f.real_size;
        e.2 += f.target;
        let st = f
            .sourcetype
            .clone()
            .unwrap_or_else(|| "-".into())
            .to_ascii_lowercase();
        let e = by_st.entry(st).or_default();
        e.0 += 1;
        e.1 += f.real_size;
        e.2 = name.split(' ').next().unwrap_or("").to_string();
    }
    println!("pools:    (files, real bytes, target bytes)");
    for (name, (n, real, target)) in &by_pool {
        println!(
            "          {name}: {n} files, {}, {}",
            mb(*real),
            mb(*target)
        );
    }
    println!("sourcetypes: (files, real bytes, events used)");
    for (st, (n, real, kind)) in &by_st {
        println!("          {st}: {n} files, {}, {kind}", mb(*real));
    }
    if opts.plan_only {
        return ExitCode::SUCCESS;
    }
    let size: u64 = r.written.iter().map(|w| w.size).sum();
    let events: u64 = r.written.iter().map(|w| w.events).sum();
    let targets: BTreeMap<&str, u64> = p
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.target))
        .collect();
    let over = r
        .written
        .iter()
        .filter(|w| targets.get(w.path.as_str()).is_some_and(|t| w.size > *t))
        .count();
    println!(
        "written:  {} files, {} ({size} bytes), {events} events, in {:.1} s = {:.0} MB/s",
        r.written.len(),
        mb(size),
        r.write_secs,
        size as f64 / 1e6 / r.write_secs.max(1e-9)
    );
    println!(
        "          {over} files above their target (targets smaller than one event get one event)"
    );
    println!(
        "          {} lock entries in {}/firedrill.lock; {} metadata YAML files copied; manifest {}/{}",
        r.lock_entries,
        out.display(),
        r.metadata_copied,
        out.display(),
        firedrill_corpus::MANIFEST
    );
    for (path, e) in &r.failed {
        eprintln!("firedrill-corpus: {path}: {e}");
    }
    if r.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
