//! Applying compiled stanzas to one event: the stanzas that match its sourcetype,
//! host and source; for each key the value of the highest-ranked stanza (source over
//! host over sourcetype over `[default]`); then the settings in Splunk's search-time
//! order. The settings for a (sourcetype, source, host) are worked out once and kept.

use crate::compile::{Action, Compiled, Stanza, Target};
use firedrill_value::{FieldRef, Fields, FieldsMut, Value, Want};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

/// At most this many (sourcetype, source, host) keys keep their settings.
const MAX_CACHED: usize = 4096;

/// The settings for one kind of event, in the order they run.
type Plan = Arc<Steps>;

/// A stanza's precedence: a user's over a built-in one, then [`Target::rank`].
type Rank = (bool, u8);

/// At most this many values of a plan's key keep their specialised expressions.
const MAX_SPECIALISED: usize = 1024;

/// A plan's calculated fields are specialised on a field its conditions test at
/// least this often.
const MIN_TESTS: usize = 8;

/// The settings for one kind of event, and their calculated fields specialised to
/// the values of the field their conditions test most (add-ons for event logs test
/// `EventCode` in most of theirs): for each value seen, each setting's expression
/// with what that value decides already decided.
struct Steps {
    steps: Vec<(usize, usize)>,
    key: Option<FieldRef>,
    specialised: RwLock<HashMap<String, Arc<Vec<Spec>>>>,
}

/// A setting's calculated field for one value of the plan's key.
enum Spec {
    /// Not a calculated field, or not specialised: as compiled.
    Compiled,
    /// The field keeps the value it has: nothing to do.
    Unchanged,
    /// This expression instead.
    Expr(firedrill_spl::expr::CExpr),
}

/// At most this many fields are looked at to decide [`Applier::keeps_pieces`] (add-ons
/// are untrusted: chains of aliases and extractions could make it take very long);
/// past it, the answer is no.
const MAX_WALK: usize = 10_000;

/// The fields [`Applier::keeps_pieces`] is deciding, and how many it has looked at.
#[derive(Default)]
struct Walk<'a> {
    /// The settings that may apply.
    settings: Vec<&'a Compiled>,
    seen: Vec<(String, bool)>,
    steps: usize,
}

thread_local! {
    /// The last (applier, sourcetype, source, host) this thread planned, and its plan.
    static LAST: std::cell::RefCell<Option<Last>> = const { std::cell::RefCell::new(None) };
}

/// What [`LAST`] keeps.
struct Last {
    id: u64,
    key: (String, String, String),
    plan: Plan,
}

/// Tells appliers apart in [`LAST`].
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(crate) struct Applier {
    /// Unique per applier (see [`LAST`]).
    id: u64,
    pub(crate) stanzas: Vec<Stanza>,
    renames: BTreeMap<String, String>,
    by_sourcetype: HashMap<String, Vec<usize>>,
    defaults: Vec<usize>,
    hosts: Vec<usize>,
    sources: Vec<usize>,
    /// `[(?::){0}…]` sourcetype patterns.
    patterns: Vec<usize>,
    cache: RwLock<HashMap<(String, String, String), Plan>>,
}

struct Meta {
    raw: FieldRef,
    time: FieldRef,
    sourcetype: FieldRef,
    original: FieldRef,
    source: FieldRef,
    host: FieldRef,
}

fn meta() -> &'static Meta {
    static M: OnceLock<Meta> = OnceLock::new();
    M.get_or_init(|| Meta {
        raw: FieldRef::new("_raw"),
        time: FieldRef::new("_time"),
        sourcetype: FieldRef::new("sourcetype"),
        original: FieldRef::new("_sourcetype"),
        source: FieldRef::new("source"),
        host: FieldRef::new("host"),
    })
}

fn text<'a>(ev: &'a dyn Fields, f: &FieldRef) -> &'a str {
    match ev.get(f) {
        Some(Value::Str(s)) => s,
        Some(Value::Multi(vs)) => match vs.first() {
            Some(Value::Str(s)) => s,
            _ => "",
        },
        _ => "",
    }
}

