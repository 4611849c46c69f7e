//! Conformance against real content nobody here wrote: `../shared` beside the
//! repository (run by `.ci/run` with `cargo test -- --ignored`). The README's own test
//! command does not need it.

use firedrill::lookups::Lookups;
use firedrill::plan::{self, Planned, Prepared};
use firedrill::report::{Status, TestReport};
use firedrill::source::DatasetKey;
use firedrill_events::{read_events, SourceMeta};
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    std::env::var_os("FIREDRILL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared"))
}

fn require(p: &Path) {
    assert!(
        p.exists(),
        "{} is missing: the conformance suite needs ../shared beside the repository (or FIREDRILL_SHARED)",
        p.display()
    );
}

/// Runs one detection over one file through the run loop (as `firedrill run
/// --dataset FILE` does) and returns its test report.
fn run_on(
    p: &Planned,
    file: &Path,
    source: Option<String>,
    sourcetype: Option<String>,
) -> TestReport {
    let cache = tempfile::tempdir().unwrap();
    let fetcher = firedrill_dataset::Fetcher::new(firedrill_dataset::FetchOptions {
        data_dir: cache.path().to_path_buf(),
        mirror: None,
        offline: true,
        progress: false,
    })
    .unwrap();
    let datasets = [DatasetKey {
        reference: file.display().to_string(),
        source,
        sourcetype,
    }];
    let opts = firedrill::run::RunOptions {
        fetcher: &fetcher,
        expectations: &[],
        warn: &|_| {},
        progress: false,
        datasets: &datasets,
        hook: None,
    };
    let mut r = firedrill::run::run(std::slice::from_ref(p), &opts);
    let d = r.detections.pop().unwrap();
    d.tests.into_iter().next().unwrap_or_else(|| TestReport {
        name: d.name.clone(),
        status: d.status,
        reason: d.reason.clone(),
        results: 0,
        risk: Vec::new(),
        datasets: Vec::new(),
        duration_ms: 0.0,
        splunk: None,
    })
}

fn plan_all(loaded: &plan::Loaded) -> Vec<Planned> {
    plan::plan(loaded, &Lookups::new(&loaded.content))
}

/// Every detection in security_content loads; nearly every search parses; the figures
/// are printed so regressions show.
#[test]
#[ignore]
fn security_content_loads_and_parses() {
    let root = shared().join("content/security_content_2024-10");
    require(&root);
    let started = std::time::Instant::now();
    let loaded = plan::load(std::slice::from_ref(&root), None).unwrap();
    let loaded_in = started.elapsed();
    let planned = plan_all(&loaded);
    let planned_in = started.elapsed() - loaded_in;
    let total = planned.len();
    let mut parsed = 0;
    let mut unsupported = 0;
    let mut errors = Vec::new();
    for p in &planned {
        match &p.program {
            Ok(_) => parsed += 1,
            Err(Prepared::Unsupported(_)) => {
                parsed += 1;
                unsupported += 1;
            }
            Err(Prepared::Error(_)) if p.pipeline.is_some() => parsed += 1,
            Err(Prepared::Error(e)) => errors.push(format!(
                "{}: {}",
                p.detection.file.display(),
                e.lines().next().unwrap_or("")
            )),
        }
    }
    println!(
        "security_content_2024-10: {total} detections loaded ({} load errors) in {:?}; planned in {:?}",
        loaded.errors.len(),
        loaded_in,
        planned_in
    );
    println!(
        "  parsed {parsed} ({:.1}%), of which {unsupported} use something unsupported; {} did not parse",
        100.0 * parsed as f64 / total as f64,
        errors.len()
    );
    for e in errors.iter().take(20) {
        println!("  - {e}");
    }
    assert!(
        total >= 1600,
        "expected the 1,711 detection files, loaded {total}"
    );
    assert!(
        parsed as f64 >= 0.95 * total as f64,
        "parse rate fell: {parsed}/{total}"
    );
}

