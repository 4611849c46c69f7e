//! The run loop: every test becomes a job; jobs are grouped by the datasets they read;
//! each dataset is read once, as a stream, and every event is offered to every job
//! that reads it — the leading filters of its compiled search run on the event in
//! place, in parallel within a batch, and only the rows that pass, cut to the fields
//! the rest of the search needs, are kept. A job is finished, judged and dropped as
//! soon as its last dataset has been read, so memory is bounded by the largest
//! working set, not by the corpus.

use crate::expectations::Expectation;
use crate::plan::{Planned, Prepared};
use crate::rba::risk_events;
use crate::report::{
    DatasetReport, DetectionReport, Mode, Reason, RunReport, Status, Summary, TestReport,
};
use crate::source::{self, DatasetKey, Opened};
use crate::verdict::judge_test;
use crate::views::{Seen, View};
use firedrill_dataset::Fetcher;
use firedrill_events::DataModels;
use firedrill_spl::{ExecError, PipeId, Program, State};
use firedrill_value::{Event, FieldRef, Fields, Row, Value, Want};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

/// How a run is set up.
pub struct RunOptions<'a> {
    /// Where test datasets come from.
    pub fetcher: &'a Fetcher,
    /// Expectation files.
    pub expectations: &'a [Expectation],
    /// Warnings for stderr (skipped regions…).
    pub warn: &'a (dyn Fn(String) + Sync),
    /// Told how far the run is: datasets read so far, of how many.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// `--dataset`: run every detection over these files instead of its tests.
    pub datasets: &'a [DatasetKey],
    /// A stage every judged test also goes through (the Splunk differential).
    pub hook: Option<&'a dyn TestHook>,
    /// `--show-results N`: keep each test's first N result rows in its report.
    pub show_rows: usize,
    /// `--detection-timeout`: a test whose rows take longer than this to process is
    /// stopped (between batches) as an error; `None`: no limit.
    pub budget: Option<std::time::Duration>,
    /// The `.conf` add-ons (`--addons` over the built-in ones); `None`: the built-in
    /// ones.
    pub knowledge: Option<Arc<dyn firedrill_events::SearchTime>>,
    /// Skip, unparsed, the XmlWinEventLog events whose text lacks what every
    /// detection reading the file requires of it (see [`firedrill_value::Need`]);
    /// false parses every event (the same results, slower; only events that would not
    /// have parsed are then reported as skipped regions).
    pub skip_by_text: bool,
}

/// A stage run beside the built-in engine for each test: it sees every event the
/// test reads and may amend the test's report (the `--splunk` differential check).
pub trait TestHook: Sync {
    /// A test starts; its events go to the returned sink.
    fn start(&self, p: &Planned, test: &str) -> Option<Box<dyn TestSink + '_>>;
}

/// Receives one test's events, then its report.
pub trait TestSink: Send {
    /// One event the test reads (its `_raw`, `_time`, `host`, `source` and
    /// `sourcetype` are there).
    fn event(&mut self, e: &dyn Fields);
    /// The test's events are over; the built-in verdict is in `report`.
    fn finish(self: Box<Self>, p: &Planned, report: &mut TestReport);
}

/// One test to run: a detection over its datasets.
struct Job<'p> {
    det: usize,
    name: Arc<str>,
    program: &'p Program,
    /// The datasets it reads (shared: over `--dataset` files every detection's job for
    /// one file has the same).
    keys: Arc<[usize]>,
    /// Made when the job starts (a run over many files holds many jobs not started).
    report: Option<Box<TestReport>>,
    state: Option<State<'p>>,
    sink: Option<Box<dyn TestSink + 'p>>,
    started: Option<Instant>,
    /// Time spent on its rows so far (what `budget` bounds).
    busy: std::time::Duration,
    done: bool,
}

impl<'p> Job<'p> {
    fn new(det: usize, name: Arc<str>, program: &'p Program, keys: Arc<[usize]>) -> Job<'p> {
        Job {
            det,
            report: None,
            name,
            program,
            keys,
            state: None,
            sink: None,
            started: None,
            busy: std::time::Duration::ZERO,
            done: false,
        }
    }

    /// The job's report, made on first use.
    fn rep(&mut self) -> &mut TestReport {
        let name = &self.name;
        self.report.get_or_insert_with(|| {
            Box::new(test_report(
                name,
                Status::Pass,
                Reason::Verdict(String::new()),
            ))
        })
    }

    fn fail(&mut self, status: Status, reason: Reason) {
        if !self.done {
            self.rep().status = status;
            self.rep().reason = reason;
            self.state = None;
            self.done = true;
        }
    }
}

/// What one event gives one consumer: its row and the event's time, or the error of
/// its leading filter.
type Admitted = (usize, Result<(Projected, f64), ExecError>);

/// An admitted event as its consumer keeps it.
enum Projected {
    Row(Row),
    /// For a pipe that only groups it (see [`Program::project_record`]).
    Record(firedrill_value::Record),
}

/// Runs `f`, turning a panic into that detection's error: a bug met by one search
/// must not take down the run and its reports.
fn guarded<T>(f: impl FnOnce() -> Result<T, ExecError>) -> Result<T, ExecError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(ExecError::Data {
            message: format!("internal error in firedrill (please report it): {what}"),
            span: Default::default(),
        })
    })
}