/// Assigns the calculated fields computed so far (all from the event as it was
/// before any of them).
fn flush(ev: &mut dyn FieldsMut, evals: &mut Vec<(&FieldRef, Option<Value>)>) {
    for (f, v) in evals.drain(..) {
        match v {
            Some(v) => ev.set(f, v),
            None => ev.remove(f),
        }
    }
}

/// A value as the text an extraction reads, borrowed when it is one string.
fn as_text(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::Str(s) => std::borrow::Cow::Borrowed(s),
        other => std::borrow::Cow::Owned(other.to_string()),
    }
}

impl Applier {
    pub(crate) fn new(stanzas: Vec<Stanza>, renames: BTreeMap<String, String>) -> Applier {
        let mut a = Applier {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            stanzas,
            renames,
            by_sourcetype: HashMap::new(),
            defaults: Vec::new(),
            hosts: Vec::new(),
            sources: Vec::new(),
            patterns: Vec::new(),
            cache: RwLock::new(HashMap::new()),
        };
        for (i, s) in a.stanzas.iter().enumerate() {
            match &s.target {
                Target::Default => a.defaults.push(i),
                Target::Sourcetype(st) => a.by_sourcetype.entry(st.clone()).or_default().push(i),
                Target::SourcetypePattern(_) => a.patterns.push(i),
                Target::Host(_) => a.hosts.push(i),
                Target::Source(_) => a.sources.push(i),
            }
        }
        a
    }

    /// The stanzas for `sourcetype` by name (as Splunk, exactly: `[Acme:Web]` is not
    /// `acme:web`'s), if any.
    pub(crate) fn for_sourcetype(&self, st: &str) -> Option<&[usize]> {
        self.by_sourcetype.get(st).map(Vec::as_slice)
    }

    fn plan(&self, ev: &dyn Fields) -> Option<Plan> {
        let m = meta();
        let st = text(ev, &m.sourcetype);
        let source = if self.sources.is_empty() {
            ""
        } else {
            text(ev, &m.source)
        };
        let host = if self.hosts.is_empty() {
            ""
        } else {
            text(ev, &m.host)
        };
        // Events of one file mostly share all three: the last answer is kept per
        // thread, so the shared cache (and its lock) is seldom touched.
        let hit = LAST.with(|last| match &*last.borrow() {
            Some(l) if l.id == self.id && l.key.0 == st && l.key.1 == source && l.key.2 == host => {
                Some(l.plan.clone())
            }
            _ => None,
        });
        if hit.is_some() {
            return hit;
        }
        let key = (st.to_string(), source.to_string(), host.to_string());
        let plan = self.plan_slow(&key)?;
        LAST.with(|last| {
            *last.borrow_mut() = Some(Last {
                id: self.id,
                key,
                plan: plan.clone(),
            })
        });
        Some(plan)
    }

