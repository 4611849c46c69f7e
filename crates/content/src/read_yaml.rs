//! YAML text to a document tree, as serde_yaml_ng (libyaml) reads it.
//!
//! Parsing YAML is most of loading a content tree, and libyaml's scanner is slow:
//! saphyr's parser reads the same documents in about 60% of the instructions. So a
//! document is read from saphyr's events when it stays in the plain subset: one
//! document, no tags, anchors or aliases, no duplicate keys, at most
//! serde_yaml_ng's nesting depth, scalars that serde_yaml_ng's rules resolve to null,
//! a Boolean, a 64-bit number or a string. Anything else, and anything saphyr
//! rejects (it is stricter about the indentation of multi-line quoted scalars),
//! goes to serde_yaml_ng, so a document's tree and its errors are always the ones
//! serde_yaml_ng gives. The conformance suite compares the two on every YAML file of
//! the shared content, and a test compares them on generated documents.

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_yaml_ng::{Mapping, Number, Value};

/// serde_yaml_ng's nesting limit: deeper documents are its to refuse.
const MAX_DEPTH: usize = 128;

/// `text` as one YAML document.
pub fn parse(text: &str) -> Result<Value, serde_yaml_ng::Error> {
    match plain(text) {
        Some(v) => Ok(v),
        None => serde_yaml_ng::from_str(text),
    }
}

/// The document, when it is in the plain subset (see the module doc).
pub fn plain(text: &str) -> Option<Value> {
    let mut tree = Tree::default();
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
            }
            Event::Alias(_) => return None,
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let v = match style {
                    ScalarStyle::Plain if !plain_is_yaml(&text) => return None,
                    ScalarStyle::Plain => resolve(&text)?,
                    _ => Value::String(text.into_owned()),
                };
                if span.is_empty() && tree.expects_key() {
                    return None;
                }
                tree.add(v)?;
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if anchor != 0 || tag.is_some() =>
            {
                return None
            }
            Event::SequenceStart(..) => tree.open(Value::Sequence(Vec::new()))?,
            Event::MappingStart(..) => tree.open(Value::Mapping(Mapping::new()))?,
            Event::SequenceEnd | Event::MappingEnd => tree.close()?,
        }
    }
    tree.stack
        .is_empty()
        .then(|| tree.root.unwrap_or(Value::Null))
}

/// The collections being read, innermost last, each with its pending key.
#[derive(Default)]
struct Tree {
    stack: Vec<(Value, Option<Value>)>,
    root: Option<Value>,
}

impl Tree {
    /// True when the next value is a mapping's key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some((Value::Mapping(_), None)))
    }

    fn open(&mut self, collection: Value) -> Option<()> {
        if self.stack.len() >= MAX_DEPTH {
            return None;
        }
        self.stack.push((collection, None));
        Some(())
    }

    fn close(&mut self) -> Option<()> {
        let (v, key) = self.stack.pop()?;
        if key.is_some() {
            return None;
        }
        self.add(v)
    }

    /// Adds a value to the innermost collection; `None` for a duplicate key.
    fn add(&mut self, v: Value) -> Option<()> {
        match self.stack.last_mut() {
            None if self.root.is_none() => self.root = Some(v),
            None => return None,
            Some((Value::Sequence(items), _)) => items.push(v),
            Some((Value::Mapping(m), key)) => match key.take() {
                None => *key = Some(v),
                Some(k) => {
                    if m.contains_key(&k) {
                        return None;
                    }
                    m.insert(k, v);
                }
            },
            Some(_) => return None,
        }
        Some(())
    }
}

/// False for a plain scalar YAML does not allow, which saphyr reads where libyaml
/// refuses it: one that starts with an indicator (`|`, `>`, `[`, `&`, ...), or with
/// `-`, `?` or `:` and a space.
fn plain_is_yaml(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some('-' | '?' | ':') => chars.next().is_some_and(|c| !c.is_whitespace()),
        Some(c) => !"[]{},#&*!|>'\"%@`".contains(c),
        None => true,
    }
}