/// The schema examples (every schema version) and the two seed pages load, parse and
/// fire on the bundled example data, which holds the same attack.
#[test]
#[ignore]
fn seeds_and_schema_examples_fire() {
    let content = shared().join("content/security_content_2024-10");
    let seeds = shared().join("seeds");
    let examples = shared().join("content/schema_examples");
    require(&content);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&seeds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.extend(
        std::fs::read_dir(&examples)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.to_string_lossy().contains("sysmon_eventid_1")),
    );
    paths.sort();
    let loaded = plan::load(&paths, Some(&content)).unwrap();
    assert!(loaded.errors.is_empty(), "load errors: {:?}", loaded.errors);
    let planned = plan_all(&loaded);
    let examples =
        Path::new("examples/attack_data/datasets/attack_techniques/T1003.001/firedrill_example");
    let mut fired = Vec::new();
    for p in &planned {
        let name = format!("{} ({})", p.detection.name, p.detection.file.display());
        if let Err(e) = &p.program {
            panic!("{name}: {e:?}");
        }
        let reads_4688 = p
            .detection
            .tests
            .iter()
            .flat_map(|t| &t.attack_data)
            .any(|a| a.data.contains("windows-security"));
        let (file, source) = if reads_4688 {
            ("windows-security.log", "XmlWinEventLog:Security")
        } else {
            (
                "windows-sysmon.log",
                "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
            )
        };
        let t = run_on(
            p,
            &examples.join(file),
            Some(source.into()),
            Some("XmlWinEventLog".into()),
        );
        println!("{name}: {} results, risk rule: {}", t.results, p.risk_rule);
        assert!(
            t.results > 0,
            "{name} did not fire on the example data: {}",
            t.reason
        );
        assert!(!t.risk.is_empty(), "{name} raised no risk events");
        fired.push(name);
    }
    assert!(
        fired.len() >= 9,
        "expected both seeds and the schema examples, got {fired:?}"
    );
}

/// The engine's reach over real content (issue: nine in ten tested detections): at least
/// 98% of active detections parse and at least 90% of tested ones are fully supported.
#[test]
#[ignore]
fn coverage_of_security_content() {
    let root = shared().join("content/security_content_2024-10");
    require(&root);
    let started = std::time::Instant::now();
    let loaded = plan::load(std::slice::from_ref(&root), None).unwrap();
    let planned = plan_all(&loaded);
    let c = firedrill::coverage::coverage(&planned);
    let s = &c.summary;
    let active_parsed = 100.0 * s.active.parsed as f64 / s.active.total as f64;
    println!(
        "coverage in {:?}: active {} ({active_parsed:.1}% parsed), tested {} ({:.1}% supported)",
        started.elapsed(),
        s.active.total,
        s.tested.total,
        s.tested.percent_supported
    );
    for (cause, n) in &s.causes {
        println!("  {n:>4}  {cause}");
    }
    assert!(
        s.active.total >= 1600,
        "expected the 1,613 active detections"
    );
    assert!(
        s.tested.total >= 1490,
        "expected the 1,498 tested detections"
    );
    assert!(
        active_parsed >= 98.0,
        "active parse rate fell to {active_parsed:.1}%"
    );
    println!(
        "  data side: {} of {} tested covered; Windows event data {} of {} fully covered ({:.1}%)",
        s.tested_data_covered,
        s.tested.total,
        s.windows_fully_covered,
        s.windows_tested,
        s.percent_windows_fully_covered
    );
    assert!(
        s.percent_windows_fully_covered >= 90.0,
        "Windows-data coverage fell to {:.1}%",
        s.percent_windows_fully_covered
    );
    assert!(
        s.tested.percent_supported >= 90.0,
        "tested support fell to {:.1}%",
        s.tested.percent_supported
    );
}