    fn plan_slow(&self, key: &(String, String, String)) -> Option<Plan> {
        let (source, host) = (key.1.as_str(), key.2.as_str());
        if let Some(p) = self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
        {
            return Some(p.clone());
        }
        let mut hit: Vec<usize> = self.defaults.clone();
        hit.extend(self.for_sourcetype(&key.0).unwrap_or(&[]));
        hit.extend(self.patterns.iter().copied().filter(|&i| {
            matches!(&self.stanzas[i].target, Target::SourcetypePattern(g) if g.is_match(&key.0))
        }));
        hit.extend(
            self.hosts.iter().copied().filter(
                |&i| matches!(&self.stanzas[i].target, Target::Host(g) if g.is_match(host)),
            ),
        );
        hit.extend(self.sources.iter().copied().filter(
            |&i| matches!(&self.stanzas[i].target, Target::Source(g) if g.is_match(source)),
        ));
        // Each key from its highest-ranked stanza (ties: the name sorting first).
        // A user's stanza wins over a built-in one whatever their kinds: the built-in
        // apps stand in for add-ons the user may not have, so the user's own
        // (Splunk_TA_windows' [source::XmlWinEventLog:Security]) replace them.
        let mut win: BTreeMap<&str, (Rank, &str, usize, usize)> = BTreeMap::new();
        for &i in &hit {
            let s = &self.stanzas[i];
            let rank = (!crate::builtin::is_builtin(&s.file), s.target.rank());
            for (j, c) in s.settings.iter().enumerate() {
                let better = match win.get(c.key.as_str()) {
                    None => true,
                    Some(&(r, name, _, _)) => rank > r || (rank == r && s.name.as_str() < name),
                };
                if better {
                    win.insert(&c.key, (rank, &s.name, i, j));
                }
            }
        }
        let mut plan: Vec<(usize, usize)> = win.values().map(|&(_, _, i, j)| (i, j)).collect();
        plan.sort_by(|a, b| {
            let (x, y) = (self.setting(*a), self.setting(*b));
            (x.phase, &x.key).cmp(&(y.phase, &y.key))
        });
        let plan = Arc::new(Steps {
            key: self.most_tested(&plan),
            steps: plan,
            specialised: RwLock::new(HashMap::new()),
        });
        let mut c = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        if c.len() < MAX_CACHED {
            c.insert(key.clone(), plan.clone());
        }
        Some(plan)
    }

    fn setting(&self, (i, j): (usize, usize)) -> &Compiled {
        &self.stanzas[i].settings[j]
    }

    /// The field the calculated fields of `steps` compare with literals most often,
    /// when that is often enough to specialise on.
    fn most_tested(&self, steps: &[(usize, usize)]) -> Option<FieldRef> {
        let mut tested = Vec::new();
        for &at in steps {
            if let Action::Eval(_, e) = &self.setting(at).action {
                firedrill_spl::expr::specialize::tested_fields(e, &mut tested);
            }
        }
        let mut counts: BTreeMap<&str, (usize, &FieldRef)> = BTreeMap::new();
        for f in tested {
            counts.entry(&f.name).or_insert((0, f)).0 += 1;
        }
        counts
            .into_values()
            .filter(|(n, f)| *n >= MIN_TESTS && !f.name.contains('.'))
            .max_by_key(|(n, _)| *n)
            .map(|(_, f)| f.clone())
    }

    /// `plan`'s calculated fields for events whose key has `v` (`None` when the value
    /// is not one to specialise on: not one string, or a new one after
    /// [`MAX_SPECIALISED`] values).
    fn specialised(&self, plan: &Steps, v: Option<&Value>) -> Option<Arc<Vec<Spec>>> {
        let key = plan.key.as_ref()?;
        // An absent key is "", which no string value here is.
        let text = match v {
            None => "",
            Some(Value::Str(s)) if !s.is_empty() => s.as_str(),
            Some(_) => return None,
        };
        {
            let m = plan
                .specialised
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(s) = m.get(text) {
                return Some(s.clone());
            }
            if m.len() >= MAX_SPECIALISED {
                return None;
            }
        }
        let known = firedrill_spl::expr::specialize::Known {
            field: key,
            value: v,
        };
        let specs: Vec<Spec> = plan
            .steps
            .iter()
            .map(|&at| match &self.setting(at).action {
                Action::Eval(f, e) => {
                    match firedrill_spl::expr::specialize::specialize(e, &known) {
                        // (A dotted name may read through a map: evaluated.)
                        firedrill_spl::expr::CExpr::Field(g)
                            if g.name == f.name && !f.name.contains('.') =>
                        {
                            Spec::Unchanged
                        }
                        s => Spec::Expr(s),
                    }
                }
                _ => Spec::Compiled,
            })
            .collect();
        let specs = Arc::new(specs);
        let mut m = plan
            .specialised
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if m.len() < MAX_SPECIALISED {
            m.insert(text.to_string(), specs.clone());
        }
        Some(specs)
    }

