//! One-line semantics tests of the commands, over a handful of events, and the
//! unsupported-at-compile-time contract: an unknown aggregation, function or option
//! in any command is reported with its span, never run as a silent null.

use firedrill_spl::{compile, parse, CompileError, NoLookups};
use firedrill_value::{Row, Value};

fn events() -> Vec<Row> {
    let mk = |user: &str, host: &str, code: &str, t: f64| {
        Row::from([
            (
                "_raw".to_string(),
                Value::Str(format!("{user} on {host} code {code}")),
            ),
            ("_time".to_string(), Value::Num(t)),
            ("host".to_string(), Value::str(host)),
            ("user".to_string(), Value::str(user)),
            ("EventCode".to_string(), Value::str(code)),
        ])
    };
    vec![
        mk("alice", "h1", "4624", 10.0),
        mk("bob", "h2", "4625", 20.0),
        mk("carol", "h1", "4625", 30.0),
    ]
}

fn q(s: &str) -> Vec<Row> {
    firedrill_spl::search_rows(s, &events()).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn col(rows: &[Row], f: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r.get(f).map(|v| v.to_string()).unwrap_or_default())
        .collect()
}

/// The compile error for `s`, rendered with its caret.
fn unsupported(s: &str) -> String {
    let p = parse(s).unwrap_or_else(|e| panic!("{s}: {}", e.render()));
    match compile(&p, &NoLookups) {
        Err(e @ CompileError::Unsupported(_)) => {
            let r = e.render(s);
            assert!(r.contains('^'), "{r}");
            r
        }
        Err(e) => panic!("{s}: expected unsupported, got {e}"),
        Ok(_) => panic!("{s}: compiled"),
    }
}

#[test]
fn events_come_newest_first() {
    // Search Manual, "About search results": events are returned newest first.
    assert_eq!(col(&q("* | table user"), "user"), ["carol", "bob", "alice"]);
    assert_eq!(col(&q("* | head 1 | table user"), "user"), ["carol"]);
    let rows = q("* | stats first(user) AS f, last(user) AS l, list(user) AS all");
    assert_eq!(rows[0]["f"], Value::str("carol"));
    assert_eq!(rows[0]["l"], Value::str("alice"));
}

#[test]
fn subsearch_filters_by_its_results() {
    // Splunk docs ("About subsearches"): the subsearch's results become
    // `(field=value) OR (field=value)` in the outer search.
    let rows = q("EventCode=4625 [search EventCode=4624 | fields host] | table user");
    assert_eq!(col(&rows, "user"), ["carol"]);
    let rows = q("EventCode=4625 NOT [search EventCode=4624 | fields host] | table user");
    assert_eq!(col(&rows, "user"), ["bob"]);
}

#[test]
fn join_inner_and_left() {
    let rows = q("EventCode=4625 | join host [search EventCode=4624 | rename user AS first_user | fields host first_user]");
    assert_eq!(col(&rows, "first_user"), ["alice"]);
    let rows = q("EventCode=4625 | join type=left host [search EventCode=4624 | rename user AS first_user | fields host first_user]");
    assert_eq!(rows.len(), 2);
}

#[test]
fn append_and_appendpipe() {
    assert_eq!(
        q("EventCode=4624 | append [search EventCode=4625]").len(),
        3
    );
    let rows = q(
        "* | stats count by host | appendpipe [stats sum(count) AS count | eval host=\"total\"]",
    );
    assert_eq!(col(&rows, "host"), ["h1", "h2", "total"]);
    assert_eq!(rows[2]["count"], Value::Num(3.0));
}

#[test]
fn stats_groups_sorted_nulls_dropped() {
    // A row whose by-field is null is left out; groups come sorted by their keys.
    let rows = q("* | eval g=if(user=\"bob\", null(), host) | stats count by g");
    assert_eq!(col(&rows, "g"), ["h1"]);
    assert_eq!(rows[0]["count"], Value::Num(2.0));
    // `stats count` over no rows is one row with count 0.
    let rows = q("nothing_matches_this | stats count");
    assert_eq!(col(&rows, "count"), ["0"]);
    // Search Manual, "Wildcards": `NOT *` matches no events.
    assert!(q("NOT *").is_empty());
    let rows = q("* | stats dc(host) as hosts, values(user) as users, min(_time) as first");
    assert_eq!(rows[0]["hosts"], Value::Num(2.0));
    assert_eq!(rows[0]["users"].values().len(), 3);
    assert_eq!(rows[0]["first"], Value::Num(10.0));
}

