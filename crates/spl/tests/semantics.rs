//! Splunk's documented behaviour, as data: every case in `tests/semantics/*.yml` is one
//! example from Splunk's Search Reference (the page and the example are named in the
//! case) with the rows it starts from and the rows the page says come out.
//!
//! A case has one of three outcomes:
//! - `agree` (the default): firedrill returns exactly the documented rows;
//! - `unsupported`: firedrill refuses the search at compile time, with a caret, and
//!   the case says why (`why:`). This is how the suite records what firedrill does not
//!   do yet, so that it can never silently give a wrong answer instead;
//! - `disagrees`: a known wrong answer (or a parse error on valid SPL) that is not
//!   fixed yet, with `why:`. These are counted and reported as wrong, never as passes;
//!   the case fails the test as soon as firedrill agrees, so the record stays true.
//!
//! Anything else — a different answer, a run-time error, a parse error where the page
//! shows valid SPL, a search that now compiles but was recorded as unsupported — fails
//! the test with the case's page and example. With `SEMANTICS_REPORT=FILE` the
//! failures are also written there, one JSON object per line (file, case index, kind,
//! message), for triage.
//!
//! Format of a case:
//! ```yaml
//! - page: stats                # Search Reference page
//!   example: "Example 1"       # where on the page
//!   spl: "| stats count BY host"
//!   input:                     # the events (fields as text; a list is multivalue;
//!     - {host: a, _time: 10}   # `_time` is epoch seconds)
//!   expect:                    # the rows, in order (`ordered: false` for any order)
//!     - {host: a, count: "1"}
//!   fields: [host, count]      # optional: compare only these fields
//! ```
//! Without `fields`, each expected row lists every field the result row has except
//! `_`-prefixed ones (those are compared only when the expected row names them). A
//! `null` expected value means the field is absent or null. Values compare as the text
//! Splunk would show; a list is a multivalue field, value by value.
//! When the search starts with `|` and `input` is given, the events come first
//! (`* | …`), as `…` stands for the events in the page's examples.

use firedrill_spl::{compile, parse, CompileError, NoLookups};
use firedrill_value::{Row, Value};
use serde_yaml_ng::Value as Y;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

struct Case {
    file: String,
    index: usize,
    page: String,
    example: String,
    spl: String,
    input: Vec<Row>,
    expect: Vec<Vec<(String, Y)>>,
    fields: Option<Vec<String>>,
    ordered: bool,
    unsupported: bool,
    disagrees: bool,
}