    /// How the reader should take fields from events like `ev` (its sourcetype, source
    /// and host): `INDEXED_EXTRACTIONS = json` or `KV_MODE = json` read JSON,
    /// `KV_MODE = none` plain lines.
    pub(crate) fn reader_mode(&self, ev: &dyn Fields) -> Option<firedrill_events::KvMode> {
        use firedrill_events::KvMode;
        let plan = self.plan(ev)?;
        let modes = plan
            .steps
            .iter()
            .filter_map(|&at| match &self.setting(at).action {
                Action::Reader(m) => Some(*m),
                _ => None,
            });
        modes.max_by_key(|m| matches!(m, KvMode::Json))
    }

    pub(crate) fn apply(&self, ev: &mut dyn FieldsMut, want: &Want) {
        // A renamed sourcetype takes the target's settings, not its own; the
        // original stays in `_sourcetype`.
        if !self.renames.is_empty() {
            let m = meta();
            let st = text(ev, &m.sourcetype);
            if let Some(to) = self.renames.get(st) {
                if want.wants("_sourcetype") {
                    let from = Value::str(st);
                    ev.set(&m.original, from);
                }
                ev.set(&m.sourcetype, Value::str(to.as_str()));
            }
        }
        let Some(plan) = self.plan(ev) else { return };
        if plan.steps.is_empty() {
            return;
        }
        // Read when the calculated fields start (earlier phases may set the key).
        let mut specs: Option<Option<Arc<Vec<Spec>>>> = None;
        let keep = |name: &str| want.all || want.wants(name);
        // Fields this layer extracted on this event: a later extraction keeps the
        // first value unless its transform says MV_ADD.
        let mut ours: Vec<String> = Vec::new();
        let mut found: Vec<(String, String)> = Vec::new();
        let mut evals: Vec<(&FieldRef, Option<Value>)> = Vec::new();
        for (n, &at) in plan.steps.iter().enumerate() {
            let c = self.setting(at);
            match &c.action {
                Action::Extract { source, extractor } => {
                    found.clear();
                    let Some(v) = ev.get(source) else { continue };
                    extractor.run(&as_text(v), &mut found);
                    for (k, v) in found.drain(..) {
                        if v.is_empty() || !keep(&k) || ours.contains(&k) {
                            continue;
                        }
                        ev.set_named(&k, Value::Str(v));
                        ours.push(k);
                    }
                }
                Action::Report(ts) => {
                    for t in ts {
                        found.clear();
                        let Some(v) = ev.get(&t.source) else { continue };
                        t.extractor.run(&as_text(v), &mut found);
                        for (k, v) in found.drain(..) {
                            let k = if t.clean_keys {
                                firedrill_value::kv::clean_key(&k)
                            } else {
                                k
                            };
                            if k.is_empty() || (v.is_empty() && !t.keep_empty) || !keep(&k) {
                                continue;
                            }
                            if ours.contains(&k) {
                                if t.mv_add {
                                    let old = ev.get_str(&k).cloned().unwrap_or(Value::Null);
                                    ev.set_named(&k, Value::multi(vec![old, Value::Str(v)]));
                                }
                                continue;
                            }
                            ev.set_named(&k, Value::Str(v));
                            ours.push(k);
                        }
                    }
                }
                Action::Alias(list) => {
                    for a in list {
                        if !want.wants_sym(a.dst.sym) {
                            continue;
                        }
                        match ev.get(&a.src).cloned() {
                            Some(v) if !(a.keep_existing && ev.get(&a.dst).is_some()) => {
                                ev.set(&a.dst, v)
                            }
                            Some(_) => {}
                            // Since Splunk 7.2.4 an alias whose original is missing
                            // removes the alias field (ASNEW leaves it).
                            None if !a.keep_existing => ev.remove(&a.dst),
                            None => {}
                        }
                    }
                }
                Action::Eval(field, e) => {
                    if !want.wants_sym(field.sym) {
                        continue;
                    }
                    let specs = specs.get_or_insert_with(|| {
                        let v = plan.key.as_ref().and_then(|k| ev.get(k));
                        self.specialised(&plan, v)
                    });
                    let e = match specs.as_ref().map(|s| &s[n]) {
                        Some(Spec::Unchanged) => continue,
                        Some(Spec::Expr(s)) => s,
                        Some(Spec::Compiled) | None => e,
                    };
                    let v = e.value(&*ev).ok().filter(|v| !matches!(v, Value::Null));
                    evals.push((field, v));
                }
                Action::Rename(_) | Action::Reader(_) => {}
                Action::Lookup(lk) => {
                    flush(ev, &mut evals);
                    if !lk.outputs.iter().any(|(_, f)| keep(f)) {
                        continue;
                    }
                    let found = firedrill_spl::exec::lookup::lookup_one(
                        &*ev,
                        &lk.table,
                        &lk.spec,
                        &lk.outputs,
                    );
                    for (f, v) in found {
                        let Some(r) = lk.fields.iter().find(|r| *r.name == *f) else {
                            continue;
                        };
                        if !keep(&f) {
                            continue;
                        }
                        match v {
                            Some(v) => ev.set(r, v),
                            None => ev.remove(r),
                        }
                    }
                }
                Action::Time {
                    prefix,
                    format,
                    lookahead,
                } => {
                    let Some(raw) = ev.get(&meta().raw) else {
                        continue;
                    };
                    let raw = as_text(raw);
                    let start = match prefix {
                        Some(re) => match re
                            .first_spans(&raw)
                            .and_then(|m| m.first().copied().flatten())
                        {
                            Some((_, end)) => end,
                            None => continue,
                        },
                        None => 0,
                    };
                    let window: String = raw[start..].chars().take(*lookahead).collect();
                    if let Some(t) = firedrill_spl::exec::time::strptime_prefix(&window, format) {
                        ev.set(&meta().time, Value::Num(t));
                    }
                }
            }
        }
        flush(ev, &mut evals);
    }

