//! The command line's arguments (clap derive): every subcommand and its flags.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Proves Splunk detections fire: replays their attack datasets through a built-in
/// Splunk-compatible engine and checks the risk events they raise.
#[derive(Parser)]
#[command(name = "firedrill", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run detections against their test datasets and report pass/fail.
    Run(RunArgs),
    /// Download and lock the datasets detections name, without running them.
    Fetch(FetchArgs),
    /// Show how much of the content the engine can judge, and why not the rest.
    Coverage(CoverageArgs),
    /// Run one detection over one dataset stage by stage and show where it stops firing.
    Explain(ExplainArgs),
    /// Run an SPL search over event files (or none, for `| makeresults`) and print its rows.
    Search(SearchArgs),
    /// Combine the JSON reports of `run --shard K/N` runs into one report.
    Merge(MergeArgs),
    /// Send datasets (or the datasets detections name) to Splunk's HTTP Event Collector.
    Replay(ReplayArgs),
    /// Run a local HEC-compatible server that counts what it receives (dry runs).
    HecSink(SinkArgs),
    /// Work with Splunk add-ons (props.conf / transforms.conf) brought with --addons.
    #[command(subcommand)]
    Addons(AddonsCommand),
}

#[derive(Subcommand)]
pub enum AddonsCommand {
    /// List every stanza and setting firedrill cannot apply, with file and line
    /// (exit 0: everything applies; 1: something does not; 2: a file is broken).
    Check(AddonsCheckArgs),
}

#[derive(Args)]
pub struct AddonsCheckArgs {
    /// Splunk apps, or directories of apps (a copy of etc/apps/).
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
}

/// Splunk add-ons to apply at search time, over firedrill's built-in ones.
#[derive(Args, Clone, Default)]
pub struct AddonsArgs {
    /// A Splunk app, or a directory of apps (a copy of etc/apps/), whose
    /// props.conf/transforms.conf apply over the built-in add-ons (repeatable; also
    /// FIREDRILL_ADDONS, separated like PATH).
    #[arg(long = "addons", value_name = "DIR")]
    pub addons: Vec<PathBuf>,
}

/// The GeoIP database `iplocation` reads.
#[derive(Args, Clone, Default)]
pub struct GeoArgs {
    /// A MaxMind DB (.mmdb) file with City records (MaxMind GeoLite2 or GeoIP2 City,
    /// DB-IP City) for `iplocation`; without one, a search using it is reported
    /// unsupported (also FIREDRILL_GEOIP).
    #[arg(long = "geoip", value_name = "FILE")]
    pub geoip: Option<PathBuf>,
}

#[derive(Args)]
pub struct ReplayArgs {
    /// Dataset files, detection files or content directories.
    #[arg(value_name = "DATASET|DETECTION|DIR", required = true)]
    pub inputs: Vec<PathBuf>,
    /// HEC base URL, e.g. https://splunk:8088 (repeat for an indexer cluster).
    #[arg(long = "hec", value_name = "URL", required = true)]
    pub hec: Vec<String>,
    /// File holding the HEC token (default: the SPLUNK_HEC_TOKEN environment variable).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// `raw` (Splunk breaks lines and reads timestamps) or `event` (JSON envelopes).
    #[arg(long, value_enum, default_value_t = HecEndpoint::Raw)]
    pub endpoint: HecEndpoint,
    /// Index to write to.
    #[arg(long)]
    pub index: Option<String>,
    /// Override the source.
    #[arg(long)]
    pub source: Option<String>,
    /// Override the sourcetype.
    #[arg(long)]
    pub sourcetype: Option<String>,
    /// Override the host.
    #[arg(long)]
    pub host: Option<String>,
    /// Wait for indexer acknowledgment (the token must have it enabled).
    #[arg(long)]
    pub ack: bool,
    /// Seconds to wait for acknowledgment.
    #[arg(long, default_value_t = 300)]
    pub ack_timeout: u64,
    /// Most uncompressed bytes per request (Splunk Cloud accepts about 1 MB).
    #[arg(long, default_value_t = 1_000_000)]
    pub batch_bytes: usize,
    /// Send bodies uncompressed.
    #[arg(long)]
    pub no_gzip: bool,
    /// Requests in flight.
    #[arg(long, default_value_t = 4)]
    pub in_flight: usize,
    /// Seconds to wait for HEC's answer to one request; a batch unanswered through
    /// every retry stops the replay.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    /// Retries of a batch HEC refuses as busy or does not answer.
    #[arg(long, default_value_t = 8)]
    pub retries: u32,
    /// Move event times so the newest lands at this time (`now` or ISO 8601).
    #[arg(long, value_name = "now|TIME")]
    pub shift_time: Option<String>,
    /// Extra CA certificate (PEM) to trust.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Do not verify TLS certificates (warned about).
    #[arg(long)]
    pub insecure: bool,
    /// Content checkout for detections named as inputs.
    #[arg(long, value_name = "DIR")]
    pub content: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum HecEndpoint {
    Raw,
    Event,
}

#[derive(Args)]
pub struct SinkArgs {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 8088)]
    pub port: u16,
    /// File holding the token to accept (default: SPLUNK_HEC_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Answer with ack ids and serve /services/collector/ack.
    #[arg(long)]
    pub ack: bool,
    /// Answer every Nth data request "server is busy" (503, code 9).
    #[arg(long, default_value_t = 0)]
    pub busy_every: usize,
    /// Drop the connection on every Nth data request.
    #[arg(long, default_value_t = 0)]
    pub drop_every: usize,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    pub seconds: Option<u64>,
}

