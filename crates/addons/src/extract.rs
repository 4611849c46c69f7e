//! The extractions of `EXTRACT-` and `REPORT-`: a regular expression (read as `rex`
//! reads it) with named groups, `_KEY_n`/`_VAL_n` pairs or a `FORMAT`, or a
//! `DELIMS`/`FIELDS` split. Each produces (field name, value) pairs from one text.

use firedrill_spl::exec::re::Re;
use firedrill_value::kv::{delimited, split_quoted, unquote};

/// One side of a `FORMAT` item: text with `$n` group references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// Group `n`'s text.
    Group(usize),
}

/// `name::value` in a `FORMAT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The field name.
    pub key: Vec<Piece>,
    /// The value.
    pub value: Vec<Piece>,
}

/// How a regular expression's matches become fields.
#[derive(Clone, Debug)]
pub enum Names {
    /// Named groups; `_KEY_n`/`_VAL_n` pairs name fields from the data.
    Groups {
        /// (group, field name) for ordinary named groups.
        fixed: Vec<String>,
        /// (key group, value group) pairs.
        pairs: Vec<(String, String)>,
    },
    /// A `FORMAT`.
    Format(Vec<Item>),
}

/// An extraction.
#[derive(Clone, Debug)]
pub enum Extractor {
    /// A regular expression.
    Regex {
        /// The pattern.
        re: Re,
        /// How matches become fields.
        names: Names,
        /// Every match (transforms), or only the first (inline `EXTRACT-`).
        repeat: bool,
    },
    /// `DELIMS`: pairs split by any of `pair` characters; each pair split at the
    /// first of `kv`, or (with `FIELDS`) values named in order.
    Delims {
        /// Pair delimiters.
        pair: Vec<char>,
        /// Key-value delimiters (empty with `FIELDS`).
        kv: Vec<char>,
        /// Field names for positional values.
        fields: Vec<String>,
    },
}

/// Parses a `FORMAT` value (`a::$1 b::$2`, `$1::$2`, `action::blocked`).
pub fn parse_format(text: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    for tok in split_words(text) {
        let Some((k, v)) = tok.split_once("::") else {
            return Err(format!("`{tok}` is not `name::value`"));
        };
        let (key, value) = (pieces(k)?, pieces(v)?);
        if key.is_empty() {
            return Err(format!("`{tok}` has no field name"));
        }
        items.push(Item { key, value });
    }
    if items.is_empty() {
        return Err("an empty FORMAT".into());
    }
    Ok(items)
}