    /// See [`firedrill_events::SearchTime::keeps_pieces`]: every setting that may
    /// write `field` on an event of `sourcetype` (the stanzas for it, or for a
    /// sourcetype it is renamed to, and every host, source and `[default]` stanza)
    /// gives it pieces of fields that hold pieces of the raw text.
    pub(crate) fn keeps_pieces(
        &self,
        field: &str,
        sourcetype: &str,
        reader: &dyn Fn(&str) -> bool,
        matches: &dyn Fn(&Value) -> bool,
    ) -> bool {
        let settings: Vec<&Compiled> = self
            .stanzas
            .iter()
            .filter(|s| self.may_apply(&s.target, Some(sourcetype)))
            .flat_map(|s| &s.settings)
            .collect();
        let mut walk = Walk {
            settings,
            ..Walk::default()
        };
        self.pieces(field, true, reader, matches, &mut walk)
    }

    /// [`Applier::keeps_pieces`] for `field` as searches see it (`last`), or as the
    /// calculated fields read it (before `EVAL-` and `LOOKUP-`); `walk.seen`: the
    /// fields being decided. A field met again in its own derivation is assumed to hold
    /// pieces: if every field of such a cycle starts with pieces (the reader's value)
    /// and only ever gets pieces of the others, each holds pieces at every step.
    fn pieces(
        &self,
        field: &str,
        last: bool,
        reader: &dyn Fn(&str) -> bool,
        matches: &dyn Fn(&Value) -> bool,
        walk: &mut Walk<'_>,
    ) -> bool {
        let key = (field.to_string(), last);
        walk.steps += 1;
        if !reader(field) || walk.steps > MAX_WALK {
            return false;
        }
        if walk.seen.contains(&key) {
            return true;
        }
        walk.seen.push(key);
        let settings = walk.settings.clone();
        let mut before = |f: &str| self.pieces(f, false, reader, matches, walk);
        let ok = settings.iter().all(|c| match &c.action {
            Action::Extract { source, extractor } => {
                let same = |k: &str| k.to_string();
                !extractor.may_write(field, &same)
                    || (extractor.keeps_pieces(field, &same, matches) && before(&source.name))
            }
            Action::Report(ts) => ts.iter().all(|t| {
                let clean = |k: &str| {
                    if t.clean_keys {
                        firedrill_value::kv::clean_key(k)
                    } else {
                        k.to_string()
                    }
                };
                !t.extractor.may_write(field, &clean)
                    || (t.extractor.keeps_pieces(field, &clean, matches) && before(&t.source.name))
            }),
            Action::Alias(list) => list
                .iter()
                .all(|a| &*a.dst.name != field || before(&a.src.name)),
            Action::Eval(f, e) => {
                !last
                    || &*f.name != field
                    || firedrill_spl::expr::pieces::pieces_only(e, &mut before, &|l| !matches(l))
            }
            Action::Lookup(lk) => !last || !lk.outputs.iter().any(|(_, f)| f == field),
            Action::Time { .. } => field != "_time",
            Action::Rename(_) | Action::Reader(_) => true,
        });
        walk.seen.pop();
        ok
    }

