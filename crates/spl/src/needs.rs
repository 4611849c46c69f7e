//! Which fields each pipe needs: a backward pass over the compiled stages (live
//! fields, as a compiler computes live variables). Rows admitted from the event
//! stream keep only these fields, so a detection that groups by two fields holds two
//! fields per surviving event, not the whole event.

use crate::program::{Pipe, PipeId, Program, Stage};
use firedrill_value::FieldRef;
use std::collections::BTreeSet;

/// A set of field names and `*` patterns, or every field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldSet {
    /// Every field.
    All,
    /// These names and patterns.
    Some {
        /// Exact names.
        names: BTreeSet<String>,
        /// `*` patterns.
        globs: BTreeSet<String>,
    },
}

impl Default for FieldSet {
    fn default() -> Self {
        FieldSet::none()
    }
}

impl FieldSet {
    /// No field.
    pub fn none() -> FieldSet {
        FieldSet::Some {
            names: BTreeSet::new(),
            globs: BTreeSet::new(),
        }
    }

    /// These fields (names with `*` are patterns).
    pub fn of<'a>(fields: impl IntoIterator<Item = &'a str>) -> FieldSet {
        let mut s = FieldSet::none();
        for f in fields {
            s.add(f);
        }
        s
    }

    /// True for every field.
    pub fn is_all(&self) -> bool {
        matches!(self, FieldSet::All)
    }

    /// Adds a name or pattern.
    pub fn add(&mut self, f: &str) {
        if let FieldSet::Some { names, globs } = self {
            if f == "*" {
                *self = FieldSet::All;
            } else if f.contains('*') {
                globs.insert(f.to_string());
            } else {
                names.insert(f.to_string());
            }
        }
    }

    /// Removes an exact name (a command that overwrites the field).
    pub fn remove(&mut self, f: &str) {
        if let FieldSet::Some { names, .. } = self {
            names.remove(f);
        }
    }

    /// Adds everything in `other`.
    pub fn union(&mut self, other: &FieldSet) {
        match other {
            FieldSet::All => *self = FieldSet::All,
            FieldSet::Some { names, globs } => {
                for n in names.iter().chain(globs) {
                    self.add(n);
                }
            }
        }
    }

    /// True if field `name` is in the set.
    pub fn contains(&self, name: &str) -> bool {
        match self {
            FieldSet::All => true,
            FieldSet::Some { names, globs } => {
                names.contains(name)
                    || globs
                        .iter()
                        .any(|g| crate::exec::rows::field_glob(g, name).is_some())
            }
        }
    }

    /// The exact names (none for `All`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let v: Vec<&str> = match self {
            FieldSet::All => Vec::new(),
            FieldSet::Some { names, .. } => names.iter().map(String::as_str).collect(),
        };
        v.into_iter()
    }

    /// True if the set has patterns (so a row must be scanned, not just probed).
    pub fn has_globs(&self) -> bool {
        matches!(self, FieldSet::Some { globs, .. } if !globs.is_empty())
    }

    fn add_all<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) {
        for f in fields {
            self.add(f);
        }
    }
}

/// Computes `needs` for every pipe, given what the caller reads from the main
/// search's results.
pub(crate) fn analyze(p: &mut Program, output: &FieldSet) {
    let mut ends: Vec<Option<FieldSet>> = vec![None; p.pipes.len()];
    ends[0] = Some(output.clone());
    // Sub-pipes always have higher indexes than the pipe that uses them, so one pass
    // in index order sees every consumer before its sub-pipes.
    for i in 0..p.pipes.len() {
        let end = ends[i].clone().unwrap_or(FieldSet::All);
        let (needs, subs) = walk(&p.pipes[i], &p.pipes, end);
        p.pipes[i].keep = needs.names().map(FieldRef::new).collect();
        p.pipes[i].needs = needs;
        for (sub, set) in subs {
            match &mut ends[sub.0] {
                Some(e) => e.union(&set),
                slot => *slot = Some(set),
            }
        }
    }
}

/// The fields needed just after the pipe's leading filters, and what each sub-pipe
/// must deliver.
fn walk(pipe: &Pipe, pipes: &[Pipe], end: FieldSet) -> (FieldSet, Vec<(PipeId, FieldSet)>) {
    let mut live = end;
    let mut subs = Vec::new();
    for stage in pipe.stages[pipe.filters..].iter().rev() {
        live = before(stage, live, pipes, &mut subs);
    }
    (live, subs)
}

