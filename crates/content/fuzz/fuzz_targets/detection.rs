//! The content loader and the macro expander on any text: a detection YAML (or page)
//! loads or is a located `LoadError`, and its search expands or is a `MacroError`;
//! never a panic or a hang. Seeds: `cargo +nightly fuzz run detection corpus
//! ../../../examples/detections/endpoint`. `tests/mutations.rs` runs the same on
//! mutated examples with the stable toolchain, always.
#![no_main]

use firedrill_content::{default_macros, expand_macros, load_detection_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let name = if data.first() == Some(&b'#') {
        "d.md"
    } else {
        "d.yml"
    };
    let path = dir.path().join(name);
    std::fs::write(&path, data).unwrap();
    match load_detection_file(&path) {
        Ok(ds) => {
            for d in ds {
                let _ = expand_macros(&d.search, default_macros());
            }
        }
        Err(e) => assert_eq!(e.file, path),
    }
});
