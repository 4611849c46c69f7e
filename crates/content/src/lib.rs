//! Detection content for firedrill: one [`Detection`] model read from every shape
//! the field uses — security_content YAML (2021 with separate `*.test.yml` files, v4
//! `tags.observable`, v5 `rba:`, v6 `finding:`) and published detection pages — plus
//! the content's macros and lookup definitions.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod load;
mod macros;
mod page;
mod risk;
mod yaml;

pub use load::{load_content, load_detection_file, Content, LoadError};
pub use macros::{expand_macros, Expanded, Macro, MacroError, MacroSet};

use std::path::PathBuf;

/// Which search language a detection is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchLanguage {
    /// Splunk SPL.
    Spl,
    /// SPL2 for Splunk Behavioral Analytics (SSA).
    Spl2Ssa,
}

/// The content schema a detection was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// 2021-era YAML with tests in separate `*.test.yml` files.
    Legacy2021,
    /// `tags.impact`, `tags.confidence`, `tags.observable`, `tags.message`.
    V4,
    /// `rba:` with `risk_objects` and `threat_objects`.
    V5,
    /// `finding:`, `intermediate_findings:`, top-level `threat_objects:`.
    V6,
    /// A published detection page (markdown).
    DocPage,
}

/// How a detection's risk objects were decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RiskOrigin {
    /// The detection documents them.
    Documented,
    /// Taken from the same detection in the content (file named).
    FromContent(PathBuf),
    /// Derived from the fields the risk message names.
    FromMessage,
    /// Nothing to go on: `dest` (system) and `user` (user).
    Default,
}

impl RiskOrigin {
    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            RiskOrigin::Documented => "documented".into(),
            RiskOrigin::FromContent(f) => {
                format!("from the same detection in the content ({})", f.display())
            }
            RiskOrigin::FromMessage => "from the fields the risk message names".into(),
            RiskOrigin::Default => "default: dest (system) and user (user)".into(),
        }
    }
}

/// A detection, whatever shape it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// Detection id (a UUID in security_content).
    pub id: Option<String>,
    /// Detection name.
    pub name: String,
    /// The file it was read from.
    pub file: PathBuf,
    /// TTP, Anomaly, Hunting, Correlation...
    pub kind: Option<String>,
    /// production, experimental, deprecated, validation.
    pub status: Option<String>,
    /// The search as written (macros not expanded).
    pub search: String,
    /// SPL or SPL2.
    pub language: SearchLanguage,
    /// The schema it was read from.
    pub schema: Schema,
    /// Declared data sources.
    pub data_source: Vec<String>,
    /// Declared required fields.
    pub required_fields: Vec<String>,
    /// Products it targets.
    pub product: Vec<String>,
    /// Risk-based alerting: objects, threat objects, message.
    pub risk: Risk,
    /// Tests with attack data.
    pub tests: Vec<Test>,
}

/// What the detection documents about the risk it raises.
#[derive(Clone, Debug, PartialEq)]
pub struct Risk {
    /// Risk objects (entities scored).
    pub objects: Vec<RiskObject>,
    /// Threat objects.
    pub threat_objects: Vec<ThreatObject>,
    /// The risk message with `$field$` placeholders.
    pub message: Option<String>,
    /// A single documented score when the objects carry none (a detection page).
    pub score: Option<f64>,
    /// How the objects were decided.
    pub origin: RiskOrigin,
}

impl Default for Risk {
    fn default() -> Self {
        Risk {
            objects: Vec::new(),
            threat_objects: Vec::new(),
            message: None,
            score: None,
            origin: RiskOrigin::Documented,
        }
    }
}

/// A risk object: a result field naming an entity, its type and score.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskObject {
    /// The result field.
    pub field: String,
    /// `user`, `system` or `other`.
    pub kind: String,
    /// The score.
    pub score: f64,
    /// A message of its own (v6 intermediate findings).
    pub message: Option<String>,
}

/// A threat object.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreatObject {
    /// The result field.
    pub field: String,
    /// Its type (`process_name`, `file_name`...).
    pub kind: String,
}

/// One test of a detection.
#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    /// Test name.
    pub name: String,
    /// `unit`, `integration` or `manual`.
    pub test_type: String,
    /// The datasets it replays.
    pub attack_data: Vec<AttackData>,
}

/// One dataset a test replays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttackData {
    /// URL or path.
    pub data: String,
    /// The Splunk source to give the events, if named.
    pub source: Option<String>,
    /// The Splunk sourcetype, if named.
    pub sourcetype: Option<String>,
}

/// Kinds of lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupKind {
    /// A CSV file.
    Csv,
    /// A KV store collection.
    KvStore,
    /// A machine-learning model.
    MlModel,
    /// Anything else.
    Other,
}

/// A lookup definition from `lookups/*.yml`.
#[derive(Clone, Debug, PartialEq)]
pub struct LookupDef {
    /// Lookup name.
    pub name: String,
    /// CSV (or model) file name.
    pub filename: Option<String>,
    /// KV store collection.
    pub collection: Option<String>,
    /// What it is.
    pub kind: LookupKind,
    /// `WILDCARD(f)`, `CIDR(f)` entries.
    pub match_type: Vec<String>,
    /// Case-sensitive matching.
    pub case_sensitive_match: Option<bool>,
    /// Minimum matches.
    pub min_matches: Option<u32>,
    /// Maximum matches.
    pub max_matches: Option<u32>,
    /// Value for missing matches.
    pub default_match: Option<String>,
    /// KV store field list.
    pub fields_list: Option<String>,
    /// The definition file.
    pub file: PathBuf,
}

impl Detection {
    /// Fills risk objects for detections that name only a score (detection pages):
    /// from the same detection in `content` (matched by id, then name), else from the
    /// fields the message names, else `dest` (system) and `user` (user).
    pub fn resolve_risk(&mut self, content: Option<&Content>) {
        risk::resolve(self, content);
    }
}
