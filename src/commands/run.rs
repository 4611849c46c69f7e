//! `firedrill run`: detections over their test datasets (or `--dataset` files), with
//! the reports and the exit code.

use super::{fetcher, load, token, warn};
use crate::cli::{Format, PassRuleArg, RunArgs};
use firedrill::source::DatasetKey;
use firedrill::{expectations, lookups::Lookups, plan, report, run};
use std::io::IsTerminal;
use std::path::PathBuf;

pub fn run(a: RunArgs) -> Result<u8, String> {
    let addons = super::addons::load(&a.addons, a.quiet)?;
    let (mut loaded, content_errors) = load(&a.targets.paths, a.targets.content.as_deref())?;
    if let Some(rev) = &a.changed_since {
        changed_only(&mut loaded, &a, rev)?;
    }
    if let Some(spec) = &a.shard {
        let (k, n) = firedrill::shard::parse(spec)?;
        let shard = firedrill::shard::assign(&loaded.detections, n);
        let total = loaded.detections.len();
        let mut i = 0;
        loaded.detections.retain(|_| {
            i += 1;
            shard[i - 1] == k - 1
        });
        eprintln!(
            "firedrill: shard {k}/{n}: {} of {total} detections",
            loaded.detections.len()
        );
    }
    let lookups = super::UntilExit::new(
        Lookups::new(&loaded.content).with_geoip(super::addons::geoip(&a.geo)?),
    );
    let planned = super::UntilExit::new(plan::plan_with(&loaded, &*lookups, &plan_options(&a)));
    let loaded = super::UntilExit::new(loaded);
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
    let datasets: Vec<DatasetKey> = a
        .datasets
        .iter()
        .map(|p| {
            if !p.is_file() {
                return Err(format!("--dataset {}: no such file", p.display()));
            }
            Ok(DatasetKey {
                reference: p.display().to_string(),
                source: a.source.clone(),
                sourcetype: a.sourcetype.clone(),
            })
        })
        .collect::<Result<_, String>>()?;
    let client;
    let differential;
    let hook: Option<&dyn run::TestHook> = match &a.splunk {
        Some(url) => {
            if a.insecure {
                warn("--insecure: TLS certificates are not verified".into());
            }
            client = firedrill::splunk::SplunkClient::from_env(url, a.insecure, a.ca.as_deref())?;
            let hec = firedrill_replay::ReplayOptions {
                urls: a.hec.clone(),
                token: token(a.token_file.as_deref())?,
                ca_file: a.ca.clone(),
                insecure: a.insecure,
                ack: true,
                ..firedrill_replay::ReplayOptions::default()
            };
            differential =
                firedrill::splunk::Differential::new(&client, hec, &a.splunk_index, &warn);
            Some(&differential)
        }
        None => None,
    };
    let bar = if !a.quiet && std::io::stderr().is_terminal() && planned.len() > 20 {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} datasets {per_sec}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let show = |n: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(n as u64);
    };
    let opts = run::RunOptions {
        fetcher: &f,
        expectations: &exps,
        warn: &warn,
        progress: Some(&show),
        datasets: &datasets,
        hook,
        show_rows: a.show_results.unwrap_or(0),
        knowledge: super::addons::knowledge(&addons),
        skip_by_text: true,
        budget: (a.detection_timeout > 0.0)
            .then(|| std::time::Duration::try_from_secs_f64(a.detection_timeout).ok())
            .flatten(),
    };
    let mut r = run::run(&planned, &opts);
    bar.finish_and_clear();
    // Files that could not be loaded are errors in every report, after the rest.
    r.detections.extend(
        loaded
            .errors
            .iter()
            .map(report::DetectionReport::unloadable),
    );
    r.summary.count(&r.detections);
    match a.format {
        Format::Table => print!(
            "{}",
            report::table::render_with(
                &r,
                &report::table::TableOptions {
                    color: std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none(),
                    quiet: a.quiet,
                }
            )
        ),
        Format::Json => println!("{}", report::json(&r)),
    }
    // In a GitHub Actions job, each failing detection is an annotation on its file.
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        for line in report::annotations::github(&planned, &r) {
            println!("{line}");
        }
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
    if a.bless {
        use firedrill::bless::Blessed;
        for (name, b) in firedrill::bless::bless(&exp_dir, &r, &exps)? {
            match b {
                Blessed::Written(file, tests) => eprintln!(
                    "firedrill: blessed {name} ({}) -> {}",
                    tests.join(", "),
                    file.display()
                ),
                Blessed::KnownFailure(file) => eprintln!(
                    "firedrill: not blessed: {name} is marked known_failure in {}",
                    file.display()
                ),
                Blessed::NothingPassed => {
                    eprintln!("firedrill: not blessed: {name}: no test passed")
                }
            }
        }
    }
    if content_errors {
        eprintln!("firedrill: some content files could not be loaded (see above)");
        return Ok(2);
    }
    // Over --dataset files, firing or not is the answer, not a failure.
    let failed = if datasets.is_empty() {
        firedrill::select::run_failed(&planned, &r, a.strict)
    } else {
        r.summary.error > 0
    };
    Ok(if failed { 1 } else { 0 })
}

/// `--changed-since REF`: keeps the detections the change touches, saying why.
fn changed_only(loaded: &mut plan::Loaded, a: &RunArgs, rev: &str) -> Result<(), String> {
    let dir = a
        .targets
        .content
        .clone()
        .or_else(|| loaded.content.first().map(|c| c.root.clone()))
        .or_else(|| {
            a.targets.paths.first().map(|p| {
                if p.is_dir() {
                    p.clone()
                } else {
                    p.parent().map(PathBuf::from).unwrap_or_default()
                }
            })
        })
        .ok_or("--changed-since needs a content directory or detection paths")?;
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    let changed = firedrill::changes::changed_files(&dir, rev)?;
    let selected = firedrill::changes::select(loaded, &changed, &a.data.data);
    eprintln!(
        "firedrill: {} files changed since {rev}; {} of {} detections touched:",
        changed.len(),
        selected.len(),
        loaded.detections.len()
    );
    for s in &selected {
        eprintln!(
            "  {}: {}",
            loaded.detections[s.index].name,
            s.why.join("; ")
        );
    }
    let keep: std::collections::BTreeSet<usize> = selected.iter().map(|s| s.index).collect();
    let mut i = 0;
    loaded.detections.retain(|_| {
        i += 1;
        keep.contains(&(i - 1))
    });
    Ok(())
}

fn plan_options(a: &RunArgs) -> plan::PlanOptions {
    plan::PlanOptions {
        selection: firedrill_content::SelectionOptions {
            all: a.all,
            include_experimental: a.include_experimental,
            include_manual: a.include_manual,
        },
        skip_unselected: true,
        // Shown rows keep every field; otherwise only what the verdict reads is kept.
        keep_fields: a.show_results.is_some_and(|n| n > 0),
        pass_rule: match a.pass_rule {
            PassRuleArg::Contentctl => firedrill::verdict::PassRule::Contentctl,
            PassRuleArg::Strict => firedrill::verdict::PassRule::Strict,
        },
    }
}