/// Words split on whitespace, double quotes grouping (and dropped).
pub(crate) fn split_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn pieces(s: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            let mut n = 0usize;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n.saturating_mul(10).saturating_add(d as usize);
                chars.next();
            }
            if !lit.is_empty() {
                out.push(Piece::Lit(std::mem::take(&mut lit)));
            }
            out.push(Piece::Group(n));
        } else {
            lit.push(c);
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

/// Names in `FORMAT` or groups from a pattern's named groups.
pub fn group_names(re: &Re) -> Names {
    let mut fixed = Vec::new();
    let mut keys = Vec::new();
    for n in re.names() {
        if n.starts_with("_KEY_") {
            keys.push(n);
        } else if !n.starts_with("_VAL_") {
            fixed.push(n);
        }
    }
    let all = re.names();
    let pairs = keys
        .into_iter()
        .filter_map(|k| {
            let v = format!("_VAL_{}", &k[5..]);
            all.contains(&v).then_some((k, v))
        })
        .collect();
    Names::Groups { fixed, pairs }
}

impl Extractor {
    /// True if the extraction may set `field` (`clean` maps a found name to the
    /// field's, for `CLEAN_KEYS`).
    pub fn may_write(&self, field: &str, clean: &dyn Fn(&str) -> String) -> bool {
        match self.outputs() {
            None => true,
            Some(o) => o.iter().any(|k| clean(k) == field),
        }
    }

    /// True if every value the extraction gives `field` that `matches` accepts is a
    /// piece of the text it reads: a named group's text, or a `FORMAT` group or
    /// literal `matches` rejects (`clean` maps a `FORMAT` name to the field's). A
    /// `DELIMS` split drops the quotes inside a value: not a piece.
    pub fn keeps_pieces(
        &self,
        field: &str,
        clean: &dyn Fn(&str) -> String,
        matches: &dyn Fn(&firedrill_value::Value) -> bool,
    ) -> bool {
        let items = match self {
            Extractor::Delims { .. } => return false,
            Extractor::Regex {
                names: Names::Format(items),
                ..
            } => items,
            Extractor::Regex { .. } => return true,
        };
        items.iter().all(|i| {
            let named = match i.key.as_slice() {
                [Piece::Lit(k)] => clean(k) == field,
                _ => true,
            };
            !named
                || match i.value.as_slice() {
                    [Piece::Group(_)] => true,
                    pieces => {
                        let mut text = String::new();
                        for p in pieces {
                            match p {
                                Piece::Lit(l) => text.push_str(l),
                                Piece::Group(_) => return false,
                            }
                        }
                        !matches(&firedrill_value::Value::Str(text))
                    }
                }
        })
    }

    /// The field names it can produce; `None` when the data names them.
    pub fn outputs(&self) -> Option<Vec<&str>> {
        match self {
            Extractor::Regex { names, .. } => match names {
                Names::Groups { fixed, pairs } if pairs.is_empty() => {
                    Some(fixed.iter().map(String::as_str).collect())
                }
                Names::Groups { .. } => None,
                Names::Format(items) => {
                    let mut out = Vec::new();
                    for i in items {
                        match i.key.as_slice() {
                            [Piece::Lit(k)] => out.push(k.as_str()),
                            _ => return None,
                        }
                    }
                    Some(out)
                }
            },
            Extractor::Delims { kv, fields, .. } => kv
                .is_empty()
                .then(|| fields.iter().map(String::as_str).collect()),
        }
    }

    /// The (name, value) pairs found in `text`, in order.
    pub fn run(&self, text: &str, out: &mut Vec<(String, String)>) {
        match self {
            Extractor::Regex { re, names, repeat } => {
                let spans = if *repeat {
                    re.spans(text)
                } else {
                    re.first_spans(text).into_iter().collect()
                };
                let group = |m: &[Option<(usize, usize)>], i: usize| {
                    m.get(i).copied().flatten().map(|(a, b)| &text[a..b])
                };
                for m in &spans {
                    match names {
                        Names::Groups { fixed, pairs } => {
                            for n in fixed {
                                if let Some(v) = re.name_index(n).and_then(|i| group(m, i)) {
                                    out.push((n.clone(), v.to_string()));
                                }
                            }
                            for (k, v) in pairs {
                                let k = re.name_index(k).and_then(|i| group(m, i));
                                let v = re.name_index(v).and_then(|i| group(m, i));
                                if let (Some(k), Some(v)) = (k, v) {
                                    out.push((k.to_string(), v.to_string()));
                                }
                            }
                        }
                        Names::Format(items) => {
                            for it in items {
                                let fill = |ps: &[Piece]| -> Option<String> {
                                    let mut s = String::new();
                                    for p in ps {
                                        match p {
                                            Piece::Lit(l) => s.push_str(l),
                                            Piece::Group(i) => s.push_str(group(m, *i)?),
                                        }
                                    }
                                    Some(s)
                                };
                                if let (Some(k), Some(v)) = (fill(&it.key), fill(&it.value)) {
                                    out.push((k, v));
                                }
                            }
                        }
                    }
                }
            }
            Extractor::Delims { pair, kv, fields } => {
                if kv.is_empty() {
                    for (name, v) in fields.iter().zip(split_quoted(text, pair)) {
                        out.push((name.clone(), v));
                    }
                } else {
                    out.extend(delimited(text, pair, kv));
                }
            }
        }
    }
}

/// Parses `DELIMS` (`"<pairs>", "<kv>"` or one quoted string); `\t` and `\"` as
/// escapes.
pub fn parse_delims(text: &str) -> Result<(Vec<char>, Vec<char>), String> {
    let mut sets = Vec::new();
    let mut chars = text.chars();
    loop {
        match chars.by_ref().find(|c| !c.is_whitespace() && *c != ',') {
            None => break,
            Some('"') => {}
            Some(c) => return Err(format!("expected a quoted delimiter list, found `{c}`")),
        }
        let mut set = Vec::new();
        loop {
            match chars.next() {
                None => return Err("an unclosed quote".into()),
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some('t') => set.push('\t'),
                    Some('n') => set.push('\n'),
                    Some('r') => set.push('\r'),
                    Some(c) => set.push(c),
                    None => return Err("an unclosed quote".into()),
                },
                Some(c) => set.push(c),
            }
        }
        sets.push(set);
    }
    match sets.len() {
        1 => Ok((sets.remove(0), Vec::new())),
        2 => {
            let kv = sets.remove(1);
            Ok((sets.remove(0), kv))
        }
        n => Err(format!("DELIMS takes one or two quoted lists, found {n}")),
    }
}