#[test]
fn eventstats_streamstats_dedup_sort_head_tail() {
    // Events come newest first, as Splunk returns them: carol, bob, alice.
    let rows = q("* | eventstats count by host | where count=2 | table user");
    assert_eq!(col(&rows, "user"), ["carol", "alice"]);
    let rows = q("* | dedup host | table user");
    assert_eq!(col(&rows, "user"), ["carol", "bob"]);
    let rows = q("* | eval k=if(user=\"bob\", null(), host) | dedup keepempty=true k | table user");
    assert_eq!(col(&rows, "user"), ["carol", "bob"]);
    let rows = q("* | dedup consecutive=true host | table user");
    assert_eq!(col(&rows, "user"), ["carol", "bob", "alice"]);
    let rows = q("* | dedup host sortby -user | table user");
    assert_eq!(col(&rows, "user"), ["carol", "bob"]);
    let rows = q("* | sort - _time | head 2 | table user");
    assert_eq!(col(&rows, "user"), ["carol", "bob"]);
    let rows = q("* | tail 1 | table user");
    assert_eq!(col(&rows, "user"), ["alice"]);
    let rows = q("* | sort str(user) | table user");
    assert_eq!(col(&rows, "user"), ["alice", "bob", "carol"]);
}

#[test]
fn top_rename_fields_fillnull_eval() {
    let rows = q("* | top limit=1 host");
    assert_eq!(col(&rows, "host"), ["h1"]);
    assert_eq!(rows[0]["count"], Value::Num(2.0));
    let rows = q("* | top 1 host showperc=f");
    assert!(!rows[0].contains_key("percent"));
    let rows = q("* | rename user AS who | table who");
    assert_eq!(col(&rows, "who"), ["carol", "bob", "alice"]);
    let rows = q("* | fillnull value=none missing | table missing");
    assert_eq!(col(&rows, "missing"), ["none", "none", "none"]);
    let rows = q("* | eval a=1, b=a+1 | table b");
    assert_eq!(col(&rows, "b"), ["2", "2", "2"]);
    let rows = q("* | rex field=user \"(?<first>^.)\" | table first");
    assert_eq!(col(&rows, "first"), ["c", "b", "a"]);
    let rows = q("* | regex user!=\"^a\" | table user");
    assert_eq!(col(&rows, "user"), ["carol", "bob"]);
}

#[test]
fn tstats_without_a_data_model_sees_only_indexed_fields() {
    let rows = q("| tstats count where host=h1 by host");
    assert_eq!(rows[0]["count"], Value::Num(2.0));
    // `user` is a search-time field: tstats cannot see it.
    let rows = q("| tstats count where user=alice");
    assert_eq!(rows[0]["count"], Value::Num(0.0));
}

#[test]
fn unknown_names_and_options_are_unsupported_in_every_family() {
    // Aggregations, in every command that aggregates.
    for cmd in ["stats", "eventstats", "streamstats", "timechart span=1h"] {
        let r = unsupported(&format!("* | {cmd} frobnicate(x)"));
        assert!(r.contains("frobnicate"), "{r}");
    }
    assert!(
        unsupported("| tstats frobnicate(x) from datamodel=Endpoint.Processes")
            .contains("frobnicate")
    );
    // Eval functions, in every command that evaluates.
    for s in [
        "* | eval y=frobnicate(x)",
        "* | where frobnicate(x)",
        "* | stats count(eval(frobnicate(x)))",
    ] {
        assert!(unsupported(s).contains("frobnicate()"), "{s}");
    }
    assert!(unsupported("* | eval y=if(x, 1)").contains("takes 3"));
    // Options, in each family of commands.
    for (s, opt) in [
        ("* | dedup frobnicate=true host", "frobnicate"),
        ("* | stats allnum=t count", "allnum"),
        ("* | eventstats allnum=t count", "allnum"),
        ("* | streamstats time_window=1h count", "time_window"),
        ("* | transaction host keepevicted=true", "keepevicted"),
        ("* | sort frobnicate(user)", "frobnicate"),
        ("* | join usetime=true host [search *]", "usetime"),
        ("* | top useother=t user host", "useother"),
        ("* | bin bins=10 _time", "bins"),
        ("* | spath frobnicate=x", "frobnicate"),
        ("| tstats prestats=t count", "prestats"),
        ("* | head null=true 5", "null"),
    ] {
        let r = unsupported(s);
        assert!(r.contains(opt), "{s}: {r}");
    }
    // Commands.
    assert!(unsupported("* | frobnicate").contains("frobnicate"));
    assert!(unsupported("* | map savedsearch=x").contains("map"));
}