/// One job's rows from a batch: the pipe each goes to, in event order.
type JobRows = Vec<(PipeId, Result<(Projected, f64), ExecError>)>;

/// One consumer of a dataset's events: a pipe of a job's program and what it sees.
struct Consumer {
    job: usize,
    pipe: PipeId,
    view: usize,
    /// Its rows keep every field: an admitted event is read again whole.
    whole: bool,
}

/// The fields `tstats` sees without a data model.
const INDEXED: [&str; 5] = ["_time", "host", "source", "sourcetype", "index"];

/// How to read an admitted event again with every field.
struct Whole<'a> {
    format: firedrill_events::Format,
    meta: &'a firedrill_events::SourceMeta,
    knowledge: Option<&'a dyn firedrill_events::SearchTime>,
}

/// Runs `planned` detections.
pub fn run<'p>(planned: &'p [Planned], opts: &RunOptions<'p>) -> RunReport {
    let started = Instant::now();
    let mut keys: Vec<DatasetKey> = Vec::new();
    let mut key_index: HashMap<DatasetKey, usize> = HashMap::new();
    let mut key_of = |k: DatasetKey| -> usize {
        *key_index.entry(k.clone()).or_insert_with(|| {
            keys.push(k);
            keys.len() - 1
        })
    };
    let mut detections: Vec<DetectionReport> = Vec::with_capacity(planned.len());
    let mut jobs: Vec<Job<'_>> = Vec::new();
    // Over `--dataset` files: the detections that run, each over every file.
    let mut runnable: Vec<(usize, &Program)> = Vec::new();
    for (di, p) in planned.iter().enumerate() {
        let d = &p.detection;
        let mut report = DetectionReport {
            name: d.name.clone(),
            id: d.id.clone(),
            file: d.file.display().to_string(),
            status: Status::Pass,
            reason: Reason::Verdict(String::new()),
            results: 0,
            risk: Vec::new(),
            risk_rule: p.risk_rule.clone(),
            selected: p.selection.selected,
            selection_reason: p.selection.reason.clone(),
            macro_defaults: p.macro_defaults.clone(),
            tests: Vec::new(),
        };
        let program = match &p.program {
            Ok(program) => program,
            Err(Prepared::Error(e)) => {
                report.status = Status::Error;
                report.reason = Reason::Search(e.clone());
                detections.push(report);
                continue;
            }
            Err(Prepared::Unsupported(u)) => {
                report.status = Status::Skip;
                report.reason = Reason::Unsupported(u.clone());
                detections.push(report);
                continue;
            }
            Err(Prepared::NotSelected(why)) => {
                report.status = Status::Skip;
                report.reason = Reason::NotSelected(why.clone());
                detections.push(report);
                continue;
            }
        };
        if !opts.datasets.is_empty() {
            // Over given files: one job per file, made below, file by file.
            runnable.push((di, program));
            detections.push(report);
            continue;
        }
        let mut tests = Vec::new();
        for t in d.tests.iter().filter(|t| !t.attack_data.is_empty()) {
            if t.test_type.eq_ignore_ascii_case("manual") {
                report
                    .tests
                    .push(test_report(&t.name, Status::Skip, Reason::ManualTest));
                continue;
            }
            let mut idx: Vec<usize> = Vec::new();
            for a in &t.attack_data {
                let i = key_of(DatasetKey {
                    reference: a.data.clone(),
                    source: a.source.clone(),
                    sourcetype: a.sourcetype.clone(),
                });
                if !idx.contains(&i) {
                    idx.push(i);
                }
            }
            tests.push((Arc::<str>::from(t.name.as_str()), Arc::<[usize]>::from(idx)));
        }
        if tests.is_empty() && report.tests.is_empty() {
            report.status = Status::Skip;
            report.reason = Reason::NoTestData;
        }
        for (name, keys) in tests {
            jobs.push(Job::new(di, name, program, keys));
        }
        detections.push(report);
    }

    if !opts.datasets.is_empty() {
        // File by file, so that each file's jobs are together (each file is a
        // component of its own): no job is moved to group them.
        jobs.reserve_exact(opts.datasets.len() * runnable.len());
        for k in opts.datasets {
            let name: Arc<str> = Arc::from(k.reference.as_str());
            let keys: Arc<[usize]> = Arc::from([key_of(k.clone())]);
            for &(di, program) in &runnable {
                jobs.push(Job::new(di, name.clone(), program, keys.clone()));
            }
        }
    }
    let ran: Vec<usize> = {
        let mut r: Vec<usize> = jobs.iter().map(|j| j.det).collect();
        r.sort_unstable();
        r.dedup();
        r
    };
    let cache = Cache {
        empty: (0..planned.len())
            .map(|_| std::sync::OnceLock::new())
            .collect(),
        inputs: (0..planned.len())
            .map(|_| std::sync::OnceLock::new())
            .collect(),
    };
    let opened = open_all(&keys, opts);
    let components = schedule(&jobs, keys.len());
    let total: usize = components.iter().map(|c| c.0.len()).sum();
    let read = std::sync::atomic::AtomicUsize::new(0);
    let bar = || {
        let n = read.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(p) = opts.progress {
            p(n, total);
        }
    };
    let work = components_of(jobs, components);
    // Components share no dataset and no job: they run in parallel, each reading its
    // datasets in order (and each batch of events is parsed and offered in parallel).
    let done: Vec<Component<'_>> = work
        .into_par_iter()
        .map(|c| run_component(c, &keys, &opened, planned, opts, &bar, &cache))
        .collect();
    let mut summary = Summary::default();
    let mut finished: Vec<(usize, Job<'_>)> = Vec::new();
    for c in done {
        summary.events += c.events;
        summary.datasets += c.datasets;
        finished.extend(c.jobs);
    }
    finished.sort_by_key(|(i, _)| *i);
    let jobs: Vec<Job<'_>> = finished.into_iter().map(|(_, j)| j).collect();

    let mut by_det: BTreeMap<usize, Vec<TestReport>> = BTreeMap::new();
    for &di in &ran {
        by_det.entry(di).or_default();
    }
    for j in jobs {
        if let Some(r) = j.report {
            by_det.entry(j.det).or_default().push(*r);
        }
    }
    let mode = if opts.datasets.is_empty() {
        Mode::Tests
    } else {
        Mode::Datasets
    };
    for (di, tests) in by_det {
        let d = &mut detections[di];
        d.tests.extend(tests);
        if mode == Mode::Datasets {
            d.conclude_datasets(opts.datasets.len());
        }
    }
    if mode == Mode::Tests {
        // Every detection with tests (a manual test alone included) takes its worst.
        for d in detections.iter_mut().filter(|d| !d.tests.is_empty()) {
            d.conclude();
        }
    }
    summary.count(&detections);
    summary.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    RunReport {
        mode,
        detections,
        summary,
    }
}

