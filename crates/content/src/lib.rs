//! Detection content for firedrill: one [`Detection`] model read from every shape
//! the field uses — security_content YAML (2021 with separate `*.test.yml` files, v4
//! `tags.observable`, v5 `rba:`, v6 `finding:`) and published detection pages — plus
//! the content's macros and lookup definitions.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builders;
mod load;
mod macros;
mod page;
pub mod read_yaml;
mod risk;
mod select;
mod shape;
pub mod text;
mod yaml;

pub use builders::{python_round, Deployments};
pub use load::{load_content, load_detection_file, load_support, read_text, Content, LoadError};
pub use macros::{default_macros, expand_macros, Expanded, Macro, MacroError, MacroSet};
pub use select::{Selection, SelectionOptions};

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
    /// The detection documents them (built by the [`Builder`] of its schema).
    Documented,
    /// A page: taken from the same detection in the content, keeping only the objects
    /// whose fields the page's own search names (`dropped` lists the others).
    FromContent {
        /// The content file.
        file: PathBuf,
        /// Risk and threat object fields of the content detection that the page's
        /// search does not name, so they were not taken.
        dropped: Vec<String>,
    },
    /// A page: derived from the fields the risk message names.
    FromMessage,
    /// A page with nothing to go on: `dest` (system) and `user` (user).
    Default,
}

impl RiskOrigin {
    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            RiskOrigin::Documented => "documented".into(),
            RiskOrigin::FromContent { file, dropped } if dropped.is_empty() => {
                format!("from the same detection in the content ({})", file.display())
            }
            RiskOrigin::FromContent { file, dropped } => format!(
                "from the same detection in the content ({}), without {} (the page's search does not output {})",
                file.display(),
                dropped
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if dropped.len() == 1 { "it" } else { "them" }
            ),
            RiskOrigin::FromMessage => "from the fields the risk message names".into(),
            RiskOrigin::Default => "default: dest (system) and user (user)".into(),
        }
    }
}

/// The build rules that turn a detection's metadata into risk and threat objects: each
/// schema was built by a different tool, and the tools differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builder {
    /// contentctl 4.x (`tags.observable`, security_content 2023–2024): a Victim of a user
    /// type (User, Username, Email Address) or system type (Device, Endpoint, Hostname,
    /// IP Address) is a risk object; an Attacker is a threat object (Process → `process`,
    /// File → `file_name`, IP → `ip_address`, URL → `url`, else its type lower-cased);
    /// anything else is a risk object of type `other`. Scores are Python's
    /// `round(impact * confidence / 100)`. A risk action only for TTP and Anomaly
    /// detections (the deployments) that name an analytic story.
    Contentctl4,
    /// contentctl 5.x (`rba:`): the objects as written, sorted as contentctl sorts them;
    /// a risk action for TTP and Anomaly detections.
    Contentctl5,
    /// `finding:` (v6). No released contentctl reads this schema; contentctl 5's rules
    /// are applied to `finding.entity`, `intermediate_findings.entities` and
    /// `threat_objects`.
    Finding,
    /// security_content's own builders before contentctl 4 — `bin/generate.py`
    /// (`add_rba`, 2021) and `bin/contentctl_project` (2022 to April 2023), used for
    /// 2021 YAML and for `tags.observable` with roles contentctl 4 rejects (`Parent
    /// Process`, `Child Process`, `Actor`…): observables of a user or system type with
    /// the Victim or Attacker role are risk objects, every other type a threat object
    /// (roles ignored), all scored `tags.risk_score`; a risk action for any detection
    /// with a risk score and an analytic story.
    Legacy,
    /// A Splunk Behavioral Analytics (SSA) pipeline: the `entities` it writes, scored
    /// `tags.risk_score`; without `entities`, its user and system observables.
    Ssa,
    /// A published detection page: its RBA table's score; objects resolved by
    /// [`Detection::resolve_risk`].
    Page,
}

impl Builder {
    /// A short name for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Builder::Contentctl4 => "contentctl 4 (tags.observable)",
            Builder::Contentctl5 => "contentctl 5 (rba)",
            Builder::Finding => "finding (v6; contentctl 5 rules)",
            Builder::Legacy => {
                "security_content's builders before contentctl 4 (2021 – April 2023)"
            }
            Builder::Ssa => "Behavioral Analytics (SSA entities)",
            Builder::Page => "detection page",
        }
    }
}

/// The result fields a unit test checks (contentctl's `DetectionTestingInfrastructure`):
/// for contentctl 4, observables with the Victim role are risk-object fields and those
/// with the Attacker role threat-object fields, whatever their types; for the other
/// builders, the fields of the risk and threat objects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestFields {
    /// A row missing one of these fails the test at once.
    pub risk: Vec<String>,
    /// A row missing one of these cannot pass the test; one that is null in every
    /// row fails it.
    pub threat: Vec<String>,
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
    /// `tags.manual_test`: why the detection is tested by hand (contentctl skips it).
    pub manual_test: Option<String>,
    /// `tags.analytic_story` (or top-level `analytic_story`).
    pub analytic_story: Vec<String>,
    /// An inline `deployment:` block's `alert_action.rba.enabled`, when it has one
    /// (otherwise the content's deployments decide by type).
    pub inline_rba: Option<bool>,
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
    /// Whose rules built them.
    pub builder: Builder,
    /// True when the build writes a risk action (`action.risk = 1`): only then are
    /// risk events raised. Hunting and Correlation detections have none.
    pub action: bool,
    /// The fields the unit test checks in each result row.
    pub test_fields: TestFields,
}

impl Default for Risk {
    fn default() -> Self {
        Risk {
            objects: Vec::new(),
            threat_objects: Vec::new(),
            message: None,
            score: None,
            origin: RiskOrigin::Documented,
            builder: Builder::Contentctl4,
            action: true,
            test_fields: TestFields::default(),
        }
    }
}

impl Risk {
    /// Test fields that follow from the objects (every builder but contentctl 4).
    pub fn fields_of_objects(&self) -> TestFields {
        let mut t = TestFields::default();
        for o in &self.objects {
            if !t.risk.contains(&o.field) {
                t.risk.push(o.field.clone());
            }
        }
        for o in &self.threat_objects {
            if !t.threat.contains(&o.field) {
                t.threat.push(o.field.clone());
            }
        }
        t
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
    /// A 2021 or SSA test file's `pass_condition` (`| stats count | where count > 0`,
    /// `@count_gt(0)`), which the test harness of that time applied.
    pub pass_condition: Option<String>,
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
    /// Fills the risk objects of a detection page, which names only a score: from the
    /// same detection in `content` (matched by id, then name), keeping only the objects
    /// whose fields the page's own search names; else from the fields the message
    /// names; else `dest` (system) and `user` (user). Other detections are left as
    /// their builder made them.
    pub fn resolve_risk(&mut self, content: Option<&Content>) {
        risk::resolve(self, content);
    }

    /// Whether `contentctl test` would unit-test this detection (or `options` include it
    /// anyway), and why not.
    pub fn selection(&self, options: &SelectionOptions) -> Selection {
        select::selection(self, options)
    }

    /// The detection's status, `production` when it has none (2021 content and pages),
    /// unless its file lies in a `deprecated` or `experimental` folder.
    pub fn effective_status(&self) -> String {
        select::effective_status(self)
    }

    /// Decides whether the build writes a risk action, from the content's deployments
    /// (which detection types have risk-based alerting).
    pub fn apply_deployments(&mut self, deployments: &Deployments) {
        builders::apply_deployments(self, deployments);
    }
}