#[test]
fn the_caret_points_at_the_option() {
    let s = "* | dedup frobnicate=true host";
    let p = parse(s).unwrap();
    let e = compile(&p, &NoLookups).unwrap_err();
    let span = e.span();
    assert_eq!(&s[span.start..span.end], "frobnicate=true");
}

#[test]
fn wildcard_aggregations_aggregate_every_matching_field() {
    // Search Reference, "stats": `values(*) AS *` aggregates every field under its own
    // name; the by-field keeps its value.
    let rows = q("* | stats values(*) AS * by host");
    assert_eq!(col(&rows, "host"), ["h1", "h2"]);
    assert_eq!(
        rows[0]["user"],
        Value::Multi(vec![Value::str("alice"), Value::str("carol")])
    );
    let rows = q("* | eval u.a=user | stats latest(u.*) AS last_* by host");
    assert_eq!(col(&rows, "last_a"), ["carol", "bob"]);
    // In eventstats and streamstats too.
    let rows = q("* | eventstats dc(*ser) AS n_* | table n_u");
    assert_eq!(col(&rows, "n_u"), ["3", "3", "3"]);
}

#[test]
fn a_rename_after_stats_is_folded_into_its_names() {
    // `stats … by P.x | rename P.* AS *` is what `drop_dm_object_name(P)` gives after
    // a tstats; folded or not, the rows are the same.
    let folded =
        q("* | eval P.host=host, P.user=user | stats count by P.host P.user | rename P.* AS *");
    let kept = q("* | eval P.host=host, P.user=user | stats count by P.host P.user | eval z=1 | rename P.* AS * | fields - z");
    assert_eq!(folded, kept);
    assert_eq!(col(&folded, "host"), ["h1", "h1", "h2"]);
    assert!(folded.iter().all(|r| !r.contains_key("P.host")));
    // A rename that merges two outputs into one name is not folded, and still runs.
    let merged = q("* | stats count, dc(user) AS count2 by host | rename count2 AS count");
    assert_eq!(merged.len(), 2);
}

/// The rows of `s` compiled without moving work between commands.
fn q_plain(s: &str) -> Vec<Row> {
    let program = firedrill_spl::compile_plain(&parse(s).unwrap(), &NoLookups).unwrap();
    firedrill_spl::run(&program, &events()).unwrap()
}

#[test]
fn filters_on_the_group_key_run_before_grouping_with_the_same_rows() {
    // A filter after stats that reads only by-fields is applied to each key before it
    // becomes a group (and a rename after stats is folded into its names); the rows
    // are those of running each command in turn.
    for s in [
        "* | stats count min(_time) AS t by host user | eval x=1 | regex user=\"^[ab]\" | search host=h1",
        "* | eval m=split(user.\",zz\", \",\") | stats count by m | where m!=\"zz\"",
        "* | eval P.h=host | stats count by P.h | rename P.* AS * | search h=h1",
        "* | stats count by host | where count > 1",
        "* | stats count by host | eval host=\"x\" | search host=h1",
        "* | stats count by host | search count*>1",
    ] {
        assert_eq!(q(s), q_plain(s), "{s}");
    }
    assert_eq!(
        col(&q("* | stats count by host user | search host=h1"), "user"),
        ["alice", "carol"]
    );
    let m = q("* | eval m=split(user.\",zz\", \",\") | stats count by m | where m!=\"zz\"");
    assert_eq!(col(&m, "m"), ["alice", "bob", "carol"]);
}