/// What every job of a detection shares, computed once for the run.
struct Cache {
    /// The results over no events, per detection.
    empty: Vec<std::sync::OnceLock<Result<Vec<Row>, ExecError>>>,
    /// The pipes that read events, what each sees and the event fields it needs, per
    /// detection (or the pipe whose view does not exist, and why).
    inputs: Vec<std::sync::OnceLock<Inputs>>,
}

/// A program's pipes that read events, or the pipe whose view does not exist and why.
type Inputs = Result<Vec<InputSpec>, (PipeId, String)>;

/// One pipe of a program that reads events.
struct InputSpec {
    pipe: PipeId,
    view: View,
    /// Its rows keep every field: admitted events are read again whole.
    whole: bool,
    /// The event fields it needs.
    want: Vec<(&'static str, firedrill_value::Sym)>,
    /// The EventCodes an event must have for it to be admitted, if it needs some.
    codes: Option<Vec<String>>,
}

/// The EventCodes a pipe's events must have, from its guard (`EventCode=4688`) or its
/// data model's membership; `None` when it may admit any.
fn required_codes(program: &Program, pipe: PipeId, view: &View) -> Option<Vec<String>> {
    match view {
        View::Event => {
            let guard = program.guard(pipe)?;
            guard
                .into_iter()
                .map(|(f, v)| (&*f.name == "EventCode").then_some(v))
                .collect()
        }
        View::DataModel(set) | View::DataModelEvents(set) => {
            Some(set.event_codes()?.into_iter().map(String::from).collect())
        }
        View::Ssa | View::Ocsf(_) => None,
    }
}

/// The data models of `knowledge`, or the built-in ones.
pub fn datamodels(knowledge: Option<&dyn firedrill_events::SearchTime>) -> &DataModels {
    match knowledge {
        Some(k) => k.datamodels(),
        None => firedrill_addons::builtin::datamodels(),
    }
}

/// The pipes of `program` that read events, with their views and wanted fields.
fn inputs(program: &Program, dms: &DataModels) -> Inputs {
    let mut out = Vec::new();
    for (pipe, src) in program.inputs() {
        let view = match View::of(src, dms) {
            Ok(Some(v)) => v,
            Ok(None) => continue,
            Err(message) => return Err((pipe, message)),
        };
        let needs = program.needs(pipe);
        let whole = matches!(view, View::Event | View::DataModelEvents(_)) && needs.is_all();
        let mut want = Want::default();
        if matches!(src, firedrill_spl::Source::Indexed) {
            for f in INDEXED {
                want.add(f);
            }
        }
        view.want(needs, &program.filter_fields(pipe), &mut want);
        if whole {
            // Its rows keep every field: the few admitted events are read again whole.
            want.add("_raw");
        }
        let want = want
            .names()
            .filter_map(|n| Some((n, want.get(n)?)))
            .collect();
        let codes = required_codes(program, pipe, &view);
        out.push(InputSpec {
            pipe,
            view,
            whole,
            want,
            codes,
        });
    }
    Ok(out)
}

/// Jobs that share datasets, with those datasets in reading order.
struct Component<'p> {
    keys: Vec<usize>,
    /// The jobs, with their index in the run.
    jobs: Vec<(usize, Job<'p>)>,
    events: u64,
    datasets: usize,
}

/// The jobs handed to their components. When each component's jobs are together and
/// in order (always over `--dataset` files, where jobs are counted in the hundreds of
/// thousands), they are moved once, in order; otherwise each is picked by index.
fn components_of<'p>(
    jobs: Vec<Job<'p>>,
    components: Vec<(Vec<usize>, Vec<usize>)>,
) -> Vec<Component<'p>> {
    let mut next = 0;
    let in_order = components.iter().all(|(_, js)| {
        let ok = js.iter().enumerate().all(|(i, &j)| j == next + i);
        next += js.len();
        ok
    }) && next == jobs.len();
    let component = |keys, jobs| Component {
        keys,
        jobs,
        events: 0,
        datasets: 0,
    };
    if in_order {
        let mut all = jobs.into_iter().enumerate();
        return components
            .into_iter()
            .map(|(keys, js)| component(keys, all.by_ref().take(js.len()).collect()))
            .collect();
    }
    let mut slots: Vec<Option<Job<'_>>> = jobs.into_iter().map(Some).collect();
    components
        .into_iter()
        .map(|(keys, js)| {
            let picked = js
                .into_iter()
                .filter_map(|j| Some((j, slots[j].take()?)))
                .collect();
            component(keys, picked)
        })
        .collect()
}