/// Parses `FIELDS` (`"a", "b", c`).
pub fn parse_fields(text: &str) -> Vec<String> {
    text.split(',')
        .map(|f| unquote(f.trim()).to_string())
        .filter(|f| !f.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(e: &Extractor, text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        e.run(text, &mut out);
        out
    }

    fn rx(p: &str, names: Option<&str>, repeat: bool) -> Extractor {
        let re = Re::compile(p).unwrap();
        let names = match names {
            Some(f) => Names::Format(parse_format(f).unwrap()),
            None => group_names(&re),
        };
        Extractor::Regex { re, names, repeat }
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn named_groups_first_match_or_every_match() {
        let e = rx(r"user=(?<user>\w+)", None, false);
        assert_eq!(run(&e, "user=a user=b"), kv(&[("user", "a")]));
        let e = rx(r"user=(?<user>\w+)", None, true);
        assert_eq!(
            run(&e, "user=a user=b"),
            kv(&[("user", "a"), ("user", "b")])
        );
    }

    #[test]
    fn key_value_groups_and_format() {
        let e = rx(r"(?<_KEY_1>\w+):(?<_VAL_1>\w+)", None, true);
        assert_eq!(run(&e, "a:1 b:2"), kv(&[("a", "1"), ("b", "2")]));
        let e = rx(r"(\w+)=(\w+)", Some("$1::$2"), true);
        assert_eq!(run(&e, "x=1,y=2"), kv(&[("x", "1"), ("y", "2")]));
        let e = rx(
            r"act=(\w+)",
            Some("action::$1 vendor::acme f_$1::yes"),
            false,
        );
        assert_eq!(
            run(&e, "act=drop"),
            kv(&[("action", "drop"), ("vendor", "acme"), ("f_drop", "yes")])
        );
        assert_eq!(e.outputs(), None);
        assert_eq!(rx("(a)", Some("x::$1"), false).outputs(), Some(vec!["x"]));
    }

    #[test]
    fn delims() {
        let (pair, kvd) = parse_delims(r#""|", "=""#).unwrap();
        let e = Extractor::Delims {
            pair,
            kv: kvd,
            fields: vec![],
        };
        assert_eq!(run(&e, r#"a=1|b="two"|c"#), kv(&[("a", "1"), ("b", "two")]));
        let (pair, _) = parse_delims(r#"",""#).unwrap();
        let e = Extractor::Delims {
            pair,
            kv: vec![],
            fields: parse_fields(r#""x", y"#),
        };
        assert_eq!(run(&e, "1,2,3"), kv(&[("x", "1"), ("y", "2")]));
        // A quoted value keeps its delimiters; a stray quote is text.
        assert_eq!(run(&e, r#""a,b",c"#), kv(&[("x", "a,b"), ("y", "c")]));
        assert_eq!(
            run(&e, r#"5" disk,c"#),
            kv(&[("x", "5\" disk"), ("y", "c")])
        );
        assert_eq!(
            run(&e, r#""say ""hi""",c"#),
            kv(&[("x", "say \"hi\""), ("y", "c")])
        );
        assert!(parse_delims("|").is_err());
        assert!(parse_delims(r#""a"#).is_err());
    }

    #[test]
    fn format_errors() {
        assert!(parse_format("nocolons").is_err());
        assert!(parse_format("").is_err());
        assert!(parse_format("::$1").is_err());
    }
}
