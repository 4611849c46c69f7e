//! Data models in Splunk's data model JSON (`default/data/models/<Model>.json`):
//! each object (dataset) with its parent, constraints (search terms, usually on
//! `tag`), fields and calculated fields (`Eval` expressions, compiled with the SPL
//! engine). A child dataset takes its parents' constraints and fields; a field keeps
//! the name of the dataset that declares it (`All_Changes.user` in
//! `Change.Account_Management`). Built into [`DataModels`]; what cannot be applied
//! (search- and transaction-based datasets, calculations other than `Eval`, field
//! searches) is a finding.

use crate::compile::Finding;
use crate::error::{AddonError, ErrorKind};
use crate::layer::{Layered, ModelFile};
use crate::tags::{compile_search, Tagger};
use firedrill_events::{Calc, DataModels, DmFieldSpec, DmSet, DmSetSpec, DmValue, Feeds, Member};
use firedrill_spl::ast::{BinOp, Expr};
use firedrill_spl::expr::CExpr;
use firedrill_spl::search::Matcher;
use firedrill_value::{Fields, Value};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The root every event dataset descends from.
const BASE_EVENT: &str = "BaseEvent";

/// The roots of search- and transaction-based datasets.
const UNSUPPORTED_ROOTS: &[&str] = &["BaseSearch", "BaseTransaction"];

