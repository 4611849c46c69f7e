//! The `firedrill` command line: parses arguments, calls the library, sets the exit
//! code (0 all passed, 1 something failed or errored, 2 usage or content errors).

mod cli;

use clap::Parser;
use cli::*;
use firedrill::{expectations, plan, report, run};
use firedrill_dataset::{FetchOptions, Fetcher};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => cmd_run(a),
        Command::Fetch(a) => cmd_fetch(a),
        Command::Coverage(a) => cmd_coverage(a),
        Command::Explain(a) => cmd_explain(a),
        Command::Replay(a) => cmd_replay(a),
        Command::HecSink(a) => cmd_sink(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("firedrill: {e}");
            ExitCode::from(2)
        }
    }
}

fn fetcher(d: &DataArgs) -> Result<Fetcher, String> {
    Fetcher::new(FetchOptions {
        data_dir: d.data.clone(),
        mirror: d.mirror.clone(),
        offline: d.offline,
        progress: std::io::stderr().is_terminal(),
    })
    .map_err(|e| e.to_string())
}

fn load(
    paths: &[PathBuf],
    content: Option<&std::path::Path>,
) -> Result<(plan::Loaded, bool), String> {
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
    if loaded.detections.is_empty() {
        return Err("no detections found in the given paths".into());
    }
    let errors = !loaded.errors.is_empty();
    Ok((loaded, errors))
}

