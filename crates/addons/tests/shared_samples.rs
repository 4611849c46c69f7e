//! The built-in apps' fields over every real sample under `../shared/samples`
//! (outside the repository; run by `.ci/run` with `--ignored`): the streaming reader,
//! which computes only the wanted fields, agrees with a full read. Skips with a
//! message when the samples are absent.

/// Every sample (MANIFEST.txt) read as a stream from disk with the built-in apps' fields:
/// records of a large restricted want (every field the apps compute and every data
/// model input) equal the full read with every add-on field, field by field.
#[test]
#[ignore = "reads ../shared/samples, which is not part of the repository"]
fn shared_samples_stream_like_full_reads() {
    use firedrill_events::{open, read_events, ReadOptions, SearchTime, SourceMeta};
    use std::path::{Path, PathBuf};
    let addons = firedrill_addons::builtin::get();
    use firedrill_value::{Fields, Want};
    let shared = std::env::var("FIREDRILL_SHARED")
        .ok()
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("samples");
    let Ok(manifest) = std::fs::read_to_string(dir.join("MANIFEST.txt")) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut want = Want::of(addons.outputs());
    let dms = firedrill_addons::builtin::datamodels();
    for name in dms.names() {
        let fields: Vec<&str> = dms.resolve(&name).unwrap().field_names().collect();
        for f in dms.inputs(&name, &fields).unwrap() {
            want.add(&f);
        }
    }
    for f in [
        "EventID",
        "Image",
        "CommandLine",
        "TargetUserName",
        "ScriptBlockText",
        "_raw",
    ] {
        want.add(f);
    }
    let mut opts = ReadOptions::with_want(want.clone().shared());
    opts.knowledge = Some(addons.clone());
    let (mut files, mut events) = (0, 0);
    let mut current: Option<String> = None;
    for line in manifest.lines() {
        let t = line.trim();
        if !line.starts_with(' ') && !t.contains('=') && t.contains('/') {
            current = Some(t.to_string());
            continue;
        }
        let (Some(file), Some(rest)) = (&current, t.strip_prefix("size=")) else {
            continue;
        };
        let mut parts = rest.split_whitespace();
        let size: u64 = parts.next().unwrap().parse().unwrap();
        let sha = parts.next().unwrap().trim_start_matches("sha256=");
        let path = dir.join(file);
        let bytes = std::fs::read(&path).unwrap();
        let mut full = read_events(&bytes, &SourceMeta::default()).unwrap();
        for e in &mut full.events {
            addons.apply(&mut e.fields, &Want::everything());
        }
        let mut s = open(&path, &SourceMeta::default(), &opts).unwrap();
        let mut recs = Vec::new();
        let mut skipped = Vec::new();
        while let Some(b) = s.next_batch().unwrap() {
            recs.extend(b.records);
            skipped.extend(b.skipped);
        }
        let end = s.finish();
        assert_eq!((end.bytes, end.sha256.as_str()), (size, sha), "{file}");
        assert_eq!(end.format, full.format, "{file}");
        assert_eq!(skipped, full.skipped, "{file}");
        assert_eq!(recs.len(), full.events.len(), "{file}");
        for (r, e) in recs.iter().zip(&full.events) {
            for (k, v) in &e.fields {
                if want.get(k).is_some()
                    || ["_time", "host", "source", "sourcetype"].contains(&k.as_str())
                {
                    assert_eq!(r.get_str(k), Some(v), "{file}: {k}");
                }
            }
            assert!(
                r.iter().all(|(s, _)| e.fields.contains_key(s.name())),
                "{file}: extra fields"
            );
        }
        files += 1;
        events += recs.len();
    }
    assert!(files >= 60, "{files} files in the manifest");
    println!("{files} files, {events} events: streams equal full reads");
}
