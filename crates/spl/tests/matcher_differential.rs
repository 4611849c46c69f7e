//! Differential test of the compiled search matcher (pre-built wildcards, parsed
//! numbers and CIDR blocks, interned fields) against a naive evaluation of the same
//! expression — wildcards as anchored case-insensitive regexes, everything else
//! spelled out from Splunk's documented rules — on random events and patterns. Any
//! disagreement prints the expression and the row.

use firedrill_spl::ast::{CmpOp, SearchExpr};
use firedrill_spl::search::compile;
use firedrill_value::{Row, Value};
use std::net::IpAddr;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const FIELDS: &[&str] = &["a", "b", "proc", "ip", "n"];
const WORDS: &[&str] = &[
    "cmd.exe",
    "CMD.EXE",
    "rundll32",
    "comsvcs.dll",
    "MiniDump",
    "x",
    "",
    "10",
    "9",
    "10.0",
    "10.1.2.3",
    "192.168.7.7",
    "fe80::1",
    "a*b",
    "-5",
];
const PATTERNS: &[&str] = &[
    "cmd.exe",
    "*",
    "*.exe",
    "cmd*",
    "*dll*",
    "*mini*dump*",
    "rund*32",
    "10",
    "9",
    "10.0",
    "10.0.0.0/8",
    "192.168.0.0/16",
    "fe80::/10",
    "x",
    "",
    "**",
    "*a*b*",
    "-5",
    "1e1",
];

fn value(r: &mut Rng) -> Option<Value> {
    match r.below(6) {
        0 => None,
        1 => Some(Value::Num([10.0, 9.0, -5.0, 0.5][r.below(4)])),
        2 => Some(Value::Multi(vec![
            Value::str(r.pick(WORDS)),
            Value::str(r.pick(WORDS)),
        ])),
        _ => Some(Value::str(r.pick(WORDS))),
    }
}

fn row(r: &mut Rng) -> Row {
    let mut row = Row::new();
    for f in FIELDS {
        if let Some(v) = value(r) {
            row.insert(f.to_string(), v);
        }
    }
    let raw: Vec<&str> = (0..3).map(|_| r.pick(WORDS)).collect();
    row.insert("_raw".into(), Value::Str(raw.join(" ")));
    row
}

fn expr(r: &mut Rng, depth: usize) -> SearchExpr {
    let leaf = depth == 0 || r.below(3) == 0;
    if !leaf {
        return match r.below(3) {
            0 => SearchExpr::And((0..1 + r.below(3)).map(|_| expr(r, depth - 1)).collect()),
            1 => SearchExpr::Or((0..1 + r.below(3)).map(|_| expr(r, depth - 1)).collect()),
            _ => SearchExpr::Not(Box::new(expr(r, depth - 1))),
        };
    }
    let field = r.pick(FIELDS).to_string();
    match r.below(5) {
        0 => SearchExpr::In {
            field,
            values: (0..1 + r.below(3))
                .map(|_| r.pick(PATTERNS).to_string())
                .collect(),
        },
        1 => SearchExpr::Term(
            r.pick(&[
                "cmd", "MINIDUMP", "*dll*", "rundll32", "zzz", "dll", "comsvcs", "mini*", "*.exe",
                "c:*", "exe",
            ])
            .to_string(),
        ),
        _ => SearchExpr::Compare {
            field,
            op: [
                CmpOp::Eq,
                CmpOp::Ne,
                CmpOp::Lt,
                CmpOp::Le,
                CmpOp::Gt,
                CmpOp::Ge,
            ][r.below(6)],
            value: r.pick(PATTERNS).to_string(),
            quoted: false,
        },
    }
}

/// The naive reading of the documentation, one clause at a time.
fn naive(e: &SearchExpr, row: &Row) -> bool {
    match e {
        SearchExpr::All => true,
        SearchExpr::And(items) => items.iter().all(|i| naive(i, row)),
        SearchExpr::Or(items) => items.iter().any(|i| naive(i, row)),
        SearchExpr::Not(inner) => !naive(inner, row),
        SearchExpr::Term(t) => {
            let raw = row.get("_raw").map(|v| v.to_string()).unwrap_or_default();
            t == "*" || term(t, &raw)
        }
        SearchExpr::In { field, values } => values.iter().any(|p| eq(row, field, p)),
        SearchExpr::Compare {
            field, op, value, ..
        } => match op {
            CmpOp::Eq => eq(row, field, value),
            CmpOp::Ne => row.get(field).is_some_and(|v| !v.is_null()) && !eq(row, field, value),
            _ => row
                .get(field)
                .is_some_and(|v| v.values().iter().any(|x| ordered(x, value, *op))),
        },
        SearchExpr::CaseTerm(t) => {
            let raw = row.get("_raw").map(|v| v.to_string()).unwrap_or_default();
            // The case-insensitive reading, plus the text itself with its case.
            term(t, &raw) && {
                let body: Vec<String> = t.split('*').map(regex::escape).collect();
                regex::Regex::new(&body.join(".*")).unwrap().is_match(&raw)
            }
        }
        SearchExpr::CaseCompare {
            field,
            negate,
            value,
        } => row.get(field).filter(|v| !v.is_null()).is_some_and(|v| {
            let body: Vec<String> = value.split('*').map(regex::escape).collect();
            let re = regex::Regex::new(&format!("(?s)^{}$", body.join(".*"))).unwrap();
            v.values().iter().any(|x| re.is_match(&x.to_string())) != *negate
        }),
        SearchExpr::Subsearch(_) => unreachable!(),
    }
}

