//! The lexer and parser never panic and never loop on any text: every input parses
//! or is a `ParseError` whose span lies inside the text and renders with a caret.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match firedrill_spl::parse(text) {
        Ok(_) => {}
        Err(e) => {
            assert!(e.span.start <= text.len() && e.span.end <= text.len().max(e.span.start));
            let _ = e.render();
        }
    }
    if firedrill_spl::spl2::is_spl2(text) {
        let _ = firedrill_spl::spl2::parse_spl2(text);
    }
});
