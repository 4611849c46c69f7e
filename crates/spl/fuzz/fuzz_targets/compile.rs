//! Whatever parses compiles to a program or to a precise error (unsupported, or
//! invalid), whose span lies inside the text; compilation never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = firedrill_spl::parse(text) else {
        return;
    };
    match firedrill_spl::compile(&p, &firedrill_spl::NoLookups) {
        Ok(mut program) => program.restrict_output(&firedrill_spl::FieldSet::of(["dest", "user"])),
        Err(e) => {
            let s = e.span();
            assert!(s.start <= text.len() && s.end <= text.len());
            let _ = e.render(text);
        }
    }
});