#[derive(Args)]
pub struct ExplainArgs {
    /// A detection file, or a detection name or id in --content.
    #[arg(value_name = "DETECTION")]
    pub detection: String,
    #[command(flatten)]
    pub addons: AddonsArgs,
    #[command(flatten)]
    pub geo: GeoArgs,
    /// The event file to run it over.
    #[arg(long, value_name = "FILE")]
    pub dataset: PathBuf,
    /// Content checkout for macros, lookups (and the detection, when named).
    #[arg(long, value_name = "DIR")]
    pub content: Option<PathBuf>,
    /// The dataset's sourcetype (default: from the detection's test, else sniffed).
    #[arg(long)]
    pub sourcetype: Option<String>,
    /// The dataset's source (default: from the detection's test, else from the events).
    #[arg(long)]
    pub source: Option<String>,
}

#[derive(Args)]
pub struct MergeArgs {
    /// The shards' JSON reports (`run --format json`), and their summary.yml files
    /// (`run --summary-yml`) when --summary-yml is given.
    #[arg(value_name = "REPORT.json|SUMMARY.yml", required = true)]
    pub reports: Vec<PathBuf>,
    /// Also write the combined contentctl summary.yml to FILE (from the shards'
    /// summary.yml files among the inputs).
    #[arg(long, value_name = "FILE")]
    pub summary_yml: Option<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write the combined JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

#[derive(Args)]
pub struct SearchArgs {
    /// The search, as typed in Splunk's search bar (macros from --content).
    #[arg(value_name = "SPL")]
    pub spl: String,
    /// Event files to search (XmlWinEventLog, EVTX, JSON…; archives too).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The files' sourcetype (default: sniffed from each file).
    #[arg(long)]
    pub sourcetype: Option<String>,
    /// The files' source (default: from the events).
    #[arg(long)]
    pub source: Option<String>,
    /// Content checkout for macros and lookups.
    #[arg(long, value_name = "DIR")]
    pub content: Option<PathBuf>,
    /// Output: an aligned table, one JSON object per line, or CSV.
    #[arg(long, value_enum, default_value_t = RowsFormat::Table)]
    pub format: RowsFormat,
    #[command(flatten)]
    pub addons: AddonsArgs,
    #[command(flatten)]
    pub geo: GeoArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RowsFormat {
    Table,
    Json,
    Csv,
}

#[derive(Args)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub targets: Targets,
    #[command(flatten)]
    pub addons: AddonsArgs,
    #[command(flatten)]
    pub geo: GeoArgs,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args)]
pub struct Targets {
    /// Detection YAML files, detection pages, or content directories.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Content checkout for macros, lookups and risk objects (default: found from PATH).
    #[arg(long, value_name = "DIR")]
    pub content: Option<PathBuf>,
}

