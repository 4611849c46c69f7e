//! Regular expressions as Splunk writes them (PCRE): the fast `regex` crate when the
//! pattern allows, `fancy-regex` (look-around, back-references) when it needs more.
//! A short pattern the fast engine takes is checked when compiled but built when
//! first used: content holds thousands of patterns, and a run over a few datasets
//! uses few of them.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// A compiled pattern.
#[derive(Clone, Debug)]
pub enum Re {
    /// Linear-time engine.
    Std(regex::Regex),
    /// Backtracking engine for PCRE features the linear one lacks.
    Fancy(fancy_regex::Regex),
    /// Linear-time engine, built when first used (see [`Deferred`]).
    Deferred(Arc<Deferred>),
}

/// A pattern the linear engine accepts (its syntax was checked), built when first
/// used: its group names are known without building it.
#[derive(Debug)]
pub struct Deferred {
    pattern: String,
    /// Each group's name, group 0 (the match) first.
    names: Vec<Option<String>>,
    built: OnceLock<regex::Regex>,
}

/// Patterns longer than this are built when compiled.
const MAX_DEFERRED: usize = 200;

/// Patterns that expand to more than this many characters and classes (see
/// [`weight`]) are built when compiled. The linear engine's size limit is the one
/// error its syntax check does not see; the largest class without `\p` is `\w`, and
/// 209 of them in a row are the most that fit, so half that is safe.
const MAX_WEIGHT: u64 = 100;

impl Deferred {
    /// `pattern` deferred, when it is short and small enough (no Unicode property
    /// class: `\p`, `\P`) and its syntax is the linear engine's.
    fn new(pattern: &str) -> Option<Deferred> {
        if pattern.len() > MAX_DEFERRED || pattern.contains("\\p") || pattern.contains("\\P") {
            return None;
        }
        let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
        if weight(&hir) > MAX_WEIGHT {
            return None;
        }
        let mut names = vec![None];
        group_names(&hir, &mut names);
        Some(Deferred {
            pattern: pattern.to_string(),
            names,
            built: OnceLock::new(),
        })
    }

    fn regex(&self) -> &regex::Regex {
        self.built.get_or_init(|| {
            regex::Regex::new(&self.pattern)
                .or_else(|_| {
                    regex::RegexBuilder::new(&self.pattern)
                        .size_limit(1 << 30)
                        .dfa_size_limit(1 << 30)
                        .build()
                })
                .expect("a small pattern that the parser accepts builds")
        })
    }
}

/// How many characters and classes `hir` matches in a row once its counted
/// repetitions are expanded, as the compiled engine holds them (`x{2,}` holds three
/// copies of `x`: two, then one repeated).
fn weight(hir: &regex_syntax::hir::Hir) -> u64 {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(l) => l.0.len() as u64,
        HirKind::Class(_) => 1,
        HirKind::Repetition(r) => {
            let copies = r.max.unwrap_or(r.min.saturating_add(1)).max(1);
            weight(&r.sub).saturating_mul(u64::from(copies))
        }
        HirKind::Capture(c) => weight(&c.sub),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            hs.iter().fold(0, |n, h| n.saturating_add(weight(h)))
        }
    }
}

/// The names of the groups under `hir`, at their indices.
fn group_names(hir: &regex_syntax::hir::Hir, out: &mut Vec<Option<String>>) {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) => {
            let i = c.index as usize;
            if out.len() <= i {
                out.resize(i + 1, None);
            }
            out[i] = c.name.as_deref().map(String::from);
            group_names(&c.sub, out);
        }
        HirKind::Repetition(r) => group_names(&r.sub, out),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            hs.iter().for_each(|h| group_names(h, out))
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {}
    }
}