/// Every file in ../shared/samples is read with no event lost: the event count equals
/// the count MANIFEST.txt gives (EVTX records, XmlWinEventLog events, archive events).
#[test]
#[ignore]
fn samples_read_without_loss() {
    let dir = shared().join("samples");
    require(&dir);
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.txt")).unwrap();
    // "N records" / "N events" in a file's contents= or note= line.
    fn count(text: &str) -> Option<usize> {
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .collect();
        words.windows(2).find_map(|w| {
            matches!(w[1].trim_end_matches(':'), "records" | "events")
                .then(|| w[0].trim_start_matches('(').parse().ok())
                .flatten()
        })
    }
    let mut current: Option<String> = None;
    let mut expected: Vec<(String, usize)> = Vec::new();
    for line in manifest.lines() {
        let t = line.trim();
        if !line.starts_with(' ') && !t.contains('=') && t.contains('/') {
            current = Some(t.to_string());
        } else if let Some(file) = &current {
            let c = t
                .strip_prefix("contents=")
                .or_else(|| t.strip_prefix("note="));
            if let Some(n) = c.and_then(count) {
                expected.retain(|(f, _)| f != file);
                expected.push((file.clone(), n));
            }
        }
    }
    assert!(
        expected.len() >= 60,
        "MANIFEST lists {} files with counts",
        expected.len()
    );
    let mut total = 0;
    let started = std::time::Instant::now();
    let mut per_format: std::collections::BTreeMap<String, (usize, usize, f64)> =
        Default::default();
    for (file, n) in &expected {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let t0 = std::time::Instant::now();
        let out =
            read_events(&bytes, &SourceMeta::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
        let entry = per_format.entry(format!("{:?}", out.format)).or_default();
        entry.0 += out.events.len();
        entry.1 += bytes.len();
        entry.2 += t0.elapsed().as_secs_f64();
        let lost: Vec<_> = out
            .skipped
            .iter()
            .filter(|s| !s.reason.starts_with("text between events"))
            .collect();
        assert_eq!(
            out.events.len(),
            *n,
            "{file}: read {} events, MANIFEST says {n}; skipped {lost:?}",
            out.events.len()
        );
        total += out.events.len();
    }
    println!(
        "samples: {} files, {total} events read in {:?}, none lost",
        expected.len(),
        started.elapsed()
    );
    for (format, (events, bytes, secs)) in &per_format {
        println!(
            "  {format:<15} {events:>6} events {:>7.2} MB (as stored) in {secs:.3} s = {:.0} events/s, {:.1} MB/s",
            *bytes as f64 / 1e6,
            *events as f64 / secs,
            *bytes as f64 / 1e6 / secs
        );
    }
}

/// Detections whose own tests name a sample in ../shared/samples
/// (`declared_tests.tsv`): each is run on its sample with the test's source and
/// sourcetype and judged by the pass rule. Those known to pass must keep passing; the
/// others are printed with the reason (the README explains each).
#[test]
#[ignore]
fn declared_tests_on_their_samples() {
    let dir = shared().join("samples");
    let content = shared().join("content/security_content_2024-10");
    require(&dir);
    let loaded = plan::load(&[], Some(&content)).unwrap();
    let planned = plan_all(&loaded);
    let tsv = std::fs::read_to_string(dir.join("declared_tests.tsv")).unwrap();
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (sample, file) = (
            cols[0],
            cols[1].trim_start_matches("security_content_2024-10/"),
        );
        let p = planned
            .iter()
            .find(|p| p.detection.file.ends_with(file))
            .unwrap_or_else(|| panic!("{file} not loaded"));
        // The upstream path the sample came from: "<blob>__a__b__c.log" is "a/b/c.log".
        let upstream = sample.rsplit('/').next().unwrap_or(sample);
        let upstream = upstream
            .split_once("__")
            .map(|x| x.1)
            .unwrap_or(upstream)
            .replace("__", "/");
        let data = p
            .detection
            .tests
            .iter()
            .flat_map(|t| &t.attack_data)
            .find(|a| a.data.ends_with(&upstream));
        let name = format!("{} on {}", p.detection.name, upstream);
        let t = run_on(
            p,
            &dir.join(sample),
            data.and_then(|a| a.source.clone()),
            data.and_then(|a| a.sourcetype.clone()),
        );
        if t.status == Status::Pass {
            passed.push(name);
        } else {
            let reason = t
                .reason
                .to_string()
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            failed.push(format!("{name}: {} — {reason}", t.status.as_str()));
        }
    }
    println!(
        "declared tests: {} pass, {} do not",
        passed.len(),
        failed.len()
    );
    for f in &failed {
        println!("  - {f}");
    }
    for must in [
        "Detect Certify Command Line Arguments",
        "Detect Certify With PowerShell Script Block Logging",
        "Windows AD DSRM Account Changes",
        "Windows AD DSRM Password Reset",
        "Windows AD Privileged Object Access Activity",
        "Windows Steal Authentication Certificates - ESC1 Authentication",
        "Windows Suspect Process With Authentication Traffic",
    ] {
        assert!(
            passed.iter().any(|p| p.starts_with(must)),
            "{must} no longer fires on its sample"
        );
    }
}