fn before(
    stage: &Stage,
    after: FieldSet,
    pipes: &[Pipe],
    subs: &mut Vec<(PipeId, FieldSet)>,
) -> FieldSet {
    let mut s = after.clone();
    match stage {
        Stage::Search(m) => {
            let mut v = Vec::new();
            m.fields(&mut v);
            s.add_all(v);
        }
        Stage::Where(e) => {
            let mut v = Vec::new();
            e.fields(&mut v);
            s.add_all(v);
        }
        Stage::Regex { field, .. } => s.add(&field.name),
        Stage::Eval(assigns) => {
            for (f, e) in assigns.iter().rev() {
                s.remove(f);
                let mut v = Vec::new();
                e.fields(&mut v);
                s.add_all(v);
            }
        }
        Stage::Rename(pairs) => {
            for (from, to) in pairs.iter().rev() {
                s = before_rename(&s, from, to);
            }
        }
        Stage::Table(fields) => s = intersect(&after, fields, false),
        Stage::Fields {
            remove: false,
            fields,
        } => s = intersect(&after, fields, true),
        Stage::Fields { remove: true, .. } | Stage::Head { .. } | Stage::Pass => {}
        Stage::HeadWhile { expr, .. } => {
            let mut v = Vec::new();
            expr.fields(&mut v);
            s.add_all(v);
        }
        Stage::Fillnull { fields, .. } => s.add_all(fields.iter().map(String::as_str)),
        Stage::FillnullAll { .. } => {}
        Stage::Convert { items, .. } => {
            for (_, field, alias) in items {
                if let Some(a) = alias {
                    s.remove(a);
                }
                s.add(field);
            }
        }
        Stage::Rex {
            field,
            re,
            offset_field,
            ..
        } => {
            for n in re.names() {
                s.remove(&n);
            }
            if let Some(o) = offset_field {
                s.remove(o);
            }
            s.add(field);
        }
        Stage::Sed { field, .. }
        | Stage::Translit { field, .. }
        | Stage::Makemv { field, .. }
        | Stage::Mvexpand { field, .. }
        | Stage::Fromjson(field)
        | Stage::Xmlkv(field) => s.add(field),
        Stage::Bin { field, alias, .. } => {
            if let Some(a) = alias {
                s.remove(a);
            }
            s.add(field);
        }
        Stage::Spath { input, .. } => s.add(input),
        Stage::Extract { .. } => s.add("_raw"),
        // Every field of every row becomes part of the search string.
        Stage::Format(_) => s = FieldSet::All,
        // An address it does not locate keeps the row's own fields of those names.
        Stage::Iplocation { field, .. } => s.add(field),
        Stage::Lookup { spec, .. } => {
            for (_, f) in &spec.outputs {
                if !spec.output_new {
                    s.remove(f);
                }
            }
            for (_, f) in &spec.inputs {
                s.add(f);
            }
        }
        Stage::Replace { fields, .. } => {
            if fields.is_empty() {
                s = FieldSet::All;
            } else {
                s.add_all(fields.iter().map(String::as_str));
            }
        }
        Stage::Addtotals { fields, name } => {
            s.remove(name);
            if fields.is_empty() {
                s = FieldSet::All;
            } else {
                s.add_all(fields.iter().map(String::as_str));
            }
        }
        Stage::SubSearch { expr, subs: ids } => {
            // The subsearch's results become terms on any field.
            let _ = expr;
            s = FieldSet::All;
            for id in ids {
                subs.push((*id, FieldSet::All));
            }
        }
        Stage::Stats(spec) | Stage::Timechart { spec, .. } | Stage::Chart { spec, .. } => {
            let mut v = Vec::new();
            spec.fields(&mut v);
            s = FieldSet::of(v);
            if matches!(stage, Stage::Timechart { .. }) {
                s.add("_time");
            }
        }
        Stage::Eventstats(spec) => {
            for a in &spec.aggs {
                s.remove(&a.alias);
            }
            let mut v = Vec::new();
            spec.fields(&mut v);
            s.add_all(v);
        }
        Stage::Streamstats { spec, resets, .. } => {
            for a in &spec.aggs {
                s.remove(&a.alias);
            }
            let mut v = Vec::new();
            spec.fields(&mut v);
            for e in resets.after.iter().chain(&resets.before) {
                e.fields(&mut v);
            }
            s.add_all(v);
        }
        Stage::Dedup(d) => {
            s.add_all(d.fields.iter().map(String::as_str));
            s.add_all(d.sortby.iter().map(|k| k.field.as_str()));
        }
        Stage::Sort { keys, .. } => s.add_all(keys.iter().map(|k| k.field.as_str())),
        Stage::Top(t) => {
            s = FieldSet::of(t.fields.iter().chain(&t.by).map(String::as_str));
        }
        Stage::Transaction(t) => {
            s.add_all(t.fields.iter().map(String::as_str));
            s.add("_time");
            for m in t.starts.iter().chain(&t.ends) {
                let mut v = Vec::new();
                m.fields(&mut v);
                s.add_all(v);
            }
        }
        Stage::Join { fields, sub, .. } => {
            let mut want = after.clone();
            want.add_all(fields.iter().map(String::as_str));
            subs.push((*sub, want));
            s.add_all(fields.iter().map(String::as_str));
        }
        Stage::Append { sub, .. } => subs.push((*sub, after.clone())),
        Stage::Appendpipe(sub) => {
            let (inner, more) = walk(&pipes[sub.0], pipes, after.clone());
            subs.extend(more);
            s.union(&inner);
        }
        Stage::Foreach { .. } => s = FieldSet::All,
        Stage::Inputlookup { .. } | Stage::Makeresults { .. } => {}
        Stage::Series(_) => s = FieldSet::All,
        Stage::Map {
            tokens, candidates, ..
        } => {
            subs.push((*candidates, FieldSet::All));
            s = FieldSet::of(tokens.iter().map(String::as_str));
        }
    }
    s
}