    /// Whether a stanza for `t` may apply to events of `sourcetype` (any when `None`):
    /// its own stanzas and those of a sourcetype it is renamed to, and every host,
    /// source and `[default]` stanza.
    fn may_apply(&self, t: &Target, sourcetype: Option<&str>) -> bool {
        let Some(st) = sourcetype else { return true };
        let renamed = self.renames.get(st);
        match t {
            Target::Sourcetype(x) => x == st || renamed == Some(x),
            Target::SourcetypePattern(g) => {
                g.is_match(st) || renamed.is_some_and(|r| g.is_match(r))
            }
            Target::Default | Target::Host(_) | Target::Source(_) => true,
        }
    }

    /// Adds what the settings that produce wanted fields read, on events of
    /// `sourcetype` (any when `None`).
    pub(crate) fn expand(&self, want: &mut Want, sourcetype: Option<&str>) {
        let mut add: Vec<&str> = Vec::new();
        for s in self
            .stanzas
            .iter()
            .filter(|s| self.may_apply(&s.target, sourcetype))
        {
            for c in &s.settings {
                let (outs, ins): (Option<Vec<&str>>, Vec<&str>) = match &c.action {
                    Action::Extract { source, extractor } => {
                        (extractor.outputs(), vec![&source.name])
                    }
                    Action::Report(ts) => {
                        for t in ts {
                            let hit = match t.extractor.outputs() {
                                None => true,
                                Some(o) if t.clean_keys => o
                                    .iter()
                                    .any(|f| want.wants(&firedrill_value::kv::clean_key(f))),
                                Some(o) => o.iter().any(|f| want.wants(f)),
                            };
                            if hit {
                                add.push(&t.source.name);
                            }
                        }
                        continue;
                    }
                    Action::Alias(list) => {
                        for a in list {
                            if want.wants(&a.dst.name) {
                                add.push(&a.src.name);
                            }
                        }
                        continue;
                    }
                    Action::Eval(f, e) => {
                        let mut ins = Vec::new();
                        e.fields(&mut ins);
                        (Some(vec![&f.name]), ins)
                    }
                    Action::Rename(_) | Action::Reader(_) => continue,
                    Action::Lookup(lk) => (
                        Some(lk.outputs.iter().map(|(_, f)| f.as_str()).collect()),
                        lk.spec.inputs.iter().map(|(_, f)| f.as_str()).collect(),
                    ),
                    // Every search reads `_time`.
                    Action::Time { .. } => (None, vec!["_raw"]),
                };
                let hit = match outs {
                    None => true,
                    Some(o) => o.iter().any(|f| want.wants(f)),
                };
                if hit {
                    add.extend(ins);
                }
            }
        }
        for f in add {
            if want.get(f).is_none() {
                want.add(f);
            }
        }
    }
}
