//! The real content in `/work/shared` (not part of the repository): run with
//! `cargo test -p firedrill-content -- --ignored`. Skips with a message when absent.

use firedrill_content::{load_content, load_detection_file, SearchLanguage};
use std::path::Path;
use std::time::Instant;

#[test]
#[ignore]
fn shared_content_loads() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let tree = base.join("content/security_content_2024-10");
    if !tree.is_dir() {
        eprintln!("skipped: {} is absent", tree.display());
        return;
    }
    let t = Instant::now();
    let c = load_content(&tree);
    let took = t.elapsed();
    let with_tests = c.detections.iter().filter(|d| !d.tests.is_empty()).count();
    let with_risk = c
        .detections
        .iter()
        .filter(|d| !d.risk.objects.is_empty())
        .count();
    let expand_errors: Vec<String> = c
        .detections
        .iter()
        .filter(|d| d.language == SearchLanguage::Spl)
        .filter_map(|d| {
            firedrill_content::expand_macros(&d.search, &c.macros)
                .err()
                .map(|e| format!("{}: {e}", d.name))
        })
        .collect();
    eprintln!(
        "security_content_2024-10: {} detections, {} with tests, {} with risk objects, {} macros, {} lookups, {} load errors, {} searches whose macros do not expand, loaded in {took:?}",
        c.detections.len(),
        with_tests,
        with_risk,
        c.macros.len(),
        c.lookups.len(),
        c.errors.len(),
        expand_errors.len()
    );
    for e in c.errors.iter().take(10) {
        eprintln!("  load error: {e}");
    }
    for e in expand_errors.iter().take(10) {
        eprintln!("  expansion: {e}");
    }
    assert!(c.detections.len() > 1500);
    assert!(with_tests > 1000);
    assert!(c.macros.len() > 100);

    let examples = base.join("content/schema_examples");
    let ex = load_content(&examples);
    eprintln!(
        "schema_examples: {} detections, {} with tests, {} load errors",
        ex.detections.len(),
        ex.detections.iter().filter(|d| !d.tests.is_empty()).count(),
        ex.errors.len()
    );
    for d in &ex.detections {
        eprintln!(
            "  {:?} {:?} {} objects={:?} tests={}",
            d.schema,
            d.language,
            d.file.file_name().unwrap_or_default().to_string_lossy(),
            d.risk
                .objects
                .iter()
                .map(|o| format!("{}:{}:{}", o.field, o.kind, o.score))
                .collect::<Vec<_>>(),
            d.tests.len()
        );
    }
    assert!(ex.detections.iter().all(|d| !d.search.is_empty()));

    for seed in ["000_2d3e9f5815cc0d8a.txt", "001_3f457b89eeb4a21e.txt"] {
        let p = base.join("seeds").join(seed);
        let mut d = load_detection_file(&p).unwrap().remove(0);
        assert!(!d.search.is_empty(), "{seed}: no search");
        assert!(d.risk.score.is_some(), "{seed}: no score");
        assert!(
            d.tests[0].attack_data[0].data.starts_with("https://"),
            "{seed}: no dataset"
        );
        d.resolve_risk(Some(&c));
        eprintln!(
            "seed {seed}: {} ({:?}) score {:?} origin {} objects {:?}",
            d.name,
            d.language,
            d.risk.score,
            d.risk.origin.describe(),
            d.risk
                .objects
                .iter()
                .map(|o| format!("{}:{}", o.field, o.kind))
                .collect::<Vec<_>>()
        );
    }
}
