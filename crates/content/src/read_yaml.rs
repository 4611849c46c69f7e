//! YAML text to a document tree, as serde_yaml_ng (libyaml) reads it.
//!
//! Parsing YAML is most of loading a content tree, and libyaml's scanner is slow:
//! saphyr's parser reads the same documents in about 60% of the instructions. So a
//! document is read from saphyr's events when it stays in a plain subset: printable
//! ASCII text, one document, no tags, anchors or aliases, no duplicate keys, at most
//! serde_yaml_ng's nesting depth, scalars that serde_yaml_ng's rules resolve to null,
//! a Boolean, a 64-bit number or a string, and none of the constructs where the two
//! parsers were found to part (see `text_is_plain` and `scalar_is_plain`; saphyr
//! is also stricter about the indentation of multi-line quoted scalars). Anything
//! else goes to serde_yaml_ng, so a document's tree and its errors are the ones
//! serde_yaml_ng gives. Checked by the tests below on generated documents, by the
//! conformance suite on every YAML file of the shared content, and, for this
//! change, by a grammar-based fuzzer over 35 million documents and 10,400 YAML
//! files of other projects (Sigma and Hayabusa rules, workflows): no disagreement.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
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
    if !text_is_plain(text) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut tree = Tree::default();
    let (mut documents, mut block_scalars) = (0, 0);
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
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0
                    || tag.is_some()
                    || !scalar_is_plain(&tree, bytes, &value, style, span)
                {
                    return None;
                }
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    block_scalars += 1;
                }
                let v = match style {
                    ScalarStyle::Plain => resolve(&value)?,
                    _ => Value::String(value.into_owned()),
                };
                tree.add(v)?;
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if anchor != 0 || tag.is_some() || tree.expects_key() =>
            {
                return None
            }
            Event::SequenceStart(..) => {
                let flow = bytes.get(span.start.index()) == Some(&b'[');
                tree.open(Value::Sequence(Vec::new()), flow)?
            }
            Event::MappingStart(..) => {
                let flow = bytes.get(span.start.index()) == Some(&b'{');
                tree.open(Value::Mapping(Mapping::new()), flow)?
            }
            Event::SequenceEnd | Event::MappingEnd => tree.close()?,
        }
    }
    // saphyr ends a block scalar at the end of the text with a line break.
    if block_scalars > 0 && !text.ends_with('\n') {
        return None;
    }
    tree.stack
        .is_empty()
        .then(|| tree.root.unwrap_or(Value::Null))
}

/// False for text the two parsers may read differently, all rare in content:
/// anything but printable ASCII and line breaks (a byte-order mark, tabs, control
/// characters: libyaml refuses some), `%` directives, `...` document ends, and a
/// line that starts with `:`.
fn text_is_plain(text: &str) -> bool {
    let bytes = text.as_bytes();
    let printable = bytes
        .iter()
        .all(|&b| b.wrapping_sub(b' ') < 95 || b == b'\n' || b == b'\r');
    let mut starts =
        std::iter::once(0).chain(memchr::memchr2_iter(b'\n', b'\r', bytes).map(|i| i + 1));
    printable
        && !starts.any(|i| {
            let line = &bytes[i..];
            line.starts_with(b"%")
                || line.starts_with(b"...")
                || line.iter().find(|&&b| b != b' ') == Some(&b':')
        })
}

/// False for a scalar saphyr reads where libyaml refuses it or reads it otherwise:
/// a plain one YAML does not allow, an empty key, an empty block scalar, a block
/// scalar as the whole document, and in a flow collection a plain one with `:` or
/// `?`, one followed by `:` and no space, or a key over lines or long.
fn scalar_is_plain(tree: &Tree, bytes: &[u8], value: &str, style: ScalarStyle, span: Span) -> bool {
    let key = tree.expects_key();
    let fine = match style {
        ScalarStyle::Plain => plain_is_yaml(value),
        // An empty block scalar is "" to libyaml, a line break to saphyr.
        ScalarStyle::Literal | ScalarStyle::Folded => {
            !tree.stack.is_empty() && !value.bytes().all(|b| b == b'\n')
        }
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => true,
    };
    if !fine || (span.is_empty() && key) {
        return false;
    }
    if tree.flow == 0 {
        return true;
    }
    let after = bytes[span.end.index().min(bytes.len())..]
        .iter()
        .skip_while(|b| matches!(b, b' ' | b'\r' | b'\n'));
    let colon_then = {
        let mut rest = after.clone();
        (rest.next() == Some(&b':')).then(|| rest.next().copied())
    };
    let tight_colon = matches!(colon_then, Some(Some(c)) if !matches!(c, b' ' | b'\r' | b'\n'))
        || colon_then == Some(None);
    let odd_plain = style == ScalarStyle::Plain && value.contains([':', '?']);
    let odd_key = key && (span.start.line() != span.end.line() || span.len() > 250);
    !(tight_colon || odd_plain || odd_key)
}

/// The collections being read, innermost last, each with its pending key.
#[derive(Default)]
struct Tree {
    stack: Vec<(Value, Option<Value>)>,
    root: Option<Value>,
    /// How many of the open collections are in flow style (`[...]`, `{...}`) or
    /// inside one.
    flow: usize,
}

impl Tree {
    /// True when the next value is a mapping's key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some((Value::Mapping(_), None)))
    }

    /// Opens a collection; `flow` when it is written `[...]` or `{...}`. A flow
    /// collection inside another is left to serde_yaml_ng: saphyr reads
    /// `[k: {a, b}]` as `[{k: {a: null}, b: null}]`.
    fn open(&mut self, collection: Value, flow: bool) -> Option<()> {
        if self.stack.len() >= MAX_DEPTH || (flow && self.flow > 0) {
            return None;
        }
        if flow || self.flow > 0 {
            self.flow += 1;
        }
        self.stack.push((collection, None));
        Some(())
    }

    fn close(&mut self) -> Option<()> {
        // Every collection inside a flow one is counted, and none outside one.
        self.flow = self.flow.saturating_sub(1);
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
            "[k: {a, b}]\n",
            "a: |\n  x",
            "a: |\n  x\n\n  ",
            "? >+\n  x?: -1",
            "a: x\x7f\n",
            "a: \"\x07\"\n",
            "...\n",
            "\n...",
            ">\n#",
            "|\n&,a",
            "[?a]\n",
            "{?a: b}\n",
            "[x:]\n",
            "{a:,b}\n",
            "[{}, x  :]\n",
            "{a\n b: c}\n",
            "{\"\"\n:}\n",
            "\n- {'\n   ':}",
            "\r...",
            "\r%YAM 1.2\n---\n\"\"\n",
            "a: |\n",
            ">\n",
            "\u{feff}a: 1\n",
            "a:\tb\n",
            "%YAML 1.2\n---\na: 1\n",
            "x: \"multi\nline\"\n",
        ] {
            assert!(plain(text).is_none(), "{text:?}");
            agrees(text);
        }
        for text in [
            "a: {b: 1}\n",
            "a: [1, 2]\n",
            "- [x]\n- {y: z}\n",
            "a:\n  - b: c\n",
        ] {
            assert!(plain(text).is_some(), "{text:?}");
            agrees(text);
        }
        for text in ["{a: {b: 1}}\n", "[[1]]\n", "a: [b, {c: d}]\n"] {
            assert!(plain(text).is_none(), "{text:?}");
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