/// A plain scalar as serde_yaml_ng resolves it (YAML 1.2's core schema, its way):
/// `None` where it would give something this module leaves to it (integers beyond
/// 64 bits, which it refuses).
fn resolve(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    if !s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return Some(Value::String(s.to_string()));
    }
    if let Some(n) = unsigned(s, u64::from_str_radix) {
        return Some(Value::Number(n.into()));
    }
    if let Some(n) = negative(s, i64::from_str_radix) {
        return Some(Value::Number(n.into()));
    }
    if unsigned(s, u128::from_str_radix).is_some() || negative(s, i128::from_str_radix).is_some() {
        return None;
    }
    if !digits_but_not_number(s) {
        if let Some(f) = float(s) {
            return Some(Value::Number(Number::from(f)));
        }
    }
    Some(Value::String(s.to_string()))
}

type Radix<T> = fn(&str, u32) -> Result<T, std::num::ParseIntError>;

/// serde_yaml_ng's `parse_unsigned_int`.
fn unsigned<T>(s: &str, from: Radix<T>) -> Option<T> {
    let unsigned = s.strip_prefix('+').unwrap_or(s);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unsigned.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(n) = from(rest, radix) {
                return Some(n);
            }
        }
    }
    if unsigned.starts_with(['+', '-']) || digits_but_not_number(s) {
        return None;
    }
    from(unsigned, 10).ok()
}

/// serde_yaml_ng's `parse_negative_int`.
fn negative<T>(s: &str, from: Radix<T>) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = s.strip_prefix(prefix) {
            if let Ok(n) = from(&format!("-{rest}"), radix) {
                return Some(n);
            }
        }
    }
    if digits_but_not_number(s) {
        return None;
    }
    from(s, 10).ok()
}