fn cmd_run(a: RunArgs) -> Result<u8, String> {
    let (loaded, content_errors) = load(&a.targets.paths, a.targets.content.as_deref())?;
    let planned = plan::plan_with(&loaded, &plan_options(&a));
    firedrill::select::note_macro_defaults(&planned, &|m| eprintln!("firedrill: note: {m}"));
    let exp_dir = a
        .expectations
        .clone()
        .unwrap_or_else(|| PathBuf::from("expectations"));
    if a.expectations.is_some() && !exp_dir.is_dir() {
        return Err(format!(
            "--expectations {}: no such directory",
            exp_dir.display()
        ));
    }
    let exps = expectations::load(&exp_dir)?;
    let f = fetcher(&a.data)?;
    let warn = |m: String| eprintln!("firedrill: warning: {m}");
    let lookups = std::sync::Arc::new(firedrill::lookups::Lookups::new(&loaded.content));
    let mut r = run::run(
        &planned,
        &f,
        &exps,
        lookups,
        &warn,
        std::io::stderr().is_terminal() && planned.len() > 20,
    );
    if let Some(url) = &a.splunk {
        if a.insecure {
            eprintln!("firedrill: warning: --insecure: TLS certificates are not verified");
        }
        let client = firedrill::splunk::SplunkClient::from_env(url, a.insecure, a.ca.as_deref())?;
        let hec = firedrill_replay::ReplayOptions {
            urls: a.hec.clone(),
            token: token(a.token_file.as_deref())?,
            ca_file: a.ca.clone(),
            insecure: a.insecure,
            ack: true,
            ..firedrill_replay::ReplayOptions::default()
        };
        firedrill::splunk::differential(
            &planned,
            &mut r,
            &f,
            &client,
            &hec,
            &a.splunk_index,
            &warn,
        );
    }
    match a.format {
        Format::Table => print!(
            "{}",
            report::table::render(
                &r,
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            )
        ),
        Format::Json => println!("{}", report::json(&r)),
    }
    if let Some(path) = &a.summary_yml {
        let mode = report::summary_yml::mode(&a.targets.paths);
        let yml = report::summary_yml::render(&planned, &r, mode)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, yml).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &a.junit {
        let xml = report::junit::render(&r).map_err(|e| format!("JUnit report: {e}"))?;
        std::fs::write(path, xml).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if content_errors {
        eprintln!("firedrill: some content files could not be loaded (see above)");
        return Ok(2);
    }
    Ok(if firedrill::select::run_failed(&planned, &r, a.strict) {
        1
    } else {
        0
    })
}

fn plan_options(a: &RunArgs) -> plan::PlanOptions {
    plan::PlanOptions {
        selection: firedrill_content::SelectionOptions {
            all: a.all,
            include_experimental: a.include_experimental,
            include_manual: a.include_manual,
        },
        skip_unselected: true,
        pass_rule: match a.pass_rule {
            PassRuleArg::Contentctl => firedrill::verdict::PassRule::Contentctl,
            PassRuleArg::Strict => firedrill::verdict::PassRule::Strict,
        },
    }
}

fn cmd_fetch(a: FetchArgs) -> Result<u8, String> {
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

fn cmd_coverage(a: CoverageArgs) -> Result<u8, String> {
    let (loaded, content_errors) = load(&a.targets.paths, a.targets.content.as_deref())?;
    let planned = plan::plan(&loaded);
    let lookups = firedrill::lookups::Lookups::new(&loaded.content);
    let c = firedrill::coverage::coverage(&planned, &lookups);
    match a.format {
        Format::Table => print!("{}", firedrill::coverage::render(&c)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&c).map_err(|e| e.to_string())?
        ),
    }
    Ok(if content_errors { 2 } else { 0 })
}

fn cmd_explain(a: ExplainArgs) -> Result<u8, String> {
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
    let planned = plan::plan(&loaded);
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
    let pipeline = match &p.pipeline {
        Ok(pl) => pl,
        Err(plan::Prepared::Error(e))
        | Err(plan::Prepared::Unsupported(e))
        | Err(plan::Prepared::NotSelected(e)) => {
            println!("{}: {e}", p.detection.name);
            return Ok(1);
        }
    };
    let test_meta = p.detection.tests.iter().flat_map(|t| &t.attack_data).next();
    let bytes = std::fs::read(&a.dataset).map_err(|e| format!("{}: {e}", a.dataset.display()))?;
    let meta = firedrill_events::SourceMeta {
        source: a
            .source
            .clone()
            .or_else(|| test_meta.and_then(|m| m.source.clone())),
        sourcetype: a
            .sourcetype
            .clone()
            .or_else(|| test_meta.and_then(|m| m.sourcetype.clone())),
        host: None,
    };
    let read = firedrill_events::read_events(&bytes, &meta)
        .map_err(|e| format!("{}: {e}", a.dataset.display()))?;
    for s in &read.skipped {
        eprintln!(
            "firedrill: warning: {}: skipped {} bytes at byte offset {}: {}",
            a.dataset.display(),
            s.len,
            s.offset,
            s.reason
        );
    }
    let lookups = std::sync::Arc::new(firedrill::lookups::Lookups::new(&loaded.content));
    let view = firedrill::datasource::DataView::with_lookups(read.events, lookups);
    println!(
        "{} over {} ({} events)\n",
        p.detection.name,
        a.dataset.display(),
        view.len()
    );
    let stages = firedrill_spl::exec::explain::explain(pipeline, &p.expanded, &view)
        .map_err(|e| e.render(&p.expanded))?;
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
    let last = stages.last().map(|s| s.rows_out).unwrap_or(0);
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

fn token(file: Option<&std::path::Path>) -> Result<String, String> {
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

/// The events of one input: a dataset file, or the test datasets of detections.
fn replay_inputs(a: &ReplayArgs) -> Result<Vec<firedrill_value::Event>, String> {
    let mut events = Vec::new();
    let mut detections = Vec::new();
    for input in &a.inputs {
        if !input.exists() {
            return Err(format!("{}: no such file or directory", input.display()));
        }
        let is_detection = input.is_dir()
            || firedrill_content::load_detection_file(input).is_ok_and(|d| !d.is_empty());
        if is_detection {
            detections.push(input.clone());
            continue;
        }
        let bytes = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
        let meta = firedrill_events::SourceMeta {
            source: a.source.clone(),
            sourcetype: a.sourcetype.clone(),
            host: a.host.clone(),
        };
        let out = firedrill_events::read_events(&bytes, &meta)
            .map_err(|e| format!("{}: {e}", input.display()))?;
        for s in &out.skipped {
            eprintln!(
                "firedrill: warning: {}: skipped {} bytes at byte offset {}: {}",
                input.display(),
                s.len,
                s.offset,
                s.reason
            );
        }
        events.extend(out.events);
    }
    if !detections.is_empty() {
        let loaded = plan::load(&detections, a.content.as_deref())?;
        let f = fetcher(&a.data)?;
        let mut seen = std::collections::HashSet::new();
        for d in &loaded.detections {
            for ad in d.tests.iter().flat_map(|t| &t.attack_data) {
                if !seen.insert((ad.data.clone(), ad.source.clone(), ad.sourcetype.clone())) {
                    continue;
                }
                let fetched = f.fetch(&ad.data).map_err(|e| e.to_string())?;
                let bytes = std::fs::read(&fetched.path)
                    .map_err(|e| format!("{}: {e}", fetched.path.display()))?;
                let meta = firedrill_events::SourceMeta {
                    source: ad
                        .source
                        .clone()
                        .or_else(|| fetched.meta.as_ref().and_then(|m| m.source.clone())),
                    sourcetype: ad
                        .sourcetype
                        .clone()
                        .or_else(|| fetched.meta.as_ref().and_then(|m| m.sourcetype.clone())),
                    host: None,
                };
                let out = firedrill_events::read_events(&bytes, &meta)
                    .map_err(|e| format!("{}: {e}", fetched.path.display()))?;
                events.extend(out.events);
            }
        }
    }
    Ok(events)
}

fn cmd_replay(a: ReplayArgs) -> Result<u8, String> {
    let token = token(a.token_file.as_deref())?;
    if a.insecure {
        eprintln!("firedrill: warning: --insecure: TLS certificates are not verified; anyone on the path can read the token");
    }
    let events = replay_inputs(&a)?;
    let overrides = firedrill::replay_cmd::Overrides {
        index: a.index.clone(),
        source: a.source.clone(),
        sourcetype: a.sourcetype.clone(),
        host: a.host.clone(),
    };
    let mut out = firedrill::replay_cmd::outgoing(&events, &overrides);
    let raw = matches!(a.endpoint, HecEndpoint::Raw);
    if let Some(spec) = &a.shift_time {
        let target = firedrill::replay_cmd::target_time(spec)?;
        let delta = firedrill::replay_cmd::shift(&mut out, target, raw)?;
        eprintln!("firedrill: shifted event times by {delta:.0} s");
    }
    let opts = firedrill_replay::ReplayOptions {
        urls: a.hec.clone(),
        token,
        endpoint: if raw {
            firedrill_replay::Endpoint::Raw
        } else {
            firedrill_replay::Endpoint::Event
        },
        max_batch_bytes: a.batch_bytes,
        gzip: !a.no_gzip,
        in_flight: a.in_flight,
        ack: a.ack,
        ack_timeout: std::time::Duration::from_secs(a.ack_timeout),
        ca_file: a.ca.clone(),
        insecure: a.insecure,
        ..firedrill_replay::ReplayOptions::default()
    };
    let total = out.len() as u64;
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} events {per_sec} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = std::time::Instant::now();
    let progress = |p: firedrill_replay::Progress| {
        bar.set_position(p.events);
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{:.1} MB/s", p.bytes as f64 / 1e6 / secs));
    };
    let sum =
        firedrill_replay::replay(out.into_iter(), &opts, &progress).map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&sum).map_err(|e| e.to_string())?),
        Format::Table => println!(
            "{} events, {:.1} MB in {} batches to {} endpoint(s) in {:.2} s ({:.0} events/s, {:.1} MB/s): {} {}, {} failed, {} retries",
            sum.events,
            sum.bytes as f64 / 1e6,
            sum.batches,
            sum.per_endpoint.len(),
            sum.duration_s,
            sum.events as f64 / sum.duration_s.max(1e-9),
            sum.bytes as f64 / 1e6 / sum.duration_s.max(1e-9),
            if sum.ack { sum.acknowledged } else { sum.accepted },
            if sum.ack { "acknowledged" } else { "accepted" },
            sum.failed,
            sum.retries
        ),
    }
    Ok(if sum.failed > 0 { 1 } else { 0 })
}

fn cmd_sink(a: SinkArgs) -> Result<u8, String> {
    let token = token(a.token_file.as_deref())?;
    let sink = firedrill_replay::Sink::start(
        firedrill_replay::SinkOptions {
            token,
            ack: a.ack,
            busy_every: a.busy_every,
            drop_every: a.drop_every,
            ..firedrill_replay::SinkOptions::default()
        },
        a.port,
    )
    .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", a.port))?;
    println!("HEC sink listening on {}", sink.url());
    let started = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        let s = sink.stats();
        eprintln!(
            "{} events, {} requests ({} gzip), {} busy, {} dropped",
            s.events, s.data_requests, s.gzip_requests, s.busy_replies, s.dropped
        );
        if a.seconds.is_some_and(|n| started.elapsed().as_secs() >= n) {
            return Ok(0);
        }
    }
}