/// The engine a pattern runs on.
enum Built<'a> {
    Std(&'a regex::Regex),
    Fancy(&'a fancy_regex::Regex),
}

/// At most this many compiled patterns are kept for sharing ([`Re::shared`]).
pub const MAX_SHARED: usize = 8192;

/// Patterns compiled by [`Re::shared`].
type Shared = std::sync::Mutex<std::collections::HashMap<String, Re>>;

impl Re {
    /// Compiles `pattern` (already adapted by `pcre_compat`).
    pub fn new(pattern: &str) -> Result<Re, String> {
        if let Some(d) = Deferred::new(pattern) {
            return Ok(Re::Deferred(Arc::new(d)));
        }
        Re::built_now(pattern)
    }

    /// Compiles `pattern` and builds it now.
    fn built_now(pattern: &str) -> Result<Re, String> {
        match regex::Regex::new(pattern) {
            Ok(r) => Ok(Re::Std(r)),
            Err(first) => fancy_regex::Regex::new(pattern)
                .map(Re::Fancy)
                .map_err(|_| first.to_string()),
        }
    }

    fn built(&self) -> Built<'_> {
        match self {
            Re::Std(r) => Built::Std(r),
            Re::Fancy(r) => Built::Fancy(r),
            Re::Deferred(d) => Built::Std(d.regex()),
        }
    }

    /// True if the pattern matches somewhere in `text` (a backtracking limit counts as
    /// no match).
    pub fn is_match(&self, text: &str) -> bool {
        match self.built() {
            Built::Std(r) => r.is_match(text),
            Built::Fancy(r) => r.is_match(text).unwrap_or(false),
        }
    }

    /// Named capture groups.
    pub fn names(&self) -> Vec<String> {
        match self {
            Re::Deferred(d) => d.names.iter().flatten().cloned().collect(),
            Re::Std(r) => r.capture_names().flatten().map(String::from).collect(),
            Re::Fancy(r) => r.capture_names().flatten().map(String::from).collect(),
        }
    }

    /// For each match, the text of each named group (`None` when it did not take part).
    pub fn named_captures(&self, text: &str, names: &[String]) -> Vec<Vec<Option<String>>> {
        match self.built() {
            Built::Std(r) => r
                .captures_iter(text)
                .map(|c| {
                    names
                        .iter()
                        .map(|n| c.name(n).map(|m| m.as_str().to_string()))
                        .collect()
                })
                .collect(),
            Built::Fancy(r) => r
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
        match (self.built(), all) {
            (Built::Std(r), true) => r.replace_all(text, rep),
            (Built::Std(r), false) => r.replace(text, rep),
            (Built::Fancy(r), true) => r.replace_all(text, rep),
            (Built::Fancy(r), false) => r.replace(text, rep),
        }
    }

    /// For each match, the byte span of every group (group 0 is the match).
    pub fn spans(&self, text: &str) -> Vec<Vec<Option<(usize, usize)>>> {
        match self.built() {
            Built::Std(r) => r
                .captures_iter(text)
                .map(|c| c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect())
                .collect(),
            Built::Fancy(r) => r
                .captures_iter(text)
                .filter_map(Result::ok)
                .map(|c| c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect())
                .collect(),
        }
    }

    /// The group spans of the first match only.
    pub fn first_spans(&self, text: &str) -> Option<Vec<Option<(usize, usize)>>> {
        let span = |m: Option<regex::Match<'_>>| m.map(|m| (m.start(), m.end()));
        match self.built() {
            Built::Std(r) => r.captures(text).map(|c| c.iter().map(span).collect()),
            Built::Fancy(r) => r
                .captures(text)
                .ok()
                .flatten()
                .map(|c| c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()),
        }
    }

    /// The index of each named group.
    pub fn name_index(&self, name: &str) -> Option<usize> {
        match self {
            Re::Deferred(d) => d.names.iter().position(|n| n.as_deref() == Some(name)),
            Re::Std(r) => r.capture_names().position(|n| n == Some(name)),
            Re::Fancy(r) => r.capture_names().position(|n| n == Some(name)),
        }
    }

    /// Replaces only the `n`th match (from 1) with `rep` (`${1}` references).
    pub fn replace_nth(&self, text: &str, rep: &str, n: usize) -> String {
        let mut out = String::new();
        let found = match self.built() {
            Built::Std(r) => r.captures_iter(text).nth(n.saturating_sub(1)).map(|c| {
                c.expand(rep, &mut out);
                let m = c.get(0).expect("group 0");
                (m.start(), m.end())
            }),
            Built::Fancy(r) => r
                .captures_iter(text)
                .filter_map(Result::ok)
                .nth(n.saturating_sub(1))
                .map(|c| {
                    c.expand(rep, &mut out);
                    let m = c.get(0).expect("group 0");
                    (m.start(), m.end())
                }),
        };
        match found {
            Some((start, end)) => format!("{}{out}{}", &text[..start], &text[end..]),
            None => text.to_string(),
        }
    }

    /// True if this needed the backtracking engine.
    pub fn is_fancy(&self) -> bool {
        matches!(self, Re::Fancy(_))
    }
}

impl Re {
    /// Compiles a pattern as Splunk writes it (PCRE): literal braces translated, the
    /// linear engine when it can, the backtracking one when the pattern needs it.
    pub fn compile(pattern: &str) -> Result<Re, String> {
        Re::new(&pcre_compat(pattern))
    }

    /// [`Re::compile`] for a pattern written in a search or an add-on setting,
    /// compiled once for all who write it (content repeats its patterns across
    /// detections and settings), up to [`MAX_SHARED`] patterns. Patterns computed
    /// from the data are compiled with [`Re::compile`], not kept.
    pub fn shared(pattern: &str) -> Result<Re, String> {
        static SHARED: std::sync::OnceLock<Shared> = std::sync::OnceLock::new();
        let shared = SHARED.get_or_init(Default::default);
        let lock = || {
            shared
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(r) = lock().get(pattern) {
            return Ok(r.clone());
        }
        let r = Re::compile(pattern)?;
        let mut m = lock();
        if m.len() < MAX_SHARED {
            m.insert(pattern.to_string(), r.clone());
        }
        Ok(r)
    }
}

/// Splunk's regexes are PCRE, where a `{` that does not start a repetition such as
/// `{2}` or `{1,3}` is a literal brace (and so is a `}` that closes none); the regex
/// crate rejects them, so escape them.
pub fn pcre_compat(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    let mut in_class = false;
    let mut open_quantifier = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push(c);
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                    // `\x{202E}`, `\p{L}`, `\k{name}`: the braces belong to the escape.
                    if matches!(n, 'x' | 'p' | 'P' | 'k' | 'g' | 'N')
                        && chars.get(i + 2) == Some(&'{')
                    {
                        if let Some(close) = chars[i + 2..].iter().position(|&ch| ch == '}') {
                            out.extend(&chars[i + 2..=i + 2 + close]);
                            i += 3 + close;
                            continue;
                        }
                    }
                }
                i += 2;
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => {
                let rest: String = chars[i + 1..].iter().collect();
                let quantifier = rest.find('}').is_some_and(|end| {
                    let body = &rest[..end];
                    body.chars().next().is_some_and(|d| d.is_ascii_digit())
                        && body.chars().all(|d| d.is_ascii_digit() || d == ',')
                });
                if !quantifier {
                    out.push_str("\\{");
                    i += 1;
                    continue;
                }
                open_quantifier = true;
            }
            '}' if !in_class => {
                if !open_quantifier {
                    out.push_str("\\}");
                    i += 1;
                    continue;
                }
                open_quantifier = false;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
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

    #[test]
    fn a_deferred_pattern_is_checked_now_and_behaves_as_one_built_now() {
        let patterns = [
            r"(?<user>[^\\]+)\\(?<name>\w+)",
            r"(?i)(?:^|,)MD5=(?<MD5>[^,]*)",
            r"(a)|(?<b>b)(c)?(?P<d>d)",
            r"^.*[\\/]",
            r"\d+\.\d+",
            r"(?<ip>\d{1,3}(?:\.\d{1,3}){3})",
        ];
        for p in patterns {
            let (lazy, now) = (Re::new(p).unwrap(), Re::built_now(p).unwrap());
            assert!(matches!(lazy, Re::Deferred(_)), "{p}");
            assert_eq!(lazy.names(), now.names(), "{p}");
            for n in now.names() {
                assert_eq!(lazy.name_index(&n), now.name_index(&n), "{p} {n}");
            }
            for text in [
                r"CORP\alice",
                "MD5=ab,SHA1=cd",
                "bcd",
                r"C:\a\b.exe",
                "1.25",
                "at 10.0.0.1 and 10.0.0",
                "",
            ] {
                assert_eq!(lazy.spans(text), now.spans(text), "{p} on {text}");
                assert_eq!(lazy.replace(text, "x", true), now.replace(text, "x", true));
            }
        }
        // A syntax error is an error when compiled, not when first used.
        assert!(Re::new(r"(?<a>x").is_err());
        assert!(Re::new(r"[z-a]").is_err());
        // Patterns that could exceed the size limit (long, Unicode properties, large
        // counted repetitions) are built at once; small counts are deferred.
        for p in [
            r"\w{101}",
            r"(\d{1,3}\.){30}",
            r"\w{1000}{1000}",
            r"\p{L}+",
            &"a".repeat(MAX_DEFERRED + 1),
        ] {
            assert!(!matches!(Re::new(p), Ok(Re::Deferred(_))), "{p}");
        }
        for p in [
            r"\w{1,30}",
            r"\d{1,3}\.\d{1,3}",
            r"[A-Za-z0-9+/]{44,}",
            r"\w{100}",
        ] {
            assert!(matches!(Re::new(p).unwrap(), Re::Deferred(_)), "{p}");
        }
        // The most a deferred pattern can hold builds at the default size limit.
        assert!(regex::Regex::new(&r"\w".repeat(MAX_WEIGHT as usize)).is_ok());
    }
}