/// Reads a component's datasets in order, finishing each job after its last one.
fn run_component<'p>(
    mut c: Component<'p>,
    keys: &[DatasetKey],
    opened: &[Result<Opened, String>],
    planned: &'p [Planned],
    opts: &RunOptions<'p>,
    bar: &(dyn Fn() + Sync),
    cache: &Cache,
) -> Component<'p> {
    let (ids, mut jobs): (Vec<usize>, Vec<Job<'p>>) =
        std::mem::take(&mut c.jobs).into_iter().unzip();
    let mut remaining: Vec<usize> = jobs.iter().map(|j| j.keys.len()).collect();
    for &k in &c.keys {
        let readers: Vec<usize> = (0..jobs.len())
            .filter(|&i| jobs[i].keys.contains(&k))
            .collect();
        let (n, ok) = read_dataset(
            &keys[k], &opened[k], &readers, &mut jobs, planned, opts, cache,
        );
        c.events += n;
        c.datasets += ok as usize;
        for &ji in &readers {
            remaining[ji] -= 1;
            if remaining[ji] == 0 {
                finish_job(&mut jobs[ji], planned, opts, cache);
            }
        }
        bar();
    }
    c.jobs = ids.into_iter().zip(jobs).collect();
    if !opts.datasets.is_empty() {
        // Over --dataset files, a quiet file is only counted (see conclude_datasets).
        c.jobs.retain(|(_, j)| {
            j.report
                .as_ref()
                .is_some_and(|r| r.results > 0 || r.status == Status::Error)
        });
    }
    c
}

fn test_report(name: &str, status: Status, reason: Reason) -> TestReport {
    TestReport {
        name: name.to_string(),
        status,
        reason,
        results: 0,
        risk: Vec::new(),
        datasets: Vec::new(),
        duration_ms: 0.0,
        splunk: None,
        outcome: None,
        rows: Vec::new(),
    }
}

/// Locates every dataset once (downloads in parallel).
fn open_all(keys: &[DatasetKey], opts: &RunOptions<'_>) -> Vec<Result<Opened, String>> {
    keys.par_iter()
        .map(|k| {
            let opened = if opts.datasets.is_empty() {
                source::open(opts.fetcher, k)
            } else {
                source::open_file(
                    std::path::Path::new(&k.reference),
                    k.source.clone(),
                    k.sourcetype.clone(),
                )
            };
            opened.map(|o| match &opts.knowledge {
                Some(k) => source::Opened {
                    knowledge: Some(k.clone()),
                    ..o
                },
                None => o,
            })
        })
        .collect()
}

