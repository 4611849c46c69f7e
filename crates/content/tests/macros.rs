//! Macro expansion: arguments, nesting, quoted commas, pipes, `*_filter` defaults,
//! `drop_dm_object_name`, comments and errors with offsets.

use firedrill_content::{default_macros, expand_macros, Macro, MacroError, MacroSet};
use std::path::PathBuf;

fn set() -> MacroSet {
    let mut s = MacroSet::default();
    let mut add = |name: &str, args: &[&str], def: &str| {
        s.insert(Macro {
            name: name.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            definition: def.into(),
            file: PathBuf::new(),
        })
    };
    add("summaries", &[], "summariesonly=`cfg` x=1");
    add("cfg", &[], "false");
    add("ctime", &["field"], "convert ctime($field$)");
    add("pair", &["a", "b"], "search $a$=$b$ | head 1");
    add("outer", &[], "search a=1 | `inner_missing`");
    add("loop", &[], "x `loop`");
    add("swap", &["a", "b"], "$a$ $b$");
    s
}

#[test]
fn nested_args_quoted_commas_and_pipes() {
    let e = expand_macros(
        "| tstats `summaries` count | `ctime(firstTime)` | `pair(\"x,y(z)\", z)`",
        &set(),
    )
    .unwrap();
    assert_eq!(
        e.text,
        "| tstats summariesonly=false x=1 count | convert ctime(firstTime) | search \"x,y(z)\"=z | head 1"
    );
    assert_eq!(e.used, vec!["summaries", "cfg", "ctime(1)", "pair(2)"]);
}

#[test]
fn same_name_different_arg_counts_are_different_macros() {
    let mut s = set();
    s.insert(Macro {
        name: "ctime".into(),
        args: Vec::new(),
        definition: "convert ctime(_time)".into(),
        file: PathBuf::new(),
    });
    let e = expand_macros("`ctime` | `ctime(t)`", &s).unwrap();
    assert_eq!(e.text, "convert ctime(_time) | convert ctime(t)");
}

#[test]
fn values_are_not_substituted_twice() {
    let e = expand_macros("`swap(\"$b$\", y)`", &set()).unwrap();
    assert_eq!(e.text, "\"$b$\" y");
}

#[test]
fn builtins_filter_defaults_and_comments() {
    let e = expand_macros(
        "x ```a `comment` with \"quote``` | `drop_dm_object_name(Processes)` | `my_detection_filter`",
        &set(),
    )
    .unwrap();
    assert_eq!(e.text, "x  | rename Processes.* AS * | search *");
    assert_eq!(e.defaulted, vec!["my_detection_filter"]);
    // A content definition wins over the built-in.
    let mut s = set();
    s.insert(Macro {
        name: "drop_dm_object_name".into(),
        args: vec!["n".into()],
        definition: "rename $n$.* as *".into(),
        file: PathBuf::new(),
    });
    let e = expand_macros("`drop_dm_object_name(\"Web\")`", &s).unwrap();
    assert_eq!(e.text, "rename \"Web\".* as *");
}

#[test]
fn undefined_macros_name_the_offset_in_the_search() {
    let err = expand_macros("abc | `nope(1)`", &set()).unwrap_err();
    assert_eq!(
        err,
        MacroError::Undefined {
            name: "nope".into(),
            nargs: 1,
            offset: 6
        }
    );
    assert!(err.to_string().contains("nope(1)"));
    assert!(err.to_string().contains("offset 6"));
    // Inside another macro: the offset of the outer call in the search.
    let err = expand_macros("| `cfg` | `outer`", &set()).unwrap_err();
    assert_eq!(
        err,
        MacroError::Undefined {
            name: "inner_missing".into(),
            nargs: 0,
            offset: 10
        }
    );
    // A comment before the call does not shift the offset.
    let err = expand_macros("```c``` `nope`", &set()).unwrap_err();
    assert!(matches!(err, MacroError::Undefined { offset: 8, .. }));
}

