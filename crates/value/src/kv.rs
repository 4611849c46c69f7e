//! Splunk's automatic `key=value` extraction, the one rule both the line reader (for
//! sourcetypes that carry such pairs) and the `extract`/`kv` command use.

use regex::Regex;
use std::sync::OnceLock;

fn kv_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?:^|[\s,;])([A-Za-z_][\w.:-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;"]*)"#)
            .expect("a constant, valid regular expression")
    })
}

/// The `key=value` pairs in `text`, in order, values without their quotes (`"…"` or
/// `'…'`); empty values are left out.
pub fn pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    kv_regex().captures_iter(text).filter_map(|c| {
        let (k, v) = (c.get(1)?.as_str(), c.get(2)?.as_str());
        let v = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
            .unwrap_or(v);
        (!v.is_empty()).then_some((k, v))
    })
}

/// `text` split at any of `delims`. A value that starts with a double quote runs to
/// its closing quote (delimiters inside it are text, two quotes are one) and loses its
/// quotes; a quote elsewhere is text.
pub fn split_quoted(text: &str, delims: &[char]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    let (mut quoted, mut at_start) = (false, true);
    while let Some(c) = chars.next() {
        if quoted {
            if c != '"' {
                cur.push(c);
            } else if chars.peek() == Some(&'"') {
                cur.push('"');
                chars.next();
            } else {
                quoted = false;
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if delims.contains(&c) {
            out.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    out.push(cur);
    out
}

/// `s` without the double quotes around it, if it has them.
pub fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

/// Splunk's `CLEAN_KEYS`: characters other than letters, digits and `_` become `_`;
/// leading `_` and digits are dropped.
pub fn clean_key(k: &str) -> String {
    let s: String = k
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.trim_start_matches(|c: char| c == '_' || c.is_ascii_digit())
        .to_string()
}

/// The pairs of `text` split by any of the `pair` characters (quoted parts kept
/// whole), each split at its first `kv` character: Splunk's `DELIMS` with two
/// delimiter lists, and the `extract pairdelim= kvdelim=` command. Keys are trimmed,
/// both lose their quotes; a part with no `kv` character is no pair.
pub fn delimited(text: &str, pair: &[char], kv: &[char]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in split_quoted(text, pair) {
        if let Some(at) = p.find(|c| kv.contains(&c)) {
            let (k, v) = (&p[..at], &p[at..]);
            let v = &v[v.chars().next().map_or(0, char::len_utf8)..];
            out.push((unquote(k.trim()).to_string(), unquote(v).to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{clean_key, delimited, pairs};

    #[test]
    fn clean_keys() {
        assert_eq!(clean_key("1_user-name.x"), "user_name_x");
        assert_eq!(clean_key("__a b"), "a_b");
    }

    #[test]
    fn delimited_pairs() {
        let owned = |p: Vec<(String, String)>| p;
        let p = owned(delimited("a=1|b:2; c =3;junk", &['|', ';'], &['=', ':']));
        let want = [("a", "1"), ("b", "2"), ("c", "3")];
        assert_eq!(p.len(), 3);
        for ((k, v), (wk, wv)) in p.iter().zip(want) {
            assert_eq!((k.as_str(), v.as_str()), (wk, wv));
        }
        // A quoted part is one pair, whatever delimiters it holds.
        let p = delimited(r#""k=v;w";d=4"#, &[';'], &['=']);
        assert_eq!(p[0], ("k".to_string(), "v;w".to_string()));
        assert_eq!(p[1], ("d".to_string(), "4".to_string()));
    }

    #[test]
    fn pairs_in_text() {
        let p: Vec<_> =
            pairs(r#"2024-01-01 user=bob status=200 msg="a b" q='x' empty= k2=v;k3=w"#).collect();
        assert_eq!(
            p,
            vec![
                ("user", "bob"),
                ("status", "200"),
                ("msg", "a b"),
                ("q", "x"),
                ("k2", "v"),
                ("k3", "w")
            ]
        );
    }
}