/// The jobs grouped by the datasets they share (connected components), each with its
/// datasets in the order of first use: a job's state lives from its first dataset to
/// its last and no longer, and components can run side by side.
fn schedule(jobs: &[Job<'_>], n: usize) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for j in jobs {
        for w in j.keys.windows(2) {
            let (a, b) = (root(&mut parent, w[0]), root(&mut parent, w[1]));
            parent[a] = b;
        }
    }
    let mut order: Vec<usize> = Vec::new();
    let mut seen = vec![false; n];
    for j in jobs {
        for &k in j.keys.iter() {
            if !seen[k] {
                seen[k] = true;
                order.push(k);
            }
        }
    }
    let mut comps: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    let mut comp_of: HashMap<usize, usize> = HashMap::new();
    for k in order {
        let r = root(&mut parent, k);
        let c = *comp_of.entry(r).or_insert_with(|| {
            comps.push((Vec::new(), Vec::new()));
            comps.len() - 1
        });
        comps[c].0.push(k);
    }
    for (ji, j) in jobs.iter().enumerate() {
        if let Some(&k) = j.keys.first() {
            let r = root(&mut parent, k);
            comps[comp_of[&r]].1.push(ji);
        }
    }
    comps
}

/// A dataset that failed while being opened or read: the error of every job reading
/// it.
fn unreadable(jobs: &mut [Job<'_>], readers: &[usize], report: &mut DatasetReport, e: String) {
    report.error = Some(e.clone());
    for &ji in readers {
        jobs[ji].rep().datasets.push(report.clone());
        jobs[ji].fail(Status::Error, Reason::Dataset(e.clone()));
    }
}

/// Reads one dataset and offers its events to every job that reads it. Returns the
/// events read and whether the dataset could be read.
fn read_dataset<'p>(
    key: &DatasetKey,
    opened: &Result<Opened, String>,
    readers: &[usize],
    jobs: &mut [Job<'p>],
    planned: &'p [Planned],
    opts: &RunOptions<'p>,
    cache: &Cache,
) -> (u64, bool) {
    let opened = match opened {
        Ok(o) => o,
        Err(e) => {
            for &ji in readers {
                let j = &mut jobs[ji];
                j.rep().datasets.push(DatasetReport {
                    reference: key.reference.clone(),
                    path: None,
                    events: 0,
                    skipped: 0,
                    source: key.source.clone(),
                    sourcetype: key.sourcetype.clone(),
                    downloaded: false,
                    read_ms: 0.0,
                    error: Some(e.clone()),
                });
                j.fail(Status::Error, Reason::Dataset(e.clone()));
            }
            return (0, false);
        }
    };
    // Start the jobs that begin here; gather the consumers and the views they need.
    let mut views: Vec<View> = Vec::new();
    let mut consumers: Vec<Consumer> = Vec::new();
    let mut want = Want::default();
    // The EventCodes any reader needs: other Windows events need not be parsed.
    let mut codes: Option<std::collections::HashSet<String>> = Some(Default::default());
    // And what their text must hold: other XmlWinEventLog events need not be parsed.
    // (Which add-on settings apply depends on the sourcetype, the file's for the whole
    // file: the XmlWinEventLog reader's unless the dataset names one.)
    let mut needs: Option<Vec<firedrill_value::Need>> = Some(Vec::new());
    let builtin = firedrill_addons::builtin::get();
    let knowledge: &dyn firedrill_events::SearchTime = match &opened.knowledge {
        Some(k) => &**k,
        None => &*builtin,
    };
    let sourcetype = opened
        .meta
        .sourcetype
        .as_deref()
        .unwrap_or("XmlWinEventLog");
    for &ji in readers {
        let j = &mut jobs[ji];
        if j.done {
            continue;
        }
        if j.state.is_none() {
            j.state = Some(j.program.start());
            j.started = Some(Instant::now());
            if let Some(h) = opts.hook {
                j.sink = h.start(&planned[j.det], &j.name);
            }
        }
        let specs = match cache.inputs[j.det]
            .get_or_init(|| inputs(j.program, datamodels(opts.knowledge.as_deref())))
        {
            Ok(specs) => specs,
            Err((pipe, message)) => {
                let p = &planned[j.det];
                let e = ExecError::Data {
                    message: message.clone(),
                    span: j.program.source_span(*pipe),
                };
                j.fail(Status::Error, Reason::Runtime(e.render(&p.expanded)));
                continue;
            }
        };
        for spec in specs {
            for &(name, sym) in &spec.want {
                want.insert(name, sym);
            }
            match (&spec.codes, &mut codes) {
                (Some(c), Some(all)) => all.extend(c.iter().cloned()),
                (None, _) => codes = None,
                (Some(_), None) => {}
            }
            if let Some(all) = &mut needs {
                match spec.view.need(j.program, spec.pipe, knowledge, sourcetype) {
                    Some(n) => all.push(n),
                    None => needs = None,
                }
            }
            let vi = match views.iter().position(|v| *v == spec.view) {
                Some(i) => i,
                None => {
                    views.push(spec.view.clone());
                    views.len() - 1
                }
            };
            consumers.push(Consumer {
                job: ji,
                pipe: spec.pipe,
                view: vi,
                whole: spec.whole,
            });
        }
        if j.sink.is_some() {
            // The Splunk check replays every event.
            codes = None;
            needs = None;
            for f in ["_raw", "host", "source", "sourcetype"] {
                want.add(f);
            }
        }
    }
    // What the add-ons read is read for them and dropped (the reader expands for
    // them itself).
    let mut report = opened.report();
    let began = Instant::now();
    // (No condition at all would skip everything: only readers' conditions count.)
    let need = needs
        .filter(|n| opts.skip_by_text && !n.is_empty())
        .and_then(|n| firedrill_value::Need::any(n.into_iter().map(Some).collect()));
    let mut reading =
        match opened.read_codes(Arc::new(want), codes.map(Arc::new), need.map(Arc::new)) {
            Ok(r) => r,
            Err(e) => {
                unreadable(jobs, readers, &mut report, e);
                return (0, false);
            }
        };
    let dispatch = Dispatch::new(&consumers, jobs);
    let whole = Whole {
        format: reading.format(),
        meta: &opened.meta,
        knowledge: opened.knowledge.as_deref(),
    };
    loop {
        let batch = match reading.next_batch() {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                unreadable(jobs, readers, &mut report, e);
                return (0, false);
            }
        };
        let live: Vec<Option<&Program>> = jobs
            .iter()
            .map(|j| (!j.done).then_some(j.program))
            .collect();
        let offer_all = |guard: bool| -> Vec<Vec<Admitted>> {
            (0..batch.len())
                .into_par_iter()
                .map(|i| {
                    offer(
                        batch.get(i),
                        &consumers,
                        &views,
                        &live,
                        &dispatch,
                        &whole,
                        guard,
                    )
                })
                .collect()
        };
        // A panic in some detection's filter is rare: the batch is then offered again
        // with each filter guarded, so that it becomes that detection's error alone
        // (guarding every filter of every event costs a third of the time).
        let admitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| offer_all(false)))
            .unwrap_or_else(|_| offer_all(true));
        // Rows go to each job in event order; jobs are independent, so they take
        // their rows side by side.
        let mut per_job: Vec<JobRows> = (0..jobs.len()).map(|_| Vec::new()).collect();
        for rows in admitted {
            for (ci, r) in rows {
                let c = &consumers[ci];
                per_job[c.job].push((c.pipe, r));
            }
        }
        jobs.par_iter_mut().zip(per_job).for_each(|(j, rows)| {
            if rows.is_empty() {
                return;
            }
            let began = Instant::now();
            // One guard over the job's rows of the batch, not one per row.
            let pushed = guarded(|| {
                for (pipe, r) in rows {
                    let Some(state) = j.state.as_mut() else {
                        return Ok(());
                    };
                    let pushed = r.and_then(|(p, time)| match p {
                        Projected::Row(row) => state.push(pipe, row, time),
                        Projected::Record(rec) => state.push_record(pipe, rec, time),
                    });
                    if let Err(e) = pushed {
                        let text = &planned[j.det].expanded;
                        j.fail(Status::Error, Reason::Runtime(e.render(text)));
                    }
                }
                Ok(())
            });
            if let Err(e) = pushed {
                let text = &planned[j.det].expanded;
                j.fail(Status::Error, Reason::Runtime(e.render(text)));
            }
            j.busy += began.elapsed();
            if let Some(b) = opts.budget.filter(|b| j.busy > *b) {
                j.fail(
                    Status::Error,
                    Reason::Runtime(format!(
                        "stopped: its rows took more than the {} s a test may take (--detection-timeout)",
                        b.as_secs_f64()
                    )),
                );
            }
        });
        if readers.iter().any(|&ji| jobs[ji].sink.is_some()) {
            for ev in batch.iter() {
                for &ji in readers {
                    if let Some(s) = jobs[ji].sink.as_mut() {
                        s.event(ev);
                    }
                }
            }
        }
    }
    let end = reading.finish(
        opened,
        opts.datasets.is_empty().then_some(opts.fetcher),
        opts.warn,
    );
    let events = match end {
        Ok(end) => {
            report.events = end.events;
            report.skipped = end.skipped;
            report.read_ms = began.elapsed().as_secs_f64() * 1000.0;
            for &ji in readers {
                jobs[ji].rep().datasets.push(report.clone());
            }
            end.events
        }
        Err(e) => {
            // The file changed under its lock entry: nothing read from it counts.
            report.error = Some(e.clone());
            for &ji in readers {
                jobs[ji].rep().datasets.push(report.clone());
                jobs[ji].fail(Status::Error, Reason::Dataset(e.clone()));
            }
            return (0, false);
        }
    };
    (events, true)
}

