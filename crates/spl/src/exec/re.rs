//! Regular expressions as Splunk writes them (PCRE): the fast `regex` crate when the
//! pattern allows, `fancy-regex` (look-around, back-references) when it needs more.

use std::borrow::Cow;

/// A compiled pattern.
#[derive(Clone, Debug)]
pub enum Re {
    /// Linear-time engine.
    Std(regex::Regex),
    /// Backtracking engine for PCRE features the linear one lacks.
    Fancy(fancy_regex::Regex),
}

impl Re {
    /// Compiles `pattern` (already adapted by `pcre_compat`).
    pub fn new(pattern: &str) -> Result<Re, String> {
        match regex::Regex::new(pattern) {
            Ok(r) => Ok(Re::Std(r)),
            Err(first) => fancy_regex::Regex::new(pattern)
                .map(Re::Fancy)
                .map_err(|_| first.to_string()),
        }
    }

    /// True if the pattern matches somewhere in `text` (a backtracking limit counts as
    /// no match).
    pub fn is_match(&self, text: &str) -> bool {
        match self {
            Re::Std(r) => r.is_match(text),
            Re::Fancy(r) => r.is_match(text).unwrap_or(false),
        }
    }

    /// Named capture groups.
    pub fn names(&self) -> Vec<String> {
        match self {
            Re::Std(r) => r.capture_names().flatten().map(String::from).collect(),
            Re::Fancy(r) => r.capture_names().flatten().map(String::from).collect(),
        }
    }

    /// For each match, the text of each named group (`None` when it did not take part).
    pub fn named_captures(&self, text: &str, names: &[String]) -> Vec<Vec<Option<String>>> {
        match self {
            Re::Std(r) => r
                .captures_iter(text)
                .map(|c| {
                    names
                        .iter()
                        .map(|n| c.name(n).map(|m| m.as_str().to_string()))
                        .collect()
                })
                .collect(),
            Re::Fancy(r) => r
                .captures_iter(text)
                .filter_map(Result::ok)
                .map(|c| {
                    names
                        .iter()
                        .map(|n| c.name(n).map(|m| m.as_str().to_string()))
                        .collect()
                })
                .collect(),
        }
    }

    /// Replaces the first match (or all) with `rep` (`${1}` references).
    pub fn replace<'t>(&self, text: &'t str, rep: &str, all: bool) -> Cow<'t, str> {
        match (self, all) {
            (Re::Std(r), true) => r.replace_all(text, rep),
            (Re::Std(r), false) => r.replace(text, rep),
            (Re::Fancy(r), true) => r.replace_all(text, rep),
            (Re::Fancy(r), false) => r.replace(text, rep),
        }
    }

    /// True if this needed the backtracking engine.
    pub fn is_fancy(&self) -> bool {
        matches!(self, Re::Fancy(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_around_falls_back_to_fancy() {
        let r = Re::new(r"^(?!.*\\Windows\\).*\.exe$").unwrap();
        assert!(r.is_fancy());
        assert!(r.is_match(r"C:\Users\x\evil.exe"));
        assert!(!r.is_match(r"C:\Windows\notepad.exe"));
        let r = Re::new(r"(?<a>\d)").unwrap();
        assert!(!r.is_fancy());
        assert_eq!(
            r.named_captures("x1y2", &r.names()),
            vec![vec![Some("1".to_string())], vec![Some("2".to_string())]]
        );
        assert_eq!(Re::new(r"(a)\1").unwrap().replace("xaay", "b", true), "xby");
        assert!(Re::new(r"(").is_err());
    }
}