/// `table`/`fields` keep only the listed fields (`fields` also keeps internal `_`
/// fields): what is needed before is what is needed after, among those.
fn intersect(after: &FieldSet, listed: &[String], internal: bool) -> FieldSet {
    let mut out = FieldSet::none();
    match after {
        FieldSet::All => {
            out.add_all(listed.iter().map(String::as_str));
            if internal {
                out.add("_*");
            }
        }
        FieldSet::Some { names, globs } => {
            let keeps = |n: &str| {
                listed
                    .iter()
                    .any(|l| crate::exec::rows::field_glob(l, n).is_some())
                    || (internal && n.starts_with('_'))
            };
            for n in names.iter().filter(|n| keeps(n)) {
                out.add(n);
            }
            if !globs.is_empty() {
                // A pattern after a pattern: keep the listed ones (a superset).
                out.add_all(listed.iter().map(String::as_str));
            }
        }
    }
    out
}

/// Fields needed before `rename from AS to`, given those needed after.
fn before_rename(after: &FieldSet, from: &str, to: &str) -> FieldSet {
    let FieldSet::Some { names, globs } = after else {
        return FieldSet::All;
    };
    if !globs.is_empty() && (from.contains('*') || to.contains('*')) {
        return FieldSet::All;
    }
    let mut out = after.clone();
    for n in names {
        if let Some(caps) = crate::exec::rows::field_glob(to, n) {
            // `n` may have come from `from` with the same wildcard captures.
            let mut source = String::new();
            let mut caps = caps.into_iter();
            for (i, piece) in from.split('*').enumerate() {
                if i > 0 {
                    source.push_str(&caps.next().unwrap_or_default());
                }
                source.push_str(piece);
            }
            out.add(&source);
        }
    }
    // A needed pattern the new name matches (`rename locationSource AS locSource |
    // table locS*`) needs the old name.
    if globs
        .iter()
        .any(|g| crate::exec::rows::field_glob(g, to).is_some())
    {
        out.add(from);
    }
    if !to.contains('*') {
        // The old `to` is overwritten (or removed) by the rename.
        if from.contains('*') {
            out.add(from);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_maps_needed_patterns_back() {
        let after = FieldSet::Some {
            names: BTreeSet::new(),
            globs: BTreeSet::from(["locS*".to_string()]),
        };
        let b = before_rename(&after, "locationSource", "locSource");
        assert!(b.contains("locationSource"));
        assert!(!before_rename(&after, "latitude", "lat").contains("latitude"));
    }

    #[test]
    fn rename_maps_needed_names_back() {
        let after = FieldSet::of(["dest", "count"]);
        let b = before_rename(&after, "Processes.*", "*");
        assert!(b.contains("Processes.dest"));
        assert!(b.contains("Processes.count"));
        assert!(b.contains("dest"));
        assert!(!b.contains("Processes.user"));
    }

    #[test]
    fn table_after_all_is_the_listed_fields() {
        let s = intersect(&FieldSet::All, &["a".into(), "b*".into()], false);
        assert!(s.contains("a") && s.contains("bc") && !s.contains("c"));
        let s = intersect(&FieldSet::of(["a", "z"]), &["a".into()], true);
        assert!(s.contains("a") && !s.contains("z"));
    }
}