/// The live-field analysis is sound on real content: every detection over every
/// shared sample gives the same results and risk events whether admitted rows keep
/// only the fields the search needs or every field.
#[test]
#[ignore]
fn projection_keeps_results() {
    let dir = shared().join("samples");
    let content = shared().join("content/security_content_2024-10");
    require(&dir);
    let loaded = plan::load(&[], Some(&content)).unwrap();
    let projected: Vec<Planned> = plan_all(&loaded)
        .into_iter()
        .filter(|p| p.program.is_ok())
        .collect();
    let whole: Vec<Planned> = projected
        .iter()
        .cloned()
        .map(|mut p| {
            if let Ok(program) = &mut p.program {
                program.restrict_output(&firedrill_spl::FieldSet::All);
            }
            p
        })
        .collect();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.to_string_lossy().ends_with(".txt") || p.to_string_lossy().contains(".log")
            {
                if !matches!(p.extension().and_then(|x| x.to_str()), Some("tsv")) {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    let keys: Vec<DatasetKey> = files
        .iter()
        .map(|f| DatasetKey {
            reference: f.display().to_string(),
            source: None,
            sourcetype: None,
        })
        .collect();
    let cache = tempfile::tempdir().unwrap();
    let fetcher = firedrill_dataset::Fetcher::new(firedrill_dataset::FetchOptions {
        data_dir: cache.path().to_path_buf(),
        mirror: None,
        offline: true,
        progress: false,
    })
    .unwrap();
    let run = |planned: &[Planned]| {
        let opts = firedrill::run::RunOptions {
            fetcher: &fetcher,
            expectations: &[],
            warn: &|_| {},
            progress: false,
            datasets: &keys,
            hook: None,
        };
        firedrill::run::run(planned, &opts)
    };
    let started = std::time::Instant::now();
    let a = run(&projected);
    let took = started.elapsed();
    let b = run(&whole);
    let mut fired = 0;
    let mut compared = 0;
    for (x, y) in a.detections.iter().zip(&b.detections) {
        for (tx, ty) in x.tests.iter().zip(&y.tests) {
            compared += 1;
            fired += (tx.results > 0) as usize;
            assert_eq!(
                (tx.results, tx.status, &tx.risk),
                (ty.results, ty.status, &ty.risk),
                "{} on {}: projected {} / whole {}",
                x.name,
                tx.name,
                tx.reason,
                ty.reason
            );
        }
    }
    println!(
        "projection: {} detections x {} samples = {compared} runs agree ({fired} fire); {} events in {took:?}",
        projected.len(),
        keys.len(),
        a.summary.events
    );
    assert!(
        fired > 20,
        "too few detections fire on the samples to compare: {fired}"
    );
}