/// Consumers indexed by the values their leading search requires (`EventCode=4688`,
/// `process_name IN (…)`): an event is offered only to the consumers it could pass,
/// found by looking its values up, plus those with no such condition.
struct Dispatch {
    always: Vec<usize>,
    keyed: Vec<(usize, FieldRef, HashMap<String, Vec<usize>>)>,
}

impl Dispatch {
    fn new(consumers: &[Consumer], jobs: &[Job<'_>]) -> Dispatch {
        let mut d = Dispatch {
            always: Vec::new(),
            keyed: Vec::new(),
        };
        for (ci, c) in consumers.iter().enumerate() {
            let Some(guard) = jobs[c.job].program.guard(c.pipe) else {
                d.always.push(ci);
                continue;
            };
            for (field, value) in guard {
                let slot = match d
                    .keyed
                    .iter()
                    .position(|(v, f, _)| *v == c.view && *f == field)
                {
                    Some(i) => i,
                    None => {
                        d.keyed.push((c.view, field, HashMap::new()));
                        d.keyed.len() - 1
                    }
                };
                let list = d.keyed[slot].2.entry(value).or_default();
                if list.last() != Some(&ci) {
                    list.push(ci);
                }
            }
        }
        d
    }
}

/// An event as each view sees it, computed at most once per view.
struct Seens<'e> {
    ev: &'e dyn Fields,
    seen: Vec<Option<Option<Seen<'e>>>>,
}