#[test]
fn makeresults_generates_rows() {
    // Search Reference, makeresults: one result with only `_time` by default.
    let rows = q("| makeresults");
    assert_eq!(rows.len(), 1);
    assert!(matches!(rows[0]["_time"], Value::Num(t) if t > 1.0e9));
    assert_eq!(rows[0].len(), 1);
    assert_eq!(
        q("| makeresults count=5 | stats count")[0]["count"],
        Value::Num(5.0)
    );
    let rows = q("| makeresults annotate=true");
    assert_eq!(rows[0]["splunk_server"], Value::str("firedrill"));
    let rows = q("| makeresults format=csv data=\"name,age\nalice,30\nbob,25\" | table name age");
    assert_eq!(col(&rows, "name"), ["alice", "bob"]);
    assert_eq!(col(&rows, "age"), ["30", "25"]);
    let rows =
        q(r#"| makeresults format=json data="[{\"a\":1},{\"a\":\"x\",\"b\":[1,2]}]" | table a b"#);
    assert_eq!(col(&rows, "a"), ["1", "x"]);
    assert_eq!(
        rows[1]["b"],
        Value::Multi(vec![Value::str("1"), Value::str("2")])
    );
    // Generated in a subsearch, too.
    let rows = q("EventCode=4625 [| makeresults | eval host=\"h2\" | fields host] | table user");
    assert_eq!(col(&rows, "user"), ["bob"]);
}

#[test]
fn makeresults_errors_are_located() {
    for bad in [
        "| makeresults count=x",
        "| makeresults format=xml data=\"a\"",
        "| makeresults format=csv",
        "| makeresults frobnicate=1",
        "* | makeresults",
    ] {
        let p = parse(bad).unwrap();
        let e = compile(&p, &NoLookups).expect_err(bad);
        assert!(e.render(bad).contains('^'), "{bad}");
    }
}

#[test]
fn map_runs_the_search_per_row() {
    // Search Reference, map: the search runs once per result, `$field$` replaced by
    // the result's value.
    let rows = q("EventCode=4625 | table host | map search=\"search EventCode=4624 host=$host$\" | table user");
    assert_eq!(col(&rows, "user"), ["alice"]);
    // maxsearches: only the first rows are mapped (carol's h1 comes first).
    let rows = q("* | table host | map maxsearches=1 search=\"search host=$host$\" | table user");
    assert_eq!(col(&rows, "user"), ["carol", "alice"]);
    // How security_content uses it: appended to the rows it starts from.
    let rows = q("EventCode=4625 user=carol | table host user | appendpipe [| map search=\"search EventCode=4624 host=$host$\"] | table user");
    assert_eq!(col(&rows, "user"), ["carol", "alice"]);
    for bad in [
        "* | map search=\"| makeresults | eval x=$host$\"",
        "* | map savedsearch=x",
        "* | map search=\"search [search host=$host$]\"",
        "* | map [search host=$host$]",
    ] {
        let p = parse(bad).unwrap();
        let e = compile(&p, &NoLookups).expect_err(bad);
        assert!(e.render(bad).contains('^'), "{bad}");
    }
}

#[test]
fn return_in_a_subsearch_and_subsearches_in_expressions() {
    // Search Reference, return: the first result's field, as `field="value"`.
    let rows = q("EventCode=4625 [search EventCode=4624 | return host] | table user");
    assert_eq!(col(&rows, "user"), ["carol"]);
    // `alias=field` names the term's field.
    let rows = q("* [search user=bob | return hostname=host] | eval hostname=host | table user");
    assert!(
        rows.is_empty(),
        "no event has a hostname field before the eval"
    );
    // A subsearch inside `where`/`eval` parses (valid SPL) and is refused with a caret.
    let r = unsupported("* | where NOT [search user=bob | fields host]");
    assert!(r.contains("subsearch"), "{r}");
    assert!(unsupported("* | eval n = 1 + [search * | return $n]").contains("subsearch"));
}

#[test]
fn chart_and_timechart_split_into_columns() {
    // Search Reference, chart: one column per split value, 0 where a pair has no rows.
    let rows = q("* | chart count over host by EventCode");
    assert_eq!(col(&rows, "host"), ["h1", "h2"]);
    assert_eq!(col(&rows, "4624"), ["1", "0"]);
    assert_eq!(col(&rows, "4625"), ["1", "1"]);
    // limit=1 keeps the largest series; the rest is OTHER (useother=t by default).
    let rows = q("* | chart limit=1 count by host EventCode");
    assert_eq!(col(&rows, "4625"), ["1", "1"]);
    assert_eq!(col(&rows, "OTHER"), ["1", "0"]);
    // timechart: a row per bucket, a column per value.
    let rows = q("* | timechart span=10s count by user");
    assert_eq!(col(&rows, "_time"), ["10", "20", "30"]);
    assert_eq!(col(&rows, "bob"), ["0", "1", "0"]);
    for bad in [
        "* | chart count by host span=1",
        "* | timechart span=1d@d count by host",
    ] {
        assert!(unsupported(bad).contains("span"), "{bad}");
    }
    // The where-clause keeps the series whose total passes; the rest is OTHER.
    let rows = q("* | timechart span=1h count BY host WHERE count > 1");
    assert_eq!(
        (col(&rows, "h1"), col(&rows, "OTHER")),
        (vec!["2".into()], vec!["1".into()])
    );
    let rows = q("* | chart count over EventCode by host where count in bottom1");
    assert_eq!(
        (col(&rows, "h2"), col(&rows, "OTHER")),
        (vec!["0".into(), "1".into()], vec!["1".into(), "1".into()])
    );
    assert!(!rows[0].contains_key("h1"));
    let rows = q("* | timechart span=1h count(user) BY host WHERE count notin top1");
    assert_eq!(col(&rows, "h2"), ["1"]);
    assert!(unsupported("* | timechart span=1h count BY host WHERE max(x) > 1").contains("max(x)"));
    assert!(
        unsupported("* | timechart span=1h limit=2 count BY host WHERE count > 1")
            .contains("limit")
    );
    assert!(parse("* | timechart span=1h count BY host WHERE count >= 1").is_err());
}

#[test]
fn head_expressions_with_quotes_and_renames_after_wildcard_stats() {
    // A quoted value at the end of a `head` expression (it used to loop forever).
    assert_eq!(q("* | head user!=\"bob\"").len(), 1);
    assert_eq!(q("* | head user!=\"x\" limit=2").len(), 2);
    // A rename after a wildcard aggregation is applied, not folded away.
    let rows = q("* | stats values(*) AS * by host | rename user AS account");
    assert!(rows
        .iter()
        .all(|r| r.contains_key("account") && !r.contains_key("user")));
}

#[test]
fn a_deadline_stops_the_search_before_its_next_command() {
    let s = "| makeresults count=3 | eval x=1 | stats count";
    let p = parse(s).unwrap();
    let program = compile(&p, &NoLookups).unwrap();
    let past = std::time::Instant::now();
    match program.start().finish_by(past) {
        Err(e @ firedrill_spl::ExecError::Stopped { .. }) => {
            let r = e.render(s);
            assert!(r.contains("out of time before this command"), "{r}");
            assert!(r.contains('^'), "{r}");
        }
        other => panic!("{other:?}"),
    }
    // With time left it runs to the end.
    let later = std::time::Instant::now() + std::time::Duration::from_secs(3600);
    let rows = program.start().finish_by(later).unwrap();
    assert_eq!(rows[0]["count"], Value::Num(3.0));
}

#[test]
fn streamstats_resets_every_group() {
    // "After the streamstats calculations are produced for an event, reset_after
    // specifies that all of the accumulated statistics are reset": the test sees the
    // event with its new statistics.
    let rows = q("* | streamstats count reset_after=\"count>=2\" | table count");
    assert_eq!(col(&rows, "count"), ["1", "2", "1"]);
    // Newest first: carol 4625, bob 4625, then a reset before alice; and before bob.
    let rows =
        q("* | streamstats count BY EventCode reset_before=\"user==\\\"alice\\\"\" | table count");
    assert_eq!(col(&rows, "count"), ["1", "2", "1"]);
    let rows =
        q("* | streamstats count BY EventCode reset_before=\"user==\\\"bob\\\"\" | table count");
    assert_eq!(col(&rows, "count"), ["1", "1", "1"]);
    assert!(unsupported("* | streamstats window=2 count reset_on_change=t").contains("reset"));
}

#[test]
fn extract_pairs_keep_existing_fields_and_refuse_what_it_cannot() {
    let rows = |spl: &str, raw: &str| {
        let events = vec![Row::from([
            ("_raw".to_string(), Value::str(raw)),
            ("user".to_string(), Value::str("kept")),
        ])];
        firedrill_spl::search_rows(spl, &events).unwrap_or_else(|e| panic!("{spl}: {e}"))
    };
    let get = |r: &[Row], f: &str| r[0].get(f).map(|v| v.to_string());
    // Automatic pairs; a field the event has keeps its value, the first repeat wins.
    let r = rows("* | extract", "user=bob n=1 n=2 msg=\"a b\"");
    assert_eq!(get(&r, "user").as_deref(), Some("kept"));
    assert_eq!(get(&r, "n").as_deref(), Some("1"));
    assert_eq!(get(&r, "msg").as_deref(), Some("a b"));
    // mv_add: repeats and existing fields gain the new values.
    let r = rows("* | extract mv_add=true", "user=bob n=1 n=2");
    assert_eq!(r[0]["n"].values().len(), 2);
    assert_eq!(r[0]["user"].values().len(), 2);
    // Delimiters, clean keys, limit, maxchars.
    let r = rows(
        "* | kv pairdelim=\";\" kvdelim=\":\"",
        "Rescan Verdict:Phish;ms:Invoice: due;tsd:a@b",
    );
    assert_eq!(get(&r, "Rescan_Verdict").as_deref(), Some("Phish"));
    assert_eq!(get(&r, "ms").as_deref(), Some("Invoice: due"));
    let r = rows(
        "* | extract clean_keys=false pairdelim=\";\" kvdelim=\":\"",
        "a b:1",
    );
    assert_eq!(get(&r, "a b").as_deref(), Some("1"));
    let r = rows("* | extract limit=1", "a=1 b=2");
    assert_eq!((get(&r, "a").as_deref(), get(&r, "b")), (Some("1"), None));
    let r = rows("* | extract maxchars=5", "a=1 b=2");
    assert_eq!((get(&r, "a").as_deref(), get(&r, "b")), (Some("1"), None));
    for s in [
        "* | extract pairdelim=\";\"",
        "* | extract my_transform",
        "* | extract segment=true",
        "* | extract frobnicate=1",
    ] {
        assert!(!unsupported(s).is_empty(), "{s}");
    }
}

#[test]
fn format_escapes_values_and_takes_six_strings_or_none() {
    let events = vec![Row::from([
        ("cmd".to_string(), Value::str(r#"a "b" \c"#)),
        ("_time".to_string(), Value::Num(1.0)),
    ])];
    let r = firedrill_spl::search_rows("* | format", &events).unwrap();
    assert_eq!(r[0]["search"].to_string(), r#"( ( cmd="a \"b\" \\c" ) )"#);
    assert_eq!(r.len(), 1);
    let r = firedrill_spl::search_rows("* | where 1=2 | format", &events).unwrap();
    assert_eq!(r[0]["search"].to_string(), "NOT ( )");
    assert!(unsupported("* | format \"[\" \"]\"").contains("all six"));
    assert!(!unsupported("* | format frobnicate=1").is_empty());
}

#[test]
fn top_useother_over_several_fields_is_refused() {
    assert!(unsupported("* | top useother=true user host").contains("several fields"));
    let r = q("* | top limit=1 useother=t otherstr=rest host");
    assert_eq!(col(&r, "host"), ["h1", "rest"]);
    assert_eq!(col(&r, "count"), ["2", "1"]);
}

#[test]
fn searchmatch_matches_as_search_does_and_reads_the_fields_it_names() {
    // Only `n` is kept downstream; the search's own fields must still be read.
    let r = q("* | eval n=if(searchmatch(\"user=alice OR code\"), 1, 0) | stats sum(n) as n");
    assert_eq!(col(&r, "n"), ["3"]);
    let r = q("* | eval n=if(searchmatch(\"user=a* host=h1\"), 1, 0) | stats sum(n) as n");
    assert_eq!(col(&r, "n"), ["1"]);
    let r = q("* | where searchmatch(\"4625 NOT user=bob\") | table user");
    assert_eq!(col(&r, "user"), ["carol"]);
    assert!(unsupported("* | eval n=searchmatch(user)").contains("quoted search string"));
    assert!(unsupported("* | eval n=searchmatch(\"user=(\")").contains("searchmatch"));
}

#[test]
fn decimals_keep_the_precision_they_are_written_with() {
    let one = |e: &str| col(&q(&format!("* | head 1 | eval x={e} | table x")), "x")[0].clone();
    // Splunk wiki, "Community:BadMath": integers are exact, a decimal rounds the product.
    assert_eq!(one("3 / 2"), "1.5");
    assert_eq!(one("3 * 0.5"), "2");
    assert_eq!(one("exact(3 * 0.5)"), "1.5");
    assert_eq!(one("3 * 2"), "6");
    // A value stored in a field keeps its precision (idelta, "Getting it right with
    // Splunk": 0.014 × 0.23 is 0.0032), and so does numeric text read from an event.
    let rows = q("* | head 1 | eval x1=0.014, x2=0.23 | eval x3=x1*x2, y=\"0.5\"*3 | table x3 y");
    assert_eq!(
        (col(&rows, "x3")[0].as_str(), col(&rows, "y")[0].as_str()),
        ("0.0032", "2")
    );
    // Mathematical functions, sigfig: + and - keep the fewest decimal places.
    assert_eq!(one("5.0 + 9"), "14.0");
    assert_eq!(one("1.25 - 0.5"), "0.8");
    assert_eq!(one("-0.50"), "-0.50");
    // A decimal is a number, not a string, and compares by its value.
    assert_eq!(one("typeof(5.0)"), "Number");
    assert_eq!(one("if(isstr(5.0), \"s\", \"n\")"), "n");
    assert_eq!(one("if(8.250 * 0.2 == 2, \"y\", \"n\")"), "y");
    assert_eq!(one("json_object(\"a\", 5.0)"), "{\"a\":5.0}");
    // A zero keeps its figures; two decimals that show the same are the same value.
    assert_eq!(one("0.000 * 5 * 5"), "0.000");
    assert_eq!(one("mvcount(mvdedup(mvappend(8.250*0.2, 2.2*0.9)))"), "1");
    assert_eq!(
        one("if(isdouble(5.0) AND isdouble(todouble(5)), \"y\", \"n\")"),
        "y"
    );
    assert_eq!(one("if(in(5, 5.0, 6), \"y\", \"n\")"), "y");
    // Beyond a double's digits a number is a plain double.
    assert_eq!(one("0.1000000000000000000 * 3"), "0.30000000000000004");
    // A group keeps the text of its decimal value.
    let rows = q("* | eval x=if(user==\"bob\", 10, 10.0) | stats count BY x | table x count");
    let mut groups = col(&rows, "x");
    groups.sort();
    assert_eq!(groups, ["10", "10.0"]);
    // Functions other than exact() and todouble() give plain numbers.
    assert_eq!(one("round(2.5)"), "3");
    assert_eq!(one("sum(5.0, 9)"), "14");
}

#[test]
fn eval_cannot_assign_a_boolean() {
    // Search Reference, eval: "The result of an eval expression cannot be a Boolean."
    for s in [
        "| eval b=(1==1)",
        "| eval a=1, b=isnull(x)",
        "| eval b=NOT x",
        "| eval b=like(x, \"a%\")",
    ] {
        let p = parse(s).unwrap_or_else(|e| panic!("{s}: {}", e.render()));
        match compile(&p, &NoLookups) {
            Err(e @ CompileError::Invalid { .. }) => {
                assert!(e.render(s).contains("cannot be a Boolean"), "{s}")
            }
            other => panic!("{s}: expected invalid, got {:?}", other.err()),
        }
    }
    assert_eq!(
        col(
            &q("* | head 1 | eval b=if(1==1, \"y\", \"n\") | table b"),
            "b"
        ),
        ["y"]
    );
}

#[test]
fn strptime_reads_subseconds_of_any_width() {
    // Date and Time functions, strptime with %N (subseconds) and %a %B (names).
    let one = |e: &str| col(&q(&format!("* | head 1 | eval x={e} | table x")), "x")[0].clone();
    assert_eq!(
        one("strptime(\"2024-01-05 12:00:00.123\", \"%Y-%m-%d %H:%M:%S.%N\")"),
        "1704456000.123000"
    );
    assert_eq!(
        one("strptime(\"2024-01-05 12:00:00.123456\", \"%Y-%m-%d %H:%M:%S.%6N\")"),
        "1704456000.123456"
    );
    assert_eq!(
        one("strptime(\"Fri January 05 2024\", \"%a %B %d %Y\")"),
        "1704412800.000000"
    );
}
