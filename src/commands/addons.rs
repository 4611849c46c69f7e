//! `--addons DIR` for the commands that read events, and `firedrill addons check`.

use crate::cli::{AddonsArgs, AddonsCheckArgs};
use firedrill_addons::AddOns;
use std::sync::Arc;

/// The add-ons `--addons` and `FIREDRILL_ADDONS` name, compiled over the built-in
/// ones (the built-in ones alone when neither names any). A broken file is an error (with file and line); settings firedrill
/// does not apply are counted on stderr unless `quiet`.
pub fn load(a: &AddonsArgs, quiet: bool) -> Result<Arc<AddOns>, String> {
    let dirs = AddOns::dirs(&a.addons);
    if dirs.is_empty() {
        return Ok(firedrill_addons::builtin::get());
    }
    let addons = AddOns::load(&dirs).map_err(|e| format!("add-ons: {e}"))?;
    let n = addons.findings().len();
    if n > 0 && !quiet {
        let list: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        super::warn(format!(
            "add-ons: {n} setting{} not applied (listed by `firedrill addons check {}`)",
            if n == 1 { "" } else { "s" },
            list.join(" ")
        ));
    }
    Ok(Arc::new(addons))
}

/// The add-ons as the event readers take them.
pub fn knowledge(a: &Arc<AddOns>) -> Option<Arc<dyn firedrill_events::SearchTime>> {
    Some(a.clone() as Arc<dyn firedrill_events::SearchTime>)
}

/// `firedrill addons check DIR…`: every setting not applied, `file:line: [stanza]
/// key: why`, then a count; exit 0 when everything applies, 1 when something does
/// not, 2 when a file is broken.
pub fn check(a: AddonsCheckArgs) -> Result<u8, String> {
    let addons = AddOns::load(&a.dirs).map_err(|e| e.to_string())?;
    let findings = addons.findings();
    for f in &findings {
        let place = match (f.stanza.is_empty(), f.key.is_empty()) {
            (false, false) => format!("[{}] {}", f.stanza, f.key),
            (false, true) => format!("[{}]", f.stanza),
            _ => f.key.clone(),
        };
        let why = f.why.replace('\n', "\n    ");
        println!("{}:{}: {place}: {why}", f.file.display(), f.line);
    }
    let files = addons.user_files().count();
    println!(
        "{} file{}, {} stanza{} applied, {} setting{} not applied",
        files,
        plural(files),
        addons.user_stanzas(),
        plural(addons.user_stanzas()),
        findings.len(),
        plural(findings.len()),
    );
    Ok(if findings.is_empty() { 0 } else { 1 })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The GeoIP database `--geoip` (or `FIREDRILL_GEOIP`) names, opened; `None` when
/// neither names one. A file that does not open is an error naming it.
pub fn geoip(a: &crate::cli::GeoArgs) -> Result<Option<Arc<dyn firedrill_spl::GeoIp>>, String> {
    let path = a
        .geoip
        .clone()
        .or_else(|| std::env::var_os("FIREDRILL_GEOIP").map(std::path::PathBuf::from))
        .filter(|p| !p.as_os_str().is_empty());
    match path {
        None => Ok(None),
        Some(p) => {
            let db = firedrill::geoip::MaxMind::open(&p).map_err(|e| format!("--geoip {e}"))?;
            Ok(Some(Arc::new(db) as Arc<dyn firedrill_spl::GeoIp>))
        }
    }
}
