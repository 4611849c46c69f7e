//! Splunk add-ons as data: the search-time settings of `props.conf` and
//! `transforms.conf` (`EXTRACT-`, `REPORT-` with `REGEX`/`FORMAT`/`DELIMS`/`FIELDS`,
//! `FIELDALIAS-`, `EVAL-`, `rename`), event types and tags (`eventtypes.conf`,
//! `tags.conf`) and data models (`data/models/*.json`, [`AddOns::datamodels`]), read
//! from Splunk apps a user brings and firedrill's built-in ones, layered as Splunk
//! layers them, compiled once (regular expressions as `rex` reads them,
//! calculated fields with firedrill's SPL eval engine) and applied to every event
//! after firedrill's built-in add-on fields. What firedrill cannot apply is listed
//! with its file and line ([`AddOns::findings`]); what is broken stops loading.
//!
//! ```
//! use firedrill_addons::AddOns;
//! use firedrill_events::SearchTime;
//! use firedrill_value::{Fields, Row, Value, Want};
//!
//! let app = tempfile::tempdir()?;
//! std::fs::create_dir(app.path().join("default"))?;
//! std::fs::write(app.path().join("default/props.conf"),
//!     "[acme:web]\nEXTRACT-status = status=(?<status>\\d+)\n\
//!      EVAL-outcome = case(status>=500, \"error\", status>=400, \"denied\", true(), \"ok\")\n")?;
//! let addons = AddOns::load(&[app.path().to_path_buf()])?;
//! let mut ev = Row::from([
//!     ("sourcetype".to_string(), Value::str("acme:web")),
//!     ("_raw".to_string(), Value::str("GET /admin status=403")),
//! ]);
//! addons.apply(&mut ev, &Want::everything());
//! assert_eq!(ev.get_str("outcome"), Some(&Value::str("denied")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod apply;
pub mod builtin;
pub mod compile;
pub mod conf;
mod datamodel;
mod error;
pub mod extract;
pub mod layer;
pub mod settings;
mod tags;

pub use compile::Finding;
pub use error::{AddonError, ErrorKind};

use firedrill_value::{FieldsMut, Want};
use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable naming add-on directories (separated as `PATH` is).
pub const ENV: &str = "FIREDRILL_ADDONS";

/// A user's add-ons, compiled.
pub struct AddOns {
    applier: apply::Applier,
    tagger: tags::Tagger,
    models: firedrill_events::DataModels,
    findings: Vec<Finding>,
    files: Vec<PathBuf>,
}

impl fmt::Debug for AddOns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddOns")
            .field("files", &self.files)
            .field("stanzas", &self.applier.stanzas.len())
            .finish()
    }
}

impl AddOns {
    /// Reads, layers and compiles the apps under `dirs` (each one app, or a
    /// directory of apps) over the built-in ones ([`builtin`]).
    pub fn load(dirs: &[PathBuf]) -> Result<AddOns, AddonError> {
        let layered = layer::layer(builtin::FILES, dirs)?;
        let out = compile::compile(&layered)?;
        let mut findings = out.findings;
        let tagger = tags::Tagger::compile(&layered, &mut findings)?;
        let models = datamodel::compile(&layered, &tagger, &mut findings)?;
        Ok(AddOns {
            applier: apply::Applier::new(out.stanzas, out.renames),
            tagger,
            models,
            findings,
            files: layered.files,
        })
    }

    /// The directories `--addons` gave, then those in [`ENV`].
    pub fn dirs(flags: &[PathBuf]) -> Vec<PathBuf> {
        let mut out = flags.to_vec();
        if let Some(v) = std::env::var_os(ENV) {
            out.extend(std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()));
        }
        out
    }

    /// The settings not applied, in file and line order (the built-in files have
    /// none: a test holds them to that).
    pub fn findings(&self) -> Vec<&Finding> {
        let mut f: Vec<&Finding> = self.findings.iter().collect();
        f.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        // A transform or lookup several settings name is reported once.
        f.dedup();
        f
    }

    /// The files read, highest precedence first (built-in ones last, named
    /// `builtin/…`).
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The user's files read (not the built-in ones).
    pub fn user_files(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.iter().filter(|f| !builtin::is_builtin(f))
    }

    /// The number of the user's stanzas with a setting applied.
    pub fn user_stanzas(&self) -> usize {
        self.applier
            .stanzas
            .iter()
            .filter(|s| !builtin::is_builtin(&s.file))
            .count()
    }

    /// The number of stanzas with a setting applied.
    pub fn stanzas(&self) -> usize {
        self.applier.stanzas.len()
    }

    /// Every field some setting is known to set (the outputs of extractions whose
    /// names depend on the data are left out), sorted.
    pub fn outputs(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.applier.stanzas {
            for c in &s.settings {
                match &c.action {
                    compile::Action::Extract { extractor, .. } => {
                        out.extend(extractor.outputs().unwrap_or_default())
                    }
                    compile::Action::Report(ts) => {
                        for t in ts {
                            out.extend(t.extractor.outputs().unwrap_or_default());
                        }
                    }
                    compile::Action::Alias(list) => out.extend(list.iter().map(|a| a.dst.as_str())),
                    compile::Action::Eval(f, _) => out.push(f.as_str()),
                    compile::Action::Lookup(lk) => {
                        out.extend(lk.outputs.iter().map(|(_, f)| f.as_str()))
                    }
                    compile::Action::Rename(_)
                    | compile::Action::Time { .. }
                    | compile::Action::Reader(_) => {}
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The data models defined (built-in and the user's).
    pub fn datamodels(&self) -> &firedrill_events::DataModels {
        &self.models
    }

    /// The file of the `[sourcetype]` stanza that applies to `sourcetype`, when a
    /// stanza for it applies something (for `firedrill coverage`).
    pub fn feeds(&self, sourcetype: &str) -> Option<&Path> {
        // As events are given stanzas: by the sourcetype's exact name.
        self.applier
            .stanzas
            .iter()
            .find(|s| match &s.target {
                compile::Target::Sourcetype(st) => st == sourcetype,
                compile::Target::SourcetypePattern(g) => g.is_match(sourcetype),
                _ => false,
            })
            .map(|s| s.file.as_path())
    }
}

impl firedrill_events::SearchTime for AddOns {
    fn expand(&self, want: &mut Want, sourcetype: Option<&str>) {
        self.applier.expand(want, sourcetype);
        self.tagger.expand(want);
    }
    fn apply(&self, ev: &mut dyn FieldsMut, want: &Want) {
        self.applier.apply(ev, want);
        self.tagger.apply(ev, want);
    }
    fn datamodels(&self) -> &firedrill_events::DataModels {
        &self.models
    }
    fn keeps_pieces(
        &self,
        field: &str,
        sourcetype: &str,
        reader: &dyn Fn(&str) -> bool,
        matches: &dyn Fn(&firedrill_value::Value) -> bool,
    ) -> bool {
        // Tags and event types are names from the configuration, not the data.
        !self.tagger.writes(field)
            && self
                .applier
                .keeps_pieces(field, sourcetype, reader, matches)
    }
    fn kv_mode(&self, meta: &firedrill_events::SourceMeta) -> Option<firedrill_events::KvMode> {
        let mut ev = firedrill_value::Row::new();
        for (k, v) in [
            ("sourcetype", &meta.sourcetype),
            ("source", &meta.source),
            ("host", &meta.host),
        ] {
            if let Some(v) = v {
                ev.insert(k.to_string(), firedrill_value::Value::str(v.as_str()));
            }
        }
        self.applier.reader_mode(&ev)
    }
}