/// `field=pattern`: `*` alone needs the field; else any value matches the wildcard,
/// equals the number, or is an address inside the CIDR block.
fn eq(row: &Row, field: &str, p: &str) -> bool {
    let Some(v) = row.get(field).filter(|v| !v.is_null()) else {
        return false;
    };
    if !p.is_empty() && p.chars().all(|c| c == '*') {
        return true;
    }
    v.values().iter().any(|x| {
        let text = x.to_string();
        let num_eq = matches!(x, Value::Num(n) if firedrill_value::parse_number(p) == Some(*n));
        wild(p, &text) || num_eq || (matches!(x, Value::Str(_)) && in_cidr(p, &text))
    })
}

fn wild(p: &str, text: &str) -> bool {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, regex::Regex>> =
            Default::default();
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let re = c.entry(p.to_string()).or_insert_with(|| {
            let src = format!(
                "(?is)^{}$",
                p.split('*')
                    .map(regex::escape)
                    .collect::<Vec<_>>()
                    .join(".*")
            );
            regex::Regex::new(&src).unwrap()
        });
        re.is_match(text)
    })
}

/// A bare term as the Search Manual describes it: the term's text lies in `_raw`
/// between breakers (or at either end), `*` standing for any text; a side of the term
/// that is `*` or a breaker needs no boundary.
fn term(t: &str, raw: &str) -> bool {
    const BREAKERS: &str = " \t\n\r\x0b\x0c[]<>(){}|!;,'\"*&?+/:=@.-$#%\\_";
    let body = t
        .split('*')
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join(".*");
    let free = |c: Option<char>| c.is_none_or(|c| c == '*' || BREAKERS.contains(c));
    let start = if free(t.chars().next()) {
        ""
    } else {
        "(?:^|[BREAK])"
    };
    let end = if free(t.chars().last()) {
        ""
    } else {
        "(?:$|[BREAK])"
    };
    let class = r#" \t\n\r\x0b\x0c\[\]<>(){}|!;,'"*&?+/:=@.\-$#%\\_"#;
    let src = format!("(?is){start}{body}{end}").replace("BREAK", class);
    regex::Regex::new(&src).unwrap().is_match(raw)
}

fn in_cidr(p: &str, ip: &str) -> bool {
    let Some((net, bits)) = p.split_once('/') else {
        return false;
    };
    let (Ok(net), Ok(bits), Ok(ip)) = (
        net.parse::<IpAddr>(),
        bits.parse::<u32>(),
        ip.trim().parse::<IpAddr>(),
    ) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) if bits <= 32 => {
            let keep = |x: u32| if bits == 0 { 0 } else { x >> (32 - bits) };
            keep(n.into()) == keep(i.into())
        }
        (IpAddr::V6(n), IpAddr::V6(i)) if bits <= 128 => {
            let keep = |x: u128| if bits == 0 { 0 } else { x >> (128 - bits) };
            keep(n.into()) == keep(i.into())
        }
        _ => false,
    }
}

fn ordered(x: &Value, bound: &str, op: CmpOp) -> bool {
    let o = match (x.as_num(), firedrill_value::parse_number(bound)) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(x.to_string().as_str().cmp(bound)),
    };
    let Some(o) = o else { return false };
    match op {
        CmpOp::Lt => o.is_lt(),
        CmpOp::Le => o.is_le(),
        CmpOp::Gt => o.is_gt(),
        CmpOp::Ge => o.is_ge(),
        _ => unreachable!(),
    }
}

#[test]
fn compiled_matcher_agrees_with_naive_evaluation() {
    let mut r = Rng(0x5EED_F1DE_D211_1A55);
    let mut checked = 0;
    for _ in 0..4000 {
        let e = expr(&mut r, 3);
        let m = compile(&e);
        for _ in 0..8 {
            let row = row(&mut r);
            assert_eq!(
                m.matches(&row),
                naive(&e, &row),
                "expression {e}\nrow {row:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 32_000);
}

/// A matcher's guard is a necessary condition: whenever the matcher admits a row,
/// some (field, value) of its guard is in the row, compared as the dispatch index
/// compares (ASCII lower-case text, numbers as they print).
#[test]
fn guards_never_drop_a_match() {
    let mut r = Rng(0xD15_BA7C4);
    let mut guarded = 0;
    for _ in 0..16000 {
        let e = expr(&mut r, 3);
        let m = compile(&e);
        let Some(guard) = m.guard() else { continue };
        guarded += 1;
        for _ in 0..8 {
            let row = row(&mut r);
            if !m.matches(&row) {
                continue;
            }
            let hit = guard.iter().any(|(f, v)| {
                row.get(&*f.name).is_some_and(|x| {
                    x.values()
                        .iter()
                        .any(|y| y.to_string().to_ascii_lowercase() == *v)
                })
            });
            assert!(
                hit,
                "expression {e} admits {row:?} outside its guard {guard:?}"
            );
        }
    }
    assert!(guarded > 400, "only {guarded} expressions had a guard");
}