impl<'e> Seens<'e> {
    fn get(&mut self, views: &'e [View], i: usize) -> Option<&dyn Fields> {
        let ev = self.ev;
        match &views[i] {
            View::Event => Some(ev),
            other => self.seen[i]
                .get_or_insert_with(|| other.see(ev))
                .as_ref()
                .map(Seen::fields),
        }
    }
}

/// The rows one event gives each consumer: evaluated in parallel, in place.
fn offer(
    ev: &dyn Fields,
    consumers: &[Consumer],
    views: &[View],
    live: &[Option<&Program>],
    dispatch: &Dispatch,
    whole: &Whole<'_>,
    guard: bool,
) -> Vec<Admitted> {
    let mut seens = Seens {
        ev,
        seen: (0..views.len()).map(|_| None).collect(),
    };
    let mut candidates = dispatch.always.clone();
    let mut key = String::new();
    for (vi, field, by_value) in &dispatch.keyed {
        let Some(v) = seens.get(views, *vi).and_then(|r| r.get(field)) else {
            continue;
        };
        for x in v.values() {
            key.clear();
            match x {
                Value::Str(s) => key.push_str(s),
                other => key.push_str(&other.to_string()),
            }
            key.make_ascii_lowercase();
            if let Some(cs) = by_value.get(&key) {
                candidates.extend_from_slice(cs);
            }
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    let mut full: Option<Result<Row, String>> = None;
    let mut out = Vec::new();
    for ci in candidates {
        let c = &consumers[ci];
        let Some(program) = live[c.job] else {
            continue;
        };
        let Some(view) = seens.get(views, c.view) else {
            continue;
        };
        let admitted = if guard {
            guarded(|| program.admit(c.pipe, view))
        } else {
            program.admit(c.pipe, view)
        };
        match admitted {
            Ok(true) if c.whole => {
                let f = full.get_or_insert_with(|| reread(ev, whole));
                let admitted = match f {
                    Ok(row) => Ok((
                        Projected::Row(program.project(c.pipe, row)),
                        firedrill_spl::event_time(row),
                    )),
                    Err(message) => Err(ExecError::Data {
                        message: message.clone(),
                        span: Default::default(),
                    }),
                };
                out.push((ci, admitted));
            }
            Ok(true) => {
                let p = match program.project_record(c.pipe, view) {
                    Some(rec) => Projected::Record(rec),
                    None => Projected::Row(program.project(c.pipe, view)),
                };
                out.push((ci, Ok((p, firedrill_spl::event_time(view)))));
            }
            Ok(false) => {}
            Err(e) => out.push((ci, Err(e))),
        }
    }
    out
}

/// An event with every field, read again from its `_raw`.
fn reread(ev: &dyn Fields, whole: &Whole<'_>) -> Result<Row, String> {
    let raw = ev
        .get_str("_raw")
        .map(|v| v.to_string())
        .ok_or("the event's _raw was not kept")?;
    let mut row = firedrill_events::reparse_with(&raw, whole.format, whole.meta, whole.knowledge)?;
    // Keep what the reader gave the event (its metadata may come from the test).
    for k in ["_time", "host", "source", "sourcetype"] {
        if let Some(v) = ev.get_str(k) {
            row.insert(k.to_string(), v.clone());
        }
    }
    Ok(row)
}

/// The job's datasets are all read: finish its search, judge the results.
fn finish_job(j: &mut Job<'_>, planned: &[Planned], opts: &RunOptions<'_>, cache: &Cache) {
    let p = &planned[j.det];
    if let Some(state) = j.state.take() {
        // A job that admitted nothing has the program's results over no events,
        // computed once per detection (most detections over most files).
        // What is left of the test's time budget bounds its last commands too.
        let deadline = opts
            .budget
            .map(|b| std::time::Instant::now() + b.saturating_sub(j.busy));
        let finish = |state: firedrill_spl::State<'_>| match deadline {
            Some(d) => state.finish_by(d),
            None => state.finish(),
        };
        let result = if state.untouched() {
            cache.empty[j.det]
                .get_or_init(|| guarded(|| finish(state)))
                .clone()
        } else {
            guarded(|| finish(state))
        };
        match result {
            Ok(rows) => {
                let d = &p.detection;
                let risk = risk_events(d, &rows);
                j.rep().results = rows.len();
                j.rep().rows = rows
                    .iter()
                    .take(opts.show_rows)
                    .map(crate::report::row_json)
                    .collect();
                let exp = matching(d, &j.name, opts.expectations);
                let test = d.tests.iter().find(|t| *t.name == *j.name);
                let verdict = judge_test(p.pass_rule, d, test, &rows, &risk, &exp);
                j.rep().status = verdict.status;
                j.rep().reason = Reason::Verdict(verdict.reason);
                j.rep().outcome = verdict.outcome;
                j.rep().risk = risk;
                if !opts.datasets.is_empty() {
                    // Over --dataset files the question is whether it fires.
                    j.rep().status = if rows.is_empty() {
                        Status::Fail
                    } else {
                        Status::Pass
                    };
                }
            }
            Err(ExecError::Unsupported(u)) => {
                j.rep().status = Status::Skip;
                j.rep().reason = Reason::Unsupported(u.render(&p.expanded));
            }
            Err(e @ ExecError::Stopped { .. }) => {
                j.rep().status = Status::Error;
                j.rep().reason = Reason::Runtime(format!(
                    "stopped: its search took more than the {} s a test may take (--detection-timeout)\n{}",
                    opts.budget.unwrap_or_default().as_secs_f64(),
                    e.render(&p.expanded)
                ));
            }
            Err(e) => {
                j.rep().status = Status::Error;
                j.rep().reason = Reason::Runtime(e.render(&p.expanded));
            }
        }
        j.done = true;
    }
    if let Some(t) = j.started {
        j.rep().duration_ms = t.elapsed().as_secs_f64() * 1000.0;
    }
    if let Some(sink) = j.sink.take() {
        sink.finish(p, j.rep());
    }
}

/// Runs a compiled search over events held in memory (every view fed), for tools and
/// tests that already have the events; `run` is the streaming path.
pub fn search_events(program: &Program, events: &[Event]) -> Result<Vec<Row>, ExecError> {
    let mut state = program.start();
    for (pipe, src) in program.inputs() {
        let view = View::of(src, firedrill_addons::builtin::datamodels()).map_err(|message| {
            ExecError::Data {
                message,
                span: program.source_span(pipe),
            }
        })?;
        let Some(view) = view else { continue };
        for e in events {
            if let Some(r) = crate::views::view_row(&view, &e.fields) {
                state.offer(pipe, &r)?;
            }
        }
    }
    state.finish()
}

fn matching<'a>(
    d: &firedrill_content::Detection,
    test: &str,
    all: &'a [Expectation],
) -> Vec<&'a Expectation> {
    all.iter()
        .filter(|e| {
            (e.detection.eq_ignore_ascii_case(&d.name)
                || d.id
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&e.detection)))
                && e.test.as_deref().is_none_or(|t| t == test)
        })
        .collect()
}

#[cfg(test)]
mod isolation {
    use super::guarded;

    #[test]
    fn a_panic_becomes_the_detections_error() {
        let r: Result<(), _> = guarded(|| panic!("boom at row 3"));
        let e = r.unwrap_err();
        assert!(
            e.to_string().contains("internal error") && e.to_string().contains("boom at row 3"),
            "{e}"
        );
        assert_eq!(guarded(|| Ok(7)).unwrap(), 7);
    }
}