#[derive(Args)]
pub struct DataArgs {
    /// Dataset cache; mirrors attack_data's layout, so a clone of attack_data works.
    #[arg(long, value_name = "DIR", default_value = "attack_data")]
    pub data: PathBuf,
    /// Replace the upstream attack_data URL prefix (http(s) URL, file:// URL or directory).
    #[arg(long, value_name = "URL")]
    pub mirror: Option<String>,
    /// Never touch the network; report datasets missing from the cache.
    #[arg(long)]
    pub offline: bool,
    /// Let content name local dataset files under DIR (repeatable). Without it, a
    /// detection's `data:` may only name files in the cache (--data) or a local mirror.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub targets: Targets,
    #[command(flatten)]
    pub addons: AddonsArgs,
    #[command(flatten)]
    pub geo: GeoArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Run shard K of N: a stable, cost-balanced split of the detections (for N CI
    /// runners; together they run each detection once).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Write what each passing test produced (result count, risk events, message) into
    /// its expectation file under --expectations DIR (default ./expectations), for
    /// review; a detection marked known_failure is left alone and reported.
    #[arg(long)]
    pub bless: bool,
    /// Print only what did not pass, and the summary (no progress bar).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Run only the detections a change since REF touches (git, in the content
    /// repository): their file, a macro or lookup they use, a local dataset; each is
    /// printed with why.
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Show each test's first N result rows (5 when N is left out), every field; the
    /// JSON report gains `rows`.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "5")]
    pub show_results: Option<usize>,
    /// Directory of expectation files (default: ./expectations if it exists).
    #[arg(long, value_name = "DIR")]
    pub expectations: Option<PathBuf>,
    /// Stop a test whose rows take more than SECS of work (checked between batches of
    /// events) and report it as an error; 0 turns the limit off.
    #[arg(long, value_name = "SECS", default_value_t = 600.0)]
    pub detection_timeout: f64,
    /// Exit 1 when any selected detection is skipped too (unsupported search, no test
    /// data).
    #[arg(long)]
    pub strict: bool,
    /// Run every detection: also deprecated, experimental, Correlation and manual_test
    /// ones (by default only what contentctl tests; a deprecated detection never fails
    /// the run).
    #[arg(long)]
    pub all: bool,
    /// Also run experimental detections.
    #[arg(long)]
    pub include_experimental: bool,
    /// Also run detections tagged manual_test.
    #[arg(long)]
    pub include_manual: bool,
    /// `contentctl`: contentctl's unit test (the first complete row passes); `strict`:
    /// every row must have every risk- and threat-object field.
    #[arg(long, value_enum, default_value_t = PassRuleArg::Contentctl)]
    pub pass_rule: PassRuleArg,
    /// Also write contentctl's test_results/summary.yml to FILE.
    #[arg(long, value_name = "FILE")]
    pub summary_yml: Option<PathBuf>,
    /// Run every detection over these event files instead of its test datasets
    /// (repeatable): which detections fire on them, with how many results.
    #[arg(long = "dataset", value_name = "FILE")]
    pub datasets: Vec<PathBuf>,
    /// The sourcetype of the --dataset files (default: sniffed from their content).
    #[arg(long, requires = "datasets")]
    pub sourcetype: Option<String>,
    /// The source of the --dataset files (default: from the events).
    #[arg(long, requires = "datasets")]
    pub source: Option<String>,
    /// Also run each test in this Splunk (management URL, e.g. https://splunk:8089)
    /// and fail on any disagreement; credentials from SPLUNK_TOKEN, or
    /// SPLUNK_USERNAME and SPLUNK_PASSWORD.
    #[arg(long, value_name = "URL", requires = "hec")]
    pub splunk: Option<String>,
    /// HEC URL(s) of that Splunk, for replaying the test data (token from
    /// SPLUNK_HEC_TOKEN or --token-file).
    #[arg(long = "hec", value_name = "URL")]
    pub hec: Vec<String>,
    /// File holding the HEC token.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Prefix of the indexes the test data is replayed into (one per test).
    #[arg(long, value_name = "NAME", default_value = "firedrill")]
    pub splunk_index: String,
    /// Extra CA certificate (PEM) for Splunk's TLS.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Do not verify Splunk's TLS certificates (warned about).
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub targets: Targets,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PassRuleArg {
    Contentctl,
    Strict,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}
