//! The add-on stage on any text: bytes up to the first NUL are a `props.conf`, up to
//! the second a `transforms.conf`, the rest an event's `_raw`. Loading gives add-ons
//! or an error naming one of the two files; applying them to the event (sourcetype
//! `st`, and every `[default]` setting) never panics. `cargo +nightly fuzz run addon`.
#![no_main]

use firedrill_addons::AddOns;
use firedrill_events::SearchTime;
use firedrill_value::{Row, Value, Want};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0);
    let props = parts.next().unwrap_or_default();
    let transforms = parts.next().unwrap_or_default();
    let raw = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("TA-fuzz");
    std::fs::create_dir_all(app.join("default")).unwrap();
    std::fs::write(app.join("default/props.conf"), props).unwrap();
    std::fs::write(app.join("default/transforms.conf"), transforms).unwrap();
    match AddOns::load(&[app.clone()]) {
        Ok(a) => {
            let mut ev = Row::from([
                ("sourcetype".to_string(), Value::str("st")),
                ("source".to_string(), Value::str("/var/log/x.log")),
                ("host".to_string(), Value::str("h")),
                ("_raw".to_string(), Value::Str(raw)),
            ]);
            a.apply(&mut ev, &Want::everything());
        }
        Err(e) => assert!(e.file.starts_with(&app), "{e}"),
    }
});
