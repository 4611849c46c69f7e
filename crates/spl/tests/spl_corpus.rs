//! Parses (and compiles) an external corpus of real-world SPL queries, reporting the
//! ones firedrill cannot handle. The corpus is third-party data and is not in this
//! repository: point `FIREDRILL_SPL_CORPUS` at a JSON file, e.g. the `testdata/corpus.json`
//! of the public parser CraftedSignal/spl-parser (an array of
//! `{"source", "name", "query"}` objects; any string under a `query` key, at any depth,
//! is taken as a query, and a top-level array of strings works too), and run
//!
//! ```text
//! FIREDRILL_SPL_CORPUS=/tmp/spl-corpus.json \
//!   cargo test -p firedrill-spl --test spl_corpus -- --ignored --nocapture
//! ```
//!
//! It is a report, not a gate: it fails only when the file cannot be read.
//!
//! Macros: firedrill parses searches after macro expansion, and the corpus has no
//! macro definitions, so every backtick macro call (`` `name` `` or `` `name(args)` ``)
//! is removed before parsing; then empty commands left behind (`| |`) are collapsed
//! to one pipe, a trailing pipe is dropped, and a search that now starts with `|`
//! followed by a command that cannot start a search (anything but the generating
//! commands below) gets `search *` in front, which is what a macro standing for a
//! base search would have been. An empty result becomes `search *`.

use firedrill_spl::{compile, parse, NoLookups};
use std::collections::BTreeMap;

/// Commands that can start a search after a leading pipe.
const GENERATING: &[&str] = &[
    "search",
    "tstats",
    "mstats",
    "inputlookup",
    "inputcsv",
    "makeresults",
    "rest",
    "datamodel",
    "from",
    "metadata",
    "metasearch",
    "dbinspect",
    "eventcount",
    "pivot",
    "loadjob",
    "savedsearch",
    "gentimes",
    "multisearch",
    "union",
    "set",
    "mcatalog",
    "mpreview",
    "ldapsearch",
    "dbxquery",
];

/// Every string under a `query` key (or a top-level array of strings).
fn queries(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Array(items) => {
            for item in items {
                match item {
                    serde_json::Value::String(s) => out.push(s.clone()),
                    other => queries(other, out),
                }
            }
        }
        serde_json::Value::Object(map) => {
            for (k, val) in map {
                match val {
                    serde_json::Value::String(s) if k == "query" => out.push(s.clone()),
                    serde_json::Value::String(_) => {}
                    other => queries(other, out),
                }
            }
        }
        _ => {}
    }
}

/// Removes backtick macro calls as described in the module comment.
fn strip_macros(q: &str) -> String {
    if !q.contains('`') {
        return q.to_string();
    }
    let mut s = String::with_capacity(q.len());
    let mut in_macro = false;
    let mut in_quote = false;
    let mut prev = '\0';
    for ch in q.chars() {
        if in_macro {
            if ch == '`' {
                in_macro = false;
            }
        } else if ch == '"' && prev != '\\' {
            in_quote = !in_quote;
            s.push(ch);
        } else if ch == '`' && !in_quote {
            in_macro = true;
        } else {
            s.push(ch);
        }
        prev = ch;
    }
    // Collapse the empty commands the removal left (`| |`, `|  |`...).
    loop {
        let bytes = s.as_bytes();
        let mut found = None;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'|' {
                let rest = &s[i + 1..];
                let trimmed = rest.trim_start();
                if trimmed.starts_with('|') {
                    found = Some((i, i + 1 + (rest.len() - trimmed.len())));
                    break;
                }
            }
        }
        match found {
            Some((a, b)) => s.replace_range(a..b, ""),
            None => break,
        }
    }
    let mut s = s.trim().to_string();
    while s.ends_with('|') {
        s.pop();
        s = s.trim_end().to_string();
    }
    if s.is_empty() {
        return "search *".to_string();
    }
    if let Some(rest) = s.strip_prefix('|') {
        let word: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !GENERATING.contains(&word.to_ascii_lowercase().as_str()) {
            s = format!("search * {s}");
        }
    }
    s
}

/// The first `n` lines of `s`, indented.
fn first_lines(s: &str, n: usize) -> String {
    s.lines()
        .take(n)
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
#[ignore = "needs FIREDRILL_SPL_CORPUS pointing at an external JSON corpus"]
fn spl_corpus_parses() {
    let Ok(path) = std::env::var("FIREDRILL_SPL_CORPUS") else {
        eprintln!("spl_corpus: FIREDRILL_SPL_CORPUS is not set; skipping (see the module comment)");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON: {e}"));
    let mut all = Vec::new();
    queries(&json, &mut all);
    assert!(!all.is_empty(), "{path}: no queries found");

    let mut parsed = 0;
    let mut compiled = 0;
    let mut macros = 0;
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    println!("== parse failures ==");
    for (i, raw) in all.iter().enumerate() {
        let q = strip_macros(raw);
        if q != *raw {
            macros += 1;
        }
        let p = match parse(&q) {
            Ok(p) => p,
            Err(e) => {
                println!("[{i}] parse error:\n{}", first_lines(&e.render(), 3));
                continue;
            }
        };
        parsed += 1;
        match compile(&p, &NoLookups) {
            Ok(_) => compiled += 1,
            Err(e) => {
                let first = e.render(&q).lines().next().unwrap_or("").to_string();
                // Drop the position so equal messages group together.
                let key = match first.rfind(" at line ") {
                    Some(at) => first[..at].to_string(),
                    None => first,
                };
                groups.entry(key).or_default().push(i);
            }
        }
    }
    let m = all.len();
    println!("== compile failures, by message ==");
    let mut by_count: Vec<_> = groups.iter().collect();
    by_count.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    for (msg, ids) in by_count {
        println!("{:4}  {msg}  (queries {:?})", ids.len(), ids);
    }
    println!("== summary ==");
    println!("{macros} of {m} queries had backtick macros removed");
    println!("{parsed} of {m} queries parse");
    println!("{compiled} of {m} queries parse and compile");
}

#[test]
fn strip_macros_keeps_a_search_shape() {
    assert_eq!(
        strip_macros("`sysmon` EventCode=1 | stats count"),
        "EventCode=1 | stats count"
    );
    assert_eq!(
        strip_macros("`sysmon` | `filter` | stats count"),
        "search * | stats count"
    );
    assert_eq!(
        strip_macros("| tstats count from datamodel=X by h | `drop_dm_object_name(X)` | `f`"),
        "| tstats count from datamodel=X by h"
    );
    assert_eq!(
        strip_macros("a | eval x=\"`not a macro`\" | `m`"),
        "a | eval x=\"`not a macro`\""
    );
    assert_eq!(strip_macros("`m`"), "search *");
}