/// Fields every event dataset has and passes through.
const PASSED: &[&str] = &["_time", "host", "source", "sourcetype", "_raw"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelJson {
    #[serde(default)]
    model_name: Option<String>,
    objects: Vec<ObjectJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectJson {
    object_name: String,
    parent_name: String,
    #[serde(default)]
    fields: Vec<FieldJson>,
    #[serde(default)]
    calculations: Vec<CalcJson>,
    #[serde(default)]
    constraints: Vec<ConstraintJson>,
    #[serde(default)]
    base_search: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldJson {
    field_name: String,
    #[serde(default)]
    field_search: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CalcJson {
    calculation_type: String,
    #[serde(default)]
    expression: String,
    #[serde(default)]
    output_fields: Vec<FieldJson>,
}

#[derive(Deserialize)]
struct ConstraintJson {
    search: String,
}

struct Constraint(Matcher);

impl Member for Constraint {
    fn contains(&self, ev: &dyn Fields) -> bool {
        self.0.matches(ev)
    }
}

struct EvalCalc(CExpr);

impl Calc for EvalCalc {
    fn eval(&self, ev: &dyn Fields) -> Option<Value> {
        self.0.value(ev).ok().filter(|v| !v.is_null())
    }
    fn reads(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.0.fields(&mut out);
        out.into_iter().map(String::from).collect()
    }
}

/// The 1-based line of each `"objectName": "<name>"` in `text`, by name (the first
/// when a name is given twice), in one pass.
fn object_lines(text: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let (mut from, mut line) = (0, 1);
    while let Some(i) = text[from..].find("\"objectName\"") {
        let at = from + i;
        line += text[from..at].matches('\n').count();
        let rest = text[at + 12..].trim_start();
        if let Some(rest) = rest.strip_prefix(':') {
            if let Some(name) = rest.trim_start().strip_prefix('"') {
                if let Some(end) = name.find('"') {
                    out.entry(name[..end].to_string()).or_insert(line);
                }
            }
        }
        from = at + 12;
    }
    out
}

/// `if(isnull(f) OR f="", <literal>, f)` (either order of the two tests): the CIM's
/// default for an absent field, as its literal.
fn default_of(e: &Expr, field: &str) -> Option<Value> {
    let Expr::Call { name, args, .. } = e else {
        return None;
    };
    let [cond, Expr::Lit(v), Expr::Field(f)] = args.as_slice() else {
        return None;
    };
    if name != "if" || f != field {
        return None;
    }
    let Expr::Binary(BinOp::Or, a, b) = cond else {
        return None;
    };
    let is_null = |e: &Expr| {
        matches!(e, Expr::Call { name, args, .. }
            if name == "isnull" && matches!(args.as_slice(), [Expr::Field(x)] if x == field))
    };
    let is_empty = |e: &Expr| {
        matches!(e, Expr::Binary(BinOp::Eq, x, y)
            if matches!(&**x, Expr::Field(x) if x == field)
                && matches!(&**y, Expr::Lit(Value::Str(s)) if s.is_empty()))
    };
    ((is_null(a) && is_empty(b)) || (is_empty(a) && is_null(b))).then(|| v.clone())
}

/// A dataset as compiled so far: what its children inherit.
#[derive(Clone)]
struct Lineage {
    /// The dataset's lineage (`All_Changes.Account_Management`): it prefixes the
    /// fields the dataset itself declares.
    path: String,
    constraints: Vec<Matcher>,
    fields: Vec<(String, String)>,
    /// Calculated fields by output name: (owner, expression text).
    calcs: BTreeMap<String, (String, String)>,
}

/// Compiles every layered data model.
pub(crate) fn compile(
    l: &Layered,
    tagger: &Tagger,
    findings: &mut Vec<Finding>,
) -> Result<DataModels, AddonError> {
    let mut sets = Vec::new();
    for (stem, file) in &l.models {
        sets.extend(compile_model(stem, file, tagger, findings)?);
    }
    Ok(DataModels::new(sets))
}

fn compile_model(
    stem: &str,
    mf: &ModelFile,
    tagger: &Tagger,
    findings: &mut Vec<Finding>,
) -> Result<Vec<DmSet>, AddonError> {
    let file = &mf.file;
    let model: ModelJson = serde_json::from_str(&mf.text).map_err(|e| {
        AddonError::new(
            ErrorKind::DataModel,
            file,
            e.line(),
            format!("not Splunk data model JSON: {e}"),
        )
    })?;
    if let Some(n) = &model.model_name {
        if n != stem {
            return Err(AddonError::new(
                ErrorKind::DataModel,
                file,
                1,
                format!("the file is named for model `{stem}` but defines `{n}`"),
            ));
        }
    }
    let mut done: BTreeMap<String, Lineage> = BTreeMap::new();
    // Datasets not compiled (a finding says why): their children are not either.
    let mut skipped: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let lines = object_lines(&mf.text);
    let object_line = |name: &str| lines.get(name).copied().unwrap_or(1);
    // Parents come before children in Splunk's files, but need not.
    let mut pending: Vec<&ObjectJson> = model.objects.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut later = Vec::new();
        for o in pending {
            let line = object_line(&o.object_name);
            let finding = |key: &str, why: String| Finding {
                file: file.clone(),
                line,
                stanza: format!("{stem}.{}", o.object_name),
                key: key.to_string(),
                why,
            };
            let unsupported = if UNSUPPORTED_ROOTS.contains(&o.parent_name.as_str()) {
                Some(format!(
                    "{}-based datasets are not supported",
                    o.parent_name
                ))
            } else if o.base_search.is_some() {
                Some("search-based datasets are not supported".to_string())
            } else if skipped.contains(&o.parent_name) {
                Some(format!("its parent `{}` is not supported", o.parent_name))
            } else {
                o.constraints
                    .iter()
                    .find(|c| c.search.contains('`'))
                    .map(|c| {
                        format!(
                            "its constraint uses a macro, which firedrill does not expand: {}",
                            c.search
                        )
                    })
            };
            if let Some(why) = unsupported {
                findings.push(finding("parentName", why));
                skipped.push(o.object_name.clone());
                continue;
            }
            let parent = if o.parent_name == BASE_EVENT {
                None
            } else if let Some(p) = done.get(&o.parent_name) {
                Some(p.clone())
            } else {
                later.push(o);
                continue;
            };
            let root = parent.is_none();
            let mut lin = parent.unwrap_or(Lineage {
                path: String::new(),
                constraints: Vec::new(),
                fields: Vec::new(),
                calcs: BTreeMap::new(),
            });
            lin.path = if root {
                o.object_name.clone()
            } else {
                format!("{}.{}", lin.path, o.object_name)
            };
            for c in &o.constraints {
                let what = format!("constraint of `{stem}.{}`", o.object_name);
                lin.constraints
                    .push(compile_search(&c.search, file, line, &what)?);
            }
            let own = |name: &str, lin: &mut Lineage| {
                if !PASSED.contains(&name) && !lin.fields.iter().any(|(_, n)| n == name) {
                    lin.fields.push((lin.path.clone(), name.to_string()));
                }
            };
            for f in &o.fields {
                if f.field_search
                    .as_deref()
                    .is_some_and(|s| !s.trim().is_empty())
                {
                    findings.push(finding(
                        "fieldSearch",
                        format!("the field search of `{}` is not applied", f.field_name),
                    ));
                }
                own(&f.field_name, &mut lin);
            }
            for c in &o.calculations {
                let outs: Vec<&str> = c
                    .output_fields
                    .iter()
                    .map(|f| f.field_name.as_str())
                    .collect();
                if c.calculation_type != "Eval" {
                    findings.push(finding(
                        "calculations",
                        format!(
                            "{} calculations are not supported (fields {})",
                            c.calculation_type,
                            outs.join(", ")
                        ),
                    ));
                    continue;
                }
                let [out_field] = outs.as_slice() else {
                    return Err(AddonError::new(
                        ErrorKind::DataModel,
                        file,
                        line,
                        "an Eval calculation has exactly one output field",
                    ));
                };
                own(out_field, &mut lin);
                lin.calcs.insert(
                    out_field.to_string(),
                    (lin.path.clone(), c.expression.clone()),
                );
            }
            let name = format!("{stem}.{}", o.object_name);
            out.push(build(&name, root, &lin, file, line, tagger, findings)?);
            done.insert(o.object_name.clone(), lin);
        }
        if later.len() == before {
            let o = later[0];
            return Err(AddonError::new(
                ErrorKind::DataModel,
                file,
                object_line(&o.object_name),
                format!(
                    "dataset `{}` has parent `{}`, which the model does not define \
                     (or the parents form a cycle)",
                    o.object_name, o.parent_name
                ),
            ));
        }
        pending = later;
    }
    Ok(out)
}

fn build(
    name: &str,
    root: bool,
    lin: &Lineage,
    file: &std::path::Path,
    line: usize,
    tagger: &Tagger,
    findings: &mut Vec<Finding>,
) -> Result<DmSet, AddonError> {
    let mut fields = Vec::new();
    for (owner, f) in &lin.fields {
        let value = match lin.calcs.get(f) {
            None => DmValue::Plain,
            Some((_, text)) => {
                let e = firedrill_spl::parse::parse_eval_expr(text).map_err(|e| {
                    AddonError::new(
                        ErrorKind::Eval,
                        file,
                        line,
                        format!(
                            "calculated field `{f}` of `{name}`: {}",
                            firedrill_spl::span::render_caret(text, e.span, &e.message)
                        ),
                    )
                })?;
                match default_of(&e, f) {
                    Some(v) => DmValue::Default(v),
                    None => match firedrill_spl::expr::compile(&e) {
                        Ok(c) => DmValue::Calc(Box::new(EvalCalc(c))),
                        Err(u) => {
                            findings.push(Finding {
                                file: file.to_path_buf(),
                                line,
                                stanza: name.to_string(),
                                key: f.clone(),
                                why: firedrill_spl::span::render_caret(text, u.span, &u.what),
                            });
                            DmValue::Plain
                        }
                    },
                }
            }
        };
        fields.push(DmFieldSpec {
            name: f.clone(),
            owner: owner.clone(),
            value,
        });
    }
    let member = match lin.constraints.as_slice() {
        [] => Matcher::All,
        [one] => one.clone(),
        many => Matcher::And(many.to_vec()),
    };
    let mut reads: Vec<&str> = Vec::new();
    member.fields(&mut reads);
    let reads: Vec<String> = reads.into_iter().map(String::from).collect();
    Ok(DmSet::new(DmSetSpec {
        name: name.to_string(),
        root,
        event_codes: event_codes(&member, tagger),
        feeds: feeds(&member, tagger),
        member: Box::new(Constraint(member)),
        fields,
        reads,
        file: file.to_path_buf(),
    }))
}

/// The event types and field-value stanzas that can give an event one of `tags`.
fn givers<'a>(
    tags: &[String],
    tagger: &'a Tagger,
) -> (Vec<&'a Matcher>, Vec<&'a crate::tags::PairTags>) {
    let has = |ts: &[String]| {
        ts.iter()
            .any(|t| tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
    };
    (
        tagger
            .types
            .iter()
            .filter(|t| has(&t.tags))
            .map(|t| &t.matcher)
            .collect(),
        tagger.pairs.iter().filter(|p| has(&p.tags)).collect(),
    )
}

/// What a member must satisfy, as conjuncts: each of these alternatives of some
/// field's values must hold (`tag=process tag=report` is two, one tag each).
fn required(m: &Matcher, field: &str) -> Vec<Vec<String>> {
    match m {
        Matcher::And(items) => items.iter().flat_map(|i| required(i, field)).collect(),
        other => other.values_of(field).into_iter().collect(),
    }
}

/// Keeps in `acc` what is also in `next` (`None`: anything).
fn intersect(acc: Option<Vec<String>>, next: Option<Vec<String>>) -> Option<Vec<String>> {
    match (acc, next) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(a.into_iter().filter(|x| b.contains(x)).collect()),
    }
}

/// The EventCodes of the events one tag requirement admits: those of every event
/// type and field value that gives one of its tags (`None` if one admits any).
fn codes_for(tags: &[String], tagger: &Tagger) -> Option<Vec<String>> {
    let (types, pairs) = givers(tags, tagger);
    let mut out = Vec::new();
    for t in types {
        out.extend(t.values_of("EventCode")?);
    }
    for p in pairs {
        if p.field.as_str() != "EventCode" {
            return None;
        }
        out.push(p.value.clone());
    }
    Some(out)
}

/// The EventCodes a member must have, when its constraint requires one of a list:
/// directly, or because every event type and field value giving a tag it requires
/// does. Each requirement must hold, so their lists intersect.
fn event_codes(m: &Matcher, tagger: &Tagger) -> Option<Vec<String>> {
    let mut acc = m.values_of("EventCode");
    for tags in required(m, "tag") {
        acc = intersect(acc, codes_for(&tags, tagger));
    }
    let mut out = acc?;
    out.sort();
    out.dedup();
    Some(out)
}

/// Which sourcetypes an event matching `m` alone could have.
fn feeds_of(m: &Matcher) -> Feeds {
    if let Some(st) = m.values_of("sourcetype") {
        Feeds {
            sourcetypes: st,
            ..Feeds::default()
        }
    } else if m.values_of("Channel").is_some() {
        Feeds {
            channels: true,
            ..Feeds::default()
        }
    } else {
        Feeds {
            any: true,
            ..Feeds::default()
        }
    }
}

/// The sourcetypes both `a` and `b` allow.
fn both(a: Feeds, b: Feeds) -> Feeds {
    if a.any {
        return b;
    }
    if b.any {
        return a;
    }
    Feeds {
        any: false,
        sourcetypes: a
            .sourcetypes
            .into_iter()
            .filter(|s| b.sourcetypes.contains(s))
            .collect(),
        channels: a.channels && b.channels,
    }
}

/// The sourcetypes of the events one tag requirement admits.
fn feeds_for(tags: &[String], tagger: &Tagger) -> Feeds {
    let (types, pairs) = givers(tags, tagger);
    let mut f = Feeds::default();
    for t in types {
        let g = feeds_of(t);
        f.any |= g.any;
        f.channels |= g.channels;
        f.sourcetypes.extend(g.sourcetypes);
    }
    for p in pairs {
        if p.field.as_str() == "sourcetype" {
            f.sourcetypes.push(p.value.clone());
        } else {
            f.any = true;
        }
    }
    f
}

/// Which sourcetypes can feed a dataset: what its constraint allows directly, and
/// what each tag it requires allows.
fn feeds(m: &Matcher, tagger: &Tagger) -> Feeds {
    let mut f = feeds_of(m);
    for tags in required(m, "tag") {
        f = both(f, feeds_for(&tags, tagger));
    }
    f.sourcetypes.sort();
    f.sourcetypes.dedup();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cim_default_is_recognised_and_nothing_else() {
        let e = |t: &str| firedrill_spl::parse::parse_eval_expr(t).unwrap();
        let d = default_of(&e(r#"if(isnull(user) OR user="","unknown",user)"#), "user");
        assert_eq!(d, Some(Value::str("unknown")));
        let d = default_of(&e(r#"if(user="" OR isnull(user), "n/a", user)"#), "user");
        assert_eq!(d, Some(Value::str("n/a")));
        assert_eq!(
            default_of(&e(r#"if(isnull(user),"unknown",user)"#), "user"),
            None
        );
        assert_eq!(
            default_of(&e(r#"if(isnull(x) OR x="","unknown",user)"#), "user"),
            None
        );
        assert_eq!(default_of(&e(r#"lower(user)"#), "user"), None);
    }

    #[test]
    fn object_lines_are_found() {
        let t = "{\n \"objects\": [\n  {\"objectName\" : \"A\"},\n  {\"objectName\": \"B\"}]}";
        let l = object_lines(t);
        assert_eq!(l.get("B"), Some(&4));
        assert_eq!(l.get("A"), Some(&3));
        assert_eq!(l.get("C"), None);
    }
}