#[test]
fn backticks_in_quotes_are_text_and_bad_calls_are_errors() {
    let e = expand_macros("eval n=mvcount(split(p, \"`\")) | `cfg`", &set()).unwrap();
    assert_eq!(e.text, "eval n=mvcount(split(p, \"`\")) | false");
    assert_eq!(
        expand_macros("a `cfg", &set()),
        Err(MacroError::Unclosed { offset: 2 })
    );
    assert!(matches!(
        expand_macros("`pair(\"a, b)`", &set()),
        Err(MacroError::BadArgs { offset: 0, .. })
    ));
    assert!(matches!(
        expand_macros("x `pair(a, b`", &set()),
        Err(MacroError::BadArgs { offset: 2, .. })
    ));
    assert!(matches!(
        expand_macros("``", &set()),
        Err(MacroError::BadArgs { .. })
    ));
    assert_eq!(
        expand_macros("`loop`", &set()),
        Err(MacroError::Recursion {
            name: "loop".into()
        })
    );
}

#[test]
fn multibyte_text_does_not_panic() {
    let e = expand_macros("search é=\\ü ```ß``` `cfg` «x»", &set()).unwrap();
    assert_eq!(e.text, "search é=\\ü  false «x»");
}

#[test]
fn standard_macros_have_built_in_defaults_the_content_overrides() {
    let search = "| tstats `security_content_summariesonly` count min(_time) as firstTime from datamodel=Endpoint.Processes by Processes.dest | `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)` | `page_filter`";
    let e = expand_macros(search, &MacroSet::default()).unwrap();
    assert!(
        e.text.contains(
            "tstats summariesonly=false allow_old_summaries=true fillnull_value=null count"
        ),
        "{}",
        e.text
    );
    assert!(e
        .text
        .contains("convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(firstTime)"));
    assert_eq!(
        e.builtin,
        vec![
            "security_content_summariesonly",
            "security_content_ctime(1)"
        ]
    );
    assert_eq!(e.defaulted, vec!["page_filter"]);

    // A content definition wins, and nothing is reported as a default.
    let mut set = MacroSet::default();
    set.insert(Macro {
        name: "security_content_summariesonly".into(),
        args: vec![],
        definition: "summariesonly=true".into(),
        file: "macros/x.yml".into(),
    });
    set.insert(Macro {
        name: "security_content_ctime".into(),
        args: vec!["field".into()],
        definition: "convert ctime($field$)".into(),
        file: "macros/y.yml".into(),
    });
    let e = expand_macros(search, &set).unwrap();
    assert!(e.text.contains("tstats summariesonly=true count"));
    assert!(e.builtin.is_empty());
    // Unknown macros still fail, with their name.
    let err = expand_macros("| `get_asset(dest)`", &MacroSet::default()).unwrap_err();
    assert!(err.to_string().contains("get_asset(1)"), "{err}");
    assert!(default_macros().get("security_content_ctime", 1).is_some());
}

#[test]
fn macros_that_double_at_each_level_are_refused_quickly() {
    // m0 = "x"; m(k) = `m(k-1)` `m(k-1)`: 24 levels would be 16 M copies of "x".
    let mut s = MacroSet::default();
    s.insert(Macro {
        name: "m0".into(),
        args: Vec::new(),
        definition: "x".into(),
        file: PathBuf::new(),
    });
    for k in 1..=24 {
        s.insert(Macro {
            name: format!("m{k}"),
            args: Vec::new(),
            definition: format!("`m{}` `m{}`", k - 1, k - 1),
            file: PathBuf::new(),
        });
    }
    let started = std::time::Instant::now();
    let e = expand_macros("search `m24`", &s).unwrap_err();
    assert!(matches!(e, MacroError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("macro calls"), "{e}");
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    // Few calls, each long: the byte budget.
    let mut s = MacroSet::default();
    s.insert(Macro {
        name: "big0".into(),
        args: Vec::new(),
        definition: "y".repeat(1 << 20),
        file: PathBuf::new(),
    });
    for k in 1..=4 {
        s.insert(Macro {
            name: format!("big{k}"),
            args: Vec::new(),
            definition: format!("`big{}` `big{}`", k - 1, k - 1),
            file: PathBuf::new(),
        });
    }
    let e = expand_macros("search `big4`", &s).unwrap_err();
    assert!(e.to_string().contains("MiB"), "{e}");
}