/// serde_yaml_ng's `parse_f64`.
fn float(s: &str) -> Option<f64> {
    let unsigned = match s.strip_prefix('+') {
        Some(u) if u.starts_with(['+', '-']) => return None,
        Some(u) => u,
        None => s,
    };
    if let ".inf" | ".Inf" | ".INF" = unsigned {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = s {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = s {
        return Some(f64::NAN);
    }
    unsigned.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A leading zero followed by digits is a string in YAML 1.2 (serde_yaml_ng's
/// `digits_but_not_number`).
fn digits_but_not_number(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    s.len() > 1 && s.starts_with('0') && s[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_yaml_ng's reading of `text`, `None` when it refuses it.
    fn reference(text: &str) -> Option<Value> {
        serde_yaml_ng::from_str(text).ok()
    }

    /// The same tree, NaN equal to NaN.
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                x == y
                    || (x.as_f64().is_some_and(f64::is_nan) && y.as_f64().is_some_and(f64::is_nan))
            }
            (Value::Sequence(x), Value::Sequence(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Value::Mapping(x), Value::Mapping(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((k, v), (l, w))| same(k, l) && same(v, w))
            }
            _ => a == b,
        }
    }

    fn agrees(text: &str) {
        let (fast, slow) = (plain(text), reference(text));
        if let Some(v) = &fast {
            let r = slow
                .as_ref()
                .unwrap_or_else(|| panic!("only saphyr reads {text:?}"));
            assert!(same(v, r), "{text:?}:\n{v:?}\n{r:?}");
        }
        let parsed = parse(text).ok();
        assert_eq!(parsed.is_some(), slow.is_some(), "{text:?}");
    }

    #[test]
    fn plain_scalars_resolve_as_serde_yaml_ng_resolves_them() {
        let words = [
            "",
            "~",
            "null",
            "Null",
            "NULL",
            "nULL",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "no",
            "yes",
            "on",
            "0",
            "00",
            "007",
            "-0",
            "+0",
            "-007",
            "12",
            "+12",
            "-12",
            "++1",
            "+-1",
            "0x1F",
            "0X1F",
            "+0x1F",
            "-0x1F",
            "0x-1",
            "0o17",
            "-0o17",
            "0b101",
            "-0b101",
            "0b2",
            "1_000",
            "1e3",
            "1E3",
            "-1e3",
            "+1.5",
            "1.",
            ".5",
            "-.5",
            ".",
            "1.0e+400",
            ".inf",
            ".Inf",
            "+.inf",
            "-.inf",
            "-.INF",
            ".nan",
            ".NaN",
            "+.nan",
            "inf",
            "nan",
            "NaN",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "2024-10-01",
            "1.2.3",
            "0.0.0.0",
            "10:20",
            "0a1b2c3d-0000-4000-8000-000000000000",
            "3d",
            "1 2",
            "-",
            "+",
            "0x",
            "-0x",
            "0o",
            "0b",
            "12abc",
            "1e",
            "e3",
        ];
        for w in words {
            agrees(&format!("k: {w}\n"));
            agrees(&format!("- {w}\n"));
            agrees(&format!("{w}: v\n"));
        }
    }

    #[test]
    fn what_is_not_plain_is_serde_yaml_ng_s_to_read() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 12\n",
            "a: !custom x\n",
            "a: 1\na: 2\n",
            "--- 1\n--- 2\n",
            "a: 340282366920938463463374607431768211455\n",
            ": v\n",
            "a: [|x, y]\n",
            "a: [>x]\n",
            "x: \"multi\nline\"\n",
        ] {
            assert!(plain(text).is_none(), "{text:?}");
            agrees(text);
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(plain(&deep).is_none());
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn generated_documents_read_the_same_both_ways() {
        // Scalars in every style, in block and flow collections, with the escapes,
        // folding, chomping and comments detection files use.
        let scalars = [
            "plain words",
            "'single ''quoted'''",
            "\"double \\\"q\\\" \\t \\u00e9 \\x41\"",
            "\"back\\\\slash\"",
            "12",
            "-3.5",
            "~",
            "true",
            "2024-10-01",
            "'12'",
            "a: b",
            "|\n  line one\n  line two\n",
            "|-\n  kept\n\n",
            "|+\n  kept\n\n",
            ">\n  folded\n  text\n\n  para\n",
            ">-\n  x\n   more indented\n  y\n",
            "|2\n    indented\n",
            "\"\"",
            "''",
            "\"a\\\n  b\"",
            "'it''s'",
            "C:\\Windows\\System32",
            "`index=main | stats count`",
            "#not comment?",
            "x # comment",
            "[a, b]",
            "{a: 1, b: [2, 3]}",
            "- item",
            "value with: colon",
            "ünïcödé",
            "\"\\U0001F600\"",
            "*",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..2000 {
            let mut doc = String::new();
            let keys = 1 + next(5);
            for k in 0..keys {
                let s = scalars[next(scalars.len())];
                match next(4) {
                    0 => doc.push_str(&format!("key{k}: {s}\n")),
                    1 => {
                        doc.push_str(&format!("key{k}:\n"));
                        for _ in 0..1 + next(3) {
                            let s = scalars[next(scalars.len())];
                            doc.push_str(&format!("  - {}\n", s.replace('\n', "\n    ")));
                        }
                    }
                    2 => doc.push_str(&format!(
                        "key{k}:\n  inner: {}\n  other: x\n",
                        s.replace('\n', "\n    ")
                    )),
                    _ => doc.push_str(&format!("key{k}: [{}, x]\n", s.replace('\n', " "))),
                }
            }
            if next(3) == 0 {
                doc = format!("---\n# a comment\n{doc}");
            }
            if next(4) == 0 {
                doc = doc.replace('\n', "\r\n");
            }
            agrees(&doc);
        }
    }
}