fn text(y: &Y) -> String {
    match y {
        Y::String(s) => s.clone(),
        Y::Number(n) => n.to_string(),
        Y::Bool(b) => b.to_string(),
        Y::Null => String::new(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn value(field: &str, y: &Y) -> Value {
    match y {
        Y::Sequence(items) => Value::Multi(items.iter().map(|i| value(field, i)).collect()),
        Y::Null => Value::Null,
        Y::Number(n) if field == "_time" => Value::Num(n.as_f64().expect("a number")),
        other => Value::Str(text(other)),
    }
}

fn load(path: &Path) -> Vec<Case> {
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let src = std::fs::read_to_string(path).unwrap();
    let doc: Y = serde_yaml_ng::from_str(&src).unwrap_or_else(|e| panic!("{file}: {e}"));
    let Y::Sequence(items) = doc else {
        panic!("{file}: a list of cases")
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let get = |k: &str| item.get(k).cloned().unwrap_or(Y::Null);
            let rows = |y: Y| -> Vec<Vec<(String, Y)>> {
                match y {
                    Y::Null => Vec::new(),
                    Y::Sequence(rows) => rows
                        .into_iter()
                        .map(|r| match r {
                            Y::Mapping(m) => m.into_iter().map(|(k, v)| (text(&k), v)).collect(),
                            other => panic!("{file} case {i}: a row is a map, not {other:?}"),
                        })
                        .collect(),
                    other => panic!("{file} case {i}: rows are a list, not {other:?}"),
                }
            };
            let outcome = text(&get("outcome"));
            assert!(
                matches!(outcome.as_str(), "" | "agree" | "unsupported" | "disagrees"),
                "{file} case {i}: outcome is agree, unsupported or disagrees"
            );
            let unsupported = outcome == "unsupported";
            let disagrees = outcome == "disagrees";
            if unsupported || disagrees {
                assert!(
                    !text(&get("why")).is_empty(),
                    "{file} case {i}: an unsupported or disagreeing case says why"
                );
            }
            let case = Case {
                file: file.clone(),
                index: i,
                page: text(&get("page")),
                example: text(&get("example")),
                spl: text(&get("spl")),
                input: rows(get("input"))
                    .into_iter()
                    .map(|r| r.iter().map(|(k, v)| (k.clone(), value(k, v))).collect())
                    .collect(),
                expect: rows(get("expect")),
                fields: match get("fields") {
                    Y::Null => None,
                    Y::Sequence(f) => Some(f.iter().map(text).collect()),
                    other => panic!("{file} case {i}: fields is a list, not {other:?}"),
                },
                ordered: !matches!(get("ordered"), Y::Bool(false)),
                unsupported,
                disagrees,
            };
            assert!(
                !case.page.is_empty() && !case.spl.is_empty(),
                "{file} case {i}: page and spl are required"
            );
            case
        })
        .collect()
}

fn shown(v: &Value) -> Y {
    match v {
        Value::Null => Y::Null,
        Value::Multi(vs) => Y::Sequence(vs.iter().map(shown).collect()),
        other => Y::String(other.to_string()),
    }
}

fn same(want: &Y, got: Option<&Value>) -> bool {
    match (want, got) {
        (Y::Null, None | Some(Value::Null)) => true,
        (Y::Null, _) | (_, None | Some(Value::Null)) => false,
        (Y::Sequence(w), Some(Value::Multi(g))) => {
            w.len() == g.len() && w.iter().zip(g).all(|(w, g)| same(w, Some(g)))
        }
        (Y::Sequence(w), Some(g)) => w.len() == 1 && same(&w[0], Some(g)),
        (w, Some(Value::Multi(g))) => g.len() == 1 && same(w, Some(&g[0])),
        (w, Some(g)) => text(w) == g.to_string(),
    }
}

/// Why `got` is not the case's expected rows, if it is not.
fn compare(case: &Case, got: &[Row]) -> Option<String> {
    let row_ok = |want: &[(String, Y)], got: &Row| -> bool {
        let named = |k: &str| want.iter().any(|(w, _)| w == k);
        let listed_ok = want.iter().all(|(k, w)| {
            (case.fields.as_ref().is_some_and(|f| !f.contains(k))) || same(w, got.get(k))
        });
        let extra = got.iter().any(|(k, v)| {
            let compared = match &case.fields {
                Some(f) => f.iter().any(|f| f == k.as_str()),
                None => !k.starts_with('_'),
            };
            compared && !named(k) && !matches!(v, Value::Null)
        });
        listed_ok && !extra
    };
    let ok = got.len() == case.expect.len()
        && if case.ordered {
            case.expect.iter().zip(got).all(|(w, g)| row_ok(w, g))
        } else {
            let mut used = vec![false; got.len()];
            case.expect.iter().all(|w| {
                let hit = (0..got.len()).find(|&j| !used[j] && row_ok(w, &got[j]));
                hit.map(|j| used[j] = true).is_some()
            })
        };
    if ok {
        return None;
    }
    let mut s = String::from("got rows:\n");
    for r in got {
        let m: serde_yaml_ng::Mapping = r
            .iter()
            .filter(|(k, _)| match &case.fields {
                Some(f) => f.iter().any(|f| f == k.as_str()),
                None => !k.starts_with('_') || k.as_str() == "_time",
            })
            .map(|(k, v)| (Y::String(k.to_string()), shown(v)))
            .collect();
        let _ = writeln!(
            s,
            "  - {}",
            serde_yaml_ng::to_string(&Y::Mapping(m))
                .unwrap()
                .trim()
                .replace('\n', ", ")
        );
    }
    Some(s)
}

enum Outcome {
    Agree,
    Unsupported,
    Disagrees,
}

/// The case's outcome, or why it is not the recorded one (with its kind).
fn judge(case: &Case) -> Result<Outcome, (&'static str, String)> {
    match run(case) {
        Ok(Outcome::Agree) if case.disagrees => Err((
            "agrees",
            "agrees now: remove `outcome: disagrees` and its `why:`".into(),
        )),
        Err((_, _)) if case.disagrees => Ok(Outcome::Disagrees),
        other => other,
    }
}

fn run(case: &Case) -> Result<Outcome, (&'static str, String)> {
    let spl = if case.spl.trim_start().starts_with('|') && !case.input.is_empty() {
        format!("* {}", case.spl)
    } else {
        case.spl.clone()
    };
    let p = parse(&spl).map_err(|e| ("parse", format!("parse error:\n{}", e.render())))?;
    let program = match compile(&p, &NoLookups) {
        Err(e @ CompileError::Unsupported(_)) => {
            let r = e.render(&spl);
            if !r.contains('^') {
                return Err(("nocaret", format!("unsupported without a caret:\n{r}")));
            }
            return if case.unsupported {
                Ok(Outcome::Unsupported)
            } else {
                Err(("refused", format!("refused at compile time:\n{r}")))
            };
        }
        Err(e) => return Err(("invalid", format!("compile error: {}", e.render(&spl)))),
        Ok(p) => p,
    };
    if case.unsupported {
        return Err((
            "compiles",
            "compiles, but the case records it as unsupported: remove `outcome: unsupported` if it now agrees".into(),
        ));
    }
    let rows = firedrill_spl::run(&program, &case.input)
        .map_err(|e| ("runtime", format!("run-time error: {}", e.render(&spl))))?;
    match compare(case, &rows) {
        None => Ok(Outcome::Agree),
        Some(why) => Err(("wrong", why)),
    }
}

fn files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/semantics");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn documented_examples() {
    let only = std::env::var("SEMANTICS_ONLY").ok();
    let (mut agree, mut unsupported, mut wrong, mut failures) = (0, 0, 0, Vec::new());
    let mut report = String::new();
    let mut per_file = String::new();
    for path in files() {
        let cases = load(&path);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let (mut a, mut u, mut w) = (0, 0, 0);
        for case in &cases {
            match std::panic::catch_unwind(|| judge(case)) {
                Ok(Ok(Outcome::Agree)) => a += 1,
                Ok(Ok(Outcome::Unsupported)) => u += 1,
                Ok(Ok(Outcome::Disagrees)) => w += 1,
                Ok(Err((kind, why))) => {
                    let _ = writeln!(
                        report,
                        "{}",
                        serde_json::json!({"file": case.file, "index": case.index, "kind": kind, "message": why})
                    );
                    failures.push(format!(
                        "{} · {} {}\n  {}\n{}",
                        case.file, case.page, case.example, case.spl, why
                    ))
                }
                Err(_) => failures.push(format!(
                    "{} · {} {}\n  {}\npanicked",
                    case.file, case.page, case.example, case.spl
                )),
            }
        }
        let _ = writeln!(
            per_file,
            "  {name}: {} cases, {a} agree, {u} unsupported, {w} known wrong",
            cases.len()
        );
        agree += a;
        unsupported += u;
        wrong += w;
    }
    if let Ok(path) = std::env::var("SEMANTICS_REPORT") {
        std::fs::write(path, &report).unwrap();
    }
    let total = agree + unsupported + wrong + failures.len();
    println!(
        "semantics: {total} documented cases: {agree} agree with Splunk, {unsupported} refused at compile time, {wrong} known wrong, {} unexpected\n{per_file}",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases are not what the suite records:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
